//! `frontline bench mail`: write generated inbound mail into a Maildir,
//! then measure taking it in through the pipe command (one `frontline mail
//! ingest` process per message, as an MTA runs it) and over IMAP
//! (`poll_once`, as `serve` polls). Each run checks the database against the
//! generator's manifest afterwards, so a run that lost or misthreaded mail
//! fails instead of reporting a rate. Targets live in docs/BENCHMARKS.md.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Subcommand;
use frontline_app::App;
use frontline_app::directory::{OrgFields, system_actor};
use frontline_seed::{MAIL_MANIFEST, MailManifest, MailSpec};
use frontline_store::bulk::DataCounts;
use tokio::io::AsyncWriteExt;

use crate::config::Config;
use crate::server::open;

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
async fn prepare(config: &Config, manifest: &MailManifest) -> anyhow::Result<(App, DataCounts)> {
    let app = open(config).await?;
    let before = app.store.data_counts().await?;
    // Subject tokens in the generated mail count tickets from 1.
    ensure!(before.tickets == 0, "the database has {} tickets; the mail benchmark needs an empty one", before.tickets);
    ensure!(app.store.list_quarantine(1).await?.is_empty(), "the database has quarantined mail; the mail benchmark needs an empty one");
    for org in &manifest.organizations {
        let fields = OrgFields { name: org.name.clone(), domains: vec![org.domain.clone()], notes: "Mail benchmark organization.".into() };
        app.create_org(&system_actor(), &fields).await.map_err(fail)?;
    }
    Ok((app, before))
}

/// Compare the database with what the manifest says the mail must become.
async fn verify(app: &App, manifest: &MailManifest, before: &DataCounts) -> anyhow::Result<String> {
    let after = app.store.data_counts().await?;
    let quarantined = app.store.list_quarantine(100).await?;
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

async fn pipe(config: Config, maildir: &Path, mailbox: &str, child_args: ChildArgs) -> anyhow::Result<()> {
    let manifest = read_manifest(&maildir.join(MAIL_MANIFEST))?;
    let files = maildir_messages(maildir)?;
    ensure!(
        files.len() == manifest.messages,
        "{} holds {} messages, the manifest says {}",
        maildir.display(),
        files.len(),
        manifest.messages
    );
    let mut raws = Vec::with_capacity(files.len());
    for f in &files {
        raws.push(std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?);
    }
    let (app, before) = prepare(&config, &manifest).await?;
    let engine = app.store.engine();
    // The MTA's processes are the only writers while measuring.
    app.store.close().await;

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

    let app = open(&config).await?;
    let checked = verify(&app, &manifest, &before).await?;
    app.store.close().await;
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

async fn imap(config: Config, manifest_path: &Path, name: Option<&str>) -> anyhow::Result<()> {
    let manifest = read_manifest(manifest_path)?;
    let mb = match name {
        Some(n) => {
            config.imap.iter().find(|m| m.name == n).with_context(|| format!("no [[imap]] mailbox named '{n}' in the configuration"))?
        }
        None => match config.imap.as_slice() {
            [only] => only,
            [] => bail!("no [[imap]] mailbox in the configuration"),
            _ => bail!("several [[imap]] mailboxes are configured; choose one with --mailbox"),
        },
    };
    let (app, before) = prepare(&config, &manifest).await?;
    let team_id = match &mb.team {
        None => None,
        Some(team) => Some(app.team_by_name(team).await.map_err(fail)?.with_context(|| format!("no team named '{team}'"))?),
    };
    let mailbox = frontline_mail::imap::ImapMailbox {
        name: mb.name.clone(),
        host: mb.host.clone(),
        port: mb.port,
        username: mb.username.clone(),
        password: mb.password.clone(),
        folder: mb.folder.clone(),
        team_id,
    };
    let engine = app.store.engine();
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
    let checked = verify(&app, &manifest, &before).await?;
    app.store.close().await;
    let rate = taken as f64 / secs;
    println!(
        "imap ({engine:?}): {taken} messages in {secs:.1}s ({polls} polls): {rate:.1} messages/s\n{checked}\nRESULT imap {engine:?} messages={taken} seconds={secs:.2} rate={rate:.1}"
    );
    Ok(())
}
