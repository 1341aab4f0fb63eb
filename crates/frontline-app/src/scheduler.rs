//! The scheduler: one recurring job (`scheduler.tick`) whose single row in
//! `jobs` (unique `singleton`) is claimed like any job, under a row lock and
//! a lease, so one instance at a time runs a tick. A tick recomputes the SLA
//! state of tickets that changed or whose clock crossed something
//! (`sla_pass`, in batches, bounded), sends near-breach warnings, and runs
//! the automatic rules; then the same row is given back, due at the next
//! tick (sooner when a stored SLA state says something changes earlier).
//! A crash mid-tick leaves the row claimed until its lease runs out; the
//! next tick does what was left, and the once-keys (`sla_warnings`,
//! `rule_firings`) keep anything from happening twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::authz::{self, Actor};
use frontline_store::jobs::{Job, JobKind, SentMail};
use serde::{Deserialize, Serialize};

use crate::jobs::BackgroundJob;
use crate::{App, Result};

/// The tick's job payload (nothing: a tick reads what is due).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SchedulerTick {}

impl JobKind for SchedulerTick {
    const JOB_NAME: &'static str = "scheduler.tick";
}

/// Tickets recomputed per `sla_pass` batch.
pub const SLA_BATCH: usize = 2000;
/// The SLA share of a tick: batches go on while the tick is younger than
/// this (at least one runs), so a tick stays short however many tickets
/// changed (a policy edit marks every open one: 100,000 take 5 s on SQLite
/// and 20 s on PostgreSQL, docs/BENCHMARKS.md) and warnings and rules are
/// not held up behind the recompute; the rest is the next tick's, which
/// then comes at once. Measured on the monotonic clock: it bounds work,
/// it says nothing about the tickets' time.
pub const SLA_SHARE_OF_TICK: Duration = Duration::from_secs(1);
/// Near-breach warnings, and firings per rule, per tick.
pub const WARNINGS_PER_TICK: i64 = 1000;
pub const FIRINGS_PER_RULE_PER_TICK: i64 = 500;
/// The pause between ticks when nothing says sooner (and no config does).
pub const DEFAULT_EVERY: Duration = Duration::from_secs(5);

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub sla_recomputed: usize,
    pub warnings: usize,
    pub fired: usize,
    pub rules_disabled: usize,
    /// Work was left for the next tick (which should come at once).
    pub more: bool,
}

impl BackgroundJob for SchedulerTick {
    async fn run(self, app: &App, job: &Job) -> Result<Option<SentMail>> {
        // A failed tick is logged and the next one comes as usual: the
        // scheduler's row must not back off towards "failed for good".
        let more = match app.scheduler_tick(&Actor::System).await {
            Ok(report) => {
                tracing::debug!(?report, "scheduler tick");
                report.more
            }
            Err(e) => {
                tracing::warn!(error = %e.chain(), "scheduler tick failed");
                false
            }
        };
        let at = app.next_tick_at(more).await?;
        if !app.store.reschedule_job(job, at).await? {
            tracing::warn!(job = job.id, "the scheduler's claim ran out during its tick; another runner has it");
        }
        Ok(None)
    }
}

impl App {
    /// One scheduler tick, now (by the injected clock). The system's only:
    /// the job runs it, and tests and benchmarks call it directly.
    pub async fn scheduler_tick(&self, actor: &Actor) -> Result<TickReport> {
        self.scheduler_tick_with(actor, SLA_SHARE_OF_TICK).await
    }

    /// A tick whose SLA share is `sla_share` (tests shorten it).
    pub async fn scheduler_tick_with(&self, actor: &Actor, sla_share: Duration) -> Result<TickReport> {
        if !authz::can_run_rules(actor) {
            return Err(DomainError::Forbidden("only the scheduler runs ticks").into());
        }
        let mut report = TickReport::default();
        let started = std::time::Instant::now();
        loop {
            let pass = self.sla_pass(actor, SLA_BATCH).await?;
            report.sla_recomputed += pass.recomputed;
            if !pass.more {
                break;
            }
            if started.elapsed() >= sla_share {
                report.more = true;
                break;
            }
        }
        let warnings = self.send_sla_warnings(WARNINGS_PER_TICK).await?;
        report.warnings = warnings.sent;
        report.more |= warnings.more;
        let rules = self.run_rules(FIRINGS_PER_RULE_PER_TICK).await?;
        report.fired = rules.fired;
        report.rules_disabled = rules.disabled;
        report.more |= rules.more;
        Ok(report)
    }

    /// When the next tick runs: at once when work was left, else after the
    /// configured pause or at the earliest stored SLA check before it.
    async fn next_tick_at(&self, more: bool) -> Result<DateTime<Utc>> {
        let now = self.now();
        if more {
            return Ok(now);
        }
        let every = self.config.runner.scheduler.unwrap_or(DEFAULT_EVERY);
        let regular = now + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::seconds(5));
        let sooner = self.store.next_sla_check().await?;
        Ok(sooner.map_or(regular, |s| s.min(regular)))
    }
}
