//! Vendor releases: Microsoft's monthly documents, each as one page that
//! lists its vulnerabilities the way a bulletin once did, and as JSON.
//!
//! Why a page per month: administrators still plan by Patch Tuesday, and
//! "what came out this month, what must go in now" is one question. The
//! page answers it from the alerts themselves (their severity, action and
//! the rule behind it, impact and exploit status), read in one query, so
//! it never disagrees with the alert pages. Like every page it is rendered
//! once and kept in the page cache until the archive changes; a release
//! changing without any alert changing (new release notes) moves the
//! archive's generation too.
//!
//! URLs: `/releases/` (newest first), `/releases/2017-Mar/`, and the API
//! `/api/v1/releases` and `/api/v1/releases/2017-Mar` (also with `.json`,
//! as the static export writes them).

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use hfr_model::{Alert, Release, Severity};
use hfr_store::{StoredAlert, StoredRelease};
use serde::Serialize;

use crate::error::AppError;
use crate::http::{Doc, Kind};
use crate::pages::Layout;
use crate::routes::{alert_id, cached, path_param, Face};
use crate::state::{seg, AppState, Inner};

/// Site-relative links of the release pages.
impl Inner {
    pub(crate) fn releases_href(&self) -> String {
        format!("{}/releases/", self.prefix)
    }
    pub(crate) fn release_href(&self, id: &str) -> String {
        format!("{}/releases/{}/", self.prefix, seg(id))
    }
    pub(crate) fn release_json_href(&self, id: &str) -> String {
        format!("{}/api/v1/releases/{}.json", self.prefix, seg(id))
    }
}

// ------------------------------------------------------------- handlers

pub(crate) async fn list_page(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let releases = st.store.releases().await?;
        list_doc(&st, &releases)
    };
    cached(&st, &uri, &headers, Face::Page, r).await
}

pub(crate) async fn page(
    State(st): State<AppState>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let id = alert_id(path_param(id)?)?;
        let stored = st.store.release(&id).await?.ok_or(AppError::NotFound)?;
        let alerts = release_alerts(&st, &stored).await?;
        page_doc(&st, &stored, &alerts)
    };
    cached(&st, &uri, &headers, Face::Page, r).await
}

pub(crate) async fn api_list(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let r = async {
        let releases = st.store.releases().await?;
        list_json(&st, &releases)
    };
    cached(&st, &uri, &headers, Face::Api, r).await
}

pub(crate) async fn api_release(
    State(st): State<AppState>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let id = alert_id(path_param(id)?)?;
        let id = id.strip_suffix(".json").unwrap_or(&id);
        let stored = st.store.release(id).await?.ok_or(AppError::NotFound)?;
        release_json(&stored)
    };
    cached(&st, &uri, &headers, Face::Api, r).await
}

/// The current revisions of the alerts a release lists.
pub(crate) async fn release_alerts(
    st: &Inner,
    stored: &StoredRelease,
) -> Result<Vec<StoredAlert>, AppError> {
    let ids: Vec<String> = stored.release.alerts.iter().map(|a| a.id.clone()).collect();
    Ok(st.store.get_many(&ids).await?)
}

// ------------------------------------------------------------- the list

/// How many alerts of each rating, for a line of the list.
struct Counts {
    parts: Vec<(Option<Severity>, usize)>,
}

impl Counts {
    fn of(r: &Release) -> Self {
        Counts {
            parts: r
                .severity_counts()
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }
}

struct ListRow<'a> {
    r: &'a StoredRelease,
    href: String,
    first: String,
    first_iso: String,
    last: String,
    last_iso: String,
    counts: Counts,
}

#[derive(Template)]
#[template(path = "releases.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    rows: Vec<ListRow<'a>>,
}

/// A vendor timestamp as the pages print dates (`2017/03/14`) and for
/// `<time datetime>`.
fn day(t: Option<DateTime<Utc>>) -> (String, String) {
    match t {
        Some(t) => (
            t.format("%Y/%m/%d").to_string(),
            t.format("%Y-%m-%d").to_string(),
        ),
        None => ("-".into(), String::new()),
    }
}

