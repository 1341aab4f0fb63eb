//! SLA visible everywhere, on both engines: the ticket API's `sla` object
//! (agents only) with due times that follow the policy under the test
//! clock; `sla_due_at` on list rows; queues and the API list sorted by due
//! (overdue first, tickets without a due time last, cursor paging across
//! that boundary); "overdue by" on the queue and the ticket page.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use frontline_domain::sla::{
    BusinessCalendar, CalendarSpec, Condition, EscalationStep, PriorityTargets, SlaPolicy, Target, WeeklyHoursSpec,
};
use frontline_domain::ticket::Priority;
use frontline_store::sla::PolicyInput;
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

/// Monday 1 June 2026, 09:00 in Berlin: the start of a business day.
fn monday_nine() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T07:00:00Z").expect("instant").with_timezone(&Utc)
}

fn at(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| DateTime::parse_from_rfc3339(s).expect("RFC 3339").with_timezone(&Utc))
}

/// A Berlin calendar (weekdays 09:00-12:00 and 13:00-17:30) and one policy
/// with `targets` for `priorities`, applying to tickets that meet `conditions`.
pub(crate) async fn policy(t: &TestApp, name: &str, conditions: Vec<Condition>, priorities: &[Priority], targets: PriorityTargets) {
    let store = t.store();
    let calendar = BusinessCalendar::new(&CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        hours: WeeklyHoursSpec::weekdays(&[("09:00", "12:00"), ("13:00", "17:30")]),
        holidays: vec![],
    })
    .expect("calendar");
    let calendar_id = store.create_calendar(&format!("{name} hours"), &calendar, None).await.expect("create calendar");
    let policy = SlaPolicy {
        conditions,
        targets: priorities.iter().map(|p| (*p, targets)).collect::<BTreeMap<_, _>>(),
        step_shares: BTreeMap::from([(EscalationStep::Tier1, 25), (EscalationStep::Tier2, 75)]),
    }
    .checked()
    .expect("valid policy");
    store.create_sla_policy(PolicyInput { name, calendar_id, policy: &policy }, None).await.expect("create policy");
}

async fn sla_pass(t: &TestApp) {
    t.app.sla_pass(&frontline_domain::authz::Actor::System, 1000).await.expect("SLA pass");
}

fn target<'a>(sla: &'a Value, kind: &str) -> &'a Value {
    sla["targets"].as_array().expect("targets").iter().find(|t| t["kind"] == kind).unwrap_or_else(|| panic!("no {kind} target in {sla}"))
}

fn step<'a>(sla: &'a Value, name: &str) -> &'a Value {
    sla["steps"].as_array().expect("steps").iter().find(|s| s["step"] == name).unwrap_or_else(|| panic!("no {name} step in {sla}"))
}

/// A desk at Monday 09:00 Berlin with a business-hours policy for everyone;
/// `ticket_a` (a customer's, normal priority) was opened then.
async fn desk_under_policy(db: TestDb) -> (TestApp, Desk) {
    let t = TestApp::new(db).await;
    t.clock.set(monday_nine());
    policy(
        &t,
        "Premium",
        vec![],
        &[Priority::Normal],
        PriorityTargets { first_reply: Some(Target::business(60)), next_reply: None, resolution: Some(Target::business(600)) },
    )
    .await;
    let d = Desk::new(&t).await;
    sla_pass(&t).await;
    t.clock.advance(Duration::minutes(30));
    (t, d)
}

async fn agents_get_the_sla_object(db: TestDb) {
    let (t, d) = desk_under_policy(db).await;
    let agent = t.token_for(&d.agent).await;
    let r = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &agent).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sla = r.json()["sla"].clone();
    assert_eq!((sla["policy"]["name"].clone(), sla["paused"].clone()), (json!("Premium"), json!(false)), "{sla}");
    assert_eq!((sla["calendar"]["name"].clone(), sla["calendar"]["time_zone"].clone()), (json!("Premium hours"), json!("Europe/Berlin")));

    // First reply: 60 business minutes from Monday 09:00 Berlin, warned a quarter before.
    let first = target(&sla, "first_reply");
    assert_eq!(
        (first["hours"].clone(), first["target_minutes"].clone(), first["used_minutes"].clone()),
        (json!("business"), json!(60), json!(30))
    );
    assert_eq!(at(&first["due_at"]), Some(monday_nine() + Duration::minutes(60)));
    assert_eq!(at(&first["warn_at"]), Some(monday_nine() + Duration::minutes(45)));
    assert_eq!(first["breached_at"], Value::Null);
    // Resolution: 600 business minutes = all of Monday (450) and Tuesday 09:00-11:30.
    let resolution = target(&sla, "resolution");
    assert_eq!(at(&resolution["due_at"]), Some(monday_nine() + Duration::hours(24) + Duration::minutes(150)));
    // Each step's share of the resolution target; tier 1 holds the ticket.
    let tier1 = step(&sla, "tier_1");
    assert_eq!((tier1["used_minutes"].clone(), tier1["target_minutes"].clone()), (json!(30), json!(150)));
    assert_eq!(step(&sla, "tier_2")["target_minutes"], 450);
    assert_eq!(step(&sla, "head_of_support")["target_minutes"], Value::Null, "no share");
}
on_both_engines!(agents_get_the_sla_object_with_due_times_of_the_policy, agents_get_the_sla_object);

