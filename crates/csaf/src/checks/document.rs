//! Tests on the document metadata, the vulnerabilities' identifiers and the
//! profiles (CSAF 2.0 sections 6.1.11, 6.1.12, 6.1.15, 6.1.23, 6.1.24,
//! 6.1.26, 6.1.27.1–6.1.27.11 and 6.1.28).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::products::groups;
use super::{bcp47, cwe_data, datetime, items, text, Finding};

fn doc_text<'a>(doc: &'a Value, key: &str) -> Option<&'a str> {
    doc.get("document").and_then(|d| text(d, key))
}

fn category(doc: &Value) -> Option<&str> {
    doc_text(doc, "category")
}

/// 6.1.11 CWE: a vulnerability's `cwe` names an existing weakness, by its
/// name in the CWE list (version 4.17; see `cwe_data`).
pub(super) fn t_6_1_11(doc: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in items(doc, "vulnerabilities") {
        let Some(cwe) = v.get("cwe") else { continue };
        let (Some(id), Some(name)) = (text(cwe, "id"), text(cwe, "name")) else {
            continue;
        };
        let number = id.strip_prefix("CWE-").and_then(|n| n.parse::<u32>().ok());
        let entry = number.and_then(|n| {
            cwe_data::WEAKNESSES
                .binary_search_by_key(&n, |(i, _)| *i)
                .ok()
                .map(|k| cwe_data::WEAKNESSES[k].1)
        });
        match entry {
            None => out.push(Finding::new(
                "6.1.11",
                format!("/vulnerabilities/{vi}/cwe/id"),
                format!("{id} is not a weakness of the CWE list"),
            )),
            Some(expected) if expected != name => out.push(Finding::new(
                "6.1.11",
                format!("/vulnerabilities/{vi}/cwe/name"),
                format!("{id} is called \"{expected}\", not \"{name}\""),
            )),
            Some(_) => {}
        }
    }
}

/// 6.1.12 Language: `lang` and `source_lang` are valid BCP 47 tags whose
/// subtags exist (see [`bcp47::validate`]).
pub(super) fn t_6_1_12(doc: &Value, out: &mut Vec<Finding>) {
    for key in ["lang", "source_lang"] {
        if let Some(tag) = doc_text(doc, key) {
            if let Err(e) = bcp47::validate(tag) {
                out.push(Finding::new(
                    "6.1.12",
                    format!("/document/{key}"),
                    format!("\"{tag}\" is not a valid language tag: {e}"),
                ));
            }
        }
    }
}

/// 6.1.15 Translator: a document published by a translator says which
/// language it was translated from (`source_lang`).
pub(super) fn t_6_1_15(doc: &Value, out: &mut Vec<Finding>) {
    let translator = doc
        .get("document")
        .and_then(|d| d.get("publisher"))
        .and_then(|p| text(p, "category"))
        == Some("translator");
    let has_source = doc
        .get("document")
        .is_some_and(|d| d.get("source_lang").is_some());
    if translator && !has_source {
        out.push(Finding::new(
            "6.1.15",
            "/document/source_lang",
            "is missing, but the publisher is a translator",
        ));
    }
}

/// 6.1.23 Multiple Use of Same CVE: a CVE id appears in one vulnerability
/// only, so that per-CVE data is not split across entries.
pub(super) fn t_6_1_23(doc: &Value, out: &mut Vec<Finding>) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (vi, v) in items(doc, "vulnerabilities") {
        let Some(cve) = text(v, "cve") else { continue };
        match first.get(cve) {
            Some(prev) => out.push(Finding::new(
                "6.1.23",
                format!("/vulnerabilities/{vi}/cve"),
                format!("{cve} is already used by /vulnerabilities/{prev}"),
            )),
            None => {
                first.insert(cve, vi);
            }
        }
    }
}

/// 6.1.24 Multiple Definition in Involvements: within a vulnerability a
/// party has one involvement per date (instants compared, so `Z` and
/// `+00:00` are the same date).
pub(super) fn t_6_1_24(doc: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in items(doc, "vulnerabilities") {
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        for (ii, inv) in items(v, "involvements") {
            let (Some(party), Some(date)) = (text(inv, "party"), text(inv, "date")) else {
                continue;
            };
            let when = match datetime::parse(date) {
                Some(i) => format!("{}.{:09}", i.seconds, i.nanos),
                None => date.to_owned(),
            };
            if !seen.insert((party, when)) {
                out.push(Finding::new(
                    "6.1.24",
                    format!("/vulnerabilities/{vi}/involvements/{ii}"),
                    format!("party {party} already has an involvement dated {date}"),
                ));
            }
        }
    }
}

