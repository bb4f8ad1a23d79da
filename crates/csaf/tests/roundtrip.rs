//! CSAF export and import together: every demo alert and alerts built to
//! use every field come back exactly; other providers' advisories (the
//! examples in shared/data/csaf/examples) come in as sensible alerts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};
use hfr_csaf::import::carried_keys;
use hfr_csaf::{file_name, from_csaf, to_csaf, ErrorKind, Options, Publisher, Revision};
use hfr_model::*;
use serde_json::{json, Value};

fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn publisher() -> Publisher {
    Publisher::new("https://hfr.example.org")
}

/// The demo alerts, read the way `hfr import` reads them.
fn demo_alerts() -> Vec<Alert> {
    let dir = manifest_dir().join("../../demo/alerts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "five demo alerts under {}", dir.display());
    files
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            hfr_import::json::read_alert_json(&bytes, &p.display().to_string())
                .unwrap()
                .alert
        })
        .collect()
}

/// Export, import, and insist on the same alert and no warnings.
fn round_trip(alert: &Alert, options: &Options) -> Value {
    let doc = to_csaf(alert, &publisher(), options);
    let (back, warnings) = from_csaf(&doc).unwrap_or_else(|e| panic!("{}: {e}", alert.id));
    if back != *alert {
        let a = serde_json::to_value(alert).unwrap();
        let b = serde_json::to_value(&back).unwrap();
        for (k, v) in a.as_object().unwrap() {
            assert_eq!(
                &b[k], v,
                "{}: key `{k}` differs after the round trip",
                alert.id
            );
        }
        panic!("{}: alerts differ", alert.id);
    }
    assert!(warnings.is_empty(), "{}: {warnings:?}", alert.id);
    check_shape(&doc);
    doc
}

/// The rules of CSAF's schema and mandatory tests that a Rust test can
/// check cheaply (the full validator runs in tests/e2e/test_csaf.py).
fn check_shape(doc: &Value) {
    let d = &doc["document"];
    assert_eq!(d["category"], "csaf_security_advisory");
    assert_eq!(d["csaf_version"], "2.0");
    assert_eq!(d["lang"], "ja");
    let t = &d["tracking"];
    let history = t["revision_history"].as_array().unwrap();
    for (i, r) in history.iter().enumerate() {
        assert_eq!(
            r["number"],
            (i + 1).to_string(),
            "revision numbers count from 1"
        );
        if i > 0 {
            let prev =
                chrono::DateTime::parse_from_rfc3339(history[i - 1]["date"].as_str().unwrap())
                    .unwrap();
            let this = chrono::DateTime::parse_from_rfc3339(r["date"].as_str().unwrap()).unwrap();
            assert!(this > prev, "revision dates increase");
        }
    }
    assert_eq!(t["version"], history.len().to_string());
    // Every string the schema needs non-empty is.
    fn walk(v: &Value, at: &str) {
        match v {
            Value::String(s) => assert!(!s.trim().is_empty(), "blank string at {at}"),
            Value::Array(a) => {
                assert!(!a.is_empty(), "empty array at {at}");
                a.iter()
                    .enumerate()
                    .for_each(|(i, x)| walk(x, &format!("{at}/{i}")));
            }
            Value::Object(m) => m.iter().for_each(|(k, x)| walk(x, &format!("{at}/{k}"))),
            _ => {}
        }
    }
    walk(doc, "");
    // Every product id used is defined, once.
    let mut defined = Vec::new();
    fn ids(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(id)) = m.get("product_id") {
                    out.push(id.clone());
                }
                m.values().for_each(|x| ids(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| ids(x, out)),
            _ => {}
        }
    }
    ids(&doc["product_tree"], &mut defined);
    let mut unique = defined.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), defined.len(), "product ids defined once");
    for v in doc["vulnerabilities"].as_array().unwrap() {
        assert!(v["notes"].as_array().is_some_and(|n| !n.is_empty()));
        for id in v["product_status"]["known_affected"].as_array().unwrap() {
            assert!(defined.contains(&id.as_str().unwrap().to_string()));
        }
        for r in v["remediations"].as_array().into_iter().flatten() {
            let ids = r["product_ids"].as_array().unwrap();
            assert!(!ids.is_empty(), "6.1.29: a remediation names its products");
            for id in ids {
                assert!(defined.contains(&id.as_str().unwrap().to_string()));
            }
        }
    }
}

fn revisions(n: usize) -> Vec<Revision> {
    (0..n)
        .map(|i| Revision {
            recorded_at: Utc
                .with_ymd_and_hms(2025, 1, 1 + i as u32, 3, 0, 0)
                .unwrap(),
            updated: None,
            summary: None,
        })
        .collect()
}

#[test]
fn every_demo_alert_comes_back_exactly() {
    for alert in demo_alerts() {
        round_trip(&alert, &Options::default());
        // With the archive's history, and a URL for the document itself.
        let options = Options {
            revisions: revisions(3),
            self_url: Some(format!(
                "https://hfr.example.org/api/v1/alerts/{}/csaf",
                alert.id
            )),
        };
        let doc = round_trip(&alert, &options);
        assert_eq!(doc["document"]["tracking"]["version"], "3");
        assert_eq!(doc["document"]["tracking"]["id"], alert.id.as_str());
        // The export is a function of its input.
        assert_eq!(doc, to_csaf(&alert, &publisher(), &options));
    }
}

