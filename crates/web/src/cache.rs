//! Rendered answers, kept until the archive changes.
//!
//! The archive changes a few times a day and is read all day, so rendering
//! each page once per change instead of once per request is what makes the
//! dynamic site about as fast as a static mirror. An entry is keyed by the
//! request's path and query, and remembers the archive [`Generation`] it was
//! rendered from; the generation is asked of the store at most once per
//! [`WebConfig::recheck`](crate::WebConfig::recheck), so a change made by
//! another process (`hfr import` while `hfr serve` runs) shows within that
//! interval. The ETag and the gzip and Brotli encodings of an entry are made
//! once, when first needed, instead of on every request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;
use hfr_store::{Generation, Store, StoreError};

use crate::http::Doc;

/// How many answers are kept at most. Filters and paging make the key space
/// open-ended; when it fills up the cache starts over, which keeps memory
/// bounded without the bookkeeping of an LRU for what is a small site.
const MAX_ENTRIES: usize = 2048;

/// Bodies smaller than this are sent as they are: compressing them saves
/// less than the headers cost.
const MIN_COMPRESS: usize = 256;

/// A content coding the client accepts, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    pub(crate) fn header(self) -> Option<&'static str> {
        match self {
            Coding::Brotli => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }

    /// The best coding an `Accept-Encoding` value allows (RFC 9110 12.5.3):
    /// Brotli, then gzip, each only with a q-value above 0; `*` stands for
    /// any coding not named.
    pub(crate) fn negotiate(accept: Option<&str>) -> Coding {
        let Some(accept) = accept else {
            return Coding::Identity;
        };
        let mut br = None;
        let mut gzip = None;
        let mut star = None;
        for part in accept.split(',') {
            let mut pieces = part.split(';');
            let name = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match name.as_str() {
                "br" => br = Some(q),
                "gzip" | "x-gzip" => gzip = Some(q),
                "*" => star = Some(q),
                _ => {}
            }
        }
        let ok = |q: Option<f32>| q.or(star).is_some_and(|q| q > 0.0);
        if ok(br) {
            Coding::Brotli
        } else if ok(gzip) {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }
}

/// One rendered answer and what is derived from it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) doc: Doc,
    pub(crate) etag: HeaderValue,
    generation: Arc<Generation>,
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
}

impl Entry {
    pub(crate) fn new(doc: Doc, generation: Arc<Generation>) -> Self {
        Entry {
            // Hex digits, quotes and `W/`: always a valid header value.
            etag: HeaderValue::from_str(&crate::http::etag(&doc.body))
                .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\"")),
            doc,
            generation,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The body in `coding`, compressed on first use; None when it is to be
    /// sent as it is (identity asked, a small body, or a compressor failure).
    pub(crate) fn encoded(&self, coding: Coding) -> Option<&Bytes> {
        if self.doc.body.len() < MIN_COMPRESS {
            return None;
        }
        match coding {
            Coding::Identity => None,
            Coding::Gzip => self.gzip.get_or_init(|| gzip(&self.doc.body)).as_ref(),
            Coding::Brotli => self.brotli.get_or_init(|| brotli(&self.doc.body)).as_ref(),
        }
    }
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(6),
    );
    e.write_all(body).ok()?;
    e.finish().ok().map(Bytes::from)
}

fn brotli(body: &[u8]) -> Option<Bytes> {
    let mut out = Vec::with_capacity(body.len() / 3);
    {
        // Quality 9 of 11: made once per page and archive change, so it can
        // afford to be thorough; window 22 is the format's default.
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        w.write_all(body).ok()?;
        w.flush().ok()?;
    }
    Some(Bytes::from(out))
}

/// The cache shared by all requests.
pub(crate) struct PageCache {
    recheck: Duration,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    /// The generation last seen and when it was asked for.
    seen: Mutex<Option<(Instant, Arc<Generation>)>>,
}

impl PageCache {
    pub(crate) fn new(recheck: Duration) -> Self {
        PageCache {
            recheck,
            entries: RwLock::new(HashMap::new()),
            seen: Mutex::new(None),
        }
    }

