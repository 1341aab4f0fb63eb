//! Changing one's own password asks for the current one; wrong guesses are
//! throttled per user (429 + Retry-After in the API, a message on the
//! page), the lock ends with the window, and it never keeps the real user
//! from signing in.

use axum::http::{StatusCode, header};
use frontline_testkit::{Auth, PASSWORD, TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

const WRONG: &str = "not my password at all";

async fn guesses_are_throttled_per_user(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let api = t.token_for(&d.agent).await;
    let page = t.login(&d.agent.email).await;
    let change = |current: &'static str, new: &'static str| json!({"current_password": current, "password": new});

    // Five wrong guesses (sign-in's limit) are each answered as wrong.
    for n in 1..=5 {
        let r = t.post_json("/api/v1/me/password", &api, &change(WRONG, "a brand new secret")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "guess {n}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], "current_password");
    }
    // Then even the right password is refused for now, with when to come back.
    let r = t.post_json("/api/v1/me/password", &api, &change(PASSWORD, "a brand new secret")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "throttled");
    let retry: u64 = r.headers.get(header::RETRY_AFTER).expect("Retry-After").to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    // The page says so next to the field, in words.
    let r = t.post_form("/settings/password", &page, &[("current_password", PASSWORD), ("password", "another new secret")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("too many wrong current passwords: try again in") && html.contains("Signing in still works"), "{html}");
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="current_password-error""#), "{html}");

    // The real user still signs in, and other users are not held up.
    let r = t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "signing in is not locked: {}", r.text());
    let admin = t.token_for(&d.admin).await;
    let r = t.post_json("/api/v1/me/password", &admin, &change(PASSWORD, "the admin's new secret")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());

    // Refused attempts did not extend the lock: once the oldest guesses
    // leave the window the right password works again.
    t.clock.advance(chrono::Duration::seconds(i64::try_from(retry).expect("small")));
    let r = t.post_json("/api/v1/me/password", &api, &change(PASSWORD, "a brand new secret")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "a brand new secret")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
on_both_engines!(own_password_guesses_throttled, guesses_are_throttled_per_user);

/// Guesses sent at once are counted against each other: no more than the
/// limit is ever checked, and the next one is refused.
async fn parallel_guesses(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let api = t.token_for(&d.manager).await;
    let body = json!({"current_password": WRONG, "password": "a brand new secret"});
    let answers = futures::future::join_all((0..12).map(|_| t.post_json("/api/v1/me/password", &api, &body))).await;
    let wrong = answers.iter().filter(|r| r.status == StatusCode::UNPROCESSABLE_ENTITY).count();
    let refused = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(wrong + refused, 12, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(wrong <= 5, "at most the limit was checked: {wrong}");
    // Refused guesses were not counted: more guesses are checked until
    // exactly the limit has been, then refused.
    let mut checked = wrong;
    loop {
        let r = t.post_json("/api/v1/me/password", &api, &body).await;
        match r.status {
            StatusCode::UNPROCESSABLE_ENTITY => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => break,
            other => panic!("{other}: {}", r.text()),
        }
        assert!(checked <= 5, "more than the limit checked");
    }
    assert_eq!(checked, 5);
    let r = t.post_json("/api/v1/me/password", &api, &json!({"current_password": PASSWORD, "password": "a brand new secret"})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    // The password is unchanged and signing in works.
    let r = t.post_form("/login", &Auth::None, &[("email", &d.manager.email), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
on_both_engines!(own_password_parallel_guesses, parallel_guesses);
