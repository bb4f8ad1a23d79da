//! One entry point for every format `hfr import` takes: the format is told
//! from the content (or given by the caller), and what is plainly not a
//! document is refused before any reader sees it.
//!
//! Why by content and not by file name: vendor documents arrive under
//! whatever name a browser or a script gave them (`cvrf.json`, `download`,
//! `2017-Mar`), and a HotFix page saved as `.html` is still text. The rules,
//! in order:
//!
//! 1. Bytes that are no text document at all are refused with what they are
//!    and what to do: a ZIP archive ("unpack it first"), gzip, bzip2, xz,
//!    7-Zip or zstd data ("decompress it first"), a PDF or an Office file,
//!    or anything else with a NUL byte (unless it is UTF-16 with a byte
//!    order mark, which HotFix pages may be). Only the first bytes are
//!    needed ([`screen`]), so a caller can refuse a huge file after reading
//!    a few kilobytes of it.
//! 2. After a byte order mark and white space, `<` is XML: a Microsoft CVRF
//!    1.1 document, the only XML format read (a file that is XML but not
//!    CVRF gets the CVRF reader's error naming its root element and
//!    namespace). An HTML page goes to the HotFix reader, which says how to
//!    save it as text.
//! 3. `{` or `[` is JSON, told apart by its top-level keys (read without
//!    building the document): `document` is a CSAF advisory; `DocumentTracking`
//!    or `DocumentTitle` Microsoft's CVRF API JSON; a provider's metadata
//!    (`canonical_url` and `metadata_version`), a ROLIE feed (`feed`) and
//!    Microsoft's list of updates (`value`) are lists of documents, refused
//!    with a pointer to `hfr sync`; anything else is read as hfr's own alert
//!    JSON, whose reader names the first key it does not know.
//! 4. Anything else is a HotFix Alert page (text in UTF-8, UTF-16,
//!    Shift_JIS or EUC-JP).
//!
//! A Microsoft document becomes a [`Document::Release`]: the month, and one
//! alert per CVE. Every other format is one alert.
//!
//! CSAF advisories from other providers are checked before they are read:
//! the structural check and the 43 mandatory tests of CSAF 2.0 section 6.1
//! ([`hfr_csaf::checks`]). A finding about a part the importer reads (the
//! tracking id and dates, the title, notes and references, the aggregate
//! severity, the product tree, and each vulnerability's ids, notes, product
//! status, scores, remediations and threats) refuses the document, naming
//! the test and the JSON pointer: an alert made from a broken part would be
//! wrong without anyone noticing. A finding about a part the importer does
//! not read ([`CSAF_UNREAD`]: publisher, distribution, language, generator,
//! document version, status and revision history, category, CWE,
//! acknowledgments, involvements, flags, discovery and release dates,
//! product identification helpers) only becomes a warning, since the alert
//! would be the same had the part been right.

use hfr_model::{Alert, Release};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::cvrf::CvrfFormat;
use crate::{ImportError, Parsed, Warning};

/// The formats [`read_any`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A HotFix Alert page (either rendering, any of its encodings).
    HotFix,
    /// An alert in hfr's own JSON.
    Json,
    /// Microsoft's CVRF 1.1 XML.
    Cvrf,
    /// The JSON of Microsoft's CVRF API.
    MsrcJson,
    /// A CSAF 2.0 advisory.
    Csaf,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::HotFix,
        Format::Json,
        Format::Cvrf,
        Format::MsrcJson,
        Format::Csaf,
    ];

    /// The name `--format` takes: `hotfix`, `json`, `cvrf`, `msrc-json`, `csaf`.
    pub fn name(self) -> &'static str {
        match self {
            Format::HotFix => "hotfix",
            Format::Json => "json",
            Format::Cvrf => "cvrf",
            Format::MsrcJson => "msrc-json",
            Format::Csaf => "csaf",
        }
    }

    /// The format a name given by a person means; the recorded names
    /// (`hotfix-text`, `hfr-json`, `cvrf-xml`, `msrc-cvrf-json`) are
    /// understood too.
    pub fn parse(s: &str) -> Option<Format> {
        let s = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s || f.recorded_name() == s)
    }

    /// The name recorded with the revisions read in this format.
    pub fn recorded_name(self) -> &'static str {
        match self {
            Format::HotFix => crate::hotfix::FORMAT,
            Format::Json => crate::json::FORMAT,
            Format::Cvrf => CvrfFormat::Xml.name(),
            Format::MsrcJson => CvrfFormat::MsrcJson.name(),
            Format::Csaf => CSAF_FORMAT,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::parse(s).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("unknown format {s:?}; one of {}", names.join(", "))
        })
    }
}

