//! The one implementation of [`Store`] behind both back ends.
//!
//! Every statement is written once with `$1..$n` placeholders, which sqlx binds
//! on SQLite as well as on PostgreSQL. Everything that does not touch a
//! connection (validation, the revision rules, building the filter, turning
//! rows into model values) is plain code here; [`impl_store!`] only wires it
//! to a pool of one back end, and is expanded once per back end.
//!
//! The mail side (subscribers, settings, publications, the outbox) has its
//! statements and code in [`mailing`]; `impl_store!` expands its
//! `impl_mailing!` too and delegates the trait's mail methods to it.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use hfr_model::diff::Change;
use hfr_model::revision::{decide, Decision};
use hfr_model::subscription::Preferences;
use hfr_model::{Action, ActionRule, Alert, Release, Severity};

use crate::kept::{inflate, sha256_hex, KeptText};

use crate::mail::{
    NewMessage, OutboxCount, OutboxMark, OutboxMessage, PublicationRecord, PublicationStart,
    Released, Subscriber,
};
use crate::{
    AlertFilter, AlertSummary, ArchiveOverview, EntryOutcome, Generation, ImportEntry, Outcome,
    ReleaseOutcome, RevisionInfo, Source, SourceKind, Store, StoreError, StoredAlert,
    StoredRelease, TargetKind,
};

/// Subscribers, settings, publications and the outbox (`sql/mailing.rs`).
mod mailing;

pub use after_commit::AfterCommit;

/// The longest id the archive accepts.
pub const MAX_ID_LEN: usize = 64;

/// A value to bind, whatever the back end.
#[derive(Debug, Clone, PartialEq)]
enum Param {
    Text(Option<String>),
    Int(Option<i64>),
    Int32(Option<i32>),
    Bool(Option<bool>),
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(Some(v))
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(Some(v.to_string()))
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Param::Text(v)
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(Some(v))
    }
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Param::Int(v)
    }
}

impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(Some(v))
    }
}

/// A statement with its parameters, built up piece by piece.
#[derive(Debug, Clone, Default)]
struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    fn new(text: impl Into<String>, params: Vec<Param>) -> Self {
        Sql {
            text: text.into(),
            params,
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the next `$n` placeholder and its value.
    fn bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        self.text.push_str(&format!("${}", self.params.len()));
        self
    }
}

// ---------------------------------------------------------------------------
// Statements.

/// The columns of `alerts`, in the order [`alert_params`] binds them.
const ALERT_COLUMNS: [&str; 16] = [
    "id",
    "id_key",
    "revision",
    "severity",
    "exploit_code",
    "action",
    "edition",
    "registered",
    "updated",
    "sort_date",
    "title",
    "target_server",
    "target_client",
    "created_at",
    "recorded_at",
    "document",
];

static INSERT_ALERT: LazyLock<String> = LazyLock::new(|| {
    let values: Vec<String> = (1..=ALERT_COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO alerts ({}) VALUES ({})",
        ALERT_COLUMNS.join(", "),
        values.join(", ")
    )
});

/// Updates the row whose id is the last parameter (the id itself may change
/// case; the revisions and products follow by `ON UPDATE CASCADE`).
static UPDATE_ALERT: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = ALERT_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE alerts SET {} WHERE id = ${}",
        sets.join(", "),
        ALERT_COLUMNS.len() + 1
    )
});

/// A revision row without its JSON: while it is the current revision, the
/// JSON is `alerts.document` (kept once; see the migration
/// `20260501000000_revision_documents`).
const INSERT_REVISION: &str = "INSERT INTO alert_revisions \
     (alert_id, revision, recorded_at, updated, source_kind, source_name, source_format, \
      source_sha256, source_id, changes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Gives the current revision's row its JSON, before `alerts` takes the
/// next one: $1 the alert's id, $2 the current revision.
const KEEP_REVISION_DOCUMENT: &str = "UPDATE alert_revisions \
     SET document = (SELECT document FROM alerts WHERE id = $1) \
     WHERE alert_id = $2 AND revision = $3 AND document IS NULL";

/// A kept source document by the SHA-256 of its text.
const SELECT_SOURCE_ID: &str = "SELECT id FROM sources WHERE sha256 = $1";

/// A text is kept deflated, `text` left empty (see `kept.rs`).
const INSERT_SOURCE: &str = "INSERT INTO sources (sha256, bytes, text, deflated) \
     VALUES ($1, $2, $3, $4) RETURNING id";

/// Texts moved into `sources` by the SQLite migration, which cannot hash.
const SELECT_UNHASHED_SOURCES: &str =
    "SELECT id, text FROM sources WHERE sha256 IS NULL ORDER BY id LIMIT 64";

const SET_SOURCE_HASH: &str = "UPDATE sources SET sha256 = $1 WHERE id = $2";

/// The columns of `releases`, in the order [`write_release`] binds them.
const RELEASE_COLUMNS: [&str; 13] = [
    "id",
    "id_key",
    "revision",
    "title",
    "initial_release",
    "current_release",
    "vendor_revision",
    "sort_date",
    "alerts",
    "created_at",
    "recorded_at",
    "source_id",
    "document",
];

static INSERT_RELEASE: LazyLock<String> = LazyLock::new(|| {
    let values: Vec<String> = (1..=RELEASE_COLUMNS.len())
        .map(|i| format!("${i}"))
        .collect();
    format!(
        "INSERT INTO releases ({}) VALUES ({})",
        RELEASE_COLUMNS.join(", "),
        values.join(", ")
    )
});

/// Updates the release whose id is the last parameter.
static UPDATE_RELEASE: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = RELEASE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE releases SET {} WHERE id = ${}",
        sets.join(", "),
        RELEASE_COLUMNS.len() + 1
    )
});

const SELECT_RELEASE: &str = "SELECT id, revision, created_at, recorded_at, document \
     FROM releases WHERE id_key = $1";

const SELECT_RELEASES: &str = "SELECT id, revision, created_at, recorded_at, document \
     FROM releases ORDER BY sort_date DESC NULLS LAST, id";

/// The current revisions of some alerts; the `IN` list is appended.
const SELECT_MANY: &str = "SELECT id, revision, created_at, recorded_at, document \
     FROM alerts WHERE id_key IN (";

/// How many ids one [`SELECT_MANY`] binds.
const MANY_CHUNK: usize = 500;

const DELETE_PRODUCTS: &str = "DELETE FROM alert_products WHERE alert_id = $1";

/// Followed by one `($n, $n+1, $n+2)` a product.
const INSERT_PRODUCTS: &str = "INSERT INTO alert_products (alert_id, product, product_key) VALUES ";

const SELECT_CURRENT: &str = "SELECT id, revision, created_at, recorded_at, document \
     FROM alerts WHERE id_key = $1";

const SELECT_REVISION: &str = "SELECT a.id AS id, r.revision AS revision, \
     a.created_at AS created_at, r.recorded_at AS recorded_at, \
     COALESCE(r.document, a.document) AS document \
     FROM alert_revisions r JOIN alerts a ON a.id = r.alert_id \
     WHERE a.id_key = $1 AND r.revision = $2";

const SELECT_HISTORY: &str = "SELECT a.id AS id, r.revision AS revision, \
     r.recorded_at AS recorded_at, r.updated AS updated, r.source_kind AS source_kind, \
     r.source_name AS source_name, r.source_format AS source_format, \
     r.source_sha256 AS source_sha256, r.changes AS changes \
     FROM alert_revisions r JOIN alerts a ON a.id = r.alert_id \
     WHERE a.id_key = $1 ORDER BY r.revision";

