//! /api/v1/users, organizations, teams, positions, me, tokens, audit

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use frontline_app::directory::{OrgFields, PositionInput, TeamFields, UserInput};
use frontline_store::users::UserFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};

const PER_PAGE: i64 = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserParams {
    /// `customers` or `staff`.
    #[param(pattern = "^(customers|staff)?$")]
    kind: Option<String>,
    organization_id: Option<i64>,
    team_id: Option<i64>,
    /// Part of a name or email.
    q: Option<String>,
    page: Option<i64>,
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "directory", params(UserParams),
    responses((status = 200, body = UserList), (status = 403, body = ErrorBody), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn list_users(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(p): ApiQuery<UserParams>,
) -> Result<Json<UserList>, ApiError> {
    let customers = match p.kind.as_deref() {
        None | Some("") => None,
        Some("customers") => Some(true),
        Some("staff") => Some(false),
        Some(_) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "kind must be customers or staff", Some("kind".into())));
        }
    };
    let page = frontline_app::tickets::clamp_page(p.page.unwrap_or(1));
    let filter = UserFilter {
        customers,
        organization_id: p.organization_id,
        team_id: p.team_id,
        query: p.q.filter(|q| !q.trim().is_empty()),
        offset: (page - 1) * PER_PAGE,
        limit: PER_PAGE,
    };
    let result = s.app.list_users(&user.actor(), &filter).await?;
    Ok(Json(UserList { data: result.items.into_iter().map(UserDto::from).collect(), page, has_more: result.has_more }))
}

