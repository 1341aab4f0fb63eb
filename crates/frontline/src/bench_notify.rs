//! `frontline bench notify`: does the job runner keep up with outgoing
//! mail? First it queues notification jobs the way the app does (tickets
//! created through the use case with a mailer configured, so each queues
//! its `ticket_created` mail in the ticket's transaction), then runs the
//! real runner (`App::job_loop`, `job_workers` at once) against an SMTP
//! sink on loopback until the queue is empty: mails/s. Then 16 API clients
//! create tickets while the runner drains: creation rate, mail rate, queue
//! depth (peak and when the creators stop) and how long the rest takes.
//! Every run checks that each job sent exactly one mail and left no job.
//! Targets live in docs/BENCHMARKS.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use frontline_app::App;
use frontline_app::directory::{OrgFields, UserInput, system_actor};
use frontline_app::tickets::NewTicketInput;
use frontline_domain::ticket::Channel;
use frontline_store::{Store, User};
use tokio::sync::watch;

use crate::bench::{PeakSampler, WAL_SAMPLE_EVERY, api_client, create_tickets, serve_loopback};
use crate::bench_smtp::{Received, SmtpSink};
use crate::config::Config;
use crate::server::open_with_store;

#[derive(clap::Args)]
pub struct NotifyArgs {
    /// Notification jobs to queue, then drain with nothing else running.
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Tickets created through the API while the runner drains (0: skip that part).
    #[arg(long, default_value_t = 4000)]
    creations: usize,
    /// Concurrent API clients creating tickets.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Give up when no mail arrives at the sink for this long (seconds).
    #[arg(long, default_value_t = 60)]
    stall_seconds: u64,
}

/// The customer who receives the mails and the agent who creates tickets.
struct People {
    agent: User,
    requester: User,
}

