//! `hfr sync`: fetch the configured sources and import what is new or
//! changed.
//!
//! The fetching (HTTP, conditional requests, discovery, hashes, size caps)
//! is `hfr_sync`'s; this command adds the archive: each fetched document is
//! read by the same reader as `hfr import` and stored in a transaction of
//! its own, so one bad document fails alone. A document is recorded in the
//! sync state only after it is stored, so a failure is retried next time.
//!
//! The state is a JSON file next to the archive (`hfr.sqlite` →
//! `hfr.sync-state.json`), not a row in the archive's settings: the store
//! can insert a setting but not update one, and a file named after the
//! archive keeps two archives in one folder from sharing validators.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use hfr_store::{ImportEntry, Outcome, Store};
use hfr_sync::{
    Client, ClientConfig, DocumentFetch, DocumentRef, MonthSelection, MsrcFormat, SourceSpec,
    SyncOptions, SyncState, Syncer, Unchanged,
};
use serde::Serialize;

use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Sources, when no --csaf or --msrc is given: HFR_SYNC_SOURCES, \
space-separated: `msrc`, `msrc:URL`, `csaf:URL` or a CSAF provider's URL.\n\
Exit codes: 0 all documents synced, 1 a source or document failed (the others are stored), 2 usage."
)]
pub struct Args {
    /// A CSAF provider: its provider-metadata.json, a ROLIE feed, a
    /// directory (URL ending in /), or https://host/ for its
    /// /.well-known/csaf/provider-metadata.json. Repeatable.
    #[arg(long = "csaf", value_name = "URL")]
    csaf: Vec<String>,

    /// Microsoft's CVRF API, or a mirror of it at URL.
    #[arg(long, value_name = "URL", num_args = 0..=1,
          default_missing_value = hfr_sync::DEFAULT_MSRC_API)]
    msrc: Option<String>,

    /// Only MSRC updates first released in this month or later.
    #[arg(long, value_name = "YYYY-MM", value_parser = MonthSelection::parse_since)]
    since: Option<MonthSelection>,

    /// Only this MSRC update (e.g. 2017-Mar, 2017-May-B). Repeatable.
    #[arg(long = "month", value_name = "ID", conflicts_with = "since")]
    months: Vec<String>,

    /// Ask MSRC for its JSON rather than CVRF XML.
    #[arg(long)]
    msrc_json: bool,

    /// The sync state file [default: next to the SQLite archive,
    /// <name>.sync-state.json].
    #[arg(long, env = "HFR_SYNC_STATE", value_name = "FILE")]
    state: Option<PathBuf>,

    /// Fetch and read, but store nothing and leave the state file alone.
    #[arg(long)]
    dry_run: bool,

    /// Ask about every document (conditionally), even those whose listed
    /// date is unchanged.
    #[arg(long)]
    recheck: bool,

    /// Ignore the state file: download every document again.
    #[arg(long)]
    full: bool,

    /// The largest document or listing accepted, in MiB (after
    /// decompression).
    #[arg(long, value_name = "MIB", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_size: u64,

    /// Print the result as JSON (no progress bar).
    #[arg(long)]
    json: bool,

    /// Do not print reader warnings or listing warnings.
    #[arg(short, long)]
    quiet: bool,

    /// Then publish what was stored, as `hfr import --publish` does: the
    /// HotFix Alert mail for new alerts, the update mail for alerts a
    /// changed document revised (needs --from and --base-url, or
    /// HFR_MAIL_FROM and HFR_BASE_URL).
    #[arg(long, conflicts_with = "dry_run")]
    publish: bool,

    #[command(flatten)]
    sender: super::publish::SenderArgs,
}

/// What happened to one document, for --json.
#[derive(Serialize)]
struct DocReport {
    source: String,
    label: String,
    url: String,
    kind: &'static str,
    /// `new`, `changed`, `not_modified` or `failed`.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stored: Vec<Outcome>,
}

