//! Rate limits on the API: per API token (or signed-in user) and per client
//! address, answered with 429, `Retry-After` and the JSON error; web pages
//! and the sign-in form are not limited; 0 disables. The in-process tests
//! give each request its peer address as the server does; the process
//! tests check the real server's wiring over loopback addresses.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use frontline_testkit::{Auth, BASE_URL, PASSWORD, TestApp, TestDb, TestResponse, on_both_engines};
use frontline_web::rate_limit::{Limit, RateLimits, parse_proxy};
use serde_json::json;

use crate::fixtures::Desk;
use crate::process::{Server, admin_token};

/// A GET from `ip` (the connection's peer), optionally through `forwarded_for`.
async fn get_from(t: &TestApp, ip: &str, path: &str, auth: &Auth, forwarded_for: Option<&str>) -> TestResponse {
    let peer = SocketAddr::new(ip.parse::<IpAddr>().expect("ip"), 40000);
    let mut b = Request::builder().method(Method::GET).uri(path).header(header::HOST, "frontline.test").extension(ConnectInfo(peer));
    match auth {
        Auth::None => {}
        Auth::Token(tok) => b = b.header(header::AUTHORIZATION, format!("Bearer {tok}")),
        Auth::Cookie(c) => b = b.header(header::COOKIE, c),
    }
    if let Some(xff) = forwarded_for {
        b = b.header("x-forwarded-for", xff);
    }
    t.send(b.body(Body::empty()).expect("request")).await
}

/// The answer is the API's 429: the JSON error and whole seconds to wait.
fn assert_limited(r: &TestResponse, why: &str) -> u64 {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{why}: {}", r.text());
    let body = r.json();
    assert_eq!(body["error"]["code"], "rate_limited", "{why}: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{why}: {body}");
    assert!(body["error"]["field"].is_null(), "{why}: {body}");
    let retry_after = r.headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).expect("Retry-After");
    let seconds: u64 = retry_after.parse().unwrap_or_else(|_| panic!("{why}: Retry-After in whole seconds: {retry_after}"));
    assert!(seconds >= 1, "{why}: {seconds}");
    seconds
}

async fn per_token(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (a, b) = (t.token_for(&d.agent).await, t.token_for(&d.manager).await);
    let session = t.login("head@vendor.example").await;
    let t = t.with_rate_limits(&RateLimits { per_token: Limit::new(1, 3), ..RateLimits::default() });
    let ip = "198.51.100.7";

    for i in 0..3 {
        assert_eq!(get_from(&t, ip, "/api/v1/me", &a, None).await.status, 200, "request {i} within the burst");
    }
    let refused = get_from(&t, ip, "/api/v1/me", &a, None).await;
    let wait = assert_limited(&refused, "over the token's burst");
    assert!(wait <= 2, "one request a second: {wait}");
    // A write over the limit is refused before it runs.
    let ticket = json!({"subject": "Over the limit", "body": "x", "requester_id": d.cust_member.id});
    assert_limited(&t.post_json("/api/v1/tickets", &a, &ticket).await, "a write over the limit");
    // Another token, from the same address at the same time, is not limited.
    let other = get_from(&t, ip, "/api/v1/me", &b, None).await;
    assert_eq!(other.status, 200, "{}", other.text());
    assert_eq!(other.json()["email"], "manager@vendor.example");

    // A signed-in user calling the API has a budget of their own; their pages are not limited.
    for i in 0..3 {
        assert_eq!(get_from(&t, ip, "/api/v1/me", &session, None).await.status, 200, "session request {i}");
    }
    assert_limited(&get_from(&t, ip, "/api/v1/me", &session, None).await, "a session user over the limit");
    for _ in 0..5 {
        assert_eq!(get_from(&t, ip, "/tickets", &session, None).await.status, 200, "the agents' pages");
    }

    // After waiting as told, the token works again; nothing was written meanwhile.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let again = get_from(&t, ip, "/api/v1/tickets?limit=100", &a, None).await;
    assert_eq!(again.status, 200, "after Retry-After: {}", again.text());
    assert!(again.json()["data"].as_array().expect("data").iter().all(|t| t["subject"] != "Over the limit"));
}
on_both_engines!(token_limit, per_token);

