//! The result: per machine and alert a status and the reasons for it.
//!
//! A report of 100,000 machines holds millions of findings, so a finding
//! is a few integers and its reasons are small `Copy` values that point
//! into the compiled archive (which target, which file, which branch).
//! Words, and the machine's own figure (the version it has), come only
//! when a reason is shown ([`Report::reason_view`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::inventory::{BranchKind, Machine, RecordWarning, Reject, Role};
use crate::rules::{Compiled, CompiledAlert};
use crate::version::Version;

pub(crate) const NONE16: u16 = u16::MAX;
pub(crate) const NONE32: u32 = u32::MAX;

/// What the check says about one machine and one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Status {
    /// The alert does not concern the machine.
    NotApplicable,
    /// The fix (or one that contains it) is there.
    Installed,
    /// The machine is affected but the vendor has no fix for its platform:
    /// upgrade (a service pack, or the OS).
    NoFixUpgrade,
    /// Not enough data to tell.
    Unknown,
    /// The fix is not there.
    Missing,
    /// The registry (or the update list) says the fix is installed, but a
    /// file it installs is older: the fix was undone, typically by a
    /// component reinstalled after it.
    RegistryOnlyFilesOlder,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::RegistryOnlyFilesOlder,
        Status::Missing,
        Status::Unknown,
        Status::NoFixUpgrade,
        Status::Installed,
        Status::NotApplicable,
    ];

    pub fn label_ja(self) -> &'static str {
        match self {
            Status::NotApplicable => "対象外",
            Status::Installed => "適用済み",
            Status::NoFixUpgrade => "修正なし(要アップグレード)",
            Status::Unknown => "不明",
            Status::Missing => "未適用",
            Status::RegistryOnlyFilesOlder => "レジストリのみ(ファイルが古い)",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::NotApplicable => "not_applicable",
            Status::Installed => "installed",
            Status::NoFixUpgrade => "no_fix_upgrade",
            Status::Unknown => "unknown",
            Status::Missing => "missing",
            Status::RegistryOnlyFilesOlder => "registry_only_files_older",
        }
    }

    /// Needs the fix deployed.
    pub fn needs_fix(self) -> bool {
        matches!(self, Status::Missing | Status::RegistryOnlyFilesOlder)
    }

    /// Asks for work: the fix deployed, or an upgrade.
    pub fn asks_for_work(self) -> bool {
        self.needs_fix() || self == Status::NoFixUpgrade
    }

    /// The status of a finding: the worst of its reasons that apply
    /// (ordered as the enum), "not applicable" only when every reason is.
    #[inline]
    pub fn of_reasons(reasons: &[Reason]) -> Status {
        let mut s = Status::NotApplicable;
        for r in reasons {
            s = s.max(r.rule.status());
        }
        s
    }
}

/// The rule behind a reason. Each rule has one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Rule {
    /// No affected platform (or required product) is on the machine.
    PlatformNotListed,
    /// The machine has the product at a newer service pack than listed.
    ServicePackNewer,
    /// The component the fix concerns is not installed.
    ComponentAbsent,
    /// The record leaves out the edition or service pack the alert names.
    NeedsDetail,
    /// Components were not collected and the package's files are absent.
    ComponentUnknown,
    /// A lab note, or the vendor, says the platform gets no fix.
    VendorNoFix,
    /// Older than every service pack the alert lists for the product.
    ServicePackUnsupported,
    /// The alert's package is x86 only; the machine is not.
    ArchNoPackage,
    FileCurrent,
    FileOlder,
    /// Registry or update list say installed, a file is older.
    FileOlderRegistry,
    /// The fix did not change the version number; the size decides and
    /// was not given (or matches neither).
    SizeNeeded,
    /// GDR or QFE cannot be told from the version.
    BranchAmbiguous,
    /// The package's files differ by service pack, which was not given.
    ServicePackUnknown,
    RegistryKey,
    KbInstalled,
    /// A fix that contains this one is installed.
    Superseded,
    /// Updates or registry keys were collected and show no trace of the fix.
    NotFound,
    /// Nothing was collected that could tell.
    NoData,
    BuildCurrent,
    BuildOlder,
    /// The KB is listed but the build is older.
    BuildOlderKb,
}

