//! The closed vocabularies of an alert: severity, action, reboot, lab result,
//! attack vectors and impacts. Each carries its Japanese label as printed on the
//! original pages, so that every front end (terminal, web, mail) says the same
//! words.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// 深刻度: 1 critical, 2 important, 3 moderate, 4 low.
///
/// Serialized as the integer the pages print (`1`..`4`), ordered so that
/// `Critical < Low` sorts the most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Critical = 1,
    Important = 2,
    Moderate = 3,
    Low = 4,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::Important,
        Severity::Moderate,
        Severity::Low,
    ];

    /// The number printed on the page and used in the JSON.
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(n: u8) -> Option<Self> {
        match n {
            1 => Some(Severity::Critical),
            2 => Some(Severity::Important),
            3 => Some(Severity::Moderate),
            4 => Some(Severity::Low),
            _ => None,
        }
    }

    /// 緊急 / 重要 / 警告 / 注意.
    pub fn label_ja(self) -> &'static str {
        match self {
            Severity::Critical => "緊急",
            Severity::Important => "重要",
            Severity::Moderate => "警告",
            Severity::Low => "注意",
        }
    }

    /// The English word vendors use for the same level.
    pub fn label_en(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Important => "important",
            Severity::Moderate => "moderate",
            Severity::Low => "low",
        }
    }

    /// Reads either the number, the Japanese label or the English word.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u8>() {
            return Self::from_number(n);
        }
        Self::ALL
            .into_iter()
            .find(|v| v.label_ja() == s || v.label_en().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.number(), self.label_ja())
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.number())
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u8::deserialize(d)?;
        Severity::from_number(n)
            .ok_or_else(|| serde::de::Error::custom(format!("severity must be 1-4, got {n}")))
    }
}

impl JsonSchema for Severity {
    fn schema_name() -> Cow<'static, str> {
        "Severity".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "深刻度: 1 緊急 (critical), 2 重要 (important), 3 警告 (moderate), 4 注意 (low).",
            "type": "integer",
            "enum": [1, 2, 3, 4]
        })
    }
}

/// 対策: what the lab advises doing with the fix.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 至急適用 (the risk gauge calls it 緊急適用): start applying now.
    ApplyNow,
    /// 早期適用: apply soon.
    ApplySoon,
    /// SP待ち: can wait for the next service pack.
    WaitForSp,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::ApplyNow, Action::ApplySoon, Action::WaitForSp];

    pub fn label_ja(self) -> &'static str {
        match self {
            Action::ApplyNow => "至急適用",
            Action::ApplySoon => "早期適用",
            Action::WaitForSp => "SP待ち",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Action::ApplyNow => "apply_now",
            Action::ApplySoon => "apply_soon",
            Action::WaitForSp => "wait_for_sp",
        }
    }

    /// Reads the JSON key or any wording the pages use.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "apply_now" | "至急適用" | "緊急適用" | "至急" => Some(Action::ApplyNow),
            "apply_soon" | "早期適用" | "早期" => Some(Action::ApplySoon),
            "wait_for_sp" | "SP待ち" => Some(Action::WaitForSp),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_ja())
    }
}

/// 再起動の必要性 for one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RebootRequired {
    /// 必要
    Yes,
    /// 不要
    No,
    /// 必要 or 不要 with an exception in the note (e.g. 不要(サービスが停止できない場合は必要)).
    Conditional,
}

impl RebootRequired {
    pub fn label_ja(self) -> &'static str {
        match self {
            RebootRequired::Yes => "必要",
            RebootRequired::No => "不要",
            RebootRequired::Conditional => "条件付き",
        }
    }
}

/// DA Lab 適用テストの結果 for one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabResult {
    /// ○
    Passed,
    /// △: installed, with a caveat.
    PassedWithIssues,
    /// ×
    Failed,
}

