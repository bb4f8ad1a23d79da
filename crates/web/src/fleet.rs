//! The fleet page (`/fleet/`): upload an inventory of machines and see, for
//! every machine and alert of the archive, whether the fix is needed and
//! really there, and the worklist of what to deploy first — the report
//! `hfr fleet check` and `hfr fleet worklist` print, in the browser.
//!
//! The work is [`hfr_fleet`]'s; this module reads the upload and renders.
//! The rules of the page:
//!
//! - **Nothing is stored.** The inventory lives for the request: it is read,
//!   checked and rendered, then dropped. The answer is `no-store`, not
//!   indexed, never framed, and sends no referrer (an inventory says a lot
//!   about a network).
//! - **No CSRF token**, as on the subscription form: a POST changes nothing
//!   on the server, and a page on another site that made a visitor's
//!   browser post here could not read the answer.
//! - **Bounded.** Bodies over [`MAX_BODY`] are refused with 413 before
//!   they are read whole (the route's own limit; the rest of the site keeps
//!   its small one). At most [`CONCURRENT_CHECKS`] checks run at once, on
//!   the blocking pool, so uploads cannot starve the pages. The table shows
//!   at most [`MAX_ROWS`] findings; the CLI gives the whole report.
//! - **The archive is compiled once per generation**: the checker is kept
//!   until an import changes the archive, so an upload costs the check, not
//!   reading every alert again.
//! - **A bad inventory gets a clear answer**: a file that is not an
//!   inventory is a 400 naming the line and column (JSON) or line (CSV);
//!   records that cannot be read are listed by record, machine and field
//!   beside the report of the machines that could.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use hfr_fleet::rollout::format_minutes;
use hfr_fleet::{Checker, Format, InventoryError, Options, Report, Status, Worklist};
use hfr_model::{Action, Severity};
use hfr_store::{AlertFilter, Generation};
use tokio::sync::{Mutex, Semaphore};

use crate::error::AppError;
use crate::form;
use crate::http::{private_html as respond, Doc, Kind};
use crate::pages::{bare_error_page, Layout};
use crate::routes::{cached, Face};
use crate::state::{AppState, Inner};

/// The largest request body the fleet page reads: 8 MiB, an inventory of
/// about ten thousand machines with their files, keys and updates. Larger
/// fleets are checked with `hfr fleet check`, which reads up to 512 MiB.
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;

/// Checks that may run at once; more uploads wait for a turn. A check of a
/// full-size upload takes a fraction of a second on one core.
pub(crate) const CONCURRENT_CHECKS: usize = 2;

/// More parts than the form sends (a file, a text area, two choices).
const MAX_PARTS: usize = 16;

/// Findings shown in the table.
pub(crate) const MAX_ROWS: usize = 2000;

/// Machine names listed per worklist line before "…他N台".
const MAX_NAMES: usize = 20;

/// Rejected records and warnings listed.
const MAX_PROBLEMS: usize = 200;

/// What the fleet page keeps between requests.
pub(crate) struct FleetState {
    /// The compiled archive and the generation it was compiled from.
    checker: Mutex<Option<(Arc<Generation>, Arc<Checker>)>>,
    permits: Semaphore,
}

impl Default for FleetState {
    fn default() -> Self {
        FleetState {
            checker: Mutex::new(None),
            permits: Semaphore::new(CONCURRENT_CHECKS),
        }
    }
}

/// Site-relative links of the fleet page.
impl Inner {
    pub(crate) fn fleet_href(&self) -> String {
        format!("{}/fleet/", self.prefix)
    }
    pub(crate) fn fleet_example_href(&self) -> String {
        format!("{}/fleet/example.json", self.prefix)
    }
    pub(crate) fn fleet_schema_href(&self) -> String {
        format!("{}/fleet/inventory.schema.json", self.prefix)
    }
}

// ------------------------------------------------------------ the page

/// The choices of the form, kept to show the form again.
#[derive(Debug, Clone, Default)]
struct Values {
    /// `auto`, `json` or `csv`.
    format: String,
    include_na: bool,
    /// The pasted text (not the uploaded file, which a browser cannot be
    /// given back).
    text: String,
}

/// A whole-file problem, in words.
struct PageError {
    heading: &'static str,
    message: String,
}

/// One status and how many machine × alert pairs have it.
struct Count {
    key: &'static str,
    label: &'static str,
    n: usize,
}

