//! SQLite's connections. SQLite has one writer at a time, so Frontline has
//! one writer connection per process, taken in turn (`Writer::lock`), and a
//! pool of read-only connections for everything else. Opening the readers
//! read-only makes "every write goes through the writer" a property of the
//! connections rather than a convention: a write that skips the writer
//! fails with SQLITE_READONLY in the first test that runs it.
//!
//! The WAL is kept bounded here too. A checkpoint can only restart the WAL
//! from its beginning when no reader still needs its frames, and under a
//! steady write load that moment never comes for a PASSIVE checkpoint, so
//! the file grew by gigabytes. After a commit, with the writer's turn still
//! held, a WAL over `WAL_TRUNCATE_BYTES` is checkpointed with TRUNCATE,
//! which waits for the readers of old frames (short queries) and empties
//! the file. A background PASSIVE checkpoint on its own connection copies
//! frames meanwhile, so TRUNCATE rarely has much left to copy.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

use crate::StoreError;

/// A WAL larger than this is emptied after the next commit.
pub const WAL_TRUNCATE_BYTES: u64 = 32 * 1024 * 1024;
/// Background PASSIVE checkpoints, between commits.
const PASSIVE_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub(crate) struct Writer {
    /// One connection: the only one in this process that writes.
    pub(crate) pool: SqlitePool,
    /// Writers wait here in order. SQLite's own busy handler would make
    /// them sleep up to 100 ms each under contention.
    pub(crate) lock: Mutex<()>,
    wal_path: Option<PathBuf>,
    lock_path: Option<PathBuf>,
}

fn options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("cache_size", "-65536")
        // Checkpoints are ours (see the module's comment), never inside a
        // commit, where they would stall every writer queued behind it.
        .pragma("wal_autocheckpoint", "0"))
}

/// The read-only pool and the writer of the database at `url`, creating
/// the file when missing.
pub(crate) async fn open(url: &str, max_connections: u32) -> Result<(SqlitePool, std::sync::Arc<Writer>), StoreError> {
    let base = options(url)?;
    let file = base.get_filename().to_path_buf();
    let on_disk = !file.as_os_str().is_empty() && file.as_os_str() != ":memory:";
    // The writer first: it creates the file and switches it to WAL, which
    // read-only connections cannot do.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(base.clone().create_if_missing(true))
        .await?;
    let readers = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(base.clone().read_only(true))
        .await?;
    if on_disk {
        let checkpointer = base.connect().await?;
        tokio::spawn(passive_checkpoints(checkpointer, readers.clone()));
    }
    let name = |suffix: &str| {
        let mut p = file.clone().into_os_string();
        p.push(suffix);
        PathBuf::from(p)
    };
    let writer =
        Writer { pool, lock: Mutex::new(()), wal_path: on_disk.then(|| name("-wal")), lock_path: on_disk.then(|| name("-migrate.lock")) };
    Ok((readers, std::sync::Arc::new(writer)))
}

/// Copy WAL frames into the database without blocking anyone; ends when
/// the store closes.
async fn passive_checkpoints(mut conn: SqliteConnection, readers: SqlitePool) {
    let mut tick = tokio::time::interval(PASSIVE_EVERY);
    loop {
        tick.tick().await;
        if readers.is_closed() {
            break;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut conn).await {
            if readers.is_closed() {
                break;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
    let _ = conn.close().await;
}

impl Writer {
    /// Bytes in the WAL file now (0 when there is none).
    pub(crate) fn wal_bytes(&self) -> u64 {
        self.wal_path.as_ref().and_then(|p| std::fs::metadata(p).ok()).map_or(0, |m| m.len())
    }

    /// Called after each commit with the writer's turn held: empty a WAL
    /// that passed the limit. A failure only means the WAL stays as it is
    /// until the next commit tries again.
    pub(crate) async fn after_commit(&self) {
        if self.wal_bytes() <= WAL_TRUNCATE_BYTES {
            return;
        }
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await {
            Ok((0, _, _)) => {}
            Ok((_, log, done)) => {
                tracing::debug!(frames = log, copied = done, "WAL checkpoint waited for readers; retried after the next commit")
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }

    /// An exclusive lock on a file next to the database, held while
    /// migrating, so that processes starting together on a new database
    /// do not apply the same migration twice.
    pub(crate) async fn migration_lock(&self) -> Result<Option<std::fs::File>, StoreError> {
        let Some(path) = self.lock_path.clone() else { return Ok(None) };
        let locked = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("migration lock task: {e}")))?
        .map_err(|e| StoreError::Unavailable(format!("cannot lock the database for migrations: {e}")))?;
        Ok(Some(locked))
    }

    pub(crate) async fn close(&self) {
        let _turn = self.lock.lock().await;
        self.pool.close().await;
    }
}
