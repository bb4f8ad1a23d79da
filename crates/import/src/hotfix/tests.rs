//! Fixture pages written for these tests (an invented bulletin, MS05-999, in
//! both renderings), read end to end, cut short, re-encoded and mangled.

use chrono::NaiveDate;
use hfr_model::*;

use crate::{read_hotfix_page, ImportError, Parsed};

const PLAIN: &str = include_str!("../../tests/fixtures/ms05-999_plain.txt");
const TABLE: &str = include_str!("../../tests/fixtures/ms05-998_table.txt");

fn read(text: &str) -> Parsed {
    read_hotfix_page(text.as_bytes(), "fixture.txt").unwrap_or_else(|e| panic!("{e}"))
}

fn d(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn sections(p: &Parsed) -> Vec<&str> {
    p.warnings.iter().map(|w| w.section.as_str()).collect()
}

#[test]
fn plain_page_header() {
    let p = read(PLAIN);
    let a = &p.alert;
    assert_eq!(a.id, "MS05-999");
    assert_eq!(a.kbs, ["999999", "999998"]);
    assert_eq!(
        (a.edition, a.registered, a.updated),
        (d("2005-09-30"), d("2005-09-29"), d("2005-10-03"))
    );
    // The third option is the flush one: not the first.
    assert_eq!(a.severity, Some(Severity::Moderate));
    assert_eq!(a.exploit_code, Some(true));
    assert_eq!(a.action, Some(Action::WaitForSp));
    assert_eq!(a.reboot.len(), 2);
    assert_eq!(a.reboot[0].product.as_deref(), Some("Exchange Server 2003"));
    assert_eq!(a.reboot[0].required, RebootRequired::Conditional);
    assert_eq!(
        (a.reboot[1].product.as_deref(), a.reboot[1].required),
        (Some("Windows XP"), RebootRequired::Yes)
    );
    assert_eq!(a.uninstall, Some(false));
    assert_eq!(
        a.target,
        Some(Target {
            server: false,
            client: true
        })
    );
    let kinds: Vec<(ReferenceKind, &str)> = a
        .references
        .iter()
        .map(|r| (r.kind, r.label.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ReferenceKind::Bulletin, "MS05-999"),
            (ReferenceKind::Bulletin, "MS05-999"),
            (ReferenceKind::Kb, "999999"),
            (ReferenceKind::Faq, "fq05-999"),
        ]
    );
    assert_eq!(a.references[1].locale.as_deref(), Some("en-US"));
    assert_eq!(
        a.supersedes,
        [Supersedes {
            id: "MS05-998".into(),
            scope: Some("Windows XP SP2を除く".into())
        }]
    );
    assert!(a.title.starts_with("架空のビューア"));
    assert_eq!(
        a.vendor_title.as_deref(),
        Some("Viewer の脆弱性により、情報が漏えいする")
    );
    assert_eq!(
        a.urgency,
        Some(Urgency {
            text: "SP待ち".into(),
            exploit_published: Some(true),
            attacks_seen: Some(false)
        })
    );
}

