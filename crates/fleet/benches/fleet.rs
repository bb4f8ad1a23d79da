//! bench/fleet: the fleet check on a generated archive of 2,000 alerts and
//! an inventory of 100,000 machines, against a straightforward reference
//! implementation (every machine against every alert, no profiles, no
//! index, facts looked up by string) in the same run.
//!
//! Run through `bench/fleet/run`, or `cargo bench -p hfr-fleet --bench
//! fleet -- [--alerts N] [--machines N] [--naive N] [--threads N]`.
//!
//! What is generated (deterministically, seed fixed):
//! - alerts in the shape the HotFix pages give: 1-3 affected Windows
//!   bases (2000, XP, Server 2003, Vista, Server 2008, 7, 2008 R2, NT 4.0)
//!   with service-pack lists, a package per base with 1-3 files on GDR/QFE
//!   branch folders as the pages print them (one numbering for XP/2003,
//!   separate GDR/LDR revision blocks from Vista on), a registry key and a
//!   KB each, a component for one alert in five (SMTP, WINS, MSMQ, DNS),
//!   products (Exchange, ISA, SQL Server) for one in seven, earlier fixes
//!   contained in one in three, measured rollout minutes; and one in ten
//!   as Microsoft's monthly data for Windows 10 (fixed build per release,
//!   KB superseding last month's);
//! - machines of about 200 profiles (edition, service pack, products,
//!   components), each with the updates, registry keys and file versions
//!   of some 25 of the alerts that concern it: most installed, some
//!   missing, some undone (key present, file older), some unknown.
//!
//! The reference's time is measured on the first `--naive` machines
//! (default 2,000) and scaled to the whole inventory; its answers must
//! equal the indexed check's for those machines.
//!
//! Each step is printed with its wall time and the CPU time of all the
//! process's threads (from /proc/self/stat): the machine the bench runs on
//! is shared, and the CPU time is the figure other work on the cores
//! disturbs least.

use std::fmt::Write as _;
use std::time::Instant;

use hfr_fleet::engine::{self, Facts, ProfilePlan, Scratch};
use hfr_fleet::inventory::{FileRecord, MachineRecord, ProductRecord, Role};
use hfr_fleet::rules::Compiled;
use hfr_fleet::{Checker, Inventory, Machine, Options};
use hfr_model::catalogue::Arch;
use hfr_model::Alert;
use serde_json::json;

// ── Random numbers without a dependency ─────────────────────────────────

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

// ── The platforms ───────────────────────────────────────────────────────

#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// No branch folders (Windows 2000, NT 4.0).
    Plain,
    /// XP/2003: GDR and QFE share one numbering.
    Shared,
    /// Vista on: GDR 18xxx, LDR 22xxx.
    Blocks,
}

struct Base {
    name: &'static str,
    editions: &'static [&'static str],
    sps: &'static [&'static str],
    build: &'static str,
    style: Style,
    server: bool,
}

