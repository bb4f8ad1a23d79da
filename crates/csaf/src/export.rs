//! Alerts out as CSAF 2.0 `csaf_security_advisory` documents.
//!
//! [`to_csaf`] writes the native mapping first (so that any CSAF tool shows
//! a sensible advisory) and then the carrier notes that make our own round
//! trip exact (see the crate documentation for the convention). The output
//! passes the strict CSAF 2.0 schema and all mandatory tests of section 6.1
//! (checked in CI with BSI's validator, `tools/csaf-validator`), whatever
//! the alert holds: every required string is filled, every product id used
//! is defined, every remediation names its products, revisions count from 1
//! with strictly increasing dates.
//!
//! Where the model's facts go natively:
//!
//! | alert | CSAF |
//! |---|---|
//! | `id` | `/document/tracking/id` (and the file name, [`file_name`]) |
//! | `title` | `/document/title` |
//! | `kbs`, `release` | `/document/tracking/aliases`: `KBnnnnnn`, then the vendor release id (`2017-Mar`) |
//! | `registered` (else `edition`), `updated` | `initial_release_date`, `current_release_date` (Japan midnight) |
//! | `severity` | `/document/aggregate_severity/text` (`Critical` … `Low`); per vulnerability its own rating as an `impact` threat for the products the vendor did not rate one by one |
//! | `affected` | `/product_tree/branches`: `product_name` = software, `legacy` = platforms as written |
//! | `vulnerabilities` | `/vulnerabilities` (`cve`, or `ids` for other ids; text, else the summary of a single vulnerability, as the `description` note); an advisory id of vendor data (`ADV170003`) in `ids` |
//! | `packages` (as deployed, re-releases applied), `kbs` no vendor product has, `reboot` | `vendor_fix` remediations with `restart_required` |
//! | `workarounds` | `workaround` remediations (`mitigation` for the vendor's mitigations) |
//! | `exploit_code`, `urgency` flags | `exploit_status` threats |
//! | `products`, `exploit_status`, `acknowledgments`, `tags`, `vendor_revisions` | the vendor's products in the tree, with their ratings, impacts, scores and remediations: see `vendor.rs` |
//! | `action`, `action_rule` | the document note of the alert's verdicts (as text) |
//! | `summary`, `details`, `risk`, `lab_notes`, `additions`, `notes` | document notes |
//! | `references` with a URL | `/document/references` (`external`) |
//!
//! Everything else, and every key above whose value the native form does
//! not give back exactly, travels in a carrier note.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use hfr_model::{present, Alert, RebootRequired, RemediationKind, Severity};
use serde_json::{json, Map, Value};

use crate::native::{self, jst};
use crate::vendor::{self, VendorProduct, VulnerabilityFacts};
use crate::{CARRIER_PREFIX, ID_SYSTEM, MSRC_ADVISORY_SYSTEM, SYNTHESIZED_NOTE};

/// Who issues the exported documents (`/document/publisher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// One of CSAF's publisher categories: `coordinator`, `discoverer`,
    /// `other`, `translator`, `user`, `vendor`. A HotFix Report site
    /// analyses other vendors' bulletins, hence `other` by default.
    pub category: String,
    pub name: String,
    /// The publisher's URL (an absolute URI), e.g. the site's base URL.
    pub namespace: String,
    pub contact_details: Option<String>,
}

impl Publisher {
    /// The name the documents carry unless a site says otherwise.
    pub const DEFAULT_NAME: &'static str = "HotFix Report";

    /// `HotFix Report` at `namespace`, category `other`.
    pub fn new(namespace: impl Into<String>) -> Self {
        Publisher {
            category: "other".into(),
            name: Self::DEFAULT_NAME.into(),
            namespace: namespace.into(),
            contact_details: None,
        }
    }
}

/// One revision of the alert in the archive, oldest first, as the caller
/// knows it (the store's history). CSAF numbers them from 1 in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// When the archive recorded it.
    pub recorded_at: DateTime<Utc>,
    /// The alert's 更新日 at that revision: the date the revision is dated
    /// by, when known (the archive may record a 2004 page in 2025).
    pub updated: Option<NaiveDate>,
    /// What changed, for `revision_history[].summary`; a default otherwise.
    pub summary: Option<String>,
}