/// One line of the findings table.
struct FindingRow {
    machine: String,
    os: String,
    alert: String,
    href: String,
    key: &'static str,
    label: &'static str,
    reasons: Vec<String>,
}

/// One package of a worklist item.
struct PackageRow {
    package: String,
    platform: String,
    reboot: &'static str,
    count: usize,
    minutes: String,
    names: String,
}

/// One line of the worklist.
struct WorkRow {
    rank: usize,
    alert: String,
    href: String,
    title: String,
    severity: Option<Severity>,
    exploit: Option<bool>,
    action: Option<Action>,
    count: usize,
    minutes: String,
    packages: Vec<PackageRow>,
    reapply: String,
}

struct UpgradeRow {
    alert: String,
    href: String,
    title: String,
    count: usize,
    names: String,
}

/// A record that was not checked, or a warning about one.
struct ProblemRow {
    record: String,
    name: String,
    field: String,
    message: String,
}

/// The report part of the page.
struct ReportView {
    machines: usize,
    alerts: usize,
    counts: Vec<Count>,
    rows: Vec<FindingRow>,
    rows_total: usize,
    include_na: bool,
    work: Vec<WorkRow>,
    upgrades: Vec<UpgradeRow>,
    total_minutes: String,
}

#[derive(Template)]
#[template(path = "fleet.html")]
struct FleetPage<'a> {
    layout: Layout<'a>,
    /// False on a static mirror, which cannot take an upload.
    available: bool,
    action: String,
    alerts_in_archive: u64,
    max_body_mib: usize,
    csv_columns: String,
    values: Values,
    error: Option<PageError>,
    rejects: Vec<ProblemRow>,
    rejects_total: usize,
    warnings: Vec<ProblemRow>,
    warnings_total: usize,
    report: Option<ReportView>,
}

impl<'a> FleetPage<'a> {
    fn new(st: &'a Inner, alerts_in_archive: u64) -> Self {
        let mut layout = Layout::new(st, "インベントリの照合", "fleet");
        layout.canonical = Some(format!("{}/fleet/", st.base));
        layout.description = Some(
            "マシンのインベントリをアップロードし、アーカイブのアラートと照合する(適用済み・未適用・要アップグレード)"
                .into(),
        );
        FleetPage {
            layout,
            available: true,
            action: st.fleet_href(),
            alerts_in_archive,
            max_body_mib: MAX_BODY / (1024 * 1024),
            csv_columns: hfr_fleet::inventory::CSV_COLUMNS.join(","),
            values: Values {
                format: "auto".into(),
                ..Values::default()
            },
            error: None,
            rejects: Vec::new(),
            rejects_total: 0,
            warnings: Vec::new(),
            warnings_total: 0,
            report: None,
        }
    }
}

/// The form (GET), through the page cache: it shows the archive's alert
/// count and nothing of any visitor.
pub(crate) async fn form_page(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    cached(&st, &uri, &headers, Face::Page, form_doc(&st)).await
}

async fn form_doc(st: &Inner) -> Result<Doc, AppError> {
    let n = st.store.count(&AlertFilter::default()).await?;
    Ok(Doc::new(FleetPage::new(st, n).render()?, Kind::Html, None))
}

/// The page the static export writes at `fleet/index.html`: a mirror
/// serves files and cannot take an upload.
pub(crate) fn unavailable_doc(st: &Inner) -> Result<Doc, AppError> {
    let mut page = FleetPage::new(st, 0);
    page.available = false;
    Ok(Doc::new(page.render()?, Kind::Html, None))
}

/// The example inventory (`hfr fleet template`).
pub(crate) fn example_doc() -> Result<Doc, AppError> {
    let mut body = serde_json::to_vec_pretty(&hfr_fleet::template())?;
    body.push(b'\n');
    Ok(Doc::new(body, Kind::Json, None))
}

/// The inventory's JSON Schema (`schema/inventory.schema.json`).
pub(crate) fn schema_doc() -> Result<Doc, AppError> {
    let mut body = serde_json::to_vec_pretty(&hfr_fleet::inventory_json_schema())?;
    body.push(b'\n');
    Ok(Doc::new(body, Kind::Json, None))
}

pub(crate) async fn example(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    cached(&st, &uri, &headers, Face::Api, async { example_doc() }).await
}

pub(crate) async fn schema(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    cached(&st, &uri, &headers, Face::Api, async { schema_doc() }).await
}

