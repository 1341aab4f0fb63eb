//! The agents' web app and the customer portal: server-rendered pages
//! (askama) with plain forms that post and redirect, htmx for partial
//! updates, and validation messages next to the fields they concern.

mod checks;
mod directory;
mod escalation;
mod form;
mod help;
pub mod mail;
mod notifications;
mod password;
mod portal;
mod rules;
mod session;
mod settings;
pub mod sla;
pub mod sla_card;
mod tickets;
mod upload;
mod workload;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
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
    pages(upload_limit).router
}

/// Every page route as (method, path), read from the router itself, so the
/// authorization test requests each one and a new page cannot be forgotten.
pub fn page_routes() -> Vec<(&'static str, &'static str)> {
    pages(0).listed
}

fn pages(upload_limit: usize) -> Pages {
    let files = || DefaultBodyLimit::max(upload_limit);
    Pages::default()
        .get("/", session::home)
        .get("/login", session::login_page)
        .post("/login", session::login)
        .post("/logout", session::logout)
        .get("/password/forgot", password::forgot_page)
        .post("/password/forgot", password::forgot)
        .get("/password/reset", password::reset_page)
        .post("/password/reset", password::reset)
        .get("/tickets", tickets::queue)
        .route("POST", "/tickets", post(tickets::create).layer(files()))
        .get("/tickets/new", tickets::new_form)
        .get("/tickets/{id}", tickets::show)
        .route("POST", "/tickets/{id}/reply", post(tickets::reply).layer(files()))
        .post("/tickets/{id}/messages/{message_id}/accept", tickets::accept_mail)
        .get("/attachments/{id}", tickets::attachment)
        .post("/tickets/{id}/fields", tickets::update_fields)
        .post("/tickets/{id}/escalate", escalation::escalate)
        .post("/tickets/{id}/de-escalate", escalation::de_escalate)
        .post("/tickets/{id}/needs-senior", escalation::needs_senior)
        .post("/tickets/{id}/help-requests", help::ask)
        .get("/help-requests", help::page)
        .post("/help-requests/{id}/answer", help::answer)
        .post("/help-requests/{id}/withdraw", help::withdraw)
        .get("/home", workload::home)
        .get("/workload", workload::page)
        .get("/workload/tickets", workload::tickets)
        .post("/workload/tickets/{id}/take", workload::take)
        .post("/workload/tickets/{id}/assign", workload::reassign)
        .get("/search", tickets::search)
        .get("/partials/queue-counts", tickets::queue_counts_partial)
        .get("/users", directory::users)
        .post("/users", directory::create_user)
        .get("/users/new", directory::new_user)
        .get("/users/{id}", directory::user)
        .post("/users/{id}", directory::update_user)
        .get("/organizations", directory::orgs)
        .post("/organizations", directory::create_org)
        .get("/organizations/{id}", directory::org)
        .post("/organizations/{id}", directory::update_org)
        .get("/teams", directory::teams)
        .post("/teams", directory::create_team)
        .get("/teams/{id}", directory::team)
        .post("/teams/{id}", directory::update_team)
        .get("/admin/positions", directory::positions)
        .post("/admin/positions", directory::create_position)
        .post("/admin/positions/{id}", directory::update_position)
        .get("/admin/audit", directory::audit)
        .get("/admin/rules", rules::list)
        .post("/admin/rules", rules::create)
        .get("/admin/rules/{id}", rules::edit)
        .post("/admin/rules/{id}", rules::update)
        .post("/admin/rules/{id}/delete", rules::delete)
        .get("/admin/mail", mail::show)
        .post("/admin/mail/notifications", mail::save_notifications)
        .post("/admin/mail/templates/{kind}", mail::save_template)
        .post("/admin/mail/templates/{kind}/reset", mail::reset_template)
        .post("/admin/mail/quarantine/{id}/retry", mail::retry)
        .post("/admin/mail/quarantine/{id}/delete", mail::delete)
        .get("/admin/mail/quarantine/{id}/raw", mail::raw)
        .get("/admin/sla", sla::show)
        .post("/admin/sla/plans", sla::create_plan)
        .post("/admin/sla/plans/{id}", sla::update_plan)
        .post("/admin/sla/plans/{id}/delete", sla::delete_plan)
        .get("/admin/sla/calendars/new", sla::new_calendar)
        .post("/admin/sla/calendars", sla::create_calendar)
        .get("/admin/sla/calendars/{id}", sla::calendar)
        .post("/admin/sla/calendars/{id}", sla::update_calendar)
        .post("/admin/sla/calendars/{id}/delete", sla::delete_calendar)
        .get("/admin/sla/policies/new", sla::new_policy)
        .post("/admin/sla/policies", sla::create_policy)
        .get("/admin/sla/policies/{id}", sla::policy)
        .post("/admin/sla/policies/{id}", sla::update_policy)
        .post("/admin/sla/policies/{id}/delete", sla::delete_policy)
        .post("/admin/sla/policies/{id}/move", sla::move_policy)
        .post("/organizations/{id}/support-plan", sla::set_org_plan)
        .get("/notifications", notifications::page)
        .post("/notifications/read-all", notifications::read_all)
        .post("/notifications/{id}/open", notifications::open)
        .get("/settings/notifications", notifications::settings)
        .post("/settings/notifications", notifications::save_settings)
        .get("/settings/tokens", settings::tokens)
        .post("/settings/tokens", settings::create_token)
        .post("/settings/tokens/{id}/revoke", settings::revoke_token)
        .get("/settings/password", settings::password)
        .post("/settings/password", settings::change_password)
        .get("/settings/sessions", settings::sessions)
        .post("/settings/sessions/end-others", settings::end_other_sessions)
        .post("/settings/sessions/{id}/end", settings::end_session)
        .post("/settings/availability", settings::set_availability)
        .get("/portal", portal::home)
        .get("/portal/new", portal::new_form)
        .route("POST", "/portal/tickets", post(portal::create).layer(files()))
        .get("/portal/tickets/{id}", portal::show)
        .route("POST", "/portal/tickets/{id}/reply", post(portal::reply).layer(files()))
}

