//! /api/v1/workload: everyone's queue per agent and per tier, and the
//! unassigned tickets whose SLA is at risk. Taking or reassigning one is
//! `PATCH /api/v1/tickets/{id}` with `assignee_id` and `expected_updated_at`.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use frontline_app::workload::Workload;
use frontline_domain::escalation::EscalationStep;
use frontline_domain::tier::Tier;
use frontline_domain::workload::{AgentLoad, Counts, OldestTicket, TierLoad};
use frontline_store::workload::AtRiskTicket;
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::PersonRef;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};

/// Open tickets by where they stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkloadCounts {
    /// New or open.
    pub open: i64,
    /// Pending or on hold (waiting on the customer or a third party).
    pub pending: i64,
    /// An SLA target's warning time has come, its due time not yet.
    pub near_breach: i64,
    /// An SLA target is past due, or one was breached.
    pub overdue: i64,
}

impl From<Counts> for WorkloadCounts {
    fn from(c: Counts) -> Self {
        WorkloadCounts { open: c.open, pending: c.pending, near_breach: c.near_breach, overdue: c.overdue }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OldestTicketDto {
    pub id: i64,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    /// Minutes since it was created, at `as_of`.
    pub age_minutes: i64,
}

fn oldest(o: Option<OldestTicket>, now: DateTime<Utc>) -> Option<OldestTicketDto> {
    o.map(|o| OldestTicketDto {
        age_minutes: (now - o.created_at).num_minutes().max(0),
        id: o.id,
        subject: o.subject,
        created_at: o.created_at,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentWorkload {
    pub agent: PersonRef,
    /// available, away or off
    pub availability: String,
    /// Their open tickets, at whatever tier the tickets stand.
    pub counts: WorkloadCounts,
    pub oldest: Option<OldestTicketDto>,
    /// Open help requests put to them by name.
    pub help_waiting: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierWorkload {
    /// 1, 2 or 3; null for ticket workers without a queue tier.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3)]
    pub tier: Option<Tier>,
    pub label: String,
    /// The agents whose queue is this tier's.
    pub agents: Vec<AgentWorkload>,
    /// Every open ticket standing at this tier, assigned or not.
    pub totals: WorkloadCounts,
    /// Those of them nobody holds.
    pub unassigned: WorkloadCounts,
    pub oldest: Option<OldestTicketDto>,
    /// Open help requests put to the whole tier.
    pub help_waiting: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AtRiskTicketDto {
    pub id: i64,
    pub subject: String,
    pub priority: String,
    #[schema(value_type = i64, minimum = 1, maximum = 3)]
    pub tier: Tier,
    /// tier_1, tier_2, head_of_support, engineering
    pub step: String,
    pub assignee: Option<PersonRef>,
    /// The version to send as `expected_updated_at` when taking it.
    pub updated_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// Past due or breached, rather than only near breach.
    pub overdue: bool,
}

impl From<AtRiskTicket> for AtRiskTicketDto {
    fn from(t: AtRiskTicket) -> Self {
        AtRiskTicketDto {
            id: t.id,
            subject: t.subject,
            priority: t.priority.as_str().into(),
            tier: t.tier,
            step: EscalationStep::of(t.tier, t.escalation_level).as_str().into(),
            assignee: t.assignee_id.map(|id| PersonRef { id, name: t.assignee_name.unwrap_or_default(), email: None }),
            updated_at: t.updated_at,
            due_at: t.due_at,
            breached_at: t.breached_at,
            overdue: t.overdue,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkloadDto {
    /// The instant the counts are for.
    pub as_of: DateTime<Utc>,
    pub tiers: Vec<TierWorkload>,
    /// Open tickets nobody holds that are near breach or overdue, most urgent first (at most 50).
    pub unassigned_at_risk: Vec<AtRiskTicketDto>,
}

fn agent(a: AgentLoad, now: DateTime<Utc>) -> AgentWorkload {
    AgentWorkload {
        agent: PersonRef { id: a.worker.user_id, name: a.worker.name, email: None },
        availability: a.worker.availability.as_str().into(),
        counts: a.counts.into(),
        oldest: oldest(a.oldest, now),
        help_waiting: a.help_waiting,
    }
}

/// A tier's name in lists ("Tier 1", ..., "No tier").
pub fn tier_label(tier: Option<Tier>) -> &'static str {
    tier.map_or("No tier", Tier::label)
}

impl From<Workload> for WorkloadDto {
    fn from(w: Workload) -> Self {
        let now = w.as_of;
        let tier = |t: TierLoad| TierWorkload {
            tier: t.tier,
            label: tier_label(t.tier).into(),
            agents: t.agents.into_iter().map(|a| agent(a, now)).collect(),
            totals: t.totals.into(),
            unassigned: t.unassigned.into(),
            oldest: oldest(t.oldest, now),
            help_waiting: t.help_waiting,
        };
        WorkloadDto {
            as_of: now,
            tiers: w.tiers.into_iter().map(tier).collect(),
            unassigned_at_risk: w.unassigned_at_risk.into_iter().map(AtRiskTicketDto::from).collect(),
        }
    }
}

/// Everyone's queue, per agent and per tier: open, pending, near-breach and
/// overdue counts, the oldest open ticket, help requests waiting, and the
/// unassigned tickets near breach or overdue. For tier-2 agents, managers,
/// the Head of Support and admins.
#[utoipa::path(get, path = "/api/v1/workload", tag = "queues",
    responses((status = 200, body = WorkloadDto), (status = 403, body = ErrorBody, description = "Tier 1, engineering, leadership and customers")),
    security(("token" = [])))]
pub async fn get(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<WorkloadDto>, ApiError> {
    Ok(Json(s.app.workload(&user.actor()).await?.into()))
}
