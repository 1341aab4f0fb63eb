//! IMAP polling against a real Dovecot: every message is stored once,
//! progress survives polls, unreadable mail goes to the quarantine.

use frontline_mail::imap::{ImapMailbox, poll_once};
use frontline_testkit::imap::ImapServer;
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
    let q = t.app.store.list_quarantine(10).await.expect("quarantine");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].raw, b"no headers at all, just noise");
    // Progress is a UID, not a \Seen flag.
    let (validity, last) = t.app.store.imap_state("support").await.expect("state").expect("progress saved");
    assert!(validity > 0 && last == 5, "{validity} {last}");

    // The server's UIDs were renumbered (new UIDVALIDITY): reading everything
    // again stores nothing twice, thanks to the Message-IDs.
    t.app.store.set_imap_state("support", validity + 1, 0).await.expect("reset");
    poll_once(&t.app, &mb).await.expect("poll");
    assert_eq!(count(t.get("/api/v1/tickets?limit=100", &agent).await.json()), before + 4);

    // A wrong password is an error, and no progress is lost.
    let wrong = ImapMailbox { password: "nope".into(), ..mb };
    assert!(poll_once(&t.app, &wrong).await.is_err());
    assert_eq!(t.app.store.imap_state("support").await.expect("state").map(|s| s.1), Some(5));
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
    let (_, last) = t.app.store.imap_state("support").await.expect("state").expect("progress saved");
    assert_eq!(last, N as i64);
    assert_eq!(t.app.store.list_quarantine(10).await.expect("quarantine").len(), 1);
    let mut previous = 0;
    for n in (1..=N).filter(|n| *n != 150) {
        let (ticket, _) = t.app.store.message_for_mail_id(&format!("<imap-{n}@northwind.example>")).await.expect("lookup").expect("stored");
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
        assert!(t.app.store.message_for_mail_id(&format!("<imap-{n}@northwind.example>")).await.expect("lookup").is_some());
    }
    assert!(t.app.store.message_for_mail_id("<huge-1@northwind.example>").await.expect("lookup").is_none());
    let q = t.app.store.list_quarantine(10).await.expect("quarantine");
    assert_eq!(q.len(), 1);
    assert!(q[0].error.contains("over the 50.0 MB limit") && q[0].error.contains("left on the server"), "{}", q[0].error);
    let kept = String::from_utf8_lossy(&q[0].raw);
    assert!(kept.contains("Subject: Full database dump") && q[0].raw.len() < 1024, "only the headers: {kept}");
    assert_eq!(t.app.store.imap_state("support").await.expect("state").map(|s| s.1), Some(3));
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
    let (validity, _) = t.app.store.imap_state("support").await.expect("state").expect("progress saved");
    t.app.store.set_imap_state("support", validity + 1, 0).await.expect("reset");
    assert_eq!(poll_once(&t.app, &mb).await.expect("poll"), 2, "both read again");
    let tickets = t.get("/api/v1/tickets?limit=100", &agent).await.json();
    let stored = tickets["data"].as_array().expect("tickets").iter().filter(|t| t["subject"] == "No id over IMAP").count();
    assert_eq!(stored, 1, "{tickets}");
    assert_eq!(t.app.store.list_quarantine(10).await.expect("quarantine").len(), 1);
}
on_both_engines!(imap_reread_without_message_id, reread_without_message_id);
