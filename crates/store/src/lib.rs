//! The alert archive.
//!
//! One [`Store`] trait, two implementations: SQLite (a single file, the default,
//! so a fresh machine needs no server) and PostgreSQL (for a shared, multi-process
//! deployment). Like Atuin's database layer, everything above this crate (CLI,
//! web, mail, fleet) talks to `dyn Store` and never to a driver.
//!
//! Both back ends share their SQL text (sqlx binds `$1`-style parameters on
//! both) and the revision rules, which live in [`hfr_model::revision`]; what
//! differs is only the connection set-up and the migration files under
//! `migrations/sqlite` and `migrations/postgres`.
//!
//! Every write is one transaction: a failed import leaves the archive exactly as
//! it was.
//!
//! Vendor documents are kept as they came, once: a source document is stored
//! in a table of its own keyed by the SHA-256 of its text, and every revision
//! made from it (a hundred alerts from one monthly document of Microsoft's)
//! refers to it. A vendor's monthly document is also kept as a release
//! ([`StoredRelease`]), written in the same transaction as its alerts.
//!
//! Beside the alerts the store keeps the subscription side (see [`mail`]):
//! subscribers, the server's settings, which alert revisions were published,
//! and a durable outbox of mail that workers claim with a lease and mark
//! sent, retried or failed. The outbox is written in the same transaction as
//! what caused it, so nothing is queued twice and nothing is lost.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use hfr_model::diff::Change;
use hfr_model::subscription::Preferences;
use hfr_model::{Action, Alert, Release, Severity};
use serde::{Deserialize, Serialize};

mod error;
mod kept;
pub mod mail;
mod open;
mod sql;

pub use error::StoreError;
pub use mail::{
    NewMessage, OutboxCount, OutboxMark, OutboxMessage, OutboxState, PublicationRecord,
    PublicationStart, Released, Subscriber, SubscriberState, MAX_ADDRESS_LEN,
};
pub use open::{default_sqlite_path, open, open_postgres, open_sqlite, DbLocation};
pub use sql::{AfterCommit, PgStore, SqliteStore, MAX_ID_LEN};

/// What kind of input produced a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `hfr import` of a document.
    Import,
    /// An analyst's edit (`hfr edit`).
    Edit,
    /// Demo data loaded by `hfr demo`.
    Demo,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Import => "import",
            SourceKind::Edit => "edit",
            SourceKind::Demo => "demo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "import" => Some(SourceKind::Import),
            "edit" => Some(SourceKind::Edit),
            "demo" => Some(SourceKind::Demo),
            _ => None,
        }
    }
}

/// Where a revision came from. The original document text is kept with the
/// revision (once per distinct text, however many revisions it made), so a
/// later, better importer can re-read it and nothing the page said is ever
/// lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    /// File path, URL, or who edited.
    pub name: String,
    /// Input format, e.g. `hotfix-text`, `json`.
    pub format: String,
    /// SHA-256 of the original bytes, hex.
    pub sha256: Option<String>,
    /// The document as decoded text. Not returned by [`Store::history`].
    pub text: Option<String>,
}

/// One alert to write, with its provenance.
#[derive(Debug, Clone)]
pub struct ImportItem {
    pub alert: Alert,
    pub source: Source,
    /// Record an older page (earlier 更新日) over a newer revision anyway.
    pub force: bool,
}

/// A vendor release to store together with the alerts it lists.
#[derive(Debug, Clone)]
pub struct ReleaseImport {
    pub release: Release,
    /// The alerts the release lists, in its order.
    pub alerts: Vec<Alert>,
    /// The release document: its text is kept once, for the release and for
    /// every alert revision it makes.
    pub source: Source,
    /// Record an older version of the document (earlier current release
    /// date) over a newer one anyway; passed on to its alerts.
    pub force: bool,
}

