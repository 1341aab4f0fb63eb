//! The agents' web app and the customer portal: server-rendered pages
//! (askama) with plain forms that post and redirect, htmx for partial
//! updates, and validation messages next to the fields they concern.

mod checks;
mod directory;
mod form;
pub mod mail;
mod portal;
mod session;
mod settings;
mod tickets;
mod upload;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use frontline_app::AppError;
use frontline_app::tickets::QueueCount;
use frontline_domain::authz::{self, Permission};
use frontline_domain::{DomainError, FieldError};
use frontline_store::User;

use crate::AppState;
use crate::error::{ApiError, classify};

/// `upload_limit`: the body size allowed on forms that carry files.
pub fn router(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/", get(session::home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/tickets", get(tickets::queue).post(tickets::create).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/tickets/new", get(tickets::new_form))
        .route("/tickets/{id}", get(tickets::show))
        .route("/tickets/{id}/reply", post(tickets::reply).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/attachments/{id}", get(tickets::attachment))
        .route("/tickets/{id}/fields", post(tickets::update_fields))
        .route("/search", get(tickets::search))
        .route("/partials/queue-counts", get(tickets::queue_counts_partial))
        .route("/users", get(directory::users).post(directory::create_user))
        .route("/users/new", get(directory::new_user))
        .route("/users/{id}", get(directory::user).post(directory::update_user))
        .route("/organizations", get(directory::orgs).post(directory::create_org))
        .route("/organizations/{id}", get(directory::org).post(directory::update_org))
        .route("/teams", get(directory::teams).post(directory::create_team))
        .route("/teams/{id}", get(directory::team).post(directory::update_team))
        .route("/admin/positions", get(directory::positions).post(directory::create_position))
        .route("/admin/positions/{id}", post(directory::update_position))
        .route("/admin/audit", get(directory::audit))
        .route("/admin/mail", get(mail::show))
        .route("/admin/mail/notifications", post(mail::save_notifications))
        .route("/admin/mail/templates/{kind}", post(mail::save_template))
        .route("/admin/mail/templates/{kind}/reset", post(mail::reset_template))
        .route("/admin/mail/quarantine/{id}/retry", post(mail::retry))
        .route("/admin/mail/quarantine/{id}/delete", post(mail::delete))
        .route("/admin/mail/quarantine/{id}/raw", get(mail::raw))
        .route("/settings/tokens", get(settings::tokens).post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/portal", get(portal::home))
        .route("/portal/new", get(portal::new_form))
        .route("/portal/tickets", post(portal::create).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/portal/tickets/{id}", get(portal::show))
        .route("/portal/tickets/{id}/reply", post(portal::reply).layer(DefaultBodyLimit::max(upload_limit)))
}

/// What a signed-in staff member may reach from the navigation.
pub struct Caps {
    pub create_ticket: bool,
    pub directory: bool,
    pub manage_users: bool,
    pub manage_orgs: bool,
    pub manage_teams: bool,
    pub manage_positions: bool,
    pub audit: bool,
    pub mail: bool,
}

/// The frame around every staff page: who is signed in, queue counts for
/// the sidebar, which section is active.
pub struct Chrome {
    pub user: User,
    pub counts: Vec<QueueCount>,
    pub section: &'static str,
    pub caps: Caps,
}

impl Chrome {
    pub async fn load(state: &AppState, user: User, section: &'static str) -> Result<Chrome, Response> {
        let actor = user.actor();
        if actor.role.is_customer() {
            return Err(axum::response::Redirect::to("/portal").into_response());
        }
        let counts = state.app.queue_counts(&actor).await.map_err(error_response)?;
        let can = |p| authz::can(&actor, p);
        let caps = Caps {
            create_ticket: can(Permission::CreateTicketForCustomer),
            directory: can(Permission::ViewDirectory),
            manage_users: can(Permission::ManageUsers) || can(Permission::ManageCustomers),
            manage_orgs: can(Permission::ManageOrganizations),
            manage_teams: can(Permission::ManageTeams),
            manage_positions: can(Permission::ManagePositions),
            audit: can(Permission::ViewAuditLog),
            mail: can(Permission::ManageMail),
        };
        Ok(Chrome { user, counts, section, caps })
    }
}

/// Field messages of a form submission, shown next to each field.
#[derive(Default)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
    /// Add a field's message unless that field already has one (a form
    /// shows the first problem of each field, all fields at once).
    pub fn push(&mut self, e: FieldError) {
        if self.get(&e.field).is_none() {
            self.0.push(e);
        }
    }
    /// Run one field's check, keeping its message; the value when it passed.
    pub fn check<T>(&mut self, r: Result<T, DomainError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(DomainError::Invalid(e)) => {
                self.push(e);
                None
            }
            Err(_) => None,
        }
    }
    /// Every message of `other` too (the use case's, after the form's own checks).
    pub fn merge(mut self, other: FormErrors) -> FormErrors {
        for e in other.0 {
            self.push(e);
        }
        self
    }
    /// Attributes that tie an input to its message, so that screen readers
    /// read the message with the field: `{{ errors.aria("subject")|safe }}`.
    /// Field names are ours (never user input), so the string is safe.
    pub fn aria(&self, field: &str) -> String {
        if self.get(field).is_some() { format!(" aria-invalid=\"true\" aria-describedby=\"err-{field}\"") } else { String::new() }
    }
    /// Turn a use-case error into field messages, or a full error page.
    pub fn from_error(e: AppError) -> Result<FormErrors, Response> {
        let (status, _, message, field) = classify(&e);
        match (status, field) {
            (StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS, field) => {
                Ok(FormErrors(vec![FieldError::new(field.unwrap_or_else(|| "form".into()), message)]))
            }
            _ => Err(error_response(e)),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    (status, ErrorPage { title, message }).into_response()
}

/// A use-case error as a page.
pub fn error_response(e: impl Into<ApiError>) -> Response {
    let e: ApiError = e.into();
    let title = match e.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Please sign in",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        s if s.is_client_error() => "That did not work",
        _ => "Something went wrong",
    };
    error_page(e.status, title, &e.message)
}

/// A page re-rendered with validation messages: 422 so that scripts and
/// tests see the failure, with the page as the body for people.
pub fn invalid(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// "5m ago", "3h ago", "2d ago", or the date for older times.
pub fn ago(t: &DateTime<Utc>) -> String {
    let secs = (Utc::now() - *t).num_seconds().max(0);
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86400 => format!("{}h ago", secs / 3600),
        86400..2_592_000 => format!("{}d ago", secs / 86400),
        _ => t.format("%Y-%m-%d").to_string(),
    }
}

/// "1 person", "3 people".
pub fn people(n: &i64) -> String {
    if *n == 1 { "1 person".into() } else { format!("{n} people") }
}

pub fn tier(n: &i64) -> &'static str {
    frontline_domain::ticket::tier_label(*n)
}

pub fn escalation(n: &i64) -> &'static str {
    frontline_domain::ticket::escalation_label(*n)
}