#[test]
fn the_demo_alerts_map_natively_where_csaf_has_a_place() {
    let alerts = demo_alerts();
    let ms04_035 = alerts.iter().find(|a| a.id == "MS04-035").unwrap();
    let doc = to_csaf(ms04_035, &publisher(), &Options::default());
    let d = &doc["document"];
    assert_eq!(d["title"], ms04_035.title.as_str());
    assert_eq!(d["aggregate_severity"]["text"], "Critical");
    assert_eq!(d["tracking"]["aliases"], json!(["KB885881", "KB885882"]));
    assert_eq!(
        d["tracking"]["initial_release_date"],
        "2004-10-15T00:00:00+09:00"
    );
    assert_eq!(
        d["tracking"]["current_release_date"],
        "2004-10-16T00:00:00+09:00"
    );
    // Software and platforms as the tree's two levels.
    let tree = &doc["product_tree"]["branches"];
    assert_eq!(tree[0]["category"], "product_name");
    assert_eq!(tree[0]["name"], "Exchange Server 2003");
    assert_eq!(tree[0]["branches"][0]["category"], "legacy");
    assert_eq!(
        tree[0]["branches"][0]["name"],
        "Exchange Server 2003 SP未適用"
    );
    // No vulnerability listed: one stands for the alert, marked.
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 1);
    assert!(vulns[0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["title"] == hfr_csaf::SYNTHESIZED_NOTE));
    assert_eq!(vulns[0]["title"], ms04_035.vendor_title.as_deref().unwrap());
    // One fix per package, the restart as the reboot rows say per product.
    let fixes: Vec<&Value> = vulns[0]["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "vendor_fix")
        .collect();
    assert_eq!(fixes.len(), 2);
    assert!(fixes[0]["details"]
        .as_str()
        .unwrap()
        .contains("Exchange2003-KB885882-x86-JPN.exe"));
    assert_eq!(fixes[0]["restart_required"]["category"], "none");
    assert_eq!(fixes[1]["restart_required"]["category"], "machine");
    let workarounds = vulns[0]["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "workaround")
        .count();
    assert_eq!(workarounds, 2);
    // What came back natively is not repeated in a carrier.
    let carried = carried_keys(&doc);
    for key in [
        "id",
        "title",
        "kbs",
        "severity",
        "affected",
        "summary",
        "details",
        "registered",
        "updated",
    ] {
        assert!(
            !carried.iter().any(|k| k == key),
            "`{key}` needs no carrier: {carried:?}"
        );
    }
    for key in [
        "action",
        "packages",
        "rollout",
        "lab_tests",
        "verification",
        "tool_display",
        "edition",
    ] {
        assert!(
            carried.iter().any(|k| k == key),
            "`{key}` is carried: {carried:?}"
        );
    }

    // Listed vulnerabilities with CVE ids map one to one.
    let ms06_035 = alerts.iter().find(|a| a.id == "MS06-035").unwrap();
    let doc = to_csaf(ms06_035, &publisher(), &Options::default());
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 2);
    assert_eq!(vulns[0]["cve"], "CVE-2006-1314");
    assert_eq!(
        vulns[0]["threats"][0],
        json!({"category": "impact", "details": "Critical", "product_ids": vulns[0]["product_status"]["known_affected"]})
    );
    assert!(vulns[0]["threats"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["category"] == "exploit_status"));
    assert!(!carried_keys(&doc).iter().any(|k| k == "vulnerabilities"));
}

fn file(name: &str, version: &str, size: u64) -> PackageFile {
    PackageFile {
        branch: Some("SP2GDR/SP2QFE".into()),
        path: "%SystemRoot%\\system32\\".into(),
        name: name.into(),
        date: NaiveDate::from_ymd_opt(2005, 3, 1),
        version: Some(version.into()),
        size: Some(size),
        description: Some("説明".into()),
    }
}

