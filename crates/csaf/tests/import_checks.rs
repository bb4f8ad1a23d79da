//! The importer against the OASIS validator test data: every document of
//! the mandatory group that fails a test is either refused, with an error
//! naming that test and a JSON pointer, or imported with a warning naming
//! that test; every valid document imports without any warning about a
//! check; nothing panics.
//!
//! Without the data (shared/data beside the workspace) the test is skipped
//! with a notice, except under CI (`CI=true`), where that is a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hfr_csaf::from_csaf;
use serde_json::Value;

fn test_data() -> Option<PathBuf> {
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
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{msg}");
    }
    eprintln!("notice: {msg}; skipping this test");
    None
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is no JSON: {e}", path.display()))
}

/// (test id, file name, valid) of the mandatory group.
fn cases(dir: &Path) -> Vec<(String, String, bool)> {
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

#[derive(Default)]
struct Tally {
    refused: usize,
    warned: usize,
    clean: usize,
}

#[test]
fn broken_documents_are_refused_or_imported_with_a_warning() {
    let Some(dir) = test_data() else { return };
    let cases = cases(&dir);

    // Every file of the mandatory folder is a case.
    let listed: BTreeSet<String> = cases.iter().map(|(_, n, _)| n.clone()).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir.join("mandatory"))
        .unwrap()
        .map(|e| format!("mandatory/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(
        on_disk.difference(&listed).count(),
        0,
        "files without a case"
    );

    let mut invalid = Tally::default();
    let mut valid = Tally::default();
    let mut per_test: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut problems = Vec::new();
    for (id, name, expect_valid) in &cases {
        let doc = read_json(&dir.join(name));
        let result = std::panic::catch_unwind(|| from_csaf(&doc));
        let Ok(result) = result else {
            problems.push(format!("{name}: the importer panicked"));
            continue;
        };
        let named = format!("{id} at /");
        match (result, expect_valid) {
            (Err(e), false) => {
                let own = e.test == Some(id.as_str()) && e.message.contains(id.as_str());
                if (own || e.message.contains(&named)) && e.pointer.starts_with('/') {
                    invalid.refused += 1;
                    per_test.entry(id.clone()).or_default().0 += 1;
                    println!("{name} ({id}): refused: {e}");
                } else {
                    problems.push(format!(
                        "{name} (fails {id}) refused without naming it: {e}"
                    ));
                }
            }
            (Ok((_, warnings)), false) => {
                match warnings.iter().find(|w| w.test == Some(id.as_str())) {
                    Some(w) if w.message.contains(id.as_str()) && w.pointer.starts_with('/') => {
                        invalid.warned += 1;
                        per_test.entry(id.clone()).or_default().1 += 1;
                        println!("{name} ({id}): imported: {w}");
                    }
                    _ => problems.push(format!(
                        "{name} (fails {id}) imported without a warning naming it: {warnings:?}"
                    )),
                }
            }
            (Err(e), true) => problems.push(format!("{name} (valid for {id}) refused: {e}")),
            (Ok((_, warnings)), true) => {
                let checks: Vec<_> = warnings.iter().filter(|w| w.test.is_some()).collect();
                if checks.is_empty() {
                    valid.clean += 1;
                } else {
                    valid.warned += 1;
                    problems.push(format!(
                        "{name} (valid for {id}) warned about checks: {checks:?}"
                    ));
                }
            }
        }
    }
    let failing = cases.iter().filter(|c| !c.2).count();
    println!(
        "CSAF validator test data through the importer: {} files; failing {failing}: {} refused, {} imported with a warning; valid {}: {} clean",
        cases.len(),
        invalid.refused,
        invalid.warned,
        cases.len() - failing,
        valid.clean,
    );
    for (id, (r, w)) in &per_test {
        println!("  {id}: {r} refused, {w} imported with a warning");
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(invalid.refused + invalid.warned, failing);
    assert_eq!(valid.clean, cases.len() - failing);
}
