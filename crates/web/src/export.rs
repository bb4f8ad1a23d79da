//! The whole site as static files, for a mirror.
//!
//! Layout (every page a directory with an `index.html`, so the links the
//! pages carry work on any static server):
//!
//! ```text
//! index.html                     /
//! alerts/index.html              /alerts/
//! alerts/MS04-035/index.html     /alerts/MS04-035/
//! alerts/MS04-035/revisions/1/index.html
//! about/index.html, subscribe/index.html, fleet/index.html (+ example.json,
//! inventory.schema.json), 404.html
//! feed.atom, static/hfr.css, static/favicon.svg
//! api/v1/alerts.json             the whole listing in one page
//! api/v1/alerts/MS04-035.json    the alert (as /api/v1/alerts/MS04-035)
//! api/v1/alerts/MS04-035/revisions.json
//! api/v1/alerts/MS04-035/csaf.json    the alert as a CSAF 2.0 advisory
//! api/v1/products.json, api/v1/openapi.json
//! .well-known/csaf/…             the CSAF provider tree (see provider.rs),
//!                                listings as index.html
//! releases/index.html            /releases/
//! releases/2017-Mar/index.html   /releases/2017-Mar/
//! api/v1/releases.json, api/v1/releases/2017-Mar.json
//! ```

use std::path::{Path, PathBuf};

use hfr_store::AlertFilter;
use serde::Serialize;

use crate::error::{AppError, WebError};
use crate::http::Doc;
use crate::params::Query;
use crate::state::{AppState, CSS, ICON};
use crate::{api, feed, fleet, pages, provider, releases, subscribe};

/// What [`crate::export_site`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Alerts exported.
    pub alerts: usize,
    /// Alert revisions exported (each has its own page).
    pub revisions: usize,
    /// Ids left out because they cannot be a file name (e.g. contain `/`).
    pub skipped: Vec<String>,
}

struct Writer<'a> {
    dir: &'a Path,
    summary: ExportSummary,
}

impl Writer<'_> {
    async fn write(&mut self, rel: &str, body: &[u8]) -> Result<(), WebError> {
        let path: PathBuf = rel
            .split('/')
            .fold(self.dir.to_path_buf(), |p, s| p.join(s));
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|source| WebError::Write {
                    path: parent.to_path_buf(),
                    source,
                })?;
        }
        tokio::fs::write(&path, body)
            .await
            .map_err(|source| WebError::Write { path, source })?;
        self.summary.files += 1;
        self.summary.bytes += body.len() as u64;
        Ok(())
    }

    async fn doc(&mut self, rel: &str, doc: Result<Doc, AppError>) -> Result<(), WebError> {
        let doc = doc.map_err(internal)?;
        self.write(rel, &doc.body).await
    }
}

/// An error a render function returns during the export, where a 404 or 400
/// cannot happen unless the archive changes underneath.
fn internal(e: AppError) -> WebError {
    match e {
        AppError::Internal(e) => e,
        AppError::NotFound => WebError::Store(hfr_store::StoreError::Corrupt {
            id: String::new(),
            revision: 0,
            reason: "an alert disappeared during the export".into(),
        }),
        AppError::BadRequest { message, .. } => WebError::Store(hfr_store::StoreError::Corrupt {
            id: String::new(),
            revision: 0,
            reason: message,
        }),
    }
}

/// Can `id` be a directory name on any file system, as written?
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && !id.chars().any(|c| {
            matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control()
        })
}

