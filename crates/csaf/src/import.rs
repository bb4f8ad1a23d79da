//! CSAF 2.0 advisories in, alerts out.
//!
//! Any provider's advisory is read through its native places (see
//! `native.rs`): the tracking id becomes the alert id, the aggregate
//! severity (else the vulnerabilities' impact ratings, else their CVSS base
//! severity) the alert's severity, the product tree's names the affected
//! products, notes become prose, remediations become downloads, workarounds
//! and reboot facts. What an alert has no place for (CVSS vectors, CWE,
//! acknowledgments, products listed as not affected, …) is reported as a
//! [`Warning`] with the JSON pointer of the first instance.
//!
//! Then the carrier notes of our own exports (`hfr:<key>`, see the crate
//! documentation) are laid over the result, key by key, so an exported
//! alert comes back exactly as it was.
//!
//! JSON that is not an advisory (a provider's metadata, a ROLIE feed, some
//! other document) is refused with an error that says what it is.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use hfr_model::Alert;
use serde_json::{Map, Value};

use crate::native::{self, carrier_key, join, object, opt_obj, opt_str, Tagged};

/// What the importer could not keep, and where in the document it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// JSON pointer (RFC 6901) into the advisory, e.g. `/vulnerabilities/0/scores`.
    pub pointer: String,
    pub message: String,
}

impl Warning {
    pub(crate) fn new(pointer: &str, message: impl Into<String>) -> Self {
        Warning {
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer.into()
            },
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

/// Why a JSON document gave no alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// CSAF's provider metadata, a ROLIE feed, or JSON of no CSAF kind.
    NotAnAdvisory,
    /// A CSAF version other than 2.0.
    Unsupported,
    /// An advisory whose shape is wrong where the importer needs it.
    Invalid,
}

/// A document that could not be imported, with the JSON pointer of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct CsafError {
    pub kind: ErrorKind,
    /// JSON pointer (RFC 6901) of the offending value; `/` for the whole document.
    pub pointer: String,
    pub message: String,
}

impl CsafError {
    fn new(kind: ErrorKind, pointer: &str, message: impl Into<String>) -> Self {
        CsafError {
            kind,
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer.into()
            },
            message: message.into(),
        }
    }
}

/// True for JSON of the CSAF family: an advisory (a top-level `document`),
/// a provider's metadata or a ROLIE feed. The CLI sends such files here
/// (where the last two are refused with a clear message) rather than to the
/// reader of hfr's own alert JSON, whose keys never include these.
pub fn looks_like_csaf(v: &Value) -> bool {
    let Some(m) = v.as_object() else {
        return false;
    };
    m.contains_key("document")
        || m.contains_key("feed")
        || (m.contains_key("canonical_url") && m.contains_key("metadata_version"))
}

/// What a JSON document of no advisory kind is, for the error message.
fn not_an_advisory(m: &Map<String, Value>) -> CsafError {
    let (what, pointer) = if m.contains_key("canonical_url") && m.contains_key("metadata_version") {
        (
            "a CSAF provider's metadata (provider-metadata.json), which lists where the advisories are; import the advisories themselves",
            "/canonical_url",
        )
    } else if m.contains_key("feed") {
        (
            "a ROLIE feed, which lists advisories by URL; import the advisories themselves",
            "/feed",
        )
    } else {
        ("no CSAF advisory: it has no /document", "")
    };
    CsafError::new(
        ErrorKind::NotAnAdvisory,
        pointer,
        format!("this JSON is {what}"),
    )
}

