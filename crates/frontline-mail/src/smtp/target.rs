//! Where and how to send, read from `smtp_url` the way lettre's `from_url`
//! reads it (same schemes, `tls` values, default ports, `user:pass@` and
//! `/hello-name`), so existing settings keep their meaning.

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{SMTP_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT};

use crate::error::ConfigError;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://host` without `tls`: plain, for a local relay.
    Plain,
    /// `smtp://host?tls=required`: STARTTLS or no mail.
    StartTls,
    /// `smtp://host?tls=opportunistic`: STARTTLS when offered.
    StartTlsIfOffered,
    /// `smtps://host`: TLS from the first byte.
    Implicit,
}

#[derive(Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
    pub hello: ClientId,
}

impl std::fmt::Debug for Target {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("auth", &self.credentials.is_some())
            .finish()
    }
}

impl Target {
    pub fn parse(smtp_url: &str) -> Result<Target, ConfigError> {
        let bad = |why: String| ConfigError::SmtpUrl(why);
        let url = url::Url::parse(smtp_url).map_err(|e| bad(e.to_string()))?;
        let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("it names no host".into()))?;
        // An IPv6 literal comes back in brackets; connecting wants it bare.
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, SMTP_PORT),
            ("smtp", Some("required")) => (Security::StartTls, SUBMISSION_PORT),
            ("smtp", Some("opportunistic")) => (Security::StartTlsIfOffered, SUBMISSION_PORT),
            ("smtps", _) => (Security::Implicit, SUBMISSIONS_PORT),
            (scheme, tls) => {
                return Err(bad(format!(
                    "unknown scheme '{scheme}' or tls parameter '{}' (use smtp://, smtp://…?tls=required or smtps://)",
                    tls.unwrap_or("")
                )));
            }
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        let credentials = match url.password() {
            Some(password) => {
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8()
                        .map(|s| s.into_owned())
                        .map_err(|e| bad(format!("the user or password is not UTF-8 once decoded: {e}")))
                };
                Some(Credentials::new(decode(url.username())?, decode(password)?))
            }
            None => None,
        };
        Ok(Target { port: url.port().unwrap_or(default_port), host, security, credentials, hello })
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    pub fn uses_tls(&self) -> bool {
        self.security != Security::Plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_lettre_read() {
        let t = Target::parse("smtp://127.0.0.1").expect("plain");
        assert_eq!((t.port, t.security, t.credentials.is_some()), (25, Security::Plain, false));
        let t = Target::parse("smtp://u%40x:p%2Fw@mail.example?tls=required").expect("starttls");
        assert_eq!((t.host.as_str(), t.port, t.security), ("mail.example", 587, Security::StartTls));
        assert!(t.credentials == Some(Credentials::new("u@x".into(), "p/w".into())), "decoded");
        let t = Target::parse("smtp://mail.example:2525?tls=opportunistic").expect("opportunistic");
        assert_eq!((t.port, t.security), (2525, Security::StartTlsIfOffered));
        let t = Target::parse("smtps://mail.example/desk.example").expect("smtps");
        assert_eq!((t.port, t.security), (465, Security::Implicit));
        assert_eq!(t.hello, ClientId::Domain("desk.example".into()));
        assert_eq!(Target::parse("smtp://[::1]:25").expect("v6").host, "::1");
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for url in ["http://mail.example", "smtp://mail.example?tls=sometimes", "not a url", "smtp:///nohost"] {
            let err = Target::parse(url).expect_err(url).to_string();
            assert!(err.starts_with("smtp_url is not usable"), "{url}: {err}");
        }
        let debug = format!("{:?}", Target::parse("smtp://u:secret@mail.example").expect("url"));
        assert!(!debug.contains("secret"), "{debug}");
    }
}
