//! The HotFix Alert page parser.
//!
//! A page is read in three passes. `lines` reduces both renderings (plain
//! lines, and the table export with ` |` cells) to one list of lines. The page
//! is then cut into sections at the headings it prints: the header labels
//! (`深刻度`, `対策`, …), the body headings (`概要`, `‥‥‥ 確認方法 ‥‥‥`, …) and,
//! because the table export lost some `‥‥‥` headings, the table headers and
//! intro sentences that stand at the top of those sections. Each section is
//! then read by its own parser (modules `header`, `body`, `files`).
//!
//! Two rules hold throughout, because real pages are often cut short or come
//! from years whose layout differs:
//!
//! * Nothing is dropped. A line is either page furniture on an explicit,
//!   small list ([`is_chrome`] and the section parsers' header rows), or it
//!   lands in a field. Whatever a section parser does not understand is kept
//!   as a titled [`Note`] in `alert.notes`, with a [`Warning`].
//! * Nothing fails that is a HotFix page. Missing sections become warnings;
//!   only input that is not a HotFix page at all is an [`ImportError`].
//!
//! A section whose heading is printed but which holds nothing (seed 004's
//! 危険性, an empty サポート技術情報) leaves its field null or empty without
//! a warning: the page said nothing, it did not lose anything. A warning
//! means a heading is missing, or text was there that could not be placed.

mod body;
mod files;
mod header;
mod lines;
#[cfg(test)]
mod tests;

use hfr_model::{Alert, Note};

use crate::{ImportError, Warning};
use lines::{dotted_title, trim, Line, Rendering};

/// The format name recorded with each revision.
pub const FORMAT: &str = "hotfix-text";

/// Parses the decoded text of one page.
///
/// Fails only when `text` is empty or is not a HotFix page at all (see
/// [`ImportError`]); a partial page yields what it has plus warnings.
pub fn parse(text: &str, file: &str) -> Result<(Alert, Vec<Warning>), ImportError> {
    check_is_page(text, file)?;
    let (mut lines, rendering) = lines::split_lines(text);
    for l in &mut lines {
        if is_chrome(&l.text) {
            l.text.clear();
        }
    }
    let sections = segment(&lines);

    let mut cx = Cx {
        alert: Alert::default(),
        warnings: Vec::new(),
        rendering,
    };
    let mut seen: Vec<Kind> = Vec::new();
    for s in &sections {
        if let Some(k) = &s.kind {
            seen.push(k.clone());
        }
        dispatch(&mut cx, s);
    }
    files::resolve_addition_platforms(&mut cx.alert);
    for (kind, label) in EXPECTED {
        if !seen.contains(kind) {
            cx.warn(None, label, "section missing from the page");
        }
    }
    Ok((cx.alert, cx.warnings))
}

/// True when `text` has a line that only a HotFix page prints: one of the
/// header labels, the edition line or a known `‥‥‥` heading. Used by the
/// decoder to tell which legacy-encoding reading is the right one, and by
/// [`parse`] to refuse text that is something else.
pub fn has_markers(text: &str) -> bool {
    text.lines().any(|l| {
        let t = trim(l);
        let t = trim(t.strip_suffix('|').unwrap_or(t));
        t == "深刻度"
            || t == "脆弱性識別番号"
            || t.starts_with("HotFix Alert:")
            || t.starts_with("HotFix Alert：")
            || dotted_title(t).is_some_and(|title| kind_of_label(title).is_some())
    })
}

/// The furniture every page repeats: site banner and navigation, header
/// links and the footer. These lines say nothing about the alert, so they
/// are the only lines (with the table headers the section parsers skip) that
/// leave no trace in the result. Keep this list explicit and short.
pub fn is_chrome(text: &str) -> bool {
    const EXACT: &[&str] = &[
        "Windowsプラットフォーム向けHotFix情報サービス",
        "HFR BBS会議室",
        "詳細",
        "Copyright (C) Digital Advantage Corp.",
    ];
    const PREFIX: &[&str] = &[
        "このページは、HotFix Reportで配信された",
        "トップページ サービスの詳細",
        "HotFix Reportは、UpdateEXPERTユーザー向け",
        "このメールは、HotFix Report",
        "無断で複製・再配信",
        "HotFix Reportでは、細心の注意",
    ];
    EXACT.contains(&text) || PREFIX.iter().any(|p| text.starts_with(p))
}

