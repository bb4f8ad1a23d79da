//! Reading product names: one name ([`parse`]) or a legacy list of them
//! ([`expand`]).
//!
//! The work is in three steps. First the text is tidied (whitespace, full-width
//! characters, a misspelt "Microsoft", MSRC's " Bad" marker, the Japanese
//! pages' remarks in parentheses). Then a name is cut where the vendor joins
//! two products: "X on Y", "X when installed on Y", and the pages' "Y+X"
//! (X installed on Y). Each part then loses its qualifiers from the end,
//! one at a time ("… for x64-based Systems Service Pack 1 (Server Core
//! installation)"), and what remains is looked up in the catalogue as a
//! whole spelling.
//!
//! Lookups are whole-spelling on purpose: a name with an unrecognised word
//! left over is reported as unknown instead of being read as a broader
//! product than it is.

use super::product::{level_and_letter, Arch, Channel, Install, Product, ServicePack, UpdateLevel};
use super::table::{self, Family, Hit, Kind, BASES};

/// A name read by [`parse`] (or one product of a list read by
/// [`expand_parsed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedProduct {
    pub product: Product,
    /// The source's text, whitespace normalised: keep it to show users the
    /// vendor's wording. For a product of a list, the whole list.
    pub display: String,
    pub warnings: Vec<Warning>,
    /// Remarks the legacy pages put in parentheses after a name ("(要Proxy
    /// Server 2.0 Install Wizard for Windows 2000)"), taken out so the name
    /// parses and kept here so nothing is lost.
    pub notes: Vec<String>,
}

/// Something about a name that a person should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A marker that is not part of the name was dropped. MSRC's data has
    /// product names ending in " Bad" beside the good spelling of the same
    /// product.
    Junk(String),
    /// The catalogue does not know this name (or some word of it); the
    /// product holds the whole name verbatim and covers only itself.
    Unknown(String),
    /// The text names several products ("Windows XP SP1/SP2"): [`parse`]
    /// keeps it verbatim; [`expand`] lists them.
    List(usize),
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::Junk(s) => write!(f, "dropped {s:?}, which is not part of the name"),
            Warning::Unknown(s) => write!(f, "not in the product catalogue: {s:?}"),
            Warning::List(n) => write!(f, "names {n} products; read it with expand()"),
        }
    }
}

/// Reads one product name. Never fails: a name the catalogue does not know
/// comes back as [`Product::named`] with the whole name and a warning.
///
/// Answers are remembered per thread: a month of Microsoft's data names the
/// same products in every one of its CVEs (451 different names in 23
/// months), and the archive's product list reads them again; reading each
/// name once took a fifth off `hfr import`'s CPU time on those months. The
/// memory is bounded ([`MEMO_LIMIT`] names, then it starts again), and the
/// answer depends on the name alone.
pub fn parse(name: &str) -> ParsedProduct {
    MEMO.with(|memo| {
        if let Some(p) = memo.borrow().get(name) {
            return p.clone();
        }
        let parsed = parse_uncached(name);
        let mut memo = memo.borrow_mut();
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(name.to_string(), parsed.clone());
        parsed
    })
}

/// Names [`parse`] remembers per thread before it forgets them all.
const MEMO_LIMIT: usize = 4096;

thread_local! {
    static MEMO: std::cell::RefCell<rustc_hash::FxHashMap<String, ParsedProduct>> =
        std::cell::RefCell::new(rustc_hash::FxHashMap::default());
}

fn parse_uncached(name: &str) -> ParsedProduct {
    let pre = prepare(name);
    let mut warnings = pre.warnings.clone();
    let product = match read_one(&pre.text) {
        Some(p) => p,
        None => {
            let items = expand_text(&pre.text);
            if items.len() > 1 && items.iter().all(|i| i.known) {
                warnings.push(Warning::List(items.len()));
            } else {
                warnings.push(Warning::Unknown(pre.display.clone()));
            }
            Product::named(pre.display.clone())
        }
    };
    ParsedProduct {
        product,
        display: pre.display,
        warnings,
        notes: pre.notes,
    }
}

/// Reads a text that may list several products, as the legacy pages write
/// platforms: "Windows XP SP1/SP1a/SP2", "Windows Server 2003 SP未適用/SP1",
/// "Windows NT Server 4.0 SP6a/Terminal Server Edition SP6", "Windows 2000
/// Server SP4/Windows Server 2003+ISA Server 2000 SP1/SP2" (ISA Server SP1
/// or SP2 on either Windows). Vendor names that list releases (".NET
/// Framework 4.6/4.6.1 on …") come out one product per release.
pub fn expand(text: &str) -> Vec<Product> {
    expand_parsed(text).into_iter().map(|p| p.product).collect()
}

