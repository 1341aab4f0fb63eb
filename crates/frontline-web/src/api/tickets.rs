//! /api/v1/tickets, /api/v1/queues, /api/v1/search

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use base64::Engine;
use chrono::{DateTime, Utc};
use frontline_app::tickets::{NewAttachment, NewTicketInput, ReplyInput, TicketPatch, TicketView};
use frontline_domain::DomainError;
use frontline_domain::authz::Actor;
use frontline_domain::queue::{QueueView, Sort};
use frontline_domain::ticket::{Channel, MessageKind, Priority, Status, TicketType};
use frontline_store::tickets::{DueCursor, ListOrder, TicketFilter};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::idempotency::Idempotency;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated statuses, e.g. `new,open`.
    status: Option<String>,
    priority: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    ticket_type: Option<String>,
    assignee_id: Option<i64>,
    /// `true`: only tickets without an assignee.
    unassigned: Option<bool>,
    team_id: Option<i64>,
    tier: Option<i64>,
    requester_id: Option<i64>,
    organization_id: Option<i64>,
    tag: Option<String>,
    /// RFC 3339 time; only tickets updated since.
    updated_since: Option<DateTime<Utc>>,
    /// `due`: tickets with an SLA due time first, the soonest (most
    /// overdue) first, then the rest newest first. Absent or empty: newest
    /// first. Customers always get newest first.
    #[param(pattern = "^(due)?$")]
    sort: Option<String>,
    /// `next_cursor` of the previous page (of the same `sort`).
    #[param(pattern = "^([0-9]{1,18}|due_-?[0-9]{1,19}_[0-9]{1,18}|nodue_[0-9]{1,18})$")]
    cursor: Option<String>,
    /// 1 to 100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

fn bad_cursor() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "cursor is not one this API returned", Some("cursor".into()))
}

/// A "due soonest" cursor: `due_<nanoseconds since 1970>_<id>` inside the
/// part with due times, `nodue_<id>` after it. A plain id (a newest-first
/// cursor) reads as the part without due times after that id.
fn parse_due_cursor(c: &str) -> Result<DueCursor, ApiError> {
    if let Some(id) = c.strip_prefix("nodue_") {
        return Ok(DueCursor { due_at: None, id: id.parse().map_err(|_| bad_cursor())? });
    }
    if let Ok(id) = c.parse::<i64>() {
        return Ok(DueCursor { due_at: None, id });
    }
    let (nanos, id) = c.strip_prefix("due_").and_then(|r| r.rsplit_once('_')).ok_or_else(bad_cursor)?;
    let nanos: i64 = nanos.parse().map_err(|_| bad_cursor())?;
    Ok(DueCursor { due_at: Some(DateTime::<Utc>::from_timestamp_nanos(nanos)), id: id.parse().map_err(|_| bad_cursor())? })
}

fn due_cursor_of(due_at: Option<DateTime<Utc>>, id: i64) -> String {
    match due_at.and_then(|d| d.timestamp_nanos_opt()) {
        Some(nanos) => format!("due_{nanos}_{id}"),
        None => format!("nodue_{id}"),
    }
}

fn parse_opt<T>(v: Option<&str>, parse: fn(&str) -> Result<T, frontline_domain::DomainError>) -> Result<Option<T>, ApiError> {
    Ok(v.map(str::trim).filter(|s| !s.is_empty()).map(parse).transpose()?)
}

