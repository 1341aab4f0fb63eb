//! Mail over TLS against real servers with certificates from a throwaway
//! CA: IMAPS and STARTTLS polling with the CA given as ca_file, refusal of a
//! certificate nobody vouched for, and SMTP with STARTTLS and AUTH (sent, or
//! kept for a retry when the password or the certificate is refused).

use std::path::PathBuf;

use frontline_mail::imap::{ImapMailbox, ImapSecurity, poll_once};
use frontline_testkit::imap::{self, ImapServer};
use frontline_testkit::smtp::SmtpSink;
use frontline_testkit::tls::TestCa;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

fn mail(n: usize) -> String {
    format!(
        "From: Raj <raj@northwind.example>\r\nTo: support@acme.example\r\nSubject: Sealed {n}\r\nMessage-ID: <tls-{n}@northwind.example>\r\n\r\nSent over TLS {n}.\r\n"
    )
}

fn mailbox(port: u16, security: ImapSecurity, ca_file: Option<PathBuf>) -> ImapMailbox {
    ImapMailbox {
        name: "secure".into(),
        // A name, not an address, so the certificate is checked against a DNS name.
        host: "localhost".into(),
        port,
        username: imap::USER.into(),
        password: imap::PASSWORD.into(),
        folder: "INBOX".into(),
        team_id: None,
        security,
        ca_file,
        timeout: frontline_mail::imap::DEFAULT_TIMEOUT,
    }
}

async fn stored(t: &TestApp, n: usize) -> bool {
    t.store().message_for_mail_id(&format!("<tls-{n}@northwind.example>")).await.expect("lookup").is_some()
}

/// Two messages arrive, one poll takes both, a second poll takes nothing.
async fn polls_over(t: &TestApp, server: &mut ImapServer, mb: &ImapMailbox) {
    server.deliver(mail(1).as_bytes());
    server.deliver(mail(2).as_bytes());
    assert_eq!(poll_once(&t.app, mb).await.expect("poll over TLS"), 2);
    assert!(stored(t, 1).await && stored(t, 2).await);
    assert_eq!(t.store().imap_state("secure").await.expect("state").map(|s| s.1), Some(2));
    assert_eq!(poll_once(&t.app, mb).await.expect("poll"), 0);
}

async fn imaps(db: TestDb) {
    let Some(mut server) = ImapServer::start_tls("tls::imaps").await else { return };
    let t = TestApp::new(db).await;
    let port = server.imaps_port.expect("imaps port");
    let mb = mailbox(port, ImapSecurity::Tls, Some(server.ca_file()));
    polls_over(&t, &mut server, &mb).await;
}
on_both_engines!(imaps_poll, imaps);

async fn starttls(db: TestDb) {
    let Some(mut server) = ImapServer::start_tls("tls::starttls").await else { return };
    let t = TestApp::new(db).await;
    // Reached at 127.0.0.2 this port refuses a login without TLS, so
    // success below means the upgrade happened.
    let at = |security, ca_file| ImapMailbox { host: "127.0.0.2".into(), ..mailbox(server.port, security, ca_file) };
    let err = poll_once(&t.app, &at(ImapSecurity::Plain, None)).await.expect_err("plain login refused").to_string();
    assert!(err.contains("login"), "{err}");
    let mb = at(ImapSecurity::StartTls, Some(server.ca_file()));
    polls_over(&t, &mut server, &mb).await;
}
on_both_engines!(starttls_poll, starttls);

async fn untrusted(db: TestDb) {
    let Some(mut server) = ImapServer::start_tls("tls::untrusted").await else { return };
    let t = TestApp::new(db).await;
    server.deliver(mail(1).as_bytes());
    let imaps = server.imaps_port.expect("imaps port");
    let other_ca = TestCa::new();
    for mb in [
        mailbox(imaps, ImapSecurity::Tls, None),
        mailbox(server.port, ImapSecurity::StartTls, None),
        mailbox(imaps, ImapSecurity::Tls, Some(other_ca.ca_file())),
    ] {
        let err = poll_once(&t.app, &mb).await.expect_err("untrusted certificate refused").to_string();
        assert!(err.contains("certificate not trusted"), "{:?}: {err}", mb.security);
    }
    // The certificate does not name 127.0.0.3.
    let wrong_name = ImapMailbox { host: "127.0.0.3".into(), ..mailbox(imaps, ImapSecurity::Tls, Some(server.ca_file())) };
    let err = poll_once(&t.app, &wrong_name).await.expect_err("a certificate for another name refused").to_string();
    assert!(err.contains("not valid for this host name"), "{err}");
    assert!(!stored(&t, 1).await, "nothing stored");
    assert_eq!(t.store().imap_state("secure").await.expect("state"), None, "no progress");
    // A CA file that does not exist is an error before any connection.
    let missing = mailbox(imaps, ImapSecurity::Tls, Some("/nonexistent/ca.pem".into()));
    assert!(missing.check().expect_err("missing CA file").to_string().contains("/nonexistent/ca.pem"));
}
on_both_engines!(untrusted_certificate, untrusted);

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{}:", name.to_lowercase());
    raw.lines().take_while(|l| !l.is_empty()).find(|l| l.to_lowercase().starts_with(&prefix)).map(|l| l[prefix.len()..].trim())
}

