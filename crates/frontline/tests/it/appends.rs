//! Appending never conflicts: replies, notes and customers' mail are added
//! to a ticket whatever else changes it meanwhile, and what they do to the
//! ticket (a reopen, a status sent with the reply) lands on its current
//! state. Only an edit that carries the version it saw may get 409.

use std::sync::Arc;

use frontline_domain::queue::QueueView;
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;
use crate::mail_in::ingest;

const REPLIES: usize = 16;
const EDITS: usize = 16;

async fn message_count(t: &TestApp, auth: &Auth, id: i64) -> usize {
    let r = t.get(&format!("/api/v1/tickets/{id}/messages"), auth).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().as_array().expect("messages").len()
}

/// Queue counts kept in `ticket_counts` equal a real count of the tickets.
async fn counts_match(t: &TestApp, d: &Desk) {
    let kept = t.store().queue_count(QueueView::AllOpen, d.agent.id, None, None).await.expect("count");
    let agent = t.token_for(&d.agent).await;
    let mut real = 0;
    for status in ["new", "open", "pending", "on_hold"] {
        let r = t.get(&format!("/api/v1/tickets?status={status}&limit=100"), &agent).await;
        assert_eq!(r.status, 200, "{}", r.text());
        real += r.json()["data"].as_array().expect("data").len() as i64;
    }
    assert_eq!(kept, real, "queue counts equal the tickets");
}

async fn replies_during_edits(db: TestDb) {
    let t = Arc::new(TestApp::new(db).await);
    let d = Desk::new(&t).await;
    let id = d.ticket_a;
    let agent = t.token_for(&d.agent).await;
    let customer = t.token_for(&d.cust_member).await;
    let mut tasks = Vec::new();
    for n in 0..REPLIES {
        let (t, agent, customer) = (t.clone(), agent.clone(), customer.clone());
        tasks.push(tokio::spawn(async move {
            // Customers answer; agents reply (some setting pending) and add notes.
            let (auth, body) = match n % 3 {
                0 => (customer, json!({"body": format!("customer answer {n}")})),
                1 => (agent, json!({"body": format!("agent reply {n}"), "status": "pending"})),
                _ => (agent, json!({"body": format!("note {n}"), "kind": "internal"})),
            };
            let r = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &auth, &body).await;
            (format!("reply {n}"), r.status.as_u16(), r.text())
        }));
    }
    for n in 0..EDITS {
        let (t, agent) = (t.clone(), agent.clone());
        tasks.push(tokio::spawn(async move {
            // Edits without a version apply to the ticket as it is.
            let priority = if n % 2 == 0 { "high" } else { "low" };
            let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"priority": priority, "tags": [format!("t{n}")]})).await;
            (format!("edit {n}"), r.status.as_u16(), r.text())
        }));
    }
    for task in tasks {
        let (what, status, text) = task.await.expect("task");
        assert!(status == 200 || status == 201, "{what}: {status} {text}");
    }
    assert_eq!(message_count(&t, &agent, id).await, 1 + REPLIES, "every reply and note is stored");
    let events = t.get(&format!("/api/v1/tickets/{id}/events"), &agent).await.json()["data"].clone();
    let replies = events.as_array().expect("events").iter().filter(|e| e["field"] != "created" && e["field"] != "public_reply").count();
    assert!(replies > 0, "field changes are in the history: {events}");
    counts_match(&t, &d).await;

    // An edit from a stale version is still refused, and changes nothing.
    let seen = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json()["updated_at"].clone();
    let r = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &customer, &json!({"body": "one more"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"subject": "Renamed", "expected_updated_at": seen})).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.error_code(), "conflict");
    let now = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json();
    assert_ne!(now["subject"], "Renamed");
}
on_both_engines!(replies_during_edits_never_conflict, replies_during_edits);

/// A customer's reply by mail that arrives while agents change the ticket is
/// stored and reopens it, never quarantined.
async fn mail_during_edits(db: TestDb) {
    let url = db.url.clone();
    let t = Arc::new(TestApp::new(db).await);
    let d = Desk::new(&t).await;
    let id = d.ticket_a;
    let agent = t.token_for(&d.agent).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "pending"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let editing = {
        let (t, agent) = (t.clone(), agent.clone());
        tokio::spawn(async move {
            for n in 0..30 {
                let priority = if n % 2 == 0 { "high" } else { "normal" };
                let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"priority": priority})).await;
                assert_eq!(r.status, 200, "{}", r.text());
            }
        })
    };
    let mut pipes = Vec::new();
    for n in 0..8 {
        let url = url.clone();
        let raw = format!(
            "From: Dana <{email}>\r\nTo: support@acme.example\r\nSubject: Re: [#{id}] Webhook signatures fail\r\n\
             Message-ID: <answer-{n}@northwind.example>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nStill failing, try {n}.\r\n",
            email = d.cust_member.email
        );
        pipes.push(tokio::task::spawn_blocking(move || ingest(&url, raw.as_bytes())));
    }
    for pipe in pipes {
        let (code, out) = pipe.await.expect("pipe");
        assert_eq!(code, 0, "{out}");
        assert!(!out.contains("quarantined"), "{out}");
    }
    editing.await.expect("edits");
    assert!(t.store().list_quarantine(10).await.expect("quarantine").is_empty());
    assert_eq!(message_count(&t, &agent, id).await, 1 + 8, "every mail is on the ticket");
    let ticket = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json();
    assert_eq!(ticket["status"], "open", "the customer's answer reopened it");
    counts_match(&t, &d).await;
}
on_both_engines!(mail_during_edits_is_stored, mail_during_edits);
