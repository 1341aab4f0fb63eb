//! An IMAP poll's failure says what kind it is, and the kind decides what
//! an operator sees: the poll-error counter's `reason` tells a server that
//! stops answering from a login someone has to fix. Neither loses progress.

use std::time::Duration;

use frontline_mail::imap::{ImapMailbox, poll_once};
use frontline_mail::{ImapError, ImapFailure};
use frontline_testkit::imap::ImapServer;
use frontline_testkit::stall_proxy::StallProxy;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use frontline_web::metrics::MetricsAccess;

use crate::metrics::{TOKEN, scrape, value};

fn mail(n: usize) -> String {
    format!("From: Raj <raj@northwind.example>\r\nSubject: Kinds {n}\r\nMessage-ID: <imap-kind-{n}@northwind.example>\r\n\r\nBody {n}.\r\n")
}

fn errors(text: &str, mailbox: &str, reason: &str) -> f64 {
    value(text, "frontline_imap_poll_errors_total", &[&format!("mailbox=\"{mailbox}\""), &format!("reason=\"{reason}\"")]).unwrap_or(0.0)
}

async fn timeout_and_refused_login(db: TestDb) {
    let Some(mut server) = ImapServer::start("imap_errors::timeout_and_refused_login").await else { return };
    let t = TestApp::new(db).await.with_metrics(MetricsAccess::Token(TOKEN.into()));
    // Mailbox names are this test's own: the recorder is shared by the process.
    let engine = format!("{:?}", t.engine()).to_lowercase();
    let (login_name, silent_name) = (format!("kinds-login-{engine}"), format!("kinds-silent-{engine}"));
    server.deliver(mail(1).as_bytes());
    let before = scrape(&t).await;

    let wrong = ImapMailbox { name: login_name.clone(), password: "not the password".into(), ..server.mailbox() };
    let err = poll_once(&t.app, &wrong).await.expect_err("a wrong password is refused");
    assert!(matches!(err, ImapError::Login { .. }), "{err:?}");
    assert_eq!(err.kind(), ImapFailure::Login);
    assert!(err.to_string().starts_with("login: "), "{err}");

    // A server that accepts the connection and then says nothing.
    let proxy = StallProxy::start(server.port).await;
    proxy.stall();
    let silent = ImapMailbox { name: silent_name.clone(), port: proxy.port, timeout: Duration::from_secs(1), ..server.mailbox() };
    let polled = tokio::time::timeout(Duration::from_secs(20), poll_once(&t.app, &silent)).await.expect("bounded by the timeout");
    let err = polled.expect_err("a silent server is an error");
    assert!(matches!(err, ImapError::Timeout { .. }), "{err:?}");
    assert_eq!(err.kind(), ImapFailure::Timeout);
    assert!(err.to_string().contains("no answer from 127.0.0.1"), "{err}");

    let after = scrape(&t).await;
    assert_eq!(errors(&after, &login_name, "login") - errors(&before, &login_name, "login"), 1.0, "{after}");
    assert_eq!(errors(&after, &silent_name, "timeout") - errors(&before, &silent_name, "timeout"), 1.0, "{after}");
    assert_eq!(errors(&after, &login_name, "timeout"), 0.0, "a refused login is not counted as a timeout: {after}");
    assert_eq!(errors(&after, &silent_name, "login"), 0.0, "{after}");

    // Neither failure took anything: the right settings take the mail once.
    assert_eq!(poll_once(&t.app, &ImapMailbox { name: login_name, ..server.mailbox() }).await.expect("poll"), 1);
}
on_both_engines!(imap_error_kinds, timeout_and_refused_login);
