//! /metrics: who may scrape it, and what a scrape shows (HTTP latency by
//! route template, the job queue, mail in and out, IMAP poll errors, the
//! SQLite WAL). The recorder is one per process, so counters are compared
//! before and after, never taken as absolute.

use axum::http::header;
use frontline_mail::imap::{ImapMailbox, poll_once};
use frontline_testkit::imap::ImapServer;
use frontline_testkit::smtp::SmtpSink;
use frontline_testkit::{Auth, Engine, TestApp, TestDb, on_both_engines};
use frontline_web::metrics::MetricsAccess;
use serde_json::json;

use crate::fixtures::Desk;

pub(crate) const TOKEN: &str = "metrics-s3cret-for-the-scraper";

fn scraper() -> Auth {
    Auth::Token(TOKEN.into())
}

pub(crate) async fn scrape(t: &TestApp) -> String {
    let r = t.get("/metrics", &scraper()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let content_type = r.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    r.text()
}

/// The value of the series `name` whose labels include all of `labels`
/// (each written as in the text: `route="/x"`).
pub(crate) fn value(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (series, number) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
        (metric == name && labels.iter().all(|l| rest.contains(l))).then(|| number.parse().ok())?
    })
}

async fn who_may_scrape(db: TestDb) {
    let t = TestApp::new(db).await;
    // Not configured: not served at all.
    let r = t.get("/metrics", &Auth::None).await;
    assert_eq!(r.status, 404);
    let t = t.with_metrics(MetricsAccess::Token(TOKEN.into()));
    let d = Desk::new(&t).await;
    for (auth, why) in [(Auth::None, "no token"), (Auth::Token("metrics-s3cret-for-the-scrapeR".into()), "a wrong token")] {
        let r = t.get("/metrics", &auth).await;
        assert_eq!(r.status, 401, "{why}");
        assert_eq!(r.error_code(), "unauthenticated", "{why}");
        assert_eq!(r.headers.get(header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()), Some("Bearer"));
    }
    // Being an admin is not being the scraper.
    let admin = t.token_for(&d.admin).await;
    assert_eq!(t.get("/metrics", &admin).await.status, 401);
    assert!(scrape(&t).await.contains("frontline_database_up 1"));

    // On a listener of its own, the main router does not serve it; the
    // metrics router serves nothing else.
    let own = t.with_metrics(MetricsAccess::OwnListener(None));
    assert_eq!(own.get("/metrics", &scraper()).await.status, 404);
    let state = frontline_web::AppState::new(
        own.app.clone(),
        frontline_web::WebConfig { base_url: frontline_testkit::BASE_URL.into(), secure_cookies: false },
    )
    .with_metrics(MetricsAccess::OwnListener(None));
    let alone = own.with_router(frontline_web::metrics::router(state));
    let r = alone.get("/metrics", &Auth::None).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("frontline_jobs_queued"));
    assert_eq!(alone.get("/api/v1/tickets", &admin).await.status, 404);
    assert_eq!(alone.get("/healthz", &Auth::None).await.status, 404);
}
on_both_engines!(metrics_access, who_may_scrape);

