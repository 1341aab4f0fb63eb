//! The database under pressure: the SQLite WAL stays bounded while writers
//! and readers never pause, and processes that start together on a new
//! database do not race its migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use frontline_store::attachments::NewAttachment;
use frontline_testkit::{Engine, TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;
use crate::mail_in::ingest;

/// Bytes nobody else has (attachments are stored once per SHA-256).
fn unique_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// 96 MB written by four writers at once, while readers keep reading: the
/// WAL file never passes 64 MB. Before, the background PASSIVE checkpoint
/// never caught up with writers that kept coming, so the WAL could never
/// restart and grew by everything written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_wal_stays_bounded_under_steady_writes() {
    let db = TestDb::sqlite().await;
    let wal = format!("{}-wal", db.url.trim_start_matches("sqlite://"));
    let t = Arc::new(TestApp::new(db).await);
    assert_eq!(t.engine(), Engine::Sqlite);
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (t, agent, done) = (t.clone(), agent.clone(), done.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) && reads < 100_000 {
                let r = t.get("/api/v1/tickets?limit=100", &agent).await;
                assert_eq!(r.status, 200);
                reads += 1;
            }
            reads
        }));
    }
    let mut writers = Vec::new();
    for w in 0..4u64 {
        let (store, requester, wal, peak) = (t.store().clone(), d.cust_member.id, wal.clone(), peak.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..48u64 {
                let mut ticket = crate::writes::ticket(requester, n as usize);
                ticket.attachments = vec![NewAttachment {
                    filename: format!("export-{w}-{n}.bin"),
                    content_type: "application/octet-stream".into(),
                    content_id: None,
                    inline: false,
                    data: unique_bytes(w * 1000 + n, 512 * 1024),
                }];
                store.create_ticket(&ticket).await.expect("create");
                peak.fetch_max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), Ordering::Relaxed);
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.await.expect("reader") > 0, "readers ran during the writes");
    }
    let peak = peak.load(Ordering::Relaxed);
    assert!(peak > 0, "the WAL was in use");
    assert!(peak < 64 * 1024 * 1024, "WAL peaked at {peak} bytes");
}

/// Mail piped into a database nobody has migrated yet, by several
/// processes at once (an MTA delivering its queue after an install): every
/// message is stored; none fails on "table already exists".
async fn first_deliveries(db: TestDb) {
    let url = db.url.clone();
    let mut pipes = Vec::new();
    for n in 0..8 {
        let url = url.clone();
        let raw = format!(
            "From: Customer {n} <c{n}@example.org>\r\nTo: support@acme.example\r\nSubject: First mail {n}\r\n\
             Message-ID: <first-{n}@example.org>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nHello {n}.\r\n"
        );
        pipes.push(tokio::task::spawn_blocking(move || ingest(&url, raw.as_bytes())));
    }
    for pipe in pipes {
        let (code, out) = pipe.await.expect("pipe");
        assert_eq!(code, 0, "{out}");
        assert!(!out.contains("quarantined"), "{out}");
    }
    let t = TestApp::new(db).await;
    let admin = t.user("admin", "admin@vendor.example", None).await;
    let auth = t.token_for(&admin).await;
    let r = t.get("/api/v1/tickets?limit=100", &auth).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"].as_array().expect("data").len(), 8, "one ticket per mail");
}
on_both_engines!(parallel_first_deliveries_migrate_once, first_deliveries);

/// The "Recently solved" count is kept per day, not counted: it equals
/// the tickets the view lists through solving, reopening and closing.
async fn solved_rollup(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let customer = t.token_for(&d.cust_member).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let r =
            t.post_json("/api/v1/tickets", &customer, &serde_json::json!({"subject": format!("Sync {n}"), "body": "It stopped."})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push(r.json()["id"].as_i64().expect("id"));
    }
    let solved_count = || async {
        let counts = t.get("/api/v1/queues", &agent).await.json();
        let count = counts.as_array().expect("counts").iter().find(|c| c["view"] == "solved").expect("solved view")["count"].as_i64();
        let listed = t.get("/api/v1/queues/solved", &agent).await.json()["data"].as_array().expect("data").len() as i64;
        (count.expect("count"), listed)
    };
    assert_eq!(solved_count().await, (0, 0));
    for id in &ids {
        let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &serde_json::json!({"status": "solved"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(solved_count().await, (6, 6));
    // The customer answers one (reopened), an agent closes another, and one
    // is solved again after a reopen.
    let r = t.post_json(&format!("/api/v1/tickets/{}/messages", ids[0]), &customer, &serde_json::json!({"body": "Still broken"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = t.patch_json(&format!("/api/v1/tickets/{}", ids[1]), &agent, &serde_json::json!({"status": "closed"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = t.patch_json(&format!("/api/v1/tickets/{}", ids[2]), &agent, &serde_json::json!({"status": "open"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = t.patch_json(&format!("/api/v1/tickets/{}", ids[2]), &agent, &serde_json::json!({"status": "solved"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(solved_count().await, (4, 4));
}
on_both_engines!(recently_solved_count_is_kept, solved_rollup);

/// Agents solving and reopening the same tickets at once: the per-day
/// solved count still equals what the view lists.
async fn solved_rollup_parallel(db: TestDb) {
    let t = Arc::new(TestApp::new(db).await);
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let customer = t.token_for(&d.cust_member).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let r = t.post_json("/api/v1/tickets", &customer, &serde_json::json!({"subject": format!("Race {n}"), "body": "x"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push(r.json()["id"].as_i64().expect("id"));
    }
    let mut tasks = Vec::new();
    for n in 0..24usize {
        let (t, agent, id) = (t.clone(), agent.clone(), ids[n % 3]);
        tasks.push(tokio::spawn(async move {
            let status = if n % 2 == 0 { "solved" } else { "open" };
            let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &serde_json::json!({"status": status})).await;
            assert_eq!(r.status, 200, "{}", r.text());
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let counts = t.get("/api/v1/queues", &agent).await.json();
    let count = counts.as_array().expect("counts").iter().find(|c| c["view"] == "solved").expect("solved")["count"].as_i64();
    let listed = t.get("/api/v1/queues/solved", &agent).await.json()["data"].as_array().expect("data").len() as i64;
    assert_eq!(count, Some(listed), "count {count:?}, listed {listed}");
}
on_both_engines!(recently_solved_count_under_parallel_edits, solved_rollup_parallel);
