//! Machines built from the seed alerts' facts, checked against the demo
//! archive: the cases the issue names and the rules behind them.

mod common;

use common::*;
use hfr_fleet::Status::*;
use serde_json::json;

const WINS_KEY: &str =
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB870763\\Filelist";

fn w2k_wins(name: &str, wins: &str, keys: serde_json::Value) -> serde_json::Value {
    json!({
        "name": name, "os": "Windows 2000 Server", "service_pack": "SP4", "arch": "x86",
        "role": "server", "components": ["WINS"], "updates": [], "registry_keys": keys,
        "files": [{"name": "wins.exe", "version": wins, "path": "%SystemRoot%\\system32\\"}]
    })
}

/// Machines whose reasons are alike but for their own file version: the
/// JSON writer and the reason words (which word each distinct reason once)
/// show each machine its own version, as the reason views do.
#[test]
fn each_machine_shows_its_own_version() {
    let alerts = demo_alerts();
    let versions = [
        "5.0.2195.6870",
        "5.0.2195.6801",
        "5.0.2195.6870",
        "5.0.2195.6601",
    ];
    let records: Vec<_> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| w2k_wins(&format!("m{i}"), v, json!([])))
        .collect();
    let r = check(&alerts, json!(records));
    let mut json_out = Vec::new();
    r.write_json(&mut json_out).expect("write");
    let doc: serde_json::Value = serde_json::from_slice(&json_out).expect("JSON");
    let mut words = r.words();
    let mut text = String::new();
    for (i, want) in versions.iter().enumerate() {
        let view = &r.reasons_of(&format!("m{i}"), "MS04-045")[0];
        assert_eq!(view.rule.key(), "file_older");
        assert_eq!(view.found.as_deref(), Some(*want));
        let finding = doc["machines"][i]["findings"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["alert"] == "MS04-045"))
            .expect("a finding");
        assert_eq!(finding["reasons"][0]["found"], *want, "machine {i}");
        assert_eq!(finding["reasons"][0]["text"], view.text.as_str());
        let m = &r.machines[i];
        let f = m
            .findings()
            .find(|f| r.alerts()[f.alert as usize].id == "MS04-045")
            .expect("a finding");
        words.join(m, f.reasons, &mut text);
        assert!(text.contains(want), "machine {i}: {text}");
    }
}

#[test]
fn wins_fix_installed_undone_and_missing() {
    let alerts = demo_alerts();
    let r = check(
        &alerts,
        json!([
            w2k_wins("ok", "5.0.2195.7005", json!([WINS_KEY])),
            w2k_wins("undone", "5.0.2195.6870", json!([WINS_KEY])),
            w2k_wins("missing", "5.0.2195.6870", json!([])),
            w2k_wins("newer", "5.0.2195.7100", json!([])),
        ]),
    );
    assert_eq!(
        r.status_of("ok", "MS04-045"),
        Some(Installed),
        "{}",
        why(&r, "ok", "MS04-045")
    );
    assert_eq!(rules(&r, "ok", "MS04-045"), ["file_current"]);
    let v = &r.reasons_of("ok", "MS04-045")[0];
    assert_eq!(v.file.as_deref(), Some("wins.exe"));
    assert_eq!(v.found.as_deref(), Some("5.0.2195.7005"));
    assert_eq!(v.required.as_deref(), Some("5.0.2195.7005"));
    assert_eq!(
        v.package.as_deref(),
        Some("Windows2000-KB870763-x86-JPN.EXE")
    );

    assert_eq!(
        r.status_of("undone", "MS04-045"),
        Some(RegistryOnlyFilesOlder)
    );
    let v = &r.reasons_of("undone", "MS04-045")[0];
    assert_eq!(v.rule.key(), "file_older_registry");
    assert_eq!(v.found.as_deref(), Some("5.0.2195.6870"));
    assert!(
        v.via.as_deref().is_some_and(|k| k.contains("KB870763")),
        "{v:?}"
    );
    assert!(
        v.text.contains("wins.exe 5.0.2195.6870 < 5.0.2195.7005"),
        "{}",
        v.text
    );

    assert_eq!(r.status_of("missing", "MS04-045"), Some(Missing));
    assert_eq!(rules(&r, "missing", "MS04-045"), ["file_older"]);
    // Versions compare as numbers: 7100 > 7005 although "7100" < "7005" is false either way,
    // and 5.0.2195.999 would be older.
    assert_eq!(r.status_of("newer", "MS04-045"), Some(Installed));
}

