//! IMAP polling. Progress is the last UID stored under the mailbox's
//! UIDVALIDITY, saved after each message is committed in Frontline: a crash
//! or a dropped connection re-reads at most the message in flight (and the
//! Message-ID makes that a no-op); \Seen flags are never read or set, so a
//! person reading the mailbox in a mail client changes nothing.
//!
//! The connection is TLS from the start (IMAPS), upgraded with STARTTLS
//! before logging in, or plain only when the admin chose so. New mail is
//! listed by UID first and its bodies fetched in bounded batches, so a
//! mailbox with a large backlog does not have to fit in memory.
//!
//! Every wait on the server (connecting, each command, each read of a
//! fetch's answer) is bounded by the mailbox's timeout and ends early when
//! shutdown is asked; storing a message is never interrupted, so a poll
//! stops between messages.

use std::fmt::Debug;
use std::path::PathBuf;
use std::time::Duration;

use async_imap::{Client, Session};
use frontline_app::App;
use frontline_app::ingest::{Delivery, IngestOutcome};
use frontline_domain::mail::{MailOutcome, MailSource};
use futures::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

use crate::error::ImapError;

/// Message bodies fetched per round trip.
const BATCH: usize = 100;
/// How long the server may take to answer one command (or to send the
/// next message of a fetch) unless the mailbox says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection to the IMAP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImapSecurity {
    /// IMAPS: TLS from the first byte (port 993).
    #[default]
    Tls,
    /// Plain connection upgraded with STARTTLS before the login (port 143).
    StartTls,
    /// No encryption at all: the password crosses the network readable.
    Plain,
}

