//! Lines as the parser sees them, and the small readers for the facts inside
//! them (dates, sizes, durations).
//!
//! Both renderings of a page are reduced to one shape here, so that the section
//! parsers never look at table pipes: a table cell (`text |`) becomes a line of
//! its own, an empty cell (a bare `|`) becomes a blank line, and every line
//! keeps its 1-based number in the decoded text for warnings. The one thing the
//! plain rendering carries in its layout, whether a line was indented, is kept
//! as a flag because choice lists mark the chosen option with it.

use chrono::NaiveDate;

/// How the page was exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rendering {
    /// One line per cell or paragraph; choices marked by indentation.
    Plain,
    /// Table export: cells end in ` |`, empty cells are a bare `|`, prose is
    /// wrapped where a space was, choices are marked by a `→` cell.
    Table,
}

/// One line (or one cell) of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    /// 1-based line number in the decoded text.
    pub no: usize,
    /// The text with indentation, trailing blanks and table pipes removed.
    pub text: String,
    /// Whether the line was indented: in the plain rendering, the unchosen
    /// options of a choice list are.
    pub indented: bool,
}

impl Line {
    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

/// Blanks as the pages use them: ASCII space and tab, the ideographic space
/// (U+3000) and the no-break space that HTML-to-text converters leave behind.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{3000}' | '\u{a0}' | '\u{feff}')
}

pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Splits `text` into lines and decides which rendering it is.
///
/// The table export is recognised by its pipes: a plain page never ends a
/// line in ` |`, an exported one does on most lines, so a tenth of the
/// non-blank lines is a safe threshold that a cut-short table page still meets.
pub(crate) fn split_lines(text: &str) -> (Vec<Line>, Rendering) {
    let raw: Vec<&str> = text.lines().collect();
    let nonblank = raw.iter().filter(|l| !trim(l).is_empty()).count();
    let piped = raw
        .iter()
        .filter(|l| {
            let t = trim(l);
            t == "|" || t.ends_with(" |")
        })
        .count();
    let rendering = if piped >= 3 && piped * 10 >= nonblank {
        Rendering::Table
    } else {
        Rendering::Plain
    };

    let mut lines = Vec::with_capacity(raw.len());
    for (i, l) in raw.iter().enumerate() {
        let no = i + 1;
        let body = l.trim_end_matches(is_space);
        let indented = body.starts_with(is_space);
        let body = trim(body);
        if rendering == Rendering::Plain {
            lines.push(Line {
                no,
                text: body.to_string(),
                indented,
            });
            continue;
        }
        // Table: a line may hold several cells (`a | b |`); each becomes a
        // line of its own so the section parsers see one cell at a time.
        let body = body.strip_suffix('|').unwrap_or(body);
        let cells: Vec<&str> = body.split(" | ").map(trim).collect();
        for (k, cell) in cells.iter().enumerate() {
            if k > 0 && cell.is_empty() {
                continue;
            }
            lines.push(Line {
                no,
                text: cell
                    .trim_end_matches('|')
                    .trim_end_matches(is_space)
                    .to_string(),
                indented: indented && k == 0,
            });
        }
    }
    merge_split_headings(&mut lines);
    (lines, rendering)
}

/// The table export wraps a long `‥‥‥ title ‥‥‥` heading so that its closing
/// dots land on the next line; glue them back so the heading is one line.
fn merge_split_headings(lines: &mut [Line]) {
    for i in 0..lines.len() {
        let t = &lines[i].text;
        if !t.starts_with("‥‥") || t.ends_with('‥') {
            continue;
        }
        let Some(j) = (i + 1..lines.len()).find(|&j| !lines[j].is_blank()) else {
            continue;
        };
        if lines[j].text.chars().all(|c| c == '‥' || is_space(c)) {
            let tail = std::mem::take(&mut lines[j].text);
            lines[i].text = format!("{} {}", lines[i].text, tail);
        }
    }
}

/// The inner title of a `‥‥‥ title ‥‥‥` heading.
pub(crate) fn dotted_title(text: &str) -> Option<&str> {
    let dots = |c: char| c == '‥' || c == '…';
    if !(text.starts_with(dots) && text.ends_with(dots)) {
        return None;
    }
    let inner = text.trim_matches(|c: char| dots(c) || is_space(c));
    (!inner.is_empty()).then_some(inner)
}

