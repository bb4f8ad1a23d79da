//! Subscribers, settings, publications and the mail outbox: their statements
//! and the plain code around them.
//!
//! Kept apart from the alert statements in `sql.rs` because it is a second
//! subject with its own tables (migration `20260201000000_subscriptions`).
//! Like there, each statement is written once with `$n` placeholders for
//! both back ends. What must differ is passed in by `impl_store!`, which
//! expands `impl_mailing!` once per back end:
//!
//! * `begin`: how a write transaction starts. SQLite takes its one write
//!   lock up front (`BEGIN IMMEDIATE`), so a publication or a claim waits for
//!   another writer instead of failing with SQLITE_BUSY half way.
//! * `claim_lock`: PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so
//!   concurrent workers each take different rows without waiting on each
//!   other; SQLite has no row locks and needs none (writers are serialised).
//! * `max_params`: how many bind parameters one statement may have (SQLite
//!   32766, PostgreSQL 65535), which bounds the rows of one multi-row INSERT.
//! * `placeholders`: how that INSERT numbers its parameters
//!   (`Placeholders`): the one statement that differs in text, because
//!   SQLite binds thousands of `$n` parameters in quadratic time.

use chrono::{DateTime, Datelike, Duration, Utc};
use hfr_model::subscription::Preferences;

use super::{format_timestamp, id_problem, Param, Sql};
use crate::mail::{
    NewMessage, OutboxCount, OutboxMark, OutboxMessage, OutboxState, PublicationRecord, Subscriber,
    SubscriberState, MAX_ADDRESS_LEN,
};
use crate::StoreError;

/// The longest message key, token nonce, Message-ID or setting key accepted.
const MAX_KEY_LEN: usize = 250;

/// How much of an error text (an SMTP reply) is kept, in characters.
const MAX_ERROR_LEN: usize = 2000;

/// The most rows one outbox INSERT carries, whatever the parameter limit: a
/// bigger statement is no faster, and every size is prepared once and cached.
const MAX_OUTBOX_ROWS_PER_INSERT: usize = 2000;

/// Parameters bound per outbox row by [`outbox_inserts`], besides
/// `created_at`.
const OUTBOX_ROW_PARAMS: usize = 5;

// ---------------------------------------------------------------------------
// Statements.

/// The columns of a subscriber, in [`SubscriberRow`] order.
macro_rules! subscriber_columns {
    () => {
        "id, address, preferences, state, token_nonce, created_at, confirmed_at, \
         unsubscribed_at, updated_at"
    };
}

pub(super) const INSERT_SETTING: &str =
    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";

pub(super) const SELECT_SETTING: &str = "SELECT value FROM settings WHERE key = $1";

/// A new address is pending; an existing one keeps its id, created_at and
/// nonce, takes the new spelling and preferences, and is pending again
/// unless it is confirmed.
pub(super) const UPSERT_SUBSCRIBER: &str = concat!(
    "INSERT INTO subscribers \
     (address, address_key, preferences, state, token_nonce, created_at, updated_at) \
     VALUES ($1, $2, $3, 'pending', $4, $5, $5) \
     ON CONFLICT (address_key) DO UPDATE SET \
     address = excluded.address, \
     preferences = excluded.preferences, \
     state = CASE WHEN subscribers.state = 'confirmed' THEN 'confirmed' ELSE 'pending' END, \
     confirmed_at = CASE WHEN subscribers.state = 'confirmed' \
     THEN subscribers.confirmed_at ELSE NULL END, \
     unsubscribed_at = NULL, \
     updated_at = excluded.updated_at \
     RETURNING ",
    subscriber_columns!()
);

pub(super) const SELECT_SUBSCRIBER: &str = concat!(
    "SELECT ",
    subscriber_columns!(),
    " FROM subscribers WHERE id = $1"
);

/// The subscribers of a list of ids: this, then `($1, $2, …)`.
pub(super) const SELECT_SUBSCRIBERS_IN: &str = concat!(
    "SELECT ",
    subscriber_columns!(),
    " FROM subscribers WHERE id IN "
);

/// The most ids one [`SELECT_SUBSCRIBERS_IN`] binds.
pub(super) const SUBSCRIBERS_PER_QUERY: usize = 500;

pub(super) const SELECT_SUBSCRIBER_BY_ADDRESS: &str = concat!(
    "SELECT ",
    subscriber_columns!(),
    " FROM subscribers WHERE address_key = $1"
);

/// Keyset paging (`id > $1`), served by the index on (state, id): each page
/// costs the same however deep into the list it is.
pub(super) const SELECT_CONFIRMED_PAGE: &str = concat!(
    "SELECT ",
    subscriber_columns!(),
    " FROM subscribers WHERE state = 'confirmed' AND id > $1 ORDER BY id LIMIT $2"
);

pub(super) const CONFIRM_SUBSCRIBER: &str = "UPDATE subscribers \
     SET state = 'confirmed', confirmed_at = $2, updated_at = $2 \
     WHERE id = $1 AND state = 'pending'";

pub(super) const UNSUBSCRIBE: &str = "UPDATE subscribers \
     SET state = 'unsubscribed', confirmed_at = NULL, unsubscribed_at = $2, updated_at = $2 \
     WHERE id = $1 AND state <> 'unsubscribed'";

pub(super) const SET_PREFERENCES: &str =
    "UPDATE subscribers SET preferences = $2, updated_at = $3 WHERE id = $1";

pub(super) const ROTATE_TOKEN_NONCE: &str = "UPDATE subscribers SET token_nonce = $2 WHERE id = $1";

pub(super) const SELECT_PUBLISHED_REVISIONS: &str =
    "SELECT revision FROM publications WHERE alert_key = $1 ORDER BY revision";

