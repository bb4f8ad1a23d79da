//! What every handler shares, and the site's URLs.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use hfr_mail::deliver::DeliveryError;
use hfr_mail::token::Secret;
use hfr_store::Store;

use crate::WebConfig;

/// The one stylesheet, embedded in the binary.
pub(crate) const CSS: &str = include_str!("../static/hfr.css");

/// The site's icon, so browsers do not ask for a `/favicon.ico` that is not there.
pub(crate) const ICON: &str = include_str!("../static/favicon.svg");

#[derive(Clone)]
pub(crate) struct AppState(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: WebConfig,
    /// `base_url` without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub(crate) base: String,
    /// The path of `base_url` without a trailing slash (`""` at the root).
    pub(crate) prefix: String,
    /// `{prefix}/static/hfr.css?v=…`: the version changes with the content.
    pub(crate) css_href: String,
    /// `{prefix}/static/favicon.svg`.
    pub(crate) icon_href: String,
    /// The OpenAPI document, made once.
    pub(crate) openapi: Bytes,
    /// `public, max-age=…` of pages, feed and API answers.
    pub(crate) cache_control: String,
    /// Rendered answers, until the archive changes.
    pub(crate) cache: crate::cache::PageCache,
    /// The token secret of the subscription links, once read from the store
    /// (see [`Inner::secret`]).
    secret: OnceLock<Secret>,
    /// The fleet page's compiled archive and its limit on concurrent checks.
    pub(crate) fleet: crate::fleet::FleetState,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub(crate) fn new(store: Arc<dyn Store>, config: WebConfig) -> Self {
        let base = config.base_url.trim().trim_end_matches('/').to_string();
        let prefix = url_path(&base).trim_end_matches('/').to_string();
        let css_href = format!(
            "{prefix}/static/hfr.css?v={:08x}",
            crate::http::hash(CSS.as_bytes()) as u32
        );
        let icon_href = format!("{prefix}/static/favicon.svg");
        let openapi = crate::api::openapi_document(&base);
        AppState(Arc::new(Inner {
            store,
            cache: crate::cache::PageCache::new(config.recheck),
            cache_control: format!("public, max-age={}", config.max_age),
            config,
            base,
            prefix,
            css_href,
            icon_href,
            openapi,
            secret: OnceLock::new(),
            fleet: crate::fleet::FleetState::default(),
        }))
    }
}

impl Inner {
    /// The server's token secret, as [`hfr_mail::deliver::secret`] keeps it
    /// in the store (made there on first use), read once and then kept.
    ///
    /// Read on first need rather than when the router is built, because
    /// building the router is not async and must not fail: a store that is
    /// briefly unreachable at start costs the subscription pages a 500 until
    /// it answers, not the whole site. [`crate::serve_with_shutdown`] reads
    /// it before serving, so normally the first reader finds it here. Two
    /// requests racing to read it get the same value (the store keeps the
    /// first one written), so whichever is kept is right.
    pub(crate) async fn secret(&self) -> Result<Secret, DeliveryError> {
        if let Some(s) = self.secret.get() {
            return Ok(s.clone());
        }
        let s = hfr_mail::deliver::secret(&*self.store).await?;
        Ok(self.secret.get_or_init(|| s).clone())
    }
}

/// The path part of an absolute URL (`/hfr` for `https://h.example/hfr`);
/// a value without a scheme is taken as a path.
fn url_path(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => return url,
    };
    match rest.find('/') {
        Some(i) => {
            let path = &rest[i..];
            path.split(['?', '#']).next().unwrap_or("")
        }
        None => "",
    }
}

/// One path segment, percent-encoded (everything but RFC 3986 unreserved).
pub(crate) use hfr_model::present::path_segment as seg;

/// Site-relative links (prefixed with the base path).
impl Inner {
    pub(crate) fn home(&self) -> String {
        format!("{}/", self.prefix)
    }
    pub(crate) fn alerts_href(&self) -> String {
        format!("{}/alerts/", self.prefix)
    }
    pub(crate) fn alert_href(&self, id: &str) -> String {
        format!("{}/alerts/{}/", self.prefix, seg(id))
    }
    pub(crate) fn revision_href(&self, id: &str, revision: i64) -> String {
        format!("{}/alerts/{}/revisions/{revision}/", self.prefix, seg(id))
    }
    pub(crate) fn alert_json_href(&self, id: &str) -> String {
        format!("{}/api/v1/alerts/{}.json", self.prefix, seg(id))
    }
    pub(crate) fn page_href(&self, name: &str) -> String {
        format!("{}/{name}/", self.prefix)
    }
    pub(crate) fn feed_href(&self) -> String {
        format!("{}/feed.atom", self.prefix)
    }
    /// The subscription form.
    pub(crate) fn subscribe_href(&self) -> String {
        format!("{}/subscribe/", self.prefix)
    }
    /// A confirmation link's page, as the confirmation mail links it.
    pub(crate) fn confirm_href(&self, token: &str) -> String {
        format!("{}/subscribe/confirm/{}", self.prefix, seg(token))
    }
    /// A preferences link's page, as the mails link it.
    pub(crate) fn preferences_href(&self, token: &str) -> String {
        format!("{}/subscribe/{}", self.prefix, seg(token))
    }
    /// An unsubscribe link's page, as the mails link it.
    pub(crate) fn unsubscribe_href(&self, token: &str) -> String {
        format!("{}/unsubscribe/{}", self.prefix, seg(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_of_the_base_url_prefixes_links() {
        assert_eq!(url_path("http://127.0.0.1:8080"), "");
        assert_eq!(url_path("https://h.example/hfr"), "/hfr");
        assert_eq!(url_path("https://h.example/hfr/?x=1"), "/hfr/");
        assert_eq!(url_path("/mirror"), "/mirror");
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(seg("MS04-035"), "MS04-035");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
        assert_eq!(seg("脆"), "%E8%84%86");
    }
}
