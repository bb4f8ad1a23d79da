//! The rules on small hand-made alerts: supersedence (transitive, scoped,
//! by KB), GDR/QFE branch selection, and alerts from Microsoft's data
//! (fixed builds, KB supersedence chains, no fix).

mod common;

use common::*;
use hfr_fleet::Status::*;
use hfr_model::Alert;
use serde_json::json;

fn alert(v: serde_json::Value) -> Alert {
    serde_json::from_value(v).expect("an alert")
}

/// A legacy alert for Windows XP SP2 replacing srv.sys.
fn xp_alert(id: &str, kb: &str, version: &str, supersedes: serde_json::Value) -> Alert {
    alert(json!({
        "id": id, "kbs": [kb], "severity": 1, "title": id,
        "supersedes": supersedes,
        "affected": [{"software": "Windows XP", "platforms": "Windows XP SP2"},
                     {"software": "Windows 2000", "platforms": "Windows 2000 SP4"}],
        "packages": [
            {"platform": "Windows XP SP2", "file": format!("WindowsXP-KB{kb}-x86-JPN.exe"),
             "files": [{"branch": "SP2GDR", "path": "%SystemRoot%\\system32\\drivers\\", "name": "srv.sys", "version": version}]},
            {"platform": "Windows 2000 SP4", "file": format!("Windows2000-KB{kb}-x86-JPN.EXE"),
             "files": [{"path": "%SystemRoot%\\system32\\drivers\\", "name": "srv.sys", "version": "5.0.2195.7000"}]}
        ]
    }))
}

#[test]
fn supersedence_is_transitive_and_scoped() {
    let alerts = vec![
        xp_alert("MS05-027", "896422", "5.1.2600.2663", json!([])),
        xp_alert(
            "MS06-035",
            "917159",
            "5.1.2600.2893",
            json!([{"id": "MS05-027", "scope": "Windows 2000を除く"}]),
        ),
        xp_alert(
            "MS07-999",
            "999999",
            "5.1.2600.3100",
            json!([{"id": "MS06-035"}]),
        ),
    ];
    let r = check(
        &alerts,
        json!([
            // Only the newest fix's KB is listed; no file versions.
            {"name": "xp-newest", "os": "Windows XP Professional", "service_pack": "SP2", "updates": ["KB999999"]},
            {"name": "xp-middle", "os": "Windows XP Professional", "service_pack": "SP2", "updates": ["KB917159"]},
            // The scope leaves Windows 2000 out of MS06-035 ⊃ MS05-027.
            {"name": "w2k-middle", "os": "Windows 2000 Server", "service_pack": "SP4", "updates": ["KB917159"]},
            // A newer file proves the newer fix; supersedence does the rest.
            {"name": "xp-file", "os": "Windows XP Professional", "service_pack": "SP2", "updates": [],
             "files": [{"name": "srv.sys", "version": "5.1.2600.3100"}]},
        ]),
    );
    assert_eq!(r.status_of("xp-newest", "MS07-999"), Some(Installed));
    for a in ["MS06-035", "MS05-027"] {
        assert_eq!(
            r.status_of("xp-newest", a),
            Some(Installed),
            "{a}: {}",
            why(&r, "xp-newest", a)
        );
        assert_eq!(rules(&r, "xp-newest", a), ["superseded"]);
        // The installed fix it is contained in (the alert the KB is).
        assert_eq!(
            r.reasons_of("xp-newest", a)[0].via.as_deref(),
            Some("MS07-999")
        );
    }
    assert_eq!(r.status_of("xp-middle", "MS05-027"), Some(Installed));
    assert_eq!(r.status_of("xp-middle", "MS07-999"), Some(Missing));
    assert_eq!(r.status_of("w2k-middle", "MS06-035"), Some(Installed));
    assert_eq!(
        r.status_of("w2k-middle", "MS05-027"),
        Some(Missing),
        "{}",
        why(&r, "w2k-middle", "MS05-027")
    );
    assert_eq!(r.status_of("xp-file", "MS05-027"), Some(Installed));
    assert_eq!(rules(&r, "xp-file", "MS05-027"), ["file_current"]);
}

#[test]
fn file_evidence_is_not_overruled_by_supersedence() {
    // The newer fix is listed, but the file is older than even the older
    // fix: the file wins (the newer fix was undone too).
    let alerts = vec![
        xp_alert("MS05-027", "896422", "5.1.2600.2663", json!([])),
        xp_alert(
            "MS06-035",
            "917159",
            "5.1.2600.2893",
            json!([{"id": "MS05-027"}]),
        ),
    ];
    let r = check(
        &alerts,
        json!([{"name": "pc", "os": "Windows XP Professional", "service_pack": "SP2",
                "updates": ["KB917159"], "files": [{"name": "srv.sys", "version": "5.1.2600.2180"}]}]),
    );
    assert_eq!(r.status_of("pc", "MS06-035"), Some(RegistryOnlyFilesOlder));
    assert_eq!(r.status_of("pc", "MS05-027"), Some(Missing));
}

