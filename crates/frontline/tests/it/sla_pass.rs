//! The SLA pass keeps each ticket's stored SLA state (due time, near-breach
//! time, next check) equal to what the ticket's history says now: it takes
//! in every write, wakes at the instants time alone changes something, and
//! never loses a write made while it computed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use frontline_domain::authz::Actor;
use frontline_domain::sla::{BusinessCalendar, CalendarSpec, PriorityTargets, SlaPolicy, Target, TargetKind, WeeklyHoursSpec};
use frontline_domain::ticket::Priority;
use frontline_store::sla::PolicyInput;
use frontline_store::sla_state::SlaResult;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("instant").with_timezone(&Utc)
}

/// Berlin office hours 09:00-17:00 on weekdays; normal tickets get a first
/// reply within one business hour and a resolution within eight.
async fn berlin_policy(t: &TestApp) -> i64 {
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
        targets: BTreeMap::from([(
            Priority::Normal,
            PriorityTargets { first_reply: Some(Target::business(60)), next_reply: None, resolution: Some(Target::business(480)) },
        )]),
        step_shares: BTreeMap::new(),
    }
    .checked()
    .expect("policy");
    store.create_sla_policy(PolicyInput { name: "Standard", calendar_id, policy: &policy }, None).await.expect("policy")
}

async fn pass(t: &TestApp) -> frontline_app::sla::SlaPassReport {
    t.app.sla_pass(&Actor::System, 100).await.expect("pass")
}

async fn the_pass_follows_writes_and_time_run(db: TestDb) {
    let t = TestApp::new(db).await;
    // Monday 2 March 2026, 09:00 in Berlin.
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    let policy = berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    let id = d.ticket_b;
    let report = pass(&t).await;
    assert_eq!((report.recomputed, report.more), (2, false), "both new tickets, once");
    let stored = t.store().stored_sla(id).await.expect("read").expect("stored");
    assert_eq!(stored.policy_id, Some(policy));
    assert_eq!(stored.due_target.as_deref(), Some("first_reply"));
    assert_eq!(stored.due_at, Some(utc("2026-03-02T09:00:00Z")), "one business hour after 09:00 Berlin");
    assert_eq!(stored.ticket_due_at, stored.due_at, "the queue's column says the same");
    assert_eq!(stored.warn_at, Some(utc("2026-03-02T08:45:00Z")), "a quarter of the hour before");
    assert_eq!(stored.next_check_at, stored.warn_at);
    assert_eq!((stored.dirty, stored.breached_at), (0, None));
    assert_eq!(pass(&t).await.recomputed, 0, "nothing changed, nothing due");

    // Time alone: at the warning instant the pass looks again, and next at the due time.
    t.clock.set(utc("2026-03-02T08:50:00Z"));
    assert_eq!(pass(&t).await.recomputed, 2, "both tickets came near breach at 08:45");
    let stored = t.store().stored_sla(id).await.expect("read").expect("stored");
    assert_eq!(stored.next_check_at, Some(utc("2026-03-02T09:00:00Z")));
    t.clock.set(utc("2026-03-02T09:10:00Z"));
    pass(&t).await;
    let stored = t.store().stored_sla(id).await.expect("read").expect("stored");
    assert_eq!(stored.breached_at, Some(utc("2026-03-02T09:00:00Z")), "no reply within the hour");

    // A reply is a write: the ticket is dirty until the pass takes it in.
    let agent = t.token_for(&d.agent).await;
    let r = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "Looking into the SAML loop."})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(t.store().sla_dirty(id).await.expect("read").expect("ticket") > 0);
    pass(&t).await;
    let stored = t.store().stored_sla(id).await.expect("read").expect("stored");
    assert_eq!(stored.due_target.as_deref(), Some("resolution"), "the first reply was given");
    assert_eq!(stored.due_at, Some(utc("2026-03-02T16:00:00Z")), "eight business hours after 09:00 Berlin");
    assert_eq!(stored.breached_at, None, "the breached first reply is over; resolution is not breached");

    // Pending pauses every clock: nothing is due, nothing to check.
    let r = t
        .post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "Can you send the SAML trace?", "status": "pending"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    pass(&t).await;
    let stored = t.store().stored_sla(id).await.expect("read").expect("stored");
    assert_eq!((stored.paused, stored.due_at, stored.ticket_due_at, stored.next_check_at), (true, None, None, None));

    // What the pass stored is what the ticket's live state says.
    let head = d.head.actor();
    let live = t.app.ticket_sla(&head, id).await.expect("live").expect("a policy applies");
    assert_eq!((live.policy_id, live.policy_name.as_str(), live.time_zone.as_str()), (policy, "Standard", "Europe/Berlin"));
    assert_eq!((live.state.paused, live.state.next_due()), (true, None));
    // Customers never get it.
    assert!(t.app.ticket_sla(&d.foreign_admin.actor(), id).await.expect("own ticket").is_none());
    assert!(t.app.ticket_sla(&d.cust_admin.actor(), id).await.is_err(), "another organization's ticket is not found");
    // Only the system runs the pass.
    assert!(t.app.sla_pass(&d.admin.actor(), 10).await.is_err());
}
on_both_engines!(the_pass_follows_writes_and_time, the_pass_follows_writes_and_time_run);

