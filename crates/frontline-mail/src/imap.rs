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

use std::fmt::Debug;
use std::path::PathBuf;
use std::time::Duration;

use async_imap::{Client, Session};
use frontline_app::App;
use futures::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

/// Message bodies fetched per round trip.
const BATCH: usize = 100;
/// Connecting, the TLS handshake and the greeting; a server that accepts
/// the connection and then says nothing must not stall the poller forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

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
}

impl ImapMailbox {
    /// Refuse at startup what would make every poll fail (an unreadable CA file).
    pub fn check(&self) -> Result<(), String> {
        self.connector().map(|_| ())
    }

    fn connector(&self) -> Result<Option<TlsConnector>, String> {
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
/// returns how many messages were taken in.
pub async fn poll_once(app: &App, mb: &ImapMailbox) -> Result<usize, String> {
    let connector = mb.connector()?;
    match connector {
        None => poll_over(app, mb, open_plain(mb).await?).await,
        Some(tls) => poll_over(app, mb, open_tls(mb, &tls).await?).await,
    }
}

async fn open_plain(mb: &ImapMailbox) -> Result<Client<TcpStream>, String> {
    within_timeout(mb, async {
        let mut client = Client::new(connect(mb).await?);
        greeting(&mut client).await?;
        Ok(client)
    })
    .await
}

async fn open_tls(mb: &ImapMailbox, tls: &TlsConnector) -> Result<Client<TlsStream<TcpStream>>, String> {
    within_timeout(mb, async {
        let tcp = connect(mb).await?;
        if mb.security == ImapSecurity::StartTls {
            let mut plain = Client::new(tcp);
            greeting(&mut plain).await?;
            // Never falls back to plain: a refusal (or a stripped
            // capability) ends the poll before the password is sent.
            plain.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| format!("{}: STARTTLS refused: {e}", mb.peer()))?;
            // Whatever the server sent after its OK was sent before TLS and
            // is dropped with the plain client's buffer.
            return Ok(Client::new(handshake(mb, tls, plain.into_inner()).await?));
        }
        let mut client = Client::new(handshake(mb, tls, tcp).await?);
        greeting(&mut client).await?;
        Ok(client)
    })
    .await
}

async fn within_timeout<T>(mb: &ImapMailbox, f: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(CONNECT_TIMEOUT, f).await.map_err(|_| format!("{}: no answer within {}s", mb.peer(), CONNECT_TIMEOUT.as_secs()))?
}

async fn connect(mb: &ImapMailbox) -> Result<TcpStream, String> {
    TcpStream::connect((mb.host.as_str(), mb.port)).await.map_err(|e| format!("connect {}: {e}", mb.peer()))
}

async fn handshake(mb: &ImapMailbox, tls: &TlsConnector, tcp: TcpStream) -> Result<TlsStream<TcpStream>, String> {
    let name = ServerName::try_from(mb.host.clone()).map_err(|e| format!("host {}: not a name TLS can check: {e}", mb.host))?;
    tls.connect(name, tcp).await.map_err(|e| crate::tls::describe_handshake_error(&mb.peer(), &e))
}

async fn greeting<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(client: &mut Client<T>) -> Result<(), String> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("greeting: the server closed the connection".into()),
        Err(e) => Err(format!("greeting: {e}")),
    }
}

async fn poll_over<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
    app: &App,
    mb: &ImapMailbox,
    client: Client<T>,
) -> Result<usize, String> {
    let mut session = client.login(&mb.username, &mb.password).await.map_err(|(e, _)| format!("login: {e}"))?;
    let result = take_new(app, mb, &mut session).await;
    let _ = session.logout().await;
    result
}

async fn take_new<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
    app: &App,
    mb: &ImapMailbox,
    session: &mut Session<T>,
) -> Result<usize, String> {
    let selected = session.select(&mb.folder).await.map_err(|e| format!("select {}: {e}", mb.folder))?;
    let validity = i64::from(selected.uid_validity.unwrap_or(0));
    let last = match app.store.imap_state(&mb.name).await.map_err(|e| e.to_string())? {
        // A new UIDVALIDITY means the UIDs were renumbered: read everything
        // again; Message-IDs keep it from storing anything twice.
        Some((v, last)) if v == validity => last,
        _ => 0,
    };
    let uids = new_uids(session, last).await?;
    let mut taken = 0;
    for batch in uids.chunks(BATCH) {
        let sizes = fetch_sizes(session, batch).await?;
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
                for (got, raw) in fetch_bodies(session, &group).await? {
                    take_one(app, mb, validity, got, &raw).await?;
                    taken += 1;
                }
                group.clear();
                group_bytes = 0;
            }
            if !fits(uid) {
                take_oversized(app, mb, session, validity, *uid, sizes.get(uid).copied().unwrap_or(0)).await?;
                taken += 1;
            }
        }
    }
    Ok(taken)
}

