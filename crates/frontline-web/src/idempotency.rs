//! `Idempotency-Key` on POST and PATCH under /api/v1 (IETF httpapi draft):
//! the same key and request get the first attempt's answer, a different
//! request under the key is refused with 422, a retry while the first
//! attempt runs gets 409. Keys live per caller (API token or user).
//! Ticket creation, replies and ticket changes mark the key inside their own
//! transaction (see `frontline_store::idempotency`); other writes get the
//! stored answer.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use frontline_app::App;
use frontline_app::idempotency::{Begin, IdempotencyMark, IdempotencyOwner};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};

use crate::AppState;
use crate::error::ApiError;

pub const HEADER: &str = "Idempotency-Key";
/// Set on an answer that was stored from an earlier attempt.
pub const REPLAYED: &str = "idempotent-replayed";
/// Answers larger than this are not kept (API answers are a few KB).
const MAX_STORED_ANSWER: usize = 1024 * 1024;

/// What the handler learns about its request's key.
#[derive(Debug, Clone)]
pub enum Idempotency {
    /// Write under this claim (pass it to the `*_keyed` use case).
    Run(IdempotencyMark),
    /// An earlier attempt committed and produced this id: answer from it, write nothing.
    Committed(i64),
}

impl Idempotency {
    pub fn mark(this: &Option<axum::Extension<Idempotency>>) -> Option<IdempotencyMark> {
        match this {
            Some(axum::Extension(Idempotency::Run(m))) => Some(m.clone()),
            _ => None,
        }
    }

    pub fn committed(this: &Option<axum::Extension<Idempotency>>) -> Option<i64> {
        match this {
            Some(axum::Extension(Idempotency::Committed(id))) => Some(*id),
            _ => None,
        }
    }
}

/// Set by a handler on an answer that must not be stored (it carries a
/// secret): the key is released, so a retry runs again.
#[derive(Debug, Clone, Copy)]
pub struct NotStored;

#[derive(Clone)]
pub struct KeyState {
    pub app: AppState,
    /// Largest request body of any API route.
    pub body_limit: usize,
    owner: Arc<OnceCell<IdempotencyOwner>>,
    /// (method, route) of the writes the document declares: a POST or
    /// PATCH to a route without one is left to answer 405, not claim a key.
    writes: Arc<std::collections::HashSet<(Method, String)>>,
}

impl KeyState {
    pub fn new(app: AppState, body_limit: usize, doc: &utoipa::openapi::OpenApi) -> Self {
        let mut writes = std::collections::HashSet::new();
        for (path, item) in &doc.paths.paths {
            if item.post.is_some() {
                writes.insert((Method::POST, path.clone()));
            }
            if item.patch.is_some() {
                writes.insert((Method::PATCH, path.clone()));
            }
        }
        KeyState { app, body_limit, owner: Arc::default(), writes: Arc::new(writes) }
    }
}

/// The key as sent: 1 to 255 printable ASCII characters.
fn parse_key(value: &HeaderValue) -> Result<String, ApiError> {
    let bad = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_header",
            "Idempotency-Key must be 1 to 255 printable ASCII characters, e.g. a UUID",
            Some(HEADER.into()),
        )
    };
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > 255 || !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(bad());
    }
    let key = String::from_utf8(bytes.to_vec()).map_err(|_| bad())?;
    if key.trim().is_empty() {
        return Err(bad());
    }
    Ok(key)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The scope of an API token's keys: a hash of the token (not the one that
/// authenticates it), so the table holds nothing that could be replayed.
pub fn token_scope(token: &str) -> String {
    format!("token:{}", hex(&Sha256::digest(format!("idempotency-scope:{token}").as_bytes())))
}

/// The scope of a signed-in user's keys.
pub fn user_scope(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// What "the same request" means: method, path with query, and body.
pub fn fingerprint(method: &Method, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b" ");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex(&h.finalize())
}

fn key_error(status: StatusCode, code: &'static str, message: &str) -> Response {
    ApiError::new(status, code, message, Some(HEADER.into())).into_response()
}

fn internal_response() -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side", None).into_response()
}

fn internal(e: frontline_app::AppError) -> Response {
    tracing::error!(error = %e.chain(), "idempotency key store failed");
    internal_response()
}

/// Gives the key back if the attempt is cut off (client gone, panic)
/// before it answered; a write that committed keeps its key.
struct Release {
    app: App,
    mark: Option<IdempotencyMark>,
}

