//! Package URLs (purl), for `product_identification_helper/purl` (CSAF 2.0
//! section 3.1.3.3.3.4 and test 6.1.13).
//!
//! Follows the parsing rules of the purl specification
//! (`PURL-SPECIFICATION.rst`, "How to parse a purl string in its
//! components"): `pkg:type/namespace/name@version?qualifiers#subpath`, with
//! the type, name, qualifier keys and percent-encoding checked. The
//! type-specific rules (e.g. a Maven namespace) are left alone: they vary
//! between spec revisions and a mismatch there does not make the identifier
//! unusable for matching.

use std::collections::BTreeMap;

/// The components of a parsed purl, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Purl {
    /// Lower-cased package type (`maven`, `npm`, ...).
    pub ty: String,
    pub namespace: Vec<String>,
    pub name: String,
    pub version: Option<String>,
    /// Qualifier keys are lower-cased; entries with an empty value are
    /// dropped, as the spec says.
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Vec<String>,
}

/// Parses a purl; the error names the component that is wrong.
pub fn parse(s: &str) -> Result<Purl, String> {
    let mut out = Purl::default();
    // The subpath: right of the last '#'.
    let (rest, subpath) = match s.rsplit_once('#') {
        Some((r, sp)) => (r, Some(sp)),
        None => (s, None),
    };
    if let Some(sp) = subpath {
        for seg in sp.split('/') {
            let seg = decode(seg, "subpath")?;
            if !(seg.is_empty() || seg == "." || seg == "..") {
                out.subpath.push(seg);
            }
        }
    }
    // The qualifiers: right of the last '?'.
    let (rest, qualifiers) = match rest.rsplit_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    if let Some(q) = qualifiers {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("qualifier `{pair}` has no `=`"))?;
            let key = key.to_ascii_lowercase();
            let key_ok = key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
                && key.bytes().next().is_some_and(|b| !b.is_ascii_digit());
            if !key_ok {
                return Err(format!("qualifier key `{key}` is not allowed"));
            }
            let value = decode(value, "qualifier value")?;
            if value.is_empty() {
                continue;
            }
            if out.qualifiers.insert(key.clone(), value).is_some() {
                return Err(format!("qualifier `{key}` appears twice"));
            }
        }
    }
    // The scheme: left of the first ':'.
    let (scheme, rest) = rest
        .split_once(':')
        .ok_or_else(|| "there is no `pkg:` scheme".to_owned())?;
    if !scheme.eq_ignore_ascii_case("pkg") {
        return Err(format!("the scheme is `{scheme}`, not `pkg`"));
    }
    let rest = rest.trim_matches('/');
    // The type: up to the first '/'.
    let (ty, rest) = rest
        .split_once('/')
        .ok_or_else(|| "there is no name after the type".to_owned())?;
    let ty_ok = ty
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
        && ty.bytes().next().is_some_and(|b| !b.is_ascii_digit());
    if !ty_ok {
        return Err(format!(
            "the type `{ty}` is empty or has characters outside [A-Za-z0-9.+-]"
        ));
    }
    out.ty = ty.to_ascii_lowercase();
    // The version: right of the last '@'.
    let rest = rest.trim_end_matches('/');
    let (rest, version) = match rest.rsplit_once('@') {
        Some((r, v)) => (r, Some(v)),
        None => (rest, None),
    };
    if let Some(v) = version {
        let v = decode(v, "version")?;
        if v.is_empty() {
            return Err("the version after `@` is empty".into());
        }
        out.version = Some(v);
    }
    // The name: right of the last '/'; the namespace before it.
    let (namespace, name) = match rest.rsplit_once('/') {
        Some((ns, n)) => (Some(ns), n),
        None => (None, rest),
    };
    let name = decode(name, "name")?;
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    out.name = name;
    if let Some(ns) = namespace {
        for seg in ns.split('/').filter(|s| !s.is_empty()) {
            let seg = decode(seg, "namespace")?;
            if seg.contains('/') {
                return Err("a namespace segment contains an encoded `/`".into());
            }
            out.namespace.push(seg);
        }
    }
    Ok(out)
}

/// Percent-decodes one component; a `%` must start a two-digit hex escape
/// and the result must be UTF-8.
fn decode(s: &str, what: &str) -> Result<String, String> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("the {what} has a `%` that is no percent-escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the {what} does not decode to UTF-8"))
}
