//! /api/v1/sla: business-hours calendars, support plans and SLA policies.
//!
//! Calendars and policies are replaced whole (PUT): the domain checks them
//! as a whole. Bodies are read straight into the domain's types, so a bad
//! value is a 422 naming its path (`hours.wed`, `holidays[1]`,
//! `conditions[2].value`, `targets.high.first_reply`); the schemas below
//! describe those same shapes for the OpenAPI document.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use frontline_app::sla_config::{CalendarInput, PolicyFields};
use frontline_domain::escalation::EscalationStep;
use frontline_domain::sla::{CalendarSpec, Condition, PriorityTargets, SlaPolicy, WeeklyHoursSpec};
use frontline_domain::ticket::Priority;
use frontline_store::sla::{CalendarRecord, Entry, PolicyRecord, SupportPlan};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};

// ---- schemas of the domain's JSON shapes (documentation only) ----

/// An opening interval of a day, local time in the calendar's zone.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct IntervalSchema {
    /// HH:MM, from 00:00
    #[schema(pattern = "^[0-2][0-9]:[0-5][0-9]$", example = "09:00")]
    start: String,
    /// HH:MM, up to 24:00; after `start` (an interval cannot cross midnight: split it)
    #[schema(pattern = "^[0-2][0-9]:[0-5][0-9]$", example = "17:30")]
    end: String,
}

/// Opening intervals per weekday (at most 8 a day, none overlapping); a missing day is closed.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WeeklyHoursSchema {
    mon: Option<Vec<IntervalSchema>>,
    tue: Option<Vec<IntervalSchema>>,
    wed: Option<Vec<IntervalSchema>>,
    thu: Option<Vec<IntervalSchema>>,
    fri: Option<Vec<IntervalSchema>>,
    sat: Option<Vec<IntervalSchema>>,
    sun: Option<Vec<IntervalSchema>>,
}

/// What a policy condition looks at.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ConditionField {
    Organization,
    SupportPlan,
    Priority,
    Channel,
    Tag,
}

/// One condition; a policy applies to a ticket when all of its conditions hold.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ConditionSchema {
    field: ConditionField,
    /// An organization or support plan id (it must exist), a priority
    /// (low, normal, high, urgent), a channel (web, portal, api, email) or a tag.
    #[schema(value_type = Object)]
    value: serde_json::Value,
}

/// How a target's minutes are counted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum HoursSchema {
    Business,
    Calendar,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TargetSchema {
    #[schema(minimum = 1, maximum = 527040)]
    minutes: i64,
    /// business (default: only the calendar's hours count) or calendar (every minute).
    hours: Option<HoursSchema>,
}

/// The targets for one priority; a missing one is not measured.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PriorityTargetsSchema {
    first_reply: Option<TargetSchema>,
    next_reply: Option<TargetSchema>,
    resolution: Option<TargetSchema>,
}

// ---- calendars ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarRequest {
    pub name: String,
    /// An IANA zone, e.g. Europe/Berlin.
    pub time_zone: String,
    #[schema(value_type = WeeklyHoursSchema)]
    pub hours: WeeklyHoursSpec,
    /// Local dates without business hours (at most 1000).
    #[serde(default)]
    #[schema(value_type = Vec<NaiveDate>)]
    pub holidays: Vec<HolidayDate>,
    /// The version this edit was made from; a stale one is a 409. Omit to apply to the calendar as it is.
    pub version: Option<i64>,
}

/// A holiday as sent: read with the same message as the calendar form's
/// ("'2026-02-30' is not a date; write dates as 2026-12-25"), at its index.
#[derive(Debug)]
pub struct HolidayDate(NaiveDate);

impl<'de> Deserialize<'de> for HolidayDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        frontline_domain::sla::parse_holiday(&raw).map(HolidayDate).map_err(|e| match e {
            frontline_domain::DomainError::Invalid(f) => serde::de::Error::custom(f.message),
            other => serde::de::Error::custom(other),
        })
    }
}

