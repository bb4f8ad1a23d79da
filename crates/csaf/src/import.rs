//! CSAF 2.0 advisories in, alerts out.
//!
//! # Broken documents
//!
//! Before anything is read, the document goes through [`checks::shape`]
//! (the JSON schema's structure) and [`checks::mandatory`] (the 43 tests of
//! section 6.1). Why: a document that breaks the standard where the alert
//! is made from would give an alert that is wrong without anyone noticing,
//! while refusing every imperfect document would refuse much of what
//! providers publish over details an alert never shows. So each finding is
//! judged by whether the alert depends on the broken part:
//!
//! * **Refused** ([`CsafError`] of kind [`ErrorKind::Invalid`], with the
//!   test id in [`CsafError::test`] and the message, the JSON pointer in
//!   [`CsafError::pointer`], and every other failed check listed with its
//!   first pointer):
//!   - a schema finding in a part the importer reads: the tracking id and
//!     dates, aliases, title, aggregate severity text, the notes and
//!     references (category, title, text, url, summary), the product tree
//!     (less identification helpers and group summaries), and per
//!     vulnerability its `cve`, `ids`, title, notes, product status,
//!     threats and remediations;
//!   - 6.1.1–6.1.5, broken product or group ids (undefined, defined twice,
//!     circular) where the importer uses them, because the affected
//!     products are found through them;
//!   - 6.1.6, contradicting product statuses, because the list of affected
//!     products would be a guess;
//!   - 6.1.23, a CVE used twice, because it is ambiguous which facts
//!     belong to the vulnerability.
//! * **Imported with a [`Warning`]** (test id in [`Warning::test`] and the
//!   message, pointer of the first finding, one warning per test): every
//!   other finding, because the alert keeps nothing of the broken part or
//!   does not depend on it: schema findings elsewhere (publisher,
//!   distribution, revision history, CVSS objects, flags, …), 6.1.1 and
//!   6.1.4 in flags and scores, CVSS (6.1.7–6.1.10; a severity taken from a
//!   score as the last resort is computed from its vector, which 6.1.9
//!   makes the authority), CWE (6.1.11), languages (6.1.12, 6.1.15,
//!   6.1.28), PURLs (6.1.13), revision history and version (6.1.14,
//!   6.1.16–6.1.22, 6.1.30), involvements (6.1.24), hashes (6.1.25), the
//!   category's spelling (6.1.26), the profile's demands (6.1.27.x),
//!   remediations without products (6.1.29, kept without them), version
//!   ranges in names (6.1.31), flags (6.1.32, 6.1.33).
//!
//! # Reading
//!
//! Any provider's advisory is read through its native places (see
//! `native.rs`): the tracking id becomes the alert id, the aggregate
//! severity (else the vulnerabilities' impact ratings, else the highest
//! base severity their CVSS v3 vectors give) the alert's severity, the
//! product tree's names the affected
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

use crate::checks::{self, Finding};
use crate::native::{self, carrier_key, join, object, opt_obj, opt_str, Tagged};

/// What the importer could not keep, or a check the document fails that
/// the alert does not depend on, and where in the document it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// JSON pointer (RFC 6901) into the advisory, e.g. `/vulnerabilities/0/scores`.
    pub pointer: String,
    pub message: String,
    /// The failed check (`"6.1.8"`, `"schema"`) when the warning is about
    /// one; the message names it too.
    pub test: Option<&'static str>,
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
            test: None,
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
    /// The failed check (`"6.1.1"`, `"schema"`) when the document was
    /// refused for one; the message names it too, with any further checks
    /// the document fails.
    pub test: Option<&'static str>,
    /// JSON pointer (RFC 6901) of the offending value; `/` for the whole document.
    pub pointer: String,
    pub message: String,
}

