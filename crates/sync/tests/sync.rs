//! `hfr sync`'s fetching against a local mirror over real HTTP: a CSAF
//! provider (provider-metadata.json, ROLIE feeds, a directory with
//! changes.csv / index.txt, hash files) and an MSRC-like API serving the
//! real monthly CVRF documents from `shared/data/msrc-cvrf`.
//!
//! What is checked: the first sync fetches everything; the next one asks
//! nothing about documents whose listed date is unchanged, and sends
//! conditional requests (answered 304) for the others; a changed document
//! is fetched again; a hash mismatch, an oversized or truncated body, a
//! 404/500 and a stall are errors that name the URL.

mod common;

use std::time::{Duration, Instant};

use common::{client_config, gzip_zeros, Mirror, Mode, Payload, Resource};
use hfr_sync::{
    Client, ClientConfig, DocumentFetch, DocumentRef, FetchedDocument, HashAlgorithm, HashSource,
    MonthSelection, MsrcFormat, SourceSpec, SyncError, SyncOptions, SyncState, Syncer, Unchanged,
};
use sha2::{Digest, Sha256, Sha512};

const UA: &str = concat!("hfr/", env!("CARGO_PKG_VERSION"));

fn syncer(recheck: bool) -> Syncer {
    Syncer::new(Client::new(client_config()), SyncOptions { recheck })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha256(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

fn sha512(b: &[u8]) -> String {
    hex(&Sha512::digest(b))
}

/// A small CSAF 2.0 security advisory, written for these tests.
fn advisory(id: &str, version: &str, date: &str) -> Vec<u8> {
    format!(
        r#"{{"document":{{"category":"csaf_security_advisory","csaf_version":"2.0","lang":"en",
"publisher":{{"category":"vendor","name":"Test Vendor","namespace":"https://vendor.test"}},
"title":"Test advisory {id}",
"tracking":{{"id":"{id}","status":"final","version":"{version}",
"initial_release_date":"2024-01-09T00:00:00.000Z","current_release_date":"{date}",
"revision_history":[{{"number":"{version}","date":"{date}","summary":"Revision {version}."}}]}}}},
"product_tree":{{"full_product_names":[{{"name":"Test Product 1.0","product_id":"P1"}}]}},
"vulnerabilities":[{{"cve":"CVE-2024-{version}000","notes":[{{"category":"description","text":"A test flaw."}}],
"product_status":{{"known_affected":["P1"]}}}}]}}"#
    )
    .into_bytes()
}

/// The outcome of one pass over a source, as the CLI would run it: fetch
/// every listed document and record the successful ones in the state.
#[derive(Default)]
struct Pass {
    fetched: Vec<(String, FetchedDocument)>,
    unchanged: Vec<(String, Unchanged)>,
    failed: Vec<(String, SyncError)>,
    warnings: Vec<String>,
}

impl Pass {
    fn fetched_labels(&self) -> Vec<&str> {
        self.fetched.iter().map(|(l, _)| l.as_str()).collect()
    }
    fn unchanged_why(&self) -> Vec<Unchanged> {
        self.unchanged.iter().map(|(_, w)| *w).collect()
    }
}

fn run(syncer: &Syncer, spec: &SourceSpec, state: &mut SyncState) -> Pass {
    let discovery = syncer
        .discover(spec)
        .unwrap_or_else(|e| panic!("discover {spec}: {e}"));
    let mut pass = Pass {
        warnings: discovery.warnings,
        ..Pass::default()
    };
    for doc in &discovery.documents {
        match syncer.fetch(doc, state.get(&doc.url)) {
            Ok(DocumentFetch::Fetched(f)) => {
                state.record(&doc.url, f.entry.clone());
                pass.fetched.push((doc.label.clone(), f));
            }
            Ok(DocumentFetch::Unchanged { why, entry }) => {
                state.record(&doc.url, entry);
                pass.unchanged.push((doc.label.clone(), why));
            }
            Err(e) => pass.failed.push((doc.label.clone(), e)),
        }
    }
    pass
}

// ── CSAF: provider-metadata.json → ROLIE ────────────────────────────────

const WK: &str = "/.well-known/csaf";

struct RolieProvider {
    mirror: Mirror,
    docs: Vec<(String, Vec<u8>, String)>, // (id, bytes, updated)
}

