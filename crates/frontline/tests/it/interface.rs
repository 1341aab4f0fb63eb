//! Interface defects found by a walk-through as each role, and the
//! accessibility of the pages' markup, through HTTP as a browser sends them.
//! (Layout, focus and axe-core run in the real browser: `browser.rs`.)

use std::io::Read;

use axum::http::{Method, header};
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

fn version_in(page: &str) -> String {
    page.split("name=\"version\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("version").to_string()
}

async fn every_form_shows_all_its_errors_at_once(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;

    // Portal: an empty new request names both fields, in the form's words, each tied to its field.
    let customer = t.login(&d.cust_member.email).await;
    let r = t
        .post_form("/portal/tickets", &customer, &[("subject", ""), ("body", " "), ("priority", "normal"), ("ticket_type", "question")])
        .await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("subject is required") && html.contains("description is required"), "{html}");
    assert!(!html.contains("message text"), "the field is labelled Description: {html}");
    assert!(
        html.contains(
            r#"id="subject" name="subject" value="" maxlength="200" required autofocus aria-invalid="true" aria-describedby="err-subject""#
        ),
        "{html}"
    );
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="err-body""#) && html.contains(r#"id="err-body""#), "{html}");

    // Agent: customer email, subject and description at once; what was typed is kept.
    let agent = t.login(&d.agent.email).await;
    let r = t
        .post_form(
            "/tickets",
            &agent,
            &[
                ("requester_email", ""),
                ("subject", ""),
                ("body", ""),
                ("priority", "normal"),
                ("ticket_type", "question"),
                ("tier", "1"),
                ("tags", "ok bad!tag"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let html = r.text();
    for message in ["customer email is required", "subject is required", "description is required", "may only contain letters"] {
        assert!(html.contains(message), "missing {message:?}: {html}");
    }
    assert!(html.contains("value=\"ok bad!tag\""), "what was typed is kept");

    // People and organizations.
    let admin = t.login(&d.admin.email).await;
    let r = t.post_form("/users", &admin, &[("email", "x@y"), ("name", " "), ("role", "agent"), ("password", "short")]).await;
    assert_eq!(r.status, 422);
    let html = r.text();
    for message in ["email must look like name@example.com", "name is required", "password must be at least 10 characters"] {
        assert!(html.contains(message), "missing {message:?}: {html}");
    }
    let r = t.post_form("/organizations", &admin, &[("name", ""), ("domains", "not a domain"), ("notes", "")]).await;
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("name is required") && html.contains(r#"aria-describedby="err-domains""#), "{html}");

    // Checks that need the database still run once the form's own pass.
    let r = t.post_form("/organizations", &admin, &[("name", "Dup"), ("domains", "northwind.example"), ("notes", "")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("already used by another organization: northwind.example"));
}
on_both_engines!(form_errors_at_once, every_form_shows_all_its_errors_at_once);

async fn the_reply_box_keeps_its_mode(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.login(&d.agent.email).await;
    let a = d.ticket_a;

    // A fresh page starts on a public reply and says the customer will see it.
    let html = t.get(&format!("/tickets/{a}"), &agent).await.text();
    assert!(html.contains(r#"value="public" checked"#) && html.contains("Customer will see this reply."), "{html}");

    // After a note, the box stays on notes so the next one cannot reach the customer by mistake.
    let r = t.post_form(&format!("/tickets/{a}/reply"), &agent, &[("kind", "internal"), ("body", "checking the logs")]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let next = r.location();
    assert!(next.contains("reply=internal") && next.contains("saved=note"), "{next}");
    let html = t.get(&next, &agent).await.text();
    assert!(html.contains(r#"value="internal" checked"#), "{html}");
    assert!(!html.contains(r#"value="public" checked"#), "{html}");

    // And after a public reply, on public replies.
    let r = t.post_form(&format!("/tickets/{a}/reply"), &agent, &[("kind", "public"), ("body", "Could you send a payload?")]).await;
    assert_eq!(r.status, 303);
    let html = t.get(&r.location(), &agent).await.text();
    assert!(html.contains(r#"value="public" checked"#), "{html}");
}
on_both_engines!(reply_mode_kept, the_reply_box_keeps_its_mode);

async fn an_edit_conflict_keeps_the_users_choices(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.login(&d.agent.email).await;
    let a = d.ticket_a;
    let seen = version_in(&t.get(&format!("/tickets/{a}"), &agent).await.text());

    // Someone else puts the ticket on hold meanwhile (another tab, the API).
    let head = t.token_for(&d.head).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{a}"), &head, &json!({"status": "on_hold"})).await;
    assert_eq!(r.status, 200, "{}", r.text());

    let form = |status: &str, version: String| {
        vec![
            ("status", status.to_string()),
            ("priority", "urgent".to_string()),
            ("ticket_type", "incident".to_string()),
            ("tags", "sso saml".to_string()),
            ("version", version),
        ]
    };
    let stale = form("new", seen.clone());
    let stale: Vec<(&str, &str)> = stale.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = t.post_form(&format!("/tickets/{a}/fields"), &agent, &stale).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let html = r.text();
    // What changed meanwhile, in labels; the user's choices still selected; a version to save against.
    assert!(html.contains("Changed meanwhile") && html.contains("status: New → On hold"), "{html}");
    assert!(html.contains(r#"<option value="urgent" selected>"#) && html.contains(r#"<option value="incident" selected>"#), "{html}");
    assert!(html.contains(r#"value="sso saml""#), "{html}");
    // The status the user left alone takes the value someone else gave it.
    assert!(html.contains(r#"<option value="on_hold" selected>"#), "{html}");
    let current = version_in(&html);
    assert_ne!(current, seen, "the form now saves against the version it shows");

    // Saving again applies the kept choices.
    let again = form("on_hold", current);
    let again: Vec<(&str, &str)> = again.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = t.post_form(&format!("/tickets/{a}/fields"), &agent, &again).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(r.location().contains("saved=properties"));
    let v = t.get(&format!("/api/v1/tickets/{a}"), &head).await.json();
    assert_eq!(
        (v["status"].as_str(), v["priority"].as_str(), v["type"].as_str(), v["tier"].as_i64()),
        (Some("on_hold"), Some("urgent"), Some("incident"), Some(1)),
        "{v}"
    );
}
on_both_engines!(edit_conflict_kept, an_edit_conflict_keeps_the_users_choices);

async fn history_reads_in_labels(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let head = t.token_for(&d.head).await;
    let a = d.ticket_a;
    let r = t.patch_json(&format!("/api/v1/tickets/{a}"), &head, &json!({"status": "on_hold", "priority": "high"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = t.post_json(&format!("/api/v1/tickets/{a}/escalations"), &head, &json!({"reason": "SSO needs tier 2"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let agent = t.login(&d.head.email).await;
    let html = t.get(&format!("/tickets/{a}"), &agent).await.text();
    let history = html.split("<h2>History</h2>").nth(1).expect("history");
    assert!(history.contains("status: New → On hold"), "{history}");
    assert!(history.contains("priority: Normal → High") && history.contains("tier: Tier 1 → Tier 2"), "{history}");
    assert!(!history.contains("on_hold"), "{history}");
}
on_both_engines!(history_labels, history_reads_in_labels);

async fn positions_line_up_and_count_people(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    let positions = t.app.list_positions(&frontline_app::directory::system_actor()).await.expect("positions");
    let coordinator = positions.iter().find(|p| p.name == "Support Coordinator").expect("coordinator");
    let input = frontline_app::directory::UserInput {
        email: "coord@vendor.example".into(),
        name: "Coco".into(),
        role: "agent".into(),
        position_id: Some(coordinator.id),
        ..Default::default()
    };
    t.app.create_user(&d.admin.actor(), &input).await.expect("user");
    let html = t.get("/admin/positions", &admin).await.text();
    assert!(html.contains("1 person") && !html.contains(">1 people<"), "{html}");
    // Six header cells, six cells in every row: the columns line up.
    let table = html.split("<table class=\"list positions\">").nth(1).and_then(|s| s.split("</table>").next()).expect("table");
    let (head, body) = table.split_once("</thead>").expect("thead");
    assert_eq!(head.matches("</th>").count(), 6, "{head}");
    assert!(!head.contains("<th></th>"), "every header has a name: {head}");
    for row in body.split("<tr>").skip(1) {
        assert_eq!(row.matches("<td").count(), 6, "{row}");
    }
    // Each Save button says what it saves.
    assert!(html.contains(r#"aria-label="Save Support Coordinator""#) && html.contains(r#"aria-label="Save Head of Support""#), "{html}");
    assert!(!html.contains("<td colspan"), "{html}");
}
on_both_engines!(positions_page, positions_line_up_and_count_people);

async fn pages_have_landmarks_names_and_states(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let login = t.get("/login", &Auth::None).await.text();
    assert!(login.contains("<main id=\"main\">"), "{login}");

    let agent = t.login(&d.agent.email).await;
    let queue = t.get("/tickets?view=tier&sort=-updated", &agent).await.text();
    assert!(queue.contains("<a class=\"skip-link\" href=\"#main\">") && queue.contains("<main id=\"main\""), "{queue}");
    assert!(queue.contains(r#"<th aria-sort="descending"><a href="/tickets?view=tier&#38;sort=updated">Updated"#), "{queue}");
    assert!(queue.contains(r#"id="shortcuts-toggle""#) && queue.contains(r#"role="status""#), "{queue}");
    let people = t.get("/users", &t.login(&d.admin.email).await).await.text();
    assert!(!people.contains("<th></th>"), "{people}");
    let portal = t.get("/portal", &t.login(&d.cust_member.email).await).await.text();
    assert!(portal.contains("<a class=\"skip-link\" href=\"#main\">") && portal.contains(r#"id="shortcuts-toggle""#), "{portal}");

    // The counts refresh swaps only the numbers, so focus stays on the link it was on.
    let partial = t.get("/partials/queue-counts?active=tier", &agent).await.text();
    assert!(partial.contains(r#"hx-swap="none""#) && partial.contains("hx-select-oob=\"#count-mine,#count-tier"), "{partial}");
    assert!(partial.contains(r#"<span class="count" id="count-tier">"#) && partial.contains(r#"aria-current="page""#), "{partial}");
}
on_both_engines!(landmarks_and_states, pages_have_landmarks_names_and_states);

async fn the_portal_shows_one_colour_per_status_label(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    // One new ticket and one open one: both read "Awaiting our reply".
    let agent = t.login(&d.agent.email).await;
    let r = t
        .post_form(&format!("/tickets/{}/reply", d.ticket_a), &agent, &[("kind", "public"), ("body", "Looking"), ("status", "open")])
        .await;
    assert_eq!(r.status, 303);
    let customer = t.login(&d.cust_member.email).await;
    let r = t
        .post_form(
            "/portal/tickets",
            &customer,
            &[("subject", "Second"), ("body", "details"), ("priority", "normal"), ("ticket_type", "question")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let html = t.get("/portal", &customer).await.text();
    assert_eq!(html.matches("Awaiting our reply").count(), 2, "{html}");
    assert_eq!(html.matches(r#"class="pill cs-awaiting-us""#).count(), 2, "{html}");
    assert!(!html.contains("status-new") && !html.contains("status-open"), "{html}");
}
on_both_engines!(portal_status_colours, the_portal_shows_one_colour_per_status_label);

async fn assets_are_hashed_compressed_and_kept(db: TestDb) {
    let t = TestApp::new(db).await;
    let login = t.get("/login", &Auth::None).await.text();
    let css =
        login.split("href=\"/assets/app.").nth(1).and_then(|s| s.split('"').next()).map(|s| format!("/assets/app.{s}")).expect("css link");
    assert!(css.len() > "/assets/app.css".len(), "the name carries a hash: {css}");
    let d = Desk::new(&t).await;
    let queue = t.get("/tickets", &t.login(&d.agent.email).await).await.text();
    let htmx = queue
        .split("src=\"/assets/htmx.")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!("/assets/htmx.{s}"))
        .expect("htmx link");

    for path in [css.as_str(), htmx.as_str()] {
        let plain = t.get(path, &Auth::None).await;
        assert_eq!(plain.status, 200);
        assert_eq!(plain.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
        let req = axum::http::Request::builder()
            .method(Method::GET)
            .uri(path)
            .header(header::HOST, "frontline.test")
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
            .body(axum::body::Body::empty())
            .expect("request");
        let zipped = t.send(req).await;
        assert_eq!(zipped.headers[header::CONTENT_ENCODING], "gzip");
        assert_eq!(zipped.headers[header::VARY], "accept-encoding");
        assert!(zipped.body.len() * 2 < plain.body.len(), "{path}: {} of {} bytes", zipped.body.len(), plain.body.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(zipped.body.as_slice()).read_to_end(&mut unzipped).expect("gunzip");
        assert_eq!(unzipped, plain.body, "{path}");
    }
    // The plain name (an old link) still works, but is never kept stale.
    let old = t.get("/assets/app.css", &Auth::None).await;
    assert_eq!((old.status.as_u16(), old.headers[header::CACHE_CONTROL].to_str().unwrap()), (200, "no-cache"));
}
on_both_engines!(static_assets, assets_are_hashed_compressed_and_kept);

async fn search_stems_and_finds_people_and_organizations(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let ids = |v: serde_json::Value| -> Vec<i64> {
        let mut ids: Vec<i64> = v["data"].as_array().expect("data").iter().map(|t| t["id"].as_i64().unwrap_or(0)).collect();
        ids.sort();
        ids
    };
    let r = t
        .post_json(&format!("/api/v1/tickets/{}/messages", d.ticket_b), &agent, &json!({"body": "The IdP certificate rotated on Friday."}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // Another form of the word finds it, in messages and in subjects.
    assert_eq!(ids(t.get("/api/v1/search?q=rotating", &agent).await.json()), vec![d.ticket_b]);
    assert_eq!(ids(t.get("/api/v1/search?q=certificates%20rotate", &agent).await.json()), vec![d.ticket_b]);
    assert_eq!(ids(t.get("/api/v1/search?q=signature", &agent).await.json()), vec![d.ticket_a], "subject: Webhook signatures fail");

    // A requester by name or email, an organization by name.
    let admin = t.token_for(&d.admin).await;
    let r = t
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({"email": "priya.raman@northwind.example", "name": "Priya Raman", "role": "customer_member"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let priya: frontline_store::User = t.app.user(&d.admin.actor(), r.json()["id"].as_i64().expect("id")).await.expect("user");
    let r =
        t.post_json("/api/v1/tickets", &t.token_for(&priya).await, &json!({"subject": "Export totals", "body": "Totals are off."})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let export = r.json()["id"].as_i64().expect("id");
    assert_eq!(ids(t.get("/api/v1/search?q=Priya%20Raman", &agent).await.json()), vec![export]);
    assert_eq!(ids(t.get("/api/v1/search?q=priya.raman%40northwind", &agent).await.json()), vec![export]);
    assert_eq!(ids(t.get("/api/v1/search?q=northwind", &agent).await.json()), vec![d.ticket_a, export], "the organization's tickets");
    assert_eq!(ids(t.get("/api/v1/search?q=Globex", &agent).await.json()), vec![d.ticket_b]);
    // LIKE wildcards typed in the search are text.
    assert!(ids(t.get("/api/v1/search?q=%25", &agent).await.json()).is_empty());
    assert!(ids(t.get("/api/v1/search?q=p_iya", &agent).await.json()).is_empty());
}
on_both_engines!(search_people_and_stems, search_stems_and_finds_people_and_organizations);
