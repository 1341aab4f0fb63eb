//! `frontline bench mail`: write generated inbound mail into a Maildir,
//! then measure taking it in through the pipe command (one `frontline mail
//! ingest` process per message, as an MTA runs it) and over IMAP
//! (`poll_once`, as `serve` polls). Each run checks the database against the
//! generator's manifest afterwards, so a run that lost or misthreaded mail
//! fails instead of reporting a rate; `profile` says where the time goes.
//! Targets live in docs/BENCHMARKS.md.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Subcommand;
use frontline_app::App;
use frontline_app::directory::{OrgFields, system_actor};
use frontline_seed::{MAIL_MANIFEST, MailManifest, MailSpec};
use frontline_store::Store;
use frontline_store::bulk::DataCounts;
use tokio::io::AsyncWriteExt;

use crate::config::{Config, ImapConfig};
use crate::server::open_with_store;

#[derive(Subcommand)]
pub enum MailBenchCommand {
    /// Write generated inbound mail into a Maildir (new/), with a manifest of what it must become.
    Generate {
        /// The Maildir to create (must not hold mail yet).
        #[arg(long)]
        maildir: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        #[arg(long, default_value_t = 12)]
        organizations: usize,
        /// Same seed, same messages.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Pipe every message of the Maildir, in order, into `frontline mail ingest` (one process each).
    Pipe {
        /// A Maildir written by `bench mail generate` (reads new/ and cur/).
        #[arg(long)]
        maildir: PathBuf,
        /// The --mailbox given to `mail ingest`.
        #[arg(long, default_value = "support")]
        mailbox: String,
    },
    /// Where the time of taking mail in goes: IMAP fetch (when an [[imap]]
    /// mailbox is configured), parsing, the ingest use case and progress
    /// writes, each timed alone in this process, with SQL statements per message.
    Profile {
        /// A Maildir written by `bench mail generate` (reads new/ and cur/).
        #[arg(long)]
        maildir: PathBuf,
        /// Which [[imap]] mailbox to time a bare fetch from (default: the only one, if any).
        #[arg(long)]
        mailbox: Option<String>,
    },
    /// Poll the configured [[imap]] mailbox, which serves the generated Maildir, until all is taken in.
    Imap {
        /// The manifest written by `bench mail generate` (in the Maildir's root).
        #[arg(long)]
        manifest: PathBuf,
        /// Which [[imap]] mailbox (default: the only one).
        #[arg(long)]
        mailbox: Option<String>,
    },
}

/// The global flags this process was given, repeated for the processes it
/// starts so they open the same database with the same configuration.
pub struct ChildArgs(pub Vec<OsString>);

fn read_manifest(path: &Path) -> anyhow::Result<MailManifest> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read {}; run `frontline bench mail generate` first", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not a mail benchmark manifest", path.display()))
}

pub async fn run(config: Config, cmd: MailBenchCommand, child_args: ChildArgs) -> anyhow::Result<()> {
    match cmd {
        MailBenchCommand::Generate { maildir, messages, organizations, seed } => generate(&maildir, messages, organizations, seed),
        MailBenchCommand::Pipe { maildir, mailbox } => pipe(config, &maildir, &mailbox, child_args).await,
        MailBenchCommand::Imap { manifest, mailbox } => imap(config, &manifest, mailbox.as_deref()).await,
        MailBenchCommand::Profile { maildir, mailbox } => profile(config, &maildir, mailbox.as_deref()).await,
    }
}

fn generate(maildir: &Path, messages: usize, organizations: usize, seed: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    for sub in ["new", "cur", "tmp"] {
        let dir = maildir.join(sub);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        ensure!(std::fs::read_dir(&dir)?.next().is_none(), "{} is not empty; give a new Maildir", dir.display());
    }
    let mail = frontline_seed::generate_mail(&MailSpec { messages, organizations, seed, ..MailSpec::default() })?;
    for (i, raw) in mail.messages.iter().enumerate() {
        // Written to tmp/ and moved to new/, as Maildir delivery is defined.
        let name = frontline_seed::maildir_file_name(i);
        let tmp = maildir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, maildir.join("new").join(&name))?;
    }
    let manifest_path = maildir.join(MAIL_MANIFEST);
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&mail.manifest)?)
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;
    let m = &mail.manifest;
    println!(
        "generated {} messages ({:.1} MB) in {:.1}s into {}\n  {} new conversations, replies: {} by header, {} by [#n] subject, {} by both; {} auto-replies\n  {} with Cc; {} plain, {} multipart/alternative, {} HTML only, {} with attachment; {} in a legacy charset\n  {} people of {} organizations and freemail domains\n  manifest: {}",
        m.messages,
        m.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        maildir.display(),
        m.tickets,
        m.replies_by_header,
        m.replies_by_token,
        m.replies_by_both,
        m.auto_replies,
        m.with_cc,
        m.plain,
        m.alternative,
        m.html_only,
        m.with_attachment,
        m.legacy_charset,
        m.people,
        m.organizations.len(),
        manifest_path.display()
    );
    Ok(())
}

