//! What the store returns. Enumerated columns are parsed into domain types
//! on the way out, so a bad value in the database is caught at the edge.

use chrono::{DateTime, Utc};
use frontline_domain::authz::{Actor, TicketScope};
use frontline_domain::ticket::{Channel, MessageKind, Priority, Status, TicketFields, TicketType};
use frontline_domain::user::Role;
use serde::Serialize;

use crate::StoreError;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    pub position_id: Option<i64>,
    pub position_name: Option<String>,
    /// The tier of the user's position (staff only).
    pub tier: Option<frontline_domain::tier::Tier>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub reports_to: Option<i64>,
    pub reports_to_name: Option<String>,
    pub active: bool,
    /// Whether automatic assignment gives them new tickets.
    pub availability: frontline_domain::user::Availability,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub password_hash: Option<String>,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, self.role, self.organization_id)
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    organization_id: Option<i64>,
    organization_name: Option<String>,
    position_id: Option<i64>,
    position_name: Option<String>,
    tier: Option<i64>,
    team_id: Option<i64>,
    team_name: Option<String>,
    reports_to: Option<i64>,
    reports_to_name: Option<String>,
    active: bool,
    availability: String,
    created_at: DateTime<Utc>,
    password_hash: Option<String>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: r.id,
            email: r.email,
            name: r.name,
            role: Role::parse(&r.role).map_err(corrupt)?,
            organization_id: r.organization_id,
            organization_name: r.organization_name,
            position_id: r.position_id,
            position_name: r.position_name,
            tier: r.tier.map(frontline_domain::tier::Tier::new).transpose()?,
            team_id: r.team_id,
            team_name: r.team_name,
            reports_to: r.reports_to,
            reports_to_name: r.reports_to_name,
            active: r.active,
            availability: frontline_domain::user::Availability::parse("availability", &r.availability).map_err(corrupt)?,
            created_at: r.created_at,
            password_hash: r.password_hash,
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub notes: String,
    /// Space-separated email domains.
    pub domains: String,
    pub created_at: DateTime<Utc>,
    /// The organization's support plan (which chooses its SLA policy).
    pub support_plan_id: Option<i64>,
    pub support_plan_name: Option<String>,
}

