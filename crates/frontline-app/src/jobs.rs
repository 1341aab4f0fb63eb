//! The background job runner: claims due jobs from the jobs table, runs
//! up to `job_workers` of them at once, retries with backoff, and schedules
//! the periodic housekeeping. Several instances may run it at once:
//! claiming takes a lease under a row lock, so no job runs twice
//! concurrently. Leases are short and a heartbeat extends them while a job
//! runs, so the jobs of an instance that died are taken over within one
//! lease instead of sitting idle.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use frontline_store::jobs::{Job, SentMail};
use rand::RngExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::{App, AppError, Result};

pub const PURGE_EXPIRED: &str = "housekeeping.purge_expired";
/// How long an API Idempotency-Key is remembered (at least 24 hours, as
/// clients are promised; purged by the hourly housekeeping after that).
pub const IDEMPOTENCY_RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// How the runner runs: from `AppConfig`.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs run at once by this instance.
    pub workers: usize,
    /// How long a claimed job is this instance's without a heartbeat.
    pub lease: Duration,
    /// How often the queue is read when it was empty.
    pub poll: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig { workers: 16, lease: Duration::from_secs(30), poll: Duration::from_secs(1) }
    }
}

/// Jobs this instance is running, whose leases the heartbeat extends.
type InFlight = Arc<Mutex<HashSet<i64>>>;

/// A name for this runner's leases, unique across instances and restarts.
fn runner_id() -> String {
    let bits: u64 = rand::rng().random();
    format!("runner-{bits:016x}")
}

fn lease_of(config: &RunnerConfig) -> chrono::Duration {
    chrono::Duration::from_std(config.lease).unwrap_or(chrono::Duration::seconds(30))
}

impl App {
    async fn run_job(&self, job: &Job) -> Result<Option<SentMail>> {
        match job.kind.as_str() {
            PURGE_EXPIRED => {
                let n = self.store.purge_expired().await?;
                tracing::info!(removed = n, "purged expired sessions and sign-in attempts");
                let keys = self.store.purge_idempotency_keys(frontline_store::now() - IDEMPOTENCY_RETENTION).await?;
                tracing::info!(removed = keys, "purged idempotency keys older than 24 hours");
                Ok(None)
            }
            frontline_store::jobs::NOTIFY => self.run_notify(job).await,
            frontline_store::resets::RESET_MAIL => self.run_reset_mail(job).await.map(|()| None),
            other => Err(AppError::internal(format!("no handler for job kind '{other}'"))),
        }
    }

    /// Run one claimed job and record how it ended.
    async fn run_and_finish(&self, job: &Job) -> Result<()> {
        match self.run_job(job).await {
            Ok(sent) => self.store.finish_job(job.id, sent.as_ref()).await?,
            Err(e) => {
                let error = e.chain();
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed");
                self.store.fail_job(job, &error).await?;
            }
        }
        Ok(())
    }

    /// Claim what is due now (up to one batch) and run it, `workers` at a
    /// time; returns how many jobs ran.
    pub async fn run_due_jobs(&self) -> Result<usize> {
        let config = self.config.runner.clone();
        let owner = runner_id();
        let jobs = self.store.claim_jobs(config.workers as i64 * 2, lease_of(&config), &owner).await?;
        let n = jobs.len();
        let mut running = JoinSet::new();
        for job in jobs {
            let app = self.clone();
            running.spawn(async move { app.run_and_finish(&job).await });
            while running.len() >= config.workers {
                join_one(&mut running).await;
            }
        }
        while !running.is_empty() {
            join_one(&mut running).await;
        }
        Ok(n)
    }

    /// Run jobs until `shutdown` turns true; queues housekeeping hourly.
    /// Jobs already running are finished before it returns.
    pub async fn job_loop(&self, mut shutdown: watch::Receiver<bool>) {
        let config = self.config.runner.clone();
        let owner = runner_id();
        let in_flight: InFlight = Arc::default();
        let heartbeat = tokio::spawn(heartbeat(self.clone(), owner.clone(), in_flight.clone(), config.clone()));
        let mut housekeeping = tokio::time::interval(Duration::from_secs(3600));
        let mut running: JoinSet<i64> = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let free = config.workers.saturating_sub(running.len());
            let claimed = if free == 0 { Ok(vec![]) } else { self.store.claim_jobs(free as i64, lease_of(&config), &owner).await };
            let claimed = claimed.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "job runner cannot claim jobs");
                vec![]
            });
            let idle = claimed.is_empty();
            for job in claimed {
                lock(&in_flight).insert(job.id);
                let app = self.clone();
                running.spawn(async move {
                    if let Err(e) = app.run_and_finish(&job).await {
                        tracing::warn!(job = job.id, error = %e, "job runner cannot record a job's end");
                    }
                    job.id
                });
            }
            if !idle && running.len() < config.workers {
                continue;
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = housekeeping.tick() => {
                    if let Err(e) = self.store.enqueue_job(PURGE_EXPIRED, "{}").await {
                        tracing::warn!(error = %e, "could not queue housekeeping");
                    }
                }
                Some(done) = running.join_next(), if !running.is_empty() => {
                    if let Ok(id) = done {
                        lock(&in_flight).remove(&id);
                    }
                }
                _ = tokio::time::sleep(config.poll), if idle => {}
            }
        }
        while let Some(done) = running.join_next().await {
            if let Ok(id) = done {
                lock(&in_flight).remove(&id);
            }
        }
        heartbeat.abort();
    }
}

async fn join_one(running: &mut JoinSet<Result<()>>) {
    if let Some(Ok(Err(e))) = running.join_next().await {
        tracing::warn!(error = %e, "job runner cannot record a job's end");
    }
}

fn lock(in_flight: &InFlight) -> std::sync::MutexGuard<'_, HashSet<i64>> {
    // A panic while holding this lock leaves a plain set behind: still usable.
    in_flight.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Extend the leases of the running jobs every third of a lease.
async fn heartbeat(app: App, owner: String, in_flight: InFlight, config: RunnerConfig) {
    let mut tick = tokio::time::interval(config.lease / 3);
    loop {
        tick.tick().await;
        let ids: Vec<i64> = lock(&in_flight).iter().copied().collect();
        if let Err(e) = app.store.extend_leases(&owner, &ids, lease_of(&config)).await {
            tracing::warn!(error = %e, "job heartbeat failed");
        }
    }
}
