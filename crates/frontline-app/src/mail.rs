//! The port for outgoing mail. Use cases decide *that* a notification goes
//! out (queued as a job in the same transaction as the change); the job
//! runner gathers what the mail needs into a `Notification`; a `Mailer`
//! adapter (frontline-mail: templates + SMTP) renders and delivers it.

use std::future::Future;
use std::pin::Pin;

use frontline_domain::DomainError;
pub use frontline_domain::notification::NotificationKind;
use frontline_store::jobs::{Job, NotifyJob, SentMail};
use serde::Serialize;

use crate::{App, AppError, Result};

/// Files a reply mail carries at the most (bytes before encoding): many
/// relays refuse mail over 10 MB, and base64 adds a third.
const MAIL_FILES_MAX: i64 = 7 * 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// Everything a notification mail says, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub kind: NotificationKind,
    pub to: Vec<Recipient>,
    pub ticket_id: i64,
    pub subject: String,
    pub status_label: String,
    /// The reply or first message the mail carries, if any.
    pub author_name: Option<String>,
    pub body: Option<String>,
    /// Where the recipient reads the ticket (portal for customers, app for agents).
    pub ticket_url: String,
    /// Globally unique, stable across retries of the same job.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Subject and text body from an admin's template; None: the adapter's built-in text.
    pub custom: Option<(String, String)>,
    /// Files of the reply the mail carries (not offered to templates).
    #[serde(skip)]
    pub attachments: Vec<OutgoingFile>,
}

