//! The closed vocabularies of an alert: severity, action (and the rule that
//! chose it), reboot, lab result, attack vectors and impacts, and the
//! vendor's restart, exploitability and remediation kinds. Each carries its
//! Japanese label as printed on the original pages, so that every front end
//! (terminal, web, mail) says the same words.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::alert::ExploitStatus;

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

    /// The value for a vendor's impact wording (Microsoft's `Remote Code
    /// Execution`, `Elevation of Privilege`, …). Impacts the pages had no
    /// word for (`Security Feature Bypass`, `Tampering`, `Defense in Depth`)
    /// give `None`: the importer keeps the vendor's string beside it.
    pub fn from_vendor(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "remote code execution" | "code execution" => Some(Impact::CodeExecution),
            "elevation of privilege" | "privilege escalation" => Some(Impact::PrivilegeElevation),
            "information disclosure" => Some(Impact::InformationLeak),
            "denial of service" => Some(Impact::DenialOfService),
            "spoofing" => Some(Impact::Spoofing),
            _ => None,
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

/// Whether installing one vendor update needs a restart, as the vendor
/// states it per update (MSRC's `RestartRequired`).
///
/// Kept apart from [`RebootRequired`] because "Maybe" is not the pages'
/// 条件付き: the vendor gives no condition, only that it depends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestartRequired {
    /// `Yes`
    Yes,
    /// `No`
    No,
    /// `Maybe`: depends on what is running or installed.
    Maybe,
}

impl RestartRequired {
    pub fn label_ja(self) -> &'static str {
        match self {
            RestartRequired::Yes => "必要",
            RestartRequired::No => "不要",
            RestartRequired::Maybe => "場合により必要",
        }
    }

    /// The vendor's word, e.g. `Maybe`.
    pub fn label_en(self) -> &'static str {
        match self {
            RestartRequired::Yes => "Yes",
            RestartRequired::No => "No",
            RestartRequired::Maybe => "Maybe",
        }
    }

    /// Reads the vendor's word or the JSON key, in any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "yes" => Some(RestartRequired::Yes),
            "no" => Some(RestartRequired::No),
            "maybe" => Some(RestartRequired::Maybe),
            _ => None,
        }
    }

    /// The page vocabulary's nearest value, for the alert's `reboot` summary.
    pub fn reboot(self) -> RebootRequired {
        match self {
            RestartRequired::Yes => RebootRequired::Yes,
            RestartRequired::No => RebootRequired::No,
            RestartRequired::Maybe => RebootRequired::Conditional,
        }
    }
}

/// Microsoft's exploitability assessment of a vulnerability, for the
/// latest and for older releases of the software (the Exploitability Index).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Exploitability {
    /// `Exploitation Detected`: attacks are seen.
    Detected,
    /// `Exploitation More Likely`
    MoreLikely,
    /// `Exploitation Less Likely`
    LessLikely,
    /// `Exploitation Unlikely`
    Unlikely,
    /// `N/A`: not assessed for this release (e.g. it is not affected).
    NotApplicable,
}

impl Exploitability {
    pub const ALL: [Exploitability; 5] = [
        Exploitability::Detected,
        Exploitability::MoreLikely,
        Exploitability::LessLikely,
        Exploitability::Unlikely,
        Exploitability::NotApplicable,
    ];

    /// The vendor's wording.
    pub fn label_en(self) -> &'static str {
        match self {
            Exploitability::Detected => "Exploitation Detected",
            Exploitability::MoreLikely => "Exploitation More Likely",
            Exploitability::LessLikely => "Exploitation Less Likely",
            Exploitability::Unlikely => "Exploitation Unlikely",
            Exploitability::NotApplicable => "N/A",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Exploitability::Detected => "悪用を確認",
            Exploitability::MoreLikely => "悪用される可能性が高い",
            Exploitability::LessLikely => "悪用される可能性は低い",
            Exploitability::Unlikely => "悪用される可能性はきわめて低い",
            Exploitability::NotApplicable => "該当なし",
        }
    }

    /// Reads the vendor's wording (case and spacing do not matter) or the
    /// JSON key.
    pub fn parse(s: &str) -> Option<Self> {
        let squashed: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect::<String>()
            .to_ascii_lowercase();
        match squashed.as_str() {
            "exploitationdetected" | "detected" => Some(Exploitability::Detected),
            "exploitationmorelikely" | "morelikely" => Some(Exploitability::MoreLikely),
            "exploitationlesslikely" | "lesslikely" => Some(Exploitability::LessLikely),
            "exploitationunlikely" | "unlikely" => Some(Exploitability::Unlikely),
            "n/a" | "na" | "notapplicable" => Some(Exploitability::NotApplicable),
            _ => None,
        }
    }
}

