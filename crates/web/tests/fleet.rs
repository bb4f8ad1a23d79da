//! The fleet page over real HTTP/1.1 on 127.0.0.1, on a temporary SQLite
//! archive holding the demo alerts: uploading the demo inventory (as a
//! browser does, multipart, and pasted), partial and broken inventories,
//! the size limit, and the archive changing under the page.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hfr_model::Alert;
use hfr_store::{ImportItem, Source, SourceKind, Store};
use hfr_web::{serve_with_shutdown, WebConfig};
use tokio::net::TcpListener;

mod common;
use common::*;

// ------------------------------------------------------------- fixtures

fn repo(p: &str) -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
        .join(p)
}

fn demo_alert(id: &str) -> Alert {
    let p = repo(&format!("demo/alerts/{id}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("demo alert")).expect("an alert")
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

const DEMO: [&str; 5] = ["MS04-035", "MS04-039", "MS04-045", "MS05-017", "MS06-035"];

struct Site {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

/// A server on the demo alerts named in `ids`.
async fn start(ids: &[&str]) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        hfr_store::open_sqlite(&dir.path().join("hfr.sqlite"))
            .await
            .unwrap(),
    );
    store
        .import(ids.iter().map(|id| item(demo_alert(id))).collect())
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = WebConfig::new(format!("http://{addr}"));
    config.recheck = std::time::Duration::from_millis(20);
    // Subscriptions on, so that their form reads bodies (with its own,
    // smaller limit).
    config.mail = Some(
        hfr_mail::Sender::new(&hfr_mail::SenderConfig {
            from: "HotFix Report <alerts@hfr.example.org>".into(),
            reply_to: None,
            list_domain: "hfr.example.org".into(),
            base_url: "https://hfr.example.org".into(),
            message_id_domain: None,
        })
        .expect("a valid sender"),
    );
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

const BOUNDARY: &str = "----hfrTestBoundary7MA4YWxkTrZu0gW";

/// A body as a browser sends the page's form: the file, the (empty) text
/// area, the format and the checkbox when ticked.
fn multipart(file_name: &str, file: &[u8], format: &str, include_na: bool) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"inventory\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(
        format!("\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\n{format}\r\n").as_bytes(),
    );
    if include_na {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"include_na\"\r\n\r\n1\r\n"
            )
            .as_bytes(),
        );
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn upload(site: &Site, file_name: &str, file: &[u8]) -> Resp {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    send(
        site.addr,
        "POST",
        "/fleet/",
        &[("Content-Type", &ct)],
        &multipart(file_name, file, "auto", false),
    )
    .await
}

/// The row of the findings table for a machine and an alert, as text.
fn row<'a>(html: &'a str, machine: &str, alert: &str) -> Option<&'a str> {
    let table = html.split("<table class=\"findings\">").nth(1)?;
    let table = table.split("</table>").next()?;
    table.split("<tr class=").skip(1).find(|r| {
        r.contains(&format!("<td>{machine}</td>")) && r.contains(&format!(">{alert}</a>"))
    })
}

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_the_example_and_the_schema() {
    let site = start(&DEMO).await;
    let r = send(site.addr, "GET", "/fleet/", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let html = &r.text();
    assert!(html.contains("<h1>インベントリの照合</h1>"), "{html}");
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("name=\"inventory\""));
    assert!(html.contains("アーカイブの 5 件のアラート"));
    // In the site's navigation, marked as the current page.
    assert!(
        html.contains("<a href=\"/fleet/\" aria-current=\"page\">インベントリの照合</a>"),
        "{html}"
    );
    let top = send(site.addr, "GET", "/", &[], b"").await;
    assert!(top
        .text()
        .contains("<a href=\"/fleet/\">インベントリの照合</a>"));
    // Without the trailing slash too.
    assert_eq!(send(site.addr, "GET", "/fleet", &[], b"").await.status, 200);

    let ex = send(site.addr, "GET", "/fleet/example.json", &[], b"").await;
    assert_eq!(ex.status, 200);
    assert_eq!(ex.header("content-type"), Some("application/json"));
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo("demo/inventory.json")).unwrap())
            .unwrap();
    let served: serde_json::Value = serde_json::from_str(&ex.text()).unwrap();
    assert_eq!(served, on_disk);
    let schema = send(site.addr, "GET", "/fleet/inventory.schema.json", &[], b"").await;
    let schema: serde_json::Value = serde_json::from_str(&schema.text()).unwrap();
    assert_eq!(schema["title"], "hfr fleet inventory");

    // Other methods are refused with the methods the address takes.
    let r = send(site.addr, "PUT", "/fleet/", &[], b"").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploading_the_demo_inventory_gives_the_report_and_the_worklist() {
    let site = start(&DEMO).await;
    let inv = std::fs::read(repo("demo/inventory.json")).unwrap();
    let r = upload(&site, "inventory.json", &inv).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // About one visitor's machines: kept nowhere.
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-robots-tag"), Some("noindex, nofollow"));
    let html = &r.text();
    assert!(html.contains("7 台 × 5 件のアラート"), "{html}");

    let wins02 = row(html, "SV-WINS02", "MS04-045").expect("SV-WINS02 × MS04-045");
    assert!(
        wins02.contains("レジストリのみ(ファイルが古い)"),
        "{wins02}"
    );
    assert!(
        wins02.contains("wins.exe 5.0.2195.6870 &#60; 5.0.2195.7005"),
        "{wins02}"
    );
    let wins01 = row(html, "SV-WINS01", "MS04-045").expect("SV-WINS01 × MS04-045");
    assert!(
        wins01.contains("st-installed") && wins01.contains("適用済み"),
        "{wins01}"
    );
    let legacy = row(html, "PC-LEGACY01", "MS05-017").expect("PC-LEGACY01 × MS05-017");
    assert!(legacy.contains("修正なし(要アップグレード)"), "{legacy}");
    // Not applicable pairs are left out unless asked for.
    assert!(row(html, "PC-SALES01", "MS05-017").is_none());
    assert!(row(html, "SV-MAIL01", "MS04-035").is_some_and(|r| r.contains("未適用")));
    // Alerts link to their pages.
    assert!(html.contains("<a href=\"/alerts/MS04-045/\">MS04-045</a>"));

    // The worklist: in the order to deploy, with packages, reboot and time.
    let wl = html
        .split("<table class=\"worklist\">")
        .nth(1)
        .expect("a worklist")
        .split("</table>")
        .next()
        .unwrap();
    let p = positions(wl, &[">MS06-035<", ">MS04-035<", ">MS04-045<"]);
    assert!(p[0] < p[1] && p[1] < p[2], "{wl}");
    assert!(wl.contains("Windows2000-KB870763-x86-JPN.EXE"));
    assert!(wl.contains("再起動 条件付き"), "{wl}");
    assert!(wl.contains("再適用(レジストリは適用済みだがファイルが古い): SV-WINS02"));
    assert!(wl.contains("16分"), "{wl}");
    assert!(html.contains("PC-LEGACY01"));

    // With the not-applicable pairs: every machine × alert.
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let all = send(
        site.addr,
        "POST",
        "/fleet/",
        &[("Content-Type", &ct)],
        &multipart("inventory.json", &inv, "json", true),
    )
    .await;
    assert_eq!(all.status, 200);
    assert_eq!(all.text().matches("<tr class=\"st-row-").count(), 35);
    assert!(row(&all.text(), "PC-SALES01", "MS05-017").is_some_and(|r| r.contains("対象外")));

    // The CSV inventory, pasted into the text area (urlencoded form): the same.
    let csv = std::fs::read_to_string(repo("demo/inventory.csv")).unwrap();
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("text", &csv)
        .append_pair("format", "auto")
        .finish();
    let pasted = send(
        site.addr,
        "POST",
        "/fleet/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(pasted.status, 200, "{}", pasted.text());
    assert!(row(&pasted.text(), "SV-WINS02", "MS04-045")
        .is_some_and(|r| r.contains("レジストリのみ(ファイルが古い)")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_inventory_reports_the_valid_machines_and_lists_the_rejects() {
    let site = start(&DEMO).await;
    let inv = br#"{"machines": [
        {"name": "ok", "os": "Windows XP Professional", "service_pack": "SP2", "updates": []},
        {"name": "typo", "os": "Windows XP Profesional"},
        {"name": "OK", "os": "Windows XP Professional"},
        {"name": "bad", "os": "Windows XP Professional", "files": [{"name": "srv.sys", "version": true}]}
    ]}"#;
    let r = upload(&site, "partial.json", inv).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let html = &r.text();
    assert!(html.contains("読み取れなかったレコード(3 件)"), "{html}");
    let rejects = html.split("<table class=\"rejects\">").nth(1).unwrap();
    for want in [
        "<td class=\"id\">machines[1]</td><td>typo</td><td><code>os</code></td>",
        "<td class=\"id\">machines[2]</td><td>OK</td><td><code>name</code></td>",
        "<td class=\"id\">machines[3]</td><td>bad</td><td><code>files[0].version</code></td>",
        "is not an operating system",
        "is already used by machines[0]",
    ] {
        assert!(rejects.contains(want), "rejects lack {want:?}:\n{rejects}");
    }
    assert!(html.contains("1 台 × 5 件のアラート"));
    assert!(row(html, "ok", "MS06-035").is_some_and(|r| r.contains("未適用")));

    // A CSV row is named by its line.
    let csv = b"name,os,service_pack,components,files\nsv1,Windows 2000 Server,SP4,wins,wins.exe=5.0.2195.6870\nsv2,Windows 2000 Server,SP4,wins,wins.exe\n";
    let r = upload(&site, "fleet.csv", csv).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .contains("<td class=\"id\">3 行目</td><td>sv2</td><td><code>files[0]</code></td>"),
        "{}",
        r.text()
    );
    assert!(row(&r.text(), "sv1", "MS04-045").is_some_and(|r| r.contains("未適用")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_get_a_clear_japanese_answer() {
    let site = start(&DEMO).await;
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");

    // Not JSON: where it broke.
    let r = upload(&site, "broken.json", b"{\"machines\": [\n{oops}]}").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(
        r.text().contains("インベントリを読み取れません"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("JSON として読めません(2 行 2 列)"),
        "{}",
        r.text()
    );
    // The form is there to try again.
    assert!(r.text().contains("name=\"inventory\""));

    // Nothing usable: every record named.
    let r = upload(
        &site,
        "none.json",
        br#"{"machines": [{"name": 1, "os": "x"}, {"name": "a", "os": "Windows 95"}]}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("照合できるマシンがありません"));
    assert!(r
        .text()
        .contains("すべてのレコード(2 件)を読み取れませんでした"));
    assert!(
        r.text().contains("<code>name</code>") && r.text().contains("<code>os</code>"),
        "{}",
        r.text()
    );

    // Not UTF-8.
    let r = upload(
        &site,
        "sjis.csv",
        b"name,os\n\x83e\x83X\x83g,Windows XP Professional\n",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("UTF-8 のテキストではありません"),
        "{}",
        r.text()
    );

    // No file and nothing pasted.
    let r = upload(&site, "", b"").await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("インベントリがありません"));

    // An unknown format choice.
    let r = send(
        site.addr,
        "POST",
        "/fleet/",
        &[("Content-Type", &ct)],
        &multipart("a.json", b"{}", "xml", false),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("「形式」は"));

    // Not a form at all.
    let r = send(
        site.addr,
        "POST",
        "/fleet/",
        &[("Content-Type", "application/json")],
        b"{}",
    )
    .await;
    assert_eq!(r.status, 415);
    assert!(r
        .text()
        .contains("このページのフォームから送信してください"));
    // A broken multipart body.
    let r = send(
        site.addr,
        "POST",
        "/fleet/",
        &[("Content-Type", &ct)],
        b"--nope\r\n",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("送信内容を読み取れません"));

    // Over the upload limit: refused as soon as the length is known.
    let big = vec![b' '; 9 * 1024 * 1024];
    let r = upload(&site, "big.json", &big).await;
    assert_eq!(r.status, 413);
    assert!(
        r.text().contains("インベントリが大きすぎます"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("8 MiB まで"));
    // Just under it, the same bytes are read (and are not an inventory).
    let under = vec![b' '; 7 * 1024 * 1024];
    let r = upload(&site, "under.json", &under).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("JSON として読めません"), "{}", r.text());
    // The larger limit is the fleet page's alone.
    let r = send(
        site.addr,
        "POST",
        "/subscribe/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &vec![b'a'; 100 * 1024],
    )
    .await;
    assert_eq!(r.status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_follows_the_archive() {
    // Without MS04-045 the WINS server has nothing to fix…
    let site = start(&["MS04-035", "MS04-039", "MS05-017", "MS06-035"]).await;
    let inv = std::fs::read(repo("demo/inventory.json")).unwrap();
    let r = upload(&site, "inventory.json", &inv).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("7 台 × 4 件のアラート"));
    assert!(row(&r.text(), "SV-WINS02", "MS04-045").is_none());
    // …until it is imported beside the running server.
    site.store
        .import(vec![item(demo_alert("MS04-045"))])
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let r = upload(&site, "inventory.json", &inv).await;
    assert!(r.text().contains("7 台 × 5 件のアラート"), "{}", r.text());
    assert!(row(&r.text(), "SV-WINS02", "MS04-045")
        .is_some_and(|r| r.contains("レジストリのみ(ファイルが古い)")));
}
