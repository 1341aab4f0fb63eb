//! Mail in: one parsed message becomes a new ticket or a message on the
//! ticket it answers. Threading trusts Message-ID headers (the sender has
//! our mail) and trusts a [#123] subject token only from people who already
//! take part in that ticket, so a stranger quoting a number never lands in
//! someone else's conversation.

use frontline_domain::DomainError;
use frontline_domain::attachment::{self, human_size};
use frontline_domain::authz::{self, MailStanding};
use frontline_domain::mail::{clean_subject, forwarded_sender, is_forward, split_forward};
use frontline_domain::ticket::{self, BODY_MAX, Channel, MessageKind, Priority, Status, TicketFields, TicketType};
use frontline_domain::user::Email;
use frontline_domain::validate;
use frontline_store::attachments::NewAttachment;
use frontline_store::tickets::{Effects, Modify, NewMessage, NewTicket};
use frontline_store::{Ticket, User};
use sha2::{Digest, Sha256};

use crate::{App, AppError, Result};

/// A parsed mail, as the mail adapter hands it over. Message-IDs are in
/// their bracketed form, `<id@host>`.
#[derive(Debug, Clone, Default)]
pub struct InboundEmail {
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from_name: Option<String>,
    pub from_email: String,
    pub cc: Vec<(Option<String>, String)>,
    pub subject: String,
    /// Plain text (derived from HTML when the mail has no text part).
    pub body: String,
    /// The HTML part, already sanitized by the mail adapter.
    pub body_html: Option<String>,
    /// Attachments and inline images, as the mail carried them (the size
    /// limits are applied here).
    pub attachments: Vec<NewAttachment>,
    /// The sender of a message attached as message/rfc822 (a forward "as attachment").
    pub forwarded_from: Option<(Option<String>, String)>,
    /// Auto-reply, bounce or list mail: stored, never answered.
    pub automatic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Created {
        ticket_id: i64,
    },
    Appended {
        ticket_id: i64,
    },
    /// Appended to the ticket its headers name, but from someone outside
    /// it: held, unverified, for an agent to accept.
    Held {
        ticket_id: i64,
    },
    /// The same mail (by its key) was stored before; nothing was written.
    Duplicate {
        ticket_id: i64,
    },
}

/// What became of one delivered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Stored(IngestOutcome),
    /// Kept raw for an admin; `again` when it was already there from an
    /// earlier delivery and nothing was written.
    Quarantined {
        id: i64,
        why: String,
        again: bool,
    },
}

/// What a delivered mail is known by, so that each is stored once however
/// often it arrives: its Message-ID, or, for mail without one (or that
/// cannot be read), `sha256:` and the digest of its exact bytes. The second
/// form can never be taken for a Message-ID, which is always in brackets.
pub fn mail_key(message_id: Option<&str>, raw: &[u8]) -> String {
    match message_id {
        Some(id) => id.to_string(),
        None => format!("sha256:{}", Sha256::digest(raw).iter().map(|b| format!("{b:02x}")).collect::<String>()),
    }
}

impl App {
    /// The user behind an address: an existing one, or a new customer in the
    /// organization that owns the address's domain.
    async fn mail_user(&self, name: Option<&str>, address: &str) -> Result<User> {
        let email = Email::parse(address).map_err(|_| DomainError::invalid("from", format!("'{address}' is not an email address")))?;
        let name = name
            // The sender's name is cleaned like any label: no reordering controls, something visible.
            .map(|n| n.trim().chars().filter(|c| !c.is_control() && !validate::is_bidi_control(*c)).take(120).collect::<String>())
            .filter(|n| validate::label("name", n.trim()).is_ok() && !n.trim().is_empty())
            .unwrap_or_else(|| App::name_from_email(&email));
        self.customer_from_email(&email, name, None, "from inbound mail").await
    }

    /// How the sender stands to the ticket (authz decides; followers come from the store).
    async fn standing(&self, user: &User, ticket: &Ticket) -> Result<MailStanding> {
        let follows = self.store.followers(ticket.id).await?.contains(&user.id);
        Ok(authz::mail_standing(&user.actor(), ticket.scope(), follows))
    }

