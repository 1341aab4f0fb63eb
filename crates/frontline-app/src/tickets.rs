//! Ticket use cases: create, read, change, reply, queues, search.

use crate::mail::NotificationKind;
use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::attachment;
use frontline_domain::authz::{self, Actor, Permission, TicketField};
use frontline_domain::queue::{QueueView, Sort};
use frontline_domain::ticket::{self, Channel, MessageKind, Priority, Status, TicketFields, TicketType};
use frontline_domain::user::Email;
pub use frontline_store::attachments::{Attachment, NewAttachment};
use frontline_store::idempotency::IdempotencyMark;
use frontline_store::tickets::{AcceptMail, Effects, Modify, NewMessage, NewTicket, QueueQuery, TicketFilter};
use frontline_store::{Message, Page, Ticket, TicketEvent, User};
use serde::Deserialize;

pub use crate::views::{InternalTicketFields, TicketView};
use crate::{App, Result};

/// Events read at once when a ticket page gathers its whole history.
/// How many of the latest messages and history events a ticket page shows.
pub const THREAD_MESSAGES: i64 = 100;
pub const THREAD_EVENTS: i64 = 100;

/// Where a ticket page starts when it pages back (None: the latest).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadPage {
    pub before_message: Option<i64>,
    pub before_event: Option<i64>,
}

pub const PAGE_SIZE: i64 = 50;
/// Deeper pages are refused rather than computed: nobody reads page 10,001,
/// and the offset must not overflow.
pub const MAX_PAGE: i64 = 10_000;

pub fn clamp_page(page: i64) -> i64 {
    page.clamp(1, MAX_PAGE)
}

/// A new ticket as submitted by an agent, a customer or an API client.
/// Raw values: parsing happens here so every surface reports the same errors.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewTicketInput {
    pub subject: String,
    pub body: String,
    /// Agents: the customer the ticket is for, by id or by email (created
    /// when unknown). Customers: ignored, it is always themselves.
    pub requester_id: Option<i64>,
    pub requester_email: Option<String>,
    pub requester_name: Option<String>,
    pub priority: Option<String>,
    pub ticket_type: Option<String>,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub tier: Option<i64>,
    pub tags: Option<Vec<String>>,
    /// Files with the first message (names and types are cleaned here).
    #[serde(skip)]
    pub attachments: Vec<NewAttachment>,
}

/// A change to a ticket's fields; absent fields stay as they are. For the
/// nullable ones, `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct TicketPatch {
    pub subject: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub ticket_type: Option<String>,
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<Option<i64>>,
    pub tier: Option<i64>,
    pub escalation_level: Option<i64>,
    pub tags: Option<Vec<String>>,
    /// The ticket's `updated_at` as the client saw it; a newer ticket is a conflict.
    pub expected_version: Option<DateTime<Utc>>,
}

impl TicketPatch {
    pub fn is_empty(&self) -> bool {
        self.subject.is_none()
            && self.status.is_none()
            && self.priority.is_none()
            && self.ticket_type.is_none()
            && self.assignee_id.is_none()
            && self.team_id.is_none()
            && self.tier.is_none()
            && self.escalation_level.is_none()
            && self.tags.is_none()
    }
}

/// A patch whose values are parsed and whose users and teams exist.
#[derive(Debug, Clone)]
struct CheckedPatch {
    subject: Option<String>,
    status: Option<Status>,
    priority: Option<Priority>,
    ticket_type: Option<TicketType>,
    assignee_id: Option<Option<i64>>,
    team_id: Option<Option<i64>>,
    tier: Option<ticket::Tier>,
    escalation_level: Option<ticket::EscalationLevel>,
    tags: Option<Vec<String>>,
}