/// Bytes of bodies fetched in one command at the most (one larger message still comes alone).
const FETCH_BYTES: usize = 32 * 1024 * 1024;

/// RFC822.SIZE of each message.
async fn fetch_sizes<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
    session: &mut Session<T>,
    uids: &[u32],
) -> Result<std::collections::HashMap<u32, u32>, String> {
    let fetched: Vec<_> = session
        .uid_fetch(uid_set(uids), "(UID RFC822.SIZE)")
        .await
        .map_err(|e| format!("fetch sizes: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("fetch sizes: {e}"))?;
    Ok(fetched.iter().filter_map(|f| Some((f.uid?, f.size?))).collect())
}

/// A message over the size limit stays on the server; its headers go to
/// the quarantine so an admin knows it came and from whom.
async fn take_oversized<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
    app: &App,
    mb: &ImapMailbox,
    session: &mut Session<T>,
    validity: i64,
    uid: u32,
    size: u32,
) -> Result<(), String> {
    let fetched: Vec<_> = session
        .uid_fetch(uid.to_string(), "(UID BODY.PEEK[HEADER])")
        .await
        .map_err(|e| format!("fetch header: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("fetch header: {e}"))?;
    let header = fetched.iter().find_map(|f| f.header().map(<[u8]>::to_vec)).unwrap_or_default();
    let why = format!(
        "message of {} is over the {} limit: only its headers are kept here; it is left on the server (UID {uid})",
        frontline_domain::attachment::human_size(size as usize),
        frontline_domain::attachment::human_size(crate::MAX_MESSAGE_BYTES)
    );
    app.quarantine_raw(&mb.name, mb.team_id, &header, &why).await.map_err(|e| e.to_string())?;
    app.store.set_imap_state(&mb.name, validity, i64::from(uid)).await.map_err(|e| e.to_string())
}

/// UIDs above `last`, ascending.
async fn new_uids<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(session: &mut Session<T>, last: i64) -> Result<Vec<u32>, String> {
    let found = session.uid_search(format!("UID {}:*", last + 1)).await.map_err(|e| format!("search: {e}"))?;
    // `n:*` also matches the highest UID when it is below n.
    let mut uids: Vec<u32> = found.into_iter().filter(|uid| i64::from(*uid) > last).collect();
    uids.sort_unstable();
    Ok(uids)
}

/// The raw messages with these UIDs, in UID order (one that was expunged
/// meanwhile is simply missing).
async fn fetch_bodies<T: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
    session: &mut Session<T>,
    uids: &[u32],
) -> Result<Vec<(u32, Vec<u8>)>, String> {
    if uids.is_empty() {
        return Ok(vec![]);
    }
    let fetched: Vec<_> = session
        .uid_fetch(uid_set(uids), "(UID BODY.PEEK[])")
        .await
        .map_err(|e| format!("fetch: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("fetch: {e}"))?;
    let mut messages: Vec<(u32, Vec<u8>)> =
        fetched.iter().filter_map(|f| Some((f.uid?, f.body()?.to_vec()))).filter(|(uid, _)| uids.binary_search(uid).is_ok()).collect();
    messages.sort_by_key(|(uid, _)| *uid);
    Ok(messages)
}

/// Store one message (or quarantine it) and then record it as taken.
async fn take_one(app: &App, mb: &ImapMailbox, validity: i64, uid: u32, raw: &[u8]) -> Result<(), String> {
    // Stored or kept raw in the quarantine for an admin, never dropped; an
    // error means nothing was stored: stop here and try this message again next time.
    app.receive_mail(&mb.name, mb.team_id, raw, crate::inbound::parse(raw)).await.map_err(|e| e.to_string())?;
    app.store.set_imap_state(&mb.name, validity, i64::from(uid)).await.map_err(|e| e.to_string())
}

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
