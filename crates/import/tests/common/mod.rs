//! Helpers shared by the integration tests: finding the seed pages and the
//! "nothing dropped" check.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hfr_import::{read_hotfix_page, Parsed};

/// `shared/seeds` beside the workspace. When it is absent the seed tests
/// cannot run: under CI (`CI=true`) that is a failure, elsewhere a notice.
pub fn seeds_dir() -> Option<PathBuf> {
    shared("seeds", "the seed pages")
}

/// `shared/data/{sub}` beside the workspace (the public data sets), under
/// the same rule as [`seeds_dir`].
pub fn data_dir(sub: &str) -> Option<PathBuf> {
    shared(&format!("data/{sub}"), "the data set")
}

fn shared(sub: &str, what: &str) -> Option<PathBuf> {
    // Resolved at run time: a test binary can outlive the checkout it was
    // built in when checkouts share a target directory.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let dir = crate_dir.join("../../../shared").join(sub);
    shared_at(&dir, what, std::env::var("CI").is_ok_and(|v| v == "true"))
}

pub fn seeds_dir_at(dir: &Path, ci: bool) -> Option<PathBuf> {
    shared_at(dir, "the seed pages", ci)
}

fn shared_at(dir: &Path, what: &str, ci: bool) -> Option<PathBuf> {
    if dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    let msg = format!(
        "{what} are missing: expected them in {} (shared/ beside the workspace)",
        dir.display()
    );
    if ci {
        panic!("{msg}");
    }
    eprintln!("notice: {msg}; skipping this test");
    None
}

/// The seed whose file name starts with `prefix` (e.g. `"002"`), as bytes and path.
pub fn seed_bytes(prefix: &str) -> Option<(Vec<u8>, String)> {
    let dir = seeds_dir()?;
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read seeds dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".txt"))
        })
        .collect();
    names.sort();
    let path = names
        .first()
        .unwrap_or_else(|| panic!("no seed {prefix}_*.txt in {}", dir.display()));
    let bytes = std::fs::read(path).expect("read seed");
    Some((bytes, path.display().to_string()))
}

pub fn seed(prefix: &str) -> Option<Parsed> {
    let (bytes, name) = seed_bytes(prefix)?;
    Some(read_hotfix_page(&bytes, &name).unwrap_or_else(|e| panic!("{e}")))
}

/// Page furniture the importer is allowed to skip: the same explicit list the
/// parser keeps (banner, navigation, footer, table headers, intro
/// sentences), written out again here so that the test notices when the
/// parser starts skipping more.
const CHROME_EXACT: &[&str] = &[
    "Windowsプラットフォーム向けHotFix情報サービス",
    "HFR BBS会議室",
    "詳細",
    "Copyright (C) Digital Advantage Corp.",
    "プラットフォーム",
    "適用テスト結果",
    "ファイル名",
    "日付",
    "バージョン",
    "サイズ",
    "機能",
    "ファイル名 日付 バージョン サイズ",
    "ファイル名 日付 バージョン サイズ 機能",
    "影響を受けるソフトウェア 対象プラットフォーム",
    "影響を受けるソフトウェア",
    "修正プログラム名 50台 100台 250台 500台",
    "修正プログラム名",
    "50台",
    "100台",
    "250台",
    "500台",
    "ダウンロード・センター",
    "Windows Update/SUSの表示",
    "Windows Update/Office Update/SUSの表示",
    "WU/MU/SUS/WSUSの表示",
];
const CHROME_PREFIX: &[&str] = &[
    "このページは、HotFix Reportで配信された",
    "トップページ サービスの詳細",
    "脆弱性による危険性を",
    "DA Labでは、以下のプラットフォームで",
    "プラットフォーム ダウンロード・センター",
    "以下のファイルにパッチが",
    "修正プログラムが正しく適用できたかどうかは、",
    "HotFix Reportは、UpdateEXPERTユーザー向け",
    "このメールは、HotFix Report",
    "無断で複製・再配信",
    "HotFix Reportでは、細心の注意",
];

/// Labels, choice options and marks: words the model represents by its
/// structure or its enums rather than as text.
const VOCABULARY: &[&str] = &[
    "深刻度",
    "攻撃コードの有無",
    "対策",
    "再起動の必要性",
    "アンインストール",
    "対象環境",
    "セキュリティ情報",
    "サポート技術情報",
    "よく寄せられる質問",
    "含まれる過去の修正",
    "脆弱性識別番号",
    "危険性",
    "可能性のある攻撃",
    "攻撃手法",
    "脆弱性の影響",
    "概要",
    "脆弱性の内容",
    "対象プラットフォーム",
    "DA Lab:HotFixテスティング・チームからのコメント",
    "■適用テストの結果",
    "適用テストの結果",
    "詳細情報",
    "修正プログラムのダウンロード先",
    "適用されるファイル情報",
    "確認方法",
    "参考情報",
    "追加情報",
    "予想適用時間",
    "UpdateEXPERT上の表示",
    "展開フォルダ",
    "1",
    "2",
    "3",
    "4",
    "緊急",
    "重要",
    "警告",
    "注意",
    "あり",
    "なし",
    "至急適用",
    "早期適用",
    "SP待ち",
    "緊急適用",
    "必要",
    "不要",
    "可",
    "可能",
    "不可",
    "サーバ",
    "クライアント",
    "→",
    "○",
    "△",
    "×",
    "日本",
    "US",
    "緊急対応度",
    "対応の緊急性",
    "攻撃コード未公開",
    "攻撃コード公開",
    "攻撃事例なし",
    "攻撃事例あり",
    "登録日",
    "更新日",
    "HotFix",
    "Alert",
    "情報ソース",
    "情報の内容",
    "条件",
    "報告日",
    "CVE",
    "‥‥‥",
    "リモート攻撃",
    "ウイルス/ワーム",
    "電子メール添付",
    "Webサイトへの誘導",
    "コードの実行",
    "権限の昇格",
    "情報の漏えい",
    "サービス拒否",
    "なりすまし",
    "●",
    "・",
];

