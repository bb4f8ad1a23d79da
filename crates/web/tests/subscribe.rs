//! The subscription pages over real HTTP/1.1 on 127.0.0.1, on a temporary
//! SQLite archive: the double opt-in from the form to the one-click
//! unsubscribe, and hostile requests refused with nothing changed.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{Duration, Utc};
use hfr_mail::subscribe::{confirmation_expiry, parse_confirmation_row_key, LINK_REFUSED};
use hfr_mail::token::{Purpose, Secret};
use hfr_mail::{Sender, SenderConfig};
use hfr_model::{Affected, Alert, Severity};
use hfr_store::{ImportItem, OutboxCount, Source, SourceKind, Store, Subscriber, SubscriberState};
use hfr_web::{serve_with_shutdown, WebConfig};
use tokio::net::TcpListener;

mod common;
use common::*;

// ------------------------------------------------------------- fixtures

fn alert(id: &str, products: &[&str]) -> Alert {
    Alert {
        id: id.into(),
        title: format!("{id} のテスト"),
        severity: Some(Severity::Critical),
        edition: chrono::NaiveDate::from_ymd_opt(2004, 10, 13),
        affected: products
            .iter()
            .map(|p| Affected {
                software: p.to_string(),
                platforms: p.to_string(),
            })
            .collect(),
        ..Alert::default()
    }
}

fn item(alert: Alert) -> ImportItem {
    ImportItem {
        source: Source {
            kind: SourceKind::Edit,
            name: "test".into(),
            format: "json".into(),
            sha256: None,
            text: None,
        },
        alert,
        force: false,
    }
}

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

struct Site {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl Site {
    async fn secret(&self) -> Secret {
        hfr_mail::deliver::secret(&*self.store).await.unwrap()
    }

    async fn subscriber(&self, address: &str) -> Option<Subscriber> {
        self.store.subscriber_by_address(address).await.unwrap()
    }

    /// Everything a refusal must leave alone.
    async fn snapshot(&self, address: &str) -> (Option<Subscriber>, Vec<OutboxCount>) {
        (
            self.subscriber(address).await,
            self.store.outbox_status().await.unwrap(),
        )
    }

    async fn token(&self, address: &str, purpose: Purpose) -> String {
        let s = self.subscriber(address).await.expect("a subscriber");
        self.secret()
            .await
            .issue(purpose, s.id, &s.token_nonce, None)
            .unwrap()
    }
}

async fn start(configure: impl FnOnce(&mut WebConfig)) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        hfr_store::open_sqlite(&dir.path().join("hfr.sqlite"))
            .await
            .unwrap(),
    );
    store
        .import(vec![
            item(alert(
                "MS04-035",
                &["Exchange Server 2003", "Windows Server 2003"],
            )),
            item(alert("MS05-017", &["Windows XP"])),
        ])
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = WebConfig::new(format!("http://{addr}"));
    config.mail = Some(sender());
    configure(&mut config);
    let s = store.clone();
    tokio::spawn(async move {
        serve_with_shutdown(s, config, listener, std::future::pending())
            .await
            .unwrap();
    });
    Site {
        addr,
        store,
        _dir: dir,
    }
}

// --------------------------------------------------------- HTTP client

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

async fn get(site: &Site, path: &str) -> Resp {
    send(site.addr, "GET", path, &[], b"").await
}

async fn post(site: &Site, path: &str, body: &str) -> Resp {
    send(site.addr, "POST", path, &[FORM], body.as_bytes()).await
}

/// The headers every subscription answer carries, whatever its status.
fn assert_private(r: &Resp, what: &str) {
    assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(r.header("etag"), None, "{what}: never from the page cache");
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{what}"
    );
}

fn assert_refused(r: &Resp, what: &str) {
    assert_eq!(r.status, 400, "{what}");
    assert!(r.text().contains(LINK_REFUSED), "{what}: {}", r.text());
    assert_private(r, what);
}

