//! Opening the database, serving HTTP with graceful shutdown, the demo.

use anyhow::Context;
use frontline_app::jobs::RunnerConfig;
use frontline_app::{App, AppConfig};
use frontline_store::Store;
use frontline_web::{AppState, WebConfig};
use tokio::sync::watch;

use crate::config::{Config, redact_url};

/// Logs go to standard output, in colour only when that is a terminal (a
/// file or a pipe gets plain text). A line per HTTP request is DEBUG, shown
/// when `log_requests` is on (or RUST_LOG asks for it).
pub fn init_logging(format: &str, log_requests: bool) {
    use std::io::IsTerminal;
    let default =
        if log_requests { "info,sqlx=warn,tower_http=info,tower_http::trace::on_response=debug" } else { "info,sqlx=warn,tower_http=info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(std::io::stdout().is_terminal());
    let result = if format == "json" { builder.json().try_init() } else { builder.try_init() };
    if let Err(e) = result {
        eprintln!("warning: logging already initialised: {e}");
    }
}

/// Connect and migrate.
pub async fn open(config: &Config) -> anyhow::Result<App> {
    open_as(config, Process::LongRunning).await
}

/// What kind of process opens the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    LongRunning,
    /// One piped mail: one connection, and migrations only checked cheaply.
    OneShot,
}

pub async fn open_as(config: &Config, process: Process) -> anyhow::Result<App> {
    Ok(open_parts(config, process).await?.0)
}

/// Connect and migrate; the app and the store it was made from. Only the
/// benchmarks keep the store, to set up and check the database underneath
/// the use cases; everything else goes through the app.
pub async fn open_with_store(config: &Config) -> anyhow::Result<(App, Store)> {
    open_parts(config, Process::LongRunning).await
}

async fn open_parts(config: &Config, process: Process) -> anyhow::Result<(App, Store)> {
    let url = config.database_url()?;
    let connections = if process == Process::OneShot { 1 } else { config.max_connections };
    let store = Store::connect(&url, connections).await.with_context(|| format!("cannot open database {}", redact_url(&url)))?;
    match process {
        Process::LongRunning => store.migrate().await,
        Process::OneShot => store.migrate_if_behind().await,
    }
    .context("cannot migrate the database")?;
    let app_config = AppConfig {
        runner: RunnerConfig {
            workers: config.job_workers.clamp(1, 256),
            // A heartbeat every third of it; under 3 s the heartbeats would be most of the work.
            lease: std::time::Duration::from_secs(config.job_lease_seconds.max(3)),
            scheduler: (config.scheduler_seconds > 0).then(|| std::time::Duration::from_secs(config.scheduler_seconds.min(3600))),
            ..RunnerConfig::default()
        },
        public_url: config.base_url.clone(),
        invitation_days: config.invitation_days.clamp(1, 365),
        attachment_limits: config.attachment_limits(),
        own_addresses: config.own_addresses(),
        ..AppConfig::default()
    };
    let app = App::new(store.clone(), app_config);
    let app = match &config.smtp_url {
        Some(url) => {
            // One pooled SMTP connection per job worker: each sends one mail at a time.
            let connections = u32::try_from(config.job_workers.clamp(1, 256)).unwrap_or(frontline_mail::DEFAULT_CONNECTIONS);
            let mailer = frontline_mail::SmtpMailer::with_options(url, &config.mail_from, config.smtp_ca_file.as_deref(), connections)
                .map_err(|e| anyhow::anyhow!(e))?;
            app.with_mailer(std::sync::Arc::new(mailer))
        }
        None => app,
    };
    Ok((app, store))
}