/// [`expand`] with the display text, warnings and notes of each product.
pub fn expand_parsed(text: &str) -> Vec<ParsedProduct> {
    let pre = prepare(text);
    expand_text(&pre.text)
        .into_iter()
        .map(|item| {
            let mut warnings = pre.warnings.clone();
            if !item.known {
                warnings.push(Warning::Unknown(item.product.name.clone()));
            }
            ParsedProduct {
                product: item.product,
                display: pre.display.clone(),
                warnings,
                notes: pre.notes.clone(),
            }
        })
        .collect()
}

// ── Tidying ──────────────────────────────────────────────────────────────

struct Prepared {
    /// Whitespace normalised, otherwise as given.
    display: String,
    /// What the parser reads: folded, junk and remarks removed.
    text: String,
    warnings: Vec<Warning>,
    notes: Vec<String>,
}

/// Collapses every run of whitespace (including the ideographic space) to
/// one space and trims.
pub(crate) fn normalise_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn prepare(input: &str) -> Prepared {
    let display = normalise_space(input);
    // Full-width ASCII (the Japanese pages' "（", "／", "ＳＰ１") as ASCII.
    let folded: String = display
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect();
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    let mut text = strip_remarks(&folded, &mut notes);
    if let Some(rest) = text.strip_suffix(" Bad") {
        warnings.push(Warning::Junk("Bad".into()));
        text = rest.to_string();
    }
    let text = normalise_space(&fix_typos(&text));
    Prepared {
        display,
        text,
        warnings,
        notes,
    }
}

/// Misspellings seen in vendor data that the lookup, being case-blind,
/// would not absorb on its own.
fn fix_typos(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            if w.eq_ignore_ascii_case("Micorosft") {
                "Microsoft"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Takes out parenthesised remarks written in Japanese. Parentheses holding
/// only ASCII are part of names ("(Server Core installation)") and stay.
fn strip_remarks(s: &str, notes: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        let Some(close) = matching_close(after) else {
            break;
        };
        let inner = &after[..close];
        out.push_str(&rest[..open]);
        if inner.is_ascii() {
            out.push('(');
            out.push_str(inner);
            out.push(')');
        } else {
            notes.push(inner.trim().to_string());
            out.push(' ');
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    normalise_space(&out)
}

/// Byte offset of the `)` closing a group whose `(` was just before `s`.
fn matching_close(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

// ── Joined products ──────────────────────────────────────────────────────

/// Where a text joins a component to its platform.
enum Join<'a> {
    /// "X on Y", "X when installed on Y".
    On {
        component: &'a str,
        platform: &'a str,
    },
    /// The legacy pages' "Y+X": X installed on Y.
    Plus {
        platform: &'a str,
        component: &'a str,
    },
}

fn split_join(t: &str) -> Option<Join<'_>> {
    let lower = t.to_ascii_lowercase();
    for sep in [" when installed on ", " on "] {
        if let Some(i) = lower.find(sep) {
            let (a, b) = (t[..i].trim(), t[i + sep.len()..].trim());
            if !a.is_empty() && !b.is_empty() {
                return Some(Join::On {
                    component: a,
                    platform: b,
                });
            }
        }
    }
    // A '+' joins only between words: "C++" and "SP3+" are not joins.
    for (i, _) in t.match_indices('+') {
        let (a, b) = (&t[..i], &t[i + 1..]);
        let joins = a
            .trim_end()
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == ')')
            && b.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric());
        if joins {
            return Some(Join::Plus {
                platform: a.trim(),
                component: b.trim(),
            });
        }
    }
    None
}

impl<'a> Join<'a> {
    fn parts(&self) -> (&'a str, &'a str) {
        match *self {
            Join::On {
                component,
                platform,
            }
            | Join::Plus {
                platform,
                component,
            } => (component, platform),
        }
    }
}