/// Joins lines into prose: lines of a paragraph with `\n`, paragraphs with a
/// blank line.
///
/// In the table export a paragraph's line breaks are where the exporter
/// wrapped it, at a space (`…ただしBizTalk` / `Server 2000…`), so such a line is
/// joined to the next with the space it lost, unless the line ends a sentence
/// or either line is a heading, a list item or a URL, which start lines of
/// their own in both renderings. The export also dropped the blank lines
/// between paragraphs; a line ending a sentence ends its paragraph there, so
/// both renderings of a page give the same prose.
pub(crate) fn prose(lines: &[Line], rendering: Rendering) -> String {
    let mut paras: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut continues = false;
    for l in lines {
        if l.is_blank() {
            if !cur.is_empty() {
                paras.push(std::mem::take(&mut cur));
            }
            continues = false;
            continue;
        }
        let t = l.text.as_str();
        if rendering == Rendering::Table && cur.ends_with('。') {
            paras.push(std::mem::take(&mut cur));
        }
        if cur.is_empty() {
            cur.push_str(t);
        } else if continues && !starts_block(t) {
            cur.push(' ');
            cur.push_str(t);
        } else {
            cur.push('\n');
            cur.push_str(t);
        }
        continues = rendering == Rendering::Table && !t.ends_with('。') && !starts_block(t);
    }
    if !cur.is_empty() {
        paras.push(cur);
    }
    paras.join("\n\n")
}

fn starts_block(t: &str) -> bool {
    t.starts_with(['■', '・', '•', '●', '□', '◆', '※'])
        || t.starts_with("http://")
        || t.starts_with("https://")
        || t.starts_with("‥‥")
}

/// Prose, or `None` when there is none.
pub(crate) fn prose_opt(lines: &[Line], rendering: Rendering) -> Option<String> {
    let p = prose(lines, rendering);
    (!p.is_empty()).then_some(p)
}

/// Reads a date at the start of `s`: `2004/09/23`, `2004-09-23` or
/// `2004年11月17日`. Returns the date and the rest of the text.
pub(crate) fn date_prefix(s: &str) -> Option<(NaiveDate, &str)> {
    let s = trim(s);
    let (y, rest) = digits(s)?;
    let (rest, kanji) = if let Some(r) = rest.strip_prefix('年') {
        (r, true)
    } else if let Some(r) = rest.strip_prefix(['/', '-', '.']) {
        (r, false)
    } else {
        return None;
    };
    let (m, rest) = digits(rest)?;
    let rest = if kanji {
        rest.strip_prefix('月')?
    } else {
        rest.strip_prefix(['/', '-', '.'])?
    };
    let (d, rest) = digits(rest)?;
    let rest = if kanji {
        rest.strip_prefix('日').unwrap_or(rest)
    } else {
        rest
    };
    if y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
    Some((date, rest))
}

/// A cell or token that is exactly a date.
pub(crate) fn date_exact(s: &str) -> Option<NaiveDate> {
    date_prefix(s).and_then(|(d, rest)| trim(rest).is_empty().then_some(d))
}

fn digits(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| s.split_at(n))
}

/// A size in bytes as printed: `532,216` or `10000`.
pub(crate) fn size(s: &str) -> Option<u64> {
    let s = trim(s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b',') || s.starts_with(',') {
        return None;
    }
    // Thousands groups must be three digits, so a stray comma between two
    // numbers is not read as one large size.
    let groups: Vec<&str> = s.split(',').collect();
    if groups.len() > 1 && groups[1..].iter().any(|g| g.len() != 3) {
        return None;
    }
    s.replace(',', "").parse().ok()
}

