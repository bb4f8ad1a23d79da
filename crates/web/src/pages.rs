//! The HTML pages: compiled askama templates fed from the store.

use askama::Template;
use chrono::Datelike;
use hfr_model::{diff::changed_sections, Action, Alert, LabResult, Reference, ReferenceKind};
use hfr_store::{AlertFilter, AlertSummary, RevisionInfo, StoredAlert};

use crate::error::AppError;
use crate::fmt;
use crate::http::{Doc, Kind};
use crate::params::{self, Query};
use crate::state::{AppState, Inner};

/// What every page's frame needs.
pub(crate) struct Layout<'a> {
    pub(crate) st: &'a Inner,
    pub(crate) title: String,
    /// Which navigation entry is the current page: `top`, `alerts`,
    /// `releases`, `fleet`, `about`, `subscribe`, or empty.
    pub(crate) nav: &'static str,
    pub(crate) canonical: Option<String>,
    pub(crate) description: Option<String>,
}

impl<'a> Layout<'a> {
    pub(crate) fn new(st: &'a Inner, title: impl Into<String>, nav: &'static str) -> Self {
        Layout {
            st,
            title: title.into(),
            nav,
            canonical: None,
            description: None,
        }
    }
}

/// One line of an alert list.
pub(crate) struct Row<'a> {
    pub(crate) s: &'a AlertSummary,
    pub(crate) href: String,
}

fn rows<'a>(st: &Inner, list: &'a [AlertSummary]) -> Vec<Row<'a>> {
    list.iter()
        .map(|s| Row {
            s,
            href: st.alert_href(&s.id),
        })
        .collect()
}

fn html(t: &impl Template) -> Result<String, AppError> {
    Ok(t.render()?)
}

// ---------------------------------------------------------------- top page

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    layout: Layout<'a>,
    rows: Vec<Row<'a>>,
}

/// The newest alerts. Last-Modified is the archive's newest recording: a
/// revision that moves an alert off this page (an older edition date) changes
/// the page without changing what stays on it.
pub(crate) async fn index(st: &AppState) -> Result<Doc, AppError> {
    let newest = AlertFilter {
        limit: Some(u32::try_from(st.config.front_page_alerts).unwrap_or(u32::MAX)),
        ..AlertFilter::default()
    };
    let shown = st.store.list(&newest).await?;
    let last = st.store.overview().await?.last_change;
    let mut layout = Layout::new(st, "トップページ", "top");
    layout.canonical = Some(format!("{}/", st.base));
    layout.description =
        Some("Windows のセキュリティ修正プログラムの新着アラート(深刻度・攻撃コード・対策)".into());
    let page = IndexPage {
        layout,
        rows: rows(st, &shown),
    };
    Ok(Doc::new(html(&page)?, Kind::Html, last))
}

// ---------------------------------------------------------- back numbers

/// The filter form's current values, to keep them selected.
#[derive(Default)]
pub(crate) struct Form {
    severity: String,
    action: String,
    exploit_code: String,
    target: String,
    product: String,
    year: String,
    month: String,
}

impl Form {
    fn from(f: &AlertFilter) -> Self {
        let mut form = Form::default();
        for (k, v) in params::filter_pairs(f) {
            match k {
                "severity" => form.severity = v,
                "action" => form.action = v,
                "exploit_code" => form.exploit_code = v,
                "target" => form.target = v,
                "product" => form.product = v,
                "year" => form.year = v,
                "month" => form.month = v,
                _ => {}
            }
        }
        form
    }
}

pub(crate) struct YearGroup<'a> {
    anchor: String,
    label: String,
    count: usize,
    months: Vec<MonthGroup<'a>>,
}

pub(crate) struct MonthGroup<'a> {
    anchor: String,
    label: String,
    caption: String,
    rows: Vec<Row<'a>>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage<'a> {
    layout: Layout<'a>,
    form: Form,
    filtered: bool,
    total: usize,
    products: Vec<(String, u64)>,
    years: Vec<i32>,
    groups: Vec<YearGroup<'a>>,
}

