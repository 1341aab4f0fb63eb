//! /api/v1/notifications (the caller's bell) and
//! /api/v1/me/notification-settings (the caller's own switches per kind).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use frontline_app::notifications::PreferenceView;
use frontline_store::notifications::Notification;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::PersonRef;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct InAppNotificationDto {
    pub id: i64,
    /// ticket_assigned, ticket_escalated, help_requested, sla_warning or rule_notice
    pub kind: String,
    /// What happened, in words ("Escalated to your step").
    pub headline: String,
    /// A few words more: the step reached, the question asked.
    pub detail: String,
    pub ticket_id: i64,
    pub ticket_subject: String,
    /// Who caused it (None: the system).
    pub actor: Option<PersonRef>,
    pub created_at: DateTime<Utc>,
    /// None while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for InAppNotificationDto {
    fn from(n: Notification) -> Self {
        InAppNotificationDto {
            id: n.id,
            kind: n.kind.as_str().into(),
            headline: n.kind.headline().into(),
            detail: n.detail,
            ticket_id: n.ticket_id,
            ticket_subject: n.ticket_subject,
            actor: n.actor_id.map(|id| PersonRef { id, name: n.actor_name.unwrap_or_default(), email: None }),
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InAppNotificationList {
    pub data: Vec<InAppNotificationDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// `true`: only unread items.
    unread: Option<bool>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,18}$")]
    cursor: Option<String>,
    /// 1 to 100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// The caller's in-app notifications, newest first, with cursor pagination. Staff only.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "account", params(NotificationParams),
    responses((status = 200, body = InAppNotificationList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A query value with control characters")),
    security(("token" = [])))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(p): ApiQuery<NotificationParams>,
) -> Result<Json<InAppNotificationList>, ApiError> {
    let before_id = match p.cursor.as_deref() {
        // As documented: 1 to 18 digits, an id this API returned.
        Some(c) => {
            Some(c.parse::<i64>().ok().filter(|n| *n >= 0 && c.len() <= 18 && c.bytes().all(|b| b.is_ascii_digit())).ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "cursor is not one this API returned", Some("cursor".into()))
            })?)
        }
        None => None,
    };
    let limit = p.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "limit must be between 1 and 100", Some("limit".into())));
    }
    let page = s.app.my_notifications(&user.actor(), p.unread.unwrap_or(false), before_id, limit).await?;
    let next_cursor = if page.has_more { page.items.last().map(|n| n.id.to_string()) } else { None };
    Ok(Json(InAppNotificationList { data: page.items.into_iter().map(InAppNotificationDto::from).collect(), next_cursor }))
}

/// Mark one of the caller's notifications read (again is fine; the first time is kept).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "account", params(("id" = i64, Path, description = "Notification id")),
    responses((status = 200, body = InAppNotificationDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such notification of the caller's")),
    security(("token" = [])))]
pub async fn read(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InAppNotificationDto>, ApiError> {
    Ok(Json(s.app.read_notification(&user.actor(), id).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAllDto {
    /// How many were unread.
    pub marked: u64,
}

/// Mark all the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "account",
    responses((status = 200, body = ReadAllDto), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn read_all(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<ReadAllDto>, ApiError> {
    Ok(Json(ReadAllDto { marked: s.app.read_all_notifications(&user.actor()).await? }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPreferenceDto {
    /// ticket_assigned, ticket_escalated, help_requested, sla_warning or rule_notice
    pub kind: String,
    pub label: String,
    /// Shown in the bell.
    pub in_app: bool,
    /// Mailed to the caller.
    pub email: bool,
    /// False when admins switched this mail off for everyone (then no mail goes, whatever `email` says).
    pub email_on_for_everyone: bool,
}

impl From<PreferenceView> for NotificationPreferenceDto {
    fn from(p: PreferenceView) -> Self {
        NotificationPreferenceDto {
            kind: p.kind.as_str().into(),
            label: p.kind.personal_label().into(),
            in_app: p.in_app,
            email: p.email,
            email_on_for_everyone: p.mail_on_for_everyone,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferenceInput {
    pub kind: String,
    pub in_app: bool,
    pub email: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferencesRequest {
    /// The kinds to change; kinds left out keep their switches.
    pub settings: Vec<NotificationPreferenceInput>,
}

/// The caller's own switches: each staff notification kind, in the bell and by mail. Staff only.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "account",
    responses((status = 200, body = Vec<NotificationPreferenceDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn preferences(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<NotificationPreferenceDto>>, ApiError> {
    Ok(Json(s.app.notification_preferences(&user.actor()).await?.into_iter().map(Into::into).collect()))
}

/// Switch kinds on or off for the caller, in the bell and by mail apart; answers every switch after.
#[utoipa::path(put, path = "/api/v1/me/notification-settings", tag = "account", request_body = NotificationPreferencesRequest,
    responses((status = 200, body = Vec<NotificationPreferenceDto>), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A kind that is not a staff notification, or one listed twice (`settings[i].kind`)")),
    security(("token" = [])))]
pub async fn set_preferences(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<NotificationPreferencesRequest>,
) -> Result<Json<Vec<NotificationPreferenceDto>>, ApiError> {
    let changes: Vec<(String, bool, bool)> = r.settings.into_iter().map(|p| (p.kind, p.in_app, p.email)).collect();
    Ok(Json(s.app.set_notification_preferences(&user.actor(), &changes).await?.into_iter().map(Into::into).collect()))
}