// ------------------------------------------------------------ the upload

/// What the form sent.
struct Upload {
    values: Values,
    /// The file's bytes, or the pasted text's.
    bytes: Vec<u8>,
    file_name: Option<String>,
}

/// Reads the form: multipart (the page's form, with a file) or urlencoded
/// (a pasted inventory only). `Err` is the refusal to show.
async fn read_upload(headers: &HeaderMap, body: Bytes) -> Result<Upload, (StatusCode, PageError)> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let malformed = |why: String| {
        tracing::info!(error = %why, "unreadable fleet upload");
        (
            StatusCode::BAD_REQUEST,
            PageError {
                heading: "送信内容を読み取れません",
                message: "フォームの内容を読み取れませんでした。ページを開き直して、もう一度お試しください。".into(),
            },
        )
    };
    let mut values = Values {
        format: "auto".into(),
        ..Values::default()
    };
    let mut file: Option<(Vec<u8>, Option<String>)> = None;
    let mut set = |name: &str, data: &[u8], filename: Option<String>| -> Result<(), String> {
        match name {
            // A browser sends the part with an empty file name and no
            // bytes when no file was chosen.
            "inventory"
                if !data.is_empty() || filename.as_deref().is_some_and(|f| !f.is_empty()) =>
            {
                file = Some((data.to_vec(), filename.filter(|f| !f.is_empty())));
            }
            "text" => {
                values.text = String::from_utf8(data.to_vec())
                    .map_err(|_| "the pasted text is not UTF-8".to_string())?;
            }
            "format" => {
                values.format = String::from_utf8_lossy(data).trim().to_ascii_lowercase();
            }
            "include_na" => values.include_na = data == b"1",
            _ => {}
        }
        Ok(())
    };
    if let Some(boundary) = content_type.and_then(|t| multer::parse_boundary(t).ok()) {
        // The body is in memory already (and capped by the route): multer
        // reads it as a one-chunk stream.
        let body =
            futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
        let mut form = multer::Multipart::new(body, boundary);
        let mut parts = 0;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| malformed(e.to_string()))?
        {
            parts += 1;
            if parts > MAX_PARTS {
                return Err(malformed(format!("more than {MAX_PARTS} parts")));
            }
            let name = field.name().unwrap_or_default().to_string();
            let filename = field.file_name().map(str::to_string);
            let data = field.bytes().await.map_err(|e| malformed(e.to_string()))?;
            set(&name, &data, filename).map_err(malformed)?;
        }
    } else if form::is_urlencoded(content_type) {
        let fields = form::parse(&body).map_err(|e| malformed(e.to_string()))?;
        for (k, v) in fields {
            set(&k, v.as_bytes(), None).map_err(malformed)?;
        }
    } else {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PageError {
                heading: "送信内容を読み取れません",
                message: "このページのフォームから送信してください(multipart/form-data または application/x-www-form-urlencoded のみ受け付けます)。".into(),
            },
        ));
    }
    if !matches!(values.format.as_str(), "auto" | "json" | "csv") {
        return Err((
            StatusCode::BAD_REQUEST,
            PageError {
                heading: "入力内容を確認してください",
                message: "「形式」は自動判定・JSON・CSV のいずれかを選んでください。".into(),
            },
        ));
    }
    let (bytes, file_name) = match file {
        Some((bytes, name)) => (bytes, name),
        None if !values.text.trim().is_empty() => (values.text.as_bytes().to_vec(), None),
        None => return Err((
            StatusCode::BAD_REQUEST,
            PageError {
                heading: "インベントリがありません",
                message:
                    "インベントリのファイル(JSON または CSV)を選ぶか、内容を貼り付けてください。"
                        .into(),
            },
        )),
    };
    Ok(Upload {
        values,
        bytes,
        file_name,
    })
}

/// A file that is not an inventory, in words.
fn inventory_error(e: &InventoryError) -> PageError {
    let message = match e {
        InventoryError::TooLarge { limit } => {
            format!("インベントリが上限({limit} バイト)を超えています。")
        }
        InventoryError::Io(m) => format!("インベントリを読み取れません: {m}"),
        InventoryError::NotUtf8 { offset } => format!(
            "UTF-8 のテキストではありません({} バイト目)。Shift_JIS などで保存されている場合は UTF-8 で保存し直してください。",
            offset + 1
        ),
        InventoryError::Json {
            line,
            column,
            message,
        } => format!("JSON として読めません({line} 行 {column} 列): {message}"),
        InventoryError::Shape(m) => format!("インベントリの形式ではありません: {m}"),
        InventoryError::Csv { line, message } => format!("CSV の {line} 行目を読めません: {message}"),
    };
    PageError {
        heading: "インベントリを読み取れません",
        message,
    }
}

