//! The check: every machine against every alert, made fast by two facts
//! about fleets.
//!
//! 1. Machines repeat. What decides whether an alert applies (OS, edition,
//!    service pack, architecture, installed products, components) is
//!    shared by many machines, so machines are grouped by that *profile*
//!    and each profile is matched against the alerts once.
//! 2. An alert can only concern a machine that runs (or has installed) a
//!    product it names. The compiled archive indexes targets by base
//!    product, so a profile looks at the targets of its own products (and
//!    the broader products they fall under) instead of all of them.
//!
//! What is left per machine is what differs per machine: file versions,
//! registry keys, installed KBs. Those are looked up by small integer ids
//! (file names, keys and KBs interned when the archive was compiled), as
//! bits in tables small enough to stay in the CPU's first-level cache.
//!
//! 3. Most of that evidence is absent. A target's package installs a few
//!    files, and a machine lists the dozen its last fixes left, so for
//!    most targets none of the files is there and only the registry key
//!    and the KB decide. Machines of one profile are checked in blocks of
//!    64, with a bit column per key and KB: those reasons are decided for
//!    the whole block with a few word operations ([`Block`]), and so is
//!    the search for an installed fix that contains a missing one
//!    ([`SupBlock`]). Only the rest goes machine by machine.
//!
//! The building blocks are public ([`plan_alert`], [`evaluate`],
//! [`Facts`]) so that a reference implementation without any of this
//! (bench/fleet) applies the very same rules machine by machine, alert by
//! alert, and both can be compared.

use std::sync::Arc;

use hfr_model::catalogue::{Arch, Kind, Product, ServicePack, BASES};

use crate::inventory::{BranchKind, FileFact, Machine};
use crate::report::{Chunk, Findings, MachineReport, Reason, Report, Rule, Status, ToDo, NONE32};
use crate::rules::{below_all, Compiled, FileRule, Target};
use crate::version::Version;

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also record "not applicable" for every machine × alert pair, with
    /// its reason (for printing a full matrix). Off for large fleets: most
    /// pairs are not applicable and nobody reads them.
    pub include_not_applicable: bool,
    /// Only these alerts (by index into the compiled archive); all when
    /// `None`.
    pub only: Option<Vec<usize>>,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
}

/// The compiled archive, ready to check any number of inventories.
#[derive(Debug, Clone)]
pub struct Checker {
    compiled: Arc<Compiled>,
}

impl Checker {
    pub fn new(alerts: &[hfr_model::Alert]) -> Checker {
        Checker {
            compiled: Arc::new(Compiled::new(alerts)),
        }
    }

    pub fn compiled(&self) -> &Compiled {
        &self.compiled
    }

    /// The index of an alert by id (case ignored).
    pub fn alert_index(&self, id: &str) -> Option<usize> {
        self.compiled
            .alerts
            .iter()
            .position(|a| a.id.eq_ignore_ascii_case(id.trim()))
    }

    /// Checks every machine of `machines` (a vector, or one shared with
    /// the caller) against every alert. The report keeps the machines: it
    /// shows each reason with the machine's figures.
    pub fn check(&self, machines: impl Into<Arc<Vec<Machine>>>, opts: &Options) -> Report {
        let inventory: Arc<Vec<Machine>> = machines.into();
        let machines = &inventory[..];
        let c = &*self.compiled;
        let wanted: Vec<bool> = match &opts.only {
            None => vec![true; c.alerts.len()],
            Some(ix) => {
                let mut w = vec![false; c.alerts.len()];
                for &i in ix {
                    if let Some(x) = w.get_mut(i) {
                        *x = true;
                    }
                }
                w
            }
        };

        let t0 = std::time::Instant::now();
        // 1. Profiles.
        let mut profile_of: Vec<u32> = Vec::with_capacity(machines.len());
        let mut profiles: Vec<usize> = Vec::new(); // a representative machine
        {
            let mut seen: rustc_hash::FxHashMap<ProfileKey, u32> = Default::default();
            for (i, m) in machines.iter().enumerate() {
                let key = ProfileKey::of(m);
                let next = profiles.len() as u32;
                let p = *seen.entry(key).or_insert_with(|| {
                    profiles.push(i);
                    next
                });
                profile_of.push(p);
            }
        }

        let t_group = t0.elapsed();
        let threads = match opts.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .clamp(1, 64);

        // 2. One plan per profile.
        let plans: Vec<ProfilePlan> = crate::par::map(&profiles, threads, |&rep| {
            plan_profile(c, &machines[rep], &wanted, opts.include_not_applicable)
        });
        let os_names: Vec<Arc<str>> = profiles
            .iter()
            .map(|&rep| Arc::from(machines[rep].os_display()))
            .collect();

        let t1 = std::time::Instant::now();
        // 3. Per machine, profile by profile: the machines of one profile
        //    walk the same plan and the same compiled targets, which then
        //    stay in the CPU's cache; in inventory order they would not.
        //    The order is cut into contiguous parts, each checked by the
        //    next thread free.
        let mut order: Vec<usize> = (0..machines.len()).collect();
        order.sort_by_key(|&i| profile_of[i]);
        let run = |ws: &mut Workspace, part: &&[usize]| {
            check_run(c, ws, machines, part, &profile_of, &plans, &os_names)
        };
        let threads = threads.min(machines.len().div_ceil(256)).max(1);
        // Parts of equal work rather than equal length: a machine's work
        // is about its plan's size, and plans differ by a factor of ten
        // (a Windows 10 profile has a few dozen alerts, an old server
        // hundreds), so equal counts could leave one thread idle. And
        // several parts per thread, each taken by the next thread free: on
        // a shared machine one core can run slower than the other for a
        // while, and with one part each the check would wait for it.
        let n_parts = if threads == 1 {
            1
        } else {
            (threads * PARTS_PER_THREAD).min(machines.len().div_ceil(BLOCK * 4))
        };
        let weights: Vec<usize> = order
            .iter()
            .map(|&i| {
                let p = &plans[profile_of[i] as usize];
                p.items.len() + p.targets.len() + 1
            })
            .collect();
        let parts: Vec<&[usize]> = crate::par::cut(&weights, n_parts)
            .into_iter()
            .map(|r| &order[r])
            .collect();
        let reports: Vec<MachineReport> =
            crate::par::map_with(&parts, threads, || Workspace::new(c), run)
                .into_iter()
                .flatten()
                .collect();
        let t2 = std::time::Instant::now();
        let mut slots: Vec<Option<MachineReport>> = (0..machines.len()).map(|_| None).collect();
        for (r, &i) in reports.into_iter().zip(&order) {
            slots[i] = Some(r);
        }
        let reports: Vec<MachineReport> = slots.into_iter().flatten().collect();
        tracing::debug!(
            target: "hfr_fleet::timing",
            profiles = profiles.len(),
            grouping = ?t_group,
            plans = ?(t1 - t0 - t_group),
            machines = ?t1.elapsed(),
            in_order = ?t2.elapsed(),
            "fleet checked"
        );

        let mut report = Report::new(
            self.compiled.clone(),
            inventory.clone(),
            reports,
            opts.include_not_applicable,
        );
        report.alerts_checked = wanted.iter().filter(|w| **w).count();
        report
    }
}

// ── Profiles ─────────────────────────────────────────────────────────────

/// What decides applicability, borrowed from one machine.
#[derive(Hash, PartialEq, Eq)]
struct ProfileKey<'a> {
    os: &'a Product,
    products: Vec<&'a Product>,
    components: Option<&'a [crate::component::Component]>,
}

impl<'a> ProfileKey<'a> {
    fn of(m: &'a Machine) -> Self {
        ProfileKey {
            os: &m.os,
            products: m.products.iter().map(|p| &p.product).collect(),
            components: m.components.as_deref(),
        }
    }
}

/// What to do for each alert on machines of one profile, laid out flat:
/// the machines of a profile walk these arrays front to back, so what they
/// read is contiguous and stays in the cache.
#[derive(Debug, Default)]
pub struct ProfilePlan {
    items: Vec<FlatItem>,
    targets: Vec<FlatTarget>,
    files: Vec<FlatFile>,
    /// Registry-key ids and KB nodes of the targets.
    ids: Vec<u32>,
    cands: Vec<(u8, Option<BranchKind>, Version)>,
    context: Vec<Reason>,
    /// Keep findings that come out "not applicable" on a machine (a
    /// component the fix concerns is absent): only when the report records
    /// them at all.
    include_na: bool,
    /// The most reasons a machine of the profile can have: one per fixed
    /// item, one per target, and the context.
    max_reasons: usize,
}

#[derive(Debug)]
struct FlatItem {
    /// `Some`: the same reason for every machine; `None`: evaluate.
    fixed: Option<Reason>,
    alert: u32,
    /// The alert's node in the supersedence graph.
    node: u32,
    targets: (u32, u16),
    context: (u32, u16),
    /// The status of the fixed reason and the context (the evaluated
    /// reasons can only raise it).
    status: Status,
}

#[derive(Debug)]
struct FlatTarget {
    target: u16,
    gate: Gate,
    wrong_arch: bool,
    no_fix: bool,
    /// Vendor fixes with builds: read the compiled target.
    builds: bool,
    keys: (u32, u8),
    kbs: (u32, u8),
    files: (u32, u16),
    /// The graph nodes a "not found" is looked up from in the supersedence
    /// graph: the target's KBs, then the alert.
    sup: (u32, u16),
    /// Open gate, a fix for the platform and the architecture, no vendor
    /// builds: on a machine without the package's files, only the
    /// registry key and the KB decide (see [`Block`]).
    simple: bool,
}

