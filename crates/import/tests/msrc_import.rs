//! Microsoft's monthly documents in `shared/data/msrc-cvrf` become alerts
//! without losing a fact: every threat, score set, remediation, note,
//! acknowledgment and revision of the source is found again in some
//! alert, the derived header facts have the expected distribution, one CVE
//! is checked field by field, and a re-import of a changed document
//! changes exactly the facts that changed.

mod msrc_data;

use std::collections::BTreeMap;
use std::time::Instant;

use hfr_import::cvrf::{self, CvrfDocument};
use hfr_import::msrc::{from_cvrf, html_to_text, MsrcImport};
use hfr_model::diff::{changed_sections, diff};
use hfr_model::revision::{decide, Decision};
use hfr_model::{
    Action, ActionRule, Alert, Exploitability, Impact, ProductFacts, RebootRequired, ReferenceKind,
    Remediation, RemediationKind, RestartRequired, Severity,
};

fn imports(months: &[msrc_data::Month]) -> Vec<MsrcImport> {
    months.iter().map(|m| from_cvrf(&m.doc)).collect()
}

#[test]
fn every_month_becomes_a_release_of_alerts() {
    let Some(months) = msrc_data::months() else {
        return;
    };
    assert_eq!(months.len(), 23);
    let started = Instant::now();
    let all = imports(&months);
    eprintln!(
        "mapped {} documents in {:?}",
        months.len(),
        started.elapsed()
    );
    let mut severity: BTreeMap<String, usize> = BTreeMap::new();
    let mut action: BTreeMap<String, usize> = BTreeMap::new();
    let mut rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut warnings = Vec::new();
    for (m, imp) in months.iter().zip(&all) {
        assert_eq!(imp.alerts.len(), m.doc.vulnerabilities.len(), "{}", m.name);
        let r = &imp.release;
        assert_eq!(r.id, m.doc.id);
        assert_eq!(r.title, m.doc.title);
        assert_eq!(r.current_release, m.doc.current_release);
        assert!(r.revision.is_some(), "{}", m.name);
        assert_eq!(r.alerts.len(), imp.alerts.len());
        for (entry, a) in r.alerts.iter().zip(&imp.alerts) {
            assert_eq!(
                (&entry.id, &entry.title, entry.severity),
                (&a.id, &a.title, a.severity)
            );
            assert_eq!(a.release.as_deref(), Some(r.id.as_str()));
        }
        for a in &imp.alerts {
            let key = |v: Option<String>| v.unwrap_or_else(|| "none".into());
            *severity
                .entry(key(a.severity.map(|s| s.label_en().to_string())))
                .or_default() += 1;
            *action
                .entry(key(a.action.map(|s| s.key().to_string())))
                .or_default() += 1;
            *rule
                .entry(key(a.action_rule.map(|s| s.key().to_string())))
                .or_default() += 1;
            assert_eq!(a.action, a.action_rule.and_then(ActionRule::action));
        }
        warnings.extend(imp.warnings.iter().map(|w| format!("{}: {w}", r.id)));
    }
    let counts = |m: &BTreeMap<String, usize>| -> Vec<(String, usize)> {
        m.iter().map(|(k, v)| (k.clone(), *v)).collect()
    };
    let expect = |pairs: &[(&str, usize)]| -> Vec<(String, usize)> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    assert_eq!(
        counts(&severity),
        expect(&[
            ("critical", 365),
            ("important", 668),
            ("low", 1),
            ("moderate", 31),
            ("none", 9)
        ])
    );
    assert_eq!(
        counts(&rule),
        expect(&[
            ("critical_exploit_likely", 254),
            ("critical_or_important", 710),
            ("exploited", 26),
            ("moderate_or_low", 23),
            ("no_severity", 7),
            ("publicly_disclosed", 54),
        ])
    );
    assert_eq!(
        counts(&action),
        expect(&[
            ("apply_now", 280),
            ("apply_soon", 764),
            ("none", 7),
            ("wait_for_sp", 23)
        ])
    );
    // The only oddities in the data set: five vulnerabilities without a
    // title (all in 2017).
    assert_eq!(warnings.len(), 5, "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .all(|w| w.ends_with("the vulnerability has no title")),
        "{warnings:#?}"
    );
}