#[derive(Serialize)]
struct SourceReport {
    source: String,
    documents: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

#[derive(Serialize, Default)]
struct Summary {
    sources: usize,
    failed_sources: usize,
    documents: usize,
    new: usize,
    changed: usize,
    not_modified: usize,
    failed: usize,
    seconds: f64,
    dry_run: bool,
}

impl Summary {
    fn line(&self) -> String {
        let failed_sources = if self.failed_sources > 0 {
            format!(" ({} failed)", self.failed_sources)
        } else {
            String::new()
        };
        format!(
            "sync{}: {} source{}{failed_sources}, {} document{}: {} new, {} changed, {} not modified, {} failed in {:.1} s",
            if self.dry_run { " (dry run)" } else { "" },
            self.sources,
            plural(self.sources),
            self.documents,
            plural(self.documents),
            self.new,
            self.changed,
            self.not_modified,
            self.failed,
            self.seconds
        )
    }
}

#[derive(Serialize)]
struct Report {
    summary: Summary,
    sources: Vec<SourceReport>,
    documents: Vec<DocReport>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let sources = sources(&args)?;
    let state_path = args.state.clone().unwrap_or_else(|| default_state_path(db));
    // --full fetches as if nothing had been seen, but keeps the entries of
    // other sources; a damaged file is then simply replaced.
    let mut state = match SyncState::load(&state_path) {
        Ok(s) => s,
        Err(_) if args.full => SyncState::new(),
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context("the sync state (--full starts afresh, --state FILE uses another)"))
        }
    };
    // Check the mail settings, and open the archive, before any download: a
    // wrong setting or --db fails at once.
    let sender = if args.publish {
        Some(args.sender.sender()?)
    } else {
        None
    };
    let store = if args.dry_run {
        None
    } else {
        Some(crate::open_store(db).await?)
    };
    let syncer = Syncer::new(
        Client::new(ClientConfig {
            max_body: args.max_size * 1024 * 1024,
            ..ClientConfig::default()
        }),
        SyncOptions {
            recheck: args.recheck,
        },
    );
    let progress = Progress::new(!args.json && std::io::stderr().is_terminal());
    let mut summary = Summary {
        sources: sources.len(),
        dry_run: args.dry_run,
        ..Summary::default()
    };
    let mut source_reports = Vec::new();
    let mut doc_reports = Vec::new();
    let mut unsaved = 0usize;
    let mut last_save = Instant::now();

    for source in &sources {
        progress.message(format!("{source}: listing"));
        let discovered = {
            let (syncer, source) = (syncer.clone(), source.clone());
            tokio::task::spawn_blocking(move || syncer.discover(&source)).await?
        };
        let discovery = match discovered {
            Ok(d) => d,
            Err(e) => {
                progress.note(&format!("error: {source}: {e}"));
                summary.failed_sources += 1;
                source_reports.push(SourceReport {
                    source: source.to_string(),
                    documents: 0,
                    error: Some(e.to_string()),
                    warnings: Vec::new(),
                });
                continue;
            }
        };
        if !args.quiet {
            for w in &discovery.warnings {
                progress.note(&format!("warning: {w}"));
            }
        }
        source_reports.push(SourceReport {
            source: source.to_string(),
            documents: discovery.documents.len(),
            error: None,
            warnings: discovery.warnings.clone(),
        });
        progress.add(discovery.documents.len());
        summary.documents += discovery.documents.len();

        for doc in discovery.documents {
            progress.message(format!("{source}: {}", doc.label));
            let fetched = {
                let syncer = syncer.clone();
                let stored = state.get(&doc.url).cloned().filter(|_| !args.full);
                let doc = doc.clone();
                tokio::task::spawn_blocking(move || syncer.fetch(&doc, stored.as_ref())).await?
            };
            let mut report = DocReport {
                source: source.to_string(),
                label: doc.label.clone(),
                url: doc.url.clone(),
                kind: doc.kind.as_str(),
                result: "failed",
                reason: None,
                error: None,
                stored: Vec::new(),
            };
            let known = state.get(&doc.url).is_some();
            match fetched {
                Err(e) => {
                    // Every fetch error names the URL.
                    progress.note(&format!("error: {e}"));
                    report.error = Some(e.to_string());
                    summary.failed += 1;
                }
                Ok(DocumentFetch::Unchanged { why, entry }) => {
                    summary.not_modified += 1;
                    report.result = "not_modified";
                    report.reason = Some(why.as_str());
                    // A listed date is recorded after a 304, so the next
                    // sync need not ask again.
                    if why != Unchanged::ListedDate && !args.dry_run {
                        state.record(&doc.url, entry);
                        unsaved += 1;
                    }
                }
                Ok(DocumentFetch::Fetched(f)) => {
                    match store_document(store.as_deref(), &doc, &f, &progress, args.quiet).await {
                        Ok(outcomes) => {
                            for o in &outcomes {
                                tracing::info!("{}", super::import::describe(o, &doc.url));
                            }
                            report.stored = outcomes;
                            if f.new && !known {
                                summary.new += 1;
                                report.result = "new";
                            } else {
                                summary.changed += 1;
                                report.result = "changed";
                            }
                            if !args.dry_run {
                                state.record(&doc.url, f.entry);
                                unsaved += 1;
                            }
                        }
                        Err(e) => {
                            progress.note(&format!("error: {e:#}"));
                            report.error = Some(format!("{e:#}"));
                            summary.failed += 1;
                        }
                    }
                }
            }
            doc_reports.push(report);
            progress.inc();
            // Now and then, so an interrupted sync keeps most of its work.
            if unsaved > 0 && (unsaved >= 50 || last_save.elapsed() > Duration::from_secs(30)) {
                state.save(&state_path)?;
                unsaved = 0;
                last_save = Instant::now();
            }
        }
    }
    if unsaved > 0 || (args.full && !args.dry_run) {
        state.save(&state_path)?;
    }
    progress.finish();
    summary.seconds = started.elapsed().as_secs_f64();
    let line = summary.line();
    tracing::info!(
        sources = summary.sources,
        failed_sources = summary.failed_sources,
        documents = summary.documents,
        new = summary.new,
        changed = summary.changed,
        not_modified = summary.not_modified,
        failed = summary.failed,
        "{line}"
    );
    let ok = summary.failed == 0 && summary.failed_sources == 0;
    let mut published = Vec::new();
    if let (Some(sender), Some(store)) = (&sender, &store) {
        let stored: Vec<String> = doc_reports
            .iter()
            .flat_map(|r| &r.stored)
            .filter_map(|o| match o {
                Outcome::Created { id, .. } | Outcome::Revised { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        published = super::publish::publish_all(&**store, sender, &stored).await?;
    }
    if args.json {
        // stdout holds only the JSON.
        for line in &published {
            eprintln!("{line}");
        }
        print_json(&Report {
            summary,
            sources: source_reports,
            documents: doc_reports,
        })?;
    } else {
        for line in &published {
            println!("{line}");
        }
        println!("{line}");
        if !ok {
            for r in doc_reports.iter().filter(|r| r.result == "failed") {
                eprintln!("failed: {} ({})", r.label, r.url);
            }
            for r in source_reports.iter().filter(|r| r.error.is_some()) {
                eprintln!("failed: {}", r.source);
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The sources named by the flags, else by `HFR_SYNC_SOURCES`; the month
/// selection and format flags apply to every MSRC source.
fn sources(args: &Args) -> anyhow::Result<Vec<SourceSpec>> {
    let mut specs = Vec::new();
    for url in &args.csaf {
        specs.push(SourceSpec::parse(&format!("csaf:{url}"))?);
    }
    if let Some(base) = &args.msrc {
        specs.push(SourceSpec::parse(&format!("msrc:{base}"))?);
    }
    if specs.is_empty() {
        if let Ok(list) = std::env::var("HFR_SYNC_SOURCES") {
            for item in list.split_whitespace() {
                specs.push(
                    SourceSpec::parse(item).with_context(|| format!("HFR_SYNC_SOURCES: {item}"))?,
                );
            }
        }
    }
    if specs.is_empty() {
        clap::Error::raw(
            clap::error::ErrorKind::MissingRequiredArgument,
            "no source to sync: give --csaf URL or --msrc, or set HFR_SYNC_SOURCES\n",
        )
        .exit();
    }
    let months = if let Some(since) = &args.since {
        since.clone()
    } else if !args.months.is_empty() {
        MonthSelection::Ids(args.months.clone())
    } else {
        MonthSelection::All
    };
    let format = if args.msrc_json {
        MsrcFormat::Json
    } else {
        MsrcFormat::Xml
    };
    for spec in &mut specs {
        if let SourceSpec::Msrc {
            months: m,
            format: f,
            ..
        } = spec
        {
            *m = months.clone();
            *f = format;
        }
    }
    Ok(specs)
}

/// Next to a SQLite archive, named after it; for PostgreSQL, in hfr's data
/// folder (pass --state to keep several apart).
fn default_state_path(db: Option<&str>) -> PathBuf {
    let sqlite = match db.map(hfr_store::DbLocation::parse) {
        Some(hfr_store::DbLocation::Sqlite(p)) => p,
        Some(hfr_store::DbLocation::Postgres(_)) => {
            return dirs::data_dir()
                .map(|d| d.join("hfr"))
                .unwrap_or_default()
                .join("sync-state.json")
        }
        None => hfr_store::default_sqlite_path(),
    };
    state_beside(&sqlite)
}

fn state_beside(archive: &Path) -> PathBuf {
    let stem = archive
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "hfr".into());
    archive.with_file_name(format!("{stem}.sync-state.json"))
}

/// Reads a fetched document with `hfr import`'s reader and stores it in a
/// transaction of its own (or, with --dry-run, only reads it). A month of
/// Microsoft's data is stored as a release with its alerts, as `hfr import`
/// stores the same file.
async fn store_document(
    store: Option<&dyn Store>,
    doc: &DocumentRef,
    fetched: &hfr_sync::FetchedDocument,
    progress: &Progress,
    quiet: bool,
) -> anyhow::Result<Vec<Outcome>> {
    let entry = read_fetched(doc, fetched, progress, quiet)?;
    match store {
        Some(store) => Ok(store
            .import_entries(vec![entry])
            .await
            .with_context(|| format!("{}: cannot store it", doc.url))?
            .iter()
            .flat_map(|e| e.alerts().iter().cloned())
            .collect()),
        None => Ok(Vec::new()),
    }
}

/// What a fetched document holds, read as `hfr import` reads a file: the
/// format told by the content (a CSAF provider may serve any of them), the
/// same checks and refusals, errors naming the URL.
fn read_fetched(
    doc: &DocumentRef,
    fetched: &hfr_sync::FetchedDocument,
    progress: &Progress,
    quiet: bool,
) -> anyhow::Result<ImportEntry> {
    let document = hfr_import::read_any(&fetched.bytes, &doc.url, None)?;
    if !quiet {
        for w in document.warnings() {
            progress.note(&format!("warning: {}: {w}", doc.url));
        }
    }
    Ok(super::import_entry(
        document,
        doc.url.clone(),
        fetched.sha256.clone(),
        false,
    ))
}

/// A progress bar on stderr, drawn only for a person at a terminal; lines
/// printed through it go above the bar, or straight to stderr without one.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(draw: bool) -> Progress {
        if !draw {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(0),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(Some(bar))
    }

    fn message(&self, m: String) {
        if let Some(b) = &self.0 {
            b.set_message(m);
        }
    }

    fn add(&self, n: usize) {
        if let Some(b) = &self.0 {
            b.inc_length(n as u64);
        }
    }

    fn inc(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }

    fn note(&self, line: &str) {
        match &self.0 {
            Some(b) => b.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_file_is_named_after_the_archive() {
        assert_eq!(
            state_beside(Path::new("/data/hfr/hfr.sqlite")),
            PathBuf::from("/data/hfr/hfr.sync-state.json")
        );
        assert_eq!(
            default_state_path(Some("sqlite:/tmp/x/test.db")),
            PathBuf::from("/tmp/x/test.sync-state.json")
        );
    }

    #[test]
    fn summary_line() {
        let s = Summary {
            sources: 3,
            documents: 45,
            new: 12,
            changed: 3,
            not_modified: 30,
            seconds: 4.24,
            ..Summary::default()
        };
        assert_eq!(
            s.line(),
            "sync: 3 sources, 45 documents: 12 new, 3 changed, 30 not modified, 0 failed in 4.2 s"
        );
        let s = Summary {
            sources: 1,
            failed_sources: 1,
            dry_run: true,
            ..Summary::default()
        };
        assert_eq!(
            s.line(),
            "sync (dry run): 1 source (1 failed), 0 documents: 0 new, 0 changed, 0 not modified, 0 failed in 0.0 s"
        );
    }
}
