//! Reading inventories: the schema and the example files stay current,
//! CSV reads like JSON, and bad records are rejected one by one with the
//! record, the machine and the field named.

mod common;

use common::*;
use hfr_fleet::{parse_csv, parse_json, Format, InventoryError, Status};
use serde_json::json;

fn update_or_compare(path: &std::path::Path, generated: &str, how: &str) {
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, generated).expect("write");
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{} is out of date: run `{how}`",
        path.display()
    );
}

/// `schema/inventory.schema.json` is what the types generate.
/// Regenerate with `UPDATE_SCHEMA=1 cargo test -p hfr-fleet`.
#[test]
fn checked_in_schema_matches_the_types() {
    let generated =
        serde_json::to_string_pretty(&hfr_fleet::inventory_json_schema()).expect("json") + "\n";
    update_or_compare(
        &repo().join("schema/inventory.schema.json"),
        &generated,
        "UPDATE_SCHEMA=1 cargo test -p hfr-fleet",
    );
}

/// `demo/inventory.json` and `demo/inventory.csv` are the template.
#[test]
fn demo_inventories_are_the_template() {
    let inv = hfr_fleet::template();
    let json = serde_json::to_string_pretty(&inv).expect("json") + "\n";
    update_or_compare(
        &repo().join("demo/inventory.json"),
        &json,
        "UPDATE_SCHEMA=1 cargo test -p hfr-fleet",
    );
    let csv = hfr_fleet::inventory::to_csv(&inv.machines);
    update_or_compare(
        &repo().join("demo/inventory.csv"),
        &csv,
        "UPDATE_SCHEMA=1 cargo test -p hfr-fleet",
    );
}