impl RolieProvider {
    /// Three advisories in a TLP:WHITE feed: A with a linked `.sha256`, B
    /// with a linked `.sha512`, C with no hash link (its `.sha256` is found
    /// by probing); and an AMBER feed that must not be fetched.
    fn start() -> RolieProvider {
        let mirror = Mirror::start();
        let docs = vec![
            (
                "VT-2024-001".to_string(),
                advisory("VT-2024-001", "1", "2024-01-09T00:00:00.000Z"),
                "2024-01-09T00:00:00.000Z".to_string(),
            ),
            (
                "VT-2024-002".to_string(),
                advisory("VT-2024-002", "1", "2024-02-13T00:00:00.000Z"),
                "2024-02-13T00:00:00.000Z".to_string(),
            ),
            (
                "VT-2024-003".to_string(),
                advisory("VT-2024-003", "1", "2024-03-12T00:00:00.000Z"),
                "2024-03-12T00:00:00.000Z".to_string(),
            ),
        ];
        let p = RolieProvider { mirror, docs };
        let metadata = format!(
            r#"{{"canonical_url":"{base}/provider-metadata.json","last_updated":"2024-03-12T00:00:00.000Z",
"list_on_CSAF_aggregators":true,"metadata_version":"2.0","mirror_on_CSAF_aggregators":true,
"publisher":{{"category":"vendor","name":"Test Vendor","namespace":"https://vendor.test"}},
"role":"csaf_provider",
"distributions":[{{"rolie":{{"feeds":[
 {{"summary":"public","tlp_label":"WHITE","url":"{base}/feed-tlp-white.json"}},
 {{"summary":"partners","tlp_label":"AMBER","url":"{base}/feed-tlp-amber.json"}}]}}}}]}}"#,
            base = p.mirror.url(WK)
        );
        p.mirror.put(
            &format!("{WK}/provider-metadata.json"),
            Resource::json(metadata),
        );
        for i in 0..3 {
            p.publish(i, "\"v1\"");
        }
        p
    }

    fn doc_path(&self, i: usize) -> String {
        format!("{WK}/2024/{}.json", self.docs[i].0.to_lowercase())
    }

    /// Puts document `i`, its hash file and the feed on the mirror.
    fn publish(&self, i: usize, etag: &str) {
        let (_, bytes, _) = &self.docs[i];
        let path = self.doc_path(i);
        self.mirror.put(
            &path,
            Resource::json(bytes.clone()).validated(etag, "Tue, 12 Mar 2024 00:00:00 GMT"),
        );
        match i {
            1 => self.mirror.put(
                &format!("{path}.sha512"),
                Resource::text(format!("{}  {}\n", sha512(bytes), "vt-2024-002.json")),
            ),
            _ => self.mirror.put(
                &format!("{path}.sha256"),
                Resource::text(format!("{}  x.json\n", sha256(bytes))),
            ),
        }
        self.put_feed();
    }

    fn put_feed(&self) {
        let entries: Vec<String> = (0..3)
            .rev() // newest first, as feeds usually are
            .map(|i| {
                let (id, _, updated) = &self.docs[i];
                let url = self.mirror.url(&self.doc_path(i));
                let hash = match i {
                    0 => format!(r#",{{"rel":"hash","href":"{url}.sha256"}}"#),
                    1 => format!(r#",{{"rel":"hash","href":"{url}.sha512"}}"#),
                    _ => String::new(),
                };
                format!(
                    r#"{{"id":"{id}","title":"{id}","link":[{{"rel":"self","href":"{url}"}}{hash},{{"rel":"signature","href":"{url}.asc"}}],
"published":"2024-01-01T00:00:00.000Z","updated":"{updated}","summary":{{"content":"x"}},
"content":{{"type":"application/json","src":"{url}"}},
"format":{{"schema":"https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json","version":"2.0"}}}}"#
                )
            })
            .collect();
        let feed = format!(
            r#"{{"feed":{{"id":"vt-feed-tlp-white","title":"Test feed","link":[{{"rel":"self","href":"{}"}}],
"category":[{{"scheme":"urn:ietf:params:rolie:category:information-type","term":"csaf"}}],
"updated":"2024-03-12T00:00:00.000Z","entry":[{}]}}}}"#,
            self.mirror.url(&format!("{WK}/feed-tlp-white.json")),
            entries.join(",")
        );
        self.mirror
            .put(&format!("{WK}/feed-tlp-white.json"), Resource::json(feed));
    }

    fn spec(&self) -> SourceSpec {
        SourceSpec::Csaf {
            url: self.mirror.url(&format!("{WK}/provider-metadata.json")),
        }
    }
}

