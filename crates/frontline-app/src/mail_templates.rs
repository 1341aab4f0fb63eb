//! Admin-editable notification mails. Templates are minijinja (sandboxed,
//! no file or network access) over a fixed set of variables; a template is
//! checked by rendering it with sample values before it is saved.

use frontline_domain::authz::{self, Actor, Permission};
use frontline_domain::{DomainError, FieldError};
use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use crate::mail::{Notification, NotificationKind};
use crate::{App, Result};

/// What templates may use: {{ ticket_id }}, {{ subject }}, {{ status }},
/// {{ author }}, {{ body }}, {{ ticket_url }}, {{ recipient }}.
pub const VARIABLES: &[&str] = &["ticket_id", "subject", "status", "author", "body", "ticket_url", "recipient"];

#[derive(Debug, Clone, Serialize)]
pub struct MailTemplate {
    pub kind: NotificationKind,
    pub subject: String,
    pub body: String,
    /// False: the built-in text is used.
    pub customized: bool,
}

/// The text used while no admin has changed it (the mail adapter renders the
/// same words, with HTML, from its own templates).
pub fn default_template(kind: NotificationKind) -> (String, String) {
    let subject = kind.subject("{{ ticket_id }}", "{{ subject }}");
    let intro = kind.intro();
    let body = format!(
        "{intro}\n\nTicket #{{{{ ticket_id }}}}: {{{{ subject }}}}\nStatus: {{{{ status }}}}\n{{% if body %}}\n{{{{ author }}}} wrote:\n\n{{{{ body }}}}\n{{% endif %}}\nView it online: {{{{ ticket_url }}}}\n\nReply to this mail to answer; keep [#{{{{ ticket_id }}}}] in the subject."
    );
    (subject, body)
}

/// The work one render may do (about one unit per instruction and per 64
/// bytes made). The built-in texts use a few hundred; a template that loops
/// millions of times stops here in milliseconds instead of holding a thread
/// (and, at save time, the request) for seconds.
pub const FUEL: u64 = 100_000;

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    // A misspelt variable is an error at save time, not an empty hole in a customer's mail.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Mails are plain text; the HTML part escapes on its own.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env
}

/// The variables a template sees for a notification.
fn variables(n: &Notification) -> minijinja::Value {
    context! {
        ticket_id => n.ticket_id,
        subject => n.subject.clone(),
        status => n.status_label.clone(),
        author => n.author_name.clone().unwrap_or_default(),
        body => n.body.clone().unwrap_or_default(),
        ticket_url => n.ticket_url.clone(),
        recipient => n.to.first().map(|r| r.name.clone()).unwrap_or_default(),
    }
}

/// Render (subject, text body) for a notification with the given templates.
pub fn render(subject: &str, body: &str, n: &Notification) -> std::result::Result<(String, String), String> {
    render_with(subject, body, &variables(n))
}

fn render_with(subject: &str, body: &str, ctx: &minijinja::Value) -> std::result::Result<(String, String), String> {
    let env = env();
    let s = env.render_str(subject, ctx).map_err(|e| explain("subject", &e))?;
    let b = env.render_str(body, ctx).map_err(|e| explain("body", &e))?;
    // One line, whatever the template did.
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok((s, b))
}

fn explain(field: &str, e: &minijinja::Error) -> String {
    if e.kind() == minijinja::ErrorKind::OutOfFuel {
        format!("{field}: the template does too much work (over {FUEL} steps); remove long loops or large repetitions")
    } else {
        format!("{field}: {e}")
    }
}

/// `render` off the async runtime: even with fuel a render is CPU work.
pub async fn render_blocking(subject: String, body: String, n: &Notification) -> std::result::Result<(String, String), String> {
    let ctx = variables(n);
    tokio::task::spawn_blocking(move || render_with(&subject, &body, &ctx)).await.unwrap_or_else(|e| Err(format!("body: {e}")))
}

fn sample() -> Notification {
    Notification {
        kind: NotificationKind::PublicReply,
        to: vec![crate::mail::Recipient { name: "Dana".into(), email: "dana@example.com".into() }],
        ticket_id: 1234,
        subject: "Webhook deliveries fail".into(),
        status_label: "Pending".into(),
        author_name: Some("Alex".into()),
        body: Some("Could you send a failing delivery id?".into()),
        ticket_url: "https://support.example.com/portal/tickets/1234".into(),
        message_id: "<sample@example.com>".into(),
        in_reply_to: None,
        references: vec![],
        custom: None,
        attachments: vec![],
    }
}

