//! Reading a JSON inventory in one pass, on every core.
//!
//! An inventory of 100,000 machines is some 370 MB of JSON, nearly all of
//! it short strings (KB numbers, registry keys, file names and versions).
//! Read generically (serde_json's `RawValue` to split the records, then a
//! typed pass per record) that took seconds; this reader goes over the
//! bytes once:
//!
//! - a small lexer that knows only the inventory's own shape reads each
//!   record straight into [`Rec`]: strings borrowed from the file unless
//!   they hold an escape, KB numbers, versions and registry keys read as
//!   they are met;
//! - the records are read in parts by several threads at once, each part
//!   starting at a guessed record boundary; a guess is only used once the
//!   part before has been read up to exactly that point (see
//!   [`read_records`]), so a wrong guess costs time, never an answer.
//!
//! The lexer says "not sure" (`None`) about anything outside the common
//! shape — an unknown or repeated field, a `\u` escape, a number where a
//! string belongs, a value the leaves refuse — and that record is read by
//! serde with the derived [`FastRecord`], which accepts or names the field
//! at fault exactly as before. The same goes for the top level: what the
//! scanner does not recognise sends the whole file to serde_json, which
//! either reads it or reports the line and column. A record the lexer
//! accepts is one serde accepts, with the same result (tested against
//! each other in `tests`).

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use hfr_model::catalogue::Arch;

use super::{
    file_name, finish_key_in, fold_key_byte, normalize_key, parse_kb, read_outcome_slow,
    BranchKind, BuildLeaf, Cache, FastRecord, FileFact, Interner, LeafKind, Outcome, ProductRecord,
    Rec, Role, VersionLeaf,
};

/// Records below this size are read on one thread: starting threads costs
/// more than it saves.
const PARALLEL_BYTES: usize = 4 << 20;

// ── Lexing ───────────────────────────────────────────────────────────────

/// Bytes that end a run through a string's content: the quote, the
/// backslash, and control characters (JSON allows none raw in a string).
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Skips JSON whitespace from `i`.
#[inline]
pub(super) fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(i) {
        i += 1;
    }
    i
}