/// `/releases/`: every release, newest first. Last-Modified is the newest
/// recording of any release.
pub(crate) fn list_doc(st: &Inner, releases: &[StoredRelease]) -> Result<Doc, AppError> {
    let rows = releases
        .iter()
        .map(|r| {
            let (first, first_iso) = day(r.release.initial_release);
            let (last, last_iso) = day(r.release.current_release);
            ListRow {
                r,
                href: st.release_href(&r.release.id),
                first,
                first_iso,
                last,
                last_iso,
                counts: Counts::of(&r.release),
            }
        })
        .collect();
    let mut layout = Layout::new(st, "月例セキュリティ更新(リリース)", "releases");
    layout.canonical = Some(format!("{}/releases/", st.base));
    layout.description = Some(
        "ベンダーの月例セキュリティ更新ごとに、脆弱性の深刻度・対策・悪用状況を一覧できます".into(),
    );
    let page = ListPage { layout, rows };
    Ok(Doc::new(
        page.render()?,
        Kind::Html,
        releases.iter().map(|r| r.recorded_at).max(),
    ))
}

// ------------------------------------------------------------- one release

/// One vulnerability of the release, as its row shows it.
pub(crate) struct EntryRow<'a> {
    id: &'a str,
    title: &'a str,
    href: String,
    /// The alert as stored; None when the archive lacks it (the row then
    /// shows what the release itself says).
    a: Option<&'a Alert>,
    severity: Option<Severity>,
    impacts: String,
    exploit: String,
    exploited: bool,
    tags: String,
}

#[derive(Template)]
#[template(path = "release.html")]
struct ReleasePage<'a> {
    layout: Layout<'a>,
    r: &'a StoredRelease,
    first: String,
    first_iso: String,
    last: String,
    last_iso: String,
    counts: Counts,
    apply_now: usize,
    exploited: usize,
    rows: Vec<EntryRow<'a>>,
    revisions: Vec<(String, String, &'a str)>,
    json_href: String,
    /// The documented default rules, in the order they are tried.
    rules: Vec<(&'static str, &'static str)>,
}

/// The default rules of `action` as the page explains them: each rule's
/// reason and the action it gives, first match wins.
fn rules() -> Vec<(&'static str, &'static str)> {
    hfr_model::ActionRule::ALL
        .into_iter()
        .filter(|r| *r != hfr_model::ActionRule::Analyst)
        .map(|r| (r.label_ja(), r.action().map_or("なし", |a| a.label_ja())))
        .collect()
}

/// The impacts of an alert, in the vendor's words where the pages'
/// vocabulary has none (`Security Feature Bypass`), each once.
fn impacts(a: &Alert) -> String {
    let mut out: Vec<String> = Vec::new();
    for p in &a.products {
        let word = match (p.impact, &p.vendor_impact) {
            (Some(i), _) => i.label_ja().to_string(),
            (None, Some(v)) => v.clone(),
            (None, None) => continue,
        };
        if !out.contains(&word) {
            out.push(word);
        }
    }
    if out.is_empty() {
        if let Some(list) = &a.impacts {
            out = list.iter().map(|i| i.label_ja().to_string()).collect();
        }
    }
    if out.is_empty() {
        "-".into()
    } else {
        out.join("、")
    }
}

/// The vendor's exploit statement in a few words: disclosed, exploited,
/// and how likely exploitation is for the latest release.
pub(crate) fn exploit_words(a: &Alert) -> String {
    let Some(e) = &a.exploit_status else {
        return hfr_model::present::yes_no(a.exploit_code, "攻撃コードあり", "攻撃コードなし")
            .to_string();
    };
    let yes_no = |v: Option<bool>| match v {
        Some(true) => "あり",
        Some(false) => "なし",
        None => "-",
    };
    let mut s = format!(
        "公開: {} / 悪用: {}",
        yes_no(e.publicly_disclosed),
        yes_no(e.exploited)
    );
    if let Some(l) = e.latest_release {
        s.push_str(&format!(" / 最新版: {}", l.label_ja()));
    }
    s
}

