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
//! (file names, keys and KBs interned when the archive was compiled), in
//! sorted arrays.
//!
//! The building blocks are public ([`plan_alert`], [`evaluate`],
//! [`Facts`]) so that a reference implementation without any of this
//! (bench/fleet) applies the very same rules machine by machine, alert by
//! alert, and both can be compared.

use std::sync::Arc;

use hfr_model::catalogue::{Arch, Kind, Product, ServicePack, BASES};

use crate::inventory::{BranchKind, FileFact, Machine};
use crate::report::{MachineReport, Reason, Report, Rule, Status, NONE32};
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

    /// Checks every machine against every alert.
    pub fn check(&self, machines: &[Machine], opts: &Options) -> Report {
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

        let threads = match opts.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .clamp(1, 64);

        // 2. One plan per profile.
        let plans: Vec<ProfilePlan> = par_map(&profiles, threads, |&rep| {
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
        let mut order: Vec<usize> = (0..machines.len()).collect();
        order.sort_by_key(|&i| profile_of[i]);
        let reports: Vec<MachineReport> = par_map_with(
            &order,
            threads,
            || (Scratch::new(c.graph.names.len()), FactTables::new(c)),
            |(scratch, tables), &i| {
                let m = &machines[i];
                let facts = tables.load(c, m);
                let p = profile_of[i] as usize;
                check_machine(c, m, &facts, &plans[p], os_names[p].clone(), scratch)
            },
        );
        let mut slots: Vec<Option<MachineReport>> = (0..machines.len()).map(|_| None).collect();
        for (r, &i) in reports.into_iter().zip(&order) {
            slots[i] = Some(r);
        }
        let reports: Vec<MachineReport> = slots.into_iter().flatten().collect();
        if std::env::var_os("HFR_FLEET_TIMING").is_some() {
            eprintln!(
                "profiles+plans {:?} ({} profiles), machines {:?}",
                t1 - t0,
                profiles.len(),
                t1.elapsed()
            );
        }

        let mut report = Report::new(self.compiled.clone(), reports, opts.include_not_applicable);
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
}

#[derive(Debug)]
struct FlatItem {
    /// `Some`: the same reason for every machine; `None`: evaluate.
    fixed: Option<Reason>,
    alert: u32,
    targets: (u32, u16),
    context: (u32, u16),
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
                            keys,
                            kbs,
                            files,
                        });
                    }
                    (None, (start, n))
                }
            };
            p.items.push(FlatItem {
                fixed,
                alert: it.alert,
                targets,
                context: ctx,
            });
        }
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
/// registry keys, KB nodes): entry `id` holds the number of the machine
/// that last set it. Setting a machine's facts writes a few dozen entries;
/// each question the rules ask is then one array read, instead of a
/// binary search whose branches the CPU cannot predict.
pub struct FactTables {
    now: u32,
    file_stamp: Vec<u32>,
    file_slot: Vec<u32>,
    key_stamp: Vec<u32>,
    kb_stamp: Vec<u32>,
}

impl FactTables {
    pub fn new(c: &Compiled) -> FactTables {
        FactTables {
            now: 0,
            file_stamp: vec![0; c.file_names.len()],
            file_slot: vec![0; c.file_names.len()],
            key_stamp: vec![0; c.key_names.len()],
            kb_stamp: vec![0; c.graph.names.len()],
        }
    }

