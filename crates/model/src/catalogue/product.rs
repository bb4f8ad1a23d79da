//! The structured product key, its id string, its English display name and
//! the "covers" relation the fleet check asks about.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::table::{self, BaseProduct, Family, Kind, ReleaseStyle};

/// One product, as precisely as a source names it.
///
/// Every field but `name` is optional because sources differ in how much
/// they say: a legacy page writes "Windows Server 2003", MSRC writes
/// "Windows Server 2008 for x64-based Systems Service Pack 2 (Server Core
/// installation)", an inventory knows the exact edition. A field left empty
/// means "not stated", which is why a coarser key [covers](Product::covers)
/// every finer one.
///
/// Field order is the sort order: products group by family, then base name.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Product {
    /// Derived from `name` through the catalogue; empty for names the
    /// catalogue does not know.
    pub family: Option<Family>,
    /// The base product in the vendor's spelling without "Microsoft "
    /// (`Windows Server 2003`, `Word 2016`, `Internet Explorer 11`). For a
    /// name the catalogue does not know, the whole name as the source wrote it.
    pub name: String,
    /// A release within the base product: Windows 10 `1607`, .NET Framework
    /// `4.6.2`. Alternatives the vendor lists together stay together as it
    /// wrote them (`4.6/4.6.1`); [`expand`](super::expand) splits them.
    pub release: Option<String>,
    /// The edition in the vendor's words (`Enterprise Edition`, `Advanced
    /// Server`, `RT`).
    pub edition: Option<String>,
    pub arch: Option<Arch>,
    pub service_pack: Option<ServicePack>,
    /// Exchange cumulative update or SQL Server servicing branch.
    pub update_level: Option<UpdateLevel>,
    pub channel: Option<Channel>,
    pub install: Option<Install>,
    /// For a component ("Internet Explorer 11 on Windows 7 …"): the product
    /// it is installed on, itself a full key.
    pub platform: Option<Box<Product>>,
}

/// Processor architecture.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// "for 32-bit Systems", "(32-bit editions)".
    X86,
    /// "for x64-based Systems", "x64 Edition", "(64-bit edition)".
    X64,
    /// "for Itanium-based Systems"; "Windows XP 64-Bit Edition".
    Ia64,
    /// "for ARM-based Systems".
    Arm,
}

/// How the product was installed, where it changes what gets patched.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Install {
    /// "(Server Core installation)": a server without the desktop, which
    /// some updates do not apply to.
    ServerCore,
}

/// How the product is delivered, where the vendor ships separate updates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Office "Click-to-Run (C2R)": streamed installs, updated outside MSI.
    ClickToRun,
    /// The Mac build ("Office 2016 for Mac", "Word for Mac 2011").
    Mac,
}

/// A service-pack level. RTM (no service pack; the legacy pages write
/// "SP未適用") is level 0. Letters are their own levels because vendors
/// shipped different files for them (Windows XP SP1a, NT 4.0 SP6a).
///
/// `or_later` carries the pages' "SP3以降" ("SP3 or later"): a minimum,
/// not one level.
///
/// Serialized as `rtm`, `sp1`, `sp1a`, `sp3+`, the same token the id uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServicePack {
    pub level: u8,
    /// A lower-case letter after the number (`a` in SP1a).
    pub letter: Option<char>,
    pub or_later: bool,
}

impl ServicePack {
    pub const RTM: ServicePack = ServicePack {
        level: 0,
        letter: None,
        or_later: false,
    };

    pub const fn sp(level: u8) -> ServicePack {
        ServicePack {
            level,
            letter: None,
            or_later: false,
        }
    }

    /// Reads the id token (`rtm`, `sp1a`, `sp3+`), the pages' forms (`SP1`,
    /// `SP未適用`, `SP3以降`) and `RTM`, in any case.
    pub fn parse(s: &str) -> Option<ServicePack> {
        let t = s.trim().to_lowercase();
        let (t, or_later) = match t.strip_suffix('+').or_else(|| t.strip_suffix("以降")) {
            Some(rest) => (rest.to_string(), true),
            None => (t.clone(), false),
        };
        if t == "rtm" || t == "sp未適用" {
            return Some(ServicePack {
                or_later,
                ..Self::RTM
            });
        }
        let rest = t.strip_prefix("sp")?;
        let (level, letter) = level_and_letter(rest)?;
        Some(ServicePack {
            level,
            letter,
            or_later,
        })
    }

