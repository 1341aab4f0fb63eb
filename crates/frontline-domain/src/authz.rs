//! Every permission decision in Frontline is made here, from the actor's
//! role and organization; handlers and use cases only ask.

use crate::error::DomainError;
use crate::escalation::EscalationStep;
use crate::queue::QueueView;
use crate::ticket::EventField;
use crate::tier::Tier;
use crate::user::Role;

/// Who is acting: a person (the signed-in user or an API token's owner),
/// or Frontline itself (the CLI, jobs, mail ingest, housekeeping), which
/// has no user row: what it writes names no one (a NULL actor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User { user_id: i64, role: Role, organization_id: Option<i64> },
    System,
}

impl Actor {
    pub fn user(user_id: i64, role: Role, organization_id: Option<i64>) -> Actor {
        Actor::User { user_id, role, organization_id }
    }

    /// The person acting, for "who did this" columns; None for the system.
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::User { user_id, .. } => Some(*user_id),
            Actor::System => None,
        }
    }

    /// Is this the given user acting for themselves?
    pub fn is_user(&self, id: i64) -> bool {
        self.user_id() == Some(id)
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::User { role, .. } => Some(*role),
            Actor::System => None,
        }
    }

    pub fn organization_id(&self) -> Option<i64> {
        match self {
            Actor::User { organization_id, .. } => *organization_id,
            Actor::System => None,
        }
    }

    pub fn is_customer(&self) -> bool {
        self.role().is_some_and(Role::is_customer)
    }
}

/// Capabilities that do not depend on a particular ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// The agent web app: queues, search, ticket pages for any ticket.
    ViewAllTickets,
    /// Internal notes and agent-only fields.
    ViewInternal,
    /// Add internal notes (engineering may, without working the ticket).
    AddInternalNote,
    /// Public replies and field changes on any ticket.
    WorkTickets,
    /// Open a ticket on behalf of a customer.
    CreateTicketForCustomer,
    /// Read the people and organization directory.
    ViewDirectory,
    ManageUsers,
    /// Customers only: organizations and customer users (Solutions Engineers onboard accounts).
    ManageCustomers,
    ManageOrganizations,
    ManageTeams,
    ManagePositions,
    ViewAuditLog,
    /// Mail settings: which notifications go out, the quarantine of unreadable mail.
    ManageMail,
    /// SLA configuration: business-hours calendars, support plans, SLA
    /// policies and which plan an organization has.
    ManageSla,
    /// Automatic rules (what the scheduler does to tickets on its own).
    ManageRules,
    /// The customer portal.
    UsePortal,
}

pub fn can(actor: &Actor, permission: Permission) -> bool {
    match actor {
        Actor::User { role, .. } => role_can(*role, permission),
        // The system acts for the operator, never as a customer.
        Actor::System => !matches!(permission, Permission::UsePortal),
    }
}

/// Whose pages are the customer portal's rather than the agents' app.
pub fn uses_portal(actor: &Actor) -> bool {
    can(actor, Permission::UsePortal)
}

/// What a role allows.
pub fn role_can(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match role {
        Admin => !matches!(permission, UsePortal),
        HeadOfSupport => !matches!(permission, UsePortal | ViewAuditLog | ManageRules),
        Manager => matches!(
            permission,
            ViewAllTickets | ViewInternal | AddInternalNote | WorkTickets | CreateTicketForCustomer | ViewDirectory | ManageTeams
        ),
        Agent => {
            matches!(permission, ViewAllTickets | ViewInternal | AddInternalNote | WorkTickets | CreateTicketForCustomer | ViewDirectory)
        }
        SolutionsEngineer => matches!(
            permission,
            ViewAllTickets
                | ViewInternal
                | AddInternalNote
                | WorkTickets
                | CreateTicketForCustomer
                | ViewDirectory
                | ManageCustomers
                | ManageOrganizations
        ),
        Engineering => matches!(permission, ViewAllTickets | ViewInternal | AddInternalNote | ViewDirectory),
        Leadership => matches!(permission, ViewAllTickets | ViewInternal | ViewDirectory),
        CustomerAdmin | CustomerMember => matches!(permission, UsePortal),
    }
}

/// The roles that have a permission (e.g. who may be assigned tickets), for
/// queries that select users by role.
pub fn roles_with(permission: Permission) -> Vec<Role> {
    Role::ALL.into_iter().filter(|r| role_can(*r, permission)).collect()
}

pub fn require(actor: &Actor, permission: Permission) -> Result<(), DomainError> {
    if can(actor, permission) { Ok(()) } else { Err(DomainError::Forbidden("your role does not allow this")) }
}

/// What decides who may see a ticket.
#[derive(Debug, Clone, Copy)]
pub struct TicketScope {
    pub requester_id: i64,
    pub organization_id: Option<i64>,
}