/// The alert's facts for one product.
fn product<'a>(a: &'a Alert, id: &str) -> &'a ProductFacts {
    a.products
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("{}: no product {id}", a.id))
}

/// What a source remediation should look like in the model, computed here
/// independently of the importer.
fn expected_remediation(r: &cvrf::Remediation) -> Remediation {
    let d = r.description.trim();
    let kb = (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).then(|| d.to_string());
    Remediation {
        kind: RemediationKind::parse(&r.kind),
        description: (kb.is_none() && !d.is_empty()).then(|| html_to_text(d)),
        kb,
        url: r.url.clone(),
        fixed_build: r.fixed_build.clone(),
        restart_required: r
            .restart_required
            .as_deref()
            .and_then(RestartRequired::parse),
        supersedence: r.supercedence.clone(),
        supersedes: r
            .supercedence
            .as_deref()
            .map(hfr_import::msrc::supersedes)
            .unwrap_or_default(),
        sub_type: r.sub_type.clone(),
        affected_files: r.affected_files.clone(),
    }
}

#[derive(Default, Debug, PartialEq)]
struct Found {
    status_products: usize,
    severities: usize,
    impacts: usize,
    exploit_statuses: usize,
    score_sets: usize,
    remediations: usize,
    remediation_products: usize,
    workarounds: usize,
    descriptions: usize,
    faqs: usize,
    tags: usize,
    acknowledgments: usize,
    revisions: usize,
}

fn check_vulnerability(doc: &CvrfDocument, v: &cvrf::Vulnerability, a: &Alert, f: &mut Found) {
    let id = &a.id;
    assert_eq!(v.cve.as_deref(), Some(id.as_str()));
    assert_eq!(v.title.clone().unwrap_or_default(), a.title, "{id}");
    for pid in v.statuses.iter().flat_map(|s| &s.product_ids) {
        let p = product(a, pid);
        let named = doc.product(pid).map(|p| p.name.as_str());
        assert_eq!(Some(p.name.as_str()), named, "{id} {pid}");
        f.status_products += 1;
    }
    for t in &v.threats {
        let word = Some(t.description.trim()).filter(|w| !w.is_empty());
        match t.kind.as_str() {
            "Severity" => {
                for pid in &t.product_ids {
                    let p = product(a, pid);
                    assert_eq!(p.vendor_severity.as_deref(), word, "{id} {pid}");
                    assert_eq!(p.severity, word.and_then(Severity::parse), "{id} {pid}");
                    f.severities += 1;
                }
            }
            "Impact" => {
                for pid in &t.product_ids {
                    let p = product(a, pid);
                    assert_eq!(p.vendor_impact.as_deref(), word, "{id} {pid}");
                    assert_eq!(p.impact, word.and_then(Impact::from_vendor), "{id} {pid}");
                    f.impacts += 1;
                }
            }
            "Exploit Status" => {
                let status = a.exploit_status.as_ref().expect("exploit status");
                assert_eq!(Some(status.text.as_str()), word, "{id}");
                f.exploit_statuses += 1;
            }
            other => panic!("{id}: a {other} threat"),
        }
    }
    for s in &v.scores {
        assert_eq!(s.product_ids.len(), 1, "{id}");
        let cvss = product(a, &s.product_ids[0]).cvss.as_ref().expect("cvss");
        assert_eq!(
            (cvss.base, cvss.temporal, cvss.environmental, &cvss.vector),
            (s.base, s.temporal, s.environmental, &s.vector),
            "{id}"
        );
        f.score_sets += 1;
    }
    for r in &v.remediations {
        let want = expected_remediation(r);
        if r.product_ids.is_empty() {
            let text = html_to_text(&r.description);
            assert!(
                a.workarounds
                    .iter()
                    .any(|w| w.title.as_deref() == Some(r.kind.as_str()) && w.text == text),
                "{id}: {} {text:?}",
                r.kind
            );
            f.workarounds += 1;
        }
        for pid in &r.product_ids {
            assert!(
                product(a, pid).remediations.contains(&want),
                "{id} {pid}: {want:?}"
            );
            f.remediation_products += 1;
        }
        f.remediations += 1;
    }
    for n in &v.notes {
        let text = html_to_text(&n.text);
        match n.kind.as_deref() {
            Some("Description") => {
                assert!(
                    text.is_empty() || a.summary.as_deref().is_some_and(|s| s.contains(&text)),
                    "{id}"
                );
                f.descriptions += 1;
            }
            Some("FAQ") => {
                assert!(
                    a.notes.iter().any(|x| x.title == "FAQ" && x.text == text),
                    "{id}"
                );
                f.faqs += 1;
            }
            Some("Tag") => {
                assert!(a.tags.contains(&text), "{id}");
                f.tags += 1;
            }
            other => panic!("{id}: a note of type {other:?}"),
        }
    }
    for k in &v.acknowledgments {
        if k.names.is_empty() && k.urls.is_empty() {
            continue;
        }
        let names: Vec<String> = k.names.iter().map(|n| html_to_text(n)).collect();
        assert!(
            a.acknowledgments
                .iter()
                .any(|x| x.names == names && x.urls == k.urls),
            "{id}: {names:?}"
        );
        f.acknowledgments += 1;
    }
    assert_eq!(a.vendor_revisions.len(), v.revisions.len(), "{id}");
    for (r, x) in v.revisions.iter().zip(&a.vendor_revisions) {
        assert_eq!(
            (&r.number, r.date, html_to_text(&r.description)),
            (&x.number, x.date, x.description.clone())
        );
        f.revisions += 1;
    }
}

