//! One test suite, run against both back ends: a fresh SQLite file per test,
//! and a fresh PostgreSQL database per test when `HFR_TEST_POSTGRES_URL`
//! names a server (an admin URL; `scripts/postgres.sh start` prints one).
//!
//! Without that variable the PostgreSQL tests print a notice and pass, except
//! under CI (`CI=true`) or with `HFR_REQUIRE_POSTGRES=1`, where they fail.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hfr_model::*;
use hfr_store::{
    AlertFilter, DbLocation, ImportEntry, ImportItem, NewMessage, OutboxCount, OutboxMark,
    OutboxState, Outcome, PublicationStart, ReleaseImport, ReleaseOutcome, Released, Source,
    SourceKind, Store, StoreError, SubscriberState, TargetKind,
};
use sqlx::Connection;

// ---------------------------------------------------------------------------
// Back ends.

struct SqliteDb {
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn sqlite_db() -> SqliteDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hfr.sqlite");
    let store = hfr_store::open(&DbLocation::Sqlite(path))
        .await
        .expect("open SQLite");
    assert_eq!(store.backend(), "sqlite");
    SqliteDb { store, _dir: dir }
}

/// A database of its own on the test server, dropped when the test ends
/// (also when it fails).
struct PgDb {
    store: Arc<dyn Store>,
    admin_url: String,
    name: String,
}

fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("HFR_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The admin URL of the test server, or None (after a notice) when the
/// PostgreSQL tests are to be skipped.
fn postgres_admin_url() -> Option<String> {
    match std::env::var("HFR_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ if postgres_required() => panic!(
            "HFR_TEST_POSTGRES_URL is not set, but PostgreSQL tests are required here \
             (CI=true or HFR_REQUIRE_POSTGRES=1). Run the tests with scripts/test, or start a \
             server with `scripts/postgres.sh start` and set HFR_TEST_POSTGRES_URL to the URL \
             it prints."
        ),
        _ => {
            eprintln!(
                "notice: HFR_TEST_POSTGRES_URL is not set: skipping this PostgreSQL test \
                 (scripts/postgres.sh start prints a URL to use)"
            );
            None
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

static DB_SEQ: AtomicU32 = AtomicU32::new(0);

/// A new, empty database on the test server: its admin URL and name.
async fn create_pg_database() -> Option<(String, String)> {
    let admin_url = postgres_admin_url()?;
    let name = format!(
        "hfr_test_{}_{}_{}",
        std::process::id(),
        DB_SEQ.fetch_add(1, Ordering::SeqCst),
        Utc::now().timestamp_subsec_micros()
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to HFR_TEST_POSTGRES_URL: {e}"));
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .expect("create the test database");
    admin.close().await.ok();
    Some((admin_url, name))
}

async fn pg_db() -> Option<PgDb> {
    let (admin_url, name) = create_pg_database().await?;
    let store = hfr_store::open(&DbLocation::Postgres(with_database(&admin_url, &name)))
        .await
        .expect("open PostgreSQL");
    assert_eq!(store.backend(), "postgres");
    Some(PgDb {
        store,
        admin_url,
        name,
    })
}

/// Drops a test database, from any context (also while unwinding).
fn drop_pg_database(url: &str, db_name: &str) {
    let (url, name) = (url.to_string(), db_name.to_string());
    // Drop runs inside the test's runtime, possibly while unwinding: do
    // the async clean-up on a thread with a runtime of its own.
    let done = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut admin = sqlx::PgConnection::connect(&url).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .await?;
            admin.close().await
        })
    })
    .join();
    if let Ok(Err(e)) = done {
        eprintln!("warning: could not drop the test database {db_name}: {e}");
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        drop_pg_database(&self.admin_url, &self.name);
    }
}

/// A database made by a test itself (no store opened on it yet), dropped
/// when the test ends.
struct PgName {
    admin_url: String,
    name: String,
}

impl PgName {
    fn url(&self) -> String {
        with_database(&self.admin_url, &self.name)
    }
}

impl Drop for PgName {
    fn drop(&mut self) {
        drop_pg_database(&self.admin_url, &self.name);
    }
}

/// Runs each suite function against a fresh SQLite file (`sqlite::NAME`) and
/// a fresh PostgreSQL database (`postgres::NAME`).
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::sqlite_db().await;
                    super::$name(db.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = super::pg_db().await else { return };
                    super::$name(db.store.clone()).await;
                }
            )*
        }
    };
}

both_backends!(
    create_and_get_ignore_case,
    a_stream_of_entries_commits_at_its_end_or_not_at_all,
    a_rich_alert_round_trips_exactly,
    the_same_page_again_is_unchanged,
    a_changed_page_is_the_next_revision,
    an_older_page_is_stale_unless_forced,
    history_lists_every_revision_with_its_source,
    an_old_revision_can_be_read,
    the_overview_tells_size_freshness_and_years,
    the_generation_moves_with_every_write_and_only_then,
    an_id_may_change_case,
    list_is_newest_first,
    list_filters,
    list_pages_and_counts,
    products_are_counted_by_name,
    products_follow_the_current_revision,
    a_batch_with_an_invalid_alert_writes_nothing,
    invalid_ids_name_the_reason,
    a_batch_sees_its_own_writes,
    an_empty_batch_does_nothing,
    concurrent_imports_queue,
    // The mail side.
    a_subscriber_goes_through_every_state,
    bad_addresses_are_refused_and_nothing_is_stored,
    a_setting_keeps_its_first_value,
    a_revision_is_published_once,
    a_publication_with_a_bad_message_queues_nothing,
    enqueue_queues_a_message_once_per_recipient,
    concurrent_claims_never_share_a_row,
    an_expired_lease_is_taken_over,
    a_retry_waits_for_its_time,
    a_failed_row_is_never_claimed_again,
    the_status_counts_each_state,
    confirmed_subscribers_page_by_id,
    handed_rows_of_a_stopped_sender_count_as_sent,
    subscribers_are_read_by_the_batch,
    a_dead_senders_claims_are_released_at_once,
    marks_are_recorded_in_order_and_only_by_the_claimer,
    code_after_a_commit_runs_once_and_only_when_the_last_mark_applied,
    an_unfinished_publication_is_resumed,
    publications_of_a_week_say_which_are_first,
);

// ---------------------------------------------------------------------------
// Test data, built here (not from the seed pages).

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn alert(id: &str, updated: &str) -> Alert {
    Alert {
        id: id.into(),
        title: format!("Title of {id}"),
        updated: Some(d(updated)),
        ..Alert::default()
    }
}

fn source(name: &str) -> Source {
    Source {
        kind: SourceKind::Import,
        name: name.into(),
        format: "hotfix-text".into(),
        sha256: Some(format!("{:0>64}", name.len())),
        text: Some(format!("the page {name}")),
    }
}

fn item(alert: Alert) -> ImportItem {
    let name = format!("{}.txt", alert.id.to_lowercase());
    ImportItem {
        alert,
        source: source(&name),
        force: false,
    }
}

async fn import_one(store: &dyn Store, alert: Alert) -> Outcome {
    let mut out = store.import(vec![item(alert)]).await.expect("import");
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn pfile(name: &str, version: &str) -> PackageFile {
    PackageFile {
        branch: Some("SP1QFE".into()),
        path: "%SystemRoot%\\system32\\".into(),
        name: name.into(),
        date: Some(d("2004-10-01")),
        version: Some(version.into()),
        size: Some(1_234_567),
        description: Some("SMTP Service".into()),
    }
}

/// An alert with every section filled.
fn rich_alert(id: &str) -> Alert {
    Alert {
        id: id.into(),
        kbs: vec!["885881".into(), "890097".into()],
        edition: Some(d("2004-11-10")),
        registered: Some(d("2004-11-10")),
        updated: Some(d("2004-11-24")),
        severity: Some(Severity::Critical),
        exploit_code: Some(true),
        action: Some(Action::ApplyNow),
        reboot: vec![
            Reboot {
                product: Some("Exchange Server 2003".into()),
                required: RebootRequired::Conditional,
                note: Some("サービスが停止できない場合は必要".into()),
            },
            Reboot {
                product: None,
                required: RebootRequired::Yes,
                note: None,
            },
        ],
        uninstall: Some(false),
        target: Some(Target {
            server: true,
            client: false,
        }),
        references: vec![Reference {
            kind: ReferenceKind::Bulletin,
            label: id.into(),
            locale: Some("ja".into()),
            url: Some("https://example.invalid/ms04-039".into()),
            note: Some("日本語".into()),
        }],
        supersedes: vec![Supersedes {
            id: "MS03-001".into(),
            scope: Some("Windows 2000を除く".into()),
        }],
        title: "ISA Server 2000 の脆弱性により、なりすましが行われる".into(),
        vendor_title: Some("Vulnerability in ISA Server 2000 (888258)".into()),
        urgency: Some(Urgency {
            text: "適用作業の至急開始".into(),
            exploit_published: Some(true),
            attacks_seen: Some(false),
        }),
        risk: Some("一行目\n二行目\n\n次の段落 with \"quotes\" and \\ backslash".into()),
        attack_vectors: Some(vec![AttackVector::Remote, AttackVector::WebLure]),
        impacts: Some(vec![Impact::Spoofing, Impact::CodeExecution]),
        summary: Some("概要".into()),
        vulnerabilities: vec![Vulnerability {
            title: "Spoofing vulnerability".into(),
            severity: Some(Severity::Important),
            cve: Some("CAN-2004-0892".into()),
            text: "text".into(),
        }],
        affected: vec![
            Affected {
                software: "ISA Server 2000".into(),
                platforms: "SP1/SP2".into(),
            },
            Affected {
                software: "Proxy Server 2.0".into(),
                platforms: "SP1".into(),
            },
        ],
        lab_tests: vec![
            LabTest {
                platform: "Windows 2000 SP4".into(),
                result: Some(LabResult::Passed),
                note: None,
            },
            LabTest {
                platform: "Windows 2000 SP3".into(),
                result: None,
                note: Some("*1 mark lost".into()),
            },
        ],
        lab_notes: vec![Note {
            title: "■ 注意".into(),
            text: "再起動が必要".into(),
        }],
        details: Some("詳細".into()),
        downloads: vec![Download {
            platform: "ISA Server 2000".into(),
            update_name: Some("ISA Server 2000 用更新プログラム (KB888258)".into()),
            note: Some("未対応".into()),
            channel: Some("Windows Update/SUS".into()),
        }],
        packages: vec![Package {
            platform: Some("ISA Server 2000 SP1/SP2".into()),
            file: "ISA2000-KB888258-X86-JPN.exe".into(),
            date: Some(d("2004-11-01")),
            version: Some("3.0.1200.408".into()),
            size: Some(987_654),
            files: vec![
                pfile("w3proxy.exe", "3.0.1200.408"),
                pfile("wspsrv.exe", "3.0.1200.408"),
            ],
            reference_files: vec![FileList {
                title: "original files".into(),
                files: vec![pfile("w3proxy.exe", "3.0.1200.365")],
            }],
        }],
        verification: vec![
            Verification {
                platforms: "Windows 2000 SP3/SP4".into(),
                registry_key: "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\KB888258".into(),
                check: VerificationCheck::Value {
                    name: "Installed".into(),
                    data: "1".into(),
                },
            },
            Verification {
                platforms: "Windows XP".into(),
                registry_key: "HKLM\\X".into(),
                check: VerificationCheck::FileList,
            },
            Verification {
                platforms: "Windows 2003".into(),
                registry_key: "HKLM\\Y".into(),
                check: VerificationCheck::Other {
                    text: "something else".into(),
                },
            },
        ],
        workarounds: vec![Workaround {
            title: Some("ポートを閉じる".into()),
            text: "TCP 80".into(),
        }],
        rollout: vec![Rollout {
            package: "ISA2000-KB888258-X86-JPN.exe".into(),
            platform: Some("ISA Server 2000".into()),
            minutes: BTreeMap::from([(50, 34), (100, 43), (250, 68), (500, 110)]),
        }],
        rollout_basis: Some("UpdateEXPERT, 2 consoles".into()),
        tool_display: vec![ToolDisplay {
            platform: Some("ISA Server 2000".into()),
            text: "MS04-039 ISA".into(),
        }],
        additions: vec![Addition {
            title: "再リリース".into(),
            source: Some("Microsoft".into()),
            content: Some("package re-released".into()),
            condition: Some("SP2 only".into()),
            reported: Some(d("2004-11-24")),
            text: "追加".into(),
            packages: vec![Package {
                platform: None,
                file: "isa2000-kb888258-x86-jpn.EXE".into(),
                date: None,
                version: Some("2".into()),
                size: None,
                files: vec![],
                reference_files: vec![],
            }],
        }],
        notes: vec![Note {
            title: "その他".into(),
            text: "unmodelled".into(),
        }],
        // The vendor-data sections; the product is named like an affected
        // one so the alert's product list stays the same.
        release: Some("2004-Nov".into()),
        exploit_status: Some(ExploitStatus {
            publicly_disclosed: Some(false),
            exploited: Some(true),
            latest_release: Some(Exploitability::Detected),
            older_release: None,
            dos: Some("N/A".into()),
            text: "Publicly Disclosed:No;Exploited:Yes;Latest Software Release:Exploitation Detected;DOS:N/A".into(),
        }),
        action_rule: Some(ActionRule::Analyst),
        products: vec![ProductFacts {
            id: "10001".into(),
            name: "ISA Server 2000".into(),
            family: Some("Server Software".into()),
            severity: Some(Severity::Critical),
            vendor_severity: Some("Critical".into()),
            impact: Some(Impact::Spoofing),
            vendor_impact: Some("Spoofing".into()),
            cvss: Some(Cvss {
                base: Some(8.1),
                temporal: Some(7.3),
                environmental: None,
                vector: Some("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
            }),
            remediations: vec![Remediation {
                kind: RemediationKind::VendorFix,
                kb: Some("888258".into()),
                description: None,
                url: Some("https://example.invalid/kb888258".into()),
                fixed_build: Some("3.0.1200.408".into()),
                restart_required: Some(RestartRequired::Maybe),
                supersedence: Some("MS03-001, 810000".into()),
                supersedes: vec!["MS03-001".into(), "KB810000".into()],
                sub_type: Some("Security Update".into()),
                affected_files: vec![],
            }],
        }],
        tags: vec!["ISA Server".into()],
        acknowledgments: vec![Acknowledgment {
            names: vec!["A. Finder".into()],
            organizations: vec![],
            urls: vec!["https://example.invalid/finder".into()],
            description: None,
        }],
        vendor_revisions: vec![VendorRevision {
            number: "1.0".into(),
            date: Some(DateTime::<Utc>::from_timestamp(1_100_044_800, 0).expect("a date")),
            description: "Information published.".into(),
        }],
    }
}

fn ids(list: &[hfr_store::AlertSummary]) -> Vec<&str> {
    list.iter().map(|s| s.id.as_str()).collect()
}

fn paths(changes: &[hfr_model::diff::Change]) -> Vec<&str> {
    changes.iter().map(|c| c.path.as_str()).collect()
}

// ---------------------------------------------------------------------------
// The suite.

async fn a_stream_of_entries_commits_at_its_end_or_not_at_all(store: Arc<dyn Store>) {
    use hfr_store::ImportEntry;
    let entry = |id: &str| ImportEntry::Alert(item(alert(id, "2004-10-13")));
    // Given up after one entry was written: nothing stays.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(Ok(entry("MS04-035"))).await.unwrap();
    tx.send(Err("page2.txt could not be read".to_string()))
        .await
        .unwrap();
    drop(tx);
    let err = store.import_entry_stream(rx).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::ImportAborted(m) if m == "page2.txt could not be read"),
        "{err}"
    );
    assert!(err
        .to_string()
        .ends_with("nothing from this import was written"));
    assert!(store.get("MS04-035").await.unwrap().is_none());
    // Entries sent while the store is already writing: all of them, in order.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let sending = tokio::spawn(async move {
        for id in ["MS04-035", "MS04-039", "MS04-045"] {
            tx.send(Ok(entry(id))).await.unwrap();
        }
    });
    let outcomes = store.import_entry_stream(rx).await.unwrap();
    sending.await.unwrap();
    let ids: Vec<&str> = outcomes
        .iter()
        .flat_map(|o| o.alerts())
        .map(|o| o.id())
        .collect();
    assert_eq!(ids, ["MS04-035", "MS04-039", "MS04-045"]);
    assert!(store.get("MS04-045").await.unwrap().is_some());
}

