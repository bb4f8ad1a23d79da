//! The alert and its sections, in the order the pages print them.
//!
//! Prose fields (`risk`, `summary`, note texts, ...) keep the page's words: lines
//! within a paragraph are joined by `\n`, paragraphs by a blank line (`\n\n`),
//! leading indentation removed. Facts the pages print as numbers become numbers
//! (sizes in bytes, rollout times in minutes, dates as ISO `YYYY-MM-DD`); file
//! and package versions stay strings exactly as written.
//!
//! Alerts made from vendor data (Microsoft's monthly CVRF documents) carry
//! more than the pages did: the release they came from, the vendor's exploit
//! statement, and per product the severity, impact, CVSS scores and
//! remediations. Those fields are left out of the JSON when empty, so that an
//! alert made from a HotFix page serializes exactly as it always has.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::enums::*;

/// One HotFix Alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Alert {
    /// 脆弱性識別番号, the bulletin id, e.g. `MS04-035`. The identifier line wins
    /// when the prose names another id.
    pub id: String,
    /// KB numbers from the identifier line, digits only, in page order.
    /// For vendor data: the KBs of the vendor fixes, in document order.
    pub kbs: Vec<String>,
    /// The vendor release the alert belongs to: the id of Microsoft's
    /// monthly document, e.g. `2017-Mar` (see [`crate::Release`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// HotFix Alert:YYYY/MM/DD日版, the edition date of the alert.
    pub edition: Option<NaiveDate>,
    /// 【登録日】
    pub registered: Option<NaiveDate>,
    /// 【更新日】; moves when a new revision is recorded.
    pub updated: Option<NaiveDate>,
    /// 深刻度
    pub severity: Option<Severity>,
    /// 攻撃コードの有無: true when exploit code is public.
    pub exploit_code: Option<bool>,
    /// The vendor's exploit statement: publicly disclosed, exploited, and
    /// how likely exploitation is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exploit_status: Option<ExploitStatus>,
    /// 対策
    pub action: Option<Action>,
    /// Why `action` has its value: the documented default rule that set it
    /// (see [`ActionRule`]) or `analyst`. Null when the value is as a
    /// HotFix page printed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_rule: Option<ActionRule>,
    /// 再起動の必要性, per product when the page splits it.
    pub reboot: Vec<Reboot>,
    /// アンインストール: 可/可能 → true, 不可 → false, empty → null.
    pub uninstall: Option<bool>,
    /// 対象環境; null when the page marks neither.
    pub target: Option<Target>,
    /// セキュリティ情報 / サポート技術情報 / よく寄せられる質問.
    pub references: Vec<Reference>,
    /// 含まれる過去の修正: earlier fixes this one contains.
    pub supersedes: Vec<Supersedes>,
    /// The lab's title for the alert.
    pub title: String,
    /// The vendor's own title, printed in parentheses under ours.
    pub vendor_title: Option<String>,
    /// 緊急対応度 / 対応の緊急性.
    pub urgency: Option<Urgency>,
    /// 危険性: why it matters, in the analysts' words.
    pub risk: Option<String>,
    /// 可能性のある攻撃 / 攻撃手法. Null when the page shows the choices but the
    /// marks that chose among them did not survive.
    pub attack_vectors: Option<Vec<AttackVector>>,
    /// 可能性のある攻撃 / 脆弱性の影響; null as for `attack_vectors`.
    pub impacts: Option<Vec<Impact>>,
    /// 概要
    pub summary: Option<String>,
    /// 脆弱性の内容
    pub vulnerabilities: Vec<Vulnerability>,
    /// 対象プラットフォーム
    pub affected: Vec<Affected>,
    /// The vendor's facts per affected product: severity, impact, CVSS and
    /// the remediations (KB, URL, fixed build, restart, supersedence), in
    /// the vendor's order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductFacts>,
    /// DA Lab 適用テストの結果
    pub lab_tests: Vec<LabTest>,
    /// The lab's findings (■ headings under the lab comments).
    pub lab_notes: Vec<Note>,
    /// 詳細情報
    pub details: Option<String>,
    /// 修正プログラムのダウンロード先
    pub downloads: Vec<Download>,
    /// 適用されるファイル情報
    pub packages: Vec<Package>,
    /// 確認方法
    pub verification: Vec<Verification>,
    /// 参考情報: what to do when the fix cannot be applied yet.
    pub workarounds: Vec<Workaround>,
    /// 予想適用時間
    pub rollout: Vec<Rollout>,
    /// How the rollout times were measured (tool, consoles), as the page says.
    pub rollout_basis: Option<String>,
    /// UpdateEXPERT上の表示
    pub tool_display: Vec<ToolDisplay>,
    /// 追加情報: re-releases and later findings.
    pub additions: Vec<Addition>,
    /// Sections this model has no place for, kept with their titles so that no
    /// text is ever dropped.
    pub notes: Vec<Note>,
    /// The vendor's tags for the component, e.g. `Windows SMB Server`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Who the vendor credits with the finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acknowledgments: Vec<Acknowledgment>,
    /// The vendor's own revision history of the vulnerability (`1.0`
    /// "Information published.", `2.0` …), oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vendor_revisions: Vec<VendorRevision>,
}

