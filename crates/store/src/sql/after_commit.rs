//! Running a caller's code right after a commit, in the thread that made it.
//!
//! The mail sender records a message as *handed* to the relay and then
//! writes the line that ends it. Between the two, a SIGKILL loses the
//! message (the store says sent; the relay never got its end). The window
//! cannot be closed (the store and the relay share no transaction), only
//! made as short as possible: on SQLite the end line is written from
//! SQLite's WAL hook, which runs in the committing thread right after the
//! commit's frames are written to the WAL, with no thread hand-off in
//! between. (sqlx runs each SQLite connection on a worker thread of its
//! own; the reply to the awaiting task would take two thread wake-ups.)
//! On PostgreSQL the commit happens in the server, and the code runs as soon
//! as its reply is read.
//!
//! The hook is set on a connection kept for hand-overs only. It replaces the
//! WAL auto-checkpoint, which SQLite implements with the same hook, so it
//! checkpoints the same way itself.

use std::ffi::{c_char, c_int, c_void};
use std::sync::{Arc, Mutex};

use libsqlite3_sys as ffi;

use super::{Param, Sql};

/// What to run after the commit: see [`crate::Store::record_outbox_then`].
pub type AfterCommit = Box<dyn FnOnce() + Send + 'static>;

/// SQLite's default: checkpoint when the WAL holds this many frames.
const AUTOCHECKPOINT_FRAMES: c_int = 1000;

/// Holds the code until it runs once, from the hook or after the commit.
struct Slot(Mutex<Option<AfterCommit>>);

impl Slot {
    fn empty() -> Arc<Slot> {
        Arc::new(Slot(Mutex::new(None)))
    }

    /// Holds `f` for the next commit.
    fn arm(&self, f: AfterCommit) {
        match self.0.lock() {
            Ok(mut g) => *g = Some(f),
            Err(poisoned) => *poisoned.into_inner() = Some(f),
        }
    }

    /// Runs the code unless it ran already.
    fn run(&self) {
        let f = match self.0.lock() {
            Ok(mut g) => g.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(f) = f {
            f();
        }
    }

    /// Drops the code unrun (the transaction did not commit).
    fn cancel(&self) {
        let f = match self.0.lock() {
            Ok(mut g) => g.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        drop(f);
    }
}

/// Drops the code unrun when the caller is cancelled before the statement
/// ends, so a later statement on the connection never runs it.
struct CancelOnDrop(Arc<Slot>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Runs hand-over statements on SQLite: on a connection of its own (opened
/// when first needed, with the pool's options), whose WAL hook runs the
/// code of the statement being executed. Hand-overs queue for it; SQLite
/// would let only one writer in at a time anyway.
#[derive(Default)]
pub(crate) struct SqliteWriter {
    conn: tokio::sync::Mutex<Option<(sqlx::SqliteConnection, Arc<Slot>)>>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteWriter")
    }
}

impl SqliteWriter {
    /// Executes `sql` (an `UPDATE … RETURNING id` in autocommit) and returns
    /// the ids; `then` runs right after its commit when `handed` is among
    /// them. (The statement changes nothing otherwise, so the hook does not
    /// fire: SQLite calls it only for a commit that wrote to the WAL.)
    pub(crate) async fn execute_then(
        &self,
        pool: &sqlx::SqlitePool,
        sql: Sql,
        handed: i64,
        then: AfterCommit,
    ) -> Result<Vec<i64>, sqlx::Error> {
        use sqlx::Connection as _;
        let mut guard = self.conn.lock().await;
        if guard.is_none() {
            let mut conn = sqlx::SqliteConnection::connect_with(&pool.connect_options()).await?;
            let slot = Slot::empty();
            install_hook(&mut conn, &slot).await?;
            *guard = Some((conn, slot));
        }
        let Some((conn, slot)) = guard.as_mut() else {
            return Err(sqlx::Error::PoolClosed);
        };
        slot.arm(then);
        let _unrun = CancelOnDrop(slot.clone());
        let ids: Result<Vec<i64>, sqlx::Error> =
            bind_all!(sqlx::query_scalar::<_, i64>(&sql.text), sql.params)
                .fetch_all(&mut *conn)
                .await;
        match &ids {
            // When the hook did not run it (no WAL: a memory database).
            Ok(ids) if ids.contains(&handed) => slot.run(),
            Ok(_) => slot.cancel(),
            Err(_) => {
                slot.cancel();
                // A fresh connection next time, whatever went wrong.
                *guard = None;
            }
        }
        ids
    }
}

/// Sets the WAL hook of `conn` to run what `slot` holds, for good: the
/// connection is the writer's, and the slot lives as long as it.
async fn install_hook(
    conn: &mut sqlx::SqliteConnection,
    slot: &Arc<Slot>,
) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // One reference for the hook, never taken back: the connection may
    // outlive the writer by a moment when the store is dropped.
    let ctx = Arc::into_raw(slot.clone()) as *mut c_void;
    // SAFETY: `db` is the connection's open handle, locked for us; `ctx`
    // points to a `Slot` that is never freed.
    unsafe {
        ffi::sqlite3_wal_hook(db, Some(wal_hook), ctx);
    }
    Ok(())
}

/// PostgreSQL commits in the server: the statement runs on the pool, and the
/// code as soon as the commit is confirmed.
#[derive(Debug, Default)]
pub(crate) struct PgWriter;

impl PgWriter {
    pub(crate) async fn execute_then(
        &self,
        pool: &sqlx::PgPool,
        sql: Sql,
        handed: i64,
        then: AfterCommit,
    ) -> Result<Vec<i64>, sqlx::Error> {
        let ids: Vec<i64> = bind_all!(sqlx::query_scalar::<_, i64>(&sql.text), sql.params)
            .fetch_all(pool)
            .await?;
        if ids.contains(&handed) {
            then();
        }
        Ok(ids)
    }
}

extern "C" fn wal_hook(
    ctx: *mut c_void,
    db: *mut ffi::sqlite3,
    name: *const c_char,
    frames: c_int,
) -> c_int {
    // SAFETY: `ctx` is the `Slot` reference `install_hook` leaked for us.
    let slot = unsafe { &*(ctx as *const Slot) };
    // Never unwind into SQLite.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| slot.run()));
    if frames >= AUTOCHECKPOINT_FRAMES {
        // What the default hook does (sqlite3WalDefaultHook).
        // SAFETY: SQLite passes its own handle and database name.
        unsafe {
            ffi::sqlite3_wal_checkpoint(db, name);
        }
    }
    ffi::SQLITE_OK
}
