//! `hfr mail`: the outbox, as an operator sees it.

use std::collections::BTreeMap;
use std::os::fd::AsFd;
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
    /// Deliver the outbox over SMTP: until it is empty (--once), or for good,
    /// checking for due mail every few seconds.
    Send {
        /// The relay: smtp://host:port, smtp+starttls://user:pass@host:587 or smtps://…
        #[arg(long, env = "HFR_SMTP", value_name = "URL")]
        smtp: String,
        /// Stop when nothing is due instead of waiting for more.
        #[arg(long)]
        once: bool,
        /// Seconds before the first retry after a temporary failure (each
        /// further retry waits twice as long).
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        backoff: u32,
        /// SMTP connections used in parallel.
        #[arg(long, default_value_t = 4, value_name = "N")]
        connections: usize,
        /// Seconds a claim on a batch of mail holds before another sender
        /// may take it over (a sender that died on another host; one on this
        /// host is noticed at once).
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        lease: u32,
        #[command(flatten)]
        sender: crate::commands::publish::SenderArgs,
    },

    /// Add subscribers by address (an operator's import; a reader uses the
    /// web form, which asks them to confirm).
    Subscribe {
        #[arg(value_name = "ADDRESS", required_unless_present = "file")]
        addresses: Vec<String>,
        /// Also read addresses from this file, one per line (`-`: standard
        /// input); blank lines and lines starting with `#` are skipped.
        #[arg(long, value_name = "FILE")]
        file: Option<std::path::PathBuf>,
        /// Mark them confirmed at once (they asked elsewhere).
        #[arg(long)]
        confirmed: bool,
    },
    /// The finisher of a sender (started by `mail send` and `serve`, not by
    /// hand): reads the sender's connections and hand-overs on its standard
    /// input and, when the sender dies, completes the mails the store
    /// counts as handed to the relay.
    #[command(hide = true)]
    Finisher {
        #[arg(long)]
        worker: String,
    },

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

/// Starts the finisher of sender `worker` (this binary, `mail finisher`,
/// with the same archive): see `hfr_mail::deliver::finisher`. Without one
/// (it cannot be started) delivery goes on, with a warning.
pub(crate) fn spawn_finisher(
    db: Option<&str>,
    worker: &str,
) -> Option<std::sync::Arc<hfr_mail::deliver::finisher::Finisher>> {
    let started = (|| -> std::io::Result<_> {
        let pair = hfr_mail::deliver::finisher::pair()?;
        let mut command = std::process::Command::new(std::env::current_exe()?);
        command
            .args(["mail", "finisher", "--worker", worker])
            .stdin(std::process::Stdio::from(pair.finisher))
            .stdout(std::process::Stdio::null());
        // The archive through the environment, not the command line, where
        // a PostgreSQL password would show in `ps`.
        match db {
            Some(db) => command.env("HFR_DB", db),
            None => command.env_remove("HFR_DB"),
        };
        let mut child = command.spawn()?;
        // Reap it when it ends (with this process or after it).
        std::thread::spawn(move || child.wait());
        Ok(hfr_mail::deliver::finisher::Finisher::new(pair.sender))
    })();
    match started {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the mail finisher: a sender killed during a hand-over may lose that mail");
            None
        }
    }
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
        MailCommand::Send {
            smtp,
            once,
            backoff,
            connections,
            lease,
            sender,
        } => {
            let sender = sender.sender()?;
            let secret = hfr_mail::deliver::secret(&*store).await?;
            let relay = hfr_mail::deliver::relay(&smtp)?;
            let mut worker = hfr_mail::deliver::Worker::new(hfr_mail::deliver::worker_name());
            worker.backoff = chrono::Duration::seconds(i64::from(backoff));
            worker.connections = connections.clamp(1, 64);
            worker.lease = chrono::Duration::seconds(i64::from(lease.max(10)));
            let finisher = spawn_finisher(db, &worker.name);
            let mut delivery =
                hfr_mail::deliver::Delivery::new(store.clone(), sender, secret, relay, worker);
            if let Some(f) = finisher {
                delivery = delivery.with_finisher(f);
            }
            let stop = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            let total = delivery
                .run(once, std::time::Duration::from_secs(5), stop)
                .await;
            delivery.close().await;
            let total = total?;
            println!(
                "sent {}, to retry {}, failed {}, taken over by another sender {}",
                total.sent, total.retrying, total.failed, total.lost
            );
            Ok(ExitCode::SUCCESS)
        }
        MailCommand::Finisher { worker } => {
            let socket = std::io::stdin().as_fd().try_clone_to_owned()?;
            let done = hfr_mail::deliver::finisher::serve(socket, store, &worker).await?;
            if done.pending > 0 {
                tracing::warn!(
                    worker,
                    pending = done.pending,
                    completed = done.completed,
                    "the sender stopped during hand-overs: completed those it had recorded"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        MailCommand::Subscribe {
            addresses,
            file,
            confirmed,
        } => {
            let mut all: Vec<(String, String)> = addresses
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("argument {}", i + 1), a.trim().to_string()))
                .collect();
            if let Some(path) = &file {
                all.extend(read_address_file(path)?);
            }
            // Every address is checked before any is stored.
            for (place, a) in &all {
                if a.parse::<lettre::Address>().is_err() {
                    anyhow::bail!("{place}: {a:?} is not an e-mail address; nothing was stored");
                }
            }
            let prefs = hfr_model::subscription::Preferences::default();
            let verbose = all.len() <= 20;
            for (_, a) in &all {
                let nonce = hfr_mail::token::new_nonce()?;
                let s = store
                    .upsert_subscriber(a, &prefs, &nonce, chrono::Utc::now())
                    .await?;
                if confirmed {
                    store.confirm_subscriber(s.id, chrono::Utc::now()).await?;
                }
                if verbose {
                    println!("{}: subscriber {}", s.address, s.id);
                }
            }
            if !verbose {
                println!(
                    "{} subscribers stored{}",
                    all.len(),
                    if confirmed { ", confirmed" } else { "" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
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

/// The addresses in `path` (`-`: standard input), each with its place
/// (`file:line`) for error messages.
fn read_address_file(path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    use anyhow::Context;
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .context("reading addresses from standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            (
                format!("{}:{}", path.display(), i + 1),
                l.trim().to_string(),
            )
        })
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect())
}