/// Customers see their own tickets; a customer admin sees every ticket of
/// their organization. Staff with ViewAllTickets see all.
pub fn can_view_ticket(actor: &Actor, ticket: TicketScope) -> bool {
    if can(actor, Permission::ViewAllTickets) {
        return true;
    }
    match ticket_list_scope(actor) {
        Some(ListScope::Customer { requester_id, organization_id }) => {
            ticket.requester_id == requester_id || (organization_id.is_some() && ticket.organization_id == organization_id)
        }
        _ => false,
    }
}

/// Which tickets a list shows the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    /// Every ticket (staff).
    All,
    /// Their own tickets, and the organization's when `organization_id` is set (a customer admin).
    Customer { requester_id: i64, organization_id: Option<i64> },
}

/// The list scope of an actor; None for someone who may list no tickets.
pub fn ticket_list_scope(actor: &Actor) -> Option<ListScope> {
    if can(actor, Permission::ViewAllTickets) {
        return Some(ListScope::All);
    }
    match actor {
        Actor::User { user_id, role: Role::CustomerAdmin, organization_id } => {
            Some(ListScope::Customer { requester_id: *user_id, organization_id: *organization_id })
        }
        Actor::User { user_id, role: Role::CustomerMember, .. } => {
            Some(ListScope::Customer { requester_id: *user_id, organization_id: None })
        }
        _ => None,
    }
}

/// Agent-only ticket fields: what a customer may neither set nor see, nor
/// filter by (a filter would reveal them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketField {
    Requester,
    Assignee,
    Team,
    Tier,
    EscalationLevel,
    Tags,
    Status,
}

impl TicketField {
    /// The input field that carries it, for error messages.
    pub fn input_name(self) -> &'static str {
        match self {
            TicketField::Requester => "requester_email",
            TicketField::Assignee => "assignee_id",
            TicketField::Team => "team_id",
            TicketField::Tier => "tier",
            TicketField::EscalationLevel => "escalation_level",
            TicketField::Tags => "tags",
            TicketField::Status => "status",
        }
    }
}

/// May the actor set this field when opening a ticket or replying?
/// Customers set only the subject, text, priority and type.
pub fn can_set_field(actor: &Actor, _field: TicketField) -> bool {
    !actor.is_customer()
}

/// Refuse the first agent-only field a customer tried to set.
pub fn require_settable(actor: &Actor, fields: &[(TicketField, bool)]) -> Result<(), DomainError> {
    match fields.iter().find(|(f, set)| *set && !can_set_field(actor, *f)) {
        Some((f, _)) => Err(DomainError::invalid(f.input_name(), format!("{} can only be set by the support team", f.input_name()))),
        None => Ok(()),
    }
}

/// Does the actor see the agent-only fields (team, tier, escalation, tags,
/// internal notes)? Views for everyone else have them redacted.
pub fn sees_internal(actor: &Actor) -> bool {
    can(actor, Permission::ViewInternal)
}

/// What a reader is shown of a record that has agent-only parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redaction {
    /// Everything, agent-only parts included (staff).
    Nothing,
    /// The agent-only parts are left out (customers).
    AgentOnly,
}

impl Redaction {
    pub fn shows_agent_only(self) -> bool {
        self == Redaction::Nothing
    }
}

/// A ticket's agent-only fields (team, tier, escalation level, tags) are
/// for those who see internal work.
pub fn ticket_redaction(actor: &Actor) -> Redaction {
    if sees_internal(actor) { Redaction::Nothing } else { Redaction::AgentOnly }
}

/// An organization's account notes are the vendor's, not the customer's.
pub fn org_redaction(actor: &Actor) -> Redaction {
    if sees_internal(actor) { Redaction::Nothing } else { Redaction::AgentOnly }
}

/// Which messages of a ticket the reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageScope {
    pub internal_notes: bool,
    /// Mail held from unverified senders, until an agent accepts it.
    pub unverified_mail: bool,
}

pub fn message_scope(actor: &Actor) -> MessageScope {
    let staff = can(actor, Permission::ViewInternal);
    MessageScope { internal_notes: staff, unverified_mail: staff }
}

/// History event fields a customer sees: nothing about internal notes,
/// held mail or agent-only fields.
pub const CUSTOMER_EVENT_FIELDS: &[EventField] = &[EventField::Created, EventField::Status, EventField::Subject, EventField::PublicReply];

/// Which history events the reader sees. The store puts `Only`'s fields
/// into its query, so an event field this version does not know is shown
/// only to those who see everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventScope {
    All,
    Only(&'static [EventField]),
}

