//! Subscribing, confirming, changing preferences and leaving, against a real
//! SQLite archive: every refusal changes nothing.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use hfr_mail::subscribe::{
    check_link, confirm, confirmation_expiry, confirmation_row_key, load_preferences, request,
    save_preferences, unsubscribe, Confirmed, LinkRefusal, Requested, SubscribeError, MAX_PRODUCTS,
};
use hfr_mail::token::{Purpose, Secret, TokenError};
use hfr_model::subscription::Preferences;
use hfr_model::{Affected, Alert, Severity};
use hfr_store::{OutboxCount, Store, Subscriber, SubscriberState};

mod common;
use common::{item, sender};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2004, 10, 13, 9, 15, 0).unwrap()
}

/// An archive naming two products, and its token secret.
async fn store() -> (Arc<dyn Store>, Secret, tempfile::TempDir) {
    let (store, dir) = common::store().await;
    let alert = Alert {
        id: "MS04-035".into(),
        severity: Some(Severity::Critical),
        affected: ["Exchange Server 2003", "Windows Server 2003"]
            .into_iter()
            .map(|p| Affected {
                software: p.into(),
                platforms: p.into(),
            })
            .collect(),
        ..Alert::default()
    };
    store.import(vec![item(alert)]).await.expect("import");
    let secret = hfr_mail::deliver::secret(&*store).await.expect("secret");
    (store, secret, dir)
}

fn critical_exchange() -> Preferences {
    Preferences {
        min_severity: Some(Severity::Critical),
        products: vec!["exchange server 2003".into()],
        ..Preferences::default()
    }
}

/// Everything a refusal must leave alone: the subscriber and the outbox.
async fn snapshot(store: &dyn Store, id: i64) -> (Option<Subscriber>, Vec<OutboxCount>) {
    (
        store.subscriber(id).await.unwrap(),
        store.outbox_status().await.unwrap(),
    )
}

fn is_link_refusal(r: Result<impl std::fmt::Debug, SubscribeError>) -> LinkRefusal {
    match r {
        Err(SubscribeError::Link(reason)) => reason,
        other => panic!("expected a refused link, got {other:?}"),
    }
}

/// A new subscriber through the form: its id and the confirmation token its
/// mail will carry (made as the delivery worker makes it).
async fn pending(store: &dyn Store, secret: &Secret, address: &str) -> (i64, String) {
    let r = request(store, &sender(), address, &critical_exchange(), now())
        .await
        .expect("request");
    let Requested::ConfirmationQueued { id } = r else {
        panic!("expected a queued confirmation, got {r:?}");
    };
    let s = store.subscriber(id).await.unwrap().unwrap();
    let token = secret
        .issue(
            Purpose::Confirm,
            id,
            &s.token_nonce,
            Some(confirmation_expiry(now())),
        )
        .unwrap();
    (id, token)
}

fn token(secret: &Secret, s: &Subscriber, purpose: Purpose) -> String {
    secret.issue(purpose, s.id, &s.token_nonce, None).unwrap()
}

