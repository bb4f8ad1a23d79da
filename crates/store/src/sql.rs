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
use hfr_model::{Action, Alert, Severity};

use crate::mail::{
    NewMessage, OutboxCount, OutboxMark, OutboxMessage, PublicationRecord, PublicationStart,
    Released, Subscriber,
};
use crate::{
    AlertFilter, AlertSummary, ArchiveOverview, Generation, ImportItem, Outcome, RevisionInfo,
    Source, SourceKind, Store, StoreError, StoredAlert, TargetKind,
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

const INSERT_REVISION: &str = "INSERT INTO alert_revisions \
     (alert_id, revision, recorded_at, updated, source_kind, source_name, source_format, \
      source_sha256, source_text, changes, document) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

const DELETE_PRODUCTS: &str = "DELETE FROM alert_products WHERE alert_id = $1";

const INSERT_PRODUCT: &str =
    "INSERT INTO alert_products (alert_id, product, product_key) VALUES ($1, $2, $3)";

const SELECT_CURRENT: &str = "SELECT id, revision, created_at, recorded_at, document \
     FROM alerts WHERE id_key = $1";

const SELECT_REVISION: &str = "SELECT a.id AS id, r.revision AS revision, \
     a.created_at AS created_at, r.recorded_at AS recorded_at, r.document AS document \
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
     r.source_text AS source_text \
     FROM alert_revisions r JOIN alerts a ON a.id = r.alert_id \
     WHERE a.id_key = $1 AND r.revision = $2";

const SELECT_SUMMARY: &str =
    "SELECT id, revision, sort_date, edition, updated, severity, exploit_code, \
     action, title, target_server, target_client, recorded_at FROM alerts";

const SELECT_COUNT: &str = "SELECT COUNT(*) AS n FROM alerts";

const SELECT_PRODUCTS: &str = "SELECT product, COUNT(*) AS n FROM alert_products \
     GROUP BY product ORDER BY product";

const SELECT_FRESHNESS: &str = "SELECT COUNT(*) AS n, MAX(recorded_at) AS last FROM alerts";

const SELECT_GENERATION: &str =
    "SELECT COUNT(*) AS n, MAX(recorded_at) AS last FROM alert_revisions";

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
            text: self.source_text,
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

/// The statements that record `alert` as `revision`, and the outcome.
fn write_revision(
    current: Option<&Current>,
    alert: &Alert,
    changes: &[Change],
    source: &Source,
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
            source.text.clone().into(),
            changes_json.into(),
            document.into(),
        ],
    ));
    for product in alert.products() {
        let key = product.to_lowercase();
        out.push(Sql::new(
            INSERT_PRODUCT,
            vec![alert.id.clone().into(), product.into(), key.into()],
        ));
    }
    Ok((out, revision))
}

/// Decides what one item means for the archive (with the model's revision
/// rules) and returns the statements that record it.
fn plan_item(
    current: Option<Current>,
    item: ImportItem,
    today: NaiveDate,
    recorded_at: &str,
) -> Result<(Vec<Sql>, Outcome), StoreError> {
    validate(&item.alert)?;
    let decision = decide(
        current.as_ref().map(|c| &c.alert),
        item.alert,
        today,
        item.force,
    );
    match (decision, current) {
        (Decision::Create(alert), cur) => {
            // `decide` creates only when there is no current revision.
            let (stmts, revision) =
                write_revision(cur.as_ref(), &alert, &[], &item.source, recorded_at)?;
            let outcome = Outcome::Created {
                id: alert.id,
                revision,
            };
            Ok((stmts, outcome))
        }
        (Decision::Revise { alert, changes }, cur) => {
            let (stmts, revision) =
                write_revision(cur.as_ref(), &alert, &changes, &item.source, recorded_at)?;
            let outcome = Outcome::Revised {
                id: alert.id,
                revision,
                changes,
            };
            Ok((stmts, outcome))
        }
        (Decision::Unchanged, Some(cur)) => Ok((
            Vec::new(),
            Outcome::Unchanged {
                id: cur.id,
                revision: cur.revision,
            },
        )),
        (Decision::Stale { current, incoming }, Some(cur)) => Ok((
            Vec::new(),
            Outcome::Stale {
                id: cur.id,
                revision: cur.revision,
                current_updated: current,
                incoming_updated: incoming,
            },
        )),
        (Decision::Unchanged | Decision::Stale { .. }, None) => {
            unreachable!("decide() only compares against an existing revision")
        }
    }
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
        }

        #[async_trait]
        impl Store for $name {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn import(&self, items: Vec<ImportItem>) -> Result<Vec<Outcome>, StoreError> {
                if items.is_empty() {
                    return Ok(Vec::new());
                }
                let now = Utc::now();
                let today = now.date_naive();
                let recorded_at = format_timestamp(now);
                let mut tx = self.pool.begin_with($begin).await?;
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let mut outcomes = Vec::with_capacity(items.len());
                for item in items {
                    let current = sqlx::query_as::<_, AlertRow>(SELECT_CURRENT)
                        .bind(id_key(&item.alert.id))
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(AlertRow::into_current)
                        .transpose()?;
                    let (statements, outcome) = plan_item(current, item, today, &recorded_at)?;
                    for sql in statements {
                        bind_all!(sqlx::query(&sql.text), sql.params)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tracing::debug!(?outcome, "import item");
                    outcomes.push(outcome);
                }
                tx.commit().await?;
                Ok(outcomes)
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
