//! Sessions and API tokens. Only hashes of secrets are stored.

use chrono::{DateTime, Duration, Utc};

use crate::rows::UserRow;
use crate::{ApiToken, Audit, Store, StoreError, User};

/// A signed-in session as its user sees it. `id` is the first 16 hex digits
/// of the secret's SHA-256: enough to name it, useless to take it over.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

/// How many hex digits of the hash name a session.
pub const SESSION_ID_LEN: usize = 16;

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
        ip: &str,
        user_agent: &str,
    ) -> Result<(), StoreError> {
        with_writer!(self, |p| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip, user_agent, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $3)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(self.now())
            .bind(expires_at)
            .bind(ip)
            .bind(user_agent)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The user's unexpired sessions, most recently used first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_sessions(&self, user_id: i64) -> Result<Vec<SessionInfo>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT substr(token_hash, 1, 16) AS id, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY COALESCE(last_seen_at, created_at) DESC LIMIT 200"
        )
        .bind(user_id)
        .bind(self.now())
        .fetch_all(p)
        .await)?)
    }

    /// End the user's sessions named by `id` (one), or all but `keep` (a
    /// token hash) when `id` is None. Returns how many ended.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_sessions(&self, user_id: i64, id: Option<&str>, keep: Option<&str>, audit: Option<&Audit>) -> Result<u64, StoreError> {
        let n = with_tx!(self, |tx| {
            let n = match id {
                Some(id) => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND substr(token_hash, 1, 16) = $2")
                    .bind(user_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                None => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user_id)
                    .bind(keep.unwrap_or(""))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            };
            if n > 0 {
                write_audit!(tx, audit, self.now());
            }
            n
        });
        Ok(n)
    }

    /// The active user behind an unexpired session.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = with_pool!(self, |p| {
            sqlx::query_as(concat!(
                user_select!(),
                "JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = TRUE"
            ))
            .bind(token_hash)
            .bind(self.now())
            .fetch_optional(p)
            .await
        })?;
        let Some(user) = row.map(User::try_from).transpose()? else { return Ok(None) };
        // Noted at most once a minute, so page views stay reads.
        let seen: Option<Option<DateTime<Utc>>> =
            with_pool!(self, |p| sqlx::query_scalar("SELECT last_seen_at FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(p)
                .await)?;
        let t = self.now();
        if seen.flatten().is_none_or(|l| l < t - Duration::minutes(1)) {
            with_writer!(self, |p| sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(t)
                .bind(token_hash)
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(Some(user))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
        audit: Option<&Audit>,
    ) -> Result<i64, StoreError> {
        let id = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(prefix)
            .bind(self.now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, audit, self.now());
            id
        });
        Ok(id)
    }

    /// The active user behind an unrevoked token. Notes when the token was
    /// used at most once a minute, so that API reads stay reads (on SQLite a
    /// write on every request would queue behind every other writer).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let token: Option<(i64, Option<DateTime<Utc>>)> = with_pool!(self, |p| sqlx::query_as(
            "SELECT user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await)?;
        let Some((user_id, last_used)) = token else { return Ok(None) };
        let Some(user) = self.get_user(user_id).await?.filter(|u| u.active) else { return Ok(None) };
        let t = self.now();
        if last_used.is_none_or(|l| l < t - Duration::minutes(1)) {
            with_writer!(self, |p| sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                .bind(t)
                .bind(token_hash)
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(Some(user))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC LIMIT 200"
        )
        .bind(user_id)
        .fetch_all(p)
        .await
        })?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_api_token(&self, user_id: i64, token_id: i64, audit: Option<&Audit>) -> Result<bool, StoreError> {
        let n = with_tx!(self, |tx| {
            let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(self.now())
                .bind(token_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                write_audit!(tx, audit, self.now());
            }
            n
        });
        Ok(n == 1)
    }
}
