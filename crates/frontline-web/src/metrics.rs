//! Prometheus metrics at /metrics. Counters and histograms go through the
//! `metrics` facade into one recorder per process (installed once; tests
//! run many apps in one process and share it); figures read from the
//! database (job queue, SQLite WAL) are sampled from this app's store at
//! each scrape and appended to the recorder's text.
//!
//! Who may scrape is configuration: a bearer token on the main listener,
//! or a listener of its own (`router`) that serves nothing else. Without
//! either, /metrics does not exist.

use std::fmt::Write;
use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::ApiError;

const HTTP_DURATION: &str = "frontline_http_request_duration_seconds";
/// Seconds; from a fast cached page to a slow export.
const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Who may read /metrics.
#[derive(Clone, Default)]
pub enum MetricsAccess {
    /// Not served.
    #[default]
    Off,
    /// On the main listener, with `Authorization: Bearer <token>`.
    Token(String),
    /// Only on a listener of its own (see `router`), with a token when one is given.
    OwnListener(Option<String>),
}

// Hand-written so that the token never reaches a log.
impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MetricsAccess::Off => "Off",
            MetricsAccess::Token(_) => "Token(***)",
            MetricsAccess::OwnListener(None) => "OwnListener",
            MetricsAccess::OwnListener(Some(_)) => "OwnListener(token ***)",
        })
    }
}

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on the first call. None when another
/// recorder was installed first (then only the database figures are served).
pub fn recorder() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// A router that serves only /metrics, for `metrics_listen`.
pub fn router(state: AppState) -> Router {
    Router::new().route("/metrics", get(scrape)).fallback(crate::error::not_found).with_state(state)
}

/// Adds /metrics to the main router when a token protects it there.
pub(crate) fn route(router: Router<AppState>, access: &MetricsAccess) -> Router<AppState> {
    match access {
        MetricsAccess::Token(_) => router.route("/metrics", get(scrape)),
        MetricsAccess::Off | MetricsAccess::OwnListener(_) => router,
    }
}

/// Records each request's latency by method, route template (never the
/// raw path: ids would make a series per ticket) and status class.
pub(crate) async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        // Any other word would make a series of its own.
        _ => "other",
    };
    let started = Instant::now();
    let response = next.run(req).await;
    let status = match response.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route, "status" => status).record(started.elapsed().as_secs_f64());
    response
}

async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = match &*state.metrics {
        MetricsAccess::Off => return crate::error::not_found(axum::http::Uri::from_static("/metrics")).await,
        MetricsAccess::Token(token) => Some(token),
        MetricsAccess::OwnListener(token) => token.as_ref(),
    };
    if let Some(expected) = token
        && !bearer_matches(&headers, expected)
    {
        let mut refused = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send the metrics token (metrics_token) as 'Authorization: Bearer <token>'",
            None,
        )
        .into_response();
        refused.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return refused;
    }
    let mut body = recorder().map(PrometheusHandle::render).unwrap_or_default();
    sampled(&state, &mut body).await;
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))], body).into_response()
}

/// Compared as SHA-256 digests in constant time: neither the token's
/// length nor how much of it matched shows in the answer's timing.
fn bearer_matches(headers: &HeaderMap, expected: &str) -> bool {
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let Some(given) = given else { return false };
    Sha256::digest(given.as_bytes()).ct_eq(&Sha256::digest(expected.as_bytes())).into()
}

/// The figures read from the database at this scrape. A database that
/// does not answer is reported (frontline_database_up 0), not an error:
/// the recorder's metrics are still worth having then.
async fn sampled(state: &AppState, out: &mut String) {
    let app = &state.app;
    let mut gauge = |name: &str, help: &str, value: f64| {
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");
    };
    let jobs = app.job_queue_stats().await;
    let wal = app.sqlite_wal_bytes().await;
    gauge("frontline_database_up", "1 when the database answered this scrape.", if jobs.is_ok() { 1.0 } else { 0.0 });
    match jobs {
        Ok(jobs) => {
            gauge("frontline_jobs_queued", "Background jobs waiting to run or running.", jobs.queued as f64);
            gauge(
                "frontline_jobs_oldest_due_age_seconds",
                "How long the longest-due job has waited (0: none due).",
                jobs.oldest_due_seconds,
            );
            gauge("frontline_jobs_dead", "Jobs given up on after their last attempt.", jobs.dead as f64);
        }
        Err(e) => tracing::warn!(error = %e.chain(), "metrics: cannot read the job queue"),
    }
    match wal {
        Ok(Some(bytes)) => gauge("frontline_sqlite_wal_bytes", "Size of the SQLite write-ahead log file.", bytes as f64),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e.chain(), "metrics: cannot read the WAL size"),
    }
    match app.mail_in_counts().await {
        Ok(counts) => {
            let name = "frontline_mail_in_total";
            let _ = write!(
                out,
                "# HELP {name} Mail taken in, by source (imap, pipe) and outcome (stored, duplicate, quarantined).\n# TYPE {name} counter\n"
            );
            for (source, outcome, n) in counts {
                let _ = writeln!(out, "{name}{{source=\"{source}\",outcome=\"{outcome}\"}} {n}");
            }
        }
        Err(e) => tracing::warn!(error = %e.chain(), "metrics: cannot read the mail counts"),
    }
}
