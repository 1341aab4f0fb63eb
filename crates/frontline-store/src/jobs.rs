//! The background job table. Jobs are written in the same transaction as
//! the change that causes them (see `enqueue_job!`) and claimed with row
//! locks so that several instances never run one job twice.

use chrono::{DateTime, Duration, Utc};
use frontline_domain::notification::NotificationKind;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

/// A kind of background job: the name stored in `jobs.kind` and the payload
/// stored (as JSON) in `jobs.payload`. Enqueuing takes the payload value, so
/// a kind and its payload cannot disagree; how a kind runs is registered with
/// the runner (`frontline_app::jobs::BackgroundJob`). Names are stored, so a
/// name never changes once released (old rows would become unknown kinds).
pub trait JobKind: Serialize + DeserializeOwned + Send + Sync + 'static {
    const JOB_NAME: &'static str;
}

/// The kind's name and its payload as stored.
pub fn encode<J: JobKind>(job: &J) -> Result<(&'static str, String), StoreError> {
    let payload = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(format!("job {}: {e}", J::JOB_NAME)))?;
    Ok((J::JOB_NAME, payload))
}

/// A notification mail: which event, on which ticket, about which message.
/// The mail itself is rendered when the job runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NotifyJob {
    pub event: NotificationKind,
    pub ticket_id: i64,
    pub message_id: Option<i64>,
    /// When it was queued (µs since the epoch): with the job id it makes the
    /// mail's Message-ID unique even where job ids are reused (SQLite rowids).
    #[serde(default)]
    pub queued_at: i64,
    /// Who caused it (an assignment's author), for the bell; escalations
    /// and help requests name theirs in their own rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<i64>,
    /// The help request a `help_requested` notification is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_request_id: Option<i64>,
    /// Named recipients (users), for kinds whose people are chosen when the
    /// mail is queued (an automatic rule's notice); empty for the others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to_users: Vec<i64>,
}

impl JobKind for NotifyJob {
    const JOB_NAME: &'static str = "mail.notify";
}

impl NotifyJob {
    pub fn new(event: NotificationKind, ticket_id: i64, message_id: Option<i64>, at: DateTime<Utc>) -> Self {
        NotifyJob {
            event,
            ticket_id,
            message_id,
            queued_at: at.timestamp_micros(),
            actor_id: None,
            help_request_id: None,
            to_users: vec![],
        }
    }

    /// Caused by `actor` (None: the system).
    pub fn by(self, actor_id: Option<i64>) -> Self {
        NotifyJob { actor_id, ..self }
    }

    /// A help request's notification, to the colleague or tier asked.
    pub fn help_requested(ticket_id: i64, help_request_id: i64, asked_by: i64, at: DateTime<Utc>) -> Self {
        NotifyJob {
            help_request_id: Some(help_request_id),
            ..NotifyJob::new(NotificationKind::HelpRequested, ticket_id, None, at).by(Some(asked_by))
        }
    }

    /// What names this job's bell items (as its mail's Message-ID does):
    /// the same on every retry, different for every job.
    pub fn source(&self, job_id: i64) -> String {
        format!("{}.{}.{}", self.ticket_id, self.queued_at, job_id)
    }
}