pub fn is_id(a: &Option<i64>, b: &i64) -> bool {
    *a == Some(*b)
}

/// What the person wrote in a mail (quoted history and signature split off).
pub fn visible(body: &str) -> &str {
    frontline_domain::mail::split_quoted(body).0
}

pub fn quoted(body: &str) -> &str {
    frontline_domain::mail::split_quoted(body).1
}

/// Raw mail bytes as readable text.
pub fn lossy(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(raw)
}

pub fn size(bytes: &i64) -> String {
    frontline_domain::attachment::human_size(usize::try_from(*bytes).unwrap_or(0))
}

pub fn shows_inline(content_type: &str) -> bool {
    frontline_domain::attachment::displays_inline(content_type)
}

/// Files offered for download under a message: all but the inline images
/// that its HTML shows.
pub fn files(m: &frontline_store::Message) -> Vec<&frontline_app::tickets::Attachment> {
    let shown = |a: &frontline_app::tickets::Attachment| match (&a.content_id, &m.body_html) {
        (Some(cid), Some(html)) if a.inline => html.contains(&format!("src=\"cid:{cid}\"")),
        _ => false,
    };
    m.attachments.iter().filter(|a| !shown(a)).collect()
}

/// A mail's stored HTML (sanitized when it arrived) with its inline images
/// pointed at their attachments.
pub fn mail_html(html: &str, attachments: &[frontline_app::tickets::Attachment]) -> String {
    let mut out = html.to_string();
    for a in attachments {
        if let Some(cid) = &a.content_id {
            out = out.replace(&format!("src=\"cid:{cid}\""), &format!("src=\"/attachments/{}\"", a.id));
        }
    }
    out
}

pub fn utc(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Empty form text means "none".
pub fn opt_id(s: &Option<String>) -> Result<Option<i64>, AppError> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            v.parse().map(Some).map_err(|_| frontline_domain::DomainError::invalid("form", format!("'{v}' is not a valid choice")).into())
        }
    }
}
