//! The routes, the handlers, and how failures are answered.

use std::any::Any;
use std::future::Future;

use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

use crate::error::AppError;
use crate::http::{self, Doc, Kind};
use crate::params::{self, Query};
use crate::state::{AppState, Inner, CSS, ICON};
use crate::{api, feed, fleet, pages, provider, releases, subscribe};
use hfr_store::MAX_ID_LEN;

pub(crate) fn router(st: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/alerts", get(alerts))
        .route("/alerts/", get(alerts))
        .route("/alerts/{id}", get(alert))
        .route("/alerts/{id}/", get(alert))
        .route("/alerts/{id}/revisions/{revision}", get(alert_revision))
        .route("/alerts/{id}/revisions/{revision}/", get(alert_revision))
        .route("/about", get(about))
        .route("/about/", get(about))
        // Subscriptions: never through the page cache (see subscribe.rs).
        .route(
            "/subscribe",
            get(subscribe::form_page).post(subscribe::request),
        )
        .route(
            "/subscribe/",
            get(subscribe::form_page).post(subscribe::request),
        )
        .route(
            "/subscribe/confirm/{token}",
            get(subscribe::confirm_page).post(subscribe::confirm),
        )
        .route(
            "/subscribe/{token}",
            get(subscribe::preferences_page).post(subscribe::save_preferences),
        )
        .route(
            "/unsubscribe/{token}",
            get(subscribe::unsubscribe_page).post(subscribe::unsubscribe),
        )
        // The fleet page (fleet.rs): an upload, with its own body limit
        // (the route's layer is inside the router's, so it wins).
        .route(
            "/fleet",
            get(fleet::form_page)
                .merge(post(fleet::upload).layer(DefaultBodyLimit::max(fleet::MAX_BODY))),
        )
        .route(
            "/fleet/",
            get(fleet::form_page)
                .merge(post(fleet::upload).layer(DefaultBodyLimit::max(fleet::MAX_BODY))),
        )
        .route("/fleet/example.json", get(fleet::example))
        .route("/fleet/inventory.schema.json", get(fleet::schema))
        .route("/static/hfr.css", get(css))
        .route("/static/favicon.svg", get(icon))
        .route("/feed.atom", get(atom))
        .route("/api/v1/alerts", get(api_list))
        .route("/api/v1/alerts.json", get(api_list))
        .route("/api/v1/alerts/{id}", get(api_alert))
        .route("/api/v1/alerts/{id}/csaf", get(api_csaf))
        .route("/api/v1/alerts/{id}/csaf.json", get(api_csaf))
        .route("/api/v1/alerts/{id}/revisions", get(api_revisions))
        .route("/api/v1/alerts/{id}/revisions.json", get(api_revisions))
        .route("/api/v1/products", get(api_products))
        .route("/api/v1/products.json", get(api_products))
        .route("/api/v1/openapi.json", get(openapi))
        // The archive as a CSAF provider (provider.rs): /.well-known/csaf/…,
        // the API's CSAF documents laid out for CSAF tools.
        .merge(provider::routes())
        // Vendor releases (releases.rs).
        .route("/releases", get(releases::list_page))
        .route("/releases/", get(releases::list_page))
        .route("/releases/{id}", get(releases::page))
        .route("/releases/{id}/", get(releases::page))
        .route("/api/v1/releases", get(releases::api_list))
        .route("/api/v1/releases.json", get(releases::api_list))
        .route("/api/v1/releases/{id}", get(releases::api_release))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(st)
        // Only the subscription pages read bodies; none needs more.
        .layer(DefaultBodyLimit::max(subscribe::MAX_BODY))
        .layer(CatchPanicLayer::custom(panic_response))
        // Brotli's default (quality 11) costs tens of milliseconds a page;
        // 4 compresses nearly as well at a fraction of the cost, gzip alike.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Micros),
                ),
        )
}

// ------------------------------------------------------------ answering

fn cache_control(st: &Inner) -> &str {
    &st.cache_control
}

/// Was the request for the API (JSON errors) or for a page (HTML errors)?
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Page,
    Api,
}

fn answer(st: &Inner, headers: &HeaderMap, face: Face, result: Result<Doc, AppError>) -> Response {
    match result {
        Ok(doc) => http::respond(headers, StatusCode::OK, doc, cache_control(st)),
        Err(e) => error_response(st, face, e),
    }
}

