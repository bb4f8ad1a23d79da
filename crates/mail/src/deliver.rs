//! Delivery: the outbox, sent over SMTP, each mail once.
//!
//! A sender ([`Delivery`]) claims a batch of due rows with a lease, and its
//! connections to the relay (several, in parallel) take rows from the batch
//! one at a time: compose the mail from what the row names ([`row`]), run
//! the SMTP transaction, record the outcome. Sent; temporary failure (4xx,
//! connection trouble) queued again with doubling backoff; permanent failure
//! (5xx) recorded with the relay's reply and never retried.
//!
//! What makes it "once": the store records each row as *handed* between the
//! body of its DATA and the line that ends it ([`relay`]); the outcomes of
//! all connections are written together ([`record`]). A sender that is
//! killed leaves rows claimed: when it is found dead ([`release_dead`], for
//! processes on this host) or its lease runs out, its handed rows count as
//! sent and the rest are sent again. Several senders, in one process or
//! several, sharing one store never claim the same row. A sender with a
//! [`finisher`] (a process of its own that outlives it) loses nothing even
//! when killed between recording a hand-over and writing the end line.

pub mod finisher;
mod prepared;
mod record;
mod relay;
mod row;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use hfr_store::{OutboxMark, OutboxMessage, Released, Store, StoreError};

use crate::compose::Sender;
use crate::token::{Secret, TokenError};

use record::Recorder;
pub use relay::Relay;
use relay::{transact, Failure, HandOverRefused, Transaction};
use row::{compose, AlertCache};

/// The settings key of the token secret.
const SECRET_KEY: &str = "token_secret";

/// The server's token secret: made on first use and kept in the store, so
/// every process sharing the store signs and checks links alike.
pub async fn secret(store: &dyn Store) -> Result<Secret, DeliveryError> {
    let fresh = Secret::generate()?.to_hex();
    let stored = store.setting_or_insert(SECRET_KEY, &fresh).await?;
    Ok(Secret::from_hex(&stored)?)
}

/// Why delivery could not go on (a single mail's failure is recorded on its
/// row instead).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("link tokens: {0}")]
    Token(#[from] TokenError),
    #[error("the SMTP relay setting {url:?}: {reason}")]
    Relay { url: String, reason: String },
    #[error("recording delivery outcomes failed: {0}")]
    Record(String),
}

/// An SMTP relay from a URL (see [`Relay`]).
pub fn relay(url: &str) -> Result<Relay, DeliveryError> {
    Relay::parse(url)
}

/// How a sender behaves.
#[derive(Debug, Clone)]
pub struct Worker {
    /// Names this sender's claims; see [`worker_name`].
    pub name: String,
    /// Parallel connections to the relay.
    pub connections: usize,
    /// Rows claimed at a time.
    pub batch: u32,
    /// How long a claim is held before another sender may take it over. A
    /// connection does not start a message once half of it has passed, so a
    /// live sender never loses a row it is sending.
    pub lease: chrono::Duration,
    /// Attempts before a temporary failure becomes permanent.
    pub max_attempts: u32,
    /// The first retry waits this long; each further one twice as long.
    pub backoff: chrono::Duration,
}

impl Worker {
    pub fn new(name: impl Into<String>) -> Self {
        Worker {
            name: name.into(),
            connections: 4,
            batch: 400,
            lease: chrono::Duration::minutes(5),
            max_attempts: 8,
            backoff: chrono::Duration::minutes(1),
        }
    }

    fn retry_at(&self, attempts: u32, now: DateTime<Utc>) -> DateTime<Utc> {
        let factor = 1i32 << attempts.saturating_sub(1).min(10);
        now + self.backoff * factor
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
    /// Rows not sent because they were no longer this sender's (its lease
    /// ran short, or another sender took them over).
    pub lost: u32,
}

impl Round {
    pub fn claimed(&self) -> u32 {
        self.sent + self.retrying + self.failed + self.lost
    }

