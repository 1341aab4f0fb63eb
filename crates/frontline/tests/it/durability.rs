//! The real server SIGKILLed under load, several times: every acknowledged
//! ticket and message survives, retries with the same Idempotency-Key never
//! write twice, and the queue counts still equal the tickets.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use frontline_testkit::{Engine, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::process::{Server, admin_token};

const CLIENTS: usize = 4;
const TICKETS_PER_CLIENT: usize = 25;
const KILLS: usize = 3;

struct Target {
    base: RwLock<String>,
    token: String,
}

/// Send until the server acknowledges (201), retrying with the same key
/// through refused connections, cut-off answers and 409s; returns the answer.
async fn until_acknowledged(client: &reqwest::Client, target: &Target, path: &str, key: &str, body: &Value) -> Value {
    let body = body.to_string();
    for _ in 0..2000 {
        let url = format!("{}{path}", target.base.read().expect("base").clone());
        let sent = client
            .post(url)
            .bearer_auth(&target.token)
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(body.clone())
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if let Ok(r) = sent {
            let status = r.status().as_u16();
            let text = r.text().await;
            match (status, text) {
                (201, Ok(text)) => return serde_json::from_str(&text).expect("JSON answer"),
                // Cut off while answering, still running elsewhere, or the database went away mid-request: retry.
                (201, Err(_)) | (409, _) | (500..=599, _) => {}
                (other, text) => panic!("{path} {key}: unexpected {other}: {text:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{path} {key}: never acknowledged");
}

async fn client_run(n: usize, target: Arc<Target>, acked: Arc<AtomicUsize>) -> Vec<(String, i64, i64)> {
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for i in 0..TICKETS_PER_CLIENT {
        let subject = format!("durable c{n} #{i}");
        let ticket = until_acknowledged(
            &client,
            &target,
            "/api/v1/tickets",
            &format!("ticket-{n}-{i}"),
            &json!({"subject": subject, "body": "Kill me if you can.", "requester_email": "kim@customer.example"}),
        )
        .await;
        let id = ticket["id"].as_i64().expect("ticket id");
        acked.fetch_add(1, Ordering::SeqCst);
        let message = until_acknowledged(
            &client,
            &target,
            &format!("/api/v1/tickets/{id}/messages"),
            &format!("reply-{n}-{i}"),
            &json!({"body": format!("reply to {subject}")}),
        )
        .await;
        acked.fetch_add(1, Ordering::SeqCst);
        out.push((subject, id, message["id"].as_i64().expect("message id")));
    }
    out
}

async fn get_json(client: &reqwest::Client, target: &Target, path: &str) -> Value {
    let r =
        client.get(format!("{}{path}", target.base.read().expect("base").clone())).bearer_auth(&target.token).send().await.expect("GET");
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.expect("JSON")
}

/// (tickets, sum of the queue counts) straight from the database.
async fn counts_in_database(db: &TestDb) -> (i64, i64, i64) {
    const Q: &str = "SELECT (SELECT COUNT(*) FROM tickets), (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM ticket_counts), \
                     (SELECT COUNT(*) FROM tickets WHERE is_open = TRUE)";
    match db.engine {
        Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
            let row = sqlx::query_as(Q).fetch_one(&pool).await.expect("counts");
            pool.close().await;
            row
        }
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
            let row = sqlx::query_as(Q).fetch_one(&pool).await.expect("counts");
            pool.close().await;
            row
        }
    }
}

async fn survives_sigkill(db: TestDb) {
    let token = admin_token(&db.url);
    let mut server = Server::start(&db.url).await;
    let target = Arc::new(Target { base: RwLock::new(server.base.clone()), token });
    let acked = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS).map(|n| tokio::spawn(client_run(n, target.clone(), acked.clone()))).collect();

    // Kill at evenly spaced points of the run, with requests in flight.
    let total = CLIENTS * TICKETS_PER_CLIENT * 2;
    for round in 1..=KILLS {
        let at = total * round / (KILLS + 1);
        for _ in 0..3000 {
            if acked.load(Ordering::SeqCst) >= at {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(acked.load(Ordering::SeqCst) >= at, "round {round}: the clients stalled at {}", acked.load(Ordering::SeqCst));
        server.kill();
        server = Server::start(&db.url).await;
        *target.base.write().expect("base") = server.base.clone();
    }
    let mut done = Vec::new();
    for c in clients {
        done.extend(c.await.expect("client"));
    }
    assert_eq!(done.len(), CLIENTS * TICKETS_PER_CLIENT);

    // Every acknowledged ticket is there, once.
    let client = reqwest::Client::new();
    let mut by_subject: HashMap<String, Vec<i64>> = HashMap::new();
    let mut cursor = String::new();
    loop {
        let page = get_json(&client, &target, &format!("/api/v1/tickets?limit=100{cursor}")).await;
        for t in page["data"].as_array().expect("data") {
            by_subject.entry(t["subject"].as_str().expect("subject").to_string()).or_default().push(t["id"].as_i64().expect("id"));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    for (subject, id, message_id) in &done {
        assert_eq!(by_subject.get(subject), Some(&vec![*id]), "{subject}: one ticket, the acknowledged one");
        // And its acknowledged reply, once.
        let messages = get_json(&client, &target, &format!("/api/v1/tickets/{id}/messages")).await;
        let replies: Vec<i64> = messages
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["body"] == format!("reply to {subject}"))
            .map(|m| m["id"].as_i64().expect("id"))
            .collect();
        assert_eq!(replies, vec![*message_id], "{subject}: one reply, the acknowledged one");
    }
    assert_eq!(by_subject.values().map(Vec::len).sum::<usize>(), CLIENTS * TICKETS_PER_CLIENT, "no other tickets");

    // The queue counts agree with a real count of the tickets.
    let (tickets, counted, open) = counts_in_database(&db).await;
    assert_eq!(tickets, (CLIENTS * TICKETS_PER_CLIENT) as i64);
    assert_eq!(counted, tickets, "ticket_counts sums to COUNT(*) of tickets");
    let queues = get_json(&client, &target, "/api/v1/queues").await;
    let all_open = queues.as_array().expect("queues").iter().find(|q| q["view"] == "open").expect("open view")["count"].as_i64();
    assert_eq!(all_open, Some(open), "the API's open count is the open tickets' COUNT(*)");
    drop(server);
}
on_both_engines!(sigkill, survives_sigkill);
