//! Bad input gets a 4xx with {"error": {code, message, field}} and writes nothing.

use axum::http::Method;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

async fn count_tickets(t: &TestApp, auth: &frontline_testkit::Auth) -> usize {
    t.get("/api/v1/tickets?limit=100", auth).await.json()["data"].as_array().map(Vec::len).unwrap_or(0)
}

/// Each bad field of a new ticket is named in a 422, and nothing is written.
async fn refused_cleanly(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let before = count_tickets(&t, &agent).await;

    let cases: Vec<(&str, serde_json::Value, u16, &str, Option<&str>)> = vec![
        ("missing subject", json!({"body": "x", "requester_id": d.cust_member.id}), 422, "invalid_field", Some("subject")),
        (
            "unknown field",
            json!({"subject": "s", "body": "b", "requester_id": d.cust_member.id, "subjekt": "typo"}),
            422,
            "invalid_field",
            Some("subjekt"),
        ),
        ("wrong type", json!({"subject": "s", "body": "b", "requester_id": "seven"}), 422, "invalid_field", Some("requester_id")),
        ("blank subject", json!({"subject": "   ", "body": "b", "requester_id": d.cust_member.id}), 422, "invalid_field", Some("subject")),
        (
            "over-long subject",
            json!({"subject": "x".repeat(201), "body": "b", "requester_id": d.cust_member.id}),
            422,
            "invalid_field",
            Some("subject"),
        ),
        ("empty body", json!({"subject": "s", "body": "", "requester_id": d.cust_member.id}), 422, "invalid_field", Some("body")),
        (
            "invalid email",
            json!({"subject": "s", "body": "b", "requester_email": "not-an-email"}),
            422,
            "invalid_field",
            Some("requester_email"),
        ),
        ("unknown requester", json!({"subject": "s", "body": "b", "requester_id": 999_999}), 422, "invalid_field", Some("requester_id")),
        (
            "unknown assignee",
            json!({"subject": "s", "body": "b", "requester_id": d.cust_member.id, "assignee_id": 999_999}),
            422,
            "invalid_field",
            Some("assignee_id"),
        ),
        (
            "customer as assignee",
            json!({"subject": "s", "body": "b", "requester_id": d.cust_member.id, "assignee_id": d.cust_admin.id}),
            422,
            "invalid_field",
            Some("assignee_id"),
        ),
        (
            "unknown team",
            json!({"subject": "s", "body": "b", "requester_id": d.cust_member.id, "team_id": 999_999}),
            422,
            "invalid_field",
            Some("team_id"),
        ),
        (
            "bad priority",
            json!({"subject": "s", "body": "b", "requester_id": d.cust_member.id, "priority": "asap"}),
            422,
            "invalid_field",
            Some("priority"),
        ),
        ("bad tier", json!({"subject": "s", "body": "b", "requester_id": d.cust_member.id, "tier": 9}), 422, "invalid_field", Some("tier")),
        (
            "bad tag",
            json!({"subject": "s", "body": "b", "requester_id": d.cust_member.id, "tags": ["no spaces allowed"]}),
            422,
            "invalid_field",
            Some("tags"),
        ),
    ];
    for (name, body, status, code, field) in cases {
        let r = t.post_json("/api/v1/tickets", &agent, &body).await;
        assert_eq!(r.status.as_u16(), status, "{name}: {}", r.text());
        let e = r.json();
        assert_eq!(e["error"]["code"], code, "{name}: {e}");
        assert_eq!(e["error"]["field"].as_str(), field, "{name}: {e}");
        assert!(!e["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    assert_eq!(count_tickets(&t, &agent).await, before, "nothing was written");
}
on_both_engines!(api_errors, refused_cleanly);

/// A desk and the agent's API token.
async fn agent_api(db: TestDb) -> (TestApp, Desk, frontline_testkit::Auth) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    (t, d, agent)
}

/// A body that is not JSON, or not declared JSON.
async fn malformed_bodies(db: TestDb) {
    let (t, _d, agent) = agent_api(db).await;
    let r = t.raw(Method::POST, "/api/v1/tickets", &agent, "application/json", "{\"subject\": \"s\",").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "malformed_json");
    let r = t.raw(Method::POST, "/api/v1/tickets", &agent, "text/plain", "subject=s").await;
    assert_eq!(r.status, 415);
    assert_eq!(r.error_code(), "unsupported_media_type");
}
on_both_engines!(api_malformed_bodies, malformed_bodies);

/// Body size limits: the text's own, and the request's before it is read.
async fn body_size_limits(db: TestDb) {
    let (t, _d, agent) = agent_api(db).await;
    let before = count_tickets(&t, &agent).await;
    // Ticket creation takes files, so its bodies may be large; the text still has its limit...
    let long = format!("{{\"subject\": \"s\", \"body\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let r = t.raw(Method::POST, "/api/v1/tickets", &agent, "application/json", &long).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].as_str()), (422, Some("body")), "{}", r.text());
    // ...and a body beyond what files may need is refused before it is read.
    let huge = format!("{{\"subject\": \"s\", \"body\": \"{}\"}}", "x".repeat(40 * 1024 * 1024));
    let r = t.raw(Method::POST, "/api/v1/tickets", &agent, "application/json", &huge).await;
    assert_eq!(r.status, 413, "{}", r.text());
    // Routes without files keep the small limit.
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let r = t.raw(Method::POST, "/api/v1/teams", &agent, "application/json", &big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(count_tickets(&t, &agent).await, before);
}
on_both_engines!(api_body_limits, body_size_limits);

/// Unknown ids, bad ids, bad limits and unknown routes.
async fn bad_paths_and_queries(db: TestDb) {
    let (t, _d, agent) = agent_api(db).await;
    let r = t.get("/api/v1/tickets/999999", &agent).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "not_found");
    let r = t.get("/api/v1/tickets/abc", &agent).await;
    assert!(r.status.is_client_error());
    let r = t.get("/api/v1/tickets?limit=1000", &agent).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["field"], "limit");
    let r = t.get("/api/v1/nothing-here", &agent).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "not_found");
}
on_both_engines!(api_bad_paths, bad_paths_and_queries);

