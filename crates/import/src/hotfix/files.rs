//! 適用されるファイル情報 (packages and the files they install) and 追加情報
//! (additions, which may re-release a package with its own file table).
//!
//! The file tables are read as a stream of cells, whatever the rendering: a
//! plain row `name date version` is cut into its three cells, a table-export
//! row already is one cell per line. The stream is then read by what each
//! cell *is* (a platform heading ends in `:`, a row starts with a name
//! followed by a date, a folder follows `展開フォルダ`), not by position,
//! because the two renderings put line breaks in different places.

use hfr_model::{Addition, Alert, FileList, Package, PackageFile};

use super::lines::{colon_heading, date_exact, parenthesized, size, trim, Line};
use super::{Cx, Section};

/// The opening words of 適用されるファイル情報's intro (page furniture; in the
/// table export it is also what tells the section began).
pub(super) const INTRO: &str = "以下のファイルにパッチが";

const FOLDER: &str = "展開フォルダ";
const HEADER_WORDS: &[&str] = &["ファイル名", "日付", "バージョン", "サイズ", "機能"];

#[derive(Debug, Clone)]
struct Cell {
    no: usize,
    text: String,
}

/// Cuts lines into cells: `name date version [size]` rows and `展開フォルダ
/// path` lines become several cells.
fn cells(lines: &[Line]) -> Vec<Cell> {
    let mut out = Vec::new();
    for l in lines.iter().filter(|l| !l.is_blank()) {
        let t = l.text.as_str();
        let cell = |text: &str| Cell {
            no: l.no,
            text: text.into(),
        };
        let toks: Vec<&str> = t.split(' ').filter(|x| !x.is_empty()).collect();
        if (3..=4).contains(&toks.len())
            && date_exact(toks[1]).is_some()
            && toks[0].is_ascii()
            && (toks.len() == 3 || size(toks[3]).is_some())
        {
            out.extend(toks.iter().map(|x| cell(x)));
        } else if let Some(path) = t.strip_prefix(FOLDER).filter(|r| r.starts_with(' ')) {
            out.push(cell(FOLDER));
            out.push(cell(trim(path)));
        } else {
            out.push(cell(t));
        }
    }
    out
}

fn is_header(t: &str) -> bool {
    let words: Vec<&str> = t.split(' ').filter(|x| !x.is_empty()).collect();
    !words.is_empty() && words.iter().all(|w| HEADER_WORDS.contains(w))
}

fn is_path(t: &str) -> bool {
    t.starts_with('%')
        || t.starts_with('\\')
        || (t.len() > 2 && t.as_bytes()[0].is_ascii_alphabetic() && t[1..].starts_with(":\\"))
}

fn is_row_start(cells: &[Cell], i: usize) -> bool {
    cells
        .get(i + 1)
        .is_some_and(|c| date_exact(&c.text).is_some())
        && !is_header(&cells[i].text)
}

/// Where file rows go: the package's own list or a reference list beside it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The next row is a package (after a platform heading or a header
    /// without 機能).
    Package,
    Files,
    Reference,
}

/// The result of reading one file table.
pub(super) struct Tables {
    pub packages: Vec<Package>,
    /// Cells that were none of the above, as lines.
    pub rest: Vec<Line>,
}

