//! Accessibility and layout in a real headless Chromium, in one browser
//! session: axe-core (vendored, see the test kit's assets) on every main
//! page at 1440 px and at 390 px, nothing scrolling sideways on a phone,
//! and the keyboard behaviours that markup alone cannot show (skip link,
//! focus after a failed submit, j/k, the shortcut switch, the queue counts
//! refresh keeping focus, a save announced). Screenshots land in
//! target/screenshots/a11y-*.png.

use frontline_app::directory::{UserInput, system_actor};
use frontline_app::tickets::{NewTicketInput, ReplyInput};
use frontline_domain::ticket::{Channel, MessageKind};
use frontline_testkit::browser::Browser;
use frontline_testkit::{TestApp, TestDb};
use serde_json::Value;
use thirtyfour::prelude::*;

const PASSWORD: &str = "correct horse battery";

async fn sign_in(b: &Browser, base: &str, email: &str) {
    b.sign_in(base, email).await;
    b.wait_for_text("Sign out").await;
}

async fn sign_out(b: &Browser) {
    b.driver.find(By::Css("form[action='/logout'] button")).await.expect("sign out").click().await.expect("click");
    b.wait_for_text("Sign in to Frontline").await;
}

async fn js(b: &Browser, script: &str) -> Value {
    b.driver.execute(script, vec![]).await.expect("script").json().clone()
}

async fn keys(b: &Browser, k: &str) {
    b.driver.action_chain().send_keys(k).perform().await.expect("keys");
}