pub fn event_scope(actor: &Actor) -> EventScope {
    if can(actor, Permission::ViewInternal) { EventScope::All } else { EventScope::Only(CUSTOMER_EVENT_FIELDS) }
}

/// How the sender of a mail that answers a ticket stands to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStanding {
    /// Already in the conversation: the requester, a follower, staff, or
    /// someone who may see the ticket (a customer admin of its organization).
    Participant,
    /// Not in it yet, but of the ticket's organization: a colleague joining.
    Colleague,
    /// Neither: knowing the thread's Message-ID proves nothing, so their
    /// mail waits for an agent and they follow nothing.
    Outsider,
}

pub fn mail_standing(sender: &Actor, ticket: TicketScope, follows: bool) -> MailStanding {
    if follows || can_view_ticket(sender, ticket) {
        MailStanding::Participant
    } else if sender.organization_id().is_some() && sender.organization_id() == ticket.organization_id {
        MailStanding::Colleague
    } else {
        MailStanding::Outsider
    }
}

/// Own profile: a user may read themselves; others need the directory.
pub fn can_view_user(actor: &Actor, user_id: i64) -> bool {
    actor.is_user(user_id) || can(actor, Permission::ViewDirectory)
}

/// Staff see every organization; a customer only their own.
pub fn can_view_org(actor: &Actor, org_id: i64) -> bool {
    can(actor, Permission::ViewDirectory) || actor.organization_id() == Some(org_id)
}

/// Changing a password: one's own, or a user whose role one may assign.
pub fn can_set_password(actor: &Actor, user_id: i64, user_role: Role) -> bool {
    actor.is_user(user_id) || can_assign_role(actor, user_role)
}

/// Availability (available, away, off) belongs to those who are given
/// tickets. Each sets their own; those who run teams (managers, the Head
/// of Support, admins: `ManageTeams`) set anyone's, e.g. for someone out sick.
pub fn can_set_availability(actor: &Actor, user_id: i64, user_role: Role) -> bool {
    role_can(user_role, Permission::WorkTickets) && (actor.is_user(user_id) || can(actor, Permission::ManageTeams))
}

/// Whether the top bar offers the availability control.
pub fn has_availability(actor: &Actor) -> bool {
    actor.role().is_some_and(|r| role_can(r, Permission::WorkTickets))
}

/// Nobody changes their own role or deactivates themselves (no lock-out by mistake).
pub fn may_change_own_standing(actor: &Actor, user_id: i64, role_changes: bool, deactivates: bool) -> bool {
    !(actor.is_user(user_id) && (role_changes || deactivates))
}

/// A password reset by someone else (an admin, the CLI) assumes the account
/// may be compromised: its API tokens go too.
pub fn password_change_revokes_tokens(actor: &Actor, user_id: i64) -> bool {
    !actor.is_user(user_id)
}

/// Accepting a held mail makes it part of the customer conversation: a
/// ticket worker's decision.
pub fn can_accept_mail(actor: &Actor) -> bool {
    can(actor, Permission::WorkTickets)
}

/// The step on the escalation path a person works: the one rule behind
/// their "My tier" queue (`queue_tier`), how far down they may send a
/// ticket back (`can_de_escalate`), and who an escalation tells and who
/// keeps an escalated ticket (`works_step`). Engineering's users work the
/// Engineering step. Others who work tickets work their position's tier
/// or, without a position, their role's default on the career ladder:
/// agents tier 1, managers tier 2, the Head of Support the Head's step;
/// admins and Solutions Engineers without a tiered position work none.
/// Leadership, customers and the system work no step.
pub fn effective_step(actor: &Actor, position_tier: Option<Tier>) -> Option<EscalationStep> {
    let role = actor.role()?;
    if role == Role::Engineering {
        return Some(EscalationStep::Engineering);
    }
    if !role_can(role, Permission::WorkTickets) {
        return None;
    }
    let tier = position_tier.or(match role {
        Role::Agent => Some(Tier::FRONT_LINE),
        Role::Manager => Some(Tier::SENIOR),
        Role::HeadOfSupport => Some(Tier::HEAD_OF_SUPPORT),
        _ => None,
    })?;
    Some(EscalationStep::of_tier(tier))
}

/// Who works `step`, as (role, position tier; None without a position)
/// pairs, for a query that selects them: made from `effective_step`, so
/// that the query and the rule cannot disagree.
pub fn step_workers(step: EscalationStep) -> Vec<(Role, Option<Tier>)> {
    let positions = [None, Some(Tier::FRONT_LINE), Some(Tier::SENIOR), Some(Tier::HEAD_OF_SUPPORT)];
    Role::ALL
        .into_iter()
        .flat_map(|role| positions.into_iter().map(move |tier| (role, tier)))
        .filter(|(role, tier)| effective_step(&Actor::user(0, *role, None), *tier) == Some(step))
        .collect()
}

