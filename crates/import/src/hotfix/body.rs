//! The body sections: the analysts' prose, the affected platforms, the lab's
//! tests and findings, downloads, verification, workarounds, rollout times
//! and the tool display. (Packages and additions are in `files`.)

use std::collections::BTreeMap;

use hfr_model::{
    Affected, Alert, AttackVector, Download, Impact, LabResult, LabTest, Note, Rollout, Severity,
    ToolDisplay, Verification, VerificationCheck, Vulnerability, Workaround,
};

use super::lines::{
    colon_heading, minutes, parenthesized, split_trailing_paren, trim, Line, Rendering,
};
use super::{Cx, Section};

/// The opening words of 確認方法's intro (page furniture; in the table export it
/// is also what tells the section began).
pub(super) const VERIFICATION_INTRO: &str = "修正プログラムが正しく適用できたかどうかは、";

/// The opening words of the legend under the 危険性 gauge: page furniture.
const RISK_LEGEND: &str = "脆弱性による危険性を";

/// Sets a prose field; a second section of the same kind is appended.
pub(super) fn prose_field(cx: &mut Cx, s: &Section, field: fn(&mut Alert) -> &mut Option<String>) {
    let Some(text) = cx.prose(&s.body) else {
        return;
    };
    let slot = field(&mut cx.alert);
    *slot = Some(match slot.take() {
        Some(prev) => format!("{prev}\n\n{text}"),
        None => text,
    });
}

/// 危険性: the gauge (`SP待ち` / `早期適用` / `緊急適用`) and its legend are
/// images and furniture; the analysts' paragraphs follow them.
pub(super) fn risk(cx: &mut Cx, s: &Section) {
    let mut body: Vec<Line> = Vec::new();
    if let Some(l) = &s.inline {
        if !l.text.starts_with(RISK_LEGEND) {
            body.push(l.clone());
        }
    }
    let mut leading = true;
    for l in &s.body {
        if leading
            && (l.is_blank()
                || matches!(l.text.as_str(), "SP待ち" | "早期適用" | "緊急適用")
                || l.text.starts_with(RISK_LEGEND))
        {
            continue;
        }
        leading = false;
        body.push(l.clone());
    }
    if let Some(text) = cx.prose(&body) {
        cx.alert.risk = Some(match cx.alert.risk.take() {
            Some(prev) => format!("{prev}\n\n{text}"),
            None => text,
        });
    }
}

/// A mark that selects an item in a printed list, when the page kept one.
fn selection_mark(t: &str) -> Option<(char, &str)> {
    let c = t.chars().next()?;
    matches!(
        c,
        '●' | '○' | '◎' | '◯' | '■' | '□' | '☑' | '☐' | '✓' | '✔' | '→'
    )
    .then(|| (c, trim(&t[c.len_utf8()..])))
}

/// 可能性のある攻撃: every attack vector and impact is printed; the chosen
/// ones were marked by images. When no mark survived the lists stay null
/// (inventing a choice would be worse than saying nothing).
pub(super) fn attacks(cx: &mut Cx, s: &Section) {
    let mut items: Vec<(Option<char>, String, usize)> = Vec::new();
    let mut pending_mark: Option<char> = None;
    let mut unknown = Vec::new();
    for l in s.body.iter().filter(|l| !l.is_blank()) {
        if matches!(l.text.as_str(), "攻撃手法" | "脆弱性の影響") {
            continue;
        }
        for tok in l
            .text
            .split(super::lines::is_space)
            .filter(|t| !t.is_empty())
        {
            match selection_mark(tok) {
                Some((m, "")) => pending_mark = Some(m),
                Some((m, rest)) => items.push((Some(m), rest.into(), l.no)),
                None => items.push((pending_mark.take(), tok.into(), l.no)),
            }
        }
    }
    let marks: Vec<char> = items.iter().filter_map(|(m, _, _)| *m).collect();
    // With two kinds of mark, the filled one chooses (● chosen, ○ not);
    // with one kind, marked items are the chosen ones.
    let chosen_mark = |m: Option<char>| match m {
        None => false,
        Some(c) if marks.iter().any(|x| *x != c) => {
            matches!(c, '●' | '◎' | '■' | '☑' | '✓' | '✔' | '→')
        }
        Some(_) => true,
    };
    let mut vectors = Vec::new();
    let mut impacts = Vec::new();
    for (m, text, no) in &items {
        let v = AttackVector::ALL.into_iter().find(|v| v.label_ja() == text);
        let i = Impact::ALL.into_iter().find(|i| i.label_ja() == text);
        match (v, i) {
            (Some(v), _) if chosen_mark(*m) => vectors.push(v),
            (_, Some(i)) if chosen_mark(*m) => impacts.push(i),
            (Some(_), _) | (_, Some(_)) => {}
            _ => unknown.push(Line {
                no: *no,
                text: text.clone(),
                indented: false,
            }),
        }
    }
    if marks.is_empty() {
        if !items.is_empty() {
            cx.warn(
                Some(s.line),
                &s.title,
                "the marks choosing attack vectors and impacts did not survive; left empty",
            );
        }
    } else {
        cx.alert.attack_vectors = Some(vectors);
        cx.alert.impacts = Some(impacts);
    }
    cx.keep(&s.title, &unknown, "item not understood");
}