impl LabResult {
    pub fn mark(self) -> &'static str {
        match self {
            LabResult::Passed => "○",
            LabResult::PassedWithIssues => "△",
            LabResult::Failed => "×",
        }
    }

    pub fn from_mark(s: &str) -> Option<Self> {
        match s.trim() {
            "○" | "〇" | "◯" => Some(LabResult::Passed),
            "△" => Some(LabResult::PassedWithIssues),
            "×" | "✕" | "x" | "X" => Some(LabResult::Failed),
            _ => None,
        }
    }
}

/// 攻撃手法: how an attack reaches the machine.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AttackVector {
    /// リモート攻撃
    Remote,
    /// ウイルス/ワーム
    Worm,
    /// 電子メール添付
    MailAttachment,
    /// Webサイトへの誘導
    WebLure,
}

impl AttackVector {
    pub const ALL: [AttackVector; 4] = [
        AttackVector::Remote,
        AttackVector::Worm,
        AttackVector::MailAttachment,
        AttackVector::WebLure,
    ];

    pub fn label_ja(self) -> &'static str {
        match self {
            AttackVector::Remote => "リモート攻撃",
            AttackVector::Worm => "ウイルス/ワーム",
            AttackVector::MailAttachment => "電子メール添付",
            AttackVector::WebLure => "Webサイトへの誘導",
        }
    }
}

/// 脆弱性の影響: what a successful attack achieves.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// コードの実行
    CodeExecution,
    /// 権限の昇格
    PrivilegeElevation,
    /// 情報の漏えい
    InformationLeak,
    /// サービス拒否
    DenialOfService,
    /// なりすまし
    Spoofing,
}

impl Impact {
    pub const ALL: [Impact; 5] = [
        Impact::CodeExecution,
        Impact::PrivilegeElevation,
        Impact::InformationLeak,
        Impact::DenialOfService,
        Impact::Spoofing,
    ];

    pub fn label_ja(self) -> &'static str {
        match self {
            Impact::CodeExecution => "コードの実行",
            Impact::PrivilegeElevation => "権限の昇格",
            Impact::InformationLeak => "情報の漏えい",
            Impact::DenialOfService => "サービス拒否",
            Impact::Spoofing => "なりすまし",
        }
    }
}

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// セキュリティ情報: the vendor bulletin.
    Bulletin,
    /// サポート技術情報: a KB article.
    Kb,
    /// よく寄せられる質問: the FAQ.
    Faq,
    /// Anything else the page links to.
    Other,
}

impl ReferenceKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            ReferenceKind::Bulletin => "セキュリティ情報",
            ReferenceKind::Kb => "サポート技術情報",
            ReferenceKind::Faq => "よく寄せられる質問",
            ReferenceKind::Other => "参考",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_serializes_as_the_page_number() {
        assert_eq!(serde_json::to_string(&Severity::Important).unwrap(), "2");
        let s: Severity = serde_json::from_str("4").unwrap();
        assert_eq!(s, Severity::Low);
        assert!(serde_json::from_str::<Severity>("5").is_err());
        assert!(serde_json::from_str::<Severity>("0").is_err());
    }

    #[test]
    fn severity_parses_every_spelling() {
        assert_eq!(Severity::parse("緊急"), Some(Severity::Critical));
        assert_eq!(Severity::parse("Moderate"), Some(Severity::Moderate));
        assert_eq!(Severity::parse("3"), Some(Severity::Moderate));
        assert_eq!(Severity::parse("severe"), None);
        assert!(Severity::Critical < Severity::Low);
    }

    #[test]
    fn action_reads_both_wordings_of_apply_now() {
        assert_eq!(Action::parse("至急適用"), Some(Action::ApplyNow));
        assert_eq!(Action::parse("緊急適用"), Some(Action::ApplyNow));
        assert_eq!(Action::parse("SP待ち"), Some(Action::WaitForSp));
        assert_eq!(
            serde_json::to_string(&Action::WaitForSp).unwrap(),
            "\"wait_for_sp\""
        );
        assert_eq!(Action::parse("later"), None);
    }
}
