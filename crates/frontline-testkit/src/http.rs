use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use frontline_app::directory::{UserInput, system_actor};
use frontline_app::{App, AppConfig};
use frontline_store::User;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::db::{Engine, TestDb};

pub const PASSWORD: &str = "correct horse battery";
pub const BASE_URL: &str = "http://frontline.test";
/// The support address the tests' mail goes to and comes from.
pub const MAILBOX: &str = "support@acme.example";

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Token(String),
    Cookie(String),
}

pub struct TestApp {
    pub app: App,
    /// The store the app was made from, for tests that set up or check the
    /// database underneath the use cases (the app keeps its own private).
    store: frontline_store::Store,
    pub router: Router,
    pub db: TestDb,
    /// Set by `allow_failed_jobs`: this test leaves dead jobs on purpose.
    failed_jobs_expected: std::sync::atomic::AtomicBool,
    /// The app's only time source: set or advance it to move time.
    pub clock: crate::TestClock,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
    /// The API error code, asserting the error shape on the way.
    pub fn error_code(&self) -> String {
        let v = self.json();
        assert!(v["error"]["message"].is_string(), "error without message: {v}");
        v["error"]["code"].as_str().unwrap_or_else(|| panic!("not an API error: {v}")).to_string()
    }
}

impl TestApp {
    pub async fn new(db: TestDb) -> TestApp {
        Self::build(db, None, None).await
    }

    /// The app with notification mail going to an SMTP server at `smtp_url`.
    pub async fn with_smtp(db: TestDb, smtp_url: &str) -> TestApp {
        Self::build(db, Some(smtp_url), None).await
    }

    /// The app with notification mail kept in memory (`Outbox`), for tests
    /// of who is told what.
    pub async fn with_outbox(db: TestDb) -> (TestApp, std::sync::Arc<crate::Outbox>) {
        let mut t = Self::build(db, None, None).await;
        let outbox = std::sync::Arc::new(crate::Outbox::default());
        t.app = t.app.clone().with_mailer(outbox.clone());
        let state =
            frontline_web::AppState::new(t.app.clone(), frontline_web::WebConfig { base_url: BASE_URL.into(), secure_cookies: false });
        t.router = frontline_web::router(state);
        (t, outbox)
    }

    /// Like `with_smtp`, also trusting the CA in `ca_file` (PEM).
    pub async fn with_smtp_ca(db: TestDb, smtp_url: &str, ca_file: Option<&std::path::Path>) -> TestApp {
        Self::build(db, Some(smtp_url), ca_file).await
    }

    async fn build(db: TestDb, smtp_url: Option<&str>, ca_file: Option<&std::path::Path>) -> TestApp {
        let clock = crate::TestClock::default();
        let store = db.store().await.with_clock(std::sync::Arc::new(clock.clone()));
        let config = AppConfig {
            fast_password_hashing: true,
            public_url: BASE_URL.into(),
            // The support mailbox of the tests' mail (see MAILBOX).
            own_addresses: vec![MAILBOX.into()],
            ..AppConfig::default()
        };
        let mut app = App::new(store.clone(), config);
        if let Some(url) = smtp_url {
            let mailer = frontline_mail::SmtpMailer::with_ca_file(url, &format!("Acme Support <{MAILBOX}>"), ca_file).expect("mailer");
            app = app.with_mailer(std::sync::Arc::new(mailer));
        }
        let state =
            frontline_web::AppState::new(app.clone(), frontline_web::WebConfig { base_url: BASE_URL.into(), secure_cookies: false });
        TestApp { router: frontline_web::router(state), app, store, db, clock, failed_jobs_expected: Default::default() }
    }