/// 脆弱性の内容: `■title(深刻度:緊急 CVE:CVE-2006-1314)` blocks; the text
/// before the first block introduces them and is kept as a note.
pub(super) fn vulnerabilities(cx: &mut Cx, s: &Section) {
    let blocks = split_blocks(&s.body, |t| t.starts_with('■'));
    if let Some(intro) = cx.prose(&blocks.lead) {
        cx.alert.notes.push(Note {
            title: s.title.clone(),
            text: intro,
        });
    }
    for (head, lines) in blocks.blocks {
        let heading = trim(head.text.trim_start_matches('■'));
        let (mut title, meta) = split_trailing_paren(heading);
        let mut severity = None;
        let mut cve = None;
        let mut meta_ok = false;
        if let Some(m) = meta {
            for part in m.split(super::lines::is_space).filter(|p| !p.is_empty()) {
                if let Some(v) = part
                    .strip_prefix("深刻度:")
                    .or_else(|| part.strip_prefix("深刻度："))
                {
                    severity = Severity::parse(v);
                    meta_ok = true;
                } else if let Some(v) = part
                    .strip_prefix("CVE:")
                    .or_else(|| part.strip_prefix("CVE："))
                {
                    cve = Some(v.to_string());
                    meta_ok = true;
                }
            }
        }
        if !meta_ok {
            // The parentheses were part of the title, not its metadata.
            title = heading;
        }
        cx.alert.vulnerabilities.push(Vulnerability {
            title: title.into(),
            severity,
            cve,
            text: cx.prose(&lines).unwrap_or_default(),
        });
    }
}

/// Lines split at block headings.
pub(super) struct Blocks<'a> {
    pub lead: Vec<Line>,
    pub blocks: Vec<(&'a Line, Vec<Line>)>,
}

pub(super) fn split_blocks<'a>(lines: &'a [Line], is_head: impl Fn(&str) -> bool) -> Blocks<'a> {
    let mut out = Blocks {
        lead: Vec::new(),
        blocks: Vec::new(),
    };
    for l in lines {
        if is_head(&l.text) {
            out.blocks.push((l, Vec::new()));
        } else if let Some((_, b)) = out.blocks.last_mut() {
            b.push(l.clone());
        } else {
            out.lead.push(l.clone());
        }
    }
    out
}

/// Splits an affected-software row of the plain rendering, where the two
/// columns are separated by a space though both contain spaces. The platform
/// column usually repeats the software name (`Windows Server 2003 Windows
/// Server 2003`); otherwise the catalogue's longest product name is the
/// software (`Proxy Server 2.0 Windows NT Server 4.0 SP3以降/…`).
fn split_affected(row: &str) -> Option<(String, String)> {
    for (i, _) in row.match_indices(' ') {
        let (left, right) = (&row[..i], &row[i + 1..]);
        if right.starts_with(left)
            && right[left.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric())
        {
            return Some((left.into(), right.into()));
        }
    }
    let (product, rest) = hfr_model::catalogue::split_product_prefix(row)?;
    (!rest.is_empty()).then(|| (product.into(), rest.into()))
}

