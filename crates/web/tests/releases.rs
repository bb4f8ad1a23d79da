//! The release pages and API against the real server over HTTP/1.1, fed
//! from a temporary SQLite archive: a month of vendor alerts built here,
//! an older month, and one alert of no release.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use hfr_model::*;
use hfr_store::{ImportItem, ReleaseImport, Source, SourceKind, Store};
use hfr_web::{export_site, serve_with_shutdown, WebConfig};
use tokio::net::TcpListener;

mod common;
use common::*;

// ------------------------------------------------------------- fixtures

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> Option<NaiveDate> {
    Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn fix(kb: &str, supersedence: Option<&str>, build: Option<&str>) -> Remediation {
    Remediation {
        kind: RemediationKind::VendorFix,
        kb: Some(kb.into()),
        description: None,
        url: Some(format!(
            "https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB{kb}"
        )),
        fixed_build: build.map(str::to_string),
        restart_required: Some(RestartRequired::Yes),
        supersedence: supersedence.map(str::to_string),
        supersedes: Vec::new(),
        sub_type: Some("Security Update".into()),
        affected_files: Vec::new(),
    }
}

/// A vendor alert: `exploited` decides the action by the documented rule.
fn vendor(id: &str, release: &str, sev: Severity, exploited: bool, impact: &str) -> Alert {
    let (status, _) = ExploitStatus::parse(&format!(
        "Publicly Disclosed:No;Exploited:{};Latest Software Release:{}",
        if exploited { "Yes" } else { "No" },
        if exploited {
            "Exploitation Detected"
        } else {
            "Exploitation Less Likely"
        }
    ));
    let rule = ActionRule::decide(Some(sev), Some(&status));
    Alert {
        id: id.into(),
        release: Some(release.into()),
        title: format!("Windows Test Component {impact} Vulnerability ({id})"),
        registered: d("2017-03-14"),
        updated: d("2017-03-14"),
        severity: Some(sev),
        exploit_code: Some(exploited),
        exploit_status: Some(status),
        action: rule.action(),
        action_rule: Some(rule),
        impacts: Impact::from_vendor(impact).map(|i| vec![i]),
        products: vec![ProductFacts {
            id: "10816".into(),
            name: "Windows Server 2016".into(),
            family: Some("Windows".into()),
            severity: Some(sev),
            vendor_severity: Some(
                match sev {
                    Severity::Critical => "Critical",
                    Severity::Important => "Important",
                    Severity::Moderate => "Moderate",
                    Severity::Low => "Low",
                }
                .into(),
            ),
            impact: Impact::from_vendor(impact),
            vendor_impact: Some(impact.into()),
            cvss: None,
            remediations: vec![fix("4013429", Some("3213986"), Some("10.0.14393.953"))],
        }],
        vendor_revisions: vec![VendorRevision {
            number: "1.0".into(),
            date: Some(t("2017-03-14T07:00:00Z")),
            description: "Information published.".into(),
        }],
        ..Alert::default()
    }
}

fn release_of(id: &str, first: &str, alerts: &[Alert]) -> Release {
    Release {
        id: id.into(),
        title: format!("{id} Security Updates"),
        document_type: Some("Security Update".into()),
        publisher: Some("secure@microsoft.com".into()),
        initial_release: Some(t(first)),
        current_release: Some(t(first)),
        revision: Some("3".into()),
        revisions: vec![VendorRevision {
            number: "3".into(),
            date: Some(t(first)),
            description: "Revised for the tests.".into(),
        }],
        notes: vec![Note {
            title: "Release Notes".into(),
            text: "Notes of the month, written for the tests.".into(),
        }],
        alerts: alerts
            .iter()
            .map(|a| ReleaseAlert {
                id: a.id.clone(),
                title: a.title.clone(),
                severity: a.severity,
                tags: vec!["Windows Test Component".into()],
            })
            .collect(),
        aliases: Vec::new(),
        status: Some("Final".into()),
        version: Some("1.0".into()),
    }
}

fn month(id: &str, first: &str, alerts: Vec<Alert>) -> ReleaseImport {
    ReleaseImport {
        release: release_of(id, first, &alerts),
        source: Source {
            kind: SourceKind::Import,
            name: format!("/secret/path/{id}.xml"),
            format: "cvrf-xml".into(),
            sha256: None,
            text: Some(format!("<cvrfdoc>{id}</cvrfdoc>")),
        },
        alerts,
        force: false,
    }
}

fn march() -> ReleaseImport {
    month(
        "2017-Mar",
        "2017-03-14T07:00:00Z",
        vec![
            vendor(
                "CVE-2017-0003",
                "2017-Mar",
                Severity::Important,
                false,
                "Information Disclosure",
            ),
            vendor(
                "CVE-2017-0001",
                "2017-Mar",
                Severity::Critical,
                true,
                "Remote Code Execution",
            ),
            vendor(
                "CVE-2017-0002",
                "2017-Mar",
                Severity::Moderate,
                false,
                "Denial of Service",
            ),
        ],
    )
}

struct Site {
    addr: SocketAddr,
    config: WebConfig,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn start() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        hfr_store::open_sqlite(&dir.path().join("hfr.sqlite"))
            .await
            .unwrap(),
    );
    store.import_release(march()).await.unwrap();
    let feb = vendor(
        "CVE-2017-0010",
        "2017-Feb",
        Severity::Low,
        false,
        "Spoofing",
    );
    store
        .import_release(month("2017-Feb", "2017-02-14T08:00:00Z", vec![feb]))
        .await
        .unwrap();
    let page = Alert {
        id: "MS04-035".into(),
        title: "A page of no release".into(),
        edition: d("2004-10-16"),
        ..Alert::default()
    };
    store
        .import(vec![ImportItem {
            source: Source {
                kind: SourceKind::Import,
                name: "ms04-035.txt".into(),
                format: "hotfix-text".into(),
                sha256: None,
                text: None,
            },
            alert: page,
            force: false,
        }])
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = WebConfig::new(format!("http://{addr}"));
    config.recheck = Duration::from_millis(50);
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

// --------------------------------------------------------- HTTP client

async fn get(site: &Site, path: &str) -> Resp {
    request(site.addr, "GET", path, &[]).await
}

// ---------------------------------------------------------------- pages

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_list_is_newest_first() {
    let site = start().await;
    let r = get(&site, "/releases/").await;
    assert_eq!(r.status, 200);
    let html = r.text();
    assert_in_order(
        &html,
        &[
            "月例セキュリティ更新",
            "href=\"/releases/2017-Mar/\"",
            "2017/03/14",
            "href=\"/releases/2017-Feb/\"",
            "2017/02/14",
        ],
    );
    assert!(
        html.contains("aria-current=\"page\">月例リリース"),
        "{html}"
    );
    // Both spellings of the address.
    assert_eq!(get(&site, "/releases").await.body, r.body);
    // Every page links to the list.
    assert!(get(&site, "/").await.text().contains("href=\"/releases/\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_is_one_page_like_a_bulletin() {
    let site = start().await;
    let r = get(&site, "/releases/2017-mar/").await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    let html = r.text();
    assert_in_order(
        &html,
        &[
            "<title>2017-Mar 2017-Mar Security Updates",
            "【公開日】<time datetime=\"2017-03-14\">2017/03/14</time>",
            "【改訂】3",
            "脆弱性の件数</th><td>3 件",
            "至急適用</th><td>1 件",
            "悪用が確認された脆弱性</th><td>1 件",
            // The vendor's order, not sorted.
            "href=\"/alerts/CVE-2017-0003/\"",
            "href=\"/alerts/CVE-2017-0001/\"",
            "href=\"/alerts/CVE-2017-0002/\"",
            "Notes of the month, written for the tests.",
            "Revised for the tests.",
            "href=\"/api/v1/releases/2017-Mar.json\"",
        ],
    );
    // Each CVE with its severity, action and the rule beside it, impact
    // and exploit status.
    let row = html
        .split("<tr")
        .find(|r| r.contains("CVE-2017-0001/"))
        .expect("the row of CVE-2017-0001");
    for want in [
        "sev1\">緊急",
        "act-apply_now\">至急適用",
        "(悪用が確認されている)",
        "コードの実行",
        "悪用: あり",
        "最新版: 悪用を確認",
        "Windows Test Component",
    ] {
        assert!(row.contains(want), "{want} not in {row}");
    }
    let row = html
        .split("<tr")
        .find(|r| r.contains("CVE-2017-0002/"))
        .expect("the row of CVE-2017-0002");
    assert!(
        row.contains("SP待ち") && row.contains("(深刻度が警告または注意)"),
        "{row}"
    );
    assert!(
        !html.contains("/secret/path"),
        "the source path is not published"
    );

    assert_eq!(get(&site, "/releases/2099-Jan/").await.status, 404);
    assert_eq!(get(&site, "/releases/2017-Mar").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_page_shows_the_rule_the_vendor_facts_and_its_release() {
    let site = start().await;
    let r = get(&site, "/alerts/CVE-2017-0001/").await;
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(
        !html.contains("HotFix Alert: -版"),
        "no edition line for vendor data"
    );
    assert_in_order(
        &html,
        &[
            "リリース: <a href=\"/releases/2017-Mar/\">2017-Mar</a>",
            "<th scope=\"row\">対策</th><td><span class=\"act act-apply_now\">至急適用</span> <span class=\"rule\">(根拠: 悪用が確認されている)</span>",
            "<th scope=\"row\">悪用状況</th><td>公開: なし / 悪用: あり",
            "製品ごとの情報(ベンダー)",
            "<td>Windows Server 2016</td><td>Critical</td><td>Remote Code Execution</td>",
            "href=\"https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB4013429\">KB4013429</a>",
            "<td>Security Update</td><td>必要</td><td>3213986</td><td>10.0.14393.953</td>",
        ],
    );
    // A HotFix page's alert has neither.
    let html = get(&site, "/alerts/MS04-035/").await.text();
    assert!(html.contains("HotFix Alert: <time"));
    assert!(!html.contains("製品ごとの情報"));
    assert!(!html.contains("根拠:"));
}

// ------------------------------------------------------------------ API

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_lists_releases_and_answers_each_as_the_model_json() {
    let site = start().await;
    let r = get(&site, "/api/v1/releases").await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    let v = r.json();
    assert_eq!(v["total"], 2);
    let first = &v["items"][0];
    assert_eq!(first["id"], "2017-Mar");
    assert_eq!(first["alerts"], 3);
    assert_eq!(first["revision"], "3");
    assert_eq!(first["archive_revision"], 1);
    assert_eq!(first["max_severity"], 1);
    assert_eq!(
        first["severity_counts"],
        serde_json::json!({"critical": 1, "important": 1, "moderate": 1, "low": 0, "none": 0})
    );
    assert_eq!(
        first["url"],
        format!("{}/releases/2017-Mar/", site.config.base_url)
    );
    assert_eq!(v["items"][1]["id"], "2017-Feb");
    assert_eq!(get(&site, "/api/v1/releases.json").await.body, r.body);

    let one = get(&site, "/api/v1/releases/2017-mar").await;
    assert_eq!(one.status, 200);
    let expected = serde_json::to_value(&march().release).unwrap();
    assert_eq!(one.json(), expected);
    assert_eq!(
        get(&site, "/api/v1/releases/2017-Mar.json").await.body,
        one.body
    );

    let missing = get(&site, "/api/v1/releases/2099-Jan").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["status"], 404);

    // Documented, with the model's schema of a release.
    let doc = get(&site, "/api/v1/openapi.json").await.json();
    for p in ["/api/v1/releases", "/api/v1/releases/{id}"] {
        assert!(doc["paths"][p]["get"].is_object(), "{p}");
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Release"]["type"], "object");
    assert!(schemas["Release"]["properties"]["alerts"].is_object());
    assert!(schemas["ReleaseAlert"].is_object());
    assert!(schemas["ReleaseList"].is_object());
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"").skip(1) {
        let target = &part[..part.find('"').unwrap()];
        let pointer = target.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "dangling {target}");
    }
    // Every key of the listing is in its schema, and every required key is
    // in the listing.
    let item = &schemas["ReleaseList"]["properties"]["items"]["items"];
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    for k in &keys {
        assert!(item["properties"][k.as_str()].is_object(), "{k}");
    }
    for k in item["required"].as_array().unwrap() {
        assert!(first.get(k.as_str().unwrap()).is_some(), "{k}");
    }
}

// ------------------------------------------------- cache and the export

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_of_a_release_shows_though_no_alert_changed() {
    let site = start().await;
    let before = get(&site, "/releases/2017-Mar/").await.text();
    assert!(!before.contains("A later note."));
    let mut next = march();
    next.release.revision = Some("4".into());
    next.release.current_release = Some(t("2017-04-11T07:00:00Z"));
    next.release.notes.push(Note {
        title: "Update".into(),
        text: "A later note.".into(),
    });
    let (release, alerts) = site.store.import_release(next).await.unwrap();
    assert!(matches!(
        release,
        hfr_store::ReleaseOutcome::Revised { revision: 2, .. }
    ));
    assert!(alerts
        .iter()
        .all(|o| matches!(o, hfr_store::Outcome::Unchanged { .. })));
    let mut shown = false;
    for _ in 0..100 {
        if get(&site, "/releases/2017-Mar/")
            .await
            .text()
            .contains("A later note.")
        {
            shown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(shown, "the cached page never changed");
    let list = get(&site, "/api/v1/releases").await.json();
    assert_eq!(list["items"][0]["archive_revision"], 2);
    assert_eq!(list["items"][0]["revision"], "4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_has_the_release_pages_the_server_serves() {
    let site = start().await;
    let out = tempfile::tempdir().unwrap();
    export_site(site.store.clone(), site.config.clone(), out.path())
        .await
        .unwrap();
    for (path, file) in [
        ("/releases/", "releases/index.html"),
        ("/releases/2017-Mar/", "releases/2017-Mar/index.html"),
        ("/releases/2017-Feb/", "releases/2017-Feb/index.html"),
        ("/api/v1/releases", "api/v1/releases.json"),
        ("/api/v1/releases/2017-Mar", "api/v1/releases/2017-Mar.json"),
        ("/alerts/CVE-2017-0001/", "alerts/CVE-2017-0001/index.html"),
    ] {
        let served = get(&site, path).await;
        assert_eq!(served.status, 200, "{path}");
        let written = std::fs::read(out.path().join(file)).unwrap();
        assert!(written == served.body, "{file} differs from {path}");
    }
    // The links of the release pages lead to exported files.
    for page in ["releases/index.html", "releases/2017-Mar/index.html"] {
        let html = std::fs::read_to_string(out.path().join(page)).unwrap();
        for href in html
            .split("href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .filter(|h| h.starts_with('/'))
        {
            let p = href
                .split(['?', '#'])
                .next()
                .unwrap()
                .trim_start_matches('/');
            let file = if p.is_empty() || p.ends_with('/') {
                format!("{p}index.html")
            } else {
                p.to_string()
            };
            assert!(
                out.path().join(&file).is_file(),
                "{page} links to {href}, not exported"
            );
        }
    }
}
