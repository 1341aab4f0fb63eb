//! The background job runner: claims due jobs from the jobs table, runs
//! up to `job_workers` of them at once, retries with backoff, and schedules
//! the periodic housekeeping. Several instances may run it at once:
//! claiming takes a lease under a row lock, so no job runs twice
//! concurrently. Leases are short and a heartbeat extends them while a job
//! runs, so the jobs of an instance that died are taken over within one
//! lease instead of sitting idle.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use frontline_store::assignment::{AutoAssignJob, TeamAssignPass};
use frontline_store::jobs::{Job, JobKind, NotifyJob, SentMail};
use frontline_store::resets::{InvitationMailJob, ResetMailJob};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::finisher::Finisher;
use crate::{App, AppError, Result};

/// How a kind of job runs (one impl per kind, as crates.io's worker does).
/// A new kind: a payload type implementing `JobKind` (its stored name) and
/// this trait, plus one line in `JobRegistry::standard`.
pub trait BackgroundJob: JobKind {
    /// Do the work. A mail sent is returned for the runner to record as it
    /// removes the job, in one transaction. An error retries with backoff.
    fn run<'a>(self, app: &'a App, job: &'a Job) -> impl Future<Output = Result<Option<SentMail>>> + Send + 'a;
}

type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<SentMail>>> + Send + 'a>>;
type Handler = for<'a> fn(&'a App, &'a Job) -> JobFuture<'a>;

/// The kinds this runner knows, by stored name.
#[derive(Clone)]
pub struct JobRegistry {
    handlers: HashMap<&'static str, Handler>,
}

impl std::fmt::Debug for JobRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.handlers.keys().copied().collect();
        names.sort_unstable();
        f.debug_struct("JobRegistry").field("kinds", &names).finish()
    }
}

fn handle<'a, J: BackgroundJob>(app: &'a App, job: &'a Job) -> JobFuture<'a> {
    Box::pin(async move {
        let payload: J = serde_json::from_str(&job.payload)
            .map_err(|e| AppError::internal(format!("job {} ({}): its payload does not parse: {e}", job.id, J::JOB_NAME)))?;
        payload.run(app, job).await
    })
}

impl JobRegistry {
    /// Every kind Frontline runs.
    pub fn standard() -> Self {
        let mut r = JobRegistry { handlers: HashMap::new() };
        r.register::<NotifyJob>();
        r.register::<PurgeExpired>();
        r.register::<ResetMailJob>();
        r.register::<InvitationMailJob>();
        r.register::<AutoAssignJob>();
        r.register::<TeamAssignPass>();
        r.register::<crate::scheduler::SchedulerTick>();
        r
    }

    pub fn register<J: BackgroundJob>(&mut self) {
        let before = self.handlers.insert(J::JOB_NAME, handle::<J>);
        debug_assert!(before.is_none(), "job kind {} registered twice", J::JOB_NAME);
    }

    pub fn knows(&self, kind: &str) -> bool {
        self.handlers.contains_key(kind)
    }

    async fn run(&self, app: &App, job: &Job) -> Result<Option<SentMail>> {
        match self.handlers.get(job.kind.as_str()) {
            Some(run) => run(app, job).await,
            // Kept (and retried with backoff, then marked failed) rather than
            // dropped: a newer instance of a rolling upgrade may know it.
            None => Err(AppError::internal(format!("unknown job kind '{}': no handler is registered for it in this version", job.kind))),
        }
    }
}

/// Hourly housekeeping: expired sessions, old sign-in attempts, and
/// idempotency keys past their retention.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgeExpired {}

impl JobKind for PurgeExpired {
    const JOB_NAME: &'static str = "housekeeping.purge_expired";
}

impl BackgroundJob for PurgeExpired {
    async fn run(self, app: &App, _job: &Job) -> Result<Option<SentMail>> {
        let n = app.store.purge_expired().await?;
        tracing::info!(removed = n, "purged expired sessions and sign-in attempts");
        let keys = app.store.purge_idempotency_keys(app.now() - IDEMPOTENCY_RETENTION).await?;
        tracing::info!(removed = keys, "purged idempotency keys older than 24 hours");
        Ok(None)
    }
}

impl BackgroundJob for ResetMailJob {
    async fn run(self, app: &App, _job: &Job) -> Result<Option<SentMail>> {
        app.run_reset_mail(self).await.map(|()| None)
    }
}

impl BackgroundJob for InvitationMailJob {
    async fn run(self, app: &App, _job: &Job) -> Result<Option<SentMail>> {
        app.run_invitation_mail(self).await.map(|()| None)
    }
}

impl BackgroundJob for AutoAssignJob {
    async fn run(self, app: &App, _job: &Job) -> Result<Option<SentMail>> {
        app.run_auto_assign(self.ticket_id).await.map(|()| None)
    }
}

