//! Microsoft's real data through the CSAF export: every vulnerability of
//! the 23 monthly CVRF documents in shared/data/msrc-cvrf becomes an alert
//! (as `hfr import` makes it), is exported, passes the shape check and the
//! 43 mandatory tests with no finding, and comes back exactly.
//!
//! Without the data the test is skipped with a notice, except under CI
//! (`CI=true`), where that is a failure. With `HFR_CSAF_DUMP=DIR` a sample
//! of the exports (50 alerts across the months, CVE-2017-0144, an advisory,
//! the known issue, a mitigation) is written to `DIR/msrc` for BSI's validator
//! (`node tools/csaf-validator/validate.mjs DIR/msrc`); with
//! `HFR_CSAF_DUMP_ALL=1` as well, every export is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hfr_csaf::checks::{mandatory, shape};
use hfr_csaf::import::carried_keys;
use hfr_csaf::{cvss_agrees, file_name, from_csaf, to_csaf, Options, Publisher};
use hfr_model::{Alert, RemediationKind, RestartRequired};
use serde_json::{json, Value};

fn data_dir() -> Option<PathBuf> {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let dir = crate_dir.join("../../../shared/data/msrc-cvrf");
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!("the MSRC CVRF data is missing: expected {}", dir.display());
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{msg}");
    }
    eprintln!("notice: {msg}; skipping this test");
    None
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            xml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xml") {
            out.push(p);
        }
    }
}

/// Every alert of every month, in file order, with the month's file name.
fn alerts(dir: &Path) -> Vec<(String, Alert)> {
    let mut files = Vec::new();
    xml_files(dir, &mut files);
    files.sort();
    assert_eq!(
        files.len(),
        23,
        "23 monthly documents under {}",
        dir.display()
    );
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&f).unwrap();
        let (import, _) =
            hfr_import::msrc::read(&bytes, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.extend(import.alerts.into_iter().map(|a| (name.clone(), a)));
    }
    out
}

fn publisher() -> Publisher {
    Publisher::new("https://hfr.example.org")
}

