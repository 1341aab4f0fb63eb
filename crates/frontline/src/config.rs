//! Configuration: defaults, then a TOML file, then FRONTLINE_* environment
//! variables, then command-line flags. Unknown keys are warned about.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the SQLite database lives when no database_url is given.
    pub data_dir: PathBuf,
    /// postgres://... or sqlite://...; overrides data_dir.
    pub database_url: Option<String>,
    /// The public URL people use (also the trusted origin for CSRF checks).
    pub base_url: String,
    /// Send cookies only over HTTPS; turn on behind TLS.
    pub secure_cookies: bool,
    /// Database connections per instance.
    pub max_connections: u32,
    /// "text" or "json".
    pub log_format: String,
    /// Log a line per HTTP request (at DEBUG otherwise, so hidden by default).
    pub log_requests: bool,
    /// Run the background job runner in this instance.
    pub run_jobs: bool,
    /// Background jobs (notification mails, ...) run at once by this instance.
    pub job_workers: usize,
    /// Seconds a claimed job stays this instance's without a heartbeat: how
    /// soon another instance takes over the jobs of one that died.
    pub job_lease_seconds: u64,
    /// Seconds between the scheduler's ticks (SLA recompute, near-breach
    /// warnings, automatic rules), sooner when an SLA state changes; 0: this
    /// instance never starts the scheduler (another one may).
    pub scheduler_seconds: u64,
    /// Days the link in an invitation (a user added without a password) works.
    pub invitation_days: i64,
    /// Outgoing mail: smtp://host:25, smtp://user:pass@host:587?tls=required, smtps://host:465.
    /// Without it no notification mail is queued.
    pub smtp_url: Option<String>,
    /// PEM file of a private CA to trust (besides the public roots) for smtp_url's TLS.
    pub smtp_ca_file: Option<PathBuf>,
    /// Sender of notification mail, e.g. "Acme Support <support@acme.example>".
    pub mail_from: String,
    /// Other addresses that deliver into Frontline (aliases such as
    /// billing@...); with mail_from and the IMAP logins they are never made
    /// into customers or followers, and mail from them is refused as a loop.
    pub mail_addresses: Vec<String>,
    /// Largest file a message may carry, and all files of one message together (MB).
    pub attachment_max_mb: usize,
    pub attachment_total_mb: usize,
    /// Mailboxes polled over IMAP ([[imap]] tables in the TOML file).
    pub imap: Vec<ImapConfig>,
    /// Seconds between IMAP polls.
    pub imap_poll_seconds: u64,
    /// Longest wait for one answer from an IMAP server (connecting, a
    /// command, the next message of a fetch) before the poll gives up.
    pub imap_timeout_seconds: u64,
    /// Serve /metrics on this address only (e.g. 127.0.0.1:9090), nothing else there.
    pub metrics_listen: Option<SocketAddr>,
    /// Serve /metrics to `Authorization: Bearer <token>` (on the main
    /// listener, or on metrics_listen too when both are set).
    pub metrics_token: Option<String>,
    /// API requests per second allowed to one API token (or signed-in
    /// user), sustained, and how many may come at once; 0 disables.
    pub api_rate_per_token: u32,
    pub api_burst_per_token: u32,
    /// The same per client address, before authentication; 0 disables.
    pub api_rate_per_ip: u32,
    pub api_burst_per_ip: u32,
    /// Addresses or networks (10.0.0.0/8) of proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<String>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct ImapConfig {
    /// Our name for the mailbox (its progress is kept under it).
    pub name: String,
    pub host: String,
    /// "tls" (IMAPS), "starttls" or "plain"; plain must be chosen explicitly.
    #[serde(default)]
    pub security: ImapSecurityConfig,
    /// Defaults to 993 for "tls", 143 otherwise.
    #[serde(default)]
    pub port: Option<u16>,
    pub username: String,
    pub password: String,
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Team that new tickets from this mailbox go to (by name).
    #[serde(default)]
    pub team: Option<String>,
    /// PEM file of a private CA to trust besides the public roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// Spelled out in the file; a typo is a configuration error, not a silent plain connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapSecurityConfig {
    #[default]
    Tls,
    Starttls,
    Plain,
}

