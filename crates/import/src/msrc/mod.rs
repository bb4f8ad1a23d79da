//! Microsoft's monthly security-update documents become alerts: one
//! [`Alert`] per vulnerability (CVE, or `ADV` advisory), and the document
//! itself a [`Release`] that lists them, as a bulletin page once did.
//!
//! The rule is that no fact of the document is lost: everything the vendor
//! says per product (severity, impact, CVSS scores, every remediation with
//! its KB, URL, fixed build, restart, supersedence and sub type) is kept in
//! the alert's `products`, with the product's vendor id and name exactly as
//! written; workarounds and mitigations, which name no product, go to its
//! `workarounds` (the pages' 参考情報). On top of that the alert gets the header facts
//! the pages had, derived and documented here:
//!
//! - `severity`: the most severe rating over the products (what Microsoft
//!   calls the maximum severity rating); none when every product is rated
//!   `None` or not at all.
//! - `impacts`: the products' impacts that the pages' vocabulary has a word
//!   for; the vendor's wording stays in `products[].vendor_impact`.
//! - `kbs`, `references`: the KBs of the vendor fixes and their URLs, each
//!   once, in document order.
//! - `supersedes`: the bulletins (`MS16-110`) the updates replace, each
//!   once: those are alert ids, so they link to the bulletin's alert. The
//!   KBs an update replaces stay with the update
//!   (`products[].remediations[].supersedes`), where they are per product.
//! - `reboot`: one row when every update says the same, else one per
//!   product; `Maybe` becomes 条件付き with the vendor's word as the note.
//! - `exploit_status`: the vendor's `Publicly Disclosed:…;Exploited:…`
//!   statement, parsed, with the text kept. `exploit_code` is true when the
//!   vendor says it is exploited, false when it is neither disclosed nor
//!   exploited, and unknown when it was disclosed but not (yet) exploited:
//!   disclosed details are not necessarily code.
//! - `action`: the documented default of [`ActionRule::decide`] (exploited →
//!   至急適用; Critical and disclosed or `Exploitation More Likely` →
//!   至急適用; disclosed → 早期適用; Critical or Important → 早期適用;
//!   Moderate or Low → SP待ち; no rating → none), with the rule that chose
//!   it in `action_rule` so it can be shown beside the value. An analyst's
//!   choice later replaces both (see [`Alert::keep_analyst_action`]).
//! - `registered` / `updated`: the first and last dates of the
//!   vulnerability's own revision history (the document's dates when it
//!   has none).
//! - Prose (the description, FAQs, workarounds, acknowledgments, revision
//!   notes) is HTML in the source and text in the alert ([`html_to_text`]):
//!   the description becomes `summary`, the FAQs `notes`, the tags `tags`.
//! - `vulnerabilities`: one entry (title, most severe rating, and the CVE
//!   when the id is one) for the renderers that list them; its text stays
//!   empty, the description being the `summary` already.
//! - `title` is the vendor's; `vendor_title`, which holds the vendor's
//!   title beside an analyst's on the pages, stays empty until an analyst
//!   writes one.
//!
//! The conversion is deterministic (document order throughout), so
//! importing the same document again gives equal alerts, and a later
//! version of the document differs only where Microsoft changed a fact:
//! `hfr_model::revision::decide` then records a revision for those alerts
//! and leaves the others alone.
//!
//! Anything odd is a [`Warning`], never a silent drop: a product id the
//! tree does not name, two different severities for one product, an
//! exploit statement key or restart value this importer does not know.

mod html;

use std::collections::HashMap;

use hfr_model::{
    Acknowledgment, ActionRule, Alert, Cvss, ExploitStatus, Impact, Note, ProductFacts, Reboot,
    Reference, ReferenceKind, Release, ReleaseAlert, Remediation, RemediationKind, RestartRequired,
    Severity, Supersedes, Target, VendorRevision, Vulnerability, Workaround,
};

pub use html::html_to_text;

use crate::cvrf::{self, CvrfDocument, CvrfError, CvrfFormat};
use crate::Warning;

/// A document turned into alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct MsrcImport {
    /// The document as a release: its dates, notes and the alerts it lists.
    pub release: Release,
    /// One alert per vulnerability, in document order.
    pub alerts: Vec<Alert>,
    pub warnings: Vec<Warning>,
}

/// Reads a document in either format ([`cvrf::read`]) and turns it into
/// alerts; `file` names it in errors.
pub fn read(bytes: &[u8], file: &str) -> Result<(MsrcImport, CvrfFormat), CvrfError> {
    let (doc, format) = cvrf::read(bytes, file)?;
    Ok((from_cvrf(&doc), format))
}