impl ImapSecurity {
    pub fn default_port(self) -> u16 {
        match self {
            ImapSecurity::Tls => 993,
            ImapSecurity::StartTls | ImapSecurity::Plain => 143,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImapMailbox {
    /// Our name for it (progress is kept under this name).
    pub name: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub folder: String,
    /// New tickets from this mailbox go to this team.
    pub team_id: Option<i64>,
    pub security: ImapSecurity,
    /// PEM file of a private CA trusted besides the public roots.
    pub ca_file: Option<PathBuf>,
    /// Longest wait for one answer from the server (connecting, a command,
    /// the next message of a fetch): a server that stops answering ends
    /// the poll with an error instead of stalling it.
    pub timeout: Duration,
}

impl ImapMailbox {
    /// Refuse at startup what would make every poll fail (an unreadable CA file).
    pub fn check(&self) -> Result<(), crate::error::TlsConfigError> {
        self.connector().map(|_| ())
    }

    fn connector(&self) -> Result<Option<TlsConnector>, crate::error::TlsConfigError> {
        match self.security {
            ImapSecurity::Plain => Ok(None),
            ImapSecurity::Tls | ImapSecurity::StartTls => {
                crate::tls::client_config(self.ca_file.as_deref()).map(|config| Some(TlsConnector::from(config)))
            }
        }
    }

    fn peer(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Fetch and store what arrived since the last poll, over one connection;
/// returns how many messages were taken in. A failure is logged (one
/// line: the mailbox, what failed, how far the poll got) and returned.
pub async fn poll_once(app: &App, mb: &ImapMailbox) -> Result<usize, ImapError> {
    poll(app, mb, None).await
}

/// `poll_once` that also stops, between two messages, once `stop` turns
/// true (shutdown): what was taken so far is kept and counted.
pub async fn poll_until_stopped(app: &App, mb: &ImapMailbox, stop: watch::Receiver<bool>) -> Result<usize, ImapError> {
    poll(app, mb, Some(stop)).await
}

async fn poll(app: &App, mb: &ImapMailbox, stop: Option<watch::Receiver<bool>>) -> Result<usize, ImapError> {
    let mut p = Poll { app, mb, stop, stored: 0, last_uid: None };
    let result = match mb.connector() {
        Err(e) => Err(Halt::Failed(e.into())),
        Ok(None) => match p.bounded("connect", open_plain(mb)).await {
            Ok(client) => p.run(client).await,
            Err(e) => Err(e),
        },
        Ok(Some(tls)) => match p.bounded("connect", open_tls(mb, &tls)).await {
            Ok(client) => p.run(client).await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => Ok(p.stored),
        Err(Halt::Stopped) => {
            tracing::info!(mailbox = %mb.name, stored = p.stored, last_uid = p.last_uid, "IMAP poll stopped for shutdown");
            Ok(p.stored)
        }
        Err(Halt::Failed(error)) => {
            tracing::warn!(mailbox = %mb.name, error = %error, stored = p.stored, last_uid = p.last_uid, "IMAP poll failed; will retry");
            crate::counters::imap_poll_failed(&mb.name, error.kind());
            Err(error)
        }
    }
}

/// Why a poll ended before taking everything.
enum Halt {
    Failed(ImapError),
    /// Shutdown was asked.
    Stopped,
}

impl From<ImapError> for Halt {
    fn from(e: ImapError) -> Self {
        Halt::Failed(e)
    }
}

/// One poll: where it stores, what may end it early, and how far it got.
struct Poll<'a> {
    app: &'a App,
    mb: &'a ImapMailbox,
    stop: Option<watch::Receiver<bool>>,
    stored: usize,
    /// The mailbox's progress: the last UID taken (in this poll or before).
    last_uid: Option<u32>,
}

impl Poll<'_> {
    /// Wait for the server, at most the mailbox's timeout and not past a
    /// shutdown. `f` fails with the whole error; `what` names the step
    /// for a timeout.
    async fn bounded<T>(&self, what: &str, f: impl Future<Output = Result<T, ImapError>>) -> Result<T, Halt> {
        let stop = self.stop.clone();
        let stopped = async move {
            match stop {
                // A dropped sender can never ask for shutdown.
                Some(mut rx) => {
                    if rx.wait_for(|stop| *stop).await.is_err() {
                        std::future::pending::<()>().await
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            biased;
            () = stopped => Err(Halt::Stopped),
            answer = tokio::time::timeout(self.mb.timeout, f) => match answer {
                Ok(result) => result.map_err(Halt::Failed),
                Err(_) => Err(Halt::Failed(ImapError::Timeout { stage: what.to_string(), server: self.mb.peer(), after: self.mb.timeout })),
            },
        }
    }

    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|rx| *rx.borrow())
    }

    /// Log in, take what is new, log out (only after a clean poll: after a
    /// failure the connection is dropped, not waited on once more).
    async fn run<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(&mut self, client: Client<T>) -> Result<(), Halt> {
        let (user, password) = (&self.mb.username, &self.mb.password);
        let mut session =
            self.bounded("login", async { client.login(user, password).await.map_err(|(source, _)| ImapError::Login { source }) }).await?;
        self.take_new(&mut session).await?;
        let _ = self.bounded("logout", async { session.logout().await.map_err(|e| command("logout", e)) }).await;
        Ok(())
    }
}

/// A command the server failed (or the connection broke during it).
fn command(stage: impl Into<String>, source: async_imap::error::Error) -> ImapError {
    ImapError::Command { stage: stage.into(), source }
}

/// Frontline's database failed at `stage`.
fn store_failed(stage: impl Into<String>, source: impl Into<frontline_app::AppError>) -> ImapError {
    ImapError::Store { stage: stage.into(), source: source.into() }
}

async fn open_plain(mb: &ImapMailbox) -> Result<Client<TcpStream>, ImapError> {
    let mut client = Client::new(connect(mb).await?);
    greeting(&mut client).await?;
    Ok(client)
}

async fn open_tls(mb: &ImapMailbox, tls: &TlsConnector) -> Result<Client<TlsStream<TcpStream>>, ImapError> {
    let tcp = connect(mb).await?;
    if mb.security == ImapSecurity::StartTls {
        let mut plain = Client::new(tcp);
        greeting(&mut plain).await?;
        // Never falls back to plain: a refusal (or a stripped
        // capability) ends the poll before the password is sent.
        plain.run_command_and_check_ok("STARTTLS", None).await.map_err(|source| ImapError::StartTls { server: mb.peer(), source })?;
        // Whatever the server sent after its OK was sent before TLS and
        // is dropped with the plain client's buffer.
        return Ok(Client::new(handshake(mb, tls, plain.into_inner()).await?));
    }
    let mut client = Client::new(handshake(mb, tls, tcp).await?);
    greeting(&mut client).await?;
    Ok(client)
}

async fn connect(mb: &ImapMailbox) -> Result<TcpStream, ImapError> {
    TcpStream::connect((mb.host.as_str(), mb.port)).await.map_err(|source| ImapError::Connect { server: mb.peer(), source })
}

async fn handshake(mb: &ImapMailbox, tls: &TlsConnector, tcp: TcpStream) -> Result<TlsStream<TcpStream>, ImapError> {
    let name = ServerName::try_from(mb.host.clone()).map_err(|e| ImapError::ServerName { host: mb.host.clone(), reason: e.to_string() })?;
    tls.connect(name, tcp).await.map_err(|e| ImapError::Tls { server: mb.peer(), reason: crate::tls::explain(&e) })
}

async fn greeting<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(client: &mut Client<T>) -> Result<(), ImapError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ImapError::Greeting { reason: "the server closed the connection".into() }),
        Err(e) => Err(ImapError::Greeting { reason: e.to_string() }),
    }
}

impl Poll<'_> {
    async fn take_new<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(&mut self, session: &mut Session<T>) -> Result<(), Halt> {
        let folder = &self.mb.folder;
        let selected =
            self.bounded("select", async { session.select(folder).await.map_err(|e| command(format!("select {folder}"), e)) }).await?;
        let validity = i64::from(selected.uid_validity.unwrap_or(0));
        let last = match self.app.imap_progress(&self.mb.name).await.map_err(|e| store_failed("read progress", e))? {
            // A new UIDVALIDITY means the UIDs were renumbered: read everything
            // again; Message-IDs keep it from storing anything twice.
            Some((v, last)) if v == validity => last,
            _ => 0,
        };
        self.last_uid = u32::try_from(last).ok().filter(|uid| *uid > 0);
        let uids = self.new_uids(session, last).await?;
        for batch in uids.chunks(BATCH) {
            let sizes = self.fetch_sizes(session, batch).await?;
            let fits = |uid: &u32| sizes.get(uid).is_none_or(|size| *size as usize <= crate::MAX_MESSAGE_BYTES);
            // Bodies in groups of bounded bytes, so a batch of large mails never sits in memory at once.
            let mut group: Vec<u32> = Vec::new();
            let mut group_bytes = 0usize;
            for (i, uid) in batch.iter().enumerate() {
                if fits(uid) {
                    group.push(*uid);
                    group_bytes += sizes.get(uid).copied().unwrap_or(0) as usize;
                }
                let last_in_batch = i + 1 == batch.len();
                if !fits(uid) || group_bytes >= FETCH_BYTES || last_in_batch {
                    for (got, raw) in self.fetch_bodies(session, &group).await? {
                        self.take_one(validity, got, &raw).await?;
                    }
                    group.clear();
                    group_bytes = 0;
                }
                if !fits(uid) {
                    self.take_oversized(session, validity, *uid, sizes.get(uid).copied().unwrap_or(0)).await?;
                }
            }
        }
        Ok(())
    }

    /// The answers to a UID FETCH, each read within the timeout (a large
    /// batch may take longer in all than one answer may).
    async fn uid_fetch<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
        &self,
        session: &mut Session<T>,
        what: &str,
        uids: String,
        query: &str,
    ) -> Result<Vec<async_imap::types::Fetch>, Halt> {
        let answers = self.bounded(what, async { session.uid_fetch(uids, query).await.map_err(|e| command(what, e)) }).await?;
        let mut answers = std::pin::pin!(answers);
        let mut fetched = Vec::new();
        while let Some(one) = self.bounded(what, async { answers.try_next().await.map_err(|e| command(what, e)) }).await? {
            fetched.push(one);
        }
        Ok(fetched)
    }

