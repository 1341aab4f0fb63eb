//! Outgoing mail: renders a `Notification` (text and HTML from the same
//! templates) and sends it over SMTP with lettre. Threading headers
//! (Message-ID, In-Reply-To, References) let the customer's answer find its
//! ticket; automatic mail says so (RFC 3834 Auto-Submitted) so that
//! auto-responders do not answer it.

pub mod imap;
pub mod inbound;

use askama::Template;
use frontline_app::mail::{Mailer, Notification, SendFuture};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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

fn intro(kind: &str) -> &'static str {
    match kind {
        "ticket_created" => "We received your request and will get back to you.",
        "public_reply" => "There is a new reply to your request.",
        "ticket_solved" => "Your request was marked as solved. Reply to this mail if it is not.",
        "ticket_assigned" => "A ticket was assigned to you.",
        _ => "Your request was updated.",
    }
}

fn subject(n: &Notification) -> String {
    match n.kind.as_str() {
        "public_reply" => format!("Re: [#{}] {}", n.ticket_id, n.subject),
        "ticket_solved" => format!("[#{}] Solved: {}", n.ticket_id, n.subject),
        "ticket_assigned" => format!("[#{}] Assigned to you: {}", n.ticket_id, n.subject),
        _ => format!("[#{}] {}", n.ticket_id, n.subject),
    }
}

/// Build the MIME message for a notification.
pub fn build(n: &Notification, from: &Mailbox) -> Result<Message, String> {
    let intro = intro(&n.kind);
    let (subject, text, html) = match &n.custom {
        // An admin's template: the HTML part is the same text, escaped, as paragraphs.
        Some((subject, text)) => (subject.clone(), text.clone(), CustomHtml { text }.render().map_err(|e| e.to_string())?),
        None => (
            subject(n),
            TextMail { n, intro }.render().map_err(|e| e.to_string())?,
            HtmlMail { n, intro }.render().map_err(|e| e.to_string())?,
        ),
    };
    let mut b = Message::builder()
        .from(from.clone())
        .reply_to(from.clone())
        .subject(subject)
        .message_id(Some(n.message_id.clone()))
        .header(TicketHeader(n.ticket_id));
    for r in &n.to {
        let mailbox: Mailbox = format!("{} <{}>", r.name.replace(['<', '>', '"', '\r', '\n'], ""), r.email)
            .parse()
            .map_err(|e| format!("bad recipient {}: {e}", r.email))?;
        b = b.to(mailbox);
    }
    if let Some(parent) = &n.in_reply_to {
        b = b.in_reply_to(parent.clone());
    }
    if !n.references.is_empty() {
        b = b.references(n.references.join(" "));
    }
    // A person's reply is not automatic mail; everything else is.
    if n.kind != "public_reply" {
        b = b.header(AutoSubmitted);
    }
    let body = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html));
    if n.attachments.is_empty() {
        return b.multipart(body).map_err(|e| e.to_string());
    }
    let mut mixed = MultiPart::mixed().multipart(body);
    for f in &n.attachments {
        let content_type =
            ContentType::parse(&f.content_type).unwrap_or(ContentType::parse("application/octet-stream").map_err(|e| e.to_string())?);
        mixed = mixed.singlepart(Attachment::new(f.filename.clone()).body(f.data.clone(), content_type));
    }
    b.multipart(mixed).map_err(|e| e.to_string())
}

/// Sends over SMTP: `smtp://host:port` (plain, for a local relay),
/// `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS);
/// `user:password@` in the URL for authentication.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").field("from", &self.from.to_string()).finish()
    }
}

impl SmtpMailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<SmtpMailer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("mail_from '{from}' is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("smtp_url is not usable: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let domain = from.email.domain().to_string();
        Ok(SmtpMailer { transport, from, domain })
    }
}

impl Mailer for SmtpMailer {
    fn deliver<'a>(&'a self, n: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let message = build(n, &self.from)?;
            self.transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
        })
    }

    fn message_id_domain(&self) -> &str {
        &self.domain
    }
}