impl From<ImapSecurityConfig> for frontline_mail::imap::ImapSecurity {
    fn from(s: ImapSecurityConfig) -> Self {
        match s {
            ImapSecurityConfig::Tls => Self::Tls,
            ImapSecurityConfig::Starttls => Self::StartTls,
            ImapSecurityConfig::Plain => Self::Plain,
        }
    }
}

impl ImapConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or_else(|| frontline_mail::imap::ImapSecurity::from(self.security).default_port())
    }
}

fn default_folder() -> String {
    "INBOX".into()
}

const KNOWN_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "base_url",
    "secure_cookies",
    "max_connections",
    "log_format",
    "log_requests",
    "run_jobs",
    "job_workers",
    "job_lease_seconds",
    "scheduler_seconds",
    "invitation_days",
    "smtp_url",
    "smtp_ca_file",
    "mail_from",
    "mail_addresses",
    "attachment_max_mb",
    "attachment_total_mb",
    "imap",
    "imap_poll_seconds",
    "imap_timeout_seconds",
    "metrics_listen",
    "metrics_token",
    "api_rate_per_token",
    "api_burst_per_token",
    "api_rate_per_ip",
    "api_burst_per_ip",
    "trusted_proxies",
];

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            base_url: "http://127.0.0.1:8080".into(),
            secure_cookies: false,
            max_connections: 10,
            log_format: "text".into(),
            log_requests: false,
            run_jobs: true,
            job_workers: 16,
            job_lease_seconds: 30,
            scheduler_seconds: 5,
            invitation_days: 7,
            smtp_url: None,
            smtp_ca_file: None,
            mail_from: "Support <support@localhost.localdomain>".into(),
            mail_addresses: vec![],
            attachment_max_mb: 10,
            attachment_total_mb: 25,
            imap: vec![],
            imap_poll_seconds: 30,
            imap_timeout_seconds: 60,
            metrics_listen: None,
            metrics_token: None,
            // Well above what an integration sends in normal use; a runaway loop is stopped.
            api_rate_per_token: 20,
            api_burst_per_token: 100,
            api_rate_per_ip: 50,
            api_burst_per_ip: 200,
            trusted_proxies: vec![],
        }
    }
}