/// A cursor over the inventory text. Every method returns `None` for
/// "not sure", leaving the record to serde.
struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Lexer<'a> {
    #[inline]
    fn ws(&mut self) {
        self.i = ws(self.b, self.i);
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `null` (for an optional field).
    #[inline]
    fn null(&mut self) -> bool {
        if self.b[self.i..].starts_with(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    /// A string, as written between its quotes, and whether it holds an
    /// escape. Only the two-character escapes are taken; `\u` (which may
    /// pair surrogates) is left to serde.
    #[inline]
    fn raw_str(&mut self) -> Option<(&'a str, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            self.i = to_stop(self.b, self.i)?;
            match self.b[self.i] {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        // The quote and backslash are ASCII, so both ends are character
        // boundaries.
        let s = self.text.get(start..self.i)?;
        self.i += 1;
        Some((s, escaped))
    }

    /// A KB number written plainly (`"KB870763"`, `"870763"`), read as it
    /// is scanned: an inventory lists some 150 per machine. Anything else
    /// is read by [`parse_kb`] from the string.
    #[inline]
    fn kb(&mut self, buf: &mut String) -> Option<u32> {
        if let Some(n) = self.kb_plain() {
            return Some(n);
        }
        parse_kb(self.str_in(buf)?)
    }

    /// A list of KB numbers. Nearly every element is written `"KB` and up
    /// to eight digits: those are read by [`kb_swar`] eight digits at a
    /// time; anything else goes through [`Lexer::kb`].
    #[inline]
    fn kb_list(&mut self, buf: &mut String, out: &mut Vec<u32>) -> Option<()> {
        self.array(|lx| {
            if let Some((n, next)) = kb_swar(lx.b, lx.i) {
                out.push(n);
                lx.i = next;
            } else {
                out.push(lx.kb(buf)?);
            }
            Some(())
        })
    }

    #[inline]
    fn kb_plain(&mut self) -> Option<u32> {
        let b = self.b;
        let mut i = self.i;
        if *b.get(i)? != b'"' {
            return None;
        }
        i += 1;
        match b.get(i..i + 2)? {
            [b'K', b'B' | b'b'] | [b'k', b'b'] => i += 2,
            [b'Q' | b'q', _] => i += 1,
            _ => {}
        }
        let start = i;
        let mut n: u32 = 0;
        while let Some(&d @ b'0'..=b'9') = b.get(i) {
            if i - start == 9 {
                return None;
            }
            n = n * 10 + u32::from(d - b'0');
            i += 1;
        }
        if i == start || *b.get(i)? != b'"' || n == 0 {
            return None;
        }
        self.i = i + 1;
        Some(n)
    }

    /// A registry key, normalised as [`normalize_key`] does while it is
    /// scanned: some fifteen per machine of about 90 bytes, with escaped
    /// backslashes, so a third of an inventory's bytes. A key with
    /// anything but printable ASCII and the escapes `\\`, `\/` and `\"`
    /// is decoded first and given to `normalize_key`.
    #[inline]
    fn key(&mut self, buf: &mut String, names: &mut Names) -> Option<Arc<str>> {
        let at = self.i;
        let (raw, _) = self.raw_str()?;
        if let Some(k) = names.raw.get(raw) {
            return Some(k.clone());
        }
        self.i = at;
        let k = match self.key_ascii(names) {
            Some(k) => k,
            None => names.interner.get(&normalize_key(self.str_in(buf)?)),
        };
        if names.raw.len() < RAW_KEYS {
            names.raw.insert(raw.into(), k.clone());
        }
        Some(k)
    }

    /// Copies the key segment by segment (the runs between escapes, found
    /// eight bytes at a time), each lowered in one go, into `out`.
    fn key_ascii(&mut self, names: &mut Names) -> Option<Arc<str>> {
        let Names {
            interner,
            bytes: out,
            key,
            ..
        } = names;
        let b = self.b;
        if *b.get(self.i)? != b'"' {
            return None;
        }
        let mut i = self.i + 1;
        out.clear();
        loop {
            let stop = to_stop(b, i)?;
            let seg = &b[i..stop];
            if !seg.is_ascii() {
                return None;
            }
            let from = out.len();
            out.extend_from_slice(seg);
            for c in &mut out[from..] {
                *c = fold_key_byte(*c);
            }
            match b[stop] {
                b'"' => {
                    i = stop + 1;
                    break;
                }
                b'\\' => {
                    let e = *b.get(stop + 1)?;
                    if !matches!(e, b'\\' | b'/' | b'"') {
                        return None;
                    }
                    out.push(fold_key_byte(e));
                    i = stop + 2;
                }
                _ => return None,
            }
        }
        self.i = i;
        // The only whitespace left is the space.
        let start = out.iter().position(|&c| c != b' ').unwrap_or(out.len());
        let end = out
            .iter()
            .rposition(|&c| c != b' ')
            .map_or(start, |e| e + 1);
        finish_key_in(&out[start..end], key);
        // ASCII: checked segment by segment above.
        Some(interner.get(std::str::from_utf8(key).ok()?))
    }

    /// A string's value: borrowed from the file when it has no escape.
    #[inline]
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let (s, escaped) = self.raw_str()?;
        Some(if escaped {
            let mut out = String::with_capacity(s.len());
            unescape(s, &mut out);
            Cow::Owned(out)
        } else {
            Cow::Borrowed(s)
        })
    }

    /// A string whose value is only looked at: decoded into `buf` when it
    /// has an escape.
    #[inline]
    fn str_in<'b>(&mut self, buf: &'b mut String) -> Option<&'b str>
    where
        'a: 'b,
    {
        let (s, escaped) = self.raw_str()?;
        Some(if escaped {
            buf.clear();
            unescape(s, buf);
            buf.as_str()
        } else {
            s
        })
    }

    /// `[a, b, …]`, each element read by `each`.
    #[inline]
    fn array(&mut self, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.ws();
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            each(self)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `{"key": value, …}`, each member read by `member` (given the key);
    /// `seen` catches a repeated key, which serde reports.
    #[inline]
    fn object(&mut self, mut member: impl FnMut(&mut Self, &str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let (key, escaped) = self.raw_str()?;
            if escaped {
                return None;
            }
            self.ws();
            self.eat(b':')?;
            self.ws();
            member(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A non-negative integer as serde_json reads one into a `u64`: no
    /// sign, fraction, exponent or leading zero, and no overflow.
    fn u64(&mut self) -> Option<u64> {
        let start = self.i;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let len = self.i - start;
        let ok = len > 0 && !(len > 1 && self.b[start] == b'0');
        (ok && !matches!(self.peek(), Some(b'.' | b'e' | b'E'))).then_some(n)
    }
}

/// The first byte at or after `i` that stops a run through a string (see
/// [`STOP`]), looked for eight bytes at a time: in each 64-bit word, a
/// byte equal to `"` or `\\`, or below 0x20, sets its top bit in `found`
/// (the classic "has zero byte" test). Bytes above the first match may be
/// flagged wrongly by the borrow, so only the lowest flag is used, and
/// that one is exact.
#[inline]
fn to_stop(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let v = u64::from_le_bytes(w);
        let quote = v ^ (ONES * u64::from(b'"'));
        let slash = v ^ (ONES * u64::from(b'\\'));
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (v.wrapping_sub(ONES * 0x20) & !v))
            & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while !STOP[*b.get(i)? as usize] {
        i += 1;
    }
    Some(i)
}

/// `"KB` followed by one to eight digits and `"` at `i`, read without a
/// loop over the digits: the eight bytes after `"KB` are classified at
/// once (a byte is a digit when its high nibble is 3 and its low nibble
/// plus 6 stays below 16, so no carry crosses a byte), and the digits are
/// combined pairwise in three multiplications (as simdjson's
/// `parse_eight_digits_unrolled`), the number's leading places filled
/// with zeros. The number and the position after the closing quote;
/// `None` for anything else (a zero, nine digits, another spelling),
/// which [`Lexer::kb`] then reads.
#[inline]
fn kb_swar(b: &[u8], i: usize) -> Option<(u32, usize)> {
    const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let head = b.get(i..i + 3)?;
    if head != b"\"KB" {
        return None;
    }
    let mut w = [0u8; 8];
    w.copy_from_slice(b.get(i + 3..i + 11)?);
    let v = u64::from_le_bytes(w);
    // Non-zero bytes: not a digit.
    let bad = ((v & HIGH) ^ 0x3030_3030_3030_3030) | (((v & LOW) + 0x0606_0606_0606_0606) & HIGH);
    // The top bit of each non-zero byte.
    let flags =
        (((bad & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | bad) & 0x8080_8080_8080_8080;
    if flags == 0 {
        return None;
    }
    let digits = (flags.trailing_zeros() / 8) as usize;
    if digits == 0 || b[i + 3 + digits] != b'"' {
        return None;
    }
    // The digits in the high bytes, zeros (leading places) below.
    let mut x = (v & LOW) << (8 * (8 - digits));
    x = x.wrapping_mul(10 * 256 + 1) >> 8;
    x = (x & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 * 65_536 + 1) >> 16;
    let n = ((x & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 * (1 << 32) + 1) >> 32) as u32;
    (n != 0).then_some((n, i + 4 + digits))
}

/// Decodes the two-character escapes of `s` (the lexer let no other
/// through) onto `out`.
fn unescape(s: &str, out: &mut String) {
    let b = s.as_bytes();
    let mut seg = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        // Escapes are ASCII, so `seg` and `i` are character boundaries.
        out.push_str(&s[seg..i]);
        out.push(match b.get(i + 1) {
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(&c) => c as char,
            None => break,
        });
        i += 2;
        seg = i;
    }
    out.push_str(s.get(seg..).unwrap_or(""));
}

/// Which fields a record has given, to catch a repeat.
#[derive(Default)]
struct Seen(u16);

impl Seen {
    #[inline]
    fn first(&mut self, bit: u16) -> Option<()> {
        let m = 1 << bit;
        (self.0 & m == 0).then(|| self.0 |= m)
    }
}

/// A leaf read by its [`LeafKind`]; a value it refuses goes to serde.
#[inline]
fn leaf<K: LeafKind>(s: &str) -> Option<K::Out> {
    K::read(s).ok()
}

/// Buffers a reading thread reuses from record to record: a string with
/// escapes is decoded into `s`, and lists are gathered here and then
/// copied out at their final length (instead of growing each record's
/// vectors step by step).
#[derive(Default)]
struct Bufs {
    s: String,
    names: Names,
    kbs: Vec<u32>,
    keys: Vec<Arc<str>>,
    files: Vec<FileFact>,
}

/// How many spellings of keys a reading thread remembers (see
/// [`Names::raw`]); past that, keys are normalised each time. It bounds the
/// memory an inventory of ever-different keys could take.
const RAW_KEYS: usize = 1 << 16;

/// The shared copies of the keys and file names a thread has read, and
/// scratch for a key while it is normalised.
#[derive(Default)]
struct Names {
    interner: Interner,
    /// A key as the file spells it (between the quotes, escapes and all)
    /// → its normalised shared copy: a fleet's inventory spells each key
    /// the same way on most machines, so most keys are one look-up, with
    /// no folding or copying. At most [`RAW_KEYS`] spellings are kept.
    raw: FxHashMap<Box<str>, Arc<str>>,
    /// A key read for the first time, folded byte by byte...
    bytes: Vec<u8>,
    /// ...and then normalised ([`finish_key_in`]).
    key: Vec<u8>,
    /// A file name, trimmed and lowered.
    name: String,
}

/// One machine record at `lx`, read as [`FastRecord`] would read it.
fn record<'a>(lx: &mut Lexer<'a>, bufs: &mut Bufs) -> Option<Rec<'a>> {
    let Bufs {
        s: buf,
        names,
        kbs,
        keys,
        files,
    } = bufs;
    let mut seen = Seen::default();
    let mut name = None;
    let mut os = None;
    let mut r = Rec {
        name: Cow::Borrowed(""),
        os: Cow::Borrowed(""),
        service_pack: None,
        arch: None,
        role: None,
        os_build: None,
        products: Vec::new(),
        components: None,
        updates: None,
        registry_keys: None,
        files: None,
    };
    lx.object(|lx, key| {
        match key {
            "name" => {
                seen.first(0)?;
                name = Some(lx.string()?);
            }
            "os" => {
                seen.first(1)?;
                os = Some(lx.string()?);
            }
            "service_pack" => {
                seen.first(2)?;
                r.service_pack = if lx.null() { None } else { Some(lx.string()?) };
            }
            "arch" => {
                seen.first(3)?;
                r.arch = if lx.null() {
                    None
                } else {
                    Some(match lx.raw_str()? {
                        ("x86", false) => Arch::X86,
                        ("x64", false) => Arch::X64,
                        ("ia64", false) => Arch::Ia64,
                        ("arm", false) => Arch::Arm,
                        _ => return None,
                    })
                };
            }
            "role" => {
                seen.first(4)?;
                r.role = if lx.null() {
                    None
                } else {
                    Some(match lx.raw_str()? {
                        ("server", false) => Role::Server,
                        ("client", false) => Role::Client,
                        _ => return None,
                    })
                };
            }
            "os_build" => {
                seen.first(5)?;
                r.os_build = if lx.null() {
                    None
                } else {
                    Some(leaf::<BuildLeaf>(lx.str_in(buf)?)?)
                };
            }
            "products" => {
                seen.first(6)?;
                let mut v = Vec::new();
                lx.array(|lx| {
                    v.push(ProductRecord::Name(lx.string()?.into_owned()));
                    Some(())
                })?;
                r.products = v;
            }
            "components" => {
                seen.first(7)?;
                r.components = if lx.null() {
                    None
                } else {
                    let mut v = Vec::new();
                    lx.array(|lx| {
                        v.push(lx.string()?);
                        Some(())
                    })?;
                    Some(v)
                };
            }
            "updates" => {
                seen.first(8)?;
                r.updates = if lx.null() {
                    None
                } else {
                    kbs.clear();
                    lx.kb_list(buf, kbs)?;
                    Some(kbs.to_vec())
                };
            }
            "registry_keys" => {
                seen.first(9)?;
                r.registry_keys = if lx.null() {
                    None
                } else {
                    keys.clear();
                    lx.array(|lx| {
                        let k = lx.key(buf, names)?;
                        if k.is_empty() {
                            return None;
                        }
                        keys.push(k);
                        Some(())
                    })?;
                    {
                        // At its final length; the buffer keeps its room.
                        let mut v = Vec::with_capacity(keys.len());
                        v.append(keys);
                        Some(v)
                    }
                };
            }
            "files" => {
                seen.first(10)?;
                r.files = if lx.null() {
                    None
                } else {
                    files.clear();
                    lx.array(|lx| {
                        files.push(file(lx, buf, names)?);
                        Some(())
                    })?;
                    {
                        // At its final length; the buffer keeps its room.
                        let mut v = Vec::with_capacity(files.len());
                        v.append(files);
                        Some(v)
                    }
                };
            }
            _ => return None,
        }
        Some(())
    })?;
    r.name = name?;
    r.os = os?;
    Some(r)
}

/// One entry of `files`, as `FastFile` reads it.
fn file(lx: &mut Lexer<'_>, buf: &mut String, names: &mut Names) -> Option<FileFact> {
    let mut seen = Seen::default();
    let mut name = None;
    let mut version = None;
    let mut path = None;
    let mut size = None;
    let mut branch = None;
    lx.object(|lx, key| {
        match key {
            "name" => {
                seen.first(0)?;
                let s = lx.str_in(buf)?;
                name = Some(file_name(s, &mut names.name, &mut names.interner)?);
            }
            "version" => {
                seen.first(1)?;
                version = Some(leaf::<VersionLeaf>(lx.str_in(buf)?)?);
            }
            "path" => {
                seen.first(2)?;
                path = if lx.null() {
                    None
                } else {
                    Some(lx.string()?.into_owned())
                };
            }
            "size" => {
                seen.first(3)?;
                size = if lx.null() { None } else { Some(lx.u64()?) };
            }
            "branch" => {
                seen.first(4)?;
                branch = if lx.null() {
                    None
                } else {
                    Some(match lx.raw_str()? {
                        ("gdr", false) => BranchKind::Gdr,
                        ("qfe" | "ldr", false) => BranchKind::Qfe,
                        _ => return None,
                    })
                };
            }
            _ => return None,
        }
        Some(())
    })?;
    Some(FileFact {
        name: name?,
        path,
        version: version?,
        size,
        branch,
    })
}

// ── Values the lexer does not read ───────────────────────────────────────

/// The end of the JSON value starting at `i` (a string, an object or array
/// with everything in it, or a number or literal), found by matching
/// brackets outside strings; `None` if it does not end. Used to find the
/// extent of a value that serde reads or refuses; serde then checks it.
pub(super) fn skip_value(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *b.get(i)? {
            b'"' => {
                i += 1;
                loop {
                    match *b.get(i)? {
                        b'"' => break,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            b',' | b' ' | b'\n' | b'\r' | b'\t' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
        if depth == 0 && matches!(b.get(i - 1), Some(b'"' | b'}' | b']')) {
            return Some(i);
        }
    }
}

// ── Records ──────────────────────────────────────────────────────────────

/// Scratch a reading thread keeps: the catalogue cache and a buffer for
/// strings with escapes.
pub(super) struct Reader {
    pub(super) cache: Cache,
    bufs: Bufs,
}

impl Reader {
    pub(super) fn new() -> Reader {
        Reader {
            cache: Cache::default(),
            bufs: Bufs::default(),
        }
    }

    /// The record whose value starts at `pos`, and where it ends; `None`
    /// when it is not JSON (the caller then lets serde_json report the
    /// file's error).
    pub(super) fn one(&mut self, text: &str, pos: usize, index: usize) -> Option<(Outcome, usize)> {
        let mut lx = Lexer {
            text,
            b: text.as_bytes(),
            i: pos,
        };
        if let Some(rec) = record(&mut lx, &mut self.bufs) {
            return Some((self.cache.machine(index, None, rec), lx.i));
        }
        let rest = text.get(pos..)?;
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<FastRecord>();
        match stream.next()? {
            Ok(r) => {
                let end = pos + stream.byte_offset();
                Some((self.cache.machine(index, None, r.into_rec()), end))
            }
            Err(e) if !e.is_data() => None,
            Err(_) => {
                // A record serde refuses: only if it is JSON at all is it
                // a rejected record rather than a broken file.
                let end = skip_value(text.as_bytes(), pos)?;
                let json = text.get(pos..end)?;
                serde_json::from_str::<serde::de::IgnoredAny>(json).ok()?;
                Some((read_outcome_slow(&mut self.cache, index, json), end))
            }
        }
    }

    /// Whether a record that serde or the lexer accepts starts at `pos`: a
    /// guess at a record boundary (an object nested in a record, such as a
    /// file, is not a machine record).
    fn starts_record(&mut self, text: &str, pos: usize) -> bool {
        let mut lx = Lexer {
            text,
            b: text.as_bytes(),
            i: pos,
        };
        record(&mut lx, &mut self.bufs).is_some()
            || text.get(pos..).is_some_and(|rest| {
                serde_json::Deserializer::from_str(rest)
                    .into_iter::<FastRecord>()
                    .next()
                    .is_some_and(|r| r.is_ok())
            })
    }
}

/// How a run of records ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunEnd {
    /// At the start of the next record, at or past the run's stop.
    Next(usize),
    /// At the closing bracket of the array; the position after it.
    ArrayEnd(usize),
    /// Something that is not JSON.
    NotJson,
}

/// Records read by one thread, with indexes counted from the run's start.
struct Run {
    start: usize,
    outcomes: Vec<Outcome>,
    end: RunEnd,
}

/// Reads records from `start` (the start of a record, or the array's
/// closing bracket) until the array ends or a record starts at or past
/// `stop`.
fn run(text: &str, start: usize, stop: Option<usize>, rd: &mut Reader) -> Run {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = start;
    let end = loop {
        if b.get(pos) == Some(&b']') && out.is_empty() && pos == start {
            break RunEnd::ArrayEnd(pos + 1);
        }
        let Some((o, end)) = rd.one(text, pos, out.len()) else {
            break RunEnd::NotJson;
        };
        out.push(o);
        let p = ws(b, end);
        match b.get(p) {
            Some(b',') => {
                pos = ws(b, p + 1);
                if stop.is_some_and(|s| pos >= s) {
                    break RunEnd::Next(pos);
                }
            }
            Some(b']') => break RunEnd::ArrayEnd(p + 1),
            _ => break RunEnd::NotJson,
        }
    };
    Run {
        start,
        outcomes: out,
        end,
    }
}

/// A guessed record start at or after `from`: a `{` after `}` and a comma
/// that begins something read as a machine record.
fn guess_start(text: &str, from: usize, rd: &mut Reader) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = from;
    loop {
        i += b.get(i..)?.iter().position(|&c| c == b'}')? + 1;
        let j = ws(b, i);
        if b.get(j) != Some(&b',') {
            continue;
        }
        let q = ws(b, j + 1);
        if b.get(q) == Some(&b'{') && rd.starts_record(text, q) {
            return Some(q);
        }
    }
}

/// Reads the records of the `machines` array, whose first record (or
/// closing bracket) is at `first`. Returns the outcomes in file order,
/// each with its index, and the position after the closing bracket;
/// `None` if the records are not JSON.
///
/// With several threads, the array is cut into a few parts per thread,
/// and each thread takes the next part left (so a core slowed by other
/// work on a shared machine does not hold the others up). Part `k` starts
/// at a guessed boundary near `k/n` of the array and is read until it
/// passes the next part's guess. Part `k-1` started at a true boundary
/// (part 0 at the first record), so if it stopped exactly at part `k`'s
/// guess, that guess was a true boundary too, and so on down the line.
/// Where a guess was wrong (a string that looks like records), the records
/// from there on are read again on one thread.
pub(super) fn read_records(text: &str, first: usize) -> Option<(Vec<Outcome>, usize)> {
    let threads = if text.len() - first < PARALLEL_BYTES {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(16)
    };
    let parts = if threads > 1 { threads * 4 } else { 1 };
    let mut starts = vec![first];
    if parts > 1 {
        let mut rd = Reader::new();
        let share = (text.len() - first) / parts;
        for k in 1..parts {
            match guess_start(text, first + k * share, &mut rd) {
                Some(s) if s > *starts.last().unwrap_or(&0) => starts.push(s),
                _ => break,
            }
        }
    }
    let part: Vec<usize> = (0..starts.len()).collect();
    let runs: Vec<Run> = crate::par::map(&part, threads, |&k| {
        run(
            text,
            starts[k],
            starts.get(k + 1).copied(),
            &mut Reader::new(),
        )
    });

    let mut out: Vec<Outcome> = Vec::new();
    let mut expect = first;
    let mut runs = runs.into_iter();
    let array_end = loop {
        let r = match runs.next() {
            Some(r) if r.start == expect => r,
            // The previous run did not stop at this guess: read on from
            // where it did stop, on this thread.
            _ => run(text, expect, None, &mut Reader::new()),
        };
        let base = out.len();
        out.extend(r.outcomes.into_iter().map(|o| o.offset(base)));
        match r.end {
            RunEnd::Next(p) => expect = p,
            RunEnd::ArrayEnd(p) => break p,
            RunEnd::NotJson => return None,
        }
    };
    Some((out, array_end))
}

// ── The top level ─────────────────────────────────────────────────────────

/// Reads `{"$schema": …, "collected": …, "machines": [ … ]}` (keys in any
/// order): the `collected` text and every record's outcome, in file order.
/// `None` for anything else, which serde_json then reads or reports.
pub(super) fn parse(text: &str) -> Option<(Option<String>, Vec<Outcome>)> {
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut seen = Seen::default();
    let mut collected = None;
    let mut outcomes = None;
    loop {
        let mut lx = Lexer {
            text,
            b,
            i: ws(b, i),
        };
        let (key, escaped) = lx.raw_str()?;
        if escaped {
            return None;
        }
        i = ws(b, lx.i);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(b, i + 1);
        match key {
            "machines" => {
                seen.first(0)?;
                if b.get(i) != Some(&b'[') {
                    return None;
                }
                let (o, end) = read_records(text, ws(b, i + 1))?;
                outcomes = Some(o);
                i = end;
            }
            "collected" => {
                seen.first(1)?;
                let end = skip_value(b, i)?;
                collected = serde_json::from_str::<Option<String>>(text.get(i..end)?).ok()?;
                i = end;
            }
            "$schema" => {
                seen.first(2)?;
                let end = skip_value(b, i)?;
                serde_json::from_str::<serde::de::IgnoredAny>(text.get(i..end)?).ok()?;
                i = end;
            }
            _ => return None,
        }
        i = ws(b, i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => break,
            _ => return None,
        }
    }
    (ws(b, i + 1) == b.len()).then_some(())?;
    Some((collected, outcomes?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(s: &str) -> Option<Rec<'_>> {
        let mut bufs = Bufs::default();
        let mut lx = Lexer {
            text: s,
            b: s.as_bytes(),
            i: 0,
        };
        let r = record(&mut lx, &mut bufs)?;
        (lx.i == s.len()).then_some(r)
    }

    fn serde(s: &str) -> Option<Rec<'_>> {
        serde_json::from_str::<FastRecord>(s)
            .ok()
            .map(|r| r.into_rec())
    }

    /// What the lexer accepts, serde accepts with the same result; what it
    /// is unsure of, it leaves.
    #[test]
    fn the_lexer_agrees_with_serde() {
        let accepted = [
            r#"{"name":"a","os":"Windows XP Professional"}"#,
            r#"{ "os" : "Windows 2000 Server" , "name" : "b\\c\"d\/e\n" , "service_pack" : null }"#,
            r#"{"name":"M1","os":"Windows Server 2003, Standard Edition","service_pack":"SP1","arch":"x86","role":"server","products":["Exchange Server 2003 SP2"],"components":["smtp"],"updates":["KB800013","q12","870763"],"registry_keys":["HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows Server 2003\\SP9\\KB800173\\Filelist","hklm/x/"],"files":[{"name":"B3_25.DLL","version":"5.2.3790.2966"},{"version":"1.0","name":" x.dll ","path":"C:\\w","size":0,"branch":"ldr"}]}"#,
            r#"{"name":"w","os":"Windows 10 Enterprise Version 1607","os_build":"10.0.14393.1770","arch":"x64","role":"client","updates":[],"registry_keys":[],"files":[],"components":[],"products":[]}"#,
            r#"{"name":"n","os":"o","arch":null,"role":null,"os_build":null,"components":null,"updates":null,"registry_keys":null,"files":[{"name":"a","version":"1","size":null,"branch":null,"path":null}]}"#,
            r#"{"name":"s","os":"o","files":[{"name":"a","version":"1","size":18446744073709551615}]}"#,
            r#"{"name":"u","os":"o","updates":[ "KB1" , "KB22" ,"KB0000009","KB12345678","KB123456789",  "KB7"  ,"q5"]}"#,
            r#"{"name":"v","os":"o","updates":["KB10000000","KB99999999","KB1","KB09"],"files":[]}"#,
            r#"{"name":"k","os":"o","registry_keys":["  HKEY_LOCAL_MACHINE\\  ","HKEY_CURRENT_USER\\\/Filelist","HKLM\\Ä\\X","hkey_users\\a\"b\\FILELIST\\\\"," \\\\a"],"updates":[" KB1 ","Kb2","q3","kb000000009","4"]}"#,
        ];
        for s in accepted {
            let (a, b) = (lex(s), serde(s));
            assert!(a.is_some(), "the lexer reads {s}");
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{s}");
        }
        let unsure = [
            r#"{"name":"a"}"#,
            r#"{"name":"a","os":"o","name":"b"}"#,
            r#"{"name":"a","os":"o","updtes":[]}"#,
            r#"{"name":"\u0041","os":"o"}"#,
            r#"{"name":5,"os":"o"}"#,
            r#"{"name":"a","os":"o","updates":["MS06-035"]}"#,
            r#"{"name":"a","os":"o","registry_keys":[" "]}"#,
            r#"{"name":"a","os":"o","arch":"amd64"}"#,
            r#"{"name":"a","os":"o","products":[{"name":"x"}]}"#,
            r#"{"name":"a","os":"o","products":null}"#,
            r#"{"name":"a","os":"o","files":[{"name":"a","version":"5.0.x"}]}"#,
            r#"{"name":"a","os":"o","files":[{"name":"a","version":"1","size":01}]}"#,
            r#"{"name":"a","os":"o","files":[{"name":"a","version":"1","size":1.0}]}"#,
            r#"{"name":"a","os":"o","files":[{"name":"a","version":"1","size":18446744073709551616}]}"#,
            r#"{"name":"a","os":"o","files":[{"name":"a","version":"1","size":-1}]}"#,
            r#"{"name":"a","os":"o",}"#,
            r#"{"name":"a","os":"o","updates":["KB1",]}"#,
            "{\"name\":\"a\tb\",\"os\":\"o\"}",
            r#"{"name":"a","os":"o","updates":["kb0"]}"#,
            r#"{"name":"a","os":"o","updates":["KB1234567890"]}"#,
            r#"{"name":"a","os":"o","updates":["kB1"]}"#,
            r#"{"name":"a","os":"o","updates":["KB1" "KB2"]}"#,
            r#"{"name":"a","os":"o","updates":["KB0"]}"#,
            r#"{"name":"a","os":"o","updates":["KB12x"]}"#,
            r#"{"name":"a","os":"o","updates":["KB1"}"#,
        ];
        for s in unsure {
            assert!(lex(s).is_none(), "the lexer leaves {s}");
        }
    }

    /// Eight digits at a time give what the digit loop gives, for every
    /// length, at the end of the input too, and refuse what it refuses.
    #[test]
    fn kb_numbers_read_eight_digits_at_a_time() {
        let mut n: u64 = 1;
        let mut samples = Vec::new();
        while n < 100_000_000 {
            samples.extend([n, n + 7, n * 3 - 1, n * 9]);
            n *= 10;
        }
        samples.extend([99_999_999, 12_345_678, 870_763, 4_056_890, 10_203]);
        for n in samples.into_iter().filter(|&n| n < 100_000_000) {
            for pad in ["", "0", "000"] {
                for tail in ["\",", "\"]", "\"", "\",\"KB1\"]"] {
                    let s = format!("\"KB{pad}{n}{tail}");
                    let want =
                        (s.len() >= 11).then_some((n as u32, 4 + pad.len() + n.to_string().len()));
                    let digits = pad.len() + n.to_string().len();
                    let got = kb_swar(s.as_bytes(), 0);
                    if digits <= 7 && s.len() >= 11 {
                        assert_eq!(got, want, "{s}");
                    } else {
                        // Eight digits, or too near the end: the loop reads it.
                        assert!(got.is_none() || got == want, "{s}");
                    }
                }
            }
        }
        for s in [
            "\"KB0\",\"KB1\"]",
            "\"KB\",\"KB1\"]",
            "\"KB12a4\",\"K\"]",
            "\"KB12/4\",\"K\"]",
            "\"KB12:4\",\"K\"]",
            "\"Kb1234\",\"K\"]",
            "\"KB1234 \",\"K\"]",
            "\"KB123456789\"]",
            "\"KB1\"",
        ] {
            assert_eq!(kb_swar(s.as_bytes(), 0), None, "{s}");
        }
    }

    #[test]
    fn values_end_where_serde_says() {
        for (s, end) in [
            (r#""a\"b", 1"#, 6),
            (r#"{"a":[1,{"b":"}"}]} ,"#, 19),
            ("12 ,", 2),
            ("true]", 4),
            (r#"[[],[]],"#, 7),
        ] {
            assert_eq!(skip_value(s.as_bytes(), 0), Some(end), "{s}");
        }
        assert_eq!(skip_value(br#"{"a":"#, 0), None);
    }
}