#[test]
fn plain_page_body() {
    let p = read(PLAIN);
    let a = &p.alert;
    // Gauge and legend skipped; two paragraphs, the first of two lines.
    let risk = a.risk.as_deref().unwrap();
    assert_eq!(risk.split("\n\n").count(), 2);
    assert_eq!(risk.split("\n\n").next().unwrap().lines().count(), 2);
    assert!(!risk.contains("SP待ち"));
    // Readable marks choose among the printed items.
    assert_eq!(
        a.attack_vectors,
        Some(vec![AttackVector::Remote, AttackVector::WebLure])
    );
    assert_eq!(a.impacts, Some(vec![Impact::InformationLeak]));
    assert!(a.summary.as_deref().unwrap().contains("\n\n■補足\n"));
    let v: Vec<(&str, Option<Severity>, Option<&str>)> = a
        .vulnerabilities
        .iter()
        .map(|v| (v.title.as_str(), v.severity, v.cve.as_deref()))
        .collect();
    assert_eq!(
        v,
        [
            (
                "長さ検証の不備",
                Some(Severity::Moderate),
                Some("CVE-2005-9999")
            ),
            (
                "一時ファイルの漏えい",
                Some(Severity::Low),
                Some("CVE-2005-9998")
            ),
        ]
    );
    assert_eq!(a.affected.len(), 3);
    assert_eq!(a.affected[1].software, "Exchange Server 2003");
    assert_eq!(
        a.affected[1].platforms,
        "Windows Server 2003+Exchange Server 2003 SP1"
    );
    // A row that splits neither way is kept whole, with a warning.
    assert_eq!(
        (
            a.affected[2].software.as_str(),
            a.affected[2].platforms.as_str()
        ),
        ("架空ビューア 1.0 どこでも", "")
    );
    assert_eq!(
        a.lab_tests,
        [
            LabTest {
                platform: "Windows XP Professional SP1".into(),
                result: Some(LabResult::Passed),
                note: None
            },
            LabTest {
                platform: "Windows XP Professional SP2".into(),
                result: Some(LabResult::Failed),
                note: Some("*1 「再起動の注意」を参照のこと".into()),
            },
        ]
    );
    assert_eq!(a.lab_notes.len(), 1);
    assert_eq!(
        a.details.as_deref(),
        Some("内部の読み込み関数が原因である。")
    );
    assert_eq!(a.downloads[1].note.as_deref(), Some("対応予定"));
    assert_eq!(a.packages.len(), 2);
    let xp = &a.packages[0];
    assert_eq!((xp.size, xp.files.len()), (Some(1_234_567), 3));
    assert_eq!(
        xp.files[2],
        PackageFile {
            branch: Some("SP2GDR/SP2QFE".into()),
            path: "%ProgramFiles%\\Example Viewer".into(),
            name: "viewhelp.exe".into(),
            date: d("2005-09-18"),
            version: Some("5.1.2600.2700".into()),
            size: Some(12_345),
            description: Some("Viewer Helper".into()),
        }
    );
    let ex = &a.packages[1];
    assert_eq!(ex.files[0].path, "%EXSRVROOT%\\bin\\");
    assert_eq!(ex.reference_files.len(), 1);
    assert_eq!(ex.reference_files[0].files[0].size, Some(50_000));
    let checks: Vec<&VerificationCheck> = a.verification.iter().map(|v| &v.check).collect();
    assert_eq!(
        checks,
        [
            &VerificationCheck::FileList,
            &VerificationCheck::Value {
                name: "Installed".into(),
                data: "1".into()
            },
            &VerificationCheck::KeyExists,
        ]
    );
    assert_eq!(a.verification[2].platforms, "Exchange Server 2003 SP1");
    assert_eq!(a.workarounds.len(), 2);
    assert_eq!(
        a.workarounds[1].title.as_deref(),
        Some("プレビュー機能を止める")
    );
    assert_eq!(a.rollout.len(), 2);
    assert_eq!(
        a.rollout[0].minutes,
        [(50, 10), (100, 20), (250, 45), (500, 90)].into()
    );
    assert_eq!(
        (a.rollout[1].platform.as_deref(), a.rollout[1].minutes[&500]),
        (None, 41)
    );
    assert_eq!(
        a.rollout_basis.as_deref(),
        Some("架空の測定条件による目安。")
    );
    assert_eq!(a.tool_display[0].platform, None);
    assert_eq!(
        a.tool_display[1].platform.as_deref(),
        Some("Windows XP SP1/SP2")
    );
    let add = &a.additions[0];
    assert_eq!(add.reported, d("2005-10-01"));
    assert_eq!(add.condition.as_deref(), Some("Windows XP SP2の利用"));
    assert_eq!(add.text, "不具合を直した版が出た。");
    // The re-release names no platform: it takes the earlier package's.
    assert_eq!(
        add.packages[0].platform.as_deref(),
        Some("Windows XP SP1/SP2")
    );
    assert_eq!(
        add.packages[0].files[0].branch.as_deref(),
        Some("SP2GDR/SP2QFE")
    );
    assert_eq!(
        a.effective_packages()[0].version.as_deref(),
        Some("1.0.0.1")
    );
}

#[test]
fn unknown_sections_become_titled_notes() {
    let p = read(PLAIN);
    let note = p
        .alert
        .notes
        .iter()
        .find(|n| n.title == "関連リンク")
        .expect("note");
    assert!(note
        .text
        .ends_with("・例示サイト:\nhttp://example.com/ms05-999"));
    assert_eq!(
        sections(&p),
        ["対象プラットフォーム", "関連リンク"],
        "{:?}",
        p.warnings
    );
    assert!(p.warnings.iter().all(|w| w.line.is_some()));
}