/// Every problem of a template at once, subject and text each checked on
/// its own (a form shows them together; saving stops at the first).
async fn problems(subject: &str, body: &str) -> Vec<FieldError> {
    let mut found = Vec::new();
    let (subject, body) = (subject.to_string(), body.to_string());
    let checked = tokio::task::spawn_blocking(move || {
        let ctx = variables(&sample());
        (check_subject(&subject, &ctx), check_body(&body, &ctx))
    })
    .await;
    match checked {
        Ok((s, b)) => found.extend(s.err().into_iter().chain(b.err())),
        Err(e) => found.push(FieldError::new("body", format!("the template could not be checked: {e}"))),
    }
    found
}

fn required(field: &str, template: &str, max: usize, what: &str) -> std::result::Result<(), FieldError> {
    if let Err(DomainError::Invalid(e)) = frontline_domain::validate::text(field, template) {
        return Err(e);
    }
    if template.trim().is_empty() || template.len() > max {
        return Err(FieldError::new(field, what));
    }
    Ok(())
}

fn rendered(field: &str, template: &str, ctx: &minijinja::Value) -> std::result::Result<String, FieldError> {
    env()
        .render_str(template, ctx)
        .map_err(|e| FieldError::new(field, format!("{} (variables: {})", explain(field, &e), VARIABLES.join(", "))))
}

fn check_subject(subject: &str, ctx: &minijinja::Value) -> std::result::Result<(), FieldError> {
    required("subject", subject, 500, "the subject template is required and at most 500 characters")?;
    if !rendered("subject", subject, ctx)?.contains("#1234") {
        return Err(FieldError::new("subject", "keep [#{{ ticket_id }}] in the subject so that replies find their ticket"));
    }
    Ok(())
}

fn check_body(body: &str, ctx: &minijinja::Value) -> std::result::Result<(), FieldError> {
    required("body", body, 20_000, "the body template is required and at most 20,000 characters")?;
    rendered("body", body, ctx).map(|_| ())
}

impl App {
    pub async fn mail_templates(&self, actor: &Actor) -> Result<Vec<MailTemplate>> {
        authz::require(actor, Permission::ManageMail)?;
        let saved = self.store.mail_templates().await?;
        Ok(NotificationKind::ALL
            .into_iter()
            .map(|kind| match saved.iter().find(|(k, _, _)| k == kind.as_str()) {
                Some((_, s, b)) => MailTemplate { kind, subject: s.clone(), body: b.clone(), customized: true },
                None => {
                    let (subject, body) = default_template(kind);
                    MailTemplate { kind, subject, body, customized: false }
                }
            })
            .collect())
    }

    /// What is wrong with a template the actor means to save, every field
    /// at once (for the form; rendering is work, so only mail admins ask).
    pub async fn mail_template_problems(&self, actor: &Actor, subject: &str, body: &str) -> Result<Vec<FieldError>> {
        authz::require(actor, Permission::ManageMail)?;
        Ok(problems(subject, body).await)
    }

    /// Save a template after checking it renders; `None` restores the built-in text.
    pub async fn save_mail_template(&self, actor: &Actor, kind: &str, template: Option<(&str, &str)>) -> Result<()> {
        authz::require(actor, Permission::ManageMail)?;
        let kind = NotificationKind::parse("kind", kind)?;
        if let Some((subject, body)) = template
            && let Some(first) = problems(subject, body).await.into_iter().next()
        {
            return Err(DomainError::Invalid(first).into());
        }
        let audit = frontline_store::Audit {
            actor_id: actor.user_id(),
            action: frontline_domain::audit::AuditAction::MailTemplate,
            target: format!("mail_template:{kind}"),
            detail: if template.is_some() { "saved".into() } else { "reset".into() },
        };
        self.store.set_mail_template(kind.as_str(), template, Some(&audit)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn defaults_render_and_mistakes_are_caught() {
        for kind in crate::mail::NotificationKind::ALL {
            let (s, b) = super::default_template(kind);
            let (subject, body) = super::render(&s, &b, &super::sample()).expect("default renders");
            assert!(subject.contains("[#1234]"), "{subject}");
            assert!(body.contains("https://support.example.com/portal/tickets/1234"));
        }
        assert!(super::render("[#{{ ticket_id }}] {{ subjekt }}", "x", &super::sample()).is_err(), "misspelt variables are refused");
        assert!(super::render("{% if %}", "x", &super::sample()).is_err());
    }
}