/// Turns a document into a release and its alerts.
pub fn from_cvrf(doc: &CvrfDocument) -> MsrcImport {
    let index = ProductIndex::new(doc);
    let mut warnings = Vec::new();
    let mut alerts: Vec<Alert> = Vec::new();
    for v in &doc.vulnerabilities {
        let Some(alert) = alert(doc, &index, v, &mut warnings) else {
            continue;
        };
        if alerts.iter().any(|a| a.id == alert.id) {
            warnings.push(warning(
                &alert.id,
                "the document lists this vulnerability twice; the first is kept",
            ));
            continue;
        }
        alerts.push(alert);
    }
    let release = release(doc, &alerts);
    MsrcImport {
        release,
        alerts,
        warnings,
    }
}

fn warning(section: &str, message: impl Into<String>) -> Warning {
    Warning {
        line: None,
        section: section.to_string(),
        message: message.into(),
    }
}

/// Product names and families by product id. Microsoft lists each product
/// twice, under its family and flat; the first name wins, and the family
/// comes from whichever entry has one.
struct ProductIndex<'d> {
    by_id: HashMap<&'d str, (&'d str, Option<&'d str>)>,
}

impl<'d> ProductIndex<'d> {
    fn new(doc: &'d CvrfDocument) -> Self {
        let mut by_id: HashMap<&str, (&str, Option<&str>)> = HashMap::new();
        for p in &doc.products {
            let family = p
                .branches
                .iter()
                .rev()
                .find(|(kind, _)| kind == "Product Family")
                .map(|(_, name)| name.as_str());
            let entry = by_id
                .entry(p.id.as_str())
                .or_insert((p.name.as_str(), None));
            if entry.1.is_none() {
                entry.1 = family;
            }
        }
        ProductIndex { by_id }
    }
}

/// The alert's per-product facts, in order of first mention.
struct Products<'a> {
    index: &'a ProductIndex<'a>,
    facts: Vec<ProductFacts>,
    at: HashMap<String, usize>,
}

impl Products<'_> {
    fn get(&mut self, id: &str, alert: &str, warnings: &mut Vec<Warning>) -> &mut ProductFacts {
        let i = match self.at.get(id) {
            Some(&i) => i,
            None => {
                let (name, family) = match self.index.by_id.get(id) {
                    Some(&(name, family)) => (name.to_string(), family.map(str::to_string)),
                    None => {
                        warnings.push(warning(
                            alert,
                            format!("product {id} is not in the document's product tree; it is kept without a name"),
                        ));
                        (String::new(), None)
                    }
                };
                self.facts.push(ProductFacts {
                    id: id.to_string(),
                    name,
                    family,
                    ..ProductFacts::default()
                });
                self.at.insert(id.to_string(), self.facts.len() - 1);
                self.facts.len() - 1
            }
        };
        &mut self.facts[i]
    }
}