async fn create_and_get_ignore_case(store: Arc<dyn Store>) {
    let a = alert("MS04-039", "2004-11-11");
    let out = import_one(&*store, a.clone()).await;
    assert_eq!(
        out,
        Outcome::Created {
            id: "MS04-039".into(),
            revision: 1
        }
    );
    for spelling in ["MS04-039", "ms04-039", "Ms04-039"] {
        let got = store.get(spelling).await.unwrap().expect("found");
        assert_eq!(got.alert, a);
        assert_eq!(got.revision, 1);
        assert_eq!(got.created_at, got.recorded_at);
        assert!(got.recorded_at <= Utc::now());
    }
    assert!(store.get("MS04-040").await.unwrap().is_none());
    assert!(store.get("").await.unwrap().is_none());
}

async fn a_rich_alert_round_trips_exactly(store: Arc<dyn Store>) {
    let a = rich_alert("MS04-039");
    import_one(&*store, a.clone()).await;
    let got = store.get("ms04-039").await.unwrap().expect("found");
    assert_eq!(got.alert, a);
    assert_eq!(
        serde_json::to_string(&got.alert).unwrap(),
        serde_json::to_string(&a).unwrap()
    );
    let rev = store
        .get_revision("MS04-039", 1)
        .await
        .unwrap()
        .expect("revision 1");
    assert_eq!(rev, got);
    // The listing shows the header facts.
    let list = store.list(&AlertFilter::default()).await.unwrap();
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(s.id, "MS04-039");
    assert_eq!(s.revision, 1);
    assert_eq!(s.edition, Some(d("2004-11-10")));
    assert_eq!(s.updated, Some(d("2004-11-24")));
    assert_eq!(s.severity, Some(Severity::Critical));
    assert_eq!(s.exploit_code, Some(true));
    assert_eq!(s.action, Some(Action::ApplyNow));
    assert_eq!(s.title, a.title);
    assert_eq!(s.target_server, Some(true));
    assert_eq!(s.target_client, Some(false));
    assert_eq!(s.recorded_at, got.recorded_at);
}

async fn the_same_page_again_is_unchanged(store: Arc<dyn Store>) {
    let a = rich_alert("MS04-039");
    import_one(&*store, a.clone()).await;
    let before = store.get("MS04-039").await.unwrap().unwrap();
    let out = import_one(&*store, a.clone()).await;
    assert_eq!(
        out,
        Outcome::Unchanged {
            id: "MS04-039".into(),
            revision: 1
        }
    );
    assert_eq!(store.history("MS04-039").await.unwrap().len(), 1);
    assert_eq!(store.get("MS04-039").await.unwrap().unwrap(), before);
}

async fn a_changed_page_is_the_next_revision(store: Arc<dyn Store>) {
    let a = alert("MS04-039", "2004-11-11");
    import_one(&*store, a.clone()).await;
    let first = store.get("MS04-039").await.unwrap().unwrap();

    // A later page keeps its own 更新日.
    let mut b = alert("MS04-039", "2004-11-24");
    b.kbs.push("890097".into());
    let out = import_one(&*store, b.clone()).await;
    match &out {
        Outcome::Revised {
            id,
            revision,
            changes,
        } => {
            assert_eq!(id, "MS04-039");
            assert_eq!(*revision, 2);
            assert_eq!(paths(changes), vec!["kbs[0]", "updated"]);
            assert_eq!(changes[1].before, serde_json::json!("2004-11-11"));
            assert_eq!(changes[1].after, serde_json::json!("2004-11-24"));
        }
        other => panic!("expected a revision, got {other:?}"),
    }
    let second = store.get("MS04-039").await.unwrap().unwrap();
    assert_eq!(second.revision, 2);
    assert_eq!(second.alert, b);
    assert_eq!(second.created_at, first.created_at);
    assert!(second.recorded_at >= first.recorded_at);

    // An edit that does not move 更新日: it moves to today.
    let mut c = b.clone();
    c.severity = Some(Severity::Critical);
    let out = store
        .import(vec![ImportItem {
            alert: c,
            source: Source {
                kind: SourceKind::Edit,
                name: "analyst".into(),
                format: "json".into(),
                sha256: None,
                text: None,
            },
            force: false,
        }])
        .await
        .unwrap();
    let today = Utc::now().date_naive();
    match &out[0] {
        Outcome::Revised {
            revision, changes, ..
        } => {
            assert_eq!(*revision, 3);
            assert_eq!(paths(changes), vec!["updated", "severity"]);
        }
        other => panic!("expected a revision, got {other:?}"),
    }
    let third = store.get("MS04-039").await.unwrap().unwrap();
    assert_eq!(third.revision, 3);
    assert_eq!(third.alert.updated, Some(today));
    assert_eq!(third.alert.severity, Some(Severity::Critical));
    let list = store.list(&AlertFilter::default()).await.unwrap();
    assert_eq!(list[0].revision, 3);
    assert_eq!(list[0].updated, Some(today));
}

async fn an_older_page_is_stale_unless_forced(store: Arc<dyn Store>) {
    let newer = alert("MS04-039", "2004-11-24");
    import_one(&*store, newer.clone()).await;
    let mut older = alert("MS04-039", "2004-11-11");
    older.title = "the old title".into();

    let out = import_one(&*store, older.clone()).await;
    assert_eq!(
        out,
        Outcome::Stale {
            id: "MS04-039".into(),
            revision: 1,
            current_updated: Some(d("2004-11-24")),
            incoming_updated: Some(d("2004-11-11")),
        }
    );
    assert_eq!(store.history("MS04-039").await.unwrap().len(), 1);
    assert_eq!(store.get("MS04-039").await.unwrap().unwrap().alert, newer);

    let mut forced = item(older);
    forced.force = true;
    let out = store.import(vec![forced]).await.unwrap();
    match &out[0] {
        Outcome::Revised {
            revision, changes, ..
        } => {
            assert_eq!(*revision, 2);
            assert!(paths(changes).contains(&"title"));
        }
        other => panic!("expected a forced revision, got {other:?}"),
    }
    let got = store.get("MS04-039").await.unwrap().unwrap();
    assert_eq!(got.revision, 2);
    assert_eq!(got.alert.title, "the old title");
    assert_eq!(store.history("MS04-039").await.unwrap().len(), 2);
}

async fn history_lists_every_revision_with_its_source(store: Arc<dyn Store>) {
    let a = alert("MS04-039", "2004-11-11");
    let page = Source {
        kind: SourceKind::Import,
        name: "pages/ms04-039.txt".into(),
        format: "hotfix-text".into(),
        sha256: Some("ab".repeat(32)),
        text: Some("HotFix Alert:2004/11/11日版\n本文 ✓".into()),
    };
    store
        .import(vec![ImportItem {
            alert: a.clone(),
            source: page.clone(),
            force: false,
        }])
        .await
        .unwrap();
    let mut b = alert("MS04-039", "2004-12-01");
    b.summary = Some("new summary".into());
    let edit = Source {
        kind: SourceKind::Edit,
        name: "analyst".into(),
        format: "json".into(),
        sha256: None,
        text: None,
    };
    store
        .import(vec![ImportItem {
            alert: b,
            source: edit.clone(),
            force: false,
        }])
        .await
        .unwrap();

    let history = store.history("ms04-039").await.unwrap();
    assert_eq!(history.len(), 2);
    let (h1, h2) = (&history[0], &history[1]);
    assert_eq!((h1.id.as_str(), h1.revision), ("MS04-039", 1));
    assert_eq!((h2.id.as_str(), h2.revision), ("MS04-039", 2));
    assert_eq!(h1.updated, Some(d("2004-11-11")));
    assert_eq!(h2.updated, Some(d("2004-12-01")));
    assert!(h1.recorded_at <= h2.recorded_at);
    assert!(h1.changes.is_empty());
    assert_eq!(paths(&h2.changes), vec!["updated", "summary"]);
    // History carries provenance but not the document text.
    assert_eq!(
        h1.source,
        Source {
            text: None,
            ..page.clone()
        }
    );
    assert_eq!(h2.source, edit);

    assert_eq!(store.source("MS04-039", 1).await.unwrap(), Some(page));
    assert_eq!(store.source("ms04-039", 2).await.unwrap(), Some(edit));
    assert_eq!(store.source("MS04-039", 3).await.unwrap(), None);
    assert_eq!(store.source("MS99-999", 1).await.unwrap(), None);
    assert!(store.history("MS99-999").await.unwrap().is_empty());
}

async fn the_overview_tells_size_freshness_and_years(store: Arc<dyn Store>) {
    assert_eq!(
        store.overview().await.unwrap(),
        hfr_store::ArchiveOverview::default()
    );
    let mut a = alert("MS04-035", "2004-10-16");
    a.edition = Some(d("2004-10-16"));
    let mut b = alert("MS06-035", "2006-07-12");
    b.registered = Some(d("2006-07-12"));
    let c = alert("MS05-017", "2005-04-13");
    let mut undated = alert("MS05-018", "2005-01-01");
    undated.updated = None;
    for x in [a, b, c, undated] {
        import_one(&*store, x).await;
    }
    let o = store.overview().await.unwrap();
    assert_eq!(o.alerts, 4);
    assert_eq!(o.years, vec![2006, 2005, 2004]);
    let newest = store
        .list(&AlertFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|s| s.recorded_at)
        .max();
    assert_eq!(o.last_change, newest);
    // Every year listed finds its alerts with the year filter.
    for y in o.years {
        let f = AlertFilter {
            year: Some(y),
            ..Default::default()
        };
        assert_eq!(store.count(&f).await.unwrap(), 1, "{y}");
    }
}

async fn the_generation_moves_with_every_write_and_only_then(store: Arc<dyn Store>) {
    let empty = store.generation().await.unwrap();
    assert_eq!(empty.revisions, 0);
    assert_eq!(empty.last, None);
    let a = alert("MS04-035", "2004-10-16");
    import_one(&*store, a.clone()).await;
    let one = store.generation().await.unwrap();
    assert_eq!(one.revisions, 1);
    assert_ne!(one, empty);
    // Nothing written, nothing moved: an unchanged re-import, and reads.
    import_one(&*store, a.clone()).await;
    store.list(&AlertFilter::default()).await.unwrap();
    assert_eq!(store.generation().await.unwrap(), one);
    // A revision of an alert already there moves it, though the number of
    // alerts stays the same.
    let mut b = a;
    b.title = "changed".into();
    b.updated = Some(d("2004-10-20"));
    import_one(&*store, b).await;
    let two = store.generation().await.unwrap();
    assert_eq!(two.revisions, 2);
    assert_ne!(two, one);
    // A failed batch leaves it where it was.
    assert!(store
        .import(vec![item(alert("", "2005-01-01"))])
        .await
        .is_err());
    assert_eq!(store.generation().await.unwrap(), two);
}

