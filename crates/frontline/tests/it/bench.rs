//! The benchmarks' own checks, run small through the command line: the
//! notify benchmark drains its queue through the real job runner to its SMTP
//! sink with exactly one mail per job, and the write benchmark reports the
//! SQLite WAL's peak.

use std::process::{Command, Output};

use frontline_testkit::{Engine, TestDb, on_both_engines};

fn frontline(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontline")).arg("--database-url").arg(&db.url).args(args).output().expect("run frontline")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn notify_drains_one_mail_per_job(db: TestDb) {
    let out = ok(&frontline(&db, &["bench", "notify", "--jobs", "60", "--creations", "40", "--clients", "4", "--stall-seconds", "30"]));
    assert!(out.contains("drained 60 jobs in"), "{out}");
    assert!(out.contains("checked: 60 mails at the sink, 60 distinct Message-IDs, no job left, none failed"), "{out}");
    assert!(out.contains("40 tickets created by 4 API clients"), "{out}");
    assert!(out.contains("checked: 100 mails at the sink in all, 100 distinct Message-IDs, no job left, none failed"), "{out}");

    // The queue is its own: a second run on jobs it did not queue refuses to measure.
    let store = db.store().await;
    store.enqueue_raw("test.kind", "{}").await.expect("enqueue");
    let out = frontline(&db, &["bench", "notify", "--jobs", "5", "--creations", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 queued and 0 failed jobs"), "{}", String::from_utf8_lossy(&out.stderr));
}
on_both_engines!(bench_notify, notify_drains_one_mail_per_job);

async fn write_benchmark_reports_the_wal_peak(db: TestDb) {
    let dir = tempfile::tempdir().expect("dir");
    let summary = dir.path().join("summary.json");
    let summary = summary.to_str().expect("path");
    ok(&frontline(
        &db,
        &["bench", "generate", "--tickets", "300", "--messages", "900", "--organizations", "3", "--agents", "4", "--summary", summary],
    ));
    let out = ok(&frontline(&db, &["bench", "run", "--summary", summary, "--requests", "2", "--creations", "200", "--clients", "4"]));
    assert!(out.contains("200 tickets created in"), "{out}");
    let wal = out.lines().find(|l| l.starts_with("SQLite WAL during the writes: peak "));
    match db.engine {
        Engine::Sqlite => {
            let line = wal.unwrap_or_else(|| panic!("no WAL line: {out}"));
            let mb: f64 = line["SQLite WAL during the writes: peak ".len()..].split(' ').next().expect("number").parse().expect("MB");
            assert!(mb > 0.0, "200 tickets were written through the WAL: {line}");
        }
        Engine::Postgres => assert!(wal.is_none(), "PostgreSQL has no SQLite WAL: {out}"),
    }
}
on_both_engines!(bench_wal, write_benchmark_reports_the_wal_peak);