/// What the vendor says about exploitation, e.g. Microsoft's
/// `Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation
/// More Likely;Older Software Release:Exploitation More Likely`.
///
/// The statement is kept whole in `text` beside the parsed parts, so a key
/// this model does not know is never lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ExploitStatus {
    /// `Publicly Disclosed`: the details were public before the fix.
    pub publicly_disclosed: Option<bool>,
    /// `Exploited`: attacks were seen.
    pub exploited: Option<bool>,
    /// `Latest Software Release`: exploitability on the newest release.
    pub latest_release: Option<Exploitability>,
    /// `Older Software Release`: exploitability on older releases.
    pub older_release: Option<Exploitability>,
    /// `DOS`: for a denial of service, whether it is `Permanent` or
    /// `Temporary` (`N/A` otherwise), as written.
    pub dos: Option<String>,
    /// The statement as the vendor wrote it.
    pub text: String,
}

impl ExploitStatus {
    /// Reads Microsoft's `Key:Value;Key:Value` statement. Returns the parts
    /// it understood and, separately, the pairs it did not (unknown keys,
    /// values it cannot read), for the importer to report; `text` keeps the
    /// whole statement either way.
    pub fn parse(text: &str) -> (ExploitStatus, Vec<String>) {
        let mut out = ExploitStatus {
            text: text.trim().to_string(),
            ..ExploitStatus::default()
        };
        let mut unknown = Vec::new();
        let yes_no = |v: &str| match v.to_ascii_lowercase().as_str() {
            "yes" => Some(Some(true)),
            "no" => Some(Some(false)),
            "n/a" | "" => Some(None),
            _ => None,
        };
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once(':') else {
                unknown.push(part.to_string());
                continue;
            };
            let value = value.trim();
            let known = match key.trim().to_ascii_lowercase().as_str() {
                "publicly disclosed" => yes_no(value).map(|v| out.publicly_disclosed = v),
                "exploited" => yes_no(value).map(|v| out.exploited = v),
                "latest software release" => {
                    Exploitability::parse(value).map(|v| out.latest_release = Some(v))
                }
                "older software release" => {
                    Exploitability::parse(value).map(|v| out.older_release = Some(v))
                }
                "dos" => {
                    out.dos = Some(value.to_string());
                    Some(())
                }
                _ => None,
            };
            if known.is_none() {
                unknown.push(part.to_string());
            }
        }
        (out, unknown)
    }

    /// `Exploited:Yes`, or exploitation detected on any release.
    pub fn is_exploited(&self) -> bool {
        self.exploited == Some(true) || self.any_release(Exploitability::Detected)
    }

    /// The latest or the older release is assessed as `level`.
    pub fn any_release(&self, level: Exploitability) -> bool {
        self.latest_release == Some(level) || self.older_release == Some(level)
    }
}

/// The vendor's facts for one affected product of one vulnerability.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ProductFacts {
    /// The vendor's product id, e.g. MSRC's `10816`; `10384-10481` is
    /// component 10384 on platform 10481.
    pub id: String,
    /// The product name exactly as the vendor wrote it (double spaces and
    /// all: matching it to the product catalogue is a separate step).
    pub name: String,
    /// The product family the vendor lists it under, e.g. `Windows`,
    /// `Microsoft Office`.
    pub family: Option<String>,
    /// The vendor's rating for this product.
    pub severity: Option<Severity>,
    /// The rating as written (`Critical`, and also `None`, which has no
    /// level).
    pub vendor_severity: Option<String>,
    /// The impact, where the pages' vocabulary has a word for it.
    pub impact: Option<Impact>,
    /// The impact as written, e.g. `Security Feature Bypass`.
    pub vendor_impact: Option<String>,
    /// The CVSS scores for this product.
    pub cvss: Option<Cvss>,
    /// What fixes or mitigates it on this product, in the vendor's order.
    pub remediations: Vec<Remediation>,
}

