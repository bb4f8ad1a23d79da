//! File and build versions, compared as numbers.
//!
//! Windows file versions are four numbers (`5.0.2195.7005`); comparing them
//! as text gets `5.0.2195.999 > 5.0.2195.7005` wrong, which is the classic
//! patch-scanner bug. The alerts keep versions as written, so they are read
//! here, once, when an alert is compiled or an inventory is validated.

use std::cmp::Ordering;
use std::fmt;

/// A version of one to four numbers. Missing parts compare as 0, so `6.0`
/// equals `6.0.0.0`; `Display` prints the parts that were written.
#[derive(Debug, Clone, Copy, Eq)]
pub struct Version {
    parts: [u32; 4],
    len: u8,
}

impl Version {
    /// Reads `5.0.2195.7005`. Surrounding spaces are ignored; anything else
    /// than one to four dot-separated decimal numbers is `None` (a build
    /// written as a URL or a package name is not a version).
    pub fn parse(s: &str) -> Option<Version> {
        // Read byte by byte: an inventory has some ten file versions per
        // machine, and a hundred thousand machines.
        let b = trim(s).as_bytes();
        let mut parts = [0u32; 4];
        let mut len = 0usize;
        let mut digits = 0usize;
        let mut n = 0u32;
        for &c in b {
            match c {
                b'0'..=b'9' if digits < 9 => {
                    // Nine digits fit in a u32.
                    n = n * 10 + u32::from(c - b'0');
                    digits += 1;
                }
                b'.' if digits > 0 && len < 3 => {
                    parts[len] = n;
                    len += 1;
                    n = 0;
                    digits = 0;
                }
                _ => return None,
            }
        }
        if digits == 0 {
            return None;
        }
        parts[len] = n;
        Some(Version {
            parts,
            len: len as u8 + 1,
        })
    }

    pub fn parts(&self) -> [u32; 4] {
        self.parts
    }

    /// The parts and how many were written: what tells two equal
    /// versions written differently apart.
    pub(crate) fn written(&self) -> ([u32; 4], u8) {
        (self.parts, self.len)
    }

    /// The four parts in 16 bits each, as a Windows file version resource
    /// holds them: `None` when a part is larger (so no file version can
    /// be).
    pub fn pack(&self) -> Option<u64> {
        let [a, b, c, d] = self.parts;
        ((a | b | c | d) <= 0xFFFF).then(|| {
            (u64::from(a) << 48) | (u64::from(b) << 32) | (u64::from(c) << 16) | u64::from(d)
        })
    }

    /// The version [`pack`](Version::pack) made (printed with four parts).
    pub fn unpack(v: u64) -> Version {
        Version {
            parts: [
                (v >> 48) as u32 & 0xFFFF,
                (v >> 32) as u32 & 0xFFFF,
                (v >> 16) as u32 & 0xFFFF,
                v as u32 & 0xFFFF,
            ],
            len: 4,
        }
    }

    /// The first three parts (major.minor.build) agree: both versions are
    /// builds of the same release and only the revision tells them apart.
    pub fn same_build(&self, other: &Version) -> bool {
        self.parts[..3] == other.parts[..3]
    }

    /// The revision's ten-thousand block: from Windows Vista on, Microsoft
    /// numbers a file's GDR builds and its LDR/QFE builds in different
    /// blocks (16xxx/18xxx against 20xxx/22xxx), which is how a branch can
    /// be told from the version alone.
    pub fn revision_block(&self) -> u32 {
        self.parts[3] / 10_000
    }
}

/// `str::trim`, without its Unicode search when the ends are plain ASCII
/// (they nearly always are: versions, KB numbers, file names).
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let plain = |c: u8| c > b' ' && c < 0x80;
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if plain(f) && plain(l) => s,
        _ => s.trim(),
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.parts == other.parts
    }
}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts.hash(state);
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.parts[..self.len.max(1) as usize].iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_not_text() {
        let v = |s: &str| Version::parse(s).expect(s);
        assert!(v("5.0.2195.7005") > v("5.0.2195.999"));
        assert!(v("5.0.2195.6870") < v("5.0.2195.7005"));
        assert!(v("10.0.14393.1198") > v("6.3.9600.18000"));
        assert_eq!(v("6.0"), v("6.0.0.0"));
        assert_eq!(v("6.0").to_string(), "6.0");
        assert_eq!(v(" 1.2.3.4 ").to_string(), "1.2.3.4");
        assert!(v("5.2.3790.2691").same_build(&v("5.2.3790.526")));
        assert_eq!(v("6.0.6001.22100").revision_block(), 2);
        let p = v("5.0.2195.7005").pack().expect("fits");
        assert_eq!(Version::unpack(p), v("5.0.2195.7005"));
        assert_eq!(Version::unpack(p).to_string(), "5.0.2195.7005");
        assert_eq!(v("1.2.3.70000").pack(), None);
    }

    #[test]
    fn not_versions() {
        for bad in [
            "",
            "5.0.x",
            "1.2.3.4.5",
            "1..2",
            "https://example.com",
            "1.2.3.99999999999",
            "-1",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }
}
