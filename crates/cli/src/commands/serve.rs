//! `hfr serve`: the web site, JSON API and Atom feed; with mail settings
//! also the subscription pages, and with a relay the delivery of the outbox
//! and the HotFix Weekly schedule.

use std::process::ExitCode;

use std::future::IntoFuture;

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

    /// Deliver mail through this relay while serving (as `hfr mail send`
    /// does): smtp://host:port, smtp+starttls://user:pass@host:587 or
    /// smtps://…. Needs --from and --base-url.
    #[arg(long, env = "HFR_SMTP", value_name = "URL")]
    smtp: Option<String>,

    /// SMTP connections used in parallel by the delivery.
    #[arg(long, default_value_t = 4, value_name = "N")]
    connections: usize,

    /// Do not queue HotFix Weekly (by default, with --smtp, each week's
    /// digest is queued on Monday at 09:00 Japan time).
    #[arg(long)]
    no_weekly: bool,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    // Checked before anything else, so a bad setting stops the start.
    let sender = match (&args.mail.from, &args.smtp) {
        (Some(_), _) | (None, Some(_)) => Some(args.mail.sender()?),
        (None, None) => None,
    };
    let relay = args
        .smtp
        .as_deref()
        .map(hfr_mail::deliver::relay)
        .transpose()?;
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
    config.mail = sender.clone();

    // One stop for the site and the mail work beside it.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || Stopped(stop_rx.clone());
    tokio::spawn(async move {
        hfr_web::shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut work = Vec::new();
    if let (Some(sender), Some(relay)) = (sender, relay) {
        let secret = hfr_mail::deliver::secret(&*store).await?;
        let mut worker = hfr_mail::deliver::Worker::new(hfr_mail::deliver::worker_name());
        worker.connections = args.connections.clamp(1, 64);
        println!("hfr: delivering mail through {relay}");
        let finisher = super::mail::spawn_finisher(db, &worker.name);
        let mut delivery =
            hfr_mail::deliver::Delivery::new(store.clone(), sender.clone(), secret, relay, worker);
        if let Some(f) = finisher {
            delivery = delivery.with_finisher(f);
        }
        let stop = stopped();
        work.push(tokio::spawn(async move {
            // A failing store or relay is logged and tried again: the site
            // stays up and the mail waits in the outbox.
            loop {
                let poll = std::time::Duration::from_secs(2);
                match delivery.run(false, poll, stop.clone().into_future()).await {
                    Ok(_) => break,
                    Err(e) => tracing::error!(error = %e, "mail delivery stopped; again in 30 s"),
                }
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                    () = stop.clone().into_future() => break,
                }
            }
            delivery.close().await;
        }));
        if !args.no_weekly {
            let (store, stop) = (store.clone(), stopped());
            work.push(tokio::spawn(async move {
                let every = std::time::Duration::from_secs(600);
                hfr_mail::weekly::run_schedule(&*store, &sender, every, stop.into_future()).await;
            }));
        }
    }
    hfr_web::serve_with_shutdown(store, config, listener, stopped().into_future()).await?;
    for w in work {
        w.await.context("a background task panicked")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Resolves once the server is told to stop; clone it for each task.
#[derive(Clone)]
struct Stopped(tokio::sync::watch::Receiver<bool>);

impl Stopped {
    async fn wait(mut self) {
        let _ = self.0.wait_for(|&s| s).await;
    }
}

impl std::future::IntoFuture for Stopped {
    type Output = ();
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}
