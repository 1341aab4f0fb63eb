//! Group commit for ticket creation. Every commit writes each page it
//! touched to the log (SQLite's WAL, PostgreSQL's WAL with a flush), and
//! creating a ticket touches about a dozen B-trees; creating the tickets that
//! arrive together in one transaction writes the shared pages, and flushes,
//! once per batch instead of once per ticket.
//!
//! SQLite has one writer, so one lane. PostgreSQL takes several lanes, each
//! batching what reaches it, so its writers work in parallel. Within a
//! batch tickets are written in the order of their queue-count bucket, so
//! two batches lock count rows in one global order and cannot deadlock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::sqlite::Writer;
use crate::tickets::{NewTicket, insert_ticket_pg, insert_ticket_sqlite};

type Reply = oneshot::Sender<Result<i64, StoreError>>;
type Lane = mpsc::Sender<(NewTicket, Reply)>;

/// Most tickets in one transaction.
const MAX_BATCH: usize = 64;
/// Most bytes of files in one transaction: large mails are written with few
/// others, so no writer waits behind gigabytes.
const MAX_BATCH_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Tickets waiting per lane before submitters wait too (backpressure
/// instead of an unbounded queue in memory).
const LANE_CAPACITY: usize = 1024;
/// PostgreSQL lanes: enough to keep both the server and the lanes busy on a
/// small machine, few enough that batches still form under load.
const POSTGRES_LANES: usize = 4;

/// Where batches are written.
#[derive(Clone)]
enum Target {
    Sqlite(Arc<Writer>),
    Postgres(PgPool),
}

/// The queue in front of the writers.
#[derive(Debug)]
pub(crate) struct TicketQueue {
    lanes: Vec<Lane>,
    next: AtomicUsize,
}

fn file_bytes(t: &NewTicket) -> usize {
    t.attachments.iter().map(|a| a.data.len()).sum()
}

pub(crate) fn start_sqlite(writer: Arc<Writer>) -> Arc<TicketQueue> {
    start(Target::Sqlite(writer), 1)
}

pub(crate) fn start_postgres(pool: PgPool) -> Arc<TicketQueue> {
    start(Target::Postgres(pool), POSTGRES_LANES)
}

fn start(target: Target, lanes: usize) -> Arc<TicketQueue> {
    let lanes = (0..lanes)
        .map(|_| {
            let (tx, rx) = mpsc::channel(LANE_CAPACITY);
            tokio::spawn(run(target.clone(), rx));
            tx
        })
        .collect();
    Arc::new(TicketQueue { lanes, next: AtomicUsize::new(0) })
}

pub(crate) async fn submit(queue: &TicketQueue, ticket: NewTicket) -> Result<i64, StoreError> {
    let (reply, answer) = oneshot::channel();
    let lane = &queue.lanes[queue.next.fetch_add(1, Ordering::Relaxed) % queue.lanes.len()];
    lane.send((ticket, reply)).await.map_err(|_| StoreError::Unavailable("the ticket writer has stopped".into()))?;
    answer.await.map_err(|_| StoreError::Unavailable("the ticket writer dropped a ticket".into()))?
}

async fn run(target: Target, mut rx: mpsc::Receiver<(NewTicket, Reply)>) {
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
        batch.sort_by_key(|(t, _)| count_bucket(t));
        match target.write_all(&batch).await {
            Ok(ids) => {
                for ((_, reply), id) in batch.into_iter().zip(ids) {
                    let _ = reply.send(Ok(id));
                }
            }
            // Something in the batch failed and nothing was written: retry each
            // ticket in its own transaction so only the bad one fails.
            Err(_) => {
                for (ticket, reply) in batch {
                    let _ = reply.send(target.write_one(&ticket).await);
                }
            }
        }
    }
}

/// The ticket's queue-count row (and solved day): the order count rows are locked in.
fn count_bucket(t: &NewTicket) -> (&'static str, i64, i64, i64, Option<chrono::NaiveDate>) {
    let f = &t.fields;
    (f.status.as_str(), f.tier, f.team_id.unwrap_or(0), f.assignee_id.unwrap_or(0), t.created_at.map(|at| at.date_naive()))
}

impl Target {
    async fn write_all(&self, batch: &[(NewTicket, Reply)]) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::with_capacity(batch.len());
        match self {
            Target::Sqlite(writer) => {
                let _turn = writer.lock.lock().await;
                let mut tx = writer.pool.begin_with("BEGIN IMMEDIATE").await?;
                for (ticket, _) in batch {
                    ids.push(insert_ticket_sqlite(&mut tx, ticket).await?);
                }
                tx.commit().await?;
                writer.after_commit().await;
            }
            Target::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for (ticket, _) in batch {
                    ids.push(insert_ticket_pg(&mut tx, ticket).await?);
                }
                tx.commit().await?;
            }
        }
        Ok(ids)
    }

    async fn write_one(&self, ticket: &NewTicket) -> Result<i64, StoreError> {
        let id = match self {
            Target::Sqlite(writer) => {
                let _turn = writer.lock.lock().await;
                let mut tx = writer.pool.begin_with("BEGIN IMMEDIATE").await?;
                let id = insert_ticket_sqlite(&mut tx, ticket).await?;
                tx.commit().await?;
                writer.after_commit().await;
                id
            }
            Target::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let id = insert_ticket_pg(&mut tx, ticket).await?;
                tx.commit().await?;
                id
            }
        };
        Ok(id)
    }
}
