//! Request extractors that answer bad input in the API's error format,
//! naming the field at fault.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// JSON body; malformed JSON, a wrong content type, unknown, missing or
/// mistyped fields, and text holding control characters each get a 4xx
/// naming the problem.
pub struct ApiJson<T>(pub T);

/// The field named in a serde message such as "unknown field `x`".
fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(JsonRejection::MissingJsonContentType(_)) => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with 'Content-Type: application/json'",
                    None,
                ));
            }
            Err(JsonRejection::BytesRejection(e)) => {
                return Err(ApiError::new(
                    e.status(),
                    "payload_too_large",
                    format!("the request body could not be read: {}", e.body_text()),
                    None,
                ));
            }
            Err(e) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the body is not valid JSON: {}", e.body_text()),
                    None,
                ));
            }
        };
        if let Some(e) = crate::text::in_json(&bytes) {
            return Err(ApiError::invalid(&e.field, e.message));
        }
        let value: T = serde_path_to_error::deserialize(bytes).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let field = if inner.starts_with("unknown field") && path != "." {
                // The path ends at the unknown member: `targets.high.first_reply.unit`.
                Some(path)
            } else if inner.starts_with("unknown field") || inner.starts_with("missing field") {
                field_in(&inner)
            } else if path == "." {
                None
            } else {
                Some(path)
            };
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", inner, field)
        })?;
        Ok(ApiJson(value))
    }
}

/// Query string; a value of the wrong type is a 400 naming the parameter,
/// text holding control characters a 422 naming it.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(e) = crate::text::query_error(parts.uri.query()) {
            return Err(ApiError::invalid(&e.field, e.message));
        }
        // Read with the path of what failed, so the error names the
        // parameter (`unread`), not a word of serde's message.
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(ApiQuery(v)),
            Err(e) => {
                let message = e.inner().to_string();
                let field = Some(e.path().to_string()).filter(|p| p != ".").or_else(|| field_in(&message));
                let text = match &field {
                    Some(f) => format!("query parameter {f}: {message}"),
                    None => format!("query string: {message}"),
                };
                Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", text, field))
            }
        }
    }
}

/// `Some(None)` for an explicit null, `None` when absent: lets PATCH clear a field.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

/// A path parameter; one that does not parse (`/tickets/abc`) is a 400
/// naming the parameter, in the API's JSON like every other error.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                // A lone parameter's error carries no name: find it among the raw ones.
                let raw = axum::extract::RawPathParams::from_request_parts(parts, state).await.ok();
                let named = |value: &str| raw.as_ref().and_then(|r| r.iter().find(|(_, v)| *v == value).map(|(k, _)| k.to_string()));
                let (field, bad) = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, value, expected_type } => (Some(key.clone()), Some((value.clone(), *expected_type))),
                    ErrorKind::ParseErrorAtIndex { value, expected_type, .. } | ErrorKind::ParseError { value, expected_type } => {
                        (named(value), Some((value.clone(), *expected_type)))
                    }
                    ErrorKind::InvalidUtf8InPathParam { key } | ErrorKind::DeserializeError { key, .. } => (Some(key.clone()), None),
                    _ => (None, None),
                };
                let message = match (&field, bad) {
                    (Some(key), Some((value, expected))) => {
                        let what = if expected.starts_with('i') || expected.starts_with('u') { "a number" } else { expected };
                        format!("{key} must be {what}, not '{}'", value.chars().filter(|c| !c.is_control()).take(60).collect::<String>())
                    }
                    _ => format!("the address is not valid: {}", e.body_text()),
                };
                Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", message, field))
            }
            Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text(), None)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_backticked_field() {
        assert_eq!(super::field_in("unknown field `subjekt`, expected one of `subject`").as_deref(), Some("subjekt"));
        assert_eq!(super::field_in("no field"), None);
    }
}