#[test]
fn no_fact_of_the_source_is_lost() {
    let Some(months) = msrc_data::months() else {
        return;
    };
    let mut found = Found::default();
    for (m, imp) in months.iter().zip(imports(&months)) {
        for (v, a) in m.doc.vulnerabilities.iter().zip(&imp.alerts) {
            check_vulnerability(&m.doc, v, a, &mut found);
        }
        for (n, x) in m.doc.notes.iter().zip(&imp.release.notes) {
            assert_eq!(html_to_text(&n.text), x.text);
        }
        assert_eq!(m.doc.notes.len(), imp.release.notes.len());
    }
    assert_eq!(
        found,
        Found {
            status_products: 16_041,
            severities: 16_074,
            impacts: 16_074,
            exploit_statuses: 1_075,
            score_sets: 11_089,
            remediations: 19_806,
            remediation_products: 19_664,
            workarounds: 147,
            descriptions: 1_074,
            faqs: 214,
            tags: 1_072,
            acknowledgments: 1_077,
            revisions: 1_650,
        }
    );
}

#[test]
fn prose_is_text_without_markup() {
    let Some(months) = msrc_data::months() else {
        return;
    };
    let markup = [
        "<p>", "</p>", "<a ", "</a>", "<li>", "<br", "&quot;", "&nbsp;", "&amp;", "&lt;",
    ];
    let mut texts = 0;
    let mut left = Vec::new();
    for imp in imports(&months) {
        for a in &imp.alerts {
            let prose = a
                .summary
                .iter()
                .chain(a.notes.iter().map(|n| &n.text))
                .chain(a.workarounds.iter().map(|w| &w.text))
                .chain(a.vendor_revisions.iter().map(|r| &r.description))
                .chain(a.acknowledgments.iter().flat_map(|k| &k.names));
            for t in prose {
                texts += 1;
                for m in markup {
                    if t.contains(m) {
                        left.push(format!("{} {m}", a.id));
                    }
                }
                assert!(!t.contains("\n\n\n"), "{}: {t:?}", a.id);
                assert_eq!(t.trim(), t, "{}", a.id);
            }
        }
    }
    assert!(texts > 4_000, "{texts}");
    // What is left was escaped once more than the rest in the source, so a
    // browser shows it as written too: a stray closing tag and placeholders
    // like `&lt;OR OS volume letter&gt;`.
    left.sort();
    left.dedup();
    assert_eq!(
        left,
        [
            "ADV160005 </p>",
            "ADV170021 &lt;",
            "CVE-2016-3287 &lt;",
            "CVE-2016-3320 &lt;"
        ]
    );
}

