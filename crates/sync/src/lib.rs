//! `hfr sync`'s fetching: which documents a source offers, and each one's
//! bytes when they changed.
//!
//! Two kinds of source:
//! - a **CSAF provider** ([`csaf`]): its `provider-metadata.json` (ROLIE
//!   feeds, or a directory with `changes.csv`/`index.txt`), or one ROLIE
//!   feed, or one directory; documents are checked against the `.sha256` or
//!   `.sha512` file published beside them;
//! - **Microsoft's CVRF API** ([`msrc`]): the list of monthly updates, then
//!   each month's document, in CVRF XML or MSRC's JSON.
//!
//! This crate knows nothing of the archive: it lists ([`Syncer::discover`])
//! and fetches ([`Syncer::fetch`]); the caller imports what it gets and
//! records it in the [`SyncState`] afterwards. That split keeps the network
//! side testable against a local server alone, and it means a document is
//! only marked as seen once it is really stored.
//!
//! Cost on the servers: a document is not requested at all when its
//! listing shows the date recorded last time; otherwise the request is
//! conditional (`If-None-Match`/`If-Modified-Since`), so an unchanged
//! document costs a 304. Every body is capped in size, after decompression
//! too ([`client`]).

pub mod client;
pub mod csaf;
mod error;
pub mod msrc;
pub mod state;

use sha2::{Digest, Sha256, Sha512};

pub use client::{Body, Client, ClientConfig, Fetched, Validators, DEFAULT_MAX_BODY};
pub use error::SyncError;
pub use msrc::{MonthSelection, MsrcFormat, DEFAULT_MSRC_API};
pub use state::{StateEntry, SyncState};

/// A configured source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A CSAF provider: `provider-metadata.json`, a ROLIE feed, a directory
    /// (URL ending in `/`), or a bare host (its
    /// `/.well-known/csaf/provider-metadata.json`).
    Csaf { url: String },
    /// Microsoft's CVRF API at `base` (e.g. [`DEFAULT_MSRC_API`]).
    Msrc {
        base: String,
        months: MonthSelection,
        format: MsrcFormat,
    },
}

impl SourceSpec {
    /// Reads one configured source, as `HFR_SYNC_SOURCES` lists them:
    /// `msrc` (Microsoft's API), `msrc:URL` (an API at another base URL, a
    /// mirror), `csaf:URL` or a plain `URL` (a CSAF provider).
    pub fn parse(text: &str) -> Result<SourceSpec, SyncError> {
        let text = text.trim();
        let msrc = |base: &str| {
            client::check_url(base)?;
            Ok(SourceSpec::Msrc {
                base: base.to_string(),
                months: MonthSelection::All,
                format: MsrcFormat::Xml,
            })
        };
        if text.eq_ignore_ascii_case("msrc") {
            return msrc(DEFAULT_MSRC_API);
        }
        if let Some(base) = strip_prefix_ci(text, "msrc:") {
            return msrc(base);
        }
        let url = strip_prefix_ci(text, "csaf:").unwrap_or(text);
        client::check_url(url).map_err(|e| match e {
            SyncError::BadUrl { url, reason } => SyncError::BadUrl {
                url,
                reason: format!(
                    "{reason} (a source is `msrc`, `msrc:URL`, `csaf:URL` or a CSAF provider's URL)"
                ),
            },
            other => other,
        })?;
        Ok(SourceSpec::Csaf {
            url: url.to_string(),
        })
    }

    pub fn url(&self) -> &str {
        match self {
            SourceSpec::Csaf { url } => url,
            SourceSpec::Msrc { base, .. } => base,
        }
    }
}

impl std::fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceSpec::Csaf { url } => write!(f, "CSAF {url}"),
            SourceSpec::Msrc { base, .. } => write!(f, "MSRC {base}"),
        }
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// What a document is, so the caller can pick its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A CSAF 2.0 advisory (JSON).
    Csaf,
    /// A month of Microsoft's CVRF API in CVRF 1.1 XML.
    MsrcCvrfXml,
    /// A month of Microsoft's CVRF API in MSRC's JSON.
    MsrcCvrfJson,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Csaf => "csaf",
            DocumentKind::MsrcCvrfXml => "msrc-cvrf-xml",
            DocumentKind::MsrcCvrfJson => "msrc-cvrf-json",
        }
    }
}

/// The digest algorithms CSAF providers publish (`.sha256`, `.sha512`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    Sha512,
}

impl HashAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha512 => "SHA-512",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => ".sha256",
            HashAlgorithm::Sha512 => ".sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha512 => 128,
        }
    }

    fn digest_hex(self, bytes: &[u8]) -> String {
        match self {
            HashAlgorithm::Sha256 => hex(&Sha256::digest(bytes)),
            HashAlgorithm::Sha512 => hex(&Sha512::digest(bytes)),
        }
    }

    /// By a hash file's name: `….sha256` or `….sha512`.
    fn from_url(url: &str) -> Option<HashAlgorithm> {
        let lower = url.to_ascii_lowercase();
        if lower.ends_with(".sha256") {
            Some(HashAlgorithm::Sha256)
        } else if lower.ends_with(".sha512") {
            Some(HashAlgorithm::Sha512)
        } else {
            None
        }
    }
}

