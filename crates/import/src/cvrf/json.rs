//! The JSON of Microsoft's CVRF API, read into the same [`CvrfDocument`] as
//! the XML.
//!
//! The API's JSON is the XML serialized by another tool: text elements
//! become `{"Value": "…"}` (or `{}` when empty), repeated elements arrays,
//! and enumerated `Type` attributes integers (v2.0) or squashed names
//! (v3.0: `VendorFix`). The reader walks a `serde_json::Value` rather than
//! typed structs so that a missing or `{}` value is simply absent, as it
//! would be in the XML, and one odd value does not make the whole document
//! unreadable. Only values that cannot mean anything (a score that is not a
//! number) are errors, named by JSON pointer.
//!
//! Integer codes, from Microsoft's PowerShell module and public scripts
//! that read the API (the CVRF enumerations in their schema order, plus
//! Microsoft's additions at the end): threat types 0 Impact, 1 Exploit
//! Status, 2 Target Set, 3 Severity; remediation types 0 Workaround,
//! 1 Mitigation, 2 Vendor Fix, 3 None Available, 4 Will Not Fix, 5 Known
//! Issue; note types 0 General, 1 Details, 2 Description, 3 Summary, 4 FAQ,
//! 5 Legal Disclaimer, 6 Other, 7 Tag, 8 CNA; product status 3 Known
//! Affected (the only one Microsoft uses). Branch types (0 Vendor, 1 Product
//! Family, …) and document status (0 Draft, 1 Interim, 2 Final) follow the
//! CVRF order but are not confirmed by a published sample; an unknown code
//! is kept as its number.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{
    check_size, parse_date_time, Acknowledgment, CvrfDocument, CvrfError, Note, Product,
    Remediation, Revision, ScoreSet, Status, Threat, Vulnerability,
};

pub(super) const THREAT_TYPES: &[&str] = &["Impact", "Exploit Status", "Target Set", "Severity"];
pub(super) const REMEDIATION_TYPES: &[&str] = &[
    "Workaround",
    "Mitigation",
    "Vendor Fix",
    "None Available",
    "Will Not Fix",
    "Known Issue",
];
pub(super) const NOTE_TYPES: &[&str] = &[
    "General",
    "Details",
    "Description",
    "Summary",
    "FAQ",
    "Legal Disclaimer",
    "Other",
    "Tag",
    "CNA",
];
/// Only code 3 is known; the others are kept as numbers.
pub(super) const STATUS_TYPES: &[&str] = &["", "", "", "Known Affected"];
pub(super) const BRANCH_TYPES: &[&str] = &[
    "Vendor",
    "Product Family",
    "Product Name",
    "Product Version",
    "Patch Level",
    "Service Pack",
    "Architecture",
    "Language",
    "Legacy",
    "Specification",
];
pub(super) const DOCUMENT_STATUS: &[&str] = &["Draft", "Interim", "Final"];

pub(super) fn parse(bytes: &[u8], file: &str) -> Result<CvrfDocument, CvrfError> {
    check_size(bytes, file)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let root: Value = serde_json::from_slice(bytes).map_err(|e| CvrfError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })?;
    let r = Reader { file };
    let Some(obj) = root.as_object() else {
        return Err(r.not_cvrf("the top level is not an object"));
    };
    if obj.get("value").is_some_and(Value::is_array) {
        return Err(r.not_cvrf(
            "it is the API's list of updates (`value`), not a document: each entry's CvrfUrl is one",
        ));
    }
    if obj
        .get("document")
        .is_some_and(|d| d.get("csaf_version").is_some())
    {
        return Err(r.not_cvrf("it is a CSAF document"));
    }
    let Some(tracking) = obj.get("DocumentTracking") else {
        return Err(r.not_cvrf("there is no DocumentTracking"));
    };
    r.document(obj, tracking)
}

/// The value's text: a string, `{"Value": …}`, or a number; `None` when
/// absent or empty (`{}`, `""`), as an empty XML element reads.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => text(o.get("Value")),
        _ => None,
    }
}

