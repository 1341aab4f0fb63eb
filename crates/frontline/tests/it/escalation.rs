//! The escalation path through the API: tier 1 -> tier 2 -> Head of
//! Support -> Engineering and back, each step with a reason that is an
//! internal note, an event, the new step's queue and mail to its people;
//! what customers never see; and parallel escalations of one ticket.

use frontline_domain::notification::NotificationKind as K;
use frontline_store::User;
use frontline_testkit::{Auth, TestApp, TestDb, TestResponse, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

/// An agent with a tier-2 position (a Senior Support Specialist).
pub(crate) async fn senior(t: &TestApp, d: &Desk) -> User {
    let user = t.user("agent", "senior@vendor.example", None).await;
    let admin = t.token_for(&d.admin).await;
    let positions = t.get("/api/v1/positions", &admin).await.json();
    let tier2 = positions.as_array().expect("positions").iter().find(|p| p["tier"] == 2).expect("a tier-2 position")["id"].clone();
    let r = t.patch_json(&format!("/api/v1/users/{}", user.id), &admin, &json!({"position_id": tier2})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    user
}

async fn escalate(t: &TestApp, auth: &Auth, id: i64, body: Value) -> TestResponse {
    t.post_json(&format!("/api/v1/tickets/{id}/escalations"), auth, &body).await
}

fn ids(page: &Value) -> Vec<i64> {
    page["data"].as_array().expect("data").iter().filter_map(|t| t["id"].as_i64()).collect()
}

async fn tier1_escalates_and_tier2_is_told(db: TestDb) {
    let (t, outbox) = TestApp::with_outbox(db).await;
    let d = Desk::new(&t).await;
    let senior = senior(&t, &d).await;
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();
    let agent = t.token_for(&d.agent).await;
    let senior_auth = t.token_for(&senior).await;
    let id = d.ticket_a;
    // Assigned to the tier-1 agent, who does not work tier 2: it waits in tier 2's queue.
    assert_eq!(t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"assignee_id": d.agent.id})).await.status, 200);

    for body in [json!({}), json!({"reason": "   "})] {
        let r = escalate(&t, &agent, id, body).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["error"]["field"], "reason");
    }
    let r = escalate(&t, &agent, id, json!({"reason": "Signature check fails only for EU keys", "to": "tier_1"})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("to")), "only upward");
    let r = escalate(&t, &agent, id, json!({"reason": "Signature check fails only for EU keys"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let after = r.json();
    assert_eq!((after["step"].clone(), after["tier"].clone(), after["escalation_level"].clone()), (json!("tier_2"), json!(2), json!(1)));
    assert_eq!(after["assignee"], Value::Null, "the tier-1 assignee does not work tier 2");

    // Recorded: an internal note with the reason, and an `escalated` event by the agent.
    let messages = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    let note = messages.as_array().expect("messages").last().expect("note").clone();
    assert_eq!(
        (note["kind"].clone(), note["body"].clone()),
        (json!("internal"), json!("Escalated to Tier 2: Signature check fails only for EU keys"))
    );
    let events = t.get(&format!("/api/v1/tickets/{id}/events"), &agent).await.json();
    let e = events["data"].as_array().expect("events").iter().find(|e| e["field"] == "escalated").expect("escalated event").clone();
    assert_eq!(
        (e["old_value"].clone(), e["new_value"].clone(), e["actor"]["id"].clone()),
        (json!("tier_1"), json!("tier_2"), json!(d.agent.id))
    );
    let path = t.get(&format!("/api/v1/tickets/{id}/escalations"), &agent).await.json();
    assert_eq!(path[0]["reason"], "Signature check fails only for EU keys");
    assert_eq!((path[0]["from_step"].clone(), path[0]["to_step"].clone()), (json!("tier_1"), json!("tier_2")));

    // Queues follow the step.
    assert!(ids(&t.get("/api/v1/queues/tier", &senior_auth).await.json()).contains(&id), "tier 2 finds it in My tier");
    assert!(!ids(&t.get("/api/v1/queues/tier", &agent).await.json()).contains(&id), "tier 1 no longer has it");

    // Tier 2's people are told, with the reason; not the one who escalated, never the customer.
    t.app.run_due_jobs().await.expect("jobs");
    let sent = outbox.take();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].kind, K::TicketEscalated);
    assert_eq!(sent[0].to.iter().map(|r| r.email.as_str()).collect::<Vec<_>>(), vec!["senior@vendor.example"]);
    assert!(sent[0].body.as_deref().unwrap_or("").contains("EU keys"), "{:?}", sent[0].body);
    assert!(sent[0].subject.contains("Webhook signatures fail"));

    // The customer sees none of it.
    let customer = t.token_for(&d.cust_member).await;
    let mine = t.get(&format!("/api/v1/tickets/{id}"), &customer).await.json();
    for hidden in ["step", "tier", "escalation_level"] {
        assert!(mine.get(hidden).is_none(), "{hidden} shown to a customer: {mine}");
    }
    let theirs = t.get(&format!("/api/v1/tickets/{id}/events"), &customer).await.text();
    assert!(!theirs.contains("escalated") && !theirs.contains("tier_2"), "{theirs}");
    let theirs = t.get(&format!("/api/v1/tickets/{id}/messages"), &customer).await.text();
    assert!(!theirs.contains("EU keys"), "{theirs}");
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}/escalations"), &customer).await.status, 403);
    assert_eq!(escalate(&t, &customer, id, json!({"reason": "please hurry"})).await.status, 403);
}
on_both_engines!(escalation_notifies_the_step, tier1_escalates_and_tier2_is_told);

