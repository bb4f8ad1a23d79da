//! What to do: the missing fixes in the order to deploy them, and a
//! rollout split into waves.
//!
//! Order: severity (緊急 first), then public exploit code, then the lab's
//! action (至急適用, 早期適用, SP待ち), then how many machines need the fix
//! (more first), then the alert id. "Needs the fix" is `missing` and
//! `registry_only_files_older` (the fix must be applied again). Machines
//! whose platform has no fix are listed apart: the action there is an
//! upgrade, not a package.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hfr_model::{Action, RebootRequired, Severity};
use serde::Serialize;

use crate::inventory::Role;
use crate::report::{Report, Status, NONE16};
use crate::rollout::ModelBasis;

/// Machine names, shared: a worklist for 100,000 machines names each many
/// times, so the lists hold indexes into one table of names.
#[derive(Debug, Clone)]
pub struct MachineList {
    table: Arc<Vec<String>>,
    idx: Vec<u32>,
}

impl MachineList {
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.idx.iter().map(|&i| self.table[i as usize].as_str())
    }
    pub fn to_vec(&self) -> Vec<&str> {
        self.names().collect()
    }
    pub fn len(&self) -> usize {
        self.idx.len()
    }
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }
    /// Positions in the report's machine list.
    pub fn indexes(&self) -> &[u32] {
        &self.idx
    }
}

impl PartialEq for MachineList {
    fn eq(&self, other: &Self) -> bool {
        self.names().eq(other.names())
    }
}

impl<const N: usize> PartialEq<[&str; N]> for MachineList {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.names().eq(other.iter().copied())
    }
}

impl PartialEq<&[&str]> for MachineList {
    fn eq(&self, other: &&[&str]) -> bool {
        self.names().eq(other.iter().copied())
    }
}

impl Serialize for MachineList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

/// The worklist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Worklist {
    pub items: Vec<WorkItem>,
    /// Alerts with machines whose platform gets no fix.
    pub upgrades: Vec<UpgradeItem>,
    /// Minutes for every package of every item, one after another with one
    /// console; `None` when some package has no estimate.
    pub total_minutes: Option<f64>,
    /// Packages without an estimate (no measurements anywhere).
    pub unestimated: usize,
}

/// One alert to deploy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkItem {
    pub alert: String,
    pub title: String,
    pub severity: Option<u8>,
    pub exploit_code: Option<bool>,
    pub action: Option<Action>,
    /// Every machine that needs it.
    pub machines: MachineList,
    /// Of those, the ones whose registry says installed but files are older.
    pub reapply: MachineList,
    /// What to deploy, per platform.
    pub packages: Vec<PackageWork>,
    pub minutes: Option<f64>,
}

/// One package of an alert and the machines that need it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageWork {
    /// The package file, or the KB numbers of a vendor fix.
    pub package: String,
    /// The platform it is for, as the alert writes it.
    pub platform: String,
    pub reboot: Option<RebootRequired>,
    pub machines: MachineList,
    pub minutes: Option<f64>,
    /// Which measurements the estimate comes from.
    pub basis: Option<ModelBasis>,
    /// The alert's package index, for the rollout model.
    #[serde(skip)]
    pub(crate) package_index: Option<u16>,
}

/// An alert whose fix some machines cannot get.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpgradeItem {
    pub alert: String,
    pub title: String,
    pub machines: MachineList,
}

fn action_rank(a: Option<Action>) -> u8 {
    match a {
        Some(Action::ApplyNow) => 0,
        Some(Action::ApplySoon) => 1,
        Some(Action::WaitForSp) => 2,
        None => 3,
    }
}

fn severity_rank(s: Option<Severity>) -> u8 {
    s.map_or(9, |s| s.number())
}

/// A deployment unit of an alert: its package, or (for a target without
/// one) the target itself.
const NO_PACKAGE: u32 = 0x8000_0000;

fn unit_of(report: &Report, alert: usize, target: u16) -> u32 {
    match report.alerts()[alert]
        .targets
        .get(target as usize)
        .and_then(|t| t.package)
    {
        Some(p) => p as u32,
        None => NO_PACKAGE | target as u32,
    }
}