#[test]
fn csaf_rolie_first_sync_then_nothing_then_conditional_then_changed() {
    let p = RolieProvider::start();
    let mut state = SyncState::new();

    // First sync: everything, each checked against its digest.
    let first = run(&syncer(false), &p.spec(), &mut state);
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    assert_eq!(
        first.fetched_labels(),
        ["VT-2024-001", "VT-2024-002", "VT-2024-003"],
        "oldest first"
    );
    assert!(first.fetched.iter().all(|(_, f)| f.new));
    let verified: Vec<_> = first.fetched.iter().map(|(_, f)| f.verified).collect();
    assert_eq!(
        verified,
        [
            Some(HashAlgorithm::Sha256),
            Some(HashAlgorithm::Sha512),
            Some(HashAlgorithm::Sha256)
        ]
    );
    assert_eq!(first.fetched[0].1.bytes, p.docs[0].1);
    assert_eq!(first.fetched[0].1.sha256, sha256(&p.docs[0].1));
    assert_eq!(first.warnings.len(), 1, "{:?}", first.warnings);
    assert!(
        first.warnings[0].contains("TLP:AMBER"),
        "{:?}",
        first.warnings
    );
    let log = p.mirror.take_log();
    assert!(
        !log.iter().any(|r| r.path.contains("amber")),
        "the AMBER feed was requested"
    );
    for r in &log {
        assert_eq!(r.header("user-agent"), Some(UA), "{}", r.path);
        assert_eq!(r.header("if-none-match"), None, "{}", r.path);
    }
    let doc0 = log
        .iter()
        .find(|r| r.path == p.doc_path(0))
        .expect("document requested");
    assert_eq!(doc0.header("accept"), Some("application/json"));
    // C has no hash link: `.sha256` was probed and found.
    assert!(log
        .iter()
        .any(|r| r.path == format!("{}.sha256", p.doc_path(2))));

    // Second sync: the feed shows the same dates, so no document request.
    let second = run(&syncer(false), &p.spec(), &mut state);
    assert!(second.fetched.is_empty() && second.failed.is_empty());
    assert_eq!(second.unchanged_why(), [Unchanged::ListedDate; 3]);
    let paths: Vec<String> = p.mirror.take_log().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            format!("{WK}/provider-metadata.json"),
            format!("{WK}/feed-tlp-white.json")
        ]
    );

    // --recheck: conditional requests, answered 304; no hash requests.
    let third = run(&syncer(true), &p.spec(), &mut state);
    assert!(third.fetched.is_empty() && third.failed.is_empty());
    assert_eq!(third.unchanged_why(), [Unchanged::NotModified; 3]);
    let docs: Vec<_> = p
        .mirror
        .take_log()
        .into_iter()
        .filter(|r| r.path.starts_with(&format!("{WK}/2024/")))
        .collect();
    assert_eq!(docs.len(), 3, "{docs:?}");
    for r in &docs {
        assert!(
            r.path.ends_with(".json"),
            "a hash file after a 304: {}",
            r.path
        );
        assert_eq!(r.header("if-none-match"), Some("\"v1\""));
        assert_eq!(
            r.header("if-modified-since"),
            Some("Tue, 12 Mar 2024 00:00:00 GMT")
        );
    }

    // B is revised: new bytes, date, ETag and digest. Only B is fetched.
    let mut p = p;
    p.docs[1].1 = advisory("VT-2024-002", "2", "2024-04-09T00:00:00.000Z");
    p.docs[1].2 = "2024-04-09T00:00:00.000Z".into();
    p.publish(1, "\"v2\"");
    let fourth = run(&syncer(false), &p.spec(), &mut state);
    assert!(fourth.failed.is_empty(), "{:?}", fourth.failed);
    assert_eq!(fourth.fetched_labels(), ["VT-2024-002"]);
    let (_, b) = &fourth.fetched[0];
    assert!(!b.new, "B was known: changed, not new");
    assert_eq!(b.bytes, p.docs[1].1);
    assert_eq!(b.verified, Some(HashAlgorithm::Sha512));
    let req = p
        .mirror
        .take_log()
        .into_iter()
        .find(|r| r.path == p.doc_path(1))
        .expect("B requested");
    assert_eq!(
        req.header("if-none-match"),
        Some("\"v1\""),
        "asked conditionally"
    );
    let entry = state.get(&p.mirror.url(&p.doc_path(1))).expect("entry");
    assert_eq!(entry.etag.as_deref(), Some("\"v2\""));
    assert_eq!(
        entry.current_release_date.as_deref(),
        Some("2024-04-09T00:00:00.000Z")
    );

    // The state survives a save and a load.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sub").join("sync-state.json");
    state.save(&file).expect("save");
    assert_eq!(SyncState::load(&file).expect("load"), state);
}

#[test]
fn csaf_feed_url_directly_and_bare_host() {
    let p = RolieProvider::start();
    let feed = SourceSpec::Csaf {
        url: p.mirror.url(&format!("{WK}/feed-tlp-white.json")),
    };
    let d = syncer(false).discover(&feed).expect("discover feed");
    assert_eq!(d.documents.len(), 3);
    assert_eq!(
        d.documents[0].hash,
        HashSource::Linked {
            url: format!("{}.sha256", p.mirror.url(&p.doc_path(0))),
            algorithm: HashAlgorithm::Sha256
        }
    );
    assert_eq!(
        d.documents[0].listed_date.as_deref(),
        Some("2024-01-09T00:00:00.000Z")
    );
    // A bare host means its /.well-known/csaf/provider-metadata.json.
    let host = SourceSpec::parse(&p.mirror.url("/")).expect("parse");
    let d = syncer(false).discover(&host).expect("discover host");
    assert_eq!(d.documents.len(), 3);
}

// ── CSAF: a directory with changes.csv, then index.txt ──────────────────