async fn list_rows_carry_the_stored_due_time(db: TestDb) {
    let (t, d) = desk_under_policy(db).await;
    let agent = t.token_for(&d.agent).await;
    let list = t.get("/api/v1/tickets", &agent).await.json();
    let row = list["data"].as_array().expect("rows").iter().find(|r| r["id"] == d.ticket_a).expect("ticket a").clone();
    assert_eq!(at(&row["sla_due_at"]), Some(monday_nine() + Duration::minutes(60)), "{row}");
    assert_eq!(row["sla_paused"], false);
    assert!(row.get("sla").is_none(), "lists carry no per-row SLA object: {row}");
}
on_both_engines!(list_rows_carry_the_stored_due_time, list_rows_carry_the_stored_due_time);

async fn customers_never_see_sla(db: TestDb) {
    let (t, d) = desk_under_policy(db).await;
    let customer = t.token_for(&d.cust_member).await;
    let one = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &customer).await;
    assert_eq!(one.status, 200, "{}", one.text());
    let list = t.get("/api/v1/tickets?sort=due", &customer).await.json();
    let row = list["data"][0].clone();
    for (what, v) in [("ticket", one.json()), ("list row", row)] {
        for key in ["sla", "sla_due_at", "sla_paused"] {
            assert!(v.get(key).is_none(), "a customer's {what} has no {key}: {v}");
        }
    }
    // A write's answer is the ticket too: still nothing.
    let r = t.post_json("/api/v1/tickets", &customer, &json!({"subject": "Exports stall", "body": "Since noon."})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(r.json().get("sla").is_none(), "{}", r.text());
}
on_both_engines!(customers_never_see_sla, customers_never_see_sla);

async fn writes_answer_with_the_sla_now(db: TestDb) {
    let (t, d) = desk_under_policy(db).await;
    let agent = t.token_for(&d.agent).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"status": "pending"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sla = r.json()["sla"].clone();
    assert_eq!(sla["paused"], true, "waiting on the customer pauses the clock: {sla}");
    assert_eq!(target(&sla, "first_reply")["due_at"], Value::Null, "nothing falls due while paused");
}
on_both_engines!(writes_answer_with_the_sla_now, writes_answer_with_the_sla_now);

async fn no_policy_is_null(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    sla_pass(&t).await;
    let agent = t.token_for(&d.agent).await;
    let v = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &agent).await.json();
    assert_eq!(v.get("sla"), Some(&Value::Null), "agents get sla: null without a policy: {v}");
    assert_eq!(v.get("sla_due_at"), Some(&Value::Null));
}
on_both_engines!(sla_is_null_without_a_policy, no_policy_is_null);

/// Tickets opened a minute apart from Monday 09:00: three under a
/// 60-minute first-reply policy (tag `sla`), two without one, plus the
/// desk's two (no tag). At 10:03 the first two are overdue.
struct DueDesk {
    t: TestApp,
    d: Desk,
    agent: Auth,
    /// Expected "due soonest" order: s1, s2, s3, then n2, n1, ticket_b, ticket_a.
    order: Vec<i64>,
    s1: i64,
}

async fn due_desk(db: TestDb) -> DueDesk {
    let t = TestApp::new(db).await;
    t.clock.set(monday_nine());
    policy(
        &t,
        "Tagged",
        vec![Condition::Tag("sla".into())],
        &[Priority::Normal],
        PriorityTargets { first_reply: Some(Target::calendar(60)), next_reply: None, resolution: None },
    )
    .await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let mut made = Vec::new();
    for (i, tagged) in [true, false, true, false, true].into_iter().enumerate() {
        t.clock.advance(Duration::minutes(1));
        let tags: Vec<&str> = if tagged { vec!["sla"] } else { vec![] };
        let body = json!({"subject": format!("Ticket {i}"), "body": "Details.", "requester_id": d.cust_member.id, "tags": tags});
        let r = t.post_json("/api/v1/tickets", &agent, &body).await;
        assert_eq!(r.status, 201, "{}", r.text());
        made.push(r.json()["id"].as_i64().expect("id"));
    }
    let (s1, n1, s2, n2, s3) = (made[0], made[1], made[2], made[3], made[4]);
    // 10:04 Berlin: s1 (due 10:01) and s2 (due 10:03) are overdue, s3 (due 10:05) is not.
    t.clock.set(monday_nine() + Duration::minutes(64));
    sla_pass(&t).await;
    DueDesk { order: vec![s1, s2, s3, n2, n1, d.ticket_b, d.ticket_a], t, d, agent, s1 }
}

