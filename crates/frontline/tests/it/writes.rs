//! Concurrent ticket creation: on SQLite tickets that arrive together are
//! committed together; a bad one must fail alone and counts must stay exact.

use frontline_domain::queue::QueueView;
use frontline_domain::ticket::{Channel, Priority, Status, TicketFields, TicketType};
use frontline_store::tickets::NewTicket;
use frontline_testkit::{Engine, TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;

pub(crate) fn ticket(requester_id: i64, n: usize) -> NewTicket {
    NewTicket {
        fields: TicketFields {
            subject: format!("Concurrent ticket {n}"),
            status: Status::New,
            priority: Priority::Normal,
            ticket_type: TicketType::Question,
            assignee_id: None,
            team_id: None,
            tier: frontline_domain::tier::Tier::FRONT_LINE,
            escalation_level: frontline_domain::tier::EscalationLevel::NONE,
            tags: vec!["load".into()],
        },
        channel: Channel::Api,
        requester_id,
        organization_id: None,
        created_by: Some(requester_id),
        body: format!("body {n}"),
        created_at: None,
        notify: vec![],
        body_html: None,
        attachments: vec![],
        email_message_id: None,
        idempotency: None,
    }
}

async fn concurrent_creates(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let before = t.store().queue_count(QueueView::AllOpen, d.agent.id, None, None).await.expect("count");
    let mut tasks = Vec::new();
    for n in 0..40 {
        let store = t.store().clone();
        // Ticket 17 names a requester that does not exist: a foreign-key failure.
        let requester = if n == 17 { 999_999 } else { d.cust_member.id };
        tasks.push(tokio::spawn(async move { store.create_ticket(&ticket(requester, n)).await }));
    }
    let mut ok = 0;
    let mut failed = 0;
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(id) => {
                ok += 1;
                ids.insert(id);
            }
            Err(_) => failed += 1,
        }
    }
    assert_eq!((ok, failed), (39, 1), "only the bad ticket fails");
    assert_eq!(ids.len(), 39, "every ticket got its own id");
    let after = t.store().queue_count(QueueView::AllOpen, d.agent.id, None, None).await.expect("count");
    assert_eq!(after, before + 39, "queue counts match what was written");
    assert_eq!(t.store().data_checks().await.expect("checks").count_buckets_off, 0, "every count bucket equals its tickets");
    if t.db.engine == Engine::Postgres {
        // Each writer lane moves its own shard of the counts, so parallel
        // batches did not queue on the one row all these tickets share.
        let pool = sqlx::PgPool::connect(&t.db.url).await.expect("postgres");
        let shards: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT shard) FROM ticket_counts WHERE status = 'new' AND tier = 1 AND team_id = 0 AND assignee_id = 0 AND n <> 0",
        )
        .fetch_one(&pool)
        .await
        .expect("shards");
        pool.close().await;
        assert!(shards > 1, "the lanes wrote {shards} shard(s) of the shared count row");
    }
    for id in ids {
        let ticket = t.store().get_ticket(id).await.expect("read").expect("exists");
        assert_eq!(ticket.tags, vec!["load".to_string()]);
        assert_eq!(
            t.store()
                .list_messages(id, frontline_domain::authz::MessageScope { internal_notes: true, unverified_mail: true })
                .await
                .expect("messages")
                .len(),
            1
        );
    }
}
on_both_engines!(group_commit, concurrent_creates);