/// An attribute's value as written (not trimmed, empty kept), as the XML
/// reader keeps attributes.
fn attr(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The elements of a repeated value: an array, a single value standing for
/// a one-element array, or nothing.
fn list(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(a)) => a,
        Some(Value::Null) | None => &[],
        Some(one) => std::slice::from_ref(one),
    }
}

/// Non-empty texts of a repeated value.
fn texts(v: Option<&Value>) -> Vec<String> {
    list(v).iter().filter_map(|x| text(Some(x))).collect()
}

/// Product ids, split on white space as the XML reader splits them.
fn product_ids(v: Option<&Value>) -> Vec<String> {
    texts(v)
        .iter()
        .flat_map(|s| s.split_whitespace().map(str::to_string))
        .collect()
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// An enumerated `Type` in the XML's spelling: a code looked up in
/// `table`, or a name matched against it without spaces and case.
fn kind(v: Option<&Value>, table: &[&str]) -> Option<String> {
    match v? {
        Value::Number(n) => Some(
            n.as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| table.get(i))
                .filter(|s| !s.is_empty())
                .map_or_else(|| n.to_string(), |s| (*s).to_string()),
        ),
        Value::String(s) => {
            let wanted = squash(s);
            Some(
                table
                    .iter()
                    .find(|t| !t.is_empty() && squash(t) == wanted)
                    .map_or_else(|| s.trim().to_string(), |t| (*t).to_string()),
            )
        }
        other => text(Some(other)),
    }
}

struct Reader<'f> {
    file: &'f str,
}

