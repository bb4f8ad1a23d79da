//! `hfr`: the one binary. A thin layer: it parses arguments, reads files, opens
//! the store and hands work to the library crates. Errors become `anyhow` here
//! and nowhere else.
//!
//! Exit codes: 0 ok, 1 error, 2 usage.

mod commands;
mod output;
mod render;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: see the workspace Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// hfr — HotFix Report: security-update intelligence for Windows administrators.
///
/// An archive of structured HotFix Alerts (severity, exploit code, what to do,
/// reboot, platforms, the files and versions a fix installs, how to verify it,
/// workarounds, rollout times), imported from HotFix Alert pages and from
/// vendors' data today (Microsoft's monthly CVRF, CSAF 2.0 advisories), and
/// published as a web site, a JSON API, an Atom feed, e-mail and CSAF.
#[derive(Debug, Parser)]
#[command(name = "hfr", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Archive: SQLite at the default path unless --db or HFR_DB says otherwise.\n\
    Exit codes: 0 ok, 1 error, 2 usage."
)]
struct Cli {
    /// The archive: a SQLite file path (created if missing) or a postgres:// URL.
    #[arg(long, global = true, env = "HFR_DB", value_name = "PATH|URL")]
    db: Option<String>,

    /// Log more (repeat for debug output); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read documents (HotFix pages, hfr JSON, Microsoft CVRF, CSAF) and
    /// print each as JSON; stores nothing.
    ///
    /// Warnings (missing sections, lost marks, CSAF findings) go to stderr.
    /// With several files the output is a JSON array.
    Parse(commands::parse::Args),

    /// Read documents and store them in the archive, in one transaction.
    ///
    /// The format is told by the content (or --format): HotFix pages, hfr
    /// JSON, Microsoft's monthly CVRF (XML or JSON: an alert per CVE and the
    /// month as a release) and CSAF 2.0. An alert already stored unchanged is
    /// skipped; a changed one becomes a new revision. If any file cannot be
    /// read, nothing is stored (unless --keep-going).
    Import(commands::import::Args),

    /// Fetch configured sources over HTTP(S) and import what is new or changed.
    ///
    /// Sources: CSAF providers (--csaf URL) and Microsoft's CVRF API
    /// (--msrc), or HFR_SYNC_SOURCES. Requests are conditional; what was
    /// seen is kept in a state file next to the archive.
    Sync(commands::sync::Args),

    /// The archive, newest first: id, edition date, severity, action, title.
    List(commands::list::Args),

    /// One alert, every section, readable in a terminal (--json for JSON).
    Show(commands::show::Args),

    /// Every revision of an alert, with its date, source and what changed.
    History(commands::history::Args),

    /// Edit an alert's JSON (in $EDITOR, or from a file) and store it as a new revision.
    Edit(commands::edit::Args),

    /// Print the JSON Schema of the alert JSON (the public contract).
    Schema,

    /// Serve the web site, JSON API (/api/v1) and Atom feed (/feed.atom).
    Serve(commands::serve::Args),

    /// Write the whole site as static files (same HTML), for a mirror.
    ExportSite(commands::export_site::Args),

    /// Write one alert in a format other tools read: `hfr export csaf ID`.
    Export(commands::export::Args),

    /// Queue an alert's mail for the confirmed subscribers who asked for it.
    ///
    /// The first publication of an alert queues the HotFix Alert mail; a
    /// later revision, the update mail (for those who asked for revisions).
    /// Publishing a revision twice queues nothing.
    Publish(commands::publish::Args),

    /// Queue HotFix Weekly: the alerts published in a week (Monday to
    /// Sunday, Japan time), new ones then updates, most severe first, for
    /// the subscribers who asked for it. Running it again queues nothing.
    Weekly(commands::weekly::Args),

    /// The mail outbox: what is queued, sent, failed or retrying.
    Mail(commands::mail::Args),

    /// Your machines against the archive: which need which fix, and did it
    /// land (template, schema, check, worklist, plan).
    Fleet(commands::fleet::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server's request log is its main output; other commands stay quiet.
    let serving = matches!(cli.command, Command::Serve(_));
    let _log = init_tracing(cli.verbose + u8::from(serving), serving);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hfr: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        // The reader went away (`hfr show … | head`): like any Unix tool,
        // stop quietly instead of reporting the closed pipe as a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hfr: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
    })
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let db = cli.db.clone();
    match cli.command {
        Command::Parse(args) => commands::parse::run(args),
        Command::Import(args) => commands::import::run(args, db.as_deref()).await,
        Command::Sync(args) => commands::sync::run(args, db.as_deref()).await,
        Command::List(args) => commands::list::run(args, db.as_deref()).await,
        Command::Show(args) => commands::show::run(args, db.as_deref()).await,
        Command::History(args) => commands::history::run(args, db.as_deref()).await,
        Command::Edit(args) => commands::edit::run(args, db.as_deref()).await,
        Command::Serve(args) => commands::serve::run(args, db.as_deref()).await,
        Command::ExportSite(args) => commands::export_site::run(args, db.as_deref()).await,
        Command::Export(args) => commands::export::run(args, db.as_deref()).await,
        Command::Publish(args) => commands::publish::run(args, db.as_deref()).await,
        Command::Weekly(args) => commands::weekly::run(args, db.as_deref()).await,
        Command::Mail(args) => commands::mail::run(args, db.as_deref()).await,
        Command::Fleet(args) => commands::fleet::run(args, db.as_deref()).await,
        Command::Schema => {
            output::print_json(&hfr_model::alert_json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs to stderr, filtered by `HFR_LOG` (e.g. `HFR_LOG=hfr_web=debug`) or
/// by `-v`. A server logs every request, and a write to stderr per request
/// would cost it a quarter of its throughput, so `serve` hands lines to a
/// background writer instead; the returned guard flushes them at exit.
fn init_tracing(
    verbose: u8,
    background: bool,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HFR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a person at a terminal, not in a log file.
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal());
    if background {
        let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
        builder.with_writer(writer).init();
        Some(guard)
    } else {
        builder.with_writer(std::io::stderr).init();
        None
    }
}

/// Opens the archive named by `--db`/`HFR_DB`, or the default SQLite file.
pub(crate) async fn open_store(
    db: Option<&str>,
) -> anyhow::Result<std::sync::Arc<dyn hfr_store::Store>> {
    let location = match db {
        Some(s) => hfr_store::DbLocation::parse(s),
        None => hfr_store::DbLocation::Sqlite(hfr_store::default_sqlite_path()),
    };
    tracing::info!(?location, "opening the archive");
    Ok(hfr_store::open(&location).await?)
}

/// A path given on the command line, as shown in messages.
pub(crate) fn display_path(p: &std::path::Path) -> String {
    p.display().to_string()
}