/// Puts a component on its platform. MSRC once wrote "SharePoint Server
/// 2010 Service Pack 2 on Word Automation Services": when only the right
/// side is a component, the sides are swapped.
fn attach(component: Product, platform: Product) -> Product {
    let kind = |p: &Product| p.base_row().map(|r| r.kind);
    let (mut c, p) =
        if kind(&platform) == Some(Kind::Component) && kind(&component) != Some(Kind::Component) {
            (platform, component)
        } else {
            (component, platform)
        };
    // A component already on something (from "A+B+C") keeps that and the
    // new platform goes under the bottom of its chain.
    let mut slot = &mut c.platform;
    while let Some(inner) = slot {
        slot = &mut inner.platform;
    }
    *slot = Some(Box::new(p));
    c
}

/// Reads a text naming exactly one product.
fn read_one(t: &str) -> Option<Product> {
    if let Some(j) = split_join(t) {
        let (c, p) = j.parts();
        return Some(attach(read_one(c)?, read_one(p)?));
    }
    match read_simple(t) {
        Simple::Known { product, .. } => Some(product),
        _ => None,
    }
}

// ── Lists ────────────────────────────────────────────────────────────────

struct Item {
    product: Product,
    known: bool,
}

fn unknown(t: &str) -> Item {
    Item {
        product: Product::named(t),
        known: false,
    }
}

fn expand_text(t: &str) -> Vec<Item> {
    if let Some(j) = split_join(t) {
        let (c, p) = j.parts();
        let (cs, ps) = (expand_text(c), expand_text(p));
        if cs.iter().chain(&ps).any(|i| !i.known) {
            return vec![unknown(t)];
        }
        let mut out = Vec::new();
        for c in &cs {
            for p in &ps {
                out.push(Item {
                    product: attach(c.product.clone(), p.product.clone()),
                    known: true,
                });
            }
        }
        return out;
    }
    if let Simple::Known { product, .. } = read_simple(t) {
        return split_releases(product);
    }
    if !t.contains('/') {
        return vec![unknown(t)];
    }
    // "A SP1/SP1a/SP2", "A SP6a/Terminal Server Edition SP6", "Windows NT 4.0
    // SP6a/2000 SP2/XP": a part that is not a whole name borrows from the
    // part before it.
    let mut out = Vec::new();
    let mut prev: Option<(Product, String)> = None;
    for seg in t.split('/').map(str::trim).filter(|s| !s.is_empty()) {
        match read_simple(seg) {
            Simple::Known { product, core } => {
                out.extend(split_releases(product.clone()));
                prev = Some((product, core));
                continue;
            }
            Simple::QualifiersOnly(q) => {
                if let Some((p, core)) = &prev {
                    let p2 = q.apply_to(p.clone());
                    out.extend(split_releases(p2.clone()));
                    prev = Some((p2, core.clone()));
                    continue;
                }
            }
            Simple::Unknown => {}
        }
        let borrowed = prev.as_ref().and_then(|(_, core)| {
            let words: Vec<&str> = core.split(' ').collect();
            (1..=words.len()).rev().find_map(|k| {
                match read_simple(&format!("{} {seg}", words[..k].join(" "))) {
                    Simple::Known { product, core } => Some((product, core)),
                    _ => None,
                }
            })
        });
        match borrowed {
            Some((product, core)) => {
                out.extend(split_releases(product.clone()));
                prev = Some((product, core));
            }
            None => out.push(unknown(seg)),
        }
    }
    out
}

/// One product per listed release.
fn split_releases(p: Product) -> Vec<Item> {
    let releases: Vec<String> = match &p.release {
        Some(r) if r.contains('/') => super::product::alternatives(r)
            .map(str::to_string)
            .collect(),
        _ => {
            return vec![Item {
                product: p,
                known: true,
            }]
        }
    };
    releases
        .into_iter()
        .map(|r| Item {
            product: Product {
                release: Some(r),
                ..p.clone()
            },
            known: true,
        })
        .collect()
}

// ── One simple name ──────────────────────────────────────────────────────

enum Simple {
    /// A catalogue product; `core` is the text the lookup matched (the name
    /// without its qualifiers), for the list reader to borrow from.
    Known {
        product: Product,
        core: String,
    },
    /// Only qualifiers ("SP1a"), as in the later parts of a list.
    QualifiersOnly(Qualifiers),
    Unknown,
}

#[derive(Default)]
struct Qualifiers {
    release: Option<String>,
    arch: Option<ArchWord>,
    service_pack: Option<ServicePack>,
    update_level: Option<UpdateLevel>,
    install: Option<Install>,
    channel: Option<Channel>,
}