/// A Vista-era alert whose GDR and LDR (QFE) builds differ.
fn vista_alert() -> Alert {
    alert(json!({
        "id": "MS09-999", "kbs": ["958644"], "severity": 1, "title": "branches",
        "affected": [{"software": "Windows Vista", "platforms": "Windows Vista SP1"}],
        "packages": [{"platform": "Windows Vista SP1", "file": "Windows6.0-KB958644-x86.msu",
            "files": [
                {"branch": "SP1GDR", "path": "%SystemRoot%\\system32\\", "name": "netapi32.dll", "version": "6.0.6001.18157"},
                {"branch": "SP1QFE", "path": "%SystemRoot%\\system32\\", "name": "netapi32.dll", "version": "6.0.6001.22288"}
            ]}]
    }))
}

#[test]
fn gdr_and_qfe_are_told_apart() {
    let alerts = vec![vista_alert()];
    let pc = |name: &str, v: &str, branch: Option<&str>| {
        let mut f = json!({"name": "netapi32.dll", "version": v});
        if let Some(b) = branch {
            f["branch"] = json!(b);
        }
        json!({"name": name, "os": "Windows Vista Business", "service_pack": "SP1", "updates": [], "files": [f]})
    };
    let r = check(
        &alerts,
        json!([
            pc("gdr-fixed", "6.0.6001.18157", None),
            pc("gdr-later", "6.0.6001.18200", None),
            // Above the GDR fix, but an unfixed QFE build: missing.
            pc("qfe-old", "6.0.6001.22100", None),
            pc("qfe-fixed", "6.0.6001.22288", None),
            pc("gdr-old", "6.0.6001.18000", None),
            // The inventory says which branch: taken as given.
            pc("said-qfe", "6.0.6001.18200", Some("qfe")),
            pc("said-ldr", "6.0.6001.22300", Some("ldr")),
        ]),
    );
    let st = |m: &str| r.status_of(m, "MS09-999").expect("known");
    assert_eq!(st("gdr-fixed"), Installed);
    assert_eq!(
        st("gdr-later"),
        Installed,
        "{}",
        why(&r, "gdr-later", "MS09-999")
    );
    assert_eq!(st("qfe-old"), Missing, "{}", why(&r, "qfe-old", "MS09-999"));
    let v = &r.reasons_of("qfe-old", "MS09-999")[0];
    assert_eq!(
        (v.required.as_deref(), v.branch.as_deref()),
        (Some("6.0.6001.22288"), Some("SP1QFE"))
    );
    assert_eq!(st("qfe-fixed"), Installed);
    assert_eq!(st("gdr-old"), Missing);
    assert_eq!(st("said-qfe"), Missing);
    assert_eq!(st("said-ldr"), Installed);
}

#[test]
fn an_undecidable_branch_is_unknown() {
    // XP/2003-style numbering: both branches in one block.
    let mut a = vista_alert();
    a.packages[0].files[1].version = Some("6.0.6001.18300".into());
    let r = check(
        &[a],
        json!([{"name": "pc", "os": "Windows Vista Business", "service_pack": "SP1", "updates": [],
                "files": [{"name": "netapi32.dll", "version": "6.0.6001.18200"}]}]),
    );
    assert_eq!(r.status_of("pc", "MS09-999"), Some(Unknown));
    assert_eq!(rules(&r, "pc", "MS09-999"), ["branch_ambiguous"]);
}

/// CVE alerts as imported from Microsoft's monthly data.
fn msrc_alerts() -> Vec<Alert> {
    let rem = |kb: &str, build: &str, sup: &[&str]| {
        json!({"kind": "vendor_fix", "kb": kb, "fixed_build": build, "restart_required": "yes",
               "supersedes": sup, "sub_type": "Security Update"})
    };
    vec![
        alert(json!({
            "id": "CVE-2017-0001", "release": "2017-May", "title": "May",
            "products": [
                {"id": "10816", "name": "Windows 10 Version 1607 for x64-based Systems", "severity": 1,
                 "remediations": [rem("4019472", "10.0.14393.1198", &["KB4015217"])]},
                {"id": "10049", "name": "Windows Server 2008 for 32-bit Systems Service Pack 2", "severity": 2,
                 "remediations": [{"kind": "will_not_fix", "description": "No fix"}]}
            ]
        })),
        alert(json!({
            "id": "CVE-2017-0002", "release": "2017-Jun", "title": "June",
            "products": [
                {"id": "10816", "name": "Windows 10 Version 1607 for x64-based Systems", "severity": 2,
                 "remediations": [rem("4022715", "10.0.14393.1358", &["KB4019472"])]}
            ]
        })),
        alert(json!({
            "id": "CVE-2017-0003", "release": "2017-May", "title": "Office",
            "products": [
                {"id": "11", "name": "Microsoft Office 2016 (32-bit edition)", "severity": 2,
                 "remediations": [rem("3191881", "16.0.4534.1000", &[])]}
            ]
        })),
    ]
}