#[tokio::test]
async fn the_whole_double_opt_in() {
    let (store, secret, _dir) = store().await;
    let (id, confirm_token) = pending(&*store, &secret, "Taro@Example.JP").await;

    // Pending, with the products as the archive spells them.
    let s = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(s.state, SubscriberState::Pending);
    assert_eq!(s.address, "Taro@Example.JP");
    assert_eq!(s.preferences.products, vec!["Exchange Server 2003"]);
    assert_eq!(s.preferences.min_severity, Some(Severity::Critical));

    // One confirmation row, by the contract of confirmation_row_key.
    let key = confirmation_row_key(id, confirmation_expiry(now()));
    let rows = store
        .claim_outbox("test", now(), Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].message_key, key);
    assert_eq!(rows[0].subscriber_id, Some(id));
    // Lower-cased, so that spelling the address otherwise queues no more.
    assert_eq!(rows[0].recipient, "taro@example.jp");
    assert_eq!(
        rows[0].message_id,
        hfr_mail::message_id(&sender(), &key, "Taro@Example.JP")
    );

    // Asking again within the hour queues nothing more, however spelt.
    let again = request(
        &*store,
        &sender(),
        "TARO@example.jp",
        &critical_exchange(),
        now() + Duration::minutes(20),
    )
    .await
    .unwrap();
    assert_eq!(again, Requested::AlreadyQueued { id });
    let total: u64 = store
        .outbox_status()
        .await
        .unwrap()
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(total, 1);

    // The confirmation page changes nothing; the button confirms, once.
    let seen = check_link(&*store, &secret, &confirm_token, Purpose::Confirm, now())
        .await
        .unwrap();
    assert_eq!(seen.state, SubscriberState::Pending);
    let done = confirm(&*store, &secret, &confirm_token, now())
        .await
        .unwrap();
    assert!(matches!(done, Confirmed::Now(_)), "{done:?}");
    assert_eq!(done.subscriber().state, SubscriberState::Confirmed);
    let twice = confirm(&*store, &secret, &confirm_token, now())
        .await
        .unwrap();
    assert!(matches!(twice, Confirmed::Already(_)), "{twice:?}");

    // The preferences link: loaded, saved, with the unsubscribe token for
    // the page's button.
    let s = store.subscriber(id).await.unwrap().unwrap();
    let prefs_token = token(&secret, &s, Purpose::Preferences);
    let managed = load_preferences(&*store, &secret, &prefs_token, now())
        .await
        .unwrap();
    assert_eq!(managed.subscriber, s);
    assert_eq!(
        managed.unsubscribe_token,
        token(&secret, &s, Purpose::Unsubscribe)
    );
    let wider = Preferences {
        min_severity: Some(Severity::Important),
        products: vec![
            " Windows Server 2003 ".into(),
            "WINDOWS SERVER 2003".into(),
            "Exchange Server 2003".into(),
        ],
        weekly: false,
        ..Preferences::default()
    };
    let saved = save_preferences(&*store, &secret, &prefs_token, &wider, now())
        .await
        .unwrap();
    assert_eq!(
        saved.subscriber.preferences.products,
        vec!["Windows Server 2003", "Exchange Server 2003"]
    );
    assert!(!saved.subscriber.preferences.weekly);
    assert_eq!(saved.subscriber.state, SubscriberState::Confirmed);

    // A confirmed subscriber's conditions are not the public form's to change.
    let before = snapshot(&*store, id).await;
    let r = request(
        &*store,
        &sender(),
        "taro@example.jp",
        &Preferences {
            min_severity: Some(Severity::Low),
            ..Preferences::default()
        },
        now() + Duration::hours(3),
    )
    .await
    .unwrap();
    assert_eq!(r, Requested::AlreadyConfirmed { id });
    assert_eq!(snapshot(&*store, id).await, before);

    // Leaving: unsubscribed, and every link mailed before is dead.
    let unsub_token = managed.unsubscribe_token;
    let left = unsubscribe(&*store, &secret, &unsub_token, now())
        .await
        .unwrap();
    assert_eq!(left.state, SubscriberState::Unsubscribed);
    assert_ne!(left.token_nonce, s.token_nonce);
    let after = snapshot(&*store, id).await;
    for (t, p) in [
        (&unsub_token, Purpose::Unsubscribe),
        (&prefs_token, Purpose::Preferences),
        (&confirm_token, Purpose::Confirm),
    ] {
        let reason = is_link_refusal(check_link(&*store, &secret, t, p, now()).await);
        assert_eq!(reason, LinkRefusal::Token(TokenError::BadMac), "{p:?}");
    }
    is_link_refusal(unsubscribe(&*store, &secret, &unsub_token, now()).await);
    is_link_refusal(load_preferences(&*store, &secret, &prefs_token, now()).await);
    is_link_refusal(save_preferences(&*store, &secret, &prefs_token, &wider, now()).await);
    is_link_refusal(confirm(&*store, &secret, &confirm_token, now()).await);
    assert_eq!(snapshot(&*store, id).await, after);
}

#[tokio::test]
async fn an_old_confirmation_link_cannot_confirm_a_new_subscription() {
    let (store, secret, _dir) = store().await;
    let (id, first_confirm) = pending(&*store, &secret, "a@example.org").await;
    confirm(&*store, &secret, &first_confirm, now())
        .await
        .unwrap();
    let s = store.subscriber(id).await.unwrap().unwrap();
    unsubscribe(
        &*store,
        &secret,
        &token(&secret, &s, Purpose::Unsubscribe),
        now(),
    )
    .await
    .unwrap();

    // Subscribing again: pending, with a new confirmation mail (a new hour).
    let later = now() + Duration::hours(2);
    let r = request(
        &*store,
        &sender(),
        "a@example.org",
        &Preferences::default(),
        later,
    )
    .await
    .unwrap();
    assert_eq!(r, Requested::ConfirmationQueued { id });
    let before = snapshot(&*store, id).await;
    assert_eq!(
        before.0.as_ref().map(|s| s.state),
        Some(SubscriberState::Pending)
    );

    // The first mail's link, replayed, confirms nothing.
    let reason = is_link_refusal(confirm(&*store, &secret, &first_confirm, later).await);
    assert_eq!(reason, LinkRefusal::Token(TokenError::BadMac));
    assert_eq!(snapshot(&*store, id).await, before);

    // The new mail's link does.
    let s = before.0.unwrap();
    let fresh = secret
        .issue(
            Purpose::Confirm,
            id,
            &s.token_nonce,
            Some(confirmation_expiry(later)),
        )
        .unwrap();
    let done = confirm(&*store, &secret, &fresh, later).await.unwrap();
    assert!(matches!(done, Confirmed::Now(_)));
}

