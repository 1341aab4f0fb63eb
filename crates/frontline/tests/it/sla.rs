//! SLA configuration in the store, on both engines: calendars, support
//! plans and policies come back as the domain wrote them, in the admin's
//! order; edits that carry a version are refused when the row changed;
//! nothing in use is deleted from under its users.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use frontline_domain::DomainError;
use frontline_domain::sla::{
    BusinessCalendar, CalendarSpec, Condition, EscalationStep, PriorityTargets, SlaPolicy, Target, TicketFacts, WeeklyHoursSpec,
    select_policy,
};
use frontline_domain::ticket::{Channel, Priority};
use frontline_store::directory::OrgInput;
use frontline_store::sla::PolicyInput;
use frontline_store::{Store, StoreError};
use frontline_testkit::{Engine, TestDb, on_both_engines};
use sqlx::Connection;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("instant").with_timezone(&Utc)
}

fn calendar(zone: &str, holidays: &[NaiveDate]) -> BusinessCalendar {
    BusinessCalendar::new(&CalendarSpec {
        time_zone: zone.into(),
        hours: WeeklyHoursSpec::weekdays(&[("09:00", "12:00"), ("13:00", "17:30")]),
        holidays: holidays.to_vec(),
    })
    .expect("valid calendar")
}

/// The error a user would be shown: which kind, which field.
fn refusal(e: StoreError) -> (&'static str, String) {
    match e {
        StoreError::Domain(DomainError::Conflict(f)) => ("conflict", f.field),
        StoreError::Domain(DomainError::Invalid(f)) => ("invalid", f.field),
        other => panic!("expected a refusal naming a field, got {other:?}"),
    }
}

fn policy(conditions: Vec<Condition>) -> SlaPolicy {
    SlaPolicy {
        conditions,
        targets: BTreeMap::from([(
            Priority::High,
            PriorityTargets { first_reply: Some(Target::business(60)), next_reply: None, resolution: Some(Target::calendar(480)) },
        )]),
        step_shares: BTreeMap::from([(EscalationStep::Tier1, 25), (EscalationStep::Tier2, 75)]),
    }
    .checked()
    .expect("valid policy")
}

async fn calendars_round_trip(db: TestDb) {
    let store = db.store().await;
    let whit_monday = NaiveDate::from_ymd_opt(2026, 5, 25).expect("date");
    let berlin = calendar("Europe/Berlin", &[whit_monday]);
    let id = store.create_calendar("Germany", &berlin, None).await.expect("create");
    let read = store.get_calendar(id).await.expect("get").expect("exists");
    assert_eq!((read.name.as_str(), read.version), ("Germany", 1));
    assert_eq!(read.calendar, berlin);
    // The stored calendar does the same arithmetic: Friday 16:00 + 91 business minutes skips Whit Monday.
    assert_eq!(read.calendar.add_business_minutes(utc("2026-05-22T14:00:00Z"), 91), utc("2026-05-26T07:01:00Z"));
    assert_eq!(refusal(store.create_calendar("Germany", &berlin, None).await.expect_err("same name")), ("conflict", "name".into()));

    let ny = calendar("America/New_York", &[]);
    assert_eq!(store.update_calendar(id, "US East", &ny, Some(1), None).await.expect("update"), Some(2));
    assert_eq!(
        refusal(store.update_calendar(id, "Stale", &berlin, Some(1), None).await.expect_err("stale version")),
        ("conflict", "version".into())
    );
    assert_eq!(
        store.update_calendar(id, "US East", &ny, None, None).await.expect("unversioned"),
        Some(3),
        "no version: applies to the row as it is"
    );
    assert_eq!(store.update_calendar(id + 100, "Nowhere", &ny, Some(1), None).await.expect("missing"), None);
    let listed = store.list_calendars().await.expect("list");
    assert_eq!(
        listed.iter().map(|c| (c.name.as_str(), c.version, c.calendar.time_zone().name())).collect::<Vec<_>>(),
        vec![("US East", 3, "America/New_York")]
    );
    assert!(store.delete_calendar(id, None).await.expect("delete"));
    assert!(!store.delete_calendar(id, None).await.expect("delete again"));
    assert!(store.get_calendar(id).await.expect("get").is_none());
}
on_both_engines!(calendars_round_trip_with_versions, calendars_round_trip);

