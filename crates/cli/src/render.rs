//! An alert as terminal text: every section, with the Japanese labels of the
//! original pages, in their order. Empty sections are left out; a header fact
//! the page did not give is shown as `-` so its absence is visible.

use std::fmt::Write;

use hfr_model::{Action, Alert, LabResult, Package, PackageFile, Severity};
use hfr_store::StoredAlert;

use crate::output::table;
use hfr_model::present::{minutes, size};

pub fn yes_no(v: Option<bool>, yes: &str, no: &str) -> String {
    hfr_model::present::yes_no(v, yes, no).to_string()
}

pub fn severity(s: Option<Severity>) -> String {
    s.map(|s| format!("{} {}", s.number(), s.label_ja()))
        .unwrap_or_else(|| "-".into())
}

pub fn action(a: Option<Action>) -> String {
    a.map(|a| a.label_ja().to_string())
        .unwrap_or_else(|| "-".into())
}

/// The action with the rule that chose it, when one did:
/// `至急適用 (悪用が確認されている)`.
pub fn action_with_rule(a: &Alert) -> String {
    let mut s = action(a.action);
    if let Some(rule) = a.action_rule {
        let _ = write!(s, " ({})", rule.label_ja());
    }
    s
}

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("-")
}

fn heading(out: &mut String, title: &str) {
    let _ = write!(out, "\n■ {title}\n");
}

fn prose(out: &mut String, text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
}

fn indent_table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    for line in table(header, rows).lines() {
        let _ = writeln!(out, "  {line}");
    }
}

/// The whole alert.
pub fn alert(stored: &StoredAlert) -> String {
    let a = &stored.alert;
    let mut out = String::new();
    header(&mut out, a, stored);
    body(&mut out, a);
    out
}

