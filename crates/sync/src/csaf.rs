//! CSAF providers (CSAF 2.0 section 7): from `provider-metadata.json` to the
//! list of advisory URLs.
//!
//! A provider publishes its advisories in one or both of two ways, listed in
//! `distributions` of its metadata:
//! - ROLIE feeds, one per TLP label, each entry with the advisory URL, its
//!   `updated` time and links to its hash and signature files;
//! - a directory (`directory_url`) with `changes.csv` (path and current
//!   release date per line, newest first) and `index.txt` (paths only).
//!
//! Only public feeds are read (TLP:WHITE, GREEN, CLEAR, or unlabeled):
//! AMBER and RED feeds need credentials and are not for an archive that is
//! published. Listing files are read in full each time (they are what tells
//! which advisories changed); the advisories themselves are then fetched
//! only when their listed date moved (see [`crate::Syncer::fetch`]).

use std::collections::HashSet;

use serde::Deserialize;
use url::Url;

use crate::client::{check_url, Client};
use crate::{Discovery, DocumentKind, DocumentRef, HashAlgorithm, HashSource, SyncError};

const JSON: &str = "application/json";

/// The TLP labels whose feeds are fetched.
const PUBLIC_TLP: [&str; 4] = ["WHITE", "GREEN", "CLEAR", "UNLABELED"];

/// Lists the advisories of the provider behind `url`: a
/// `provider-metadata.json`, a ROLIE feed, a directory (a URL ending in
/// `/`), or a bare host (then its `/.well-known/csaf/provider-metadata.json`).
pub fn discover(client: &Client, url: &str) -> Result<Discovery, SyncError> {
    let parsed = check_url(url)?;
    let mut out = Listing::default();
    if matches!(parsed.path(), "" | "/") && parsed.query().is_none() {
        let metadata = join(&parsed, ".well-known/csaf/provider-metadata.json")?;
        let body = client.get_body(metadata.as_str(), Some(JSON))?;
        let value = parse_json(&body.bytes, metadata.as_str())?;
        provider_metadata(client, &metadata, &value, &mut out)?;
    } else if parsed.path().ends_with('/') {
        directory(client, &parsed, &mut out)?;
    } else {
        let body = client.get_body(url, Some(JSON))?;
        let value = parse_json(&body.bytes, url)?;
        if value.get("feed").is_some() {
            rolie_feed(&parsed, &body.bytes, &mut out)?;
        } else if value.get("distributions").is_some()
            || value.get("canonical_url").is_some()
            || value.get("metadata_version").is_some()
        {
            provider_metadata(client, &parsed, &value, &mut out)?;
        } else {
            return Err(SyncError::Format {
                url: url.to_string(),
                reason: "neither a CSAF provider-metadata.json nor a ROLIE feed (no \"distributions\", no \"feed\")".into(),
            });
        }
    }
    Ok(out.discovery)
}

/// The documents found so far, without duplicates (a provider may list an
/// advisory both in a feed and in its directory: the first listing wins).
#[derive(Default)]
struct Listing {
    discovery: Discovery,
    seen: HashSet<String>,
}

impl Listing {
    fn push(&mut self, doc: DocumentRef) {
        if self.seen.insert(doc.url.clone()) {
            self.discovery.documents.push(doc);
        }
    }

    fn warn(&mut self, w: String) {
        tracing::warn!("{w}");
        self.discovery.warnings.push(w);
    }
}

fn parse_json(bytes: &[u8], url: &str) -> Result<serde_json::Value, SyncError> {
    serde_json::from_slice(bytes).map_err(|e| SyncError::Format {
        url: url.to_string(),
        reason: format!("not JSON: {e}"),
    })
}

fn join(base: &Url, rel: &str) -> Result<Url, SyncError> {
    base.join(rel).map_err(|e| SyncError::BadUrl {
        url: format!("{rel} (relative to {base})"),
        reason: e.to_string(),
    })
}

#[derive(Deserialize)]
struct ProviderMetadata {
    #[serde(default)]
    distributions: Vec<Distribution>,
}

#[derive(Deserialize)]
struct Distribution {
    /// CSAF 2.0.
    directory_url: Option<String>,
    /// CSAF 2.1: `{ "url", "tlp_label" }`.
    directory: Option<Directory21>,
    rolie: Option<Rolie>,
}

#[derive(Deserialize)]
struct Directory21 {
    url: String,
    tlp_label: Option<String>,
}

#[derive(Deserialize)]
struct Rolie {
    #[serde(default)]
    feeds: Vec<RolieFeedRef>,
}

#[derive(Deserialize)]
struct RolieFeedRef {
    tlp_label: Option<String>,
    url: String,
}

