//! The REST API end to end: tickets, conversation, history, queues,
//! search, directory, tokens.

use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

// The life of one ticket, in steps that each get their own test, so the
// first failure does not hide the rest. Helpers take the ticket to a step.

/// An agent opens a ticket for a customer who does not exist yet.
async fn open_for_new_customer(t: &TestApp, d: &Desk, agent: &Auth) -> serde_json::Value {
    let r = t
        .post_json(
            "/api/v1/tickets",
            agent,
            &json!({"subject": "CSV import rejects UTF-8 BOM", "body": "Upload fails on row 1.", "requester_email": "Lena@Northwind.example",
                    "requester_name": "Lena Park", "priority": "high", "type": "incident", "tags": ["import", "CSV"], "team_id": d.team}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// Escalate to tier 2 (the only way the tier moves), then assign and change tags.
async fn assign_and_escalate(t: &TestApp, d: &Desk, agent: &Auth, id: i64) -> serde_json::Value {
    let r = t.post_json(&format!("/api/v1/tickets/{id}/escalations"), agent, &json!({"reason": "Parser bug, tier 2 knows it"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = t.patch_json(&format!("/api/v1/tickets/{id}"), agent, &json!({"assignee_id": d.agent.id, "tags": ["import"]})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Reply and set pending in one step; then an internal note.
async fn reply_pending_then_note(t: &TestApp, agent: &Auth, id: i64) {
    let r = t
        .post_json(&format!("/api/v1/tickets/{id}/messages"), agent, &json!({"body": "Please re-export without BOM.", "status": "pending"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["kind"], "public");
    let r = t
        .post_json(&format!("/api/v1/tickets/{id}/messages"), agent, &json!({"kind": "internal", "body": "Known parser issue, see ENG-42"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
}

/// The customer (created with the ticket) answers through the API.
async fn customer_answers(t: &TestApp, id: i64) {
    let lena = t.app.user_by_email("lena@northwind.example").await.expect("query").expect("lena exists");
    t.app.set_password(&frontline_app::directory::system_actor(), lena.id, "correct horse battery").await.expect("password");
    let lena_auth = t.token_for(&lena).await;
    let r = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &lena_auth, &json!({"body": "Re-exported, works now. Thanks!"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
}

async fn creating_for_a_new_customer(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    // The customer is created and joins the organization that owns their domain.
    let created = open_for_new_customer(&t, &d, &agent).await;
    assert_eq!(created["status"], "new");
    assert_eq!(created["priority"], "high");
    assert_eq!(created["type"], "incident");
    assert_eq!(created["tier"], 1);
    assert_eq!(created["tags"], json!(["csv", "import"]));
    assert_eq!(created["requester"]["email"], "lena@northwind.example");
    assert_eq!(created["organization_id"], d.org_a);
    assert_eq!(created["team_name"], "Integrations");
}
on_both_engines!(lifecycle_create, creating_for_a_new_customer);

async fn assigning_opens_and_escalating_moves_tier(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let id = open_for_new_customer(&t, &d, &agent).await["id"].as_i64().expect("id");
    let v = assign_and_escalate(&t, &d, &agent, id).await;
    assert_eq!(v["assignee"]["id"], d.agent.id);
    assert_eq!(v["status"], "open", "assigning a new ticket opens it");
    assert_eq!(v["tier"], 2);
    assert_eq!(v["escalation_level"], 1);
}
on_both_engines!(lifecycle_assign, assigning_opens_and_escalating_moves_tier);

async fn replies_set_status_and_customers_reopen(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let id = open_for_new_customer(&t, &d, &agent).await["id"].as_i64().expect("id");
    reply_pending_then_note(&t, &agent, id).await;
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json()["status"], "pending", "the note leaves the reply's status");
    // The customer answers: the ticket needs the team again.
    customer_answers(&t, id).await;
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json()["status"], "open");
}
on_both_engines!(lifecycle_replies, replies_set_status_and_customers_reopen);

async fn solving_records_the_time_and_closed_is_final(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let id = open_for_new_customer(&t, &d, &agent).await["id"].as_i64().expect("id");
    let v = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "solved"})).await.json();
    assert_eq!(v["status"], "solved");
    assert!(v["solved_at"].is_string());
    let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "closed"})).await;
    assert_eq!(r.status, 200);
    let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "open"})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["field"], "status");
}
on_both_engines!(lifecycle_solve, solving_records_the_time_and_closed_is_final);

async fn closing_from_open_records_the_solved_time(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let v = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_b), &agent, &json!({"status": "closed"})).await.json();
    assert!(v["solved_at"].is_string(), "{v}");
}
on_both_engines!(lifecycle_close_from_open, closing_from_open_records_the_solved_time);

async fn conversation_and_history_record_every_step(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let id = open_for_new_customer(&t, &d, &agent).await["id"].as_i64().expect("id");
    assign_and_escalate(&t, &d, &agent, id).await;
    reply_pending_then_note(&t, &agent, id).await;
    customer_answers(&t, id).await;
    for status in ["solved", "closed"] {
        let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": status})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }

    // Conversation, oldest first, with both kinds for agents.
    let msgs = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    let kinds: Vec<&str> = msgs.as_array().expect("list").iter().map(|m| m["kind"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds, vec!["public", "internal", "public", "internal", "public"], "the escalation's reason is a note");

    // History: every change with who, old and new value.
    let events = t.get(&format!("/api/v1/tickets/{id}/events"), &agent).await.json()["data"].clone();
    let events = events.as_array().expect("events");
    let find = |field: &str, new: &str| events.iter().any(|e| e["field"] == field && e["new_value"] == new);
    assert!(find("created", "new"));
    assert!(find("assignee", &d.agent.id.to_string()));
    assert!(find("tier", "2"));
    assert!(find("status", "pending") && find("status", "open") && find("status", "solved") && find("status", "closed"));
    let tier_change = events.iter().find(|e| e["field"] == "tier" && e["new_value"] == "2").expect("tier event");
    assert_eq!(tier_change["old_value"], "1");
    assert_eq!(tier_change["actor"]["id"], d.agent.id);
}
on_both_engines!(lifecycle_history, conversation_and_history_record_every_step);

async fn lost_updates_are_refused(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let v = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &agent).await.json();
    let seen = v["updated_at"].as_str().expect("updated_at").to_string();
    let r =
        t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"priority": "urgent", "expected_updated_at": seen})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A second client still holding the old version must not overwrite it.
    let r =
        t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"priority": "low", "expected_updated_at": seen})).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.error_code(), "conflict");
    assert_eq!(t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &agent).await.json()["priority"], "urgent");
}
on_both_engines!(conflicts, lost_updates_are_refused);

