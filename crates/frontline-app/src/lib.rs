//! Use cases. Each public method takes the acting user, asks the domain
//! whether the action is allowed, parses the input, and calls the store in
//! one transaction. The web app, the API and the CLI all come through here.

pub mod assignment;
pub mod auth;
mod customers;
pub mod directory;
pub mod error;
pub mod escalation;
mod finisher;
pub mod help;
pub mod idempotency;
pub mod import;
pub mod ingest;
pub mod jobs;
pub mod mail;
pub mod mail_templates;
pub mod notifications;
pub mod password_reset;
pub mod rules;
pub mod scheduler;
pub mod sla;
pub mod sla_config;
mod throttle;
pub mod tickets;
pub mod views;
pub mod workload;

use std::sync::Arc;

pub use error::AppError;
pub use frontline_store as store;
use frontline_store::Store;
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Cheap password hashing for tests only.
    pub fast_password_hashing: bool,
    pub session_days: i64,
    /// Failed sign-ins per (email, client address) within
    /// `login_window_minutes` before that pair waits.
    pub login_max_failures: i64,
    /// Failed sign-ins per client address (any email) within the window.
    pub login_max_failures_per_address: i64,
    pub login_window_minutes: i64,
    /// How long a password reset link works.
    pub reset_link_minutes: i64,
    /// How long the link in an invitation (a user added without a password) works.
    pub invitation_days: i64,
    /// The public URL, for links in mails.
    pub public_url: String,
    /// How big and how many files a message may carry.
    pub attachment_limits: frontline_domain::attachment::Limits,
    /// Frontline's own mail addresses (sender, mailboxes): never made into
    /// customers or followers, and mail from them is never taken in.
    pub own_addresses: Vec<String>,
    /// How the background job runner runs (workers, lease).
    pub runner: crate::jobs::RunnerConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            fast_password_hashing: false,
            session_days: 14,
            login_max_failures: 5,
            login_max_failures_per_address: 50,
            login_window_minutes: 15,
            reset_link_minutes: 60,
            invitation_days: 7,
            public_url: "http://127.0.0.1:8080".into(),
            attachment_limits: Default::default(),
            own_addresses: vec![],
            runner: Default::default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct App {
    /// Only the use cases reach the store; binaries and tests that need it
    /// raw (benchmarks, checks) keep the `Store` they made the app from.
    pub(crate) store: Store,
    pub config: AppConfig,
    /// Password hashing is CPU- and memory-heavy; bound how many run at once.
    hashing: Arc<Semaphore>,
    /// Outgoing mail; without one, no notifications are queued.
    pub(crate) mailer: Option<Arc<dyn mail::Mailer>>,
    pub(crate) base_url: String,
    /// How each kind of background job runs.
    pub(crate) jobs: Arc<jobs::JobRegistry>,
}

impl AppConfig {
    pub fn is_own_address(&self, address: &str) -> bool {
        self.own_addresses.iter().any(|a| a.eq_ignore_ascii_case(address.trim()))
    }
}

impl App {
    pub fn new(store: Store, config: AppConfig) -> Self {
        let base_url = config.public_url.clone();
        let jobs = Arc::new(jobs::JobRegistry::standard());
        App { store, config, hashing: Arc::new(Semaphore::new(2)), mailer: None, base_url, jobs }
    }

    /// Now, from the clock the store was given (the one time source of the
    /// app and its store; a test clock in tests).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.store.now()
    }

    pub fn clock(&self) -> Arc<dyn frontline_domain::clock::Clock> {
        self.store.clock()
    }

    pub fn with_mailer(mut self, mailer: Arc<dyn mail::Mailer>) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// Readiness: the database answers. For `/readyz`, which has no actor.
    pub async fn ready(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// Which database engine serves the app, for logs.
    pub fn engine(&self) -> frontline_store::Engine {
        self.store.engine()
    }

    /// The background job queue's figures, for `/metrics` (which has no
    /// actor; the web layer checks who may scrape).
    pub async fn job_queue_stats(&self) -> Result<frontline_store::stats::JobQueueStats> {
        Ok(self.store.job_queue_stats().await?)
    }

    /// The SQLite write-ahead log's size (None on PostgreSQL), for `/metrics`.
    pub async fn sqlite_wal_bytes(&self) -> Result<Option<u64>> {
        Ok(self.store.sqlite_wal_bytes().await?)
    }

    /// Close the database connections (the CLI and the server, at their end).
    pub async fn close(&self) {
        self.store.close().await
    }
}

pub type Result<T> = std::result::Result<T, AppError>;
