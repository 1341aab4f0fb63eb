//! What the API sends and accepts. Response types are built from the use
//! cases' views and store rows here; what a reader may see was decided when
//! the view was made, so nothing here decides it again.

use chrono::{DateTime, Utc};
use frontline_app::directory::OrgView;
use frontline_app::tickets::TicketView;
use frontline_domain::escalation::EscalationStep;
use frontline_domain::tier::{EscalationLevel, Tier};
use frontline_store::attachments::Attachment;
use frontline_store::{ApiToken, AuditEntry, Message, Position, Team, TicketEvent, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::double_option;

/// A support plan, named.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanRefDto {
    pub id: i64,
    pub name: String,
}

impl From<frontline_app::views::PlanRef> for PlanRefDto {
    fn from(p: frontline_app::views::PlanRef) -> Self {
        PlanRefDto { id: p.id, name: p.name }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDto {
    pub id: i64,
    pub subject: String,
    /// new, open, pending, on_hold, solved, closed
    pub status: String,
    /// low, normal, high, urgent
    pub priority: String,
    /// question, incident, problem, task
    #[serde(rename = "type")]
    pub ticket_type: String,
    /// web, portal, api, email
    pub channel: String,
    pub requester: PersonRef,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    pub assignee: Option<PersonRef>,
    /// Agent-only fields: absent for customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_name: Option<String>,
    /// 1 front line, 2 senior, 3 Head of Support.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3)]
    pub tier: Option<Tier>,
    /// 0 not escalated, 1 to tier 2, 2 to the Head of Support, 3 to Engineering.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 3)]
    pub escalation_level: Option<EscalationLevel>,
    /// Where the ticket stands on the escalation path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::vocab::EscalationStepDoc>)]
    pub step: Option<EscalationStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// The requester organization's support plan (null: none). Agent-only: absent for customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<PlanRefDto>)]
    pub support_plan: Option<Option<PlanRefDto>>,
    pub created_at: DateTime<Utc>,
    /// Also the version to send back as `expected_updated_at` to avoid overwriting someone else's change.
    pub updated_at: DateTime<Utc>,
    pub solved_at: Option<DateTime<Utc>>,
    /// Agent-only: when the soonest SLA target still running falls due, as
    /// the SLA pass last stored it (null: no policy, paused, or nothing
    /// waited for). Absent for customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable)]
    pub sla_due_at: Option<Option<DateTime<Utc>>>,
    /// Agent-only: the SLA clock was paused (pending, on hold) at the last SLA pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_paused: Option<bool>,
    /// Agent-only, in answers about one ticket (`GET /api/v1/tickets/{id}`
    /// and the writes that return the ticket): the SLA computed now from the
    /// ticket's history; null when no policy applies. Absent in lists and
    /// for customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::ticket_sla::TicketSlaDto>, nullable)]
    pub sla: Option<Option<super::ticket_sla::TicketSlaDto>>,
}

impl TicketDto {
    /// The ticket with its `sla` object, for answers about one ticket.
    pub fn with_sla(t: TicketView, sla: Option<&frontline_app::sla::TicketSla>) -> Self {
        let agent = t.internal.is_some();
        let mut dto = TicketDto::from(t);
        // Only alongside the agent-only fields: a customer's view has none.
        if agent {
            dto.sla = Some(sla.map(super::ticket_sla::TicketSlaDto::from));
        }
        dto
    }
}

impl From<TicketView> for TicketDto {
    fn from(t: TicketView) -> Self {
        let internal = t.internal;
        let (team_id, team_name, tier, escalation_level, step, tags, support_plan, sla_due_at, sla_paused) = match internal {
            Some(i) => (
                i.team_id,
                i.team_name,
                Some(i.tier),
                Some(i.escalation_level),
                Some(EscalationStep::of(i.tier, i.escalation_level)),
                Some(i.tags),
                Some(i.support_plan.map(PlanRefDto::from)),
                Some(i.sla_due_at),
                Some(i.sla_paused),
            ),
            None => (None, None, None, None, None, None, None, None, None),
        };
        TicketDto {
            id: t.id,
            subject: t.subject,
            status: t.status.as_str().into(),
            priority: t.priority.as_str().into(),
            ticket_type: t.ticket_type.as_str().into(),
            channel: t.channel.as_str().into(),
            requester: PersonRef { id: t.requester_id, name: t.requester_name, email: Some(t.requester_email) },
            organization_id: t.organization_id,
            organization_name: t.organization_name,
            assignee: t.assignee_id.map(|id| PersonRef { id, name: t.assignee_name.unwrap_or_default(), email: None }),
            team_id,
            team_name,
            tier,
            escalation_level,
            step,
            tags,
            support_plan,
            created_at: t.created_at,
            updated_at: t.updated_at,
            solved_at: t.solved_at,
            sla_due_at,
            sla_paused,
            sla: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketList {
    pub data: Vec<TicketDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub data: Vec<EventDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PagedTickets {
    pub data: Vec<TicketDto>,
    pub page: i64,
    pub has_more: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    pub ticket_id: i64,
    pub author: PersonRef,
    pub author_is_staff: bool,
    /// public or internal
    pub kind: String,
    pub body: String,
    /// Sanitized HTML of a mail that had an HTML part; images refer to
    /// attachments by `cid:` (see each attachment's `content_id`).
    pub body_html: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub attachments: Vec<AttachmentDto>,
    /// Mail from someone outside the ticket who answered its thread: held
    /// for an agent to accept, shown to staff only until then.
    pub unverified_sender: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// An image shown inside the mail's HTML rather than offered as a file.
    pub inline: bool,
    pub content_id: Option<String>,
    /// Where to download it (with the same token).
    pub url: String,
}

impl From<Attachment> for AttachmentDto {
    fn from(a: Attachment) -> Self {
        AttachmentDto {
            url: format!("/api/v1/attachments/{}", a.id),
            id: a.id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            inline: a.inline,
            content_id: a.content_id,
        }
    }
}

impl From<Message> for MessageDto {
    fn from(m: Message) -> Self {
        MessageDto {
            id: m.id,
            ticket_id: m.ticket_id,
            author: PersonRef { id: m.author_id, name: m.author_name, email: None },
            author_is_staff: m.author_is_staff,
            kind: m.kind.as_str().into(),
            body: m.body,
            body_html: m.body_html,
            channel: m.channel.as_str().into(),
            created_at: m.created_at,
            attachments: m.attachments.into_iter().map(AttachmentDto::from).collect(),
            unverified_sender: m.unverified_sender,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub id: i64,
    pub actor: Option<PersonRef>,
    /// created, status, priority, type, assignee, team, tier, escalation_level, tags, subject, public_reply, internal_note
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<TicketEvent> for EventDto {
    fn from(e: TicketEvent) -> Self {
        EventDto {
            id: e.id,
            actor: e.actor_id.map(|id| PersonRef { id, name: e.actor_name.unwrap_or_default(), email: None }),
            field: e.field,
            old_value: e.old_value,
            new_value: e.new_value,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketRequest {
    pub subject: String,
    /// The first message, from the requester.
    pub body: String,
    /// Agents: the customer, by id...
    pub requester_id: Option<i64>,
    /// ...or by email (a customer is created when unknown).
    pub requester_email: Option<String>,
    pub requester_name: Option<String>,
    pub priority: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    /// 1 front line, 2 senior, 3 Head of Support (checked by the use case, which names the field when it is out of range).
    #[schema(minimum = 1, maximum = 3)]
    pub tier: Option<i64>,
    pub tags: Option<Vec<String>>,
    /// Files with the first message (at most 20; by default 10 MB each and 25 MB in all, see `attachment_max_mb`).
    #[serde(default)]
    pub attachments: Vec<UploadDto>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketRequest {
    pub subject: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    /// null unassigns.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// null removes the team.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// 1 front line, 2 senior, 3 Head of Support (checked by the use case, which names the field when it is out of range).
    #[schema(minimum = 1, maximum = 3)]
    pub tier: Option<i64>,
    #[schema(minimum = 0, maximum = 3)]
    pub escalation_level: Option<i64>,
    pub tags: Option<Vec<String>>,
    /// The `updated_at` you read; the update fails with 409 if the ticket changed since.
    pub expected_updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMessageRequest {
    /// public (default) or internal
    pub kind: Option<String>,
    pub body: String,
    /// Agents: set the status with the reply, e.g. pending.
    pub status: Option<String>,
    /// Files to attach (at most 20; by default 10 MB each and 25 MB in all, see `attachment_max_mb`).
    #[serde(default)]
    pub attachments: Vec<UploadDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UploadDto {
    pub filename: String,
    /// Defaults to application/octet-stream.
    pub content_type: Option<String>,
    /// The file's bytes, base64 (standard alphabet, padded).
    pub content_base64: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    pub position_id: Option<i64>,
    pub position_name: Option<String>,
    /// The tier of the user's position (staff with one).
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3)]
    pub tier: Option<Tier>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub reports_to: Option<i64>,
    pub active: bool,
    /// Whether automatic assignment gives them new tickets (only `available` gets any).
    pub availability: AvailabilityDto,
    pub created_at: DateTime<Utc>,
}

/// An agent's availability (`frontline_domain::user::Availability`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AvailabilityDto {
    Available,
    Away,
    Off,
}

impl From<frontline_domain::user::Availability> for AvailabilityDto {
    fn from(a: frontline_domain::user::Availability) -> Self {
        use frontline_domain::user::Availability as A;
        match a {
            A::Available => AvailabilityDto::Available,
            A::Away => AvailabilityDto::Away,
            A::Off => AvailabilityDto::Off,
        }
    }
}

/// `PUT /api/v1/me/availability` and `PUT /api/v1/users/{id}/availability`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRequest {
    /// `available`, `away` or `off`.
    #[schema(example = "away")]
    pub availability: String,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role.as_str().into(),
            organization_id: u.organization_id,
            organization_name: u.organization_name,
            position_id: u.position_id,
            position_name: u.position_name,
            tier: u.tier,
            team_id: u.team_id,
            team_name: u.team_name,
            reports_to: u.reports_to,
            active: u.active,
            availability: u.availability.into(),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub data: Vec<UserDto>,
    pub page: i64,
    pub has_more: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub email: String,
    pub name: String,
    /// admin, head_of_support, manager, agent, engineering, solutions_engineer, leadership, customer_admin, customer_member
    pub role: String,
    pub organization_id: Option<i64>,
    pub position_id: Option<i64>,
    pub team_id: Option<i64>,
    pub reports_to: Option<i64>,
    /// At least 10 characters. Without one the user is mailed an invitation
    /// (a link to choose a password) when mail is configured.
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub name: Option<String>,
    pub role: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub position_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub reports_to: Option<Option<i64>>,
    pub active: Option<bool>,
    pub password: Option<String>,
    /// `available`, `away` or `off` (who may set it: as `PUT /api/v1/users/{id}/availability`).
    pub availability: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgDto {
    pub id: i64,
    pub name: String,
    pub domains: Vec<String>,
    /// Vendor-internal account notes: absent for customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The support plan that chooses its SLA policy (null: none). Absent for customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<PlanRefDto>)]
    pub support_plan: Option<Option<PlanRefDto>>,
    pub created_at: DateTime<Utc>,
}

impl From<OrgView> for OrgDto {
    fn from(o: OrgView) -> Self {
        OrgDto {
            id: o.id,
            domains: o.domain_list().into_iter().map(str::to_string).collect(),
            name: o.name,
            support_plan: o.support_plan.map(|p| p.map(PlanRefDto::from)),
            notes: o.notes,
            created_at: o.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgList {
    pub data: Vec<OrgDto>,
    pub page: i64,
    pub has_more: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgRequest {
    pub name: String,
    /// Email domains; customers writing from them join this organization.
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    pub name: Option<String>,
    pub domains: Option<Vec<String>>,
    pub notes: Option<String>,
    /// Give the organization this support plan, or none with null (needs the SLA permission).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub support_plan_id: Option<Option<i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDto {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
    /// How new unassigned tickets of the team find an agent.
    pub assignment_mode: AssignmentModeDto,
    /// Open tickets per agent before automatic assignment passes them over; null: unlimited.
    pub assignment_capacity: Option<i64>,
}

/// `manual` (tickets wait in the queue), `round_robin` (available members in
/// turn) or `least_loaded` (the available member with the fewest open tickets).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentModeDto {
    Manual,
    RoundRobin,
    LeastLoaded,
}

impl From<frontline_domain::assignment::AssignmentMode> for AssignmentModeDto {
    fn from(m: frontline_domain::assignment::AssignmentMode) -> Self {
        use frontline_domain::assignment::AssignmentMode as M;
        match m {
            M::Manual => AssignmentModeDto::Manual,
            M::RoundRobin => AssignmentModeDto::RoundRobin,
            M::LeastLoaded => AssignmentModeDto::LeastLoaded,
        }
    }
}

impl From<Team> for TeamDto {
    fn from(t: Team) -> Self {
        TeamDto {
            id: t.id,
            name: t.name,
            description: t.description,
            member_count: t.member_count,
            created_at: t.created_at,
            assignment_mode: t.assignment_mode.into(),
            assignment_capacity: t.assignment_capacity,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `manual` (default), `round_robin` or `least_loaded`.
    #[schema(example = "round_robin")]
    pub assignment_mode: Option<String>,
    /// Open tickets per agent (1 to 1000); absent or null: unlimited.
    #[schema(minimum = 1, maximum = 1000)]
    pub assignment_capacity: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `manual`, `round_robin` or `least_loaded`.
    pub assignment_mode: Option<String>,
    /// Open tickets per agent (1 to 1000); null: unlimited; absent: unchanged.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub assignment_capacity: Option<Option<i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PositionDto {
    pub id: i64,
    pub name: String,
    pub level: String,
    /// Order on the career ladder.
    pub rank: i64,
    /// The support tier people in this position work at (1, 2, 3).
    #[schema(value_type = i64, minimum = 1, maximum = 3)]
    pub tier: Tier,
    pub holder_count: i64,
}

impl From<Position> for PositionDto {
    fn from(p: Position) -> Self {
        PositionDto { id: p.id, name: p.name, level: p.level, rank: p.rank, tier: p.tier, holder_count: p.holder_count }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionRequest {
    pub name: String,
    pub level: String,
    pub rank: i64,
    #[schema(minimum = 1, maximum = 3)]
    pub tier: i64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePositionRequest {
    pub name: Option<String>,
    pub level: Option<String>,
    pub rank: Option<i64>,
    /// 1 front line, 2 senior, 3 Head of Support (checked by the use case, which names the field when it is out of range).
    #[schema(minimum = 1, maximum = 3)]
    pub tier: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    /// The first characters, to recognise the token.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        TokenDto {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenDto {
    pub id: i64,
    pub name: String,
    /// Shown once; only its hash is stored.
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueCountDto {
    /// mine, tier, team, open, solved
    pub view: String,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    pub id: i64,
    pub actor: Option<PersonRef>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditDto {
    fn from(a: AuditEntry) -> Self {
        AuditDto {
            id: a.id,
            actor: a.actor_id.map(|id| PersonRef { id, name: a.actor_name.unwrap_or_default(), email: None }),
            action: a.action,
            target: a.target,
            detail: a.detail,
            created_at: a.created_at,
        }
    }
}