const BASES: &[Base] = &[
    Base {
        name: "Windows NT Server 4.0",
        editions: &["Windows NT Server 4.0"],
        sps: &["SP6a"],
        build: "4.0.1381",
        style: Style::Plain,
        server: true,
    },
    Base {
        name: "Windows 2000",
        editions: &[
            "Windows 2000 Server",
            "Windows 2000 Advanced Server",
            "Windows 2000 Professional",
        ],
        sps: &["SP3", "SP4"],
        build: "5.0.2195",
        style: Style::Plain,
        server: true,
    },
    Base {
        name: "Windows XP",
        editions: &["Windows XP Professional", "Windows XP Home Edition"],
        sps: &["SP1", "SP2", "SP3"],
        build: "5.1.2600",
        style: Style::Shared,
        server: false,
    },
    Base {
        name: "Windows Server 2003",
        editions: &[
            "Windows Server 2003, Standard Edition",
            "Windows Server 2003, Enterprise Edition",
        ],
        sps: &["SP未適用", "SP1", "SP2"],
        build: "5.2.3790",
        style: Style::Shared,
        server: true,
    },
    Base {
        name: "Windows Vista",
        editions: &["Windows Vista Business", "Windows Vista Enterprise"],
        sps: &["SP1", "SP2"],
        build: "6.0.6001",
        style: Style::Blocks,
        server: false,
    },
    Base {
        name: "Windows Server 2008",
        editions: &[
            "Windows Server 2008 Standard",
            "Windows Server 2008 Enterprise",
        ],
        sps: &["SP1", "SP2"],
        build: "6.0.6002",
        style: Style::Blocks,
        server: true,
    },
    Base {
        name: "Windows 7",
        editions: &["Windows 7 Professional", "Windows 7 Enterprise"],
        sps: &["SP未適用", "SP1"],
        build: "6.1.7601",
        style: Style::Blocks,
        server: false,
    },
    Base {
        name: "Windows Server 2008 R2",
        editions: &[
            "Windows Server 2008 R2 Standard",
            "Windows Server 2008 R2 Enterprise",
        ],
        sps: &["SP未適用", "SP1"],
        build: "6.1.7601",
        style: Style::Blocks,
        server: true,
    },
];

/// Products that have their own alerts: name, service packs, build prefix.
const PRODUCTS: &[(&str, &[&str], &str)] = &[
    (
        "Exchange Server 2003",
        &["SP未適用", "SP1", "SP2"],
        "6.5.7638",
    ),
    ("ISA Server 2000", &["SP1", "SP2"], "3.0.1200"),
    ("SQL Server 2000", &["SP3", "SP4"], "2000.80.2039"),
];

const COMPONENTS: &[(&str, &str)] = &[
    ("smtp", "SMTP Service"),
    ("wins", "WINS SERVER"),
    ("msmq", "Windows NT MQ Queue Manager"),
    ("dns", "DNS Server"),
];

/// Windows 10 releases for the vendor-data alerts: release, build.
const W10: &[(&str, &str)] = &[
    ("1607", "10.0.14393"),
    ("1703", "10.0.15063"),
    ("1709", "10.0.16299"),
];

fn sp_level(sp: &str) -> u8 {
    let t = sp.trim_start_matches("SP");
    t.trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .unwrap_or(0)
}

// ── Generated archive ───────────────────────────────────────────────────

/// What a machine needs to know to fake its state for one alert.
#[derive(Clone)]
struct Fact {
    alert: usize,
    kb: String,
    key: Option<String>,
    /// (file, required version for this SP, size) — per service pack.
    files: Vec<(String, u32)>,
    /// Service packs the package is for.
    sps: Vec<&'static str>,
}

struct Archive {
    alerts: Vec<Alert>,
    /// Base index → facts of its alerts (OS bases), then products.
    by_base: Vec<Vec<Fact>>,
    by_product: Vec<Vec<Fact>>,
    /// Windows 10 release → (KB, revision) per month, oldest first.
    w10_months: Vec<Vec<(String, u32)>>,
}