#[test]
fn csaf_directory_changes_csv_then_index_txt_with_conditional_requests() {
    let m = Mirror::start();
    let dir = "/advisories/csaf";
    let metadata = format!(
        r#"{{"canonical_url":"{0}/.well-known/csaf/provider-metadata.json","metadata_version":"2.0","role":"csaf_provider",
"publisher":{{"category":"vendor","name":"Test Vendor","namespace":"https://vendor.test"}},
"distributions":[{{"directory_url":"{0}{dir}"}}]}}"#,
        m.url("")
    );
    m.put(
        "/.well-known/csaf/provider-metadata.json",
        Resource::json(metadata),
    );
    let a = advisory("DIR-1", "1", "2024-01-09T00:00:00.000Z");
    let b = advisory("DIR-2", "1", "2024-02-13T00:00:00.000Z");
    m.put(
        &format!("{dir}/2024/dir-1.json"),
        Resource::json(a.clone()).validated("\"a1\"", "Tue, 09 Jan 2024 00:00:00 GMT"),
    );
    m.put(
        &format!("{dir}/2024/dir-1.json.sha256"),
        Resource::text(sha256(&a)),
    );
    // B has no hash file at all: fetched unverified.
    m.put(
        &format!("{dir}/2024/dir-2.json"),
        Resource::json(b.clone()).validated("\"b1\"", "Tue, 13 Feb 2024 00:00:00 GMT"),
    );
    // Newest first, both fields quoted (CSAF 2.0), plus a broken line and a
    // path leaving the directory.
    let csv = "\"2024/dir-2.json\",\"2024-02-13T00:00:00.000Z\"\r\n\
               this line is not csv \"at all\r\n\
               \"../../etc/passwd\",\"2024-01-01T00:00:00.000Z\"\r\n\
               \"2024/dir-1.json\",\"2024-01-09T00:00:00.000Z\"\r\n";
    m.put(
        &format!("{dir}/changes.csv"),
        Resource::new("text/csv", csv),
    );
    m.put(
        &format!("{dir}/index.txt"),
        Resource::text("2024/dir-1.json\n2024/dir-2.json\n"),
    );
    let spec = SourceSpec::Csaf {
        url: m.url("/.well-known/csaf/provider-metadata.json"),
    };

    let mut state = SyncState::new();
    let first = run(&syncer(false), &spec, &mut state);
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    assert_eq!(
        first.fetched_labels(),
        ["2024/dir-1.json", "2024/dir-2.json"]
    );
    assert_eq!(first.fetched[0].1.verified, Some(HashAlgorithm::Sha256));
    assert_eq!(first.fetched[1].1.verified, None);
    assert_eq!(first.warnings.len(), 2, "{:?}", first.warnings);
    assert!(first.warnings[0].contains("line 2"), "{:?}", first.warnings);
    assert!(
        first.warnings[1].contains("outside the provider's directory"),
        "{:?}",
        first.warnings
    );
    let log = m.take_log();
    assert!(!log.iter().any(|r| r.path.contains("passwd")));
    // B had no .sha256, so .sha512 was tried too.
    assert!(log
        .iter()
        .any(|r| r.path == format!("{dir}/2024/dir-2.json.sha512")));

    let second = run(&syncer(false), &spec, &mut state);
    assert_eq!(second.unchanged_why(), [Unchanged::ListedDate; 2]);

    // Without changes.csv the listing has no dates: every document is asked
    // about with a conditional request, and the server answers 304.
    m.remove(&format!("{dir}/changes.csv"));
    m.take_log();
    let third = run(&syncer(false), &spec, &mut state);
    assert!(third.failed.is_empty(), "{:?}", third.failed);
    assert_eq!(third.unchanged_why(), [Unchanged::NotModified; 2]);
    let log = m.take_log();
    let docs: Vec<_> = log
        .iter()
        .filter(|r| r.path.starts_with(&format!("{dir}/2024/")))
        .collect();
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert_eq!(docs[0].header("if-none-match"), Some("\"a1\""));
    assert_eq!(
        docs[0].header("if-modified-since"),
        Some("Tue, 09 Jan 2024 00:00:00 GMT")
    );
    assert_eq!(docs[1].header("if-none-match"), Some("\"b1\""));

    // Neither listing: a clear error naming the directory.
    m.remove(&format!("{dir}/index.txt"));
    let e = syncer(false).discover(&spec).unwrap_err().to_string();
    assert!(
        e.contains(&m.url(&format!("{dir}/"))) && e.contains("neither changes.csv nor index.txt"),
        "{e}"
    );
}

#[test]
fn a_server_without_validators_that_sends_the_same_bytes_is_unchanged() {
    let m = Mirror::start();
    let a = advisory("NV-1", "1", "2024-01-09T00:00:00.000Z");
    m.put("/csaf/index.txt", Resource::text("nv-1.json\n"));
    m.put("/csaf/nv-1.json", Resource::json(a.clone()));
    let spec = SourceSpec::Csaf {
        url: m.url("/csaf/"),
    };
    let mut state = SyncState::new();
    let first = run(&syncer(false), &spec, &mut state);
    assert_eq!(first.fetched_labels(), ["nv-1.json"]);
    m.take_log();
    let second = run(&syncer(false), &spec, &mut state);
    assert_eq!(second.unchanged_why(), [Unchanged::SameContent]);
    let log = m.take_log();
    let doc = log
        .iter()
        .find(|r| r.path == "/csaf/nv-1.json")
        .expect("asked");
    assert_eq!(doc.header("if-none-match"), None, "no validators to send");
    assert!(
        !log.iter().any(|r| r.path.ends_with(".sha256")),
        "same bytes need no second check"
    );
    // Changed bytes are fetched and reported as changed.
    m.put(
        "/csaf/nv-1.json",
        Resource::json(advisory("NV-1", "2", "2024-02-01T00:00:00.000Z")),
    );
    let third = run(&syncer(false), &spec, &mut state);
    assert_eq!(third.fetched_labels(), ["nv-1.json"]);
    assert!(!third.fetched[0].1.new);
}

// ── Hashes ──────────────────────────────────────────────────────────────

fn doc_ref(m: &Mirror, path: &str, hash: HashSource) -> DocumentRef {
    DocumentRef {
        url: m.url(path),
        label: path.to_string(),
        kind: hfr_sync::DocumentKind::Csaf,
        listed_date: None,
        accept: Some("application/json".into()),
        hash,
    }
}

