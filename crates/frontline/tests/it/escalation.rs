//! The escalation path through the API: tier 1 -> tier 2 -> Head of
//! Support -> Engineering and back, each step with a reason that is an
//! internal note, an event, the new step's queue and mail to its people;
//! what customers never see; and parallel escalations of one ticket.

use frontline_domain::notification::NotificationKind as K;
use frontline_domain::user::Role;
use frontline_store::User;
use frontline_store::bulk::BulkUser;
use frontline_store::users::NewUser;
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

/// The Subject line a recipient sees, as the SMTP adapter builds the mail.
fn mail_subject(n: &frontline_app::mail::Notification) -> String {
    let mail = frontline_mail::build(n, &"Acme Support <support@acme.example>".parse().expect("from")).expect("mail");
    let raw = String::from_utf8(mail.formatted()).expect("utf-8");
    raw.lines().find_map(|l| l.strip_prefix("Subject: ")).expect("a subject").to_string()
}

/// A mail's recipients, sorted.
fn recipients(n: &frontline_app::mail::Notification) -> Vec<String> {
    let mut to: Vec<String> = n.to.iter().map(|r| r.email.clone()).collect();
    to.sort();
    to
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
    // (The manager has no position: a manager works tier 2 by default.)
    let sent = outbox.take();
    assert_eq!(sent.len(), 1, "one mail: {sent:?}");
    assert_eq!(sent[0].kind, K::TicketEscalated);
    assert_eq!(recipients(&sent[0]), ["manager@vendor.example", "senior@vendor.example"]);
    assert_eq!(mail_subject(&sent[0]), format!("[#{id}] Escalated: Webhook signatures fail"));
    assert!(sent[0].body.as_deref().unwrap_or("").contains("EU keys"), "{:?}", sent[0].body);

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
    let (t, outbox) = TestApp::with_outbox(db).await;
    let d = Desk::new(&t).await;
    let senior = senior(&t, &d).await;
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();
    let mail = || async {
        t.app.run_due_jobs().await.expect("jobs");
        outbox.take()
    };
    let (agent, senior_auth) = (t.token_for(&d.agent).await, t.token_for(&senior).await);
    let (head, engineering) = (t.token_for(&d.head).await, t.token_for(&d.engineering).await);
    let id = d.ticket_b;
    let step = |v: &Value| v["step"].as_str().unwrap_or("").to_string();

    // A tier-1 agent may skip ahead to Engineering, but nothing is above it.
    let r = escalate(&t, &agent, id, json!({"reason": "Reproduced: SAML parser drops the RelayState", "to": "engineering"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!((step(&r.json()), r.json()["tier"].clone()), ("engineering".into(), json!(3)));
    let sent = mail().await;
    assert_eq!(sent.len(), 1, "one mail, to Engineering: {sent:?}");
    assert_eq!((sent[0].kind, recipients(&sent[0])), (K::TicketEscalated, vec![d.engineering.email.clone()]));
    assert_eq!(mail_subject(&sent[0]), format!("[#{id}] Escalated: Globex SSO login loop"));
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
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("ticket")), "below tier 1: no field of the body");
    assert_eq!(mail().await.len(), 0, "going down tells no one");

    // Needs a senior: straight to tier 2, marked in the history; never down.
    let r = t.post_json(&format!("/api/v1/tickets/{id}/needs-senior"), &agent, &json!({"reason": ""})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("reason")));
    let r = t.post_json(&format!("/api/v1/tickets/{id}/needs-senior"), &agent, &json!({"reason": "Threatens to cancel, shouting"})).await;
    assert_eq!(step(&r.json()), "tier_2");
    let sent = mail().await;
    assert_eq!(sent.len(), 1, "one mail, to tier 2: {sent:?}");
    assert_eq!(recipients(&sent[0]), ["manager@vendor.example", "senior@vendor.example"]);
    assert_eq!(mail_subject(&sent[0]), format!("[#{id}] Escalated: Globex SSO login loop"));
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

    // Without `from` a request means "from where it is": one that finds it
    // moved by another meanwhile gets 409 on the ticket, not on a field it never sent.
    let b = d.ticket_b;
    let answers = futures::future::join_all(auths.iter().map(|a| escalate(&t, a, b, json!({"reason": "no from"})))).await;
    assert!(answers.iter().any(|r| r.status == 201));
    for r in answers.iter().filter(|r| r.status != 201) {
        assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (409, json!("ticket")), "{}", r.text());
    }
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

