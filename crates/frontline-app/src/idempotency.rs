//! Idempotency keys of API writes, for the web layer's `Idempotency-Key`
//! middleware: claiming a key, keeping the answer, giving a key back. The
//! caller's scope (token or user) was settled by the web layer when it
//! authenticated the request; the writes that support a key mark it in
//! their own transaction (`create_ticket_keyed`, `reply_keyed`, ...).

pub use frontline_store::idempotency::{Begin, IdempotencyMark, IdempotencyOwner};

use crate::{App, Result};

impl App {
    /// This instance as the owner of the keys it runs (on PostgreSQL it holds
    /// a lock while it lives, so other instances can tell a dead owner's keys).
    pub async fn idempotency_owner(&self) -> Result<IdempotencyOwner> {
        Ok(self.store.idempotency_owner().await?)
    }

    /// Claim `key` in `scope` for a request with `fingerprint`, or say why not.
    pub async fn begin_idempotent(&self, owner: &IdempotencyOwner, scope: &str, key: &str, fingerprint: &str) -> Result<Begin> {
        Ok(self.store.begin_idempotent(owner, scope, key, fingerprint).await?)
    }

    /// Keep the answer of the request that ran under `mark`.
    pub async fn finish_idempotent(&self, mark: &IdempotencyMark, status: u16, body: &str) -> Result<()> {
        Ok(self.store.finish_idempotent(mark, status, body).await?)
    }

    /// Give the key back: the request under `mark` did not answer (or its
    /// answer is not one to keep), so a retry runs it again.
    pub async fn abandon_idempotent(&self, mark: &IdempotencyMark) -> Result<()> {
        Ok(self.store.abandon_idempotent(mark).await?)
    }
}
