//! The header: edition and dates, the choice lists, references, the
//! identifier and title, and the urgency line.
//!
//! Choice lists print every option, so the value is not the first option but
//! the *marked* one: in the plain rendering the chosen option is the one line
//! left flush while the others are indented; in the table export a `→` cell
//! stands before it. A list with one printed value needs no mark.

use hfr_model::{
    Action, Reboot, RebootRequired, Reference, ReferenceKind, Severity, Supersedes, Target, Urgency,
};

use super::lines::{
    self, date_exact, date_prefix, parenthesized, split_trailing_paren, trim, Line, Rendering,
};
use super::{Cx, Kind, Section};

fn nonblank(s: &Section) -> Vec<&Line> {
    s.body.iter().filter(|l| !l.is_blank()).collect()
}

fn owned(ls: &[&Line]) -> Vec<Line> {
    ls.iter().map(|l| (*l).clone()).collect()
}

/// One option of a choice list.
struct Opt<'a> {
    line: &'a Line,
    text: String,
    chosen: bool,
}

/// Reads a choice list and which of its options are marked.
fn options<'a>(cx: &Cx, s: &'a Section) -> Vec<Opt<'a>> {
    let ls = nonblank(s);
    let arrows = ls.iter().any(|l| l.text.starts_with('→'));
    let mut out: Vec<Opt<'a>> = Vec::new();
    let mut marked = false;
    for l in ls {
        if l.text == "→" {
            marked = true;
            continue;
        }
        if let Some(rest) = l.text.strip_prefix('→') {
            out.push(Opt {
                line: l,
                text: trim(rest).into(),
                chosen: true,
            });
            marked = false;
            continue;
        }
        let chosen = if arrows {
            marked
        } else {
            cx.rendering == Rendering::Plain && !l.indented
        };
        marked = false;
        out.push(Opt {
            line: l,
            text: l.text.clone(),
            chosen,
        });
    }
    if out.len() == 1 {
        out[0].chosen = true;
    }
    out
}

/// Applies a choice list whose options `read` understands: exactly one marked
/// option is the value; none or several is a warning (the value stays null);
/// options `read` does not know are kept as a note.
fn single_choice<T: Copy>(cx: &mut Cx, s: &Section, read: impl Fn(&str) -> Option<T>) -> Option<T> {
    let opts = options(cx, s);
    let mut unknown = Vec::new();
    let mut chosen = Vec::new();
    for o in &opts {
        match read(&o.text) {
            Some(v) if o.chosen => chosen.push(v),
            Some(_) => {}
            None => unknown.push(o.line.clone()),
        }
    }
    if !unknown.is_empty() {
        cx.keep(&s.title, &unknown, "value not understood");
    }
    let known = opts.len() - unknown.len();
    match chosen.len() {
        1 => Some(chosen[0]),
        0 if known == 0 => None,
        0 => {
            cx.warn(
                Some(s.line),
                &s.title,
                "options printed but none is marked as chosen",
            );
            None
        }
        n => {
            cx.warn(
                Some(s.line),
                &s.title,
                format!("{n} options are marked as chosen; leaving the value empty"),
            );
            None
        }
    }
}

fn severity_option(t: &str) -> Option<Severity> {
    let (head, label) = split_trailing_paren(t);
    let by_number = Severity::parse(head);
    let by_label = label.and_then(Severity::parse);
    match (by_number, by_label) {
        (Some(a), Some(b)) if a == b => Some(a),
        (Some(_), Some(_)) => None,
        (a, b) => a.or(b).or_else(|| Severity::parse(t)),
    }
}

pub(super) fn severity(cx: &mut Cx, s: &Section) {
    cx.alert.severity = single_choice(cx, s, severity_option);
}

pub(super) fn exploit(cx: &mut Cx, s: &Section) {
    cx.alert.exploit_code = single_choice(cx, s, |t| match t {
        "あり" | "有" | "公開" => Some(true),
        "なし" | "無" | "未公開" => Some(false),
        _ => None,
    });
}

pub(super) fn action(cx: &mut Cx, s: &Section) {
    cx.alert.action = single_choice(cx, s, Action::parse);
}

