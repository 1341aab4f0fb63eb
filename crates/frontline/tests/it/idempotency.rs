//! Idempotency-Key on API writes: a retry returns the first answer and
//! never writes twice, even when the first answer was lost after commit.

use axum::body::Body;
use axum::http::{Method, Request, header};
use frontline_testkit::{Auth, TestApp, TestDb, TestResponse, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

async fn keyed(t: &TestApp, method: Method, path: &str, auth: &Auth, key: &[u8], body: &Value) -> TestResponse {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "frontline.test")
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", axum::http::HeaderValue::from_bytes(key).expect("header value"));
    match auth {
        Auth::Token(tok) => b = b.header(header::AUTHORIZATION, format!("Bearer {tok}")),
        // The browser's own fetch, as the CSRF check wants it.
        Auth::Cookie(c) => b = b.header(header::COOKIE, c).header("sec-fetch-site", "same-origin"),
        Auth::None => {}
    }
    t.send(b.body(Body::from(body.to_string())).expect("request")).await
}

/// Tickets whose subject is exactly `subject`, as the API lists them.
async fn tickets_with_subject(t: &TestApp, auth: &Auth, subject: &str) -> Vec<i64> {
    let r = t.get("/api/v1/tickets?limit=100", auth).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"].as_array().expect("data").iter().filter(|t| t["subject"] == subject).map(|t| t["id"].as_i64().expect("id")).collect()
}

fn token(a: &Auth) -> String {
    match a {
        Auth::Token(t) => t.clone(),
        _ => panic!("not a token"),
    }
}

async fn replays_and_refuses_reuse(db: TestDb) {
    let t = TestApp::new(db).await;
    let desk = Desk::new(&t).await;
    let agent = t.token_for(&desk.agent).await;
    let body = json!({"subject": "Export stalls", "body": "The nightly export stops at 80%.", "requester_id": desk.cust_member.id});

    let first = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"create-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"create-1", &body).await;
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.json(), first.json(), "the replay is the first answer");
    assert_eq!(again.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(tickets_with_subject(&t, &agent, "Export stalls").await, vec![first.json()["id"].as_i64().unwrap()], "one ticket");

    // The same key for another request is refused, naming the header.
    let other = json!({"subject": "Export stalls again", "body": "x", "requester_id": desk.cust_member.id});
    let r = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"create-1", &other).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.error_code(), "idempotency_key_reused");
    assert_eq!(r.json()["error"]["field"], "Idempotency-Key");
    assert!(tickets_with_subject(&t, &agent, "Export stalls again").await.is_empty());

    // Replies: the same message, posted once.
    let ticket = first.json()["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{ticket}/messages");
    let reply = json!({"body": "We are looking at it."});
    let m1 = keyed(&t, Method::POST, &path, &agent, b"reply-1", &reply).await;
    assert_eq!(m1.status, 201, "{}", m1.text());
    let m2 = keyed(&t, Method::POST, &path, &agent, b"reply-1", &reply).await;
    assert_eq!((m2.status.as_u16(), m2.json()), (201, m1.json()));
    let messages = t.get(&path, &agent).await.json();
    assert_eq!(messages.as_array().unwrap().iter().filter(|m| m["body"] == "We are looking at it.").count(), 1);

    // Changes: the same answer, one history event.
    let path = format!("/api/v1/tickets/{ticket}");
    let patch = json!({"priority": "high"});
    let p1 = keyed(&t, Method::PATCH, &path, &agent, b"patch-1", &patch).await;
    assert_eq!(p1.status, 200, "{}", p1.text());
    let p2 = keyed(&t, Method::PATCH, &path, &agent, b"patch-1", &patch).await;
    assert_eq!((p2.status.as_u16(), p2.json()), (200, p1.json()));
    let r = keyed(&t, Method::PATCH, &path, &agent, b"patch-1", &json!({"priority": "low"})).await;
    assert_eq!(r.error_code(), "idempotency_key_reused");
    let events = t.get(&format!("/api/v1/tickets/{ticket}/events"), &agent).await.json()["data"].clone();
    assert_eq!(events.as_array().unwrap().iter().filter(|e| e["field"] == "priority").count(), 1);

    // A refused request's answer is kept too: its retry is refused the same way, writing nothing.
    let bad = json!({"subject": "", "body": "x", "requester_id": desk.cust_member.id});
    let b1 = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"bad-1", &bad).await;
    assert_eq!(b1.status, 422);
    let b2 = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"bad-1", &bad).await;
    assert_eq!((b2.status.as_u16(), b2.json()), (422, b1.json()));
}
on_both_engines!(replay, replays_and_refuses_reuse);

