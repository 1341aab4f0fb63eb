//! Sign-ins and password reset requests share one attempt log
//! (`throttle_attempts`), each throttle counting only its own attempts.

use axum::http::StatusCode;
use frontline_testkit::{PASSWORD, TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;
use crate::security::{reset_request_page, retry_after, sign_in_from};

/// Failed sign-ins do not use up reset requests, and reset requests do not
/// lock anyone out of signing in.
async fn throttles_count_their_own_attempts(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let ip = "198.51.100.70";
    for i in 0..5 {
        let r = sign_in_from(&t, ip, &d.agent.email, "not the password").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "failed sign-in {i}");
    }
    retry_after(&sign_in_from(&t, ip, &d.agent.email, PASSWORD).await);
    for i in 0..3 {
        assert_eq!(reset_request_page(&t, ip, &d.agent.email).await.status, StatusCode::OK, "reset request {i} after locked sign-ins");
    }
    retry_after(&reset_request_page(&t, ip, &d.agent.email).await);
    // The manager asked for resets three times; their sign-in is untouched.
    for _ in 0..3 {
        assert_eq!(reset_request_page(&t, ip, &d.manager.email).await.status, StatusCode::OK);
    }
    let r = sign_in_from(&t, ip, &d.manager.email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "reset requests are no failed sign-ins: {}", r.text());
}
on_both_engines!(throttle_log_per_action, throttles_count_their_own_attempts);

/// Parallel reset requests for one email from many addresses: the log is
/// written before it is counted, so no more than the limit (3) get through.
async fn parallel_reset_requests_hold_the_limit(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let ips: Vec<String> = (0..10).map(|i| format!("203.0.113.{}", 100 + i)).collect();
    let requests = ips.iter().map(|ip| reset_request_page(&t, ip, &d.agent.email));
    let answers = futures::future::join_all(requests).await;
    let accepted = answers.iter().filter(|r| r.status == StatusCode::OK).count();
    let refused = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(accepted + refused, 10, "each is accepted or throttled");
    assert!(accepted <= 3, "{accepted} of 10 parallel requests got through");
    // Refused ones are not counted: once the accepted ones are let through,
    // the count is what was accepted, so the next few fill up to the limit.
    for _ in accepted..3 {
        assert_eq!(reset_request_page(&t, "203.0.113.200", &d.agent.email).await.status, StatusCode::OK);
    }
    retry_after(&reset_request_page(&t, "203.0.113.201", &d.agent.email).await);
}
on_both_engines!(throttle_log_parallel_resets, parallel_reset_requests_hold_the_limit);