    /// This test leaves jobs failed for good on purpose: do not fail it for
    /// them when it ends (see `Drop`).
    pub fn allow_failed_jobs(&self) {
        self.failed_jobs_expected.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The same app and database behind another router.
    pub fn with_router(mut self, router: Router) -> TestApp {
        self.router = router;
        self
    }

    /// The same app with /metrics served as `access` says.
    pub fn with_metrics(mut self, access: frontline_web::metrics::MetricsAccess) -> TestApp {
        let state =
            frontline_web::AppState::new(self.app.clone(), frontline_web::WebConfig { base_url: BASE_URL.into(), secure_cookies: false })
                .with_metrics(access);
        self.router = frontline_web::router(state);
        self
    }

    /// The same app with the API limited as `limits` says (TestApp limits
    /// nothing by default). Like `with_metrics`, it starts from a fresh state:
    /// the two do not combine.
    pub fn with_rate_limits(mut self, limits: &frontline_web::rate_limit::RateLimits) -> TestApp {
        let state =
            frontline_web::AppState::new(self.app.clone(), frontline_web::WebConfig { base_url: BASE_URL.into(), secure_cookies: false })
                .with_rate_limits(limits);
        self.router = frontline_web::router(state);
        self
    }

    /// The database underneath the app, for setting up and checking what
    /// the use cases do not show.
    pub fn store(&self) -> &frontline_store::Store {
        &self.store
    }

    pub fn engine(&self) -> Engine {
        self.db.engine
    }

    pub async fn send(&self, req: Request<Body>) -> TestResponse {
        let resp = self.router.clone().oneshot(req).await.expect("router is infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
        TestResponse { status, headers, body }
    }

    fn builder(method: Method, path: &str, auth: &Auth) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path).header(header::HOST, "frontline.test");
        match auth {
            Auth::None => {}
            Auth::Token(t) => b = b.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Auth::Cookie(c) => b = b.header(header::COOKIE, c),
        }
        b
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> TestResponse {
        self.send(Self::builder(Method::GET, path, auth).body(Body::empty()).expect("request")).await
    }

    pub async fn json(&self, method: Method, path: &str, auth: &Auth, body: &Value) -> TestResponse {
        let req = Self::builder(method, path, auth)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send(req).await
    }

    pub async fn post_json(&self, path: &str, auth: &Auth, body: &Value) -> TestResponse {
        self.json(Method::POST, path, auth, body).await
    }

    pub async fn patch_json(&self, path: &str, auth: &Auth, body: &Value) -> TestResponse {
        self.json(Method::PATCH, path, auth, body).await
    }

    pub async fn raw(&self, method: Method, path: &str, auth: &Auth, content_type: &str, body: &str) -> TestResponse {
        let req = Self::builder(method, path, auth)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send(req).await
    }

    /// A browser-like form post (same-origin, as a real browser would say).
    pub async fn post_form(&self, path: &str, auth: &Auth, form: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded::to_string(form).expect("form");
        let req = Self::builder(Method::POST, path, auth)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, BASE_URL)
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// A browser-like multipart form post with files: `(field, filename, content type, bytes)`.
    pub async fn post_multipart(
        &self,
        path: &str,
        auth: &Auth,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> TestResponse {
        let boundary = "----frontline-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        for (name, filename, content_type, data) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Self::builder(Method::POST, path, auth)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, BASE_URL)
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// Create a user with the test password through the use case.
    pub async fn user(&self, role: &str, email: &str, organization_id: Option<i64>) -> User {
        let input = UserInput {
            email: email.into(),
            name: email.split('@').next().unwrap_or(email).replace('.', " "),
            role: role.into(),
            organization_id,
            password: Some(PASSWORD.into()),
            ..Default::default()
        };
        self.app.create_user(&system_actor(), &input).await.unwrap_or_else(|e| panic!("create {email}: {e}"))
    }

    pub async fn token_for(&self, user: &User) -> Auth {
        let (_, secret) = self.app.create_api_token(&user.actor(), "test").await.expect("token");
        Auth::Token(secret)
    }

    /// Sign in through the login form; returns the session cookie.
    pub async fn login(&self, email: &str) -> Auth {
        let resp = self.post_form("/login", &Auth::None, &[("email", email), ("password", PASSWORD)]).await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "login failed for {email}: {}", resp.text());
        let cookie = resp
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("fl_session="))
            .expect("session cookie")
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        Auth::Cookie(cookie)
    }

    pub async fn org(&self, name: &str, domain: &str) -> i64 {
        let fields = frontline_app::directory::OrgFields { name: name.into(), domains: vec![domain.into()], notes: String::new() };
        self.app.create_org(&system_actor(), &fields).await.expect("org").id
    }

    /// Serve the app on a real loopback port (browser tests).
    pub async fn serve(&self) -> (String, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let state =
            frontline_web::AppState::new(self.app.clone(), frontline_web::WebConfig { base_url: base.clone(), secure_cookies: false });
        let router = frontline_web::router(state);
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await;
        });
        (base, handle)
    }
}

/// A job that gave up (`failed_at` set): `(id, kind, last_error)`.
type DeadJob = (i64, String, Option<String>);

async fn dead_jobs(url: &str) -> Result<Vec<DeadJob>, sqlx::Error> {
    use sqlx::Connection;
    const SQL: &str = "SELECT id, kind, last_error FROM jobs WHERE failed_at IS NOT NULL ORDER BY id";
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        let rows = sqlx::query_as(SQL).fetch_all(&mut c).await;
        let _ = c.close().await;
        rows
    } else {
        let mut c = sqlx::PgConnection::connect(url).await?;
        let rows = sqlx::query_as(SQL).fetch_all(&mut c).await;
        let _ = c.close().await;
        rows
    }
}

/// A job that failed for good is an error nobody asserted on (a broken
/// template, a payload the handler cannot read): the test that caused it
/// fails here, with the job's error, unless it called `allow_failed_jobs`.
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() || self.failed_jobs_expected.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let url = self.db.url.clone();
        // Drop runs outside async: a short-lived runtime on its own thread.
        let found = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            rt.block_on(dead_jobs(&url)).map_err(|e| e.to_string())
        })
        .join();
        match found {
            Ok(Ok(dead)) if !dead.is_empty() => {
                let list: Vec<String> = dead
                    .iter()
                    .map(|(id, kind, error)| format!("job {id} ({kind}): {}", error.as_deref().unwrap_or("no error recorded")))
                    .collect();
                panic!(
                    "the test left {} job(s) failed for good; call TestApp::allow_failed_jobs if that is expected:\n{}",
                    dead.len(),
                    list.join("\n")
                );
            }
            Ok(Ok(_)) => {}
            // The database is gone or unreadable (a test that replaced it): nothing to check, but say so.
            Ok(Err(e)) => {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "TestApp: could not check for failed jobs: {e}");
            }
            Err(_) => panic!("TestApp: the failed-job check panicked"),
        }
    }
}