async fn policies_in_order(db: TestDb) {
    let store = db.store().await;
    let cal = store.create_calendar("Office", &calendar("Europe/Berlin", &[]), None).await.expect("calendar");
    let enterprise = store.create_support_plan("Enterprise", None).await.expect("plan");
    let p_plan = policy(vec![Condition::SupportPlan(enterprise)]);
    let p_mail = policy(vec![Condition::Channel(Channel::Email), Condition::Tag("vip".into())]);
    let p_all = policy(vec![]);
    let mut ids = Vec::new();
    for (name, p) in [("Enterprise", &p_plan), ("VIP mail", &p_mail), ("Everyone", &p_all)] {
        ids.push(store.create_sla_policy(PolicyInput { name, calendar_id: cal, policy: p }, None).await.expect("create policy"));
    }
    let listed = store.list_sla_policies().await.expect("list");
    assert_eq!(
        listed.iter().map(|p| (p.name.as_str(), p.position)).collect::<Vec<_>>(),
        vec![("Enterprise", 1), ("VIP mail", 2), ("Everyone", 3)]
    );
    assert_eq!(listed[1].policy, p_mail, "conditions, targets and shares come back as written");

    let tags = vec!["vip".to_string()];
    let facts = TicketFacts {
        organization_id: Some(1),
        support_plan_id: Some(enterprise),
        priority: Priority::High,
        channel: Channel::Email,
        tags: &tags,
    };
    assert_eq!(select_policy(&listed, |r| &r.policy, &facts).map(|r| r.name.as_str()), Some("Enterprise"));

    // Moving "VIP mail" first changes which policy a ticket gets.
    store.reorder_sla_policies(&[ids[1], ids[0], ids[2]], None).await.expect("move");
    let listed = store.list_sla_policies().await.expect("list");
    assert_eq!(select_policy(&listed, |r| &r.policy, &facts).map(|r| r.name.as_str()), Some("VIP mail"));
    assert_eq!(
        refusal(store.reorder_sla_policies(&[ids[1], ids[0]], None).await.expect_err("one missing")),
        ("conflict", "ids".into()),
        "an order made before a policy was added is refused"
    );
    let v = store
        .update_sla_policy(ids[1], PolicyInput { name: "VIP mail", calendar_id: cal, policy: &p_mail }, Some(1), None)
        .await
        .expect("edit");
    assert_eq!(v, Some(2));
    assert_eq!(store.list_sla_policies().await.expect("list")[0].name, "VIP mail", "an edit keeps the policy's place");
    assert_eq!(
        refusal(
            store
                .update_sla_policy(ids[1], PolicyInput { name: "VIP mail", calendar_id: cal, policy: &p_all }, Some(1), None)
                .await
                .expect_err("stale")
        ),
        ("conflict", "version".into())
    );
    assert_eq!(store.get_sla_policy(ids[1]).await.expect("get").expect("exists").policy, p_mail, "the refused edit wrote nothing");

    // A calendar that does not exist is named; a calendar in use is not deleted.
    assert_eq!(
        refusal(
            store
                .create_sla_policy(PolicyInput { name: "Lost", calendar_id: cal + 50, policy: &p_all }, None)
                .await
                .expect_err("no calendar")
        ),
        ("invalid", "calendar_id".into())
    );
    assert_eq!(refusal(store.delete_calendar(cal, None).await.expect_err("in use")), ("conflict", "calendar".into()));
    assert_eq!(
        refusal(
            store.create_sla_policy(PolicyInput { name: "Everyone", calendar_id: cal, policy: &p_all }, None).await.expect_err("same name")
        ),
        ("conflict", "name".into())
    );
    for id in &ids {
        assert!(store.delete_sla_policy(*id, None).await.expect("delete policy"));
    }
    assert!(store.list_sla_policies().await.expect("list").is_empty());
    assert!(store.delete_calendar(cal, None).await.expect("unused calendar"));
}
on_both_engines!(policies_keep_the_admins_order, policies_in_order);

