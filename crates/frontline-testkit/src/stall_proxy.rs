//! A TCP proxy on loopback in front of a test server that can be told to
//! stop forwarding at any moment while keeping every connection open: the
//! server then looks alive but never answers, as a hung IMAP server does.
//! Nothing is dropped while stalled; `resume` forwards what was held.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct StallProxy {
    /// Connect here (127.0.0.1) instead of to the server.
    pub port: u16,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

struct Shared {
    stalled: watch::Sender<bool>,
    connections: AtomicUsize,
    /// Stall when the client has sent these bytes this many more times.
    trigger: Mutex<Option<(Vec<u8>, usize)>>,
}

impl StallProxy {
    /// Forward 127.0.0.1:`port` (a new port) to 127.0.0.1:`target`.
    pub async fn start(target: u16) -> StallProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared { stalled: watch::channel(false).0, connections: AtomicUsize::new(0), trigger: Mutex::new(None) });
        let accept = tokio::spawn({
            let shared = shared.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else { continue };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::spawn(pump(client_read, server_write, shared.clone(), true));
                    tokio::spawn(pump(server_read, client_write, shared.clone(), false));
                }
            }
        });
        StallProxy { port, shared, accept }
    }

    /// Stop forwarding now, in both directions, on every connection.
    pub fn stall(&self) {
        self.shared.stalled.send_replace(true);
    }

    /// Forward again, starting with what was held back.
    pub fn resume(&self) {
        *self.shared.trigger.lock().expect("trigger") = None;
        self.shared.stalled.send_replace(false);
    }

    /// Stall when the client sends `needle` for the `nth` time (counted
    /// across connections); those bytes are held back, so the server never
    /// sees that command.
    pub fn stall_on(&self, needle: &str, nth: usize) {
        *self.shared.trigger.lock().expect("trigger") = Some((needle.as_bytes().to_vec(), nth));
    }

    pub fn is_stalled(&self) -> bool {
        *self.shared.stalled.borrow()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for StallProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, shared: Arc<Shared>, from_client: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    // The end of the previous read, so a needle split across reads is seen.
    let mut tail: Vec<u8> = Vec::new();
    let mut stalled = shared.stalled.subscribe();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if from_client {
            check_trigger(&shared, &mut tail, &buf[..n]);
        }
        if stalled.wait_for(|s| !*s).await.is_err() {
            break;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

fn check_trigger(shared: &Shared, tail: &mut Vec<u8>, data: &[u8]) {
    let mut trigger = shared.trigger.lock().expect("trigger");
    let Some((needle, left)) = trigger.as_mut() else { return };
    let mut seen = std::mem::take(tail);
    let keep_from = seen.len();
    seen.extend_from_slice(data);
    // Only matches that end in the new bytes: a match inside the tail was counted before.
    let found = seen.windows(needle.len()).enumerate().filter(|(i, w)| i + needle.len() > keep_from && *w == needle.as_slice()).count();
    *tail = seen[seen.len().saturating_sub(needle.len().saturating_sub(1))..].to_vec();
    if found >= *left {
        *trigger = None;
        shared.stalled.send_replace(true);
    } else {
        *left -= found;
    }
}