/// Create tickets (their acknowledgements are queued as jobs), read one by
/// id, run the jobs: the scrape shows the route template with its latency,
/// the queue filling and emptying, and the mail sent.
async fn what_a_scrape_shows(db: TestDb) {
    let Some(sink) = SmtpSink::start("metrics::what_a_scrape_shows").await else { return };
    let t = TestApp::with_smtp(db, &sink.url()).await.with_metrics(MetricsAccess::Token(TOKEN.into()));
    let before = scrape(&t).await;
    let sent = |text: &str| value(text, "frontline_mail_out_total", &[r#"outcome="sent""#]).unwrap_or(0.0);
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let r = t
        .post_json(
            "/api/v1/tickets",
            &agent,
            &json!({"subject": "Export stalls", "body": "At 90%.", "requester_email": "dana@northwind.example"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}"), &agent).await.status, 200);
    assert_eq!(t.get("/api/v1/tickets/999999", &agent).await.status, 404);

    let text = scrape(&t).await;
    let duration = "frontline_http_request_duration_seconds";
    let read = [r#"method="GET""#, r#"route="/api/v1/tickets/{id}""#, r#"status="2xx""#];
    assert!(value(&text, &format!("{duration}_count"), &read).is_some_and(|n| n >= 1.0), "{text}");
    assert!(value(&text, &format!("{duration}_bucket"), &[read[1], r#"le="0.1""#]).is_some(), "a histogram, not a summary: {text}");
    let missing = [r#"method="GET""#, r#"route="/api/v1/tickets/{id}""#, r#"status="4xx""#];
    assert!(value(&text, &format!("{duration}_count"), &missing).is_some_and(|n| n >= 1.0), "{text}");
    let created = [r#"method="POST""#, r#"route="/api/v1/tickets""#, r#"status="2xx""#];
    assert!(value(&text, &format!("{duration}_count"), &created).is_some_and(|n| n >= 3.0), "{text}");
    for raw in [format!("route=\"/api/v1/tickets/{id}\""), "route=\"/api/v1/tickets/999999\"".to_string()] {
        assert!(!text.contains(&raw), "a raw path as a label: {raw}");
    }
    let queued = value(&text, "frontline_jobs_queued", &[]).expect("queue depth");
    assert!(queued >= 3.0, "three tickets, three acknowledgements queued: {queued}");
    assert!(value(&text, "frontline_jobs_oldest_due_age_seconds", &[]).is_some_and(|age| age >= 0.0));
    assert_eq!(value(&text, "frontline_jobs_dead", &[]), Some(0.0));
    match t.engine() {
        Engine::Sqlite => assert!(value(&text, "frontline_sqlite_wal_bytes", &[]).is_some(), "{text}"),
        Engine::Postgres => assert!(!text.contains("frontline_sqlite_wal_bytes"), "{text}"),
    }

    for _ in 0..10 {
        if t.app.run_due_jobs().await.expect("jobs") == 0 {
            break;
        }
    }
    let after = scrape(&t).await;
    assert_eq!(value(&after, "frontline_jobs_queued", &[]), Some(0.0), "{after}");
    assert_eq!(value(&after, "frontline_jobs_oldest_due_age_seconds", &[]), Some(0.0));
    assert!(sent(&after) - sent(&before) >= queued, "every queued acknowledgement was sent: {after}");
}
on_both_engines!(metrics_content, what_a_scrape_shows);

/// Mail in over IMAP by outcome, and a failed poll counted for its mailbox.
async fn mail_in_and_poll_errors(db: TestDb) {
    let Some(mut server) = ImapServer::start("metrics::mail_in_and_poll_errors").await else { return };
    let t = TestApp::new(db).await.with_metrics(MetricsAccess::Token(TOKEN.into()));
    let mail_in = |text: &str, outcome: &str| {
        value(text, "frontline_mail_in_total", &[r#"source="imap""#, &format!("outcome=\"{outcome}\"")]).unwrap_or(0.0)
    };
    let mail = "From: Raj <raj@northwind.example>\r\nSubject: Counted\r\nMessage-ID: <metrics-1@northwind.example>\r\n\r\nOnce.\r\n";
    let before = scrape(&t).await;
    server.deliver(mail.as_bytes());
    server.deliver(mail.as_bytes());
    server.deliver(b"no headers at all, just noise");
    assert_eq!(poll_once(&t.app, &server.mailbox()).await.expect("poll"), 3);
    // Nothing listens on a port just freed.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let unreachable = ImapMailbox { name: "metrics-unreachable".into(), port: dead, ..server.mailbox() };
    assert!(poll_once(&t.app, &unreachable).await.is_err());

    let after = scrape(&t).await;
    for outcome in ["stored", "duplicate", "quarantined"] {
        assert_eq!(mail_in(&after, outcome) - mail_in(&before, outcome), 1.0, "{outcome}: {after}");
    }
    let errors = value(&after, "frontline_imap_poll_errors_total", &[r#"mailbox="metrics-unreachable""#]);
    assert_eq!(errors, Some(1.0), "{after}");
}
on_both_engines!(metrics_mail_in, mail_in_and_poll_errors);

/// `frontline serve` with `metrics_listen`: /metrics answers there (and
/// only there), and the extra listener does not hold up a SIGTERM.
#[test]
fn serve_with_a_metrics_listener() {
    use std::io::{Read, Write};
    let free = || std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let (port, metrics_port) = (free(), free());
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("frontline.toml");
    std::fs::write(&config, format!("listen = \"127.0.0.1:{port}\"\nmetrics_listen = \"127.0.0.1:{metrics_port}\"\n")).expect("config");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--config", config.to_str().expect("path"), "serve"])
        .env("FRONTLINE_DATA_DIR", dir.path().join("data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let get = |port: u16, path: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes()).ok()?;
        let mut answer = String::new();
        s.read_to_string(&mut answer).ok()?;
        Some(answer)
    };
    let mut ready = None;
    for _ in 0..100 {
        ready = get(port, "/readyz").filter(|a| a.starts_with("HTTP/1.1 200"));
        if ready.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let scraped = get(metrics_port, "/metrics").unwrap_or_default();
    let on_main = get(port, "/metrics").unwrap_or_default();
    let other = get(metrics_port, "/healthz").unwrap_or_default();
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().expect("wait");
    assert!(ready.is_some(), "serve answered");
    assert!(scraped.starts_with("HTTP/1.1 200") && scraped.contains("frontline_sqlite_wal_bytes"), "{scraped}");
    assert!(scraped.contains(r#"route="/readyz""#), "the main listener's requests are measured: {scraped}");
    assert!(on_main.starts_with("HTTP/1.1 404"), "{on_main}");
    assert!(other.starts_with("HTTP/1.1 404"), "{other}");
    assert!(status.success());
}

/// Mail piped by an MTA into `frontline mail ingest` (a process of its own
/// per message) is counted too: the server's scrape shows it.
async fn piped_mail_is_counted(db: TestDb) {
    let url = db.url.clone();
    let t = TestApp::new(db).await.with_metrics(MetricsAccess::Token(TOKEN.into()));
    Desk::new(&t).await;
    let piped = |text: &str, outcome: &str| {
        value(text, "frontline_mail_in_total", &[r#"source="pipe""#, &format!("outcome=\"{outcome}\"")]).unwrap_or(0.0)
    };
    let before = scrape(&t).await;
    let mail = b"From: Raj <raj@northwind.example>\r\nSubject: Piped\r\nMessage-ID: <piped-1@northwind.example>\r\n\r\nOnce.\r\n";
    for _ in 0..2 {
        let (code, out) = crate::mail_in::ingest(&url, mail);
        assert_eq!(code, 0, "{out}");
    }
    let (code, out) = crate::mail_in::ingest(&url, b"no headers at all, just noise");
    assert_eq!(code, 0, "{out}");
    let after = scrape(&t).await;
    for outcome in ["stored", "duplicate", "quarantined"] {
        assert_eq!(piped(&after, outcome) - piped(&before, outcome), 1.0, "{outcome}: {after}");
    }
    assert_eq!(after.matches("# TYPE frontline_mail_in_total").count(), 1, "one family: {after}");
}
on_both_engines!(metrics_piped_mail_in, piped_mail_is_counted);
