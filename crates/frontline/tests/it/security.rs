//! Security defects found by an outside probe (issue 8): sign-in
//! throttling that locked the real user out, mail templates without
//! limits, tokens and sessions that outlived a deactivation, own password
//! changes without the current password, sessions nobody could see or end,
//! caching and HSTS headers, text/plain answers for bad path ids, labels
//! with bidirectional overrides; and the password reset by mailed link.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use frontline_testkit::smtp::SmtpSink;
use frontline_testkit::{Auth, BASE_URL, Engine, PASSWORD, TestApp, TestDb, TestResponse, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

fn form_encode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    form.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// A browser's form post from `ip` (the connection's peer).
pub(crate) async fn form_from(t: &TestApp, ip: &str, path: &str, auth: &Auth, form: &[(&str, &str)]) -> TestResponse {
    let peer = SocketAddr::new(ip.parse::<IpAddr>().expect("ip"), 40000);
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, "frontline.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, BASE_URL)
        .header(header::USER_AGENT, format!("TestBrowser/1.0 ({ip})"))
        .extension(ConnectInfo(peer));
    if let Auth::Cookie(c) = auth {
        b = b.header(header::COOKIE, c);
    }
    t.send(b.body(Body::from(form_encode(form))).expect("request")).await
}

pub(crate) async fn sign_in_from(t: &TestApp, ip: &str, email: &str, password: &str) -> TestResponse {
    form_from(t, ip, "/login", &Auth::None, &[("email", email), ("password", password)]).await
}

fn session_cookie(r: &TestResponse) -> Auth {
    let cookie = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("fl_session="))
        .expect("session cookie")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    Auth::Cookie(cookie)
}

/// The whole seconds of `Retry-After` on a 429.
pub(crate) fn retry_after(r: &TestResponse) -> u64 {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    let v = r.headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).expect("Retry-After");
    v.parse().expect("whole seconds")
}