/// One thing `hfr import` read from one file: an alert, or a release with
/// its alerts.
// One per file of an import, so its size does not matter; boxing the item
// would only cost every caller a `Box::new`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ImportEntry {
    Alert(ImportItem),
    Release(ReleaseImport),
}

/// What happened to a release (its alerts have their own [`Outcome`]s).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReleaseOutcome {
    Created {
        id: String,
        revision: i64,
    },
    /// A changed version of the document replaced the stored one.
    Revised {
        id: String,
        revision: i64,
    },
    Unchanged {
        id: String,
        revision: i64,
    },
    /// Not stored: the archive holds a later version of the document.
    Stale {
        id: String,
        revision: i64,
        current_release: Option<DateTime<Utc>>,
        incoming_release: Option<DateTime<Utc>>,
    },
}

impl ReleaseOutcome {
    pub fn id(&self) -> &str {
        match self {
            ReleaseOutcome::Created { id, .. }
            | ReleaseOutcome::Revised { id, .. }
            | ReleaseOutcome::Unchanged { id, .. }
            | ReleaseOutcome::Stale { id, .. } => id,
        }
    }
}

/// What happened to one [`ImportEntry`]. Serialized as the alert's
/// [`Outcome`] alone, or as `{"release": …, "alerts": […]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EntryOutcome {
    Alert(Outcome),
    Release {
        release: ReleaseOutcome,
        alerts: Vec<Outcome>,
    },
}

impl EntryOutcome {
    /// The outcomes of the alerts the entry wrote or left alone.
    pub fn alerts(&self) -> &[Outcome] {
        match self {
            EntryOutcome::Alert(o) => std::slice::from_ref(o),
            EntryOutcome::Release { alerts, .. } => alerts,
        }
    }
}

/// A vendor release as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRelease {
    pub release: Release,
    /// 1 when first stored, one more for every changed version stored since.
    pub revision: i64,
    /// When the stored version was recorded.
    pub recorded_at: DateTime<Utc>,
    /// When revision 1 was recorded.
    pub created_at: DateTime<Utc>,
}

/// What happened to one [`ImportItem`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Created {
        id: String,
        revision: i64,
    },
    Revised {
        id: String,
        revision: i64,
        changes: Vec<Change>,
    },
    Unchanged {
        id: String,
        revision: i64,
    },
    /// Not stored: the archive's revision is newer than the page.
    Stale {
        id: String,
        revision: i64,
        current_updated: Option<NaiveDate>,
        incoming_updated: Option<NaiveDate>,
    },
}

impl Outcome {
    pub fn id(&self) -> &str {
        match self {
            Outcome::Created { id, .. }
            | Outcome::Revised { id, .. }
            | Outcome::Unchanged { id, .. }
            | Outcome::Stale { id, .. } => id,
        }
    }
}

/// An alert as stored, at one revision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAlert {
    pub alert: Alert,
    pub revision: i64,
    /// When this revision was recorded.
    pub recorded_at: DateTime<Utc>,
    /// When revision 1 was recorded.
    pub created_at: DateTime<Utc>,
}

/// One line of the archive listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertSummary {
    pub id: String,
    pub revision: i64,
    /// The date the archive files the alert under (edition, else registration,
    /// else update: [`hfr_model::Alert::date`]); what the listing sorts by and
    /// [`AlertFilter::year`] matches.
    pub date: Option<NaiveDate>,
    pub edition: Option<NaiveDate>,
    pub updated: Option<NaiveDate>,
    pub severity: Option<Severity>,
    pub exploit_code: Option<bool>,
    pub action: Option<Action>,
    pub title: String,
    pub target_server: Option<bool>,
    pub target_client: Option<bool>,
    pub recorded_at: DateTime<Utc>,
}

/// One entry of an alert's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionInfo {
    pub id: String,
    pub revision: i64,
    pub recorded_at: DateTime<Utc>,
    /// The alert's 更新日 at this revision.
    pub updated: Option<NaiveDate>,
    /// Provenance, without the document text.
    pub source: Source,
    /// What changed from the previous revision (empty for revision 1).
    pub changes: Vec<Change>,
}