/// The tier whose unassigned tickets make the actor's "My tier, unassigned"
/// view: that of the step they work (`effective_step`); None for those who
/// work no support tier (Engineering has no tier queue).
pub fn queue_tier(actor: &Actor, position_tier: Option<Tier>) -> Option<Tier> {
    effective_step(actor, position_tier).filter(|s| *s != EscalationStep::Engineering).map(EscalationStep::tier)
}

/// Whether the actor's sidebar offers a queue view: "My tier" needs a
/// queue tier; the Engineering step's queue is engineering's, and the Head
/// of Support's, who keeps sight of what is with Engineering.
pub fn offers_queue(actor: &Actor, position_tier: Option<Tier>, view: QueueView) -> bool {
    match view {
        QueueView::MyTierUnassigned => queue_tier(actor, position_tier).is_some(),
        QueueView::Engineering => matches!(actor.role(), Some(Role::Engineering | Role::HeadOfSupport)),
        _ => true,
    }
}

/// The workload view (everyone's queue per agent and tier, and taking or
/// reassigning tickets from it) is for those who watch others' load: ticket
/// workers at tier 2 or above by their queue tier, managers and leads (the
/// Manager role, whatever their position), the Head of Support, admins and
/// the system. Not tier 1, nor Solutions Engineers without a tiered
/// position; not engineering or leadership, who do not work tickets.
/// Reassigning from it goes through the ordinary assignment rules.
pub fn can_view_workload(actor: &Actor, position_tier: Option<Tier>) -> bool {
    if !can(actor, Permission::WorkTickets) {
        return false;
    }
    match actor.role() {
        None | Some(Role::Admin | Role::HeadOfSupport | Role::Manager) => true,
        Some(_) => queue_tier(actor, position_tier).is_some_and(|t| t >= Tier::SENIOR),
    }
}

/// Escalating and marking "needs a senior" ask for more help; anyone who
/// works tickets may, whatever their tier (a tier-1 specialist escalates
/// to development directly, as the career ladder says). Engineering and
/// leadership do not work tickets, so they do not move them up.
/// Automatic rules act on tickets only from the scheduler (the system),
/// never on a person's request.
pub fn can_run_rules(actor: &Actor) -> bool {
    matches!(actor, Actor::System)
}

pub fn can_escalate(actor: &Actor) -> bool {
    can(actor, Permission::WorkTickets)
}

/// The highest step an actor answers for: the step they work, where the
/// Head of Support's answers for Engineering too, since the Head sets
/// priorities with engineering. Admins and the system answer for all.
fn highest_step(actor: &Actor, position_tier: Option<Tier>) -> Option<EscalationStep> {
    if matches!(actor, Actor::System | Actor::User { role: Role::Admin, .. }) {
        return Some(EscalationStep::Engineering);
    }
    match effective_step(actor, position_tier)? {
        EscalationStep::HeadOfSupport => Some(EscalationStep::Engineering),
        step => Some(step),
    }
}

/// Sending a ticket back down is the decision of the step that has it (or
/// one above): a tier-1 agent cannot pull a ticket back from tier 2's
/// queue. Engineering, which does not work tickets, may hand back only what
/// is at its own step ("not a defect").
pub fn can_de_escalate(actor: &Actor, position_tier: Option<Tier>, from: EscalationStep) -> bool {
    if actor.role() == Some(Role::Engineering) {
        return from == EscalationStep::Engineering;
    }
    highest_step(actor, position_tier).is_some_and(|top| from <= top)
}

/// Asking for help and answering it: anyone who may write internal notes
/// (the answer is one), whatever their tier: the team's culture is that
/// anyone may ask anyone, and a colleague who knows may answer a question
/// put to someone else. Leadership reads only.
pub fn can_ask_for_help(actor: &Actor) -> bool {
    can(actor, Permission::AddInternalNote) && actor.user_id().is_some()
}

pub fn can_answer_help(actor: &Actor) -> bool {
    can_ask_for_help(actor)
}

/// A question is withdrawn by whoever asked it (or an admin tidying up).
pub fn can_withdraw_help(actor: &Actor, asked_by: Option<i64>) -> bool {
    asked_by.is_some_and(|a| actor.is_user(a)) || actor.role() == Some(Role::Admin)
}

/// Who an escalation to `step` tells, and whether an assignee may keep a
/// ticket that moves there: those who work it (`effective_step`).
pub fn works_step(actor: &Actor, position_tier: Option<Tier>, step: EscalationStep) -> bool {
    effective_step(actor, position_tier) == Some(step)
}

/// The bell and its switches are staff's: what they tell (escalations,
/// help requests, assignments, SLA warnings) is internal work.
pub fn has_notifications(actor: &Actor) -> bool {
    can(actor, Permission::ViewInternal) && actor.user_id().is_some()
}

