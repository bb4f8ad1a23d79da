//! `hfr history`: every revision of an alert.

use std::process::ExitCode;

use anyhow::bail;

use crate::output::{print_json, table};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Bulletin id, e.g. MS04-039.
    id: String,

    /// Also list each changed field with its old and new value.
    #[arg(long, short)]
    changes: bool,

    /// JSON output (every revision with its changes).
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(db).await?;
    let revisions = store.history(&args.id).await?;
    if revisions.is_empty() {
        bail!("{}: no such alert in the archive", args.id);
    }
    if args.json {
        print_json(&revisions)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = revisions
        .iter()
        .map(|r| {
            let what = if r.revision == 1 {
                "登録".to_string()
            } else {
                hfr_model::diff::changed_sections(&r.changes).join(", ")
            };
            vec![
                r.revision.to_string(),
                r.recorded_at.format("%Y-%m-%d %H:%M:%SZ").to_string(),
                r.updated
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                format!("{} {}", r.source.kind.as_str(), r.source.name),
                what,
            ]
        })
        .collect();
    print!(
        "{}",
        table(&["版", "記録日時", "更新日", "ソース", "変更"], &rows)
    );
    if args.changes {
        for r in revisions.iter().filter(|r| !r.changes.is_empty()) {
            println!("\nrevision {}:", r.revision);
            for c in &r.changes {
                println!("  {}: {} → {}", c.path, short(&c.before), short(&c.after));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A JSON value on one line, cut to a readable length.
fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}
