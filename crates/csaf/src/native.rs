//! The native reading of a CSAF document: what an alert can be made of from
//! the places the standard defines, for any provider's advisory. The carrier
//! notes (`hfr:<key>`) are not read here; [`crate::import`] lays them over the
//! result, and [`crate::export`] runs this same reading on its own native
//! part to learn which keys need a carrier.
//!
//! Reading is lenient about what it does not need and strict about shape:
//! an array where an object belongs is an error naming its JSON pointer,
//! while facts an alert has no place for become warnings. (The importer's
//! checks refuse such documents first; these errors remain for the export's
//! own use of the reader.)
//!
//! The vendor's products of our own exports (recognised by the
//! `x_generic_uris` namespace [`crate::MSRC_PRODUCT_ID_NAMESPACE`]) are not
//! read as affected software, and threats, scores and remediations that
//! name only them are skipped too (their ratings still rate the
//! vulnerability): those facts are `Alert::products`, which the
//! `hfr:products` carrier restores. Read here, they would only turn into
//! downloads, reboot rows and notes the alert never had, and force
//! carriers for keys the native reading otherwise gives back.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use hfr_model::{
    Affected, Alert, Download, Note, Reboot, RebootRequired, Reference, ReferenceKind, Severity,
    Vulnerability, Workaround,
};
use serde_json::{Map, Value};

use crate::checks::cvss::{severity as cvss_base_severity, Cvss3};
use crate::import::{CsafError, ErrorKind, Warning};
use crate::{
    CARRIER_PREFIX, ID_SYSTEM, MSRC_ADVISORY_SYSTEM, MSRC_PRODUCT_ID_NAMESPACE, SYNTHESIZED_NOTE,
};

/// Japan time: dates of the alert are Japanese calendar days, so CSAF's
/// date-times are read (and written) at +09:00.
pub(crate) fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// A warning, with the alert key it concerns: when a carrier note restores
/// that key, the warning no longer applies and is dropped.
pub(crate) struct Tagged {
    pub(crate) key: &'static str,
    pub(crate) warning: Warning,
}

// ---------------------------------------------------------------- access

/// `base` extended by one reference token (RFC 6901 escaping).
pub(crate) fn join(base: &str, token: &str) -> String {
    format!("{base}/{}", token.replace('~', "~0").replace('/', "~1"))
}

fn invalid(pointer: &str, message: impl Into<String>) -> CsafError {
    CsafError {
        kind: ErrorKind::Invalid,
        test: None,
        pointer: if pointer.is_empty() {
            "/".into()
        } else {
            pointer.into()
        },
        message: message.into(),
    }
}

pub(crate) fn object<'a>(v: &'a Value, ptr: &str) -> Result<&'a Map<String, Value>, CsafError> {
    v.as_object()
        .ok_or_else(|| invalid(ptr, format!("must be an object, found {}", kind_of(v))))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn opt_obj<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    ptr: &str,
) -> Result<Option<&'a Map<String, Value>>, CsafError> {
    match m.get(key) {
        None => Ok(None),
        Some(v) => object(v, &join(ptr, key)).map(Some),
    }
}

pub(crate) fn opt_str<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    ptr: &str,
) -> Result<Option<&'a str>, CsafError> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(invalid(
            &join(ptr, key),
            format!("must be a string, found {}", kind_of(v)),
        )),
    }
}

pub(crate) fn req_str<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    ptr: &str,
) -> Result<&'a str, CsafError> {
    opt_str(m, key, ptr)?.ok_or_else(|| invalid(&join(ptr, key), "is required but missing"))
}

pub(crate) fn arr<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    ptr: &str,
) -> Result<&'a [Value], CsafError> {
    match m.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(invalid(
            &join(ptr, key),
            format!("must be an array, found {}", kind_of(v)),
        )),
    }
}

/// The strings of an array of strings (product id lists and the like).
fn strs<'a>(m: &'a Map<String, Value>, key: &str, ptr: &str) -> Result<Vec<&'a str>, CsafError> {
    let here = join(ptr, key);
    arr(m, key, ptr)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str().ok_or_else(|| {
                invalid(
                    &format!("{here}/{i}"),
                    format!("must be a string, found {}", kind_of(v)),
                )
            })
        })
        .collect()
}