#[test]
fn table_page() {
    let p = read(TABLE);
    let a = &p.alert;
    assert_eq!(a.id, "MS05-998");
    // `→` before the last option; and before クライアント only.
    assert_eq!(a.severity, Some(Severity::Low));
    assert_eq!(
        a.target,
        Some(Target {
            server: false,
            client: true
        })
    );
    assert_eq!(a.uninstall, Some(true));
    assert_eq!(
        a.vendor_title.as_deref(),
        Some("Table の脆弱性により、情報が漏えいする")
    );
    assert_eq!(
        a.risk.as_deref(),
        Some("最初の段落はここで終わる。\n\n二つ目の段落はExample Server 2003の話で折り返されている。")
    );
    assert_eq!(
        a.affected,
        [Affected {
            software: "Windows XP".into(),
            platforms: "Windows XP SP2".into()
        }]
    );
    assert_eq!(a.lab_tests[0].result, Some(LabResult::PassedWithIssues));
    assert_eq!(a.lab_notes[0].title, "注意点");
    assert_eq!(
        a.downloads[0].update_name.as_deref(),
        Some("Windows XP 用セキュリティ更新プログラム (KB999990)")
    );
    let pk = &a.packages[0];
    assert_eq!(
        (pk.file.as_str(), pk.size),
        ("WindowsXP-KB999990-x86-JPN.exe", Some(700_000))
    );
    let files: Vec<(&str, &str, Option<&str>, Option<u64>)> = pk
        .files
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.path.as_str(),
                f.branch.as_deref(),
                f.size,
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            (
                "table.dll",
                "%SystemRoot%\\system32\\",
                Some("SP2GDR"),
                Some(80_000)
            ),
            (
                "table.sys",
                "%SystemRoot%\\system32\\drivers\\",
                Some("SP2GDR"),
                Some(20_000)
            ),
        ]
    );
    assert_eq!(pk.files[1].description.as_deref(), Some("Table Driver"));
    assert_eq!(a.verification.len(), 1);
    assert_eq!(
        a.rollout[0].minutes,
        [(50, 11), (100, 22), (250, 44), (500, 88)].into()
    );
    assert_eq!(a.rollout[0].platform.as_deref(), Some("Windows XP SP2"));
    assert_eq!(a.tool_display.len(), 1);
    // Sections this page lacks are warnings, not failures.
    assert_eq!(
        sections(&p),
        ["HotFix Alert", "登録日", "更新日", "サポート技術情報"]
    );
}

#[test]
fn a_page_cut_inside_a_character_is_read_with_a_warning() {
    let bytes = PLAIN.as_bytes();
    // Cut in the middle of the first multi-byte character after 1,500 bytes.
    let mut end = 1500;
    while PLAIN.is_char_boundary(end) {
        end += 1;
    }
    let p = crate::read_hotfix_page(&bytes[..end], "cut.txt").expect("a cut page is read");
    assert_eq!(p.alert.id, "MS05-999");
    assert!(
        p.warnings[0].message.contains("cut short"),
        "{:?}",
        p.warnings[0]
    );
}

#[test]
fn a_page_cut_short_yields_what_it_has() {
    let cut = PLAIN.find("viewer.dll 2005/09/19 5.1.2600.1700").unwrap();
    let end = cut + PLAIN[cut..].find('\n').unwrap();
    let p = read(&PLAIN[..end]);
    let a = &p.alert;
    assert_eq!(a.id, "MS05-999");
    assert_eq!(a.packages.len(), 1);
    let f = &a.packages[0].files[0];
    assert_eq!(
        (f.name.as_str(), f.version.as_deref(), f.size),
        ("viewer.dll", Some("5.1.2600.1700"), None)
    );
    assert!(a.rollout.is_empty() && a.additions.is_empty());
    let s = sections(&p);
    for missing in ["確認方法", "予想適用時間", "UpdateEXPERT上の表示"] {
        assert!(s.contains(&missing), "{missing} not reported: {s:?}");
    }
}

