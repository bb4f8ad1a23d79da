//! What the mail tests share: a sender, alerts, and a real SQLite archive.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::Utc;
use hfr_mail::{Sender, SenderConfig};
use hfr_model::subscription::Preferences;
use hfr_model::{Action, Alert, Severity};
use hfr_store::{ImportItem, Source, SourceKind, Store};

pub fn sender() -> Sender {
    Sender::new(&SenderConfig {
        from: "HotFix Report <alerts@hfr.example.org>".into(),
        reply_to: None,
        list_domain: "hfr.example.org".into(),
        base_url: "https://hfr.example.org".into(),
        message_id_domain: None,
    })
    .expect("a valid sender")
}

pub fn alert(severity: Severity, title: &str) -> Alert {
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

pub fn item(a: Alert) -> ImportItem {
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

pub async fn store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = hfr_store::open_sqlite(&dir.path().join("mail.sqlite"))
        .await
        .expect("open");
    (Arc::new(s), dir)
}

pub async fn subscriber(
    store: &dyn Store,
    address: &str,
    prefs: Preferences,
    confirm: bool,
) -> i64 {
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
