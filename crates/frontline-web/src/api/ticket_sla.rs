//! The ticket's `sla` object: where the ticket stands against its SLA
//! policy, computed live from its history (`App::ticket_sla`). Agent-only:
//! the use case gives customers none.

use chrono::{DateTime, Utc};
use frontline_app::sla::TicketSla;
use frontline_domain::escalation::EscalationStep;
use frontline_domain::sla::clock::{StepState, TargetState};
use frontline_domain::sla::policy::{Hours, TargetKind};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketSlaDto {
    /// The policy whose conditions chose this ticket.
    pub policy: SlaPolicyRef,
    /// The ticket waits on the customer (pending) or is on hold: no target runs.
    pub paused: bool,
    /// The business-hours calendar the policy counts in.
    pub calendar: SlaCalendarRef,
    /// The targets the policy sets for the ticket's current priority.
    pub targets: Vec<SlaTargetDto>,
    /// Every escalation step's share of the resolution time, in path order.
    pub steps: Vec<SlaStepDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaPolicyRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaCalendarRef {
    pub name: String,
    /// IANA zone, e.g. Europe/Berlin.
    pub time_zone: String,
}

/// Which promise a target is about.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaTargetKind {
    /// From the ticket's creation to the team's first public reply.
    FirstReply,
    /// From a customer's message (after the first reply) to the next public reply.
    NextReply,
    /// From creation to solved, across reopenings.
    Resolution,
}

/// How a target's minutes are counted.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaHours {
    /// Only the calendar's business hours.
    Business,
    /// Every minute.
    Calendar,
}

/// A step of the escalation path.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum SlaStep {
    #[serde(rename = "tier_1")]
    Tier1,
    #[serde(rename = "tier_2")]
    Tier2,
    #[serde(rename = "head_of_support")]
    HeadOfSupport,
    #[serde(rename = "engineering")]
    Engineering,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaTargetDto {
    pub kind: SlaTargetKind,
    pub hours: SlaHours,
    pub target_minutes: i64,
    /// Counted so far, in the target's hours (next reply: the current or last wait).
    pub used_minutes: i64,
    /// When it is due (the instant it fell due, once reached); null while
    /// paused or when nothing is waited for.
    pub due_at: Option<DateTime<Utc>>,
    /// When the ticket counts as near breach of this target.
    pub warn_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// The step the breach is attributed to: the one that used up the time.
    pub breached_step: Option<SlaStep>,
    /// When the wait ended (reply given, ticket solved); null while waiting.
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Next reply: how many waits so far were breached.
    pub breaches: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaStepDto {
    pub step: SlaStep,
    /// Resolution time the step held the ticket, in the resolution target's hours.
    pub used_minutes: i64,
    /// The step's share of the resolution target; null when the policy gives it none.
    pub target_minutes: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
}

impl From<&TicketSla> for TicketSlaDto {
    fn from(s: &TicketSla) -> Self {
        TicketSlaDto {
            policy: SlaPolicyRef { id: s.policy_id, name: s.policy_name.clone() },
            paused: s.state.paused,
            calendar: SlaCalendarRef { name: s.calendar_name.clone(), time_zone: s.time_zone.clone() },
            targets: s.state.targets.iter().map(SlaTargetDto::from).collect(),
            steps: s.state.steps.iter().map(SlaStepDto::from).collect(),
        }
    }
}

impl From<&TargetState> for SlaTargetDto {
    fn from(t: &TargetState) -> Self {
        SlaTargetDto {
            kind: t.kind.into(),
            hours: t.hours.into(),
            target_minutes: t.target_minutes,
            used_minutes: t.used_minutes,
            due_at: t.due_at,
            warn_at: t.warn_at,
            breached_at: t.breached_at,
            breached_step: t.breached_step.map(SlaStep::from),
            fulfilled_at: t.fulfilled_at,
            breaches: t.breaches,
        }
    }
}

impl From<&StepState> for SlaStepDto {
    fn from(s: &StepState) -> Self {
        SlaStepDto {
            step: s.step.into(),
            used_minutes: s.used_minutes,
            target_minutes: s.target_minutes,
            due_at: s.due_at,
            breached_at: s.breached_at,
        }
    }
}

impl From<TargetKind> for SlaTargetKind {
    fn from(k: TargetKind) -> Self {
        match k {
            TargetKind::FirstReply => SlaTargetKind::FirstReply,
            TargetKind::NextReply => SlaTargetKind::NextReply,
            TargetKind::Resolution => SlaTargetKind::Resolution,
        }
    }
}

impl From<Hours> for SlaHours {
    fn from(h: Hours) -> Self {
        match h {
            Hours::Business => SlaHours::Business,
            Hours::Calendar => SlaHours::Calendar,
        }
    }
}

impl From<EscalationStep> for SlaStep {
    fn from(s: EscalationStep) -> Self {
        match s {
            EscalationStep::Tier1 => SlaStep::Tier1,
            EscalationStep::Tier2 => SlaStep::Tier2,
            EscalationStep::HeadOfSupport => SlaStep::HeadOfSupport,
            EscalationStep::Engineering => SlaStep::Engineering,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API's names are the domain's stored names.
    #[test]
    fn names_match_the_domain() {
        for k in TargetKind::ALL {
            assert_eq!(serde_json::to_value(SlaTargetKind::from(k)).ok(), Some(serde_json::Value::from(k.as_str())));
        }
        for s in EscalationStep::ALL {
            assert_eq!(serde_json::to_value(SlaStep::from(s)).ok(), Some(serde_json::Value::from(s.as_str())));
        }
        for h in [Hours::Business, Hours::Calendar] {
            assert_eq!(serde_json::to_value(SlaHours::from(h)).ok(), serde_json::to_value(h).ok());
        }
    }
}
