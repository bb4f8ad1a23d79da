//! `hfr serve`: the web site, JSON API and Atom feed.

use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "HFR_LISTEN")]
    listen: String,

    // The site's public URL is --base-url (default: http://LISTEN); with
    // --from as well, the site takes subscriptions and queues confirmations.
    #[command(flatten)]
    mail: crate::commands::publish::SenderArgs,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    // Checked before anything else, so a bad setting stops the start.
    let sender = match args.mail.from {
        Some(_) => Some(args.mail.sender()?),
        None => None,
    };
    let store = crate::open_store(db).await?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let base_url = args
        .mail
        .base_url
        .unwrap_or_else(|| format!("http://{addr}"));
    let count = store.count(&Default::default()).await?;
    println!(
        "hfr: serving {count} alerts ({}) at {base_url}/",
        store.backend()
    );
    let mut config = hfr_web::WebConfig::new(base_url);
    config.mail = sender;
    hfr_web::serve(store, config, listener).await?;
    Ok(ExitCode::SUCCESS)
}