    fn add(&mut self, o: Round) {
        self.sent += o.sent;
        self.retrying += o.retrying;
        self.failed += o.failed;
        self.lost += o.lost;
    }
}

/// The name of this process's claims: `host:pid:start`, where `start` is the
/// process's start time (in clock ticks since boot, from `/proc`), so that
/// [`release_dead`] can tell a dead process from a new one that reuses its
/// pid.
pub fn worker_name() -> String {
    let pid = std::process::id();
    format!("{}:{pid}:{}", hostname(), start_time(pid).unwrap_or(0))
}

/// This machine's name.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().replace(':', "_"))
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// A process's start time, from field 22 of `/proc/{pid}/stat`; None when
/// there is no such process (or no `/proc`).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; it ends at the last ')'.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Ends the claims of senders on this host that are no longer running (a
/// process killed mid-send), so their mail goes on at once instead of after
/// their lease. Claims of other hosts are left to their leases.
pub async fn release_dead(store: &dyn Store) -> Result<Released, DeliveryError> {
    let host = hostname();
    let mut total = Released::default();
    for name in store.outbox_claimers().await? {
        let mut parts = name.rsplitn(3, ':');
        let (Some(start), Some(pid), Some(h)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(start), Ok(pid)) = (start.parse::<u64>(), pid.parse::<u32>()) else {
            continue;
        };
        if h != host || start == 0 || start_time(pid) == Some(start) {
            continue;
        }
        let r = store.release_claims(&name, Utc::now()).await?;
        tracing::info!(
            sender = %name,
            counted_sent = r.sent,
            requeued = r.requeued,
            "released the claims of a sender that is no longer running"
        );
        total.sent += r.sent;
        total.requeued += r.requeued;
    }
    Ok(total)
}

/// What every connection of a sender shares.
struct Shared {
    store: Arc<dyn Store>,
    sender: Sender,
    secret: Secret,
    worker: Worker,
    recorder: Recorder,
    finisher: Option<Arc<finisher::Finisher>>,
    /// Set when told to stop: connections finish the message in hand and
    /// take no other.
    stopping: std::sync::atomic::AtomicBool,
}

/// A sender: its settings, its connections to the relay (kept open from one
/// round to the next) and its recorder.
pub struct Delivery {
    shared: Arc<Shared>,
    relay: Arc<Relay>,
    connections: Vec<Option<relay::Connection>>,
}

impl Delivery {
    /// A sender; call inside the Tokio runtime (the recorder is a task).
    pub fn new(
        store: Arc<dyn Store>,
        sender: Sender,
        secret: Secret,
        relay: Relay,
        worker: Worker,
    ) -> Delivery {
        let recorder = Recorder::start(store.clone(), worker.name.clone());
        let connections = (0..worker.connections.max(1)).map(|_| None).collect();
        Delivery {
            shared: Arc::new(Shared {
                store,
                sender,
                secret,
                worker,
                recorder,
                finisher: None,
                stopping: std::sync::atomic::AtomicBool::new(false),
            }),
            relay: Arc::new(relay),
            connections,
        }
    }

    /// Tells `finisher` about every connection and hand-over (see
    /// [`finisher`]); call before the first round.
    pub fn with_finisher(mut self, finisher: Arc<finisher::Finisher>) -> Delivery {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.finisher = Some(finisher);
        }
        self
    }

