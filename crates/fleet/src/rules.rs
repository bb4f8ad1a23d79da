//! Alerts compiled into the rules the check applies: per alert the
//! *targets* (one affected product each: what a machine must run or have
//! installed, the package that fixes it, the files and versions that
//! package installs per branch, the registry keys and KBs that say it was
//! installed), the platforms the vendor does not fix, and the supersedence
//! graph over every alert.
//!
//! Everything here is read once per archive, so the check itself never
//! parses a product name, a version or a registry key.
//!
//! **Targets.** A legacy alert's `affected` rows become targets through
//! [`catalogue::expand`]: "Windows 2000 Server SP3/SP4" is two targets,
//! "Windows 2000 Server SP4/Windows Server 2003+ISA Server 2000 SP1/SP2"
//! four (ISA Server on either Windows). When the row's software is a
//! product other than the OS ("ISA Server 2000" over "Small Business Server
//! 2000/2003 Premium Edition"), the target is that product installed on the
//! listed platform. A target's package is the package whose platform
//! overlaps the target's product; its registry keys are the `verification`
//! rows whose platforms overlap it; its KB is the one in the package's
//! file name (`…-KB885881-…`), else the one in its registry key, else the
//! alert's. An alert from Microsoft's data gets one target per product in
//! `products`, with the vendor fixes (KB, fixed build) of that product.
//!
//! **No fix.** A lab note or addition titled "X には修正プログラムなし" (or
//! "X は修正プログラムの提供なし", …) names platforms the vendor no longer
//! fixes; "X も影響を受ける" names affected platforms the alert has no
//! package for. Either makes X "no fix: upgrade". A vendor product whose
//! remediations hold no vendor fix (only "Will Not Fix", "None Available",
//! workarounds) is the same.

use std::collections::HashMap;

use hfr_model::catalogue::{self, Kind, Product, ServicePack};
use hfr_model::{Action, Alert, RebootRequired, RemediationKind, RestartRequired, Severity};

use crate::component::{self, Component};
use crate::inventory::{normalize_kb, normalize_key, BranchKind};
use crate::rollout::{ModelBasis, RolloutModel};
use crate::version::Version;
pub use rustc_hash::FxHashMap;

/// Every alert of an archive, compiled, with the tables the check looks
/// things up in.
#[derive(Debug)]
pub struct Compiled {
    pub alerts: Vec<CompiledAlert>,
    /// The supersedence graph.
    pub graph: FixGraph,
    /// File names (lower case) the archive's packages install → id.
    pub file_ids: FxHashMap<String, u32>,
    /// Registry keys (normalised) the alerts verify with → id.
    pub key_ids: FxHashMap<String, u32>,
    /// Id → file name (lower case).
    pub file_names: Vec<String>,
    /// Id → registry key (normalised).
    pub key_names: Vec<String>,
    /// The line through every measured rollout point.
    pub pooled_rollout: Option<RolloutModel>,
    /// Base product name → the (alert, target) pairs whose target names it
    /// as the OS or the product a machine must have.
    pub(crate) by_base: HashMap<String, Vec<(u32, u16)>>,
    /// Base product name → (alert, no-fix rule) pairs.
    pub(crate) no_fix_by_base: HashMap<String, Vec<(u32, u16)>>,
    /// The supersedence graph has no cycle and no chain longer than the
    /// search goes (10,000 fixes): then whether a fix is contained in an
    /// installed one does not depend on what was asked before, and the
    /// check may ask for many machines at once.
    pub(crate) supersedence_dag: bool,
}

/// One alert, compiled.
#[derive(Debug, Clone)]
pub struct CompiledAlert {
    pub id: String,
    pub title: String,
    pub severity: Option<Severity>,
    /// Public exploit code (the page's 攻撃コード), or the vendor's
    /// "exploited"/"publicly disclosed".
    pub exploit_code: Option<bool>,
    pub action: Option<Action>,
    pub targets: Vec<Target>,
    pub packages: Vec<PackageRule>,
    pub no_fix: Vec<NoFix>,
    /// The component every package concerns, if they agree.
    pub component: Option<Component>,
    /// This alert's node in the supersedence graph.
    pub node: u32,
    /// Names the catalogue could not read: targets that never match.
    pub warnings: Vec<String>,
}

