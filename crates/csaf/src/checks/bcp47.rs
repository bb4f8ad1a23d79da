//! BCP 47 language tags (RFC 5646), for `/document/lang` and
//! `/document/source_lang` (CSAF 2.0 section 3.2.1.7/3.2.1.13, test 6.1.12).
//!
//! Two levels, as RFC 5646 section 2.2.9 defines them:
//! - [`well_formed`]: the ABNF of section 2.1 (this is what the JSON schema
//!   pattern approximates);
//! - [`validate`]: well formed *and* every subtag registered in the IANA
//!   Language Subtag Registry, an extended language subtag only after its
//!   prefix, no variant or extension singleton twice. Test 6.1.12 asks for
//!   this ("valid language code"): `EZ` is well formed but no language.
//!
//! Variant prefixes are not checked: RFC 5646 only recommends them.

use super::lang_data as data;

/// What a well-formed tag consists of, in the order of the ABNF.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LanguageTag {
    /// Primary language subtag (empty for a private-use-only or
    /// grandfathered tag).
    pub language: String,
    pub extlangs: Vec<String>,
    pub script: Option<String>,
    pub region: Option<String>,
    pub variants: Vec<String>,
    /// Extensions as (singleton, subtags).
    pub extensions: Vec<(char, Vec<String>)>,
    pub private_use: Vec<String>,
    /// The whole tag when it is one of the 26 grandfathered tags.
    pub grandfathered: Option<String>,
}

/// The irregular and regular grandfathered tags of RFC 5646 section 2.2.8:
/// valid as a whole although they do not follow the grammar of subtags.
const GRANDFATHERED: &[&str] = &[
    "en-gb-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-be-fr",
    "sgn-be-nl",
    "sgn-ch-de",
    "art-lojban",
    "cel-gaulish",
    "no-bok",
    "no-nyn",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

/// Parses a tag per the RFC 5646 ABNF (case-insensitive; subtags are
/// returned in lower case). The error says which subtag breaks the grammar.
pub fn well_formed(tag: &str) -> Result<LanguageTag, String> {
    let lower = tag.to_ascii_lowercase();
    if GRANDFATHERED.contains(&lower.as_str()) {
        return Ok(LanguageTag {
            grandfathered: Some(lower),
            ..LanguageTag::default()
        });
    }
    if tag.is_empty() {
        return Err("the language tag is empty".into());
    }
    let subtags: Vec<&str> = lower.split('-').collect();
    if let Some(bad) = subtags
        .iter()
        .find(|s| s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(format!(
            "`{bad}` is not a subtag (1 to 8 letters or digits between hyphens)"
        ));
    }
    let mut out = LanguageTag::default();
    let mut i = 0;
    let n = subtags.len();
    let alpha = |s: &str| s.bytes().all(|b| b.is_ascii_alphabetic());
    let digit = |s: &str| s.bytes().all(|b| b.is_ascii_digit());

    if subtags[0] != "x" {
        let first = subtags[0];
        if !alpha(first) || first.len() < 2 {
            return Err(format!("`{first}` is not a primary language subtag"));
        }
        out.language = first.to_owned();
        i = 1;
        if first.len() <= 3 {
            while i < n && out.extlangs.len() < 3 && subtags[i].len() == 3 && alpha(subtags[i]) {
                out.extlangs.push(subtags[i].to_owned());
                i += 1;
            }
        }
        if i < n && subtags[i].len() == 4 && alpha(subtags[i]) {
            out.script = Some(subtags[i].to_owned());
            i += 1;
        }
        if i < n
            && ((subtags[i].len() == 2 && alpha(subtags[i]))
                || (subtags[i].len() == 3 && digit(subtags[i])))
        {
            out.region = Some(subtags[i].to_owned());
            i += 1;
        }
        while i < n {
            let s = subtags[i];
            let variant =
                (5..=8).contains(&s.len()) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit());
            if !variant {
                break;
            }
            out.variants.push(s.to_owned());
            i += 1;
        }
        while i < n && subtags[i].len() == 1 && subtags[i] != "x" {
            let singleton = subtags[i].chars().next().unwrap_or('?');
            i += 1;
            let mut parts = Vec::new();
            while i < n && subtags[i].len() >= 2 {
                parts.push(subtags[i].to_owned());
                i += 1;
            }
            if parts.is_empty() {
                return Err(format!("the extension `{singleton}` has no subtags"));
            }
            out.extensions.push((singleton, parts));
        }
    }
    if i < n && subtags[i] == "x" {
        i += 1;
        if i == n {
            return Err("the private-use part `x` has no subtags".into());
        }
        out.private_use = subtags[i..].iter().map(|s| (*s).to_owned()).collect();
        i = n;
    }
    if i < n {
        return Err(format!(
            "`{}` is out of place in a language tag",
            subtags[i]
        ));
    }
    Ok(out)
}

