//! Reads of the escalation path's record (`ticket_escalations`); rows are
//! written by `Store::modify_ticket_step`, in the change's transaction.

use chrono::{DateTime, Utc};
use frontline_domain::escalation::{EscalationStep, StepAction};
use serde::Serialize;

use crate::{Store, StoreError};

/// One action on the path: who moved the ticket from where to where, why.
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    pub id: i64,
    pub ticket_id: i64,
    pub action: StepAction,
    pub from_step: EscalationStep,
    pub to_step: EscalationStep,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub reason: String,
    /// The internal note that carries the reason.
    pub note_id: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EscalationRow {
    id: i64,
    ticket_id: i64,
    action: String,
    from_step: String,
    to_step: String,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    reason: String,
    note_id: i64,
    created_at: DateTime<Utc>,
}

impl TryFrom<EscalationRow> for Escalation {
    type Error = StoreError;
    fn try_from(r: EscalationRow) -> Result<Self, StoreError> {
        let corrupt = |e: frontline_domain::DomainError| StoreError::Corrupt(e.to_string());
        let action =
            StepAction::parse(&r.action).ok_or_else(|| StoreError::Corrupt(format!("unknown escalation action '{}'", r.action)))?;
        Ok(Escalation {
            id: r.id,
            ticket_id: r.ticket_id,
            action,
            from_step: EscalationStep::parse("from_step", &r.from_step).map_err(corrupt)?,
            to_step: EscalationStep::parse("to_step", &r.to_step).map_err(corrupt)?,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            reason: r.reason,
            note_id: r.note_id,
            created_at: r.created_at,
        })
    }
}

macro_rules! escalation_select {
    () => {
        "SELECT e.id, e.ticket_id, e.action, e.from_step, e.to_step, e.actor_id, u.name AS actor_name, e.reason, e.note_id, e.created_at \
         FROM ticket_escalations e LEFT JOIN users u ON u.id = e.actor_id "
    };
}

impl Store {
    /// The step action whose reason is this note, if any (notification jobs
    /// find where an escalation went by the note they carry).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn escalation_by_note(&self, note_id: i64) -> Result<Option<Escalation>, StoreError> {
        let row: Option<EscalationRow> = with_pool!(self, |p| sqlx::query_as(concat!(escalation_select!(), "WHERE e.note_id = $1"))
            .bind(note_id)
            .fetch_optional(p)
            .await)?;
        row.map(Escalation::try_from).transpose()
    }

    /// A ticket's way along the path, oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_escalations(&self, ticket_id: i64) -> Result<Vec<Escalation>, StoreError> {
        let rows: Vec<EscalationRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(escalation_select!(), "WHERE e.ticket_id = $1 ORDER BY e.id LIMIT 1000"))
                .bind(ticket_id)
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(Escalation::try_from).collect()
    }
}
