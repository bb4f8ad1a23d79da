//! A vendor release: one of Microsoft's monthly security-update documents
//! (`2017-Mar`, or an out-of-band one like `Oct-OOB`), which the importer
//! splits into one alert per CVE.
//!
//! The month is still how administrators plan ("what came out on Patch
//! Tuesday"), as a bulletin once was, so the document is kept as a record
//! of its own that a page can show whole: its dates and revision, the
//! vendor's release notes, and the alerts it contains with their most
//! severe rating. The alerts themselves hold the facts; a release only
//! lists them, so a re-import that changes one CVE changes one alert.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Note, Severity, VendorRevision};

/// One vendor release document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Release {
    /// The document id, e.g. `2017-Mar`, `Oct-OOB`, `2017-May-B`.
    pub id: String,
    /// The vendor's title, e.g. `March 2017 Security Updates`.
    pub title: String,
    /// Other ids the vendor gives the document.
    pub aliases: Vec<String>,
    /// The kind of document, e.g. `Security Update`.
    pub document_type: Option<String>,
    /// Who published it, e.g. `secure@microsoft.com`.
    pub publisher: Option<String>,
    /// E.g. `Final`.
    pub status: Option<String>,
    /// The document format's version field (always `1.0` for Microsoft;
    /// the revision below is what moves).
    pub version: Option<String>,
    /// First published.
    pub initial_release: Option<DateTime<Utc>>,
    /// Last revised; a re-import with the same value brings nothing new.
    pub current_release: Option<DateTime<Utc>>,
    /// The document's current revision number, e.g. `7`.
    pub revision: Option<String>,
    /// The revision history as the vendor lists it (Microsoft lists only
    /// the latest).
    pub revisions: Vec<VendorRevision>,
    /// The vendor's notes on the whole release (release notes, legal
    /// disclaimer), as text.
    pub notes: Vec<Note>,
    /// The alerts the release contains, in the document's order.
    pub alerts: Vec<ReleaseAlert>,
}

/// One alert of a release, as the release page lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ReleaseAlert {
    /// The alert id: the CVE (`CVE-2017-0144`) or advisory (`ADV170001`).
    pub id: String,
    pub title: String,
    /// The most severe rating over the alert's products.
    pub severity: Option<Severity>,
    /// The vendor's component tags, for grouping, e.g. `Windows SMB Server`.
    pub tags: Vec<String>,
}

impl Release {
    /// The most severe rating of any alert in the release.
    pub fn max_severity(&self) -> Option<Severity> {
        self.alerts.iter().filter_map(|a| a.severity).min()
    }

    /// How many alerts have each rating, most severe first; the last entry
    /// counts the alerts without one.
    pub fn severity_counts(&self) -> Vec<(Option<Severity>, usize)> {
        Severity::ALL
            .into_iter()
            .map(Some)
            .chain([None])
            .map(|s| (s, self.alerts.iter().filter(|a| a.severity == s).count()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, severity: Option<Severity>) -> ReleaseAlert {
        ReleaseAlert {
            id: id.into(),
            severity,
            ..ReleaseAlert::default()
        }
    }

    #[test]
    fn the_release_is_as_severe_as_its_worst_alert() {
        let r = Release {
            id: "2099-Jan".into(),
            alerts: vec![
                entry("CVE-2099-0001", Some(Severity::Important)),
                entry("CVE-2099-0002", Some(Severity::Critical)),
                entry("ADV990001", None),
            ],
            ..Release::default()
        };
        assert_eq!(r.max_severity(), Some(Severity::Critical));
        assert_eq!(
            r.severity_counts(),
            vec![
                (Some(Severity::Critical), 1),
                (Some(Severity::Important), 1),
                (Some(Severity::Moderate), 0),
                (Some(Severity::Low), 0),
                (None, 1),
            ]
        );
        assert_eq!(Release::default().max_severity(), None);
    }

    #[test]
    fn a_release_round_trips_through_json() {
        let r = Release {
            id: "2099-Jan".into(),
            title: "January 2099 Security Updates".into(),
            revision: Some("3".into()),
            alerts: vec![entry("CVE-2099-0001", Some(Severity::Low))],
            ..Release::default()
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["alerts"][0]["severity"], 4);
        assert!(v["current_release"].is_null());
        let back: Release = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }
}