#[test]
fn wins_needs_wins() {
    let alerts = demo_alerts();
    let r = check(
        &alerts,
        json!([
            {"name": "no-wins", "os": "Windows 2000 Server", "service_pack": "SP4", "components": [], "updates": []},
            {"name": "not-collected", "os": "Windows 2000 Server", "service_pack": "SP4"},
            {"name": "wins-nothing-known", "os": "Windows 2000 Server", "service_pack": "SP4", "components": ["wins"]},
            {"name": "pro", "os": "Windows 2000 Professional", "service_pack": "SP4", "components": ["wins"]},
            {"name": "kb-only", "os": "Windows 2000 Server", "service_pack": "SP4", "components": ["wins"], "updates": ["870763"]},
        ]),
    );
    assert_eq!(r.status_of("no-wins", "MS04-045"), Some(NotApplicable));
    assert_eq!(rules(&r, "no-wins", "MS04-045"), ["component_absent"]);
    assert_eq!(r.status_of("not-collected", "MS04-045"), Some(Unknown));
    assert_eq!(
        rules(&r, "not-collected", "MS04-045"),
        ["component_unknown"]
    );
    assert_eq!(r.status_of("wins-nothing-known", "MS04-045"), Some(Unknown));
    assert_eq!(rules(&r, "wins-nothing-known", "MS04-045"), ["no_data"]);
    // WINS server only runs on server editions; the alert lists servers.
    assert_eq!(r.status_of("pro", "MS04-045"), Some(NotApplicable));
    assert_eq!(r.status_of("kb-only", "MS04-045"), Some(Installed));
    assert_eq!(rules(&r, "kb-only", "MS04-045"), ["kb_installed"]);
}

#[test]
fn msmq_fix_and_the_platforms_without_one() {
    let alerts = demo_alerts();
    let r = check(
        &alerts,
        json!([
            {"name": "xp-sp2", "os": "Windows XP Professional", "service_pack": "SP2", "role": "client", "components": ["msmq"], "updates": []},
            {"name": "xp-sp1-msmq", "os": "Windows XP Professional", "service_pack": "SP1",
             "components": ["msmq"], "updates": [],
             "files": [{"name": "mqqm.dll", "version": "5.1.0.1044"}, {"name": "mqac.sys", "version": "5.1.0.1044"}]},
            // MSMQ not installed, but Windows XP SP1 ships its files: they count.
            {"name": "xp-sp1a-files", "os": "Windows XP Home Edition", "service_pack": "SP1a",
             "components": [], "updates": [], "files": [{"name": "mqqm.dll", "version": "5.1.0.1000"}]},
            {"name": "xp-sp1-none", "os": "Windows XP Professional", "service_pack": "SP1", "components": [], "updates": []},
            {"name": "nt4", "os": "Windows NT Workstation 4.0", "service_pack": "SP6a", "components": ["msmq"]},
            {"name": "nt4-no-msmq", "os": "Windows NT Workstation 4.0", "service_pack": "SP6a", "components": []},
            {"name": "xp-rtm", "os": "Windows XP Professional", "service_pack": "SP未適用", "components": ["msmq"]},
            {"name": "w2k-sp2", "os": "Windows 2000 Professional", "service_pack": "SP2", "components": ["msmq"]},
        ]),
    );
    assert_eq!(r.status_of("xp-sp2", "MS05-017"), Some(NotApplicable));
    assert_eq!(rules(&r, "xp-sp2", "MS05-017"), ["service_pack_newer"]);
    assert_eq!(
        r.status_of("xp-sp1-msmq", "MS05-017"),
        Some(Installed),
        "{}",
        why(&r, "xp-sp1-msmq", "MS05-017")
    );
    // The branch folder (sp1qfe) is shown.
    assert_eq!(
        r.reasons_of("xp-sp1-msmq", "MS05-017")[0].branch.as_deref(),
        Some("sp1qfe")
    );
    assert_eq!(
        r.status_of("xp-sp1a-files", "MS05-017"),
        Some(Missing),
        "{}",
        why(&r, "xp-sp1a-files", "MS05-017")
    );
    assert_eq!(r.status_of("xp-sp1-none", "MS05-017"), Some(NotApplicable));
    assert_eq!(
        r.status_of("nt4", "MS05-017"),
        Some(NoFixUpgrade),
        "{}",
        why(&r, "nt4", "MS05-017")
    );
    assert_eq!(rules(&r, "nt4", "MS05-017"), ["vendor_no_fix"]);
    assert!(why(&r, "nt4", "MS05-017").contains("修正プログラムなし"));
    assert_eq!(r.status_of("nt4-no-msmq", "MS05-017"), Some(NotApplicable));
    assert_eq!(r.status_of("xp-rtm", "MS05-017"), Some(NoFixUpgrade));
    assert_eq!(r.status_of("w2k-sp2", "MS05-017"), Some(NoFixUpgrade));
    // A client never needed the WINS fix.
    assert_eq!(r.status_of("xp-sp2", "MS04-045"), Some(NotApplicable));
}