/// The answer for `uri` from the page cache, or `render`ed and kept there.
/// Errors are never kept: a 404 costs one lookup, and a failing store must
/// be asked again.
pub(crate) async fn cached(
    st: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    face: Face,
    render: impl Future<Output = Result<Doc, AppError>>,
) -> Response {
    let key = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    let generation = match st.cache.generation(&*st.store).await {
        Ok(g) => Some(g),
        Err(e) => {
            tracing::warn!(error = %chain(&e), "cannot tell whether the archive changed; not caching");
            None
        }
    };
    if let Some(hit) = generation.as_ref().and_then(|g| st.cache.get(key, g)) {
        return http::respond_entry(headers, StatusCode::OK, &hit, cache_control(st));
    }
    match (render.await, generation) {
        (Ok(doc), Some(g)) => {
            let entry = st.cache.put(key.to_string(), doc, g);
            http::respond_entry(headers, StatusCode::OK, &entry, cache_control(st))
        }
        (r, _) => answer(st, headers, face, r),
    }
}

/// The whole chain of causes, for the log.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

pub(crate) fn error_response(st: &Inner, face: Face, e: AppError) -> Response {
    let (status, heading, message, parameter) = match e {
        AppError::NotFound => (
            StatusCode::NOT_FOUND,
            "ページが見つかりません",
            if face == Face::Api {
                "指定されたアラートまたはリソースは見つかりません。".to_string()
            } else {
                "お探しのページは見つかりませんでした。アドレスをご確認いただくか、セキュリティ情報の一覧からお探しください。".to_string()
            },
            None,
        ),
        AppError::BadRequest { parameter, message } => (
            StatusCode::BAD_REQUEST,
            "リクエストが正しくありません",
            message,
            Some(parameter),
        ),
        AppError::Internal(e) => {
            tracing::error!(error = %chain(&e), "request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "サーバでエラーが発生しました",
                "申し訳ありません。サーバ内部でエラーが発生しました。しばらくしてから再度お試しください。".to_string(),
                None,
            )
        }
    };
    let cache = if status == StatusCode::INTERNAL_SERVER_ERROR {
        "no-store"
    } else {
        "no-cache"
    };
    let (content_type, body) = match face {
        Face::Api => (
            Kind::Json.content_type(),
            api::error_body(status.as_u16(), &message, parameter.as_deref()),
        ),
        Face::Page => (
            Kind::Html.content_type(),
            pages::error_page(st, heading, &message).into_bytes(),
        ),
    };
    (
        status,
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, cache)],
        body,
    )
        .into_response()
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [
            (CONTENT_TYPE, Kind::Html.content_type()),
            (CACHE_CONTROL, "no-store"),
        ],
        pages::bare_error_page("サーバでエラーが発生しました"),
    )
        .into_response()
}

/// A path parameter, or a 400 when it is not valid UTF-8 and the like.
pub(crate) fn path_param<T>(p: Result<Path<T>, PathRejection>) -> Result<T, AppError> {
    p.map(|Path(v)| v).map_err(|e| {
        AppError::bad(
            "path",
            format!("アドレスが正しくありません: {}", e.body_text()),
        )
    })
}

/// An id the archive could hold (see the store's validation), else 404
/// without asking the archive: some back ends refuse a NUL in a query.
pub(crate) fn alert_id(id: String) -> Result<String, AppError> {
    let ok = !id.is_empty()
        && id.chars().count() <= MAX_ID_LEN + ".json".len()
        && !id.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(id)
    } else {
        Err(AppError::NotFound)
    }
}

/// The alert id of the path and the `?revision=N` of the query, as the page
/// and the API read them (`lenient`: an empty `revision=`, as an HTML form
/// sends it, counts as absent; the API refuses it).
fn id_and_revision(
    id: Result<Path<String>, PathRejection>,
    query: Option<&str>,
    lenient: bool,
) -> Result<(String, Option<i64>), AppError> {
    let id = alert_id(path_param(id)?)?;
    let revision = params::revision(&Query::parse(query), lenient)?;
    Ok((id, revision))
}

// ---------------------------------------------------------------- pages

async fn index(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    cached(&st, &uri, &headers, Face::Page, pages::index(&st)).await
}