/// A configured `[[imap]]` mailbox, its team resolved by name.
pub async fn imap_mailbox(app: &App, config: &Config, mb: &crate::config::ImapConfig) -> anyhow::Result<frontline_mail::imap::ImapMailbox> {
    let team_id = match &mb.team {
        None => None,
        Some(name) => Some(
            app.team_by_name(name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .with_context(|| format!("mailbox {}: no team named '{name}'", mb.name))?,
        ),
    };
    Ok(frontline_mail::imap::ImapMailbox {
        team_id,
        name: mb.name.clone(),
        host: mb.host.clone(),
        port: mb.port(),
        username: mb.username.clone(),
        password: mb.password.clone(),
        folder: mb.folder.clone(),
        security: mb.security.into(),
        ca_file: mb.ca_file.clone(),
        timeout: std::time::Duration::from_secs(config.imap_timeout_seconds.max(1)),
    })
}

/// On SQLite, the lock that keeps a second server and `frontline restore`
/// away from this server's database while it runs.
fn lock_database(config: &Config) -> anyhow::Result<Option<frontline_store::backup::DatabaseLock>> {
    match frontline_store::backup::sqlite_path(&config.database_url()?) {
        Some(db) => Ok(Some(frontline_store::backup::lock_sqlite_database(&db)?)),
        None => Ok(None),
    }
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let _lock = lock_database(&config)?;
    let app = open(&config).await?;
    run_server(app, &config).await
}

async fn run_server(app: App, config: &Config) -> anyhow::Result<()> {
    // Turned true on SIGTERM/SIGINT: HTTP stops taking requests, the job
    // runner and the IMAP pollers stop at their next boundary.
    let rate_limits = config.rate_limits()?;
    let (stop_tx, stop) = watch::channel(false);
    let stop_tx = std::sync::Arc::new(stop_tx);
    let jobs = if config.run_jobs {
        let (app, stop) = (app.clone(), stop.clone());
        Some(tokio::spawn(async move { app.job_loop(stop).await }))
    } else {
        None
    };
    let mut pollers = Vec::new();
    for mb in &config.imap {
        let mailbox = imap_mailbox(&app, config, mb).await?;
        mailbox.check().map_err(|e| anyhow::anyhow!("mailbox {}: {e}", mb.name))?;
        if mailbox.security == frontline_mail::imap::ImapSecurity::Plain {
            tracing::warn!(mailbox = %mb.name, "IMAP without TLS: the password crosses the network readable");
        }
        let every = std::time::Duration::from_secs(config.imap_poll_seconds.max(5));
        pollers.push(tokio::spawn(poll_mailbox(app.clone(), mailbox, every, stop.clone())));
    }
    let state = AppState::new(app.clone(), WebConfig { base_url: config.base_url.clone(), secure_cookies: config.secure_cookies })
        .with_metrics(config.metrics_access())
        .with_rate_limits(&rate_limits);
    let metrics = match config.metrics_listen {
        Some(addr) => {
            let listener =
                tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} (metrics_listen)"))?;
            tracing::info!(listen = %addr, "serving /metrics");
            let router = frontline_web::metrics::router(state.clone());
            let stop = stop.clone();
            Some(tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(stopped(stop)).await }))
        }
        None => None,
    };
    if config.metrics_enabled()
        && let Some(handle) = frontline_web::metrics::recorder()
    {
        // Histograms are kept in buckets that the recorder folds in at upkeep.
        let (handle, mut stop) = (handle.clone(), stop.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            while tokio::select! { _ = stop.wait_for(|s| *s) => false, _ = tick.tick() => true } {
                handle.run_upkeep();
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, base_url = %config.base_url, engine = ?app.engine(), "Frontline is serving");
    let signal = {
        let stop_tx = stop_tx.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            stop_tx.send_replace(true);
        })
    };
    // The peer's address is what the per-address API limit keys on.
    let service = frontline_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(stopped(stop.clone())).await;
    // Also when serving failed: nothing may keep running behind it.
    stop_tx.send_replace(true);
    signal.abort();
    if let Some(j) = jobs {
        let _ = j.await;
    }
    for p in pollers {
        let _ = p.await;
    }
    if let Some(m) = metrics {
        let _ = m.await;
    }
    app.close().await;
    Ok(served?)
}

/// Resolves once shutdown is asked.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Poll one mailbox every `every` until shutdown; a poll in progress stops
/// after the message it is storing, and no poll starts once shutdown was asked.
async fn poll_mailbox(app: App, mailbox: frontline_mail::imap::ImapMailbox, every: std::time::Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            _ = tick.tick() => {}
        }
        // Failures are logged by the poller, with how far it got.
        if let Ok(n @ 1..) = frontline_mail::imap::poll_until_stopped(&app, &mailbox, stop.clone()).await {
            tracing::info!(mailbox = %mailbox.name, messages = n, "mail taken in over IMAP");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

pub async fn demo(config: Config, serve: bool) -> anyhow::Result<()> {
    let _lock = lock_database(&config)?;
    let app = open(&config).await?;
    let summary = frontline_seed::seed_demo(&app).await.context("cannot create demo data")?;
    println!();
    println!("Frontline demo: {}", config.base_url);
    println!("Data folder: {}", config.data_dir.display());
    println!("Every demo user's password: {}", frontline_seed::DEMO_PASSWORD);
    println!();
    for login in &summary.logins {
        let context = [login.position.as_deref(), login.team.as_deref(), login.organization.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        println!("  {:<36} {:<24} {}", login.email, login.role, context);
    }
    println!();
    if serve { run_server(app, &config).await } else { Ok(()) }
}