/// A mail a job sent, remembered for threading and for the ticket's record.
#[derive(Debug, Clone, PartialEq)]
pub struct SentMail {
    pub message_id: String,
    pub ticket_id: i64,
    pub kind: String,
    pub recipients: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub failed_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Claim up to `limit` due jobs for `lease`, for the runner `owner`;
    /// a crashed runner's jobs become due again when their lease runs out
    /// (a running job's lease is extended by `extend_leases`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_jobs(&self, limit: i64, lease: Duration, owner: &str) -> Result<Vec<Job>, StoreError> {
        let t = self.now();
        let until = t + lease;
        let jobs: Vec<Job> = match &self.db {
            crate::db::Db::Postgres(p) => {
                sqlx::query_as(
                    "UPDATE jobs SET locked_until = $1, locked_by = $4, attempts = attempts + 1 WHERE id IN ( \
                       SELECT id FROM jobs WHERE failed_at IS NULL AND run_at <= $2 AND (locked_until IS NULL OR locked_until < $2) \
                       ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                     RETURNING id, kind, payload, attempts, max_attempts, run_at, last_error, failed_at",
                )
                .bind(until)
                .bind(t)
                .bind(limit)
                .bind(owner)
                .fetch_all(p)
                .await?
            }
            crate::db::Db::Sqlite(..) => {
                // BEGIN IMMEDIATE takes the write lock first, so the select
                // and the update see the same rows.
                with_tx!(self, |tx| {
                    sqlx::query_as(
                        "UPDATE jobs SET locked_until = $1, locked_by = $4, attempts = attempts + 1 WHERE id IN ( \
                       SELECT id FROM jobs WHERE failed_at IS NULL AND run_at <= $2 AND (locked_until IS NULL OR locked_until < $2) \
                       ORDER BY run_at, id LIMIT $3) \
                     RETURNING id, kind, payload, attempts, max_attempts, run_at, last_error, failed_at",
                    )
                    .bind(until)
                    .bind(t)
                    .bind(limit)
                    .bind(owner)
                    .fetch_all(&mut *tx)
                    .await?
                })
            }
        };
        Ok(jobs)
    }

    /// Heartbeat: keep the leases of jobs that `owner` is still running.
    /// A lease that ran out and was taken by another runner stays theirs.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn extend_leases(&self, owner: &str, ids: &[i64], lease: Duration) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let t = self.now();
        let n = with_tx!(self, |tx| {
            let mut b = sqlx::QueryBuilder::new("UPDATE jobs SET locked_until = ");
            b.push_bind(t + lease).push(" WHERE locked_by = ").push_bind(owner.to_string()).push(" AND locked_until >= ").push_bind(t);
            b.push(" AND id IN (");
            let mut sep = b.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            b.push(")");
            b.build().execute(&mut *tx).await?.rows_affected()
        });
        Ok(n)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn complete_job(&self, id: i64) -> Result<(), StoreError> {
        self.finish_job(id, None).await
    }

    /// A job that did its work leaves the table, together with the record
    /// of the mail it sent (if any): both or neither.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn finish_job(&self, id: i64, sent: Option<&SentMail>) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            if let Some(m) = sent {
                sqlx::query(
                    "INSERT INTO sent_mail (message_id, ticket_id, kind, recipients, sent_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (message_id) DO NOTHING",
                )
                .bind(&m.message_id)
                .bind(m.ticket_id)
                .bind(&m.kind)
                .bind(&m.recipients)
                .bind(self.now())
                .execute(&mut *tx)
                .await?;
            }
            // A job that rescheduled itself (`reschedule_job`: its claim
            // given back) stays.
            sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by IS NOT NULL").bind(id).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Several jobs' ends in one transaction (the runner's group commit):
    /// each job leaves the table together with the record of the mail it
    /// sent, all or none. On PostgreSQL a commit waits for a WAL flush, so
    /// one commit per mail capped the runner at the disk's flush rate.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn finish_jobs(&self, done: &[(i64, Option<SentMail>)]) -> Result<(), StoreError> {
        if done.is_empty() {
            return Ok(());
        }
        let t = self.now();
        let sent: Vec<&SentMail> = done.iter().filter_map(|(_, m)| m.as_ref()).collect();
        with_tx!(self, |tx| {
            if !sent.is_empty() {
                let mut b = sqlx::QueryBuilder::new("INSERT INTO sent_mail (message_id, ticket_id, kind, recipients, sent_at) ");
                b.push_values(&sent, |mut row, m| {
                    row.push_bind(&m.message_id).push_bind(m.ticket_id).push_bind(&m.kind).push_bind(&m.recipients).push_bind(t);
                });
                b.push(" ON CONFLICT (message_id) DO NOTHING");
                b.build().execute(&mut *tx).await?;
            }
            let mut b = sqlx::QueryBuilder::new("DELETE FROM jobs WHERE id IN (");
            let mut ids = b.separated(", ");
            for (id, _) in done {
                ids.push_bind(*id);
            }
            // Not a job that rescheduled itself (its claim given back).
            b.push(") AND locked_by IS NOT NULL");
            b.build().execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Give back jobs `owner` claimed but never started (a runner shutting
    /// down with jobs claimed ahead): due again at once for any runner, and
    /// the claim not counted as an attempt.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn release_jobs(&self, owner: &str, ids: &[i64]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let n = with_tx!(self, |tx| {
            let mut b = sqlx::QueryBuilder::new(
                "UPDATE jobs SET locked_until = NULL, locked_by = NULL, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
                 WHERE locked_by = ",
            );
            b.push_bind(owner.to_string()).push(" AND id IN (");
            let mut sep = b.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            b.push(")");
            b.build().execute(&mut *tx).await?.rows_affected()
        });
        Ok(n)
    }

    /// Retry later with exponential backoff, or give up after max attempts
    /// (the job stays in the table, marked failed, for an admin to see).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn fail_job(&self, job: &Job, error: &str) -> Result<(), StoreError> {
        let t = self.now();
        let give_up = job.attempts >= job.max_attempts;
        let backoff = Duration::seconds(2_i64.saturating_pow(job.attempts.clamp(0, 16) as u32).min(3600));
        with_writer!(self, |p| {
            sqlx::query("UPDATE jobs SET last_error = $1, locked_until = NULL, locked_by = NULL, run_at = $2, failed_at = $3 WHERE id = $4")
                .bind(error)
                .bind(t + backoff)
                .bind(if give_up { Some(t) } else { None })
                .bind(job.id)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_jobs(&self, limit: i64) -> Result<Vec<Job>, StoreError> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, kind, payload, attempts, max_attempts, run_at, last_error, failed_at FROM jobs ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(p)
            .await
        })?)
    }
}

