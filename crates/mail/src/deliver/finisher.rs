//! The finisher: a small process that outlives a killed sender and finishes
//! what the sender's store says it did.
//!
//! A mail is *handed* to the relay when the store records it and the line
//! that ends its DATA (`.`) is written, in that order (see [`super::relay`]).
//! No store shares a transaction with an SMTP relay, so a sender killed
//! between the two would leave a mail recorded as delivered that the relay
//! never got. How long that window is depends on the store: microseconds on
//! SQLite, where the end line is written from the committing thread, but a
//! network reply and a thread wake-up on PostgreSQL, which a loaded host
//! stretches to milliseconds.
//!
//! The finisher closes the window instead of narrowing it. It is a child
//! process that holds a duplicate of every plain-TCP relay connection (passed
//! over a Unix socket with `SCM_RIGHTS`), so a killed sender's connections
//! stay open. Before each hand-over the sender tells it which row and which
//! end line are pending on which connection, and after the end line is out,
//! that they are done. When the sender's end of the socket closes (it exited
//! or was killed), the finisher asks the store which pending rows were
//! recorded as handed, writes their end lines, and closes every connection:
//! the relay completes exactly the mails the store counts as sent and drops
//! the others' unfinished DATA, which the next sender sends again.
//!
//! When a sender dies after writing an end line but before saying so, the
//! finisher writes it a second time: the relay reads that as an empty line
//! and a `.` between transactions, answers them with errors, and delivers
//! nothing twice.
//!
//! The messages are fixed-size records on a `SOCK_SEQPACKET` socket, so each
//! one arrives whole and an attached descriptor stays with its record.

use std::collections::HashMap;
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hfr_store::Store;
use rustix::net::{
    recvmsg, sendmsg, AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags,
    SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketFlags, SocketType,
};

/// Bytes in one record: kind, end-line length, conn (u32), row (i64), end
/// line (at most 5 bytes), padding.
const RECORD: usize = 24;

const REGISTER: u8 = 1;
const PENDING: u8 = 2;
const DONE: u8 = 3;
const CLOSE: u8 = 4;

/// How long the finisher tries to write an end line into a full socket.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// A socket pair for a sender and its finisher: give `finisher` to the
/// finisher process (e.g. as its standard input) and `sender` to
/// [`Finisher::new`].
pub struct Pair {
    pub sender: OwnedFd,
    pub finisher: OwnedFd,
}

/// A new pair, close-on-exec (the caller passes the finisher's end on
/// explicitly).
pub fn pair() -> std::io::Result<Pair> {
    let (sender, finisher) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?;
    Ok(Pair { sender, finisher })
}

/// The sender's side: tells the finisher about connections and hand-overs.
/// Cheap to share; after the first failure (the finisher is gone) it logs
/// once and does nothing, and delivery goes on with the narrower guarantee
/// of the store alone.
pub struct Finisher {
    socket: Mutex<OwnedFd>,
    next: AtomicU32,
    broken: AtomicBool,
}

impl std::fmt::Debug for Finisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Finisher")
    }
}

impl Finisher {
    pub fn new(socket: OwnedFd) -> Arc<Finisher> {
        Arc::new(Finisher {
            socket: Mutex::new(socket),
            next: AtomicU32::new(1),
            broken: AtomicBool::new(false),
        })
    }

    /// Hands the finisher a duplicate of `tcp`; the number names it later.
    pub(super) fn register(self: &Arc<Self>, tcp: BorrowedFd<'_>) -> Option<Link> {
        let conn = self.next.fetch_add(1, Ordering::Relaxed);
        self.send(&record(REGISTER, conn, 0, b""), Some(tcp))
            .then(|| Link {
                finisher: self.clone(),
                conn,
            })
    }

    fn send(&self, record: &[u8; RECORD], fd: Option<BorrowedFd<'_>>) -> bool {
        if self.broken.load(Ordering::Relaxed) {
            return false;
        }
        let fds = fd.map(|f| [f]);
        let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        if let Some(fds) = &fds {
            control.push(SendAncillaryMessage::ScmRights(fds));
        }
        let sent = match self.socket.lock() {
            Ok(socket) => sendmsg(
                &*socket,
                &[IoSlice::new(record)],
                &mut control,
                SendFlags::NOSIGNAL,
            ),
            Err(_) => Err(rustix::io::Errno::IO),
        };
        match sent {
            Ok(n) if n == RECORD => true,
            other => {
                if !self.broken.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        result = ?other,
                        "the finisher is gone: a sender killed now may lose a mail it handed over"
                    );
                }
                false
            }
        }
    }
}

/// One registered connection.
pub(super) struct Link {
    finisher: Arc<Finisher>,
    conn: u32,
}

impl Link {
    /// Before the hand-over of `row` is recorded: its end line is `end`.
    pub(super) fn pending(&self, row: i64, end: &[u8]) {
        self.finisher
            .send(&record(PENDING, self.conn, row, end), None);
    }

    /// The end line is out (or the hand-over was not recorded).
    pub(super) fn done(&self) {
        self.finisher.send(&record(DONE, self.conn, 0, b""), None);
    }
}

impl Drop for Link {
    /// The connection is closed: the finisher closes its duplicate.
    fn drop(&mut self) {
        self.finisher.send(&record(CLOSE, self.conn, 0, b""), None);
    }
}

fn record(kind: u8, conn: u32, row: i64, end: &[u8]) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    let end = &end[..end.len().min(5)];
    r[0] = kind;
    r[1] = end.len() as u8;
    r[4..8].copy_from_slice(&conn.to_le_bytes());
    r[8..16].copy_from_slice(&row.to_le_bytes());
    r[16..16 + end.len()].copy_from_slice(end);
    r
}

