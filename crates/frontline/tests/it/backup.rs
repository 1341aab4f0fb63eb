//! `frontline backup` while the server takes writes, and `frontline
//! restore` into a fresh data folder that then serves the same tickets.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use frontline_testkit::{Engine, TestDb, on_both_engines};
use serde_json::json;

use crate::process::{Server, admin_token, frontline, ok};

/// Keep creating tickets until `stop`; acknowledged ids go to `acked`.
async fn writer(base: String, token: String, n: usize, acked: Arc<Mutex<Vec<i64>>>, stop: Arc<AtomicBool>) {
    let client = reqwest::Client::new();
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let r = client
            .post(format!("{base}/api/v1/tickets"))
            .bearer_auth(&token)
            .json(&json!({"subject": format!("backup load w{n} #{i}"), "body": "x", "requester_email": "kim@customer.example"}))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 201);
        let id = r.json::<serde_json::Value>().await.expect("json")["id"].as_i64().expect("id");
        acked.lock().expect("acked").push(id);
    }
}

/// Change a copied backup file (to make it look older or newer).
async fn edit(file: &std::path::Path, sql: &'static str) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display())).await.expect("open copy");
    sqlx::query(sql).execute(&pool).await.expect("edit copy");
    pool.close().await;
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn backup_and_restore(db: TestDb) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("frontline-backup.db");
    let file_str = file.to_str().expect("path").to_string();

    if db.engine == Engine::Postgres {
        // PostgreSQL: the tools to use, the exact commands, nothing written.
        let out = frontline(&db.url, &["backup", "--to", &file_str]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("pg_dump --format=custom --file"), "{}", stderr(&out));
        assert!(stderr(&out).contains(&db.url), "the configured database: {}", stderr(&out));
        let with_password =
            frontline(&db.url.replacen("postgres://postgres@", "postgres://postgres:s3cret@", 1), &["backup", "--to", &file_str]);
        assert!(!with_password.status.success());
        assert!(
            !stderr(&with_password).contains("s3cret") && stderr(&with_password).contains("postgres:***@"),
            "{}",
            stderr(&with_password)
        );
        assert!(!file.exists());
        let out = frontline(&db.url, &["restore", "--from", &file_str]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("pg_restore"), "{}", stderr(&out));
        return;
    }

    // Nothing to back up yet: said so, and no empty database made.
    let out = frontline(&db.url, &["backup", "--to", &file_str]);
    assert!(!out.status.success() && stderr(&out).contains("there is no database at"), "{}", stderr(&out));
    assert!(!file.exists());

    let token = admin_token(&db.url);
    let server = Server::start(&db.url).await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> =
        (0..3).map(|n| tokio::spawn(writer(server.base.clone(), token.clone(), n, acked.clone(), stop.clone()))).collect();
    for _ in 0..1000 {
        if acked.lock().expect("acked").len() >= 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The backup runs while the writers go on.
    let before: Vec<i64> = acked.lock().expect("acked").clone();
    assert!(before.len() >= 30, "writers are writing");
    let url = db.url.clone();
    let args = ["backup", "--to", &file_str].map(String::from);
    let out = tokio::task::spawn_blocking(move || frontline(&url, &args.each_ref().map(String::as_str))).await.expect("backup");
    let after_backup = acked.lock().expect("acked").len();
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.expect("writer");
    }
    assert!(ok(&out).contains("backup written"));
    assert!(acked.lock().expect("acked").len() > before.len(), "writes went on during the backup");
    assert!(after_backup >= before.len());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("frontline-backup.db")], "no temp file left behind");

    // The copy is sound and holds everything acknowledged before it started.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{file_str}?mode=ro")).await.expect("open backup");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.expect("integrity");
    assert_eq!(integrity, "ok");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM tickets").fetch_all(&pool).await.expect("tickets");
    pool.close().await;
    for id in &before {
        assert!(ids.contains(id), "ticket {id} was acknowledged before the backup");
    }

    // An existing file is kept unless --force.
    let again = frontline(&db.url, &["backup", "--to", &file_str]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("exists; pass --force"), "{}", stderr(&again));
    ok(&frontline(&db.url, &["backup", "--to", &file_str, "--force"]));

    // Restore refuses while a server uses the database, and refuses files that are not Frontline backups.
    let busy = frontline(&db.url, &["restore", "--from", &file_str]);
    assert!(!busy.status.success());
    assert!(stderr(&busy).contains("a Frontline server is using"), "{}", stderr(&busy));
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just text that is long enough").expect("junk");
    let fresh = tempfile::tempdir().expect("fresh");
    let fresh_dir = fresh.path().to_str().expect("path").to_string();
    let restore = |from: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
            .args(["--data-dir", &fresh_dir, "restore", "--from", from])
            .output()
            .expect("restore")
    };
    let refused = restore(junk.to_str().expect("path"));
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("is not a Frontline backup"), "{}", stderr(&refused));
    // A backup from a newer Frontline is refused; an older one is migrated.
    let newer = dir.path().join("newer.db");
    let older = dir.path().join("older.db");
    std::fs::copy(&file, &newer).expect("copy");
    std::fs::copy(&file, &older).expect("copy");
    edit(
        &newer,
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (9999, 'future', CURRENT_TIMESTAMP, TRUE, x'00', 0)",
    )
    .await;
    let refused = restore(newer.to_str().expect("path"));
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("made by a newer Frontline (migration 9999)"), "{}", stderr(&refused));
    edit(&older, "DROP TABLE idempotency_keys").await;
    edit(&older, "DELETE FROM _sqlx_migrations WHERE version = 9").await;
    let older_dir = tempfile::tempdir().expect("older");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--data-dir", older_dir.path().to_str().expect("path"), "restore", "--from", older.to_str().expect("path")])
        .output()
        .expect("restore older");
    ok(&out);
    let pool =
        sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", older_dir.path().join("frontline.db").display())).await.expect("open");
    let keys: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM idempotency_keys").fetch_one(&pool).await.expect("migrated to the newest schema");
    assert_eq!(keys, 0);
    pool.close().await;
    drop(server);

    // Into a fresh data folder, then served: the API has those tickets.
    let out = restore(&file_str);
    assert!(ok(&out).contains("restored"), "{}", ok(&out));
    let restored_url = format!("sqlite://{}", fresh.path().join("frontline.db").display());
    let server = Server::start(&restored_url).await;
    let client = reqwest::Client::new();
    for id in &before {
        let r = client.get(format!("{}/api/v1/tickets/{id}", server.base)).bearer_auth(&token).send().await.expect("get");
        assert_eq!(r.status(), 200, "ticket {id} after restore");
    }
}
on_both_engines!(round_trip, backup_and_restore);
