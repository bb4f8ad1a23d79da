//! Bounded memory: a gzip bomb (about 1 MiB on the wire, 1 GiB inflated)
//! and an unannounced 70 MiB body are refused at the 64 MiB cap, and the
//! process never holds much more than the cap.
//!
//! A test binary of its own, with one test, so that the peak resident size
//! it reads (`VmHWM`) is this test's and no other's.

mod common;

use common::{client_config, gzip_zeros, Mirror, Mode, Payload, Resource};
use hfr_sync::{Client, DocumentKind, DocumentRef, HashSource, SyncError, SyncOptions, Syncer};

#[test]
fn bombs_and_huge_bodies_stay_within_the_cap() {
    let m = Mirror::start();
    let bomb = gzip_zeros(1024);
    let wire = bomb.len();
    let mut r = Resource::json(bomb);
    r.gzip = true;
    m.put("/bomb.json", r);
    m.put(
        "/zeros.json",
        Resource {
            body: Payload::Zeros(70 * 1024 * 1024),
            ..Resource::json(Vec::new()).mode(Mode::Chunked)
        },
    );
    let s = Syncer::new(Client::new(client_config()), SyncOptions::default());
    let cap = s.client().config().max_body;
    let doc = |path: &str| DocumentRef {
        url: m.url(path),
        label: path.into(),
        kind: DocumentKind::Csaf,
        listed_date: None,
        accept: None,
        hash: HashSource::None,
    };

    #[cfg(target_os = "linux")]
    let before = common::peak_rss();
    for path in ["/bomb.json", "/zeros.json"] {
        let e = s.fetch(&doc(path), None).unwrap_err();
        assert!(
            matches!(e, SyncError::TooLarge { declared: None, .. }),
            "{path}: {e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains(&m.url(path)) && msg.contains(&format!("limit of {cap} bytes")),
            "{msg}"
        );
    }
    #[cfg(target_os = "linux")]
    {
        let grown = common::peak_rss().saturating_sub(before);
        eprintln!(
            "gzip bomb of {wire} bytes (1 GiB inflated) and 70 MiB of zeros: peak memory grew by {} MiB (cap {} MiB)",
            grown >> 20,
            cap >> 20
        );
        // The cap plus room for buffers: far from the 1 GiB the bomb holds.
        assert!(
            grown < cap + 32 * 1024 * 1024,
            "peak memory grew by {grown} bytes"
        );
    }
}