fn generate_alerts(n: usize, rng: &mut Rng) -> Archive {
    let mut alerts = Vec::with_capacity(n);
    let mut by_base: Vec<Vec<Fact>> = vec![Vec::new(); BASES.len()];
    let mut by_product: Vec<Vec<Fact>> = vec![Vec::new(); PRODUCTS.len()];
    let mut w10_months: Vec<Vec<(String, u32)>> = vec![Vec::new(); W10.len()];
    let mut kb_next = 800_000u32;
    for i in 0..n {
        let id = format!("MS{:02}-{:03}", 2 + i / 500, i % 500 + 1);
        let severity = 1 + rng.below(4) as u8;
        let mut a = json!({
            "id": id, "severity": severity, "exploit_code": rng.chance(0.2),
            "action": *rng.pick(&["apply_now", "apply_soon", "wait_for_sp"]),
            "title": format!("generated alert {i}"),
            "reboot": [{"required": *rng.pick(&["yes", "no", "conditional"])}],
        });
        let mut kbs = Vec::new();
        let mut affected = Vec::new();
        let mut packages = Vec::new();
        let mut verification = Vec::new();
        let mut rollout = Vec::new();
        let mut supersedes = Vec::new();

        if i % 10 == 9 {
            // Vendor data for Windows 10: one KB per release this month.
            let mut products = Vec::new();
            for (ri, (rel, build)) in W10.iter().enumerate() {
                kb_next += 1;
                let kb = kb_next.to_string();
                let rev = 100 + (w10_months[ri].len() as u32) * 40;
                let prev: Vec<String> = w10_months[ri]
                    .last()
                    .map(|(k, _)| format!("KB{k}"))
                    .into_iter()
                    .collect();
                w10_months[ri].push((kb.clone(), rev));
                products.push(json!({
                    "id": format!("{ri}"), "name": format!("Windows 10 Version {rel} for x64-based Systems"),
                    "severity": severity,
                    "remediations": [{"kind": "vendor_fix", "kb": kb, "fixed_build": format!("{build}.{rev}"),
                                      "restart_required": "yes", "supersedes": prev, "sub_type": "Security Update"}]
                }));
                kbs.push(kb);
            }
            a["id"] = json!(format!("CVE-2017-{:04}", i));
            a["release"] = json!("2017-Gen");
            a["products"] = json!(products);
            a["kbs"] = json!(kbs);
            alerts.push(serde_json::from_value(a).expect("alert"));
            continue;
        }

        kb_next += 1;
        let kb = kb_next.to_string();
        kbs.push(kb.clone());
        let component = rng.chance(0.2).then(|| *rng.pick(COMPONENTS));
        let desc = component.map_or("Core component", |c| c.1);
        if rng.chance(1.0 / 7.0) {
            // A product's alert.
            let pi = rng.below(PRODUCTS.len());
            let (pname, sps, build) = PRODUCTS[pi];
            let n_sp = 1 + rng.below(sps.len());
            let start = rng.below(sps.len() - n_sp + 1);
            let listed: Vec<&str> = sps[start..start + n_sp].to_vec();
            let platforms = format!("{pname} {}", listed.join("/"));
            affected.push(json!({"software": pname, "platforms": platforms}));
            let fname = format!("p{}_{}.dll", pi, rng.below(40));
            let rev = 100 + i as u32;
            let file = format!("{pname}-KB{kb}-x86-JPN.exe").replace(' ', "");
            packages.push(json!({"platform": platforms, "file": file, "files": [
                {"path": "%ProgramFiles%\\Product\\", "name": fname, "version": format!("{build}.{rev}"), "description": "Product component"}
            ]}));
            let key = format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\{pname}\\KB{kb}");
            verification.push(json!({"platforms": platforms, "registry_key": key, "check": {"kind": "key_exists"}}));
            rollout.push(json!({"package": file, "minutes": {"50": 20 + rng.below(15), "100": 30 + rng.below(10), "250": 55 + rng.below(10), "500": 95 + rng.below(15)}}));
            by_product[pi].push(Fact {
                alert: i,
                kb: kb.clone(),
                key: Some(key),
                files: vec![(fname, rev)],
                sps: listed,
            });
        } else {
            let n_bases = 1 + rng.below(3);
            let mut chosen: Vec<usize> = Vec::new();
            while chosen.len() < n_bases {
                let b = rng.below(BASES.len());
                if !chosen.contains(&b) {
                    chosen.push(b);
                }
            }
            for &b in &chosen {
                let base = &BASES[b];
                let n_sp = 1 + rng.below(base.sps.len());
                let start = rng.below(base.sps.len() - n_sp + 1);
                let listed: Vec<&'static str> = base.sps[start..start + n_sp].to_vec();
                let platforms = format!("{} {}", base.name, listed.join("/"));
                affected.push(json!({"software": base.name, "platforms": platforms}));
                let n_files = 1 + rng.below(3);
                let mut files = Vec::new();
                let mut fact_files = Vec::new();
                for _ in 0..n_files {
                    let fname = format!("b{b}_{}.dll", rng.below(60));
                    let rev = 1000 + i as u32;
                    for sp in &listed {
                        let lvl = sp_level(sp);
                        let tag = if lvl == 0 {
                            "RTM".to_string()
                        } else {
                            format!("SP{lvl}")
                        };
                        let entries: Vec<(Option<String>, u32)> = match base.style {
                            Style::Plain => vec![(None, rev)],
                            Style::Shared => vec![
                                (Some(format!("{tag}GDR")), rev),
                                (Some(format!("{tag}QFE")), rev),
                            ],
                            Style::Blocks => vec![
                                (Some(format!("{tag}GDR")), 18000 + rev),
                                (Some(format!("{tag}QFE")), 22000 + rev),
                            ],
                        };
                        for (branch, r) in entries {
                            if branch.is_none()
                                && files
                                    .iter()
                                    .any(|f: &serde_json::Value| f["name"] == json!(fname))
                            {
                                continue;
                            }
                            files.push(json!({"branch": branch, "path": "%SystemRoot%\\system32\\", "name": fname,
                                              "version": format!("{}.{r}", base.build), "description": desc}));
                        }
                    }
                    fact_files.push((fname, rev));
                }
                let file = format!("{}-KB{kb}-x86-JPN.exe", base.name.replace(' ', ""));
                packages.push(json!({"platform": platforms, "file": file, "files": files}));
                let key = format!(
                    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\{}\\SP9\\KB{kb}\\Filelist",
                    base.name
                );
                verification.push(json!({"platforms": platforms, "registry_key": key, "check": {"kind": "file_list"}}));
                let a50 = 10 + rng.below(20);
                rollout.push(json!({"package": file, "platform": platforms, "minutes": {
                    "50": a50, "100": a50 + 8 + rng.below(3), "250": a50 + 33 + rng.below(4), "500": a50 + 75 + rng.below(6)}}));
                // Contains an earlier fix for the same base, sometimes.
                if rng.chance(0.33) {
                    if let Some(prev) = by_base[b].last() {
                        let prev_id = alerts_id(&alerts, prev.alert);
                        if !supersedes
                            .iter()
                            .any(|s: &serde_json::Value| s["id"] == json!(prev_id))
                        {
                            supersedes.push(json!({"id": prev_id}));
                        }
                    }
                }
                by_base[b].push(Fact {
                    alert: i,
                    kb: kb.clone(),
                    key: Some(key),
                    files: fact_files,
                    sps: listed,
                });
            }
        }
        a["kbs"] = json!(kbs);
        a["affected"] = json!(affected);
        a["packages"] = json!(packages);
        a["verification"] = json!(verification);
        a["rollout"] = json!(rollout);
        a["supersedes"] = json!(supersedes);
        alerts.push(serde_json::from_value(a).expect("alert"));
    }
    Archive {
        alerts,
        by_base,
        by_product,
        w10_months,
    }
}

