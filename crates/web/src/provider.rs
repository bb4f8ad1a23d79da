//! The archive as a CSAF 2.0 provider (CSAF 2.0 section 7): what lets CSAF
//! tools (BSI's `csaf_downloader` and `csaf_checker`, aggregators) find and
//! fetch every alert without knowing anything about hfr.
//!
//! ```text
//! /.well-known/csaf/                           directory listing
//! /.well-known/csaf/provider-metadata.json     requirement 7 and 9: served directly
//! /.well-known/csaf/feed-tlp-white.json        requirement 15: the ROLIE feed
//! /.well-known/csaf/white/                     requirement 14: directory listing
//! /.well-known/csaf/white/index.txt            requirement 12: every document
//! /.well-known/csaf/white/changes.csv          requirement 13: newest change first
//! /.well-known/csaf/white/2004/                directory listing of the year
//! /.well-known/csaf/white/2004/ms04-035.json   requirement 11: the advisory
//! /.well-known/csaf/white/2004/ms04-035.json.sha256, .sha512   requirement 18
//! ```
//!
//! Every alert is public, so everything is TLP:WHITE and there is one
//! directory and one feed. Nothing is signed (requirement 19), so the
//! metadata says `csaf_provider`, not `csaf_trusted_provider`.
//!
//! The listings (index, changes, feed) need every document's tracking dates
//! and file name, which only rendering the document tells, and rendering is
//! the expensive part (the CSAF export reads each document back to check its
//! round trip). So the whole tree is rendered once per archive
//! [`Generation`], in one pass, and kept: every file a request asks for is
//! then a map lookup, with its ETag and compressed forms made once (the page
//! cache's [`Entry`]). The static export writes the same tree, so a mirror
//! is a provider too.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use hfr_store::{AlertFilter, Generation, RevisionInfo, StoredAlert};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha512};

use crate::cache::Entry;
use crate::error::{AppError, WebError};
use crate::http::{self, Doc, Kind};
use crate::routes::{error_response, Face};
use crate::state::AppState;

/// Where the provider lives, from the site root: fixed by CSAF
/// (requirement 9), so tools find it from the domain name alone.
pub(crate) const ROOT: &str = ".well-known/csaf";

/// The one directory (requirement 11): named after its TLP label, as CSAF
/// providers name theirs, so that a later TLP:GREEN tree fits beside it.
const DIRECTORY: &str = "white";

const METADATA: &str = "provider-metadata.json";

const FEED: &str = "feed-tlp-white.json";

/// The category every CSAF ROLIE feed carries (requirement 15).
const ROLIE_SCHEME: &str = "urn:ietf:params:rolie:category:information-type";

/// The schema an entry's document conforms to, as the feed names it.
const CSAF_SCHEMA: &str = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";

/// `last_updated` and the feed's `updated` of an empty archive: there is no
/// release date to take, and a fixed value keeps the files (and their
/// ETags) the same from one start to the next.
const NEVER: &str = "1970-01-01T00:00:00Z";

/// The routes, with the rendered tree they share and the CORS header every
/// answer carries. Merged into the site's router (see `routes.rs`).
///
/// The tree lives in an extension rather than in the shared state so that
/// the provider stays one module; it belongs to the router, as the page
/// cache does to the state.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/csaf", get(file))
        .route("/.well-known/csaf/", get(file))
        .route("/.well-known/csaf/{*path}", get(file))
        .layer(axum::middleware::map_response(allow_any_origin))
        .layer(Extension(Arc::new(Provider::default())))
}

/// CSAF 2.1 requirement 25 (cheap to follow in 2.0 as well): browser-based
/// tools such as Secvisogram read advisories from other origins. Every
/// answer gets it, errors included, so that a script can tell a 404 from a
/// blocked request.
async fn allow_any_origin(mut r: Response) -> Response {
    r.headers_mut()
        .insert("access-control-allow-origin", HeaderValue::from_static("*"));
    r
}

