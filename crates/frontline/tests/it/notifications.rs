//! In-app notifications and per-user switches through the API: escalations,
//! help requests and assignments reach the bell and the mailbox from one
//! job; each switch turns off its own half; a retried job writes nothing
//! twice; marks of one item at once agree; nobody reads another's bell.

use frontline_domain::notification::NotificationKind as K;
use frontline_store::User;
use frontline_testkit::{Auth, Outbox, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::escalation::senior;
use crate::fixtures::Desk;

struct Setup {
    t: TestApp,
    outbox: std::sync::Arc<Outbox>,
    d: Desk,
    senior: User,
    agent: Auth,
    senior_auth: Auth,
}

/// The desk with a tier-2 agent, nothing queued and nothing mailed yet.
async fn setup(db: TestDb) -> Setup {
    let (t, outbox) = TestApp::with_outbox(db).await;
    let d = Desk::new(&t).await;
    let senior = senior(&t, &d).await;
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();
    let agent = t.token_for(&d.agent).await;
    let senior_auth = t.token_for(&senior).await;
    Setup { t, outbox, d, senior, agent, senior_auth }
}

impl Setup {
    async fn escalate_a(&self) {
        let r = self
            .t
            .post_json(&format!("/api/v1/tickets/{}/escalations", self.d.ticket_a), &self.agent, &json!({"reason": "EU keys fail"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }

    async fn bell(&self, auth: &Auth) -> Vec<Value> {
        let r = self.t.get("/api/v1/notifications", auth).await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["data"].as_array().expect("data").clone()
    }

    async fn switch(&self, auth: &Auth, kind: &str, in_app: bool, email: bool) {
        let body = json!({"settings": [{"kind": kind, "in_app": in_app, "email": email}]});
        let r = self.t.json(axum::http::Method::PUT, "/api/v1/me/notification-settings", auth, &body).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }

    fn mails(&self) -> Vec<(K, i64, Vec<String>)> {
        self.outbox.take_summary()
    }

    /// The people of tier 2: the senior specialist, and the manager, who
    /// has no position and so works tier 2 (`authz::effective_step`).
    fn tier2(&self) -> Vec<String> {
        vec![self.d.manager.email.clone(), self.senior.email.clone()]
    }
}

async fn escalation_reaches_the_bell_and_the_mailbox(db: TestDb) {
    let s = setup(db).await;
    s.escalate_a().await;
    s.t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(s.mails(), vec![(K::TicketEscalated, s.d.ticket_a, s.tier2())]);
    let bell = s.bell(&s.senior_auth).await;
    assert_eq!(bell.len(), 1, "{bell:?}");
    let n = &bell[0];
    assert_eq!(
        (n["kind"].clone(), n["ticket_id"].clone(), n["actor"]["id"].clone(), n["detail"].clone(), n["read_at"].clone()),
        (json!("ticket_escalated"), json!(s.d.ticket_a), json!(s.d.agent.id), json!("Tier 2"), Value::Null)
    );
    assert_eq!(n["headline"], "Escalated to your step");
    assert!(s.bell(&s.agent).await.is_empty(), "whoever escalated is not told");
    // The count is in the top bar of every page, in the bell's accessible name.
    let cookie = s.t.login(&s.senior.email).await;
    let page = s.t.get("/tickets", &cookie).await.text();
    assert!(page.contains(r#"aria-label="Notifications, 1 unread""#), "{page}");
}
on_both_engines!(escalation_notifies_in_app_and_by_mail, escalation_reaches_the_bell_and_the_mailbox);

async fn help_request_to_a_colleague(db: TestDb) {
    let s = setup(db).await;
    let r =
        s.t.post_json(
            &format!("/api/v1/tickets/{}/help-requests", s.d.ticket_a),
            &s.agent,
            &json!({"to_user_id": s.senior.id, "question": "Seen EU signature failures before?"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    s.t.app.run_due_jobs().await.expect("jobs");
    let sent = s.outbox.take();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0].kind, sent[0].to[0].email.as_str()), (K::HelpRequested, s.senior.email.as_str()));
    assert_eq!(sent[0].body.as_deref(), Some("Seen EU signature failures before?"), "the mail carries the question");
    assert_eq!(sent[0].author_name.as_deref(), Some(s.d.agent.name.as_str()));
    let bell = s.bell(&s.senior_auth).await;
    assert_eq!(bell.len(), 1, "{bell:?}");
    assert_eq!(
        (bell[0]["kind"].clone(), bell[0]["detail"].clone(), bell[0]["actor"]["id"].clone()),
        (json!("help_requested"), json!("Seen EU signature failures before?"), json!(s.d.agent.id))
    );
    assert!(s.bell(&s.agent).await.is_empty(), "the asker is not told of their own question");
}
on_both_engines!(help_request_notifies_the_colleague, help_request_to_a_colleague);

async fn help_request_to_a_tier(db: TestDb) {
    let s = setup(db).await;
    let r =
        s.t.post_json(&format!("/api/v1/tickets/{}/help-requests", s.d.ticket_a), &s.agent, &json!({"to_tier": 2, "question": "Anyone?"}))
            .await;
    assert_eq!(r.status, 201, "{}", r.text());
    s.t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(s.mails(), vec![(K::HelpRequested, s.d.ticket_a, s.tier2())], "tier 2's people, not tier 1's");
    assert_eq!(s.bell(&s.senior_auth).await.len(), 1);
}
on_both_engines!(help_request_notifies_the_tier, help_request_to_a_tier);

async fn email_off_keeps_the_bell(db: TestDb) {
    let s = setup(db).await;
    s.switch(&s.senior_auth, "ticket_escalated", true, false).await;
    s.escalate_a().await;
    s.t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(s.mails(), vec![(K::TicketEscalated, s.d.ticket_a, vec![s.d.manager.email.clone()])], "the senior's mail switched off");
    assert_eq!(s.bell(&s.senior_auth).await.len(), 1, "the bell still rings");
}
on_both_engines!(switching_mail_off_leaves_the_bell, email_off_keeps_the_bell);

async fn in_app_off_keeps_the_mail(db: TestDb) {
    let s = setup(db).await;
    s.switch(&s.senior_auth, "ticket_escalated", false, true).await;
    let settings = s.t.get("/api/v1/me/notification-settings", &s.senior_auth).await.json();
    let mine = settings.as_array().expect("list").iter().find(|p| p["kind"] == "ticket_escalated").expect("kind").clone();
    assert_eq!((mine["in_app"].clone(), mine["email"].clone()), (json!(false), json!(true)));
    s.escalate_a().await;
    s.t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(s.mails(), vec![(K::TicketEscalated, s.d.ticket_a, s.tier2())]);
    assert!(s.bell(&s.senior_auth).await.is_empty(), "the bell switched off");
}
on_both_engines!(switching_the_bell_off_leaves_mail, in_app_off_keeps_the_mail);

async fn admin_switch_stops_mail_not_the_bell(db: TestDb) {
    let s = setup(db).await;
    let admin = s.t.token_for(&s.d.admin).await;
    let r = s.t.json(axum::http::Method::PUT, "/api/v1/mail/notifications/ticket_escalated", &admin, &json!({"enabled": false})).await;
    assert_eq!(r.status.as_u16() / 100, 2, "{}", r.text());
    s.escalate_a().await;
    s.t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(s.mails(), vec![], "admins switched this mail off for everyone");
    assert_eq!(s.bell(&s.senior_auth).await.len(), 1);
    let settings = s.t.get("/api/v1/me/notification-settings", &s.senior_auth).await.json();
    let mine = settings.as_array().expect("list").iter().find(|p| p["kind"] == "ticket_escalated").expect("kind").clone();
    assert_eq!((mine["email"].clone(), mine["email_on_for_everyone"].clone()), (json!(true), json!(false)));
}
on_both_engines!(admin_mail_switch_applies_on_top, admin_switch_stops_mail_not_the_bell);

async fn retried_job_writes_nothing_twice(db: TestDb) {
    let s = setup(db).await;
    s.escalate_a().await;
    // The relay is down: the bell is written, the mail fails, the job waits for its retry.
    s.outbox.fail_next(1);
    s.t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(s.mails(), vec![]);
    assert_eq!(s.bell(&s.senior_auth).await.len(), 1);
    s.t.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(s.t.app.run_due_jobs().await.expect("jobs"), 1, "the job ran again");
    assert_eq!(s.mails(), vec![(K::TicketEscalated, s.d.ticket_a, s.tier2())], "one mail");
    assert_eq!(s.bell(&s.senior_auth).await.len(), 1, "one bell item");
    s.t.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(s.t.app.run_due_jobs().await.expect("jobs"), 0, "done with it");
}
on_both_engines!(retried_notification_job_duplicates_nothing, retried_job_writes_nothing_twice);

async fn assignment_tells_the_assignee(db: TestDb) {
    let s = setup(db).await;
    let head = s.t.token_for(&s.d.head).await;
    let r = s.t.patch_json(&format!("/api/v1/tickets/{}", s.d.ticket_a), &head, &json!({"assignee_id": s.d.agent.id})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    s.t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(s.mails(), vec![(K::TicketAssigned, s.d.ticket_a, vec![s.d.agent.email.clone()])]);
    let bell = s.bell(&s.agent).await;
    assert_eq!(bell.len(), 1, "{bell:?}");
    assert_eq!((bell[0]["kind"].clone(), bell[0]["actor"]["id"].clone()), (json!("ticket_assigned"), json!(s.d.head.id)));
}
on_both_engines!(assignment_notifies_the_assignee, assignment_tells_the_assignee);

/// Three questions to the senior: ids of their bell items, newest first.
async fn three_items(s: &Setup) -> Vec<i64> {
    for n in 0..3 {
        let r =
            s.t.post_json(
                &format!("/api/v1/tickets/{}/help-requests", s.d.ticket_a),
                &s.agent,
                &json!({"to_user_id": s.senior.id, "question": format!("Question {n}")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    s.t.app.run_due_jobs().await.expect("jobs");
    s.bell(&s.senior_auth).await.iter().map(|n| n["id"].as_i64().expect("id")).collect()
}

async fn pages_unread_and_read_all(db: TestDb) {
    let s = setup(db).await;
    let ids = three_items(&s).await;
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let first = s.t.get("/api/v1/notifications?limit=2", &s.senior_auth).await.json();
    assert_eq!(first["data"].as_array().expect("data").len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_string();
    let second = s.t.get(&format!("/api/v1/notifications?limit=2&cursor={cursor}"), &s.senior_auth).await.json();
    assert_eq!(second["data"][0]["id"], json!(ids[2]));
    assert_eq!(second["next_cursor"], Value::Null);

    let r = s.t.post_json(&format!("/api/v1/notifications/{}/read", ids[1]), &s.senior_auth, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["read_at"].is_string());
    let unread = s.t.get("/api/v1/notifications?unread=true", &s.senior_auth).await.json();
    let unread: Vec<i64> = unread["data"].as_array().expect("data").iter().map(|n| n["id"].as_i64().expect("id")).collect();
    assert_eq!(unread, vec![ids[0], ids[2]]);
    let r = s.t.post_json("/api/v1/notifications/read-all", &s.senior_auth, &json!({})).await;
    assert_eq!(r.json()["marked"], 2);
    let unread = s.t.get("/api/v1/notifications?unread=true", &s.senior_auth).await.json();
    assert_eq!(unread["data"], json!([]));
    let bad = s.t.get("/api/v1/notifications?cursor=abc", &s.senior_auth).await;
    assert_eq!((bad.status.as_u16(), bad.json()["error"]["field"].clone()), (400, json!("cursor")));
}
on_both_engines!(notifications_page_and_mark_read, pages_unread_and_read_all);

async fn parallel_marks_agree(db: TestDb) {
    let s = setup(db).await;
    let ids = three_items(&s).await;
    let target = ids[0];
    let mut tasks = Vec::new();
    for n in 0..8 {
        let (router_app, auth) = (s.t.app.clone(), s.senior.actor());
        tasks.push(tokio::spawn(async move {
            if n % 4 == 3 {
                router_app.read_all_notifications(&auth).await.map(|_| None)
            } else {
                router_app.read_notification(&auth, target).await.map(|n| n.read_at)
            }
        }));
    }
    let mut seen = Vec::new();
    for task in tasks {
        if let Some(at) = task.await.expect("task").expect("every mark succeeds") {
            seen.push(at);
        }
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "the first read time is kept: {seen:?}");
    let bell = s.bell(&s.senior_auth).await;
    assert!(bell.iter().all(|n| n["read_at"].is_string()), "{bell:?}");
    let cookie = s.t.login(&s.senior.email).await;
    assert!(s.t.get("/tickets", &cookie).await.text().contains(r#"aria-label="Notifications, none unread""#));
}
on_both_engines!(parallel_mark_read, parallel_marks_agree);

async fn nobody_reads_another_bell(db: TestDb) {
    let s = setup(db).await;
    let ids = three_items(&s).await;
    let r = s.t.post_json(&format!("/api/v1/notifications/{}/read", ids[0]), &s.agent, &json!({})).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(s.bell(&s.agent).await.is_empty());
    let still = s.t.get("/api/v1/notifications?unread=true", &s.senior_auth).await.json();
    assert_eq!(still["data"].as_array().expect("data").len(), 3, "nothing marked by the other agent");
    let customer = s.t.token_for(&s.d.cust_member).await;
    assert_eq!(s.t.get("/api/v1/notifications", &customer).await.status, 403);
}
on_both_engines!(notifications_are_their_owners, nobody_reads_another_bell);

async fn unknown_kinds_are_refused(db: TestDb) {
    let s = setup(db).await;
    let long = "k".repeat(100_000);
    for kind in ["ticket_deleted", "password_reset", "public_reply", "ticket_assigned", long.as_str()] {
        let body = json!({"settings": [{"kind": "ticket_assigned", "in_app": false, "email": false}, {"kind": kind, "in_app": true, "email": true}]});
        let r = s.t.json(axum::http::Method::PUT, "/api/v1/me/notification-settings", &s.agent, &body).await;
        let short = &kind[..kind.len().min(20)];
        assert_eq!(
            (r.status.as_u16(), r.json()["error"]["field"].clone()),
            (422, json!("settings[1].kind")),
            "{short}: {}",
            &r.text()[..200.min(r.text().len())]
        );
        assert!(r.text().len() < 1000, "the message does not echo a huge kind");
    }
    let settings = s.t.get("/api/v1/me/notification-settings", &s.agent).await.json();
    assert!(
        settings.as_array().expect("list").iter().all(|p| p["in_app"] == true && p["email"] == true),
        "a refused save changes nothing: {settings}"
    );
}
on_both_engines!(notification_settings_refuse_unknown_kinds, unknown_kinds_are_refused);

async fn settings_page_saves_the_switches(db: TestDb) {
    let s = setup(db).await;
    let cookie = s.t.login(&s.senior.email).await;
    let page = s.t.get("/settings/notifications", &cookie).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("A ticket is escalated to my step"));
    // Only what is ticked is on.
    let r = s.t.post_form("/settings/notifications", &cookie, &[("ticket_escalated.in_app", "on"), ("help_requested.email", "on")]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let settings = s.t.get("/api/v1/me/notification-settings", &s.senior_auth).await.json();
    let got: Vec<(String, bool, bool)> = settings
        .as_array()
        .expect("list")
        .iter()
        .map(|p| (p["kind"].as_str().unwrap_or_default().to_string(), p["in_app"] == true, p["email"] == true))
        .collect();
    assert_eq!(
        got,
        vec![
            ("ticket_assigned".to_string(), false, false),
            ("ticket_escalated".to_string(), true, false),
            ("help_requested".to_string(), false, true),
            ("sla_warning".to_string(), false, false),
            ("rule_notice".to_string(), false, false)
        ]
    );
    // The page shows what was saved: ticked exactly where it is on.
    let html = s.t.get("/settings/notifications", &cookie).await.text();
    for (kind, in_app, email) in got {
        for (channel, on) in [("in_app", in_app), ("email", email)] {
            let input = html.split(&format!("name=\"{kind}.{channel}\"")).nth(1).expect("the switch").split('>').next().unwrap_or_default();
            assert_eq!(input.contains(" checked"), on, "{kind}.{channel}: {input}");
        }
    }
}
on_both_engines!(notification_settings_page, settings_page_saves_the_switches);

async fn parallel_switch_saves_leave_one_answer(db: TestDb) {
    let s = setup(db).await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let (app, actor) = (s.t.app.clone(), s.senior.actor());
        tasks.push(tokio::spawn(async move {
            let on = n % 2 == 0;
            app.set_notification_preferences(&actor, &[("help_requested".to_string(), on, !on)]).await
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("every save succeeds: an upsert never conflicts");
    }
    let settings = s.t.get("/api/v1/me/notification-settings", &s.senior_auth).await.json();
    let mine = settings.as_array().expect("list").iter().filter(|p| p["kind"] == "help_requested").cloned().collect::<Vec<_>>();
    assert_eq!(mine.len(), 1, "{settings}");
    assert_ne!(mine[0]["in_app"], mine[0]["email"], "one save's pair, never a mix: {settings}");
}
on_both_engines!(parallel_notification_setting_saves, parallel_switch_saves_leave_one_answer);

/// Bad query values name their parameter (not a word of the parser's
/// message); a cursor outside the documented pattern is refused.
async fn bad_query_values_name_their_parameter(db: TestDb) {
    let s = setup(db).await;
    for (query, field) in [
        ("unread=maybe", "unread"),
        ("limit=abc", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("cursor=-1", "cursor"),
        ("cursor=1234567890123456789", "cursor"),
    ] {
        let r = s.t.get(&format!("/api/v1/notifications?{query}"), &s.agent).await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (400, json!(field)), "{query}: {}", r.text());
    }
    assert_eq!(s.t.get("/api/v1/notifications?unread=true&limit=5", &s.agent).await.status, 200);
}
on_both_engines!(notification_list_bad_query, bad_query_values_name_their_parameter);
