//! The command line: administration without the UI, on both engines.

use std::process::{Command, Output};

use frontline_testkit::{TestDb, on_both_engines};

fn frontline(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontline"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("FRONTLINE_PASSWORD")
        .output()
        .expect("run frontline")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn administration(db: TestDb) {
    ok(&frontline(&db, &["migrate"]));
    let out = ok(&frontline(&db, &["org", "create", "--name", "Tailspin Travel", "--domain", "tailspin.test"]));
    assert!(out.contains("created organization Tailspin Travel"), "{out}");
    let out = ok(&frontline(
        &db,
        &["user", "create", "--email", "ops@vendor.example", "--name", "Ops", "--role", "admin", "--password", "a long password"],
    ));
    assert!(out.contains("created user Ops"));
    ok(&frontline(&db, &["user", "create", "--email", "arjun@tailspin.test", "--name", "Arjun", "--role", "customer_member"]));

    // Errors are clear and exit non-zero.
    let bad = frontline(&db, &["user", "create", "--email", "nope", "--name", "X", "--role", "agent"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("email must look like name@example.com"));
    let bad = frontline(&db, &["user", "create", "--email", "x@vendor.example", "--name", "X", "--role", "wizard"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));

    // A token from the CLI works against the API of an app on the same database.
    let token = ok(&frontline(&db, &["token", "create", "--email", "ops@vendor.example", "--name", "cli"])).trim().to_string();
    assert!(token.starts_with("fl_"));
    let store = db.store().await;
    let app = frontline_app::App::new(store.clone(), frontline_app::AppConfig { fast_password_hashing: true, ..Default::default() });
    let user = app.token_user(&token).await.expect("lookup").expect("token works");
    assert_eq!(user.email, "ops@vendor.example");
    let arjun = app.user_by_email("arjun@tailspin.test").await.expect("q").expect("arjun");
    assert_eq!(arjun.organization_name.as_deref(), Some("Tailspin Travel"), "joined by email domain");

    // Password reset and deactivation.
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--database-url", &db.url, "user", "set-password", "--email", "ops@vendor.example", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(b"another long password\n").expect("write");
    assert!(child.wait().expect("wait").success());
    assert!(app.login("ops@vendor.example", "another long password", "-").await.is_ok());
    assert!(app.token_user(&token).await.expect("lookup").is_none(), "a password reset by an admin revokes the account's tokens");
    ok(&frontline(&db, &["user", "deactivate", "--email", "ops@vendor.example"]));
    assert!(app.token_user(&token).await.expect("lookup").is_none(), "deactivated users' tokens stop working");
    assert!(app.login("ops@vendor.example", "another long password", "-").await.is_err());
    let audit = store.list_audit(0, 50).await.expect("audit");
    assert!(audit.items.iter().any(|a| a.action == "user.set_password"));
    store.close().await;
}
on_both_engines!(admin_commands, administration);

fn help(command: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_frontline")).args(command).arg("--help").output().expect("run");
    assert!(out.status.success(), "{command:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("Usage:"), "{command:?}: {text}");
    text
}

/// The entries of one section ("Commands:", "Options:") of a help text, each
/// with whether it has a description (on its line or the next, deeper one).
fn section(help: &str, title: &str) -> Vec<(String, bool)> {
    let lines: Vec<&str> = help.lines().skip_while(|l| *l != title).skip(1).take_while(|l| !l.is_empty()).collect();
    let mut out = vec![];
    for (i, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if indent == 0 || indent > 6 {
            continue; // a wrapped description, not an entry
        }
        let entry = line.trim();
        let (name, rest) = entry.split_once("  ").unwrap_or((entry, ""));
        let next_is_description = lines.get(i + 1).is_some_and(|n| n.len() - n.trim_start().len() > 6);
        out.push((name.trim().to_string(), !rest.trim().is_empty() || next_is_description));
    }
    out
}

/// Every command and subcommand prints help, and every one of their
/// flags says what it is for (`--email` and `--name` once did not).
#[test]
fn every_command_and_flag_has_help() {
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    while let Some(command) = todo.pop() {
        let text = help(&command);
        seen += 1;
        for (flag, described) in section(&text, "Options:") {
            assert!(described, "`frontline {} {flag}` has no help text:\n{text}", command.join(" "));
        }
        for (sub, described) in section(&text, "Commands:") {
            if sub == "help" {
                continue;
            }
            assert!(described, "`frontline {} {sub}` has no help text", command.join(" "));
            let mut next = command.clone();
            next.push(sub);
            todo.push(next);
        }
    }
    assert!(seen > 15, "only {seen} commands found: the help parser is broken");
}

#[test]
fn the_help_parser_finds_a_flag_without_help() {
    let text = "Usage: x\n\nOptions:\n      --email <EMAIL>\n      --name <NAME>  Full name\n  -h, --help         Print help\n";
    assert_eq!(
        section(text, "Options:"),
        vec![("--email <EMAIL>".to_string(), false), ("--name <NAME>".to_string(), true), ("-h, --help".to_string(), true)]
    );
}

async fn migrate_says_what_it_applied(db: TestDb) {
    let first = ok(&frontline(&db, &["migrate"]));
    assert!(first.contains("applied ") && first.contains("0001 "), "a new database lists its migrations: {first}");
    assert!(!first.contains("up to date"), "{first}");
    let again = ok(&frontline(&db, &["migrate"]));
    assert!(again.starts_with("database is up to date"), "{again}");
    assert!(!again.contains("applied "), "{again}");
}
on_both_engines!(migrate_lists_migrations, migrate_says_what_it_applied);

async fn user_without_password_is_told(db: TestDb) {
    ok(&frontline(&db, &["migrate"]));
    let out = ok(&frontline(&db, &["user", "create", "--email", "ana@vendor.example", "--name", "Ana", "--role", "agent"]));
    assert!(out.contains("created user Ana"), "{out}");
    assert!(out.contains("cannot sign in") && out.contains("set-password"), "the admin is told the agent cannot sign in: {out}");
    let with = ok(&frontline(
        &db,
        &["user", "create", "--email", "bo@vendor.example", "--name", "Bo", "--role", "agent", "--password", "a long password"],
    ));
    assert!(!with.contains("cannot sign in"), "{with}");
}
on_both_engines!(user_create_without_password, user_without_password_is_told);

/// Runs `frontline serve` with `config` (TOML, without `listen`), asks it
/// for /readyz, stops it, and returns what it logged to its stdout pipe.
fn serve_logs(config: &str) -> String {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let file = dir.path().join("frontline.toml");
    std::fs::write(&file, format!("listen = \"127.0.0.1:{port}\"\n{config}")).expect("config");
    let child = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--config", file.to_str().expect("path"), "--data-dir", dir.path().to_str().expect("path"), "serve"])
        .env_remove("RUST_LOG")
        .env_remove("FRONTLINE_LOG_REQUESTS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve");
    let mut answer = String::new();
    for _ in 0..100 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("write");
            s.read_to_string(&mut answer).expect("read");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let out = child.wait_with_output().expect("wait");
    assert!(answer.ends_with("ready"), "{answer}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn logs_to_a_pipe_are_plain_and_quiet_about_requests() {
    let logs = serve_logs("");
    assert!(logs.lines().count() > 0, "nothing logged");
    assert!(!logs.contains('\u{1b}'), "colour codes in logs written to a pipe: {logs:?}");
    assert!(!logs.contains("/readyz"), "a request logged at the default level: {logs}");
}

#[test]
fn log_requests_logs_a_line_per_request() {
    let logs = serve_logs("log_requests = true\n");
    assert!(!logs.contains('\u{1b}'), "{logs:?}");
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains("/readyz")).collect();
    assert_eq!(lines.len(), 1, "one line per request: {logs}");
    assert!(lines[0].contains("status=200"), "{}", lines[0]);
}

#[test]
fn demo_seeds_and_exits_without_serving() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--data-dir", dir.path().to_str().expect("path"), "demo", "--no-serve"])
        .output()
        .expect("run demo");
    let stdout = ok(&out);
    assert!(
        stdout.contains("frontline-demo") && stdout.contains("admin@frontline.example") && stdout.contains("t1.alex@frontline.example"),
        "{stdout}"
    );
    assert!(dir.path().join("frontline.db").exists());
    // Running it again keeps the data and still prints the logins.
    let again = ok(&Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--data-dir", dir.path().to_str().expect("path"), "demo", "--no-serve"])
        .output()
        .expect("run"));
    assert!(again.contains("admin@frontline.example"));
}

/// `frontline serve` with a config file and environment variables: it
/// answers health checks on the configured address and stops on SIGTERM.
#[test]
fn serve_reads_config_file_and_environment() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let config = dir.path().join("frontline.toml");
    std::fs::write(&config, format!("listen = \"127.0.0.1:{port}\"\nlog_format = \"json\"\nlog_requests = true\nsurprise = 1\n"))
        .expect("config");
    let child = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--config", config.to_str().expect("path"), "serve"])
        .env("FRONTLINE_DATA_DIR", dir.path().join("data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve");
    let mut answer = String::new();
    for _ in 0..100 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("write");
            s.read_to_string(&mut answer).expect("read");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let out = child.wait_with_output().expect("wait");
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ready"), "{answer}");
    assert!(out.status.success(), "graceful shutdown on SIGTERM");
    assert!(dir.path().join("data/frontline.db").exists(), "data dir from FRONTLINE_DATA_DIR");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown configuration key 'surprise'"), "{stderr}");
    let logs = String::from_utf8_lossy(&out.stdout);
    let line = logs.lines().find(|l| l.contains("/readyz")).unwrap_or_else(|| panic!("no request log line: {logs}"));
    let json: serde_json::Value = serde_json::from_str(line).expect("json log line");
    assert!(json["span"]["request_id"].is_string() || json["spans"][0]["request_id"].is_string(), "request id on the line: {line}");
}