/// `/releases/{id}/`. Last-Modified is the newest recording of the release
/// or any of its alerts.
pub(crate) fn page_doc(
    st: &Inner,
    stored: &StoredRelease,
    alerts: &[StoredAlert],
) -> Result<Doc, AppError> {
    let rel = &stored.release;
    let find = |id: &str| {
        alerts
            .iter()
            .find(|s| s.alert.id.eq_ignore_ascii_case(id))
            .map(|s| &s.alert)
    };
    let rows: Vec<EntryRow<'_>> = rel
        .alerts
        .iter()
        .map(|entry| {
            let a = find(&entry.id);
            EntryRow {
                id: &entry.id,
                title: a.map_or(entry.title.as_str(), |a| a.title.as_str()),
                href: st.alert_href(&entry.id),
                a,
                severity: a.map_or(entry.severity, |a| a.severity),
                impacts: a.map_or_else(|| "-".into(), impacts),
                exploit: a.map_or_else(|| "-".into(), exploit_words),
                exploited: a.is_some_and(|a| {
                    a.exploit_status
                        .as_ref()
                        .is_some_and(hfr_model::ExploitStatus::is_exploited)
                }),
                tags: entry.tags.join("、"),
            }
        })
        .collect();
    let apply_now = rows
        .iter()
        .filter(|r| {
            r.a.is_some_and(|a| a.action == Some(hfr_model::Action::ApplyNow))
        })
        .count();
    let exploited = rows.iter().filter(|r| r.exploited).count();
    let (first, first_iso) = day(rel.initial_release);
    let (last, last_iso) = day(rel.current_release);
    let revisions = rel
        .revisions
        .iter()
        .map(|r| (r.number.clone(), day(r.date).0, r.description.as_str()))
        .collect();
    let title = if rel.title.trim().is_empty() {
        rel.id.clone()
    } else {
        rel.title.clone()
    };
    let mut layout = Layout::new(st, format!("{} {title}", rel.id), "releases");
    layout.canonical = Some(format!(
        "{}{}",
        st.base,
        &st.release_href(&rel.id)[st.prefix.len()..]
    ));
    layout.description = Some(format!(
        "{title}: {} 件の脆弱性(至急適用 {apply_now} 件)",
        rel.alerts.len()
    ));
    let last_modified = alerts
        .iter()
        .map(|a| a.recorded_at)
        .chain(std::iter::once(stored.recorded_at))
        .max();
    let page = ReleasePage {
        layout,
        r: stored,
        first,
        first_iso,
        last,
        last_iso,
        counts: Counts::of(rel),
        apply_now,
        exploited,
        rows,
        revisions,
        json_href: st.release_json_href(&rel.id),
        rules: rules(),
    };
    Ok(Doc::new(page.render()?, Kind::Html, last_modified))
}

// ------------------------------------------------------------------- API

/// How many alerts of each rating a release lists.
#[derive(Serialize)]
struct SeverityCounts {
    critical: usize,
    important: usize,
    moderate: usize,
    low: usize,
    none: usize,
}

/// One release of the listing.
#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    title: &'a str,
    initial_release: Option<DateTime<Utc>>,
    current_release: Option<DateTime<Utc>>,
    /// The vendor's revision number of the document.
    revision: Option<&'a str>,
    /// How many changed versions the archive has recorded (1 for the first).
    archive_revision: i64,
    recorded_at: DateTime<Utc>,
    alerts: usize,
    max_severity: Option<Severity>,
    severity_counts: SeverityCounts,
    url: String,
    api_url: String,
}

#[derive(Serialize)]
struct List<'a> {
    items: Vec<Item<'a>>,
    total: usize,
}

