//! `hfr show`: one alert, every section.

use std::process::ExitCode;

use anyhow::{anyhow, bail};

use crate::output::print_json;
use crate::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Bulletin id, e.g. MS04-035 (case does not matter).
    id: String,

    /// Show this earlier revision instead of the current one.
    #[arg(long, short)]
    revision: Option<i64>,

    /// Print the canonical JSON.
    #[arg(long, conflicts_with = "source")]
    json: bool,

    /// Print the original document the revision was imported from.
    #[arg(long)]
    source: bool,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(db).await?;
    let stored = match args.revision {
        Some(n) => store.get_revision(&args.id, n).await?,
        None => store.get(&args.id).await?,
    };
    let stored = stored.ok_or_else(|| match args.revision {
        Some(n) => anyhow!("{}: no revision {n} of this alert in the archive", args.id),
        None => anyhow!(
            "{}: no such alert in the archive (hfr list shows what is there)",
            args.id
        ),
    })?;
    if args.source {
        let source = store.source(&stored.alert.id, stored.revision).await?;
        match source.and_then(|s| s.text) {
            Some(text) => print!("{text}"),
            None => bail!(
                "{} revision {}: no original document was kept",
                stored.alert.id,
                stored.revision
            ),
        }
    } else if args.json {
        print_json(&stored.alert)?;
    } else {
        print!("{}", render::alert(&stored));
    }
    Ok(ExitCode::SUCCESS)
}