/// "64-Bit Edition" without parentheses meant Itanium for Windows XP and
/// x64 for Office; which one depends on the product.
#[derive(Clone, Copy)]
enum ArchWord {
    Known(Arch),
    SixtyFourBitEdition,
}

impl Qualifiers {
    /// A product of a list with this part's qualifiers in place of the
    /// previous part's.
    fn apply_to(self, mut p: Product) -> Product {
        if self.release.is_some() {
            p.release = self.release;
        }
        if let Some(a) = self.arch {
            p.arch = Some(resolve_arch(a, p.family));
        }
        if self.service_pack.is_some() {
            p.service_pack = self.service_pack;
        }
        if self.update_level.is_some() {
            p.update_level = self.update_level;
        }
        if self.install.is_some() {
            p.install = self.install;
        }
        if self.channel.is_some() {
            p.channel = self.channel;
        }
        p
    }
}

fn resolve_arch(a: ArchWord, family: Option<Family>) -> Arch {
    match a {
        ArchWord::Known(a) => a,
        ArchWord::SixtyFourBitEdition if family == Some(Family::Windows) => Arch::Ia64,
        ArchWord::SixtyFourBitEdition => Arch::X64,
    }
}

/// Fills an empty slot; a second value for the same slot means the name is
/// not one we understand.
fn put<T>(slot: &mut Option<T>, v: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(v);
    Some(())
}

/// Qualifiers written as fixed words, lower case, matched at the end.
const FIXED: &[(&str, Fixed)] = &[
    ("for 32-bit systems", Fixed::Arch(Arch::X86)),
    ("for x86-based systems", Fixed::Arch(Arch::X86)),
    ("for x64-based systems", Fixed::Arch(Arch::X64)),
    ("for itanium-based systems", Fixed::Arch(Arch::Ia64)),
    ("for arm-based systems", Fixed::Arch(Arch::Arm)),
    ("for arm64-based systems", Fixed::Arch(Arch::Arm)),
    ("for 32-bit editions", Fixed::Arch(Arch::X86)),
    ("for 64-bit editions", Fixed::Arch(Arch::X64)),
    ("(32-bit editions)", Fixed::Arch(Arch::X86)),
    ("(32-bit edition)", Fixed::Arch(Arch::X86)),
    ("(64-bit editions)", Fixed::Arch(Arch::X64)),
    ("(64-bit edition)", Fixed::Arch(Arch::X64)),
    ("(32-bit)", Fixed::Arch(Arch::X86)),
    ("(64-bit)", Fixed::Arch(Arch::X64)),
    ("(x86)", Fixed::Arch(Arch::X86)),
    ("(x64)", Fixed::Arch(Arch::X64)),
    ("(x64-based)", Fixed::Arch(Arch::X64)),
    ("32-bit edition", Fixed::Arch(Arch::X86)),
    ("64-bit edition", Fixed::SixtyFour),
    ("x64 edition", Fixed::Arch(Arch::X64)),
    ("x86", Fixed::Arch(Arch::X86)),
    ("x64", Fixed::Arch(Arch::X64)),
    ("ia64", Fixed::Arch(Arch::Ia64)),
    (
        "(server core installation)",
        Fixed::Install(Install::ServerCore),
    ),
    ("(server core)", Fixed::Install(Install::ServerCore)),
    ("click-to-run (c2r)", Fixed::Channel(Channel::ClickToRun)),
    ("click-to-run", Fixed::Channel(Channel::ClickToRun)),
    ("(c2r)", Fixed::Channel(Channel::ClickToRun)),
    ("for mac", Fixed::Channel(Channel::Mac)),
    ("(gdr)", Fixed::Update(UpdateLevel::Gdr)),
    ("(cu)", Fixed::Update(UpdateLevel::Cu)),
];

#[derive(Clone, Copy)]
enum Fixed {
    Arch(Arch),
    SixtyFour,
    Install(Install),
    Channel(Channel),
    Update(UpdateLevel),
}

