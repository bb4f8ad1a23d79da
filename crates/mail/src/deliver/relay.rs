//! The SMTP relay: its URL, its connections, and one mail transaction with
//! the hand-over recorded at the last possible moment.
//!
//! lettre's pooled transport sends a message in one call, so a sender cannot
//! tell "the relay never saw this message" from "the relay has it, but we
//! died before its reply was recorded". Here the transaction is driven step
//! by step on lettre's connection: MAIL, RCPT, DATA, then the body, and only
//! between the body and the line that ends it (`.`), the store records the
//! row as *handed*. A sender killed before that point has not delivered the
//! message (the relay drops a DATA without its end); one killed after it has
//! (the end line is in the kernel's socket buffer microseconds later, and the
//! kernel sends it even after the process is gone). So after a crash, handed
//! rows count as sent and the others are sent again.
//!
//! What is left is the time between the store's commit and the end line
//! reaching the kernel: a kill in it loses the message. On a plain TCP
//! connection hfr writes the body and the end line itself (lettre only sends
//! the commands and reads the replies), and the end line is written by the
//! store's after-commit code ([`hfr_store::Store::record_outbox_then`]): on
//! SQLite from the committing thread, microseconds after the commit. On TLS
//! connections lettre writes the message, and the end line follows the
//! commit once the awaiting task has woken up.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use std::os::fd::AsFd;

use hfr_store::AfterCommit;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::Error as SmtpError;

use super::finisher::{Finisher, Link};
use super::DeliveryError;

/// How long one SMTP step (connecting, a command, the message) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// Plain SMTP: for a relay on this host or a trusted network.
    None,
    /// STARTTLS after connecting (submission, port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// Where and how to reach the relay, from a URL: `smtp://host:port` (plain,
/// for a local relay), `smtp+starttls://…` or `smtps://…`, with
/// `user:password@` when the relay wants a login.
#[derive(Clone)]
pub struct Relay {
    security: Security,
    host: String,
    port: u16,
    credentials: Option<Credentials>,
    /// The URL without its password, for messages and logs.
    shown: String,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Relay {
    pub fn parse(url: &str) -> Result<Relay, DeliveryError> {
        let shown = redact(url);
        let bad = |reason: &str| DeliveryError::Relay {
            url: shown.clone(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("not a URL"))?;
        let rest = rest.trim_end_matches('/');
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let (security, default_port) = match scheme {
            "smtp" => (Security::None, 25),
            "smtp+starttls" => (Security::StartTls, 587),
            "smtps" => (Security::Tls, 465),
            _ => return Err(bad("the scheme must be smtp, smtp+starttls or smtps")),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("bad port"))?),
            None => (hostport, default_port),
        };
        if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
            return Err(bad("no host"));
        }
        let credentials = auth.map(|a| {
            let (user, pass) = a.split_once(':').unwrap_or((a, ""));
            Credentials::new(user.to_string(), pass.to_string())
        });
        Ok(Relay {
            security,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            credentials,
            shown,
        })
    }

    /// A new connection, greeted, encrypted and logged in as the URL says.
    ///
    /// For `smtp` and `smtp+starttls` the TCP connection is made here
    /// ([`Relay::tcp`]), with TCP_NODELAY: the end line of a message is a
    /// small write of its own (see [`transact`]), and with Nagle's algorithm
    /// it would wait for the relay's delayed ACK, some 40 ms per message.
    pub(super) async fn connect(
        &self,
        finisher: Option<&Arc<Finisher>>,
    ) -> Result<Connection, Failure> {
        let hello = ClientId::default();
        let tls = |host: &str| TlsParameters::new(host.to_string());
        let mut raw = None;
        let mut conn = match self.security {
            Security::Tls => {
                step(AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(STEP_TIMEOUT),
                    &hello,
                    Some(tls(&self.host)?),
                    None,
                ))
                .await?
            }
            Security::None | Security::StartTls => {
                let tcp = tokio::time::timeout(STEP_TIMEOUT, self.tcp())
                    .await
                    .map_err(|_| Failure::temporary("connecting to the relay timed out"))??;
                let tcp = SharedTcp(Arc::new(tcp));
                let mut conn = step(AsyncSmtpConnection::connect_with_transport(
                    Box::new(tcp.clone()),
                    &hello,
                ))
                .await?;
                if self.security == Security::StartTls {
                    step(conn.starttls(tls(&self.host)?, &hello)).await?;
                } else {
                    raw = Some(tcp);
                }
                conn
            }
        };
        if let Some(credentials) = &self.credentials {
            step(conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)).await?;
        }
        let link = match (&raw, finisher) {
            (Some(tcp), Some(f)) => f.register(tcp.0.as_fd()),
            _ => None,
        };
        Ok(Connection {
            smtp: conn,
            raw,
            link,
        })
    }
}

