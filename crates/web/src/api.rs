//! The JSON API (`/api/v1/…`) and its OpenAPI document.

use axum::body::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use hfr_model::diff::{changed_sections, Change};
use hfr_model::{Action, Severity};
use hfr_store::{AlertFilter, AlertSummary, RevisionInfo, SourceKind, StoredAlert};
use serde::Serialize;
use serde_json::Value;

use crate::error::AppError;
use crate::http::{Doc, Kind};
use crate::params::{self, Paging, Query};
use crate::state::{seg, AppState, Inner};

/// The hand-written OpenAPI document; the alert schema is merged in.
const OPENAPI: &str = include_str!("openapi.json");
/// The canonical JSON Schema of an alert, as the model crate generates it.
const ALERT_SCHEMA: &str = include_str!("../../../schema/alert.schema.json");

/// One line of the listing, with links.
#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    revision: i64,
    edition: Option<NaiveDate>,
    updated: Option<NaiveDate>,
    severity: Option<Severity>,
    exploit_code: Option<bool>,
    action: Option<Action>,
    title: &'a str,
    target_server: Option<bool>,
    target_client: Option<bool>,
    recorded_at: DateTime<Utc>,
    /// The HTML page.
    url: String,
    /// This API's document of the alert.
    api_url: String,
}

impl<'a> Item<'a> {
    fn new(st: &Inner, s: &'a AlertSummary) -> Self {
        Item {
            id: &s.id,
            revision: s.revision,
            edition: s.edition,
            updated: s.updated,
            severity: s.severity,
            exploit_code: s.exploit_code,
            action: s.action,
            title: &s.title,
            target_server: s.target_server,
            target_client: s.target_client,
            recorded_at: s.recorded_at,
            url: format!("{}/alerts/{}/", st.base, seg(&s.id)),
            api_url: format!("{}/api/v1/alerts/{}", st.base, seg(&s.id)),
        }
    }
}

#[derive(Serialize)]
struct Links {
    #[serde(rename = "self")]
    this: String,
    first: String,
    prev: Option<String>,
    next: Option<String>,
    last: String,
}

#[derive(Serialize)]
struct List<'a> {
    items: Vec<Item<'a>>,
    total: u64,
    page: u64,
    per_page: u64,
    offset: u64,
    limit: u64,
    links: Links,
}

fn list_link(st: &Inner, filter: &AlertFilter, paging: Paging, offset: u64) -> String {
    let mut pairs = params::filter_pairs(filter);
    if paging.by_offset {
        pairs.push(("limit", paging.limit.to_string()));
        pairs.push(("offset", offset.to_string()));
    } else {
        pairs.push(("page", (offset / paging.limit + 1).to_string()));
        pairs.push(("per_page", paging.limit.to_string()));
    }
    format!("{}/api/v1/alerts?{}", st.base, params::encode(&pairs))
}