/// Takes one qualifier off the end of `words`. `Some(true)`: one was taken;
/// `Some(false)`: none is there; `None`: one was given twice.
fn peel(words: &mut Vec<String>, q: &mut Qualifiers) -> Option<bool> {
    let lw: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let n = lw.len();
    let tail = |k: usize| -> Option<&[String]> { n.checked_sub(k).map(|s| &lw[s..]) };
    let ends = |pat: &str| -> bool {
        let p: Vec<&str> = pat.split(' ').collect();
        tail(p.len()).is_some_and(|t| t.iter().zip(&p).all(|(a, b)| a == b))
    };

    for (pat, what) in FIXED {
        if ends(pat) {
            match *what {
                Fixed::Arch(a) => put(&mut q.arch, ArchWord::Known(a))?,
                Fixed::SixtyFour => put(&mut q.arch, ArchWord::SixtyFourBitEdition)?,
                Fixed::Install(i) => put(&mut q.install, i)?,
                Fixed::Channel(c) => put(&mut q.channel, c)?,
                Fixed::Update(u) => put(&mut q.update_level, u)?,
            }
            words.truncate(n - pat.split(' ').count());
            return Some(true);
        }
    }

    // "… or later" after a service pack.
    let (or_later, m) = if ends("or later") {
        (true, n - 2)
    } else {
        (false, n)
    };
    let at = |i: usize| lw.get(i).map(String::as_str);
    let sp_at = |len: usize| -> Option<(ServicePack, usize)> {
        // "Service Pack 2", "Service Pack 1a".
        if len >= 3 && at(len - 3) == Some("service") && at(len - 2) == Some("pack") {
            let (level, letter) = level_and_letter(at(len - 1)?)?;
            return Some((
                ServicePack {
                    level,
                    letter,
                    or_later: false,
                },
                3,
            ));
        }
        // "SP 未適用".
        if len >= 2 && at(len - 2) == Some("sp") && at(len - 1) == Some("未適用") {
            return Some((ServicePack::RTM, 2));
        }
        // "SP2", "SP1a", "SP未適用", "SP3以降", "RTM".
        let w = at(len.checked_sub(1)?)?;
        (w.starts_with("sp") || w == "rtm")
            .then(|| ServicePack::parse(w))
            .flatten()
            .map(|sp| (sp, 1))
    };
    if let Some((mut sp, k)) = sp_at(m) {
        sp.or_later |= or_later;
        put(&mut q.service_pack, sp)?;
        words.truncate(m - k);
        return Some(true);
    }
    if or_later {
        return Some(false);
    }

    // "Cumulative Update 11", "CU11", "CU 11".
    if n >= 3 && at(n - 3) == Some("cumulative") && at(n - 2) == Some("update") {
        if let Some(k) = at(n - 1).and_then(|w| w.parse::<u16>().ok()) {
            put(&mut q.update_level, UpdateLevel::CumulativeUpdate(k))?;
            words.truncate(n - 3);
            return Some(true);
        }
    }
    if n >= 2 && at(n - 2) == Some("cu") {
        if let Some(k) = at(n - 1).and_then(|w| w.parse::<u16>().ok()) {
            put(&mut q.update_level, UpdateLevel::CumulativeUpdate(k))?;
            words.truncate(n - 2);
            return Some(true);
        }
    }
    if let Some(u @ UpdateLevel::CumulativeUpdate(_)) =
        n.checked_sub(1).and_then(at).and_then(UpdateLevel::parse)
    {
        put(&mut q.update_level, u)?;
        words.truncate(n - 1);
        return Some(true);
    }

    // "Version 1607" (", version 1709" leaves its comma on the word before).
    if n >= 2 && at(n - 2) == Some("version") {
        if let Some(v) = at(n - 1).filter(|v| is_version_list(v)) {
            put(&mut q.release, v.to_string())?;
            words.truncate(n - 2);
            return Some(true);
        }
    }
    Some(false)
}

/// `4.6.2`, `1607`, `4.6/4.6.1`: digits and dots, several joined by `/`.
fn is_version_list(s: &str) -> bool {
    s.split('/').all(|v| {
        v.starts_with(|c: char| c.is_ascii_digit())
            && v.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !v.ends_with('.')
    })
}

fn read_simple(t: &str) -> Simple {
    read_simple_inner(t).unwrap_or(Simple::Unknown)
}