/// A write that lands while the pass computes is not lost: the stale
/// result is refused and the ticket stays dirty for the next batch, also
/// when another pass saved in between (the count read then cannot come back).
async fn a_write_during_the_pass_keeps_the_ticket_dirty_run(db: TestDb) {
    let t = TestApp::new(db).await;
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    let id = d.ticket_a;
    let read = || async { t.store().sla_tickets(&[id]).await.expect("read").remove(0).expect("readable") };
    // Passes A and B read the same ticket; B saves first.
    let (a, b) = (read().await, read().await);
    let saved = t.store().save_sla(&[SlaResult { ticket_id: id, seen_dirty: b.dirty, record: None }]).await.expect("save");
    assert_eq!((saved, t.store().sla_dirty(id).await.expect("read")), (1, Some(0)));
    let agent = t.token_for(&d.agent).await;
    let r = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "On it."})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(t.store().sla_dirty(id).await.expect("read"), Some(1));
    let kept = t.store().save_sla(&[SlaResult { ticket_id: id, seen_dirty: a.dirty, record: None }]).await.expect("save");
    assert_eq!(kept, 0, "A computed before the reply: refused");
    assert!(t.store().sla_work(10).await.expect("work").ids.contains(&id), "still waiting for the pass");
    pass(&t).await;
    let stored = t.store().stored_sla(id).await.expect("read").expect("stored");
    assert_eq!(stored.due_target.as_deref(), Some("resolution"), "the reply was taken in");
}
on_both_engines!(a_write_during_the_pass_keeps_the_ticket_dirty, a_write_during_the_pass_keeps_the_ticket_dirty_run);

/// A ticket whose history the clock cannot read does not stop the pass:
/// the others are computed, and it is not met again until its next write.
async fn a_broken_history_does_not_stop_the_pass_run(db: TestDb) {
    let t = TestApp::new(db).await;
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    // A status no release ever wrote, put there behind the app's back.
    let sql = format!(
        "INSERT INTO ticket_events (ticket_id, field, old_value, new_value, created_at) VALUES ({}, 'status', 'new', 'archived', '2026-03-02T08:00:00Z')",
        d.ticket_a
    );
    match t.engine() {
        frontline_testkit::Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&t.db.url).await.expect("sqlite");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.expect("insert");
        }
        frontline_testkit::Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&t.db.url).await.expect("postgres");
            sqlx::query(sqlx::AssertSqlSafe(sql.replace("'2026-03-02T08:00:00Z'", "'2026-03-02T08:00:00Z'::timestamptz")))
                .execute(&pool)
                .await
                .expect("insert");
        }
    }
    let report = pass(&t).await;
    assert_eq!(report.recomputed, 2, "both taken in: one measured, one set aside");
    assert!(t.store().stored_sla(d.ticket_b).await.expect("read").is_some(), "the readable ticket is measured");
    assert!(t.store().stored_sla(d.ticket_a).await.expect("read").is_none(), "the broken one has no SLA");
    assert_eq!(t.store().sla_dirty(d.ticket_a).await.expect("read"), Some(0), "and is not met again");
    assert_eq!(pass(&t).await.recomputed, 0);
}
on_both_engines!(a_broken_history_does_not_stop_the_pass, a_broken_history_does_not_stop_the_pass_run);

/// Replies, passes and policy edits at once on one ticket: when all is
/// done and one last pass ran, the stored state is the live one.
async fn parallel_writes_and_passes_end_consistent_run(db: TestDb) {
    let t = std::sync::Arc::new(TestApp::new(db).await);
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    let policy_id = berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    let id = d.ticket_a;
    let agent = t.token_for(&d.agent).await;
    let customer = t.token_for(&d.cust_member).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (writer, auth) = (t.clone(), if i % 2 == 0 { agent.clone() } else { customer.clone() });
        tasks.push(tokio::spawn(async move {
            let t = writer;
            t.clock.advance(Duration::minutes(3));
            let r = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &auth, &json!({"body": format!("message {i}")})).await;
            assert_eq!(r.status, 201, "{}", r.text());
        }));
        let passer = t.clone();
        tasks.push(tokio::spawn(async move {
            passer.app.sla_pass(&Actor::System, 10).await.expect("pass");
        }));
        if i % 3 == 0 {
            // The resolution target moves between 8 and 9 business hours.
            let editor = t.clone();
            tasks.push(tokio::spawn(async move {
                let store = editor.store();
                let current = store.get_sla_policy(policy_id).await.expect("read").expect("policy");
                let mut policy = current.policy.clone();
                let minutes = if i % 2 == 0 { 540 } else { 480 };
                policy.targets.get_mut(&Priority::Normal).expect("normal").resolution = Some(Target::business(minutes));
                let input = PolicyInput { name: "Standard", calendar_id: current.calendar_id, policy: &policy };
                store.update_sla_policy(policy_id, input, None, None).await.expect("edit");
            }));
        }
    }
    for task in tasks {
        task.await.expect("task");
    }
    pass(&t).await;
    let stored = t.store().stored_sla(id).await.expect("read").expect("stored");
    let live = t.app.ticket_sla(&d.head.actor(), id).await.expect("live").expect("policy");
    assert_eq!(stored.dirty, 0);
    assert_eq!(stored.due_at, live.state.next_due().map(|d| d.1));
    assert_eq!(stored.due_target.as_deref(), live.state.next_due().map(|d| d.0.as_str()));
    assert_eq!(stored.breached_at, live.state.breached_at());
    let by_target = [stored.first_reply_breached_at, stored.next_reply_breached_at, stored.resolution_breached_at];
    assert_eq!(by_target, TargetKind::ALL.map(|k| live.state.target_breached_at(k)));
    // What the edits move is what falls due next, so the due time above checks them.
    assert_eq!(live.state.next_due().map(|d| d.0), Some(TargetKind::Resolution));
}
on_both_engines!(parallel_writes_and_passes_end_consistent, parallel_writes_and_passes_end_consistent_run);

