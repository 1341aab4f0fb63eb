//! The job table: claim with a lease, retry with backoff, give up after
//! the last attempt, and never hand one job to two workers at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use frontline_app::App;
use frontline_app::mail::{Mailer, Notification, SendFuture};
use frontline_app::tickets::ReplyInput;
use frontline_domain::ticket::{Channel, MessageKind};
use frontline_testkit::{TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;

async fn claim_retry_and_give_up(db: TestDb) {
    let t = TestApp::new(db).await;
    // Giving up is what this test checks.
    t.allow_failed_jobs();
    let store = t.store();
    store.enqueue_raw("test.kind", "{\"n\": 1}").await.expect("enqueue");

    // Two workers claim at once: exactly one gets the job.
    let (a, b) = tokio::join!(store.claim_jobs(10, Duration::minutes(5), "a"), store.claim_jobs(10, Duration::minutes(5), "b"));
    let (a, b) = (a.expect("claim a"), b.expect("claim b"));
    assert_eq!(a.len() + b.len(), 1, "one job, one worker");
    let job = a.into_iter().chain(b).next().expect("job");
    assert_eq!(job.attempts, 1);
    // While leased, nobody else sees it.
    assert!(store.claim_jobs(10, Duration::minutes(5), "c").await.expect("claim").is_empty());

    // A failure schedules a retry later, not now.
    store.fail_job(&job, "smtp down").await.expect("fail");
    assert!(store.claim_jobs(10, Duration::minutes(5), "c").await.expect("claim").is_empty(), "backoff");
    let listed = store.list_jobs(10).await.expect("list");
    assert_eq!(listed[0].last_error.as_deref(), Some("smtp down"));
    assert!(listed[0].run_at > chrono::Utc::now());
    assert!(listed[0].failed_at.is_none());

    // After the last attempt the job is kept, marked failed, for an admin to see.
    let mut last = listed[0].clone();
    last.attempts = last.max_attempts;
    store.fail_job(&last, "still down").await.expect("fail");
    let listed = store.list_jobs(10).await.expect("list");
    assert!(listed[0].failed_at.is_some());

    // The runner: an unknown kind fails (kept with its error), housekeeping succeeds and is removed.
    store.enqueue(&frontline_app::jobs::PurgeExpired {}).await.expect("enqueue");
    let ran = t.app.run_due_jobs().await.expect("run");
    assert_eq!(ran, 1);
    let remaining = store.list_jobs(10).await.expect("list");
    assert!(
        remaining.iter().all(|j| j.kind != <frontline_app::jobs::PurgeExpired as frontline_store::jobs::JobKind>::JOB_NAME),
        "done jobs leave the table"
    );
}
on_both_engines!(job_queue, claim_retry_and_give_up);

/// A mailer that counts what it delivers and takes `delay` per mail.
#[derive(Debug, Default)]
struct CountingMailer {
    delivered: AtomicUsize,
    started: AtomicUsize,
    /// Deliveries under way now, and the most at once.
    sending: AtomicUsize,
    most_at_once: AtomicUsize,
    delay: std::time::Duration,
}

impl Mailer for CountingMailer {
    fn deliver<'a>(&'a self, _n: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            self.started.fetch_add(1, Ordering::SeqCst);
            let now = self.sending.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_at_once.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.sending.fetch_sub(1, Ordering::SeqCst);
            self.delivered.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }
    fn message_id_domain(&self) -> &str {
        "acme.example"
    }
}

/// The app with `mailer` and a short job lease.
fn app_with(t: &TestApp, mailer: Arc<CountingMailer>, lease: std::time::Duration) -> App {
    let mut app = t.app.clone().with_mailer(mailer);
    app.config.runner.lease = lease;
    app
}

async fn agent_reply(app: &App, d: &Desk, n: usize) {
    let input =
        ReplyInput { kind: MessageKind::Public, body: format!("Answer {n}"), status: None, channel: Channel::Web, attachments: vec![] };
    app.reply(&d.agent.actor(), d.ticket_a, &input).await.expect("reply");
}

/// Wait (bounded) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("not within 10 s: {what}");
}

