//! `hfr import` of vendor data as a user runs it: Microsoft's monthly
//! documents (CVRF XML and the API's JSON) and CSAF advisories, re-imports
//! of a revised month, and the files that must be refused quickly and with
//! bounded memory (a truncated month, a wrong namespace, a 1 GB file, a ZIP
//! bomb).
//!
//! The real months are read from `shared/data/msrc-cvrf` beside the
//! workspace; without them these tests print a notice and pass, except
//! under CI (`CI=true`), where they fail.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;

use common::*;

fn month(name: &str) -> Option<PathBuf> {
    let year = &name[..4];
    let year = if year == "Oct-" { "2016" } else { year };
    data(&format!("msrc-cvrf/{year}/cvrfDocument-{name}.xml"))
}

#[test]
fn a_month_becomes_a_release_and_one_alert_per_cve_kept_once() {
    let Some(mar) = month("2017-Mar") else { return };
    let a = Archive::new();
    let out = a.ok(&["import", "-q", s(&mar)]);
    assert!(
        out.contains("2017-Mar: release stored as revision 1; 135 alerts: 135 new"),
        "{out}"
    );
    assert_eq!(a.alerts(), 135);

    // The month as one page of the terminal, like a bulletin.
    let shown = a.ok(&["show", "2017-mar"]);
    assert!(shown.contains("March 2017 Security Updates"), "{shown}");
    assert!(shown.contains("CVE-2017-0144"));
    assert!(shown.contains("至急適用 (悪用が確認されている)"), "{shown}");
    let release = a.json(&["show", "--release", "2017-Mar", "--json"]);
    assert_eq!(release["revision"], "7");
    assert_eq!(release["alerts"].as_array().map(Vec::len), Some(135));

    // One alert, its action with the rule beside it, the vendor's facts.
    let cve = a.json(&["show", "CVE-2017-0144", "--json"]);
    assert_eq!(cve["release"], "2017-Mar");
    assert_eq!(cve["severity"], 1);
    assert!(cve["action_rule"].is_string());
    let text = a.ok(&["show", "CVE-2017-0144"]);
    assert!(text.contains("製品ごとの情報"), "{text}");
    assert!(text.contains("KB4012598"), "{text}");

    // The document is kept once, not once per CVE: both alerts give it
    // back whole, and the archive is a small multiple of it (135 copies
    // would be 350 MB).
    let doc = std::fs::read_to_string(&mar).expect("read");
    let one = a.ok(&["show", "--source", "CVE-2017-0144"]);
    let other = a.ok(&["show", "--source", "CVE-2017-0005"]);
    assert_eq!(
        one.trim_start_matches('\u{feff}'),
        doc.trim_start_matches('\u{feff}')
    );
    assert_eq!(one, other);
    let size = a.size();
    assert!(
        size < 5 * doc.len() as u64,
        "the archive is {size} bytes for a document of {}",
        doc.len()
    );

    // parse shows the same as JSON, stores nothing.
    let b = Archive::new();
    let parsed = b.json(&["parse", "-q", s(&mar)]);
    assert_eq!(parsed["release"]["id"], "2017-Mar");
    assert_eq!(parsed["alerts"].as_array().map(Vec::len), Some(135));
    assert_eq!(b.alerts(), 0);
}

