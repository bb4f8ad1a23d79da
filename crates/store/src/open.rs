//! Where the archive lives, and opening it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Connection;

use crate::sql::{PgStore, SqliteStore};
use crate::{Store, StoreError};

/// The schema migrations, one set per back end, embedded at build time.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Where the archive lives: a SQLite file or a PostgreSQL database.
///
/// `Debug` and `Display` never show a PostgreSQL password.
#[derive(Clone, PartialEq, Eq)]
pub enum DbLocation {
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl DbLocation {
    /// Reads a `--db` value: `postgres://…` or `postgresql://…` is PostgreSQL;
    /// `sqlite://path`, `sqlite:path` or a plain path is a SQLite file.
    pub fn parse(s: &str) -> DbLocation {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return DbLocation::Postgres(t.to_string());
        }
        let path = if lower.starts_with("sqlite://") {
            &t["sqlite://".len()..]
        } else if lower.starts_with("sqlite:") {
            &t["sqlite:".len()..]
        } else {
            t
        };
        DbLocation::Sqlite(PathBuf::from(path))
    }

    /// The location for messages and logs: the path, or the URL with its
    /// password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            // A URL of a scheme we do not know lands here too: redact it as well.
            DbLocation::Sqlite(p) if p.to_string_lossy().contains("://") => {
                redact_url(&p.to_string_lossy())
            }
            DbLocation::Sqlite(p) => p.display().to_string(),
            DbLocation::Postgres(url) => redact_url(url),
        }
    }
}

impl fmt::Display for DbLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DbLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbLocation::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            DbLocation::Postgres(_) => f.debug_tuple("Postgres").field(&self.redacted()).finish(),
        }
    }
}

impl FromStr for DbLocation {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(DbLocation::parse(s))
    }
}

/// Replaces the password in a URL's user info, and any `password=` query
/// parameter, with `***`.
fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{}", &userinfo[..colon], host),
                None => authority.to_string(),
            }
        }
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

/// `hfr.sqlite` in the user's data directory (e.g.
/// `~/.local/share/hfr/hfr.sqlite` on Linux); `./hfr.sqlite` when the system
/// names no data directory.
pub fn default_sqlite_path() -> PathBuf {
    match dirs::data_dir() {
        Some(dir) => dir.join("hfr").join("hfr.sqlite"),
        None => PathBuf::from("hfr.sqlite"),
    }
}

/// Opens (creating if needed) the archive and brings its schema up to date.
pub async fn open(location: &DbLocation) -> Result<Arc<dyn Store>, StoreError> {
    match location {
        DbLocation::Sqlite(path) => Ok(Arc::new(open_sqlite(path).await?)),
        DbLocation::Postgres(url) => Ok(Arc::new(open_postgres(url).await?)),
    }
}

/// An [`StoreError::Open`] whose cause is `reason` as text: sqlx's errors
/// repeat their own cause in their message, so the chain would say it twice.
fn open_error(location: &DbLocation, reason: impl fmt::Display) -> StoreError {
    StoreError::Open {
        location: location.redacted(),
        source: reason.to_string().into(),
    }
}

/// Brings the schema up to date (every migration runs once; reopening is a no-op).
async fn migrate<DB>(
    migrator: &Migrator,
    pool: &sqlx::Pool<DB>,
    location: &DbLocation,
) -> Result<(), StoreError>
where
    DB: sqlx::Database,
    DB::Connection: sqlx::migrate::Migrate,
{
    migrator
        .run(pool)
        .await
        .map_err(|source| StoreError::Migrate {
            location: location.redacted(),
            source,
        })
}

/// Opens a SQLite archive file: created with its directories if missing, in
/// WAL mode with foreign keys enforced.
pub async fn open_sqlite(path: &Path) -> Result<SqliteStore, StoreError> {
    let location = DbLocation::Sqlite(path.to_path_buf());
    let text = path.to_string_lossy();
    if text.trim().is_empty() {
        return Err(open_error(&location, "the database path is empty"));
    }
    if let Some((scheme, _)) = text.split_once("://") {
        return Err(open_error(
            &location,
            format!(
                "unsupported database URL scheme {scheme:?}: use a file path, sqlite://PATH or postgres://…"
            ),
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            open_error(
                &location,
                format!("cannot create the directory {}: {e}", dir.display()),
            )
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Pages kept per connection: up to 64 MiB, taken only as used. With
        // SQLite's 8 MiB an import of a year of Microsoft's data (a 50 MB
        // transaction) spilled pages to the WAL and wrote many of them
        // again: 91,000 writes for a 56 MB archive.
        .pragma("cache_size", "-65536");
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|e| open_error(&location, e))?;
    migrate(&SQLITE_MIGRATIONS, &pool, &location).await?;
    let store = SqliteStore::new(pool);
    let hashed = store.hash_moved_sources().await?;
    if hashed > 0 {
        tracing::info!(hashed, "keyed the source documents moved by the migration");
    }
    tracing::debug!(path = %path.display(), "opened the SQLite archive");
    Ok(store)
}

/// Opens a PostgreSQL archive (the database must exist) and migrates it.
pub async fn open_postgres(url: &str) -> Result<PgStore, StoreError> {
    let location = DbLocation::Postgres(url.to_string());
    let options = PgConnectOptions::from_str(url).map_err(|e| open_error(&location, e))?;
    // One plain connection first: a wrong host, port or password fails at
    // once with the server's reason, where the pool would retry until its
    // acquire timeout.
    PgConnection::connect_with(&options)
        .await
        .map_err(|e| open_error(&location, e))?
        .close()
        .await
        .map_err(|e| open_error(&location, e))?;
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| open_error(&location, e))?;
    migrate(&POSTGRES_MIGRATIONS, &pool, &location).await?;
    let store = PgStore::new(pool);
    // The PostgreSQL migration hashes what it moves; this only finds
    // nothing, but keeps the two back ends alike.
    store.hash_moved_sources().await?;
    tracing::debug!(location = %location, "opened the PostgreSQL archive");
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        let pg = |s: &str| DbLocation::Postgres(s.into());
        let file = |s: &str| DbLocation::Sqlite(s.into());
        let cases = [
            ("postgres://u:p@h/db", pg("postgres://u:p@h/db")),
            ("postgresql://h/db", pg("postgresql://h/db")),
            ("sqlite:///tmp/a.sqlite", file("/tmp/a.sqlite")),
            ("sqlite:rel/a.sqlite", file("rel/a.sqlite")),
            ("/var/lib/hfr.sqlite", file("/var/lib/hfr.sqlite")),
            ("hfr.sqlite", file("hfr.sqlite")),
        ];
        for (input, expected) in cases {
            assert_eq!(DbLocation::parse(input), expected, "{input}");
        }
    }

    #[test]
    fn never_shows_a_password() {
        let loc = DbLocation::parse(
            "postgres://hfr:s3cret@db.example:5432/hfr?sslmode=require&password=x2",
        );
        let shown = format!("{loc} {loc:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("x2"), "{shown}");
        assert!(
            shown.contains("postgres://hfr:***@db.example:5432/hfr?sslmode=require&password=***")
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:55432/postgres"),
            "postgres://postgres@127.0.0.1:55432/postgres"
        );
    }

    #[test]
    fn default_path_is_in_the_data_dir() {
        assert!(default_sqlite_path().ends_with("hfr/hfr.sqlite"));
    }
}