#[derive(Debug)]
struct FlatFile {
    id: u32,
    file: u16,
    /// 0: candidates, 1: not for this service pack, 2: service pack unknown.
    pick: u8,
    cands: (u32, u8),
}

impl ProfilePlan {
    /// Lays out plan items (from [`plan_alert`]) for the check.
    pub fn new(c: &Compiled, items: Vec<PlanItem>) -> ProfilePlan {
        let mut p = ProfilePlan::default();
        for it in items {
            let ctx = (p.context.len() as u32, it.context.len() as u16);
            p.context.extend_from_slice(&it.context);
            let (fixed, targets) = match it.kind {
                PlanKind::Fixed(r) => (Some(r), (0, 0)),
                PlanKind::Evaluate(ts) => {
                    let start = p.targets.len() as u32;
                    let n = ts.len() as u16;
                    let a = &c.alerts[it.alert as usize];
                    for e in ts {
                        let t = &a.targets[e.target as usize];
                        let keys = (p.ids.len() as u32, t.keys.len().min(255) as u8);
                        p.ids.extend(t.keys.iter().take(255).map(|k| k.0));
                        let kbs = (p.ids.len() as u32, t.kbs.len().min(255) as u8);
                        p.ids.extend(t.kbs.iter().take(255));
                        let sup = (p.ids.len() as u32, (t.kbs.len() + 1).min(65535) as u16);
                        p.ids
                            .extend(t.kbs.iter().chain(std::iter::once(&a.node)).take(65535));
                        let files = (p.files.len() as u32, e.files.len() as u16);
                        for f in e.files {
                            let (pick, cands) = match f.pick {
                                SpPick::Candidates(cs) => {
                                    let r = (p.cands.len() as u32, cs.len().min(255) as u8);
                                    p.cands.extend(cs.into_iter().take(255));
                                    (0, r)
                                }
                                SpPick::NotForSp => (1, (0, 0)),
                                SpPick::SpUnknown => (2, (0, 0)),
                            };
                            p.files.push(FlatFile {
                                id: f.id,
                                file: f.file,
                                pick,
                                cands,
                            });
                        }
                        p.targets.push(FlatTarget {
                            target: e.target,
                            gate: e.gate,
                            wrong_arch: e.wrong_arch,
                            no_fix: t.no_fix,
                            builds: !t.fixes.is_empty(),
                            simple: e.gate == Gate::Open
                                && !e.wrong_arch
                                && !t.no_fix
                                && t.fixes.is_empty(),
                            keys,
                            kbs,
                            files,
                            sup,
                        });
                    }
                    (None, (start, n))
                }
            };
            let status = Status::of_reasons(slice(&p.context, ctx))
                .max(fixed.map_or(Status::NotApplicable, |r| r.rule.status()));
            p.items.push(FlatItem {
                fixed,
                alert: it.alert,
                node: c.alerts[it.alert as usize].node,
                targets,
                context: ctx,
                status,
            });
        }
        p.max_reasons = p
            .items
            .iter()
            .map(|i| match i.fixed {
                Some(_) => 1,
                None => i.targets.1 as usize,
            } + i.context.1 as usize)
            .sum();
        p
    }

    /// How many alerts the plan covers.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn slice<T>(v: &[T], (start, len): (u32, impl Into<usize>)) -> &[T] {
    let s = start as usize;
    v.get(s..s + len.into()).unwrap_or(&[])
}

/// One alert on one profile.
#[derive(Debug, Clone)]
pub struct PlanItem {
    pub alert: u32,
    pub kind: PlanKind,
    /// Targets that do not apply but are worth saying why (a newer
    /// service pack of a product the machine has).
    pub context: Vec<Reason>,
}

#[derive(Debug, Clone)]
pub enum PlanKind {
    /// Check these targets' evidence on each machine.
    Evaluate(Vec<EvalTarget>),
    /// The same for every machine of the profile.
    Fixed(Reason),
}

/// A matched target with everything that depends only on the profile
/// already decided: the component gate, the architecture, and for each
/// file of the package the entries (branches) of the machine's service
/// pack. What is left per machine is comparing its own versions.
#[derive(Debug, Clone)]
pub struct EvalTarget {
    pub target: u16,
    pub gate: Gate,
    /// The package is x86 only and the machine is not.
    pub wrong_arch: bool,
    pub files: Vec<EvalFile>,
}

/// One file of a matched target's package, for one service pack.
#[derive(Debug, Clone)]
pub struct EvalFile {
    /// Index into the package's files.
    pub file: u16,
    /// The interned file name.
    pub id: u32,
    pub pick: SpPick,
}

/// The entries of a file that apply to a service pack.
#[derive(Debug, Clone)]
pub enum SpPick {
    /// (entry, branch kind, fixed version); GDR/QFE is decided per machine.
    Candidates(Vec<(u8, Option<BranchKind>, Version)>),
    /// Not part of the package for this service pack.
    NotForSp,
    /// The service pack is not known and the entries differ.
    SpUnknown,
}

/// Whether a target's component is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// No component needed, or the machine lists it.
    Open,
    /// The machine's components were collected and do not include it:
    /// not applicable, unless the package's files are on the machine
    /// anyway (Windows XP SP1 ships MSMQ's files without MSMQ).
    AbsentUnlessFiles,
    /// Components were not collected: unknown, unless the files are there.
    UnknownUnlessFiles,
}

/// The bases whose targets may concern a product: its own, the broader
/// products it falls under, and the family's generic row.
fn bases_of(p: &Product, out: &mut Vec<String>) {
    out.push(p.name.clone());
    let Some(mut row) = p.base_row() else {
        return;
    };
    for _ in 0..BASES.len() {
        match row.within.and_then(hfr_model::catalogue::lookup) {
            Some(up) => {
                out.push(up.name.to_string());
                row = up;
            }
            None => break,
        }
    }
    if let Some(r) = p.base_row() {
        if r.kind == Kind::Os {
            for g in BASES
                .iter()
                .filter(|g| g.kind == Kind::Generic && g.family == r.family)
            {
                out.push(g.name.to_string());
            }
        }
    }
}

fn plan_profile(c: &Compiled, m: &Machine, wanted: &[bool], include_na: bool) -> ProfilePlan {
    let mut bases = Vec::new();
    bases_of(&m.os, &mut bases);
    for p in &m.products {
        bases_of(&p.product, &mut bases);
    }
    bases.sort();
    bases.dedup();
    let mut cand: Vec<u32> = Vec::new();
    for b in &bases {
        if let Some(v) = c.by_base.get(b) {
            cand.extend(v.iter().map(|(a, _)| *a));
        }
        if let Some(v) = c.no_fix_by_base.get(b) {
            cand.extend(v.iter().map(|(a, _)| *a));
        }
    }
    cand.sort_unstable();
    cand.dedup();
    let mut items = Vec::new();
    let mut next = cand.iter().peekable();
    for a in 0..c.alerts.len() as u32 {
        // Step past candidates of alerts left out by `Options::only`, or
        // the next wanted candidate would never be seen.
        while next.peek().is_some_and(|&&x| x < a) {
            next.next();
        }
        if !wanted[a as usize] {
            continue;
        }
        let is_cand = next.peek() == Some(&&a);
        if is_cand {
            next.next();
            if let Some(item) = plan_alert(c, a as usize, m, include_na) {
                items.push(item);
            }
        } else if include_na {
            items.push(PlanItem {
                alert: a,
                kind: PlanKind::Fixed(Reason::new(a, Rule::PlatformNotListed)),
                context: Vec::new(),
            });
        }
    }
    let mut plan = ProfilePlan::new(c, items);
    plan.include_na = include_na;
    plan
}

/// How a requirement matches what a machine has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    No,
    /// The same product at another service pack: the listed level.
    OtherSp(ServicePack),
    /// Could be: the machine's record leaves out what the alert states.
    Maybe,
    Yes,
}

fn match_product(req: &Product, have: &Product) -> Match {
    if req.covers(have) {
        return Match::Yes;
    }
    if req.overlaps(have) {
        return Match::Maybe;
    }
    if let (Some(sp), Some(_)) = (req.service_pack, have.service_pack) {
        let mut r = req.clone();
        r.service_pack = None;
        if r.covers(have) {
            return Match::OtherSp(sp);
        }
    }
    Match::No
}

/// How a target matches a machine, and which product decided.
fn match_target(t: &Target, m: &Machine) -> (Match, Option<usize>) {
    let mut worst = (Match::Yes, None);
    if let Some(os) = &t.os {
        let r = match_product(os, &m.os);
        if r < worst.0 {
            worst = (r, None);
        }
    }
    for app in &t.apps {
        let best = m
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| (match_product(app, &p.product), Some(i)))
            .max_by_key(|(r, _)| *r)
            .unwrap_or((Match::No, None));
        if best.0 < worst.0 {
            worst = best;
        }
    }
    worst
}

