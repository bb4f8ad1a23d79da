//! Delivery: the outbox, sent over SMTP.
//!
//! A worker claims a batch of due rows (a lease, so a crashed worker's rows
//! go to another after it runs out), composes each mail from what its row
//! names, sends it through one pooled SMTP connection, and records the
//! outcome row by row right after the relay answers: sent; temporary failure
//! (4xx, connection trouble) queued again with backoff; permanent failure
//! (5xx) recorded with the relay's reply and never retried. Several workers,
//! in one process or several, can share a store: a row is only ever claimed
//! by one at a time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hfr_store::{OutboxMessage, Store, StoreError, SubscriberState};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::compose::{alert_message, confirmation_message, ComposeError, Kind, Recipient, Sender};
use crate::subscribe::parse_confirmation_row_key;
use crate::token::{Purpose, Secret, TokenError};

/// The settings key of the token secret.
const SECRET_KEY: &str = "token_secret";

/// The server's token secret: made on first use and kept in the store, so
/// every process sharing the store signs and checks links alike.
pub async fn secret(store: &dyn Store) -> Result<Secret, DeliveryError> {
    let fresh = Secret::generate()?.to_hex();
    let stored = store.setting_or_insert(SECRET_KEY, &fresh).await?;
    Ok(Secret::from_hex(&stored)?)
}

/// Why a delivery round could not run (a single mail's failure is recorded
/// on its row instead).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("link tokens: {0}")]
    Token(#[from] TokenError),
    #[error("the SMTP relay setting {url:?}: {reason}")]
    Relay { url: String, reason: String },
}

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct Worker {
    /// Names this worker's claims (host and process id, say).
    pub name: String,
    /// Rows claimed at a time.
    pub batch: u32,
    /// How long a claim is held before another worker may take it over.
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
            batch: 200,
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

/// An SMTP relay from a URL: `smtp://host:port` (plain, for a local relay),
/// `smtp+starttls://…` or `smtps://…`, with `user:password@` when the relay
/// wants a login. Call it inside the Tokio runtime: the connection pool
/// starts a task.
pub fn relay(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
    let bad = |reason: &str| DeliveryError::Relay {
        url: redact(url),
        reason: reason.to_string(),
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("not a URL"))?;
    let (auth, hostport) = match rest.trim_end_matches('/').rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest.trim_end_matches('/')),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse::<u16>().map_err(|_| bad("bad port"))?)),
        None => (hostport, None),
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let mut builder = match scheme {
        "smtp" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        "smtp+starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| bad(&e.to_string()))?,
        "smtps" => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| bad(&e.to_string()))?
        }
        _ => return Err(bad("the scheme must be smtp, smtp+starttls or smtps")),
    };
    if let Some(p) = port {
        builder = builder.port(p);
    }
    if let Some(auth) = auth {
        let (user, pass) = auth.split_once(':').unwrap_or((auth, ""));
        builder = builder.credentials(Credentials::new(user.into(), pass.into()));
    }
    Ok(builder.timeout(Some(Duration::from_secs(30))).build())
}

/// The URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
        _ => url.to_string(),
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
    /// Rows whose outcome could not be recorded because the lease had
    /// passed to another worker.
    pub lost: u32,
}

impl Round {
    pub fn claimed(&self) -> u32 {
        self.sent + self.retrying + self.failed + self.lost
    }
}

enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
}

/// Claims one batch and delivers it. Returns what happened; a round that
/// claimed nothing means the outbox has nothing due.
pub async fn deliver_round(
    store: &dyn Store,
    sender: &Sender,
    secret: &Secret,
    relay: &AsyncSmtpTransport<Tokio1Executor>,
    worker: &Worker,
) -> Result<Round, DeliveryError> {
    let now = Utc::now();
    let batch = store
        .claim_outbox(&worker.name, now, worker.lease, worker.batch)
        .await?;
    let mut round = Round::default();
    for row in batch {
        let outcome = match compose(store, sender, secret, &row, Utc::now()).await {
            Ok(Some(message)) => match relay.send(message).await {
                Ok(_) => Outcome::Sent,
                Err(e) if e.is_permanent() => Outcome::Failed(e.to_string()),
                Err(e) => Outcome::Retry(e.to_string()),
            },
            Ok(None) => Outcome::Failed("the subscriber is no longer subscribed".into()),
            Err(e) => Outcome::Failed(format!("cannot compose: {e}")),
        };
        let at = Utc::now();
        let recorded = match outcome {
            Outcome::Sent => {
                round.sent += 1;
                store.mark_sent(row.id, &worker.name, at).await?
            }
            Outcome::Retry(e) if row.attempts < worker.max_attempts => {
                round.retrying += 1;
                tracing::warn!(to = %row.recipient, error = %e, "temporary failure, will retry");
                let next = worker.retry_at(row.attempts, at);
                store.mark_retry(row.id, &worker.name, next, &e).await?
            }
            Outcome::Retry(e) | Outcome::Failed(e) => {
                round.failed += 1;
                tracing::warn!(to = %row.recipient, error = %e, "delivery failed");
                store.mark_failed(row.id, &worker.name, &e, at).await?
            }
        };
        if !recorded {
            round.lost += 1;
        }
    }
    Ok(round)
}

