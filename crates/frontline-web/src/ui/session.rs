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

pub async fn home(user: Option<PageUser>) -> Redirect {
    match user {
        Some(PageUser(u)) if u.role.is_customer() => Redirect::to("/portal"),
        Some(_) => Redirect::to("/tickets"),
        None => Redirect::to("/login"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    email: String,
    next: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// Only local paths, so the sign-in page cannot bounce people elsewhere.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()))
        .unwrap_or_default()
}

pub async fn login_page(Query(q): Query<NextParam>) -> LoginPage {
    LoginPage { email: String::new(), next: safe_next(q.next), errors: FormErrors::default() }
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
    // X-Forwarded-For counts only from a trusted proxy, as for the rate limits.
    let client = s.rate_limits.request_client(&extensions, &headers);
    let result = checked.then(s.app.login(&f.email, &f.password, &client)).await;
    match result {
        Ok((secret, user)) => {
            let jar = jar.add(session_cookie(secret, s.config.secure_cookies, s.app.config.session_days));
            let to = if !next.is_empty() {
                next
            } else if user.role.is_customer() {
                "/portal".into()
            } else {
                "/tickets".into()
            };
            (jar, Redirect::to(&to)).into_response()
        }
        Err(e) => match FormErrors::from_error(e) {
            Ok(errors) => invalid(LoginPage { email: f.email, next, errors }),
            Err(page) => page,
        },
    }
}

pub async fn logout(State(s): State<AppState>, jar: CookieJar) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        let _ = s.app.logout(c.value()).await;
    }
    (jar.add(clear_session_cookie(s.config.secure_cookies)), Redirect::to("/login")).into_response()
}