fn header(out: &mut String, a: &Alert, stored: &StoredAlert) {
    let _ = writeln!(out, "{}  {}", a.id, a.title);
    if let Some(v) = &a.vendor_title {
        let _ = writeln!(out, "({v})");
    }
    // Vendor data has a release instead of an edition.
    let source = match (a.edition, &a.release) {
        (None, Some(r)) => format!("リリース {r}"),
        (edition, _) => format!("HotFix Alert {}版", date(edition)),
    };
    let _ = writeln!(
        out,
        "{source}  登録日 {}  更新日 {}  (revision {}, recorded {})",
        date(a.registered),
        date(a.updated),
        stored.revision,
        stored.recorded_at.format("%Y-%m-%d")
    );
    let _ = writeln!(out);
    let reboot = if a.reboot.is_empty() {
        "-".to_string()
    } else {
        a.reboot
            .iter()
            .map(|r| {
                let mut s = String::new();
                if let Some(p) = &r.product {
                    let _ = write!(s, "{p}: ");
                }
                s.push_str(r.required.label_ja());
                if let Some(n) = &r.note {
                    let _ = write!(s, " ({n})");
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let target = match a.target {
        None => "-".to_string(),
        Some(t) => [(t.server, "サーバ"), (t.client, "クライアント")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("/"),
    };
    let facts = [
        ("深刻度", severity(a.severity)),
        ("攻撃コードの有無", yes_no(a.exploit_code, "あり", "なし")),
        ("対策", action_with_rule(a)),
        ("再起動の必要性", reboot),
        ("アンインストール", yes_no(a.uninstall, "可", "不可")),
        (
            "対象環境",
            if target.is_empty() {
                "-".into()
            } else {
                target
            },
        ),
        (
            "脆弱性識別番号",
            std::iter::once(a.id.clone())
                .chain(a.kbs.iter().cloned())
                .collect::<Vec<_>>()
                .join("/"),
        ),
    ];
    for (label, value) in facts {
        let _ = writeln!(out, "{}  {value}", crate::output::pad(label, 16));
    }
    if !a.supersedes.is_empty() {
        let list: Vec<String> = a
            .supersedes
            .iter()
            .map(|s| match &s.scope {
                Some(scope) => format!("{}({scope})", s.id),
                None => s.id.clone(),
            })
            .collect();
        let _ = writeln!(
            out,
            "{}  {}",
            crate::output::pad("含まれる過去の修正", 16),
            list.join(", ")
        );
    }
    if !a.references.is_empty() {
        let list: Vec<String> = a
            .references
            .iter()
            .map(|r| {
                let mut s = format!("{} {}", r.kind.label_ja(), r.label);
                if let Some(l) = &r.locale {
                    let _ = write!(s, " [{l}]");
                }
                if let Some(u) = &r.url {
                    let _ = write!(s, " <{u}>");
                }
                s
            })
            .collect();
        let _ = writeln!(
            out,
            "{}  {}",
            crate::output::pad("参照", 16),
            list.join(", ")
        );
    }
    if let Some(u) = &a.urgency {
        let mut s = u.text.clone();
        if let Some(e) = u.exploit_published {
            s.push_str(if e {
                " [攻撃コード公開]"
            } else {
                " [攻撃コード未公開]"
            });
        }
        if let Some(e) = u.attacks_seen {
            s.push_str(if e {
                " [攻撃事例あり]"
            } else {
                " [攻撃事例なし]"
            });
        }
        let _ = writeln!(out, "{}  {s}", crate::output::pad("対応の緊急性", 16));
    }
}

fn body(out: &mut String, a: &Alert) {
    if let Some(t) = &a.risk {
        heading(out, "危険性");
        prose(out, t);
    }
    if a.attack_vectors.is_some() || a.impacts.is_some() {
        heading(out, "可能性のある攻撃");
        if let Some(v) = &a.attack_vectors {
            let names: Vec<&str> = v.iter().map(|x| x.label_ja()).collect();
            let _ = writeln!(out, "  攻撃手法: {}", names.join(", "));
        }
        if let Some(v) = &a.impacts {
            let names: Vec<&str> = v.iter().map(|x| x.label_ja()).collect();
            let _ = writeln!(out, "  脆弱性の影響: {}", names.join(", "));
        }
    }
    if let Some(t) = &a.summary {
        heading(out, "概要");
        prose(out, t);
    }
    if !a.vulnerabilities.is_empty() {
        heading(out, "脆弱性の内容");
        for v in &a.vulnerabilities {
            let mut tags = Vec::new();
            if let Some(s) = v.severity {
                tags.push(format!("深刻度:{}", s.label_ja()));
            }
            if let Some(c) = &v.cve {
                tags.push(format!("CVE:{c}"));
            }
            let _ = writeln!(out, "  ● {} ({})", v.title, tags.join(" "));
            prose(out, &v.text);
        }
    }
    if !a.affected.is_empty() {
        heading(out, "対象プラットフォーム");
        let rows: Vec<Vec<String>> = a
            .affected
            .iter()
            .map(|x| vec![x.software.clone(), x.platforms.clone()])
            .collect();
        indent_table(
            out,
            &["影響を受けるソフトウェア", "対象プラットフォーム"],
            &rows,
        );
    }
    if !a.products.is_empty() {
        heading(out, "製品ごとの情報 (ベンダー)");
        indent_table(out, &vendor_header(), &vendor_rows(a));
    }
    if !a.lab_tests.is_empty() {
        heading(out, "DA Lab 適用テストの結果");
        let rows: Vec<Vec<String>> = a
            .lab_tests
            .iter()
            .map(|t| {
                vec![
                    t.platform.clone(),
                    t.result.map(LabResult::mark).unwrap_or("(記載なし)").into(),
                    t.note.clone().unwrap_or_default(),
                ]
            })
            .collect();
        indent_table(out, &["プラットフォーム", "結果", "注"], &rows);
    }
    for n in &a.lab_notes {
        heading(out, &format!("Lab: {}", n.title));
        prose(out, &n.text);
    }
    if let Some(t) = &a.details {
        heading(out, "詳細情報");
        prose(out, t);
    }
    if !a.downloads.is_empty() {
        heading(out, "修正プログラムのダウンロード先");
        let rows: Vec<Vec<String>> = a
            .downloads
            .iter()
            .map(|d| {
                vec![
                    d.platform.clone(),
                    d.update_name.clone().or(d.note.clone()).unwrap_or_default(),
                ]
            })
            .collect();
        let channel = a
            .downloads
            .iter()
            .find_map(|d| d.channel.as_deref())
            .unwrap_or("Windows Update/SUS");
        let column = format!("{channel}の表示");
        indent_table(out, &["プラットフォーム", &column], &rows);
    }
    if !a.packages.is_empty() {
        heading(out, "適用されるファイル情報");
        for p in &a.packages {
            package(out, p);
        }
    }
    if !a.verification.is_empty() {
        heading(out, "確認方法");
        for v in &a.verification {
            let check = hfr_model::present::check(&v.check);
            let _ = writeln!(
                out,
                "  {}:\n    {}\n    → {check}",
                v.platforms, v.registry_key
            );
        }
    }
    if !a.workarounds.is_empty() {
        heading(out, "参考情報 (回避策)");
        for w in &a.workarounds {
            if let Some(t) = &w.title {
                let _ = writeln!(out, "  ・{t}");
            }
            prose(out, &w.text);
        }
    }
    if !a.rollout.is_empty() {
        heading(out, "予想適用時間");
        let counts = hfr_model::present::rollout_columns(&a.rollout);
        let mut header: Vec<String> = vec!["修正プログラム名".into()];
        header.extend(counts.iter().map(|c| format!("{c}台")));
        let rows: Vec<Vec<String>> = a
            .rollout
            .iter()
            .map(|r| {
                let mut row = vec![match &r.platform {
                    Some(p) => format!("{} ({p})", r.package),
                    None => r.package.clone(),
                }];
                row.extend(counts.iter().map(|c| {
                    r.minutes
                        .get(c)
                        .map(|m| minutes(*m))
                        .unwrap_or_else(|| "-".into())
                }));
                row
            })
            .collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        indent_table(out, &header, &rows);
        if let Some(b) = &a.rollout_basis {
            prose(out, b);
        }
    }
    if !a.tool_display.is_empty() {
        heading(out, "UpdateEXPERT上の表示");
        for t in &a.tool_display {
            if let Some(p) = &t.platform {
                let _ = writeln!(out, "  {p}:");
            }
            prose(out, &t.text);
        }
    }
    for ad in &a.additions {
        heading(out, &format!("追加情報: {}", ad.title));
        for (label, v) in [
            ("情報ソース", ad.source.clone()),
            ("情報の内容", ad.content.clone()),
            ("条件", ad.condition.clone()),
            ("報告日", ad.reported.map(|d| d.to_string())),
        ] {
            if let Some(v) = v {
                let _ = writeln!(out, "  {label}: {v}");
            }
        }
        prose(out, &ad.text);
        for p in &ad.packages {
            package(out, p);
        }
    }
    for n in &a.notes {
        heading(out, &n.title);
        prose(out, &n.text);
    }
}

fn file_rows(files: &[PackageFile]) -> Vec<Vec<String>> {
    files
        .iter()
        .map(|f| {
            vec![
                f.branch.clone().unwrap_or_default(),
                f.path.clone(),
                f.name.clone(),
                date(f.date),
                opt(&f.version).to_string(),
                size(f.size),
                f.description.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

fn package(out: &mut String, p: &Package) {
    let _ = writeln!(
        out,
        "\n  [{}]\n  {}  {}  {}  {} bytes",
        opt(&p.platform),
        p.file,
        date(p.date),
        opt(&p.version),
        size(p.size)
    );
    const HEADER: [&str; 7] = [
        "分岐",
        "展開フォルダ",
        "ファイル名",
        "日付",
        "バージョン",
        "サイズ",
        "機能",
    ];
    if !p.files.is_empty() {
        indent_table(out, &HEADER, &file_rows(&p.files));
    }
    for list in &p.reference_files {
        let _ = writeln!(out, "  {}", list.title);
        indent_table(out, &HEADER, &file_rows(&list.files));
    }
}

fn vendor_header() -> [&'static str; 7] {
    [
        "製品",
        "深刻度",
        "影響",
        "KB",
        "再起動",
        "置き換える更新",
        "修正ビルド",
    ]
}

/// One row per product and update (a product without one gets a row of its
/// own), the vendor's words as written.
fn vendor_rows(a: &Alert) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for p in &a.products {
        let sev = p.vendor_severity.clone().unwrap_or_else(|| "-".into());
        let impact = p.vendor_impact.clone().unwrap_or_else(|| "-".into());
        let fixes: Vec<&hfr_model::Remediation> = p
            .remediations
            .iter()
            .filter(|r| r.kb.is_some() || r.fixed_build.is_some())
            .collect();
        if fixes.is_empty() {
            rows.push(vec![
                p.name.clone(),
                sev,
                impact,
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
            continue;
        }
        for r in fixes {
            rows.push(vec![
                p.name.clone(),
                sev.clone(),
                impact.clone(),
                r.kb.as_deref().map_or("-".into(), |k| format!("KB{k}")),
                r.restart_required
                    .map_or("-".into(), |x| x.label_ja().to_string()),
                opt(&r.supersedence).to_string(),
                opt(&r.fixed_build).to_string(),
            ]);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_get_thousands_separators() {
        assert_eq!(size(Some(532216)), "532,216");
        assert_eq!(size(Some(999)), "999");
        assert_eq!(size(Some(1267192)), "1,267,192");
        assert_eq!(size(None), "-");
    }

    #[test]
    fn minutes_read_like_the_pages() {
        assert_eq!(minutes(110), "1時間50分");
        assert_eq!(minutes(34), "34分");
    }
}
