//! `hfr edit`: an analyst's change to an alert, stored as a new revision.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use hfr_model::Alert;
use hfr_store::{ImportItem, Source, SourceKind};

use crate::output::print_json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Bulletin id, e.g. MS04-035.
    id: String,

    /// Take the whole new alert JSON from this file ('-' for stdin) instead of an editor.
    #[arg(long, short, value_name = "FILE", conflicts_with = "set")]
    file: Option<PathBuf>,

    /// Set one top-level field, e.g. --set severity=1 --set action=apply_now
    /// (the value is read as JSON, else as a string).
    #[arg(long, value_name = "KEY=VALUE")]
    set: Vec<String>,

    /// Who made the edit (default: $USER).
    #[arg(long)]
    author: Option<String>,

    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(db).await?;
    let current = store
        .get(&args.id)
        .await?
        .ok_or_else(|| anyhow!("{}: no such alert in the archive", args.id))?;
    let before = serde_json::to_string_pretty(&current.alert)?;

    let (text, origin) = if let Some(path) = &args.file {
        (read_file_or_stdin(path)?, crate::display_path(path))
    } else if !args.set.is_empty() {
        (apply_sets(&current.alert, &args.set)?, "--set".to_string())
    } else {
        edit_in_editor(&before)?
    };
    let alert: Alert = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{origin}: line {} column {}: not a valid alert: {e}; nothing was stored",
            e.line(),
            e.column()
        )
    })?;
    if !alert.id.eq_ignore_ascii_case(&current.alert.id) {
        bail!(
            "{origin}: the id changed from {} to {}; an edit cannot rename an alert, nothing was stored",
            current.alert.id,
            alert.id
        );
    }
    let author = args
        .author
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "editor".into());
    let outcomes = store
        .import(vec![ImportItem {
            alert,
            source: Source {
                kind: SourceKind::Edit,
                name: author,
                format: "json".into(),
                sha256: None,
                text: Some(text),
            },
            force: true,
        }])
        .await?;
    if args.json {
        print_json(&outcomes)?;
    } else {
        for o in &outcomes {
            println!("{}", super::import::describe(o, &origin));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_file_or_stdin(path: &PathBuf) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("stdin: cannot read")?;
        Ok(s)
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", crate::display_path(path)))
    }
}

/// Applies `KEY=VALUE` settings to the alert's JSON.
fn apply_sets(alert: &Alert, sets: &[String]) -> anyhow::Result<String> {
    let mut value = serde_json::to_value(alert)?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| anyhow!("alert JSON is not an object"))?;
    for s in sets {
        let (key, raw) = s
            .split_once('=')
            .ok_or_else(|| anyhow!("--set {s}: expected KEY=VALUE"))?;
        if !obj.contains_key(key) {
            bail!("--set {s}: the alert has no field '{key}' (hfr schema lists them)");
        }
        let v = serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.into()));
        obj.insert(key.to_string(), v);
    }
    Ok(serde_json::to_string_pretty(&value)?)
}

/// Opens the JSON in $VISUAL/$EDITOR and returns what was saved.
fn edit_in_editor(before: &str) -> anyhow::Result<(String, String)> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let dir = std::env::temp_dir();
    let path = dir.join(format!("hfr-edit-{}.json", std::process::id()));
    std::fs::write(&path, before).with_context(|| format!("{}: cannot write", path.display()))?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("hfr-edit")
        .arg(&path)
        .status()
        .with_context(|| format!("cannot run the editor '{editor}'"))?;
    if !status.success() {
        bail!(
            "the editor '{editor}' exited with {status}; nothing was stored (your edit is in {})",
            path.display()
        );
    }
    let after = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    // Keep the file when the JSON is broken, so the edit is not lost.
    if serde_json::from_str::<serde_json::Value>(&after).is_ok() {
        let _ = std::fs::remove_file(&path);
    }
    Ok((after, path.display().to_string()))
}