// Hand-written so that a database URL with a password never reaches a log.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|u| redact_url(u)))
            .field("base_url", &self.base_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("max_connections", &self.max_connections)
            .field("log_format", &self.log_format)
            .field("log_requests", &self.log_requests)
            .field("run_jobs", &self.run_jobs)
            .field("job_workers", &self.job_workers)
            .field("job_lease_seconds", &self.job_lease_seconds)
            .field("scheduler_seconds", &self.scheduler_seconds)
            .field("invitation_days", &self.invitation_days)
            .field("smtp_url", &self.smtp_url.as_ref().map(|u| redact_url(u)))
            .field("smtp_ca_file", &self.smtp_ca_file)
            .field("mail_from", &self.mail_from)
            .field("mail_addresses", &self.mail_addresses)
            .field("attachment_max_mb", &self.attachment_max_mb)
            .field("attachment_total_mb", &self.attachment_total_mb)
            .field(
                "imap",
                &self
                    .imap
                    .iter()
                    .map(|m| format!("{}: {}@{}:{}/{} ({:?})", m.name, m.username, m.host, m.port(), m.folder, m.security))
                    .collect::<Vec<_>>(),
            )
            .field("imap_poll_seconds", &self.imap_poll_seconds)
            .field("imap_timeout_seconds", &self.imap_timeout_seconds)
            .field("metrics_listen", &self.metrics_listen)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("api_rate_per_token", &(self.api_rate_per_token, self.api_burst_per_token))
            .field("api_rate_per_ip", &(self.api_rate_per_ip, self.api_burst_per_ip))
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

impl Config {
    /// Who may read /metrics: a listener of its own, a token, or nobody
    /// (an empty token counts as none).
    pub fn metrics_access(&self) -> frontline_web::metrics::MetricsAccess {
        use frontline_web::metrics::MetricsAccess;
        let token = self.metrics_token.clone().filter(|t| !t.trim().is_empty());
        match (self.metrics_listen, token) {
            (Some(_), token) => MetricsAccess::OwnListener(token),
            (None, Some(token)) => MetricsAccess::Token(token),
            (None, None) => MetricsAccess::Off,
        }
    }

    /// The API's rate limits; a trusted proxy that is not an address or network is an error.
    pub fn rate_limits(&self) -> anyhow::Result<frontline_web::rate_limit::RateLimits> {
        use frontline_web::rate_limit::{Limit, RateLimits, parse_proxy};
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|p| parse_proxy(p))
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        Ok(RateLimits {
            per_token: Limit::new(self.api_rate_per_token, self.api_burst_per_token),
            per_ip: Limit::new(self.api_rate_per_ip, self.api_burst_per_ip),
            trusted_proxies,
        })
    }

    pub fn metrics_enabled(&self) -> bool {
        !matches!(self.metrics_access(), frontline_web::metrics::MetricsAccess::Off)
    }

    /// Frontline's own addresses: the sender, the aliases, and IMAP logins that are addresses.
    pub fn own_addresses(&self) -> Vec<String> {
        let from = self.mail_from.rsplit_once('<').map(|(_, a)| a.trim_end_matches('>')).unwrap_or(&self.mail_from);
        let mut all: Vec<String> = std::iter::once(from)
            .chain(self.mail_addresses.iter().map(String::as_str))
            .chain(self.imap.iter().map(|m| m.username.as_str()).filter(|u| u.contains('@')))
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    pub fn attachment_limits(&self) -> frontline_domain::attachment::Limits {
        const MB: usize = 1024 * 1024;
        let total = self.attachment_total_mb.clamp(1, 1024) * MB;
        frontline_domain::attachment::Limits {
            max_file_bytes: (self.attachment_max_mb.clamp(1, 1024) * MB).min(total),
            max_total_bytes: total,
            ..Default::default()
        }
    }
}

/// postgres://user:secret@host/db -> postgres://user:***@host/db
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Values given on the command line win over everything else.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

pub fn load(file: Option<&PathBuf>, overrides: &Overrides) -> anyhow::Result<Config> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    let default_file = PathBuf::from("frontline.toml");
    match file {
        Some(path) => {
            anyhow::ensure!(path.exists(), "config file {} does not exist", path.display());
            fig = fig.merge(Toml::file(path));
        }
        None if default_file.exists() => fig = fig.merge(Toml::file(default_file)),
        None => {}
    }
    fig = fig.merge(Env::prefixed("FRONTLINE_").ignore(&["config", "test_postgres_url"])).merge(Serialized::defaults(overrides));
    if let Ok(all) = fig.extract::<std::collections::BTreeMap<String, figment::value::Value>>() {
        for key in all.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            eprintln!("warning: unknown configuration key '{key}' is ignored");
        }
    }
    let mut config: Config = fig.extract().context("invalid configuration")?;
    // Listening elsewhere than the default without a base URL: follow the listen address.
    if config.base_url == Config::default().base_url && config.listen != Config::default().listen {
        config.base_url = format!("http://{}", config.listen);
    }
    Ok(config)
}

