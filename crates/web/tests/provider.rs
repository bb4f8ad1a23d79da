//! The CSAF provider tree (`/.well-known/csaf/…`) of the real server over
//! HTTP/1.1 on 127.0.0.1, fed from a temporary SQLite archive of the demo
//! alerts (`demo/alerts`, what `hfr serve` shows a new user).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use hfr_model::Alert;
use hfr_store::{ImportItem, Source, SourceKind, Store};
use hfr_web::{export_site, serve_with_shutdown, WebConfig};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};
use tokio::net::TcpListener;

mod common;
use common::*;

// ------------------------------------------------------------- fixtures

fn demo_alerts() -> Vec<Alert> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/alerts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let alerts: Vec<Alert> = files
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect();
    assert!(
        alerts.len() >= 5,
        "the demo alerts are missing from {dir:?}"
    );
    alerts
}

fn item(alert: Alert) -> ImportItem {
    ImportItem {
        source: Source {
            kind: SourceKind::Import,
            name: format!("{}.json", alert.id),
            format: "json".into(),
            sha256: None,
            text: None,
        },
        alert,
        force: false,
    }
}

struct Site {
    addr: SocketAddr,
    config: WebConfig,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn start_with(alerts: Vec<Alert>, configure: impl FnOnce(&mut WebConfig)) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        hfr_store::open_sqlite(&dir.path().join("hfr.sqlite"))
            .await
            .unwrap(),
    );
    store
        .import(alerts.into_iter().map(item).collect())
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = WebConfig::new(format!("http://{addr}"));
    configure(&mut config);
    let (s, c) = (store.clone(), config.clone());
    tokio::spawn(async move {
        serve_with_shutdown(s, c, listener, std::future::pending())
            .await
            .unwrap();
    });
    Site {
        addr,
        config,
        store,
        _dir: dir,
    }
}

async fn start() -> Site {
    start_with(demo_alerts(), |_| {}).await
}

// --------------------------------------------------------- HTTP client

async fn get(site: &Site, path: &str) -> Resp {
    request(site.addr, "GET", path, &[]).await
}

/// A provider file: 200, with the CORS header and the content type given.
async fn fetch(site: &Site, path: &str, content_type: &str) -> Resp {
    let r = get(site, path).await;
    assert_eq!(r.status, 200, "{path}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{path}");
    assert_eq!(r.header("content-type"), Some(content_type), "{path}");
    r
}

const W: &str = "/.well-known/csaf/white";
const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// The API's CSAF document of every alert, by id.
async fn api_documents(site: &Site) -> Vec<(String, Vec<u8>, Value)> {
    let list = get(site, "/api/v1/alerts?limit=1000").await.json();
    let mut out = Vec::new();
    for a in list["items"].as_array().unwrap() {
        let id = a["id"].as_str().unwrap().to_string();
        let r = get(site, &format!("/api/v1/alerts/{id}/csaf")).await;
        assert_eq!(r.status, 200);
        let doc = r.json();
        out.push((id, r.body, doc));
    }
    assert!(out.len() >= 5);
    out
}

/// `2004/ms04-035.json` for a document: the year of its initial release
/// date as written, and CSAF's file name of its tracking id.
fn expected_path(doc: &Value) -> String {
    let t = &doc["document"]["tracking"];
    let initial = t["initial_release_date"].as_str().unwrap();
    let year = &initial[..4];
    format!("{year}/{}", hfr_csaf::file_name(t["id"].as_str().unwrap()))
}

