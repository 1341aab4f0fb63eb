//! /api/v1/tickets/{id}/help-requests and /api/v1/help-requests: asking a
//! colleague or a tier about a ticket without handing it over.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use frontline_domain::help::HelpStatus;
use frontline_domain::ticket::Channel;
use frontline_store::help::HelpRequest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::PersonRef;
use super::extract::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskForHelpRequest {
    /// A colleague...
    pub to_user_id: Option<i64>,
    /// ...or a whole tier (1, 2 or 3): exactly one of the two.
    pub to_tier: Option<i64>,
    #[serde(default)]
    pub question: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerHelpRequest {
    /// Becomes an internal note on the ticket.
    #[serde(default)]
    pub answer: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpRequestDto {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub asked_by: Option<PersonRef>,
    pub to_user: Option<PersonRef>,
    pub to_tier: Option<i64>,
    pub question: String,
    #[schema(value_type = super::vocab::HelpStatusDoc)]
    pub status: HelpStatus,
    pub answer: Option<String>,
    /// The internal note that answered it.
    pub answer_note_id: Option<i64>,
    pub answered_by: Option<PersonRef>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

fn person(id: Option<i64>, name: Option<String>) -> Option<PersonRef> {
    id.map(|id| PersonRef { id, name: name.unwrap_or_default(), email: None })
}

impl From<HelpRequest> for HelpRequestDto {
    fn from(h: HelpRequest) -> Self {
        HelpRequestDto {
            id: h.id,
            ticket_id: h.ticket_id,
            ticket_subject: h.ticket_subject,
            asked_by: person(h.asked_by, h.asked_by_name),
            to_user: person(h.to_user_id, h.to_user_name),
            to_tier: h.to_tier,
            question: h.question,
            status: h.status,
            answer: h.answer,
            answer_note_id: h.answer_note_id,
            answered_by: person(h.answered_by, h.answered_by_name),
            created_at: h.created_at,
            closed_at: h.closed_at,
        }
    }
}

/// Ask a colleague (`to_user_id`) or a whole tier (`to_tier`) a question
/// about a ticket; it stays with its assignee. Staff who write internal notes.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/help-requests", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    request_body = AskForHelpRequest,
    responses((status = 201, body = HelpRequestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "No question, or not exactly one of `to_user_id` and `to_tier`")),
    security(("token" = [])))]
pub async fn ask(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<AskForHelpRequest>,
) -> Result<(StatusCode, Json<HelpRequestDto>), ApiError> {
    let h = s.app.ask_for_help(&user.actor(), id, r.to_user_id, r.to_tier, &r.question).await?;
    Ok((StatusCode::CREATED, Json(h.into())))
}

/// Open help requests I asked, was asked, or my tier was asked; newest first.
#[utoipa::path(get, path = "/api/v1/help-requests", tag = "tickets",
    responses((status = 200, body = Vec<HelpRequestDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn mine(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<HelpRequestDto>>, ApiError> {
    Ok(Json(s.app.my_help_requests(&user.actor()).await?.into_iter().map(HelpRequestDto::from).collect()))
}

/// Answer an open help request; the answer is an internal note on its
/// ticket. 409 when it was answered or withdrawn meanwhile.
#[utoipa::path(post, path = "/api/v1/help-requests/{id}/answer", tag = "tickets", params(("id" = i64, Path, description = "Help request id")),
    request_body = AnswerHelpRequest,
    responses((status = 200, body = HelpRequestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Answered or withdrawn already"), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn answer(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<AnswerHelpRequest>,
) -> Result<Json<HelpRequestDto>, ApiError> {
    Ok(Json(s.app.answer_help(&user.actor(), id, &r.answer, Channel::Api).await?.into()))
}

/// Withdraw a question one asked. 409 when it was answered or withdrawn meanwhile.
#[utoipa::path(post, path = "/api/v1/help-requests/{id}/withdraw", tag = "tickets", params(("id" = i64, Path, description = "Help request id")),
    responses((status = 200, body = HelpRequestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Answered or withdrawn already")),
    security(("token" = [])))]
pub async fn withdraw(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<HelpRequestDto>, ApiError> {
    Ok(Json(s.app.withdraw_help(&user.actor(), id).await?.into()))
}