    /// The id token.
    pub fn token(&self) -> String {
        let mut s = if self.level == 0 && self.letter.is_none() {
            "rtm".to_string()
        } else {
            format!("sp{}", self.level)
        };
        if let Some(c) = self.letter {
            s.push(c);
        }
        if self.or_later {
            s.push('+');
        }
        s
    }

    /// Whether a product at level `other` satisfies this one: the same
    /// level, or any level from here on when this one is a minimum.
    pub fn covers(&self, other: &ServicePack) -> bool {
        if self.or_later {
            (other.level, other.letter) >= (self.level, self.letter)
        } else {
            self == other
        }
    }

    /// Whether some level satisfies both.
    pub fn overlaps(&self, other: &ServicePack) -> bool {
        self.covers(other) || other.covers(self) || (self.or_later && other.or_later)
    }
}

/// `1` → (1, None), `1a` → (1, Some('a')).
pub(crate) fn level_and_letter(s: &str) -> Option<(u8, Option<char>)> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &s[digits.len()..];
    let level = digits.parse::<u8>().ok()?;
    let mut cs = rest.chars();
    match (cs.next(), cs.next()) {
        (None, _) => Some((level, None)),
        (Some(c), None) if c.is_ascii_lowercase() => Some((level, Some(c))),
        _ => None,
    }
}

impl fmt::Display for ServicePack {
    /// English: "RTM", "Service Pack 1a", "Service Pack 3 or later".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.level == 0 && self.letter.is_none() {
            f.write_str("RTM")?;
        } else {
            write!(f, "Service Pack {}", self.level)?;
            if let Some(c) = self.letter {
                write!(f, "{c}")?;
            }
        }
        if self.or_later {
            f.write_str(" or later")?;
        }
        Ok(())
    }
}

impl Serialize for ServicePack {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.token())
    }
}

impl<'de> Deserialize<'de> for ServicePack {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ServicePack::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("not a service pack (rtm, sp1, sp1a, sp3+): {s}"))
        })
    }
}

impl JsonSchema for ServicePack {
    fn schema_name() -> Cow<'static, str> {
        "ServicePack".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Service-pack level: rtm (none), sp1, sp1a, …; a trailing + means this level or later.",
            "type": "string",
            "pattern": "^(rtm|sp[0-9]+[a-z]?)\\+?$"
        })
    }
}

/// Servicing level below the service pack.
///
/// Serialized as `cu11`, `gdr`, `cu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UpdateLevel {
    /// Exchange "Cumulative Update 11".
    CumulativeUpdate(u16),
    /// SQL Server "(GDR)": the branch that takes security fixes only.
    Gdr,
    /// SQL Server "(CU)": the branch that takes cumulative updates.
    Cu,
}

impl UpdateLevel {
    pub fn token(&self) -> String {
        match self {
            UpdateLevel::CumulativeUpdate(n) => format!("cu{n}"),
            UpdateLevel::Gdr => "gdr".into(),
            UpdateLevel::Cu => "cu".into(),
        }
    }

    pub fn parse(s: &str) -> Option<UpdateLevel> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "gdr" => Some(UpdateLevel::Gdr),
            "cu" => Some(UpdateLevel::Cu),
            _ => {
                let n = t.strip_prefix("cu")?;
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                n.parse().ok().map(UpdateLevel::CumulativeUpdate)
            }
        }
    }
}

impl fmt::Display for UpdateLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateLevel::CumulativeUpdate(n) => write!(f, "Cumulative Update {n}"),
            UpdateLevel::Gdr => f.write_str("(GDR)"),
            UpdateLevel::Cu => f.write_str("(CU)"),
        }
    }
}

impl Serialize for UpdateLevel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.token())
    }
}

impl<'de> Deserialize<'de> for UpdateLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        UpdateLevel::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("not an update level (cu11, gdr, cu): {s}"))
        })
    }
}

impl JsonSchema for UpdateLevel {
    fn schema_name() -> Cow<'static, str> {
        "UpdateLevel".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "cuN: cumulative update N (Exchange); gdr / cu: SQL Server servicing branch.",
            "type": "string",
            "pattern": "^(gdr|cu[0-9]*)$"
        })
    }
}