    /// The archive's generation, asked of the store when the last answer is
    /// older than the recheck interval. When it moved, every entry goes.
    pub(crate) async fn generation(
        &self,
        store: &dyn Store,
    ) -> Result<Arc<Generation>, StoreError> {
        if let Some((at, g)) = self.seen.lock().ok().and_then(|s| s.clone()) {
            if at.elapsed() < self.recheck {
                return Ok(g);
            }
        }
        let now = Instant::now();
        let fresh = store.generation().await?;
        let (current, moved) = match self.seen.lock() {
            Ok(mut seen) => {
                let (current, moved) = match seen.as_ref() {
                    // Unchanged: keep the Arc the entries were made with.
                    Some((_, old)) if **old == fresh => (old.clone(), false),
                    old => (Arc::new(fresh), old.is_some()),
                };
                *seen = Some((now, current.clone()));
                (current, moved)
            }
            Err(_) => (Arc::new(fresh), true),
        };
        if moved {
            self.clear();
        }
        Ok(current)
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }

    /// The entry for `key` rendered from generation `g`, if there is one.
    pub(crate) fn get(&self, key: &str, g: &Arc<Generation>) -> Option<Arc<Entry>> {
        let entries = self.entries.read().ok()?;
        entries
            .get(key)
            .filter(|e| Arc::ptr_eq(&e.generation, g) || *e.generation == **g)
            .cloned()
    }

    /// Keeps `doc`, rendered from generation `g`, under `key`.
    pub(crate) fn put(&self, key: String, doc: Doc, g: Arc<Generation>) -> Arc<Entry> {
        let entry = Arc::new(Entry::new(doc, g));
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, entry.clone());
        }
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Kind;
    use std::io::Read;

    #[test]
    fn negotiation_follows_q_values() {
        use Coding::*;
        assert_eq!(Coding::negotiate(None), Identity);
        assert_eq!(Coding::negotiate(Some("gzip, deflate, br")), Brotli);
        assert_eq!(Coding::negotiate(Some("gzip")), Gzip);
        assert_eq!(Coding::negotiate(Some("br;q=0, gzip;q=0.5")), Gzip);
        assert_eq!(Coding::negotiate(Some("br;q=0, gzip;q=0")), Identity);
        assert_eq!(Coding::negotiate(Some("*")), Brotli);
        assert_eq!(Coding::negotiate(Some("*;q=0, gzip")), Gzip);
        assert_eq!(Coding::negotiate(Some("identity")), Identity);
        assert_eq!(Coding::negotiate(Some("GZIP;Q=1")), Gzip);
        assert_eq!(Coding::negotiate(Some("br;q=nonsense")), Brotli);
    }

    #[test]
    fn encodings_decode_to_the_body() {
        let body = "深刻度 緊急 至急適用 ".repeat(200);
        let e = Entry::new(Doc::new(body.clone(), Kind::Html, None), Arc::default());
        let gz = e.encoded(Coding::Gzip).cloned().unwrap_or_default();
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
        assert!(gz.len() < body.len() / 4);
        let br = e.encoded(Coding::Brotli).cloned().unwrap_or_default();
        let mut plain = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
        // Made once, then shared.
        assert!(std::ptr::eq(
            e.encoded(Coding::Gzip).unwrap(),
            e.encoded(Coding::Gzip).unwrap()
        ));
        assert!(e.encoded(Coding::Identity).is_none());
        let small = Entry::new(Doc::new("<p>x</p>", Kind::Html, None), Arc::default());
        assert!(small.encoded(Coding::Gzip).is_none());
    }

    #[test]
    fn entries_of_another_generation_are_not_served() {
        let c = PageCache::new(Duration::from_secs(60));
        let g1 = Arc::new(Generation {
            revisions: 1,
            last: None,
        });
        let g2 = Arc::new(Generation {
            revisions: 2,
            last: None,
        });
        c.put("/".into(), Doc::new("one", Kind::Html, None), g1.clone());
        assert!(c.get("/", &g1).is_some());
        assert!(c.get("/", &g2).is_none());
        assert!(c.get("/alerts/", &g1).is_none());
        for i in 0..MAX_ENTRIES + 1 {
            c.put(format!("/{i}"), Doc::new("x", Kind::Html, None), g1.clone());
        }
        assert!(c.entries.read().map(|e| e.len()).unwrap_or(0) <= MAX_ENTRIES);
    }
}