pub(super) fn uninstall(cx: &mut Cx, s: &Section) {
    let ls = nonblank(s);
    let mut rest = Vec::new();
    for l in &ls {
        let (head, note) = split_trailing_paren(&l.text);
        let v = match head {
            "可" | "可能" => Some(true),
            "不可" | "不可能" => Some(false),
            _ => None,
        };
        match v {
            Some(v) if cx.alert.uninstall.is_none() => {
                cx.alert.uninstall = Some(v);
                // The model has no place for a remark on uninstalling.
                if note.is_some() {
                    rest.push((*l).clone());
                }
            }
            _ => rest.push((*l).clone()),
        }
    }
    cx.keep(&s.title, &rest, "value not understood");
}

pub(super) fn target(cx: &mut Cx, s: &Section) {
    let opts = options(cx, s);
    if opts.is_empty() {
        return;
    }
    let mut t = Target {
        server: false,
        client: false,
    };
    let mut unknown = Vec::new();
    let mut any = false;
    for o in &opts {
        let slot = match o.text.as_str() {
            "サーバ" | "サーバー" => &mut t.server,
            "クライアント" => &mut t.client,
            _ => {
                unknown.push(o.line.clone());
                continue;
            }
        };
        if o.chosen {
            *slot = true;
            any = true;
        }
    }
    cx.keep(&s.title, &unknown, "value not understood");
    if any {
        cx.alert.target = Some(t);
    } else if unknown.len() < opts.len() {
        cx.warn(
            Some(s.line),
            &s.title,
            "options printed but none is marked as chosen",
        );
    }
}

/// `必要`, `不要`, with an optional parenthesized remark. A remark that names
/// the opposite (`必要(…場合は不要)`) makes the answer conditional.
fn reboot_value(v: &str) -> Option<(RebootRequired, Option<String>)> {
    let (head, note) = split_trailing_paren(v);
    let base = match head {
        "必要" | "要" | "あり" => RebootRequired::Yes,
        "不要" | "なし" => RebootRequired::No,
        "条件付き" => RebootRequired::Conditional,
        _ => return None,
    };
    let opposite = |n: &str| match base {
        RebootRequired::Yes => n.contains("不要"),
        RebootRequired::No => n.contains("必要"),
        RebootRequired::Conditional => true,
    };
    let required = match note {
        Some(n) if opposite(n) => RebootRequired::Conditional,
        _ => base,
    };
    Some((required, note.map(str::to_string)))
}

/// `Product:value` → (`Product`, `value`); a line that starts with the value
/// itself has no product.
fn product_colon(t: &str) -> Option<(&str, &str)> {
    let i = t.find([':', '：'])?;
    let product = trim(&t[..i]);
    let sep = t[i..].chars().next().map_or(1, char::len_utf8);
    if product.is_empty() || reboot_value(product).is_some() || product.contains('(') {
        return None;
    }
    Some((product, trim(&t[i + sep..])))
}

pub(super) fn reboot(cx: &mut Cx, s: &Section) {
    let ls = nonblank(s);
    let mut unknown = Vec::new();
    let mut i = 0;
    while i < ls.len() {
        let t = ls[i].text.as_str();
        let (product, value) = match product_colon(t) {
            Some((p, "")) => match ls.get(i + 1) {
                Some(next) if reboot_value(&next.text).is_some() => {
                    i += 1;
                    (Some(p), next.text.as_str())
                }
                _ => (Some(p), ""),
            },
            Some((p, v)) => (Some(p), v),
            None => (None, t),
        };
        match reboot_value(value) {
            Some((required, note)) => cx.alert.reboot.push(Reboot {
                product: product.map(str::to_string),
                required,
                note,
            }),
            None => unknown.push(ls[i].clone()),
        }
        i += 1;
    }
    cx.keep(&s.title, &unknown, "reboot value not understood");
}

