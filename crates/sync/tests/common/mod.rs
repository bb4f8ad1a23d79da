//! A local mirror for the sync tests: a small HTTP/1.1 server on
//! 127.0.0.1:0, written by hand over `std::net` so that a test controls
//! every byte (a Content-Length that lies, a chunked body that stops, a
//! body of 70 MiB of zeros generated on the fly, a server that stalls) and
//! can read back the headers of every request it received.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A body: bytes held in memory, or `n` zero bytes written in pieces
/// (so the server itself needs no memory for a huge body).
#[derive(Clone)]
pub enum Payload {
    Bytes(Arc<Vec<u8>>),
    Zeros(u64),
}

impl Payload {
    fn len(&self) -> u64 {
        match self {
            Payload::Bytes(b) => b.len() as u64,
            Payload::Zeros(n) => *n,
        }
    }
}

/// How the body is sent.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// With its Content-Length.
    Normal,
    /// `Transfer-Encoding: chunked`, no length announced.
    Chunked,
    /// Announces the whole length, sends this many bytes, closes.
    TruncateAfter(usize),
    /// Chunked, sends this many bytes, closes without the last chunk.
    ChunkedTruncateAfter(usize),
    /// Waits this long before answering at all.
    Stall(Duration),
}

#[derive(Clone)]
pub struct Resource {
    pub status: u16,
    pub body: Payload,
    pub content_type: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Sent as `Content-Encoding: gzip` (the body must already be gzip).
    pub gzip: bool,
    pub mode: Mode,
}

impl Resource {
    pub fn new(content_type: &str, body: impl Into<Vec<u8>>) -> Resource {
        Resource {
            status: 200,
            body: Payload::Bytes(Arc::new(body.into())),
            content_type: content_type.to_string(),
            etag: None,
            last_modified: None,
            gzip: false,
            mode: Mode::Normal,
        }
    }

    pub fn json(body: impl Into<Vec<u8>>) -> Resource {
        Resource::new("application/json", body)
    }

    pub fn text(body: impl Into<Vec<u8>>) -> Resource {
        Resource::new("text/plain", body)
    }

    /// With an ETag and a Last-Modified, so conditional requests can be
    /// answered with 304.
    pub fn validated(mut self, etag: &str, last_modified: &str) -> Resource {
        self.etag = Some(etag.to_string());
        self.last_modified = Some(last_modified.to_string());
        self
    }

    pub fn status(mut self, status: u16) -> Resource {
        self.status = status;
        self
    }

    pub fn mode(mut self, mode: Mode) -> Resource {
        self.mode = mode;
        self
    }
}

/// One request as the server received it; header names lower-cased.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub headers: HashMap<String, String>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

pub struct Mirror {
    pub addr: SocketAddr,
    resources: Arc<Mutex<HashMap<String, Resource>>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Mirror {
    pub fn start() -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let resources: Arc<Mutex<HashMap<String, Resource>>> = Arc::default();
        let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let (r, l) = (resources.clone(), log.clone());
        // The accept loop ends with the test process; each connection has
        // its own thread and ends when its one response is written.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, l) = (r.clone(), l.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &r, &l);
                });
            }
        });
        Mirror {
            addr,
            resources,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn put(&self, path: &str, resource: Resource) {
        self.resources
            .lock()
            .expect("lock")
            .insert(path.to_string(), resource);
    }

    pub fn remove(&self, path: &str) {
        self.resources.lock().expect("lock").remove(path);
    }

    /// The requests received since the last call, in order.
    pub fn take_log(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.log.lock().expect("lock"))
    }
}