async fn up_to_engineering_and_back_down(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let senior = senior(&t, &d).await;
    let (agent, senior_auth) = (t.token_for(&d.agent).await, t.token_for(&senior).await);
    let (head, engineering) = (t.token_for(&d.head).await, t.token_for(&d.engineering).await);
    let id = d.ticket_b;
    let step = |v: &Value| v["step"].as_str().unwrap_or("").to_string();

    // A tier-1 agent may skip ahead to Engineering, but nothing is above it.
    let r = escalate(&t, &agent, id, json!({"reason": "Reproduced: SAML parser drops the RelayState", "to": "engineering"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!((step(&r.json()), r.json()["tier"].clone()), ("engineering".into(), json!(3)));
    let r = escalate(&t, &head, id, json!({"reason": "more"})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("to")), "above Engineering");
    assert_eq!(escalate(&t, &engineering, id, json!({"reason": "x"})).await.status, 403, "engineering does not escalate");

    // Down: the step that has it decides; a tier-1 agent cannot pull it back.
    let down = |auth: &Auth, body: Value| {
        let auth = auth.clone();
        let t = &t;
        async move { t.post_json(&format!("/api/v1/tickets/{id}/de-escalations"), &auth, &body).await }
    };
    assert_eq!(down(&agent, json!({"note": "mine again"})).await.status, 403);
    let r = down(&engineering, json!({})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("note")));
    let r = down(&engineering, json!({"note": "Configuration, not a defect"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(step(&r.json()), "head_of_support");
    assert_eq!(down(&engineering, json!({"note": "again"})).await.status, 403, "engineering hands back only its own step");
    assert!(ids(&t.get("/api/v1/queues/tier", &head).await.json()).contains(&id), "the Head sees escalated tickets");
    let r = down(&head, json!({"note": "Tier 2 can walk them through it", "from": "head_of_support"})).await;
    assert_eq!(step(&r.json()), "tier_2");
    let r = down(&head, json!({"note": "stale page", "from": "head_of_support"})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (409, json!("from")), "moved meanwhile");
    let r = down(&senior_auth, json!({"note": "Front line can close it"})).await;
    assert_eq!(step(&r.json()), "tier_1");
    let r = down(&head, json!({"note": "lower"})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("to")), "below tier 1");

    // Needs a senior: straight to tier 2, marked in the history; never down.
    let r = t.post_json(&format!("/api/v1/tickets/{id}/needs-senior"), &agent, &json!({"reason": ""})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("reason")));
    let r = t.post_json(&format!("/api/v1/tickets/{id}/needs-senior"), &agent, &json!({"reason": "Threatens to cancel, shouting"})).await;
    assert_eq!(step(&r.json()), "tier_2");
    let events = t.get(&format!("/api/v1/tickets/{id}/events"), &agent).await.json();
    let marks: Vec<_> = events["data"].as_array().expect("events").iter().filter(|e| e["field"] == "needs_senior").collect();
    assert_eq!(marks.len(), 1);
    assert_eq!((marks[0]["old_value"].clone(), marks[0]["new_value"].clone()), (json!("tier_1"), json!("tier_2")));
    let path = t.get(&format!("/api/v1/tickets/{id}/escalations"), &agent).await.json();
    let actions: Vec<&str> = path.as_array().expect("path").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["escalate", "de_escalate", "de_escalate", "de_escalate", "needs_senior"]);
}
on_both_engines!(escalation_path_both_ways, up_to_engineering_and_back_down);

/// Escalation is an action on the locked ticket, not a versioned edit: many
/// agents who saw tier 1 escalating at once move it one step, once. The
/// others get 409 and write nothing (no note, no event, no mail).
async fn parallel_escalations_move_one_step(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let mut auths = Vec::new();
    for n in 0..6 {
        let u = t.user("agent", &format!("tier1-{n}@vendor.example"), None).await;
        auths.push(t.token_for(&u).await);
    }
    let id = d.ticket_a;
    let answers = futures::future::join_all(
        auths.iter().enumerate().map(|(n, a)| escalate(&t, a, id, json!({"reason": format!("stuck {n}"), "from": "tier_1"}))),
    )
    .await;
    let mut codes: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    codes.sort_unstable();
    assert_eq!(codes, [201, 409, 409, 409, 409, 409], "{:?}", answers.iter().map(|r| r.text()).collect::<Vec<_>>());
    for r in answers.iter().filter(|r| r.status == 409) {
        assert_eq!(r.json()["error"]["field"], "from");
    }
    let admin = t.token_for(&d.admin).await;
    let ticket = t.get(&format!("/api/v1/tickets/{id}"), &admin).await.json();
    assert_eq!(ticket["step"], "tier_2", "one step, not to the Head of Support");
    let path = t.get(&format!("/api/v1/tickets/{id}/escalations"), &admin).await.json();
    assert_eq!(path.as_array().map(Vec::len), Some(1));
    let notes = t.get(&format!("/api/v1/tickets/{id}/messages"), &admin).await.json();
    let notes = notes.as_array().expect("messages").iter().filter(|m| m["kind"] == "internal").count();
    assert_eq!(notes, 1, "the refused ones left no note");

    // Each asked for a step further up: still only the first moves it.
    let answers = futures::future::join_all(
        auths.iter().take(3).map(|a| escalate(&t, a, id, json!({"reason": "db", "to": "engineering", "from": "tier_2"}))),
    )
    .await;
    let mut codes: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    codes.sort_unstable();
    assert_eq!(codes, [201, 409, 409]);
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}"), &admin).await.json()["step"], "engineering");
}
on_both_engines!(escalation_parallel, parallel_escalations_move_one_step);

