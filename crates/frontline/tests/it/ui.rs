//! The web app's pages and forms, through HTTP as a browser sends them.

use axum::http::{Method, header};
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;

async fn agent_works_a_ticket(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let cookie = t.login(&d.agent.email).await;

    // The tier queue lists the customer's ticket, with counts in the sidebar.
    let page = t.get("/tickets?view=tier", &cookie).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Webhook signatures fail") && html.contains("Globex SSO login loop"), "{html}");
    assert!(html.contains("My tier, unassigned <span class=\"count\" id=\"count-tier\">2</span>"), "sidebar count");

    // Assigning a new ticket from the properties form starts work on it.
    let b = d.ticket_b;
    let page = t.get(&format!("/tickets/{b}"), &cookie).await.text();
    let version_b = page.split("name=\"version\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("version").to_string();
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
    t.patch_json(&format!("/api/v1/tickets/{b}"), &agent_api, &serde_json::json!({"assignee_id": null})).await;

    // Reply publicly, add a note, change fields.
    let a = d.ticket_a;
    let r = t
        .post_form(
            &format!("/tickets/{a}/reply"),
            &cookie,
            &[("kind", "public"), ("body", "Can you send a failing payload?"), ("status", "pending")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let r = t.post_form(&format!("/tickets/{a}/reply"), &cookie, &[("kind", "internal"), ("body", "Probably the clock skew bug")]).await;
    assert_eq!(r.status, 303);
    let page = t.get(&format!("/tickets/{a}"), &cookie).await.text();
    assert!(page.contains("Can you send a failing payload?") && page.contains("Probably the clock skew bug"));
    assert!(page.contains("Internal note") && page.contains(">Pending<"), "status shown");
    let version = page.split("name=\"version\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("version field").to_string();
    let agent_id = d.agent.id.to_string();
    let team = d.team.to_string();
    let fields = [
        ("status", "open"),
        ("priority", "high"),
        ("ticket_type", "incident"),
        ("assignee_id", agent_id.as_str()),
        ("team_id", team.as_str()),
        ("tier", "2"),
        ("escalation_level", "1"),
        ("tags", "webhook signing"),
        ("version", version.as_str()),
    ];
    let r = t.post_form(&format!("/tickets/{a}/fields"), &cookie, &fields).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = t.get(&format!("/tickets/{a}"), &cookie).await.text();
    assert!(page.contains("tier: Tier 1 → Tier 2") && page.contains("Escalated to tier 2"), "history and state on the page");
    // Saving a change with the stale version is refused, visibly.
    let mut stale = fields;
    stale[1] = ("priority", "low");
    let r = t.post_form(&format!("/tickets/{a}/fields"), &cookie, &stale).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Someone changed this ticket while you were editing"));

    // Now it is in "my open tickets".
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

    // Search by words and by number.
    let found = t.get("/search?q=clock+skew", &cookie).await.text();
    assert!(found.contains("Webhook signatures fail"));
    let jump = t.get(&format!("/search?q=%23{a}"), &cookie).await;
    assert_eq!(jump.location(), format!("/tickets/{a}"));

    // The customer sees the reply and the new status, not the note.
    let customer = t.login(&d.cust_member.email).await;
    let portal = t.get(&format!("/portal/tickets/{a}"), &customer).await.text();
    assert!(portal.contains("Can you send a failing payload?"));
    assert!(!portal.contains("clock skew"));
    assert!(portal.contains("Status changed to “Awaiting your reply”"), "the customer sees status changes");
}
on_both_engines!(agent_ticket_page, agent_works_a_ticket);

async fn forms_show_errors_next_to_fields(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let cookie = t.login(&d.agent.email).await;
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

    let r = t.post_form(&format!("/tickets/{}/reply", d.ticket_a), &cookie, &[("kind", "public"), ("body", "  ")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("message text is required"));

    let admin = t.login(&d.admin.email).await;
    let r = t.post_form("/organizations", &admin, &[("name", "Dup"), ("domains", "northwind.example"), ("notes", "")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("already used by another organization: northwind.example"));
    let r = t.post_form("/users", &admin, &[("email", "x@y"), ("name", "X"), ("role", "agent")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("email must look like name@example.com"));

    // Portal: a customer's empty subject.
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
on_both_engines!(form_errors, forms_show_errors_next_to_fields);

async fn sign_in_is_safe(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    // Wrong password: a message, no session.
    let r = t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "wrong password")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("email or password is wrong"));
    assert!(r.headers.get(header::SET_COOKIE).is_none());

    // The session cookie is HttpOnly and SameSite.
    let r = t.post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "correct horse battery")]).await;
    let cookie = r.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    // Throttling: after five failures even the right password is refused for a while.
    for _ in 0..5 {
        t.post_form("/login", &Auth::None, &[("email", &d.manager.email), ("password", "nope nope nope")]).await;
    }
    let r = t.post_form("/login", &Auth::None, &[("email", &d.manager.email), ("password", "correct horse battery")]).await;
    assert_eq!(r.status, 429);
    assert!(r.text().contains("too many attempts"));
    assert!(r.headers.get(header::RETRY_AFTER).is_some(), "the page says when to come back");

    // Sign out ends the session on the server.
    let session = t.login(&d.agent.email).await;
    assert_eq!(t.get("/tickets", &session).await.status, 200);
    let r = t.post_form("/logout", &session, &[]).await;
    assert_eq!(r.status, 303);
    assert!(t.get("/tickets", &session).await.location().starts_with("/login"));

    // Only local paths after sign-in.
    let r = t
        .post_form("/login", &Auth::None, &[("email", &d.agent.email), ("password", "correct horse battery"), ("next", "//evil.example/x")])
        .await;
    assert_eq!(r.location(), "/tickets");
}
on_both_engines!(sign_in, sign_in_is_safe);

async fn headers_and_csrf(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let cookie = t.login(&d.agent.email).await;
    let r = t.get("/tickets", &cookie).await;
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers.get(header::X_FRAME_OPTIONS).and_then(|v| v.to_str().ok()), Some("DENY"));
    assert!(r.headers.get("x-request-id").is_some());
    // User text is escaped.
    let agent = t.token_for(&d.agent).await;
    t.post_json(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &agent, &serde_json::json!({"body": "<script>alert(1)</script>"}))
        .await;
    let page = t.get(&format!("/tickets/{}", d.ticket_a), &cookie).await.text();
    assert!(!page.contains("<script>alert(1)") && page.contains("alert(1)"), "user text must be escaped");

    // A cross-site form post with the victim's cookie is refused.
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
    // Static assets are served with the pinned htmx.
    let js = t.get("/assets/htmx.min.js", &Auth::None).await;
    assert_eq!(js.status, 200);
    assert!(js.text().starts_with("var htmx"));
}
on_both_engines!(security_headers, headers_and_csrf);

async fn admin_pages(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    // Rename a position and move it to another tier.
    let positions = t.app.list_positions(&d.admin.actor()).await.expect("positions");
    let analyst = positions.iter().find(|p| p.name == "Support Analyst").expect("analyst");
    let r = t
        .post_form(
            &format!("/admin/positions/{}", analyst.id),
            &admin,
            &[("name", "Support Engineer I"), ("level", "IC1"), ("rank", "2"), ("tier", "2")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = t.get("/admin/positions", &admin).await.text();
    assert!(page.contains("value=\"Support Engineer I\""));
    // Create a team, a person in it reporting to the head, and see them on the team page.
    let r = t.post_form("/teams", &admin, &[("name", "Payments"), ("description", "Billing integrations")]).await;
    assert_eq!(r.status, 303);
    let team_path = r.location();
    let team_id = team_path.rsplit('/').next().unwrap_or("").to_string();
    let head = d.head.id.to_string();
    let pos = analyst.id.to_string();
    let r = t
        .post_form(
            "/users",
            &admin,
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
    let team_page = t.get(&team_path, &admin).await.text();
    assert!(team_page.contains("Ivy") && team_page.contains("Support Engineer I") && team_page.contains("head"));
    let audit = t.get("/admin/audit", &admin).await.text();
    assert!(audit.contains("user.create") && audit.contains("position.update") && audit.contains("team.create"));
    // Tokens page shows a new token once.
    let r = t.post_form("/settings/tokens", &admin, &[("name", "CI")]).await;
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("Copy your new token now") && html.contains("value=\"fl_"));
    let again = t.get("/settings/tokens", &admin).await.text();
    assert!(!again.contains("value=\"fl_") && again.contains("CI"));
}
on_both_engines!(admin_ui, admin_pages);