    /// RFC822.SIZE of each message.
    async fn fetch_sizes<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
        &self,
        session: &mut Session<T>,
        uids: &[u32],
    ) -> Result<std::collections::HashMap<u32, u32>, Halt> {
        let fetched = self.uid_fetch(session, "fetch sizes", uid_set(uids), "(UID RFC822.SIZE)").await?;
        Ok(fetched.iter().filter_map(|f| Some((f.uid?, f.size?))).collect())
    }

    /// A message over the size limit stays on the server; its headers go to
    /// the quarantine so an admin knows it came and from whom.
    async fn take_oversized<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
        &mut self,
        session: &mut Session<T>,
        validity: i64,
        uid: u32,
        size: u32,
    ) -> Result<(), Halt> {
        let fetched = self.uid_fetch(session, "fetch header", uid.to_string(), "(UID BODY.PEEK[HEADER])").await?;
        let header = fetched.iter().find_map(|f| f.header().map(<[u8]>::to_vec)).unwrap_or_default();
        let why = format!(
            "message of {} is over the {} limit: only its headers are kept here; it is left on the server (UID {uid})",
            frontline_domain::attachment::human_size(size as usize),
            frontline_domain::attachment::human_size(crate::MAX_MESSAGE_BYTES)
        );
        let (app, mb) = (self.app, self.mb);
        app.quarantine_raw(&mb.name, mb.team_id, &header, &why).await.map_err(|e| store_failed(format!("quarantine UID {uid}"), e))?;
        app.count_mail_in(MailSource::Imap, MailOutcome::Quarantined).await;
        self.taken(validity, uid).await
    }

    /// UIDs above `last`, ascending.
    async fn new_uids<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
        &self,
        session: &mut Session<T>,
        last: i64,
    ) -> Result<Vec<u32>, Halt> {
        let query = format!("UID {}:*", last + 1);
        let found = self.bounded("search", async { session.uid_search(query).await.map_err(|e| command("search", e)) }).await?;
        // `n:*` also matches the highest UID when it is below n.
        let mut uids: Vec<u32> = found.into_iter().filter(|uid| i64::from(*uid) > last).collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The raw messages with these UIDs, in UID order (one that was expunged
    /// meanwhile is simply missing).
    async fn fetch_bodies<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
        &self,
        session: &mut Session<T>,
        uids: &[u32],
    ) -> Result<Vec<(u32, Vec<u8>)>, Halt> {
        if uids.is_empty() {
            return Ok(vec![]);
        }
        let fetched = self.uid_fetch(session, "fetch", uid_set(uids), "(UID BODY.PEEK[])").await?;
        let mut messages: Vec<(u32, Vec<u8>)> =
            fetched.iter().filter_map(|f| Some((f.uid?, f.body()?.to_vec()))).filter(|(uid, _)| uids.binary_search(uid).is_ok()).collect();
        messages.sort_by_key(|(uid, _)| *uid);
        Ok(messages)
    }

    /// Store one message (or quarantine it) and then record it as taken;
    /// a shutdown asked meanwhile ends the poll after it, never inside it.
    async fn take_one(&mut self, validity: i64, uid: u32, raw: &[u8]) -> Result<(), Halt> {
        if self.stopping() {
            return Err(Halt::Stopped);
        }
        let (app, mb) = (self.app, self.mb);
        // Stored, or kept raw in the quarantine for an admin, never dropped.
        let outcome = match app.receive_mail(&mb.name, mb.team_id, raw, crate::inbound::parse(raw)).await {
            Ok(Delivery::Stored(IngestOutcome::Duplicate { .. })) | Ok(Delivery::Quarantined { again: true, .. }) => MailOutcome::Duplicate,
            Ok(Delivery::Stored(_)) => MailOutcome::Stored,
            Ok(Delivery::Quarantined { again: false, .. }) => MailOutcome::Quarantined,
            // Nothing stored: stop here and try this message again next time.
            Err(e) => return Err(Halt::Failed(store_failed(format!("store UID {uid}"), e))),
        };
        app.count_mail_in(MailSource::Imap, outcome).await;
        self.taken(validity, uid).await
    }

    async fn taken(&mut self, validity: i64, uid: u32) -> Result<(), Halt> {
        self.app.save_imap_progress(&self.mb.name, validity, i64::from(uid)).await.map_err(|e| store_failed("save progress", e))?;
        self.stored += 1;
        self.last_uid = Some(uid);
        Ok(())
    }
}

/// Bytes of bodies fetched in one command at the most (one larger message still comes alone).
const FETCH_BYTES: usize = 32 * 1024 * 1024;

/// An IMAP sequence set for sorted UIDs, runs collapsed: 3,4,5,9 -> "3:5,9".
fn uid_set(uids: &[u32]) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &uid in uids {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(uid) => *end = uid,
            _ => runs.push((uid, uid)),
        }
    }
    let parts: Vec<String> = runs.iter().map(|(s, e)| if s == e { s.to_string() } else { format!("{s}:{e}") }).collect();
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_collapse_runs() {
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[3, 4, 5, 9, 11, 12]), "3:5,9,11:12");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn tls_unless_told_otherwise() {
        assert_eq!(ImapSecurity::default(), ImapSecurity::Tls);
        assert_eq!(ImapSecurity::Tls.default_port(), 993);
    }
}
