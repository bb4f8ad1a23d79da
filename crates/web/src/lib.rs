//! The hfr web site: the archive as plain, fast, server-rendered HTML, a JSON
//! API described by an OpenAPI document, an Atom feed, and a static export of
//! all of it for a mirror.
//!
//! Every page is rendered from the [`Store`] on each request by compiled
//! askama templates; the same render functions produce the files
//! [`export_site`] writes, so a mirror serves byte for byte what the server
//! does.
//!
//! URLs are chosen to work on the live server and from a plain static server
//! (nginx, `python -m http.server`) alike: pages live at directory URLs
//! (`/alerts/MS04-035/`, exported as `alerts/MS04-035/index.html`), old
//! revisions at `/alerts/MS04-035/revisions/1/`, and the JSON files the export
//! writes carry a `.json` suffix that the live API also answers
//! (`/api/v1/alerts/MS04-035.json`). The server also answers the forms without
//! a trailing slash (`/alerts/MS04-035`) and `?revision=N`.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use hfr_store::Store;

mod api;
mod cache;
mod error;
mod export;
mod feed;
mod fleet;
mod fmt;
mod form;
mod http;
mod pages;
mod params;
mod provider;
mod releases;
mod routes;
mod state;
mod subscribe;

pub use api::csaf_document;
pub use error::WebError;
pub use export::ExportSummary;

/// How the site presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// Where the site is reached, e.g. `http://127.0.0.1:8080` or
    /// `https://hotfix.example/hfr`: absolute links in the feed and the API
    /// are made from it, and its path (here `/hfr`) prefixes every link in
    /// the pages, for a site behind a reverse proxy under a sub-path.
    pub base_url: String,
    /// How many of the newest alerts the top page lists.
    pub front_page_alerts: usize,
    /// How many entries the Atom feed carries.
    pub feed_entries: usize,
    /// The authority of the feed's `tag:` URIs (a domain name or an e-mail
    /// address the publisher owns). Entry ids must never change, so this is
    /// kept apart from `base_url`, which may.
    pub tag_authority: String,
    /// `Cache-Control: max-age` of pages, feed and API answers, in seconds.
    pub max_age: u32,
    /// How often the server asks the archive whether it changed. Rendered
    /// pages are kept until it has; a change made by another process (an
    /// `hfr import` beside the server) shows on the site within this time.
    pub recheck: std::time::Duration,
    /// Who subscription mail is from and where its links point; None when
    /// this server takes no subscriptions. Only the form (`/subscribe/`)
    /// needs it: without it the page says mail is not delivered from this
    /// server and a POST is answered 503. The links in mails already sent
    /// (confirm, preferences, unsubscribe) work either way, so that nobody
    /// is ever kept from leaving by a server's settings. The links' token
    /// secret is not configured here: it is kept in the store
    /// ([`hfr_mail::deliver::secret`]), shared with the delivery worker.
    pub mail: Option<hfr_mail::Sender>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            base_url: "http://127.0.0.1:8080".into(),
            front_page_alerts: 20,
            feed_entries: 30,
            tag_authority: "hfr.invalid".into(),
            max_age: 60,
            recheck: std::time::Duration::from_millis(500),
            mail: None,
        }
    }
}

impl WebConfig {
    /// The defaults, reached at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        WebConfig {
            base_url: base_url.into(),
            ..WebConfig::default()
        }
    }
}

/// The whole site as an axum router: pages, API, feed and static files, with
/// compression, request logs (tracing, target `tower_http::trace`) and a
/// Japanese 500 page should a handler panic.
pub fn router(store: Arc<dyn Store>, config: WebConfig) -> axum::Router {
    routes::router(state::AppState::new(store, config))
}

/// Serves the site on `listener` until ctrl-c or SIGTERM, then finishes the
/// requests in flight and returns.
pub async fn serve(
    store: Arc<dyn Store>,
    config: WebConfig,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    serve_with_shutdown(store, config, listener, shutdown_signal()).await
}

/// Like [`serve`], stopping gracefully when `shutdown` completes.
pub async fn serve_with_shutdown(
    store: Arc<dyn Store>,
    config: WebConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, base_url = %config.base_url, backend = store.backend(), subscriptions = config.mail.is_some(), "serving the web site");
    }
    let st = state::AppState::new(store, config);
    if st.config.mail.is_some() {
        // Read (or make) the links' secret now, so that a store refusing it
        // shows in the log at start; the pages ask again when they need it.
        if let Err(e) = st.secret().await {
            tracing::warn!(error = %e, "cannot read the token secret of subscription links yet");
        }
    }
    let app = routes::router(st);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Writes the whole site as static files under `dir` (created if missing):
/// the same bytes the server answers, laid out for a static web server.
pub async fn export_site(
    store: Arc<dyn Store>,
    config: WebConfig,
    dir: &Path,
) -> Result<ExportSummary, WebError> {
    export::export_site(state::AppState::new(store, config), dir).await
}

/// Resolves on ctrl-c or SIGTERM: what stops `hfr serve` and the work it
/// runs beside the site.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
