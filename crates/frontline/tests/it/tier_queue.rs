//! "My tier, unassigned" is for people who work a support tier. Those
//! without one (engineering, leadership, admins and Solutions Engineers
//! without a tiered position) do not get the view, and never tier 1's
//! tickets in its place.

use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

fn views(counts: &Value) -> Vec<String> {
    counts.as_array().expect("counts").iter().map(|c| c["view"].as_str().unwrap_or("").to_string()).collect()
}

async fn tier_queue_follows_the_position(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;

    // Both fixture tickets are tier 1 and unassigned.
    for user in [&d.admin, &d.engineering, &d.solutions, &d.leadership] {
        let auth = t.token_for(user).await;
        let counts = t.get("/api/v1/queues", &auth).await.json();
        assert!(!views(&counts).contains(&"tier".to_string()), "{} has no tier, so no tier view: {counts}", user.email);
        assert!(views(&counts).contains(&"open".to_string()));
        let page = t.get("/api/v1/queues/tier", &auth).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.json()["data"], json!([]), "{} asked anyway: nothing, not tier 1's tickets", user.email);
        let cookie = t.login(&user.email).await;
        let html = t.get("/tickets?view=open", &cookie).await.text();
        assert!(!html.contains("My tier, unassigned"), "{} sees no tier view in the sidebar", user.email);
        let html = t.get("/tickets?view=tier", &cookie).await.text();
        assert!(!html.contains("Webhook signatures fail"), "{}", user.email);
    }

    // An agent is on the front line; a tier-2 position makes it tier 2.
    let agent = t.token_for(&d.agent).await;
    let counts = t.get("/api/v1/queues", &agent).await.json();
    let tier = counts.as_array().expect("counts").iter().find(|c| c["view"] == "tier").expect("agents have the view").clone();
    assert_eq!(tier["count"], 2);
    let cookie = t.login(&d.agent.email).await;
    assert!(t.get("/tickets?view=open", &cookie).await.text().contains("My tier, unassigned"));

    let positions = t.get("/api/v1/positions", &admin).await.json();
    let tier2 = positions.as_array().expect("positions").iter().find(|p| p["tier"] == 2).expect("a tier-2 position")["id"].clone();
    for user in [&d.agent, &d.solutions] {
        let r = t.patch_json(&format!("/api/v1/users/{}", user.id), &admin, &json!({"position_id": tier2})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = t.post_json(&format!("/api/v1/tickets/{}/escalations", d.ticket_b), &agent, &json!({"reason": "for tier 2"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    for user in [&d.agent, &d.solutions] {
        let auth = t.token_for(user).await;
        let counts = t.get("/api/v1/queues", &auth).await.json();
        let tier =
            counts.as_array().expect("counts").iter().find(|c| c["view"] == "tier").expect("a tiered position gives the view").clone();
        assert_eq!(tier["count"], 1, "{}: {counts}", user.email);
        let page = t.get("/api/v1/queues/tier", &auth).await.json();
        assert_eq!(page["data"].as_array().map(|a| a.iter().map(|t| t["id"].clone()).collect::<Vec<_>>()), Some(vec![json!(d.ticket_b)]));
    }
}
on_both_engines!(tier_queue, tier_queue_follows_the_position);