/// The page router and the list of what it serves, built together.
#[derive(Default)]
struct Pages {
    router: Router<AppState>,
    listed: Vec<(&'static str, &'static str)>,
}

impl Pages {
    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.route("GET", path, get(handler))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.route("POST", path, post(handler))
    }

    fn route(mut self, method: &'static str, path: &'static str, route: MethodRouter<AppState>) -> Self {
        self.listed.push((method, path));
        self.router = self.router.route(path, route);
        self
    }
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
    pub sla: bool,
    /// Works tickets, so has an availability to set in the top bar.
    pub availability: bool,
    pub rules: bool,
    /// The workload view (tier 2 and up, managers, the Head of Support).
    pub workload: bool,
    /// A home page of its own (the Head of Support's).
    pub home: bool,
}

/// The frame around every staff page: who is signed in, queue counts for
/// the sidebar, the bell's unread count, which section is active.
pub struct Chrome {
    pub user: User,
    pub counts: Vec<QueueCount>,
    /// Unread in-app notifications, counted up to `UNREAD_CAP`.
    pub unread: i64,
    pub section: &'static str,
    pub caps: Caps,
}

impl Chrome {
    pub async fn load(state: &AppState, user: User, section: &'static str) -> Result<Chrome, Response> {
        let actor = user.actor();
        if authz::uses_portal(&actor) {
            return Err(axum::response::Redirect::to("/portal").into_response());
        }
        let counts = state.app.queue_counts(&actor).await.map_err(error_response)?;
        let unread = state.app.unread_notifications(&actor).await.map_err(error_response)?;
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
            sla: can(Permission::ManageSla),
            availability: authz::has_availability(&actor),
            rules: can(Permission::ManageRules),
            workload: authz::can_view_workload(&actor, user.tier),
            home: frontline_app::workload::landing_of(&user) == frontline_domain::home::Landing::SupportHome,
        };
        Ok(Chrome { user, counts, unread, section, caps })
    }
}

impl Chrome {
    /// The bell's badge: the count, "99+" past the cap, empty when none.
    pub fn unread_badge(&self) -> String {
        match self.unread {
            0 => String::new(),
            n if n >= frontline_store::notifications::UNREAD_CAP => "99+".into(),
            n => n.to_string(),
        }
    }

    /// The bell's accessible name, which says the count.
    pub fn bell_label(&self) -> String {
        match self.unread {
            0 => "Notifications, none unread".into(),
            n if n >= frontline_store::notifications::UNREAD_CAP => "Notifications, more than 99 unread".into(),
            n => format!("Notifications, {n} unread"),
        }
    }

    /// The choices of the top bar's availability control.
    pub fn availabilities(&self) -> &'static [frontline_domain::user::Availability] {
        &frontline_domain::user::Availability::ALL
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
            Err(DomainError::InvalidAll(all)) => {
                all.into_iter().for_each(|e| self.push(e));
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
        if let AppError::Domain(DomainError::InvalidAll(all)) = e {
            let mut errors = FormErrors::default();
            all.into_iter().for_each(|f| errors.push(f));
            return Ok(errors);
        }
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
    let mut r = error_page(e.status, title, &e.message);
    if let Some(seconds) = e.retry_after {
        r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
    }
    r
}

/// A page re-rendered with validation messages: 422 so that scripts and
/// tests see the failure, with the page as the body for people.
pub fn invalid(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

tokio::task_local! {
    /// The app clock's "now" for the request being answered: pages say "5m
    /// ago" from the same clock as everything else, without every template
    /// carrying it.
    static REQUEST_NOW: DateTime<Utc>;
}

/// Answer the request with "now" read once from the app's clock.
pub async fn request_time(
    axum::extract::State(s): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    REQUEST_NOW.scope(s.app.now(), next.run(req)).await
}

/// The app clock's "now" for the request being answered, if inside one.
pub(crate) fn request_now() -> Option<DateTime<Utc>> {
    REQUEST_NOW.try_with(|n| *n).ok()
}

/// "5m ago", "3h ago", "2d ago", or the date for older times.
pub fn ago(t: &DateTime<Utc>) -> String {
    // Outside a request (no clock at hand) a time reads as just now.
    let now = REQUEST_NOW.try_with(|n| *n).unwrap_or(*t);
    let secs = (now - *t).num_seconds().max(0);
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

pub fn tier<T: Copy + Into<i64>>(n: &T) -> &'static str {
    frontline_domain::ticket::tier_label((*n).into())
}

pub fn escalation<T: Copy + Into<i64>>(n: &T) -> &'static str {
    frontline_domain::ticket::escalation_label((*n).into())
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
