//! The background job runner: claims due jobs from the jobs table, runs
//! the handler for their kind, retries with backoff, and schedules the
//! periodic housekeeping. Several instances may run it at once: claiming
//! takes a lease under a row lock, so no job runs twice concurrently.

use std::time::Duration;

use frontline_store::jobs::Job;
use tokio::sync::watch;

use crate::{App, AppError, Result};

pub const PURGE_EXPIRED: &str = "housekeeping.purge_expired";
/// How long an API Idempotency-Key is remembered (at least 24 hours, as
/// clients are promised; purged by the hourly housekeeping after that).
pub const IDEMPOTENCY_RETENTION: chrono::Duration = chrono::Duration::hours(24);

impl App {
    async fn run_job(&self, job: &Job) -> Result<()> {
        match job.kind.as_str() {
            PURGE_EXPIRED => {
                let n = self.store.purge_expired().await?;
                tracing::info!(removed = n, "purged expired sessions and sign-in attempts");
                let keys = self.store.purge_idempotency_keys(frontline_store::now() - IDEMPOTENCY_RETENTION).await?;
                tracing::info!(removed = keys, "purged idempotency keys older than 24 hours");
                Ok(())
            }
            frontline_store::jobs::NOTIFY => self.run_notify(job).await,
            other => Err(AppError::internal(format!("no handler for job kind '{other}'"))),
        }
    }

    /// Claim and run what is due now; returns how many jobs ran.
    pub async fn run_due_jobs(&self) -> Result<usize> {
        let jobs = self.store.claim_jobs(20, chrono::Duration::minutes(5)).await?;
        for job in &jobs {
            match self.run_job(job).await {
                Ok(()) => self.store.complete_job(job.id).await?,
                Err(e) => {
                    tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                    self.store.fail_job(job, &e.to_string()).await?;
                }
            }
        }
        Ok(jobs.len())
    }

    /// Run jobs until `shutdown` turns true; queues housekeeping hourly.
    pub async fn job_loop(&self, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut housekeeping = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = housekeeping.tick() => {
                    if let Err(e) = self.store.enqueue_job(PURGE_EXPIRED, "{}").await {
                        tracing::warn!(error = %e, "could not queue housekeeping");
                    }
                }
                _ = tick.tick() => {
                    if let Err(e) = self.run_due_jobs().await {
                        tracing::warn!(error = %e, "job runner error");
                    }
                }
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }
}
