//! Publishing against a real SQLite archive: who is queued, once.

use std::sync::Arc;

use chrono::Utc;
use hfr_mail::publish::{publish, MailKind, Published};
use hfr_mail::{Sender, SenderConfig};
use hfr_model::subscription::Preferences;
use hfr_model::{Action, Alert, Severity};
use hfr_store::{ImportItem, OutboxState, Source, SourceKind, Store};

fn sender() -> Sender {
    Sender::new(&SenderConfig {
        from: "HotFix Report <alerts@hfr.example.org>".into(),
        reply_to: None,
        list_domain: "hfr.example.org".into(),
        base_url: "https://hfr.example.org".into(),
        message_id_domain: None,
    })
    .expect("a valid sender")
}

fn alert(severity: Severity, title: &str) -> Alert {
    Alert {
        id: "MS05-999".into(),
        severity: Some(severity),
        exploit_code: Some(false),
        action: Some(Action::ApplySoon),
        title: title.into(),
        updated: chrono::NaiveDate::from_ymd_opt(2005, 1, 12),
        ..Alert::default()
    }
}

fn item(a: Alert) -> ImportItem {
    ImportItem {
        source: Source {
            kind: SourceKind::Edit,
            name: "test".into(),
            format: "hfr-json".into(),
            sha256: None,
            text: None,
        },
        alert: a,
        force: false,
    }
}

async fn store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = hfr_store::open_sqlite(&dir.path().join("mail.sqlite"))
        .await
        .expect("open");
    (Arc::new(s), dir)
}

async fn subscriber(store: &dyn Store, address: &str, prefs: Preferences, confirm: bool) -> i64 {
    let s = store
        .upsert_subscriber(address, &prefs, "nonce", Utc::now())
        .await
        .expect("subscribe");
    if confirm {
        assert!(store
            .confirm_subscriber(s.id, Utc::now())
            .await
            .expect("confirm"));
    }
    s.id
}

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