/// The confirmation token the worker would mail for the one queued row.
async fn confirmation_token(site: &Site) -> (i64, String) {
    let rows = site
        .store
        .claim_outbox("test", Utc::now(), Duration::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one confirmation row");
    let (id, expires) = parse_confirmation_row_key(&rows[0].message_key).expect("a confirm key");
    assert_eq!(rows[0].subscriber_id, Some(id));
    let s = site.store.subscriber(id).await.unwrap().unwrap();
    let t = site
        .secret()
        .await
        .issue(Purpose::Confirm, id, &s.token_nonce, Some(expires))
        .unwrap();
    (id, t)
}

fn outbox_rows(counts: &[OutboxCount]) -> u64 {
    counts.iter().map(|c| c.count).sum()
}

// ---------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_renders_with_the_archive_s_products() {
    let site = start(|_| {}).await;
    for path in ["/subscribe", "/subscribe/"] {
        let r = get(&site, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_private(&r, path);
        let html = &r.text();
        assert!(html.contains("<h1>購読の申し込み</h1>"));
        assert_eq!(r.header("x-robots-tag"), None, "the form may be indexed");
        assert!(html.contains("method=\"post\" action=\"/subscribe/\""));
        assert!(html.contains("name=\"address\""));
        assert!(html.contains("<option value=\"1\">緊急のみ</option>"));
        for label in [
            "エクスプロイトコードありのみ",
            "至急適用のみ",
            "改訂も受け取る",
            "HotFix Weekly",
        ] {
            assert!(html.contains(label), "{label}");
        }
        for p in ["Exchange Server 2003", "Windows Server 2003", "Windows XP"] {
            assert!(
                html.contains(&format!("name=\"product\" value=\"{p}\">")),
                "{p}"
            );
        }
        // The defaults: revisions and the weekly digest ticked.
        assert!(html.contains("name=\"revisions\" value=\"1\" checked"));
        assert!(html.contains("name=\"weekly\" value=\"1\" checked"));
        assert!(html.contains("aria-current=\"page\">購読の申し込み"));
    }
    // The other pages link to it.
    assert!(get(&site, "/about/")
        .await
        .text()
        .contains("href=\"/subscribe/\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_confirm_change_and_leave_in_one_click() {
    let site = start(|_| {}).await;
    let address = "taro@example.jp";
    let body = "address=taro%40example.jp&min_severity=1&product=Exchange+Server+2003&revisions=1";
    let r = post(&site, "/subscribe", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("確認メールを送信しました"));
    assert_private(&r, "sent");
    let s = site.subscriber(address).await.expect("stored");
    assert_eq!(s.state, SubscriberState::Pending);
    assert_eq!(s.preferences.min_severity, Some(Severity::Critical));
    assert_eq!(s.preferences.products, vec!["Exchange Server 2003"]);
    assert!(s.preferences.revisions && !s.preferences.weekly);

    // Again within the hour: the same page, no second confirmation row.
    let again = post(&site, "/subscribe/", body).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.text(),
        r.text(),
        "the page tells nothing about the address"
    );
    assert_eq!(outbox_rows(&site.store.outbox_status().await.unwrap()), 1);

    // The confirmation link: GET shows, POST confirms.
    let (id, token) = confirmation_token(&site).await;
    assert_eq!(id, s.id);
    let path = format!("/subscribe/confirm/{token}");
    let page = get(&site, &path).await;
    assert_eq!(page.status, 200);
    assert_private(&page, "confirm page");
    assert_eq!(page.header("x-robots-tag"), Some("noindex, nofollow"));
    assert!(page.text().contains("購読を確定する"));
    assert!(page.text().contains(&format!("action=\"{path}\"")));
    assert!(page.text().contains("緊急のみ") && page.text().contains("Exchange Server 2003"));
    assert_eq!(
        site.subscriber(address).await.unwrap().state,
        SubscriberState::Pending,
        "a GET confirms nothing"
    );
    let done = post(&site, &path, "").await;
    assert_eq!(done.status, 200);
    assert!(done.text().contains("購読を確定しました"));
    assert_eq!(
        site.subscriber(address).await.unwrap().state,
        SubscriberState::Confirmed
    );
    let twice = post(&site, &path, "").await;
    assert_eq!(twice.status, 200);
    assert!(twice.text().contains("すでに確定しています"));

    // A confirmed address through the public form: the same page, nothing changed.
    let before = site.snapshot(address).await;
    let r = post(
        &site,
        "/subscribe",
        "address=Taro%40Example.jp&min_severity=4",
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("確認メールを送信しました"));
    assert_eq!(site.snapshot(address).await, before);

    // The preferences link: the form pre-filled, then saved.
    let prefs = site.token(address, Purpose::Preferences).await;
    let path = format!("/subscribe/{prefs}");
    let page = get(&site, &path).await;
    assert_eq!(page.status, 200);
    assert_private(&page, "preferences page");
    assert!(page.text().contains("<h1>配信条件の変更</h1>"));
    assert!(page.text().contains(address));
    assert!(page
        .text()
        .contains("<option value=\"1\" selected>緊急のみ</option>"));
    assert!(page
        .text()
        .contains("name=\"product\" value=\"Exchange Server 2003\" checked>"));
    assert!(page
        .text()
        .contains("name=\"product\" value=\"Windows XP\">"));
    let unsubscribe = site.token(address, Purpose::Unsubscribe).await;
    assert!(page
        .text()
        .contains(&format!("action=\"/unsubscribe/{unsubscribe}\"")));
    let saved = post(
        &site,
        &path,
        "min_severity=2&product=Windows+XP&product=windows+server+2003&weekly=1",
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert!(saved.text().contains("配信条件を保存しました"));
    let s = site.subscriber(address).await.unwrap();
    assert_eq!(s.state, SubscriberState::Confirmed);
    assert_eq!(s.preferences.min_severity, Some(Severity::Important));
    assert_eq!(
        s.preferences.products,
        vec!["Windows XP", "Windows Server 2003"]
    );
    assert!(!s.preferences.revisions && s.preferences.weekly);
    // Not cached: the page shows the new conditions at once.
    let page = get(&site, &path).await;
    assert!(page
        .text()
        .contains("<option value=\"2\" selected>重要以上</option>"));

    // The unsubscribe page changes nothing; the one-click POST unsubscribes.
    let path = format!("/unsubscribe/{unsubscribe}");
    let page = get(&site, &path).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("配信を停止する"));
    assert_eq!(
        site.subscriber(address).await.unwrap().state,
        SubscriberState::Confirmed
    );
    let r = post(&site, &path, "List-Unsubscribe=One-Click").await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("配信を停止しました"));
    assert_private(&r, "unsubscribed");
    assert_eq!(
        site.subscriber(address).await.unwrap().state,
        SubscriberState::Unsubscribed
    );

    // Every earlier link is dead now.
    let after = site.snapshot(address).await;
    assert_refused(
        &post(&site, &path, "List-Unsubscribe=One-Click").await,
        "again",
    );
    assert_refused(&get(&site, &format!("/subscribe/{prefs}")).await, "prefs");
    assert_refused(
        &post(&site, &format!("/subscribe/{prefs}"), "weekly=1").await,
        "prefs post",
    );
    assert_refused(
        &post(&site, &format!("/subscribe/confirm/{token}"), "").await,
        "old confirmation",
    );
    assert_eq!(site.snapshot(address).await, after);

    // Subscribing again needs a new confirmation; the old link cannot give it.
    let r = post(&site, "/subscribe", body).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        site.subscriber(address).await.unwrap().state,
        SubscriberState::Pending
    );
    let before = site.snapshot(address).await;
    assert_refused(
        &post(&site, &format!("/subscribe/confirm/{token}"), "").await,
        "replayed confirmation",
    );
    assert_eq!(site.snapshot(address).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_works_multipart_and_without_mail_settings() {
    // A server that takes no subscriptions still honours the links mailed
    // by another: nobody is kept from leaving.
    let site = start(|c| c.mail = None).await;
    let s = site
        .store
        .upsert_subscriber("b@example.org", &Default::default(), "n", Utc::now())
        .await
        .unwrap();
    site.store
        .confirm_subscriber(s.id, Utc::now())
        .await
        .unwrap();
    let t = site.token("b@example.org", Purpose::Unsubscribe).await;
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
    let r = send(
        site.addr,
        "POST",
        &format!("/unsubscribe/{t}"),
        &[("Content-Type", "multipart/form-data; boundary=XyZ")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("set-cookie"), None);
    assert_eq!(
        site.subscriber("b@example.org").await.unwrap().state,
        SubscriberState::Unsubscribed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_mail_settings_the_form_explains_and_refuses() {
    let site = start(|c| c.mail = None).await;
    let r = get(&site, "/subscribe/").await;
    assert_eq!(r.status, 200);
    assert_private(&r, "unavailable");
    assert!(r.text().contains("電子メールを配信していない"));
    assert!(!r.text().contains("method=\"post\""));
    let r = post(&site, "/subscribe/", "address=c%40example.org").await;
    assert_eq!(r.status, 503);
    assert_private(&r, "503");
    assert_eq!(site.subscriber("c@example.org").await, None);
    assert_eq!(outbox_rows(&site.store.outbox_status().await.unwrap()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_forms_are_refused_and_store_nothing() {
    let site = start(|_| {}).await;
    let address = "d@example.org";
    let many = "&product=Windows+XP".repeat(201);
    let cases: Vec<(String, &str)> = vec![
        (
            "address=d%40example.org%0D%0ABcc%3A+e%40example.org".into(),
            "メールアドレス",
        ),
        ("address=d%40example.org%0A".into(), "メールアドレス"),
        ("address=d%40exam+ple.org".into(), "メールアドレス"),
        ("address=not-an-address".into(), "メールアドレス"),
        ("min_severity=1".into(), "メールアドレス"),
        (
            "address=d%40example.org&address=e%40example.org".into(),
            "メールアドレス",
        ),
        (
            "address=d%40example.org&min_severity=9".into(),
            "最低深刻度",
        ),
        (
            "address=d%40example.org&min_severity=high".into(),
            "最低深刻度",
        ),
        (
            "address=d%40example.org&exploit_code_only=yes".into(),
            "エクスプロイトコードありのみ",
        ),
        (
            "address=d%40example.org&weekly=1%0D%0A".into(),
            "HotFix Weekly",
        ),
        (
            "address=d%40example.org&product=Windows+95".into(),
            "対象製品",
        ),
        (
            "address=d%40example.org&product=Windows+XP%0D%0AX".into(),
            "対象製品",
        ),
        (format!("address=d%40example.org{many}"), "対象製品"),
    ];
    for (body, field) in &cases {
        let r = post(&site, "/subscribe/", body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_private(&r, body);
        assert!(
            r.text().contains(&format!("「{field}」")),
            "{body}: the page names {field}"
        );
        // The form comes back, with what was typed (escaped).
        assert!(r.text().contains("name=\"address\""), "{body}");
        assert!(!r.text().contains("\r\nBcc"), "{body}");
    }
    // Not a form at all.
    for (headers, body, status) in [
        (vec![FORM], "address=%zz", 400),
        (vec![FORM], "address=%FF%FE", 400),
        (
            vec![("Content-Type", "text/plain")],
            "address=d@example.org",
            415,
        ),
        (vec![], "address=d%40example.org", 415),
    ] {
        let r = send(site.addr, "POST", "/subscribe/", &headers, body.as_bytes()).await;
        assert_eq!(r.status, status, "{body}");
        assert_private(&r, body);
    }
    // Too large, declared or not.
    let big = format!("address=d%40example.org&x={}", "a".repeat(20 * 1024));
    let r = post(&site, "/subscribe/", &big).await;
    assert_eq!(r.status, 413);
    let r = send(
        site.addr,
        "POST",
        "/unsubscribe/u.1.0.00112233445566778899aabbccddeeff",
        &[FORM],
        big.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 413);
    let chunked = format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len());
    let r = send(
        site.addr,
        "POST",
        "/subscribe/",
        &[FORM, ("Transfer-Encoding", "chunked")],
        chunked.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(site.subscriber(address).await, None);
    assert_eq!(outbox_rows(&site.store.outbox_status().await.unwrap()), 0);

    // Other methods are named in Allow.
    let r = send(site.addr, "PUT", "/subscribe/", &[FORM], b"").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_and_misdirected_links_change_nothing() {
    let site = start(|_| {}).await;
    let address = "f@example.org";
    let r = post(&site, "/subscribe/", "address=f%40example.org&weekly=1").await;
    assert_eq!(r.status, 200);
    let (id, confirm) = confirmation_token(&site).await;
    let s = site.subscriber(address).await.unwrap();
    let secret = site.secret().await;
    let expired = secret
        .issue(
            Purpose::Confirm,
            id,
            &s.token_nonce,
            Some(Utc::now() - Duration::minutes(1)),
        )
        .unwrap();
    let forged = Secret::generate()
        .unwrap()
        .issue(
            Purpose::Confirm,
            id,
            &s.token_nonce,
            Some(confirmation_expiry(Utc::now())),
        )
        .unwrap();
    let unsubscribe = site.token(address, Purpose::Unsubscribe).await;
    let prefs = site.token(address, Purpose::Preferences).await;
    let before = site.snapshot(address).await;
    let mut paths = vec![
        format!("/subscribe/confirm/{expired}"),
        format!("/subscribe/confirm/{forged}"),
        format!("/subscribe/confirm/{unsubscribe}"),
        format!("/subscribe/confirm/{prefs}"),
        format!("/unsubscribe/{confirm}"),
        format!("/unsubscribe/{prefs}"),
        format!("/subscribe/{confirm}"),
        format!("/subscribe/{unsubscribe}"),
        "/subscribe/confirm/c.1.0.nothex".into(),
        "/subscribe/confirm/%FF".into(),
        "/unsubscribe/u.999.0.00112233445566778899aabbccddeeff".into(),
        "/subscribe/x".into(),
    ];
    paths.push(format!("/unsubscribe/{}", "u.1.0.".repeat(100)));
    for path in &paths {
        assert_refused(&get(&site, path).await, path);
        assert_refused(&post(&site, path, "List-Unsubscribe=One-Click").await, path);
    }
    assert_eq!(site.snapshot(address).await, before);
    assert_eq!(before.0.map(|s| s.state), Some(SubscriberState::Pending));

    // The preferences of a confirmed subscriber: bad values change nothing.
    assert_eq!(
        post(&site, &format!("/subscribe/confirm/{confirm}"), "")
            .await
            .status,
        200
    );
    let before = site.snapshot(address).await;
    let path = format!("/subscribe/{prefs}");
    for (body, field) in [
        ("min_severity=0", "最低深刻度"),
        ("product=Windows+95", "対象製品"),
        ("product=Windows+XP%0D%0A", "対象製品"),
        ("revisions=on", "改訂も受け取る"),
    ] {
        let r = post(&site, &path, body).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.text().contains(&format!("「{field}」")), "{body}");
        assert!(r.text().contains("<h1>配信条件の変更</h1>"), "{body}");
    }
    assert_eq!(site.snapshot(address).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_follows_the_archive_at_once() {
    // A recheck interval of an hour: a cached page would stay stale.
    let site = start(|c| c.recheck = std::time::Duration::from_secs(3600)).await;
    assert!(!get(&site, "/subscribe/")
        .await
        .text()
        .contains("Windows 2000"));
    site.store
        .import(vec![item(alert("MS06-035", &["Windows 2000"]))])
        .await
        .unwrap();
    let r = get(&site, "/subscribe/").await;
    assert!(r.text().contains("value=\"Windows 2000\""));
    let r = post(
        &site,
        "/subscribe/",
        "address=g%40example.org&product=Windows+2000",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}
