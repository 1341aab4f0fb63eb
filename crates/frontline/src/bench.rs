//! `frontline bench`: generate a large data set, then measure the HTTP
//! stack against it (queue pages, the API list, a long ticket, concurrent
//! ticket creation). Targets live here and in docs/BENCHMARKS.md, never in
//! timed tests.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use frontline_seed::{BENCH_PASSWORD, BenchSpec};
use frontline_web::{AppState, WebConfig};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::server::open_with_store;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Fill an empty database with benchmark data (default: 100,000 tickets, 500,000 messages).
    Generate {
        #[arg(long, default_value_t = 100_000)]
        tickets: usize,
        #[arg(long, default_value_t = 500_000)]
        messages: usize,
        #[arg(long, default_value_t = 50)]
        organizations: usize,
        #[arg(long, default_value_t = 40)]
        agents: usize,
        /// Where to write what `bench run` needs to know about the data.
        #[arg(long, default_value = "bench-summary.json")]
        summary: PathBuf,
    },
    /// Inbound mail: generate a Maildir, measure the pipe command and IMAP polling.
    #[command(subcommand)]
    Mail(crate::bench_mail::MailBenchCommand),
    /// Notification mail: drain queued jobs to an SMTP sink on loopback, then keep up with concurrent creation.
    Notify(crate::bench_notify::NotifyArgs),
    /// The scheduler: open tickets under an SLA policy; a full SLA recompute and a steady-state tick.
    Scheduler(crate::bench_scheduler::SchedulerArgs),
    /// Measure the app, served on a loopback port, against generated data.
    Run {
        #[arg(long, default_value = "bench-summary.json")]
        summary: PathBuf,
        /// Requests per measured page.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Tickets to create in the write test.
        #[arg(long, default_value_t = 4000)]
        creations: usize,
        /// Concurrent clients in the write test.
        #[arg(long, default_value_t = 16)]
        clients: usize,
    },
}

#[derive(Serialize, Deserialize)]
struct Saved {
    agent_email: String,
    big_ticket_id: i64,
    requester_id: i64,
    tickets: usize,
    messages: usize,
}

pub async fn run(config: Config, cmd: BenchCommand, child_args: crate::bench_mail::ChildArgs) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Mail(cmd) => crate::bench_mail::run(config, cmd, child_args).await,
        BenchCommand::Notify(args) => crate::bench_notify::run(config, args).await,
        BenchCommand::Scheduler(args) => crate::bench_scheduler::run(config, args).await,
        BenchCommand::Generate { tickets, messages, organizations, agents, summary } => {
            let (app, store) = open_with_store(&config).await?;
            let hash = app.hash_password(BENCH_PASSWORD).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let spec = BenchSpec { tickets, messages, organizations, agents, password_hash: hash, ..BenchSpec::default() };
            let s = frontline_seed::generate_bench(&store, &spec).await?;
            // Due times for the queues' "due soonest": the SLA pass over
            // every ticket (the data has one policy for all).
            let started = Instant::now();
            let mut recomputed = 0;
            loop {
                let pass = app.sla_pass(&frontline_domain::authz::Actor::System, 5_000).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                recomputed += pass.recomputed;
                if !pass.more {
                    break;
                }
            }
            println!("SLA pass: {recomputed} tickets in {:.1}s", started.elapsed().as_secs_f64());
            store.analyze().await?;
            println!(
                "generated {} tickets ({} open), {} messages, {} organizations, {} agents in {:.1}s",
                s.tickets,
                s.open_tickets,
                s.messages,
                s.organizations,
                s.agents,
                s.elapsed.as_secs_f64()
            );
            let saved = Saved {
                agent_email: s.agent_email,
                big_ticket_id: s.big_ticket_id,
                requester_id: s.customer_id,
                tickets: s.tickets,
                messages: s.messages,
            };
            std::fs::write(&summary, serde_json::to_vec_pretty(&saved)?).with_context(|| format!("cannot write {}", summary.display()))?;
            store.close().await;
            Ok(())
        }
        BenchCommand::Run { summary, requests, creations, clients } => measure(config, summary, requests, creations, clients).await,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn timed_gets(client: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(n);
    // One warm-up request, not counted.
    client.get(url).send().await?.error_for_status()?.bytes().await?;
    for _ in 0..n {
        let start = Instant::now();
        let resp = client.get(url).send().await?;
        anyhow::ensure!(resp.status().is_success(), "{url}: {}", resp.status());
        resp.bytes().await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.95)))
}