async fn an_old_revision_can_be_read(store: Arc<dyn Store>) {
    let a = rich_alert("MS04-039");
    import_one(&*store, a.clone()).await;
    let mut b = a.clone();
    b.updated = Some(d("2005-01-01"));
    b.packages[0].files[0].version = Some("3.0.1200.409".into());
    import_one(&*store, b.clone()).await;

    let r1 = store.get_revision("ms04-039", 1).await.unwrap().unwrap();
    let r2 = store.get_revision("MS04-039", 2).await.unwrap().unwrap();
    let current = store.get("MS04-039").await.unwrap().unwrap();
    assert_eq!(r1.alert, a);
    assert_eq!(r1.revision, 1);
    assert_eq!(r2.alert, b);
    assert_eq!(r2, current);
    assert_eq!(r1.created_at, r2.created_at);
    // The current revision's JSON is kept once, in the alert's row; a
    // third revision moves the second's into its revision row.
    let mut c = b.clone();
    c.updated = Some(d("2005-02-01"));
    c.title = "third".into();
    import_one(&*store, c.clone()).await;
    for (rev, want) in [(1, &a), (2, &b), (3, &c)] {
        let r = store.get_revision("MS04-039", rev).await.unwrap().unwrap();
        assert_eq!(&r.alert, want, "revision {rev}");
    }
    assert_eq!(store.get("MS04-039").await.unwrap().unwrap().alert, c);
    assert!(store.get_revision("MS04-039", 4).await.unwrap().is_none());
    assert!(store.get_revision("MS04-039", 0).await.unwrap().is_none());
    assert!(store.get_revision("MS99-999", 1).await.unwrap().is_none());
}

async fn an_id_may_change_case(store: Arc<dyn Store>) {
    let a = alert("ms05-010", "2005-02-08");
    import_one(&*store, a.clone()).await;
    let mut b = a.clone();
    b.id = "MS05-010".into();
    b.updated = Some(d("2005-02-09"));
    let out = import_one(&*store, b.clone()).await;
    match &out {
        Outcome::Revised {
            id,
            revision,
            changes,
        } => {
            assert_eq!((id.as_str(), *revision), ("MS05-010", 2));
            assert_eq!(paths(changes), vec!["id", "updated"]);
        }
        other => panic!("expected a revision, got {other:?}"),
    }
    assert_eq!(store.get("ms05-010").await.unwrap().unwrap().alert, b);
    assert_eq!(
        store
            .get_revision("MS05-010", 1)
            .await
            .unwrap()
            .unwrap()
            .alert,
        a
    );
    let history = store.history("MS05-010").await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|h| h.id == "MS05-010"));
    assert_eq!(
        ids(&store.list(&AlertFilter::default()).await.unwrap()),
        vec!["MS05-010"]
    );
}

/// Five alerts that differ in everything the listing filters on.
async fn load_archive(store: &dyn Store) {
    let aff = |names: &[&str]| -> Vec<Affected> {
        names
            .iter()
            .map(|n| Affected {
                software: (*n).into(),
                platforms: "all".into(),
            })
            .collect()
    };
    let mut a = alert("MS05-001", "2005-01-12");
    a.edition = Some(d("2005-01-12"));
    a.severity = Some(Severity::Critical);
    a.exploit_code = Some(true);
    a.action = Some(Action::ApplyNow);
    a.target = Some(Target {
        server: true,
        client: true,
    });
    a.affected = aff(&["Internet Explorer 6", "Windows XP"]);

    let mut b = alert("MS05-002", "2005-01-12");
    b.edition = Some(d("2005-01-12"));
    b.registered = Some(d("2004-12-31"));
    b.severity = Some(Severity::Important);
    b.exploit_code = Some(false);
    b.action = Some(Action::ApplySoon);
    b.target = Some(Target {
        server: true,
        client: false,
    });
    b.affected = aff(&["Windows Server 2003"]);
    b.reboot = vec![Reboot {
        product: Some("Windows XP".into()),
        required: RebootRequired::Yes,
        note: None,
    }];

    let mut c = alert("MS04-045", "2004-12-15");
    c.edition = Some(d("2004-12-15"));
    c.severity = Some(Severity::Moderate);
    c.action = Some(Action::WaitForSp);
    c.target = Some(Target {
        server: false,
        client: true,
    });
    c.affected = aff(&["WINS"]);

    // No edition: the registration date places it.
    let mut dd = alert("MS04-044", "2004-12-20");
    dd.registered = Some(d("2004-12-20"));
    dd.severity = Some(Severity::Low);
    dd.affected = aff(&["Windows_2000 100%"]);

    // No date at all: last.
    let mut e = alert("MS03-001", "2003-01-01");
    e.updated = None;

    // One batch, in no particular order.
    let out = store
        .import(vec![item(c), item(e), item(a), item(dd), item(b)])
        .await
        .unwrap();
    assert!(out.iter().all(|o| matches!(o, Outcome::Created { .. })));
}

async fn list_is_newest_first(store: Arc<dyn Store>) {
    load_archive(&*store).await;
    let all = store.list(&AlertFilter::default()).await.unwrap();
    assert_eq!(
        ids(&all),
        vec!["MS05-001", "MS05-002", "MS04-044", "MS04-045", "MS03-001"]
    );
    assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 5);
}

/// A filter made by `edit` from the default one.
fn filter(edit: impl FnOnce(&mut AlertFilter)) -> AlertFilter {
    let mut f = AlertFilter::default();
    edit(&mut f);
    f
}

async fn list_filters(store: Arc<dyn Store>) {
    load_archive(&*store).await;
    let (a, b, c, dd) = ("MS05-001", "MS05-002", "MS04-045", "MS04-044");
    let product = |p: &str| {
        let p = p.to_string();
        filter(|f| f.product = Some(p))
    };
    let cases: Vec<(AlertFilter, Vec<&str>)> = vec![
        (
            filter(|f| f.min_severity = Some(Severity::Critical)),
            vec![a],
        ),
        (
            filter(|f| f.min_severity = Some(Severity::Important)),
            vec![a, b],
        ),
        (
            filter(|f| f.min_severity = Some(Severity::Low)),
            vec![a, b, dd, c],
        ),
        (filter(|f| f.action = Some(Action::ApplySoon)), vec![b]),
        (filter(|f| f.action = Some(Action::WaitForSp)), vec![c]),
        (filter(|f| f.exploit_code = Some(true)), vec![a]),
        (filter(|f| f.exploit_code = Some(false)), vec![b]),
        (filter(|f| f.target = Some(TargetKind::Server)), vec![a, b]),
        (filter(|f| f.target = Some(TargetKind::Client)), vec![a, c]),
        // Products: case-insensitive substring of any product name.
        (product("windows"), vec![a, b, dd]),
        (product("INTERNET EXPLORER 6"), vec![a]),
        // MS05-002 names it in a reboot row.
        (product("windows xp"), vec![a, b]),
        // `_` and `%` are literal, not wildcards.
        (product("s_"), vec![dd]),
        (product("100%"), vec![dd]),
        (product("%"), vec![dd]),
        (product("Exchange"), vec![]),
        // Dates: the edition, else the registration date.
        (filter(|f| f.year = Some(2005)), vec![a, b]),
        (filter(|f| f.year = Some(2004)), vec![dd, c]),
        (
            filter(|f| (f.year, f.month) = (Some(2004), Some(12))),
            vec![dd, c],
        ),
        (
            filter(|f| (f.year, f.month) = (Some(2005), Some(1))),
            vec![a, b],
        ),
        (
            filter(|f| (f.year, f.month) = (Some(2004), Some(11))),
            vec![],
        ),
        (
            filter(|f| (f.year, f.month) = (Some(2004), Some(13))),
            vec![],
        ),
        (filter(|f| f.month = Some(12)), vec![dd, c]),
        // Filters combine.
        (
            filter(|f| {
                f.year = Some(2005);
                f.target = Some(TargetKind::Client);
                f.product = Some("explorer".into());
                f.min_severity = Some(Severity::Critical);
                f.action = Some(Action::ApplyNow);
                f.exploit_code = Some(true);
            }),
            vec![a],
        ),
        (
            filter(|f| {
                f.year = Some(2005);
                f.target = Some(TargetKind::Client);
                f.min_severity = Some(Severity::Important);
                f.exploit_code = Some(false);
            }),
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        let list = store.list(&filter).await.unwrap();
        assert_eq!(ids(&list), expected, "list {filter:?}");
        let n = store.count(&filter).await.unwrap();
        assert_eq!(n, expected.len() as u64, "count {filter:?}");
    }
}

async fn list_pages_and_counts(store: Arc<dyn Store>) {
    load_archive(&*store).await;
    let page = |limit: Option<u32>, offset: Option<u32>| AlertFilter {
        limit,
        offset,
        ..Default::default()
    };
    let cases: Vec<(AlertFilter, Vec<&str>)> = vec![
        (page(Some(2), None), vec!["MS05-001", "MS05-002"]),
        (page(Some(2), Some(2)), vec!["MS04-044", "MS04-045"]),
        (page(Some(2), Some(4)), vec!["MS03-001"]),
        (page(Some(2), Some(5)), vec![]),
        (page(None, Some(3)), vec!["MS04-045", "MS03-001"]),
        (page(Some(0), None), vec![]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            ids(&store.list(&filter).await.unwrap()),
            expected,
            "{filter:?}"
        );
        // count ignores paging
        assert_eq!(store.count(&filter).await.unwrap(), 5, "{filter:?}");
    }
    let windows = AlertFilter {
        product: Some("windows".into()),
        limit: Some(1),
        offset: Some(1),
        ..Default::default()
    };
    assert_eq!(ids(&store.list(&windows).await.unwrap()), vec!["MS05-002"]);
    assert_eq!(store.count(&windows).await.unwrap(), 3);
}

async fn products_are_counted_by_name(store: Arc<dyn Store>) {
    assert!(store.products().await.unwrap().is_empty());
    load_archive(&*store).await;
    let products = store.products().await.unwrap();
    assert_eq!(
        products,
        vec![
            ("Internet Explorer 6".to_string(), 1),
            ("WINS".to_string(), 1),
            ("Windows Server 2003".to_string(), 1),
            ("Windows XP".to_string(), 2),
            ("Windows_2000 100%".to_string(), 1),
        ]
    );
}

async fn products_follow_the_current_revision(store: Arc<dyn Store>) {
    let mut a = alert("MS05-001", "2005-01-12");
    a.affected = vec![Affected {
        software: "Internet Explorer 6".into(),
        platforms: "all".into(),
    }];
    import_one(&*store, a.clone()).await;
    a.affected[0].software = "Internet Explorer 7".into();
    a.updated = Some(d("2005-02-01"));
    import_one(&*store, a).await;
    assert_eq!(
        store.products().await.unwrap(),
        vec![("Internet Explorer 7".to_string(), 1)]
    );
    let f = AlertFilter {
        product: Some("explorer 6".into()),
        ..Default::default()
    };
    assert!(store.list(&f).await.unwrap().is_empty());
}

async fn a_batch_with_an_invalid_alert_writes_nothing(store: Arc<dyn Store>) {
    let x = alert("MS05-001", "2005-01-12");
    import_one(&*store, x.clone()).await;
    let before_list = store.list(&AlertFilter::default()).await.unwrap();
    let before_products = store.products().await.unwrap();

    let mut x2 = x.clone();
    x2.updated = Some(d("2005-02-01"));
    x2.affected = vec![Affected {
        software: "Windows XP".into(),
        platforms: "SP2".into(),
    }];
    let z = alert("MS05-002", "2005-01-12");
    for bad_id in ["MS05 003", "", "MS05-003\t", &"X".repeat(65)] {
        let bad = alert(bad_id, "2005-01-12");
        // The 1st item revises an alert, the 2nd is invalid, the 3rd is new.
        let err = store
            .import(vec![item(x2.clone()), item(bad), item(z.clone())])
            .await
            .expect_err("an invalid id must fail the batch");
        match &err {
            StoreError::InvalidAlert { id, reason } => {
                assert_eq!(id, bad_id);
                assert!(!reason.is_empty());
            }
            other => panic!("expected InvalidAlert, got {other:?}"),
        }
        assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 1);
        assert_eq!(
            store.list(&AlertFilter::default()).await.unwrap(),
            before_list
        );
        assert_eq!(store.products().await.unwrap(), before_products);
        assert_eq!(store.history("MS05-001").await.unwrap().len(), 1);
        assert!(store.get("MS05-002").await.unwrap().is_none());
        assert!(store.history("MS05-002").await.unwrap().is_empty());
        assert_eq!(store.get("MS05-001").await.unwrap().unwrap().alert, x);
    }
    // The same batch without the invalid item goes in.
    let out = store.import(vec![item(x2), item(z)]).await.unwrap();
    assert!(matches!(out[0], Outcome::Revised { revision: 2, .. }));
    assert!(matches!(out[1], Outcome::Created { revision: 1, .. }));
}

