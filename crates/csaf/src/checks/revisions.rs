//! Tests on `/document/tracking`: the version, the status and the revision
//! history (CSAF 2.0 sections 6.1.14 and 6.1.16–6.1.22, 6.1.30).
//!
//! Why they matter to an importer: the tracking version and the revision
//! history decide whether a document replaces the one imported before, so
//! they must say the same thing.
//!
//! Ordering: the standard sorts the history "ascending by date"; entries
//! with the same instant are ordered by number. That tie-break is what makes
//! `[2, 1]` with equal dates valid (the validator test data expects so,
//! unlike csaf-validator-lib, whose stable sort keeps `2` first). Test
//! 6.1.21 (missing item) works on the set of numbers, sorted by number, so a
//! history that is merely out of date order is reported by 6.1.14 alone.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::Value;

use super::datetime::{self, Instant};
use super::version::{normalized, Version};
use super::{items, text, Finding};

const HISTORY: &str = "/document/tracking/revision_history";

/// One revision-history entry as far as these tests need it.
struct Entry<'a> {
    index: usize,
    number: &'a str,
    version: Option<Version>,
    date: Option<Instant>,
    date_text: &'a str,
}

struct Tracking<'a> {
    status: Option<&'a str>,
    version_text: Option<&'a str>,
    version: Option<Version>,
    history: Vec<Entry<'a>>,
}

impl Tracking<'_> {
    fn released(&self) -> bool {
        matches!(self.status, Some("final" | "interim"))
    }

    /// The history sorted by (date, number), or `None` when a number or a
    /// date does not parse (the schema check reports those).
    fn by_date(&self) -> Option<Vec<&Entry<'_>>> {
        if self
            .history
            .iter()
            .any(|e| e.version.is_none() || e.date.is_none())
        {
            return None;
        }
        let mut sorted: Vec<&Entry> = self.history.iter().collect();
        sorted.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| cmp_version(a, b)));
        Some(sorted)
    }
}

fn cmp_version(a: &Entry, b: &Entry) -> Ordering {
    match (&a.version, &b.version) {
        (Some(x), Some(y)) => x.precedence(y),
        _ => Ordering::Equal,
    }
}

fn tracking(doc: &Value) -> Option<Tracking<'_>> {
    let t = doc.get("document")?.get("tracking")?;
    let version_text = text(t, "version");
    let history = items(t, "revision_history")
        .map(|(index, r)| {
            // An entry without a number (or date) stays in the list with
            // `None`, so the order-dependent tests skip the history instead
            // of judging what is left of it.
            let number = text(r, "number").unwrap_or("");
            let date_text = text(r, "date").unwrap_or("");
            Entry {
                index,
                number,
                version: Version::parse(number),
                date: datetime::parse(date_text),
                date_text,
            }
        })
        .collect();
    Some(Tracking {
        status: text(t, "status"),
        version_text,
        version: version_text.and_then(Version::parse),
        history,
    })
}

fn number_at(e: &Entry) -> String {
    format!("{HISTORY}/{}/number", e.index)
}

/// 6.1.14 Sorted Revision History: sorted by date, the revision numbers
/// ascend. Reported at the entry whose number is lower than that of an entry
/// dated before it.
pub(super) fn t_6_1_14(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    let Some(sorted) = t.by_date() else { return };
    let mut highest: Option<&Entry> = None;
    for e in sorted {
        if let Some(h) = highest {
            if cmp_version(e, h) == Ordering::Less {
                out.push(Finding::new(
                    "6.1.14",
                    format!("{HISTORY}/{}/date", e.index),
                    format!(
                        "revision {} is dated {}, after revision {} of {}: the numbers must ascend with the dates",
                        e.number, e.date_text, h.number, h.date_text
                    ),
                ));
                continue;
            }
        }
        highest = Some(e);
    }
}

/// 6.1.16 Latest Document Version: `/document/tracking/version` is the
/// number of the latest revision (by date, then number), build metadata
/// ignored, and the pre-release part ignored too while the status is draft.
pub(super) fn t_6_1_16(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    let Some(version) = t.version_text else {
        return;
    };
    let Some(sorted) = t.by_date() else { return };
    let Some(latest) = sorted.last() else { return };
    let draft = t.status == Some("draft");
    if normalized(latest.number, draft) != normalized(version, draft) {
        out.push(Finding::new(
            "6.1.16",
            "/document/tracking/version",
            format!(
                "is {version}, but the latest revision ({}) is {}",
                latest.date_text, latest.number
            ),
        ));
    }
}