fn alert(
    doc: &CvrfDocument,
    index: &ProductIndex,
    v: &cvrf::Vulnerability,
    warnings: &mut Vec<Warning>,
) -> Option<Alert> {
    let Some(id) = v.cve.clone() else {
        let which = v.ordinal.map_or_else(
            || "a vulnerability".to_string(),
            |o| format!("vulnerability {o}"),
        );
        warnings.push(warning(
            &doc.id,
            format!(
                "{which} ({}) has no CVE or advisory id and was not imported",
                v.title.as_deref().unwrap_or("no title")
            ),
        ));
        return None;
    };
    let mut products = Products {
        index,
        facts: Vec::new(),
        at: HashMap::new(),
    };
    let mut a = Alert {
        id: id.clone(),
        release: Some(doc.id.clone()),
        title: v.title.clone().unwrap_or_default(),
        ..Alert::default()
    };
    if a.title.is_empty() {
        warnings.push(warning(&id, "the vulnerability has no title"));
    }

    for s in &v.statuses {
        if s.kind != "Known Affected" {
            warnings.push(warning(
                &id,
                format!(
                    "product status {:?} is not one this importer knows; its products are listed as affected",
                    s.kind
                ),
            ));
        }
        for pid in &s.product_ids {
            products.get(pid, &id, warnings);
        }
    }

    let mut exploit: Option<ExploitStatus> = None;
    for t in &v.threats {
        match t.kind.as_str() {
            "Severity" | "Impact" => {
                if t.product_ids.is_empty() {
                    warnings.push(warning(
                        &id,
                        format!("a {} threat names no product; it was not kept", t.kind),
                    ));
                }
                for pid in &t.product_ids {
                    let p = products.get(pid, &id, warnings);
                    product_threat(p, t, &id, warnings);
                }
            }
            "Exploit Status" => match &exploit {
                None => {
                    let (status, unknown) = ExploitStatus::parse(&t.description);
                    for part in unknown {
                        warnings.push(warning(
                            &id,
                            format!("exploit status part {part:?} is not one this importer reads; it is kept in the statement's text"),
                        ));
                    }
                    exploit = Some(status);
                }
                Some(first) if first.text != t.description.trim() => warnings.push(warning(
                    &id,
                    format!(
                        "a second, different exploit status {:?}; the first is kept",
                        t.description
                    ),
                )),
                Some(_) => {}
            },
            other => a.notes.push(Note {
                title: other.to_string(),
                text: t.description.clone(),
            }),
        }
    }

    for s in &v.scores {
        if s.product_ids.is_empty() {
            warnings.push(warning(
                &id,
                "a CVSS score set names no product; it was not kept",
            ));
        }
        let cvss = Cvss {
            base: s.base,
            temporal: s.temporal,
            environmental: s.environmental,
            vector: s.vector.clone(),
        };
        for pid in &s.product_ids {
            let p = products.get(pid, &id, warnings);
            match &p.cvss {
                Some(existing) if *existing != cvss => warnings.push(warning(
                    &id,
                    format!("product {pid} has two different CVSS score sets; the first is kept"),
                )),
                _ => p.cvss = Some(cvss.clone()),
            }
        }
    }

    let mut general: Vec<(&cvrf::Remediation, Remediation)> = Vec::new();
    for r in &v.remediations {
        let rem = remediation(r, &id, warnings);
        if r.product_ids.is_empty() {
            if matches!(
                rem.kind,
                RemediationKind::Workaround | RemediationKind::Mitigation
            ) {
                a.workarounds.push(workaround(r));
            } else {
                general.push((r, rem));
            }
            continue;
        }
        for pid in &r.product_ids {
            products
                .get(pid, &id, warnings)
                .remediations
                .push(rem.clone());
        }
    }
    // Any other remediation that names no product applies to all of them.
    for (source, rem) in general {
        if products.facts.is_empty() {
            warnings.push(warning(
                &id,
                format!(
                    "a {} names no product and the vulnerability has none; it is kept as a workaround",
                    rem.kind.label_en()
                ),
            ));
            a.workarounds.push(workaround(source));
        }
        for p in &mut products.facts {
            p.remediations.push(rem.clone());
        }
    }

    a.products = products.facts;
    a.target = Target::from_products(&a.products());
    a.severity = a.products.iter().filter_map(|p| p.severity).min();
    let mut impacts: Vec<Impact> = a.products.iter().filter_map(|p| p.impact).collect();
    impacts.sort();
    impacts.dedup();
    a.impacts = (!impacts.is_empty()).then_some(impacts);

    header_from_remediations(&mut a, v);

    a.exploit_code = exploit.as_ref().and_then(|e| {
        if e.is_exploited() {
            Some(true)
        } else if e.publicly_disclosed == Some(false) && e.exploited == Some(false) {
            Some(false)
        } else {
            None
        }
    });
    let rule = ActionRule::decide(a.severity, exploit.as_ref());
    a.action = rule.action();
    a.action_rule = Some(rule);
    a.exploit_status = exploit;

    for n in &v.notes {
        let text = html_to_text(&n.text);
        match n.kind.as_deref() {
            Some("Description") => {
                if !text.is_empty() {
                    a.summary = Some(match a.summary.take() {
                        Some(s) => format!("{s}\n\n{text}"),
                        None => text,
                    });
                }
            }
            Some("Tag") => {
                let tag = if text.is_empty() {
                    n.title.clone().unwrap_or_default()
                } else {
                    text
                };
                if !tag.is_empty() && !a.tags.contains(&tag) {
                    a.tags.push(tag);
                }
            }
            kind => {
                if !text.is_empty() {
                    a.notes.push(Note {
                        title: n
                            .title
                            .clone()
                            .or_else(|| kind.map(str::to_string))
                            .unwrap_or_default(),
                        text,
                    });
                }
            }
        }
    }
    a.vulnerabilities = vec![Vulnerability {
        title: a.title.clone(),
        severity: a.severity,
        cve: id.starts_with("CVE-").then(|| id.clone()),
        text: String::new(),
    }];
    a.acknowledgments = v
        .acknowledgments
        .iter()
        .map(|k| Acknowledgment {
            names: k
                .names
                .iter()
                .map(|n| html_to_text(n))
                .filter(|n| !n.is_empty())
                .collect(),
            organizations: k.organizations.iter().map(|o| html_to_text(o)).collect(),
            urls: k.urls.clone(),
            description: k.description.as_deref().map(html_to_text),
        })
        .filter(|k| {
            !(k.names.is_empty()
                && k.organizations.is_empty()
                && k.urls.is_empty()
                && k.description.is_none())
        })
        .collect();
    a.vendor_revisions = v.revisions.iter().map(vendor_revision).collect();
    let dates = || a.vendor_revisions.iter().filter_map(|r| r.date);
    a.registered = dates()
        .min()
        .or(doc.initial_release)
        .map(|d| d.date_naive());
    a.updated = dates()
        .max()
        .or(doc.current_release)
        .map(|d| d.date_naive());
    Some(a)
}