async fn throttle_keys_on_the_address(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let attacker = "203.0.113.66";
    let home = "198.51.100.10";

    // Twelve guesses at once from one address: at most five are checked,
    // the rest are refused with 429 and a finite Retry-After.
    let guesses = (0..12).map(|i| {
        let t = &t;
        let email = d.agent.email.clone();
        async move { sign_in_from(t, attacker, &email, &format!("guess number {i}")).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|r| r.status == StatusCode::UNPROCESSABLE_ENTITY).count();
    let refused: Vec<&TestResponse> = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).collect();
    assert_eq!(checked + refused.len(), 12, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(checked <= 5, "{checked} guesses were checked");
    for r in &refused {
        let wait = retry_after(r);
        assert!((1..=15 * 60).contains(&wait), "the lock ends within the window: {wait}");
        assert!(r.text().contains("too many attempts"), "the page says why");
    }
    // Sequential guesses fill the pair's allowance; then even the right password waits there.
    for i in checked..5 {
        let r = sign_in_from(&t, attacker, &d.agent.email, &format!("sequential {i}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    }
    let first = sign_in_from(&t, attacker, &d.agent.email, PASSWORD).await;
    let first_wait = retry_after(&first);

    // The real user, from their own address, signs in meanwhile.
    let r = sign_in_from(&t, home, &d.agent.email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the real user is not locked out: {}", r.text());

    // Refused attempts are not failures: hammering on does not move the lock's end.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for _ in 0..5 {
        sign_in_from(&t, attacker, &d.agent.email, "still guessing").await;
    }
    let later = sign_in_from(&t, attacker, &d.agent.email, PASSWORD).await;
    let later_wait = retry_after(&later);
    assert!(later_wait < first_wait, "the lock's end stays where it was: {first_wait} s, then {later_wait} s");
}
on_both_engines!(throttle_keys_on_the_address, throttle_keys_on_the_address);

async fn throttle_per_address(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let spray = "203.0.113.77";
    // One guess each at fifty addresses (a password spray) uses the address's allowance.
    for i in 0..50 {
        let r = sign_in_from(&t, spray, &format!("nobody{i}@nowhere.example"), "Spring2026!!").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "guess {i}: {}", r.text());
    }
    let r = sign_in_from(&t, spray, &d.manager.email, PASSWORD).await;
    assert!(retry_after(&r) <= 15 * 60);
    // Other addresses are not affected.
    assert_eq!(sign_in_from(&t, "198.51.100.20", &d.manager.email, PASSWORD).await.status, StatusCode::SEE_OTHER);
}
on_both_engines!(throttle_per_address, throttle_per_address);

async fn template_fuel(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    // 3 × 10^7 iterations: without a limit each save rendered for seconds.
    let body = "{% for i in range(30000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}done";
    let saves = (0..32).map(|_| {
        let (t, admin) = (&t, &admin);
        async move {
            t.json(
                Method::PUT,
                "/api/v1/mail/templates/public_reply",
                admin,
                &json!({"subject": "[#{{ ticket_id }}] {{ subject }}", "body": body}),
            )
            .await
        }
    });
    let health = async {
        let mut answers = vec![];
        for _ in 0..5 {
            answers.push(t.get("/healthz", &Auth::None).await.status);
        }
        answers
    };
    let (answers, health) = tokio::join!(futures::future::join_all(saves), health);
    for r in &answers {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["error"]["field"], "body");
        assert!(r.json()["error"]["message"].as_str().is_some_and(|m| m.contains("too much work")), "{}", r.text());
    }
    assert!(health.iter().all(|s| *s == StatusCode::OK), "{health:?}");
    // An ordinary template still saves.
    let r = t
        .json(
            Method::PUT,
            "/api/v1/mail/templates/public_reply",
            &admin,
            &json!({"subject": "[#{{ ticket_id }}] {{ subject }}", "body": "{% for i in range(3) %}{{ i }}{% endfor %} {{ body }}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
}
on_both_engines!(template_fuel, template_fuel);

async fn deactivation_revokes_tokens(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let token = t.token_for(&d.agent).await;
    let session = t.login(&d.agent.email).await;
    assert_eq!(t.get("/api/v1/me", &token).await.status, StatusCode::OK);

    let r = t.patch_json(&format!("/api/v1/users/{}", d.agent.id), &admin, &json!({"active": false})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(t.get("/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
    assert!(t.get("/tickets", &session).await.location().starts_with("/login"));

    // Back at work: the old token and session stay dead.
    let r = t.patch_json(&format!("/api/v1/users/{}", d.agent.id), &admin, &json!({"active": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(t.get("/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED, "a reactivated user's old token stays revoked");
    assert!(t.get("/tickets", &session).await.location().starts_with("/login"));
    let audit = t.get("/api/v1/audit", &admin).await.json();
    assert!(
        audit
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "api_token.revoke" && e["target"] == format!("user:{}", d.agent.id)),
        "{audit}"
    );
}
on_both_engines!(deactivation_revokes_tokens, deactivation_revokes_tokens);

async fn own_password_needs_the_current_one(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let here = t.login(&d.agent.email).await;
    let elsewhere = t.login(&d.agent.email).await;
    // Signing in again does not end the older session.
    assert_eq!(t.get("/tickets", &here).await.status, StatusCode::OK);

    let r =
        t.post_json("/api/v1/me/password", &here, &json!({"current_password": "not my password", "password": "a brand new secret"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "current_password");
    let r = t.post_json("/api/v1/me/password", &here, &json!({"current_password": PASSWORD, "password": "short"})).await;
    assert_eq!(r.json()["error"]["field"], "password");

    let r = t.post_json("/api/v1/me/password", &here, &json!({"current_password": PASSWORD, "password": "a brand new secret"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(t.get("/tickets", &here).await.status, StatusCode::OK, "the session that changed it stays");
    assert!(t.get("/tickets", &elsewhere).await.location().starts_with("/login"), "other sessions end");
    let r = t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "a brand new secret")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The page asks for the current password too, and keeps the session.
    let r = t.post_form("/settings/password", &here, &[("current_password", PASSWORD), ("password", "another new secret")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("current password is wrong"), "{}", r.text());
    let r =
        t.post_form("/settings/password", &here, &[("current_password", "a brand new secret"), ("password", "another new secret")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("password was changed"));

    // Customers have the same page, in the portal.
    let customer = t.login(&d.cust_member.email).await;
    let r = t
        .post_form("/settings/password", &customer, &[("current_password", "wrong wrong wrong"), ("password", "a customer's new secret")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Support portal") && r.text().contains("current password is wrong"), "{}", r.text());
    // Both fields' problems at once: nothing typed as the current one, a new one too short.
    let r = t.post_form("/settings/password", &customer, &[("current_password", ""), ("password", "short")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("enter your current password") && r.text().contains("password must be at least"),
        "both messages: {}",
        r.text()
    );

    // An admin's own password cannot be set through the user form without the current one.
    let admin = t.token_for(&d.admin).await;
    let r = t.patch_json(&format!("/api/v1/users/{}", d.admin.id), &admin, &json!({"password": "sneaky new password"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "password");
    let audit = t.get("/api/v1/audit", &admin).await.json();
    assert!(audit.as_array().expect("entries").iter().any(|e| e["action"] == "user.password_change"), "{audit}");
}
on_both_engines!(own_password_needs_the_current_one, own_password_needs_the_current_one);

async fn sessions_can_be_listed_and_ended(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let laptop = session_cookie(&sign_in_from(&t, "198.51.100.31", &d.agent.email, PASSWORD).await);
    let phone = session_cookie(&sign_in_from(&t, "198.51.100.32", &d.agent.email, PASSWORD).await);
    let tablet = session_cookie(&sign_in_from(&t, "198.51.100.33", &d.agent.email, PASSWORD).await);

    let list = t.get("/api/v1/me/sessions", &laptop).await.json();
    let list = list.as_array().expect("sessions").clone();
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_entry = list.iter().find(|s| s["ip"] == "198.51.100.32").expect("phone");
    assert!(phone_entry["user_agent"].as_str().is_some_and(|a| a.contains("TestBrowser")), "{phone_entry}");
    assert!(phone_entry["created_at"].is_string() && phone_entry["last_seen_at"].is_string());

    // End one by its id.
    let id = phone_entry["id"].as_str().expect("id");
    assert_eq!(t.json(Method::DELETE, &format!("/api/v1/me/sessions/{id}"), &laptop, &json!({})).await.status, StatusCode::NO_CONTENT);
    assert!(t.get("/tickets", &phone).await.location().starts_with("/login"));
    assert_eq!(t.json(Method::DELETE, &format!("/api/v1/me/sessions/{id}"), &laptop, &json!({})).await.status, StatusCode::NOT_FOUND);
    // Another user cannot end them.
    let other = t.token_for(&d.manager).await;
    let tablet_id = t
        .get("/api/v1/me/sessions", &tablet)
        .await
        .json()
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["current"] == true)
        .expect("current")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(t.json(Method::DELETE, &format!("/api/v1/me/sessions/{tablet_id}"), &other, &json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/tickets", &tablet).await.status, StatusCode::OK);

    // The page lists them and ends the others.
    let page = t.get("/settings/sessions", &laptop).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("This session") && page.text().contains("198.51.100.33"), "{}", page.text());
    let r = t.post_form("/settings/sessions/end-others", &laptop, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(t.get("/tickets", &tablet).await.location().starts_with("/login"));
    assert_eq!(t.get("/tickets", &laptop).await.status, StatusCode::OK);
    let admin = t.token_for(&d.admin).await;
    let audit = t.get("/api/v1/audit", &admin).await.json();
    assert!(audit.as_array().expect("entries").iter().any(|e| e["action"] == "session.end"), "{audit}");
}
on_both_engines!(sessions_can_be_listed_and_ended, sessions_can_be_listed_and_ended);

async fn no_store_and_hsts(db: TestDb) {
    let mut t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let session = t.login(&d.agent.email).await;
    let token = t.token_for(&d.agent).await;
    let cache = |r: &TestResponse| r.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(cache(&t.get("/tickets", &session).await), "no-store");
    assert_eq!(cache(&t.get("/api/v1/me", &token).await), "no-store");
    assert_eq!(cache(&t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &token).await), "no-store");
    let css = t.get("/assets/app.css", &Auth::None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_ne!(cache(&css), "no-store", "static assets stay cacheable");
    // HSTS only over HTTPS.
    assert!(t.get("/login", &Auth::None).await.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    let https = frontline_web::AppState::new(
        t.app.clone(),
        frontline_web::WebConfig { base_url: "https://frontline.test".into(), secure_cookies: true },
    );
    t.router = frontline_web::router(https);
    let r = t.get("/login", &Auth::None).await;
    let hsts = r.headers.get(header::STRICT_TRANSPORT_SECURITY).and_then(|v| v.to_str().ok()).expect("HSTS");
    assert!(hsts.starts_with("max-age=") && hsts != "max-age=0", "{hsts}");
}
on_both_engines!(no_store_and_hsts, no_store_and_hsts);

async fn bad_path_ids_answer_json(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    // Every API path with a numeric parameter, from the served document.
    let doc = t.get("/api/v1/openapi.json", &Auth::None).await.json();
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let Some(params) = op["parameters"].as_array() else { continue };
            let numeric: Vec<&str> = params
                .iter()
                .filter(|p| p["in"] == "path" && p["schema"]["type"] == "integer")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let Some(first) = numeric.first() else { continue };
            let url = numeric.iter().fold(path.clone(), |u, n| u.replace(&format!("{{{n}}}"), if n == first { "abc" } else { "1" }));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let r = t.json(method.clone(), &url, &admin, &json!({})).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method} {url}: {}", r.text());
            assert!(r.headers.get(header::CONTENT_TYPE).is_some_and(|v| v == "application/json"), "{method} {url}");
            assert_eq!(r.json()["error"]["code"], "invalid_path", "{method} {url}");
            assert_eq!(r.json()["error"]["field"], *first, "{method} {url}");
            tried += 1;
        }
    }
    assert!(tried >= 10, "only {tried} operations have numeric path parameters");
    let r = t.get("/api/v1/tickets/abc", &admin).await;
    assert!(r.json()["error"]["message"].as_str().is_some_and(|m| m.contains("number")), "{}", r.text());
}
on_both_engines!(bad_path_ids_answer_json, bad_path_ids_answer_json);

async fn labels_refuse_bidi_and_invisible_text(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let admin = t.token_for(&d.admin).await;
    for (subject, why) in
        [("Refund \u{202E}fdp.exe", "override"), ("\u{2066}x\u{2069}", "isolate"), ("\u{200B}\u{FEFF}", "zero-width only")]
    {
        let r =
            t.post_json("/api/v1/tickets", &agent, &json!({"subject": subject, "body": "details", "requester_id": d.cust_member.id})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], "subject", "{why}");
    }
    let r = t.post_json("/api/v1/organizations", &admin, &json!({"name": "Acme\u{202D}", "domains": []})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "name");
    let r = t.patch_json(&format!("/api/v1/users/{}", d.cust_member.id), &admin, &json!({"name": "\u{200D}\u{2060}"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "name");
    // Right-to-left text itself is welcome.
    let r = t
        .post_json(
            "/api/v1/tickets",
            &agent,
            &json!({"subject": "שלום, the export fails", "body": "details", "requester_id": d.cust_member.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}
on_both_engines!(labels_refuse_bidi_and_invisible_text, labels_refuse_bidi_and_invisible_text);

/// The reset link in a mail (decoded from its MIME text part).
fn reset_link(raw: &str) -> String {
    let mail = frontline_mail::inbound::parse(raw.as_bytes()).expect("parse mail");
    let start = mail.body.find(&format!("{BASE_URL}/password/reset?token=")).unwrap_or_else(|| panic!("no link in {}", mail.body));
    mail.body[start + BASE_URL.len()..].split_whitespace().next().expect("link").to_string()
}

pub(crate) async fn reset_request_page(t: &TestApp, ip: &str, email: &str) -> TestResponse {
    form_from(t, ip, "/password/forgot", &Auth::None, &[("email", email)]).await
}

async fn password_reset_by_mailed_link(db: TestDb) {
    let Some(sink) = SmtpSink::start("security::password_reset_by_mailed_link").await else { return };
    let t = TestApp::with_smtp(db, &sink.url()).await;
    let d = Desk::new(&t).await;
    t.app.run_due_jobs().await.expect("jobs");
    let before = sink.messages().len();
    let old_session = t.login(&d.agent.email).await;

    // The sign-in page offers it; the answer is the same for known and unknown emails.
    assert!(t.get("/login", &Auth::None).await.text().contains("href=\"/password/forgot\""));
    assert_eq!(t.get("/password/forgot", &Auth::None).await.status, StatusCode::OK);
    let known = reset_request_page(&t, "198.51.100.40", &d.agent.email).await;
    let unknown = reset_request_page(&t, "198.51.100.40", "nobody@nowhere.example").await;
    assert_eq!(known.status, StatusCode::OK, "{}", known.text());
    assert_eq!(known.text(), unknown.text(), "nothing tells whether the email exists");
    assert!(known.text().contains("Check your mail"));
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(before + 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), before + 1, "no mail for the unknown email");
    let mail = &mails[before];
    assert!(mail.contains(&d.agent.email), "{mail}");
    let link = reset_link(mail);

    // The link's page; a too short password is refused and the link still works.
    assert_eq!(t.get(&link, &Auth::None).await.status, StatusCode::OK);
    let token = link.split("token=").nth(1).expect("token").to_string();
    let r = t.post_form("/password/reset", &Auth::None, &[("token", &token), ("password", "short")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("at least 10 characters"), "{}", r.text());
    let r = t.post_form("/password/reset", &Auth::None, &[("token", &token), ("password", "reset to something new")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.location(), "/login?done=reset");
    assert!(t.get("/login?done=reset", &Auth::None).await.text().contains("Your password was changed"));
    assert!(t.get("/tickets", &old_session).await.location().starts_with("/login"), "every session ended");
    let r = t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "reset to something new")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the new password works");

    // Once only; garbage is explained too.
    let used = t.get(&link, &Auth::None).await;
    assert_eq!(used.status, StatusCode::BAD_REQUEST);
    assert!(used.text().contains("already used"), "{}", used.text());
    let r = t.post_form("/password/reset", &Auth::None, &[("token", &token), ("password", "and once more again")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("already used"));
    let garbage = t.get("/password/reset?token=r_0123456789abcdef", &Auth::None).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert!(garbage.text().contains("not valid"), "{}", garbage.text());
    let admin = t.token_for(&d.admin).await;
    let audit = t.get("/api/v1/audit", &admin).await.json();
    assert!(audit.as_array().expect("entries").iter().any(|e| e["action"] == "user.password_reset"), "{audit}");
}
on_both_engines!(password_reset_by_mailed_link, password_reset_by_mailed_link);

async fn set_all_resets_expired(db: &TestDb) {
    const Q: &str = "UPDATE password_resets SET expires_at = '2000-01-01T00:00:00Z'";
    match db.engine {
        Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
            sqlx::query(Q).execute(&pool).await.expect("expire");
            pool.close().await;
        }
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
            sqlx::query(Q).execute(&pool).await.expect("expire");
            pool.close().await;
        }
    }
}

async fn reset_links_expire_and_spend_each_other(db: TestDb) {
    let Some(sink) = SmtpSink::start("security::reset_links_expire").await else { return };
    let t = TestApp::with_smtp(db, &sink.url()).await;
    let d = Desk::new(&t).await;
    t.app.run_due_jobs().await.expect("jobs");
    let before = sink.messages().len();
    // Two links; using the newer spends the older.
    reset_request_page(&t, "198.51.100.50", &d.manager.email).await;
    t.app.run_due_jobs().await.expect("jobs");
    reset_request_page(&t, "198.51.100.50", &d.manager.email).await;
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(before + 2).await;
    let (older, newer) = (reset_link(&mails[before]), reset_link(&mails[before + 1]));
    assert_ne!(older, newer);
    let token = newer.split("token=").nth(1).expect("token");
    let r = t.post_form("/password/reset", &Auth::None, &[("token", token), ("password", "the newest password")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(t.get(&older, &Auth::None).await.text().contains("already used"));

    // One link used twice at once: one use sets the password, the other is told the link is spent.
    reset_request_page(&t, "198.51.100.51", &d.agent.email).await;
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(before + 3).await;
    let link = reset_link(&mails[before + 2]);
    let token = link.split("token=").nth(1).expect("token").to_string();
    let passwords = ["first parallel password", "second parallel password"];
    let uses = passwords.iter().map(|p| {
        let (t, token) = (&t, &token);
        async move { t.post_form("/password/reset", &Auth::None, &[("token", token), ("password", p)]).await.status }
    });
    let statuses = futures::future::join_all(uses).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::BAD_REQUEST).count(), 1, "{statuses:?}");
    let mut working = 0;
    for p in passwords {
        if t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", p)]).await.status == StatusCode::SEE_OTHER {
            working += 1;
        }
    }
    assert_eq!(working, 1, "exactly one of the two passwords was set");

    // An expired link says so.
    reset_request_page(&t, "198.51.100.50", &d.head.email).await;
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(before + 4).await;
    let link = reset_link(&mails[before + 3]);
    set_all_resets_expired(&t.db).await;
    let r = t.get(&link, &Auth::None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("expired"), "{}", r.text());
}
on_both_engines!(reset_links_expire_and_spend_each_other, reset_links_expire_and_spend_each_other);

async fn reset_requests_are_throttled(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    for i in 0..3 {
        assert_eq!(reset_request_page(&t, "198.51.100.60", &d.agent.email).await.status, StatusCode::OK, "request {i}");
    }
    // Per email, from any address.
    let r = reset_request_page(&t, "198.51.100.61", &d.agent.email).await;
    assert!(retry_after(&r) <= 3600);
    assert!(r.text().contains("too many attempts"));
    // Unknown emails are throttled alike, so the throttle tells nothing either.
    for _ in 0..3 {
        reset_request_page(&t, "198.51.100.62", "ghost@nowhere.example").await;
    }
    retry_after(&reset_request_page(&t, "198.51.100.63", "ghost@nowhere.example").await);
    // Per address, for any email.
    for i in 0..20 {
        let r = reset_request_page(&t, "203.0.113.90", &format!("someone{i}@nowhere.example")).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}");
    }
    retry_after(&reset_request_page(&t, "203.0.113.90", &d.manager.email).await);
    assert_eq!(reset_request_page(&t, "198.51.100.64", &d.manager.email).await.status, StatusCode::OK);
}
on_both_engines!(reset_requests_are_throttled, reset_requests_are_throttled);