/// The listing date of a summary: its edition, else its 更新日.
fn group<'a>(st: &Inner, list: &'a [AlertSummary]) -> Vec<YearGroup<'a>> {
    let mut years: Vec<YearGroup<'a>> = Vec::new();
    for s in list {
        let ym = s.date.map(|d| (d.year(), d.month()));
        let (yanchor, ylabel) = match ym {
            Some((y, _)) => (format!("y{y}"), format!("{y}年")),
            None => ("undated".to_string(), "日付不明".to_string()),
        };
        if years.last().map(|y| y.anchor != yanchor).unwrap_or(true) {
            years.push(YearGroup {
                anchor: yanchor.clone(),
                label: ylabel,
                count: 0,
                months: Vec::new(),
            });
        }
        let year = years.last_mut().expect("pushed above");
        year.count += 1;
        let (manchor, mlabel, caption) = match ym {
            Some((y, m)) => (
                format!("y{y}-{m:02}"),
                format!("{m}月"),
                format!("{y}年{m}月のアラート"),
            ),
            None => (
                "undated-alerts".to_string(),
                "日付不明".to_string(),
                "日付の分からないアラート".to_string(),
            ),
        };
        if year
            .months
            .last()
            .map(|m| m.anchor != manchor)
            .unwrap_or(true)
        {
            year.months.push(MonthGroup {
                anchor: manchor,
                label: mlabel,
                caption,
                rows: Vec::new(),
            });
        }
        year.months
            .last_mut()
            .expect("pushed above")
            .rows
            .push(Row {
                s,
                href: st.alert_href(&s.id),
            });
    }
    years
}

/// The whole archive by year and month, filtered. Last-Modified is the
/// newest recording in the whole archive (the year and product choices
/// depend on all of it).
pub(crate) async fn alerts(st: &AppState, q: &Query) -> Result<Doc, AppError> {
    let filter = params::filter(q, true)?;
    let filtered = filter != AlertFilter::default();
    let list = st.store.list(&filter).await?;
    let overview = st.store.overview().await?;
    let last = overview.last_change;
    let years = overview.years;
    let products = st.store.products().await?;
    let mut layout = Layout::new(st, "セキュリティ情報(バックナンバー)", "alerts");
    layout.canonical = Some(format!("{}/alerts/", st.base));
    let page = AlertsPage {
        layout,
        form: Form::from(&filter),
        filtered,
        total: list.len(),
        products,
        years,
        groups: group(st, &list),
    };
    Ok(Doc::new(html(&page)?, Kind::Html, last))
}

// ------------------------------------------------------------- one alert

pub(crate) struct RefView<'a> {
    label: &'a str,
    locale: Option<&'a str>,
    note: Option<&'a str>,
    /// Only http(s) links become links.
    url: Option<&'a str>,
}

pub(crate) struct RefGroup<'a> {
    label: &'static str,
    items: Vec<RefView<'a>>,
}

pub(crate) struct GaugeStep {
    key: &'static str,
    label: &'static str,
    on: bool,
}

pub(crate) struct LabRow<'a> {
    platform: &'a str,
    result: &'static str,
    class: &'static str,
    note: &'a str,
}

pub(crate) struct RolloutRow<'a> {
    package: &'a str,
    platform: Option<&'a str>,
    cells: Vec<String>,
}

pub(crate) struct ChangeView {
    path: String,
    before: String,
    after: String,
}

pub(crate) struct HistoryRow {
    revision: i64,
    href: String,
    recorded: String,
    recorded_iso: String,
    updated: String,
    kind: &'static str,
    sections: String,
    changes: Vec<ChangeView>,
    total: usize,
    more: usize,
    shown: bool,
}

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage<'a> {
    layout: Layout<'a>,
    a: &'a Alert,
    stored: &'a StoredAlert,
    title: &'a str,
    latest: i64,
    old: bool,
    current_href: String,
    json_href: String,
    reboot: Vec<String>,
    target: String,
    refs: Vec<RefGroup<'a>>,
    ids: String,
    gauge: Vec<GaugeStep>,
    vectors: String,
    impacts: String,
    lab: Vec<LabRow<'a>>,
    rereleased: bool,
    download_header: String,
    download_channel_common: bool,
    rollout_counts: Vec<u32>,
    rollout: Vec<RolloutRow<'a>>,
    history: Vec<HistoryRow>,
    /// The vendor's per-product facts (vendor data only).
    vendor: Vec<crate::releases::VendorRow<'a>>,
    /// The release page the alert belongs to.
    release_href: Option<String>,
}

/// How many changes of one revision the page lists before "and N more".
const MAX_CHANGES_SHOWN: usize = 50;

fn locale_label(l: &str) -> &str {
    match l {
        "ja" | "ja-JP" => "日本",
        "en-US" | "en" => "US",
        other => other,
    }
}

