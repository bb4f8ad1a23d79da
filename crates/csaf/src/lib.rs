//! CSAF 2.0 (OASIS Common Security Advisory Framework), both directions.
//!
//! Why one crate for both: the export must give back the same alert when it
//! is imported again, so the mapping and its inverse are kept side by side,
//! and the standard's mandatory checks (section 6.1) guard both the documents
//! we write and the ones we read from other providers. Like the model, this
//! crate does no I/O: JSON values and alerts in, JSON values and alerts out.

pub mod checks;
