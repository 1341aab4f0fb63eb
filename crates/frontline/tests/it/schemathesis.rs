//! schemathesis (from PyPI, pinned in .ci/run) fuzzes the served OpenAPI
//! document against the real binary on SQLite with every check: no server
//! error, no status code, content type or body the document does not
//! declare, auth never ignored, undeclared methods answered 405.

use std::process::{Command, Output};

use frontline_testkit::TestDb;

use crate::process::{Server, admin_token, frontline, ok};

/// The version .ci/run installs; another may judge differently.
const VERSION: &str = "4.32.5";

/// Operations that can take away the fuzzer's own access (revoking its
/// token; a new password or deactivation of its user revokes it too).
/// They run last, on a token of their own, so that the other operations
/// are fuzzed signed in rather than answering 401 throughout.
const LOCKOUTS: &[&str] = &["revoke_token", "update_user"];

fn installed() -> Option<String> {
    let out = Command::new("schemathesis").arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// One bounded run: a few examples per operation and a fixed seed, so it
/// takes about a minute on two cores and is the same run every time.
async fn fuzz(base: &str, token: &str, operations: &'static str) -> Output {
    let (base, token) = (base.to_string(), token.to_string());
    let report = tempfile::tempdir().expect("report dir");
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("schemathesis");
        cmd.arg("--config-file")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml"))
            .args(["run", &format!("{base}/api/v1/openapi.json"), "--url", &base])
            .args(["--checks", "all"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--max-examples", "10", "--seed", "20261202", "--workers", "2", "--request-timeout", "10"])
            .args(["--generation-database", "none", "--no-color"])
            .arg("--report-dir")
            .arg(report.path())
            // Its crash cache goes into the working directory: keep it out of the source tree.
            .current_dir(report.path())
            .env("SCHEMATHESIS_TELEMETRY", "false");
        for id in LOCKOUTS {
            cmd.args([if operations == "lockouts" { "--include-operation-id" } else { "--exclude-operation-id" }, id]);
        }
        cmd.output().expect("run schemathesis")
    })
    .await
    .expect("schemathesis task")
}

fn passed(what: &str, out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis found problems ({what}):\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Tested:"), "schemathesis tested nothing ({what}):\n{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing() {
    let Some(version) = installed() else {
        frontline_testkit::skip(
            "schemathesis::schemathesis_finds_nothing",
            &format!("schemathesis is not installed (pip install schemathesis=={VERSION})"),
        );
        return;
    };
    assert!(version.contains(VERSION), "schemathesis {VERSION} expected (as .ci/run installs), found: {version}");
    let db = TestDb::sqlite().await;
    let token = admin_token(&db.url);
    let last_token =
        ok(&frontline(&db.url, &["token", "create", "--email", "ops@vendor.example", "--name", "lockouts"])).trim().to_string();
    let server = Server::start(&db.url).await;
    passed("every operation but the lockouts", &fuzz(&server.base, &token, "others").await);
    passed("the lockouts", &fuzz(&server.base, &last_token, "lockouts").await);
}
