//! Password reset links (and invitations, which are links to choose a
//! first password; the requests for them are throttle attempts,
//! `throttle.rs`). The secret of a link is made when its mail is sent and
//! only its SHA-256 is stored.

use chrono::{DateTime, Utc};

use crate::{Audit, Store, StoreError};

/// The job that mails a reset link; it carries the link's row, never its secret.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ResetMailJob {
    pub reset_id: i64,
}

impl crate::jobs::JobKind for ResetMailJob {
    const JOB_NAME: &'static str = "mail.password_reset";
}

/// The job that mails an invitation: a link (a row of `password_resets`,
/// made with the user) to choose a first password. Its secret too is made
/// when the mail is sent.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct InvitationMailJob {
    pub reset_id: i64,
}

impl crate::jobs::JobKind for InvitationMailJob {
    const JOB_NAME: &'static str = "mail.invitation";
}

/// A link as the reset page needs to explain it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetLink {
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Who a reset mail goes to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetRecipient {
    pub email: String,
    pub name: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// A reset link for the user and the job that mails it, in one transaction.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_password_reset(&self, user_id: i64, expires_at: DateTime<Utc>) -> Result<i64, StoreError> {
        let at = self.now();
        let id = with_tx!(self, |tx| {
            let id: i64 =
                sqlx::query_scalar("INSERT INTO password_resets (user_id, created_at, expires_at) VALUES ($1, $2, $3) RETURNING id")
                    .bind(user_id)
                    .bind(at)
                    .bind(expires_at)
                    .fetch_one(&mut *tx)
                    .await?;
            enqueue_job!(tx, &ResetMailJob { reset_id: id }, at);
            id
        });
        Ok(id)
    }

    /// Give a pending link its secret (a retried mail job gives a new one,
    /// which spoils any earlier mail of the same link). None when the link
    /// was used, expired or its user is inactive: nothing to send.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn arm_password_reset(&self, reset_id: i64, token_hash: &str) -> Result<Option<ResetRecipient>, StoreError> {
        let t = self.now();
        let armed = with_writer!(self, |p| sqlx::query(
            "UPDATE password_resets SET token_hash = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $3"
        )
        .bind(token_hash)
        .bind(reset_id)
        .bind(t)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if armed == 0 {
            return Ok(None);
        }
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT u.email, u.name, r.expires_at FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.id = $1 AND u.active = TRUE"
        )
        .bind(reset_id)
        .fetch_optional(p)
        .await
        })?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn password_reset(&self, token_hash: &str) -> Result<Option<ResetLink>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as("SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// Spend the link and set the password: the link must be unused and
    /// unexpired and its user active, checked in the transaction so two
    /// uses at once cannot both succeed. Every other link of the user is
    /// spent too, and every session ends. Returns the user's id, or None.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn use_password_reset(&self, token_hash: &str, password_hash: &str, audit: &Audit) -> Result<Option<i64>, StoreError> {
        let t = self.now();
        let user = with_tx!(self, |tx| {
            let user: Option<i64> = sqlx::query_scalar(
                "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                 AND user_id IN (SELECT id FROM users WHERE active = TRUE) RETURNING user_id",
            )
            .bind(t)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(user_id) = user {
                sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
                    .bind(t)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                let audit = Audit { actor_id: Some(user_id), target: format!("user:{user_id}"), ..audit.clone() };
                write_audit!(tx, Some(&audit), self.now());
            }
            user
        });
        Ok(user)
    }
}
