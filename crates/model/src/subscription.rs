//! What a subscriber asked to receive, and whether an alert is one of those.
//!
//! Kept here, beside the alert, because the same rule decides in three
//! places: who gets a published alert's mail, who gets an update mail, and
//! which alerts a subscriber's HotFix Weekly lists. A subscriber must never
//! get mail they did not ask for, so the rule is one pure function with
//! tests, not a query spread over the store and the mailer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Action, Alert, Severity};

/// A subscriber's choices on the 購読の申し込み form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Preferences {
    /// Only alerts at least this severe (1 緊急 … 4 注意). `None`: any.
    pub min_severity: Option<Severity>,
    /// Only alerts whose exploit code is public.
    pub exploit_code_only: bool,
    /// Only alerts whose action is 至急適用.
    pub apply_now_only: bool,
    /// Only alerts that name at least one of these products (as the
    /// archive's product list spells them; compared without regard to case).
    /// Empty: all software.
    pub products: Vec<String>,
    /// Also the update mails for revisions of alerts already sent.
    pub revisions: bool,
    /// HotFix Weekly, the weekly digest.
    pub weekly: bool,
}

impl Default for Preferences {
    /// Everything: every new alert, its revisions, and the weekly digest.
    fn default() -> Self {
        Preferences {
            min_severity: None,
            exploit_code_only: false,
            apply_now_only: false,
            products: Vec::new(),
            revisions: true,
            weekly: true,
        }
    }
}

impl Preferences {
    /// Does the alert pass every filter the subscriber set? An alert that
    /// does not say (no severity, exploit code or action on the page) does
    /// not pass a filter on that field: "only 緊急" must not bring an alert
    /// of unknown severity.
    pub fn matches(&self, alert: &Alert) -> bool {
        if let Some(min) = self.min_severity {
            // Critical (1) sorts before Low (4): "at least as severe" is <=.
            match alert.severity {
                Some(s) if s <= min => {}
                _ => return false,
            }
        }
        if self.exploit_code_only && alert.exploit_code != Some(true) {
            return false;
        }
        if self.apply_now_only && alert.action != Some(Action::ApplyNow) {
            return false;
        }
        if !self.products.is_empty() {
            let names = alert.products();
            let wanted = |p: &String| {
                names
                    .iter()
                    .any(|n| n.to_lowercase() == p.trim().to_lowercase())
            };
            if !self.products.iter().any(wanted) {
                return false;
            }
        }
        true
    }

    /// Does the subscriber want the update mail for this revised alert?
    pub fn wants_revision(&self, alert: &Alert) -> bool {
        self.revisions && self.matches(alert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Affected;

    fn alert(severity: Option<Severity>, exploit: Option<bool>, action: Option<Action>) -> Alert {
        Alert {
            id: "MS05-999".into(),
            severity,
            exploit_code: exploit,
            action,
            affected: vec![Affected {
                software: "Exchange Server 2003".into(),
                platforms: "Windows Server 2003".into(),
            }],
            ..Alert::default()
        }
    }

    #[test]
    fn the_default_takes_everything() {
        let p = Preferences::default();
        assert!(p.matches(&alert(None, None, None)));
        assert!(p.wants_revision(&alert(Some(Severity::Low), Some(false), None)));
        assert!(p.weekly);
    }

    #[test]
    fn minimum_severity_counts_down_from_critical() {
        let p = Preferences {
            min_severity: Some(Severity::Important),
            ..Preferences::default()
        };
        assert!(p.matches(&alert(Some(Severity::Critical), None, None)));
        assert!(p.matches(&alert(Some(Severity::Important), None, None)));
        assert!(!p.matches(&alert(Some(Severity::Moderate), None, None)));
        assert!(
            !p.matches(&alert(None, None, None)),
            "unknown is not at least 重要"
        );
    }

    #[test]
    fn exploit_and_action_filters_need_a_yes() {
        let p = Preferences {
            exploit_code_only: true,
            ..Preferences::default()
        };
        assert!(p.matches(&alert(None, Some(true), None)));
        assert!(!p.matches(&alert(None, Some(false), None)));
        assert!(!p.matches(&alert(None, None, None)));
        let p = Preferences {
            apply_now_only: true,
            ..Preferences::default()
        };
        assert!(p.matches(&alert(None, None, Some(Action::ApplyNow))));
        assert!(!p.matches(&alert(None, None, Some(Action::ApplySoon))));
    }

    #[test]
    fn products_match_any_named_without_case() {
        let mut p = Preferences {
            products: vec![
                "windows server 2003".into(),
                " exchange server 2003 ".into(),
            ],
            ..Preferences::default()
        };
        assert!(p.matches(&alert(None, None, None)));
        p.products = vec!["Windows XP".into()];
        assert!(!p.matches(&alert(None, None, None)));
    }

    #[test]
    fn revisions_can_be_declined() {
        let p = Preferences {
            revisions: false,
            ..Preferences::default()
        };
        let a = alert(Some(Severity::Critical), Some(true), Some(Action::ApplyNow));
        assert!(p.matches(&a));
        assert!(!p.wants_revision(&a));
    }

    #[test]
    fn absent_keys_take_the_defaults() {
        let p: Preferences = serde_json::from_str(r#"{"min_severity": 1}"#).unwrap();
        assert_eq!(p.min_severity, Some(Severity::Critical));
        assert!(p.revisions && p.weekly);
    }
}
