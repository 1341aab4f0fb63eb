//! /api/v1/me/password and /api/v1/me/sessions: the caller's own password
//! and signed-in sessions.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::{ApiUser, cookie_session};
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    /// The password used now.
    pub current_password: String,
    /// The new password (at least 10 characters).
    pub password: String,
}

/// Change the caller's password. The current one must be given; every
/// other session of the caller ends (the one making the request stays).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "account", request_body = PasswordChangeRequest,
    responses((status = 204, description = "Changed"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn change_password(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
    ApiJson(r): ApiJson<PasswordChangeRequest>,
) -> Result<StatusCode, ApiError> {
    let current = cookie_session(&headers);
    s.app.change_own_password(&user.actor(), current.as_deref(), &r.current_password, &r.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    /// Names the session for ending it (not its secret).
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    /// The client address it was opened from.
    pub ip: String,
    pub user_agent: String,
    /// True for the session this request came with.
    pub current: bool,
}

/// The caller's signed-in sessions, most recently used first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "account",
    responses((status = 200, body = Vec<SessionDto>), (status = 401, body = ErrorBody)), security(("token" = [])))]
pub async fn list_sessions(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
) -> Result<Json<Vec<SessionDto>>, ApiError> {
    let current = cookie_session(&headers).map(|c| frontline_app::App::session_id(&c));
    let sessions = s.app.list_sessions(&user.actor()).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|x| SessionDto {
                current: current.as_deref() == Some(x.id.as_str()),
                id: x.id,
                created_at: x.created_at,
                last_seen_at: x.last_seen_at,
                expires_at: x.expires_at,
                ip: x.ip,
                user_agent: x.user_agent,
            })
            .collect(),
    ))
}

/// End one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "account", params(("id" = String, Path)),
    responses((status = 204, description = "Ended"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn end_session(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<String>) -> Result<StatusCode, ApiError> {
    s.app.end_session(&user.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndedDto {
    pub ended: u64,
}

/// End every session of the caller but the one this request came with.
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "account",
    responses((status = 200, body = EndedDto), (status = 401, body = ErrorBody)), security(("token" = [])))]
pub async fn end_other_sessions(State(s): State<AppState>, ApiUser(user): ApiUser, headers: HeaderMap) -> Result<Json<EndedDto>, ApiError> {
    let current = cookie_session(&headers);
    let ended = s.app.end_other_sessions(&user.actor(), current.as_deref()).await?;
    Ok(Json(EndedDto { ended }))
}
