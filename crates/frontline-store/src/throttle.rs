//! The log the throttles read: every sign-in, every password reset request
//! and every check of a signed-in user's current password, one row per
//! attempt, counted as failed until marked a success.
//! The rules (windows, limits) are the app's; this only records and counts.

use chrono::{DateTime, Utc};

use crate::{Store, StoreError};

/// What an attempt was for; each throttle counts only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    SignIn,
    PasswordReset,
    /// Proving one's current password to change it (per account).
    CurrentPassword,
}

impl Attempt {
    pub const ALL: [Attempt; 3] = [Attempt::SignIn, Attempt::PasswordReset, Attempt::CurrentPassword];

    /// As stored (and checked by the database, migration 0022).
    pub fn as_str(self) -> &'static str {
        match self {
            Attempt::SignIn => "sign_in",
            Attempt::PasswordReset => "password_reset",
            Attempt::CurrentPassword => "current_password",
        }
    }
}

/// Whose failed attempts count.
#[derive(Debug, Clone, Copy)]
pub enum Attempts<'a> {
    /// One email from one address, since its last success there.
    EmailFrom { email: &'a str, ip: &'a str },
    /// One email, from anywhere.
    Email(&'a str),
    /// One account (by its email), from anywhere, since its last success.
    Account(&'a str),
    /// One address, for any email.
    Address(&'a str),
}

impl Store {
    /// Record an attempt as failed before it is checked, so that parallel
    /// ones count at once; `attempt_succeeded` flips it afterwards.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_attempt(&self, what: Attempt, email: &str, ip: &str) -> Result<i64, StoreError> {
        Ok(with_writer!(self, |p| sqlx::query_scalar(
            "INSERT INTO throttle_attempts (action, email, ip, succeeded, at) VALUES ($1, $2, $3, FALSE, $4) RETURNING id"
        )
        .bind(what.as_str())
        .bind(email)
        .bind(ip)
        .bind(self.now())
        .fetch_one(p)
        .await)?)
    }

    /// An attempt refused by the throttle is no failure: it must not extend the wait.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn forget_attempt(&self, id: i64) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("DELETE FROM throttle_attempts WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn attempt_succeeded(&self, id: i64) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("UPDATE throttle_attempts SET succeeded = TRUE WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// When the newest `limit` failed attempts of `what` by `whose` since
    /// `since` happened (newest first), other than `except`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn failed_attempts(
        &self,
        what: Attempt,
        whose: Attempts<'_>,
        since: DateTime<Utc>,
        except: i64,
        limit: i64,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let action = what.as_str();
        Ok(match whose {
            Attempts::EmailFrom { email, ip } => with_pool!(self, |p| sqlx::query_scalar(
                "SELECT at FROM throttle_attempts WHERE action = $1 AND email = $2 AND ip = $3 AND succeeded = FALSE \
                 AND id <> $4 AND at > $5 \
                 AND at > COALESCE((SELECT max(at) FROM throttle_attempts \
                   WHERE action = $1 AND email = $2 AND ip = $3 AND succeeded = TRUE), $5) \
                 ORDER BY at DESC LIMIT $6"
            )
            .bind(action)
            .bind(email)
            .bind(ip)
            .bind(except)
            .bind(since)
            .bind(limit)
            .fetch_all(p)
            .await)?,
            Attempts::Email(email) => with_pool!(self, |p| sqlx::query_scalar(
                "SELECT at FROM throttle_attempts WHERE action = $1 AND email = $2 AND succeeded = FALSE \
                 AND id <> $3 AND at > $4 ORDER BY at DESC LIMIT $5"
            )
            .bind(action)
            .bind(email)
            .bind(except)
            .bind(since)
            .bind(limit)
            .fetch_all(p)
            .await)?,
            Attempts::Account(email) => with_pool!(self, |p| sqlx::query_scalar(
                "SELECT at FROM throttle_attempts WHERE action = $1 AND email = $2 AND succeeded = FALSE \
                 AND id <> $3 AND at > $4 \
                 AND at > COALESCE((SELECT max(at) FROM throttle_attempts \
                   WHERE action = $1 AND email = $2 AND succeeded = TRUE), $4) \
                 ORDER BY at DESC LIMIT $5"
            )
            .bind(action)
            .bind(email)
            .bind(except)
            .bind(since)
            .bind(limit)
            .fetch_all(p)
            .await)?,
            Attempts::Address(ip) => with_pool!(self, |p| sqlx::query_scalar(
                "SELECT at FROM throttle_attempts WHERE action = $1 AND ip = $2 AND succeeded = FALSE \
                 AND id <> $3 AND at > $4 ORDER BY at DESC LIMIT $5"
            )
            .bind(action)
            .bind(ip)
            .bind(except)
            .bind(since)
            .bind(limit)
            .fetch_all(p)
            .await)?,
        })
    }
}