fn problem_rows(list: &[hfr_fleet::Reject]) -> Vec<ProblemRow> {
    list.iter()
        .take(MAX_PROBLEMS)
        .map(|r| ProblemRow {
            record: match r.line {
                Some(l) => format!("{l} 行目"),
                None => format!("machines[{}]", r.index),
            },
            name: r.name.clone().unwrap_or_else(|| "-".into()),
            field: r.field.clone(),
            message: r.message.clone(),
        })
        .collect()
}

/// Up to [`MAX_NAMES`] names, then how many more.
fn names<'a>(all: impl Iterator<Item = &'a str>, n: usize) -> String {
    let shown: Vec<&str> = all.take(MAX_NAMES).collect();
    let mut s = shown.join(", ");
    if n > shown.len() {
        s.push_str(&format!(" …他{}台", n - shown.len()));
    }
    s
}

fn minutes(m: Option<f64>) -> String {
    m.map_or_else(|| "-".to_string(), format_minutes)
}

fn report_view(st: &Inner, report: &Report, include_na: bool) -> ReportView {
    let summary = report.summary();
    let counts = Status::ALL
        .iter()
        .map(|s| Count {
            key: s.key(),
            label: s.label_ja(),
            n: summary.pairs.get(s.key()).copied().unwrap_or(0),
        })
        .filter(|c| c.n > 0)
        .collect();
    let mut rows = Vec::new();
    let mut rows_total = 0;
    for m in &report.machines {
        for f in m.findings() {
            if !include_na && f.status == Status::NotApplicable {
                continue;
            }
            rows_total += 1;
            if rows.len() == MAX_ROWS {
                continue;
            }
            let a = &report.alerts()[f.alert as usize];
            rows.push(FindingRow {
                machine: m.name.clone(),
                os: m.os.to_string(),
                alert: a.id.clone(),
                href: st.alert_href(&a.id),
                key: f.status.key(),
                label: f.status.label_ja(),
                reasons: f
                    .reasons
                    .iter()
                    .map(|r| report.reason_view(m, r).text)
                    .collect(),
            });
        }
    }
    let wl = Worklist::new(report);
    let work = wl
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| WorkRow {
            rank: i + 1,
            alert: item.alert.clone(),
            href: st.alert_href(&item.alert),
            title: item.title.clone(),
            severity: item.severity.and_then(Severity::from_number),
            exploit: item.exploit_code,
            action: item.action,
            count: item.machines.len(),
            minutes: minutes(item.minutes),
            packages: item
                .packages
                .iter()
                .map(|p| PackageRow {
                    package: p.package.clone(),
                    platform: p.platform.clone(),
                    reboot: p.reboot.map_or("-", |r| r.label_ja()),
                    count: p.machines.len(),
                    minutes: minutes(p.minutes),
                    names: names(p.machines.names(), p.machines.len()),
                })
                .collect(),
            reapply: names(item.reapply.names(), item.reapply.len()),
        })
        .collect();
    let upgrades = wl
        .upgrades
        .iter()
        .map(|u| UpgradeRow {
            alert: u.alert.clone(),
            href: st.alert_href(&u.alert),
            title: u.title.clone(),
            count: u.machines.len(),
            names: names(u.machines.names(), u.machines.len()),
        })
        .collect();
    ReportView {
        machines: summary.machines,
        alerts: summary.alerts,
        counts,
        rows,
        rows_total,
        include_na,
        work,
        upgrades,
        total_minutes: minutes(wl.total_minutes),
    }
}

/// The compiled archive: kept while the archive's generation stays, made
/// again (once, whoever asks first) when it moves.
async fn checker(st: &Inner) -> Result<Arc<Checker>, Box<dyn std::error::Error + Send + Sync>> {
    let generation = st.cache.generation(&*st.store).await?;
    let mut slot = st.fleet.checker.lock().await;
    if let Some((g, c)) = slot.as_ref() {
        if **g == *generation {
            return Ok(c.clone());
        }
    }
    let ids: Vec<String> = st
        .store
        .list(&AlertFilter::default())
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut alerts = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        alerts.extend(st.store.get_many(chunk).await?.into_iter().map(|s| s.alert));
    }
    let c = tokio::task::spawn_blocking(move || Arc::new(Checker::new(&alerts))).await?;
    *slot = Some((generation, c.clone()));
    Ok(c)
}