impl BackgroundJob for TeamAssignPass {
    async fn run(self, app: &App, _job: &Job) -> Result<Option<SentMail>> {
        app.run_team_pass(self.team_id).await.map(|()| None)
    }
}

impl BackgroundJob for NotifyJob {
    async fn run(self, app: &App, job: &Job) -> Result<Option<SentMail>> {
        app.run_notify(self, job).await
    }
}
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
    /// The scheduler's longest pause between ticks; None: this runner does
    /// not start the scheduler (tests run ticks themselves), though it
    /// runs a tick that is due like any job.
    pub scheduler: Option<Duration>,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig { workers: 16, lease: Duration::from_secs(30), poll: Duration::from_secs(1), scheduler: None }
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
    /// Run one claimed job and record how it ended.
    async fn run_and_finish(&self, job: &Job) -> Result<()> {
        match self.jobs.run(self, job).await {
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
    /// Jobs already running are finished before it returns; jobs claimed
    /// ahead but not started are given back.
    ///
    /// Claims are taken ahead, in batches (up to `workers` waiting beside
    /// the `workers` running): each claim is a commit (a WAL flush on
    /// PostgreSQL), and one claim per freed worker held the loop to one job
    /// per flush. Ends are committed in groups by the `Finisher`. An empty
    /// queue is read again when this process queues a job (the store says
    /// so after the commit) or after `poll`, for other processes' jobs and
    /// retries that come due.
    pub async fn job_loop(&self, mut shutdown: watch::Receiver<bool>) {
        let config = self.config.runner.clone();
        let workers = config.workers.max(1);
        let owner = runner_id();
        let in_flight: InFlight = Arc::default();
        let heartbeat = tokio::spawn(heartbeat(self.clone(), owner.clone(), in_flight.clone(), config.clone()));
        let (finisher, finishing) = Finisher::start(self.clone());
        let mut housekeeping = tokio::time::interval(Duration::from_secs(3600));
        let mut running: JoinSet<i64> = JoinSet::new();
        let mut ready: VecDeque<Job> = VecDeque::new();
        // The last claim found the queue empty: wait for a wake-up or the poll.
        let mut drained = false;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if !drained && ready.len() <= workers / 2 {
                let want = (2 * workers).saturating_sub(running.len() + ready.len());
                match self.store.claim_jobs(want as i64, lease_of(&config), &owner).await {
                    Ok(claimed) => {
                        drained = claimed.len() < want;
                        let mut ids = lock(&in_flight);
                        for job in claimed {
                            ids.insert(job.id);
                            ready.push_back(job);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "job runner cannot claim jobs");
                        drained = true;
                    }
                }
            }
            while running.len() < workers {
                let Some(job) = ready.pop_front() else { break };
                let (app, finisher) = (self.clone(), finisher.clone());
                running.spawn(async move {
                    if let Err(e) = app.run_and_record(&job, &finisher).await {
                        tracing::warn!(job = job.id, error = %e, "job runner cannot record a job's end");
                    }
                    job.id
                });
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = housekeeping.tick() => {
                    if let Err(e) = self.store.enqueue(&PurgeExpired {}).await {
                        tracing::warn!(error = %e, "could not queue housekeeping");
                    }
                    // At start and hourly: the scheduler's one row exists (a
                    // row marked failed for good is revived).
                    if config.scheduler.is_some()
                        && let Err(e) = self.store.ensure_singleton_job(&crate::scheduler::SchedulerTick {}).await
                    {
                        tracing::warn!(error = %e, "could not start the scheduler");
                    }
                }
                Some(done) = running.join_next(), if !running.is_empty() => {
                    let mut ids = lock(&in_flight);
                    if let Ok(id) = done {
                        ids.remove(&id);
                    }
                    // Others that ended meanwhile free their slots in the same turn.
                    while let Some(done) = running.try_join_next() {
                        if let Ok(id) = done {
                            ids.remove(&id);
                        }
                    }
                }
                _ = self.store.jobs_queued(), if drained => drained = false,
                _ = tokio::time::sleep(config.poll), if drained => drained = false,
            }
        }
        let unstarted: Vec<i64> = ready.iter().map(|j| j.id).collect();
        if let Err(e) = self.store.release_jobs(&owner, &unstarted).await {
            tracing::warn!(error = %e, jobs = unstarted.len(), "could not give back unstarted jobs; they wait for their lease");
        }
        while let Some(done) = running.join_next().await {
            if let Ok(id) = done {
                lock(&in_flight).remove(&id);
            }
        }
        heartbeat.abort();
        drop(finisher);
        let _ = finishing.await;
    }

    /// Run one claimed job and record its end through the finisher.
    async fn run_and_record(&self, job: &Job, finisher: &Finisher) -> Result<()> {
        match self.jobs.run(self, job).await {
            Ok(sent) => finisher.finish(job.id, sent).await?,
            Err(e) => {
                let error = e.chain();
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed");
                self.store.fail_job(job, &error).await?;
            }
        }
        Ok(())
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