/// What kind of remedy a vendor remediation is (CVRF's remediation types
/// plus Microsoft's `Known Issue`).
///
/// Serialized as a snake_case key; a type this model does not know is kept
/// as the vendor wrote it rather than dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RemediationKind {
    /// `Vendor Fix`: an update (KB) to install.
    VendorFix,
    /// `Workaround`: a configuration change instead of the update.
    Workaround,
    /// `Mitigation`: a factor that limits the risk without a change.
    Mitigation,
    /// `Known Issue`: a KB article on problems with the update.
    KnownIssue,
    /// `None Available`
    NoneAvailable,
    /// `Will Not Fix`
    WillNotFix,
    /// Any other type, as written.
    Other(String),
}

impl RemediationKind {
    const KNOWN: [(RemediationKind, &'static str, &'static str); 6] = [
        (RemediationKind::VendorFix, "vendor_fix", "Vendor Fix"),
        (RemediationKind::Workaround, "workaround", "Workaround"),
        (RemediationKind::Mitigation, "mitigation", "Mitigation"),
        (RemediationKind::KnownIssue, "known_issue", "Known Issue"),
        (
            RemediationKind::NoneAvailable,
            "none_available",
            "None Available",
        ),
        (RemediationKind::WillNotFix, "will_not_fix", "Will Not Fix"),
    ];

    /// The JSON key, e.g. `vendor_fix`; an unknown type as written.
    pub fn key(&self) -> &str {
        match self {
            RemediationKind::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(k, _, _)| k == known)
                .map_or("", |(_, key, _)| key),
        }
    }

    /// The vendor's wording, e.g. `Vendor Fix`.
    pub fn label_en(&self) -> &str {
        match self {
            RemediationKind::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(k, _, _)| k == known)
                .map_or("", |(_, _, en)| en),
        }
    }

    pub fn label_ja(&self) -> &str {
        match self {
            RemediationKind::VendorFix => "修正プログラム",
            RemediationKind::Workaround => "回避策",
            RemediationKind::Mitigation => "緩和策",
            RemediationKind::KnownIssue => "既知の問題",
            RemediationKind::NoneAvailable => "修正プログラムなし",
            RemediationKind::WillNotFix => "修正予定なし",
            RemediationKind::Other(s) => s,
        }
    }

    /// Reads the vendor's wording (`Vendor Fix`, the API's `VendorFix`) or
    /// the JSON key; anything else becomes [`RemediationKind::Other`].
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        if let Some((k, _, _)) = Self::KNOWN
            .iter()
            .find(|(_, key, en)| s == *en || s == *key)
        {
            return k.clone();
        }
        let squash = |x: &str| -> String {
            x.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let wanted = squash(s);
        Self::KNOWN
            .iter()
            .find(|(_, key, en)| squash(key) == wanted || squash(en) == wanted)
            .map_or_else(
                || RemediationKind::Other(s.to_string()),
                |(k, _, _)| k.clone(),
            )
    }
}

impl fmt::Display for RemediationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_ja())
    }
}

impl Serialize for RemediationKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for RemediationKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(RemediationKind::parse(&s))
    }
}

impl JsonSchema for RemediationKind {
    fn schema_name() -> Cow<'static, str> {
        "RemediationKind".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The kind of remedy: vendor_fix, workaround, mitigation, known_issue, none_available, will_not_fix, or another vendor type as written.",
            "type": "string",
            "examples": ["vendor_fix", "workaround", "mitigation", "known_issue"]
        })
    }
}

