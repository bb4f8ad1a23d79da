//! CSAF 2.0 (OASIS Common Security Advisory Framework), both directions.
//!
//! Why one crate for both: the export must give back the same alert when it
//! is imported again, so the mapping and its inverse are kept side by side,
//! and the standard's mandatory checks (section 6.1) guard both the documents
//! we write and the ones we read from other providers. Like the model, this
//! crate does no I/O: JSON values and alerts in, JSON values and alerts out.
//!
//! # Two layers in every exported document
//!
//! * **The native mapping** puts each fact where the standard has a place for
//!   it (tracking, aggregate severity, product tree, vulnerabilities with
//!   notes, remediations and threats, references), so that any CSAF tool
//!   shows a sensible advisory. [`import::from_csaf`] reads the same places
//!   of any provider's document.
//! * **The carrier notes** make our own round trip exact. CSAF has no field
//!   for much of what an alert holds (the lab's advice, uninstall, install
//!   tests, package file lists with versions and sizes, registry checks,
//!   rollout minutes, the patch tool's display, …), and the strict schema
//!   refuses private keys anywhere. So the export serializes the alert with
//!   serde and, for every top-level key whose value the native mapping does
//!   not give back exactly, adds a document note
//!
//!   ```json
//!   {"category": "other", "title": "hfr:<key>", "text": "<the value as compact JSON>"}
//!   ```
//!
//!   where `<key>` is the key of the alert's canonical JSON
//!   (`schema/alert.schema.json`), e.g. `hfr:packages`, `hfr:rollout`,
//!   `hfr:action`. On import, a carrier note wins over the native mapping
//!   for its key. Which keys need a note is decided by running the importer
//!   on the native part, not by a list: a field added to the model later is
//!   carried without any change here, and a key the native mapping already
//!   gives back costs no duplicate text.
//!
//! One more marker: when an alert lists no vulnerability of its own, the
//! export still needs one (the profile requires `/vulnerabilities`), so it
//! writes one for the whole alert and marks it with a vulnerability note
//! titled [`SYNTHESIZED_NOTE`]; the importer leaves a marked vulnerability
//! out of the alert's list.

pub mod checks;
pub mod export;
pub mod import;
mod native;

pub use export::{file_name, to_csaf, Options, Publisher, Revision};
pub use import::{from_csaf, looks_like_csaf, CsafError, ErrorKind, Warning};

/// Title prefix of the carrier notes: `hfr:` followed by an alert key.
pub const CARRIER_PREFIX: &str = "hfr:";

/// Title of the vulnerability note that marks a vulnerability the export
/// made up for an alert that lists none.
pub const SYNTHESIZED_NOTE: &str = "hfr:synthesized";

/// `system_name` of a vulnerability id that is not a CVE id (the pattern of
/// `/vulnerabilities[]/cve` admits only `CVE-YYYY-NNNN…`; bulletins of 2004
/// still cite `CAN-` candidates), so that the importer can put it back in
/// the vulnerability's `cve` field.
pub const ID_SYSTEM: &str = "HotFix Report vulnerability id";