fn alerts_id(alerts: &[Alert], i: usize) -> String {
    alerts[i].id.clone()
}

// ── Generated inventory ─────────────────────────────────────────────────

struct Profile {
    os: String,
    sp: Option<&'static str>,
    arch: Arch,
    role: Role,
    base: Option<usize>,
    w10: Option<usize>,
    products: Vec<(usize, &'static str)>,
    components: Vec<&'static str>,
}

fn profiles(rng: &mut Rng, n: usize) -> Vec<Profile> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        if rng.chance(0.15) {
            let ri = rng.below(W10.len());
            out.push(Profile {
                os: format!("Windows 10 Enterprise Version {}", W10[ri].0),
                sp: None,
                arch: Arch::X64,
                role: Role::Client,
                base: None,
                w10: Some(ri),
                products: Vec::new(),
                components: Vec::new(),
            });
            continue;
        }
        let b = rng.below(BASES.len());
        let base = &BASES[b];
        let os = rng.pick(base.editions).to_string();
        let server = base.server && !os.contains("Professional");
        let mut products = Vec::new();
        let mut components = Vec::new();
        if server {
            if rng.chance(0.3) {
                let pi = rng.below(PRODUCTS.len());
                products.push((pi, *rng.pick(PRODUCTS[pi].1)));
            }
            for (c, _) in COMPONENTS {
                if rng.chance(0.25) {
                    components.push(*c);
                }
            }
        } else if rng.chance(0.1) {
            components.push("msmq");
        }
        out.push(Profile {
            os,
            sp: Some(*rng.pick(base.sps)),
            arch: Arch::X86,
            role: if server { Role::Server } else { Role::Client },
            base: Some(b),
            w10: None,
            products,
            components,
        });
    }
    out
}