/// An alert with every field set, with the awkward values the model admits.
fn everything() -> Alert {
    let package = Package {
        platform: Some("Windows XP SP1/SP2".into()),
        file: "WindowsXP-KB999999-x86-JPN.exe".into(),
        date: NaiveDate::from_ymd_opt(2005, 3, 2),
        version: Some("1.0.0.0".into()),
        size: Some(1_234_567),
        files: vec![
            file("a.dll", "5.1.2600.1", 100),
            file("b.sys", "5.1.2600.2", 0),
        ],
        reference_files: vec![FileList {
            title: "元のファイル".into(),
            files: vec![file("a.dll", "5.1.2600.0", 99)],
        }],
    };
    Alert {
        id: "MS05-999".into(),
        kbs: vec!["999999".into(), "888888".into()],
        edition: NaiveDate::from_ymd_opt(2005, 3, 9),
        registered: NaiveDate::from_ymd_opt(2005, 3, 8),
        updated: NaiveDate::from_ymd_opt(2005, 4, 1),
        severity: Some(Severity::Important),
        exploit_code: Some(true),
        action: Some(Action::ApplyNow),
        reboot: vec![
            Reboot {
                product: Some("Windows XP".into()),
                required: RebootRequired::Conditional,
                note: Some("サービスを止められれば不要".into()),
            },
            Reboot {
                product: None,
                required: RebootRequired::Yes,
                note: None,
            },
        ],
        uninstall: Some(false),
        target: Some(Target {
            server: false,
            client: true,
        }),
        references: vec![
            Reference {
                kind: ReferenceKind::Bulletin,
                label: "MS05-999".into(),
                locale: Some("ja".into()),
                url: Some(
                    "https://www.microsoft.com/japan/technet/security/bulletin/ms05-999.mspx"
                        .into(),
                ),
                note: None,
            },
            Reference {
                kind: ReferenceKind::Kb,
                label: "999999".into(),
                locale: None,
                url: None,
                note: Some("英語".into()),
            },
            Reference {
                kind: ReferenceKind::Other,
                label: "壊れたURL".into(),
                locale: None,
                url: Some("not a url".into()),
                note: None,
            },
        ],
        supersedes: vec![Supersedes {
            id: "MS04-011".into(),
            scope: Some("Windows 2000を除く".into()),
        }],
        title: "すべての欄を使うアラート".into(),
        vendor_title: Some("Vendor title".into()),
        urgency: Some(Urgency {
            text: "至急適用".into(),
            exploit_published: Some(true),
            attacks_seen: Some(false),
        }),
        risk: Some("危険性の段落。\n\n二つ目の段落。".into()),
        attack_vectors: Some(vec![AttackVector::Remote, AttackVector::WebLure]),
        impacts: Some(vec![]),
        summary: Some("概要".into()),
        vulnerabilities: vec![
            Vulnerability {
                title: "一つ目".into(),
                severity: Some(Severity::Critical),
                cve: Some("CVE-2005-0001".into()),
                text: "本文".into(),
            },
            Vulnerability {
                title: "候補番号".into(),
                severity: None,
                cve: Some("CAN-2005-0002".into()),
                text: String::new(),
            },
            Vulnerability {
                title: "同じCVE".into(),
                severity: Some(Severity::Low),
                cve: Some("CVE-2005-0001".into()),
                text: "重複".into(),
            },
            Vulnerability {
                title: String::new(),
                severity: None,
                cve: None,
                text: String::new(),
            },
        ],
        affected: vec![
            Affected {
                software: "Windows XP".into(),
                platforms: "Windows XP SP1/SP2".into(),
            },
            Affected {
                software: "Windows Server 2003".into(),
                platforms: String::new(),
            },
            Affected {
                software: String::new(),
                platforms: "Windows 98".into(),
            },
            Affected {
                software: " ".into(),
                platforms: " ".into(),
            },
            Affected {
                software: "Windows XP".into(),
                platforms: "Windows XP SP1/SP2".into(),
            },
        ],
        lab_tests: vec![
            LabTest {
                platform: "Windows XP SP2".into(),
                result: Some(LabResult::PassedWithIssues),
                note: Some("*1 注".into()),
            },
            LabTest {
                platform: "Windows XP SP1".into(),
                result: None,
                note: None,
            },
        ],
        lab_notes: vec![
            Note {
                title: String::new(),
                text: "無題の所見".into(),
            },
            Note {
                title: "空".into(),
                text: String::new(),
            },
        ],
        details: Some(String::new()),
        downloads: vec![Download {
            platform: "Windows XP".into(),
            update_name: Some("更新 (KB999999)".into()),
            note: None,
            channel: Some("WU/MU".into()),
        }],
        packages: vec![package.clone()],
        verification: vec![
            Verification {
                platforms: "Windows XP".into(),
                registry_key: "HKLM\\SOFTWARE\\X".into(),
                check: VerificationCheck::FileList,
            },
            Verification {
                platforms: "Windows XP".into(),
                registry_key: "HKLM\\SOFTWARE\\Y".into(),
                check: VerificationCheck::Value {
                    name: "Installed".into(),
                    data: "1".into(),
                },
            },
            Verification {
                platforms: "x".into(),
                registry_key: "k".into(),
                check: VerificationCheck::KeyExists,
            },
            Verification {
                platforms: "x".into(),
                registry_key: "k".into(),
                check: VerificationCheck::Other {
                    text: "別の確認".into(),
                },
            },
        ],
        workarounds: vec![
            Workaround {
                title: None,
                text: "前置き".into(),
            },
            Workaround {
                title: Some("題だけ".into()),
                text: String::new(),
            },
            Workaround {
                title: None,
                text: String::new(),
            },
        ],
        rollout: vec![Rollout {
            package: package.file.clone(),
            platform: None,
            minutes: [(50, 34), (100, 43), (1000, 600)].into(),
        }],
        rollout_basis: Some("UpdateEXPERT".into()),
        tool_display: vec![ToolDisplay {
            platform: None,
            text: "表示".into(),
        }],
        additions: vec![Addition {
            title: "再公開".into(),
            source: Some("マイクロソフト".into()),
            content: None,
            condition: Some("条件".into()),
            reported: NaiveDate::from_ymd_opt(2005, 3, 20),
            text: "本文".into(),
            packages: vec![Package {
                platform: None,
                file: "windowsxp-kb999999-x86-jpn.EXE".into(),
                version: Some("2".into()),
                ..package
            }],
        }],
        notes: vec![Note {
            title: "その他の節".into(),
            text: "内容".into(),
        }],
        // Microsoft's monthly data.
        release: Some("2017-Mar".into()),
        exploit_status: Some(
            ExploitStatus::parse(
                "Publicly Disclosed:No;Exploited:Yes;Latest Software Release:Exploitation Detected;Older Software Release:N/A;DOS:N/A",
            )
            .0,
        ),
        action_rule: Some(ActionRule::Exploited),
        products: vec![ProductFacts {
            id: "11568".into(),
            name: "Windows 10 Version 1607 for x64-based Systems".into(),
            family: Some("Windows".into()),
            severity: Some(Severity::Critical),
            vendor_severity: Some("Critical".into()),
            impact: None,
            vendor_impact: Some("Remote Code Execution".into()),
            cvss: Some(Cvss {
                base: Some(8.1),
                temporal: Some(7.3),
                environmental: None,
                vector: Some("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C".into()),
            }),
            remediations: vec![Remediation {
                kind: RemediationKind::VendorFix,
                kb: Some("4013429".into()),
                description: Some("4013429".into()),
                url: Some("https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB4013429".into()),
                fixed_build: Some("10.0.14393.953".into()),
                restart_required: Some(RestartRequired::Yes),
                supersedence: Some("4010672".into()),
                supersedes: vec!["4010672".into()],
                sub_type: Some("Security Update".into()),
                affected_files: Vec::new(),
            }],
        }],
        tags: vec!["Windows SMB Server".into()],
        acknowledgments: vec![Acknowledgment {
            names: vec!["研究者".into()],
            organizations: Vec::new(),
            urls: vec!["https://example.org/".into()],
            description: None,
        }],
        vendor_revisions: vec![VendorRevision {
            number: "1.0".into(),
            date: Utc.with_ymd_and_hms(2017, 3, 14, 7, 0, 0).single(),
            description: "公開".into(),
        }],
    }
}

