//! The `hfr` binary as a user runs it: real processes, a real SQLite file.

use std::path::PathBuf;

mod common;

use common::*;

#[test]
fn help_lists_the_subcommands_and_usage_errors_exit_2() {
    let a = Archive::new();
    let help = a.ok(&["--help"]);
    for sub in [
        "parse", "import", "list", "show", "history", "edit", "schema",
    ] {
        assert!(help.contains(sub), "help lacks {sub}");
    }
    assert_eq!(a.hfr(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(a.hfr(&["show"]).status.code(), Some(2));
    assert_eq!(a.hfr(&["list", "--severity", "9"]).status.code(), Some(2));
}

#[test]
fn parse_prints_json_and_stores_nothing() {
    let a = Archive::new();
    let page = fixture("ms05-999.txt");
    let v = a.json(&["parse", s(&page)]);
    assert_eq!(v["id"], "MS05-999");
    assert_eq!(v["severity"], 2);
    assert_eq!(v["exploit_code"], true);
    assert_eq!(v["action"], "apply_soon");
    assert_eq!(v["packages"][0]["files"][0]["version"], "5.2.3790.321");
    assert_eq!(v["packages"][0]["files"][0]["size"], 201728);
    assert_eq!(v["rollout"][0]["minutes"]["500"], 95);
    let list = a.json(&["list", "--json"]);
    assert_eq!(list, serde_json::json!([]));
}

#[test]
fn import_list_show_history_and_edit() {
    let a = Archive::new();
    let page = fixture("ms05-999.txt");
    let out = a.ok(&["import", s(&page)]);
    assert!(out.contains("MS05-999: stored as revision 1"), "{out}");

    // The same page again changes nothing.
    let out = a.ok(&["import", s(&page)]);
    assert!(out.contains("unchanged"), "{out}");

    let list = a.ok(&["list"]);
    assert!(list.contains("MS05-999"));
    assert!(list.contains("2 重要"));
    assert!(list.contains("早期適用"));

    let shown = a.ok(&["show", "ms05-999"]);
    for label in [
        "深刻度",
        "対策",
        "適用されるファイル情報",
        "testsvc.dll",
        "201,728",
        "確認方法",
        "予想適用時間",
        "1時間35分",
    ] {
        assert!(shown.contains(label), "show lacks {label}:\n{shown}");
    }

    // show --json is the same alert parse produced.
    let parsed = a.json(&["parse", s(&page)]);
    let stored = a.json(&["show", "MS05-999", "--json"]);
    assert_eq!(parsed, stored);

    // An analyst's edit is a new revision; the old one stays readable.
    let out = a.ok(&[
        "edit",
        "MS05-999",
        "--set",
        "severity=1",
        "--author",
        "analyst",
    ]);
    assert!(out.contains("revision 2"), "{out}");
    let current = a.json(&["show", "MS05-999", "--json"]);
    assert_eq!(current["severity"], 1);
    assert_ne!(current["updated"], parsed["updated"], "updated must move");
    let old = a.json(&["show", "MS05-999", "--revision", "1", "--json"]);
    assert_eq!(old["severity"], 2);

    let history = a.json(&["history", "MS05-999", "--json"]);
    let revs = history.as_array().expect("array");
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[1]["source"]["kind"], "edit");
    assert_eq!(revs[1]["source"]["name"], "analyst");
    assert!(revs[1]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .any(|c| c["path"] == "severity"));

    // The original page is kept with revision 1.
    let source = a.ok(&["show", "MS05-999", "--revision", "1", "--source"]);
    assert_eq!(source, std::fs::read_to_string(&page).expect("fixture"));
}

#[test]
fn a_broken_file_stores_nothing_unless_keep_going() {
    let a = Archive::new();
    let good = fixture("ms05-999.txt");
    let bad = a.write("broken.txt", b"\x00\x01\x02binary\x00");
    let out = a.hfr(&["import", s(&good), s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.txt"), "{err}");
    assert!(err.contains("nothing was stored"), "{err}");
    assert_eq!(a.json(&["list", "--json"]), serde_json::json!([]));

    let out = a.hfr(&["import", "--keep-going", s(&good), s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        a.json(&["list", "--json"]).as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn errors_name_what_is_wrong_and_exit_1() {
    let a = Archive::new();
    let out = a.hfr(&["show", "MS99-999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MS99-999"));

    let html = a.write(
        "page.html",
        b"<!DOCTYPE html>\n<html><body>hello</body></html>\n",
    );
    let out = a.hfr(&["parse", s(&html)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("page.html"));

    let missing = a.dir.path().join("nope.txt");
    let out = a.hfr(&["import", s(&missing)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.txt"));

    // An edit that breaks the JSON or renames the alert stores nothing.
    a.ok(&["import", s(&fixture("ms05-999.txt"))]);
    let broken = a.write("edit.json", b"{ \"id\": \"MS05-999\", \"severity\": 7 }");
    let out = a.hfr(&["edit", "MS05-999", "--file", s(&broken)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("edit.json"));
    let renamed = a.write("rename.json", b"{ \"id\": \"MS05-998\" }");
    let out = a.hfr(&["edit", "MS05-999", "--file", s(&renamed)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        a.json(&["history", "MS05-999", "--json"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn list_filters() {
    let a = Archive::new();
    a.ok(&["import", s(&fixture("ms05-999.txt"))]);
    let n = |args: &[&str]| {
        let mut full = vec!["list", "--json"];
        full.extend_from_slice(args);
        a.json(&full).as_array().map(Vec::len).unwrap_or(0)
    };
    assert_eq!(n(&[]), 1);
    assert_eq!(n(&["--severity", "2"]), 1);
    assert_eq!(n(&["--severity", "緊急"]), 0);
    assert_eq!(n(&["--action", "早期適用"]), 1);
    assert_eq!(n(&["--action", "apply_now"]), 0);
    assert_eq!(n(&["--exploit-code"]), 1);
    assert_eq!(n(&["--exploit-code=false"]), 0);
    assert_eq!(n(&["--target", "server"]), 1);
    assert_eq!(n(&["--target", "client"]), 0);
    assert_eq!(n(&["--product", "windows server 2003"]), 1);
    assert_eq!(n(&["--product", "Exchange"]), 0);
    assert_eq!(n(&["--year", "2005", "--month", "6"]), 1);
    assert_eq!(n(&["--year", "2004"]), 0);
}

#[test]
fn schema_command_prints_the_checked_in_schema() {
    let a = Archive::new();
    let printed: serde_json::Value = serde_json::from_str(&a.ok(&["schema"])).expect("json");
    let file = manifest_dir().join("../../schema/alert.schema.json");
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("schema file")).expect("json");
    assert_eq!(printed, on_disk);
}

#[test]
fn forced_re_import_of_the_same_page_is_no_revision() {
    let a = Archive::new();
    let page = fixture("ms05-999.txt");
    a.ok(&["import", s(&page)]);
    a.ok(&["edit", "MS05-999", "--set", "severity=1"]);
    // The page is older than the edit: stale, unless forced.
    let out = a.ok(&["import", s(&page)]);
    assert!(out.contains("not stored"), "{out}");
    let out = a.ok(&["import", "--force", s(&page)]);
    assert!(out.contains("revision 3"), "{out}");
    let out = a.ok(&["import", "--force", s(&page)]);
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(
        a.json(&["history", "MS05-999", "--json"])
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(a.json(&["show", "MS05-999", "--json"])["severity"], 2);
}

#[test]
fn alerts_in_json_go_from_one_archive_to_another() {
    let a = Archive::new();
    a.ok(&["import", "-q", s(&fixture("ms05-999.txt"))]);
    let shown = a.ok(&["show", "--json", "MS05-999"]);

    let b = Archive::new();
    let file = b.write("MS05-999.json", shown.as_bytes());
    let out = b.ok(&["import", s(&file)]);
    assert!(out.contains("MS05-999: stored as revision 1"), "{out}");
    assert_eq!(b.ok(&["show", "--json", "MS05-999"]), shown);
    let source = b.ok(&["show", "--source", "MS05-999"]);
    assert_eq!(source, shown, "the JSON document is kept as the source");
    // Importing it again, or into the archive it came from, changes nothing.
    assert!(b.ok(&["import", s(&file)]).contains("unchanged"));
    let back = a.write("MS05-999.json", shown.as_bytes());
    assert!(a.ok(&["import", s(&back)]).contains("unchanged"));

    // A misspelt key is refused with its place; the archive keeps revision 1.
    let typo = b.write(
        "typo.json",
        shown.replacen("\"severity\"", "\"severty\"", 1).as_bytes(),
    );
    let out = b.hfr(&["import", s(&typo)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("typo.json: line ") && err.contains("`severty`"),
        "{err}"
    );
    assert_eq!(b.ok(&["show", "--json", "MS05-999"]), shown);
    assert_eq!(
        b.json(&["history", "--json", "MS05-999"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn alerts_go_out_as_csaf_and_come_back_the_same() {
    let a = Archive::new();
    a.ok(&["import", "-q", s(&fixture("ms05-999.txt"))]);
    let shown = a.ok(&["show", "--json", "MS05-999"]);

    // To stdout, and into a directory under CSAF's file name.
    let doc: serde_json::Value =
        serde_json::from_str(&a.ok(&["export", "csaf", "ms05-999"])).expect("JSON");
    assert_eq!(doc["document"]["tracking"]["id"], "MS05-999");
    assert_eq!(
        doc["document"]["publisher"]["namespace"],
        "http://127.0.0.1:8080"
    );
    let dir = a.dir.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    let out = a.ok(&[
        "export",
        "csaf",
        "MS05-999",
        "--out",
        s(&dir),
        "--base-url",
        "https://hfr.example/",
    ]);
    assert!(out.contains("written as CSAF"), "{out}");
    let file = dir.join("ms05-999.json");
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        written["document"]["publisher"]["namespace"],
        "https://hfr.example"
    );
    assert_eq!(
        written["document"]["references"][0]["url"],
        "https://hfr.example/api/v1/alerts/MS05-999/csaf"
    );

    // Imported into another archive: the same alert, the CSAF kept as source.
    let b = Archive::new();
    let out = b.ok(&["import", s(&file)]);
    assert!(out.contains("MS05-999: stored as revision 1"), "{out}");
    assert_eq!(b.ok(&["show", "--json", "MS05-999"]), shown);
    assert!(b
        .ok(&["show", "--source", "MS05-999"])
        .contains("csaf_security_advisory"));
    assert!(a.ok(&["import", s(&file)]).contains("unchanged"));

    // What is not an advisory, and what is not there, are errors.
    let meta = b.write(
        "provider-metadata.json",
        br#"{"canonical_url": "https://x.example/.well-known/csaf/provider-metadata.json", "metadata_version": "2.0"}"#,
    );
    let out = b.hfr(&["import", s(&meta)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("provider's metadata"));
    let out = a.hfr(&["export", "csaf", "MS99-999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such alert"));
    assert_eq!(a.hfr(&["export", "xml", "MS05-999"]).status.code(), Some(2));
}

/// The demo data `scripts/run` serves: every file goes in, nothing is refused.
#[test]
fn the_demo_alerts_import_cleanly() {
    let dir = manifest_dir().join("../../demo/alerts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("demo/alerts")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    let a = Archive::new();
    let mut args = vec!["import"];
    args.extend(files.iter().map(|p| s(p)));
    let out = a.hfr(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("stored as revision 1").count(),
        5,
        "{stdout}"
    );
    let list = a.json(&["list", "--json"]);
    let ids: Vec<&str> = list["alerts"]
        .as_array()
        .or(list.as_array())
        .expect("a list")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    for id in ["MS04-035", "MS04-039", "MS04-045", "MS05-017", "MS06-035"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn publish_queues_once_and_names_unknown_alerts() {
    let a = Archive::new();
    a.ok(&["import", "-q", s(&fixture("ms05-999.txt"))]);
    let mail = [
        "--from",
        "HotFix Report <alerts@hfr.example.org>",
        "--base-url",
        "https://hfr.example.org",
    ];
    let mut args = vec!["publish", "ms05-999"];
    args.extend(mail);
    let out = a.ok(&args);
    assert!(
        out.contains("MS05-999: revision 1: HotFix Alert mail queued for 0 subscribers"),
        "{out}"
    );
    let out = a.ok(&args);
    assert!(out.contains("published before; nothing queued"), "{out}");
    assert!(a.ok(&["mail", "status"]).contains("the outbox is empty"));

    let mut args = vec!["publish", "MS99-999"];
    args.extend(mail);
    let out = a.hfr(&args);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MS99-999: no such alert"));

    let out = a.hfr(&[
        "publish",
        "MS05-999",
        "--from",
        "not an address",
        "--base-url",
        "https://x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a mailbox"));
}

#[test]
fn import_publish_queues_new_alerts_and_needs_the_mail_settings() {
    let a = Archive::new();
    let page = fixture("ms05-999.txt");
    // Without the mail settings nothing is stored.
    let out = a.hfr(&["import", "-q", "--publish", s(&page)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
    assert!(a.ok(&["list"]).lines().count() <= 1, "nothing stored");

    let out = a.ok(&[
        "import",
        "-q",
        "--publish",
        "--from",
        "alerts@hfr.example.org",
        "--base-url",
        "https://hfr.example.org",
        s(&page),
    ]);
    assert!(out.contains("MS05-999: stored as revision 1"), "{out}");
    assert!(
        out.contains("MS05-999: revision 1: HotFix Alert mail queued"),
        "{out}"
    );
}
