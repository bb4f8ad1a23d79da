//! `hfr export-site`: the whole site as static files, for a mirror.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write into (created if missing).
    dir: PathBuf,

    /// The public URL the mirror will be served at (for absolute links in the feed).
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "HFR_BASE_URL")]
    base_url: String,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(db).await?;
    let summary =
        hfr_web::export_site(store, hfr_web::WebConfig::new(args.base_url), &args.dir).await?;
    println!(
        "wrote {} files ({} bytes): {} alerts, {} revisions, to {}",
        summary.files,
        summary.bytes,
        summary.alerts,
        summary.revisions,
        args.dir.display()
    );
    for s in &summary.skipped {
        eprintln!("warning: skipped {s}");
    }
    Ok(ExitCode::SUCCESS)
}