/// The upload (POST): the report, or the form again with what is wrong.
pub(crate) async fn upload(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let alerts_in_archive = match st.store.count(&AlertFilter::default()).await {
        Ok(n) => n,
        Err(e) => return internal(&st, &e),
    };
    let mut page = FleetPage::new(&st, alerts_in_archive);
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            page.error = Some(PageError {
                heading: "インベントリが大きすぎます",
                message: format!(
                    "このページで照合できるのは {} MiB までです。大きなインベントリは hfr fleet check で照合してください(512 MiB まで)。",
                    MAX_BODY / (1024 * 1024)
                ),
            });
            return render(StatusCode::PAYLOAD_TOO_LARGE, page);
        }
        Err(e) => {
            tracing::info!(error = %e.body_text(), "unreadable request body");
            page.error = Some(PageError {
                heading: "送信内容を読み取れません",
                message: "送信の途中で接続が切れたか、内容を読み取れませんでした。もう一度お試しください。".into(),
            });
            return render(StatusCode::BAD_REQUEST, page);
        }
    };
    let upload = match read_upload(&headers, body).await {
        Ok(u) => u,
        Err((status, e)) => {
            page.error = Some(e);
            return render(status, page);
        }
    };
    page.values = upload.values.clone();
    // A pasted text is shown again; a large one would double the answer.
    if page.values.text.len() > 64 * 1024 {
        page.values.text.clear();
    }
    let checker = match checker(&st).await {
        Ok(c) => c,
        Err(e) => return internal(&st, &*e),
    };
    let Ok(_permit) = st.fleet.permits.acquire().await else {
        return internal(&st, &std::io::Error::other("the check queue is closed"));
    };
    let include_na = upload.values.include_na;
    let format = match upload.values.format.as_str() {
        "json" => Format::Json,
        "csv" => Format::Csv,
        _ => Format::detect(upload.file_name.as_deref(), &upload.bytes),
    };
    let checked = tokio::task::spawn_blocking(move || {
        let parsed = hfr_fleet::parse(&upload.bytes, format)?;
        let opts = Options {
            include_not_applicable: include_na,
            // The blocking pool runs the other uploads; one thread each.
            threads: 1,
            ..Options::default()
        };
        Ok::<_, InventoryError>(hfr_fleet::check_inventory(&checker, parsed, &opts))
    })
    .await;
    let report = match checked {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            page.error = Some(inventory_error(&e));
            return render(StatusCode::BAD_REQUEST, page);
        }
        Err(e) => return internal(&st, &e),
    };
    page.rejects_total = report.rejects.len();
    page.rejects = problem_rows(&report.rejects);
    page.warnings_total = report.warnings.len();
    page.warnings = problem_rows(&report.warnings);
    if report.machines.is_empty() {
        page.error = Some(PageError {
            heading: "照合できるマシンがありません",
            message: if report.rejects.is_empty() {
                "インベントリにマシンが 1 台もありません。".into()
            } else {
                format!(
                    "すべてのレコード({} 件)を読み取れませんでした。下の一覧で、レコードごとの項目と理由を確認してください。",
                    report.rejects.len()
                )
            },
        });
        return render(StatusCode::BAD_REQUEST, page);
    }
    page.report = Some(report_view(&st, &report, include_na));
    render(StatusCode::OK, page)
}

// ------------------------------------------------------------ answering

fn render(status: StatusCode, page: FleetPage<'_>) -> Response {
    match page.render() {
        Ok(html) => respond(status, html),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the fleet page");
            respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                bare_error_page("サーバでエラーが発生しました"),
            )
        }
    }
}

/// The 500 page, the cause logged and not shown.
fn internal(st: &Inner, e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %crate::routes::chain(e), "fleet check failed");
    respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        crate::pages::error_page(
            st,
            "サーバでエラーが発生しました",
            "申し訳ありません。サーバ内部でエラーが発生しました。しばらくしてから再度お試しください。",
        ),
    )
}
