//! The inventory: what an administrator knows about each machine, as JSON
//! (every field) or CSV (one row a machine, lists in cells).
//!
//! Reading is per record: one machine with a wrong type, an operating
//! system the catalogue does not know or a name used twice is rejected
//! with its index (or CSV line), its name and the field, and the others are
//! checked. Only a file that is not an inventory at all (not JSON, no
//! `machines`, no CSV header, too large) fails as a whole.
//!
//! A list that is absent means "not collected", an empty list "collected,
//! none": `"components": []` says the machine has no optional component,
//! while no `components` key says nobody looked. The check needs the
//! difference: a missing update is only reported as missing where updates
//! (or registry keys) were collected, and is "unknown" elsewhere.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

use hfr_model::catalogue::{self, Arch, Kind, Product, ServicePack, Warning};
use rustc_hash::FxHashMap;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::component::Component;
use crate::version::{trim, Version};

mod json;

/// The largest inventory read: 512 MiB. An inventory of 100,000 machines
/// with a few dozen files, keys and updates each is about 370 MB of JSON
/// (bench/fleet), and the whole file is held while it is read, so the
/// limit is also what bounds memory. A caller checks the file's size
/// against it before reading (and reads through [`read_capped`], which
/// stops at the limit anyway, for uploads and pipes whose size is not known
/// in advance).
pub const MAX_INVENTORY_BYTES: u64 = 512 * 1024 * 1024;

/// Reads at most `limit` bytes: more is [`InventoryError::TooLarge`], found
/// without reading (or holding) more than one byte past the limit.
pub fn read_capped<R: Read>(reader: R, limit: u64) -> Result<Vec<u8>, InventoryError> {
    let mut buf = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| InventoryError::Io(e.to_string()))?;
    if buf.len() as u64 > limit {
        return Err(InventoryError::TooLarge { limit });
    }
    Ok(buf)
}

/// Why a file is not an inventory at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    #[error("the inventory is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("cannot read the inventory: {0}")]
    Io(String),
    #[error("the inventory is not UTF-8 text (byte {offset})")]
    NotUtf8 { offset: usize },
    #[error("not an inventory: JSON error at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not an inventory: {0}")]
    Shape(String),
    #[error("CSV error at line {line}: {message}")]
    Csv { line: u64, message: String },
}

// ── The file format ──────────────────────────────────────────────────────

/// An inventory file: the machines to check against the archive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hfr fleet inventory")]
pub struct Inventory {
    /// The schema this file follows (ignored by hfr).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Free text: where and when the inventory was collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected: Option<String>,
    /// One record a machine. Names must be unique (ignoring case).
    pub machines: Vec<MachineRecord>,
}

/// One machine as the inventory describes it. Product names are English,
/// as the vendor and the alerts write them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MachineRecord {
    /// The machine's name, unique in the inventory (ignoring case).
    pub name: String,
    /// Operating system with its edition, e.g. `Windows Server 2003,
    /// Enterprise Edition`, `Windows 2000 Server`, `Windows XP
    /// Professional`, `Windows 10 Enterprise Version 1607`. Must be a name
    /// hfr's product catalogue knows.
    pub os: String,
    /// Service pack: `SP4`, `SP1a`, `SP未適用` or `RTM` (none). Absent:
    /// not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_pack: Option<String>,
    /// Processor architecture. Absent: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
    /// Server or client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The OS build and revision, e.g. `10.0.14393.1770` (for alerts from
    /// Microsoft's monthly data, which give a fixed build per product).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_build: Option<String>,
    /// Installed products other than the OS: a name with its service pack
    /// (`ISA Server 2000 SP1`) or an object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductRecord>,
    /// Optional Windows components installed: `smtp`, `wins`, `msmq`,
    /// `nntp`, `ftp`, `dhcp`, `dns`, `iis`, `terminal_services`, `rras`,
    /// `frontpage_extensions`, `indexing_service`, `fax`, `telnet` (case and
    /// spaces ignored; other names are kept, with a warning). Absent: not
    /// collected; `[]`: none installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
    /// Installed updates by KB number: `KB870763` (or `870763`, `Q870763`).
    /// Absent: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates: Option<Vec<String>>,
    /// Registry keys present, e.g.
    /// `HKLM\SOFTWARE\Microsoft\Updates\Windows 2000\SP5\KB870763`
    /// (`HKLM` or `HKEY_LOCAL_MACHINE`, case ignored, a trailing
    /// `\Filelist` optional). Absent: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_keys: Option<Vec<String>>,
    /// Versions of the files the archive knows about. Absent: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<FileRecord>>,
}

/// Server or client (対象環境).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Server,
    Client,
}

impl Role {
    pub fn label_ja(self) -> &'static str {
        match self {
            Role::Server => "サーバ",
            Role::Client => "クライアント",
        }
    }
}

/// An installed product: `"Exchange Server 2003 SP1"` or
/// `{"name": "Exchange Server 2003", "service_pack": "SP1"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ProductRecord {
    Name(String),
    Full(ProductDetails),
}

/// An installed product with its details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductDetails {
    /// English product name, e.g. `Exchange Server 2003`, `ISA Server 2000
    /// Standard Edition`, `Office 2016 (32-bit edition)`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_pack: Option<String>,
    /// The product's build, e.g. `16.0.4549.1000`, for fixed-build checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
}

impl<'de> Deserialize<'de> for ProductRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ProductRecord;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a product name or an object {name, service_pack, build}")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ProductRecord, E> {
                Ok(ProductRecord::Name(s.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ProductRecord, A::Error> {
                ProductDetails::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ProductRecord::Full)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for ProductRecord {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ProductRecord".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let details = g.subschema_for::<ProductDetails>();
        json_schema!({
            "description": "An installed product: its name with the service pack (`ISA Server 2000 SP1`), or an object.",
            "oneOf": [{"type": "string", "minLength": 1}, details]
        })
    }
}

/// The version of one file on the machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    /// File name, e.g. `wins.exe` (case ignored).
    pub name: String,
    /// Folder, as the alerts write it (`%SystemRoot%\system32\`) or a real
    /// path; kept for the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// File version, e.g. `5.0.2195.7005`.
    pub version: String,
    /// Bytes; decides when a fix ships a file with an unchanged version
    /// number (Proxy Server 2.0 in MS04-039).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The servicing branch the file is on, when known: `gdr` or `qfe`
    /// (`ldr` is read as `qfe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<BranchKind>,
}

/// GDR (security fixes only) or QFE/LDR (every hotfix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BranchKind {
    Gdr,
    #[serde(alias = "ldr")]
    Qfe,
}

impl BranchKind {
    pub fn label(self) -> &'static str {
        match self {
            BranchKind::Gdr => "GDR",
            BranchKind::Qfe => "QFE",
        }
    }
}

/// The JSON Schema of the inventory file, as checked into
/// `schema/inventory.schema.json`.
pub fn inventory_json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Inventory);
    serde_json::to_value(&schema).unwrap_or(serde_json::Value::Null)
}

// ── Validated machines ───────────────────────────────────────────────────

/// A machine the check can use: names read through the product catalogue,
/// versions parsed, keys and KB numbers in one spelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub name: String,
    /// The OS key: base, edition, service pack and architecture as given.
    pub os: Product,
    pub role: Option<Role>,
    pub os_build: Option<Version>,
    pub products: Vec<InstalledProduct>,
    /// Sorted, without repeats; `None`: not collected.
    pub components: Option<Vec<Component>>,
    /// KB numbers (870763 for `KB870763`), sorted, without repeats;
    /// `None`: not collected.
    pub updates: Option<Vec<u32>>,
    /// Normalised by [`normalize_key`], sorted; `None`: not collected.
    /// Shared: a fleet has a few thousand distinct keys among millions,
    /// so the JSON reader keeps one copy of each per reading thread.
    pub registry_keys: Option<Vec<Arc<str>>>,
    /// Sorted by name; `None`: not collected.
    pub files: Option<Vec<FileFact>>,
}

/// An installed product.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstalledProduct {
    pub product: Product,
    pub build: Option<Version>,
}