/// The jobs of a runner that died are taken over within one lease, and a
/// running job's lease is kept alive by its heartbeat, so nobody else
/// runs it meanwhile.
async fn leases_and_heartbeats(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let lease = std::time::Duration::from_secs(1);

    // A runner claims the job and dies: another takes it after the lease.
    let mailer = Arc::new(CountingMailer::default());
    let app = app_with(&t, mailer.clone(), lease);
    agent_reply(&app, &d, 1).await;
    let dead = t.store().claim_jobs(10, Duration::seconds(1), "dead-runner").await.expect("claim");
    assert_eq!(dead.len(), 1);
    assert_eq!(app.run_due_jobs().await.expect("run"), 0, "leased to the dead runner");
    let mut ran = 0;
    for _ in 0..40 {
        ran = app.run_due_jobs().await.expect("run");
        if ran > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ran, 1, "taken over after the lease");
    assert_eq!(mailer.delivered.load(Ordering::SeqCst), 1);

    // A slow mail (three leases long) keeps its lease while it runs.
    let slow = Arc::new(CountingMailer { delay: 3 * lease, ..Default::default() });
    let runner = app_with(&t, slow.clone(), lease);
    agent_reply(&runner, &d, 2).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let looping = tokio::spawn({
        let runner = runner.clone();
        async move { runner.job_loop(stopped).await }
    });
    eventually("the slow mail started", || slow.started.load(Ordering::SeqCst) == 1).await;
    let other = app_with(&t, mailer.clone(), lease);
    while slow.delivered.load(Ordering::SeqCst) == 0 {
        // The other runner may take the loop's housekeeping job, never the mail.
        other.run_due_jobs().await.expect("run");
        assert_eq!(mailer.delivered.load(Ordering::SeqCst), 1, "a running job is nobody else's");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    stop.send(true).expect("stop");
    looping.await.expect("runner");
    assert_eq!(slow.delivered.load(Ordering::SeqCst), 1);
    assert_eq!(mailer.delivered.load(Ordering::SeqCst), 1, "the other runner sent nothing");
    assert!(t.store().list_jobs(10).await.expect("jobs").is_empty(), "done jobs leave the table");
}
on_both_engines!(job_leases, leases_and_heartbeats);

/// The runner works many jobs at once and sends each mail once, and a job
/// whose mail went out is not sent again if its row comes back (a crash
/// between the send and the delete).
async fn concurrent_and_once(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let mailer = Arc::new(CountingMailer { delay: std::time::Duration::from_millis(100), ..Default::default() });
    let mut app = app_with(&t, mailer.clone(), std::time::Duration::from_secs(30));
    app.config.runner.workers = 8;
    for n in 0..24 {
        agent_reply(&app, &d, n).await;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let looping = tokio::spawn({
        let app = app.clone();
        async move { app.job_loop(stopped).await }
    });
    eventually("24 mails sent", || mailer.delivered.load(Ordering::SeqCst) == 24).await;
    stop.send(true).expect("stop");
    looping.await.expect("runner");
    assert_eq!(mailer.delivered.load(Ordering::SeqCst), 24, "each mail once");
    let most = mailer.most_at_once.load(Ordering::SeqCst);
    assert!((2..=8).contains(&most), "mails went out concurrently, at most 8 at once: {most}");
    assert!(t.store().list_jobs(50).await.expect("jobs").is_empty());

    // The row of a sent job comes back as it was: its mail is not sent again.
    agent_reply(&app, &d, 99).await;
    let job = t.store().list_jobs(1).await.expect("jobs").remove(0);
    assert_eq!(app.run_due_jobs().await.expect("run"), 1);
    assert_eq!(mailer.delivered.load(Ordering::SeqCst), 25);
    put_back(&t, &job).await;
    assert_eq!(app.run_due_jobs().await.expect("run"), 1);
    assert_eq!(mailer.delivered.load(Ordering::SeqCst), 25, "not sent twice");
}
on_both_engines!(job_runner_concurrency, concurrent_and_once);

/// Put a job's row back as it was, behind the store's back.
async fn put_back(t: &TestApp, job: &frontline_store::jobs::Job) {
    const SQL: &str = "INSERT INTO jobs (id, kind, payload, run_at, created_at) VALUES ($1, $2, $3, $4, $4)";
    match t.engine() {
        frontline_testkit::Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&t.db.url).await.expect("connect");
            sqlx::query(SQL).bind(job.id).bind(&job.kind).bind(&job.payload).bind(job.run_at).execute(&pool).await.expect("insert");
            pool.close().await;
        }
        frontline_testkit::Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&t.db.url).await.expect("connect");
            sqlx::query(SQL).bind(job.id).bind(&job.kind).bind(&job.payload).bind(job.run_at).execute(&pool).await.expect("insert");
            pool.close().await;
        }
    }
}