fn is_public(tlp: Option<&str>) -> bool {
    tlp.is_none_or(|t| PUBLIC_TLP.iter().any(|p| p.eq_ignore_ascii_case(t.trim())))
}

fn provider_metadata(
    client: &Client,
    url: &Url,
    value: &serde_json::Value,
    out: &mut Listing,
) -> Result<(), SyncError> {
    let metadata: ProviderMetadata =
        serde_json::from_value(value.clone()).map_err(|e| SyncError::Format {
            url: url.to_string(),
            reason: format!("not a CSAF provider-metadata.json: {e}"),
        })?;
    let mut used = 0;
    for dist in &metadata.distributions {
        // A distribution with feeds is read through them (dates, hash
        // links); its directory would only list the same files again.
        let feeds = dist
            .rolie
            .as_ref()
            .map(|r| r.feeds.as_slice())
            .unwrap_or(&[]);
        if !feeds.is_empty() {
            for feed in feeds {
                if !is_public(feed.tlp_label.as_deref()) {
                    out.warn(format!(
                        "{url}: skipping the TLP:{} feed {}: hfr fetches public advisories only",
                        feed.tlp_label.as_deref().unwrap_or("?"),
                        feed.url
                    ));
                    continue;
                }
                let feed_url = join(url, &feed.url)?;
                let body = client.get_body(feed_url.as_str(), Some(JSON))?;
                rolie_feed(&feed_url, &body.bytes, out)?;
                used += 1;
            }
            continue;
        }
        let (dir, tlp) = match (&dist.directory_url, &dist.directory) {
            (Some(u), _) => (u.as_str(), None),
            (None, Some(d)) => (d.url.as_str(), d.tlp_label.as_deref()),
            (None, None) => continue,
        };
        if !is_public(tlp) {
            out.warn(format!(
                "{url}: skipping the TLP:{} directory {dir}: hfr fetches public advisories only",
                tlp.unwrap_or("?")
            ));
            continue;
        }
        let mut dir_url = join(url, dir)?;
        if !dir_url.path().ends_with('/') {
            let path = format!("{}/", dir_url.path());
            dir_url.set_path(&path);
        }
        directory(client, &dir_url, out)?;
        used += 1;
    }
    if used == 0 {
        return Err(SyncError::Format {
            url: url.to_string(),
            reason: "the provider lists no distribution hfr can fetch (a ROLIE feed for TLP:WHITE, GREEN, CLEAR or unlabeled, or a directory_url)".into(),
        });
    }
    Ok(())
}

#[derive(Deserialize)]
struct FeedFile {
    feed: Feed,
}

#[derive(Deserialize)]
struct Feed {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    id: Option<String>,
    #[serde(default)]
    link: Vec<Link>,
    updated: Option<String>,
    content: Option<Content>,
}

#[derive(Deserialize)]
struct Link {
    rel: Option<String>,
    href: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    src: Option<String>,
}

/// The entries of a ROLIE feed (RFC 8322 in JSON, as CSAF 2.0 7.1.15
/// shapes it).
fn rolie_feed(url: &Url, bytes: &[u8], out: &mut Listing) -> Result<(), SyncError> {
    let file: FeedFile = serde_json::from_slice(bytes).map_err(|e| SyncError::Format {
        url: url.to_string(),
        reason: format!("not a ROLIE feed: {e}"),
    })?;
    let mut entries = file.feed.entry;
    // Oldest first, the order to import in (feeds are often newest first).
    entries.sort_by(|a, b| a.updated.cmp(&b.updated));
    for entry in entries {
        let link = |rel: &str| {
            entry
                .link
                .iter()
                .filter(|l| l.rel.as_deref() == Some(rel))
                .filter_map(|l| l.href.as_deref())
                .collect::<Vec<_>>()
        };
        let src = entry
            .content
            .as_ref()
            .and_then(|c| c.src.as_deref())
            .or_else(|| link("self").first().copied());
        let Some(src) = src else {
            out.warn(format!(
                "{url}: {}: the entry has no content.src or self link; skipped",
                entry.id.as_deref().unwrap_or("an entry without id")
            ));
            continue;
        };
        let label = entry.id.clone().unwrap_or_else(|| src.to_string());
        let doc_url = match join(url, src).and_then(|u| check_url(u.as_str())) {
            Ok(u) => u,
            Err(e) => {
                out.warn(format!("{url}: {label}: {e}; skipped"));
                continue;
            }
        };
        let hash = link("hash")
            .into_iter()
            .find_map(|h| {
                let algorithm = HashAlgorithm::from_url(h)?;
                let h = join(url, h).ok()?;
                Some(HashSource::Linked {
                    url: h.to_string(),
                    algorithm,
                })
            })
            .unwrap_or(HashSource::Probe);
        out.push(DocumentRef {
            url: doc_url.to_string(),
            label,
            kind: DocumentKind::Csaf,
            listed_date: entry.updated.clone(),
            accept: Some(JSON.to_string()),
            hash,
        });
    }
    Ok(())
}