#[test]
fn exchange_2003_sp1_does_not_need_the_exchange_package() {
    let alerts = demo_alerts();
    let r = check(
        &alerts,
        json!([
            {"name": "ex-sp1", "os": "Windows Server 2003, Enterprise Edition", "service_pack": "SP未適用",
             "products": [{"name": "Exchange Server 2003", "service_pack": "SP1"}],
             "components": ["smtp", "iis"], "updates": [],
             "files": [{"name": "smtpsvc.dll", "version": "6.0.3790.0"}]},
            {"name": "ex-rtm-w2k", "os": "Windows 2000 Server", "service_pack": "SP4",
             "products": ["Exchange Server 2003 SP未適用"], "components": ["smtp"], "updates": [],
             "files": [{"name": "reapi.dll", "version": "6.5.6944.0"}]},
            {"name": "web-no-smtp", "os": "Windows Server 2003, Standard Edition", "service_pack": "SP1",
             "components": ["iis"], "updates": []},
            {"name": "ex-sp1-patched", "os": "Windows Server 2003, Enterprise Edition", "service_pack": "SP未適用",
             "products": ["Exchange Server 2003 SP1"], "components": ["smtp"],
             "files": [{"name": "smtpsvc.dll", "version": "6.0.3790.211"}]},
        ]),
    );
    assert_eq!(r.status_of("ex-sp1", "MS04-035"), Some(Missing));
    let views = r.reasons_of("ex-sp1", "MS04-035");
    // The Windows package is missing; the Exchange one is not needed.
    let missing: Vec<_> = views.iter().filter(|v| v.status == Missing).collect();
    assert_eq!(missing.len(), 1, "{views:?}");
    assert_eq!(
        missing[0].package.as_deref(),
        Some("WindowsServer2003-KB885881-x86-jpn.EXE")
    );
    assert!(
        views.iter().any(|v| v.rule.key() == "service_pack_newer"
            && v.text.contains("Exchange2003-KB885882-x86-JPN.exe")),
        "{views:?}"
    );
    let wl = hfr_fleet::Worklist::new(&r);
    let item = wl
        .items
        .iter()
        .find(|i| i.alert == "MS04-035")
        .expect("MS04-035 in the worklist");
    for p in &item.packages {
        let want: &[&str] = if p.package.starts_with("Exchange") {
            &["ex-rtm-w2k"]
        } else {
            &["ex-sp1"]
        };
        assert_eq!(p.machines, want, "{:?}", item.packages);
    }

    // Exchange 2003 without SP1, on Windows 2000: the Exchange package.
    assert_eq!(r.status_of("ex-rtm-w2k", "MS04-035"), Some(Missing));
    let v = &r.reasons_of("ex-rtm-w2k", "MS04-035")[0];
    assert_eq!(
        v.package.as_deref(),
        Some("Exchange2003-KB885882-x86-JPN.exe")
    );
    assert_eq!(v.file.as_deref(), Some("reapi.dll"));

    assert_eq!(r.status_of("web-no-smtp", "MS04-035"), Some(NotApplicable));
    assert_eq!(rules(&r, "web-no-smtp", "MS04-035"), ["component_absent"]);
    // RTMGDR and RTMQFE carry the same version: either branch compares the same.
    assert_eq!(r.status_of("ex-sp1-patched", "MS04-035"), Some(Installed));
}