pub(super) fn affected(cx: &mut Cx, s: &Section) {
    let ls: Vec<&Line> = s
        .body
        .iter()
        .filter(|l| !l.is_blank())
        .skip_while(|l| {
            matches!(
                l.text.as_str(),
                "影響を受けるソフトウェア 対象プラットフォーム"
                    | "影響を受けるソフトウェア"
                    | "対象プラットフォーム"
            )
        })
        .collect();
    match cx.rendering {
        Rendering::Table => {
            for pair in ls.chunks(2) {
                match pair {
                    [a, b] => cx.alert.affected.push(Affected {
                        software: a.text.clone(),
                        platforms: b.text.clone(),
                    }),
                    [a] => {
                        cx.warn(Some(a.no), &s.title, "software without a platform cell");
                        cx.alert.affected.push(Affected {
                            software: a.text.clone(),
                            platforms: String::new(),
                        });
                    }
                    _ => {}
                }
            }
        }
        Rendering::Plain => {
            for l in ls {
                match split_affected(&l.text) {
                    Some((software, platforms)) => cx.alert.affected.push(Affected {
                        software,
                        platforms,
                    }),
                    None => {
                        cx.warn(
                            Some(l.no),
                            &s.title,
                            "could not tell the software from the platforms; kept the row as software",
                        );
                        cx.alert.affected.push(Affected {
                            software: l.text.clone(),
                            platforms: String::new(),
                        });
                    }
                }
            }
        }
    }
}

/// `*1` → `1`.
fn footnote_marker(t: &str) -> Option<&str> {
    let n = t.strip_prefix('*').or_else(|| t.strip_prefix('＊'))?;
    (!n.is_empty() && n.chars().all(|c| c.is_ascii_digit())).then_some(n)
}

/// The DA Lab comments: `■適用テストの結果` with one row per platform (a
/// `○`/`△`/`×` after it when the mark survived, `*1` footnote markers), then
/// `■` findings as lab notes.
pub(super) fn lab(cx: &mut Cx, s: &Section) {
    let blocks = split_blocks(&s.body, |t| t.starts_with('■'));
    cx.keep(
        &s.title,
        &blocks.lead,
        "text before the lab's first heading",
    );
    for (head, lines) in blocks.blocks {
        let title = trim(head.text.trim_start_matches('■'));
        if title.starts_with("適用テストの結果") {
            lab_tests(cx, title, &lines);
        } else {
            cx.alert.lab_notes.push(Note {
                title: title.into(),
                text: cx.prose(&lines).unwrap_or_default(),
            });
        }
    }
}

fn lab_tests(cx: &mut Cx, title: &str, lines: &[Line]) {
    let mut rows: Vec<(LabTest, Vec<String>)> = Vec::new();
    let mut footnotes: Vec<(String, String)> = Vec::new();
    let mut after: Vec<Line> = Vec::new();
    let mut ended = false;
    for l in lines {
        let t = l.text.as_str();
        if ended {
            after.push(l.clone());
            continue;
        }
        if l.is_blank() {
            // Plain pages end the table with a blank line; the table export
            // puts an empty cell between every row.
            if cx.rendering == Rendering::Plain && !rows.is_empty() {
                ended = true;
            }
            continue;
        }
        if t.starts_with("DA Labでは、以下のプラットフォームで")
            || t == "プラットフォーム"
            || t == "適用テスト結果"
        {
            continue;
        }
        if let Some((marker, text)) = t.split_once(super::lines::is_space) {
            if let Some(n) = footnote_marker(marker) {
                footnotes.push((n.into(), format!("{marker} {}", trim(text))));
                continue;
            }
        }
        if let Some(n) = footnote_marker(t) {
            match rows.last_mut() {
                Some((_, marks)) => marks.push(n.into()),
                None => after.push(l.clone()),
            }
            continue;
        }
        if let Some(r) = LabResult::from_mark(t) {
            match rows.last_mut() {
                Some((row, _)) if row.result.is_none() => row.result = Some(r),
                _ => after.push(l.clone()),
            }
            continue;
        }
        // A row may carry its mark and footnote on the same line.
        let mut platform = t;
        let mut result = None;
        let mut marks = Vec::new();
        while let Some((head, last)) = platform.rsplit_once(' ') {
            if let Some(n) = footnote_marker(last) {
                marks.insert(0, n.to_string());
            } else if let Some(r) = LabResult::from_mark(last) {
                result = Some(r);
            } else {
                break;
            }
            platform = trim(head);
        }
        rows.push((
            LabTest {
                platform: platform.into(),
                result,
                note: None,
            },
            marks,
        ));
    }
    let mut used = vec![false; footnotes.len()];
    for (row, marks) in &mut rows {
        let notes: Vec<String> = marks
            .iter()
            .map(|m| match footnotes.iter().position(|(n, _)| n == m) {
                Some(i) => {
                    used[i] = true;
                    footnotes[i].1.clone()
                }
                None => format!("*{m}"),
            })
            .collect();
        if !notes.is_empty() {
            row.note = Some(notes.join("\n"));
        }
    }
    cx.alert.lab_tests.extend(rows.into_iter().map(|(r, _)| r));
    for (i, (_, text)) in footnotes.iter().enumerate() {
        if !used[i] {
            after.insert(
                0,
                Line {
                    no: 0,
                    text: text.clone(),
                    indented: false,
                },
            );
        }
    }
    // Prose under the test table without a heading of its own.
    if let Some(text) = cx.prose(&after) {
        cx.alert.lab_notes.push(Note {
            title: title.into(),
            text,
        });
    }
}