fn fail(e: frontline_app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Open an empty database and create the organizations that own the
/// senders' domains (not timed). Returns the counts before ingesting.
async fn prepare(config: &Config, manifest: &MailManifest) -> anyhow::Result<(App, Store, DataCounts)> {
    let (app, store) = open_with_store(config).await?;
    let before = store.data_counts().await?;
    // Subject tokens in the generated mail count tickets from 1.
    ensure!(before.tickets == 0, "the database has {} tickets; the mail benchmark needs an empty one", before.tickets);
    ensure!(store.list_quarantine(1).await?.is_empty(), "the database has quarantined mail; the mail benchmark needs an empty one");
    for org in &manifest.organizations {
        let fields = OrgFields { name: org.name.clone(), domains: vec![org.domain.clone()], notes: "Mail benchmark organization.".into() };
        app.create_org(&system_actor(), &fields).await.map_err(fail)?;
    }
    Ok((app, store, before))
}

/// Compare the database with what the manifest says the mail must become.
async fn verify(store: &Store, manifest: &MailManifest, before: &DataCounts) -> anyhow::Result<String> {
    let after = store.data_counts().await?;
    let quarantined = store.list_quarantine(100).await?;
    if let Some(q) = quarantined.first() {
        bail!("{}+ messages were quarantined, e.g. #{}: {}", quarantined.len(), q.id, q.error);
    }
    let customers = after.customers - before.customers;
    ensure!(after.tickets == manifest.tickets as i64, "expected {} tickets, found {} (misthreaded mail?)", manifest.tickets, after.tickets);
    ensure!(
        after.messages - before.messages == manifest.messages as i64,
        "expected {} messages, found {}",
        manifest.messages,
        after.messages - before.messages
    );
    ensure!(customers == manifest.people as i64, "expected {} new customers, found {customers}", manifest.people);
    Ok(format!("checked: {} tickets, {} messages, {customers} new customers, nothing quarantined", after.tickets, after.messages))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i.min(sorted.len().saturating_sub(1))).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

/// Messages of a Maildir in delivery order: new/ and, once an IMAP server
/// has seen them, cur/ (where they keep their name before the ':2,' flags).
fn maildir_messages(maildir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let dir = maildir.join(sub);
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// What the generated messages must become, their files in delivery order, and their bytes.
fn read_generated(maildir: &Path) -> anyhow::Result<(MailManifest, Vec<PathBuf>, Vec<Vec<u8>>)> {
    let manifest = read_manifest(&maildir.join(MAIL_MANIFEST))?;
    let files = maildir_messages(maildir)?;
    ensure!(
        files.len() == manifest.messages,
        "{} holds {} messages, the manifest says {}",
        maildir.display(),
        files.len(),
        manifest.messages
    );
    let raws = files.iter().map(|f| std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))).collect::<Result<_, _>>()?;
    Ok((manifest, files, raws))
}

async fn pipe(config: Config, maildir: &Path, mailbox: &str, child_args: ChildArgs) -> anyhow::Result<()> {
    let (manifest, files, raws) = read_generated(maildir)?;
    let (_, store, before) = prepare(&config, &manifest).await?;
    let engine = store.engine();
    // The MTA's processes are the only writers while measuring.
    store.close().await;

    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let mut times = Vec::with_capacity(raws.len());
    let started = Instant::now();
    for (raw, file) in raws.iter().zip(&files) {
        let t = Instant::now();
        let mut child = tokio::process::Command::new(&exe)
            .args(&child_args.0)
            .args(["mail", "ingest", "--mailbox", mailbox])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let mut stdin = child.stdin.take().context("no stdin for the child")?;
        stdin.write_all(raw).await?;
        drop(stdin);
        let out = child.wait_with_output().await?;
        ensure!(
            out.status.success(),
            "{}: `mail ingest` exited with {}: {}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        times.push(t.elapsed());
    }
    let secs = started.elapsed().as_secs_f64();
    times.sort();

    let (_, store) = open_with_store(&config).await?;
    let checked = verify(&store, &manifest, &before).await?;
    store.close().await;
    let rate = raws.len() as f64 / secs;
    println!(
        "pipe ({engine:?}): {} messages in {secs:.1}s: {rate:.1} messages/s; per message p50 {:.1} ms, p95 {:.1} ms\n{checked}\nRESULT pipe {engine:?} messages={} seconds={secs:.2} rate={rate:.1}",
        raws.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        raws.len()
    );
    Ok(())
}

fn configured_mailbox<'c>(config: &'c Config, name: Option<&str>) -> anyhow::Result<Option<&'c ImapConfig>> {
    Ok(match name {
        Some(n) => Some(
            config.imap.iter().find(|m| m.name == n).with_context(|| format!("no [[imap]] mailbox named '{n}' in the configuration"))?,
        ),
        None => match config.imap.as_slice() {
            [] => None,
            [only] => Some(only),
            _ => bail!("several [[imap]] mailboxes are configured; choose one with --mailbox"),
        },
    })
}