/// The tree of the archive generation last asked for.
#[derive(Default)]
pub(crate) struct Provider {
    /// Held while a tree is rendered, so that the requests arriving meanwhile
    /// wait for that one rendering instead of each starting its own.
    tree: tokio::sync::Mutex<Option<Arc<Tree>>>,
}

impl Provider {
    async fn tree(&self, st: &AppState) -> Result<Arc<Tree>, AppError> {
        let generation = st.cache.generation(&*st.store).await?;
        let mut slot = self.tree.lock().await;
        if let Some(t) = slot.as_ref() {
            if Arc::ptr_eq(&t.generation, &generation) || *t.generation == *generation {
                return Ok(t.clone());
            }
        }
        // Read the archive after taking its generation: should it change
        // meanwhile, the tree is older than its label says, and the next
        // generation check renders it again.
        let started = Instant::now();
        let tree = Arc::new(Tree::build(st, generation, slot.as_deref()).await?);
        tracing::info!(
            documents = tree.documents,
            rendered = tree.rendered,
            files = tree.files.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "rendered the CSAF provider tree"
        );
        *slot = Some(tree.clone());
        Ok(tree)
    }
}

/// Every file of the provider, rendered from one archive generation.
pub(crate) struct Tree {
    generation: Arc<Generation>,
    /// By path below [`ROOT`]; a directory's listing under its path with the
    /// trailing slash (`white/2004/`), the top listing under `""`.
    pub(crate) files: BTreeMap<String, Arc<Entry>>,
    /// Every alert's advisory by id and revision. A revision never changes
    /// once recorded, and its document depends on nothing else (its history
    /// is the revisions before it), so the next generation's tree takes
    /// these as they are and renders only the alerts that changed: an
    /// import of a few alerts into a large archive costs a few renderings.
    advisories: HashMap<(String, i64), Arc<Advisory>>,
    /// How many advisories it lists.
    pub(crate) documents: usize,
    /// How many of them were rendered for it (the rest came from the
    /// previous tree).
    pub(crate) rendered: usize,
}

/// One alert's advisory: its files, and what the listings need to know.
struct Advisory {
    tracking_id: String,
    title: String,
    summary: Option<String>,
    /// `/document/tracking/initial_release_date`, as written.
    initial: String,
    /// `/document/tracking/current_release_date`, as written, and as a time.
    current: String,
    current_at: DateTime<FixedOffset>,
    /// `2004/ms04-035.json`: the year folder and the CSAF file name.
    path: String,
    recorded_at: DateTime<Utc>,
    /// `/document/publisher`, for the provider metadata.
    publisher: Value,
    json: Arc<Entry>,
    sha256: Arc<Entry>,
    sha512: Arc<Entry>,
}

type Key = (String, i64);

