//! The Frontline binary: parses the command line, loads configuration,
//! wires storage, use cases and the web app together, and runs.

mod bench;
mod bench_mail;
mod bench_notify;
mod bench_scheduler;
mod bench_smtp;
mod cli;
mod config;
mod server;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "frontline", version, about = "Frontline: a self-hosted support desk for B2B software companies")]
struct Cli {
    /// Configuration file (TOML). Default: ./frontline.toml if it exists.
    #[arg(long, global = true, env = "FRONTLINE_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL (postgres://... or sqlite://...); overrides data_dir.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Directory for the SQLite database when no database URL is given.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app, portal and API.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Public URL, e.g. https://support.example.com.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Create a demo data folder with realistic data and serve it on 127.0.0.1:8080.
    Demo {
        /// Address to listen on.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Seed the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Copy the SQLite database, consistently, while the server runs (PostgreSQL: prints the pg_dump command).
    Backup {
        /// The backup file to write.
        #[arg(long)]
        to: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the SQLite database with a backup, then migrate it (stop the server first; PostgreSQL: prints the pg_restore command).
    Restore {
        /// A file made by `frontline backup`.
        #[arg(long)]
        from: PathBuf,
    },
    /// Manage users.
    #[command(subcommand)]
    User(cli::UserCommand),
    /// Manage customer organizations.
    #[command(subcommand)]
    Org(cli::OrgCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(cli::TokenCommand),
    /// Email: take in messages from an MTA.
    #[command(subcommand)]
    Mail(cli::MailCommand),
    /// Generate benchmark data and measure the app against it.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Mail(cmd) = cli.command {
        let overrides = config::Overrides { database_url: cli.database_url, data_dir: cli.data_dir, ..Default::default() };
        let code = match config::load(cli.config.as_ref(), &overrides) {
            Ok(config) => cli::mail(config, cmd).await,
            Err(e) => {
                // A broken configuration is for an admin to fix; the MTA keeps the mail meanwhile.
                eprintln!("error: {e:#}");
                cli::EX_TEMPFAIL
            }
        };
        // The MTA reads the exit code: pass it on exactly.
        std::process::exit(i32::from(code));
    }
    // Repeated for the `mail ingest` processes that `bench mail pipe` starts.
    let mut child_args = Vec::new();
    for (flag, value) in [
        ("--config", cli.config.as_ref().map(|p| p.as_os_str().to_owned())),
        ("--database-url", cli.database_url.as_ref().map(Into::into)),
        ("--data-dir", cli.data_dir.as_ref().map(|p| p.as_os_str().to_owned())),
    ] {
        if let Some(v) = value {
            child_args.push(flag.into());
            child_args.push(v);
        }
    }
    let mut overrides = config::Overrides { database_url: cli.database_url, data_dir: cli.data_dir, ..Default::default() };
    match cli.command {
        Command::Serve { listen, base_url } => {
            overrides.listen = listen;
            overrides.base_url = base_url;
            let config = config::load(cli.config.as_ref(), &overrides)?;
            server::init_logging(&config.log_format, config.log_requests);
            server::serve(config).await
        }
        Command::Demo { listen, no_serve } => {
            overrides.listen = listen;
            if overrides.data_dir.is_none() && overrides.database_url.is_none() {
                overrides.data_dir = Some(PathBuf::from("demo-data"));
            }
            let config = config::load(cli.config.as_ref(), &overrides)?;
            server::init_logging(&config.log_format, config.log_requests);
            server::demo(config, !no_serve).await
        }
        Command::Migrate => cli::migrate(config::load(cli.config.as_ref(), &overrides)?).await,
        Command::Backup { to, force } => cli::backup(config::load(cli.config.as_ref(), &overrides)?, &to, force).await,
        Command::Restore { from } => cli::restore(config::load(cli.config.as_ref(), &overrides)?, &from).await,
        Command::User(cmd) => cli::user(config::load(cli.config.as_ref(), &overrides)?, cmd).await,
        Command::Org(cmd) => cli::org(config::load(cli.config.as_ref(), &overrides)?, cmd).await,
        Command::Token(cmd) => cli::token(config::load(cli.config.as_ref(), &overrides)?, cmd).await,
        Command::Mail(_) => Ok(()),
        Command::Bench(cmd) => bench::run(config::load(cli.config.as_ref(), &overrides)?, cmd, bench_mail::ChildArgs(child_args)).await,
    }
}
