//! Administration from the command line, through the same use cases as
//! the web app (acting as the system; every change is in the audit log).

use std::io::Read;

use anyhow::Context;
use clap::{Args, Subcommand};
use frontline_app::directory::{OrgFields, UserInput, system_actor};
use frontline_app::ingest::Delivery;

use crate::config::Config;
use crate::server::open;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user (agent, admin, customer, ...).
    Create {
        /// Sign-in address, also where their notification mail goes.
        #[arg(long)]
        email: String,
        /// Full name, as shown to colleagues and customers.
        #[arg(long)]
        name: String,
        /// admin, head_of_support, manager, agent, engineering, solutions_engineer, leadership, customer_admin, customer_member
        #[arg(long)]
        role: String,
        /// Organization id (customers; default: by email domain).
        #[arg(long)]
        org: Option<i64>,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Set a user's password (ends their sessions).
    SetPassword {
        /// The user's email address.
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Deactivate a user: they can no longer sign in or use API tokens.
    Deactivate {
        /// The user's email address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Args)]
pub struct PasswordArgs {
    /// The password (visible in the process list; prefer --password-stdin or FRONTLINE_PASSWORD).
    #[arg(long, env = "FRONTLINE_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
}

impl PasswordArgs {
    fn read(&self) -> anyhow::Result<Option<String>> {
        if self.password_stdin {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).context("cannot read the password from standard input")?;
            return Ok(Some(s.trim_end_matches(['\r', '\n']).to_string()));
        }
        Ok(self.password.clone())
    }
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create a customer organization.
    Create {
        /// The organization's name.
        #[arg(long)]
        name: String,
        /// Email domain owned by the organization; repeat for several.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// Notes for the team (not shown to customers).
        #[arg(long, default_value = "")]
        notes: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token acting as a user; prints the token once.
    Create {
        /// Email address of the user the token acts as.
        #[arg(long)]
        email: String,
        /// A label for the token, e.g. the integration that uses it.
        #[arg(long)]
        name: String,
    },
}

fn fail(e: frontline_app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub async fn user(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    let app = open(&config).await?;
    let actor = system_actor();
    match cmd {
        UserCommand::Create { email, name, role, org, password } => {
            let password = password.read()?;
            let input = UserInput { email, name, role, organization_id: org, password, ..Default::default() };
            let (u, invitation) = app.create_user_inviting(&actor, &input).await.map_err(fail)?;
            println!("created user {} <{}> ({}), id {}", u.name, u.email, u.role.as_str(), u.id);
            match invitation {
                frontline_app::directory::Invitation::NotNeeded => {}
                frontline_app::directory::Invitation::Sent => println!(
                    "invited {}: a mail with a link to choose a password goes out with the server's jobs; the link works for {} days",
                    u.email, config.invitation_days
                ),
                // Without this line the admin learns only at the user's first failed sign-in.
                frontline_app::directory::Invitation::NoMail => println!(
                    "note: no password was given and mail is not configured (smtp_url), so {} cannot sign in yet; set one with `frontline user set-password --email {} --password-stdin`",
                    u.email, u.email
                ),
            }
        }
        UserCommand::SetPassword { email, password } => {
            let u = app.user_by_email(&email).await.map_err(fail)?.with_context(|| format!("no user with email {email}"))?;
            let pw = password.read()?.context("give the password with --password, --password-stdin or FRONTLINE_PASSWORD")?;
            app.set_password(&actor, u.id, &pw).await.map_err(fail)?;
            println!("password set for {}", u.email);
        }
        UserCommand::Deactivate { email } => {
            let u = app.user_by_email(&email).await.map_err(fail)?.with_context(|| format!("no user with email {email}"))?;
            let input = UserInput {
                email: u.email.clone(),
                name: u.name.clone(),
                role: u.role.as_str().into(),
                organization_id: u.organization_id,
                position_id: u.position_id,
                team_id: u.team_id,
                reports_to: u.reports_to,
                password: None,
                active: Some(false),
            };
            app.update_user(&actor, u.id, &input).await.map_err(fail)?;
            println!("deactivated {}", u.email);
        }
    }
    app.close().await;
    Ok(())
}

/// Apply the migrations a database lacks and say which.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let url = config.database_url()?;
    let store = frontline_store::Store::connect(&url, 1)
        .await
        .with_context(|| format!("cannot open database {}", crate::config::redact_url(&url)))?;
    let before = store.applied_migrations().await?;
    store.migrate().await.context("cannot migrate the database")?;
    let after = store.applied_migrations().await?;
    store.close().await;
    let applied: Vec<_> = after.iter().filter(|m| !before.contains(m)).collect();
    if applied.is_empty() {
        let newest = after.last().map(|(v, d)| format!(" (newest: {v:04} {d})")).unwrap_or_default();
        println!("database is up to date{newest}");
    } else {
        println!("applied {} migration{}:", applied.len(), if applied.len() == 1 { "" } else { "s" });
        for (version, description) in applied {
            println!("  {version:04} {description}");
        }
    }
    Ok(())
}

pub async fn org(config: Config, cmd: OrgCommand) -> anyhow::Result<()> {
    let app = open(&config).await?;
    match cmd {
        OrgCommand::Create { name, domains, notes } => {
            let o = app.create_org(&system_actor(), &OrgFields { name, domains, notes }).await.map_err(fail)?;
            println!("created organization {} ({}), id {}", o.name, o.domains, o.id);
        }
    }
    app.close().await;
    Ok(())
}

pub async fn token(config: Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let app = open(&config).await?;
    match cmd {
        TokenCommand::Create { email, name } => {
            let u = app.user_by_email(&email).await.map_err(fail)?.with_context(|| format!("no user with email {email}"))?;
            let (_, secret) = app.create_api_token(&u.actor(), &name).await.map_err(fail)?;
            println!("{secret}");
        }
    }
    app.close().await;
    Ok(())
}

/// The shell-quoted URL for a printed command, its password hidden.
fn shown_url(url: &str) -> String {
    format!("'{}'", crate::config::redact_url(url).replace('\'', "'\\''"))
}

/// `frontline backup`: an online copy of a SQLite database.
pub async fn backup(config: Config, to: &std::path::Path, force: bool) -> anyhow::Result<()> {
    let url = config.database_url()?;
    let Some(db) = frontline_store::backup::sqlite_path(&url) else {
        anyhow::bail!(
            "this Frontline runs on PostgreSQL; back it up with pg_dump (give the password through PGPASSWORD or ~/.pgpass):\n  \
             pg_dump --format=custom --file '{}' {}",
            to.display(),
            shown_url(&url)
        );
    };
    // Opening would create an empty database: say what is wrong instead.
    anyhow::ensure!(db.is_file(), "there is no database at {}", db.display());
    // No migration: a backup must not change the database it copies.
    let store = frontline_store::Store::connect(&url, 2).await.context("cannot open the database")?;
    let result = store.backup_sqlite(to, force).await;
    store.close().await;
    result?;
    println!("backup written to {}", to.display());
    Ok(())
}

/// `frontline restore`: replace the SQLite database with a checked backup.
pub async fn restore(config: Config, from: &std::path::Path) -> anyhow::Result<()> {
    let url = config.database_url()?;
    let Some(db) = frontline_store::backup::sqlite_path(&url) else {
        anyhow::bail!(
            "this Frontline runs on PostgreSQL; restore a pg_dump file with pg_restore (stop the servers first):\n  \
             pg_restore --clean --if-exists --no-owner --dbname {} '{}'",
            shown_url(&url),
            from.display()
        );
    };
    // Held until the migration is done: no server may start on a half-restored database.
    let _lock = frontline_store::backup::lock_sqlite_database(&db)?;
    let info = frontline_store::backup::restore_sqlite(from, &db).await?;
    let store = frontline_store::Store::connect(&url, 1).await.context("cannot open the restored database")?;
    let migrated = store.migrate().await.context("cannot migrate the restored database");
    store.close().await;
    migrated?;
    println!("restored {} ({} tickets, migration {}) into {}", from.display(), info.tickets, info.version, db.display());
    Ok(())
}

#[derive(Subcommand)]
pub enum MailCommand {
    /// Store one message read from standard input (for an MTA alias:
    /// `support: "|frontline mail ingest --mailbox support"`). Exits 0 once the
    /// message is stored (as a ticket message, or raw in the quarantine when it
    /// cannot be processed), 75 (EX_TEMPFAIL) so the MTA retries when the
    /// database cannot be reached, 65 (EX_DATAERR) so the MTA bounces a
    /// message over 50 MB back to its sender.
    Ingest {
        /// Which mailbox the message arrived at.
        #[arg(long, default_value = "support")]
        mailbox: String,
        /// Team that new tickets from this mailbox go to.
        #[arg(long)]
        team: Option<String>,
    },
}

/// sysexits.h: temporary failure, the MTA should try again later.
pub const EX_TEMPFAIL: u8 = 75;
/// sysexits.h: the input was refused for good; the MTA bounces it.
pub const EX_DATAERR: u8 = 65;

/// The largest message accepted from the pipe.
const MAX_MAIL_BYTES: usize = frontline_mail::MAX_MESSAGE_BYTES;

/// Returns the exit code for the MTA (0, EX_TEMPFAIL or EX_DATAERR).
pub async fn mail(config: Config, cmd: MailCommand) -> u8 {
    let MailCommand::Ingest { mailbox, team } = cmd;
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_MAIL_BYTES as u64 + 1).read_to_end(&mut raw) {
        eprintln!("error: cannot read the message: {e}");
        return EX_TEMPFAIL;
    }
    // Cut off at the limit, it could only be kept broken: the sender learns from the bounce.
    if raw.len() > MAX_MAIL_BYTES {
        eprintln!("error: message larger than {} MB; refused", MAX_MAIL_BYTES / 1024 / 1024);
        return EX_DATAERR;
    }
    let app = match crate::server::open_as(&config, crate::server::Process::OneShot).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e:#}");
            return EX_TEMPFAIL;
        }
    };
    let team_id = match &team {
        None => None,
        Some(name) => match app.team_by_name(name).await {
            Ok(Some(id)) => Some(id),
            // A configuration mistake: keep the mail at the MTA until it is fixed.
            Ok(None) => {
                eprintln!("error: no team named '{name}'");
                app.close().await;
                return EX_TEMPFAIL;
            }
            Err(e) => {
                eprintln!("error: {e}");
                app.close().await;
                return EX_TEMPFAIL;
            }
        },
    };
    use frontline_domain::mail::{MailOutcome, MailSource};
    let parsed = frontline_mail::inbound::parse(&raw);
    let code = match app.receive_mail(&mailbox, team_id, &raw, parsed).await {
        Ok(Delivery::Stored(outcome)) => {
            println!("{outcome:?}");
            let duplicate = matches!(outcome, frontline_app::ingest::IngestOutcome::Duplicate { .. });
            app.count_mail_in(MailSource::Pipe, if duplicate { MailOutcome::Duplicate } else { MailOutcome::Stored }).await;
            0
        }
        // Never dropped: kept raw for an admin to look at.
        Ok(Delivery::Quarantined { id, why, again: false }) => {
            eprintln!("quarantined as #{id}: {why}");
            app.count_mail_in(MailSource::Pipe, MailOutcome::Quarantined).await;
            0
        }
        Ok(Delivery::Quarantined { id, again: true, .. }) => {
            println!("Duplicate: already quarantined as #{id}");
            app.count_mail_in(MailSource::Pipe, MailOutcome::Duplicate).await;
            0
        }
        // The database failed: nothing stored, let the MTA retry.
        Err(e) => {
            eprintln!("error: {e}");
            EX_TEMPFAIL
        }
    };
    app.close().await;
    code
}
