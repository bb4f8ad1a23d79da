//! The messages as a mail client sees them: each one is rendered with
//! `Message::formatted()`, parsed back with mail-parser, and checked against
//! the values of the demo alerts in `demo/alerts`.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hfr_mail::compose::{
    alert_message, confirmation_key, confirmation_message, message_id, weekly_message,
    ComposeError, Kind, Recipient, Sender, SenderConfig, Week, WeeklyEntry,
};
use hfr_model::diff::{changed_sections, diff};
use hfr_model::subscription::Preferences;
use hfr_model::{Alert, Severity};
use lettre::message::Mailbox;
use mail_parser::{MessageParser, MimeHeaders};

const BASE: &str = "https://hfr.example.org";

/// The demo alerts, found through the run-time manifest dir (a test binary
/// built in another checkout may share the target dir).
fn demo_alerts() -> Vec<Alert> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"))
        .join("../../demo/alerts");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let alerts: Vec<Alert> = paths
        .iter()
        .map(|p| {
            let s = std::fs::read_to_string(p).expect("readable");
            serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect();
    assert_eq!(alerts.len(), 5, "the five demo alerts");
    alerts
}

fn sender() -> Sender {
    Sender::new(&SenderConfig {
        from: "HotFix Report <alerts@hfr.example.org>".into(),
        reply_to: Some("HotFix Report サポート <support@hfr.example.org>".into()),
        list_domain: "hfr.example.org".into(),
        base_url: format!("{BASE}/"),
        message_id_domain: Some("mail.hfr.example.org".into()),
    })
    .expect("valid settings")
}

fn recipient() -> Recipient {
    Recipient {
        address: "管理者 太郎 <admin@corp.example.jp>"
            .parse()
            .expect("mailbox"),
        unsubscribe_token: "u-7Hq2xZ".into(),
        preferences_token: "p-9Lm4Kd".into(),
    }
}

fn date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2004, 10, 16, 8, 30, 0)
        .single()
        .expect("a valid time")
}

/// What every message must get right, whatever its kind.
struct Parsed {
    raw: Vec<u8>,
    subject: String,
    text: String,
    html: String,
}