/// Create a user (staff or customer).
#[utoipa::path(post, path = "/api/v1/users", tag = "directory", request_body = CreateUserRequest,
    responses((status = 201, body = UserDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_user(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    let input = UserInput {
        email: r.email,
        name: r.name,
        role: r.role,
        organization_id: r.organization_id,
        position_id: r.position_id,
        team_id: r.team_id,
        reports_to: r.reports_to,
        password: r.password,
        active: None,
    };
    // Someone added without a password is mailed an invitation to choose one.
    Ok((StatusCode::CREATED, Json(s.app.create_user_inviting(&user.actor(), &input).await?.0.into())))
}

/// Read a user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn get_user(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(s.app.user(&user.actor(), id).await?.into()))
}

/// Change a user's profile, role, position, team, manager or active flag.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "directory", params(("id" = i64, Path)), request_body = UpdateUserRequest,
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn update_user(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<UpdateUserRequest>,
) -> Result<Json<UserDto>, ApiError> {
    let actor = user.actor();
    let current = s.app.user(&actor, id).await?;
    let profile_changes = r.name.is_some()
        || r.role.is_some()
        || r.organization_id.is_some()
        || r.position_id.is_some()
        || r.team_id.is_some()
        || r.reports_to.is_some()
        || r.active.is_some()
        || r.password.is_some();
    let input = UserInput {
        email: current.email,
        name: r.name.unwrap_or(current.name),
        role: r.role.unwrap_or_else(|| current.role.as_str().to_string()),
        organization_id: r.organization_id.unwrap_or(current.organization_id),
        position_id: r.position_id.unwrap_or(current.position_id),
        team_id: r.team_id.unwrap_or(current.team_id),
        reports_to: r.reports_to.unwrap_or(current.reports_to),
        password: r.password,
        active: r.active,
    };
    // Availability is checked before anything is written, so a refused one changes nothing.
    if let Some(a) = &r.availability {
        s.app.check_availability(&actor, id, a).await?;
    }
    let mut updated = if profile_changes || r.availability.is_none() {
        s.app.update_user(&actor, id, &input).await?
    } else {
        s.app.user(&actor, id).await?
    };
    if let Some(a) = &r.availability {
        updated = s.app.set_availability(&actor, id, a).await?;
    }
    Ok(Json(updated.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgParams {
    q: Option<String>,
    page: Option<i64>,
}

/// List customer organizations.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "directory", params(OrgParams),
    responses((status = 200, body = OrgList), (status = 403, body = ErrorBody), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn list_orgs(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(p): ApiQuery<OrgParams>,
) -> Result<Json<OrgList>, ApiError> {
    let page = frontline_app::tickets::clamp_page(p.page.unwrap_or(1));
    let actor = user.actor();
    let result = s.app.list_orgs(&actor, p.q.as_deref(), (page - 1) * PER_PAGE, PER_PAGE).await?;
    Ok(Json(OrgList { data: result.items.into_iter().map(OrgDto::from).collect(), page, has_more: result.has_more }))
}

/// Create a customer organization with its email domains.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "directory", request_body = OrgRequest,
    responses((status = 201, body = OrgDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_org(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<OrgRequest>,
) -> Result<(StatusCode, Json<OrgDto>), ApiError> {
    let actor = user.actor();
    let input = OrgFields { name: r.name, domains: r.domains, notes: r.notes };
    Ok((StatusCode::CREATED, Json(OrgDto::from(s.app.create_org(&actor, &input).await?))))
}

/// Read an organization.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = OrgDto), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn get_org(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<Json<OrgDto>, ApiError> {
    let actor = user.actor();
    Ok(Json(OrgDto::from(s.app.org(&actor, id).await?)))
}

/// Change an organization.
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "directory", params(("id" = i64, Path)), request_body = UpdateOrgRequest,
    responses((status = 200, body = OrgDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn update_org(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<UpdateOrgRequest>,
) -> Result<Json<OrgDto>, ApiError> {
    let actor = user.actor();
    frontline_domain::authz::require(&actor, frontline_domain::authz::Permission::ManageOrganizations)?;
    let current = s.app.org(&actor, id).await?;
    let input = OrgFields {
        name: r.name.unwrap_or_else(|| current.name.clone()),
        domains: r.domains.unwrap_or_else(|| current.domain_list().into_iter().map(str::to_string).collect()),
        notes: r.notes.or(current.notes).unwrap_or_default(),
    };
    Ok(Json(OrgDto::from(s.app.update_org_and_plan(&actor, id, &input, r.support_plan_id).await?)))
}

/// List teams.
#[utoipa::path(get, path = "/api/v1/teams", tag = "directory",
    responses((status = 200, body = Vec<TeamDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list_teams(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<TeamDto>>, ApiError> {
    Ok(Json(s.app.list_teams(&user.actor()).await?.into_iter().map(TeamDto::from).collect()))
}

/// Create a team.
#[utoipa::path(post, path = "/api/v1/teams", tag = "directory", request_body = TeamRequest,
    responses((status = 201, body = TeamDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_team(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<TeamRequest>,
) -> Result<(StatusCode, Json<TeamDto>), ApiError> {
    let fields = TeamFields {
        name: r.name,
        description: r.description,
        assignment_mode: r.assignment_mode.unwrap_or_else(|| TeamFields::default().assignment_mode),
        assignment_capacity: r.assignment_capacity,
    };
    Ok((StatusCode::CREATED, Json(s.app.create_team_with(&user.actor(), &fields).await?.into())))
}

/// Read a team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = TeamDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn get_team(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<Json<TeamDto>, ApiError> {
    Ok(Json(s.app.team(&user.actor(), id).await?.into()))
}

/// Change a team.
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "directory", params(("id" = i64, Path)), request_body = UpdateTeamRequest,
    responses((status = 200, body = TeamDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn update_team(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<UpdateTeamRequest>,
) -> Result<Json<TeamDto>, ApiError> {
    let actor = user.actor();
    frontline_domain::authz::require(&actor, frontline_domain::authz::Permission::ManageTeams)?;
    let current = s.app.team(&actor, id).await?;
    let fields = TeamFields {
        name: r.name.unwrap_or(current.name),
        description: r.description.unwrap_or(current.description),
        assignment_mode: r.assignment_mode.unwrap_or_else(|| current.assignment_mode.as_str().into()),
        assignment_capacity: r.assignment_capacity.unwrap_or(current.assignment_capacity),
    };
    Ok(Json(s.app.update_team_with(&actor, id, &fields).await?.into()))
}

/// The career ladder: positions, levels and their support tier.
#[utoipa::path(get, path = "/api/v1/positions", tag = "directory",
    responses((status = 200, body = Vec<PositionDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn list_positions(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<PositionDto>>, ApiError> {
    Ok(Json(s.app.list_positions(&user.actor()).await?.into_iter().map(PositionDto::from).collect()))
}

/// Add a position to the career ladder.
#[utoipa::path(post, path = "/api/v1/positions", tag = "directory", request_body = PositionRequest,
    responses((status = 201, body = PositionDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_position(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<PositionRequest>,
) -> Result<(StatusCode, Json<PositionDto>), ApiError> {
    let input = PositionInput { name: r.name, level: r.level, rank: r.rank, tier: r.tier };
    Ok((StatusCode::CREATED, Json(s.app.save_position(&user.actor(), None, &input).await?.into())))
}

/// Rename a position, or move it to another level or tier.
#[utoipa::path(patch, path = "/api/v1/positions/{id}", tag = "directory", params(("id" = i64, Path)), request_body = UpdatePositionRequest,
    responses((status = 200, body = PositionDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn update_position(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<UpdatePositionRequest>,
) -> Result<Json<PositionDto>, ApiError> {
    let actor = user.actor();
    frontline_domain::authz::require(&actor, frontline_domain::authz::Permission::ManagePositions)?;
    let current =
        s.app.list_positions(&actor).await?.into_iter().find(|p| p.id == id).ok_or(frontline_domain::DomainError::NotFound("position"))?;
    let input = PositionInput {
        name: r.name.unwrap_or(current.name),
        level: r.level.unwrap_or(current.level),
        rank: r.rank.unwrap_or(current.rank),
        tier: r.tier.unwrap_or(current.tier.get()),
    };
    Ok(Json(s.app.save_position(&actor, Some(id), &input).await?.into()))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)), security(("token" = [])))]
pub async fn me(ApiUser(user): ApiUser) -> Json<UserDto> {
    Json(user.into())
}

/// The caller's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account", responses((status = 200, body = Vec<TokenDto>)), security(("token" = [])))]
pub async fn list_tokens(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<TokenDto>>, ApiError> {
    Ok(Json(s.app.list_api_tokens(&user.actor()).await?.into_iter().map(TokenDto::from).collect()))
}

/// Create an API token for the caller; the secret is returned once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", request_body = TokenRequest,
    responses((status = 201, body = NewTokenDto), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn create_token(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<TokenRequest>,
) -> Result<(StatusCode, axum::Extension<crate::idempotency::NotStored>, Json<NewTokenDto>), ApiError> {
    let (id, token) = s.app.create_api_token(&user.actor(), &r.name).await?;
    // The secret is never kept in plain text, not even as a stored answer to replay.
    Ok((
        StatusCode::CREATED,
        axum::Extension(crate::idempotency::NotStored),
        Json(NewTokenDto { id, name: r.name.trim().to_string(), token }),
    ))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "account", params(("id" = i64, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn revoke_token(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, ApiError> {
    s.app.revoke_api_token(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    page: Option<i64>,
}

/// The audit log of administrative changes, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "directory", params(AuditParams),
    responses((status = 200, body = Vec<AuditDto>), (status = 403, body = ErrorBody), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn audit_log(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<Vec<AuditDto>>, ApiError> {
    Ok(Json(s.app.audit_log(&user.actor(), p.page.unwrap_or(1)).await?.items.into_iter().map(AuditDto::from).collect()))
}

/// Set your own availability: only `available` agents get tickets from
/// their team's automatic assignment (manual assignment still reaches anyone).
#[utoipa::path(put, path = "/api/v1/me/availability", tag = "account", request_body = AvailabilityRequest,
    responses((status = 200, body = UserDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn set_my_availability(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(r): ApiJson<AvailabilityRequest>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(s.app.set_availability(&user.actor(), user.id, &r.availability).await?.into()))
}

/// Set an agent's availability (managers, the Head of Support and admins).
#[utoipa::path(put, path = "/api/v1/users/{id}/availability", tag = "directory", params(("id" = i64, Path)),
    request_body = AvailabilityRequest,
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn set_user_availability(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<AvailabilityRequest>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(s.app.set_availability(&user.actor(), id, &r.availability).await?.into()))
}
