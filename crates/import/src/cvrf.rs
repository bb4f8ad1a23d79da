//! Microsoft's monthly security-update documents, CVRF 1.1 XML, read into a
//! faithful, typed copy ([`CvrfDocument`]).
//!
//! This is the first of two steps: the document as Microsoft wrote it, with
//! nothing dropped and nothing interpreted (severities stay "Critical",
//! exploit status stays its `Publicly Disclosed:No;Exploited:No;…` string,
//! KB numbers stay the remediation's description). Turning it into alerts is
//! a separate step, so that the rules for that (which severity wins, what
//! `action` an exploited CVE gets) are written once, testable on their own,
//! and shared with the JSON that Microsoft's CVRF API serves, which carries
//! the same fields.
//!
//! Elements are matched by namespace and local name, so a prefix other than
//! Microsoft's still reads, and a document in another namespace (or not
//! CVRF at all) is refused by name. A DTD is refused: MSRC documents have
//! none, and entity expansion is the classic way to make an XML reader use
//! unbounded memory.

use chrono::{DateTime, Utc};
use roxmltree::{Document, Node, ParsingOptions};
use serde::Serialize;

/// The CVRF 1.1 namespaces.
pub const NS_CVRF: &str = "http://www.icasi.org/CVRF/schema/cvrf/1.1";
pub const NS_PROD: &str = "http://www.icasi.org/CVRF/schema/prod/1.1";
pub const NS_VULN: &str = "http://www.icasi.org/CVRF/schema/vuln/1.1";

/// The largest document read, in bytes. Microsoft's monthly documents are a
/// few megabytes; anything this large is not one, and reading it whole would
/// only use memory.
pub const MAX_BYTES: usize = 128 * 1024 * 1024;

/// Why bytes are not a CVRF 1.1 document.
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
        "{file}: the root element is {found}, not cvrfdoc in the CVRF 1.1 namespace ({NS_CVRF})"
    )]
    NotCvrf { file: String, found: String },
    #[error("{file}: line {line}: {element}: {reason}")]
    Invalid {
        file: String,
        line: u32,
        element: String,
        reason: String,
    },
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
    pub base: Option<f32>,
    pub temporal: Option<f32>,
    pub environmental: Option<f32>,
    pub vector: Option<String>,
    pub product_ids: Vec<String>,
}

/// A remediation: for MSRC, a KB (its description), its URL, what it
/// supersedes, restart, sub type and fixed build, for some products.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Remediation {
    /// `Type`: Workaround, Mitigation, Vendor Fix, None Available, Will Not Fix.
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
    pub products: Vec<Product>,
    pub vulnerabilities: Vec<Vulnerability>,
}

impl CvrfDocument {
    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }
}

/// Does this look like a CVRF document? (A cheap test for format detection:
/// the CVRF namespace near the start.)
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    head.windows(NS_CVRF.len() - 4)
        .any(|w| w == &NS_CVRF.as_bytes()[..NS_CVRF.len() - 4])
}

/// Reads a CVRF 1.1 document; `file` names it in errors.
pub fn parse(bytes: &[u8], file: &str) -> Result<CvrfDocument, CvrfError> {
    if bytes.len() > MAX_BYTES {
        return Err(CvrfError::TooLarge {
            file: file.to_string(),
            size: bytes.len(),
            max: MAX_BYTES,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| CvrfError::NotText {
        file: file.to_string(),
        offset: e.valid_up_to(),
    })?;
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| {
        let pos = e.pos();
        CvrfError::Xml {
            file: file.to_string(),
            line: pos.row,
            column: pos.col,
            reason: e.to_string(),
        }
    })?;
    let root = doc.root_element();
    if !is(root, NS_CVRF, "cvrfdoc") {
        return Err(CvrfError::NotCvrf {
            file: file.to_string(),
            found: describe(root),
        });
    }
    let reader = Reader { doc: &doc, file };
    reader.document(root)
}

/// An `xs:dateTime` (the zone is optional there: none means UTC, as in
/// MSRC's out-of-band documents) or a bare date.
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

fn is(n: Node, ns: &str, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(ns)
}

fn describe(n: Node) -> String {
    match n.tag_name().namespace() {
        Some(ns) => format!("{{{ns}}}{}", n.tag_name().name()),
        None => n.tag_name().name().to_string(),
    }
}

fn children<'a, 'i>(
    n: Node<'a, 'i>,
    ns: &'static str,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(move |c| is(*c, ns, name))
}

fn child<'a, 'i>(n: Node<'a, 'i>, ns: &'static str, name: &'static str) -> Option<Node<'a, 'i>> {
    children(n, ns, name).next()
}

/// The text of an element, trimmed; empty elements give "".
fn text(n: Node) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_string()
}