/// A row whose kind this version does not know, or whose payload does not
/// fit its kind, fails with an error saying so (and is retried later, as a
/// newer instance may know it); the runner goes on with the other jobs.
async fn unknown_kinds_fail_clearly(db: TestDb) {
    let t = TestApp::new(db).await;
    let store = t.store();
    store.enqueue_raw("report.weekly", "{}").await.expect("enqueue");
    store.enqueue_raw("mail.notify", "{\"event\": \"ticket_deleted\", \"ticket_id\": 1}").await.expect("enqueue");
    store.enqueue(&frontline_app::jobs::PurgeExpired {}).await.expect("enqueue");
    assert_eq!(t.app.run_due_jobs().await.expect("run"), 3);
    let left = store.list_jobs(10).await.expect("jobs");
    assert_eq!(left.len(), 2, "housekeeping ran and left: {left:?}");
    let unknown = left.iter().find(|j| j.kind == "report.weekly").expect("unknown kind kept");
    let error = unknown.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("unknown job kind 'report.weekly'"), "{error}");
    assert!(unknown.failed_at.is_none(), "retried later, not given up at once");
    let bad = left.iter().find(|j| j.kind == "mail.notify").expect("bad payload kept");
    let error = bad.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("payload does not parse") && error.contains("ticket_deleted"), "{error}");
}
on_both_engines!(unknown_job_kinds, unknown_kinds_fail_clearly);

/// A job queued by this process wakes its runner: with a poll of a minute,
/// a reply's mail still goes out at once. Jobs claimed ahead but not
/// started when the runner stops are given back, so another runner takes
/// them at once instead of after the lease, and their claim is no attempt.
async fn wake_up_and_give_back(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let quick = Arc::new(CountingMailer::default());
    let mut app = app_with(&t, quick.clone(), std::time::Duration::from_secs(30));
    app.config.runner.poll = std::time::Duration::from_secs(60);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let looping = tokio::spawn({
        let app = app.clone();
        async move { app.job_loop(stopped).await }
    });
    // Let the runner find the queue empty and go to sleep for its minute.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    agent_reply(&app, &d, 1).await;
    eventually("the reply's mail went out before the next poll", || quick.delivered.load(Ordering::SeqCst) == 1).await;
    stop.send(true).expect("stop");
    looping.await.expect("runner");

    // One worker, a slow mail: the runner claims two, starts one, and stops.
    let slow = Arc::new(CountingMailer { delay: std::time::Duration::from_millis(500), ..Default::default() });
    let mut one = app_with(&t, slow.clone(), std::time::Duration::from_secs(30));
    one.config.runner.workers = 1;
    for n in 2..5 {
        agent_reply(&one, &d, n).await;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let looping = tokio::spawn({
        let one = one.clone();
        async move { one.job_loop(stopped).await }
    });
    eventually("the slow mail started", || slow.started.load(Ordering::SeqCst) == 1).await;
    stop.send(true).expect("stop");
    looping.await.expect("runner");
    assert_eq!(slow.delivered.load(Ordering::SeqCst), 1, "the started mail was finished");
    // (The runner also queued its hourly housekeeping when it started.)
    let left: Vec<_> = t.store().list_jobs(10).await.expect("jobs").into_iter().filter(|j| j.kind == "mail.notify").collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|j| j.attempts == 0 && j.failed_at.is_none()), "a claim given back is no attempt: {left:?}");
    let other = app_with(&t, quick.clone(), std::time::Duration::from_secs(30));
    other.run_due_jobs().await.expect("run");
    assert_eq!(quick.delivered.load(Ordering::SeqCst), 3, "the unstarted jobs were due again at once");
}
on_both_engines!(job_runner_wake_and_release, wake_up_and_give_back);

/// Account mail wakes the runner as ticket mail does: with a poll of a
/// minute, a reset link and an invitation each go out at once (they once
/// waited for the next poll).
async fn account_mail_wakes_the_runner(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let quick = Arc::new(CountingMailer::default());
    let mut app = app_with(&t, quick.clone(), std::time::Duration::from_secs(30));
    app.config.runner.poll = std::time::Duration::from_secs(60);
    // The desk's own mail goes first, so that only account mail is left to wake the runner.
    app.run_due_jobs().await.expect("run");
    let base = quick.delivered.load(Ordering::SeqCst);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let looping = tokio::spawn({
        let app = app.clone();
        async move { app.job_loop(stopped).await }
    });
    // Let the runner find the queue empty and go to sleep for its minute.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let client = frontline_app::auth::Client::new("198.51.100.7", "");
    app.request_password_reset(&d.agent.email, &client).await.expect("reset");
    eventually("the reset link went out before the next poll", || quick.delivered.load(Ordering::SeqCst) == base + 1).await;
    let input = frontline_app::directory::UserInput {
        email: "newcomer@vendor.example".into(),
        name: "Newcomer".into(),
        role: "agent".into(),
        ..Default::default()
    };
    let (_, invitation) = app.create_user_inviting(&d.admin.actor(), &input).await.expect("invite");
    assert!(matches!(invitation, frontline_app::directory::Invitation::Sent), "{invitation:?}");
    eventually("the invitation went out before the next poll", || quick.delivered.load(Ordering::SeqCst) == base + 2).await;
    stop.send(true).expect("stop");
    looping.await.expect("runner");
}
on_both_engines!(job_runner_wakes_for_account_mail, account_mail_wakes_the_runner);