/// One file on a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFact {
    /// Lower case. Shared like the registry keys.
    pub name: Arc<str>,
    pub path: Option<String>,
    pub version: Version,
    pub size: Option<u64>,
    pub branch: Option<BranchKind>,
}

impl Machine {
    /// The file called `name` (lower case), if the inventory lists it.
    pub fn file(&self, name: &str) -> Option<&FileFact> {
        let files = self.files.as_ref()?;
        files
            .binary_search_by(|f| (*f.name).cmp(name))
            .ok()
            .map(|i| &files[i])
    }

    /// Whether the machine lists KB `kb` (the number).
    pub fn has_update(&self, kb: u32) -> bool {
        self.updates
            .as_ref()
            .is_some_and(|u| u.binary_search(&kb).is_ok())
    }

    pub fn has_key(&self, key: &str) -> bool {
        self.registry_keys
            .as_ref()
            .is_some_and(|u| u.binary_search_by(|x| (**x).cmp(key)).is_ok())
    }

    pub fn has_component(&self, c: &Component) -> Option<bool> {
        self.components
            .as_ref()
            .map(|cs| cs.binary_search(c).is_ok())
    }

    /// The machine's name for a human: the canonical English OS name.
    pub fn os_display(&self) -> String {
        self.os.display_name()
    }
}

/// A registry key in one spelling: `HKLM\` for `HKEY_LOCAL_MACHINE\` (and
/// the other hives), lower case, no trailing `\` or `\Filelist` (the
/// alerts point at the Filelist below the update's key; an inventory may
/// list either).
pub fn normalize_key(key: &str) -> String {
    let t = trim(key);
    if t.is_ascii() {
        // An inventory lists some fifteen keys per machine, nearly always
        // ASCII: no Unicode case tables for those.
        let folded: Vec<u8> = t.bytes().map(fold_key_byte).collect();
        return finish_key(&folded);
    }
    let mut k = t.replace('/', "\\").to_lowercase();
    if let Some((long, short)) = HIVES.iter().find(|(long, _)| k.starts_with(long)) {
        k.replace_range(..long.len(), short);
    }
    while k.ends_with('\\') {
        k.pop();
    }
    if let Some(rest) = k.strip_suffix("\\filelist") {
        k.truncate(rest.len());
    }
    k
}

/// An ASCII key byte as [`normalize_key`] keeps it: lower case, `/`
/// turned into `\`.
#[inline]
pub(crate) fn fold_key_byte(c: u8) -> u8 {
    if c == b'/' {
        b'\\'
    } else {
        c.to_ascii_lowercase()
    }
}

/// The rest of [`normalize_key`] for an ASCII key already trimmed and
/// folded byte by byte ([`fold_key_byte`]): the hive shortened, trailing
/// `\` and a final `\filelist` dropped, in one allocation.
pub(crate) fn finish_key(k: &[u8]) -> String {
    let mut v = Vec::with_capacity(k.len());
    finish_key_in(k, &mut v);
    // ASCII in, ASCII out: never lossy.
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`finish_key`] into `v` (cleared first), for a reader that interns the
/// key rather than keeping the bytes.
pub(crate) fn finish_key_in(k: &[u8], v: &mut Vec<u8>) {
    let (short, rest) = HIVES
        .iter()
        .find_map(|(long, short)| {
            k.strip_prefix(long.as_bytes())
                .map(|rest| (short.as_bytes(), rest))
        })
        .unwrap_or((b"", k));
    v.clear();
    v.extend_from_slice(short);
    v.extend_from_slice(rest);
    while v.last() == Some(&b'\\') {
        v.pop();
    }
    if v.ends_with(b"\\filelist") {
        v.truncate(v.len() - b"\\filelist".len());
    }
}

/// One shared copy of each distinct string a reading thread sees as a
/// registry key or file name. A fleet's machines list the same few
/// thousand keys and file names over and over (100,000 machines: some 1.5
/// million keys of about 80 bytes, and 1.1 million file names): kept once
/// each, they take a pointer per mention instead of an allocation, and
/// the check can tell two mentions of one key by their pointer.
#[derive(Default)]
pub(crate) struct Interner {
    seen: rustc_hash::FxHashSet<Arc<str>>,
}

impl Interner {
    /// The shared copy of `s`.
    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.seen.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.seen.insert(a.clone());
        a
    }
}

/// The hives' long names, and the short ones keys are kept with.
const HIVES: [(&str, &str); 4] = [
    ("hkey_local_machine\\", "hklm\\"),
    ("hkey_current_user\\", "hkcu\\"),
    ("hkey_classes_root\\", "hkcr\\"),
    ("hkey_users\\", "hku\\"),
];

/// `KB870763`, `kb870763`, `870763`, `Q870763` → 870763.
///
/// An inventory lists some 150 of these per machine, so this reads the
/// digits as it checks them.
pub fn parse_kb(s: &str) -> Option<u32> {
    let t = trim(s).as_bytes();
    let digits = match t {
        [b'K', b'B' | b'b', rest @ ..] | [b'k', b'b', rest @ ..] | [b'Q' | b'q', rest @ ..] => rest,
        _ => t,
    };
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let mut n: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        // Nine digits fit in a u32.
        n = n * 10 + u32::from(d - b'0');
    }
    (n > 0).then_some(n)
}

/// `KB870763`, `kb870763`, `870763`, `Q870763` → `KB870763`.
pub fn normalize_kb(s: &str) -> Option<String> {
    let t = s.trim();
    let digits = t
        .strip_prefix("KB")
        .or_else(|| t.strip_prefix("kb"))
        .or_else(|| t.strip_prefix("Kb"))
        .or_else(|| t.strip_prefix('Q'))
        .or_else(|| t.strip_prefix('q'))
        .unwrap_or(t);
    (!digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("KB{}", digits.trim_start_matches('0')))
}

/// A service pack as inventories write it: `SP4`, `sp1a`, `Service Pack
/// 2`, `SP未適用`, `RTM`, `none`, or the bare level `2`.
pub fn parse_service_pack(s: &str) -> Option<ServicePack> {
    let t = s.trim();
    let lower = t.to_lowercase();
    if lower == "none" || lower == "0" {
        return Some(ServicePack::RTM);
    }
    let compact: String = lower
        .strip_prefix("service pack")
        .map(|r| format!("sp{}", r.trim()))
        .unwrap_or_else(|| {
            if lower.starts_with(|c: char| c.is_ascii_digit()) {
                format!("sp{lower}")
            } else {
                lower.replace(' ', "")
            }
        });
    let sp = ServicePack::parse(&compact)?;
    // A machine is at one level; "SP3 or later" describes alerts, not machines.
    (!sp.or_later).then_some(sp)
}

// ── Results of reading ───────────────────────────────────────────────────

/// A record that was not used, and why: which record (index and, for CSV,
/// line), which machine, which field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// 0-based position among the records.
    pub index: usize,
    /// CSV line (1-based, the header is line 1); `None` for JSON.
    pub line: Option<u64>,
    /// The machine's name, when it could be read.
    pub name: Option<String>,
    /// The field at fault, as a path: `os`, `files[2].version`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}")?,
            None => write!(f, "machines[{}]", self.index)?,
        }
        if let Some(n) = &self.name {
            write!(f, " ({n})")?;
        }
        write!(f, ": {}: {}", self.field, self.message)
    }
}

/// Something about an accepted record a person should look at: a product
/// or component name no rule knows.
pub type RecordWarning = Reject;

/// The machines read from an inventory, and the records that were not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedInventory {
    pub collected: Option<String>,
    pub machines: Vec<Machine>,
    pub rejects: Vec<Reject>,
    pub warnings: Vec<RecordWarning>,
}