/// Checks that `tag` is a *valid* tag (RFC 5646 section 2.2.9): well formed,
/// every subtag registered, at most one extended language subtag and that
/// one after its registered prefix, no duplicate variant or extension.
pub fn validate(tag: &str) -> Result<LanguageTag, String> {
    let t = well_formed(tag)?;
    if t.grandfathered.is_some() || t.language.is_empty() {
        return Ok(t);
    }
    let lang = t.language.as_str();
    let known = match lang.len() {
        2 => contains(data::LANGUAGES_2, 2, lang),
        3 => contains(data::LANGUAGES_3, 3, lang) || in_range(lang, "qaa", "qtz"),
        _ => false,
    };
    if !known {
        return Err(format!("`{lang}` is not a registered language subtag"));
    }
    if t.extlangs.len() > 1 {
        return Err("a valid tag has at most one extended language subtag".into());
    }
    if let Some(ext) = t.extlangs.first() {
        let key = format!("{ext}{lang:-<3}");
        if !contains(data::EXTLANGS, 6, &key) {
            return Err(format!(
                "`{ext}` is not a registered extended language subtag for `{lang}`"
            ));
        }
    }
    if let Some(script) = &t.script {
        if !(contains(data::SCRIPTS, 4, script) || in_range(script, "qaaa", "qabx")) {
            return Err(format!("`{script}` is not a registered script subtag"));
        }
    }
    if let Some(region) = &t.region {
        let ok = if region.len() == 2 {
            contains(data::REGIONS_2, 2, region)
                || in_range(region, "qm", "qz")
                || in_range(region, "xa", "xz")
        } else {
            contains(data::REGIONS_3, 3, region)
        };
        if !ok {
            return Err(format!("`{region}` is not a registered region subtag"));
        }
    }
    for (k, v) in t.variants.iter().enumerate() {
        if !contains(data::VARIANTS, 8, &format!("{v:-<8}")) {
            return Err(format!("`{v}` is not a registered variant subtag"));
        }
        if t.variants[..k].contains(v) {
            return Err(format!("the variant `{v}` appears twice"));
        }
    }
    for (k, (singleton, _)) in t.extensions.iter().enumerate() {
        if !matches!(singleton, 't' | 'u') {
            return Err(format!(
                "`{singleton}` is not a registered extension singleton"
            ));
        }
        if t.extensions[..k].iter().any(|(s, _)| s == singleton) {
            return Err(format!("the extension `{singleton}` appears twice"));
        }
    }
    Ok(t)
}

/// Binary search in a table of fixed-width, sorted, lower-case entries
/// packed into one string (see `lang_data`).
fn contains(table: &str, width: usize, key: &str) -> bool {
    if key.len() != width {
        return false;
    }
    let table = table.as_bytes();
    let (mut lo, mut hi) = (0, table.len() / width);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match table[mid * width..(mid + 1) * width].cmp(key.as_bytes()) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// The registry's private-use ranges (`qaa..qtz` and the like).
fn in_range(s: &str, first: &str, last: &str) -> bool {
    s.len() == first.len() && first <= s && s <= last
}