async fn header_is_checked(db: TestDb) {
    let t = TestApp::new(db).await;
    let desk = Desk::new(&t).await;
    let agent = t.token_for(&desk.agent).await;
    let body = json!({"subject": "Bad keys", "body": "x", "requester_id": desk.cust_member.id});
    let long = vec![b'k'; 256];
    for key in [&b""[..], &long[..], "clé".as_bytes(), b"   "] {
        let r = keyed(&t, Method::POST, "/api/v1/tickets", &agent, key, &body).await;
        assert_eq!(r.status, 400, "{key:?}: {}", r.text());
        assert_eq!(r.error_code(), "invalid_header");
        assert_eq!(r.json()["error"]["field"], "Idempotency-Key");
    }
    assert!(tickets_with_subject(&t, &agent, "Bad keys").await.is_empty());
    let max = vec![b'k'; 255];
    assert_eq!(keyed(&t, Method::POST, "/api/v1/tickets", &agent, &max, &body).await.status, 201);

    // Without a valid caller, the usual 401 and nothing kept.
    let r = keyed(&t, Method::POST, "/api/v1/tickets", &Auth::Token("fl_nope".into()), b"k1", &body).await;
    assert_eq!(r.status, 401);

    // The OpenAPI document describes the header on writes, not reads.
    let doc = serde_json::to_value(frontline_web::openapi()).expect("openapi");
    let names = |op: &Value| -> Vec<String> {
        op["parameters"].as_array().map(|a| a.iter().map(|p| p["name"].as_str().unwrap_or("").to_string()).collect()).unwrap_or_default()
    };
    for (path, method) in [("/api/v1/tickets", "post"), ("/api/v1/tickets/{id}", "patch"), ("/api/v1/tickets/{id}/messages", "post")] {
        let op = &doc["paths"][path][method];
        assert!(names(op).contains(&"Idempotency-Key".to_string()), "{method} {path}");
        assert!(op["responses"]["409"].is_object() && op["responses"]["422"].is_object(), "{method} {path}");
    }
    assert!(!names(&doc["paths"]["/api/v1/tickets"]["get"]).contains(&"Idempotency-Key".to_string()));
    let page = t.get("/api/docs", &Auth::None).await;
    assert!(page.text().contains("Idempotency-Key"), "the API reference page explains the header");
}
on_both_engines!(key_header, header_is_checked);

async fn concurrent_retries_create_one_ticket(db: TestDb) {
    let t = TestApp::new(db).await;
    let desk = Desk::new(&t).await;
    let agent = t.token_for(&desk.agent).await;
    let body = json!({"subject": "Storm of retries", "body": "x", "requester_id": desk.cust_member.id});
    let answers = futures::future::join_all((0..8).map(|_| keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"storm", &body))).await;
    let created = tickets_with_subject(&t, &agent, "Storm of retries").await;
    assert_eq!(created.len(), 1, "exactly one ticket");
    for a in &answers {
        match a.status.as_u16() {
            201 => assert_eq!(a.json()["id"].as_i64(), Some(created[0])),
            409 => assert_eq!(a.error_code(), "idempotency_key_in_progress"),
            other => panic!("unexpected {other}: {}", a.text()),
        }
    }
    assert!(answers.iter().any(|a| a.status == 201));
}
on_both_engines!(concurrent, concurrent_retries_create_one_ticket);

