//! "Forgot password?" and the page of a mailed reset link.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Form, Query};
use super::session::{client, throttled_or_invalid};
use super::{FormErrors, invalid};
use crate::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "forgot_password.html")]
pub struct ForgotPage {
    email: String,
    sent: bool,
    errors: FormErrors,
}

pub async fn forgot_page() -> ForgotPage {
    ForgotPage { email: String::new(), sent: false, errors: FormErrors::default() }
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

/// The same page whether or not the email is known.
pub async fn forgot(
    State(s): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(f, checked): Form<ForgotForm>,
) -> Response {
    let client = client(&s, &extensions, &headers);
    match checked.then(s.app.request_password_reset(&f.email, &client)).await {
        Ok(()) => ForgotPage { email: String::new(), sent: true, errors: FormErrors::default() }.into_response(),
        Err(e) => {
            let wait = crate::error::retry_after(&e);
            match FormErrors::from_error(e) {
                Ok(errors) => throttled_or_invalid(ForgotPage { email: f.email, sent: false, errors }, wait),
                Err(page) => page,
            }
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reset_password.html")]
pub struct ResetPage {
    token: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct TokenParam {
    token: Option<String>,
}

pub async fn reset_page(State(s): State<AppState>, Query(q): Query<TokenParam>) -> Response {
    let token = q.token.unwrap_or_default();
    match s.app.check_reset_link(&token).await {
        Ok(()) => ResetPage { token, errors: FormErrors::default() }.into_response(),
        Err(e) => match FormErrors::from_error(e) {
            // A link that does not work: say why, with the way to a new one.
            Ok(errors) => (StatusCode::BAD_REQUEST, ResetPage { token: String::new(), errors }).into_response(),
            Err(page) => page,
        },
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
}

/// Set the password, end every session, and send the person to sign in.
pub async fn reset(State(s): State<AppState>, Form(f, checked): Form<ResetForm>) -> Response {
    match checked.then(s.app.reset_password(&f.token, &f.password)).await {
        Ok(()) => Redirect::to("/login?done=reset").into_response(),
        Err(e) => match FormErrors::from_error(e) {
            Ok(errors) if errors.get("token").is_some() => {
                (StatusCode::BAD_REQUEST, ResetPage { token: String::new(), errors }).into_response()
            }
            Ok(errors) => invalid(ResetPage { token: f.token, errors }),
            Err(page) => page,
        },
    }
}