/// The vulnerability's threats with the given category, as (details, ids).
fn threats<'a>(v: &'a Value, category: &str) -> Vec<(&'a str, Vec<&'a str>)> {
    v["threats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["category"] == category)
        .map(|t| {
            let ids = t["product_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            (t["details"].as_str().unwrap(), ids)
        })
        .collect()
}

#[test]
fn every_microsoft_alert_exports_cleanly_and_comes_back_exactly() {
    let Some(dir) = data_dir() else { return };
    let alerts = alerts(&dir);
    assert_eq!(alerts.len(), 1074, "one alert per vulnerability");

    // Export alone, timed.
    let options = Options::default();
    let started = Instant::now();
    let docs: Vec<Value> = alerts
        .iter()
        .map(|(_, a)| to_csaf(a, &publisher(), &options))
        .collect();
    let export_time = started.elapsed();

    let mut findings = Vec::new();
    let mut check_time = Duration::ZERO;
    let mut import_time = Duration::ZERO;
    let mut carried: BTreeMap<String, usize> = BTreeMap::new();
    let (mut products, mut disagreeing, mut bytes) = (0usize, 0usize, 0usize);
    for ((file, alert), doc) in alerts.iter().zip(&docs) {
        let t = Instant::now();
        let found: Vec<String> = shape(doc)
            .iter()
            .chain(&mandatory(doc))
            .map(|f| format!("{file} {}: {f}", alert.id))
            .collect();
        check_time += t.elapsed();
        findings.extend(found);

        let t = Instant::now();
        let (back, warnings) =
            from_csaf(doc).unwrap_or_else(|e| panic!("{file} {}: {e}", alert.id));
        import_time += t.elapsed();
        if back != *alert {
            let a = serde_json::to_value(alert).unwrap();
            let b = serde_json::to_value(&back).unwrap();
            for (k, v) in a.as_object().unwrap() {
                assert_eq!(&b[k], v, "{file} {}: `{k}` differs", alert.id);
            }
            panic!("{file} {}: alerts differ", alert.id);
        }
        assert!(warnings.is_empty(), "{file} {}: {warnings:?}", alert.id);

        for k in carried_keys(doc) {
            *carried.entry(k).or_default() += 1;
        }
        for p in &alert.products {
            products += 1;
            if p.cvss.as_ref().is_some_and(|c| !cvss_agrees(c)) {
                disagreeing += 1;
            }
        }
        bytes += serde_json::to_vec(doc).unwrap().len();
    }
    println!(
        "MSRC: {} alerts from 23 documents exported in {:.3} s ({:.1} µs per alert), {} MB of JSON; \
         checks (shape + 43 mandatory) {:.3} s; import (checks included) {:.3} s; {} findings",
        alerts.len(),
        export_time.as_secs_f64(),
        export_time.as_secs_f64() * 1e6 / alerts.len() as f64,
        bytes / 1_000_000,
        check_time.as_secs_f64(),
        import_time.as_secs_f64(),
        findings.len(),
    );
    println!(
        "MSRC: {products} product facts, {disagreeing} whose CVSS numbers differ from their vector's"
    );
    println!("MSRC: carried keys (documents): {carried:?}");
    assert!(
        findings.is_empty(),
        "{} findings, e.g.:\n{}",
        findings.len(),
        findings[..findings.len().min(20)].join("\n")
    );

    // What a CSAF tool sees for CVE-2017-0144.
    let (i, (_, smb)) = alerts
        .iter()
        .enumerate()
        .find(|(_, (_, a))| a.id == "CVE-2017-0144")
        .unwrap();
    let doc = &docs[i];
    let aliases = &doc["document"]["tracking"]["aliases"];
    assert!(aliases.as_array().unwrap().contains(&json!("KB4012598")));
    assert!(aliases.as_array().unwrap().contains(&json!("2017-Mar")));
    assert_eq!(doc["document"]["aggregate_severity"]["text"], "Critical");
    let v = &doc["vulnerabilities"][0];
    assert_eq!(v["cve"], "CVE-2017-0144");
    let known = v["product_status"]["known_affected"].as_array().unwrap();
    assert_eq!(known.len(), smb.products.len());
    assert!(known.contains(&json!("msrc-9312")));
    // The product in the tree, under its family, with Microsoft's id.
    let family = doc["product_tree"]["branches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "ESU")
        .expect("the ESU family branch");
    assert_eq!(family["category"], "product_family");
    let leaf = family["branches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["product"]["product_id"] == "msrc-9312")
        .unwrap();
    assert_eq!(leaf["category"], "product_name");
    assert_eq!(
        leaf["product"]["name"],
        "Windows Server 2008 for 32-bit Systems Service Pack 2"
    );
    assert_eq!(
        leaf["product"]["product_identification_helper"]["x_generic_uris"][0],
        json!({
            "namespace": hfr_csaf::MSRC_PRODUCT_ID_NAMESPACE,
            "uri": "urn:msrc:product:9312",
        })
    );
    // Severity and impact per product, the exploit statement as written.
    let impacts = threats(v, "impact");
    let critical = impacts.iter().find(|(d, _)| *d == "Critical").unwrap();
    assert!(critical.1.contains(&"msrc-9312"));
    assert!(impacts
        .iter()
        .any(|(d, ids)| *d == "Remote Code Execution" && ids.contains(&"msrc-9312")));
    let exploit = threats(v, "exploit_status");
    assert!(exploit.iter().any(|(d, _)| *d
        == "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation More Likely;Older Software Release:Exploitation More Likely"));
    // CVSS from the vector.
    let score = v["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["products"]
                .as_array()
                .unwrap()
                .contains(&json!("msrc-9312"))
        })
        .unwrap();
    assert_eq!(
        score["cvss_v3"],
        json!({
            "version": "3.0",
            "vectorString": "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
            "baseScore": 8.1,
            "baseSeverity": "HIGH",
            "temporalScore": 7.3,
            "temporalSeverity": "HIGH",
        })
    );
    // The update for Windows Server 2008: its KB, URL, restart, what it replaces.
    let fix = v["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["details"].as_str().unwrap().starts_with("KB4012598"))
        .unwrap();
    assert_eq!(fix["category"], "vendor_fix");
    assert_eq!(
        fix["url"],
        "https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB4012598"
    );
    assert_eq!(fix["restart_required"], json!({ "category": "machine" }));
    assert!(fix["product_ids"]
        .as_array()
        .unwrap()
        .contains(&json!("msrc-9312")));
    let details = fix["details"].as_str().unwrap();
    assert!(details.contains("種類: Security Update"), "{details}");
    assert!(details.contains("置き換える更新: 3177186"), "{details}");

    // An advisory: its id under `ids`, not `cve`.
    let (i, _) = alerts
        .iter()
        .enumerate()
        .find(|(_, (_, a))| a.id.starts_with("ADV"))
        .unwrap();
    let v = &docs[i]["vulnerabilities"][0];
    assert!(v.get("cve").is_none());
    assert_eq!(v["ids"][0]["system_name"], hfr_csaf::MSRC_ADVISORY_SYSTEM);
    assert_eq!(v["ids"][0]["text"], alerts[i].1.id.as_str());

    // Every vendor product is in the tree and affected; every remediation
    // of Microsoft's is a remediation or (known issues) a note; Maybe is a
    // machine restart with details.
    let (mut known_issues, mut maybe) = (0, 0);
    for ((_, a), doc) in alerts.iter().zip(&docs) {
        let v = &doc["vulnerabilities"][0];
        let known = v["product_status"]["known_affected"].as_array().unwrap();
        assert!(known.len() >= a.products.len(), "{}", a.id);
        let has = |kind: RemediationKind| {
            a.products
                .iter()
                .any(|p| p.remediations.iter().any(|r| r.kind == kind))
        };
        if has(RemediationKind::KnownIssue) {
            known_issues += 1;
            assert!(
                v["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n["title"].as_str().unwrap_or("").starts_with("既知の問題")),
                "{}: the known issue is a note",
                a.id
            );
        }
        let any_maybe = a.products.iter().any(|p| {
            p.remediations
                .iter()
                .any(|r| r.restart_required == Some(RestartRequired::Maybe))
        });
        if any_maybe {
            maybe += 1;
            assert!(
                v["remediations"].as_array().unwrap().iter().any(|r| {
                    r["restart_required"]["category"] == "machine"
                        && r["restart_required"]["details"]
                            .as_str()
                            .is_some_and(|d| d.contains("Maybe"))
                }),
                "{}",
                a.id
            );
        }
        if a.workarounds
            .iter()
            .any(|w| w.title.as_deref() == Some("Mitigation"))
        {
            assert!(
                v["remediations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["category"] == "mitigation"),
                "{}",
                a.id
            );
        }
    }
    println!(
        "MSRC: {known_issues} alerts with known issues (as notes), {maybe} with a Maybe restart"
    );

    dump(&alerts, &docs);
}

/// The sample (or all, with `HFR_CSAF_DUMP_ALL`) for BSI's validator.
fn dump(alerts: &[(String, Alert)], docs: &[Value]) {
    let Some(dir) = std::env::var_os("HFR_CSAF_DUMP").map(PathBuf::from) else {
        return;
    };
    let dir = dir.join("msrc");
    std::fs::create_dir_all(&dir).unwrap();
    let all = std::env::var_os("HFR_CSAF_DUMP_ALL").is_some();
    let step = alerts.len() / 50;
    let mut picked = 0;
    let (mut advisory, mut mitigation) = (false, false);
    for (i, ((_, a), doc)) in alerts.iter().zip(docs).enumerate() {
        let mut special = a.id == "CVE-2017-0144"
            || a.products.iter().any(|p| {
                p.remediations
                    .iter()
                    .any(|r| r.kind == RemediationKind::KnownIssue)
            });
        if !advisory && a.id.starts_with("ADV") {
            advisory = true;
            special = true;
        }
        if !mitigation
            && a.workarounds
                .iter()
                .any(|w| w.title.as_deref() == Some("Mitigation"))
        {
            mitigation = true;
            special = true;
        }
        if all || i % step == 0 || special {
            picked += 1;
            std::fs::write(
                dir.join(file_name(&a.id)),
                serde_json::to_vec_pretty(doc).unwrap(),
            )
            .unwrap();
        }
    }
    println!("MSRC: {picked} exports written to {}", dir.display());
}
