//! RFC 3339 date-times, the JSON schema `date-time` format that CSAF uses
//! for every date (section 3.1.x of the standard and RFC 3339 section 5.6).
//!
//! Why by hand: the revision-history tests order entries by instant, and the
//! validator test data relies on sub-millisecond differences
//! (`10:00:00.00010Z` is later than `10:00:00.000Z`, `10:00:00.00000Z` equals
//! it). Parsing to "nanoseconds since the epoch" keeps those exact and also
//! gives the strict syntax check the schema asks for.

/// An instant as (seconds since 1970-01-01T00:00:00Z, nanoseconds); the
/// derived order is chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    pub seconds: i64,
    pub nanos: u32,
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; `T` and `Z` may
/// be lower case, a leap second (`:60`) is accepted as RFC 3339 allows.
/// Fraction digits beyond nanoseconds are kept only as far as nanoseconds go.
pub fn parse(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start).min(9)..9 {
            nanos *= 10;
        }
    }
    let offset: i64 = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() => {
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if b[i + 3] != b':' || oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh) * 3600 + i64::from(om) * 60;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
            - offset;
    Some(Instant { seconds, nanos })
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    part.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_instants() {
        let p = |s: &str| parse(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(p("1970-01-01T00:00:00Z").seconds, 0);
        assert_eq!(
            p("2021-07-21T10:00:00.000Z"),
            p("2021-07-21T10:00:00.00000Z")
        );
        assert!(p("2021-07-21T10:00:00.00010Z") > p("2021-07-21T10:00:00.000Z"));
        assert_eq!(p("2021-07-21T12:00:00+02:00"), p("2021-07-21T10:00:00Z"));
        assert_eq!(p("2000-03-01T00:00:00Z").seconds, 951_868_800);
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "2021-07-21",
            "2021-07-21 10:00:00Z",
            "2021-02-29T10:00:00Z",
            "2021-07-21T10:00:00",
            "2021-07-21T10:00:00.Z",
            "2021-07-21T25:00:00Z",
            "2021-07-21T10:00:00+0200",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