#[test]
fn csv_reads_like_json() {
    let inv = hfr_fleet::template();
    let from_json = parse_json(&serde_json::to_vec(&inv).expect("json")).expect("json inventory");
    let csv = hfr_fleet::inventory::to_csv(&inv.machines);
    let from_csv = parse_csv(csv.as_bytes()).expect("csv inventory");
    assert!(from_csv.rejects.is_empty(), "{:?}", from_csv.rejects);
    assert_eq!(from_csv.machines.len(), from_json.machines.len());
    for (a, b) in from_json.machines.iter().zip(&from_csv.machines) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.os, b.os);
        assert_eq!(a.products, b.products);
        assert_eq!(a.components, b.components);
        assert_eq!(a.updates, b.updates);
        assert_eq!(a.registry_keys, b.registry_keys);
        let versions = |m: &hfr_fleet::Machine| {
            m.files.as_ref().map(|fs| {
                fs.iter()
                    .map(|f| (f.name.clone(), f.version))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(versions(a), versions(b), "{}", a.name);
    }
    // Same answers.
    let alerts = demo_alerts();
    let rj = hfr_fleet::check(&alerts, &from_json.machines);
    let rc = hfr_fleet::check(&alerts, &from_csv.machines);
    for m in 0..rj.machines.len() {
        for a in 0..alerts.len() {
            assert_eq!(rj.status(m, a), rc.status(m, a));
        }
    }
    assert_eq!(Format::detect(Some("fleet.CSV"), b"{"), Format::Csv);
    assert_eq!(
        Format::detect(None, b"\xEF\xBB\xBF  {\"machines\":[]}"),
        Format::Json
    );
    assert_eq!(Format::detect(None, b"name,os\n"), Format::Csv);
}

#[test]
fn csv_details() {
    let text = "\u{feff}Name,OS,Service_Pack,Components,Updates,Files,Role\n\
        pc1,Windows XP Professional,SP2,-,KB917159;KB896422,srv.sys=5.1.2600.2893,client\n\
        pc2,\"Windows Server 2003, Enterprise Edition\",SP1,smtp; iis,,,server\n\
        pc3,Windows XP Professional,SP2,,,srv.sys,client\n\
        pc4,Windows XP Professional,SP2,,,,desk\n\
        pc5,Windows XP Professional,SP2,,,,client,extra\n";
    let p = parse_csv(text.as_bytes()).expect("csv");
    let names: Vec<&str> = p.machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["pc1", "pc2"]);
    assert_eq!(p.machines[0].components.as_deref(), Some(&[][..]));
    assert_eq!(p.machines[0].updates.as_ref().map(Vec::len), Some(2));
    assert_eq!(p.machines[1].components.as_ref().map(Vec::len), Some(2));
    assert_eq!(p.machines[1].updates, None);
    assert_eq!(
        p.machines[1].os.edition.as_deref(),
        Some("Enterprise Edition")
    );
    let rej: Vec<(Option<u64>, &str, &str)> = p
        .rejects
        .iter()
        .map(|r| (r.line, r.name.as_deref().unwrap_or(""), r.field.as_str()))
        .collect();
    assert_eq!(
        rej,
        [
            (Some(4), "pc3", "files[0]"),
            (Some(5), "pc4", "role"),
            (Some(6), "pc5", "(row)")
        ]
    );
    assert!(
        p.rejects[0]
            .to_string()
            .starts_with("line 4 (pc3): files[0]:"),
        "{}",
        p.rejects[0]
    );

    for (bad, want) in [
        ("os,service_pack\nWindows XP,SP2\n", "no \"name\" column"),
        (
            "name,os,colour\npc,Windows XP,red\n",
            "unknown CSV column \"colour\"",
        ),
        ("name,os,name\n", "appears twice"),
    ] {
        match parse_csv(bad.as_bytes()) {
            Err(InventoryError::Shape(m)) => assert!(m.contains(want), "{m}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn bad_records_are_rejected_with_record_and_field() {
    let doc = json!({"machines": [
        {"name": "good", "os": "Windows 2000 Server", "service_pack": "SP4"},
        {"name": 5, "os": "Windows 2000 Server"},
        {"name": "bad-version", "os": "Windows 2000 Server", "files": [{"name": "wins.exe", "version": "5.0.x"}]},
        {"name": "bad-type", "os": "Windows 2000 Server", "files": [{"name": "wins.exe", "version": 5}]},
        {"name": "unknown-os", "os": "Windows 2000 Serv"},
        {"name": "app-as-os", "os": "Exchange Server 2003"},
        {"name": "GOOD", "os": "Windows XP Professional"},
        {"name": "typo", "os": "Windows XP Professional", "updtes": ["KB1"]},
        {"name": "bad-kb", "os": "Windows XP Professional", "updates": ["KB917159", "MS06-035"]},
        {"name": "bad-sp", "os": "Windows XP Professional", "service_pack": "SP3以降"},
        {"name": "bad-arch", "os": "Windows XP Professional", "arch": "amd64"},
        {"name": "sp-conflict", "os": "Windows XP Professional SP1", "service_pack": "SP2"},
        {"name": "unknown-product", "os": "Windows XP Professional", "products": ["Contoso Widget 2.0"], "components": ["Contoso Agent", "MSMQ"]},
        {"name": "bad-product", "os": "Windows XP Professional", "products": [{"name": "Office 2003", "service_pack": 3}]},
        "not an object",
        {"name": "no-os"},
        {"name": "", "os": "Windows XP Professional"},
        {"name": "list-os", "os": "Windows XP SP1/SP2"},
        {"name": "dup-file", "os": "Windows XP Professional", "files": [{"name": "a.dll", "version": "1.0"}, {"name": "A.DLL", "version": "2.0"}]}
    ]});
    let p = parse_json(doc.to_string().as_bytes()).expect("an inventory");
    let names: Vec<&str> = p.machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["good", "unknown-product"]);
    let rej: Vec<(usize, Option<&str>, &str)> = p
        .rejects
        .iter()
        .map(|r| (r.index, r.name.as_deref(), r.field.as_str()))
        .collect();
    assert_eq!(
        rej,
        [
            (1, None, "name"),
            (2, Some("bad-version"), "files[0].version"),
            (3, Some("bad-type"), "files[0].version"),
            (4, Some("unknown-os"), "os"),
            (5, Some("app-as-os"), "os"),
            (6, Some("GOOD"), "name"),
            (7, Some("typo"), "updtes"),
            (8, Some("bad-kb"), "updates[1]"),
            (9, Some("bad-sp"), "service_pack"),
            (10, Some("bad-arch"), "arch"),
            (11, Some("sp-conflict"), "service_pack"),
            (13, Some("bad-product"), "products[0].service_pack"),
            (14, None, "(record)"),
            (15, Some("no-os"), "os"),
            (16, None, "name"),
            (17, Some("list-os"), "os"),
            (18, Some("dup-file"), "files"),
        ],
        "{:#?}",
        p.rejects
    );
    let msg = |i: usize| p.rejects[i].to_string();
    assert!(
        msg(0).contains("invalid type: integer `5`, expected a string"),
        "{}",
        msg(0)
    );
    assert!(!msg(0).contains("line 1 column"), "{}", msg(0));
    assert!(
        msg(1).starts_with(
            "machines[2] (bad-version): files[0].version: \"5.0.x\" is not a file version"
        ),
        "{}",
        msg(1)
    );
    assert!(
        msg(3).contains("not an operating system hfr's product catalogue knows"),
        "{}",
        msg(3)
    );
    assert!(
        msg(5).contains("is already used by machines[0]"),
        "{}",
        msg(5)
    );
    assert!(msg(6).contains("unknown field `updtes`"), "{}", msg(6));
    // Unknown products and components are kept, with warnings.
    let w: Vec<&str> = p.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(w, ["products[0]", "components[0]"]);

    // The valid machines are still checked, the rejects carried along.
    let checker = hfr_fleet::Checker::new(&demo_alerts());
    let r = hfr_fleet::check_inventory(&checker, p, &hfr_fleet::Options::default());
    assert_eq!(r.machines.len(), 2);
    assert_eq!(r.rejects.len(), 17);
    assert_eq!(r.status_of("good", "MS06-035"), Some(Status::Unknown));
}

#[test]
fn whole_file_errors() {
    for (bad, want) in [
        (&b"not json"[..], "JSON error at line 1"),
        (br#"{"computers": []}"#, "unknown field `computers`"),
        (br#"{"machines": {}}"#, "invalid type: map"),
        (b"{\"machines\": [\xff]}", "not UTF-8"),
    ] {
        let e = parse_json(bad).expect_err("not an inventory");
        assert!(e.to_string().contains(want), "{e}");
    }
    let p = parse_json(br#"{"machines": []}"#).expect("empty is fine");
    assert!(p.machines.is_empty() && p.rejects.is_empty());
    // Oversized input is refused before it is parsed.
    let big = vec![b' '; hfr_fleet::MAX_INVENTORY_BYTES as usize + 1];
    assert_eq!(
        parse_json(&big).expect_err("too large"),
        InventoryError::TooLarge {
            limit: hfr_fleet::MAX_INVENTORY_BYTES
        }
    );
}

/// A large inventory is checked for UTF-8 in two halves at once: a bad
/// byte is found at its offset in either half, and a character the split
/// would cut in two is not mistaken for one.
#[test]
fn large_inventories_are_checked_for_utf8_in_halves() {
    // Over 16 MiB, the size from which the halves are checked apart.
    let record = r#"{"name": "PC-01", "os": "Windows XP Professional", "service_pack": "SP2"}"#;
    let mut split_inside = false;
    for extra in ["", "x", "xx"] {
        // Two-byte characters throughout the middle, with zero to two
        // ASCII bytes before them: at least one of the three has the
        // middle of the file inside a character.
        let filler = "é".repeat(9 << 20);
        let text = format!(r#"{{"collected": "{extra}{filler}", "machines": [{record}]}}"#);
        split_inside |= text.as_bytes()[text.len() / 2] & 0xC0 == 0x80;
        let parsed = parse_json(text.as_bytes()).expect("valid UTF-8 across the split");
        assert_eq!(parsed.machines.len(), 1);

        for at in [text.len() / 4, text.len() / 2 + 1001, text.len() - 20] {
            let mut bytes = text.clone().into_bytes();
            // A lone continuation byte where a character should start.
            let start = (at..).find(|&i| bytes[i] & 0xC0 != 0x80).expect("a start");
            bytes[start] = 0x80;
            match parse_json(&bytes) {
                Err(InventoryError::NotUtf8 { offset }) => assert_eq!(offset, start, "{extra:?}"),
                other => panic!("{extra:?} {at}: {:?}", other.map(|p| p.machines.len())),
            }
        }
    }
    assert!(split_inside);
}
