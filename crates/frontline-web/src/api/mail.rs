//! /api/v1/mail: notification switches and the quarantine of unreadable mail.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    /// ticket_created, public_reply, ticket_solved, ticket_assigned, ticket_escalated, help_requested, sla_warning, rule_notice
    pub kind: String,
    pub enabled: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationRequest {
    pub enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantinedDto {
    pub id: i64,
    pub mailbox: String,
    /// Team of the mailbox it came to (new tickets go there on retry).
    pub team_id: Option<i64>,
    pub error: String,
    /// The start of the message as text, for reading (at most 64 KB; bytes
    /// that are not UTF-8 shown as U+FFFD).
    pub raw: String,
    /// Bytes of the whole message.
    pub size: i64,
    /// The exact bytes received, as message/rfc822.
    pub raw_url: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetryDto {
    /// created, appended, held (from an unverified sender, for an agent to accept) or duplicate
    pub outcome: String,
    pub ticket_id: i64,
}

/// Which automatic mails are sent.
#[utoipa::path(get, path = "/api/v1/mail/notifications", tag = "mail",
    responses((status = 200, body = Vec<NotificationDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list_notifications(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<NotificationDto>>, ApiError> {
    let list = s.app.notification_settings(&user.actor()).await?;
    Ok(Json(list.into_iter().map(|(kind, enabled)| NotificationDto { kind, enabled }).collect()))
}

/// Switch one kind of automatic mail on or off.
#[utoipa::path(put, path = "/api/v1/mail/notifications/{kind}", tag = "mail", params(("kind" = String, Path)), request_body = NotificationRequest,
    responses((status = 200, body = NotificationDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn set_notification(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(kind): ApiPath<String>,
    ApiJson(r): ApiJson<NotificationRequest>,
) -> Result<Json<NotificationDto>, ApiError> {
    s.app.set_notification(&user.actor(), &kind, r.enabled).await?;
    Ok(Json(NotificationDto { kind, enabled: r.enabled }))
}

/// Mail that could not be processed, kept raw.
#[utoipa::path(get, path = "/api/v1/mail/quarantine", tag = "mail",
    responses((status = 200, body = Vec<QuarantinedDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list_quarantine(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<QuarantinedDto>>, ApiError> {
    let list = s.app.quarantine(&user.actor()).await?;
    Ok(Json(
        list.into_iter()
            .map(|q| QuarantinedDto {
                id: q.id,
                mailbox: q.mailbox,
                team_id: q.team_id,
                error: q.error,
                raw: String::from_utf8_lossy(&q.raw).into_owned(),
                size: q.size,
                raw_url: format!("/api/v1/mail/quarantine/{}/raw", q.id),
                received_at: q.received_at,
            })
            .collect(),
    ))
}

/// The exact bytes of a quarantined mail (message/rfc822).
#[utoipa::path(get, path = "/api/v1/mail/quarantine/{id}/raw", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, description = "The message as received", content_type = "message/rfc822"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn quarantined_raw(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<Response, ApiError> {
    let raw = s.app.quarantined_raw(&user.actor(), id).await?;
    Ok(crate::download::raw_mail_response(&format!("quarantine-{id}.eml"), raw))
}

/// Process a quarantined mail again; on success it leaves the quarantine.
#[utoipa::path(post, path = "/api/v1/mail/quarantine/{id}/retry", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = RetryDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn retry_quarantined(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RetryDto>, ApiError> {
    use frontline_app::ingest::IngestOutcome::*;
    let outcome = s.app.retry_quarantined(&user.actor(), id, frontline_mail::inbound::parse).await?;
    let (outcome, ticket_id) = match outcome {
        Created { ticket_id } => ("created", ticket_id),
        Appended { ticket_id } => ("appended", ticket_id),
        Held { ticket_id } => ("held", ticket_id),
        Duplicate { ticket_id } => ("duplicate", ticket_id),
    };
    Ok(Json(RetryDto { outcome: outcome.into(), ticket_id }))
}

/// Delete a quarantined mail.
#[utoipa::path(delete, path = "/api/v1/mail/quarantine/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn delete_quarantined(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_quarantined(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MailTemplateDto {
    pub kind: String,
    /// minijinja; variables: ticket_id, subject, status, author, body, ticket_url, recipient.
    pub subject: String,
    pub body: String,
    /// False while the built-in text is used.
    pub customized: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailTemplateRequest {
    pub subject: String,
    pub body: String,
}

/// The notification mails' templates.
#[utoipa::path(get, path = "/api/v1/mail/templates", tag = "mail",
    responses((status = 200, body = Vec<MailTemplateDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list_templates(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<MailTemplateDto>>, ApiError> {
    let list = s.app.mail_templates(&user.actor()).await?;
    Ok(Json(
        list.into_iter()
            .map(|t| MailTemplateDto { kind: t.kind.to_string(), subject: t.subject, body: t.body, customized: t.customized })
            .collect(),
    ))
}

/// Change one mail's template; it is checked by rendering before it is saved.
#[utoipa::path(put, path = "/api/v1/mail/templates/{kind}", tag = "mail", params(("kind" = String, Path)), request_body = MailTemplateRequest,
    responses((status = 204, description = "Saved"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn set_template(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(kind): ApiPath<String>,
    ApiJson(r): ApiJson<MailTemplateRequest>,
) -> Result<StatusCode, ApiError> {
    s.app.save_mail_template(&user.actor(), &kind, Some((&r.subject, &r.body))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Go back to the built-in text for one mail.
#[utoipa::path(delete, path = "/api/v1/mail/templates/{kind}", tag = "mail", params(("kind" = String, Path)),
    responses((status = 204, description = "Reset"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn reset_template(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(kind): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.app.save_mail_template(&user.actor(), &kind, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