/// Applicability of one alert to one machine (only its OS, products and
/// components are read): which targets to check, or the fixed outcome.
/// `None` for "not applicable" when `include_na` is off.
pub fn plan_alert(c: &Compiled, alert: usize, m: &Machine, include_na: bool) -> Option<PlanItem> {
    let a = &c.alerts[alert];
    let mut matched: Vec<EvalTarget> = Vec::new();
    let mut maybe = false;
    let mut other_sp: Vec<(u16, ServicePack, Option<usize>)> = Vec::new();
    for (ti, t) in a.targets.iter().enumerate() {
        match match_target(t, m) {
            (Match::Yes, _) => {
                let gate = match &t.component {
                    None => Gate::Open,
                    Some(comp) => match m.has_component(comp) {
                        Some(true) => Gate::Open,
                        Some(false) => Gate::AbsentUnlessFiles,
                        None => Gate::UnknownUnlessFiles,
                    },
                };
                matched.push(eval_target(a, ti as u16, gate, m));
            }
            (Match::Maybe, _) => maybe = true,
            (Match::OtherSp(sp), which) => other_sp.push((ti as u16, sp, which)),
            (Match::No, _) => {}
        }
    }
    let item = |kind: PlanKind, context: Vec<Reason>| PlanItem {
        alert: alert as u32,
        kind,
        context,
    };
    let al = alert as u32;
    let sp_context = |v: &[(u16, ServicePack, Option<usize>)]| -> Vec<Reason> {
        let mut out: Vec<Reason> = Vec::new();
        for (ti, _, which) in v {
            let mut r = Reason::new(al, Rule::ServicePackNewer);
            r.target = *ti;
            r.via = which.map_or(NONE32, |w| w as u32);
            if !out.iter().any(|x| x.via == r.via) {
                out.push(r);
            }
        }
        out
    };
    if !matched.is_empty() {
        // Say why another package of the alert is not needed (Exchange
        // 2003 SP1 beside Windows Server 2003 in MS04-035), but not for
        // the other service packs of a package that is.
        let used: Vec<Option<u16>> = matched
            .iter()
            .map(|e| a.targets[e.target as usize].package)
            .collect();
        other_sp.retain(|(ti, ..)| {
            let p = a.targets[*ti as usize].package;
            p.is_some() && !used.contains(&p)
        });
        return Some(item(PlanKind::Evaluate(matched), sp_context(&other_sp)));
    }
    if maybe {
        return Some(item(
            PlanKind::Fixed(Reason::new(al, Rule::NeedsDetail)),
            Vec::new(),
        ));
    }
    // Component gate for the "no fix" outcomes: a platform without a fix
    // is only at risk where the component is there.
    let component_absent = a
        .component
        .as_ref()
        .is_some_and(|comp| m.has_component(comp) == Some(false));
    for (ni, n) in a.no_fix.iter().enumerate() {
        let hit = n.products.iter().any(|p| {
            let (os, apps) = crate::rules::split_requirement(p);
            os.as_ref().is_none_or(|o| o.covers(&m.os))
                && apps
                    .iter()
                    .all(|ap| m.products.iter().any(|have| ap.covers(&have.product)))
        });
        if hit {
            if component_absent {
                return include_na.then(|| {
                    item(
                        PlanKind::Fixed(Reason::new(al, Rule::ComponentAbsent)),
                        Vec::new(),
                    )
                });
            }
            let mut r = Reason::new(al, Rule::VendorNoFix);
            r.via = ni as u32;
            return Some(item(PlanKind::Fixed(r), Vec::new()));
        }
    }
    // Below every service pack the alert lists for the product: the
    // vendor no longer fixes that level.
    for (ti, _, which) in &other_sp {
        let t = &a.targets[*ti as usize];
        let have_sp = match which {
            Some(p) => m.products[*p].product.service_pack,
            None => m.os.service_pack,
        };
        let Some(have_sp) = have_sp else { continue };
        let base = match which {
            Some(p) => &m.products[*p].product.name,
            None => &m.os.name,
        };
        let listed: Vec<ServicePack> = other_sp
            .iter()
            .filter(|(_, _, w)| w == which)
            .map(|(_, sp, _)| *sp)
            .collect();
        if below_all(&have_sp, &listed) && t.apps.iter().chain(&t.os).any(|p| &p.name == base) {
            if component_absent {
                return include_na.then(|| {
                    item(
                        PlanKind::Fixed(Reason::new(al, Rule::ComponentAbsent)),
                        Vec::new(),
                    )
                });
            }
            let mut r = Reason::new(al, Rule::ServicePackUnsupported);
            r.target = *ti;
            r.via = which.map_or(NONE32, |w| w as u32);
            return Some(item(PlanKind::Fixed(r), Vec::new()));
        }
    }
    if !include_na {
        return None;
    }
    if let Some(first) = sp_context(&other_sp).into_iter().next() {
        return Some(item(PlanKind::Fixed(first), Vec::new()));
    }
    Some(item(
        PlanKind::Fixed(Reason::new(al, Rule::PlatformNotListed)),
        Vec::new(),
    ))
}

// ── Facts ────────────────────────────────────────────────────────────────

/// What the rules ask about a machine. The check answers from interned
/// ids; a reference implementation may answer from the strings.
pub trait Facts {
    fn machine(&self) -> &Machine;
    /// The file whose interned name is `id` (see `Compiled::file_names`).
    fn file(&self, id: u32) -> Option<&FileFact>;
    /// Whether the machine has the registry key `id` (see
    /// `Compiled::key_names`).
    fn has_key(&self, id: u32) -> bool;
    /// Whether the machine lists the KB that is graph node `node`.
    fn has_kb(&self, node: u32) -> bool;
}

/// Per-thread lookup tables over the archive's vocabulary (file names,
/// registry keys, KB nodes): one bit per id, set for the facts of the
/// machine being checked. Loading a machine sets a few dozen bits (and
/// clears the previous machine's); each question the rules ask is then a
/// bit test in a table of a few kilobytes, which stays in the CPU's
/// first-level cache, instead of a binary search whose branches the CPU
/// cannot predict (or a table of stamps too large to stay there).
pub struct FactTables {
    files: Vec<u64>,
    /// File id → the file's position in the machine's list (valid where
    /// the file's bit is set).
    file_slot: Vec<u32>,
    keys: Vec<u64>,
    kbs: Vec<u64>,
    /// The bits set for the current machine, to clear for the next one.
    set_files: Vec<u32>,
    set_keys: Vec<u32>,
    set_kbs: Vec<u32>,
}

#[inline]
fn bit(v: &[u64], id: u32) -> bool {
    v.get((id >> 6) as usize)
        .is_some_and(|w| w & (1 << (id & 63)) != 0)
}

#[inline]
fn set_bit(v: &mut [u64], id: u32, on: bool) {
    if let Some(w) = v.get_mut((id >> 6) as usize) {
        if on {
            *w |= 1 << (id & 63);
        } else {
            *w &= !(1 << (id & 63));
        }
    }
}

impl FactTables {
    pub fn new(c: &Compiled) -> FactTables {
        let words = |n: usize| vec![0u64; n.div_ceil(64)];
        FactTables {
            files: words(c.file_names.len()),
            file_slot: vec![0; c.file_names.len()],
            keys: words(c.key_names.len()),
            kbs: words(c.graph.names.len()),
            set_files: Vec::new(),
            set_keys: Vec::new(),
            set_kbs: Vec::new(),
        }
    }

    /// Loads a machine's facts; facts the archive never mentions are
    /// dropped.
    pub fn load<'a>(&'a mut self, c: &Compiled, m: &'a Machine) -> IndexedFacts<'a> {
        let mut ids = MachineIds::default();
        ids.read(c, m, &mut IdMemo::default());
        self.load_ids(m, &ids)
    }

    /// Loads a machine's facts from their ids.
    fn load_ids<'a>(&'a mut self, m: &'a Machine, ids: &MachineIds) -> IndexedFacts<'a> {
        for (bits, set) in [
            (&mut self.files, &mut self.set_files),
            (&mut self.keys, &mut self.set_keys),
            (&mut self.kbs, &mut self.set_kbs),
        ] {
            for id in set.drain(..) {
                set_bit(bits, id, false);
            }
        }
        for &(id, slot) in &ids.files {
            set_bit(&mut self.files, id, true);
            self.file_slot[id as usize] = slot;
            self.set_files.push(id);
        }
        for &id in &ids.keys {
            set_bit(&mut self.keys, id, true);
            self.set_keys.push(id);
        }
        for &id in &ids.kbs {
            set_bit(&mut self.kbs, id, true);
            self.set_kbs.push(id);
        }
        IndexedFacts { m, t: self }
    }
}

/// A machine's facts as ids of the archive's vocabulary (file names with
/// their place in the machine's list, registry keys, KB nodes); facts the
/// archive never mentions are dropped. Read once per machine, used by the
/// block's columns and the machine's own tables.
#[derive(Debug, Default)]
struct MachineIds {
    files: Vec<(u32, u32)>,
    keys: Vec<u32>,
    kbs: Vec<u32>,
}

impl MachineIds {
    fn read(&mut self, c: &Compiled, m: &Machine, memo: &mut IdMemo) {
        self.files.clear();
        self.keys.clear();
        self.kbs.clear();
        for (i, f) in m.files.iter().flatten().enumerate() {
            if let Some(id) = memo.files.id(&c.file_ids, &f.name) {
                self.files.push((id, i as u32));
            }
        }
        for k in m.registry_keys.iter().flatten() {
            if let Some(id) = memo.keys.id(&c.key_ids, k) {
                self.keys.push(id);
            }
        }
        for k in m.updates.iter().flatten() {
            if let Some(id) = c.graph.kbs.get(*k) {
                self.kbs.push(id);
            }
        }
    }
}

/// A check thread's answers to "which id of the archive's vocabulary is
/// this file name or registry key", by the address of the machine's
/// string. The JSON reader keeps one copy of each distinct name and key
/// (a fleet repeats a few thousand of them millions of times), so after
/// the first machines nearly every answer is a hash of a pointer instead
/// of a hash and a comparison of some 80 bytes that are not in the cache.
/// (Machines read from CSV or built by hand have a string per mention:
/// then the memo only costs, so it stops growing at [`PtrMemo::MOST`].)
/// The addresses are only valid while the strings live: a memo serves
/// one check, which holds the inventory.
#[derive(Default)]
struct IdMemo {
    files: PtrMemo,
    keys: PtrMemo,
}

