//! Document versions as CSAF 2.0 defines them (section 3.1.11, `version_t`):
//! either a plain integer (`"0"`, `"1"`, `"12"`) or a semantic version per
//! semver 2.0.0 (`"1.0.0"`, `"2.1.0-rc.1+build5"`).
//!
//! Why by hand: the revision-history tests (6.1.14–6.1.22, 6.1.30) need to
//! tell the two schemes apart, order versions by precedence and look at the
//! major number and the pre-release part; that is a few dozen lines, not a
//! dependency.

use std::cmp::Ordering;
use std::fmt;

/// A parsed `version_t` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// Integer versioning: `"0"`, `"1"`, `"2"`, ... (no leading zeros).
    Integer(u64),
    /// Semantic versioning: `MAJOR.MINOR.PATCH[-PRE][+BUILD]`.
    Semantic(Semver),
}

/// The parts of a semantic version that matter for precedence, plus the
/// build metadata, which precedence ignores but 6.1.16 must strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Semver {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Dot-separated pre-release identifiers; empty for a release.
    pub pre: Vec<String>,
    /// Dot-separated build metadata identifiers; empty when absent.
    pub build: Vec<String>,
}

impl Version {
    /// Parses a `version_t` string; `None` when it is neither an integer
    /// without leading zeros nor a semver 2.0.0 version (or a number does
    /// not fit in 64 bits, which no real revision counter reaches).
    pub fn parse(s: &str) -> Option<Version> {
        if let Some(n) = numeric(s) {
            return Some(Version::Integer(n));
        }
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => (r, Some(b)),
            None => (s, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let mut parts = core.split('.');
        let major = numeric(parts.next()?)?;
        let minor = numeric(parts.next()?)?;
        let patch = numeric(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let ids: Vec<String> = p.split('.').map(str::to_owned).collect();
                // A numeric pre-release identifier must not have leading
                // zeros; an alphanumeric one may be anything of [0-9A-Za-z-].
                if ids
                    .iter()
                    .any(|id| !ident_chars(id) || (all_digits(id) && numeric(id).is_none()))
                {
                    return None;
                }
                ids
            }
        };
        let build = match build {
            None => Vec::new(),
            Some(b) => {
                let ids: Vec<String> = b.split('.').map(str::to_owned).collect();
                if ids.iter().any(|id| !ident_chars(id)) {
                    return None;
                }
                ids
            }
        };
        Some(Version::Semantic(Semver {
            major,
            minor,
            patch,
            pre,
            build,
        }))
    }

    /// The major number: the integer itself for integer versioning.
    pub fn major(&self) -> u64 {
        match self {
            Version::Integer(n) => *n,
            Version::Semantic(s) => s.major,
        }
    }

    /// Whether the version carries a pre-release part (`1.0.0-rc`).
    pub fn is_prerelease(&self) -> bool {
        matches!(self, Version::Semantic(s) if !s.pre.is_empty())
    }

    /// Whether this is integer versioning rather than semantic versioning.
    pub fn is_integer(&self) -> bool {
        matches!(self, Version::Integer(_))
    }

    /// Precedence as semver defines it (build metadata ignored). An integer
    /// `n` ranks as `n.0.0`, so a mixed history (itself a 6.1.30 failure)
    /// still sorts sensibly for the other tests.
    pub fn precedence(&self, other: &Version) -> Ordering {
        let (a_core, a_pre) = self.key();
        let (b_core, b_pre) = other.key();
        a_core.cmp(&b_core).then_with(|| compare_pre(a_pre, b_pre))
    }

    fn key(&self) -> ((u64, u64, u64), &[String]) {
        match self {
            Version::Integer(n) => ((*n, 0, 0), &[]),
            Version::Semantic(s) => ((s.major, s.minor, s.patch), &s.pre),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Integer(n) => write!(f, "{n}"),
            Version::Semantic(s) => {
                write!(f, "{}.{}.{}", s.major, s.minor, s.patch)?;
                if !s.pre.is_empty() {
                    write!(f, "-{}", s.pre.join("."))?;
                }
                if !s.build.is_empty() {
                    write!(f, "+{}", s.build.join("."))?;
                }
                Ok(())
            }
        }
    }
}

/// Semver rule 11: a release ranks above its pre-releases; identifiers are
/// compared one by one, numbers numerically and below alphanumerics, and a
/// shorter list ranks lower when all shared identifiers are equal.
fn compare_pre(a: &[String], b: &[String]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    for (x, y) in a.iter().zip(b) {
        let ord = match (numeric(x), numeric(y)) {
            (Some(m), Some(n)) => m.cmp(&n),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => x.as_bytes().cmp(y.as_bytes()),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// `0|[1-9][0-9]*` as a number.
fn numeric(s: &str) -> Option<u64> {
    if !all_digits(s) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn ident_chars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The value with its build metadata removed (`2.0.0+21AF26D3` → `2.0.0`),
/// and with the pre-release part removed too when `drop_pre` is set; 6.1.16
/// compares versions this way.
pub fn normalized(s: &str, drop_pre: bool) -> &str {
    let s = s.split('+').next().unwrap_or(s);
    if drop_pre {
        s.split('-').next().unwrap_or(s)
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_both_schemes() {
        assert_eq!(v("0"), Version::Integer(0));
        assert_eq!(v("12"), Version::Integer(12));
        assert!(v("1.0.0-rc.1+b.7").is_prerelease());
        for bad in [
            "", "01", "1.0", "1.0.0.0", "1.01.0", "1.0.0-", "1.0.0-01", "v1", "1.0.0+",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn orders_by_precedence() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2",
            "2.0.1",
            "10",
        ];
        for w in order.windows(2) {
            assert_eq!(v(w[0]).precedence(&v(w[1])), Ordering::Less, "{w:?}");
        }
        assert_eq!(v("1.0.0+a").precedence(&v("1.0.0+b")), Ordering::Equal);
    }
}
