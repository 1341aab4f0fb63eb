//! IMAP polling against a real Dovecot: every message is stored once,
//! progress survives polls, unreadable mail goes to the quarantine.

use frontline_mail::imap::{ImapMailbox, poll_once};
use std::time::{Duration, Instant};

use frontline_testkit::imap::ImapServer;
use frontline_testkit::stall_proxy::StallProxy;
use frontline_testkit::{TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;

fn mail(n: usize) -> String {
    format!(
        "From: Raj <raj@northwind.example>\r\nTo: support@acme.example\r\nSubject: Sync failure {n}\r\nMessage-ID: <imap-{n}@northwind.example>\r\n\r\nNightly sync {n} failed.\r\n"
    )
}

async fn polling(db: TestDb) {
    let Some(mut server) = ImapServer::start("imap::polling").await else { return };
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let mb = ImapMailbox { team_id: Some(d.team), ..server.mailbox() };
    let count = |v: serde_json::Value| v["data"].as_array().map(Vec::len).unwrap_or(0);
    let before = count(t.get("/api/v1/tickets?limit=100", &agent).await.json());

    for n in 1..=3 {
        server.deliver(mail(n).as_bytes());
    }
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 3);
    assert_eq!(count(t.get("/api/v1/tickets?limit=100", &agent).await.json()), before + 3);
    let team = t.get(&format!("/api/v1/tickets?team_id={}", d.team), &agent).await.json();
    assert_eq!(count(team), 3, "the mailbox's team gets its tickets");
    // Nothing new: nothing taken, nothing stored twice.
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 0);
    // Only what arrived since is read; an unreadable message is kept in quarantine.
    server.deliver(mail(4).as_bytes());
    server.deliver(b"no headers at all, just noise");
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 2);
    assert_eq!(count(t.get("/api/v1/tickets?limit=100", &agent).await.json()), before + 4);
    let q = t.store().list_quarantine(10).await.expect("quarantine");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].raw, b"no headers at all, just noise");
    // Progress is a UID, not a \Seen flag.
    let (validity, last) = t.store().imap_state("support").await.expect("state").expect("progress saved");
    assert!(validity > 0 && last == 5, "{validity} {last}");

    // The server's UIDs were renumbered (new UIDVALIDITY): reading everything
    // again stores nothing twice, thanks to the Message-IDs.
    t.store().set_imap_state("support", validity + 1, 0).await.expect("reset");
    poll_once(&t.app, &mb).await.expect("poll");
    assert_eq!(count(t.get("/api/v1/tickets?limit=100", &agent).await.json()), before + 4);

    // A wrong password is an error, and no progress is lost.
    let wrong = ImapMailbox { password: "nope".into(), ..mb };
    assert!(poll_once(&t.app, &wrong).await.is_err());
    assert_eq!(t.store().imap_state("support").await.expect("state").map(|s| s.1), Some(5));
}
on_both_engines!(imap_poll, polling);

/// A backlog larger than one fetch batch: everything is taken in one poll,
/// in UID order, with progress and quarantine working across batches.
async fn backlog(db: TestDb) {
    let Some(mut server) = ImapServer::start("imap::backlog").await else { return };
    let t = TestApp::new(db).await;
    let mb = server.mailbox();
    const N: usize = 230;
    for n in 1..=N {
        if n == 150 {
            server.deliver(b"no headers at all, just noise");
        } else {
            server.deliver(mail(n).as_bytes());
        }
    }
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), N);
    let (_, last) = t.store().imap_state("support").await.expect("state").expect("progress saved");
    assert_eq!(last, N as i64);
    assert_eq!(t.store().list_quarantine(10).await.expect("quarantine").len(), 1);
    let mut previous = 0;
    for n in (1..=N).filter(|n| *n != 150) {
        let (ticket, _) = t.store().message_for_mail_id(&format!("<imap-{n}@northwind.example>")).await.expect("lookup").expect("stored");
        assert!(ticket > previous, "message {n} taken in UID order");
        previous = ticket;
    }
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 0);
}
on_both_engines!(imap_backlog, backlog);