/// A CVSS score set. Scores are `f64` so that `8.1` stays `8.1` in every
/// JSON rendering of the alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Cvss {
    pub base: Option<f64>,
    pub temporal: Option<f64>,
    pub environmental: Option<f64>,
    /// The vector, e.g. `CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C`.
    pub vector: Option<String>,
}

/// One vendor remediation for a product: an update to install (with its
/// KB, where to get it, what it replaces, whether it restarts), a
/// workaround, a mitigation, or a known issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Remediation {
    pub kind: RemediationKind,
    /// The KB number, digits only, when the vendor names the remedy by its
    /// KB (Microsoft's vendor fixes and known issues).
    #[serde(default)]
    pub kb: Option<String>,
    /// The description when it is not a KB number: `Click to Run`,
    /// `Release Notes`, or prose.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// The first build that has the fix, as written: a build number, a
    /// package version or a URL, so it is never interpreted here.
    #[serde(default)]
    pub fixed_build: Option<String>,
    #[serde(default)]
    pub restart_required: Option<RestartRequired>,
    /// What the update replaces, as written (Microsoft spells it
    /// `Supercedence`), e.g. `MS16-110, 3187754` or `4019114; 4035038`.
    #[serde(default)]
    pub supersedence: Option<String>,
    /// The ids in `supersedence`: bulletin ids (`MS16-110`) and KB numbers
    /// (`KB3187754`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supersedes: Vec<String>,
    /// The kind of update, e.g. `Security Update`, `Monthly Rollup`,
    /// `Security Only`.
    #[serde(default)]
    pub sub_type: Option<String>,
    /// Files the vendor lists as changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected_files: Vec<String>,
}

/// Someone the vendor credits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Acknowledgment {
    /// Names and affiliations as text.
    pub names: Vec<String>,
    pub organizations: Vec<String>,
    pub urls: Vec<String>,
    pub description: Option<String>,
}

/// One entry of a vendor's revision history (of a vulnerability, or of a
/// release document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct VendorRevision {
    /// As written: `1.0`, `2.0` for vulnerabilities, `7` for documents.
    pub number: String,
    pub date: Option<DateTime<Utc>>,
    pub description: String,
}

/// 再起動の必要性 for one product (or for the whole fix when `product` is null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reboot {
    #[serde(default)]
    pub product: Option<String>,
    pub required: RebootRequired,
    /// The condition or remark in parentheses, as written.
    #[serde(default)]
    pub note: Option<String>,
}

/// 対象環境
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    pub server: bool,
    pub client: bool,
}

impl Target {
    /// 対象環境 for an alert that only lists products (a vendor's data, not
    /// the lab's page): a server where a product's name says Server
    /// (Windows Server 2012, Exchange Server 2016, the Server Core
    /// installations), a client for every other product (Windows 10,
    /// Office, Internet Explorer). None for no products. `products` are
    /// catalogue base products, as [`Alert::products`] lists them.
    pub fn from_products<S: AsRef<str>>(products: &[S]) -> Option<Target> {
        let is_server = |p: &S| p.as_ref().split_whitespace().any(|w| w == "Server");
        let server = products.iter().any(is_server);
        let client = products.iter().any(|p| !is_server(p));
        (server || client).then_some(Target { server, client })
    }
}

/// A reference the header lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reference {
    pub kind: ReferenceKind,
    /// The link text, e.g. `MS04-035` or `fq04-035`.
    pub label: String,
    /// Language or edition of the target, e.g. `ja` for (日本), `en-US` for (US).
    #[serde(default)]
    pub locale: Option<String>,
    /// Where the page gave one.
    #[serde(default)]
    pub url: Option<String>,
    /// Any further words the page put with the link.
    #[serde(default)]
    pub note: Option<String>,
}

/// 含まれる過去の修正: one earlier fix, e.g. `MS05-027` scoped `Windows 2000を除く`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Supersedes {
    pub id: String,
    #[serde(default)]
    pub scope: Option<String>,
}

