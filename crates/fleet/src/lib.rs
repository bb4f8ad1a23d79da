//! Fleet check: which machines need which fix, and did it really land.
//!
//! The alerts say which platforms a fix concerns, which files it installs
//! at which versions (per GDR/QFE branch), how to verify it in the
//! registry, which earlier fixes it contains, and how long it took to roll
//! out. This crate answers the administrator's question about their own
//! machines, the way MBSA and patch scanners do:
//!
//! - [`inventory`]: the inventory file (JSON with a schema, or CSV), read
//!   record by record into [`Machine`]s, with rejected records named by
//!   index, machine and field;
//! - [`rules`]: the alerts compiled into targets, packages, file rules,
//!   registry keys, KBs, "no fix" platforms and the supersedence graph;
//! - [`engine`]: the check, grouped by machine profile and indexed by
//!   product, giving a [`Report`] with a [`Status`] and reasons per
//!   machine × alert;
//! - [`worklist`]: the missing fixes in the order to deploy them, and
//!   rollout waves;
//! - [`rollout`]: the rollout-time model fitted to the alerts' measurements.
//!
//! Pure like the model: no store, no files, no network. Callers hand it
//! bytes and alerts (see [`MAX_INVENTORY_BYTES`] and [`read_capped`] for
//! reading the bytes safely).

pub mod component;
pub mod engine;
pub mod inventory;
mod par;
pub mod report;
pub mod rollout;
pub mod rules;
pub mod version;
pub mod worklist;

pub use component::Component;
pub use engine::{Checker, Options};
pub use inventory::{
    inventory_json_schema, parse, parse_csv, parse_json, read_capped, template, Format, Inventory,
    InventoryError, Machine, MachineRecord, ParsedInventory, Reject, MAX_INVENTORY_BYTES,
};
pub use report::{Finding, Reason, ReasonView, ReasonWords, Report, Rule, Status, Summary};
pub use rollout::RolloutModel;
pub use version::Version;
pub use worklist::{plan, RolloutPlan, Worklist};

/// Checks every machine against every alert (recording "not applicable"
/// too, so every pair has a reason). For large fleets build a [`Checker`]
/// once and use [`Checker::check`] with the options you need.
pub fn check(alerts: &[hfr_model::Alert], machines: &[Machine]) -> Report {
    Checker::new(alerts).check(
        machines.to_vec(),
        &Options {
            include_not_applicable: true,
            ..Options::default()
        },
    )
}

/// Checks a parsed inventory, carrying its rejected records and warnings
/// into the report.
pub fn check_inventory(checker: &Checker, inv: ParsedInventory, opts: &Options) -> Report {
    let mut r = checker.check(inv.machines, opts);
    r.rejects = inv.rejects;
    r.warnings = inv.warnings;
    r
}