#[test]
fn a_hash_mismatch_is_an_error_and_nothing_is_returned() {
    let m = Mirror::start();
    let a = advisory("H-1", "1", "2024-01-09T00:00:00.000Z");
    m.put("/h/h-1.json", Resource::json(a.clone()));
    m.put(
        "/h/h-1.json.sha256",
        Resource::text(format!("{}  h-1.json\n", sha256(b"something else"))),
    );
    let s = syncer(false);
    let e = s
        .fetch(&doc_ref(&m, "/h/h-1.json", HashSource::Probe), None)
        .unwrap_err();
    assert!(matches!(e, SyncError::HashMismatch { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&m.url("/h/h-1.json"))
            && msg.contains(&m.url("/h/h-1.json.sha256"))
            && msg.contains(&sha256(&a))
            && msg.contains("not imported"),
        "{msg}"
    );

    // A SHA-512 file that does not match, found by probing.
    m.remove("/h/h-1.json.sha256");
    m.put("/h/h-1.json.sha512", Resource::text(sha512(b"other")));
    let e = s
        .fetch(&doc_ref(&m, "/h/h-1.json", HashSource::Probe), None)
        .unwrap_err();
    assert!(e.to_string().contains("SHA-512"), "{e}");

    // A hash file that is not one.
    m.put(
        "/h/h-1.json.sha512",
        Resource::new("text/html", "<html>nope</html>"),
    );
    let e = s
        .fetch(&doc_ref(&m, "/h/h-1.json", HashSource::Probe), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("h-1.json.sha512") && e.contains("not a SHA-512 file"),
        "{e}"
    );

    // A linked hash file that is missing.
    let linked = HashSource::Linked {
        url: m.url("/h/missing.sha256"),
        algorithm: HashAlgorithm::Sha256,
    };
    let e = s
        .fetch(&doc_ref(&m, "/h/h-1.json", linked), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.sha256") && e.contains("404"), "{e}");

    // A hash file the server fails on: not taken as "no hash".
    m.put("/h/h-1.json.sha256", Resource::text("").status(500));
    let e = s
        .fetch(&doc_ref(&m, "/h/h-1.json", HashSource::Probe), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("h-1.json.sha256") && e.contains("500"), "{e}");
}

// ── Bad answers ─────────────────────────────────────────────────────────

#[test]
fn statuses_and_bad_listings_name_the_url() {
    let m = Mirror::start();
    let s = syncer(false);

    let e = s
        .fetch(&doc_ref(&m, "/gone.json", HashSource::None), None)
        .unwrap_err();
    assert_eq!(e.status(), Some(404));
    assert_eq!(
        e.to_string(),
        format!("GET {}: HTTP 404 Not Found", m.url("/gone.json"))
    );

    m.put("/boom.json", Resource::json("{}").status(500));
    let e = s
        .fetch(&doc_ref(&m, "/boom.json", HashSource::None), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "GET {}: HTTP 500 Internal Server Error",
            m.url("/boom.json")
        )
    );

    // The provider metadata is missing.
    let spec = SourceSpec::Csaf {
        url: m.url("/.well-known/csaf/provider-metadata.json"),
    };
    let e = s.discover(&spec).unwrap_err().to_string();
    assert!(
        e.contains("/.well-known/csaf/provider-metadata.json") && e.contains("404"),
        "{e}"
    );

    // Not JSON; JSON but neither metadata nor feed; a feed of the wrong shape.
    m.put("/x.json", Resource::new("text/html", "<html></html>"));
    let e = s
        .discover(&SourceSpec::Csaf {
            url: m.url("/x.json"),
        })
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&m.url("/x.json")) && e.contains("not JSON"),
        "{e}"
    );
    m.put("/y.json", Resource::json(r#"{"document":{}}"#));
    let e = s
        .discover(&SourceSpec::Csaf {
            url: m.url("/y.json"),
        })
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("neither a CSAF provider-metadata.json nor a ROLIE feed"),
        "{e}"
    );
    m.put("/z.json", Resource::json(r#"{"feed":{"entry":"nope"}}"#));
    let e = s
        .discover(&SourceSpec::Csaf {
            url: m.url("/z.json"),
        })
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&m.url("/z.json")) && e.contains("not a ROLIE feed"),
        "{e}"
    );
    // Metadata whose only feed is TLP:RED.
    m.put(
        "/red/provider-metadata.json",
        Resource::json(
            r#"{"distributions":[{"rolie":{"feeds":[{"tlp_label":"RED","url":"https://x.test/red.json"}]}}]}"#,
        ),
    );
    let e = s
        .discover(&SourceSpec::Csaf {
            url: m.url("/red/provider-metadata.json"),
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("no distribution hfr can fetch"), "{e}");

    // Nobody listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let url = format!("http://{closed}/x.json");
    let e = s
        .discover(&SourceSpec::Csaf { url: url.clone() })
        .unwrap_err()
        .to_string();
    assert!(e.starts_with(&format!("GET {url}: ")), "{e}");
}

#[test]
fn truncated_transfers_are_errors() {
    let m = Mirror::start();
    let s = syncer(false);
    let body = advisory("T-1", "1", "2024-01-09T00:00:00.000Z");
    m.put(
        "/t/len.json",
        Resource::json(body.clone()).mode(Mode::TruncateAfter(100)),
    );
    let e = s
        .fetch(&doc_ref(&m, "/t/len.json", HashSource::None), None)
        .unwrap_err();
    assert!(matches!(e, SyncError::Transfer { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&m.url("/t/len.json")) && msg.contains("truncated"),
        "{msg}"
    );

    m.put(
        "/t/chunked.json",
        Resource::json(body.clone()).mode(Mode::ChunkedTruncateAfter(100)),
    );
    let e = s
        .fetch(&doc_ref(&m, "/t/chunked.json", HashSource::None), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains(&m.url("/t/chunked.json")), "{e}");

    // A whole chunked body is fine.
    m.put(
        "/t/ok.json",
        Resource::json(body.clone()).mode(Mode::Chunked),
    );
    match s.fetch(&doc_ref(&m, "/t/ok.json", HashSource::None), None) {
        Ok(DocumentFetch::Fetched(f)) => assert_eq!(f.bytes, body),
        other => panic!("{other:?}"),
    }

    // A gzip body cut short (the HTTP framing itself is complete).
    let mut gz = gzip_zeros(4);
    gz.truncate(gz.len() / 2);
    let mut r = Resource::json(gz);
    r.gzip = true;
    m.put("/t/gz.json", r);
    let e = s
        .fetch(&doc_ref(&m, "/t/gz.json", HashSource::None), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&m.url("/t/gz.json")) && e.contains("gzip"),
        "{e}"
    );
}

#[test]
fn a_gzip_body_within_the_limit_is_decoded() {
    let m = Mirror::start();
    let mut r = Resource::json(gzip_zeros(4));
    r.gzip = true;
    m.put("/gz.json", r);
    let f = syncer(false)
        .fetch(&doc_ref(&m, "/gz.json", HashSource::None), None)
        .expect("fetch");
    match f {
        DocumentFetch::Fetched(f) => {
            assert_eq!(f.bytes.len(), 4 * 1024 * 1024);
            assert!(f.bytes.iter().all(|&b| b == 0));
        }
        other => panic!("{other:?}"),
    }
    let log = m.take_log();
    assert!(
        log[0]
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip")),
        "{log:?}"
    );
}

#[test]
fn oversized_bodies_fail_with_the_limit_in_the_message() {
    let m = Mirror::start();
    let s = syncer(false);
    let limit = hfr_sync::DEFAULT_MAX_BODY;
    let zeros = |mode| Resource {
        body: Payload::Zeros(70 * 1024 * 1024),
        ..Resource::json(Vec::new()).mode(mode)
    };

    // Announced: refused before reading.
    m.put("/big/announced.json", zeros(Mode::Normal));
    let t = Instant::now();
    let e = s
        .fetch(&doc_ref(&m, "/big/announced.json", HashSource::None), None)
        .unwrap_err();
    assert!(
        matches!(e, SyncError::TooLarge { declared: Some(n), .. } if n == 70 * 1024 * 1024),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains(&format!("larger than the limit of {limit} bytes")),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(5));

    // Not announced (chunked): read up to the limit, then refused.
    m.put("/big/chunked.json", zeros(Mode::Chunked));
    let e = s
        .fetch(&doc_ref(&m, "/big/chunked.json", HashSource::None), None)
        .unwrap_err();
    assert!(
        matches!(e, SyncError::TooLarge { declared: None, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains(&m.url("/big/chunked.json")), "{e}");

    // A 1 GiB file announced: refused at once.
    m.put(
        "/big/gigabyte.json",
        Resource {
            body: Payload::Zeros(1 << 30),
            ..Resource::json(Vec::new())
        },
    );
    let e = s
        .fetch(&doc_ref(&m, "/big/gigabyte.json", HashSource::None), None)
        .unwrap_err();
    assert!(matches!(e, SyncError::TooLarge { .. }), "{e:?}");

    // A smaller configured limit applies to listings too.
    let small = Syncer::new(
        Client::new(ClientConfig {
            max_body: 1000,
            ..client_config()
        }),
        SyncOptions::default(),
    );
    m.put(
        "/big/feed.json",
        Resource::json(format!(
            r#"{{"feed":{{"entry":[]}},"pad":"{}"}}"#,
            "x".repeat(5000)
        )),
    );
    let e = small
        .discover(&SourceSpec::Csaf {
            url: m.url("/big/feed.json"),
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("limit of 1000 bytes"), "{e}");
}

#[test]
fn a_stalled_server_times_out() {
    let m = Mirror::start();
    m.put(
        "/slow.json",
        Resource::json("{}").mode(Mode::Stall(Duration::from_secs(3))),
    );
    let s = Syncer::new(
        Client::new(ClientConfig {
            read_timeout: Duration::from_millis(300),
            ..client_config()
        }),
        SyncOptions::default(),
    );
    let t = Instant::now();
    let e = s
        .fetch(&doc_ref(&m, "/slow.json", HashSource::None), None)
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(matches!(e, SyncError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains(&m.url("/slow.json")), "{e}");
}

// ── MSRC: the CVRF API over the 23 real monthly documents ───────────────

/// The text of the first `<cvrf:{tag}>` in `xml`.
fn xml_tag<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<cvrf:{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find('<')? + start;
    Some(&xml[start..end])
}

struct Month {
    id: String,
    initial: String,
    current: String,
    bytes: Vec<u8>,
}

/// The 23 documents, read at test time; `None` (skip) without the data set.
fn months() -> Option<Vec<Month>> {
    let dir = common::data_dir("msrc-cvrf")?;
    let mut out = Vec::new();
    for year in ["2016", "2017"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(year))
            .expect("read the data set")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).expect("read a document");
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(20000)]).into_owned();
            out.push(Month {
                id: xml_tag(&head, "ID").expect("ID").to_string(),
                initial: xml_tag(&head, "InitialReleaseDate")
                    .expect("InitialReleaseDate")
                    .to_string(),
                current: xml_tag(&head, "CurrentReleaseDate")
                    .expect("CurrentReleaseDate")
                    .to_string(),
                bytes,
            });
        }
    }
    assert_eq!(out.len(), 23, "the data set has 23 documents");
    Some(out)
}

