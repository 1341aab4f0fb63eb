//! Automatic rules and the scheduler, through the API, the rules page and
//! the scheduler's tick, on both engines: a rule fires once per ticket and
//! condition instance (also with two ticks at once), each firing is in the
//! ticket's history, a rule action and an agent's edit at once both land,
//! and a rule naming a team or user that is gone is refused at save or
//! disabled with a visible reason.

use chrono::{DateTime, Duration, Utc};
use frontline_domain::authz::Actor;
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("instant").with_timezone(&Utc)
}

/// A desk whose clock stands still at a Monday morning.
async fn desk(db: TestDb) -> (TestApp, Desk, Auth) {
    let t = TestApp::new(db).await;
    t.clock.set(utc("2026-03-02T09:00:00Z"));
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    (t, d, admin)
}

async fn create_rule(t: &TestApp, admin: &Auth, body: Value) -> i64 {
    let r = t.post_json("/api/v1/rules", admin, &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().expect("id")
}

async fn tick(t: &TestApp) -> frontline_app::scheduler::TickReport {
    t.app.scheduler_tick(&Actor::System).await.expect("tick")
}

/// A ticket's history as (field, old, new).
async fn events(t: &TestApp, d: &Desk, id: i64) -> Vec<(String, Option<String>, Option<String>)> {
    let auth = t.token_for(&d.admin).await;
    let r = t.get(&format!("/api/v1/tickets/{id}/events?limit=200"), &auth).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_string(),
                e["old_value"].as_str().map(str::to_string),
                e["new_value"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// How many times a rule fired, as the tickets' histories say (the
/// `rule_fired` events naming it, over every ticket).
async fn firings(t: &TestApp, d: &Desk, rule: i64) -> i64 {
    let auth = t.token_for(&d.admin).await;
    let r = t.get("/api/v1/tickets?limit=100", &auth).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ids: Vec<i64> = r.json()["data"].as_array().expect("data").iter().map(|t| t["id"].as_i64().expect("id")).collect();
    assert!(ids.len() < 100, "one page holds every ticket of these tests");
    let mut n = 0;
    for id in ids {
        n += events(t, d, id).await.iter().filter(|e| e.0 == "rule_fired" && e.1.as_deref() == Some(&rule.to_string())).count() as i64;
    }
    n
}

fn count(events: &[(String, Option<String>, Option<String>)], field: &str) -> usize {
    events.iter().filter(|e| e.0 == field).count()
}

async fn ticket(t: &TestApp, d: &Desk, id: i64) -> Value {
    let r = t.get(&format!("/api/v1/tickets/{id}"), &t.token_for(&d.admin).await).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

async fn time_in_status_fires_once(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    let rule = create_rule(
        &t,
        &admin,
        json!({"name": "Stale new tickets", "condition": "time_in_status", "status": "new", "minutes": 30,
               "action": "set_priority", "new_priority": "urgent"}),
    )
    .await;
    t.clock.advance(Duration::minutes(29));
    assert_eq!(tick(&t).await.fired, 0, "29 minutes in 'new' is not 30");
    assert_eq!(ticket(&t, &d, d.ticket_a).await["priority"], "normal");

    t.clock.advance(Duration::minutes(2));
    assert_eq!(tick(&t).await.fired, 2, "both new tickets, once each");
    assert_eq!(ticket(&t, &d, d.ticket_a).await["priority"], "urgent");
    let history = events(&t, &d, d.ticket_a).await;
    assert!(history.contains(&("rule_fired".into(), Some(rule.to_string()), Some("Stale new tickets".into()))), "{history:?}");
    assert!(history.iter().any(|e| e.0 == "priority" && e.2.as_deref() == Some("urgent")), "{history:?}");

    t.clock.advance(Duration::minutes(60));
    assert_eq!(tick(&t).await.fired, 0, "the same stay in 'new' never fires twice");
    assert_eq!(count(&events(&t, &d, d.ticket_a).await, "rule_fired"), 1);
    assert_eq!(firings(&t, &d, rule).await, 2);

    // The ticket page says so, in words.
    let page = t.get(&format!("/tickets/{}", d.ticket_a), &t.login("admin@vendor.example").await).await;
    let html = page.text();
    assert!(html.contains("rule &#34;Stale new tickets&#34; fired"), "{html}");
}
on_both_engines!(time_in_status_rule_fires_once_and_is_in_history, time_in_status_fires_once);

/// A new stay in the status is a new instance: it fires again.
async fn new_stay_fires_again(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    let agent = t.token_for(&d.agent).await;
    let rule = create_rule(
        &t,
        &admin,
        json!({"name": "Pending too long", "condition": "time_in_status", "status": "pending", "minutes": 60,
               "action": "reassign", "team_id": null, "to_team_id": d.team}),
    )
    .await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"status": "pending"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    t.clock.advance(Duration::minutes(61));
    assert_eq!(tick(&t).await.fired, 1);
    assert_eq!(ticket(&t, &d, d.ticket_a).await["team_id"], d.team);
    for status in ["open", "pending"] {
        let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"status": status})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    t.clock.advance(Duration::minutes(61));
    assert_eq!(tick(&t).await.fired, 1, "pending again, for another hour");
    assert_eq!(firings(&t, &d, rule).await, 2);
}
on_both_engines!(a_new_stay_in_the_status_fires_again, new_stay_fires_again);

/// Two ticks at once (two instances' runners) escalate each ticket once.
async fn parallel_ticks(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    let rule = create_rule(
        &t,
        &admin,
        json!({"name": "Unanswered an hour", "condition": "time_in_status", "status": "new", "minutes": 60, "action": "escalate"}),
    )
    .await;
    let mut ids = vec![d.ticket_a, d.ticket_b];
    for _ in 0..8 {
        ids.push(crate::authz::fresh_ticket(&t, &d).await);
    }
    t.clock.advance(Duration::minutes(61));
    let (a, b, c) =
        tokio::join!(t.app.scheduler_tick(&Actor::System), t.app.scheduler_tick(&Actor::System), t.app.scheduler_tick(&Actor::System));
    let fired = a.expect("a").fired + b.expect("b").fired + c.expect("c").fired;
    assert_eq!(fired, ids.len(), "each ticket fired once across the ticks");
    for id in &ids {
        let history = events(&t, &d, *id).await;
        assert_eq!(count(&history, "rule_fired"), 1, "ticket {id}: {history:?}");
        assert_eq!(count(&history, "escalated"), 1, "ticket {id}: one step, not two: {history:?}");
        let v = ticket(&t, &d, *id).await;
        assert_eq!((v["tier"].as_i64(), v["escalation_level"].as_i64()), (Some(2), Some(1)), "ticket {id} at tier 2: {v}");
    }
    assert_eq!(firings(&t, &d, rule).await, ids.len() as i64);
    // The escalation's note carries the rule's name as its reason.
    let notes = t.get(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &admin).await.json();
    assert!(notes.to_string().contains("Escalated to Tier 2: Unanswered an hour"), "{notes}");
}
on_both_engines!(two_ticks_at_once_fire_each_rule_once, parallel_ticks);

/// A rule's reassignment and an agent's tag edit at the same moment: both
/// land (neither carries a version), and the rule fires once.
async fn rule_vs_agent(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    let agent = t.token_for(&d.agent).await;
    let rule = create_rule(
        &t,
        &admin,
        json!({"name": "Give new tickets to the agent", "condition": "time_in_status", "status": "new", "minutes": 5,
               "action": "reassign", "assignee_id": d.agent.id}),
    )
    .await;
    t.clock.advance(Duration::minutes(6));
    let path = format!("/api/v1/tickets/{}", d.ticket_a);
    let body = json!({"tags": ["webhooks"]});
    let (report, edit) = tokio::join!(t.app.scheduler_tick(&Actor::System), t.patch_json(&path, &agent, &body));
    report.expect("tick");
    assert_eq!(edit.status, 200, "{}", edit.text());
    let v = ticket(&t, &d, d.ticket_a).await;
    assert_eq!(v["assignee"]["id"], d.agent.id, "{v}");
    assert_eq!(v["tags"], json!(["webhooks"]), "{v}");
    assert_eq!(firings(&t, &d, rule).await, 2, "ticket A and B, once each");
}
on_both_engines!(a_rule_and_an_agent_edit_at_once_both_land, rule_vs_agent);

/// A rule naming a team or user that does not exist (or is deactivated)
/// is refused at save, naming the field; nothing is written.
async fn refused_at_save(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    for (body, field) in [
        (json!({"name": "R", "condition": "near_breach", "team_id": 999_999, "action": "escalate"}), "team_id"),
        (json!({"name": "R", "condition": "near_breach", "action": "reassign", "assignee_id": 999_999}), "assignee_id"),
        (json!({"name": "R", "condition": "near_breach", "action": "reassign", "to_team_id": 999_999}), "to_team_id"),
        (json!({"name": "R", "condition": "near_breach", "action": "notify", "notify_user_ids": [d.cust_member.id]}), "notify_user_ids"),
        (json!({"name": "R", "condition": "time_in_status", "status": "pending", "action": "escalate"}), "minutes"),
        (json!({"name": "", "condition": "near_breach", "action": "escalate"}), "name"),
        (json!({"name": "R", "condition": "later", "action": "escalate"}), "condition"),
        (json!({"name": "R", "condition": "breached", "target": "lunch", "action": "escalate"}), "target"),
        (json!({"name": "R", "condition": "breached", "action": "set_priority"}), "new_priority"),
    ] {
        let r = t.post_json("/api/v1/rules", &admin, &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], field, "{body}: {}", r.text());
    }
    let r = t.get("/api/v1/rules", &admin).await;
    assert_eq!(r.json(), json!([]), "nothing half-written");
    // A stale version is a conflict.
    let id = create_rule(&t, &admin, json!({"name": "Kept", "condition": "near_breach", "action": "escalate"})).await;
    let body = json!({"name": "Kept", "condition": "near_breach", "action": "escalate", "version": 1});
    assert_eq!(t.json(axum::http::Method::PUT, &format!("/api/v1/rules/{id}"), &admin, &body).await.status, 200);
    let r = t.json(axum::http::Method::PUT, &format!("/api/v1/rules/{id}"), &admin, &body).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (409, json!("version")));
}
on_both_engines!(a_rule_naming_what_is_gone_is_refused_at_save, refused_at_save);

/// A user a rule names is deactivated later: the tick disables the rule
/// with the reason (the page shows it) and goes on with the other rules.
async fn disabled_later(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    let broken = create_rule(
        &t,
        &admin,
        json!({"name": "To Sam", "condition": "time_in_status", "status": "new", "minutes": 5, "action": "reassign", "assignee_id": d.agent.id}),
    )
    .await;
    let fine = create_rule(
        &t,
        &admin,
        json!({"name": "Urgent after 5", "condition": "time_in_status", "status": "new", "minutes": 5, "action": "set_priority", "new_priority": "urgent"}),
    )
    .await;
    let r = t.patch_json(&format!("/api/v1/users/{}", d.agent.id), &admin, &json!({"active": false})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    t.clock.advance(Duration::minutes(6));
    let report = tick(&t).await;
    assert_eq!((report.rules_disabled, report.fired), (1, 2), "{report:?}");
    let r = t.get(&format!("/api/v1/rules/{broken}"), &admin).await.json();
    assert_eq!(r["enabled"], false);
    assert!(r["disabled_reason"].as_str().expect("reason").starts_with("assignee_id:"), "{r}");
    assert_eq!(firings(&t, &d, broken).await, 0);
    assert_eq!(firings(&t, &d, fine).await, 2);
    assert_eq!(ticket(&t, &d, d.ticket_a).await["assignee"], Value::Null, "the disabled rule did nothing");
    let page = t.get("/admin/rules", &t.login("admin@vendor.example").await).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Disabled by the scheduler: assignee_id"), "{}", page.text());
    // Saving it again (with someone who works) clears the reason.
    let body = json!({"name": "To Sam", "condition": "time_in_status", "status": "new", "minutes": 5, "action": "reassign", "assignee_id": d.head.id});
    let r = t.json(axum::http::Method::PUT, &format!("/api/v1/rules/{broken}"), &admin, &body).await.json();
    assert_eq!((r["enabled"].clone(), r["disabled_reason"].clone()), (json!(true), Value::Null), "{r}");
}
on_both_engines!(a_rule_whose_user_is_gone_is_disabled_with_a_reason, disabled_later);

/// The form shows every field's message at once and keeps what was typed.
async fn form_errors(db: TestDb) {
    let (t, d, _admin) = desk(db).await;
    let session = t.login("admin@vendor.example").await;
    let r = t
        .post_form(
            "/admin/rules",
            &session,
            &[("name", "Typed name"), ("condition", "time_in_status"), ("status", ""), ("minutes", "soon"), ("action", "set_priority")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    let html = r.text();
    for field in ["status", "minutes", "new_priority"] {
        assert!(html.contains(&format!("id=\"err-{field}\"")), "{field} message missing");
    }
    assert!(html.contains("value=\"Typed name\"") && html.contains("value=\"soon\""), "what was typed is kept");
    let ok = t
        .post_form(
            "/admin/rules",
            &session,
            &[("name", "Near breach up"), ("enabled", "on"), ("condition", "near_breach"), ("action", "escalate")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text());
    let list = t.get("/admin/rules", &session).await.text();
    assert!(list.contains("Near breach up") && list.contains("escalate one step"), "{list}");
    // Only who can be given tickets is offered as the assignee (leadership reads, it does not work tickets).
    let assignees = list.split("id=\"r-assignee\"").nth(1).and_then(|s| s.split("</select>").next()).expect("assignee select");
    assert!(assignees.contains(&format!("value=\"{}\"", d.agent.id)), "{assignees}");
    assert!(!assignees.contains(&format!("value=\"{}\"", d.leadership.id)), "{assignees}");
    // Not an admin: no page.
    let head = t.login("head@vendor.example").await;
    assert_eq!(t.get("/admin/rules", &head).await.status, 403);
}
on_both_engines!(the_rules_form_shows_every_error_and_keeps_input, form_errors);

/// A notify rule mails the people it names, once.
async fn notify_mails(db: TestDb) {
    let (t, outbox) = TestApp::with_outbox(db).await;
    t.clock.set(utc("2026-03-02T09:00:00Z"));
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    create_rule(
        &t,
        &admin,
        json!({"name": "Tell the head", "condition": "time_in_status", "status": "new", "minutes": 15, "action": "notify",
               "notify_user_ids": [d.head.id], "priority": "normal"}),
    )
    .await;
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();
    t.clock.advance(Duration::minutes(16));
    assert_eq!(tick(&t).await.fired, 2);
    assert_eq!(tick(&t).await.fired, 0);
    t.app.run_due_jobs().await.expect("jobs");
    let sent = outbox.take_summary();
    let notices: Vec<_> = sent.iter().filter(|(k, _, _)| *k == frontline_domain::notification::NotificationKind::RuleNotice).collect();
    assert_eq!(notices.len(), 2, "{sent:?}");
    assert!(notices.iter().all(|(_, _, to)| to == &vec!["head@vendor.example".to_string()]), "{sent:?}");
}
on_both_engines!(a_notify_rule_mails_the_people_it_names_once, notify_mails);

/// The scheduler's job: one row however many runners start it; a tick run
/// by the job runner gives the row back, due at the next tick.
async fn one_scheduler_row(db: TestDb) {
    let (t, _d, _admin) = desk(db).await;
    for _ in 0..3 {
        t.store().ensure_singleton_job(&frontline_app::scheduler::SchedulerTick {}).await.expect("ensure");
    }
    let rows = |jobs: Vec<frontline_store::jobs::Job>| jobs.into_iter().filter(|j| j.kind == "scheduler.tick").collect::<Vec<_>>();
    assert_eq!(rows(t.store().list_jobs(100).await.expect("jobs")).len(), 1);
    t.app.run_due_jobs().await.expect("run");
    let after = rows(t.store().list_jobs(100).await.expect("jobs"));
    assert_eq!(after.len(), 1, "the tick stays, for the next one");
    assert!(after[0].run_at > t.app.now(), "due again later: {:?}", after[0].run_at);
    assert_eq!(after[0].attempts, 0);
    assert_eq!(t.app.run_due_jobs().await.expect("run"), 0, "not due yet");
    t.clock.advance(Duration::seconds(6));
    assert_eq!(t.app.run_due_jobs().await.expect("run"), 1, "due after the pause");
}
on_both_engines!(the_scheduler_is_one_recurring_job, one_scheduler_row);

/// Berlin office hours 09:00-17:00 on weekdays; normal tickets get a first
/// reply within one business hour.
async fn berlin_policy(t: &TestApp) {
    use frontline_domain::sla::{BusinessCalendar, CalendarSpec, PriorityTargets, SlaPolicy, Target, WeeklyHoursSpec};
    let store = t.store();
    let calendar = BusinessCalendar::new(&CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        hours: WeeklyHoursSpec::weekdays(&[("09:00", "17:00")]),
        holidays: vec![],
    })
    .expect("calendar");
    let calendar_id = store.create_calendar("Berlin office", &calendar, None).await.expect("calendar");
    let policy = SlaPolicy {
        conditions: vec![],
        targets: std::collections::BTreeMap::from([(
            frontline_domain::ticket::Priority::Normal,
            PriorityTargets { first_reply: Some(Target::business(60)), next_reply: None, resolution: Some(Target::business(480)) },
        )]),
        step_shares: std::collections::BTreeMap::new(),
    }
    .checked()
    .expect("policy");
    store
        .create_sla_policy(frontline_store::sla::PolicyInput { name: "Standard", calendar_id, policy: &policy }, None)
        .await
        .expect("policy");
}

/// Near breach: one warning per ticket and due time (history, and a mail to
/// the assignee), and a near-breach rule once; at the breach, a breach rule
/// about the first reply escalates once.
async fn warnings_and_breach_rules(db: TestDb) {
    let (t, outbox) = TestApp::with_outbox(db).await;
    // Monday 2 March 2026, 09:00 in Berlin: first replies due at 10:00 Berlin, warned at 09:45.
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &admin, &json!({"assignee_id": d.head.id})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let near = create_rule(
        &t,
        &admin,
        json!({"name": "Tell the manager when near", "condition": "near_breach", "action": "notify", "notify_user_ids": [d.manager.id]}),
    )
    .await;
    let breach = create_rule(
        &t,
        &admin,
        json!({"name": "First reply late", "condition": "breached", "target": "first_reply", "action": "escalate"}),
    )
    .await;
    let other_target =
        create_rule(&t, &admin, json!({"name": "Resolution late", "condition": "breached", "target": "resolution", "action": "escalate"}))
            .await;
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();

    let first = tick(&t).await;
    assert_eq!((first.sla_recomputed, first.warnings, first.fired), (2, 0, 0), "{first:?}");

    t.clock.set(utc("2026-03-02T08:50:00Z"));
    let warned = tick(&t).await;
    assert_eq!((warned.warnings, warned.fired), (2, 2), "both tickets warned, the near-breach rule on both: {warned:?}");
    let again = tick(&t).await;
    assert_eq!((again.warnings, again.fired), (0, 0), "once per due time: {again:?}");
    let history = events(&t, &d, d.ticket_a).await;
    assert_eq!(count(&history, "sla_warning"), 1, "{history:?}");
    assert!(history.contains(&("sla_warning".into(), Some("first_reply".into()), Some("2026-03-02T09:00:00+00:00".into()))), "{history:?}");
    t.app.run_due_jobs().await.expect("jobs");
    let mails = outbox.take_summary();
    let warnings: Vec<_> = mails.iter().filter(|(k, _, _)| *k == frontline_domain::notification::NotificationKind::SlaWarning).collect();
    let to = |id: i64| warnings.iter().filter(|w| w.1 == id).map(|w| w.2.clone()).collect::<Vec<_>>();
    let to_a: Vec<Vec<String>> = to(d.ticket_a)
        .into_iter()
        .map(|mut v| {
            v.sort();
            v
        })
        .collect();
    assert_eq!(
        to_a,
        vec![vec!["agent@vendor.example".to_string(), "head@vendor.example".to_string()]],
        "A's assignee and who works its step (tier 1): {mails:?}"
    );
    assert_eq!(to(d.ticket_b), vec![vec!["agent@vendor.example".to_string()]], "unassigned B: who works tier 1: {mails:?}");
    let notices = mails.iter().filter(|(k, _, to)| {
        *k == frontline_domain::notification::NotificationKind::RuleNotice && to == &vec!["manager@vendor.example".to_string()]
    });
    assert_eq!(notices.count(), 2, "{mails:?}");
    // The same jobs rang the bells: the warning says which target falls due when.
    let bell = |who: &frontline_store::User| {
        let t = &t;
        let who = who.clone();
        async move {
            let r = t.get("/api/v1/notifications", &t.token_for(&who).await).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let items = r.json()["data"].as_array().expect("data").clone();
            items
                .iter()
                .map(|n| (n["kind"].as_str().unwrap_or_default().to_string(), n["ticket_id"].clone(), n["detail"].clone()))
                .collect::<Vec<_>>()
        }
    };
    let head_bell: Vec<_> = bell(&d.head).await.into_iter().filter(|n| n.0 == "sla_warning").collect();
    assert_eq!(head_bell, vec![("sla_warning".to_string(), json!(d.ticket_a), json!("first reply due 2026-03-02 09:00 UTC"))]);
    let manager_bell = bell(&d.manager).await;
    assert_eq!(manager_bell.iter().filter(|n| n.0 == "rule_notice").count(), 2, "{manager_bell:?}");

    t.clock.set(utc("2026-03-02T09:10:00Z"));
    let late = tick(&t).await;
    assert_eq!(late.fired, 2, "the first-reply rule, on both tickets: {late:?}");
    assert_eq!(tick(&t).await.fired, 0);
    let history = events(&t, &d, d.ticket_b).await;
    assert_eq!(count(&history, "escalated"), 1, "{history:?}");
    assert!(history.contains(&("rule_fired".into(), Some(breach.to_string()), Some("First reply late".into()))), "{history:?}");
    assert_eq!(firings(&t, &d, near).await, 2);
    assert_eq!(firings(&t, &d, other_target).await, 0, "resolution is not breached");
}
on_both_engines!(near_breach_warns_once_and_breach_rules_fire_once, warnings_and_breach_rules);

/// A breach rule about one target reads the tickets breached on that
/// target, however many breached earlier on another one. It used to read
/// every breached ticket in breach order and pick the target out of the
/// stored state, so a batch full of first-reply breaches held a resolution
/// breach back for good.
async fn a_target_breach_rule_is_not_held_up_by_other_breaches_run(db: TestDb) {
    let t = TestApp::new(db).await;
    // Monday 2 March 2026, 09:00 in Berlin: A and B open; both get their first reply in time.
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    let (admin, agent, customer) = (t.token_for(&d.admin).await, t.token_for(&d.agent).await, t.token_for(&d.cust_member).await);
    t.clock.set(utc("2026-03-02T08:30:00Z"));
    for id in [d.ticket_a, d.ticket_b] {
        let r = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "Looking into it."})).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // C opens at 15:00 Berlin: its first reply is due at 16:00 and never comes.
    t.clock.set(utc("2026-03-02T14:00:00Z"));
    let r = t.post_json("/api/v1/tickets", &customer, &json!({"subject": "Export stuck", "body": "Since lunch."})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json()["id"].as_i64().expect("id");
    let resolution =
        create_rule(&t, &admin, json!({"name": "Resolution late", "condition": "breached", "target": "resolution", "action": "escalate"}))
            .await;
    let first_reply = create_rule(
        &t,
        &admin,
        json!({"name": "First reply late", "condition": "breached", "target": "first_reply", "action": "escalate"}),
    )
    .await;
    // 17:30 Berlin: C breached its first reply at 16:00, A and B their resolution at 17:00.
    t.clock.set(utc("2026-03-02T16:30:00Z"));
    t.app.sla_pass(&Actor::System, 100).await.expect("pass");
    let candidates = |rule: i64, limit: i64| {
        let t = &t;
        async move {
            let spec = t.store().get_rule(rule).await.expect("read").expect("rule").spec;
            let found = t.store().rule_candidates(rule, &spec, limit).await.expect("candidates");
            found.into_iter().map(|c| (c.ticket_id, c.instance)).collect::<Vec<_>>()
        }
    };
    let first = candidates(resolution, 1).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!([d.ticket_a, d.ticket_b].contains(&first[0].0), "a resolution breach comes first, not C: {first:?}");
    assert_eq!(first[0].1, utc("2026-03-02T16:00:00Z"));
    assert_eq!(candidates(first_reply, 10).await, vec![(c, utc("2026-03-02T15:00:00Z"))]);
    let fired = tick(&t).await;
    assert_eq!(fired.fired, 3, "{fired:?}");
    assert_eq!((firings(&t, &d, resolution).await, firings(&t, &d, first_reply).await), (2, 1));
}
on_both_engines!(a_target_breach_rule_is_not_held_up_by_other_breaches, a_target_breach_rule_is_not_held_up_by_other_breaches_run);

/// Three ticks at once at the warning time: each ticket is warned once, a
/// notify rule and a priority rule fire once per ticket, and each mail goes
/// out once (the warning, the firing and its mail job are one write).
async fn parallel_warnings_and_notices(db: TestDb) {
    let (t, outbox) = TestApp::with_outbox(db).await;
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let notify = create_rule(
        &t,
        &admin,
        json!({"name": "Tell the manager", "condition": "near_breach", "action": "notify", "notify_user_ids": [d.manager.id]}),
    )
    .await;
    let raise = create_rule(
        &t,
        &admin,
        json!({"name": "Raise when near", "condition": "near_breach", "action": "set_priority", "new_priority": "high"}),
    )
    .await;
    tick(&t).await;
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();

    t.clock.set(utc("2026-03-02T08:50:00Z"));
    let (a, b, c) =
        tokio::join!(t.app.scheduler_tick(&Actor::System), t.app.scheduler_tick(&Actor::System), t.app.scheduler_tick(&Actor::System));
    let reports = [a.expect("a"), b.expect("b"), c.expect("c")];
    assert_eq!(reports.iter().map(|r| r.warnings).sum::<usize>(), 2, "{reports:?}");
    for id in [d.ticket_a, d.ticket_b] {
        let history = events(&t, &d, id).await;
        assert_eq!(count(&history, "sla_warning"), 1, "ticket {id}: {history:?}");
        assert_eq!(count(&history, "rule_fired"), 2, "ticket {id}: each rule once: {history:?}");
        assert_eq!(ticket(&t, &d, id).await["priority"], "high");
    }
    assert_eq!((firings(&t, &d, notify).await, firings(&t, &d, raise).await), (2, 2));
    t.app.run_due_jobs().await.expect("jobs");
    let sent = outbox.take_summary();
    let of = |kind| sent.iter().filter(|(k, _, _)| *k == kind).count();
    assert_eq!(of(frontline_domain::notification::NotificationKind::SlaWarning), 2, "one warning mail per ticket: {sent:?}");
    assert_eq!(of(frontline_domain::notification::NotificationKind::RuleNotice), 2, "one notice per ticket: {sent:?}");
}
on_both_engines!(parallel_ticks_warn_and_notify_once, parallel_warnings_and_notices);

/// The scheduler disabling a rule whose user left, while an admin saves it
/// with someone who is here: one of them wins whole. Either the admin's
/// rule is on with no reason, or the admin's save (carrying the version it
/// read) is a 409 and the rule is off with the reason; never the admin's
/// rule off, nor the broken rule on.
async fn save_vs_disable(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    let gone = crate::fixtures::staff(&t, "gone@vendor.example", "Gone Soon", "Support Specialist").await;
    for round in 0..6 {
        let name = format!("To whoever, round {round}");
        let id = create_rule(
            &t,
            &admin,
            json!({"name": name, "condition": "time_in_status", "status": "solved", "minutes": 5, "action": "reassign", "assignee_id": gone.id}),
        )
        .await;
        let read = t.get(&format!("/api/v1/rules/{id}"), &admin).await.json();
        let r = t.patch_json(&format!("/api/v1/users/{}", gone.id), &admin, &json!({"active": false})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = json!({"name": name, "condition": "time_in_status", "status": "solved", "minutes": 5, "action": "reassign",
                          "assignee_id": d.head.id, "version": read["version"]});
        let path = format!("/api/v1/rules/{id}");
        let (saved, ticked) = tokio::join!(t.json(axum::http::Method::PUT, &path, &admin, &body), t.app.scheduler_tick(&Actor::System));
        ticked.expect("tick");
        let now = t.get(&path, &admin).await.json();
        match saved.status.as_u16() {
            200 => assert_eq!(
                (now["enabled"].clone(), now["disabled_reason"].clone(), now["assignee_id"].clone()),
                (json!(true), Value::Null, json!(d.head.id)),
                "round {round}: the admin's save won: {now}"
            ),
            409 => {
                assert_eq!((now["enabled"].clone(), now["assignee_id"].clone()), (json!(false), json!(gone.id)), "round {round}: {now}");
                assert!(now["disabled_reason"].as_str().is_some_and(|r| r.starts_with("assignee_id:")), "round {round}: {now}");
            }
            other => panic!("round {round}: {other} {}", saved.text()),
        }
        let r = t.patch_json(&format!("/api/v1/users/{}", gone.id), &admin, &json!({"active": true})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
}
on_both_engines!(a_rule_saved_while_the_scheduler_disables_it_ends_whole, save_vs_disable);

/// A body wrong in its format and in what it names is told of both in one
/// answer: the first in `field`, every one in `errors`; nothing is saved.
async fn format_and_references_at_once(db: TestDb) {
    let (t, _d, admin) = desk(db).await;
    let body = json!({"name": "", "condition": "near_breach", "team_id": 999_999, "action": "reassign", "assignee_id": 999_998,
                      "to_team_id": -3});
    let r = t.post_json("/api/v1/rules", &admin, &body).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let error = &r.json()["error"];
    assert_eq!((error["code"].clone(), error["field"].clone()), (json!("invalid_field"), json!("name")), "{error}");
    let fields: Vec<&str> = error["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, ["name", "to_team_id", "team_id", "assignee_id"], "{error}");
    let messages: Vec<&str> = error["errors"].as_array().expect("errors").iter().map(|e| e["message"].as_str().expect("message")).collect();
    assert!(messages[2].contains("team 999999 does not exist") && messages[3].contains("user 999998"), "{error}");
    // The same through PUT.
    let id = create_rule(&t, &admin, json!({"name": "Kept", "condition": "near_breach", "action": "escalate"})).await;
    let r = t.json(axum::http::Method::PUT, &format!("/api/v1/rules/{id}"), &admin, &body).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["error"]["errors"].as_array().map(Vec::len), Some(4), "{}", r.text());
    // A single problem has no list: `field` and `message` say it all.
    let r = t
        .post_json("/api/v1/rules", &admin, &json!({"name": "R", "condition": "near_breach", "action": "escalate", "team_id": 999_999}))
        .await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("team_id")));
    assert!(r.json()["error"].get("errors").is_none(), "{}", r.text());
    let names: Vec<Value> =
        t.get("/api/v1/rules", &admin).await.json().as_array().expect("rules").iter().map(|r| r["name"].clone()).collect();
    assert_eq!(names, [json!("Kept")], "nothing half-written");
}
on_both_engines!(a_rule_is_told_its_format_and_reference_problems_at_once, format_and_references_at_once);

/// A member the rule's condition or action does not use is refused,
/// naming it, rather than dropped.
async fn unused_values(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    for (body, field) in [
        (json!({"name": "R", "condition": "near_breach", "action": "escalate", "assignee_id": d.agent.id}), "assignee_id"),
        (json!({"name": "R", "condition": "near_breach", "action": "notify", "notify_step": "tier_2", "to_team_id": d.team}), "to_team_id"),
        (json!({"name": "R", "condition": "near_breach", "action": "reassign", "new_priority": "high"}), "new_priority"),
        (
            json!({"name": "R", "condition": "near_breach", "action": "set_priority", "new_priority": "high", "notify_user_ids": [d.manager.id]}),
            "notify_user_ids",
        ),
        (json!({"name": "R", "condition": "near_breach", "action": "escalate", "notify_step": "tier_2"}), "notify_step"),
        (json!({"name": "R", "condition": "breached", "action": "escalate", "status": "pending"}), "status"),
        (json!({"name": "R", "condition": "near_breach", "action": "escalate", "minutes": 30}), "minutes"),
    ] {
        let r = t.post_json("/api/v1/rules", &admin, &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], field, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["code"], "invalid_field", "{body}: {}", r.text());
    }
    assert_eq!(t.get("/api/v1/rules", &admin).await.json(), json!([]), "nothing saved");
    // Empty values are not values: a form's empty selects pass.
    let session = t.login("admin@vendor.example").await;
    let r = t
        .post_form(
            "/admin/rules",
            &session,
            &[
                ("name", "Up"),
                ("condition", "near_breach"),
                ("status", ""),
                ("minutes", ""),
                ("action", "escalate"),
                ("assignee_id", ""),
                ("new_priority", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
}
on_both_engines!(a_rule_member_its_action_does_not_use_is_refused, unused_values);

/// The form shows format problems, missing teams and people, and values the
/// action does not use, all in one submit, each at its input, with what was
/// typed kept.
async fn form_every_problem_at_once(db: TestDb) {
    let (t, d, admin) = desk(db).await;
    let session = t.login("admin@vendor.example").await;
    let team = d.team.to_string();
    let r = t
        .post_form(
            "/admin/rules",
            &session,
            &[
                ("name", "Typed name"),
                ("condition", "time_in_status"),
                ("status", ""),
                ("minutes", "soon"),
                ("team_id", "999999"),
                ("action", "notify"),
                ("notify_user_ids", "999998"),
                ("to_team_id", &team),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    let html = r.text();
    for (field, message) in [
        ("status", "needs a status"),
        ("minutes", "whole number"),
        ("team_id", "team 999999 does not exist"),
        ("notify_user_ids", "user 999998 does not exist"),
        ("to_team_id", "only a reassign rule"),
    ] {
        let at = html.split(&format!("id=\"err-{field}\">")).nth(1).unwrap_or_else(|| panic!("no message at {field}: {html}"));
        let shown = at.split("</p>").next().unwrap_or_default();
        assert!(shown.contains(message), "{field}: {message:?}, shown {shown:?}");
    }
    assert!(html.contains("value=\"Typed name\"") && html.contains("value=\"soon\""), "what was typed is kept");
    assert_eq!(t.get("/api/v1/rules", &admin).await.json(), json!([]), "nothing saved");
}
on_both_engines!(the_rules_form_shows_format_and_reference_problems_at_once, form_every_problem_at_once);
