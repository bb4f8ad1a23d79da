//! Microsoft's Security Update Guide API (CVRF v3.0): the list of monthly
//! updates, then one document per month.
//!
//! `GET {base}updates` answers `{"value": [{"ID": "2017-Mar",
//! "InitialReleaseDate": …, "CurrentReleaseDate": …, "CvrfUrl": …}, …]}`;
//! `GET {base}cvrf/{ID}` serves the month as CVRF 1.1 XML or as MSRC's JSON,
//! chosen by the `Accept` header. No key is needed.
//!
//! Whether the API sends `ETag`/`Last-Modified` is undocumented, so the list's
//! `CurrentReleaseDate` is the validator that always works: a month whose
//! date equals the one recorded is not requested at all. Conditional
//! requests are still sent when a month is fetched again, in case it does.

use serde::Deserialize;
use url::Url;

use crate::client::{check_url, Client};
use crate::{Discovery, DocumentKind, DocumentRef, HashSource, SyncError};

/// Microsoft's API, version 3.0.
pub const DEFAULT_MSRC_API: &str = "https://api.msrc.microsoft.com/cvrf/v3.0/";

/// Which months to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MonthSelection {
    #[default]
    All,
    /// Months first released in this month or later (`--since 2017-01`).
    Since { year: u16, month: u8 },
    /// These update ids (`2017-Mar`, `2017-May-B`), case-insensitively.
    Ids(Vec<String>),
}

impl MonthSelection {
    /// `YYYY-MM` (also `YYYY-M`) → [`MonthSelection::Since`].
    pub fn parse_since(text: &str) -> Result<MonthSelection, String> {
        let bad = || format!("{text:?} is not a month: write it as YYYY-MM, e.g. 2017-01");
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || !(1..=2).contains(&m.len()) {
            return Err(bad());
        }
        let year: u16 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(MonthSelection::Since { year, month })
    }
}

/// The format asked for with `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MsrcFormat {
    /// CVRF 1.1 XML: what hfr's importer reads.
    #[default]
    Xml,
    /// MSRC's JSON rendering of the same document.
    Json,
}

impl MsrcFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            MsrcFormat::Xml => "application/xml",
            MsrcFormat::Json => "application/json",
        }
    }

    fn kind(self) -> DocumentKind {
        match self {
            MsrcFormat::Xml => DocumentKind::MsrcCvrfXml,
            MsrcFormat::Json => DocumentKind::MsrcCvrfJson,
        }
    }
}

#[derive(Deserialize)]
struct Updates {
    value: Vec<Update>,
}

#[derive(Deserialize)]
struct Update {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "InitialReleaseDate")]
    initial_release_date: Option<String>,
    #[serde(rename = "CurrentReleaseDate")]
    current_release_date: Option<String>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The month an update was first released: `InitialReleaseDate`'s
/// `YYYY-MM`, else the `YYYY-Mon` its id starts with.
fn release_month(u: &Update) -> Option<(u16, u8)> {
    if let Some(d) = &u.initial_release_date {
        let y = d.get(0..4).and_then(|y| y.parse().ok());
        let m = d.get(5..7).and_then(|m| m.parse().ok());
        if let (Some(y), Some(m)) = (y, m) {
            return Some((y, m));
        }
    }
    let id = u.id.as_deref()?;
    let y: u16 = id.get(0..4)?.parse().ok()?;
    let mon = id.get(5..8)?.to_ascii_lowercase();
    let m = MONTHS.iter().position(|x| *x == mon)?;
    Some((y, m as u8 + 1))
}

