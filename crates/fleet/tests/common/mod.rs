//! Shared by the fleet tests: the demo archive and machines written as
//! inventory JSON.

#![allow(dead_code)]

use std::path::PathBuf;

use hfr_fleet::{parse_json, Checker, Machine, Options, Report};
use hfr_model::Alert;

/// This crate's folder as cargo reports it when running the test (a test
/// binary can outlive the checkout it was built in).
pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

pub fn repo() -> PathBuf {
    manifest_dir().join("../..")
}

/// The five demo alerts.
pub fn demo_alerts() -> Vec<Alert> {
    let dir = repo().join("demo/alerts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && !p.to_string_lossy().ends_with(".schema.json")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    files
        .iter()
        .map(|p| {
            serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("an alert")
        })
        .collect()
}

/// Machines from a JSON array of records; every record must be valid.
pub fn machines(records: serde_json::Value) -> Vec<Machine> {
    let doc = serde_json::json!({ "machines": records });
    let parsed = parse_json(doc.to_string().as_bytes()).expect("an inventory");
    assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
    parsed.machines
}

/// Checks with "not applicable" recorded, so every pair has a reason.
pub fn check(alerts: &[Alert], records: serde_json::Value) -> Report {
    Checker::new(alerts).check(
        machines(records),
        &Options {
            include_not_applicable: true,
            threads: 1,
            ..Options::default()
        },
    )
}

/// The rule keys of a machine's reasons for an alert.
pub fn rules(r: &Report, machine: &str, alert: &str) -> Vec<String> {
    r.reasons_of(machine, alert)
        .iter()
        .map(|v| v.rule.key())
        .collect()
}

/// The reason texts, joined, for failure messages.
pub fn why(r: &Report, machine: &str, alert: &str) -> String {
    r.reasons_of(machine, alert)
        .iter()
        .map(|v| v.text.clone())
        .collect::<Vec<_>>()
        .join(" / ")
}