/// Why an id string does not name a product.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("empty product id")]
    Empty,
    #[error("no base product has the id segment {0:?}")]
    UnknownBase(String),
    #[error("{0:?} is not a qualifier of {1}")]
    BadSegment(String, String),
    #[error("{0:?} is given twice")]
    Twice(String),
    #[error("bad escape in {0:?}")]
    BadEscape(String),
}

impl Product {
    /// A product with only a name: what the parser keeps for names it does
    /// not know. The family is filled in when the catalogue knows the name.
    pub fn named(name: impl Into<String>) -> Product {
        let name = name.into();
        Product {
            family: table::lookup(&name).map(|r| r.family),
            name,
            release: None,
            edition: None,
            arch: None,
            service_pack: None,
            update_level: None,
            channel: None,
            install: None,
            platform: None,
        }
    }

    /// The catalogue row of the base product, if the name is one.
    pub fn base_row(&self) -> Option<&'static BaseProduct> {
        table::lookup(&self.name)
    }

    /// Whether the catalogue knows this product and its platform.
    pub fn is_known(&self) -> bool {
        self.base_row().is_some() && self.platform.as_ref().is_none_or(|p| p.is_known())
    }

    /// The base product alone, every qualifier and the platform dropped.
    pub fn base(&self) -> Product {
        Product::named(self.name.clone())
    }

    /// A stable, readable id, usable as a database key and as a CSAF
    /// `product_id`:
    ///
    /// - `windows-server-2003/enterprise/x64/sp1`: the base product's slug,
    ///   then its qualifiers in a fixed order: release (`v1607`), edition
    ///   (the edition's slug), architecture, service pack (`rtm`, `sp1a`,
    ///   `sp3+`), update level (`cu11`, `gdr`, `cu`), channel (`c2r`,
    ///   `mac`), install (`core`);
    /// - `ie-11@windows-7/x64/sp1`: a component, `@`, its platform's id;
    /// - `~Contoso_Widget_2.0`: a name the catalogue does not know, after a
    ///   `~`, with spaces as `_`, `/` as `+` and other characters outside
    ///   `A-Za-z0-9.-` percent-encoded. Free text in a release or an
    ///   unknown edition is written the same way.
    ///
    /// [`Product::from_id`] reads it back.
    pub fn id(&self) -> String {
        let row = self.base_row();
        let mut s = match row {
            Some(r) => r.slug.to_string(),
            None => format!("~{}", encode(&self.name)),
        };
        if let Some(r) = &self.release {
            s.push_str("/v");
            s.push_str(&encode(r));
        }
        if let Some(e) = &self.edition {
            s.push('/');
            match row.and_then(|r| r.edition(e)) {
                Some(ed) => s.push_str(ed.slug),
                None => {
                    s.push('~');
                    s.push_str(&encode(e));
                }
            }
        }
        if let Some(a) = self.arch {
            s.push('/');
            s.push_str(arch_token(a));
        }
        if let Some(sp) = &self.service_pack {
            s.push('/');
            s.push_str(&sp.token());
        }
        if let Some(u) = &self.update_level {
            s.push('/');
            s.push_str(&u.token());
        }
        if let Some(c) = self.channel {
            s.push('/');
            s.push_str(channel_token(c));
        }
        if let Some(Install::ServerCore) = self.install {
            s.push_str("/core");
        }
        if let Some(p) = &self.platform {
            s.push('@');
            s.push_str(&p.id());
        }
        s
    }

    /// Reads an id written by [`Product::id`]. Qualifiers may come in any
    /// order; each at most once.
    pub fn from_id(id: &str) -> Result<Product, IdError> {
        let (own, platform) = match id.split_once('@') {
            Some((a, b)) => (a, Some(b)),
            None => (id, None),
        };
        let mut segs = own.split('/');
        let head = segs
            .next()
            .filter(|s| !s.is_empty())
            .ok_or(IdError::Empty)?;
        let (row, mut p) = if let Some(enc) = head.strip_prefix('~') {
            let name = decode(enc).ok_or_else(|| IdError::BadEscape(head.into()))?;
            (None, Product::named(name))
        } else {
            let row = table::lookup_slug(head).ok_or_else(|| IdError::UnknownBase(head.into()))?;
            (Some(row), Product::named(row.name))
        };
        // A known name spelled out after `~` is still that product.
        let row = row.or_else(|| p.base_row());
        for seg in segs {
            let twice = || IdError::Twice(seg.to_string());
            let bad = || IdError::BadSegment(seg.to_string(), head.to_string());
            if let Some(a) = arch_from_token(seg) {
                set(&mut p.arch, a).map_err(|_| twice())?;
            } else if let Some(sp) = ServicePack::parse(seg).filter(|_| is_sp_token(seg)) {
                set(&mut p.service_pack, sp).map_err(|_| twice())?;
            } else if let Some(u) = UpdateLevel::parse(seg).filter(|_| is_ascii_lower(seg)) {
                set(&mut p.update_level, u).map_err(|_| twice())?;
            } else if let Some(c) = channel_from_token(seg) {
                set(&mut p.channel, c).map_err(|_| twice())?;
            } else if seg == "core" {
                set(&mut p.install, Install::ServerCore).map_err(|_| twice())?;
            } else if let Some(v) = seg.strip_prefix('v').filter(|v| !v.is_empty()) {
                let v = decode(v).ok_or_else(|| IdError::BadEscape(seg.into()))?;
                set(&mut p.release, v).map_err(|_| twice())?;
            } else if let Some(e) = seg.strip_prefix('~') {
                let e = decode(e).ok_or_else(|| IdError::BadEscape(seg.into()))?;
                set(&mut p.edition, e).map_err(|_| twice())?;
            } else if let Some(e) = row.and_then(|r| r.edition_by_slug(seg)) {
                set(&mut p.edition, e.name.to_string()).map_err(|_| twice())?;
            } else {
                return Err(bad());
            }
        }
        if let Some(rest) = platform {
            p.platform = Some(Box::new(Product::from_id(rest)?));
        }
        Ok(p)
    }

    /// The canonical English name: the catalogue's spelling of base and
    /// edition, then release, architecture, service pack, update level,
    /// channel and install in the vendor's usual words, then "on" and the
    /// platform. [`parse`](super::parse) reads it back to the same key.
    pub fn display_name(&self) -> String {
        let row = self.base_row();
        let mut s = match (&self.edition, row) {
            (Some(e), Some(r)) => match r.edition(e) {
                Some(ed) => ed.forms[0].replace("{}", r.name),
                None => format!("{} {e}", self.name),
            },
            (Some(e), None) => format!("{} {e}", self.name),
            (None, _) => self.name.clone(),
        };
        if let Some(rel) = &self.release {
            match row
                .map(|r| r.release_style)
                .unwrap_or(ReleaseStyle::Version)
            {
                ReleaseStyle::Version => s.push_str(" Version "),
                ReleaseStyle::CommaVersion => s.push_str(", version "),
                ReleaseStyle::Plain => s.push(' '),
            }
            s.push_str(rel);
        }
        if let Some(a) = self.arch {
            let office = matches!(
                row.map(|r| r.family),
                Some(Family::Office | Family::SharePoint)
            );
            s.push_str(match (a, office) {
                (Arch::X86, true) => " (32-bit edition)",
                (Arch::X64, true) => " (64-bit edition)",
                (Arch::X86, false) => " for 32-bit Systems",
                (Arch::X64, false) => " for x64-based Systems",
                (Arch::Ia64, _) => " for Itanium-based Systems",
                (Arch::Arm, _) => " for ARM-based Systems",
            });
        }
        if let Some(sp) = &self.service_pack {
            s.push(' ');
            s.push_str(&sp.to_string());
        }
        if let Some(u) = &self.update_level {
            s.push(' ');
            s.push_str(&u.to_string());
        }
        match self.channel {
            Some(Channel::ClickToRun) => s.push_str(" Click-to-Run"),
            Some(Channel::Mac) => s.push_str(" for Mac"),
            None => {}
        }
        if let Some(Install::ServerCore) = self.install {
            s.push_str(" (Server Core installation)");
        }
        if let Some(p) = &self.platform {
            s.push_str(" on ");
            s.push_str(&p.display_name());
        }
        s
    }

    /// Whether every product `other` describes is also described by `self`:
    /// `self` is the same key or a coarser one. This is the fleet check's
    /// question with the alert's product as `self` and the machine's as
    /// `other`.
    ///
    /// Field by field, a field `self` leaves empty accepts anything, and a
    /// field `self` states must be stated by `other` too, with:
    ///
    /// - base product: the same, or one the catalogue places within it
    ///   (Windows Server 2003 R2 within Windows Server 2003; every Windows
    ///   release within the generic "Windows");
    /// - edition: the same, or one within it (Windows 2000 Advanced Server
    ///   within Server). An edition-less key covers every edition, so
    ///   "Windows 2000" covers "Windows 2000 Server";
    /// - release: `other`'s releases all among `self`'s (".NET Framework
    ///   4.6/4.6.1" covers "4.6.1");
    /// - service pack: the same level, or at least the level when `self` is
    ///   "or later";
    /// - architecture, update level, channel, install: equal;
    /// - platform: covered the same way. A component without a platform
    ///   covers it on any platform.
    ///
    /// A component never covers its platform or the reverse: "Internet
    /// Explorer 11 on Windows 7" and "Windows 7" are different products.
    pub fn covers(&self, other: &Product) -> bool {
        base_covers(&self.name, &other.name)
            && stated_covers(&self.release, &other.release, |a, b| {
                alternatives(b).all(|x| alternatives(a).any(|y| y == x))
            })
            && stated_covers(&self.edition, &other.edition, |a, b| {
                a == b || other.base_row().is_some_and(|r| r.edition_within(b, a))
            })
            && stated_covers(&self.arch, &other.arch, |a, b| a == b)
            && stated_covers(&self.service_pack, &other.service_pack, |a, b| a.covers(b))
            && stated_covers(&self.update_level, &other.update_level, |a, b| a == b)
            && stated_covers(&self.channel, &other.channel, |a, b| a == b)
            && stated_covers(&self.install, &other.install, |a, b| a == b)
            && stated_covers(&self.platform, &other.platform, |a, b| a.covers(b))
    }

    /// Whether some real product could be described by both keys: each field
    /// agrees, or at least one side leaves it open. For the fleet check when
    /// the inventory does not know everything (a machine whose service pack
    /// was not collected still *might* be affected), where
    /// [`covers`](Product::covers) would say no.
    pub fn overlaps(&self, other: &Product) -> bool {
        (base_covers(&self.name, &other.name) || base_covers(&other.name, &self.name))
            && open_or(&self.release, &other.release, |a, b| {
                alternatives(a).any(|x| alternatives(b).any(|y| y == x))
            })
            && open_or(&self.edition, &other.edition, |a, b| {
                a == b
                    || self.base_row().is_some_and(|r| r.edition_within(a, b))
                    || other.base_row().is_some_and(|r| r.edition_within(b, a))
            })
            && open_or(&self.arch, &other.arch, |a, b| a == b)
            && open_or(&self.service_pack, &other.service_pack, |a, b| {
                a.overlaps(b)
            })
            && open_or(&self.update_level, &other.update_level, |a, b| a == b)
            && open_or(&self.channel, &other.channel, |a, b| a == b)
            && open_or(&self.install, &other.install, |a, b| a == b)
            && open_or(&self.platform, &other.platform, |a, b| a.overlaps(b))
    }
}