/// A tick's SLA share is bounded: when more tickets wait than fit in it
/// (a policy edit marks every open ticket), the tick goes on to warnings
/// and rules with the rest left, says so, and the next tick takes it up.
async fn a_tick_leaves_a_long_recompute_to_the_next_run(db: TestDb) {
    use frontline_domain::ticket::{Channel, Status, TicketType};
    use frontline_store::bulk::BulkTicket;
    let t = TestApp::new(db).await;
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    let at = utc("2026-03-02T08:00:00Z");
    let many: Vec<BulkTicket> = (0..frontline_app::scheduler::SLA_BATCH + 100)
        .map(|i| BulkTicket {
            subject: format!("Sync failed {i}"),
            status: Status::Open,
            priority: Priority::Normal,
            ticket_type: TicketType::Question,
            channel: Channel::Web,
            requester_id: d.cust_member.id,
            organization_id: d.cust_member.organization_id,
            assignee_id: None,
            team_id: None,
            tier: 1,
            escalation_level: 0,
            tags: vec![],
            created_at: at,
            updated_at: at,
            solved_at: None,
        })
        .collect();
    t.store().bulk_insert_tickets(&many).await.expect("tickets");
    let waiting = many.len() + 2;
    let first = t.app.scheduler_tick_with(&Actor::System, std::time::Duration::ZERO).await.expect("tick");
    assert_eq!((first.sla_recomputed, first.more), (frontline_app::scheduler::SLA_BATCH, true), "{first:?}");
    let second = t.app.scheduler_tick(&Actor::System).await.expect("tick");
    assert_eq!((second.sla_recomputed, second.more), (waiting - frontline_app::scheduler::SLA_BATCH, false), "{second:?}");
    assert_eq!(t.store().sla_work(10).await.expect("work").ids, Vec::<i64>::new(), "nothing left");
}
on_both_engines!(a_tick_leaves_a_long_recompute_to_the_next, a_tick_leaves_a_long_recompute_to_the_next_run);

/// Tickets whose check time came and that were written too count once in
/// a batch, which then comes out short; the pass still says more wait, so
/// the scheduler goes on at once instead of leaving them for a later tick.
async fn a_short_batch_still_says_more_wait_run(db: TestDb) {
    let t = TestApp::new(db).await;
    t.clock.set(utc("2026-03-02T08:00:00Z"));
    berlin_policy(&t).await;
    let d = Desk::new(&t).await;
    let customer = t.token_for(&d.cust_member).await;
    let mut ids = vec![d.ticket_a, d.ticket_b];
    for i in 0..3 {
        let r = t.post_json("/api/v1/tickets", &customer, &json!({"subject": format!("Export {i}"), "body": "Stuck."})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push(r.json()["id"].as_i64().expect("id"));
    }
    pass(&t).await;
    // Past every ticket's warning time, and each written to since.
    t.clock.set(utc("2026-03-02T08:50:00Z"));
    let agent = t.token_for(&d.agent).await;
    for id in &ids {
        let r = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "Checking.", "kind": "internal"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let mut runs = vec![];
    loop {
        let r = t.app.sla_pass(&Actor::System, 4).await.expect("pass");
        runs.push((r.recomputed, r.more));
        if !r.more {
            break;
        }
        assert!(runs.len() < 10, "{runs:?}");
    }
    assert_eq!(runs, vec![(2, true), (2, true), (1, false)], "each batch two tickets met twice");
    assert_eq!(t.store().sla_work(10).await.expect("work").ids, Vec::<i64>::new());
}
on_both_engines!(a_short_batch_still_says_more_wait, a_short_batch_still_says_more_wait_run);
