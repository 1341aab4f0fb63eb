//! Time comes from the app's clock: moving the test clock moves sessions'
//! expiry, the "recently solved" window and the times pages show, with no
//! sleeping.

use chrono::Duration;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

async fn session_expires_with_the_clock(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let cookie = t.login(&d.agent.email).await;
    assert_eq!(t.get("/api/v1/me", &cookie).await.status, 200);
    // Sessions last `session_days` (14) from the clock's now.
    t.clock.advance(Duration::days(13));
    assert_eq!(t.get("/api/v1/me", &cookie).await.status, 200, "still valid on day 13");
    t.clock.advance(Duration::days(2));
    let r = t.get("/api/v1/me", &cookie).await;
    assert_eq!(r.status, 401, "expired on day 15: {}", r.text());
}
on_both_engines!(session_expiry_follows_the_clock, session_expires_with_the_clock);

async fn solved_window_moves_with_the_clock(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"status": "solved"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let view = || async {
        let counts = t.get("/api/v1/queues", &agent).await.json();
        let count = counts.as_array().expect("counts").iter().find(|c| c["view"] == "solved").expect("solved view")["count"].as_i64();
        let listed = t.get("/api/v1/queues/solved", &agent).await.json()["data"].as_array().expect("data").len() as i64;
        (count.expect("count"), listed)
    };
    assert_eq!(view().await, (1, 1));
    // The window is whole UTC days back from today's midnight: a day
    // before it ends the ticket is still in it, a day after it has left.
    let window = frontline_domain::queue::QueueView::SOLVED_WINDOW_DAYS;
    t.clock.advance(Duration::days(window - 1));
    assert_eq!(view().await, (1, 1));
    t.clock.advance(Duration::days(2));
    assert_eq!(view().await, (0, 0), "solved {} days ago is no longer recent", window + 1);
}
on_both_engines!(recently_solved_follows_the_clock, solved_window_moves_with_the_clock);

async fn pages_tell_time_by_the_clock(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let cookie = t.login(&d.agent.email).await;
    let page = t.get("/tickets?view=open", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("just now"), "{}", page.text());
    t.clock.advance(Duration::hours(3));
    let page = t.get("/tickets?view=open", &cookie).await;
    assert!(page.text().contains("3h ago"), "times on pages come from the app's clock: {}", page.text());
}
on_both_engines!(page_times_follow_the_clock, pages_tell_time_by_the_clock);