/// Refuses input that is not a HotFix page, saying what it looked like.
fn check_is_page(text: &str, file: &str) -> Result<(), ImportError> {
    let Some((idx, first)) = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i, trim(l)))
        .find(|(_, l)| !l.is_empty())
    else {
        return Err(ImportError::Empty { file: file.into() });
    };
    let line = idx + 1;
    let lower = first.to_ascii_lowercase();
    let excerpt = |s: &str| -> String {
        let mut e: String = s.chars().take(40).collect();
        if s.chars().count() > 40 {
            e.push('…');
        }
        e
    };
    let markup = if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.starts_with("<head")
        || lower.starts_with("<body")
        || lower.starts_with("<meta")
    {
        Some("an HTML document")
    } else if lower.starts_with("<?xml") || lower.starts_with("<rss") || lower.starts_with("<feed")
    {
        Some("an XML document")
    } else {
        None
    };
    if let Some(what) = markup {
        let tag = first.split_inclusive('>').next().unwrap_or(first);
        let hint = if has_markers(text) {
            "; save the page as text first, this importer reads the text of a HotFix Alert page"
        } else {
            ", not the text of a HotFix Alert page"
        };
        return Err(ImportError::NotAHotFixPage {
            file: file.into(),
            line,
            reason: format!("{what} ({}){hint}", excerpt(tag)),
        });
    }
    if has_markers(text) {
        return Ok(());
    }
    let what = if first.starts_with('{') || first.starts_with('[') {
        "a JSON document"
    } else if first.starts_with('<') {
        "markup"
    } else {
        "text"
    };
    Err(ImportError::NotAHotFixPage {
        file: file.into(),
        line,
        reason: format!(
            "{what} with none of the headings of a HotFix Alert page (深刻度, 脆弱性識別番号, HotFix Alert:); it starts with \"{}\"",
            excerpt(first)
        ),
    })
}

/// Parsing state shared by the section parsers.
pub(crate) struct Cx {
    pub alert: Alert,
    pub warnings: Vec<Warning>,
    pub rendering: Rendering,
}

impl Cx {
    pub fn warn(&mut self, line: Option<usize>, section: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            line,
            section: section.into(),
            message: message.into(),
        });
    }

    /// Keeps lines a section parser could not place as a titled note, so that
    /// no text is lost, and says so.
    pub fn keep(&mut self, title: &str, lines: &[Line], why: &str) {
        let text = lines::prose(lines, self.rendering);
        if text.is_empty() {
            return;
        }
        let first = lines.iter().find(|l| !l.is_blank()).map(|l| l.no);
        self.warn(first, title, format!("{why}; kept as a note"));
        self.alert.notes.push(Note {
            title: title.into(),
            text,
        });
    }

    pub fn prose(&self, lines: &[Line]) -> Option<String> {
        lines::prose_opt(lines, self.rendering)
    }
}

/// What a heading introduces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Edition,
    Registered,
    Updated,
    Severity,
    Exploit,
    Action,
    Reboot,
    Uninstall,
    Target,
    Bulletin,
    Kb,
    Faq,
    Supersedes,
    Identifier,
    Urgency,
    Risk,
    Attacks,
    Summary,
    Vulnerabilities,
    Affected,
    Lab,
    Details,
    Downloads,
    Files,
    Verification,
    Workarounds,
    Rollout,
    ToolDisplay,
    Additions,
    /// A `‥‥‥ title ‥‥‥` heading this parser does not know.
    Unknown(String),
}

/// Sections every page of 2004-2006 carries; a page without one is partial,
/// and the importer says so. Sections only some years print (可能性のある攻撃,
/// 脆弱性の内容, 詳細情報, 参考情報, 追加情報, よく寄せられる質問) are not
/// expected.
const EXPECTED: &[(Kind, &str)] = &[
    (Kind::Edition, "HotFix Alert"),
    (Kind::Registered, "登録日"),
    (Kind::Updated, "更新日"),
    (Kind::Severity, "深刻度"),
    (Kind::Exploit, "攻撃コードの有無"),
    (Kind::Action, "対策"),
    (Kind::Reboot, "再起動の必要性"),
    (Kind::Uninstall, "アンインストール"),
    (Kind::Target, "対象環境"),
    (Kind::Bulletin, "セキュリティ情報"),
    (Kind::Kb, "サポート技術情報"),
    (Kind::Supersedes, "含まれる過去の修正"),
    (Kind::Identifier, "脆弱性識別番号"),
    (Kind::Urgency, "緊急対応度"),
    (Kind::Risk, "危険性"),
    (Kind::Summary, "概要"),
    (Kind::Affected, "対象プラットフォーム"),
    (Kind::Lab, "DA Lab"),
    (Kind::Downloads, "修正プログラムのダウンロード先"),
    (Kind::Files, "適用されるファイル情報"),
    (Kind::Verification, "確認方法"),
    (Kind::Rollout, "予想適用時間"),
    (Kind::ToolDisplay, "UpdateEXPERT上の表示"),
];

