//! What can go wrong with the archive.

/// An error from the archive. Every message names what failed and, where one
/// exists, what to do about it.
///
/// A message either contains its cause or returns it from
/// [`source`](std::error::Error::source), never both, so printing the chain
/// (`{:#}` with anyhow) says everything once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or created.
    #[error("cannot open the archive at {location}")]
    Open {
        /// The database, with any password redacted.
        location: String,
        /// Why, as the driver or the file system said it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// The schema could not be brought up to date.
    #[error(
        "cannot bring the archive at {location} up to date \
         (was it written by a newer hfr? then upgrade hfr, or point --db elsewhere)"
    )]
    Migrate {
        location: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// The database refused a statement or the connection broke.
    #[error("database error: {0}")]
    Database(sqlx::Error),

    /// A stored row cannot be read back (e.g. its JSON document is broken).
    #[error("the archive holds an unreadable row for {id} revision {revision}: {reason}")]
    Corrupt {
        id: String,
        revision: i64,
        reason: String,
    },

    /// An alert was refused before anything was written; the whole batch was
    /// rolled back.
    #[error("alert {id:?} cannot be stored: {reason}; nothing from this import was written")]
    InvalidAlert { id: String, reason: String },

    /// A release was refused before anything was written; the whole batch
    /// was rolled back.
    #[error("release {id:?} cannot be stored: {reason}; nothing from this import was written")]
    InvalidRelease { id: String, reason: String },

    /// The caller of [`Store::import_entry_stream`](crate::Store::import_entry_stream)
    /// gave up (a file it was reading failed); the whole batch was rolled
    /// back.
    #[error("{0}; nothing from this import was written")]
    ImportAborted(String),

    /// A mail-side row (subscriber, outbox, setting) cannot be read back.
    #[error("the archive holds an unreadable {table} row {key}: {reason}")]
    CorruptRow {
        /// The table, e.g. `subscribers`.
        table: &'static str,
        /// Which row, e.g. `#12` or an alert id and revision.
        key: String,
        reason: String,
    },

    /// A subscriber's address, preferences or token nonce was refused before
    /// anything was written.
    #[error("subscriber {subscriber} cannot be stored: {reason}; nothing was written")]
    InvalidSubscriber {
        /// The address as given (quoted), or `#id`.
        subscriber: String,
        reason: String,
    },

    /// A mail was refused before anything was queued; the whole batch (and
    /// its publication) was rolled back.
    #[error(
        "mail {message_key:?} to {recipient:?} cannot be queued: {reason}; \
         nothing from this batch was queued"
    )]
    InvalidMessage {
        message_key: String,
        recipient: String,
        reason: String,
    },

    /// A publication was refused before anything was written.
    #[error(
        "alert {alert_id:?} revision {revision} cannot be published: {reason}; nothing was queued"
    )]
    InvalidPublication {
        alert_id: String,
        revision: i64,
        reason: String,
    },

    /// A setting was refused before anything was written.
    #[error("setting {key:?} cannot be stored: {reason}")]
    InvalidSetting { key: String, reason: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}
