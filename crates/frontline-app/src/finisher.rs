//! Group commit for the ends of jobs. Each finished job must leave the
//! table together with the record of the mail it sent, in one transaction;
//! on PostgreSQL each commit waits for a WAL flush, so one commit per mail
//! held the runner to the disk's flush rate. Workers hand their finished
//! jobs to one task that commits those waiting at that moment together and
//! answers each worker once its job is recorded (a worker's slot stays
//! taken until then, as before). A crash before that commit leaves the
//! job's row and no record, exactly as a crash before a single commit did.

use frontline_store::jobs::SentMail;
use tokio::sync::{mpsc, oneshot};

use crate::{App, AppError, Result};

/// Most jobs ended in one transaction.
const MAX_BATCH: usize = 64;

type Done = (i64, Option<SentMail>, oneshot::Sender<Result<()>>);

/// The queue in front of the finishing task; cheap to clone.
#[derive(Clone)]
pub(crate) struct Finisher {
    queue: mpsc::Sender<Done>,
}

impl Finisher {
    /// Start the finishing task; it ends when every `Finisher` clone is dropped.
    pub(crate) fn start(app: App) -> (Finisher, tokio::task::JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(MAX_BATCH * 4);
        (Finisher { queue }, tokio::spawn(run(app, rx)))
    }

    /// Record job `id` as done (with the mail it sent) and wait until it is committed.
    pub(crate) async fn finish(&self, id: i64, sent: Option<SentMail>) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((id, sent, reply)).await.map_err(|_| AppError::internal("the job finisher has stopped"))?;
        answer.await.map_err(|_| AppError::internal("the job finisher stopped before recording a job"))?
    }
}

async fn run(app: App, mut rx: mpsc::Receiver<Done>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(done) => batch.push(done),
                Err(_) => break,
            }
        }
        let (jobs, replies): (Vec<(i64, Option<SentMail>)>, Vec<_>) =
            batch.into_iter().map(|(id, sent, reply)| ((id, sent), reply)).unzip();
        match app.store.finish_jobs(&jobs).await {
            Ok(()) => {
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
            }
            // Nothing was written: each on its own, so one bad row (its
            // ticket deleted meanwhile) does not hold back the others.
            Err(_) => {
                for ((id, sent), reply) in jobs.into_iter().zip(replies) {
                    let _ = reply.send(app.store.finish_job(id, sent.as_ref()).await.map_err(Into::into));
                }
            }
        }
    }
}