impl Tree {
    /// Renders every alert's current revision (taking those `previous`
    /// already holds from it) and the files that list them.
    pub(crate) async fn build(
        st: &AppState,
        generation: Arc<Generation>,
        previous: Option<&Tree>,
    ) -> Result<Tree, WebError> {
        let all = st.store.list(&AlertFilter::default()).await?;
        // The archive's order decides which alert keeps a file name that two
        // ids share.
        let mut order: Vec<Key> = Vec::with_capacity(all.len());
        let mut known: HashMap<Key, Arc<Advisory>> = HashMap::with_capacity(all.len());
        let mut todo = Vec::new();
        for s in &all {
            let key = (s.id.clone(), s.revision);
            if let Some(a) = previous.and_then(|p| p.advisories.get(&key)) {
                known.insert(key.clone(), a.clone());
                order.push(key);
                continue;
            }
            let Some(current) = st.store.get(&s.id).await? else {
                continue;
            };
            let history = st.store.history(&s.id).await?;
            // The revision read, which a concurrent import may have moved
            // past the listing's.
            let key = (s.id.clone(), current.revision);
            order.push(key.clone());
            todo.push((key, current, history));
        }
        let rendered = todo.len();
        let base = st.base.clone();
        let prefix = st.prefix.clone();
        let g = generation.clone();
        // Seconds of CPU for a large archive: off the threads that answer
        // requests.
        let (files, documents, advisories) = tokio::task::spawn_blocking(move || {
            for (key, stored, history) in todo {
                if let Some(a) = render(&base, &stored, &history, &g)? {
                    known.insert(key, Arc::new(a));
                }
            }
            let (files, documents) = assemble(&base, &prefix, &order, &known, &g)?;
            Ok::<_, WebError>((files, documents, known))
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        Ok(Tree {
            generation,
            files,
            advisories,
            documents,
            rendered,
        })
    }
}

/// The tree's files from its advisories, by path below [`ROOT`], and how
/// many advisories it lists.
fn assemble(
    base: &str,
    prefix: &str,
    order: &[Key],
    known: &HashMap<Key, Arc<Advisory>>,
    g: &Arc<Generation>,
) -> Result<(BTreeMap<String, Arc<Entry>>, usize), WebError> {
    let mut files = BTreeMap::new();
    let mut listed: Vec<&Advisory> = Vec::with_capacity(order.len());
    for key in order {
        let Some(a) = known.get(key) else {
            continue;
        };
        let path = format!("{DIRECTORY}/{}", a.path);
        if files.contains_key(&path) {
            // Two ids CSAF's file name rule maps to one name (`A B` and
            // `A_B`): the first, in the archive's order, keeps it.
            tracing::warn!(id = %key.0, path = %a.path, "left out of the CSAF provider: another alert has its file name");
            continue;
        }
        files.insert(format!("{path}.sha256"), a.sha256.clone());
        files.insert(format!("{path}.sha512"), a.sha512.clone());
        files.insert(path, a.json.clone());
        listed.push(a);
    }
    // The files say what changed last first (changes.csv must, the feed
    // follows it); ties in a stable order, so that the bytes only change
    // when the archive does.
    listed.sort_by(|a, b| {
        b.current_at
            .cmp(&a.current_at)
            .then_with(|| a.path.cmp(&b.path))
    });
    let newest = listed.first().map_or(NEVER, |a| a.current.as_str());
    let last_modified = listed.iter().map(|a| a.recorded_at).max();
    let urls = Urls::new(base);
    let mut put = |path: String, doc: Doc| {
        files.insert(path, Arc::new(Entry::new(doc, g.clone())));
    };

    let mut index: Vec<&str> = listed.iter().map(|a| a.path.as_str()).collect();
    index.sort_unstable();
    let index: String = index.iter().map(|p| format!("{p}\n")).collect();
    put(format!("{DIRECTORY}/index.txt"), text(index, last_modified));

    let changes: String = listed
        .iter()
        .map(|a| format!("{},{}\n", csv_field(&a.path), csv_field(&a.current)))
        .collect();
    put(
        format!("{DIRECTORY}/changes.csv"),
        text(changes, last_modified),
    );

    let publisher = listed
        .first()
        .map_or_else(|| default_publisher(base), |a| a.publisher.clone());
    let feed = feed(&urls, &publisher, newest, &listed);
    put(
        FEED.into(),
        Doc::new(serde_json::to_vec(&feed)?, Kind::Json, last_modified),
    );
    let metadata = metadata(&urls, publisher, newest);
    put(
        METADATA.into(),
        Doc::new(serde_json::to_vec(&metadata)?, Kind::Json, last_modified),
    );

    // The listings, from the files themselves, so that they cannot miss one.
    let mut dirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files.keys() {
        let mut dir = String::new();
        for part in path.split('/') {
            let is_dir = path.len() > dir.len() + part.len();
            let entry = if is_dir {
                format!("{part}/")
            } else {
                part.to_string()
            };
            dirs.entry(dir.clone()).or_default().insert(entry.clone());
            dir.push_str(&entry);
        }
    }
    for (dir, entries) in dirs {
        let html = listing(prefix, &dir, &entries);
        files.insert(
            dir,
            Arc::new(Entry::new(
                Doc::new(html, Kind::Html, last_modified),
                g.clone(),
            )),
        );
    }
    Ok((files, listed.len()))
}

/// One alert's advisory: the document the API answers for it, its hash
/// files, and its tracking facts. None when the document lacks what places
/// it in the tree (the export always writes it).
fn render(
    base: &str,
    stored: &StoredAlert,
    history: &[RevisionInfo],
    g: &Arc<Generation>,
) -> Result<Option<Advisory>, WebError> {
    let doc = crate::api::csaf_document(base, stored, history);
    // The bytes the API answers for the alert: one serialisation, so that
    // the hash files hold for the API's document too.
    let body = serde_json::to_vec(&doc)?;
    let document = &doc["document"];
    let tracking = &document["tracking"];
    let facts = (|| {
        let id = tracking["id"].as_str()?;
        let initial = tracking["initial_release_date"].as_str()?;
        let current = tracking["current_release_date"].as_str()?;
        // The year as written, in the date's own offset: a Japanese bulletin
        // of 1 January at midnight JST belongs to that year, and checkers
        // read the date the same way (Go's time.Parse keeps the offset).
        let year = DateTime::parse_from_rfc3339(initial).ok()?.year();
        let current_at = DateTime::parse_from_rfc3339(current).ok()?;
        Some((id, initial, current, year, current_at))
    })();
    let Some((tracking_id, initial, current, year, current_at)) = facts else {
        tracing::error!(id = %stored.alert.id, "left out of the CSAF provider: the document has no usable tracking id or dates");
        return Ok(None);
    };
    let name = hfr_csaf::file_name(tracking_id);
    let lm = Some(stored.recorded_at);
    let sha256 = format!("{:x}  {name}\n", Sha256::digest(&body));
    let sha512 = format!("{:x}  {name}\n", Sha512::digest(&body));
    let summary = document["notes"].as_array().and_then(|notes| {
        notes
            .iter()
            .find(|n| n["category"] == "summary")
            .and_then(|n| n["text"].as_str())
            .filter(|t| !t.trim().is_empty())
            .map(str::to_string)
    });
    Ok(Some(Advisory {
        path: format!("{year:04}/{name}"),
        title: document["title"]
            .as_str()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(tracking_id)
            .to_string(),
        tracking_id: tracking_id.to_string(),
        summary,
        initial: initial.to_string(),
        current: current.to_string(),
        current_at,
        recorded_at: stored.recorded_at,
        publisher: document["publisher"].clone(),
        sha256: Arc::new(Entry::new(text(sha256, lm), g.clone())),
        sha512: Arc::new(Entry::new(text(sha512, lm), g.clone())),
        json: Arc::new(Entry::new(Doc::new(body, Kind::Json, lm), g.clone())),
    }))
}

fn text(body: String, last_modified: Option<DateTime<Utc>>) -> Doc {
    // The Content-Type is set from the file name when answered (see
    // `content_type`); the kind only has to be a text one.
    Doc::new(body, Kind::Html, last_modified)
}

/// One CSV field as CSAF 2.0's changes.csv writes it: always quoted, with
/// inner quotes doubled (RFC 4180). File names and dates carry neither
/// quotes nor commas; the quoting is what checkers expect.
fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The absolute URLs the metadata and the feed point to.
struct Urls {
    root: String,
}

impl Urls {
    fn new(base: &str) -> Self {
        Urls {
            root: format!("{base}/{ROOT}"),
        }
    }
    fn metadata(&self) -> String {
        format!("{}/{METADATA}", self.root)
    }
    fn feed(&self) -> String {
        format!("{}/{FEED}", self.root)
    }
    fn directory(&self) -> String {
        format!("{}/{DIRECTORY}/", self.root)
    }
    fn document(&self, path: &str) -> String {
        format!("{}/{DIRECTORY}/{path}", self.root)
    }
}

/// The publisher of an empty archive's metadata: what [`crate::csaf_document`]
/// would write (its namespace is the base URL when that is absolute). With
/// documents, theirs is taken, so that the two cannot differ.
fn default_publisher(base: &str) -> Value {
    let absolute = base.split_once("://").is_some_and(|(s, rest)| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) && !rest.is_empty()
    });
    let p = hfr_csaf::Publisher::new(if absolute {
        base
    } else {
        "https://hfr.invalid"
    });
    json!({ "category": p.category, "name": p.name, "namespace": p.namespace })
}