fn fail(e: frontline_app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub async fn run(mut config: Config, args: NotifyArgs) -> anyhow::Result<()> {
    let sink = crate::bench_smtp::start().await.context("cannot start the SMTP sink")?;
    config.smtp_url = Some(format!("smtp://{}", sink.addr));
    let (app, store) = open_with_store(&config).await?;
    let engine = store.engine();
    let before = store.job_queue_stats().await?;
    ensure!(
        before.queued == 0 && before.dead == 0,
        "the database has {} queued and {} failed jobs; the notify benchmark needs a queue of its own",
        before.queued,
        before.dead
    );
    app.set_notification(&system_actor(), frontline_app::mail::NotificationKind::TicketCreated.as_str(), true).await.map_err(fail)?;
    let people = people(&app, &store).await?;
    println!("Frontline notify benchmark on {engine:?}: job_workers = {}, SMTP sink on {}\n", config.job_workers, sink.addr);

    // Part 1: a full queue, drained with nothing else running.
    let queued_in = queue_jobs(&app, &people, args.jobs, args.clients).await?;
    let stats = store.job_queue_stats().await?;
    ensure!(stats.queued == args.jobs as i64, "expected {} queued jobs, found {}", args.jobs, stats.queued);
    println!("queued {} notification jobs in {:.1}s ({} tickets created through the app)", args.jobs, queued_in.as_secs_f64(), args.jobs);
    let (stop, stopped) = watch::channel(false);
    let runner = {
        let app = app.clone();
        tokio::spawn(async move { app.job_loop(stopped).await })
    };
    let started = Instant::now();
    drained(&store, &sink, Duration::from_secs(args.stall_seconds)).await?;
    let secs = started.elapsed().as_secs_f64();
    check(&store, &sink.received, args.jobs).await?;
    let rate = args.jobs as f64 / secs;
    println!(
        "drained {} jobs in {secs:.2}s: **{rate:.0} mails/s** ({} SMTP connections)\nchecked: {} mails at the sink, {} distinct Message-IDs, no job left, none failed\nRESULT notify-drain {engine:?} jobs={} seconds={secs:.2} rate={rate:.1}\n",
        args.jobs,
        sink.received.connections(),
        sink.received.messages(),
        sink.received.distinct_ids(),
        args.jobs
    );

    // Part 2: the runner against concurrent creation through the API.
    if args.creations > 0 {
        keep_up(&app, &store, &people, &sink, &args).await?;
    }
    stop.send_replace(true);
    runner.await?;
    store.close().await;
    Ok(())
}

/// An agent and a customer for the benchmark, reused on a later run.
async fn people(app: &App, store: &Store) -> anyhow::Result<People> {
    const DOMAIN: &str = "notify-bench.example";
    if store.org_for_domain(DOMAIN).await?.is_none() {
        let org = OrgFields { name: "Notify Benchmark Customer".into(), domains: vec![DOMAIN.into()], notes: String::new() };
        app.create_org(&system_actor(), &org).await.map_err(fail)?;
    }
    let mut found = Vec::new();
    for (email, role) in [("agent@notify-bench.invalid", "agent"), ("dana@notify-bench.example", "customer_member")] {
        let user = match app.user_by_email(email).await.map_err(fail)? {
            Some(u) => u,
            None => {
                let input =
                    UserInput { email: email.into(), name: format!("Notify bench {role}"), role: role.into(), ..Default::default() };
                app.create_user(&system_actor(), &input).await.map_err(fail)?
            }
        };
        found.push(user);
    }
    let requester = found.pop().context("no requester")?;
    let agent = found.pop().context("no agent")?;
    Ok(People { agent, requester })
}

/// Create `n` tickets through the use case, `clients` at a time; each
/// queues its acknowledgement mail in its own transaction.
async fn queue_jobs(app: &App, people: &People, n: usize, clients: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (app, next, actor, requester) = (app.clone(), next.clone(), people.agent.actor(), people.requester.id);
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let input = NewTicketInput {
                    subject: "Benchmark: webhook retries exhausted".into(),
                    body: "Deliveries to our endpoint fail with 502 since 09:00 UTC.\n.\n..a line that starts with dots".into(),
                    requester_id: Some(requester),
                    ..Default::default()
                };
                app.create_ticket(&actor, &input, Channel::Api).await.map_err(fail)?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

/// Wait until no job is queued; fails when the sink sees no new mail for
/// `stall` (the runner is stuck or the mail fails: the job's error is shown).
async fn drained(store: &Store, sink: &SmtpSink, stall: Duration) -> anyhow::Result<()> {
    let mut seen = sink.received.messages();
    let mut progress = Instant::now();
    loop {
        let stats = store.job_queue_stats().await?;
        if stats.queued == 0 {
            return Ok(());
        }
        let now = sink.received.messages();
        if now != seen {
            (seen, progress) = (now, Instant::now());
        } else if progress.elapsed() > stall {
            let last = store.list_jobs(1).await?.into_iter().next();
            bail!(
                "no mail for {}s with {} jobs queued; newest job's last error: {:?}",
                stall.as_secs(),
                stats.queued,
                last.and_then(|j| j.last_error)
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every job sent exactly one mail and none is left or failed.
async fn check(store: &Store, received: &Received, expected: usize) -> anyhow::Result<()> {
    let stats = store.job_queue_stats().await?;
    ensure!(stats.queued == 0 && stats.dead == 0, "{} jobs left, {} failed", stats.queued, stats.dead);
    ensure!(received.messages() == expected as u64, "{expected} jobs, but {} mails at the sink", received.messages());
    ensure!(received.distinct_ids() == expected, "{expected} mails, but {} distinct Message-IDs", received.distinct_ids());
    Ok(())
}

async fn keep_up(app: &App, store: &Store, people: &People, sink: &SmtpSink, args: &NotifyArgs) -> anyhow::Result<()> {
    let (base, server) = serve_loopback(app).await?;
    let (_, token) = app.create_api_token(&people.agent.actor(), "notify bench").await.map_err(fail)?;
    let api = api_client(&token)?;
    let mails_before = sink.received.messages();
    let depth = {
        let store = store.clone();
        PeakSampler::start(WAL_SAMPLE_EVERY, move || {
            let store = store.clone();
            async move { Ok(store.job_queue_stats().await?.queued.max(0) as u64) }
        })
    };
    let started = Instant::now();
    let created = create_tickets(&api, &base, people.requester.id, args.creations, args.clients).await?;
    let at_stop = store.job_queue_stats().await?.queued;
    let mailed_at_stop = sink.received.messages() - mails_before;
    let stopped = Instant::now();
    drained(store, sink, Duration::from_secs(args.stall_seconds)).await?;
    let drain_after = stopped.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();
    let peak = depth.finish().await?;
    server.abort();
    check(store, &sink.received, args.jobs + args.creations).await?;
    let engine = store.engine();
    println!(
        "{} tickets created by {} API clients in {:.2}s: **{:.0} tickets/s** (p50 {:.1} ms, p95 {:.1} ms)\n\
         mails while creating: {mailed_at_stop} ({:.0} mails/s); all {} sent {total:.2}s after the start ({:.0} mails/s)\n\
         queue depth: peak {} ({} samples every {} ms), {at_stop} when the creators stopped, empty {drain_after:.2}s later\n\
         checked: {} mails at the sink in all, {} distinct Message-IDs, no job left, none failed\n\
         RESULT notify-keepup {engine:?} creations={} create_rate={:.1} mail_rate={:.1} peak_depth={} depth_at_stop={at_stop} drain_after={drain_after:.2}",
        created.times.len(),
        args.clients,
        created.secs,
        created.rate(),
        created.p50_ms(),
        created.p95_ms(),
        mailed_at_stop as f64 / created.secs,
        args.creations,
        args.creations as f64 / total,
        peak.max,
        peak.samples,
        WAL_SAMPLE_EVERY.as_millis(),
        sink.received.messages(),
        sink.received.distinct_ids(),
        args.creations,
        created.rate(),
        args.creations as f64 / total,
        peak.max,
    );
    Ok(())
}
