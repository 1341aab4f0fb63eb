//! The SLA clock of tickets: live from a ticket's history for its page and
//! the API, and the SLA pass that keeps the stored state (`ticket_sla`,
//! `tickets.sla_due_at`) current for queues, the workload view and the
//! scheduler. The arithmetic is the domain's (`frontline_domain::sla`);
//! this module picks the policy and calendar and reads the history.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::authz::{self, Actor};
use frontline_domain::sla::{SlaState, TargetKind, TicketFacts, select_policy, sla_state, timeline};
use frontline_store::sla::{CalendarRecord, PolicyRecord};
use frontline_store::sla_state::{SlaRecord, SlaResult, SlaTicket};

use crate::{App, AppError, Result};

/// A ticket's SLA as of now: which policy measures it and where each
/// target and step stands.
#[derive(Debug, Clone)]
pub struct TicketSla {
    pub policy_id: i64,
    pub policy_name: String,
    pub calendar_name: String,
    pub time_zone: String,
    pub state: SlaState,
}

/// What one batch of the SLA pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlaPassReport {
    /// Tickets recomputed and kept.
    pub recomputed: usize,
    /// Tickets skipped because they were written meanwhile (still dirty).
    pub changed_meanwhile: usize,
    /// The batch was full: more may be waiting.
    pub more: bool,
}

/// The policies in the admin's order and their calendars, read once per
/// batch or page.
struct Setup {
    policies: Vec<PolicyRecord>,
    calendars: HashMap<i64, CalendarRecord>,
}

impl Setup {
    /// The policy measuring `t` and its calendar; None when no policy applies.
    fn measure(&self, t: &SlaTicket, at: DateTime<Utc>) -> Option<(&PolicyRecord, &CalendarRecord, SlaState)> {
        let facts = TicketFacts {
            organization_id: t.organization_id,
            support_plan_id: t.support_plan_id,
            priority: t.now.priority,
            channel: t.channel,
            tags: &t.tags,
        };
        let policy = select_policy(&self.policies, |p| &p.policy, &facts)?;
        let calendar = self.calendars.get(&policy.calendar_id)?;
        let state = sla_state(&policy.policy, &calendar.calendar, &timeline(&t.now, &t.history), at);
        Some((policy, calendar, state))
    }
}

impl App {
    async fn sla_setup(&self) -> Result<Setup> {
        let policies = self.store.list_sla_policies().await?;
        let calendars = self.store.list_calendars().await?.into_iter().map(|c| (c.id, c)).collect();
        Ok(Setup { policies, calendars })
    }

    /// The ticket's SLA, computed now from its history, for those who see
    /// agent-only fields; None when no policy applies (and for customers).
    pub async fn ticket_sla(&self, actor: &Actor, ticket_id: i64) -> Result<Option<TicketSla>> {
        // Not found for those who may not see the ticket at all.
        self.ticket(actor, ticket_id).await?;
        if !authz::sees_sla(actor) {
            return Ok(None);
        }
        let Some(read) = self.store.sla_tickets(&[ticket_id]).await?.into_iter().next() else {
            return Err(DomainError::NotFound("ticket").into());
        };
        let ticket = read.map_err(|broken| AppError::Internal(Box::new(broken.error)))?;
        let setup = self.sla_setup().await?;
        Ok(setup.measure(&ticket, self.now()).map(|(policy, calendar, state)| TicketSla {
            policy_id: policy.id,
            policy_name: policy.name.clone(),
            calendar_name: calendar.name.clone(),
            time_zone: calendar.calendar.time_zone().name().to_string(),
            state,
        }))
    }

    /// One batch of the SLA pass, at most `limit` tickets: those written
    /// since their last computation, then those whose next check time has
    /// come. Each is measured at the app's "now" and its result kept unless
    /// the ticket was written meanwhile (then it stays for the next batch).
    /// Only the system runs it.
    pub async fn sla_pass(&self, actor: &Actor, limit: usize) -> Result<SlaPassReport> {
        if !authz::can_run_sla_pass(actor) {
            return Err(DomainError::Forbidden("only Frontline itself runs the SLA pass").into());
        }
        let limit = limit.max(1);
        let started = std::time::Instant::now();
        let frontline_store::sla_state::SlaWork { ids, more } = self.store.sla_work(limit as i64).await?;
        if ids.is_empty() {
            return Ok(SlaPassReport::default());
        }
        let tickets = self.store.sla_tickets(&ids).await?;
        let setup = self.sla_setup().await?;
        let read_time = started.elapsed();
        let now = self.now();
        let mut results = Vec::with_capacity(tickets.len());
        for read in tickets {
            let t = match read {
                Ok(t) => t,
                Err(broken) => {
                    // Taken in as having no SLA until its next write, so the
                    // pass goes on with the others instead of meeting it again.
                    tracing::warn!(ticket = broken.id, error = %broken.error, "the SLA clock cannot read this ticket's history");
                    results.push(SlaResult { ticket_id: broken.id, seen_dirty: broken.dirty, record: None });
                    continue;
                }
            };
            // History stamped after our "now" (another node's clock ahead of
            // ours) is measured, not dropped.
            let at = t.history.iter().map(|h| h.at).chain([t.now.created_at, now]).max().unwrap_or(now);
            let record = match setup.measure(&t, at) {
                None => None,
                Some((policy, _, state)) => Some(SlaRecord {
                    policy_id: policy.id,
                    paused: state.paused,
                    due: state.next_due(),
                    warn_at: state.warn_at(),
                    breached_at: state.breached_at(),
                    next_check_at: state.next_check_at(),
                    target_breached: TargetKind::ALL.map(|kind| state.target_breached_at(kind)),
                }),
            };
            results.push(SlaResult { ticket_id: t.id, seen_dirty: t.dirty, record });
        }
        let read = results.len();
        let computed = started.elapsed();
        let kept = self.store.save_sla(&results).await?;
        // Where a batch's time goes (docs/BENCHMARKS.md, the scheduler).
        tracing::debug!(tickets = read, read_ms = %read_time.as_millis(), compute_ms = %(computed - read_time).as_millis(),
            save_ms = %(started.elapsed() - computed).as_millis(), "SLA pass batch");
        Ok(SlaPassReport { recomputed: kept, changed_meanwhile: read - kept, more })
    }
}
