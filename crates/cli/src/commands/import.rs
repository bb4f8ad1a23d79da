//! `hfr import`: pages into the archive, all in one transaction.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use hfr_store::{ImportItem, Outcome, Source, SourceKind};

use crate::output::print_json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// HotFix Alert pages (text: UTF-8, Shift_JIS or EUC-JP), alerts in
    /// hfr's JSON (as `hfr show --json` prints them) or CSAF 2.0 advisories
    /// (any provider's, or `hfr export csaf` output), told apart by content.
    #[arg(required = true, value_name = "PAGE")]
    pages: Vec<PathBuf>,

    /// Store the pages that could be read even if others could not.
    #[arg(long)]
    keep_going: bool,

    /// Record a page even when the archive holds a newer revision (later 更新日).
    #[arg(long)]
    force: bool,

    /// Print the outcome of each page as JSON.
    #[arg(long)]
    json: bool,

    /// Do not print parser warnings.
    #[arg(short, long)]
    quiet: bool,

    /// Then publish what was stored: queue the HotFix Alert mail for new
    /// alerts and the update mail for new revisions (needs --from and
    /// --base-url, or HFR_MAIL_FROM and HFR_BASE_URL).
    #[arg(long)]
    publish: bool,

    #[command(flatten)]
    sender: super::publish::SenderArgs,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut items = Vec::new();
    let mut failed = Vec::new();
    for path in &args.pages {
        match super::read_page(path, args.quiet) {
            Ok(page) => items.push(ImportItem {
                source: Source {
                    kind: SourceKind::Import,
                    name: crate::display_path(path),
                    format: page.parsed.format.to_string(),
                    sha256: Some(page.sha256),
                    text: Some(page.parsed.text),
                },
                alert: page.parsed.alert,
                force: args.force,
            }),
            Err(e) => {
                eprintln!("error: {e:#}");
                failed.push(crate::display_path(path));
            }
        }
    }
    if !failed.is_empty() && !args.keep_going {
        bail!(
            "{} of {} pages could not be read; nothing was stored (--keep-going stores the others)",
            failed.len(),
            args.pages.len()
        );
    }
    if items.is_empty() {
        bail!("no page could be read; nothing was stored");
    }
    // Check the mail settings before anything is stored.
    let sender = if args.publish {
        Some(args.sender.sender()?)
    } else {
        None
    };
    let names: Vec<String> = items.iter().map(|i| i.source.name.clone()).collect();
    let store = crate::open_store(db).await?;
    let outcomes = store.import(items).await?;
    if args.json {
        print_json(&outcomes)?;
    } else {
        for (name, outcome) in names.iter().zip(&outcomes) {
            println!("{}", describe(outcome, name));
        }
    }
    if let Some(sender) = sender {
        let stored: Vec<String> = outcomes
            .iter()
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
