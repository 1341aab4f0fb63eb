//! Idempotency keys of API writes. A request with a key first claims it
//! here; a write that supports it marks the key `committed` (with the id of
//! what it created) inside its own transaction, so a write that committed
//! is never run again even when the process died before its answer was
//! stored; the answer is stored afterwards (`done`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::{Store, StoreError};

/// A claimed key, handed to the write that runs under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyMark {
    pub scope: String,
    pub key: String,
    /// This attempt's claim; the write commits only while it still holds it.
    pub claim: String,
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Begin {
    /// The key is ours: run the request.
    Run(IdempotencyMark),
    /// An earlier attempt committed but its answer was not stored: answer
    /// from `resource_id` without writing again.
    Rebuild { mark: IdempotencyMark, resource_id: i64 },
    /// The stored answer of an earlier attempt.
    Replay { status: u16, body: String },
    /// An attempt that is still running holds the key.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Advisory-lock namespace ("FLIK") under which PostgreSQL instances hold
/// their owner id while they live.
const PG_LOCK_CLASS: i32 = 0x464C_494B;

/// This process (or router) as the owner of running keys. On PostgreSQL it
/// holds an advisory lock on a connection of its own for as long as it
/// lives, so other instances can tell a dead owner's keys (the lock is
/// released when the process dies) from a live one's. On SQLite only one
/// process serves a database, so another owner means a dead one.
#[derive(Debug)]
pub struct IdempotencyOwner {
    id: i32,
    next: AtomicU64,
    salt: u64,
    _lock: Option<std::sync::Mutex<sqlx::PgConnection>>,
}

impl IdempotencyOwner {
    fn next_claim(&self) -> String {
        format!("{}-{:016x}-{}", self.id, self.salt, self.next.fetch_add(1, Ordering::Relaxed))
    }
}

fn random_u64() -> u64 {
    // RandomState is seeded from the OS per instance: enough to tell owners apart.
    RandomState::new().build_hasher().finish()
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    fingerprint: String,
    state: String,
    owner: String,
    resource_id: Option<i64>,
    response_status: Option<i32>,
    response_body: Option<String>,
    claim: String,
}

/// Inside a write transaction: record that the write under `$mark` (an
/// `Option<IdempotencyMark>`) committed and what it produced. Fails, rolling
/// the write back, when another attempt took the key over meanwhile.
macro_rules! mark_idempotent {
    ($tx:expr, $mark:expr, $resource:expr) => {
        if let Some(m) = $mark {
            let n = sqlx::query(
                "UPDATE idempotency_keys SET state = 'committed', resource_id = $1 \
                 WHERE scope = $2 AND idem_key = $3 AND claim = $4 AND state = 'running'",
            )
            .bind($resource)
            .bind(&m.scope)
            .bind(&m.key)
            .bind(&m.claim)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(frontline_domain::DomainError::conflict(
                    "Idempotency-Key",
                    "another attempt with this Idempotency-Key took it over; retry to get its answer",
                )
                .into());
            }
        }
    };
}

