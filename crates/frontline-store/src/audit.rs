use crate::{AuditEntry, Page, Store, StoreError};

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_audit(&self, audit: &crate::Audit) -> Result<(), StoreError> {
        let audit = Some(audit);
        with_tx!(self, |tx| {
            write_audit!(tx, audit, self.now());
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_audit(&self, offset: i64, limit: i64) -> Result<Page<AuditEntry>, StoreError> {
        let mut items: Vec<AuditEntry> = with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT a.id, a.actor_id, u.name AS actor_name, a.action, a.target, a.detail, a.created_at \
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id ORDER BY a.id DESC LIMIT $1 OFFSET $2",
            )
            .bind(limit + 1)
            .bind(offset)
            .fetch_all(p)
            .await
        })?;
        let has_more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        Ok(Page { items, has_more })
    }
}