    /// Take in one delivered mail (piped by an MTA or fetched over IMAP) with
    /// the mail adapter's reading of it: stored, or kept in the quarantine
    /// when it cannot be (unreadable, a loop, a deactivated sender). Either
    /// happens once per mail key: a mail sitting in the quarantine is left
    /// there for an admin to retry when it comes again. Errors are only the
    /// database's, for the caller to retry later.
    pub async fn receive_mail(
        &self,
        mailbox: &str,
        team: Option<i64>,
        raw: &[u8],
        parsed: std::result::Result<InboundEmail, impl std::fmt::Display>,
    ) -> Result<Delivery> {
        let key = mail_key(parsed.as_ref().ok().and_then(|m| m.message_id.as_deref()), raw);
        if let Some(id) = self.store.quarantined_with_key(&key).await? {
            return Ok(Delivery::Quarantined { id, why: "already in the quarantine".into(), again: true });
        }
        let why = match parsed {
            Ok(mail) => match self.ingest_keyed(&mail, Some(key.as_str()), team).await {
                Ok(outcome) => return Ok(Delivery::Stored(outcome)),
                Err(AppError::Domain(e)) => e.to_string(),
                Err(e) => return Err(e),
            },
            Err(why) => why.to_string(),
        };
        let (id, added) = self.store.quarantine_mail(mailbox, team, raw, &key, &why).await?;
        Ok(Delivery::Quarantined { id, why, again: !added })
    }

    /// Count a message taken in, for /metrics; a failure to count is
    /// logged, never the mail's.
    pub async fn count_mail_in(&self, source: frontline_domain::mail::MailSource, outcome: frontline_domain::mail::MailOutcome) {
        if let Err(e) = self.store.count_mail_in(source, outcome).await {
            tracing::warn!(error = %e, source = source.as_str(), "mail taken in but not counted");
        }
    }

    /// Mail taken in so far, as (source, outcome, count).
    pub async fn mail_in_counts(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(self.store.mail_in_counts().await?)
    }

    /// Keep raw bytes that are not a whole mail (the headers of one too large
    /// to fetch) in the quarantine, once per content.
    pub async fn quarantine_raw(&self, mailbox: &str, team: Option<i64>, raw: &[u8], why: &str) -> Result<i64> {
        Ok(self.store.quarantine_mail(mailbox, team, raw, &mail_key(None, raw), why).await?.0)
    }

    /// Take in one mail known by its Message-ID (if it has one); new tickets
    /// go to `team` (the mailbox's team), if any.
    pub async fn ingest_email(&self, mail: &InboundEmail, team: Option<i64>) -> Result<IngestOutcome> {
        self.ingest_keyed(mail, mail.message_id.as_deref(), team).await
    }

    /// Take in one mail stored under `key` (see [`mail_key`]).
    pub(crate) async fn ingest_keyed(&self, mail: &InboundEmail, key: Option<&str>, team: Option<i64>) -> Result<IngestOutcome> {
        if let Some(duplicate) = self.stored_under(key).await? {
            return Ok(duplicate);
        }
        match self.store_mail(mail, key, team).await {
            // Failed, yet the mail is stored under its key: a parallel delivery
            // stored it first (the unique index on the key refused this one).
            Err(AppError::Internal(e)) => self.stored_under(key).await?.ok_or(AppError::Internal(e)),
            done => done,
        }
    }

    /// The mail stored under `key` before, as a duplicate.
    async fn stored_under(&self, key: Option<&str>) -> Result<Option<IngestOutcome>> {
        let Some(key) = key else { return Ok(None) };
        Ok(self.store.message_for_mail_id(key).await?.map(|(ticket_id, _)| IngestOutcome::Duplicate { ticket_id }))
    }