impl CalendarRequest {
    fn input(self) -> CalendarInput {
        CalendarInput {
            name: self.name,
            spec: CalendarSpec { time_zone: self.time_zone, hours: self.hours, holidays: self.holidays.into_iter().map(|h| h.0).collect() },
            version: self.version,
        }
    }
}

/// A calendar. A stored calendar that no longer passes the checks is listed
/// with `problem` set and no hours: it is not used until replaced or deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDto {
    pub id: i64,
    pub name: String,
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<WeeklyHoursSchema>)]
    pub hours: Option<WeeklyHoursSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holidays: Option<Vec<NaiveDate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Why a broken calendar cannot be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl From<CalendarRecord> for CalendarDto {
    fn from(c: CalendarRecord) -> Self {
        let spec = c.calendar.spec();
        CalendarDto {
            id: c.id,
            name: c.name,
            version: c.version,
            time_zone: Some(spec.time_zone),
            hours: Some(spec.hours),
            holidays: Some(spec.holidays),
            updated_at: Some(c.updated_at),
            problem: None,
        }
    }
}

impl From<Entry<CalendarRecord>> for CalendarDto {
    fn from(e: Entry<CalendarRecord>) -> Self {
        match e {
            Ok(c) => c.into(),
            Err(b) => CalendarDto {
                id: b.id,
                name: b.name,
                version: b.version,
                time_zone: None,
                hours: None,
                holidays: None,
                updated_at: None,
                problem: Some(b.problem),
            },
        }
    }
}