/// The listing body: `items` is the page of `total` matches of `filter` that
/// `paging` asks for.
fn list_body(
    st: &Inner,
    filter: &AlertFilter,
    items: &[AlertSummary],
    total: u64,
    paging: Paging,
) -> Vec<u8> {
    let limit = paging.limit.max(1);
    let last_offset = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    let link = |offset: u64| list_link(st, filter, paging, offset);
    let prev = (paging.offset > 0).then(|| {
        let p = paging.offset.saturating_sub(limit);
        // Past the end, "previous" is the last page.
        link(if paging.offset > last_offset {
            last_offset
        } else {
            p
        })
    });
    let body = List {
        items: items.iter().map(|s| Item::new(st, s)).collect(),
        total,
        page: paging.page(),
        per_page: limit,
        offset: paging.offset,
        limit,
        links: Links {
            this: link(paging.offset),
            first: link(0),
            prev,
            next: (paging.offset.saturating_add(limit) < total)
                .then(|| link(paging.offset + limit)),
            last: link(last_offset),
        },
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// `GET /api/v1/alerts`. Last-Modified only when unfiltered: a filtered
/// listing can lose an alert to a revision that no longer matches.
pub(crate) async fn list(st: &AppState, q: &Query) -> Result<Doc, AppError> {
    let filter = params::filter(q, false)?;
    let paging = params::paging(q)?;
    let page = AlertFilter {
        limit: Some(u32::try_from(paging.limit).unwrap_or(u32::MAX)),
        offset: Some(u32::try_from(paging.offset).unwrap_or(u32::MAX)),
        ..filter.clone()
    };
    let items = st.store.list(&page).await?;
    let total = st.store.count(&filter).await?;
    let last = if filter == AlertFilter::default() {
        st.store.overview().await?.last_change
    } else {
        None
    };
    Ok(Doc::new(
        list_body(st, &filter, &items, total, paging),
        Kind::Json,
        last,
    ))
}

/// The whole archive in one listing, for the export (`api/v1/alerts.json`).
pub(crate) fn full_list(st: &Inner, all: &[AlertSummary]) -> Doc {
    let paging = Paging {
        offset: 0,
        limit: (all.len() as u64).max(1),
        by_offset: true,
    };
    Doc::new(
        list_body(st, &AlertFilter::default(), all, all.len() as u64, paging),
        Kind::Json,
        all.iter().map(|s| s.recorded_at).max(),
    )
}

/// `GET /api/v1/alerts/{id}`: exactly the canonical JSON of the model.
pub(crate) async fn alert(st: &AppState, id: &str, revision: Option<i64>) -> Result<Doc, AppError> {
    let stored = match revision {
        None => st.store.get(id).await?,
        Some(n) => st.store.get_revision(id, n).await?,
    };
    let stored = stored.ok_or(AppError::NotFound)?;
    Ok(Doc::new(
        serde_json::to_vec(&stored.alert)?,
        Kind::Json,
        Some(stored.recorded_at),
    ))
}

/// `GET /api/v1/alerts/{id}/csaf`: the alert (current, or `?revision=N`)
/// as a CSAF 2.0 security advisory, versioned by the archive's revisions.
pub(crate) async fn csaf(st: &AppState, id: &str, revision: Option<i64>) -> Result<Doc, AppError> {
    let stored = match revision {
        None => st.store.get(id).await?,
        Some(n) => st.store.get_revision(id, n).await?,
    };
    let stored = stored.ok_or(AppError::NotFound)?;
    let history = st.store.history(&stored.alert.id).await?;
    let doc = csaf_document(&st.base, &stored, &history);
    Ok(Doc::new(
        serde_json::to_vec(&doc)?,
        Kind::Json,
        Some(stored.recorded_at),
    ))
}

/// The CSAF document of a stored alert revision, as the API serves it and
/// `hfr export csaf` writes it: one function, so that both give the same
/// document for the same archive and base URL.
///
/// The publisher's namespace is the site's base URL; the document's `self`
/// reference is its API URL; the revision history is the archive's, up to
/// `stored`, each revision summarized by the sections it changed.
pub fn csaf_document(base_url: &str, stored: &StoredAlert, history: &[RevisionInfo]) -> Value {
    let base = base_url.trim().trim_end_matches('/');
    // The schema wants an absolute URI; a bare path (or nothing) is no
    // publisher's namespace, so such a site says it has none of its own.
    let absolute = base.split_once("://").is_some_and(|(s, rest)| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) && !rest.is_empty()
    });
    let namespace = if absolute {
        base
    } else {
        "https://hfr.invalid"
    };
    let revisions = history
        .iter()
        .filter(|h| h.revision <= stored.revision)
        .map(|h| {
            let sections = changed_sections(&h.changes);
            let summary = if sections.is_empty() {
                None
            } else {
                let labels: Vec<&str> = sections
                    .iter()
                    .map(|s| hfr_model::diff::section_label(s))
                    .collect();
                Some(format!("更新: {}", labels.join("、")))
            };
            hfr_csaf::Revision {
                recorded_at: h.recorded_at,
                updated: h.updated,
                summary,
            }
        })
        .collect();
    let options = hfr_csaf::Options {
        revisions,
        self_url: absolute.then(|| format!("{base}/api/v1/alerts/{}/csaf", seg(&stored.alert.id))),
    };
    hfr_csaf::to_csaf(
        &stored.alert,
        &hfr_csaf::Publisher::new(namespace),
        &options,
    )
}

#[derive(Serialize)]
struct SourceView<'a> {
    kind: SourceKind,
    format: &'a str,
    sha256: Option<&'a str>,
}

#[derive(Serialize)]
struct RevisionView<'a> {
    revision: i64,
    recorded_at: DateTime<Utc>,
    updated: Option<NaiveDate>,
    source: SourceView<'a>,
    changed_sections: Vec<String>,
    changes: &'a [Change],
}

#[derive(Serialize)]
struct Revisions<'a> {
    id: &'a str,
    revisions: Vec<RevisionView<'a>>,
}