#[test]
fn server_service_fix_picks_the_branch_for_the_service_pack() {
    let alerts = demo_alerts();
    let srv = |name: &str, os: &str, sp: &str, v: &str| {
        json!({"name": name, "os": os, "service_pack": sp, "updates": [],
               "files": [{"name": "srv.sys", "version": v}]})
    };
    let r = check(
        &alerts,
        json!([
            srv(
                "xp-sp2-ok",
                "Windows XP Professional",
                "SP2",
                "5.1.2600.2893"
            ),
            srv(
                "xp-sp1-ok",
                "Windows XP Professional",
                "SP1",
                "5.1.2600.1832"
            ),
            // The SP1 branch's version on an SP2 machine is far too old.
            srv(
                "xp-sp2-old",
                "Windows XP Professional",
                "SP2",
                "5.1.2600.1832"
            ),
            srv(
                "2003-sp1-ok",
                "Windows Server 2003, Standard Edition",
                "SP1",
                "5.2.3790.2691"
            ),
            srv(
                "2003-rtm-ok",
                "Windows Server 2003, Standard Edition",
                "RTM",
                "5.2.3790.526"
            ),
            srv(
                "2003-sp1-rtmfix",
                "Windows Server 2003, Standard Edition",
                "SP1",
                "5.2.3790.526"
            ),
            srv("w2k-sp3", "Windows 2000 Server", "SP3", "5.0.2195.6000"),
            srv(
                "2003-sp2",
                "Windows Server 2003, Standard Edition",
                "SP2",
                "5.2.3790.3959"
            ),
        ]),
    );
    for ok in ["xp-sp2-ok", "xp-sp1-ok", "2003-sp1-ok", "2003-rtm-ok"] {
        assert_eq!(
            r.status_of(ok, "MS06-035"),
            Some(Installed),
            "{ok}: {}",
            why(&r, ok, "MS06-035")
        );
    }
    assert_eq!(r.status_of("xp-sp2-old", "MS06-035"), Some(Missing));
    let v = &r.reasons_of("xp-sp2-old", "MS06-035")[0];
    assert_eq!(v.required.as_deref(), Some("5.1.2600.2893"));
    assert_eq!(v.branch.as_deref(), Some("SP2GDR/SP2QFE"));
    let v = &r.reasons_of("2003-sp1-rtmfix", "MS06-035")[0];
    assert_eq!(
        (v.rule.key().as_str(), v.required.as_deref()),
        ("file_older", Some("5.2.3790.2691"))
    );
    // Windows 2000 SP3 is below the SP4 the fix is for.
    assert_eq!(r.status_of("w2k-sp3", "MS06-035"), Some(NoFixUpgrade));
    assert_eq!(
        rules(&r, "w2k-sp3", "MS06-035"),
        ["service_pack_unsupported"]
    );
    // SP2 came after the alert: not listed, not applicable.
    assert_eq!(r.status_of("2003-sp2", "MS06-035"), Some(NotApplicable));
}

