//! Test harness: a fresh database per test (a SQLite file, or a new
//! PostgreSQL database when FRONTLINE_TEST_POSTGRES_URL is set), the whole
//! app in-process for HTTP tests, the app on a real port for the browser,
//! and a headless Chromium driven through Debian's chromedriver.

pub mod browser;
mod clock;
mod db;
mod http;
pub mod imap;
mod outbox;
pub mod smtp;
pub mod stall_proxy;
pub mod tls;

pub use clock::TestClock;
pub use db::{Engine, TestDb};
pub use http::{Auth, BASE_URL, MAILBOX, PASSWORD, TestApp, TestResponse};
pub use outbox::Outbox;

/// True when running in CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Say loudly that a test was skipped, or fail it in CI.
pub fn skip(test: &str, why: &str) {
    if in_ci() {
        panic!("{test}: cannot be skipped in CI: {why}");
    }
    // Written to the raw stderr handle: the test harness captures eprintln!
    // of passing tests, and a skip must be seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// Define a test that runs once on SQLite and once on PostgreSQL.
/// `$body` is an async fn taking a `TestDb`.
#[macro_export]
macro_rules! on_both_engines {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::TestDb::sqlite().await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::postgres(concat!(module_path!())).await {
                    super::$body(db).await
                }
            }
        }
    };
}
