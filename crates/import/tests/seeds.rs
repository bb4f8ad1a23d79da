//! The five seed pages, read end to end and compared field by field with
//! values written by hand from the pages. Facts (ids, KBs, dates, packages,
//! files, registry keys, times) are compared in full; prose is checked by
//! short fragments and paragraph counts.

mod common;

use chrono::NaiveDate;
use hfr_model::*;

fn d(s: &str) -> Option<NaiveDate> {
    Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn f(
    branch: Option<&str>,
    path: &str,
    name: &str,
    date: &str,
    version: &str,
    size: u64,
    desc: &str,
) -> PackageFile {
    PackageFile {
        branch: branch.map(str::to_string),
        path: path.into(),
        name: name.into(),
        date: d(date),
        version: Some(version.into()),
        size: Some(size),
        description: Some(desc.into()),
    }
}

fn pkg(
    platform: &str,
    file: &str,
    date: &str,
    version: &str,
    size: u64,
    files: Vec<PackageFile>,
) -> Package {
    Package {
        platform: Some(platform.into()),
        file: file.into(),
        date: d(date),
        version: Some(version.into()),
        size: Some(size),
        files,
        reference_files: vec![],
    }
}

fn reboot(product: Option<&str>, required: RebootRequired, note: Option<&str>) -> Reboot {
    Reboot {
        product: product.map(str::to_string),
        required,
        note: note.map(str::to_string),
    }
}

fn bulletin(label: &str, locale: &str) -> Reference {
    Reference {
        kind: ReferenceKind::Bulletin,
        label: label.into(),
        locale: Some(locale.into()),
        url: None,
        note: None,
    }
}

fn faq(label: &str) -> Reference {
    Reference {
        kind: ReferenceKind::Faq,
        label: label.into(),
        locale: None,
        url: None,
        note: Some("セキュリティ情報".into()),
    }
}

fn affected(rows: &[(&str, &str)]) -> Vec<Affected> {
    rows.iter()
        .map(|(s, p)| Affected {
            software: (*s).into(),
            platforms: (*p).into(),
        })
        .collect()
}

fn lab(rows: &[&str], result: Option<LabResult>) -> Vec<LabTest> {
    rows.iter()
        .map(|p| LabTest {
            platform: (*p).into(),
            result,
            note: None,
        })
        .collect()
}

fn dl(platform: &str, update: Option<&str>, note: Option<&str>) -> Download {
    Download {
        platform: platform.into(),
        update_name: update.map(str::to_string),
        note: note.map(str::to_string),
        channel: None,
    }
}

/// The downloads without their channel (asserted once per page by `channel`).
fn download_rows(downloads: &[Download]) -> Vec<Download> {
    downloads
        .iter()
        .cloned()
        .map(|d| Download { channel: None, ..d })
        .collect()
}

/// The one channel every download row of a page names.
fn channel(downloads: &[Download]) -> Option<String> {
    let first = downloads.first()?.channel.clone();
    assert!(
        downloads.iter().all(|d| d.channel == first),
        "rows disagree on the channel"
    );
    first
}

fn filelist(platforms: &str, key: &str) -> Verification {
    Verification {
        platforms: platforms.into(),
        registry_key: key.into(),
        check: VerificationCheck::FileList,
    }
}

fn roll(package: &str, platform: Option<&str>, m: [u32; 4]) -> Rollout {
    Rollout {
        package: package.into(),
        platform: platform.map(str::to_string),
        minutes: [(50, m[0]), (100, m[1]), (250, m[2]), (500, m[3])].into(),
    }
}

fn paragraphs(s: &Option<String>) -> usize {
    s.as_deref().map_or(0, |t| t.split("\n\n").count())
}

fn tool(a: &Alert) -> Vec<Option<&str>> {
    a.tool_display
        .iter()
        .map(|t| t.platform.as_deref())
        .collect()
}

const NO_MARK: Option<LabResult> = None;

#[test]
#[should_panic(expected = "the seed pages are missing")]
fn missing_seeds_fail_under_ci() {
    common::seeds_dir_at(std::path::Path::new("/nonexistent/shared/seeds"), true);
}

#[test]
fn missing_seeds_are_only_a_notice_elsewhere() {
    assert!(
        common::seeds_dir_at(std::path::Path::new("/nonexistent/shared/seeds"), false).is_none()
    );
}

#[test]
fn seed_000_ms04_035() {
    let Some(p) = common::seed("000") else { return };
    let a = &p.alert;
    assert_eq!(p.encoding, "UTF-8");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(a.id, "MS04-035");
    assert_eq!(a.kbs, ["885881", "885882"]);
    assert_eq!(
        (a.edition, a.registered, a.updated),
        (d("2004-10-16"), d("2004-10-15"), d("2004-10-16"))
    );
    assert_eq!(a.severity, Some(Severity::Critical));
    assert_eq!(a.exploit_code, Some(false));
    assert_eq!(a.action, Some(Action::ApplyNow));
    // Reboot per product; the note is checked by a fragment.
    assert_eq!(a.reboot.len(), 2);
    assert_eq!(
        (a.reboot[0].product.as_deref(), a.reboot[0].required),
        (Some("Exchange Server 2003"), RebootRequired::No)
    );
    assert!(a.reboot[0]
        .note
        .as_deref()
        .unwrap()
        .starts_with("IISサービス"));
    assert_eq!(
        a.reboot[1],
        reboot(Some("Windows Server 2003"), RebootRequired::Yes, None)
    );
    assert_eq!(a.uninstall, None);
    assert_eq!(
        a.target,
        Some(Target {
            server: true,
            client: false
        })
    );
    assert_eq!(
        a.references,
        [
            bulletin("MS04-035", "ja"),
            bulletin("MS04-035", "en-US"),
            faq("fq04-035")
        ]
    );
    assert!(a.supersedes.is_empty());
    assert!(a.title.starts_with("SMTPの未チェック・バッファ"));
    assert!(a
        .vendor_title
        .as_deref()
        .unwrap()
        .starts_with("SMTP の脆弱性"));
    assert_eq!(
        a.urgency,
        Some(Urgency {
            text: "適用作業の至急開始".into(),
            exploit_published: None,
            attacks_seen: None
        })
    );
    assert_eq!(paragraphs(&a.risk), 2);
    assert!(a.risk.as_deref().unwrap().contains("SQL Slammer"));
    assert_eq!(
        (a.attack_vectors.as_ref(), a.impacts.as_ref()),
        (None, None)
    );
    assert_eq!(paragraphs(&a.summary), 2);
    assert!(a.summary.as_deref().unwrap().contains("DoS"));
    assert!(a.vulnerabilities.is_empty());
    assert_eq!(
        a.affected,
        affected(&[
            ("Exchange Server 2003", "Exchange Server 2003 SP未適用"),
            ("Windows Server 2003", "Windows Server 2003"),
        ])
    );
    assert_eq!(
        a.lab_tests,
        lab(
            &[
                "Exchange Server 2003 SP未適用",
                "Windows Server 2003, Standard Edition",
                "Windows Server 2003, Enterprise Edition"
            ],
            NO_MARK
        )
    );
    assert_eq!(a.lab_notes.len(), 5);
    assert!(a.lab_notes[0].title.starts_with("Exchange Server 2003向け"));
    assert!(a.lab_notes[3]
        .text
        .contains("http://www.hotfix.jp/archives/alert/2004/news04-0526.html#02"));
    assert!(a.lab_notes[4].title.contains("MBSA 1.21"));
    assert_eq!(a.lab_notes[4].text.split("\n\n").count(), 4);
    assert_eq!(paragraphs(&a.details), 2);
    assert!(a.details.as_deref().unwrap().contains("DNS照合"));
    assert_eq!(
        download_rows(&a.downloads),
        [
            dl("Exchange Server 2003", None, None),
            dl(
                "Windows Server 2003",
                Some("Windows Server 2003用セキュリティ更新プログラム (KB885881)"),
                None
            ),
        ]
    );
    assert_eq!(channel(&a.downloads).as_deref(), Some("Windows Update/SUS"));
    assert_eq!(
        a.packages,
        [
            pkg(
                "Exchange Server 2003",
                "Exchange2003-KB885882-x86-JPN.exe",
                "2004-09-23",
                "6.5.6980.98",
                532_216,
                vec![f(
                    None,
                    "%EXSRVROOT%\\bin\\",
                    "reapi.dll",
                    "2004-09-09",
                    "6.5.6980.98",
                    823_808,
                    "Mail Routing Engine"
                )]
            ),
            pkg(
                "Windows Server 2003",
                "WindowsServer2003-KB885881-x86-jpn.EXE",
                "2004-09-27",
                "1.0.0.0",
                524_528,
                vec![
                    f(
                        Some("RTMGDR"),
                        "%SystemRoot%\\system32\\inetsrv\\",
                        "smtpsvc.dll",
                        "2004-09-16",
                        "6.0.3790.211",
                        435_712,
                        "SMTP Service"
                    ),
                    f(
                        Some("RTMQFE"),
                        "%SystemRoot%\\system32\\inetsrv\\",
                        "smtpsvc.dll",
                        "2004-09-16",
                        "6.0.3790.211",
                        439_808,
                        "SMTP Service"
                    ),
                ]
            ),
        ]
    );
    assert_eq!(
        a.verification,
        [
            filelist("Exchange Server 2003", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Exchange Server 2003\\SP1\\KB885882\\Filelist"),
            filelist("Windows Server 2003", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows Server 2003\\SP1\\KB885881\\Filelist"),
        ]
    );
    assert_eq!(a.workarounds.len(), 2);
    assert_eq!(a.workarounds[0].title, None);
    assert!(a.workarounds[1]
        .title
        .as_deref()
        .unwrap()
        .contains("TCPポート53番"));
    assert!(a.workarounds[1].text.contains("UDP"));
    assert_eq!(
        a.rollout,
        [roll(
            "WindowsServer2003-KB885881-x86-jpn.EXE",
            Some("Windows Server 2003"),
            [34, 43, 68, 110]
        )]
    );
    assert!(a
        .rollout_basis
        .as_deref()
        .unwrap()
        .starts_with("1コンソールのUpdateEXPERT 6.1"));
    assert_eq!(
        tool(a),
        [
            Some("Exchange Server 2003"),
            Some("Windows Server 2003+IIS 6.0")
        ]
    );
    assert_eq!(a.tool_display[0].text, "対応予定");
    let t = &a.tool_display[1].text;
    assert!(t.contains("UpdateEXPERT 5.1:サポート対象外"));
    assert!(t.contains("名前:WindowsServer2003-KB885881-x86-jpn.EXE"));
    assert!(a.additions.is_empty());
    assert!(a.notes.is_empty());
}

#[test]
fn seed_001_ms04_045() {
    let Some(p) = common::seed("001") else { return };
    let a = &p.alert;
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(a.id, "MS04-045");
    assert_eq!(a.kbs, ["870763"]);
    // Edition split over two lines.
    assert_eq!(
        (a.edition, a.registered, a.updated),
        (d("2004-12-16"), d("2004-12-15"), d("2004-12-16"))
    );
    // The second option is the flush one.
    assert_eq!(a.severity, Some(Severity::Important));
    assert_eq!(a.exploit_code, Some(true));
    assert_eq!(a.action, Some(Action::ApplySoon));
    assert_eq!(a.reboot.len(), 1);
    assert_eq!(
        (a.reboot[0].product.as_deref(), a.reboot[0].required),
        (None, RebootRequired::Conditional)
    );
    assert!(a.reboot[0].note.as_deref().unwrap().ends_with("場合は不要"));
    assert_eq!(a.uninstall, None);
    assert_eq!(
        a.target,
        Some(Target {
            server: true,
            client: false
        })
    );
    assert_eq!(
        a.references,
        [
            bulletin("MS04-045", "ja"),
            bulletin("MS04-045", "en-US"),
            faq("fq04-045")
        ]
    );
    assert!(a.supersedes.is_empty());
    assert!(a.title.starts_with("WINSにおける"));
    assert!(a
        .vendor_title
        .as_deref()
        .unwrap()
        .starts_with("WINS の脆弱性"));
    assert_eq!(a.urgency.as_ref().unwrap().text, "適用作業の早期開始");
    assert_eq!(paragraphs(&a.risk), 3);
    assert!(a.risk.as_deref().unwrap().contains("SBS 2000/2003"));
    let summary = a.summary.as_deref().unwrap();
    assert_eq!(paragraphs(&a.summary), 7);
    assert!(summary.contains("\n\n■コンピュータ名の検証処理の脆弱性\n"));
    assert!(summary.contains("http://www.hotfix.jp/archives/alert/2004/news04-1208.html#01"));
    assert!(summary.contains("TCP/UDPポート42番"));
    assert_eq!(
        a.affected,
        affected(&[
            ("Windows NT Server 4.0", "Windows NT Server 4.0 SP6a"),
            (
                "Windows NT Server 4.0 Terminal Server Edition",
                "Windows NT Server 4.0 Terminal Server Edition, SP6"
            ),
            ("Windows 2000 Server", "Windows 2000 Server SP3/SP4"),
            ("Windows Server 2003", "Windows Server 2003"),
        ])
    );
    assert_eq!(
        a.lab_tests,
        lab(
            &[
                "Windows NT Server 4.0 SP6a",
                "Windows NT Server 4.0, Enterprise Edition SP6a",
                "Windows 2000 Server SP3",
                "Windows 2000 Server SP4",
                "Windows 2000 Advanced Server SP3",
                "Windows 2000 Advanced Server SP4",
                "Windows Server 2003, Standard Edition",
                "Windows Server 2003, Enterprise Edition",
            ],
            NO_MARK
        )
    );
    assert_eq!(a.lab_notes.len(), 3);
    assert!(a.lab_notes[2].text.contains("(870763)"));
    assert_eq!(a.details, None);
    assert_eq!(
        download_rows(&a.downloads),
        [
            dl(
                "Windows NT Server 4.0 SP6a",
                Some("Windows NT 用セキュリティ更新プログラム (KB870763)"),
                None
            ),
            dl(
                "Windows NT Server 4.0 Terminal Server Edition, SP6",
                None,
                None
            ),
            dl(
                "Windows 2000 Server SP3/SP4",
                Some("Windows 2000 用セキュリティ更新プログラム (KB870763)"),
                None
            ),
            dl(
                "Windows Server 2003",
                Some("Windows Server 2003 用セキュリティ更新プログラム (KB870763)"),
                None
            ),
        ]
    );
    assert_eq!(
        channel(&a.downloads).as_deref(),
        Some("Windows Update/Office Update/SUS")
    );
    let sys32 = "%SystemRoot%\\system32\\";
    assert_eq!(
        a.packages,
        [
            pkg(
                "Windows NT Server 4.0 SP6a",
                "WindowsNT4Server-KB870763-x86-JPN.exe",
                "2004-12-02",
                "5.4.15.0",
                173_296,
                vec![f(
                    None,
                    sys32,
                    "wins.exe",
                    "2004-12-01",
                    "4.0.1381.7332",
                    207_600,
                    "WINS SERVER"
                )]
            ),
            pkg(
                "Windows NT Server 4.0 Terminal Server Edition, SP6",
                "WindowsNT4TerminalServer-KB870763-x86-JPN.exe",
                "2004-12-02",
                "5.4.15.0",
                173_424,
                vec![f(
                    None,
                    sys32,
                    "wins.exe",
                    "2004-12-02",
                    "4.0.1381.39817",
                    207_600,
                    "WINS SERVER"
                )]
            ),
            pkg(
                "Windows 2000 Server SP3/SP4",
                "Windows2000-KB870763-x86-JPN.EXE",
                "2004-12-02",
                "1.0.0.0",
                401_912,
                vec![f(
                    None,
                    sys32,
                    "wins.exe",
                    "2004-12-02",
                    "5.0.2195.7005",
                    146_192,
                    "WINS SERVER"
                )]
            ),
            pkg(
                "Windows Server 2003",
                "WindowsServer2003-KB870763-x86-jpn.exe",
                "2004-12-02",
                "1.0.0.0",
                405_232,
                vec![
                    f(
                        Some("RTMGDR"),
                        sys32,
                        "wins.exe",
                        "2004-12-02",
                        "5.2.3790.239",
                        144_896,
                        "WINS SERVER"
                    ),
                    f(
                        Some("RTMQFE"),
                        sys32,
                        "wins.exe",
                        "2004-12-02",
                        "5.2.3790.239",
                        145_408,
                        "WINS SERVER"
                    ),
                ]
            ),
        ]
    );
    assert_eq!(
        a.verification,
        [
            Verification {
                platforms: "Windows NT Server 4.0 SP6a/Terminal Server Edition SP6".into(),
                registry_key: "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\KB870763".into(),
                check: VerificationCheck::Value { name: "Installed".into(), data: "1".into() },
            },
            filelist("Windows 2000 SP3/SP4", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB870763\\Filelist"),
            filelist("Windows Server 2003", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows Server 2003\\SP1\\KB870763\\Filelist"),
        ]
    );
    assert!(a.workarounds.is_empty());
    assert_eq!(
        a.rollout,
        [
            roll(
                "WindowsNT4Server-KB870763-x86-JPN.exe",
                Some("Windows NT Server 4.0 SP6a"),
                [24, 33, 58, 100]
            ),
            roll(
                "Windows2000-KB870763-x86-JPN.EXE",
                Some("Windows 2000 SP3/SP4"),
                [24, 33, 58, 100]
            ),
            roll(
                "WindowsServer2003-KB870763-x86-jpn.exe",
                Some("Windows Server 2003"),
                [24, 33, 58, 100]
            ),
        ]
    );
    assert!(a.rollout_basis.is_some());
    assert_eq!(
        tool(a),
        [
            Some("Windows NT Server 4.0 SP6a"),
            Some("Windows NT Server 4.0 Terminal Server Edition SP6"),
            Some("Windows 2000 Server SP3/SP4"),
            Some("Windows Server 2003"),
        ]
    );
    assert!(a.tool_display[0]
        .text
        .contains("名前:NT4SVR-KB870763-x86-JPN.exe"));
    assert_eq!(
        a.tool_display[1].text,
        "UpdateEXPERT 5.1/6.1:サポート対象外"
    );
    assert!(a.tool_display[2]
        .text
        .contains("名前:Windows2000-KB870763-x86-JPN.EXE"));
    assert_eq!(a.tool_display[3].text.lines().count(), 2);
    assert!(a.additions.is_empty() && a.notes.is_empty());
}

#[test]
fn seed_002_ms05_017_table_rendering() {
    let Some(p) = common::seed("002") else { return };
    let a = &p.alert;
    // No header at all: the edition and dates are reported missing.
    let missing: Vec<&str> = p.warnings.iter().map(|w| w.section.as_str()).collect();
    assert_eq!(
        missing,
        ["HotFix Alert", "登録日", "更新日"],
        "{:?}",
        p.warnings
    );
    // The identifier line wins over the prose, which names MS05-021 once.
    assert_eq!(a.id, "MS05-017");
    assert!(a.risk.as_deref().unwrap().contains("MS05-021"));
    assert_eq!(a.kbs, ["892944"]);
    assert_eq!((a.edition, a.registered, a.updated), (None, None, None));
    // `→` stands before the second option.
    assert_eq!(a.severity, Some(Severity::Important));
    assert_eq!(a.exploit_code, Some(false));
    assert_eq!(a.action, Some(Action::ApplySoon));
    assert_eq!(a.reboot.len(), 1);
    assert_eq!(
        (a.reboot[0].product.as_deref(), a.reboot[0].required),
        (None, RebootRequired::Conditional)
    );
    assert!(a.reboot[0].note.as_deref().unwrap().ends_with("場合は必要"));
    assert_eq!(a.uninstall, Some(true));
    assert_eq!(a.target, None);
    assert!(a.references.is_empty() && a.supersedes.is_empty());
    assert!(a.title.starts_with("MSMQの"));
    // Rejoined where the export wrapped the line.
    assert!(a
        .vendor_title
        .as_deref()
        .unwrap()
        .starts_with("メッセージ キューの脆弱性"));
    assert_eq!(a.urgency.as_ref().unwrap().text, "適用作業の早期開始");
    let risk = a.risk.as_deref().unwrap();
    assert_eq!(paragraphs(&a.risk), 3);
    assert!(risk.contains("ただしBizTalk Server 2000/2002/2004では"));
    assert!(risk.contains("またWindows Server 2003と"));
    assert!(!risk.contains("脆弱性による危険性を"));
    assert_eq!(paragraphs(&a.summary), 3);
    assert!(a
        .summary
        .as_deref()
        .unwrap()
        .contains("MSMQ HTTPメッセージ"));
    assert_eq!(
        a.affected,
        affected(&[
            ("Windows 2000", "Windows 2000 SP3/SP4"),
            ("Windows XP", "Windows XP SP1/SP1a")
        ])
    );
    assert_eq!(
        a.lab_tests,
        lab(
            &[
                "Windows 2000 Professional SP3",
                "Windows 2000 Professional SP4",
                "Windows 2000 Server SP3",
                "Windows 2000 Server SP4",
                "Windows 2000 Advanced Server SP3",
                "Windows XP Professional SP1",
                "Windows XP Professional SP1a",
            ],
            Some(LabResult::Passed)
        )
    );
    assert_eq!(a.lab_notes.len(), 4);
    assert!(a.lab_notes[0].title.starts_with("Windows XP SP1/SP1aには"));
    assert!(a.lab_notes[0]
        .text
        .contains("しかしWindows XP SP1/SP1aには"));
    assert!(a.lab_notes[1]
        .text
        .contains("Windows NT 4.0 SP6aについては"));
    assert!(a.lab_notes[3].text.contains("「メッセージ キューの脆弱性"));
    assert_eq!(
        download_rows(&a.downloads),
        [
            dl(
                "Windows 2000 SP3/SP4",
                Some("Windows 2000 用セキュリティ更新プログラム (KB892944)"),
                None
            ),
            dl(
                "Windows XP SP1/SP1a",
                Some("Windows XP 用セキュリティ更新プログラム (KB892944)"),
                None
            ),
        ]
    );
    assert_eq!(channel(&a.downloads).as_deref(), Some("Windows Update/SUS"));
    let s32 = "%SystemRoot%\\system32\\";
    let drv = "%SystemRoot%\\System32\\drivers\\";
    let w2k = |n, dt, v, s, desc| f(None, s32, n, dt, v, s, desc);
    let xp = |n, dt, v, s, desc| f(Some("sp1qfe"), s32, n, dt, v, s, desc);
    assert_eq!(
        a.packages,
        [
            pkg(
                "Windows 2000 SP3/SP4",
                "Windows2000-KB892944-x86-JPN.EXE",
                "2005-03-11",
                "1.0.0.0",
                1_267_192,
                vec![
                    w2k(
                        "mq1repl.dll",
                        "2005-02-17",
                        "5.0.0.792",
                        291_088,
                        "Windows NT, MSMQ 2.0 Replication"
                    ),
                    w2k(
                        "mq1sync.exe",
                        "2003-12-22",
                        "5.0.0.791",
                        14_096,
                        "Windows NT MQ Replication Service"
                    ),
                    w2k(
                        "mqads.dll",
                        "2005-02-17",
                        "5.0.0.791",
                        217_360,
                        "Windows NT MQ Active Directory Service"
                    ),
                    w2k(
                        "mqclus.dll",
                        "2005-02-17",
                        "5.0.0.779",
                        50_448,
                        "Windows NT MQ Cluster DLL"
                    ),
                    w2k(
                        "mqdscli.dll",
                        "2005-02-17",
                        "5.0.0.785",
                        76_560,
                        "Windows NT MQ Client Directory Service"
                    ),
                    w2k(
                        "mqdssrv.dll",
                        "2005-02-17",
                        "5.0.0.773",
                        42_256,
                        "Windows NT MQ Server Directory Service"
                    ),
                    w2k(
                        "mqmig.exe",
                        "2003-12-22",
                        "5.0.0.791",
                        98_064,
                        "Windows NT, MSMQ 2.0 Migration"
                    ),
                    w2k(
                        "mqmigrat.dll",
                        "2005-02-16",
                        "5.0.0.791",
                        266_512,
                        "Windows NT, MSMQ 2.0 Migration"
                    ),
                    w2k(
                        "mqoa.dll",
                        "2005-02-17",
                        "5.0.0.793",
                        222_480,
                        "Windows NT MQ ActiveX Components"
                    ),
                    w2k(
                        "mqperf.dll",
                        "2005-02-17",
                        "5.0.0.784",
                        10_000,
                        "Windows NT MQ Performance Coutners"
                    ),
                    w2k(
                        "mqqm.dll",
                        "2005-02-17",
                        "5.0.0.798",
                        438_544,
                        "Windows NT MQ Queue Manager"
                    ),
                    w2k(
                        "mqrt.dll",
                        "2005-02-17",
                        "5.0.0.799",
                        102_672,
                        "Windows NT MQ Run time DLL"
                    ),
                    w2k(
                        "mqsec.dll",
                        "2005-02-17",
                        "5.0.0.776",
                        70_928,
                        "Windows NT, MSMQ 2.0 Security"
                    ),
                    w2k(
                        "mqsnap.dll",
                        "2005-02-17",
                        "5.0.0.783",
                        400_656,
                        "Windows NT MSMQ Admin"
                    ),
                    w2k(
                        "mqupgrd.dll",
                        "2005-02-17",
                        "5.0.0.762",
                        23_824,
                        "MSMQ Upgrade"
                    ),
                    w2k(
                        "mqutil.dll",
                        "2005-02-17",
                        "5.0.0.798",
                        146_704,
                        "Windows NT MQ Utility DLL"
                    ),
                    w2k(
                        "msmq.cpl",
                        "2005-02-17",
                        "5.0.0.748",
                        64_784,
                        "Windows NT MSMQ Control Panel"
                    ),
                    f(
                        None,
                        drv,
                        "mqac.sys",
                        "2004-10-24",
                        "5.0.0.798",
                        77_680,
                        "Windows NT MQ Access Control Device Driver"
                    ),
                ]
            ),
            pkg(
                "Windows XP SP1/SP1a",
                "WindowsXP-KB892944-x86-JPN.exe",
                "2005-03-24",
                "1.0.0.0",
                988_912,
                vec![
                    xp(
                        "mqad.dll",
                        "2005-03-24",
                        "5.1.0.1044",
                        130_048,
                        "Windows NT MQ Client AD Access"
                    ),
                    xp(
                        "mqdscli.dll",
                        "2005-03-24",
                        "5.1.0.1044",
                        44_032,
                        "Windows NT MQ Client Directory Service"
                    ),
                    xp(
                        "mqise.dll",
                        "2005-03-24",
                        "5.1.0.1044",
                        14_848,
                        "MSMQ ISAPI EXTENSION"
                    ),
                    xp(
                        "mqqm.dll",
                        "2005-03-24",
                        "5.1.0.1044",
                        608_768,
                        "Windows NT MQ Queue Manager"
                    ),
                    xp(
                        "mqrt.dll",
                        "2005-03-24",
                        "5.1.0.1044",
                        165_888,
                        "Windows NT MQ Run time DLL"
                    ),
                    xp(
                        "mqsec.dll",
                        "2005-03-24",
                        "5.1.0.1044",
                        88_576,
                        "Windows NT, MSMQ 2.0 Security"
                    ),
                    xp(
                        "mqupgrd.dll",
                        "2005-03-24",
                        "5.1.0.1044",
                        44_544,
                        "MSMQ Upgrade"
                    ),
                    xp(
                        "mqutil.dll",
                        "2005-03-03",
                        "5.1.0.1044",
                        349_696,
                        "Windows NT MQ Utility DLL"
                    ),
                    f(
                        Some("sp1qfe"),
                        drv,
                        "mqac.sys",
                        "2005-03-23",
                        "5.1.0.1044",
                        67_456,
                        "Windows NT MQ Access Control Device Driver"
                    ),
                ]
            ),
        ]
    );
    assert_eq!(
        a.verification,
        [
            filelist("Windows 2000 SP3/SP4", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB892944\\Filelist"),
            filelist("Windows XP SP1/SP1a", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows XP\\SP2\\KB892944\\Filelist"),
        ]
    );
    assert_eq!(
        a.rollout,
        [
            roll(
                "Windows2000-KB892944-x86-JPN.EXE",
                Some("Windows 2000 SP3/SP4"),
                [13, 21, 47, 89]
            ),
            roll(
                "WindowsXP-KB892944-x86-JPN.exe",
                Some("Windows XP SP1/SP1a"),
                [12, 21, 46, 89]
            ),
        ]
    );
    assert!(a
        .rollout_basis
        .as_deref()
        .unwrap()
        .contains("UpdateEXPERT 6.1"));
    assert_eq!(
        tool(a),
        [Some("Windows 2000 SP3/SP4"), Some("Windows XP SP1/SP1a")]
    );
    assert!(a.tool_display[1]
        .text
        .contains("名前:WindowsXP-KB892944-x86-JPN.exe"));
    assert!(a.workarounds.is_empty() && a.additions.is_empty() && a.notes.is_empty());
}

#[test]
fn seed_003_ms04_039_with_re_release() {
    let Some(p) = common::seed("003") else { return };
    let a = &p.alert;
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(a.id, "MS04-039");
    assert_eq!(a.kbs, ["888258"]);
    assert_eq!(
        (a.edition, a.registered, a.updated),
        (d("2004-11-11"), d("2004-11-10"), d("2004-11-24"))
    );
    assert_eq!(a.severity, Some(Severity::Important));
    assert_eq!(a.exploit_code, Some(false));
    assert_eq!(a.action, Some(Action::ApplySoon));
    assert_eq!(a.reboot.len(), 1);
    assert_eq!(
        (a.reboot[0].product.as_deref(), a.reboot[0].required),
        (None, RebootRequired::Conditional)
    );
    assert!(a.reboot[0]
        .note
        .as_deref()
        .unwrap()
        .starts_with("ISA Server 2000では"));
    assert_eq!(a.uninstall, None);
    assert_eq!(
        a.target,
        Some(Target {
            server: true,
            client: false
        })
    );
    assert_eq!(
        a.references,
        [
            bulletin("MS04-039", "ja"),
            bulletin("MS04-039", "en-US"),
            faq("fq04-039")
        ]
    );
    assert!(a.supersedes.is_empty());
    assert!(a
        .title
        .starts_with("Proxy Server 2.0/ISA Server 2000における"));
    assert!(a
        .vendor_title
        .as_deref()
        .unwrap()
        .starts_with("ISA Server 2000 および Proxy Server 2.0"));
    assert_eq!(a.urgency.as_ref().unwrap().text, "適用作業の早期開始");
    assert_eq!(paragraphs(&a.risk), 3);
    assert_eq!(paragraphs(&a.summary), 3);
    assert!(a.summary.as_deref().unwrap().contains("ISA Server 2004"));
    assert_eq!(
        a.affected,
        affected(&[
            ("Proxy Server 2.0", "Windows NT Server 4.0 SP3以降/Windows 2000 Server(Proxy Server 2.0 Install Wizard for Windows 2000が必要)+Proxy Server 2.0 SP1"),
            ("ISA Server 2000", "Windows 2000 Server SP4/Windows Server 2003+ISA Server 2000 SP1/SP2"),
            ("ISA Server 2000", "Small Business Server 2000/2003 Premium Edition(SBS 2000では、Windows 2000 SP4の適用が必要)"),
        ])
    );
    let rows: Vec<&str> = a.lab_tests.iter().map(|t| t.platform.as_str()).collect();
    assert_eq!(
        rows,
        [
            "Windows 2000 Server SP4+ISA Server 2000 Standard SP2",
            "Windows 2000 Advanced Server SP4+ISA Server 2000 Standard SP1",
            "Windows Server 2003, Standard Edition+ISA Server 2000 Standard SP1",
            "Windows Server 2003, Enterprise Edition+ISA Server 2000 Standard SP2",
        ]
    );
    assert!(a.lab_tests.iter().all(|t| t.result.is_none()));
    assert_eq!(
        (a.lab_tests[0].note.as_ref(), a.lab_tests[1].note.as_ref()),
        (None, None)
    );
    for t in &a.lab_tests[2..] {
        let note = t.note.as_deref().unwrap();
        assert!(
            note.starts_with("*1 「ISA Server 2000向け") && note.contains("ローカル・ログオン"),
            "{note}"
        );
    }
    assert_eq!(a.lab_notes.len(), 8);
    assert!(a.lab_notes[0].title.ends_with("(2004/11/17 追記)"));
    assert!(a.lab_notes[0]
        .text
        .contains("http://isatools.org/clrcache.cmd"));
    assert!(a.lab_notes[2]
        .text
        .contains("w3proxy.dll\n57B7885E4F45A0123A65CC559FB3935FAF053E0D"));
    assert!(a.lab_notes[4]
        .text
        .contains("\\SP2\\セキュリティ更新プログラム KB888258"));
    assert_eq!(
        download_rows(&a.downloads),
        [
            dl("Proxy Server 2.0 SP1", None, Some("未対応")),
            dl("ISA Server 2000 SP1/SP2", None, Some("未対応"))
        ]
    );
    assert_eq!(channel(&a.downloads).as_deref(), Some("Windows Update/SUS"));
    let isa = "%ProgramFiles%\\Microsoft ISA Server";
    let proxy = "\\inetpub\\scripts\\proxy\\";
    let msp = "\\msp\\";
    let mut proxy_pkg = pkg(
        "Proxy Server 2.0 SP1",
        "PROXY20-KB888258-X86-ENU.exe",
        "2004-10-30",
        "6.5.4019.0",
        250_064,
        vec![
            f(
                None,
                proxy,
                "w3pcache.dll",
                "2004-10-27",
                "2.0.390.16",
                43_280,
                "Microsoft Web Proxy Server Cache DLL",
            ),
            f(
                None,
                proxy,
                "w3proxy.dll",
                "2004-10-27",
                "2.0.390.16",
                192_784,
                "Microsoft Web Proxy Server (ISAPI Extension)",
            ),
            f(
                None,
                msp,
                "wspsrv.exe",
                "2004-10-27",
                "2.0.390.16",
                97_040,
                "Microsoft WinSock Proxy Server",
            ),
        ],
    );
    // The reference list's title is checked by fragments below.
    let ref_title = a.packages[1].reference_files[0].title.clone();
    assert!(
        ref_title.starts_with("[参考]Proxy Server 2.0 SP1の") && ref_title.contains("MS04-039")
    );
    proxy_pkg.reference_files.push(FileList {
        title: ref_title,
        files: vec![
            f(
                None,
                proxy,
                "w3pcache.dll",
                "1999-06-01",
                "2.0.390.16",
                43_280,
                "Microsoft Web Proxy Server Cache DLL",
            ),
            f(
                None,
                proxy,
                "w3proxy.dll",
                "1999-06-01",
                "2.0.390.16",
                189_712,
                "Microsoft Web Proxy Server (ISAPI Extension)",
            ),
            f(
                None,
                msp,
                "wspsrv.exe",
                "1999-06-01",
                "2.0.390.16",
                96_528,
                "Microsoft WinSock Proxy Server",
            ),
        ],
    });
    assert_eq!(
        a.packages,
        [
            pkg(
                "ISA Server 2000 SP1/SP2",
                "ISA2000-KB888258-X86-JPN.exe",
                "2004-10-28",
                "5.3.16.3",
                378_224,
                vec![f(
                    None,
                    isa,
                    "msphlpr.dll",
                    "2004-10-27",
                    "3.0.1200.408",
                    110_072,
                    "Microsoft ISA Server Helper DLL"
                ),]
            ),
            proxy_pkg,
        ]
    );
    assert_eq!(
        a.verification,
        [
            Verification {
                platforms: "ISA Server 2000 SP1/SP2".into(),
                registry_key: "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Microsoft ISA Server 2000\\SP2\\セキュリティ更新プログラム KB888258".into(),
                check: VerificationCheck::KeyExists,
            },
            Verification {
                platforms: "Proxy Server 2.0 SP1".into(),
                registry_key: "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\HotFix\\KB888258".into(),
                check: VerificationCheck::KeyExists,
            },
        ]
    );
    // Times on the package line itself, no platform line.
    assert_eq!(
        a.rollout,
        [roll(
            "ISA2000-KB888258-X86-JPN.exe",
            None,
            [34, 43, 68, 110]
        )]
    );
    assert!(a.rollout_basis.is_some());
    assert_eq!(tool(a), [None, Some("ISA Server 2000 SP1/SP2")]);
    assert_eq!(a.tool_display[0].text, "UpdateEXPERT 6.1");
    let t = &a.tool_display[1].text;
    assert!(t.starts_with("[展開ビュー]"));
    assert!(t.contains("名前:ISA2000-KB888258-X86-JPN.exe"));
    assert!(t.contains("UpdateEXPERT 5.1/6.1ではProxy Server 2.0"));

    assert_eq!(a.additions.len(), 1);
    let add = &a.additions[0];
    assert!(add.title.starts_with("不具合を解消した") && add.title.ends_with("(2004/11/24)"));
    assert_eq!(add.source.as_deref(), Some("マイクロソフト"));
    assert!(add.content.as_deref().unwrap().starts_with("MS04-039の"));
    assert_eq!(
        add.condition.as_deref(),
        Some("ISA Server 2000 SP1/SP2の利用")
    );
    assert_eq!(add.reported, d("2004-11-17"));
    assert!(add
        .text
        .contains("http://support.microsoft.com/default.aspx?scid=kb;ja;890097"));
    assert!(add
        .text
        .contains("FamilyID=7a4c318f-5ac9-4cf2-8792-a4a62076ebe7&DisplayLang=ja"));
    assert!(add.text.contains("msphlpr.dll以外のファイル"));
    assert_eq!(
        add.packages,
        [pkg(
            "ISA Server 2000 SP1/SP2",
            "ISA2000-KB888258-X86-JPN.exe",
            "2004-11-12",
            "5.3.16.3",
            716_024,
            vec![
                f(
                    None,
                    isa,
                    "mspadmin.exe",
                    "2004-11-11",
                    "3.0.1200.408",
                    185_336,
                    "Microsoft ISA Server Control Service"
                ),
                f(
                    None,
                    isa,
                    "msphlpr.dll",
                    "2004-11-11",
                    "3.0.1200.408",
                    110_072,
                    "Microsoft ISA Server Helper DLL"
                ),
                f(
                    None,
                    isa,
                    "w3proxy.exe",
                    "2004-11-11",
                    "3.0.1200.408",
                    401_912,
                    "Microsoft Web Proxy Server"
                ),
                f(
                    None,
                    isa,
                    "wspsrv.exe",
                    "2004-11-11",
                    "3.0.1200.408",
                    307_192,
                    "Microsoft Firewall Service"
                ),
            ]
        )]
    );
    let eff = a.effective_packages();
    assert_eq!(eff.len(), 2);
    assert_eq!((eff[0].size, eff[0].files.len()), (Some(716_024), 4));
    assert!(a.notes.is_empty() && a.workarounds.is_empty());
}

#[test]
fn seed_004_ms06_035_with_vulnerabilities() {
    let Some(p) = common::seed("004") else { return };
    let a = &p.alert;
    // The attack marks were images: left empty, with a warning.
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert_eq!(p.warnings[0].section, "可能性のある攻撃");
    assert_eq!(
        (a.attack_vectors.as_ref(), a.impacts.as_ref()),
        (None, None)
    );
    assert_eq!(a.id, "MS06-035");
    assert_eq!(a.kbs, ["917159"]);
    // Edition split over three lines.
    assert_eq!(
        (a.edition, a.registered, a.updated),
        (d("2006-07-12"), d("2006-07-12"), d("2006-07-12"))
    );
    assert_eq!(a.severity, Some(Severity::Critical));
    assert_eq!(a.exploit_code, Some(false));
    assert_eq!(a.action, Some(Action::ApplyNow));
    assert_eq!(a.reboot, [reboot(None, RebootRequired::Yes, None)]);
    assert_eq!(a.uninstall, Some(true));
    assert_eq!(
        a.target,
        Some(Target {
            server: true,
            client: true
        })
    );
    assert_eq!(
        a.references,
        [bulletin("MS06-035", "ja"), bulletin("MS06-035", "en-US")]
    );
    assert_eq!(
        a.supersedes,
        [Supersedes {
            id: "MS05-027".into(),
            scope: Some("Windows 2000を除く".into())
        }]
    );
    assert!(a.title.starts_with("Serverサービスの"));
    assert!(a
        .vendor_title
        .as_deref()
        .unwrap()
        .starts_with("Server サービスの脆弱性"));
    assert_eq!(
        a.urgency,
        Some(Urgency {
            text: "至急適用".into(),
            exploit_published: Some(false),
            attacks_seen: Some(false)
        })
    );
    assert_eq!(a.risk, None);
    assert_eq!(paragraphs(&a.summary), 3);
    assert!(a.summary.as_deref().unwrap().contains("Blaster"));
    assert_eq!(a.vulnerabilities.len(), 2);
    let v = &a.vulnerabilities;
    assert!(v[0].title.starts_with("Mailslot"));
    assert_eq!(
        (v[0].severity, v[0].cve.as_deref()),
        (Some(Severity::Critical), Some("CVE-2006-1314"))
    );
    assert_eq!(v[0].text.split("\n\n").count(), 4);
    assert!(v[0]
        .text
        .contains("http://www.tippingpoint.com/security/advisories/TSRT-06-02.html"));
    assert!(v[1].title.starts_with("SMBの"));
    assert_eq!(
        (v[1].severity, v[1].cve.as_deref()),
        (Some(Severity::Moderate), Some("CVE-2006-1315"))
    );
    assert_eq!(a.notes.len(), 1);
    assert_eq!(a.notes[0].title, "脆弱性の内容");
    assert!(a.notes[0].text.contains("2件"));
    assert_eq!(
        a.affected,
        affected(&[
            ("Windows 2000", "Windows 2000 SP4"),
            ("Windows XP", "Windows XP SP1/SP1a/SP2"),
            ("Windows Server 2003", "Windows Server 2003 SP未適用/SP1"),
        ])
    );
    assert_eq!(
        a.lab_tests,
        lab(
            &[
                "Windows 2000 Professional SP4",
                "Windows 2000 Server SP4",
                "Windows 2000 Advanced Server SP4",
                "Windows XP Professional SP1",
                "Windows XP Professional SP1a",
                "Windows XP Professional SP2",
                "Windows Server 2003, Standard Edition SP未適用",
                "Windows Server 2003, Enterprise Edition SP未適用",
                "Windows Server 2003, Standard Edition SP1",
                "Windows Server 2003, Enterprise Edition SP1",
                "Windows Server 2003 R2, Enterprise Edition",
            ],
            NO_MARK
        )
    );
    assert_eq!(a.lab_notes.len(), 1);
    assert!(a.lab_notes[0].title.contains("MBSA 2.0"));
    assert!(a.lab_notes[0]
        .text
        .contains("\n• Windows XP 用セキュリティ更新プログラム (KB917159)\n"));
    assert_eq!(
        download_rows(&a.downloads),
        [
            dl(
                "Windows 2000 SP4",
                Some("Windows 2000 用セキュリティ更新プログラム (KB917159)"),
                None
            ),
            dl(
                "Windows XP SP1/SP1a/SP2",
                Some("Windows XP 用セキュリティ更新プログラム (KB917159)"),
                None
            ),
            dl(
                "Windows Server 2003 SP未適用/SP1",
                Some("Windows Server 2003 用セキュリティ更新プログラム (KB917159)"),
                None
            ),
        ]
    );
    assert_eq!(channel(&a.downloads).as_deref(), Some("WU/MU/SUS/WSUS"));
    let drv = "%SystemRoot%\\system32\\drivers\\";
    assert_eq!(
        a.packages,
        [
            pkg(
                "Windows 2000 SP4",
                "Windows2000-KB917159-x86-JPN.EXE",
                "2006-04-21",
                "1.0.0.0",
                616_936,
                vec![f(
                    None,
                    drv,
                    "srv.sys",
                    "2006-04-20",
                    "5.0.2195.7087",
                    239_280,
                    "Server driver"
                ),]
            ),
            pkg(
                "Windows XP SP1/SP1a/SP2",
                "WindowsXP-KB917159-x86-JPN.exe",
                "2006-04-23",
                "1.0.0.0",
                727_864,
                vec![
                    f(
                        Some("SP1QFE"),
                        drv,
                        "srv.sys",
                        "2006-04-21",
                        "5.1.2600.1832",
                        321_536,
                        "Server driver"
                    ),
                    f(
                        Some("SP2GDR/SP2QFE"),
                        drv,
                        "srv.sys",
                        "2006-04-21",
                        "5.1.2600.2893",
                        332_800,
                        "Server driver"
                    ),
                ]
            ),
            pkg(
                "Windows Server 2003 SP未適用/SP1",
                "WindowsServer2003-KB917159-x86-JPN.exe",
                "2006-04-28",
                "1.0.0.0",
                810_224,
                vec![
                    f(
                        Some("RTMGDR"),
                        drv,
                        "srv.sys",
                        "2006-04-27",
                        "5.2.3790.526",
                        340_992,
                        "Server driver"
                    ),
                    f(
                        Some("RTMQFE"),
                        drv,
                        "srv.sys",
                        "2006-04-27",
                        "5.2.3790.526",
                        342_016,
                        "Server driver"
                    ),
                    f(
                        Some("SP1GDR"),
                        drv,
                        "srv.hp.sys",
                        "2006-04-28",
                        "5.2.3790.2691",
                        22_528,
                        "Server driver"
                    ),
                    f(
                        Some("SP1GDR"),
                        drv,
                        "srv.sys",
                        "2006-04-28",
                        "5.2.3790.2691",
                        392_192,
                        "Server driver"
                    ),
                    f(
                        Some("SP1QFE"),
                        drv,
                        "srv.sys",
                        "2006-04-27",
                        "5.2.3790.2691",
                        360_448,
                        "Server driver"
                    ),
                ]
            ),
        ]
    );
    assert_eq!(
        a.verification,
        [
            filelist("Windows 2000 SP4", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB917159\\Filelist"),
            filelist("Windows XP SP1/SP1a/SP2", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows XP\\SP3\\KB917159\\Filelist"),
            filelist("Windows Server 2003 SP未適用/SP1", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows Server 2003\\SP2\\KB917159\\Filelist"),
        ]
    );
    assert_eq!(
        a.rollout,
        [
            roll(
                "Windows2000-KB917159-x86-JPN.EXE",
                Some("Windows 2000 SP4"),
                [18, 27, 52, 94]
            ),
            roll(
                "WindowsXP-KB917159-x86-JPN.exe",
                Some("Windows XP SP1/SP1a/SP2"),
                [18, 27, 52, 94]
            ),
            roll(
                "WindowsServer2003-KB917159-x86-JPN.exe",
                Some("Windows Server 2003 SP未適用/SP1"),
                [18, 27, 52, 94]
            ),
        ]
    );
    assert!(a.rollout_basis.is_some());
    assert_eq!(
        tool(a),
        [
            Some("Windows 2000 SP4"),
            Some("Windows XP SP1/SP1a/SP2"),
            Some("Windows Server 2003 SP未適用/SP1")
        ]
    );
    assert!(a.tool_display[2]
        .text
        .contains("名前:WindowsServer2003-KB917159-x86-JPN.exe"));
    assert!(a.workarounds.is_empty() && a.additions.is_empty() && a.details.is_none());
}