async fn invalid_ids_name_the_reason(store: Arc<dyn Store>) {
    let too_long = "A".repeat(65);
    let cases = [
        ("", "empty"),
        ("MS05 001", "whitespace"),
        ("MS05-001\u{7}", "control"),
        (too_long.as_str(), "64"),
    ];
    for (id, word) in cases {
        let err = store
            .import(vec![item(alert(id, "2005-01-12"))])
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(word), "{msg:?} should say {word}");
        assert!(
            msg.contains(&format!("{id:?}")),
            "{msg:?} should name {id:?}"
        );
    }
    // 64 characters is fine.
    let long = "A".repeat(64);
    import_one(&*store, alert(&long, "2005-01-12")).await;
    assert!(store.get(&long).await.unwrap().is_some());
    assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 1);
}

async fn a_batch_sees_its_own_writes(store: Arc<dyn Store>) {
    let a1 = alert("MS05-001", "2005-01-12");
    let mut a2 = a1.clone();
    a2.updated = Some(d("2005-01-20"));
    a2.kbs = vec!["123456".into()];
    let mut old = a1.clone();
    old.title = "older".into();
    old.updated = Some(d("2005-01-01"));
    let mut lower = a2.clone();
    lower.id = "ms05-001".into();
    lower.updated = Some(d("2005-01-21"));

    let out = store
        .import(vec![
            item(a1),
            item(a2.clone()),
            item(a2.clone()),
            item(old),
            item(lower.clone()),
        ])
        .await
        .unwrap();
    assert_eq!(
        out[0],
        Outcome::Created {
            id: "MS05-001".into(),
            revision: 1
        }
    );
    assert!(matches!(&out[1], Outcome::Revised { revision: 2, .. }));
    assert_eq!(
        out[2],
        Outcome::Unchanged {
            id: "MS05-001".into(),
            revision: 2
        }
    );
    assert!(matches!(&out[3], Outcome::Stale { revision: 2, .. }));
    assert!(matches!(&out[4], Outcome::Revised { id, revision: 3, .. } if id == "ms05-001"));
    let history = store.history("MS05-001").await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.revision).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // One batch, one recording time.
    assert!(history
        .iter()
        .all(|h| h.recorded_at == history[0].recorded_at));
    assert_eq!(store.get("MS05-001").await.unwrap().unwrap().alert, lower);
    assert_eq!(
        store
            .get_revision("MS05-001", 2)
            .await
            .unwrap()
            .unwrap()
            .alert,
        a2
    );
    assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 1);
}

async fn an_empty_batch_does_nothing(store: Arc<dyn Store>) {
    assert_eq!(store.import(Vec::new()).await.unwrap(), Vec::new());
    assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 0);
    assert!(store
        .list(&AlertFilter::default())
        .await
        .unwrap()
        .is_empty());
}

async fn concurrent_imports_queue(store: Arc<dyn Store>) {
    // Several writers at once, all creating or revising the same alerts:
    // each import waits for the one before instead of failing.
    let batch = |n: u32| {
        (0..4)
            .map(|i| {
                let mut a = alert(&format!("MS05-00{i}"), "2005-01-12");
                a.kbs = vec![n.to_string()];
                item(a)
            })
            .collect::<Vec<_>>()
    };
    let runs = (0..4).map(|n| {
        let store = store.clone();
        let items = batch(n);
        async move { store.import(items).await }
    });
    let outcomes: Vec<Outcome> = futures_join_all(runs)
        .await
        .into_iter()
        .flat_map(|r| r.expect("every import succeeds"))
        .collect();
    assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 4);
    for i in 0..4 {
        let id = format!("MS05-00{i}");
        let mine = || outcomes.iter().filter(|o| o.id() == id);
        let created = mine()
            .filter(|o| matches!(o, Outcome::Created { .. }))
            .count();
        let written = mine()
            .filter(|o| matches!(o, Outcome::Created { .. } | Outcome::Revised { .. }))
            .count();
        assert_eq!(created, 1, "{id}: {outcomes:?}");
        // Every revision reported was recorded, and nothing else.
        let history = store.history(&id).await.unwrap();
        assert_eq!(history.len(), written, "{id}");
    }
}

/// Runs the futures concurrently on the test's runtime, results in order.
async fn futures_join_all<F, T>(futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

// ---------------------------------------------------------------------------
// The mail side: subscribers, settings, publications, the outbox.

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

/// The time all outbox tests start from.
fn t0() -> DateTime<Utc> {
    t("2026-02-02T09:00:00.123456Z")
}

fn message(key: &str, i: usize, not_before: DateTime<Utc>) -> NewMessage {
    NewMessage {
        message_key: key.into(),
        subscriber_id: None,
        recipient: format!("user{i:06}@example.jp"),
        message_id: format!("<{}.{i}@hfr.example>", key.replace('/', ".")),
        not_before,
    }
}

fn messages(key: &str, n: usize) -> Vec<NewMessage> {
    (0..n).map(|i| message(key, i, t0())).collect()
}

fn prefs_severe() -> subscription::Preferences {
    subscription::Preferences {
        min_severity: Some(Severity::Critical),
        products: vec!["Windows 2000".into()],
        weekly: false,
        ..subscription::Preferences::default()
    }
}

async fn a_subscriber_goes_through_every_state(store: Arc<dyn Store>) {
    let every = subscription::Preferences::default();
    let (t1, t2, t3, t4, t5) = (
        t("2026-02-01T10:00:00.000001Z"),
        t("2026-02-01T10:05:00Z"),
        t("2026-02-02T08:00:00Z"),
        t("2026-03-01T00:00:00Z"),
        t("2026-04-01T00:00:00Z"),
    );
    let s = store
        .upsert_subscriber("Taro.Yamada@Example.JP", &every, "nonce-1", t1)
        .await
        .unwrap();
    assert_eq!(s.state, SubscriberState::Pending);
    assert_eq!(s.address, "Taro.Yamada@Example.JP");
    assert_eq!(s.preferences, every);
    assert_eq!(s.token_nonce, "nonce-1");
    assert_eq!((s.created_at, s.updated_at), (t1, t1));
    assert_eq!((s.confirmed_at, s.unsubscribed_at), (None, None));
    let id = s.id;
    assert_eq!(store.subscriber(id).await.unwrap(), Some(s.clone()));
    for spelling in [
        "taro.yamada@example.jp",
        "TARO.YAMADA@EXAMPLE.JP",
        " taro.yamada@example.jp",
    ] {
        let found = store.subscriber_by_address(spelling).await.unwrap();
        assert_eq!(found, Some(s.clone()), "{spelling}");
    }
    assert_eq!(
        store
            .subscriber_by_address("hanako@example.jp")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.subscriber(id + 1000).await.unwrap(), None);
    // Pending subscribers are not mailed.
    assert!(store.confirmed_subscribers(0, 10).await.unwrap().is_empty());

    // Pending → confirmed, once.
    assert!(store.confirm_subscriber(id, t2).await.unwrap());
    assert!(!store.confirm_subscriber(id, t3).await.unwrap());
    let s = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(s.state, SubscriberState::Confirmed);
    assert_eq!((s.confirmed_at, s.updated_at), (Some(t2), t2));
    assert_eq!(store.confirmed_subscribers(0, 10).await.unwrap(), vec![s]);

    // Subscribing again while confirmed changes the preferences only.
    let s = store
        .upsert_subscriber("taro.yamada@example.jp", &prefs_severe(), "nonce-2", t3)
        .await
        .unwrap();
    assert_eq!(s.id, id);
    assert_eq!(s.state, SubscriberState::Confirmed);
    assert_eq!(s.preferences, prefs_severe());
    assert_eq!(s.address, "taro.yamada@example.jp");
    assert_eq!(
        s.token_nonce, "nonce-1",
        "links already mailed keep working"
    );
    assert_eq!(
        (s.created_at, s.confirmed_at, s.updated_at),
        (t1, Some(t2), t3)
    );

    // → unsubscribed, once.
    assert!(store.unsubscribe(id, t4).await.unwrap());
    assert!(!store.unsubscribe(id, t5).await.unwrap());
    let s = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(s.state, SubscriberState::Unsubscribed);
    assert_eq!((s.confirmed_at, s.unsubscribed_at), (None, Some(t4)));
    assert!(!store.confirm_subscriber(id, t5).await.unwrap());
    assert!(store.confirmed_subscribers(0, 10).await.unwrap().is_empty());

    // Subscribing again needs a new confirmation.
    let s = store
        .upsert_subscriber("Taro.Yamada@example.jp", &every, "nonce-3", t5)
        .await
        .unwrap();
    assert_eq!((s.id, s.state), (id, SubscriberState::Pending));
    assert_eq!((s.confirmed_at, s.unsubscribed_at), (None, None));
    assert_eq!(s.preferences, every);
    assert!(store.confirmed_subscribers(0, 10).await.unwrap().is_empty());
    assert!(store.confirm_subscriber(id, t5).await.unwrap());

    // Preferences and the nonce can be changed on their own.
    assert!(store
        .set_preferences(id, &prefs_severe(), t5)
        .await
        .unwrap());
    assert!(store.rotate_token_nonce(id, "nonce-4").await.unwrap());
    let s = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(s.preferences, prefs_severe());
    assert_eq!(s.token_nonce, "nonce-4");
    assert_eq!(s.state, SubscriberState::Confirmed);

    // Unknown ids change nothing.
    let unknown = id + 1000;
    assert!(!store.confirm_subscriber(unknown, t5).await.unwrap());
    assert!(!store.unsubscribe(unknown, t5).await.unwrap());
    assert!(!store.set_preferences(unknown, &every, t5).await.unwrap());
    assert!(!store.rotate_token_nonce(unknown, "nonce-5").await.unwrap());

    // A second address is a second subscriber.
    let other = store
        .upsert_subscriber("hanako@example.jp", &every, "nonce-h", t5)
        .await
        .unwrap();
    assert_ne!(other.id, id);
    assert_eq!(other.state, SubscriberState::Pending);
}

async fn bad_addresses_are_refused_and_nothing_is_stored(store: Arc<dyn Store>) {
    let prefs = subscription::Preferences::default();
    let long = format!("{}@example.jp", "a".repeat(244));
    assert_eq!(long.len(), 255);
    let cases = [
        ("", "empty"),
        ("taro yamada@example.jp", "whitespace"),
        ("taro@example.jp\r\nBcc: all@example.jp", "control"),
        ("taro@example.jp\u{7}", "control"),
        (long.as_str(), "254"),
    ];
    for (address, word) in cases {
        let err = store
            .upsert_subscriber(address, &prefs, "nonce", t0())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidSubscriber { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains(word), "{msg:?} should say {word}");
        assert!(
            msg.contains(&format!("{address:?}")),
            "{msg:?} should name {address:?}"
        );
    }
    let err = store
        .upsert_subscriber("taro@example.jp", &prefs, "", t0())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("token nonce is empty"), "{err}");
    assert_eq!(
        store
            .subscriber_by_address("taro@example.jp")
            .await
            .unwrap(),
        None
    );
    // 254 bytes is fine.
    let fits = &long[1..];
    let s = store
        .upsert_subscriber(fits, &prefs, "nonce", t0())
        .await
        .unwrap();
    assert_eq!(s.address, fits);
    assert_eq!(
        s.id,
        store.subscriber_by_address(fits).await.unwrap().unwrap().id
    );
    let err = store.rotate_token_nonce(s.id, "a\nb").await.unwrap_err();
    assert!(err.to_string().contains(&format!("#{}", s.id)), "{err}");
    assert_eq!(
        store.subscriber(s.id).await.unwrap().unwrap().token_nonce,
        "nonce"
    );
}

async fn a_setting_keeps_its_first_value(store: Arc<dyn Store>) {
    assert_eq!(store.setting("token_secret").await.unwrap(), None);
    let first = store.setting_or_insert("token_secret", "s1").await.unwrap();
    assert_eq!(first, "s1");
    assert_eq!(
        store.setting("token_secret").await.unwrap().as_deref(),
        Some("s1")
    );
    let again = store.setting_or_insert("token_secret", "s2").await.unwrap();
    assert_eq!(again, "s1");
    assert_eq!(store.setting_or_insert("other", "o").await.unwrap(), "o");
    // Many processes starting at once agree on one value.
    let runs = (0..8).map(|i| {
        let store = store.clone();
        async move { store.setting_or_insert("raced", &format!("v{i}")).await }
    });
    let values: Vec<String> = futures_join_all(runs)
        .await
        .into_iter()
        .map(|r| r.expect("setting"))
        .collect();
    assert!(values.iter().all(|v| *v == values[0]), "{values:?}");
    let err = store.setting_or_insert("", "x").await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidSetting { .. }), "{err:?}");
}