#[test]
fn vendor_data_fixed_builds_and_kb_chains() {
    let alerts = msrc_alerts();
    let w10 = |name: &str, build: Option<&str>, updates: serde_json::Value| {
        let mut m = json!({"name": name, "os": "Windows 10 Enterprise Version 1607", "arch": "x64", "updates": updates});
        if let Some(b) = build {
            m["os_build"] = json!(b);
        }
        m
    };
    let r = check(
        &alerts,
        json!([
            w10("june", Some("10.0.14393.1358"), json!([])),
            w10("april", Some("10.0.14393.1066"), json!([])),
            // The KB is listed but the build never moved (pending reboot, rolled back).
            w10("listed", Some("10.0.14393.1066"), json!(["KB4019472"])),
            // No build: the June KB contains May's.
            w10("kb-june", None, json!(["KB4022715"])),
            w10("kb-none", None, json!(["KB4015217"])),
            {"name": "1703", "os": "Windows 10 Enterprise Version 1703", "arch": "x64", "os_build": "10.0.15063.332"},
            {"name": "x86", "os": "Windows 10 Enterprise Version 1607", "arch": "x86", "os_build": "10.0.14393.1066"},
            {"name": "2008", "os": "Windows Server 2008 Standard", "service_pack": "SP2", "arch": "x86", "updates": []},
            {"name": "office", "os": "Windows 10 Pro Version 1607", "arch": "x64",
             "products": [{"name": "Office 2016 (32-bit edition)", "build": "16.0.4534.1000"}]},
            {"name": "office-old", "os": "Windows 10 Pro Version 1607", "arch": "x64",
             "products": [{"name": "Office 2016 (32-bit edition)", "build": "16.0.4500.1000"}]},
        ]),
    );
    let st = |m: &str, a: &str| r.status_of(m, a).expect("known");
    assert_eq!(st("june", "CVE-2017-0001"), Installed);
    assert_eq!(rules(&r, "june", "CVE-2017-0001"), ["build_current"]);
    assert_eq!(st("june", "CVE-2017-0002"), Installed);
    assert_eq!(
        st("april", "CVE-2017-0001"),
        Missing,
        "{}",
        why(&r, "april", "CVE-2017-0001")
    );
    let v = &r.reasons_of("april", "CVE-2017-0001")[0];
    assert_eq!(
        (v.found.as_deref(), v.required.as_deref()),
        (Some("10.0.14393.1066"), Some("10.0.14393.1198"))
    );
    assert_eq!(st("listed", "CVE-2017-0001"), RegistryOnlyFilesOlder);
    assert_eq!(rules(&r, "listed", "CVE-2017-0001"), ["build_older_kb"]);
    assert_eq!(st("kb-june", "CVE-2017-0002"), Installed);
    assert_eq!(
        st("kb-june", "CVE-2017-0001"),
        Installed,
        "{}",
        why(&r, "kb-june", "CVE-2017-0001")
    );
    assert_eq!(rules(&r, "kb-june", "CVE-2017-0001"), ["superseded"]);
    assert_eq!(st("kb-none", "CVE-2017-0001"), Missing);
    assert_eq!(rules(&r, "kb-none", "CVE-2017-0001"), ["not_found"]);
    assert_eq!(st("1703", "CVE-2017-0001"), NotApplicable);
    assert_eq!(st("x86", "CVE-2017-0001"), NotApplicable);
    assert_eq!(st("2008", "CVE-2017-0001"), NoFixUpgrade);
    assert_eq!(rules(&r, "2008", "CVE-2017-0001"), ["vendor_no_fix"]);
    assert_eq!(st("office", "CVE-2017-0003"), Installed);
    assert_eq!(st("office-old", "CVE-2017-0003"), Missing);
    // The worklist names the KB to deploy and says a restart is needed.
    let wl = hfr_fleet::Worklist::new(&r);
    let may = wl
        .items
        .iter()
        .find(|i| i.alert == "CVE-2017-0001")
        .expect("item");
    assert_eq!(may.packages[0].package, "KB4019472");
    assert_eq!(may.packages[0].reboot, Some(hfr_model::RebootRequired::Yes));
    assert_eq!(may.machines, ["april", "listed", "kb-none"]);
}