/// The kind a whole-line label names; `None` for anything else (an unknown
/// dotted heading becomes [`Kind::Unknown`] in [`heading_at`]).
fn kind_of_label(label: &str) -> Option<Kind> {
    let k = match label {
        "深刻度" => Kind::Severity,
        "攻撃コードの有無" => Kind::Exploit,
        "対策" => Kind::Action,
        "再起動の必要性" => Kind::Reboot,
        "アンインストール" => Kind::Uninstall,
        "対象環境" => Kind::Target,
        "セキュリティ情報" => Kind::Bulletin,
        "サポート技術情報" => Kind::Kb,
        "よく寄せられる質問" => Kind::Faq,
        "含まれる過去の修正" => Kind::Supersedes,
        "脆弱性識別番号" => Kind::Identifier,
        "危険性" => Kind::Risk,
        "可能性のある攻撃" => Kind::Attacks,
        "概要" => Kind::Summary,
        "脆弱性の内容" => Kind::Vulnerabilities,
        "対象プラットフォーム" => Kind::Affected,
        "詳細情報" => Kind::Details,
        "修正プログラムのダウンロード先" => Kind::Downloads,
        "適用されるファイル情報" => Kind::Files,
        "確認方法" => Kind::Verification,
        "参考情報" => Kind::Workarounds,
        "予想適用時間" => Kind::Rollout,
        "UpdateEXPERT上の表示" => Kind::ToolDisplay,
        "追加情報" => Kind::Additions,
        // `DA Lab:HotFixテスティング・チームからのコメント`; the lab's intro
        // sentence also starts with "DA Lab" but is a sentence.
        l if l.starts_with("DA Lab") && !l.contains(['、', '。']) => Kind::Lab,
        _ => return None,
    };
    Some(k)
}

/// One heading and the lines up to the next.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    /// `None` for the lines before the first heading.
    pub kind: Option<Kind>,
    /// The heading as printed (without its dots).
    pub title: String,
    pub line: usize,
    /// Text printed on the heading line after the label
    /// (`HotFix Alert:2004/10/16日版`, `【登録日】2004/10/15`, `緊急対応度:…`).
    pub inline: Option<Line>,
    pub body: Vec<Line>,
}

/// Recognises a heading at `lines[i]`, given the section being read.
fn heading_at(
    lines: &[Line],
    i: usize,
    current: Option<&Kind>,
) -> Option<(Kind, String, Option<String>)> {
    let t = lines[i].text.as_str();
    if t.is_empty() {
        return None;
    }
    let prev = lines[..i]
        .iter()
        .rev()
        .find(|l| !l.is_blank())
        .map(|l| l.text.as_str());
    let next = lines[i + 1..]
        .iter()
        .find(|l| !l.is_blank())
        .map(|l| l.text.as_str());

    // Prefix headings: the value follows on the same line.
    for (prefix, kind) in [
        ("HotFix Alert:", Kind::Edition),
        ("HotFix Alert：", Kind::Edition),
        ("【登録日】", Kind::Registered),
        ("【更新日】", Kind::Updated),
        ("緊急対応度:", Kind::Urgency),
        ("緊急対応度：", Kind::Urgency),
        ("対応の緊急性:", Kind::Urgency),
        ("対応の緊急性：", Kind::Urgency),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return Some((
                kind,
                trim(prefix.trim_end_matches([':', '：'])).into(),
                Some(trim(rest).into()),
            ));
        }
    }
    // 危険性 may carry the gauge legend on its own line.
    if let Some(rest) = t
        .strip_prefix("危険性 ")
        .or_else(|| t.strip_prefix("危険性\u{3000}"))
    {
        return Some((Kind::Risk, "危険性".into(), Some(trim(rest).into())));
    }

    let (label, dotted) = match dotted_title(t) {
        Some(inner) => (inner, true),
        None => (t, false),
    };
    if let Some(kind) = kind_of_label(label) {
        // Labels that also occur as values or table headers inside a section.
        let inside = match (&kind, current) {
            // The FAQ link is titled セキュリティ情報.
            (Kind::Bulletin, Some(Kind::Faq)) => true,
            // The affected-software table's second column header.
            (Kind::Affected, Some(Kind::Affected)) => prev == Some("影響を受けるソフトウェア"),
            _ => false,
        };
        if !inside || dotted {
            return Some((kind, label.into(), None));
        }
        return None;
    }
    if dotted {
        return Some((Kind::Unknown(label.into()), label.into(), None));
    }

    // The table export lost the dotted headings of three sections; their
    // table header or intro sentence still opens them.
    let implicit = if (t == "プラットフォーム"
        && next.is_some_and(|n| n.starts_with("ダウンロード・センター")))
        || t.starts_with("プラットフォーム ダウンロード・センター")
    {
        Some((Kind::Downloads, "修正プログラムのダウンロード先"))
    } else if t.starts_with(files::INTRO) {
        Some((Kind::Files, "適用されるファイル情報"))
    } else if t.starts_with(body::VERIFICATION_INTRO) {
        Some((Kind::Verification, "確認方法"))
    } else {
        None
    };
    match implicit {
        Some((kind, title)) if current != Some(&kind) && current != Some(&Kind::Additions) => {
            Some((kind, title.into(), None))
        }
        _ => None,
    }
}