/// Which rule gave an alert its `action` (対策), so that the reason can be
/// shown next to the value and an analyst's choice is never mistaken for a
/// default (or overwritten by one).
///
/// The default for vendor data, [`ActionRule::decide`], applies the first
/// rule that matches:
///
/// 1. `exploited`: the vendor says the vulnerability is exploited
///    (`Exploited:Yes`, or `Exploitation Detected` for any release)
///    → 至急適用 (apply_now);
/// 2. `critical_exploit_likely`: the most severe rating is Critical and the
///    details are public (`Publicly Disclosed:Yes`) or exploitation is
///    `More Likely` for any release → 至急適用 (apply_now);
/// 3. `publicly_disclosed`: the details are public, whatever the rating
///    → 早期適用 (apply_soon);
/// 4. `critical_or_important`: rated Critical or Important → 早期適用 (apply_soon);
/// 5. `moderate_or_low`: rated Moderate or Low → SP待ち (wait_for_sp): safe to
///    leave for the next regular update round;
/// 6. `no_severity`: no rating at all (advisories rated `None`) → no action.
///
/// The rating sets the level (Critical and Important 早期適用, lower ones
/// SP待ち) and the vendor's evidence of attack raises it: seen attacks
/// always, public details or likely exploitation when the flaw is Critical
/// (the pages too kept 至急適用 for Critical flaws). Nothing lowers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionRule {
    /// An analyst chose the action; imports never replace it.
    Analyst,
    /// Rule 1: exploited.
    Exploited,
    /// Rule 2: Critical, and public or likely to be exploited.
    CriticalExploitLikely,
    /// Rule 3: publicly disclosed.
    PubliclyDisclosed,
    /// Rule 4: Critical or Important.
    CriticalOrImportant,
    /// Rule 5: Moderate or Low.
    ModerateOrLow,
    /// Rule 6: no rating, so no default.
    NoSeverity,
}

impl ActionRule {
    pub const ALL: [ActionRule; 7] = [
        ActionRule::Analyst,
        ActionRule::Exploited,
        ActionRule::CriticalExploitLikely,
        ActionRule::PubliclyDisclosed,
        ActionRule::CriticalOrImportant,
        ActionRule::ModerateOrLow,
        ActionRule::NoSeverity,
    ];

    /// The default rule for a vulnerability rated `severity` (the most
    /// severe over its products) with the vendor's exploit statement.
    pub fn decide(severity: Option<Severity>, status: Option<&ExploitStatus>) -> ActionRule {
        let exploited = status.is_some_and(ExploitStatus::is_exploited);
        let disclosed = status.is_some_and(|s| s.publicly_disclosed == Some(true));
        let likely = status.is_some_and(|s| s.any_release(Exploitability::MoreLikely));
        match severity {
            _ if exploited => ActionRule::Exploited,
            Some(Severity::Critical) if disclosed || likely => ActionRule::CriticalExploitLikely,
            _ if disclosed => ActionRule::PubliclyDisclosed,
            Some(Severity::Critical | Severity::Important) => ActionRule::CriticalOrImportant,
            Some(Severity::Moderate | Severity::Low) => ActionRule::ModerateOrLow,
            None => ActionRule::NoSeverity,
        }
    }

    /// The action the rule gives; `None` for [`ActionRule::Analyst`] (the
    /// analyst's value is the alert's) and [`ActionRule::NoSeverity`].
    pub fn action(self) -> Option<Action> {
        match self {
            ActionRule::Exploited | ActionRule::CriticalExploitLikely => Some(Action::ApplyNow),
            ActionRule::PubliclyDisclosed | ActionRule::CriticalOrImportant => {
                Some(Action::ApplySoon)
            }
            ActionRule::ModerateOrLow => Some(Action::WaitForSp),
            ActionRule::Analyst | ActionRule::NoSeverity => None,
        }
    }

    /// The JSON key, e.g. `critical_exploit_likely`.
    pub fn key(self) -> &'static str {
        match self {
            ActionRule::Analyst => "analyst",
            ActionRule::Exploited => "exploited",
            ActionRule::CriticalExploitLikely => "critical_exploit_likely",
            ActionRule::PubliclyDisclosed => "publicly_disclosed",
            ActionRule::CriticalOrImportant => "critical_or_important",
            ActionRule::ModerateOrLow => "moderate_or_low",
            ActionRule::NoSeverity => "no_severity",
        }
    }

    /// The reason, to print next to the action (対策).
    pub fn label_ja(self) -> &'static str {
        match self {
            ActionRule::Analyst => "アナリストが設定",
            ActionRule::Exploited => "悪用が確認されている",
            ActionRule::CriticalExploitLikely => {
                "深刻度が緊急で、一般に公開済みまたは悪用される可能性が高い"
            }
            ActionRule::PubliclyDisclosed => "一般に公開済み",
            ActionRule::CriticalOrImportant => "深刻度が緊急または重要",
            ActionRule::ModerateOrLow => "深刻度が警告または注意",
            ActionRule::NoSeverity => "深刻度の評価なし",
        }
    }
}

