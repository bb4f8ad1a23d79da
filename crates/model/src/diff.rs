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
