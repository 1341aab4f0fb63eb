//! Bad input gets a 4xx with {"error": {code, message, field}} and writes nothing.

use axum::http::Method;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

async fn count_tickets(t: &TestApp, auth: &frontline_testkit::Auth) -> usize {
    t.get("/api/v1/tickets?limit=100", auth).await.json()["data"].as_array().map(Vec::len).unwrap_or(0)
}

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

    let r = t.raw(Method::POST, "/api/v1/tickets", &agent, "application/json", "{\"subject\": \"s\",").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "malformed_json");
    let r = t.raw(Method::POST, "/api/v1/tickets", &agent, "text/plain", "subject=s").await;
    assert_eq!(r.status, 415);
    assert_eq!(r.error_code(), "unsupported_media_type");
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

    // Nothing was written by any of it.
    assert_eq!(count_tickets(&t, &agent).await, before);
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"priority": "urgent", "assignee_id": 999_999})).await;
    assert_eq!(r.status, 422);
    let v = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &agent).await.json();
    assert_eq!(v["priority"], "normal", "a refused update changes nothing");
    let events = t.get(&format!("/api/v1/tickets/{}/events", d.ticket_a), &agent).await.json();
    assert!(!events.as_array().expect("events").iter().any(|e| e["field"] == "priority" && e["new_value"] == "urgent"));
    let r = t.post_json(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &agent, &json!({"kind": "shout", "body": "x"})).await;
    assert_eq!(r.json()["error"]["field"], "kind");
}
on_both_engines!(api_errors, refused_cleanly);
