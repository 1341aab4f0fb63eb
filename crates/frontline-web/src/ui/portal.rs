//! The customer portal: a customer's own tickets (a platform admin sees
//! their whole organization's), new tickets and replies. Internal notes and
//! agent-only fields never reach these pages.

use askama::Template;
use askama_web::WebTemplate;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_app::tickets::{NewTicketInput, ReplyInput, TicketThread, TicketView};
use frontline_domain::DomainError;
use frontline_domain::authz::{self, Permission};
use frontline_domain::ticket::{Channel, MessageKind, Priority, Status, TicketType};
use frontline_store::tickets::TicketFilter;
use frontline_store::{Page, User};
use serde::Deserialize;

use super::form::Query;
use super::upload::PostedForm;
use super::{FormErrors, error_response, invalid};
use crate::AppState;
use crate::auth::PageUser;

/// Staff have no portal; send them to the agent app.
fn customer(user: User) -> Result<User, Response> {
    if authz::can(&user.actor(), Permission::UsePortal) { Ok(user) } else { Err(Redirect::to("/tickets").into_response()) }
}

macro_rules! tryr {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

/// Statuses as customers read them.
pub fn customer_status(s: &Status) -> &'static str {
    match s {
        Status::New | Status::Open => "Awaiting our reply",
        Status::Pending => "Awaiting your reply",
        Status::OnHold => "In progress",
        Status::Solved => "Solved",
        Status::Closed => "Closed",
    }
}

/// One colour per customer-facing label (new and open read the same).
pub fn customer_status_class(s: &Status) -> &'static str {
    match s {
        Status::New | Status::Open => "awaiting-us",
        Status::Pending => "awaiting-you",
        Status::OnHold => "in-progress",
        Status::Solved => "solved",
        Status::Closed => "closed",
    }
}

/// A status event as a customer reads it.
pub fn status_change(new_value: &Option<String>) -> String {
    match new_value.as_deref().map(Status::parse) {
        Some(Ok(s)) => format!("Status changed to “{}”", customer_status(&s)),
        _ => "Status changed".into(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_home.html")]
pub struct PortalHome {
    user: User,
    tickets: Page<TicketView>,
    scope: String,
    cursor: Option<String>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct HomeParams {
    scope: Option<String>,
    cursor: Option<i64>,
}

pub async fn home(State(s): State<AppState>, PageUser(user): PageUser, Query(p): Query<HomeParams>) -> Response {
    let user = tryr!(customer(user));
    let scope = p.scope.unwrap_or_else(|| "open".into());
    let statuses = match scope.as_str() {
        "open" => Status::OPEN_SET.to_vec(),
        "solved" => vec![Status::Solved, Status::Closed],
        _ => vec![],
    };
    let filter = TicketFilter { statuses, before_id: p.cursor, limit: 25, ..Default::default() };
    let tickets = tryr!(s.app.list_tickets(&user.actor(), filter).await.map_err(error_response));
    let next_cursor = if tickets.has_more { tickets.items.last().map(|t| t.id.to_string()) } else { None };
    PortalHome { user, tickets, scope, cursor: p.cursor.map(|c| c.to_string()), next_cursor }.into_response()
}

#[derive(Deserialize, Default)]
pub struct PortalTicketForm {
    subject: String,
    body: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    ticket_type: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_new.html")]
pub struct PortalNew {
    user: User,
    form: PortalTicketForm,
    errors: FormErrors,
}

pub async fn new_form(PageUser(user): PageUser) -> Response {
    let user = tryr!(customer(user));
    let form = PortalTicketForm { priority: "normal".into(), ticket_type: "question".into(), ..Default::default() };
    PortalNew { user, form, errors: FormErrors::default() }.into_response()
}

pub async fn create(State(s): State<AppState>, PageUser(user): PageUser, form: PostedForm) -> Response {
    let user = tryr!(customer(user));
    let f: PortalTicketForm = tryr!(form.decode());
    // The upload's or a control character's message first, then the form's own checks.
    let errors = form.errors().unwrap_or_default().merge(super::checks::new_ticket(&f.subject, &f.body));
    if errors.any() {
        return invalid(PortalNew { user, form: f, errors });
    }
    let input = NewTicketInput {
        subject: f.subject.clone(),
        body: f.body.clone(),
        priority: Some(f.priority.clone()),
        ticket_type: Some(f.ticket_type.clone()),
        attachments: form.files,
        ..Default::default()
    };
    match s.app.create_ticket(&user.actor(), &input, Channel::Portal).await {
        Ok(t) => Redirect::to(&format!("/portal/tickets/{}", t.id)).into_response(),
        Err(e) => {
            let errors = tryr!(FormErrors::from_error(e));
            invalid(PortalNew { user, form: f, errors })
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_ticket.html")]
pub struct PortalTicket {
    user: User,
    view: TicketThread,
    body: String,
    errors: FormErrors,
}

impl PortalTicket {
    /// Status changes a customer can tell apart (new → open is not one).
    fn status_changes(&self) -> Vec<&frontline_store::TicketEvent> {
        let label = |v: &Option<String>| v.as_deref().and_then(|s| Status::parse(s).ok()).map(|s| customer_status(&s));
        self.view
            .events
            .iter()
            .filter(|e| e.field == frontline_domain::ticket::EventField::Status.as_str() && label(&e.old_value) != label(&e.new_value))
            .collect()
    }
}

async fn ticket_page(s: &AppState, user: User, id: i64, body: String, errors: FormErrors) -> Response {
    ticket_page_from(s, user, id, body, errors, Default::default()).await
}

async fn ticket_page_from(
    s: &AppState,
    user: User,
    id: i64,
    body: String,
    errors: FormErrors,
    page: frontline_app::tickets::ThreadPage,
) -> Response {
    let view = tryr!(s.app.ticket_thread(&user.actor(), id, page).await.map_err(error_response));
    // Belt and braces: a customer's view never carries the agent-only fields.
    if view.ticket.internal.is_some() {
        return error_response(DomainError::NotFound("ticket"));
    }
    let failed = errors.any();
    let p = PortalTicket { user, view, body, errors };
    if failed { invalid(p) } else { p.into_response() }
}

#[derive(Deserialize)]
pub struct ShowParams {
    /// Paging back: the messages before this one.
    before: Option<i64>,
}

pub async fn show(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>, Query(p): Query<ShowParams>) -> Response {
    let user = tryr!(customer(user));
    let page = frontline_app::tickets::ThreadPage { before_message: p.before, before_event: None };
    ticket_page_from(&s, user, id, String::new(), FormErrors::default(), page).await
}

/// A customer's answer, with files if they attached any.
pub async fn reply(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>, form: PostedForm) -> Response {
    let user = tryr!(customer(user));
    let body = form.field("body");
    if let Some(errors) = form.errors() {
        return ticket_page(&s, user, id, body, errors).await;
    }
    let input =
        ReplyInput { kind: MessageKind::Public, body: body.clone(), status: None, channel: Channel::Portal, attachments: form.files };
    match s.app.reply(&user.actor(), id, &input).await {
        Ok(m) => Redirect::to(&format!("/portal/tickets/{id}#message-{}", m.id)).into_response(),
        Err(e) => {
            let errors = tryr!(FormErrors::from_error(e));
            ticket_page(&s, user, id, body, errors).await
        }
    }
}

pub fn priorities() -> &'static [Priority] {
    Priority::ALL
}
pub fn types() -> &'static [TicketType] {
    TicketType::ALL
}
