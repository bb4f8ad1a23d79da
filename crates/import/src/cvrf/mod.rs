//! Microsoft's monthly security-update documents read into a faithful,
//! typed copy ([`CvrfDocument`]): CVRF 1.1 XML ([`parse`]) and the JSON
//! that Microsoft's CVRF API serves for the same document ([`parse_json`]).
//!
//! This is the first of two steps: the document as Microsoft wrote it, with
//! nothing dropped and nothing interpreted (severities stay "Critical",
//! exploit status stays its `Publicly Disclosed:No;Exploited:No;…` string,
//! KB numbers stay the remediation's description). Turning it into alerts is
//! a separate step ([`crate::msrc`]), so that the rules for that (which
//! severity wins, what `action` an exploited CVE gets) are written once,
//! testable on their own, and shared by both formats: the JSON carries the
//! same fields, only spelt differently, and reads into the same value.
//!
//! Which format bytes are in is told by their content ([`detect`]), not by a
//! file name, since an API response saved to disk has whatever name the
//! user gave it.

mod json;
mod xml;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use xml::parse;

/// The CVRF 1.1 namespaces.
pub const NS_CVRF: &str = "http://www.icasi.org/CVRF/schema/cvrf/1.1";
pub const NS_PROD: &str = "http://www.icasi.org/CVRF/schema/prod/1.1";
pub const NS_VULN: &str = "http://www.icasi.org/CVRF/schema/vuln/1.1";

/// The largest document read, in bytes. Microsoft's monthly documents are a
/// few megabytes; anything this large is not one, and reading it whole would
/// only use memory.
pub const MAX_BYTES: usize = 128 * 1024 * 1024;

/// Why bytes are not a CVRF document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvrfError {
    #[error("{file}: {size} bytes is larger than a CVRF document may be here ({max} bytes)")]
    TooLarge {
        file: String,
        size: usize,
        max: usize,
    },
    #[error("{file}: not UTF-8 text (byte offset {offset})")]
    NotText { file: String, offset: usize },
    #[error("{file}: line {line} column {column}: not well-formed XML: {reason}")]
    Xml {
        file: String,
        line: u32,
        column: u32,
        reason: String,
    },
    #[error(
        "{file}: line {line} column {column}: the root element is {found}, not cvrfdoc in the CVRF 1.1 namespace ({NS_CVRF})"
    )]
    NotCvrf {
        file: String,
        line: u32,
        column: u32,
        found: String,
    },
    #[error("{file}: line {line}: {element}: {reason}")]
    Invalid {
        file: String,
        line: u32,
        element: String,
        reason: String,
    },
    #[error("{file}: line {line} column {column}: not well-formed JSON: {reason}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("{file}: JSON, but not a CVRF document from Microsoft's API: {reason}")]
    NotCvrfJson { file: String, reason: String },
    #[error("{file}: {pointer}: {reason}")]
    InvalidJson {
        file: String,
        /// A JSON pointer to the value, e.g. `/Vulnerability/3/CVSSScoreSets/0/BaseScore`.
        pointer: String,
        reason: String,
    },
    #[error("{file}: neither CVRF XML nor CVRF JSON (the content starts with {start:?})")]
    UnknownFormat { file: String, start: String },
}

/// A note: the document's or a vulnerability's (Description, FAQ, Tag, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Note {
    pub title: Option<String>,
    /// `Type`: General, Details, Description, Summary, FAQ, Legal Disclaimer,
    /// Other (MSRC also uses Tag and CNA).
    pub kind: Option<String>,
    pub audience: Option<String>,
    pub ordinal: Option<u32>,
    /// As written: MSRC notes carry HTML.
    pub text: String,
}

/// One entry of a revision history.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Revision {
    pub number: String,
    pub date: Option<DateTime<Utc>>,
    pub description: String,
}

/// A product of the product tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Product {
    pub id: String,
    /// The FullProductName, e.g. `Windows 10 Version 1607 for x64-based Systems`.
    pub name: String,
    /// The branches it sits under, outermost first, as (Type, Name), e.g.
    /// `[("Vendor", "Microsoft"), ("Product Family", "Windows")]`.
    pub branches: Vec<(String, String)>,
    pub cpe: Option<String>,
}

