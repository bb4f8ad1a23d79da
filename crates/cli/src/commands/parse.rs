//! `hfr parse`: pages in, JSON out, nothing stored.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::print_json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// HotFix Alert pages (text: UTF-8, Shift_JIS or EUC-JP).
    #[arg(required = true, value_name = "PAGE")]
    pages: Vec<PathBuf>,

    /// Do not print warnings.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut alerts = Vec::new();
    let mut failed = 0;
    for path in &args.pages {
        match super::read_page(path, args.quiet) {
            Ok(page) => alerts.push(page.parsed.alert),
            Err(e) => {
                eprintln!("error: {e:#}");
                failed += 1;
            }
        }
    }
    if args.pages.len() == 1 {
        if let Some(a) = alerts.first() {
            print_json(a)?;
        }
    } else {
        print_json(&alerts)?;
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