/// A CSAF date-time as the Japanese calendar day it falls on.
pub(crate) fn date(
    m: &Map<String, Value>,
    key: &str,
    ptr: &str,
) -> Result<Option<NaiveDate>, CsafError> {
    let Some(s) = opt_str(m, key, ptr)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(s)
        .map(|d| Some(d.with_timezone(&jst()).date_naive()))
        .map_err(|e| {
            invalid(
                &join(ptr, key),
                format!("`{s}` is not an RFC 3339 date-time: {e}"),
            )
        })
}

/// A carrier note's alert key, when `note` is one.
pub(crate) fn carrier_key(note: &Map<String, Value>) -> Option<&str> {
    if note.get("category").and_then(Value::as_str) != Some("other") {
        return None;
    }
    note.get("title")
        .and_then(Value::as_str)
        .and_then(|t| t.strip_prefix(CARRIER_PREFIX))
        .filter(|k| !k.is_empty() && *k != "synthesized")
}

fn is_synthesized(vuln: &Map<String, Value>) -> bool {
    vuln.get("notes")
        .and_then(Value::as_array)
        .is_some_and(|notes| {
            notes
                .iter()
                .any(|n| n.get("title").and_then(Value::as_str) == Some(SYNTHESIZED_NOTE))
        })
}

/// Japanese titles for untitled notes, by category.
pub(crate) fn note_label(category: &str) -> &str {
    match category {
        "summary" => "概要",
        "details" => "詳細",
        "description" => "説明",
        "general" => "一般",
        "faq" => "よくある質問",
        "legal_disclaimer" => "法的事項",
        "other" => "その他",
        c => c,
    }
}

// ----------------------------------------------------------- product tree

#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub(crate) id: String,
    pub(crate) software: String,
    pub(crate) platforms: String,
}

#[derive(Default)]
struct Tree {
    products: Vec<Product>,
    index: HashMap<String, usize>,
    groups: HashMap<String, Vec<String>>,
    /// The ids of the vendor's products (see [`is_vendor_product`]) and
    /// where the first is defined.
    vendor: HashSet<String>,
    first_vendor: Option<String>,
}

#[derive(Clone, Default)]
struct Path {
    vendor: Option<String>,
    product_name: Option<String>,
    family: Option<String>,
}

impl Tree {
    fn add(&mut self, p: Product, ptr: &str, warnings: &mut Vec<Tagged>) {
        if self.index.contains_key(&p.id) {
            warnings.push(Tagged {
                key: "affected",
                warning: Warning::new(
                    ptr,
                    format!(
                        "product id `{}` is defined twice; the first definition is kept",
                        p.id
                    ),
                ),
            });
            return;
        }
        self.index.insert(p.id.clone(), self.products.len());
        self.products.push(p);
    }

    fn get(&self, id: &str) -> Option<&Product> {
        self.index.get(id).map(|&i| &self.products[i])
    }

    fn add_vendor(&mut self, id: &str, ptr: &str) {
        self.vendor.insert(id.to_string());
        self.first_vendor.get_or_insert_with(|| ptr.to_string());
    }

    fn is_vendor(&self, id: &str) -> bool {
        self.vendor.contains(id)
    }

    /// A list of product ids that names only vendor products: the fact it
    /// belongs to is the vendor's, restored by the `hfr:products` carrier.
    fn only_vendor(&self, ids: &[&str]) -> bool {
        !ids.is_empty() && ids.iter().all(|id| self.is_vendor(id))
    }
}

/// True for the helper our export puts on a vendor product: only
/// `x_generic_uris`, each in [`MSRC_PRODUCT_ID_NAMESPACE`].
fn is_vendor_helper(helper: &Value) -> bool {
    let Some(m) = helper.as_object() else {
        return false;
    };
    let Some(uris) = m.get("x_generic_uris").and_then(Value::as_array) else {
        return false;
    };
    m.len() == 1
        && !uris.is_empty()
        && uris
            .iter()
            .all(|u| u.get("namespace").and_then(Value::as_str) == Some(MSRC_PRODUCT_ID_NAMESPACE))
}