/// What the export needs beyond the alert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The archive's revisions up to the exported one, oldest first. Empty:
    /// the document is version 1, dated by the alert's own dates.
    pub revisions: Vec<Revision>,
    /// The document's own URL, written as its `self` reference.
    pub self_url: Option<String>,
}

/// The file name CSAF (section 5.1) gives a document with this tracking id:
/// lower case, every run of characters other than `+`, `-`, `a-z`, `0-9`
/// replaced by one `_`, then `.json` (`MS04-035` → `ms04-035.json`).
pub fn file_name(tracking_id: &str) -> String {
    let mut out = String::with_capacity(tracking_id.len() + 5);
    let mut run = false;
    for c in tracking_id.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '-' {
            out.push(c);
            run = false;
        } else if !run {
            out.push('_');
            run = true;
        }
    }
    out.push_str(".json");
    out
}

/// The alert as a CSAF 2.0 `csaf_security_advisory` in Japanese.
pub fn to_csaf(alert: &Alert, publisher: &Publisher, options: &Options) -> Value {
    let mut doc = native_document(alert, publisher, options);
    // Which keys come back by themselves: ask the importer. A failure there
    // would be a bug; then every key is carried, and the round trip holds.
    let back = native::read(&doc)
        .ok()
        .and_then(|(a, _)| serde_json::to_value(a).ok());
    let full = serde_json::to_value(alert).unwrap_or(Value::Null);
    let mut carriers = Vec::new();
    if let Value::Object(full) = &full {
        for (key, value) in full {
            let same = back.as_ref().and_then(|b| b.get(key)) == Some(value);
            if !same {
                carriers.push(json!({
                    "category": "other",
                    "title": format!("{CARRIER_PREFIX}{key}"),
                    "text": serde_json::to_string(value).unwrap_or_default(),
                }));
            }
        }
    }
    if !carriers.is_empty() {
        let notes = doc["document"]
            .as_object_mut()
            .map(|d| d.entry("notes").or_insert_with(|| json!([])));
        if let Some(Value::Array(notes)) = notes {
            notes.extend(carriers);
        }
    }
    doc
}

// ----------------------------------------------------------------- native

/// One product of the tree.
struct Product {
    id: String,
    software: String,
    platforms: String,
    name: String,
}

fn native_document(alert: &Alert, publisher: &Publisher, options: &Options) -> Value {
    let products = products(alert);
    let taken: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    let vendor_products = vendor::products(alert, &taken);
    let mut all_ids: Vec<&str> = taken.clone();
    all_ids.extend(vendor_products.iter().map(|p| p.id.as_str()));
    if all_ids.is_empty() {
        all_ids.push(PLACEHOLDER_ID);
    }

    let mut document = Map::new();
    document.insert("category".into(), json!("csaf_security_advisory"));
    document.insert("csaf_version".into(), json!("2.0"));
    document.insert("lang".into(), json!("ja"));
    let mut pubr = Map::new();
    pubr.insert("category".into(), json!(publisher.category));
    if let Some(c) = publisher
        .contact_details
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        pubr.insert("contact_details".into(), json!(c));
    }
    pubr.insert(
        "name".into(),
        json!(nonblank(&publisher.name).unwrap_or(Publisher::DEFAULT_NAME)),
    );
    pubr.insert("namespace".into(), json!(publisher.namespace));
    document.insert("publisher".into(), Value::Object(pubr));
    let id = tracking_id(alert);
    document.insert(
        "title".into(),
        json!(nonblank(&alert.title).unwrap_or(id.as_str())),
    );
    document.insert("tracking".into(), tracking(alert, &id, options));
    if let Some(s) = alert.severity {
        document.insert(
            "aggregate_severity".into(),
            json!({ "text": severity_text(s) }),
        );
    }
    // Alerts are public: TLP:WHITE (CSAF 2.0 predates TLP 2.0's CLEAR).
    document.insert(
        "distribution".into(),
        json!({ "tlp": { "label": "WHITE", "url": "https://www.first.org/tlp/" } }),
    );
    let notes = document_notes(alert);
    if !notes.is_empty() {
        document.insert("notes".into(), Value::Array(notes));
    }
    let refs = references(alert, options);
    if !refs.is_empty() {
        document.insert("references".into(), Value::Array(refs));
    }

    let remediations = remediations(alert, &products, &all_ids);
    let facts = vendor::vulnerability_facts(alert, &vendor_products);
    let vulnerabilities = vulnerabilities(alert, &all_ids, &remediations, &facts);
    json!({
        "document": document,
        "product_tree": product_tree(alert, &products, &vendor_products),
        "vulnerabilities": vulnerabilities,
    })
}

