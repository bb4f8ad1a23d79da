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

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use hfr_model::diff::Change;
use hfr_model::{Action, Alert, Severity};
use serde::{Deserialize, Serialize};

mod error;
mod open;
mod sql;

pub use error::StoreError;
pub use open::{default_sqlite_path, open, open_postgres, open_sqlite, DbLocation};
pub use sql::{PgStore, SqliteStore, MAX_ID_LEN};

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
/// revision, so a later, better importer can re-read it and nothing the page
/// said is ever lost.
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
    /// How many revisions the archive has recorded (they are only ever added).
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
    async fn import(&self, items: Vec<ImportItem>) -> Result<Vec<Outcome>, StoreError>;

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
}