/// A connection as the finisher holds it.
struct Held {
    tcp: OwnedFd,
    /// The row whose hand-over may be recorded, and its end line.
    pending: Option<(i64, Vec<u8>)>,
}

/// What the finisher did when its sender went away.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// Connections it held at the end.
    pub connections: usize,
    /// Hand-overs that were pending.
    pub pending: usize,
    /// End lines it wrote (the store had recorded those hand-overs).
    pub completed: usize,
}

/// The finisher's side: reads records from `socket` until the sender's end
/// closes, then completes the pending hand-overs that `store` records as
/// `worker`'s, and closes every connection.
pub async fn serve(
    socket: OwnedFd,
    store: Arc<dyn Store>,
    worker: &str,
) -> Result<Finished, std::io::Error> {
    let held = tokio::task::spawn_blocking(move || receive(socket))
        .await
        .map_err(std::io::Error::other)??;
    let pending: Vec<i64> = held
        .values()
        .filter_map(|h| h.pending.as_ref().map(|(row, _)| *row))
        .collect();
    let mut finished = Finished {
        connections: held.len(),
        pending: pending.len(),
        completed: 0,
    };
    if pending.is_empty() {
        return Ok(finished);
    }
    let handed = store
        .outbox_handed(worker, &pending)
        .await
        .map_err(std::io::Error::other)?;
    for h in held.values() {
        if let Some((row, end)) = &h.pending {
            if handed.contains(row) {
                match write_all(h.tcp.as_fd(), end) {
                    Ok(()) => finished.completed += 1,
                    Err(e) => tracing::error!(row, error = %e, "cannot finish a handed mail"),
                }
            }
        }
    }
    // Dropping `held` closes the connections: the relay drops the DATA of
    // the mails that were not handed over.
    Ok(finished)
}

/// Reads records until the other end closes.
fn receive(socket: OwnedFd) -> Result<HashMap<u32, Held>, std::io::Error> {
    let mut held: HashMap<u32, Held> = HashMap::new();
    loop {
        let mut buf = [0u8; RECORD];
        let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let got = match recvmsg(
            &socket,
            &mut [IoSliceMut::new(&mut buf)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Ok(m) => m.bytes,
            Err(rustix::io::Errno::INTR) => continue,
            // The sender is gone as soon as its end is: a reset counts too.
            Err(rustix::io::Errno::CONNRESET) => 0,
            Err(e) => return Err(e.into()),
        };
        if got == 0 {
            return Ok(held);
        }
        let mut fds: Vec<OwnedFd> = Vec::new();
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(received) = message {
                fds.extend(received);
            }
        }
        if got != RECORD {
            continue;
        }
        let conn = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let mut row = [0u8; 8];
        row.copy_from_slice(&buf[8..16]);
        let row = i64::from_le_bytes(row);
        let end = buf[16..16 + usize::from(buf[1].min(5))].to_vec();
        match buf[0] {
            REGISTER => {
                if let Some(tcp) = fds.into_iter().next() {
                    held.insert(conn, Held { tcp, pending: None });
                }
            }
            PENDING => {
                if let Some(h) = held.get_mut(&conn) {
                    h.pending = Some((row, end));
                }
            }
            DONE => {
                if let Some(h) = held.get_mut(&conn) {
                    h.pending = None;
                }
            }
            CLOSE => {
                held.remove(&conn);
            }
            _ => {}
        }
    }
}

/// Writes `data` to a socket that may be non-blocking (the sender's runtime
/// set it so, and the flag belongs to the connection, not the descriptor).
fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> std::io::Result<()> {
    let deadline = Instant::now() + WRITE_TIMEOUT;
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) => {
                if Instant::now() >= deadline {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the relay did not take the end line",
                    ));
                }
                let mut fds = [rustix::event::PollFd::new(
                    &fd,
                    rustix::event::PollFlags::OUT,
                )];
                let wait = rustix::event::Timespec {
                    tv_sec: 0,
                    tv_nsec: 100_000_000,
                };
                let _ = rustix::event::poll(&mut fds, Some(&wait));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_their_fields() {
        let r = record(PENDING, 7, -3, b".\r\n");
        assert_eq!((r[0], r[1]), (PENDING, 3));
        assert_eq!(u32::from_le_bytes([r[4], r[5], r[6], r[7]]), 7);
        assert_eq!(&r[16..19], b".\r\n");
        let mut row = [0u8; 8];
        row.copy_from_slice(&r[8..16]);
        assert_eq!(i64::from_le_bytes(row), -3);
    }

    #[test]
    fn the_finisher_keeps_connections_and_pending_rows_until_the_sender_goes() {
        let Pair { sender, finisher } = pair().unwrap();
        let reader = std::thread::spawn(move || receive(finisher));
        let client = Finisher::new(sender);
        let (a, _a_peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let (b, _b_peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let la = client.register(a.as_fd()).unwrap();
        let lb = client.register(b.as_fd()).unwrap();
        let lc = client.register(b.as_fd()).unwrap();
        la.pending(10, b".\r\n");
        lb.pending(11, b"\r\n.\r\n");
        lb.done();
        lc.pending(12, b".\r\n");
        drop(lc);
        // The sender dies: its end closes with no more records.
        if let Ok(socket) = client.socket.lock() {
            rustix::net::shutdown(&*socket, rustix::net::Shutdown::Write).unwrap();
        }
        let held = reader.join().unwrap().unwrap();
        let mut pending: Vec<_> = held.values().filter_map(|h| h.pending.clone()).collect();
        pending.sort();
        assert_eq!(held.len(), 2);
        assert_eq!(pending, vec![(10, b".\r\n".to_vec())]);
        drop((la, lb));
    }
}