/// The format name recorded with revisions read from CSAF documents.
pub const CSAF_FORMAT: &str = "csaf";

/// A vendor's release document read whole: the release and its alerts.
#[derive(Debug, Clone)]
pub struct ReleaseDocument {
    pub release: Release,
    /// One alert per vulnerability, in document order.
    pub alerts: Vec<Alert>,
    pub warnings: Vec<Warning>,
    /// The recorded format name, e.g. `cvrf-xml`.
    pub format: &'static str,
    /// The document's text, kept once in the archive for all its alerts.
    pub text: String,
}

/// What one file held.
// One per file read, moved into the store's entry right away: boxing the
// alert would only cost every caller a `Box::new`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Document {
    /// One alert: a HotFix page, hfr JSON, a CSAF advisory.
    Alert(Parsed),
    /// A vendor release: Microsoft's monthly document.
    Release(ReleaseDocument),
}

impl Document {
    pub fn warnings(&self) -> &[Warning] {
        match self {
            Document::Alert(p) => &p.warnings,
            Document::Release(r) => &r.warnings,
        }
    }

    /// The recorded format name.
    pub fn format(&self) -> &'static str {
        match self {
            Document::Alert(p) => p.format,
            Document::Release(r) => r.format,
        }
    }
}

/// How many bytes [`screen`] looks at: enough for every signature and for a
/// NUL byte to show in anything binary.
pub const SCREEN_BYTES: usize = 64 * 1024;

/// Refuses bytes that are no text document, from their start alone (the
/// first [`SCREEN_BYTES`] are enough; more are not looked at): archives,
/// compressed data, PDF and Office files, and binary data. Empty input is
/// left to the readers, which say so.
pub fn screen(bytes: &[u8], file: &str) -> Result<(), ImportError> {
    let head = &bytes[..bytes.len().min(SCREEN_BYTES)];
    let refuse = |what: &str| {
        Err(ImportError::NotADocument {
            file: file.to_string(),
            what: what.to_string(),
        })
    };
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        return refuse("a ZIP archive, not a document; unpack it first");
    }
    if starts(b"\x1f\x8b") {
        return refuse("gzip-compressed data, not a document; decompress it first (gunzip)");
    }
    if starts(b"BZh") && head.get(4..10) == Some(b"1AY&SY") {
        return refuse("bzip2-compressed data, not a document; decompress it first (bunzip2)");
    }
    if starts(b"\xFD7zXZ\x00") {
        return refuse("xz-compressed data, not a document; decompress it first (unxz)");
    }
    if starts(b"7z\xBC\xAF\x27\x1C") {
        return refuse("a 7-Zip archive, not a document; unpack it first");
    }
    if starts(b"\x28\xB5\x2F\xFD") {
        return refuse("zstd-compressed data, not a document; decompress it first (unzstd)");
    }
    if starts(b"%PDF-") {
        return refuse("a PDF document; hfr reads the text of a page, not a PDF");
    }
    if starts(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return refuse(
            "a Microsoft Office (OLE) file such as .doc or .xls; save the page as text first",
        );
    }
    let utf16 = starts(b"\xFF\xFE") || starts(b"\xFE\xFF");
    if !utf16 {
        if let Some(offset) = head.iter().position(|&b| b == 0) {
            return Err(ImportError::Binary {
                file: file.to_string(),
                line: head[..offset].iter().filter(|&&b| b == b'\n').count() + 1,
                offset,
            });
        }
    }
    Ok(())
}