async fn alerts(
    State(st): State<AppState>,
    uri: Uri,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = Query::parse(q.as_deref());
    cached(&st, &uri, &headers, Face::Page, pages::alerts(&st, &q)).await
}

async fn alert(
    State(st): State<AppState>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let (id, revision) = id_and_revision(id, q.as_deref(), true)?;
        pages::alert(&st, &id, revision).await
    };
    cached(&st, &uri, &headers, Face::Page, r).await
}

async fn alert_revision(
    State(st): State<AppState>,
    uri: Uri,
    p: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let (id, revision) = path_param(p)?;
        let id = alert_id(id)?;
        let revision: i64 = revision
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or(AppError::NotFound)?;
        pages::alert(&st, &id, Some(revision)).await
    };
    cached(&st, &uri, &headers, Face::Page, r).await
}

async fn about(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let r = async { pages::about(&st) };
    cached(&st, &uri, &headers, Face::Page, r).await
}

async fn css(State(st): State<AppState>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    // A link carrying the current version may be cached for good.
    let versioned = q
        .map(|q| st.css_href.ends_with(&format!("?{q}")))
        .unwrap_or(false);
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    http::respond(
        &headers,
        StatusCode::OK,
        Doc::new(CSS, Kind::Css, None),
        cache,
    )
}

async fn icon(headers: HeaderMap) -> Response {
    http::respond(
        &headers,
        StatusCode::OK,
        Doc::new(ICON, Kind::Svg, None),
        "public, max-age=86400",
    )
}

async fn atom(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    cached(&st, &uri, &headers, Face::Page, feed::feed(&st)).await
}

async fn not_found(State(st): State<AppState>, uri: axum::http::Uri) -> Response {
    let face = if uri.path().starts_with("/api/") {
        Face::Api
    } else {
        Face::Page
    };
    error_response(&st, face, AppError::NotFound)
}

async fn method_not_allowed(State(st): State<AppState>, uri: axum::http::Uri) -> Response {
    let api = uri.path().starts_with("/api/");
    let forms = uri.path().starts_with("/subscribe")
        || uri.path().starts_with("/unsubscribe")
        || matches!(uri.path(), "/fleet" | "/fleet/");
    let (message, allow) = if forms {
        (
            "このアドレスでは GET、HEAD と POST だけを受け付けます。",
            "GET, HEAD, POST",
        )
    } else {
        (
            "このアドレスでは GET と HEAD だけを受け付けます。",
            "GET, HEAD",
        )
    };
    let (content_type, body) = if api {
        (
            Kind::Json.content_type(),
            api::error_body(405, message, None),
        )
    } else {
        (
            Kind::Html.content_type(),
            pages::error_page(&st, "許可されていないメソッドです", message).into_bytes(),
        )
    };
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(CONTENT_TYPE, content_type), (ALLOW, allow)],
        body,
    )
        .into_response()
}

// ------------------------------------------------------------------ API

/// The id of an API path, without the `.json` the static export adds.
fn api_id(id: &str) -> &str {
    id.strip_suffix(".json").unwrap_or(id)
}

async fn api_list(
    State(st): State<AppState>,
    uri: Uri,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = Query::parse(q.as_deref());
    cached(&st, &uri, &headers, Face::Api, api::list(&st, &q)).await
}

async fn api_alert(
    State(st): State<AppState>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let (id, revision) = id_and_revision(id, q.as_deref(), false)?;
        api::alert(&st, api_id(&id), revision).await
    };
    cached(&st, &uri, &headers, Face::Api, r).await
}

async fn api_csaf(
    State(st): State<AppState>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let (id, revision) = id_and_revision(id, q.as_deref(), false)?;
        api::csaf(&st, &id, revision).await
    };
    cached(&st, &uri, &headers, Face::Api, r).await
}

async fn api_revisions(
    State(st): State<AppState>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let id = alert_id(path_param(id)?)?;
        api::revisions(&st, api_id(&id)).await
    };
    cached(&st, &uri, &headers, Face::Api, r).await
}

async fn api_products(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    cached(&st, &uri, &headers, Face::Api, api::products(&st)).await
}

async fn openapi(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    // Through the cache, so its ETag and encodings are made once.
    let r = async { Ok(Doc::new(st.openapi.clone(), Kind::Json, None)) };
    cached(&st, &uri, &headers, Face::Api, r).await
}
