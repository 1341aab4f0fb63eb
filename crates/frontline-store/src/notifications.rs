//! In-app notifications (the bell) and each user's own switches per kind.
//! Rows are written by the notification job that also sends the mail, keyed
//! by that job and the recipient, so a retried job writes nothing twice.
//! Marking read only ever sets a time that was unset, so parallel marks of
//! one item (or an item and "all") agree on the first.

use chrono::{DateTime, Utc};
use frontline_domain::notification::NotificationKind;
use serde::Serialize;

use crate::rows::Page;
use crate::{Store, StoreError};

/// A bell item to write: `source` names the job that writes it.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: NotificationKind,
    pub ticket_id: i64,
    /// Who caused it (escalated, asked, assigned), when a person did.
    pub actor_id: Option<i64>,
    /// A few words of what: the step reached, the question asked.
    pub detail: String,
    pub source: String,
}

/// A bell item with the names it shows.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: NotificationKind,
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    user_id: i64,
    kind: String,
    ticket_id: i64,
    ticket_subject: String,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    detail: String,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = StoreError;
    fn try_from(r: NotificationRow) -> Result<Self, StoreError> {
        let kind = NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == r.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown notification kind '{}'", r.kind)))?;
        Ok(Notification {
            id: r.id,
            user_id: r.user_id,
            kind,
            ticket_id: r.ticket_id,
            ticket_subject: r.ticket_subject,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            detail: r.detail,
            created_at: r.created_at,
            read_at: r.read_at,
        })
    }
}

macro_rules! notification_select {
    () => {
        "SELECT n.id, n.user_id, n.kind, n.ticket_id, t.subject AS ticket_subject, n.actor_id, a.name AS actor_name, \
         n.detail, n.created_at, n.read_at \
         FROM notifications n JOIN tickets t ON t.id = n.ticket_id LEFT JOIN users a ON a.id = n.actor_id "
    };
}

/// One user's switches for one kind (on for both when never set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preference {
    pub kind: NotificationKind,
    pub in_app: bool,
    pub email: bool,
}

/// The unread count shown stops here ("99+"), so counting stays cheap
/// however many items pile up.
pub const UNREAD_CAP: i64 = 100;

impl Store {
    /// Write bell items, skipping those their job already wrote.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_notifications(&self, items: &[NewNotification]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let at = self.now();
        with_tx!(self, |tx| {
            let mut b =
                sqlx::QueryBuilder::new("INSERT INTO notifications (user_id, kind, ticket_id, actor_id, detail, source, created_at) ");
            b.push_values(items, |mut row, n| {
                row.push_bind(n.user_id)
                    .push_bind(n.kind.as_str())
                    .push_bind(n.ticket_id)
                    .push_bind(n.actor_id)
                    .push_bind(&n.detail)
                    .push_bind(&n.source)
                    .push_bind(at);
            });
            b.push(" ON CONFLICT (source, user_id) DO NOTHING");
            b.build().execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// A user's items, newest first, `limit` per page after `before_id`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_notifications(
        &self,
        user_id: i64,
        unread_only: bool,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Page<Notification>, StoreError> {
        let sql = if unread_only {
            concat!(notification_select!(), "WHERE n.user_id = $1 AND n.id < $2 AND n.read_at IS NULL ORDER BY n.id DESC LIMIT $3")
        } else {
            concat!(notification_select!(), "WHERE n.user_id = $1 AND n.id < $2 ORDER BY n.id DESC LIMIT $3")
        };
        let rows: Vec<NotificationRow> =
            with_pool!(self, |p| sqlx::query_as(sql).bind(user_id).bind(before_id.unwrap_or(i64::MAX)).bind(limit + 1).fetch_all(p).await)?;
        let has_more = rows.len() as i64 > limit;
        let items = rows.into_iter().take(limit as usize).map(Notification::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, has_more })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_notification(&self, id: i64) -> Result<Option<Notification>, StoreError> {
        let row: Option<NotificationRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(notification_select!(), "WHERE n.id = $1")).bind(id).fetch_optional(p).await)?;
        row.map(Notification::try_from).transpose()
    }

    /// Unread items of a user, counted up to `UNREAD_CAP` on the partial index.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE user_id = $1 AND read_at IS NULL LIMIT $2) unread"
        )
        .bind(user_id)
        .bind(UNREAD_CAP)
        .fetch_one(p)
        .await)?)
    }

    /// Mark one of `user_id`'s items read (kept as first read); false when
    /// they have no such item.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn mark_notification_read(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let at = self.now();
        let n =
            with_writer!(self, |p| sqlx::query("UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3")
                .bind(at)
                .bind(id)
                .bind(user_id)
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Mark every unread item of a user read; how many were unread.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn mark_all_notifications_read(&self, user_id: i64) -> Result<u64, StoreError> {
        let at = self.now();
        Ok(with_writer!(self, |p| sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(at)
            .bind(user_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// A user's switches for every personal kind (unset ones on).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn notification_preferences(&self, user_id: i64) -> Result<Vec<Preference>, StoreError> {
        let rows: Vec<(String, bool, bool)> =
            with_pool!(self, |p| sqlx::query_as("SELECT kind, in_app, email FROM notification_preferences WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(p)
                .await)?;
        Ok(NotificationKind::personal()
            .map(|kind| match rows.iter().find(|(k, _, _)| k == kind.as_str()) {
                Some((_, in_app, email)) => Preference { kind, in_app: *in_app, email: *email },
                None => Preference { kind, in_app: true, email: true },
            })
            .collect())
    }

    /// The switches of several users for one kind, as (user, in_app, email);
    /// users without a row are on for both.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn preferences_for(&self, user_ids: &[i64], kind: NotificationKind) -> Result<Vec<(i64, bool, bool)>, StoreError> {
        if user_ids.is_empty() {
            return Ok(vec![]);
        }
        let set: Vec<(i64, bool, bool)> = with_pool!(self, |p| {
            let mut b = sqlx::QueryBuilder::new("SELECT user_id, in_app, email FROM notification_preferences WHERE kind = ");
            b.push_bind(kind.as_str()).push(" AND user_id IN (");
            let mut sep = b.separated(", ");
            for id in user_ids {
                sep.push_bind(*id);
            }
            b.push(")");
            b.build_query_as().fetch_all(p).await
        })?;
        Ok(user_ids.iter().map(|id| set.iter().find(|(u, _, _)| u == id).copied().unwrap_or((*id, true, true))).collect())
    }

    /// Save a user's switches (the kinds given; others keep theirs), in one
    /// transaction: a save is all of the form or none of it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_notification_preferences(&self, user_id: i64, prefs: &[Preference]) -> Result<(), StoreError> {
        if prefs.is_empty() {
            return Ok(());
        }
        with_tx!(self, |tx| {
            let mut b = sqlx::QueryBuilder::new("INSERT INTO notification_preferences (user_id, kind, in_app, email) ");
            b.push_values(prefs, |mut row, p| {
                row.push_bind(user_id).push_bind(p.kind.as_str()).push_bind(p.in_app).push_bind(p.email);
            });
            b.push(" ON CONFLICT (user_id, kind) DO UPDATE SET in_app = excluded.in_app, email = excluded.email");
            b.build().execute(&mut *tx).await?;
        });
        Ok(())
    }
}
