//! The HTTP client: one `ureq` agent with timeouts, a User-Agent, a cap on
//! the size of every body, and conditional requests.
//!
//! Why blocking `ureq`: a sync is a sequence of small downloads that the
//! caller processes one at a time, so an async client would buy nothing but
//! a runtime inside this crate; `ureq`'s default TLS is rustls with *ring*
//! and the Mozilla roots, crates the workspace already builds for mail, so
//! there is no OpenSSL or aws-lc to compile.
//!
//! Why the size cap is enforced here and twice: `ureq`'s own limit counts
//! the bytes on the wire, *before* gzip is undone, so a small gzip body can
//! inflate to gigabytes (a gzip bomb). The cap is therefore applied to the
//! wire bytes and again to the decoded bytes, while reading, so memory stays
//! bounded by the cap whatever the server sends.

use std::io::Read;
use std::time::Duration;

use crate::SyncError;

/// 64 MiB: Microsoft's largest monthly CVRF document is 2.7 MB and CSAF
/// advisories are far smaller, so anything this large is not a document.
pub const DEFAULT_MAX_BODY: u64 = 64 * 1024 * 1024;

/// How the client behaves. [`Default`] suits the public servers.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The largest body accepted, in bytes, after decompression.
    pub max_body: u64,
    /// Connecting (DNS, TCP and TLS).
    pub connect_timeout: Duration,
    /// The longest wait for the next bytes: a server that stalls is given up
    /// on without waiting for the overall limit.
    pub read_timeout: Duration,
    /// One whole request, redirects included: a server that trickles bytes
    /// just fast enough to dodge `read_timeout` is still cut off.
    pub total_timeout: Duration,
    /// `hfr/<version>`: tells a provider's operators who is fetching.
    pub user_agent: String,
    /// Use the proxy named by `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (and
    /// honour `NO_PROXY`), as administrators behind a proxy expect. Tests
    /// that talk to 127.0.0.1 turn it off.
    pub env_proxy: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            max_body: DEFAULT_MAX_BODY,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            total_timeout: Duration::from_secs(600),
            user_agent: format!("hfr/{}", env!("CARGO_PKG_VERSION")),
            env_proxy: true,
        }
    }
}

/// The validators of an earlier response, sent back as `If-None-Match` and
/// `If-Modified-Since` so an unchanged resource costs a 304 and no body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A response body, read whole (within the cap), with the headers a later
/// conditional request needs.
#[derive(Debug, Clone)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
}

/// The answer to a (possibly conditional) GET.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: the copy behind the validators is still current.
    NotModified,
    Body(Body),
}

