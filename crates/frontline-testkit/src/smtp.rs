//! A real SMTP server on loopback that keeps what it receives: aiosmtpd
//! (from PyPI) with its Maildir handler, so tests read the exact bytes sent.
//! `start_tls` runs `smtp_sink.py` instead: STARTTLS with a certificate from
//! a throwaway CA, and AUTH required after it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::tls::TestCa;

/// The one account of the TLS sink.
pub const USER: &str = "smtp-test";
pub const PASSWORD: &str = "smtp-secret";

const TLS_SINK: &str = include_str!("smtp_sink.py");

pub struct SmtpSink {
    pub port: u16,
    ca: Option<TestCa>,
    /// TLS from the first byte (smtps) rather than STARTTLS.
    implicit: bool,
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// None (after saying why) when aiosmtpd is not installed outside CI.
    pub async fn start(test: &str) -> Option<SmtpSink> {
        Self::launch(test, None, false).await
    }

    /// A sink that requires STARTTLS and then AUTH as `USER`/`PASSWORD`.
    pub async fn start_tls(test: &str) -> Option<SmtpSink> {
        Self::launch(test, Some(TestCa::new()), false).await
    }

    /// A sink that speaks TLS from the first byte (smtps) and requires AUTH.
    pub async fn start_implicit_tls(test: &str) -> Option<SmtpSink> {
        Self::launch(test, Some(TestCa::new()), true).await
    }

    async fn launch(test: &str, ca: Option<TestCa>, implicit: bool) -> Option<SmtpSink> {
        let has = Command::new("python3").args(["-c", "import aiosmtpd"]).status().map(|s| s.success()).unwrap_or(false);
        if !has {
            crate::skip(test, "python3 with aiosmtpd is not installed (pip install aiosmtpd)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let dir = tempfile::tempdir().expect("maildir");
        let maildir = dir.path().join("mail");
        let mut command = Command::new("python3");
        match &ca {
            None => {
                command.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"]).arg(&maildir);
            }
            Some(ca) => {
                let script = dir.path().join("smtp_sink.py");
                std::fs::write(&script, TLS_SINK).expect("sink script");
                command.arg(script).arg(port.to_string()).arg(&maildir).arg(ca.cert_file()).arg(ca.key_file()).args([USER, PASSWORD]);
                if implicit {
                    command.arg("implicit");
                }
            }
        }
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start aiosmtpd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(SmtpSink { port, ca, implicit, child, dir });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Where to send: plain, or STARTTLS with the right credentials.
    pub fn url(&self) -> String {
        match self.ca {
            None => format!("smtp://127.0.0.1:{}", self.port),
            Some(_) => self.url_with_password(PASSWORD),
        }
    }

    /// The TLS sink's URL with some password, right or wrong.
    pub fn url_with_password(&self, password: &str) -> String {
        if self.implicit {
            format!("smtps://{USER}:{password}@127.0.0.1:{}", self.port)
        } else {
            format!("smtp://{USER}:{password}@127.0.0.1:{}?tls=required", self.port)
        }
    }

    /// The CA that signed the TLS sink's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.ca.as_ref().expect("started with start_tls").ca_file()
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail").join("new")
    }

    /// Every message received so far, raw, oldest first.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir()) else { return vec![] };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), e.path()))
            .collect();
        files.sort();
        files.into_iter().filter_map(|(_, p)| std::fs::read_to_string(p).ok()).collect()
    }

    /// Wait (bounded) until `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} mails, got {}", self.messages().len());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