const SELECT_SOURCE: &str = "SELECT a.id AS id, r.revision AS revision, \
     r.source_kind AS source_kind, r.source_name AS source_name, \
     r.source_format AS source_format, r.source_sha256 AS source_sha256, \
     s.text AS source_text, s.deflated AS source_deflated, s.bytes AS source_bytes \
     FROM alert_revisions r JOIN alerts a ON a.id = r.alert_id \
     LEFT JOIN sources s ON s.id = r.source_id \
     WHERE a.id_key = $1 AND r.revision = $2";

const SELECT_SUMMARY: &str =
    "SELECT id, revision, sort_date, edition, updated, severity, exploit_code, \
     action, title, target_server, target_client, recorded_at FROM alerts";

const SELECT_COUNT: &str = "SELECT COUNT(*) AS n FROM alerts";

const SELECT_PRODUCTS: &str = "SELECT product, COUNT(*) AS n FROM alert_products \
     GROUP BY product ORDER BY product";

const SELECT_FRESHNESS: &str = "SELECT COUNT(*) AS n, MAX(recorded_at) AS last FROM alerts";

/// Alert revisions and release versions alike: a release re-imported with new
/// notes changes its page without any alert changing.
const SELECT_GENERATION: &str = "SELECT CAST((SELECT COUNT(*) FROM alert_revisions) \
     + (SELECT COALESCE(SUM(revision), 0) FROM releases) AS BIGINT) AS n, \
     (SELECT MAX(t) FROM (SELECT MAX(recorded_at) AS t FROM alert_revisions \
      UNION ALL SELECT MAX(recorded_at) AS t FROM releases) AS times) AS last";

const SELECT_YEARS: &str = "SELECT DISTINCT substr(sort_date, 1, 4) AS year FROM alerts \
     WHERE sort_date IS NOT NULL ORDER BY year DESC";

const ORDER_NEWEST_FIRST: &str = " ORDER BY sort_date DESC NULLS LAST, id";

// ---------------------------------------------------------------------------
// Rows, as both back ends decode them.

#[derive(Debug, sqlx::FromRow)]
struct AlertRow {
    id: String,
    revision: i64,
    created_at: String,
    recorded_at: String,
    document: String,
}

/// A release as stored (the same columns as an alert's [`AlertRow`]).
#[derive(Debug, sqlx::FromRow)]
struct ReleaseRow {
    id: String,
    revision: i64,
    created_at: String,
    recorded_at: String,
    document: String,
}

#[derive(Debug, sqlx::FromRow)]
struct IdRow {
    id: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct UnhashedRow {
    id: i64,
    text: String,
}

#[derive(Debug, sqlx::FromRow)]
struct SummaryRow {
    id: String,
    revision: i64,
    sort_date: Option<String>,
    edition: Option<String>,
    updated: Option<String>,
    severity: Option<i32>,
    exploit_code: Option<bool>,
    action: Option<String>,
    title: String,
    target_server: Option<bool>,
    target_client: Option<bool>,
    recorded_at: String,
}

#[derive(Debug, sqlx::FromRow)]
struct HistoryRow {
    id: String,
    revision: i64,
    recorded_at: String,
    updated: Option<String>,
    source_kind: String,
    source_name: String,
    source_format: String,
    source_sha256: Option<String>,
    changes: String,
}

#[derive(Debug, sqlx::FromRow)]
struct SourceRow {
    id: String,
    revision: i64,
    source_kind: String,
    source_name: String,
    source_format: String,
    source_sha256: Option<String>,
    source_text: Option<String>,
    source_deflated: Option<Vec<u8>>,
    source_bytes: Option<i64>,
}

#[derive(Debug, sqlx::FromRow)]
struct CountRow {
    n: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct RevisionNumberRow {
    revision: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct FreshnessRow {
    n: i64,
    last: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
struct YearRow {
    year: String,
}

#[derive(Debug, sqlx::FromRow)]
struct ProductRow {
    product: String,
    n: i64,
}

fn corrupt(id: &str, revision: i64, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        id: id.to_string(),
        revision,
        reason: reason.into(),
    }
}

/// Timestamps are stored as RFC 3339 UTC with microseconds and a `Z`, so they
/// have one fixed width and sort as text.
fn format_timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_timestamp(id: &str, revision: i64, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(id, revision, format!("bad timestamp {s:?}: {e}")))
}

fn format_date(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn parse_date(id: &str, revision: i64, s: Option<&str>) -> Result<Option<NaiveDate>, StoreError> {
    s.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|e| corrupt(id, revision, format!("bad date {s:?}: {e}")))
    })
    .transpose()
}

fn parse_document(id: &str, revision: i64, document: &str) -> Result<Alert, StoreError> {
    serde_json::from_str(document).map_err(|e| {
        corrupt(
            id,
            revision,
            format!("the stored JSON document does not parse: {e}"),
        )
    })
}

fn parse_source_kind(id: &str, revision: i64, s: &str) -> Result<SourceKind, StoreError> {
    SourceKind::parse(s).ok_or_else(|| corrupt(id, revision, format!("unknown source kind {s:?}")))
}

impl AlertRow {
    fn into_stored(self) -> Result<StoredAlert, StoreError> {
        Ok(StoredAlert {
            alert: parse_document(&self.id, self.revision, &self.document)?,
            revision: self.revision,
            recorded_at: parse_timestamp(&self.id, self.revision, &self.recorded_at)?,
            created_at: parse_timestamp(&self.id, self.revision, &self.created_at)?,
        })
    }
}

impl SummaryRow {
    fn into_summary(self) -> Result<AlertSummary, StoreError> {
        let (id, rev) = (self.id.as_str(), self.revision);
        let severity = match self.severity {
            None => None,
            Some(n) => Some(
                u8::try_from(n)
                    .ok()
                    .and_then(Severity::from_number)
                    .ok_or_else(|| corrupt(id, rev, format!("bad severity {n}")))?,
            ),
        };
        let action = match self.action.as_deref() {
            None => None,
            Some(a) => Some(
                Action::parse(a).ok_or_else(|| corrupt(id, rev, format!("bad action {a:?}")))?,
            ),
        };
        Ok(AlertSummary {
            date: parse_date(id, rev, self.sort_date.as_deref())?,
            edition: parse_date(id, rev, self.edition.as_deref())?,
            updated: parse_date(id, rev, self.updated.as_deref())?,
            recorded_at: parse_timestamp(id, rev, &self.recorded_at)?,
            severity,
            action,
            exploit_code: self.exploit_code,
            title: self.title,
            target_server: self.target_server,
            target_client: self.target_client,
            revision: self.revision,
            id: self.id,
        })
    }
}

impl HistoryRow {
    fn into_info(self) -> Result<RevisionInfo, StoreError> {
        let (id, rev) = (self.id.as_str(), self.revision);
        let changes: Vec<Change> = serde_json::from_str(&self.changes)
            .map_err(|e| corrupt(id, rev, format!("the stored changes do not parse: {e}")))?;
        Ok(RevisionInfo {
            recorded_at: parse_timestamp(id, rev, &self.recorded_at)?,
            updated: parse_date(id, rev, self.updated.as_deref())?,
            source: Source {
                kind: parse_source_kind(id, rev, &self.source_kind)?,
                name: self.source_name,
                format: self.source_format,
                sha256: self.source_sha256,
                text: None,
            },
            changes,
            revision: self.revision,
            id: self.id,
        })
    }
}