#[test]
fn html_notes_read_as_text() {
    let Some(months) = msrc_data::months() else {
        return;
    };
    let alerts: Vec<Alert> = imports(&months)
        .into_iter()
        .flat_map(|i| i.alerts)
        .collect();
    // Links keep their targets; paragraphs are separated by a blank line.
    let with_link = alerts
        .iter()
        .filter_map(|a| a.summary.as_deref())
        .find(|t| t.contains(" (https://") && t.contains("\n\n"))
        .expect("a description with a link");
    assert!(!with_link.contains("<a"), "{with_link:?}");
    // A workaround with a registry file keeps its lines.
    let registry = alerts
        .iter()
        .flat_map(|a| &a.workarounds)
        .find(|w| w.text.contains("Windows Registry Editor Version 5.00"))
        .expect("a workaround with a .reg file");
    let line = registry
        .text
        .lines()
        .find(|l| l.contains("Windows Registry Editor Version 5.00"))
        .expect("line");
    assert_eq!(line.trim(), "Windows Registry Editor Version 5.00");
    assert!(
        registry
            .text
            .lines()
            .any(|l| l.trim_start().starts_with("[HKEY_")),
        "{}",
        registry.text
    );
    // A table in a note becomes `|`-separated rows.
    let table = alerts
        .iter()
        .flat_map(|a| &a.notes)
        .find(|n| n.text.contains("Affected Software | Updates Replaced"))
        .expect("a FAQ with a table");
    assert!(table.text.lines().filter(|l| l.contains(" | ")).count() > 1);
    // Numbered steps, nested.
    assert!(alerts
        .iter()
        .flat_map(|a| &a.workarounds)
        .any(|w| w.text.contains("\n1. ") && w.text.contains("\n  1. ")));
    // An acknowledgment with a line break and a link.
    let ack = alerts
        .iter()
        .flat_map(|a| &a.acknowledgments)
        .flat_map(|k| &k.names)
        .find(|n| n.contains("Arcoverde"))
        .expect("an acknowledgment with a line break and a link");
    assert!(
        ack.ends_with("Arcoverde\nNCC Group (https://www.nccgroup.trust/us/)"),
        "{ack:?}"
    );
}

