//! Files attached to messages (uploaded with a reply or carried by a mail).
//! Contents are stored once per SHA-256; each attachment row says which
//! message carries which file under which name.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError};

/// A file to store with a new message. Checked by the caller (name, type, size).
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    /// Content-ID of an inline image, without the angle brackets.
    pub content_id: Option<String>,
    pub inline: bool,
    pub data: Vec<u8>,
}

impl NewAttachment {
    pub fn sha256(&self) -> String {
        Sha256::digest(&self.data).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What a page or the API shows about an attachment (not its bytes).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub message_id: i64,
    pub ticket_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub content_id: Option<String>,
    #[sqlx(rename = "is_inline")]
    pub inline: bool,
    /// The message that carries it is an internal note.
    pub on_internal_note: bool,
    /// The message that carries it is mail held from an unverified sender.
    pub on_unverified_mail: bool,
    pub created_at: DateTime<Utc>,
}

/// Store a message's files inside an open transaction.
macro_rules! insert_attachments {
    ($tx:expr, $ticket:expr, $message:expr, $files:expr, $at:expr) => {
        for file in $files {
            let file: &$crate::attachments::NewAttachment = file;
            let sha = file.sha256();
            sqlx::query("INSERT INTO attachment_blobs (sha256, size, data) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
                .bind(&sha)
                .bind(file.data.len() as i64)
                .bind(&file.data)
                .execute(&mut *$tx)
                .await?;
            sqlx::query(
                "INSERT INTO attachments (message_id, ticket_id, filename, content_type, size, content_id, is_inline, sha256, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind($message)
            .bind($ticket)
            .bind(&file.filename)
            .bind(&file.content_type)
            .bind(file.data.len() as i64)
            .bind(&file.content_id)
            .bind(file.inline)
            .bind(&sha)
            .bind($at)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

macro_rules! attachment_select {
    () => {
        "SELECT a.id, a.message_id, a.ticket_id, a.filename, a.content_type, a.size, a.content_id, a.is_inline, \
         m.kind = 'internal' AS on_internal_note, m.unverified_sender AS on_unverified_mail, a.created_at \
         FROM attachments a JOIN messages m ON m.id = a.message_id "
    };
}

impl Store {
    /// Every attachment of a ticket's messages, in message order: one query
    /// for a whole conversation.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ticket_attachments(&self, ticket_id: i64) -> Result<Vec<Attachment>, StoreError> {
        let sql = concat!(attachment_select!(), "WHERE a.ticket_id = $1 ORDER BY a.message_id, a.id LIMIT 10000");
        Ok(with_pool!(self, |p| sqlx::query_as(sql).bind(ticket_id).fetch_all(p).await)?)
    }

    /// The files of a ticket's messages `from` ..= `to` (by message id).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ticket_attachments_between(&self, ticket_id: i64, from: i64, to: i64) -> Result<Vec<Attachment>, StoreError> {
        let sql = concat!(
            attachment_select!(),
            "WHERE a.ticket_id = $1 AND a.message_id >= $2 AND a.message_id <= $3 ORDER BY a.message_id, a.id"
        );
        Ok(with_pool!(self, |p| sqlx::query_as(sql).bind(ticket_id).bind(from).bind(to).fetch_all(p).await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn message_attachments(&self, message_id: i64) -> Result<Vec<Attachment>, StoreError> {
        let sql = concat!(attachment_select!(), "WHERE a.message_id = $1 ORDER BY a.id");
        Ok(with_pool!(self, |p| sqlx::query_as(sql).bind(message_id).fetch_all(p).await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_attachment(&self, id: i64) -> Result<Option<Attachment>, StoreError> {
        let sql = concat!(attachment_select!(), "WHERE a.id = $1");
        Ok(with_pool!(self, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
    }

    /// The bytes of every file of a message, by attachment id, in one query.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn message_attachment_data(&self, message_id: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT a.id, b.data FROM attachments a JOIN attachment_blobs b ON b.sha256 = a.sha256 WHERE a.message_id = $1 ORDER BY a.id"
        )
        .bind(message_id)
        .fetch_all(p)
        .await)?)
    }

    /// The bytes of an attachment.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn attachment_data(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT b.data FROM attachments a JOIN attachment_blobs b ON b.sha256 = a.sha256 WHERE a.id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }
}