/// A product our export wrote for one of the alert's vendor products
/// (`Alert::products`). Its facts are left to the `hfr:products` carrier:
/// reading them here as affected software, downloads and notes would only
/// blur the keys the native reading does give back.
fn is_vendor_product(product: &Map<String, Value>) -> bool {
    product
        .get("product_identification_helper")
        .is_some_and(is_vendor_helper)
}

fn software_of(path: &Path, full_name: &str) -> String {
    let base = match path.product_name.as_ref().or(path.family.as_ref()) {
        Some(s) => s.clone(),
        None => return full_name.to_string(),
    };
    match &path.vendor {
        Some(v) if !base.to_lowercase().starts_with(&v.to_lowercase()) => format!("{v} {base}"),
        _ => base,
    }
}

fn walk(
    branches: &[Value],
    ptr: &str,
    path: &Path,
    tree: &mut Tree,
    warnings: &mut Vec<Tagged>,
) -> Result<(), CsafError> {
    for (i, b) in branches.iter().enumerate() {
        let bp = format!("{ptr}/{i}");
        let m = object(b, &bp)?;
        let category = opt_str(m, "category", &bp)?.unwrap_or("");
        let name = opt_str(m, "name", &bp)?.unwrap_or("");
        let mut here = path.clone();
        match category {
            "vendor" => here.vendor = Some(name.to_string()),
            "product_name" => here.product_name = Some(name.to_string()),
            "product_family" => here.family = Some(name.to_string()),
            _ => {}
        }
        if let Some(p) = opt_obj(m, "product", &bp)? {
            let pp = join(&bp, "product");
            let full = req_str(p, "name", &pp)?;
            let id = req_str(p, "product_id", &pp)?;
            let platforms = if category == "legacy" { name } else { full };
            if is_vendor_product(p) {
                tree.add_vendor(id, &pp);
            } else {
                tree.add(
                    Product {
                        id: id.to_string(),
                        software: software_of(&here, full),
                        platforms: platforms.to_string(),
                    },
                    &pp,
                    warnings,
                );
            }
        }
        walk(
            arr(m, "branches", &bp)?,
            &join(&bp, "branches"),
            &here,
            tree,
            warnings,
        )?;
    }
    Ok(())
}