/// The mail a row names, or None when its subscriber has left since it was
/// queued (nobody gets mail they no longer want).
async fn compose(
    store: &dyn Store,
    sender: &Sender,
    secret: &Secret,
    row: &OutboxMessage,
    now: DateTime<Utc>,
) -> Result<Option<lettre::Message>, ComposeFailure> {
    let Some(subscriber_id) = row.subscriber_id else {
        return Err(ComposeFailure::Unknown(row.message_key.clone()));
    };
    let Some(s) = store.subscriber(subscriber_id).await? else {
        return Ok(None);
    };
    if let Some((id, expires)) = parse_confirmation_row_key(&row.message_key) {
        // A confirmation goes only to the pending subscriber it was asked for.
        if id != s.id || s.state != SubscriberState::Pending {
            return Ok(None);
        }
        let token = secret.issue(Purpose::Confirm, s.id, &s.token_nonce, Some(expires))?;
        let to = s
            .address
            .parse()
            .map_err(|_| ComposeFailure::Unknown(format!("address {:?}", s.address)))?;
        return Ok(Some(confirmation_message(
            sender,
            &to,
            &token,
            &s.preferences,
            &row.message_id,
            now,
        )?));
    }
    if s.state != SubscriberState::Confirmed {
        return Ok(None);
    }
    let recipient = Recipient {
        address: s
            .address
            .parse()
            .map_err(|_| ComposeFailure::Unknown(format!("address {:?}", s.address)))?,
        unsubscribe_token: secret.issue(Purpose::Unsubscribe, s.id, &s.token_nonce, None)?,
        preferences_token: secret.issue(Purpose::Preferences, s.id, &s.token_nonce, None)?,
    };
    let (id, revision) = parse_alert_key(&row.message_key)
        .ok_or_else(|| ComposeFailure::Unknown(row.message_key.clone()))?;
    let message = match revision {
        None => {
            let current = store
                .get(id)
                .await?
                .ok_or_else(|| ComposeFailure::Unknown(row.message_key.clone()))?;
            alert_message(
                sender,
                &current.alert,
                Kind::NewAlert,
                &recipient,
                &row.message_id,
                now,
            )?
        }
        Some(n) => {
            let stored = store
                .get_revision(id, n)
                .await?
                .ok_or_else(|| ComposeFailure::Unknown(row.message_key.clone()))?;
            let changes = store
                .history(id)
                .await?
                .into_iter()
                .find(|r| r.revision == n)
                .map(|r| r.changes)
                .unwrap_or_default();
            let kind = Kind::Revision {
                revision: n,
                changes: &changes,
            };
            alert_message(
                sender,
                &stored.alert,
                kind,
                &recipient,
                &row.message_id,
                now,
            )?
        }
    };
    Ok(Some(message))
}

/// `alert.{ID}` (the alert mail) or `alert.{ID}.r{N}` (the update mail).
fn parse_alert_key(key: &str) -> Option<(&str, Option<i64>)> {
    let rest = key.strip_prefix("alert.")?;
    if let Some((id, n)) = rest.rsplit_once(".r") {
        if let Ok(n) = n.parse::<i64>() {
            return Some((id, Some(n)));
        }
    }
    Some((rest, None))
}

#[derive(Debug, thiserror::Error)]
enum ComposeFailure {
    #[error("nothing to send for {0}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_keys_name_the_alert_and_revision() {
        assert_eq!(parse_alert_key("alert.MS04-035"), Some(("MS04-035", None)));
        assert_eq!(
            parse_alert_key("alert.MS04-035.r2"),
            Some(("MS04-035", Some(2)))
        );
        assert_eq!(parse_alert_key("weekly.2004-10-11"), None);
        let key = crate::publish::message_key("MS04-039", 3, crate::publish::MailKind::Update);
        assert_eq!(parse_alert_key(&key), Some(("MS04-039", Some(3))));
    }

    #[tokio::test]
    async fn relay_urls_are_checked_and_passwords_kept_out_of_errors() {
        assert!(relay("smtp://127.0.0.1:2525").is_ok());
        assert!(relay("smtp://user:pw@127.0.0.1:2525").is_ok());
        let err = relay("ftp://user:secret@host:1")
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("scheme") && !err.contains("secret"), "{err}");
        assert!(relay("smtp://host:notaport").is_err());
        assert!(relay("nonsense").is_err());
    }

    #[test]
    fn retries_back_off_doubling() {
        let w = Worker::new("t");
        let now = Utc::now();
        assert_eq!(w.retry_at(1, now) - now, chrono::Duration::minutes(1));
        assert_eq!(w.retry_at(3, now) - now, chrono::Duration::minutes(4));
        assert!(w.retry_at(99, now) - now <= chrono::Duration::minutes(1024));
    }
}
