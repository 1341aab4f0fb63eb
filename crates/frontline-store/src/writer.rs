//! Group commit for ticket creation. Every commit writes each page it
//! touched to the log (SQLite's WAL, PostgreSQL's WAL with a flush), and
//! creating a ticket touches about a dozen B-trees; creating the tickets that
//! arrive together in one transaction writes the shared pages, and flushes,
//! once per batch instead of once per ticket.
//!
//! SQLite has one writer, so one lane. PostgreSQL takes several lanes, each
//! batching what reaches it, so its writers work in parallel. A batch moves
//! the queue counts at its end, in one order, so it holds count rows only
//! for its commit and cannot deadlock on them; and each PostgreSQL lane moves
//! its own shard of the counts, so lanes never wait for each other's commit
//! (when they shared one row, their WAL flushes ran one after another).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use tokio::sync::Notify;

use crate::StoreError;
use crate::sqlite::Writer;
use crate::tickets::{NewTicket, insert_tickets_sqlite};

type Reply = oneshot::Sender<Result<i64, StoreError>>;
type Lane = mpsc::Sender<(NewTicket, Reply)>;

/// Most tickets in one transaction.
const MAX_BATCH: usize = 64;
/// Most bytes of files in one transaction: large mails are written with few
/// others, so no writer waits behind gigabytes.
const MAX_BATCH_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Tickets waiting per lane before submitters wait too (backpressure
/// instead of an unbounded queue in memory): `submit` awaits a free slot.
const LANE_CAPACITY: usize = 1024;
/// PostgreSQL lanes: enough to keep both the server and the lanes busy on a
/// small machine, few enough that batches still form under load.
const POSTGRES_LANES: usize = 4;

/// Where batches are written.
#[derive(Clone)]
enum Target {
    Sqlite(Arc<Writer>),
    /// The pool and the lane's shard of the queue counts.
    Postgres(PgPool, i64),
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

/// `jobs_queued` is told after each commit that queued notification jobs.
pub(crate) fn start_sqlite(writer: Arc<Writer>, jobs_queued: Arc<Notify>) -> Arc<TicketQueue> {
    start(vec![Target::Sqlite(writer)], jobs_queued)
}

pub(crate) fn start_postgres(pool: PgPool, jobs_queued: Arc<Notify>) -> Arc<TicketQueue> {
    start((0..POSTGRES_LANES as i64).map(|shard| Target::Postgres(pool.clone(), shard)).collect(), jobs_queued)
}

fn start(lane_targets: Vec<Target>, jobs_queued: Arc<Notify>) -> Arc<TicketQueue> {
    let lanes = lane_targets
        .into_iter()
        .map(|target| {
            let (tx, rx) = mpsc::channel(LANE_CAPACITY);
            tokio::spawn(run(target, rx, jobs_queued.clone()));
            tx
        })
        .collect();
    Arc::new(TicketQueue { lanes, next: AtomicUsize::new(0) })
}

pub(crate) async fn submit(queue: &TicketQueue, ticket: NewTicket) -> Result<i64, StoreError> {
    let lane = &queue.lanes[queue.next.fetch_add(1, Ordering::Relaxed) % queue.lanes.len()];
    hand_over(lane, ticket).await
}

/// Queue `item` on `lane` (waiting while the lane is full) and wait for its answer.
async fn hand_over<T>(lane: &mpsc::Sender<(T, Reply)>, item: T) -> Result<i64, StoreError> {
    let (reply, answer) = oneshot::channel();
    lane.send((item, reply)).await.map_err(|_| StoreError::WriterStopped)?;
    // The lane drops a reply only when its task ends mid-batch.
    answer.await.map_err(|_| StoreError::WriterStopped)?
}

async fn run(target: Target, mut rx: mpsc::Receiver<(NewTicket, Reply)>, jobs_queued: Arc<Notify>) {
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
        // Mail, or (maybe) an automatic assignment for a ticket waiting in a team.
        let queues_jobs = batch.iter().any(|(t, _)| !t.notify.is_empty() || (t.fields.team_id.is_some() && t.fields.assignee_id.is_none()));
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
        if queues_jobs {
            jobs_queued.notify_one();
        }
    }
}

impl Target {
    async fn write_all(&self, batch: &[(NewTicket, Reply)]) -> Result<Vec<i64>, StoreError> {
        let tickets: Vec<&NewTicket> = batch.iter().map(|(t, _)| t).collect();
        self.write(&tickets).await
    }

    async fn write_one(&self, ticket: &NewTicket) -> Result<i64, StoreError> {
        let ids = self.write(&[ticket]).await?;
        ids.into_iter().next().ok_or_else(|| StoreError::Unavailable("the ticket writer wrote nothing".into()))
    }

    async fn write(&self, tickets: &[&NewTicket]) -> Result<Vec<i64>, StoreError> {
        let ids = match self {
            Target::Sqlite(writer) => {
                let _turn = writer.lock.lock().await;
                let mut tx = writer.pool.begin_with("BEGIN IMMEDIATE").await?;
                let ids = insert_tickets_sqlite(&mut tx, tickets).await?;
                tx.commit().await?;
                writer.after_commit().await;
                ids
            }
            Target::Postgres(pool, shard) => {
                let mut tx = pool.begin().await?;
                let ids = crate::pg_batch::insert_tickets(&mut tx, tickets, *shard).await?;
                tx.commit().await?;
                ids
            }
        };
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stopped_writer_is_its_own_error() {
        let (lane, rx) = mpsc::channel::<((), Reply)>(1);
        drop(rx);
        assert!(matches!(hand_over(&lane, ()).await, Err(StoreError::WriterStopped)));
    }

    #[tokio::test]
    async fn a_writer_that_stops_mid_batch_is_its_own_error() {
        let (lane, mut rx) = mpsc::channel::<((), Reply)>(1);
        // Takes the item, then ends without answering, as a panicking lane would.
        let lane_task = tokio::spawn(async move { drop(rx.recv().await) });
        assert!(matches!(hand_over(&lane, ()).await, Err(StoreError::WriterStopped)));
        lane_task.await.unwrap_or_default();
    }

    #[tokio::test]
    async fn a_full_lane_makes_the_submitter_wait() {
        let (lane, _rx) = mpsc::channel::<((), Reply)>(1);
        let (reply, _answer) = oneshot::channel();
        lane.send(((), reply)).await.unwrap_or_default();
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), hand_over(&lane, ())).await;
        assert!(waiting.is_err(), "a full lane took another ticket");
    }
}