#[tokio::test]
async fn forged_misdirected_and_expired_links_change_nothing() {
    let (store, secret, _dir) = store().await;
    let (id, confirm_token) = pending(&*store, &secret, "b@example.org").await;
    let before = snapshot(&*store, id).await;
    let s = before.0.clone().unwrap();

    // Another server's secret: forged.
    let other = Secret::generate().unwrap();
    let forged = other
        .issue(
            Purpose::Confirm,
            id,
            &s.token_nonce,
            Some(confirmation_expiry(now())),
        )
        .unwrap();
    assert_eq!(
        is_link_refusal(confirm(&*store, &secret, &forged, now()).await),
        LinkRefusal::Token(TokenError::BadMac)
    );
    // A real MAC moved to another id.
    let moved = confirm_token.replacen(&format!("c.{id}."), &format!("c.{}.", id + 1), 1);
    is_link_refusal(confirm(&*store, &secret, &moved, now()).await);
    // Malformed.
    for bad in ["", "x", "c.1.0.zz", "c.1\r\n.0.00", &"c".repeat(500)] {
        assert_eq!(
            is_link_refusal(confirm(&*store, &secret, bad, now()).await),
            LinkRefusal::Token(TokenError::Malformed),
            "{bad:?}"
        );
    }
    // Valid for another purpose: an unsubscribe or preferences link cannot
    // confirm, a confirmation link cannot unsubscribe.
    for purpose in [Purpose::Unsubscribe, Purpose::Preferences] {
        let t = token(&secret, &s, purpose);
        assert_eq!(
            is_link_refusal(confirm(&*store, &secret, &t, now()).await),
            LinkRefusal::Token(TokenError::WrongPurpose)
        );
    }
    assert_eq!(
        is_link_refusal(unsubscribe(&*store, &secret, &confirm_token, now()).await),
        LinkRefusal::Token(TokenError::WrongPurpose)
    );
    let prefs = token(&secret, &s, Purpose::Preferences);
    is_link_refusal(unsubscribe(&*store, &secret, &prefs, now()).await);
    let unsub = token(&secret, &s, Purpose::Unsubscribe);
    is_link_refusal(
        save_preferences(&*store, &secret, &unsub, &Preferences::default(), now()).await,
    );
    // An unknown subscriber.
    let ghost = secret.issue(Purpose::Unsubscribe, 999, "n", None).unwrap();
    assert_eq!(
        is_link_refusal(unsubscribe(&*store, &secret, &ghost, now()).await),
        LinkRefusal::UnknownSubscriber(999)
    );
    // Expired: the confirmation link a week and an hour on.
    let late = confirmation_expiry(now()) + Duration::seconds(1);
    assert_eq!(
        is_link_refusal(confirm(&*store, &secret, &confirm_token, late).await),
        LinkRefusal::Token(TokenError::Expired)
    );
    assert_eq!(snapshot(&*store, id).await, before);
    assert_eq!(
        store.subscriber(id).await.unwrap().unwrap().state,
        SubscriberState::Pending
    );
}

#[tokio::test]
async fn bad_addresses_and_products_store_nothing() {
    let (store, secret, _dir) = store().await;
    let empty = store.outbox_status().await.unwrap();
    for address in [
        "c@example.org\r\nBcc: victim@example.org",
        "c@example.org\n",
        "c@exam ple.org",
        "no-at-sign",
        "",
    ] {
        let r = request(&*store, &sender(), address, &Preferences::default(), now()).await;
        assert!(
            matches!(
                r,
                Err(SubscribeError::Invalid {
                    field: "address",
                    ..
                })
            ),
            "{address:?}: {r:?}"
        );
    }
    for products in [
        vec!["Windows 95".to_string()],
        vec!["Exchange Server 2003\r\nX".to_string()],
        vec!["Exchange Server 2003".to_string(); MAX_PRODUCTS + 1],
    ] {
        let p = Preferences {
            products,
            ..Preferences::default()
        };
        let r = request(&*store, &sender(), "c@example.org", &p, now()).await;
        assert!(
            matches!(
                r,
                Err(SubscribeError::Invalid {
                    field: "products",
                    ..
                })
            ),
            "{r:?}"
        );
    }
    assert_eq!(
        store.subscriber_by_address("c@example.org").await.unwrap(),
        None
    );
    assert_eq!(store.outbox_status().await.unwrap(), empty);

    // A confirmed subscriber's bad preferences change nothing either.
    let (id, t) = pending(&*store, &secret, "d@example.org").await;
    confirm(&*store, &secret, &t, now()).await.unwrap();
    let before = snapshot(&*store, id).await;
    let s = before.0.clone().unwrap();
    let p = Preferences {
        products: vec!["Windows 95".into()],
        ..Preferences::default()
    };
    let r = save_preferences(
        &*store,
        &secret,
        &token(&secret, &s, Purpose::Preferences),
        &p,
        now(),
    )
    .await;
    assert!(
        matches!(
            r,
            Err(SubscribeError::Invalid {
                field: "products",
                ..
            })
        ),
        "{r:?}"
    );
    assert_eq!(snapshot(&*store, id).await, before);
}