/// 6.1.17 Document Status Draft: a version `0`, `0.y.z` or with a
/// pre-release part means work in progress, so the status must be draft.
pub(super) fn t_6_1_17(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    let (Some(status), Some(v)) = (t.status, &t.version) else {
        return;
    };
    if status != "draft" && (v.major() == 0 || v.is_prerelease()) {
        out.push(Finding::new(
            "6.1.17",
            "/document/tracking/status",
            format!("is {status}, but version {v} is a draft version (0, 0.y.z or pre-release)"),
        ));
    }
}

/// 6.1.18 Released Revision History: a final or interim document has no
/// revision numbered `0` or `0.y.z`.
pub(super) fn t_6_1_18(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    if !t.released() {
        return;
    }
    for e in &t.history {
        if e.version.as_ref().is_some_and(|v| v.major() == 0) {
            out.push(Finding::new(
                "6.1.18",
                number_at(e),
                format!(
                    "revision {} is a draft revision, but the document status is {}",
                    e.number,
                    t.status.unwrap_or_default()
                ),
            ));
        }
    }
}

/// 6.1.19 Revision History Entries for Pre-release Versions: no revision
/// number carries a pre-release part; pre-releases are not published
/// revisions.
pub(super) fn t_6_1_19(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    for e in &t.history {
        if e.version.as_ref().is_some_and(Version::is_prerelease) {
            out.push(Finding::new(
                "6.1.19",
                number_at(e),
                format!("revision {} has a pre-release part", e.number),
            ));
        }
    }
}

/// 6.1.20 Non-draft Document Version: a final or interim document's version
/// has no pre-release part.
pub(super) fn t_6_1_20(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    if let Some(v) = &t.version {
        if t.released() && v.is_prerelease() {
            out.push(Finding::new(
                "6.1.20",
                "/document/tracking/version",
                format!(
                    "{v} has a pre-release part, but the document status is {}",
                    t.status.unwrap_or_default()
                ),
            ));
        }
    }
}

/// 6.1.21 Missing Item in Revision History: the (major) revision numbers
/// start at 0 or 1 and leave no number out. For semantic versions only the
/// major number counts.
pub(super) fn t_6_1_21(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    if t.history.iter().any(|e| e.version.is_none()) {
        return;
    }
    let mut majors: Vec<(u64, &Entry)> = t
        .history
        .iter()
        .filter_map(|e| e.version.as_ref().map(|v| (v.major(), e)))
        .collect();
    majors.sort_by_key(|(m, _)| *m);
    majors.dedup_by_key(|(m, _)| *m);
    let Some(&(first, first_entry)) = majors.first() else {
        return;
    };
    if first > 1 {
        out.push(Finding::new(
            "6.1.21",
            number_at(first_entry),
            format!(
                "the revision history starts at {}, not at 0 or 1",
                first_entry.number
            ),
        ));
    }
    for w in majors.windows(2) {
        let ((a, _), (b, e)) = (w[0], w[1]);
        if b > a + 1 {
            let missing = if b == a + 2 {
                format!("{}", a + 1)
            } else {
                format!("{} to {}", a + 1, b - 1)
            };
            out.push(Finding::new(
                "6.1.21",
                number_at(e),
                format!(
                    "revision {} follows {a}: revision {missing} is missing",
                    e.number
                ),
            ));
        }
    }
}

/// 6.1.22 Multiple Definition in Revision History: each revision number is
/// used once.
pub(super) fn t_6_1_22(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    let mut first: HashMap<&str, usize> = HashMap::new();
    for e in t.history.iter().filter(|e| !e.number.is_empty()) {
        match first.get(e.number) {
            Some(prev) => out.push(Finding::new(
                "6.1.22",
                number_at(e),
                format!(
                    "revision {} is already listed at {HISTORY}/{prev}",
                    e.number
                ),
            )),
            None => {
                first.insert(e.number, e.index);
            }
        }
    }
}

/// 6.1.30 Mixed Integer and Semantic Versioning: the revision numbers and the
/// version use one scheme; the first revision number sets it.
pub(super) fn t_6_1_30(doc: &Value, out: &mut Vec<Finding>) {
    let Some(t) = tracking(doc) else { return };
    let scheme = |v: &Version| {
        if v.is_integer() {
            "integer"
        } else {
            "semantic"
        }
    };
    let mut expected: Option<&str> = None;
    for e in &t.history {
        let Some(v) = &e.version else { continue };
        let s = scheme(v);
        match expected {
            None => expected = Some(s),
            Some(x) if x != s => out.push(Finding::new(
                "6.1.30",
                number_at(e),
                format!(
                    "revision {} uses {s} versioning, the history before it {x} versioning",
                    e.number
                ),
            )),
            Some(_) => {}
        }
    }
    if let (Some(x), Some(v)) = (expected, &t.version) {
        let s = scheme(v);
        if s != x {
            out.push(Finding::new(
                "6.1.30",
                "/document/tracking/version",
                format!("{v} uses {s} versioning, the revision history {x} versioning"),
            ));
        }
    }
}