impl SourceRow {
    fn into_source(self) -> Result<Source, StoreError> {
        Ok(Source {
            kind: parse_source_kind(&self.id, self.revision, &self.source_kind)?,
            name: self.source_name,
            format: self.source_format,
            sha256: self.source_sha256,
            text: match (self.source_deflated, self.source_text) {
                (Some(deflated), _) => Some(
                    inflate(&deflated, self.source_bytes.unwrap_or(-1))
                        .map_err(|reason| corrupt(&self.id, self.revision, reason))?,
                ),
                (None, text) => text,
            },
        })
    }
}

// ---------------------------------------------------------------------------
// Writing.

/// The key ids are looked up by: ids match case-insensitively.
fn id_key(id: &str) -> String {
    id.trim().to_uppercase()
}

/// Refuses an alert the archive must not hold. Called for every item inside
/// the import transaction, so a refused item rolls the whole batch back.
pub(crate) fn validate(alert: &Alert) -> Result<(), StoreError> {
    match id_problem(&alert.id) {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidAlert {
            id: alert.id.clone(),
            reason,
        }),
    }
}

/// What is wrong with an alert id, if anything: the one rule for ids that are
/// imported and ids that are published.
fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        Some("the id is empty".to_string())
    } else if id.chars().count() > MAX_ID_LEN {
        Some(format!("the id is longer than {MAX_ID_LEN} characters"))
    } else if id.chars().any(char::is_whitespace) {
        Some("the id contains whitespace".to_string())
    } else if id.chars().any(char::is_control) {
        Some("the id contains a control character".to_string())
    } else {
        None
    }
}

/// The current revision of an alert, as the import transaction sees it.
struct Current {
    id: String,
    revision: i64,
    created_at: String,
    alert: Alert,
}

impl AlertRow {
    fn into_current(self) -> Result<Current, StoreError> {
        Ok(Current {
            alert: parse_document(&self.id, self.revision, &self.document)?,
            id: self.id,
            revision: self.revision,
            created_at: self.created_at,
        })
    }
}

/// The `alerts` columns for `alert` at `revision`, in [`ALERT_COLUMNS`] order.
fn alert_params(
    alert: &Alert,
    revision: i64,
    created_at: &str,
    recorded_at: &str,
    document: &str,
) -> Vec<Param> {
    vec![
        alert.id.clone().into(),
        id_key(&alert.id).into(),
        revision.into(),
        Param::Int32(alert.severity.map(|s| i32::from(s.number()))),
        Param::Bool(alert.exploit_code),
        Param::Text(alert.action.map(|a| a.key().to_string())),
        format_date(alert.edition).into(),
        format_date(alert.registered).into(),
        format_date(alert.updated).into(),
        format_date(alert.date()).into(),
        alert.title.clone().into(),
        Param::Bool(alert.target.map(|t| t.server)),
        Param::Bool(alert.target.map(|t| t.client)),
        created_at.into(),
        recorded_at.into(),
        document.into(),
    ]
}

/// The statements that record `alert` as `revision` (the text of its source
/// kept as source `source_id`), and the revision number.
fn write_revision(
    current: Option<&Current>,
    alert: &Alert,
    changes: &[Change],
    source: &Source,
    source_id: Option<i64>,
    recorded_at: &str,
) -> Result<(Vec<Sql>, i64), StoreError> {
    let document = serde_json::to_string(alert).map_err(|e| StoreError::InvalidAlert {
        id: alert.id.clone(),
        reason: format!("it cannot be serialized: {e}"),
    })?;
    let changes_json = serde_json::to_string(changes).map_err(|e| StoreError::InvalidAlert {
        id: alert.id.clone(),
        reason: format!("its changes cannot be serialized: {e}"),
    })?;
    let mut out = Vec::new();
    let revision = match current {
        None => {
            let params = alert_params(alert, 1, recorded_at, recorded_at, &document);
            out.push(Sql::new(INSERT_ALERT.as_str(), params));
            1
        }
        Some(cur) => {
            let revision = cur.revision + 1;
            out.push(Sql::new(
                KEEP_REVISION_DOCUMENT,
                vec![
                    cur.id.clone().into(),
                    cur.id.clone().into(),
                    cur.revision.into(),
                ],
            ));
            let mut params = alert_params(alert, revision, &cur.created_at, recorded_at, &document);
            params.push(cur.id.clone().into());
            out.push(Sql::new(UPDATE_ALERT.as_str(), params));
            out.push(Sql::new(DELETE_PRODUCTS, vec![alert.id.clone().into()]));
            revision
        }
    };
    out.push(Sql::new(
        INSERT_REVISION,
        vec![
            alert.id.clone().into(),
            revision.into(),
            recorded_at.into(),
            format_date(alert.updated).into(),
            source.kind.as_str().into(),
            source.name.clone().into(),
            source.format.clone().into(),
            source.sha256.clone().into(),
            source_id.into(),
            changes_json.into(),
        ],
    ));
    // One statement for all of the alert's products (a Microsoft CVE names
    // nine on average, some over a hundred): a statement is a round trip to
    // the database, and a month holds a hundred CVEs.
    let products = alert.products();
    if !products.is_empty() {
        let mut insert = Sql::new(INSERT_PRODUCTS, Vec::new());
        for (i, product) in products.into_iter().enumerate() {
            let key = product.to_lowercase();
            insert.push(if i == 0 { "(" } else { ", (" });
            insert.bind(alert.id.clone()).push(", ");
            insert.bind(product).push(", ");
            insert.bind(key).push(")");
        }
        out.push(insert);
    }
    Ok((out, revision))
}

/// What an incoming alert means for the archive.
enum Plan {
    /// Record `alert` as the next revision (the first, without `current`).
    Write(Box<WritePlan>),
    /// Nothing to write.
    Skip(Outcome),
}

/// A revision to record: the alert, what it replaces and what changed.
struct WritePlan {
    current: Option<Current>,
    alert: Alert,
    changes: Vec<Change>,
    created: bool,
}

/// The rules about `action` that come before the revision rules: an
/// analyst's choice survives a re-import of the vendor's document, and an
/// edit that changes the action without saying why is the analyst's choice.
/// (An edit that sets `action_rule` itself, e.g. back to a default rule, is
/// taken as written.)
fn apply_action_rules(current: Option<&Current>, incoming: &mut Alert, kind: SourceKind) {
    let Some(cur) = current else { return };
    match kind {
        SourceKind::Edit => {
            if incoming.action != cur.alert.action && incoming.action_rule == cur.alert.action_rule
            {
                incoming.action_rule = Some(ActionRule::Analyst);
            }
        }
        SourceKind::Import | SourceKind::Demo => {
            incoming.keep_analyst_action(&cur.alert);
        }
    }
}

/// The latest date of the vendor's own revision history of an alert.
fn vendor_clock(a: &Alert) -> Option<chrono::DateTime<Utc>> {
    a.vendor_revisions.iter().filter_map(|r| r.date).max()
}