/// Words standing in place of a Windows Update name.
const DOWNLOAD_NOTES: &[&str] = &[
    "未対応",
    "対応予定",
    "未定",
    "なし",
    "提供なし",
    "提供予定",
    "予定",
    "-",
    "−",
];

/// Splits a download row `platform [update name]`: the update name starts at
/// the rightmost word that begins like the row (`Windows …`) and contains
/// 更新プログラム, e.g. `Windows Server 2003 Windows Server 2003 用セキュリティ
/// 更新プログラム (KB870763)`.
fn split_download(row: &str) -> Download {
    let mut d = Download {
        platform: row.into(),
        update_name: None,
        note: None,
        channel: None,
    };
    let first = row.split(' ').next().unwrap_or_default();
    let starts: Vec<usize> = row.match_indices(' ').map(|(i, _)| i + 1).collect();
    if let Some(&i) = starts
        .iter()
        .rev()
        .find(|&&i| row[i..].starts_with(first) && row[i..].contains("更新プログラム"))
    {
        d.platform = trim(&row[..i]).into();
        d.update_name = Some(row[i..].into());
        return d;
    }
    if let Some((head, last)) = row.rsplit_once(' ') {
        if DOWNLOAD_NOTES.contains(&last) {
            d.platform = trim(head).into();
            d.note = Some(last.into());
        }
    }
    d
}

/// The channel a download table's third column names: `… Windows Update/SUSの表示`
/// → `Windows Update/SUS`.
fn download_channel(header: &str) -> Option<String> {
    let head = header.strip_suffix("の表示")?;
    let channel = match head.rsplit_once("ダウンロード・センター") {
        Some((_, rest)) => rest,
        None => head,
    };
    let channel = trim(channel);
    (!channel.is_empty()).then(|| channel.to_string())
}

pub(super) fn downloads(cx: &mut Cx, s: &Section) {
    let channel = s
        .body
        .iter()
        .take_while(|l| !cx_is_download_row(&l.text))
        .find_map(|l| download_channel(&l.text));
    let first_new = cx.alert.downloads.len();
    let ls: Vec<&Line> = s
        .body
        .iter()
        .filter(|l| !l.is_blank())
        .skip_while(|l| {
            let t = l.text.as_str();
            t == "プラットフォーム"
                || t.starts_with("プラットフォーム ダウンロード・センター")
                || t.starts_with("ダウンロード・センター")
                || t.ends_with("の表示")
        })
        .collect();
    for l in ls {
        let t = l.text.as_str();
        match cx.rendering {
            Rendering::Plain => {
                let d = split_download(t);
                if d.update_name.is_none() && d.note.is_none() && t.contains("更新プログラム")
                {
                    cx.warn(
                        Some(l.no),
                        &s.title,
                        "could not find where the update name starts; kept the row as platform",
                    );
                }
                cx.alert.downloads.push(d);
            }
            Rendering::Table => {
                let last = cx.alert.downloads.last_mut();
                match last {
                    Some(d)
                        if d.update_name.is_none()
                            && d.note.is_none()
                            && t.contains("更新プログラム") =>
                    {
                        d.update_name = Some(t.into())
                    }
                    Some(d) if d.note.is_none() && DOWNLOAD_NOTES.contains(&t) => {
                        d.note = Some(t.into())
                    }
                    _ => cx.alert.downloads.push(Download {
                        platform: t.into(),
                        update_name: None,
                        note: None,
                        channel: None,
                    }),
                }
            }
        }
    }
    for d in &mut cx.alert.downloads[first_new..] {
        d.channel = channel.clone();
    }
}

/// Rows of a download table carry an update name or a platform; the header
/// lines before them do not mention 更新プログラム.
fn cx_is_download_row(t: &str) -> bool {
    t.contains("更新プログラム")
}