#[derive(Debug, Clone)]
pub struct OutgoingFile {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Why a mail did not go out, from whichever adapter sent it (the SMTP
/// adapter's is a typed `frontline_mail::SendError`). The job keeps its text.
pub type DeliveryError = Box<dyn std::error::Error + Send + Sync>;

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = std::result::Result<(), DeliveryError>> + Send + 'a>>;

pub trait Mailer: Send + Sync + std::fmt::Debug {
    fn deliver<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a>;
    /// The domain used in Message-IDs (the sender address's domain).
    fn message_id_domain(&self) -> &str;
}

impl App {
    /// Which notifications a change should queue, given the admin settings.
    /// Staff kinds (`in_app`) are always queued: their job fills the bell
    /// and decides then whether mail goes too (mailer, admin switch, each
    /// recipient's own). Other kinds: none without a mailer.
    pub(crate) async fn notifications(&self, wanted: &[NotificationKind]) -> Result<Vec<NotificationKind>> {
        if wanted.is_empty() || (self.mailer.is_none() && !wanted.iter().any(|k| k.in_app())) {
            return Ok(wanted.iter().copied().filter(|k| k.in_app()).collect());
        }
        let settings = if self.mailer.is_some() { self.store.notification_settings().await? } else { vec![] };
        Ok(wanted.iter().copied().filter(|k| k.in_app() || settings.iter().any(|(kind, on)| kind == k.as_str() && *on)).collect())
    }

    /// Whether admins let this kind go out by mail (and there is a mailer).
    pub(crate) async fn mail_enabled(&self, kind: NotificationKind) -> Result<bool> {
        if self.mailer.is_none() {
            return Ok(false);
        }
        Ok(self.store.notification_settings().await?.iter().any(|(k, on)| k == kind.as_str() && *on))
    }

    /// Every notification kind that is on (none without a mailer), read
    /// before a write whose effects are decided inside its transaction.
    pub(crate) async fn enabled_notifications(&self) -> Result<Vec<NotificationKind>> {
        self.notifications(&NotificationKind::ALL).await
    }

    pub async fn notification_settings(&self, actor: &frontline_domain::authz::Actor) -> Result<Vec<(String, bool)>> {
        frontline_domain::authz::require(actor, frontline_domain::authz::Permission::ManageMail)?;
        Ok(self.store.notification_settings().await?)
    }

    pub async fn set_notification(&self, actor: &frontline_domain::authz::Actor, kind: &str, enabled: bool) -> Result<()> {
        frontline_domain::authz::require(actor, frontline_domain::authz::Permission::ManageMail)?;
        frontline_domain::validate::text("kind", kind)?;
        let kind = NotificationKind::parse("kind", kind)?;
        let audit = frontline_store::Audit {
            actor_id: actor.user_id(),
            action: frontline_domain::audit::AuditAction::NotificationSet,
            target: format!("notification:{kind}"),
            detail: format!("enabled={enabled}"),
        };
        if self.store.set_notification(kind.as_str(), enabled, Some(&audit)).await? {
            Ok(())
        } else {
            Err(AppError::internal(format!("notification setting '{kind}' is missing from the database")))
        }
    }

    /// Run a notification job: gather, render and send, then remember the
    /// Message-ID. A retry of a job that already went out sends nothing.
    /// Returns the mail sent, for the runner to record as it removes the job.
    pub(crate) async fn run_notify(&self, p: NotifyJob, job: &Job) -> Result<Option<SentMail>> {
        // Staff kinds fill the bell first (idempotently, keyed by this job),
        // then mail whoever still wants it: both from this one job.
        let staff = if p.event.in_app() {
            let Some(ticket) = self.store.get_ticket(p.ticket_id).await? else { return Ok(None) };
            let told = self.tell_staff(&p, job, &ticket).await?;
            if told.mail_to.is_empty() || !self.mail_enabled(p.event).await? {
                return Ok(None);
            }
            Some(told)
        } else {
            None
        };
        let Some(mailer) = &self.mailer else {
            return Err(AppError::internal("mail is not configured; notification kept for later"));
        };
        let message_id = format!("<frontline.{}.{}.{}@{}>", p.ticket_id, p.queued_at, job.id, mailer.message_id_domain());
        // The whole thread, ours and theirs, so the mail joins it in any client.
        let previous = self.store.thread_mail_ids(p.ticket_id).await?;
        if previous.contains(&message_id) {
            return Ok(None);
        }
        let Some(ticket) = self.store.get_ticket(p.ticket_id).await? else {
            return Ok(None); // deleted since: nothing to tell
        };
        let message = match p.message_id {
            Some(id) => self.store.get_message(id).await?,
            None => None,
        };
        // Never mail an internal note to anyone through a customer-facing path.
        let message = message.filter(|m| m.kind == frontline_domain::ticket::MessageKind::Public || p.event.to_staff_only());
        let base = self.base_url.trim_end_matches('/');
        let (to, url) = match (p.event, &staff) {
            // Who: decided with the bell (`tell_staff`), less those who switched mail off.
            (_, Some(told)) => (told.mail_to.clone(), format!("{base}/tickets/{}", ticket.id)),
            (
                NotificationKind::TicketAssigned
                | NotificationKind::TicketEscalated
                | NotificationKind::HelpRequested
                | NotificationKind::SlaWarning
                | NotificationKind::RuleNotice,
                None,
            ) => {
                return Err(AppError::internal("a staff notification must be told through the bell first"));
            }
            // Reset links go out through their own job (`password_reset.rs`).
            (NotificationKind::PasswordReset | NotificationKind::Invitation, None) => {
                return Err(AppError::internal("account mail (a reset link, an invitation) is not a ticket notification"));
            }
            (NotificationKind::TicketCreated | NotificationKind::PublicReply | NotificationKind::TicketSolved, None) => {
                // The requester and the ticket's followers (people Cc'd or answering in the thread).
                let mut people = vec![ticket.requester_id];
                people.extend(self.store.followers(ticket.id).await?);
                let mut users = self.store.users_by_ids(&people).await?;
                // The requester first, then followers.
                users.sort_by_key(|u| u.id != ticket.requester_id);
                let mut to: Vec<Recipient> = Vec::new();
                // Never our own mailbox: that mail would come straight back as a loop.
                for u in users.into_iter().filter(|u| u.active && !self.config.is_own_address(&u.email)) {
                    if !to.iter().any(|r| r.email == u.email) {
                        to.push(Recipient { name: u.name, email: u.email });
                    }
                }
                if to.is_empty() {
                    return Ok(None);
                }
                (to, format!("{base}/portal/tickets/{}", ticket.id))
            }
        };
        // A reply's files go with the mail, as long as mail relays take the
        // size; otherwise the mail names them and links to the ticket. The
        // customer's own files are never mailed back to them.
        let mut files = Vec::new();
        let mut linked = Vec::new();
        if let Some(m) = message.as_ref().filter(|_| p.event == NotificationKind::PublicReply) {
            let total: i64 = m.attachments.iter().map(|a| a.size).sum();
            let mut data = if total <= MAIL_FILES_MAX { self.store.message_attachment_data(m.id).await? } else { vec![] };
            for a in &m.attachments {
                match data.iter().position(|(id, _)| *id == a.id) {
                    Some(i) => {
                        let (_, bytes) = data.swap_remove(i);
                        files.push(OutgoingFile { filename: a.filename.clone(), content_type: a.content_type.clone(), data: bytes });
                    }
                    None => linked.push(a.filename.clone()),
                }
            }
        }
        let mut n = Notification {
            kind: p.event,
            to,
            ticket_id: ticket.id,
            subject: ticket.subject.clone(),
            status_label: ticket.status.label().to_string(),
            author_name: message.as_ref().map(|m| m.author_name.clone()).or_else(|| staff.as_ref().and_then(|t| t.author.clone())),
            body: message
                .map(|m| {
                    if linked.is_empty() {
                        m.body
                    } else {
                        format!("{}\n\nFiles (too large to mail; download them from the ticket): {}", m.body, linked.join(", "))
                    }
                })
                .or_else(|| staff.as_ref().and_then(|t| t.body.clone())),
            ticket_url: url,
            message_id: message_id.clone(),
            in_reply_to: previous.last().cloned(),
            references: previous,
            custom: None,
            attachments: files,
        };
        if let Some((subject, body)) = self.store.mail_template(n.kind.as_str()).await? {
            // A template that stopped rendering falls back to the built-in text rather than losing the mail.
            match crate::mail_templates::render_blocking(subject, body, &n).await {
                Ok(rendered) => n.custom = Some(rendered),
                Err(e) => tracing::warn!(kind = %n.kind, error = %e, "mail template failed; using the built-in text"),
            }
        }
        mailer.deliver(&n).await.map_err(AppError::internal)?;
        let recipients: Vec<&str> = n.to.iter().map(|r| r.email.as_str()).collect();
        Ok(Some(SentMail { message_id, ticket_id: ticket.id, kind: n.kind.as_str().to_string(), recipients: recipients.join(", ") }))
    }
}

impl App {
    pub async fn quarantine(&self, actor: &frontline_domain::authz::Actor) -> Result<Vec<frontline_store::mail::QuarantinedMail>> {
        frontline_domain::authz::require(actor, frontline_domain::authz::Permission::ManageMail)?;
        Ok(self.store.list_quarantine(200).await?)
    }

    /// The exact bytes of a quarantined mail.
    pub async fn quarantined_raw(&self, actor: &frontline_domain::authz::Actor, id: i64) -> Result<Vec<u8>> {
        frontline_domain::authz::require(actor, frontline_domain::authz::Permission::ManageMail)?;
        Ok(self.store.get_quarantine(id).await?.ok_or(DomainError::NotFound("quarantined mail"))?.raw)
    }

    pub async fn delete_quarantined(&self, actor: &frontline_domain::authz::Actor, id: i64) -> Result<()> {
        frontline_domain::authz::require(actor, frontline_domain::authz::Permission::ManageMail)?;
        let audit = frontline_store::Audit {
            actor_id: actor.user_id(),
            action: frontline_domain::audit::AuditAction::MailQuarantineDelete,
            target: format!("quarantine:{id}"),
            detail: String::new(),
        };
        if !self.store.delete_quarantine(id).await? {
            return Err(DomainError::NotFound("quarantined mail").into());
        }
        self.store.record_audit(&audit).await?;
        Ok(())
    }

    /// Try a quarantined mail again with `parse` (the mail adapter's parser);
    /// on success it becomes a ticket message and leaves the quarantine.
    pub async fn retry_quarantined<E: std::fmt::Display>(
        &self,
        actor: &frontline_domain::authz::Actor,
        id: i64,
        parse: impl Fn(&[u8]) -> std::result::Result<crate::ingest::InboundEmail, E>,
    ) -> Result<crate::ingest::IngestOutcome> {
        frontline_domain::authz::require(actor, frontline_domain::authz::Permission::ManageMail)?;
        let item = self.store.get_quarantine(id).await?.ok_or(DomainError::NotFound("quarantined mail"))?;
        let mail = parse(&item.raw).map_err(|e| DomainError::invalid("raw", format!("still cannot be read: {e}")))?;
        // Stored under the key a delivery of these bytes has, so a later redelivery is a duplicate.
        let key = crate::ingest::mail_key(mail.message_id.as_deref(), &item.raw);
        let outcome = self.ingest_keyed(&mail, Some(&key), item.team_id).await?;
        self.store.delete_quarantine(id).await?;
        Ok(outcome)
    }
}
