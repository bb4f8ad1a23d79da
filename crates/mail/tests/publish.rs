//! Publishing against a real SQLite archive: who is queued, once.

mod common;

use chrono::Utc;
use common::{alert, item, sender, store, subscriber};
use hfr_mail::publish::{publish, MailKind, Published};
use hfr_model::subscription::Preferences;
use hfr_model::Severity;
use hfr_store::OutboxState;

#[tokio::test]
async fn an_alert_goes_once_to_the_confirmed_subscribers_who_asked_for_it() {
    let (store, _dir) = store().await;
    let sender = sender();
    store
        .import(vec![item(alert(Severity::Important, "first"))])
        .await
        .expect("import");
    let all = subscriber(&*store, "all@example.org", Preferences::default(), true).await;
    let critical_only = Preferences {
        min_severity: Some(Severity::Critical),
        ..Preferences::default()
    };
    subscriber(&*store, "critical@example.org", critical_only, true).await;
    subscriber(
        &*store,
        "pending@example.org",
        Preferences::default(),
        false,
    )
    .await;
    let no_revisions = Preferences {
        revisions: false,
        ..Preferences::default()
    };
    let once = subscriber(&*store, "once@example.org", no_revisions, true).await;
    let gone = subscriber(&*store, "gone@example.org", Preferences::default(), true).await;
    assert!(store
        .unsubscribe(gone, Utc::now())
        .await
        .expect("unsubscribe"));

    let out = publish(&*store, &sender, "ms05-999", Utc::now())
        .await
        .expect("publish");
    let Published::Queued {
        kind,
        recipients,
        message_key,
        ..
    } = &out
    else {
        panic!("not queued: {out:?}");
    };
    assert_eq!(*kind, MailKind::Alert);
    assert_eq!(
        *recipients, 2,
        "all@ and once@; not the 緊急-only, pending or gone ones"
    );
    let claimed = store
        .claim_outbox("t", Utc::now(), chrono::Duration::minutes(5), 100)
        .await
        .expect("claim");
    let mut to: Vec<(&str, Option<i64>)> = claimed
        .iter()
        .map(|m| (m.recipient.as_str(), m.subscriber_id))
        .collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            ("all@example.org", Some(all)),
            ("once@example.org", Some(once))
        ]
    );
    assert!(claimed.iter().all(|m| &m.message_key == message_key));
    assert!(claimed
        .iter()
        .all(|m| m.message_id.ends_with("@hfr.example.org>")));

    // Again: nothing more.
    let again = publish(&*store, &sender, "MS05-999", Utc::now())
        .await
        .expect("publish");
    assert!(
        matches!(again, Published::Already { revision: 1, .. }),
        "{again:?}"
    );

    // A revision goes as an update to those who asked for revisions.
    store
        .import(vec![item(alert(Severity::Critical, "second"))])
        .await
        .expect("revise");
    let out = publish(&*store, &sender, "MS05-999", Utc::now())
        .await
        .expect("publish");
    match out {
        Published::Queued {
            kind,
            revision,
            recipients,
            ..
        } => {
            assert_eq!((kind, revision), (MailKind::Update, 2));
            assert_eq!(recipients, 2, "all@ and now the 緊急-only one; not once@");
        }
        other => panic!("not queued: {other:?}"),
    }
    let status = store.outbox_status().await.expect("status");
    let queued: u64 = status
        .iter()
        .filter(|c| c.state == OutboxState::Queued)
        .map(|c| c.count)
        .sum();
    assert_eq!(queued, 2);
}

#[tokio::test]
async fn an_unknown_alert_is_named() {
    let (store, _dir) = store().await;
    let err = publish(&*store, &sender(), "MS99-999", Utc::now())
        .await
        .expect_err("no such alert");
    assert_eq!(err.to_string(), "MS99-999: no such alert in the archive");
}
