//! Help requests: a question about a ticket to a colleague or a tier.
//! Asking, answering (an internal note) and withdrawing each write their
//! history event in the same transaction; an answer is a change of its
//! ticket, written under the ticket's lock (`modify_ticket`). Answering and
//! withdrawing only change an open request, so two answers at once (or an
//! answer and a withdrawal) leave one of them refused and nothing
//! half-written.

use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::help::{HelpStatus, require_open};
use frontline_domain::ticket::EventField;
use serde::Serialize;

use crate::tickets::{Attached, Modify};
use crate::{Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct HelpRequest {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub asked_by: Option<i64>,
    pub asked_by_name: Option<String>,
    pub to_user_id: Option<i64>,
    pub to_user_name: Option<String>,
    pub to_tier: Option<i64>,
    pub question: String,
    pub status: HelpStatus,
    pub answer_note_id: Option<i64>,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct HelpRow {
    id: i64,
    ticket_id: i64,
    ticket_subject: String,
    asked_by: Option<i64>,
    asked_by_name: Option<String>,
    to_user_id: Option<i64>,
    to_user_name: Option<String>,
    to_tier: Option<i64>,
    question: String,
    status: String,
    answer_note_id: Option<i64>,
    answer: Option<String>,
    answered_by: Option<i64>,
    answered_by_name: Option<String>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

impl TryFrom<HelpRow> for HelpRequest {
    type Error = StoreError;
    fn try_from(r: HelpRow) -> Result<Self, StoreError> {
        let status = HelpStatus::parse(&r.status).ok_or_else(|| StoreError::Corrupt(format!("unknown help status '{}'", r.status)))?;
        Ok(HelpRequest {
            id: r.id,
            ticket_id: r.ticket_id,
            ticket_subject: r.ticket_subject,
            asked_by: r.asked_by,
            asked_by_name: r.asked_by_name,
            to_user_id: r.to_user_id,
            to_user_name: r.to_user_name,
            to_tier: r.to_tier,
            question: r.question,
            status,
            answer_note_id: r.answer_note_id,
            answer: r.answer,
            answered_by: r.answered_by,
            answered_by_name: r.answered_by_name,
            created_at: r.created_at,
            closed_at: r.closed_at,
        })
    }
}

macro_rules! help_select {
    () => {
        "SELECT h.id, h.ticket_id, t.subject AS ticket_subject, h.asked_by, a.name AS asked_by_name, h.to_user_id, \
         u.name AS to_user_name, h.to_tier, h.question, h.status, h.answer_note_id, m.body AS answer, h.answered_by, \
         b.name AS answered_by_name, h.created_at, h.closed_at \
         FROM help_requests h JOIN tickets t ON t.id = h.ticket_id LEFT JOIN users a ON a.id = h.asked_by \
         LEFT JOIN users u ON u.id = h.to_user_id LEFT JOIN users b ON b.id = h.answered_by \
         LEFT JOIN messages m ON m.id = h.answer_note_id "
    };
}

#[derive(Debug, Clone)]
pub struct NewHelpRequest {
    pub ticket_id: i64,
    pub asked_by: i64,
    pub to_user_id: Option<i64>,
    pub to_tier: Option<i64>,
    pub question: String,
    /// Queue the `help_requested` notification (bell and mail) with it.
    pub notify: bool,
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_help_request(&self, r: &NewHelpRequest) -> Result<i64, StoreError> {
        let at = self.now();
        let id = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO help_requests (ticket_id, asked_by, to_user_id, to_tier, question, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(r.ticket_id)
            .bind(r.asked_by)
            .bind(r.to_user_id)
            .bind(r.to_tier)
            .bind(&r.question)
            .bind(HelpStatus::Open.as_str())
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            insert_event!(tx, r.ticket_id, Some(r.asked_by), EventField::HelpRequested, None::<String>, Some(id.to_string()), at);
            // Told in the request's own transaction: both or neither.
            if r.notify {
                enqueue_job!(tx, &crate::jobs::NotifyJob::help_requested(r.ticket_id, id, r.asked_by, at), at);
            }
            id
        });
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_help_request(&self, id: i64) -> Result<Option<HelpRequest>, StoreError> {
        let row: Option<HelpRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(help_select!(), "WHERE h.id = $1")).bind(id).fetch_optional(p).await)?;
        row.map(HelpRequest::try_from).transpose()
    }

    /// Open requests a user is part of: asked by them, put to them, or put
    /// to their tier (`tier`, None without one); newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_help_requests_for(
        &self,
        user_id: i64,
        tier: Option<frontline_domain::tier::Tier>,
    ) -> Result<Vec<HelpRequest>, StoreError> {
        let rows: Vec<HelpRow> = with_pool!(self, |p| sqlx::query_as(concat!(
            help_select!(),
            "WHERE h.status = $3 AND (h.asked_by = $1 OR h.to_user_id = $1 OR h.to_tier = $2) ORDER BY h.id DESC LIMIT 200"
        ))
        .bind(user_id)
        .bind(tier.map_or(-1, |t| t.get()))
        .bind(HelpStatus::Open.as_str())
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(HelpRequest::try_from).collect()
    }

    /// A ticket's requests, oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ticket_help_requests(&self, ticket_id: i64) -> Result<Vec<HelpRequest>, StoreError> {
        let rows: Vec<HelpRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(help_select!(), "WHERE h.ticket_id = $1 ORDER BY h.id LIMIT 500"))
                .bind(ticket_id)
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(HelpRequest::try_from).collect()
    }

    /// Answer an open request: `c` is the change to its ticket whose
    /// message is the answer (an internal note), written through the
    /// ticket's locked write (`modify_ticket`, so `c.decide` sees the
    /// ticket as it is) with the request's closing and both events.
    /// Returns the note's id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn answer_help_request(&self, c: Modify<'_>, request_id: i64) -> Result<i64, StoreError> {
        let note = self.modify_ticket_with(c, Some(Attached::HelpAnswer { request_id })).await?;
        note.ok_or_else(|| StoreError::Corrupt("a help request was answered without a note".into()))
    }

    /// Withdraw an open request (the caller checked who may).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn withdraw_help_request(&self, id: i64, by: Option<i64>) -> Result<(), StoreError> {
        let at = self.now();
        with_tx!(self, |tx| {
            // Locks in an answer's order, the ticket then the request: an
            // answer holds its ticket while it closes the request, and a
            // withdrawal holding the request would wait for the ticket (its
            // event's key) — a deadlock on PostgreSQL. (SQLite: BEGIN
            // IMMEDIATE holds the only write lock.)
            if self.engine() == crate::Engine::Postgres {
                sqlx::query("SELECT t.id FROM tickets t JOIN help_requests h ON h.ticket_id = t.id WHERE h.id = $1 FOR UPDATE OF t")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            }
            let ticket: Option<i64> = sqlx::query_scalar(
                "UPDATE help_requests SET status = $3, closed_at = $1 WHERE id = $2 AND status = $4 RETURNING ticket_id",
            )
            .bind(at)
            .bind(id)
            .bind(HelpStatus::Withdrawn.as_str())
            .bind(HelpStatus::Open.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(ticket_id) = ticket else {
                let status: Option<String> =
                    sqlx::query_scalar("SELECT status FROM help_requests WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
                let status = status.ok_or(DomainError::NotFound("help request"))?;
                require_open(HelpStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("unknown help status '{status}'")))?)?;
                return Err(StoreError::Corrupt("an open help request could not be withdrawn".into()));
            };
            insert_event!(tx, ticket_id, by, EventField::HelpWithdrawn, None::<String>, Some(id.to_string()), at);
        });
        Ok(())
    }
}