const API: &str = "/cvrf/v3.0";

/// Serves `months` as the API does: the list, and each document with an
/// ETag and Last-Modified. `CvrfUrl` names Microsoft's host, as a copied
/// list would: the client must build document URLs from its base.
fn serve_msrc(m: &Mirror, months: &[Month]) {
    let value: Vec<String> = months
        .iter()
        .map(|mo| {
            format!(
                r#"{{"ID":"{id}","Alias":"{id}","DocumentTitle":"{id} Security Updates","Severity":null,"InitialReleaseDate":"{i}","CurrentReleaseDate":"{c}","CvrfUrl":"https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/{id}"}}"#,
                id = mo.id,
                i = mo.initial,
                c = mo.current
            )
        })
        .collect();
    m.put(
        &format!("{API}/updates"),
        Resource::json(format!(
            r#"{{"@odata.context":"https://api.msrc.microsoft.com/cvrf/v3.0/$metadata#updates","value":[{}]}}"#,
            value.join(",")
        )),
    );
    for mo in months {
        m.put(
            &format!("{API}/cvrf/{}", mo.id),
            Resource::new("application/xml", mo.bytes.clone()).validated(
                &format!("\"{}\"", &sha256(&mo.bytes)[..16]),
                "Wed, 01 Jan 2020 00:00:00 GMT",
            ),
        );
    }
}

