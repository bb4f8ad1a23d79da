//! The mandatory checks against the OASIS validator test data, and unit
//! tests of the parsers and the CVSS calculator they rest on.
//!
//! The table-driven test reads `csaf/validator-tests/testcases.json` from
//! `shared/data` beside the workspace: every failing file of the mandatory
//! group must be flagged by its own test id with a JSON pointer, every valid
//! file must pass both `mandatory` and `shape`. Without the data the test is
//! skipped with a notice, except under CI (`CI=true`), where that is a
//! failure.

use std::path::PathBuf;

use hfr_csaf::checks::cvss::{severity, Cvss2, Cvss3};
use hfr_csaf::checks::{bcp47, mandatory, purl, shape, Finding, MANDATORY_TESTS};
use serde_json::{json, Value};

fn test_data() -> Option<PathBuf> {
    // Resolved at run time: a test binary can outlive the checkout it was
    // built in when checkouts share a target directory.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let dir = crate_dir.join("../../../shared/data/csaf/validator-tests");
    if dir.join("testcases.json").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "the CSAF validator test data is missing: expected {}/testcases.json",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("notice: {msg}; skipping this test");
    None
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is no JSON: {e}", path.display()))
}

/// (test id, file name, expected valid) for the mandatory group.
fn cases(dir: &std::path::Path) -> Vec<(String, String, bool)> {
    let index = read_json(&dir.join("testcases.json"));
    let mut out = Vec::new();
    for t in index["tests"].as_array().expect("tests array") {
        if t["group"] != "mandatory" {
            continue;
        }
        let id = t["id"].as_str().expect("test id").to_owned();
        for (list, valid) in [("failures", false), ("valid", true)] {
            for f in t[list].as_array().into_iter().flatten() {
                let name = f["name"].as_str().expect("file name").to_owned();
                out.push((id.clone(), name, valid));
            }
        }
    }
    out
}