/// A machine's history with the alerts that concern it, oldest first:
/// most fixes installed (70% listed by KB, a few with their registry
/// key), some missing, some undone (the key stays, the file goes back),
/// some never heard of. The files the archive knows are listed at the
/// version the last installed fix left (up to 12 of them), as an
/// inventory collector would read them.
fn fake_history(
    rng: &mut Rng,
    facts: &[Fact],
    sp: Option<&str>,
    rec: &mut MachineRecord,
    version: &dyn Fn(u32) -> String,
) {
    let updates = rec.updates.get_or_insert_with(Vec::new);
    let keys = rec.registry_keys.get_or_insert_with(Vec::new);
    let mut owned: Vec<(String, u32)> = Vec::new();
    for f in facts {
        if sp.is_some_and(|sp| !f.sps.contains(&sp)) {
            continue;
        }
        match rng.below(100) {
            0..=84 => {
                for (name, rev) in &f.files {
                    upsert(&mut owned, name, *rev, false);
                }
                if rng.chance(0.7) {
                    updates.push(format!("KB{}", f.kb));
                }
                if rng.chance(0.05) {
                    if let Some(k) = &f.key {
                        keys.push(k.clone());
                    }
                }
            }
            85..=94 => {}
            95..=96 => {
                updates.push(format!("KB{}", f.kb));
                if let Some(k) = &f.key {
                    keys.push(k.clone());
                }
                for (name, rev) in &f.files {
                    upsert(&mut owned, name, rev.saturating_sub(1), true);
                }
            }
            _ => {}
        }
    }
    let listed = rec.files.get_or_insert_with(Vec::new);
    let skip = owned.len().saturating_sub(12);
    for (name, rev) in owned.into_iter().skip(skip) {
        listed.push(FileRecord {
            name,
            version: version(rev),
            ..FileRecord::default()
        });
    }
}

fn upsert(v: &mut Vec<(String, u32)>, name: &str, rev: u32, force: bool) {
    match v.iter_mut().find(|f| f.0 == name) {
        Some(f) if force || rev > f.1 => f.1 = rev,
        Some(_) => {}
        None => v.push((name.to_string(), rev)),
    }
}