async fn a_revision_is_published_once(store: Arc<dyn Store>) {
    let key = "alert/MS04-035/1";
    let sub = store
        .upsert_subscriber(
            "taro@example.jp",
            &subscription::Preferences::default(),
            "n",
            t0(),
        )
        .await
        .unwrap();
    let mut outbox = messages(key, 3);
    outbox[0].subscriber_id = Some(sub.id);
    assert_eq!(
        store
            .publish("MS04-035", 1, t0(), outbox.clone())
            .await
            .unwrap(),
        Some(3)
    );
    // Again, with the id spelt otherwise and more recipients: nothing.
    assert_eq!(
        store
            .publish("ms04-035", 1, t0(), messages(key, 5))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .publish("MS04-035", 1, t0(), Vec::new())
            .await
            .unwrap(),
        None
    );
    let status = store.outbox_status().await.unwrap();
    assert_eq!(
        status,
        vec![OutboxCount {
            message_key: key.into(),
            state: OutboxState::Queued,
            retrying: false,
            count: 3
        }]
    );
    // The next revision is another publication; a publication with nobody
    // to mail is still recorded.
    assert_eq!(
        store
            .publish("MS04-035", 2, t0(), messages("alert/MS04-035/2", 2))
            .await
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        store
            .publish("MS04-036", 1, t0(), Vec::new())
            .await
            .unwrap(),
        Some(0)
    );
    assert_eq!(
        store
            .publish("MS04-036", 1, t0(), messages("x", 1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.published_revisions("ms04-035").await.unwrap(),
        vec![1, 2]
    );
    assert_eq!(
        store.published_revisions("MS04-036").await.unwrap(),
        vec![1]
    );
    assert!(store
        .published_revisions("MS99-999")
        .await
        .unwrap()
        .is_empty());

    // The rows carry what was queued.
    let claimed = store
        .claim_outbox("w", t0(), Duration::minutes(5), 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 5);
    assert_eq!(claimed[0].message_key, key);
    assert_eq!(claimed[0].subscriber_id, Some(sub.id));
    assert_eq!(claimed[0].recipient, outbox[0].recipient);
    assert_eq!(claimed[0].message_id, outbox[0].message_id);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[1].subscriber_id, None);
}

async fn a_publication_with_a_bad_message_queues_nothing(store: Arc<dyn Store>) {
    let key = "alert/MS04-035/1";
    let mut outbox = messages(key, 3);
    outbox[2].recipient = "bad address@example.jp".into();
    let err = store
        .publish("MS04-035", 1, t0(), outbox.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidMessage { .. }), "{err:?}");
    assert!(err.to_string().contains("whitespace"), "{err}");
    assert!(err.to_string().contains("bad address@example.jp"), "{err}");
    assert!(store.outbox_status().await.unwrap().is_empty());
    // The publication was not recorded either: it can be made once fixed.
    outbox[2].recipient = "good@example.jp".into();
    assert_eq!(
        store.publish("MS04-035", 1, t0(), outbox).await.unwrap(),
        Some(3)
    );

    let err = store
        .publish("MS04 035", 1, t0(), messages(key, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidPublication { .. }),
        "{err:?}"
    );
    let err = store
        .publish("MS04-035", 0, t0(), messages(key, 1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("revision"), "{err}");
    let mut bad = messages("confirm/1/1", 1);
    bad[0].message_id = "<a@b>\r\nBcc: all@example.jp".into();
    assert!(store.enqueue(bad).await.is_err());
    let total: u64 = store
        .outbox_status()
        .await
        .unwrap()
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(total, 3);
}

async fn enqueue_queues_a_message_once_per_recipient(store: Arc<dyn Store>) {
    assert_eq!(store.enqueue(Vec::new()).await.unwrap(), 0);
    let key = "weekly/2004-10-11";
    assert_eq!(store.enqueue(messages(key, 2)).await.unwrap(), 2);
    // Two known, one new, and the new one twice in the same batch.
    let mut again = messages(key, 3);
    again.push(message(key, 2, t0()));
    assert_eq!(store.enqueue(again).await.unwrap(), 1);
    // The same recipients for another message are other rows.
    assert_eq!(
        store
            .enqueue(messages("weekly/2004-10-18", 3))
            .await
            .unwrap(),
        3
    );
    let counts: Vec<(String, u64)> = store
        .outbox_status()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.message_key, c.count))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("weekly/2004-10-11".to_string(), 3),
            ("weekly/2004-10-18".to_string(), 3)
        ]
    );
}

/// Queues `rows` mails and lets every store drain the outbox at once, each
/// as its own worker, in small claims; every row must be claimed by exactly
/// one worker.
async fn claim_race(stores: Vec<Arc<dyn Store>>, rows: usize) {
    let now = t0();
    assert_eq!(
        stores[0]
            .enqueue(messages("weekly/2026-02-02", rows))
            .await
            .unwrap(),
        rows as u64
    );
    let workers = stores.into_iter().enumerate().map(|(n, store)| async move {
        let worker = format!("worker-{n}");
        let mut mine = Vec::new();
        loop {
            let claimed = store
                .claim_outbox(&worker, now, Duration::minutes(5), 7)
                .await
                .expect("claim");
            if claimed.is_empty() {
                break;
            }
            for m in claimed {
                assert_eq!(m.attempts, 1, "row {} claimed twice", m.id);
                assert!(store.mark_sent(m.id, &worker, now).await.expect("mark"));
                mine.push(m.id);
            }
        }
        mine
    });
    let per_worker = futures_join_all(workers).await;
    let mut all: Vec<i64> = per_worker.iter().flatten().copied().collect();
    let claimed = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), claimed, "a row was claimed by two workers");
    assert_eq!(claimed, rows, "every row is claimed");
    let sizes: Vec<usize> = per_worker.iter().map(Vec::len).collect();
    eprintln!("rows per worker: {sizes:?}");
}

async fn concurrent_claims_never_share_a_row(store: Arc<dyn Store>) {
    claim_race(
        vec![store.clone(), store.clone(), store.clone(), store],
        500,
    )
    .await;
}

async fn an_expired_lease_is_taken_over(store: Arc<dyn Store>) {
    store.enqueue(messages("confirm/1/1", 1)).await.unwrap();
    let lease = Duration::minutes(5);
    let a = store.claim_outbox("a", t0(), lease, 10).await.unwrap();
    assert_eq!(a.len(), 1);
    let id = a[0].id;
    // Within the lease nobody else gets it, not even at its very end.
    assert!(store
        .claim_outbox("b", t0(), lease, 10)
        .await
        .unwrap()
        .is_empty());
    let end = t0() + lease;
    assert!(store
        .claim_outbox("b", end, lease, 10)
        .await
        .unwrap()
        .is_empty());
    // After it, worker a is presumed dead.
    let later = end + Duration::microseconds(1);
    let b = store.claim_outbox("b", later, lease, 10).await.unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!((b[0].id, b[0].attempts), (id, 2));
    // a's late results change nothing; b's count.
    assert!(!store.mark_sent(id, "a", later).await.unwrap());
    assert!(!store
        .mark_retry(id, "a", later, "421 try later")
        .await
        .unwrap());
    assert!(!store.mark_failed(id, "a", "550", later).await.unwrap());
    assert!(store.mark_sent(id, "b", later).await.unwrap());
    assert!(!store.mark_sent(id, "b", later).await.unwrap());
    let status = store.outbox_status().await.unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!((status[0].state, status[0].count), (OutboxState::Sent, 1));
    // A sent row is never claimed again.
    let far = t0() + Duration::days(365);
    assert!(store
        .claim_outbox("c", far, lease, 10)
        .await
        .unwrap()
        .is_empty());
    // Unknown rows are not marked.
    assert!(!store.mark_sent(id + 1000, "b", later).await.unwrap());
}

/// What ran after each commit, and in which thread.
type Ran = Arc<std::sync::Mutex<Vec<(&'static str, Option<String>)>>>;

fn note(ran: &Ran, what: &'static str) -> hfr_store::AfterCommit {
    let ran = ran.clone();
    Box::new(move || {
        let thread = std::thread::current().name().map(str::to_string);
        if let Ok(mut r) = ran.lock() {
            r.push((what, thread));
        }
    })
}

async fn code_after_a_commit_runs_once_and_only_when_the_last_mark_applied(store: Arc<dyn Store>) {
    store
        .enqueue(messages("alert/MS04-035/1", 3))
        .await
        .unwrap();
    let rows = store
        .claim_outbox("a", t0(), Duration::minutes(5), 10)
        .await
        .unwrap();
    let (r0, r1, r2) = (rows[0].id, rows[1].id, rows[2].id);
    let ran: Ran = Default::default();
    let handed = |id| OutboxMark::Handed { id, at: t0() };
    let sent = |id| OutboxMark::Sent { id, at: t0() };
    // Applied: runs, once, after the marks are stored.
    let applied = store
        .record_outbox_then("a", &[handed(r0)], note(&ran, "first"))
        .await
        .unwrap();
    assert_eq!(applied, vec![true]);
    // The last mark is another worker's: the earlier one is still written,
    // the code is not run.
    let applied = store
        .record_outbox_then("b", &[handed(r1)], note(&ran, "not b's"))
        .await
        .unwrap();
    assert_eq!(applied, vec![false]);
    let applied = store
        .record_outbox_then("a", &[sent(r0), handed(r1 + 1000)], note(&ran, "no row"))
        .await
        .unwrap();
    assert_eq!(applied, vec![true, false]);
    let applied = store
        .record_outbox_then("a", &[sent(r1), handed(r2)], note(&ran, "second"))
        .await
        .unwrap();
    assert_eq!(applied, vec![true, true]);
    let what: Vec<&str> = ran.lock().unwrap().iter().map(|(w, _)| *w).collect();
    assert_eq!(what, ["first", "second"]);
    // Nothing left armed: later transactions on the pool run nothing.
    store.mark_sent(r2, "a", t0()).await.unwrap();
    assert_eq!(ran.lock().unwrap().len(), 2);
    let status = store.outbox_status().await.unwrap();
    assert_eq!(
        status
            .iter()
            .map(|c| (c.state, c.count))
            .collect::<Vec<_>>(),
        vec![(OutboxState::Sent, 3)]
    );
}

/// On a SQLite file (WAL) the code runs in the thread that commits,
/// sqlx's worker for the connection, not in the awaiting task's.
#[tokio::test]
async fn sqlite_runs_code_after_a_commit_in_the_committing_thread() {
    let db = sqlite_db().await;
    let store = db.store.clone();
    store
        .enqueue(messages("alert/MS04-035/1", 1))
        .await
        .unwrap();
    let rows = store
        .claim_outbox("a", t0(), Duration::minutes(5), 10)
        .await
        .unwrap();
    let ran: Ran = Default::default();
    let mark = OutboxMark::Handed {
        id: rows[0].id,
        at: t0(),
    };
    store
        .record_outbox_then("a", &[mark], note(&ran, "handed"))
        .await
        .unwrap();
    let ran = ran.lock().unwrap().clone();
    let here = std::thread::current().name().map(str::to_string);
    assert_eq!(ran.len(), 1);
    assert_ne!(
        ran[0].1, here,
        "ran in the awaiting thread, not from the WAL hook"
    );
    assert!(
        ran[0].1.as_deref().is_some_and(|t| t.contains("sqlite")),
        "{:?}",
        ran[0].1
    );
}

async fn a_retry_waits_for_its_time(store: Arc<dyn Store>) {
    store
        .enqueue(messages("alert/MS04-035/1", 2))
        .await
        .unwrap();
    let lease = Duration::minutes(5);
    let first = store.claim_outbox("w", t0(), lease, 1).await.unwrap();
    assert_eq!(first.len(), 1);
    let id = first[0].id;
    let retry_at = t0() + Duration::minutes(10);
    assert!(store
        .mark_retry(id, "w", retry_at, "421 4.7.0 Try again later")
        .await
        .unwrap());
    // A retried row is not claimed again before its time...
    let before = store
        .claim_outbox("w", retry_at - Duration::microseconds(1), lease, 10)
        .await
        .unwrap();
    assert_eq!(before.len(), 1);
    assert_ne!(before[0].id, id);
    assert!(store.mark_sent(before[0].id, "w", t0()).await.unwrap());
    // ...and is at it, by any worker, with its attempts counted.
    let at = store.claim_outbox("v", retry_at, lease, 10).await.unwrap();
    assert_eq!(at.len(), 1);
    assert_eq!((at[0].id, at[0].attempts), (id, 2));
    assert!(store.mark_sent(id, "v", retry_at).await.unwrap());
    // Mail not yet due is not claimed either.
    store
        .enqueue(vec![message(
            "weekly/2026-02-09",
            1,
            t0() + Duration::days(7),
        )])
        .await
        .unwrap();
    assert!(store
        .claim_outbox("w", t0() + Duration::days(6), lease, 10)
        .await
        .unwrap()
        .is_empty());
    let due = store
        .claim_outbox("w", t0() + Duration::days(7), lease, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].message_key, "weekly/2026-02-09");
}

async fn a_failed_row_is_never_claimed_again(store: Arc<dyn Store>) {
    let key = "alert/MS04-035/1";
    let outbox = messages(key, 3);
    store.enqueue(outbox.clone()).await.unwrap();
    let lease = Duration::minutes(5);
    let claimed = store.claim_outbox("w", t0(), lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 3);
    let long_reply = format!("550 5.1.1 {}", "x".repeat(5000));
    assert!(store
        .mark_failed(claimed[0].id, "w", "550 5.1.1 User unknown", t0())
        .await
        .unwrap());
    assert!(store
        .mark_failed(claimed[2].id, "w", &long_reply, t0())
        .await
        .unwrap());
    assert!(!store
        .mark_failed(claimed[2].id, "w", "again", t0())
        .await
        .unwrap());
    for later in [t0() + lease * 2, t0() + Duration::days(3650)] {
        assert!(store
            .claim_outbox("v", later, lease, 10)
            .await
            .unwrap()
            .iter()
            .all(|m| m.id == claimed[1].id));
    }
    let failures = store.outbox_failures(key, 10).await.unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!(
        failures[0],
        (
            outbox[0].recipient.clone(),
            "550 5.1.1 User unknown".to_string(),
            1
        )
    );
    assert_eq!(failures[1].0, outbox[2].recipient);
    assert!(failures[1].1.starts_with("550 5.1.1 xxx"));
    assert!(failures[1].1.chars().count() < 2100, "long replies are cut");
    assert_eq!(store.outbox_failures(key, 1).await.unwrap().len(), 1);
    assert!(store
        .outbox_failures("weekly/x", 10)
        .await
        .unwrap()
        .is_empty());
}

