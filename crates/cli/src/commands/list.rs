//! `hfr list`: the archive, newest first.

use std::process::ExitCode;

use hfr_model::{Action, Severity};
use hfr_store::{AlertFilter, TargetKind};

use crate::output::{print_json, table};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only alerts at least this severe: 1-4, or 緊急/重要/警告/注意, or critical/important/moderate/low.
    #[arg(long, value_parser = parse_severity, value_name = "LEVEL")]
    severity: Option<Severity>,

    /// Only this action: apply_now (至急適用), apply_soon (早期適用), wait_for_sp (SP待ち).
    #[arg(long, value_parser = parse_action)]
    action: Option<Action>,

    /// Only alerts whose exploit code is public (--exploit-code=false for those without).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    exploit_code: Option<bool>,

    /// Only alerts that concern servers or clients.
    #[arg(long, value_enum)]
    target: Option<Target>,

    /// Only alerts naming this software (substring, case-insensitive), e.g. "Windows 2000".
    #[arg(long)]
    product: Option<String>,

    /// Only this year (edition date).
    #[arg(long)]
    year: Option<i32>,

    /// Only this month of --year (1-12).
    #[arg(long, requires = "year", value_parser = clap::value_parser!(u32).range(1..=12))]
    month: Option<u32>,

    /// At most this many alerts.
    #[arg(long)]
    limit: Option<u32>,

    /// Skip this many alerts first.
    #[arg(long)]
    offset: Option<u32>,

    /// JSON output.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Target {
    Server,
    Client,
}

pub fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("'{s}' is not a severity (1-4, 緊急/重要/警告/注意)"))
}

pub fn parse_action(s: &str) -> Result<Action, String> {
    Action::parse(s).ok_or_else(|| {
        format!(
            "'{s}' is not an action (apply_now/至急適用, apply_soon/早期適用, wait_for_sp/SP待ち)"
        )
    })
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let filter = AlertFilter {
        min_severity: args.severity,
        action: args.action,
        exploit_code: args.exploit_code,
        target: args.target.map(|t| match t {
            Target::Server => TargetKind::Server,
            Target::Client => TargetKind::Client,
        }),
        product: args.product,
        year: args.year,
        month: args.month,
        limit: args.limit,
        offset: args.offset,
    };
    let store = crate::open_store(db).await?;
    let rows = store.list(&filter).await?;
    if args.json {
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        eprintln!("no alerts match");
        return Ok(ExitCode::SUCCESS);
    }
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.edition
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                render::severity(r.severity),
                render::yes_no(r.exploit_code, "あり", "なし"),
                render::action(r.action),
                r.title.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["ID", "版", "深刻度", "攻撃コード", "対策", "タイトル"],
            &body
        )
    );
    Ok(ExitCode::SUCCESS)
}