fn read_tree(doc: &Map<String, Value>, warnings: &mut Vec<Tagged>) -> Result<Tree, CsafError> {
    let mut tree = Tree::default();
    let Some(pt) = opt_obj(doc, "product_tree", "")? else {
        return Ok(tree);
    };
    let ptr = "/product_tree";
    walk(
        arr(pt, "branches", ptr)?,
        &join(ptr, "branches"),
        &Path::default(),
        &mut tree,
        warnings,
    )?;
    for (i, f) in arr(pt, "full_product_names", ptr)?.iter().enumerate() {
        let fp = format!("{ptr}/full_product_names/{i}");
        let m = object(f, &fp)?;
        let name = req_str(m, "name", &fp)?;
        if is_vendor_product(m) {
            tree.add_vendor(req_str(m, "product_id", &fp)?, &fp);
            continue;
        }
        tree.add(
            Product {
                id: req_str(m, "product_id", &fp)?.to_string(),
                software: name.to_string(),
                platforms: name.to_string(),
            },
            &fp,
            warnings,
        );
    }
    let mut helpers = None;
    for (i, r) in arr(pt, "relationships", ptr)?.iter().enumerate() {
        let rp = format!("{ptr}/relationships/{i}");
        let m = object(r, &rp)?;
        let fp = join(&rp, "full_product_name");
        let f = opt_obj(m, "full_product_name", &rp)?
            .ok_or_else(|| invalid(&fp, "is required but missing"))?;
        let name = req_str(f, "name", &fp)?;
        if is_vendor_product(f) {
            tree.add_vendor(req_str(f, "product_id", &fp)?, &fp);
            continue;
        }
        // A component installed on a platform: the platform is what an
        // administrator looks for in the alert.
        let software = opt_str(m, "relates_to_product_reference", &rp)?
            .and_then(|p| tree.get(p))
            .map_or_else(|| name.to_string(), |p| p.software.clone());
        tree.add(
            Product {
                id: req_str(f, "product_id", &fp)?.to_string(),
                software,
                platforms: name.to_string(),
            },
            &fp,
            warnings,
        );
    }
    for (i, g) in arr(pt, "product_groups", ptr)?.iter().enumerate() {
        let gp = format!("{ptr}/product_groups/{i}");
        let m = object(g, &gp)?;
        let id = req_str(m, "group_id", &gp)?;
        let ids = strs(m, "product_ids", &gp)?;
        tree.groups.insert(
            id.to_string(),
            ids.into_iter().map(str::to_string).collect(),
        );
    }
    // Product identification helpers (CPE, PURL, hashes, …) have no place
    // in an alert; say so once.
    find_helpers(pt, ptr, &mut helpers);
    if let Some(p) = &tree.first_vendor {
        warnings.push(Tagged {
            key: "products",
            warning: Warning::new(
                p,
                format!(
                    "{} vendor product(s) and their facts (rating, impact, CVSS, remediations) are read from the hfr:products carrier note only; without it they are not kept",
                    tree.vendor.len()
                ),
            ),
        });
    }
    if let Some(p) = helpers {
        warnings.push(Tagged {
            key: "affected",
            warning: Warning::new(
                &p,
                "product identification helpers (CPE, PURL, hashes, …) are not kept: an alert names products by name only",
            ),
        });
    }
    Ok(tree)
}

fn find_helpers(v: &Map<String, Value>, ptr: &str, found: &mut Option<String>) {
    if found.is_some() {
        return;
    }
    for (k, x) in v {
        let here = join(ptr, k);
        if k == "product_identification_helper" {
            if is_vendor_helper(x) {
                continue;
            }
            *found = Some(here);
            return;
        }
        match x {
            Value::Object(m) => find_helpers(m, &here, found),
            Value::Array(a) => {
                for (i, y) in a.iter().enumerate() {
                    if let Value::Object(m) = y {
                        find_helpers(m, &format!("{here}/{i}"), found);
                    }
                }
            }
            _ => {}
        }
    }
}

// ----------------------------------------------------------------- reading

/// Product statuses that put a product among the alert's affected ones: a
/// fixed version is what the advisory is about as much as an affected one.
const AFFECTED_STATUSES: [&str; 5] = [
    "first_affected",
    "known_affected",
    "last_affected",
    "fixed",
    "first_fixed",
];

