//! The vendor's facts of an alert (Microsoft's, from the monthly CVRF
//! documents) in the places CSAF has for them, so that any CSAF tool shows
//! per product what Microsoft says: which products, how severe, what
//! impact, which CVSS scores, which update (KB) fixes it and whether it
//! restarts the machine.
//!
//! Why a mapping of its own beside the carrier notes: the `hfr:products`
//! carrier restores [`Alert::products`] exactly for hfr, but no other tool
//! reads it. The native form written here is for them; the importer leaves
//! it to the carrier (see `native.rs`), so the round trip stays exact.
//!
//! | alert | CSAF |
//! |---|---|
//! | `products[]` (id, name, family) | `/product_tree/branches`: a `product_family` branch per family (first-seen order) holding a `product_name` branch per product; `product_id` = `msrc-` + the vendor id; the vendor id also as `product_identification_helper.x_generic_uris` `{namespace: MSRC_PRODUCT_ID_NAMESPACE, uri: urn:msrc:product:<id>}` |
//! | every product | `product_status.known_affected` of each vulnerability |
//! | `products[].vendor_severity` (else `severity`) | an `impact` threat per distinct rating, details = the rating as written (`Critical`, `Important`, `Moderate`, `Low`, `None`), with its products |
//! | `products[].vendor_impact` | an `impact` threat per distinct impact, details as written (`Remote Code Execution`), with its products |
//! | `exploit_status.text` | an `exploit_status` threat, details = the statement as written, naming the vendor's products |
//! | `products[].cvss` | `scores[]`: `cvss_v3` (version from the vector's `CVSS:3.x/` prefix) or `cvss_v2`, one entry per distinct score set with its products; scores and severities computed from the vector (6.1.9) |
//! | remediations `vendor_fix` | `remediations[]` `vendor_fix`: details = `KBnnnnnnn` (else the description), then sub type, supersedence, fixed build, files; `url`; `product_ids`; `restart_required` Yes → `machine`, No → `none`, Maybe → `machine` with details |
//! | remediations `workaround`, `mitigation`, `none_available`, `will_not_fix` | `workaround`, `mitigation`, `none_available`, `no_fix_planned` |
//! | remediations `known_issue` and unknown kinds | a vulnerability note (`other`, titled `既知の問題: KB…`): CSAF has no such remediation category |
//! | `acknowledgments` | `vulnerabilities[].acknowledgments` |
//! | `tags`, `vendor_revisions` | vulnerability notes (`other`) |
//!
//! Identical remediations of several products become one CSAF remediation
//! naming all of them, in first-seen order; so do equal threats and scores.
//!
//! Severity: the alert's own rating (the most severe over the products)
//! stays `/document/aggregate_severity`; per product the vendor's rating is
//! an `impact` threat whose details are the bare word, as Red Hat writes
//! them and as the importer reads impact threats. The vendor's impact
//! (`Remote Code Execution`) is an `impact` threat as well; the two
//! vocabularies do not overlap, so neither needs a prefix.
//!
//! CVSS: test 6.1.9 takes the vector as the authority, so the scores and
//! severities written are computed from it (FIRST's formulas, the same
//! calculator the checks use). Where the vendor's numbers differ, the
//! vector's are written and the vendor's stay in the `hfr:products`
//! carrier. A vector that cannot be parsed gives no score entry.

use hfr_model::{Acknowledgment, Alert, Cvss, ProductFacts, Remediation, RemediationKind};
use hfr_model::{RestartRequired, Severity};
use serde_json::{json, Map, Value};

use crate::checks::cvss::{severity as cvss_severity, Cvss2, Cvss3};
use crate::export::{is_uri, nonblank, severity_text, slug};
use crate::{MSRC_PRODUCT_ID_NAMESPACE, VENDOR_PRODUCT_PREFIX};

/// One vendor product with the CSAF product id the document gives it.
pub(crate) struct VendorProduct<'a> {
    pub(crate) id: String,
    pub(crate) facts: &'a ProductFacts,
}