async fn keys_are_per_token(db: TestDb) {
    let t = TestApp::new(db).await;
    let desk = Desk::new(&t).await;
    // Two clients, even of the same user, never share keys.
    let a = t.token_for(&desk.agent).await;
    let b = t.token_for(&desk.agent).await;
    let ra = keyed(
        &t,
        Method::POST,
        "/api/v1/tickets",
        &a,
        b"shared",
        &json!({"subject": "From A", "body": "x", "requester_id": desk.cust_member.id}),
    )
    .await;
    let rb = keyed(
        &t,
        Method::POST,
        "/api/v1/tickets",
        &b,
        b"shared",
        &json!({"subject": "From B", "body": "x", "requester_id": desk.cust_member.id}),
    )
    .await;
    assert_eq!((ra.status.as_u16(), rb.status.as_u16()), (201, 201), "{} {}", ra.text(), rb.text());
    assert_ne!(ra.json()["id"], rb.json()["id"]);

    // Signed-in users (the web app calling the API) have keys of their own too.
    let agent = t.login("agent@vendor.example").await;
    let manager = t.login("manager@vendor.example").await;
    let body = |s: &str| json!({"subject": s, "body": "x", "requester_id": desk.cust_member.id});
    let ra = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"shared", &body("Agent's")).await;
    let rm = keyed(&t, Method::POST, "/api/v1/tickets", &manager, b"shared", &body("Manager's")).await;
    assert_eq!((ra.status.as_u16(), rm.status.as_u16()), (201, 201), "{} {}", ra.text(), rm.text());
    // The same user's second session shares them: the key is the user's.
    let again = t.login("agent@vendor.example").await;
    let r = keyed(&t, Method::POST, "/api/v1/tickets", &again, b"shared", &body("Agent's")).await;
    assert_eq!((r.status.as_u16(), r.json()), (201, ra.json()));
}
on_both_engines!(per_token, keys_are_per_token);

async fn secrets_are_not_stored(db: TestDb) {
    let t = TestApp::new(db).await;
    let desk = Desk::new(&t).await;
    let agent = t.token_for(&desk.agent).await;
    let r = keyed(&t, Method::POST, "/api/v1/tokens", &agent, b"new-token", &json!({"name": "ci"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let secret = r.json()["token"].as_str().expect("secret").to_string();
    // Not kept to replay (the table would hold it readable): a retry makes another token.
    let again = keyed(&t, Method::POST, "/api/v1/tokens", &agent, b"new-token", &json!({"name": "ci"})).await;
    assert_eq!(again.status, 201);
    assert!(again.headers.get("idempotent-replayed").is_none());
    assert_ne!(again.json()["token"].as_str(), Some(secret.as_str()));
}
on_both_engines!(secrets, secrets_are_not_stored);

/// Make every stored key look `hours` old.
async fn age_keys(db: &TestDb, hours: i64) {
    let at = chrono::Utc::now() - chrono::Duration::hours(hours);
    match db.engine {
        frontline_testkit::Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
            sqlx::query("UPDATE idempotency_keys SET created_at = $1").bind(at).execute(&pool).await.expect("age");
            pool.close().await;
        }
        frontline_testkit::Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
            sqlx::query("UPDATE idempotency_keys SET created_at = $1").bind(at).execute(&pool).await.expect("age");
            pool.close().await;
        }
    }
}

async fn old_keys_are_purged(db: TestDb) {
    let t = TestApp::new(db).await;
    let desk = Desk::new(&t).await;
    let agent = t.token_for(&desk.agent).await;
    let first = json!({"subject": "Old key", "body": "x", "requester_id": desk.cust_member.id});
    assert_eq!(keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"old", &first).await.status, 201);

    // 23 hours on, the key still holds.
    age_keys(&t.db, 23).await;
    t.store().enqueue(&frontline_app::jobs::PurgeExpired {}).await.expect("enqueue");
    assert_eq!(t.app.run_due_jobs().await.expect("housekeeping"), 1);
    let second = json!({"subject": "New use of an old key", "body": "x", "requester_id": desk.cust_member.id});
    assert_eq!(keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"old", &second).await.status, 422);

    // Past 24 hours the housekeeping forgets it: the key is free again.
    age_keys(&t.db, 25).await;
    t.store().enqueue(&frontline_app::jobs::PurgeExpired {}).await.expect("enqueue");
    assert_eq!(t.app.run_due_jobs().await.expect("housekeeping"), 1);
    let r = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"old", &second).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(tickets_with_subject(&t, &agent, "New use of an old key").await.len(), 1);
}
on_both_engines!(purge, old_keys_are_purged);

