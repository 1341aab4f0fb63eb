//! An SMTP sink on loopback for `bench notify`: just enough SMTP for
//! lettre (greeting, EHLO with PIPELINING and 8BITMIME, MAIL, RCPT, DATA
//! with dot-unstuffing up to the end marker, RSET, NOOP, QUIT). It keeps
//! nothing but the count of messages and their Message-IDs, so that the
//! benchmark can check that every job sent exactly one mail. A Python sink
//! (aiosmtpd, as the tests use) would be slower than the runner it measures.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the sink received so far.
#[derive(Debug, Default)]
pub struct Received {
    messages: AtomicU64,
    connections: AtomicU64,
    ids: Mutex<HashSet<String>>,
}

impl Received {
    /// Messages accepted (each DATA that reached its end marker).
    pub fn messages(&self) -> u64 {
        self.messages.load(Ordering::SeqCst)
    }

    /// SMTP connections opened by clients.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Distinct Message-IDs among the messages (a resent mail repeats one).
    pub fn distinct_ids(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A plain set stays usable after a panic elsewhere.
        self.ids.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, message_id: Option<String>) {
        if let Some(id) = message_id {
            self.lock().insert(id);
        }
        self.messages.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    pub received: Arc<Received>,
    accept: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Listen on a free loopback port until dropped.
pub async fn start() -> std::io::Result<SmtpSink> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let received = Arc::new(Received::default());
    let counts = received.clone();
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counts.connections.fetch_add(1, Ordering::SeqCst);
            let counts = counts.clone();
            tokio::spawn(async move {
                if let Err(e) = session(stream, &counts).await {
                    tracing::debug!(error = %e, "SMTP sink session ended");
                }
            });
        }
    });
    Ok(SmtpSink { addr, received, accept })
}

async fn session(stream: TcpStream, received: &Received) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (r, w) = stream.into_split();
    let (mut r, mut w) = (BufReader::new(r), BufWriter::new(w));
    w.write_all(b"220 sink.localhost ESMTP\r\n").await?;
    w.flush().await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).map(|v| v.to_ascii_uppercase()).unwrap_or_default();
        match verb.as_slice() {
            b"EHLO" => w.write_all(b"250-sink.localhost\r\n250-PIPELINING\r\n250 8BITMIME\r\n").await?,
            b"HELO" => w.write_all(b"250 sink.localhost\r\n").await?,
            b"MAIL" | b"RCPT" | b"RSET" | b"NOOP" => w.write_all(b"250 OK\r\n").await?,
            b"DATA" => {
                w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                w.flush().await?;
                let Some(id) = read_data(&mut r).await? else { return Ok(()) };
                received.record(id);
                w.write_all(b"250 OK queued\r\n").await?;
            }
            b"QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                w.flush().await?;
                return Ok(());
            }
            _ => w.write_all(b"502 not implemented\r\n").await?,
        }
        // With PIPELINING a client may send several commands at once: answer
        // them in one write, once nothing more is waiting to be read.
        if r.buffer().is_empty() {
            w.flush().await?;
        }
    }
}

/// Read a message up to the end marker, undoing dot-stuffing; returns its
/// Message-ID (None inside when it has none), or None when the client left.
async fn read_data(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<Option<Option<String>>> {
    let mut line = Vec::new();
    let mut in_headers = true;
    let mut message_id: Option<String> = None;
    let mut continues_id = false;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(message_id));
        }
        let text: &[u8] = if line.starts_with(b"..") { &line[1..] } else { &line };
        if !in_headers {
            continue;
        }
        let trimmed = text.trim_ascii();
        if trimmed.is_empty() {
            in_headers = false;
        } else if continues_id && text.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            // A folded Message-ID header goes on on this line.
            if let Some(id) = message_id.as_mut() {
                id.push_str(&String::from_utf8_lossy(trimmed));
            }
        } else if text.len() > 11 && text[..11].eq_ignore_ascii_case(b"message-id:") {
            message_id = Some(String::from_utf8_lossy(text[11..].trim_ascii()).into_owned());
            continues_id = true;
        } else {
            continues_id = false;
        }
    }
}
