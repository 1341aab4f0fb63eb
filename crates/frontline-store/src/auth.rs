//! Sessions, API tokens and login attempts. Only hashes of secrets are stored.

use chrono::{DateTime, Duration, Utc};

use crate::rows::UserRow;
use crate::{ApiToken, Audit, Store, StoreError, User};

impl Store {
    pub async fn create_session(&self, token_hash: &str, user_id: i64, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        with_writer!(self, |p| {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash)
                .bind(user_id)
                .bind(self.now())
                .bind(expires_at)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The active user behind an unexpired session.
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
        row.map(User::try_from).transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

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

    /// Record an attempt as failed before the password is checked, so that
    /// parallel guesses count at once; `login_succeeded` flips it afterwards.
    pub async fn record_login_attempt(&self, email: &str, ip: &str) -> Result<i64, StoreError> {
        Ok(with_writer!(self, |p| sqlx::query_scalar(
            "INSERT INTO login_attempts (email, ip, succeeded, at) VALUES ($1, $2, FALSE, $3) RETURNING id"
        )
        .bind(email)
        .bind(ip)
        .bind(self.now())
        .fetch_one(p)
        .await)?)
    }

    pub async fn login_succeeded(&self, attempt_id: i64) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("UPDATE login_attempts SET succeeded = TRUE WHERE id = $1")
            .bind(attempt_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Failed sign-ins for this email since its last success within the window.
    pub async fn recent_login_failures(&self, email: &str, window: Duration) -> Result<i64, StoreError> {
        let since = self.now() - window;
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT count(*) FROM login_attempts WHERE email = $1 AND at > $2 AND succeeded = FALSE \
             AND at > COALESCE((SELECT max(at) FROM login_attempts WHERE email = $1 AND succeeded = TRUE), $2)",
            )
            .bind(email)
            .bind(since)
            .fetch_one(p)
            .await
        })?)
    }
}
