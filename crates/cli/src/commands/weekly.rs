//! `hfr weekly`: queue HotFix Weekly, the digest of a week's publications.

use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use hfr_mail::weekly;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Any day of the week to send (Monday to Sunday, Japan time); by
    /// default the last complete week.
    #[arg(long, value_name = "YYYY-MM-DD")]
    week: Option<NaiveDate>,

    /// Print the digest as its subscribers would read it (text part), and
    /// queue nothing.
    #[arg(long)]
    dry_run: bool,

    #[command(flatten)]
    sender: crate::commands::publish::SenderArgs,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let sender = args.sender.sender()?;
    let store = crate::open_store(db).await?;
    let now = chrono::Utc::now();
    let monday = args
        .week
        .map(weekly::monday_of)
        .unwrap_or_else(|| weekly::last_complete_week(now));
    let week = weekly::week(&*store, monday).await?;
    let span = format!(
        "{}〜{}",
        week.start.format("%Y/%m/%d"),
        week.end.format("%m/%d")
    );
    if args.dry_run {
        print!("{}", hfr_mail::compose::weekly_text(&sender, &week)?);
        return Ok(ExitCode::SUCCESS);
    }
    let queued = weekly::queue(&*store, &sender, monday, now)
        .await
        .context("queueing HotFix Weekly")?;
    if queued.alerts == 0 {
        println!("HotFix Weekly {span}: nothing was published that week; nothing queued");
    } else {
        println!(
            "HotFix Weekly {span}: {} alerts, queued for {} subscribers ({})",
            queued.alerts, queued.recipients, queued.message_key
        );
    }
    Ok(ExitCode::SUCCESS)
}
