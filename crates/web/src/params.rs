//! Query parameters: the archive filters (shared by the back numbers page and
//! the API), paging, and revisions. A wrong value is a 400 naming the
//! parameter.

use hfr_model::{Action, Severity};
use hfr_store::{AlertFilter, TargetKind};

use crate::error::AppError;

/// The largest page the API hands out.
pub(crate) const MAX_PER_PAGE: u64 = 1000;
pub(crate) const DEFAULT_PER_PAGE: u64 = 20;
pub(crate) const MAX_PAGE: u64 = 1_000_000;
pub(crate) const MAX_OFFSET: u64 = 1_000_000_000;
pub(crate) const MAX_YEAR: i32 = 9999;

/// A decoded query string. A parameter given twice takes its last value.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Query {
            pairs: raw
                .map(|r| form_urlencoded::parse(r.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value, or None when absent; when `lenient` (HTML forms, whose
    /// "all" choice sends an empty value) an empty value counts as absent.
    fn value(&self, name: &str, lenient: bool) -> Option<&str> {
        self.get(name).filter(|v| !(lenient && v.trim().is_empty()))
    }
}

fn int<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
    q: &Query,
    name: &str,
    lenient: bool,
    min: T,
    max: T,
) -> Result<Option<T>, AppError> {
    let Some(v) = q.value(name, lenient) else {
        return Ok(None);
    };
    match v.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(Some(n)),
        _ => Err(AppError::bad(
            name,
            format!(
                "パラメータ {name} の値 {v:?} は不正です: {min}〜{max} の整数を指定してください。"
            ),
        )),
    }
}

/// The filters `severity`, `action`, `exploit_code`, `target`, `product`,
/// `year`, `month`. Limit and offset are left unset.
pub(crate) fn filter(q: &Query, lenient: bool) -> Result<AlertFilter, AppError> {
    let mut f = AlertFilter::default();
    if let Some(v) = q.value("severity", lenient) {
        f.min_severity = Some(Severity::parse(v).ok_or_else(|| {
            AppError::bad(
                "severity",
                format!(
                    "パラメータ severity の値 {v:?} は不正です: 1(緊急)〜4(注意) を指定してください。"
                ),
            )
        })?);
    }
    if let Some(v) = q.value("action", lenient) {
        f.action = Some(Action::parse(v).ok_or_else(|| {
            AppError::bad(
                "action",
                format!(
                    "パラメータ action の値 {v:?} は不正です: apply_now(至急適用)、apply_soon(早期適用)、wait_for_sp(SP待ち) のいずれかを指定してください。"
                ),
            )
        })?);
    }
    if let Some(v) = q.value("exploit_code", lenient) {
        f.exploit_code = Some(match v.trim() {
            "true" => true,
            "false" => false,
            _ => {
                return Err(AppError::bad(
                    "exploit_code",
                    format!(
                        "パラメータ exploit_code の値 {v:?} は不正です: true(あり) か false(なし) を指定してください。"
                    ),
                ))
            }
        });
    }
    if let Some(v) = q.value("target", lenient) {
        f.target = Some(match v.trim() {
            "server" => TargetKind::Server,
            "client" => TargetKind::Client,
            _ => {
                return Err(AppError::bad(
                    "target",
                    format!(
                        "パラメータ target の値 {v:?} は不正です: server(サーバ) か client(クライアント) を指定してください。"
                    ),
                ))
            }
        });
    }
    // Control characters cannot be in a product name; some back ends refuse
    // a NUL in a query, so they are dropped rather than sent.
    if let Some(v) = q.get("product") {
        let v: String = v.chars().filter(|c| !c.is_control()).collect();
        let v = v.trim();
        if !v.is_empty() {
            f.product = Some(v.to_string());
        }
    }
    f.year = int(q, "year", lenient, 1, MAX_YEAR)?;
    f.month = int(q, "month", lenient, 1u32, 12)?;
    Ok(f)
}

/// Which slice of a listing to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    pub(crate) offset: u64,
    pub(crate) limit: u64,
    /// Asked for by `limit`/`offset` (links keep that form) rather than
    /// `page`/`per_page`.
    pub(crate) by_offset: bool,
}

impl Paging {
    /// The 1-based page `offset` falls on.
    pub(crate) fn page(&self) -> u64 {
        self.offset / self.limit.max(1) + 1
    }
}