/// One affected product of an alert.
#[derive(Debug, Clone)]
pub struct Target {
    /// The platform text as the alert wrote it.
    pub label: String,
    /// The full key (a product with the platform it is installed on).
    pub key: Product,
    /// The operating system the machine must run, if the key names one.
    pub os: Option<Product>,
    /// Products the machine must have installed (outermost first).
    pub apps: Vec<Product>,
    /// Index into [`CompiledAlert::packages`].
    pub package: Option<u16>,
    /// The component the package concerns.
    pub component: Option<Component>,
    /// Registry keys that say the fix is installed: (id, as written).
    pub keys: Vec<(u32, String)>,
    /// KB nodes that say the fix is installed.
    pub kbs: Vec<u32>,
    /// Vendor fixes (alerts from Microsoft's data).
    pub fixes: Vec<Fix>,
    /// The vendor lists the product but no fix for it.
    pub no_fix: bool,
    pub reboot: Option<RebootRequired>,
}

/// A vendor fix for one product.
#[derive(Debug, Clone)]
pub struct Fix {
    pub kb: Option<u32>,
    pub fixed_build: Option<Version>,
    pub restart: Option<RestartRequired>,
    pub sub_type: Option<String>,
}

/// One package of an alert.
#[derive(Debug, Clone)]
pub struct PackageRule {
    pub file: String,
    pub platform: Option<String>,
    /// `KB885881`, from the file name.
    pub kb: Option<String>,
    pub files: Vec<FileRule>,
    pub component: Option<Component>,
    /// The file name says x86 (`…-x86-…`): no package for other
    /// architectures.
    pub x86_only: bool,
    /// The package's own rollout measurements.
    pub rollout: Option<RolloutModel>,
}

/// One file name a package installs, with its version per branch.
#[derive(Debug, Clone)]
pub struct FileRule {
    pub id: u32,
    /// As written.
    pub name: String,
    /// Lower case, as inventories are normalised.
    pub lower: String,
    pub entries: Vec<FileEntry>,
}

/// The file on one or more branches.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// The branch folder as written (`RTMGDR`, `SP2GDR/SP2QFE`).
    pub label: Option<String>,
    /// (service-pack level, GDR/QFE) per part of the label.
    pub branches: Vec<(Option<u8>, Option<BranchKind>)>,
    pub version: Option<Version>,
    pub size: Option<u64>,
    /// The size of the file before the fix, when the page lists the
    /// original with the same version number: only the size tells them
    /// apart.
    pub pre_fix_size: Option<u64>,
}

/// Platforms the vendor does not fix.
#[derive(Debug, Clone)]
pub struct NoFix {
    pub products: Vec<Product>,
    /// The note or addition title that says so.
    pub note: String,
}

/// The supersedence graph: nodes are fixes (bulletin ids `MS06-035`, KB
/// numbers `KB917159`), edges go from a fix to a fix it contains. An edge
/// may hold only on some platforms (`MS05-027 (Windows 2000を除く)`).
#[derive(Debug, Default)]
pub struct FixGraph {
    pub names: Vec<String>,
    pub ids: FxHashMap<String, u32>,
    /// KB number → its node (`KB870763` → the node named so).
    pub kbs: KbIndex,
    /// node → (contained node, scope index).
    pub edges: Vec<Vec<(u32, Option<u32>)>>,
    /// node → (node that contains it, scope index): the edges reversed.
    pub rev: Vec<Vec<(u32, Option<u32>)>>,
    pub scopes: Vec<Scope>,
}

/// Where a supersedence holds.
#[derive(Debug, Clone)]
pub struct Scope {
    pub text: String,
    /// Holds everywhere except on these platforms.
    pub except: Vec<Product>,
    /// Holds only on these platforms (empty: everywhere).
    pub only: Vec<Product>,
}

impl Scope {
    pub fn holds(&self, os: &Product) -> bool {
        !self.except.iter().any(|p| p.covers(os))
            && (self.only.is_empty() || self.only.iter().any(|p| p.covers(os)))
    }
}

/// KB number → graph node. The check asks it about every KB a machine
/// lists (some 150 each, 15 million for a fleet of 100,000), so it is an
/// open-addressing table of packed `(kb, node)` pairs, at most half full,
/// indexed by a multiplicative hash: a lookup is a multiply, a shift and
/// nearly always one load. A general hash map took several times that.
#[derive(Debug, Clone, Default)]
pub struct KbIndex {
    /// `kb << 32 | node`, or [`KbIndex::EMPTY`].
    slots: Vec<u64>,
    /// 32 minus log2 of the table's size: the hash's top bits index it.
    shift: u32,
    len: usize,
}