/// `provider-metadata.json` (CSAF 2.0 section 7.1.7).
fn metadata(urls: &Urls, publisher: Value, last_updated: &str) -> Value {
    json!({
        "canonical_url": urls.metadata(),
        "distributions": [
            { "directory_url": urls.directory() },
            {
                "rolie": {
                    "feeds": [{
                        "summary": "All TLP:WHITE advisories of this HotFix Report site.",
                        "tlp_label": "WHITE",
                        "url": urls.feed(),
                    }]
                }
            }
        ],
        "last_updated": last_updated,
        // A self-hosted archive republishes what it analysed for its own
        // readers: whether aggregators should list or mirror it is for its
        // operator to decide, so it does not ask them to by default.
        "list_on_CSAF_aggregators": false,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": false,
        "publisher": publisher,
        // Nothing is signed (no requirement 19), so not a trusted provider.
        "role": "csaf_provider",
    })
}

/// The ROLIE feed (RFC 8322 in JSON, CSAF 2.0 section 7.1.15): every
/// advisory, newest change first, each linking its document and hashes.
fn feed(urls: &Urls, publisher: &Value, updated: &str, advisories: &[&Advisory]) -> Value {
    let name = publisher["name"].as_str().unwrap_or("HotFix Report");
    let entries: Vec<Value> = advisories
        .iter()
        .map(|a| {
            let url = urls.document(&a.path);
            let mut e = json!({
                "id": a.tracking_id,
                "title": a.title,
                "link": [
                    { "rel": "self", "href": url },
                    { "rel": "hash", "href": format!("{url}.sha256") },
                    { "rel": "hash", "href": format!("{url}.sha512") },
                ],
                "published": a.initial,
                "updated": a.current,
                "content": { "type": "application/json", "src": url },
                "format": { "schema": CSAF_SCHEMA, "version": "2.0" },
            });
            if let Some(s) = &a.summary {
                e["summary"] = json!({ "content": s });
            }
            e
        })
        .collect();
    json!({
        "feed": {
            "id": "hfr-csaf-feed-tlp-white",
            "title": format!("{name} CSAF feed (TLP:WHITE)"),
            "link": [{ "rel": "self", "href": urls.feed() }],
            "category": [{ "scheme": ROLIE_SCHEME, "term": "csaf" }],
            "updated": updated,
            "entry": entries,
        }
    })
}