/// Does nothing when the revision was published before: its row count says
/// whether this is the first publication.
pub(super) const INSERT_PUBLICATION: &str = "INSERT INTO publications \
     (alert_key, revision, alert_id, published_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (alert_key, revision) DO NOTHING";

pub(super) const SELECT_PUBLICATION_DONE: &str = "SELECT CASE WHEN completed_at IS NULL \
     THEN 0 ELSE 1 END AS done FROM publications WHERE alert_key = $1 AND revision = $2";

pub(super) const FINISH_PUBLICATION: &str = "UPDATE publications SET completed_at = $3 \
     WHERE alert_key = $1 AND revision = $2 AND completed_at IS NULL";

/// `$1` from, `$2` to. `first`: no earlier revision of the alert was published.
pub(super) const SELECT_PUBLICATIONS_BETWEEN: &str = "SELECT p.alert_id AS alert_id, \
     p.revision AS revision, p.published_at AS published_at, \
     CASE WHEN EXISTS (SELECT 1 FROM publications q \
     WHERE q.alert_key = p.alert_key AND q.revision < p.revision) THEN 0 ELSE 1 END AS first \
     FROM publications p WHERE p.published_at >= $1 AND p.published_at < $2 \
     ORDER BY p.published_at, p.alert_key, p.revision";

/// What a claim takes, in the order it takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClaimKind {
    /// Rows whose sender's lease ran out (`claimed_until < now`): taken
    /// first, as they have waited longest.
    Expired,
    /// Queued rows that are due (`next_attempt_at <= now`).
    Due,
}

/// One claim statement, with `lock` for the back end's row-locking clause.
///
/// A claim runs [`ClaimKind::Expired`] and then [`ClaimKind::Due`] for the
/// rest of its limit, in one transaction, rather than one statement with an
/// `OR`: each half reads its partial index in order (`outbox_leases`,
/// `outbox_due`) and stops after `LIMIT` rows, where an `OR` of the two
/// would make both back ends gather every due row and sort them, on every
/// claim of a 100,000-row fan-out.
///
/// The rows are chosen in a `MATERIALIZED` CTE rather than in an
/// `IN (SELECT … LIMIT n)` subquery: PostgreSQL may run an `IN` subquery
/// more than once (e.g. on the inner side of a nested loop), and a subquery
/// with `LIMIT` and `SKIP LOCKED` can then pick other rows than it locked;
/// a materialized CTE runs exactly once. Under READ COMMITTED a row another
/// claimer took after this statement's snapshot is re-checked when it is
/// locked, fails the `WHERE` (it is `sending` with a fresh lease) and is
/// left out, so no row is ever claimed twice. SQLite (3.35+) reads the same
/// statement; its writers are serialised by `BEGIN IMMEDIATE`.
///
/// `$1` now, `$2` limit, `$3` worker, `$4` the end of the new lease.
pub(super) fn claim_sql(kind: ClaimKind, lock: &str) -> String {
    let (condition, order) = match kind {
        ClaimKind::Expired => (
            "state = 'sending' AND claimed_until < $1 AND handed_at IS NULL",
            "claimed_until, id",
        ),
        ClaimKind::Due => (
            "state = 'queued' AND next_attempt_at <= $1",
            "next_attempt_at, id",
        ),
    };
    format!(
        "WITH picked AS MATERIALIZED (\
         SELECT id FROM outbox WHERE {condition} ORDER BY {order} LIMIT $2{lock}) \
         UPDATE outbox SET state = 'sending', claimed_by = $3, claimed_until = $4, \
         handed_at = NULL, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM picked) \
         RETURNING id, message_key, subscriber_id, recipient, message_id, attempts"
    )
}

/// `$1` id, `$2` worker: the guard every mark_* shares, so a worker whose
/// row was taken over changes nothing.
macro_rules! claimed_by_worker {
    () => {
        " WHERE id = $1 AND claimed_by = $2 AND state = 'sending'"
    };
}

pub(super) const MARK_HANDED: &str =
    concat!("UPDATE outbox SET handed_at = $3", claimed_by_worker!());

pub(super) const MARK_SENT: &str = concat!(
    "UPDATE outbox SET state = 'sent', sent_at = $3, claimed_until = NULL",
    claimed_by_worker!()
);

pub(super) const MARK_RETRY: &str = concat!(
    "UPDATE outbox SET state = 'queued', next_attempt_at = $3, last_error = $4, \
     claimed_by = NULL, claimed_until = NULL, handed_at = NULL",
    claimed_by_worker!()
);

pub(super) const MARK_FAILED: &str = concat!(
    "UPDATE outbox SET state = 'failed', last_error = $3, failed_at = $4, claimed_until = NULL",
    claimed_by_worker!()
);

/// What a row handed to the relay by a sender that stopped keeps as its
/// last error: why it counts as sent without a reply on record.
pub(super) const HANDED_NOTE: &str =
    "handed to the relay; the sender stopped before the reply was recorded";

/// `$1` now, `$2` [`HANDED_NOTE`]: rows whose sender's lease ran out after
/// it handed them over are sent (run before each claim).
pub(super) const SETTLE_EXPIRED_HANDED: &str = "UPDATE outbox SET state = 'sent', \
     sent_at = handed_at, claimed_until = NULL, last_error = $2 \
     WHERE state = 'sending' AND claimed_until < $1 AND handed_at IS NOT NULL";

/// `$1` worker, `$2` [`HANDED_NOTE`].
pub(super) const RELEASE_HANDED: &str = "UPDATE outbox SET state = 'sent', \
     sent_at = handed_at, claimed_until = NULL, last_error = $2 \
     WHERE state = 'sending' AND claimed_by = $1 AND handed_at IS NOT NULL";