impl Organization {
    pub fn domain_list(&self) -> Vec<&str> {
        self.domains.split_whitespace().collect()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
    /// How new unassigned tickets of the team find an agent.
    #[sqlx(try_from = "String")]
    pub assignment_mode: frontline_domain::assignment::AssignmentMode,
    /// Open tickets per agent before automatic assignment passes them over; None: unlimited.
    pub assignment_capacity: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Position {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub rank: i64,
    #[sqlx(try_from = "i64")]
    pub tier: frontline_domain::tier::Tier,
    pub holder_count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub ticket_type: TicketType,
    pub channel: Channel,
    pub requester_id: i64,
    pub requester_name: String,
    pub requester_email: String,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    /// The requester organization's support plan.
    pub support_plan_id: Option<i64>,
    pub support_plan_name: Option<String>,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub tier: frontline_domain::tier::Tier,
    pub escalation_level: frontline_domain::tier::EscalationLevel,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub solved_at: Option<DateTime<Utc>>,
    /// The earliest due time of the SLA targets still running, as the last
    /// SLA pass stored it (`tickets.sla_due_at`); None: no policy, paused,
    /// nothing waited for, or not computed yet.
    pub sla_due_at: Option<DateTime<Utc>>,
    /// The SLA clock was paused at the last SLA pass (pending, on hold).
    pub sla_paused: bool,
}

impl Ticket {
    pub fn scope(&self) -> TicketScope {
        TicketScope { requester_id: self.requester_id, organization_id: self.organization_id }
    }

    pub fn fields(&self) -> TicketFields {
        TicketFields {
            subject: self.subject.clone(),
            status: self.status,
            priority: self.priority,
            ticket_type: self.ticket_type,
            assignee_id: self.assignee_id,
            team_id: self.team_id,
            tier: self.tier,
            escalation_level: self.escalation_level,
            tags: self.tags.clone(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    id: i64,
    subject: String,
    status: String,
    priority: String,
    ticket_type: String,
    channel: String,
    requester_id: i64,
    requester_name: String,
    requester_email: String,
    organization_id: Option<i64>,
    organization_name: Option<String>,
    support_plan_id: Option<i64>,
    support_plan_name: Option<String>,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    team_id: Option<i64>,
    team_name: Option<String>,
    tier: i64,
    escalation_level: i64,
    tags: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
    sla_due_at: Option<DateTime<Utc>>,
    sla_paused: Option<bool>,
}

impl TryFrom<TicketRow> for Ticket {
    type Error = StoreError;
    fn try_from(r: TicketRow) -> Result<Self, StoreError> {
        Ok(Ticket {
            id: r.id,
            subject: r.subject,
            status: Status::parse(&r.status).map_err(corrupt)?,
            priority: Priority::parse(&r.priority).map_err(corrupt)?,
            ticket_type: TicketType::parse(&r.ticket_type).map_err(corrupt)?,
            channel: Channel::parse(&r.channel).map_err(corrupt)?,
            requester_id: r.requester_id,
            requester_name: r.requester_name,
            requester_email: r.requester_email,
            organization_id: r.organization_id,
            organization_name: r.organization_name,
            support_plan_id: r.support_plan_id,
            support_plan_name: r.support_plan_name,
            assignee_id: r.assignee_id,
            assignee_name: r.assignee_name,
            team_id: r.team_id,
            team_name: r.team_name,
            tier: frontline_domain::tier::Tier::new(r.tier)?,
            escalation_level: frontline_domain::tier::EscalationLevel::new(r.escalation_level)?,
            tags: r.tags.split_whitespace().map(str::to_string).collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            solved_at: r.solved_at,
            sla_due_at: r.sla_due_at,
            sla_paused: r.sla_paused.unwrap_or(false),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub author_is_staff: bool,
    pub kind: MessageKind,
    pub body: String,
    /// Sanitized HTML, for mail that came with it.
    pub body_html: Option<String>,
    pub channel: Channel,
    pub created_at: DateTime<Utc>,
    pub attachments: Vec<crate::attachments::Attachment>,
    /// Mail from someone outside the ticket, held until an agent accepts it.
    pub unverified_sender: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub(crate) id: i64,
    ticket_id: i64,
    author_id: i64,
    author_name: String,
    author_role: String,
    kind: String,
    body: String,
    body_html: Option<String>,
    channel: String,
    created_at: DateTime<Utc>,
    unverified_sender: bool,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;
    fn try_from(r: MessageRow) -> Result<Self, StoreError> {
        Ok(Message {
            id: r.id,
            ticket_id: r.ticket_id,
            author_id: r.author_id,
            author_name: r.author_name,
            author_is_staff: Role::parse(&r.author_role).map_err(corrupt)?.is_staff(),
            kind: MessageKind::parse(&r.kind).map_err(corrupt)?,
            body: r.body,
            body_html: r.body_html,
            channel: Channel::parse(&r.channel).map_err(corrupt)?,
            created_at: r.created_at,
            attachments: vec![],
            unverified_sender: r.unverified_sender,
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// An admin action to record in the same transaction as the change.
#[derive(Debug, Clone)]
pub struct Audit {
    pub actor_id: Option<i64>,
    pub action: frontline_domain::audit::AuditAction,
    pub target: String,
    pub detail: String,
}

/// A ticket page's part of its conversation (`Store::thread_messages`).
#[derive(Debug, Clone)]
pub struct ThreadMessages {
    /// The ticket's first message, when it is not among `messages`.
    pub first: Option<crate::Message>,
    /// How many messages between `first` and `messages` are not shown.
    pub hidden: i64,
    pub messages: Vec<crate::Message>,
}

/// One page of a list plus whether more follows.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}