    /// Store a mail not seen before under `key`.
    async fn store_mail(&self, mail: &InboundEmail, key: Option<&str>, team: Option<i64>) -> Result<IngestOutcome> {
        if self.config.is_own_address(&mail.from_email) {
            return Err(DomainError::invalid("from", format!("sent from Frontline's own address {}: a mail loop", mail.from_email)).into());
        }
        let sender = self.mail_user(mail.from_name.as_deref(), &mail.from_email).await?;
        if !sender.active {
            return Err(DomainError::Forbidden("the sender's account is deactivated").into());
        }
        let (attachments, refused) = self.within_limits(&mail.attachments);
        let body = {
            let text = mail.body.trim();
            let mut text = if text.is_empty() { "(no text)".to_string() } else { text.to_string() };
            // Files over the limits are not kept; the conversation says so.
            for (name, size) in refused {
                text.push_str(&format!("\n\n[Attachment not stored: {name} ({}) is over the size limit.]", human_size(size)));
            }
            text.chars().take(BODY_MAX).collect::<String>()
        };

        // Threading: headers first, then the subject token for participants.
        let mut ids = mail.in_reply_to.clone();
        ids.extend(mail.references.iter().cloned());
        let mut target: Option<(Ticket, bool)> = None;
        if let Some(id) = self.store.ticket_for_mail_ids(&ids).await?
            && let Some(t) = self.store.get_ticket(id).await?
        {
            target = Some((t, true));
        }
        if target.is_none()
            && let Some(n) = frontline_domain::mail::ticket_token(&mail.subject)
            && let Some(t) = self.store.get_ticket(n).await?
            && self.standing(&sender, &t).await? == MailStanding::Participant
        {
            target = Some((t, false));
        }

        let outcome = match target {
            // A closed ticket stays closed: the answer opens a follow-up.
            Some((t, by_header)) if t.status != Status::Closed => {
                // The reopen is decided on the ticket as it is when the
                // message is written: an agent's change meanwhile never
                // turns a customer's mail away.
                let customer = sender.role.is_customer();
                // Only threading by headers can bring an outsider here; their
                // mail is kept, unverified, and changes nothing until accepted.
                let outsider = by_header && self.standing(&sender, &t).await? == MailStanding::Outsider;
                let decide = |current: &Ticket| -> std::result::Result<Effects, DomainError> {
                    let mut after = current.fields();
                    if customer && !outsider {
                        after.status = current.status.after_customer_message();
                    }
                    Ok(Effects { after, notify: vec![] })
                };
                self.store
                    .modify_ticket(Modify {
                        ticket_id: t.id,
                        actor_id: Some(sender.id),
                        expected_version: None,
                        accept: None,
                        message: Some(NewMessage {
                            author_id: sender.id,
                            kind: MessageKind::Public,
                            body,
                            channel: Channel::Email,
                            created_at: None,
                            email_message_id: key.map(str::to_string),
                            body_html: mail.body_html.clone(),
                            attachments,
                            unverified_sender: outsider,
                        }),
                        decide: &decide,
                        idempotency: None,
                    })
                    .await?;
                // Whoever answers our mail from elsewhere in the thread follows the ticket.
                if by_header && !outsider && sender.id != t.requester_id && sender.role.is_customer() {
                    self.store.add_follower(t.id, sender.id).await?;
                }
                if outsider { IngestOutcome::Held { ticket_id: t.id } } else { IngestOutcome::Appended { ticket_id: t.id } }
            }
            _ => {
                // An agent forwarding a customer's mail opens the ticket for that
                // customer: the forwarded message is theirs, the agent's note above
                // it stays internal, and nothing is mailed to them until someone answers.
                let forwarded = self.forwarded_customer(&sender, mail).await?;
                let (body, agent_note) = match (&forwarded, split_forward(&body)) {
                    (Some(_), Some((note, original))) => (original.to_string(), Some(note.to_string()).filter(|n| !n.is_empty())),
                    _ => (body, None),
                };
                let requester = forwarded.clone().unwrap_or_else(|| sender.clone());
                let fields = TicketFields {
                    subject: ticket::parse_subject(&clean_subject(&mail.subject).chars().take(ticket::SUBJECT_MAX).collect::<String>())?,
                    status: Status::New,
                    priority: Priority::Normal,
                    ticket_type: TicketType::Question,
                    assignee_id: None,
                    team_id: team,
                    tier: frontline_domain::tier::Tier::FRONT_LINE,
                    escalation_level: frontline_domain::tier::EscalationLevel::NONE,
                    tags: vec![],
                };
                let notify = if mail.automatic || forwarded.is_some() {
                    vec![]
                } else {
                    self.notifications(&[crate::mail::NotificationKind::TicketCreated]).await?
                };
                let ticket_id = self
                    .store
                    .create_ticket(&NewTicket {
                        fields,
                        channel: Channel::Email,
                        requester_id: requester.id,
                        organization_id: requester.organization_id,
                        created_by: Some(sender.id),
                        body,
                        created_at: None,
                        notify,
                        email_message_id: key.map(str::to_string),
                        // The HTML is the agent's whole mail; the text part holds the forward.
                        body_html: if forwarded.is_some() { None } else { mail.body_html.clone() },
                        attachments,
                        idempotency: None,
                    })
                    .await?;
                if let Some(note) = agent_note {
                    self.internal_note(ticket_id, &sender, format!("Forwarded by {}: {note}", sender.name)).await?;
                }
                IngestOutcome::Created { ticket_id }
            }
        };
        let ticket_id = match outcome {
            IngestOutcome::Created { ticket_id }
            | IngestOutcome::Appended { ticket_id }
            | IngestOutcome::Held { ticket_id }
            | IngestOutcome::Duplicate { ticket_id } => ticket_id,
        };
        // Cc'd people follow the ticket, unless an outsider named them.
        if matches!(outcome, IngestOutcome::Held { .. }) {
            return Ok(outcome);
        }
        for (name, address) in mail.cc.iter().filter(|(_, a)| !self.config.is_own_address(a)) {
            if let Ok(user) = self.mail_user(name.as_deref(), address).await
                && user.id != sender.id
                && user.role.is_customer()
            {
                self.store.add_follower(ticket_id, user.id).await?;
            }
        }
        Ok(outcome)
    }
}