/// Wait (bounded, 20 s: CI shares two cores with the rest of the suite)
/// until `script` returns true.
async fn until(b: &Browser, script: &str, what: &str) {
    for _ in 0..200 {
        if js(b, script).await.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never true: {what} ({script})");
}

struct Pages {
    base: String,
    ticket: i64,
    violations: Vec<String>,
    overflow: Vec<String>,
}

impl Pages {
    /// Open `path`, run axe-core, check sideways scrolling when `phone_fit`, take a screenshot.
    async fn check(&mut self, b: &Browser, width: i64, name: &str, path: &str, wait_for: &str, phone_fit: bool) {
        b.driver.goto(format!("{}{path}", self.base)).await.expect("page");
        b.wait_for_text(wait_for).await;
        for v in b.axe().await {
            self.violations.push(format!("{name} at {width}px: {v}"));
        }
        let (scroll, viewport) = b.widths().await;
        if phone_fit && scroll > viewport {
            self.overflow.push(format!("{name} at {width}px is {scroll}px wide in a {viewport}px viewport"));
        }
        b.screenshot(&format!("a11y-{width}-{name}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_page_passes_axe_and_fits_a_phone() {
    let Some(b) = Browser::start("browser_a11y::every_main_page_passes_axe_and_fits_a_phone").await else { return };
    let t = TestApp::new(TestDb::sqlite().await).await;
    let org = t.org("Northwind Logistics", "northwind.example").await;
    let dana = t.user("customer_member", "dana@northwind.example", Some(org)).await;
    let sys = system_actor();
    let admin = t
        .app
        .create_user(
            &sys,
            &UserInput {
                email: "ada@vendor.example".into(),
                name: "Ada Admin".into(),
                role: "admin".into(),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .expect("admin");
    let mut ticket = 0;
    for (i, subject) in
        ["Webhook signature verification fails after rotating the signing key", "Export totals are off by one day", "SSO login loops"]
            .iter()
            .enumerate()
    {
        let input = NewTicketInput {
            subject: (*subject).into(),
            body: "Every webhook since Monday fails signature verification (HTTP 401). Delivery dlv_481200 is one of them.".into(),
            ..Default::default()
        };
        let created = t.app.create_ticket(&dana.actor(), &input, Channel::Portal).await.expect("ticket");
        if i == 0 {
            ticket = created.id;
            let reply = ReplyInput {
                kind: MessageKind::Public,
                body: "Thanks Dana. Could you send one failing delivery id?".into(),
                status: Some("pending".into()),
                channel: Channel::Web,
                attachments: vec![],
            };
            t.app.reply(&admin.actor(), created.id, &reply).await.expect("reply");
        }
    }
    let (base, server) = t.serve().await;
    let mut pages = Pages { base: base.clone(), ticket, violations: vec![], overflow: vec![] };

    for width in [1440, 390] {
        b.set_width(width, 900).await;
        b.driver.goto(format!("{base}/logout")).await.ok();
        pages.check(&b, width, "sign-in", "/login", "Sign in to Frontline", true).await;

        sign_in(&b, &base, "dana@northwind.example").await;
        pages.check(&b, width, "portal-list", "/portal?scope=all", "Your requests", true).await;
        let id = pages.ticket;
        pages.check(&b, width, "portal-ticket", &format!("/portal/tickets/{id}"), "Could you send one failing delivery id?", true).await;
        pages.check(&b, width, "portal-new", "/portal/new", "New request", true).await;
        sign_out(&b).await;

        sign_in(&b, &base, "ada@vendor.example").await;
        pages.check(&b, width, "queue", "/tickets?view=open", "All open", true).await;
        pages.check(&b, width, "ticket", &format!("/tickets/{id}"), "Save properties", false).await;
        pages.check(&b, width, "new-ticket", "/tickets/new", "New ticket", false).await;
        pages.check(&b, width, "people", "/users", "People", false).await;
        pages.check(&b, width, "positions", "/admin/positions", "Positions & tiers", false).await;
        pages.check(&b, width, "settings", "/settings/tokens", "API tokens", false).await;
        pages.check(&b, width, "mail-admin", "/admin/mail", "Mail", false).await;
        sign_out(&b).await;
    }
    assert!(pages.violations.is_empty(), "axe-core found serious or critical violations:\n{}", pages.violations.join("\n"));
    assert!(pages.overflow.is_empty(), "pages scroll sideways:\n{}", pages.overflow.join("\n"));

    // Keyboard behaviours, at desktop width.
    b.set_width(1440, 900).await;
    sign_in(&b, &base, "ada@vendor.example").await;

    // The skip link is the first Tab stop and lands in the main content.
    b.driver.goto(format!("{base}/tickets/{ticket}")).await.expect("ticket");
    b.wait_for_text("Save properties").await;
    keys(&b, "\u{E004}").await;
    assert_eq!(js(&b, "return document.activeElement.className;").await, "skip-link");
    keys(&b, "\u{E007}").await;
    until(&b, "return document.activeElement.id === 'main';", "focus moved to main").await;

    // A properties save is announced in the live region.
    b.driver.find(By::Css("#f-priority option[value=high]")).await.expect("high").click().await.expect("select");
    b.driver.find(By::Id("fields-submit")).await.expect("save").click().await.expect("click");
    until(&b, "return document.getElementById('flash').textContent === 'Properties saved.';", "save announced").await;
    assert_eq!(js(&b, "return document.getElementById('flash').getAttribute('role');").await, "status");

    // After a failed submit, focus is on the first field to fix.
    b.driver.goto(format!("{base}/tickets/new")).await.expect("new");
    b.wait_for_text("New ticket").await;
    b.driver.find(By::Css("#new-ticket-form button[type=submit]")).await.expect("create").click().await.expect("click");
    b.wait_for_text("customer email is required").await;
    assert_eq!(
        js(&b, "return [document.activeElement.id, document.activeElement.getAttribute('aria-invalid')];").await,
        serde_json::json!(["requester_email", "true"])
    );
    b.screenshot("a11y-1440-new-ticket-errors").await;

    // j selects a row for assistive technology too; the counts refresh keeps focus.
    b.driver.goto(format!("{base}/tickets?view=open")).await.expect("queue");
    b.wait_for_text("All open").await;
    b.driver.find(By::Css("body")).await.expect("body").click().await.ok();
    keys(&b, "j").await;
    until(
        &b,
        "const r = document.querySelector('tr[data-href][aria-current=true]'); return !!r && r.contains(document.activeElement);",
        "j selects and focuses a row",
    )
    .await;
    let before = js(&b, "return document.getElementById('count-open').textContent;").await;
    t.app
        .create_ticket(
            &dana.actor(),
            &NewTicketInput { subject: "One more".into(), body: "More.".into(), ..Default::default() },
            Channel::Portal,
        )
        .await
        .expect("ticket");
    b.driver.find(By::Css("a[data-view='open']")).await.expect("queue link").focus().await.expect("focus");
    js(&b, "htmx.trigger('#queue-counts', 'refresh'); return true;").await;
    until(&b, &format!("return document.getElementById('count-open').textContent !== {before};"), "the count updated").await;
    assert_eq!(js(&b, "return document.activeElement.getAttribute('data-view');").await, "open", "the focused queue link kept focus");

    // Single-key shortcuts can be turned off, and stay off.
    b.driver.find(By::Id("shortcuts-toggle")).await.expect("toggle").click().await.expect("click");
    b.driver.refresh().await.expect("reload");
    b.wait_for_text("All open").await;
    assert_eq!(js(&b, "return document.getElementById('shortcuts-toggle').checked;").await, false);
    b.driver.find(By::Css("h1")).await.expect("h1").click().await.ok();
    keys(&b, "j").await;
    keys(&b, "n").await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        js(&b, "return [location.pathname, !!document.querySelector('tr[aria-current]')];").await,
        serde_json::json!(["/tickets", false])
    );

    b.quit().await;
    server.abort();
}
