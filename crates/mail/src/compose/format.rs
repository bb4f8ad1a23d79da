//! Small formatters both alternatives share: dates, sizes, minutes, labels,
//! one-line cleaning for headers, and aligned plain-text tables.
//!
//! The wording follows the web site and `hfr show` (same labels, same date
//! and size formats) so that a subscriber reading the mail and the page sees
//! the same words.

use chrono::NaiveDate;
pub(crate) use hfr_model::present::{check, date, minutes, size, target};
use hfr_model::{Action, Reboot, RebootRequired, Severity};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// `2004/10/16版`; `-` when the page gave no edition.
pub(crate) fn edition(d: Option<NaiveDate>) -> String {
    d.map(|d| format!("{}版", d.format("%Y/%m/%d")))
        .unwrap_or_else(|| "-".into())
}

pub(crate) fn severity(s: Option<Severity>) -> String {
    s.map(|s| format!("{} ({})", s.label_ja(), s.number()))
        .unwrap_or_else(|| "-".into())
}

pub(crate) fn action(a: Option<Action>) -> String {
    a.map(|a| a.label_ja().to_string())
        .unwrap_or_else(|| "-".into())
}

/// One line per product: `Windows Server 2003: 必要 (note)`.
pub(crate) fn reboot(rows: &[Reboot]) -> Vec<String> {
    if rows.is_empty() {
        return vec!["-".into()];
    }
    rows.iter()
        .map(|r| {
            let mut s = String::new();
            if let Some(p) = &r.product {
                s.push_str(p);
                s.push_str(": ");
            }
            s.push_str(match r.required {
                RebootRequired::Yes => "必要",
                RebootRequired::No => "不要",
                RebootRequired::Conditional => "条件付き",
            });
            if let Some(n) = &r.note {
                s.push_str(" (");
                s.push_str(n);
                s.push(')');
            }
            s
        })
        .collect()
}

/// A changed JSON value as one short line: strings as written (line breaks
/// folded), `(なし)` for null, anything else as compact JSON, cut at `max`
/// characters with `…`.
pub(crate) fn preview(v: &Value, max: usize) -> String {
    let s = match v {
        Value::Null => return "(なし)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    truncate(&one_line(&s), max)
}

/// At most `max` characters, with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// Is this character a line break or other control that must never reach
/// a header? Covers C0/C1 controls (CR, LF, NEL, …) and the Unicode line and
/// paragraph separators.
fn breaks_lines(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// The text as a single line: every control character and line separator
/// becomes a space, runs of white space become one space, ends trimmed.
/// Everything that goes into a header (subject, display names) passes
/// through here, so data can never start a new header line.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if breaks_lines(c) || c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// Does the text contain anything [`one_line`] would change in meaning
/// (a control character or line separator)?
pub(crate) fn has_controls(s: &str) -> bool {
    s.chars().any(breaks_lines)
}

/// Prose as paragraphs of lines: the model joins lines of a paragraph with
/// `\n` and paragraphs with a blank line.
pub(crate) fn paragraphs(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(line.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Display width in a monospaced font (CJK characters count two).
pub(crate) fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` padded with spaces to `w` columns.
pub(crate) fn pad(s: &str, w: usize) -> String {
    let have = width(s);
    if have >= w {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(w - have))
    }
}

/// One table cell.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub text: String,
    /// Right-aligned (numbers).
    pub right: bool,
}

impl Cell {
    pub fn left(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            right: false,
        }
    }
    pub fn right(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            right: true,
        }
    }
}

/// A table both alternatives print: aligned columns in text/plain, a
/// `<table>` in text/html.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The table as aligned text lines: header, a rule, the rows; columns two
    /// spaces apart, numbers right-aligned, the last column not padded.
    pub fn text_lines(&self) -> Vec<String> {
        let n = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|c| width(&c.text)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(&c.text));
            }
        }
        let line = |cells: &[Cell]| -> String {
            let mut parts = Vec::with_capacity(n);
            for (i, c) in cells.iter().enumerate().take(n) {
                let w = widths[i];
                let have = width(&c.text);
                let fill = " ".repeat(w.saturating_sub(have));
                if c.right {
                    parts.push(format!("{fill}{}", c.text));
                } else if i + 1 == n {
                    parts.push(c.text.clone());
                } else {
                    parts.push(format!("{}{fill}", c.text));
                }
            }
            parts.join("  ").trim_end().to_string()
        };
        let mut out = Vec::with_capacity(self.rows.len() + 2);
        out.push(line(&self.header));
        out.push(
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  "),
        );
        for r in &self.rows {
            out.push(line(r));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_pages() {
        assert_eq!(size(Some(532216)), "532,216");
        assert_eq!(size(Some(999)), "999");
        assert_eq!(size(None), "-");
        assert_eq!(minutes(110), "1時間50分");
        assert_eq!(minutes(34), "34分");
        assert_eq!(date(NaiveDate::from_ymd_opt(2004, 10, 16)), "2004/10/16");
    }

    #[test]
    fn one_line_removes_every_line_break() {
        assert_eq!(
            one_line("a\r\nBcc: x@example.com\u{2028}b\u{85}c\t d"),
            "a Bcc: x@example.com b c d"
        );
        assert_eq!(one_line("  \r\n "), "");
        assert!(has_controls("x\ry"));
        assert!(!has_controls("緊急 x"));
    }

    #[test]
    fn previews_are_short_single_lines() {
        assert_eq!(preview(&Value::Null, 10), "(なし)");
        assert_eq!(preview(&serde_json::json!(2), 10), "2");
        assert_eq!(preview(&serde_json::json!("a\nb"), 10), "a b");
        assert_eq!(preview(&serde_json::json!("x".repeat(20)), 5), "xxxxx…");
    }

    #[test]
    fn tables_align_wide_characters_and_numbers() {
        let t = Table {
            header: vec![
                Cell::left("ファイル名"),
                Cell::right("サイズ"),
                Cell::left("機能"),
            ],
            rows: vec![
                vec![
                    Cell::left("a.dll"),
                    Cell::right("1,024"),
                    Cell::left("SMTP"),
                ],
                vec![Cell::left("bb.exe"), Cell::right("12"), Cell::left("")],
            ],
        };
        assert_eq!(
            t.text_lines(),
            vec![
                "ファイル名  サイズ  機能",
                "----------  ------  ----",
                "a.dll        1,024  SMTP",
                "bb.exe          12",
            ]
        );
    }
}
