//! The JSON Schema checked into `schema/alert.schema.json` is the public
//! contract for integrators; it must be exactly what the types generate.
//! Regenerate with `UPDATE_SCHEMA=1 cargo test -p hfr-model` (or `hfr schema`).

use std::path::PathBuf;

/// This crate's folder as cargo reports it when running the test. The
/// compile-time `env!` value is only the fallback: a test binary can outlive
/// the checkout it was built in when checkouts share a target directory.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

#[test]
fn checked_in_schema_matches_the_types() {
    let path = manifest_dir().join("../../schema/alert.schema.json");
    let generated = serde_json::to_string_pretty(&hfr_model::alert_json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "schema/alert.schema.json is out of date: run `UPDATE_SCHEMA=1 cargo test -p hfr-model`"
    );
}

#[test]
fn schema_names_every_canonical_key() {
    let schema = hfr_model::alert_json_schema();
    let props = schema["properties"].as_object().expect("properties");
    for key in [
        "edition",
        "registered",
        "updated",
        "severity",
        "exploit_code",
        "action",
        "reboot",
        "uninstall",
        "target",
        "references",
        "supersedes",
        "id",
        "kbs",
        "title",
        "vendor_title",
        "urgency",
        "risk",
        "attack_vectors",
        "impacts",
        "summary",
        "vulnerabilities",
        "affected",
        "lab_tests",
        "lab_notes",
        "downloads",
        "packages",
        "verification",
        "workarounds",
        "rollout",
        "tool_display",
        "additions",
        "details",
    ] {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
}