pub(crate) fn nonblank(s: &str) -> Option<&str> {
    (!s.trim().is_empty()).then_some(s)
}

/// The id as the schema admits it: no leading or trailing blanks, not empty.
fn tracking_id(alert: &Alert) -> String {
    match alert.id.trim() {
        "" => "hfr-unidentified".into(),
        id => id.into(),
    }
}

pub(crate) fn severity_text(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::Important => "Important",
        Severity::Moderate => "Moderate",
        Severity::Low => "Low",
    }
}

// --------------------------------------------------------------- tracking

fn midnight(d: NaiveDate) -> DateTime<FixedOffset> {
    jst()
        .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .single()
        .expect("a fixed offset maps every local time once")
}

fn stamp(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The day an alert was first published: registration, else edition, else
/// update date.
fn first_day(alert: &Alert) -> Option<NaiveDate> {
    alert.registered.or(alert.edition).or(alert.updated)
}

fn tracking(alert: &Alert, id: &str, options: &Options) -> Value {
    // Each revision is dated by the alert's own calendar day where known,
    // else by when the archive recorded it; the validator sorts revisions
    // by date, so every date is made later than the one before (by a
    // second, when two fall on the same day).
    let mut history: Vec<(DateTime<FixedOffset>, String)> = Vec::new();
    if options.revisions.is_empty() {
        // Without an archive: one version, dated by the alert; an alert
        // without any date is dated at the Unix epoch, visibly a stand-in.
        let t = first_day(alert).map_or_else(
            || DateTime::<Utc>::UNIX_EPOCH.with_timezone(&jst()),
            midnight,
        );
        history.push((t, "初版".into()));
    }
    for (i, r) in options.revisions.iter().enumerate() {
        let own = if i == 0 {
            first_day(alert).or(r.updated)
        } else {
            r.updated
        };
        let mut t = own.map_or_else(|| r.recorded_at.with_timezone(&jst()), midnight);
        if let Some((prev, _)) = history.last() {
            if t <= *prev {
                t = *prev + Duration::seconds(1);
            }
        }
        let summary = r
            .summary
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| if i == 0 { "初版" } else { "更新" }.into());
        history.push((t, summary));
    }
    let initial = history[0].0;
    let last = history[history.len() - 1].0;
    let current = alert.updated.map(midnight).map_or(last, |u| u.max(last));
    let mut t = Map::new();
    let mut aliases: Vec<String> = Vec::new();
    for kb in &alert.kbs {
        let kb = kb.trim();
        if !kb.is_empty() && kb.bytes().all(|b| b.is_ascii_digit()) {
            let a = format!("KB{kb}");
            if !aliases.contains(&a) {
                aliases.push(a);
            }
        }
    }
    // The vendor release (`2017-Mar`) names the document the facts came
    // from: another name under which the vulnerability was published.
    if let Some(r) = alert.release.as_deref().and_then(nonblank) {
        let r = r.trim().to_string();
        if !aliases.contains(&r) {
            aliases.push(r);
        }
    }
    if !aliases.is_empty() {
        t.insert("aliases".into(), json!(aliases));
    }
    t.insert("current_release_date".into(), json!(stamp(current)));
    t.insert(
        "generator".into(),
        json!({ "engine": { "name": "hfr", "version": env!("CARGO_PKG_VERSION") } }),
    );
    t.insert("id".into(), json!(id));
    t.insert("initial_release_date".into(), json!(stamp(initial)));
    t.insert(
        "revision_history".into(),
        Value::Array(
            history
                .iter()
                .enumerate()
                .map(|(i, (date, summary))| {
                    json!({ "date": stamp(*date), "number": (i + 1).to_string(), "summary": summary })
                })
                .collect(),
        ),
    );
    t.insert("status".into(), json!("final"));
    t.insert("version".into(), json!(history.len().to_string()));
    Value::Object(t)
}

// ------------------------------------------------------------------ notes

fn note(category: &str, title: Option<&str>, text: &str) -> Option<Value> {
    nonblank(text)?;
    let mut m = Map::new();
    m.insert("category".into(), json!(category));
    m.insert("text".into(), json!(text));
    if let Some(t) = title.and_then(nonblank) {
        m.insert("title".into(), json!(t));
    }
    Some(Value::Object(m))
}