/// The profiles other than CSAF Base (section 4): category value and name.
const PROFILES: &[(&str, &str)] = &[
    (
        "csaf_security_incident_response",
        "Security incident response",
    ),
    ("csaf_informational_advisory", "Informational Advisory"),
    ("csaf_security_advisory", "Security Advisory"),
    ("csaf_vex", "VEX"),
];

/// Lower case without hyphens, underscores and white space, the comparison
/// 6.1.26 prescribes.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !(c.is_whitespace() || *c == '-' || *c == '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// 6.1.26 Prohibited Document Category Name: a CSAF Base document's category
/// must not start with the reserved prefix `csaf_` (any case) unless it is
/// `csaf_base`, and must not be a look-alike of another profile's value or
/// name (`Security_Incident_Response`, `csafsecurityadvisory`), since
/// consumers would take it for that profile without its extra rules. Both
/// the profile's name and its value are compared with separators removed;
/// csaf-validator-lib 2.0.10 compares the names only and so lets
/// `csafsecurityadvisory` (failing example 4 of the test data) pass.
pub(super) fn t_6_1_26(doc: &Value, out: &mut Vec<Finding>) {
    let Some(cat) = category(doc) else { return };
    if cat == "csaf_base" || PROFILES.iter().any(|(v, _)| *v == cat) {
        return;
    }
    if cat.to_lowercase().starts_with("csaf_") {
        out.push(Finding::new(
            "6.1.26",
            "/document/category",
            format!("\"{cat}\" uses the reserved prefix csaf_"),
        ));
        return;
    }
    let squashed = squash(cat);
    if let Some((value, name)) = PROFILES
        .iter()
        .find(|(v, n)| squash(v) == squashed || squash(n) == squashed)
    {
        out.push(Finding::new(
            "6.1.26",
            "/document/category",
            format!("\"{cat}\" is too close to the profile {name} ({value})"),
        ));
    }
}

/// The 6.1.27 profile tests, each applying to some categories only.
pub(super) fn t_6_1_27(doc: &Value, out: &mut Vec<Finding>) {
    let Some(cat) = category(doc) else { return };
    let incident_or_info = matches!(
        cat,
        "csaf_security_incident_response" | "csaf_informational_advisory"
    );
    let advisory_or_vex = matches!(cat, "csaf_security_advisory" | "csaf_vex");
    let vex = cat == "csaf_vex";
    let d = doc.get("document");

    // 6.1.27.1 Document Notes: incident responses and informational
    // advisories carry their content in the document notes.
    if incident_or_info {
        let ok = d.is_some_and(|d| {
            items(d, "notes").any(|(_, n)| {
                matches!(
                    text(n, "category"),
                    Some("description" | "details" | "general" | "summary")
                )
            })
        });
        if !ok {
            out.push(Finding::new(
                "6.1.27.1",
                "/document/notes",
                format!("a {cat} needs a document note of category description, details, general or summary"),
            ));
        }
        // 6.1.27.2 Document References: ... and point to further information.
        let ok = d.is_some_and(|d| {
            items(d, "references").any(|(_, r)| text(r, "category") == Some("external"))
        });
        if !ok {
            out.push(Finding::new(
                "6.1.27.2",
                "/document/references",
                format!("a {cat} needs a document reference of category external"),
            ));
        }
    }
    // 6.1.27.3 Vulnerabilities: an informational advisory is about no
    // vulnerability.
    if cat == "csaf_informational_advisory" && doc.get("vulnerabilities").is_some() {
        out.push(Finding::new(
            "6.1.27.3",
            "/vulnerabilities",
            "a csaf_informational_advisory must not have vulnerabilities",
        ));
    }
    if advisory_or_vex {
        // 6.1.27.4 Product Tree.
        if doc.get("product_tree").is_none() {
            out.push(Finding::new(
                "6.1.27.4",
                "/product_tree",
                format!("a {cat} needs a product tree"),
            ));
        }
        // 6.1.27.5 Vulnerability Notes.
        for (vi, v) in items(doc, "vulnerabilities") {
            if v.get("notes").is_none() {
                out.push(Finding::new(
                    "6.1.27.5",
                    format!("/vulnerabilities/{vi}/notes"),
                    format!("each vulnerability of a {cat} needs notes"),
                ));
            }
        }
    }
    // 6.1.27.6 Product Status: a security advisory says for each
    // vulnerability which products are in which state.
    if cat == "csaf_security_advisory" {
        for (vi, v) in items(doc, "vulnerabilities") {
            if v.get("product_status").is_none() {
                out.push(Finding::new(
                    "6.1.27.6",
                    format!("/vulnerabilities/{vi}/product_status"),
                    "each vulnerability of a csaf_security_advisory needs a product status",
                ));
            }
        }
    }
    if vex {
        vex_tests(doc, out);
    }
    // 6.1.27.11 Vulnerabilities: security advisories and VEX documents are
    // about vulnerabilities.
    if advisory_or_vex && doc.get("vulnerabilities").is_none() {
        out.push(Finding::new(
            "6.1.27.11",
            "/vulnerabilities",
            format!("a {cat} needs vulnerabilities"),
        ));
    }
}

