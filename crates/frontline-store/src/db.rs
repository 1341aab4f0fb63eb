use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use frontline_domain::DomainError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database. Cheap to clone (pools are shared).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    /// SQLite allows one writer at a time. Queueing writers here, in order,
    /// beats letting them spin in SQLite's busy handler, whose sleeps grow
    /// to 100 ms under contention.
    pub(crate) sqlite_writer: Arc<tokio::sync::Mutex<()>>,
    /// SQLite only: ticket creations go through the group-commit writer.
    pub(crate) ticket_writer: Option<crate::writer::TicketQueue>,
}

/// Current time, truncated to microseconds so that both engines store and
/// return the same value.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Run `$body` with `$p` bound to whichever pool this store has.
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.db {
            $crate::db::Db::Sqlite($p) => $body,
            $crate::db::Db::Postgres($p) => $body,
        }
    };
}

/// Run `$body` in a write transaction (`BEGIN IMMEDIATE` on SQLite, so a
/// read-then-write never fails with SQLITE_BUSY) and commit when it
/// finishes; an early return or `?` rolls back.
macro_rules! with_tx {
    ($store:expr, |$tx:ident| $body:block) => {
        match &$store.db {
            $crate::db::Db::Sqlite(pool) => {
                let _writer = $store.sqlite_writer.lock().await;
                #[allow(unused_mut)]
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::db::Db::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// Copy the WAL into the database file every half second without blocking
/// writers (PASSIVE), so the WAL stays small; ends when the pool closes.
async fn checkpoint_loop(pool: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        if pool.is_closed() {
            break;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                break;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

impl Store {
    /// Connect to `sqlite://path` or `postgres://...`, creating the SQLite
    /// file when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?.options([("statement_timeout", "30s")]);
            let pool =
                PgPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(10)).connect_with(opts).await?;
            Ok(Store { db: Db::Postgres(pool), sqlite_writer: Arc::default(), ticket_writer: None })
        } else {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-65536")
                // Checkpoints run in the background (below), not inside a
                // writer's commit, where they would stall every writer queued behind it.
                .pragma("wal_autocheckpoint", "0");
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            tokio::spawn(checkpoint_loop(pool.clone()));
            let sqlite_writer: Arc<tokio::sync::Mutex<()>> = Arc::default();
            let ticket_writer = Some(crate::writer::start(pool.clone(), sqlite_writer.clone()));
            Ok(Store { db: Db::Sqlite(pool), sqlite_writer, ticket_writer })
        }
    }

    pub fn engine(&self) -> Engine {
        match self.db {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Migrate only when the newest migration is not applied yet. For short
    /// processes (one per piped mail) that cannot spend the full check's
    /// milliseconds every time; `serve` and `migrate` run the full one.
    pub async fn migrate_if_behind(&self) -> Result<(), StoreError> {
        let newest = match &self.db {
            Db::Sqlite(_) => sqlx::migrate!("migrations/sqlite").iter().map(|m| m.version).max(),
            Db::Postgres(_) => sqlx::migrate!("migrations/postgres").iter().map(|m| m.version).max(),
        };
        // No table yet (a new database) reads as nothing applied.
        let applied: Option<i64> =
            with_pool!(self, |p| sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(p).await)
                .ok()
                .flatten();
        if applied.is_some() && applied == newest {
            return Ok(());
        }
        self.migrate().await
    }

    /// Readiness: the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, |p| sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, |p| p.close().await)
    }

    /// Tables and their columns, for the test that keeps both schemas equal.
    pub async fn schema_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = match &self.db {
            Db::Sqlite(p) => {
                sqlx::query_as(
                    "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '%_fts%' \
                     AND m.name <> '_sqlx_migrations' ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?
            }
            Db::Postgres(p) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
                     AND column_name <> 'search' ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows)
    }
}