/// The urgency line and, on later pages, its exploit/attack flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Urgency {
    /// The wording after the colon, e.g. `適用作業の至急開始` or `至急適用`.
    pub text: String,
    /// [攻撃コード公開] → true, [攻撃コード未公開] → false.
    #[serde(default)]
    pub exploit_published: Option<bool>,
    /// [攻撃事例あり] → true, [攻撃事例なし] → false.
    #[serde(default)]
    pub attacks_seen: Option<bool>,
}

/// One vulnerability the fix closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Vulnerability {
    pub title: String,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub cve: Option<String>,
    #[serde(default)]
    pub text: String,
}

/// 影響を受けるソフトウェア and its 対象プラットフォーム.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Affected {
    pub software: String,
    /// Platforms and service packs as written, e.g. `Windows XP SP1/SP1a/SP2`.
    pub platforms: String,
}

/// One row of the lab's install tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LabTest {
    pub platform: String,
    /// Null when the page's mark did not survive (the plain rendering lost the ○ images).
    #[serde(default)]
    pub result: Option<LabResult>,
    /// A footnote for this row, e.g. `*1 ...`, resolved to its text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A titled block of prose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Note {
    pub title: String,
    #[serde(default)]
    pub text: String,
}

/// 修正プログラムのダウンロード先, one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Download {
    pub platform: String,
    /// The name Windows Update / SUS shows, e.g. `Windows XP 用セキュリティ更新プログラム (KB892944)`.
    #[serde(default)]
    pub update_name: Option<String>,
    /// A remark in place of a name, e.g. `未対応` (not offered there).
    #[serde(default)]
    pub note: Option<String>,
    /// The channel whose display name `update_name` is, from the table's
    /// column header, e.g. `Windows Update/SUS` or `WU/MU/SUS/WSUS`.
    #[serde(default)]
    pub channel: Option<String>,
}

/// One update package (the file an administrator downloads) and what it installs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Package {
    /// The platform heading the package stands under; null for a re-released
    /// package whose page gives none and whose file name matches no earlier package.
    #[serde(default)]
    pub platform: Option<String>,
    /// File name, e.g. `WindowsServer2003-KB885881-x86-jpn.EXE`.
    pub file: String,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub version: Option<String>,
    /// Bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Every file the package installs.
    #[serde(default)]
    pub files: Vec<PackageFile>,
    /// Further file lists printed with the package for comparison, e.g. the
    /// original files before the fix.
    #[serde(default)]
    pub reference_files: Vec<FileList>,
}

/// One file a package installs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackageFile {
    /// Branch folder, e.g. `RTMGDR`, `SP1QFE`, `SP2GDR/SP2QFE`; null when the package has one.
    #[serde(default)]
    pub branch: Option<String>,
    /// Install folder as written, e.g. `%SystemRoot%\system32\`.
    pub path: String,
    pub name: String,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub version: Option<String>,
    /// Bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// 機能, e.g. `SMTP Service`.
    #[serde(default)]
    pub description: Option<String>,
}

/// A titled list of files printed beside a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileList {
    pub title: String,
    pub files: Vec<PackageFile>,
}

/// 確認方法: how to check the fix landed on some platforms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Verification {
    /// Platforms as written, e.g. `Windows 2000 SP3/SP4`.
    pub platforms: String,
    /// Full registry key, e.g. `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Updates\Windows 2000\SP5\KB892944\Filelist`.
    pub registry_key: String,
    pub check: VerificationCheck,
}

/// What to look for under the registry key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VerificationCheck {
    /// 以下のファイル一覧を確認する: the file list under the key.
    FileList,
    /// The value `name` holds `data` (…\Installedのデータが1であること).
    Value { name: String, data: String },
    /// The key exists.
    KeyExists,
    /// Wording this model does not know, kept as written.
    Other { text: String },
}

/// 参考情報: a workaround, or the text introducing them (no title).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Workaround {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: String,
}

/// 予想適用時間 for one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Rollout {
    pub package: String,
    #[serde(default)]
    pub platform: Option<String>,
    /// Minutes to roll out to N machines, keyed by N (`"50"`, `"100"`, `"250"`, `"500"`).
    pub minutes: BTreeMap<u32, u32>,
}

