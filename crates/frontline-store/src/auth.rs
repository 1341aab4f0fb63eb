//! Sessions, API tokens and login attempts. Only hashes of secrets are stored.

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

    /// Record an attempt as failed before the password is checked, so that
    /// parallel guesses count at once; `login_succeeded` flips it afterwards.
    #[tracing::instrument(level = "debug", skip_all)]
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

    /// A sign-in refused by the throttle is no failure: it must not extend the wait.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn forget_login_attempt(&self, attempt_id: i64) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("DELETE FROM login_attempts WHERE id = $1")
            .bind(attempt_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// When the newest `limit` failed sign-ins since `since` happened (newest
    /// first), other than `except`: for one email from one address (since its
    /// last success there), or from one address for any email.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn login_failures(
        &self,
        email: Option<&str>,
        ip: &str,
        since: DateTime<Utc>,
        except: i64,
        limit: i64,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        Ok(match email {
            Some(email) => with_pool!(self, |p| sqlx::query_scalar(
                "SELECT at FROM login_attempts WHERE email = $1 AND ip = $2 AND succeeded = FALSE AND id <> $3 AND at > $4 \
                 AND at > COALESCE((SELECT max(at) FROM login_attempts WHERE email = $1 AND ip = $2 AND succeeded = TRUE), $4) \
                 ORDER BY at DESC LIMIT $5"
            )
            .bind(email)
            .bind(ip)
            .bind(except)
            .bind(since)
            .bind(limit)
            .fetch_all(p)
            .await)?,
            None => with_pool!(self, |p| sqlx::query_scalar(
                "SELECT at FROM login_attempts WHERE ip = $1 AND succeeded = FALSE AND id <> $2 AND at > $3 ORDER BY at DESC LIMIT $4"
            )
            .bind(ip)
            .bind(except)
            .bind(since)
            .bind(limit)
            .fetch_all(p)
            .await)?,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn login_succeeded(&self, attempt_id: i64) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("UPDATE login_attempts SET succeeded = TRUE WHERE id = $1")
            .bind(attempt_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Note a check of a user's current password before it is made; returns its id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_password_check(&self, user_id: i64) -> Result<i64, StoreError> {
        Ok(with_writer!(self, |p| sqlx::query_scalar(
            "INSERT INTO password_checks (user_id, succeeded, at) VALUES ($1, FALSE, $2) RETURNING id"
        )
        .bind(user_id)
        .bind(self.now())
        .fetch_one(p)
        .await)?)
    }

    /// A check refused by the throttle is no failure: it must not extend the wait.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn forget_password_check(&self, check_id: i64) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("DELETE FROM password_checks WHERE id = $1")
            .bind(check_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The password was right: earlier failures no longer count.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn password_check_passed(&self, check_id: i64) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("UPDATE password_checks SET succeeded = TRUE WHERE id = $1")
            .bind(check_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// When the newest `limit` failed checks of the user's current password
    /// since `since` (and since the last one that passed) happened, newest
    /// first, other than `except`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn password_check_failures(
        &self,
        user_id: i64,
        since: DateTime<Utc>,
        except: i64,
        limit: i64,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT at FROM password_checks WHERE user_id = $1 AND succeeded = FALSE AND id <> $2 AND at > $3 \
             AND at > COALESCE((SELECT max(at) FROM password_checks WHERE user_id = $1 AND succeeded = TRUE), $3) \
             ORDER BY at DESC LIMIT $4"
        )
        .bind(user_id)
        .bind(except)
        .bind(since)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }
}
