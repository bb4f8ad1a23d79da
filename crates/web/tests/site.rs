//! The real server over HTTP/1.1 on 127.0.0.1, fed from a temporary SQLite
//! archive of alerts built here in code.

use std::collections::BTreeSet;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use hfr_model::*;
use hfr_store::{ImportItem, Source, SourceKind, Store};
use hfr_web::{export_site, serve_with_shutdown, WebConfig};
use tokio::net::TcpListener;

mod common;
use common::*;

// ------------------------------------------------------------- fixtures

fn d(s: &str) -> Option<NaiveDate> {
    Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn base(id: &str, edition: &str, sev: Severity, exploit: bool, action: Action) -> Alert {
    Alert {
        id: id.into(),
        edition: d(edition),
        registered: d(edition),
        updated: d(edition),
        severity: Some(sev),
        exploit_code: Some(exploit),
        action: Some(action),
        title: format!("{id} のテスト用タイトル"),
        ..Alert::default()
    }
}

fn file(branch: Option<&str>, name: &str, version: &str, size: u64, desc: &str) -> PackageFile {
    PackageFile {
        branch: branch.map(str::to_string),
        path: "%SystemRoot%\\system32\\inetsrv\\".into(),
        name: name.into(),
        date: d("2004-09-16"),
        version: Some(version.into()),
        size: Some(size),
        description: Some(desc.into()),
    }
}

/// A full alert: every section filled.
fn full_alert() -> Alert {
    let mut a = base(
        "MS04-035",
        "2004-10-16",
        Severity::Critical,
        false,
        Action::ApplyNow,
    );
    a.registered = d("2004-10-15");
    a.kbs = vec!["885881".into(), "885882".into()];
    a.title = "SMTP の脆弱性でコードが実行される".into();
    a.vendor_title = Some("Vendor title for SMTP".into());
    a.reboot = vec![
        Reboot {
            product: Some("Exchange Server 2003".into()),
            required: RebootRequired::No,
            note: Some("サービスが停止する".into()),
        },
        Reboot {
            product: Some("Windows Server 2003".into()),
            required: RebootRequired::Yes,
            note: None,
        },
    ];
    a.uninstall = Some(true);
    a.target = Some(Target {
        server: true,
        client: false,
    });
    a.references = vec![
        Reference {
            kind: ReferenceKind::Bulletin,
            label: "MS04-035".into(),
            locale: Some("ja".into()),
            url: Some("https://example.com/ms04-035".into()),
            note: None,
        },
        Reference {
            kind: ReferenceKind::Kb,
            label: "885881".into(),
            locale: None,
            url: Some("javascript:alert(1)".into()),
            note: None,
        },
        Reference {
            kind: ReferenceKind::Faq,
            label: "fq04-035".into(),
            locale: None,
            url: None,
            note: None,
        },
    ];
    a.supersedes = vec![Supersedes {
        id: "MS03-001".into(),
        scope: Some("Windows 2000を除く".into()),
    }];
    a.urgency = Some(Urgency {
        text: "適用作業の至急開始".into(),
        exploit_published: Some(false),
        attacks_seen: Some(false),
    });
    a.risk = Some("危険性の段落その一。\n二行目。\n\n段落その二 <script>x</script>".into());
    a.attack_vectors = Some(vec![AttackVector::Remote, AttackVector::Worm]);
    a.impacts = Some(vec![Impact::CodeExecution]);
    a.summary = Some("概要のテキスト。".into());
    a.vulnerabilities = vec![Vulnerability {
        title: "SMTP の未チェック・バッファ".into(),
        severity: Some(Severity::Critical),
        cve: Some("CVE-2004-0840".into()),
        text: "脆弱性の説明。".into(),
    }];
    a.affected = vec![
        Affected {
            software: "Exchange Server 2003".into(),
            platforms: "Exchange Server 2003 SP未適用".into(),
        },
        Affected {
            software: "Windows Server 2003".into(),
            platforms: "Windows Server 2003".into(),
        },
    ];
    a.lab_tests = vec![LabTest {
        platform: "Windows Server 2003, Standard Edition".into(),
        result: Some(LabResult::Passed),
        note: None,
    }];
    a.lab_notes = vec![Note {
        title: "適用時の注意".into(),
        text: "ラボの所見。".into(),
    }];
    a.details = Some("詳細のテキスト。".into());
    a.downloads = vec![Download {
        platform: "Windows Server 2003".into(),
        update_name: Some("Windows Server 2003 用セキュリティ更新プログラム (KB885881)".into()),
        note: None,
        channel: Some("Windows Update/SUS".into()),
    }];
    a.packages = vec![Package {
        platform: Some("Windows Server 2003".into()),
        file: "WindowsServer2003-KB885881-x86-jpn.EXE".into(),
        date: d("2004-09-27"),
        version: Some("1.0.0.0".into()),
        size: Some(524528),
        files: vec![
            file(
                Some("RTMGDR"),
                "smtpsvc.dll",
                "6.0.3790.211",
                435712,
                "SMTP Service",
            ),
            file(
                Some("RTMQFE"),
                "smtpsvc.dll",
                "6.0.3790.211",
                439808,
                "SMTP Service",
            ),
        ],
        reference_files: vec![],
    }];
    a.verification = vec![Verification {
        platforms: "Windows Server 2003".into(),
        registry_key:
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows Server 2003\\SP1\\KB885881\\Filelist"
                .into(),
        check: VerificationCheck::FileList,
    }];
    a.workarounds = vec![Workaround {
        title: Some("TCP ポート 53 をブロックする".into()),
        text: "回避策の説明。".into(),
    }];
    a.rollout = vec![Rollout {
        package: "WindowsServer2003-KB885881-x86-jpn.EXE".into(),
        platform: Some("Windows Server 2003".into()),
        minutes: [(50, 34), (100, 43), (250, 68), (500, 110)].into(),
    }];
    a.rollout_basis = Some("1 コンソールで概算。".into());
    a.tool_display = vec![ToolDisplay {
        platform: Some("Windows Server 2003".into()),
        text: "IIS タブに登録".into(),
    }];
    a.additions = vec![Addition {
        title: "修正プログラムの再リリース".into(),
        source: Some("ベンダ".into()),
        content: Some("再リリース".into()),
        condition: None,
        reported: d("2004-10-20"),
        text: "再リリースの説明。".into(),
        packages: vec![Package {
            platform: None,
            file: "WindowsServer2003-KB885881-x86-jpn-v2.EXE".into(),
            date: d("2004-10-19"),
            version: Some("2.0.0.0".into()),
            size: Some(600000),
            files: vec![file(
                None,
                "smtpsvc2.dll",
                "6.0.3790.212",
                440000,
                "SMTP v2",
            )],
            reference_files: vec![],
        }],
    }];
    a.notes = vec![Note {
        title: "その他の節".into(),
        text: "未知の節のテキスト。".into(),
    }];
    a
}

/// The two revisions of MS05-017.
fn revised_alert(second: bool) -> Alert {
    let mut a = base(
        "MS05-017",
        "2005-04-13",
        Severity::Important,
        true,
        Action::ApplySoon,
    );
    a.target = Some(Target {
        server: false,
        client: true,
    });
    a.affected = vec![Affected {
        software: "Windows XP".into(),
        platforms: "Windows XP SP1/SP2".into(),
    }];
    if second {
        a.updated = d("2005-04-20");
        a.severity = Some(Severity::Critical);
        a.additions = vec![Addition {
            title: "新しい情報".into(),
            source: None,
            content: None,
            condition: None,
            reported: d("2005-04-19"),
            text: "改訂で追加。".into(),
            packages: vec![],
        }];
    }
    a
}

fn fixtures() -> Vec<Alert> {
    let mut ms06 = base(
        "MS06-035",
        "2006-07-12",
        Severity::Critical,
        false,
        Action::ApplyNow,
    );
    ms06.target = Some(Target {
        server: true,
        client: true,
    });
    ms06.affected = vec![Affected {
        software: "Windows 2000".into(),
        platforms: "Windows 2000 SP4".into(),
    }];
    let mut ms0440 = base(
        "MS04-040",
        "2004-12-02",
        Severity::Moderate,
        false,
        Action::WaitForSp,
    );
    ms0440.target = Some(Target {
        server: false,
        client: true,
    });
    let ms0501 = base(
        "MS05-001",
        "2005-01-12",
        Severity::Low,
        false,
        Action::WaitForSp,
    );
    let ms0441 = base(
        "MS04-041",
        "2004-12-15",
        Severity::Important,
        true,
        Action::ApplySoon,
    );
    vec![
        full_alert(),
        revised_alert(false),
        ms06,
        ms0440,
        ms0501,
        ms0441,
    ]
}

fn item(alert: Alert) -> ImportItem {
    ImportItem {
        source: Source {
            kind: SourceKind::Import,
            name: format!("/secret/path/{}.txt", alert.id),
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

async fn filled_store(dir: &Path) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(
        hfr_store::open_sqlite(&dir.join("hfr.sqlite"))
            .await
            .unwrap(),
    );
    store
        .import(fixtures().into_iter().map(item).collect())
        .await
        .unwrap();
    store.import(vec![item(revised_alert(true))]).await.unwrap();
    store
}

async fn start_with(store: Arc<dyn Store>, dir: tempfile::TempDir) -> Site {
    start_configured(store, dir, |_| {}).await
}

async fn start_configured(
    store: Arc<dyn Store>,
    dir: tempfile::TempDir,
    configure: impl FnOnce(&mut WebConfig),
) -> Site {
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
    let dir = tempfile::tempdir().unwrap();
    let store = filled_store(dir.path()).await;
    start_with(store, dir).await
}

// --------------------------------------------------------- HTTP client

async fn get(site: &Site, path: &str) -> Resp {
    request(site.addr, "GET", path, &[]).await
}

// --------------------------------------------------------------- pages

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_top_page_lists_the_newest_first_with_words_and_colours() {
    let site = start().await;
    let r = get(&site, "/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let html = r.text();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("name=\"viewport\""));
    assert_in_order(
        &html,
        &[
            ">MS06-035<",
            ">MS05-017<",
            ">MS05-001<",
            ">MS04-041<",
            ">MS04-040<",
            ">MS04-035<",
        ],
    );
    // Severity and action: a class for the colour and the word itself.
    assert!(html.contains("<span class=\"sev sev1\">緊急</span>"));
    assert!(html.contains("<span class=\"sev sev3\">警告</span>"));
    assert!(html.contains("<span class=\"sev sev4\">注意</span>"));
    assert!(html.contains("<span class=\"act act-apply_now\">至急適用</span>"));
    assert!(html.contains("<span class=\"act act-wait_for_sp\">SP待ち</span>"));
    assert!(html.contains("<span class=\"exploit yes\">あり</span>"));
    assert!(html.contains("<time datetime=\"2006-07-12\">2006/07/12</time>"));
    assert!(html.contains("href=\"/alerts/MS06-035/\""));
    // The navigation of the original pages.
    assert_in_order(
        &html,
        &[
            "トップページ",
            "サービスの詳細",
            "セキュリティ情報",
            "購読の申し込み",
        ],
    );
    // The one stylesheet, embedded, is served.
    let css_href = html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let css = get(&site, &css_href).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.text().contains("@media print"));
    assert!(css.header("cache-control").unwrap().contains("immutable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_numbers_group_by_year_and_month_and_filter() {
    let site = start().await;
    for path in ["/alerts", "/alerts/"] {
        let html = get(&site, path).await.text();
        assert!(html.contains("全6件"), "{path}");
        assert_in_order(
            &html,
            &[
                "id=\"y2006\"",
                "id=\"y2006-07\"",
                "id=\"y2005\"",
                "id=\"y2005-04\"",
                "id=\"y2005-01\"",
                "id=\"y2004\"",
                "id=\"y2004-12\"",
                "id=\"y2004-10\"",
            ],
        );
        // The product choices come from the archive.
        assert!(html.contains("<option value=\"Windows XP\">Windows XP (1)</option>"));
        assert!(html.contains("<option value=\"2005\">2005年</option>"));
    }
    let ids = |html: &str| -> BTreeSet<String> {
        html.split("class=\"id\"><a href=\"/alerts/")
            .skip(1)
            .map(|s| s.split('/').next().unwrap().to_string())
            .collect()
    };
    let cases: [(&str, &[&str]); 8] = [
        ("severity=1", &["MS04-035", "MS05-017", "MS06-035"]),
        (
            "severity=3&year=2004",
            &["MS04-035", "MS04-040", "MS04-041"],
        ),
        ("action=wait_for_sp", &["MS04-040", "MS05-001"]),
        ("exploit_code=true", &["MS04-041", "MS05-017"]),
        ("target=client", &["MS04-040", "MS05-017", "MS06-035"]),
        ("product=Windows+XP", &["MS05-017"]),
        ("year=2004&month=12", &["MS04-040", "MS04-041"]),
        // The form's "all" sends empty values.
        (
            "severity=&action=&exploit_code=&target=&product=&year=&month=",
            &[
                "MS04-035", "MS04-040", "MS04-041", "MS05-001", "MS05-017", "MS06-035",
            ],
        ),
    ];
    for (query, want) in cases {
        let r = get(&site, &format!("/alerts/?{query}")).await;
        assert_eq!(r.status, 200, "{query}");
        let html = r.text();
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(ids(&html), want, "{query}");
    }
    // The chosen values stay selected.
    let html = get(&site, "/alerts/?action=apply_soon&target=server")
        .await
        .text();
    assert!(html.contains("<option value=\"apply_soon\" selected>"));
    assert!(html.contains("<option value=\"server\" selected>"));
    assert!(
        html.contains("条件に合うアラートはありません") || html.contains("条件に合うアラート: 0件")
    );
    // A wrong value is a 400 page in Japanese naming the parameter.
    let r = get(&site, "/alerts/?severity=9").await;
    assert_eq!(r.status, 400);
    let html = r.text();
    assert!(html.contains("lang=\"ja\""));
    assert!(html.contains("severity"));
    assert!(html.contains("リクエストが正しくありません"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_page_shows_every_section_in_page_order() {
    let site = start().await;
    let r = get(&site, "/alerts/MS04-035").await;
    assert_eq!(r.status, 200);
    let html = r.text();
    assert_in_order(
        &html,
        &[
            "HotFix Alert: <time datetime=\"2004-10-16\">2004/10/16</time>版",
            "【登録日】<time datetime=\"2004-10-15\">",
            "<th scope=\"row\">深刻度</th>",
            "<th scope=\"row\">攻撃コードの有無</th>",
            "<th scope=\"row\">対策</th>",
            "<th scope=\"row\">再起動の必要性</th>",
            "<th scope=\"row\">アンインストール</th>",
            "<th scope=\"row\">対象環境</th>",
            "<th scope=\"row\">セキュリティ情報</th>",
            "<th scope=\"row\">サポート技術情報</th>",
            "<th scope=\"row\">よく寄せられる質問</th>",
            "<th scope=\"row\">含まれる過去の修正</th>",
            "<th scope=\"row\">脆弱性識別番号</th><td>MS04-035/885881/885882</td>",
            "<h1>",
            "(Vendor title for SMTP)",
            "対応の緊急性:</strong> 適用作業の至急開始 [攻撃コード未公開] [攻撃事例なし]",
            ">危険性</h2>",
            ">可能性のある攻撃</h2>",
            ">概要</h2>",
            ">脆弱性の内容</h2>",
            ">対象プラットフォーム</h2>",
            ">DA Lab:HotFixテスティング・チームからのコメント</h2>",
            "<h3>適用テストの結果</h3>",
            "<h3>適用時の注意</h3>",
            ">詳細情報</h2>",
            ">修正プログラムのダウンロード先</h2>",
            "<th scope=\"col\">Windows Update/SUSの表示</th>",
            ">適用されるファイル情報</h2>",
            ">確認方法</h2>",
            ">参考情報</h2>",
            ">予想適用時間</h2>",
            ">UpdateEXPERT上の表示</h2>",
            ">追加情報</h2>",
            "<h2>その他の節</h2>",
            ">改訂履歴</h2>",
        ],
    );
    // Header facts.
    assert!(
        html.contains("<span class=\"sev sev1\">緊急</span> <span class=\"num-label\">(1)</span>")
    );
    assert!(html.contains("Exchange Server 2003: 不要(サービスが停止する)"));
    assert!(html.contains("<td>サーバ</td>"));
    assert!(html.contains("MS03-001 (Windows 2000を除く)"));
    assert!(html.contains("<a href=\"https://example.com/ms04-035\">MS04-035</a> (日本)"));
    // Only http(s) links become links.
    assert!(!html.contains("javascript:"));
    // Prose: paragraphs, escaped.
    assert!(html.contains("<p>危険性の段落その一。<br/>二行目。</p>"));
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
    assert!(!html.contains("<script>"));
    assert!(html.contains("リモート攻撃、ウイルス/ワーム"));
    assert!(html.contains("CVE: <span class=\"cve\">CVE-2004-0840</span>"));
    assert!(html.contains("○ 問題なし"));
    // The gauge marks the alert's level in words.
    assert!(html.contains("至急適用 <span class=\"mark\">◀ このアラート</span>"));
    // The package and its files as real tables.
    assert!(html.contains("<table class=\"files\">"));
    assert_in_order(
        &html,
        &[
            "<td class=\"file\">WindowsServer2003-KB885881-x86-jpn.EXE</td><td class=\"date\">2004/09/27</td><td>1.0.0.0</td><td class=\"num\">524,528</td>",
            "<th scope=\"col\">ブランチ</th><th scope=\"col\">展開フォルダ</th><th scope=\"col\">ファイル名</th><th scope=\"col\">日付</th><th scope=\"col\">バージョン</th><th scope=\"col\">サイズ</th><th scope=\"col\">機能</th>",
            "<tr><td>RTMGDR</td><td class=\"path\">%SystemRoot%\\system32\\inetsrv\\</td><td class=\"file\">smtpsvc.dll</td><td class=\"date\">2004/09/16</td><td>6.0.3790.211</td><td class=\"num\">435,712</td><td>SMTP Service</td></tr>",
            "<tr><td>RTMQFE</td>",
        ],
    );
    assert!(html.contains("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows Server 2003\\SP1\\KB885881\\Filelist"));
    assert!(html.contains("<th scope=\"col\">500台</th>"));
    assert!(html.contains("<td class=\"num\">1時間50分</td>"));
    // The re-released package stands in 追加情報, with its files.
    assert_in_order(
        &html,
        &[
            ">追加情報</h2>",
            "<h3>修正プログラムの再リリース</h3>",
            "<dt>報告日</dt><dd><time datetime=\"2004-10-20\">2004/10/20</time></dd>",
            "<h4>(プラットフォームの記載なし)</h4>",
            "WindowsServer2003-KB885881-x86-jpn-v2.EXE",
            "smtpsvc2.dll",
        ],
    );
    assert!(html.contains("再リリースされた修正プログラムがあります"));
    // Print-friendly: the stylesheet has print rules (checked on the CSS).
    assert!(html.contains("rel=\"stylesheet\""));
    // The importing machine's paths are not published.
    assert!(!html.contains("/secret/path"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_case_insensitive_and_old_revisions_have_their_page() {
    let site = start().await;
    let current = get(&site, "/alerts/ms05-017").await;
    assert_eq!(current.status, 200);
    let html = current.text();
    assert!(html.contains("<span class=\"alert-id\">MS05-017</span>"));
    assert!(!html.contains("class=\"notice\" role=\"note\""));
    // The history says what changed, newest first.
    assert_in_order(&html, &[">改訂履歴</h2>", ">改訂 2</a>", ">改訂 1</a>"]);
    assert!(html.contains("更新日、深刻度、追加情報"));
    assert!(html.contains("<code>severity</code>: <del>2</del> → <ins>1</ins>"));
    assert!(html.contains("初版"));
    assert_eq!(get(&site, "/alerts/MS05-017/").await.body, current.body);

    let old = get(&site, "/alerts/MS05-017?revision=1").await;
    assert_eq!(old.status, 200);
    let old_html = old.text();
    assert!(old_html.contains("このページは改訂 1"));
    assert!(old_html.contains("<span class=\"sev sev2\">重要</span>"));
    assert!(!old_html.contains(">追加情報</h2>"));
    assert!(old_html.contains("href=\"/alerts/MS05-017/\">最新の内容(改訂 2)を見る"));
    // The path form (what the static export has) is the same page.
    let by_path = get(&site, "/alerts/ms05-017/revisions/1/").await;
    assert_eq!(by_path.status, 200);
    assert_eq!(by_path.body, old.body);

    assert_eq!(get(&site, "/alerts/MS05-017?revision=3").await.status, 404);
    assert_eq!(
        get(&site, "/alerts/MS05-017/revisions/9/").await.status,
        404
    );
    assert_eq!(
        get(&site, "/alerts/MS05-017?revision=abc").await.status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_is_japanese_html_for_pages_and_json_for_the_api() {
    let site = start().await;
    for path in [
        "/alerts/MS99-999",
        "/no/such/page",
        "/alerts/MS99-999/revisions/1/",
    ] {
        let r = get(&site, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let html = r.text();
        assert!(html.contains("<html lang=\"ja\">"));
        assert!(html.contains("ページが見つかりません"));
    }
    for path in [
        "/api/v1/alerts/MS99-999",
        "/api/v1/alerts/MS99-999/revisions",
        "/api/v1/nothing",
        "/api/v1/alerts/%00",
        "/api/v1/alerts/a%20b/revisions",
    ] {
        let r = get(&site, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v = r.json();
        assert_eq!(v["status"], 404);
        assert!(v["error"].as_str().unwrap().contains("見つかりません"));
    }
    // A path that is not UTF-8 is a 400, in JSON for the API.
    let r = get(&site, "/api/v1/alerts/%FF").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["parameter"], "path");
    assert_eq!(get(&site, "/alerts/%FF/").await.status, 400);
    let r = request(
        site.addr,
        "POST",
        "/api/v1/alerts",
        &[("Content-Length", "0")],
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["status"], 405);
}

// ------------------------------------------------------------------ API

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_lists_pages_filters_and_counts() {
    let site = start().await;
    let v = get(&site, "/api/v1/alerts").await.json();
    assert_eq!(v["total"], 6);
    assert_eq!(v["page"], 1);
    assert_eq!(v["per_page"], 20);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    assert_eq!(items[0]["id"], "MS06-035");
    assert_eq!(items[0]["severity"], 1);
    assert_eq!(items[0]["action"], "apply_now");
    assert_eq!(items[0]["edition"], "2006-07-12");
    assert_eq!(
        items[0]["url"],
        format!("{}/alerts/MS06-035/", site.config.base_url)
    );
    assert!(v["links"]["next"].is_null());
    assert!(v["links"]["prev"].is_null());

    let v = get(&site, "/api/v1/alerts?page=2&per_page=4").await.json();
    assert_eq!(v["total"], 6);
    assert_eq!(v["offset"], 4);
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["MS04-040", "MS04-035"]);
    assert!(v["links"]["prev"]
        .as_str()
        .unwrap()
        .ends_with("page=1&per_page=4"));
    assert!(v["links"]["next"].is_null());
    assert!(v["links"]["last"]
        .as_str()
        .unwrap()
        .ends_with("page=2&per_page=4"));

    let v = get(&site, "/api/v1/alerts?limit=2&offset=1&severity=2")
        .await
        .json();
    assert_eq!(v["total"], 4);
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["MS05-017", "MS04-041"]);
    let next = v["links"]["next"].as_str().unwrap();
    assert!(
        next.contains("severity=2") && next.ends_with("limit=2&offset=3"),
        "{next}"
    );
    // Following a link works.
    let path = next.strip_prefix(&site.config.base_url).unwrap();
    let v2 = get(&site, path).await.json();
    assert_eq!(v2["items"][0]["id"], "MS04-035");

    let v = get(
        &site,
        "/api/v1/alerts?exploit_code=false&target=server&action=apply_now&year=2004",
    )
    .await
    .json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["id"], "MS04-035");
    let v = get(&site, "/api/v1/alerts?product=exchange").await.json();
    assert_eq!(v["total"], 1);
    let v = get(&site, "/api/v1/alerts?product=%00").await.json();
    assert_eq!(v["total"], 6);
    // Past the end: no items, still 200.
    let v = get(&site, "/api/v1/alerts?page=99").await.json();
    assert_eq!(v["items"], serde_json::json!([]));
    assert_eq!(v["total"], 6);

    let products = get(&site, "/api/v1/products").await.json();
    assert!(products["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Windows XP" && p["alerts"] == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_filter_value_is_a_400_naming_the_parameter() {
    let site = start().await;
    for (query, param) in [
        ("severity=5", "severity"),
        ("severity=", "severity"),
        ("action=later", "action"),
        ("exploit_code=maybe", "exploit_code"),
        ("target=phone", "target"),
        ("year=20x4", "year"),
        ("month=0", "month"),
        ("page=0", "page"),
        ("per_page=5000", "per_page"),
        ("limit=-1", "limit"),
        ("offset=x", "offset"),
    ] {
        let r = get(&site, &format!("/api/v1/alerts?{query}")).await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v = r.json();
        assert_eq!(v["status"], 400);
        assert_eq!(v["parameter"], param, "{query}");
        assert!(v["error"].as_str().unwrap().contains(param), "{query}");
    }
    let r = get(&site, "/api/v1/alerts/MS04-035?revision=0").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["parameter"], "revision");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_the_canonical_json_of_the_model() {
    let site = start().await;
    for path in [
        "/api/v1/alerts/MS04-035",
        "/api/v1/alerts/ms04-035",
        "/api/v1/alerts/MS04-035.json",
    ] {
        let r = get(&site, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.json(),
            serde_json::to_value(full_alert()).unwrap(),
            "{path}"
        );
    }
    let stored = site.store.get("MS05-017").await.unwrap().unwrap();
    let current = get(&site, "/api/v1/alerts/MS05-017").await.json();
    assert_eq!(current, serde_json::to_value(&stored.alert).unwrap());
    assert_eq!(current["severity"], 1);
    let first = get(&site, "/api/v1/alerts/MS05-017?revision=1")
        .await
        .json();
    assert_eq!(first, serde_json::to_value(revised_alert(false)).unwrap());
    assert_eq!(
        get(&site, "/api/v1/alerts/MS05-017?revision=7")
            .await
            .status,
        404
    );

    let r = get(&site, "/api/v1/alerts/ms05-017/revisions").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["id"], "MS05-017");
    let revs = v["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0]["revision"], 1);
    assert_eq!(revs[0]["changes"], serde_json::json!([]));
    assert_eq!(revs[1]["revision"], 2);
    assert_eq!(
        revs[1]["changed_sections"],
        serde_json::json!(["updated", "severity", "additions"])
    );
    assert!(revs[1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["path"] == "severity" && c["before"] == 2 && c["after"] == 1));
    assert_eq!(revs[1]["source"]["kind"], "import");
    assert!(!r.text().contains("/secret/path"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_each_alert_as_csaf_that_imports_back() {
    let site = start().await;
    for path in [
        "/api/v1/alerts/MS04-035/csaf",
        "/api/v1/alerts/ms04-035/csaf",
        "/api/v1/alerts/MS04-035/csaf.json",
    ] {
        let r = get(&site, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let doc = r.json();
        assert_eq!(doc["document"]["category"], "csaf_security_advisory");
        assert_eq!(doc["document"]["tracking"]["id"], "MS04-035");
        let (back, warnings) = hfr_csaf::from_csaf(&doc).unwrap();
        assert_eq!(back, full_alert(), "{path}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }
    // Versioned by the archive's revisions, each summarized.
    let doc = get(&site, "/api/v1/alerts/MS05-017/csaf").await.json();
    let tracking = &doc["document"]["tracking"];
    assert_eq!(tracking["version"], "2");
    let history = tracking["revision_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[1]["summary"]
        .as_str()
        .unwrap()
        .starts_with("更新: "));
    let first = get(&site, "/api/v1/alerts/MS05-017/csaf?revision=1")
        .await
        .json();
    assert_eq!(first["document"]["tracking"]["version"], "1");
    assert_eq!(hfr_csaf::from_csaf(&first).unwrap().0, revised_alert(false));
    for (path, status) in [
        ("/api/v1/alerts/MS99-999/csaf", 404),
        ("/api/v1/alerts/MS05-017/csaf?revision=7", 404),
        ("/api/v1/alerts/MS05-017/csaf?revision=0", 400),
    ] {
        let r = get(&site, path).await;
        assert_eq!(r.status, status, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
}

// ----------------------------------------------------------------- HTTP

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_answer_304() {
    let site = start().await;
    for path in [
        "/",
        "/alerts/",
        "/alerts/MS04-035/",
        "/api/v1/alerts",
        "/api/v1/alerts/MS04-035",
        "/api/v1/alerts/MS05-017/revisions",
        "/feed.atom",
        "/about/",
        "/api/v1/openapi.json",
    ] {
        let r = get(&site, path).await;
        assert_eq!(r.status, 200, "{path}");
        let etag = r.header("etag").expect("an ETag").to_string();
        assert!(
            r.header("cache-control").unwrap().contains("max-age"),
            "{path}"
        );
        let again = request(site.addr, "GET", path, &[("If-None-Match", &etag)]).await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let other = request(site.addr, "GET", path, &[("If-None-Match", "\"other\"")]).await;
        assert_eq!(other.status, 200, "{path}");
    }
    for path in [
        "/",
        "/alerts/MS04-035/",
        "/api/v1/alerts/MS04-035",
        "/feed.atom",
    ] {
        let r = get(&site, path).await;
        let lm = r
            .header("last-modified")
            .expect("Last-Modified")
            .to_string();
        assert!(lm.ends_with(" GMT"));
        let again = request(site.addr, "GET", path, &[("If-Modified-Since", &lm)]).await;
        assert_eq!(again.status, 304, "{path}");
        let older = request(
            site.addr,
            "GET",
            path,
            &[("If-Modified-Since", "Sat, 16 Oct 2004 00:00:00 GMT")],
        )
        .await;
        assert_eq!(older.status, 200, "{path}");
    }
    // HEAD answers the headers only.
    let head = request(site.addr, "HEAD", "/alerts/MS04-035/", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_compressed_when_asked() {
    let site = start().await;
    let plain = get(&site, "/alerts/MS04-035/").await;
    assert!(plain.header("content-encoding").is_none());
    let r = request(
        site.addr,
        "GET",
        "/alerts/MS04-035/",
        &[("Accept-Encoding", "gzip")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r
        .header("vary")
        .unwrap()
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, plain.body);
    assert!(r.body.len() < plain.body.len());
    let br = request(
        site.addr,
        "GET",
        "/api/v1/alerts",
        &[("Accept-Encoding", "br")],
    )
    .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_is_atom() {
    let site = start().await;
    let r = get(&site, "/feed.atom").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    let text = r.text();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let atom = "http://www.w3.org/2005/Atom";
    let feed = doc.root_element();
    assert!(feed.has_tag_name((atom, "feed")));
    let child = |n: roxmltree::Node<'_, '_>, name: &str| {
        n.children()
            .find(|c| c.has_tag_name((atom, name)))
            .unwrap_or_else(|| panic!("no <{name}>"))
            .text()
            .unwrap_or_default()
            .to_string()
    };
    assert!(child(feed, "id").starts_with("tag:"));
    assert!(!child(feed, "title").is_empty());
    chrono::DateTime::parse_from_rfc3339(&child(feed, "updated")).unwrap();
    let self_link = feed
        .children()
        .find(|c| c.has_tag_name((atom, "link")) && c.attribute("rel") == Some("self"))
        .expect("link rel=self");
    assert_eq!(
        self_link.attribute("href"),
        Some(format!("{}/feed.atom", site.config.base_url).as_str())
    );
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((atom, "entry")))
        .collect();
    assert_eq!(entries.len(), 6);
    let mut ids = BTreeSet::new();
    for e in &entries {
        let id = child(*e, "id");
        assert!(id.starts_with("tag:"), "{id}");
        assert!(ids.insert(id));
        assert!(!child(*e, "title").is_empty());
        chrono::DateTime::parse_from_rfc3339(&child(*e, "updated")).unwrap();
        assert!(!child(*e, "summary").is_empty());
        let author = e
            .children()
            .find(|c| c.has_tag_name((atom, "author")))
            .expect("author");
        assert!(author.children().any(|c| c.has_tag_name((atom, "name"))));
        let link = e
            .children()
            .find(|c| c.has_tag_name((atom, "link")) && c.attribute("rel") == Some("alternate"))
            .expect("link");
        assert!(link.attribute("href").unwrap().starts_with("http://"));
    }
    // The revision is the newest entry, and says what changed.
    let first = entries[0];
    assert!(child(first, "title").contains("MS05-017"));
    assert!(child(first, "title").contains("改訂 2"));
    assert!(child(first, "summary").contains("追加情報"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_the_server() {
    let site = start().await;
    let r = get(&site, "/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
        "/api/v1/alerts/{id}/revisions",
        "/api/v1/alerts/{id}/csaf",
        "/api/v1/products",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(p), "{p}");
    }
    assert_eq!(doc["components"]["schemas"]["Alert"]["type"], "object");
    let text = doc.to_string();
    assert!(!text.contains("#/$defs/"));

    // Every documented list parameter is accepted with a valid value and
    // refused, naming it, with a wrong one.
    let params = doc["paths"]["/api/v1/alerts"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert_eq!(params.len(), 11);
    for p in params {
        let name = p["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
        let def = &doc["components"]["parameters"][name];
        assert_eq!(def["name"], name);
        let schema = &def["schema"];
        let valid = match schema["type"].as_str().unwrap() {
            "integer" => schema["minimum"].to_string(),
            "boolean" => "true".into(),
            "string" => schema["enum"][0].as_str().unwrap_or("Windows").to_string(),
            other => panic!("{other}"),
        };
        let r = get(&site, &format!("/api/v1/alerts?{name}={valid}")).await;
        assert_eq!(r.status, 200, "{name}={valid}");
        if name != "product" {
            let r = get(&site, &format!("/api/v1/alerts?{name}=zz")).await;
            assert_eq!(r.status, 400, "{name}=zz");
            assert_eq!(r.json()["parameter"], name);
            if let Some(max) = schema["maximum"].as_i64() {
                let r = get(&site, &format!("/api/v1/alerts?{name}={}", max + 1)).await;
                assert_eq!(r.status, 400, "{name} above its maximum");
            }
        }
    }
}

// --------------------------------------------------------------- export

/// The file a site path is exported to.
fn file_of(path: &str) -> String {
    let p = path
        .split(['?', '#'])
        .next()
        .unwrap()
        .trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        format!("{p}index.html")
    } else {
        p.to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_is_what_the_server_serves() {
    let site = start().await;
    let out = tempfile::tempdir().unwrap();
    let summary = export_site(site.store.clone(), site.config.clone(), out.path())
        .await
        .unwrap();
    assert_eq!(summary.alerts, 6);
    assert_eq!(summary.revisions, 7);
    assert!(summary.skipped.is_empty());
    for (path, file) in [
        ("/", "index.html"),
        ("/alerts/", "alerts/index.html"),
        ("/alerts/MS04-035/", "alerts/MS04-035/index.html"),
        ("/alerts/MS05-017/", "alerts/MS05-017/index.html"),
        (
            "/alerts/MS05-017/revisions/1/",
            "alerts/MS05-017/revisions/1/index.html",
        ),
        (
            "/alerts/MS05-017/revisions/2/",
            "alerts/MS05-017/revisions/2/index.html",
        ),
        ("/about/", "about/index.html"),
        ("/subscribe/", "subscribe/index.html"),
        ("/feed.atom", "feed.atom"),
        ("/static/hfr.css", "static/hfr.css"),
        ("/static/favicon.svg", "static/favicon.svg"),
        ("/api/v1/openapi.json", "api/v1/openapi.json"),
        ("/api/v1/products", "api/v1/products.json"),
        ("/api/v1/alerts/MS04-035", "api/v1/alerts/MS04-035.json"),
        (
            "/api/v1/alerts/MS05-017/revisions",
            "api/v1/alerts/MS05-017/revisions.json",
        ),
        (
            "/api/v1/alerts/MS05-017/csaf",
            "api/v1/alerts/MS05-017/csaf.json",
        ),
        ("/api/v1/alerts?limit=6&offset=0", "api/v1/alerts.json"),
    ] {
        let served = get(&site, path).await;
        assert_eq!(served.status, 200, "{path}");
        let written = std::fs::read(out.path().join(file)).unwrap();
        assert!(written == served.body, "{file} differs from {path}");
    }
    // The mirror's error page is the server's.
    let missing = get(&site, "/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        std::fs::read(out.path().join("404.html")).unwrap(),
        missing.body
    );

    // Every link of every exported page leads to an exported file.
    let mut pages = Vec::new();
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                pages.push(p);
            }
        }
    }
    assert!(pages.len() >= 14);
    for page in pages {
        let html = std::fs::read_to_string(&page).unwrap();
        for href in html
            .split("href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
        {
            if !href.starts_with('/') {
                continue;
            }
            let target = out.path().join(file_of(href));
            assert!(
                target.is_file(),
                "{} links to {href}, not exported",
                page.display()
            );
        }
    }
}

// ---------------------------------------------------------------- errors

struct BrokenStore;

fn broken() -> hfr_store::StoreError {
    hfr_store::StoreError::Corrupt {
        id: "MS04-035".into(),
        revision: 1,
        reason: "secret internal detail".into(),
    }
}

#[async_trait::async_trait]
impl Store for BrokenStore {
    fn backend(&self) -> &'static str {
        "broken"
    }
    async fn import(
        &self,
        _: Vec<ImportItem>,
    ) -> Result<Vec<hfr_store::Outcome>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn get(&self, _: &str) -> Result<Option<hfr_store::StoredAlert>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn import_entries(
        &self,
        _: Vec<hfr_store::ImportEntry>,
    ) -> Result<Vec<hfr_store::EntryOutcome>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn release(
        &self,
        _: &str,
    ) -> Result<Option<hfr_store::StoredRelease>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn releases(&self) -> Result<Vec<hfr_store::StoredRelease>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn get_many(
        &self,
        _: &[String],
    ) -> Result<Vec<hfr_store::StoredAlert>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn get_revision(
        &self,
        _: &str,
        _: i64,
    ) -> Result<Option<hfr_store::StoredAlert>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn list(
        &self,
        _: &hfr_store::AlertFilter,
    ) -> Result<Vec<hfr_store::AlertSummary>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn count(&self, _: &hfr_store::AlertFilter) -> Result<u64, hfr_store::StoreError> {
        Err(broken())
    }
    async fn history(
        &self,
        _: &str,
    ) -> Result<Vec<hfr_store::RevisionInfo>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn source(&self, _: &str, _: i64) -> Result<Option<Source>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn products(&self) -> Result<Vec<(String, u64)>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn overview(&self) -> Result<hfr_store::ArchiveOverview, hfr_store::StoreError> {
        Err(broken())
    }
    async fn generation(&self) -> Result<hfr_store::Generation, hfr_store::StoreError> {
        Err(broken())
    }
    async fn published_revisions(&self, _: &str) -> Result<Vec<i64>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn setting_or_insert(&self, _: &str, _: &str) -> Result<String, hfr_store::StoreError> {
        Err(broken())
    }
    async fn setting(&self, _: &str) -> Result<Option<String>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn subscribers(
        &self,
        _: &[i64],
    ) -> Result<Vec<hfr_store::Subscriber>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn upsert_subscriber(
        &self,
        _: &str,
        _: &hfr_model::subscription::Preferences,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<hfr_store::Subscriber, hfr_store::StoreError> {
        Err(broken())
    }
    async fn subscriber(
        &self,
        _: i64,
    ) -> Result<Option<hfr_store::Subscriber>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn subscriber_by_address(
        &self,
        _: &str,
    ) -> Result<Option<hfr_store::Subscriber>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn confirm_subscriber(
        &self,
        _: i64,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, hfr_store::StoreError> {
        Err(broken())
    }
    async fn unsubscribe(
        &self,
        _: i64,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, hfr_store::StoreError> {
        Err(broken())
    }
    async fn set_preferences(
        &self,
        _: i64,
        _: &hfr_model::subscription::Preferences,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, hfr_store::StoreError> {
        Err(broken())
    }
    async fn rotate_token_nonce(&self, _: i64, _: &str) -> Result<bool, hfr_store::StoreError> {
        Err(broken())
    }
    async fn confirmed_subscribers(
        &self,
        _: i64,
        _: u32,
    ) -> Result<Vec<hfr_store::Subscriber>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn enqueue(&self, _: Vec<hfr_store::NewMessage>) -> Result<u64, hfr_store::StoreError> {
        Err(broken())
    }
    async fn claim_outbox(
        &self,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
        _: chrono::Duration,
        _: u32,
    ) -> Result<Vec<hfr_store::OutboxMessage>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn begin_publication(
        &self,
        _: &str,
        _: i64,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<hfr_store::PublicationStart, hfr_store::StoreError> {
        Err(broken())
    }
    async fn finish_publication(
        &self,
        _: &str,
        _: i64,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), hfr_store::StoreError> {
        Err(broken())
    }
    async fn publications_between(
        &self,
        _: chrono::DateTime<chrono::Utc>,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<hfr_store::PublicationRecord>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn record_outbox(
        &self,
        _: &str,
        _: &[hfr_store::OutboxMark],
    ) -> Result<Vec<bool>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn outbox_handed(&self, _: &str, _: &[i64]) -> Result<Vec<i64>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn outbox_claimers(&self) -> Result<Vec<String>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn release_claims(
        &self,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<hfr_store::Released, hfr_store::StoreError> {
        Err(broken())
    }
    async fn outbox_status(&self) -> Result<Vec<hfr_store::OutboxCount>, hfr_store::StoreError> {
        Err(broken())
    }
    async fn outbox_failures(
        &self,
        _: &str,
        _: u32,
    ) -> Result<Vec<(String, String, u32)>, hfr_store::StoreError> {
        Err(broken())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_archive_is_a_japanese_500_without_details() {
    let dir = tempfile::tempdir().unwrap();
    let site = start_with(Arc::new(BrokenStore), dir).await;
    for path in [
        "/",
        "/alerts/",
        "/alerts/MS04-035/",
        "/feed.atom",
        "/releases/",
        "/releases/2017-Mar/",
    ] {
        let r = get(&site, path).await;
        assert_eq!(r.status, 500, "{path}");
        let html = r.text();
        assert!(html.contains("サーバでエラーが発生しました"), "{path}");
        assert!(!html.contains("secret"), "{path}");
        assert!(!html.contains("MS04-035 revision"), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    assert_eq!(get(&site, "/api/v1/releases").await.status, 500);
    let r = get(&site, "/api/v1/alerts").await;
    assert_eq!(r.status, 500);
    let v = r.json();
    assert_eq!(v["status"], 500);
    assert!(!r.text().contains("secret"));
    // The subscription links need the archive (the token secret is kept there).
    let r = get(&site, "/unsubscribe/u.1.0.00112233445566778899aabbccddeeff").await;
    assert_eq!(r.status, 500);
    assert!(r.text().contains("サーバでエラーが発生しました"));
    assert!(!r.text().contains("secret"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    // Pages that need no archive still work.
    assert_eq!(get(&site, "/about/").await.status, 200);
    assert_eq!(get(&site, "/subscribe/").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_sets_the_front_page_length_and_the_link_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled_store(dir.path()).await;
    let site = start_configured(store, dir, |c| {
        c.base_url = format!("{}/mirror/", c.base_url);
        c.front_page_alerts = 2;
    })
    .await;
    // Behind a proxy that strips /mirror: routes stay at the root, links
    // and absolute URLs carry the prefix.
    let html = get(&site, "/").await.text();
    assert_eq!(html.matches("class=\"id\"><a href=").count(), 2);
    assert!(html.contains("href=\"/mirror/alerts/MS06-035/\""));
    assert!(html.contains("href=\"/mirror/static/hfr.css?v="));
    assert!(!html.contains("href=\"/alerts/"));
    let v = get(&site, "/api/v1/alerts").await.json();
    let url = v["items"][0]["url"].as_str().unwrap();
    assert!(url.ends_with("/mirror/alerts/MS06-035/"), "{url}");
    assert!(!url.contains("//alerts"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_pages_follow_the_archive_and_the_client_encodings() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled_store(dir.path()).await;
    let site = start_configured(store, dir, |c| {
        c.recheck = std::time::Duration::from_millis(50)
    })
    .await;
    let before = get(&site, "/alerts/MS04-035/").await;
    assert_eq!(before.status, 200);
    // Served twice from the cache: the same bytes, the same validator.
    let again = get(&site, "/alerts/MS04-035/").await;
    assert_eq!(again.body, before.body);
    assert_eq!(again.header("etag"), before.header("etag"));

    // Every encoding decodes to the same page; q=0 refuses one.
    let br = request(
        site.addr,
        "GET",
        "/alerts/MS04-035/",
        &[("Accept-Encoding", "gzip, br")],
    )
    .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut out = Vec::new();
    brotli::Decompressor::new(&br.body[..], 4096)
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, before.body);
    let gz = request(
        site.addr,
        "GET",
        "/alerts/MS04-035/",
        &[("Accept-Encoding", "br;q=0, gzip")],
    )
    .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let none = request(
        site.addr,
        "GET",
        "/alerts/MS04-035/",
        &[("Accept-Encoding", "br;q=0, gzip;q=0")],
    )
    .await;
    assert_eq!(none.header("content-encoding"), None);
    assert_eq!(none.body, before.body);

    // A new revision written behind the server's back shows once the
    // recheck interval has passed, on the page, the list and the feed.
    let mut a = fixtures().into_iter().find(|a| a.id == "MS04-035").unwrap();
    a.title = "キャッシュ越しに見える新しい題名".into();
    a.updated = a.updated.map(|d| d + chrono::Days::new(3));
    site.store.import(vec![item(a)]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    for path in [
        "/alerts/MS04-035/",
        "/",
        "/feed.atom",
        "/api/v1/alerts/MS04-035",
    ] {
        let r = get(&site, path).await;
        assert!(
            r.text().contains("キャッシュ越しに見える新しい題名"),
            "{path} still shows the old revision"
        );
    }
    let after = get(&site, "/alerts/MS04-035/").await;
    assert_ne!(after.header("etag"), before.header("etag"));
}