impl fmt::Display for ActionRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_ja())
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

    #[test]
    fn vendor_words_read_into_the_vocabularies() {
        assert_eq!(
            RestartRequired::parse("Maybe"),
            Some(RestartRequired::Maybe)
        );
        assert_eq!(RestartRequired::parse(" yes "), Some(RestartRequired::Yes));
        assert_eq!(RestartRequired::parse("often"), None);
        assert_eq!(RestartRequired::Maybe.reboot(), RebootRequired::Conditional);
        assert_eq!(
            serde_json::to_string(&RestartRequired::Maybe).unwrap(),
            "\"maybe\""
        );
        assert_eq!(
            Exploitability::parse("Exploitation More Likely"),
            Some(Exploitability::MoreLikely)
        );
        assert_eq!(
            Exploitability::parse("exploitation  detected"),
            Some(Exploitability::Detected)
        );
        assert_eq!(
            Exploitability::parse("N/A"),
            Some(Exploitability::NotApplicable)
        );
        assert_eq!(Exploitability::parse("0"), None);
        for e in Exploitability::ALL {
            assert_eq!(Exploitability::parse(e.label_en()), Some(e));
        }
        assert_eq!(
            Impact::from_vendor("Remote Code Execution"),
            Some(Impact::CodeExecution)
        );
        assert_eq!(
            Impact::from_vendor("Elevation of Privilege"),
            Some(Impact::PrivilegeElevation)
        );
        assert_eq!(Impact::from_vendor("Security Feature Bypass"), None);
    }

    #[test]
    fn remediation_kinds_keep_unknown_types() {
        assert_eq!(
            RemediationKind::parse("Vendor Fix"),
            RemediationKind::VendorFix
        );
        assert_eq!(
            RemediationKind::parse("VendorFix"),
            RemediationKind::VendorFix
        );
        assert_eq!(
            RemediationKind::parse("known_issue"),
            RemediationKind::KnownIssue
        );
        assert_eq!(
            RemediationKind::parse("Recall"),
            RemediationKind::Other("Recall".into())
        );
        let json = serde_json::to_string(&[
            RemediationKind::VendorFix,
            RemediationKind::Other("Recall".into()),
        ])
        .unwrap();
        assert_eq!(json, r#"["vendor_fix","Recall"]"#);
        let back: Vec<RemediationKind> = serde_json::from_str(&json).unwrap();
        assert_eq!(back[1], RemediationKind::Other("Recall".into()));
        assert_eq!(RemediationKind::Mitigation.label_en(), "Mitigation");
    }

    fn status(text: &str) -> ExploitStatus {
        ExploitStatus::parse(text).0
    }

    #[test]
    fn the_action_rule_takes_the_first_match() {
        let quiet = status(
            "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Less Likely",
        );
        let likely = status("Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Unlikely;Older Software Release:Exploitation More Likely");
        let disclosed = status("Publicly Disclosed:Yes;Exploited:No");
        let detected = status(
            "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Detected",
        );
        let exploited = status("Publicly Disclosed:No;Exploited:Yes");
        let c = Some(Severity::Critical);
        let i = Some(Severity::Important);
        let m = Some(Severity::Moderate);
        let cases = [
            (Some(Severity::Low), Some(&exploited), ActionRule::Exploited),
            (None, Some(&detected), ActionRule::Exploited),
            (c, Some(&likely), ActionRule::CriticalExploitLikely),
            (c, Some(&disclosed), ActionRule::CriticalExploitLikely),
            (i, Some(&disclosed), ActionRule::PubliclyDisclosed),
            (None, Some(&disclosed), ActionRule::PubliclyDisclosed),
            (i, Some(&likely), ActionRule::CriticalOrImportant),
            (c, Some(&quiet), ActionRule::CriticalOrImportant),
            (c, None, ActionRule::CriticalOrImportant),
            (m, Some(&likely), ActionRule::ModerateOrLow),
            (None, Some(&quiet), ActionRule::NoSeverity),
        ];
        for (severity, status, want) in cases {
            assert_eq!(
                ActionRule::decide(severity, status),
                want,
                "{severity:?} {status:?}"
            );
        }
        assert_eq!(ActionRule::Exploited.action(), Some(Action::ApplyNow));
        assert_eq!(
            ActionRule::PubliclyDisclosed.action(),
            Some(Action::ApplySoon)
        );
        assert_eq!(ActionRule::ModerateOrLow.action(), Some(Action::WaitForSp));
        assert_eq!(ActionRule::NoSeverity.action(), None);
        assert_eq!(ActionRule::Analyst.action(), None);
        for r in ActionRule::ALL {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::from(r.key())
            );
            assert!(!r.label_ja().is_empty());
        }
    }
}
