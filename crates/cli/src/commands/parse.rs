//! `hfr parse`: documents in, JSON out, nothing stored.

use std::path::PathBuf;
use std::process::ExitCode;

use hfr_import::Document;
use serde::Serialize;

use crate::output::print_json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files in any format `hfr import` reads (HotFix pages, hfr JSON,
    /// Microsoft CVRF XML or API JSON, CSAF), told apart by content unless
    /// --format says.
    #[arg(required = true, value_name = "FILE")]
    pages: Vec<PathBuf>,

    #[command(flatten)]
    input: super::InputArgs,
}

/// A release as `parse` prints it: the release and its alerts.
#[derive(Serialize)]
struct ReleaseView {
    release: hfr_model::Release,
    alerts: Vec<hfr_model::Alert>,
}

/// One file's JSON: an alert as it would be stored, or a release with its
/// alerts.
#[derive(Serialize)]
#[serde(untagged)]
enum View {
    Alert(Box<hfr_model::Alert>),
    Release(Box<ReleaseView>),
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    let mut failed = 0;
    for input in super::read_inputs(&args.pages, &args.input) {
        match input {
            Ok(input) => out.push(match input.document {
                Document::Alert(p) => View::Alert(Box::new(p.alert)),
                Document::Release(r) => View::Release(Box::new(ReleaseView {
                    release: r.release,
                    alerts: r.alerts,
                })),
            }),
            Err(e) => {
                eprintln!("error: {e:#}");
                failed += 1;
            }
        }
    }
    if args.pages.len() == 1 {
        if let Some(v) = out.first() {
            print_json(v)?;
        }
    } else {
        print_json(&out)?;
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