pub(super) fn references(cx: &mut Cx, kind: &Kind, s: &Section) {
    let ref_kind = match kind {
        Kind::Bulletin => ReferenceKind::Bulletin,
        Kind::Kb => ReferenceKind::Kb,
        _ => ReferenceKind::Faq,
    };
    let mut pending: Option<String> = None;
    for l in nonblank(s) {
        let t = l.text.as_str();
        if t.starts_with("http://") || t.starts_with("https://") {
            match cx.alert.references.last_mut() {
                Some(r) if r.kind == ref_kind && r.url.is_none() => r.url = Some(t.into()),
                _ => cx.alert.references.push(Reference {
                    kind: ref_kind,
                    label: t.into(),
                    locale: None,
                    url: Some(t.into()),
                    note: pending.take(),
                }),
            }
            continue;
        }
        let (label, paren) = split_trailing_paren(t);
        let looks_like_label = !label.is_empty() && label.is_ascii() && !label.contains(' ');
        if ref_kind == ReferenceKind::Faq && !looks_like_label {
            // The FAQ link is printed under the title of what it belongs to
            // (セキュリティ情報); that title is the link's note.
            pending = Some(match pending.take() {
                Some(p) => format!("{p} {t}"),
                None => t.into(),
            });
            continue;
        }
        let (locale, note) = match paren {
            Some("日本") | Some("日本語") => (Some("ja".to_string()), None),
            Some("US") | Some("英語") => (Some("en-US".to_string()), None),
            Some(other) => (None, Some(other.to_string())),
            None => (None, None),
        };
        let note = match (pending.take(), note) {
            (Some(p), Some(n)) => Some(format!("{p} {n}")),
            (p, n) => p.or(n),
        };
        cx.alert.references.push(Reference {
            kind: ref_kind,
            label: if looks_like_label {
                label.into()
            } else {
                t.into()
            },
            locale: if looks_like_label { locale } else { None },
            url: None,
            note: if looks_like_label { note } else { None },
        });
    }
    if let Some(p) = pending {
        let line = Line {
            no: s.line,
            text: p,
            indented: false,
        };
        cx.keep(&s.title, &[line], "a title with no link under it");
    }
}

/// `MS04-035`-shaped: letters, two digits, a dash, digits.
pub(crate) fn is_bulletin_id(t: &str) -> bool {
    let Some((a, b)) = t.split_once('-') else {
        return false;
    };
    let letters = a.bytes().take_while(u8::is_ascii_alphabetic).count();
    letters >= 2
        && a.len() > letters
        && a[letters..].bytes().all(|c| c.is_ascii_digit())
        && !b.is_empty()
        && b.bytes().all(|c| c.is_ascii_digit())
}

pub(super) fn supersedes(cx: &mut Cx, s: &Section) {
    for l in nonblank(s) {
        let t = l.text.as_str();
        if matches!(t, "なし" | "無し" | "-" | "−") {
            continue;
        }
        let (head, scope) = split_trailing_paren(t);
        let ids: Vec<&str> = head
            .split(['/', '、', ',', ' '])
            .map(trim)
            .filter(|x| !x.is_empty())
            .collect();
        if !ids.is_empty() && ids.iter().all(|x| is_bulletin_id(x)) {
            for id in ids {
                cx.alert.supersedes.push(Supersedes {
                    id: id.into(),
                    scope: scope.map(str::to_string),
                });
            }
        } else {
            cx.warn(Some(l.no), &s.title, "not a bulletin id; kept as written");
            cx.alert.supersedes.push(Supersedes {
                id: head.into(),
                scope: scope.map(str::to_string),
            });
        }
    }
}

pub(super) fn identifier(cx: &mut Cx, s: &Section) {
    let ls = nonblank(s);
    let Some(first) = ls.first() else {
        cx.warn(Some(s.line), &s.title, "empty: no bulletin id");
        return;
    };
    let mut parts = first.text.split('/').map(trim);
    let id = parts.next().unwrap_or_default();
    if !is_bulletin_id(id) {
        cx.warn(
            Some(first.no),
            &s.title,
            format!("{id:?} does not look like a bulletin id"),
        );
    }
    cx.alert.id = id.into();
    for kb in parts.filter(|p| !p.is_empty()) {
        let kb = kb.trim_start_matches(['K', 'B', 'k', 'b']);
        cx.alert.kbs.push(kb.into());
    }
    let mut rest = Vec::new();
    for l in &ls[1..] {
        if let Some(v) = parenthesized(&l.text) {
            if cx.alert.vendor_title.is_none() {
                cx.alert.vendor_title = Some(trim(v).into());
                continue;
            }
        } else if cx.alert.vendor_title.is_none() {
            if cx.alert.title.is_empty() {
                cx.alert.title = l.text.clone();
                continue;
            }
            if cx.rendering == Rendering::Table {
                // A title the exporter wrapped.
                cx.alert.title = format!("{} {}", cx.alert.title, l.text);
                continue;
            }
        }
        rest.push((*l).clone());
    }
    if cx.alert.title.is_empty() {
        cx.warn(Some(s.line), &s.title, "no title under the identifier");
    }
    cx.keep(&s.title, &rest, "lines after the title not understood");
}

