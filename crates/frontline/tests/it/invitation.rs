//! Someone added without a password (CLI, API, agent app) is mailed an
//! invitation: a single-use link, longer-lived than a reset link, that
//! sets their password; then they sign in. A used link fails.

use std::process::Command;

use axum::http::StatusCode;
use frontline_app::mail::{Notification, NotificationKind};
use frontline_testkit::{Auth, BASE_URL, Outbox, TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

/// The invitations taken from the outbox, by recipient.
fn invitations(outbox: &Outbox) -> Vec<Notification> {
    let sent = outbox.take();
    sent.into_iter().filter(|n| n.kind == NotificationKind::Invitation).collect()
}

/// The link's path and token, from the mail's text.
fn link_in(n: &Notification) -> (String, String) {
    let (_, text) = n.custom.as_ref().expect("account mail has its own text");
    let start = text.find(&format!("{BASE_URL}/password/reset?token=")).unwrap_or_else(|| panic!("no link in {text}"));
    let path = text[start + BASE_URL.len()..].split_whitespace().next().expect("link").to_string();
    let token = path.split("token=").nth(1).expect("token").to_string();
    (path, token)
}

/// Choose a password with the link, sign in with it, and find the link spent.
async fn accept(t: &TestApp, n: &Notification, email: &str, password: &str) {
    let (path, token) = link_in(n);
    assert_eq!(t.get(&path, &Auth::None).await.status, StatusCode::OK);
    let r = t.post_form("/password/reset", &Auth::None, &[("token", &token), ("password", password)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = t.post_form("/login", &Auth::None, &[("email", email), ("password", password)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the chosen password signs in: {}", r.text());
    let again = t.post_form("/password/reset", &Auth::None, &[("token", &token), ("password", "someone else's try")]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.text().contains("already used"), "{}", again.text());
    assert_eq!(
        t.post_form("/login", &Auth::None, &[("email", email), ("password", "someone else's try")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the used link changed nothing"
    );
}

async fn by_the_cli(db: TestDb) {
    let frontline = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_frontline"))
            .arg("--database-url")
            .arg(&db.url)
            .args(args)
            // Mail configured: the invitation is queued (the server's job runner sends it).
            .env("FRONTLINE_SMTP_URL", "smtp://127.0.0.1:1")
            .env_remove("FRONTLINE_PASSWORD")
            .output()
            .expect("run frontline")
    };
    assert!(frontline(&["migrate"]).status.success());
    let out = frontline(&["user", "create", "--email", "new.agent@acme.example", "--name", "New Agent", "--role", "agent"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("invited new.agent@acme.example") && stdout.contains("7 days"), "{stdout}");

    let (t, outbox) = TestApp::with_outbox(db).await;
    t.app.run_due_jobs().await.expect("jobs");
    let mails = invitations(&outbox);
    assert_eq!(mails.len(), 1, "{mails:?}");
    let n = &mails[0];
    assert_eq!(n.to[0].email, "new.agent@acme.example");
    let (subject, text) = n.custom.as_ref().expect("text");
    assert_eq!(subject, "You were invited to Frontline");
    assert!(text.contains("you were invited to Frontline") && text.contains("Hello New Agent"), "{text}");
    // Longer-lived than a reset link (an hour): still good six days later.
    t.clock.advance(chrono::Duration::days(6));
    accept(&t, n, "new.agent@acme.example", "my own first password").await;
}
on_both_engines!(invitation_by_cli, by_the_cli);

async fn by_the_api_and_the_agent_app(db: TestDb) {
    let (t, outbox) = TestApp::with_outbox(db).await;
    let d = Desk::new(&t).await;
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();
    let admin = t.token_for(&d.admin).await;

    // Without a password: invited. With one: no mail.
    let r = t.post_json("/api/v1/users", &admin, &json!({"email": "invitee@acme.example", "name": "Invitee", "role": "agent"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = t
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({"email": "ready@acme.example", "name": "Ready", "role": "agent", "password": "already chosen one"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    t.app.run_due_jobs().await.expect("jobs");
    let mails = invitations(&outbox);
    assert_eq!(mails.iter().map(|n| n.to[0].email.as_str()).collect::<Vec<_>>(), vec!["invitee@acme.example"]);
    accept(&t, &mails[0], "invitee@acme.example", "invitee's first password").await;

    // The agent app's form, the same.
    let page = t.login(&d.admin.email).await;
    let r =
        t.post_form("/users", &page, &[("email", "formed@acme.example"), ("name", "Formed"), ("role", "agent"), ("password", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    t.app.run_due_jobs().await.expect("jobs");
    let mails = invitations(&outbox);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to[0].email, "formed@acme.example");

    // An invitation is no notification an admin can switch off or template.
    assert!(NotificationKind::parse("kind", "invitation").is_err());
    let r = t.post_form("/admin/mail/templates/invitation", &page, &[("subject", "[#{{ ticket_id }}] x"), ("body", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    accept(&t, &mails[0], "formed@acme.example", "formed's first password").await;

    // Each account mail's Message-ID names its kind, as the kind names itself.
    assert!(mails[0].message_id.starts_with("<frontline.invitation."), "{}", mails[0].message_id);
    let client = frontline_app::auth::Client::new("198.51.100.9", "");
    t.app.request_password_reset("formed@acme.example", &client).await.expect("reset");
    t.app.run_due_jobs().await.expect("jobs");
    let resets: Vec<_> = outbox.take().into_iter().filter(|n| n.kind == NotificationKind::PasswordReset).collect();
    assert_eq!(resets.len(), 1);
    assert!(resets[0].message_id.starts_with("<frontline.password_reset."), "{}", resets[0].message_id);
}
on_both_engines!(invitation_by_api_and_app, by_the_api_and_the_agent_app);