/// Where a document's digest is to be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashSource {
    /// The listing links it (a ROLIE entry's `rel: "hash"`).
    Linked {
        url: String,
        algorithm: HashAlgorithm,
    },
    /// Look for `<url>.sha256`, then `<url>.sha512`; when neither exists
    /// the document is used unverified (CSAF requires hashes only of
    /// trusted providers).
    Probe,
    /// The source publishes none (MSRC's API).
    None,
}

/// One document a source offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// Where to fetch it; also its key in the [`SyncState`].
    pub url: String,
    /// A short name for messages: the advisory or month id, or its path.
    pub label: String,
    pub kind: DocumentKind,
    /// The date the listing gives for its current version, if any.
    pub listed_date: Option<String>,
    /// The `Accept` header to send.
    pub accept: Option<String>,
    pub hash: HashSource,
}

/// What one source offers.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub documents: Vec<DocumentRef>,
    /// Things skipped on the way (a feed not TLP:WHITE, a line of
    /// `changes.csv` that is not a path and a date), worth telling.
    pub warnings: Vec<String>,
}

/// Why a document was not fetched or not passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchanged {
    /// The listing shows the date recorded last time; no request was sent.
    ListedDate,
    /// The server answered 304 to a conditional request.
    NotModified,
    /// The server sent the body again, but it is the one stored last time.
    SameContent,
}

impl Unchanged {
    pub fn as_str(self) -> &'static str {
        match self {
            Unchanged::ListedDate => "listed date unchanged",
            Unchanged::NotModified => "304 not modified",
            Unchanged::SameContent => "same content",
        }
    }
}

/// A document whose bytes are new or changed.
#[derive(Debug, Clone)]
pub struct FetchedDocument {
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, hex.
    pub sha256: String,
    /// No copy was recorded before (otherwise: a changed document).
    pub new: bool,
    /// The digest it was checked against, when the source published one.
    pub verified: Option<HashAlgorithm>,
    pub content_type: Option<String>,
    /// What to record in the state once the document is stored.
    pub entry: StateEntry,
}

/// The result of [`Syncer::fetch`].
#[derive(Debug, Clone)]
pub enum DocumentFetch {
    /// Nothing to import. `entry` is what to record (it may carry a newer
    /// listed date than the state had).
    Unchanged {
        why: Unchanged,
        entry: StateEntry,
    },
    Fetched(FetchedDocument),
}

/// Choices that change what is asked of the servers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Ask the server about every document (conditionally) even when its
    /// listed date is unchanged: catches a provider that fixed a file
    /// without bumping the date, at the cost of one request per document.
    pub recheck: bool,
}

/// Lists sources and fetches their documents.
#[derive(Debug, Clone, Default)]
pub struct Syncer {
    client: Client,
    options: SyncOptions,
}

/// The largest hash file read: one digest and a file name.
const MAX_HASH_FILE: u64 = 64 * 1024;