impl Rule {
    #[inline]
    pub fn status(self) -> Status {
        use Rule::*;
        match self {
            PlatformNotListed | ServicePackNewer | ComponentAbsent => Status::NotApplicable,
            VendorNoFix | ServicePackUnsupported => Status::NoFixUpgrade,
            NeedsDetail | ComponentUnknown | ArchNoPackage | SizeNeeded | BranchAmbiguous
            | ServicePackUnknown | NoData => Status::Unknown,
            FileCurrent | RegistryKey | KbInstalled | Superseded | BuildCurrent => {
                Status::Installed
            }
            FileOlder | NotFound | BuildOlder => Status::Missing,
            FileOlderRegistry | BuildOlderKb => Status::RegistryOnlyFilesOlder,
        }
    }

    pub fn key(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// What `Reason::via` points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ViaKind {
    #[default]
    None,
    /// An index into the target's registry keys.
    Key,
    /// A node of the supersedence graph: a KB the machine has.
    Kb,
    /// A node of the supersedence graph: the installed fix that contains
    /// this one.
    Fix,
}

/// One reason of one finding, in 16 bytes: the alert, the rule, and
/// indexes into the compiled alert (which target, which file, which
/// branch entry). The machine's own figure (the version it has) is read
/// from the machine when the reason is shown ([`Reason::found_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reason {
    /// The alert (index into the compiled archive).
    pub alert: u32,
    /// See [`Reason::via_kind`]; for the service-pack rules the machine's
    /// product index (`u32::MAX`: the OS); for `VendorNoFix` the no-fix
    /// rule; for `SizeNeeded` the machine's file size.
    pub via: u32,
    /// The alert's target (affected product) it is about.
    pub target: u16,
    /// The file rule of the target's package.
    pub file: u16,
    pub rule: Rule,
    /// The entry (branch) of that file compared against.
    pub entry: u8,
    flags: u8,
}

// A report holds some 30 million of them.
const _: () = assert!(std::mem::size_of::<Reason>() == 16);

impl Reason {
    pub fn new(alert: u32, rule: Rule) -> Reason {
        Reason {
            alert,
            via: NONE32,
            target: NONE16,
            file: NONE16,
            rule,
            entry: u8::MAX,
            flags: 0,
        }
    }

    /// The machine's own figure the rule compared: the version of the
    /// reason's file on `m`, or for a build rule its build. Not kept in
    /// the reason: it is the machine's, and 30 million reasons are 16
    /// bytes each without it instead of 24.
    pub fn found_on(&self, c: &Compiled, m: &Machine) -> Option<Version> {
        let a = c.alerts.get(self.alert as usize)?;
        let t = a.targets.get(self.target as usize)?;
        match self.rule {
            Rule::BuildCurrent | Rule::BuildOlder | Rule::BuildOlderKb => {
                crate::engine::build_on(t, m)
            }
            _ if self.file != NONE16 => {
                let f = a
                    .packages
                    .get(t.package? as usize)?
                    .files
                    .get(self.file as usize)?;
                // The file the check compared: looked up as the check does
                // (by name, the last of a name if a machine built by hand
                // lists one twice; the reader keeps one of each, sorted).
                m.files
                    .iter()
                    .flatten()
                    .rev()
                    .find(|x| *x.name == *f.lower)
                    .map(|x| x.version)
            }
            _ => None,
        }
    }

    /// The branch kind chosen, when the entry lists both.
    pub fn branch(&self) -> Option<BranchKind> {
        match self.flags & 3 {
            1 => Some(BranchKind::Gdr),
            2 => Some(BranchKind::Qfe),
            _ => None,
        }
    }

    pub fn set_branch(&mut self, b: Option<BranchKind>) {
        let bits = match b {
            None => 0,
            Some(BranchKind::Gdr) => 1,
            Some(BranchKind::Qfe) => 2,
        };
        self.flags = (self.flags & !3) | bits;
    }

    pub fn via_kind(&self) -> ViaKind {
        match (self.flags >> 2) & 3 {
            1 => ViaKind::Key,
            2 => ViaKind::Kb,
            3 => ViaKind::Fix,
            _ => ViaKind::None,
        }
    }