/// The lab's verdicts as lines a person reads (the carrier notes hold the
/// same facts as JSON, which no viewer presents well).
fn facts(alert: &Alert) -> String {
    let mut lines = Vec::new();
    if let Some(s) = alert.severity {
        lines.push(format!("深刻度: {s}"));
    }
    if let Some(e) = alert.exploit_code {
        lines.push(format!("攻撃コード: {}", if e { "あり" } else { "なし" }));
    }
    if let Some(a) = alert.action {
        lines.push(format!("対策: {}", a.label_ja()));
    }
    if let Some(r) = alert.action_rule {
        lines.push(format!("対策の根拠: {}", r.label_ja()));
    }
    if let Some(u) = &alert.urgency {
        let mut l = format!("緊急対応度: {}", u.text);
        if let Some(p) = u.exploit_published {
            l.push_str(if p {
                " [攻撃コード公開]"
            } else {
                " [攻撃コード未公開]"
            });
        }
        if let Some(s) = u.attacks_seen {
            l.push_str(if s {
                " [攻撃事例あり]"
            } else {
                " [攻撃事例なし]"
            });
        }
        lines.push(l);
    }
    if alert.target.is_some() {
        lines.push(format!("対象環境: {}", present::target(alert.target)));
    }
    if alert.uninstall.is_some() {
        lines.push(format!(
            "アンインストール: {}",
            present::yes_no(alert.uninstall, "可", "不可")
        ));
    }
    for r in &alert.reboot {
        let mut l = format!(
            "再起動: {}{}",
            r.product
                .as_deref()
                .map(|p| format!("{p}: "))
                .unwrap_or_default(),
            r.required.label_ja()
        );
        if let Some(n) = r.note.as_deref().and_then(nonblank) {
            l.push_str(&format!("（{n}）"));
        }
        lines.push(l);
    }
    lines.join("\n")
}

fn document_notes(alert: &Alert) -> Vec<Value> {
    let mut notes = Vec::new();
    notes.extend(
        alert
            .summary
            .as_deref()
            .and_then(|s| note("summary", Some("概要"), s)),
    );
    notes.extend(note("general", Some("HotFix Alert の判断"), &facts(alert)));
    notes.extend(
        alert
            .risk
            .as_deref()
            .and_then(|s| note("general", Some("危険性"), s)),
    );
    notes.extend(
        alert
            .details
            .as_deref()
            .and_then(|s| note("details", Some("詳細情報"), s)),
    );
    for n in &alert.lab_notes {
        let title =
            nonblank(&n.title).map_or_else(|| "DA Lab".to_string(), |t| format!("DA Lab: {t}"));
        notes.extend(note("general", Some(&title), &n.text));
    }
    for a in &alert.additions {
        let mut lines = Vec::new();
        for (label, v) in [
            ("情報ソース", a.source.as_deref()),
            ("情報の内容", a.content.as_deref()),
            ("条件", a.condition.as_deref()),
        ] {
            if let Some(v) = v.and_then(nonblank) {
                lines.push(format!("{label}: {v}"));
            }
        }
        if a.reported.is_some() {
            lines.push(format!("報告日: {}", present::date(a.reported)));
        }
        let mut text = lines.join("\n");
        if nonblank(&a.text).is_some() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&a.text);
        }
        let title = format!("追加情報: {}", a.title);
        notes.extend(note("general", Some(&title), &text));
    }
    for n in &alert.notes {
        notes.extend(note("general", Some(&n.title), &n.text));
    }
    notes
}

// ------------------------------------------------------------- references

/// True for a URL the schema's `uri` format accepts: an absolute URI in
/// ASCII without blanks or characters RFC 3986 leaves out.
pub(crate) fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        let ok = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        if !ok {
            return false;
        }
        i += 1;
    }
    scheme_ok && !rest.is_empty()
}

