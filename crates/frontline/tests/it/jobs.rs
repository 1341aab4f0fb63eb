//! The job table: claim with a lease, retry with backoff, give up after
//! the last attempt, and never hand one job to two workers at once.

use chrono::Duration;
use frontline_testkit::{TestApp, TestDb, on_both_engines};

async fn claim_retry_and_give_up(db: TestDb) {
    let t = TestApp::new(db).await;
    let store = &t.app.store;
    store.enqueue_job("test.kind", "{\"n\": 1}").await.expect("enqueue");

    // Two workers claim at once: exactly one gets the job.
    let (a, b) = tokio::join!(store.claim_jobs(10, Duration::minutes(5)), store.claim_jobs(10, Duration::minutes(5)));
    let (a, b) = (a.expect("claim a"), b.expect("claim b"));
    assert_eq!(a.len() + b.len(), 1, "one job, one worker");
    let job = a.into_iter().chain(b).next().expect("job");
    assert_eq!(job.attempts, 1);
    // While leased, nobody else sees it.
    assert!(store.claim_jobs(10, Duration::minutes(5)).await.expect("claim").is_empty());

    // A failure schedules a retry later, not now.
    store.fail_job(&job, "smtp down").await.expect("fail");
    assert!(store.claim_jobs(10, Duration::minutes(5)).await.expect("claim").is_empty(), "backoff");
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
    store.enqueue_job(frontline_app::jobs::PURGE_EXPIRED, "{}").await.expect("enqueue");
    let ran = t.app.run_due_jobs().await.expect("run");
    assert_eq!(ran, 1);
    let remaining = store.list_jobs(10).await.expect("list");
    assert!(remaining.iter().all(|j| j.kind != frontline_app::jobs::PURGE_EXPIRED), "done jobs leave the table");
}
on_both_engines!(job_queue, claim_retry_and_give_up);