#[test]
fn isa_re_release_and_proxy_sizes() {
    let alerts = demo_alerts();
    let isa = "%ProgramFiles%\\Microsoft ISA Server";
    let r = check(
        &alerts,
        json!([
            {"name": "isa-full", "os": "Windows 2000 Server", "service_pack": "SP4", "products": ["ISA Server 2000 SP1"],
             "updates": ["KB888258"], "files": [
                {"name": "mspadmin.exe", "path": isa, "version": "3.0.1200.408"},
                {"name": "msphlpr.dll", "path": isa, "version": "3.0.1200.408"},
                {"name": "w3proxy.exe", "path": isa, "version": "3.0.1200.408"},
                {"name": "wspsrv.exe", "path": isa, "version": "3.0.1200.408"}]},
            // Only the first release's file: the re-release replaces more.
            {"name": "isa-first-release", "os": "Windows 2000 Server", "service_pack": "SP4",
             "products": [{"name": "ISA Server 2000 Standard Edition", "service_pack": "SP1"}],
             "updates": [], "files": [
                {"name": "mspadmin.exe", "path": isa, "version": "3.0.1200.365"},
                {"name": "msphlpr.dll", "path": isa, "version": "3.0.1200.408"}]},
            {"name": "isa-on-sbs", "os": "Small Business Server 2003, Premium Edition",
             "products": ["ISA Server 2000 SP2"], "updates": []},
            {"name": "isa-on-w2k-sp3", "os": "Windows 2000 Server", "service_pack": "SP3",
             "products": ["ISA Server 2000 SP1"], "updates": []},
            {"name": "proxy-fixed", "os": "Windows NT Server 4.0", "service_pack": "SP6a", "products": ["Proxy Server 2.0 SP1"],
             "files": [{"name": "w3proxy.dll", "version": "2.0.390.16", "size": 192784}]},
            {"name": "proxy-original", "os": "Windows NT Server 4.0", "service_pack": "SP6a", "products": ["Proxy Server 2.0 SP1"],
             "files": [{"name": "w3proxy.dll", "version": "2.0.390.16", "size": 189712}]},
            {"name": "proxy-no-size", "os": "Windows NT Server 4.0", "service_pack": "SP6a", "products": ["Proxy Server 2.0 SP1"],
             "files": [{"name": "w3proxy.dll", "version": "2.0.390.16"}]},
        ]),
    );
    assert_eq!(
        r.status_of("isa-full", "MS04-039"),
        Some(Installed),
        "{}",
        why(&r, "isa-full", "MS04-039")
    );
    assert_eq!(r.status_of("isa-first-release", "MS04-039"), Some(Missing));
    assert_eq!(
        r.reasons_of("isa-first-release", "MS04-039")[0]
            .file
            .as_deref(),
        Some("mspadmin.exe")
    );
    assert_eq!(
        r.status_of("isa-on-sbs", "MS04-039"),
        Some(Missing),
        "{}",
        why(&r, "isa-on-sbs", "MS04-039")
    );
    // Windows 2000 Server SP3 is not a platform ISA Server's fix lists.
    assert_eq!(
        r.status_of("isa-on-w2k-sp3", "MS04-039"),
        Some(NoFixUpgrade)
    );
    assert_eq!(
        r.status_of("proxy-fixed", "MS04-039"),
        Some(Installed),
        "{}",
        why(&r, "proxy-fixed", "MS04-039")
    );
    assert_eq!(r.status_of("proxy-original", "MS04-039"), Some(Missing));
    assert_eq!(r.status_of("proxy-no-size", "MS04-039"), Some(Unknown));
    assert_eq!(rules(&r, "proxy-no-size", "MS04-039"), ["size_needed"]);
}

#[test]
fn incomplete_records_are_unknown_not_missing() {
    let alerts = demo_alerts();
    let r = check(
        &alerts,
        json!([
            // No service pack: MS06-035 lists SP4 only.
            {"name": "w2k-no-sp", "os": "Windows 2000 Server", "updates": []},
            // x64: the alert's Windows Server 2003 package is x86 only.
            {"name": "x64", "os": "Windows Server 2003, Enterprise Edition", "service_pack": "SP1",
             "arch": "x64", "components": ["smtp"], "updates": []},
            // Nothing collected but the OS.
            {"name": "bare", "os": "Windows XP Professional", "service_pack": "SP2"},
        ]),
    );
    assert_eq!(r.status_of("w2k-no-sp", "MS06-035"), Some(Unknown));
    assert_eq!(rules(&r, "w2k-no-sp", "MS06-035"), ["needs_detail"]);
    assert_eq!(r.status_of("x64", "MS04-035"), Some(Unknown));
    assert_eq!(rules(&r, "x64", "MS04-035"), ["arch_no_package"]);
    assert_eq!(r.status_of("bare", "MS06-035"), Some(Unknown));
    assert_eq!(rules(&r, "bare", "MS06-035"), ["no_data"]);
}