async fn lists_filter_and_paginate(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    for i in 0..7 {
        let r = t
            .post_json(
                "/api/v1/tickets",
                &agent,
                &json!({"subject": format!("Rate limit 429 number {i}"), "body": "Too many requests", "requester_id": d.cust_member.id,
                        "priority": if i % 2 == 0 { "urgent" } else { "low" }, "tags": ["ratelimit"]}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    // Cursor pagination walks every ticket exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?limit=3&cursor={c}"),
            None => "/api/v1/tickets?limit=3".to_string(),
        };
        let page = t.get(&path, &agent).await.json();
        seen.extend(page["data"].as_array().expect("data").iter().map(|t| t["id"].as_i64().unwrap_or(0)));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first, no duplicates");

    let urgent = t.get("/api/v1/tickets?priority=urgent&tag=ratelimit", &agent).await.json();
    assert_eq!(urgent["data"].as_array().map(Vec::len), Some(4));
    let mine = t.get(&format!("/api/v1/tickets?requester_id={}&status=new,open", d.cust_member.id), &agent).await.json();
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(8));
    let bad = t.get("/api/v1/tickets?status=done", &agent).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["error"]["field"], "status");
}
on_both_engines!(lists, lists_filter_and_paginate);

async fn queues_count_and_sort(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let counts = |v: serde_json::Value| -> std::collections::HashMap<String, i64> {
        v.as_array()
            .expect("counts")
            .iter()
            .map(|c| (c["view"].as_str().unwrap_or("").to_string(), c["count"].as_i64().unwrap_or(-1)))
            .collect()
    };
    let before = counts(t.get("/api/v1/queues", &agent).await.json());
    assert_eq!(before["open"], 2);
    assert_eq!(before["tier"], 2, "both fixture tickets are tier 1 and unassigned; an agent without a position works tier 1");
    assert_eq!(before["mine"], 0);

    t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"assignee_id": d.agent.id, "priority": "urgent"})).await;
    t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_b), &agent, &json!({"status": "solved"})).await;
    let after = counts(t.get("/api/v1/queues", &agent).await.json());
    assert_eq!(after["mine"], 1);
    assert_eq!(after["tier"], 0);
    assert_eq!(after["open"], 1);
    assert_eq!(after["solved"], 1);

    let mine = t.get("/api/v1/queues/mine", &agent).await.json();
    assert_eq!(mine["data"][0]["id"], d.ticket_a);
    let solved = t.get("/api/v1/queues/solved", &agent).await.json();
    assert_eq!(solved["data"][0]["id"], d.ticket_b);
    let bad = t.get("/api/v1/queues/everything", &agent).await;
    assert_eq!(bad.status, 422);
    let bad = t.get("/api/v1/queues/open?sort=-name", &agent).await;
    assert_eq!(bad.json()["error"]["field"], "sort");
}
on_both_engines!(queues, queues_count_and_sort);