/// A directory listing (requirement 14), as a web server's autoindex would
/// write it, with links relative to the directory so that it works on a
/// mirror under any path.
fn listing(prefix: &str, dir: &str, entries: &BTreeSet<String>) -> String {
    let here = escape(&format!("{prefix}/{ROOT}/{dir}"));
    let mut items = String::new();
    if !dir.is_empty() {
        items.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    // Folders first, newest year first, then the files.
    let (folders, plain): (Vec<&String>, Vec<&String>) =
        entries.iter().partition(|e| e.ends_with('/'));
    for e in folders.iter().rev().chain(plain.iter()) {
        let e = escape(e);
        items.push_str(&format!("<li><a href=\"{e}\">{e}</a></li>\n"));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Index of {here}</title>\n</head>\n<body>\n<h1>Index of {here}</h1>\n\
         <ul>\n{items}</ul>\n</body>\n</html>\n"
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What a file is served as, by its name: CSAF wants JSON as
/// `application/json`; the index, the hashes and the listings are text.
fn content_type(path: &str) -> &'static str {
    if path.is_empty() || path.ends_with('/') {
        Kind::Html.content_type()
    } else if path.ends_with(".json") {
        Kind::Json.content_type()
    } else if path.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    }
}

/// Every provider URL: one lookup in the tree of the current generation.
async fn file(
    State(st): State<AppState>,
    Extension(provider): Extension<Arc<Provider>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let rest = uri.path().strip_prefix("/.well-known/csaf").unwrap_or("");
    let Some(key) = rest.strip_prefix('/') else {
        // `/.well-known/csaf` itself: its listing's relative links need
        // the slash.
        return redirect(&st, "");
    };
    let tree = match provider.tree(&st).await {
        Ok(t) => t,
        Err(e) => return error_response(&st, Face::Page, e),
    };
    match tree.files.get(key) {
        Some(entry) => {
            let mut r = http::respond_entry(&headers, StatusCode::OK, entry, &st.cache_control);
            if r.headers().contains_key(CONTENT_TYPE) {
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(content_type(key)));
            }
            r
        }
        None if !key.is_empty() && tree.files.contains_key(&format!("{key}/")) => {
            redirect(&st, &format!("{key}/"))
        }
        None => error_response(&st, Face::Page, AppError::NotFound),
    }
}

