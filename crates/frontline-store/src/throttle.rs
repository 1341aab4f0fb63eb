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
        // Whose attempts: (email, address) filters and whether a success resets the count.
        let (email, ip, since_success) = match whose {
            Attempts::EmailFrom { email, ip } => (Some(email), Some(ip), true),
            Attempts::Email(email) => (Some(email), None, false),
            Attempts::Account(email) => (Some(email), None, true),
            Attempts::Address(ip) => (None, Some(ip), false),
        };
        // One statement, its filters chosen here rather than `$n IS NULL OR ..`
        // so that each shape keeps its index (action, email, at) or (action, ip, at).
        let mut whose_sql = String::from("action = $1");
        let mut next = 2;
        for (column, value) in [("email", email), ("ip", ip)] {
            if value.is_some() {
                whose_sql.push_str(&format!(" AND {column} = ${next}"));
                next += 1;
            }
        }
        let (except_n, since_n, limit_n) = (next, next + 1, next + 2);
        let reset = if since_success {
            format!(" AND at > COALESCE((SELECT max(at) FROM throttle_attempts WHERE {whose_sql} AND succeeded = TRUE), ${since_n})")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT at FROM throttle_attempts WHERE {whose_sql} AND succeeded = FALSE AND id <> ${except_n} AND at > ${since_n}{reset} \
             ORDER BY at DESC LIMIT ${limit_n}"
        );
        Ok(with_pool!(self, |p| {
            // Built from the literals above only; every value is bound.
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(what.as_str());
            for value in [email, ip].into_iter().flatten() {
                q = q.bind(value);
            }
            q.bind(except).bind(since).bind(limit).fetch_all(p).await
        })?)
    }
}