async fn smtp_starttls(db: TestDb) {
    let Some(sink) = SmtpSink::start_tls("tls::smtp_starttls").await else { return };
    sends_a_notification(db, sink).await;
}
on_both_engines!(smtp_over_starttls, smtp_starttls);

/// smtps:// (TLS from the first byte, port 465 style) with AUTH.
async fn smtp_implicit_tls(db: TestDb) {
    let Some(sink) = SmtpSink::start_implicit_tls("tls::smtp_implicit_tls").await else { return };
    assert!(sink.url().starts_with("smtps://"));
    sends_a_notification(db, sink).await;
}
on_both_engines!(smtp_over_implicit_tls, smtp_implicit_tls);

async fn sends_a_notification(db: TestDb, sink: SmtpSink) {
    let ca = sink.ca_file();
    let t = TestApp::with_smtp_ca(db, &sink.url(), Some(&ca)).await;
    let d = Desk::new(&t).await;
    t.app.run_due_jobs().await.expect("jobs");
    let already = sink.messages().len();
    let customer = t.token_for(&d.cust_member).await;
    let r = t.post_json("/api/v1/tickets", &customer, &json!({"subject": "Certificate rotation", "body": "Which CA do you use?"})).await;
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_i64().expect("id");
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(already + 1).await;
    let ack = &mails[already];
    assert_eq!(header(ack, "Subject"), Some(format!("[#{id}] Certificate rotation").as_str()), "{ack}");
    assert!(header(ack, "To").is_some_and(|v| v.contains("dana@northwind.example")), "{ack}");
    assert!(ack.contains("Which CA do you use?"), "{ack}");
    let jobs = t.store().list_jobs(50).await.expect("jobs");
    assert!(jobs.iter().all(|j| j.last_error.is_none()), "{jobs:?}");
}

/// Every notification failed once, stays scheduled for a retry, and says why.
async fn kept_for_retry(t: &TestApp, sink: &SmtpSink, why: &str) {
    t.app.run_due_jobs().await.expect("runner survives a refusal");
    let jobs = t.store().list_jobs(20).await.expect("jobs");
    assert!(!jobs.is_empty());
    assert!(
        jobs.iter().all(|j| j.kind == "mail.notify" && j.attempts == 1 && j.last_error.as_deref().is_some_and(|e| e.contains(why))),
        "{jobs:?}"
    );
    assert!(jobs.iter().all(|j| j.failed_at.is_none() && j.run_at > chrono::Utc::now()), "kept for a retry later");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(sink.messages().is_empty(), "nothing was delivered");
}

async fn smtp_wrong_password(db: TestDb) {
    let Some(sink) = SmtpSink::start_tls("tls::smtp_wrong_password").await else { return };
    let ca = sink.ca_file();
    let t = TestApp::with_smtp_ca(db, &sink.url_with_password("not-the-password"), Some(&ca)).await;
    let _d = Desk::new(&t).await;
    kept_for_retry(&t, &sink, "535").await;
}
on_both_engines!(smtp_password_refused, smtp_wrong_password);

async fn smtp_untrusted(db: TestDb) {
    let Some(sink) = SmtpSink::start_tls("tls::smtp_untrusted").await else { return };
    // The right password, but no CA: the certificate must be refused before AUTH.
    let t = TestApp::with_smtp(db, &sink.url()).await;
    let _d = Desk::new(&t).await;
    kept_for_retry(&t, &sink, "certificate not trusted").await;
}
on_both_engines!(smtp_certificate_refused, smtp_untrusted);