/// 6.1.27.7–6.1.27.10, the VEX profile.
fn vex_tests(doc: &Value, out: &mut Vec<Finding>) {
    let groups = groups(doc);
    // The products the entries name through product_ids or (via the product
    // groups) group_ids; sets, so that large VEX documents stay linear.
    fn named<'a>(
        groups: &HashMap<&'a str, Vec<&'a str>>,
        entries: impl Iterator<Item = &'a Value>,
    ) -> HashSet<&'a str> {
        let mut set: HashSet<&str> = HashSet::new();
        for entry in entries {
            set.extend(items(entry, "product_ids").filter_map(|(_, p)| p.as_str()));
            for (_, g) in items(entry, "group_ids") {
                if let Some(members) = g.as_str().and_then(|g| groups.get(g)) {
                    set.extend(members.iter().copied());
                }
            }
        }
        set
    }
    for (vi, v) in items(doc, "vulnerabilities") {
        // 6.1.27.7 VEX Product Status: at least one of fixed,
        // known_affected, known_not_affected, under_investigation.
        match v.get("product_status") {
            None => out.push(Finding::new(
                "6.1.27.7",
                format!("/vulnerabilities/{vi}/product_status"),
                "each vulnerability of a csaf_vex needs a product status",
            )),
            Some(ps) => {
                let ok = [
                    "fixed",
                    "known_affected",
                    "known_not_affected",
                    "under_investigation",
                ]
                .iter()
                .any(|k| ps.get(*k).is_some());
                if !ok {
                    out.push(Finding::new(
                        "6.1.27.7",
                        format!("/vulnerabilities/{vi}/product_status"),
                        "a csaf_vex needs fixed, known_affected, known_not_affected or under_investigation here",
                    ));
                }
            }
        }
        // 6.1.27.8 Vulnerability ID: a CVE or another id.
        if v.get("cve").is_none() && v.get("ids").is_none() {
            out.push(Finding::new(
                "6.1.27.8",
                format!("/vulnerabilities/{vi}"),
                "each vulnerability of a csaf_vex needs a cve or ids",
            ));
        }
        let Some(ps) = v.get("product_status") else {
            continue;
        };
        // 6.1.27.9 Impact Statement: why a product is not affected, as a
        // flag or an impact threat naming it.
        let explained = if ps.get("known_not_affected").is_some() {
            named(
                &groups,
                items(v, "flags").map(|(_, f)| f).chain(
                    items(v, "threats")
                        .map(|(_, t)| t)
                        .filter(|t| text(t, "category") == Some("impact")),
                ),
            )
        } else {
            HashSet::new()
        };
        for (pi, p) in items(ps, "known_not_affected") {
            let Some(id) = p.as_str() else { continue };
            if !explained.contains(id) {
                out.push(Finding::new(
                    "6.1.27.9",
                    format!("/vulnerabilities/{vi}/product_status/known_not_affected/{pi}"),
                    format!(
                        "product {id} is known not affected, but no flag or impact threat says why"
                    ),
                ));
            }
        }
        // 6.1.27.10 Action Statement: what to do about an affected product.
        let acted_on = named(&groups, items(v, "remediations").map(|(_, r)| r));
        for (pi, p) in items(ps, "known_affected") {
            let Some(id) = p.as_str() else { continue };
            if !acted_on.contains(id) {
                out.push(Finding::new(
                    "6.1.27.10",
                    format!("/vulnerabilities/{vi}/product_status/known_affected/{pi}"),
                    format!("product {id} is known affected, but no remediation names it"),
                ));
            }
        }
    }
}

/// 6.1.28 Translation: a translation's language differs from its source
/// language. Compared case-insensitively, as language tags are (`en-US` and
/// `en-us` are one language; csaf-validator-lib compares the strings).
pub(super) fn t_6_1_28(doc: &Value, out: &mut Vec<Finding>) {
    if let (Some(lang), Some(source)) = (doc_text(doc, "lang"), doc_text(doc, "source_lang")) {
        if lang.eq_ignore_ascii_case(source) {
            out.push(Finding::new(
                "6.1.28",
                "/document/source_lang",
                format!("is \"{source}\", the same as /document/lang"),
            ));
        }
    }
}