#[test]
fn the_template_against_the_demo_archive() {
    let alerts = demo_alerts();
    let inv = hfr_fleet::template();
    let bytes = serde_json::to_vec(&inv).expect("json");
    let parsed = hfr_fleet::parse_json(&bytes).expect("inventory");
    assert!(
        parsed.rejects.is_empty() && parsed.warnings.is_empty(),
        "{:?} {:?}",
        parsed.rejects,
        parsed.warnings
    );
    let r = hfr_fleet::check(&alerts, &parsed.machines);
    let s = |m: &str, a: &str| r.status_of(m, a).expect("known");
    assert_eq!(s("SV-WINS01", "MS04-045"), Installed);
    assert_eq!(s("SV-WINS02", "MS04-045"), RegistryOnlyFilesOlder);
    assert_eq!(s("SV-MAIL01", "MS04-035"), Missing);
    assert_eq!(s("SV-ISA01", "MS04-039"), Installed);
    assert_eq!(s("PC-SALES01", "MS05-017"), NotApplicable);
    assert_eq!(s("PC-SALES01", "MS06-035"), Missing);
    assert_eq!(s("PC-DEV01", "MS05-017"), Installed);
    assert_eq!(s("PC-DEV01", "MS06-035"), Installed);
    assert_eq!(s("PC-LEGACY01", "MS05-017"), NoFixUpgrade);
    // Every pair has a status and at least one reason.
    for m in &r.machines {
        assert_eq!(m.findings().count(), alerts.len(), "{}", m.name);
        assert!(m.findings().all(|f| !f.reasons.is_empty()));
    }
}

#[test]
fn worklist_order_and_estimates() {
    let alerts = demo_alerts();
    let inv = hfr_fleet::template();
    let parsed = hfr_fleet::parse_json(&serde_json::to_vec(&inv).expect("json")).expect("inv");
    let r = hfr_fleet::check(&alerts, &parsed.machines);
    let wl = hfr_fleet::Worklist::new(&r);
    // Read on more threads (machines split, alerts joined on each), the
    // same worklist.
    for threads in 2..=5 {
        assert_eq!(
            hfr_fleet::Worklist::with_threads(&r, threads),
            wl,
            "{threads}"
        );
    }
    let ids: Vec<&str> = wl.items.iter().map(|i| i.alert.as_str()).collect();
    // Critical before important; among equals more machines first (MS06-035
    // is missing on four); among the important ones, exploit code first.
    assert_eq!(ids, ["MS06-035", "MS04-035", "MS04-045"], "{wl:#?}");
    // In inventory order.
    assert_eq!(
        wl.items[0].machines,
        ["SV-WINS02", "SV-MAIL01", "SV-ISA01", "PC-SALES01"]
    );
    assert_eq!(wl.items[0].packages.len(), 3, "{:?}", wl.items[0].packages);
    let wins = &wl.items[2];
    assert_eq!(wins.machines, ["SV-WINS02"]);
    assert_eq!(wins.reapply, ["SV-WINS02"]);
    assert_eq!(wins.packages[0].package, "Windows2000-KB870763-x86-JPN.EXE");
    assert_eq!(
        wins.packages[0].reboot,
        Some(hfr_model::RebootRequired::Conditional)
    );
    // One machine: the fixed cost of the measured line (24/33/58/100 minutes).
    let m = wins.packages[0].minutes.expect("estimate");
    assert!((m - 16.04).abs() < 0.1, "{m}");
    assert!(wl.total_minutes.is_some());
    assert_eq!(wl.upgrades.len(), 1);
    assert_eq!(wl.upgrades[0].machines, ["PC-LEGACY01"]);

    let plan = hfr_fleet::plan(&r, &wl, 2, 2);
    assert_eq!(plan.waves[0].name, "パイロット");
    assert_eq!(plan.waves[0].machines.len(), 2);
    let all: usize = plan.waves.iter().map(|w| w.machines.len()).sum();
    assert_eq!(all, 4, "{plan:#?}");
    // The two machines that between them need the most different packages.
    assert_eq!(plan.waves[0].machines, ["SV-MAIL01", "SV-WINS02"]);
    assert_eq!(plan.waves[0].packages.len(), 4);
}