/// The archive at a glance: what a page needs to know about the whole archive
/// (its freshness, its years) without reading every alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ArchiveOverview {
    /// How many alerts the archive holds.
    pub alerts: u64,
    /// When the newest current revision was recorded; None for an empty archive.
    pub last_change: Option<DateTime<Utc>>,
    /// The years alerts are filed under (edition, else registration, else
    /// update date: the same date `list` sorts and `AlertFilter::year`
    /// matches), newest first.
    pub years: Vec<i32>,
}

/// A stamp that changes whenever anything a reader sees changes: a cache of
/// rendered pages is good for as long as the generation stays the same.
/// Cheap to ask for (one small query), so a cache may ask often.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Generation {
    /// How many revisions of alerts and of releases the archive has
    /// recorded (they are only ever added).
    pub revisions: u64,
    /// When the newest one was recorded, as stored.
    pub last: Option<String>,
}

/// Server or client, for the 対象環境 filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Server,
    Client,
}

/// Which alerts to list. Every field narrows the result; the default lists all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertFilter {
    /// Only alerts at least this severe (Critical is the most severe).
    pub min_severity: Option<Severity>,
    pub action: Option<Action>,
    pub exploit_code: Option<bool>,
    pub target: Option<TargetKind>,
    /// Affected software, matched case-insensitively against the alert's products.
    pub product: Option<String>,
    /// Edition year (falls back to the registration date).
    pub year: Option<i32>,
    /// Edition month, 1-12; only with `year`.
    pub month: Option<u32>,
    /// At most this many rows (all when None).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// The archive. Implemented by the SQLite and PostgreSQL back ends.
#[async_trait]
pub trait Store: Send + Sync {
    /// Which back end this is, for logs and `hfr info`: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Writes every item in one transaction, deciding per item with
    /// [`hfr_model::revision::decide`]. On any error nothing is written.
    async fn import(&self, items: Vec<ImportItem>) -> Result<Vec<Outcome>, StoreError> {
        let entries = items.into_iter().map(ImportEntry::Alert).collect();
        let outcomes = self.import_entries(entries).await?;
        Ok(outcomes
            .into_iter()
            .flat_map(|o| o.alerts().to_vec())
            .collect())
    }

    /// Writes alerts and releases in one transaction, in order; on any error
    /// nothing is written. Each alert is decided with
    /// [`hfr_model::revision::decide`], after two rules about `action`: a
    /// re-import keeps an analyst's action ([`Alert::keep_analyst_action`]),
    /// and an edit that changes `action` but leaves `action_rule` as it was
    /// makes the rule [`hfr_model::ActionRule::Analyst`], so that the next
    /// import keeps it. For vendor data, whether an incoming version is
    /// older is decided by the vendor's revision dates rather than by
    /// `updated`, which an edit moves to its own day (so an edit never
    /// locks the vendor's later versions out). A release is stored when new
    /// or changed, unless the
    /// archive holds a later version of the document (and not `force`),
    /// in which case its alerts are left alone too; otherwise its alerts
    /// are decided one by one, so a re-imported month makes revisions only
    /// of the alerts whose facts changed. Each source
    /// text is kept once, and only when something written refers to it.
    async fn import_entries(
        &self,
        entries: Vec<ImportEntry>,
    ) -> Result<Vec<EntryOutcome>, StoreError>;

    /// [`Store::import_entries`] for entries still being read: each is
    /// written as it arrives, so reading the next file and writing this one
    /// overlap, all in one transaction that commits when the channel closes.
    /// An `Err` in the channel rolls everything back
    /// ([`StoreError::ImportAborted`] with its text). The outcomes come in
    /// the order of the entries.
    async fn import_entry_stream(
        &self,
        mut entries: tokio::sync::mpsc::Receiver<Result<ImportEntry, String>>,
    ) -> Result<Vec<EntryOutcome>, StoreError> {
        let mut all = Vec::new();
        while let Some(entry) = entries.recv().await {
            all.push(entry.map_err(StoreError::ImportAborted)?);
        }
        self.import_entries(all).await
    }