/// `GET /api/v1/alerts/{id}/revisions`, oldest first. The source's name
/// (a path on the importing machine, or who edited) is not published.
pub(crate) async fn revisions(st: &AppState, id: &str) -> Result<Doc, AppError> {
    let history = st.store.history(id).await?;
    if history.is_empty() {
        return Err(AppError::NotFound);
    }
    revisions_doc(&history)
}

pub(crate) fn revisions_doc(history: &[hfr_store::RevisionInfo]) -> Result<Doc, AppError> {
    let id = history.last().map(|h| h.id.as_str()).unwrap_or_default();
    let body = Revisions {
        id,
        revisions: history
            .iter()
            .map(|h| RevisionView {
                revision: h.revision,
                recorded_at: h.recorded_at,
                updated: h.updated,
                source: SourceView {
                    kind: h.source.kind,
                    format: &h.source.format,
                    sha256: h.source.sha256.as_deref(),
                },
                changed_sections: changed_sections(&h.changes),
                changes: &h.changes,
            })
            .collect(),
    };
    Ok(Doc::new(
        serde_json::to_vec(&body)?,
        Kind::Json,
        history.iter().map(|h| h.recorded_at).max(),
    ))
}

#[derive(Serialize)]
struct Product<'a> {
    name: &'a str,
    alerts: u64,
}

#[derive(Serialize)]
struct Products<'a> {
    items: Vec<Product<'a>>,
    total: usize,
}

/// `GET /api/v1/products`: every affected software name with its alert count.
pub(crate) async fn products(st: &AppState) -> Result<Doc, AppError> {
    let products = st.store.products().await?;
    products_doc(&products)
}

pub(crate) fn products_doc(products: &[(String, u64)]) -> Result<Doc, AppError> {
    let body = Products {
        items: products
            .iter()
            .map(|(name, n)| Product { name, alerts: *n })
            .collect(),
        total: products.len(),
    };
    Ok(Doc::new(serde_json::to_vec(&body)?, Kind::Json, None))
}

/// The body of a JSON error.
pub(crate) fn error_body(status: u16, message: &str, parameter: Option<&str>) -> Vec<u8> {
    let mut v = serde_json::json!({ "error": message, "status": status });
    if let Some(p) = parameter {
        v["parameter"] = Value::String(p.to_string());
    }
    serde_json::to_vec(&v).unwrap_or_default()
}

/// Rewrites `#/$defs/X` references to `#/components/schemas/X`.
pub(crate) fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "$ref" {
                    if let Value::String(s) = x {
                        if let Some(name) = s.strip_prefix("#/$defs/") {
                            *s = format!("#/components/schemas/{name}");
                        }
                    }
                } else {
                    rewrite_refs(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// The OpenAPI 3.1 document, with the alert schema and its definitions under
/// `components/schemas` and the server at `base`.
pub(crate) fn openapi_document(base: &str) -> Bytes {
    let mut doc: Value =
        serde_json::from_str(OPENAPI).expect("the embedded OpenAPI document is JSON");
    let mut alert: Value =
        serde_json::from_str(ALERT_SCHEMA).expect("the embedded alert schema is JSON");
    rewrite_refs(&mut alert);
    let defs = alert
        .as_object_mut()
        .and_then(|o| {
            o.remove("$schema");
            o.remove("$defs")
        })
        .unwrap_or(Value::Null);
    doc["info"]["version"] = Value::String(env!("CARGO_PKG_VERSION").to_string());
    doc["servers"] = serde_json::json!([{ "url": if base.is_empty() { "/" } else { base } }]);
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        if let Value::Object(defs) = defs {
            for (k, v) in defs {
                schemas.entry(k).or_insert(v);
            }
        }
        schemas.insert("Alert".into(), alert);
    }
    crate::releases::add_release_schema(&mut doc);
    Bytes::from(serde_json::to_vec_pretty(&doc).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_holds_the_alert_schema() {
        let doc: Value = serde_json::from_slice(&openapi_document("http://h.example")).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Alert"]["type"], "object");
        assert!(schemas["Severity"].is_object());
        let text = serde_json::to_string(&doc).unwrap();
        assert!(!text.contains("#/$defs/"));
        // Every reference resolves.
        for part in text.split("\"$ref\":\"").skip(1) {
            let target = &part[..part.find('"').unwrap()];
            let pointer = target.strip_prefix('#').unwrap();
            assert!(doc.pointer(pointer).is_some(), "dangling {target}");
        }
    }
}
