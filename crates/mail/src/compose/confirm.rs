//! The confirmation mail of a new subscription (double opt-in): the link
//! that makes it take effect, and the conditions the subscriber chose, in
//! words, so that they can see what they are agreeing to receive.

use hfr_model::subscription::Preferences;
use hfr_model::Severity;

use super::view::Fact;

/// The confirmation mail as printed.
#[derive(Debug, Clone)]
pub(crate) struct ConfirmView {
    pub subject: String,
    pub confirm_url: String,
    pub conditions: Vec<Fact>,
    pub site: String,
}

/// The subscriber's choices as label/value lines.
pub(crate) fn describe(p: &Preferences) -> Vec<Fact> {
    let severity = match p.min_severity {
        None => "すべて".to_string(),
        Some(Severity::Critical) => "緊急のみ".to_string(),
        Some(s) => format!("{}以上", s.label_ja()),
    };
    let exploit = if p.exploit_code_only {
        "攻撃コードが公開されているもののみ"
    } else {
        "指定なし"
    };
    let action = if p.apply_now_only {
        "至急適用のもののみ"
    } else {
        "指定なし"
    };
    let products = if p.products.is_empty() {
        vec!["すべての製品".to_string()]
    } else {
        p.products.iter().map(|s| s.trim().to_string()).collect()
    };
    let yes_no = |b: bool| {
        if b {
            "受け取る"
        } else {
            "受け取らない"
        }
    };
    vec![
        Fact {
            label: "深刻度",
            lines: vec![severity],
        },
        Fact {
            label: "攻撃コードの有無",
            lines: vec![exploit.into()],
        },
        Fact {
            label: "対策",
            lines: vec![action.into()],
        },
        Fact {
            label: "対象製品",
            lines: products,
        },
        Fact {
            label: "更新のお知らせ",
            lines: vec![yes_no(p.revisions).into()],
        },
        Fact {
            label: "HotFix Weekly",
            lines: vec![yes_no(p.weekly).into()],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_each_choice() {
        let p = Preferences {
            min_severity: Some(Severity::Important),
            exploit_code_only: true,
            products: vec!["Windows Server 2003".into()],
            weekly: false,
            ..Preferences::default()
        };
        let f = describe(&p);
        assert_eq!(f[0].lines, vec!["重要以上"]);
        assert_eq!(f[1].lines, vec!["攻撃コードが公開されているもののみ"]);
        assert_eq!(f[2].lines, vec!["指定なし"]);
        assert_eq!(f[3].lines, vec!["Windows Server 2003"]);
        assert_eq!(f[4].lines, vec!["受け取る"]);
        assert_eq!(f[5].lines, vec!["受け取らない"]);
        let all = describe(&Preferences::default());
        assert_eq!(all[0].lines, vec!["すべて"]);
        assert_eq!(all[3].lines, vec!["すべての製品"]);
    }
}