    /// Stores a release with its alerts (see [`Store::import_entries`]).
    async fn import_release(
        &self,
        release: ReleaseImport,
    ) -> Result<(ReleaseOutcome, Vec<Outcome>), StoreError> {
        let mut out = self
            .import_entries(vec![ImportEntry::Release(release)])
            .await?;
        match out.pop() {
            Some(EntryOutcome::Release { release, alerts }) => Ok((release, alerts)),
            _ => Err(StoreError::Corrupt {
                id: String::new(),
                revision: 0,
                reason: "the import of a release gave no release outcome".into(),
            }),
        }
    }

    /// A release at its stored version. Ids match case-insensitively.
    async fn release(&self, id: &str) -> Result<Option<StoredRelease>, StoreError>;

    /// Every release, newest first (first published, then id).
    async fn releases(&self) -> Result<Vec<StoredRelease>, StoreError>;

    /// The current revisions of the alerts with these ids (those that
    /// exist, matched case-insensitively), in the order of `ids`: what a
    /// release page shows, in a few queries rather than one per alert.
    async fn get_many(&self, ids: &[String]) -> Result<Vec<StoredAlert>, StoreError>;

    /// The current revision of an alert. Ids match case-insensitively.
    async fn get(&self, id: &str) -> Result<Option<StoredAlert>, StoreError>;

    /// One earlier (or the current) revision.
    async fn get_revision(
        &self,
        id: &str,
        revision: i64,
    ) -> Result<Option<StoredAlert>, StoreError>;

    /// The archive, newest first (edition date, then id), filtered and paged.
    async fn list(&self, filter: &AlertFilter) -> Result<Vec<AlertSummary>, StoreError>;

    /// How many alerts the filter matches, ignoring its limit and offset.
    async fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError>;

    /// Every revision of an alert, oldest first; empty when the id is unknown.
    async fn history(&self, id: &str) -> Result<Vec<RevisionInfo>, StoreError>;

    /// The original document a revision was made from, if one was kept.
    async fn source(&self, id: &str, revision: i64) -> Result<Option<Source>, StoreError>;

    /// Every product name in the archive with how many alerts name it, by name.
    async fn products(&self) -> Result<Vec<(String, u64)>, StoreError>;

    /// Size, freshness and years of the whole archive, from two small queries.
    async fn overview(&self) -> Result<ArchiveOverview, StoreError>;

    /// The archive's [`Generation`]: it differs after every write, by this
    /// process or any other sharing the database.
    async fn generation(&self) -> Result<Generation, StoreError>;

    // -----------------------------------------------------------------------
    // Settings.

    /// The stored value of a server-wide setting; `value` is stored (and
    /// returned) only when the key has none yet. Two processes starting at
    /// once both get the value that was stored first, so e.g. the token
    /// secret is made once and agreed on.
    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError>;

    /// The stored value of a setting, if it has one.
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;

    // -----------------------------------------------------------------------
    // Subscribers.