async fn search_finds_subjects_messages_and_numbers(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    t.post_json(&format!("/api/v1/tickets/{}/messages", d.ticket_b), &agent, &json!({"body": "The IdP certificate rotated on Friday."}))
        .await;
    let ids =
        |v: serde_json::Value| -> Vec<i64> { v["data"].as_array().expect("data").iter().map(|t| t["id"].as_i64().unwrap_or(0)).collect() };
    assert_eq!(ids(t.get("/api/v1/search?q=webhook", &agent).await.json()), vec![d.ticket_a]);
    assert_eq!(ids(t.get("/api/v1/search?q=webho", &agent).await.json()), vec![d.ticket_a], "the last word matches as a prefix");
    assert_eq!(ids(t.get("/api/v1/search?q=Signatures%20WEBHOOK", &agent).await.json()), vec![d.ticket_a], "words in any order and case");
    assert_eq!(ids(t.get("/api/v1/search?q=certificate%20rotated", &agent).await.json()), vec![d.ticket_b]);
    assert_eq!(ids(t.get(&format!("/api/v1/search?q=%23{}", d.ticket_b), &agent).await.json())[0], d.ticket_b);
    assert!(ids(t.get("/api/v1/search?q=kubernetes", &agent).await.json()).is_empty());
    // Operators in the input are text, not syntax.
    let r = t.get("/api/v1/search?q=%22webhook%20OR%20(", &agent).await;
    assert_eq!(r.status, 200, "{}", r.text());
}
on_both_engines!(search, search_finds_subjects_messages_and_numbers);