#[test]
fn an_alert_with_every_field_comes_back_exactly() {
    let alert = everything();
    round_trip(&alert, &Options::default());
    let doc = round_trip(
        &alert,
        &Options {
            revisions: revisions(2),
            self_url: Some("https://h.example/x".into()),
        },
    );
    // The non-CVE id and the repeated CVE went to `ids` (6.1.23).
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns[0]["cve"], "CVE-2005-0001");
    assert_eq!(vulns[1]["ids"][0]["text"], "CAN-2005-0002");
    assert_eq!(vulns[2]["ids"][0]["text"], "CVE-2005-0001");
    assert!(vulns[3].get("cve").is_none() && vulns[3].get("ids").is_none());
    // Only URLs the schema's `uri` format takes are references.
    let refs = doc["document"]["references"].as_array().unwrap();
    assert_eq!(refs.len(), 2);
    assert_eq!(refs[0]["category"], "self");
}

/// Vendor facts at their oddest: blank and repeated product ids, ratings
/// and impacts the model has no level for, a CVSS v2 vector, a vector that
/// does not parse, numbers that contradict their vector, every kind of
/// remediation, a URL the schema refuses, an advisory id.
fn odd_vendor_alert() -> Alert {
    let rem = |kind: RemediationKind| Remediation {
        kind,
        kb: None,
        description: None,
        url: None,
        fixed_build: None,
        restart_required: None,
        supersedence: None,
        supersedes: vec![],
        sub_type: None,
        affected_files: vec![],
    };
    Alert {
        id: "ADV990001".into(),
        release: Some("2099-Jan".into()),
        kbs: vec!["4022719".into(), "5550001".into()],
        title: "Odd advisory".into(),
        summary: Some("What the vendor says.".into()),
        severity: Some(Severity::Low),
        exploit_status: Some(ExploitStatus::parse("Publicly Disclosed:No;Exploited:No;DOS:N/A").0),
        vulnerabilities: vec![Vulnerability {
            title: "Odd advisory".into(),
            severity: Some(Severity::Low),
            cve: None,
            text: String::new(),
        }],
        workarounds: vec![Workaround {
            title: Some("Mitigation".into()),
            text: "Block port 445.".into(),
        }],
        products: vec![
            ProductFacts {
                vendor_severity: Some("None".into()),
                vendor_impact: Some("Defense in Depth".into()),
                cvss: Some(Cvss {
                    base: Some(7.5),
                    vector: Some("AV:N/AC:L/Au:N/C:P/I:P/A:P".into()),
                    ..Cvss::default()
                }),
                remediations: vec![
                    Remediation {
                        kb: Some("4022719".into()),
                        url: Some("https://support.microsoft.com/help/4022719".into()),
                        ..rem(RemediationKind::KnownIssue)
                    },
                    Remediation {
                        description: Some("Commit".into()),
                        ..rem(RemediationKind::Other("Commit".into()))
                    },
                    rem(RemediationKind::NoneAvailable),
                    rem(RemediationKind::WillNotFix),
                ],
                ..ProductFacts::default()
            },
            ProductFacts {
                id: "10384-10481".into(),
                name: "Adobe Flash Player on Windows 8.1 for 32-bit systems".into(),
                family: Some("Adobe".into()),
                severity: Some(Severity::Low),
                vendor_severity: Some("Low".into()),
                cvss: Some(Cvss {
                    base: Some(5.0),
                    temporal: None,
                    environmental: Some(9.0),
                    vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                }),
                remediations: vec![Remediation {
                    description: Some("Click to Run".into()),
                    url: Some("file://officerel/release notes".into()),
                    restart_required: Some(RestartRequired::Maybe),
                    affected_files: vec!["a.dll".into()],
                    ..rem(RemediationKind::VendorFix)
                }],
                ..ProductFacts::default()
            },
            ProductFacts {
                id: "10384-10481".into(),
                name: "the same id again".into(),
                cvss: Some(Cvss {
                    base: Some(1.0),
                    vector: Some("CVSS:3.1/garbage".into()),
                    ..Cvss::default()
                }),
                ..ProductFacts::default()
            },
            ProductFacts {
                id: "x/y z".into(),
                name: "Odd Server".into(),
                family: Some("Adobe".into()),
                severity: Some(Severity::Low),
                remediations: vec![
                    Remediation {
                        description: Some("Disable the service.".into()),
                        ..rem(RemediationKind::Workaround)
                    },
                    Remediation {
                        kb: Some("4022719".into()),
                        restart_required: Some(RestartRequired::No),
                        ..rem(RemediationKind::VendorFix)
                    },
                ],
                ..ProductFacts::default()
            },
        ],
        acknowledgments: vec![
            Acknowledgment {
                names: vec![" ".into()],
                organizations: vec!["Org A".into(), "Org B".into()],
                urls: vec!["not a url".into()],
                description: None,
            },
            Acknowledgment::default(),
        ],
        tags: vec!["".into(), "Tag".into()],
        vendor_revisions: vec![VendorRevision::default()],
        ..Alert::default()
    }
}