async fn per_address(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (a, b) = (t.token_for(&d.agent).await, t.token_for(&d.manager).await);
    let t = t.with_rate_limits(&RateLimits { per_ip: Limit::new(1, 3), ..RateLimits::default() });
    let ip = "203.0.113.5";

    assert_eq!(get_from(&t, ip, "/api/v1/me", &a, None).await.status, 200);
    assert_eq!(get_from(&t, ip, "/api/v1/me", &Auth::Token("fl_not-a-real-token".into()), None).await.status, 401);
    assert_eq!(get_from(&t, ip, "/api/v1/me", &Auth::None, None).await.status, 401);
    // The address has spent its burst: whatever token comes from it is refused.
    for (auth, why) in
        [(&b, "another token"), (&a, "the first token"), (&Auth::Token("fl_guess".into()), "a bad token"), (&Auth::None, "no token")]
    {
        assert_limited(&get_from(&t, ip, "/api/v1/me", auth, None).await, why);
    }
    // Naming another client is not believed from a peer that is not a trusted proxy.
    assert_limited(&get_from(&t, ip, "/api/v1/me", &a, Some("192.0.2.44")).await, "a forged X-Forwarded-For");
    // Another address is not limited.
    assert_eq!(get_from(&t, "203.0.113.6", "/api/v1/me", &a, None).await.status, 200);

    // The HTML sign-in form is not the API: a limited address can still sign in.
    let form = format!("email=agent%40vendor.example&password={}", PASSWORD.replace(' ', "+"));
    let login = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::HOST, "frontline.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, BASE_URL)
        .extension(ConnectInfo(SocketAddr::new(ip.parse::<IpAddr>().expect("ip"), 40000)))
        .body(Body::from(form))
        .expect("request");
    let r = t.send(login).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
}
on_both_engines!(address_limit, per_address);

/// Behind a trusted proxy, each forwarded client has its own budget.
async fn behind_a_proxy(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let a = t.token_for(&d.agent).await;
    let proxies = vec![parse_proxy("10.0.0.0/8").expect("network")];
    let t = t.with_rate_limits(&RateLimits { per_ip: Limit::new(1, 2), trusted_proxies: proxies, ..RateLimits::default() });
    let lb = "10.1.2.3";
    for _ in 0..2 {
        assert_eq!(get_from(&t, lb, "/api/v1/me", &a, Some("198.51.100.20")).await.status, 200);
    }
    assert_limited(&get_from(&t, lb, "/api/v1/me", &a, Some("198.51.100.20")).await, "the forwarded client over its limit");
    // A client prepending an address of its choice is still itself.
    assert_limited(&get_from(&t, lb, "/api/v1/me", &a, Some("192.0.2.1, 198.51.100.20")).await, "a prepended address");
    assert_eq!(get_from(&t, lb, "/api/v1/me", &a, Some("198.51.100.21")).await.status, 200, "another client behind the same proxy");
}
on_both_engines!(trusted_proxy, behind_a_proxy);

/// The OpenAPI document shows the 429 on every operation.
async fn documented(db: TestDb) {
    let t = TestApp::new(db).await;
    let doc = t.get("/api/v1/openapi.json", &Auth::None).await.json();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(op) = item.get(method) else { continue };
            let Some(too_many) = op["responses"].get("429") else { panic!("{method} {path} without 429") };
            assert!(too_many["headers"].get("Retry-After").is_some(), "{method} {path}: {too_many}");
            operations += 1;
        }
    }
    assert!(operations > 30, "{operations} operations");
}
on_both_engines!(openapi_429, documented);

async fn get_status(client: &reqwest::Client, url: &str, token: &str) -> (u16, Option<String>) {
    let r = client.get(url).bearer_auth(token).send().await.expect("request");
    let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    (r.status().as_u16(), retry_after)
}

/// The real server keys the address limit on the connection's peer, and 0 turns a limit off.
async fn served(db: TestDb) {
    let token = admin_token(&db.url);
    let env = [
        ("FRONTLINE_API_RATE_PER_IP", "1"),
        ("FRONTLINE_API_BURST_PER_IP", "3"),
        // Off, although a burst of 1 is set: the address limit alone decides here.
        ("FRONTLINE_API_RATE_PER_TOKEN", "0"),
        ("FRONTLINE_API_BURST_PER_TOKEN", "1"),
    ];
    let server = Server::start_with(&db.url, &env).await;
    let me = format!("{}/api/v1/me", server.base);
    let from = |ip: &str| reqwest::Client::builder().local_address(ip.parse::<IpAddr>().ok()).build().expect("client");
    let (first, second) = (from("127.0.0.1"), from("127.0.0.2"));
    for i in 0..3 {
        assert_eq!(get_status(&first, &me, &token).await.0, 200, "request {i}: the token has no limit of its own");
    }
    let (status, retry_after) = get_status(&first, &me, &token).await;
    assert_eq!(status, 429);
    assert!(retry_after.and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s >= 1));
    assert_eq!(get_status(&second, &me, &token).await.0, 200, "another peer address has its own budget");
    drop(server);

    // Both limits off: many requests from one token and address all pass.
    let off = [("FRONTLINE_API_RATE_PER_IP", "0"), ("FRONTLINE_API_BURST_PER_IP", "1"), ("FRONTLINE_API_RATE_PER_TOKEN", "0")];
    let server = Server::start_with(&db.url, &off).await;
    let me = format!("{}/api/v1/me", server.base);
    for i in 0..20 {
        assert_eq!(get_status(&first, &me, &token).await.0, 200, "request {i} with the limits off");
    }
}
on_both_engines!(real_server, served);