pub(super) fn urgency(cx: &mut Cx, s: &Section) {
    let text = s
        .inline
        .as_ref()
        .map(|l| l.text.as_str())
        .unwrap_or_default();
    let mut u = Urgency {
        text: String::new(),
        exploit_published: None,
        attacks_seen: None,
    };
    // `至急適用 [攻撃コード未公開][攻撃事例なし]`
    let (words, flags) = match text.find(['[', '［']) {
        Some(i) => (trim(&text[..i]), &text[i..]),
        None => (trim(text), ""),
    };
    let mut unknown_flags = Vec::new();
    for flag in flags
        .split([']', '］'])
        .map(|f| trim(f.trim_start_matches(is_space_or_open)))
        .filter(|f| !f.is_empty())
    {
        match flag {
            "攻撃コード公開" | "攻撃コードあり" => u.exploit_published = Some(true),
            "攻撃コード未公開" | "攻撃コードなし" => {
                u.exploit_published = Some(false)
            }
            "攻撃事例あり" => u.attacks_seen = Some(true),
            "攻撃事例なし" => u.attacks_seen = Some(false),
            other => unknown_flags.push(format!("[{other}]")),
        }
    }
    u.text = words.into();
    if !unknown_flags.is_empty() {
        // Keep unknown flags in the wording rather than lose them.
        cx.warn(
            Some(s.line),
            &s.title,
            "unknown urgency flag kept in the text",
        );
        u.text = format!("{} {}", u.text, unknown_flags.join(""));
    }
    if u.text.is_empty() && flags.is_empty() {
        cx.warn(Some(s.line), &s.title, "empty urgency line");
    } else {
        cx.alert.urgency = Some(u);
    }
    let rest: Vec<Line> = owned(&nonblank(s));
    cx.keep(&s.title, &rest, "text after the urgency line");
}

fn is_space_or_open(c: char) -> bool {
    c == '[' || c == '［' || lines::is_space(c)
}

/// 【登録日】, 【更新日】 and the edition line, whose date the table export and
/// some plain copies split over two or three lines (`HotFix Alert:` /
/// `2006` / `/07/12版`).
pub(super) fn dates(cx: &mut Cx, kind: &Kind, s: &Section) {
    let mut text = s
        .inline
        .as_ref()
        .map(|l| l.text.clone())
        .unwrap_or_default();
    let mut rest = Vec::new();
    let datey = |t: &str| {
        t.chars()
            .all(|c| c.is_ascii_digit() || "/年月日版-".contains(c))
    };
    let mut in_date = true;
    for l in s.body.iter().filter(|l| !l.is_blank()) {
        if in_date && datey(&l.text) {
            text.push_str(&l.text);
        } else {
            in_date = false;
            rest.push(l.clone());
        }
    }
    let date = match kind {
        Kind::Edition => date_prefix(&text)
            .and_then(|(d, tail)| matches!(trim(tail), "" | "日版" | "版").then_some(d)),
        _ => date_exact(&text),
    };
    match (kind, date) {
        (Kind::Edition, Some(d)) => cx.alert.edition = Some(d),
        (Kind::Registered, Some(d)) => cx.alert.registered = Some(d),
        (Kind::Updated, Some(d)) => cx.alert.updated = Some(d),
        _ if text.is_empty() => cx.warn(Some(s.line), &s.title, "no date"),
        _ => {
            let line = Line {
                no: s.line,
                text: text.clone(),
                indented: false,
            };
            cx.keep(&s.title, &[line], "date not understood");
        }
    }
    cx.keep(&s.title, &rest, "text after the date");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reboot_values() {
        assert_eq!(reboot_value("必要"), Some((RebootRequired::Yes, None)));
        let (r, n) = reboot_value("不要(サービスを止められないときは必要)").unwrap();
        assert_eq!(r, RebootRequired::Conditional);
        assert_eq!(n.as_deref(), Some("サービスを止められないときは必要"));
        let (r, _) = reboot_value("不要(自動で止まる)").unwrap();
        assert_eq!(r, RebootRequired::No);
        assert_eq!(reboot_value("たぶん"), None);
        assert_eq!(
            product_colon("Exchange Server 2003:不要(x)"),
            Some(("Exchange Server 2003", "不要(x)"))
        );
        assert_eq!(product_colon("必要(a:b)"), None);
    }

    #[test]
    fn bulletin_ids() {
        assert!(is_bulletin_id("MS04-035"));
        assert!(is_bulletin_id("MS05-027"));
        assert!(!is_bulletin_id("885881"));
        assert!(!is_bulletin_id("MS-035"));
        assert_eq!(severity_option("3(警告)"), Some(Severity::Moderate));
        assert_eq!(severity_option("3(緊急)"), None);
    }
}
