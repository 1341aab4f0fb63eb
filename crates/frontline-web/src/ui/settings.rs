//! Personal settings: API tokens (shown once, stored hashed), password,
//! signed-in sessions.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_domain::authz;
use frontline_store::{ApiToken, User};
use serde::Deserialize;

use super::form::{Failed, Form, run};
use super::{Chrome, FormErrors, error_response, invalid};
use crate::AppState;
use crate::auth::{PageUser, cookie_session};

#[derive(Template, WebTemplate)]
#[template(path = "tokens.html")]
pub struct TokensPage {
    chrome: Chrome,
    tokens: Vec<ApiToken>,
    /// The secret of a token just created, shown this once.
    new_token: Option<String>,
    name: String,
    errors: FormErrors,
}

async fn tokens_page(s: &AppState, user: User, new_token: Option<String>, name: String, errors: FormErrors) -> Response {
    let tokens = match s.app.list_api_tokens(&user.actor()).await {
        Ok(t) => t,
        Err(e) => return error_response(e),
    };
    let chrome = match Chrome::load(s, user, "tokens").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let failed = errors.any();
    let p = TokensPage { chrome, tokens, new_token, name, errors };
    if failed { invalid(p) } else { p.into_response() }
}

pub async fn tokens(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    tokens_page(&s, user, None, String::new(), FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(State(s): State<AppState>, PageUser(user): PageUser, Form(f, checked): Form<TokenForm>) -> Response {
    let pre = super::checks::api_token(&f.name);
    match run(pre, checked, s.app.create_api_token(&user.actor(), &f.name)).await {
        // Rendered directly (not redirected) so the secret is never in a URL or a later page.
        Ok((_, secret)) => tokens_page(&s, user, Some(secret), String::new(), FormErrors::default()).await,
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => tokens_page(&s, user, None, f.name, errors).await,
    }
}

pub async fn revoke_token(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.revoke_api_token(&user.actor(), id).await {
        Ok(()) => Redirect::to("/settings/tokens").into_response(),
        Err(e) => error_response(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_password.html")]
pub struct PasswordPage {
    chrome: Chrome,
    changed: bool,
    errors: FormErrors,
}

/// The same page in the customer portal's frame.
#[derive(Template, WebTemplate)]
#[template(path = "portal_password.html")]
pub struct PortalPasswordPage {
    user: User,
    changed: bool,
    errors: FormErrors,
}

/// The password page in the frame of the user's side (agent app or portal).
async fn password_page(s: &AppState, user: User, changed: bool, errors: FormErrors) -> Response {
    let failed = errors.any();
    let page = if authz::uses_portal(&user.actor()) {
        PortalPasswordPage { user, changed, errors }.into_response()
    } else {
        match Chrome::load(s, user, "password").await {
            Ok(chrome) => PasswordPage { chrome, changed, errors }.into_response(),
            Err(r) => return r,
        }
    };
    if failed { invalid(page) } else { page }
}

pub async fn password(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    password_page(&s, user, false, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    password: String,
}

/// Change one's own password (the current one is asked); the other sessions end.
pub async fn change_password(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    headers: axum::http::HeaderMap,
    Form(f, checked): Form<PasswordForm>,
) -> Response {
    let current = cookie_session(&headers);
    let pre = super::checks::own_password(&f.current_password, &f.password);
    let change = async {
        s.app.change_own_password(&user.actor(), current.as_deref(), &f.current_password, &f.password).await.map_err(guesses_explained)
    };
    let result = super::form::run(pre, checked, change).await;
    // Passwords are never sent back into the form.
    match result {
        Ok(()) => password_page(&s, user, true, FormErrors::default()).await,
        Err(super::form::Failed::Form(errors)) => password_page(&s, user, false, errors).await,
        Err(super::form::Failed::Page(page)) => page,
    }
}

/// Too many wrong current passwords, said next to that field, with what
/// still works (the API answers 429 with Retry-After instead).
fn guesses_explained(e: frontline_app::AppError) -> frontline_app::AppError {
    use frontline_domain::DomainError;
    match e {
        frontline_app::AppError::Domain(d @ DomainError::Throttled { .. }) => {
            let wait = d.to_string();
            let wait = wait.split_once("; ").map_or(wait.as_str(), |(_, rest)| rest);
            DomainError::invalid(
                "current_password",
                format!(
                    "too many wrong current passwords: {wait}. Signing in still works; if you forgot it, sign out and use “Forgot password?”"
                ),
            )
            .into()
        }
        e => e,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<frontline_store::auth::SessionInfo>,
    /// The id of the session viewing the page.
    current: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_sessions.html")]
pub struct PortalSessionsPage {
    user: User,
    sessions: Vec<frontline_store::auth::SessionInfo>,
    current: String,
}

pub async fn sessions(State(s): State<AppState>, PageUser(user): PageUser, headers: axum::http::HeaderMap) -> Response {
    let current = cookie_session(&headers).map(|c| frontline_app::App::session_id(&c)).unwrap_or_default();
    let sessions = match s.app.list_sessions(&user.actor()).await {
        Ok(x) => x,
        Err(e) => return error_response(e),
    };
    if authz::uses_portal(&user.actor()) {
        return PortalSessionsPage { user, sessions, current }.into_response();
    }
    match Chrome::load(&s, user, "sessions").await {
        Ok(chrome) => SessionsPage { chrome, sessions, current }.into_response(),
        Err(r) => r,
    }
}
pub async fn end_session(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<String>) -> Response {
    match s.app.end_session(&user.actor(), &id).await {
        Ok(()) => Redirect::to("/settings/sessions").into_response(),
        Err(e) => error_response(e),
    }
}

pub async fn end_other_sessions(State(s): State<AppState>, PageUser(user): PageUser, headers: axum::http::HeaderMap) -> Response {
    let current = cookie_session(&headers);
    match s.app.end_other_sessions(&user.actor(), current.as_deref()).await {
        Ok(_) => Redirect::to("/settings/sessions").into_response(),
        Err(e) => error_response(e),
    }
}

#[derive(Deserialize)]
pub struct AvailabilityForm {
    #[serde(default)]
    availability: String,
}

/// The top bar's availability control: set it, then back to the page it
/// was set from (the Referer's path on this site; the queue otherwise).
pub async fn set_availability(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    headers: axum::http::HeaderMap,
    Form(f, _checked): Form<AvailabilityForm>,
) -> Response {
    match s.app.set_availability(&user.actor(), user.id, &f.availability).await {
        Ok(_) => {
            let referer = headers.get(axum::http::header::REFERER).and_then(|v| v.to_str().ok());
            Redirect::to(&with_saved(&back_path(referer), "availability")).into_response()
        }
        Err(e) => error_response(e),
    }
}

/// The path (and query) of a Referer, only if it is a plain local path.
fn back_path(referer: Option<&str>) -> String {
    let path = referer.map(|r| match r.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
        None => r,
    });
    match path {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.split('#').next().unwrap_or(p).to_string(),
        _ => "/tickets".into(),
    }
}

fn with_saved(path: &str, what: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}saved={what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_back_only_to_local_paths() {
        assert_eq!(back_path(Some("http://desk.example/tickets/5?x=1#top")), "/tickets/5?x=1");
        assert_eq!(back_path(Some("https://desk.example")), "/");
        assert_eq!(back_path(Some("//evil.example/x")), "/tickets");
        assert_eq!(back_path(Some("javascript:alert(1)")), "/tickets");
        assert_eq!(back_path(None), "/tickets");
        assert_eq!(with_saved("/teams/1?saved=team", "availability"), "/teams/1?saved=team&saved=availability");
    }
}
