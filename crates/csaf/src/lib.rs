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
//!   notes, remediations, threats and scores, references), so that any CSAF
//!   tool shows a sensible advisory. That includes the vendor's facts of
//!   alerts made from Microsoft's data, per product: rating, impact, CVSS,
//!   the updates with their KB, URL and restart (see `vendor.rs` for the
//!   table). [`import::from_csaf`] reads the same places of any provider's
//!   document, except the vendor's products of our own exports, which it
//!   leaves to their carrier note.
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
//! # Checks on the way in
//!
//! [`import::from_csaf`] runs [`checks::shape`] and [`checks::mandatory`]
//! before it reads anything, and refuses a document when a failure is in a
//! part the alert is made from; failures elsewhere become warnings (the
//! rule is in [`import`]). Our own exports pass both with no finding, and
//! BSI's validator too (`tools/csaf-validator`, run by the e2e tests).
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
mod vendor;

pub use export::{file_name, to_csaf, Options, Publisher, Revision};
pub use import::{from_csaf, looks_like_csaf, CsafError, ErrorKind, Warning};
pub use vendor::cvss_agrees;

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

/// Prefix of the product ids the export gives the vendor's products
/// (`msrc-9312` for Microsoft's product 9312): product ids are local to a
/// document, the prefix keeps them apart from the ids of `affected`.
pub const VENDOR_PRODUCT_PREFIX: &str = "msrc-";

/// `namespace` of the `x_generic_uris` helper that carries Microsoft's own
/// product id (`urn:msrc:product:9312`) on each vendor product, so that a
/// tool can match products across documents; CSAF has no registered
/// identifier scheme for MSRC product ids. The importer also recognises
/// the vendor products by it.
pub const MSRC_PRODUCT_ID_NAMESPACE: &str = "https://hfr.example.org/ns/msrc-product-id";

/// `system_name` of the id of a vulnerability Microsoft names by an
/// advisory id (`ADV170003`) rather than a CVE id.
pub const MSRC_ADVISORY_SYSTEM: &str = "Microsoft Security Advisory";
