//! Escalation in a real headless Chromium: a tier-1 agent escalates from
//! the ticket page (a missing reason is shown at the field, the text kept)
//! and asks tier 2 a question; a tier-2 agent finds the ticket in their
//! tier's queue, answers the question from the Help requests view and
//! solves the ticket.

use frontline_app::tickets::NewTicketInput;
use frontline_domain::ticket::Channel;
use frontline_testkit::browser::Browser;
use frontline_testkit::{TestApp, TestDb};
use thirtyfour::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tier1_escalates_and_tier2_finds_it() {
    let Some(b) = Browser::start("browser_escalation::tier1_escalates_and_tier2_finds_it").await else { return };
    let t = TestApp::new(TestDb::sqlite().await).await;
    let org = t.org("Northwind Logistics", "northwind.example").await;
    let dana = t.user("customer_member", "dana@northwind.example", Some(org)).await;
    crate::fixtures::staff(&t, "alex@vendor.example", "Alex Tier1", "Support Specialist").await;
    crate::fixtures::staff(&t, "sam@vendor.example", "Sam Senior", "Senior Support Specialist").await;
    let input =
        NewTicketInput { subject: "SSO login loops for every EU user".into(), body: "Since the update.".into(), ..Default::default() };
    let id = t.app.create_ticket(&dana.actor(), &input, Channel::Portal).await.expect("ticket").id;
    let (base, server) = t.serve().await;

    b.sign_in(&base, "alex@vendor.example").await;
    b.wait_for_text("My open tickets").await;
    b.driver.goto(format!("{base}/tickets/{id}")).await.expect("ticket");
    b.wait_for_text("Since the update.").await;
    assert_eq!(b.driver.find(By::Id("ticket-step")).await.expect("step").text().await.expect("text"), "Tier 1");
    // No reason: the message sits at the field.
    b.driver.find(By::Id("escalate-submit")).await.expect("escalate").click().await.expect("click");
    b.wait_for_text("a reason is required").await;
    let invalid = b.driver.find(By::Id("esc-reason")).await.expect("reason").attr("aria-invalid").await.expect("attr");
    assert_eq!(invalid.as_deref(), Some("true"));
    b.driver
        .find(By::Id("esc-reason"))
        .await
        .expect("reason")
        .send_keys("IdP metadata changed; needs someone who knows SAML")
        .await
        .expect("type");
    b.driver.find(By::Id("escalate-submit")).await.expect("escalate").click().await.expect("click");
    b.wait_for_text("escalated from Tier 1 to Tier 2").await;
    assert_eq!(b.driver.find(By::Id("ticket-step")).await.expect("step").text().await.expect("text"), "Tier 2");
    assert!(b.body_text().await.contains("Escalated to Tier 2: IdP metadata changed"), "the reason is an internal note");
    b.screenshot("escalation-01-escalated").await;
    // A question for tier 2, without handing anything over.
    b.driver.find(By::Css("#help-to option[value='tier:2']")).await.expect("tier 2").click().await.expect("select");
    b.driver.find(By::Id("help-question")).await.expect("question").send_keys("Which IdP field changed?").await.expect("type");
    b.driver.find(By::Id("help-submit")).await.expect("ask").click().await.expect("click");
    b.wait_for_text("asked for help").await;
    b.driver.find(By::Css("form[action='/logout'] button")).await.expect("sign out").click().await.expect("click");
    b.wait_for_text("Sign in to Frontline").await;

    // The tier-2 agent finds it in their tier's queue.
    b.sign_in(&base, "sam@vendor.example").await;
    b.wait_for_text("My open tickets").await;
    b.driver.find(By::Css("a[data-view='tier']")).await.expect("tier queue").click().await.expect("click");
    b.wait_for_text("SSO login loops for every EU user").await;
    b.screenshot("escalation-02-tier2-queue").await;
    b.driver.find(By::Id("help-requests-link")).await.expect("help view").click().await.expect("click");
    b.wait_for_text("Which IdP field changed?").await;
    b.screenshot("escalation-03-help-requests").await;
    b.driver
        .find(By::Css(".help-answer textarea"))
        .await
        .expect("answer")
        .send_keys("The signing certificate rotated.")
        .await
        .expect("type");
    b.driver.find(By::Css(".help-answer button")).await.expect("answer").click().await.expect("click");
    b.wait_for_text("answered a help request").await;
    assert!(b.body_text().await.contains("The signing certificate rotated."), "the answer is a note on the ticket");
    assert!(b.body_text().await.contains("needs someone who knows SAML"));
    b.driver.find(By::Css("#f-status option[value=solved]")).await.expect("solved").click().await.expect("select");
    b.driver.find(By::Id("fields-submit")).await.expect("save").click().await.expect("click");
    b.wait_for_text("→ Solved").await;
    assert_eq!(b.driver.find(By::Id("ticket-status")).await.expect("status").text().await.expect("text"), "Solved");
    b.screenshot("escalation-04-solved").await;
    b.quit().await;
    server.abort();
}