impl Reader<'_> {
    fn not_cvrf(&self, reason: &str) -> CvrfError {
        CvrfError::NotCvrfJson {
            file: self.file.to_string(),
            reason: reason.to_string(),
        }
    }

    fn invalid(&self, pointer: &str, reason: impl Into<String>) -> CvrfError {
        CvrfError::InvalidJson {
            file: self.file.to_string(),
            pointer: pointer.to_string(),
            reason: reason.into(),
        }
    }

    fn date(
        &self,
        o: &Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Result<Option<DateTime<Utc>>, CvrfError> {
        let Some(s) = text(o.get(key)) else {
            return Ok(None);
        };
        parse_date_time(&s).map(Some).ok_or_else(|| {
            self.invalid(
                &format!("{at}/{key}"),
                format!("{s:?} is not a date and time"),
            )
        })
    }

    /// A score: a JSON number or a numeric string, read through its decimal
    /// text so that it is the same value the XML's text gives.
    fn score(&self, o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<f64>, CvrfError> {
        let Some(s) = text(o.get(key)) else {
            return Ok(None);
        };
        s.parse()
            .map(Some)
            .map_err(|_| self.invalid(&format!("{at}/{key}"), format!("{s:?} is not a number")))
    }

    fn ordinal(&self, o: &Map<String, Value>, at: &str) -> Result<Option<u32>, CvrfError> {
        let Some(s) = attr(o.get("Ordinal")) else {
            return Ok(None);
        };
        s.trim()
            .parse()
            .map(Some)
            .map_err(|_| self.invalid(&format!("{at}/Ordinal"), format!("{s:?} is not a number")))
    }

    /// The objects of a repeated value; anything else in the list is an error
    /// (it cannot be read as the element it stands for).
    fn objects<'v>(
        &self,
        v: Option<&'v Value>,
        at: &str,
    ) -> Result<Vec<&'v Map<String, Value>>, CvrfError> {
        list(v)
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_object()
                    .ok_or_else(|| self.invalid(&format!("{at}/{i}"), "not an object"))
            })
            .collect()
    }

    fn document(
        &self,
        root: &Map<String, Value>,
        tracking: &Value,
    ) -> Result<CvrfDocument, CvrfError> {
        let tracking = tracking
            .as_object()
            .ok_or_else(|| self.invalid("/DocumentTracking", "not an object"))?;
        let ident = tracking.get("Identification").and_then(Value::as_object);
        let id = text(ident.and_then(|i| i.get("ID"))).ok_or_else(|| {
            self.invalid(
                "/DocumentTracking/Identification/ID",
                "missing: every document has an ID",
            )
        })?;
        let mut doc = CvrfDocument {
            title: text(root.get("DocumentTitle")).unwrap_or_default(),
            document_type: text(root.get("DocumentType")),
            publisher: text(
                root.get("DocumentPublisher")
                    .and_then(|p| p.get("ContactDetails")),
            ),
            id,
            aliases: list(ident.and_then(|i| i.get("Alias")))
                .iter()
                .map(|a| text(Some(a)).unwrap_or_default())
                .collect(),
            status: kind(tracking.get("Status"), DOCUMENT_STATUS),
            version: text(tracking.get("Version")),
            initial_release: self.date(tracking, "InitialReleaseDate", "/DocumentTracking")?,
            current_release: self.date(tracking, "CurrentReleaseDate", "/DocumentTracking")?,
            revisions: self.revisions(
                tracking.get("RevisionHistory"),
                "/DocumentTracking/RevisionHistory",
            )?,
            notes: self.notes(root.get("DocumentNotes"), "/DocumentNotes")?,
            products: Vec::new(),
            vulnerabilities: Vec::new(),
        };
        if let Some(tree) = root.get("ProductTree").and_then(Value::as_object) {
            self.branches(
                tree.get("Branch"),
                "/ProductTree/Branch",
                &mut Vec::new(),
                &mut doc.products,
            )?;
            for p in self.objects(tree.get("FullProductName"), "/ProductTree/FullProductName")? {
                doc.products.push(Self::product(p, &[]));
            }
        }
        for (i, v) in self
            .objects(root.get("Vulnerability"), "/Vulnerability")?
            .into_iter()
            .enumerate()
        {
            doc.vulnerabilities
                .push(self.vulnerability(v, &format!("/Vulnerability/{i}"))?);
        }
        Ok(doc)
    }

    fn revisions(&self, v: Option<&Value>, at: &str) -> Result<Vec<Revision>, CvrfError> {
        self.objects(v, at)?
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                Ok(Revision {
                    number: text(r.get("Number")).unwrap_or_default(),
                    date: self.date(r, "Date", &format!("{at}/{i}"))?,
                    description: text(r.get("Description")).unwrap_or_default(),
                })
            })
            .collect()
    }

    fn notes(&self, v: Option<&Value>, at: &str) -> Result<Vec<Note>, CvrfError> {
        self.objects(v, at)?
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                Ok(Note {
                    title: attr(n.get("Title")),
                    kind: kind(n.get("Type"), NOTE_TYPES),
                    audience: attr(n.get("Audience")),
                    ordinal: self.ordinal(n, &format!("{at}/{i}"))?,
                    text: text(n.get("Value")).unwrap_or_default(),
                })
            })
            .collect()
    }

    fn product(p: &Map<String, Value>, path: &[(String, String)]) -> Product {
        Product {
            id: attr(p.get("ProductID")).unwrap_or_default(),
            name: text(p.get("Value")).unwrap_or_default(),
            branches: path.to_vec(),
            cpe: attr(p.get("CPE")),
        }
    }

    /// Branches and the products in them, depth first: an item with a
    /// `ProductID` is a product, any other a branch with `Items`.
    fn branches(
        &self,
        v: Option<&Value>,
        at: &str,
        path: &mut Vec<(String, String)>,
        out: &mut Vec<Product>,
    ) -> Result<(), CvrfError> {
        for (i, b) in self.objects(v, at)?.into_iter().enumerate() {
            if b.contains_key("ProductID") {
                out.push(Self::product(b, path));
                continue;
            }
            path.push((
                kind(b.get("Type"), BRANCH_TYPES).unwrap_or_default(),
                attr(b.get("Name")).unwrap_or_default(),
            ));
            self.branches(b.get("Items"), &format!("{at}/{i}/Items"), path, out)?;
            path.pop();
        }
        Ok(())
    }

    fn vulnerability(&self, v: &Map<String, Value>, at: &str) -> Result<Vulnerability, CvrfError> {
        let mut out = Vulnerability {
            ordinal: self.ordinal(v, at)?,
            title: text(v.get("Title")),
            cve: text(v.get("CVE")),
            notes: self.notes(v.get("Notes"), &format!("{at}/Notes"))?,
            revisions: self
                .revisions(v.get("RevisionHistory"), &format!("{at}/RevisionHistory"))?,
            ..Vulnerability::default()
        };
        for s in self.objects(v.get("ProductStatuses"), &format!("{at}/ProductStatuses"))? {
            out.statuses.push(Status {
                kind: kind(s.get("Type"), STATUS_TYPES).unwrap_or_default(),
                product_ids: product_ids(s.get("ProductID")),
            });
        }
        let threats = format!("{at}/Threats");
        for (i, t) in self
            .objects(v.get("Threats"), &threats)?
            .into_iter()
            .enumerate()
        {
            out.threats.push(Threat {
                kind: kind(t.get("Type"), THREAT_TYPES).unwrap_or_default(),
                description: text(t.get("Description")).unwrap_or_default(),
                date: self.date(t, "Date", &format!("{threats}/{i}"))?,
                product_ids: product_ids(t.get("ProductID")),
            });
        }
        let scores = format!("{at}/CVSSScoreSets");
        for (i, s) in self
            .objects(v.get("CVSSScoreSets"), &scores)?
            .into_iter()
            .enumerate()
        {
            let here = format!("{scores}/{i}");
            out.scores.push(ScoreSet {
                base: self.score(s, "BaseScore", &here)?,
                temporal: self.score(s, "TemporalScore", &here)?,
                environmental: self.score(s, "EnvironmentalScore", &here)?,
                vector: text(s.get("Vector")),
                product_ids: product_ids(s.get("ProductID")),
            });
        }
        let rems = format!("{at}/Remediations");
        for (i, r) in self
            .objects(v.get("Remediations"), &rems)?
            .into_iter()
            .enumerate()
        {
            out.remediations.push(Remediation {
                kind: kind(r.get("Type"), REMEDIATION_TYPES).unwrap_or_default(),
                description: text(r.get("Description")).unwrap_or_default(),
                url: text(r.get("URL")),
                date: self.date(r, "Date", &format!("{rems}/{i}"))?,
                entitlement: texts(r.get("Entitlement")).into_iter().next(),
                supercedence: text(r.get("Supercedence").or_else(|| r.get("Supersedence"))),
                restart_required: text(r.get("RestartRequired")),
                sub_type: text(r.get("SubType")),
                fixed_build: text(r.get("FixedBuild")),
                affected_files: texts(r.get("AffectedFiles")),
                product_ids: product_ids(r.get("ProductID")),
            });
        }
        let acks = v
            .get("Acknowledgments")
            .or_else(|| v.get("Acknowledgements"));
        for a in self.objects(acks, &format!("{at}/Acknowledgments"))? {
            out.acknowledgments.push(Acknowledgment {
                names: texts(a.get("Name")),
                organizations: texts(a.get("Organization")),
                urls: texts(a.get("URL")),
                description: text(a.get("Description")),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of a recent API answer (values invented): empty values as
    /// `{}` or `""`, types as codes, a fixed build and a CNA note.
    const RECENT: &str = r#"{
      "@odata.context": "https://api.example.invalid/cvrf/v2.0/$metadata#cvrf",
      "DocumentTitle": {"Value": "January 2099 Security Updates"},
      "DocumentType": {"Value": "Security Update"},
      "DocumentPublisher": {"ContactDetails": {"Value": "secure@example.invalid"}, "IssuingAuthority": {"Value": "x"}, "Type": 0},
      "DocumentTracking": {
        "Identification": {"ID": {"Value": "2099-Jan"}, "Alias": {"Value": "2099-Jan"}},
        "Status": 2, "Version": "1.0",
        "RevisionHistory": [{"Number": "1", "Date": "2099-01-12T08:00:00", "Description": {"Value": "January 2099 Security Updates"}}],
        "InitialReleaseDate": "2099-01-12T08:00:00", "CurrentReleaseDate": "2099-01-12T08:00:00"
      },
      "DocumentNotes": [{"Title": "Release Notes", "Audience": "Public", "Type": 1, "Ordinal": "1", "Value": "<p>Notes</p>\n"}],
      "ProductTree": {
        "Branch": [{"Type": 0, "Name": "Example", "Items": [{"Type": 1, "Name": "Servers", "Items": [{"ProductID": "11", "Value": "Example Server 1.0"}]}]}],
        "FullProductName": [{"ProductID": "11", "Value": "Example Server 1.0"}]
      },
      "Vulnerability": [{
        "Title": {},
        "Notes": [{"Title": "Description", "Type": 2, "Ordinal": "0"}, {"Title": "Servers", "Type": 7, "Ordinal": "20", "Value": "Servers"}, {"Title": "Example CNA", "Type": 8, "Ordinal": "30", "Value": "Example CNA"}],
        "DiscoveryDateSpecified": false, "ReleaseDateSpecified": false,
        "CVE": "CVE-2099-0001",
        "ProductStatuses": [{"ProductID": ["11"], "Type": 3}],
        "Threats": [
          {"Description": {"Value": "Remote Code Execution"}, "ProductID": ["11"], "Type": 0, "DateSpecified": false},
          {"Description": {}, "ProductID": ["11"], "Type": 3, "DateSpecified": false},
          {"Description": {"Value": "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Less Likely;DOS:N/A"}, "Type": 1, "DateSpecified": false}
        ],
        "CVSSScoreSets": [{"BaseScore": 7.8, "TemporalScore": 6.8, "Vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "ProductID": ["11"]}],
        "Remediations": [{"Description": {"Value": "example-server"}, "URL": "", "ProductID": ["11"], "Type": 2, "DateSpecified": false, "AffectedFiles": [], "RestartRequired": {}, "SubType": "Example Linux", "FixedBuild": "1.0.2-3"}],
        "Acknowledgments": [{"Name": [{"Value": "A. Finder"}], "URL": [""]}],
        "Ordinal": "1",
        "RevisionHistory": [{"Number": "1.0", "Date": "2099-01-12T08:00:00", "Description": {"Value": "<p>Information published.</p>\n"}}]
      }]
    }"#;

    #[test]
    fn a_recent_api_answer_reads_with_its_gaps() {
        let d = parse(RECENT.as_bytes(), "r.json").expect("parses");
        assert_eq!(d.id, "2099-Jan");
        assert_eq!(d.title, "January 2099 Security Updates");
        assert_eq!(d.publisher.as_deref(), Some("secure@example.invalid"));
        assert_eq!(d.status.as_deref(), Some("Final"));
        assert_eq!(d.aliases, ["2099-Jan"]);
        assert_eq!(d.notes[0].kind.as_deref(), Some("Details"));
        assert_eq!(d.notes[0].text, "<p>Notes</p>");
        assert_eq!(d.products.len(), 2);
        assert_eq!(
            d.products[0].branches,
            [
                ("Vendor".to_string(), "Example".to_string()),
                ("Product Family".to_string(), "Servers".to_string())
            ]
        );
        assert!(d.products[1].branches.is_empty());
        let v = &d.vulnerabilities[0];
        assert_eq!(v.title, None);
        assert_eq!(v.ordinal, Some(1));
        let kinds: Vec<_> = v.notes.iter().map(|n| n.kind.as_deref()).collect();
        assert_eq!(kinds, [Some("Description"), Some("Tag"), Some("CNA")]);
        assert_eq!(v.notes[0].text, "");
        assert_eq!(v.statuses[0].kind, "Known Affected");
        let threats: Vec<_> = v
            .threats
            .iter()
            .map(|t| (t.kind.as_str(), t.description.as_str()))
            .collect();
        assert_eq!(threats[0], ("Impact", "Remote Code Execution"));
        assert_eq!(threats[1], ("Severity", ""));
        assert_eq!(threats[2].0, "Exploit Status");
        assert_eq!(v.scores[0].base, Some(7.8));
        assert_eq!(v.scores[0].temporal, Some(6.8));
        let r = &v.remediations[0];
        assert_eq!(r.kind, "Vendor Fix");
        assert_eq!(
            (r.url.as_deref(), r.restart_required.as_deref()),
            (None, None)
        );
        assert_eq!(r.fixed_build.as_deref(), Some("1.0.2-3"));
        assert_eq!(v.acknowledgments[0].names, ["A. Finder"]);
        assert!(v.acknowledgments[0].urls.is_empty());
        assert_eq!(v.revisions[0].description, "<p>Information published.</p>");
    }

    #[test]
    fn v3_names_read_as_the_xml_spells_them() {
        let v3 = RECENT
            .replace(
                r#""Type": 2, "DateSpecified""#,
                r#""Type": "VendorFix", "DateSpecified""#,
            )
            .replace(
                r#""Type": 3, "DateSpecified""#,
                r#""Type": "Severity", "DateSpecified""#,
            )
            .replace(
                r#""Type": 1, "DateSpecified""#,
                r#""Type": "ExploitStatus", "DateSpecified""#,
            )
            .replace(r#""Type": 3}"#, r#""Type": "KnownAffected"}"#);
        let a = parse(RECENT.as_bytes(), "a.json").expect("v2");
        let b = parse(v3.as_bytes(), "b.json").expect("v3");
        assert_ne!(RECENT, v3);
        assert_eq!(a, b);
        assert_eq!(
            kind(Some(&Value::from(99)), THREAT_TYPES).as_deref(),
            Some("99")
        );
        assert_eq!(
            kind(Some(&Value::from(0)), STATUS_TYPES).as_deref(),
            Some("0")
        );
        assert_eq!(
            kind(Some(&Value::from("Odd")), THREAT_TYPES).as_deref(),
            Some("Odd")
        );
    }

    #[test]
    fn bad_json_is_named_with_its_place() {
        let cut = &RECENT[..RECENT.len() / 2];
        let err = parse(cut.as_bytes(), "cut.json").unwrap_err().to_string();
        let last = cut.lines().count();
        assert!(
            err.starts_with(&format!("cut.json: line {last} column ")),
            "{err}"
        );
        assert!(err.contains("not well-formed JSON: EOF"), "{err}");
        let err = parse(br#"{"value": [{"ID": "2017-Mar"}]}"#, "u.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("list of updates"), "{err}");
        let err = parse(br#"{"document": {"csaf_version": "2.0"}}"#, "c.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("CSAF"), "{err}");
        let err = parse(b"[1, 2]", "a.json").unwrap_err().to_string();
        assert!(err.contains("not an object"), "{err}");
        let err = parse(br#"{"DocumentTracking": {}}"#, "n.json")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "n.json: /DocumentTracking/Identification/ID: missing: every document has an ID"
        );
        let bad = RECENT.replace("\"BaseScore\": 7.8", "\"BaseScore\": \"high\"");
        let err = parse(bad.as_bytes(), "s.json").unwrap_err().to_string();
        assert_eq!(
            err,
            "s.json: /Vulnerability/0/CVSSScoreSets/0/BaseScore: \"high\" is not a number"
        );
        let bad = RECENT.replace("\"Threats\": [", "\"Threats\": [7, ");
        let err = parse(bad.as_bytes(), "t.json").unwrap_err().to_string();
        assert_eq!(err, "t.json: /Vulnerability/0/Threats/0: not an object");
        let bad = RECENT.replace(
            "\"Date\": \"2099-01-12T08:00:00\", \"Description\": {\"Value\": \"<p>",
            "\"Date\": \"soon\", \"Description\": {\"Value\": \"<p>",
        );
        let err = parse(bad.as_bytes(), "d.json").unwrap_err().to_string();
        assert_eq!(
            err,
            "d.json: /Vulnerability/0/RevisionHistory/0/Date: \"soon\" is not a date and time"
        );
    }
}