/// `$1` worker, `$2` now.
pub(super) const RELEASE_UNHANDED: &str = "UPDATE outbox SET state = 'queued', \
     next_attempt_at = $2, claimed_by = NULL, claimed_until = NULL \
     WHERE state = 'sending' AND claimed_by = $1 AND handed_at IS NULL";

/// `$1` id, `$2` worker: the row if `worker` recorded its hand-over (a
/// released row keeps its claimer and hand-over time).
pub(super) const SELECT_HANDED: &str =
    "SELECT id FROM outbox WHERE id = $1 AND claimed_by = $2 AND handed_at IS NOT NULL";

pub(super) const SELECT_CLAIMERS: &str = "SELECT DISTINCT claimed_by AS value FROM outbox \
     WHERE state = 'sending' AND claimed_by IS NOT NULL ORDER BY claimed_by";

pub(super) const SELECT_OUTBOX_STATUS: &str = "SELECT message_key, state, \
     CASE WHEN state = 'queued' AND attempts > 0 THEN 1 ELSE 0 END AS retrying, \
     COUNT(*) AS n FROM outbox \
     GROUP BY message_key, state, CASE WHEN state = 'queued' AND attempts > 0 THEN 1 ELSE 0 END";

pub(super) const SELECT_OUTBOX_FAILURES: &str = "SELECT recipient, \
     COALESCE(last_error, '') AS last_error, attempts FROM outbox \
     WHERE message_key = $1 AND state = 'failed' ORDER BY id LIMIT $2";

/// How the multi-row outbox INSERT writes its placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placeholders {
    /// `$1`, `$2`, …, with the shared `created_at` bound once as `$1`.
    /// PostgreSQL only knows these.
    Numbered,
    /// `?` each, `created_at` bound per row. For SQLite: a `$n` is a *named*
    /// parameter there, and finding one by number (as sqlx does to bind
    /// each) scans the statement's whole parameter list, so binding N of
    /// them costs O(N²): 100,000 outbox rows took 14 s with `$n` and 0.65 s
    /// with `?`. Anonymous `?`s are bound by position at no cost.
    Anonymous,
}

/// Multi-row INSERTs for `messages`, as few as the back end's parameter
/// limit allows (at most [`MAX_OUTBOX_ROWS_PER_INSERT`] rows each). A row
/// already queued for the same message key and recipient (also earlier in
/// the same batch) is skipped, so the statements' row counts add up to the
/// rows queued.
pub(super) fn outbox_inserts(
    messages: &[NewMessage],
    created_at: &str,
    max_params: usize,
    placeholders: Placeholders,
) -> Vec<Sql> {
    let per_row = match placeholders {
        Placeholders::Numbered => OUTBOX_ROW_PARAMS,
        Placeholders::Anonymous => OUTBOX_ROW_PARAMS + 1,
    };
    let rows_per_insert = ((max_params - 1) / per_row).clamp(1, MAX_OUTBOX_ROWS_PER_INSERT);
    messages
        .chunks(rows_per_insert)
        .map(|chunk| {
            let mut sql = Sql::new(
                "INSERT INTO outbox \
                 (created_at, message_key, subscriber_id, recipient, message_id, next_attempt_at) \
                 VALUES ",
                Vec::with_capacity(1 + chunk.len() * per_row),
            );
            if placeholders == Placeholders::Numbered {
                sql.params.push(created_at.into());
            }
            for (i, m) in chunk.iter().enumerate() {
                let values: [Param; OUTBOX_ROW_PARAMS] = [
                    m.message_key.as_str().into(),
                    m.subscriber_id.into(),
                    m.recipient.as_str().into(),
                    m.message_id.as_str().into(),
                    stored_time(m.not_before).into(),
                ];
                sql.push(if i == 0 { "(" } else { ", (" });
                match placeholders {
                    Placeholders::Numbered => {
                        sql.push("$1");
                        for v in values {
                            sql.push(", ").bind(v);
                        }
                    }
                    Placeholders::Anonymous => {
                        sql.push("?, ?, ?, ?, ?, ?");
                        sql.params.push(created_at.into());
                        sql.params.extend(values);
                    }
                }
                sql.push(")");
            }
            sql.push(" ON CONFLICT (message_key, recipient) DO NOTHING");
            sql
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Values in and out.

/// A timestamp as stored: [`format_timestamp`] within years 1–9999, so every
/// stored timestamp has the same width and compares correctly as text, also
/// when a caller passes an extreme time (e.g. "retry never").
pub(super) fn stored_time(t: DateTime<Utc>) -> String {
    match t.year() {
        ..=0 => "0001-01-01T00:00:00.000000Z".to_string(),
        10000.. => "9999-12-31T23:59:59.999999Z".to_string(),
        _ => format_timestamp(t),
    }
}

/// When a lease taken at `now` runs out (a negative lease is none).
pub(super) fn lease_end(now: DateTime<Utc>, lease: Duration) -> String {
    let end = now
        .checked_add_signed(lease.max(Duration::zero()))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    stored_time(end)
}

/// An error text as kept: at most [`MAX_ERROR_LEN`] characters.
pub(super) fn error_text(error: &str) -> String {
    match error.char_indices().nth(MAX_ERROR_LEN) {
        Some((cut, _)) => format!("{}…", &error[..cut]),
        None => error.to_string(),
    }
}

/// The key addresses are looked up by: one subscriber per mailbox, whatever
/// the case.
pub(super) fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}

/// What is wrong with an address, if anything. Only what would break the
/// store or a mail header; the caller checks the syntax.
fn address_problem(address: &str) -> Option<String> {
    if address.is_empty() {
        Some("the address is empty".to_string())
    } else if address.len() > MAX_ADDRESS_LEN {
        Some(format!(
            "the address is longer than {MAX_ADDRESS_LEN} bytes"
        ))
    } else if address.chars().any(char::is_control) {
        Some("the address contains a control character".to_string())
    } else if address.chars().any(char::is_whitespace) {
        Some("the address contains whitespace".to_string())
    } else {
        None
    }
}

/// What is wrong with a key-like value (message key, Message-ID, nonce), if
/// anything; `what` names it in the reason.
fn key_problem(what: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        Some(format!("the {what} is empty"))
    } else if value.chars().count() > MAX_KEY_LEN {
        Some(format!(
            "the {what} is longer than {MAX_KEY_LEN} characters"
        ))
    } else if value.chars().any(char::is_control) {
        Some(format!("the {what} contains a control character"))
    } else if value.chars().any(char::is_whitespace) {
        Some(format!("the {what} contains whitespace"))
    } else {
        None
    }
}

pub(super) fn check_address(address: &str) -> Result<(), StoreError> {
    match address_problem(address) {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidSubscriber {
            subscriber: format!("{address:?}"),
            reason,
        }),
    }
}