impl Relay {
    /// A TCP connection to the relay with TCP_NODELAY and a send buffer
    /// that holds a whole mail. The buffer matters for the hand-over: once
    /// the body is in the kernel, the end line written after the recorded
    /// hand-over goes into the buffer at once instead of waiting, in this
    /// process, for a slow relay to read; and what is in the kernel is sent
    /// even if the process is killed a moment later.
    async fn tcp(&self) -> Result<tokio::net::TcpStream, Failure> {
        let fail = |e: std::io::Error| Failure::temporary(format!("cannot connect to {self}: {e}"));
        let mut last = None;
        for addr in tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(fail)?
        {
            let socket = if addr.is_ipv4() {
                tokio::net::TcpSocket::new_v4()
            } else {
                tokio::net::TcpSocket::new_v6()
            }
            .map_err(fail)?;
            // The kernel caps it (net.core.wmem_max); a mail of a few
            // hundred kilobytes still fits.
            let _ = socket.set_send_buffer_size(SEND_BUFFER);
            match socket.connect(addr).await {
                Ok(tcp) => {
                    tcp.set_nodelay(true).map_err(fail)?;
                    return Ok(tcp);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => fail(e),
            None => Failure::temporary(format!("{self}: the host has no address")),
        })
    }
}

/// The send buffer asked for: room for a whole mail.
const SEND_BUFFER: u32 = 1 << 20;

/// One connection to the relay.
pub(super) struct Connection {
    pub(super) smtp: AsyncSmtpConnection,
    /// The TCP connection under a plain-text session, shared with lettre:
    /// hfr writes message bodies and end lines on it (see [`transact`]).
    /// None under TLS.
    raw: Option<SharedTcp>,
    /// The finisher's duplicate of `raw`, when there is a finisher.
    link: Option<Link>,
}

/// A TCP connection that lettre and hfr both use: lettre for the commands
/// and replies, hfr for the message data, never at the same time. (Tokio's
/// stream takes reads and writes through a shared reference.)
#[derive(Debug, Clone)]
struct SharedTcp(Arc<TcpStream>);

impl AsyncRead for SharedTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            match self.0.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for SharedTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // Written straight to the socket: nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // The socket closes when the last handle is dropped.
        Poll::Ready(Ok(()))
    }
}

impl lettre::transport::smtp::client::AsyncTokioStream for SharedTcp {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
    }
}

impl SharedTcp {
    /// Writes all of `data`, waiting while the socket buffer is full.
    async fn write_all(&self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            self.0.writable().await?;
            match self.0.try_write(data) {
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The message data as it goes on the wire: dot-stuffed (a line that starts
/// with `.` gets another, RFC 5321 4.5.2), and the end line that follows it:
/// `.` CRLF after a body that ends with CRLF, else CRLF `.` CRLF.
fn wire(body: &[u8]) -> (Vec<u8>, &'static [u8]) {
    let mut out = Vec::with_capacity(body.len() + body.len() / 64 + 8);
    for line in body.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    let end: &'static [u8] = if body.is_empty() || body.ends_with(b"\r\n") {
        b".\r\n"
    } else {
        b"\r\n.\r\n"
    };
    (out, end)
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
        _ => url.to_string(),
    }
}

/// One step, bounded by [`STEP_TIMEOUT`].
async fn step<T>(f: impl Future<Output = Result<T, SmtpError>>) -> Result<T, Failure> {
    match tokio::time::timeout(STEP_TIMEOUT, f).await {
        Ok(r) => r.map_err(Failure::from),
        Err(_) => Err(Failure::temporary(format!(
            "the relay did not answer within {} s",
            STEP_TIMEOUT.as_secs()
        ))),
    }
}

/// Why one message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// 5xx: the relay refuses it and trying again would not help; otherwise
    /// (4xx, a broken connection, a timeout) it may go later.
    pub(super) permanent: bool,
    /// The relay answered with a refusal (the connection is still in step).
    from_relay: bool,
    /// The relay's reply, or what went wrong.
    pub(super) text: String,
}

impl Failure {
    pub(super) fn temporary(text: impl Into<String>) -> Self {
        Failure {
            permanent: false,
            from_relay: false,
            text: text.into(),
        }
    }

