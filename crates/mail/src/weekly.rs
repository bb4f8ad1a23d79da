//! HotFix Weekly: the week's publications in one digest.
//!
//! A week runs Monday to Sunday in Japan time (UTC+9), the subscribers'
//! time, and holds what was *published* in it (`hfr publish`, or an import
//! with `--publish`): each alert once, as new when its first publication
//! fell in the week, else as updated, with the sections that changed. What
//! was imported but never published (e.g. a back-catalogue import) is not
//! news and is not listed. The digest is the whole week for everyone who
//! asked for it; the per-alert filters of a subscriber apply to alert mails.
//!
//! Queueing is idempotent: the outbox holds one row per message key
//! (`weekly.{monday}`) and recipient, so running it again (by hand, or by
//! `hfr serve`'s schedule in another process) sends nobody a second copy.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use hfr_model::diff::changed_sections;
use hfr_store::{Store, StoreError};

use crate::compose::{Sender, Week, WeeklyEntry};
use crate::publish::queue_for_subscribers;

/// Japan Standard Time, the digest's clock.
fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// The Monday that starts the week holding `day`.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The Monday of the last complete week before `now` (Japan time): the week
/// a digest sent at `now` covers.
pub fn last_complete_week(now: DateTime<Utc>) -> NaiveDate {
    monday_of(now.with_timezone(&jst()).date_naive()) - Duration::days(7)
}

/// The instant a day starts in Japan time.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    jst()
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// Why a digest could not be made or queued.
#[derive(Debug, thiserror::Error)]
pub enum WeeklyError {
    #[error("{0} is not a Monday: a week starts on Monday")]
    NotMonday(NaiveDate),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The digest of the week starting `monday`, from the store.
pub async fn week(store: &dyn Store, monday: NaiveDate) -> Result<Week, WeeklyError> {
    if monday.weekday() != chrono::Weekday::Mon {
        return Err(WeeklyError::NotMonday(monday));
    }
    let end = monday + Duration::days(6);
    let published = store
        .publications_between(start_of(monday), start_of(monday + Duration::days(7)))
        .await?;
    // Per alert: new if any of its publications this week was its first,
    // described at the newest revision published this week.
    let mut per_alert: BTreeMap<String, (bool, i64)> = BTreeMap::new();
    for p in published {
        let e = per_alert
            .entry(p.alert_id.to_uppercase())
            .or_insert((false, p.revision));
        e.0 |= p.first;
        e.1 = e.1.max(p.revision);
    }
    let mut entries = Vec::new();
    for (id, (new, revision)) in per_alert {
        let Some(stored) = store.get_revision(&id, revision).await? else {
            continue;
        };
        let mut entry = WeeklyEntry::from_alert(&stored.alert, revision, !new);
        if !new {
            let changes = store
                .history(&id)
                .await?
                .into_iter()
                .find(|r| r.revision == revision)
                .map(|r| r.changes)
                .unwrap_or_default();
            entry.changed_sections = changed_sections(&changes);
        }
        entries.push(entry);
    }
    Ok(Week {
        start: monday,
        end,
        entries,
    })
}

/// What [`queue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub monday: NaiveDate,
    pub message_key: String,
    /// Alerts in the digest; nothing is queued for an empty week.
    pub alerts: usize,
    /// Rows queued now (subscribers already queued for it are skipped).
    pub recipients: u64,
}

/// Queues the digest of the week starting `monday` for every confirmed
/// subscriber who asked for HotFix Weekly. An empty week queues nothing.
pub async fn queue(
    store: &dyn Store,
    sender: &Sender,
    monday: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Queued, WeeklyError> {
    let digest = week(store, monday).await?;
    let key = digest.key();
    let mut queued = Queued {
        monday,
        message_key: key.clone(),
        alerts: digest.entries.len(),
        recipients: 0,
    };
    if digest.entries.is_empty() {
        return Ok(queued);
    }
    queued.recipients =
        queue_for_subscribers(store, sender, &key, now, |s| s.preferences.weekly).await?;
    Ok(queued)
}

/// When the digest of the week starting `monday` goes out: the Monday
/// after, 09:00 Japan time, when that week's last publications are in.
pub fn due_at(monday: NaiveDate) -> DateTime<Utc> {
    start_of(monday + Duration::days(7)) + Duration::hours(9)
}

/// The settings key recording that a week's digest was queued.
fn done_key(monday: NaiveDate) -> String {
    format!("weekly.queued.{}", monday.format("%Y-%m-%d"))
}

/// The schedule `hfr serve` runs: queues each week's digest once it is due
/// ([`due_at`]), then records that in the store's settings, so a restart
/// (or a second server on the same store) does not queue it again. Should
/// queueing stop half way, the next check queues the rest; a failing check
/// is logged and made again. Runs until `stop` resolves; checks every
/// `every`.
pub async fn run_schedule(
    store: &dyn Store,
    sender: &Sender,
    every: std::time::Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        if let Err(e) = queue_if_due(store, sender, Utc::now()).await {
            tracing::error!(error = %e, "HotFix Weekly: the check failed; it is made again later");
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = &mut stop => return,
        }
    }
}

/// Queues the last complete week's digest when it is due and not queued
/// yet; what was queued, if anything.
pub async fn queue_if_due(
    store: &dyn Store,
    sender: &Sender,
    now: DateTime<Utc>,
) -> Result<Option<Queued>, WeeklyError> {
    let monday = last_complete_week(now);
    let key = done_key(monday);
    if now < due_at(monday) || store.setting(&key).await?.is_some() {
        return Ok(None);
    }
    let q = queue(store, sender, monday, now).await?;
    store.setting_or_insert(&key, &now.to_rfc3339()).await?;
    tracing::info!(
        week = %monday,
        alerts = q.alerts,
        recipients = q.recipients,
        "HotFix Weekly queued"
    );
    Ok(Some(q))
}

/// `weekly.{monday}`, as [`Week::key`] makes it.
pub fn parse_key(key: &str) -> Option<NaiveDate> {
    let day = key.strip_prefix("weekly.")?;
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_digest_is_due_on_monday_morning_in_japan() {
        assert_eq!(
            due_at(d("2004-10-11")),
            Utc.with_ymd_and_hms(2004, 10, 18, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn weeks_start_on_monday_in_japan() {
        assert_eq!(monday_of(d("2004-10-13")), d("2004-10-11"));
        assert_eq!(monday_of(d("2004-10-11")), d("2004-10-11"));
        assert_eq!(monday_of(d("2004-10-17")), d("2004-10-11"));
        // Sunday 2004-10-17 23:30 UTC is Monday 08:30 in Japan: the week of
        // 10-11 is complete there.
        let t = Utc.with_ymd_and_hms(2004, 10, 17, 23, 30, 0).unwrap();
        assert_eq!(last_complete_week(t), d("2004-10-11"));
        let t = Utc.with_ymd_and_hms(2004, 10, 17, 14, 0, 0).unwrap();
        assert_eq!(last_complete_week(t), d("2004-10-04"));
        assert_eq!(
            start_of(d("2004-10-11")),
            Utc.with_ymd_and_hms(2004, 10, 10, 15, 0, 0).unwrap()
        );
        assert_eq!(parse_key("weekly.2004-10-11"), Some(d("2004-10-11")));
        assert_eq!(parse_key("weekly.x"), None);
        assert_eq!(parse_key("alert.MS04-035"), None);
    }
}
