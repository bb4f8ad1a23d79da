//! The JSON that Microsoft's CVRF API serves reads into the same document
//! as the XML. No JSON sample is in the shared data, so this test writes
//! each month's parsed XML out in the API's shape (as public clients of the
//! API show it: `{"Value": …}` wrappers, arrays, integer type codes in
//! API v2.0 and names in v3.0, dates without a zone, empty values as `{}`
//! or `""`) and checks that reading it back gives an equal document, and
//! equal alerts.

mod msrc_data;

use hfr_import::cvrf::{self, CvrfDocument, CvrfFormat, Product};
use hfr_import::msrc;
use serde_json::{json, Map, Value};

/// How the API spells enumerated types.
#[derive(Clone, Copy, PartialEq)]
enum Types {
    /// v2.0: integer codes.
    Codes,
    /// v3.0: names without spaces.
    Names,
}

fn code(table: &[&str], name: &str, types: Types) -> Value {
    match types {
        Types::Names => Value::from(name.replace(' ', "")),
        Types::Codes => match table.iter().position(|t| *t == name) {
            Some(i) => Value::from(i),
            None => Value::from(name),
        },
    }
}

const THREATS: &[&str] = &["Impact", "Exploit Status", "Target Set", "Severity"];
const REMEDIATIONS: &[&str] = &[
    "Workaround",
    "Mitigation",
    "Vendor Fix",
    "None Available",
    "Will Not Fix",
    "Known Issue",
];
const NOTES: &[&str] = &[
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
const STATUSES: &[&str] = &["", "", "", "Known Affected"];
const BRANCHES: &[&str] = &["Vendor", "Product Family"];
const DOCUMENT_STATUS: &[&str] = &["Draft", "Interim", "Final"];

/// `{"Value": s}`, or `{}` for nothing.
fn value(s: Option<&str>) -> Value {
    match s {
        Some(s) if !s.is_empty() => json!({ "Value": s }),
        _ => json!({}),
    }
}

/// A date as the API writes it: no zone.
fn date(d: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    d.map_or(Value::Null, |d| {
        Value::from(d.format("%Y-%m-%dT%H:%M:%S").to_string())
    })
}

/// A score as the API writes it: a JSON number with the XML's digits.
fn score(s: Option<f64>) -> Value {
    s.map_or(Value::Null, |s| {
        serde_json::from_str(&s.to_string()).unwrap_or(Value::Null)
    })
}

fn revisions(rs: &[cvrf::Revision]) -> Value {
    rs.iter()
        .map(|r| {
            json!({
                "Number": r.number,
                "Date": date(r.date),
                "Description": value(Some(&r.description)),
            })
        })
        .collect()
}

fn notes(ns: &[cvrf::Note], types: Types) -> Value {
    ns.iter()
        .map(|n| {
            let mut o = Map::new();
            if let Some(t) = &n.title {
                o.insert("Title".into(), Value::from(t.as_str()));
            }
            if let Some(a) = &n.audience {
                o.insert("Audience".into(), Value::from(a.as_str()));
            }
            if let Some(k) = &n.kind {
                o.insert("Type".into(), code(NOTES, k, types));
            }
            if let Some(i) = n.ordinal {
                o.insert("Ordinal".into(), Value::from(i.to_string()));
            }
            if !n.text.is_empty() {
                o.insert("Value".into(), Value::from(n.text.as_str()));
            }
            Value::Object(o)
        })
        .collect()
}

/// The product tree: products with branches nested under them in order,
/// the flat ones after.
fn product_tree(products: &[Product], types: Types) -> Value {
    fn insert(items: &mut Vec<Value>, path: &[(String, String)], p: &Product, types: Types) {
        let Some(((kind, name), rest)) = path.split_first() else {
            items.push(json!({ "ProductID": p.id, "Value": p.name }));
            return;
        };
        let kind = code(BRANCHES, kind, types);
        let reuse = items.last().is_some_and(|b| {
            b.get("Name").and_then(Value::as_str) == Some(name.as_str())
                && b.get("Type") == Some(&kind)
        });
        if !reuse {
            items.push(json!({ "Type": kind, "Name": name, "Items": [] }));
        }
        if let Some(Value::Array(inner)) = items.last_mut().and_then(|b| b.get_mut("Items")) {
            insert(inner, rest, p, types);
        }
    }
    let mut branches = Vec::new();
    let mut flat = Vec::new();
    for p in products {
        if p.branches.is_empty() {
            flat.push(json!({ "ProductID": p.id, "Value": p.name }));
        } else {
            insert(&mut branches, &p.branches, p, types);
        }
    }
    json!({ "Branch": branches, "FullProductName": flat })
}

fn vulnerability(v: &cvrf::Vulnerability, types: Types) -> Value {
    let threats: Vec<Value> = v
        .threats
        .iter()
        .map(|t| {
            let mut o = json!({
                "Description": value(Some(&t.description)),
                "Type": code(THREATS, &t.kind, types),
                "DateSpecified": false,
            });
            if !t.product_ids.is_empty() {
                o["ProductID"] = json!(t.product_ids);
            }
            o
        })
        .collect();
    let remediations: Vec<Value> = v
        .remediations
        .iter()
        .map(|r| {
            let mut o = json!({
                "Description": value(Some(&r.description)),
                "URL": r.url.clone().unwrap_or_default(),
                "ProductID": r.product_ids,
                "Type": code(REMEDIATIONS, &r.kind, types),
                "DateSpecified": false,
                "AffectedFiles": r.affected_files,
                "RestartRequired": value(r.restart_required.as_deref()),
            });
            if let Some(s) = &r.supercedence {
                o["Supercedence"] = Value::from(s.as_str());
            }
            if let Some(s) = &r.sub_type {
                o["SubType"] = Value::from(s.as_str());
            }
            if let Some(s) = &r.fixed_build {
                o["FixedBuild"] = Value::from(s.as_str());
            }
            o
        })
        .collect();
    json!({
        "Title": value(v.title.as_deref()),
        "Notes": notes(&v.notes, types),
        "DiscoveryDateSpecified": false,
        "ReleaseDateSpecified": false,
        "CVE": v.cve,
        "ProductStatuses": v.statuses.iter().map(|s| json!({
            "ProductID": s.product_ids,
            "Type": code(STATUSES, &s.kind, types),
        })).collect::<Vec<_>>(),
        "Threats": threats,
        "CVSSScoreSets": v.scores.iter().map(|s| json!({
            "BaseScore": score(s.base),
            "TemporalScore": score(s.temporal),
            "Vector": s.vector,
            "ProductID": s.product_ids,
        })).collect::<Vec<_>>(),
        "Remediations": remediations,
        "Acknowledgments": v.acknowledgments.iter().map(|a| json!({
            "Name": a.names.iter().map(|n| json!({"Value": n})).collect::<Vec<_>>(),
            "URL": if a.urls.is_empty() { json!([""]) } else { json!(a.urls) },
        })).collect::<Vec<_>>(),
        "Ordinal": v.ordinal.map(|o| o.to_string()),
        "RevisionHistory": revisions(&v.revisions),
    })
}

/// A parsed document written out as Microsoft's CVRF API serves it.
fn to_api_json(d: &CvrfDocument, types: Types) -> Value {
    json!({
        "@odata.context": "https://api.msrc.microsoft.com/cvrf/v2.0/$metadata#cvrf",
        "DocumentTitle": value(Some(&d.title)),
        "DocumentType": value(d.document_type.as_deref()),
        "DocumentPublisher": {
            "ContactDetails": value(d.publisher.as_deref()),
            "IssuingAuthority": value(Some("Microsoft")),
            "Type": 0,
        },
        "DocumentTracking": {
            "Identification": {
                "ID": value(Some(&d.id)),
                "Alias": d.aliases.iter().map(|a| value(Some(a))).collect::<Vec<_>>(),
            },
            "Status": d.status.as_deref().map(|s| code(DOCUMENT_STATUS, s, types)),
            "Version": d.version,
            "RevisionHistory": revisions(&d.revisions),
            "InitialReleaseDate": date(d.initial_release),
            "CurrentReleaseDate": date(d.current_release),
        },
        "DocumentNotes": notes(&d.notes, types),
        "ProductTree": product_tree(&d.products, types),
        "Vulnerability": d.vulnerabilities.iter().map(|v| vulnerability(v, types)).collect::<Vec<_>>(),
    })
}

#[test]
fn json_and_xml_give_the_same_document_for_every_month() {
    let Some(months) = msrc_data::months() else {
        return;
    };
    for (i, m) in months.iter().enumerate() {
        // Every month with integer codes, every third with v3.0 names too.
        let mut kinds = vec![Types::Codes];
        if i % 3 == 0 {
            kinds.push(Types::Names);
        }
        for types in kinds {
            let bytes = serde_json::to_vec(&to_api_json(&m.doc, types)).expect("json");
            assert_eq!(
                cvrf::detect(&bytes),
                Some(CvrfFormat::MsrcJson),
                "{}",
                m.name
            );
            let back = cvrf::parse_json(&bytes, &m.name).unwrap_or_else(|e| panic!("{e}"));
            if back != m.doc {
                // Name the first difference rather than print two documents.
                for (a, b) in back.vulnerabilities.iter().zip(&m.doc.vulnerabilities) {
                    assert_eq!(a, b, "{}", m.name);
                }
                assert_eq!(back.products, m.doc.products, "{}", m.name);
                assert_eq!(back.notes, m.doc.notes, "{}", m.name);
                panic!("{}: the documents differ outside vulnerabilities", m.name);
            }
            let (from_json, format) = msrc::read(&bytes, &m.name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(format, CvrfFormat::MsrcJson);
            let (from_xml, format) =
                msrc::read(&m.bytes, &m.name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(format, CvrfFormat::Xml);
            assert_eq!(from_json, from_xml, "{}", m.name);
        }
    }
}

#[test]
fn a_cut_api_answer_is_named_with_its_place() {
    let Some(feb) = msrc_data::month("2017-Feb.xml") else {
        return;
    };
    let text = serde_json::to_string_pretty(&to_api_json(&feb.doc, Types::Codes)).expect("json");
    let cut = &text[..text.len() * 2 / 3];
    let err = cvrf::parse_json(cut.as_bytes(), "feb.json")
        .expect_err("cut")
        .to_string();
    let line = cut.lines().count();
    assert!(
        err.starts_with(&format!("feb.json: line {line} column ")),
        "{err}"
    );
    assert_eq!(
        cvrf::detect(cut.as_bytes()),
        Some(CvrfFormat::MsrcJson),
        "the start still looks like the API's JSON"
    );
}