fn segment(lines: &[Line]) -> Vec<Section> {
    let mut out = vec![Section {
        kind: None,
        title: String::new(),
        line: 1,
        inline: None,
        body: Vec::new(),
    }];
    for i in 0..lines.len() {
        let current = out.last().and_then(|s| s.kind.as_ref());
        match heading_at(lines, i, current) {
            Some((kind, title, inline)) => {
                // Implicit headings are also the section's first body line
                // (an intro sentence or table header), which the section
                // parser skips as it would under a printed heading.
                let implicit = matches!(kind, Kind::Downloads | Kind::Files | Kind::Verification)
                    && dotted_title(&lines[i].text).is_none()
                    && kind_of_label(&lines[i].text).is_none();
                let mut body = Vec::new();
                if implicit {
                    body.push(lines[i].clone());
                }
                out.push(Section {
                    kind: Some(kind),
                    title,
                    line: lines[i].no,
                    inline: inline.map(|text| Line {
                        no: lines[i].no,
                        text,
                        indented: false,
                    }),
                    body,
                });
            }
            None => out
                .last_mut()
                .expect("never empty")
                .body
                .push(lines[i].clone()),
        }
    }
    out
}

fn dispatch(cx: &mut Cx, s: &Section) {
    let Some(kind) = &s.kind else {
        cx.keep("前文", &s.body, "text before the first heading");
        return;
    };
    match kind {
        Kind::Edition | Kind::Registered | Kind::Updated => header::dates(cx, kind, s),
        Kind::Severity => header::severity(cx, s),
        Kind::Exploit => header::exploit(cx, s),
        Kind::Action => header::action(cx, s),
        Kind::Reboot => header::reboot(cx, s),
        Kind::Uninstall => header::uninstall(cx, s),
        Kind::Target => header::target(cx, s),
        Kind::Bulletin | Kind::Kb | Kind::Faq => header::references(cx, kind, s),
        Kind::Supersedes => header::supersedes(cx, s),
        Kind::Identifier => header::identifier(cx, s),
        Kind::Urgency => header::urgency(cx, s),
        Kind::Risk => body::risk(cx, s),
        Kind::Attacks => body::attacks(cx, s),
        Kind::Summary => body::prose_field(cx, s, |a| &mut a.summary),
        Kind::Details => body::prose_field(cx, s, |a| &mut a.details),
        Kind::Vulnerabilities => body::vulnerabilities(cx, s),
        Kind::Affected => body::affected(cx, s),
        Kind::Lab => body::lab(cx, s),
        Kind::Downloads => body::downloads(cx, s),
        Kind::Files => files::packages(cx, s),
        Kind::Verification => body::verification(cx, s),
        Kind::Workarounds => body::workarounds(cx, s),
        Kind::Rollout => body::rollout(cx, s),
        Kind::ToolDisplay => body::tool_display(cx, s),
        Kind::Additions => files::additions(cx, s),
        Kind::Unknown(title) => {
            let text = cx.prose(&s.body).unwrap_or_default();
            cx.warn(Some(s.line), title, "unknown section; kept as a note");
            cx.alert.notes.push(Note {
                title: title.clone(),
                text,
            });
        }
    }
}