/// A blocking HTTP(S) client. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    config: ClientConfig,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new(ClientConfig::default())
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            // Statuses are answers to report with their URL, not transport
            // failures; 304 in particular is the expected answer.
            .http_status_as_error(false)
            .user_agent(config.user_agent.as_str())
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_timeout))
            .timeout_global(Some(config.total_timeout))
            .proxy(if config.env_proxy {
                ureq::Proxy::try_from_env()
            } else {
                None
            })
            .build()
            .new_agent();
        Client { agent, config }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// GET `url`, conditional on `validators` when they are not empty,
    /// asking for `accept`. The body is capped at the configured limit.
    pub fn get(
        &self,
        url: &str,
        accept: Option<&str>,
        validators: &Validators,
    ) -> Result<Fetched, SyncError> {
        self.get_limited(url, accept, validators, self.config.max_body)
    }

    /// GET `url` unconditionally; `None` when the server says it does not
    /// exist (404 or 410). For the optional files of a CSAF provider:
    /// `changes.csv`, `index.txt`, `.sha256`/`.sha512`.
    pub fn get_optional(
        &self,
        url: &str,
        accept: Option<&str>,
        limit: u64,
    ) -> Result<Option<Body>, SyncError> {
        match self.get_limited(url, accept, &Validators::default(), limit) {
            Ok(Fetched::Body(body)) => Ok(Some(body)),
            Ok(Fetched::NotModified) => Err(unexpected_304(url)),
            Err(SyncError::Status {
                status: 404 | 410, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET `url` unconditionally and return its body: for listings that are
    /// read in full each time (provider metadata, ROLIE feeds, MSRC's list
    /// of updates), since a 304 would leave nothing to list from.
    pub fn get_body(&self, url: &str, accept: Option<&str>) -> Result<Body, SyncError> {
        match self.get(url, accept, &Validators::default())? {
            Fetched::Body(body) => Ok(body),
            Fetched::NotModified => Err(unexpected_304(url)),
        }
    }

    fn get_limited(
        &self,
        url: &str,
        accept: Option<&str>,
        validators: &Validators,
        limit: u64,
    ) -> Result<Fetched, SyncError> {
        check_url(url)?;
        let mut request = self.agent.get(url);
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        if let Some(etag) = &validators.etag {
            request = request.header("If-None-Match", etag.as_str());
        }
        if let Some(date) = &validators.last_modified {
            request = request.header("If-Modified-Since", date.as_str());
        }
        tracing::debug!(url, conditional = !validators.is_empty(), "GET");
        let response = request.call().map_err(|e| self.transport_error(url, e))?;
        let status = response.status();
        if status.as_u16() == 304 {
            if validators.is_empty() {
                return Err(unexpected_304(url));
            }
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(SyncError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_string(),
            });
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        let content_type = header("content-type");
        let (_, mut body) = response.into_parts();
        // A declared length over the cap is refused before reading a byte.
        // (After gzip decoding `ureq` reports no length: the cap below holds.)
        let declared = body.content_length();
        if let Some(n) = declared.filter(|&n| n > limit) {
            return Err(SyncError::TooLarge {
                url: url.to_string(),
                limit,
                declared: Some(n),
            });
        }
        let too_large = || SyncError::TooLarge {
            url: url.to_string(),
            limit,
            declared: None,
        };
        // One byte over the cap proves the body too large without reading on.
        let over = limit.saturating_add(1);
        let reader = body.with_config().limit(over).reader();
        let capacity = declared.unwrap_or(64 * 1024).min(limit) as usize;
        let mut bytes = Vec::with_capacity(capacity);
        match reader.take(over).read_to_end(&mut bytes) {
            Ok(_) => {}
            Err(e) => {
                return Err(match ureq::Error::from(e) {
                    ureq::Error::BodyExceedsLimit(_) => too_large(),
                    other => self.transport_error(url, other),
                })
            }
        }
        if bytes.len() as u64 > limit {
            return Err(too_large());
        }
        Ok(Fetched::Body(Body {
            bytes,
            etag,
            last_modified,
            content_type,
        }))
    }
}

fn unexpected_304(url: &str) -> SyncError {
    SyncError::Transfer {
        url: url.to_string(),
        reason: "the server answered 304 Not Modified to a request that was not conditional".into(),
    }
}

/// Only `http` and `https` URLs with a host: a listing that points at
/// `file:` or elsewhere must not make hfr read local files.
pub(crate) fn check_url(url: &str) -> Result<url::Url, SyncError> {
    let parsed = url::Url::parse(url).map_err(|e| SyncError::BadUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(SyncError::BadUrl {
            url: url.to_string(),
            reason: format!("the scheme is {}, not http or https", parsed.scheme()),
        });
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(SyncError::BadUrl {
            url: url.to_string(),
            reason: "no host".into(),
        });
    }
    Ok(parsed)
}

impl Client {
    /// `ureq`'s errors in words an administrator can act on, with the URL.
    fn transport_error(&self, url: &str, e: ureq::Error) -> SyncError {
        let url = url.to_string();
        let secs = |d: Duration| d.as_secs_f64();
        let reason = match e {
            ureq::Error::Timeout(what) => {
                let what = match what {
                    ureq::Timeout::Connect => format!(
                        "no connection within {} s",
                        secs(self.config.connect_timeout)
                    ),
                    ureq::Timeout::PerRead => format!(
                        "the server sent nothing for {} s",
                        secs(self.config.read_timeout)
                    ),
                    ureq::Timeout::Global => format!(
                        "the request took longer than {} s",
                        secs(self.config.total_timeout)
                    ),
                    other => format!("{other} timeout"),
                };
                return SyncError::Timeout { url, what };
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                "the connection closed before the whole response arrived (truncated transfer)"
                    .to_string()
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                return SyncError::Timeout {
                    url,
                    what: io.to_string(),
                }
            }
            ureq::Error::Io(io) => format!("connection error: {io}"),
            ureq::Error::HostNotFound => "host not found".to_string(),
            ureq::Error::ConnectionFailed => "could not connect".to_string(),
            ureq::Error::Protocol(p) => format!("not a valid HTTP/1.1 response: {p}"),
            ureq::Error::Tls(t) => format!("TLS: {t}"),
            ureq::Error::Decompress(kind, io) => {
                format!("the {kind}-compressed body is corrupt or cut short: {io}")
            }
            ureq::Error::TooManyRedirects => "too many redirects".to_string(),
            ureq::Error::BadUri(u) => format!("bad URL: {u}"),
            other => other.to_string(),
        };
        SyncError::Transfer { url, reason }
    }
}