    pub fn set_via(&mut self, kind: ViaKind, via: u32) {
        let bits = match kind {
            ViaKind::None => 0,
            ViaKind::Key => 1,
            ViaKind::Kb => 2,
            ViaKind::Fix => 3,
        };
        self.flags = (self.flags & 3) | (bits << 2);
        self.via = via;
    }
}

/// One machine × alert: its status and reasons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding<'a> {
    pub alert: u32,
    pub status: Status,
    pub reasons: &'a [Reason],
}

/// The reasons and to-do indexes of many machines, each in one
/// allocation. A check of 100,000 machines makes about 29 million reasons;
/// written front to back into one buffer per worker, they are written
/// once, instead of into a scratch buffer and then copied into 100,000
/// vectors of their own.
pub(crate) struct Chunk {
    pub(crate) reasons: Vec<Reason>,
    /// Per machine, its to-do findings.
    pub(crate) to_do: Vec<ToDo>,
}

/// A finding that asks for work, as the worklist needs it: the alert, the
/// status and, when the finding has one reason (nearly always), that
/// reason's target. Kept apart from the reasons, so that the worklist
/// reads 10 million of these (8 bytes each, in order) instead of the
/// reasons' cache lines spread over 460 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ToDo {
    pub(crate) alert: u32,
    /// The target of the finding's one reason; `NONE16` when it has
    /// several (then read them, with [`MachineReport::finding`]).
    pub(crate) target: u16,
    pub(crate) status: Status,
}

impl ToDo {
    /// The entry for a finding that asks for work: its alert, status and
    /// reasons.
    pub(crate) fn new(alert: u32, status: Status, reasons: &[Reason]) -> ToDo {
        ToDo {
            alert,
            target: match reasons {
                [one] => one.target,
                _ => NONE16,
            },
            status,
        }
    }

    /// The entry for `f`.
    pub(crate) fn of(f: &Finding<'_>) -> ToDo {
        ToDo::new(f.alert, f.status, f.reasons)
    }
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunk")
            .field("reasons", &self.reasons.len())
            .field("to_do", &self.to_do.len())
            .finish()
    }
}

/// The findings of one machine.
#[derive(Debug, Clone)]
pub struct MachineReport {
    /// The machine's position in the inventory checked (see
    /// [`Report::machine`]).
    index: usize,
    pub name: String,
    pub os: Arc<str>,
    pub role: Option<Role>,
    /// Holds this machine's reasons, and maybe other machines'.
    chunk: Arc<Chunk>,
    /// Every reason, grouped by alert in alert order: a finding is a run
    /// of reasons with the same alert (`chunk.reasons[start..end]`).
    /// Without `include_not_applicable`, alerts that do not concern the
    /// machine have no reasons.
    reasons: (usize, usize),
    /// The machine's findings that ask for work (the fix to deploy, or an
    /// upgrade): `chunk.to_do[start..end]`. A machine has a few hundred findings
    /// and most say "installed"; the worklist reads only these, instead of
    /// every reason of every machine again (460 MB for 100,000 machines).
    to_do: (usize, usize),
}

impl MachineReport {
    /// A machine's report whose reasons and to-do indexes are the given
    /// spans of a shared chunk.
    pub(crate) fn in_chunk(
        (m, index): (&Machine, usize),
        os: Arc<str>,
        chunk: Arc<Chunk>,
        (reasons, to_do): ((usize, usize), (usize, usize)),
    ) -> Self {
        MachineReport {
            index,
            name: m.name.clone(),
            os,
            role: m.role,
            chunk,
            reasons,
            to_do,
        }
    }

    /// The machine's position in the inventory its report checked.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Every reason, grouped by alert in alert order (see [`Self::findings`]).
    pub fn reasons(&self) -> &[Reason] {
        self.chunk
            .reasons
            .get(self.reasons.0..self.reasons.1)
            .unwrap_or(&[])
    }

    /// The findings that ask for work: status missing, registry only
    /// (files older), or no fix (upgrade); in alert order.
    pub fn to_do(&self) -> impl Iterator<Item = Finding<'_>> + '_ {
        self.to_do_entries()
            .iter()
            .filter_map(|e| self.finding(e.alert as usize))
    }