impl fmt::Display for Product {
    /// The canonical English name ([`Product::display_name`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_name())
    }
}

impl FromStr for Product {
    type Err = IdError;

    /// Reads an id ([`Product::from_id`]); use [`parse`](super::parse) for
    /// names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Product::from_id(s)
    }
}

/// Base `a` covers base `b`: the same name, a row `b` lies within, or the
/// generic row of `b`'s family.
fn base_covers(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (Some(ra), Some(mut rb)) = (table::lookup(a), table::lookup(b)) else {
        return false;
    };
    if ra.kind == Kind::Generic && rb.kind == Kind::Os && rb.family == ra.family {
        return true;
    }
    // Bounded walk up the `within` chain.
    for _ in 0..table::BASES.len() {
        match rb.within.and_then(table::lookup) {
            Some(up) if up.name == ra.name => return true,
            Some(up) => rb = up,
            None => return false,
        }
    }
    false
}

fn stated_covers<T>(a: &Option<T>, b: &Option<T>, f: impl Fn(&T, &T) -> bool) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => f(a, b),
    }
}

fn open_or<T>(a: &Option<T>, b: &Option<T>, f: impl Fn(&T, &T) -> bool) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => f(a, b),
        _ => true,
    }
}

/// The alternatives of a release (`4.6/4.6.1` → `4.6`, `4.6.1`).
pub(crate) fn alternatives(release: &str) -> impl Iterator<Item = &str> {
    release.split('/').map(str::trim)
}

