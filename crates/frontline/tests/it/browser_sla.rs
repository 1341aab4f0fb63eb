//! SLA configuration in a real headless Chromium: the Head of Support adds
//! a business-hours calendar (an overlap is shown at its day, the text
//! kept), a support plan and a policy through the forms, moves the policy
//! first, and gives an organization the plan.

use frontline_app::directory::system_actor;
use frontline_testkit::browser::Browser;
use frontline_testkit::{TestApp, TestDb};
use thirtyfour::prelude::*;

async fn fill(b: &Browser, id: &str, text: &str) {
    let e = b.driver.find(By::Id(id)).await.unwrap_or_else(|_| panic!("#{id}"));
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

async fn fill_name(b: &Browser, name: &str, text: &str) {
    let e = b.driver.find(By::Css(format!("[name='{name}']"))).await.unwrap_or_else(|_| panic!("[name={name}]"));
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

async fn choose(b: &Browser, css: &str) {
    b.driver.find(By::Css(css)).await.unwrap_or_else(|_| panic!("{css}")).click().await.expect("select");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_of_support_sets_up_an_sla() {
    let Some(b) = Browser::start("browser_sla::head_of_support_sets_up_an_sla").await else { return };
    let t = TestApp::new(TestDb::sqlite().await).await;
    let org = t.org("Northwind Logistics", "northwind.example").await;
    let input = frontline_app::directory::UserInput {
        email: "hos@vendor.example".into(),
        name: "Hana Head".into(),
        role: "head_of_support".into(),
        password: Some("correct horse battery".into()),
        ..Default::default()
    };
    let head = t.app.create_user(&system_actor(), &input).await.expect("head of support");
    let catch_all = t
        .app
        .create_sla_calendar(
            &system_actor(),
            &frontline_app::sla_config::CalendarInput {
                name: "Around the clock".into(),
                spec: frontline_domain::sla::CalendarSpec {
                    time_zone: "UTC".into(),
                    hours: frontline_domain::sla::WeeklyHoursSpec::weekdays(&[("00:00", "24:00")]),
                    holidays: vec![],
                },
                version: None,
            },
        )
        .await
        .expect("calendar");
    t.app
        .create_sla_policy(
            &system_actor(),
            &frontline_app::sla_config::PolicyFields {
                name: "Everyone else".into(),
                calendar_id: catch_all.id,
                policy: Default::default(),
                version: None,
            },
        )
        .await
        .expect("catch-all policy");
    let (base, server) = t.serve().await;

    b.sign_in(&base, "hos@vendor.example").await;
    b.wait_for_text("My open tickets").await;
    b.driver.find(By::Id("sla-link")).await.expect("SLA in the nav").click().await.expect("click");
    b.wait_for_text("Business-hours calendars").await;

    // A calendar with an overlap: the message sits at Monday, what was typed stays.
    b.driver.find(By::Id("new-calendar")).await.expect("add calendar").click().await.expect("click");
    b.wait_for_text("Weekly hours").await;
    fill(&b, "c-name", "Berlin office").await;
    fill(&b, "c-zone", "Europe/Berlin").await;
    fill(&b, "h-mon", "09:00-13:00, 12:00-17:00").await;
    fill(&b, "c-holidays", "2026-12-24\n2026-12-25").await;
    b.driver.find(By::Css("#calendar-form button[type=submit]")).await.expect("save").click().await.expect("click");
    b.wait_for_text("overlaps").await;
    let mon = b.driver.find(By::Id("h-mon")).await.expect("monday");
    assert_eq!(mon.attr("aria-invalid").await.expect("attr").as_deref(), Some("true"));
    assert_eq!(mon.value().await.expect("value").as_deref(), Some("09:00-13:00, 12:00-17:00"));
    b.screenshot("sla-01-calendar-error").await;
    fill(&b, "h-mon", "09:00-12:00, 13:00-17:00").await;
    b.driver.find(By::Css("#calendar-form button[type=submit]")).await.expect("save").click().await.expect("click");
    b.wait_for_text("Berlin office").await;
    b.wait_for_text("Europe/Berlin").await;

    // A plan.
    fill(&b, "plan-name", "Enterprise").await;
    b.driver.find(By::Css("#plan-new button[type=submit]")).await.expect("add plan").click().await.expect("click");
    // Plans are listed in their rename fields: the row's Rename button shows it is there.
    b.wait_for_text("Rename").await;
    let plan = b.driver.find(By::Css("#plans tbody input[name=name]")).await.expect("plan row").value().await.expect("value");
    assert_eq!(plan.as_deref(), Some("Enterprise"));

    // A policy for that plan, on that calendar.
    b.driver.find(By::Id("new-policy")).await.expect("add policy").click().await.expect("click");
    b.wait_for_text("Each step's share").await;
    fill(&b, "p-name", "Enterprise").await;
    choose(&b, "#p-calendar option:nth-child(3)").await;
    let cal_choice = b.driver.find(By::Css("#p-calendar")).await.expect("calendar").value().await.expect("value");
    assert!(cal_choice.is_some_and(|v| !v.is_empty()));
    choose(&b, "#c-plan option:nth-child(2)").await;
    fill_name(&b, "targets.urgent.first_reply", "30").await;
    fill_name(&b, "targets.urgent.resolution", "8").await;
    choose(&b, "select[name='targets.urgent.resolution.unit'] option[value='h']").await;
    fill(&b, "s-step_shares.tier_1", "40").await;
    fill(&b, "s-step_shares.tier_2", "60").await;
    b.screenshot("sla-02-policy-form").await;
    b.driver.find(By::Css("#policy-form button[type=submit]")).await.expect("save").click().await.expect("click");
    b.wait_for_text("plan Enterprise").await;
    // It went last; move it first.
    b.driver.find(By::Css("button[aria-label='Move Enterprise up']")).await.expect("move up").click().await.expect("click");
    b.wait_for_text("Policies").await;
    let first = b.driver.find(By::Css("#policies tbody tr:first-child td:nth-child(2)")).await.expect("first row");
    assert!(first.text().await.expect("text").starts_with("Enterprise"), "the policy moved first");
    b.screenshot("sla-03-overview").await;

    // What the form saved, as the API reads it back.
    let r = t.get("/api/v1/sla/policies", &t.token_for(&head).await).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let p = &r.json()[0];
    assert_eq!(p["name"], "Enterprise", "{p}");
    assert_eq!(p["targets"]["urgent"]["resolution"]["minutes"], 480, "8 hours: {p}");
    assert_ne!(p["targets"]["urgent"]["resolution"]["hours"], "calendar", "business hours: {p}");
    assert_eq!(
        (p["step_shares"]["tier_1"].clone(), p["step_shares"]["tier_2"].clone()),
        (serde_json::json!(40), serde_json::json!(60)),
        "{p}"
    );

    // The organization gets the plan.
    b.driver.goto(format!("{base}/organizations/{org}")).await.expect("org page");
    // Card titles render in capitals: wait for the field's hint.
    b.wait_for_text("chooses the SLA policy").await;
    choose(&b, "#support-plan option:nth-child(2)").await;
    b.driver.find(By::Css("#plan-form button[type=submit]")).await.expect("set plan").click().await.expect("click");
    b.wait_for_text("Northwind Logistics").await;
    let chosen = b.driver.find(By::Css("#support-plan option:checked")).await.expect("chosen").text().await.expect("text");
    assert_eq!(chosen, "Enterprise");
    b.screenshot("sla-04-organization").await;

    server.abort();
    b.quit().await;
}