    /// [`Self::to_do`] as the worklist reads it.
    pub(crate) fn to_do_entries(&self) -> &[ToDo] {
        self.chunk
            .to_do
            .get(self.to_do.0..self.to_do.1)
            .unwrap_or(&[])
    }

    /// The findings, in alert order.
    pub fn findings(&self) -> Findings<'_> {
        Findings {
            rest: self.reasons(),
        }
    }

    /// The finding for an alert, if recorded.
    pub fn finding(&self, alert: usize) -> Option<Finding<'_>> {
        let a = alert as u32;
        let all = self.reasons();
        let start = all.partition_point(|r| r.alert < a);
        let len = all[start..].partition_point(|r| r.alert == a);
        (len > 0).then(|| {
            let reasons = &all[start..start + len];
            Finding {
                alert: a,
                status: Status::of_reasons(reasons),
                reasons,
            }
        })
    }
}

/// The findings of a machine, one run of reasons at a time.
pub struct Findings<'a> {
    pub(crate) rest: &'a [Reason],
}

impl<'a> Iterator for Findings<'a> {
    type Item = Finding<'a>;
    fn next(&mut self) -> Option<Finding<'a>> {
        let first = self.rest.first()?;
        let len = self
            .rest
            .iter()
            .take_while(|r| r.alert == first.alert)
            .count();
        let (reasons, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(Finding {
            alert: first.alert,
            status: Status::of_reasons(reasons),
            reasons,
        })
    }
}

/// The check's result.
#[derive(Debug, Clone)]
pub struct Report {
    compiled: Arc<Compiled>,
    /// The machines checked, in the inventory's order: a reason is shown
    /// with the machine's own figures.
    inventory: Arc<Vec<Machine>>,
    pub machines: Vec<MachineReport>,
    /// Whether "not applicable" findings were recorded.
    pub include_not_applicable: bool,
    /// How many alerts were checked (all, or those `Options::only` named).
    pub alerts_checked: usize,
    /// Inventory records that were not checked.
    pub rejects: Vec<Reject>,
    pub warnings: Vec<RecordWarning>,
}

/// Counts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub machines: usize,
    pub alerts: usize,
    pub rejected: usize,
    /// Status key → machine × alert pairs (not applicable: recorded ones).
    pub pairs: BTreeMap<&'static str, usize>,
}