fn ids(page: &Value) -> Vec<i64> {
    page["data"].as_array().expect("data").iter().filter_map(|t| t["id"].as_i64()).collect()
}

async fn queue_sorted_by_due(db: TestDb) {
    let q = due_desk(db).await;
    let r = q.t.get("/api/v1/queues/open?sort=due", &q.agent).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ids(&r.json()), q.order, "overdue first, then due, then the rest by last update");
    let r = q.t.get("/api/v1/queues/open?sort=-due", &q.agent).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("sort")), "{}", r.text());
}
on_both_engines!(queue_sorted_by_due_puts_overdue_first_and_no_due_time_last, queue_sorted_by_due);

async fn list_sorted_by_due_pages(db: TestDb) {
    let q = due_desk(db).await;
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/tickets?sort=due&limit=2&cursor={c}"),
            None => "/api/v1/tickets?sort=due&limit=2".to_string(),
        };
        let r = q.t.get(&url, &q.agent).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text());
        let page = r.json();
        pages.push(ids(&page));
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages.len() < 10, "paging does not end: {pages:?}");
    }
    assert_eq!(seen, q.order, "pages: {pages:?}");
    assert_eq!(pages[1], vec![q.order[2], q.order[3]], "a page across the boundary: the last due ticket, then the newest without one");
    // A newest-first cursor (an id) under the due order: the tickets without a due time after it.
    let r = q.t.get(&format!("/api/v1/tickets?sort=due&cursor={}", q.order[3] + 1), &q.agent).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ids(&r.json()), q.order[3..].to_vec());
    let r = q.t.get("/api/v1/tickets?sort=due&cursor=due_x_1", &q.agent).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (400, json!("cursor")), "{}", r.text());
}
on_both_engines!(list_sorted_by_due_pages_across_the_due_and_no_due_boundary, list_sorted_by_due_pages);

async fn pages_say_overdue_by(db: TestDb) {
    let q = due_desk(db).await;
    let session = q.t.login(&q.d.agent.email).await;
    let page = q.t.get("/tickets?view=open&sort=due", &session).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    let first_row = html.split("<tbody>").nth(1).and_then(|b| b.split("</tr>").next()).expect("a first row").to_string();
    assert!(first_row.contains(&format!("/tickets/{}", q.s1)) && first_row.contains("overdue by 3m"), "{first_row}");
    assert!(html.contains("in 1m"), "the ticket not yet due says how long is left");
    let ticket = q.t.get(&format!("/tickets/{}", q.s1), &session).await.text();
    assert!(ticket.contains("id=\"sla\""), "the SLA card");
    assert!(ticket.contains("overdue by 3m"), "first reply overdue on the ticket page");
    assert!(ticket.contains("calendar hours"));
    let untagged = q.t.get(&format!("/tickets/{}", q.d.ticket_a), &session).await.text();
    assert!(!untagged.contains("id=\"sla\""), "no policy: no SLA card");
}
on_both_engines!(queue_and_ticket_page_say_overdue_by, pages_say_overdue_by);

/// The `sla` object is in the OpenAPI document, with its codes as enums.
#[tokio::test]
async fn the_sla_object_is_documented_with_enums() {
    let t = TestApp::new(TestDb::sqlite().await).await;
    let doc = t.get("/api/v1/openapi.json", &Auth::None).await.json();
    let schemas = &doc["components"]["schemas"];
    let ticket = &schemas["TicketDto"]["properties"];
    for key in ["sla", "sla_due_at", "sla_paused"] {
        assert!(ticket.get(key).is_some(), "TicketDto documents {key}: {ticket}");
    }
    let enum_of = |name: &str| -> Vec<String> {
        let values = schemas[name]["enum"].as_array().unwrap_or_else(|| panic!("{name} is an enum: {}", schemas[name]));
        values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
    };
    assert_eq!(enum_of("SlaTargetKind"), ["first_reply", "next_reply", "resolution"]);
    assert_eq!(enum_of("SlaHours"), ["business", "calendar"]);
    assert_eq!(enum_of("SlaStep"), ["tier_1", "tier_2", "head_of_support", "engineering"]);
    for field in ["policy", "paused", "calendar", "targets", "steps"] {
        assert!(schemas["TicketSlaDto"]["properties"].get(field).is_some(), "TicketSlaDto.{field}");
    }
    let list_sort = doc["paths"]["/api/v1/tickets"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "sort")
        .cloned()
        .expect("the list's sort parameter");
    assert_eq!(list_sort["in"], "query");
}
