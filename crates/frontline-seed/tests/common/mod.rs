//! Fresh databases for the seed tests: a SQLite file in a temporary
//! directory, and (when FRONTLINE_TEST_POSTGRES_URL is set) a PostgreSQL
//! database created for the test and dropped afterwards, even when the
//! test fails.

#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use frontline_app::{App, AppConfig};
use frontline_store::Store;
use sqlx::Connection;

pub const PG_ENV: &str = "FRONTLINE_TEST_POSTGRES_URL";

pub struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("seed.db").display());
        let store = Store::connect(&url, 4).await.expect("connect sqlite");
        store.migrate().await.expect("migrate sqlite");
        TestDb { store, _dir: Some(dir), _pg: None }
    }

    /// None (after saying so) when no PostgreSQL server is configured.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(PG_ENV) else {
            eprintln!(
                "{test}: PostgreSQL variant skipped: {PG_ENV} is not set (CI sets it, e.g. postgres://postgres@127.0.0.1:5432/postgres)"
            );
            return None;
        };
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or_default();
        let name = format!("fl_seed_{}_{}_{}", test, std::process::id(), nanos);
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.expect("create database");
        conn.close().await.ok();
        let guard = PgDatabase { admin_url: admin_url.clone(), name: name.clone() };
        let store = Store::connect(&with_database(&admin_url, &name), 4).await.expect("connect to the test database");
        store.migrate().await.expect("migrate postgres");
        Some(TestDb { store, _dir: None, _pg: Some(guard) })
    }

    pub fn app(&self) -> App {
        App::new(self.store.clone(), AppConfig { fast_password_hashing: true, ..Default::default() })
    }

    pub async fn close(self) {
        self.store.close().await;
    }
}

/// The URL with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let host = rest.split_once('/').map(|(h, _)| h).unwrap_or(rest);
    match query {
        Some(q) => format!("{scheme}://{host}/{name}?{q}"),
        None => format!("{scheme}://{host}/{name}"),
    }
}

/// Drops the database when the test ends, passed or failed.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime: use a thread with its own.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(done, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

#[test]
fn database_urls() {
    assert_eq!(with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"), "postgres://postgres@127.0.0.1:5432/x");
    assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(with_database("postgresql://h:5432", "x"), "postgresql://h:5432/x");
}