fn parse(msg: &lettre::Message, message_id: &str) -> Parsed {
    let raw = msg.formatted();
    // SMTP: no line over 998 octets (+CRLF), whatever the data.
    for (i, line) in raw.split(|b| *b == b'\n').enumerate() {
        assert!(
            line.len() <= 999,
            "line {i} has {} octets: {:?}",
            line.len(),
            String::from_utf8_lossy(&line[..80])
        );
    }
    // Header section is 7-bit: non-ASCII only as RFC 2047 encoded words.
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header section");
    assert!(raw[..head_end].is_ascii(), "raw headers must be ASCII");

    let m = MessageParser::default().parse(&raw).expect("parses");
    let root = m.root_part();
    assert!(
        root.is_content_type("multipart", "alternative"),
        "multipart/alternative, got {:?}",
        root.content_type()
    );
    assert_eq!(m.text_body_count(), 1);
    assert_eq!(m.html_body_count(), 1);
    for (part, sub) in [(m.text_part(0), "plain"), (m.html_part(0), "html")] {
        let part = part.expect("the part");
        let ct = part.content_type().expect("a content type");
        assert_eq!(ct.ctype(), "text");
        assert_eq!(ct.subtype(), Some(sub));
        assert_eq!(
            ct.attribute("charset").map(|c| c.to_ascii_lowercase()),
            Some("utf-8".into())
        );
    }
    assert_eq!(m.message_id(), Some(message_id.trim_matches(['<', '>'])));
    let from = m.from().and_then(|a| a.first()).expect("From");
    assert_eq!(from.address(), Some("alerts@hfr.example.org"));
    assert_eq!(from.name(), Some("HotFix Report"));
    let reply = m.reply_to().and_then(|a| a.first()).expect("Reply-To");
    assert_eq!(reply.address(), Some("support@hfr.example.org"));
    assert_eq!(m.date().map(|d| d.to_timestamp()), Some(date().timestamp()));
    assert_eq!(
        m.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    assert!(m.bcc().is_none());

    // CRLF on the wire; compare with LF.
    let html = m.body_html(0).expect("html").replace("\r\n", "\n");
    check_html(&html);
    Parsed {
        subject: m.subject().expect("a subject").to_string(),
        text: m.body_text(0).expect("text").replace("\r\n", "\n"),
        html,
        raw,
    }
}

/// The list headers of alert, update and weekly mails.
fn check_list_headers(raw: &[u8], list: &str, name: &str, token: &str) {
    let m = MessageParser::default().parse(raw).expect("parses");
    let to = m.to().and_then(|a| a.first()).expect("To");
    assert_eq!(to.address(), Some("admin@corp.example.jp"));
    assert_eq!(to.name(), Some("管理者 太郎"));
    let id = m
        .list_id()
        .as_address()
        .and_then(|a| a.first())
        .expect("List-Id");
    assert_eq!(id.address(), Some(list));
    assert_eq!(id.name(), Some(name));
    let unsub = m
        .list_unsubscribe()
        .as_address()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .expect("List-Unsubscribe");
    assert_eq!(unsub, format!("{BASE}/unsubscribe/{token}"));
    assert_eq!(
        m.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(m.header_raw("Precedence").map(str::trim), Some("bulk"));
}

/// HTML for mail clients: a document in Japanese, balanced tags, nothing
/// fetched or run.
fn check_html(html: &str) {
    assert!(
        html.starts_with("<!DOCTYPE html>\n<html lang=\"ja\">"),
        "{}",
        &html[..60]
    );
    for bad in [
        "<script",
        "src=",
        "<link",
        "<img",
        "url(",
        "<style",
        "@import",
        "javascript:",
    ] {
        assert!(!html.contains(bad), "HTML contains {bad}");
    }
    const VOID: [&str; 3] = ["br", "meta", "hr"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').expect("a closed tag") + i;
        let tag = &rest[i + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!name.is_empty(), "bad tag <{tag}>");
        if tag.starts_with('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "</{name}> closes the wrong element"
            );
        } else if !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

/// HTML-escaped as askama does it (numeric references).
fn escape(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{haystack}"))
}

/// What the text and HTML of an alert or update mail must show.
fn check_alert_body(a: &Alert, p: &Parsed) {
    let t = &p.text;
    let sev = a.severity.expect("demo alerts have a severity").label_ja();
    assert!(t.contains(&format!("深刻度            {sev} (")), "{t}");
    let action = a.action.expect("demo alerts have an action").label_ja();
    assert!(t.contains(action));
    for kb in &a.kbs {
        assert!(t.contains(&format!("KB{kb}")));
    }
    let page = format!("{BASE}/alerts/{}/", a.id);
    assert!(t.contains(&page));
    assert!(t.contains(&format!("{BASE}/unsubscribe/u-7Hq2xZ")));
    assert!(t.contains(&format!("{BASE}/subscribe/p-9Lm4Kd")));
    assert!(p.html.contains(&format!("href=\"{page}\"")));
    assert!(p
        .html
        .contains(&format!("href=\"{BASE}/unsubscribe/u-7Hq2xZ\"")));
    assert!(p
        .html
        .contains(&format!("href=\"{BASE}/subscribe/p-9Lm4Kd\"")));

    // The order an administrator reads in.
    let mut order = vec![
        position(t, "深刻度"),
        position(t, "再起動の必要性"),
        position(t, "対象環境"),
        position(t, &page),
        position(t, "■ 対象プラットフォーム"),
        position(t, "■ 適用されるファイル情報"),
        position(t, "■ 確認方法"),
    ];
    if !a.workarounds.is_empty() {
        order.push(position(t, "■ 参考情報"));
    }
    if !a.rollout.is_empty() {
        order.push(position(t, "■ 予想適用時間"));
    }
    order.push(position(t, "配信の停止"));
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "sections out of order in:\n{t}");

    for x in &a.affected {
        assert!(t.contains(&x.software) && t.contains(&x.platforms));
    }
    let packages = a.effective_packages();
    assert!(!packages.is_empty());
    assert!(p.html.contains("<table"));
    for pkg in &packages {
        assert!(t.contains(&pkg.file), "{} missing", pkg.file);
        for f in &pkg.files {
            let version = f.version.as_deref().expect("demo files have versions");
            // One text line holds the file's name and version.
            assert!(
                t.lines()
                    .any(|l| l.contains(&f.name) && l.contains(version)),
                "no line with {} {version}",
                f.name
            );
            assert!(
                p.html.contains(&format!(">{}</td>", escape(&f.name))),
                "{}",
                f.name
            );
            assert!(p.html.contains(&format!(">{}</td>", escape(version))));
            if let Some(size) = f.size {
                let grouped = size
                    .to_string()
                    .as_bytes()
                    .rchunks(3)
                    .rev()
                    .map(|c| std::str::from_utf8(c).expect("digits"))
                    .collect::<Vec<_>>()
                    .join(",");
                assert!(t.contains(&grouped), "size {grouped} of {}", f.name);
            }
        }
    }
    for v in &a.verification {
        assert!(t.contains(&v.registry_key));
        assert!(p.html.contains(&escape(&v.registry_key)));
    }
    for w in a.workarounds.iter().filter_map(|w| w.title.as_deref()) {
        assert!(t.contains(w) && p.html.contains(&escape(w)));
    }
    for r in &a.rollout {
        assert!(t.contains(&r.package));
    }
}

#[test]
fn every_demo_alert_makes_a_complete_alert_mail() {
    let s = sender();
    let to = recipient();
    for a in demo_alerts() {
        let id = message_id(&s, &Kind::NewAlert.key(&a.id), "admin@corp.example.jp");
        let msg = alert_message(&s, &a, Kind::NewAlert, &to, &id, date()).expect("composes");
        let p = parse(&msg, &id);
        let sev = a.severity.expect("severity").label_ja();
        assert_eq!(
            p.subject,
            format!("[HotFix Alert][{sev}] {}: {}", a.id, a.title)
        );
        check_list_headers(
            &p.raw,
            "alerts.hfr.example.org",
            "HotFix Alert 配信",
            "u-7Hq2xZ",
        );
        check_alert_body(&a, &p);
        assert!(!p.text.contains("更新内容"), "a new alert is no update");
        let m = MessageParser::default().parse(&p.raw).expect("parses");
        assert!(m.header_raw("References").is_none());
        // Both parts go as 8-bit UTF-8, lines within SMTP's limit: the
        // Japanese title is in the raw mail as written.
        let raw = String::from_utf8_lossy(&p.raw);
        assert_eq!(
            raw.matches("Content-Transfer-Encoding: 8bit").count(),
            2,
            "{}",
            a.id
        );
        assert!(raw.contains(&a.title), "{}", a.id);
        assert!(raw.split("\r\n").all(|l| l.len() <= 998), "{}", a.id);
    }
}

#[test]
fn update_mails_say_what_changed_before_the_facts() {
    let s = sender();
    let to = recipient();
    for old in demo_alerts() {
        let mut new = old.clone();
        let raised = match old.severity {
            Some(Severity::Critical) => Severity::Important,
            _ => Severity::Critical,
        };
        new.severity = Some(raised);
        let file = &mut new.packages[0].files[0];
        let before_version = file.version.clone().expect("a version");
        let after_version = format!("{before_version}9");
        file.version = Some(after_version.clone());
        new.updated = NaiveDate::from_ymd_opt(2005, 1, 12);
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 3);
        let kind = Kind::Revision {
            revision: 2,
            changes: &changes,
        };
        let id = message_id(&s, &kind.key(&new.id), "admin@corp.example.jp");
        assert!(id.starts_with(&format!("<alert.{}.r2.", new.id)));
        let msg = alert_message(&s, &new, kind, &to, &id, date()).expect("composes");
        let p = parse(&msg, &id);
        assert_eq!(
            p.subject,
            format!(
                "[HotFix Alert 更新 r2][{}] {}: {}",
                raised.label_ja(),
                new.id,
                new.title
            )
        );
        check_list_headers(
            &p.raw,
            "alerts.hfr.example.org",
            "HotFix Alert 配信",
            "u-7Hq2xZ",
        );
        check_alert_body(&new, &p);

        let t = &p.text;
        let labels = ["更新日", "深刻度", "適用されるファイル情報"];
        assert_eq!(
            changed_sections(&changes),
            vec!["updated", "severity", "packages"]
        );
        assert!(
            t.contains(&format!("変更された項目: {}", labels.join("、"))),
            "{t}"
        );
        assert!(t.contains(&format!(
            "{} → {}",
            old.severity.expect("severity").number(),
            raised.number()
        )));
        assert!(t.contains(&format!("{before_version} → {after_version}")));
        assert!(t.contains("packages[0].files[0].version"));
        assert!(position(t, "更新内容") < position(t, "深刻度            "));
        assert!(p
            .html
            .contains(&format!("<del>{}</del>", escape(&before_version))));
        assert!(p
            .html
            .contains(&format!("<ins>{}</ins>", escape(&after_version))));

        // Threaded under the first mail of the alert.
        let first = message_id(&s, &Kind::NewAlert.key(&new.id), "admin@corp.example.jp");
        let m = MessageParser::default().parse(&p.raw).expect("parses");
        assert_eq!(
            m.references().as_text(),
            Some(first.trim_matches(['<', '>']))
        );
    }
}

#[test]
fn long_change_lists_are_cut_with_a_count() {
    let s = sender();
    let old = demo_alerts().remove(3); // MS05-017: 27 files
    assert_eq!(old.id, "MS05-017");
    let mut new = old.clone();
    for p in &mut new.packages {
        for f in &mut p.files {
            f.size = f.size.map(|n| n + 1);
        }
    }
    new.title = "x".repeat(500);
    let changes = diff(&old, &new);
    assert!(changes.len() > 20);
    let kind = Kind::Revision {
        revision: 3,
        changes: &changes,
    };
    let id = message_id(&s, &kind.key(&new.id), "a@b.example");
    let msg = alert_message(&s, &new, kind, &recipient(), &id, date()).expect("composes");
    let p = parse(&msg, &id);
    let shown = p.text.lines().filter(|l| l.starts_with("・")).count();
    assert_eq!(shown, 15);
    assert!(p
        .text
        .contains(&format!("ほか {} 件の変更", changes.len() - 15)));
    // The 500-character title is cut in the subject, in full in neither header line.
    assert!(p.subject.chars().count() < 260, "{}", p.subject);
    assert!(p.subject.ends_with('…'));
}

#[test]
fn weekly_lists_new_then_updated_alerts_most_severe_first() {
    let s = sender();
    let to = recipient();
    let alerts = demo_alerts();
    let mut entries: Vec<WeeklyEntry> = alerts
        .iter()
        .enumerate()
        .map(|(i, a)| WeeklyEntry::from_alert(a, if i < 2 { 2 } else { 1 }, i < 2))
        .collect();
    entries[0].changed_sections = vec!["severity".into(), "packages".into()];
    let week = Week {
        start: NaiveDate::from_ymd_opt(2004, 10, 11).expect("date"),
        end: NaiveDate::from_ymd_opt(2004, 10, 17).expect("date"),
        entries,
    };
    assert_eq!(week.key(), "weekly.2004-10-11");
    let id = message_id(&s, &week.key(), "admin@corp.example.jp");
    let msg = weekly_message(&s, &week, &to, &id, date()).expect("composes");
    let p = parse(&msg, &id);
    assert_eq!(
        p.subject,
        "[HotFix Weekly] 2004/10/11〜10/17 新規3件・更新2件"
    );
    check_list_headers(
        &p.raw,
        "weekly.hfr.example.org",
        "HotFix Weekly",
        "u-7Hq2xZ",
    );
    let t = &p.text;
    for a in &alerts {
        assert!(t.contains(&a.title), "{}", a.id);
        assert!(t.contains(&format!("{BASE}/alerts/{}/", a.id)));
        assert!(p
            .html
            .contains(&format!("href=\"{BASE}/alerts/{}/\"", a.id)));
        assert!(p.html.contains(&escape(&a.title)));
    }
    assert!(t.contains("変更された項目: 深刻度、適用されるファイル情報"));
    assert!(position(t, "■ 新しいアラート (3件)") < position(t, "■ 更新されたアラート (2件)"));
    // Among the new ones (alerts 2..5), most severe first.
    let new_ids: Vec<&Alert> = alerts[2..].iter().collect();
    let mut by_severity = new_ids.clone();
    by_severity.sort_by_key(|a| a.severity.map(|s| s.number()));
    let positions: Vec<usize> = by_severity
        .iter()
        .map(|a| position(t, &format!("] {}  ", a.id)))
        .collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(positions, sorted, "{t}");
    assert!(p.html.contains("<table"));

    // Across a new year the end date keeps its year.
    let turn = Week {
        start: NaiveDate::from_ymd_opt(2004, 12, 27).expect("date"),
        end: NaiveDate::from_ymd_opt(2005, 1, 2).expect("date"),
        entries: vec![],
    };
    let id = message_id(&s, &turn.key(), "admin@corp.example.jp");
    let msg = weekly_message(&s, &turn, &to, &id, date()).expect("composes");
    let p = parse(&msg, &id);
    assert_eq!(
        p.subject,
        "[HotFix Weekly] 2004/12/27〜2005/01/02 新規0件・更新0件"
    );
    assert!(p
        .text
        .contains("公開・更新された HotFix Alert はありません"));
}

#[test]
fn confirmation_has_no_list_headers_and_links_the_confirm_page() {
    let s = sender();
    let to: Mailbox = "admin@corp.example.jp".parse().expect("mailbox");
    let prefs = Preferences {
        min_severity: Some(Severity::Important),
        products: vec!["Windows Server 2003".into()],
        ..Preferences::default()
    };
    let id = message_id(&s, &confirmation_key("c-5Tr8"), "admin@corp.example.jp");
    let msg = confirmation_message(&s, &to, "c-5Tr8", &prefs, &id, date()).expect("composes");
    let p = parse(&msg, &id);
    assert_eq!(p.subject, "[HotFix Alert] 配信のお申し込みの確認");
    let m = MessageParser::default().parse(&p.raw).expect("parses");
    for h in [
        "List-Unsubscribe-Post",
        "List-Unsubscribe",
        "List-Id",
        "Precedence",
    ] {
        assert!(m.header_raw(h).is_none(), "{h} on a confirmation");
    }
    let url = format!("{BASE}/subscribe/confirm/c-5Tr8");
    assert!(p.text.contains(&url));
    assert!(p.html.contains(&format!("href=\"{url}\"")));
    assert!(p.text.contains("重要以上"));
    assert!(p.text.contains("Windows Server 2003"));
    assert!(!p.text.contains("unsubscribe"));
}

#[test]
fn data_cannot_inject_headers() {
    let s = sender();
    let mut a = demo_alerts().remove(0);
    a.title = "<b>悪意</b>\r\nBcc: evil@example.com\r\n\r\nbody".into();
    let to = Recipient {
        address: Mailbox::new(
            Some("x\r\nBcc: evil2@example.com".into()),
            "admin@corp.example.jp".parse().expect("address"),
        ),
        ..recipient()
    };
    let id = message_id(&s, &Kind::NewAlert.key(&a.id), "admin@corp.example.jp");
    let msg = alert_message(&s, &a, Kind::NewAlert, &to, &id, date()).expect("composes");
    let raw = msg.formatted();
    let m = MessageParser::default().parse(&raw).expect("parses");
    assert!(m.bcc().is_none());
    assert!(m.header_raw("Bcc").is_none());
    assert!(msg
        .envelope()
        .to()
        .iter()
        .all(|a| a.to_string() == "admin@corp.example.jp"));
    let subject = m.subject().expect("subject");
    assert!(!subject.contains(['\r', '\n']), "{subject:?}");
    assert_eq!(
        subject,
        "[HotFix Alert][緊急] MS04-035: <b>悪意</b> Bcc: evil@example.com body"
    );
    let to_name = m
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .expect("name");
    assert_eq!(to_name, "x Bcc: evil2@example.com");
    // No header line of the raw message starts a Bcc.
    let head = String::from_utf8_lossy(&raw);
    let head = head.split("\r\n\r\n").next().expect("headers");
    assert!(!head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("bcc")));
    // The HTML escapes the title.
    let html = m.body_html(0).expect("html");
    assert!(html.contains(&escape("<b>悪意</b>")));
    assert!(!html.contains("<b>悪意"));

    // Tokens cannot leave their URL segment.
    let to = Recipient {
        unsubscribe_token: "a/b c>\r\nX: y".into(),
        ..recipient()
    };
    let msg = alert_message(&s, &a, Kind::NewAlert, &to, &id, date()).expect("composes");
    let m2raw = msg.formatted();
    let m2 = MessageParser::default().parse(&m2raw).expect("parses");
    assert_eq!(
        m2.header_raw("List-Unsubscribe").map(str::trim),
        Some("<https://hfr.example.org/unsubscribe/a%2Fb%20c%3E%0D%0AX%3A%20y>")
    );
    assert!(m2.header_raw("X").is_none());
}