#[test]
fn validator_test_data() {
    let Some(dir) = test_data() else { return };
    let cases = cases(&dir);
    let (mut failing, mut flagged, mut valid, mut clean, mut findings) = (0, 0, 0, 0, 0);
    let mut problems = Vec::new();
    let mut ids_seen = std::collections::BTreeSet::new();
    for (id, name, expect_valid) in &cases {
        ids_seen.insert(id.clone());
        let doc = read_json(&dir.join(name));
        let got: Vec<Finding> = mandatory(&doc);
        let structure = shape(&doc);
        findings += got.len() + structure.len();
        if *expect_valid {
            valid += 1;
            if got.is_empty() && structure.is_empty() {
                clean += 1;
            } else {
                let all: Vec<String> = got
                    .iter()
                    .chain(&structure)
                    .map(|f| f.to_string())
                    .collect();
                problems.push(format!("{name} (valid for {id}) was flagged: {all:?}"));
            }
        } else {
            failing += 1;
            let own: Vec<&Finding> = got.iter().filter(|f| f.test == id).collect();
            if own.is_empty() {
                let all: Vec<String> = got.iter().map(|f| f.to_string()).collect();
                problems.push(format!(
                    "{name} (fails {id}) not flagged by {id}; got {all:?}"
                ));
            } else if own.iter().any(|f| !f.pointer.starts_with('/')) {
                problems.push(format!(
                    "{name}: a {id} finding has no JSON pointer: {own:?}"
                ));
            } else {
                flagged += 1;
                println!("{name}: {}", own[0]);
            }
        }
    }
    println!(
        "CSAF validator test data: {} files checked, {findings} findings; \
         failing files flagged by their own test: {flagged}/{failing}; valid files clean: {clean}/{valid}",
        failing + valid
    );
    // Every test id of the standard has test data, and we know them all.
    let ours: std::collections::BTreeSet<String> =
        MANDATORY_TESTS.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        ids_seen, ours,
        "test ids in testcases.json vs MANDATORY_TESTS"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A minimal security advisory (the one of the research notes), valid.
fn minimal() -> Value {
    json!({"document":{"category":"csaf_security_advisory","csaf_version":"2.0","lang":"ja",
      "publisher":{"category":"other","name":"HotFix Report","namespace":"https://hfr.example.org"},
      "title":"Windows SMB の脆弱性 (CVE-2017-0144)",
      "tracking":{"id":"CVE-2017-0144","status":"final","version":"1",
        "initial_release_date":"2017-03-14T07:00:00.000Z","current_release_date":"2017-03-14T07:00:00.000Z",
        "revision_history":[{"number":"1","date":"2017-03-14T07:00:00.000Z","summary":"Initial version."}]}},
     "product_tree":{"full_product_names":[{"name":"Windows 7 for x64-based Systems Service Pack 1","product_id":"10048"}]},
     "vulnerabilities":[{"cve":"CVE-2017-0144",
      "notes":[{"category":"description","text":"A remote code execution vulnerability exists in SMBv1."}],
      "product_status":{"known_affected":["10048"]},
      "remediations":[{"category":"vendor_fix","details":"4012212","product_ids":["10048"],
        "url":"https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB4012212","restart_required":{"category":"machine"}}],
      "scores":[{"products":["10048"],"cvss_v3":{"version":"3.0","vectorString":"CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
        "baseScore":8.1,"baseSeverity":"HIGH","temporalScore":7.3,"temporalSeverity":"HIGH"}}],
      "threats":[{"category":"impact","details":"Remote Code Execution","product_ids":["10048"]}]}]})
}

#[test]
fn minimal_advisory_passes() {
    let doc = minimal();
    assert_eq!(mandatory(&doc), vec![]);
    assert_eq!(shape(&doc), vec![]);
}

#[test]
fn findings_display_test_pointer_and_message() {
    let mut doc = minimal();
    doc["vulnerabilities"][0]["product_status"]["known_affected"][0] = json!("nope");
    let got = mandatory(&doc);
    let text: Vec<String> = got.iter().map(ToString::to_string).collect();
    assert!(
        text.contains(
            &"6.1.1 at /vulnerabilities/0/product_status/known_affected/0: product id nope is not defined in the product tree"
                .to_owned()
        ),
        "{text:?}"
    );
}

/// Input that is not CSAF at all: no panic, and `shape` says where.
#[test]
fn anything_else_gets_pointers_not_panics() {
    let odd = [
        json!(null),
        json!([1, 2]),
        json!("csaf"),
        json!({}),
        json!({"document": 5, "product_tree": [], "vulnerabilities": {"a": 1}}),
        json!({"document": {"tracking": {"revision_history": [null, 3, {"number": 7, "date": []}],
            "version": {}}, "category": "csaf_vex", "lang": 1},
            "product_tree": {"branches": [{"branches": "x"}, 4], "relationships": [{"product_reference": []}],
                "product_groups": [{"group_id": 1, "product_ids": "a"}]},
            "vulnerabilities": [null, {"scores": [{"cvss_v3": "x", "cvss_v2": {"vectorString": 3}},
                {"cvss_v3": {"vectorString": "CVSS:3.1/AV:N/AV:N"}}],
                "product_status": {"known_affected": [1, null]}, "flags": [1], "remediations": {}}]}),
    ];
    for doc in &odd {
        let _ = mandatory(doc);
        let s = shape(doc);
        assert!(!s.is_empty(), "{doc}");
        assert!(
            s.iter()
                .all(|f| f.test == "schema" && (f.pointer.is_empty() || f.pointer.starts_with('/'))),
            "{s:?}"
        );
    }
    let s = shape(&json!({}));
    assert_eq!(
        s[0].to_string(),
        "schema at /document: is required but missing"
    );
    let s = shape(&json!(null));
    assert_eq!(s[0].pointer, "");
    assert_eq!(s[0].to_string(), "schema at /: must be an object, not null");
}

#[test]
fn shape_reports_types_enums_and_formats() {
    let mut doc = minimal();
    doc["document"]["csaf_version"] = json!("2.1");
    doc["document"]["tracking"]["current_release_date"] = json!("yesterday");
    doc["document"]["tracking"]["version"] = json!("1.0");
    doc["document"]["publisher"]["namespace"] = json!("not a uri");
    doc["vulnerabilities"][0]["notes"][0]["category"] = json!("remark");
    doc["vulnerabilities"][0]["remediations"][0]
        .as_object_mut()
        .expect("object")
        .remove("details");
    doc["vulnerabilities"][0]["product_status"]["known_affected"] = json!(["10048", "10048"]);
    let got: Vec<String> = shape(&doc).iter().map(|f| f.pointer.clone()).collect();
    for want in [
        "/document/csaf_version",
        "/document/publisher/namespace",
        "/document/tracking/current_release_date",
        "/document/tracking/version",
        "/vulnerabilities/0/notes/0/category",
        "/vulnerabilities/0/product_status/known_affected/1",
        "/vulnerabilities/0/remediations/0/details",
    ] {
        assert!(got.contains(&want.to_owned()), "{want} not in {got:?}");
    }
}

#[test]
fn cvss_v3_scores_match_the_first_calculator() {
    // (vector, base, temporal, environmental); values from FIRST's
    // cvsscalc30.js / cvsscalc31.js.
    let cases = [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, 9.8, 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, 10.0, 10.0),
        ("CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H", 6.5, 6.5, 6.5),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, 6.4, 6.4),
        ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 8.1, 7.3, 7.3),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, 0.0, 0.0),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:N/CR:X/IR:X/AR:X/MAV:L/MAC:H/MPR:X/MUI:N/MS:X/MC:X/MI:X/MA:X",
            4.3,
            4.3,
            2.5,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H/CR:X/IR:X/AR:X/MAV:L/MAC:H/MPR:X/MUI:N/MS:C/MC:X/MI:X/MA:X",
            7.2,
            7.2,
            7.6,
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:L/CR:X/IR:X/AR:X/MAV:A/MAC:L/MPR:X/MUI:N/MS:U/MC:X/MI:X/MA:X",
            8.3,
            8.3,
            7.6,
        ),
    ];
    for (vector, base, temporal, environmental) in cases {
        let s = Cvss3::parse(vector)
            .unwrap_or_else(|e| panic!("{vector}: {e}"))
            .scores();
        assert_eq!(
            (s.base, s.temporal, s.environmental),
            (base, temporal, environmental),
            "{vector}"
        );
    }
    assert_eq!(severity(0.0), "NONE");
    assert_eq!(severity(3.9), "LOW");
    assert_eq!(severity(4.0), "MEDIUM");
    assert_eq!(severity(8.9), "HIGH");
    assert_eq!(severity(9.0), "CRITICAL");
    for bad in [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "AV:N/AC:L/Au:N/C:C/I:C/A:C",
    ] {
        assert!(Cvss3::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn cvss_v2_scores_match_the_guide() {
    // The worked examples of the CVSS v2 guide, section 3.3.
    let cases = [
        (
            "AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H",
            7.8,
            6.4,
            9.2,
        ),
        (
            "AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:L",
            10.0,
            8.3,
            9.0,
        ),
        (
            "AV:L/AC:H/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:M",
            6.2,
            4.9,
            7.5,
        ),
        ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, 10.0, 10.0),
        ("AV:L/AC:L/Au:M/C:C/I:C/A:C", 6.5, 6.5, 6.5),
    ];
    for (vector, base, temporal, environmental) in cases {
        let s = Cvss2::parse(vector)
            .unwrap_or_else(|e| panic!("{vector}: {e}"))
            .scores();
        assert_eq!(
            (s.base, s.temporal, s.environmental),
            (base, temporal, environmental),
            "{vector}"
        );
    }
    // csaf-validator-lib's fixed-point environmental score, accepted too.
    let c = Cvss2::parse("AV:N/AC:H/Au:M/C:N/I:P/A:C").expect("vector");
    assert_eq!((c.scores().base, c.environmental_fixed_point()), (5.3, 5.2));
    for bad in [
        "AV:N/AC:L/Au:N/C:C/I:C",
        "AV:N/AC:L/Au:N/C:C/I:C/A:X",
        "(AV:N/AC:L/Au:N/C:C/I:C/A:C)",
    ] {
        assert!(Cvss2::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn bcp47_tags() {
    for ok in [
        "en",
        "EN-us",
        "de-DE",
        "ja",
        "zh-Hant-TW",
        "sr-Latn-RS",
        "es-419",
        "zh-yue-HK",
        "de-CH-1996",
        "x-whatever",
        "i-default",
        "en-GB-oed",
        "en-US-u-ca-gregory",
        "qaa",
        "en-US-x-twain",
        "gsw",
    ] {
        assert!(
            bcp47::validate(ok).is_ok(),
            "{ok}: {:?}",
            bcp47::validate(ok)
        );
    }
    // Well formed, but not valid.
    for (tag, why) in [
        ("EZ", "`ez` is not a registered language subtag"),
        ("abcd", "`abcd` is not a registered language subtag"),
        ("en-Xyzw", "`xyzw` is not a registered script subtag"),
        ("en-OO", "`oo` is not a registered region subtag"),
        (
            "en-yue",
            "`yue` is not a registered extended language subtag for `en`",
        ),
        ("de-1996-1996", "the variant `1996` appears twice"),
        ("en-a-bbb", "`a` is not a registered extension singleton"),
    ] {
        assert!(
            bcp47::well_formed(tag).is_ok(),
            "{tag} should be well formed"
        );
        assert_eq!(bcp47::validate(tag).err().as_deref(), Some(why), "{tag}");
    }
    for bad in [
        "",
        "e",
        "en-",
        "en--US",
        "en_US",
        "toolongtag",
        "x",
        "en-x",
        "en-US-US",
        "de-419-DE",
        "1en",
    ] {
        assert!(
            bcp47::well_formed(bad).is_err(),
            "{bad} should not be well formed"
        );
    }
}

#[test]
fn package_urls() {
    let p = purl::parse("pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources")
        .expect("maven purl");
    assert_eq!(
        (
            p.ty.as_str(),
            p.namespace.join("/"),
            p.name.as_str(),
            p.version.as_deref()
        ),
        (
            "maven",
            "org.apache.xmlgraphics".to_owned(),
            "batik-anim",
            Some("1.9.1")
        )
    );
    assert_eq!(
        p.qualifiers.get("packaging").map(String::as_str),
        Some("sources")
    );
    let p = purl::parse("pkg:npm/%40angular/animation@12.3.1").expect("npm purl");
    assert_eq!(p.namespace, vec!["@angular".to_owned()]);
    let p = purl::parse("pkg:golang/google.golang.org/genproto#googleapis/api/annotations")
        .expect("golang purl");
    assert_eq!(p.subpath, vec!["googleapis", "api", "annotations"]);
    for ok in [
        "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
        "pkg:generic/openssl@1.1.10g",
        "pkg:docker/cassandra@sha256:244fd47e07d1004f0aed9c",
        "pkg:pypi/django@1.11.1",
    ] {
        assert!(purl::parse(ok).is_ok(), "{ok}: {:?}", purl::parse(ok));
    }
    for (bad, why) in [
        ("pkg:maven/@1.3.4", "the name is empty"),
        ("maven/foo", "there is no `pkg:` scheme"),
        ("http:npm/foo", "the scheme is `http`, not `pkg`"),
        ("pkg:npm", "there is no name after the type"),
        (
            "pkg:npm/foo%ZZ",
            "the name has a `%` that is no percent-escape",
        ),
        ("pkg:npm/foo?a=1&a=2", "qualifier `a` appears twice"),
        ("pkg:npm/foo?1a=b", "qualifier key `1a` is not allowed"),
        ("pkg:npm/foo@", "the version after `@` is empty"),
    ] {
        assert_eq!(purl::parse(bad).err().as_deref(), Some(why), "{bad}");
    }
    assert!(purl::parse("pkg:1abc/foo").is_err());
}

/// A VEX document of Red Hat's size (20,000 products and relationships,
/// every product in several lists): the checks stay linear. A quadratic
/// step would take minutes here; the bound is loose for busy machines.
#[test]
fn large_documents_stay_fast() {
    let n = 20_000;
    let ids: Vec<String> = (0..n).map(|i| format!("P{i}")).collect();
    let rel_ids: Vec<String> = (0..n).map(|i| format!("R{i}")).collect();
    let names: Vec<Value> = ids
        .iter()
        .map(|id| json!({"name": format!("Product {id}"), "product_id": id}))
        .collect();
    let relationships: Vec<Value> = (0..n)
        .map(|i| {
            json!({"category": "default_component_of",
                "full_product_name": {"name": format!("Component {i}"), "product_id": rel_ids[i]},
                "product_reference": ids[i],
                "relates_to_product_reference": if i > 0 { &rel_ids[i - 1] } else { &ids[0] }})
        })
        .collect();
    let vulnerabilities: Vec<Value> = (0..2)
        .map(|v| {
            json!({"cve": format!("CVE-2024-{:05}", 1000 + v),
                "notes": [{"category": "description", "text": "x"}],
                "product_status": {"known_affected": ids, "known_not_affected": rel_ids},
                "flags": [{"label": "component_not_present", "product_ids": rel_ids}],
                "remediations": [{"category": "vendor_fix", "details": "x", "product_ids": ids}],
                "scores": [{"products": ids, "cvss_v3": {"version": "3.1",
                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    "baseScore": 9.8, "baseSeverity": "CRITICAL"}}]})
        })
        .collect();
    let doc = json!({"document": {"category": "csaf_vex", "csaf_version": "2.0",
        "publisher": {"category": "vendor", "name": "x", "namespace": "https://x.example"}, "title": "t",
        "tracking": {"id": "X", "status": "final", "version": "1",
            "initial_release_date": "2024-01-01T00:00:00Z", "current_release_date": "2024-01-01T00:00:00Z",
            "revision_history": [{"number": "1", "date": "2024-01-01T00:00:00Z", "summary": "s"}]}},
        "product_tree": {"full_product_names": names, "relationships": relationships},
        "vulnerabilities": vulnerabilities});
    let start = std::time::Instant::now();
    let found = mandatory(&doc);
    let structure = shape(&doc);
    let took = start.elapsed();
    println!("{n} products: mandatory + shape in {took:?}");
    assert_eq!(found, vec![]);
    assert_eq!(structure, vec![]);
    assert!(took.as_secs() < 30, "took {took:?}");
}
