//! The web app's pages and forms, through HTTP as a browser sends them.

use axum::http::{Method, header};
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;

/// A desk with the agent signed in.
async fn agent_desk(db: TestDb) -> (TestApp, Desk, Auth) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let cookie = t.login(&d.agent.email).await;
    (t, d, cookie)
}

/// The value of the properties form's hidden `version` field on a ticket page.
fn version_of(page: &str) -> String {
    page.split("name=\"version\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("version field").to_string()
}

/// The tier queue lists the customer's ticket, with counts in the sidebar.
async fn tier_queue_lists_new_tickets(db: TestDb) {
    let (t, _d, cookie) = agent_desk(db).await;
    let page = t.get("/tickets?view=tier", &cookie).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Webhook signatures fail") && html.contains("Globex SSO login loop"), "{html}");
    assert!(html.contains("My tier, unassigned <span class=\"count\" id=\"count-tier\">2</span>"), "sidebar count");
}
on_both_engines!(agent_tier_queue, tier_queue_lists_new_tickets);

/// Assigning a new ticket from the properties form starts work on it.
async fn assigning_from_the_form_opens_the_ticket(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    let b = d.ticket_b;
    let page = t.get(&format!("/tickets/{b}"), &cookie).await.text();
    let version_b = version_of(&page);
    let me = d.agent.id.to_string();
    let r = t
        .post_form(
            &format!("/tickets/{b}/fields"),
            &cookie,
            &[
                ("status", "new"),
                ("priority", "normal"),
                ("ticket_type", "question"),
                ("assignee_id", &me),
                ("tier", "1"),
                ("escalation_level", "0"),
                ("version", &version_b),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let agent_api = t.token_for(&d.agent).await;
    assert_eq!(t.get(&format!("/api/v1/tickets/{b}"), &agent_api).await.json()["status"], "open");
}
on_both_engines!(agent_assigns_from_form, assigning_from_the_form_opens_the_ticket);

/// The agent's public reply (setting the ticket pending) and internal note on ticket A.
async fn reply_and_note(t: &TestApp, d: &Desk, cookie: &Auth) {
    let a = d.ticket_a;
    let r = t
        .post_form(
            &format!("/tickets/{a}/reply"),
            cookie,
            &[("kind", "public"), ("body", "Can you send a failing payload?"), ("status", "pending")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let r = t.post_form(&format!("/tickets/{a}/reply"), cookie, &[("kind", "internal"), ("body", "Probably the clock skew bug")]).await;
    assert_eq!(r.status, 303);
}

/// A reply and a note both show on the ticket page, the note marked, with the new status.
async fn reply_and_note_show_on_the_ticket_page(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    reply_and_note(&t, &d, &cookie).await;
    let a = d.ticket_a;
    let page = t.get(&format!("/tickets/{a}"), &cookie).await.text();
    assert!(page.contains("Can you send a failing payload?") && page.contains("Probably the clock skew bug"));
    assert!(page.contains("Internal note") && page.contains(">Pending<"), "status shown");
}
on_both_engines!(agent_reply_and_note, reply_and_note_show_on_the_ticket_page);

/// The properties form of ticket A as the agent saves it (assigned to
/// themself, high priority, tags) from the version the page showed; returns that version.
async fn save_fields(t: &TestApp, d: &Desk, cookie: &Auth) -> String {
    let a = d.ticket_a;
    let page = t.get(&format!("/tickets/{a}"), cookie).await.text();
    let version = version_of(&page);
    let agent_id = d.agent.id.to_string();
    let team = d.team.to_string();
    let r = t.post_form(&format!("/tickets/{a}/fields"), cookie, &fields(&agent_id, &team, &version)).await;
    assert_eq!(r.status, 303, "{}", r.text());
    version
}

fn fields<'a>(agent_id: &'a str, team: &'a str, version: &'a str) -> [(&'static str, &'a str); 7] {
    [
        ("status", "open"),
        ("priority", "high"),
        ("ticket_type", "incident"),
        ("assignee_id", agent_id),
        ("team_id", team),
        ("tags", "webhook signing"),
        ("version", version),
    ]
}

/// A change of fields, then an escalation from the Escalation card, show in
/// the history and in the ticket's state.
async fn fields_change_shows_in_history(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    save_fields(&t, &d, &cookie).await;
    let a = d.ticket_a;
    let page = t.get(&format!("/tickets/{a}"), &cookie).await.text();
    assert!(
        page.contains("priority: Normal → High") && page.contains("set tags to signing webhook"),
        "history and tags on the page:\n{page}"
    );
    let r = t
        .post_form(
            &format!("/tickets/{a}/escalate"),
            &cookie,
            &[("reason", "Signature mismatch needs a senior"), ("to", ""), ("from", "tier_1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = t.get(&format!("/tickets/{a}"), &cookie).await.text();
    assert!(page.contains("escalated from Tier 1 to Tier 2") && page.contains("<strong id=\"ticket-step\">Tier 2</strong>"), "{page}");
}
on_both_engines!(agent_changes_fields, fields_change_shows_in_history);

/// Saving a change with the stale version is refused, visibly.
async fn stale_fields_are_refused(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    let version = save_fields(&t, &d, &cookie).await;
    let a = d.ticket_a;
    let (agent_id, team) = (d.agent.id.to_string(), d.team.to_string());
    let mut stale = fields(&agent_id, &team, &version);
    stale[1] = ("priority", "low");
    let r = t.post_form(&format!("/tickets/{a}/fields"), &cookie, &stale).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Someone changed this ticket while you were editing"));
}
on_both_engines!(agent_stale_fields, stale_fields_are_refused);

/// An assigned ticket moves from the tier queue to "my open tickets", and the counts follow.
async fn assigned_ticket_is_in_my_queue(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    save_fields(&t, &d, &cookie).await;
    let mine = t.get("/tickets?view=mine&sort=-priority", &cookie).await.text();
    assert!(mine.contains("Webhook signatures fail"));
    let tier = t.get("/tickets?view=tier", &cookie).await.text();
    assert!(!tier.contains("Webhook signatures fail"), "assigned tickets leave the unassigned queue");
    // The sidebar fragment htmx refreshes every 30 seconds has the new counts.
    let partial = t.get("/partials/queue-counts?active=mine", &cookie).await.text();
    assert!(partial.starts_with("<ul id=\"queue-counts\"") && partial.contains("hx-trigger=\"every 30s, refresh\""), "{partial}");
    assert!(
        partial.contains(
            "class=\"active\" data-view=\"mine\" aria-current=\"page\">My open tickets <span class=\"count\" id=\"count-mine\">1</span>"
        ),
        "{partial}"
    );
}
on_both_engines!(agent_my_queue, assigned_ticket_is_in_my_queue);

/// Search by words (an internal note's) and by number.
async fn search_by_words_and_number(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    reply_and_note(&t, &d, &cookie).await;
    let a = d.ticket_a;
    let found = t.get("/search?q=clock+skew", &cookie).await.text();
    assert!(found.contains("Webhook signatures fail"));
    let jump = t.get(&format!("/search?q=%23{a}"), &cookie).await;
    assert_eq!(jump.location(), format!("/tickets/{a}"));
}
on_both_engines!(agent_search, search_by_words_and_number);

/// The customer sees the reply and the new status, not the note.
async fn customer_sees_the_reply_not_the_note(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    reply_and_note(&t, &d, &cookie).await;
    let a = d.ticket_a;
    let customer = t.login(&d.cust_member.email).await;
    let portal = t.get(&format!("/portal/tickets/{a}"), &customer).await.text();
    assert!(portal.contains("Can you send a failing payload?"));
    assert!(!portal.contains("clock skew"));
    assert!(portal.contains("Status changed to “Awaiting your reply”"), "the customer sees status changes");
}
on_both_engines!(customer_sees_agent_reply, customer_sees_the_reply_not_the_note);

/// The new-ticket form names the bad field and keeps what was typed.
async fn new_ticket_form_errors(db: TestDb) {
    let (t, _d, cookie) = agent_desk(db).await;
    let r = t
        .post_form(
            "/tickets",
            &cookie,
            &[
                ("requester_email", "not an email"),
                ("subject", "Keep this subject"),
                ("body", "Keep this body"),
                ("priority", "normal"),
                ("ticket_type", "question"),
                ("tier", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("requester email must look like name@example.com"), "{html}");
    assert!(html.contains("value=\"Keep this subject\"") && html.contains("Keep this body"), "what the user typed is kept");
}
on_both_engines!(form_errors_new_ticket, new_ticket_form_errors);

async fn reply_form_errors(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    let r = t.post_form(&format!("/tickets/{}/reply", d.ticket_a), &cookie, &[("kind", "public"), ("body", "  ")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("message text is required"));
}
on_both_engines!(form_errors_reply, reply_form_errors);

async fn directory_form_errors(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    let r = t.post_form("/organizations", &admin, &[("name", "Dup"), ("domains", "northwind.example"), ("notes", "")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("already used by another organization: northwind.example"));
    let r = t.post_form("/users", &admin, &[("email", "x@y"), ("name", "X"), ("role", "agent")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("email must look like name@example.com"));
}
on_both_engines!(form_errors_directory, directory_form_errors);

/// Portal: a customer's empty subject.
async fn portal_form_errors(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let customer = t.login(&d.cust_member.email).await;
    let r = t
        .post_form(
            "/portal/tickets",
            &customer,
            &[("subject", ""), ("body", "details"), ("priority", "normal"), ("ticket_type", "question")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("subject is required"));
}
on_both_engines!(form_errors_portal, portal_form_errors);

/// Wrong password: a message, no session.
async fn wrong_password(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let r = t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "wrong password")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("email or password is wrong"));
    assert!(r.headers.get(header::SET_COOKIE).is_none());
}
on_both_engines!(sign_in_wrong_password, wrong_password);

/// The session cookie is HttpOnly and SameSite.
async fn session_cookie_flags(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let r = t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "correct horse battery")]).await;
    let cookie = r.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}
on_both_engines!(sign_in_cookie, session_cookie_flags);

/// Throttling: after five failures even the right password is refused for a while.
async fn sign_in_throttled(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    for _ in 0..5 {
        t.post_form("/login", &Auth::None, &[("email", &d.manager.email), ("password", "nope nope nope")]).await;
    }
    let r = t.post_form("/login", &Auth::None, &[("email", &d.manager.email), ("password", "correct horse battery")]).await;
    assert_eq!(r.status, 429);
    assert!(r.text().contains("too many attempts"));
    assert!(r.headers.get(header::RETRY_AFTER).is_some(), "the page says when to come back");
}
on_both_engines!(sign_in_throttle, sign_in_throttled);

/// Sign out ends the session on the server.
async fn sign_out_ends_the_session(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let session = t.login(&d.agent.email).await;
    assert_eq!(t.get("/tickets", &session).await.status, 200);
    let r = t.post_form("/logout", &session, &[]).await;
    assert_eq!(r.status, 303);
    assert!(t.get("/tickets", &session).await.location().starts_with("/login"));
}
on_both_engines!(sign_out, sign_out_ends_the_session);

/// Only local paths after sign-in.
async fn sign_in_goes_only_to_local_paths(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let r = t
        .post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "correct horse battery"), ("next", "//evil.example/x")])
        .await;
    assert_eq!(r.location(), "/tickets");
}
on_both_engines!(sign_in_next, sign_in_goes_only_to_local_paths);

async fn security_headers_on_pages(db: TestDb) {
    let (t, _d, cookie) = agent_desk(db).await;
    let r = t.get("/tickets", &cookie).await;
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers.get(header::X_FRAME_OPTIONS).and_then(|v| v.to_str().ok()), Some("DENY"));
    assert!(r.headers.get("x-request-id").is_some());
}
on_both_engines!(security_headers, security_headers_on_pages);

/// User text is escaped.
async fn user_text_is_escaped(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    let agent = t.token_for(&d.agent).await;
    t.post_json(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &agent, &serde_json::json!({"body": "<script>alert(1)</script>"}))
        .await;
    let page = t.get(&format!("/tickets/{}", d.ticket_a), &cookie).await.text();
    assert!(!page.contains("<script>alert(1)") && page.contains("alert(1)"), "user text must be escaped");
}
on_both_engines!(escaped_user_text, user_text_is_escaped);

/// A cross-site form post with the victim's cookie is refused.
async fn cross_site_posts_are_refused(db: TestDb) {
    let (t, d, cookie) = agent_desk(db).await;
    let agent = t.token_for(&d.agent).await;
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/tickets/{}/reply", d.ticket_a))
        .header(header::HOST, "frontline.test")
        .header(
            header::COOKIE,
            match &cookie {
                Auth::Cookie(c) => c.clone(),
                _ => String::new(),
            },
        )
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .header(header::ORIGIN, "https://evil.example")
        .body(axum::body::Body::from("kind=public&body=pwned"))
        .expect("request");
    let r = t.send(req).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "cross_origin_request");
    let msgs = t.get(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &agent).await.text();
    assert!(!msgs.contains("pwned"));
}
on_both_engines!(csrf, cross_site_posts_are_refused);

/// Static assets are served with the pinned htmx.
async fn pinned_htmx_is_served(db: TestDb) {
    let t = TestApp::new(db).await;
    let js = t.get("/assets/htmx.min.js", &Auth::None).await;
    assert_eq!(js.status, 200);
    assert!(js.text().starts_with("var htmx"));
}
on_both_engines!(assets_htmx, pinned_htmx_is_served);

/// An admin renames the "Support Analyst" position and moves it to tier 2; returns its id.
async fn rename_position(t: &TestApp, d: &Desk, admin: &Auth) -> i64 {
    let positions = t.app.list_positions(&d.admin.actor()).await.expect("positions");
    let analyst = positions.iter().find(|p| p.name == "Support Analyst").expect("analyst");
    let r = t
        .post_form(
            &format!("/admin/positions/{}", analyst.id),
            admin,
            &[("name", "Support Engineer I"), ("level", "IC1"), ("rank", "2"), ("tier", "2")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    analyst.id
}

/// An admin creates a team and a person in it reporting to the head; returns the team's path.
async fn team_with_a_member(t: &TestApp, d: &Desk, admin: &Auth, position: i64) -> String {
    let r = t.post_form("/teams", admin, &[("name", "Payments"), ("description", "Billing integrations")]).await;
    assert_eq!(r.status, 303);
    let team_path = r.location();
    let team_id = team_path.rsplit('/').next().unwrap_or("").to_string();
    let head = d.head.id.to_string();
    let pos = position.to_string();
    let r = t
        .post_form(
            "/users",
            admin,
            &[
                ("email", "ivy@vendor.example"),
                ("name", "Ivy"),
                ("role", "agent"),
                ("position_id", &pos),
                ("team_id", &team_id),
                ("reports_to", &head),
                ("password", "long enough pw"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    team_path
}

/// Rename a position and move it to another tier.
async fn admin_renames_a_position(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    rename_position(&t, &d, &admin).await;
    let page = t.get("/admin/positions", &admin).await.text();
    assert!(page.contains("value=\"Support Engineer I\""));
}
on_both_engines!(admin_positions, admin_renames_a_position);

/// Create a team, a person in it reporting to the head, and see them on the team page.
async fn admin_builds_a_team(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    let position = rename_position(&t, &d, &admin).await;
    let team_path = team_with_a_member(&t, &d, &admin, position).await;
    let team_page = t.get(&team_path, &admin).await.text();
    assert!(team_page.contains("Ivy") && team_page.contains("Support Engineer I") && team_page.contains("head"));
}
on_both_engines!(admin_teams, admin_builds_a_team);

/// The audit page lists what the admin did.
async fn admin_changes_are_audited(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    let position = rename_position(&t, &d, &admin).await;
    team_with_a_member(&t, &d, &admin, position).await;
    let audit = t.get("/admin/audit", &admin).await.text();
    assert!(audit.contains("user.create") && audit.contains("position.update") && audit.contains("team.create"));
}
on_both_engines!(admin_audit, admin_changes_are_audited);

/// Tokens page shows a new token once.
async fn new_token_is_shown_once(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    let r = t.post_form("/settings/tokens", &admin, &[("name", "CI")]).await;
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("Copy your new token now") && html.contains("value=\"fl_"));
    let again = t.get("/settings/tokens", &admin).await.text();
    assert!(!again.contains("value=\"fl_") && again.contains("CI"));
}
on_both_engines!(admin_tokens, new_token_is_shown_once);