#[test]
fn bad_inputs_name_their_field() {
    let s = sender();
    let a = demo_alerts().remove(0);
    let field = |r: Result<lettre::Message, ComposeError>| match r {
        Err(ComposeError::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    };
    let ok_id = "<a.b@hfr.example.org>";
    let to = Recipient {
        unsubscribe_token: String::new(),
        ..recipient()
    };
    assert_eq!(
        field(alert_message(&s, &a, Kind::NewAlert, &to, ok_id, date())),
        "recipient.unsubscribe_token"
    );
    let to = Recipient {
        preferences_token: "x".repeat(300),
        ..recipient()
    };
    assert_eq!(
        field(alert_message(&s, &a, Kind::NewAlert, &to, ok_id, date())),
        "recipient.preferences_token"
    );
    assert_eq!(
        field(alert_message(
            &s,
            &a,
            Kind::NewAlert,
            &recipient(),
            "no-brackets",
            date()
        )),
        "message_id"
    );
    let mut nameless = a.clone();
    nameless.id = " ".into();
    assert_eq!(
        field(alert_message(
            &s,
            &nameless,
            Kind::NewAlert,
            &recipient(),
            ok_id,
            date()
        )),
        "alert.id"
    );
    let to: Mailbox = "a@b.example".parse().expect("mailbox");
    assert_eq!(
        field(confirmation_message(
            &s,
            &to,
            "",
            &Preferences::default(),
            ok_id,
            date()
        )),
        "confirm_token"
    );
    let backwards = Week {
        start: NaiveDate::from_ymd_opt(2004, 10, 17).expect("date"),
        end: NaiveDate::from_ymd_opt(2004, 10, 11).expect("date"),
        entries: vec![],
    };
    assert_eq!(
        field(weekly_message(&s, &backwards, &recipient(), ok_id, date())),
        "week"
    );
}

#[test]
fn a_retry_gets_the_same_message_id_and_each_recipient_its_own() {
    let s = sender();
    let a = demo_alerts().remove(0);
    let key = Kind::NewAlert.key(&a.id);
    let first = message_id(&s, &key, "admin@corp.example.jp");
    assert_eq!(first, message_id(&s, &key, "Admin@Corp.Example.JP"));
    assert_ne!(first, message_id(&s, &key, "other@corp.example.jp"));
    assert!(first.starts_with("<alert.MS04-035.") && first.ends_with("@mail.hfr.example.org>"));
    let m1 = alert_message(&s, &a, Kind::NewAlert, &recipient(), &first, date()).expect("composes");
    let m2 = alert_message(&s, &a, Kind::NewAlert, &recipient(), &first, date()).expect("composes");
    let id_of = |m: &lettre::Message| {
        MessageParser::default()
            .parse(&m.formatted())
            .and_then(|p| p.message_id().map(str::to_string))
    };
    assert_eq!(id_of(&m1), id_of(&m2));
}