impl Store {
    /// The owner for this instance's keys (see `IdempotencyOwner`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotency_owner(&self) -> Result<IdempotencyOwner, StoreError> {
        let id = (random_u64() & 0x7fff_ffff) as i32;
        let lock = match &self.db {
            Db::Sqlite(..) => None,
            Db::Postgres(pool) => {
                // Detached: the pool neither counts it nor hands it out.
                let mut conn = pool.acquire().await?.detach();
                sqlx::query("SELECT pg_advisory_lock($1, $2)").bind(PG_LOCK_CLASS).bind(id).execute(&mut conn).await?;
                Some(std::sync::Mutex::new(conn))
            }
        };
        Ok(IdempotencyOwner { id, next: AtomicU64::new(0), salt: random_u64(), _lock: lock })
    }

    /// Claim `key` for a request with `fingerprint`, or say why not.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn begin_idempotent(&self, owner: &IdempotencyOwner, scope: &str, key: &str, fingerprint: &str) -> Result<Begin, StoreError> {
        let mark = IdempotencyMark { scope: scope.to_string(), key: key.to_string(), claim: owner.next_claim() };
        let pg = matches!(self.db, Db::Postgres(_));
        let select = if pg {
            "SELECT fingerprint, state, owner, resource_id, response_status, response_body, claim FROM idempotency_keys \
             WHERE scope = $1 AND idem_key = $2 FOR UPDATE"
        } else {
            "SELECT fingerprint, state, owner, resource_id, response_status, response_body, claim FROM idempotency_keys \
             WHERE scope = $1 AND idem_key = $2"
        };
        let begin = with_tx!(self, |tx| {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (scope, idem_key, fingerprint, state, owner, claim, created_at) \
                 VALUES ($1, $2, $3, 'running', $4, $5, $6) ON CONFLICT (scope, idem_key) DO NOTHING",
            )
            .bind(scope)
            .bind(key)
            .bind(fingerprint)
            .bind(owner.id.to_string())
            .bind(&mark.claim)
            .bind(self.now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                Begin::Run(mark)
            } else {
                let row: KeyRow = sqlx::query_as(select).bind(scope).bind(key).fetch_one(&mut *tx).await?;
                if row.fingerprint != fingerprint {
                    Begin::Mismatch
                } else {
                    match row.state.as_str() {
                        "done" => Begin::Replay {
                            status: u16::try_from(row.response_status.unwrap_or(500)).unwrap_or(500),
                            body: row.response_body.unwrap_or_default(),
                        },
                        "committed" => Begin::Rebuild {
                            mark: IdempotencyMark { claim: row.claim, ..mark },
                            resource_id: row.resource_id.unwrap_or_default(),
                        },
                        _ => {
                            let alive = if row.owner == owner.id.to_string() {
                                true
                            } else if pg {
                                let other: i64 = row.owner.parse().unwrap_or(-1);
                                sqlx::query_scalar::<_, bool>(
                                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
                                     AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                                     AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 2)",
                                )
                                .bind(i64::from(PG_LOCK_CLASS))
                                .bind(other)
                                .fetch_one(&mut *tx)
                                .await?
                            } else {
                                false
                            };
                            if alive {
                                Begin::InProgress
                            } else {
                                // Its owner died before the write committed (a
                                // committed write would have said so): run it again.
                                sqlx::query("UPDATE idempotency_keys SET owner = $1, claim = $2 WHERE scope = $3 AND idem_key = $4")
                                    .bind(owner.id.to_string())
                                    .bind(&mark.claim)
                                    .bind(scope)
                                    .bind(key)
                                    .execute(&mut *tx)
                                    .await?;
                                Begin::Run(mark)
                            }
                        }
                    }
                }
            }
        });
        Ok(begin)
    }

    /// Store the answer of the attempt that holds `mark`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn finish_idempotent(&self, mark: &IdempotencyMark, status: u16, body: &str) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            sqlx::query(
                "UPDATE idempotency_keys SET state = 'done', response_status = $1, response_body = $2 \
                 WHERE scope = $3 AND idem_key = $4 AND claim = $5 AND state IN ('running', 'committed')",
            )
            .bind(i32::from(status))
            .bind(body)
            .bind(&mark.scope)
            .bind(&mark.key)
            .bind(&mark.claim)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Give the key back when the attempt wrote nothing (it failed or was
    /// cut off); a committed write keeps its key.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn abandon_idempotent(&self, mark: &IdempotencyMark) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND claim = $3 AND state = 'running'")
                .bind(&mark.scope)
                .bind(&mark.key)
                .bind(&mark.claim)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Remove keys created before `before` (housekeeping).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = with_tx!(self, |tx| {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(&mut *tx).await?.rows_affected()
        });
        Ok(n)
    }
}
