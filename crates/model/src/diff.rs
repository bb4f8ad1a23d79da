//! What changed between two revisions of an alert.
//!
//! The diff works on the canonical JSON, so it needs no knowledge of the
//! individual sections and stays right when the model grows. Paths use the
//! canonical keys, e.g. `packages[0].files[1].version`, which is also what the
//! web site and the update mails show.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Alert;

/// One difference between two revisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// Canonical JSON path, e.g. `severity` or `packages[0].files[1].version`.
    pub path: String,
    /// The value before; null when the field was added.
    pub before: Value,
    /// The value after; null when the field was removed.
    pub after: Value,
}

impl Change {
    /// The top-level section the change is in (`packages` for `packages[0].file`).
    pub fn section(&self) -> &str {
        let end = self.path.find(['.', '[']).unwrap_or(self.path.len());
        &self.path[..end]
    }
}

/// The differences from `old` to `new`, in canonical key order.
pub fn diff(old: &Alert, new: &Alert) -> Vec<Change> {
    let a = serde_json::to_value(old).unwrap_or(Value::Null);
    let b = serde_json::to_value(new).unwrap_or(Value::Null);
    let mut out = Vec::new();
    diff_values(String::new(), &a, &b, &mut out);
    out
}

/// The top-level sections that differ, each once, in order.
pub fn changed_sections(changes: &[Change]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in changes {
        let s = c.section();
        if out.last().map(String::as_str) != Some(s) && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// The Japanese label a HotFix page gives a top-level key, for saying what
/// changed (the web site's revision history, update mails, the feed).
/// Unknown keys come back as they are.
pub fn section_label(key: &str) -> &str {
    match key {
        "id" => "脆弱性識別番号",
        "kbs" => "脆弱性識別番号 (KB)",
        "edition" => "版",
        "registered" => "登録日",
        "updated" => "更新日",
        "severity" => "深刻度",
        "exploit_code" => "攻撃コードの有無",
        "action" => "対策",
        "reboot" => "再起動の必要性",
        "uninstall" => "アンインストール",
        "target" => "対象環境",
        "references" => "セキュリティ情報・サポート技術情報",
        "supersedes" => "含まれる過去の修正",
        "title" => "タイトル",
        "vendor_title" => "ベンダのタイトル",
        "urgency" => "対応の緊急性",
        "risk" => "危険性",
        "attack_vectors" => "攻撃手法",
        "impacts" => "脆弱性の影響",
        "summary" => "概要",
        "vulnerabilities" => "脆弱性の内容",
        "affected" => "対象プラットフォーム",
        "lab_tests" => "適用テストの結果",
        "lab_notes" => "DA Labのコメント",
        "details" => "詳細情報",
        "downloads" => "修正プログラムのダウンロード先",
        "packages" => "適用されるファイル情報",
        "verification" => "確認方法",
        "workarounds" => "参考情報",
        "rollout" => "予想適用時間",
        "rollout_basis" => "予想適用時間の算出条件",
        "tool_display" => "UpdateEXPERT上の表示",
        "additions" => "追加情報",
        "notes" => "その他の情報",
        "release" => "リリース",
        "exploit_status" => "悪用の状況",
        "action_rule" => "対策の根拠",
        "products" => "製品ごとの情報",
        "tags" => "コンポーネント",
        "acknowledgments" => "謝辞",
        "vendor_revisions" => "ベンダの更新履歴",
        other => other,
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn diff_values(path: String, a: &Value, b: &Value, out: &mut Vec<Change>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = join(&path, k);
                match y.get(k) {
                    Some(vb) => diff_values(p, va, vb, out),
                    None => out.push(Change {
                        path: p,
                        before: va.clone(),
                        after: Value::Null,
                    }),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    out.push(Change {
                        path: join(&path, k),
                        before: Value::Null,
                        after: vb.clone(),
                    });
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let n = x.len().max(y.len());
            for i in 0..n {
                let p = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(va), Some(vb)) => diff_values(p, va, vb, out),
                    (Some(va), None) => out.push(Change {
                        path: p,
                        before: va.clone(),
                        after: Value::Null,
                    }),
                    (None, Some(vb)) => out.push(Change {
                        path: p,
                        before: Value::Null,
                        after: vb.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        _ => out.push(Change {
            path,
            before: a.clone(),
            after: b.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Addition, Severity};

    #[test]
    fn sections_have_their_page_labels() {
        assert_eq!(section_label("packages"), "適用されるファイル情報");
        assert_eq!(section_label("severity"), "深刻度");
        assert_eq!(section_label("new_key"), "new_key");
    }

    #[test]
    fn identical_alerts_have_no_changes() {
        let a = Alert {
            id: "MS04-039".into(),
            ..Alert::default()
        };
        assert!(diff(&a, &a.clone()).is_empty());
    }

    #[test]
    fn changes_are_reported_by_canonical_path() {
        let a = Alert {
            id: "MS04-039".into(),
            severity: Some(Severity::Important),
            kbs: vec!["888258".into()],
            ..Alert::default()
        };
        let mut b = a.clone();
        b.severity = Some(Severity::Critical);
        b.kbs.push("890097".into());
        b.additions.push(Addition {
            title: "再リリース".into(),
            source: None,
            content: None,
            condition: None,
            reported: None,
            text: String::new(),
            packages: vec![],
        });
        let changes = diff(&a, &b);
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        // Field order of the canonical JSON: kbs, severity, ..., additions.
        assert_eq!(paths, vec!["kbs[1]", "severity", "additions[0]"]);
        let sev = &changes[1];
        assert_eq!(sev.before, serde_json::json!(2));
        assert_eq!(sev.after, serde_json::json!(1));
        assert_eq!(
            changed_sections(&changes),
            vec!["kbs", "severity", "additions"]
        );
    }

    #[test]
    fn section_of_a_nested_path() {
        let c = Change {
            path: "packages[0].files[1].version".into(),
            before: Value::Null,
            after: Value::Null,
        };
        assert_eq!(c.section(), "packages");
    }
}
