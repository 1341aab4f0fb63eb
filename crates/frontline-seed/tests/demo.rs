//! The demo data on a fresh SQLite database, and on PostgreSQL when configured.

// Tests panic on failure by design.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use chrono::Duration;
use common::TestDb;
use frontline_domain::queue::QueueView;
use frontline_domain::user::Role;
use frontline_seed::{DEMO_ADMIN_EMAIL, DEMO_PASSWORD, seed_demo};
use frontline_store::User;
use frontline_store::users::UserFilter;

async fn check_demo(db: &TestDb) {
    let app = db.app();
    let summary = seed_demo(&app).await.expect("seed demo");
    assert!(summary.seeded);
    let store = &db.store;

    // Staff along the design's ladder, with reporting lines and teams.
    let staff = store.list_users(&UserFilter { customers: Some(false), limit: 500, ..Default::default() }).await.expect("staff").items;
    let by_email: HashMap<&str, &User> = staff.iter().map(|u| (u.email.as_str(), u)).collect();
    let holders =
        |position: &str, role: Role| staff.iter().filter(|u| u.position_name.as_deref() == Some(position) && u.role == role).count();
    assert_eq!(holders("Head of Support", Role::HeadOfSupport), 1);
    assert_eq!(holders("Senior Support Lead", Role::Manager), 1);
    assert_eq!(holders("Support Manager", Role::Manager), 1);
    assert_eq!(holders("Senior Support Specialist", Role::Agent), 2);
    assert_eq!(holders("Support Specialist", Role::Agent), 4);
    assert_eq!(holders("Support Analyst", Role::Agent), 1);
    assert_eq!(holders("Support Coordinator", Role::Agent), 1);
    for role in [Role::Admin, Role::Engineering, Role::SolutionsEngineer, Role::Leadership] {
        assert_eq!(staff.iter().filter(|u| u.role == role).count(), 1, "{role:?}");
    }
    let head = by_email["head@frontline.example"];
    let lead = by_email["lead@frontline.example"];
    let manager = by_email["manager@frontline.example"];
    assert_eq!(head.tier.map(i64::from), Some(3));
    assert_eq!(head.reports_to, None);
    assert_eq!(lead.reports_to, Some(head.id));
    assert_eq!(manager.reports_to, Some(lead.id));
    for u in staff.iter().filter(|u| u.role == Role::Agent) {
        assert!(u.team_id.is_some(), "{} has no team", u.email);
        let expected = if u.tier.map(i64::from) == Some(2) { lead.id } else { manager.id };
        assert_eq!(u.reports_to, Some(expected), "{} reports to the wrong person", u.email);
        assert!(matches!(u.tier.map(i64::from), Some(1 | 2)));
    }
    assert_eq!(by_email["t1.alex@frontline.example"].position_name.as_deref(), Some("Support Specialist"));

    // Five customer organizations, each with a platform admin and one or two data engineers.
    let orgs = store.list_orgs(None, 0, 100).await.expect("orgs").items;
    assert_eq!(orgs.len(), 5);
    for org in &orgs {
        assert!(org.domain_list().iter().all(|d| d.ends_with(".example") || d.ends_with(".test")));
        let members = store
            .list_users(&UserFilter { customers: Some(true), organization_id: Some(org.id), limit: 50, ..Default::default() })
            .await
            .expect("members")
            .items;
        assert_eq!(members.iter().filter(|u| u.role == Role::CustomerAdmin).count(), 1, "{}", org.name);
        let engineers = members.iter().filter(|u| u.role == Role::CustomerMember).count();
        assert!((1..=2).contains(&engineers), "{}: {engineers} data engineers", org.name);
    }
    assert!(app.user_by_email("admin@northwind.example").await.expect("lookup").is_some_and(|u| u.role == Role::CustomerAdmin));
    assert!(app.user_by_email("dana@northwind.example").await.expect("lookup").is_some_and(|u| u.role == Role::CustomerMember));

    // Tickets in every status, tier and kind of message, consistent.
    let counts = store.data_counts().await.expect("counts");
    assert_eq!(counts.tickets, 300);
    // One conversation by mail carries files both ways.
    let mail = store
        .list_tickets(&frontline_store::tickets::TicketFilter { tag: None, limit: 400, ..Default::default() })
        .await
        .expect("tickets")
        .items
        .into_iter()
        .find(|t| t.subject.starts_with("Failed webhook deliveries since the key rotation"))
        .expect("the mail with files");
    let files: Vec<String> = store.ticket_attachments(mail.id).await.expect("files").into_iter().map(|a| a.filename).collect();
    assert_eq!(files, vec!["failed-deliveries.csv", "payload-dlv_481200.json", "replay-steps.md"]);
    for status in ["new", "open", "pending", "on_hold", "solved", "closed"] {
        let n = counts.tickets_by_status.iter().find(|(s, _)| s == status).map(|(_, n)| *n).unwrap_or(0);
        assert!(n >= 5, "only {n} {status} tickets");
    }
    assert_eq!(counts.tickets_by_tier.iter().map(|(t, _)| *t).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(counts.public_messages > 600 && counts.internal_messages > 150, "{counts:?}");
    let checks = store.data_checks().await.expect("checks");
    assert!(checks.is_clean(), "{:?}", checks.problems());
    assert_eq!(store.queue_count(QueueView::AllOpen, 0, None, None).await.expect("count"), counts.open_tickets);

    // Spread over the last 90 days.
    let all =
        store.list_tickets(&frontline_store::tickets::TicketFilter { limit: 1000, ..Default::default() }).await.expect("tickets").items;
    let oldest = all.iter().map(|t| t.created_at).min().expect("tickets");
    assert!(oldest >= now() - Duration::days(91) && oldest <= now() - Duration::days(60), "oldest {oldest}");
    // Customers and their organizations existed before their first ticket
    // ("customer since 2m ago" beside 90 days of tickets read wrong).
    for org in &orgs {
        let first = all.iter().filter(|t| t.organization_id == Some(org.id)).map(|t| t.created_at).min().expect("org tickets");
        assert!(org.created_at < first, "{} created {} after its first ticket {first}", org.name, org.created_at);
    }
    let customers =
        store.list_users(&UserFilter { customers: Some(true), limit: 500, ..Default::default() }).await.expect("customers").items;
    for u in &customers {
        if let Some(first) = all.iter().filter(|t| t.requester_id == u.id).map(|t| t.created_at).min() {
            assert!(u.created_at < first, "{} created {} after their first ticket {first}", u.email, u.created_at);
        }
    }
    // Nobody has the same question open twice.
    let mut open: Vec<(i64, &str)> = all.iter().filter(|t| t.status.is_open()).map(|t| (t.requester_id, t.subject.as_str())).collect();
    open.sort();
    let repeats: Vec<_> = open.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    assert!(repeats.is_empty(), "the same requester has identical open tickets: {repeats:?}");
    let escalated = all.iter().filter(|t| t.escalation_level.get() > 0).count();
    assert!(escalated >= 30, "{escalated} escalated");
    assert!(all.iter().any(|t| t.escalation_level.get() == 3 && t.tags.iter().any(|g| g == "engineering")));
    assert!(
        all.iter().filter(|t| t.status.is_open() && t.status != frontline_domain::ticket::Status::New).all(|t| t.assignee_id.is_some())
    );

    // A conversation reads in order and mixes customers, agents and notes.
    let busy = all.iter().find(|t| t.escalation_level.get() >= 2 && !t.status.is_open()).expect("an escalated, solved ticket");
    let messages = store
        .list_messages(busy.id, frontline_domain::authz::MessageScope { internal_notes: true, unverified_mail: true }, None, 1000)
        .await
        .expect("messages");
    assert!(messages.len() >= 4);
    assert!(messages.windows(2).all(|w| w[0].created_at < w[1].created_at));
    assert!(messages.iter().any(|m| m.author_is_staff) && messages.iter().any(|m| !m.author_is_staff));
    assert!(!messages[0].author_is_staff);

    check_tiered_support(&app, &all, &staff).await;

    // Everyone signs in with the demo password.
    let logins = &summary.logins;
    assert_eq!(logins.first().map(|l| l.email.as_str()), Some(DEMO_ADMIN_EMAIL));
    assert!(logins.len() >= 25, "{} logins", logins.len());
    for email in [DEMO_ADMIN_EMAIL, "t1.alex@frontline.example", "dana@northwind.example"] {
        app.login(email, DEMO_PASSWORD, "127.0.0.1").await.unwrap_or_else(|e| panic!("{email} cannot sign in: {e}"));
    }

    // A second run changes nothing.
    let again = seed_demo(&app).await.expect("second run");
    assert!(!again.seeded);
    assert_eq!(store.data_counts().await.expect("counts"), counts);
    assert_eq!(again.logins.len(), logins.len());
}

#[tokio::test]
async fn demo_on_sqlite() {
    let db = TestDb::sqlite().await;
    check_demo(&db).await;
    db.close().await;
}

#[tokio::test]
async fn demo_on_postgres() {
    let Some(db) = TestDb::postgres("demo").await else { return };
    check_demo(&db).await;
    db.close().await;
}

/// Two calendars, a policy per plan, tickets at every step with some near
/// breach, some breached and one resolution breach charged to tier 1, open
/// help requests, and agents in every availability.
async fn check_tiered_support(app: &frontline_app::App, all: &[frontline_store::Ticket], staff: &[User]) {
    use frontline_domain::escalation::EscalationStep;
    use frontline_domain::sla::TargetKind;
    use frontline_domain::user::Availability;
    let head = staff.iter().find(|u| u.role == Role::HeadOfSupport).expect("head").actor();
    let zones: Vec<String> =
        app.sla_calendars(&head).await.expect("calendars").into_iter().map(|c| c.expect("calendar").calendar.spec().time_zone).collect();
    assert_eq!(zones, ["America/New_York", "Europe/Berlin"], "listed by name");
    let policies: Vec<String> = app.sla_policies(&head).await.expect("policies").into_iter().map(|p| p.expect("policy").name).collect();
    assert_eq!(policies, ["Enterprise (Americas)", "Enterprise", "Business", "Standard"]);

    let steps: Vec<EscalationStep> =
        all.iter().filter(|t| t.status.is_open()).map(|t| EscalationStep::of(t.tier, t.escalation_level)).collect();
    for step in EscalationStep::ALL {
        assert!(steps.contains(&step), "no open ticket at {step:?}");
    }
    let (mut near, mut breached, mut tier1_breach) = (0, 0, false);
    for t in all.iter().filter(|t| t.status.is_open()) {
        let Some(sla) = app.ticket_sla(&head, t.id).await.expect("sla") else { continue };
        let now = sla.state.at;
        near += sla.state.targets.iter().filter(|g| g.breached_at.is_none() && g.warn_at.is_some_and(|w| w <= now)).count();
        breached += sla.state.targets.iter().filter(|g| g.breached_at.is_some()).count();
        tier1_breach |= sla.state.target(TargetKind::Resolution).is_some_and(|r| r.breached_step == Some(EscalationStep::Tier1));
    }
    assert!(near >= 2, "{near} targets near breach");
    assert!(breached >= 2, "{breached} targets breached");
    assert!(tier1_breach, "no resolution breach charged to tier 1");

    let eng = staff.iter().find(|u| u.role == Role::Engineering).expect("engineering").actor();
    let open_help = |hs: Vec<frontline_store::help::HelpRequest>| {
        hs.into_iter().filter(|h| h.status == frontline_domain::help::HelpStatus::Open).count()
    };
    assert!(open_help(app.my_help_requests(&eng).await.expect("help")) >= 1, "a question to engineering waits");
    assert!(open_help(app.my_help_requests(&head).await.expect("help")) >= 1, "a question to the Head of Support waits");
    let sam = staff.iter().find(|u| u.email == "t2.sam@frontline.example").expect("sam").actor();
    assert!(open_help(app.my_help_requests(&sam).await.expect("help")) >= 1, "a question to tier 2 waits");

    for a in Availability::ALL {
        assert!(staff.iter().any(|u| u.role == Role::Agent && u.availability == a), "no agent is {a:?}");
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