/// A reason in words and figures, for display and JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonView {
    pub rule: Rule,
    pub status: Status,
    /// Japanese, with names and versions.
    pub text: String,
    /// The affected platform as the alert writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The registry key, KB or fix that decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl Report {
    pub(crate) fn new(
        compiled: Arc<Compiled>,
        inventory: Arc<Vec<Machine>>,
        machines: Vec<MachineReport>,
        include_na: bool,
    ) -> Report {
        Report {
            alerts_checked: compiled.alerts.len(),
            compiled,
            inventory,
            machines,
            include_not_applicable: include_na,
            rejects: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn compiled(&self) -> &Compiled {
        &self.compiled
    }

    /// The machine `m` (one of this report's) reports on, as the
    /// inventory gave it.
    pub fn machine(&self, m: &MachineReport) -> Option<&Machine> {
        self.inventory.get(m.index)
    }

    /// What [`Reason::found_on`] says for a reason of `m`.
    fn found(&self, m: &MachineReport, r: &Reason) -> Option<Version> {
        r.found_on(&self.compiled, self.machine(m)?)
    }

    pub fn alerts(&self) -> &[CompiledAlert] {
        &self.compiled.alerts
    }

    /// The status of a machine (by position) for an alert (by index).
    pub fn status(&self, machine: usize, alert: usize) -> Status {
        self.machines
            .get(machine)
            .and_then(|m| m.finding(alert))
            .map_or(Status::NotApplicable, |f| f.status)
    }

    /// The status of a machine (by name) for an alert (by id); for tests and
    /// one-off questions.
    pub fn status_of(&self, machine: &str, alert: &str) -> Option<Status> {
        let mi = self
            .machines
            .iter()
            .position(|m| m.name.eq_ignore_ascii_case(machine))?;
        let ai = self
            .alerts()
            .iter()
            .position(|a| a.id.eq_ignore_ascii_case(alert))?;
        Some(self.status(mi, ai))
    }

    /// The reasons of a machine (by name) for an alert (by id), in words.
    pub fn reasons_of(&self, machine: &str, alert: &str) -> Vec<ReasonView> {
        let Some(m) = self
            .machines
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(machine))
        else {
            return Vec::new();
        };
        let Some(ai) = self
            .alerts()
            .iter()
            .position(|a| a.id.eq_ignore_ascii_case(alert))
        else {
            return Vec::new();
        };
        match m.finding(ai) {
            Some(f) => f.reasons.iter().map(|r| self.reason_view(m, r)).collect(),
            None => vec![self.reason_view(m, &Reason::new(ai as u32, Rule::PlatformNotListed))],
        }
    }

    pub fn summary(&self) -> Summary {
        // Counted by the status's number: a report has millions of
        // findings, too many to look each up by name.
        let mut counts = [0usize; Status::ALL.len()];
        for m in &self.machines {
            for f in m.findings() {
                counts[f.status as usize] += 1;
            }
        }
        let pairs: BTreeMap<&'static str, usize> = Status::ALL
            .iter()
            .map(|s| (s.key(), counts[*s as usize]))
            .collect();
        Summary {
            machines: self.machines.len(),
            alerts: self.alerts_checked,
            rejected: self.rejects.len(),
            pairs,
        }
    }

    /// A reason of machine `m` (one of this report's: its figures are read
    /// from the machine at `m`'s position in the inventory checked) in
    /// words.
    pub fn reason_view(&self, m: &MachineReport, r: &Reason) -> ReasonView {
        self.view(r, self.found(m, r))
    }

    /// A reason in words, with the machine's figure `found`.
    fn view(&self, r: &Reason, found: Option<Version>) -> ReasonView {
        let c = &*self.compiled;
        let a = &c.alerts[r.alert as usize];
        let t = a.targets.get(r.target as usize);
        let pkg = t
            .and_then(|t| t.package)
            .and_then(|p| a.packages.get(p as usize));
        let file = pkg.and_then(|p| p.files.get(r.file as usize));
        let entry = file.and_then(|f| f.entries.get(r.entry as usize));
        // A build rule compares with the lowest fixed build of the same
        // release (what the check chose); a file rule with its entry.
        let required = match r.rule {
            Rule::BuildCurrent | Rule::BuildOlder | Rule::BuildOlderKb => t.and_then(|t| {
                t.fixes
                    .iter()
                    .filter_map(|f| f.fixed_build)
                    .filter(|b| found.is_some_and(|h| crate::engine::comparable(t, &h, b)))
                    .min()
            }),
            _ => entry.and_then(|e| e.version),
        };
        let branch = entry
            .and_then(|e| e.label.clone())
            .map(|label| match r.branch() {
                Some(k) if label.contains('/') => format!("{label}: {}", k.label()),
                _ => label,
            });
        let via = match r.via_kind() {
            ViaKind::None => None,
            ViaKind::Key => t
                .and_then(|t| t.keys.get(r.via as usize))
                .map(|k| k.1.clone()),
            ViaKind::Kb | ViaKind::Fix => Some(c.graph.name(r.via).to_string()),
        };
        let fname = file.map(|f| f.name.clone());
        let pname = pkg.map(|p| p.file.clone());
        let label = t.map(|t| t.label.clone());
        let kbs = t
            .map(|t| {
                t.kbs
                    .iter()
                    .map(|k| c.graph.name(*k).to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "修正プログラム".to_string());
        let s = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
        let ver = |v: Option<Version>| v.map_or("?".to_string(), |v| v.to_string());
        let br = branch
            .as_ref()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        let comp = t
            .and_then(|t| t.component.clone())
            .or_else(|| a.component.clone())
            .map_or("コンポーネント".to_string(), |c| {
                c.display().to_string()
            });
        use Rule::*;
        let text = match r.rule {
            PlatformNotListed => "対象プラットフォームに該当しない".to_string(),
            ServicePackNewer => match &pname {
                Some(p) => format!("{} が対象でSPが新しいため、{p} は不要", s(&label)),
                None => format!("{} が対象でSPが新しいため、対象外", s(&label)),
            },
            ComponentAbsent => format!("{comp} がインストールされていない"),
            NeedsDetail => "エディションまたはSPが不明で、対象かどうか判定できない".to_string(),
            ComponentUnknown => format!("{comp} の有無が収集されておらず、パッケージのファイルもない"),
            VendorNoFix => match a.no_fix.get(r.via as usize) {
                Some(n) => format!("修正プログラムが提供されていない ({})", n.note),
                None => format!("{} 向けの修正プログラムはベンダーから提供されていない", s(&label)),
            },
            ServicePackUnsupported => format!(
                "修正プログラムは {} 向けのみ: このSPには提供されないため、SPの適用かOSの移行が必要",
                s(&label)
            ),
            ArchNoPackage => format!(
                "{} はx86用で、このアーキテクチャ用のパッケージはアラートにない",
                s(&pname)
            ),
            FileCurrent => format!("{} {} ≥ {}{br}", s(&fname), ver(found), ver(required)),
            FileOlder => format!("{} {} < {}{br}", s(&fname), ver(found), ver(required)),
            FileOlderRegistry => format!(
                "{} があるのに {} {} < {}{br}: 適用後にファイルが古いものに戻っている(コンポーネントの再インストールなど)",
                s(&via),
                s(&fname),
                ver(found),
                ver(required)
            ),
            SizeNeeded => format!(
                "{} {} は修正前と同じバージョン番号: サイズで判定する (修正版 {} バイト、このマシン {})",
                s(&fname),
                ver(found),
                entry.and_then(|e| e.size).map_or("?".into(), |v| v.to_string()),
                if r.via == NONE32 { "不明".to_string() } else { format!("{} バイト", r.via) }
            ),
            BranchAmbiguous => format!(
                "{} {} がGDR/QFEのどちらのブランチか判別できない (QFEの修正版 {}): インベントリにbranchを記入",
                s(&fname),
                ver(found),
                ver(required)
            ),
            ServicePackUnknown => format!(
                "SPが不明で、{} の比較対象(SPごとのブランチ)を選べない",
                s(&fname)
            ),
            RegistryKey => format!("確認用レジストリ・キーあり: {}", s(&via)),
            KbInstalled => format!("{} が導入済み", s(&via)),
            Superseded => format!("{} (導入済み) に含まれる", s(&via)),
            NotFound => format!("{kbs} が未導入で、確認用レジストリ・キーもない"),
            NoData => "ファイル・更新プログラム・レジストリの情報がない".to_string(),
            BuildCurrent => format!("ビルド {} ≥ 修正済みビルド {}", ver(found), ver(required)),
            BuildOlder => format!("ビルド {} < 修正済みビルド {}", ver(found), ver(required)),
            BuildOlderKb => format!(
                "{} は導入済みだが、ビルド {} < 修正済みビルド {}",
                s(&via),
                ver(found),
                ver(required)
            ),
        };
        let figures = !matches!(
            r.rule,
            PlatformNotListed | ServicePackNewer | ComponentAbsent | NeedsDetail | VendorNoFix
        );
        ReasonView {
            rule: r.rule,
            status: r.rule.status(),
            text,
            target: label,
            package: pname.filter(|_| figures),
            file: fname,
            found: found.map(|v| v.to_string()),
            required: required.filter(|_| found.is_some()).map(|v| v.to_string()),
            branch,
            via,
        }
    }
}

/// The report as JSON: summary, alerts, machines with findings and
/// reasons, rejected records and warnings. Written as it is read, so a
/// large report is not held twice.
impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Machines<'a>(&'a Report);
        impl Serialize for Machines<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let r = self.0;
                let mut seq = s.serialize_seq(Some(r.machines.len()))?;
                for m in &r.machines {
                    seq.serialize_element(&MachineJson { r, m })?;
                }
                seq.end()
            }
        }
        struct MachineJson<'a> {
            r: &'a Report,
            m: &'a MachineReport,
        }
        impl Serialize for MachineJson<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(4))?;
                map.serialize_entry("name", &self.m.name)?;
                map.serialize_entry("os", &*self.m.os)?;
                map.serialize_entry("role", &self.m.role)?;
                let findings: Vec<serde_json::Value> = self
                    .m
                    .findings()
                    .map(|f| {
                        let a = &self.r.alerts()[f.alert as usize];
                        serde_json::json!({
                            "alert": a.id,
                            "status": f.status,
                            "label": f.status.label_ja(),
                            "reasons": f.reasons.iter()
                                .map(|x| self.r.reason_view(self.m, x))
                                .collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                map.serialize_entry("findings", &findings)?;
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("summary", &self.summary())?;
        map.serialize_entry("include_not_applicable", &self.include_not_applicable)?;
        map.serialize_entry("alerts", &AlertsJson(self.alerts()))?;
        map.serialize_entry("machines", &Machines(self))?;
        map.serialize_entry("rejects", &self.rejects)?;
        map.serialize_entry("warnings", &self.warnings)?;
        map.end()
    }
}

// ── Large reports: JSON, and reasons in words ────────────────────────────

/// Machines rendered per round of [`Report::write_json`]: each thread
/// renders a share into its own buffer, and the buffers are written in
/// order. A machine of a few hundred findings is some 100 KB of JSON, so
/// a round holds about 25 MB (2,048 machines a round held 200 MB and more,
/// and was slower: 5.2 s against 4.8 s for 100,000 machines).
const JSON_BATCH: usize = 256;

/// Something made from a reason (its words, its JSON), made once per
/// distinct reason: a report of 100,000 machines has some 30 million
/// reasons, and the same reason recurs on thousands of machines. Past
/// [`ReasonMemo::LIMIT`] entries it starts over, so a report with millions
/// of distinct file versions cannot grow it without bound.
struct ReasonMemo<V> {
    map: rustc_hash::FxHashMap<(Reason, Option<VersionKey>), V>,
}

/// A version as written (`6.0` and `6.0.0.0` are equal versions but are
/// shown differently).
type VersionKey = ([u32; 4], u8);

impl<V> ReasonMemo<V> {
    const LIMIT: usize = 100_000;

    fn new() -> Self {
        ReasonMemo {
            map: Default::default(),
        }
    }

    /// What `make` makes of `r` with the machine's figure `found`.
    fn get(
        &mut self,
        r: &Reason,
        found: Option<Version>,
        make: impl FnOnce(Option<Version>) -> V,
    ) -> &V {
        if self.map.len() >= Self::LIMIT {
            self.map.clear();
        }
        self.map
            .entry((*r, found.map(|v| v.written())))
            .or_insert_with(|| make(found))
    }
}

/// The reasons of findings in words ([`ReasonView::text`]), each distinct
/// reason worded once; for printing a large report line by line.
pub struct ReasonWords<'a> {
    report: &'a Report,
    memo: ReasonMemo<String>,
}

impl ReasonWords<'_> {
    /// The texts of `reasons` (machine `m`'s) joined with " / ", into
    /// `out` (cleared first).
    pub fn join(&mut self, m: &MachineReport, reasons: &[Reason], out: &mut String) {
        out.clear();
        for (k, r) in reasons.iter().enumerate() {
            if k > 0 {
                out.push_str(" / ");
            }
            let report = self.report;
            let found = report.found(m, r);
            out.push_str(self.memo.get(r, found, |found| report.view(r, found).text));
        }
    }
}