/// The alert's vendor products with ids unique in the document: `msrc-`
/// and the vendor id made ASCII, with `-2`, `-3`, … for repeats and for
/// clashes with the ids already `taken` (the `affected` products).
pub(crate) fn products<'a>(alert: &'a Alert, taken: &[&str]) -> Vec<VendorProduct<'a>> {
    let mut out: Vec<VendorProduct> = Vec::with_capacity(alert.products.len());
    for p in &alert.products {
        let base = format!("{VENDOR_PRODUCT_PREFIX}{}", slug(&p.id));
        let mut id = base.clone();
        let mut n = 2;
        while taken.contains(&id.as_str()) || out.iter().any(|q| q.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        out.push(VendorProduct { id, facts: p });
    }
    out
}

/// The product's name for the tree: as the vendor wrote it, else its id.
fn display_name(p: &ProductFacts) -> String {
    match (nonblank(&p.name), nonblank(&p.id)) {
        (Some(n), _) => n.to_string(),
        (None, Some(id)) => format!("製品 {}", id.trim()),
        (None, None) => "名称のない製品".to_string(),
    }
}

/// `urn:msrc:product:<id>`, with every character outside RFC 3986's
/// unreserved set percent-encoded so the result is always a URI.
fn product_urn(id: &str) -> String {
    let mut out = String::from("urn:msrc:product:");
    for b in id.trim().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn full_product_name(p: &VendorProduct) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(display_name(p.facts)));
    m.insert("product_id".into(), json!(p.id));
    if nonblank(&p.facts.id).is_some() {
        m.insert(
            "product_identification_helper".into(),
            json!({ "x_generic_uris": [{
                "namespace": MSRC_PRODUCT_ID_NAMESPACE,
                "uri": product_urn(&p.facts.id),
            }]}),
        );
    }
    Value::Object(m)
}

/// The tree branches of the vendor products: one `product_family` branch
/// per family, in the order the families first appear, each holding a
/// `product_name` branch per product; products without a family are
/// `product_name` branches at the top.
pub(crate) fn tree_branches(products: &[VendorProduct]) -> Vec<Value> {
    let mut out: Vec<(Option<&str>, Vec<Value>)> = Vec::new();
    for p in products {
        let leaf = json!({
            "category": "product_name",
            "name": display_name(p.facts),
            "product": full_product_name(p),
        });
        let family = p.facts.family.as_deref().and_then(nonblank);
        match family {
            Some(f) => match out.iter_mut().find(|(g, _)| *g == Some(f)) {
                Some((_, leaves)) => leaves.push(leaf),
                None => out.push((Some(f), vec![leaf])),
            },
            None => out.push((None, vec![leaf])),
        }
    }
    out.into_iter()
        .flat_map(|(family, leaves)| match family {
            Some(f) => vec![json!({
                "category": "product_family",
                "name": f,
                "branches": leaves,
            })],
            None => leaves,
        })
        .collect()
}

/// Values with the products they apply to, each value once, in first-seen
/// order.
struct Groups<T> {
    items: Vec<(T, Vec<String>)>,
}

impl<T: PartialEq> Groups<T> {
    fn new() -> Self {
        Groups { items: Vec::new() }
    }

    fn add(&mut self, value: T, product: &str) {
        match self.items.iter_mut().find(|(v, _)| *v == value) {
            Some((_, ids)) => {
                if !ids.iter().any(|i| i == product) {
                    ids.push(product.to_string());
                }
            }
            None => self.items.push((value, vec![product.to_string()])),
        }
    }
}

/// What the vendor facts add to each vulnerability of the document.
#[derive(Default)]
pub(crate) struct VulnerabilityFacts {
    pub(crate) threats: Vec<Value>,
    pub(crate) scores: Vec<Value>,
    pub(crate) remediations: Vec<Value>,
    pub(crate) notes: Vec<Value>,
    pub(crate) acknowledgments: Vec<Value>,
    /// The products that have a rating of their own: the alert-level
    /// severity threat leaves them out, so no product gets two ratings.
    pub(crate) rated: Vec<String>,
}