/// A product status: the products a vulnerability affects, or fixes, ….
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    /// `Type`, e.g. `Known Affected`.
    pub kind: String,
    pub product_ids: Vec<String>,
}

/// A threat: its type (Impact, Exploit Status, Target Set, Severity) and
/// description, for some products (or all, when none are named).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Threat {
    pub kind: String,
    pub description: String,
    pub date: Option<DateTime<Utc>>,
    pub product_ids: Vec<String>,
}

/// A CVSS score set for some products.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScoreSet {
    pub base: Option<f64>,
    pub temporal: Option<f64>,
    pub environmental: Option<f64>,
    pub vector: Option<String>,
    pub product_ids: Vec<String>,
}

/// A remediation: for MSRC, a KB (its description), its URL, what it
/// supersedes, restart, sub type and fixed build, for some products.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Remediation {
    /// `Type`: Workaround, Mitigation, Vendor Fix, None Available, Will Not
    /// Fix (MSRC adds Known Issue).
    pub kind: String,
    pub description: String,
    pub url: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub entitlement: Option<String>,
    /// MSRC: the KB this one replaces (spelt `Supercedence` there).
    pub supercedence: Option<String>,
    pub restart_required: Option<String>,
    pub sub_type: Option<String>,
    pub fixed_build: Option<String>,
    pub affected_files: Vec<String>,
    pub product_ids: Vec<String>,
}

/// An acknowledgment: who found it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Acknowledgment {
    pub names: Vec<String>,
    pub organizations: Vec<String>,
    pub urls: Vec<String>,
    pub description: Option<String>,
}

/// One vulnerability (for MSRC, one CVE).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Vulnerability {
    pub ordinal: Option<u32>,
    pub title: Option<String>,
    pub cve: Option<String>,
    pub notes: Vec<Note>,
    pub statuses: Vec<Status>,
    pub threats: Vec<Threat>,
    pub scores: Vec<ScoreSet>,
    pub remediations: Vec<Remediation>,
    pub acknowledgments: Vec<Acknowledgment>,
    pub revisions: Vec<Revision>,
}

/// A CVRF 1.1 document as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CvrfDocument {
    pub title: String,
    pub document_type: Option<String>,
    pub publisher: Option<String>,
    /// `DocumentTracking/Identification/ID`, e.g. `2017-Apr`.
    pub id: String,
    pub aliases: Vec<String>,
    pub status: Option<String>,
    pub version: Option<String>,
    pub initial_release: Option<DateTime<Utc>>,
    pub current_release: Option<DateTime<Utc>>,
    pub revisions: Vec<Revision>,
    pub notes: Vec<Note>,
    /// Every FullProductName in document order: Microsoft lists each product
    /// twice, under its family branch and again flat under the tree.
    pub products: Vec<Product>,
    pub vulnerabilities: Vec<Vulnerability>,
}

impl CvrfDocument {
    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }
}

/// The formats a CVRF document comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvrfFormat {
    /// CVRF 1.1 XML, as Microsoft publishes the monthly documents.
    Xml,
    /// The JSON of Microsoft's CVRF API (`Accept: application/json`).
    MsrcJson,
}

impl CvrfFormat {
    /// The name `hfr import` reports, e.g. `cvrf-xml`.
    pub fn name(self) -> &'static str {
        match self {
            CvrfFormat::Xml => "cvrf-xml",
            CvrfFormat::MsrcJson => "msrc-cvrf-json",
        }
    }
}

/// How far into the bytes [`detect`] looks.
const SNIFF_BYTES: usize = 16 * 1024;

/// Tells CVRF XML, Microsoft's CVRF JSON and anything else apart from the
/// start of the bytes (a UTF-8 byte order mark and leading white space are
/// skipped): XML that names the CVRF 1.1 namespace, or a JSON object with
/// Microsoft's `DocumentTracking` key (it comes right after the title and
/// publisher, so it is near the start). A cheap test for choosing a reader;
/// the reader still checks the whole document.
pub fn detect(bytes: &[u8]) -> Option<CvrfFormat> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &bytes[start..bytes.len().min(start + SNIFF_BYTES)];
    let contains = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    match head.first() {
        Some(b'<') if contains(NS_CVRF.as_bytes()) => Some(CvrfFormat::Xml),
        Some(b'{') if contains(b"\"DocumentTracking\"") => Some(CvrfFormat::MsrcJson),
        _ => None,
    }
}