/// Business-hours calendars, by name.
#[utoipa::path(get, path = "/api/v1/sla/calendars", tag = "sla",
    responses((status = 200, body = Vec<CalendarDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list_calendars(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<CalendarDto>>, ApiError> {
    Ok(Json(s.app.sla_calendars(&user.actor()).await?.into_iter().map(CalendarDto::from).collect()))
}

/// Add a calendar.
#[utoipa::path(post, path = "/api/v1/sla/calendars", tag = "sla", request_body = CalendarRequest,
    responses((status = 201, body = CalendarDto), (status = 403, body = ErrorBody), (status = 409, description = "Another calendar has this name", body = ErrorBody),
        (status = 422, description = "A field is wrong (`time_zone`, `hours.<day>`, `holidays`, `name`)", body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_calendar(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<CalendarRequest>,
) -> Result<(StatusCode, Json<CalendarDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_sla_calendar(&user.actor(), &r.input()).await?.into())))
}

/// Read a calendar.
#[utoipa::path(get, path = "/api/v1/sla/calendars/{id}", tag = "sla", params(("id" = i64, Path)),
    responses((status = 200, body = CalendarDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn get_calendar(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CalendarDto>, ApiError> {
    Ok(Json(s.app.sla_calendar(&user.actor(), id).await?.into()))
}

/// Replace a calendar (a broken one too). The open tickets' SLAs are recomputed.
#[utoipa::path(put, path = "/api/v1/sla/calendars/{id}", tag = "sla", params(("id" = i64, Path)), request_body = CalendarRequest,
    responses((status = 200, body = CalendarDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Changed since `version`, or another calendar has this name", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn update_calendar(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<CalendarRequest>,
) -> Result<Json<CalendarDto>, ApiError> {
    Ok(Json(s.app.update_sla_calendar(&user.actor(), id, &r.input()).await?.into()))
}

/// Delete a calendar that no policy uses.
#[utoipa::path(delete, path = "/api/v1/sla/calendars/{id}", tag = "sla", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Policies use it", body = ErrorBody)), security(("token" = [])))]
pub async fn delete_calendar(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, ApiError> {
    s.app.delete_sla_calendar(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- support plans ----

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportPlanDto {
    pub id: i64,
    pub name: String,
    /// Plans are listed by position.
    pub position: i64,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<SupportPlan> for SupportPlanDto {
    fn from(p: SupportPlan) -> Self {
        SupportPlanDto { id: p.id, name: p.name, position: p.position, version: p.version, updated_at: p.updated_at }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportPlanRequest {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSupportPlanRequest {
    pub name: Option<String>,
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i64>,
    /// The version this edit was made from; a stale one is a 409.
    pub version: Option<i64>,
}

/// Support plans, in order.
#[utoipa::path(get, path = "/api/v1/sla/support-plans", tag = "sla",
    responses((status = 200, body = Vec<SupportPlanDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list_plans(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<SupportPlanDto>>, ApiError> {
    Ok(Json(s.app.support_plans(&user.actor()).await?.into_iter().map(SupportPlanDto::from).collect()))
}

/// Add a support plan (it goes last).
#[utoipa::path(post, path = "/api/v1/sla/support-plans", tag = "sla", request_body = SupportPlanRequest,
    responses((status = 201, body = SupportPlanDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_plan(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<SupportPlanRequest>,
) -> Result<(StatusCode, Json<SupportPlanDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_support_plan(&user.actor(), &r.name).await?.into())))
}

/// Read a support plan.
#[utoipa::path(get, path = "/api/v1/sla/support-plans/{id}", tag = "sla", params(("id" = i64, Path)),
    responses((status = 200, body = SupportPlanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn get_plan(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SupportPlanDto>, ApiError> {
    Ok(Json(s.app.support_plan(&user.actor(), id).await?.into()))
}

/// Rename or move a support plan.
#[utoipa::path(patch, path = "/api/v1/sla/support-plans/{id}", tag = "sla", params(("id" = i64, Path)), request_body = UpdateSupportPlanRequest,
    responses((status = 200, body = SupportPlanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn update_plan(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<UpdateSupportPlanRequest>,
) -> Result<Json<SupportPlanDto>, ApiError> {
    Ok(Json(s.app.update_support_plan(&user.actor(), id, r.name.as_deref(), r.position, r.version).await?.into()))
}

/// Delete a support plan that no organization has and no policy names.
#[utoipa::path(delete, path = "/api/v1/sla/support-plans/{id}", tag = "sla", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Organizations have it or policies name it", body = ErrorBody)), security(("token" = [])))]
pub async fn delete_plan(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, ApiError> {
    s.app.delete_support_plan(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- policies ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    pub name: String,
    pub calendar_id: i64,
    /// All must hold; none makes a catch-all (put it last).
    #[serde(default)]
    #[schema(value_type = Vec<ConditionSchema>)]
    pub conditions: Vec<Condition>,
    /// Per priority (low, normal, high, urgent).
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, PriorityTargetsSchema>)]
    pub targets: BTreeMap<String, PriorityTargets>,
    /// Each escalation step's share of the resolution target in percent
    /// (tier_1, tier_2, head_of_support, engineering; together at most 100).
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, u8>)]
    pub step_shares: BTreeMap<String, i64>,
    /// The version this edit was made from; a stale one is a 409.
    pub version: Option<i64>,
}

impl PolicyRequest {
    /// The policy as the domain reads it. The maps' keys are read as text
    /// first, so an error names its key (`targets.normal.first_reply`,
    /// `step_shares.tier_9`) where an enum key would read as `?`.
    fn fields(self) -> Result<PolicyFields, ApiError> {
        let mut targets = BTreeMap::new();
        for (key, t) in self.targets {
            let priority = Priority::parse(&key)
                .map_err(|_| ApiError::invalid(&format!("targets.{key}"), "not a priority; use low, normal, high or urgent"))?;
            targets.insert(priority, t);
        }
        let mut step_shares = BTreeMap::new();
        for (key, share) in self.step_shares {
            let field = format!("step_shares.{key}");
            let step = EscalationStep::parse("step", &key)
                .map_err(|_| ApiError::invalid(&field, "not a step; use tier_1, tier_2, head_of_support or engineering"))?;
            let share = u8::try_from(share)
                .ok()
                .filter(|s| *s <= 100)
                .ok_or_else(|| ApiError::invalid(&field, "a share is a whole percent from 0 to 100"))?;
            step_shares.insert(step, share);
        }
        Ok(PolicyFields {
            name: self.name,
            calendar_id: self.calendar_id,
            policy: SlaPolicy { conditions: self.conditions, targets, step_shares },
            version: self.version,
        })
    }
}

/// A policy. A stored policy that no longer passes the checks is listed
/// with `problem` set: it is not used until replaced or deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    pub id: i64,
    pub name: String,
    pub version: i64,
    /// Policies are tried by position; the first whose conditions hold applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ConditionSchema>>)]
    pub conditions: Option<Vec<Condition>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, PriorityTargetsSchema>>)]
    pub targets: Option<BTreeMap<Priority, PriorityTargets>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, u8>>)]
    pub step_shares: Option<BTreeMap<EscalationStep, u8>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Why a broken policy cannot be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl From<PolicyRecord> for PolicyDto {
    fn from(p: PolicyRecord) -> Self {
        PolicyDto {
            id: p.id,
            name: p.name,
            version: p.version,
            position: Some(p.position),
            calendar_id: Some(p.calendar_id),
            conditions: Some(p.policy.conditions),
            targets: Some(p.policy.targets),
            step_shares: Some(p.policy.step_shares),
            updated_at: Some(p.updated_at),
            problem: None,
        }
    }
}

impl From<Entry<PolicyRecord>> for PolicyDto {
    fn from(e: Entry<PolicyRecord>) -> Self {
        match e {
            Ok(p) => p.into(),
            Err(b) => PolicyDto {
                id: b.id,
                name: b.name,
                version: b.version,
                position: None,
                calendar_id: None,
                conditions: None,
                targets: None,
                step_shares: None,
                updated_at: None,
                problem: Some(b.problem),
            },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyOrderRequest {
    /// Every policy's id once, in the new order.
    pub ids: Vec<i64>,
}

/// SLA policies in the order they are tried.
#[utoipa::path(get, path = "/api/v1/sla/policies", tag = "sla",
    responses((status = 200, body = Vec<PolicyDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list_policies(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<PolicyDto>>, ApiError> {
    Ok(Json(s.app.sla_policies(&user.actor()).await?.into_iter().map(PolicyDto::from).collect()))
}

/// Add a policy (it goes last). The open tickets' SLAs are recomputed.
#[utoipa::path(post, path = "/api/v1/sla/policies", tag = "sla", request_body = PolicyRequest,
    responses((status = 201, body = PolicyDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "A field is wrong (`calendar_id`, `conditions[i].value`, `targets.<priority>.<target>`, `step_shares`)", body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_policy(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<PolicyRequest>,
) -> Result<(StatusCode, Json<PolicyDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.create_sla_policy(&user.actor(), &r.fields()?).await?.into())))
}

/// Read a policy.
#[utoipa::path(get, path = "/api/v1/sla/policies/{id}", tag = "sla", params(("id" = i64, Path)),
    responses((status = 200, body = PolicyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn get_policy(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<Json<PolicyDto>, ApiError> {
    Ok(Json(s.app.sla_policy(&user.actor(), id).await?.into()))
}

/// Replace a policy (a broken one too); its place in the order stays. The open tickets' SLAs are recomputed.
#[utoipa::path(put, path = "/api/v1/sla/policies/{id}", tag = "sla", params(("id" = i64, Path)), request_body = PolicyRequest,
    responses((status = 200, body = PolicyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Changed since `version`, or another policy has this name", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn update_policy(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<PolicyRequest>,
) -> Result<Json<PolicyDto>, ApiError> {
    Ok(Json(s.app.update_sla_policy(&user.actor(), id, &r.fields()?).await?.into()))
}

/// Delete a policy. The open tickets' SLAs are recomputed.
#[utoipa::path(delete, path = "/api/v1/sla/policies/{id}", tag = "sla", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn delete_policy(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, ApiError> {
    s.app.delete_sla_policy(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put the policies in a new order. The open tickets' SLAs are recomputed.
#[utoipa::path(post, path = "/api/v1/sla/policies/order", tag = "sla", request_body = PolicyOrderRequest,
    responses((status = 200, body = Vec<PolicyDto>), (status = 403, body = ErrorBody),
        (status = 409, description = "A policy was added or deleted meanwhile (`ids`)", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn order_policies(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<PolicyOrderRequest>,
) -> Result<Json<Vec<PolicyDto>>, ApiError> {
    Ok(Json(s.app.order_sla_policies(&user.actor(), &r.ids).await?.into_iter().map(PolicyDto::from).collect()))
}
