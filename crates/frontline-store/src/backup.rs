//! Backup and restore of a SQLite database. A backup is an online,
//! consistent copy (`VACUUM INTO` reads one snapshot; writers go on); a
//! restore checks the file is a healthy Frontline database no newer than
//! this binary and swaps it in atomically. PostgreSQL has pg_dump and
//! pg_restore for this, which the CLI points to.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use crate::db::Db;
use crate::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists; pass --force to overwrite it")]
    Exists(PathBuf),
    #[error("backups of PostgreSQL are made with pg_dump")]
    NotSqlite,
    #[error("a Frontline server is using {0}; stop it first")]
    InUse(PathBuf),
    #[error("{path} is not a Frontline backup: {why}")]
    NotFrontline { path: PathBuf, why: String },
    #[error("{0} was made by a newer Frontline (migration {1}); upgrade this binary first")]
    TooNew(PathBuf, i64),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

/// The file of a `sqlite://` URL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// A temp file next to `target`, so the final rename stays on one file system.
fn temp_beside(target: &Path, what: &str) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "frontline.db".into());
    target.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// Make a rename durable: fsync the folder that holds the entry.
fn sync_dir(path: &Path) -> Result<(), BackupError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// The lock a server holds on its SQLite database for as long as it runs
/// (an OS lock on `<db>.lock`, released even when the process is killed).
/// A restore takes the same lock, so it refuses while a server runs and no
/// server starts during a restore.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

pub fn lock_sqlite_database(db: &Path) -> Result<DatabaseLock, BackupError> {
    let lock_path = PathBuf::from(format!("{}.lock", db.display()));
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(io(&lock_path))?;
    match file.try_lock() {
        Ok(()) => Ok(DatabaseLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::InUse(db.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(BackupError::Io { path: lock_path, source: e }),
    }
}

impl Store {
    /// Write a consistent copy of the SQLite database to `to` while it is in
    /// use: first to a temp file beside `to`, renamed into place when complete.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn backup_sqlite(&self, to: &Path, overwrite: bool) -> Result<(), BackupError> {
        let Db::Sqlite(pool, _) = &self.db else { return Err(BackupError::NotSqlite) };
        if !overwrite && to.exists() {
            return Err(BackupError::Exists(to.to_path_buf()));
        }
        let temp = temp_beside(to, "backup");
        match std::fs::remove_file(&temp) {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(io(&temp)(e)),
            _ => {}
        }
        let temp_str = temp.to_str().ok_or_else(|| BackupError::Io {
            path: temp.clone(),
            source: std::io::Error::new(ErrorKind::InvalidInput, "the path is not UTF-8"),
        })?;
        // A read: one snapshot of the database, taken without blocking writers.
        let copied = sqlx::query("VACUUM INTO $1").bind(temp_str).execute(pool).await;
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&temp);
            return Err(StoreError::from(e).into());
        }
        let finish = || -> Result<(), BackupError> {
            File::open(&temp).and_then(|f| f.sync_all()).map_err(io(&temp))?;
            if overwrite {
                std::fs::rename(&temp, to).map_err(io(to))?;
            } else {
                // A hard link never replaces a file that appeared meanwhile.
                std::fs::hard_link(&temp, to).map_err(|e| match e.kind() {
                    ErrorKind::AlreadyExists => BackupError::Exists(to.to_path_buf()),
                    _ => io(to)(e),
                })?;
                std::fs::remove_file(&temp).map_err(io(&temp))?;
            }
            sync_dir(to)
        };
        let result = finish();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }
}

/// What a backup file holds.
#[derive(Debug, Clone)]
pub struct BackupInfo {
    /// Newest migration applied to it.
    pub version: i64,
    pub tickets: i64,
}

/// Check that `path` is a healthy Frontline SQLite database that this binary
/// can run: integrity_check passes and its migrations are ours, none newer.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_sqlite_backup(path: &Path) -> Result<BackupInfo, BackupError> {
    let not = |why: String| BackupError::NotFrontline { path: path.to_path_buf(), why };
    if !path.is_file() {
        return Err(not("no such file".into()));
    }
    let opts = SqliteConnectOptions::from_str("sqlite://").map_err(StoreError::from)?.filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&opts).await.map_err(|e| not(e.to_string()))?;
    let result = check_open(&mut conn, path).await;
    let _ = conn.close().await;
    result
}

async fn check_open(conn: &mut SqliteConnection, path: &Path) -> Result<BackupInfo, BackupError> {
    let not = |why: String| BackupError::NotFrontline { path: path.to_path_buf(), why };
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| not(format!("not an SQLite database ({e})")))?;
    if integrity != ["ok"] {
        return Err(not(format!("integrity_check failed: {}", integrity.join("; "))));
    }
    let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(&mut *conn)
        .await
        .map_err(|_| not("it has no Frontline migrations table".into()))?;
    let ours = sqlx::migrate!("migrations/sqlite");
    let newest_ours = ours.iter().map(|m| m.version).max().unwrap_or(0);
    let mut version = 0;
    for (v, checksum) in &applied {
        match ours.iter().find(|m| m.version == *v) {
            Some(m) if m.checksum.as_ref() == checksum.as_slice() => version = *v,
            Some(_) => return Err(not(format!("its migration {v} is not Frontline's"))),
            None if *v > newest_ours => return Err(BackupError::TooNew(path.to_path_buf(), *v)),
            None => return Err(not(format!("its migration {v} is unknown to this Frontline"))),
        }
    }
    if applied.is_empty() {
        return Err(not("no migrations were applied to it".into()));
    }
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets").fetch_one(&mut *conn).await.map_err(|e| not(e.to_string()))?;
    Ok(BackupInfo { version, tickets })
}

/// Replace the SQLite database at `db` with the backup `from` (checked
/// first), atomically; the caller holds the database lock and migrates after.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn restore_sqlite(from: &Path, db: &Path) -> Result<BackupInfo, BackupError> {
    let info = check_sqlite_backup(from).await?;
    let temp = temp_beside(db, "restore");
    let copy = || -> Result<(), BackupError> {
        std::fs::copy(from, &temp).map_err(io(&temp))?;
        File::open(&temp).and_then(|f| f.sync_all()).map_err(io(&temp))?;
        // The old database's WAL must not be replayed onto the new file.
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", db.display()));
            match std::fs::remove_file(&side) {
                Err(e) if e.kind() != ErrorKind::NotFound => return Err(io(&side)(e)),
                _ => {}
            }
        }
        std::fs::rename(&temp, db).map_err(io(db))?;
        sync_dir(db)
    };
    let result = copy();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map(|()| info)
}
