//! `hfr publish`: queue an alert's mail for the subscribers who asked for it.

use std::process::ExitCode;

use anyhow::Context;
use hfr_mail::publish::{publish, MailKind, Published};
use hfr_mail::{Sender, SenderConfig};

/// Who the mail is from and where its links point; shared by every command
/// that makes mail.
#[derive(Debug, Clone, clap::Args)]
pub struct SenderArgs {
    /// The From address of mail, e.g. `HotFix Report <alerts@hfr.example.org>`.
    #[arg(long = "from", env = "HFR_MAIL_FROM", value_name = "ADDRESS")]
    pub from: Option<String>,

    /// Reply-To, when replies should go elsewhere than From.
    #[arg(long, env = "HFR_MAIL_REPLY_TO", value_name = "ADDRESS")]
    pub reply_to: Option<String>,

    /// The site's public URL, for the links in mails.
    #[arg(long, env = "HFR_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// The domain of the List-Id (default: the From address's domain).
    #[arg(long, env = "HFR_MAIL_LIST_DOMAIN", value_name = "DOMAIN")]
    pub list_domain: Option<String>,
}

impl SenderArgs {
    /// The checked sender; --from and --base-url are required to make mail.
    pub fn sender(&self) -> anyhow::Result<Sender> {
        let (Some(from), Some(base_url)) = (&self.from, &self.base_url) else {
            anyhow::bail!(
                "making mail needs --from (or HFR_MAIL_FROM) and --base-url (or HFR_BASE_URL)"
            );
        };
        let domain = from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').trim().to_string())
            .unwrap_or_default();
        Sender::new(&SenderConfig {
            from: from.clone(),
            reply_to: self.reply_to.clone(),
            list_domain: self.list_domain.clone().unwrap_or(domain),
            base_url: base_url.clone(),
            message_id_domain: None,
        })
        .context("the mail settings (--from, --reply-to, --base-url, --list-domain)")
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The alerts to publish (their current revision).
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,

    #[command(flatten)]
    sender: SenderArgs,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let sender = args.sender.sender()?;
    let store = crate::open_store(db).await?;
    for line in publish_all(&*store, &sender, &args.ids).await? {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Publishes each alert; one line per alert on what was queued.
pub async fn publish_all(
    store: &dyn hfr_store::Store,
    sender: &Sender,
    ids: &[String],
) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    for id in ids {
        match publish(store, sender, id, chrono::Utc::now()).await? {
            Published::Queued {
                id,
                revision,
                kind,
                recipients,
                ..
            } => {
                let what = match kind {
                    MailKind::Alert => "HotFix Alert mail",
                    MailKind::Update => "update mail",
                };
                lines.push(format!(
                    "{id}: revision {revision}: {what} queued for {recipients} subscribers"
                ));
            }
            Published::Already { id, revision } => {
                lines.push(format!(
                    "{id}: revision {revision} was published before; nothing queued"
                ));
            }
        }
    }
    Ok(lines)
}