fn generate_inventory(arch: &Archive, n: usize, rng: &mut Rng) -> Inventory {
    let profs = profiles(rng, 200);
    let mut machines = Vec::with_capacity(n);
    for i in 0..n {
        let p = &profs[rng.below(profs.len())];
        let mut rec = MachineRecord {
            name: format!("M{i:06}"),
            os: p.os.clone(),
            service_pack: p.sp.map(str::to_string),
            arch: Some(p.arch),
            role: Some(p.role),
            components: Some(p.components.iter().map(|c| c.to_string()).collect()),
            products: p
                .products
                .iter()
                .map(|(pi, sp)| ProductRecord::Name(format!("{} {sp}", PRODUCTS[*pi].0)))
                .collect(),
            updates: Some(Vec::new()),
            registry_keys: Some(Vec::new()),
            files: Some(Vec::new()),
            ..MachineRecord::default()
        };
        if let Some(ri) = p.w10 {
            let months = &arch.w10_months[ri];
            if !months.is_empty() {
                let m = rng.below(months.len());
                rec.os_build = Some(format!("{}.{}", W10[ri].1, months[m].1));
                // Half list only the latest KB; the chain does the rest.
                if rng.chance(0.5) {
                    rec.updates = Some(vec![format!("KB{}", months[m].0)]);
                    rec.os_build = None;
                }
            }
        }
        if let Some(b) = p.base {
            let base = &BASES[b];
            let block = match base.style {
                Style::Blocks if rng.chance(0.8) => 18000,
                Style::Blocks => 22000,
                _ => 0,
            };
            let build = base.build;
            fake_history(rng, &arch.by_base[b], p.sp, &mut rec, &|rev| {
                format!("{build}.{}", rev + block)
            });
        }
        for (pi, sp) in &p.products {
            let build = PRODUCTS[*pi].2;
            fake_history(rng, &arch.by_product[*pi], Some(sp), &mut rec, &|rev| {
                format!("{build}.{rev}")
            });
        }
        for v in [&mut rec.updates, &mut rec.registry_keys]
            .into_iter()
            .flatten()
        {
            v.sort();
            v.dedup();
        }
        if rng.chance(0.02) {
            // Some records know nothing but the OS.
            rec.updates = None;
            rec.registry_keys = None;
            rec.files = None;
            rec.components = None;
        }
        machines.push(rec);
    }
    Inventory {
        schema: None,
        collected: Some("bench/fleet generated".into()),
        machines,
    }
}

// ── The reference ───────────────────────────────────────────────────────

/// Facts answered from the machine's strings: sorted-string binary
/// searches, no ids.
struct StringFacts<'m>(&'m Machine, &'m Compiled);

impl Facts for StringFacts<'_> {
    fn machine(&self) -> &Machine {
        self.0
    }
    fn file(&self, id: u32) -> Option<&hfr_fleet::inventory::FileFact> {
        self.0.file(&self.1.file_names[id as usize])
    }
    fn has_key(&self, id: u32) -> bool {
        self.0.has_key(&self.1.key_names[id as usize])
    }
    fn has_kb(&self, node: u32) -> bool {
        self.1
            .graph
            .name(node)
            .strip_prefix("KB")
            .and_then(hfr_fleet::inventory::parse_kb)
            .is_some_and(|kb| self.0.has_update(kb))
    }
}

/// Every machine against every alert: applicability by `covers` on every
/// target of every alert, facts by string.
fn reference(checker: &Checker, machines: &[Machine]) -> Vec<hfr_fleet::report::MachineReport> {
    let c = checker.compiled();
    let mut scratch = Scratch::new(c.graph.names.len());
    machines
        .iter()
        .map(|m| {
            let plan = ProfilePlan::new(
                c,
                (0..c.alerts.len())
                    .filter_map(|a| engine::plan_alert(c, a, m, false))
                    .collect(),
            );
            engine::check_one(c, m, &StringFacts(m, c), &plan, &mut scratch)
        })
        .collect()
}

// ── Main ────────────────────────────────────────────────────────────────

fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU seconds the process has used (user and system, all threads), from
/// /proc/self/stat in clock ticks of 1/100 s. Printed beside each step's
/// wall time: on a shared machine the wall time says how long it took,
/// the CPU time how much work it was.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 1..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The allocator `hfr` has (crates/cli/src/main.rs), so that the figures
/// are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // `HFR_LOG=hfr_fleet::timing=debug` prints the steps inside parse,
    // check and worklist, as it does for `hfr`.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("HFR_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().collect();
    let n_alerts = arg(&args, "--alerts", 2000);
    let n_machines = arg(&args, "--machines", 100_000);
    let n_naive = arg(&args, "--naive", 2000).min(n_machines);
    let threads = arg(&args, "--threads", 0);
    let write_dir = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1))
        .cloned();

    // --from DIR: the data a previous run wrote with --write, read back in
    // a fresh process, so that the peak RSS is the check's own and not the
    // generator's.
    let from_dir = args
        .iter()
        .position(|a| a == "--from")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let t = Instant::now();
    let (alerts, bytes) = match &from_dir {
        Some(dir) => {
            let dir = std::path::Path::new(dir);
            let mut files: Vec<_> = std::fs::read_dir(dir.join("alerts"))
                .expect("alerts dir")
                .map(|e| e.expect("entry").path())
                .collect();
            files.sort();
            let alerts: Vec<Alert> = files
                .iter()
                .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read")).expect("alert"))
                .collect();
            let bytes = std::fs::read(dir.join("inventory.json")).expect("inventory");
            (alerts, bytes)
        }
        None => {
            let mut rng = Rng(0x5EED_F1EE_7000_0001);
            let archive = generate_alerts(n_alerts, &mut rng);
            let inv = generate_inventory(&archive, n_machines, &mut rng);
            let bytes = serde_json::to_vec(&inv).expect("json");
            drop(inv);
            (archive.alerts, bytes)
        }
    };
    let gen_s = t.elapsed().as_secs_f64();
    if let Some(dir) = &write_dir {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir.join("alerts")).expect("mkdir");
        for a in &alerts {
            std::fs::write(
                dir.join("alerts").join(format!("{}.json", a.id)),
                serde_json::to_vec(a).expect("json"),
            )
            .expect("write");
        }
        std::fs::write(dir.join("inventory.json"), &bytes).expect("write");
        if args.iter().any(|a| a == "--write-only") {
            println!(
                "wrote {} alerts and {:.1} MB of inventory to {}",
                alerts.len(),
                bytes.len() as f64 / 1e6,
                dir.display()
            );
            return;
        }
    }
    let rss_before = peak_rss_kib();

    // The check, as `hfr fleet check` does it: parse, compile, check.
    let c0 = cpu_secs();
    let t0 = Instant::now();
    let parsed = hfr_fleet::parse_json(&bytes).expect("inventory");
    let t_parse = t0.elapsed().as_secs_f64();
    let c_parse = cpu_secs() - c0;
    for _ in 0..arg(&args, "--repeat-parse", 0) {
        drop(hfr_fleet::parse_json(&bytes));
    }
    assert!(
        parsed.rejects.is_empty(),
        "{:?}",
        &parsed.rejects[..parsed.rejects.len().min(3)]
    );
    // Shared with the report, which shows reasons with the machines'
    // figures; the reference below reads them too.
    let machines = std::sync::Arc::new(parsed.machines);
    let n_machines = machines.len();
    let n_naive = n_naive.min(n_machines);
    let c1 = cpu_secs();
    let t1 = Instant::now();
    let checker = Checker::new(&alerts);
    let t_compile = t1.elapsed().as_secs_f64();
    let c2 = cpu_secs();
    let c_compile = c2 - c1;
    let t2 = Instant::now();
    let report = checker.check(
        machines.clone(),
        &Options {
            threads,
            ..Options::default()
        },
    );
    let t_check = t2.elapsed().as_secs_f64();
    let c_check = cpu_secs() - c2;
    // For profiling the check alone: run it again (results dropped).
    for _ in 0..arg(&args, "--repeat", 0) {
        drop(checker.check(
            machines.clone(),
            &Options {
                threads,
                ..Options::default()
            },
        ));
    }
    let c3 = cpu_secs();
    let t3 = Instant::now();
    let wl = hfr_fleet::Worklist::new(&report);
    let t_worklist = t3.elapsed().as_secs_f64();
    let total = t0.elapsed().as_secs_f64();
    let c_worklist = cpu_secs() - c3;
    let c_total = c_parse + c_compile + c_check + c_worklist;
    let rss = peak_rss_kib();

    // The reference on the first machines.
    let naive_machines = &machines[..n_naive];
    let t4 = Instant::now();
    let naive = reference(&checker, naive_machines);
    let t_naive = t4.elapsed().as_secs_f64();
    let mut mismatches = 0usize;
    for (i, nm) in naive.iter().enumerate() {
        // The same findings with the same reasons, to the field.
        if report.machines[i].reasons() != nm.reasons() {
            mismatches += 1;
        }
    }
    // The worklist read on one thread is the same.
    let same_worklist = hfr_fleet::Worklist::with_threads(&report, 1) == wl;
    let naive_scaled = if n_naive > 0 {
        t_naive * n_machines as f64 / n_naive as f64
    } else {
        f64::NAN
    };

    let s = report.summary();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "bench/fleet: {} alerts x {} machines ({} threads)",
        alerts.len(),
        n_machines,
        if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        }
    );
    let _ = writeln!(
        out,
        "  {} in {gen_s:.1} s; inventory JSON {:.1} MB",
        if from_dir.is_some() {
            "read from files"
        } else {
            "generated"
        },
        bytes.len() as f64 / 1e6
    );
    let _ = writeln!(
        out,
        "  findings: {}",
        s.pairs
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let reasons: usize = report.machines.iter().map(|m| m.reasons().len()).sum();
    let _ = writeln!(
        out,
        "  reasons: {reasons} ({:.0} MB)",
        (reasons * std::mem::size_of::<hfr_fleet::report::Reason>()) as f64 / 1e6
    );
    let _ = writeln!(
        out,
        "  worklist: {} alerts to deploy, {} with machines to upgrade",
        wl.items.len(),
        wl.upgrades.len()
    );
    let _ = writeln!(out, "indexed check (wall time; CPU time of all threads):");
    let _ = writeln!(
        out,
        "  parse inventory   {:>8.3} s  (CPU {:>6.2} s)",
        t_parse, c_parse
    );
    let _ = writeln!(
        out,
        "  compile archive   {:>8.3} s  (CPU {:>6.2} s)",
        t_compile, c_compile
    );
    let _ = writeln!(
        out,
        "  check             {:>8.3} s  (CPU {:>6.2} s)   {:>10.0} machines/s",
        t_check,
        c_check,
        n_machines as f64 / t_check
    );
    let _ = writeln!(
        out,
        "  worklist          {:>8.3} s  (CPU {:>6.2} s)",
        t_worklist, c_worklist
    );
    let _ = writeln!(
        out,
        "  total             {:>8.3} s  (CPU {:>6.2} s)   {:>10.0} machines/s (parse to worklist)",
        total,
        c_total,
        n_machines as f64 / total
    );
    let _ = writeln!(
        out,
        "  peak RSS          {:>8.0} MiB (after generating: {:.0} MiB)",
        rss.unwrap_or(0) as f64 / 1024.0,
        rss_before.unwrap_or(0) as f64 / 1024.0
    );
    let _ = writeln!(
        out,
        "reference (every machine x every alert, no index, string lookups, 1 thread):"
    );
    let _ = writeln!(
        out,
        "  {} machines in {:.3} s = {:.0} machines/s; for {} machines: {:.1} s",
        n_naive,
        t_naive,
        n_naive as f64 / t_naive.max(1e-9),
        n_machines,
        naive_scaled
    );
    let _ = writeln!(
        out,
        "  same answers: {}",
        if mismatches == 0 {
            "yes".to_string()
        } else {
            format!("NO, {mismatches} machines differ")
        }
    );
    let _ = writeln!(
        out,
        "  worklist on one thread the same: {}",
        if same_worklist { "yes" } else { "NO" }
    );
    let _ = writeln!(
        out,
        "ratio: indexed check {:.0}x faster than the reference",
        naive_scaled / t_check
    );
    let target = 2.0;
    let _ = writeln!(out, "{}: check {:.2} s, total {:.2} s (target < {target} s); peak RSS {:.0} MiB (target < 2048 MiB)",
        if t_check < target && total < target && rss.unwrap_or(0) < 2 * 1024 * 1024 { "PASS" } else { "FAIL" },
        t_check, total, rss.unwrap_or(0) as f64 / 1024.0);
    print!("{out}");
    if mismatches > 0 || !same_worklist {
        std::process::exit(1);
    }
}