/// `subscriber` names the subscriber in the error (`"address"` or `#id`).
pub(super) fn check_nonce(
    subscriber: impl FnOnce() -> String,
    nonce: &str,
) -> Result<(), StoreError> {
    match key_problem("token nonce", nonce) {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidSubscriber {
            subscriber: subscriber(),
            reason,
        }),
    }
}

pub(super) fn preferences_json(
    subscriber: impl FnOnce() -> String,
    preferences: &Preferences,
) -> Result<String, StoreError> {
    serde_json::to_string(preferences).map_err(|e| StoreError::InvalidSubscriber {
        subscriber: subscriber(),
        reason: format!("the preferences cannot be serialized: {e}"),
    })
}

pub(super) fn check_message(m: &NewMessage) -> Result<(), StoreError> {
    let problem = key_problem("message key", &m.message_key)
        .or_else(|| address_problem(&m.recipient).map(|r| format!("recipient: {r}")))
        .or_else(|| key_problem("Message-ID", &m.message_id));
    match problem {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidMessage {
            message_key: m.message_key.clone(),
            recipient: m.recipient.clone(),
            reason,
        }),
    }
}

pub(super) fn check_publication(alert_id: &str, revision: i64) -> Result<(), StoreError> {
    let problem = id_problem(alert_id).or_else(|| {
        (revision < 1).then(|| format!("the revision must be 1 or more, not {revision}"))
    });
    match problem {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidPublication {
            alert_id: alert_id.to_string(),
            revision,
            reason,
        }),
    }
}

pub(super) fn check_setting(key: &str) -> Result<(), StoreError> {
    match key_problem("key", key) {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidSetting {
            key: key.to_string(),
            reason,
        }),
    }
}

fn corrupt_row(
    table: &'static str,
    key: impl Into<String>,
    reason: impl Into<String>,
) -> StoreError {
    StoreError::CorruptRow {
        table,
        key: key.into(),
        reason: reason.into(),
    }
}

fn parse_time(table: &'static str, key: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt_row(table, key, format!("bad timestamp {s:?}: {e}")))
}

fn parse_attempts(table: &'static str, key: &str, n: i32) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| corrupt_row(table, key, format!("bad attempt count {n}")))
}

// ---------------------------------------------------------------------------
// Rows, as both back ends decode them.