/// A Severity or Impact threat for one product: the vendor's word is kept,
/// and the model's value set where it has one.
fn product_threat(
    p: &mut ProductFacts,
    t: &cvrf::Threat,
    alert: &str,
    warnings: &mut Vec<Warning>,
) {
    let word = t.description.trim();
    let (slot, what) = match t.kind.as_str() {
        "Severity" => (&mut p.vendor_severity, "severity"),
        _ => (&mut p.vendor_impact, "impact"),
    };
    match slot {
        Some(existing) if existing != word => {
            warnings.push(warning(
                alert,
                format!(
                    "product {} has two different {what} values ({existing:?}, {word:?}); the first is kept",
                    p.id
                ),
            ));
            return;
        }
        Some(_) => return,
        None if word.is_empty() => return,
        None => *slot = Some(word.to_string()),
    }
    if t.kind == "Severity" {
        p.severity = Severity::parse(word);
        if p.severity.is_none() && !word.eq_ignore_ascii_case("none") {
            warnings.push(warning(
                alert,
                format!("severity {word:?} for product {} is not a rating this importer knows; it is kept as written", p.id),
            ));
        }
    } else {
        p.impact = Impact::from_vendor(word);
    }
}

/// The digits of a KB number written as `4012598` or `KB4012598`.
fn kb_number(s: &str) -> Option<String> {
    let s = s.trim();
    let digits = s
        .strip_prefix("KB")
        .or_else(|| s.strip_prefix("kb"))
        .unwrap_or(s);
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then(|| digits.to_string())
}

/// The ids in a supersedence: bulletin ids (`MS16-110`) and KB numbers
/// (as `KB3187754`), in order, each once. Pairs are separated by `;`, ids
/// within a pair by `,`; `None` means nothing.
pub fn supersedes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in s.split([';', ',']).flat_map(str::split_whitespace) {
        let id = if let Some(kb) = kb_number(token) {
            format!("KB{kb}")
        } else if is_bulletin_id(token) {
            token.to_ascii_uppercase()
        } else {
            continue;
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// `MSyy-nnn`.
fn is_bulletin_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && b[..2].eq_ignore_ascii_case(b"MS")
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
}

fn remediation(r: &cvrf::Remediation, alert: &str, warnings: &mut Vec<Warning>) -> Remediation {
    let kind = RemediationKind::parse(&r.kind);
    if let RemediationKind::Other(other) = &kind {
        warnings.push(warning(
            alert,
            format!(
                "remediation type {other:?} is not one this importer knows; it is kept as written"
            ),
        ));
    }
    let description = r.description.trim();
    let kb = kb_number(description);
    let restart_required = r.restart_required.as_deref().and_then(|s| {
        let parsed = RestartRequired::parse(s);
        if parsed.is_none() {
            warnings.push(warning(
                alert,
                format!("restart value {s:?} is not Yes, No or Maybe; it was not kept"),
            ));
        }
        parsed
    });
    if r.date.is_some() || r.entitlement.is_some() {
        warnings.push(warning(
            alert,
            "a remediation's date or entitlement has no place in the model and was not kept",
        ));
    }
    Remediation {
        kind,
        description: if kb.is_some() || description.is_empty() {
            None
        } else {
            Some(html_to_text(description))
        },
        kb,
        url: r.url.clone(),
        fixed_build: r.fixed_build.clone(),
        restart_required,
        supersedes: r
            .supercedence
            .as_deref()
            .map(supersedes)
            .unwrap_or_default(),
        supersedence: r.supercedence.clone(),
        sub_type: r.sub_type.clone(),
        affected_files: r.affected_files.clone(),
    }
}

/// A workaround or mitigation that names no product, for the alert's
/// 参考情報: titled with the vendor's type.
fn workaround(r: &cvrf::Remediation) -> Workaround {
    let mut text = html_to_text(&r.description);
    if let Some(url) = &r.url {
        if !text.contains(url.as_str()) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(url);
        }
    }
    Workaround {
        title: Some(r.kind.clone()),
        text,
    }
}