/// Decides what one alert means for the archive, with the model's revision
/// rules.
///
/// One rule comes first for vendor data: whether an incoming version is
/// older than the archive's is the vendor's to say, by the latest date of
/// its revision history. `updated`, which the model's rule compares, is
/// moved to the day of an analyst's edit; compared with that, every later
/// version of the vendor's document dated before the edit would be refused
/// as stale, and the edit would shut the vendor out.
fn plan_item(
    current: Option<Current>,
    mut alert: Alert,
    kind: SourceKind,
    today: NaiveDate,
    force: bool,
) -> Result<Plan, StoreError> {
    validate(&alert)?;
    apply_action_rules(current.as_ref(), &mut alert, kind);
    let mut force = force;
    if let Some(cur) = &current {
        if let (Some(c), Some(i)) = (vendor_clock(&cur.alert), vendor_clock(&alert)) {
            if i < c && !force {
                return Ok(Plan::Skip(Outcome::Stale {
                    id: cur.id.clone(),
                    revision: cur.revision,
                    current_updated: cur.alert.updated,
                    incoming_updated: alert.updated,
                }));
            }
            // Not older by the vendor's clock: the model's date rule must
            // not refuse it.
            force = true;
        }
    }
    let decision = decide(current.as_ref().map(|c| &c.alert), alert, today, force);
    match (decision, current) {
        // `decide` creates only when there is no current revision.
        (Decision::Create(alert), cur) => Ok(Plan::Write(Box::new(WritePlan {
            current: cur,
            alert,
            changes: Vec::new(),
            created: true,
        }))),
        (Decision::Revise { alert, changes }, cur) => Ok(Plan::Write(Box::new(WritePlan {
            current: cur,
            alert,
            changes,
            created: false,
        }))),
        (Decision::Unchanged, Some(cur)) => Ok(Plan::Skip(Outcome::Unchanged {
            id: cur.id,
            revision: cur.revision,
        })),
        (Decision::Stale { current, incoming }, Some(cur)) => Ok(Plan::Skip(Outcome::Stale {
            id: cur.id,
            revision: cur.revision,
            current_updated: current,
            incoming_updated: incoming,
        })),
        (Decision::Unchanged | Decision::Stale { .. }, None) => {
            unreachable!("decide() only compares against an existing revision")
        }
    }
}

/// The statements for a [`Plan::Write`] and its outcome.
fn write_plan(
    write: WritePlan,
    source: &Source,
    source_id: Option<i64>,
    recorded_at: &str,
) -> Result<(Vec<Sql>, Outcome), StoreError> {
    let WritePlan {
        current,
        alert,
        changes,
        created,
    } = write;
    let (stmts, revision) = write_revision(
        current.as_ref(),
        &alert,
        &changes,
        source,
        source_id,
        recorded_at,
    )?;
    let outcome = if created {
        Outcome::Created {
            id: alert.id,
            revision,
        }
    } else {
        Outcome::Revised {
            id: alert.id,
            revision,
            changes,
        }
    };
    Ok((stmts, outcome))
}

/// The source of an import entry, its `sources` row found or made on first
/// need: a month whose alerts are all unchanged stores no copy of it.
struct SourceRef<'a> {
    text: Option<&'a str>,
    /// The text hashed and deflated ahead, if it was.
    kept: Option<KeptText>,
    id: Option<i64>,
}

impl<'a> SourceRef<'a> {
    fn new(source: &'a Source, kept: Option<KeptText>) -> Self {
        SourceRef {
            text: source.text.as_deref(),
            kept,
            id: None,
        }
    }
}

/// How many entries of an import stream are prepared ahead of the writer.
const PREPARE_AHEAD: usize = 2;

/// An entry of an import stream (or why the stream was given up) and its
/// source text as it will be kept.
type PreparedEntry = (Result<ImportEntry, String>, Option<KeptText>);

/// The entries of an import stream in order, each with its source text
/// prepared ahead (see [`prepare`]).
struct Prepared {
    entries: tokio::sync::mpsc::Receiver<Result<ImportEntry, String>>,
    ahead: std::collections::VecDeque<tokio::task::JoinHandle<PreparedEntry>>,
    more: bool,
}

impl Prepared {
    fn new(entries: tokio::sync::mpsc::Receiver<Result<ImportEntry, String>>) -> Self {
        Prepared {
            entries,
            ahead: std::collections::VecDeque::with_capacity(PREPARE_AHEAD),
            more: true,
        }
    }

    /// The next entry; None at the end of the stream.
    async fn next(&mut self) -> Result<Option<PreparedEntry>, StoreError> {
        use tokio::sync::mpsc::error::TryRecvError;
        while self.more && self.ahead.len() < PREPARE_AHEAD {
            // Wait for the channel only with nothing in hand.
            let next = if self.ahead.is_empty() {
                self.entries.recv().await
            } else {
                match self.entries.try_recv() {
                    Ok(entry) => Some(entry),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => None,
                }
            };
            match next {
                Some(entry) => self
                    .ahead
                    .push_back(tokio::task::spawn_blocking(move || prepare(entry))),
                None => self.more = false,
            }
        }
        match self.ahead.pop_front() {
            None => Ok(None),
            Some(next) => next
                .await
                .map(Some)
                .map_err(|e| StoreError::ImportAborted(format!("preparing an entry failed: {e}"))),
        }
    }
}

/// An entry of an import stream with its source text hashed and deflated:
/// the part of storing it that needs no connection, done on a blocking
/// thread while the writer stores the entries before it.
fn prepare(entry: Result<ImportEntry, String>) -> PreparedEntry {
    let text = match &entry {
        Ok(ImportEntry::Alert(item)) => item.source.text.as_deref(),
        Ok(ImportEntry::Release(r)) => r.source.text.as_deref(),
        Err(_) => None,
    };
    let kept = text.map(KeptText::of);
    (entry, kept)
}

/// The release as stored, as the import transaction sees it.
struct CurrentRelease {
    id: String,
    revision: i64,
    created_at: String,
    release: Release,
}

impl ReleaseRow {
    fn parse(&self) -> Result<Release, StoreError> {
        serde_json::from_str(&self.document).map_err(|e| {
            corrupt(
                &self.id,
                self.revision,
                format!("the stored JSON of the release does not parse: {e}"),
            )
        })
    }

    fn into_current(self) -> Result<CurrentRelease, StoreError> {
        Ok(CurrentRelease {
            release: self.parse()?,
            id: self.id,
            revision: self.revision,
            created_at: self.created_at,
        })
    }

    fn into_stored(self) -> Result<StoredRelease, StoreError> {
        Ok(StoredRelease {
            release: self.parse()?,
            revision: self.revision,
            recorded_at: parse_timestamp(&self.id, self.revision, &self.recorded_at)?,
            created_at: parse_timestamp(&self.id, self.revision, &self.created_at)?,
        })
    }
}

/// Refuses a release the archive must not hold (the rule for alert ids).
fn validate_release(release: &Release) -> Result<(), StoreError> {
    match id_problem(&release.id) {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidRelease {
            id: release.id.clone(),
            reason,
        }),
    }
}

/// What an incoming release means: written as `revision` (with the row it
/// replaces), or not at all.
enum ReleasePlan {
    Write {
        current: Option<Box<CurrentRelease>>,
        revision: i64,
    },
    Skip(ReleaseOutcome),
}

/// The same version again changes nothing; an older version (earlier
/// current release date) is stale unless forced; anything else is the next
/// revision of the release.
fn plan_release(current: Option<CurrentRelease>, incoming: &Release, force: bool) -> ReleasePlan {
    let Some(cur) = current else {
        return ReleasePlan::Write {
            current: None,
            revision: 1,
        };
    };
    if cur.release == *incoming {
        return ReleasePlan::Skip(ReleaseOutcome::Unchanged {
            id: cur.id,
            revision: cur.revision,
        });
    }
    if let (Some(c), Some(i)) = (cur.release.current_release, incoming.current_release) {
        if i < c && !force {
            return ReleasePlan::Skip(ReleaseOutcome::Stale {
                id: cur.id,
                revision: cur.revision,
                current_release: Some(c),
                incoming_release: Some(i),
            });
        }
    }
    ReleasePlan::Write {
        revision: cur.revision + 1,
        current: Some(Box::new(cur)),
    }
}