/// Reads one CSAF 2.0 document (any `document.category`: security advisory,
/// VEX, informational, a provider's own) into an alert.
///
/// For our own exports the carrier notes restore every key exactly; for
/// other providers' documents the alert is what the native places say,
/// with warnings for what was left out.
pub fn from_csaf(doc: &Value) -> Result<(Alert, Vec<Warning>), CsafError> {
    let Some(root) = doc.as_object() else {
        return Err(CsafError::new(
            ErrorKind::NotAnAdvisory,
            "",
            "a CSAF document is a JSON object",
        ));
    };
    let Some(d) = root.get("document") else {
        return Err(not_an_advisory(root));
    };
    let d = object(d, "/document")?;
    match opt_str(d, "csaf_version", "/document")? {
        Some("2.0") => {}
        Some(v) => {
            return Err(CsafError::new(
                ErrorKind::Unsupported,
                "/document/csaf_version",
                format!("CSAF version {v} is not supported; hfr reads CSAF 2.0"),
            ))
        }
        None => {
            return Err(CsafError::new(
                ErrorKind::Invalid,
                "/document/csaf_version",
                "is required but missing",
            ))
        }
    }
    let (alert, tagged) = native::read(doc)?;
    let mut value = serde_json::to_value(&alert)
        .map_err(|e| CsafError::new(ErrorKind::Invalid, "", e.to_string()))?;
    let keys = alert_keys();

    let mut warnings = Vec::new();
    let mut carried: Vec<String> = Vec::new();
    let notes = d
        .get("notes")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (i, n) in notes.iter().enumerate() {
        let np = format!("/document/notes/{i}");
        let Some(m) = n.as_object() else { continue };
        let Some(key) = carrier_key(m) else { continue };
        let tp = join(&np, "text");
        if !keys.contains(key) {
            // Written by a newer hfr whose alerts have a field this one lacks.
            warnings.push(Warning::new(
                &np,
                format!(
                    "`{key}` is no field of this version's alert; its carrier note is not kept"
                ),
            ));
            continue;
        }
        if carried.iter().any(|k| k == key) {
            return Err(CsafError::new(
                ErrorKind::Invalid,
                &np,
                format!("a second carrier note for `{key}`; the first is at an earlier index and the two may not both win"),
            ));
        }
        let text = opt_str(m, "text", &np)?
            .ok_or_else(|| CsafError::new(ErrorKind::Invalid, &tp, "is required but missing"))?;
        let v: Value = serde_json::from_str(text).map_err(|e| {
            CsafError::new(
                ErrorKind::Invalid,
                &tp,
                format!("the carrier note for `{key}` is not JSON: {e}"),
            )
        })?;
        // Checked alone, so that a bad value is blamed on its own note.
        let mut probe = serde_json::to_value(Alert::default())
            .map_err(|e| CsafError::new(ErrorKind::Invalid, "", e.to_string()))?;
        probe[key] = v.clone();
        if let Err(e) = serde_json::from_value::<Alert>(probe) {
            return Err(CsafError::new(
                ErrorKind::Invalid,
                &tp,
                format!("the carrier note for `{key}` does not hold a valid `{key}`: {e}"),
            ));
        }
        value[key] = v;
        carried.push(key.to_string());
    }
    let alert: Alert = serde_json::from_value(value)
        .map_err(|e| CsafError::new(ErrorKind::Invalid, "/document/notes", e.to_string()))?;
    if alert.id.trim().is_empty() {
        return Err(CsafError::new(
            ErrorKind::Invalid,
            "/document/tracking/id",
            "the alert id is empty",
        ));
    }
    // A warning about a key a carrier restored no longer applies.
    let mut out: Vec<Warning> = tagged
        .into_iter()
        .filter(|Tagged { key, .. }| !carried.iter().any(|k| k == key))
        .map(|t| t.warning)
        .collect();
    out.append(&mut warnings);
    Ok((alert, out))
}

/// Every top-level key of the alert's JSON, from the model's schema (so a
/// field left out of some serializations still counts), made once.
fn alert_keys() -> &'static HashSet<String> {
    static KEYS: OnceLock<HashSet<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: HashSet<String> = hfr_model::alert_json_schema()
            .get("properties")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        if let Ok(Value::Object(m)) = serde_json::to_value(Alert::default()) {
            keys.extend(m.keys().cloned());
        }
        keys
    })
}

/// The alert keys a document carries in `hfr:` notes, in order (for tests
/// and diagnostics).
pub fn carried_keys(doc: &Value) -> Vec<String> {
    let notes = doc
        .as_object()
        .and_then(|r| opt_obj(r, "document", "").ok().flatten())
        .and_then(|d| d.get("notes"))
        .and_then(Value::as_array);
    notes
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_object().and_then(carrier_key).map(str::to_string))
        .collect()
}