/// Reads a registry line: `…\Filelist以下のファイル一覧を確認する`,
/// `…\Installedのデータが1であること`, or a bare key.
fn registry_check(t: &str) -> (String, VerificationCheck) {
    if let Some(key) = t.strip_suffix("以下のファイル一覧を確認する") {
        return (key.into(), VerificationCheck::FileList);
    }
    if let Some(head) = t.strip_suffix("であること") {
        if let Some((path, data)) = head.rsplit_once("のデータが") {
            if let Some((key, name)) = path.rsplit_once('\\') {
                return (
                    key.into(),
                    VerificationCheck::Value {
                        name: name.into(),
                        data: data.into(),
                    },
                );
            }
        }
    }
    for suffix in ["が存在すること", "があること", "が作成されていること"] {
        if let Some(key) = t.strip_suffix(suffix) {
            return (key.into(), VerificationCheck::KeyExists);
        }
    }
    // A sentence ending is wording this parser does not know.
    if ["こと", "する", "される", "ください", "。"]
        .iter()
        .any(|e| t.ends_with(e))
    {
        return (t.into(), VerificationCheck::Other { text: t.into() });
    }
    (t.into(), VerificationCheck::KeyExists)
}

pub(super) fn verification(cx: &mut Cx, s: &Section) {
    let mut platforms: Option<String> = None;
    let mut rest = Vec::new();
    for l in s.body.iter().filter(|l| !l.is_blank()) {
        let t = l.text.as_str();
        if t.starts_with(VERIFICATION_INTRO) {
            continue;
        }
        if t.starts_with("HKEY_") || t.starts_with("HKLM\\") {
            let (registry_key, check) = registry_check(t);
            if let VerificationCheck::Other { .. } = check {
                cx.warn(
                    Some(l.no),
                    &s.title,
                    "check wording not understood; kept as written",
                );
            }
            if platforms.is_none() {
                cx.warn(
                    Some(l.no),
                    &s.title,
                    "registry key without a platform heading",
                );
            }
            cx.alert.verification.push(Verification {
                platforms: platforms.clone().unwrap_or_default(),
                registry_key,
                check,
            });
        } else if let Some(p) = colon_heading(t) {
            platforms = Some(p.into());
        } else {
            rest.push(l.clone());
        }
    }
    cx.keep(&s.title, &rest, "text not understood");
}

/// 参考情報: an introduction, then one `・title` per workaround.
pub(super) fn workarounds(cx: &mut Cx, s: &Section) {
    let blocks = split_blocks(&s.body, |t| t.starts_with('・'));
    if let Some(text) = cx.prose(&blocks.lead) {
        cx.alert.workarounds.push(Workaround { title: None, text });
    }
    for (head, lines) in blocks.blocks {
        cx.alert.workarounds.push(Workaround {
            title: Some(trim(head.text.trim_start_matches('・')).into()),
            text: cx.prose(&lines).unwrap_or_default(),
        });
    }
}

fn package_like(t: &str) -> bool {
    t.is_ascii() && !t.contains(' ') && t.contains('.') && minutes(t).is_none()
}

/// 予想適用時間: per package (and platform) the minutes for 50/100/250/500
/// machines; the sentence after the table says how they were measured.
pub(super) fn rollout(cx: &mut Cx, s: &Section) {
    let mut counts: Vec<u32> = vec![50, 100, 250, 500];
    let mut header_counts: Vec<u32> = Vec::new();
    let mut current: Option<(Rollout, usize)> = None;
    let mut basis = Vec::new();
    let mut done: Vec<Rollout> = Vec::new();
    for l in &s.body {
        let t = l.text.as_str();
        if l.is_blank() {
            if !basis.is_empty() {
                basis.push(l.clone());
            }
            continue;
        }
        if t == "修正プログラム名" || t.starts_with("修正プログラム名 ") || t.ends_with('台')
        {
            for tok in t.split(' ') {
                if let Some(n) = tok.strip_suffix('台').and_then(|n| n.parse().ok()) {
                    header_counts.push(n);
                }
            }
            if !header_counts.is_empty() {
                counts = header_counts.clone();
            }
            continue;
        }
        if let Some(p) = parenthesized(t) {
            if let Some((r, _)) = &mut current {
                if r.platform.is_none() {
                    r.platform = Some(p.into());
                    continue;
                }
            }
        }
        let toks: Vec<&str> = t.split(' ').filter(|x| !x.is_empty()).collect();
        let (pkg, durations) = match toks.split_first() {
            Some((first, rest))
                if package_like(first) && rest.iter().all(|x| minutes(x).is_some()) =>
            {
                (Some(*first), rest)
            }
            _ if toks.iter().all(|x| minutes(x).is_some()) => (None, &toks[..]),
            _ => {
                basis.push(l.clone());
                continue;
            }
        };
        if let Some(p) = pkg {
            if let Some((r, _)) = current.take() {
                done.push(r);
            }
            current = Some((
                Rollout {
                    package: p.into(),
                    platform: None,
                    minutes: BTreeMap::new(),
                },
                0,
            ));
        }
        match &mut current {
            Some((r, next)) => {
                for d in durations {
                    match counts.get(*next) {
                        Some(&n) => {
                            r.minutes.insert(n, minutes(d).unwrap_or_default());
                        }
                        None => cx.warn(
                            Some(l.no),
                            &s.title,
                            format!("more times than columns: {d}"),
                        ),
                    }
                    *next += 1;
                }
            }
            None if !durations.is_empty() => {
                cx.warn(Some(l.no), &s.title, "times without a package name");
                basis.push(l.clone());
            }
            None => {}
        }
    }
    if let Some((r, _)) = current {
        done.push(r);
    }
    cx.alert.rollout.extend(done);
    if let Some(text) = cx.prose(&basis) {
        cx.alert.rollout_basis = Some(text);
    }
}