/// A duration as printed in 予想適用時間: `34分`, `1時間8分`, `2時間`.
pub(crate) fn minutes(s: &str) -> Option<u32> {
    let s = trim(s);
    let mut total = 0u32;
    let mut rest = s;
    let mut any = false;
    if let Some((h, r)) = digits(rest) {
        if let Some(r) = r.strip_prefix("時間") {
            total += h.parse::<u32>().ok()? * 60;
            rest = r;
            any = true;
        }
    }
    if let Some((m, r)) = digits(rest) {
        if let Some(r) = r.strip_prefix('分') {
            total += m.parse::<u32>().ok()?;
            rest = r;
            any = true;
        }
    }
    (any && rest.is_empty()).then_some(total)
}

/// `(inner)` or `（inner）` → inner.
pub(crate) fn parenthesized(s: &str) -> Option<&str> {
    let s = trim(s);
    s.strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| s.strip_prefix('（').and_then(|r| r.strip_suffix('）')))
}

/// Splits `text(note)` at its last top-level parenthesis pair that closes the
/// text: `必要(…場合は不要)` → (`必要`, `…場合は不要`).
pub(crate) fn split_trailing_paren(s: &str) -> (&str, Option<&str>) {
    let s = trim(s);
    let close = if s.ends_with(')') {
        ')'
    } else if s.ends_with('）') {
        '）'
    } else {
        return (s, None);
    };
    let open = if close == ')' { '(' } else { '（' };
    let mut depth = 0i32;
    for (i, c) in s.char_indices().rev() {
        if c == close {
            depth += 1;
        } else if c == open {
            depth -= 1;
            if depth == 0 {
                let inner = &s[i + open.len_utf8()..s.len() - close.len_utf8()];
                return (trim(&s[..i]), Some(inner));
            }
        }
    }
    (s, None)
}

/// `Platform:` → `Platform` (with or without a leading `・`, ASCII or
/// full-width colon); `None` when the line does not end with a colon.
pub(crate) fn colon_heading(s: &str) -> Option<&str> {
    let s = trim(s);
    let s = s.strip_prefix('・').unwrap_or(s);
    let inner = s.strip_suffix(':').or_else(|| s.strip_suffix('：'))?;
    let inner = trim(inner);
    (!inner.is_empty()).then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_spelling() {
        let d = NaiveDate::from_ymd_opt(2004, 11, 17).unwrap();
        assert_eq!(date_exact("2004/11/17"), Some(d));
        assert_eq!(date_exact("2004年11月17日"), Some(d));
        assert_eq!(date_prefix("2004/11/17日版"), Some((d, "日版")));
        assert_eq!(date_exact("2004/13/01"), None);
        assert_eq!(date_exact("6.0.3790.211"), None);
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(size("1,267,192"), Some(1_267_192));
        assert_eq!(size("10000"), Some(10_000));
        assert_eq!(size("1,26"), None);
        assert_eq!(size("1.0.0.0"), None);
        assert_eq!(minutes("34分"), Some(34));
        assert_eq!(minutes("1時間8分"), Some(68));
        assert_eq!(minutes("2時間"), Some(120));
        assert_eq!(minutes("50台"), None);
    }

    #[test]
    fn parentheses() {
        assert_eq!(split_trailing_paren("必要(A(B)C)"), ("必要", Some("A(B)C")));
        assert_eq!(split_trailing_paren("可"), ("可", None));
        assert_eq!(parenthesized("（全角）"), Some("全角"));
        assert_eq!(colon_heading("・Windows XP SP2:"), Some("Windows XP SP2"));
        assert_eq!(colon_heading("UpdateEXPERT 5.1:対象外"), None);
    }

    #[test]
    fn table_cells_and_split_headings() {
        let text = "a\n|\nb |\n|\n‥‥‥ 見出し\n‥‥‥\nc |\nx | y |\n";
        let (lines, r) = split_lines(text);
        assert_eq!(r, Rendering::Table);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            ["a", "", "b", "", "‥‥‥ 見出し ‥‥‥", "", "c", "x", "y"]
        );
        assert_eq!(lines[8].no, 8);
    }

    #[test]
    fn table_prose_rejoins_wrapped_lines() {
        let (lines, r) = split_lines("前の文。次はWindows\nXP の話。\n■見出し\n本文\n|\n|\n|\n");
        assert_eq!(
            prose(&lines, r),
            "前の文。次はWindows XP の話。\n\n■見出し\n本文"
        );
    }
}
