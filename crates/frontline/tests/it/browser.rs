//! End to end in a real headless Chromium: a customer opens a ticket in
//! the portal, a tier-1 agent finds it in the queue, replies and adds an
//! internal note, and the customer sees the reply but not the note.
//! Screenshots land in target/screenshots/.

use frontline_app::directory::{UserInput, system_actor};
use frontline_testkit::browser::Browser;
use frontline_testkit::{TestApp, TestDb};
use thirtyfour::prelude::*;

async fn sign_in(b: &Browser, base: &str, email: &str) {
    b.driver.goto(format!("{base}/login")).await.expect("login page");
    b.driver.find(By::Id("email")).await.expect("email").send_keys(email).await.expect("type");
    b.driver.find(By::Id("password")).await.expect("password").send_keys("correct horse battery").await.expect("type");
    b.driver.find(By::Css("button[type=submit]")).await.expect("submit").click().await.expect("click");
}

async fn sign_out(b: &Browser) {
    b.driver.find(By::Css("form[action='/logout'] button")).await.expect("sign out").click().await.expect("click");
    b.wait_for_text("Sign in to Frontline").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_and_agent_in_the_browser() {
    let Some(b) = Browser::start("browser::customer_and_agent_in_the_browser").await else { return };
    let t = TestApp::new(TestDb::sqlite().await).await;
    let org = t.org("Northwind Logistics", "northwind.example").await;
    t.user("customer_member", "dana@northwind.example", Some(org)).await;
    let positions = t.app.list_positions(&system_actor()).await.expect("positions");
    let specialist = positions.iter().find(|p| p.name == "Support Specialist").expect("position");
    assert_eq!(specialist.tier, 1);
    let input = UserInput {
        email: "alex@vendor.example".into(),
        name: "Alex Tier1".into(),
        role: "agent".into(),
        position_id: Some(specialist.id),
        password: Some("correct horse battery".into()),
        ..Default::default()
    };
    t.app.create_user(&system_actor(), &input).await.expect("agent");
    let (base, server) = t.serve().await;

    // The customer opens a ticket in the portal.
    sign_in(&b, &base, "dana@northwind.example").await;
    b.wait_for_text("Your requests").await;
    b.screenshot("01-portal-empty").await;
    b.driver.find(By::Id("portal-new-link")).await.expect("new").click().await.expect("click");
    b.wait_for_text("New request").await;
    // Submitting without a subject shows the error next to the field and keeps the text.
    b.driver
        .find(By::Id("body"))
        .await
        .expect("body")
        .send_keys("Every webhook since Monday fails signature verification (HTTP 401).")
        .await
        .expect("type");
    b.driver.find(By::Id("portal-submit")).await.expect("submit").click().await.expect("click");
    b.wait_for_text("subject is required").await;
    let kept = b.driver.find(By::Id("body")).await.expect("body").prop("value").await.expect("value").unwrap_or_default();
    assert!(kept.contains("Every webhook since Monday"), "the description was kept: {kept}");
    b.screenshot("02-portal-validation").await;
    b.driver.find(By::Id("subject")).await.expect("subject").send_keys("Webhook signature verification fails").await.expect("type");
    b.driver.find(By::Id("portal-submit")).await.expect("submit").click().await.expect("click");
    b.wait_for_text("Awaiting our reply").await;
    b.screenshot("03-portal-ticket-created").await;
    let url = b.driver.current_url().await.expect("url").to_string();
    let id: i64 = url.rsplit('/').next().and_then(|s| s.split('#').next()).and_then(|s| s.parse().ok()).expect("ticket id in url");
    sign_out(&b).await;

    // A tier-1 agent finds it in their tier's queue and works it.
    sign_in(&b, &base, "alex@vendor.example").await;
    b.wait_for_text("My open tickets").await;
    b.driver.find(By::Css("a[data-view='tier']")).await.expect("tier queue").click().await.expect("click");
    b.wait_for_text("Webhook signature verification fails").await;
    b.screenshot("04-agent-tier-queue").await;
    b.driver.find(By::LinkText("Webhook signature verification fails")).await.expect("ticket link").click().await.expect("click");
    b.wait_for_text("Every webhook since Monday").await;
    b.driver
        .find(By::Id("reply-body"))
        .await
        .expect("reply")
        .send_keys("Thanks Dana. Could you send one failing delivery id?")
        .await
        .expect("type");
    b.driver.find(By::Id("reply-submit")).await.expect("send").click().await.expect("click");
    b.wait_for_text("Could you send one failing delivery id?").await;
    b.driver.find(By::Css("input[name=kind][value=internal]")).await.expect("note tab").click().await.expect("click");
    b.driver
        .find(By::Id("reply-body"))
        .await
        .expect("reply")
        .send_keys("INTERNAL: matches the clock-skew bug from last week")
        .await
        .expect("type");
    b.driver.find(By::Id("reply-submit")).await.expect("send").click().await.expect("click");
    b.wait_for_text("INTERNAL: matches the clock-skew bug").await;
    let status = b.driver.find(By::Id("ticket-status")).await.expect("status").text().await.expect("text");
    assert_eq!(status, "Open", "a public reply opens a new ticket");
    b.screenshot("05-agent-ticket").await;
    sign_out(&b).await;

    // The customer sees the reply, not the note.
    sign_in(&b, &base, "dana@northwind.example").await;
    b.wait_for_text("Your requests").await;
    b.driver.goto(format!("{base}/portal/tickets/{id}")).await.expect("ticket");
    b.wait_for_text("Could you send one failing delivery id?").await;
    let text = b.body_text().await;
    assert!(!text.contains("INTERNAL") && !text.contains("clock-skew"), "the customer saw an internal note:\n{text}");
    b.screenshot("06-portal-sees-reply").await;
    b.quit().await;
    server.abort();
}