/// A provider directory: `changes.csv` (paths with dates), else
/// `index.txt` (paths only; each advisory then costs a conditional
/// request per sync).
fn directory(client: &Client, dir: &Url, out: &mut Listing) -> Result<(), SyncError> {
    let limit = client.config().max_body;
    let changes = join(dir, "changes.csv")?;
    let mut entries: Vec<(String, Option<String>)> = Vec::new();
    if let Some(body) = client.get_optional(changes.as_str(), Some("text/csv"), limit)? {
        let text = text(&body.bytes, changes.as_str())?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match csv_fields(line).as_deref() {
                Some([path, date]) if !path.trim().is_empty() && !date.trim().is_empty() => {
                    entries.push((path.trim().to_string(), Some(date.trim().to_string())));
                }
                _ => out.warn(format!(
                    "{changes}: line {}: not a path and a date in CSV: {:?}",
                    n + 1,
                    truncate(line, 120)
                )),
            }
        }
        if entries.is_empty() && !text.trim().is_empty() {
            return Err(SyncError::Format {
                url: changes.to_string(),
                reason: "no line is a path and a date (\"2017/cve-2017-0144.json\",\"2017-03-14T07:00:00Z\")".into(),
            });
        }
        // Newest first in the file; oldest first is the order to import in,
        // so that a later revision of the same alert is stored last.
        entries.reverse();
    } else {
        let index = join(dir, "index.txt")?;
        let Some(body) = client.get_optional(index.as_str(), Some("text/plain"), limit)? else {
            return Err(SyncError::Format {
                url: dir.to_string(),
                reason: "the directory has neither changes.csv nor index.txt (both 404)".into(),
            });
        };
        let text = text(&body.bytes, index.as_str())?;
        entries.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| (l.to_string(), None)),
        );
    }
    for (path, date) in entries {
        let doc_url = match join(dir, &path) {
            Ok(u) => u,
            Err(e) => {
                out.warn(format!("{dir}: {e}; skipped"));
                continue;
            }
        };
        // Paths are relative to the directory; `../` or an absolute URL
        // pointing elsewhere is not an advisory of this provider.
        if !doc_url.as_str().starts_with(dir.as_str()) {
            out.warn(format!(
                "{dir}: {path}: outside the provider's directory; skipped"
            ));
            continue;
        }
        out.push(DocumentRef {
            url: doc_url.to_string(),
            label: path,
            kind: DocumentKind::Csaf,
            listed_date: date,
            accept: Some(JSON.to_string()),
            hash: HashSource::Probe,
        });
    }
    Ok(())
}

fn text<'a>(bytes: &'a [u8], url: &str) -> Result<&'a str, SyncError> {
    let s = std::str::from_utf8(bytes).map_err(|e| SyncError::Format {
        url: url.to_string(),
        reason: format!("not UTF-8 text: {e}"),
    })?;
    Ok(s.strip_prefix('\u{feff}').unwrap_or(s))
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// One CSV line (RFC 4180): fields separated by commas, optionally in
/// double quotes with `""` for a quote inside. CSAF 2.0 quotes both fields
/// of `changes.csv`; unquoted files exist too. `None` for an unterminated
/// quote or text after a closing quote.
pub(crate) fn csv_fields(line: &str) -> Option<Vec<String>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Some(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Some(fields);
                    }
                    Some(',') => break,
                    Some('"') => return None,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::csv_fields;

    #[test]
    fn csv() {
        assert_eq!(
            csv_fields(r#""2017/cve-2017-0144.json","2017-03-14T07:00:00Z""#),
            Some(vec![
                "2017/cve-2017-0144.json".into(),
                "2017-03-14T07:00:00Z".into()
            ])
        );
        assert_eq!(
            csv_fields("2017/a.json,2017-03-14T07:00:00Z\r"),
            Some(vec!["2017/a.json".into(), "2017-03-14T07:00:00Z".into()])
        );
        assert_eq!(
            csv_fields(r#""a ""b"".json",x"#),
            Some(vec![r#"a "b".json"#.into(), "x".into()])
        );
        assert_eq!(csv_fields(r#""unterminated,x"#), None);
        assert_eq!(csv_fields(r#""a"b,x"#), None);
        assert_eq!(csv_fields("a\"b,x"), None);
        assert_eq!(csv_fields("one"), Some(vec!["one".into()]));
        assert_eq!(csv_fields(""), Some(vec!["".into()]));
    }
}