/// The statement that writes a release as `revision`, and its outcome.
fn write_release(
    current: Option<&CurrentRelease>,
    release: &Release,
    revision: i64,
    source_id: Option<i64>,
    recorded_at: &str,
) -> Result<(Sql, ReleaseOutcome), StoreError> {
    let document = serde_json::to_string(release).map_err(|e| StoreError::InvalidRelease {
        id: release.id.clone(),
        reason: format!("it cannot be serialized: {e}"),
    })?;
    let created_at = current.map_or(recorded_at, |c| c.created_at.as_str());
    let mut params: Vec<Param> = vec![
        release.id.clone().into(),
        id_key(&release.id).into(),
        revision.into(),
        release.title.clone().into(),
        release.initial_release.map(format_timestamp).into(),
        release.current_release.map(format_timestamp).into(),
        release.revision.clone().into(),
        release
            .initial_release
            .or(release.current_release)
            .map(format_timestamp)
            .into(),
        i64::try_from(release.alerts.len())
            .unwrap_or(i64::MAX)
            .into(),
        created_at.into(),
        recorded_at.into(),
        source_id.into(),
        document.into(),
    ];
    let (sql, outcome) = match current {
        None => (
            Sql::new(INSERT_RELEASE.as_str(), params),
            ReleaseOutcome::Created {
                id: release.id.clone(),
                revision,
            },
        ),
        Some(cur) => {
            params.push(cur.id.clone().into());
            (
                Sql::new(UPDATE_RELEASE.as_str(), params),
                ReleaseOutcome::Revised {
                    id: release.id.clone(),
                    revision,
                },
            )
        }
    };
    Ok((sql, outcome))
}

/// `ids` in chunks, each with its `SELECT_MANY` statement.
fn many_sql(ids: &[String]) -> Vec<Sql> {
    ids.chunks(MANY_CHUNK)
        .map(|chunk| {
            let mut sql = Sql::new(SELECT_MANY, Vec::new());
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(id_key(id));
            }
            sql.push(")");
            sql
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Reading.

/// Escapes `%`, `_` and the escape character itself for `LIKE … ESCAPE '\'`.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Appends the filter's `WHERE` clause (nothing when it filters nothing).
fn push_where(sql: &mut Sql, filter: &AlertFilter) {
    let mut first = true;
    let mut and = |sql: &mut Sql| {
        sql.push(if first { " WHERE " } else { " AND " });
        first = false;
    };
    if let Some(s) = filter.min_severity {
        and(sql);
        sql.push("severity <= ")
            .bind(Param::Int32(Some(i32::from(s.number()))));
    }
    if let Some(a) = filter.action {
        and(sql);
        sql.push("action = ").bind(a.key());
    }
    if let Some(e) = filter.exploit_code {
        and(sql);
        sql.push("exploit_code = ").bind(e);
    }
    match filter.target {
        Some(TargetKind::Server) => {
            and(sql);
            sql.push("target_server = ").bind(true);
        }
        Some(TargetKind::Client) => {
            and(sql);
            sql.push("target_client = ").bind(true);
        }
        None => {}
    }
    if let Some(p) = filter
        .product
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        and(sql);
        sql.push(
            "EXISTS (SELECT 1 FROM alert_products p \
             WHERE p.alert_id = alerts.id AND p.product_key LIKE ",
        )
        .bind(format!("%{}%", escape_like(&p.to_lowercase())))
        .push(" ESCAPE '\\')");
    }
    match (filter.year, filter.month) {
        (Some(year), month) => {
            let range = match month {
                None => NaiveDate::from_ymd_opt(year, 1, 1).zip(NaiveDate::from_ymd_opt(
                    year.saturating_add(1),
                    1,
                    1,
                )),
                Some(m) => NaiveDate::from_ymd_opt(year, m, 1).zip(if m == 12 {
                    NaiveDate::from_ymd_opt(year.saturating_add(1), 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(year, m + 1, 1)
                }),
            };
            and(sql);
            match range {
                Some((from, to)) => {
                    sql.push("sort_date >= ")
                        .bind(from.format("%Y-%m-%d").to_string())
                        .push(" AND sort_date < ")
                        .bind(to.format("%Y-%m-%d").to_string());
                }
                // No such year or month: nothing matches.
                None => {
                    sql.push("1 = 0");
                }
            }
        }
        (None, Some(m)) => {
            and(sql);
            sql.push("substr(sort_date, 6, 2) = ")
                .bind(format!("{m:02}"));
        }
        (None, None) => {}
    }
}

fn list_sql(filter: &AlertFilter) -> Sql {
    let mut sql = Sql::new(SELECT_SUMMARY, Vec::new());
    push_where(&mut sql, filter);
    sql.push(ORDER_NEWEST_FIRST);
    if filter.limit.is_some() || filter.offset.is_some() {
        let limit = filter.limit.map_or(i64::MAX, i64::from);
        sql.push(" LIMIT ").bind(limit);
        sql.push(" OFFSET ")
            .bind(i64::from(filter.offset.unwrap_or(0)));
    }
    sql
}

fn count_sql(filter: &AlertFilter) -> Sql {
    let mut sql = Sql::new(SELECT_COUNT, Vec::new());
    push_where(&mut sql, filter);
    sql
}

// ---------------------------------------------------------------------------
// The back ends.

/// Binds every parameter of a [`Sql`] to a sqlx query (or query_as).
macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut q = $query;
        for p in $params {
            q = match p {
                Param::Text(v) => q.bind(v),
                Param::Int(v) => q.bind(v),
                Param::Int32(v) => q.bind(v),
                Param::Bool(v) => q.bind(v),
            };
        }
        q
    }};
}

mod after_commit;