async fn imap(config: Config, manifest_path: &Path, name: Option<&str>) -> anyhow::Result<()> {
    let manifest = read_manifest(manifest_path)?;
    let mb = configured_mailbox(&config, name)?.context("no [[imap]] mailbox in the configuration")?;
    let (app, store, before) = prepare(&config, &manifest).await?;
    let mailbox = crate::server::imap_mailbox(&app, &config, mb).await?;
    let engine = store.engine();
    let started = Instant::now();
    let (mut taken, mut polls, mut idle) = (0, 0, 0);
    while taken < manifest.messages {
        let n = frontline_mail::imap::poll_once(&app, &mailbox).await.map_err(|e| anyhow::anyhow!("IMAP poll: {e}"))?;
        polls += 1;
        taken += n;
        if n == 0 {
            idle += 1;
            ensure!(idle < 3, "the mailbox gave {taken} of {} messages; is it serving the generated Maildir?", manifest.messages);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let left = frontline_mail::imap::poll_once(&app, &mailbox).await.map_err(|e| anyhow::anyhow!("IMAP poll: {e}"))?;
    ensure!(left == 0, "the mailbox held {left} messages more than the manifest says");
    let checked = verify(&store, &manifest, &before).await?;
    store.close().await;
    let rate = taken as f64 / secs;
    println!(
        "imap ({engine:?}): {taken} messages in {secs:.1}s ({polls} polls): {rate:.1} messages/s\n{checked}\nRESULT imap {engine:?} messages={taken} seconds={secs:.2} rate={rate:.1}"
    );
    Ok(())
}

/// (phase, statement) -> (count, seconds).
type Seen = BTreeMap<(&'static str, String), (u64, f64)>;

/// SQL statements seen by sqlx's statement log while a phase runs.
#[derive(Clone, Default)]
struct StatementLog {
    phase: Arc<Mutex<&'static str>>,
    seen: Arc<Mutex<Seen>>,
}

impl StatementLog {
    fn phase(&self, name: &'static str) {
        if let Ok(mut p) = self.phase.lock() {
            *p = name;
        }
    }

    /// (statement, count, seconds), most time first.
    fn per_phase(&self, phase: &str) -> Vec<(String, u64, f64)> {
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        let mut rows: Vec<(String, u64, f64)> =
            seen.into_iter().filter(|((p, _), _)| *p == phase).map(|((_, sql), (n, t))| (sql, n, t)).collect();
        rows.sort_by(|a, b| b.2.total_cmp(&a.2));
        rows
    }
}

#[derive(Default)]
struct StatementFields {
    sql: String,
    secs: f64,
}

impl tracing::field::Visit for StatementFields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        // sqlx gives a summary, and the whole statement only when it is longer.
        if (field.name() == "db.statement" || field.name() == "summary") && !value.trim().is_empty() {
            self.sql = value.split_whitespace().collect::<Vec<_>>().join(" ");
        }
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.secs = value;
        }
    }

    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementLog {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut f = StatementFields::default();
        event.record(&mut f);
        // Cut long statements so those differing only in their IN (...) lists count together.
        let sql: String = f.sql.chars().take(140).collect();
        let phase = self.phase.lock().map(|p| *p).unwrap_or("?");
        if let Ok(mut seen) = self.seen.lock() {
            let e = seen.entry((phase, sql)).or_default();
            e.0 += 1;
            e.1 += f.secs;
        }
    }
}