/// `limit`/`offset` when either is given, else `page`/`per_page`.
pub(crate) fn paging(q: &Query) -> Result<Paging, AppError> {
    let limit = int(q, "limit", false, 1, MAX_PER_PAGE)?;
    let offset = int(q, "offset", false, 0, MAX_OFFSET)?;
    let page = int(q, "page", false, 1, MAX_PAGE)?;
    let per_page = int(q, "per_page", false, 1, MAX_PER_PAGE)?;
    if limit.is_some() || offset.is_some() {
        Ok(Paging {
            offset: offset.unwrap_or(0),
            limit: limit.unwrap_or(DEFAULT_PER_PAGE),
            by_offset: true,
        })
    } else {
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        Ok(Paging {
            offset: (page.unwrap_or(1) - 1) * per_page,
            limit: per_page,
            by_offset: false,
        })
    }
}

/// `revision=N`, N >= 1.
pub(crate) fn revision(q: &Query, lenient: bool) -> Result<Option<i64>, AppError> {
    int(q, "revision", lenient, 1, i64::from(i32::MAX))
}

/// The filter as query pairs (for links that keep it), in a fixed order.
pub(crate) fn filter_pairs(f: &AlertFilter) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(s) = f.min_severity {
        out.push(("severity", s.number().to_string()));
    }
    if let Some(a) = f.action {
        out.push(("action", a.key().to_string()));
    }
    if let Some(e) = f.exploit_code {
        out.push(("exploit_code", e.to_string()));
    }
    if let Some(t) = f.target {
        out.push((
            "target",
            match t {
                TargetKind::Server => "server",
                TargetKind::Client => "client",
            }
            .to_string(),
        ));
    }
    if let Some(p) = &f.product {
        out.push(("product", p.clone()));
    }
    if let Some(y) = f.year {
        out.push(("year", y.to_string()));
    }
    if let Some(m) = f.month {
        out.push(("month", m.to_string()));
    }
    out
}

/// `pairs` as a query string (without `?`).
pub(crate) fn encode(pairs: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Query {
        Query::parse(Some(s))
    }

    #[test]
    fn reads_every_filter() {
        let f = filter(
            &q("severity=2&action=apply_now&exploit_code=true&target=server&product=Windows+XP&year=2004&month=10"),
            false,
        )
        .unwrap();
        assert_eq!(f.min_severity, Some(Severity::Important));
        assert_eq!(f.action, Some(Action::ApplyNow));
        assert_eq!(f.exploit_code, Some(true));
        assert_eq!(f.target, Some(TargetKind::Server));
        assert_eq!(f.product.as_deref(), Some("Windows XP"));
        assert_eq!((f.year, f.month), (Some(2004), Some(10)));
        assert_eq!(
            encode(&filter_pairs(&f)),
            "severity=2&action=apply_now&exploit_code=true&target=server&product=Windows+XP&year=2004&month=10"
        );
    }

    #[test]
    fn a_bad_value_names_its_parameter() {
        for (query, name) in [
            ("severity=5", "severity"),
            ("action=later", "action"),
            ("exploit_code=yes", "exploit_code"),
            ("target=phone", "target"),
            ("year=abc", "year"),
            ("month=13", "month"),
            ("severity=", "severity"),
        ] {
            match filter(&q(query), false) {
                Err(AppError::BadRequest { parameter, message }) => {
                    assert_eq!(parameter, name);
                    assert!(message.contains(name), "{message}");
                }
                other => panic!("{query}: {other:?}"),
            }
        }
        // A form's empty choice means "all".
        assert_eq!(
            filter(&q("severity=&year="), true).unwrap(),
            AlertFilter::default()
        );
    }

    #[test]
    fn paging_by_page_or_by_offset() {
        let p = paging(&q("page=3&per_page=10")).unwrap();
        assert_eq!(
            (p.offset, p.limit, p.by_offset, p.page()),
            (20, 10, false, 3)
        );
        let p = paging(&q("limit=5&offset=7&page=9")).unwrap();
        assert_eq!((p.offset, p.limit, p.by_offset), (7, 5, true));
        let p = paging(&q("")).unwrap();
        assert_eq!((p.offset, p.limit), (0, DEFAULT_PER_PAGE));
        assert!(paging(&q("per_page=0")).is_err());
        assert!(paging(&q("per_page=1001")).is_err());
        assert!(paging(&q("page=-1")).is_err());
    }
}