fn set<T>(slot: &mut Option<T>, v: T) -> Result<(), ()> {
    if slot.is_some() {
        return Err(());
    }
    *slot = Some(v);
    Ok(())
}

fn is_ascii_lower(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'+')
}

/// Only the id's own spelling of a service pack, so that an edition slug can
/// never be read as one.
fn is_sp_token(s: &str) -> bool {
    is_ascii_lower(s) && (s.starts_with("rtm") || s.starts_with("sp"))
}

pub(crate) fn arch_token(a: Arch) -> &'static str {
    match a {
        Arch::X86 => "x86",
        Arch::X64 => "x64",
        Arch::Ia64 => "ia64",
        Arch::Arm => "arm",
    }
}

fn arch_from_token(s: &str) -> Option<Arch> {
    match s {
        "x86" => Some(Arch::X86),
        "x64" => Some(Arch::X64),
        "ia64" => Some(Arch::Ia64),
        "arm" => Some(Arch::Arm),
        _ => None,
    }
}

fn channel_token(c: Channel) -> &'static str {
    match c {
        Channel::ClickToRun => "c2r",
        Channel::Mac => "mac",
    }
}

fn channel_from_token(s: &str) -> Option<Channel> {
    match s {
        "c2r" => Some(Channel::ClickToRun),
        "mac" => Some(Channel::Mac),
        _ => None,
    }
}