impl Syncer {
    pub fn new(client: Client, options: SyncOptions) -> Self {
        Syncer { client, options }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The documents `source` offers, in the order to fetch them (oldest
    /// first where the listing tells), without duplicates.
    pub fn discover(&self, source: &SourceSpec) -> Result<Discovery, SyncError> {
        match source {
            SourceSpec::Csaf { url } => csaf::discover(&self.client, url),
            SourceSpec::Msrc {
                base,
                months,
                format,
            } => msrc::discover(&self.client, base, months, *format),
        }
    }

    /// One document: skipped when the listing shows the recorded date,
    /// otherwise fetched conditionally; a new body is checked against the
    /// provider's digest. `stored` is what the state holds for `doc.url`
    /// (`state.get(&doc.url)`); record the returned entry once the document
    /// is stored. Taking the entry rather than the state lets the caller
    /// run this on another thread while it keeps the state.
    pub fn fetch(
        &self,
        doc: &DocumentRef,
        stored: Option<&StateEntry>,
    ) -> Result<DocumentFetch, SyncError> {
        // A copy fetched in another format (MSRC XML vs JSON) is no copy.
        let stored = stored.filter(|e| e.media_type == doc.accept);
        if let (Some(entry), Some(date), false) = (stored, &doc.listed_date, self.options.recheck) {
            if entry.current_release_date.as_ref() == Some(date) {
                return Ok(DocumentFetch::Unchanged {
                    why: Unchanged::ListedDate,
                    entry: entry.clone(),
                });
            }
        }
        let validators = stored.map(StateEntry::validators).unwrap_or_default();
        let body = match self
            .client
            .get(&doc.url, doc.accept.as_deref(), &validators)?
        {
            Fetched::NotModified => {
                // `validators` were not empty, so `stored` is there.
                let mut entry = stored.cloned().unwrap_or_default();
                if doc.listed_date.is_some() {
                    entry.current_release_date.clone_from(&doc.listed_date);
                }
                return Ok(DocumentFetch::Unchanged {
                    why: Unchanged::NotModified,
                    entry,
                });
            }
            Fetched::Body(body) => body,
        };
        let sha256 = hex(&Sha256::digest(&body.bytes));
        let entry = StateEntry {
            etag: body.etag.clone(),
            last_modified: body.last_modified.clone(),
            current_release_date: doc.listed_date.clone(),
            sha256: Some(sha256.clone()),
            media_type: doc.accept.clone(),
        };
        if stored.and_then(|e| e.sha256.as_ref()) == Some(&sha256) {
            return Ok(DocumentFetch::Unchanged {
                why: Unchanged::SameContent,
                entry,
            });
        }
        let verified = self.verify(doc, &body.bytes)?;
        Ok(DocumentFetch::Fetched(FetchedDocument {
            bytes: body.bytes,
            sha256,
            new: stored.is_none(),
            verified,
            content_type: body.content_type,
            entry,
        }))
    }

    /// Checks `bytes` against the digest the provider publishes for `doc`.
    fn verify(&self, doc: &DocumentRef, bytes: &[u8]) -> Result<Option<HashAlgorithm>, SyncError> {
        let (hash_url, algorithm, file) = match &doc.hash {
            HashSource::None => return Ok(None),
            HashSource::Linked { url, algorithm } => {
                // A linked hash file must be there.
                let body = self
                    .client
                    .get_optional(url, None, MAX_HASH_FILE)?
                    .ok_or_else(|| SyncError::Format {
                        url: doc.url.clone(),
                        reason: format!("its listed hash file {url} does not exist (404)"),
                    })?;
                (url.clone(), *algorithm, body.bytes)
            }
            HashSource::Probe => {
                let mut found = None;
                for algorithm in [HashAlgorithm::Sha256, HashAlgorithm::Sha512] {
                    let url = format!("{}{}", doc.url, algorithm.extension());
                    if let Some(body) = self.client.get_optional(&url, None, MAX_HASH_FILE)? {
                        found = Some((url, algorithm, body.bytes));
                        break;
                    }
                }
                match found {
                    Some(f) => f,
                    None => return Ok(None),
                }
            }
        };
        let expected = parse_hash_file(&file, algorithm).ok_or_else(|| SyncError::Format {
            url: hash_url.clone(),
            reason: format!(
                "not a {} file: it should start with {} hex digits",
                algorithm.name(),
                algorithm.hex_len()
            ),
        })?;
        let actual = algorithm.digest_hex(bytes);
        if actual != expected {
            return Err(SyncError::HashMismatch {
                url: doc.url.clone(),
                hash_url,
                algorithm: algorithm.name(),
                expected,
                actual,
            });
        }
        Ok(Some(algorithm))
    }
}

/// The digest in a hash file: its first word, `sha256sum` style
/// (`<hex>  <file name>`), lower-cased.
fn parse_hash_file(bytes: &[u8], algorithm: HashAlgorithm) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.split_whitespace().next()?;
    (first.len() == algorithm.hex_len() && first.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| first.to_ascii_lowercase())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse() {
        assert_eq!(
            SourceSpec::parse("msrc").ok(),
            Some(SourceSpec::Msrc {
                base: DEFAULT_MSRC_API.into(),
                months: MonthSelection::All,
                format: MsrcFormat::Xml
            })
        );
        assert!(matches!(
            SourceSpec::parse("MSRC:http://127.0.0.1:8080/cvrf/v3.0/"),
            Ok(SourceSpec::Msrc { base, .. }) if base == "http://127.0.0.1:8080/cvrf/v3.0/"
        ));
        for s in [
            "csaf:https://example.com/.well-known/csaf/provider-metadata.json",
            "https://example.com/.well-known/csaf/provider-metadata.json",
        ] {
            assert_eq!(
                SourceSpec::parse(s).ok(),
                Some(SourceSpec::Csaf {
                    url: "https://example.com/.well-known/csaf/provider-metadata.json".into()
                })
            );
        }
        let e = SourceSpec::parse("ftp://example.com/x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ftp://example.com/x") && e.contains("scheme is ftp"),
            "{e}"
        );
        let e = SourceSpec::parse("nonsense").unwrap_err().to_string();
        assert!(e.contains("nonsense") && e.contains("msrc:URL"), "{e}");
        assert!(SourceSpec::parse("file:///etc/passwd").is_err());
    }

    #[test]
    fn hash_files() {
        let d = "a".repeat(64);
        assert_eq!(
            parse_hash_file(format!("{d}  x.json\n").as_bytes(), HashAlgorithm::Sha256),
            Some(d.clone())
        );
        assert_eq!(
            parse_hash_file(d.to_uppercase().as_bytes(), HashAlgorithm::Sha256),
            Some(d.clone())
        );
        assert_eq!(parse_hash_file(d.as_bytes(), HashAlgorithm::Sha512), None);
        assert_eq!(parse_hash_file(b"<html>", HashAlgorithm::Sha256), None);
        assert_eq!(parse_hash_file(b"", HashAlgorithm::Sha256), None);
        assert_eq!(
            HashAlgorithm::from_url("https://x/a.json.SHA512"),
            Some(HashAlgorithm::Sha512)
        );
    }
}
