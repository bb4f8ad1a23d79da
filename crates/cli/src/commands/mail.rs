//! `hfr mail`: the outbox, as an operator sees it.

use std::collections::BTreeMap;
use std::process::ExitCode;

use hfr_store::OutboxState;

use crate::output::{print_json, table};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: MailCommand,
}

#[derive(Debug, clap::Subcommand)]
enum MailCommand {
    /// Queued, sending, sent, failed and retrying counts per message.
    Status {
        /// As JSON.
        #[arg(long)]
        json: bool,
        /// Also list the failures of this message, with the SMTP reply.
        #[arg(long, value_name = "MESSAGE_KEY")]
        failures: Option<String>,
    },
}

#[derive(Default, serde::Serialize)]
struct Row {
    queued: u64,
    retrying: u64,
    sending: u64,
    sent: u64,
    failed: u64,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(db).await?;
    match args.command {
        MailCommand::Status { json, failures } => {
            let mut rows: BTreeMap<String, Row> = BTreeMap::new();
            for c in store.outbox_status().await? {
                let r = rows.entry(c.message_key).or_default();
                match c.state {
                    OutboxState::Queued if c.retrying => r.retrying += c.count,
                    OutboxState::Queued => r.queued += c.count,
                    OutboxState::Sending => r.sending += c.count,
                    OutboxState::Sent => r.sent += c.count,
                    OutboxState::Failed => r.failed += c.count,
                }
            }
            if json {
                print_json(&rows)?;
            } else if rows.is_empty() {
                println!("the outbox is empty");
            } else {
                let body: Vec<Vec<String>> = rows
                    .iter()
                    .map(|(k, r)| {
                        vec![
                            k.clone(),
                            r.queued.to_string(),
                            r.retrying.to_string(),
                            r.sending.to_string(),
                            r.sent.to_string(),
                            r.failed.to_string(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(
                        &[
                            "メッセージ",
                            "待機",
                            "再試行待ち",
                            "送信中",
                            "送信済み",
                            "失敗"
                        ],
                        &body
                    )
                );
            }
            if let Some(key) = failures {
                for (recipient, error, attempts) in store.outbox_failures(&key, 100).await? {
                    println!("{recipient}\t{attempts} attempts\t{error}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
