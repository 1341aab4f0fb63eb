//! The connector and the pool against a small SMTP server on loopback that
//! can be told to misbehave.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lettre::address::Envelope;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::connect::Connector;
use super::pool::Pool;
use super::target::Target;
use crate::error::SendError;

#[derive(Clone, Copy, Default)]
struct Behaviour {
    /// Hang up after each accepted mail (as a server with a short idle limit would).
    close_after_mail: bool,
    /// Answer RCPT with 550.
    refuse_recipients: bool,
    /// Greet, then never answer again.
    go_silent: bool,
}

#[derive(Default)]
struct Seen {
    connections: AtomicU64,
    mails: AtomicU64,
}

struct Server {
    port: u16,
    seen: Arc<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn server(behaviour: Behaviour) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counts.connections.fetch_add(1, Ordering::SeqCst);
            let counts = counts.clone();
            tokio::spawn(async move {
                let _ = session(stream, behaviour, &counts).await;
            });
        }
    });
    Server { port, seen, task }
}

async fn session(stream: TcpStream, b: Behaviour, seen: &Seen) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 test ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if b.go_silent && !line.starts_with("EHLO") {
            std::future::pending::<()>().await;
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
            "RCPT" if b.refuse_recipients => b"550 5.1.1 no such user here\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "DATA" => {
                w.write_all(b"354 go ahead\r\n").await?;
                loop {
                    line.clear();
                    if r.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                }
                seen.mails.fetch_add(1, Ordering::SeqCst);
                w.write_all(b"250 queued\r\n").await?;
                if b.close_after_mail {
                    return Ok(());
                }
                continue;
            }
            "QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 what\r\n",
        };
        w.write_all(answer).await?;
    }
}

fn connector(port: u16, timeout: Duration) -> Connector {
    let target = Target::parse(&format!("smtp://127.0.0.1:{port}")).expect("url");
    Connector::new(target, None, timeout).expect("connector")
}

fn mail(n: usize) -> (Envelope, Vec<u8>) {
    let addr = |s: &str| s.parse().expect("address");
    let envelope = Envelope::new(Some(addr("desk@acme.example")), vec![addr("dana@northwind.example")]).expect("envelope");
    (envelope, format!("Subject: test {n}\r\nMessage-ID: <{n}@acme.example>\r\n\r\nHello {n}.\r\n").into_bytes())
}

#[tokio::test]
async fn connections_are_opened_with_nagle_off() {
    let s = server(Behaviour::default()).await;
    let stream = connector(s.port, Duration::from_secs(5)).stream().await.expect("stream");
    // Nagle would hold the end-of-data marker until the server ACKs the body.
    assert!(stream.nodelay().expect("nodelay"), "TCP_NODELAY must be set on SMTP connections");
}

#[tokio::test]
async fn one_connection_carries_mail_after_mail() {
    let s = server(Behaviour::default()).await;
    let pool = Pool::new(connector(s.port, Duration::from_secs(5)), 1);
    for n in 0..20 {
        let (envelope, body) = mail(n);
        pool.send(&envelope, &body).await.expect("sent");
    }
    assert_eq!(s.seen.mails.load(Ordering::SeqCst), 20);
    assert_eq!((pool.opened(), s.seen.connections.load(Ordering::SeqCst)), (1, 1));
}

#[tokio::test]
async fn parallel_senders_share_at_most_size_connections() {
    let s = server(Behaviour::default()).await;
    let pool = Arc::new(Pool::new(connector(s.port, Duration::from_secs(5)), 4));
    let sends = (0..40).map(|n| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let (envelope, body) = mail(n);
            pool.send(&envelope, &body).await
        })
    });
    for sent in futures::future::join_all(sends).await {
        sent.expect("task").expect("sent");
    }
    assert_eq!(s.seen.mails.load(Ordering::SeqCst), 40);
    assert!(pool.opened() <= 4, "{} connections", pool.opened());
}

#[tokio::test]
async fn a_connection_closed_by_the_server_is_replaced_once() {
    let s = server(Behaviour { close_after_mail: true, ..Behaviour::default() }).await;
    let pool = Pool::new(connector(s.port, Duration::from_secs(5)), 1);
    for n in 0..5 {
        let (envelope, body) = mail(n);
        pool.send(&envelope, &body).await.unwrap_or_else(|e| panic!("mail {n}: {e}"));
        // Let the server's hang-up arrive before the next mail takes the connection.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.seen.mails.load(Ordering::SeqCst), 5, "each mail once");
    assert_eq!(pool.opened(), 5);
}

#[tokio::test]
async fn a_refusal_says_where_and_what_the_server_said() {
    let s = server(Behaviour { refuse_recipients: true, ..Behaviour::default() }).await;
    let pool = Pool::new(connector(s.port, Duration::from_secs(5)), 1);
    let (envelope, body) = mail(1);
    let err = pool.send(&envelope, &body).await.expect_err("refused");
    assert!(matches!(err, SendError::Rejected { stage: "RCPT TO", permanent: true, .. }), "{err:?}");
    assert!(err.to_string().contains("no such user here"), "{err}");
    assert_eq!(s.seen.mails.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn nobody_listening_is_a_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let pool = Pool::new(connector(port, Duration::from_secs(5)), 1);
    let (envelope, body) = mail(1);
    let err = pool.send(&envelope, &body).await.expect_err("nobody there");
    assert!(matches!(err, SendError::Connect { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("SMTP: cannot connect to 127.0.0.1:{port}")), "{err}");
}

#[tokio::test]
async fn a_server_that_stops_answering_times_out() {
    let s = server(Behaviour { go_silent: true, ..Behaviour::default() }).await;
    let pool = Pool::new(connector(s.port, Duration::from_millis(300)), 1);
    let (envelope, body) = mail(1);
    let err = pool.send(&envelope, &body).await.expect_err("silent");
    assert!(matches!(err, SendError::Timeout { stage: "MAIL FROM", .. }), "{err:?}");
}