/// The ticket page: the escalation card shows every error at once and
/// keeps what was typed; a page drawn before someone else moved the ticket
/// is refused rather than moving it twice; the history says what happened.
async fn the_page_escalates(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let cookie = t.login(&d.agent.email).await;
    let id = d.ticket_a;
    let page = t.get(&format!("/tickets/{id}"), &cookie).await.text();
    assert!(page.contains("id=\"escalation-form\"") && page.contains("id=\"needs-senior-submit\""), "{page}");
    assert!(!page.contains("id=\"f-tier\"") && !page.contains("id=\"f-esc\""), "tier and level are no longer edited apart");
    assert!(!page.contains("id=\"de-escalate-submit\""), "nothing below tier 1");

    let r = t.post_form(&format!("/tickets/{id}/escalate"), &cookie, &[("reason", " "), ("to", "tier_9"), ("from", "tier_1")]).await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("a reason is required") && html.contains("is not a step"), "both messages at once:\n{html}");
    assert!(html.contains("aria-describedby=\"err-reason\"") && html.contains("aria-describedby=\"err-to\""));

    // Someone escalates while the agent's page still shows tier 1.
    let head = t.token_for(&d.head).await;
    assert_eq!(escalate(&t, &head, id, json!({"reason": "Taking a look"})).await.status, 201);
    let r = t
        .post_form(&format!("/tickets/{id}/escalate"), &cookie, &[("reason", "Customer sent the logs"), ("to", ""), ("from", "tier_1")])
        .await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("someone moved this ticket meanwhile") && html.contains("Customer sent the logs"), "{html}");
    assert!(html.contains("value=\"tier_2\""), "the form now starts from where the ticket is");

    let r = t
        .post_form(&format!("/tickets/{id}/escalate"), &cookie, &[("reason", "Customer sent the logs"), ("to", ""), ("from", "tier_2")])
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let html = t.get(&format!("/tickets/{id}"), &cookie).await.text();
    assert!(html.contains("escalated from Tier 2 to Head of Support"), "{html}");
    assert!(html.contains("<strong id=\"ticket-step\">Head of Support</strong>"));

    let r = t.post_form(&format!("/tickets/{id}/needs-senior"), &cookie, &[("reason", "Angry about the outage")]).await;
    assert_eq!(r.status, 303);
    let html = t.get(&format!("/tickets/{id}"), &cookie).await.text();
    assert!(html.contains("id=\"needs-senior\"") && html.contains("marked the ticket: needs a senior"), "{html}");

    // The customer's page shows none of it.
    let customer = t.login(&d.cust_member.email).await;
    let html = t.get(&format!("/portal/tickets/{id}"), &customer).await.text();
    for hidden in ["scalat", "Head of Support", "needs a senior", "Customer sent the logs"] {
        assert!(!html.contains(hidden), "{hidden} on the portal:\n{html}");
    }
}
on_both_engines!(escalation_page, the_page_escalates);