impl Config {
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        Ok(format!("sqlite://{}", self.data_dir.join("frontline.db").display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/x"), "postgres://app:***@db:5432/x");
        assert_eq!(redact_url("sqlite://data/f.db"), "sqlite://data/f.db");
        let c =
            Config { database_url: Some("postgres://app:s3cret@db/x".into()), metrics_token: Some("m3trics".into()), ..Config::default() };
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(!format!("{c:?}").contains("m3trics"));
    }

    #[test]
    fn flags_override_defaults() {
        let o = Overrides { listen: Some("127.0.0.1:9999".parse().unwrap_or(Config::default().listen)), ..Default::default() };
        let c = load(None, &o).unwrap_or_default();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.base_url, "http://127.0.0.1:9999");
    }

    #[test]
    fn metrics_only_when_asked_for() {
        use frontline_web::metrics::MetricsAccess;
        let c = from_toml("").unwrap();
        assert!(matches!(c.metrics_access(), MetricsAccess::Off));
        assert!(matches!(from_toml("metrics_token = \"  \"\n").unwrap().metrics_access(), MetricsAccess::Off), "an empty token is none");
        assert!(matches!(from_toml("metrics_token = \"t\"\n").unwrap().metrics_access(), MetricsAccess::Token(t) if t == "t"));
        let own = from_toml("metrics_listen = \"127.0.0.1:9090\"\n").unwrap();
        assert!(matches!(own.metrics_access(), MetricsAccess::OwnListener(None)));
        let both = from_toml("metrics_listen = \"127.0.0.1:9090\"\nmetrics_token = \"t\"\n").unwrap();
        assert!(matches!(both.metrics_access(), MetricsAccess::OwnListener(Some(t)) if t == "t"));
        assert_eq!(c.imap_timeout_seconds, 60);
    }

    #[test]
    fn rate_limits_by_default_and_off_with_zero() {
        use frontline_web::rate_limit::Limit;
        let limits = from_toml("").unwrap().rate_limits().unwrap();
        assert_eq!(limits.per_token, Limit::new(20, 100));
        assert_eq!(limits.per_ip, Limit::new(50, 200));
        let off = from_toml("api_rate_per_token = 0\napi_rate_per_ip = 0\n").unwrap().rate_limits().unwrap();
        assert_eq!((off.per_token, off.per_ip), (None, None));
        let proxies = from_toml("trusted_proxies = [\"10.0.0.0/8\", \"192.168.1.1\"]\n").unwrap().rate_limits().unwrap();
        assert_eq!(proxies.trusted_proxies.len(), 2);
        let bad = from_toml("trusted_proxies = [\"lb.internal\"]\n").unwrap().rate_limits().expect_err("refused");
        assert!(bad.to_string().contains("lb.internal"), "{bad}");
    }

    fn from_toml(toml: &str) -> Result<Config, String> {
        Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(toml)).extract().map_err(|e| e.to_string())
    }

    #[test]
    fn imap_is_tls_unless_told_otherwise() {
        let mailbox = "[[imap]]\nname = \"support\"\nhost = \"mail.example\"\nusername = \"u\"\npassword = \"p\"\n";
        let c = from_toml(mailbox).unwrap();
        assert_eq!(c.imap[0].security, ImapSecurityConfig::Tls);
        assert_eq!(c.imap[0].port(), 993);
        let c = from_toml(&format!("{mailbox}security = \"starttls\"\nca_file = \"/etc/ca.pem\"\n")).unwrap();
        assert_eq!((c.imap[0].security, c.imap[0].port()), (ImapSecurityConfig::Starttls, 143));
        assert_eq!(c.imap[0].ca_file.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        let c = from_toml(&format!("{mailbox}security = \"plain\"\nport = 1143\n")).unwrap();
        assert_eq!((c.imap[0].security, c.imap[0].port()), (ImapSecurityConfig::Plain, 1143));
        // A misspelt mode is refused, never taken as plain.
        let err = from_toml(&format!("{mailbox}security = \"ssl\"\n")).expect_err("refused");
        assert!(err.contains("ssl"), "{err}");
    }
}
