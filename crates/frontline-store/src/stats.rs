//! Figures sampled at scrape time for /metrics: the job queue and, on
//! SQLite, the size of the write-ahead log. Read-only.

use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobQueueStats {
    /// Jobs waiting to run or running (not given up on).
    pub queued: i64,
    /// Jobs given up on after their last attempt (dead letters).
    pub dead: i64,
    /// Seconds the longest-due job has been waiting; 0 when none is due.
    pub oldest_due_seconds: f64,
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn job_queue_stats(&self) -> Result<JobQueueStats, StoreError> {
        let t = self.now();
        let (queued, oldest_due): (i64, Option<DateTime<Utc>>) = with_pool!(self, |p| {
            // A recurring job (the scheduler's tick, `singleton`) is always
            // there and is no backlog.
            sqlx::query_as(
                "SELECT COUNT(*), MIN(CASE WHEN run_at <= $1 THEN run_at END) FROM jobs WHERE failed_at IS NULL AND singleton IS NULL",
            )
            .bind(t)
            .fetch_one(p)
            .await
        })?;
        let dead: i64 =
            with_pool!(self, |p| sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE failed_at IS NOT NULL").fetch_one(p).await)?;
        let oldest_due_seconds = oldest_due.map_or(0.0, |due| (t - due).num_milliseconds().max(0) as f64 / 1000.0);
        Ok(JobQueueStats { queued, dead, oldest_due_seconds })
    }

    /// Bytes in the SQLite write-ahead log (0 when there is none); None on PostgreSQL.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sqlite_wal_bytes(&self) -> Result<Option<u64>, StoreError> {
        match &self.db {
            Db::Sqlite(_, writer) => Ok(Some(writer.wal_bytes())),
            Db::Postgres(_) => Ok(None),
        }
    }
}
