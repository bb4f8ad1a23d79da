//! The HotFix Alert data model.
//!
//! One [`Alert`] holds everything a HotFix Alert page said about one vendor
//! security bulletin: the header facts an administrator decides on (severity,
//! exploit code, action, reboot, target), the analysts' prose, the lab's install
//! tests, and the hard data a fleet check needs (packages, the files they install
//! with versions and sizes, registry keys to verify, rollout times).
//!
//! This crate does no I/O on purpose (the same split RustSec makes for its
//! advisory model): importers turn bytes into an [`Alert`], the store persists
//! it, and the web site, mail and fleet check read it. Keeping the model pure
//! means every one of those can be tested against the same values, and the JSON
//! produced by `serde` here *is* the public contract. `schema/alert.schema.json`
//! in the repository is generated from these types (`hfr schema`) and a test
//! keeps it current.
//!
//! The canonical JSON keys follow `hotfix-alert-model.md`; every key is always
//! present in serialized output (`null` or `[]` when the page did not say), so
//! consumers see one fixed shape. The exception is the keys only vendor data
//! fills (`release`, `exploit_status`, `action_rule`, `products`, `tags`,
//! `acknowledgments`, `vendor_revisions`): they are left out when empty, so
//! the JSON of an alert made from a HotFix page did not change when they
//! were added.
//!
//! A vendor's monthly document is also a [`Release`], which lists the alerts
//! it became.

mod alert;
pub mod catalogue;
pub mod diff;
mod enums;
pub mod present;
pub mod release;
pub mod revision;
pub mod subscription;

pub use alert::*;
pub use enums::*;
pub use release::{Release, ReleaseAlert};

/// Version of the canonical JSON shape. Bumped when a key changes meaning or
/// disappears; adding a key does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON Schema of [`Alert`], as checked into `schema/alert.schema.json`.
pub fn alert_json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Alert);
    serde_json::to_value(&schema).unwrap_or(serde_json::Value::Null)
}