/// The vendor's rating of a product as the document writes it: the word
/// as written, else the model's level.
fn rating(p: &ProductFacts) -> Option<String> {
    p.vendor_severity
        .as_deref()
        .and_then(nonblank)
        .map(|s| s.trim().to_string())
        .or_else(|| p.severity.map(|s: Severity| severity_text(s).to_string()))
}

fn impact(p: &ProductFacts) -> Option<String> {
    p.vendor_impact
        .as_deref()
        .and_then(nonblank)
        .map(|s| s.trim().to_string())
        .or_else(|| p.impact.map(|i| i.label_ja().to_string()))
}

pub(crate) fn vulnerability_facts(alert: &Alert, products: &[VendorProduct]) -> VulnerabilityFacts {
    let mut out = VulnerabilityFacts::default();
    let mut ratings = Groups::new();
    let mut impacts = Groups::new();
    let mut scores = Groups::new();
    let mut remediations: Groups<&Remediation> = Groups::new();
    for p in products {
        if let Some(r) = rating(p.facts) {
            ratings.add(r, &p.id);
            out.rated.push(p.id.clone());
        }
        if let Some(i) = impact(p.facts) {
            impacts.add(i, &p.id);
        }
        if let Some((key, score)) = p.facts.cvss.as_ref().and_then(cvss) {
            scores.add((key, score), &p.id);
        }
        for r in &p.facts.remediations {
            remediations.add(r, &p.id);
        }
    }
    for (details, ids) in ratings.items.into_iter().chain(impacts.items) {
        out.threats
            .push(json!({ "category": "impact", "details": details, "product_ids": ids }));
    }
    if let Some(text) = alert
        .exploit_status
        .as_ref()
        .and_then(|e| nonblank(&e.text))
    {
        // The statement is about the vulnerability in the vendor's
        // products; naming them also tells our importer that the threat
        // belongs to the vendor facts (the carrier restores those).
        let mut t = Map::new();
        t.insert("category".into(), json!("exploit_status"));
        t.insert("details".into(), json!(text.trim()));
        if !products.is_empty() {
            let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
            t.insert("product_ids".into(), json!(ids));
        }
        out.threats.push(Value::Object(t));
    }
    for ((key, score), ids) in scores.items {
        out.scores.push(json!({ key: score, "products": ids }));
    }
    for (r, ids) in remediations.items {
        let names: Vec<String> = ids
            .iter()
            .filter_map(|id| products.iter().find(|p| p.id == *id))
            .map(|p| display_name(p.facts))
            .collect();
        match remediation(r, &ids, &names) {
            Ok(v) => out.remediations.push(v),
            Err(note) => out.notes.push(note),
        }
    }
    if !alert.tags.is_empty() {
        let text = alert
            .tags
            .iter()
            .filter_map(|t| nonblank(t))
            .collect::<Vec<_>>()
            .join("\n");
        if nonblank(&text).is_some() {
            out.notes
                .push(json!({ "category": "other", "title": "タグ", "text": text }));
        }
    }
    let lines: Vec<String> = alert
        .vendor_revisions
        .iter()
        .filter(|r| {
            nonblank(&r.number).is_some() || r.date.is_some() || nonblank(&r.description).is_some()
        })
        .map(|r| {
            let mut l = nonblank(&r.number).unwrap_or("-").trim().to_string();
            if let Some(d) = r.date {
                l.push_str(&format!(" ({})", d.format("%Y-%m-%d")));
            }
            if let Some(d) = nonblank(&r.description) {
                l.push_str(&format!(": {}", d.trim()));
            }
            l
        })
        .collect();
    if !lines.is_empty() {
        out.notes.push(json!({
            "category": "other",
            "title": "ベンダーの改訂履歴",
            "text": lines.join("\n"),
        }));
    }
    out.acknowledgments = alert
        .acknowledgments
        .iter()
        .filter_map(acknowledgment)
        .collect();
    out
}