fn msrc_spec(m: &Mirror, months: MonthSelection, format: MsrcFormat) -> SourceSpec {
    SourceSpec::Msrc {
        base: m.url(&format!("{API}/")),
        months,
        format,
    }
}

#[test]
fn msrc_mirror_all_months_then_nothing_then_one_revised() {
    let Some(mut months) = months() else { return };
    let m = Mirror::start();
    serve_msrc(&m, &months);
    let spec = msrc_spec(&m, MonthSelection::All, MsrcFormat::Xml);
    let mut state = SyncState::new();

    let t = Instant::now();
    let first = run(&syncer(false), &spec, &mut state);
    let took = t.elapsed();
    eprintln!(
        "MSRC mirror: 23 months, {} bytes, first sync in {:.2} s",
        months.iter().map(|m| m.bytes.len()).sum::<usize>(),
        took.as_secs_f64()
    );
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    assert_eq!(first.fetched.len(), 23);
    let labels = first.fetched_labels();
    assert_eq!(labels[0], "2016-Apr", "oldest first");
    assert_eq!(labels[22], "2017-Dec");
    let oob = labels
        .iter()
        .position(|l| *l == "Oct-OOB")
        .expect("Oct-OOB");
    assert_eq!(labels[oob - 1], "2016-Oct");
    for (label, f) in &first.fetched {
        let mo = months.iter().find(|mo| &mo.id == label).expect("month");
        assert_eq!(f.bytes, mo.bytes, "{label}");
        assert_eq!(f.verified, None);
    }
    let log = m.take_log();
    assert_eq!(log.len(), 24, "the list and 23 documents");
    assert_eq!(log[0].path, format!("{API}/updates"));
    assert_eq!(log[0].header("accept"), Some("application/json"));
    for r in &log[1..] {
        assert!(r.path.starts_with(&format!("{API}/cvrf/")), "{}", r.path);
        assert_eq!(r.header("accept"), Some("application/xml"));
        assert_eq!(r.header("user-agent"), Some(UA));
    }

    // Same CurrentReleaseDate: not one document requested.
    let second = run(&syncer(false), &spec, &mut state);
    assert_eq!(second.unchanged_why(), vec![Unchanged::ListedDate; 23]);
    assert_eq!(m.take_log().len(), 1, "only the list");

    // --recheck: 23 conditional requests, 23 × 304.
    let third = run(&syncer(true), &spec, &mut state);
    assert_eq!(third.unchanged_why(), vec![Unchanged::NotModified; 23]);
    for r in &m.take_log()[1..] {
        assert!(r.header("if-none-match").is_some(), "{}", r.path);
        assert_eq!(
            r.header("if-modified-since"),
            Some("Wed, 01 Jan 2020 00:00:00 GMT")
        );
    }

    // March 2017 is revised: a new date in the list and new bytes.
    let mar = months
        .iter()
        .position(|mo| mo.id == "2017-Mar")
        .expect("2017-Mar");
    months[mar].current = "2021-01-12T08:00:00Z".into();
    months[mar].bytes.extend_from_slice(b"\n<!-- revised -->\n");
    serve_msrc(&m, &months);
    let fourth = run(&syncer(false), &spec, &mut state);
    assert_eq!(fourth.fetched_labels(), ["2017-Mar"]);
    assert!(!fourth.fetched[0].1.new);
    assert_eq!(fourth.fetched[0].1.bytes, months[mar].bytes);
    assert_eq!(fourth.unchanged.len(), 22);
    let entry = state
        .get(&m.url(&format!("{API}/cvrf/2017-Mar")))
        .expect("entry");
    assert_eq!(
        entry.current_release_date.as_deref(),
        Some("2021-01-12T08:00:00Z")
    );
}