async fn plans_and_organizations(db: TestDb) {
    let store = db.store().await;
    let standard = store.create_support_plan("Standard", None).await.expect("plan");
    let premium = store.create_support_plan("Premium", None).await.expect("plan");
    let plans = store.list_support_plans().await.expect("plans");
    assert_eq!(plans.iter().map(|p| (p.name.as_str(), p.position)).collect::<Vec<_>>(), vec![("Standard", 1), ("Premium", 2)]);
    assert_eq!(store.update_support_plan(premium, "Premium", 0, Some(1), None).await.expect("move"), Some(2));
    assert_eq!(store.list_support_plans().await.expect("plans")[0].name, "Premium");
    assert_eq!(
        refusal(store.update_support_plan(standard, "Premium", 1, None, None).await.expect_err("same name")),
        ("conflict", "name".into())
    );

    let org = store
        .create_org(&OrgInput { name: "Acme".into(), domains: vec!["acme.test".into()], notes: String::new() }, None)
        .await
        .expect("org");
    assert_eq!(store.org_support_plan(org).await.expect("plan"), None, "organizations start without a plan");
    assert!(store.set_org_support_plan(org, Some(premium), None).await.expect("set"));
    assert_eq!(store.org_support_plan(org).await.expect("plan"), Some(premium));
    assert_eq!(
        refusal(store.set_org_support_plan(org, Some(premium + 99), None).await.expect_err("unknown plan")),
        ("invalid", "support_plan_id".into())
    );
    assert_eq!(store.org_support_plan(org).await.expect("plan"), Some(premium), "a refused change leaves the plan");
    assert!(!store.set_org_support_plan(org + 99, Some(premium), None).await.expect("no org"));

    // A plan in use by an organization, or named by a policy, stays.
    assert_eq!(refusal(store.delete_support_plan(premium, None).await.expect_err("org has it")), ("conflict", "support_plan".into()));
    let cal = store.create_calendar("Office", &calendar("UTC", &[]), None).await.expect("calendar");
    let by_plan = policy(vec![Condition::SupportPlan(standard)]);
    let pid = store.create_sla_policy(PolicyInput { name: "Standard", calendar_id: cal, policy: &by_plan }, None).await.expect("policy");
    assert_eq!(refusal(store.delete_support_plan(standard, None).await.expect_err("policy names it")), ("conflict", "support_plan".into()));
    assert!(store.delete_sla_policy(pid, None).await.expect("delete policy"));
    assert!(store.delete_support_plan(standard, None).await.expect("unused plan"));
    assert!(store.set_org_support_plan(org, None, None).await.expect("clear"));
    assert!(store.delete_support_plan(premium, None).await.expect("now unused"));
    assert!(store.list_support_plans().await.expect("plans").is_empty());
}
on_both_engines!(support_plans_and_organizations, plans_and_organizations);

/// Eight admins save the same calendar at once from the same form: one
/// wins, the others are told it changed. Without versions, every save
/// applies in turn and none is lost.
async fn parallel_edits(db: TestDb) {
    let store: Arc<Store> = Arc::new(db.store().await);
    let id = store.create_calendar("Shared", &calendar("Europe/Berlin", &[]), None).await.expect("create");
    let zones =
        ["Europe/Paris", "Europe/Rome", "Europe/Madrid", "Europe/Vienna", "Europe/Oslo", "Europe/Prague", "Europe/Warsaw", "Europe/Lisbon"];
    let mut tasks = Vec::new();
    for zone in zones {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.update_calendar(id, "Shared", &calendar(zone, &[]), Some(1), None).await }));
    }
    let (mut won, mut conflicts) = (Vec::new(), 0);
    for (zone, t) in zones.iter().zip(tasks) {
        match t.await.expect("task") {
            Ok(Some(v)) => won.push((*zone, v)),
            Ok(None) => panic!("the calendar exists"),
            Err(e) => {
                assert_eq!(refusal(e), ("conflict", "version".into()));
                conflicts += 1;
            }
        }
    }
    assert_eq!((won.len(), conflicts), (1, 7), "{won:?}");
    let row = store.get_calendar(id).await.expect("get").expect("exists");
    assert_eq!((row.version, row.calendar.time_zone().name()), (2, won[0].0), "the winner's calendar is stored whole");

    let mut tasks = Vec::new();
    for zone in zones {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.update_calendar(id, "Shared", &calendar(zone, &[]), None, None).await }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        versions.push(t.await.expect("task").expect("unversioned edits never conflict").expect("exists"));
    }
    versions.sort();
    assert_eq!(versions, (3..=10).collect::<Vec<i64>>(), "each save applied once, in turn");
    assert_eq!(store.get_calendar(id).await.expect("get").expect("exists").version, 10);
}
on_both_engines!(parallel_edits_of_one_calendar, parallel_edits);