/// The package name, platform and reboot of a unit.
fn describe(
    report: &Report,
    alert: usize,
    unit: u32,
) -> (String, String, Option<RebootRequired>, Option<u16>) {
    let a = &report.alerts()[alert];
    let c = report.compiled();
    if unit & NO_PACKAGE == 0 {
        let p = &a.packages[unit as usize];
        let t = a.targets.iter().find(|t| t.package == Some(unit as u16));
        return (
            p.file.clone(),
            p.platform
                .clone()
                .or_else(|| t.map(|t| t.label.clone()))
                .unwrap_or_default(),
            t.and_then(|t| t.reboot),
            Some(unit as u16),
        );
    }
    let Some(t) = a.targets.get((unit & !NO_PACKAGE) as usize) else {
        return ("?".into(), "?".into(), None, None);
    };
    let package = if t.kbs.is_empty() {
        "(パッケージ情報なし)".to_string()
    } else {
        t.kbs
            .iter()
            .map(|k| c.graph.name(*k).to_string())
            .collect::<Vec<_>>()
            .join("/")
    };
    (package, t.label.clone(), t.reboot, None)
}

/// An alert's deployment units, numbered densely ("slots"), so that a
/// pass over the findings files a machine by array index.
struct Units {
    /// Target → slot.
    slot: Vec<u16>,
    /// Slot → unit (see [`unit_of`]).
    unit: Vec<u32>,
}

impl Units {
    fn of(report: &Report, alert: usize) -> Units {
        let mut u = Units {
            slot: Vec::new(),
            unit: Vec::new(),
        };
        for t in 0..report.alerts()[alert].targets.len() {
            let unit = unit_of(report, alert, t as u16);
            let slot = match u.unit.iter().position(|&x| x == unit) {
                Some(s) => s,
                None => {
                    u.unit.push(unit);
                    u.unit.len() - 1
                }
            };
            u.slot.push(slot as u16);
        }
        u
    }
}

/// What one pass over some machines' findings gathers for one alert: the
/// machines per slot, those to re-apply on and those to upgrade. Machines
/// are visited in order, so each list is sorted. (Every machine that needs
/// the fix is the union of the slots' lists, and the order the units are
/// first used in follows from the lists' first machines: both are worked
/// out once at the end rather than kept up for every finding, which the
/// pass over millions of findings would pay for in cache misses.)
#[derive(Default, Clone)]
struct Tally {
    lists: Vec<Vec<u32>>,
    reapply: Vec<u32>,
    upgrades: Vec<u32>,
}