/// Reads the native places of a CSAF advisory into an alert. The caller has
/// checked that `doc` is a CSAF 2.0 document.
pub(crate) fn read(doc: &Value) -> Result<(Alert, Vec<Tagged>), CsafError> {
    let mut w: Vec<Tagged> = Vec::new();
    let root = object(doc, "")?;
    let d = opt_obj(root, "document", "")?
        .ok_or_else(|| invalid("/document", "is required but missing"))?;
    let dp = "/document";
    let mut alert = Alert::default();

    // --- tracking
    let tp = "/document/tracking";
    let tracking =
        opt_obj(d, "tracking", dp)?.ok_or_else(|| invalid(tp, "is required but missing"))?;
    let id = req_str(tracking, "id", tp)?.trim();
    if id.is_empty() {
        return Err(invalid("/document/tracking/id", "must not be empty"));
    }
    alert.id = id.to_string();
    alert.registered = date(tracking, "initial_release_date", tp)?;
    alert.updated = date(tracking, "current_release_date", tp)?;
    let mut other_aliases = None;
    for (i, a) in strs(tracking, "aliases", tp)?.into_iter().enumerate() {
        match kb_digits(a) {
            Some(kb) if !alert.kbs.contains(&kb) => alert.kbs.push(kb),
            Some(_) => {}
            None => {
                other_aliases.get_or_insert(format!("{tp}/aliases/{i}"));
            }
        }
    }
    if let Some(p) = other_aliases {
        // Our exports write the vendor release there (`2017-Mar`), which
        // its carrier restores: the warning is about that key.
        w.push(Tagged {
            key: "release",
            warning: Warning::new(&p, "aliases other than KB numbers are not kept"),
        });
    }

    alert.title = req_str(d, "title", dp)?.to_string();
    if let Some(agg) = opt_obj(d, "aggregate_severity", dp)? {
        let ap = join(dp, "aggregate_severity");
        let text = req_str(agg, "text", &ap)?;
        alert.severity = Severity::parse(text);
        if alert.severity.is_none() {
            w.push(Tagged {
                key: "severity",
                warning: Warning::new(
                    &join(&ap, "text"),
                    format!("severity `{text}` is none of Critical, Important, Moderate, Low; taken from the vulnerabilities instead"),
                ),
            });
        }
    }

    // --- document notes
    let mut summary_taken = false;
    let mut details_taken = false;
    for (i, n) in arr(d, "notes", dp)?.iter().enumerate() {
        let np = format!("{dp}/notes/{i}");
        let m = object(n, &np)?;
        if carrier_key(m).is_some() {
            continue;
        }
        let category = req_str(m, "category", &np)?;
        let text = req_str(m, "text", &np)?;
        let title = opt_str(m, "title", &np)?;
        match category {
            "summary" if !summary_taken => {
                summary_taken = true;
                alert.summary = Some(text.to_string());
            }
            "details" if !details_taken => {
                details_taken = true;
                alert.details = Some(text.to_string());
            }
            _ => alert.notes.push(Note {
                title: title.unwrap_or(note_label(category)).to_string(),
                text: text.to_string(),
            }),
        }
    }

    // --- references: the document's, then each vulnerability's
    let mut seen_refs: HashSet<(String, String)> = HashSet::new();
    let mut add_refs = |list: &[Value], ptr: &str, alert: &mut Alert| -> Result<(), CsafError> {
        for (i, r) in list.iter().enumerate() {
            let rp = format!("{ptr}/{i}");
            let m = object(r, &rp)?;
            let url = req_str(m, "url", &rp)?;
            let summary = req_str(m, "summary", &rp)?;
            if !seen_refs.insert((summary.to_string(), url.to_string())) {
                continue;
            }
            // `self` names the advisory itself: the vendor's bulletin.
            let kind = match opt_str(m, "category", &rp)? {
                Some("self") => ReferenceKind::Bulletin,
                _ => ReferenceKind::Other,
            };
            alert.references.push(Reference {
                kind,
                label: summary.to_string(),
                locale: None,
                url: Some(url.to_string()),
                note: None,
            });
        }
        Ok(())
    };
    add_refs(
        arr(d, "references", dp)?,
        "/document/references",
        &mut alert,
    )?;

    if d.contains_key("acknowledgments") {
        w.push(Tagged {
            key: "notes",
            warning: Warning::new(&join(dp, "acknowledgments"), "acknowledgments are not kept"),
        });
    }

    // --- products
    let tree = read_tree(root, &mut w)?;
    let vulns = arr(root, "vulnerabilities", "")?;
    let mut affected_ids: HashSet<&str> = HashSet::new();
    let mut other_ids: HashSet<&str> = HashSet::new();
    for (vi, v) in vulns.iter().enumerate() {
        let vp = format!("/vulnerabilities/{vi}");
        let m = object(v, &vp)?;
        if let Some(ps) = opt_obj(m, "product_status", &vp)? {
            let pp = join(&vp, "product_status");
            for status in ps.keys() {
                let list = strs(ps, status, &pp)?;
                for id in list {
                    if tree.is_vendor(id) {
                        continue;
                    }
                    if tree.get(id).is_none() {
                        w.push(Tagged {
                            key: "affected",
                            warning: Warning::new(
                                &join(&pp, status),
                                format!(
                                    "product id `{id}` is not defined in /product_tree; left out"
                                ),
                            ),
                        });
                    } else if AFFECTED_STATUSES.contains(&status.as_str()) {
                        affected_ids.insert(id);
                    } else {
                        other_ids.insert(id);
                    }
                }
            }
        }
    }
    // An advisory without vulnerabilities (informational) concerns every
    // product it names.
    let all_concerned = vulns.is_empty();
    alert.affected = tree
        .products
        .iter()
        .filter(|p| all_concerned || affected_ids.contains(p.id.as_str()))
        .map(|p| Affected {
            software: p.software.clone(),
            platforms: p.platforms.clone(),
        })
        .collect();
    let only_other = other_ids.difference(&affected_ids).count();
    if only_other > 0 {
        w.push(Tagged {
            key: "affected",
            warning: Warning::new(
                "/vulnerabilities",
                format!("{only_other} product(s) listed only as not affected, under investigation or recommended are not kept: an alert lists the products it concerns"),
            ),
        });
    }

    // --- vulnerabilities
    let mut severities: Vec<Severity> = Vec::new();
    let mut cvss: Vec<(Severity, String)> = Vec::new();
    let mut dropped: Vec<(&'static str, String, &'static str)> = Vec::new();
    for (vi, v) in vulns.iter().enumerate() {
        let vp = format!("/vulnerabilities/{vi}");
        let m = object(v, &vp)?;
        let synthesized = is_synthesized(m);
        let vuln = read_vulnerability(m, &vp, synthesized, &tree, &mut alert, &mut dropped)?;
        add_refs(
            arr(m, "references", &vp)?,
            &join(&vp, "references"),
            &mut alert,
        )?;
        read_remediations(m, &vp, &tree, &mut alert)?;
        // Scores only matter as a last resort for the severity. Read
        // leniently (the alert keeps no CVSS, so a malformed score is a
        // warning of the checks, not a refusal), and by the vector, which
        // is the authority when the numbers disagree with it (6.1.9).
        for (si, s) in scores(m).iter().enumerate() {
            let sp = format!("{vp}/scores/{si}");
            let products: Vec<&str> = s
                .get("products")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if tree.only_vendor(&products) {
                continue;
            }
            let Some(vector) = s
                .get("cvss_v3")
                .and_then(|c| c.get("vectorString"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            if let Ok(parsed) = Cvss3::parse(vector) {
                if let Some(sev) = cvss_severity(cvss_base_severity(parsed.scores().base)) {
                    cvss.push((sev, format!("{sp}/cvss_v3/vectorString")));
                }
            }
        }
        if let Some(vuln) = vuln {
            if let Some(s) = vuln.severity {
                severities.push(s);
            }
            alert.vulnerabilities.push(vuln);
        }
    }
    for (key, ptr, what) in dropped {
        w.push(Tagged {
            key,
            warning: Warning::new(
                &ptr,
                format!("{what} not kept: the alert has no place for them"),
            ),
        });
    }
    if alert.severity.is_none() {
        alert.severity = severities.iter().min().copied();
    }
    if alert.severity.is_none() {
        if let Some((sev, ptr)) = cvss.iter().min_by_key(|(s, _)| *s) {
            alert.severity = Some(*sev);
            w.push(Tagged {
                key: "severity",
                warning: Warning::new(
                    ptr,
                    format!("the advisory rates no severity; {} taken from the highest CVSS base severity", sev.label_en()),
                ),
            });
        }
    }
    Ok((alert, w))
}

/// `KB885881`, `kb885881` → `885881`.
fn kb_digits(alias: &str) -> Option<String> {
    let a = alias.trim();
    let digits = a.strip_prefix("KB").or_else(|| a.strip_prefix("kb"))?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_string())
}

/// CVSS base severities on the four levels of an alert.
fn cvss_severity(s: &str) -> Option<Severity> {
    match s.to_ascii_uppercase().as_str() {
        "CRITICAL" => Some(Severity::Critical),
        "HIGH" => Some(Severity::Important),
        "MEDIUM" => Some(Severity::Moderate),
        "LOW" => Some(Severity::Low),
        _ => None,
    }
}

/// The score entries of a vulnerability; nothing when `scores` is not an
/// array.
fn scores(m: &Map<String, Value>) -> &[Value] {
    m.get("scores")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn read_vulnerability(
    m: &Map<String, Value>,
    vp: &str,
    synthesized: bool,
    tree: &Tree,
    alert: &mut Alert,
    dropped: &mut Vec<(&'static str, String, &'static str)>,
) -> Result<Option<Vulnerability>, CsafError> {
    let cve = opt_str(m, "cve", vp)?;
    let mut own_id = None;
    for (i, id) in arr(m, "ids", vp)?.iter().enumerate() {
        let ip = format!("{vp}/ids/{i}");
        let im = object(id, &ip)?;
        let system = req_str(im, "system_name", &ip)?;
        let text = req_str(im, "text", &ip)?;
        if system == ID_SYSTEM && own_id.is_none() {
            own_id = Some(text);
        } else if system == MSRC_ADVISORY_SYSTEM && text.trim() == alert.id {
            // The advisory id of our own vendor export: the alert's id.
        } else if !dropped
            .iter()
            .any(|(_, _, what)| *what == "vulnerability ids other than CVE")
        {
            dropped.push(("vulnerabilities", ip, "vulnerability ids other than CVE"));
        }
    }
    let mut description = Vec::new();
    let mut prose = Vec::new();
    for (i, n) in arr(m, "notes", vp)?.iter().enumerate() {
        let np = format!("{vp}/notes/{i}");
        let nm = object(n, &np)?;
        let category = req_str(nm, "category", &np)?;
        let text = req_str(nm, "text", &np)?;
        if nm.get("title").and_then(Value::as_str) == Some(SYNTHESIZED_NOTE)
            || carrier_key(nm).is_some()
        {
            continue;
        }
        match category {
            "description" => description.push(text),
            "legal_disclaimer" => {}
            _ => prose.push(text),
        }
    }
    let label = cve.or(own_id);
    let mut severity = None;
    for (i, t) in arr(m, "threats", vp)?.iter().enumerate() {
        let tp = format!("{vp}/threats/{i}");
        let tm = object(t, &tp)?;
        let category = req_str(tm, "category", &tp)?;
        let details = req_str(tm, "details", &tp)?;
        let products = strs(tm, "product_ids", &tp)?;
        if tree.only_vendor(&products) {
            // The vendor's threat: its rating still rates the
            // vulnerability; the rest is the `hfr:products` carrier's.
            if let ("impact", Some(s)) = (category, Severity::parse(details)) {
                severity = Some(severity.map_or(s, |x: Severity| x.min(s)));
            }
            continue;
        }
        match (category, Severity::parse(details)) {
            ("impact", Some(s)) => {
                severity = Some(severity.map_or(s, |x: Severity| x.min(s)));
            }
            ("impact", None) | ("exploit_status", _) => {
                let title = if category == "impact" {
                    "影響"
                } else {
                    "悪用状況"
                };
                let title = match label {
                    Some(l) => format!("{l}: {title}"),
                    None => title.to_string(),
                };
                let note = Note {
                    title,
                    text: details.to_string(),
                };
                if !alert.notes.contains(&note) {
                    alert.notes.push(note);
                }
            }
            _ => {
                if !dropped
                    .iter()
                    .any(|(_, _, what)| *what == "target set threats")
                {
                    dropped.push(("vulnerabilities", tp, "target set threats"));
                }
            }
        }
    }
    // Scores of the vendor's products are the `hfr:products` carrier's.
    let foreign_scores = scores(m).iter().any(|s| {
        let products: Vec<&str> = s
            .get("products")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        !tree.only_vendor(&products)
    });
    for (key, what, tag) in [
        ("cwe", "CWE classifications", "vulnerabilities"),
        ("scores", "CVSS scores", "vulnerabilities"),
        // Our exports write the alert's acknowledgments there, which
        // their carrier restores.
        ("acknowledgments", "acknowledgments", "acknowledgments"),
        ("flags", "flags", "vulnerabilities"),
        ("involvements", "involvements", "vulnerabilities"),
    ] {
        let present = match key {
            "scores" => m.contains_key(key) && (foreign_scores || !m["scores"].is_array()),
            _ => m.contains_key(key),
        };
        if present && !dropped.iter().any(|(_, _, x)| *x == what) {
            dropped.push((tag, join(vp, key), what));
        }
    }
    if synthesized {
        return Ok(None);
    }
    let text = if description.is_empty() {
        prose
    } else {
        description
    };
    let title = opt_str(m, "title", vp)?.or(label).unwrap_or("");
    Ok(Some(Vulnerability {
        title: title.to_string(),
        severity,
        cve: label.map(str::to_string),
        text: text.join("\n\n"),
    }))
}

fn read_remediations(
    m: &Map<String, Value>,
    vp: &str,
    tree: &Tree,
    alert: &mut Alert,
) -> Result<(), CsafError> {
    for (i, r) in arr(m, "remediations", vp)?.iter().enumerate() {
        let rp = format!("{vp}/remediations/{i}");
        let rm = object(r, &rp)?;
        let category = req_str(rm, "category", &rp)?;
        let details = req_str(rm, "details", &rp)?;
        let url = opt_str(rm, "url", &rp)?;
        let mut ids: Vec<&str> = strs(rm, "product_ids", &rp)?;
        for g in strs(rm, "group_ids", &rp)? {
            if let Some(members) = tree.groups.get(g) {
                ids.extend(members.iter().map(String::as_str));
            }
        }
        // The vendor's remediations are the `hfr:products` carrier's.
        if tree.only_vendor(&ids) {
            continue;
        }
        ids.retain(|id| !tree.is_vendor(id));
        let mut software: Vec<&str> = Vec::new();
        for id in &ids {
            if let Some(p) = tree.get(id) {
                if !software.contains(&p.software.as_str()) {
                    software.push(&p.software);
                }
            }
        }
        let text = match url {
            Some(u) => format!("{details}\n{u}"),
            None => details.to_string(),
        };
        match category {
            "vendor_fix" => {
                let d = Download {
                    platform: software.join("/"),
                    update_name: None,
                    note: Some(text),
                    channel: None,
                };
                if !alert.downloads.contains(&d) {
                    alert.downloads.push(d);
                }
            }
            "workaround" | "mitigation" => {
                let wa = Workaround {
                    title: Some(
                        if category == "workaround" {
                            "回避策"
                        } else {
                            "緩和策"
                        }
                        .into(),
                    ),
                    text,
                };
                if !alert.workarounds.contains(&wa) {
                    alert.workarounds.push(wa);
                }
            }
            _ => {
                let title = match category {
                    "none_available" => "修正プログラムなし",
                    "no_fix_planned" => "修正の予定なし",
                    c => note_label(c),
                };
                let n = Note {
                    title: title.to_string(),
                    text,
                };
                if !alert.notes.contains(&n) {
                    alert.notes.push(n);
                }
            }
        }
        if let Some(rr) = opt_obj(rm, "restart_required", &rp)? {
            let pp = join(&rp, "restart_required");
            let cat = req_str(rr, "category", &pp)?;
            let note = opt_str(rr, "details", &pp)?;
            let required = match cat {
                "none" => RebootRequired::No,
                "machine" | "system" => RebootRequired::Yes,
                _ => RebootRequired::Conditional,
            };
            let note = match (required, note) {
                (_, Some(n)) => Some(n.to_string()),
                (RebootRequired::Conditional, None) => Some(cat.to_string()),
                _ => None,
            };
            let product = match software.as_slice() {
                [one] => Some(one.to_string()),
                _ => None,
            };
            let rb = Reboot {
                product,
                required,
                note,
            };
            if !alert.reboot.contains(&rb) {
                alert.reboot.push(rb);
            }
        }
    }
    Ok(())
}