fn vendor_revision(r: &cvrf::Revision) -> VendorRevision {
    VendorRevision {
        number: r.number.clone(),
        date: r.date,
        description: html_to_text(&r.description),
    }
}

/// `kbs`, `references`, `supersedes` and `reboot`, from the remediations in
/// document order.
fn header_from_remediations(a: &mut Alert, v: &cvrf::Vulnerability) {
    let with_products = || v.remediations.iter().filter(|r| !r.product_ids.is_empty());
    for r in with_products() {
        let kind = RemediationKind::parse(&r.kind);
        let kb = kb_number(&r.description);
        if let (RemediationKind::VendorFix, Some(kb)) = (&kind, &kb) {
            if !a.kbs.contains(kb) {
                a.kbs.push(kb.clone());
            }
        }
        if let Some(url) = &r.url {
            let (ref_kind, label) = match &kb {
                Some(kb) => (ReferenceKind::Kb, format!("KB{kb}")),
                None => (ReferenceKind::Other, html_to_text(&r.description)),
            };
            let known = a
                .references
                .iter()
                .any(|x| x.label == label && x.url.as_deref() == Some(url.as_str()));
            if !known {
                a.references.push(Reference {
                    kind: ref_kind,
                    label,
                    locale: None,
                    url: Some(url.clone()),
                    note: (kind != RemediationKind::VendorFix).then(|| kind.label_en().to_string()),
                });
            }
        }
        let replaced = r
            .supercedence
            .as_deref()
            .map(supersedes)
            .unwrap_or_default();
        for id in replaced.into_iter().filter(|id| is_bulletin_id(id)) {
            if !a.supersedes.iter().any(|s| s.id == id) {
                a.supersedes.push(Supersedes { id, scope: None });
            }
        }
    }

    // Restart: one row when all updates agree, else one per product.
    let mut rows: Vec<(&str, RestartRequired)> = Vec::new();
    for p in &a.products {
        for r in &p.remediations {
            if let (RemediationKind::VendorFix, Some(restart)) = (&r.kind, r.restart_required) {
                if !rows.contains(&(p.name.as_str(), restart)) {
                    rows.push((p.name.as_str(), restart));
                }
            }
        }
    }
    let reboot = |product: Option<&str>, r: RestartRequired| Reboot {
        product: product.map(str::to_string),
        required: r.reboot(),
        note: (r == RestartRequired::Maybe).then(|| r.label_en().to_string()),
    };
    let first = rows.first().map(|(_, r)| *r);
    a.reboot = match first {
        None => Vec::new(),
        Some(only) if rows.iter().all(|(_, r)| *r == only) => vec![reboot(None, only)],
        Some(_) => rows.iter().map(|(p, r)| reboot(Some(p), *r)).collect(),
    };
}

fn release(doc: &CvrfDocument, alerts: &[Alert]) -> Release {
    Release {
        id: doc.id.clone(),
        title: doc.title.clone(),
        aliases: doc.aliases.clone(),
        document_type: doc.document_type.clone(),
        publisher: doc.publisher.clone(),
        status: doc.status.clone(),
        version: doc.version.clone(),
        initial_release: doc.initial_release,
        current_release: doc.current_release,
        revision: doc
            .revisions
            .last()
            .map(|r| r.number.clone())
            .filter(|n| !n.is_empty()),
        revisions: doc.revisions.iter().map(vendor_revision).collect(),
        notes: doc
            .notes
            .iter()
            .map(|n| Note {
                title: n
                    .title
                    .clone()
                    .or_else(|| n.kind.clone())
                    .unwrap_or_default(),
                text: html_to_text(&n.text),
            })
            .collect(),
        alerts: alerts
            .iter()
            .map(|a| ReleaseAlert {
                id: a.id.clone(),
                title: a.title.clone(),
                severity: a.severity,
                tags: a.tags.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