/// Scripts may still set tier or escalation level through PATCH, but the
/// two move together: they can no longer disagree (a tier-1 ticket "with
/// Engineering" was possible before).
async fn tier_and_level_move_together(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let path = format!("/api/v1/tickets/{}", d.ticket_a);
    let r = t.patch_json(&path, &agent, &json!({"escalation_level": 3})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["step"].clone(), r.json()["tier"].clone()), (json!("engineering"), json!(3)));
    let r = t.patch_json(&path, &agent, &json!({"tier": 2})).await;
    assert_eq!((r.json()["step"].clone(), r.json()["escalation_level"].clone()), (json!("tier_2"), json!(1)));
    let r = t.patch_json(&path, &agent, &json!({"tier": 1, "escalation_level": 3})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("escalation_level")));
    assert_eq!(t.get(&path, &agent).await.json()["step"], "tier_2", "nothing half-written");
}
on_both_engines!(escalation_patch, tier_and_level_move_together);

/// A ticket created at tier 2 stands at tier 2's step (level 1), so a
/// script that sends back what it read, with another priority, is accepted.
async fn created_tier_is_a_step(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let r = t
        .post_json(
            "/api/v1/tickets",
            &agent,
            &json!({"subject": "Webhook retries stop", "body": "After 3 tries.", "requester_email": "lena@northwind.example", "tier": 2}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    assert_eq!((created["tier"].as_i64(), created["escalation_level"].as_i64()), (Some(2), Some(1)));
    assert_eq!(created["step"], "tier_2");
    let id = created["id"].as_i64().expect("id");
    let back = json!({"tier": created["tier"], "escalation_level": created["escalation_level"], "priority": "high"});
    let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &back).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["priority"].as_str(), r.json()["step"].as_str()), (Some("high"), Some("tier_2")));
}
on_both_engines!(created_tier_stands_at_its_step, created_tier_is_a_step);
