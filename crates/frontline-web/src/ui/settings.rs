//! Personal settings: API tokens (shown once, stored hashed).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_store::{ApiToken, User};
use serde::Deserialize;

use super::form::Form;
use super::{Chrome, FormErrors, error_response, invalid};
use crate::AppState;
use crate::auth::PageUser;

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
    let result = checked.then(s.app.create_api_token(&user.actor(), &f.name)).await;
    match result {
        // Rendered directly (not redirected) so the secret is never in a URL or a later page.
        Ok((_, secret)) => tokens_page(&s, user, Some(secret), String::new(), FormErrors::default()).await,
        Err(e) => match FormErrors::from_error(e) {
            Ok(errors) => tokens_page(&s, user, None, f.name, errors).await,
            Err(page) => page,
        },
    }
}

pub async fn revoke_token(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.revoke_api_token(&user.actor(), id).await {
        Ok(()) => Redirect::to("/settings/tokens").into_response(),
        Err(e) => error_response(e),
    }
}