    pub(super) fn permanent(text: impl Into<String>) -> Self {
        Failure {
            permanent: true,
            from_relay: false,
            text: text.into(),
        }
    }
}

impl From<SmtpError> for Failure {
    fn from(e: SmtpError) -> Self {
        Failure {
            permanent: e.is_permanent(),
            from_relay: e.is_permanent() || e.is_transient(),
            text: e.to_string(),
        }
    }
}

/// What [`transact`] did.
#[derive(Debug)]
pub(super) enum Transaction {
    /// The relay accepted the message.
    Accepted,
    /// The relay refused it before it was handed over.
    Refused(Failure),
    /// It was handed over (and the hand-over recorded), then the relay
    /// refused it or the connection failed before its reply.
    RefusedAfterHandOver(Failure),
    /// The hand-over could not be recorded, so the message was not sent:
    /// the store failed, or the row is no longer this sender's.
    NotHandedOver(HandOverRefused),
}

/// Why a hand-over was not recorded.
#[derive(Debug)]
pub(super) enum HandOverRefused {
    /// Another sender took the row over.
    Lost,
    /// The store failed.
    Store(String),
}

/// Sends one message on `conn` (a whole SMTP transaction), calling
/// `hand_over` between the body and its end line with the code that writes
/// the end line, to be run right after the hand-over is committed. The
/// connection is left ready for the next message, or `*conn` is None when
/// it broke.
///
/// When `hand_over` says no, the connection is dropped, and the relay drops
/// the unfinished DATA. (On a TLS connection with a worker thread runtime,
/// lettre has written the end line already; see [`transact_tls`].)
pub(super) async fn transact<H, F>(
    conn: &mut Option<Connection>,
    envelope: &Envelope,
    body: &[u8],
    row: i64,
    hand_over: H,
) -> Transaction
where
    H: FnOnce(AfterCommit) -> F,
    F: Future<Output = Result<(), HandOverRefused>>,
{
    let Some(c) = conn.as_mut() else {
        return Transaction::Refused(Failure::temporary("no connection"));
    };
    // Before the hand-over: any failure means the relay does not have it.
    if let Err(f) = prepare(&mut c.smtp, envelope, body).await {
        reset_or_drop(conn, &f).await;
        return Transaction::Refused(f);
    }
    let Some(c) = conn.as_mut() else {
        return Transaction::Refused(Failure::temporary("no connection"));
    };
    let Some(raw) = c.raw.clone() else {
        return transact_tls(conn, body, hand_over).await;
    };
    let (data, end) = wire(body);
    let broken = |what: &str, e: String| Failure::temporary(format!("{what}: {e}"));
    match tokio::time::timeout(STEP_TIMEOUT, raw.write_all(&data)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            drop_connection(conn).await;
            return Transaction::Refused(broken("writing the message", e.to_string()));
        }
        Err(_) => {
            drop_connection(conn).await;
            return Transaction::Refused(Failure::temporary(
                "the relay did not take the message in time",
            ));
        }
    }
    // The end line, from the store's after-commit code: usually all five
    // (or three) bytes go into the socket buffer at once; whatever does not
    // is written below.
    let written = Arc::new(AtomicUsize::new(0));
    let then: AfterCommit = {
        let (raw, written) = (raw.clone(), written.clone());
        Box::new(move || {
            fault::pause_after_hand_over();
            if let Ok(n) = raw.0.try_write(end) {
                written.store(n, Ordering::Release);
            }
        })
    };
    // The finisher completes the hand-over should this process die from
    // here on (see `finisher`).
    if let Some(link) = conn.as_ref().and_then(|c| c.link.as_ref()) {
        link.pending(row, end);
    }
    if let Err(e) = hand_over(then).await {
        if let (HandOverRefused::Lost, Some(link)) =
            (&e, conn.as_ref().and_then(|c| c.link.as_ref()))
        {
            // Not recorded, so the end line was not written: nothing to finish.
            link.done();
        }
        drop_connection(conn).await;
        return Transaction::NotHandedOver(e);
    }
    let rest = &end[written.load(Ordering::Acquire).min(end.len())..];
    let sent = match tokio::time::timeout(STEP_TIMEOUT, raw.write_all(rest)).await {
        Ok(Ok(())) => match conn.as_mut() {
            Some(c) => {
                if let Some(link) = &c.link {
                    link.done();
                }
                step(c.smtp.read_response()).await.map(|_| ())
            }
            None => Err(Failure::temporary("no connection")),
        },
        Ok(Err(e)) => Err(broken("writing the end of the message", e.to_string())),
        Err(_) => Err(Failure::temporary(
            "the relay did not take the end of the message in time",
        )),
    };
    match sent {
        Ok(()) => Transaction::Accepted,
        Err(f) => {
            reset_or_drop(conn, &f).await;
            Transaction::RefusedAfterHandOver(f)
        }
    }
}

