//! Sign in, sign out, and where "/" leads.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::form::{Form, Query};
use super::{FormErrors, invalid};
use crate::AppState;
use crate::auth::{PageUser, SESSION_COOKIE, clear_session_cookie, session_cookie};

/// Each person's landing (`frontline_domain::home` decides it per role).
pub async fn home(user: Option<PageUser>) -> Redirect {
    match user {
        Some(PageUser(u)) => Redirect::to(&frontline_app::workload::landing_of(&u).path()),
        None => Redirect::to("/login"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    email: String,
    next: String,
    errors: FormErrors,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
    /// `reset`: back from setting a new password with a mailed link.
    done: Option<String>,
}

/// Only local paths, so the sign-in page cannot bounce people elsewhere.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()))
        .unwrap_or_default()
}

pub async fn login_page(Query(q): Query<NextParam>) -> LoginPage {
    let notice = (q.done.as_deref() == Some("reset")).then_some("Your password was changed. Sign in with the new one.");
    LoginPage { email: String::new(), next: safe_next(q.next), errors: FormErrors::default(), notice }
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    jar: CookieJar,
    Form(f, checked): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next);
    let client = client(&s, &extensions, &headers);
    let result = checked.then(s.app.sign_in(&f.email, &f.password, &client)).await;
    match result {
        Ok((secret, user)) => {
            let jar = jar.add(session_cookie(secret, s.config.secure_cookies, s.app.config.session_days));
            let to = if !next.is_empty() { next } else { frontline_app::workload::landing_of(&user).path() };
            (jar, Redirect::to(&to)).into_response()
        }
        Err(e) => {
            let wait = crate::error::retry_after(&e);
            match FormErrors::from_error(e) {
                Ok(errors) => {
                    let page = LoginPage { email: f.email, next, errors, notice: None };
                    throttled_or_invalid(page, wait)
                }
                Err(page) => page,
            }
        }
    }
}

/// The caller as sign-in and reset requests record it: the address the rate
/// limits use (X-Forwarded-For only from a trusted proxy) and the User-Agent.
pub fn client(s: &AppState, extensions: &axum::http::Extensions, headers: &HeaderMap) -> frontline_app::auth::Client {
    let address = s.rate_limits.request_client(extensions, headers);
    let agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    frontline_app::auth::Client::new(address, agent)
}

/// A form page answering a throttle's refusal: 429 with `Retry-After`, the
/// message on the page; other field errors: 422.
pub fn throttled_or_invalid(page: impl IntoResponse, wait: Option<u64>) -> Response {
    match wait {
        Some(seconds) => {
            let mut r = (axum::http::StatusCode::TOO_MANY_REQUESTS, page).into_response();
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
            r
        }
        None => invalid(page),
    }
}

pub async fn logout(State(s): State<AppState>, jar: CookieJar) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        let _ = s.app.logout(c.value()).await;
    }
    (jar.add(clear_session_cookie(s.config.secure_cookies)), Redirect::to("/login")).into_response()
}
