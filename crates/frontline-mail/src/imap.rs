//! IMAP polling. Progress is the last UID stored under the mailbox's
//! UIDVALIDITY, saved after each message is committed in Frontline: a crash
//! or a dropped connection re-reads at most the message in flight (and the
//! Message-ID makes that a no-op); \Seen flags are never read or set, so a
//! person reading the mailbox in a mail client changes nothing.

use async_imap::Client;
use frontline_app::{App, AppError};
use futures::TryStreamExt;
use tokio::net::TcpStream;

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
}

/// Fetch and store what arrived since the last poll; returns how many
/// messages were taken in.
pub async fn poll_once(app: &App, mb: &ImapMailbox) -> Result<usize, String> {
    let tcp = TcpStream::connect((mb.host.as_str(), mb.port)).await.map_err(|e| format!("connect {}:{}: {e}", mb.host, mb.port))?;
    let mut client = Client::new(tcp);
    client.read_response().await.map_err(|e| format!("greeting: {e}"))?;
    let mut session = client.login(&mb.username, &mb.password).await.map_err(|(e, _)| format!("login: {e}"))?;
    let selected = session.select(&mb.folder).await.map_err(|e| format!("select {}: {e}", mb.folder))?;
    let validity = i64::from(selected.uid_validity.unwrap_or(0));
    let last = match app.store.imap_state(&mb.name).await.map_err(|e| e.to_string())? {
        // A new UIDVALIDITY means the UIDs were renumbered: read everything
        // again; Message-IDs keep it from storing anything twice.
        Some((v, last)) if v == validity => last,
        _ => 0,
    };
    let mut taken = 0;
    let fetched: Vec<_> = session
        .uid_fetch(format!("{}:*", last + 1), "(UID BODY.PEEK[])")
        .await
        .map_err(|e| format!("fetch: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("fetch: {e}"))?;
    let mut messages: Vec<(i64, Vec<u8>)> =
        fetched.iter().filter_map(|f| Some((i64::from(f.uid?), f.body()?.to_vec()))).filter(|(uid, _)| *uid > last).collect();
    messages.sort_by_key(|(uid, _)| *uid);
    for (uid, raw) in messages {
        let result = match crate::inbound::parse(&raw) {
            Ok(mail) => app.ingest_email(&mail, mb.team_id).await.map(|_| ()),
            Err(e) => Err(AppError::Domain(frontline_domain::DomainError::invalid("raw", e))),
        };
        match result {
            Ok(()) => {}
            // Nothing stored: stop here and try this message again next time.
            Err(AppError::Internal(e)) => return Err(e),
            // Kept raw for an admin, never dropped.
            Err(AppError::Domain(why)) => {
                app.store.quarantine_mail(&mb.name, mb.team_id, &raw, &why.to_string()).await.map_err(|e| e.to_string())?;
            }
        }
        app.store.set_imap_state(&mb.name, validity, uid).await.map_err(|e| e.to_string())?;
        taken += 1;
    }
    let _ = session.logout().await;
    Ok(taken)
}