/// The message on a TLS connection, where lettre writes it: through
/// `message_iter`, whose body iterator runs the hand-over when it is done,
/// right before lettre writes the end line. That needs a worker thread
/// runtime (the hand-over is awaited inside the iterator); elsewhere the
/// hand-over is recorded before the body, a few microseconds earlier.
async fn transact_tls<H, F>(conn: &mut Option<Connection>, body: &[u8], hand_over: H) -> Transaction
where
    H: FnOnce(AfterCommit) -> F,
    F: Future<Output = Result<(), HandOverRefused>>,
{
    let Some(c) = conn.as_mut() else {
        return Transaction::Refused(Failure::temporary("no connection"));
    };
    let nothing = || -> AfterCommit { Box::new(|| {}) };
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let sent = if multi_thread {
        let handle = tokio::runtime::Handle::current();
        let mut refused = None;
        let mut hand_over = Some(hand_over);
        let parts = HandOver {
            body: Some(body),
            at_end: || {
                if let Some(h) = hand_over.take() {
                    refused = tokio::task::block_in_place(|| handle.block_on(h(nothing()))).err();
                }
            },
        };
        // No timeout around this one: cancelling it could stop it between
        // the recorded hand-over and the end line.
        let r = c.smtp.message_iter(parts).await.map_err(Failure::from);
        if let Some(e) = refused {
            // The end line went out with the hand-over unrecorded (lettre
            // offers no way to stop it): the relay may have the message.
            // Treat it as not handed over: a later attempt may repeat it,
            // which is better than losing it.
            drop_connection(conn).await;
            return Transaction::NotHandedOver(e);
        }
        r
    } else {
        if let Err(e) = hand_over(nothing()).await {
            drop_connection(conn).await;
            return Transaction::NotHandedOver(e);
        }
        step(c.smtp.message(body)).await
    };
    match sent {
        Ok(_) => Transaction::Accepted,
        Err(f) => {
            reset_or_drop(conn, &f).await;
            Transaction::RefusedAfterHandOver(f)
        }
    }
}

/// Fault injection for the crash tests, off unless the environment asks.
mod fault {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::Duration;