#[test]
fn cve_2017_0144_as_microsoft_published_it() {
    let Some(mar) = msrc_data::month("2017-Mar.xml") else {
        return;
    };
    let imp = from_cvrf(&mar.doc);
    let r = &imp.release;
    assert_eq!(r.id, "2017-Mar");
    assert_eq!(r.title, "March 2017 Security Updates");
    assert_eq!(r.revision.as_deref(), Some("7"));
    assert_eq!(
        r.initial_release.map(|d| d.to_rfc3339()).as_deref(),
        Some("2017-03-14T07:00:00+00:00")
    );
    assert_eq!(
        r.current_release.map(|d| d.to_rfc3339()).as_deref(),
        Some("2017-08-08T07:00:00+00:00")
    );
    assert_eq!(r.alerts.len(), 135);
    assert_eq!(r.max_severity(), Some(Severity::Critical));

    let a = imp
        .alerts
        .iter()
        .find(|a| a.id == "CVE-2017-0144")
        .expect("CVE-2017-0144");
    assert_eq!(a.title, "Windows SMB Remote Code Execution Vulnerability");
    assert_eq!(a.release.as_deref(), Some("2017-Mar"));
    assert_eq!(a.severity, Some(Severity::Critical));
    assert_eq!(a.impacts, Some(vec![Impact::CodeExecution]));
    assert_eq!(a.tags, ["Windows SMB Server"]);
    assert!(a.summary.as_deref().is_some_and(|s| s
        .starts_with("A remote code execution vulnerability exists")
        && s.contains("(SMBv1)")
        && s.contains("\n\n")));
    let e = a.exploit_status.as_ref().expect("exploit status");
    assert_eq!(
        (
            e.publicly_disclosed,
            e.exploited,
            e.latest_release,
            e.older_release
        ),
        (
            Some(false),
            Some(false),
            Some(Exploitability::MoreLikely),
            Some(Exploitability::MoreLikely)
        )
    );
    assert_eq!(a.exploit_code, Some(false));
    assert_eq!(a.action, Some(Action::ApplyNow));
    assert_eq!(a.action_rule, Some(ActionRule::CriticalExploitLikely));
    assert_eq!(
        a.registered.map(|d| d.to_string()).as_deref(),
        Some("2017-03-14")
    );
    assert_eq!(a.vendor_revisions.len(), 1);
    assert_eq!(a.vendor_revisions[0].description, "Information published.");
    assert_eq!(a.products.len(), 26);
    assert!(a
        .products
        .iter()
        .all(|p| p.severity == Some(Severity::Critical)
            && p.vendor_impact.as_deref() == Some("Remote Code Execution")));
    assert!(a.kbs.contains(&"4012598".to_string()) && a.kbs.contains(&"4012212".to_string()));
    assert!(a.supersedes.iter().any(|s| s.id == "MS16-110"));
    assert!(a.references.iter().all(|r| r.kind == ReferenceKind::Kb));
    assert_eq!(a.reboot.len(), 1);
    assert_eq!(
        (a.reboot[0].product.as_deref(), a.reboot[0].required),
        (None, RebootRequired::Yes)
    );

    let p = product(a, "9312");
    assert_eq!(
        p.name,
        "Windows Server 2008 for 32-bit Systems Service Pack 2"
    );
    let cvss = p.cvss.as_ref().expect("cvss");
    assert_eq!((cvss.base, cvss.temporal), (Some(8.1), Some(7.3)));
    assert_eq!(
        cvss.vector.as_deref(),
        Some("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C")
    );
    let fix = &p.remediations[0];
    assert_eq!(fix.kind, RemediationKind::VendorFix);
    assert_eq!(fix.kb.as_deref(), Some("4012598"));
    assert_eq!(
        fix.url.as_deref(),
        Some("https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB4012598")
    );
    assert_eq!(fix.supersedence.as_deref(), Some("3177186"));
    assert_eq!(fix.supersedes, ["KB3177186"]);
    assert_eq!(fix.restart_required, Some(RestartRequired::Yes));
    assert_eq!(fix.sub_type.as_deref(), Some("Security Update"));
    assert_eq!(fix.fixed_build, None);
    // Products with a monthly rollup and a security-only update list both.
    let both = a.products.iter().find(|p| {
        let subs: Vec<_> = p
            .remediations
            .iter()
            .filter_map(|r| r.sub_type.as_deref())
            .collect();
        subs.contains(&"Monthly Rollup") && subs.contains(&"Security Only")
    });
    assert!(both.is_some(), "{:#?}", a.products);
}