/// List tickets, newest first (or due soonest with `sort=due`), with filters and cursor pagination. Customers get only the tickets they may see.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListParams),
    responses((status = 200, body = TicketList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<TicketList>, ApiError> {
    let actor = user.actor();
    let statuses = match p.status.as_deref() {
        Some(list) => list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Status::parse).collect::<Result<Vec<_>, _>>()?,
        None => vec![],
    };
    let order = match p.sort.as_deref().map(str::trim) {
        None | Some("") => ListOrder::Newest,
        Some("due") => ListOrder::DueSoonest,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("unknown sort '{other}'; use due, or leave it out for newest first"),
                Some("sort".into()),
            ));
        }
    };
    let (before_id, due_cursor) = match (p.cursor.as_deref(), order) {
        (None, _) => (None, None),
        // A due cursor's id is a position in the newest-first order too.
        (Some(c), ListOrder::Newest) => (Some(c.parse::<i64>().or_else(|_| parse_due_cursor(c).map(|d| d.id))?), None),
        (Some(c), ListOrder::DueSoonest) => (None, Some(parse_due_cursor(c)?)),
    };
    let limit = p.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "limit must be between 1 and 100", Some("limit".into())));
    }
    let filter = TicketFilter {
        statuses,
        priority: parse_opt(p.priority.as_deref(), Priority::parse)?,
        ticket_type: parse_opt(p.ticket_type.as_deref(), TicketType::parse)?,
        assignee_id: p.assignee_id,
        unassigned: p.unassigned.unwrap_or(false),
        team_id: p.team_id,
        tier: p.tier,
        requester_id: p.requester_id,
        organization_id: p.organization_id,
        tag: p.tag.map(|t| t.trim().to_lowercase()),
        updated_since: p.updated_since,
        before_id,
        order,
        due_cursor,
        limit,
        ..Default::default()
    };
    let page = s.app.list_tickets(&actor, filter).await?;
    let next_cursor = match page.items.last() {
        Some(t) if page.has_more => Some(match order {
            ListOrder::Newest => t.id.to_string(),
            // A customer's rows carry no due time: their cursor is the id's.
            ListOrder::DueSoonest => due_cursor_of(t.internal.as_ref().and_then(|i| i.sla_due_at), t.id),
        }),
        _ => None,
    };
    Ok(Json(TicketList { data: page.items.into_iter().map(TicketDto::from).collect(), next_cursor }))
}

