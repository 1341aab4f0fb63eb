//! Opening the database, serving HTTP with graceful shutdown, the demo.

use anyhow::Context;
use frontline_app::jobs::RunnerConfig;
use frontline_app::{App, AppConfig};
use frontline_store::Store;
use frontline_web::{AppState, WebConfig};
use tokio::sync::watch;

use crate::config::{Config, redact_url};

pub fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
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
            ..RunnerConfig::default()
        },
        public_url: config.base_url.clone(),
        attachment_limits: config.attachment_limits(),
        own_addresses: config.own_addresses(),
        ..AppConfig::default()
    };
    let app = App::new(store, app_config);
    Ok(match &config.smtp_url {
        Some(url) => {
            let mailer = frontline_mail::SmtpMailer::with_ca_file(url, &config.mail_from, config.smtp_ca_file.as_deref())
                .map_err(|e| anyhow::anyhow!(e))?;
            app.with_mailer(std::sync::Arc::new(mailer))
        }
        None => app,
    })
}

/// A configured `[[imap]]` mailbox, its team resolved by name.
pub async fn imap_mailbox(app: &App, mb: &crate::config::ImapConfig) -> anyhow::Result<frontline_mail::imap::ImapMailbox> {
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
    let (stop_tx, stop_rx) = watch::channel(false);
    let jobs = if config.run_jobs {
        let app = app.clone();
        Some(tokio::spawn(async move { app.job_loop(stop_rx).await }))
    } else {
        None
    };
    let mut pollers = Vec::new();
    for mb in &config.imap {
        let mailbox = imap_mailbox(&app, mb).await?;
        mailbox.check().map_err(|e| anyhow::anyhow!("mailbox {}: {e}", mb.name))?;
        if mailbox.security == frontline_mail::imap::ImapSecurity::Plain {
            tracing::warn!(mailbox = %mb.name, "IMAP without TLS: the password crosses the network readable");
        }
        let (app, mut stop, every) = (app.clone(), stop_tx.subscribe(), config.imap_poll_seconds.max(5));
        pollers.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tick.tick() => match frontline_mail::imap::poll_once(&app, &mailbox).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(mailbox = %mailbox.name, messages = n, "mail taken in over IMAP"),
                        Err(e) => tracing::warn!(mailbox = %mailbox.name, error = %e, "IMAP poll failed; will retry"),
                    },
                }
            }
        }));
    }
    let state = AppState::new(app.clone(), WebConfig { base_url: config.base_url.clone(), secure_cookies: config.secure_cookies });
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, base_url = %config.base_url, engine = ?app.store.engine(), "Frontline is serving");
    axum::serve(listener, frontline_web::router(state)).with_graceful_shutdown(shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    if let Some(j) = jobs {
        let _ = j.await;
    }
    for p in pollers {
        let _ = p.await;
    }
    app.store.close().await;
    Ok(())
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
