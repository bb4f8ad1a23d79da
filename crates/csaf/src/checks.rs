//! The mandatory tests of CSAF 2.0 section 6.1, on a parsed JSON document.
//!
//! Why: a CSAF document from another provider is only imported when it
//! passes these tests (or, where the broken part is one our model does not
//! read, with a warning), so that no half-valid document ends up half
//! imported; and the documents we export must pass them too. Each failure
//! is a [`Finding`] naming the test (`"6.1.1"`, `"6.1.27.4"`, or `"schema"`
//! for [`shape`]), a JSON pointer (RFC 6901) to the offending value and a
//! message in English.
//!
//! - [`mandatory`] runs all 43 tests: 6.1.1–6.1.26, 6.1.27.1–6.1.27.11,
//!   6.1.28–6.1.33. They never panic on malformed input: a part of the
//!   document with the wrong type is skipped by the tests (and reported by
//!   [`shape`]).
//! - [`shape`] checks the structure the CSAF JSON schema prescribes (required
//!   properties, types, enums, formats), so that a document that is not CSAF
//!   at all gets pointers rather than a crash in the importer.
//!
//! Where the standard leaves room, the validator test data
//! (`csaf/validator-tests/testcases.json`) decides; the module docs of the
//! submodules say where that differs from csaf-validator-lib.

use std::fmt;

use serde_json::Value;

pub mod bcp47;
pub mod cvss;
mod cwe_data;
pub mod datetime;
mod document;
mod lang_data;
mod products;
pub mod purl;
mod revisions;
mod schema;
pub mod version;

/// One failed requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The section number of the test (`"6.1.1"`, `"6.1.27.4"`), or
    /// `"schema"` for a structural problem found by [`shape`].
    pub test: &'static str,
    /// JSON pointer (RFC 6901) to the offending value, e.g.
    /// `/product_tree/product_groups/0/product_ids/0`, usable with
    /// [`Value::pointer`]; for something missing, the pointer where it
    /// should be. The empty pointer is the whole document (only [`shape`]
    /// uses it, for input that is not a JSON object).
    pub pointer: String,
    pub message: String,
}

impl Finding {
    fn new(test: &'static str, pointer: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            test,
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    /// `6.1.1 at /pointer: message`; the whole document shows as `/`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{} at {}: {}", self.test, at, self.message)
    }
}

impl std::error::Error for Finding {}

/// The ids of the 43 mandatory tests, in the standard's order.
pub const MANDATORY_TESTS: [&str; 43] = [
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.1.4",
    "6.1.5",
    "6.1.6",
    "6.1.7",
    "6.1.8",
    "6.1.9",
    "6.1.10",
    "6.1.11",
    "6.1.12",
    "6.1.13",
    "6.1.14",
    "6.1.15",
    "6.1.16",
    "6.1.17",
    "6.1.18",
    "6.1.19",
    "6.1.20",
    "6.1.21",
    "6.1.22",
    "6.1.23",
    "6.1.24",
    "6.1.25",
    "6.1.26",
    "6.1.27.1",
    "6.1.27.2",
    "6.1.27.3",
    "6.1.27.4",
    "6.1.27.5",
    "6.1.27.6",
    "6.1.27.7",
    "6.1.27.8",
    "6.1.27.9",
    "6.1.27.10",
    "6.1.27.11",
    "6.1.28",
    "6.1.29",
    "6.1.30",
    "6.1.31",
    "6.1.32",
    "6.1.33",
];

/// Runs the 43 mandatory tests of CSAF 2.0 section 6.1 on `doc`; an empty
/// result means the document passes them all. Findings come in test order,
/// and within a test in document order.
pub fn mandatory(doc: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let tests: &[fn(&Value, &mut Vec<Finding>)] = &[
        products::t_6_1_1,
        products::t_6_1_2,
        products::t_6_1_3,
        products::t_6_1_4,
        products::t_6_1_5,
        products::t_6_1_6,
        cvss::t_6_1_7,
        cvss::t_6_1_8,
        cvss::t_6_1_9,
        cvss::t_6_1_10,
        document::t_6_1_11,
        document::t_6_1_12,
        products::t_6_1_13,
        revisions::t_6_1_14,
        document::t_6_1_15,
        revisions::t_6_1_16,
        revisions::t_6_1_17,
        revisions::t_6_1_18,
        revisions::t_6_1_19,
        revisions::t_6_1_20,
        revisions::t_6_1_21,
        revisions::t_6_1_22,
        document::t_6_1_23,
        document::t_6_1_24,
        products::t_6_1_25,
        document::t_6_1_26,
        // 6.1.27.1 to 6.1.27.11, the profile tests.
        document::t_6_1_27,
        document::t_6_1_28,
        products::t_6_1_29,
        revisions::t_6_1_30,
        products::t_6_1_31,
        products::t_6_1_32,
        products::t_6_1_33,
    ];
    for test in tests {
        test(doc, &mut out);
    }
    out
}

/// Checks the structure of `doc` against the CSAF 2.0 JSON schema (see the
/// `schema` submodule for what is covered). Every finding has the test id
/// `"schema"`. Anything that is not a JSON object yields one finding, at
/// the empty pointer (the whole document).
pub fn shape(doc: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    schema::check(doc, &mut out);
    out
}

/// The items of the array `v[key]` with their indices; nothing when `v` is
/// no object or `v[key]` is missing or no array (the tests skip such parts,
/// [`shape`] reports them).
fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> + 'a {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// The string `v[key]`, if it is one.
fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}
