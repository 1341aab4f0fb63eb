//! Mail in through `frontline mail ingest`, as an MTA pipes it: varied
//! real-world encodings, threading by headers and by subject token (only
//! for participants), duplicates, machines, and a quarantine for the rest.

use std::io::Write;
use std::process::{Command, Stdio};

use frontline_testkit::{TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/mail/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

/// Pipe one message into the CLI; returns (exit code, stdout + stderr).
pub(crate) fn ingest(db_url: &str, raw: &[u8]) -> (i32, String) {
    ingest_with(db_url, raw, &[])
}

fn ingest_with(db_url: &str, raw: &[u8], extra: &[&str]) -> (i32, String) {
    ingest_env(db_url, raw, extra, &[])
}

/// Pipe one message into the CLI with configuration from the environment
/// (e.g. `FRONTLINE_SMTP_URL`, so that it queues notifications as a deployment would).
pub(crate) fn ingest_env(db_url: &str, raw: &[u8], extra: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--database-url", db_url, "mail", "ingest", "--mailbox", "support"])
        .args(extra)
        // The deployment's own address, as its configuration would say.
        .env("FRONTLINE_MAIL_FROM", format!("Acme Support <{}>", frontline_testkit::MAILBOX))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(raw).expect("write");
    let out = child.wait_with_output().expect("wait");
    (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

pub(crate) fn created_id(out: &str) -> i64 {
    out.split("ticket_id: ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no ticket id in {out}"))
}

/// A desk, the database's URL for the pipe, and the agent's API token.
async fn mail_desk(db: TestDb) -> (String, TestApp, Desk, frontline_testkit::Auth) {
    let url = db.url.clone();
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    (url, t, d, agent)
}

/// The bodies of a ticket's messages, one after another.
fn body_of(v: &serde_json::Value) -> String {
    v.as_array().expect("messages").iter().map(|m| m["body"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>().join("\n")
}

/// Pipes in `latin1-new.eml` (a new customer's new ticket): the ticket's id.
fn ingest_latin1(url: &str) -> i64 {
    let (code, out) = ingest(url, &fixture("latin1-new.eml"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Created"), "{out}");
    created_id(&out)
}

async fn latin1_mail_makes_a_customer_ticket(db: TestDb) {
    let (url, t, d, agent) = mail_desk(db).await;
    // ISO-8859-1, quoted-printable, encoded subject: a new ticket for a new
    // customer who joins the organization owning the domain.
    let latin = ingest_latin1(&url);
    let v = t.get(&format!("/api/v1/tickets/{latin}"), &agent).await.json();
    assert_eq!(v["subject"], "Grüße: Webhook liefert keine Daten");
    assert_eq!(v["channel"], "email");
    assert_eq!(v["requester"]["email"], "juergen@northwind.example");
    assert_eq!(v["requester"]["name"], "Jürgen Müller");
    assert_eq!(v["organization_id"], d.org_a);
    let msgs = t.get(&format!("/api/v1/tickets/{latin}/messages"), &agent).await.json();
    assert!(body_of(&msgs).contains("Grüße, Jürgen"), "{msgs}");
}
on_both_engines!(pipe_ingest, latin1_mail_makes_a_customer_ticket);

async fn html_mail_to_a_team_mailbox(db: TestDb) {
    let (url, t, d, agent) = mail_desk(db).await;
    // HTML-only mail: text is derived, markup is gone. This mailbox belongs to a team.
    let (code, out) = ingest_with(&url, &fixture("html-only.eml"), &["--team", "integrations"]);
    assert_eq!(code, 0, "{out}");
    let html = created_id(&out);
    assert_eq!(t.get(&format!("/api/v1/tickets/{html}"), &agent).await.json()["team_id"], d.team);
    let (code, _) = ingest_with(&url, b"From: x@northwind.example\r\nSubject: y\r\n\r\nz\r\n", &["--team", "No Such Team"]);
    assert_eq!(code, 75, "an unknown team is a configuration error: the MTA keeps the mail");
    let text = body_of(&t.get(&format!("/api/v1/tickets/{html}/messages"), &agent).await.json());
    assert!(text.contains("Totals are") && text.contains("off by 3%") && !text.contains("<b>") && !text.contains("<script"), "{text}");
}
on_both_engines!(pipe_html_to_team, html_mail_to_a_team_mailbox);

async fn shift_jis_mail(db: TestDb) {
    let (url, t, _d, agent) = mail_desk(db).await;
    // Shift_JIS in base64 inside multipart/alternative.
    let (code, out) = ingest(&url, &fixture("sjis-multipart.eml"));
    assert_eq!(code, 0, "{out}");
    let sjis = created_id(&out);
    assert_eq!(t.get(&format!("/api/v1/tickets/{sjis}"), &agent).await.json()["subject"], "合計が違う");
    assert!(body_of(&t.get(&format!("/api/v1/tickets/{sjis}/messages"), &agent).await.json()).contains("ダッシュボードの合計が違います"));
}
on_both_engines!(pipe_shift_jis, shift_jis_mail);

async fn same_mail_twice_is_stored_once(db: TestDb) {
    let (url, t, _d, agent) = mail_desk(db).await;
    let latin = ingest_latin1(&url);
    // The same message delivered twice is stored once.
    let (code, out) = ingest(&url, &fixture("latin1-new.eml"));
    assert_eq!(code, 0);
    assert!(out.contains("Duplicate"), "{out}");
    assert_eq!(t.get(&format!("/api/v1/tickets/{latin}/messages"), &agent).await.json().as_array().map(Vec::len), Some(1));
}
on_both_engines!(pipe_duplicate, same_mail_twice_is_stored_once);

async fn colleague_reply_is_threaded(db: TestDb) {
    let (url, t, d, _agent) = mail_desk(db).await;
    let latin = ingest_latin1(&url);
    // A colleague answers in the thread (In-Reply-To): appended, and they follow the ticket.
    let reply = "From: Raj <raj@northwind.example>\r\nTo: support@acme.example\r\nSubject: AW: Webhook\r\nMessage-ID: <raj-1@northwind.example>\r\nIn-Reply-To: <latin1-1@mail.northwind.example>\r\nCc: Lena <lena@northwind.example>\r\nContent-Type: text/plain\r\n\r\nSame here since Monday.\r\n\r\nOn Sun, 22 Nov 2026 at 10:00, Juergen <juergen@northwind.example> wrote:\r\n> Seit Montag liefert der Webhook keine Daten.\r\n";
    let (code, out) = ingest(&url, reply.as_bytes());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Appended {{ ticket_id: {latin} }}")), "{out}");
    let followers = t.store().followers(latin).await.expect("followers");
    assert_eq!(followers.len(), 2, "the colleague and the Cc'd address follow");
    // The quoted history is kept, but folded away on the ticket page.
    let cookie = t.login(&d.agent.email).await;
    let page = t.get(&format!("/tickets/{latin}"), &cookie).await.text();
    let visible = page.split("Same here since Monday.").nth(1).expect("reply shown");
    assert!(
        visible.find("Show quoted text").is_some_and(|q| visible.find("Seit Montag").is_some_and(|s| q < s)),
        "quote folded below the reply"
    );
}
on_both_engines!(pipe_colleague_reply, colleague_reply_is_threaded);

async fn subject_token_threads_participants_only(db: TestDb) {
    let (url, t, d, agent) = mail_desk(db).await;
    // The subject token threads a participant's mail without headers...
    let a = d.ticket_a;
    let by_token = format!(
        "From: dana@northwind.example\r\nSubject: Re: [#{a}] more info\r\nMessage-ID: <dana-2@northwind.example>\r\n\r\nHere is the failing delivery id: 42.\r\n"
    );
    let (code, out) = ingest(&url, by_token.as_bytes());
    assert_eq!(code, 0);
    assert!(out.contains(&format!("Appended {{ ticket_id: {a} }}")), "{out}");
    // ...but never a stranger's, who gets a ticket of their own.
    let stranger = format!(
        "From: mei@globex.example\r\nSubject: Re: [#{a}] show me\r\nMessage-ID: <mei-2@globex.example>\r\n\r\nWhat did Northwind say?\r\n"
    );
    let (code, out) = ingest(&url, stranger.as_bytes());
    assert_eq!(code, 0);
    assert!(out.contains("Created"), "{out}");
    let conversation = body_of(&t.get(&format!("/api/v1/tickets/{a}/messages"), &agent).await.json());
    assert!(conversation.contains("failing delivery id: 42") && !conversation.contains("What did Northwind say"), "{conversation}");
}
on_both_engines!(pipe_subject_token, subject_token_threads_participants_only);

async fn machine_mail_is_stored(db: TestDb) {
    let (url, _t, _d, _agent) = mail_desk(db).await;
    // Machines: stored, exit 0.
    for name in ["auto-reply.eml", "bounce.eml"] {
        let (code, out) = ingest(&url, &fixture(name));
        assert_eq!(code, 0, "{name}: {out}");
    }
}
on_both_engines!(pipe_machines, machine_mail_is_stored);

async fn unreadable_mail_is_kept_raw(db: TestDb) {
    let (url, t, d, _agent) = mail_desk(db).await;
    // What cannot be parsed is kept raw, not dropped.
    let (code, out) = ingest(&url, &fixture("garbage.eml"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("quarantined"), "{out}");
    let q = t.store().list_quarantine(10).await.expect("quarantine");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].raw, fixture("garbage.eml"), "kept byte for byte");
    let admin_token = t.token_for(&d.admin).await;
    let listed = t.get("/api/v1/mail/quarantine", &admin_token).await.json();
    let raw = t.get(listed[0]["raw_url"].as_str().expect("raw url"), &admin_token).await;
    assert_eq!((raw.status.as_u16(), raw.headers["content-type"].to_str().unwrap_or_default()), (200, "message/rfc822"));
    assert_eq!(raw.body, fixture("garbage.eml"), "downloaded byte for byte");
    assert_eq!(listed[0]["size"], fixture("garbage.eml").len());
    assert_eq!(q[0].mailbox, "support");
}
on_both_engines!(pipe_quarantine, unreadable_mail_is_kept_raw);

async fn quarantined_mail_is_retried_or_deleted(db: TestDb) {
    let (url, t, d, agent) = mail_desk(db).await;
    // What cannot be parsed is kept raw, not dropped.
    let (code, out) = ingest(&url, &fixture("garbage.eml"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("quarantined"), "{out}");
    let q = t.store().list_quarantine(10).await.expect("quarantine");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].raw, fixture("garbage.eml"), "kept byte for byte");
    // An admin can retry a quarantined mail (here one that is readable now) or delete it.
    let admin = t.token_for(&d.admin).await;
    let fixed = t
        .store()
        .quarantine_mail(
            "support",
            Some(d.team),
            b"From: ops@northwind.example\r\nSubject: Retry me\r\nMessage-ID: <retry-1@northwind.example>\r\n\r\nHello\r\n",
            "<retry-1@northwind.example>",
            "was broken",
        )
        .await
        .expect("q")
        .0;
    let r = t.post_json(&format!("/api/v1/mail/quarantine/{fixed}/retry"), &admin, &serde_json::json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["outcome"], "created");
    // The retried mail lands in the team of the mailbox it came to.
    let retried = r.json()["ticket_id"].as_i64().expect("ticket id");
    assert_eq!(t.get(&format!("/api/v1/tickets/{retried}"), &agent).await.json()["team_id"], d.team);
    let r = t.post_json(&format!("/api/v1/mail/quarantine/{}/retry", q[0].id), &admin, &serde_json::json!({})).await;
    assert_eq!(r.status, 422, "still unreadable: {}", r.text());
    let r = t.json(axum::http::Method::DELETE, &format!("/api/v1/mail/quarantine/{}", q[0].id), &admin, &serde_json::Value::Null).await;
    assert_eq!(r.status, 204);
    assert!(t.store().list_quarantine(10).await.expect("quarantine").is_empty());
}
on_both_engines!(pipe_quarantine_retry, quarantined_mail_is_retried_or_deleted);

#[test]
fn oversized_mail_is_bounced() {
    let mut raw = b"From: a@b.example\r\nSubject: x\r\n\r\n".to_vec();
    raw.resize(50 * 1024 * 1024 + 1, b'x');
    // No database is touched: the size alone decides.
    let (code, out) = ingest("postgres://postgres@127.0.0.1:1/nowhere", &raw);
    assert_eq!(code, 65, "EX_DATAERR, the MTA bounces it: {out}");
    assert!(out.contains("larger than 50 MB"), "{out}");
}

#[test]
fn unreachable_database_asks_the_mta_to_retry() {
    let (code, out) = ingest("postgres://postgres@127.0.0.1:1/nowhere", b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n");
    assert_eq!(code, 75, "EX_TEMPFAIL: {out}");
}

/// The first mail into a database nobody has migrated yet still lands: the
/// pipe's cheap migration check sees the missing schema and migrates.
#[test]
fn first_mail_into_a_new_database() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("new.db").display());
    let raw = b"From: Dana <dana@northwind.example>\r\nSubject: First\r\nMessage-ID: <first-1@northwind.example>\r\n\r\nHello\r\n";
    let (code, out) = ingest(&url, raw);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Created"), "{out}");
    let (code, out) = ingest(&url, raw);
    assert!(code == 0 && out.contains("Duplicate"), "{out}");
}

/// Tickets whose subject is exactly `subject`.
async fn with_subject(t: &TestApp, auth: &frontline_testkit::Auth, subject: &str) -> usize {
    let v = t.get("/api/v1/tickets?limit=100", auth).await.json();
    v["data"].as_array().expect("tickets").iter().filter(|t| t["subject"] == subject).count()
}

/// A mail with NUL bytes (a raw one in the subject, `=00` in the
/// quoted-printable body) is stored without them, on both engines, rather
/// than refused by PostgreSQL and retried by the MTA forever.
async fn control_characters(db: TestDb) {
    let url = db.url.clone();
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let raw = b"From: Dana <dana@northwind.example>\r\nSubject: Export\x00 fails\r\nMessage-ID: <nul-1@northwind.example>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThe export=00 stops=07 at row 12.\r\n";
    let (code, out) = ingest(&url, raw);
    assert_eq!(code, 0, "{out}");
    let id = created_id(&out);
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json()["subject"], "Export fails");
    let messages = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    assert_eq!(messages[0]["body"], "The export stops at row 12.", "{messages}");
}
on_both_engines!(pipe_control_characters, control_characters);

/// Mail without a Message-ID, quarantined mail, and mail delivered twice at
/// once are each kept once however often they are delivered (the tests below).
/// Here: no Message-ID.
async fn delivered_again(db: TestDb) {
    let (url, t, _d, agent) = mail_desk(db).await;
    // No Message-ID: known by the digest of its bytes.
    let raw = b"From: dana@northwind.example\r\nSubject: No id here\r\n\r\nThe export is empty.\r\n";
    let (code, out) = ingest(&url, raw);
    assert!(code == 0 && out.contains("Created"), "{out}");
    let (code, out) = ingest(&url, raw);
    assert!(code == 0 && out.contains("Duplicate"), "{out}");
    assert_eq!(with_subject(&t, &agent, "No id here").await, 1);
}
on_both_engines!(pipe_delivered_again, delivered_again);

async fn unreadable_mail_is_quarantined_once(db: TestDb) {
    let (url, t, d, _agent) = mail_desk(db).await;
    let admin = t.token_for(&d.admin).await;
    let quarantine = || async { t.get("/api/v1/mail/quarantine", &admin).await.json().as_array().expect("quarantine").clone() };
    // Unreadable mail is quarantined once.
    for _ in 0..2 {
        let (code, out) = ingest(&url, &fixture("garbage.eml"));
        assert_eq!(code, 0, "{out}");
    }
    assert_eq!(quarantine().await.len(), 1, "one quarantine entry");
}
on_both_engines!(pipe_quarantined_once, unreadable_mail_is_quarantined_once);

async fn parallel_deliveries_make_one_ticket(db: TestDb) {
    let (url, t, _d, agent) = mail_desk(db).await;
    // Two deliveries of the same mail at the same time: one ticket.
    let raw = b"From: dana@northwind.example\r\nSubject: Twice at once\r\n\r\nSent once, delivered twice.\r\n";
    let outs: Vec<(i32, String)> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2).map(|_| s.spawn(|| ingest(&url, raw))).collect();
        runs.into_iter().map(|r| r.join().expect("pipe")).collect()
    });
    assert!(outs.iter().all(|(code, _)| *code == 0), "{outs:?}");
    assert_eq!(outs.iter().filter(|(_, out)| out.contains("Created")).count(), 1, "{outs:?}");
    assert_eq!(with_subject(&t, &agent, "Twice at once").await, 1);
}
on_both_engines!(pipe_parallel_deliveries, parallel_deliveries_make_one_ticket);