fn serve(
    stream: TcpStream,
    resources: &Mutex<HashMap<String, Resource>>,
    log: &Mutex<Vec<Recorded>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let path = target.split('?').next().unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let request = Recorded {
        path: path.clone(),
        headers,
    };
    log.lock().expect("lock").push(request.clone());
    let resource = resources.lock().expect("lock").get(&path).cloned();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stream);
    let Some(res) = resource else {
        let body = b"not found\n";
        write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        out.write_all(body)?;
        return out.flush();
    };
    if let Mode::Stall(d) = res.mode {
        std::thread::sleep(d);
    }
    let not_modified = res.status == 200
        && match (request.header("if-none-match"), &res.etag) {
            (Some(inm), Some(etag)) => inm == etag,
            (Some(_), None) => false,
            (None, _) => matches!(
                (request.header("if-modified-since"), &res.last_modified),
                (Some(ims), Some(lm)) if ims == lm
            ),
        };
    let (status, reason) = if not_modified {
        (304, "Not Modified")
    } else {
        (
            res.status,
            match res.status {
                200 => "OK",
                404 => "Not Found",
                500 => "Internal Server Error",
                503 => "Service Unavailable",
                _ => "Status",
            },
        )
    };
    write!(out, "HTTP/1.1 {status} {reason}\r\nConnection: close\r\n")?;
    if let Some(e) = &res.etag {
        write!(out, "ETag: {e}\r\n")?;
    }
    if let Some(lm) = &res.last_modified {
        write!(out, "Last-Modified: {lm}\r\n")?;
    }
    if not_modified {
        out.write_all(b"\r\n")?;
        return out.flush();
    }
    write!(out, "Content-Type: {}\r\n", res.content_type)?;
    if res.gzip {
        out.write_all(b"Content-Encoding: gzip\r\n")?;
    }
    let chunked = matches!(res.mode, Mode::Chunked | Mode::ChunkedTruncateAfter(_));
    if chunked {
        out.write_all(b"Transfer-Encoding: chunked\r\n\r\n")?;
    } else {
        write!(out, "Content-Length: {}\r\n\r\n", res.body.len())?;
    }
    let stop_after = match res.mode {
        Mode::TruncateAfter(n) | Mode::ChunkedTruncateAfter(n) => Some(n as u64),
        _ => None,
    };
    let zeros = vec![0u8; 64 * 1024];
    let mut sent: u64 = 0;
    let total = res.body.len();
    while sent < total {
        let want = (total - sent).min(zeros.len() as u64);
        let want = match stop_after {
            Some(stop) if sent >= stop => break,
            Some(stop) => want.min(stop - sent),
            None => want,
        } as usize;
        let piece: &[u8] = match &res.body {
            Payload::Bytes(b) => &b[sent as usize..sent as usize + want],
            Payload::Zeros(_) => &zeros[..want],
        };
        if chunked {
            write!(out, "{want:x}\r\n")?;
            out.write_all(piece)?;
            out.write_all(b"\r\n")?;
        } else {
            out.write_all(piece)?;
        }
        sent += want as u64;
    }
    if chunked && stop_after.is_none() {
        out.write_all(b"0\r\n\r\n")?;
    }
    out.flush()
}

/// A valid gzip stream of `mib` MiB of zeros in about `mib` KiB: the same
/// independently compressed 1 MiB raw-deflate piece repeated (each ends
/// with a sync flush, so pieces concatenate), then an empty final block and
/// the gzip trailer. Built in milliseconds even in a debug build, where
/// compressing a gigabyte would take minutes.
pub fn gzip_zeros(mib: u32) -> Vec<u8> {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    let chunk = vec![0u8; 1024 * 1024];
    let mut c = Compress::new(Compression::best(), false);
    // Zeros compress about 1000:1, so 1 MiB of room holds the whole piece
    // and one call consumes the input and flushes.
    let mut piece = Vec::with_capacity(1024 * 1024);
    c.compress_vec(&chunk, &mut piece, FlushCompress::Sync)
        .expect("deflate");
    assert_eq!(c.total_in() as usize, chunk.len());
    assert!(piece.len() < piece.capacity(), "the flush did not finish");
    let mut piece_crc = Crc::new();
    piece_crc.update(&chunk);
    let mut crc = Crc::new();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..mib {
        out.extend_from_slice(&piece);
        crc.combine(&piece_crc);
    }
    // A final, empty block with fixed Huffman codes.
    out.extend_from_slice(&[0x03, 0x00]);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&((u64::from(mib) * 1024 * 1024) as u32).to_le_bytes());
    out
}

/// `shared/data/{sub}` beside the workspace: the public data sets. Absent,
/// a failure under CI (`CI=true`), elsewhere a notice and a skipped test.
pub fn data_dir(sub: &str) -> Option<PathBuf> {
    // Resolved at run time: a test binary can outlive the checkout it was
    // built in when checkouts share a target directory.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let dir = crate_dir.join("../../../shared/data").join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "the data set is missing: expected it in {} (shared/ beside the workspace)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("notice: {msg}; skipping this test");
    None
}

/// A client for the mirror: no proxy from the environment (127.0.0.1 must
/// be reached directly), short timeouts.
pub fn client_config() -> hfr_sync::ClientConfig {
    hfr_sync::ClientConfig {
        env_proxy: false,
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(10),
        total_timeout: Duration::from_secs(60),
        ..hfr_sync::ClientConfig::default()
    }
}

/// The peak resident memory of this process (VmHWM), in bytes.
#[cfg(target_os = "linux")]
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmHWM")
}