/// `GET /api/v1/releases`: every release, newest first.
pub(crate) fn list_json(st: &Inner, releases: &[StoredRelease]) -> Result<Doc, AppError> {
    let items = releases
        .iter()
        .map(|r| {
            let rel = &r.release;
            let count = |s: Option<Severity>| rel.alerts.iter().filter(|a| a.severity == s).count();
            Item {
                id: &rel.id,
                title: &rel.title,
                initial_release: rel.initial_release,
                current_release: rel.current_release,
                revision: rel.revision.as_deref(),
                archive_revision: r.revision,
                recorded_at: r.recorded_at,
                alerts: rel.alerts.len(),
                max_severity: rel.max_severity(),
                severity_counts: SeverityCounts {
                    critical: count(Some(Severity::Critical)),
                    important: count(Some(Severity::Important)),
                    moderate: count(Some(Severity::Moderate)),
                    low: count(Some(Severity::Low)),
                    none: count(None),
                },
                url: format!("{}/releases/{}/", st.base, seg(&rel.id)),
                api_url: format!("{}/api/v1/releases/{}", st.base, seg(&rel.id)),
            }
        })
        .collect();
    let body = List {
        items,
        total: releases.len(),
    };
    Ok(Doc::new(
        serde_json::to_vec(&body)?,
        Kind::Json,
        releases.iter().map(|r| r.recorded_at).max(),
    ))
}

/// `GET /api/v1/releases/{id}`: exactly the model's JSON of the release.
pub(crate) fn release_json(stored: &StoredRelease) -> Result<Doc, AppError> {
    Ok(Doc::new(
        serde_json::to_vec(&stored.release)?,
        Kind::Json,
        Some(stored.recorded_at),
    ))
}

/// Adds the JSON Schema of a release (generated from the model, as the
/// alert's is) to the OpenAPI document's components, as `Release`.
pub(crate) fn add_release_schema(doc: &mut serde_json::Value) {
    let schema = schemars::schema_for!(Release);
    let Ok(mut schema) = serde_json::to_value(&schema) else {
        return;
    };
    crate::api::rewrite_refs(&mut schema);
    let defs = schema.as_object_mut().and_then(|o| {
        o.remove("$schema");
        o.remove("$defs")
    });
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        if let Some(serde_json::Value::Object(defs)) = defs {
            for (k, v) in defs {
                schemas.entry(k).or_insert(v);
            }
        }
        schemas.insert("Release".into(), schema);
    }
}

// ------------------------------------------------------- on alert pages

/// One row of the vendor's per-product facts on an alert page: a product
/// and one of its updates (a product without one has a row of its own).
pub(crate) struct VendorRow<'a> {
    pub(crate) product: &'a str,
    pub(crate) severity: &'a str,
    pub(crate) impact: &'a str,
    pub(crate) kb: Option<&'a str>,
    pub(crate) url: Option<&'a str>,
    pub(crate) restart: &'static str,
    pub(crate) supersedence: &'a str,
    pub(crate) fixed_build: &'a str,
    pub(crate) sub_type: &'a str,
}

/// One row: the product's facts and one of its updates.
fn vendor_row<'a>(
    p: &'a hfr_model::ProductFacts,
    r: Option<&'a hfr_model::Remediation>,
) -> VendorRow<'a> {
    VendorRow {
        product: &p.name,
        severity: p.vendor_severity.as_deref().unwrap_or("-"),
        impact: p.vendor_impact.as_deref().unwrap_or("-"),
        kb: r.and_then(|r| r.kb.as_deref()),
        url: r.and_then(|r| r.url.as_deref()).filter(|u| {
            let l = u.to_ascii_lowercase();
            l.starts_with("http://") || l.starts_with("https://")
        }),
        restart: r
            .and_then(|r| r.restart_required)
            .map_or("-", |x| x.label_ja()),
        supersedence: r.and_then(|r| r.supersedence.as_deref()).unwrap_or("-"),
        fixed_build: r.and_then(|r| r.fixed_build.as_deref()).unwrap_or("-"),
        sub_type: r.and_then(|r| r.sub_type.as_deref()).unwrap_or("-"),
    }
}

/// The rows of an alert's vendor facts table, in the vendor's order.
pub(crate) fn vendor_rows(a: &Alert) -> Vec<VendorRow<'_>> {
    let mut rows = Vec::new();
    for p in &a.products {
        let fixes: Vec<&hfr_model::Remediation> = p
            .remediations
            .iter()
            .filter(|r| r.kind == hfr_model::RemediationKind::VendorFix)
            .collect();
        if fixes.is_empty() {
            rows.push(vendor_row(p, None));
        }
        for r in fixes {
            rows.push(vendor_row(p, Some(r)));
        }
    }
    rows
}
