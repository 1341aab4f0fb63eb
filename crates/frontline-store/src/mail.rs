//! Inbound mail bookkeeping: threading lookups, followers, quarantine.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::QueryBuilder;

use frontline_domain::mail::{MailOutcome, MailSource};

use crate::{Store, StoreError};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct QuarantinedMail {
    pub id: i64,
    pub mailbox: String,
    /// Team of the mailbox it came to; a retry files new tickets there.
    pub team_id: Option<i64>,
    /// The bytes as received (in lists, only the first 64 KB of them).
    pub raw: Vec<u8>,
    /// Bytes of the whole message.
    pub size: i64,
    pub error: String,
    pub received_at: DateTime<Utc>,
}

impl Store {
    /// The ticket a mail belongs to by its In-Reply-To/References: a mail we
    /// sent, or a mail we stored. The newest match wins.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ticket_for_mail_ids(&self, ids: &[String]) -> Result<Option<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(None);
        }
        let ids = &ids[ids.len().saturating_sub(50)..];
        let found: Option<i64> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new("SELECT ticket_id FROM (SELECT ticket_id, 1 AS o FROM sent_mail WHERE message_id IN (");
            let mut sep = b.separated(", ");
            for id in ids {
                sep.push_bind(id.clone());
            }
            b.push(") UNION ALL SELECT ticket_id, 2 AS o FROM messages WHERE email_message_id IN (");
            let mut sep = b.separated(", ");
            for id in ids {
                sep.push_bind(id.clone());
            }
            b.push(")) found ORDER BY o, ticket_id DESC LIMIT 1");
            b.build_query_scalar().fetch_optional(p).await
        })?;
        Ok(found)
    }

    /// The ticket and message already stored for this mail key (Message-ID or digest), if any.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn message_for_mail_id(&self, message_id: &str) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as("SELECT ticket_id, id FROM messages WHERE email_message_id = $1")
            .bind(message_id)
            .fetch_optional(p)
            .await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_follower(&self, ticket_id: i64, user_id: i64) -> Result<(), StoreError> {
        with_writer!(self, |p| sqlx::query("INSERT INTO ticket_followers (ticket_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(ticket_id)
            .bind(user_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn followers(&self, ticket_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT user_id FROM ticket_followers WHERE ticket_id = $1 ORDER BY user_id LIMIT 200"
        )
        .bind(ticket_id)
        .fetch_all(p)
        .await)?)
    }

    /// Keep a mail that could not be processed, raw, for an admin: once per
    /// `key` (the unique index decides, so parallel deliveries keep one).
    /// Returns its id and whether this call added it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quarantine_mail(
        &self,
        mailbox: &str,
        team_id: Option<i64>,
        raw: &[u8],
        key: &str,
        error: &str,
    ) -> Result<(i64, bool), StoreError> {
        Ok(with_tx!(self, |tx| {
            let added: Option<i64> = sqlx::query_scalar(
                "INSERT INTO mail_quarantine (mailbox, team_id, raw, mail_key, error, received_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (mail_key) DO NOTHING RETURNING id",
            )
            .bind(mailbox)
            .bind(team_id)
            .bind(raw)
            .bind(key)
            .bind(error)
            .bind(self.now())
            .fetch_optional(&mut *tx)
            .await?;
            match added {
                Some(id) => (id, true),
                None => {
                    let id: i64 =
                        sqlx::query_scalar("SELECT id FROM mail_quarantine WHERE mail_key = $1").bind(key).fetch_one(&mut *tx).await?;
                    (id, false)
                }
            }
        }))
    }

    /// The quarantined mail with this key, if one is there.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quarantined_with_key(&self, key: &str) -> Result<Option<i64>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_scalar("SELECT id FROM mail_quarantine WHERE mail_key = $1")
            .bind(key)
            .fetch_optional(p)
            .await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_quarantine(&self, limit: i64) -> Result<Vec<QuarantinedMail>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT id, mailbox, team_id, substr(raw, 1, 65536) AS raw, CAST(length(raw) AS BIGINT) AS size, error, received_at \
             FROM mail_quarantine ORDER BY id DESC LIMIT $1"
        )
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_quarantine(&self, id: i64) -> Result<Option<QuarantinedMail>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT id, mailbox, team_id, raw, CAST(length(raw) AS BIGINT) AS size, error, received_at FROM mail_quarantine WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_quarantine(&self, id: i64) -> Result<bool, StoreError> {
        let n = with_writer!(self, |p| sqlx::query("DELETE FROM mail_quarantine WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}

impl Store {
    /// Admin-edited (subject, body) templates by kind.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn mail_templates(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as("SELECT kind, subject, body FROM mail_templates ORDER BY kind").fetch_all(p).await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn mail_template(&self, kind: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as("SELECT subject, body FROM mail_templates WHERE kind = $1")
            .bind(kind)
            .fetch_optional(p)
            .await)?)
    }

    /// Save (Some) or remove (None, back to the built-in text) a template.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_mail_template(
        &self,
        kind: &str,
        template: Option<(&str, &str)>,
        audit: Option<&crate::Audit>,
    ) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            match template {
                Some((subject, body)) => {
                    sqlx::query(
                        "INSERT INTO mail_templates (kind, subject, body, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (kind) DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at",
                    )
                    .bind(kind)
                    .bind(subject)
                    .bind(body)
                    .bind(self.now())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM mail_templates WHERE kind = $1").bind(kind).execute(&mut *tx).await?;
                }
            }
            write_audit!(tx, audit, self.now());
        });
        Ok(())
    }
}

impl Store {
    /// (UIDVALIDITY, last UID stored) of an IMAP mailbox.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn imap_state(&self, mailbox: &str) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as("SELECT uid_validity, last_uid FROM imap_state WHERE mailbox = $1")
            .bind(mailbox)
            .fetch_optional(p)
            .await)?)
    }

    /// A write: on SQLite it queues on the store's writer like every other.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_imap_state(&self, mailbox: &str, uid_validity: i64, last_uid: i64) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO imap_state (mailbox, uid_validity, last_uid) VALUES ($1, $2, $3) \
                 ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid",
            )
            .bind(mailbox)
            .bind(uid_validity)
            .bind(last_uid)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Count one message taken in (see migration 0028). A write of its
    /// own, after the mail's: a crash between the two loses one count,
    /// never the mail.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn count_mail_in(&self, source: MailSource, outcome: MailOutcome) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            sqlx::query("INSERT INTO mail_counts (source, outcome, n) VALUES ($1, $2, 1) ON CONFLICT (source, outcome) DO UPDATE SET n = mail_counts.n + 1")
                .bind(source.as_str())
                .bind(outcome.as_str())
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Every (source, outcome) counted so far.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn mail_in_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as("SELECT source, outcome, n FROM mail_counts ORDER BY source, outcome").fetch_all(p).await)?)
    }
}