/// A new ticket in an automatic team wakes the runner: with a poll of a
/// minute, it is assigned at once.
async fn auto_assignment_wakes_the_runner(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let r = t.post_json("/api/v1/teams", &admin, &serde_json::json!({"name": "Payments", "assignment_mode": "round_robin"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let team = r.json()["id"].as_i64().expect("team");
    let r = t.patch_json(&format!("/api/v1/users/{}", d.agent.id), &admin, &serde_json::json!({"team_id": team})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut app = app_with(&t, Arc::new(CountingMailer::default()), std::time::Duration::from_secs(30));
    app.config.runner.poll = std::time::Duration::from_secs(60);
    app.run_due_jobs().await.expect("run");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let looping = tokio::spawn({
        let app = app.clone();
        async move { app.job_loop(stopped).await }
    });
    // Let the runner find the queue empty and go to sleep for its minute.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let input = frontline_app::tickets::NewTicketInput {
        subject: "Payouts are late".into(),
        body: "Since Monday.".into(),
        requester_id: Some(d.cust_member.id),
        team_id: Some(team),
        ..Default::default()
    };
    let ticket = app.create_ticket(&d.head.actor(), &input, Channel::Web).await.expect("ticket");
    let mut assigned = None;
    for _ in 0..100 {
        assigned = t.get(&format!("/api/v1/tickets/{}", ticket.id), &admin).await.json()["assignee"]["id"].as_i64();
        if assigned.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(assigned, Some(d.agent.id), "assigned within 5 s, long before the next poll");
    stop.send(true).expect("stop");
    looping.await.expect("runner");
}
on_both_engines!(job_runner_wakes_for_automatic_assignment, auto_assignment_wakes_the_runner);

/// Jobs whose ends are committed together: when one of them cannot be
/// recorded (here a trigger refuses its mail's record), the others are
/// still recorded, each on its own, and never sent again.
async fn one_bad_end_does_not_hold_back_the_others(db: TestDb) {
    let (engine, url) = (db.engine, db.url.clone());
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let body = serde_json::json!({"subject": "Poisoned", "body": "Hello.", "requester_email": "poison@northwind.example"});
    let r = t.post_json("/api/v1/tickets", &agent, &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let poisoned = r.json()["id"].as_i64().expect("id");
    t.app.run_due_jobs().await.expect("the desk's own mail first");
    let refuse = match engine {
        frontline_testkit::Engine::Sqlite => vec![
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON sent_mail WHEN NEW.recipients LIKE '%poison%' \
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
        ],
        frontline_testkit::Engine::Postgres => vec![
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.recipients LIKE '%poison%' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON sent_mail FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        ],
    };
    {
        use sqlx::Connection;
        match engine {
            frontline_testkit::Engine::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
                for sql in refuse {
                    sqlx::raw_sql(sql).execute(&mut c).await.expect("trigger");
                }
            }
            frontline_testkit::Engine::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("postgres");
                for sql in refuse {
                    sqlx::raw_sql(sql).execute(&mut c).await.expect("trigger");
                }
            }
        }
    }
    // Four replies whose mails take as long: their ends reach the finisher together.
    let slow = Arc::new(CountingMailer { delay: std::time::Duration::from_millis(300), ..Default::default() });
    let mut app = app_with(&t, slow.clone(), std::time::Duration::from_secs(30));
    app.config.runner.workers = 4;
    for n in 0..3 {
        agent_reply(&app, &d, n).await;
    }
    let input =
        ReplyInput { kind: MessageKind::Public, body: "To the poisoned".into(), status: None, channel: Channel::Web, attachments: vec![] };
    app.reply(&d.agent.actor(), poisoned, &input).await.expect("reply");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let looping = tokio::spawn({
        let app = app.clone();
        async move { app.job_loop(stopped).await }
    });
    eventually("all four mails went out", || slow.delivered.load(Ordering::SeqCst) == 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.send(true).expect("stop");
    looping.await.expect("runner");
    let left: Vec<_> = t.store().list_jobs(20).await.expect("jobs").into_iter().filter(|j| j.kind == "mail.notify").collect();
    assert_eq!(left.len(), 1, "only the job whose end could not be recorded is left: {left:?}");
    // The three good ones are not sent again by another run.
    app.run_due_jobs().await.expect("run");
    assert_eq!(slow.delivered.load(Ordering::SeqCst), 4, "nothing sent twice");
}
on_both_engines!(job_finisher_records_each_end_when_a_batch_fails, one_bad_end_does_not_hold_back_the_others);