/// One `Store` implementation for the back end `$db`.
///
/// `$begin` opens the import transaction; `$lock` runs first inside it, so
/// concurrent imports queue instead of failing on the same new id.
/// `$claim_lock`, `$max_params` and `$placeholders` are for the outbox: see
/// [`mailing`].
macro_rules! impl_store {
    (
        $(#[$meta:meta])* $name:ident, $db:ty, $backend:literal,
        begin: $begin:literal,
        lock: $lock:expr,
        claim_lock: $claim_lock:literal,
        max_params: $max_params:literal,
        placeholders: $placeholders:ident,
        writer: $writer:ty
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            pool: sqlx::Pool<$db>,
            /// Runs the mail sender's hand-overs.
            writer: Arc<$writer>,
        }

        impl $name {
            /// Wraps a pool whose database is already migrated.
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                $name {
                    pool,
                    writer: Arc::default(),
                }
            }

            /// The connection pool, e.g. to close it.
            pub fn pool(&self) -> &sqlx::Pool<$db> {
                &self.pool
            }

            async fn fetch_all<R>(&self, sql: Sql) -> Result<Vec<R>, StoreError>
            where
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                let q = bind_all!(sqlx::query_as::<_, R>(&sql.text), sql.params);
                Ok(q.fetch_all(&self.pool).await?)
            }

            async fn fetch_optional<R>(&self, sql: Sql) -> Result<Option<R>, StoreError>
            where
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                let q = bind_all!(sqlx::query_as::<_, R>(&sql.text), sql.params);
                Ok(q.fetch_optional(&self.pool).await?)
            }

            /// One alert of an import, inside its transaction.
            async fn import_alert(
                tx: &mut sqlx::Transaction<'static, $db>,
                alert: Alert,
                source: &Source,
                source_ref: &mut SourceRef<'_>,
                force: bool,
                today: NaiveDate,
                recorded_at: &str,
            ) -> Result<Outcome, StoreError> {
                let current = sqlx::query_as::<_, AlertRow>(SELECT_CURRENT)
                    .bind(id_key(&alert.id))
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(AlertRow::into_current)
                    .transpose()?;
                let outcome = match plan_item(current, alert, source.kind, today, force)? {
                    Plan::Skip(outcome) => outcome,
                    Plan::Write(write) => {
                        let source_id = Self::source_id(tx, source_ref).await?;
                        let (statements, outcome) =
                            write_plan(*write, source, source_id, recorded_at)?;
                        for sql in statements {
                            bind_all!(sqlx::query(&sql.text), sql.params)
                                .execute(&mut **tx)
                                .await?;
                        }
                        outcome
                    }
                };
                tracing::debug!(?outcome, "import item");
                Ok(outcome)
            }

            /// An alert of an older version of a release document: stale
            /// when the archive has the alert (None, to be imported, when
            /// it has not).
            async fn stale_alert(
                tx: &mut sqlx::Transaction<'static, $db>,
                alert: &Alert,
            ) -> Result<Option<Outcome>, StoreError> {
                validate(alert)?;
                let current = sqlx::query_as::<_, AlertRow>(SELECT_CURRENT)
                    .bind(id_key(&alert.id))
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(AlertRow::into_current)
                    .transpose()?;
                Ok(current.map(|cur| Outcome::Stale {
                    id: cur.id,
                    revision: cur.revision,
                    current_updated: cur.alert.updated,
                    incoming_updated: alert.updated,
                }))
            }

            /// The `sources` row of an entry's text, found by its SHA-256 or
            /// made; None when the entry kept no text.
            async fn source_id(
                tx: &mut sqlx::Transaction<'static, $db>,
                source: &mut SourceRef<'_>,
            ) -> Result<Option<i64>, StoreError> {
                if source.id.is_some() {
                    return Ok(source.id);
                }
                let Some(text) = source.text else {
                    return Ok(None);
                };
                let kept = match source.kept.take() {
                    Some(kept) => kept,
                    None => KeptText::of(text),
                };
                let found = sqlx::query_as::<_, IdRow>(SELECT_SOURCE_ID)
                    .bind(&kept.sha256)
                    .fetch_optional(&mut **tx)
                    .await?;
                let id = match found {
                    Some(row) => row.id,
                    None => {
                        sqlx::query_as::<_, IdRow>(INSERT_SOURCE)
                            .bind(&kept.sha256)
                            .bind(kept.bytes)
                            .bind(if kept.deflated.is_some() { "" } else { text })
                            .bind(kept.deflated)
                            .fetch_one(&mut **tx)
                            .await?
                            .id
                    }
                };
                source.id = Some(id);
                Ok(source.id)
            }

            /// Gives the texts the SQLite migration moved into `sources`
            /// their SHA-256 (SQLite has no function for it), a few at a
            /// time, so that importing one of them again finds it. Nothing
            /// to do (one small query) on every later open.
            pub(crate) async fn hash_moved_sources(&self) -> Result<u64, StoreError> {
                let mut done = 0u64;
                loop {
                    let rows = sqlx::query_as::<_, UnhashedRow>(SELECT_UNHASHED_SOURCES)
                        .fetch_all(&self.pool)
                        .await?;
                    if rows.is_empty() {
                        return Ok(done);
                    }
                    let mut tx = self.pool.begin_with($begin).await?;
                    for row in rows {
                        sqlx::query(SET_SOURCE_HASH)
                            .bind(sha256_hex(&row.text))
                            .bind(row.id)
                            .execute(&mut *tx)
                            .await?;
                        done += 1;
                    }
                    tx.commit().await?;
                }
            }
        }

        #[async_trait]
        impl Store for $name {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn import_entries(
                &self,
                entries: Vec<ImportEntry>,
            ) -> Result<Vec<EntryOutcome>, StoreError> {
                if entries.is_empty() {
                    return Ok(Vec::new());
                }
                let (tx, rx) = tokio::sync::mpsc::channel(entries.len());
                for entry in entries {
                    // The channel has room for all of them.
                    let _ = tx.try_send(Ok(entry));
                }
                drop(tx);
                self.import_entry_stream(rx).await
            }

            async fn import_entry_stream(
                &self,
                entries: tokio::sync::mpsc::Receiver<Result<ImportEntry, String>>,
            ) -> Result<Vec<EntryOutcome>, StoreError> {
                let now = Utc::now();
                let today = now.date_naive();
                let recorded_at = format_timestamp(now);
                let mut tx = self.pool.begin_with($begin).await?;
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let mut outcomes = Vec::new();
                let mut entries = Prepared::new(entries);
                while let Some((entry, kept)) = entries.next().await? {
                    // Dropping the transaction rolls it back.
                    match entry.map_err(StoreError::ImportAborted)? {
                        ImportEntry::Alert(item) => {
                            let mut source = SourceRef::new(&item.source, kept);
                            let outcome = Self::import_alert(
                                &mut tx,
                                item.alert,
                                &item.source,
                                &mut source,
                                item.force,
                                today,
                                &recorded_at,
                            )
                            .await?;
                            outcomes.push(EntryOutcome::Alert(outcome));
                        }
                        ImportEntry::Release(r) => {
                            validate_release(&r.release)?;
                            let mut source = SourceRef::new(&r.source, kept);
                            let current = sqlx::query_as::<_, ReleaseRow>(SELECT_RELEASE)
                                .bind(id_key(&r.release.id))
                                .fetch_optional(&mut *tx)
                                .await?
                                .map(ReleaseRow::into_current)
                                .transpose()?;
                            let release = match plan_release(current, &r.release, r.force) {
                                ReleasePlan::Skip(outcome) => outcome,
                                ReleasePlan::Write { current, revision } => {
                                    let source_id =
                                        Self::source_id(&mut tx, &mut source).await?;
                                    let (sql, outcome) = write_release(
                                        current.as_deref(),
                                        &r.release,
                                        revision,
                                        source_id,
                                        &recorded_at,
                                    )?;
                                    bind_all!(sqlx::query(&sql.text), sql.params)
                                        .execute(&mut *tx)
                                        .await?;
                                    outcome
                                }
                            };
                            tracing::debug!(?release, "import release");
                            // An older version of the document changes none
                            // of the alerts the archive has from a later one.
                            let older = matches!(release, ReleaseOutcome::Stale { .. });
                            let mut alerts = Vec::with_capacity(r.alerts.len());
                            for alert in r.alerts {
                                let outcome = if older {
                                    Self::stale_alert(&mut tx, &alert).await?
                                } else {
                                    None
                                };
                                let outcome = match outcome {
                                    Some(o) => o,
                                    None => {
                                        Self::import_alert(
                                            &mut tx,
                                            alert,
                                            &r.source,
                                            &mut source,
                                            r.force,
                                            today,
                                            &recorded_at,
                                        )
                                        .await?
                                    }
                                };
                                alerts.push(outcome);
                            }
                            outcomes.push(EntryOutcome::Release { release, alerts });
                        }
                    }
                }
                tx.commit().await?;
                Ok(outcomes)
            }

            async fn release(&self, id: &str) -> Result<Option<StoredRelease>, StoreError> {
                let sql = Sql::new(SELECT_RELEASE, vec![id_key(id).into()]);
                self.fetch_optional::<ReleaseRow>(sql)
                    .await?
                    .map(ReleaseRow::into_stored)
                    .transpose()
            }

            async fn releases(&self) -> Result<Vec<StoredRelease>, StoreError> {
                self.fetch_all::<ReleaseRow>(Sql::new(SELECT_RELEASES, Vec::new()))
                    .await?
                    .into_iter()
                    .map(ReleaseRow::into_stored)
                    .collect()
            }

            async fn get_many(&self, ids: &[String]) -> Result<Vec<StoredAlert>, StoreError> {
                let mut found = std::collections::HashMap::new();
                for sql in many_sql(ids) {
                    for row in self.fetch_all::<AlertRow>(sql).await? {
                        let stored = row.into_stored()?;
                        found.insert(id_key(&stored.alert.id), stored);
                    }
                }
                Ok(ids
                    .iter()
                    .filter_map(|id| found.remove(&id_key(id)))
                    .collect())
            }

            async fn get(&self, id: &str) -> Result<Option<StoredAlert>, StoreError> {
                let sql = Sql::new(SELECT_CURRENT, vec![id_key(id).into()]);
                self.fetch_optional::<AlertRow>(sql)
                    .await?
                    .map(AlertRow::into_stored)
                    .transpose()
            }

            async fn get_revision(
                &self,
                id: &str,
                revision: i64,
            ) -> Result<Option<StoredAlert>, StoreError> {
                let sql = Sql::new(SELECT_REVISION, vec![id_key(id).into(), revision.into()]);
                self.fetch_optional::<AlertRow>(sql)
                    .await?
                    .map(AlertRow::into_stored)
                    .transpose()
            }

            async fn list(&self, filter: &AlertFilter) -> Result<Vec<AlertSummary>, StoreError> {
                self.fetch_all::<SummaryRow>(list_sql(filter))
                    .await?
                    .into_iter()
                    .map(SummaryRow::into_summary)
                    .collect()
            }

            async fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
                let rows = self.fetch_all::<CountRow>(count_sql(filter)).await?;
                Ok(rows.first().map_or(0, |r| u64::try_from(r.n).unwrap_or(0)))
            }

            async fn history(&self, id: &str) -> Result<Vec<RevisionInfo>, StoreError> {
                let sql = Sql::new(SELECT_HISTORY, vec![id_key(id).into()]);
                self.fetch_all::<HistoryRow>(sql)
                    .await?
                    .into_iter()
                    .map(HistoryRow::into_info)
                    .collect()
            }

            async fn source(&self, id: &str, revision: i64) -> Result<Option<Source>, StoreError> {
                let sql = Sql::new(SELECT_SOURCE, vec![id_key(id).into(), revision.into()]);
                self.fetch_optional::<SourceRow>(sql)
                    .await?
                    .map(SourceRow::into_source)
                    .transpose()
            }

            async fn products(&self) -> Result<Vec<(String, u64)>, StoreError> {
                let rows = self
                    .fetch_all::<ProductRow>(Sql::new(SELECT_PRODUCTS, Vec::new()))
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| (r.product, u64::try_from(r.n).unwrap_or(0)))
                    .collect())
            }

            async fn overview(&self) -> Result<ArchiveOverview, StoreError> {
                let fresh = self
                    .fetch_all::<FreshnessRow>(Sql::new(SELECT_FRESHNESS, Vec::new()))
                    .await?;
                let years = self
                    .fetch_all::<YearRow>(Sql::new(SELECT_YEARS, Vec::new()))
                    .await?;
                let (alerts, last) = fresh
                    .into_iter()
                    .next()
                    .map_or((0, None), |r| (u64::try_from(r.n).unwrap_or(0), r.last));
                Ok(ArchiveOverview {
                    alerts,
                    last_change: last
                        .map(|t| parse_timestamp("(archive)", 0, &t))
                        .transpose()?,
                    years: years.iter().filter_map(|y| y.year.parse().ok()).collect(),
                })
            }

            async fn generation(&self) -> Result<Generation, StoreError> {
                let row = self
                    .fetch_all::<FreshnessRow>(Sql::new(SELECT_GENERATION, Vec::new()))
                    .await?;
                Ok(row.into_iter().next().map_or_else(Generation::default, |r| Generation {
                    revisions: u64::try_from(r.n).unwrap_or(0),
                    last: r.last,
                }))
            }

            // The mail side: see `mailing`.

            async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
                self.mailing_setting_or_insert(key, value).await
            }

            async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_as::<_, mailing::SettingRow>(mailing::SELECT_SETTING)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.value))
            }

            async fn upsert_subscriber(
                &self,
                address: &str,
                preferences: &Preferences,
                nonce: &str,
                now: DateTime<Utc>,
            ) -> Result<Subscriber, StoreError> {
                self.mailing_upsert_subscriber(address, preferences, nonce, now).await
            }

            async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
                self.mailing_subscriber(id).await
            }

            async fn subscribers(&self, ids: &[i64]) -> Result<Vec<Subscriber>, StoreError> {
                self.mailing_subscribers(ids).await
            }

            async fn subscriber_by_address(
                &self,
                address: &str,
            ) -> Result<Option<Subscriber>, StoreError> {
                self.mailing_subscriber_by_address(address).await
            }

            async fn confirm_subscriber(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
                self.mailing_confirm_subscriber(id, now).await
            }

            async fn unsubscribe(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
                self.mailing_unsubscribe(id, now).await
            }

            async fn set_preferences(
                &self,
                id: i64,
                preferences: &Preferences,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                self.mailing_set_preferences(id, preferences, now).await
            }

            async fn rotate_token_nonce(&self, id: i64, nonce: &str) -> Result<bool, StoreError> {
                self.mailing_rotate_token_nonce(id, nonce).await
            }

            async fn confirmed_subscribers(
                &self,
                after_id: i64,
                limit: u32,
            ) -> Result<Vec<Subscriber>, StoreError> {
                self.mailing_confirmed_subscribers(after_id, limit).await
            }

            async fn published_revisions(&self, alert_id: &str) -> Result<Vec<i64>, StoreError> {
                let rows = self
                    .fetch_all::<RevisionNumberRow>(Sql::new(
                        mailing::SELECT_PUBLISHED_REVISIONS,
                        vec![id_key(alert_id).into()],
                    ))
                    .await?;
                Ok(rows.into_iter().map(|r| r.revision).collect())
            }

            async fn begin_publication(
                &self,
                alert_id: &str,
                revision: i64,
                now: DateTime<Utc>,
            ) -> Result<PublicationStart, StoreError> {
                self.mailing_begin_publication(alert_id, revision, now).await
            }

            async fn finish_publication(
                &self,
                alert_id: &str,
                revision: i64,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                self.mailing_finish_publication(alert_id, revision, now).await
            }

            async fn publications_between(
                &self,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Vec<PublicationRecord>, StoreError> {
                self.mailing_publications_between(from, to).await
            }

            async fn enqueue(&self, outbox: Vec<NewMessage>) -> Result<u64, StoreError> {
                self.mailing_enqueue(outbox).await
            }

            async fn claim_outbox(
                &self,
                worker: &str,
                now: DateTime<Utc>,
                lease: chrono::Duration,
                limit: u32,
            ) -> Result<Vec<OutboxMessage>, StoreError> {
                self.mailing_claim_outbox(worker, now, lease, limit).await
            }

            async fn record_outbox(
                &self,
                worker: &str,
                marks: &[OutboxMark],
            ) -> Result<Vec<bool>, StoreError> {
                self.mailing_record_outbox(worker, marks).await
            }

            async fn record_outbox_then(
                &self,
                worker: &str,
                marks: &[OutboxMark],
                then: AfterCommit,
            ) -> Result<Vec<bool>, StoreError> {
                self.mailing_record_outbox_then(worker, marks, then).await
            }

            async fn outbox_handed(
                &self,
                worker: &str,
                ids: &[i64],
            ) -> Result<Vec<i64>, StoreError> {
                self.mailing_outbox_handed(worker, ids).await
            }

            async fn outbox_claimers(&self) -> Result<Vec<String>, StoreError> {
                self.mailing_outbox_claimers().await
            }

            async fn release_claims(
                &self,
                worker: &str,
                now: DateTime<Utc>,
            ) -> Result<Released, StoreError> {
                self.mailing_release_claims(worker, now).await
            }

            async fn outbox_status(&self) -> Result<Vec<OutboxCount>, StoreError> {
                self.mailing_outbox_status().await
            }

            async fn outbox_failures(
                &self,
                message_key: &str,
                limit: u32,
            ) -> Result<Vec<(String, String, u32)>, StoreError> {
                self.mailing_outbox_failures(message_key, limit).await
            }
        }

        mailing::impl_mailing!(
            $name,
            $db,
            begin: $begin,
            claim_lock: $claim_lock,
            max_params: $max_params,
            placeholders: $placeholders
        );
    };
}

