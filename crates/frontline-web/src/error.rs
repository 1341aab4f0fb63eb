//! One error policy: a use-case error becomes one status code here, and is
//! rendered as JSON for the API or as a page for the UI. Internal errors are
//! logged with their cause and answered opaquely.

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use frontline_app::AppError;
use frontline_domain::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_field`, `not_found`.
    pub code: &'static str,
    /// A sentence for a person.
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
    /// When a request had several wrong fields checked together (an
    /// automatic rule's format and the teams and users it names): each
    /// one, the first being `field` and `message` above. Absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One wrong field of several.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// An error answered by the API as `{"error": {...}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Seconds for `Retry-After` (a throttle's 429).
    pub retry_after: Option<u64>,
    /// Every wrong field when several were found at once.
    pub errors: Vec<FieldProblem>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>, field: Option<String>) -> Self {
        ApiError { status, code, message: message.into(), field, retry_after: None, errors: Vec::new() }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message, Some(field.to_string()))
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in or send an API token as 'Authorization: Bearer <token>'", None)
    }
}

/// Status, code and field for a use-case error.
pub fn classify(e: &AppError) -> (StatusCode, &'static str, String, Option<String>) {
    match e {
        AppError::Domain(d) => match d {
            DomainError::Invalid(f) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", f.message.clone(), Some(f.field.clone())),
            DomainError::InvalidAll(all) => match all.first() {
                Some(f) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", f.message.clone(), Some(f.field.clone())),
                None => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "the input is not valid".into(), None),
            },
            DomainError::Conflict(f) => (StatusCode::CONFLICT, "conflict", f.message.clone(), Some(f.field.clone())),
            DomainError::NotFound(what) => (StatusCode::NOT_FOUND, "not_found", format!("{what} not found"), None),
            DomainError::Forbidden(why) => (StatusCode::FORBIDDEN, "forbidden", why.to_string(), None),
            DomainError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", d.to_string(), None),
            DomainError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "throttled", d.to_string(), None),
        },
        AppError::Internal(_) => {
            tracing::error!(cause = %e.chain(), "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side; the request id is in the X-Request-Id header".into(),
                None,
            )
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let (status, code, message, field) = classify(&e);
        let errors = match &e {
            AppError::Domain(DomainError::InvalidAll(all)) => {
                all.iter().map(|f| FieldProblem { field: f.field.clone(), message: f.message.clone() }).collect()
            }
            _ => Vec::new(),
        };
        ApiError { status, code, message, field, retry_after: retry_after(&e), errors }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        AppError::Domain(e).into()
    }
}

/// How long a throttled caller should wait, if the error is a throttle's.
pub fn retry_after(e: &AppError) -> Option<u64> {
    match e {
        AppError::Domain(DomainError::Throttled { retry_after_seconds }) => Some(*retry_after_seconds),
        _ => None,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message, field: self.field, errors: self.errors } };
        let mut r = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        r
    }
}

pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no such endpoint: {}", uri.path()), None).into_response()
    } else {
        crate::ui::error_page(StatusCode::NOT_FOUND, "Page not found", "There is nothing at this address.")
    }
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side", None).into_response()
}
