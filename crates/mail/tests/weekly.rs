//! HotFix Weekly against a real SQLite archive: what a week holds, and who
//! is queued for it, once.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{alert, item, sender, store, subscriber};
use hfr_mail::weekly::{queue, week, WeeklyError};
use hfr_model::subscription::Preferences;
use hfr_model::Severity;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

#[tokio::test]
async fn a_week_lists_its_publications_new_then_updated() {
    let (store, _dir) = store().await;
    let monday = day("2005-01-10");
    // Published on Monday 09:00 and the next Monday 08:59, Japan time.
    let inside = Utc.with_ymd_and_hms(2005, 1, 10, 0, 0, 0).unwrap();
    let next_week = Utc.with_ymd_and_hms(2005, 1, 16, 23, 59, 0).unwrap();
    store
        .import(vec![item(alert(Severity::Important, "first"))])
        .await
        .expect("import");
    store
        .publish(
            "MS05-999",
            1,
            inside - chrono::Duration::days(7),
            Vec::new(),
        )
        .await
        .expect("publish r1 the week before");
    store
        .import(vec![item(alert(Severity::Critical, "second"))])
        .await
        .expect("revise");
    store
        .publish("MS05-999", 2, inside, Vec::new())
        .await
        .expect("publish r2");
    let mut other = alert(Severity::Moderate, "other");
    other.id = "MS05-998".into();
    store.import(vec![item(other)]).await.expect("import");
    store
        .publish("MS05-998", 1, next_week, Vec::new())
        .await
        .expect("publish");
    // Imported, never published: not news.
    let mut quiet = alert(Severity::Critical, "quiet");
    quiet.id = "MS05-997".into();
    store.import(vec![item(quiet)]).await.expect("import");

    let w = week(&*store, monday).await.expect("week");
    assert_eq!((w.start, w.end), (monday, day("2005-01-16")));
    let listed: Vec<(&str, i64, bool)> = w
        .entries
        .iter()
        .map(|e| (e.id.as_str(), e.revision, e.is_revision))
        .collect();
    assert_eq!(listed, vec![("MS05-999", 2, true)]);
    assert!(
        w.entries[0]
            .changed_sections
            .contains(&"severity".to_string())
            && w.entries[0].changed_sections.contains(&"title".to_string()),
        "{:?}",
        w.entries[0].changed_sections
    );
    let next = week(&*store, day("2005-01-17")).await.expect("week");
    assert_eq!(next.entries.len(), 1);
    assert_eq!(
        (next.entries[0].id.as_str(), next.entries[0].is_revision),
        ("MS05-998", false)
    );

    let err = week(&*store, day("2005-01-12"))
        .await
        .expect_err("a Wednesday");
    assert!(matches!(err, WeeklyError::NotMonday(_)), "{err}");
}

#[tokio::test]
async fn the_digest_is_queued_once_for_those_who_asked() {
    let (store, _dir) = store().await;
    let s = sender();
    let monday = day("2005-01-10");
    let now = Utc.with_ymd_and_hms(2005, 1, 17, 0, 0, 0).unwrap();
    // An empty week queues nothing.
    subscriber(&*store, "weekly@example.org", Preferences::default(), true).await;
    let q = queue(&*store, &s, monday, now).await.expect("queue");
    assert_eq!((q.alerts, q.recipients), (0, 0));

    store
        .import(vec![item(alert(Severity::Important, "first"))])
        .await
        .expect("import");
    let inside = Utc.with_ymd_and_hms(2005, 1, 11, 3, 0, 0).unwrap();
    store
        .publish("MS05-999", 1, inside, Vec::new())
        .await
        .expect("publish");
    let no_weekly = Preferences {
        weekly: false,
        ..Preferences::default()
    };
    subscriber(&*store, "alerts-only@example.org", no_weekly, true).await;
    subscriber(
        &*store,
        "pending@example.org",
        Preferences::default(),
        false,
    )
    .await;
    let q = queue(&*store, &s, monday, now).await.expect("queue");
    assert_eq!((q.alerts, q.recipients), (1, 1));
    assert_eq!(q.message_key, "weekly.2005-01-10");
    let again = queue(&*store, &s, monday, now).await.expect("queue again");
    assert_eq!(again.recipients, 0, "nobody gets it twice");
    let claimed = store
        .claim_outbox("t", now, chrono::Duration::minutes(5), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].recipient, "weekly@example.org");
}

/// An archive with one confirmed subscriber who wants the Weekly and one
/// alert, published `at`.
async fn one_reader_one_publication(
    at: chrono::DateTime<Utc>,
) -> (std::sync::Arc<dyn hfr_store::Store>, tempfile::TempDir) {
    let (store, dir) = store().await;
    subscriber(&*store, "weekly@example.org", Preferences::default(), true).await;
    store
        .import(vec![item(alert(Severity::Important, "first"))])
        .await
        .expect("import");
    store
        .publish("MS05-999", 1, at, Vec::new())
        .await
        .expect("publish");
    (store, dir)
}

#[tokio::test]
async fn the_schedule_queues_the_last_week_once() {
    use hfr_mail::weekly::{due_at, last_complete_week, run_schedule};
    let monday = last_complete_week(Utc::now());
    // Tuesday of that week, noon in Japan.
    let tuesday = Utc.from_utc_datetime(
        &(monday + chrono::Duration::days(1))
            .and_hms_opt(3, 0, 0)
            .unwrap(),
    );
    let (store, _dir) = one_reader_one_publication(tuesday).await;
    let s = sender();
    let queued = || async {
        store
            .outbox_status()
            .await
            .expect("status")
            .iter()
            .map(|c| c.count)
            .sum::<u64>()
    };
    for _ in 0..2 {
        let stop = tokio::time::sleep(std::time::Duration::from_millis(150));
        run_schedule(&*store, &s, std::time::Duration::from_millis(20), stop).await;
    }
    // Before Monday 09:00 in Japan the week is not due yet.
    let expected = u64::from(Utc::now() >= due_at(monday));
    assert_eq!(queued().await, expected);
}

#[tokio::test]
async fn a_due_week_is_queued_once_and_a_week_not_yet_due_is_not() {
    use hfr_mail::weekly::queue_if_due;
    let tuesday = Utc.with_ymd_and_hms(2005, 1, 11, 3, 0, 0).unwrap();
    let (store, _dir) = one_reader_one_publication(tuesday).await;
    let s = sender();
    // Monday 2005-01-17 08:59 in Japan: not yet; 09:00: due.
    let early = Utc.with_ymd_and_hms(2005, 1, 16, 23, 59, 0).unwrap();
    assert_eq!(queue_if_due(&*store, &s, early).await.expect("check"), None);
    let due = Utc.with_ymd_and_hms(2005, 1, 17, 0, 0, 0).unwrap();
    let q = queue_if_due(&*store, &s, due).await.expect("check");
    assert_eq!(q.map(|q| (q.alerts, q.recipients)), Some((1, 1)));
    let later = due + chrono::Duration::hours(5);
    assert_eq!(queue_if_due(&*store, &s, later).await.expect("check"), None);
}