#[test]
fn every_prefix_of_a_page_parses_or_is_refused_cleanly() {
    for page in [PLAIN, TABLE] {
        let mut end = 0;
        for line in page.split_inclusive('\n') {
            end += line.len();
            match read_hotfix_page(&page.as_bytes()[..end], "cut.txt") {
                Ok(_) => {}
                Err(ImportError::NotAHotFixPage { .. }) | Err(ImportError::Empty { .. }) => {
                    assert!(
                        !super::has_markers(&page[..end]),
                        "refused a page with headings at {end}"
                    );
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
}

#[test]
fn choice_lists_without_a_single_mark_stay_empty() {
    let none = "深刻度\n  1(緊急)\n  2(重要)\n脆弱性識別番号\nMS05-999\n題\n";
    let p = read(none);
    assert_eq!(p.alert.severity, None);
    assert!(p
        .warnings
        .iter()
        .any(|w| w.section == "深刻度" && w.message.contains("none")));
    let two = "深刻度\n1(緊急)\n2(重要)\n脆弱性識別番号\nMS05-999\n題\n";
    let p = read(two);
    assert_eq!(p.alert.severity, None);
    assert!(p
        .warnings
        .iter()
        .any(|w| w.section == "深刻度" && w.message.contains("2 options")));
    // One printed value needs no mark.
    let one = "深刻度\n  4(注意)\n脆弱性識別番号\nMS05-999\n題\n";
    assert_eq!(read(one).alert.severity, Some(Severity::Low));
}

#[test]
fn the_identifier_line_wins_over_the_prose() {
    let page = "脆弱性識別番号\nMS05-999/999999\n題\n概要\nこの文は MS05-111 に触れる。\n";
    let p = read(page);
    assert_eq!(p.alert.id, "MS05-999");
    assert!(p.alert.summary.as_deref().unwrap().contains("MS05-111"));
}

#[test]
fn shift_jis_and_euc_jp_pages_read_like_utf8() {
    let utf8 = read(PLAIN);
    for enc in [encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP] {
        let (bytes, _, unmappable) = enc.encode(PLAIN);
        assert!(
            !unmappable,
            "fixture must be representable in {}",
            enc.name()
        );
        let p = read_hotfix_page(&bytes, "legacy.txt").unwrap();
        assert_eq!(p.encoding, enc.name());
        assert_eq!(p.text, PLAIN);
        assert_eq!(p.alert, utf8.alert);
        assert_eq!(p.warnings, utf8.warnings);
    }
}

#[test]
fn binary_input_names_file_and_line() {
    let mut bytes = "深刻度\n1(緊急)\n\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"\x00\x00\x7fELF");
    let err = read_hotfix_page(&bytes, "blob.bin").unwrap_err();
    assert!(
        matches!(err, ImportError::Binary { line: 4, .. }),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("blob.bin: line 4: binary data"));
}

#[test]
fn empty_input() {
    for bytes in [
        &b""[..],
        b"\n\n   \n",
        "\u{3000}\r\n".as_bytes(),
        b"\xEF\xBB\xBF\n",
    ] {
        let err = read_hotfix_page(bytes, "e.txt").unwrap_err();
        assert_eq!(
            err,
            ImportError::Empty {
                file: "e.txt".into()
            }
        );
    }
}

fn refusal(bytes: &[u8]) -> (usize, String) {
    match read_hotfix_page(bytes, "x.html") {
        Err(ImportError::NotAHotFixPage { file, line, reason }) => {
            assert_eq!(file, "x.html");
            (line, reason)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn html_is_refused_with_what_it_looked_like() {
    let html = "\n\n<!DOCTYPE html>\n<html><head><title>他のサイト</title></head><body><p>こんにちは</p></body></html>\n";
    let (line, reason) = refusal(html.as_bytes());
    assert_eq!(line, 3);
    assert_eq!(
        reason,
        "an HTML document (<!DOCTYPE html>), not the text of a HotFix Alert page"
    );
    // Even a saved HotFix page in HTML: this importer reads its text.
    let (_, reason) = refusal("<html>\n深刻度\n1(緊急)\n</html>\n".as_bytes());
    assert!(
        reason.starts_with("an HTML document (<html>); save the page as text"),
        "{reason}"
    );
}

#[test]
fn other_text_is_refused() {
    let (line, reason) = refusal("今日は晴れ。\n明日は雨の予報。\n".as_bytes());
    assert_eq!(line, 1);
    assert!(reason.contains("none of the headings"), "{reason}");
    assert!(reason.contains("今日は晴れ。"), "{reason}");
    let (_, reason) = refusal(b"{\"id\": \"MS05-999\"}");
    assert!(reason.starts_with("a JSON document"), "{reason}");
    // Legacy-encoded text that is not a page is decoded, then refused.
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("関係のない日本語の文章。\n");
    let (_, reason) = refusal(&sjis);
    assert!(reason.contains("関係のない日本語の文章"), "{reason}");
}

#[test]
fn crlf_pages_read_like_lf_pages() {
    let crlf = PLAIN.replace('\n', "\r\n");
    let a = read(&crlf);
    let b = read(PLAIN);
    assert_eq!(a.alert, b.alert);
}