/// Fetch every message of the mailbox over IMAP and drop it: what
/// `poll_once` spends before it stores anything. Returns (messages,
/// seconds to connect, log in and select, seconds to fetch).
async fn bare_fetch(mb: &ImapConfig) -> anyhow::Result<(usize, f64, f64)> {
    use futures::TryStreamExt;
    // The bare fetch is a baseline over plain IMAP only (the bench script's Dovecot).
    ensure!(
        frontline_mail::imap::ImapSecurity::from(mb.security) == frontline_mail::imap::ImapSecurity::Plain,
        "the profile's bare fetch needs security = \"plain\""
    );
    let started = Instant::now();
    let tcp = tokio::net::TcpStream::connect((mb.host.as_str(), mb.port())).await?;
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await?;
    let mut session = client.login(&mb.username, &mb.password).await.map_err(|(e, _)| e)?;
    session.select(&mb.folder).await?;
    let connected = started.elapsed().as_secs_f64();
    let fetched: Vec<_> = session.uid_fetch("1:*", "(UID BODY.PEEK[])").await?.try_collect().await?;
    let bodies = fetched.iter().filter(|f| f.body().is_some()).count();
    let total = started.elapsed().as_secs_f64();
    let _ = session.logout().await;
    Ok((bodies, connected, total - connected))
}

async fn profile(config: Config, maildir: &Path, name: Option<&str>) -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter::Targets};

    let (manifest, _, raws) = read_generated(maildir)?;
    let n = raws.len() as f64;
    let log = StatementLog::default();
    tracing_subscriber::registry()
        .with(log.clone().with_filter(Targets::new().with_target("sqlx::query", tracing::Level::DEBUG)))
        .try_init()
        .context("cannot install the statement log")?;
    log.phase("setup");
    let (app, store, before) = prepare(&config, &manifest).await?;
    println!("profile ({:?}): {} messages, {:.1} MB\n", store.engine(), raws.len(), manifest.bytes as f64 / 1e6);
    println!("| phase | seconds | ms per message | SQL statements per message |");
    println!("|---|---:|---:|---:|");
    let row = |label: &str, phase: &str, secs: f64| {
        let statements: u64 = log.per_phase(phase).iter().map(|r| r.1).sum();
        println!("| {label} | {secs:.2} | {:.3} | {:.1} |", secs * 1000.0 / n, statements as f64 / n);
    };

    if let Some(mb) = configured_mailbox(&config, name)? {
        let (count, connect, fetch) = bare_fetch(mb).await?;
        ensure!(count == raws.len(), "the mailbox holds {count} messages, the Maildir {}", raws.len());
        row("IMAP connect, login, select", "-", connect);
        row("IMAP fetch of every message (one UID FETCH)", "-", fetch);
    }

    log.phase("parse");
    let started = Instant::now();
    let parsed = raws.iter().map(|r| frontline_mail::inbound::parse(r)).collect::<Result<Vec<_>, _>>().map_err(|e| anyhow::anyhow!(e))?;
    row("MIME parse (`inbound::parse`)", "parse", started.elapsed().as_secs_f64());

    log.phase("ingest");
    let (mut created, mut appended) = (Vec::new(), Vec::new());
    let started = Instant::now();
    for mail in &parsed {
        let t = Instant::now();
        match app.ingest_email(mail, None).await.map_err(fail)? {
            frontline_app::ingest::IngestOutcome::Created { .. } => created.push(t.elapsed()),
            _ => appended.push(t.elapsed()),
        }
    }
    row("`App::ingest_email`", "ingest", started.elapsed().as_secs_f64());

    log.phase("progress");
    let started = Instant::now();
    for uid in 1..=raws.len() {
        app.save_imap_progress("profile", 1, uid as i64).await.map_err(fail)?;
    }
    row("progress (`save_imap_progress`)", "progress", started.elapsed().as_secs_f64());
    log.phase("check");
    let checked = verify(&store, &manifest, &before).await?;
    store.close().await;

    for (what, times) in [("new ticket", &mut created), ("message on a ticket", &mut appended)] {
        times.sort();
        let total: f64 = times.iter().map(Duration::as_secs_f64).sum();
        println!(
            "\ningest_email, {what}: {} messages, mean {:.2} ms, p50 {:.2} ms, p95 {:.2} ms",
            times.len(),
            total * 1000.0 / times.len().max(1) as f64,
            percentile(times, 0.5),
            percentile(times, 0.95)
        );
    }
    for phase in ["ingest", "progress"] {
        println!(
            "\nSQL in {phase}, most time first (sqlx's timing of each statement):\n| statement | count | per message | total ms |\n|---|---:|---:|---:|"
        );
        for (sql, count, secs) in log.per_phase(phase).into_iter().take(25) {
            println!("| `{}` | {count} | {:.2} | {:.0} |", sql.replace('|', "\\|"), count as f64 / n, secs * 1000.0);
        }
    }
    println!("\n{checked}");
    Ok(())
}