fn opt_text(n: Option<Node>) -> Option<String> {
    n.map(text).filter(|s| !s.is_empty())
}

struct Reader<'d, 'i> {
    doc: &'d Document<'i>,
    file: &'d str,
}

impl Reader<'_, '_> {
    fn invalid(&self, n: Node, reason: impl Into<String>) -> CvrfError {
        CvrfError::Invalid {
            file: self.file.to_string(),
            line: self.doc.text_pos_at(n.range().start).row,
            element: n.tag_name().name().to_string(),
            reason: reason.into(),
        }
    }

    fn date(&self, n: Option<Node>) -> Result<Option<DateTime<Utc>>, CvrfError> {
        let Some(n) = n else { return Ok(None) };
        let s = text(n);
        if s.is_empty() {
            return Ok(None);
        }
        parse_date_time(&s)
            .map(Some)
            .ok_or_else(|| self.invalid(n, format!("{s:?} is not a date and time")))
    }

    fn number<T: std::str::FromStr>(&self, n: Option<Node>) -> Result<Option<T>, CvrfError> {
        let Some(n) = n else { return Ok(None) };
        let s = text(n);
        if s.is_empty() {
            return Ok(None);
        }
        s.parse()
            .map(Some)
            .map_err(|_| self.invalid(n, format!("{s:?} is not a number")))
    }

    fn ordinal(&self, n: Node) -> Result<Option<u32>, CvrfError> {
        match n.attribute("Ordinal") {
            None => Ok(None),
            Some(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.invalid(n, format!("Ordinal {s:?} is not a number"))),
        }
    }

    fn document(&self, root: Node) -> Result<CvrfDocument, CvrfError> {
        let tracking = child(root, NS_CVRF, "DocumentTracking")
            .ok_or_else(|| self.invalid(root, "no DocumentTracking"))?;
        let ident = child(tracking, NS_CVRF, "Identification")
            .ok_or_else(|| self.invalid(tracking, "no Identification"))?;
        let id =
            opt_text(child(ident, NS_CVRF, "ID")).ok_or_else(|| self.invalid(ident, "no ID"))?;
        let mut doc = CvrfDocument {
            title: opt_text(child(root, NS_CVRF, "DocumentTitle")).unwrap_or_default(),
            document_type: opt_text(child(root, NS_CVRF, "DocumentType")),
            publisher: child(root, NS_CVRF, "DocumentPublisher")
                .and_then(|p| opt_text(child(p, NS_CVRF, "ContactDetails"))),
            id,
            aliases: children(ident, NS_CVRF, "Alias").map(text).collect(),
            status: opt_text(child(tracking, NS_CVRF, "Status")),
            version: opt_text(child(tracking, NS_CVRF, "Version")),
            initial_release: self.date(child(tracking, NS_CVRF, "InitialReleaseDate"))?,
            current_release: self.date(child(tracking, NS_CVRF, "CurrentReleaseDate"))?,
            revisions: Vec::new(),
            notes: Vec::new(),
            products: Vec::new(),
            vulnerabilities: Vec::new(),
        };
        if let Some(h) = child(tracking, NS_CVRF, "RevisionHistory") {
            doc.revisions = self.revisions(h)?;
        }
        if let Some(notes) = child(root, NS_CVRF, "DocumentNotes") {
            doc.notes = self.notes(notes, NS_CVRF)?;
        }
        if let Some(tree) = child(root, NS_PROD, "ProductTree") {
            self.branch(tree, &mut Vec::new(), &mut doc.products);
        }
        for v in children(root, NS_VULN, "Vulnerability") {
            doc.vulnerabilities.push(self.vulnerability(v)?);
        }
        Ok(doc)
    }