impl Store {
    /// Queue a job on its own, outside any other change (housekeeping).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enqueue<J: JobKind>(&self, job: &J) -> Result<(), StoreError> {
        let (kind, payload) = encode(job)?;
        self.enqueue_raw(kind, &payload).await
    }

    /// Queue a job by name and JSON payload as they are stored, unchecked:
    /// for tests and tools only. The runner fails a kind it does not know.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enqueue_raw(&self, kind: &str, payload: &str) -> Result<(), StoreError> {
        let t = self.now();
        with_writer!(self, |p| sqlx::query("INSERT INTO jobs (kind, payload, run_at, created_at) VALUES ($1, $2, $3, $3)")
            .bind(kind)
            .bind(payload)
            .bind(t)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        self.jobs_queued.notify_one();
        Ok(())
    }

    /// Make sure the one row of a job kind there is one of (the scheduler's
    /// tick) exists, due now if it is new; a copy marked failed for good is
    /// revived. Any number of instances may call it at once: the unique
    /// `singleton` column keeps one row.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ensure_singleton_job<J: JobKind>(&self, job: &J) -> Result<(), StoreError> {
        let (kind, payload) = encode(job)?;
        let t = self.now();
        with_writer!(self, |p| sqlx::query(
            "INSERT INTO jobs (kind, payload, run_at, created_at, singleton) VALUES ($1, $2, $3, $3, $1) \
             ON CONFLICT (singleton) DO UPDATE SET failed_at = NULL, attempts = 0, run_at = excluded.run_at \
             WHERE jobs.failed_at IS NOT NULL"
        )
        .bind(kind)
        .bind(payload)
        .bind(t)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        self.jobs_queued.notify_one();
        Ok(())
    }

    /// A recurring job's end: instead of leaving the table, it gives its
    /// claim back and is due again at `run_at`, in one statement. Only
    /// while the claim is still this run's (`attempts` as claimed): a run
    /// whose lease ran out and was taken over leaves the row to its new
    /// owner. False when the claim was lost.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reschedule_job(&self, job: &Job, run_at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = with_writer!(self, |p| sqlx::query(
            "UPDATE jobs SET run_at = $1, locked_until = NULL, locked_by = NULL, attempts = 0, last_error = NULL \
             WHERE id = $2 AND attempts = $3 AND locked_by IS NOT NULL"
        )
        .bind(run_at)
        .bind(job.id)
        .bind(job.attempts)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// When the scheduler should look next by the SLA state alone: the
    /// earliest `next_check_at` still ahead (on `ticket_sla_next_check`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn next_sla_check(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let t = self.now();
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT next_check_at FROM ticket_sla WHERE next_check_at IS NOT NULL AND next_check_at > $1 ORDER BY next_check_at LIMIT 1"
        )
        .bind(t)
        .fetch_optional(p)
        .await)?)
    }

    /// Returns once a commit through this store has queued jobs since the
    /// last call returned (at once if one has): the runner's wake-up beside
    /// its poll, which other processes' jobs still need.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn jobs_queued(&self) {
        self.jobs_queued.notified().await
    }

    /// Delete expired sessions, and throttle attempts (sign-ins, reset
    /// requests, checks of current passwords) and reset links older than a day.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let t = self.now();
        let a = with_writer!(self, |p| sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(t)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        let b = with_writer!(self, |p| sqlx::query("DELETE FROM throttle_attempts WHERE at < $1")
            .bind(t - Duration::days(1))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        let c = with_writer!(self, |p| sqlx::query("DELETE FROM password_resets WHERE expires_at < $1")
            .bind(t - Duration::days(1))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(a + b + c)
    }
}

impl Store {
    /// Every Message-ID of a ticket's mail thread, oldest first: what we sent
    /// and what the customer's side sent us. A long thread keeps its first
    /// and its newest 99, which is what References needs in any mail client.
    /// (Mail that came without a Message-ID is stored under its digest, which is no Message-ID.)
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn thread_mail_ids(&self, ticket_id: i64) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT id FROM (SELECT message_id AS id, sent_at AS at FROM sent_mail WHERE ticket_id = $1 \
             UNION ALL SELECT email_message_id AS id, created_at AS at FROM messages WHERE ticket_id = $1 AND email_message_id LIKE '<%') thread \
             ORDER BY at, id LIMIT 10000"
        )
        .bind(ticket_id)
        .fetch_all(p)
        .await
        })?;
        if ids.len() <= 100 {
            return Ok(ids);
        }
        Ok(ids[..1].iter().chain(&ids[ids.len() - 99..]).cloned().collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn notification_settings(&self) -> Result<Vec<(String, bool)>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as("SELECT kind, enabled FROM notification_settings ORDER BY kind").fetch_all(p).await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_notification(&self, kind: &str, enabled: bool, audit: Option<&crate::Audit>) -> Result<bool, StoreError> {
        let n = with_tx!(self, |tx| {
            let n = sqlx::query("UPDATE notification_settings SET enabled = $1 WHERE kind = $2")
                .bind(enabled)
                .bind(kind)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            write_audit!(tx, audit, self.now());
            n
        });
        Ok(n == 1)
    }
}
