//! Who is calling: a session cookie (web app, portal, and the API from the
//! browser) or an API token in the Authorization header (never a cookie).

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use frontline_store::User;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "fl_session";

pub fn session_cookie(secret: String, secure: bool, days: i64) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(time_days(days))
        .build()
}

pub fn clear_session_cookie(secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, "")).http_only(true).same_site(SameSite::Lax).secure(secure).path("/").max_age(time_days(0)).build()
}

fn time_days(days: i64) -> cookie::time::Duration {
    cookie::time::Duration::days(days)
}

/// The session secret of a browser request (none when an API token is sent:
/// then the request belongs to no session).
pub fn cookie_session(headers: &axum::http::HeaderMap) -> Option<String> {
    if headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    CookieJar::from_headers(headers).get(SESSION_COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty())
}

async fn from_session(parts: &Parts, state: &AppState) -> Result<Option<User>, ApiError> {
    let jar = CookieJar::from_headers(&parts.headers);
    match jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
        Some(secret) if !secret.is_empty() => Ok(state.app.session_user(&secret).await?),
        _ => Ok(None),
    }
}

/// The signed-in user of a web page; without one, the browser goes to the
/// sign-in page and comes back afterwards.
pub struct PageUser(pub User);

pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        let next: String = url_encode(&self.0);
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|q| q.trim_start_matches('=').to_string()).unwrap_or_default()
}

impl<S> FromRequestParts<S> for PageUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        match from_session(parts, &state).await {
            Ok(Some(user)) => Ok(PageUser(user)),
            Ok(None) if parts.headers.contains_key("hx-request") => {
                // An htmx fragment request (e.g. the sidebar refresh) after the
                // session ended: send the whole page to sign-in, not the fragment.
                Err((StatusCode::OK, [("hx-redirect", "/login")]).into_response())
            }
            Ok(None) => {
                let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
                Err(LoginRedirect(next).into_response())
            }
            Err(e) => Err(crate::ui::error_response(e)),
        }
    }
}

impl<S> OptionalFromRequestParts<S> for PageUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let state = AppState::from_ref(state);
        from_session(parts, &state).await.map(|u| u.map(PageUser)).map_err(crate::ui::error_response)
    }
}

/// The caller of an API endpoint.
pub struct ApiUser(pub User);

impl<S> FromRequestParts<S> for ApiUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Already authenticated by the rate-limit or Idempotency-Key layer.
        if let Some(Caller { user, .. }) = parts.extensions.remove::<Caller>() {
            return Ok(ApiUser(user));
        }
        let state = AppState::from_ref(state);
        api_caller(parts, &state).await.map(|(user, _)| ApiUser(user))
    }
}

/// The API caller and their scope (see `api_caller`), found by a layer before the handler runs.
#[derive(Clone)]
pub(crate) struct Caller {
    pub user: User,
    pub scope: String,
}

/// The API caller and the scope their Idempotency-Keys live in: the API
/// token (a hash of it, never the token), or the signed-in user.
pub(crate) async fn api_caller(parts: &Parts, state: &AppState) -> Result<(User, String), ApiError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).unwrap_or_default();
        return match state.app.token_user(token).await? {
            Some(user) => Ok((user, crate::idempotency::token_scope(token))),
            None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the API token is unknown or revoked", None)),
        };
    }
    let user = from_session(parts, state).await?.ok_or_else(ApiError::unauthenticated)?;
    let scope = crate::idempotency::user_scope(user.id);
    Ok((user, scope))
}