#[test]
fn odd_vendor_facts_export_cleanly_and_come_back_exactly() {
    let alert = odd_vendor_alert();
    let doc = round_trip(&alert, &Options::default());
    assert!(hfr_csaf::checks::mandatory(&doc).is_empty());
    assert!(hfr_csaf::checks::shape(&doc).is_empty());
    let v = &doc["vulnerabilities"][0];
    assert_eq!(v["ids"][0]["system_name"], hfr_csaf::MSRC_ADVISORY_SYSTEM);
    assert_eq!(v["ids"][0]["text"], "ADV990001");
    assert_eq!(v["notes"][0]["text"], "What the vendor says.");
    assert_eq!(
        v["product_status"]["known_affected"],
        json!([
            "msrc-product",
            "msrc-10384-10481",
            "msrc-10384-10481-2",
            "msrc-x-y-z"
        ])
    );
    // Microsoft's id travels in the helper, percent-encoded; a blank id
    // gets no helper.
    let tree = serde_json::to_string(&doc["product_tree"]).unwrap();
    assert!(tree.contains("urn:msrc:product:x%2Fy%20z"), "{tree}");
    assert_eq!(tree.matches("x_generic_uris").count(), 3, "{tree}");
    // Ratings as written, each product rated once.
    let impacts: Vec<(&str, &Value)> = v["threats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["category"] == "impact")
        .map(|t| (t["details"].as_str().unwrap(), &t["product_ids"]))
        .collect();
    assert!(
        impacts.contains(&("None", &json!(["msrc-product"]))),
        "{impacts:?}"
    );
    assert!(impacts.contains(&("Low", &json!(["msrc-10384-10481", "msrc-x-y-z"]))));
    assert!(
        impacts.contains(&("Low", &json!(["msrc-10384-10481-2"]))),
        "the unrated one"
    );
    assert!(impacts.contains(&("Defense in Depth", &json!(["msrc-product"]))));
    // Scores from the vector: v2, and v3 with the vector's numbers where
    // the vendor's disagree; the vector that does not parse gives none.
    let scores = v["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 2);
    assert_eq!(scores[0]["cvss_v2"]["baseScore"], 7.5);
    assert_eq!(scores[1]["cvss_v3"]["baseScore"], 9.8);
    assert_eq!(scores[1]["cvss_v3"]["environmentalScore"], 9.8);
    assert!(hfr_csaf::cvss_agrees(
        alert.products[0].cvss.as_ref().unwrap()
    ));
    assert!(!hfr_csaf::cvss_agrees(
        alert.products[1].cvss.as_ref().unwrap()
    ));
    // Remediations: CSAF's categories, the rest as notes.
    let cats: Vec<&str> = v["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        cats,
        [
            "vendor_fix",
            "mitigation",
            "none_available",
            "no_fix_planned",
            "vendor_fix",
            "workaround",
            "vendor_fix"
        ]
    );
    let maybe = &v["remediations"][4];
    assert_eq!(maybe["restart_required"]["category"], "machine");
    assert!(
        maybe.get("url").is_none(),
        "not a URI: in the details instead"
    );
    assert!(maybe["details"]
        .as_str()
        .unwrap()
        .contains("URL: file://officerel/release notes"));
    let titles: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["title"].as_str())
        .collect();
    assert_eq!(titles, ["既知の問題: KB4022719", "Commit", "タグ"]);
    assert_eq!(
        v["acknowledgments"],
        json!([{ "organization": "Org A, Org B" }])
    );
    // KB 5550001 is no product's: it stands for all of them.
    assert!(v["remediations"][0]["details"]
        .as_str()
        .unwrap()
        .contains("KB5550001"));

    // Two vulnerabilities: the vendor facts apply to both; no advisory id.
    let mut two = alert.clone();
    two.vulnerabilities.push(Vulnerability {
        title: "Second".into(),
        severity: None,
        cve: Some("CVE-2099-0001".into()),
        text: "Second flaw.".into(),
    });
    let doc = round_trip(&two, &Options::default());
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert!(vulns[0].get("ids").is_none());
    assert_eq!(vulns[0]["scores"], vulns[1]["scores"]);
}

#[test]
fn sparse_alerts_come_back_exactly() {
    // Nothing but an id: no dates, no products, no vulnerabilities.
    let bare = Alert {
        id: "X-1".into(),
        ..Alert::default()
    };
    let doc = round_trip(&bare, &Options::default());
    assert_eq!(
        doc["document"]["tracking"]["initial_release_date"],
        "1970-01-01T09:00:00+09:00"
    );
    assert_eq!(
        doc["product_tree"]["full_product_names"][0]["product_id"],
        "hfr-all-products"
    );
    round_trip(
        &bare,
        &Options {
            revisions: revisions(1),
            self_url: None,
        },
    );
    // Products only from the packages' platforms; a padded id.
    let alert = Alert {
        id: " MS99-001 ".into(),
        title: " ".into(),
        packages: vec![Package {
            platform: Some("Windows NT 4.0".into()),
            file: "x.exe".into(),
            date: None,
            version: None,
            size: None,
            files: vec![],
            reference_files: vec![],
        }],
        severity: Some(Severity::Low),
        ..Alert::default()
    };
    let doc = round_trip(&alert, &Options::default());
    assert_eq!(doc["document"]["tracking"]["id"], "MS99-001");
    assert_eq!(doc["document"]["title"], "MS99-001");
    // Several revisions on one day still get increasing dates.
    let mut dated = alert.clone();
    dated.registered = NaiveDate::from_ymd_opt(1999, 1, 1);
    let revs: Vec<Revision> = (0..3)
        .map(|i| Revision {
            recorded_at: Utc.with_ymd_and_hms(1998, 1, 1, 0, 0, i).unwrap(),
            updated: NaiveDate::from_ymd_opt(1999, 1, 1),
            summary: Some(format!("r{i}")),
        })
        .collect();
    round_trip(
        &dated,
        &Options {
            revisions: revs,
            self_url: None,
        },
    );
}

#[test]
fn a_field_the_model_gains_later_needs_no_change_here() {
    // A carrier note for a key this model does not know (written by a
    // newer hfr) is reported and left out, not an error.
    let alert = demo_alerts().remove(0);
    let mut doc = to_csaf(&alert, &publisher(), &Options::default());
    doc["document"]["notes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"category": "other", "title": "hfr:msrc_release", "text": "\"2017-Mar\""}));
    let (back, warnings) = from_csaf(&doc).unwrap();
    assert_eq!(back, alert);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].message.contains("msrc_release"),
        "{}",
        warnings[0]
    );
    // The carrier decision compares serialized values key by key, over
    // whatever keys the model serializes: every key is either carried or
    // given back natively.
    let all: Vec<String> = serde_json::to_value(&alert)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let carried = carried_keys(&to_csaf(&alert, &publisher(), &Options::default()));
    assert!(carried.iter().all(|k| all.contains(k)));
}

