//! `hfr show`: one alert, every section; or one vendor release, its alerts
//! listed as a bulletin listed its vulnerabilities.

use std::fmt::Write;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use hfr_store::{StoredAlert, StoredRelease};

use crate::output::{print_json, table};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Alert id, e.g. MS04-035 or CVE-2017-0144 (case does not matter), or
    /// a release id, e.g. 2017-Mar (with --release, or when no alert has
    /// that id).
    id: String,

    /// Show this earlier revision instead of the current one.
    #[arg(long, short, conflicts_with = "release")]
    revision: Option<i64>,

    /// Print the canonical JSON.
    #[arg(long, conflicts_with = "source")]
    json: bool,

    /// Print the original document the revision was imported from.
    #[arg(long)]
    source: bool,

    /// Show the vendor release (Microsoft's monthly document) with this id.
    #[arg(long, conflicts_with = "source")]
    release: bool,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(db).await?;
    if args.release {
        let Some(r) = store.release(&args.id).await? else {
            bail!(
                "{}: no such release in the archive (hfr import reads Microsoft's monthly documents)",
                args.id
            );
        };
        return show_release(&*store, &r, args.json).await;
    }
    let stored = match args.revision {
        Some(n) => store.get_revision(&args.id, n).await?,
        None => store.get(&args.id).await?,
    };
    let stored = match (stored, args.revision, args.source) {
        (Some(s), _, _) => s,
        (None, None, false) => match store.release(&args.id).await? {
            Some(r) => return show_release(&*store, &r, args.json).await,
            None => bail!(
                "{}: no such alert or release in the archive (hfr list shows what is there)",
                args.id
            ),
        },
        (None, Some(n), _) => bail!("{}: no revision {n} of this alert in the archive", args.id),
        (None, None, true) => bail!(
            "{}: no such alert in the archive (hfr list shows what is there)",
            args.id
        ),
    };
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

async fn show_release(
    store: &dyn hfr_store::Store,
    r: &StoredRelease,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if json {
        print_json(&r.release)?;
        return Ok(ExitCode::SUCCESS);
    }
    let ids: Vec<String> = r.release.alerts.iter().map(|a| a.id.clone()).collect();
    let alerts = store.get_many(&ids).await?;
    print!("{}", release_text(r, &alerts));
    if alerts.len() < ids.len() {
        return Err(anyhow!(
            "{}: {} of the {} alerts it lists are not in the archive",
            r.release.id,
            ids.len() - alerts.len(),
            ids.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The release as terminal text: its facts, then one line per alert with
/// the facts an administrator plans by.
fn release_text(r: &StoredRelease, alerts: &[StoredAlert]) -> String {
    let rel = &r.release;
    let mut out = String::new();
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let _ = writeln!(out, "{}  {}", rel.id, rel.title);
    let _ = writeln!(
        out,
        "公開日 {}  更新日 {}  vendor revision {}  (archive revision {}, recorded {})",
        time(rel.initial_release),
        time(rel.current_release),
        rel.revision.as_deref().unwrap_or("-"),
        r.revision,
        r.recorded_at.format("%Y-%m-%d")
    );
    let counts: Vec<String> = rel
        .severity_counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| match s {
            Some(s) => format!("{} {n}", s.label_ja()),
            None => format!("評価なし {n}"),
        })
        .collect();
    let _ = writeln!(
        out,
        "{} 件: {}\n",
        rel.alerts.len(),
        if counts.is_empty() {
            "-".to_string()
        } else {
            counts.join(", ")
        }
    );
    let rows: Vec<Vec<String>> = rel
        .alerts
        .iter()
        .map(|entry| {
            let stored = alerts
                .iter()
                .find(|s| s.alert.id.eq_ignore_ascii_case(&entry.id));
            let a = stored.map(|s| &s.alert);
            let action = match a {
                Some(a) => {
                    let mut s = render::action(a.action);
                    if let Some(rule) = a.action_rule {
                        let _ = write!(s, " ({})", rule.label_ja());
                    }
                    s
                }
                None => "-".into(),
            };
            let exploit = match a.and_then(|a| a.exploit_status.as_ref()) {
                Some(e) if e.is_exploited() => "悪用あり".to_string(),
                Some(e) if e.publicly_disclosed == Some(true) => "公開済み".to_string(),
                Some(_) => "なし".to_string(),
                None => "-".to_string(),
            };
            vec![
                entry.id.clone(),
                render::severity(entry.severity),
                exploit,
                action,
                entry.title.clone(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["id", "深刻度", "悪用", "対策 (根拠)", "タイトル"],
        &rows,
    ));
    out
}