/// An in-app notification is read, and marked read, by its recipient only;
/// anyone else is answered as if it did not exist.
pub fn can_read_notification(actor: &Actor, recipient_id: i64) -> bool {
    has_notifications(actor) && actor.is_user(recipient_id)
}

/// Seeing a ticket and replying publicly go together for customers.
pub fn can_reply_publicly(actor: &Actor, ticket: TicketScope) -> bool {
    if actor.is_customer() { can_view_ticket(actor, ticket) } else { can(actor, Permission::WorkTickets) }
}

/// Check visibility; a ticket the actor may not see is reported as not
/// found so that its existence does not leak across organizations.
pub fn require_view_ticket(actor: &Actor, ticket: TicketScope) -> Result<(), DomainError> {
    if can_view_ticket(actor, ticket) { Ok(()) } else { Err(DomainError::NotFound("ticket")) }
}

/// Writing history as it was (backdated tickets, messages and customers,
/// password hashes made elsewhere) is for Frontline itself: the demo and
/// imports run from the command line. No person, not even an admin, may
/// rewrite when things happened.
pub fn can_import_history(actor: &Actor) -> bool {
    matches!(actor, Actor::System)
}

/// The SLA state of tickets (targets, due times, each step's share) is
/// agent-only, like the other internal fields.
pub fn sees_sla(actor: &Actor) -> bool {
    sees_internal(actor)
}

/// Recomputing every ticket's stored SLA state is the scheduler's job.
pub fn can_run_sla_pass(actor: &Actor) -> bool {
    matches!(actor, Actor::System)
}