/// The slots machine `mi`'s finding for `alert` needs, in the order its
/// reasons name them.
fn first_slots(report: &Report, mi: u32, alert: usize, u: &Units) -> Vec<u16> {
    let mut out = Vec::new();
    let reasons = report
        .machines
        .get(mi as usize)
        .and_then(|m| m.finding(alert))
        .map_or(&[][..], |f| f.reasons);
    for r in reasons {
        if !r.rule.status().needs_fix() {
            continue;
        }
        if let Some(&s) = u.slot.get(r.target as usize) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// Tallies the findings of machines `first..` (the slice `machines`).
fn tally(machines: &[crate::report::MachineReport], first: usize, units: &[Units]) -> Vec<Tally> {
    let mut out = vec![Tally::default(); units.len()];
    // The slots one finding has filed the machine under already.
    let mut filed: Vec<u16> = Vec::new();
    for (k, m) in machines.iter().enumerate() {
        let mi = (first + k) as u32;
        for e in m.to_do_entries() {
            let status = e.status;
            let a = e.alert as usize;
            let (Some(t), Some(u)) = (out.get_mut(a), units.get(a)) else {
                continue;
            };
            if !status.needs_fix() {
                t.upgrades.push(mi);
                continue;
            }
            if status == Status::RegistryOnlyFilesOlder {
                t.reapply.push(mi);
            }
            if t.lists.is_empty() {
                t.lists = vec![Vec::new(); u.unit.len()];
            }
            // One reason (nearly always): its target is in the entry.
            if e.target != NONE16 {
                if let Some(&s) = u.slot.get(e.target as usize) {
                    t.lists[s as usize].push(mi);
                }
                continue;
            }
            let reasons = m.finding(a).map_or(&[][..], |f| f.reasons);
            filed.clear();
            for r in reasons {
                if !r.rule.status().needs_fix() {
                    continue;
                }
                let Some(&s) = u.slot.get(r.target as usize) else {
                    continue;
                };
                if filed.contains(&s) {
                    continue;
                }
                filed.push(s);
                t.lists[s as usize].push(mi);
            }
        }
    }
    out
}

/// One alert's machines, from every thread's tally.
#[derive(Default)]
struct Joined {
    /// The units that have machines, in the order first used, with their
    /// machines.
    units: Vec<(u32, Vec<u32>)>,
    /// Every machine that needs the fix.
    all: Vec<u32>,
    reapply: Vec<u32>,
    upgrades: Vec<u32>,
}

/// Joins one alert's tallies (one per thread, in machine order).
fn join_alert(report: &Report, alert: usize, u: &Units, parts: Vec<Tally>) -> Joined {
    let mut lists: Vec<Vec<u32>> = Vec::new();
    let (mut reapply, mut upgrades) = (Vec::new(), Vec::new());
    for p in parts {
        if lists.is_empty() {
            lists = p.lists;
        } else {
            for (s, l) in p.lists.into_iter().enumerate() {
                if let Some(into) = lists.get_mut(s) {
                    append(into, l);
                }
            }
        }
        append(&mut reapply, p.reapply);
        append(&mut upgrades, p.upgrades);
    }
    // The units that have machines, in the order first used: by their
    // first machine, and for units that first machine needs together, as
    // its finding lists them.
    let mut used: Vec<(u32, usize, u32, Vec<u32>)> = lists
        .into_iter()
        .enumerate()
        .filter_map(|(s, l)| Some((*l.first()?, s, u.unit[s], l)))
        .collect();
    used.sort_by_key(|x| x.0);
    for group in used.chunk_by_mut(|a, b| a.0 == b.0) {
        if group.len() > 1 {
            let nth = first_slots(report, group[0].0, alert, u);
            group.sort_by_key(|x| nth.iter().position(|&s| usize::from(s) == x.1));
        }
    }
    // Every machine that needs the fix: the units' lists (each ascending)
    // merged.
    let mut all: Vec<u32> = Vec::new();
    for (k, x) in used.iter().enumerate() {
        all = if k == 0 {
            x.3.clone()
        } else {
            union_sorted(&all, &x.3)
        };
    }
    Joined {
        units: used.into_iter().map(|(_, _, u, l)| (u, l)).collect(),
        all,
        reapply,
        upgrades,
    }
}

/// `more` after `into`; taken whole when `into` is empty (the first
/// part's lists are most of the time the only ones).
fn append(into: &mut Vec<u32>, more: Vec<u32>) {
    if into.is_empty() {
        *into = more;
    } else {
        into.extend(more);
    }
}

/// The union of two ascending lists without repeats, ascending.
fn union_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// [`join_alert`] for every alert, on up to `threads` threads, each taking
/// a contiguous run of alerts of about equal size (machines listed).
fn join_alerts(
    report: &Report,
    units: &[Units],
    per_alert: Vec<Vec<Tally>>,
    threads: usize,
) -> Vec<Joined> {
    let sizes: Vec<usize> = per_alert
        .iter()
        .map(|ts| {
            ts.iter()
                .map(|t| t.lists.iter().map(Vec::len).sum::<usize>() + 1)
                .sum()
        })
        .collect();
    let mut alerts = per_alert.into_iter().enumerate();
    let runs: Vec<Vec<(usize, Vec<Tally>)>> = crate::par::cut(&sizes, threads)
        .into_iter()
        .map(|r| alerts.by_ref().take(r.len()).collect())
        .collect();
    let run = |r: Vec<(usize, Vec<Tally>)>| -> Vec<Joined> {
        r.into_iter()
            .map(|(a, ts)| match units.get(a) {
                Some(u) => join_alert(report, a, u, ts),
                None => Joined::default(),
            })
            .collect()
    };
    crate::par::each(runs, run).into_iter().flatten().collect()
}

impl Worklist {
    /// The worklist of a report, on every core for a large one.
    pub fn new(report: &Report) -> Worklist {
        let threads = if report.machines.len() < 2000 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        };
        Self::with_threads(report, threads)
    }

    /// The worklist, read on `threads` threads (at least one): the same
    /// for any number.
    pub fn with_threads(report: &Report, threads: usize) -> Worklist {
        let threads = threads.max(1);
        let c = report.compiled();
        let n = report.alerts().len();
        let table: Arc<Vec<String>> =
            Arc::new(report.machines.iter().map(|m| m.name.clone()).collect());
        let list = |idx: Vec<u32>| MachineList {
            table: table.clone(),
            idx,
        };
        let t0 = std::time::Instant::now();
        let units: Vec<Units> = (0..n).map(|a| Units::of(report, a)).collect();
        let t1 = std::time::Instant::now();
        // The findings are read on every core, in contiguous runs of
        // machines (a few per thread, each taken by the next thread free,
        // so that a core slowed by other work does not hold the rest up);
        // the runs are then joined in machine order, so the lists come out
        // as one pass in order would make them.
        let n_runs = if threads == 1 { 1 } else { threads * 4 };
        let chunk = report.machines.len().div_ceil(n_runs).max(1);
        let runs: Vec<_> = report.machines.chunks(chunk).enumerate().collect();
        let parts = crate::par::map(&runs, threads, |&(k, ms)| tally(ms, k * chunk, &units));
        let t2 = std::time::Instant::now();
        // Per alert, the threads' tallies in machine order; joined alert by
        // alert on every core (the lists hold some ten million machines).
        let mut per_alert: Vec<Vec<Tally>> =
            (0..n).map(|_| Vec::with_capacity(parts.len())).collect();
        for part in parts {
            for (a, t) in part.into_iter().enumerate() {
                if let Some(v) = per_alert.get_mut(a) {
                    v.push(t);
                }
            }
        }
        let joined = join_alerts(report, &units, per_alert, threads);
        let t3 = std::time::Instant::now();
        let mut items: Vec<WorkItem> = Vec::new();
        let mut unestimated = 0;
        let mut upgrades: Vec<Vec<u32>> = Vec::with_capacity(n);
        for (alert, j) in joined.into_iter().enumerate() {
            upgrades.push(j.upgrades);
            if j.units.is_empty() {
                continue;
            }
            let a = &report.alerts()[alert];
            let mut packages = Vec::new();
            for (unit, ms) in j.units {
                let (package, platform, reboot, pidx) = describe(report, alert, unit);
                let model = c.rollout_model(alert, pidx);
                let minutes = model.map(|(m, _)| m.estimate(ms.len()));
                if minutes.is_none() {
                    unestimated += 1;
                }
                packages.push(PackageWork {
                    package,
                    platform,
                    reboot,
                    machines: list(ms),
                    minutes,
                    basis: model.map(|(_, basis)| basis),
                    package_index: pidx,
                });
            }
            packages.sort_by(|x, y| x.package.cmp(&y.package));
            let minutes = packages.iter().map(|p| p.minutes).sum::<Option<f64>>();
            items.push(WorkItem {
                alert: a.id.clone(),
                title: a.title.clone(),
                severity: a.severity.map(|s| s.number()),
                exploit_code: a.exploit_code,
                action: a.action,
                machines: list(j.all),
                reapply: list(j.reapply),
                packages,
                minutes,
            });
        }
        let alert_of: HashMap<&str, usize> = report
            .alerts()
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i))
            .collect();
        items.sort_by(|x, y| {
            let ax = &report.alerts()[alert_of[x.alert.as_str()]];
            let ay = &report.alerts()[alert_of[y.alert.as_str()]];
            severity_rank(ax.severity)
                .cmp(&severity_rank(ay.severity))
                .then((ay.exploit_code == Some(true)).cmp(&(ax.exploit_code == Some(true))))
                .then(action_rank(ax.action).cmp(&action_rank(ay.action)))
                .then(y.machines.len().cmp(&x.machines.len()))
                .then(x.alert.cmp(&y.alert))
        });
        tracing::debug!(
            target: "hfr_fleet::timing",
            units = ?(t1 - t0),
            tally = ?(t2 - t1),
            join = ?(t3 - t2),
            items = ?t3.elapsed(),
            "worklist made"
        );
        let total_minutes = if unestimated == 0 {
            Some(items.iter().filter_map(|i| i.minutes).sum())
        } else {
            None
        };
        Worklist {
            items,
            upgrades: upgrades
                .into_iter()
                .enumerate()
                .filter(|(_, ms)| !ms.is_empty())
                .map(|(a, ms)| {
                    let al = &report.alerts()[a];
                    UpgradeItem {
                        alert: al.id.clone(),
                        title: al.title.clone(),
                        machines: list(ms),
                    }
                })
                .collect(),
            total_minutes,
            unestimated,
        }
    }
}