/// Reads packages from `lines`. `platform` is the platform heading in force
/// when the table starts (none inside an addition).
fn read_tables(cx: &mut Cx, title: &str, lines: &[Line]) -> Tables {
    let cells = cells(lines);
    let mut out = Tables {
        packages: Vec::new(),
        rest: Vec::new(),
    };
    let mut platform: Option<String> = None;
    let mut mode = Mode::Package;
    let mut branch: Option<String> = None;
    let mut path: Option<String> = None;
    let mut after_folder = false;
    let mut i = 0;
    while i < cells.len() {
        let c = &cells[i];
        let t = c.text.as_str();
        if is_header(t) {
            // Header cells: one line (plain) or one per cell (table export).
            let mut with_function = false;
            while let Some(h) = cells.get(i).filter(|h| is_header(&h.text)) {
                with_function |= h.text.contains("機能");
                i += 1;
            }
            mode = match (with_function, mode) {
                (false, _) => Mode::Package,
                (true, Mode::Reference) => Mode::Reference,
                (true, _) => Mode::Files,
            };
            continue;
        }
        i += 1;
        if t == FOLDER {
            if mode == Mode::Package {
                mode = Mode::Files;
            }
            branch = None;
            path = None;
            after_folder = true;
            continue;
        }
        if after_folder && path.is_none() && branch.is_none() {
            if let Some(b) = parenthesized(t) {
                branch = Some(trim(b).into());
                continue;
            }
        }
        if is_row_start(&cells, i - 1) {
            let name = t.to_string();
            let date = date_exact(&cells[i].text);
            i += 1;
            let mut version = None;
            if let Some(v) = cells
                .get(i)
                .filter(|v| size(&v.text).is_none() && !is_row_start(&cells, i))
            {
                if v.text.chars().any(|ch| ch.is_ascii_digit()) && !v.text.contains(' ') {
                    version = Some(v.text.clone());
                    i += 1;
                }
            }
            let mut bytes = None;
            if let Some(n) = cells.get(i).and_then(|s| size(&s.text)) {
                bytes = Some(n);
                i += 1;
            }
            let starts_package = mode == Mode::Package || out.packages.is_empty();
            if starts_package {
                out.packages.push(Package {
                    platform: platform.clone(),
                    file: name,
                    date,
                    version,
                    size: bytes,
                    files: Vec::new(),
                    reference_files: Vec::new(),
                });
                mode = Mode::Files;
                branch = None;
                path = None;
                after_folder = false;
                continue;
            }
            // The 機能 cell, when there is one.
            let mut description = None;
            if let Some(d) = cells.get(i) {
                let dt = d.text.as_str();
                let other = is_row_start(&cells, i)
                    || dt == FOLDER
                    || is_header(dt)
                    || is_path(dt)
                    || colon_heading(dt).is_some()
                    || dt.starts_with("[参考]")
                    || parenthesized(dt).is_some();
                if !other {
                    description = Some(dt.to_string());
                    i += 1;
                }
            }
            if path.is_none() {
                cx.warn(
                    Some(c.no),
                    title,
                    format!("{name}: no install folder before the file"),
                );
            }
            let file = PackageFile {
                branch: branch.clone(),
                path: path.clone().unwrap_or_default(),
                name,
                date,
                version,
                size: bytes,
                description,
            };
            let pkg = out.packages.last_mut().expect("checked above");
            match mode {
                Mode::Reference => match pkg.reference_files.last_mut() {
                    Some(list) => list.files.push(file),
                    None => pkg.files.push(file),
                },
                _ => pkg.files.push(file),
            }
            after_folder = false;
            continue;
        }
        if after_folder && path.is_none() {
            path = Some(t.into());
            continue;
        }
        if is_path(t) && mode != Mode::Package {
            // A new folder in the same branch (the table export leaves the
            // 展開フォルダ cell empty).
            path = Some(t.into());
            continue;
        }
        if let Some(title) = t.strip_prefix("[参考]").map(|_| t) {
            match out.packages.last_mut() {
                Some(pkg) => {
                    pkg.reference_files.push(FileList {
                        title: title.into(),
                        files: Vec::new(),
                    });
                    mode = Mode::Reference;
                    branch = None;
                    path = None;
                    continue;
                }
                None => {
                    out.rest.push(Line {
                        no: c.no,
                        text: t.into(),
                        indented: false,
                    });
                    continue;
                }
            }
        }
        if let Some(p) = colon_heading(t) {
            platform = Some(p.into());
            mode = Mode::Package;
            branch = None;
            path = None;
            after_folder = false;
            continue;
        }
        out.rest.push(Line {
            no: c.no,
            text: t.into(),
            indented: false,
        });
    }
    out
}

pub(super) fn packages(cx: &mut Cx, s: &Section) {
    let body: Vec<Line> = s
        .body
        .iter()
        .filter(|l| !l.text.starts_with(INTRO))
        .cloned()
        .collect();
    let tables = read_tables(cx, &s.title, &body);
    cx.alert.packages.extend(tables.packages);
    cx.keep(&s.title, &tables.rest, "text not understood");
}