/// A value's compact JSON. The values written here (strings, numbers and
/// plain structs, maps with string keys) always serialize; `null` would
/// stand for one that did not.
fn json<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_else(|_| b"null".to_vec())
}

impl Report {
    /// Puts reasons into words, each distinct one once.
    pub fn words(&self) -> ReasonWords<'_> {
        ReasonWords {
            report: self,
            memo: ReasonMemo::new(),
        }
    }

    /// Writes the report as JSON: the document its [`Serialize`] gives
    /// (the same keys, in the same order, the same values), laid out one
    /// finding a line. A report of 100,000 machines holds some 30 million
    /// findings; serialized one value at a time, each reason put into
    /// words again, that takes minutes. Here machines are rendered on
    /// every core, and each thread renders a distinct reason once and then
    /// copies its bytes.
    pub fn write_json<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.write_json_on(out, threads)
    }

    /// [`Self::write_json`] on `threads` threads (at least one).
    pub fn write_json_on<W: std::io::Write>(
        &self,
        out: &mut W,
        threads: usize,
    ) -> std::io::Result<()> {
        let threads = threads.clamp(1, 64);
        out.write_all(b"{\n  \"summary\": ")?;
        out.write_all(&json(&self.summary()))?;
        out.write_all(b",\n  \"include_not_applicable\": ")?;
        out.write_all(&json(&self.include_not_applicable))?;
        out.write_all(b",\n  \"alerts\": ")?;
        out.write_all(&json(&AlertsJson(self.alerts())))?;
        out.write_all(b",\n  \"machines\": [")?;
        // Per alert, the start of its findings; per status, the middle.
        let heads: Vec<Vec<u8>> = self
            .alerts()
            .iter()
            .map(|a| [&b"{\"alert\": "[..], &json(&a.id), b", \"status\": "].concat())
            .collect();
        let mut mids: Vec<Vec<u8>> = vec![Vec::new(); Status::ALL.len()];
        for st in Status::ALL {
            mids[st as usize] = [
                &json(&st)[..],
                b", \"label\": ",
                &json(&st.label_ja()),
                b", \"reasons\": [",
            ]
            .concat();
        }
        let parts = JsonParts {
            heads: &heads,
            mids: &mids,
        };
        let mut memos: Vec<ReasonMemo<Box<[u8]>>> =
            (0..threads).map(|_| ReasonMemo::new()).collect();
        for (round, batch) in self.machines.chunks(JSON_BATCH).enumerate() {
            let share = batch.len().div_ceil(threads).max(1);
            let work: Vec<_> = batch
                .chunks(share)
                .enumerate()
                .zip(memos.iter_mut())
                .map(|((k, ms), memo)| (round * JSON_BATCH + k * share, ms, memo))
                .collect();
            let bufs = crate::par::each(work, |(at, ms, memo)| {
                self.render_machines(at, ms, memo, &parts)
            });
            for b in bufs {
                out.write_all(&b)?;
            }
        }
        out.write_all(if self.machines.is_empty() {
            b"],\n  \"rejects\": "
        } else {
            b"\n  ],\n  \"rejects\": "
        })?;
        out.write_all(&json(&self.rejects))?;
        out.write_all(b",\n  \"warnings\": ")?;
        out.write_all(&json(&self.warnings))?;
        out.write_all(b"\n}\n")
    }

    /// Machines `ms`, the first at position `at` in the report, as JSON
    /// (see [`Self::write_json`]); each but the report's first after a
    /// comma.
    fn render_machines(
        &self,
        at: usize,
        ms: &[MachineReport],
        memo: &mut ReasonMemo<Box<[u8]>>,
        parts: &JsonParts<'_>,
    ) -> Vec<u8> {
        let mut b = Vec::with_capacity(ms.len() * 1024);
        for (k, m) in ms.iter().enumerate() {
            if at + k > 0 {
                b.push(b',');
            }
            b.extend(b"\n    {\"name\": ");
            b.extend(json(&m.name));
            b.extend(b", \"os\": ");
            b.extend(json(&*m.os));
            b.extend(b", \"role\": ");
            b.extend(json(&m.role));
            b.extend(b", \"findings\": [");
            let mut first = true;
            for f in m.findings() {
                b.extend(if first {
                    &b"\n      "[..]
                } else {
                    b",\n      "
                });
                first = false;
                b.extend(parts.heads.get(f.alert as usize).map_or(&[][..], |h| h));
                b.extend(&parts.mids[f.status as usize]);
                for (k, r) in f.reasons.iter().enumerate() {
                    if k > 0 {
                        b.extend(b", ");
                    }
                    let found = self.found(m, r);
                    b.extend(&memo.get(r, found, |found| json(&self.view(r, found)).into())[..]);
                }
                b.extend(b"]}");
            }
            b.extend(if first { &b"]}"[..] } else { b"\n    ]}" });
        }
        b
    }
}

/// The pieces of a finding's JSON that do not depend on the machine:
/// per alert its start, per status the middle.
struct JsonParts<'a> {
    heads: &'a [Vec<u8>],
    mids: &'a [Vec<u8>],
}

/// The alerts of a report as its JSON lists them.
struct AlertsJson<'a>(&'a [CompiledAlert]);

impl Serialize for AlertsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&serde_json::json!({
                "id": a.id,
                "title": a.title,
                "severity": a.severity.map(|s| s.number()),
                "exploit_code": a.exploit_code,
                "action": a.action,
            }))?;
        }
        seq.end()
    }
}
