//! HotFix Weekly: the week's new and updated alerts in one digest.

use chrono::NaiveDate;
use hfr_model::{Action, Alert, Severity};

use super::format;
use super::view::{severity_style, Links};

/// One week of HotFix Weekly: the dates it covers and the alerts published
/// or updated in it. The caller picks the entries (the store knows what was
/// recorded when, and [`hfr_model::subscription::Preferences`] which of
/// them this subscriber wants); composing only presents them.
#[derive(Debug, Clone, PartialEq)]
pub struct Week {
    /// First day covered (inclusive).
    pub start: NaiveDate,
    /// Last day covered (inclusive).
    pub end: NaiveDate,
    /// The alerts, in any order: the mail lists new ones before updated
    /// ones, most severe first.
    pub entries: Vec<WeeklyEntry>,
}

impl Week {
    /// The kind key for [`super::message_id`]: one digest per week.
    pub fn key(&self) -> String {
        format!("weekly.{}", self.start.format("%Y-%m-%d"))
    }
}

/// One alert in the digest: the summary fields a reader decides on, not the
/// whole alert, so the digest stays short and the caller can build it from
/// the store's listings.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyEntry {
    /// Bulletin id, e.g. `MS04-035`; also names the web page.
    pub id: String,
    pub title: String,
    pub severity: Option<Severity>,
    pub exploit_code: Option<bool>,
    pub action: Option<Action>,
    /// HotFix Alert edition date.
    pub edition: Option<NaiveDate>,
    /// The archive's revision number this entry describes.
    pub revision: i64,
    /// Updated this week (listed under 更新) rather than new.
    pub is_revision: bool,
    /// Canonical keys of the sections that changed (see
    /// [`hfr_model::diff::changed_sections`]); shown in Japanese for updates.
    pub changed_sections: Vec<String>,
}

impl WeeklyEntry {
    /// The entry for an alert as the archive holds it; `changed_sections`
    /// starts empty.
    pub fn from_alert(alert: &Alert, revision: i64, is_revision: bool) -> Self {
        WeeklyEntry {
            id: alert.id.clone(),
            title: alert.title.clone(),
            severity: alert.severity,
            exploit_code: alert.exploit_code,
            action: alert.action,
            edition: alert.edition,
            revision,
            is_revision,
            changed_sections: Vec::new(),
        }
    }
}

/// One entry as printed.
#[derive(Debug, Clone)]
pub(crate) struct EntryView {
    pub id: String,
    pub title: String,
    pub severity: Option<Severity>,
    pub exploit: String,
    pub action: String,
    /// `2004/10/16版`, `-` when unknown.
    pub edition: String,
    pub revision: i64,
    /// Changed sections in Japanese, joined; empty when not known.
    pub sections: String,
    pub url: String,
}

impl EntryView {
    pub fn severity_label(&self) -> &'static str {
        self.severity.map(|s| s.label_ja()).unwrap_or("-")
    }
    pub fn severity_style(&self) -> &'static str {
        severity_style(self.severity)
    }
}

/// The digest as printed.
#[derive(Debug, Clone)]
pub(crate) struct WeeklyView {
    pub subject: String,
    /// `2004/10/11〜2004/10/17`.
    pub period: String,
    pub new: Vec<EntryView>,
    pub updated: Vec<EntryView>,
    pub links: Links,
}

/// `2004/10/11〜10/17`, or with the year on both sides when it changes.
pub(crate) fn short_period(start: NaiveDate, end: NaiveDate) -> String {
    if start.format("%Y").to_string() == end.format("%Y").to_string() {
        format!("{}〜{}", start.format("%Y/%m/%d"), end.format("%m/%d"))
    } else {
        format!("{}〜{}", start.format("%Y/%m/%d"), end.format("%Y/%m/%d"))
    }
}

impl WeeklyView {
    pub fn new(week: &Week, subject: String, url: impl Fn(&str) -> String, links: Links) -> Self {
        let mut entries: Vec<&WeeklyEntry> = week.entries.iter().collect();
        // Most severe first (unknown last), then the newest edition, then id.
        entries.sort_by(|a, b| {
            let rank = |e: &WeeklyEntry| e.severity.map(|s| s.number()).unwrap_or(u8::MAX);
            rank(a)
                .cmp(&rank(b))
                .then(b.edition.cmp(&a.edition))
                .then(a.id.cmp(&b.id))
        });
        let view = |e: &WeeklyEntry| EntryView {
            id: format::one_line(&e.id),
            title: format::one_line(&e.title),
            severity: e.severity,
            exploit: hfr_model::present::yes_no(e.exploit_code, "あり", "なし").to_string(),
            action: format::action(e.action),
            edition: format::edition(e.edition),
            revision: e.revision,
            sections: e
                .changed_sections
                .iter()
                .map(|s| hfr_model::diff::section_label(s))
                .collect::<Vec<_>>()
                .join("、"),
            url: url(&e.id),
        };
        WeeklyView {
            subject,
            period: format!(
                "{}〜{}",
                week.start.format("%Y/%m/%d"),
                week.end.format("%Y/%m/%d")
            ),
            new: entries
                .iter()
                .filter(|e| !e.is_revision)
                .map(|e| view(e))
                .collect(),
            updated: entries
                .iter()
                .filter(|e| e.is_revision)
                .map(|e| view(e))
                .collect(),
            links,
        }
    }
}