impl_store!(
    /// The archive in a SQLite file.
    SqliteStore,
    sqlx::Sqlite,
    "sqlite",
    // Take the write lock up front: a deferred transaction that reads and then
    // writes can fail with SQLITE_BUSY when another writer got in between.
    begin: "BEGIN IMMEDIATE",
    lock: None::<&str>,
    // No row locks: BEGIN IMMEDIATE already lets one writer in at a time.
    claim_lock: "",
    // SQLITE_MAX_VARIABLE_NUMBER of the bundled SQLite (3.32+).
    max_params: 32766,
    // `$n` parameters bind in quadratic time on SQLite: see mailing::Placeholders.
    placeholders: Anonymous,
    // Hand-overs on a connection of their own, whose WAL hook writes the
    // end line (see after_commit).
    writer: after_commit::SqliteWriter
);

impl_store!(
    /// The archive in a PostgreSQL database.
    PgStore,
    sqlx::Postgres,
    "postgres",
    begin: "BEGIN",
    // Imports queue behind each other; readers are not blocked.
    lock: Some("LOCK TABLE alerts IN SHARE ROW EXCLUSIVE MODE"),
    // Concurrent workers skip each other's rows instead of waiting on them.
    claim_lock: " FOR UPDATE SKIP LOCKED",
    // The wire protocol counts parameters in 16 bits.
    max_params: 65535,
    placeholders: Numbered,
    writer: after_commit::PgWriter
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_their_parameters() {
        assert!(INSERT_ALERT.ends_with("$16)"));
        assert!(UPDATE_ALERT.ends_with("WHERE id = $17"));
        assert!(INSERT_RELEASE.ends_with("$13)"));
        assert!(UPDATE_RELEASE.ends_with("WHERE id = $14"));
    }

    #[test]
    fn many_ids_are_asked_for_in_chunks() {
        let ids: Vec<String> = (0..1001).map(|i| format!("cve-{i}")).collect();
        let sqls = many_sql(&ids);
        assert_eq!(sqls.len(), 3);
        assert_eq!(sqls[0].params.len(), MANY_CHUNK);
        assert_eq!(sqls[2].params, vec![Param::Text(Some("CVE-1000".into()))]);
        assert!(sqls[2].text.ends_with("IN ($1)"), "{}", sqls[2].text);
        assert!(many_sql(&[]).is_empty());
    }

    #[test]
    fn an_edit_that_changes_the_action_is_the_analysts() {
        let stored = Alert {
            id: "CVE-2017-0144".into(),
            action: Some(Action::ApplyNow),
            action_rule: Some(ActionRule::Exploited),
            ..Alert::default()
        };
        let current = Current {
            id: stored.id.clone(),
            revision: 1,
            created_at: String::new(),
            alert: stored.clone(),
        };
        let mut edit = stored.clone();
        edit.action = Some(Action::WaitForSp);
        apply_action_rules(Some(&current), &mut edit, SourceKind::Edit);
        assert_eq!(edit.action_rule, Some(ActionRule::Analyst));
        // An edit of something else leaves the rule alone.
        let mut other = stored.clone();
        other.title = "x".into();
        apply_action_rules(Some(&current), &mut other, SourceKind::Edit);
        assert_eq!(other.action_rule, Some(ActionRule::Exploited));
        // An import keeps what the analyst chose, and only that.
        let analysts = Current {
            alert: edit.clone(),
            ..current
        };
        let mut incoming = stored.clone();
        apply_action_rules(Some(&analysts), &mut incoming, SourceKind::Import);
        assert_eq!(incoming.action, Some(Action::WaitForSp));
        assert_eq!(incoming.action_rule, Some(ActionRule::Analyst));
    }

    #[test]
    fn the_filter_numbers_placeholders_in_order() {
        let f = AlertFilter {
            min_severity: Some(Severity::Important),
            action: Some(Action::ApplyNow),
            product: Some("Internet_Explorer 100%".into()),
            year: Some(2004),
            month: Some(12),
            limit: Some(10),
            ..AlertFilter::default()
        };
        let sql = list_sql(&f);
        assert!(
            sql.text
                .contains("severity <= $1 AND action = $2 AND EXISTS"),
            "{}",
            sql.text
        );
        assert!(sql.text.contains("LIKE $3 ESCAPE '\\')"), "{}", sql.text);
        assert!(
            sql.text.contains("sort_date >= $4 AND sort_date < $5"),
            "{}",
            sql.text
        );
        assert!(sql.text.ends_with("LIMIT $6 OFFSET $7"), "{}", sql.text);
        assert_eq!(
            sql.params[2],
            Param::Text(Some("%internet\\_explorer 100\\%%".into()))
        );
        assert_eq!(sql.params[3], Param::Text(Some("2004-12-01".into())));
        assert_eq!(sql.params[4], Param::Text(Some("2005-01-01".into())));
        assert_eq!(count_sql(&AlertFilter::default()).text, SELECT_COUNT);
    }

    #[test]
    fn ids_are_validated() {
        let ok = Alert {
            id: "MS04-039".into(),
            ..Alert::default()
        };
        assert!(validate(&ok).is_ok());
        for bad in ["", "MS04 039", "MS04-039\n", "A\u{7}B", &"X".repeat(65)] {
            let a = Alert {
                id: bad.into(),
                ..Alert::default()
            };
            assert!(
                matches!(validate(&a), Err(StoreError::InvalidAlert { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn timestamps_have_one_width_and_round_trip() {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = format_timestamp(t);
        assert_eq!(s, "2026-01-02T03:04:05.123456Z");
        assert_eq!(parse_timestamp("x", 1, &s).unwrap(), t);
    }
}