/// `情報ソース マイクロソフト` → (`情報ソース`, `マイクロソフト`). The value may
/// be empty when the table export put it in the next cell.
fn is_meta(t: &str) -> Option<(&'static str, &str)> {
    ["情報ソース", "情報の内容", "条件", "報告日"]
        .into_iter()
        .find_map(|k| {
            let rest = t.strip_prefix(k)?;
            if let Some(r) = rest.strip_prefix([':', '：']) {
                return Some((k, trim(r)));
            }
            (rest.is_empty() || rest.starts_with(super::lines::is_space)).then(|| (k, trim(rest)))
        })
}

/// 追加情報: each addition is a title line, the 情報ソース / 情報の内容 /
/// 条件 / 報告日 rows, prose, and possibly a re-released package's table.
pub(super) fn additions(cx: &mut Cx, s: &Section) {
    let body = &s.body;
    // An addition starts at a line followed by 情報ソース; the first one at the
    // first line of the section.
    let mut starts: Vec<usize> = Vec::new();
    let nb: Vec<usize> = (0..body.len()).filter(|&i| !body[i].is_blank()).collect();
    for (k, &i) in nb.iter().enumerate() {
        let next_is_source = nb
            .get(k + 1)
            .is_some_and(|&j| body[j].text.starts_with("情報ソース"));
        if k == 0 || (next_is_source && is_meta(&body[i].text).is_none()) {
            starts.push(i);
        }
    }
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(body.len());
        let lines = &body[start..end];
        let mut a = Addition {
            title: lines[0].text.clone(),
            source: None,
            content: None,
            condition: None,
            reported: None,
            text: String::new(),
            packages: Vec::new(),
        };
        let mut prose = Vec::new();
        let mut table_from = None;
        let mut pending_key: Option<&'static str> = None;
        for (k, l) in lines.iter().enumerate().skip(1) {
            if is_header(&l.text) {
                table_from = Some(k);
                break;
            }
            if l.is_blank() {
                prose.push(l.clone());
                continue;
            }
            let meta = match pending_key.take() {
                Some(key) if is_meta(&l.text).is_none() => Some((key, l.text.as_str())),
                _ => is_meta(&l.text),
            };
            if let Some((key, "")) = meta {
                pending_key = Some(key);
                continue;
            }
            match meta {
                Some(("情報ソース", v)) if a.source.is_none() => a.source = Some(v.into()),
                Some(("情報の内容", v)) if a.content.is_none() => a.content = Some(v.into()),
                Some(("条件", v)) if a.condition.is_none() => a.condition = Some(v.into()),
                Some(("報告日", v)) if a.reported.is_none() => match date_exact(v) {
                    Some(d) => a.reported = Some(d),
                    None => {
                        cx.warn(
                            Some(l.no),
                            &s.title,
                            "report date not understood; kept in the text",
                        );
                        prose.push(l.clone());
                    }
                },
                _ => prose.push(l.clone()),
            }
        }
        if let Some(k) = table_from {
            let tables = read_tables(cx, &s.title, &lines[k..]);
            a.packages = tables.packages;
            if !tables.rest.is_empty() {
                prose.push(Line {
                    no: 0,
                    text: String::new(),
                    indented: false,
                });
                prose.extend(tables.rest);
            }
        }
        a.text = cx.prose(&prose).unwrap_or_default();
        cx.alert.additions.push(a);
    }
}

/// A re-released package prints no platform; it is the platform of the
/// earlier package of the same file name.
pub(super) fn resolve_addition_platforms(alert: &mut Alert) {
    let known: Vec<(String, Option<String>)> = alert
        .packages
        .iter()
        .map(|p| (p.file.to_ascii_lowercase(), p.platform.clone()))
        .collect();
    for a in &mut alert.additions {
        for p in &mut a.packages {
            if p.platform.is_none() {
                let name = p.file.to_ascii_lowercase();
                p.platform = known
                    .iter()
                    .find(|(f, _)| *f == name)
                    .and_then(|(_, pl)| pl.clone());
            }
        }
    }
}