impl CsafError {
    fn new(kind: ErrorKind, pointer: &str, message: impl Into<String>) -> Self {
        CsafError {
            kind,
            test: None,
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
    let checked = gate(doc)?;
    let (alert, tagged) = native::read(doc).map_err(|mut e| {
        // Not expected once the checks passed; say what else is wrong.
        if !checked.is_empty() {
            e.message
                .push_str(&format!("; the document also fails {}", list(&checked)));
        }
        e
    })?;
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
    out.extend(checked.into_iter().map(|g| g.warning()));
    Ok((alert, out))
}

// ----------------------------------------------------------------- checks

/// Why a failed check refuses the document, or why the alert can be
/// imported in spite of it.
enum Verdict {
    Refuse(&'static str),
    Import(&'static str),
}

/// The rule, per finding: refuse when the alert is made from the broken
/// part, so that it would come out wrong or ambiguous (which products are
/// affected, which vulnerability a fact belongs to, a value the importer
/// reads); import with a warning when the broken part is one the alert
/// does not keep or does not depend on (CVSS, CWE, revision history,
/// languages, hashes, flags, the profile's demands on what is present).
fn verdict(f: &Finding) -> Verdict {
    match f.test {
        "schema" => {
            if read_by_importer(&f.pointer) {
                Verdict::Refuse("the alert is made from this part")
            } else {
                Verdict::Import("the importer does not read this part")
            }
        }
        // An id used where the importer does not look (flags, scores)
        // changes nothing the alert says.
        "6.1.1" | "6.1.4" if !read_by_importer(&f.pointer) => {
            Verdict::Import("the reference is in a part the alert does not keep")
        }
        "6.1.1" | "6.1.2" | "6.1.3" | "6.1.4" | "6.1.5" => Verdict::Refuse(
            "the alert's products are found through these ids, and the list of affected products would be wrong",
        ),
        "6.1.6" => Verdict::Refuse(
            "a product with contradicting statuses would make the list of affected products a guess",
        ),
        "6.1.23" => Verdict::Refuse(
            "with the same CVE twice it is ambiguous which facts belong to the vulnerability",
        ),
        "6.1.7" | "6.1.8" | "6.1.9" | "6.1.10" => Verdict::Import(
            "the alert keeps no CVSS scores (a severity missing otherwise is computed from the vector)",
        ),
        "6.1.11" => Verdict::Import("CWE classifications are not kept"),
        "6.1.12" | "6.1.15" | "6.1.28" => Verdict::Import("the language tags are not read"),
        "6.1.13" => Verdict::Import("product identification helpers are not kept"),
        "6.1.14" | "6.1.16" | "6.1.17" | "6.1.18" | "6.1.19" | "6.1.20" | "6.1.21" | "6.1.22"
        | "6.1.30" => Verdict::Import(
            "the revision history and version are not kept (the alert has the initial and current release dates)",
        ),
        "6.1.24" => Verdict::Import("involvements are not kept"),
        "6.1.25" => Verdict::Import("file hashes are not kept"),
        "6.1.26" => Verdict::Import("the document category is not read"),
        "6.1.29" => Verdict::Import("the remediation is kept without products"),
        "6.1.31" => Verdict::Import("product names are kept as text"),
        "6.1.32" | "6.1.33" => Verdict::Import("flags are not kept"),
        // 6.1.27.x, the profile tests: the alert is made from whatever the
        // document has; what the profile demands besides does not change
        // what the present parts say.
        _ => Verdict::Import("the alert is made from the parts present"),
    }
}

/// True when the importer reads the value at `pointer` (or something
/// inside it): the tracking id and dates, title, aggregate severity, notes,
/// references, the product tree (less identification helpers), and per
/// vulnerability its ids, title, notes, product status, remediations,
/// threats and references. Array indices do not matter.
fn read_by_importer(pointer: &str) -> bool {
    let path: Vec<&str> = pointer
        .split('/')
        .skip(1)
        .filter(|s| !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty())
        .collect();
    let leaf = |rest: &[&str], read: &[&str]| rest.first().is_none_or(|k| read.contains(k));
    match path.as_slice() {
        [] | [""] | ["document"] | ["vulnerabilities"] => true,
        ["document", "csaf_version" | "title", ..] => true,
        ["document", "tracking", rest @ ..] => leaf(
            rest,
            &[
                "id",
                "initial_release_date",
                "current_release_date",
                "aliases",
            ],
        ),
        ["document", "aggregate_severity", rest @ ..] => leaf(rest, &["text"]),
        ["document" | "vulnerabilities", "notes", rest @ ..] => {
            leaf(rest, &["category", "text", "title"])
        }
        ["document" | "vulnerabilities", "references", rest @ ..] => {
            leaf(rest, &["url", "summary", "category"])
        }
        ["product_tree", rest @ ..] => {
            !rest.contains(&"product_identification_helper") && rest.last() != Some(&"summary")
        }
        ["vulnerabilities", "cve" | "ids" | "title" | "product_status", ..] => true,
        ["vulnerabilities", "threats", rest @ ..] => {
            leaf(rest, &["category", "details", "product_ids", "group_ids"])
        }
        ["vulnerabilities", "remediations", rest @ ..] => leaf(
            rest,
            &[
                "category",
                "details",
                "url",
                "product_ids",
                "group_ids",
                "restart_required",
            ],
        ),
        _ => false,
    }
}

/// The findings of one check, grouped: the first, and how many more.
struct Group {
    test: &'static str,
    first: Finding,
    more: usize,
    why: &'static str,
}

impl Group {
    fn label(&self) -> String {
        match self.test {
            "schema" => "the CSAF 2.0 schema".to_string(),
            t => format!("CSAF 2.0 mandatory test {t}"),
        }
    }

    fn located(&self) -> String {
        let at = if self.first.pointer.is_empty() {
            "/"
        } else {
            &self.first.pointer
        };
        let more = match self.more {
            0 => String::new(),
            n => format!(" (and {n} more)"),
        };
        format!("{} at {at}{more}", self.test)
    }

    fn warning(self) -> Warning {
        let more = match self.more {
            0 => String::new(),
            n => format!(" ({n} more like it)"),
        };
        Warning {
            pointer: if self.first.pointer.is_empty() {
                "/".into()
            } else {
                self.first.pointer.clone()
            },
            message: format!(
                "fails {}: {}{more}; imported anyway: {}",
                self.label(),
                self.first.message,
                self.why
            ),
            test: Some(self.test),
        }
    }
}

fn list(groups: &[Group]) -> String {
    groups
        .iter()
        .map(Group::located)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the shape check and the 43 mandatory tests. Refuses the document
/// (naming the first refusing finding, then every other failed check) when
/// one finding is about a part the alert is made from; otherwise returns
/// the findings grouped by check, for one warning each.
fn gate(doc: &Value) -> Result<Vec<Group>, CsafError> {
    let mut findings = checks::shape(doc);
    findings.extend(checks::mandatory(doc));
    let mut refuse: Vec<Group> = Vec::new();
    let mut import: Vec<Group> = Vec::new();
    for f in findings {
        let (list, why) = match verdict(&f) {
            Verdict::Refuse(why) => (&mut refuse, why),
            Verdict::Import(why) => (&mut import, why),
        };
        match list.iter_mut().find(|g| g.test == f.test) {
            Some(g) => g.more += 1,
            None => list.push(Group {
                test: f.test,
                first: f,
                more: 0,
                why,
            }),
        }
    }
    let mut refuse = refuse.into_iter();
    let Some(first) = refuse.next() else {
        return Ok(import);
    };
    let more = match first.more {
        0 => String::new(),
        n => format!(" ({n} more like it)"),
    };
    // The pointer is the error's own; the message names the test.
    let mut message = format!(
        "fails {}: {}{more}; refused: {}",
        first.label(),
        first.first.message,
        first.why
    );
    let rest: Vec<Group> = refuse.chain(import).collect();
    if !rest.is_empty() {
        message.push_str(&format!("; it also fails {}", list(&rest)));
    }
    let first = &first.first;
    Err(CsafError {
        kind: ErrorKind::Invalid,
        test: Some(first.test),
        pointer: if first.pointer.is_empty() {
            "/".into()
        } else {
            first.pointer.clone()
        },
        message,
    })
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