#[test]
fn a_revised_month_makes_a_revision_only_where_a_fact_changed() {
    let Some(mar) = month("2017-Mar") else { return };
    let a = Archive::new();
    a.ok(&["import", "-q", s(&mar)]);
    // The analyst sets the action of another alert; the re-import keeps it.
    let edited = a.ok(&["edit", "CVE-2017-0143", "--set", "action=wait_for_sp"]);
    assert!(edited.contains("revision 2"), "{edited}");

    // Microsoft revises one remediation's supersedence.
    let doc = std::fs::read_to_string(&mar).expect("read");
    let old = "<vuln:Supercedence>3213986</vuln:Supercedence>";
    let at = doc.find(old).expect("a supersedence to change");
    let cve_start = doc[..at].rfind("<vuln:CVE>").expect("its CVE") + "<vuln:CVE>".len();
    let cve = &doc[cve_start..cve_start + doc[cve_start..].find('<').expect("end")];
    let mut revised = doc.clone();
    revised.replace_range(
        at..at + old.len(),
        "<vuln:Supercedence>3213987</vuln:Supercedence>",
    );
    let copy = a.write("cvrfDocument-2017-Mar-revised.xml", revised.as_bytes());
    let out = a.ok(&["import", "-q", "--json", s(&copy)]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let alerts = v[0]["alerts"].as_array().expect("alerts");
    let revised: Vec<&serde_json::Value> = alerts
        .iter()
        .filter(|o| o["outcome"] != "unchanged")
        .collect();
    assert_eq!(revised.len(), 1, "{revised:?}");
    assert_eq!(revised[0]["id"], cve);
    assert_eq!(revised[0]["outcome"], "revised");
    assert_eq!(revised[0]["revision"], 2);
    assert_eq!(v[0]["release"]["outcome"], "unchanged");

    let history = a.ok(&["history", cve, "--changes"]);
    assert!(
        history.contains(".supersedence: \"3213986\" → \"3213987\""),
        "{history}"
    );
    assert!(
        history.contains("cvrfDocument-2017-Mar-revised.xml"),
        "{history}"
    );
    // The analyst's action survived.
    let kept = a.json(&["show", "CVE-2017-0143", "--json"]);
    assert_eq!(kept["action"], "wait_for_sp");
    assert_eq!(kept["action_rule"], "analyst");
    // Importing the revised copy again is no revision.
    let again = a.ok(&["import", "-q", s(&copy)]);
    assert!(again.contains("0 revised, 135 unchanged"), "{again}");
}

#[test]
fn the_json_of_msrcs_api_is_read_and_a_revision_is_published_as_an_update() {
    let a = Archive::new();
    let json = fixture("msrc-2099-jan.json");
    a.ok(&["mail", "subscribe", "--confirmed", "reader@example.org"]);
    let mail = [
        "--from",
        "alerts@hfr.example.org",
        "--base-url",
        "https://hfr.example.org",
    ];
    let mut args = vec!["import", "--publish"];
    args.extend(mail);
    args.push(s(&json));
    let out = a.ok(&args);
    assert!(
        out.contains("2099-Jan: release stored as revision 1; 2 alerts: 2 new"),
        "{out}"
    );
    assert!(
        out.contains("CVE-2099-0001: revision 1: HotFix Alert mail queued for 1 subscribers"),
        "{out}"
    );
    let cve = a.json(&["show", "CVE-2099-0001", "--json"]);
    assert_eq!(cve["action"], "apply_now");
    assert_eq!(cve["action_rule"], "exploited");
    assert_eq!(cve["exploit_code"], true);
    let history = a.json(&["history", "CVE-2099-0001", "--json"]);
    assert_eq!(history[0]["source"]["format"], "msrc-cvrf-json");

    // The vendor revises one fact: one update mail, for that alert only.
    let text = std::fs::read_to_string(&json).expect("read");
    let revised = a.write(
        "msrc-2099-jan-v2.json",
        text.replace(
            "\"Supercedence\": \"4098001\"",
            "\"Supercedence\": \"4098002\"",
        )
        .as_bytes(),
    );
    let mut args = vec!["import", "--publish"];
    args.extend(mail);
    args.push(s(&revised));
    let out = a.ok(&args);
    assert!(out.contains("1 revised, 1 unchanged"), "{out}");
    assert!(
        out.contains("CVE-2099-0001: revision 2: update mail queued for 1 subscribers"),
        "{out}"
    );
    assert!(!out.contains("CVE-2099-0002: revision"), "{out}");

    // The format can be named; the wrong one is an error naming the file.
    a.ok(&["parse", "-q", "--format", "msrc-json", s(&json)]);
    let err = a.fails(&["parse", "--format", "cvrf", s(&json)]);
    assert!(err.contains("msrc-2099-jan.json"), "{err}");
    let err = a.fails(&["parse", "--format", "csaf", s(&json)]);
    assert!(err.contains("CSAF"), "{err}");
    assert_eq!(
        a.hfr(&["parse", "--format", "xml", s(&json)]).status.code(),
        Some(2)
    );
}

#[test]
fn csaf_advisories_of_other_providers_are_imported_after_their_checks() {
    let Some(dir) = data("csaf/examples") else {
        return;
    };
    let a = Archive::new();
    let out = a.ok(&[
        "import",
        "-q",
        s(&dir.join("bsi-2022-0001.json")),
        s(&dir.join("rhsa-2021_5217.json")),
    ]);
    assert_eq!(out.matches("stored as revision 1").count(), 2, "{out}");
    let history = a.json(&["history", "BSI-2022-0001", "--json"]);
    assert_eq!(history[0]["source"]["format"], "csaf");

    // A provider's lists are not advisories: hfr sync fetches what they list.
    for list in [
        "example-01-provider-metadata.json",
        "example-01-feed-tlp-white.json",
    ] {
        let err = a.fails(&["import", s(&dir.join(list))]);
        assert!(err.contains("hfr sync"), "{err}");
    }

    // A finding in a part the alert is made of refuses the advisory, with
    // the test and the JSON pointer; one in a part hfr does not read is a
    // warning.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("bsi-2022-0001.json")).expect("read"))
            .expect("JSON");
    doc["document"]["tracking"]["id"] = "BSI-2022-9999".into();
    doc["document"]["lang"] = "not a language!".into();
    let warned = a.write("lang.json", &serde_json::to_vec(&doc).expect("JSON"));
    let out = a.hfr(&["import", s(&warned)]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/document/lang"), "{err}");
    doc["product_tree"]["full_product_names"] = serde_json::json!([
        {"name": "A", "product_id": "CSAFPID-X"},
        {"name": "B", "product_id": "CSAFPID-X"}
    ]);
    doc["document"]["tracking"]["id"] = "BSI-2022-9998".into();
    let refused = a.write("dup.json", &serde_json::to_vec(&doc).expect("JSON"));
    let err = a.fails(&["import", s(&refused)]);
    assert!(err.contains("fails CSAF test"), "{err}");
    assert!(err.contains("at /product_tree/"), "{err}");
    assert!(a.hfr(&["show", "BSI-2022-9998"]).status.code() == Some(1));
}

#[test]
fn a_truncated_month_or_a_wrong_namespace_is_an_error_and_nothing_is_stored() {
    let (Some(mar), Some(feb)) = (month("2017-Mar"), month("2017-Feb")) else {
        return;
    };
    let a = Archive::new();
    let doc = std::fs::read(&mar).expect("read");
    let cut = a.write("cut.xml", &doc[..doc.len() / 2]);
    let err = a.fails(&["import", s(&feb), s(&cut)]);
    assert!(err.contains("cut.xml"), "{err}");
    assert!(err.contains("cut short"), "{err}");
    assert!(err.contains("nothing was stored"), "{err}");
    assert_eq!(a.alerts(), 0);
    assert!(a.hfr(&["show", "2017-Feb"]).status.code() == Some(1));

    let text = std::fs::read_to_string(&feb).expect("read");
    let wrong = a.write(
        "wrong-ns.xml",
        text.replace(
            "http://www.icasi.org/CVRF/schema/cvrf/1.1",
            "http://www.icasi.org/CVRF/schema/cvrf/1.2",
        )
        .as_bytes(),
    );
    let err = a.fails(&["import", s(&wrong)]);
    assert!(err.contains("wrong-ns.xml"), "{err}");
    assert!(
        err.contains("not cvrfdoc in the CVRF 1.1 namespace"),
        "{err}"
    );
    assert_eq!(a.alerts(), 0);

    // With --keep-going the good month goes in alone.
    let out = a.hfr(&["import", "-q", "--keep-going", s(&feb), s(&cut)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2017-Feb: release stored"));
}

/// Runs hfr with its address space limited to `mib` MiB: a reader that
/// took the whole of a huge file into memory would fail to allocate.
fn bounded(a: &Archive, mib: u64, args: &[&str]) -> (Output, Duration) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mib * 1024))
        .arg(env!("CARGO_BIN_EXE_hfr"))
        .arg("--db")
        .arg(a.db())
        .args(args);
    let start = Instant::now();
    let out = cmd.output().expect("run hfr");
    (out, start.elapsed())
}

#[test]
fn a_huge_file_is_refused_quickly_in_bounded_memory() {
    let a = Archive::new();
    let big = a.dir.path().join("disk.img");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(1 << 30).expect("a sparse file of 1 GiB");
    drop(f);

    // Within the default limit nothing of it is read.
    let (out, took) = bounded(&a, 512, &["import", s(&big)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("1073741824 bytes is larger than the limit"),
        "{err}"
    );
    assert!(err.contains("--max-size"), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // With a limit above its size, its first bytes are enough to refuse it.
    let (out, took) = bounded(&a, 512, &["import", "--max-size", "2G", s(&big)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("binary data"), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // The limit also holds for a file that has no size to look at first.
    let small = a.write("page.txt", &vec![b'x'; 4096]);
    let err = a.fails(&["parse", "--max-size", "1K", s(&small)]);
    assert!(err.contains("larger than the limit of 1024 bytes"), "{err}");
    assert_eq!(a.alerts(), 0);
}

/// A ZIP archive of one entry that inflates to `size` zero bytes: a small
/// file (a few kilobytes per 10 MiB) that would take all memory to unpack.
fn zip_bomb(size: usize) -> Vec<u8> {
    let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut crc = flate2::Crc::new();
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        deflated.write_all(&chunk[..n]).expect("deflate");
        crc.update(&chunk[..n]);
        left -= n;
    }
    let data = deflated.finish().expect("deflate");
    let name = b"cvrfDocument-2017-Mar.xml";
    let (crc, size, packed) = (crc.sum(), size as u32, data.len() as u32);
    let mut zip = Vec::new();
    let mut local = Vec::new();
    local.extend_from_slice(b"PK\x03\x04");
    local.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
    local.extend_from_slice(&crc.to_le_bytes());
    local.extend_from_slice(&packed.to_le_bytes());
    local.extend_from_slice(&size.to_le_bytes());
    local.extend_from_slice(&(name.len() as u16).to_le_bytes());
    local.extend_from_slice(&0u16.to_le_bytes());
    local.extend_from_slice(name);
    zip.extend_from_slice(&local);
    zip.extend_from_slice(&data);
    let central_at = zip.len() as u32;
    let mut central = Vec::new();
    central.extend_from_slice(b"PK\x01\x02");
    central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
    central.extend_from_slice(&crc.to_le_bytes());
    central.extend_from_slice(&packed.to_le_bytes());
    central.extend_from_slice(&size.to_le_bytes());
    central.extend_from_slice(&(name.len() as u16).to_le_bytes());
    central.extend_from_slice(&[0; 12]);
    central.extend_from_slice(&0u32.to_le_bytes());
    central.extend_from_slice(name);
    zip.extend_from_slice(&central);
    zip.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
    zip.extend_from_slice(&(central.len() as u32).to_le_bytes());
    zip.extend_from_slice(&central_at.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

#[test]
fn a_zip_bomb_and_compressed_data_are_refused_unopened() {
    let a = Archive::new();
    let bomb = zip_bomb(256 << 20);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let zip = a.write("2017-Mar.zip", &bomb);
    let (out, took) = bounded(&a, 512, &["import", s(&zip)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("2017-Mar.zip: a ZIP archive, not a document; unpack it first"),
        "{err}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");

    // The same data gzipped, told by its magic too, even under a name
    // that says otherwise and with the format given.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&vec![0u8; 1 << 20]).expect("gzip");
    let gz = a.write("month.xml", &gz.finish().expect("gzip"));
    let err = a.fails(&["import", "--format", "cvrf", s(&gz)]);
    assert!(err.contains("gzip-compressed data"), "{err}");
    assert_eq!(a.alerts(), 0);
}