/// Whether a token of an id could be mistaken for a qualifier: edition
/// slugs must not be (checked by a test).
#[cfg(test)]
pub(crate) fn is_reserved_token(s: &str) -> bool {
    arch_from_token(s).is_some()
        || channel_from_token(s).is_some()
        || s == "core"
        || (is_sp_token(s) && ServicePack::parse(s).is_some())
        || UpdateLevel::parse(s).is_some()
        || s.starts_with('v')
        || s.starts_with('~')
}

/// Free text in an id: `A-Za-z0-9.-` as is, space as `_`, `/` as `+`, every
/// other byte as `%XX`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' => out.push(b as char),
            b' ' => out.push('_'),
            b'/' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'+' => out.push(b'/'),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_pack_tokens() {
        for (text, token) in [
            ("SP1", "sp1"),
            ("sp1a", "sp1a"),
            ("SP未適用", "rtm"),
            ("RTM", "rtm"),
            ("SP3以降", "sp3+"),
            ("sp6a", "sp6a"),
            ("sp0", "rtm"),
        ] {
            assert_eq!(
                ServicePack::parse(text).map(|s| s.token()),
                Some(token.into())
            );
        }
        for bad in ["SP", "SPx", "sp1ab", "sp1-", "service", "sp300"] {
            assert_eq!(ServicePack::parse(bad), None, "{bad}");
        }
        assert!(ServicePack::sp(1) < ServicePack::parse("sp1a").unwrap());
        assert!(ServicePack::parse("sp1a").unwrap() < ServicePack::sp(2));
    }

    #[test]
    fn or_later_is_a_minimum() {
        let min = ServicePack::parse("SP3以降").unwrap();
        assert!(min.covers(&ServicePack::sp(3)));
        assert!(min.covers(&ServicePack::parse("sp6a").unwrap()));
        assert!(!min.covers(&ServicePack::sp(2)));
        assert!(!ServicePack::sp(3).covers(&min));
        assert!(ServicePack::sp(3).overlaps(&min));
        assert!(!ServicePack::sp(2).overlaps(&min));
    }

    #[test]
    fn free_text_escapes_round_trip() {
        for s in ["Contoso Widget 2.0", "a/b+c_d%e~f@g", "日本語 (テスト)", ""] {
            assert_eq!(decode(&encode(s)).as_deref(), Some(s));
        }
        assert_eq!(encode("Foo Bar/2"), "Foo_Bar+2");
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%F"), None);
    }

    #[test]
    fn serde_uses_the_tokens() {
        let sp: ServicePack = serde_json::from_str("\"sp1a\"").unwrap();
        assert_eq!(serde_json::to_string(&sp).unwrap(), "\"sp1a\"");
        assert!(serde_json::from_str::<ServicePack>("\"Sp\"").is_err());
        let u: UpdateLevel = serde_json::from_str("\"cu11\"").unwrap();
        assert_eq!(u, UpdateLevel::CumulativeUpdate(11));
        assert!(serde_json::from_str::<UpdateLevel>("\"cux\"").is_err());
    }
}
