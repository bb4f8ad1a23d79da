//! Answers with validators: ETag, Last-Modified, 304 Not Modified, Cache-Control.

use std::hash::Hasher;

use axum::body::{Body, Bytes};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::cache::{Coding, Entry};

/// What a document is, for its Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Html,
    Json,
    Atom,
    Css,
    Svg,
}

impl Kind {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Kind::Html => "text/html; charset=utf-8",
            Kind::Json => "application/json",
            Kind::Atom => "application/atom+xml; charset=utf-8",
            Kind::Css => "text/css; charset=utf-8",
            Kind::Svg => "image/svg+xml",
        }
    }
}

/// A rendered document and when what it shows last changed (when known).
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub(crate) body: Bytes,
    pub(crate) kind: Kind,
    pub(crate) last_modified: Option<DateTime<Utc>>,
}

impl Doc {
    pub(crate) fn new(
        body: impl Into<Bytes>,
        kind: Kind,
        last_modified: Option<DateTime<Utc>>,
    ) -> Self {
        Doc {
            body: body.into(),
            kind,
            last_modified,
        }
    }
}

/// A fast, stable (within one build) 64-bit hash of the bytes.
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

/// A weak validator: the same for the plain and the compressed body.
pub(crate) fn etag(body: &[u8]) -> String {
    format!("W/\"{:016x}\"", hash(body))
}

pub(crate) fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Does an `If-None-Match` list match `etag` (weak comparison, RFC 9110 13.1.2)?
fn none_match(header: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let want = opaque(etag);
    header
        .split(',')
        .any(|t| t.trim() == "*" || opaque(t) == want)
}

/// Was the document unchanged since the client's `If-Modified-Since`?
fn not_modified_since(header: &str, last_modified: DateTime<Utc>) -> bool {
    match DateTime::parse_from_rfc2822(header.trim()) {
        Ok(since) => last_modified.timestamp() <= since.timestamp(),
        Err(_) => false,
    }
}

/// A 200 (or `status`) answer with validators, or 304 when the request's
/// preconditions say the client already has it. `If-None-Match` wins over
/// `If-Modified-Since`, as RFC 9110 13.2.2 orders them.
pub(crate) fn respond(
    request: &HeaderMap,
    status: StatusCode,
    doc: Doc,
    cache_control: &str,
) -> Response {
    respond_entry(
        request,
        status,
        &Entry::new(doc, Default::default()),
        cache_control,
    )
}

/// [`respond`] for a cached entry: its ETag and encodings are made once.
pub(crate) fn respond_entry(
    request: &HeaderMap,
    status: StatusCode,
    entry: &Entry,
    cache_control: &str,
) -> Response {
    let doc = &entry.doc;
    let tag = &entry.etag;
    let unchanged = status == StatusCode::OK
        && match request.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            Some(inm) => none_match(inm, tag.to_str().unwrap_or("")),
            None => match (
                request.get(IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()),
                doc.last_modified,
            ) {
                (Some(ims), Some(lm)) => not_modified_since(ims, lm),
                _ => false,
            },
        };
    let mut builder = Response::builder()
        .status(if unchanged {
            StatusCode::NOT_MODIFIED
        } else {
            status
        })
        .header(ETAG, tag.clone())
        .header(CACHE_CONTROL, cache_control)
        .header(VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(lm) = doc.last_modified {
        builder = builder.header(LAST_MODIFIED, http_date(lm));
    }
    let response = if unchanged {
        builder.body(Body::empty())
    } else {
        builder = builder.header(
            CONTENT_TYPE,
            HeaderValue::from_static(doc.kind.content_type()),
        );
        let accept = request.get(ACCEPT_ENCODING).and_then(|v| v.to_str().ok());
        let coding = Coding::negotiate(accept);
        match (entry.encoded(coding), coding.header()) {
            (Some(body), Some(name)) => builder
                .header(CONTENT_ENCODING, HeaderValue::from_static(name))
                .body(Body::from(body.clone())),
            _ => builder.body(Body::from(doc.body.clone())),
        }
    };
    response.unwrap_or_else(|_| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Pages about one visitor (a subscription, a token link, an uploaded
/// inventory) must not be indexed, whatever happens to their URL.
const X_ROBOTS_TAG: axum::http::HeaderName = axum::http::HeaderName::from_static("x-robots-tag");

/// An HTML answer about one visitor: never stored by a cache, indexed,
/// framed or sent on as a referrer.
pub(crate) fn private_html(status: StatusCode, html: String) -> Response {
    let mut r = no_store_html(status, html);
    r.headers_mut()
        .insert(X_ROBOTS_TAG, HeaderValue::from_static("noindex, nofollow"));
    r
}

/// [`private_html`] for a form page itself, which search engines may list.
pub(crate) fn no_store_html(status: StatusCode, html: String) -> Response {
    use axum::http::header::{
        CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_FRAME_OPTIONS,
    };
    use axum::response::IntoResponse;
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(Kind::Html.content_type()),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn if_none_match_compares_weakly() {
        let tag = "W/\"00ff\"";
        assert!(none_match("\"00ff\"", tag));
        assert!(none_match("W/\"1\", W/\"00ff\"", tag));
        assert!(none_match("*", tag));
        assert!(!none_match("\"0fff\"", tag));
    }

    #[test]
    fn http_dates_round_trip() {
        let t = Utc.with_ymd_and_hms(2004, 10, 16, 8, 49, 37).unwrap();
        let s = http_date(t);
        assert_eq!(s, "Sat, 16 Oct 2004 08:49:37 GMT");
        assert!(not_modified_since(&s, t));
        assert!(!not_modified_since("Sat, 16 Oct 2004 08:49:36 GMT", t));
        assert!(!not_modified_since("yesterday", t));
    }
}
