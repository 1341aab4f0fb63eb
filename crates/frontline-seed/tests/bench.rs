//! The benchmark data set (a small spec) on a fresh SQLite database, and on PostgreSQL when configured.

// Tests panic on failure by design.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::TestDb;
use frontline_domain::queue::QueueView;
use frontline_domain::ticket::Status;
use frontline_domain::user::Role;
use frontline_seed::{BENCH_PASSWORD, BenchSpec, generate_bench};
use frontline_store::tickets::TicketFilter;
use frontline_store::users::UserFilter;

async fn check_bench(db: &TestDb) {
    let app = db.app();
    let store = &db.store;
    let spec = BenchSpec {
        tickets: 2_000,
        messages: 10_000,
        organizations: 6,
        agents: 9,
        customers_per_org: 4,
        teams: 3,
        password_hash: app.hash_password(BENCH_PASSWORD).await.expect("hash"),
        ..Default::default()
    };
    let summary = generate_bench(store, &spec).await.expect("generate");
    assert_eq!((summary.tickets, summary.messages), (2_000, 10_000));

    let counts = store.data_counts().await.expect("counts");
    assert_eq!(counts.tickets, 2_000);
    assert_eq!(counts.messages, 10_000);
    assert_eq!(counts.organizations, 6);
    assert_eq!(counts.customers, 24);
    assert_eq!(counts.staff, 10, "9 agents and a head of support");
    assert_eq!(counts.events as u64, summary.events);
    assert_eq!(counts.open_tickets as usize, summary.open_tickets);
    assert!(counts.public_messages > 0 && counts.internal_messages > 0, "{counts:?}");
    for status in Status::ALL {
        assert!(counts.tickets_by_status.iter().any(|(s, n)| s == status.as_str() && *n > 0), "no {status} tickets");
    }
    assert_eq!(counts.tickets_by_tier.iter().map(|(t, _)| *t).collect::<Vec<_>>(), vec![1, 2, 3]);
    let open_share = counts.open_tickets as f64 / counts.tickets as f64;
    assert!((0.2..0.3).contains(&open_share), "open share {open_share}");

    // Invariants, queue counts included.
    let checks = store.data_checks().await.expect("checks");
    assert!(checks.is_clean(), "{:?}", checks.problems());
    let open_by_list = store
        .list_tickets(&TicketFilter { statuses: Status::OPEN_SET.to_vec(), limit: 100_000, ..Default::default() })
        .await
        .expect("list")
        .items
        .len() as i64;
    assert_eq!(store.queue_count(QueueView::AllOpen, 0, None, None).await.expect("count"), open_by_list);
    assert_eq!(open_by_list, counts.open_tickets);
    let mine = store
        .list_tickets(&TicketFilter {
            statuses: Status::OPEN_SET.to_vec(),
            assignee_id: Some(summary.agent_id),
            limit: 100_000,
            ..Default::default()
        })
        .await
        .expect("mine")
        .items
        .len() as i64;
    assert!(mine > 0);
    assert_eq!(store.queue_count(QueueView::Mine, summary.agent_id, None, None).await.expect("mine count"), mine);
    let team = store.queue_count(QueueView::Team, summary.agent_id, None, Some(summary.agent_team_id)).await.expect("team count");
    assert!(team > mine);

    // The long ticket.
    let big = store.get_ticket(summary.big_ticket_id).await.expect("get").expect("big ticket");
    assert_eq!(big.assignee_id, Some(summary.agent_id));
    assert!(big.status.is_open());
    let messages = store
        .list_messages(big.id, frontline_domain::authz::MessageScope { internal_notes: true, unverified_mail: true }, None, 1000)
        .await
        .expect("messages");
    assert_eq!(messages.len(), 200);
    assert!(messages.windows(2).all(|w| w[0].created_at < w[1].created_at));
    let events = store.list_events(big.id, frontline_domain::authz::EventScope::All, None, 1000).await.expect("events");
    assert!(!events.has_more, "the history fits one page");
    let events = events.items;
    assert!(events.iter().any(|e| e.field == "created"));
    assert_eq!(events.iter().filter(|e| e.field == "public_reply" || e.field == "internal_note").count(), 200);

    // Spread over the year, ids growing with time.
    let newest = store.list_tickets(&TicketFilter { limit: 5, ..Default::default() }).await.expect("newest").items;
    assert!(newest.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    let oldest = store.list_tickets(&TicketFilter { limit: 2_000, ..Default::default() }).await.expect("all").items;
    let first = oldest.iter().map(|t| t.created_at).min().expect("tickets");
    assert!(first < now() - Duration::days(300) && first >= now() - Duration::days(366), "oldest {first}");

    // Agents are staff with tiered positions and teams; they sign in.
    let staff = store.list_users(&UserFilter { customers: Some(false), limit: 100, ..Default::default() }).await.expect("staff").items;
    let agents: Vec<_> = staff.iter().filter(|u| u.role == Role::Agent).collect();
    assert_eq!(agents.len(), 9);
    assert!(agents.iter().all(|a| matches!(a.tier.map(i64::from), Some(1 | 2)) && a.team_id.is_some() && a.position_id.is_some()));
    assert!(agents.iter().any(|a| a.tier.map(i64::from) == Some(2)));
    assert_eq!(summary.agent_tier, 1);
    app.login(&summary.agent_email, BENCH_PASSWORD, "127.0.0.1").await.expect("agent signs in");
    app.login(&summary.customer_email, BENCH_PASSWORD, "127.0.0.1").await.expect("customer signs in");

    // Loading twice is refused rather than doubling up.
    assert!(generate_bench(store, &spec).await.is_err());
}

#[tokio::test]
async fn bench_on_sqlite() {
    let db = TestDb::sqlite().await;
    check_bench(&db).await;
    db.close().await;
}

#[tokio::test]
async fn bench_on_postgres() {
    let Some(db) = TestDb::postgres("bench").await else { return };
    check_bench(&db).await;
    db.close().await;
}

#[tokio::test]
async fn bench_rejects_impossible_specs() {
    let db = TestDb::sqlite().await;
    let too_few = BenchSpec { tickets: 100, messages: 250, ..Default::default() };
    assert!(generate_bench(&db.store, &too_few).await.is_err());
    assert_eq!(db.store.data_counts().await.expect("counts").users, 0);
    db.close().await;
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
