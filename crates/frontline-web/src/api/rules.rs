//! /api/v1/rules: automatic rules (admins). A rule is sent and returned
//! flat, one member per input, so that a 422 names the member at fault.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use frontline_domain::rules::RuleDraft;
use frontline_store::rules::RuleRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    #[serde(default)]
    pub name: String,
    /// Off: kept, never run.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `breached`, `near_breach` or `time_in_status`.
    #[serde(default)]
    pub condition: String,
    /// Breached only: `first_reply`, `next_reply` or `resolution`; absent: any target.
    pub target: Option<String>,
    /// Time in status only: the status and how many minutes in it.
    pub status: Option<String>,
    pub minutes: Option<i64>,
    /// Filter: only tickets of this team.
    pub team_id: Option<i64>,
    /// Filter: only tickets of this priority.
    pub priority: Option<String>,
    /// `escalate` (one step up, the rule's name as the reason), `reassign`, `set_priority` or `notify`.
    #[serde(default)]
    pub action: String,
    /// Reassign: the new assignee (absent: unassigned).
    pub assignee_id: Option<i64>,
    /// Reassign: the new team (absent: unchanged).
    pub to_team_id: Option<i64>,
    /// Set priority: the priority.
    pub new_priority: Option<String>,
    /// Notify: users to mail.
    #[serde(default)]
    pub notify_user_ids: Vec<i64>,
    /// Notify: mail the people working this step (`tier_1`, `tier_2`, `head_of_support`, `engineering`).
    pub notify_step: Option<String>,
    /// On a change: the version read; a stale one is a 409. Absent: apply anyway.
    pub version: Option<i64>,
}

impl RuleRequest {
    fn draft(&self) -> RuleDraft {
        RuleDraft {
            name: self.name.clone(),
            enabled: self.enabled,
            condition: self.condition.clone(),
            target: self.target.clone(),
            status: self.status.clone(),
            minutes: self.minutes,
            team_id: self.team_id,
            priority: self.priority.clone(),
            action: self.action.clone(),
            assignee_id: self.assignee_id,
            to_team_id: self.to_team_id,
            new_priority: self.new_priority.clone(),
            notify_user_ids: self.notify_user_ids.clone(),
            notify_step: self.notify_step.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    /// Why the scheduler switched it off (a team or user it names is gone); saving it again clears this.
    pub disabled_reason: Option<String>,
    pub condition: String,
    pub target: Option<String>,
    pub status: Option<String>,
    pub minutes: Option<i64>,
    pub team_id: Option<i64>,
    pub priority: Option<String>,
    pub action: String,
    pub assignee_id: Option<i64>,
    pub to_team_id: Option<i64>,
    pub new_priority: Option<String>,
    pub notify_user_ids: Vec<i64>,
    pub notify_step: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<RuleRecord> for RuleDto {
    fn from(r: RuleRecord) -> Self {
        let d = RuleDraft::of(&r.spec);
        RuleDto {
            id: r.id,
            name: d.name,
            enabled: d.enabled,
            disabled_reason: r.disabled_reason,
            condition: d.condition,
            target: d.target,
            status: d.status,
            minutes: d.minutes,
            team_id: d.team_id,
            priority: d.priority,
            action: d.action,
            assignee_id: d.assignee_id,
            to_team_id: d.to_team_id,
            new_priority: d.new_priority,
            notify_user_ids: d.notify_user_ids,
            notify_step: d.notify_step,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// List automatic rules, by name. Admins.
#[utoipa::path(get, path = "/api/v1/rules", tag = "rules",
    responses((status = 200, body = Vec<RuleDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<RuleDto>>, ApiError> {
    Ok(Json(s.app.list_rules(&user.actor()).await?.into_iter().map(RuleDto::from).collect()))
}

/// Create an automatic rule. A team or user it names must exist (and be
/// active), and a member its condition or action does not use must be
/// absent (or empty): else 422 naming the member. Every problem is told at
/// once: the first in `field` and `message`, all of them in `errors` when
/// there are several.
#[utoipa::path(post, path = "/api/v1/rules", tag = "rules", request_body = RuleRequest,
    responses((status = 201, body = RuleDto), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Another rule has this name"),
        (status = 422, body = ErrorBody, description = "Members are wrong, name what does not exist, or are not used by the rule (each in `errors`)")),
    security(("token" = [])))]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<RuleRequest>,
) -> Result<(StatusCode, Json<RuleDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_rule(&user.actor(), &r.draft()).await?.into())))
}

/// Read an automatic rule.
#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = RuleDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn get_one(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<Json<RuleDto>, ApiError> {
    Ok(Json(s.app.get_rule(&user.actor(), id).await?.into()))
}

/// Replace an automatic rule (all members, as in create, checked as in
/// create). Saving clears a reason the scheduler disabled it for.
#[utoipa::path(put, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = i64, Path, description = "Rule id")), request_body = RuleRequest,
    responses((status = 200, body = RuleDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Changed since `version`, or another rule has this name"),
        (status = 422, body = ErrorBody, description = "Members are wrong, name what does not exist, or are not used by the rule (each in `errors`)")),
    security(("token" = [])))]
pub async fn replace(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<RuleRequest>,
) -> Result<Json<RuleDto>, ApiError> {
    Ok(Json(s.app.update_rule(&user.actor(), id, &r.draft(), r.version).await?.into()))
}

/// Delete an automatic rule (its firings go with it; the tickets' history keeps them).
#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = i64, Path, description = "Rule id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn delete(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, ApiError> {
    s.app.delete_rule(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