/// UpdateEXPERT上の表示 for one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ToolDisplay {
    #[serde(default)]
    pub platform: Option<String>,
    pub text: String,
}

/// 追加情報: something learned after the alert went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Addition {
    pub title: String,
    /// 情報ソース
    #[serde(default)]
    pub source: Option<String>,
    /// 情報の内容
    #[serde(default)]
    pub content: Option<String>,
    /// 条件
    #[serde(default)]
    pub condition: Option<String>,
    /// 報告日
    #[serde(default)]
    pub reported: Option<NaiveDate>,
    #[serde(default)]
    pub text: String,
    /// Packages the addition (re-)releases; they replace earlier packages with
    /// the same file name (see [`Alert::effective_packages`]).
    #[serde(default)]
    pub packages: Vec<Package>,
}

impl Alert {
    /// The packages an administrator should deploy today: the alert's packages,
    /// with any package re-released in an addition replacing the earlier one of
    /// the same file name (case-insensitive), and new ones appended. Additions
    /// apply in page order, so the last re-release wins.
    pub fn effective_packages(&self) -> Vec<Package> {
        let mut out = self.packages.clone();
        for addition in &self.additions {
            for p in &addition.packages {
                match out
                    .iter_mut()
                    .find(|q| q.file.eq_ignore_ascii_case(&p.file))
                {
                    Some(q) => {
                        let platform = q.platform.clone();
                        *q = p.clone();
                        if q.platform.is_none() {
                            q.platform = platform;
                        }
                    }
                    None => out.push(p.clone()),
                }
            }
        }
        out
    }