fn references(alert: &Alert, options: &Options) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(u) = options.self_url.as_deref().filter(|u| is_uri(u)) {
        out.push(json!({ "category": "self", "summary": "この文書 (CSAF)", "url": u }));
    }
    for r in &alert.references {
        let Some(url) = r.url.as_deref().filter(|u| is_uri(u)) else {
            continue;
        };
        let mut summary = format!("{} {}", r.kind.label_ja(), r.label.trim());
        if let Some(l) = r.locale.as_deref().and_then(nonblank) {
            summary.push_str(&format!(" ({l})"));
        }
        if let Some(n) = r.note.as_deref().and_then(nonblank) {
            summary.push_str(&format!(": {n}"));
        }
        let v = json!({ "category": "external", "summary": summary.trim(), "url": url });
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

// --------------------------------------------------------------- products

/// A product id made of the name's ASCII letters and digits, so that the
/// same alert always gives the same ids and a reader can tell them apart.
pub(crate) fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    while s.ends_with('-') || s.ends_with('.') {
        s.pop();
    }
    if s.is_empty() {
        "product".into()
    } else {
        s
    }
}

fn products(alert: &Alert) -> Vec<Product> {
    let mut rows: Vec<(String, String)> = Vec::new();
    for a in &alert.affected {
        let (sw, pl) = (a.software.trim(), a.platforms.trim());
        match (nonblank(sw), nonblank(pl)) {
            (Some(_), Some(_)) => rows.push((a.software.clone(), a.platforms.clone())),
            (Some(_), None) => rows.push((a.software.clone(), a.software.clone())),
            (None, Some(_)) => rows.push((a.platforms.clone(), a.platforms.clone())),
            (None, None) => {}
        }
    }
    // No affected list: the platforms the packages (then the downloads)
    // are for are the products concerned.
    if rows.is_empty() {
        let platforms = alert
            .packages
            .iter()
            .filter_map(|p| p.platform.clone())
            .chain(alert.downloads.iter().map(|d| d.platform.clone()));
        for p in platforms {
            if nonblank(&p).is_some() && !rows.iter().any(|(_, x)| *x == p) {
                rows.push((p.clone(), p));
            }
        }
    }
    let mut out: Vec<Product> = Vec::new();
    for (software, platforms) in rows {
        let name = if platforms
            .to_lowercase()
            .contains(&software.trim().to_lowercase())
        {
            platforms.clone()
        } else {
            format!("{} ({})", software.trim(), platforms.trim())
        };
        let base = slug(&name);
        let mut id = base.clone();
        let mut n = 2;
        while out.iter().any(|p| p.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        out.push(Product {
            id,
            software,
            platforms,
            name,
        });
    }
    out
}

/// The placeholder for an alert that names no product: the profile needs
/// a product tree and a status for every vulnerability.
const PLACEHOLDER_ID: &str = "hfr-all-products";

fn product_tree(alert: &Alert, products: &[Product], vendor_products: &[VendorProduct]) -> Value {
    if products.is_empty() && vendor_products.is_empty() {
        return json!({ "full_product_names": [{
            "name": format!("{} の対象製品", tracking_id(alert)),
            "product_id": PLACEHOLDER_ID,
        }]});
    }
    // Consecutive rows of one software share its branch.
    let mut branches: Vec<(String, Vec<Value>)> = Vec::new();
    for p in products {
        let leaf = json!({
            "category": "legacy",
            "name": p.platforms,
            "product": { "name": p.name, "product_id": p.id },
        });
        match branches.last_mut() {
            Some((sw, leaves)) if *sw == p.software => leaves.push(leaf),
            _ => branches.push((p.software.clone(), vec![leaf])),
        }
    }
    let mut all: Vec<Value> = branches
        .into_iter()
        .map(|(sw, leaves)| {
            json!({
                "category": "product_name",
                "name": sw,
                "branches": leaves,
            })
        })
        .collect();
    all.extend(vendor::tree_branches(vendor_products));
    json!({ "branches": all })
}

fn ids_or_all<'a>(ids: Vec<&'a str>, all: &[&'a str]) -> Vec<&'a str> {
    if ids.is_empty() {
        all.to_vec()
    } else {
        ids
    }
}

/// The products a package for `platform` (as the page heads it) is for.
fn products_for<'a>(platform: Option<&str>, products: &'a [Product]) -> Vec<&'a str> {
    let Some(platform) = platform.map(str::trim).filter(|p| !p.is_empty()) else {
        return Vec::new();
    };
    products
        .iter()
        .filter(|p| {
            p.platforms.trim() == platform
                || p.software.trim() == platform
                || p.platforms.contains(platform)
                || platform.starts_with(p.software.trim())
        })
        .map(|p| p.id.as_str())
        .collect()
}