async fn the_status_counts_each_state(store: Arc<dyn Store>) {
    let (a, b) = ("alert/MS04-035/1", "weekly/2004-10-11");
    store.enqueue(messages(a, 5)).await.unwrap();
    store.enqueue(messages(b, 2)).await.unwrap();
    let lease = Duration::minutes(5);
    let claimed = store.claim_outbox("w", t0(), lease, 4).await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
    assert_eq!(claimed.iter().filter(|m| m.message_key == a).count(), 4);
    assert!(store.mark_sent(ids[0], "w", t0()).await.unwrap());
    assert!(store.mark_sent(ids[1], "w", t0()).await.unwrap());
    assert!(store
        .mark_retry(ids[2], "w", t0() + Duration::hours(1), "421")
        .await
        .unwrap());
    // ids[3] stays in sending.
    let count = |message_key: &str, state, retrying, count| OutboxCount {
        message_key: message_key.into(),
        state,
        retrying,
        count,
    };
    assert_eq!(
        store.outbox_status().await.unwrap(),
        vec![
            count(a, OutboxState::Queued, false, 1),
            count(a, OutboxState::Queued, true, 1),
            count(a, OutboxState::Sending, false, 1),
            count(a, OutboxState::Sent, false, 2),
            count(b, OutboxState::Queued, false, 2),
        ]
    );
    assert!(store.mark_failed(ids[3], "w", "554", t0()).await.unwrap());
    let status = store.outbox_status().await.unwrap();
    assert_eq!(status[2], count(a, OutboxState::Sent, false, 2));
    assert_eq!(status[3], count(a, OutboxState::Failed, false, 1));
}

async fn confirmed_subscribers_page_by_id(store: Arc<dyn Store>) {
    let prefs = subscription::Preferences::default();
    let mut confirmed = Vec::new();
    for i in 0..23 {
        let s = store
            .upsert_subscriber(
                &format!("user{i}@example.jp"),
                &prefs,
                &format!("n{i}"),
                t0(),
            )
            .await
            .unwrap();
        match i % 3 {
            0 => {}
            1 => {
                assert!(store.confirm_subscriber(s.id, t0()).await.unwrap());
                confirmed.push(s.id);
            }
            _ => {
                assert!(store.confirm_subscriber(s.id, t0()).await.unwrap());
                assert!(store.unsubscribe(s.id, t0()).await.unwrap());
            }
        }
    }
    for page_size in [1, 4, 7, 100] {
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = store.confirmed_subscribers(after, page_size).await.unwrap();
            assert!(page.len() <= page_size as usize);
            let Some(last) = page.last() else { break };
            after = last.id;
            for s in page {
                assert_eq!(s.state, SubscriberState::Confirmed);
                seen.push(s.id);
            }
        }
        assert_eq!(seen, confirmed, "page size {page_size}");
    }
    assert!(store.confirmed_subscribers(0, 0).await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// One back end only.

#[tokio::test]
async fn sqlite_file_is_created_with_its_directories_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b").join("hfr.sqlite");
    let store = hfr_store::open(&DbLocation::parse(&format!("sqlite://{}", path.display())))
        .await
        .unwrap();
    import_one(&*store, alert("MS05-001", "2005-01-12")).await;
    assert!(path.is_file());
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn sqlite_reopening_keeps_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hfr.sqlite");
    let a = rich_alert("MS04-039");
    {
        let store = hfr_store::open(&DbLocation::Sqlite(path.clone()))
            .await
            .unwrap();
        import_one(&*store, a.clone()).await;
        let mut b = a.clone();
        b.updated = Some(d("2005-01-01"));
        b.kbs.push("890097".into());
        import_one(&*store, b).await;
    }
    for _ in 0..2 {
        let store = hfr_store::open(&DbLocation::Sqlite(path.clone()))
            .await
            .unwrap();
        assert_eq!(store.get("MS04-039").await.unwrap().unwrap().revision, 2);
        assert_eq!(
            store
                .get_revision("MS04-039", 1)
                .await
                .unwrap()
                .unwrap()
                .alert,
            a
        );
        assert_eq!(store.history("MS04-039").await.unwrap().len(), 2);
        assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn sqlite_reports_a_corrupt_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hfr.sqlite");
    let store = hfr_store::open(&DbLocation::Sqlite(path.clone()))
        .await
        .unwrap();
    import_one(&*store, alert("MS05-001", "2005-01-12")).await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE alerts SET document = '{broken'")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    match store.get("MS05-001").await {
        Err(StoreError::Corrupt { id, revision, .. }) => {
            assert_eq!((id.as_str(), revision), ("MS05-001", 1));
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // An import over a corrupt row fails and changes nothing.
    let err = store
        .import(vec![item(alert("MS05-001", "2005-02-01"))])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert_eq!(store.history("MS05-001").await.unwrap().len(), 1);
}

#[tokio::test]
async fn open_errors_name_the_location_without_the_password() {
    /// The message with its causes, as `hfr` prints it.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut out = e.to_string();
        let mut cur = e.source();
        while let Some(s) = cur {
            out.push_str(&format!(": {s}"));
            cur = s.source();
        }
        out
    }

    let err = hfr_store::open(&DbLocation::parse("mysql://u:pw@localhost/db"))
        .await
        .err()
        .expect("unknown scheme");
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(chain(&err).contains("unsupported"), "{err}");
    assert!(!chain(&err).contains("pw@"), "{err}");

    // Nothing listens on port 1.
    let url = "postgres://hfr:s3cret-pw@127.0.0.1:1/hfr";
    let err = hfr_store::open(&DbLocation::parse(url))
        .await
        .err()
        .expect("nothing listens on port 1");
    let msg = chain(&err);
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(msg.contains("refused"), "{msg}");
    assert!(msg.contains("postgres://hfr:***@127.0.0.1:1/hfr"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
    assert!(!format!("{err:?}").contains("s3cret"), "{err:?}");
}

#[tokio::test]
async fn postgres_reopening_keeps_the_archive() {
    let Some(db) = pg_db().await else { return };
    let url = with_database(&db.admin_url, &db.name);
    import_one(&*db.store, rich_alert("MS04-039")).await;
    for _ in 0..2 {
        let store = hfr_store::open(&DbLocation::parse(&url)).await.unwrap();
        assert_eq!(store.backend(), "postgres");
        assert_eq!(
            store.get("ms04-039").await.unwrap().unwrap().alert,
            rich_alert("MS04-039")
        );
        assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 1);
    }
}

#[test]
fn with_database_replaces_only_the_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:55432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:55432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h:1/postgres?sslmode=disable", "t1"),
        "postgres://u:p@h:1/t1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
}

// ---------------------------------------------------------------------------
// The outbox with separate connection pools (as separate processes would
// have), and the publication timing.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_claimers_with_their_own_pools_never_share_a_row() {
    let db = sqlite_db().await;
    let path = db._dir.path().join("hfr.sqlite");
    let other = hfr_store::open(&DbLocation::Sqlite(path)).await.unwrap();
    claim_race(vec![db.store.clone(), other], 500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_claimers_with_their_own_pools_never_share_a_row() {
    let Some(db) = pg_db().await else { return };
    let url = with_database(&db.admin_url, &db.name);
    let other = hfr_store::open(&DbLocation::parse(&url)).await.unwrap();
    let third = hfr_store::open(&DbLocation::parse(&url)).await.unwrap();
    claim_race(vec![db.store.clone(), other, third], 500).await;
}

/// Publishes an alert to 100,000 confirmed subscribers and prints how long
/// the publication took. Run with
/// `cargo test -p hfr-store --test store -- --ignored --nocapture publish_100k`.
async fn time_a_publication_to_100k(store: Arc<dyn Store>) {
    const N: usize = 100_000;
    let prefs = subscription::Preferences::default();
    let started = std::time::Instant::now();
    let chunks = (0..8).map(|part| {
        let (store, prefs) = (store.clone(), prefs.clone());
        async move {
            for i in (part..N).step_by(8) {
                let s = store
                    .upsert_subscriber(&format!("user{i:06}@example.jp"), &prefs, "n", t0())
                    .await
                    .expect("subscriber");
                store.confirm_subscriber(s.id, t0()).await.expect("confirm");
            }
        }
    });
    futures_join_all(chunks).await;
    let subscribed = started.elapsed();
    let started = std::time::Instant::now();
    let mut outbox = Vec::with_capacity(N);
    let mut after = 0;
    loop {
        let page = store.confirmed_subscribers(after, 5000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        outbox.extend(page.into_iter().map(|s| NewMessage {
            message_key: "alert/MS04-035/1".into(),
            subscriber_id: Some(s.id),
            message_id: format!("<alert.MS04-035.1.{}@hfr.example>", s.id),
            recipient: s.address,
            not_before: t0(),
        }));
    }
    let paged = started.elapsed();
    let started = std::time::Instant::now();
    let queued = store.publish("MS04-035", 1, t0(), outbox).await.unwrap();
    let published = started.elapsed();
    assert_eq!(queued, Some(N as u64));
    let started = std::time::Instant::now();
    let claimed = store
        .claim_outbox("w", t0(), Duration::minutes(5), 100)
        .await
        .unwrap();
    let claim = started.elapsed();
    assert_eq!(claimed.len(), 100);
    eprintln!(
        "{}: {N} subscribers made in {subscribed:.1?}, paged in {paged:.1?}; \
         publish of {N} outbox rows: {published:.2?}; a claim of 100: {claim:.1?}",
        store.backend()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn sqlite_publish_100k() {
    let db = sqlite_db().await;
    time_a_publication_to_100k(db.store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn postgres_publish_100k() {
    let Some(db) = pg_db().await else { return };
    time_a_publication_to_100k(db.store.clone()).await;
}

/// How many rows of the outbox are in `state`.
async fn count_in(store: &dyn Store, state: OutboxState) -> u64 {
    store
        .outbox_status()
        .await
        .unwrap()
        .iter()
        .filter(|c| c.state == state)
        .map(|c| c.count)
        .sum()
}

async fn handed_rows_of_a_stopped_sender_count_as_sent(store: Arc<dyn Store>) {
    store.enqueue(messages("alert.MS04-035", 3)).await.unwrap();
    let lease = Duration::minutes(5);
    let a = store.claim_outbox("a", t0(), lease, 10).await.unwrap();
    assert_eq!(a.len(), 3);
    // a hands the first row to the relay and stops; the others it never got to.
    let handed = OutboxMark::Handed {
        id: a[0].id,
        at: t0(),
    };
    assert_eq!(
        store.record_outbox("a", &[handed]).await.unwrap(),
        vec![true]
    );
    // After a's lease, the handed row is sent, the others go to b.
    let later = t0() + lease + Duration::seconds(1);
    let b = store.claim_outbox("b", later, lease, 10).await.unwrap();
    assert_eq!(
        b.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![a[1].id, a[2].id],
        "the handed row must not be sent again"
    );
    assert_eq!(count_in(&*store, OutboxState::Sent).await, 1);
    // A handed row whose relay then answered 4xx is retried, and is no
    // longer "handed" on its next attempt.
    let marks = [
        OutboxMark::Handed {
            id: b[0].id,
            at: later,
        },
        OutboxMark::Retry {
            id: b[0].id,
            next_attempt_at: later,
            error: "421 busy".into(),
        },
    ];
    assert_eq!(
        store.record_outbox("b", &marks).await.unwrap(),
        vec![true, true]
    );
    let far = later + lease * 3;
    let c = store.claim_outbox("c", far, lease, 10).await.unwrap();
    // b's other row (lease expired, never handed) and the retried one.
    assert_eq!(c.len(), 2);
    let d = store
        .claim_outbox("d", far + lease * 3, lease, 10)
        .await
        .unwrap();
    assert_eq!(d.len(), 2, "c never handed them over: they go to d");
}

async fn a_dead_senders_claims_are_released_at_once(store: Arc<dyn Store>) {
    store.enqueue(messages("alert.MS04-035", 4)).await.unwrap();
    let lease = Duration::hours(1);
    let a = store.claim_outbox("host:1", t0(), lease, 3).await.unwrap();
    assert_eq!(a.len(), 3);
    let b = store.claim_outbox("host:2", t0(), lease, 3).await.unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(
        store.outbox_claimers().await.unwrap(),
        vec!["host:1".to_string(), "host:2".to_string()]
    );
    let marks = [
        OutboxMark::Handed {
            id: a[0].id,
            at: t0(),
        },
        OutboxMark::Sent {
            id: a[0].id,
            at: t0(),
        },
        OutboxMark::Handed {
            id: a[1].id,
            at: t0(),
        },
    ];
    store.record_outbox("host:1", &marks).await.unwrap();
    let now = t0() + Duration::seconds(10);
    assert_eq!(
        store.release_claims("host:1", now).await.unwrap(),
        Released {
            sent: 1,
            requeued: 1
        }
    );
    // Released without waiting for the lease; host:2 keeps its claim.
    let c = store.claim_outbox("host:3", now, lease, 10).await.unwrap();
    assert_eq!(c.iter().map(|m| m.id).collect::<Vec<_>>(), vec![a[2].id]);
    assert_eq!(count_in(&*store, OutboxState::Sent).await, 2);
    assert_eq!(
        store.outbox_claimers().await.unwrap(),
        vec!["host:2".to_string(), "host:3".to_string()]
    );
    assert_eq!(
        store.release_claims("nobody", now).await.unwrap(),
        Released::default()
    );
    // The row that counts as sent says why.
    let failures = store.outbox_failures("alert.MS04-035", 10).await.unwrap();
    assert!(failures.is_empty());
}

async fn marks_are_recorded_in_order_and_only_by_the_claimer(store: Arc<dyn Store>) {
    store.enqueue(messages("alert.MS04-035", 3)).await.unwrap();
    let lease = Duration::minutes(5);
    let w = store.claim_outbox("w", t0(), lease, 10).await.unwrap();
    let marks = vec![
        OutboxMark::Sent {
            id: w[0].id,
            at: t0(),
        },
        OutboxMark::Failed {
            id: w[1].id,
            error: "550 no such user".into(),
            at: t0(),
        },
        // Already failed: does not apply.
        OutboxMark::Sent {
            id: w[1].id,
            at: t0(),
        },
        OutboxMark::Sent {
            id: w[2].id + 99,
            at: t0(),
        },
    ];
    assert_eq!(
        store.record_outbox("w", &marks).await.unwrap(),
        vec![true, true, false, false]
    );
    // Another worker's marks change nothing.
    assert_eq!(
        store
            .record_outbox(
                "v",
                &[OutboxMark::Sent {
                    id: w[2].id,
                    at: t0()
                }]
            )
            .await
            .unwrap(),
        vec![false]
    );
    assert!(store.record_outbox("w", &[]).await.unwrap().is_empty());
    assert_eq!(count_in(&*store, OutboxState::Sent).await, 1);
    assert_eq!(count_in(&*store, OutboxState::Failed).await, 1);
    assert_eq!(count_in(&*store, OutboxState::Sending).await, 1);
}

async fn an_unfinished_publication_is_resumed(store: Arc<dyn Store>) {
    let key = "alert.MS04-035";
    assert_eq!(
        store.begin_publication("MS04-035", 1, t0()).await.unwrap(),
        PublicationStart::New
    );
    // The publisher queued a first page and stopped.
    store.enqueue(messages(key, 2)).await.unwrap();
    assert_eq!(
        store.begin_publication("ms04-035", 1, t0()).await.unwrap(),
        PublicationStart::Unfinished
    );
    // Resumed: the whole list again, the first page skipped.
    assert_eq!(store.enqueue(messages(key, 5)).await.unwrap(), 3);
    store.finish_publication("MS04-035", 1, t0()).await.unwrap();
    assert_eq!(
        store.begin_publication("MS04-035", 1, t0()).await.unwrap(),
        PublicationStart::Finished
    );
    assert_eq!(count_in(&*store, OutboxState::Queued).await, 5);
    let err = store
        .begin_publication("MS04-035", 0, t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidPublication { .. }),
        "{err:?}"
    );
}

async fn publications_of_a_week_say_which_are_first(store: Arc<dyn Store>) {
    let day = Duration::days(1);
    for (id, rev, at) in [
        ("MS04-035", 1, t0()),
        ("MS04-036", 1, t0() + day),
        ("MS04-035", 2, t0() + day * 8),
        ("MS04-037", 1, t0() + day * 9),
    ] {
        assert_eq!(
            store.publish(id, rev, at, Vec::new()).await.unwrap(),
            Some(0)
        );
    }
    let first_week = store
        .publications_between(t0(), t0() + day * 7)
        .await
        .unwrap();
    assert_eq!(
        first_week
            .iter()
            .map(|p| (p.alert_id.as_str(), p.revision, p.first))
            .collect::<Vec<_>>(),
        vec![("MS04-035", 1, true), ("MS04-036", 1, true)]
    );
    let second = store
        .publications_between(t0() + day * 7, t0() + day * 14)
        .await
        .unwrap();
    assert_eq!(
        second
            .iter()
            .map(|p| (p.alert_id.as_str(), p.revision, p.first))
            .collect::<Vec<_>>(),
        vec![("MS04-035", 2, false), ("MS04-037", 1, true)]
    );
    assert_eq!(second[0].published_at, t0() + day * 8);
    assert!(store
        .publications_between(t0() - day * 7, t0())
        .await
        .unwrap()
        .is_empty());
}

async fn subscribers_are_read_by_the_batch(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..1203 {
        let s = store
            .upsert_subscriber(
                &format!("reader{i:05}@example.jp"),
                &subscription::Preferences::default(),
                "n",
                t0(),
            )
            .await
            .unwrap();
        ids.push(s.id);
    }
    assert!(store.subscribers(&[]).await.unwrap().is_empty());
    // More than one query's worth, with an unknown id among them.
    let mut asked = ids.clone();
    asked.push(ids[ids.len() - 1] + 1000);
    let got = store.subscribers(&asked).await.unwrap();
    assert_eq!(got.len(), 1203);
    let mut got_ids: Vec<i64> = got.iter().map(|s| s.id).collect();
    got_ids.sort();
    assert_eq!(got_ids, ids);
    assert_eq!(
        store.subscribers(&ids[7..8]).await.unwrap()[0].address,
        "reader00007@example.jp"
    );
}

// ---------------------------------------------------------------------------
// Vendor releases and the source documents they share.

/// Plain SQL on a test database, for what the trait does not show: how
/// many source documents are kept.
enum Raw {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Raw {
    async fn count(&self, sql: &str) -> i64 {
        match self {
            Raw::Sqlite(p) => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", p.display()))
                    .await
                    .expect("connect");
                let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut c).await.expect(sql);
                c.close().await.ok();
                n
            }
            Raw::Postgres(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
                let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut c).await.expect(sql);
                c.close().await.ok();
                n
            }
        }
    }

    async fn execute(&self, sql: &str) {
        match self {
            Raw::Sqlite(p) => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", p.display()))
                    .await
                    .expect("connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
                c.close().await.ok();
            }
            Raw::Postgres(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
                c.close().await.ok();
            }
        }
    }
}

/// Like `both_backends!`, for suite functions that also look at the tables.
macro_rules! both_backends_raw {
    ($($name:ident),* $(,)?) => {
        mod sqlite_raw {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::sqlite_db().await;
                    let raw = super::Raw::Sqlite(db._dir.path().join("hfr.sqlite"));
                    super::$name(db.store.clone(), raw).await;
                }
            )*
        }
        mod postgres_raw {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = super::pg_db().await else { return };
                    let raw = super::Raw::Postgres(super::with_database(&db.admin_url, &db.name));
                    super::$name(db.store.clone(), raw).await;
                }
            )*
        }
    };
}