/// A refused update or reply changes nothing.
async fn refused_changes_write_nothing(db: TestDb) {
    let (t, d, agent) = agent_api(db).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"priority": "urgent", "assignee_id": 999_999})).await;
    assert_eq!(r.status, 422);
    let v = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &agent).await.json();
    assert_eq!(v["priority"], "normal", "a refused update changes nothing");
    let events = t.get(&format!("/api/v1/tickets/{}/events", d.ticket_a), &agent).await.json()["data"].clone();
    assert!(!events.as_array().expect("events").iter().any(|e| e["field"] == "priority" && e["new_value"] == "urgent"));
    let r = t.post_json(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &agent, &json!({"kind": "shout", "body": "x"})).await;
    assert_eq!(r.json()["error"]["field"], "kind");
}
on_both_engines!(api_refused_changes, refused_changes_write_nothing);

/// A JSON error naming `field`, for text holding a control character.
fn assert_refused(r: &frontline_testkit::TestResponse, field: &str, what: &str) {
    assert_eq!(r.status.as_u16(), 422, "{what}: {}", r.text());
    let e = r.json();
    assert_eq!(e["error"]["code"], "invalid_field", "{what}: {e}");
    assert_eq!(e["error"]["field"], field, "{what}: {e}");
    assert!(e["error"]["message"].as_str().unwrap_or("").contains("control characters"), "{what}: {e}");
}

async fn count(t: &TestApp, auth: &frontline_testkit::Auth, path: &str) -> usize {
    let v = t.get(path, auth).await.json();
    v.get("data").unwrap_or(&v).as_array().map(Vec::len).unwrap_or_else(|| panic!("{path}: {v}"))
}

/// A desk with the agent's and the admin's API tokens.
async fn control_desk(db: TestDb) -> (TestApp, Desk, frontline_testkit::Auth, frontline_testkit::Auth) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let admin = t.token_for(&d.admin).await;
    (t, d, agent, admin)
}

const NUL: &str = "Export\u{0} fails";

fn messages_path(d: &Desk) -> String {
    format!("/api/v1/tickets/{}/messages", d.ticket_a)
}