#[derive(Default)]
struct PtrMemo(rustc_hash::FxHashMap<usize, u32>);

impl PtrMemo {
    /// The most addresses a memo keeps.
    const MOST: usize = 1 << 16;

    #[inline]
    fn id(&mut self, ids: &rustc_hash::FxHashMap<String, u32>, s: &Arc<str>) -> Option<u32> {
        let at = s.as_ptr() as usize;
        let look = || ids.get(&**s).copied().unwrap_or(NONE32);
        let id = if self.0.len() < Self::MOST {
            *self.0.entry(at).or_insert_with(look)
        } else {
            self.0.get(&at).copied().unwrap_or_else(look)
        };
        (id != NONE32).then_some(id)
    }
}

/// A machine's facts, answered from [`FactTables`].
pub struct IndexedFacts<'a> {
    m: &'a Machine,
    t: &'a FactTables,
}

impl Facts for IndexedFacts<'_> {
    fn machine(&self) -> &Machine {
        self.m
    }
    #[inline]
    fn file(&self, id: u32) -> Option<&FileFact> {
        if !bit(&self.t.files, id) {
            return None;
        }
        self.m
            .files
            .as_ref()?
            .get(self.t.file_slot[id as usize] as usize)
    }
    #[inline]
    fn has_key(&self, id: u32) -> bool {
        bit(&self.t.keys, id)
    }
    #[inline]
    fn has_kb(&self, node: u32) -> bool {
        bit(&self.t.kbs, node)
    }
}

// ── Evidence ─────────────────────────────────────────────────────────────

