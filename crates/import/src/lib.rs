//! Importers: bytes in, [`hfr_model::Alert`]s out.
//!
//! Each input format has its own module; this crate does no file or network
//! I/O itself (the CLI reads files and passes bytes), so every importer can be
//! tested on byte strings. An importer never fails on a page that is merely
//! partial: it returns what it found plus [`Warning`]s for what was missing or
//! odd. It fails with an [`ImportError`] naming the file and line only when the
//! input is not a document of its format at all.
//!
//! [`read_any`] is the one entry point for every format (HotFix pages, hfr's
//! JSON, Microsoft's CVRF XML and API JSON, CSAF 2.0), telling the format
//! from the content and refusing what is no document (archives, compressed
//! or binary data, lists of documents) with what to do instead; see the
//! `any` module for the rules. A Microsoft document gives a release with
//! many alerts ([`Document::Release`]), every other format one alert.

mod any;
pub mod cvrf;
pub mod decode;
pub mod hotfix;
pub mod json;
pub mod msrc;

use hfr_model::Alert;

pub use any::{
    csaf_part_unread, detect, read_any, screen, Document, Format, ReleaseDocument, CSAF_FORMAT,
    CSAF_UNREAD, SCREEN_BYTES,
};

/// Something the importer noticed but could work around: a missing section, a
/// row it could not split, a mark that did not survive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line in the decoded text, when the warning is about one line.
    pub line: Option<usize>,
    /// The section it concerns, by its label on the page (e.g. `深刻度`).
    pub section: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}: {}", self.section, self.message),
            None => write!(f, "{}: {}", self.section, self.message),
        }
    }
}

/// A successfully read document.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub alert: Alert,
    pub warnings: Vec<Warning>,
    /// The format that was read, e.g. `hotfix-text`.
    pub format: &'static str,
    /// The encoding the bytes were in, e.g. `UTF-8`, `Shift_JIS`, `EUC-JP`.
    pub encoding: &'static str,
    /// The decoded text, kept with the revision in the archive.
    pub text: String,
}

/// Why a file could not be read as a document at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: the file is empty")]
    Empty { file: String },
    #[error(
        "{file}: line {line}: binary data (a NUL byte at byte offset {offset}), not a text page"
    )]
    Binary {
        file: String,
        line: usize,
        offset: usize,
    },
    #[error("{file}: line {line}: bytes that are not text in UTF-8, UTF-16, Shift_JIS or EUC-JP (byte offset {offset})")]
    Encoding {
        file: String,
        line: usize,
        offset: usize,
    },
    #[error("{file}: line {line} column {column}: not an alert in hfr's JSON: {reason}")]
    NotAlertJson {
        file: String,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("{file}: line {line}: {reason}")]
    NotAHotFixPage {
        file: String,
        line: usize,
        reason: String,
    },
    /// An archive, compressed data or another binary format, told by its
    /// first bytes; `what` says what it is and what to do.
    #[error("{file}: {what}")]
    NotADocument { file: String, what: String },
    /// A document that lists documents (a CSAF provider's metadata, a ROLIE
    /// feed, Microsoft's list of updates) rather than being one.
    #[error("{file}: {what}: it lists documents rather than being one; `hfr sync` fetches what it lists")]
    ListOfDocuments { file: String, what: String },
    #[error("{file}: line {line} column {column}: not well-formed JSON: {reason}")]
    NotJson {
        file: String,
        line: usize,
        column: usize,
        reason: String,
    },
    /// A Microsoft CVRF document (XML or the API's JSON) that cannot be read.
    #[error(transparent)]
    Cvrf(#[from] cvrf::CvrfError),
    /// A CSAF document the importer cannot read, at `pointer`.
    #[error("{file}: CSAF {pointer}: {message}")]
    Csaf {
        file: String,
        pointer: String,
        message: String,
    },
    /// A CSAF advisory that fails a check (structural or one of the
    /// mandatory tests) in a part the importer reads: `test` is `schema` or
    /// the section number (`6.1.8`), `more` how many other such findings
    /// there are.
    #[error("{file}: fails CSAF test {test} at {pointer}: {message}{}; hfr reads that part, so the advisory was not imported", more_findings(*.more))]
    CsafCheck {
        file: String,
        test: String,
        pointer: String,
        message: String,
        more: usize,
    },
}

fn more_findings(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (and 1 more finding)".to_string(),
        n => format!(" (and {n} more findings)"),
    }
}

/// Reads one alert from the model's JSON (the first character opens an
/// object) or a HotFix Alert page, chosen by the content. [`read_any`]
/// reads every format, vendor documents included.
pub fn read_document(bytes: &[u8], file: &str) -> Result<Parsed, ImportError> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    if json::looks_like_json(&head) {
        json::read_alert_json(bytes, file)
    } else {
        read_hotfix_page(bytes, file)
    }
}

/// Reads one HotFix Alert page from raw bytes: decodes it (UTF-8, Shift_JIS or
/// EUC-JP) and parses it. `file` names the input in errors.
pub fn read_hotfix_page(bytes: &[u8], file: &str) -> Result<Parsed, ImportError> {
    let decoded = decode::decode(bytes, file)?;
    let (alert, mut warnings) = hotfix::parse(&decoded.text, file)?;
    if let Some(offset) = decoded.cut_at {
        warnings.insert(
            0,
            Warning {
                line: Some(decoded.text.lines().count().max(1)),
                section: "file".into(),
                message: format!(
                    "the file ends inside a character (byte offset {offset}): the page was cut short; the incomplete character was left out"
                ),
            },
        );
    }
    Ok(Parsed {
        alert,
        warnings,
        format: hotfix::FORMAT,
        encoding: decoded.encoding,
        text: decoded.text,
    })
}
