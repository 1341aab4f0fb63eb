//! The real `frontline` binary as a server process on a loopback port, for
//! tests that kill it or copy its database while it runs.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Run a `frontline` command against `database_url`.
pub fn frontline(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontline"))
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .env_remove("FRONTLINE_PASSWORD")
        .output()
        .expect("run frontline")
}

pub fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh admin and an API token for it, made through the CLI.
pub fn admin_token(database_url: &str) -> String {
    ok(&frontline(database_url, &["migrate"]));
    ok(&frontline(
        database_url,
        &["user", "create", "--email", "ops@vendor.example", "--name", "Ops", "--role", "admin", "--password", "a long password"],
    ));
    ok(&frontline(database_url, &["user", "create", "--email", "kim@customer.example", "--name", "Kim", "--role", "customer_member"]));
    ok(&frontline(database_url, &["token", "create", "--email", "ops@vendor.example", "--name", "test"])).trim().to_string()
}

pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// `frontline serve` on a free port, once it answers /readyz. The API's
    /// rate limits are off: these tests load it from one token and address
    /// to test other things.
    pub async fn start(database_url: &str) -> Server {
        Self::start_with(database_url, &[("FRONTLINE_API_RATE_PER_TOKEN", "0"), ("FRONTLINE_API_RATE_PER_IP", "0")]).await
    }

    /// Like `start`, with these `FRONTLINE_*` settings in its environment.
    pub async fn start_with(database_url: &str, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_frontline"))
            .args(["--database-url", database_url, "serve", "--listen", &format!("127.0.0.1:{port}"), "--base-url", &base])
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn frontline serve");
        let mut server = Server { child, base };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
                && r.status() == 200
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("frontline serve exited: {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.kill();
        panic!("frontline serve did not become ready within 15 s");
    }

    /// SIGKILL: no shutdown, no flush, whatever was in flight is cut off.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