/// Does this look like a CVRF XML document? (See [`detect`].)
pub fn sniff(bytes: &[u8]) -> bool {
    detect(bytes) == Some(CvrfFormat::Xml)
}

/// Reads the JSON of Microsoft's CVRF API; `file` names it in errors.
///
/// Every element of the XML is there, spelt differently: text as
/// `{"Value": …}`, repeated elements as arrays, and the `Type` attributes
/// as integer codes (API v2.0) or as names without spaces (`VendorFix`,
/// API v3.0). Both spellings read into the XML's names (`Vendor Fix`), so
/// the two formats give equal documents. Missing keys are taken as absent
/// elements; a code this reader does not know is kept as its number.
pub fn parse_json(bytes: &[u8], file: &str) -> Result<CvrfDocument, CvrfError> {
    json::parse(bytes, file)
}

/// Reads either format, chosen by the content: a document that starts with
/// `<` is read as XML, one that starts with `{` as JSON, so that a file that
/// is neither quite CVRF gets the reader's error naming the place, not a
/// guess.
pub fn read(bytes: &[u8], file: &str) -> Result<(CvrfDocument, CvrfFormat), CvrfError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => parse(bytes, file).map(|d| (d, CvrfFormat::Xml)),
        Some(b'{') => parse_json(bytes, file).map(|d| (d, CvrfFormat::MsrcJson)),
        _ => Err(CvrfError::UnknownFormat {
            file: file.to_string(),
            start: String::from_utf8_lossy(&body[..body.len().min(16)]).into_owned(),
        }),
    }
}

fn check_size(bytes: &[u8], file: &str) -> Result<(), CvrfError> {
    if bytes.len() > MAX_BYTES {
        return Err(CvrfError::TooLarge {
            file: file.to_string(),
            size: bytes.len(),
            max: MAX_BYTES,
        });
    }
    Ok(())
}

/// An `xs:dateTime` (the zone is optional there: none means UTC, as in
/// MSRC's out-of-band documents and its API's JSON) or a bare date.
fn parse_date_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_with_and_without_a_zone() {
        assert_eq!(
            parse_date_time("2016-10-27T07:00:00").map(|t| t.to_rfc3339()),
            Some("2016-10-27T07:00:00+00:00".to_string())
        );
        assert_eq!(
            parse_date_time("2017-03-14T07:00:00Z").map(|t| t.to_rfc3339()),
            Some("2017-03-14T07:00:00+00:00".to_string())
        );
        assert!(parse_date_time("2016-10-27").is_some());
        assert!(parse_date_time("yesterday").is_none());
    }

    #[test]
    fn formats_are_told_apart_by_content() {
        let xml =
            format!("\u{feff}<?xml version=\"1.0\"?>\n<cvrf:cvrfdoc xmlns:cvrf=\"{NS_CVRF}\"/>");
        assert_eq!(detect(xml.as_bytes()), Some(CvrfFormat::Xml));
        assert!(sniff(xml.as_bytes()));
        let json = br#"  {"DocumentTitle":{"Value":"x"},"DocumentTracking":{}}"#;
        assert_eq!(detect(json), Some(CvrfFormat::MsrcJson));
        assert!(!sniff(json));
        for other in [
            &b"<html><body>CVRF</body></html>"[..],
            br#"{"id":"MS04-035","kbs":[]}"#,
            br#"{"value":[{"ID":"2017-Mar","CvrfUrl":"https://example.invalid/"}]}"#,
            b"HotFix Alert",
            b"",
            b"   ",
        ] {
            assert_eq!(detect(other), None, "{}", String::from_utf8_lossy(other));
        }
        let err = read(b"HotFix", "x.txt").unwrap_err().to_string();
        assert!(
            err.starts_with("x.txt: neither CVRF XML nor CVRF JSON"),
            "{err}"
        );
    }
}