fn ref_groups(a: &Alert) -> Vec<RefGroup<'_>> {
    let mut out: Vec<RefGroup<'_>> = Vec::new();
    for kind in [
        ReferenceKind::Bulletin,
        ReferenceKind::Kb,
        ReferenceKind::Faq,
        ReferenceKind::Other,
    ] {
        let items: Vec<RefView<'_>> = a
            .references
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r: &Reference| RefView {
                label: &r.label,
                locale: r.locale.as_deref().map(locale_label),
                note: r.note.as_deref(),
                url: r.url.as_deref().filter(|u| {
                    let l = u.to_ascii_lowercase();
                    l.starts_with("http://") || l.starts_with("https://")
                }),
            })
            .collect();
        if !items.is_empty() {
            out.push(RefGroup {
                label: kind.label_ja(),
                items,
            });
        }
    }
    out
}

fn choice_list<T: Copy>(v: &Option<Vec<T>>, label: fn(T) -> &'static str) -> String {
    match v {
        None => "(記載なし)".into(),
        Some(v) if v.is_empty() => "該当なし".into(),
        Some(v) => v.iter().map(|x| label(*x)).collect::<Vec<_>>().join("、"),
    }
}

fn history_rows(st: &Inner, id: &str, history: &[RevisionInfo], shown: i64) -> Vec<HistoryRow> {
    history
        .iter()
        .rev()
        .map(|h| {
            let sections: Vec<String> = changed_sections(&h.changes)
                .iter()
                .map(|s| hfr_model::diff::section_label(s).to_string())
                .collect();
            HistoryRow {
                revision: h.revision,
                href: st.revision_href(id, h.revision),
                recorded: fmt::jst(&h.recorded_at),
                recorded_iso: fmt::rfc3339(&h.recorded_at),
                updated: fmt::date(&h.updated),
                kind: fmt::source_kind(h.source.kind),
                sections: if sections.is_empty() {
                    "-".into()
                } else {
                    sections.join("、")
                },
                changes: h
                    .changes
                    .iter()
                    .take(MAX_CHANGES_SHOWN)
                    .map(|c| ChangeView {
                        path: c.path.clone(),
                        before: fmt::preview(&c.before),
                        after: fmt::preview(&c.after),
                    })
                    .collect(),
                total: h.changes.len(),
                more: h.changes.len().saturating_sub(MAX_CHANGES_SHOWN),
                shown: h.revision == shown,
            }
        })
        .collect()
}

/// One alert at its current revision, or at `revision`. The page shows the
/// whole history, so Last-Modified is the newest revision's recording.
pub(crate) async fn alert(st: &AppState, id: &str, revision: Option<i64>) -> Result<Doc, AppError> {
    let stored = match revision {
        None => st.store.get(id).await?,
        Some(n) => st.store.get_revision(id, n).await?,
    };
    let Some(stored) = stored else {
        return Err(AppError::NotFound);
    };
    let history = st.store.history(id).await?;
    alert_doc(st, &stored, &history)
}