/// UpdateEXPERT上の表示: `・Platform:` headings, each followed by what the
/// tool shows; text before the first heading applies to all.
pub(super) fn tool_display(cx: &mut Cx, s: &Section) {
    let blocks = split_blocks(&s.body, |t| colon_heading(t).is_some());
    if let Some(text) = cx.prose(&blocks.lead) {
        cx.alert.tool_display.push(ToolDisplay {
            platform: None,
            text,
        });
    }
    for (head, lines) in blocks.blocks {
        cx.alert.tool_display.push(ToolDisplay {
            platform: colon_heading(&head.text).map(str::to_string),
            text: cx.prose(&lines).unwrap_or_default(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affected_rows_split_at_the_repeat_or_the_catalogue() {
        assert_eq!(
            split_affected("Windows NT Server 4.0 Windows NT Server 4.0 SP6a"),
            Some((
                "Windows NT Server 4.0".into(),
                "Windows NT Server 4.0 SP6a".into()
            ))
        );
        assert_eq!(
            split_affected("ISA Server 2000 Windows 2000 Server SP4"),
            Some(("ISA Server 2000".into(), "Windows 2000 Server SP4".into()))
        );
        assert_eq!(split_affected("なにか 別の もの"), None);
    }

    #[test]
    fn download_rows() {
        let d = split_download("Windows XP SP2 Windows XP 用セキュリティ更新プログラム (KB999999)");
        assert_eq!(d.platform, "Windows XP SP2");
        assert_eq!(
            d.update_name.as_deref(),
            Some("Windows XP 用セキュリティ更新プログラム (KB999999)")
        );
        let d = split_download("Proxy Server 2.0 SP1 未対応");
        assert_eq!(
            (d.platform.as_str(), d.note.as_deref()),
            ("Proxy Server 2.0 SP1", Some("未対応"))
        );
        let d = split_download("Exchange Server 2003");
        assert_eq!(
            (d.platform.as_str(), d.update_name),
            ("Exchange Server 2003", None)
        );
    }

    #[test]
    fn registry_wordings() {
        let (k, c) =
            registry_check("HKEY_LOCAL_MACHINE\\A\\KB1\\Filelist以下のファイル一覧を確認する");
        assert_eq!(
            (k.as_str(), c),
            (
                "HKEY_LOCAL_MACHINE\\A\\KB1\\Filelist",
                VerificationCheck::FileList
            )
        );
        let (k, c) = registry_check("HKEY_LOCAL_MACHINE\\A\\KB1\\Installedのデータが1であること");
        assert_eq!(k, "HKEY_LOCAL_MACHINE\\A\\KB1");
        assert_eq!(
            c,
            VerificationCheck::Value {
                name: "Installed".into(),
                data: "1".into()
            }
        );
        let (_, c) = registry_check("HKEY_LOCAL_MACHINE\\A\\更新 KB1");
        assert_eq!(c, VerificationCheck::KeyExists);
        let (_, c) = registry_check("HKEY_LOCAL_MACHINE\\A\\KB1を開いて眺める");
        assert_eq!(c, VerificationCheck::KeyExists);
        let (_, c) = registry_check("HKEY_LOCAL_MACHINE\\A\\KB1の値を確認する");
        assert!(matches!(c, VerificationCheck::Other { .. }));
    }
}
