//! Forms of teams, positions, API tokens and mail templates: one submit
//! with several bad fields shows every field's message at once, each tied
//! to its field, and the form keeps what was typed.

use frontline_testkit::{TestApp, TestDb, TestResponse, on_both_engines};

use crate::fixtures::Desk;

/// A failed submit: 422, every message, and the fields' `aria-*` (by the id each message has).
fn shows_all(r: &TestResponse, messages: &[&str], described_by: &[&str]) -> String {
    assert_eq!(r.status, 422, "{}", r.text());
    let html = r.text();
    for m in messages {
        assert!(html.contains(m), "missing {m:?}: {html}");
    }
    for id in described_by {
        assert!(html.contains(&format!(r#"aria-invalid="true" aria-describedby="{id}""#)), "no field tied to {id}: {html}");
        assert!(html.contains(&format!(r#"id="{id}""#)), "no message with id {id}: {html}");
    }
    html
}

async fn teams_and_positions(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    let long = "d".repeat(501);

    // A new team: no name and a description too long, both at once.
    let r = t.post_form("/teams", &admin, &[("name", " "), ("description", &long)]).await;
    let html = shows_all(&r, &["name is required", "description must be at most 500 characters"], &["err-name", "err-description"]);
    assert!(html.contains(&format!(r#"value="{long}""#)), "the description typed is kept");

    // Editing a team: the same, and nothing is saved.
    let r = t.post_form(&format!("/teams/{}", d.team), &admin, &[("name", ""), ("description", &long)]).await;
    shows_all(&r, &["name is required", "description must be at most 500 characters"], &["err-name", "err-description"]);
    let team = t.app.team(&d.admin.actor(), d.team).await.expect("team");
    assert!(!team.name.is_empty() && team.description.len() <= 500, "nothing saved");

    // A new position: every field wrong.
    let r = t.post_form("/admin/positions", &admin, &[("name", ""), ("level", " "), ("rank", "ten"), ("tier", "7")]).await;
    let html = shows_all(
        &r,
        &["name is required", "level is required", "rank must be a whole number", "tier must be between 1 and 3"],
        &["err-name", "err-level", "err-rank", "err-tier"],
    );
    assert!(html.contains(r#"id="p-rank" name="rank" value="ten""#), "what was typed is kept: {html}");

    // A position's row: its own messages under its own cells, with what was typed.
    let pos = t.app.list_positions(&d.admin.actor()).await.expect("positions")[0].clone();
    let r = t
        .post_form(
            &format!("/admin/positions/{}", pos.id),
            &admin,
            &[("name", "Renamed on the row"), ("level", ""), ("rank", "5000"), ("tier", "1")],
        )
        .await;
    let html = shows_all(
        &r,
        &["level is required", "rank must be between 0 and 1000"],
        &[&format!("err-level-{}", pos.id), &format!("err-rank-{}", pos.id)],
    );
    assert!(html.contains(r#"value="Renamed on the row""#) && html.contains(r#"value="5000""#), "the row keeps what was typed: {html}");
    assert!(!html.contains(r#"id="err-level""#), "the new-position form shows no message of the row's");
    let still = t.app.list_positions(&d.admin.actor()).await.expect("positions");
    assert!(still.iter().any(|p| p.id == pos.id && p.name == pos.name), "nothing saved");

    // Checks that need the database still run once the form's own pass.
    let r = t.post_form("/admin/positions", &admin, &[("name", &pos.name), ("level", "IC9"), ("rank", "3"), ("tier", "2")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("a position with this name already exists"), "{}", r.text());
}
on_both_engines!(team_and_position_forms_show_every_error, teams_and_positions);

async fn tokens_and_mail_templates(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;

    // An API token's one field: its message tied to it, the name kept.
    let long = "n".repeat(101);
    let r = t.post_form("/settings/tokens", &admin, &[("name", &long)]).await;
    let html = shows_all(&r, &["name must be at most 100 characters"], &["err-name"]);
    assert!(html.contains(&format!(r#"value="{long}""#)));
    assert!(!html.contains("Copy your new token now"), "no token made");

    // A mail template: a subject without the ticket token and a body with a
    // misspelt variable, both named at once, under this template's fields.
    let r = t
        .post_form(
            "/admin/mail/templates/ticket_solved",
            &admin,
            &[("subject", "Solved: {{ subject }}"), ("body", "Hello {{ recipiant }}")],
        )
        .await;
    let html = shows_all(
        &r,
        &["keep [#{{ ticket_id }}] in the subject", "body: undefined value"],
        &["err-subject-ticket_solved", "err-body-ticket_solved"],
    );
    assert!(html.contains("Hello {{ recipiant }}"), "the text typed is kept: {html}");
    assert!(!html.contains("err-subject-ticket_created"), "other templates show nothing");
    // Empty subject, too long body.
    let r = t.post_form("/admin/mail/templates/ticket_created", &admin, &[("subject", " "), ("body", &"x".repeat(20_001))]).await;
    shows_all(
        &r,
        &["the subject template is required", "the body template is required and at most 20,000 characters"],
        &["err-subject-ticket_created", "err-body-ticket_created"],
    );
    // Checking renders the template: only mail admins get that far.
    let agent = t.login(&d.agent.email).await;
    let r = t.post_form("/admin/mail/templates/ticket_created", &agent, &[("subject", " "), ("body", "{{ nope }}")]).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let templates = t.app.mail_templates(&d.admin.actor()).await.expect("templates");
    assert!(templates.iter().all(|tm| !tm.customized), "nothing saved");
}
on_both_engines!(token_and_template_forms_show_every_error, tokens_and_mail_templates);
