//! The test kit's own promises: a test that leaves a job failed for good
//! fails, with the job's error, unless it says it expects that.

use std::panic::AssertUnwindSafe;

use frontline_testkit::{TestApp, TestDb, on_both_engines};
use sqlx::Connection;

/// A job that gave up, as the runner leaves one after its last attempt.
async fn plant_dead_job(db: &TestDb) {
    let sql = "INSERT INTO jobs (kind, payload, attempts, max_attempts, run_at, created_at, last_error, failed_at) \
               VALUES ('mail.notify', '{}', 10, 10, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'template broke', '2026-01-01T00:00:00Z')";
    if db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.expect("connect");
        sqlx::query(sql).execute(&mut c).await.expect("insert");
        c.close().await.expect("close");
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query(sql).execute(&mut c).await.expect("insert");
        c.close().await.expect("close");
    }
}

async fn dead_job_fails_the_test(db: TestDb) {
    let t = TestApp::new(db).await;
    plant_dead_job(&t.db).await;
    let ended = std::panic::catch_unwind(AssertUnwindSafe(move || drop(t)));
    let payload = ended.expect_err("a dead job left behind must fail the test");
    let message = payload.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("mail.notify") && message.contains("template broke"), "{message}");
}
on_both_engines!(dead_job_left_behind, dead_job_fails_the_test);

async fn expected_dead_job_passes(db: TestDb) {
    let t = TestApp::new(db).await;
    plant_dead_job(&t.db).await;
    t.allow_failed_jobs();
    let ended = std::panic::catch_unwind(AssertUnwindSafe(move || drop(t)));
    assert!(ended.is_ok(), "allow_failed_jobs opts out");
}
on_both_engines!(dead_job_expected, expected_dead_job_passes);