    /// Claims one batch and delivers it over the connections in parallel. A
    /// round that claimed nothing means nothing is due.
    pub async fn round(&mut self) -> Result<Round, DeliveryError> {
        let w = &self.shared.worker;
        let claimed = self
            .shared
            .store
            .claim_outbox(&w.name, Utc::now(), w.lease, w.batch)
            .await?;
        if claimed.is_empty() {
            return Ok(Round::default());
        }
        // Leave half the lease as a margin: no message is started after it.
        let deadline = Instant::now() + (w.lease / 2).to_std().unwrap_or_default();
        let alerts = Arc::new(AlertCache::for_rows(&*self.shared.store, &claimed).await?);
        let queue = Arc::new(std::sync::Mutex::new(VecDeque::from(claimed)));
        let mut tasks = Vec::new();
        for conn in self.connections.iter_mut() {
            let lane = Lane {
                shared: self.shared.clone(),
                relay: self.relay.clone(),
                queue: queue.clone(),
                alerts: alerts.clone(),
                deadline,
                conn: conn.take(),
                pending: Vec::new(),
                round: Round::default(),
            };
            tasks.push(tokio::spawn(lane.run()));
        }
        let mut round = Round::default();
        let mut first_error = None;
        for (slot, task) in self.connections.iter_mut().zip(tasks) {
            match task.await {
                Ok((conn, r, result)) => {
                    *slot = conn;
                    round.add(r);
                    if let Err(e) = result {
                        first_error.get_or_insert(e);
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(DeliveryError::Record(format!(
                        "a connection task failed: {e}"
                    )));
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(round),
        }
    }

    /// Delivers until nothing is due (`once`), or else until `stop`
    /// resolves, looking for due mail every `poll` while idle. The claims of
    /// dead senders on this host are released first and then every minute.
    /// Returns what was done in all.
    pub async fn run(
        &mut self,
        once: bool,
        poll: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Round, DeliveryError> {
        tokio::pin!(stop);
        let mut total = Round::default();
        let mut released_at: Option<Instant> = None;
        loop {
            if released_at.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(60)) {
                release_dead(&*self.shared.store).await?;
                released_at = Some(Instant::now());
            }
            let shared = self.shared.clone();
            let round = self.round();
            tokio::pin!(round);
            let r = tokio::select! {
                r = &mut round => r?,
                () = &mut stop => {
                    // A graceful stop: the messages in hand are finished and
                    // their outcomes written; the rest of the batch is queued
                    // again at once rather than left to the lease.
                    shared.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
                    let r = round.await;
                    let released = shared.store.release_claims(&shared.worker.name, Utc::now()).await;
                    total.add(r?);
                    released?;
                    return Ok(total);
                }
            };
            total.add(r);
            if r.claimed() == 0 {
                if once {
                    return Ok(total);
                }
                tokio::select! {
                    () = tokio::time::sleep(poll) => {}
                    () = &mut stop => return Ok(total),
                }
            }
        }
    }

    /// Says goodbye to the relay.
    pub async fn close(mut self) {
        for conn in self.connections.iter_mut() {
            if let Some(mut c) = conn.take() {
                let _ = c.smtp.quit().await;
            }
        }
    }
}

/// One connection working through a round's batch.
struct Lane {
    shared: Arc<Shared>,
    relay: Arc<Relay>,
    queue: Arc<std::sync::Mutex<VecDeque<OutboxMessage>>>,
    alerts: Arc<AlertCache>,
    deadline: Instant,
    conn: Option<relay::Connection>,
    /// Outcomes not yet written: the `Sent` marks, written with the next
    /// hand-over (a handed row counts as sent anyway should we stop first).
    pending: Vec<OutboxMark>,
    round: Round,
}

type LaneResult = (Option<relay::Connection>, Round, Result<(), DeliveryError>);

impl Lane {
    async fn run(mut self) -> LaneResult {
        let result = self.work().await;
        // Whatever happened, what is known is written.
        let flushed = self.flush().await;
        (self.conn, self.round, result.and(flushed))
    }

    fn next_row(&self) -> Option<OutboxMessage> {
        if self
            .shared
            .stopping
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return None;
        }
        self.queue.lock().ok()?.pop_front()
    }

    async fn work(&mut self) -> Result<(), DeliveryError> {
        while let Some(row) = self.next_row() {
            if Instant::now() >= self.deadline {
                // Too late in the lease to start: give the row back, due now.
                let error = "not started before the sender's lease ran short".to_string();
                self.finish(&row, Err(Failure::temporary(error)), false)
                    .await?;
                continue;
            }
            let s = &self.shared;
            let composed = compose(
                &*s.store,
                &s.sender,
                &s.secret,
                &self.alerts,
                &row,
                Utc::now(),
            )
            .await;
            let message = match composed {
                Ok(Some(m)) => m,
                Ok(None) => {
                    let e = "the subscriber is no longer subscribed (or no longer waiting)";
                    self.finish(&row, Err(Failure::permanent(e)), false).await?;
                    continue;
                }
                Err(row::ComposeFailure::Store(e)) => return Err(e.into()),
                Err(e) => {
                    let e = format!("cannot compose: {e}");
                    self.finish(&row, Err(Failure::permanent(e)), false).await?;
                    continue;
                }
            };
            if self.conn.is_none() {
                match self.relay.connect(self.shared.finisher.as_ref()).await {
                    Ok(c) => self.conn = Some(c),
                    Err(f) => {
                        tracing::warn!(relay = %self.relay, error = %f.text, "cannot connect");
                        self.finish(&row, Err(f), false).await?;
                        continue;
                    }
                }
            }
            let row::Ready { envelope, body } = message;
            let earlier = std::mem::take(&mut self.pending);
            let store = &*self.shared.store;
            let worker = self.shared.worker.name.as_str();
            let id = row.id;
            let outcome = transact(&mut self.conn, &envelope, &body, id, |then| {
                record::hand_over(store, worker, earlier, id, then)
            })
            .await;
            match outcome {
                Transaction::Accepted => self.finish(&row, Ok(()), true).await?,
                Transaction::Refused(f) => self.finish(&row, Err(f), false).await?,
                Transaction::RefusedAfterHandOver(f) => self.finish(&row, Err(f), true).await?,
                Transaction::NotHandedOver(HandOverRefused::Lost) => {
                    tracing::warn!(to = %row.recipient, "the row was taken over by another sender");
                    self.round.lost += 1;
                }
                Transaction::NotHandedOver(HandOverRefused::Store(e)) => {
                    return Err(DeliveryError::Record(e));
                }
            }
        }
        Ok(())
    }

    /// Records one row's outcome: a `Sent` is written with the next
    /// hand-over; failures are written at once.
    async fn finish(
        &mut self,
        row: &OutboxMessage,
        outcome: Result<(), Failure>,
        handed: bool,
    ) -> Result<(), DeliveryError> {
        let at = Utc::now();
        let w = &self.shared.worker;
        let mark = match outcome {
            Ok(()) => {
                self.round.sent += 1;
                self.pending.push(OutboxMark::Sent { id: row.id, at });
                return Ok(());
            }
            Err(f) if !f.permanent && row.attempts < w.max_attempts => {
                self.round.retrying += 1;
                tracing::warn!(to = %row.recipient, error = %f.text, handed, "temporary failure, will retry");
                OutboxMark::Retry {
                    id: row.id,
                    next_attempt_at: w.retry_at(row.attempts, at),
                    error: f.text,
                }
            }
            Err(f) => {
                self.round.failed += 1;
                tracing::warn!(to = %row.recipient, error = %f.text, "delivery failed");
                OutboxMark::Failed {
                    id: row.id,
                    error: f.text,
                    at,
                }
            }
        };
        self.pending.push(mark);
        self.flush().await
    }

    async fn flush(&mut self) -> Result<(), DeliveryError> {
        let marks = std::mem::take(&mut self.pending);
        let n = marks.len();
        let applied = self
            .shared
            .recorder
            .record(marks)
            .await
            .map_err(DeliveryError::Record)?;
        let lost = n - applied.iter().filter(|&&a| a).count();
        if lost > 0 {
            tracing::warn!(lost, "outcomes not recorded: the rows were taken over");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_doubling() {
        let w = Worker::new("t");
        let now = Utc::now();
        assert_eq!(w.retry_at(1, now) - now, chrono::Duration::minutes(1));
        assert_eq!(w.retry_at(3, now) - now, chrono::Duration::minutes(4));
        assert!(w.retry_at(99, now) - now <= chrono::Duration::minutes(1024));
    }

    #[test]
    fn worker_names_carry_host_pid_and_start() {
        let name = worker_name();
        let mut parts = name.rsplitn(3, ':');
        let start: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let pid: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        assert_eq!(pid, std::process::id());
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(start > 0);
            assert_eq!(start_time(pid), Some(start));
        }
        assert_eq!(start_time(u32::MAX), None);
    }
}
