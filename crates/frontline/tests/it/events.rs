//! A ticket's history is read in pages: the API hands out a cursor, and the
//! ticket page gathers every page, so a long history is never cut off.

use frontline_testkit::{Engine, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

/// The ids of every event the API lists for `ticket`, following the cursor, in `limit`s.
async fn page_through(t: &TestApp, auth: &frontline_testkit::Auth, ticket: i64, limit: usize) -> (Vec<i64>, usize) {
    let (mut ids, mut pages, mut cursor) = (vec![], 0, None::<String>);
    loop {
        let after = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let r = t.get(&format!("/api/v1/tickets/{ticket}/events?limit={limit}{after}"), auth).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        let data = v["data"].as_array().expect("data");
        assert!(data.len() <= limit, "a page holds at most the limit: {v}");
        ids.extend(data.iter().map(|e| e["id"].as_i64().expect("id")));
        pages += 1;
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (ids, pages),
        }
    }
}

/// Pages of two follow one another without gaps or repeats and end with no cursor.
async fn events_are_paged(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    for priority in ["high", "low", "urgent", "normal"] {
        let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"priority": priority})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let all = t.get(&format!("/api/v1/tickets/{}/events", d.ticket_a), &agent).await.json();
    assert_eq!(all["next_cursor"], Value::Null, "one page holds it all: {all}");
    let every: Vec<i64> = all["data"].as_array().expect("data").iter().map(|e| e["id"].as_i64().expect("id")).collect();
    assert_eq!(every.len(), 6, "created, the first message and four priority changes: {all}");
    assert!(every.windows(2).all(|w| w[0] < w[1]), "oldest first: {all}");
    let (paged, pages) = page_through(&t, &agent, d.ticket_a, 2).await;
    assert_eq!(paged, every, "the pages together are the history, oldest first");
    assert_eq!(pages, 3);
    // A customer's pages count only what they may see.
    let customer = t.token_for(&d.cust_member).await;
    let (theirs, pages) = page_through(&t, &customer, d.ticket_a, 1).await;
    assert_eq!((theirs, pages), (every[..2].to_vec(), 2), "priority changes are not the customer's");
}
on_both_engines!(events_paged, events_are_paged);

async fn bad_event_pages_are_refused(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    for (query, field) in [("limit=0", "limit"), ("limit=1001", "limit"), ("cursor=abc", "cursor")] {
        let r = t.get(&format!("/api/v1/tickets/{}/events?{query}", d.ticket_a), &agent).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], field, "{query}");
    }
}
on_both_engines!(events_bad_pages, bad_event_pages_are_refused);

/// A long history (1,200 changes) is paged on the ticket page, the latest
/// first, back to the oldest; the API pages it whole.
async fn long_history_shows_whole(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    // Written straight into the table: 1,200 changes through the API would take minutes.
    let insert = format!(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1200) \
         INSERT INTO ticket_events (ticket_id, actor_id, field, old_value, new_value, created_at) \
         SELECT {}, NULL, 'subject', 'history-' || n, 'history-' || (n + 1), '2026-11-23T10:00:00Z' FROM c",
        d.ticket_a
    );
    let inserted = match t.engine() {
        Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&t.db.url).await.expect("sqlite");
            sqlx::raw_sql(sqlx::AssertSqlSafe(insert)).execute(&pool).await.map(|r| r.rows_affected())
        }
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&t.db.url).await.expect("postgres");
            sqlx::raw_sql(sqlx::AssertSqlSafe(insert)).execute(&pool).await.map(|r| r.rows_affected())
        }
    };
    assert_eq!(inserted.expect("insert events"), 1200);
    let cookie = t.login(&d.agent.email).await;
    let page = t.get(&format!("/tickets/{}", d.ticket_a), &cookie).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("subject: history-1200 → history-1201<"), "the newest change is shown");
    assert!(!html.contains("subject: history-1 → history-2<"), "the page holds the latest changes, not all");
    // "Earlier changes" leads back, 100 at a time, to the oldest.
    let mut html = html;
    let mut pages = 1;
    while !html.contains("subject: history-1 → history-2<") {
        let before = html.split("?history_before=").nth(1).and_then(|s| s.split('#').next()).expect("a link to earlier changes");
        html = t.get(&format!("/tickets/{}?history_before={before}", d.ticket_a), &cookie).await.text();
        pages += 1;
        assert!(pages <= 13, "1,202 events in pages of 100");
    }
    assert_eq!(pages, 12, "1,200 changes after the ticket's first two events, 100 a page");
    let before = html.split("?history_before=").nth(1).and_then(|s| s.split('#').next()).expect("the first two events are earlier");
    let first = t.get(&format!("/tickets/{}?history_before={before}", d.ticket_a), &cookie).await.text();
    assert!(!first.contains("id=\"earlier-history\""), "nothing before the ticket's creation");
    let agent = t.token_for(&d.agent).await;
    let (ids, pages) = page_through(&t, &agent, d.ticket_a, 1000).await;
    assert_eq!((ids.len(), pages), (1202, 2), "created, the first message and 1,200 changes, in two pages");
}
on_both_engines!(events_long_history, long_history_shows_whole);
