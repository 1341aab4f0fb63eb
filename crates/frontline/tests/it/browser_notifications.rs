//! The bell in a real headless Chromium: a colleague's question shows as
//! one unread item in the top bar; clicking the bell lists it, opening it
//! leads to the ticket and marks it read; "mark all read" empties the
//! unread view; the bell's width does not change with its count.

use frontline_app::tickets::NewTicketInput;
use frontline_domain::ticket::Channel;
use frontline_testkit::browser::Browser;
use frontline_testkit::{TestApp, TestDb};
use thirtyfour::prelude::*;

async fn bell_label(b: &Browser) -> String {
    b.driver.find(By::Id("bell")).await.expect("bell").attr("aria-label").await.expect("attr").unwrap_or_default()
}

async fn bell_width(b: &Browser) -> i64 {
    let r = b.driver.execute("return Math.round(document.getElementById('bell').getBoundingClientRect().width);", vec![]).await;
    r.expect("width").json().as_i64().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bell_lists_and_opens_a_question() {
    let Some(b) = Browser::start("browser_notifications::the_bell_lists_and_opens_a_question").await else { return };
    let t = TestApp::new(TestDb::sqlite().await).await;
    let org = t.org("Northwind Logistics", "northwind.example").await;
    let dana = t.user("customer_member", "dana@northwind.example", Some(org)).await;
    let alex = crate::fixtures::staff(&t, "alex@vendor.example", "Alex Tier1", "Support Specialist").await;
    let sam = crate::fixtures::staff(&t, "sam@vendor.example", "Sam Senior", "Senior Support Specialist").await;
    let input = NewTicketInput { subject: "Invoices export as empty CSV".into(), body: "Since the update.".into(), ..Default::default() };
    let id = t.app.create_ticket(&dana.actor(), &input, Channel::Portal).await.expect("ticket").id;
    let (base, server) = t.serve().await;

    b.sign_in(&base, "sam@vendor.example").await;
    b.wait_for_text("My open tickets").await;
    assert_eq!(bell_label(&b).await, "Notifications, none unread");
    let quiet = bell_width(&b).await;
    b.driver.find(By::Id("bell")).await.expect("bell").click().await.expect("click");
    b.wait_for_text("No notifications yet.").await;
    b.screenshot("notifications-01-empty").await;

    // Alex asks Sam; the job fills Sam's bell (no mailer here: the bell alone).
    t.app.ask_for_help(&alex.actor(), id, Some(sam.id), None, "Which export flag changed?").await.expect("ask");
    t.app.run_due_jobs().await.expect("jobs");
    b.driver.goto(format!("{base}/tickets")).await.expect("queue");
    b.wait_for_text("My open tickets").await;
    assert_eq!(bell_label(&b).await, "Notifications, 1 unread");
    assert_eq!(b.driver.find(By::Id("bell-count")).await.expect("count").text().await.expect("text"), "1");
    assert_eq!(bell_width(&b).await, quiet, "the top bar does not move when the count appears");

    b.driver.find(By::Id("bell")).await.expect("bell").click().await.expect("click");
    b.wait_for_text("Asked for your help: #").await;
    let body = b.body_text().await;
    assert!(
        body.contains("Invoices export as empty CSV") && body.contains("Alex Tier1") && body.contains("Which export flag changed?"),
        "{body}"
    );
    assert_eq!(b.driver.find_all(By::Css(".notification.unread")).await.expect("items").len(), 1);
    b.screenshot("notifications-02-unread").await;

    b.driver.find(By::Css(".notification .open")).await.expect("item").click().await.expect("click");
    b.wait_for_text("Since the update.").await;
    assert!(b.driver.current_url().await.expect("url").path().ends_with(&format!("/tickets/{id}")));
    assert_eq!(bell_label(&b).await, "Notifications, none unread", "opening it marked it read");

    b.driver.goto(format!("{base}/notifications?unread=true")).await.expect("unread");
    b.wait_for_text("Nothing unread.").await;
    b.driver.goto(format!("{base}/settings/notifications")).await.expect("settings");
    b.wait_for_text("Someone asks me or my tier for help").await;
    b.screenshot("notifications-03-settings").await;
    let violations = b.axe().await;
    assert!(violations.is_empty(), "{violations:#?}");
    b.quit().await;
    server.abort();
}
