use frontline_store::Store;
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub engine: Engine,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("frontline.db").display());
        TestDb { engine: Engine::Sqlite, url, _dir: Some(dir), drop_pg: None }
    }

    /// A new, empty PostgreSQL database; None (after saying so) when
    /// FRONTLINE_TEST_POSTGRES_URL is not set outside CI.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("FRONTLINE_TEST_POSTGRES_URL") else {
            crate::skip(test, "FRONTLINE_TEST_POSTGRES_URL is not set, so the PostgreSQL variant did not run");
            return None;
        };
        let name = format!("frontline_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect to FRONTLINE_TEST_POSTGRES_URL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.expect("create test database");
        let _ = conn.close().await;
        let url = match admin_url.rfind('/') {
            Some(i) if admin_url[..i].contains("://") && i > admin_url.find("://").map(|p| p + 2).unwrap_or(0) => {
                let query = admin_url[i..].find('?').map(|q| &admin_url[i + q..]).unwrap_or("");
                format!("{}/{name}{query}", &admin_url[..i])
            }
            _ => format!("{}/{name}", admin_url.trim_end_matches('/')),
        };
        Some(TestDb { engine: Engine::Postgres, url, _dir: None, drop_pg: Some((admin_url, name)) })
    }

    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url, 5).await.expect("connect test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_pg.take() {
            // Drop runs outside async: use a short-lived runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async move {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                            .execute(&mut conn)
                            .await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}