/// The profile-level part of a matched target.
fn eval_target(a: &crate::rules::CompiledAlert, ti: u16, gate: Gate, m: &Machine) -> EvalTarget {
    let t = &a.targets[ti as usize];
    let pkg = t.package.and_then(|p| a.packages.get(p as usize));
    EvalTarget {
        target: ti,
        gate,
        wrong_arch: pkg.is_some_and(|p| p.x86_only)
            && matches!(m.os.arch, Some(Arch::X64 | Arch::Ia64)),
        files: pkg
            .map(|p| {
                p.files
                    .iter()
                    .enumerate()
                    .map(|(fi, fr)| EvalFile {
                        file: fi as u16,
                        id: fr.id,
                        pick: sp_pick(fr, m.os.service_pack),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The entries of `rule` for a service pack.
///
/// Entries whose branch is for the machine's level (SP1a counts as SP1).
/// With none for that level, those for the newest earlier level: a later
/// service pack contains the fix, and file versions only grow across
/// service packs. Entries without a branch apply to every level; a
/// package without branch folders compares with its highest version.
fn sp_pick(rule: &FileRule, sp: Option<ServicePack>) -> SpPick {
    let entries = &rule.entries;
    if entries.iter().all(|e| e.branches.is_empty()) {
        return match entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.version.map(|v| (i as u8, None, v)))
            .max_by_key(|c| c.2)
        {
            Some(c) => SpPick::Candidates(vec![c]),
            None => SpPick::NotForSp,
        };
    }
    let Some(sp) = sp else {
        // Only safe when every entry has the same version.
        let mut vs = entries.iter().filter_map(|e| e.version);
        return match vs.next() {
            Some(first) if vs.all(|v| v == first) => SpPick::Candidates(vec![(0, None, first)]),
            _ => SpPick::SpUnknown,
        };
    };
    let levels = || {
        entries
            .iter()
            .flat_map(|e| e.branches.iter().filter_map(|b| b.0))
    };
    let chosen = if levels().any(|l| l == sp.level) {
        Some(sp.level)
    } else {
        levels().filter(|l| *l < sp.level).max()
    };
    let mut cands: Vec<(u8, Option<BranchKind>, Version)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(v) = e.version else { continue };
        for b in &e.branches {
            if (b.0.is_none() || b.0 == chosen)
                && !cands.iter().any(|c| c.0 == i as u8 && c.1 == b.1)
            {
                cands.push((i as u8, b.1, v));
            }
        }
    }
    if cands.is_empty() {
        SpPick::NotForSp
    } else {
        SpPick::Candidates(cands)
    }
}

/// Which entry a machine's file is compared with.
enum Pick {
    Entry(u8, Option<BranchKind>),
    /// GDR/QFE cannot be told.
    Ambiguous(u8),
}

/// GDR or QFE, among the candidates of the machine's service pack: the
/// inventory's `branch` for the file, when given. Otherwise the installed
/// version decides where it can: at or above every candidate it is fixed
/// on either branch, below every candidate it is unfixed on either; in
/// between, it belongs to the branch whose fixed version shares its
/// major.minor.build and revision block (Vista on: GDR 16xxx/18xxx, LDR
/// 20xxx/22xxx). If that does not decide (XP/2003 builds share one
/// numbering), the branch is unknown.
fn pick_branch(cands: &[(u8, Option<BranchKind>, Version)], have: &FileFact) -> Pick {
    if let Some(kind) = have.branch {
        if let Some(c) = cands.iter().find(|c| c.1 == Some(kind)) {
            return Pick::Entry(c.0, c.1);
        }
    }
    let mut lo = cands[0];
    let mut hi = cands[0];
    for c in &cands[1..] {
        if c.2 < lo.2 {
            lo = *c;
        }
        if c.2 >= hi.2 {
            hi = *c;
        }
    }
    if lo.2 == hi.2 {
        return Pick::Entry(hi.0, if cands.len() == 1 { hi.1 } else { None });
    }
    if have.version >= hi.2 {
        return Pick::Entry(hi.0, hi.1);
    }
    if have.version < lo.2 {
        return Pick::Entry(lo.0, lo.1);
    }
    let same = |v: Version| {
        v.same_build(&have.version) && v.revision_block() == have.version.revision_block()
    };
    match (same(lo.2), same(hi.2)) {
        (true, false) => Pick::Entry(lo.0, lo.1),
        (false, true) => Pick::Entry(hi.0, hi.1),
        _ => Pick::Ambiguous(hi.0),
    }
}

/// Whether a machine's build `have` can be compared with a fixed build: an
/// OS build within its release (10.0.14393.x), a product's build
/// (Office 16.0.4534.1000) within its version.
pub(crate) fn comparable(t: &Target, have: &Version, fixed: &Version) -> bool {
    if t.apps.is_empty() {
        have.same_build(fixed)
    } else {
        have.parts()[..2] == fixed.parts()[..2]
    }
}

/// The evidence for one matched target on one machine: one reason, whose
/// rule says the status.
fn evaluate<F: Facts + ?Sized>(
    c: &Compiled,
    plan: &ProfilePlan,
    alert: u32,
    e: &FlatTarget,
    f: &F,
) -> Reason {
    let mut r = Reason::new(alert, Rule::NoData);
    r.target = e.target;
    let files = slice(&plan.files, e.files);

    if e.gate != Gate::Open {
        let files_there = files.iter().any(|x| f.file(x.id).is_some());
        if !files_there {
            r.rule = if e.gate == Gate::AbsentUnlessFiles {
                Rule::ComponentAbsent
            } else {
                Rule::ComponentUnknown
            };
            return r;
        }
    }
    if e.no_fix {
        r.rule = Rule::VendorNoFix;
        return r;
    }
    if e.wrong_arch {
        r.rule = Rule::ArchNoPackage;
        return r;
    }

    // What the registry and the update list say: asked only once the
    // files leave it open (an older file, or none of them there), since
    // most evaluations end at a current file.
    let said = || {
        let key = slice(&plan.ids, e.keys)
            .iter()
            .position(|&id| f.has_key(id));
        let kb = slice(&plan.ids, e.kbs)
            .iter()
            .copied()
            .find(|&k| f.has_kb(k));
        (key, kb)
    };
    let said_installed = |r: &mut Reason, (key, kb): (Option<usize>, Option<u32>)| match (key, kb) {
        (Some(k), _) => r.set_via(ViaKind::Key, k as u32),
        (None, Some(k)) => r.set_via(ViaKind::Kb, k),
        _ => {}
    };

    // Files.
    if !files.is_empty() {
        let mut older: Option<Reason> = None;
        let mut undecided: Option<Reason> = None;
        let mut current: Option<Reason> = None;
        for x in files {
            let Some(have) = f.file(x.id) else {
                continue;
            };
            let mut y = r;
            y.file = x.file;
            let cands = match x.pick {
                1 => continue,
                2 => {
                    y.rule = Rule::ServicePackUnknown;
                    y.entry = 0;
                    undecided.get_or_insert(y);
                    continue;
                }
                _ => slice(&plan.cands, x.cands),
            };
            if cands.is_empty() {
                continue;
            }
            let (entry, need) = match pick_branch(cands, have) {
                Pick::Ambiguous(en) => {
                    y.rule = Rule::BranchAmbiguous;
                    y.entry = en;
                    undecided.get_or_insert(y);
                    continue;
                }
                Pick::Entry(en, kind) => {
                    y.entry = en;
                    y.set_branch(kind);
                    let need = cands
                        .iter()
                        .find(|c| c.0 == en)
                        .map(|c| c.2)
                        .unwrap_or(have.version);
                    (en, need)
                }
            };
            let is_current = match have.version.cmp(&need) {
                std::cmp::Ordering::Greater => Some(true),
                std::cmp::Ordering::Less => Some(false),
                std::cmp::Ordering::Equal => {
                    // Rare: a fix that kept the version number; only the
                    // size tells.
                    let a = &c.alerts[alert as usize];
                    let fe = a.targets[e.target as usize]
                        .package
                        .and_then(|p| a.packages.get(p as usize))
                        .and_then(|p| p.files.get(x.file as usize))
                        .and_then(|fr| fr.entries.get(entry as usize));
                    match (fe.and_then(|e| e.pre_fix_size), have.size) {
                        (None, _) => Some(true),
                        (Some(_), Some(size)) if Some(size) == fe.and_then(|e| e.size) => {
                            Some(true)
                        }
                        (Some(pre), Some(size)) if size == pre => Some(false),
                        (Some(_), _) => None,
                    }
                }
            };
            match is_current {
                Some(true) => {
                    y.rule = Rule::FileCurrent;
                    current.get_or_insert(y);
                }
                Some(false) => {
                    y.rule = Rule::FileOlder;
                    older.get_or_insert(y);
                }
                None => {
                    y.rule = Rule::SizeNeeded;
                    y.via = have
                        .size
                        .map_or(NONE32, |s| s.min(u32::MAX as u64 - 1) as u32);
                    undecided.get_or_insert(y);
                }
            }
        }
        if let Some(mut y) = older {
            let (key, kb) = said();
            if key.is_some() || kb.is_some() {
                y.rule = Rule::FileOlderRegistry;
                said_installed(&mut y, (key, kb));
            }
            return y;
        }
        if let Some(y) = undecided {
            return y;
        }
        if let Some(y) = current {
            return y;
        }
    }

    let (key, kb) = said();
    // Builds (vendor data).
    if e.builds {
        let t = &c.alerts[alert as usize].targets[e.target as usize];
        if let Some(have) = build_on(t, f.machine()) {
            let fixed = t
                .fixes
                .iter()
                .filter_map(|fx| fx.fixed_build)
                .filter(|b| comparable(t, &have, b))
                .min();
            if let Some(fixed) = fixed {
                if have >= fixed {
                    r.rule = Rule::BuildCurrent;
                } else if kb.is_some() {
                    r.rule = Rule::BuildOlderKb;
                    said_installed(&mut r, (key, kb));
                } else {
                    r.rule = Rule::BuildOlder;
                }
                return r;
            }
        }
    }

    if key.is_some() {
        r.rule = Rule::RegistryKey;
        said_installed(&mut r, (key, kb));
        return r;
    }
    if kb.is_some() {
        r.rule = Rule::KbInstalled;
        said_installed(&mut r, (key, kb));
        return r;
    }
    let m = f.machine();
    r.rule = if m.updates.is_some() || m.registry_keys.is_some() {
        Rule::NotFound
    } else {
        Rule::NoData
    };
    r
}

/// The build of what target `t` is about on `m`: the OS's, or that of the
/// installed product the target's application covers.
pub(crate) fn build_on(t: &Target, m: &Machine) -> Option<Version> {
    if t.apps.is_empty() {
        m.os_build
    } else {
        m.products
            .iter()
            .find(|p| t.apps[0].covers(&p.product))
            .and_then(|p| p.build)
    }
}

pub use crate::report::ViaKind;

// ── Supersedence ─────────────────────────────────────────────────────────

/// Per-thread scratch for one machine at a time: what its first pass
/// leaves for the supersedence search, and for that search which alerts
/// are installed on it and what was already found out about a node
/// (stamped with the machine's number, so nothing is cleared between
/// machines).
pub struct Scratch {
    now: u32,
    installed: Vec<u32>,
    memo_stamp: Vec<u32>,
    memo: Vec<u32>,
    pending: Pending,
}

/// What a machine's first pass leaves for the supersedence search, and
/// what that search changed.
#[derive(Debug, Default)]
struct Pending {
    /// Reasons that a fix containing theirs may turn into "installed":
    /// (index among the machine's reasons, index into the plan's targets).
    reasons: Vec<(u32, u32)>,
    /// The findings that asked for work before the search: where they
    /// start among the machine's reasons, and their entry.
    to_do: Vec<(u32, ToDo)>,
    /// The reasons the search turned into "superseded", ascending.
    changed: Vec<u32>,
}

impl Scratch {
    pub fn new(nodes: usize) -> Scratch {
        Scratch {
            now: 0,
            installed: vec![0; nodes],
            memo_stamp: vec![0; nodes],
            memo: vec![0; nodes],
            pending: Pending::default(),
        }
    }

    fn next_machine(&mut self) {
        self.now = self.now.wrapping_add(1);
        if self.now == 0 {
            self.installed.iter_mut().for_each(|s| *s = 0);
            self.memo_stamp.iter_mut().for_each(|s| *s = 0);
            self.now = 1;
        }
    }

    /// The installed fix that contains `node` (through one or more
    /// supersedence edges, each holding on `os`), if any. Searches from
    /// `node` towards the fixes that contain it, remembering every node's
    /// answer for this machine: a machine asks about a few dozen fixes
    /// whose chains share their upper parts.
    fn contained<F: Facts + ?Sized>(
        &mut self,
        c: &Compiled,
        f: &F,
        node: u32,
        os: &Product,
        depth: u32,
    ) -> Option<u32> {
        let n = node as usize;
        if self.memo_stamp[n] == self.now {
            return (self.memo[n] != NONE32).then_some(self.memo[n]);
        }
        // Provisional "no": a cycle in the data ends here.
        self.memo_stamp[n] = self.now;
        self.memo[n] = NONE32;
        if depth > 10_000 {
            return None;
        }
        let mut found = None;
        for &(from, scope) in &c.graph.rev[n] {
            if let Some(sc) = scope {
                if !c.graph.scopes[sc as usize].holds(os) {
                    continue;
                }
            }
            if f.has_kb(from) || self.installed[from as usize] == self.now {
                found = Some(from);
                break;
            }
            if let Some(root) = self.contained(c, f, from, os, depth + 1) {
                found = Some(root);
                break;
            }
        }
        self.memo[n] = found.unwrap_or(NONE32);
        found
    }
}

// ── One machine ──────────────────────────────────────────────────────────

/// One machine's reasons, grouped by alert in alert order, before the
/// supersedence search: appended to `out`, with what that search needs in
/// `pending` (see [`Pending`]), and each alert found installed passed to
/// `installed` (its graph node).
///
/// One pass over the plan makes each alert's reasons, and its status on
/// the spot: an alert that evidence made "not applicable" (a component
/// absent and none of its files there) is dropped at once when the report
/// leaves those out, as the plan drops the alerts it already knows are.
/// (The search that follows only turns an unknown or missing alert into an
/// installed one, never into a "not applicable", and the installed marks
/// are all set before it starts, so the order is the one the rules
/// define.) Everything the pass reads is in the plan and the fact tables,
/// laid out for it; the compiled alerts are read only for the rare rules
/// (equal versions, builds).
fn first_pass<F: Facts + ?Sized>(
    c: &Compiled,
    facts: &F,
    plan: &ProfilePlan,
    decided: Option<(&Block, usize)>,
    out: &mut Vec<Reason>,
    pending: &mut Pending,
    mut installed: impl FnMut(u32),
) {
    let base = out.len();
    pending.reasons.clear();
    pending.to_do.clear();
    pending.changed.clear();
    for item in &plan.items {
        let start = out.len();
        let mut status = item.status;
        match item.fixed {
            Some(r) => out.push(r),
            None => {
                let first = item.targets.0;
                for (k, e) in slice(&plan.targets, item.targets).iter().enumerate() {
                    let t = first as usize + k;
                    let r = match decided {
                        Some((b, j)) if b.decided(t, j) => b.reason(t, j),
                        _ => evaluate(c, plan, item.alert, e, facts),
                    };
                    if matches!(r.rule, Rule::NotFound | Rule::NoData) {
                        pending
                            .reasons
                            .push(((out.len() - base) as u32, first + k as u32));
                    }
                    status = status.max(r.rule.status());
                    out.push(r);
                }
            }
        }
        if item.context.1 > 0 {
            out.extend_from_slice(slice(&plan.context, item.context));
        }
        match status {
            Status::Installed => installed(item.node),
            Status::NotApplicable if !plan.include_na => out.truncate(start),
            s if s.asks_for_work() => {
                let e = ToDo::new(item.alert, s, &out[start..]);
                pending.to_do.push(((start - base) as u32, e));
            }
            _ => {}
        }
    }
}

/// Turns reason `ri` of a machine's `reasons` into "superseded", with the
/// installed fix `root` that contains it, and notes it in `changed`.
fn supersede(reasons: &mut [Reason], changed: &mut Vec<u32>, ri: u32, root: u32) {
    if let Some(r) = reasons.get_mut(ri as usize) {
        r.rule = Rule::Superseded;
        r.set_via(ViaKind::Fix, root);
        changed.push(ri);
    }
}

impl Pending {
    /// Appends to `into` the findings that still ask for work among
    /// `reasons` (the machine's) after the search. It only lowers a
    /// status, so it can only take findings off the list; only those with
    /// a changed reason are looked at again.
    fn settle_to_do(&self, reasons: &[Reason], into: &mut Vec<ToDo>) {
        settle_to_do(reasons, &self.to_do, &self.changed, into);
    }
}

/// See [`Pending::settle_to_do`]: the findings of `to_do` (starts among
/// `reasons`, with their entries) still asking for work after the reasons
/// at `changed` (ascending) became "superseded"; a finding with a changed
/// reason gets its entry anew.
fn settle_to_do(reasons: &[Reason], to_do: &[(u32, ToDo)], changed: &[u32], into: &mut Vec<ToDo>) {
    let mut c = 0;
    for (k, &(start, e)) in to_do.iter().enumerate() {
        while changed.get(c).is_some_and(|&p| p < start) {
            c += 1;
        }
        let touched = changed
            .get(c)
            .is_some_and(|&p| to_do.get(k + 1).is_none_or(|&(next, _)| p < next));
        if !touched {
            into.push(e);
            continue;
        }
        let now = (Findings {
            rest: reasons.get(start as usize..).unwrap_or(&[]),
        })
        .next();
        if let Some(f) = now.filter(|f| f.status.asks_for_work()) {
            into.push(ToDo::of(&f));
        }
    }
}

/// One machine's reasons (see [`first_pass`]), the supersedence search
/// done machine by machine: appended to `out`, with its to-do entries
/// appended to `to_do`.
fn check_machine<F: Facts + ?Sized>(
    c: &Compiled,
    facts: &F,
    plan: &ProfilePlan,
    decided: Option<(&Block, usize)>,
    scratch: &mut Scratch,
    out: &mut Vec<Reason>,
    to_do: &mut Vec<ToDo>,
) {
    scratch.next_machine();
    let now = scratch.now;
    let base = out.len();
    let mut pending = std::mem::take(&mut scratch.pending);
    first_pass(c, facts, plan, decided, out, &mut pending, |node| {
        if let Some(s) = scratch.installed.get_mut(node as usize) {
            *s = now;
        }
    });
    let os = &facts.machine().os;
    let mine = &mut out[base..];
    for &(ri, ti) in &pending.reasons {
        let Some(e) = plan.targets.get(ti as usize) else {
            continue;
        };
        let mut via = None;
        for &n in slice(&plan.ids, e.sup) {
            via = scratch.contained(c, facts, n, os, 0);
            if via.is_some() {
                break;
            }
        }
        if let Some(root) = via {
            supersede(mine, &mut pending.changed, ri, root);
        }
    }
    pending.settle_to_do(mine, to_do);
    scratch.pending = pending;
}

// ── Blocks of machines ───────────────────────────────────────────────────

/// The most machines of one profile checked together: one bit each.
const BLOCK: usize = 64;

/// How many parts of the machines each thread of the check takes on
/// average (see [`Checker::check`]). More parts balance the threads
/// better and each costs a little: a reason buffer of its own, and the
/// blocks cut at its ends.
const PARTS_PER_THREAD: usize = 8;

/// Up to 64 machines of one profile, and the reasons that can be decided
/// for all of them at once.
///
/// Most targets a machine is checked against are "simple" (see
/// [`FlatTarget::simple`]) and find none of their package's files on it
/// (an inventory lists the dozen files the machine's last fixes left):
/// then only the registry key and the KB decide, and which machines have
/// those is a bit column per id. So for each simple target the block's
/// machines without its files get their reason from a few word
/// operations: a key found (the first in the target's order), else a KB,
/// else "not found" or "no data" by whether the machine's updates or keys
/// were collected; exactly what [`evaluate`] says for them, which the
/// other machines still go through. The same columns decide, for any
/// target, what comes before the evidence: a component the fix concerns
/// that is absent or not collected (none of the package's files there),
/// and a platform with no fix or no package. Branches on evidence that
/// differs from machine to machine are what a machine-by-machine check
/// spends its time on.
struct Block {
    /// Per id, the block's machines that have it (bit `j`: machine `j`).
    files: Vec<u64>,
    keys: Vec<u64>,
    kbs: Vec<u64>,
    /// The ids set, to clear for the next block: (0 file, 1 key, 2 KB, id).
    touched: Vec<(u8, u32)>,
    /// The decided reasons: machine `j`, target `t` of the plan at
    /// `j * targets + t`, so that a machine reads its own in order.
    pre: Vec<Reason>,
    targets: usize,
    /// Per target, the machines whose reason is decided.
    pre_mask: Vec<u64>,
}

/// The bits of a block's first `n` machines.
fn block_mask(n: usize) -> u64 {
    match n {
        BLOCK => u64::MAX,
        n => (1u64 << n) - 1,
    }
}

/// The bit column of `id`.
#[inline]
fn col(v: &[u64], id: u32) -> u64 {
    v.get(id as usize).copied().unwrap_or(0)
}

impl Block {
    fn new(c: &Compiled) -> Block {
        Block {
            files: vec![0; c.file_names.len()],
            keys: vec![0; c.key_names.len()],
            kbs: vec![0; c.graph.names.len()],
            touched: Vec::new(),
            pre: Vec::new(),
            targets: 0,
            pre_mask: Vec::new(),
        }
    }

    #[inline]
    fn decided(&self, t: usize, j: usize) -> bool {
        self.pre_mask.get(t).is_some_and(|m| m >> j & 1 != 0)
    }

    #[inline]
    fn reason(&self, t: usize, j: usize) -> Reason {
        self.pre[j * self.targets + t]
    }

    /// Fills the columns from the machines' ids and decides what the
    /// columns can decide, for `plan` (the machines' profile's).
    fn decide(&mut self, plan: &ProfilePlan, machines: &[&Machine], bufs: &[MachineBuf]) {
        for (kind, id) in self.touched.drain(..) {
            let v = match kind {
                0 => &mut self.files,
                1 => &mut self.keys,
                _ => &mut self.kbs,
            };
            if let Some(w) = v.get_mut(id as usize) {
                *w = 0;
            }
        }
        fn set(v: &mut [u64], touched: &mut Vec<(u8, u32)>, kind: u8, id: u32, bit: u64) {
            if let Some(w) = v.get_mut(id as usize) {
                if *w == 0 {
                    touched.push((kind, id));
                }
                *w |= bit;
            }
        }
        let mut collected = 0u64;
        for (j, (m, b)) in machines.iter().zip(bufs).enumerate() {
            let bit = 1u64 << j;
            for &(id, _) in &b.ids.files {
                set(&mut self.files, &mut self.touched, 0, id, bit);
            }
            for &id in &b.ids.keys {
                set(&mut self.keys, &mut self.touched, 1, id, bit);
            }
            for &id in &b.ids.kbs {
                set(&mut self.kbs, &mut self.touched, 2, id, bit);
            }
            if m.updates.is_some() || m.registry_keys.is_some() {
                collected |= bit;
            }
        }
        let all = block_mask(machines.len());
        self.targets = plan.targets.len();
        self.pre
            .resize(self.targets * BLOCK, Reason::new(0, Rule::NoData));
        self.pre_mask.clear();
        self.pre_mask.resize(plan.targets.len(), 0);
        for item in &plan.items {
            if item.fixed.is_some() {
                continue;
            }
            let first = item.targets.0 as usize;
            for (k, e) in slice(&plan.targets, item.targets).iter().enumerate() {
                let gated = e.gate != Gate::Open;
                if !(e.simple || gated || e.no_fix || e.wrong_arch) {
                    continue;
                }
                let t = first + k;
                let with_files = slice(&plan.files, e.files)
                    .iter()
                    .fold(0, |acc, x| acc | col(&self.files, x.id));
                let mut base = Reason::new(item.alert, Rule::NoData);
                base.target = e.target;
                let (pre, stride) = (&mut self.pre, self.targets);
                let mut put = |mut hit: u64, rule: Rule, via: Option<(ViaKind, u32)>| {
                    let mut r = base;
                    r.rule = rule;
                    if let Some((kind, v)) = via {
                        r.set_via(kind, v);
                    }
                    while hit != 0 {
                        pre[hit.trailing_zeros() as usize * stride + t] = r;
                        hit &= hit - 1;
                    }
                };
                // In the order `evaluate` asks: the component gate (the
                // package's files stand in for an absent or unknown
                // component), then no fix or no package for the platform,
                // then (simple targets, files absent) the key and the KB.
                let mut open = all;
                if gated {
                    let absent = all & !with_files;
                    let rule = if e.gate == Gate::AbsentUnlessFiles {
                        Rule::ComponentAbsent
                    } else {
                        Rule::ComponentUnknown
                    };
                    put(absent, rule, None);
                    open = with_files;
                }
                let decided = if e.no_fix {
                    put(open, Rule::VendorNoFix, None);
                    all
                } else if e.wrong_arch {
                    put(open, Rule::ArchNoPackage, None);
                    all
                } else if e.simple {
                    all & !with_files
                } else {
                    all & !open
                };
                self.pre_mask[t] = decided;
                if !e.simple {
                    continue;
                }
                let mut left = decided;
                for (pos, &id) in slice(&plan.ids, e.keys).iter().enumerate() {
                    let hit = col(&self.keys, id) & left;
                    left &= !hit;
                    put(hit, Rule::RegistryKey, Some((ViaKind::Key, pos as u32)));
                }
                for &node in slice(&plan.ids, e.kbs) {
                    let hit = col(&self.kbs, node) & left;
                    left &= !hit;
                    put(hit, Rule::KbInstalled, Some((ViaKind::Kb, node)));
                }
                put(left & collected, Rule::NotFound, None);
                put(left & !collected, Rule::NoData, None);
            }
        }
    }
}

/// The supersedence search for a block's machines at once.
///
/// For each node asked about, the block's machines on which it is
/// contained in an installed fix (a KB the machine lists, or an alert
/// found installed on it) and, per machine, that fix: the search of
/// [`Scratch::contained`] with a bit per machine, so each edge is read
/// once per block instead of once per machine. Only used when the graph
/// has no cycle and no chain deeper than that search goes
/// (`Compiled::supersedence_dag`): then what a node's answer is does not
/// depend on what was asked before, and both searches give the same fix.
struct SupBlock {
    /// Per node: the block number when its answer was found, the machines
    /// it is contained on, and where their fixes are in `roots`.
    stamp: Vec<u32>,
    cur: u32,
    found: Vec<u64>,
    slot: Vec<u32>,
    roots: Vec<[u32; BLOCK]>,
    /// Per node: the machines on which its alert was found installed.
    installed: Vec<u64>,
    marked: Vec<u32>,
}

impl SupBlock {
    fn new(nodes: usize) -> SupBlock {
        SupBlock {
            stamp: vec![0; nodes],
            cur: 0,
            found: vec![0; nodes],
            slot: vec![0; nodes],
            roots: Vec::new(),
            installed: vec![0; nodes],
            marked: Vec::new(),
        }
    }

    /// Forgets the previous block.
    fn start(&mut self) {
        self.cur = self.cur.wrapping_add(1);
        if self.cur == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.cur = 1;
        }
        for n in self.marked.drain(..) {
            self.installed[n as usize] = 0;
        }
        self.roots.clear();
    }

    fn mark(&mut self, node: u32, j: usize) {
        if let Some(w) = self.installed.get_mut(node as usize) {
            if *w == 0 {
                self.marked.push(node);
            }
            *w |= 1 << j;
        }
    }

    /// The machines of `all` on which `node` is contained in an installed
    /// fix (through edges that hold on `os`); their fixes are in
    /// `roots[slot[node]]`. `kbs` is the block's KB columns.
    fn contained(&mut self, c: &Compiled, os: &Product, kbs: &[u64], node: u32, all: u64) -> u64 {
        let n = node as usize;
        if self.stamp[n] == self.cur {
            return self.found[n];
        }
        self.stamp[n] = self.cur;
        self.found[n] = 0;
        let slot = self.roots.len();
        self.roots.push([NONE32; BLOCK]);
        self.slot[n] = slot as u32;
        let mut left = all;
        for &(from, scope) in &c.graph.rev[n] {
            if left == 0 {
                break;
            }
            if let Some(sc) = scope {
                if !c.graph.scopes[sc as usize].holds(os) {
                    continue;
                }
            }
            let mut hit = (col(kbs, from) | col(&self.installed, from)) & left;
            left &= !hit;
            while hit != 0 {
                self.roots[slot][hit.trailing_zeros() as usize] = from;
                hit &= hit - 1;
            }
            if left == 0 {
                break;
            }
            let mut sub = self.contained(c, os, kbs, from, all) & left;
            left &= !sub;
            let below = self.slot[from as usize] as usize;
            while sub != 0 {
                let j = sub.trailing_zeros() as usize;
                self.roots[slot][j] = self.roots[below][j];
                sub &= sub - 1;
            }
        }
        self.found[n] = all & !left;
        self.found[n]
    }
}

/// A machine's facts, its place in the chunk and what its first pass left
/// for the supersedence search, while its block is checked.
#[derive(Default)]
struct MachineBuf {
    ids: MachineIds,
    /// Its reasons: `chunk.reasons[base..end]`.
    base: usize,
    end: usize,
    pending: Pending,
}

/// A check thread's scratch space, kept from part to part: each piece is
/// sized by the archive (its nodes, files and keys), and each is reset
/// machine by machine or block by block as it is used.
struct Workspace {
    scratch: Scratch,
    tables: FactTables,
    block: Block,
    sup: SupBlock,
    bufs: Vec<MachineBuf>,
    memo: IdMemo,
}

impl Workspace {
    fn new(c: &Compiled) -> Workspace {
        Workspace {
            scratch: Scratch::new(c.graph.names.len()),
            tables: FactTables::new(c),
            block: Block::new(c),
            sup: SupBlock::new(c.graph.names.len()),
            bufs: (0..BLOCK).map(|_| MachineBuf::default()).collect(),
            memo: IdMemo::default(),
        }
    }
}

/// Checks the machines `part` (positions in `machines`, grouped by
/// profile), block by block: the block's columns decide what they can
/// ([`Block`]), each machine's pass does the rest, then the supersedence
/// search runs for the whole block ([`SupBlock`]) or, if the graph does
/// not allow it, machine by machine. Every reason goes into one chunk,
/// sized beforehand for the most the machines' plans can give.
fn check_run(
    c: &Compiled,
    ws: &mut Workspace,
    machines: &[Machine],
    part: &[usize],
    profile_of: &[u32],
    plans: &[ProfilePlan],
    os_names: &[Arc<str>],
) -> Vec<MachineReport> {
    let Workspace {
        scratch,
        tables,
        block,
        sup,
        bufs,
        memo,
    } = ws;
    let bound: usize = part
        .iter()
        .map(|&mi| plans[profile_of[mi] as usize].max_reasons)
        .sum();
    let mut chunk = Chunk {
        reasons: Vec::with_capacity(bound),
        to_do: Vec::new(),
    };
    type Spans = ((usize, usize), (usize, usize));
    // Per machine: its position, its profile and its spans in the chunk.
    let mut done: Vec<(usize, usize, Spans)> = Vec::with_capacity(part.len());
    let mut i = 0;
    while i < part.len() {
        let p = profile_of[part[i]] as usize;
        let plan = &plans[p];
        let mut end = i + 1;
        while end < part.len() && end - i < BLOCK && profile_of[part[end]] as usize == p {
            end += 1;
        }
        let ids = &part[i..end];
        let ms: Vec<&Machine> = ids.iter().map(|&mi| &machines[mi]).collect();
        i = end;
        for (m, b) in ms.iter().zip(bufs.iter_mut()) {
            b.ids.read(c, m, memo);
        }
        block.decide(plan, &ms, &bufs[..ms.len()]);
        if !c.supersedence_dag {
            for (j, m) in ms.iter().enumerate() {
                let facts = tables.load_ids(m, &bufs[j].ids);
                let (r0, t0) = (chunk.reasons.len(), chunk.to_do.len());
                check_machine(
                    c,
                    &facts,
                    plan,
                    Some((block, j)),
                    scratch,
                    &mut chunk.reasons,
                    &mut chunk.to_do,
                );
                let spans = ((r0, chunk.reasons.len()), (t0, chunk.to_do.len()));
                done.push((ids[j], p, spans));
            }
            continue;
        }
        sup.start();
        for (j, m) in ms.iter().enumerate() {
            let b = &mut bufs[j];
            let facts = tables.load_ids(m, &b.ids);
            b.base = chunk.reasons.len();
            first_pass(
                c,
                &facts,
                plan,
                Some((block, j)),
                &mut chunk.reasons,
                &mut b.pending,
                |node| sup.mark(node, j),
            );
            b.end = chunk.reasons.len();
        }
        let all = block_mask(ms.len());
        let os = &ms[0].os;
        for (j, b) in bufs[..ms.len()].iter_mut().enumerate() {
            let mine = chunk.reasons.get_mut(b.base..b.end).unwrap_or(&mut []);
            let Pending {
                reasons: waiting,
                changed,
                ..
            } = &mut b.pending;
            for &(ri, ti) in waiting.iter() {
                let Some(e) = plan.targets.get(ti as usize) else {
                    continue;
                };
                for &n in slice(&plan.ids, e.sup) {
                    if sup.contained(c, os, &block.kbs, n, all) >> j & 1 != 0 {
                        let root = sup.roots[sup.slot[n as usize] as usize][j];
                        supersede(mine, changed, ri, root);
                        break;
                    }
                }
            }
            let t0 = chunk.to_do.len();
            b.pending.settle_to_do(mine, &mut chunk.to_do);
            done.push((ids[j], p, ((b.base, b.end), (t0, chunk.to_do.len()))));
        }
    }
    let chunk = Arc::new(chunk);
    done.into_iter()
        .map(|(mi, p, spans)| {
            MachineReport::in_chunk(
                (&machines[mi], mi),
                os_names[p].clone(),
                chunk.clone(),
                spans,
            )
        })
        .collect()
}

/// Checks one machine against a plan made for it alone (with
/// [`plan_alert`] for every alert): the path a reference implementation
/// takes.
pub fn check_one<F: Facts + ?Sized>(
    c: &Compiled,
    m: &Machine,
    facts: &F,
    plan: &ProfilePlan,
    scratch: &mut Scratch,
) -> MachineReport {
    let mut chunk = Chunk {
        reasons: Vec::new(),
        to_do: Vec::new(),
    };
    check_machine(
        c,
        facts,
        plan,
        None,
        scratch,
        &mut chunk.reasons,
        &mut chunk.to_do,
    );
    let spans = ((0, chunk.reasons.len()), (0, chunk.to_do.len()));
    MachineReport::in_chunk((m, 0), Arc::from(m.os_display()), Arc::new(chunk), spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{parse_json, Machine};
    use crate::report::NONE16;
    use serde_json::json;

    /// Alerts on Windows 2000 SP3/SP4, each with one file, a registry key
    /// and a KB, each containing the one before (`cycle`: the first also
    /// contains the last).
    fn chain(n: usize, cycle: bool) -> Vec<hfr_model::Alert> {
        (0..n)
            .map(|i| {
                let kb = 800_001 + i;
                let platforms = "Windows 2000 SP3/SP4";
                let prev = if i > 0 {
                    Some(i - 1)
                } else if cycle {
                    Some(n - 1)
                } else {
                    None
                };
                let supersedes: Vec<_> = prev
                    .map(|p| json!({"id": format!("MS02-{:03}", p + 1)}))
                    .into_iter()
                    .collect();
                serde_json::from_value(json!({
                    "id": format!("MS02-{:03}", i + 1), "severity": 2, "title": format!("alert {i}"),
                    "kbs": [kb.to_string()],
                    "affected": [{"software": "Windows 2000", "platforms": platforms}],
                    "packages": [{"platform": platforms, "file": format!("Windows2000-KB{kb}-x86-JPN.exe"),
                        "files": [{"path": "%SystemRoot%\\system32\\", "name": format!("f{}.dll", i % 3),
                                   "version": format!("5.0.2195.{}", 1000 + i), "description": "Core"}]}],
                    "verification": [{"platforms": platforms,
                        "registry_key": format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP9\\KB{kb}\\Filelist"),
                        "check": {"kind": "file_list"}}],
                    "supersedes": supersedes,
                }))
                .expect("an alert")
            })
            .collect()
    }

    /// Machines of two profiles with every mix of KBs, keys and file
    /// versions (some collect nothing), more than a block of each.
    fn fleet(n_alerts: usize) -> Vec<Machine> {
        fleet_of(n_alerts, 150)
    }

    fn fleet_of(n_alerts: usize, n_machines: usize) -> Vec<Machine> {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let records: Vec<_> = (0..n_machines)
            .map(|i| {
                let r = next();
                let kbs: Vec<String> = (0..n_alerts)
                    .filter(|a| r >> a & 1 != 0)
                    .map(|a| format!("KB{}", 800_001 + a))
                    .collect();
                let keys: Vec<String> = (0..n_alerts)
                    .filter(|a| r >> (a + 16) & 3 == 0)
                    .map(|a| format!("HKLM\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP9\\KB{}", 800_001 + a))
                    .collect();
                let files: Vec<_> = (0..3)
                    .filter(|f| r >> (f + 40) & 1 != 0)
                    .map(|f| json!({"name": format!("f{f}.dll"), "version": format!("5.0.2195.{}", 998 + (r >> (f * 3 + 44) & 7))}))
                    .collect();
                let mut m = json!({"name": format!("M{i}"), "os": "Windows 2000 Server",
                    "service_pack": if i % 2 == 0 { "SP4" } else { "SP3" }});
                if r >> 60 != 0 {
                    m["updates"] = json!(kbs);
                    m["registry_keys"] = json!(keys);
                    m["files"] = json!(files);
                }
                m
            })
            .collect();
        let doc = json!({ "machines": records });
        let parsed = parse_json(doc.to_string().as_bytes()).expect("an inventory");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        parsed.machines
    }

    /// The reasons of the path a reference implementation takes: a plan
    /// made for each machine alone, facts by string.
    fn one_by_one(c: &Compiled, machines: &[Machine]) -> Vec<Vec<Reason>> {
        let mut scratch = Scratch::new(c.graph.names.len());
        let mut tables = FactTables::new(c);
        machines
            .iter()
            .map(|m| {
                let plan = ProfilePlan::new(
                    c,
                    (0..c.alerts.len())
                        .filter_map(|a| plan_alert(c, a, m, false))
                        .collect(),
                );
                let facts = tables.load(c, m);
                let report = check_one(c, m, &facts, &plan, &mut scratch);
                to_do_is_the_scan(&report);
                report.reasons().to_vec()
            })
            .collect()
    }

    /// After the supersedence search, a to-do finding with a changed
    /// reason gets its entry anew (or leaves the list); the others keep
    /// theirs.
    #[test]
    fn settled_to_do_entries_follow_the_changed_reasons() {
        let r = |alert: u32, rule: Rule, target: u16| {
            let mut r = Reason::new(alert, rule);
            r.target = target;
            r
        };
        let mut reasons = vec![
            r(1, Rule::NotFound, 0),
            r(1, Rule::VendorNoFix, 1),
            r(2, Rule::NotFound, 0),
            r(3, Rule::FileOlder, 2),
        ];
        let entry = |at: usize| {
            let f = Findings {
                rest: &reasons[at..],
            }
            .next()
            .map(|f| ToDo::of(&f));
            (at as u32, f.expect("a finding"))
        };
        let before = vec![entry(0), entry(2), entry(3)];
        assert_eq!(before[0].1.status, Status::Missing);
        assert_eq!(before[0].1.target, NONE16);
        let mut changed = Vec::new();
        supersede(&mut reasons, &mut changed, 0, 7);
        supersede(&mut reasons, &mut changed, 2, 7);
        let mut into = Vec::new();
        settle_to_do(&reasons, &before, &changed, &mut into);
        let want = vec![
            ToDo {
                alert: 1,
                target: NONE16,
                status: Status::NoFixUpgrade,
            },
            ToDo {
                alert: 3,
                target: 2,
                status: Status::Missing,
            },
        ];
        assert_eq!(into, want);
    }

    /// The to-do list kept while checking is what a scan of the findings
    /// gives: the alert, the status (after the supersedence search) and
    /// the one reason's target.
    fn to_do_is_the_scan(m: &MachineReport) {
        let scan: Vec<ToDo> = m
            .findings()
            .filter(|f| f.status.asks_for_work())
            .map(|f| ToDo::of(&f))
            .collect();
        assert_eq!(m.to_do_entries(), &scan[..], "{}", m.name);
        let kept: Vec<(u32, Status)> = m.to_do().map(|f| (f.alert, f.status)).collect();
        let statuses: Vec<(u32, Status)> = scan.iter().map(|e| (e.alert, e.status)).collect();
        assert_eq!(kept, statuses, "{}", m.name);
    }

    fn checked(c: Compiled, machines: &[Machine]) -> Vec<Vec<Reason>> {
        checked_on(c, machines, 0)
    }

    fn checked_on(c: Compiled, machines: &[Machine], threads: usize) -> Vec<Vec<Reason>> {
        let checker = Checker {
            compiled: Arc::new(c),
        };
        checker
            .check(
                machines.to_vec(),
                &Options {
                    threads,
                    ..Options::default()
                },
            )
            .machines
            .into_iter()
            .map(|m| {
                to_do_is_the_scan(&m);
                m.reasons().to_vec()
            })
            .collect()
    }

    /// Checked in blocks, with the supersedence search for a whole block
    /// or machine by machine (the way a graph with a cycle is searched),
    /// the reasons are the same as one machine at a time.
    #[test]
    fn blocks_and_machines_agree() {
        let alerts = chain(12, false);
        let machines = fleet(12);
        let c = Compiled::new(&alerts);
        assert!(c.supersedence_dag);
        let want = one_by_one(&c, &machines);
        let superseded = want
            .iter()
            .flatten()
            .filter(|r| r.rule == Rule::Superseded)
            .count();
        assert!(superseded > 50, "{superseded}");
        assert_eq!(checked(c, &machines), want);
        let mut c = Compiled::new(&alerts);
        c.supersedence_dag = false;
        assert_eq!(checked(c, &machines), want);

        let alerts = chain(12, true);
        let c = Compiled::new(&alerts);
        assert!(!c.supersedence_dag);
        let want = one_by_one(&c, &machines);
        assert_eq!(checked(c, &machines), want);
    }

    /// The version a reason shows is the one the check compared: a file
    /// found older shows a version below the one required, a current one
    /// one at or above it. Also on machines built by hand with their files
    /// unsorted and one listed twice (the check takes the last of a name).
    #[test]
    fn shown_versions_are_the_ones_compared() {
        let alerts = chain(12, false);
        let mut machines = fleet_of(12, 300);
        let ancient = Version::parse("5.0.2195.1").expect("a version");
        let mut doubled = 0;
        for m in machines.iter_mut().step_by(3) {
            if let Some(fs) = m.files.as_mut().filter(|fs| !fs.is_empty()) {
                fs.reverse();
                let mut again = fs[fs.len() - 1].clone();
                again.version = ancient;
                fs.push(again);
                doubled += 1;
            }
        }
        assert!(doubled > 50, "{doubled}");
        let report = Checker::new(&alerts).check(
            machines,
            &Options {
                threads: 1,
                ..Options::default()
            },
        );
        let (mut older, mut current) = (0, 0);
        for m in &report.machines {
            for r in m.reasons() {
                let v = report.reason_view(m, r);
                let figure = |s: &Option<String>| s.as_deref().and_then(Version::parse);
                let (Some(found), Some(required)) = (figure(&v.found), figure(&v.required)) else {
                    assert!(
                        !matches!(r.rule, Rule::FileCurrent | Rule::FileOlder),
                        "{v:?}"
                    );
                    continue;
                };
                match r.rule {
                    Rule::FileCurrent => {
                        assert!(found >= required, "{}: {v:?}", m.name);
                        current += 1;
                    }
                    Rule::FileOlder | Rule::FileOlderRegistry => {
                        assert!(found < required, "{}: {v:?}", m.name);
                        older += 1;
                    }
                    _ => {}
                }
            }
        }
        assert!(older > 100 && current > 100, "{older} {current}");
    }

    /// A fleet large enough to be cut into several parts, checked on one
    /// to four threads (each taking the next part free): the reasons are
    /// the same as one machine at a time, in inventory order.
    #[test]
    fn parts_and_threads_do_not_change_the_answer() {
        let alerts = chain(12, false);
        let machines = fleet_of(12, 1_500);
        let want = one_by_one(&Compiled::new(&alerts), &machines);
        for threads in [1, 2, 3, 4] {
            assert!(
                checked_on(Compiled::new(&alerts), &machines, threads) == want,
                "{threads} threads"
            );
        }
    }
}