/// A new ticket through the API, with one tag.
fn ticket(d: &Desk, subject: &str, body: &str, tag: &str) -> serde_json::Value {
    json!({"subject": subject, "body": body, "requester_id": d.cust_member.id, "tags": [tag]})
}

/// How much of what refused input could write there is.
struct Written {
    tickets: usize,
    users: usize,
    orgs: usize,
    messages: usize,
}

async fn written(t: &TestApp, d: &Desk, agent: &frontline_testkit::Auth, admin: &frontline_testkit::Auth) -> Written {
    Written {
        tickets: count_tickets(t, agent).await,
        users: count(t, admin, "/api/v1/users").await,
        orgs: count(t, admin, "/api/v1/organizations").await,
        messages: count(t, agent, &messages_path(d)).await,
    }
}

/// Nothing of the refused input was written (but `extra_tickets` accepted ones).
async fn assert_nothing_written(
    t: &TestApp,
    d: &Desk,
    agent: &frontline_testkit::Auth,
    admin: &frontline_testkit::Auth,
    before: &Written,
    extra_tickets: usize,
) {
    assert_eq!(count_tickets(t, agent).await, before.tickets + extra_tickets);
    assert_eq!(count(t, admin, "/api/v1/users").await, before.users);
    assert_eq!(count(t, admin, "/api/v1/organizations").await, before.orgs);
    assert_eq!(count(t, agent, &messages_path(d)).await, before.messages);
    let v = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), agent).await.json();
    assert!(!v["subject"].as_str().unwrap_or_default().contains('\u{0}'), "{v}");
}

/// NUL and other control characters are refused alike on both engines
/// (PostgreSQL's text cannot hold NUL, SQLite's can), with the field named,
/// in JSON bodies. Nothing is written.
async fn control_characters(db: TestDb) {
    let (t, d, agent, admin) = control_desk(db).await;
    let nul = NUL;
    let messages_path = messages_path(&d);
    let before = written(&t, &d, &agent, &admin).await;
    let ticket = |subject: &str, body: &str, tag: &str| ticket(&d, subject, body, tag);
    let r = t.post_json("/api/v1/tickets", &agent, &ticket(nul, "body", "ok")).await;
    assert_refused(&r, "subject", "subject");
    let r = t.post_json("/api/v1/tickets", &agent, &ticket("Subject", "line\u{0}", "ok")).await;
    assert_refused(&r, "body", "body");
    let r = t.post_json("/api/v1/tickets", &agent, &ticket("Subject", "body", "billing\u{0}")).await;
    assert_refused(&r, "tags[0]", "tag");
    let r = t.post_json("/api/v1/tickets", &agent, &ticket("Escape \u{1b}[31m", "body", "ok")).await;
    assert_refused(&r, "subject", "an escape sequence");
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"subject": nul})).await;
    assert_refused(&r, "subject", "subject edit");
    let r = t.post_json(&messages_path, &agent, &json!({"kind": "public", "body": nul})).await;
    assert_refused(&r, "body", "reply");
    let user = |name: &str, email: &str, password: &str| json!({"name": name, "email": email, "role": "agent", "password": password});
    let r = t.post_json("/api/v1/users", &admin, &user(nul, "new.agent@acme.example", "long enough password")).await;
    assert_refused(&r, "name", "user name");
    let r = t.post_json("/api/v1/users", &admin, &user("New Agent", "new\u{0}@acme.example", "long enough password")).await;
    assert_refused(&r, "email", "user email");
    let r = t.post_json("/api/v1/users", &admin, &user("New Agent", "new.agent@acme.example", "long enough\u{0}password")).await;
    assert_refused(&r, "password", "password");
    let r = t.post_json("/api/v1/organizations", &admin, &json!({"name": nul, "domains": ["nul.example"]})).await;
    assert_refused(&r, "name", "organization name");
    let r = t.post_json("/api/v1/organizations", &admin, &json!({"name": "Nul Inc", "notes": "a\u{0}b"})).await;
    assert_refused(&r, "notes", "organization notes");

    assert_nothing_written(&t, &d, &agent, &admin, &before, 0).await;
}
on_both_engines!(control_characters_refused, control_characters);