async fn measure(config: Config, summary: PathBuf, requests: usize, creations: usize, clients: usize) -> anyhow::Result<()> {
    let saved: Saved = serde_json::from_slice(
        &std::fs::read(&summary).with_context(|| format!("cannot read {}; run `frontline bench generate` first", summary.display()))?,
    )?;
    let (app, store) = open_with_store(&config).await?;
    let (base, server) = serve_loopback(&app).await?;

    let agent = app.user_by_email(&saved.agent_email).await.map_err(|e| anyhow::anyhow!("{e}"))?.context("benchmark agent missing")?;
    let (_, token) = app.create_api_token(&agent.actor(), "bench").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let (session, _) = app.login(&saved.agent_email, BENCH_PASSWORD, "bench").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, format!("fl_session={session}").parse()?);
    let pages = reqwest::Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build()?;
    let api = api_client(&token)?;

    println!(
        "Frontline benchmark on {:?}: {} tickets, {} messages; {requests} requests per row\n",
        store.engine(),
        saved.tickets,
        saved.messages
    );
    println!("| request | p50 ms | p95 ms |");
    println!("|---|---:|---:|");
    for view in ["mine", "tier", "team", "open", "solved"] {
        let (p50, p95) = timed_gets(&pages, &format!("{base}/tickets?view={view}"), requests).await?;
        println!("| queue page `{view}` (HTML, first page, with counts) | {p50:.1} | {p95:.1} |");
    }
    for view in ["mine", "tier", "team", "open"] {
        let (p50, p95) = timed_gets(&pages, &format!("{base}/tickets?view={view}&sort=due"), requests).await?;
        println!("| queue page `{view}` sorted by due (HTML, first page) | {p50:.1} | {p95:.1} |");
    }
    let (p50, p95) = timed_gets(&pages, &format!("{base}/tickets?view=open&sort=due&page=20"), requests).await?;
    println!("| queue page `open` sorted by due, page 20 (HTML) | {p50:.1} | {p95:.1} |");
    for (name, path) in [
        ("API ticket list (25)", "/api/v1/tickets"),
        ("API ticket list (100)", "/api/v1/tickets?limit=100"),
        ("API ticket list sorted by due (25)", "/api/v1/tickets?sort=due"),
        ("API queue `open`", "/api/v1/queues/open"),
        ("API queue `open` sorted by due", "/api/v1/queues/open?sort=due"),
    ] {
        let (p50, p95) = timed_gets(&api, &format!("{base}{path}"), requests).await?;
        println!("| {name} | {p50:.1} | {p95:.1} |");
    }
    let (p50, p95) = timed_gets(&pages, &format!("{base}/tickets/{}", saved.big_ticket_id), requests.min(100)).await?;
    println!("| ticket page with 200 messages (HTML) | {p50:.1} | {p95:.1} |");

    // Writes: N clients creating tickets through the API as fast as they
    // can, with the SQLite WAL sampled meanwhile.
    let wal = match store.sqlite_wal_bytes().await? {
        Some(_) => {
            let store = store.clone();
            Some(PeakSampler::start(WAL_SAMPLE_EVERY, move || {
                let store = store.clone();
                async move { Ok(store.sqlite_wal_bytes().await?.unwrap_or(0)) }
            }))
        }
        None => None,
    };
    let created = create_tickets(&api, &base, saved.requester_id, creations, clients).await?;
    println!(
        "| create ticket via API, {clients} concurrent clients | {:.1} | {:.1} |\n\n{} tickets created in {:.2}s: **{:.0} tickets/s**",
        created.p50_ms(),
        created.p95_ms(),
        created.times.len(),
        created.secs,
        created.rate()
    );
    if let Some(wal) = wal {
        let peak = wal.finish().await?;
        println!(
            "SQLite WAL during the writes: peak {:.1} MB ({} samples every {} ms; emptied above {} MB)",
            peak.max as f64 / 1e6,
            peak.samples,
            WAL_SAMPLE_EVERY.as_millis(),
            frontline_store::WAL_TRUNCATE_BYTES / (1024 * 1024)
        );
    }
    server.abort();
    store.close().await;
    Ok(())
}

