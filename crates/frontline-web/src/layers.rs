//! Cross-cutting layers: request ids in every log line, security headers,
//! CSRF protection, body limits, panics answered as 500.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::WebConfig;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Scripts, styles and images only from our own origin; no inline script,
/// no framing, forms post only to us.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Largest request body accepted (JSON or form).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Largest body of a request that may carry files (a reply with
/// attachments): what a message may carry, base64-encoded in JSON, plus
/// room for the text.
pub fn upload_body_limit(limits: &frontline_domain::attachment::Limits) -> usize {
    limits.max_total_bytes / 3 * 4 + BODY_LIMIT
}

#[derive(Clone, Default)]
struct MakeUuid;

impl MakeRequestId for MakeUuid {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok().map(RequestId::new)
    }
}

/// One year; sent only when Frontline is served over HTTPS (`secure_cookies`).
const HSTS: &str = "max-age=31536000";

/// Answers about people and tickets must not stay in a browser's or a
/// proxy's cache (a shared computer, the back button after sign-out), so
/// everything but the static assets is `no-store`. With HTTPS, browsers
/// are told to never try plain HTTP again.
async fn privacy_headers(
    axum::extract::State(https): axum::extract::State<bool>,
    req: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let asset = req.uri().path().starts_with("/assets/");
    let mut r = next.run(req).await;
    if !asset {
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        r.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    r
}

pub fn apply(router: Router, config: &WebConfig) -> Router {
    let origin = config.base_url.trim_end_matches('/');
    let csrf = match CsrfLayer::new().add_trusted_origin(origin) {
        Ok(with_origin) => with_origin,
        Err(e) => {
            tracing::warn!(error = %e, base_url = %config.base_url, "base URL is not a valid origin; CSRF falls back to Sec-Fetch-Site and Host");
            CsrfLayer::new()
        }
    }
    .with_rejection_response(|_: tower_http::csrf::ProtectionError| {
        crate::error::ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "cross_origin_request",
            "cross-site requests are refused; submit the form from Frontline itself",
            None,
        )
        .into_response()
    });
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        })
        // DEBUG: a line per request drowns the rest at INFO; `log_requests` turns it on.
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG))
        .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN));
    router
        .layer(csrf)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(crate::error::panic_response))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(axum::middleware::from_fn_with_state(config.secure_cookies, privacy_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeUuid))
}