#[derive(Debug, sqlx::FromRow)]
pub(super) struct SettingRow {
    pub(super) value: String,
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct SubscriberRow {
    id: i64,
    address: String,
    preferences: String,
    state: String,
    token_nonce: String,
    created_at: String,
    confirmed_at: Option<String>,
    unsubscribed_at: Option<String>,
    updated_at: String,
}

impl SubscriberRow {
    pub(super) fn into_subscriber(self) -> Result<Subscriber, StoreError> {
        const T: &str = "subscribers";
        let key = format!("#{}", self.id);
        let time = |s: &str| parse_time(T, &key, s);
        Ok(Subscriber {
            preferences: serde_json::from_str(&self.preferences).map_err(|e| {
                corrupt_row(T, &key, format!("the stored preferences do not parse: {e}"))
            })?,
            state: SubscriberState::parse(&self.state)
                .ok_or_else(|| corrupt_row(T, &key, format!("unknown state {:?}", self.state)))?,
            created_at: time(&self.created_at)?,
            confirmed_at: self.confirmed_at.as_deref().map(time).transpose()?,
            unsubscribed_at: self.unsubscribed_at.as_deref().map(time).transpose()?,
            updated_at: time(&self.updated_at)?,
            id: self.id,
            address: self.address,
            token_nonce: self.token_nonce,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct DoneRow {
    pub(super) done: i32,
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct PublicationRow {
    alert_id: String,
    revision: i64,
    published_at: String,
    first: i32,
}

impl PublicationRow {
    pub(super) fn into_record(self) -> Result<PublicationRecord, StoreError> {
        let key = format!("{} r{}", self.alert_id, self.revision);
        Ok(PublicationRecord {
            published_at: parse_time("publications", &key, &self.published_at)?,
            first: self.first != 0,
            alert_id: self.alert_id,
            revision: self.revision,
        })
    }
}

/// A hand-over as one statement: the rows `Sent` before it and the
/// `Handed` row, written by one `UPDATE … RETURNING id` in autocommit, so
/// the whole write is one round trip (and, on SQLite, one commit whose WAL
/// hook writes the end line). It changes nothing unless the handed row is
/// still `worker`'s: the commit then writes nothing and the end line is not
/// written. None when `marks` is not `Sent`s followed by one `Handed`.
pub(super) struct HandOverSql {
    pub(super) sql: Sql,
    pub(super) handed: i64,
}

pub(super) fn hand_over_sql(worker: &str, marks: &[OutboxMark]) -> Option<HandOverSql> {
    let (OutboxMark::Handed { id: handed, at }, earlier) = marks.split_last()? else {
        return None;
    };
    let mut params: Vec<Param> = vec![(*handed).into(), worker.into(), stored_time(*at).into()];
    let mut sent_at = String::new();
    let mut ids = String::from("$1");
    for mark in earlier {
        let OutboxMark::Sent { id, at } = mark else {
            return None;
        };
        let n = params.len();
        sent_at.push_str(&format!(" WHEN ${} THEN ${}", n + 1, n + 2));
        ids.push_str(&format!(", ${}", n + 1));
        params.push((*id).into());
        params.push(stored_time(*at).into());
    }
    let text = if earlier.is_empty() {
        format!("{MARK_HANDED} RETURNING id")
    } else {
        format!(
            "UPDATE outbox SET \
             state = CASE WHEN id = $1 THEN state ELSE 'sent' END, \
             sent_at = CASE id{sent_at} ELSE sent_at END, \
             claimed_until = CASE WHEN id = $1 THEN claimed_until ELSE NULL END, \
             handed_at = CASE WHEN id = $1 THEN $3 ELSE handed_at END \
             WHERE id IN ({ids}) AND claimed_by = $2 AND state = 'sending' \
             AND EXISTS (SELECT 1 FROM outbox h \
             WHERE h.id = $1 AND h.claimed_by = $2 AND h.state = 'sending') \
             RETURNING id"
        )
    };
    Some(HandOverSql {
        sql: Sql::new(text, params),
        handed: *handed,
    })
}

/// One [`OutboxMark`] as an UPDATE guarded by the claiming worker.
pub(super) fn mark_sql(worker: &str, mark: &OutboxMark) -> Sql {
    let (text, params): (&str, Vec<Param>) = match mark {
        OutboxMark::Handed { id, at } => (
            MARK_HANDED,
            vec![(*id).into(), worker.into(), stored_time(*at).into()],
        ),
        OutboxMark::Sent { id, at } => (
            MARK_SENT,
            vec![(*id).into(), worker.into(), stored_time(*at).into()],
        ),
        OutboxMark::Retry {
            id,
            next_attempt_at,
            error,
        } => (
            MARK_RETRY,
            vec![
                (*id).into(),
                worker.into(),
                stored_time(*next_attempt_at).into(),
                error_text(error).into(),
            ],
        ),
        OutboxMark::Failed { id, error, at } => (
            MARK_FAILED,
            vec![
                (*id).into(),
                worker.into(),
                error_text(error).into(),
                stored_time(*at).into(),
            ],
        ),
    };
    Sql::new(text, params)
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct OutboxRow {
    id: i64,
    message_key: String,
    subscriber_id: Option<i64>,
    recipient: String,
    message_id: String,
    attempts: i32,
}

impl OutboxRow {
    pub(super) fn into_message(self) -> Result<OutboxMessage, StoreError> {
        Ok(OutboxMessage {
            attempts: parse_attempts("outbox", &format!("#{}", self.id), self.attempts)?,
            id: self.id,
            message_key: self.message_key,
            subscriber_id: self.subscriber_id,
            recipient: self.recipient,
            message_id: self.message_id,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct StatusRow {
    message_key: String,
    state: String,
    retrying: i32,
    n: i64,
}

impl StatusRow {
    pub(super) fn into_count(self) -> Result<OutboxCount, StoreError> {
        Ok(OutboxCount {
            state: OutboxState::parse(&self.state).ok_or_else(|| {
                corrupt_row(
                    "outbox",
                    &self.message_key,
                    format!("unknown state {:?}", self.state),
                )
            })?,
            retrying: self.retrying != 0,
            count: u64::try_from(self.n).unwrap_or(0),
            message_key: self.message_key,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct FailureRow {
    recipient: String,
    last_error: String,
    attempts: i32,
}

impl FailureRow {
    pub(super) fn into_tuple(self, message_key: &str) -> Result<(String, String, u32), StoreError> {
        let attempts = parse_attempts("outbox", message_key, self.attempts)?;
        Ok((self.recipient, self.last_error, attempts))
    }
}

// ---------------------------------------------------------------------------
// The back ends.

/// The mail methods of one back end's store, as inherent methods that the
/// `Store` impl in `impl_store!` calls (async-trait cannot see into a macro
/// expanded inside its impl block, so the trait methods stay there and only
/// delegate). See the module documentation for the parameters.
macro_rules! impl_mailing {
    (
        $name:ident, $db:ty,
        begin: $begin:literal,
        claim_lock: $claim_lock:literal,
        max_params: $max_params:literal,
        placeholders: $placeholders:ident
    ) => {
        impl $name {
            async fn mailing_setting_or_insert(
                &self,
                key: &str,
                value: &str,
            ) -> Result<String, StoreError> {
                mailing::check_setting(key)?;
                // Insert-or-nothing, then read back: of two processes
                // starting at once, both read the value stored first.
                sqlx::query(mailing::INSERT_SETTING)
                    .bind(key)
                    .bind(value)
                    .execute(&self.pool)
                    .await?;
                sqlx::query_as::<_, mailing::SettingRow>(mailing::SELECT_SETTING)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.value)
                    .ok_or_else(|| StoreError::CorruptRow {
                        table: "settings",
                        key: key.to_string(),
                        reason: "the row is missing right after it was written".to_string(),
                    })
            }

            async fn mailing_upsert_subscriber(
                &self,
                address: &str,
                preferences: &Preferences,
                nonce: &str,
                now: DateTime<Utc>,
            ) -> Result<Subscriber, StoreError> {
                mailing::check_address(address)?;
                let who = || format!("{address:?}");
                mailing::check_nonce(who, nonce)?;
                let preferences = mailing::preferences_json(who, preferences)?;
                // One statement: SQLite takes the write lock when it starts,
                // PostgreSQL serialises on the unique address key.
                sqlx::query_as::<_, mailing::SubscriberRow>(mailing::UPSERT_SUBSCRIBER)
                    .bind(address)
                    .bind(mailing::address_key(address))
                    .bind(preferences)
                    .bind(nonce)
                    .bind(mailing::stored_time(now))
                    .fetch_one(&self.pool)
                    .await?
                    .into_subscriber()
            }

            async fn mailing_subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
                sqlx::query_as::<_, mailing::SubscriberRow>(mailing::SELECT_SUBSCRIBER)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(mailing::SubscriberRow::into_subscriber)
                    .transpose()
            }

            async fn mailing_subscribers(
                &self,
                ids: &[i64],
            ) -> Result<Vec<Subscriber>, StoreError> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(mailing::SUBSCRIBERS_PER_QUERY) {
                    let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                    let sql = format!("{}({})", mailing::SELECT_SUBSCRIBERS_IN, marks.join(", "));
                    let mut q = sqlx::query_as::<_, mailing::SubscriberRow>(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    for row in q.fetch_all(&self.pool).await? {
                        out.push(row.into_subscriber()?);
                    }
                }
                Ok(out)
            }

            async fn mailing_subscriber_by_address(
                &self,
                address: &str,
            ) -> Result<Option<Subscriber>, StoreError> {
                sqlx::query_as::<_, mailing::SubscriberRow>(mailing::SELECT_SUBSCRIBER_BY_ADDRESS)
                    .bind(mailing::address_key(address))
                    .fetch_optional(&self.pool)
                    .await?
                    .map(mailing::SubscriberRow::into_subscriber)
                    .transpose()
            }

            /// Runs a one-row UPDATE; true when it changed the row.
            async fn mailing_update(&self, sql: Sql) -> Result<bool, StoreError> {
                let done = bind_all!(sqlx::query(&sql.text), sql.params)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn mailing_confirm_subscriber(
                &self,
                id: i64,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let params = vec![id.into(), mailing::stored_time(now).into()];
                self.mailing_update(Sql::new(mailing::CONFIRM_SUBSCRIBER, params))
                    .await
            }

            async fn mailing_unsubscribe(
                &self,
                id: i64,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let params = vec![id.into(), mailing::stored_time(now).into()];
                self.mailing_update(Sql::new(mailing::UNSUBSCRIBE, params))
                    .await
            }

            async fn mailing_set_preferences(
                &self,
                id: i64,
                preferences: &Preferences,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let json = mailing::preferences_json(|| format!("#{id}"), preferences)?;
                let params = vec![id.into(), json.into(), mailing::stored_time(now).into()];
                self.mailing_update(Sql::new(mailing::SET_PREFERENCES, params))
                    .await
            }

            async fn mailing_rotate_token_nonce(
                &self,
                id: i64,
                nonce: &str,
            ) -> Result<bool, StoreError> {
                mailing::check_nonce(|| format!("#{id}"), nonce)?;
                let params = vec![id.into(), nonce.into()];
                self.mailing_update(Sql::new(mailing::ROTATE_TOKEN_NONCE, params))
                    .await
            }

            async fn mailing_record_outbox(
                &self,
                worker: &str,
                marks: &[OutboxMark],
            ) -> Result<Vec<bool>, StoreError> {
                if marks.is_empty() {
                    return Ok(Vec::new());
                }
                let mut applied = Vec::with_capacity(marks.len());
                let mut tx = self.pool.begin_with($begin).await?;
                for mark in marks {
                    let sql = mailing::mark_sql(worker, mark);
                    let done = bind_all!(sqlx::query(&sql.text), sql.params)
                        .execute(&mut *tx)
                        .await?;
                    applied.push(done.rows_affected() > 0);
                }
                tx.commit().await?;
                Ok(applied)
            }

            async fn mailing_record_outbox_then(
                &self,
                worker: &str,
                marks: &[OutboxMark],
                then: crate::sql::AfterCommit,
            ) -> Result<Vec<bool>, StoreError> {
                let Some(hand_over) = mailing::hand_over_sql(worker, marks) else {
                    let applied = self.mailing_record_outbox(worker, marks).await?;
                    if applied.last() == Some(&true) {
                        then();
                    }
                    return Ok(applied);
                };
                let ids = self
                    .writer
                    .execute_then(&self.pool, hand_over.sql, hand_over.handed, then)
                    .await?;
                if ids.contains(&hand_over.handed) {
                    return Ok(marks.iter().map(|m| ids.contains(&m.id())).collect());
                }
                // Not handed (the row is no longer ours), so nothing was
                // written: the earlier marks on their own.
                let mut applied = self
                    .mailing_record_outbox(worker, &marks[..marks.len() - 1])
                    .await?;
                applied.push(false);
                Ok(applied)
            }

            async fn mailing_outbox_handed(
                &self,
                worker: &str,
                ids: &[i64],
            ) -> Result<Vec<i64>, StoreError> {
                let mut handed = Vec::new();
                for id in ids {
                    let row: Option<i64> = sqlx::query_scalar(mailing::SELECT_HANDED)
                        .bind(*id)
                        .bind(worker)
                        .fetch_optional(&self.pool)
                        .await?;
                    handed.extend(row);
                }
                Ok(handed)
            }

            async fn mailing_outbox_claimers(&self) -> Result<Vec<String>, StoreError> {
                Ok(
                    sqlx::query_as::<_, mailing::SettingRow>(mailing::SELECT_CLAIMERS)
                        .fetch_all(&self.pool)
                        .await?
                        .into_iter()
                        .map(|r| r.value)
                        .collect(),
                )
            }

            async fn mailing_release_claims(
                &self,
                worker: &str,
                now: DateTime<Utc>,
            ) -> Result<Released, StoreError> {
                let mut tx = self.pool.begin_with($begin).await?;
                let sent = sqlx::query(mailing::RELEASE_HANDED)
                    .bind(worker)
                    .bind(mailing::HANDED_NOTE)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let requeued = sqlx::query(mailing::RELEASE_UNHANDED)
                    .bind(worker)
                    .bind(mailing::stored_time(now))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(Released { sent, requeued })
            }

            async fn mailing_confirmed_subscribers(
                &self,
                after_id: i64,
                limit: u32,
            ) -> Result<Vec<Subscriber>, StoreError> {
                sqlx::query_as::<_, mailing::SubscriberRow>(mailing::SELECT_CONFIRMED_PAGE)
                    .bind(after_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(mailing::SubscriberRow::into_subscriber)
                    .collect()
            }

            /// Inserts the outbox rows inside `tx`; how many were new.
            async fn mailing_insert_outbox(
                tx: &mut sqlx::Transaction<'static, $db>,
                messages: &[NewMessage],
                created_at: &str,
            ) -> Result<u64, StoreError> {
                let mut inserted = 0;
                for sql in mailing::outbox_inserts(
                    messages,
                    created_at,
                    $max_params,
                    mailing::Placeholders::$placeholders,
                ) {
                    inserted += bind_all!(sqlx::query(&sql.text), sql.params)
                        .execute(&mut **tx)
                        .await?
                        .rows_affected();
                }
                Ok(inserted)
            }

            async fn mailing_begin_publication(
                &self,
                alert_id: &str,
                revision: i64,
                now: DateTime<Utc>,
            ) -> Result<PublicationStart, StoreError> {
                mailing::check_publication(alert_id, revision)?;
                let new = sqlx::query(mailing::INSERT_PUBLICATION)
                    .bind(id_key(alert_id))
                    .bind(revision)
                    .bind(alert_id)
                    .bind(mailing::stored_time(now))
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    > 0;
                if new {
                    return Ok(PublicationStart::New);
                }
                let done = sqlx::query_as::<_, mailing::DoneRow>(mailing::SELECT_PUBLICATION_DONE)
                    .bind(id_key(alert_id))
                    .bind(revision)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(if done.done != 0 {
                    PublicationStart::Finished
                } else {
                    PublicationStart::Unfinished
                })
            }

            async fn mailing_finish_publication(
                &self,
                alert_id: &str,
                revision: i64,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(mailing::FINISH_PUBLICATION)
                    .bind(id_key(alert_id))
                    .bind(revision)
                    .bind(mailing::stored_time(now))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mailing_publications_between(
                &self,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Vec<PublicationRecord>, StoreError> {
                sqlx::query_as::<_, mailing::PublicationRow>(mailing::SELECT_PUBLICATIONS_BETWEEN)
                    .bind(mailing::stored_time(from))
                    .bind(mailing::stored_time(to))
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(mailing::PublicationRow::into_record)
                    .collect()
            }

            async fn mailing_enqueue(&self, outbox: Vec<NewMessage>) -> Result<u64, StoreError> {
                outbox.iter().try_for_each(mailing::check_message)?;
                if outbox.is_empty() {
                    return Ok(0);
                }
                let now = mailing::stored_time(Utc::now());
                let mut tx = self.pool.begin_with($begin).await?;
                let queued = Self::mailing_insert_outbox(&mut tx, &outbox, &now).await?;
                tx.commit().await?;
                Ok(queued)
            }

            async fn mailing_claim_outbox(
                &self,
                worker: &str,
                now: DateTime<Utc>,
                lease: chrono::Duration,
                limit: u32,
            ) -> Result<Vec<OutboxMessage>, StoreError> {
                static CLAIMS: LazyLock<[String; 2]> = LazyLock::new(|| {
                    [
                        mailing::claim_sql(mailing::ClaimKind::Expired, $claim_lock),
                        mailing::claim_sql(mailing::ClaimKind::Due, $claim_lock),
                    ]
                });
                let (now, until) = (mailing::stored_time(now), mailing::lease_end(now, lease));
                let mut rows = Vec::new();
                let mut tx = self.pool.begin_with($begin).await?;
                sqlx::query(mailing::SETTLE_EXPIRED_HANDED)
                    .bind(&now)
                    .bind(mailing::HANDED_NOTE)
                    .execute(&mut *tx)
                    .await?;
                for claim in CLAIMS.iter() {
                    let left = i64::from(limit) - rows.len() as i64;
                    if left <= 0 {
                        break;
                    }
                    rows.extend(
                        sqlx::query_as::<_, mailing::OutboxRow>(claim)
                            .bind(&now)
                            .bind(left)
                            .bind(worker)
                            .bind(&until)
                            .fetch_all(&mut *tx)
                            .await?,
                    );
                }
                tx.commit().await?;
                let mut claimed = rows
                    .into_iter()
                    .map(mailing::OutboxRow::into_message)
                    .collect::<Result<Vec<_>, _>>()?;
                claimed.sort_by_key(|m| m.id);
                Ok(claimed)
            }

            async fn mailing_outbox_status(&self) -> Result<Vec<OutboxCount>, StoreError> {
                let mut counts =
                    sqlx::query_as::<_, mailing::StatusRow>(mailing::SELECT_OUTBOX_STATUS)
                        .fetch_all(&self.pool)
                        .await?
                        .into_iter()
                        .map(mailing::StatusRow::into_count)
                        .collect::<Result<Vec<_>, _>>()?;
                counts.sort_by(|a, b| {
                    (a.message_key.as_str(), a.state, a.retrying).cmp(&(
                        b.message_key.as_str(),
                        b.state,
                        b.retrying,
                    ))
                });
                Ok(counts)
            }

            async fn mailing_outbox_failures(
                &self,
                message_key: &str,
                limit: u32,
            ) -> Result<Vec<(String, String, u32)>, StoreError> {
                sqlx::query_as::<_, mailing::FailureRow>(mailing::SELECT_OUTBOX_FAILURES)
                    .bind(message_key)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(|r| r.into_tuple(message_key))
                    .collect()
            }
        }
    };
}

pub(super) use impl_mailing;

#[cfg(test)]
mod tests {
    use super::*;

    fn message(i: usize) -> NewMessage {
        NewMessage {
            message_key: "alert/MS04-035/1".into(),
            subscriber_id: Some(i as i64),
            recipient: format!("user{i}@example.jp"),
            message_id: format!("<alert.MS04-035.1.{i}@hfr.example>"),
            not_before: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn outbox_inserts_respect_the_parameter_limit() {
        let messages: Vec<NewMessage> = (0..5000).map(message).collect();
        for (max, placeholders) in [
            (65535, Placeholders::Numbered),
            (11, Placeholders::Numbered),
            (32766, Placeholders::Anonymous),
            (13, Placeholders::Anonymous),
        ] {
            let stmts = outbox_inserts(&messages, "2026-01-01T00:00:00.000000Z", max, placeholders);
            let mut rows = 0;
            for s in &stmts {
                assert!(s.params.len() <= max, "{} > {max}", s.params.len());
                let (n, marks) = match placeholders {
                    Placeholders::Numbered => {
                        let last = format!("${}", s.params.len());
                        assert!(s.text.contains(&last), "{last}");
                        assert!(!s.text.contains(&format!("${}", s.params.len() + 1)));
                        assert!(!s.text.contains('?'));
                        (
                            (s.params.len() - 1) / OUTBOX_ROW_PARAMS,
                            s.text.matches('$').count(),
                        )
                    }
                    Placeholders::Anonymous => {
                        assert!(!s.text.contains('$'));
                        (s.params.len() / (OUTBOX_ROW_PARAMS + 1), s.params.len())
                    }
                };
                assert_eq!(s.text.matches(['?', '$']).count(), marks);
                rows += n;
            }
            assert_eq!(rows, 5000);
        }
        let two = outbox_inserts(&messages[..2], "t", 65535, Placeholders::Numbered);
        assert_eq!(two.len(), 1);
        assert!(
            two[0].text.ends_with(
                "VALUES ($1, $2, $3, $4, $5, $6), ($1, $7, $8, $9, $10, $11) \
                 ON CONFLICT (message_key, recipient) DO NOTHING"
            ),
            "{}",
            two[0].text
        );
        let two = outbox_inserts(&messages[..2], "t", 32766, Placeholders::Anonymous);
        assert!(two[0].text.ends_with(
            "VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (message_key, recipient) DO NOTHING"
        ));
        assert_eq!(two[0].params[0], Param::Text(Some("t".into())));
        assert_eq!(two[0].params[6], Param::Text(Some("t".into())));
        assert_eq!(two[0].params[2], Param::Int(Some(0)));
    }

    #[test]
    fn stored_times_keep_one_width() {
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(stored_time(far), "9999-12-31T23:59:59.999999Z");
        assert_eq!(
            stored_time(DateTime::<Utc>::MIN_UTC),
            "0001-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            lease_end(DateTime::<Utc>::UNIX_EPOCH, Duration::seconds(90)),
            "1970-01-01T00:01:30.000000Z"
        );
        assert_eq!(
            lease_end(far, Duration::days(1)),
            "9999-12-31T23:59:59.999999Z"
        );
        assert_eq!(
            lease_end(DateTime::<Utc>::UNIX_EPOCH, Duration::seconds(-5)),
            "1970-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn addresses_and_messages_are_checked() {
        for ok in ["a@example.jp", "Taro.Yamada@Example.JP", "山田@例え.jp"] {
            assert!(check_address(ok).is_ok(), "{ok}");
        }
        let long = format!("{}@example.jp", "a".repeat(250));
        for (bad, word) in [
            ("", "empty"),
            ("a b@example.jp", "whitespace"),
            ("a@example.jp\r\nBcc: x@y", "control"),
            (long.as_str(), "254"),
        ] {
            let e = check_address(bad).unwrap_err().to_string();
            assert!(e.contains(word), "{e}");
        }
        let mut m = message(1);
        assert!(check_message(&m).is_ok());
        m.message_id = "<a@b>\r\nBcc: x@y".into();
        let e = check_message(&m).unwrap_err().to_string();
        assert!(e.contains("Message-ID contains a control character"), "{e}");
        assert_eq!(address_key(" A@Example.JP "), "a@example.jp");
    }

    #[test]
    fn long_errors_are_cut() {
        assert_eq!(error_text("550 no"), "550 no");
        let long = "あ".repeat(MAX_ERROR_LEN + 10);
        assert_eq!(error_text(&long).chars().count(), MAX_ERROR_LEN + 1);
    }

    #[test]
    fn publications_need_a_valid_id_and_revision() {
        assert!(check_publication("MS04-035", 1).is_ok());
        assert!(check_publication("MS04 035", 1).is_err());
        let e = check_publication("MS04-035", 0).unwrap_err().to_string();
        assert!(e.contains("revision must be 1 or more"), "{e}");
    }
}
