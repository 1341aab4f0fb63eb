//! Fresh databases for the seed tests, from the shared test kit: a SQLite
//! file, or (when FRONTLINE_TEST_POSTGRES_URL is set, always in CI) a
//! PostgreSQL database created for the test and dropped afterwards.

#![allow(dead_code)]

use frontline_app::{App, AppConfig};
use frontline_store::Store;

pub struct TestDb {
    pub store: Store,
    _db: frontline_testkit::TestDb,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let db = frontline_testkit::TestDb::sqlite().await;
        TestDb { store: db.store().await, _db: db }
    }

    /// None (after saying so, or failing in CI) when no PostgreSQL server is configured.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let db = frontline_testkit::TestDb::postgres(test).await?;
        Some(TestDb { store: db.store().await, _db: db })
    }

    pub fn app(&self) -> App {
        App::new(self.store.clone(), AppConfig { fast_password_hashing: true, ..Default::default() })
    }

    pub async fn close(self) {
        self.store.close().await;
    }
}