fn read_simple_inner(t: &str) -> Option<Simple> {
    let mut words: Vec<String> = t
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    let mut q = Qualifiers::default();
    if words.len() > 1 && words[0].eq_ignore_ascii_case("Microsoft") {
        words.remove(0);
    }
    // "Office for Mac 2011": the channel sits inside the name.
    if let Some(i) = (0..words.len().saturating_sub(1))
        .find(|&i| words[i].eq_ignore_ascii_case("for") && words[i + 1].eq_ignore_ascii_case("mac"))
    {
        words.drain(i..i + 2);
        put(&mut q.channel, Channel::Mac)?;
    }
    while peel(&mut words, &mut q)? {}
    let core = words.join(" ");
    let core = core.trim_end_matches([',', ' ']).to_string();
    if core.is_empty() {
        return Some(Simple::QualifiersOnly(q));
    }
    let (hit, core_release) = lookup_core(&core)?;
    let row = &BASES[hit.row];
    let release = match (q.release, core_release) {
        (Some(_), Some(_)) => return None,
        (a, b) => a.or(b),
    };
    let product = Product {
        family: Some(row.family),
        name: row.name.to_string(),
        release,
        edition: hit.edition.map(|e| row.editions[e].name.to_string()),
        arch: q.arch.map(|a| resolve_arch(a, Some(row.family))),
        service_pack: q.service_pack,
        update_level: q.update_level,
        channel: q.channel,
        install: q.install,
        platform: None,
    };
    Some(Simple::Known { product, core })
}

/// The catalogue entry a name without qualifiers spells: a whole spelling,
/// or a versioned product's spelling followed by its version(s).
fn lookup_core(core: &str) -> Option<(Hit, Option<String>)> {
    let idx = table::index();
    let k = table::key(core);
    if let Some(hit) = idx.spellings.get(&k) {
        return Some((*hit, None));
    }
    let (head, version) = k.rsplit_once(' ')?;
    if !is_version_list(version) {
        return None;
    }
    let hit = idx.spellings.get(head)?;
    (BASES[hit.row].versioned && hit.edition.is_none()).then(|| (*hit, Some(version.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remarks_in_japanese_become_notes() {
        let mut notes = Vec::new();
        let s = strip_remarks(
            "Windows 2000 Server(要Proxy Server 2.0 Install Wizard for Windows 2000)+Proxy Server 2.0 SP1",
            &mut notes,
        );
        assert_eq!(s, "Windows 2000 Server +Proxy Server 2.0 SP1");
        assert_eq!(
            notes,
            ["要Proxy Server 2.0 Install Wizard for Windows 2000"]
        );
        let mut notes = Vec::new();
        assert_eq!(
            strip_remarks("Windows Server 2012 (Server Core installation)", &mut notes),
            "Windows Server 2012 (Server Core installation)"
        );
        assert!(notes.is_empty());
        // An unclosed parenthesis is left alone.
        assert_eq!(strip_remarks("Foo (bar", &mut notes), "Foo (bar");
    }

    #[test]
    fn plus_joins_only_between_words() {
        assert!(matches!(
            split_join("Windows Server 2003+IIS 6.0"),
            Some(Join::Plus { .. })
        ));
        assert!(split_join("C++ Runtime").is_none());
        assert!(split_join("Windows NT Server 4.0 SP3+").is_none());
    }

    #[test]
    fn a_chain_of_installs_nests() {
        let p = read_one("Windows 2000 Server SP4+ISA Server 2000 SP1+IIS 5.0").expect("reads");
        assert_eq!(p.id(), "iis-5.0@isa-2000/sp1@windows-2000/server/sp4");
    }

    #[test]
    fn no_input_panics() {
        let samples = [
            "Windows NT Server 4.0 SP3以降/Windows 2000 Server(要Proxy Server 2.0 Install Wizard for Windows 2000)+Proxy Server 2.0 SP1",
            "Microsoft .NET Framework 4.6/4.6.1/4.6.2/4.7 on Windows 7 for x64-based Systems Service Pack 1",
            "Microsoft SharePoint Server 2010 Service Pack 2 on Word Automation Services",
            "Windows Server, version 1709  (Server Core Installation)",
            "Excel Services on Microsoft Sharepoint Server 2010 Service Pack 2 Bad",
            "Ｗｉｎｄｏｗｓ　ＸＰ（ＳＰ２）／ＳＰ３＋",
        ];
        for s in samples {
            // Every cut at a character boundary, from either end.
            for (i, _) in s.char_indices() {
                for t in [&s[..i], &s[i..]] {
                    let p = super::parse(t);
                    let _ = super::expand(t);
                    assert_eq!(
                        Product::from_id(&p.product.id()).as_ref(),
                        Ok(&p.product),
                        "{t:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn version_lists() {
        assert!(is_version_list("4.6/4.6.1/4.6.2/4.7"));
        assert!(is_version_list("1607"));
        assert!(!is_version_list("4.6/"));
        assert!(!is_version_list("R2"));
        assert!(!is_version_list("4."));
    }
}