/// A message over the size limit is not fetched: it stays on the server,
/// its headers go to the quarantine with the reason, and polling goes on.
async fn oversized(db: TestDb) {
    let Some(mut server) = ImapServer::start("imap::oversized").await else { return };
    let t = TestApp::new(db).await;
    let mb = server.mailbox();
    server.deliver(mail(1).as_bytes());
    let mut huge =
        b"From: Raj <raj@northwind.example>\r\nSubject: Full database dump\r\nMessage-ID: <huge-1@northwind.example>\r\n\r\n".to_vec();
    huge.resize(frontline_mail::MAX_MESSAGE_BYTES + 1024, b'x');
    server.deliver(&huge);
    server.deliver(mail(3).as_bytes());
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 3);
    for n in [1, 3] {
        assert!(t.store().message_for_mail_id(&format!("<imap-{n}@northwind.example>")).await.expect("lookup").is_some());
    }
    assert!(t.store().message_for_mail_id("<huge-1@northwind.example>").await.expect("lookup").is_none());
    let q = t.store().list_quarantine(10).await.expect("quarantine");
    assert_eq!(q.len(), 1);
    assert!(q[0].error.contains("over the 50.0 MB limit") && q[0].error.contains("left on the server"), "{}", q[0].error);
    let kept = String::from_utf8_lossy(&q[0].raw);
    assert!(kept.contains("Subject: Full database dump") && q[0].raw.len() < 1024, "only the headers: {kept}");
    assert_eq!(t.store().imap_state("support").await.expect("state").map(|s| s.1), Some(3));
}
on_both_engines!(imap_oversized, oversized);

/// After a UIDVALIDITY change everything is read again: mail without a
/// Message-ID is recognized by its bytes, and unreadable mail that sits in
/// the quarantine is not kept a second time.
async fn reread_without_message_id(db: TestDb) {
    let Some(mut server) = ImapServer::start("imap::reread_without_message_id").await else { return };
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let mb = server.mailbox();
    server.deliver(b"From: Raj <raj@northwind.example>\r\nSubject: No id over IMAP\r\n\r\nThe feed is empty.\r\n");
    server.deliver(b"no headers at all, just noise");
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 2);
    let (validity, _) = t.store().imap_state("support").await.expect("state").expect("progress saved");
    t.store().set_imap_state("support", validity + 1, 0).await.expect("reset");
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 2, "both read again");
    let tickets = t.get("/api/v1/tickets?limit=100", &agent).await.json();
    let stored = tickets["data"].as_array().expect("tickets").iter().filter(|t| t["subject"] == "No id over IMAP").count();
    assert_eq!(stored, 1, "{tickets}");
    assert_eq!(t.store().list_quarantine(10).await.expect("quarantine").len(), 1);
}
on_both_engines!(imap_reread_without_message_id, reread_without_message_id);

async fn stored(t: &TestApp, n: usize) -> bool {
    t.store().message_for_mail_id(&format!("<imap-{n}@northwind.example>")).await.expect("lookup").is_some()
}

/// Dovecot holding 105 messages behind a proxy that stops answering when
/// the second batch of bodies is asked for (after 100 messages).
async fn hangs_after_first_batch(test: &str) -> Option<(ImapServer, StallProxy)> {
    let mut server = ImapServer::start(test).await?;
    let proxy = StallProxy::start(server.port).await;
    for n in 1..=105 {
        server.deliver(mail(n).as_bytes());
    }
    proxy.stall_on("BODY.PEEK[]", 2);
    Some((server, proxy))
}

/// A server that stops answering mid-session (here: when the second batch
/// of bodies is asked for) ends the poll with an error after the timeout
/// instead of hanging; what was stored stays stored with its progress, and
/// the next poll takes the rest, nothing twice.
async fn stalled_server(db: TestDb) {
    let Some((server, proxy)) = hangs_after_first_batch("imap::stalled_server").await else { return };
    let t = TestApp::new(db).await;
    let mb = ImapMailbox { port: proxy.port, timeout: Duration::from_secs(2), ..server.mailbox() };
    let polled = tokio::time::timeout(Duration::from_secs(30), poll_once(&t.app, &mb)).await.expect("the poll hung on a silent server");
    let err = polled.expect_err("a server that stops answering is an error").to_string();
    assert!(proxy.is_stalled(), "the stall happened");
    assert!(err.contains("no answer"), "{err}");
    assert_eq!(t.store().imap_state("support").await.expect("state").map(|s| s.1), Some(100), "progress of the first batch saved");
    assert!(stored(&t, 100).await && !stored(&t, 101).await);

    proxy.resume();
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll after the server answers again"), 5, "only the rest is taken");
    for n in 1..=105 {
        assert!(stored(&t, n).await, "message {n}");
    }
    assert_eq!(t.store().imap_state("support").await.expect("state").map(|s| s.1), Some(105));
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 0);
}
on_both_engines!(imap_stalled_server, stalled_server);