/// How often the WAL size and the job queue are sampled during writes.
pub(crate) const WAL_SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// The app's router on a free loopback port; returns its base URL.
pub(crate) async fn serve_loopback(app: &frontline_app::App) -> anyhow::Result<(String, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(app.clone(), WebConfig { base_url: base.clone(), secure_cookies: false });
    let server = tokio::spawn(async move { axum::serve(listener, frontline_web::router(state)).await });
    Ok((base, server))
}

/// An HTTP client that sends `token` as its bearer token.
pub(crate) fn api_client(token: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    Ok(reqwest::Client::builder().default_headers(headers).build()?)
}

/// How a concurrent creation run went.
pub(crate) struct Created {
    /// Latency of each creation, sorted.
    pub times: Vec<Duration>,
    pub secs: f64,
}

impl Created {
    pub fn rate(&self) -> f64 {
        self.times.len() as f64 / self.secs
    }
    pub fn p50_ms(&self) -> f64 {
        percentile(&self.times, 0.5)
    }
    pub fn p95_ms(&self) -> f64 {
        percentile(&self.times, 0.95)
    }
}

/// `clients` concurrent API clients creating `creations` tickets for
/// `requester` through `POST /api/v1/tickets`, each as fast as it can.
pub(crate) async fn create_tickets(
    api: &reqwest::Client,
    base: &str,
    requester: i64,
    creations: usize,
    clients: usize,
) -> anyhow::Result<Created> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (api, next, url) = (api.clone(), next.clone(), format!("{base}/api/v1/tickets"));
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < creations {
                let body = serde_json::json!({"subject": "Benchmark: webhook retries exhausted", "body": "Deliveries to our endpoint fail with 502 since 09:00 UTC.", "requester_id": requester, "tags": ["bench"]});
                let t = Instant::now();
                let resp = api.post(&url).json(&body).send().await?;
                anyhow::ensure!(resp.status() == reqwest::StatusCode::CREATED, "create: {}", resp.status());
                resp.bytes().await?;
                times.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(times)
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await??);
    }
    let secs = start.elapsed().as_secs_f64();
    times.sort();
    Ok(Created { times, secs })
}

/// The largest value a figure took while sampled.
pub(crate) struct Peak {
    pub max: u64,
    pub last: u64,
    pub samples: usize,
}

/// Reads a figure every `every` in a task of its own until `finish`.
pub(crate) struct PeakSampler {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<Peak>>,
}

impl PeakSampler {
    pub fn start<F, Fut>(every: Duration, mut read: F) -> PeakSampler
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = anyhow::Result<u64>> + Send,
    {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut peak = Peak { max: 0, last: 0, samples: 0 };
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = tick.tick() => {}
                }
                let value = read().await?;
                peak.max = peak.max.max(value);
                peak.last = value;
                peak.samples += 1;
            }
            Ok(peak)
        });
        PeakSampler { stop, task }
    }

    /// Stop sampling; the peak, the last value and how many samples.
    pub async fn finish(self) -> anyhow::Result<Peak> {
        self.stop.send_replace(true);
        self.task.await?
    }
}