    /// Records a subscription request and returns the subscriber as stored.
    /// A new address becomes a pending subscriber with `nonce` as its token
    /// nonce. A pending or unsubscribed address goes (back) to pending with
    /// the new preferences: subscribing again needs a new confirmation. A
    /// confirmed address keeps being confirmed, with the new preferences. An
    /// existing subscriber keeps its nonce (links already mailed keep working;
    /// see [`Store::rotate_token_nonce`]). Addresses match without regard to
    /// case; the address is stored as given this time.
    ///
    /// The caller validates addresses; the store still refuses an empty one,
    /// one longer than [`MAX_ADDRESS_LEN`] bytes, or one with whitespace or a
    /// control character, with [`StoreError::InvalidSubscriber`].
    async fn upsert_subscriber(
        &self,
        address: &str,
        preferences: &Preferences,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Subscriber, StoreError>;

    /// One subscriber by id.
    async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError>;

    /// The subscribers with these ids (those that exist), in one query per
    /// few hundred: a sender reads the recipients of a whole batch at once.
    async fn subscribers(&self, ids: &[i64]) -> Result<Vec<Subscriber>, StoreError>;

    /// One subscriber by address, matched without regard to case.
    async fn subscriber_by_address(&self, address: &str) -> Result<Option<Subscriber>, StoreError>;

    /// Pending → confirmed. False (and nothing changes) when the subscriber
    /// is unknown or not pending.
    async fn confirm_subscriber(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// → unsubscribed, from pending or confirmed. False when the subscriber
    /// is unknown or already unsubscribed, so a second click changes nothing.
    /// Mail already queued for them stays queued: senders check the
    /// subscriber's state before sending.
    async fn unsubscribe(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Replaces a subscriber's preferences, whatever their state. False when
    /// the subscriber is unknown.
    async fn set_preferences(
        &self,
        id: i64,
        preferences: &Preferences,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Gives a subscriber a new token nonce, revoking every link mailed
    /// before. False when the subscriber is unknown.
    async fn rotate_token_nonce(&self, id: i64, nonce: &str) -> Result<bool, StoreError>;

    /// Confirmed subscribers with an id above `after_id`, by id, at most
    /// `limit`: page through them all by passing the last id seen, so a
    /// fan-out to every subscriber never holds them all in memory.
    async fn confirmed_subscribers(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<Subscriber>, StoreError>;

    // -----------------------------------------------------------------------
    // The outbox.

    /// The revisions of an alert that were published, oldest first (ids
    /// match without regard to case): the first publication of an alert is
    /// its HotFix Alert mail, later ones are update mails.
    async fn published_revisions(&self, alert_id: &str) -> Result<Vec<i64>, StoreError>;

    /// Starts publishing an alert revision (ids match without regard to
    /// case): records it, unfinished, when it is new. The publisher then
    /// queues its mail page by page with [`Store::enqueue`] and calls
    /// [`Store::finish_publication`]; memory does not grow with the number
    /// of recipients, and a publisher that stopped half way is resumed by
    /// publishing again ([`PublicationStart::Unfinished`]), the rows already
    /// queued being skipped.
    async fn begin_publication(
        &self,
        alert_id: &str,
        revision: i64,
        now: DateTime<Utc>,
    ) -> Result<PublicationStart, StoreError>;

    /// Records that all of a publication's mail is queued.
    async fn finish_publication(
        &self,
        alert_id: &str,
        revision: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Publishes a revision whose mail fits in memory, from beginning to
    /// end: returns how many rows were queued, or None when it was published
    /// before. An invalid message queues nothing and leaves the publication
    /// unfinished, to be made again.
    async fn publish(
        &self,
        alert_id: &str,
        revision: i64,
        now: DateTime<Utc>,
        outbox: Vec<NewMessage>,
    ) -> Result<Option<u64>, StoreError> {
        if self.begin_publication(alert_id, revision, now).await? == PublicationStart::Finished {
            return Ok(None);
        }
        let queued = self.enqueue(outbox).await?;
        self.finish_publication(alert_id, revision, now).await?;
        Ok(Some(queued))
    }

    /// The publications made in `[from, to)`, oldest first.
    async fn publications_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PublicationRecord>, StoreError>;

    /// Queues mail that belongs to no publication (confirmations, the
    /// weekly digest), in one transaction; a message already queued for the
    /// same key and recipient is skipped. Returns how many rows were queued.
    async fn enqueue(&self, outbox: Vec<NewMessage>) -> Result<u64, StoreError>;

    /// Claims up to `limit` rows for `worker`: first rows whose sender's
    /// lease ran out before `now` (a worker that died; those it had handed
    /// to the relay are counted as sent instead), then rows queued and
    /// due at `now`, earliest due first (lowest id among equals); returned
    /// by id. Each claimed row is `sending`, claimed by `worker` until
    /// `now + lease`, with one more attempt counted. Concurrent claimers
    /// never get the same row. `worker` must be unique per claimer (e.g.
    /// host, process id and a random part).
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Records what happened to claimed rows, in one transaction, in order.
    /// Each mark applies only while its row is `sending` and claimed by
    /// `worker`: a worker whose lease ran out and whose row another worker
    /// took over changes nothing. Returns, per mark, whether it applied.
    async fn record_outbox(
        &self,
        worker: &str,
        marks: &[OutboxMark],
    ) -> Result<Vec<bool>, StoreError>;

    /// [`Store::record_outbox`], then `then` right after the commit when the
    /// last mark applied (and never otherwise). The mail sender records a
    /// hand-over this way and writes the message's end line in `then`: the
    /// shorter the time between the two, the smaller the chance that a
    /// SIGKILL falls between them and loses the message. SQLite runs `then`
    /// in the committing thread as soon as the commit is in the WAL;
    /// PostgreSQL as soon as the server confirms the commit.
    async fn record_outbox_then(
        &self,
        worker: &str,
        marks: &[OutboxMark],
        then: AfterCommit,
    ) -> Result<Vec<bool>, StoreError> {
        let applied = self.record_outbox(worker, marks).await?;
        if applied.last() == Some(&true) {
            then();
        }
        Ok(applied)
    }

    /// Marks a claimed row sent (see [`Store::record_outbox`]).
    async fn mark_sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mark = OutboxMark::Sent { id, at: now };
        Ok(self.record_outbox(worker, &[mark]).await?.contains(&true))
    }

    /// Puts a claimed row back in the queue after a temporary failure, not to
    /// be claimed before `next_attempt_at`; `error` (e.g. the SMTP reply) is
    /// kept as its last error.
    async fn mark_retry(
        &self,
        id: i64,
        worker: &str,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mark = OutboxMark::Retry {
            id,
            next_attempt_at,
            error: error.to_string(),
        };
        Ok(self.record_outbox(worker, &[mark]).await?.contains(&true))
    }

    /// Gives up on a claimed row (a permanent failure): it is never claimed
    /// again; `error` is kept as its last error.
    async fn mark_failed(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mark = OutboxMark::Failed {
            id,
            error: error.to_string(),
            at: now,
        };
        Ok(self.record_outbox(worker, &[mark]).await?.contains(&true))
    }

    /// Of the rows `ids`, those whose hand-over `worker` recorded (whether
    /// or not they were settled as sent since): what a finisher completes
    /// after its sender died.
    async fn outbox_handed(&self, worker: &str, ids: &[i64]) -> Result<Vec<i64>, StoreError>;

    /// The workers that hold claims now (their rows are `sending`).
    async fn outbox_claimers(&self) -> Result<Vec<String>, StoreError>;

    /// Ends every claim of `worker`, a sender known to have stopped (e.g. a
    /// process on this host that no longer runs), without waiting for its
    /// lease: rows it had handed to the relay count as sent, the others are
    /// queued again, due at `now`.
    async fn release_claims(
        &self,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<Released, StoreError>;

    /// How many outbox rows each message has in each state, queued rows
    /// waiting for a retry counted apart; by message key, then state.
    async fn outbox_status(&self) -> Result<Vec<OutboxCount>, StoreError>;

    /// The failed rows of one message, oldest first, at most `limit`: each
    /// as (recipient, last error, attempts).
    async fn outbox_failures(
        &self,
        message_key: &str,
        limit: u32,
    ) -> Result<Vec<(String, String, u32)>, StoreError>;
}