fn is_chrome(t: &str) -> bool {
    CHROME_EXACT.contains(&t) || CHROME_PREFIX.iter().any(|p| t.starts_with(p))
}

/// Every string, number and key of the alert's JSON, one per line.
pub fn haystack(alert: &hfr_model::Alert) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            serde_json::Value::Number(n) => {
                out.push_str(&n.to_string());
                out.push('\n');
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    out.push_str(k);
                    out.push('\n');
                    walk(x, out);
                }
            }
            _ => {}
        }
    }
    let mut out = String::new();
    walk(&serde_json::to_value(alert).expect("serialize"), &mut out);
    out
}

/// The forms a printed fact takes in the JSON: `1,267,192` → `1267192`,
/// `2004/09/23` → `2004-09-23`, `2004年11月17日` → `2004-11-17`, `1時間8分` →
/// `68`, and the tail of an edition date split over lines (`/07/12版`).
fn normal_forms(part: &str) -> Vec<String> {
    let mut out = vec![part.to_string()];
    let stripped = part.trim_start_matches(['■', '・', '•', '●', '○']);
    out.push(stripped.to_string());
    // Registry wording: the key and value name are facts, the predicate is
    // the check's kind.
    if let Some(key) = part.strip_suffix("以下のファイル一覧を確認する") {
        out.push(key.to_string());
    }
    if let Some((name, _)) = part.split_once("のデータが") {
        out.push(name.to_string());
    }
    if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        out.push(part.replace(',', ""));
    }
    let nums: Vec<&str> = part
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .collect();
    if nums.len() == 3 && nums[0].len() == 4 {
        out.push(format!("{}-{:0>2}-{:0>2}", nums[0], nums[1], nums[2]));
    }
    if nums.len() == 2 && part.starts_with('/') {
        out.push(format!("-{:0>2}-{:0>2}", nums[0], nums[1]));
    }
    if part.ends_with('分') || part.ends_with("時間") {
        let mut total = 0u32;
        let mut rest = part;
        if let Some((h, r)) = rest.split_once("時間") {
            total += h.parse::<u32>().unwrap_or(0) * 60;
            rest = r;
        }
        if let Some(m) = rest.strip_suffix('分') {
            total += m.parse::<u32>().unwrap_or(0);
        }
        out.push(total.to_string());
    }
    out
}

/// Lines of `text` whose words appear nowhere in `alert`: the "nothing
/// dropped" check. Each line, table pipes removed, must be furniture, a
/// label or option, or have every whitespace-separated word (or, failing
/// that, every piece of it between brackets and colons) in the alert's JSON.
pub fn dropped(text: &str, alert: &hfr_model::Alert) -> Vec<String> {
    let hay = haystack(alert);
    let mut missing = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim_matches(|c: char| c.is_whitespace());
        let t = t
            .strip_suffix('|')
            .unwrap_or(t)
            .trim_matches(|c: char| c.is_whitespace());
        if t.is_empty() || is_chrome(t) || VOCABULARY.contains(&t) {
            continue;
        }
        let dotted = t.trim_matches(|c: char| c == '‥' || c.is_whitespace());
        if VOCABULARY.contains(&dotted) {
            continue;
        }
        // A label and furniture on one line (`危険性 脆弱性による…`).
        if let Some((label, rest)) = t.split_once(' ') {
            if VOCABULARY.contains(&label) && is_chrome(rest.trim()) {
                continue;
            }
        }
        let known = |part: &str| {
            normal_forms(part).iter().any(|f| {
                !f.is_empty() && (VOCABULARY.contains(&f.as_str()) || hay.contains(f.as_str()))
            })
        };
        for tok in t.split_whitespace() {
            if hay.contains(tok) {
                continue;
            }
            let parts = tok
                .split(['(', ')', '（', '）', ':', '：', '[', ']', '【', '】'])
                .filter(|p| !p.is_empty());
            for part in parts {
                // Slash lists and registry paths may be split up too.
                let ok =
                    known(part) || part.split(['/', '\\']).filter(|p| !p.is_empty()).all(known);
                if !ok {
                    missing.push(format!("line {}: {part:?} (in {t:?})", i + 1));
                }
            }
        }
    }
    missing
}
