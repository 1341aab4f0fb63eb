//! Help requests: a question about a ticket to a colleague or a tier.
//! Asking, answering (an internal note) and withdrawing each write their
//! history event in the same transaction; answering and withdrawing only
//! change an open request, so two answers at once (or an answer and a
//! withdrawal) leave one of them refused and nothing half-written.

use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::help::{HelpStatus, require_open};
use frontline_domain::ticket::{Channel, EventField, MessageKind};
use serde::Serialize;

use crate::attachments::NewAttachment;
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
                 VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id",
            )
            .bind(r.ticket_id)
            .bind(r.asked_by)
            .bind(r.to_user_id)
            .bind(r.to_tier)
            .bind(&r.question)
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
        if r.notify {
            self.jobs_queued.notify_one();
        }
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
            "WHERE h.status = 'open' AND (h.asked_by = $1 OR h.to_user_id = $1 OR h.to_tier = $2) ORDER BY h.id DESC LIMIT 200"
        ))
        .bind(user_id)
        .bind(tier.map_or(-1, |t| t.get()))
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

    /// Answer an open request: the answer is an internal note by `by` on
    /// the ticket, written with the request's closing and both events.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn answer_help_request(&self, id: i64, by: i64, answer: &str, channel: Channel) -> Result<i64, StoreError> {
        let at = self.now();
        let no_files: Vec<NewAttachment> = vec![];
        let note = with_tx!(self, |tx| {
            // SQLite: BEGIN IMMEDIATE already holds the only write lock.
            let sql = match self.engine() {
                crate::Engine::Sqlite => "SELECT ticket_id, status FROM help_requests WHERE id = $1",
                crate::Engine::Postgres => "SELECT ticket_id, status FROM help_requests WHERE id = $1 FOR UPDATE",
            };
            let row: Option<(i64, String)> = sqlx::query_as(sql).bind(id).fetch_optional(&mut *tx).await?;
            let (ticket_id, status) = row.ok_or(DomainError::NotFound("help request"))?;
            require_open(HelpStatus::parse(&status).unwrap_or(HelpStatus::Withdrawn))?;
            let mid =
                insert_message!(tx, ticket_id, by, MessageKind::Internal, answer, channel, at, &None::<String>, &None::<String>, &no_files);
            insert_event!(tx, ticket_id, Some(by), EventField::InternalNote, None::<String>, Some(mid.to_string()), at);
            insert_event!(tx, ticket_id, Some(by), EventField::HelpAnswered, None::<String>, Some(id.to_string()), at);
            sqlx::query(
                "UPDATE help_requests SET status = 'answered', answer_note_id = $1, answered_by = $2, closed_at = $3 WHERE id = $4",
            )
            .bind(mid)
            .bind(by)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // A note is a change of the ticket, as with any other note.
            sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2 AND updated_at < $1")
                .bind(at)
                .bind(ticket_id)
                .execute(&mut *tx)
                .await?;
            mid
        });
        Ok(note)
    }

    /// Withdraw an open request (the caller checked who may).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn withdraw_help_request(&self, id: i64, by: Option<i64>) -> Result<(), StoreError> {
        let at = self.now();
        with_tx!(self, |tx| {
            let ticket: Option<i64> = sqlx::query_scalar(
                "UPDATE help_requests SET status = 'withdrawn', closed_at = $1 WHERE id = $2 AND status = 'open' RETURNING ticket_id",
            )
            .bind(at)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(ticket_id) = ticket else {
                let status: Option<String> =
                    sqlx::query_scalar("SELECT status FROM help_requests WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
                let status = status.ok_or(DomainError::NotFound("help request"))?;
                require_open(HelpStatus::parse(&status).unwrap_or(HelpStatus::Withdrawn))?;
                return Err(StoreError::Corrupt("an open help request could not be withdrawn".into()));
            };
            insert_event!(tx, ticket_id, by, EventField::HelpWithdrawn, None::<String>, Some(id.to_string()), at);
        });
        Ok(())
    }
}