// ---------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metadata_names_the_directory_the_feed_and_the_publisher() {
    let site = start().await;
    let r = fetch(
        &site,
        "/.well-known/csaf/provider-metadata.json",
        "application/json",
    )
    .await;
    let m = r.json();
    let base = &site.config.base_url;
    assert_eq!(
        m["canonical_url"],
        format!("{base}/.well-known/csaf/provider-metadata.json")
    );
    assert_eq!(m["metadata_version"], "2.0");
    assert_eq!(m["role"], "csaf_provider");
    assert_eq!(m["list_on_CSAF_aggregators"], false);
    assert_eq!(m["mirror_on_CSAF_aggregators"], false);
    let d = m["distributions"].as_array().unwrap();
    assert_eq!(
        d[0]["directory_url"],
        format!("{base}/.well-known/csaf/white/")
    );
    let feeds = d[1]["rolie"]["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 1);
    assert_eq!(feeds[0]["tlp_label"], "WHITE");
    assert_eq!(
        feeds[0]["url"],
        format!("{base}/.well-known/csaf/feed-tlp-white.json")
    );

    // The publisher of every document, and the newest release date.
    let docs = api_documents(&site).await;
    let mut newest = None;
    for (id, _, doc) in &docs {
        assert_eq!(doc["document"]["publisher"], m["publisher"], "{id}");
        let current = doc["document"]["tracking"]["current_release_date"]
            .as_str()
            .unwrap();
        let at = DateTime::parse_from_rfc3339(current).unwrap();
        if newest.as_ref().is_none_or(|(t, _)| at > *t) {
            newest = Some((at, current.to_string()));
        }
    }
    assert_eq!(m["last_updated"], newest.unwrap().1);
    assert_eq!(m["publisher"]["namespace"], *base);

    // HEAD answers like GET, without a body.
    let head = request(
        site.addr,
        "HEAD",
        "/.well-known/csaf/provider-metadata.json",
        &[],
    )
    .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), r.header("etag"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_lists_every_alert_once_in_the_year_of_its_initial_release() {
    let site = start().await;
    let docs = api_documents(&site).await;
    let index = fetch(&site, &format!("{W}/index.txt"), TEXT).await.text();
    assert!(index.ends_with('\n'));
    let lines: Vec<&str> = index.lines().collect();
    let mut want: Vec<String> = docs.iter().map(|(_, _, d)| expected_path(d)).collect();
    want.sort();
    assert_eq!(lines, want);
    for line in &lines {
        let (year, name) = line.split_once('/').unwrap();
        assert!(
            year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()),
            "{line}"
        );
        assert!(
            name.ends_with(".json")
                && name
                    .trim_end_matches(".json")
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-_".contains(c)),
            "{line}"
        );
    }
    // The demo's years: 2004 and 2006 at least.
    assert!(lines.iter().any(|l| l.starts_with("2004/ms04-035.json")));
    assert!(lines.iter().any(|l| l.starts_with("2006/ms06-035.json")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_quoted_and_the_newest_first() {
    let site = start().await;
    let docs = api_documents(&site).await;
    let changes = fetch(
        &site,
        &format!("{W}/changes.csv"),
        "text/csv; charset=utf-8",
    )
    .await
    .text();
    assert!(changes.ends_with('\n'));
    assert!(!changes.contains('\r'));
    let mut seen = Vec::new();
    let mut previous = None;
    for line in changes.lines() {
        // "2004/ms04-035.json","2004-10-16T00:00:00+09:00": no header, both quoted.
        let inner = line
            .strip_prefix('"')
            .and_then(|l| l.strip_suffix('"'))
            .unwrap_or_else(|| panic!("not quoted: {line}"));
        let (path, date) = inner.split_once("\",\"").unwrap();
        let doc = docs
            .iter()
            .map(|(_, _, d)| d)
            .find(|d| expected_path(d) == path)
            .unwrap_or_else(|| panic!("{path} is no document"));
        assert_eq!(
            doc["document"]["tracking"]["current_release_date"], date,
            "{path}"
        );
        let at = DateTime::parse_from_rfc3339(date).unwrap();
        if let Some(p) = previous {
            assert!(at <= p, "{path} is newer than the line before it");
        }
        previous = Some(at);
        seen.push(path.to_string());
    }
    assert_eq!(seen.len(), docs.len());
    let index = get(&site, &format!("{W}/index.txt")).await.text();
    let a: BTreeSet<&str> = index.lines().collect();
    let b: BTreeSet<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_and_their_hashes_are_the_apis_bytes() {
    let site = start().await;
    for (id, api, doc) in api_documents(&site).await {
        let path = expected_path(&doc);
        let served = fetch(&site, &format!("{W}/{path}"), "application/json").await;
        assert!(
            served.body == api,
            "{path} is not the API's document of {id}"
        );
        let name = path.rsplit('/').next().unwrap();
        let sha256 = fetch(&site, &format!("{W}/{path}.sha256"), TEXT).await;
        assert_eq!(
            sha256.text(),
            format!("{:x}  {name}\n", Sha256::digest(&api)),
            "{path}.sha256"
        );
        let sha512 = fetch(&site, &format!("{W}/{path}.sha512"), TEXT).await;
        assert_eq!(
            sha512.text(),
            format!("{:x}  {name}\n", Sha512::digest(&api)),
            "{path}.sha512"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rolie_feed_lists_every_document_with_its_hashes() {
    let site = start().await;
    let base = site.config.base_url.clone();
    let feed = fetch(
        &site,
        "/.well-known/csaf/feed-tlp-white.json",
        "application/json",
    )
    .await
    .json();
    let f = &feed["feed"];
    assert_eq!(f["link"][0]["rel"], "self");
    assert_eq!(
        f["link"][0]["href"],
        format!("{base}/.well-known/csaf/feed-tlp-white.json")
    );
    assert_eq!(
        f["category"][0]["scheme"],
        "urn:ietf:params:rolie:category:information-type"
    );
    assert_eq!(f["category"][0]["term"], "csaf");
    let id = f["id"].as_str().unwrap();
    assert!(id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+-_.".contains(c)));
    assert!(!f["title"].as_str().unwrap().is_empty());
    let metadata = get(&site, "/.well-known/csaf/provider-metadata.json")
        .await
        .json();
    assert_eq!(f["updated"], metadata["last_updated"]);

    // In the order of changes.csv, one entry per document.
    let changes = get(&site, &format!("{W}/changes.csv")).await.text();
    let order: Vec<String> = changes
        .lines()
        .map(|l| l.split('"').nth(1).unwrap().to_string())
        .collect();
    let entries = f["entry"].as_array().unwrap();
    assert_eq!(entries.len(), order.len());
    for (e, path) in entries.iter().zip(&order) {
        let url = format!("{base}{W}/{path}");
        let doc = get(&site, &format!("{W}/{path}")).await.json();
        let t = &doc["document"]["tracking"];
        assert_eq!(e["id"], t["id"]);
        assert_eq!(e["title"], doc["document"]["title"]);
        assert_eq!(e["published"], t["initial_release_date"]);
        assert_eq!(e["updated"], t["current_release_date"]);
        let links: Vec<(&str, &str)> = e["link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["rel"].as_str().unwrap(), l["href"].as_str().unwrap()))
            .collect();
        let sha256 = format!("{url}.sha256");
        let sha512 = format!("{url}.sha512");
        assert_eq!(
            links,
            [
                ("self", url.as_str()),
                ("hash", sha256.as_str()),
                ("hash", sha512.as_str()),
            ]
        );
        assert_eq!(e["content"]["type"], "application/json");
        assert_eq!(e["content"]["src"], url);
        assert_eq!(
            e["format"]["schema"],
            "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
        );
        assert_eq!(e["format"]["version"], "2.0");
        if let Some(s) = e.get("summary") {
            assert!(!s["content"].as_str().unwrap().is_empty());
        }
    }
    assert!(entries.iter().any(|e| e.get("summary").is_some()));
}

/// The links of a listing page, as written.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_listings_link_every_file() {
    let site = start().await;
    let index = get(&site, &format!("{W}/index.txt")).await.text();
    let years: BTreeSet<&str> = index.lines().map(|l| &l[..4]).collect();

    let top = fetch(&site, "/.well-known/csaf/", HTML).await.text();
    assert_eq!(
        hrefs(&top),
        ["white/", "feed-tlp-white.json", "provider-metadata.json"]
    );
    let white = fetch(&site, &format!("{W}/"), HTML).await.text();
    assert!(white.contains("<title>Index of /.well-known/csaf/white/</title>"));
    let mut want = vec!["../".to_string()];
    want.extend(years.iter().rev().map(|y| format!("{y}/")));
    want.extend(["changes.csv".to_string(), "index.txt".to_string()]);
    assert_eq!(hrefs(&white), want);

    // Each year lists its documents and their hashes, and every link works.
    let mut documents = 0;
    for year in &years {
        let dir = format!("{W}/{year}/");
        let html = fetch(&site, &dir, HTML).await.text();
        let links = hrefs(&html);
        assert_eq!(links[0], "../");
        for l in &links[1..] {
            let r = get(&site, &format!("{dir}{l}")).await;
            assert_eq!(r.status, 200, "{dir}{l}");
            if l.ends_with(".json") {
                documents += 1;
                assert!(index.contains(&format!("{year}/{l}\n")));
                assert!(links.contains(&format!("{l}.sha256")));
                assert!(links.contains(&format!("{l}.sha512")));
            }
        }
    }
    assert_eq!(documents, index.lines().count());

    // Directories without their slash lead to it: relative links need it.
    for (from, to) in [
        ("/.well-known/csaf", "/.well-known/csaf/"),
        (W, "/.well-known/csaf/white/"),
        (
            "/.well-known/csaf/white/2004",
            "/.well-known/csaf/white/2004/",
        ),
    ] {
        let r = get(&site, from).await;
        assert_eq!(r.status, 308, "{from}");
        assert_eq!(r.header("location"), Some(to), "{from}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_years_and_files_are_404() {
    let site = start().await;
    for path in [
        "/.well-known/csaf/white/1999/",
        "/.well-known/csaf/white/1999/ms04-035.json",
        "/.well-known/csaf/white/2006/ms04-035.json",
        "/.well-known/csaf/white/2004/ms04-999.json",
        "/.well-known/csaf/white/2004/ms04-035.json.md5",
        "/.well-known/csaf/white/2004/MS04-035.json",
        "/.well-known/csaf/white/2004/ms04-035.json/",
        "/.well-known/csaf/white/abcd/",
        "/.well-known/csaf/white/index.txt/x",
        "/.well-known/csaf/green/",
        "/.well-known/csaf/white/../provider-metadata.json",
        "/.well-known/csaf/feed-tlp-green.json",
    ] {
        let r = get(&site, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{path}");
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
    }
    // Only GET and HEAD.
    let r = request(site.addr, "POST", "/.well-known/csaf/white/index.txt", &[]).await;
    assert_eq!(r.status, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_answer_304_and_the_tree_follows_the_archive() {
    let site = start_with(demo_alerts(), |c| c.recheck = Duration::from_millis(50)).await;
    let paths = [
        "/.well-known/csaf/provider-metadata.json".to_string(),
        "/.well-known/csaf/feed-tlp-white.json".to_string(),
        format!("{W}/index.txt"),
        format!("{W}/changes.csv"),
        format!("{W}/"),
        format!("{W}/2004/ms04-035.json"),
        format!("{W}/2004/ms04-035.json.sha512"),
    ];
    let mut before = Vec::new();
    for p in &paths {
        let r = get(&site, p).await;
        let tag = r.header("etag").expect("an ETag").to_string();
        let again = request(site.addr, "GET", p, &[("If-None-Match", &tag)]).await;
        assert_eq!(again.status, 304, "{p}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("access-control-allow-origin"), Some("*"));
        let lm = r
            .header("last-modified")
            .expect("Last-Modified")
            .to_string();
        let since = request(site.addr, "GET", p, &[("If-Modified-Since", &lm)]).await;
        assert_eq!(since.status, 304, "{p}");
        before.push((tag, r.body));
    }
    // Compressed when asked, and the same bytes once decoded.
    let gz = request(site.addr, "GET", &paths[1], &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz.body[..]), &mut plain)
        .unwrap();
    assert_eq!(plain, before[1].1);

    // A new alert of 2007 and a revision of MS04-035, written behind the
    // server's back, show once the recheck interval has passed.
    let mut alerts = demo_alerts();
    let mut revised = alerts.iter().find(|a| a.id == "MS04-035").unwrap().clone();
    revised.title = "改訂された題名".into();
    revised.updated = chrono::NaiveDate::from_ymd_opt(2007, 3, 1);
    let mut new = alerts.remove(0);
    new.id = "MS07-001".into();
    new.registered = chrono::NaiveDate::from_ymd_opt(2007, 1, 9);
    new.edition = new.registered;
    new.updated = new.registered;
    site.store
        .import(vec![item(revised), item(new)])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let index = get(&site, &format!("{W}/index.txt")).await.text();
    assert!(index.contains("2007/ms07-001.json\n"));
    let changes = get(&site, &format!("{W}/changes.csv")).await.text();
    let revised = changes
        .find("\"2004/ms04-035.json\",\"2007-03-01T")
        .expect("the revision's date");
    assert!(revised < changes.find("\"2007/ms07-001.json\"").unwrap());
    let doc = get(&site, &format!("{W}/2004/ms04-035.json")).await.json();
    assert_eq!(doc["document"]["title"], "改訂された題名");
    assert_eq!(doc["document"]["tracking"]["version"], "2");
    // The metadata is dated by the newest release, which is still the
    // demo's undated MS05-017 (dated when it was recorded): unchanged.
    let m = get(&site, &paths[0]).await;
    let newest = changes.lines().next().unwrap().split('"').nth(3).unwrap();
    assert_eq!(m.json()["last_updated"], newest);
    assert_eq!(m.header("etag"), Some(before[0].0.as_str()));
    for (p, (tag, body)) in paths.iter().zip(&before).skip(1) {
        let r = request(site.addr, "GET", p, &[("If-None-Match", tag)]).await;
        assert_eq!(r.status, 200, "{p} did not change");
        assert_ne!(&r.body, body, "{p}");
    }
    // An untouched document keeps its validator across the change.
    let ms06 = format!("{W}/2006/ms06-035.json");
    let r = get(&site, &ms06).await;
    let tag = r.header("etag").unwrap().to_string();
    assert_eq!(
        request(site.addr, "GET", &ms06, &[("If-None-Match", &tag)])
            .await
            .status,
        304
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_under_a_sub_path_names_its_urls_with_it() {
    let site = start_with(demo_alerts(), |c| c.base_url.push_str("/hfr/")).await;
    // The proxy in front strips /hfr; links and URLs carry it.
    let m = get(&site, "/.well-known/csaf/provider-metadata.json")
        .await
        .json();
    let base = format!("http://{}/hfr", site.addr);
    assert_eq!(
        m["canonical_url"],
        format!("{base}/.well-known/csaf/provider-metadata.json")
    );
    assert_eq!(m["publisher"]["namespace"], base);
    let r = get(&site, W).await;
    assert_eq!(r.header("location"), Some("/hfr/.well-known/csaf/white/"));
    let white = get(&site, &format!("{W}/")).await.text();
    assert!(white.contains("Index of /hfr/.well-known/csaf/white/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_archive_is_an_empty_provider() {
    let site = start_with(Vec::new(), |_| {}).await;
    let m = get(&site, "/.well-known/csaf/provider-metadata.json")
        .await
        .json();
    assert_eq!(m["last_updated"], "1970-01-01T00:00:00Z");
    assert_eq!(m["publisher"]["namespace"], site.config.base_url);
    assert_eq!(m["publisher"]["name"], "HotFix Report");
    assert_eq!(get(&site, &format!("{W}/index.txt")).await.body, b"");
    assert_eq!(get(&site, &format!("{W}/changes.csv")).await.body, b"");
    let feed = get(&site, "/.well-known/csaf/feed-tlp-white.json")
        .await
        .json();
    assert_eq!(feed["feed"]["entry"], Value::Array(vec![]));
    assert_eq!(get(&site, &format!("{W}/")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_writes_the_tree_the_server_serves() {
    let site = start().await;
    let out = tempfile::tempdir().unwrap();
    export_site(site.store.clone(), site.config.clone(), out.path())
        .await
        .unwrap();
    let root = out.path().join(".well-known/csaf");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    let index = get(&site, &format!("{W}/index.txt")).await.text();
    let documents = index.lines().count();
    // Per document its JSON and two hashes; the listings, index, changes,
    // feed and metadata.
    let years: BTreeSet<&str> = index.lines().map(|l| &l[..4]).collect();
    assert_eq!(files.len(), documents * 3 + years.len() + 2 + 2 + 2);
    for file in files {
        let rel = file.strip_prefix(out.path()).unwrap().to_str().unwrap();
        let url = format!("/{}", rel.strip_suffix("index.html").unwrap_or(rel));
        let served = get(&site, &url).await;
        assert_eq!(served.status, 200, "{url}");
        assert!(
            std::fs::read(&file).unwrap() == served.body,
            "{rel} differs from {url}"
        );
    }
}

/// How long the tree of a large archive takes: run by hand
/// (`cargo test -p hfr-web --test provider -- --ignored --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn a_thousand_alerts() {
    let demo = demo_alerts();
    let mut alerts = Vec::new();
    for i in 0..1000 {
        let mut a = demo[i % demo.len()].clone();
        a.id = format!("HFR-{:04}-{i:04}", 2000 + i % 25);
        alerts.push(a);
    }
    let mut changed = alerts[7].clone();
    let site = start_with(alerts, |c| c.recheck = Duration::from_millis(10)).await;
    let t = Instant::now();
    let first = get(&site, &format!("{W}/index.txt")).await;
    assert_eq!(first.text().lines().count(), 1000);
    println!("first index.txt (renders the tree): {:?}", t.elapsed());
    // One alert revised: only it is rendered again.
    changed.title = "改訂".into();
    site.store.import(vec![item(changed)]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let t = Instant::now();
    let again = get(&site, &format!("{W}/changes.csv")).await;
    assert_ne!(again.body, first.body);
    println!("changes.csv after one import: {:?}", t.elapsed());
    for p in [
        format!("{W}/index.txt"),
        format!("{W}/changes.csv"),
        "/.well-known/csaf/feed-tlp-white.json".to_string(),
        "/.well-known/csaf/provider-metadata.json".to_string(),
    ] {
        let t = Instant::now();
        let n = 50;
        let mut bytes = 0;
        for _ in 0..n {
            bytes = get(&site, &p).await.body.len();
        }
        println!("{p}: {:?} a request, {bytes} bytes", t.elapsed() / n);
    }
}