both_backends_raw!(
    a_month_is_kept_once_with_its_alerts,
    a_later_version_revises_only_the_changed_alerts,
    an_older_version_of_a_month_changes_nothing,
    an_analysts_action_survives_a_re_import,
    a_failed_import_of_a_month_stores_nothing,
    releases_are_listed_newest_first,
    many_alerts_are_read_in_the_order_asked,
);

const SOURCES: &str = "SELECT COUNT(*) FROM sources";

fn vendor_alert(id: &str, release: &str, supersedence: &str) -> Alert {
    Alert {
        id: id.into(),
        release: Some(release.into()),
        title: format!("{id} Remote Code Execution Vulnerability"),
        registered: Some(d("2017-03-14")),
        updated: Some(d("2017-03-14")),
        severity: Some(Severity::Important),
        action: Some(Action::ApplySoon),
        action_rule: Some(ActionRule::CriticalOrImportant),
        vendor_revisions: vec![VendorRevision {
            number: "1.0".into(),
            date: Some(t("2017-03-14T07:00:00Z")),
            description: "Information published.".into(),
        }],
        products: vec![ProductFacts {
            id: "10816".into(),
            name: "Windows 10 for x64-based Systems".into(),
            family: Some("Windows".into()),
            severity: Some(Severity::Important),
            vendor_severity: Some("Important".into()),
            remediations: vec![Remediation {
                kind: RemediationKind::VendorFix,
                kb: Some("4012606".into()),
                description: None,
                url: None,
                fixed_build: None,
                restart_required: Some(RestartRequired::Yes),
                supersedence: Some(supersedence.into()),
                supersedes: vec![format!("KB{supersedence}")],
                sub_type: Some("Security Update".into()),
                affected_files: Vec::new(),
            }],
            ..ProductFacts::default()
        }],
        ..Alert::default()
    }
}

/// A month of `n` alerts, as the importer would hand it over.
fn month(id: &str, n: usize) -> ReleaseImport {
    let alerts: Vec<Alert> = (0..n)
        .map(|i| vendor_alert(&format!("CVE-2017-{:04}", i + 1), id, "3210720"))
        .collect();
    let release = Release {
        id: id.into(),
        title: format!("{id} Security Updates"),
        initial_release: Some(t("2017-03-14T07:00:00Z")),
        current_release: Some(t("2017-03-14T07:00:00Z")),
        revision: Some("1".into()),
        alerts: alerts
            .iter()
            .map(|a| ReleaseAlert {
                id: a.id.clone(),
                title: a.title.clone(),
                severity: a.severity,
                tags: Vec::new(),
            })
            .collect(),
        ..Release::default()
    };
    // A document of some size, different for every version.
    let text = format!(
        "<cvrfdoc>{id} revision 1 {}</cvrfdoc>",
        "<Vulnerability/>".repeat(4096)
    );
    ReleaseImport {
        release,
        alerts,
        source: Source {
            kind: SourceKind::Import,
            name: format!("{id}.xml"),
            format: "cvrf-xml".into(),
            sha256: Some("cd".repeat(32)),
            text: Some(text),
        },
        force: false,
    }
}

/// `m` as the vendor's next version: a later revision of the document, with
/// a new text.
fn next_version(m: &ReleaseImport, revision: &str, current: &str) -> ReleaseImport {
    let mut next = m.clone();
    next.release.revision = Some(revision.into());
    next.release.current_release = Some(t(current));
    next.source.text = Some(format!(
        "{} revision {revision}",
        m.source.text.clone().unwrap_or_default()
    ));
    next
}

async fn a_month_is_kept_once_with_its_alerts(store: Arc<dyn Store>, raw: Raw) {
    let m = month("2017-Mar", 30);
    let text = m.source.text.clone().unwrap();
    let (release, alerts) = store.import_release(m.clone()).await.unwrap();
    assert_eq!(
        release,
        ReleaseOutcome::Created {
            id: "2017-Mar".into(),
            revision: 1
        }
    );
    assert_eq!(alerts.len(), 30);
    assert!(alerts
        .iter()
        .all(|o| matches!(o, Outcome::Created { revision: 1, .. })));

    // One copy of the document, however many alerts it made.
    assert_eq!(raw.count(SOURCES).await, 1);
    assert_eq!(
        raw.count("SELECT COUNT(DISTINCT source_id) FROM alert_revisions")
            .await,
        1
    );
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM releases r JOIN sources s ON s.id = r.source_id")
            .await,
        1
    );
    for i in [1, 17, 30] {
        let id = format!("CVE-2017-{i:04}");
        let source = store.source(&id, 1).await.unwrap().expect("a source");
        assert_eq!(source.text.as_deref(), Some(text.as_str()), "{id}");
        assert_eq!(source.format, "cvrf-xml");
        assert_eq!(source.name, "2017-Mar.xml");
    }
    // Kept deflated: the row holds a fraction of the text's bytes, and its
    // length and hash are the text's.
    assert_eq!(
        raw.count(&format!(
            "SELECT COUNT(*) FROM sources WHERE text = '' AND bytes = {} \
             AND length(deflated) * 10 < bytes",
            text.len()
        ))
        .await,
        1
    );
    // A damaged row is an error that names what is wrong, not a wrong text.
    raw.execute("UPDATE sources SET bytes = bytes + 1").await;
    let err = store
        .source("CVE-2017-0001", 1)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CVE-2017-0001") && err.contains("inflates to"),
        "{err}"
    );
    raw.execute("UPDATE sources SET bytes = bytes - 1").await;

    let stored = store.release("2017-MAR").await.unwrap().expect("stored");
    assert_eq!(stored.release, m.release);
    assert_eq!(stored.revision, 1);
    assert_eq!(stored.created_at, stored.recorded_at);
    assert_eq!(store.releases().await.unwrap(), vec![stored.clone()]);
    assert_eq!(store.release("2017-Apr").await.unwrap(), None);

    // The same document again: nothing written, not even its text.
    let generation = store.generation().await.unwrap();
    let (release, alerts) = store.import_release(m.clone()).await.unwrap();
    assert!(matches!(
        release,
        ReleaseOutcome::Unchanged { revision: 1, .. }
    ));
    assert!(alerts
        .iter()
        .all(|o| matches!(o, Outcome::Unchanged { .. })));
    assert_eq!(store.generation().await.unwrap(), generation);
    assert_eq!(raw.count(SOURCES).await, 1);

    // A page with the very same text shares the row too.
    let mut page = item(alert("MS17-010", "2017-03-14"));
    page.source.text = Some(text.clone());
    store.import(vec![page]).await.unwrap();
    assert_eq!(raw.count(SOURCES).await, 1);
    let mut other = item(alert("MS17-011", "2017-03-14"));
    other.source.text = Some("another page".into());
    store.import(vec![other]).await.unwrap();
    assert_eq!(raw.count(SOURCES).await, 2);
}