async fn organizations_own_their_domains(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;

    let r = t
        .post_json(
            "/api/v1/organizations",
            &admin,
            &json!({"name": "Initech", "domains": ["initech.test", "@Initech.io"], "notes": "EU region"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let org = r.json();
    assert_eq!(org["domains"], json!(["initech.io", "initech.test"]));
    let org_id = org["id"].as_i64().expect("id");
    let r = t.post_json("/api/v1/organizations", &admin, &json!({"name": "Other", "domains": ["initech.test"]})).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"]["field"], "domains");

    // A customer created with a domain email joins that organization.
    let r = t.post_json("/api/v1/users", &admin, &json!({"email": "peter@initech.test", "name": "Peter", "role": "customer_admin"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["organization_id"], org_id);
    let r =
        t.post_json("/api/v1/users", &admin, &json!({"email": "PETER@initech.test", "name": "Peter 2", "role": "customer_member"})).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"]["field"], "email");
}
on_both_engines!(directory_orgs, organizations_own_their_domains);

/// The "Senior Support Specialist" position, renamed "Senior Support Engineer".
async fn rename_senior(t: &TestApp, admin: &Auth) -> serde_json::Value {
    let positions = t.get("/api/v1/positions", admin).await.json();
    let senior = positions.as_array().expect("list").iter().find(|p| p["name"] == "Senior Support Specialist").expect("senior").clone();
    let r = t.patch_json(&format!("/api/v1/positions/{}", senior["id"]), admin, &json!({"name": "Senior Support Engineer"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

async fn positions_rename_and_keep_tiers(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let positions = t.get("/api/v1/positions", &admin).await.json();
    let names: Vec<&str> = positions.as_array().expect("list").iter().map(|p| p["name"].as_str().unwrap_or("")).collect();
    assert_eq!(names.len(), 7);
    assert_eq!(names[0], "Support Coordinator");
    assert_eq!(names[6], "Head of Support");
    assert_eq!(rename_senior(&t, &admin).await["tier"], 2);
    let r = t
        .post_json("/api/v1/positions", &admin, &json!({"name": "Principal Support Engineer", "level": "IC4", "rank": 5, "tier": 4}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["field"], "tier");
}
on_both_engines!(directory_positions, positions_rename_and_keep_tiers);

async fn teams_and_reporting_lines(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let senior = rename_senior(&t, &admin).await;
    let r = t.post_json("/api/v1/teams", &admin, &json!({"name": "Billing"})).await;
    assert_eq!(r.status, 201);
    let team = r.json()["id"].as_i64().expect("id");
    // Staff get the tier of their position.
    let r = t
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({"email": "sam@vendor.example", "name": "Sam", "role": "agent", "position_id": senior["id"], "team_id": team, "reports_to": d.head.id, "password": "long enough pw"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let sam = r.json();
    assert_eq!(sam["tier"], 2);
    assert_eq!(sam["position_name"], "Senior Support Engineer");
    // No reporting loops: Sam reports to the Head, so the Head cannot report to Sam.
    let r = t.patch_json(&format!("/api/v1/users/{}", d.head.id), &admin, &json!({"reports_to": sam["id"]})).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "reports_to");
}
on_both_engines!(directory_teams, teams_and_reporting_lines);

async fn tokens_are_shown_once_and_revocable(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let r = t.post_json("/api/v1/tokens", &admin, &json!({"name": "sync job"})).await;
    assert_eq!(r.status, 201);
    let secret = r.json()["token"].as_str().expect("token").to_string();
    let id = r.json()["id"].as_i64().expect("id");
    let me = t.get("/api/v1/me", &Auth::Token(secret.clone())).await.json();
    assert_eq!(me["email"], "admin@vendor.example");
    let listed = t.get("/api/v1/tokens", &admin).await.text();
    assert!(!listed.contains(&secret), "the secret is never listed");
    assert_eq!(t.json(axum::http::Method::DELETE, &format!("/api/v1/tokens/{id}"), &admin, &serde_json::Value::Null).await.status, 204);
    let r = t.get("/api/v1/me", &Auth::Token(secret)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), "invalid_token");
}
on_both_engines!(directory_tokens, tokens_are_shown_once_and_revocable);

async fn deactivated_users_lose_api_access(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let member = t.token_for(&d.cust_member).await;
    let r = t.patch_json(&format!("/api/v1/users/{}", d.cust_member.id), &admin, &json!({"active": false})).await;
    assert_eq!(r.status, 200);
    assert_eq!(t.get("/api/v1/me", &member).await.status, 401);
}
on_both_engines!(directory_deactivate, deactivated_users_lose_api_access);

async fn admin_actions_are_audited(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let org = t.post_json("/api/v1/organizations", &admin, &json!({"name": "Initech", "domains": ["initech.test"]})).await;
    assert_eq!(org.status, 201, "{}", org.text());
    let r = t.post_json("/api/v1/users", &admin, &json!({"email": "peter@initech.test", "name": "Peter", "role": "customer_admin"})).await;
    let peter = r.json()["id"].as_i64().expect("id");
    rename_senior(&t, &admin).await;
    assert_eq!(t.post_json("/api/v1/teams", &admin, &json!({"name": "Billing"})).await.status, 201);
    let token = t.post_json("/api/v1/tokens", &admin, &json!({"name": "sync job"})).await.json()["id"].as_i64().expect("id");
    assert_eq!(t.json(axum::http::Method::DELETE, &format!("/api/v1/tokens/{token}"), &admin, &serde_json::Value::Null).await.status, 204);
    assert_eq!(t.patch_json(&format!("/api/v1/users/{peter}"), &admin, &json!({"name": "Peter G."})).await.status, 200);
    let audit = t.get("/api/v1/audit", &admin).await.text();
    for action in ["organization.create", "user.create", "position.update", "team.create", "api_token.revoke", "user.update"] {
        assert!(audit.contains(action), "{action} missing from audit log");
    }
}
on_both_engines!(directory_audit, admin_actions_are_audited);

async fn openapi_describes_the_api(db: TestDb) {
    let t = TestApp::new(db).await;
    let r = t.get("/api/v1/openapi.json", &Auth::None).await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    for path in [
        "/api/v1/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/{id}/messages",
        "/api/v1/users",
        "/api/v1/organizations",
        "/api/v1/teams",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} not documented");
    }
    assert!(doc["components"]["schemas"]["TicketDto"].is_object());
    let page = t.get("/api/docs", &Auth::None).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("/api/v1/tickets/{id}/messages") && html.contains("CreateTicketRequest"));
    assert_eq!(t.get("/healthz", &Auth::None).await.status, 200);
    assert_eq!(t.get("/readyz", &Auth::None).await.text(), "ready");
}
on_both_engines!(openapi, openapi_describes_the_api);
