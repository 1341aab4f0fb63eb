//! SLA in a real headless Chromium: the queue sorted by due with an
//! overdue ticket first, and the ticket page's SLA card with tier 1 over
//! its share and tier 2 holding the ticket (screenshots of both).

use chrono::Duration;
use frontline_domain::sla::{Condition, PriorityTargets, Target};
use frontline_domain::ticket::Priority;
use frontline_testkit::browser::Browser;
use frontline_testkit::{TestApp, TestDb};
use serde_json::json;
use thirtyfour::prelude::*;

use crate::fixtures::Desk;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_and_ticket_show_the_sla() {
    let Some(b) = Browser::start("browser_sla_view::queue_and_ticket_show_the_sla").await else { return };
    let t = TestApp::new(TestDb::sqlite().await).await;
    let monday_nine = chrono::DateTime::parse_from_rfc3339("2026-06-01T07:00:00Z").expect("instant").to_utc();
    t.clock.set(monday_nine);
    crate::sla_view::policy(
        &t,
        "Premium",
        vec![Condition::Tag("premium".into())],
        &[Priority::Normal],
        PriorityTargets { first_reply: Some(Target::business(60)), next_reply: None, resolution: Some(Target::business(600)) },
    )
    .await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let body = json!({"subject": "Webhook deliveries stall for EU tenants", "body": "Since 08:40 no deliveries.", "requester_id": d.cust_member.id, "tags": ["premium"]});
    let r = t.post_json("/api/v1/tickets", &agent, &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    // Tier 1 holds it three business hours (its share is 150 minutes), then escalates.
    t.clock.advance(Duration::hours(3));
    let r =
        t.post_json(&format!("/api/v1/tickets/{id}/escalations"), &agent, &json!({"reason": "Needs a look at the delivery workers"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    t.clock.advance(Duration::minutes(100));
    // A second premium ticket, newer and due later: newest first would
    // show it on top, due soonest must not.
    let body = json!({"subject": "Export of audit events is slow", "body": "Takes minutes.", "requester_id": d.cust_member.id, "tags": ["premium"]});
    let r = t.post_json("/api/v1/tickets", &agent, &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    t.app.sla_pass(&frontline_domain::authz::Actor::System, 100).await.expect("SLA pass");
    let (base, server) = t.serve().await;

    b.sign_in(&base, &d.agent.email).await;
    b.wait_for_text("My open tickets").await;
    b.driver.goto(format!("{base}/tickets?view=open")).await.expect("queue");
    b.driver.find(By::Id("sort-due")).await.expect("the Due sort").click().await.expect("click");
    b.wait_for_text("overdue by").await;
    let first = b.driver.find(By::Css("#ticket-table tbody tr")).await.expect("a row");
    assert!(first.text().await.expect("text").contains("overdue by"), "the overdue ticket comes first");
    let link = first.find(By::Css("a[href^='/tickets/']")).await.expect("the row's link").attr("href").await.expect("href");
    assert_eq!(link.as_deref(), Some(format!("/tickets/{id}").as_str()), "the overdue ticket, not the newer one");
    b.screenshot("sla_queue_due").await;

    b.driver.goto(format!("{base}/tickets/{id}")).await.expect("ticket");
    b.wait_for_text("over its share").await;
    let card = b.driver.find(By::Id("sla")).await.expect("SLA card").text().await.expect("text");
    assert!(card.contains("First reply") && card.contains("overdue by"), "{card}");
    assert!(card.contains("attributed to Tier 1"), "the first reply's breach goes to the step that used the time: {card}");
    assert!(card.contains("over its share"), "tier 1 used more than its share: {card}");
    let holding = b.driver.find(By::Css(".sla-step.holding")).await.expect("the holding step").text().await.expect("text");
    assert!(holding.contains("Tier 2"), "{holding}");
    b.screenshot("sla_ticket_card").await;
    server.abort();
    b.quit().await;
}