/// Create a ticket. Agents name the customer by requester_id or requester_email; customers open tickets for themselves.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = CreateTicketRequest,
    responses((status = 201, body = TicketDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    key: Option<Extension<Idempotency>>,
    ApiJson(r): ApiJson<CreateTicketRequest>,
) -> Result<(StatusCode, Json<TicketDto>), ApiError> {
    let actor = user.actor();
    if let Some(id) = Idempotency::committed(&key) {
        let t = s.app.ticket(&actor, id).await?;
        return Ok((StatusCode::CREATED, Json(one_ticket(&s, &actor, t).await?)));
    }
    let input = NewTicketInput {
        subject: r.subject,
        body: r.body,
        requester_id: r.requester_id,
        requester_email: r.requester_email,
        requester_name: r.requester_name,
        priority: r.priority,
        ticket_type: r.ticket_type,
        assignee_id: r.assignee_id,
        team_id: r.team_id,
        tier: r.tier,
        tags: r.tags,
        attachments: decode_uploads(r.attachments)?,
    };
    let t = s.app.create_ticket_keyed(&actor, &input, Channel::Api, Idempotency::mark(&key)).await?;
    Ok((StatusCode::CREATED, Json(one_ticket(&s, &actor, t).await?)))
}

/// A ticket answered on its own: with its SLA computed now, for the
/// readers whose view has the agent-only fields (the use case decides too).
pub(crate) async fn one_ticket(s: &AppState, actor: &Actor, t: TicketView) -> Result<TicketDto, ApiError> {
    let sla = if t.internal.is_some() { s.app.ticket_sla(actor, t.id).await? } else { None };
    Ok(TicketDto::with_sla(t, sla.as_ref()))
}

/// Read one ticket; agents also get its `sla` object, computed now.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    responses((status = 200, body = TicketDto), (status = 404, body = ErrorBody)), security(("token" = [])))]
pub async fn get_one(State(s): State<AppState>, ApiUser(user): ApiUser, ApiPath(id): ApiPath<i64>) -> Result<Json<TicketDto>, ApiError> {
    let actor = user.actor();
    let t = s.app.ticket(&actor, id).await?;
    Ok(Json(one_ticket(&s, &actor, t).await?))
}

/// Change a ticket's fields; absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    request_body = UpdateTicketRequest,
    responses((status = 200, body = TicketDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    key: Option<Extension<Idempotency>>,
    ApiJson(r): ApiJson<UpdateTicketRequest>,
) -> Result<Json<TicketDto>, ApiError> {
    let actor = user.actor();
    if let Some(id) = Idempotency::committed(&key) {
        let t = s.app.ticket(&actor, id).await?;
        return Ok(Json(one_ticket(&s, &actor, t).await?));
    }
    let patch = TicketPatch {
        subject: r.subject,
        status: r.status,
        priority: r.priority,
        ticket_type: r.ticket_type,
        assignee_id: r.assignee_id,
        team_id: r.team_id,
        tier: r.tier,
        escalation_level: r.escalation_level,
        tags: r.tags,
        expected_version: r.expected_updated_at,
    };
    let t = s.app.update_ticket_keyed(&actor, id, &patch, Idempotency::mark(&key)).await?;
    Ok(Json(one_ticket(&s, &actor, t).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageParams {
    /// Only messages after this one (the last id of the previous page).
    #[param(minimum = 0)]
    after_id: Option<i64>,
    /// 1 to 1000, default 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The conversation of a ticket, oldest first: at most `limit` messages
/// after `after_id`. A page as long as `limit` may have more: ask again
/// with its last id.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/messages", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket number"), MessageParams),
    responses((status = 200, body = Vec<MessageDto>, description = "Oldest first; customers never get internal notes"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn list_messages(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<MessageParams>,
) -> Result<Json<Vec<MessageDto>>, ApiError> {
    let limit = p.limit.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "limit must be between 1 and 1000", Some("limit".into())));
    }
    if p.after_id.is_some_and(|a| a < 0) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "after_id must be a message id", Some("after_id".into())));
    }
    Ok(Json(s.app.messages(&user.actor(), id, p.after_id, limit).await?.into_iter().map(MessageDto::from).collect()))
}

/// Post a public reply or an internal note, optionally setting the status.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    request_body = CreateMessageRequest,
    responses((status = 201, body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_message(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    key: Option<Extension<Idempotency>>,
    ApiJson(r): ApiJson<CreateMessageRequest>,
) -> Result<(StatusCode, Json<MessageDto>), ApiError> {
    if let Some(message_id) = Idempotency::committed(&key) {
        return Ok((StatusCode::CREATED, Json(s.app.message(&user.actor(), message_id).await?.into())));
    }
    let kind = match r.kind.as_deref() {
        None => MessageKind::Public,
        Some(k) => MessageKind::parse(k.trim())?,
    };
    let input = ReplyInput { kind, body: r.body, status: r.status, channel: Channel::Api, attachments: decode_uploads(r.attachments)? };
    let m = s.app.reply_keyed(&user.actor(), id, &input, Idempotency::mark(&key)).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// Accept a mail held from an unverified sender (someone outside the ticket
/// who answered its thread): it becomes a normal customer message, its
/// sender follows the ticket, and the acceptance is audited.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages/{message_id}/accept", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket number"), ("message_id" = i64, Path, description = "The held message")),
    responses((status = 200, body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "No such ticket, or no held message with this id on it")),
    security(("token" = [])))]
pub async fn accept_mail(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, message_id)): ApiPath<(i64, i64)>,
) -> Result<Json<MessageDto>, ApiError> {
    Ok(Json(s.app.accept_mail(&user.actor(), id, message_id).await?.into()))
}

/// Files sent as base64 in JSON.
fn decode_uploads(files: Vec<UploadDto>) -> Result<Vec<NewAttachment>, DomainError> {
    files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let data = base64::engine::general_purpose::STANDARD
                .decode(f.content_base64.trim())
                .map_err(|e| DomainError::invalid(format!("attachments[{i}].content_base64"), format!("not valid base64: {e}")))?;
            Ok(NewAttachment {
                filename: f.filename,
                content_type: f.content_type.unwrap_or_else(|| "application/octet-stream".into()),
                content_id: None,
                inline: false,
                data,
            })
        })
        .collect()
}