impl Drop for Release {
    fn drop(&mut self) {
        if let (Some(mark), Ok(rt)) = (self.mark.take(), tokio::runtime::Handle::try_current()) {
            let app = self.app.clone();
            rt.spawn(async move {
                if let Err(e) = app.abandon_idempotent(&mark).await {
                    tracing::warn!(error = %e.chain(), "could not release an idempotency key");
                }
            });
        }
    }
}

pub async fn layer(State(st): State<KeyState>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::POST | Method::PATCH) {
        return next.run(req).await;
    }
    let Some(value) = req.headers().get(HEADER) else { return next.run(req).await };
    let route = req.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_string());
    if !route.is_some_and(|r| st.writes.contains(&(req.method().clone(), r))) {
        return next.run(req).await;
    }
    let key = match parse_key(value) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let (mut parts, body) = req.into_parts();
    // Without a caller there is no scope: the handler answers 401 as usual.
    let scope = match parts.extensions.get::<crate::auth::Caller>() {
        Some(caller) => caller.scope.clone(),
        None => match crate::auth::api_caller(&parts, &st.app).await {
            Ok((user, scope)) => {
                parts.extensions.insert(crate::auth::Caller { user, scope: scope.clone() });
                scope
            }
            Err(e) => return e.into_response(),
        },
    };
    let body = match axum::body::to_bytes(body, st.body_limit).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the request body is too large", None).into_response();
        }
    };
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let fp = fingerprint(&parts.method, path, &body);
    let app = &st.app.app;
    let owner = match st.owner.get_or_try_init(|| app.idempotency_owner()).await {
        Ok(o) => o,
        Err(e) => return internal(e),
    };
    let (mark, run_as) = match app.begin_idempotent(owner, &scope, &key, &fp).await {
        Err(e) => return internal(e),
        Ok(Begin::Run(mark)) => (mark.clone(), Idempotency::Run(mark)),
        Ok(Begin::Rebuild { mark, resource_id }) => (mark, Idempotency::Committed(resource_id)),
        Ok(Begin::Replay { status, body }) => return replay(status, body),
        Ok(Begin::InProgress) => {
            return key_error(
                StatusCode::CONFLICT,
                "idempotency_key_in_progress",
                "a request with this Idempotency-Key is still being processed; retry in a moment",
            );
        }
        Ok(Begin::Mismatch) => {
            return key_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request (method, path or body); use a new key for a new request",
            );
        }
    };
    let mut release = Release { app: app.clone(), mark: Some(mark.clone()) };
    parts.extensions.insert(run_as);
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (mut head, body) = response.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_STORED_ANSWER).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "could not read an answer to store it");
            drop(release);
            return internal_response();
        }
    };
    let keep = head.status.as_u16() < 500 && head.extensions.get::<NotStored>().is_none();
    let stored = match std::str::from_utf8(&bytes) {
        Ok(text) if keep => app.finish_idempotent(&mark, head.status.as_u16(), text).await,
        // A failure on our side, or a secret, is not an answer to keep: the client may retry.
        _ => app.abandon_idempotent(&mark).await,
    };
    release.mark = None;
    if let Err(e) = stored {
        tracing::warn!(error = %e.chain(), "could not store an idempotent answer; a retry rebuilds or reruns it");
    }
    head.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(head, Body::from(bytes))
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
    r
}

/// Documents the header and its answers on every POST and PATCH of the API.
pub struct OpenApiHeader;

impl utoipa::Modify for OpenApiHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        crate::api::for_each_operation(openapi, crate::api::Operations::Writes, document);
    }
}

fn document(op: &mut Operation) {
    let param = ParameterBuilder::new()
        .name(HEADER)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: 1-255 printable ASCII characters (e.g. a UUID), unique per request, kept 24 hours per API token \
             (or signed-in user). The same key with the same request returns the first answer (header `Idempotent-Replayed: true`) \
             without writing again, even if the first attempt's answer was lost; with a different request it is refused with 422 \
             `idempotency_key_reused`; while the first attempt still runs, 409 `idempotency_key_in_progress`.",
        ))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                // Printable ASCII, not starting or ending with a space (HTTP trims those).
                .pattern(Some("^[!-~]([ -~]*[!-~])?$")),
        ))
        .build();
    op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(param));
    for (code, what) in [
        ("400", "Invalid Idempotency-Key header (`invalid_header`) or other bad input"),
        ("409", "A request with this Idempotency-Key is still running (`idempotency_key_in_progress`), or another conflict"),
        ("422", "Invalid input, or the Idempotency-Key was used for a different request (`idempotency_key_reused`)"),
    ] {
        op.responses.responses.entry(code.to_string()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(what)
                    .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                    .build(),
            )
        });
    }
}
