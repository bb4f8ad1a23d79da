//! Deciding what a new version of an alert means for the archive.
//!
//! Both store back ends call [`decide`] inside their import transaction, so the
//! rules for revisions live in one place and are tested without a database:
//! an identical document changes nothing; a changed one becomes the next
//! revision and its `updated` date moves; an older page never replaces a newer
//! one unless forced.

use chrono::NaiveDate;

use crate::diff::{diff, Change};
use crate::Alert;

/// What to do with an incoming alert, given what the archive holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The archive has no alert with this id: store it as revision 1.
    Create(Alert),
    /// The alert changed: store it as the next revision, with what changed.
    Revise { alert: Alert, changes: Vec<Change> },
    /// Same document as the current revision: store nothing.
    Unchanged,
    /// The incoming page is older (its 更新日 is before the current
    /// revision's): store nothing unless forced.
    Stale {
        current: Option<NaiveDate>,
        incoming: Option<NaiveDate>,
    },
}

/// Decides how `incoming` enters an archive whose current revision is `current`.
///
/// `today` is the date the revision is recorded. When the alert changed but its
/// `updated` date did not move past the current one (an analyst's edit, or a page
/// re-imported with corrections), `updated` is set to `today` so readers see the
/// alert was updated. `force` records an older page anyway.
pub fn decide(
    current: Option<&Alert>,
    mut incoming: Alert,
    today: NaiveDate,
    force: bool,
) -> Decision {
    let Some(current) = current else {
        return Decision::Create(incoming);
    };
    if let (Some(cur), Some(inc)) = (current.updated, incoming.updated) {
        if inc < cur && !force {
            return Decision::Stale {
                current: current.updated,
                incoming: incoming.updated,
            };
        }
    }
    // Only the facts count: a page that differs from the archive in nothing
    // but its 更新日 (or a forced re-import of an older copy) is no revision.
    let mut probe = incoming.clone();
    probe.updated = current.updated;
    if diff(current, &probe).is_empty() {
        return Decision::Unchanged;
    }
    let moved = match (current.updated, incoming.updated) {
        (Some(cur), Some(inc)) => inc > cur,
        (None, Some(_)) => true,
        _ => false,
    };
    if !moved {
        incoming.updated = Some(today.max(current.updated.unwrap_or(today)));
    }
    let changes = diff(current, &incoming);
    Decision::Revise {
        alert: incoming,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn alert(updated: &str) -> Alert {
        Alert {
            id: "MS04-039".into(),
            severity: Some(Severity::Important),
            updated: Some(d(updated)),
            ..Alert::default()
        }
    }

    #[test]
    fn first_import_creates() {
        assert!(matches!(
            decide(None, alert("2004-11-11"), d("2026-11-22"), false),
            Decision::Create(_)
        ));
    }

    #[test]
    fn the_same_page_again_changes_nothing() {
        let a = alert("2004-11-11");
        assert_eq!(
            decide(Some(&a), a.clone(), d("2026-11-22"), false),
            Decision::Unchanged
        );
    }

    #[test]
    fn a_later_page_keeps_its_own_updated_date() {
        let a = alert("2004-11-11");
        let mut b = alert("2004-11-24");
        b.kbs.push("890097".into());
        match decide(Some(&a), b, d("2026-11-22"), false) {
            Decision::Revise { alert, changes } => {
                assert_eq!(alert.updated, Some(d("2004-11-24")));
                let paths: Vec<_> = changes.iter().map(|c| c.path.as_str()).collect();
                assert_eq!(paths, vec!["kbs[0]", "updated"]);
            }
            other => panic!("expected a revision, got {other:?}"),
        }
    }

    #[test]
    fn an_edit_moves_updated_to_today() {
        let a = alert("2004-11-11");
        let mut b = a.clone();
        b.severity = Some(Severity::Critical);
        match decide(Some(&a), b, d("2026-11-22"), false) {
            Decision::Revise { alert, changes } => {
                assert_eq!(alert.updated, Some(d("2026-11-22")));
                assert!(changes.iter().any(|c| c.path == "updated"));
                assert!(changes.iter().any(|c| c.path == "severity"));
            }
            other => panic!("expected a revision, got {other:?}"),
        }
    }

    #[test]
    fn a_date_alone_is_no_revision_even_when_forced() {
        let stored = alert("2026-11-22");
        let same_facts_older_date = alert("2004-11-11");
        for force in [false, true] {
            let d = decide(
                Some(&stored),
                same_facts_older_date.clone(),
                d("2026-11-23"),
                force,
            );
            assert!(
                matches!(d, Decision::Unchanged | Decision::Stale { .. }),
                "force={force}: {d:?}"
            );
        }
        assert_eq!(
            decide(Some(&stored), same_facts_older_date, d("2026-11-23"), true),
            Decision::Unchanged
        );
        let same_facts_later_date = alert("2027-01-01");
        assert_eq!(
            decide(Some(&stored), same_facts_later_date, d("2026-11-23"), false),
            Decision::Unchanged
        );
    }

    #[test]
    fn an_older_page_is_stale_unless_forced() {
        let newer = alert("2004-11-24");
        let mut older = alert("2004-11-11");
        older.title = "old".into();
        assert!(matches!(
            decide(Some(&newer), older.clone(), d("2026-11-22"), false),
            Decision::Stale { .. }
        ));
        assert!(matches!(
            decide(Some(&newer), older, d("2026-11-22"), true),
            Decision::Revise { .. }
        ));
    }
}
