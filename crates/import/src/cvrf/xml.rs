//! The CVRF 1.1 XML reader.
//!
//! Elements are matched by namespace and local name, so a prefix other than
//! Microsoft's still reads, and a document in another namespace (or not
//! CVRF at all) is refused by name and place. A DTD is refused: MSRC
//! documents have none, and entity expansion is the classic way to make an
//! XML reader use unbounded memory. A document cut short is reported at its
//! end, with the element it ends inside, since that is what someone looking
//! at a half-downloaded file needs to know.

use chrono::{DateTime, Utc};
use roxmltree::{Document, Node, ParsingOptions};

use super::{
    check_size, parse_date_time, Acknowledgment, CvrfDocument, CvrfError, Note, Product,
    Remediation, Revision, ScoreSet, Status, Threat, Vulnerability, NS_CVRF, NS_PROD, NS_VULN,
};

/// Reads a CVRF 1.1 document; `file` names it in errors.
pub fn parse(bytes: &[u8], file: &str) -> Result<CvrfDocument, CvrfError> {
    check_size(bytes, file)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| CvrfError::NotText {
        file: file.to_string(),
        offset: e.valid_up_to(),
    })?;
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| xml_error(text, file, &e))?;
    let root = doc.root_element();
    if !is(root, NS_CVRF, "cvrfdoc") {
        let pos = doc.text_pos_at(root.range().start);
        return Err(CvrfError::NotCvrf {
            file: file.to_string(),
            line: pos.row,
            column: pos.col,
            found: describe(root),
        });
    }
    let reader = Reader { doc: &doc, file };
    reader.document(root)
}

/// The parser's error, with a place for the errors it reports at 1:1: a
/// document that ends too early is reported at its end, inside the element
/// still open there, and a DTD where it starts.
fn xml_error(text: &str, file: &str, e: &roxmltree::Error) -> CvrfError {
    let at = |offset: usize| {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    };
    let (line, column, reason) = match e {
        roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode => {
            let (line, column) = at(text.len());
            let reason = match open_elements(text).last() {
                Some((name, start)) => format!(
                    "the document ends inside <{name}> (opened at line {}): it was cut short",
                    at(*start).0
                ),
                None => {
                    "the document ends before its root element closes: it was cut short".to_string()
                }
            };
            (line, column, reason)
        }
        roxmltree::Error::DtdDetected => {
            let (line, column) = text.find("<!DOCTYPE").map_or((1, 1), at);
            (
                line,
                column,
                "a DTD (<!DOCTYPE …>): CVRF documents have none, and it is not read".to_string(),
            )
        }
        other => {
            let pos = other.pos();
            (pos.row, pos.col, other.to_string())
        }
    };
    CvrfError::Xml {
        file: file.to_string(),
        line,
        column,
        reason,
    }
}

/// The elements still open at the end of `text`, outermost first, with the
/// byte offset of each start tag: a plain scan of the tags, enough to say
/// where a truncated document stops (the text is not well-formed, so the
/// parser has no tree to ask).
fn open_elements(text: &str) -> Vec<(String, usize)> {
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(lt) = rest.find('<') {
        let tag = &rest[lt..];
        let start = offset + lt;
        let skip_to = |end: &str| tag.find(end).map(|i| i + end.len());
        let len = if tag.starts_with("<!--") {
            skip_to("-->")
        } else if tag.starts_with("<![CDATA[") {
            skip_to("]]>")
        } else if tag.starts_with("<?") {
            skip_to("?>")
        } else if tag.starts_with("<!") {
            skip_to(">")
        } else {
            let end = tag_end(tag);
            let name: String = tag[1..]
                .trim_start_matches('/')
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .collect();
            match end {
                Some(end) if tag.starts_with("</") => {
                    if let Some(i) = open.iter().rposition(|(n, _)| *n == name) {
                        open.truncate(i);
                    }
                    Some(end)
                }
                Some(end) => {
                    if !tag[..end].ends_with("/>") {
                        open.push((name, start));
                    }
                    Some(end)
                }
                None => {
                    // Cut inside the tag itself.
                    if !tag.starts_with("</") && !name.is_empty() {
                        open.push((name, start));
                    }
                    None
                }
            }
        };
        match len {
            Some(len) => {
                offset = start + len;
                rest = &text[offset..];
            }
            None => break,
        }
    }
    open
}

