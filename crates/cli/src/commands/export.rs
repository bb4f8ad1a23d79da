//! `hfr export`: one alert in a format other tools read. (`hfr export-site`
//! writes the whole site instead.)

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    format: Format,
}

#[derive(Debug, clap::Subcommand)]
enum Format {
    /// One alert as a CSAF 2.0 security advisory (JSON), the document
    /// GET /api/v1/alerts/ID/csaf serves.
    ///
    /// What CSAF has no field for travels in notes titled `hfr:<key>`, so
    /// `hfr import` of the file gives back the same alert.
    Csaf(CsafArgs),
}

#[derive(Debug, clap::Args)]
struct CsafArgs {
    /// Bulletin id, e.g. MS04-035 (case does not matter).
    id: String,

    /// Write to this file instead of stdout; a directory gets the file
    /// name CSAF gives the document (e.g. ms04-035.json).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Export this earlier revision instead of the current one.
    #[arg(long, short)]
    revision: Option<i64>,

    /// The site's public URL: the publisher's namespace and the base of
    /// the document's own URL, as the server that serves it would write.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "HFR_BASE_URL")]
    base_url: String,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    match args.format {
        Format::Csaf(args) => csaf(args, db).await,
    }
}

async fn csaf(args: CsafArgs, db: Option<&str>) -> anyhow::Result<ExitCode> {
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
    let history = store.history(&stored.alert.id).await?;
    let doc = hfr_web::csaf_document(&args.base_url, &stored, &history);
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    match args.out {
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
        Some(out) => {
            let path = if out.is_dir() {
                out.join(hfr_csaf::file_name(&stored.alert.id))
            } else {
                out
            };
            std::fs::write(&path, &text)
                .with_context(|| format!("{}: cannot write", crate::display_path(&path)))?;
            println!(
                "{}: revision {} written as CSAF to {} ({} bytes)",
                stored.alert.id,
                stored.revision,
                crate::display_path(&path),
                text.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