    /// Loads a machine's facts; facts the archive never mentions are
    /// dropped.
    pub fn load<'a>(&'a mut self, c: &Compiled, m: &'a Machine) -> IndexedFacts<'a> {
        self.now = self.now.wrapping_add(1);
        if self.now == 0 {
            for v in [
                &mut self.file_stamp,
                &mut self.key_stamp,
                &mut self.kb_stamp,
            ] {
                v.iter_mut().for_each(|x| *x = 0);
            }
            self.now = 1;
        }
        let now = self.now;
        for (i, f) in m.files.iter().flatten().enumerate() {
            if let Some(&id) = c.file_ids.get(&f.name) {
                self.file_stamp[id as usize] = now;
                self.file_slot[id as usize] = i as u32;
            }
        }
        for k in m.registry_keys.iter().flatten() {
            if let Some(&id) = c.key_ids.get(k) {
                self.key_stamp[id as usize] = now;
            }
        }
        for k in m.updates.iter().flatten() {
            if let Some(&id) = c.graph.kbs.get(k) {
                self.kb_stamp[id as usize] = now;
            }
        }
        IndexedFacts { m, t: self }
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
        let i = id as usize;
        if self.t.file_stamp.get(i) != Some(&self.t.now) {
            return None;
        }
        self.m.files.as_ref()?.get(self.t.file_slot[i] as usize)
    }
    #[inline]
    fn has_key(&self, id: u32) -> bool {
        self.t.key_stamp.get(id as usize) == Some(&self.t.now)
    }
    #[inline]
    fn has_kb(&self, node: u32) -> bool {
        self.t.kb_stamp.get(node as usize) == Some(&self.t.now)
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

    let key = slice(&plan.ids, e.keys)
        .iter()
        .position(|&id| f.has_key(id));
    let kb = slice(&plan.ids, e.kbs)
        .iter()
        .copied()
        .find(|&k| f.has_kb(k));
    let said_installed = |r: &mut Reason| match (key, kb) {
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
            y.set_found(Some(have.version));
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
            if key.is_some() || kb.is_some() {
                y.rule = Rule::FileOlderRegistry;
                said_installed(&mut y);
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

    // Builds (vendor data).
    if e.builds {
        let m = f.machine();
        let t = &c.alerts[alert as usize].targets[e.target as usize];
        let have = if t.apps.is_empty() {
            m.os_build
        } else {
            m.products
                .iter()
                .find(|p| t.apps[0].covers(&p.product))
                .and_then(|p| p.build)
        };
        if let Some(have) = have {
            let fixed = t
                .fixes
                .iter()
                .filter_map(|fx| fx.fixed_build)
                .filter(|b| comparable(t, &have, b))
                .min();
            if let Some(fixed) = fixed {
                r.set_found(Some(have));
                if have >= fixed {
                    r.rule = Rule::BuildCurrent;
                } else if kb.is_some() {
                    r.rule = Rule::BuildOlderKb;
                    said_installed(&mut r);
                } else {
                    r.rule = Rule::BuildOlder;
                }
                return r;
            }
        }
    }

    if key.is_some() {
        r.rule = Rule::RegistryKey;
        said_installed(&mut r);
        return r;
    }
    if kb.is_some() {
        r.rule = Rule::KbInstalled;
        said_installed(&mut r);
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

pub use crate::report::ViaKind;

// ── Supersedence ─────────────────────────────────────────────────────────

/// Per-thread scratch for the supersedence search: which alerts are
/// installed on the current machine, and what was already found out about
/// a node (stamped with the machine's number, so nothing is cleared
/// between machines).
pub struct Scratch {
    now: u32,
    installed: Vec<u32>,
    memo_stamp: Vec<u32>,
    memo: Vec<u32>,
}

impl Scratch {
    pub fn new(nodes: usize) -> Scratch {
        Scratch {
            now: 0,
            installed: vec![0; nodes],
            memo_stamp: vec![0; nodes],
            memo: vec![0; nodes],
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

/// Upgrades "not found" / "no data" reasons to "contained in an installed
/// fix" where the supersedence graph says so. `reasons` are one machine's,
/// grouped by alert.
pub fn apply_supersedence<F: Facts + ?Sized>(
    c: &Compiled,
    f: &F,
    reasons: &mut [Reason],
    scratch: &mut Scratch,
) {
    let needs = |r: &Reason| matches!(r.rule, Rule::NotFound | Rule::NoData);
    if !reasons.iter().any(needs) {
        return;
    }
    scratch.next_machine();
    let now = scratch.now;
    let mut i = 0;
    while i < reasons.len() {
        let a = reasons[i].alert;
        let len = reasons[i..].iter().take_while(|r| r.alert == a).count();
        if Status::of_reasons(&reasons[i..i + len]) == Status::Installed {
            scratch.installed[c.alerts[a as usize].node as usize] = now;
        }
        i += len;
    }
    let os = &f.machine().os;
    for r in reasons.iter_mut() {
        if !needs(r) {
            continue;
        }
        let a = &c.alerts[r.alert as usize];
        let Some(t) = a.targets.get(r.target as usize) else {
            continue;
        };
        let mut via = None;
        for &n in t.kbs.iter().chain(std::iter::once(&a.node)) {
            via = scratch.contained(c, f, n, os, 0);
            if via.is_some() {
                break;
            }
        }
        if let Some(root) = via {
            r.rule = Rule::Superseded;
            r.set_via(ViaKind::Fix, root);
        }
    }
}

// ── One machine ──────────────────────────────────────────────────────────

fn check_machine<F: Facts + ?Sized>(
    c: &Compiled,
    m: &Machine,
    facts: &F,
    plan: &ProfilePlan,
    os: Arc<str>,
    scratch: &mut Scratch,
) -> MachineReport {
    let mut reasons: Vec<Reason> = Vec::with_capacity(plan.items.len() + plan.context.len());
    for item in &plan.items {
        match item.fixed {
            Some(r) => reasons.push(r),
            None => {
                for e in slice(&plan.targets, item.targets) {
                    reasons.push(evaluate(c, plan, item.alert, e, facts));
                }
            }
        }
        reasons.extend_from_slice(slice(&plan.context, item.context));
    }
    apply_supersedence(c, facts, &mut reasons, scratch);
    if !plan.include_na
        && reasons
            .iter()
            .any(|r| r.rule.status() == Status::NotApplicable)
    {
        // Evidence can make a planned finding "not applicable" (the
        // component is absent and none of its files are there): drop
        // those runs as the plan drops the alerts it already knows are.
        let mut kept = Vec::with_capacity(reasons.len());
        let mut i = 0;
        while i < reasons.len() {
            let a = reasons[i].alert;
            let len = reasons[i..].iter().take_while(|r| r.alert == a).count();
            let run = &reasons[i..i + len];
            if Status::of_reasons(run) != Status::NotApplicable {
                kept.extend_from_slice(run);
            }
            i += len;
        }
        reasons = kept;
    }
    reasons.shrink_to_fit();
    MachineReport::new(m, os, reasons)
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
    check_machine(c, m, facts, plan, Arc::from(m.os_display()), scratch)
}

/// Wraps machine reports made with [`check_one`] into a report.
pub fn report_from(checker: &Checker, machines: Vec<MachineReport>) -> Report {
    Report::new(checker.compiled.clone(), machines, false)
}

// ── Threads ──────────────────────────────────────────────────────────────

fn par_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    par_map_with(items, threads, || (), |_, x| f(x))
}

/// Maps `items` in order on up to `threads` threads, each with its own
/// state from `init`. Contiguous chunks: machines of one inventory cost
/// about the same, so equal chunks balance well enough.
fn par_map_with<T: Sync, R: Send, S>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len().div_ceil(256)).max(1);
    if threads == 1 {
        let mut s = init();
        return items.iter().map(|x| f(&mut s, x)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let (init, f) = (&init, &f);
                scope.spawn(move || {
                    let mut s = init();
                    part.iter().map(|x| f(&mut s, x)).collect::<Vec<R>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            match h.join() {
                Ok(v) => out.extend(v),
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        out
    })
}