/// The length of a start or end tag up to and including its `>`, skipping
/// `>` inside quoted attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
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
        // An element in another namespace would be skipped without a word
        // (a CVRF 1.2 `vuln:Vulnerability` under a 1.1 root reads as no
        // vulnerabilities at all), so it is refused.
        for c in root.children().filter(|c| c.is_element()) {
            let ns = c.tag_name().namespace().unwrap_or("");
            if ![NS_CVRF, NS_PROD, NS_VULN].contains(&ns) {
                return Err(self.invalid(
                    c,
                    if ns.is_empty() {
                        "in no namespace, which is not one of CVRF 1.1's".to_string()
                    } else {
                        format!("in namespace {ns}, which is not one of CVRF 1.1's")
                    },
                ));
            }
        }
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
        assert!(super::super::sniff(SMALL.as_bytes()));
    }

    #[test]
    fn broken_input_is_named_with_its_place() {
        // Cut inside the first remediation: reported at the end, inside it.
        let cut_at = SMALL.find("<vuln:RestartRequired>").unwrap_or(SMALL.len());
        let cut = &SMALL[..cut_at];
        let err = parse(cut.as_bytes(), "cut.xml").unwrap_err().to_string();
        let last_line = cut.lines().count();
        assert!(
            err.starts_with(&format!("cut.xml: line {last_line} column ")),
            "{err}"
        );
        assert!(
            err.contains("ends inside <vuln:Remediation> (opened at line 25)"),
            "{err}"
        );
        // Cut inside a tag.
        let cut = &SMALL[..SMALL.find("Type=\"Severity\"").unwrap_or(0)];
        let err = parse(cut.as_bytes(), "tag.xml").unwrap_err().to_string();
        assert!(err.contains("ends inside <vuln:Threat>"), "{err}");

        let other = SMALL.replace("CVRF/schema/cvrf/1.1", "CVRF/schema/cvrf/1.2");
        let err = parse(other.as_bytes(), "ns.xml").unwrap_err().to_string();
        assert!(
            err.starts_with("ns.xml: line 2 column 1: the root element is {http://www.icasi.org/CVRF/schema/cvrf/1.2}cvrfdoc, not cvrfdoc in the CVRF 1.1 namespace"),
            "{err}"
        );
        let html = "<?xml version=\"1.0\"?>\n\n  <html><body/></html>";
        let err = parse(html.as_bytes(), "h.xml").unwrap_err().to_string();
        assert!(
            err.starts_with("h.xml: line 3 column 3: the root element is html,"),
            "{err}"
        );
        let dtd = format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>{}",
            &SMALL[SMALL.find("<cvrf:cvrfdoc").unwrap_or(0)..]
        );
        let err = parse(dtd.as_bytes(), "dtd.xml").unwrap_err().to_string();
        assert!(err.starts_with("dtd.xml: line 2 column 1: "), "{err}");
        assert!(err.contains("DTD"), "{err}");
        let bad_date = SMALL.replace("2099-01-12T08:00:00Z", "yesterday");
        let err = parse(bad_date.as_bytes(), "d.xml").unwrap_err().to_string();
        assert!(
            err.contains("line 8: InitialReleaseDate") && err.contains("yesterday"),
            "{err}"
        );
        let bad_score = SMALL.replace("<vuln:BaseScore>7.5", "<vuln:BaseScore>high");
        let err = parse(bad_score.as_bytes(), "s.xml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("BaseScore: \"high\" is not a number"), "{err}");
        let mismatched = SMALL.replace("</vuln:Title>", "</vuln:Titel>");
        let err = parse(mismatched.as_bytes(), "m.xml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("m.xml: line 18 column 26: "), "{err}");
        assert!(matches!(
            parse(&[0xff, 0xfe, 0x00], "b.xml"),
            Err(CvrfError::NotText { .. })
        ));
        assert!(matches!(
            parse(b"", "e.xml"),
            Err(CvrfError::Xml { line: 1, .. })
        ));
    }

    #[test]
    fn open_elements_follow_the_tags() {
        let open = open_elements("<a x='>'><b/><!-- <c> --><d><![CDATA[<e>]]></d><f>");
        let names: Vec<&str> = open.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "f"]);
    }
}