#[test]
fn carrier_notes_win_and_bad_ones_are_refused_with_a_pointer() {
    let alert = demo_alerts().remove(0);
    let doc = to_csaf(&alert, &publisher(), &Options::default());
    let notes = doc["document"]["notes"].as_array().unwrap();
    let i = notes
        .iter()
        .position(|n| n["title"] == "hfr:action")
        .unwrap();

    let mut changed = doc.clone();
    changed["document"]["notes"][i]["text"] = json!("\"wait_for_sp\"");
    let (back, _) = from_csaf(&changed).unwrap();
    assert_eq!(back.action, Some(Action::WaitForSp));

    let mut broken = doc.clone();
    broken["document"]["notes"][i]["text"] = json!("{not json");
    let e = from_csaf(&broken).unwrap_err();
    assert_eq!(e.pointer, format!("/document/notes/{i}/text"));
    assert_eq!(e.kind, ErrorKind::Invalid);

    let mut wrong = doc.clone();
    wrong["document"]["notes"][i]["text"] = json!("\"tomorrow\"");
    let e = from_csaf(&wrong).unwrap_err();
    assert_eq!(e.pointer, format!("/document/notes/{i}/text"));
    assert!(e.message.contains("action"), "{e}");

    let mut twice = doc.clone();
    let again = twice["document"]["notes"][i].clone();
    twice["document"]["notes"]
        .as_array_mut()
        .unwrap()
        .push(again);
    assert!(from_csaf(&twice).is_err());

    // Without any carrier, the native mapping alone still gives the alert
    // its id, title, severity, products and prose.
    let mut native = doc.clone();
    native["document"]["notes"]
        .as_array_mut()
        .unwrap()
        .retain(|n| !n["title"].as_str().unwrap_or("").starts_with("hfr:"));
    let (plain, _) = from_csaf(&native).unwrap();
    assert_eq!(plain.id, alert.id);
    assert_eq!(plain.title, alert.title);
    assert_eq!(plain.severity, alert.severity);
    assert_eq!(plain.affected, alert.affected);
    assert_eq!(plain.summary, alert.summary);
    assert!(
        plain.vulnerabilities.is_empty(),
        "the synthesized vulnerability is not listed"
    );
}

#[test]
fn what_is_not_an_advisory_is_refused_clearly() {
    let cases = [
        (json!([1]), ErrorKind::NotAnAdvisory, "/"),
        (json!({"id": "MS04-035"}), ErrorKind::NotAnAdvisory, "/"),
        (
            json!({"canonical_url": "https://x/provider-metadata.json", "metadata_version": "2.0"}),
            ErrorKind::NotAnAdvisory,
            "/canonical_url",
        ),
        (
            json!({"feed": {"entry": []}}),
            ErrorKind::NotAnAdvisory,
            "/feed",
        ),
        (
            json!({"document": {"csaf_version": "2.1"}}),
            ErrorKind::Unsupported,
            "/document/csaf_version",
        ),
        (json!({"document": []}), ErrorKind::Invalid, "/document"),
        (
            json!({"document": {"title": "t"}}),
            ErrorKind::Invalid,
            "/document/csaf_version",
        ),
    ];
    for (doc, kind, pointer) in cases {
        let e = from_csaf(&doc).unwrap_err();
        assert_eq!(
            (e.kind.clone(), e.pointer.as_str()),
            (kind, pointer),
            "{doc}: {e}"
        );
    }
    assert!(hfr_csaf::looks_like_csaf(&json!({"feed": {}})));
    assert!(!hfr_csaf::looks_like_csaf(
        &serde_json::to_value(Alert::default()).unwrap()
    ));
}