#[test]
fn msrc_month_selection_and_format() {
    let Some(months) = months() else { return };
    let m = Mirror::start();
    serve_msrc(&m, &months);
    let s = syncer(false);

    let since = MonthSelection::parse_since("2017-01").expect("since");
    let d = s
        .discover(&msrc_spec(&m, since, MsrcFormat::Xml))
        .expect("discover");
    let ids: Vec<&str> = d.documents.iter().map(|d| d.label.as_str()).collect();
    assert_eq!(ids.len(), 13, "{ids:?}");
    assert_eq!(ids[0], "2017-Jan");
    assert!(ids.contains(&"2017-May-B"));

    // Oct-OOB has no year in its id: its InitialReleaseDate places it.
    let since = MonthSelection::parse_since("2016-10").expect("since");
    let d = s
        .discover(&msrc_spec(&m, since, MsrcFormat::Xml))
        .expect("discover");
    assert!(d.documents.iter().any(|d| d.label == "Oct-OOB"));
    assert_eq!(
        d.documents.len(),
        17,
        "Oct, Oct-OOB, Nov, Dec and 13 of 2017"
    );

    let ids = MonthSelection::Ids(vec!["2017-mar".into(), "Oct-OOB".into()]);
    let d = s
        .discover(&msrc_spec(&m, ids, MsrcFormat::Json))
        .expect("discover");
    let got: Vec<(&str, &str)> = d
        .documents
        .iter()
        .map(|d| (d.label.as_str(), d.url.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("Oct-OOB", m.url(&format!("{API}/cvrf/Oct-OOB")).as_str()),
            ("2017-Mar", m.url(&format!("{API}/cvrf/2017-Mar")).as_str())
        ]
    );
    assert_eq!(d.documents[0].accept.as_deref(), Some("application/json"));
    assert_eq!(d.documents[0].kind, hfr_sync::DocumentKind::MsrcCvrfJson);

    let ids = MonthSelection::Ids(vec!["2017-Mar".into(), "2099-Jan".into()]);
    let e = s
        .discover(&msrc_spec(&m, ids, MsrcFormat::Xml))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2099-Jan") && !e.contains("2017-Mar,") && e.contains("23 updates"),
        "{e}"
    );

    // A copy recorded in XML does not count when JSON is asked for: no
    // validators are sent and the listed date does not skip it.
    let mut state = SyncState::new();
    let xml = run(
        &s,
        &msrc_spec(
            &m,
            MonthSelection::Ids(vec!["2017-Feb".into()]),
            MsrcFormat::Xml,
        ),
        &mut state,
    );
    assert_eq!(xml.fetched_labels(), ["2017-Feb"]);
    m.take_log();
    let json = run(
        &s,
        &msrc_spec(
            &m,
            MonthSelection::Ids(vec!["2017-Feb".into()]),
            MsrcFormat::Json,
        ),
        &mut state,
    );
    assert_eq!(json.fetched_labels(), ["2017-Feb"]);
    assert!(json.fetched[0].1.new);
    let log = m.take_log();
    assert_eq!(log[1].header("accept"), Some("application/json"));
    assert_eq!(log[1].header("if-none-match"), None);

    // Not the list of updates.
    m.put(
        &format!("{API}/updates"),
        Resource::json(r#"{"error":"x"}"#),
    );
    let e = s
        .discover(&msrc_spec(&m, MonthSelection::All, MsrcFormat::Xml))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&m.url(&format!("{API}/updates"))) && e.contains("not MSRC's list of updates"),
        "{e}"
    );
}

// ── The state file ──────────────────────────────────────────────────────

#[test]
fn state_file_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("none.json");
    assert!(SyncState::load(&missing)
        .expect("missing is empty")
        .is_empty());

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").expect("write");
    let e = SyncState::load(&bad).unwrap_err().to_string();
    assert!(
        e.contains(&bad.display().to_string()) && e.contains("not an hfr sync state"),
        "{e}"
    );

    let newer = dir.path().join("newer.json");
    std::fs::write(&newer, r#"{"version":9,"documents":{}}"#).expect("write");
    let e = SyncState::load(&newer).unwrap_err().to_string();
    assert!(e.contains("version 9"), "{e}");

    let mut state = SyncState::new();
    state.record(
        "https://x.test/a.json",
        hfr_sync::StateEntry {
            etag: Some("\"1\"".into()),
            ..Default::default()
        },
    );
    let file = dir.path().join("ok.json");
    state.save(&file).expect("save");
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains("\"https://x.test/a.json\""), "{text}");
    assert!(!text.contains("null"), "absent fields are left out: {text}");
    assert_eq!(SyncState::load(&file).expect("load"), state);
}
