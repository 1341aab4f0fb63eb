//! The REST API under /api/v1. Routes are registered through
//! `utoipa_axum`, so the OpenAPI document is generated from the same
//! registrations that serve requests.

pub mod account;
pub mod directory;
pub mod docs;
pub mod dto;
pub mod escalation;
pub mod extract;
pub mod help;
pub mod mail;
pub mod notifications;
pub mod rules;
pub mod sla;
pub mod ticket_sla;
pub mod tickets;
pub mod vocab;
pub mod workload;

use std::sync::Arc;

use axum::{Extension, Json};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Frontline API", version = "1", description = "Tickets, messages, users, organizations and teams of a Frontline support desk. \
        Authenticate with an API token: `Authorization: Bearer fl_...` (create one under Settings → API tokens, or `frontline token create`). \
        Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`. Lists of tickets and of a ticket's events use cursor pagination: pass `next_cursor` back as `cursor`. \
        POST and PATCH accept an `Idempotency-Key` header so that a retry after a lost answer never writes twice."),
    modifiers(&BearerAuth),
    tags(
        (name = "tickets", description = "Tickets, their conversation and history"),
        (name = "queues", description = "Agent queue views"),
        (name = "directory", description = "Users, organizations, teams and positions"),
        (name = "account", description = "The caller, their password, sessions, API tokens, notifications and notification switches"),
        (name = "mail", description = "Notification mail settings and the quarantine of unreadable mail"),
        (name = "sla", description = "SLA configuration: business-hours calendars, support plans and SLA policies"),
        (name = "rules", description = "Automatic rules the scheduler runs on breach, near breach or time in a status"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// `upload_limit`: the body size allowed on routes that accept files.
pub fn router(upload_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(with_upload_limit(routes!(tickets::list, tickets::create), upload_limit))
        .routes(routes!(tickets::get_one, tickets::update))
        .routes(with_upload_limit(routes!(tickets::list_messages, tickets::create_message), upload_limit))
        .routes(routes!(tickets::accept_mail))
        .routes(routes!(tickets::download_attachment))
        .routes(routes!(tickets::list_events))
        .routes(routes!(escalation::list, escalation::escalate))
        .routes(routes!(escalation::de_escalate))
        .routes(routes!(escalation::needs_senior))
        .routes(routes!(help::ask))
        .routes(routes!(help::mine))
        .routes(routes!(help::answer))
        .routes(routes!(help::withdraw))
        .routes(routes!(rules::list, rules::create))
        .routes(routes!(rules::get_one, rules::replace, rules::delete))
        .routes(routes!(tickets::queue_counts))
        .routes(routes!(tickets::queue))
        .routes(routes!(tickets::search))
        .routes(routes!(workload::get))
        .routes(routes!(directory::list_users, directory::create_user))
        .routes(routes!(directory::get_user, directory::update_user))
        .routes(routes!(directory::list_orgs, directory::create_org))
        .routes(routes!(directory::get_org, directory::update_org))
        .routes(routes!(directory::list_teams, directory::create_team))
        .routes(routes!(directory::get_team, directory::update_team))
        .routes(routes!(directory::list_positions, directory::create_position))
        .routes(routes!(directory::update_position))
        .routes(routes!(directory::me))
        .routes(routes!(directory::set_my_availability))
        .routes(routes!(directory::set_user_availability))
        .routes(routes!(account::change_password))
        .routes(routes!(account::list_sessions, account::end_other_sessions))
        .routes(routes!(account::end_session))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::read))
        .routes(routes!(notifications::read_all))
        .routes(routes!(notifications::preferences, notifications::set_preferences))
        .routes(routes!(directory::list_tokens, directory::create_token))
        .routes(routes!(directory::revoke_token))
        .routes(routes!(directory::audit_log))
        .routes(routes!(mail::list_notifications))
        .routes(routes!(mail::set_notification))
        .routes(routes!(mail::list_quarantine))
        .routes(routes!(mail::quarantined_raw))
        .routes(routes!(mail::retry_quarantined))
        .routes(routes!(mail::delete_quarantined))
        .routes(routes!(mail::list_templates))
        .routes(routes!(mail::set_template, mail::reset_template))
        .routes(routes!(sla::list_calendars, sla::create_calendar))
        .routes(routes!(sla::get_calendar, sla::update_calendar, sla::delete_calendar))
        .routes(routes!(sla::list_plans, sla::create_plan))
        .routes(routes!(sla::get_plan, sla::update_plan, sla::delete_plan))
        .routes(routes!(sla::list_policies, sla::create_policy))
        .routes(routes!(sla::order_policies))
        .routes(routes!(sla::get_policy, sla::update_policy, sla::delete_policy))
}

/// Routes that accept files take larger bodies than the rest.
fn with_upload_limit(r: UtoipaMethodRouter<AppState>, limit: usize) -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method_router) = r;
    (schemas, paths, method_router.layer(axum::extract::DefaultBodyLimit::max(limit)))
}

pub async fn openapi_json(Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> Json<utoipa::openapi::OpenApi> {
    Json((*doc).clone())
}

/// Which operations of the API a document-wide addition applies to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operations {
    All,
    /// POST and PATCH: the writes that take an Idempotency-Key.
    Writes,
}

/// Call `f` on each operation under `/api/v1/` that `which` selects, for
/// answers every such operation shares (429, Idempotency-Key).
pub(crate) fn for_each_operation(
    openapi: &mut utoipa::openapi::OpenApi,
    which: Operations,
    mut f: impl FnMut(&mut utoipa::openapi::path::Operation),
) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let ops = match which {
            Operations::Writes => vec![&mut item.post, &mut item.patch],
            Operations::All => {
                vec![&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head, &mut item.options]
            }
        };
        for op in ops.into_iter().flatten() {
            f(op);
        }
    }
}

/// Documents the error answers that come from the request's shape rather
/// than from a handler, so no operation can forget them: 400 (a path or
/// query value of the wrong type), 401 (no or a bad token), 415 and 422 on
/// operations that take a body, 409 where a write can meet another.
pub(crate) struct OpenApiSharedAnswers;

impl utoipa::Modify for OpenApiSharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let answer = |what: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(what)
                    .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                    .build(),
            )
        };
        for_each_operation(openapi, Operations::All, |op| {
            let mut add = |code: &str, what: &str| {
                op.responses.responses.entry(code.to_string()).or_insert_with(|| answer(what));
            };
            add("400", "A path or query parameter of the wrong type or value (`invalid_query`, `invalid_path`)");
            add("401", "No API token (`unauthenticated`), or one that is unknown, revoked or expired (`invalid_token`)");
            if op.request_body.is_some() {
                add("415", "The body was not sent as `Content-Type: application/json` (`unsupported_media_type`)");
                add("422", "Invalid input (`invalid_field`, naming the field)");
            }
        });
        for_each_operation(openapi, Operations::Writes, |op| {
            op.responses.responses.entry("409".to_string()).or_insert_with(|| answer("The change conflicts with another (`conflict`)"));
        });
    }
}