impl App {
    /// The mail's files that fit the limits (in order, while the total
    /// allows), and the names and sizes of those that do not.
    fn within_limits(&self, files: &[NewAttachment]) -> (Vec<NewAttachment>, Vec<(String, usize)>) {
        let limits = &self.config.attachment_limits;
        let (mut kept, mut refused, mut total) = (Vec::new(), Vec::new(), 0usize);
        for f in files {
            let name = attachment::clean_filename(&f.filename);
            let size = f.data.len();
            if size == 0 {
                continue;
            }
            if size > limits.max_file_bytes || total + size > limits.max_total_bytes || kept.len() >= limits.max_files {
                refused.push((name, size));
                continue;
            }
            total += size;
            kept.push(NewAttachment {
                filename: name,
                content_type: attachment::clean_content_type(&f.content_type),
                content_id: f.content_id.clone(),
                inline: f.inline,
                data: f.data.clone(),
            });
        }
        (kept, refused)
    }

    /// An internal note written by a staff member, with no other change.
    async fn internal_note(&self, ticket_id: i64, author: &User, body: String) -> Result<()> {
        let unchanged = |t: &Ticket| -> std::result::Result<Effects, DomainError> { Ok(Effects { after: t.fields(), notify: vec![] }) };
        self.store
            .modify_ticket(Modify {
                ticket_id,
                actor_id: Some(author.id),
                expected_version: None,
                accept: None,
                message: Some(NewMessage {
                    author_id: author.id,
                    kind: MessageKind::Internal,
                    body: body.chars().take(BODY_MAX).collect(),
                    channel: Channel::Email,
                    created_at: None,
                    email_message_id: None,
                    body_html: None,
                    attachments: vec![],
                    unverified_sender: false,
                }),
                decide: &unchanged,
                idempotency: None,
            })
            .await?;
        Ok(())
    }

    /// For a mail an agent forwarded (not a reply to a ticket): the customer
    /// who wrote the forwarded message, if it names one.
    async fn forwarded_customer(&self, sender: &User, mail: &InboundEmail) -> Result<Option<User>> {
        if !sender.role.is_staff() || !is_forward(&mail.subject) {
            return Ok(None);
        }
        let Some((name, address)) = mail.forwarded_from.clone().or_else(|| forwarded_sender(&mail.body)) else { return Ok(None) };
        if self.config.is_own_address(&address) {
            return Ok(None);
        }
        let original = match self.mail_user(name.as_deref(), &address).await {
            Ok(user) => user,
            // Not a usable address: the agent stays the requester.
            Err(AppError::Domain(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(original).filter(|u| u.role.is_customer() && u.active))
    }

    /// How far an IMAP mailbox was read: (UIDVALIDITY, last stored UID).
    pub async fn imap_progress(&self, mailbox: &str) -> Result<Option<(i64, i64)>> {
        Ok(self.store.imap_state(mailbox).await?)
    }

    /// Save an IMAP mailbox's progress, after each stored message.
    pub async fn save_imap_progress(&self, mailbox: &str, uid_validity: i64, last_uid: i64) -> Result<()> {
        Ok(self.store.set_imap_state(mailbox, uid_validity, last_uid).await?)
    }

    /// The id of a team by name, for mailbox configuration.
    pub async fn team_by_name(&self, name: &str) -> Result<Option<i64>> {
        Ok(self.store.list_teams().await?.into_iter().find(|t| t.name.eq_ignore_ascii_case(name.trim())).map(|t| t.id))
    }
}
