//! `hfr import`: documents into the archive, all in one transaction.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use hfr_store::{EntryOutcome, Outcome, ReleaseOutcome};

use crate::output::print_json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// HotFix Alert pages (text: UTF-8, Shift_JIS or EUC-JP), alerts in
    /// hfr's JSON (as `hfr show --json` prints them), Microsoft's monthly
    /// documents (CVRF 1.1 XML, or the JSON of Microsoft's CVRF API: one
    /// alert per CVE, and the month as a release) and CSAF 2.0 advisories
    /// (any provider's, or `hfr export csaf` output), told apart by content
    /// unless --format says.
    #[arg(required = true, value_name = "FILE")]
    pages: Vec<PathBuf>,

    #[command(flatten)]
    input: super::InputArgs,

    /// Store the files that could be read even if others could not.
    #[arg(long)]
    keep_going: bool,

    /// Record a document even when the archive holds a newer revision
    /// (later 更新日, or a later version of a vendor's document).
    #[arg(long)]
    force: bool,

    /// Print the outcome of each file as JSON.
    #[arg(long)]
    json: bool,

    /// Then publish what was stored: queue the HotFix Alert mail for new
    /// alerts and the update mail for new revisions (needs --from and
    /// --base-url, or HFR_MAIL_FROM and HFR_BASE_URL).
    #[arg(long)]
    publish: bool,

    #[command(flatten)]
    sender: super::publish::SenderArgs,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    // Check the mail settings before anything is read or stored.
    let sender = if args.publish {
        Some(args.sender.sender()?)
    } else {
        None
    };
    let store = crate::open_store(db).await?;
    // The files are read on every core while the store writes what has
    // been read (one transaction: a file that cannot be read rolls it back,
    // unless --keep-going).
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let (pages, input, force, keep_going) = (
        args.pages.clone(),
        args.input.clone(),
        args.force,
        args.keep_going,
    );
    let reading = tokio::task::spawn_blocking(move || {
        let mut names = Vec::new();
        let mut failed = Vec::new();
        super::read_inputs_each(&pages, &input, |i, read| {
            let name = crate::display_path(&pages[i]);
            // A send fails only once the store has stopped (on an error of
            // its own, or after the first unreadable file): nothing more
            // will be stored, but every file is still read and reported.
            match read {
                Ok(input) => {
                    let entry =
                        super::import_entry(input.document, name.clone(), input.sha256, force);
                    let _ = tx.blocking_send(Ok(entry));
                    names.push(name);
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    failed.push(name);
                    if !keep_going {
                        let _ = tx.blocking_send(Err("a file could not be read".to_string()));
                    }
                }
            }
        });
        (names, failed)
    });
    let stored = store.import_entry_stream(rx).await;
    let (names, failed) = reading.await.context("reading the files")?;
    if !failed.is_empty() && !args.keep_going {
        bail!(
            "{} of {} files could not be read; nothing was stored (--keep-going stores the others)",
            failed.len(),
            args.pages.len()
        );
    }
    if names.is_empty() {
        bail!("no file could be read; nothing was stored");
    }
    let outcomes = stored?;
    if args.json {
        print_json(&outcomes)?;
    } else {
        for (name, outcome) in names.iter().zip(&outcomes) {
            match outcome {
                EntryOutcome::Alert(o) => println!("{}", describe(o, name)),
                EntryOutcome::Release { release, alerts } => {
                    println!("{}", describe_release(release, alerts, name));
                    // New and unchanged alerts are counted above; what
                    // changed (or was refused, unless the whole document
                    // was, which the line above says) is worth a line each.
                    let older = matches!(release, ReleaseOutcome::Stale { .. });
                    for o in alerts {
                        let line = match o {
                            Outcome::Revised { .. } => true,
                            Outcome::Stale { .. } => !older,
                            _ => false,
                        };
                        if line {
                            println!("  {}", describe(o, name));
                        }
                    }
                }
            }
        }
    }
    if let Some(sender) = sender {
        let stored: Vec<String> = outcomes
            .iter()
            .flat_map(EntryOutcome::alerts)
            .filter_map(|o| match o {
                Outcome::Created { id, .. } | Outcome::Revised { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        // With --json, stdout holds only the JSON.
        for line in super::publish::publish_all(&*store, &sender, &stored).await? {
            if args.json {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One line per release: what happened to it, and to its alerts by count.
pub fn describe_release(release: &ReleaseOutcome, alerts: &[Outcome], name: &str) -> String {
    let what = match release {
        ReleaseOutcome::Created { id, revision } => {
            format!("{id}: release stored as revision {revision}")
        }
        ReleaseOutcome::Revised { id, revision } => {
            format!("{id}: release revision {revision} (a changed version of the document)")
        }
        ReleaseOutcome::Unchanged { id, revision } => {
            format!("{id}: release unchanged, still revision {revision}")
        }
        ReleaseOutcome::Stale {
            id,
            revision,
            current_release,
            incoming_release,
        } => format!(
            "{id}: release not stored: revision {revision} in the archive is a later version ({}) than this document ({}); --force records it anyway",
            time_or_dash(*current_release),
            time_or_dash(*incoming_release)
        ),
    };
    let count = |f: fn(&Outcome) -> bool| alerts.iter().filter(|o| f(o)).count();
    let new = count(|o| matches!(o, Outcome::Created { .. }));
    let revised = count(|o| matches!(o, Outcome::Revised { .. }));
    let unchanged = count(|o| matches!(o, Outcome::Unchanged { .. }));
    let stale = count(|o| matches!(o, Outcome::Stale { .. }));
    let mut line = format!(
        "{what}; {} alert{}: {new} new, {revised} revised, {unchanged} unchanged",
        alerts.len(),
        if alerts.len() == 1 { "" } else { "s" }
    );
    if stale > 0 {
        line.push_str(&format!(", {stale} not stored (newer in the archive)"));
    }
    line.push_str(&format!(" ({name})"));
    line
}

fn time_or_dash(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

/// One line per page: what happened and why.
pub fn describe(outcome: &Outcome, name: &str) -> String {
    match outcome {
        Outcome::Created { id, revision } => {
            format!("{id}: stored as revision {revision} ({name})")
        }
        Outcome::Revised {
            id,
            revision,
            changes,
        } => {
            let sections = hfr_model::diff::changed_sections(changes);
            format!(
                "{id}: revision {revision}, {} change{} in {} ({name})",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" },
                sections.join(", ")
            )
        }
        Outcome::Unchanged { id, revision } => {
            format!("{id}: unchanged, still revision {revision} ({name})")
        }
        Outcome::Stale {
            id,
            revision,
            current_updated,
            incoming_updated,
        } => format!(
            "{id}: not stored: revision {revision} in the archive is newer (更新日 {}) than this page (更新日 {}); --force records it anyway ({name})",
            date_or_dash(*current_updated),
            date_or_dash(*incoming_updated)
        ),
    }
}

fn date_or_dash(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
}