async fn committed_write_is_not_repeated(db: TestDb) {
    let t = TestApp::new(db).await;
    let desk = Desk::new(&t).await;
    let agent = t.token_for(&desk.agent).await;
    let store = t.store();
    let body = json!({"subject": "Crash window", "body": "Committed, never answered.", "requester_id": desk.cust_member.id});
    let scope = frontline_web::idempotency::token_scope(&token(&agent));
    let fp = |method: &Method, path: &str, body: &Value| frontline_web::idempotency::fingerprint(method, path, body.to_string().as_bytes());

    // A first attempt claims the key and commits the ticket, then its
    // process dies before the answer is stored.
    let owner = store.idempotency_owner().await.expect("owner");
    let begin = store.begin_idempotent(&owner, &scope, "crash-1", &fp(&Method::POST, "/api/v1/tickets", &body)).await.expect("begin");
    let frontline_store::idempotency::Begin::Run(mark) = begin else { panic!("fresh key must be ours: {begin:?}") };
    let input = frontline_app::tickets::NewTicketInput {
        subject: "Crash window".into(),
        body: "Committed, never answered.".into(),
        requester_id: Some(desk.cust_member.id),
        ..Default::default()
    };
    let committed =
        t.app.create_ticket_keyed(&desk.agent.actor(), &input, frontline_domain::ticket::Channel::Api, Some(mark)).await.expect("create");
    drop(owner);

    // The retry gets that ticket, and no second one is written.
    let r = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"crash-1", &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["id"].as_i64(), Some(committed.id));
    assert_eq!(tickets_with_subject(&t, &agent, "Crash window").await, vec![committed.id]);
    // From then on the rebuilt answer is stored and replayed.
    let again = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"crash-1", &body).await;
    assert_eq!(again.json(), r.json());

    // A reply that committed: the retry answers with that message.
    let path = format!("/api/v1/tickets/{}/messages", committed.id);
    let reply = json!({"body": "Reply that lost its answer"});
    let owner = store.idempotency_owner().await.expect("owner");
    let frontline_store::idempotency::Begin::Run(mark) =
        store.begin_idempotent(&owner, &scope, "crash-2", &fp(&Method::POST, &path, &reply)).await.expect("begin")
    else {
        panic!("fresh key")
    };
    let input = frontline_app::tickets::ReplyInput {
        kind: frontline_domain::ticket::MessageKind::Public,
        body: "Reply that lost its answer".into(),
        status: None,
        channel: frontline_domain::ticket::Channel::Api,
        attachments: vec![],
    };
    let message = t.app.reply_keyed(&desk.agent.actor(), committed.id, &input, Some(mark)).await.expect("reply");
    drop(owner);
    let r = keyed(&t, Method::POST, &path, &agent, b"crash-2", &reply).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["id"].as_i64(), Some(message.id));
    let messages = t.get(&path, &agent).await.json();
    assert_eq!(messages.as_array().unwrap().iter().filter(|m| m["body"] == "Reply that lost its answer").count(), 1);

    // An attempt that died before committing wrote nothing: the retry runs
    // it (once its owner is gone; on PostgreSQL when its lock is released).
    let lost = json!({"subject": "Died before commit", "body": "x", "requester_id": desk.cust_member.id});
    let owner = store.idempotency_owner().await.expect("owner");
    let begin = store.begin_idempotent(&owner, &scope, "crash-3", &fp(&Method::POST, "/api/v1/tickets", &lost)).await.expect("begin");
    assert!(matches!(begin, frontline_store::idempotency::Begin::Run(_)));
    let in_progress = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"crash-3", &lost).await;
    if t.engine() == frontline_testkit::Engine::Postgres {
        // Its owner still lives: the retry must wait.
        assert_eq!(in_progress.status, 409, "{}", in_progress.text());
        assert_eq!(in_progress.error_code(), "idempotency_key_in_progress");
    } else {
        // On SQLite one process serves the database: another owner is a dead one.
        assert_eq!(in_progress.status, 201, "{}", in_progress.text());
    }
    drop(owner);
    let mut answer = in_progress;
    for _ in 0..100 {
        if answer.status != 409 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        answer = keyed(&t, Method::POST, "/api/v1/tickets", &agent, b"crash-3", &lost).await;
    }
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(tickets_with_subject(&t, &agent, "Died before commit").await.len(), 1);
}
on_both_engines!(crash_window, committed_write_is_not_repeated);