/// A CSAF acknowledgment; `None` when nothing of it fits the schema (the
/// carrier keeps it anyway).
fn acknowledgment(a: &Acknowledgment) -> Option<Value> {
    let mut m = Map::new();
    let names: Vec<&str> = a.names.iter().filter_map(|n| nonblank(n)).collect();
    if !names.is_empty() {
        let mut unique: Vec<&str> = Vec::new();
        for n in names {
            if !unique.contains(&n) {
                unique.push(n);
            }
        }
        m.insert("names".into(), json!(unique));
    }
    let orgs: Vec<&str> = a.organizations.iter().filter_map(|o| nonblank(o)).collect();
    if !orgs.is_empty() {
        m.insert("organization".into(), json!(orgs.join(", ")));
    }
    if let Some(d) = a.description.as_deref().and_then(nonblank) {
        m.insert("summary".into(), json!(d));
    }
    let mut urls: Vec<&str> = Vec::new();
    for u in a.urls.iter().map(|u| u.trim()).filter(|u| is_uri(u)) {
        if !urls.contains(&u) {
            urls.push(u);
        }
    }
    if !urls.is_empty() {
        m.insert("urls".into(), json!(urls));
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// The CSAF score object for a CVSS score set: (`cvss_v3` or `cvss_v2`,
/// object), with every score and severity computed from the vector.
/// Temporal and environmental scores are written when the vendor gave one.
fn cvss(c: &Cvss) -> Option<(&'static str, Value)> {
    let vector = c
        .vector
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())?;
    let round = |x: f64| (x * 10.0).round() / 10.0;
    if vector.starts_with("CVSS:") {
        let parsed = Cvss3::parse(vector).ok()?;
        let s = parsed.scores();
        let mut m = Map::new();
        m.insert("version".into(), json!(parsed.version));
        m.insert("vectorString".into(), json!(vector));
        m.insert("baseScore".into(), json!(round(s.base)));
        m.insert("baseSeverity".into(), json!(cvss_severity(s.base)));
        if c.temporal.is_some() {
            m.insert("temporalScore".into(), json!(round(s.temporal)));
            m.insert("temporalSeverity".into(), json!(cvss_severity(s.temporal)));
        }
        if c.environmental.is_some() {
            m.insert("environmentalScore".into(), json!(round(s.environmental)));
            m.insert(
                "environmentalSeverity".into(),
                json!(cvss_severity(s.environmental)),
            );
        }
        Some(("cvss_v3", Value::Object(m)))
    } else {
        let parsed = Cvss2::parse(vector).ok()?;
        let s = parsed.scores();
        let mut m = Map::new();
        m.insert("version".into(), json!("2.0"));
        m.insert("vectorString".into(), json!(vector));
        m.insert("baseScore".into(), json!(round(s.base)));
        if c.temporal.is_some() {
            m.insert("temporalScore".into(), json!(round(s.temporal)));
        }
        if c.environmental.is_some() {
            m.insert("environmentalScore".into(), json!(round(s.environmental)));
        }
        Some(("cvss_v2", Value::Object(m)))
    }
}

/// Whether the vendor's numbers are the ones the vector gives (for the
/// tests and the report; the export writes the vector's either way).
pub fn cvss_agrees(c: &Cvss) -> bool {
    let Some((_, v)) = cvss(c) else {
        return true;
    };
    let same = |want: Option<f64>, key: &str| match want {
        None => true,
        Some(w) => v.get(key).and_then(Value::as_f64) == Some(w),
    };
    same(c.base, "baseScore")
        && same(c.temporal, "temporalScore")
        && same(c.environmental, "environmentalScore")
}

/// The long form of a remediation: the KB (or the vendor's description)
/// first, then what CSAF has no field for, one per line.
fn details(r: &Remediation, url_in_field: bool) -> String {
    let mut lines: Vec<String> = Vec::new();
    let kb =
        r.kb.as_deref()
            .and_then(nonblank)
            .map(|k| format!("KB{}", k.trim()));
    let description = r.description.as_deref().and_then(nonblank);
    match (&kb, description) {
        (Some(kb), Some(d)) => {
            lines.push(kb.clone());
            lines.push(d.to_string());
        }
        (Some(kb), None) => lines.push(kb.clone()),
        (None, Some(d)) => lines.push(d.to_string()),
        (None, None) => lines.push(r.kind.label_ja().to_string()),
    }
    for (label, value) in [
        ("種類", r.sub_type.as_deref()),
        ("置き換える更新", r.supersedence.as_deref()),
        ("修正済みビルド", r.fixed_build.as_deref()),
    ] {
        if let Some(v) = value.and_then(nonblank) {
            lines.push(format!("{label}: {}", v.trim()));
        }
    }
    let files: Vec<&str> = r
        .affected_files
        .iter()
        .filter_map(|f| nonblank(f))
        .collect();
    if !files.is_empty() {
        lines.push(format!("変更されるファイル: {}", files.join(", ")));
    }
    if !url_in_field {
        if let Some(u) = r.url.as_deref().and_then(nonblank) {
            lines.push(format!("URL: {}", u.trim()));
        }
    }
    lines.join("\n")
}

/// A remediation of CSAF's categories, or, for a kind CSAF has none for
/// (Microsoft's `Known Issue`, an unknown type), a vulnerability note
/// naming the products.
fn remediation(r: &Remediation, ids: &[String], names: &[String]) -> Result<Value, Value> {
    let category = match &r.kind {
        RemediationKind::VendorFix => "vendor_fix",
        RemediationKind::Workaround => "workaround",
        RemediationKind::Mitigation => "mitigation",
        RemediationKind::NoneAvailable => "none_available",
        RemediationKind::WillNotFix => "no_fix_planned",
        RemediationKind::KnownIssue | RemediationKind::Other(_) => {
            let what = match &r.kind {
                RemediationKind::KnownIssue => "既知の問題".to_string(),
                other => nonblank(other.label_en())
                    .unwrap_or("その他の対処")
                    .trim()
                    .to_string(),
            };
            let head =
                r.kb.as_deref()
                    .and_then(nonblank)
                    .map(|k| format!("KB{}", k.trim()))
                    .or_else(|| {
                        r.description
                            .as_deref()
                            .and_then(nonblank)
                            .map(str::to_string)
                    });
            let title = match &head {
                Some(h) if *h != what && !h.contains('\n') && h.chars().count() <= 80 => {
                    format!("{what}: {h}")
                }
                _ => what,
            };
            let text = format!("{}\n対象製品: {}", details(r, false), names.join(", "));
            return Err(json!({ "category": "other", "title": title, "text": text }));
        }
    };
    let url = r.url.as_deref().map(str::trim).filter(|u| is_uri(u));
    let mut m = Map::new();
    m.insert("category".into(), json!(category));
    m.insert("details".into(), json!(details(r, url.is_some())));
    m.insert("product_ids".into(), json!(ids));
    if let Some(restart) = r.restart_required {
        let v = match restart {
            RestartRequired::Yes => json!({ "category": "machine" }),
            RestartRequired::No => json!({ "category": "none" }),
            // CSAF has no "maybe": say the machine may need it, and how
            // the vendor put it.
            RestartRequired::Maybe => json!({
                "category": "machine",
                "details": format!("{} ({})", restart.label_ja(), restart.label_en()),
            }),
        };
        m.insert("restart_required".into(), v);
    }
    if let Some(u) = url {
        m.insert("url".into(), json!(u));
    }
    Ok(Value::Object(m))
}