    /// `HFR_FAULT_HANDOVER_PAUSE=N:MS`: the Nth hand-over of this process
    /// (counting from 1) waits MS milliseconds after it is recorded and
    /// before its end line is written, the one moment in which a killed
    /// sender would lose a mail without the finisher. A test kills the
    /// sender in that pause and checks that the mail arrives all the same.
    pub(super) fn pause_after_hand_over() {
        static PAUSE: OnceLock<Option<(u64, u64)>> = OnceLock::new();
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let pause = PAUSE.get_or_init(|| {
            let v = std::env::var("HFR_FAULT_HANDOVER_PAUSE").ok()?;
            let (n, ms) = v.split_once(':')?;
            Some((n.trim().parse().ok()?, ms.trim().parse().ok()?))
        });
        if let Some((n, ms)) = *pause {
            if COUNT.fetch_add(1, Ordering::Relaxed) + 1 == n {
                tracing::warn!(n, ms, "fault injection: pausing after a recorded hand-over");
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
    }
}

/// MAIL, RCPT and DATA, with the parameters lettre's own `send` uses.
async fn prepare(
    c: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    body: &[u8],
) -> Result<(), Failure> {
    let mut params = Vec::new();
    let non_ascii_addresses = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
    if non_ascii_addresses {
        if !c.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(Failure::permanent(
                "the address is not ASCII and the relay does not offer SMTPUTF8",
            ));
        }
        params.push(MailParameter::SmtpUtfEight);
    }
    if !body.is_ascii() {
        if !c.server_info().supports_feature(Extension::EightBitMime) {
            return Err(Failure::permanent(
                "the message is 8-bit and the relay does not offer 8BITMIME",
            ));
        }
        params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    step(c.command(Mail::new(envelope.from().cloned(), params))).await?;
    for to in envelope.to() {
        step(c.command(Rcpt::new(to.clone(), Vec::new()))).await?;
    }
    step(c.command(Data)).await?;
    Ok(())
}

/// After a refused step: an SMTP refusal leaves the connection usable once
/// the transaction is reset; anything else (a broken connection, a timeout,
/// a garbled reply) and the connection is dropped.
async fn reset_or_drop(conn: &mut Option<Connection>, failure: &Failure) {
    let reset = match conn.as_mut() {
        Some(c) if failure.from_relay && !c.smtp.has_broken() => {
            step(c.smtp.command(Rset)).await.is_ok()
        }
        _ => false,
    };
    if !reset {
        drop_connection(conn).await;
    }
}

pub(super) async fn drop_connection(conn: &mut Option<Connection>) {
    if let Some(mut c) = conn.take() {
        c.smtp.abort().await;
    }
}

/// The body, then nothing: lettre writes the end line when the iterator is
/// done, so `at_end` runs right before it.
struct HandOver<'a, E: FnMut()> {
    body: Option<&'a [u8]>,
    at_end: E,
}

impl<'a, E: FnMut()> Iterator for HandOver<'a, E> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some(b) = self.body.take() {
            return Some(b);
        }
        (self.at_end)();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_checked_and_passwords_kept_out_of_errors() {
        let r = Relay::parse("smtp://127.0.0.1:2525").map(|r| (r.host, r.port, r.security));
        assert_eq!(r.ok(), Some(("127.0.0.1".into(), 2525, Security::None)));
        let r = Relay::parse("smtp+starttls://user:pw@mail.example.jp").ok();
        assert_eq!(
            r.map(|r| (r.port, r.security, r.shown)),
            Some((
                587,
                Security::StartTls,
                "smtp+starttls://…@mail.example.jp".into()
            ))
        );
        assert_eq!(Relay::parse("smtps://h").ok().map(|r| r.port), Some(465));
        let err = Relay::parse("ftp://user:secret@host:1")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("scheme") && !err.contains("secret"), "{err}");
        assert!(Relay::parse("smtp://host:notaport").is_err());
        assert!(Relay::parse("smtp://:25").is_err());
        assert!(Relay::parse("nonsense").is_err());
    }

    #[test]
    fn message_data_is_dot_stuffed_and_ended_once() {
        let (data, end) = wire(b".top\r\nmid.dle\r\n..two\r\n.\r\nlast");
        assert_eq!(data, b"..top\r\nmid.dle\r\n...two\r\n..\r\nlast");
        assert_eq!(end, b"\r\n.\r\n");
        let (data, end) = wire(b"a\r\n.\r\n");
        assert_eq!((data.as_slice(), end), (&b"a\r\n..\r\n"[..], &b".\r\n"[..]));
        assert_eq!(wire(b""), (Vec::new(), &b".\r\n"[..]));
        // A bare LF starts a line too, for relays that read it so.
        assert_eq!(wire(b"a\n.b\r\n").0, b"a\n..b\r\n");
    }

    #[test]
    fn the_hand_over_runs_after_the_body_and_before_the_end() {
        let mut log = Vec::new();
        let mut calls = 0;
        let parts = HandOver {
            body: Some(&b"body"[..]),
            at_end: || calls += 1,
        };
        for p in parts {
            log.push(p.to_vec());
        }
        assert_eq!(log, vec![b"body".to_vec()]);
        assert_eq!(calls, 1);
    }
}
