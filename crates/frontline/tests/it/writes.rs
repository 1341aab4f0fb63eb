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
                .list_messages(id, frontline_domain::authz::MessageScope { internal_notes: true, unverified_mail: true }, None, 1000)
                .await
                .expect("messages")
                .len(),
            1
        );
    }
}
on_both_engines!(group_commit, concurrent_creates);

/// Tickets of every shape created at once (on PostgreSQL a lane writes a
/// batch's rows from arrays in one statement) come out as the row-by-row
/// path writes them: fields, tags, first message with its files, history,
/// one notification job naming its message, counts per bucket and per
/// solved day. Two mails with one Message-ID: the second fails alone.
async fn batches_of_every_shape(db: TestDb) {
    use frontline_domain::notification::NotificationKind;
    use frontline_store::attachments::NewAttachment;
    use frontline_store::jobs::NotifyJob;

    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let shaped = |n: usize| {
        let mut tk = ticket(d.cust_member.id, n);
        tk.organization_id = Some(d.org_a);
        tk.created_by = if n.is_multiple_of(5) { None } else { Some(d.agent.id) };
        tk.fields.tags = match n % 3 {
            0 => vec![],
            1 => vec!["load".into()],
            _ => vec!["billing".into(), "load".into(), "vip".into()],
        };
        if n % 4 == 1 {
            tk.fields.assignee_id = Some(d.agent.id);
            tk.fields.status = Status::Open;
        }
        if n % 6 == 2 {
            tk.fields.team_id = Some(d.team);
            tk.fields.priority = Priority::Urgent;
        }
        if n % 7 == 3 {
            tk.fields.status = Status::Solved;
        }
        if n.is_multiple_of(2) {
            tk.notify = vec![NotificationKind::TicketCreated];
        }
        if n % 8 == 5 {
            tk.attachments = vec![NewAttachment {
                filename: format!("log-{n}.txt"),
                content_type: "text/plain".into(),
                content_id: None,
                inline: false,
                data: format!("log line {n}").into_bytes(),
            }];
        }
        tk.email_message_id = (n % 10 == 9).then(|| format!("<shape-{}@northwind.example>", n.min(19)));
        tk.body_html = tk.email_message_id.as_ref().map(|_| format!("<p>body {n}</p>"));
        tk
    };
    let before = t.store().data_counts().await.expect("counts");
    let mut tasks = Vec::new();
    for n in 0..48 {
        let (store, tk) = (t.store().clone(), shaped(n));
        tasks.push(tokio::spawn(async move { (n, store.create_ticket(&tk).await) }));
    }
    let mut created = Vec::new();
    let mut failed = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (n, Ok(id)) => created.push((n, id)),
            (n, Err(_)) => failed.push(n),
        }
    }
    // 19, 29 and 39 came by the same mail: one of them is stored.
    assert_eq!(failed.len(), 2, "two mails reuse a stored Message-ID: {failed:?}");
    let everyone = frontline_domain::authz::MessageScope { internal_notes: true, unverified_mail: true };
    let jobs = t.store().list_jobs(200).await.expect("jobs");
    for (n, id) in &created {
        let want = shaped(*n);
        let got = t.store().get_ticket(*id).await.expect("read").expect("exists");
        assert_eq!(got.fields(), want.fields, "ticket {n}");
        assert_eq!(got.organization_id, Some(d.org_a));
        assert_eq!(got.solved_at.is_some(), want.fields.status == Status::Solved, "ticket {n}: solved_at");
        let messages = t.store().list_messages(*id, everyone, None, 1000).await.expect("messages");
        assert_eq!(messages.len(), 1, "ticket {n}");
        let first = &messages[0];
        assert_eq!((first.body.as_str(), first.author_id), (want.body.as_str(), d.cust_member.id), "ticket {n}");
        assert_eq!(first.body_html, want.body_html, "ticket {n}");
        assert_eq!(first.attachments.len(), want.attachments.len(), "ticket {n}: files");
        let events = t.store().list_events(*id, frontline_domain::authz::EventScope::All, None, 1000).await.expect("events").items;
        let shown: Vec<(&str, Option<i64>, Option<&str>)> =
            events.iter().map(|e| (e.field.as_str(), e.actor_id, e.new_value.as_deref())).collect();
        let mid = first.id.to_string();
        assert_eq!(
            shown,
            vec![
                ("created", want.created_by, Some(want.fields.status.as_str())),
                ("public_reply", Some(d.cust_member.id), Some(mid.as_str()))
            ],
            "ticket {n}"
        );
        let queued: Vec<NotifyJob> = jobs
            .iter()
            .filter(|j| j.kind == "mail.notify")
            .filter_map(|j| serde_json::from_str::<NotifyJob>(&j.payload).ok())
            .filter(|p| p.ticket_id == *id)
            .collect();
        assert_eq!(queued.len(), want.notify.len(), "ticket {n}: jobs");
        assert!(queued.iter().all(|p| p.message_id == Some(first.id)), "ticket {n}: the job names its message");
    }
    let after = t.store().data_counts().await.expect("counts");
    assert_eq!(after.tickets - before.tickets, 46);
    assert_eq!(after.messages - before.messages, 46);
    assert_eq!(after.events - before.events, 92);
    let checks = t.store().data_checks().await.expect("checks");
    assert!(checks.is_clean(), "{:?}", checks.problems());
    let solved = created.iter().filter(|(n, _)| n % 7 == 3).count() as i64;
    let recently = t
        .store()
        .queue_count(QueueView::RecentlySolved, d.agent.id, Some(frontline_domain::tier::Tier::FRONT_LINE), None)
        .await
        .expect("solved");
    assert_eq!(recently, solved, "solved tickets counted on their day");
    let mine =
        t.store().queue_count(QueueView::Mine, d.agent.id, Some(frontline_domain::tier::Tier::FRONT_LINE), None).await.expect("mine");
    let assigned_open = created.iter().filter(|(n, _)| n % 4 == 1 && n % 7 != 3).count() as i64;
    assert_eq!(mine, assigned_open, "assigned open tickets in the agent's queue");
}
on_both_engines!(group_commit_shapes, batches_of_every_shape);