impl CheckedPatch {
    /// The ticket's fields with the patch applied, under the ticket's rules.
    fn apply(&self, current: &Ticket) -> std::result::Result<TicketFields, DomainError> {
        let mut f = current.fields();
        if let Some(s) = &self.subject {
            f.subject = s.clone();
        }
        if let Some(to) = self.status {
            current.status.check_transition(to)?;
            f.status = to;
        }
        if let Some(p) = self.priority {
            f.priority = p;
        }
        if let Some(t) = self.ticket_type {
            f.ticket_type = t;
        }
        if let Some(a) = self.assignee_id {
            f.assignee_id = a;
        }
        if let Some(t) = self.team_id {
            f.team_id = t;
        }
        // The step moves only through the escalation actions; its columns
        // may only be sent back as they are.
        frontline_domain::escalation::EscalationStep::refuse_edit(
            current.id,
            (current.tier, current.escalation_level),
            self.tier,
            self.escalation_level,
        )?;
        if let Some(tags) = &self.tags {
            f.tags = tags.clone();
        }
        // Assigning a new ticket starts work on it (a form re-sending "new" is not a choice to keep it new).
        if f.status == Status::New && f.assignee_id.is_some() && current.assignee_id.is_none() {
            f.status = Status::Open;
        }
        if current.status == Status::Closed && f != current.fields() {
            return Err(DomainError::invalid("status", "a closed ticket cannot be changed; create a follow-up ticket"));
        }
        Ok(f)
    }
}

#[derive(Debug, Clone)]
pub struct ReplyInput {
    pub kind: MessageKind,
    pub body: String,
    /// Agents may set the status with the reply ("reply and set pending").
    pub status: Option<String>,
    pub channel: Channel,
    /// Files uploaded with the reply (names and types are cleaned here).
    pub attachments: Vec<NewAttachment>,
}

/// A ticket page's contents as the actor may see them: the ticket's view,
/// and only the messages and history events the actor's scopes allow.
#[derive(Debug, Clone)]
pub struct TicketThread {
    pub ticket: TicketView,
    /// The ticket's first message when it is not among `messages`, and how
    /// many messages between it and them are not shown.
    pub first_message: Option<Message>,
    pub hidden_messages: i64,
    /// The latest messages (up to `THREAD_MESSAGES`, before the page's
    /// `before_message`), oldest first.
    pub messages: Vec<Message>,
    /// The latest history events (up to `THREAD_EVENTS`), oldest first;
    /// `earlier_events`: older ones exist.
    pub events: Vec<TicketEvent>,
    pub earlier_events: bool,
    /// Ever marked as needing a senior (read from the whole history).
    pub needs_senior: bool,
    /// The page shows older messages than the latest (newer ones exist).
    pub paged_back: bool,
    /// Questions about the ticket to colleagues (staff only; empty for others).
    pub help_requests: Vec<frontline_store::help::HelpRequest>,
}

impl TicketThread {
    /// The messages shown, in order: the first one, then the latest.
    pub fn conversation(&self) -> impl Iterator<Item = &Message> {
        self.first_message.iter().chain(self.messages.iter())
    }

    /// Where the page of earlier messages starts, when some are not shown.
    pub fn earlier_messages_before(&self) -> Option<i64> {
        self.messages.first().map(|m| m.id).filter(|_| self.hidden_messages > 0)
    }

    /// Where the page of earlier history starts, when some is not shown.
    pub fn earlier_events_before(&self) -> Option<i64> {
        self.events.first().map(|e| e.id).filter(|_| self.earlier_events)
    }
}

#[derive(Debug, Clone)]
pub struct QueueCount {
    pub view: QueueView,
    pub count: i64,
}

/// Mails a change sends: the customer hears about public replies from the
/// team and about their ticket being solved; an agent hears when someone
/// else assigns a ticket to them.
pub(crate) fn change_notifications(
    actor: &frontline_domain::authz::Actor,
    before: &TicketFields,
    after: &TicketFields,
    staff_reply: bool,
) -> Vec<NotificationKind> {
    let mut out = Vec::new();
    if staff_reply {
        // The reply mail already carries the new status.
        out.push(NotificationKind::PublicReply);
    } else if after.status == Status::Solved && before.status != Status::Solved {
        out.push(NotificationKind::TicketSolved);
    }
    if after.assignee_id != before.assignee_id && after.assignee_id.is_some_and(|a| !actor.is_user(a)) {
        out.push(NotificationKind::TicketAssigned);
    }
    out
}

/// The wanted notifications that admins have switched on.
pub(crate) fn only_enabled(wanted: Vec<NotificationKind>, enabled: &[NotificationKind]) -> Vec<NotificationKind> {
    wanted.into_iter().filter(|k| enabled.contains(k)).collect()
}

