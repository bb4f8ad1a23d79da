//! How the pages print values, in one place for every face of hfr: the web
//! site, the mails and the terminal all show `2004/10/16`, `532,216` and
//! `1時間50分`, and an administrator comparing a mail with the page must see
//! the same words. Pure string making, no markup.

use chrono::NaiveDate;

use crate::{Rollout, Target, VerificationCheck};

/// `2004/10/16`; `-` when unknown.
pub fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y/%m/%d").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Bytes with thousands separators (`532,216`); `-` when unknown.
pub fn size(n: Option<u64>) -> String {
    match n {
        None => "-".into(),
        Some(n) => {
            let s = n.to_string();
            let mut out = String::with_capacity(s.len() + s.len() / 3);
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
    }
}

/// A rollout time: `1時間50分`, `34分`.
pub fn minutes(m: u32) -> String {
    if m >= 60 {
        format!("{}時間{}分", m / 60, m % 60)
    } else {
        format!("{m}分")
    }
}

/// `yes` or `no`, or `-` when the page did not say.
pub fn yes_no<'a>(v: Option<bool>, yes: &'a str, no: &'a str) -> &'a str {
    match v {
        Some(true) => yes,
        Some(false) => no,
        None => "-",
    }
}

/// 対象環境: `サーバ`, `クライアント` or `サーバ、クライアント`; `-` when unknown.
pub fn target(t: Option<Target>) -> String {
    let on: Vec<&str> = t
        .map(|t| {
            [(t.server, "サーバ"), (t.client, "クライアント")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, l)| *l)
                .collect()
        })
        .unwrap_or_default();
    if on.is_empty() {
        "-".into()
    } else {
        on.join("、")
    }
}

/// What to look for under a 確認方法 registry key.
pub fn check(c: &VerificationCheck) -> String {
    match c {
        VerificationCheck::FileList => "このキー以下のファイル一覧を確認する".into(),
        VerificationCheck::Value { name, data } => {
            format!("値 {name} のデータが {data} であること")
        }
        VerificationCheck::KeyExists => "このキーが存在すること".into(),
        VerificationCheck::Other { text } => text.clone(),
    }
}

/// One path segment of a URL: unreserved characters (RFC 3986) as they
/// are, every other byte percent-encoded, so that an alert id or an opaque
/// token can never break out of its segment (`/`, `?`, `#`, `>`, spaces,
/// line breaks). The site and the mails link alike.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The machine counts of 予想適用時間 (50, 100, 250, 500, …): every count
/// any package was timed for, ascending, once; the columns of its table.
pub fn rollout_columns(rollout: &[Rollout]) -> Vec<u32> {
    let mut counts: Vec<u32> = rollout
        .iter()
        .flat_map(|r| r.minutes.keys().copied())
        .collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_on_the_pages() {
        assert_eq!(date(NaiveDate::from_ymd_opt(2004, 10, 16)), "2004/10/16");
        assert_eq!(date(None), "-");
        assert_eq!(size(Some(532_216)), "532,216");
        assert_eq!(size(Some(1_048_576)), "1,048,576");
        assert_eq!(size(Some(999)), "999");
        assert_eq!(size(None), "-");
        assert_eq!(minutes(110), "1時間50分");
        assert_eq!(minutes(60), "1時間0分");
        assert_eq!(minutes(34), "34分");
        assert_eq!(yes_no(Some(true), "可", "不可"), "可");
        assert_eq!(yes_no(None, "可", "不可"), "-");
        let both = Target {
            server: true,
            client: true,
        };
        assert_eq!(target(Some(both)), "サーバ、クライアント");
        assert_eq!(target(None), "-");
        assert_eq!(
            check(&VerificationCheck::KeyExists),
            "このキーが存在すること"
        );
    }

    #[test]
    fn path_segments_cannot_escape() {
        assert_eq!(path_segment("MS04-035"), "MS04-035");
        assert_eq!(path_segment("a/b?c#d>\r\n"), "a%2Fb%3Fc%23d%3E%0D%0A");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("脆"), "%E8%84%86");
    }

    #[test]
    fn rollout_columns_are_every_count_once_ascending() {
        let r = |counts: &[u32]| Rollout {
            package: "p".into(),
            platform: None,
            minutes: counts.iter().map(|&c| (c, c / 2)).collect(),
        };
        assert_eq!(
            rollout_columns(&[r(&[500, 50]), r(&[100, 50, 250])]),
            vec![50, 100, 250, 500]
        );
        assert!(rollout_columns(&[]).is_empty());
    }
}
