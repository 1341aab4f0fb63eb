//! /api/v1/tickets/{id}/escalations, /de-escalations, /needs-senior: moving
//! a ticket along the escalation path (tier 1 -> tier 2 -> Head of Support
//! -> Engineering), each with a reason that becomes an internal note.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use frontline_app::escalation::StepRequest;
use frontline_domain::escalation::{EscalationStep, StepAction};
use frontline_domain::ticket::Channel;
use frontline_store::escalations::Escalation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{PersonRef, TicketDto};
use super::extract::{ApiJson, ApiPath};
use super::vocab::{EscalationStepDoc, StepActionDoc};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::idempotency::Idempotency;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateRequest {
    /// Why (required): becomes an internal note and is sent to the step's people.
    #[serde(default)]
    pub reason: String,
    /// A step further up than the next one.
    #[schema(value_type = Option<EscalationStepDoc>)]
    pub to: Option<EscalationStep>,
    /// The step you saw (the ticket's `step`): if the ticket was moved meanwhile, 409 and nothing is written.
    #[schema(value_type = Option<EscalationStepDoc>)]
    pub from: Option<EscalationStep>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeEscalateRequest {
    /// Why it goes back (required): becomes an internal note.
    #[serde(default)]
    pub note: String,
    /// The step you saw (the ticket's `step`): if the ticket was moved meanwhile, 409 and nothing is written.
    #[schema(value_type = Option<EscalationStepDoc>)]
    pub from: Option<EscalationStep>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsSeniorRequest {
    /// What makes the customer difficult (required): becomes an internal note.
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationDto {
    pub id: i64,
    #[schema(value_type = StepActionDoc)]
    pub action: StepAction,
    #[schema(value_type = EscalationStepDoc)]
    pub from_step: EscalationStep,
    #[schema(value_type = EscalationStepDoc)]
    pub to_step: EscalationStep,
    pub actor: Option<PersonRef>,
    pub reason: String,
    /// The internal note that carries the reason.
    pub note_id: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Escalation> for EscalationDto {
    fn from(e: Escalation) -> Self {
        EscalationDto {
            id: e.id,
            action: e.action,
            from_step: e.from_step,
            to_step: e.to_step,
            actor: e.actor_id.map(|id| PersonRef { id, name: e.actor_name.unwrap_or_default(), email: None }),
            reason: e.reason,
            note_id: e.note_id,
            created_at: e.created_at,
        }
    }
}

/// The use case reads steps by name, as the page sends them.
fn step_name(step: Option<EscalationStep>) -> Option<String> {
    step.map(|s| s.as_str().to_string())
}

async fn run(
    s: &AppState,
    user: &frontline_store::User,
    id: i64,
    key: Option<Extension<Idempotency>>,
    req: StepRequest,
) -> Result<(StatusCode, Json<TicketDto>), ApiError> {
    let actor = user.actor();
    // A retry of a step that committed answers with the ticket as it is.
    let ticket = if Idempotency::committed(&key).is_some() {
        s.app.ticket(&actor, id).await?
    } else {
        s.app.step_keyed(&actor, id, &req, Idempotency::mark(&key)).await?
    };
    Ok((StatusCode::CREATED, Json(super::tickets::one_ticket(s, &actor, ticket).await?)))
}

/// Escalate a ticket one step up (or to `to`), with a reason. Writes an
/// internal note and an `escalated` event, moves the ticket to the new
/// step's queue (its assignee keeps it only if they work that step) and
/// tells that step's people. 409 when someone escalated it meanwhile.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/escalations", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    request_body = EscalateRequest,
    responses((status = 201, body = TicketDto, description = "The ticket at its new step"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Someone moved the ticket meanwhile (`from`)"),
        (status = 422, body = ErrorBody, description = "No reason, or no step above (`to`)")),
    security(("token" = [])))]
pub async fn escalate(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    key: Option<Extension<Idempotency>>,
    ApiJson(r): ApiJson<EscalateRequest>,
) -> Result<(StatusCode, Json<TicketDto>), ApiError> {
    let req = StepRequest { from: step_name(r.from), ..StepRequest::escalate(r.reason, step_name(r.to), Channel::Api) };
    run(&s, &user, id, key, req).await
}

/// Send a ticket one step back down, with a note.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/de-escalations", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    request_body = DeEscalateRequest,
    responses((status = 201, body = TicketDto, description = "The ticket at its new step"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Someone moved the ticket meanwhile (`from`)"),
        (status = 422, body = ErrorBody, description = "No note, or the ticket is at tier 1 (`to`)")),
    security(("token" = [])))]
pub async fn de_escalate(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    key: Option<Extension<Idempotency>>,
    ApiJson(r): ApiJson<DeEscalateRequest>,
) -> Result<(StatusCode, Json<TicketDto>), ApiError> {
    run(&s, &user, id, key, StepRequest { from: step_name(r.from), ..StepRequest::de_escalate(r.note, Channel::Api) }).await
}

/// Mark a difficult or aggressive customer: the ticket goes to tier 2 at
/// once (if it was at tier 1) and tier 2 is told.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/needs-senior", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    request_body = NeedsSeniorRequest,
    responses((status = 201, body = TicketDto, description = "The ticket, at tier 2 at least"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "No reason")),
    security(("token" = [])))]
pub async fn needs_senior(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    key: Option<Extension<Idempotency>>,
    ApiJson(r): ApiJson<NeedsSeniorRequest>,
) -> Result<(StatusCode, Json<TicketDto>), ApiError> {
    run(&s, &user, id, key, StepRequest::needs_senior(r.reason, Channel::Api)).await
}

/// The ticket's way along the escalation path, oldest first (staff only).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/escalations", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    responses((status = 200, body = Vec<EscalationDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<EscalationDto>>, ApiError> {
    Ok(Json(s.app.escalations(&user.actor(), id).await?.into_iter().map(EscalationDto::from).collect()))
}
