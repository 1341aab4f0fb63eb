//! HTTP surfaces: the agents' web app and the customer portal (askama
//! pages, htmx), the REST API under /api/v1 with its OpenAPI document, and
//! the health checks. Handlers are thin: they parse, call a use case in
//! `frontline-app`, and render; errors are rendered in one place
//! (`error.rs`) as JSON for the API and as a page for the UI.

// Handlers return `Response` as their error value, as axum intends; boxing it
// would only add allocations on the error path.
#![allow(clippy::result_large_err)]

pub mod api;
pub(crate) mod assets;
mod auth;
mod download;
mod error;
pub mod idempotency;
mod layers;
pub mod metrics;
pub mod rate_limit;
mod text;
mod ui;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use frontline_app::App;

pub use error::{ApiError, ErrorBody};

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public URL, e.g. https://support.example.com; also the trusted
    /// origin for CSRF checks behind a proxy.
    pub base_url: String,
    /// Mark cookies Secure (set when served over HTTPS).
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
    /// Who may read /metrics (off unless configured).
    pub metrics: Arc<metrics::MetricsAccess>,
    /// Rate limits on /api/v1 (none unless configured).
    pub rate_limits: Arc<rate_limit::Limiters>,
}

impl AppState {
    pub fn new(app: App, config: WebConfig) -> Self {
        let rate_limits = Arc::new(rate_limit::Limiters::new(&rate_limit::RateLimits::default()));
        AppState { app, config: Arc::new(config), metrics: Arc::default(), rate_limits }
    }

    /// Limit /api/v1 requests per client address and per API token (or user).
    pub fn with_rate_limits(mut self, limits: &rate_limit::RateLimits) -> Self {
        self.rate_limits = Arc::new(rate_limit::Limiters::new(limits));
        self
    }

    /// Serve /metrics as `access` says (and install the process's recorder).
    pub fn with_metrics(mut self, access: metrics::MetricsAccess) -> Self {
        if !matches!(access, metrics::MetricsAccess::Off) {
            metrics::recorder();
        }
        self.metrics = Arc::new(access);
        self
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let upload_limit = layers::upload_body_limit(&state.app.config.attachment_limits);
    let (api_router, openapi) = api_parts(upload_limit);
    let keys = idempotency::KeyState::new(state.clone(), upload_limit.max(layers::BODY_LIMIT), &openapi);
    // Outermost, so a refused request neither authenticates twice nor claims a key.
    let api_router = api_router
        .layer(axum::middleware::from_fn_with_state(keys, idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::layer));
    let openapi = Arc::new(openapi);
    let app = metrics::route(Router::new(), &state.metrics)
        .merge(ui::router(upload_limit))
        .merge(api_router)
        .route("/api/v1/openapi.json", get(api::openapi_json))
        .route("/api/docs", get(api::docs::page))
        .route("/assets/{file}", get(assets::serve))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(error::not_found)
        .layer(axum::Extension(openapi))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ui::request_time))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state.clone());
    layers::apply(app, &state.config)
}

/// The pages of the agent app and the portal, as (method, path), from their router.
pub fn page_routes() -> Vec<(&'static str, &'static str)> {
    ui::page_routes()
}

/// The OpenAPI document, as served at /api/v1/openapi.json.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_parts(layers::BODY_LIMIT).1
}

/// The API's routes and their document, with what layers add to every route.
fn api_parts(upload_limit: usize) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = api::router(upload_limit).split_for_parts();
    // The routes' own annotations are gathered only here, so the header is documented after them.
    utoipa::Modify::modify(&idempotency::OpenApiHeader, &mut doc);
    utoipa::Modify::modify(&rate_limit::OpenApiTooMany, &mut doc);
    utoipa::Modify::modify(&api::OpenApiSharedAnswers, &mut doc);
    (routes, doc)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> (axum::http::StatusCode, &'static str) {
    match state.app.ready().await {
        Ok(()) => (axum::http::StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