/// A deactivated customer's mail waits in the quarantine, beside an unreadable one.
async fn deactivated_customers_mail_waits_once(db: TestDb) {
    let (url, t, d, agent) = mail_desk(db).await;
    let admin = t.token_for(&d.admin).await;
    let quarantine = || async { t.get("/api/v1/mail/quarantine", &admin).await.json().as_array().expect("quarantine").clone() };
    let (code, out) = ingest(&url, &fixture("garbage.eml"));
    assert_eq!(code, 0, "{out}");
    // A deactivated customer's mail waits in the quarantine, once...
    let member = format!("/api/v1/users/{}", d.cust_member.id);
    assert_eq!(t.patch_json(&member, &admin, &serde_json::json!({"active": false})).await.status, 200);
    let raw = format!("From: {}\r\nSubject: While away\r\n\r\nPlease call me back.\r\n", d.cust_member.email);
    let (code, out) = ingest(&url, raw.as_bytes());
    assert!(code == 0 && out.contains("quarantined"), "{out}");
    let (code, out) = ingest(&url, raw.as_bytes());
    assert!(code == 0 && out.contains("Duplicate"), "{out}");
    let held = quarantine().await;
    assert_eq!(held.len(), 2, "{held:?}");
    // ...is retried by an admin once the account is back, and a later delivery is a duplicate.
    assert_eq!(t.patch_json(&member, &admin, &serde_json::json!({"active": true})).await.status, 200);
    let id = held[0]["id"].as_i64().expect("id");
    let r = t.post_json(&format!("/api/v1/mail/quarantine/{id}/retry"), &admin, &serde_json::json!({})).await;
    assert_eq!((r.status.as_u16(), r.json()["outcome"].as_str()), (200, Some("created")), "{}", r.text());
    let (code, out) = ingest(&url, raw.as_bytes());
    assert!(code == 0 && out.contains("Duplicate"), "{out}");
    assert_eq!(with_subject(&t, &agent, "While away").await, 1);
    assert_eq!(quarantine().await.len(), 1, "only the unreadable mail is left");
}
on_both_engines!(pipe_deactivated_customer, deactivated_customers_mail_waits_once);