/// A small advisory that passes every check.
fn minimal() -> Value {
    json!({
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "Example", "namespace": "https://example.org"},
            "title": "Example advisory",
            "tracking": {
                "id": "EX-1",
                "status": "final",
                "version": "1",
                "initial_release_date": "2024-01-01T00:00:00Z",
                "current_release_date": "2024-01-01T00:00:00Z",
                "revision_history": [{"number": "1", "date": "2024-01-01T00:00:00Z", "summary": "Initial"}],
            },
        },
        "product_tree": {"full_product_names": [{"name": "Example 1.0", "product_id": "P1"}]},
        "vulnerabilities": [{
            "cve": "CVE-2024-0001",
            "notes": [{"category": "description", "text": "A flaw."}],
            "product_status": {"known_affected": ["P1"]},
            "scores": [{"products": ["P1"], "cvss_v3": {
                "version": "3.1",
                "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "baseScore": 9.8,
                "baseSeverity": "CRITICAL",
            }}],
        }],
    })
}

#[test]
fn broken_documents_are_refused_or_imported_with_a_warning() {
    let (alert, warnings) = from_csaf(&minimal()).unwrap();
    assert_eq!(alert.id, "EX-1");
    assert!(warnings.iter().all(|w| w.test.is_none()), "{warnings:?}");

    // Refused: the alert is made from the broken part.
    type Edit = fn(&mut Value);
    let refused: [(Edit, &str, &str); 7] = [
        (
            |d| {
                d["document"].as_object_mut().unwrap().remove("tracking");
            },
            "schema",
            "/document/tracking",
        ),
        (
            |d| d["document"]["tracking"]["id"] = json!(5),
            "schema",
            "/document/tracking/id",
        ),
        (
            |d| d["document"]["tracking"]["current_release_date"] = json!("yesterday"),
            "schema",
            "/document/tracking/current_release_date",
        ),
        (
            |d| d["vulnerabilities"] = json!({}),
            "schema",
            "/vulnerabilities",
        ),
        (
            |d| {
                d["vulnerabilities"][0]["notes"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("text");
            },
            "schema",
            "/vulnerabilities/0/notes/0/text",
        ),
        (
            |d| d["vulnerabilities"][0]["product_status"]["known_affected"][0] = json!("P9"),
            "6.1.1",
            "/vulnerabilities/0/product_status/known_affected/0",
        ),
        (
            |d| d["vulnerabilities"][0]["product_status"]["known_not_affected"] = json!(["P1"]),
            "6.1.6",
            "/vulnerabilities/0/product_status/known_not_affected/0",
        ),
    ];
    for (edit, test, pointer) in refused {
        let mut doc = minimal();
        edit(&mut doc);
        let e = from_csaf(&doc).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
        assert_eq!((e.test, e.pointer.as_str()), (Some(test), pointer), "{e}");
        assert!(e.message.contains(test), "{e}");
        assert!(e.to_string().starts_with(&format!("{pointer}: ")), "{e}");
    }

    // Imported with a warning: the alert does not keep the broken part.
    let imported: [(Edit, &str, &str); 3] = [
        (
            |d| {
                d["document"]["publisher"]
                    .as_object_mut()
                    .unwrap()
                    .remove("namespace");
            },
            "schema",
            "/document/publisher/namespace",
        ),
        (
            |d| d["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = json!(5.0),
            "6.1.9",
            "/vulnerabilities/0/scores/0/cvss_v3/baseScore",
        ),
        (
            |d| d["document"]["tracking"]["version"] = json!("2"),
            "6.1.16",
            "/document/tracking/version",
        ),
    ];
    for (edit, test, pointer) in imported {
        let mut doc = minimal();
        edit(&mut doc);
        let (back, warnings) = from_csaf(&doc).unwrap_or_else(|e| panic!("{test}: {e}"));
        assert_eq!(back.id, "EX-1");
        let w = warnings
            .iter()
            .find(|w| w.test == Some(test))
            .unwrap_or_else(|| panic!("no {test} warning in {warnings:?}"));
        assert_eq!(w.pointer, pointer, "{w}");
        assert!(w.message.contains(test), "{w}");
    }

    // A severity computed from a vector that contradicts its numbers
    // follows the vector.
    let mut doc = minimal();
    doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseSeverity"] = json!("LOW");
    let (back, _) = from_csaf(&doc).unwrap();
    assert_eq!(back.severity, Some(Severity::Critical));
}

#[test]
fn file_names_follow_the_standard() {
    assert_eq!(file_name("MS04-035"), "ms04-035.json");
    assert_eq!(file_name("CVE-2017-0144"), "cve-2017-0144.json");
    assert_eq!(file_name("RHSA-2021:5186"), "rhsa-2021_5186.json");
    assert_eq!(
        file_name("cisco-sa-20180328-smi2"),
        "cisco-sa-20180328-smi2.json"
    );
    assert_eq!(file_name("a  b//c+d"), "a_b_c+d.json");
    assert_eq!(file_name("脆弱性-1"), "_-1.json");
}

// ------------------------------------------------ other providers' advisories

fn examples() -> Option<Vec<(String, Value)>> {
    let dir = manifest_dir().join("../../../shared/data/csaf/examples");
    if !dir.is_dir() {
        assert!(
            !in_ci(),
            "{} is missing (CI has shared/ beside the clone)",
            dir.display()
        );
        eprintln!("skipped: {} is missing", dir.display());
        return None;
    }
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p: PathBuf| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let v = serde_json::from_slice(&std::fs::read(Path::new(&p)).unwrap()).unwrap();
            (name, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Some(out)
}

#[test]
fn every_example_advisory_imports_and_other_json_is_refused() {
    let Some(examples) = examples() else { return };
    assert!(examples.len() >= 20, "{} examples", examples.len());
    let mut imported: BTreeMap<String, Alert> = BTreeMap::new();
    for (name, doc) in &examples {
        if name.contains("provider-metadata") || name.contains("feed") {
            let e = from_csaf(doc).unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotAnAdvisory, "{name}");
            assert!(
                e.message.contains("import the advisories themselves"),
                "{name}: {e}"
            );
            continue;
        }
        let (alert, warnings) = from_csaf(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            alert.id,
            doc["document"]["tracking"]["id"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            alert.title,
            doc["document"]["title"].as_str().unwrap(),
            "{name}"
        );
        assert!(
            alert.registered.is_some() && alert.updated.is_some(),
            "{name}"
        );
        for w in &warnings {
            assert!(w.pointer.starts_with('/'), "{name}: {w}");
            assert!(
                doc.pointer(&w.pointer).is_some() || w.pointer == "/",
                "{name}: {w} points nowhere"
            );
        }
        // Re-exported, the foreign alert comes back exactly too.
        round_trip(&alert, &Options::default());
        imported.insert(name.clone(), alert);
    }

    let rh = &imported["rhsa-2021_5217.json"];
    assert_eq!(rh.id, "RHSA-2021:5217");
    assert_eq!(rh.severity, Some(Severity::Important));
    assert_eq!(rh.vulnerabilities.len(), 1);
    assert_eq!(rh.vulnerabilities[0].cve.as_deref(), Some("CVE-2021-4133"));
    assert_eq!(rh.vulnerabilities[0].severity, Some(Severity::Important));
    assert_eq!(
        rh.affected,
        vec![Affected {
            software: "Red Hat Single Sign-On".into(),
            platforms: "Red Hat Single Sign-On".into()
        }]
    );
    assert!(rh
        .summary
        .as_deref()
        .unwrap()
        .starts_with("A security update"));
    assert!(rh.notes.iter().any(|n| n.title == "Terms of Use"));
    assert!(rh
        .references
        .iter()
        .any(|r| r.kind == ReferenceKind::Bulletin));
    assert_eq!(rh.downloads.len(), 1);
    assert_eq!(
        rh.updated,
        NaiveDate::from_ymd_opt(2021, 12, 21),
        "16:16 UTC is the next day in Japan"
    );

    // Products in relationships: the platform is the software.
    let rhel = &imported["rhsa-2022_0011.json"];
    assert!(!rhel.affected.is_empty());
    assert!(
        rhel.affected
            .iter()
            .all(|a| a.software.starts_with("Red Hat Enterprise Linux")),
        "{:?}",
        rhel.affected
    );

    // The vendor before the product name.
    let vex = &imported["2022-evd-uc-01-a-001.json"];
    assert_eq!(
        vex.affected,
        vec![Affected {
            software: "Example Company DEF".into(),
            platforms: "Example Company DEF 1.0".into()
        }]
    );
    assert_eq!(
        vex.vulnerabilities[0].cve.as_deref(),
        Some("CVE-2021-44228")
    );

    // Not affected: no product, and a word about it.
    let (na, warnings) = from_csaf(
        &examples
            .iter()
            .find(|(n, _)| n == "2022-evd-uc-01-na-001.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert!(na.affected.is_empty());
    assert!(
        warnings.iter().any(|w| w.message.contains("not affected")),
        "{warnings:?}"
    );

    // Cisco rates no severity: the CVSS base severity stands in, with a warning.
    let (cisco, warnings) = from_csaf(
        &examples
            .iter()
            .find(|(n, _)| n.starts_with("cisco"))
            .unwrap()
            .1,
    )
    .unwrap();
    assert!(cisco.severity.is_some());
    assert!(
        warnings.iter().any(|w| w.message.contains("CVSS")),
        "{warnings:?}"
    );
    assert!(cisco
        .affected
        .iter()
        .all(|a| a.software.starts_with("Cisco IOS")));
    assert!(!cisco.workarounds.is_empty());

    // An informational advisory has no vulnerabilities; its products count.
    let info = &imported["rhsa-2019_1862.json"];
    assert!(info.vulnerabilities.is_empty());
    assert_eq!(info.severity, Some(Severity::Low));
    assert!(!info.affected.is_empty());

    // BSI: a non-CVE id is reported as dropped.
    let (_, warnings) = from_csaf(
        &examples
            .iter()
            .find(|(n, _)| n == "bsi-2022-0001.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.message.contains("ids other than CVE")),
        "{warnings:?}"
    );
}

/// With `HFR_CSAF_DUMP=DIR`, writes every document these tests export into
/// DIR, for `node tools/csaf-validator/validate.mjs DIR` (the e2e test
/// validates what the binary exports; this covers the odd alerts above).
#[test]
fn dump_the_exports_for_the_validator() {
    let Some(dir) = std::env::var_os("HFR_CSAF_DUMP").map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut alerts = demo_alerts();
    alerts.push(everything());
    alerts.push(odd_vendor_alert());
    alerts.push(Alert {
        id: "X-1".into(),
        ..Alert::default()
    });
    for (_, doc) in examples().unwrap_or_default() {
        if let Ok((a, _)) = from_csaf(&doc) {
            alerts.push(a);
        }
    }
    for a in &alerts {
        for (suffix, options) in [
            ("", Options::default()),
            (
                "-r3",
                Options {
                    revisions: revisions(3),
                    self_url: Some("https://hfr.example.org/api/v1/alerts/x/csaf".into()),
                },
            ),
        ] {
            let doc = to_csaf(a, &publisher(), &options);
            let name = file_name(&format!("{}{suffix}", a.id));
            std::fs::write(dir.join(name), serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        }
    }
}