#[test]
fn one_alert_alone_is_checked_like_all_of_them() {
    // `Options::only` leaves alerts out of the plan; the ones kept must be
    // decided exactly as in a full check (a regression: candidates of the
    // alerts left out used to hide the kept ones, making them "not applicable").
    let alerts = demo_alerts();
    let machines = machines(json!([
        w2k_wins("undone", "5.0.2195.6870", json!([WINS_KEY])),
        {"name": "nt4", "os": "Windows NT Workstation 4.0", "service_pack": "SP6a", "components": ["msmq"]},
    ]));
    let checker = hfr_fleet::Checker::new(&alerts);
    let full = checker.check(machines.clone(), &hfr_fleet::Options::default());
    for id in ["MS04-045", "MS05-017", "MS06-035"] {
        let i = checker.alert_index(id).expect("in the archive");
        let one = checker.check(
            machines.clone(),
            &hfr_fleet::Options {
                only: Some(vec![i]),
                ..hfr_fleet::Options::default()
            },
        );
        assert_eq!(one.summary().alerts, 1);
        for m in ["undone", "nt4"] {
            assert_eq!(one.status_of(m, id), full.status_of(m, id), "{m} {id}");
        }
    }
    assert_eq!(
        full.status_of("undone", "MS04-045"),
        Some(RegistryOnlyFilesOlder)
    );
    assert_eq!(full.status_of("nt4", "MS05-017"), Some(NoFixUpgrade));
}

/// The streamed JSON of a report (machines rendered on several threads,
/// reasons rendered once) is the document its `Serialize` gives, value for
/// value, with or without the "not applicable" findings, for a few
/// machines and for enough to fill several rounds.
#[test]
fn streamed_json_is_the_serialized_report() {
    let alerts = demo_alerts();
    let inv = hfr_fleet::template();
    let parsed = hfr_fleet::parse_json(&serde_json::to_vec(&inv).expect("json")).expect("inv");
    // 5,000 machines: the template's, renamed.
    let many: Vec<hfr_fleet::Machine> = (0..5000)
        .map(|i| {
            let mut m = parsed.machines[i % parsed.machines.len()].clone();
            m.name = format!("{}-{i}", m.name);
            m
        })
        .collect();
    let checker = hfr_fleet::Checker::new(&alerts);
    for (machines, include_na) in [
        (&parsed.machines[..], true),
        (&parsed.machines[..0], true),
        (&many[..], false),
        (&many[..], true),
    ] {
        let mut r = checker.check(
            machines.to_vec(),
            &hfr_fleet::Options {
                include_not_applicable: include_na,
                ..Default::default()
            },
        );
        // A reject and a warning, to see those lists written too.
        let reject = hfr_fleet::inventory::Reject {
            index: 7,
            line: None,
            name: Some("PC-\"引用\"".into()),
            field: "files[2].version".into(),
            message: "not a version: \"x\"".into(),
        };
        r.rejects = vec![reject.clone()];
        r.warnings = vec![reject];
        let want = serde_json::to_value(&r).expect("serialize");
        for threads in [1, 3] {
            let mut out = Vec::new();
            r.write_json_on(&mut out, threads).expect("write");
            let got: serde_json::Value = serde_json::from_slice(&out).unwrap_or_else(|e| {
                panic!(
                    "{e}: {}",
                    String::from_utf8_lossy(&out[..out.len().min(2000)])
                )
            });
            assert!(
                got == want,
                "{} machines, {threads} threads",
                machines.len()
            );
        }
    }
}