/// A row the domain would refuse (written around the store, by a script or
/// an older instance) is reported as corrupt when read, never used.
async fn corrupt_rows(db: TestDb) {
    let store = db.store().await;
    let id = store.create_calendar("Office", &calendar("Europe/Berlin", &[]), None).await.expect("create");
    let pid = store.create_sla_policy(PolicyInput { name: "All", calendar_id: id, policy: &policy(vec![]) }, None).await.expect("policy");
    let overlapping = r#"{"mon":[{"start":"09:00","end":"13:00"},{"start":"12:00","end":"17:00"}]}"#;
    let over_shared = r#"{"tier_1":60,"tier_2":60}"#;
    match db.engine {
        Engine::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.expect("connect");
            sqlx::query("UPDATE business_calendars SET hours = $1 WHERE id = $2")
                .bind(overlapping)
                .bind(id)
                .execute(&mut c)
                .await
                .expect("write");
            sqlx::query("UPDATE sla_policies SET step_shares = $1 WHERE id = $2")
                .bind(over_shared)
                .bind(pid)
                .execute(&mut c)
                .await
                .expect("write");
        }
        Engine::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
            sqlx::query("UPDATE business_calendars SET hours = $1 WHERE id = $2")
                .bind(overlapping)
                .bind(id)
                .execute(&mut c)
                .await
                .expect("write");
            sqlx::query("UPDATE sla_policies SET step_shares = $1 WHERE id = $2")
                .bind(over_shared)
                .bind(pid)
                .execute(&mut c)
                .await
                .expect("write");
        }
    }
    let e = store.get_calendar(id).await.expect_err("corrupt calendar");
    assert!(matches!(&e, StoreError::Corrupt(m) if m.contains("overlaps")), "{e:?}");
    let e = store.get_sla_policy(pid).await.expect_err("corrupt policy");
    assert!(matches!(&e, StoreError::Corrupt(m) if m.contains("step_shares")), "{e:?}");
    // One bad row does not take the lists down: the usable ones are listed,
    // and the admin's lists show the bad one by name with its problem.
    let good = store.create_calendar("Good", &calendar("UTC", &[]), None).await.expect("create");
    assert_eq!(store.list_calendars().await.expect("list").iter().map(|c| c.id).collect::<Vec<_>>(), vec![good]);
    let entries = store.calendar_entries().await.expect("entries");
    let broken = entries.iter().find_map(|e| e.as_ref().err()).expect("the broken calendar is listed");
    assert_eq!((broken.id, broken.name.as_str()), (id, "Office"));
    assert!(broken.problem.contains("overlaps"), "{}", broken.problem);
    assert!(store.list_sla_policies().await.expect("list").is_empty(), "a broken policy is never used");
    let broken = store.policy_entries().await.expect("entries").pop().expect("listed").expect_err("broken");
    assert_eq!(broken.name, "All");
    // The broken rows can be replaced whole, or deleted.
    assert_eq!(store.update_calendar(id, "Office", &calendar("Europe/Berlin", &[]), Some(1), None).await.expect("replace"), Some(2));
    assert!(store.get_calendar(id).await.expect("fixed").is_some());
    assert!(store.delete_sla_policy(pid, None).await.expect("delete the broken policy"));
}
on_both_engines!(corrupt_rows_are_not_used, corrupt_rows);
