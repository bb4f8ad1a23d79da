//! Small formatters the templates call: dates, sizes, minutes, labels.

use chrono::{DateTime, NaiveDate, Utc};
use hfr_store::SourceKind;
use serde_json::Value;

pub(crate) use hfr_model::present::{check, minutes};

/// `2004/10/16`, as the pages print dates; `-` when unknown.
pub(crate) fn date(d: &Option<NaiveDate>) -> String {
    hfr_model::present::date(*d)
}

/// Bytes with thousands separators (`532,216`); `-` when unknown.
pub(crate) fn size(n: &Option<u64>) -> String {
    hfr_model::present::size(*n)
}

pub(crate) fn yes_no(v: &Option<bool>, yes: &'static str, no: &'static str) -> &'static str {
    hfr_model::present::yes_no(*v, yes, no)
}

/// `<time datetime="2004-10-16">2004/10/16</time>`, or `-` when unknown.
/// The output is markup (digits and dashes only), for `|safe`.
pub(crate) fn time(d: &Option<NaiveDate>) -> String {
    match d {
        Some(d) => format!(
            "<time datetime=\"{}\">{}</time>",
            d.format("%Y-%m-%d"),
            d.format("%Y/%m/%d")
        ),
        None => "-".into(),
    }
}

/// A timestamp in Japan time, as readers there expect: `2004/10/16 17:49 JST`.
pub(crate) fn jst(t: &DateTime<Utc>) -> String {
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("a valid offset");
    t.with_timezone(&jst)
        .format("%Y/%m/%d %H:%M JST")
        .to_string()
}

/// RFC 3339, for `<time datetime>`.
pub(crate) fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn source_kind(k: SourceKind) -> &'static str {
    match k {
        SourceKind::Import => "取り込み",
        SourceKind::Edit => "編集",
        SourceKind::Demo => "デモデータ",
    }
}

/// A JSON value as short text for the change list (`-` for null).
pub(crate) fn preview(v: &Value) -> String {
    const MAX: usize = 160;
    let s = match v {
        Value::Null => return "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > MAX {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_pages() {
        assert_eq!(size(&Some(532216)), "532,216");
        assert_eq!(size(&Some(999)), "999");
        assert_eq!(size(&None), "-");
        assert_eq!(minutes(110), "1時間50分");
        assert_eq!(minutes(34), "34分");
        assert_eq!(date(&NaiveDate::from_ymd_opt(2004, 10, 16)), "2004/10/16");
        assert_eq!(preview(&Value::Null), "-");
        assert_eq!(
            preview(&serde_json::json!("x".repeat(200))).chars().count(),
            161
        );
    }
}
