//! Up to `size` SMTP connections kept open and reused, one mail at a time
//! each (one per job worker). A connection is taken back only after a mail
//! went through on it; after any failure it is closed. One idle longer than
//! `IDLE_LIMIT` is closed rather than reused, since servers drop quiet
//! clients. A reused connection the server closed meanwhile fails at MAIL,
//! before anything was accepted, so the mail is tried once more on a new one
//! (no NOOP before each mail, as lettre's pool sends: one round trip less).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use tokio::sync::Semaphore;

use super::connect::{Connector, close};
use crate::error::SendError;

/// Idle connections older than this are closed, not reused (lettre's default too).
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// The body and its final reply may take long on a large mail; RFC 5321
/// (4.5.3.2.6) asks clients to wait 10 minutes for that reply.
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(600);

pub struct Pool {
    connector: Connector,
    idle: Mutex<Vec<Idle>>,
    /// At most `size` connections, idle or busy.
    slots: Semaphore,
    size: usize,
    opened: AtomicU64,
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// A failed transfer; `stale` when the connection had already been closed by
/// the server before our MAIL (nothing of this mail was taken).
struct Failure {
    error: SendError,
    stale: bool,
}

impl Pool {
    pub fn new(connector: Connector, size: usize) -> Pool {
        let size = size.max(1);
        Pool { connector, idle: Mutex::new(Vec::new()), slots: Semaphore::new(size), size, opened: AtomicU64::new(0) }
    }

    /// Connections opened so far (for tests and logs).
    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    pub fn server(&self) -> String {
        self.connector.server()
    }

    /// Send one message; `Ok` once the server accepted it (250 after DATA).
    pub async fn send(&self, envelope: &Envelope, body: &[u8]) -> Result<(), SendError> {
        // The semaphore is never closed, so acquiring fails only if it were.
        let _slot = self.slots.acquire().await.map_err(|e| SendError::Broken {
            server: self.server(),
            stage: "waiting for a connection",
            reason: e.to_string(),
        })?;
        let (mut conn, reused) = match self.take_idle() {
            Some(conn) => (conn, true),
            None => (self.open().await?, false),
        };
        let failure = match self.transfer(&mut conn, envelope, body).await {
            Ok(()) => {
                self.put_back(conn);
                return Ok(());
            }
            Err(failure) => failure,
        };
        if !(reused && failure.stale) {
            retire(conn, &failure.error).await;
            return Err(failure.error);
        }
        tracing::debug!(server = %self.server(), error = %failure.error, "pooled SMTP connection was closed by the server; opening a new one");
        drop(conn);
        let mut conn = self.open().await?;
        match self.transfer(&mut conn, envelope, body).await {
            Ok(()) => {
                self.put_back(conn);
                Ok(())
            }
            Err(failure) => {
                retire(conn, &failure.error).await;
                Err(failure.error)
            }
        }
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, SendError> {
        let conn = self.connector.open().await?;
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok(conn)
    }

    /// The most recently used idle connection that is not too old.
    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while let Some(parked) = idle.pop() {
            if parked.since.elapsed() < IDLE_LIMIT {
                return Some(parked.conn);
            }
            tokio::spawn(close(parked.conn));
        }
        None
    }

    fn put_back(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Old ones sit at the bottom of the stack: close them now rather than never.
        let (old, fresh): (Vec<Idle>, Vec<Idle>) = idle.drain(..).partition(|p| p.since.elapsed() >= IDLE_LIMIT);
        *idle = fresh;
        if idle.len() < self.size {
            idle.push(Idle { conn, since: Instant::now() });
        } else {
            tokio::spawn(close(conn));
        }
        drop(idle);
        for parked in old {
            tokio::spawn(close(parked.conn));
        }
    }

    /// MAIL, RCPT for each recipient, DATA and the message, as lettre's
    /// `send` does, but knowing which step failed.
    async fn transfer(&self, conn: &mut AsyncSmtpConnection, envelope: &Envelope, body: &[u8]) -> Result<(), Failure> {
        let unsupported =
            |reason: &str| Failure { error: SendError::Unsupported { server: self.server(), reason: reason.into() }, stale: false };
        let mut options = Vec::new();
        let addresses_ascii = envelope.from().into_iter().chain(envelope.to()).all(|a| AsRef::<str>::as_ref(a).is_ascii());
        if !addresses_ascii {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(unsupported("an address is not ASCII and the server does not support SMTPUTF8"));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !body.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(unsupported("the message is not ASCII and the server does not support 8BITMIME"));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let timeout = self.connector.timeout;
        self.step("MAIL FROM", timeout, conn.command(Mail::new(envelope.from().cloned(), options)))
            .await
            .map_err(|error| Failure { stale: matches!(error, SendError::Broken { .. }), error })?;
        let fail = |error| Failure { error, stale: false };
        for to in envelope.to() {
            self.step("RCPT TO", timeout, conn.command(Rcpt::new(to.clone(), vec![]))).await.map_err(fail)?;
        }
        self.step("DATA", timeout, conn.command(Data)).await.map_err(fail)?;
        self.step("the message", MESSAGE_TIMEOUT, conn.message(body)).await.map_err(fail)?;
        Ok(())
    }

    /// One command and its reply, bounded in time, its failure sorted.
    async fn step(
        &self,
        stage: &'static str,
        limit: Duration,
        command: impl Future<Output = Result<Response, SmtpError>>,
    ) -> Result<(), SendError> {
        let server = self.server();
        match tokio::time::timeout(limit, command).await {
            Err(_) => Err(SendError::Timeout { server, stage, after: limit }),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_transient() || e.is_permanent() => {
                Err(SendError::Rejected { server, stage, reply: e.to_string(), permanent: e.is_permanent() })
            }
            Ok(Err(e)) => Err(SendError::Broken { server, stage, reason: e.to_string() }),
        }
    }
}

/// Close a connection after a failure: QUIT if the server still talks,
/// simply hang up if it went silent or the conversation broke.
async fn retire(conn: AsyncSmtpConnection, why: &SendError) {
    match why {
        SendError::Timeout { .. } | SendError::Broken { .. } => drop(conn),
        _ => close(conn).await,
    }
}