/// The page of `stored` (one revision of an alert whose revisions are `history`).
pub(crate) fn alert_doc(
    st: &Inner,
    stored: &StoredAlert,
    history: &[RevisionInfo],
) -> Result<Doc, AppError> {
    let a = &stored.alert;
    let latest = history
        .iter()
        .map(|h| h.revision)
        .max()
        .unwrap_or(stored.revision)
        .max(stored.revision);
    let last = history
        .iter()
        .map(|h| h.recorded_at)
        .chain(std::iter::once(stored.recorded_at))
        .max();
    let old = stored.revision < latest;
    let title: &str = if a.title.trim().is_empty() {
        &a.id
    } else {
        &a.title
    };

    let reboot = a
        .reboot
        .iter()
        .map(|r| {
            let mut s = String::new();
            if let Some(p) = &r.product {
                s.push_str(p);
                s.push_str(": ");
            }
            s.push_str(r.required.label_ja());
            if let Some(n) = &r.note {
                s.push_str(&format!("({n})"));
            }
            s
        })
        .collect();
    let target = match a.target {
        None => "-".to_string(),
        Some(t) => {
            let v: Vec<&str> = [(t.server, "サーバ"), (t.client, "クライアント")]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, l)| l)
                .collect();
            if v.is_empty() {
                "-".into()
            } else {
                v.join("・")
            }
        }
    };
    let ids = std::iter::once(a.id.as_str())
        .chain(a.kbs.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("/");
    let gauge = [Action::WaitForSp, Action::ApplySoon, Action::ApplyNow]
        .into_iter()
        .map(|x| GaugeStep {
            key: x.key(),
            label: x.label_ja(),
            on: a.action == Some(x),
        })
        .collect();
    let lab = a
        .lab_tests
        .iter()
        .map(|t| {
            let (result, class) = match t.result {
                Some(LabResult::Passed) => ("○ 問題なし", "passed"),
                Some(LabResult::PassedWithIssues) => ("△ 注意点あり", "issues"),
                Some(LabResult::Failed) => ("× 失敗", "failed"),
                None => ("(記載なし)", "unknown"),
            };
            LabRow {
                platform: &t.platform,
                result,
                class,
                note: t.note.as_deref().unwrap_or(""),
            }
        })
        .collect();
    // The column names the channel when every row shares one.
    let common_channel = a
        .downloads
        .first()
        .and_then(|d| d.channel.as_deref())
        .filter(|c| a.downloads.iter().all(|d| d.channel.as_deref() == Some(*c)));
    let download_header = match common_channel {
        Some(c) => format!("{c}の表示"),
        None => "Windows Update などでの表示".to_string(),
    };
    let rollout_counts = hfr_model::present::rollout_columns(&a.rollout);
    let rollout = a
        .rollout
        .iter()
        .map(|r| RolloutRow {
            package: &r.package,
            platform: r.platform.as_deref(),
            cells: rollout_counts
                .iter()
                .map(|c| {
                    r.minutes
                        .get(c)
                        .map(|m| fmt::minutes(*m))
                        .unwrap_or_else(|| "-".into())
                })
                .collect(),
        })
        .collect();

    let mut layout = Layout::new(
        st,
        if old {
            format!("{} {} (改訂 {})", a.id, title, stored.revision)
        } else {
            format!("{} {}", a.id, title)
        },
        "alerts",
    );
    layout.canonical = Some(if old {
        format!(
            "{}{}",
            st.base,
            &st.revision_href(&a.id, stored.revision)[st.prefix.len()..]
        )
    } else {
        format!("{}{}", st.base, &st.alert_href(&a.id)[st.prefix.len()..])
    });
    let mut description = String::new();
    if let Some(s) = a.severity {
        description.push_str(&format!("深刻度 {} ", s.label_ja()));
    }
    if let Some(x) = a.action {
        description.push_str(&format!("対策 {} ", x.label_ja()));
    }
    description.push_str(&format!("{} {title}", a.id));
    layout.description = Some(description);

    let page = AlertPage {
        layout,
        a,
        stored,
        title,
        latest,
        old,
        current_href: st.alert_href(&a.id),
        json_href: st.alert_json_href(&a.id),
        reboot,
        target,
        refs: ref_groups(a),
        ids,
        gauge,
        vectors: choice_list(&a.attack_vectors, |x| x.label_ja()),
        impacts: choice_list(&a.impacts, |x| x.label_ja()),
        lab,
        rereleased: a.additions.iter().any(|ad| !ad.packages.is_empty()),
        download_header,
        download_channel_common: common_channel.is_some(),
        rollout_counts,
        rollout,
        history: history_rows(st, &a.id, history, stored.revision),
        vendor: crate::releases::vendor_rows(a),
        release_href: a.release.as_deref().map(|r| st.release_href(r)),
    };
    Ok(Doc::new(html(&page)?, Kind::Html, last))
}

// ---------------------------------------------------------------- about

#[derive(Template)]
#[template(path = "static_page.html")]
struct StaticPage<'a> {
    layout: Layout<'a>,
}

/// サービスの詳細. (購読の申し込み has its own module: it is a form.)
pub(crate) fn about(st: &Inner) -> Result<Doc, AppError> {
    let mut layout = Layout::new(st, "サービスの詳細", "about");
    layout.canonical = Some(format!("{}/about/", st.base));
    let page = StaticPage { layout };
    Ok(Doc::new(html(&page)?, Kind::Html, None))
}

// ---------------------------------------------------------------- errors

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout<'a>,
    heading: &'a str,
    message: &'a str,
}

/// An error page; falls back to a bare page should the template fail.
pub(crate) fn error_page(st: &Inner, heading: &str, message: &str) -> String {
    let page = ErrorPage {
        layout: Layout::new(st, heading, ""),
        heading,
        message,
    };
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render the error page");
        bare_error_page(heading)
    })
}

/// A page that needs no template, for the worst case.
pub(crate) fn bare_error_page(heading: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{heading}</title></head>\
         <body><h1>{heading}</h1><p><a href=\"/\">トップページへ</a></p></body></html>\n"
    )
}
