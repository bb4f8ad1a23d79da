//! Why a fetch, a listing or the state file failed.
//!
//! Every variant names the URL (or file) it is about: `hfr sync` talks to
//! several servers in one run, and a message without the URL would leave an
//! administrator guessing which one misbehaved.

/// An error of `hfr sync`'s fetching and discovery.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The text given as a source or found in a listing is not an
    /// `http`/`https` URL.
    #[error("{url}: not a URL hfr can fetch: {reason}")]
    BadUrl { url: String, reason: String },

    /// The server answered with a status other than 2xx or 304.
    #[error("GET {url}: HTTP {status}{}", reason_suffix(.reason))]
    Status {
        url: String,
        status: u16,
        reason: String,
    },

    /// The body is larger than the configured limit. `declared` is the
    /// Content-Length when the server announced one (then nothing was read);
    /// otherwise the body was read up to the limit and dropped.
    #[error("GET {url}: the response is larger than the limit of {limit} bytes{}", declared_suffix(*.declared))]
    TooLarge {
        url: String,
        limit: u64,
        declared: Option<u64>,
    },

    /// No answer in time: connecting, waiting for the response, a stall
    /// while reading, or the whole request taking too long.
    #[error("GET {url}: timed out ({what})")]
    Timeout { url: String, what: String },

    /// The connection failed or broke off (truncated transfer, reset,
    /// unknown host, TLS, not HTTP, a corrupt gzip body).
    #[error("GET {url}: {reason}")]
    Transfer { url: String, reason: String },

    /// The body arrived but is not what this URL should hold (bad JSON in
    /// a feed, a listing without documents, a malformed hash file).
    #[error("{url}: {reason}")]
    Format { url: String, reason: String },

    /// The document does not match the digest its provider published next
    /// to it: corrupted or tampered with, so it is not used.
    #[error("{url}: the {algorithm} digest does not match {hash_url}: the file says {expected}, the document's is {actual}; not imported")]
    HashMismatch {
        url: String,
        hash_url: String,
        algorithm: &'static str,
        expected: String,
        actual: String,
    },

    /// A month asked for by id is not in MSRC's list of updates.
    #[error("{url}: no security update with the id {}; the list has {known}", .missing.join(", "))]
    UnknownMonth {
        url: String,
        missing: Vec<String>,
        known: String,
    },

    /// The sync state file could not be read or written.
    #[error("{path}: {reason}")]
    State { path: String, reason: String },
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason}")
    }
}

fn declared_suffix(declared: Option<u64>) -> String {
    match declared {
        Some(n) => format!(" (it announced {n} bytes; nothing was read)"),
        None => " (reading stopped there)".to_string(),
    }
}

impl SyncError {
    /// The HTTP status of a [`SyncError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            SyncError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