/// Lists the months `months` selects from the API at `base`.
pub fn discover(
    client: &Client,
    base: &str,
    months: &MonthSelection,
    format: MsrcFormat,
) -> Result<Discovery, SyncError> {
    let mut base_url = check_url(base)?;
    if !base_url.path().ends_with('/') {
        let path = format!("{}/", base_url.path());
        base_url.set_path(&path);
    }
    let updates_url = join(&base_url, "updates")?;
    let body = client.get_body(updates_url.as_str(), Some("application/json"))?;
    let updates: Updates = serde_json::from_slice(&body.bytes).map_err(|e| SyncError::Format {
        url: updates_url.to_string(),
        reason: format!("not MSRC's list of updates ({{\"value\": [{{\"ID\": …}}]}}): {e}"),
    })?;
    let mut discovery = Discovery::default();
    let mut selected: Vec<(&Update, &str)> = Vec::new();
    let mut wanted: Vec<String> = match months {
        MonthSelection::Ids(ids) => ids.clone(),
        _ => Vec::new(),
    };
    for u in &updates.value {
        let Some(id) = u.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            let w = format!("{updates_url}: an update without an ID; skipped");
            tracing::warn!("{w}");
            discovery.warnings.push(w);
            continue;
        };
        let month = release_month(u);
        let take = match months {
            MonthSelection::All => true,
            MonthSelection::Ids(_) => {
                let before = wanted.len();
                wanted.retain(|w| !w.trim().eq_ignore_ascii_case(id));
                wanted.len() < before
            }
            MonthSelection::Since { year, month: m } => match month {
                Some(rm) => rm >= (*year, *m),
                None => {
                    let w = format!(
                        "{updates_url}: {id}: no InitialReleaseDate and no YYYY-Mon id, so not known to be after the --since month; skipped"
                    );
                    tracing::warn!("{w}");
                    discovery.warnings.push(w);
                    false
                }
            },
        };
        if take {
            selected.push((u, id));
        }
    }
    if !wanted.is_empty() {
        let mut ids: Vec<&str> = updates
            .value
            .iter()
            .filter_map(|u| u.id.as_deref())
            .collect();
        let known = match ids.len() {
            0 => "no updates".to_string(),
            n if n <= 6 => ids.join(", "),
            n => {
                ids.sort_unstable();
                format!("{n} updates, e.g. {}", ids[n - 3..].join(", "))
            }
        };
        return Err(SyncError::UnknownMonth {
            url: updates_url.to_string(),
            missing: wanted,
            known,
        });
    }
    // Oldest first, so that a CVE revised in a later month is stored last.
    selected.sort_by_key(|(u, id)| (u.initial_release_date.as_deref(), release_month(u), *id));
    let cvrf = join(&base_url, "cvrf/")?;
    for (u, id) in selected {
        // Built from the base URL rather than taken from `CvrfUrl`, so a
        // mirror of the API serves its own documents even when its list
        // still names Microsoft's host.
        let mut url = cvrf.clone();
        match url.path_segments_mut() {
            Ok(mut segments) => {
                segments.pop_if_empty().push(id);
            }
            Err(()) => {
                return Err(SyncError::BadUrl {
                    url: cvrf.to_string(),
                    reason: "cannot have a path".into(),
                })
            }
        }
        discovery.documents.push(DocumentRef {
            url: url.to_string(),
            label: id.to_string(),
            kind: format.kind(),
            listed_date: u.current_release_date.clone(),
            accept: Some(format.media_type().to_string()),
            hash: HashSource::None,
        });
    }
    Ok(discovery)
}

fn join(base: &Url, rel: &str) -> Result<Url, SyncError> {
    base.join(rel).map_err(|e| SyncError::BadUrl {
        url: format!("{rel} (relative to {base})"),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since() {
        assert_eq!(
            MonthSelection::parse_since("2017-01"),
            Ok(MonthSelection::Since {
                year: 2017,
                month: 1
            })
        );
        assert_eq!(
            MonthSelection::parse_since("2017-3"),
            Ok(MonthSelection::Since {
                year: 2017,
                month: 3
            })
        );
        for bad in ["2017", "2017-13", "17-01", "2017-Mar", "", "2017-00"] {
            let e = MonthSelection::parse_since(bad).unwrap_err();
            assert!(e.contains("YYYY-MM"), "{bad}: {e}");
        }
    }

    #[test]
    fn months() {
        let u = |id: &str, d: Option<&str>| Update {
            id: Some(id.into()),
            initial_release_date: d.map(Into::into),
            current_release_date: None,
        };
        assert_eq!(
            release_month(&u("Oct-OOB", Some("2016-10-27T07:00:00"))),
            Some((2016, 10))
        );
        assert_eq!(release_month(&u("2017-May-B", None)), Some((2017, 5)));
        assert_eq!(release_month(&u("Oct-OOB", None)), None);
    }
}