    /// Every product name the alert concerns: affected software, then the
    /// products named in per-product reboot rows, then the vendor's products,
    /// without repeats.
    ///
    /// The vendor's names are read through the product catalogue and given
    /// as their base products (with the edition, if any): Microsoft's
    /// "Windows 10 Version 1607 for x64-based Systems" is listed as
    /// "Windows 10", and "Internet Explorer 11 on Windows 7 … Service Pack 1"
    /// as "Internet Explorer 11" and "Windows 7". So the archive's product
    /// list, its product filter and the subscriptions name a product the way
    /// the legacy pages do, whatever the source. A name the catalogue does
    /// not know is listed as written.
    pub fn products(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let names = self
            .affected
            .iter()
            .map(|a| a.software.trim().to_string())
            .chain(
                self.reboot
                    .iter()
                    .filter_map(|r| r.product.as_deref())
                    .map(|p| p.trim().to_string()),
            )
            .chain(self.products.iter().flat_map(|p| base_products(&p.name)));
        for name in names {
            if !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// The year the alert belongs to in the back numbers: its edition, else
    /// its registration date.
    pub fn date(&self) -> Option<NaiveDate> {
        self.edition.or(self.registered).or(self.updated)
    }

    /// Records an analyst's choice of action (or its removal): the rule
    /// becomes [`ActionRule::Analyst`], which imports leave alone.
    pub fn set_action_by_analyst(&mut self, action: Option<Action>) {
        self.action = action;
        self.action_rule = Some(ActionRule::Analyst);
    }

    /// Before a re-imported alert replaces `current`: keeps the analyst's
    /// action if there was one, so a vendor's new version of the document
    /// changes facts, not decisions. Returns whether it did.
    pub fn keep_analyst_action(&mut self, current: &Alert) -> bool {
        if current.action_rule != Some(ActionRule::Analyst) {
            return false;
        }
        self.action = current.action;
        self.action_rule = current.action_rule;
        true
    }
}

/// A vendor product name as the base products it names (see
/// [`Alert::products`]): the product with its edition, then the platform a
/// component runs on, and so on.
fn base_products(name: &str) -> Vec<String> {
    let parsed = crate::catalogue::parse(name);
    if !parsed.product.is_known() {
        return vec![name.trim().to_string()];
    }
    let mut out = Vec::new();
    let mut next = Some(&parsed.product);
    while let Some(p) = next {
        let mut base = crate::catalogue::Product::named(p.name.clone());
        base.family = p.family;
        base.edition = p.edition.clone();
        out.push(base.display_name());
        next = p.platform.as_deref();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vendor_alert_targets_servers_clients_or_both_by_its_products() {
        let t = |server, client| Some(Target { server, client });
        assert_eq!(Target::from_products(&["Windows 10"]), t(false, true));
        assert_eq!(
            Target::from_products(&["Windows Server 2012 R2", "Exchange Server 2016"]),
            t(true, false)
        );
        assert_eq!(
            Target::from_products(&["Internet Explorer 11", "Windows Server 2008 R2"]),
            t(true, true)
        );
        // "Server" as a word, not inside one.
        assert_eq!(Target::from_products(&["Serverless Tool"]), t(false, true));
        assert_eq!(Target::from_products::<&str>(&[]), None);
    }

    #[test]
    fn vendor_products_are_listed_as_their_base_products() {
        let facts = |name: &str| ProductFacts {
            id: "1".into(),
            name: name.into(),
            ..ProductFacts::default()
        };
        let alert = Alert {
            affected: vec![Affected {
                software: "Windows Server 2003".into(),
                platforms: "Windows Server 2003 SP1".into(),
            }],
            products: vec![
                facts("Windows 10 Version 1607 for x64-based Systems"),
                facts("Windows 10 for 32-bit Systems"),
                facts("Internet Explorer 11 on Windows 7 for x64-based Systems Service Pack 1"),
                facts("Windows Server 2012 R2 (Server Core installation)"),
                facts("Contoso Widget 2.0"),
            ],
            ..Alert::default()
        };
        assert_eq!(
            alert.products(),
            [
                "Windows Server 2003",
                "Windows 10",
                "Internet Explorer 11",
                "Windows 7",
                "Windows Server 2012 R2",
                "Contoso Widget 2.0",
            ]
        );
    }

    fn pkg(platform: Option<&str>, file: &str, version: &str, files: &[&str]) -> Package {
        Package {
            platform: platform.map(str::to_string),
            file: file.into(),
            date: None,
            version: Some(version.into()),
            size: None,
            files: files
                .iter()
                .map(|n| PackageFile {
                    branch: None,
                    path: "%ProgramFiles%\\X".into(),
                    name: (*n).into(),
                    date: None,
                    version: None,
                    size: None,
                    description: None,
                })
                .collect(),
            reference_files: vec![],
        }
    }

    #[test]
    fn every_key_is_serialized_even_when_empty() {
        let v = serde_json::to_value(Alert::default()).unwrap();
        let obj = v.as_object().unwrap();
        for key in [
            "id",
            "kbs",
            "edition",
            "severity",
            "exploit_code",
            "action",
            "reboot",
            "uninstall",
            "target",
            "supersedes",
            "urgency",
            "attack_vectors",
            "packages",
            "rollout",
            "tool_display",
            "additions",
            "notes",
        ] {
            assert!(obj.contains_key(key), "missing key {key}");
        }
        assert!(obj["severity"].is_null());
        assert_eq!(obj["packages"], serde_json::json!([]));
    }

    #[test]
    fn vendor_keys_appear_only_when_set() {
        let v = serde_json::to_value(Alert::default()).unwrap();
        for key in [
            "release",
            "exploit_status",
            "action_rule",
            "products",
            "tags",
            "acknowledgments",
            "vendor_revisions",
        ] {
            assert!(v.get(key).is_none(), "{key} in a page alert");
        }
        let a = Alert {
            release: Some("2099-Jan".into()),
            action_rule: Some(ActionRule::Exploited),
            products: vec![ProductFacts {
                id: "11".into(),
                name: "Example Server 1.0".into(),
                cvss: Some(Cvss {
                    base: Some(8.1),
                    ..Cvss::default()
                }),
                remediations: vec![Remediation {
                    kind: RemediationKind::VendorFix,
                    kb: Some("9900001".into()),
                    description: None,
                    url: None,
                    fixed_build: Some("10.0.1".into()),
                    restart_required: Some(RestartRequired::Maybe),
                    supersedence: None,
                    supersedes: vec![],
                    sub_type: None,
                    affected_files: vec![],
                }],
                ..ProductFacts::default()
            }],
            ..Alert::default()
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["release"], "2099-Jan");
        assert_eq!(v["action_rule"], "exploited");
        assert_eq!(v["products"][0]["cvss"]["base"], 8.1);
        let r = &v["products"][0]["remediations"][0];
        assert_eq!(r["kind"], "vendor_fix");
        assert_eq!(r["restart_required"], "maybe");
        assert!(r.get("supersedes").is_none() && r.get("affected_files").is_none());
        let back: Alert = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
        assert_eq!(a.products(), vec!["Example Server 1.0"]);
    }

    #[test]
    fn exploit_statements_read_with_unknown_parts_reported() {
        let (s, unknown) = ExploitStatus::parse(
            "Publicly Disclosed:Yes;Exploited:No;Latest Software Release:Exploitation More Likely;Older Software Release:N/A;DOS:Temporary;",
        );
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(s.publicly_disclosed, Some(true));
        assert_eq!(s.exploited, Some(false));
        assert_eq!(s.latest_release, Some(Exploitability::MoreLikely));
        assert_eq!(s.older_release, Some(Exploitability::NotApplicable));
        assert_eq!(s.dos.as_deref(), Some("Temporary"));
        assert!(s.text.ends_with("DOS:Temporary;"));
        assert!(!s.is_exploited());
        assert!(s.any_release(Exploitability::MoreLikely));
        let (s, unknown) = ExploitStatus::parse("Exploited:Maybe;Weather:Fine;junk");
        assert_eq!(s.exploited, None);
        assert_eq!(unknown, ["Exploited:Maybe", "Weather:Fine", "junk"]);
        let (s, _) = ExploitStatus::parse("Older Software Release:Exploitation Detected");
        assert!(s.is_exploited());
    }

    #[test]
    fn an_analysts_action_outlives_a_reimport() {
        let mut stored = Alert {
            action: Some(Action::ApplySoon),
            action_rule: Some(ActionRule::CriticalOrImportant),
            ..Alert::default()
        };
        let mut incoming = stored.clone();
        incoming.action = Some(Action::ApplyNow);
        incoming.action_rule = Some(ActionRule::Exploited);
        assert!(!incoming.clone().keep_analyst_action(&stored));
        stored.set_action_by_analyst(Some(Action::WaitForSp));
        assert_eq!(stored.action_rule, Some(ActionRule::Analyst));
        assert!(incoming.keep_analyst_action(&stored));
        assert_eq!(incoming.action, Some(Action::WaitForSp));
        assert_eq!(incoming.action_rule, Some(ActionRule::Analyst));
    }

    #[test]
    fn rollout_minutes_serialize_with_machine_counts_as_keys() {
        let r = Rollout {
            package: "a.exe".into(),
            platform: None,
            minutes: [(50, 34), (100, 43), (250, 68), (500, 110)].into(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["minutes"],
            serde_json::json!({"50": 34, "100": 43, "250": 68, "500": 110})
        );
        let back: Rollout = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn a_re_release_replaces_the_package_of_the_same_name() {
        let mut a = Alert {
            packages: vec![
                pkg(
                    Some("ISA Server 2000 SP1/SP2"),
                    "ISA2000-KB1.exe",
                    "1",
                    &["a.dll"],
                ),
                pkg(
                    Some("Proxy Server 2.0 SP1"),
                    "PROXY-KB1.exe",
                    "1",
                    &["p.dll"],
                ),
            ],
            ..Alert::default()
        };
        a.additions.push(Addition {
            title: "re-release".into(),
            source: None,
            content: None,
            condition: None,
            reported: None,
            text: String::new(),
            packages: vec![pkg(None, "isa2000-kb1.EXE", "2", &["a.dll", "b.exe"])],
        });
        let eff = a.effective_packages();
        assert_eq!(eff.len(), 2);
        assert_eq!(eff[0].version.as_deref(), Some("2"));
        assert_eq!(eff[0].files.len(), 2);
        assert_eq!(eff[0].platform.as_deref(), Some("ISA Server 2000 SP1/SP2"));
        assert_eq!(eff[1].file, "PROXY-KB1.exe");
        // The alert itself keeps what the page printed.
        assert_eq!(a.packages[0].version.as_deref(), Some("1"));
    }

    #[test]
    fn products_lists_each_name_once() {
        let a = Alert {
            affected: vec![
                Affected {
                    software: "ISA Server 2000".into(),
                    platforms: "x".into(),
                },
                Affected {
                    software: "ISA Server 2000".into(),
                    platforms: "y".into(),
                },
            ],
            reboot: vec![Reboot {
                product: Some("Exchange Server 2003".into()),
                required: RebootRequired::No,
                note: None,
            }],
            ..Alert::default()
        };
        assert_eq!(
            a.products(),
            vec!["ISA Server 2000", "Exchange Server 2003"]
        );
    }
}
