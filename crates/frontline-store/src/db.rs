use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use frontline_domain::DomainError;
use frontline_domain::clock::{Clock, SystemClock};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
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
    /// The database cannot be used from here now: a lock file cannot be taken.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The group-commit writer task is gone (the runtime is shutting down,
    /// or it panicked): no ticket can be created through this store.
    #[error("the ticket writer has stopped")]
    WriterStopped,
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
    /// SQLite: a pool of read-only connections for reads, and the writer.
    Sqlite(SqlitePool, Arc<crate::sqlite::Writer>),
    Postgres(PgPool),
}

/// The database. Cheap to clone (pools are shared).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    /// Ticket creations go through the group-commit lanes (`writer.rs`) on
    /// both engines.
    pub(crate) ticket_writer: Arc<crate::writer::TicketQueue>,
    /// Where every timestamp the store writes comes from.
    pub(crate) clock: Arc<dyn Clock>,
    /// Told after a commit that queued jobs, so this process's job runner
    /// starts on them at once instead of at its next poll.
    pub(crate) jobs_queued: Arc<tokio::sync::Notify>,
}

impl Store {
    /// The same store, reading the time from `clock` (the system clock by
    /// default). Set it before use: the app and tests share one clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Current time, truncated to microseconds so that both engines store
    /// and return the same value.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }
}

/// A write transaction (`with_tx!`) that remembers whether it queued a
/// job (`enqueue_job!`), so that the store wakes this process's job runner
/// once it has committed: any job, whatever wrote it. It derefs to the
/// connection, as sqlx's transaction does (`&mut *tx`).
pub(crate) struct Tx<'c, DB: sqlx::Database> {
    inner: sqlx::Transaction<'c, DB>,
    queued_jobs: bool,
}

impl<'c, DB: sqlx::Database> Tx<'c, DB> {
    pub(crate) fn new(inner: sqlx::Transaction<'c, DB>) -> Self {
        Tx { inner, queued_jobs: false }
    }

    /// Commit; true when the transaction queued a job.
    pub(crate) async fn commit(self) -> Result<bool, sqlx::Error> {
        self.inner.commit().await?;
        Ok(self.queued_jobs)
    }
}

impl<DB: sqlx::Database> std::ops::Deref for Tx<'_, DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.inner
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for Tx<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.inner
    }
}

/// What `enqueue_job!` tells the transaction it writes in.
pub(crate) trait QueuesJobs {
    fn job_queued(&mut self);
}

impl<DB: sqlx::Database> QueuesJobs for Tx<'_, DB> {
    fn job_queued(&mut self) {
        self.queued_jobs = true;
    }
}

/// A bare connection is a writer lane's (`writer.rs`), which wakes the
/// runner itself after its batch commits.
impl QueuesJobs for sqlx::SqliteConnection {
    fn job_queued(&mut self) {}
}

impl QueuesJobs for sqlx::PgConnection {
    fn job_queued(&mut self) {}
}

/// Run `$body` with `$p` bound to whichever pool this store reads from. On
/// SQLite its connections are read-only: a write here fails in every test.
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.db {
            $crate::db::Db::Sqlite($p, _) => $body,
            $crate::db::Db::Postgres($p) => $body,
        }
    };
}

/// Run one writing statement outside a transaction (`$p` is a pool): on
/// SQLite on the writer connection, in its turn.
macro_rules! with_writer {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.db {
            $crate::db::Db::Sqlite(_, writer) => {
                let _turn = writer.lock.lock().await;
                let $p = &writer.pool;
                let out = $body;
                writer.after_commit().await;
                out
            }
            $crate::db::Db::Postgres($p) => $body,
        }
    };
}

/// Run `$body` in a write transaction and commit when it finishes; an early
/// return or `?` rolls back. On SQLite it runs on the one writer connection,
/// after the writers queued before it, with `BEGIN IMMEDIATE` (so a
/// read-then-write never fails with SQLITE_BUSY), and keeps the WAL bounded
/// after the commit.
macro_rules! with_tx {
    ($store:expr, |$tx:ident| $body:block) => {
        match &$store.db {
            $crate::db::Db::Sqlite(_, writer) => {
                let _turn = writer.lock.lock().await;
                #[allow(unused_mut)]
                let mut $tx = $crate::db::Tx::new(writer.pool.begin_with("BEGIN IMMEDIATE").await?);
                let out = $body;
                let queued_jobs = $tx.commit().await?;
                writer.after_commit().await;
                if queued_jobs {
                    $store.jobs_queued.notify_one();
                }
                out
            }
            $crate::db::Db::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $tx = $crate::db::Tx::new(pool.begin().await?);
                let out = $body;
                if $tx.commit().await? {
                    $store.jobs_queued.notify_one();
                }
                out
            }
        }
    };
}

impl Store {
    /// Connect to `sqlite://path` or `postgres://...`, creating the SQLite
    /// file when missing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?.options([("statement_timeout", "30s")]);
            let pool =
                PgPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(10)).connect_with(opts).await?;
            let jobs_queued = Arc::new(tokio::sync::Notify::new());
            let ticket_writer = crate::writer::start_postgres(pool.clone(), jobs_queued.clone());
            Ok(Store { db: Db::Postgres(pool), ticket_writer, clock: Arc::new(SystemClock), jobs_queued })
        } else {
            let (readers, writer) = crate::sqlite::open(url, max_connections).await?;
            let jobs_queued = Arc::new(tokio::sync::Notify::new());
            let ticket_writer = crate::writer::start_sqlite(writer.clone(), jobs_queued.clone());
            Ok(Store { db: Db::Sqlite(readers, writer), ticket_writer, clock: Arc::new(SystemClock), jobs_queued })
        }
    }

    pub fn engine(&self) -> Engine {
        match self.db {
            Db::Sqlite(..) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Bring the schema up to date. Several processes may start on a new
    /// database at once (piped mails): PostgreSQL's migrator takes an
    /// advisory lock, and on SQLite a file lock next to the database.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(_, w) => {
                let _lock = w.migration_lock().await?;
                sqlx::migrate!("migrations/sqlite").run(&w.pool).await?
            }
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Migrate only when the newest migration is not applied yet. For short
    /// processes (one per piped mail) that cannot spend the full check's
    /// milliseconds every time; `serve` and `migrate` run the full one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn migrate_if_behind(&self) -> Result<(), StoreError> {
        let newest = match &self.db {
            Db::Sqlite(..) => sqlx::migrate!("migrations/sqlite").iter().map(|m| m.version).max(),
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

    /// Migrations applied so far, as (version, description), oldest first;
    /// none on a new database.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn applied_migrations(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let rows: Result<Vec<(i64, String)>, sqlx::Error> =
            with_pool!(self, |p| sqlx::query_as("SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(p)
                .await);
        match rows {
            Ok(rows) => Ok(rows),
            // No table yet: nothing was ever applied.
            Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => Ok(vec![]),
            Err(e) => Err(e.into()),
        }
    }

    /// Readiness: the database answers.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, |p| sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(readers, writer) => {
                readers.close().await;
                writer.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}