/// Tier and step move only through the escalation actions (recorded, with
/// a reason, told to the step): PATCH refuses a tier or escalation level
/// that would move the ticket, naming the field and pointing to
/// /escalations, and so does the properties form; sent back as read, they
/// move nothing. (`{tier: 3}` once dropped an Engineering ticket to the
/// Head of Support's step, unrecorded and untold.)
async fn patch_cannot_move_the_step(db: TestDb) {
    let (t, outbox) = TestApp::with_outbox(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let id = d.ticket_a;
    let path = format!("/api/v1/tickets/{id}");
    let r = escalate(&t, &agent, id, json!({"reason": "Needs a schema fix", "to": "engineering"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();
    let before = t.get(&path, &agent).await.json();

    for (body, field) in [
        (json!({"tier": 2}), "tier"),
        (json!({"escalation_level": 2}), "escalation_level"),
        (json!({"tier": 1, "escalation_level": 0, "priority": "high"}), "tier"),
    ] {
        let r = t.patch_json(&path, &agent, &body).await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!(field)), "{body}: {}", r.text());
        let message = r.json()["error"]["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains(&format!("/api/v1/tickets/{id}/escalations")), "{message}");
    }
    let r = t.patch_json(&path, &agent, &json!({"tier": 3})).await;
    assert_eq!(r.status, 200, "the tier as read moves nothing: {}", r.text());
    assert_eq!(r.json()["step"], "engineering");
    let after = t.get(&path, &agent).await.json();
    assert_eq!((after["step"].clone(), after["priority"].clone()), (before["step"].clone(), before["priority"].clone()));
    let events = t.get(&format!("/api/v1/tickets/{id}/events"), &agent).await.json();
    let tier_moves = events["data"].as_array().expect("events").iter().filter(|e| e["field"] == "tier").count();
    assert_eq!(tier_moves, 1, "only the escalation moved the tier: {events}");

    // The properties form: a posted tier is refused the same way, with a message on the page.
    let cookie = t.login(&d.agent.email).await;
    let version = after["updated_at"].as_str().expect("version").to_string();
    let form = [
        ("status", "open"),
        ("priority", "normal"),
        ("ticket_type", "question"),
        ("assignee_id", ""),
        ("team_id", ""),
        ("tier", "1"),
        ("tags", ""),
        ("version", version.as_str()),
    ];
    let r = t.post_form(&format!("/tickets/{id}/fields"), &cookie, &form).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("only through the escalation actions"), "{}", r.text());
    assert_eq!(t.get(&path, &agent).await.json()["step"], "engineering");
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(outbox.take().len(), 0, "nothing moved, nobody told");
}
on_both_engines!(escalation_patch, patch_cannot_move_the_step);

/// Everyone who works the step reached is told, however many staff there
/// are (recipients were once picked from the first 1000 staff by name).
async fn every_worker_of_the_step_is_told(db: TestDb) {
    let (t, outbox) = TestApp::with_outbox(db).await;
    let d = Desk::new(&t).await;
    senior(&t, &d).await;
    let at = t.app.now();
    let many: Vec<BulkUser> = (0..1000)
        .map(|n| BulkUser {
            user: NewUser {
                email: format!("aaron{n:04}@vendor.example"),
                name: format!("Aaron {n:04}"),
                role: Role::Agent,
                organization_id: None,
                position_id: None,
                team_id: None,
                reports_to: None,
                password_hash: None,
            },
            created_at: at,
        })
        .collect();
    t.store().bulk_insert_users(&many).await.expect("staff");
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();
    let agent = t.token_for(&d.agent).await;
    let r = escalate(&t, &agent, d.ticket_a, json!({"reason": "Only EU keys fail"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    t.app.run_due_jobs().await.expect("jobs");
    let sent = outbox.take();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(recipients(&sent[0]), ["manager@vendor.example", "senior@vendor.example"]);
}
on_both_engines!(escalation_tells_every_worker, every_worker_of_the_step_is_told);

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