/// Download an attachment of a message the caller may read.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "tickets", params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, description = "The file's bytes; images are served inline, everything else as a download", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn download_attachment(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let (meta, data) = s.app.attachment(&user.actor(), id).await?;
    Ok(crate::download::attachment_response(&meta, data))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,18}$")]
    cursor: Option<String>,
    /// 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The history of a ticket, oldest first, with cursor pagination: who changed what, from what to what, when.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/events", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket number"), EventParams),
    responses((status = 200, body = EventList, description = "One page of recorded changes, oldest first"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn list_events(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<EventParams>,
) -> Result<Json<EventList>, ApiError> {
    let after_id = match p.cursor.as_deref() {
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "cursor is not one this API returned", Some("cursor".into()))
        })?),
        None => None,
    };
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "limit must be between 1 and 1000", Some("limit".into())));
    }
    let page = s.app.events(&user.actor(), id, after_id, limit).await?;
    let next_cursor = if page.has_more { page.items.last().map(|e| e.id.to_string()) } else { None };
    Ok(Json(EventList { data: page.items.into_iter().map(EventDto::from).collect(), next_cursor }))
}

/// Counts of the caller's queue views.
#[utoipa::path(get, path = "/api/v1/queues", tag = "queues",
    responses((status = 200, body = Vec<QueueCountDto>), (status = 403, body = ErrorBody)), security(("token" = [])))]
pub async fn queue_counts(State(s): State<AppState>, ApiUser(user): ApiUser) -> Result<Json<Vec<QueueCountDto>>, ApiError> {
    let counts = s.app.queue_counts(&user.actor()).await?;
    Ok(Json(
        counts.into_iter().map(|c| QueueCountDto { view: c.view.as_str().into(), label: c.view.label().into(), count: c.count }).collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// due (tickets with an SLA due time first, the soonest first, then the rest by the default order),
    /// or updated, created, priority or id with prefix '-' for descending. Default -updated.
    sort: Option<String>,
    /// From 1.
    page: Option<i64>,
}

/// One page of a queue view.
#[utoipa::path(get, path = "/api/v1/queues/{view}", tag = "queues",
    params(("view" = String, Path, description = "mine, tier, team, open, solved or engineering"), PageParams),
    responses((status = 200, body = PagedTickets), (status = 403, body = ErrorBody), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn queue(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(view): ApiPath<String>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<PagedTickets>, ApiError> {
    let actor = user.actor();
    let view = QueueView::parse(&view)?;
    let sort = p.sort.as_deref().map(Sort::parse).transpose()?.unwrap_or_default();
    let page = frontline_app::tickets::clamp_page(p.page.unwrap_or(1));
    let result = s.app.queue(&actor, view, sort, page).await?;
    Ok(Json(PagedTickets { has_more: result.has_more, page, data: result.items.into_iter().map(TicketDto::from).collect() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A ticket number, or words from the subject or messages.
    q: String,
    page: Option<i64>,
}

/// Search tickets by number or by words in subjects and messages.
#[utoipa::path(get, path = "/api/v1/search", tag = "tickets", params(SearchParams),
    responses((status = 200, body = PagedTickets), (status = 403, body = ErrorBody), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)), security(("token" = [])))]
pub async fn search(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<PagedTickets>, ApiError> {
    let actor = user.actor();
    let page = frontline_app::tickets::clamp_page(p.page.unwrap_or(1));
    let result = s.app.search(&actor, &p.q, page).await?;
    Ok(Json(PagedTickets { has_more: result.has_more, page, data: result.items.into_iter().map(TicketDto::from).collect() }))
}
