//! Outgoing mail: renders a `Notification` (text and HTML from the same
//! templates) and sends it over SMTP with lettre. Threading headers
//! (Message-ID, In-Reply-To, References) let the customer's answer find its
//! ticket; automatic mail says so (RFC 3834 Auto-Submitted) so that
//! auto-responders do not answer it.

pub mod counters;
pub mod error;
pub mod imap;
pub mod smtp;

/// The largest message taken in (pipe and IMAP); larger ones are bounced
/// by the MTA or left on the IMAP server with a note in the quarantine.
pub const MAX_MESSAGE_BYTES: usize = 50 * 1024 * 1024;
pub mod inbound;
pub mod tls;

use askama::Template;
use frontline_app::mail::{Mailer, Notification, SendFuture};
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

pub use error::{ConfigError, ImapError, ImapFailure, ParseError, RenderError, SendError, TlsConfigError};

#[derive(Template)]
#[template(path = "notification.txt")]
struct TextMail<'a> {
    n: &'a Notification,
    intro: &'a str,
}

#[derive(Template)]
#[template(path = "notification.html")]
struct HtmlMail<'a> {
    n: &'a Notification,
    intro: &'a str,
}

#[derive(Template)]
#[template(
    source = "<!doctype html>\n<html><body style=\"font-family: system-ui, sans-serif; color: #1c2330; line-height: 1.45\"><div style=\"white-space: pre-wrap\">{{ text }}</div></body></html>",
    ext = "html"
)]
struct CustomHtml<'a> {
    text: &'a str,
}

/// RFC 3834: this mail was sent by a program, do not auto-reply to it.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// Names the ticket for our own loop detection and for mail filters.
#[derive(Clone)]
struct TicketHeader(i64);

impl Header for TicketHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Frontline-Ticket")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(TicketHeader(s.trim().parse()?))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_string())
    }
}

/// Build the MIME message for a notification.
pub fn build(n: &Notification, from: &Mailbox) -> Result<Message, RenderError> {
    let intro = n.kind.intro();
    let (subject, text, html) = match &n.custom {
        // An admin's template: the HTML part is the same text, escaped, as paragraphs.
        Some((subject, text)) => (subject.clone(), text.clone(), CustomHtml { text }.render()?),
        None => (n.kind.subject(n.ticket_id, &n.subject), TextMail { n, intro }.render()?, HtmlMail { n, intro }.render()?),
    };
    let mut b = Message::builder().from(from.clone()).reply_to(from.clone()).subject(subject).message_id(Some(n.message_id.clone()));
    // Account mail (a password reset) belongs to no ticket.
    if n.ticket_id > 0 {
        b = b.header(TicketHeader(n.ticket_id));
    }
    for r in &n.to {
        let mailbox: Mailbox = format!("{} <{}>", r.name.replace(['<', '>', '"', '\r', '\n'], ""), r.email)
            .parse()
            .map_err(|e: lettre::address::AddressError| RenderError::Recipient { email: r.email.clone(), reason: e.to_string() })?;
        b = b.to(mailbox);
    }
    if let Some(parent) = &n.in_reply_to {
        b = b.in_reply_to(parent.clone());
    }
    if !n.references.is_empty() {
        b = b.references(n.references.join(" "));
    }
    // A person's reply is not automatic mail; everything else is.
    if n.kind.is_automatic() {
        b = b.header(AutoSubmitted);
    }
    let body = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html));
    if n.attachments.is_empty() {
        return Ok(b.multipart(body)?);
    }
    let mut mixed = MultiPart::mixed().multipart(body);
    for f in &n.attachments {
        let content_type = match ContentType::parse(&f.content_type) {
            Ok(t) => t,
            Err(_) => ContentType::parse("application/octet-stream").map_err(|e| RenderError::ContentType(e.to_string()))?,
        };
        mixed = mixed.singlepart(Attachment::new(f.filename.clone()).body(f.data.clone(), content_type));
    }
    Ok(b.multipart(mixed)?)
}

/// SMTP connections kept open for reuse by default (lettre's own default).
pub const DEFAULT_CONNECTIONS: u32 = 10;

/// How long each step of opening a connection, and each command, may take.
pub const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends over SMTP: `smtp://host:port` (plain, for a local relay),
/// `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS);
/// `user:password@` in the URL for authentication. Certificates are checked
/// against the public roots, plus a private CA when one is given. A refused
/// certificate or password fails the send, so the job is retried later.
#[derive(Clone)]
pub struct SmtpMailer {
    pool: std::sync::Arc<smtp::pool::Pool>,
    from: Mailbox,
    domain: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").field("from", &self.from.to_string()).field("server", &self.pool.server()).finish()
    }
}

impl SmtpMailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<SmtpMailer, ConfigError> {
        Self::with_ca_file(smtp_url, from, None)
    }

    /// Like `new`, also trusting the CA certificate(s) in `ca_file` (PEM).
    pub fn with_ca_file(smtp_url: &str, from: &str, ca_file: Option<&std::path::Path>) -> Result<SmtpMailer, ConfigError> {
        Self::with_options(smtp_url, from, ca_file, DEFAULT_CONNECTIONS)
    }

    /// Like `with_ca_file`, keeping up to `connections` SMTP connections
    /// open for reuse: as many as mails are sent at once (`job_workers`).
    pub fn with_options(
        smtp_url: &str,
        from: &str,
        ca_file: Option<&std::path::Path>,
        connections: u32,
    ) -> Result<SmtpMailer, ConfigError> {
        let from: Mailbox = from.parse().map_err(|e| ConfigError::MailFrom { from: from.to_string(), reason: format!("{e}") })?;
        let target = smtp::target::Target::parse(smtp_url)?;
        let connector = smtp::connect::Connector::new(target, ca_file, SMTP_TIMEOUT)?;
        let size = usize::try_from(connections.max(1)).unwrap_or(1);
        let domain = from.email.domain().to_string();
        Ok(SmtpMailer { pool: std::sync::Arc::new(smtp::pool::Pool::new(connector, size)), from, domain })
    }

    /// Render and send one notification.
    pub async fn send(&self, n: &Notification) -> Result<(), SendError> {
        let message = build(n, &self.from)?;
        self.pool.send(message.envelope(), &message.formatted()).await
    }

    /// SMTP connections opened so far: one per worker when all goes well.
    pub fn connections_opened(&self) -> u64 {
        self.pool.opened()
    }
}

impl Mailer for SmtpMailer {
    fn deliver<'a>(&'a self, n: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let sent = self.send(n).await;
            counters::mail_out(sent.is_ok());
            Ok(sent?)
        })
    }

    fn message_id_domain(&self) -> &str {
        &self.domain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "Support <support@acme.example>";

    #[test]
    fn a_private_ca_needs_a_tls_url() {
        let ca = std::path::Path::new("/nonexistent/ca.pem");
        let err = SmtpMailer::with_ca_file("smtp://127.0.0.1:25", FROM, Some(ca)).expect_err("refused");
        assert!(matches!(err, ConfigError::CaWithoutTls), "{err:?}");
        assert!(err.to_string().contains("uses no TLS"), "{err}");
        let err = SmtpMailer::with_ca_file("smtp://127.0.0.1:587?tls=required", FROM, Some(ca)).expect_err("refused");
        assert!(matches!(err, ConfigError::Tls(TlsConfigError::CaFile { .. })), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("frontline-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let err = SmtpMailer::with_ca_file("smtps://127.0.0.1:465", FROM, Some(&path)).expect_err("refused");
        assert!(matches!(err, ConfigError::Tls(TlsConfigError::NoCertificate { .. })), "{err:?}");
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
