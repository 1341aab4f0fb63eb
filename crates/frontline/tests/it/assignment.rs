//! Availability and automatic assignment through the API and the pages:
//! agents set available / away / off, a team hands its new tickets round
//! robin or to the least loaded available member within a capacity, tickets
//! nobody can take wait and are picked up when someone frees up, and manual
//! assignment always works.

use std::collections::BTreeMap;

use frontline_domain::notification::NotificationKind as K;
use frontline_store::User;
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

/// A team made through the API with its assignment settings, and `n`
/// agents in it.
async fn team_with_agents(t: &TestApp, d: &Desk, name: &str, settings: Value, n: usize) -> (i64, Vec<User>) {
    let admin = t.token_for(&d.admin).await;
    let mut body = json!({"name": name});
    for (k, v) in settings.as_object().expect("settings") {
        body[k] = v.clone();
    }
    let r = t.post_json("/api/v1/teams", &admin, &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let team = r.json()["id"].as_i64().expect("team id");
    let mut agents = vec![];
    for i in 0..n {
        let agent = t.user("agent", &format!("{}{i}@vendor.example", name.to_lowercase()), None).await;
        let r = t.patch_json(&format!("/api/v1/users/{}", agent.id), &admin, &json!({"team_id": team})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        agents.push(agent);
    }
    (team, agents)
}

async fn set_availability(t: &TestApp, auth: &Auth, user: Option<i64>, availability: &str) -> frontline_testkit::TestResponse {
    let path = match user {
        Some(id) => format!("/api/v1/users/{id}/availability"),
        None => "/api/v1/me/availability".into(),
    };
    t.json(axum::http::Method::PUT, &path, auth, &json!({"availability": availability})).await
}

/// `n` tickets for the Desk's customer, opened at once by an agent into `team`.
async fn open_in_parallel(t: &TestApp, d: &Desk, team: i64, n: usize) -> Vec<i64> {
    let auth = t.token_for(&d.agent).await;
    let creations = (0..n).map(|i| {
        let (auth, t) = (&auth, &t);
        async move {
            let body =
                json!({"subject": format!("Webhook {i} fails"), "body": "Rejected.", "requester_id": d.cust_member.id, "team_id": team});
            let r = t.post_json("/api/v1/tickets", auth, &body).await;
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["id"].as_i64().expect("id")
        }
    });
    futures::future::join_all(creations).await
}

async fn drain_jobs(t: &TestApp) {
    for _ in 0..50 {
        if t.app.run_due_jobs().await.expect("jobs") == 0 {
            return;
        }
    }
    panic!("jobs kept coming");
}

async fn assignee(t: &TestApp, auth: &Auth, id: i64) -> Option<i64> {
    t.get(&format!("/api/v1/tickets/{id}"), auth).await.json()["assignee"]["id"].as_i64()
}

/// How many of `ids` each assignee holds (None: unassigned).
async fn spread(t: &TestApp, auth: &Auth, ids: &[i64]) -> BTreeMap<Option<i64>, usize> {
    let mut out = BTreeMap::new();
    for id in ids {
        *out.entry(assignee(t, auth, *id).await).or_default() += 1;
    }
    out
}

async fn round_robin_within_capacity(db: TestDb) {
    let (t, outbox) = TestApp::with_outbox(db).await;
    let d = Desk::new(&t).await;
    let (team, agents) = team_with_agents(&t, &d, "Payments", json!({"assignment_mode": "round_robin", "assignment_capacity": 5}), 4).await;
    let away = &agents[3];
    let away_auth = t.token_for(away).await;
    assert_eq!(set_availability(&t, &away_auth, None, "away").await.json()["availability"], "away");
    drain_jobs(&t).await;
    outbox.take();
    let staff = t.token_for(&d.head).await;

    let ids = open_in_parallel(&t, &d, team, 20).await;
    drain_jobs(&t).await;

    let got = spread(&t, &staff, &ids).await;
    let expected: BTreeMap<Option<i64>, usize> =
        [(None, 5), (Some(agents[0].id), 5), (Some(agents[1].id), 5), (Some(agents[2].id), 5)].into_iter().collect();
    assert_eq!(got, expected, "round robin 5/5/5 up to the capacity, the away agent none, 5 wait");

    // Each assignment is in the history: by the system, "assigned automatically".
    let mut theirs = vec![];
    for id in &ids {
        if assignee(&t, &staff, *id).await == Some(agents[0].id) {
            theirs.push(*id);
        }
    }
    let events = t.get(&format!("/api/v1/tickets/{}/events", theirs[0]), &staff).await.json();
    let events = events["data"].as_array().expect("events").clone();
    let auto: Vec<&Value> = events.iter().filter(|e| e["field"] == "auto_assigned").collect();
    assert_eq!(auto.len(), 1, "{events:?}");
    assert_eq!((auto[0]["new_value"].clone(), auto[0]["actor"].clone()), (json!("round_robin"), Value::Null));
    let by_hand = events.iter().find(|e| e["field"] == "assignee").expect("assignee event");
    assert_eq!((by_hand["new_value"].clone(), by_hand["actor"].clone()), (json!(agents[0].id.to_string()), Value::Null));
    // The agents are told, as for any assignment.
    let mails = outbox.take();
    let assigned: Vec<_> = mails.iter().filter(|m| m.kind == K::TicketAssigned).collect();
    assert_eq!(assigned.len(), 15, "{mails:?}");
    assert!(!assigned.iter().any(|m| m.to.iter().any(|r| r.email == away.email)), "nothing to the away agent");

    // An agent at capacity who solves one gets the next waiting ticket.
    let first_agent = t.token_for(&agents[0]).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", theirs[0]), &first_agent, &json!({"status": "solved"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    drain_jobs(&t).await;
    let got = spread(&t, &staff, &ids).await;
    assert_eq!(got.get(&None), Some(&4), "one waiting ticket was picked up: {got:?}");
    assert_eq!(got.get(&Some(agents[0].id)), Some(&6), "5 open + the solved one: {got:?}");

    // The away agent comes back: the waiting tickets go to them.
    assert_eq!(set_availability(&t, &away_auth, None, "available").await.status, 200);
    drain_jobs(&t).await;
    let got = spread(&t, &staff, &ids).await;
    assert_eq!((got.get(&None), got.get(&Some(away.id))), (None, Some(&4)), "{got:?}");
}
on_both_engines!(round_robin_spreads_within_capacity, round_robin_within_capacity);

async fn least_loaded_evens_out(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (team, agents) = team_with_agents(&t, &d, "Identity", json!({"assignment_mode": "manual"}), 3).await;
    let head = t.token_for(&d.head).await;
    // Loads before: 3, 1 and 0 open tickets, assigned by hand (the team is manual).
    let earlier = open_in_parallel(&t, &d, team, 4).await;
    for (id, who) in earlier.iter().zip([0, 0, 0, 1]) {
        let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &head, &json!({"assignee_id": agents[who].id})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    drain_jobs(&t).await;
    let r = t.patch_json(&format!("/api/v1/teams/{team}"), &t.token_for(&d.admin).await, &json!({"assignment_mode": "least_loaded"})).await;
    assert_eq!((r.status.as_u16(), r.json()["assignment_mode"].clone()), (200, json!("least_loaded")), "{}", r.text());

    let ids = open_in_parallel(&t, &d, team, 5).await;
    drain_jobs(&t).await;
    let new = spread(&t, &head, &ids).await;
    assert_eq!(new.get(&None), None, "unlimited capacity: all assigned {new:?}");
    assert_eq!(new.get(&Some(agents[0].id)), None, "the busiest gets none: {new:?}");
    let all = spread(&t, &head, &[earlier, ids].concat()).await;
    let loads: Vec<usize> = agents.iter().map(|a| all.get(&Some(a.id)).copied().unwrap_or(0)).collect();
    assert_eq!(loads, vec![3, 3, 3], "evened out");

    // Ties go to whoever waited longest since their last ticket: all hold 3,
    // and the busiest was given theirs first.
    let more = open_in_parallel(&t, &d, team, 1).await;
    drain_jobs(&t).await;
    assert_eq!(assignee(&t, &head, more[0]).await, Some(agents[0].id));
}
on_both_engines!(least_loaded_assignment_evens_out, least_loaded_evens_out);

async fn manual_assignment_always_works(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (team, agents) = team_with_agents(&t, &d, "Billing", json!({"assignment_mode": "round_robin"}), 2).await;
    let head = t.token_for(&d.head).await;
    let manager = t.token_for(&d.manager).await;
    assert_eq!(set_availability(&t, &manager, Some(agents[1].id), "off").await.json()["availability"], "off");

    // An off agent is assigned by hand; the job queued at creation leaves it so.
    let ids = open_in_parallel(&t, &d, team, 2).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", ids[0]), &head, &json!({"assignee_id": agents[1].id})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    drain_jobs(&t).await;
    assert_eq!(assignee(&t, &head, ids[0]).await, Some(agents[1].id), "not overridden");
    assert_eq!(assignee(&t, &head, ids[1]).await, Some(agents[0].id), "the other went to the available one");

    // A ticket created with an assignee keeps it.
    let agent = t.token_for(&d.agent).await;
    let body = json!({"subject": "Chosen", "body": "x", "requester_id": d.cust_member.id, "team_id": team, "assignee_id": agents[1].id});
    let r = t.post_json("/api/v1/tickets", &agent, &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    drain_jobs(&t).await;
    assert_eq!(assignee(&t, &head, r.json()["id"].as_i64().expect("id")).await, Some(agents[1].id));
}
on_both_engines!(manual_assignment_reaches_away_agents, manual_assignment_always_works);

async fn availability_rules(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;

    let r = set_availability(&t, &agent, None, "away").await;
    assert_eq!((r.status.as_u16(), r.json()["availability"].clone()), (200, json!("away")), "{}", r.text());
    let r = set_availability(&t, &agent, None, "asleep").await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("availability")), "{}", r.text());
    assert_eq!(t.get("/api/v1/me", &agent).await.json()["availability"], "away", "a refused value changes nothing");

    // Only one's own, unless one runs teams.
    assert_eq!(set_availability(&t, &agent, Some(d.head.id), "off").await.status, 403);
    for boss in [&d.manager, &d.head, &d.admin] {
        let r = set_availability(&t, &t.token_for(boss).await, Some(d.agent.id), "off").await;
        assert_eq!(r.status, 200, "{}: {}", boss.email, r.text());
    }
    let customer = t.token_for(&d.cust_member).await;
    assert_eq!(set_availability(&t, &customer, None, "away").await.status, 403, "customers get no tickets");
    assert_eq!(set_availability(&t, &customer, Some(d.agent.id), "away").await.status, 404);

    // PATCH on the user does it too, checked before anything is written.
    let admin = t.token_for(&d.admin).await;
    let r = t.patch_json(&format!("/api/v1/users/{}", d.agent.id), &admin, &json!({"availability": "available", "name": "Agent A"})).await;
    assert_eq!(
        (r.status.as_u16(), r.json()["availability"].clone(), r.json()["name"].clone()),
        (200, json!("available"), json!("Agent A"))
    );
    let r = t.patch_json(&format!("/api/v1/users/{}", d.agent.id), &admin, &json!({"availability": "gone", "name": "Renamed"})).await;
    assert_eq!(r.status, 422);
    assert_eq!(t.get("/api/v1/me", &agent).await.json()["name"], "Agent A", "nothing half-written");

    // Audited, with who and what.
    let audit = t.get("/api/v1/audit", &admin).await.text();
    assert!(audit.contains("user.availability") && audit.contains("away -> off"), "{audit}");

    // The people list shows it.
    let page = t.get("/users?kind=staff", &t.login(&d.admin.email).await).await.text();
    assert!(page.contains(r#"availability-available">Available"#), "{page}");
}
on_both_engines!(availability_is_set_by_oneself_or_a_manager, availability_rules);

async fn top_bar_and_team_form(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.login(&d.agent.email).await;

    // Every staff page carries the control, with the current value chosen.
    let page = t.get("/tickets", &agent).await.text();
    assert!(page.contains(r#"<option value="available" selected>Available</option>"#), "{page}");
    let r = t.post_form("/settings/availability", &agent, &[("availability", "away")]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(r.location().contains("saved=availability"), "{}", r.location());
    let page = t.get("/tickets", &agent).await.text();
    assert!(page.contains(r#"<option value="away" selected>Away</option>"#), "{page}");
    let r = t.post_form("/settings/availability", &agent, &[("availability", "lunch")]).await;
    assert_eq!(r.status, 422, "{}", r.text());

    // The team page sets mode and capacity, every field's error at once.
    let admin = t.login(&d.admin.email).await;
    let r = t
        .post_form(
            &format!("/teams/{}", d.team),
            &admin,
            &[("name", ""), ("description", ""), ("assignment_mode", "random"), ("assignment_capacity", "0")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    let html = r.text();
    for m in ["name is required", "unknown assignment mode", "capacity must be between 1 and 1000"] {
        assert!(html.contains(m), "missing {m:?}: {html}");
    }
    assert!(html.contains(r#"id="assignment_capacity" name="assignment_capacity" inputmode="numeric" value="0""#), "typed value kept");
    let r = t
        .post_form(
            &format!("/teams/{}", d.team),
            &admin,
            &[("name", "Integrations"), ("description", ""), ("assignment_mode", "least_loaded"), ("assignment_capacity", "8")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let team = t.get(&format!("/api/v1/teams/{}", d.team), &t.token_for(&d.admin).await).await.json();
    assert_eq!((team["assignment_mode"].clone(), team["assignment_capacity"].clone()), (json!("least_loaded"), json!(8)));
    let page = t.get(&format!("/teams/{}", d.team), &admin).await.text();
    assert!(page.contains("assigned automatically (least loaded)") && page.contains("up to 8 open per agent"), "{page}");

    // The API answers bad settings naming the field.
    let token = t.token_for(&d.admin).await;
    for (body, field) in [
        (json!({"assignment_mode": "fastest"}), "assignment_mode"),
        (json!({"assignment_capacity": 0}), "assignment_capacity"),
        (json!({"assignment_capacity": 1001}), "assignment_capacity"),
    ] {
        let r = t.patch_json(&format!("/api/v1/teams/{}", d.team), &token, &body).await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!(field)), "{body}: {}", r.text());
    }
    let r = t.patch_json(&format!("/api/v1/teams/{}", d.team), &token, &json!({"assignment_capacity": null})).await;
    assert_eq!(r.json()["assignment_capacity"], Value::Null, "null lifts the limit");
}
on_both_engines!(availability_control_and_team_settings_pages, top_bar_and_team_form);

/// An agent goes away while the team's tickets are being handed out: once
/// "away" is answered, no assignment to them is still in flight (the
/// count read right after it is final), and later passes skip them.
async fn away_during_assignment(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (team, agents) = team_with_agents(&t, &d, "Billing", json!({"assignment_mode": "round_robin"}), 2).await;
    let staff = t.token_for(&d.head).await;
    let leaving = t.token_for(&agents[0]).await;
    // Nobody available: the tickets wait, then one pass hands them out.
    for a in &agents {
        assert_eq!(set_availability(&t, &t.token_for(a).await, None, "off").await.status, 200);
    }
    let ids = open_in_parallel(&t, &d, team, 30).await;
    drain_jobs(&t).await;
    assert_eq!(spread(&t, &staff, &ids).await.get(&None), Some(&30));
    assert_eq!(set_availability(&t, &t.token_for(&agents[1]).await, None, "available").await.status, 200);
    assert_eq!(set_availability(&t, &leaving, None, "available").await.status, 200);
    // One read of what they hold, taken in a single statement.
    let holds = || async {
        let r = t.get(&format!("/api/v1/tickets?assignee_id={}&limit=100", agents[0].id), &staff).await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["data"].as_array().expect("data").len()
    };
    let (_, at_away) = tokio::join!(drain_jobs(&t), async {
        tokio::task::yield_now().await;
        assert_eq!(set_availability(&t, &leaving, None, "away").await.status, 200);
        holds().await
    });
    drain_jobs(&t).await;
    assert_eq!(holds().await, at_away, "nothing reached the agent after they went away");
    let end = spread(&t, &staff, &ids).await;
    assert_eq!(end.get(&None), None, "the other agent took the rest: {end:?}");
}
on_both_engines!(going_away_during_assignment_stops_new_work_at_once, away_during_assignment);