/// Control characters in query strings and path segments: 422 naming the parameter.
async fn control_characters_in_queries(db: TestDb) {
    let (t, _d, agent, admin) = control_desk(db).await;
    for (path, field) in [
        ("/api/v1/search?q=export%00", "q"),
        ("/api/v1/tickets?tag=billing%00", "tag"),
        ("/api/v1/tickets?status=open%00", "status"),
        ("/api/v1/users?q=dana%00", "q"),
        ("/api/v1/organizations?q=north%00", "q"),
    ] {
        assert_refused(&t.get(path, &agent).await, field, path);
    }
    let r = t.json(Method::PUT, "/api/v1/mail/notifications/ticket_created%00", &admin, &json!({"enabled": false})).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "kind");
    let r = t.get("/api/v1/queues/mine%00", &agent).await;
    assert_eq!(r.status, 422, "{}", r.text());
}
on_both_engines!(control_characters_query, control_characters_in_queries);

/// The sign-in form comes back with the message next to the field and what was typed.
async fn control_characters_in_sign_in(db: TestDb) {
    let (t, d, _agent, _admin) = control_desk(db).await;
    let r = t
        .post_form("/login", &frontline_testkit::Auth::None, &[("email", "dana\u{0}@northwind.example"), ("password", "whatever it is")])
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("email must not contain control characters"), "{}", r.text());
    let r = t
        .post_form("/login", &frontline_testkit::Auth::None, &[("email", d.agent.email.as_str()), ("password", "correct\u{0}horse")])
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("password must not contain control characters"), "{}", r.text());
    assert!(r.text().contains(&d.agent.email), "the typed email is kept");
}
on_both_engines!(control_characters_sign_in, control_characters_in_sign_in);

/// Forms: the page comes back with the message next to the field and what was typed.
async fn control_characters_in_forms(db: TestDb) {
    let (t, d, agent, admin) = control_desk(db).await;
    let nul = NUL;
    let before = written(&t, &d, &agent, &admin).await;
    let cookie = t.login(&d.agent.email).await;
    let r = t
        .post_form(
            "/tickets",
            &cookie,
            &[
                ("requester_email", d.cust_member.email.as_str()),
                ("subject", nul),
                ("body", "Keep what I typed"),
                ("priority", "normal"),
                ("ticket_type", "question"),
                ("tier", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("subject must not contain control characters") && r.text().contains("Keep what I typed"), "{}", r.text());
    let r = t.post_form(&format!("/tickets/{}/reply", d.ticket_a), &cookie, &[("body", nul), ("kind", "public")]).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("body must not contain control characters"), "{}", r.text());
    let r = t.get("/search?q=export%00", &cookie).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("q must not contain control characters"), "{}", r.text());
    let admin_cookie = t.login(&d.admin.email).await;
    let r = t.post_form("/organizations", &admin_cookie, &[("name", nul), ("domains", "nul.example")]).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("name must not contain control characters") && r.text().contains("nul.example"), "{}", r.text());
    let r = t.post_form("/users", &admin_cookie, &[("email", "new.agent@acme.example"), ("name", nul), ("role", "agent")]).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("name must not contain control characters"), "{}", r.text());
    let customer = t.login(&d.cust_member.email).await;
    let r = t.post_form("/portal/tickets", &customer, &[("subject", "Portal"), ("body", nul)]).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("body must not contain control characters"), "{}", r.text());

    assert_nothing_written(&t, &d, &agent, &admin, &before, 0).await;
}
on_both_engines!(control_characters_forms, control_characters_in_forms);

/// Tabs and line breaks are text.
async fn tabs_and_line_breaks_are_text(db: TestDb) {
    let (t, d, agent, admin) = control_desk(db).await;
    let before = written(&t, &d, &agent, &admin).await;
    let r = t.post_json("/api/v1/tickets", &agent, &ticket(&d, "Tab\there", "line one\r\nline two", "ok")).await;
    assert_eq!(r.status, 201, "{}", r.text());

    assert_nothing_written(&t, &d, &agent, &admin, &before, 1).await;
}
on_both_engines!(control_characters_tabs, tabs_and_line_breaks_are_text);