/// Tells the format of a whole document by its content (see the module
/// documentation), refusing what is not a document or is a list of them.
pub fn detect(bytes: &[u8], file: &str) -> Result<Format, ImportError> {
    screen(bytes, file)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        // Empty or blank: the page reader says so.
        return Ok(Format::HotFix);
    };
    let body = &body[start..];
    match body[0] {
        b'<' if is_html(body) => Ok(Format::HotFix),
        b'<' => Ok(Format::Cvrf),
        b'{' | b'[' => json_format(body, file),
        _ => Ok(Format::HotFix),
    }
}

/// An HTML page rather than XML: what a browser saves.
fn is_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(64)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    ["<!doctype html", "<html", "<head", "<body", "<meta"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// The top level of a JSON document, read without building it.
enum TopLevel {
    Object(Vec<String>),
    Other,
}

impl<'de> serde::Deserialize<'de> for TopLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopLevel;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON document")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<TopLevel, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    m.next_value::<IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(TopLevel::Object(keys))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<TopLevel, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TopLevel::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_unit<E>(self) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Which JSON format a document is in, by its top-level keys.
fn json_format(body: &[u8], file: &str) -> Result<Format, ImportError> {
    let top: TopLevel = match serde_json::from_slice(body) {
        Ok(t) => t,
        // Not UTF-8: only hfr's JSON reader decodes other encodings, and it
        // names the place when it cannot either.
        Err(_) if std::str::from_utf8(body).is_err() => return Ok(Format::Json),
        Err(e) => return Err(not_json(file, &e)),
    };
    let TopLevel::Object(keys) = top else {
        return Ok(Format::Json);
    };
    let has = |k: &str| keys.iter().any(|x| x == k);
    if has("canonical_url") && has("metadata_version") {
        return Err(list_of_documents(
            file,
            "a CSAF provider's metadata (provider-metadata.json)",
        ));
    }
    if has("feed") && !has("document") {
        return Err(list_of_documents(file, "a ROLIE feed of CSAF advisories"));
    }
    if has("document") {
        return Ok(Format::Csaf);
    }
    if has("DocumentTracking") || has("DocumentTitle") {
        return Ok(Format::MsrcJson);
    }
    if has("value") && !has("id") {
        return Err(list_of_documents(
            file,
            "Microsoft's list of security updates (the CVRF API's `value`)",
        ));
    }
    Ok(Format::Json)
}

fn not_json(file: &str, e: &serde_json::Error) -> ImportError {
    let reason = if e.is_eof() {
        format!("{e}: the document was cut short")
    } else {
        e.to_string()
    };
    ImportError::NotJson {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        reason,
    }
}

fn list_of_documents(file: &str, what: &str) -> ImportError {
    ImportError::ListOfDocuments {
        file: file.to_string(),
        what: what.to_string(),
    }
}

/// Reads one file of any format: told by its content ([`detect`]), or the
/// one given, which skips detection (the bytes are still screened, since
/// an archive is no document of any format).
pub fn read_any(bytes: &[u8], file: &str, format: Option<Format>) -> Result<Document, ImportError> {
    let format = match format {
        Some(f) => {
            screen(bytes, file)?;
            f
        }
        None => detect(bytes, file)?,
    };
    match format {
        Format::HotFix => crate::read_hotfix_page(bytes, file).map(Document::Alert),
        Format::Json => crate::json::read_alert_json(bytes, file).map(Document::Alert),
        Format::Cvrf => read_cvrf(bytes, file, CvrfFormat::Xml),
        Format::MsrcJson => read_cvrf(bytes, file, CvrfFormat::MsrcJson),
        Format::Csaf => read_csaf(bytes, file).map(Document::Alert),
    }
}

fn read_cvrf(bytes: &[u8], file: &str, format: CvrfFormat) -> Result<Document, ImportError> {
    let doc = match format {
        CvrfFormat::Xml => crate::cvrf::parse(bytes, file)?,
        CvrfFormat::MsrcJson => crate::cvrf::parse_json(bytes, file)?,
    };
    let imported = crate::msrc::from_cvrf(&doc);
    drop(doc);
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Both readers have checked that the bytes are UTF-8 (the lossy path
    // is never taken; it is there so that no input can panic here).
    let text = match std::str::from_utf8(body) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    Ok(Document::Release(ReleaseDocument {
        release: imported.release,
        alerts: imported.alerts,
        warnings: imported.warnings,
        format: format.name(),
        text,
    }))
}

/// Pointer prefixes of the CSAF parts the importer does not read: a finding
/// there is a warning, anywhere else it refuses the document (see the
/// module documentation). A prefix matches a whole reference token, and
/// `*` stands for one token (an array index).
pub const CSAF_UNREAD: &[&str] = &[
    "/document/acknowledgments",
    "/document/category",
    "/document/distribution",
    "/document/lang",
    "/document/publisher",
    "/document/source_lang",
    "/document/tracking/generator",
    "/document/tracking/revision_history",
    "/document/tracking/status",
    "/document/tracking/version",
    "/vulnerabilities/*/acknowledgments",
    "/vulnerabilities/*/cwe",
    "/vulnerabilities/*/discovery_date",
    "/vulnerabilities/*/flags",
    "/vulnerabilities/*/involvements",
    "/vulnerabilities/*/release_date",
];

/// Does a finding at `pointer` concern only a part the importer ignores?
pub fn csaf_part_unread(pointer: &str) -> bool {
    if pointer.contains("/product_identification_helper") {
        return true;
    }
    let tokens: Vec<&str> = pointer.split('/').collect();
    CSAF_UNREAD.iter().any(|prefix| {
        let want: Vec<&str> = prefix.split('/').collect();
        tokens.len() >= want.len() && want.iter().zip(&tokens).all(|(w, t)| *w == "*" || w == t)
    })
}

/// Reads a CSAF 2.0 advisory after its checks (see the module docs).
fn read_csaf(bytes: &[u8], file: &str) -> Result<Parsed, ImportError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        let offset = e.valid_up_to();
        ImportError::Encoding {
            file: file.to_string(),
            line: body[..offset].iter().filter(|&&b| b == b'\n').count() + 1,
            offset,
        }
    })?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| not_json(file, &e))?;
    if !hfr_csaf::looks_like_csaf(&value) {
        return Err(ImportError::Csaf {
            file: file.to_string(),
            pointer: "/document".into(),
            message: "not a CSAF document: there is no /document".into(),
        });
    }
    if let Some(m) = value.as_object() {
        if m.contains_key("canonical_url") && m.contains_key("metadata_version") {
            return Err(list_of_documents(
                file,
                "a CSAF provider's metadata (provider-metadata.json)",
            ));
        }
        if m.contains_key("feed") && !m.contains_key("document") {
            return Err(list_of_documents(file, "a ROLIE feed of CSAF advisories"));
        }
    }
    let mut findings = hfr_csaf::checks::shape(&value);
    findings.extend(hfr_csaf::checks::mandatory(&value));
    let (ignored, blocking): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .partition(|f| csaf_part_unread(&f.pointer));
    if let Some(first) = blocking.first() {
        return Err(ImportError::CsafCheck {
            file: file.to_string(),
            test: first.test.to_string(),
            pointer: if first.pointer.is_empty() {
                "/".into()
            } else {
                first.pointer.clone()
            },
            message: first.message.clone(),
            more: blocking.len() - 1,
        });
    }
    let (alert, warnings) = hfr_csaf::from_csaf(&value).map_err(|e| ImportError::Csaf {
        file: file.to_string(),
        pointer: e.pointer,
        message: e.message,
    })?;
    let mut out: Vec<Warning> = ignored
        .into_iter()
        .map(|f| Warning {
            line: None,
            section: format!(
                "CSAF {}",
                if f.pointer.is_empty() {
                    "/"
                } else {
                    &f.pointer
                }
            ),
            message: format!(
                "fails CSAF test {}: {} (a part hfr does not read, so the alert is imported)",
                f.test, f.message
            ),
        })
        .collect();
    out.extend(warnings.into_iter().map(|w| Warning {
        line: None,
        section: format!("CSAF {}", w.pointer),
        message: w.message,
    }));
    Ok(Parsed {
        alert,
        warnings: out,
        format: CSAF_FORMAT,
        encoding: "UTF-8",
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(bytes: &[u8]) -> String {
        match read_any(bytes, "f", None) {
            Err(e) => e.to_string(),
            Ok(d) => panic!("read as {}", d.format()),
        }
    }

    #[test]
    fn archives_and_binary_data_are_refused_with_what_they_are() {
        assert_eq!(
            refused(b"PK\x03\x04\x14\x00\x00\x00"),
            "f: a ZIP archive, not a document; unpack it first"
        );
        assert!(refused(b"PK\x05\x06\0\0\0\0").contains("ZIP archive"));
        assert!(refused(b"\x1f\x8b\x08\x00").contains("gzip"));
        assert!(refused(b"%PDF-1.4\n").contains("PDF"));
        assert!(refused(b"\xFD7zXZ\x00\x00").contains("xz"));
        let err = refused(b"abc\ndef\0ghi");
        assert!(err.contains("line 2") && err.contains("binary"), "{err}");
        // Only the start is looked at.
        let mut big = vec![b'a'; SCREEN_BYTES];
        big.push(0);
        assert!(screen(&big, "f").is_ok());
    }

    #[test]
    fn lists_of_documents_point_to_sync() {
        for (json, what) in [
            (
                r#"{"canonical_url":"https://x/provider-metadata.json","metadata_version":"2.0"}"#,
                "provider",
            ),
            (r#"{"feed":{"id":"x","entry":[]}}"#, "ROLIE"),
            (
                r#"{"@odata.context":"x","value":[{"ID":"2017-Mar","CvrfUrl":"https://x"}]}"#,
                "list of security updates",
            ),
        ] {
            let err = refused(json.as_bytes());
            assert!(err.contains(what) && err.contains("hfr sync"), "{err}");
        }
    }

    #[test]
    fn json_is_told_apart_by_its_top_level_keys() {
        let f = |s: &str| detect(s.as_bytes(), "f");
        assert_eq!(f(r#"{"id":"MS04-035"}"#), Ok(Format::Json));
        assert_eq!(
            f(r#"{"DocumentTitle":{"Value":"x"},"DocumentTracking":{}}"#),
            Ok(Format::MsrcJson)
        );
        assert_eq!(
            f(r#"{"document":{"csaf_version":"2.0"},"vulnerabilities":[]}"#),
            Ok(Format::Csaf)
        );
        // A nested key does not count.
        assert_eq!(
            f(r#"{"id":"X","notes":[{"document":1,"feed":2}]}"#),
            Ok(Format::Json)
        );
        assert_eq!(f("\u{feff}  <?xml version=\"1.0\"?><a/>"), Ok(Format::Cvrf));
        assert_eq!(f("<!DOCTYPE html><html></html>"), Ok(Format::HotFix));
        assert_eq!(f("HotFix Alert"), Ok(Format::HotFix));
        let cut = f(r#"{"document":{"csaf_version":"2.0","#).unwrap_err();
        assert!(
            cut.to_string().contains("not well-formed JSON")
                && cut.to_string().contains("cut short"),
            "{cut}"
        );
    }

    #[test]
    fn formats_have_names() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()), Some(f));
            assert_eq!(Format::parse(f.recorded_name()), Some(f));
        }
        assert_eq!("MSRC-JSON".parse::<Format>(), Ok(Format::MsrcJson));
        assert!("xml".parse::<Format>().unwrap_err().contains("cvrf"));
    }

    #[test]
    fn only_findings_in_unread_parts_are_warnings() {
        for p in [
            "/document/publisher/namespace",
            "/document/tracking/revision_history/0/number",
            "/vulnerabilities/3/cwe/id",
            "/product_tree/branches/0/product/product_identification_helper/purl",
        ] {
            assert!(csaf_part_unread(p), "{p}");
        }
        for p in [
            "",
            "/document",
            "/document/tracking/id",
            "/document/publisher_x",
            "/vulnerabilities/0/scores/0/cvss_v3/baseScore",
            "/product_tree/full_product_names/0/product_id",
        ] {
            assert!(!csaf_part_unread(p), "{p}");
        }
    }
}