fn opt_parse<T>(v: &Option<String>, parse: fn(&str) -> std::result::Result<T, DomainError>) -> std::result::Result<Option<T>, DomainError> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(parse).transpose()
}

impl App {
    pub(crate) async fn load_visible(&self, actor: &Actor, id: i64) -> Result<Ticket> {
        let ticket = self.store.get_ticket(id).await?.ok_or(DomainError::NotFound("ticket"))?;
        authz::require_view_ticket(actor, ticket.scope())?;
        Ok(ticket)
    }

    async fn check_assignee(&self, id: Option<i64>) -> Result<()> {
        if let Some(id) = id {
            let user = self.store.get_user(id).await?;
            let ok = user.is_some_and(|u| u.active && authz::can(&u.actor(), Permission::WorkTickets));
            if !ok {
                return Err(DomainError::invalid("assignee_id", format!("user {id} does not exist or cannot work tickets")).into());
            }
        }
        Ok(())
    }

    async fn check_team(&self, id: Option<i64>) -> Result<()> {
        if let Some(id) = id
            && self.store.get_team(id).await?.is_none()
        {
            return Err(DomainError::invalid("team_id", format!("team {id} does not exist")).into());
        }
        Ok(())
    }

    /// The customer a ticket is for: an existing user by id or email, or a
    /// new customer created from the email (in the organization owning its domain).
    async fn resolve_requester(&self, actor: &Actor, input: &NewTicketInput) -> Result<User> {
        if let Some(id) = input.requester_id {
            return self
                .store
                .get_user(id)
                .await?
                .ok_or_else(|| DomainError::invalid("requester_id", format!("user {id} does not exist")).into());
        }
        let Some(raw) = input.requester_email.as_deref().filter(|s| !s.trim().is_empty()) else {
            return Err(DomainError::invalid("requester_email", "choose the customer: requester email or id is required").into());
        };
        let email =
            Email::parse(raw).map_err(|_| DomainError::invalid("requester_email", "requester email must look like name@example.com"))?;
        let name = match input.requester_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(n) => frontline_domain::validate::name("requester_name", n, 120)?,
            None => App::name_from_email(&email),
        };
        self.customer_from_email(&email, name, actor.user_id(), "role=customer_member (as a ticket's requester)").await
    }

    pub async fn create_ticket(&self, actor: &Actor, input: &NewTicketInput, channel: Channel) -> Result<TicketView> {
        self.create_ticket_keyed(actor, input, channel, None).await
    }

    /// `create_ticket` under an API request's Idempotency-Key, marked in the ticket's transaction.
    pub async fn create_ticket_keyed(
        &self,
        actor: &Actor,
        input: &NewTicketInput,
        channel: Channel,
        idempotency: Option<IdempotencyMark>,
    ) -> Result<TicketView> {
        let is_customer = actor.is_customer();
        authz::require(actor, if is_customer { Permission::UsePortal } else { Permission::CreateTicketForCustomer })?;
        authz::require_settable(
            actor,
            &[
                (TicketField::Assignee, input.assignee_id.is_some()),
                (TicketField::Team, input.team_id.is_some()),
                (TicketField::Tier, input.tier.is_some()),
                (TicketField::Tags, input.tags.is_some()),
                (TicketField::Requester, input.requester_id.is_some() || input.requester_email.is_some()),
            ],
        )?;
        let subject = ticket::parse_subject(&input.subject)?;
        let body = ticket::parse_body(&input.body)?;
        let attachments = self.clean_uploads(&input.attachments)?;
        let priority = opt_parse(&input.priority, Priority::parse)?.unwrap_or(Priority::Normal);
        let ticket_type = opt_parse(&input.ticket_type, TicketType::parse)?.unwrap_or(TicketType::Question);
        let tier = ticket::parse_tier(input.tier.unwrap_or(1))?;
        let tags = ticket::parse_tags(input.tags.as_deref().unwrap_or_default())?;
        self.check_assignee(input.assignee_id).await?;
        self.check_team(input.team_id).await?;
        let requester = if is_customer {
            let me = actor.user_id().ok_or(DomainError::Unauthenticated)?;
            self.store.get_user(me).await?.ok_or(DomainError::Unauthenticated)?
        } else {
            self.resolve_requester(actor, input).await?
        };
        let fields = TicketFields {
            subject,
            status: if input.assignee_id.is_some() { Status::Open } else { Status::New },
            priority,
            ticket_type,
            assignee_id: input.assignee_id,
            team_id: input.team_id,
            // A new ticket starts at the step its tier's queue stands for, so tier and level agree.
            tier: frontline_domain::escalation::EscalationStep::of_tier(tier).fields().0,
            escalation_level: frontline_domain::escalation::EscalationStep::of_tier(tier).fields().1,
            tags,
        };
        let mut wanted = vec![NotificationKind::TicketCreated];
        if fields.assignee_id.is_some_and(|a| !actor.is_user(a)) {
            wanted.push(NotificationKind::TicketAssigned);
        }
        let notify = self.notifications(&wanted).await?;
        let id = self
            .store
            .create_ticket(&NewTicket {
                fields,
                channel,
                requester_id: requester.id,
                organization_id: requester.organization_id,
                created_by: actor.user_id(),
                body,
                created_at: None,
                notify,
                email_message_id: None,
                body_html: None,
                attachments,
                idempotency,
            })
            .await?;
        self.read_back(actor, id).await
    }

    /// A ticket just written, as the writer may see it.
    async fn read_back(&self, actor: &Actor, id: i64) -> Result<TicketView> {
        let ticket = self.store.get_ticket(id).await?.ok_or(DomainError::NotFound("ticket"))?;
        Ok(TicketView::new(actor, ticket))
    }

    pub async fn ticket(&self, actor: &Actor, id: i64) -> Result<TicketView> {
        Ok(TicketView::new(actor, self.load_visible(actor, id).await?))
    }

    /// A ticket page: bounded however long the ticket grows (its first
    /// message, the latest messages and history events, each before the
    /// page's marks when it pages back).
    pub async fn ticket_thread(&self, actor: &Actor, id: i64, page: ThreadPage) -> Result<TicketThread> {
        let ticket = TicketView::new(actor, self.load_visible(actor, id).await?);
        let thread = self.store.thread_messages(id, authz::message_scope(actor), page.before_message, THREAD_MESSAGES).await?;
        let events = self.store.latest_events(id, authz::event_scope(actor), page.before_event, THREAD_EVENTS).await?;
        let needs_senior = match authz::sees_internal(actor) {
            true => self.store.ticket_has_event(id, frontline_domain::ticket::EventField::NeedsSenior).await?,
            false => false,
        };
        // Read with the thread, from the ticket already checked (not read again).
        let help_requests = match authz::sees_internal(actor) {
            true => self.store.ticket_help_requests(id).await?,
            false => vec![],
        };
        Ok(TicketThread {
            ticket,
            first_message: thread.first,
            hidden_messages: thread.hidden,
            messages: thread.messages,
            events: events.items,
            earlier_events: events.has_more,
            needs_senior,
            paged_back: page.before_message.is_some(),
            help_requests,
        })
    }

    /// At most `limit` messages after `after_id`, oldest first.
    pub async fn messages(&self, actor: &Actor, id: i64, after_id: Option<i64>, limit: i64) -> Result<Vec<Message>> {
        self.load_visible(actor, id).await?;
        Ok(self.store.list_messages(id, authz::message_scope(actor), after_id, limit).await?)
    }

    /// One page of a ticket's history, oldest first: up to `limit` events after the event `after_id`.
    pub async fn events(&self, actor: &Actor, id: i64, after_id: Option<i64>, limit: i64) -> Result<Page<TicketEvent>> {
        self.load_visible(actor, id).await?;
        Ok(self.store.list_events(id, authz::event_scope(actor), after_id, limit).await?)
    }

    /// Parse a patch and check what it points at (users, teams), before
    /// the write; applying it to the locked ticket is `CheckedPatch::apply`.
    async fn check_patch(&self, current: &Ticket, patch: &TicketPatch) -> Result<CheckedPatch> {
        let assignee_id = patch.assignee_id;
        if let Some(a) = assignee_id
            && a != current.assignee_id
        {
            self.check_assignee(a).await?;
        }
        if let Some(t) = patch.team_id
            && t != current.team_id
        {
            self.check_team(t).await?;
        }
        let escalation_level = patch.escalation_level.map(ticket::EscalationLevel::new).transpose()?;
        Ok(CheckedPatch {
            subject: patch.subject.as_deref().map(ticket::parse_subject).transpose()?,
            status: patch.status.as_deref().map(|s| Status::parse(s.trim())).transpose()?,
            priority: patch.priority.as_deref().map(|p| Priority::parse(p.trim())).transpose()?,
            ticket_type: patch.ticket_type.as_deref().map(|t| TicketType::parse(t.trim())).transpose()?,
            assignee_id,
            team_id: patch.team_id,
            tier: patch.tier.map(ticket::parse_tier).transpose()?,
            escalation_level,
            tags: patch.tags.as_deref().map(ticket::parse_tags).transpose()?,
        })
    }

    pub async fn update_ticket(&self, actor: &Actor, id: i64, patch: &TicketPatch) -> Result<TicketView> {
        self.update_ticket_keyed(actor, id, patch, None).await
    }

    /// `update_ticket` under an API request's Idempotency-Key, marked in the change's transaction.
    pub async fn update_ticket_keyed(
        &self,
        actor: &Actor,
        id: i64,
        patch: &TicketPatch,
        idempotency: Option<IdempotencyMark>,
    ) -> Result<TicketView> {
        let current = self.load_visible(actor, id).await?;
        authz::require(actor, Permission::WorkTickets)?;
        let checked = self.check_patch(&current, patch).await?;
        let enabled = self.enabled_notifications().await?;
        let decide = |t: &Ticket| -> std::result::Result<Effects, DomainError> {
            let before = t.fields();
            let after = checked.apply(t)?;
            let notify = only_enabled(change_notifications(actor, &before, &after, false), &enabled);
            Ok(Effects { after, notify })
        };
        self.store
            .modify_ticket(Modify {
                ticket_id: id,
                actor_id: actor.user_id(),
                // Only a version the client sent can conflict.
                expected_version: patch.expected_version,
                message: None,
                accept: None,
                decide: &decide,
                idempotency,
            })
            .await?;
        self.read_back(actor, id).await
    }

    /// Post a public reply or an internal note, optionally with a status.
    /// Appending never conflicts: what the message does to the ticket (a
    /// reopen, the status chosen with it) is decided on the ticket as it is
    /// when the message is written.
    pub async fn reply(&self, actor: &Actor, id: i64, input: &ReplyInput) -> Result<Message> {
        self.reply_keyed(actor, id, input, None).await
    }

    /// `reply` under an API request's Idempotency-Key, marked in the reply's transaction.
    pub async fn reply_keyed(&self, actor: &Actor, id: i64, input: &ReplyInput, idempotency: Option<IdempotencyMark>) -> Result<Message> {
        let current = self.load_visible(actor, id).await?;
        // A message has an author; the system writes none through here.
        let author = actor.user_id().ok_or(DomainError::Forbidden("only a person can write a message"))?;
        let attachments = self.clean_uploads(&input.attachments)?;
        let body = if input.body.trim().is_empty() && !attachments.is_empty() {
            // A reply may be just files; the text says what came.
            let names: Vec<&str> = attachments.iter().map(|a| a.filename.as_str()).collect();
            format!("Attached: {}", names.join(", "))
        } else {
            ticket::parse_body(&input.body)?
        };
        match input.kind {
            MessageKind::Internal => authz::require(actor, Permission::AddInternalNote)?,
            MessageKind::Public => {
                if !authz::can_reply_publicly(actor, current.scope()) {
                    return Err(DomainError::Forbidden("your role cannot reply to customers").into());
                }
            }
        }
        let chosen_status = match input.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(_) if !authz::can_set_field(actor, TicketField::Status) => {
                return Err(DomainError::invalid("status", "status can only be set by the support team").into());
            }
            Some(s) => {
                authz::require(actor, Permission::WorkTickets)?;
                Some(Status::parse(s)?)
            }
            None => None,
        };
        let staff_reply = input.kind == MessageKind::Public && !actor.is_customer();
        let enabled = self.enabled_notifications().await?;
        let decide = |t: &Ticket| -> std::result::Result<Effects, DomainError> {
            if t.status == Status::Closed {
                return Err(DomainError::invalid("body", "this ticket is closed; create a follow-up ticket"));
            }
            let before = t.fields();
            let mut after = before.clone();
            after.status = match chosen_status {
                Some(to) => {
                    t.status.check_transition(to)?;
                    to
                }
                None if actor.is_customer() => t.status.after_customer_message(),
                None if input.kind == MessageKind::Public => t.status.after_team_reply(),
                None => t.status,
            };
            let notify = only_enabled(change_notifications(actor, &before, &after, staff_reply), &enabled);
            Ok(Effects { after, notify })
        };
        let message_id = self
            .store
            .modify_ticket(Modify {
                ticket_id: id,
                actor_id: Some(author),
                expected_version: None,
                accept: None,
                message: Some(NewMessage {
                    author_id: author,
                    kind: input.kind,
                    body,
                    channel: input.channel,
                    created_at: None,
                    email_message_id: None,
                    body_html: None,
                    attachments,
                    unverified_sender: false,
                }),
                decide: &decide,
                idempotency,
            })
            .await?
            .ok_or_else(|| crate::AppError::internal("reply was not stored"))?;
        self.store.get_message(message_id).await?.ok_or_else(|| crate::AppError::internal("reply vanished"))
    }

    /// Accept a mail held from an unverified sender: from now on it is a
    /// normal customer message (customers see it, it reopens the ticket as
    /// a customer's answer would, its author follows the ticket), and the
    /// acceptance is audited in the same transaction.
    pub async fn accept_mail(&self, actor: &Actor, ticket_id: i64, message_id: i64) -> Result<Message> {
        self.load_visible(actor, ticket_id).await?;
        if !authz::can_accept_mail(actor) {
            return Err(DomainError::Forbidden("your role cannot accept mail into a conversation").into());
        }
        let decide = |t: &Ticket| -> std::result::Result<Effects, DomainError> {
            let mut after = t.fields();
            after.status = t.status.after_customer_message();
            Ok(Effects { after, notify: vec![] })
        };
        let audit = crate::directory::audit(
            actor,
            frontline_domain::audit::AuditAction::MessageAccept,
            format!("message:{message_id}"),
            format!("ticket:{ticket_id}"),
        );
        self.store
            .modify_ticket(Modify {
                ticket_id,
                actor_id: actor.user_id(),
                expected_version: None,
                message: None,
                accept: Some(AcceptMail { message_id, audit }),
                decide: &decide,
                idempotency: None,
            })
            .await?;
        self.store.get_message(message_id).await?.ok_or_else(|| crate::AppError::internal("accepted message vanished"))
    }

    /// One message of a ticket the actor may see (internal notes only for staff).
    pub async fn message(&self, actor: &Actor, id: i64) -> Result<Message> {
        let message = self.store.get_message(id).await?.ok_or(DomainError::NotFound("message"))?;
        self.load_visible(actor, message.ticket_id).await?;
        let scope = authz::message_scope(actor);
        if (message.kind == MessageKind::Internal && !scope.internal_notes) || (message.unverified_sender && !scope.unverified_mail) {
            return Err(DomainError::NotFound("message").into());
        }
        Ok(message)
    }

    /// Uploaded files with safe names and types, within the size limits.
    fn clean_uploads(&self, files: &[NewAttachment]) -> Result<Vec<NewAttachment>> {
        let sizes: Vec<(&str, usize)> = files.iter().map(|f| (f.filename.as_str(), f.data.len())).collect();
        attachment::check_upload(&sizes, &self.config.attachment_limits)?;
        Ok(files
            .iter()
            .map(|f| NewAttachment {
                filename: attachment::clean_filename(&f.filename),
                content_type: attachment::clean_content_type(&f.content_type),
                content_id: None,
                inline: false,
                data: f.data.clone(),
            })
            .collect())
    }

    /// An attachment and its bytes, for whoever may read the message that carries it.
    pub async fn attachment(&self, actor: &Actor, id: i64) -> Result<(Attachment, Vec<u8>)> {
        let not_found = || DomainError::NotFound("attachment");
        let meta = self.store.get_attachment(id).await?.ok_or_else(not_found)?;
        // Someone who may not see the ticket learns nothing, not even that the file exists.
        self.load_visible(actor, meta.ticket_id).await.map_err(|e| match e {
            crate::AppError::Domain(_) => not_found().into(),
            other => other,
        })?;
        let scope = authz::message_scope(actor);
        if (meta.on_internal_note && !scope.internal_notes) || (meta.on_unverified_mail && !scope.unverified_mail) {
            return Err(not_found().into());
        }
        let data = self.store.attachment_data(id).await?.ok_or_else(not_found)?;
        Ok((meta, data))
    }

    /// The tier of the actor's position (None without one) and their team.
    pub(crate) async fn actor_tier_team(&self, actor: &Actor) -> Result<(Option<frontline_domain::tier::Tier>, Option<i64>)> {
        let Some(id) = actor.user_id() else { return Ok((None, None)) };
        let me = self.store.get_user(id).await?.ok_or(DomainError::Unauthenticated)?;
        Ok((me.tier, me.team_id))
    }

    pub async fn queue(&self, actor: &Actor, view: QueueView, sort: Sort, page: i64) -> Result<Page<TicketView>> {
        authz::require(actor, Permission::ViewAllTickets)?;
        let (position_tier, team_id) = self.actor_tier_team(actor).await?;
        let page = clamp_page(page);
        let tier = authz::queue_tier(actor, position_tier);
        if !authz::offers_queue(actor, position_tier, view) {
            // A view not offered (no tier, not engineering's), asked for anyway, is empty.
            return Ok(Page { items: vec![], has_more: false });
        }
        let user_id = actor.user_id().unwrap_or(0);
        let tickets = self
            .store
            .queue_page(&QueueQuery { view, user_id, tier, team_id, sort, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE })
            .await?;
        Ok(TicketView::page(actor, tickets))
    }

    pub async fn queue_counts(&self, actor: &Actor) -> Result<Vec<QueueCount>> {
        authz::require(actor, Permission::ViewAllTickets)?;
        let (position_tier, team_id) = self.actor_tier_team(actor).await?;
        let mut out = Vec::with_capacity(QueueView::ALL.len());
        let user_id = actor.user_id().unwrap_or(0);
        let tier = authz::queue_tier(actor, position_tier);
        for view in QueueView::ALL {
            if !authz::offers_queue(actor, position_tier, view) {
                // Views not offered are not in the list at all.
                continue;
            }
            out.push(QueueCount { view, count: self.store.queue_count(view, user_id, tier, team_id).await? });
        }
        Ok(out)
    }

    /// Tickets by filter. Customers are limited to what they may see
    /// whatever filter they pass.
    pub async fn list_tickets(&self, actor: &Actor, mut filter: TicketFilter) -> Result<Page<TicketView>> {
        filter.limit = filter.limit.clamp(1, 100);
        if let Some(tag) = &filter.tag {
            frontline_domain::validate::text("tag", tag)?;
        }
        match authz::ticket_list_scope(actor) {
            Some(authz::ListScope::All) => {}
            Some(authz::ListScope::Customer { requester_id, organization_id }) => {
                // Filters on agent-only fields would reveal them; customers do not get them.
                filter.tag = None;
                filter.team_id = None;
                filter.tier = None;
                filter.assignee_id = None;
                filter.unassigned = false;
                // The due order would reveal the agent-only SLA due times:
                // newest first. Their pages' cursors carry no due time
                // (views hide it), so such a cursor is a plain id.
                filter.order = frontline_store::tickets::ListOrder::Newest;
                if let Some(c) = filter.due_cursor.take() {
                    filter.before_id = filter.before_id.or(Some(c.id));
                }
                filter.visible_to_requester = Some(requester_id);
                filter.visible_to_org = organization_id;
            }
            None => return Err(DomainError::Forbidden("your role does not allow this").into()),
        }
        Ok(TicketView::page(actor, self.store.list_tickets(&filter).await?))
    }

    pub async fn search(&self, actor: &Actor, q: &str, page: i64) -> Result<Page<TicketView>> {
        authz::require(actor, Permission::ViewAllTickets)?;
        frontline_domain::validate::text("q", q)?;
        if q.chars().count() > 200 {
            return Err(DomainError::invalid("q", "search text must be at most 200 characters").into());
        }
        let page = clamp_page(page);
        Ok(TicketView::page(actor, self.store.search_tickets(q, true, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?))
    }
}