/// JSON or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// By the file name's extension when it has a telling one, else by the
    /// content: JSON starts with `{` (after a BOM and spaces).
    pub fn detect(file_name: Option<&str>, bytes: &[u8]) -> Format {
        if let Some(n) = file_name {
            let lower = n.to_ascii_lowercase();
            if lower.ends_with(".csv") {
                return Format::Csv;
            }
            if lower.ends_with(".json") {
                return Format::Json;
            }
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') | Some(b'[') => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// Reads an inventory in either format.
pub fn parse(bytes: &[u8], format: Format) -> Result<ParsedInventory, InventoryError> {
    match format {
        Format::Json => parse_json(bytes),
        Format::Csv => parse_csv(bytes),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, InventoryError> {
    if bytes.len() as u64 > MAX_INVENTORY_BYTES {
        return Err(InventoryError::TooLarge {
            limit: MAX_INVENTORY_BYTES,
        });
    }
    let not_utf8 = |offset| InventoryError::NotUtf8 { offset };
    // Checked in two halves at once when large (a few hundred MB take
    // a tenth of a second on one core), split where a character starts.
    let mut mid = bytes.len() / 2;
    while bytes.get(mid).is_some_and(|b| b & 0xC0 == 0x80) {
        mid += 1;
    }
    let text = if bytes.len() < (1 << 24) || mid >= bytes.len() {
        std::str::from_utf8(bytes).map_err(|e| not_utf8(e.valid_up_to()))?
    } else {
        let (a, b) = bytes.split_at(mid);
        let halves = crate::par::each(vec![(0, a), (mid, b)], |(at, half)| {
            std::str::from_utf8(half).map_err(|e| at + e.valid_up_to())
        });
        for h in halves {
            h.map_err(not_utf8)?;
        }
        // SAFETY: both halves were just checked to be UTF-8, and a string
        // of UTF-8 followed by another is UTF-8 (each half ends with a
        // whole character, or `from_utf8` would have refused it).
        unsafe { std::str::from_utf8_unchecked(bytes) }
    };
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The top level, with each record left unread so that a bad one can be
/// rejected alone (the slow path of [`parse_json`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory<'a> {
    #[serde(rename = "$schema", default)]
    _schema: Option<de::IgnoredAny>,
    #[serde(default)]
    collected: Option<String>,
    #[serde(borrow)]
    machines: Vec<&'a RawValue>,
}

/// Reads a JSON inventory ([`Inventory`]).
///
/// The records are read in one pass over the bytes, on every core (see
/// the `json` module), each on its own, and then names are checked for
/// repeats in file order. A file that pass cannot read as an inventory
/// is read again with serde_json, which names the error (line and column)
/// or, for a shape the pass does not know, reads it.
pub fn parse_json(bytes: &[u8]) -> Result<ParsedInventory, InventoryError> {
    let t0 = std::time::Instant::now();
    let text = utf8(bytes)?;
    let t1 = std::time::Instant::now();
    let (collected, outcomes) = match json::parse(text) {
        Some(read) => read,
        None => parse_json_slow(text)?,
    };
    let t2 = std::time::Instant::now();
    let mut v = Validator::with_capacity(outcomes.len());
    for o in outcomes {
        v.take(o);
    }
    tracing::debug!(
        target: "hfr_fleet::timing",
        utf8 = ?(t1 - t0),
        records = ?(t2 - t1),
        names = ?t2.elapsed(),
        "inventory parsed"
    );
    Ok(v.finish(collected))
}

/// The whole file through serde_json: the top level, then each record.
/// Only for files the one-pass reader turned down, so one thread does.
fn parse_json_slow(text: &str) -> Result<(Option<String>, Vec<Outcome>), InventoryError> {
    let raw: RawInventory = serde_json::from_str(text).map_err(|e| InventoryError::Json {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    let mut rd = json::Reader::new();
    let outcomes = raw
        .machines
        .iter()
        .enumerate()
        .map(|(index, rec)| match rd.one(rec.get(), 0, index) {
            Some((o, _)) => o,
            // Valid JSON that serde still refuses to start on (nested past
            // its recursion limit): a rejected record.
            None => read_outcome_slow(&mut rd.cache, index, rec.get()),
        })
        .collect();
    Ok((raw.collected, outcomes))
}

/// Reads one record with serde, naming the field at fault if it fails
/// (`files[2].version`, or the missing field itself).
fn read_outcome_slow(cache: &mut Cache, index: usize, json: &str) -> Outcome {
    let mut de = serde_json::Deserializer::from_str(json);
    match serde_path_to_error::deserialize::<_, FastRecord>(&mut de) {
        Ok(r) => cache.machine(index, None, r.into_rec()),
        Err(e) => {
            let message = strip_position(&e.inner().to_string());
            // A missing field is an error of the object around it; name
            // the field itself.
            let path = e.path().to_string();
            let field = match missing_field(&message) {
                Some(f) if path.is_empty() || path == "." => f.to_string(),
                Some(f) => format!("{path}.{f}"),
                None => path_or(path, "(record)"),
            };
            Outcome::Rejected(Reject {
                index,
                line: None,
                name: name_of(json),
                field,
                message,
            })
        }
    }
}

/// The record's `name`, if it has a string one, for naming a rejected
/// record.
fn name_of(json: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct N {
        name: Option<serde_json::Value>,
    }
    serde_json::from_str::<N>(json)
        .ok()
        .and_then(|n| n.name)
        .and_then(|v| v.as_str().map(str::to_string))
}

/// `missing field `os`` → `os`.
fn missing_field(msg: &str) -> Option<&str> {
    msg.strip_prefix("missing field `")?.split('`').next()
}

fn path_or(p: String, default: &str) -> String {
    if p.is_empty() || p == "." {
        default.to_string()
    } else {
        p
    }
}

/// serde_json ends messages with " at line L column C"; within a record
/// those numbers mean little, the field path says more.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => msg[..i].to_string(),
        _ => msg.to_string(),
    }
}

/// The CSV columns, in the order `hfr fleet template --csv` writes them.
/// `name` and `os` are required; lists are `;`-separated, `-` is an empty
/// list that was collected (an empty cell: not collected); files are
/// `name=version`.
pub const CSV_COLUMNS: &[&str] = &[
    "name",
    "os",
    "service_pack",
    "arch",
    "role",
    "os_build",
    "products",
    "components",
    "updates",
    "registry_keys",
    "files",
];

/// Reads a CSV inventory: a header row naming columns from
/// [`CSV_COLUMNS`] (any order, case ignored), then one row a machine.
pub fn parse_csv(bytes: &[u8]) -> Result<ParsedInventory, InventoryError> {
    let text = utf8(bytes)?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| InventoryError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let mut col: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_ascii_lowercase();
        match CSV_COLUMNS.iter().find(|c| **c == h) {
            Some(c) => {
                if col.insert(c, i).is_some() {
                    return Err(InventoryError::Shape(format!(
                        "CSV column {h:?} appears twice"
                    )));
                }
            }
            None => {
                return Err(InventoryError::Shape(format!(
                    "unknown CSV column {h:?} (columns: {})",
                    CSV_COLUMNS.join(", ")
                )))
            }
        }
    }
    for required in ["name", "os"] {
        if !col.contains_key(required) {
            return Err(InventoryError::Shape(format!(
                "the CSV header has no {required:?} column"
            )));
        }
    }
    let mut v = Validator::default();
    for (index, row) in rdr.records().enumerate() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(index as u64 + 2, |p| p.line());
                if matches!(
                    e.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::Io(_)
                ) {
                    return Err(InventoryError::Csv {
                        line,
                        message: e.to_string(),
                    });
                }
                v.reject(Reject {
                    index,
                    line: Some(line),
                    name: None,
                    field: "(row)".into(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = row.position().map_or(index as u64 + 2, |p| p.line());
        let cell = |c: &str| -> Option<&str> {
            col.get(c)
                .and_then(|&i| row.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let name = cell("name").map(str::to_string);
        if row.len() > headers.len() {
            v.reject(Reject {
                index,
                line: Some(line),
                name,
                field: "(row)".into(),
                message: format!(
                    "{} cells, but the header has {} columns",
                    row.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let list = |c: &str| -> Option<Vec<String>> {
            cell(c).map(|s| {
                if s == "-" {
                    Vec::new()
                } else {
                    s.split(';')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(str::to_string)
                        .collect()
                }
            })
        };
        let mut bad: Option<(String, String)> = None;
        let arch = match cell("arch") {
            None => None,
            Some(a) => match serde_json::from_value::<Arch>(serde_json::Value::String(
                a.to_ascii_lowercase(),
            )) {
                Ok(a) => Some(a),
                Err(_) => {
                    bad = Some(("arch".into(), format!("{a:?} is not x86, x64, ia64 or arm")));
                    None
                }
            },
        };
        let role = match cell("role").map(str::to_ascii_lowercase).as_deref() {
            None => None,
            Some("server") | Some("サーバ") => Some(Role::Server),
            Some("client") | Some("クライアント") => Some(Role::Client),
            Some(other) => {
                bad.get_or_insert(("role".into(), format!("{other:?} is not server or client")));
                None
            }
        };
        let files = list("files").map(|items| {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match item.split_once('=') {
                    Some((n, ver)) => FileRecord {
                        name: n.trim().to_string(),
                        version: ver.trim().to_string(),
                        ..FileRecord::default()
                    },
                    None => {
                        bad.get_or_insert((
                            format!("files[{i}]"),
                            format!("{item:?} is not name=version"),
                        ));
                        FileRecord::default()
                    }
                })
                .collect()
        });
        if let Some((field, message)) = bad {
            v.reject(Reject {
                index,
                line: Some(line),
                name,
                field,
                message,
            });
            continue;
        }
        let record = MachineRecord {
            name: name.clone().unwrap_or_default(),
            os: cell("os").unwrap_or_default().to_string(),
            service_pack: cell("service_pack").map(str::to_string),
            arch,
            role,
            os_build: cell("os_build").map(str::to_string),
            products: list("products")
                .unwrap_or_default()
                .into_iter()
                .map(ProductRecord::Name)
                .collect(),
            components: list("components"),
            updates: list("updates"),
            registry_keys: list("registry_keys"),
            files,
        };
        v.add(index, Some(line), record);
    }
    Ok(v.finish(None))
}

/// Writes machine records as CSV with every column of [`CSV_COLUMNS`]
/// (file sizes, paths and branches, which CSV has no place for, are left
/// out).
pub fn to_csv(records: &[MachineRecord]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let join = |v: &Option<Vec<String>>| match v {
        None => String::new(),
        Some(v) if v.is_empty() => "-".into(),
        Some(v) => v.join(";"),
    };
    let mut rows: Vec<Vec<String>> = vec![CSV_COLUMNS.iter().map(|c| c.to_string()).collect()];
    for r in records {
        rows.push(vec![
            r.name.clone(),
            r.os.clone(),
            r.service_pack.clone().unwrap_or_default(),
            r.arch
                .map(|a| {
                    serde_json::to_value(a)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .unwrap_or_default(),
            r.role
                .map(|x| {
                    if x == Role::Server {
                        "server"
                    } else {
                        "client"
                    }
                })
                .unwrap_or_default()
                .to_string(),
            r.os_build.clone().unwrap_or_default(),
            r.products
                .iter()
                .map(|p| match p {
                    ProductRecord::Name(n) => n.clone(),
                    ProductRecord::Full(d) => match &d.service_pack {
                        Some(sp) => format!("{} {sp}", d.name),
                        None => d.name.clone(),
                    },
                })
                .collect::<Vec<_>>()
                .join(";"),
            join(&r.components),
            join(&r.updates),
            join(&r.registry_keys),
            join(&r.files.as_ref().map(|fs| {
                fs.iter()
                    .map(|f| format!("{}={}", f.name, f.version))
                    .collect()
            })),
        ]);
    }
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&row);
    }
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

// ── Validation ───────────────────────────────────────────────────────────

/// A record with its leaves read (KB numbers, keys normalised, versions
/// parsed): what both the JSON and the CSV reader produce. Strings the
/// validation only reads stay borrowed from the file where they can.
#[derive(Debug)]
struct Rec<'a> {
    name: Cow<'a, str>,
    os: Cow<'a, str>,
    service_pack: Option<Cow<'a, str>>,
    arch: Option<Arch>,
    role: Option<Role>,
    os_build: Option<Version>,
    products: Vec<ProductRecord>,
    components: Option<Vec<Cow<'a, str>>>,
    updates: Option<Vec<u32>>,
    registry_keys: Option<Vec<Arc<str>>>,
    files: Option<Vec<FileFact>>,
}

/// A machine record as the JSON reader sees it: the leaves are read while
/// parsing (no string kept for a KB number, a version or a key it would
/// only normalise), and an error names its field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FastRecord<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    os: Cow<'a, str>,
    #[serde(default)]
    service_pack: Option<String>,
    #[serde(default)]
    arch: Option<Arch>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    os_build: Option<Leaf<BuildLeaf>>,
    #[serde(default)]
    products: Vec<ProductRecord>,
    #[serde(default)]
    components: Option<Vec<String>>,
    #[serde(default)]
    updates: Option<Vec<Leaf<KbLeaf>>>,
    #[serde(default)]
    registry_keys: Option<Vec<Leaf<KeyLeaf>>>,
    #[serde(default)]
    files: Option<Vec<FastFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FastFile {
    name: Leaf<NameLeaf>,
    #[serde(default)]
    path: Option<String>,
    version: Leaf<VersionLeaf>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    branch: Option<BranchKind>,
}

impl<'a> FastRecord<'a> {
    fn into_rec(self) -> Rec<'a> {
        Rec {
            name: self.name,
            os: self.os,
            service_pack: self.service_pack.map(Cow::Owned),
            arch: self.arch,
            role: self.role,
            os_build: self.os_build.map(|l| l.0),
            products: self.products,
            components: self
                .components
                .map(|v| v.into_iter().map(Cow::Owned).collect()),
            updates: self.updates.map(|v| v.into_iter().map(|l| l.0).collect()),
            registry_keys: self
                .registry_keys
                .map(|v| v.into_iter().map(|l| l.0).collect()),
            files: self.files.map(|v| {
                v.into_iter()
                    .map(|f| FileFact {
                        name: f.name.0,
                        path: f.path,
                        version: f.version.0,
                        size: f.size,
                        branch: f.branch,
                    })
                    .collect()
            }),
        }
    }
}

/// How one kind of leaf is read from its string.
trait LeafKind {
    type Out;
    const EXPECTING: &'static str;
    fn read(s: &str) -> Result<Self::Out, String>;
}

/// A leaf read by `K` while deserializing.
struct Leaf<K: LeafKind>(K::Out);

impl<'de, K: LeafKind> Deserialize<'de> for Leaf<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<K>(std::marker::PhantomData<K>);
        impl<K: LeafKind> Visitor<'_> for V<K> {
            type Value = Leaf<K>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(K::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Leaf<K>, E> {
                K::read(s).map(Leaf).map_err(E::custom)
            }
        }
        d.deserialize_str(V::<K>(std::marker::PhantomData))
    }
}

struct KbLeaf;
impl LeafKind for KbLeaf {
    type Out = u32;
    const EXPECTING: &'static str = "a KB number (KB870763)";
    fn read(s: &str) -> Result<u32, String> {
        parse_kb(s).ok_or_else(|| format!("{s:?} is not a KB number (KB870763)"))
    }
}

struct KeyLeaf;
impl LeafKind for KeyLeaf {
    type Out = Arc<str>;
    const EXPECTING: &'static str = "a registry key";
    fn read(s: &str) -> Result<Arc<str>, String> {
        let k = normalize_key(s);
        if k.is_empty() {
            Err("is empty".into())
        } else {
            Ok(Arc::from(k))
        }
    }
}

struct NameLeaf;
impl LeafKind for NameLeaf {
    type Out = Arc<str>;
    const EXPECTING: &'static str = "a file name";
    fn read(s: &str) -> Result<Arc<str>, String> {
        let mut n = String::new();
        lower_file_name(s, &mut n);
        if n.is_empty() {
            Err("is empty".into())
        } else {
            Ok(Arc::from(n))
        }
    }
}

/// A file name as a machine keeps it: trimmed, lower case (into `out`).
fn lower_file_name(s: &str, out: &mut String) {
    let t = trim(s);
    out.clear();
    if t.is_ascii() {
        out.push_str(t);
        out.make_ascii_lowercase();
    } else {
        out.push_str(&t.to_lowercase());
    }
}

/// [`NameLeaf`]'s name, interned; `None` if it is empty. `buf` is scratch.
pub(crate) fn file_name(s: &str, buf: &mut String, names: &mut Interner) -> Option<Arc<str>> {
    lower_file_name(s, buf);
    (!buf.is_empty()).then(|| names.get(buf))
}

struct VersionLeaf;
impl LeafKind for VersionLeaf {
    type Out = Version;
    const EXPECTING: &'static str = "a file version (5.0.2195.7005)";
    fn read(s: &str) -> Result<Version, String> {
        file_version(s).ok_or_else(|| {
            format!("{s:?} is not a file version (5.0.2195.7005: up to four numbers of 0-65535)")
        })
    }
}

struct BuildLeaf;
impl LeafKind for BuildLeaf {
    type Out = Version;
    const EXPECTING: &'static str = "a build number (10.0.14393.1198)";
    fn read(s: &str) -> Result<Version, String> {
        file_version(s).ok_or_else(|| format!("{s:?} is not a build number (10.0.14393.1198)"))
    }
}

/// A `MachineRecord` (the CSV reader's) with its leaves read, or the
/// field that cannot be.
fn rec_of(r: &MachineRecord) -> Result<Rec<'_>, (String, String)> {
    fn leaf<T>(field: String, v: Result<T, String>) -> Result<T, (String, String)> {
        v.map_err(|m| (field, m))
    }
    /// Each string of a list read by `L`; an error names `field[i]`.
    fn list<L: LeafKind>(
        field: &str,
        v: &Option<Vec<String>>,
    ) -> Result<Option<Vec<L::Out>>, (String, String)> {
        v.as_ref()
            .map(|xs| {
                xs.iter()
                    .enumerate()
                    .map(|(i, x)| leaf(format!("{field}[{i}]"), L::read(x)))
                    .collect()
            })
            .transpose()
    }
    let updates = list::<KbLeaf>("updates", &r.updates)?;
    let registry_keys = list::<KeyLeaf>("registry_keys", &r.registry_keys)?;
    let files = match &r.files {
        None => None,
        Some(fs) => Some(
            fs.iter()
                .enumerate()
                .map(|(i, f)| {
                    Ok(FileFact {
                        name: leaf(format!("files[{i}].name"), NameLeaf::read(&f.name))?,
                        path: f.path.clone(),
                        version: leaf(
                            format!("files[{i}].version"),
                            VersionLeaf::read(&f.version),
                        )?,
                        size: f.size,
                        branch: f.branch,
                    })
                })
                .collect::<Result<Vec<_>, (String, String)>>()?,
        ),
    };
    Ok(Rec {
        name: Cow::Borrowed(&r.name),
        os: Cow::Borrowed(&r.os),
        service_pack: r.service_pack.as_deref().map(Cow::Borrowed),
        arch: r.arch,
        role: r.role,
        os_build: match &r.os_build {
            None => None,
            Some(b) => Some(leaf("os_build".into(), BuildLeaf::read(b))?),
        },
        products: r.products.clone(),
        components: r
            .components
            .as_ref()
            .map(|v| v.iter().map(|c| Cow::Borrowed(c.as_str())).collect()),
        updates,
        registry_keys,
        files,
    })
}

/// One record's fate.
enum Outcome {
    Machine(Box<Accepted>),
    Rejected(Reject),
}

/// A record read into a machine, still to be checked for a repeated name.
struct Accepted {
    machine: Machine,
    warnings: Vec<RecordWarning>,
    index: usize,
    line: Option<u64>,
    /// A hash of the name in lower case, made by the reading thread so
    /// that the check for repeats (in file order, on one thread) is a
    /// lookup of a number.
    name_hash: u64,
}

/// The name as repeats are told: ignoring case.
fn name_key(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) || !name.is_ascii() {
        Cow::Owned(name.to_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(name_key(name).as_ref())
}

impl Outcome {
    /// The same outcome for a record `base` places further on (records
    /// read by a thread are counted from where it started).
    fn offset(mut self, base: usize) -> Outcome {
        match &mut self {
            Outcome::Machine(a) => {
                a.index += base;
                for w in &mut a.warnings {
                    w.index += base;
                }
            }
            Outcome::Rejected(r) => r.index += base,
        }
        self
    }
}

/// A field at fault (`os`, `files[2].version`) and what is wrong with it.
type FieldError = (String, String);

/// Product names repeat across a fleet, so each distinct spelling is read
/// through the catalogue once (per thread). Keyed by name, so that a
/// record's borrowed spelling is looked up without building a key; the
/// few service packs and architectures seen with a name are searched.
#[derive(Default)]
struct Cache {
    os: FxHashMap<String, Vec<OsSeen>>,
    products: FxHashMap<String, Vec<ProductSeen>>,
    components: FxHashMap<String, (Component, bool)>,
}

/// An OS name read with a service pack and an architecture.
type OsSeen = (Option<String>, Option<Arch>, Result<Product, FieldError>);
/// A product name read with a service pack (and whether the catalogue
/// knows it).
type ProductSeen = (Option<String>, Result<(Product, bool), FieldError>);

impl Cache {
    fn machine(&mut self, index: usize, line: Option<u64>, r: Rec<'_>) -> Outcome {
        let name = r.name.trim().to_string();
        let mut warnings = Vec::new();
        match self.build(index, line, &name, r, &mut warnings) {
            Ok(machine) => Outcome::Machine(Box::new(Accepted {
                name_hash: name_hash(&machine.name),
                machine,
                warnings,
                index,
                line,
            })),
            Err((field, message)) => Outcome::Rejected(Reject {
                index,
                line,
                name: (!name.is_empty()).then_some(name),
                field,
                message,
            }),
        }
    }

    fn build(
        &mut self,
        index: usize,
        line: Option<u64>,
        name: &str,
        r: Rec<'_>,
        warnings: &mut Vec<RecordWarning>,
    ) -> Result<Machine, (String, String)> {
        if name.is_empty() {
            return Err(("name".into(), "is empty".into()));
        }
        let os = {
            let os_name = r.os.trim();
            let sp = r.service_pack.as_deref();
            let hit = self.os.get(os_name).and_then(|seen| {
                seen.iter()
                    .find(|(s, a, _)| s.as_deref() == sp && *a == r.arch)
                    .map(|(_, _, v)| v.clone())
            });
            match hit {
                Some(v) => v,
                None => {
                    let v = read_os(os_name, sp, r.arch);
                    self.os.entry(os_name.to_string()).or_default().push((
                        sp.map(str::to_string),
                        r.arch,
                        v.clone(),
                    ));
                    v
                }
            }
        }?;
        let mut products = Vec::with_capacity(r.products.len());
        for (i, p) in r.products.iter().enumerate() {
            let (pname, sp, build) = match p {
                ProductRecord::Name(n) => (n.as_str(), None, None),
                ProductRecord::Full(d) => {
                    (d.name.as_str(), d.service_pack.clone(), d.build.as_deref())
                }
            };
            let field = |sub: &str| match p {
                ProductRecord::Name(_) => format!("products[{i}]"),
                ProductRecord::Full(_) => format!("products[{i}].{sub}"),
            };
            let pname = pname.trim();
            let hit = self
                .products
                .get(pname)
                .and_then(|seen| seen.iter().find(|(s, _)| *s == sp).map(|(_, v)| v.clone()));
            let parsed = match hit {
                Some(v) => v,
                None => {
                    let v = read_product(pname, sp.as_deref());
                    self.products
                        .entry(pname.to_string())
                        .or_default()
                        .push((sp, v.clone()));
                    v
                }
            };
            let (product, known) = parsed.map_err(|(sub, m)| (field(&sub), m))?;
            if !known {
                warnings.push(Reject {
                    index,
                    line,
                    name: Some(name.to_string()),
                    field: field("name"),
                    message: format!(
                        "{pname:?} is not in the product catalogue; no alert will match it"
                    ),
                });
            }
            let build = match build {
                None => None,
                Some(b) => Some(BuildLeaf::read(b).map_err(|m| (field("build"), m))?),
            };
            products.push(InstalledProduct { product, build });
        }
        products.sort();
        products.dedup();

        let components = r.components.as_ref().map(|cs| {
            let mut out = Vec::with_capacity(cs.len());
            for (i, c) in cs.iter().enumerate() {
                let (comp, known) = match self.components.get(c.as_ref()) {
                    Some(v) => v.clone(),
                    None => {
                        let v = Component::parse(c);
                        self.components.insert(c.to_string(), v.clone());
                        v
                    }
                };
                if !known {
                    warnings.push(Reject {
                        index,
                        line,
                        name: Some(name.to_string()),
                        field: format!("components[{i}]"),
                        message: format!(
                            "{c:?} is not a component any rule knows; kept as written"
                        ),
                    });
                }
                out.push(comp);
            }
            out.sort();
            out.dedup();
            out
        });
        let updates = r.updates.map(|mut u| {
            u.sort_unstable();
            u.dedup();
            u
        });
        let registry_keys = r.registry_keys.map(|mut k| {
            k.sort_unstable();
            k.dedup();
            k
        });
        let files = match r.files {
            None => None,
            Some(mut out) => {
                out.sort_by(|a, b| a.name.cmp(&b.name));
                let clash = out
                    .windows(2)
                    .find(|w| w[0].name == w[1].name && w[0].version != w[1].version);
                if let Some(w) = clash {
                    return Err((
                        "files".into(),
                        format!(
                            "{} is listed twice with different versions ({} and {})",
                            w[0].name, w[0].version, w[1].version
                        ),
                    ));
                }
                out.dedup_by(|a, b| a.name == b.name);
                Some(out)
            }
        };
        Ok(Machine {
            name: name.to_string(),
            os,
            role: r.role,
            os_build: r.os_build,
            products,
            components,
            updates,
            registry_keys,
            files,
        })
    }
}

/// Collects outcomes in record order and rejects repeated names.
#[derive(Default)]
struct Validator {
    machines: Vec<Machine>,
    rejects: Vec<Reject>,
    warnings: Vec<RecordWarning>,
    /// Name hash (see [`Accepted::name_hash`]) → the record index and
    /// position among `machines` of the first machine with it.
    names: FxHashMap<u64, (usize, usize)>,
    /// Machines whose name's hash an other name had first (rare).
    more: Vec<(u64, usize, usize)>,
    cache: Cache,
}

impl Validator {
    fn with_capacity(n: usize) -> Validator {
        let mut v = Validator::default();
        v.machines.reserve(n);
        v.names.reserve(n);
        v
    }

    fn reject(&mut self, r: Reject) {
        self.rejects.push(r);
    }

    /// Checks a CSV record.
    fn add(&mut self, index: usize, line: Option<u64>, r: MachineRecord) {
        let o = match rec_of(&r) {
            Ok(rec) => self.cache.machine(index, line, rec),
            Err((field, message)) => Outcome::Rejected(Reject {
                index,
                line,
                name: Some(r.name.trim().to_string()).filter(|n| !n.is_empty()),
                field,
                message,
            }),
        };
        self.take(o);
    }

    /// The record index of the machine that has `name` already (case
    /// ignored), if one does.
    fn used(&self, hash: u64, name: &str) -> Option<usize> {
        let &(first, pos) = self.names.get(&hash)?;
        let same = |pos: usize| name_key(&self.machines[pos].name) == name_key(name);
        if same(pos) {
            return Some(first);
        }
        self.more
            .iter()
            .find(|&&(h, _, pos)| h == hash && same(pos))
            .map(|&(_, first, _)| first)
    }

    fn take(&mut self, o: Outcome) {
        match o {
            Outcome::Rejected(r) => self.rejects.push(r),
            Outcome::Machine(a) => {
                let Accepted {
                    machine: m,
                    warnings,
                    index,
                    line,
                    name_hash: hash,
                } = *a;
                if let Some(first) = self.used(hash, &m.name) {
                    let at = match line {
                        Some(_) => format!("the machine at record {first}"),
                        None => format!("machines[{first}]"),
                    };
                    self.rejects.push(Reject {
                        index,
                        line,
                        name: Some(m.name.clone()),
                        field: "name".into(),
                        message: format!("{:?} is already used by {at}", m.name),
                    });
                    return;
                }
                let pos = self.machines.len();
                match self.names.entry(hash) {
                    std::collections::hash_map::Entry::Occupied(_) => {
                        self.more.push((hash, index, pos))
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert((index, pos));
                    }
                }
                self.warnings.extend(warnings);
                self.machines.push(m);
            }
        }
    }

    fn finish(self, collected: Option<String>) -> ParsedInventory {
        ParsedInventory {
            collected,
            machines: self.machines,
            rejects: self.rejects,
            warnings: self.warnings,
        }
    }
}

/// A Windows file or build version: one to four numbers, each 16 bits as
/// in a version resource.
fn file_version(s: &str) -> Option<Version> {
    Version::parse(s).filter(|v| v.pack().is_some())
}

/// Reads the OS name through the catalogue and puts the service pack and
/// architecture fields into the key.
fn read_os(name: &str, sp: Option<&str>, arch: Option<Arch>) -> Result<Product, (String, String)> {
    if name.is_empty() {
        return Err(("os".into(), "is empty".into()));
    }
    let parsed = catalogue::parse(name);
    if let Some(w) = parsed
        .warnings
        .iter()
        .find(|w| !matches!(w, Warning::Junk(_)))
    {
        let why = match w {
            Warning::List(n) => format!("{name:?} names {n} products; give one operating system"),
            _ => format!("{name:?} is not an operating system hfr's product catalogue knows"),
        };
        return Err(("os".into(), why));
    }
    let mut p = parsed.product;
    let is_os = p
        .base_row()
        .is_some_and(|r| matches!(r.kind, Kind::Os | Kind::Generic))
        && p.platform.is_none();
    if !is_os {
        return Err((
            "os".into(),
            format!("{name:?} is not an operating system (list it under products)"),
        ));
    }
    set_service_pack(&mut p, sp, &format!("os {name:?}"), "SP4, SP1a, SP未適用")?;
    if p.service_pack.is_some_and(|s| s.or_later) {
        return Err((
            "os".into(),
            format!("{name:?}: a machine has one service pack, not a minimum"),
        ));
    }
    if let Some(a) = arch {
        match p.arch {
            Some(given) if given != a => {
                return Err((
                    "arch".into(),
                    format!("contradicts the architecture in os {name:?}"),
                ))
            }
            _ => p.arch = Some(a),
        }
    }
    Ok(p)
}

/// Reads an installed product; `Ok((_, false))` for a name the catalogue
/// does not know (kept, with a warning).
fn read_product(name: &str, sp: Option<&str>) -> Result<(Product, bool), (String, String)> {
    if name.is_empty() {
        return Err(("name".into(), "is empty".into()));
    }
    let parsed = catalogue::parse(name);
    let known = parsed.product.is_known()
        && !parsed
            .warnings
            .iter()
            .any(|w| !matches!(w, Warning::Junk(_)));
    let mut p = parsed.product;
    set_service_pack(&mut p, sp, &format!("{name:?}"), "SP1, SP未適用")?;
    Ok((p, known))
}

/// Sets the service pack a record gives in its own field (`sp`) on the
/// product read from its name (`of`, as errors quote it); one that
/// contradicts the name's is an error, as is one that is not a service pack
/// (`examples` say what is).
fn set_service_pack(
    p: &mut Product,
    sp: Option<&str>,
    of: &str,
    examples: &str,
) -> Result<(), (String, String)> {
    let Some(s) = sp else { return Ok(()) };
    let sp = parse_service_pack(s).ok_or_else(|| {
        (
            "service_pack".to_string(),
            format!("{s:?} is not a service pack ({examples})"),
        )
    })?;
    match p.service_pack {
        Some(given) if given != sp => Err((
            "service_pack".into(),
            format!("{s:?} contradicts the service pack in {of}"),
        )),
        _ => {
            p.service_pack = Some(sp);
            Ok(())
        }
    }
}

// ── The example ──────────────────────────────────────────────────────────

/// The example inventory `hfr fleet template` writes (and
/// `demo/inventory.json` holds): machines built from the seed alerts'
/// facts, each showing one outcome against the demo archive.
pub fn template() -> Inventory {
    fn s(v: &str) -> String {
        v.to_string()
    }
    fn file(name: &str, path: &str, version: &str) -> FileRecord {
        FileRecord {
            name: s(name),
            path: Some(s(path)),
            version: s(version),
            size: None,
            branch: None,
        }
    }
    let sys32 = "%SystemRoot%\\system32\\";
    let drivers = "%SystemRoot%\\system32\\drivers\\";
    Inventory {
        schema: Some(s("https://hfr.example.org/schema/inventory.schema.json")),
        collected: Some(s("example inventory (hfr fleet template)")),
        machines: vec![
            MachineRecord {
                name: s("SV-WINS01"),
                os: s("Windows 2000 Server"),
                service_pack: Some(s("SP4")),
                arch: Some(Arch::X86),
                role: Some(Role::Server),
                components: Some(vec![s("wins")]),
                updates: Some(vec![s("KB870763")]),
                registry_keys: Some(vec![s(
                    "HKLM\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB870763",
                )]),
                files: Some(vec![
                    file("wins.exe", sys32, "5.0.2195.7005"),
                    file("srv.sys", drivers, "5.0.2195.7087"),
                ]),
                ..MachineRecord::default()
            },
            MachineRecord {
                name: s("SV-WINS02"),
                os: s("Windows 2000 Advanced Server"),
                service_pack: Some(s("SP4")),
                arch: Some(Arch::X86),
                role: Some(Role::Server),
                components: Some(vec![s("wins")]),
                updates: Some(vec![s("KB870763")]),
                registry_keys: Some(vec![s(
                    "HKLM\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB870763",
                )]),
                // WINS was reinstalled after the fix: the registry still
                // says installed, the file is the service pack's again.
                files: Some(vec![file("wins.exe", sys32, "5.0.2195.6870")]),
                ..MachineRecord::default()
            },
            MachineRecord {
                name: s("SV-MAIL01"),
                os: s("Windows Server 2003, Enterprise Edition"),
                service_pack: Some(s("SP未適用")),
                arch: Some(Arch::X86),
                role: Some(Role::Server),
                products: vec![ProductRecord::Full(ProductDetails {
                    name: s("Exchange Server 2003"),
                    service_pack: Some(s("SP1")),
                    build: None,
                })],
                components: Some(vec![s("smtp"), s("iis")]),
                updates: Some(vec![]),
                registry_keys: Some(vec![]),
                files: Some(vec![file(
                    "smtpsvc.dll",
                    "%SystemRoot%\\system32\\inetsrv\\",
                    "6.0.3790.0",
                )]),
                ..MachineRecord::default()
            },
            MachineRecord {
                name: s("SV-ISA01"),
                os: s("Windows 2000 Server"),
                service_pack: Some(s("SP4")),
                arch: Some(Arch::X86),
                role: Some(Role::Server),
                products: vec![ProductRecord::Name(s("ISA Server 2000 SP1"))],
                components: Some(vec![]),
                updates: Some(vec![s("KB888258")]),
                files: Some(vec![
                    file(
                        "mspadmin.exe",
                        "%ProgramFiles%\\Microsoft ISA Server",
                        "3.0.1200.408",
                    ),
                    file(
                        "msphlpr.dll",
                        "%ProgramFiles%\\Microsoft ISA Server",
                        "3.0.1200.408",
                    ),
                    file(
                        "w3proxy.exe",
                        "%ProgramFiles%\\Microsoft ISA Server",
                        "3.0.1200.408",
                    ),
                    file(
                        "wspsrv.exe",
                        "%ProgramFiles%\\Microsoft ISA Server",
                        "3.0.1200.408",
                    ),
                ]),
                ..MachineRecord::default()
            },
            MachineRecord {
                name: s("PC-SALES01"),
                os: s("Windows XP Professional"),
                service_pack: Some(s("SP2")),
                arch: Some(Arch::X86),
                role: Some(Role::Client),
                components: Some(vec![]),
                updates: Some(vec![]),
                files: Some(vec![file("srv.sys", drivers, "5.1.2600.2180")]),
                ..MachineRecord::default()
            },
            MachineRecord {
                name: s("PC-DEV01"),
                os: s("Windows XP Professional"),
                service_pack: Some(s("SP1")),
                arch: Some(Arch::X86),
                role: Some(Role::Client),
                components: Some(vec![s("msmq")]),
                updates: Some(vec![s("KB892944"), s("KB917159")]),
                files: Some(vec![
                    file("mqqm.dll", sys32, "5.1.0.1044"),
                    file("srv.sys", drivers, "5.1.2600.1832"),
                ]),
                ..MachineRecord::default()
            },
            MachineRecord {
                name: s("PC-LEGACY01"),
                os: s("Windows NT Workstation 4.0"),
                service_pack: Some(s("SP6a")),
                arch: Some(Arch::X86),
                role: Some(Role::Client),
                components: Some(vec![s("msmq")]),
                ..MachineRecord::default()
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_kbs_have_one_spelling() {
        assert_eq!(
            normalize_key("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB870763\\Filelist"),
            normalize_key("hklm\\software\\microsoft\\updates\\windows 2000\\sp5\\kb870763\\")
        );
        assert_eq!(normalize_kb("kb870763").as_deref(), Some("KB870763"));
        assert_eq!(normalize_kb("Q870763").as_deref(), Some("KB870763"));
        assert_eq!(normalize_kb(" 870763 ").as_deref(), Some("KB870763"));
        assert_eq!(normalize_kb("MS04-045"), None);
        assert_eq!(normalize_kb("KB"), None);
    }

    /// The ASCII fast path of `normalize_key` says what the general one
    /// (the way keys were always normalised) says.
    #[test]
    fn keys_fast_and_general_agree() {
        fn general(key: &str) -> String {
            let mut k = key.trim().replace('/', "\\").to_lowercase();
            for (long, short) in HIVES {
                if let Some(rest) = k.strip_prefix(long) {
                    k = format!("{short}{rest}");
                    break;
                }
            }
            while k.ends_with('\\') {
                k.pop();
            }
            if let Some(rest) = k.strip_suffix("\\filelist") {
                k.truncate(rest.len());
            }
            k
        }
        for key in [
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB870763\\Filelist",
            " HKEY_LOCAL_MACHINE/SOFTWARE/x/ ",
            "HKEY_LOCAL_MACHINE\\",
            "HKEY_LOCAL_MACHINE",
            "hkey_users\\a\\filelist\\\\",
            "\\filelist",
            "x\\\\filelist",
            "\\\\",
            "",
            "HKCU\\Ä\\Filelist",
            "\tHKEY_CLASSES_ROOT\\X\n",
        ] {
            assert_eq!(normalize_key(key), general(key), "{key:?}");
        }
    }

    #[test]
    fn kb_numbers_as_before() {
        for (s, want) in [
            ("KB870763", Some(870763)),
            (" kb1 ", Some(1)),
            ("Kb2", Some(2)),
            ("Q3", Some(3)),
            ("q000000004", Some(4)),
            ("kB5", None),
            ("KB", None),
            ("KB0", None),
            ("KB1234567890", None),
            ("KB-1", None),
            ("MS06-035", None),
            ("", None),
        ] {
            assert_eq!(parse_kb(s), want, "{s:?}");
        }
    }

    /// Two names whose hashes collide are both kept; a repeat of either is
    /// still found.
    #[test]
    fn repeated_names_despite_colliding_hashes() {
        let doc = br#"{"machines": [
            {"name": "a", "os": "Windows XP Professional"},
            {"name": "b", "os": "Windows XP Professional"},
            {"name": "B", "os": "Windows XP Professional"}]}"#;
        let p = parse_json(doc).expect("an inventory");
        assert_eq!(p.machines.len(), 2);
        let mut v = Validator::default();
        for (index, machine) in p
            .machines
            .into_iter()
            .chain(std::iter::once(Machine {
                name: "B".into(),
                ..v_machine()
            }))
            .enumerate()
        {
            v.take(Outcome::Machine(Box::new(Accepted {
                machine,
                warnings: Vec::new(),
                index,
                line: None,
                name_hash: 7,
            })));
        }
        let names: Vec<&str> = v.machines.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(v.rejects.len(), 1);
        assert!(
            v.rejects[0].message.contains("machines[1]"),
            "{:?}",
            v.rejects
        );
    }

    /// A file listed twice must have one version; any clash is refused,
    /// not only the first repeat's.
    #[test]
    fn a_file_listed_twice_must_have_one_version() {
        let rec = |files: &str| {
            format!(r#"{{"name": "M", "os": "Windows XP Professional", "files": [{files}]}}"#)
        };
        let one = |n: &str, v: &str| format!(r#"{{"name": "{n}", "version": "{v}"}}"#);
        let read = |files: Vec<String>| {
            let text = format!(r#"{{"machines": [{}]}}"#, rec(&files.join(", ")));
            parse_json(text.as_bytes()).expect("an inventory")
        };
        let p = read(vec![
            one("a.dll", "1.0"),
            one("A.DLL", "1.0.0.0"),
            one("b.dll", "2.0"),
        ]);
        assert!(p.rejects.is_empty(), "{:?}", p.rejects);
        assert_eq!(p.machines[0].files.as_ref().map(Vec::len), Some(2));
        let p = read(vec![
            one("a.dll", "1.0"),
            one("a.dll", "1.0"),
            one("b.dll", "1.0"),
            one("b.dll", "2.0"),
        ]);
        assert!(p.machines.is_empty());
        assert_eq!(p.rejects.len(), 1);
        assert_eq!(p.rejects[0].field, "files");
        assert!(
            p.rejects[0].message.contains("b.dll"),
            "{}",
            p.rejects[0].message
        );
    }

    /// The reader keeps one copy of a key or file name however often and
    /// however it is spelled (the check relies on it for speed, never for
    /// answers); different ones stay apart.
    #[test]
    fn repeated_keys_and_file_names_are_one_copy() {
        let text = r#"{"machines": [
            {"name": "A", "os": "Windows XP Professional",
             "registry_keys": ["HKEY_LOCAL_MACHINE\\SOFTWARE\\Updates\\KB1\\Filelist", "HKLM\\SOFTWARE\\Updates\\KB2"],
             "files": [{"name": "A.DLL", "version": "1.0"}]},
            {"name": "B", "os": "Windows XP Professional",
             "registry_keys": ["hklm/software/updates/kb1", "HKLM\\SOFTWARE\\Updates\\KB3"],
             "files": [{"name": " a.dll ", "version": "1.1"}, {"name": "b.dll", "version": "1.0"}]},
            {"name": "C", "os": "Windows XP Professional",
             "registry_keys": ["HKEY_LOCAL_MACHINE\\SOFTWARE\\Updates\\KB1\\Filelist", "HKLM\\SOFTWARE\\Updates\\KB2"]}
        ]}"#;
        let p = parse_json(text.as_bytes()).expect("an inventory");
        assert!(p.rejects.is_empty(), "{:?}", p.rejects);
        let keys = |i: usize| p.machines[i].registry_keys.clone().unwrap_or_default();
        let files = |i: usize| p.machines[i].files.clone().unwrap_or_default();
        let (ka, kb) = (keys(0), keys(1));
        assert_eq!(&*ka[0], "hklm\\software\\updates\\kb1");
        assert_eq!(ka[0], kb[0]);
        assert!(Arc::ptr_eq(&ka[0], &kb[0]), "one copy of kb1");
        assert!(!Arc::ptr_eq(&ka[1], &kb[1]));
        assert_ne!(ka[1], kb[1]);
        // The same spellings again: the same keys.
        assert_eq!(keys(2), ka);
        assert!(Arc::ptr_eq(&keys(2)[1], &ka[1]));
        let (fa, fb) = (files(0), files(1));
        assert_eq!(&*fa[0].name, "a.dll");
        assert!(Arc::ptr_eq(&fa[0].name, &fb[0].name), "one copy of a.dll");
        assert_eq!(&*fb[1].name, "b.dll");
    }

    /// A large inventory is read in parts, several per thread: the
    /// machines, warnings and rejects are those the one-thread serde path
    /// gives, in the same order and with the same record numbers, also
    /// where strings hold what looks like one record's end and the next's
    /// start.
    #[test]
    fn parts_read_what_serde_reads() {
        use std::fmt::Write as _;
        let mut text = String::from(r#"{"collected": "t", "machines": ["#);
        let mut k = 0;
        while text.len() < (6 << 20) {
            if k > 0 {
                text.push_str(", ");
            }
            let path = match k % 5 {
                0 => r#"C:\\x}, {\"name\": \"M1\", \"os\": \"Windows XP Professional\"}, {"#,
                1 => "}, {",
                _ => r"C:\\w",
            };
            let version = if k % 97 == 3 {
                "x".to_string()
            } else {
                format!("5.1.2600.{}", k % 60_000)
            };
            let _ = write!(
                text,
                r#"{{"name": "M{k}", "os": "Windows XP Professional", "service_pack": "SP2", "components": ["smtp", "gopher"], "updates": ["KB{}", "Q{}"], "registry_keys": ["HKLM\\SOFTWARE\\k{k}"], "files": [{{"name": "a.dll", "version": "{version}", "path": "{path}"}}]}}"#,
                800_000 + k,
                12 + k
            );
            k += 1;
        }
        text.push_str("]}");
        let fast = parse_json(text.as_bytes()).expect("an inventory");
        let (collected, outcomes) = parse_json_slow(&text).expect("serde reads it");
        let mut v = Validator::with_capacity(outcomes.len());
        for o in outcomes {
            v.take(o);
        }
        let slow = v.finish(collected);
        assert!(fast.machines.len() > 20_000, "{}", fast.machines.len());
        assert!(fast.machines == slow.machines);
        assert!(!fast.rejects.is_empty());
        assert_eq!(format!("{:?}", fast.rejects), format!("{:?}", slow.rejects));
        assert_eq!(
            format!("{:?}", fast.warnings),
            format!("{:?}", slow.warnings)
        );
        assert_eq!(fast.collected.as_deref(), Some("t"));
    }

    fn v_machine() -> Machine {
        let p = parse_json(br#"{"machines": [{"name": "x", "os": "Windows XP Professional"}]}"#)
            .expect("an inventory");
        p.machines.into_iter().next().expect("a machine")
    }

    #[test]
    fn service_packs_as_inventories_write_them() {
        let sp = |s: &str| parse_service_pack(s).map(|p| p.token());
        assert_eq!(sp("SP4").as_deref(), Some("sp4"));
        assert_eq!(sp("Service Pack 2").as_deref(), Some("sp2"));
        assert_eq!(sp("SP未適用").as_deref(), Some("rtm"));
        assert_eq!(sp("none").as_deref(), Some("rtm"));
        assert_eq!(sp("1a").as_deref(), Some("sp1a"));
        assert_eq!(sp("SP3以降"), None);
        assert_eq!(sp("latest"), None);
    }

    #[test]
    fn read_capped_stops_past_the_limit() {
        let data = [b'x'; 100];
        assert_eq!(read_capped(&data[..], 100).map(|v| v.len()), Ok(100));
        assert_eq!(
            read_capped(&data[..], 99),
            Err(InventoryError::TooLarge { limit: 99 })
        );
        // An endless source is not read to its end.
        assert_eq!(
            read_capped(std::io::repeat(b'x'), 1000),
            Err(InventoryError::TooLarge { limit: 1000 })
        );
    }
}