/// `frontline serve` with a mailbox whose server hangs mid-poll: the real
/// binary, stopped with SIGTERM, while `process` reads it.
struct Serving {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl Serving {
    fn start(db: &TestDb, imap_port: u16, imap_timeout_seconds: u64) -> Serving {
        let dir = tempfile::tempdir().expect("dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let config = dir.path().join("frontline.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\nlog_format = \"json\"\ndatabase_url = \"{}\"\nimap_poll_seconds = 5\nimap_timeout_seconds = {imap_timeout_seconds}\n\
                 [[imap]]\nname = \"support\"\nhost = \"127.0.0.1\"\nport = {imap_port}\nsecurity = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n",
                db.url,
                frontline_testkit::imap::USER,
                frontline_testkit::imap::PASSWORD
            ),
        )
        .expect("config");
        // Logs go to files: a full pipe would block the server.
        let out = std::fs::File::create(dir.path().join("stdout")).expect("stdout");
        let err = std::fs::File::create(dir.path().join("stderr")).expect("stderr");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
            .args(["--config", config.to_str().expect("path"), "serve"])
            .env("RUST_LOG", "info")
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("serve");
        Serving { child, dir }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout")).unwrap_or_default()
            + std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default().as_str()
    }

    /// SIGTERM, then how long the process took to exit (None: still running after `bound`).
    fn terminate(&mut self, bound: Duration) -> Option<(Duration, std::process::ExitStatus)> {
        let asked = Instant::now();
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        while asked.elapsed() < bound {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some((asked.elapsed(), status));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait (bounded) until `done` holds.
async fn until<F: Future<Output = bool>>(what: &str, bound: Duration, mut done: impl FnMut() -> F) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < bound, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Shutdown while the IMAP server hangs mid-poll: `serve` exits within a
/// few seconds (not after the IMAP timeout), the stored messages stay,
/// and no further poll starts.
async fn shutdown_during_stalled_poll(db: TestDb) {
    let Some((_server, proxy)) = hangs_after_first_batch("imap::shutdown_during_stalled_poll").await else { return };
    // A long IMAP timeout: only the shutdown can end this poll quickly.
    let mut serving = Serving::start(&db, proxy.port, 600);
    until("the first poll connects", Duration::from_secs(60), || async { proxy.connections() > 0 }).await;
    // `serve` has migrated the database before it polls.
    let store = db.store().await;
    until("the first batch is stored and the server hangs", Duration::from_secs(60), || async {
        proxy.is_stalled() && store.imap_state("support").await.expect("state").map(|s| s.1) == Some(100)
    })
    .await;
    let exited = serving.terminate(Duration::from_secs(10));
    let logs = serving.logs();
    let (_, status) = exited.unwrap_or_else(|| panic!("serve still running 10 s after SIGTERM while the IMAP server hangs:\n{logs}"));
    assert!(status.success(), "{status}:\n{logs}");
    assert!(logs.contains("IMAP poll stopped for shutdown"), "the poll was stopped, not timed out:\n{logs}");
    assert_eq!(proxy.connections(), 1, "no poll started after the shutdown:\n{logs}");
    assert_eq!(store.imap_state("support").await.expect("state").map(|s| s.1), Some(100));
    assert!(store.message_for_mail_id("<imap-100@northwind.example>").await.expect("lookup").is_some());
    store.close().await;
}
on_both_engines!(imap_shutdown_during_stalled_poll, shutdown_during_stalled_poll);

/// A poll that fails part-way says so in one line: which mailbox, what
/// failed, and how far it got.
async fn failed_poll_is_logged(db: TestDb) {
    let Some((_server, proxy)) = hangs_after_first_batch("imap::failed_poll_is_logged").await else { return };
    let mut serving = Serving::start(&db, proxy.port, 1);
    let failure = || serving.logs().lines().find(|l| l.contains("IMAP poll failed")).map(str::to_string);
    until("the failed poll is logged", Duration::from_secs(60), || async { failure().is_some() }).await;
    let line: serde_json::Value = serde_json::from_str(&failure().expect("line")).expect("json log line");
    let fields = &line["fields"];
    assert_eq!(line["level"], "WARN", "{line}");
    assert_eq!(fields["mailbox"], "support", "{line}");
    assert_eq!(fields["stored"], 100, "{line}");
    assert_eq!(fields["last_uid"], 100, "{line}");
    assert!(fields["error"].as_str().is_some_and(|e| e.contains("fetch") && e.contains("no answer")), "{line}");
    assert!(serving.terminate(Duration::from_secs(10)).is_some(), "serve exits");
}
on_both_engines!(imap_failed_poll_is_logged, failed_poll_is_logged);