/// The reboot row that speaks for a product: its own, else the row for
/// the whole fix.
fn reboot_row(alert: &Alert, product: Option<&Product>) -> Option<usize> {
    let own = product.and_then(|p| {
        alert.reboot.iter().position(|r| {
            r.product.as_deref().map(str::trim).is_some_and(|n| {
                !n.is_empty() && (p.software.trim() == n || p.platforms.contains(n))
            })
        })
    });
    own.or_else(|| alert.reboot.iter().position(|r| r.product.is_none()))
}

fn restart(alert: &Alert, row: usize) -> Value {
    let r = &alert.reboot[row];
    let category = match r.required {
        RebootRequired::No => "none",
        // A conditional restart may be needed: say so, with the condition.
        RebootRequired::Yes | RebootRequired::Conditional => "machine",
    };
    let details = r
        .note
        .as_deref()
        .and_then(nonblank)
        .map(str::to_string)
        .or_else(|| (r.required == RebootRequired::Conditional).then(|| "条件付き".to_string()));
    match details {
        Some(d) => json!({ "category": category, "details": d }),
        None => json!({ "category": category }),
    }
}

/// One `vendor_fix` per package (split where products differ in their
/// restart), else one per KB, then one `workaround` per workaround.
fn remediations(alert: &Alert, products: &[Product], all: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut fix = |details: String, ids: Vec<&str>| {
        // Group the products by the reboot row that speaks for them.
        let mut groups: Vec<(Option<usize>, Vec<&str>)> = Vec::new();
        for id in ids {
            let row = reboot_row(alert, products.iter().find(|p| p.id == id));
            match groups.iter_mut().find(|(r, _)| *r == row) {
                Some((_, g)) => g.push(id),
                None => groups.push((row, vec![id])),
            }
        }
        for (row, ids) in groups {
            let mut m = Map::new();
            m.insert("category".into(), json!("vendor_fix"));
            m.insert("details".into(), json!(details));
            m.insert("product_ids".into(), json!(ids));
            if let Some(row) = row {
                m.insert("restart_required".into(), restart(alert, row));
            }
            out.push(Value::Object(m));
        }
    };
    let packages = alert.effective_packages();
    let packages: Vec<_> = packages
        .iter()
        .filter(|p| nonblank(&p.file).is_some())
        .collect();
    if !packages.is_empty() {
        for p in packages {
            let details = match p.platform.as_deref().and_then(nonblank) {
                Some(pl) => format!("{pl} 用の修正プログラム {}", p.file.trim()),
                None => format!("修正プログラム {}", p.file.trim()),
            };
            fix(
                details,
                ids_or_all(products_for(p.platform.as_deref(), products), all),
            );
        }
    } else {
        // KBs the vendor's facts tie to their products are written there,
        // per product; only the others stand for every product.
        let covered = |kb: &str| {
            alert.products.iter().any(|p| {
                p.remediations.iter().any(|r| {
                    r.kind == RemediationKind::VendorFix
                        && r.kb.as_deref().map(str::trim) == Some(kb)
                })
            })
        };
        for kb in alert.kbs.iter().filter_map(|k| nonblank(k)) {
            if !covered(kb.trim()) {
                fix(format!("修正プログラム KB{}", kb.trim()), all.to_vec());
            }
        }
    }
    for w in &alert.workarounds {
        // The vendor's workarounds and mitigations (Microsoft's name no
        // product) arrive titled with the vendor's type, which the
        // category says already; CSAF has a category for mitigations.
        let title = w.title.as_deref().and_then(nonblank).map(str::trim);
        let (category, title) = match title {
            Some(t) if t.eq_ignore_ascii_case("mitigation") || t == "緩和策" => {
                ("mitigation", None)
            }
            Some(t) if t.eq_ignore_ascii_case("workaround") => ("workaround", None),
            t => ("workaround", t),
        };
        let text = match title {
            Some(t) if nonblank(&w.text).is_some() => format!("{t}\n\n{}", w.text),
            Some(t) => t.to_string(),
            None => w.text.clone(),
        };
        if nonblank(&text).is_some() {
            out.push(json!({ "category": category, "details": text, "product_ids": all }));
        }
    }
    out
}

// -------------------------------------------------------- vulnerabilities

fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// What every vulnerability of the alert says about exploits, from the
/// alert-level facts.
fn exploit_status(alert: &Alert) -> Option<String> {
    let code = alert
        .urgency
        .as_ref()
        .and_then(|u| u.exploit_published)
        .or(alert.exploit_code);
    let seen = alert.urgency.as_ref().and_then(|u| u.attacks_seen);
    let mut parts = Vec::new();
    if let Some(c) = code {
        parts.push(if c {
            "攻撃コード: 公開"
        } else {
            "攻撃コード: 未公開"
        });
    }
    if let Some(s) = seen {
        parts.push(if s {
            "攻撃事例: あり"
        } else {
            "攻撃事例: なし"
        });
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn vulnerabilities(
    alert: &Alert,
    all: &[&str],
    remediations: &[Value],
    facts: &VulnerabilityFacts,
) -> Vec<Value> {
    let mut threats_common = Vec::new();
    if let Some(e) = exploit_status(alert) {
        threats_common.push(json!({ "category": "exploit_status", "details": e }));
    }
    if let Some(v) = alert.attack_vectors.as_ref().filter(|v| !v.is_empty()) {
        let labels: Vec<&str> = v.iter().map(|a| a.label_ja()).collect();
        threats_common.push(json!({ "category": "impact", "details": format!("攻撃手法: {}", labels.join("、")), "product_ids": all }));
    }
    if let Some(v) = alert.impacts.as_ref().filter(|v| !v.is_empty()) {
        let labels: Vec<&str> = v.iter().map(|a| a.label_ja()).collect();
        threats_common.push(json!({ "category": "impact", "details": format!("脆弱性の影響: {}", labels.join("、")), "product_ids": all }));
    }
    // A vulnerability's own rating stands for the products the vendor did
    // not rate one by one, so that no product gets two ratings.
    let unrated: Vec<&str> = all
        .iter()
        .copied()
        .filter(|id| !facts.rated.iter().any(|r| r == id))
        .collect();
    let mut all_remediations = remediations.to_vec();
    all_remediations.extend(facts.remediations.iter().cloned());
    // Vendor data names its vulnerability by the alert's id, which for a
    // Microsoft advisory (`ADV170003`) is no CVE id: it goes to `ids`.
    let vendor_id = (alert.release.is_some() && alert.vulnerabilities.len() <= 1)
        .then(|| alert.id.trim())
        .filter(|id| !id.is_empty());
    let vuln = |title: Option<&str>,
                id: Option<&str>,
                cve_used: &mut Vec<String>,
                mut notes: Vec<Value>,
                severity: Option<Severity>| {
        let mut m = Map::new();
        if let Some(id) = id.map(str::trim).filter(|i| !i.is_empty()) {
            // A CVE id may stand once per document (6.1.23); a repeat, and
            // any other kind of id, goes to `ids`.
            if is_cve(id) && !cve_used.iter().any(|c| c == id) {
                cve_used.push(id.to_string());
                m.insert("cve".into(), json!(id));
            } else {
                m.insert(
                    "ids".into(),
                    json!([{ "system_name": ID_SYSTEM, "text": id }]),
                );
            }
        } else if let Some(id) = vendor_id {
            if is_cve(id) && !cve_used.iter().any(|c| c == id) {
                cve_used.push(id.to_string());
                m.insert("cve".into(), json!(id));
            } else {
                m.insert(
                    "ids".into(),
                    json!([{ "system_name": MSRC_ADVISORY_SYSTEM, "text": id }]),
                );
            }
        }
        if !facts.acknowledgments.is_empty() {
            m.insert(
                "acknowledgments".into(),
                Value::Array(facts.acknowledgments.clone()),
            );
        }
        // The vendor's notes after the description, before any marker.
        let at = notes.len().min(1);
        for (i, n) in facts.notes.iter().enumerate() {
            notes.insert(at + i, n.clone());
        }
        m.insert("notes".into(), Value::Array(notes));
        m.insert("product_status".into(), json!({ "known_affected": all }));
        if !all_remediations.is_empty() {
            m.insert(
                "remediations".into(),
                Value::Array(all_remediations.clone()),
            );
        }
        if !facts.scores.is_empty() {
            m.insert("scores".into(), Value::Array(facts.scores.clone()));
        }
        let mut threats = Vec::new();
        if let Some(s) = severity.filter(|_| !unrated.is_empty()) {
            threats.push(
                json!({ "category": "impact", "details": severity_text(s), "product_ids": unrated }),
            );
        }
        threats.extend(facts.threats.iter().cloned());
        threats.extend(threats_common.iter().cloned());
        if !threats.is_empty() {
            m.insert("threats".into(), Value::Array(threats));
        }
        if let Some(t) = title.and_then(nonblank) {
            m.insert("title".into(), json!(t));
        }
        Value::Object(m)
    };
    let mut used = Vec::new();
    if alert.vulnerabilities.is_empty() {
        let title = alert
            .vendor_title
            .as_deref()
            .and_then(nonblank)
            .or_else(|| nonblank(&alert.title))
            .unwrap_or(alert.id.as_str());
        let text = [
            alert.summary.as_deref(),
            alert.risk.as_deref(),
            Some(alert.title.as_str()),
        ]
        .into_iter()
        .flatten()
        .find(|s| nonblank(s).is_some())
        .unwrap_or(title);
        let description = note("description", Some("概要"), text)
            .unwrap_or_else(|| json!({ "category": "description", "text": tracking_id(alert) }));
        let marker = json!({
            "category": "other",
            "title": SYNTHESIZED_NOTE,
            "text": "このアラートは個々の脆弱性を挙げていないため、アラート全体を一つの脆弱性として記した (CSAF は脆弱性を一つ以上求める)。",
        });
        return vec![vuln(
            Some(title),
            None,
            &mut used,
            vec![description, marker],
            alert.severity,
        )];
    }
    // The only vulnerability of an alert whose text is the summary (vendor
    // data keeps the description there): the summary describes it.
    let summary = alert
        .summary
        .as_deref()
        .and_then(nonblank)
        .filter(|_| alert.vulnerabilities.len() == 1);
    alert
        .vulnerabilities
        .iter()
        .map(|v| {
            let text = nonblank(&v.text)
                .or(summary)
                .or_else(|| nonblank(&v.title))
                .or(v.cve.as_deref().and_then(nonblank))
                .unwrap_or(alert.id.as_str());
            let description = note("description", None, text).unwrap_or_else(
                || json!({ "category": "description", "text": tracking_id(alert) }),
            );
            vuln(
                Some(&v.title),
                v.cve.as_deref(),
                &mut used,
                vec![description],
                v.severity,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uris_the_schema_takes_become_references() {
        for ok in [
            "https://example.org/a?b=c#d",
            "http://www.hotfix.jp/archives/alert/2004/news04-0526.html#02",
            "urn:msrc:product:10853",
            "https://h.example/%E8%84%86",
        ] {
            assert!(is_uri(ok), "{ok}");
        }
        for bad in [
            "",
            "www.example.org",
            "not a url",
            "https://h.example/脆弱性",
            "https://h.example/a b",
            "https://h.example/%zz",
            "https://h.example/%4",
            "1http://x",
            "http:",
        ] {
            assert!(!is_uri(bad), "{bad}");
        }
    }

    #[test]
    fn product_ids_are_readable_and_never_empty() {
        assert_eq!(slug("Windows XP SP1/SP1a"), "windows-xp-sp1-sp1a");
        assert_eq!(
            slug("Exchange Server 2003 SP未適用"),
            "exchange-server-2003-sp"
        );
        assert_eq!(slug("Windows NT Server 4.0"), "windows-nt-server-4.0");
        assert_eq!(slug("未適用"), "product");
    }

    #[test]
    fn revisions_on_one_day_get_increasing_seconds() {
        let alert = Alert {
            id: "A".into(),
            registered: NaiveDate::from_ymd_opt(2004, 10, 15),
            updated: NaiveDate::from_ymd_opt(2004, 10, 15),
            ..Alert::default()
        };
        let rev = |updated| Revision {
            recorded_at: DateTime::<Utc>::UNIX_EPOCH,
            updated,
            summary: None,
        };
        let options = Options {
            revisions: vec![
                rev(None),
                rev(alert.updated),
                rev(NaiveDate::from_ymd_opt(2004, 10, 20)),
            ],
            self_url: None,
        };
        let t = tracking(&alert, "A", &options);
        let dates: Vec<&str> = t["revision_history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["date"].as_str().unwrap())
            .collect();
        assert_eq!(
            dates,
            [
                "2004-10-15T00:00:00+09:00",
                "2004-10-15T00:00:01+09:00",
                "2004-10-20T00:00:00+09:00"
            ]
        );
        assert_eq!(t["current_release_date"], "2004-10-20T00:00:00+09:00");
        assert_eq!(t["version"], "3");
        assert_eq!(t["revision_history"][1]["summary"], "更新");
    }
}