/// Which roles an actor may give to users they create or edit.
pub fn can_assign_role(actor: &Actor, role: Role) -> bool {
    if can(actor, Permission::ManageUsers) {
        // Only admins make admins.
        return role != Role::Admin || matches!(actor, Actor::System | Actor::User { role: Role::Admin, .. });
    }
    can(actor, Permission::ManageCustomers) && role.is_customer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_is_set_by_oneself_or_by_who_runs_teams() {
        let agent = Actor::user(1, Role::Agent, None);
        assert!(can_set_availability(&agent, 1, Role::Agent));
        assert!(!can_set_availability(&agent, 2, Role::Agent), "not a colleague's");
        for boss in [Role::Manager, Role::HeadOfSupport, Role::Admin] {
            assert!(can_set_availability(&Actor::user(9, boss, None), 1, Role::Agent), "{boss:?}");
        }
        assert!(!can_set_availability(&Actor::user(9, Role::SolutionsEngineer, None), 1, Role::Agent));
        assert!(!can_set_availability(&Actor::user(3, Role::CustomerMember, Some(1)), 3, Role::CustomerMember), "customers get no tickets");
        assert!(can_set_availability(&Actor::System, 1, Role::Agent));
        assert!(has_availability(&agent) && !has_availability(&Actor::user(4, Role::Leadership, None)));
    }

    fn actor(role: Role, org: Option<i64>) -> Actor {
        Actor::user(10, role, org)
    }

    #[test]
    fn customers_never_see_internal_or_other_orgs() {
        for role in [Role::CustomerAdmin, Role::CustomerMember] {
            let a = actor(role, Some(1));
            assert!(!can(&a, Permission::ViewInternal));
            assert!(!can(&a, Permission::ViewAllTickets));
            assert!(!can_view_ticket(&a, TicketScope { requester_id: 99, organization_id: Some(2) }));
            assert!(can_view_ticket(&a, TicketScope { requester_id: 10, organization_id: Some(1) }));
        }
        let org_ticket = TicketScope { requester_id: 99, organization_id: Some(1) };
        assert!(can_view_ticket(&actor(Role::CustomerAdmin, Some(1)), org_ticket));
        assert!(!can_view_ticket(&actor(Role::CustomerMember, Some(1)), org_ticket));
        // A customer admin without an organization does not match tickets without one.
        assert!(!can_view_ticket(&actor(Role::CustomerAdmin, None), TicketScope { requester_id: 99, organization_id: None }));
    }

    #[test]
    fn staff_roles() {
        let t = TicketScope { requester_id: 1, organization_id: Some(3) };
        for role in Role::ALL.into_iter().filter(|r| r.is_staff()) {
            let a = actor(role, None);
            assert!(can_view_ticket(&a, t), "{role:?}");
            assert!(can(&a, Permission::ViewInternal), "{role:?}");
            assert!(!can(&a, Permission::UsePortal), "{role:?}");
        }
        assert!(!can(&actor(Role::Leadership, None), Permission::WorkTickets));
        assert!(!can(&actor(Role::Engineering, None), Permission::WorkTickets));
        assert!(can(&actor(Role::Engineering, None), Permission::AddInternalNote));
        assert!(!can(&actor(Role::Agent, None), Permission::ManageUsers));
        assert!(can(&actor(Role::HeadOfSupport, None), Permission::ManagePositions));
        assert!(can(&actor(Role::HeadOfSupport, None), Permission::ManageMail));
        assert!(!can(&actor(Role::Manager, None), Permission::ManageMail));
        assert!(!can(&actor(Role::HeadOfSupport, None), Permission::ViewAuditLog));
    }

    #[test]
    fn sla_configuration_is_for_admins_and_the_head_of_support() {
        assert_eq!(roles_with(Permission::ManageSla), vec![Role::Admin, Role::HeadOfSupport]);
        assert!(can(&Actor::System, Permission::ManageSla));
        assert!(!can(&actor(Role::SolutionsEngineer, None), Permission::ManageSla), "they set up organizations, not their SLAs");
    }

    #[test]
    fn role_assignment() {
        assert!(can_assign_role(&actor(Role::Admin, None), Role::Admin));
        assert!(!can_assign_role(&actor(Role::HeadOfSupport, None), Role::Admin));
        assert!(can_assign_role(&actor(Role::HeadOfSupport, None), Role::Agent));
        assert!(can_assign_role(&actor(Role::SolutionsEngineer, None), Role::CustomerAdmin));
        assert!(!can_assign_role(&actor(Role::SolutionsEngineer, None), Role::Agent));
        assert!(!can_assign_role(&actor(Role::Agent, None), Role::CustomerMember));
    }

    #[test]
    fn hidden_tickets_are_not_found() {
        let a = actor(Role::CustomerMember, Some(1));
        assert_eq!(
            require_view_ticket(&a, TicketScope { requester_id: 5, organization_id: Some(1) }),
            Err(DomainError::NotFound("ticket"))
        );
    }

    #[test]
    fn mail_from_outside_the_ticket_is_held() {
        let t = TicketScope { requester_id: 5, organization_id: Some(1) };
        assert_eq!(
            mail_standing(&actor(Role::CustomerMember, Some(1)), TicketScope { requester_id: 10, ..t }, false),
            MailStanding::Participant
        );
        assert_eq!(mail_standing(&actor(Role::CustomerMember, Some(2)), t, true), MailStanding::Participant, "a follower");
        assert_eq!(mail_standing(&actor(Role::Agent, None), t, false), MailStanding::Participant);
        assert_eq!(mail_standing(&actor(Role::CustomerAdmin, Some(1)), t, false), MailStanding::Participant);
        assert_eq!(mail_standing(&actor(Role::CustomerMember, Some(1)), t, false), MailStanding::Colleague);
        assert_eq!(mail_standing(&actor(Role::CustomerMember, Some(2)), t, false), MailStanding::Outsider);
        assert_eq!(
            mail_standing(&actor(Role::CustomerMember, None), TicketScope { organization_id: None, ..t }, false),
            MailStanding::Outsider
        );
    }

    #[test]
    fn what_customers_see_and_set() {
        let member = actor(Role::CustomerMember, Some(1));
        let admin = actor(Role::CustomerAdmin, Some(1));
        assert_eq!(ticket_list_scope(&member), Some(ListScope::Customer { requester_id: 10, organization_id: None }));
        assert_eq!(ticket_list_scope(&admin), Some(ListScope::Customer { requester_id: 10, organization_id: Some(1) }));
        assert_eq!(ticket_list_scope(&actor(Role::Leadership, None)), Some(ListScope::All));
        assert!(require_settable(&member, &[(TicketField::Tier, false)]).is_ok());
        assert!(matches!(require_settable(&member, &[(TicketField::Team, true)]), Err(DomainError::Invalid(_))));
        assert!(require_settable(&actor(Role::Agent, None), &[(TicketField::Team, true)]).is_ok());
        assert_eq!(message_scope(&member), MessageScope { internal_notes: false, unverified_mail: false });
        let EventScope::Only(customer_sees) = event_scope(&member) else { panic!("a customer sees every event") };
        assert!(customer_sees.contains(&EventField::PublicReply) && !customer_sees.contains(&EventField::InternalNote));
        assert!(!customer_sees.contains(&EventField::UnverifiedMail) && event_scope(&actor(Role::Agent, None)) == EventScope::All);
        assert!(!sees_internal(&admin) && sees_internal(&actor(Role::Leadership, None)));
        assert_eq!(ticket_redaction(&admin), Redaction::AgentOnly);
        assert_eq!(ticket_redaction(&member), Redaction::AgentOnly);
        assert_eq!(org_redaction(&admin), Redaction::AgentOnly);
        for role in Role::ALL.into_iter().filter(|r| r.is_staff()) {
            assert_eq!(ticket_redaction(&actor(role, None)), Redaction::Nothing, "{role:?}");
            assert_eq!(org_redaction(&actor(role, None)), Redaction::Nothing, "{role:?}");
        }
        assert!(ticket_redaction(&Actor::System).shows_agent_only());
    }

    #[test]
    fn the_system_is_nobody_with_full_rights() {
        assert_eq!(Actor::System.user_id(), None);
        assert!(can(&Actor::System, Permission::ManageUsers) && !can(&Actor::System, Permission::UsePortal));
        assert!(can_assign_role(&Actor::System, Role::Admin));
        assert!(password_change_revokes_tokens(&Actor::System, 10));
        assert!(!password_change_revokes_tokens(&actor(Role::Agent, None), 10));
        assert!(can_import_history(&Actor::System) && !can_import_history(&actor(Role::Admin, None)));
    }

    #[test]
    fn tier_queue_only_for_tiered_ticket_workers() {
        let t = |n| Tier::new(n).ok();
        assert_eq!(queue_tier(&actor(Role::Agent, None), t(2)), t(2));
        assert_eq!(queue_tier(&actor(Role::Agent, None), None), t(1), "agents start on the front line");
        for role in [Role::Admin, Role::SolutionsEngineer] {
            assert_eq!(queue_tier(&actor(role, None), None), None, "{role:?}");
        }
        assert_eq!(queue_tier(&actor(Role::Manager, None), None), t(2), "managers default to tier 2");
        assert_eq!(queue_tier(&actor(Role::HeadOfSupport, None), None), t(3), "the Head sees escalated work");
        assert_eq!(queue_tier(&actor(Role::HeadOfSupport, None), t(3)), t(3));
        assert_eq!(queue_tier(&actor(Role::Engineering, None), None), None);
        assert_eq!(queue_tier(&actor(Role::Leadership, None), t(2)), None, "leadership does not work tickets");
        assert_eq!(queue_tier(&Actor::System, t(1)), None);
        assert_eq!(
            roles_with(Permission::WorkTickets),
            vec![Role::Admin, Role::HeadOfSupport, Role::Manager, Role::Agent, Role::SolutionsEngineer]
        );
    }

    #[test]
    fn who_sees_the_workload() {
        let t = |n| Tier::new(n).ok();
        for role in [Role::Admin, Role::HeadOfSupport, Role::Manager] {
            assert!(can_view_workload(&actor(role, None), None), "{role:?}");
        }
        assert!(can_view_workload(&actor(Role::Agent, None), t(2)), "a senior specialist watches everyone's queue");
        assert!(can_view_workload(&actor(Role::SolutionsEngineer, None), t(2)));
        assert!(!can_view_workload(&actor(Role::Agent, None), None), "tier 1");
        assert!(!can_view_workload(&actor(Role::Agent, None), t(1)));
        assert!(!can_view_workload(&actor(Role::SolutionsEngineer, None), None));
        for role in [Role::Engineering, Role::Leadership] {
            assert!(!can_view_workload(&actor(role, None), t(3)), "{role:?}");
        }
        assert!(!can_view_workload(&actor(Role::CustomerAdmin, Some(1)), None));
        assert!(can_view_workload(&Actor::System, None));
    }

    #[test]
    fn queue_views_offered() {
        let agent = actor(Role::Agent, None);
        assert!(offers_queue(&agent, None, QueueView::MyTierUnassigned) && !offers_queue(&agent, None, QueueView::Engineering));
        assert!(offers_queue(&actor(Role::Engineering, None), None, QueueView::Engineering));
        assert!(!offers_queue(&actor(Role::Engineering, None), None, QueueView::MyTierUnassigned));
        assert!(offers_queue(&actor(Role::HeadOfSupport, None), None, QueueView::Engineering));
        assert!(!offers_queue(&actor(Role::Admin, None), None, QueueView::Engineering));
        assert!(offers_queue(&actor(Role::Leadership, None), None, QueueView::AllOpen));
    }

    #[test]
    fn who_moves_tickets_along_the_path() {
        use EscalationStep::*;
        for role in [Role::Admin, Role::HeadOfSupport, Role::Manager, Role::Agent, Role::SolutionsEngineer] {
            assert!(can_escalate(&actor(role, None)), "{role:?}");
        }
        for role in [Role::Engineering, Role::Leadership, Role::CustomerAdmin, Role::CustomerMember] {
            assert!(!can_escalate(&actor(role, Some(1))), "{role:?}");
        }
        let agent = actor(Role::Agent, None);
        assert!(!can_de_escalate(&agent, None, Tier2), "tier 1 does not pull tickets back from tier 2");
        assert!(can_de_escalate(&agent, Some(Tier::SENIOR), Tier2) && !can_de_escalate(&agent, Some(Tier::SENIOR), HeadOfSupport));
        assert!(can_de_escalate(&actor(Role::Manager, None), None, Tier2));
        assert!(can_de_escalate(&actor(Role::HeadOfSupport, None), None, Engineering));
        assert!(can_de_escalate(&actor(Role::Engineering, None), None, Engineering));
        assert!(!can_de_escalate(&actor(Role::Engineering, None), None, HeadOfSupport), "engineering hands back only its own");
        assert!(!can_de_escalate(&actor(Role::Leadership, None), Some(Tier::HEAD_OF_SUPPORT), Tier2));
        assert!(!can_de_escalate(&actor(Role::CustomerAdmin, Some(1)), None, Tier2));
        assert!(works_step(&actor(Role::Agent, None), Some(Tier::SENIOR), Tier2) && !works_step(&agent, None, Tier2));
        assert!(works_step(&actor(Role::HeadOfSupport, None), None, HeadOfSupport));
        assert!(works_step(&actor(Role::Engineering, None), None, Engineering));
        assert!(!works_step(&actor(Role::HeadOfSupport, None), None, Engineering), "engineering's mail goes to engineers");
    }

    /// Every role with every position (none, tier 1, 2, 3): the step they
    /// work, and that the queue, the right to send back down and who is
    /// told all follow that one answer.
    #[test]
    fn one_effective_step_for_every_role_and_position() {
        use EscalationStep::*;
        let positions = [None, Some(Tier::FRONT_LINE), Some(Tier::SENIOR), Some(Tier::HEAD_OF_SUPPORT)];
        let by_position = [Tier1, Tier2, HeadOfSupport];
        for role in Role::ALL {
            for (i, position) in positions.into_iter().enumerate() {
                let a = actor(role, if role.is_customer() { Some(1) } else { None });
                let expected = match (role, position) {
                    (Role::Engineering, _) => Some(Engineering),
                    (Role::Leadership | Role::CustomerAdmin | Role::CustomerMember, _) => None,
                    (_, Some(_)) => Some(by_position[i - 1]),
                    (Role::Agent, None) => Some(Tier1),
                    (Role::Manager, None) => Some(Tier2),
                    (Role::HeadOfSupport, None) => Some(HeadOfSupport),
                    (Role::Admin | Role::SolutionsEngineer, None) => None,
                };
                let what = format!("{role:?} with {position:?}");
                assert_eq!(effective_step(&a, position), expected, "{what}");
                assert_eq!(queue_tier(&a, position), expected.filter(|s| *s != Engineering).map(EscalationStep::tier), "{what}");
                for step in EscalationStep::ALL {
                    assert_eq!(works_step(&a, position, step), expected == Some(step), "{what} at {step:?}");
                    assert_eq!(step_workers(step).contains(&(role, position)), expected == Some(step), "{what} at {step:?}");
                    let may_send_down = match role {
                        Role::Admin => true,
                        Role::Engineering => step == Engineering,
                        _ => expected.is_some_and(|e| step <= if e == HeadOfSupport { Engineering } else { e }),
                    };
                    assert_eq!(can_de_escalate(&a, position, step), may_send_down, "{what} from {step:?}");
                }
            }
        }
        assert_eq!(effective_step(&Actor::System, Some(Tier::SENIOR)), None, "the system works no step");
        assert!(can_de_escalate(&Actor::System, None, Engineering), "but answers for all");
    }

    #[test]
    fn help_is_asked_and_answered_by_note_writers() {
        assert!(can_ask_for_help(&actor(Role::Engineering, None)) && can_answer_help(&actor(Role::Agent, None)));
        assert!(!can_ask_for_help(&actor(Role::Leadership, None)) && !can_ask_for_help(&actor(Role::CustomerAdmin, Some(1))));
        assert!(!can_ask_for_help(&Actor::System), "a question has a person behind it");
        assert!(can_withdraw_help(&actor(Role::Agent, None), Some(10)) && !can_withdraw_help(&actor(Role::Agent, None), Some(11)));
        assert!(can_withdraw_help(&actor(Role::Admin, None), Some(11)));
    }

    #[test]
    fn notifications_are_their_recipients_alone() {
        assert!(can_read_notification(&actor(Role::Agent, None), 10));
        assert!(!can_read_notification(&actor(Role::Admin, None), 11), "not even an admin reads another's bell");
        assert!(!can_read_notification(&actor(Role::CustomerMember, Some(1)), 10), "customers have no bell");
        assert!(!has_notifications(&Actor::System));
        assert!(has_notifications(&actor(Role::Leadership, None)) && has_notifications(&actor(Role::Engineering, None)));
    }
}