async fn a_later_version_revises_only_the_changed_alerts(store: Arc<dyn Store>, raw: Raw) {
    let v1 = month("2017-Mar", 3);
    store.import_release(v1.clone()).await.unwrap();
    let before = store.generation().await.unwrap();

    let mut v2 = next_version(&v1, "2", "2017-04-11T07:00:00Z");
    let changed = &mut v2.alerts[1].products[0].remediations[0];
    changed.supersedence = Some("3210721".into());
    changed.supersedes = vec!["KB3210721".into()];
    let (release, alerts) = store.import_release(v2.clone()).await.unwrap();
    assert_eq!(
        release,
        ReleaseOutcome::Revised {
            id: "2017-Mar".into(),
            revision: 2
        }
    );
    assert!(matches!(alerts[0], Outcome::Unchanged { revision: 1, .. }));
    assert!(matches!(alerts[2], Outcome::Unchanged { revision: 1, .. }));
    match &alerts[1] {
        Outcome::Revised {
            id,
            revision,
            changes,
        } => {
            assert_eq!((id.as_str(), *revision), ("CVE-2017-0002", 2));
            let p = paths(changes);
            assert!(
                p.contains(&"products[0].remediations[0].supersedence"),
                "{p:?}"
            );
        }
        other => panic!("expected a revision, got {other:?}"),
    }
    assert_ne!(store.generation().await.unwrap(), before);

    // The new revision refers to the new version of the document, the
    // others still to the first.
    assert_eq!(raw.count(SOURCES).await, 2);
    let text = |s: Option<Source>| s.and_then(|s| s.text);
    assert_eq!(
        text(store.source("CVE-2017-0002", 2).await.unwrap()),
        v2.source.text
    );
    assert_eq!(
        text(store.source("CVE-2017-0001", 1).await.unwrap()),
        v1.source.text
    );
    let stored = store.release("2017-Mar").await.unwrap().unwrap();
    assert_eq!(stored.revision, 2);
    assert_eq!(stored.release.revision.as_deref(), Some("2"));
    assert!(stored.recorded_at >= stored.created_at);
    assert_eq!(
        store.history("CVE-2017-0002").await.unwrap()[1]
            .source
            .format,
        "cvrf-xml"
    );
}

async fn an_older_version_of_a_month_changes_nothing(store: Arc<dyn Store>, raw: Raw) {
    let v1 = month("2017-Mar", 2);
    let mut v2 = next_version(&v1, "2", "2017-04-11T07:00:00Z");
    v2.alerts[0].summary = Some("revised".into());
    store.import_release(v2.clone()).await.unwrap();
    let generation = store.generation().await.unwrap();

    let (release, alerts) = store.import_release(v1.clone()).await.unwrap();
    assert!(
        matches!(release, ReleaseOutcome::Stale { revision: 1, .. }),
        "{release:?}"
    );
    assert!(
        alerts
            .iter()
            .all(|o| matches!(o, Outcome::Stale { revision: 1, .. })),
        "{alerts:?}"
    );
    assert_eq!(store.generation().await.unwrap(), generation);
    assert_eq!(raw.count(SOURCES).await, 1);
    assert_eq!(
        store
            .get("CVE-2017-0001")
            .await
            .unwrap()
            .unwrap()
            .alert
            .summary,
        Some("revised".into())
    );

    // Forced, it is recorded.
    let forced = ReleaseImport { force: true, ..v1 };
    let (release, alerts) = store.import_release(forced).await.unwrap();
    assert!(matches!(
        release,
        ReleaseOutcome::Revised { revision: 2, .. }
    ));
    assert!(matches!(alerts[0], Outcome::Revised { revision: 2, .. }));
    assert!(matches!(alerts[1], Outcome::Unchanged { .. }));
}

async fn an_analysts_action_survives_a_re_import(store: Arc<dyn Store>, raw: Raw) {
    let v1 = month("2017-Mar", 2);
    store.import_release(v1.clone()).await.unwrap();

    // The analyst lowers the action; the rule was left as it was, so the
    // store records it as the analyst's.
    let mut edited = store.get("CVE-2017-0001").await.unwrap().unwrap().alert;
    edited.action = Some(Action::WaitForSp);
    let edit = ImportItem {
        alert: edited,
        source: Source {
            kind: SourceKind::Edit,
            name: "analyst".into(),
            format: "json".into(),
            sha256: None,
            text: None,
        },
        force: true,
    };
    store.import(vec![edit.clone()]).await.unwrap();
    let now = store.get("CVE-2017-0001").await.unwrap().unwrap();
    assert_eq!(now.alert.action, Some(Action::WaitForSp));
    assert_eq!(now.alert.action_rule, Some(ActionRule::Analyst));
    // The edit moved 更新日 to today, after the vendor's dates.
    assert!(now.alert.updated > Some(d("2017-03-14")));

    // The vendor's next version changes a fact of that alert: a revision,
    // whose action is still the analyst's.
    let mut v2 = next_version(&v1, "2", "2017-04-11T07:00:00Z");
    v2.alerts[0].products[0].remediations[0].fixed_build = Some("10.0.10240.17319".into());
    let (_, alerts) = store.import_release(v2.clone()).await.unwrap();
    match &alerts[0] {
        Outcome::Revised {
            revision, changes, ..
        } => {
            assert_eq!(*revision, 3);
            let p = paths(changes);
            assert!(!p.iter().any(|p| p.starts_with("action")), "{p:?}");
            assert!(p.contains(&"products[0].remediations[0].fixed_build"));
        }
        other => panic!("expected a revision, got {other:?}"),
    }
    let now = store.get("CVE-2017-0001").await.unwrap().unwrap();
    assert_eq!(now.alert.action, Some(Action::WaitForSp));
    assert_eq!(now.alert.action_rule, Some(ActionRule::Analyst));
    // The same version again is no revision.
    let (_, alerts) = store.import_release(v2).await.unwrap();
    assert!(matches!(alerts[0], Outcome::Unchanged { revision: 3, .. }));

    // An edit that names a rule itself is taken as written: the analyst
    // hands the decision back to the default rule.
    let mut back = now.alert.clone();
    back.action = Some(Action::ApplySoon);
    back.action_rule = Some(ActionRule::CriticalOrImportant);
    store
        .import(vec![ImportItem {
            alert: back,
            ..edit
        }])
        .await
        .unwrap();
    let now = store.get("CVE-2017-0001").await.unwrap().unwrap();
    assert_eq!(now.alert.action_rule, Some(ActionRule::CriticalOrImportant));
    assert_eq!(raw.count(SOURCES).await, 2);
}

async fn a_failed_import_of_a_month_stores_nothing(store: Arc<dyn Store>, raw: Raw) {
    let empty = store.generation().await.unwrap();
    let mut bad = month("2017-Mar", 5);
    bad.alerts[3].id = "CVE 2017 0004".into();
    let err = store.import_release(bad).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidAlert { id, .. } if id == "CVE 2017 0004"),
        "{err:?}"
    );
    let mut bad_id = month("2017-Mar", 1);
    bad_id.release.id = "2017 Mar".into();
    assert!(matches!(
        store.import_release(bad_id).await,
        Err(StoreError::InvalidRelease { .. })
    ));
    // A good month and a bad page in one batch: neither is stored.
    let err = store
        .import_entries(vec![
            ImportEntry::Release(month("2017-Apr", 3)),
            ImportEntry::Alert(item(alert("", "2017-04-11"))),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidAlert { .. }), "{err:?}");

    assert_eq!(store.generation().await.unwrap(), empty);
    assert_eq!(store.count(&AlertFilter::default()).await.unwrap(), 0);
    assert!(store.releases().await.unwrap().is_empty());
    assert_eq!(store.release("2017-Apr").await.unwrap(), None);
    assert_eq!(raw.count(SOURCES).await, 0);
    assert_eq!(raw.count("SELECT COUNT(*) FROM alert_revisions").await, 0);
}

async fn releases_are_listed_newest_first(store: Arc<dyn Store>, _raw: Raw) {
    let dated = |id: &str, first: &str| {
        let mut m = month(id, 0);
        m.release.initial_release = Some(t(first));
        m.release.current_release = Some(t(first));
        m.source.text = Some(format!("document {id}"));
        m
    };
    let mut undated = dated("undated", "2017-01-01T00:00:00Z");
    undated.release.initial_release = None;
    undated.release.current_release = None;
    let out = store
        .import_entries(vec![
            ImportEntry::Release(dated("2017-Feb", "2017-02-14T08:00:00Z")),
            ImportEntry::Release(undated),
            ImportEntry::Release(dated("Oct-OOB", "2016-10-27T07:00:00Z")),
            ImportEntry::Release(dated("2017-Mar", "2017-03-14T07:00:00Z")),
        ])
        .await
        .unwrap();
    assert_eq!(out.len(), 4);
    let ids: Vec<String> = store
        .releases()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.release.id)
        .collect();
    assert_eq!(ids, ["2017-Mar", "2017-Feb", "Oct-OOB", "undated"]);
    // A release of no alerts (Microsoft's 2017-May-B lists none) is kept.
    assert!(store
        .release("2017-feb")
        .await
        .unwrap()
        .unwrap()
        .release
        .alerts
        .is_empty());
}

async fn many_alerts_are_read_in_the_order_asked(store: Arc<dyn Store>, _raw: Raw) {
    store.import_release(month("2017-Mar", 3)).await.unwrap();
    let got = store
        .get_many(&[
            "cve-2017-0003".to_string(),
            "CVE-2099-0001".to_string(),
            "CVE-2017-0001".to_string(),
        ])
        .await
        .unwrap();
    let ids: Vec<&str> = got.iter().map(|s| s.alert.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2017-0003", "CVE-2017-0001"]);
    assert!(store.get_many(&[]).await.unwrap().is_empty());
    // More ids than one query binds.
    let many: Vec<String> = (0..1200).map(|i| format!("CVE-2017-{i:04}")).collect();
    assert_eq!(store.get_many(&many).await.unwrap().len(), 3);
}

/// An archive made before source documents were kept once: the schema of
/// the first three migrations, with texts on the revisions (two revisions
/// sharing one). Returns the texts.
async fn write_an_archive_of_the_old_schema(raw: &Raw, dir: &str) -> (String, String) {
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    let old = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(&migrations).unwrap() {
        let f = f.unwrap().path();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "20260401000000" {
            std::fs::copy(&f, old.path().join(&name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(old.path()).await.unwrap();
    match raw {
        Raw::Sqlite(p) => {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(p)
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
            migrator.run(&pool).await.unwrap();
            pool.close().await;
        }
        Raw::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            migrator.run(&pool).await.unwrap();
            pool.close().await;
        }
    }
    let page = "HotFix Alert:2004/11/11日版\n本文 ✓ 'quoted'";
    let other = "another page";
    let doc = serde_json::to_string(&alert("MS04-039", "2004-11-11")).unwrap();
    raw.execute(&format!(
        "INSERT INTO alerts (id, id_key, revision, title, created_at, recorded_at, document) \
         VALUES ('MS04-039', 'MS04-039', 3, 't', '2026-01-01T00:00:00.000000Z', \
         '2026-01-01T00:00:00.000000Z', '{doc}');"
    ))
    .await;
    for (rev, text) in [
        (1, Some(page)),
        (2, Some(page)),
        (3, Some(other)),
        (4, None),
    ] {
        let text = text.map_or("NULL".to_string(), |t| {
            format!("'{}'", t.replace('\'', "''"))
        });
        raw.execute(&format!(
            "INSERT INTO alert_revisions (alert_id, revision, recorded_at, source_kind, \
             source_name, source_format, source_text, changes, document) \
             VALUES ('MS04-039', {rev}, '2026-01-01T00:00:00.000000Z', 'import', 'p.txt', \
             'hotfix-text', {text}, '[]', '{doc}');"
        ))
        .await;
    }
    (page.to_string(), other.to_string())
}

/// After the migration the texts are in `sources`, once each, keyed by
/// their SHA-256, and read back as before; importing one again finds it.
async fn texts_move_to_sources(raw: Raw, location: DbLocation) {
    let dir = match raw {
        Raw::Sqlite(_) => "sqlite",
        Raw::Postgres(_) => "postgres",
    };
    let (page, other) = write_an_archive_of_the_old_schema(&raw, dir).await;
    let store = hfr_store::open(&location).await.expect("migrate");
    for (rev, text) in [
        (1, Some(&page)),
        (2, Some(&page)),
        (3, Some(&other)),
        (4, None),
    ] {
        let source = store.source("MS04-039", rev).await.unwrap().unwrap();
        assert_eq!(source.text.as_ref(), text, "revision {rev}");
        assert_eq!(source.name, "p.txt");
        // Every revision's JSON reads as before, though the current one's
        // (3) is now kept in the alert's row only.
        let r = store.get_revision("MS04-039", rev).await.unwrap().unwrap();
        assert_eq!(r.alert, alert("MS04-039", "2004-11-11"), "revision {rev}");
    }
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM alert_revisions WHERE document IS NULL")
            .await,
        1
    );
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM alert_revisions WHERE document IS NULL AND revision = 3")
            .await,
        1
    );
    assert_eq!(raw.count(SOURCES).await, 2);
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM sources WHERE sha256 IS NULL")
            .await,
        0
    );
    let mut again = item(alert("MS05-001", "2005-01-12"));
    again.source.text = Some(page.clone());
    store.import(vec![again]).await.unwrap();
    assert_eq!(raw.count(SOURCES).await, 2);
}

#[tokio::test]
async fn sqlite_texts_move_to_sources() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    texts_move_to_sources(Raw::Sqlite(path.clone()), DbLocation::Sqlite(path)).await;
}

#[tokio::test]
async fn postgres_texts_move_to_sources() {
    let Some((admin_url, name)) = create_pg_database().await else {
        return;
    };
    let db = PgName { admin_url, name };
    let url = db.url();
    texts_move_to_sources(Raw::Postgres(url.clone()), DbLocation::Postgres(url)).await;
}
