//! Use cases. Each public method takes the acting user, asks the domain
//! whether the action is allowed, parses the input, and calls the store in
//! one transaction. The web app, the API and the CLI all come through here.

pub mod auth;
mod customers;
pub mod directory;
pub mod error;
mod finisher;
pub mod ingest;
pub mod jobs;
pub mod mail;
pub mod mail_templates;
pub mod password_reset;
pub mod tickets;

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
            public_url: "http://127.0.0.1:8080".into(),
            attachment_limits: Default::default(),
            own_addresses: vec![],
            runner: Default::default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct App {
    pub store: Store,
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
}

pub type Result<T> = std::result::Result<T, AppError>;