    fn revisions(&self, history: Node) -> Result<Vec<Revision>, CvrfError> {
        history
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "Revision")
            .map(|r| {
                Ok(Revision {
                    number: opt_text(child(r, NS_CVRF, "Number")).unwrap_or_default(),
                    date: self.date(child(r, NS_CVRF, "Date"))?,
                    description: opt_text(child(r, NS_CVRF, "Description")).unwrap_or_default(),
                })
            })
            .collect()
    }

    fn notes(&self, notes: Node, ns: &'static str) -> Result<Vec<Note>, CvrfError> {
        children(notes, ns, "Note")
            .map(|n| {
                Ok(Note {
                    title: n.attribute("Title").map(str::to_string),
                    kind: n.attribute("Type").map(str::to_string),
                    audience: n.attribute("Audience").map(str::to_string),
                    ordinal: self.ordinal(n)?,
                    text: text(n),
                })
            })
            .collect()
    }

    /// Products under a branch (or the tree), depth first, with their path.
    fn branch(&self, n: Node, path: &mut Vec<(String, String)>, out: &mut Vec<Product>) {
        for c in n.children().filter(|c| c.is_element()) {
            if is(c, NS_PROD, "Branch") {
                path.push((
                    c.attribute("Type").unwrap_or_default().to_string(),
                    c.attribute("Name").unwrap_or_default().to_string(),
                ));
                self.branch(c, path, out);
                path.pop();
            } else if is(c, NS_PROD, "FullProductName") {
                out.push(Product {
                    id: c.attribute("ProductID").unwrap_or_default().to_string(),
                    name: text(c),
                    branches: path.clone(),
                    cpe: c.attribute("CPE").map(str::to_string),
                });
            }
        }
    }

    fn product_ids(n: Node) -> Vec<String> {
        children(n, NS_VULN, "ProductID")
            .map(text)
            .flat_map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect()
    }

    fn vulnerability(&self, v: Node) -> Result<Vulnerability, CvrfError> {
        let mut out = Vulnerability {
            ordinal: self.ordinal(v)?,
            title: opt_text(child(v, NS_VULN, "Title")),
            cve: opt_text(child(v, NS_VULN, "CVE")),
            ..Vulnerability::default()
        };
        if let Some(notes) = child(v, NS_VULN, "Notes") {
            out.notes = self.notes(notes, NS_VULN)?;
        }
        if let Some(s) = child(v, NS_VULN, "ProductStatuses") {
            out.statuses = children(s, NS_VULN, "Status")
                .map(|st| Status {
                    kind: st.attribute("Type").unwrap_or_default().to_string(),
                    product_ids: Self::product_ids(st),
                })
                .collect();
        }
        if let Some(t) = child(v, NS_VULN, "Threats") {
            for th in children(t, NS_VULN, "Threat") {
                out.threats.push(Threat {
                    kind: th.attribute("Type").unwrap_or_default().to_string(),
                    description: opt_text(child(th, NS_VULN, "Description")).unwrap_or_default(),
                    date: self.date(child(th, NS_VULN, "Date"))?,
                    product_ids: Self::product_ids(th),
                });
            }
        }
        if let Some(c) = child(v, NS_VULN, "CVSSScoreSets") {
            for s in children(c, NS_VULN, "ScoreSet") {
                out.scores.push(ScoreSet {
                    base: self.number(child(s, NS_VULN, "BaseScore"))?,
                    temporal: self.number(child(s, NS_VULN, "TemporalScore"))?,
                    environmental: self.number(child(s, NS_VULN, "EnvironmentalScore"))?,
                    vector: opt_text(child(s, NS_VULN, "Vector")),
                    product_ids: Self::product_ids(s),
                });
            }
        }
        if let Some(r) = child(v, NS_VULN, "Remediations") {
            for rem in children(r, NS_VULN, "Remediation") {
                out.remediations.push(Remediation {
                    kind: rem.attribute("Type").unwrap_or_default().to_string(),
                    description: opt_text(child(rem, NS_VULN, "Description")).unwrap_or_default(),
                    url: opt_text(child(rem, NS_VULN, "URL")),
                    date: self.date(child(rem, NS_VULN, "Date"))?,
                    entitlement: opt_text(child(rem, NS_VULN, "Entitlement")),
                    supercedence: opt_text(child(rem, NS_VULN, "Supercedence")),
                    restart_required: opt_text(child(rem, NS_VULN, "RestartRequired")),
                    sub_type: opt_text(child(rem, NS_VULN, "SubType")),
                    fixed_build: opt_text(child(rem, NS_VULN, "FixedBuild")),
                    affected_files: child(rem, NS_VULN, "AffectedFiles")
                        .map(|a| {
                            a.children()
                                .filter(|c| c.is_element())
                                .map(text)
                                .filter(|s| !s.is_empty())
                                .collect()
                        })
                        .unwrap_or_default(),
                    product_ids: Self::product_ids(rem),
                });
            }
        }
        if let Some(a) = child(v, NS_VULN, "Acknowledgments") {
            for ack in children(a, NS_VULN, "Acknowledgment") {
                let all = |name: &'static str| -> Vec<String> {
                    children(ack, NS_VULN, name)
                        .map(text)
                        .filter(|s| !s.is_empty())
                        .collect()
                };
                out.acknowledgments.push(Acknowledgment {
                    names: all("Name"),
                    organizations: all("Organization"),
                    urls: all("URL"),
                    description: opt_text(child(ack, NS_VULN, "Description")),
                });
            }
        }
        if let Some(h) = child(v, NS_VULN, "RevisionHistory") {
            out.revisions = self.revisions(h)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<cvrf:cvrfdoc xmlns:cvrf="http://www.icasi.org/CVRF/schema/cvrf/1.1"
  xmlns:prod="http://www.icasi.org/CVRF/schema/prod/1.1"
  xmlns:vuln="http://www.icasi.org/CVRF/schema/vuln/1.1">
  <cvrf:DocumentTitle>Test Updates</cvrf:DocumentTitle>
  <cvrf:DocumentTracking>
    <cvrf:Identification><cvrf:ID>2099-Jan</cvrf:ID></cvrf:Identification>
    <cvrf:InitialReleaseDate>2099-01-12T08:00:00Z</cvrf:InitialReleaseDate>
  </cvrf:DocumentTracking>
  <prod:ProductTree>
    <prod:Branch Type="Vendor" Name="Example">
      <prod:Branch Type="Product Family" Name="Servers">
        <prod:FullProductName ProductID="11">Example Server 1.0</prod:FullProductName>
      </prod:Branch>
    </prod:Branch>
  </prod:ProductTree>
  <vuln:Vulnerability Ordinal="1">
    <vuln:Title>Test Flaw</vuln:Title>
    <vuln:CVE>CVE-2099-0001</vuln:CVE>
    <vuln:Threats>
      <vuln:Threat Type="Severity"><vuln:Description>Important</vuln:Description><vuln:ProductID>11</vuln:ProductID></vuln:Threat>
    </vuln:Threats>
    <vuln:CVSSScoreSets><vuln:ScoreSet><vuln:BaseScore>7.5</vuln:BaseScore><vuln:ProductID>11</vuln:ProductID></vuln:ScoreSet></vuln:CVSSScoreSets>
    <vuln:Remediations>
      <vuln:Remediation Type="Vendor Fix"><vuln:Description>9999999</vuln:Description><vuln:ProductID>11</vuln:ProductID><vuln:RestartRequired>Yes</vuln:RestartRequired></vuln:Remediation>
    </vuln:Remediations>
  </vuln:Vulnerability>
</cvrf:cvrfdoc>"#;

    #[test]
    fn a_small_document_reads_whole() {
        let d = parse(SMALL.as_bytes(), "t.xml").expect("parses");
        assert_eq!(d.id, "2099-Jan");
        assert_eq!(d.products.len(), 1);
        assert_eq!(
            d.products[0].branches,
            vec![
                ("Vendor".to_string(), "Example".to_string()),
                ("Product Family".to_string(), "Servers".to_string())
            ]
        );
        let v = &d.vulnerabilities[0];
        assert_eq!(v.cve.as_deref(), Some("CVE-2099-0001"));
        assert_eq!(v.threats[0].description, "Important");
        assert_eq!(v.scores[0].base, Some(7.5));
        assert_eq!(v.remediations[0].restart_required.as_deref(), Some("Yes"));
        assert_eq!(
            d.product("11").map(|p| p.name.as_str()),
            Some("Example Server 1.0")
        );
        assert!(sniff(SMALL.as_bytes()));
    }

    #[test]
    fn broken_input_is_named() {
        let cut = &SMALL[..SMALL.len() / 2];
        let err = parse(cut.as_bytes(), "cut.xml").unwrap_err().to_string();
        assert!(err.starts_with("cut.xml: line "), "{err}");
        let other = SMALL.replace("CVRF/schema/cvrf/1.1", "CVRF/schema/cvrf/1.2");
        let err = parse(other.as_bytes(), "ns.xml").unwrap_err().to_string();
        assert!(
            err.contains("not cvrfdoc in the CVRF 1.1 namespace"),
            "{err}"
        );
        let dtd = format!(
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]>{}",
            &SMALL[SMALL.find("<cvrf:cvrfdoc").unwrap_or(0)..]
        );
        let err = parse(dtd.as_bytes(), "dtd.xml").unwrap_err().to_string();
        assert!(err.contains("dtd.xml: line"), "{err}");
        let bad_date = SMALL.replace("2099-01-12T08:00:00Z", "yesterday");
        let err = parse(bad_date.as_bytes(), "d.xml").unwrap_err().to_string();
        assert!(
            err.contains("InitialReleaseDate") && err.contains("yesterday"),
            "{err}"
        );
        assert_eq!(
            parse_date_time("2016-10-27T07:00:00").map(|t| t.to_rfc3339()),
            Some("2016-10-27T07:00:00+00:00".to_string())
        );
        assert!(parse_date_time("2016-10-27").is_some());
        assert!(matches!(
            parse(&[0xff, 0xfe, 0x00], "b.xml"),
            Err(CvrfError::NotText { .. })
        ));
    }
}