/// A permanent redirect to a directory's URL with its trailing slash.
fn redirect(st: &AppState, key: &str) -> Response {
    let to = format!("{}/{ROOT}/{key}", st.prefix);
    match HeaderValue::from_str(&to) {
        Ok(v) => (StatusCode::PERMANENT_REDIRECT, [(LOCATION, v)]).into_response(),
        Err(_) => error_response(st, Face::Page, AppError::NotFound),
    }
}

/// The tree's files as the static export writes them: a directory's listing
/// as its `index.html`.
pub(crate) fn export_files(tree: &Tree) -> impl Iterator<Item = (String, &Bytes)> {
    tree.files.iter().map(|(path, e)| {
        let file = if path.is_empty() || path.ends_with('/') {
            format!("{ROOT}/{path}index.html")
        } else {
            format!("{ROOT}/{path}")
        };
        (file, &e.doc.body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted() {
        assert_eq!(csv_field("2004/ms04-035.json"), "\"2004/ms04-035.json\"");
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn files_are_served_by_their_kind() {
        assert_eq!(content_type(""), "text/html; charset=utf-8");
        assert_eq!(content_type("white/2004/"), "text/html; charset=utf-8");
        assert_eq!(content_type("provider-metadata.json"), "application/json");
        assert_eq!(content_type("white/changes.csv"), "text/csv; charset=utf-8");
        assert_eq!(content_type("white/index.txt"), "text/plain; charset=utf-8");
        assert_eq!(
            content_type("white/2004/ms04-035.json.sha512"),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn listings_link_relative_and_escape() {
        let entries: BTreeSet<String> = ["2004/", "2006/", "index.txt", "a&b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let html = listing("/hfr", "white/", &entries);
        assert!(html.contains("<title>Index of /hfr/.well-known/csaf/white/</title>"));
        let order = ["../", "2006/", "2004/", "a&amp;b", "index.txt"]
            .map(|e| html.find(&format!("href=\"{e}\"")).unwrap());
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{html}");
        assert!(!listing("", "", &entries).contains("../"));
    }

    #[test]
    fn an_empty_archive_names_the_site_as_publisher() {
        let p = default_publisher("https://h.example/hfr");
        assert_eq!(p["namespace"], "https://h.example/hfr");
        assert_eq!(p["category"], "other");
        assert_eq!(
            default_publisher("/mirror")["namespace"],
            "https://hfr.invalid"
        );
    }
}
