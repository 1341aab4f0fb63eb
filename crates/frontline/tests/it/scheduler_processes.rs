//! The scheduler with two real `frontline serve` processes on one
//! PostgreSQL database: both run the job runner (and so compete for the
//! scheduler's one row, ticking every second), and each rule fires exactly
//! once per ticket: one firing row, one `rule_fired` event, one escalation
//! and one mail per ticket and rule.
//!
//! The binary has no test clock, so the tickets are made old under the
//! test's time: their `status_since` is moved two minutes back in the
//! database after they are created, which a one-minute "time in status"
//! rule then sees at the next tick.

use std::time::Duration;

use frontline_testkit::TestDb;
use frontline_testkit::smtp::SmtpSink;
use serde_json::{Value, json};

use crate::process::{Server, admin_token};

const TICKETS: usize = 12;

async fn post(client: &reqwest::Client, base: &str, token: &str, path: &str, body: &Value) -> Value {
    let r = client.post(format!("{base}{path}")).bearer_auth(token).json(body).send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    assert_eq!(status, 201, "{path}: {text}");
    serde_json::from_str(&text).expect("json")
}

async fn scalar(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

#[tokio::test]
async fn two_processes_fire_each_rule_once() {
    const TEST: &str = "scheduler_processes::two_processes_fire_each_rule_once";
    let Some(db) = TestDb::postgres(TEST).await else { return };
    let Some(sink) = SmtpSink::start(TEST).await else { return };
    let token = admin_token(&db.url);
    let smtp = sink.url();
    let env = [
        ("FRONTLINE_API_RATE_PER_TOKEN", "0"),
        ("FRONTLINE_API_RATE_PER_IP", "0"),
        ("FRONTLINE_SCHEDULER_SECONDS", "1"),
        ("FRONTLINE_SMTP_URL", smtp.as_str()),
    ];
    let a = Server::start_with(&db.url, &env).await;
    let b = Server::start_with(&db.url, &env).await;
    let client = reqwest::Client::new();
    let me: Value = client.get(format!("{}/api/v1/me", a.base)).bearer_auth(&token).send().await.expect("me").json().await.expect("json");
    let ops = me["id"].as_i64().expect("my id");

    post(
        &client,
        &a.base,
        &token,
        "/api/v1/rules",
        &json!({"name": "Escalate after a minute", "condition": "time_in_status", "status": "new", "minutes": 1, "action": "escalate"}),
    )
    .await;
    post(
        &client,
        &b.base,
        &token,
        "/api/v1/rules",
        &json!({"name": "Tell ops", "condition": "time_in_status", "status": "new", "minutes": 1, "action": "notify", "notify_user_ids": [ops]}),
    )
    .await;
    let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
    let mut ids = vec![];
    for n in 0..TICKETS {
        let base = if n % 2 == 0 { &a.base } else { &b.base };
        let t = post(
            &client,
            base,
            &token,
            "/api/v1/tickets",
            &json!({"subject": format!("Stuck export {n}"), "body": "It never ends.", "requester_email": "kim@customer.example"}),
        )
        .await;
        ids.push(t["id"].as_i64().expect("id"));
    }
    // The acknowledgements (and nothing else yet) went out.
    sink.wait_for(TICKETS).await;
    let before = sink.messages().len();
    sqlx::query("UPDATE tickets SET status_since = status_since - INTERVAL '2 minutes'").execute(&pool).await.expect("backdate");

    // Both processes tick every second; wait (bounded) for every firing, then a few more ticks.
    let want = 2 * TICKETS as i64;
    let mut fired = 0;
    for _ in 0..200 {
        fired = scalar(&pool, "SELECT COUNT(*) FROM rule_firings").await;
        if fired >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fired, want, "every (rule, ticket) fired");
    tokio::time::sleep(Duration::from_secs(4)).await;

    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM rule_firings").await, want, "and no more, after several ticks of both");
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM (SELECT rule_id, ticket_id FROM rule_firings GROUP BY rule_id, ticket_id HAVING COUNT(*) > 1) x"
        )
        .await,
        0
    );
    for id in &ids {
        let fired: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1 AND field = 'rule_fired'")
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("events");
        let escalated: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1 AND field = 'escalated'")
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("events");
        assert_eq!((fired, escalated), (2, 1), "ticket {id}: two rules fired once each, one escalation");
    }
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM jobs WHERE kind = 'scheduler.tick'").await, 1, "one scheduler row");

    // One notice per ticket to ops (escalation mails go to tier 2, which nobody works here).
    sink.wait_for(before + TICKETS).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = sink.messages();
    let notices = all[before..].iter().filter(|m| m.contains("Rule: Stuck export")).count();
    assert_eq!(notices, TICKETS, "one notice per ticket");
    drop((a, b));
}