pub(crate) async fn export_site(st: AppState, dir: &Path) -> Result<ExportSummary, WebError> {
    let mut w = Writer {
        dir,
        summary: ExportSummary::default(),
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|source| WebError::Write {
            path: dir.to_path_buf(),
            source,
        })?;

    w.doc("index.html", pages::index(&st).await).await?;
    w.doc(
        "alerts/index.html",
        pages::alerts(&st, &Query::default()).await,
    )
    .await?;
    w.doc("about/index.html", pages::about(&st)).await?;
    // A mirror cannot take the form: its page says so.
    w.doc("subscribe/index.html", subscribe::unavailable_doc(&st))
        .await?;
    // Nor an upload; the example and the schema it links are files.
    w.doc("fleet/index.html", fleet::unavailable_doc(&st))
        .await?;
    w.doc("fleet/example.json", fleet::example_doc()).await?;
    w.doc("fleet/inventory.schema.json", fleet::schema_doc())
        .await?;
    let not_found = pages::error_page(
        &st,
        "ページが見つかりません",
        "お探しのページは見つかりませんでした。アドレスをご確認いただくか、セキュリティ情報の一覧からお探しください。",
    );
    w.write("404.html", not_found.as_bytes()).await?;
    w.write("static/hfr.css", CSS.as_bytes()).await?;
    w.write("static/favicon.svg", ICON.as_bytes()).await?;
    w.doc("feed.atom", feed::feed(&st).await).await?;
    w.write("api/v1/openapi.json", &st.openapi).await?;
    w.doc("api/v1/products.json", api::products(&st).await)
        .await?;

    // The CSAF provider, rendered as the server renders it, so that a mirror
    // is a provider with the same documents and hashes.
    let tree = provider::Tree::build(&st, Default::default(), None).await?;
    for (file, body) in provider::export_files(&tree) {
        w.write(&file, body).await?;
    }

    let all_releases = st.store.releases().await?;
    w.doc(
        "releases/index.html",
        releases::list_doc(&st, &all_releases),
    )
    .await?;
    w.doc(
        "api/v1/releases.json",
        releases::list_json(&st, &all_releases),
    )
    .await?;
    for r in &all_releases {
        let id = &r.release.id;
        if !safe_id(id) {
            tracing::warn!(id = %id, "left out of the export: the release id cannot be a file name");
            w.summary.skipped.push(id.clone());
            continue;
        }
        let alerts = releases::release_alerts(&st, r).await.map_err(internal)?;
        w.doc(
            &format!("releases/{id}/index.html"),
            releases::page_doc(&st, r, &alerts),
        )
        .await?;
        w.doc(
            &format!("api/v1/releases/{id}.json"),
            releases::release_json(r),
        )
        .await?;
    }

    let all = st.store.list(&AlertFilter::default()).await?;
    w.write("api/v1/alerts.json", &api::full_list(&st, &all).body)
        .await?;

    for s in &all {
        if !safe_id(&s.id) {
            tracing::warn!(id = %s.id, "left out of the export: the id cannot be a file name");
            w.summary.skipped.push(s.id.clone());
            continue;
        }
        let Some(current) = st.store.get(&s.id).await? else {
            continue;
        };
        let history = st.store.history(&s.id).await?;
        let id = &s.id;
        w.doc(
            &format!("alerts/{id}/index.html"),
            pages::alert_doc(&st, &current, &history),
        )
        .await?;
        w.write(
            &format!("api/v1/alerts/{id}.json"),
            &serde_json::to_vec(&current.alert)?,
        )
        .await?;
        w.doc(
            &format!("api/v1/alerts/{id}/revisions.json"),
            api::revisions_doc(&history),
        )
        .await?;
        w.write(
            &format!("api/v1/alerts/{id}/csaf.json"),
            &serde_json::to_vec(&api::csaf_document(&st.base, &current, &history))?,
        )
        .await?;
        for h in &history {
            let fetched;
            let stored = if h.revision == current.revision {
                &current
            } else {
                match st.store.get_revision(id, h.revision).await? {
                    Some(s) => {
                        fetched = s;
                        &fetched
                    }
                    None => continue,
                }
            };
            w.doc(
                &format!("alerts/{id}/revisions/{}/index.html", h.revision),
                pages::alert_doc(&st, stored, &history),
            )
            .await?;
            w.summary.revisions += 1;
        }
        w.summary.alerts += 1;
    }
    tracing::info!(
        dir = %dir.display(),
        files = w.summary.files,
        alerts = w.summary.alerts,
        "exported the site"
    );
    Ok(w.summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_cannot_be_file_names_are_refused() {
        assert!(safe_id("MS04-035"));
        assert!(!safe_id("../etc"));
        assert!(!safe_id("a/b"));
        assert!(!safe_id("a\\b"));
        assert!(!safe_id(""));
    }
}
