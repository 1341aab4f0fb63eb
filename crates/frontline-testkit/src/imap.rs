//! A real IMAP server on loopback: Debian's Dovecot with a throwaway
//! configuration, one user, and a Maildir the test delivers into. Plain by
//! default; `start_tls` adds a certificate from a throwaway CA, STARTTLS on
//! `port` (where a login without TLS is refused, when reached at 127.0.0.2)
//! and IMAPS on `imaps_port`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::tls::TestCa;

pub const USER: &str = "imap-test";
pub const PASSWORD: &str = "imap-secret";

pub struct ImapServer {
    /// Plain IMAP, or STARTTLS with `start_tls`.
    pub port: u16,
    /// Implicit TLS; only with `start_tls`.
    pub imaps_port: Option<u16>,
    ca: Option<TestCa>,
    child: Child,
    dir: tempfile::TempDir,
    delivered: usize,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

impl ImapServer {
    /// None (after saying why) when Dovecot is not installed outside CI.
    pub async fn start(test: &str) -> Option<ImapServer> {
        Self::launch(test, None).await
    }

    /// Dovecot with TLS: STARTTLS on `port`, IMAPS on `imaps_port`, its
    /// certificate signed by a CA that only `ca_file()` vouches for.
    pub async fn start_tls(test: &str) -> Option<ImapServer> {
        Self::launch(test, Some(TestCa::new())).await
    }

    /// The CA that signed the server's certificate (TLS servers only).
    pub fn ca_file(&self) -> PathBuf {
        self.ca.as_ref().expect("started with start_tls").ca_file()
    }

    async fn launch(test: &str, ca: Option<TestCa>) -> Option<ImapServer> {
        if !std::path::Path::new("/usr/sbin/dovecot").exists() {
            crate::skip(test, "Dovecot is not installed (apt-get install dovecot-imapd)");
            return None;
        }
        let port = free_port();
        let imaps_port = ca.as_ref().map(|_| free_port());
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(d.join(sub)).expect("dir");
        }
        std::fs::write(d.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n")).expect("passwd");
        let ssl = match &ca {
            // `required`: no login before TLS. Dovecot trusts a connection
            // whose two ends have the same address, so only one made to
            // 127.0.0.2 (from 127.0.0.1) shows that; 127.0.0.3 is an
            // address the certificate does not carry.
            Some(ca) => format!(
                "listen = 127.0.0.1, 127.0.0.2, 127.0.0.3\nssl = required\nssl_cert = <{}\nssl_key = <{}\ndisable_plaintext_auth = yes\n",
                ca.cert_file().display(),
                ca.key_file().display()
            ),
            None => "listen = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n".to_string(),
        };
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\nprotocols = imap\n{ssl}\
             auth_mechanisms = plain login\nfirst_valid_uid = 0\nmail_location = maildir:{d}/mail/%u\n\
             default_internal_user = dovenull\ndefault_login_user = dovenull\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=dovenull gid=dovenull home={d}/home/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = {imaps}\n{imaps_ssl}  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n",
            d = d.display(),
            imaps = imaps_port.unwrap_or(0),
            imaps_ssl = if imaps_port.is_some() { "    ssl = yes\n" } else { "" },
        );
        std::fs::write(d.join("dovecot.conf"), conf).expect("conf");
        // Dovecot drops to this user for mail access; it must own the Maildir.
        let _ = Command::new("chown").args(["-R", "dovenull:dovenull"]).arg(d.join("mail")).arg(d.join("home")).status();
        let _ = Command::new("chmod").args(["755"]).arg(d).status();
        let child = Command::new("/usr/sbin/dovecot")
            .arg("-F")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let mut server = ImapServer { port, imaps_port, ca, child, dir, delivered: 0 };
        let listening = |p: u16| std::net::TcpStream::connect(("127.0.0.1", p)).is_ok();
        for _ in 0..100 {
            if listening(port) && imaps_port.is_none_or(listening) {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.stop();
        panic!("dovecot did not start; see its log in {}", server.dir.path().display());
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail").join(USER)
    }

    /// Frontline's view of this server's INBOX over plain IMAP, as mailbox "support".
    pub fn mailbox(&self) -> frontline_mail::imap::ImapMailbox {
        frontline_mail::imap::ImapMailbox {
            name: "support".into(),
            host: "127.0.0.1".into(),
            port: self.port,
            username: USER.into(),
            password: PASSWORD.into(),
            folder: "INBOX".into(),
            team_id: None,
            security: frontline_mail::imap::ImapSecurity::Plain,
            ca_file: None,
            timeout: frontline_mail::imap::DEFAULT_TIMEOUT,
        }
    }

    /// Put a message into the user's INBOX, as an MTA would.
    pub fn deliver(&mut self, raw: &[u8]) {
        let md = self.maildir();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(md.join(sub)).expect("maildir");
        }
        self.delivered += 1;
        let name = format!("{}.M{}P{}.frontline-test", 1_800_000_000 + self.delivered, self.delivered, std::process::id());
        std::fs::write(md.join("new").join(name), raw).expect("deliver");
        let _ = Command::new("chown").args(["-R", "dovenull:dovenull"]).arg(&md).status();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        self.stop();
    }
}
