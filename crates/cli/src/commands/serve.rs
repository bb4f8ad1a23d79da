//! `hfr serve`: the web site, JSON API and Atom feed.

use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "HFR_LISTEN")]
    listen: String,

    /// The public URL of the site, for absolute links in the feed and the API
    /// (default: http://LISTEN).
    #[arg(long, env = "HFR_BASE_URL")]
    base_url: Option<String>,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(db).await?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let base_url = args.base_url.unwrap_or_else(|| format!("http://{addr}"));
    let count = store.count(&Default::default()).await?;
    println!(
        "hfr: serving {count} alerts ({}) at {base_url}/",
        store.backend()
    );
    hfr_web::serve(store, hfr_web::WebConfig::new(base_url), listener).await?;
    Ok(ExitCode::SUCCESS)
}