impl KbIndex {
    /// No KB number is `u32::MAX` ([`crate::inventory::parse_kb`] reads
    /// nine digits at most), so this pair never stands for one.
    const EMPTY: u64 = u64::MAX;

    #[inline]
    fn home(&self, kb: u32) -> usize {
        (kb.wrapping_mul(0x9E37_79B1) >> self.shift) as usize
    }

    /// The node of KB number `kb`.
    #[inline]
    pub fn get(&self, kb: u32) -> Option<u32> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = self.home(kb);
        loop {
            let e = *self.slots.get(i)?;
            if e == Self::EMPTY {
                return None;
            }
            if (e >> 32) as u32 == kb {
                return Some(e as u32);
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the node of `kb` (replacing an earlier one, as a map would).
    pub fn insert(&mut self, kb: u32, node: u32) {
        if kb == u32::MAX {
            return;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            let size = (self.slots.len() * 2).max(64);
            let old = std::mem::replace(&mut self.slots, vec![Self::EMPTY; size]);
            self.shift = 32 - size.trailing_zeros();
            self.len = 0;
            for e in old.into_iter().filter(|&e| e != Self::EMPTY) {
                self.insert((e >> 32) as u32, e as u32);
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(kb);
        loop {
            let e = self.slots[i];
            if e == Self::EMPTY || (e >> 32) as u32 == kb {
                if e == Self::EMPTY {
                    self.len += 1;
                }
                self.slots[i] = u64::from(kb) << 32 | u64::from(node);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl FixGraph {
    pub fn node(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), i);
        if let Some(n) = name.strip_prefix("KB").and_then(crate::inventory::parse_kb) {
            self.kbs.insert(n, i);
        }
        self.edges.push(Vec::new());
        i
    }

    fn edge(&mut self, from: u32, to: u32, scope: Option<u32>) {
        if from != to && !self.edges[from as usize].contains(&(to, scope)) {
            self.edges[from as usize].push((to, scope));
        }
    }

    pub fn name(&self, node: u32) -> &str {
        self.names.get(node as usize).map_or("?", String::as_str)
    }
}

/// The OS a key names and the products it requires, outermost first.
pub fn split_requirement(key: &Product) -> (Option<Product>, Vec<Product>) {
    let mut os = None;
    let mut apps = Vec::new();
    let mut cur = Some(key);
    while let Some(p) = cur {
        let mut own = p.clone();
        own.platform = None;
        match p.base_row().map(|r| r.kind) {
            Some(Kind::Os | Kind::Generic) => os = Some(own),
            _ => apps.push(own),
        }
        cur = p.platform.as_deref();
    }
    (os, apps)
}

/// `RTMGDR` → (0, GDR); `SP2GDR/SP2QFE` → both; `sp1qfe` → (1, QFE).
pub fn parse_branch(label: &str) -> Vec<(Option<u8>, Option<BranchKind>)> {
    label
        .split('/')
        .map(|part| {
            let p = part.trim().to_ascii_uppercase();
            let (sp, rest) = if let Some(r) = p.strip_prefix("RTM") {
                (Some(0u8), r)
            } else if let Some(r) = p.strip_prefix("SP") {
                let digits: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
                (digits.parse().ok(), &r[digits.len()..])
            } else {
                (None, p.as_str())
            };
            let kind = match rest {
                "GDR" => Some(BranchKind::Gdr),
                "QFE" | "LDR" => Some(BranchKind::Qfe),
                _ => None,
            };
            (sp, kind)
        })
        .collect()
}

/// The KB number in a package file name or registry key (`…-KB885881-…`).
fn kb_in(s: &str) -> Option<String> {
    let upper = s.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let mut i = 0;
    while let Some(off) = upper[i..].find("KB") {
        let start = i + off + 2;
        let digits: String = upper[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let before_ok = i + off == 0 || !bytes[i + off - 1].is_ascii_alphanumeric();
        if digits.len() >= 5 && before_ok {
            return normalize_kb(&digits);
        }
        i = start;
    }
    None
}

/// Phrases of a note title that say a platform gets no fix, and the
/// particles that may stand between the platform list and them.
const NO_FIX_PHRASES: &[&str] = &[
    "修正プログラムなし",
    "修正プログラムがない",
    "修正プログラムはない",
    "修正プログラムは提供されない",
    "修正プログラムは用意されない",
    "修正プログラムの提供なし",
    "修正プログラムは出ない",
];
const AFFECTED_TOO: &str = "も影響を受ける";

/// The platform list of a "no fix" title, if it is one.
fn no_fix_platforms(title: &str) -> Option<&str> {
    let t = title.trim();
    let head = NO_FIX_PHRASES
        .iter()
        .find_map(|p| t.find(p).map(|i| &t[..i]))
        .or_else(|| t.find(AFFECTED_TOO).map(|i| &t[..i]))?;
    let head = ["には", "では", "向けの", "用の", "は", "に"]
        .iter()
        .find_map(|p| head.strip_suffix(p))
        .unwrap_or(head);
    Some(head.trim())
}

/// Reads a supersedence scope: `Windows 2000を除く` (except), `… のみ`
/// (only), or a platform list (only). `None` when it cannot be read, in
/// which case the edge is not used: a fix is then reported missing rather
/// than present on a platform the scope may exclude.
fn read_scope(text: &str) -> Option<Scope> {
    let t = text.trim();
    let known = |s: &str| {
        let v = catalogue::expand_parsed(s);
        (!v.is_empty() && v.iter().all(|p| p.warnings.is_empty()))
            .then(|| v.into_iter().map(|p| p.product).collect::<Vec<_>>())
    };
    if let Some(list) = t.strip_suffix("を除く").or_else(|| t.strip_suffix("以外")) {
        return known(list.trim()).map(|except| Scope {
            text: t.to_string(),
            except,
            only: Vec::new(),
        });
    }
    let list = t.strip_suffix("のみ").unwrap_or(t);
    known(list.trim()).map(|only| Scope {
        text: t.to_string(),
        except: Vec::new(),
        only,
    })
}

/// The index base of a requirement: what a machine must have for the
/// target to be worth checking.
fn index_base(os: &Option<Product>, apps: &[Product]) -> Option<String> {
    apps.first().or(os.as_ref()).map(|p| p.name.clone())
}

impl Compiled {
    /// Compiles every alert.
    pub fn new(alerts: &[Alert]) -> Compiled {
        let mut graph = FixGraph::default();
        let mut file_ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut key_ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut out = Vec::with_capacity(alerts.len());
        // Reading each distinct platform text once: archives repeat them.
        let mut expand_cache: HashMap<String, Vec<catalogue::ParsedProduct>> = HashMap::new();
        let mut expand = |s: &str| -> Vec<catalogue::ParsedProduct> {
            expand_cache
                .entry(s.to_string())
                .or_insert_with(|| catalogue::expand_parsed(s))
                .clone()
        };

        for a in alerts {
            let node = graph.node(&a.id.to_ascii_uppercase());
            let mut warnings = Vec::new();

            // Packages.
            let mut packages = Vec::new();
            for p in a.effective_packages() {
                let mut files: Vec<FileRule> = Vec::new();
                for f in &p.files {
                    let lower = f.name.trim().to_lowercase();
                    let next = file_ids.len() as u32;
                    let id = *file_ids.entry(lower.clone()).or_insert(next);
                    let lower = lower.clone();
                    let version = f.version.as_deref().and_then(Version::parse);
                    let pre_fix_size = p
                        .reference_files
                        .iter()
                        .flat_map(|l| &l.files)
                        .find(|r| {
                            r.name.eq_ignore_ascii_case(&f.name)
                                && r.version.as_deref().and_then(Version::parse) == version
                                && r.size != f.size
                        })
                        .and_then(|r| r.size);
                    let entry = FileEntry {
                        label: f.branch.clone(),
                        branches: f.branch.as_deref().map(parse_branch).unwrap_or_default(),
                        version,
                        size: f.size,
                        pre_fix_size,
                    };
                    match files.iter_mut().find(|r| r.id == id) {
                        Some(r) => r.entries.push(entry),
                        None => files.push(FileRule {
                            id,
                            lower,
                            name: f.name.trim().to_string(),
                            entries: vec![entry],
                        }),
                    }
                }
                let rollout = a
                    .rollout
                    .iter()
                    .find(|r| r.package.trim().eq_ignore_ascii_case(p.file.trim()))
                    .and_then(|r| RolloutModel::fit(&r.minutes, ModelBasis::Package));
                let lower = p.file.to_ascii_lowercase();
                packages.push(PackageRule {
                    kb: kb_in(&p.file),
                    x86_only: lower.contains("-x86-") || lower.contains("_x86"),
                    component: component::of_files(
                        p.files.iter().map(|f| f.description.as_deref()),
                    ),
                    file: p.file.clone(),
                    platform: p.platform.clone(),
                    files,
                    rollout,
                });
            }
            let package_products: Vec<Vec<Product>> = packages
                .iter()
                .map(|p| {
                    p.platform
                        .as_deref()
                        .map(|s| expand(s).into_iter().map(|x| x.product).collect())
                        .unwrap_or_default()
                })
                .collect();
            let verification: Vec<(Vec<Product>, u32, String, Option<String>)> = a
                .verification
                .iter()
                .map(|v| {
                    let key = normalize_key(&v.registry_key);
                    let next = key_ids.len() as u32;
                    let id = *key_ids.entry(key).or_insert(next);
                    (
                        expand(&v.platforms)
                            .into_iter()
                            .map(|x| x.product)
                            .collect(),
                        id,
                        v.registry_key.clone(),
                        kb_in(&v.registry_key),
                    )
                })
                .collect();
            let alert_kbs: Vec<u32> = a
                .kbs
                .iter()
                .filter_map(|k| normalize_kb(k))
                .map(|k| graph.node(&k))
                .collect();
            let reboot_rows: Vec<(Option<Product>, RebootRequired)> = a
                .reboot
                .iter()
                .map(|r| {
                    (
                        r.product.as_deref().map(|p| catalogue::parse(p).product),
                        r.required,
                    )
                })
                .collect();
            let reboot_for = |key: &Product| -> Option<RebootRequired> {
                let (os, apps) = split_requirement(key);
                let base = apps.first().or(os.as_ref()).map(|p| p.name.clone());
                reboot_rows
                    .iter()
                    .find(|(p, _)| p.as_ref().map(|p| &p.name) == base.as_ref())
                    .or_else(|| reboot_rows.iter().find(|(p, _)| p.is_none()))
                    .or_else(|| (reboot_rows.len() == 1).then(|| &reboot_rows[0]))
                    .map(|(_, r)| *r)
            };

            // Legacy targets.
            let mut targets: Vec<Target> = Vec::new();
            for aff in &a.affected {
                let sw = catalogue::parse(&aff.software);
                let sw_app = sw.warnings.is_empty()
                    && sw
                        .product
                        .base_row()
                        .is_some_and(|r| !matches!(r.kind, Kind::Os | Kind::Generic));
                for item in expand(&aff.platforms) {
                    if !item.warnings.is_empty() {
                        warnings.push(format!(
                            "対象プラットフォーム {:?}: {}",
                            aff.platforms,
                            item.warnings
                                .iter()
                                .map(|w| w.to_string())
                                .collect::<Vec<_>>()
                                .join("; ")
                        ));
                    }
                    let mut key = item.product;
                    if sw_app {
                        let (_, apps) = split_requirement(&key);
                        let is_os = key
                            .base_row()
                            .is_some_and(|r| matches!(r.kind, Kind::Os | Kind::Generic));
                        if apps.iter().all(|p| p.name != sw.product.name) && is_os {
                            let mut c = sw.product.clone();
                            c.platform = Some(Box::new(key));
                            key = c;
                        }
                    }
                    let package = package_products
                        .iter()
                        .position(|ps| ps.iter().any(|p| p.overlaps(&key)))
                        .map(|i| i as u16);
                    let keys: Vec<(u32, String)> = verification
                        .iter()
                        .filter(|(ps, ..)| ps.iter().any(|p| p.overlaps(&key)))
                        .map(|(_, id, text, _)| (*id, text.clone()))
                        .collect();
                    let pkg_kb = package.and_then(|i| packages[i as usize].kb.clone());
                    let key_kb = verification
                        .iter()
                        .filter(|(ps, ..)| ps.iter().any(|p| p.overlaps(&key)))
                        .find_map(|(.., kb)| kb.clone());
                    let kbs: Vec<u32> = match pkg_kb.or(key_kb) {
                        Some(kb) => vec![graph.node(&kb)],
                        None => alert_kbs.clone(),
                    };
                    let (os, apps) = split_requirement(&key);
                    targets.push(Target {
                        label: aff.platforms.clone(),
                        component: package.and_then(|i| packages[i as usize].component.clone()),
                        reboot: reboot_for(&key),
                        os,
                        apps,
                        key,
                        package,
                        keys,
                        kbs,
                        fixes: Vec::new(),
                        no_fix: false,
                    });
                }
            }

            // Vendor products (Microsoft's data).
            for pf in &a.products {
                let parsed = catalogue::parse(&pf.name);
                if parsed
                    .warnings
                    .iter()
                    .any(|w| !matches!(w, catalogue::Warning::Junk(_)))
                {
                    warnings.push(format!(
                        "product {:?} is not in the product catalogue",
                        pf.name
                    ));
                    continue;
                }
                let mut fixes = Vec::new();
                for r in &pf.remediations {
                    if r.kind != RemediationKind::VendorFix {
                        continue;
                    }
                    let kb =
                        r.kb.as_deref()
                            .and_then(normalize_kb)
                            .map(|k| graph.node(&k));
                    if let Some(k) = kb {
                        for s in &r.supersedes {
                            let to = match normalize_kb(s) {
                                Some(kb) => graph.node(&kb),
                                None => graph.node(&s.trim().to_ascii_uppercase()),
                            };
                            graph.edge(k, to, None);
                        }
                    }
                    fixes.push(Fix {
                        kb,
                        fixed_build: r.fixed_build.as_deref().and_then(Version::parse),
                        restart: r.restart_required,
                        sub_type: r.sub_type.clone(),
                    });
                }
                let key = parsed.product;
                let (os, apps) = split_requirement(&key);
                targets.push(Target {
                    label: pf.name.clone(),
                    kbs: fixes.iter().filter_map(|f| f.kb).collect(),
                    no_fix: fixes.is_empty(),
                    reboot: fixes
                        .iter()
                        .filter_map(|f| f.restart)
                        .map(RestartRequired::reboot)
                        .max_by_key(|r| match r {
                            RebootRequired::Yes => 2,
                            RebootRequired::Conditional => 1,
                            RebootRequired::No => 0,
                        })
                        .or_else(|| reboot_for(&key)),
                    os,
                    apps,
                    key,
                    package: None,
                    component: None,
                    keys: Vec::new(),
                    fixes,
                });
            }

            // Supersedence.
            for s in &a.supersedes {
                let to = match normalize_kb(&s.id) {
                    Some(kb) => graph.node(&kb),
                    None => graph.node(&s.id.trim().to_ascii_uppercase()),
                };
                match s.scope.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                    None => graph.edge(node, to, None),
                    Some(text) => match read_scope(text) {
                        Some(scope) => {
                            let i = graph.scopes.len() as u32;
                            graph.scopes.push(scope);
                            graph.edge(node, to, Some(i));
                        }
                        None => warnings.push(format!(
                            "含まれる過去の修正 {} の範囲 {text:?} を読めないため、この包含は使わない",
                            s.id
                        )),
                    },
                }
            }
            // The one KB of a one-KB alert is that alert.
            if let [kb] = alert_kbs[..] {
                graph.edge(kb, node, None);
            }

            // No fix.
            let mut no_fix = Vec::new();
            for title in a
                .lab_notes
                .iter()
                .map(|n| n.title.as_str())
                .chain(a.additions.iter().map(|x| x.title.as_str()))
            {
                let Some(list) = no_fix_platforms(title) else {
                    continue;
                };
                let products: Vec<Product> = expand(list)
                    .into_iter()
                    .filter(|p| p.warnings.is_empty())
                    .map(|p| p.product)
                    .filter(|p| !targets.iter().any(|t| t.key.covers(p)))
                    .collect();
                if !products.is_empty() {
                    no_fix.push(NoFix {
                        products,
                        note: title.to_string(),
                    });
                }
            }

            let component = {
                let mut cs = packages.iter().map(|p| p.component.clone());
                match cs.next() {
                    Some(Some(first)) if cs.all(|c| c.as_ref() == Some(&first)) => Some(first),
                    _ => None,
                }
            };
            out.push(CompiledAlert {
                id: a.id.clone(),
                title: a.title.clone(),
                severity: a
                    .severity
                    .or_else(|| a.products.iter().filter_map(|p| p.severity).min()),
                exploit_code: a.exploit_code.or_else(|| {
                    a.exploit_status
                        .as_ref()
                        .map(|s| s.is_exploited() || s.publicly_disclosed == Some(true))
                }),
                action: a.action,
                targets,
                packages,
                no_fix,
                component,
                node,
                warnings,
            });
        }

        let mut by_base: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        let mut no_fix_by_base: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        for (ai, a) in out.iter().enumerate() {
            for (ti, t) in a.targets.iter().enumerate() {
                if let Some(b) = index_base(&t.os, &t.apps) {
                    by_base.entry(b).or_default().push((ai as u32, ti as u16));
                }
            }
            for (ni, n) in a.no_fix.iter().enumerate() {
                let mut bases: Vec<String> = n
                    .products
                    .iter()
                    .filter_map(|p| {
                        let (os, apps) = split_requirement(p);
                        index_base(&os, &apps)
                    })
                    .collect();
                bases.sort();
                bases.dedup();
                for b in bases {
                    no_fix_by_base
                        .entry(b)
                        .or_default()
                        .push((ai as u32, ni as u16));
                }
            }
        }
        graph.rev = vec![Vec::new(); graph.names.len()];
        for (from, es) in graph.edges.iter().enumerate() {
            for &(to, scope) in es {
                graph.rev[to as usize].push((from as u32, scope));
            }
        }
        let supersedence_dag = is_shallow_dag(&graph.rev, 10_000);
        let mut file_names = vec![String::new(); file_ids.len()];
        for (k, &v) in &file_ids {
            file_names[v as usize] = k.clone();
        }
        let mut key_names = vec![String::new(); key_ids.len()];
        for (k, &v) in &key_ids {
            key_names[v as usize] = k.clone();
        }
        let pooled_rollout = RolloutModel::pooled(
            out.iter()
                .flat_map(|a| a.packages.iter().filter_map(|p| p.rollout.as_ref())),
        );
        Compiled {
            alerts: out,
            graph,
            file_ids,
            key_ids,
            file_names,
            key_names,
            pooled_rollout,
            by_base,
            no_fix_by_base,
            supersedence_dag,
        }
    }

    /// The rollout line for a package: its own, another package's of the
    /// same alert, or the pooled one; with the basis it has here (another
    /// package's line is the alert's). Borrowed: the pooled line carries
    /// every measured point of the archive, and a worklist asks for a
    /// line thousands of times.
    pub fn rollout_model(
        &self,
        alert: usize,
        package: Option<u16>,
    ) -> Option<(&RolloutModel, ModelBasis)> {
        let a = self.alerts.get(alert)?;
        if let Some(m) = package.and_then(|p| a.packages.get(p as usize)?.rollout.as_ref()) {
            return Some((m, m.basis));
        }
        if let Some(m) = a.packages.iter().find_map(|p| p.rollout.as_ref()) {
            return Some((m, ModelBasis::Alert));
        }
        self.pooled_rollout.as_ref().map(|m| (m, m.basis))
    }
}

/// Whether the graph `next` (node → the nodes its edges lead to) has no
/// cycle and no path of more than `max` edges (Kahn's algorithm, keeping
/// the longest path into each node).
fn is_shallow_dag(next: &[Vec<(u32, Option<u32>)>], max: usize) -> bool {
    let n = next.len();
    let mut indeg = vec![0u32; n];
    for es in next {
        for &(to, _) in es {
            indeg[to as usize] += 1;
        }
    }
    let mut ready: Vec<u32> = (0..n as u32).filter(|&v| indeg[v as usize] == 0).collect();
    let mut depth = vec![0usize; n];
    let mut done = 0;
    while let Some(v) = ready.pop() {
        done += 1;
        for &(to, _) in &next[v as usize] {
            let t = to as usize;
            depth[t] = depth[t].max(depth[v as usize] + 1);
            if depth[t] > max {
                return false;
            }
            indeg[t] -= 1;
            if indeg[t] == 0 {
                ready.push(to);
            }
        }
    }
    done == n
}

/// The lowest service pack among `sps` for the same base, to tell a
/// machine below every listed level.
pub(crate) fn below_all(machine: &ServicePack, listed: &[ServicePack]) -> bool {
    !listed.is_empty()
        && listed
            .iter()
            .all(|l| (machine.level, machine.letter) < (l.level, l.letter))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The KB table answers as a map does: through growth, runs of
    /// neighbouring numbers, numbers that share a home slot, replacement
    /// and absent numbers.
    #[test]
    fn kb_index_answers_as_a_map() {
        let mut ix = KbIndex::default();
        let mut map = std::collections::HashMap::new();
        assert_eq!(ix.get(870_763), None);
        let mut keys: Vec<u32> = (800_000..803_000).collect();
        keys.extend((1..200).map(|k| k << 20));
        keys.extend((1..200).map(|k| 4_000_000 + k * 7_919));
        keys.extend([1, 999_999_999, 0]);
        for (node, &kb) in keys.iter().enumerate() {
            ix.insert(kb, node as u32);
            map.insert(kb, node as u32);
        }
        ix.insert(800_005, 7);
        map.insert(800_005, 7);
        ix.insert(u32::MAX, 1);
        assert_eq!(ix.len(), map.len());
        for kb in keys
            .iter()
            .copied()
            .chain([2, 803_000, 799_999, 1 << 31, u32::MAX])
        {
            assert_eq!(ix.get(kb), map.get(&kb).copied(), "KB{kb}");
        }
    }

    #[test]
    fn branch_labels() {
        assert_eq!(parse_branch("RTMGDR"), [(Some(0), Some(BranchKind::Gdr))]);
        assert_eq!(
            parse_branch("SP2GDR/SP2QFE"),
            [
                (Some(2), Some(BranchKind::Gdr)),
                (Some(2), Some(BranchKind::Qfe))
            ]
        );
        assert_eq!(parse_branch("sp1qfe"), [(Some(1), Some(BranchKind::Qfe))]);
        assert_eq!(parse_branch("SP1LDR"), [(Some(1), Some(BranchKind::Qfe))]);
        assert_eq!(parse_branch("misc"), [(None, None)]);
    }

    #[test]
    fn kb_numbers_in_names() {
        assert_eq!(
            kb_in("WindowsServer2003-KB885881-x86-jpn.EXE").as_deref(),
            Some("KB885881")
        );
        assert_eq!(
            kb_in("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB870763\\Filelist").as_deref(),
            Some("KB870763")
        );
        assert_eq!(
            kb_in("セキュリティ更新プログラム KB888258").as_deref(),
            Some("KB888258")
        );
        assert_eq!(kb_in("NOKB1"), None);
    }

    #[test]
    fn no_fix_titles() {
        assert_eq!(
            no_fix_platforms("Windows NT 4.0 SP6a/2000 SP2/XP SP未適用には修正プログラムなし"),
            Some("Windows NT 4.0 SP6a/2000 SP2/XP SP未適用")
        );
        assert_eq!(
            no_fix_platforms("Windows 98/98SEも影響を受ける"),
            Some("Windows 98/98SE")
        );
        assert_eq!(no_fix_platforms("MBSA 1.21での検出"), None);
    }

    #[test]
    fn shallow_dags() {
        let g = |edges: &[(u32, u32)], n: usize| {
            let mut next = vec![Vec::new(); n];
            for &(a, b) in edges {
                next[a as usize].push((b, None));
            }
            next
        };
        assert!(is_shallow_dag(&g(&[(0, 1), (1, 2), (0, 2)], 3), 2));
        assert!(!is_shallow_dag(&g(&[(0, 1), (1, 2), (0, 2)], 3), 1));
        assert!(!is_shallow_dag(&g(&[(0, 1), (1, 0)], 2), 10));
        assert!(!is_shallow_dag(&g(&[(0, 0)], 1), 10));
        assert!(is_shallow_dag(&g(&[], 0), 10));
    }

    #[test]
    fn scopes() {
        let s = read_scope("Windows 2000を除く").expect("reads");
        let w2k = catalogue::parse("Windows 2000 Server SP4").product;
        let xp = catalogue::parse("Windows XP Professional SP2").product;
        assert!(!s.holds(&w2k));
        assert!(s.holds(&xp));
        assert!(read_scope("ただし条件あり").is_none());
    }
}