/// A later version of a document changes one remediation's supersedence:
/// the re-import revises that one alert, and its changes are that fact.
#[test]
fn a_revised_document_changes_only_the_changed_facts() {
    let Some(mar) = msrc_data::month("2017-Mar.xml") else {
        return;
    };
    let before = from_cvrf(&mar.doc);
    let mut revised = mar.doc.clone();
    let v = revised
        .vulnerabilities
        .iter_mut()
        .find(|v| v.cve.as_deref() == Some("CVE-2017-0144"))
        .expect("CVE-2017-0144");
    let r = v
        .remediations
        .iter_mut()
        .find(|r| r.product_ids == ["9312"])
        .expect("the fix for 9312");
    assert_eq!(r.supercedence.as_deref(), Some("3177186"));
    r.supercedence = Some("3177186; 4099999".into());
    let after = from_cvrf(&revised);

    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let mut revisions = Vec::new();
    for (old, new) in before.alerts.iter().zip(&after.alerts) {
        match decide(Some(old), new.clone(), today, false) {
            Decision::Unchanged => {}
            Decision::Revise { alert, changes } => revisions.push((alert, changes)),
            other => panic!("{}: {other:?}", old.id),
        }
    }
    let [(alert, changes)] = revisions.as_slice() else {
        panic!("{} revisions", revisions.len())
    };
    assert_eq!(alert.id, "CVE-2017-0144");
    let i = alert
        .products
        .iter()
        .position(|p| p.id == "9312")
        .expect("9312");
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            // The day the revision was recorded: the vendor's own dates did
            // not move...
            "updated".to_string(),
            // ...and the fact itself.
            format!("products[{i}].remediations[0].supersedence"),
            format!("products[{i}].remediations[0].supersedes[1]"),
        ]
    );
    assert_eq!(changes[1].before, serde_json::json!("3177186"));
    assert_eq!(changes[1].after, serde_json::json!("3177186; 4099999"));
    assert_eq!(changes[2].after, serde_json::json!("KB4099999"));
    assert_eq!(changed_sections(changes), ["updated", "products"]);
    // The release lists the same alerts either way.
    assert_eq!(before.release, after.release);

    // A bulletin id the alert did not list yet shows in its supersedes too.
    let mut again = revised.clone();
    let r = again
        .vulnerabilities
        .iter_mut()
        .find(|v| v.cve.as_deref() == Some("CVE-2017-0144"))
        .and_then(|v| {
            v.remediations
                .iter_mut()
                .rev()
                .find(|r| !r.product_ids.is_empty())
        })
        .expect("fix");
    r.supercedence = Some(format!(
        "{}; MS99-001",
        r.supercedence.as_deref().unwrap_or_default()
    ));
    let third = from_cvrf(&again);
    let (old, new) = before
        .alerts
        .iter()
        .zip(&third.alerts)
        .find(|(a, _)| a.id == "CVE-2017-0144")
        .expect("alert");
    let changes = diff(old, new);
    assert_eq!(changed_sections(&changes), ["supersedes", "products"]);
    assert_eq!(
        changes[0].after,
        serde_json::json!({"id": "MS99-001", "scope": null})
    );
}

/// An analyst's action survives a re-import that would give another default.
#[test]
fn an_analysts_action_survives_a_reimport() {
    let Some(mar) = msrc_data::month("2017-Mar.xml") else {
        return;
    };
    let imp = from_cvrf(&mar.doc);
    let mut stored = imp.alerts[0].clone();
    stored.set_action_by_analyst(Some(Action::WaitForSp));
    let mut incoming = from_cvrf(&mar.doc).alerts[0].clone();
    assert_ne!(incoming.action_rule, Some(ActionRule::Analyst));
    assert!(incoming.keep_analyst_action(&stored));
    assert_eq!(incoming.action, Some(Action::WaitForSp));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    assert_eq!(
        decide(Some(&stored), incoming, today, false),
        Decision::Unchanged
    );
}

/// Legacy alerts serialize as before: the vendor keys appear only when set.
#[test]
fn vendor_keys_are_absent_from_page_alerts() {
    let legacy = serde_json::to_value(Alert::default()).expect("json");
    for key in [
        "release",
        "exploit_status",
        "action_rule",
        "products",
        "tags",
        "acknowledgments",
        "vendor_revisions",
    ] {
        assert!(legacy.get(key).is_none(), "{key}");
    }
    let Some(mar) = msrc_data::month("2017-Mar.xml") else {
        return;
    };
    let a = &from_cvrf(&mar.doc).alerts[0];
    let json = serde_json::to_string(a).expect("json");
    let back: Alert = serde_json::from_str(&json).expect("read back");
    assert_eq!(&back, a);
}
