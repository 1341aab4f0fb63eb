//! Group commit for ticket creation on SQLite. SQLite has one writer at a
//! time and every commit writes each page it touched to the WAL; creating
//! the tickets that arrive together in one transaction writes the shared
//! index pages once instead of once per ticket. PostgreSQL does not need it.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::sqlite::Writer;
use crate::tickets::{NewTicket, insert_ticket_sqlite};

type Reply = oneshot::Sender<Result<i64, StoreError>>;
pub(crate) type TicketQueue = mpsc::UnboundedSender<(NewTicket, Reply)>;

/// Most tickets in one transaction.
const MAX_BATCH: usize = 64;
/// Most bytes of files in one transaction: large mails are written with few
/// others, so no writer waits behind gigabytes.
const MAX_BATCH_FILE_BYTES: usize = 16 * 1024 * 1024;

fn file_bytes(t: &NewTicket) -> usize {
    t.attachments.iter().map(|a| a.data.len()).sum()
}

pub(crate) fn start(writer: Arc<Writer>) -> TicketQueue {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(writer, rx));
    tx
}

pub(crate) async fn submit(queue: &TicketQueue, ticket: NewTicket) -> Result<i64, StoreError> {
    let (reply, answer) = oneshot::channel();
    queue.send((ticket, reply)).map_err(|_| StoreError::Unavailable("the ticket writer has stopped".into()))?;
    answer.await.map_err(|_| StoreError::Unavailable("the ticket writer dropped a ticket".into()))?
}

async fn run(writer: Arc<Writer>, mut rx: mpsc::UnboundedReceiver<(NewTicket, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut bytes = file_bytes(&first.0);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_FILE_BYTES {
            match rx.try_recv() {
                Ok(job) => {
                    bytes += file_bytes(&job.0);
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let _turn = writer.lock.lock().await;
        let written = write_all(&writer.pool, &batch).await;
        if written.is_ok() {
            writer.after_commit().await;
        }
        match written {
            Ok(ids) => {
                for ((_, reply), id) in batch.into_iter().zip(ids) {
                    let _ = reply.send(Ok(id));
                }
            }
            // Something in the batch failed and nothing was written: retry each
            // ticket in its own transaction so only the bad one fails.
            Err(_) => {
                for (ticket, reply) in batch {
                    let one = write_one(&writer.pool, &ticket).await;
                    if one.is_ok() {
                        writer.after_commit().await;
                    }
                    let _ = reply.send(one);
                }
            }
        }
    }
}

async fn write_all(pool: &sqlx::SqlitePool, batch: &[(NewTicket, Reply)]) -> Result<Vec<i64>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut ids = Vec::with_capacity(batch.len());
    for (ticket, _) in batch {
        ids.push(insert_ticket_sqlite(&mut tx, ticket).await?);
    }
    tx.commit().await?;
    Ok(ids)
}

async fn write_one(pool: &sqlx::SqlitePool, ticket: &NewTicket) -> Result<i64, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let id = insert_ticket_sqlite(&mut tx, ticket).await?;
    tx.commit().await?;
    Ok(id)
}