// ── Waves ────────────────────────────────────────────────────────────────

/// A rollout in waves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutPlan {
    pub waves: Vec<Wave>,
    pub total_minutes: Option<f64>,
}

/// One wave: machines, and per package how many of them need it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wave {
    /// 0 is the pilot group.
    pub number: usize,
    pub name: String,
    pub machines: Vec<String>,
    pub packages: Vec<WavePackage>,
    /// Each package of the wave deployed in turn with one console.
    pub minutes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WavePackage {
    pub alert: String,
    pub package: String,
    pub machines: usize,
    pub minutes: Option<f64>,
}

/// Splits the worklist's machines into a pilot group and `waves` waves.
///
/// The pilot group is chosen to try every package of the worklist at least
/// once before the fleet gets it: greedily, the machine that needs the most
/// packages not yet in the pilot, clients before servers, up to `pilot`
/// machines (more packages than that stay untried; fewer leave room, which
/// is filled with further clients). The remaining machines follow in
/// `waves` waves of equal size, clients first and servers last (servers
/// need maintenance windows), each sorted by name. A wave's time is the
/// sum over its packages of the rollout model at that wave's count: the
/// fixed cost of a package is paid in every wave it appears in, which is
/// the price of the waves.
pub fn plan(report: &Report, worklist: &Worklist, pilot: usize, waves: usize) -> RolloutPlan {
    let c = report.compiled();
    let alert_index: HashMap<&str, usize> = report
        .alerts()
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    // machine → packages it needs (indices into `units`).
    let mut units: Vec<(&str, &PackageWork)> = Vec::new();
    let mut needs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for item in &worklist.items {
        for p in &item.packages {
            let u = units.len();
            units.push((item.alert.as_str(), p));
            for &mi in p.machines.indexes() {
                needs.entry(mi as usize).or_default().push(u);
            }
        }
    }
    let role_rank = |mi: usize| match report.machines[mi].role {
        Some(Role::Client) => 0,
        None => 1,
        Some(Role::Server) => 2,
    };
    let mut rest: Vec<usize> = needs.keys().copied().collect();
    rest.sort_by(|a, b| {
        role_rank(*a)
            .cmp(&role_rank(*b))
            .then(report.machines[*a].name.cmp(&report.machines[*b].name))
    });
    let mut chosen: Vec<usize> = Vec::new();
    let mut covered = vec![false; units.len()];
    while chosen.len() < pilot {
        let best = rest
            .iter()
            .enumerate()
            .map(|(pos, &mi)| {
                let gain = needs[&mi].iter().filter(|u| !covered[**u]).count();
                (gain, pos)
            })
            .filter(|(gain, _)| *gain > 0)
            // Most new packages; among equals the earliest (clients first).
            .min_by_key(|(gain, pos)| (std::cmp::Reverse(*gain), *pos));
        let pos = match best {
            Some((_, pos)) => pos,
            None if !rest.is_empty() => 0,
            None => break,
        };
        let mi = rest.remove(pos);
        for u in &needs[&mi] {
            covered[*u] = true;
        }
        chosen.push(mi);
    }
    chosen.sort_by(|a, b| report.machines[*a].name.cmp(&report.machines[*b].name));

    let wave = |number: usize, name: String, ms: &[usize]| -> Wave {
        let mut count: BTreeMap<usize, usize> = BTreeMap::new();
        for mi in ms {
            for u in &needs[mi] {
                *count.entry(*u).or_default() += 1;
            }
        }
        let packages: Vec<WavePackage> = count
            .into_iter()
            .map(|(u, n)| {
                let (alert, p) = units[u];
                let model = alert_index
                    .get(alert)
                    .and_then(|&ai| c.rollout_model(ai, p.package_index));
                WavePackage {
                    alert: alert.to_string(),
                    package: p.package.clone(),
                    machines: n,
                    minutes: model.map(|(m, _)| m.estimate(n)),
                }
            })
            .collect();
        let minutes = packages.iter().map(|p| p.minutes).sum::<Option<f64>>();
        Wave {
            number,
            name,
            machines: ms
                .iter()
                .map(|mi| report.machines[*mi].name.clone())
                .collect(),
            packages,
            minutes,
        }
    };
    let mut out = Vec::new();
    if !chosen.is_empty() {
        out.push(wave(0, "パイロット".into(), &chosen));
    }
    let waves = waves.max(1);
    if !rest.is_empty() {
        let size = rest.len().div_ceil(waves);
        for (i, part) in rest.chunks(size).enumerate() {
            out.push(wave(i + 1, format!("第{}波", i + 1), part));
        }
    }
    let total_minutes = out.iter().map(|w| w.minutes).sum::<Option<f64>>();
    RolloutPlan {
        waves: out,
        total_minutes,
    }
}
