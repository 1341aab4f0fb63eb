//! What a reader is shown of tickets and organizations. A view is made only
//! here, from the reader's redaction decided in `frontline_domain::authz`:
//! the agent-only parts are in an `Option` that is `None` for customers, so
//! a page or DTO that maps a view cannot show them by forgetting a check.
//! (`#[non_exhaustive]` keeps other crates from building one themselves.)

use chrono::{DateTime, Utc};
use frontline_domain::authz::{self, Actor, Redaction};
use frontline_domain::ticket::{Channel, Priority, Status, TicketType};
use frontline_domain::tier::{EscalationLevel, Tier};
use frontline_store::{Organization, Page, Ticket};

/// A ticket as its reader may see it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TicketView {
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
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Also the version an edit is made against.
    pub updated_at: DateTime<Utc>,
    pub solved_at: Option<DateTime<Utc>>,
    /// The agent-only fields; None for readers who may not see them.
    pub internal: Option<InternalTicketFields>,
}

/// A ticket's fields for the support team only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InternalTicketFields {
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub tier: Tier,
    pub escalation_level: EscalationLevel,
    pub tags: Vec<String>,
    /// The requester organization's support plan.
    pub support_plan: Option<PlanRef>,
    /// The SLA due time the last SLA pass stored (queue rows, lists).
    pub sla_due_at: Option<DateTime<Utc>>,
    /// The SLA clock was paused at the last SLA pass.
    pub sla_paused: bool,
}

/// A support plan as shown next to what has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRef {
    pub id: i64,
    pub name: String,
}

impl PlanRef {
    fn of(id: Option<i64>, name: Option<String>) -> Option<PlanRef> {
        Some(PlanRef { id: id?, name: name? })
    }
}

impl TicketView {
    /// The one way to make a ticket view: what `actor` may see of `t`.
    pub(crate) fn new(actor: &Actor, t: Ticket) -> TicketView {
        let internal = match authz::ticket_redaction(actor) {
            Redaction::Nothing => Some(InternalTicketFields {
                team_id: t.team_id,
                team_name: t.team_name,
                tier: t.tier,
                escalation_level: t.escalation_level,
                tags: t.tags,
                support_plan: PlanRef::of(t.support_plan_id, t.support_plan_name),
                sla_due_at: t.sla_due_at,
                sla_paused: t.sla_paused,
            }),
            Redaction::AgentOnly => None,
        };
        TicketView {
            id: t.id,
            subject: t.subject,
            status: t.status,
            priority: t.priority,
            ticket_type: t.ticket_type,
            channel: t.channel,
            requester_id: t.requester_id,
            requester_name: t.requester_name,
            requester_email: t.requester_email,
            organization_id: t.organization_id,
            organization_name: t.organization_name,
            assignee_id: t.assignee_id,
            assignee_name: t.assignee_name,
            created_at: t.created_at,
            updated_at: t.updated_at,
            solved_at: t.solved_at,
            internal,
        }
    }

    pub(crate) fn page(actor: &Actor, page: Page<Ticket>) -> Page<TicketView> {
        Page { items: page.items.into_iter().map(|t| TicketView::new(actor, t)).collect(), has_more: page.has_more }
    }
}

/// An organization as its reader may see it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    /// Space-separated email domains.
    pub domains: String,
    pub created_at: DateTime<Utc>,
    /// The vendor's account notes; None for customers.
    pub notes: Option<String>,
    /// The organization's support plan (`Some(None)`: none); None for customers.
    pub support_plan: Option<Option<PlanRef>>,
}

impl OrgView {
    /// The one way to make an organization view.
    pub(crate) fn new(actor: &Actor, o: Organization) -> OrgView {
        let staff = authz::org_redaction(actor).shows_agent_only();
        let support_plan = staff.then(|| PlanRef::of(o.support_plan_id, o.support_plan_name));
        let notes = staff.then_some(o.notes);
        OrgView { id: o.id, name: o.name, domains: o.domains, created_at: o.created_at, notes, support_plan }
    }

    pub fn domain_list(&self) -> Vec<&str> {
        self.domains.split_whitespace().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontline_domain::user::Role;

    fn ticket() -> Ticket {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        Ticket {
            id: 7,
            subject: "Printer".into(),
            status: Status::Open,
            priority: Priority::High,
            ticket_type: TicketType::Incident,
            channel: Channel::Portal,
            requester_id: 3,
            requester_name: "Mei".into(),
            requester_email: "mei@globex.example".into(),
            organization_id: Some(2),
            organization_name: Some("Globex".into()),
            support_plan_id: Some(4),
            support_plan_name: Some("Premium".into()),
            assignee_id: Some(5),
            assignee_name: Some("Ana".into()),
            team_id: Some(1),
            team_name: Some("Billing".into()),
            tier: Tier::new(2).expect("tier"),
            escalation_level: EscalationLevel::new(1).expect("level"),
            tags: vec!["vip".into()],
            created_at: at,
            updated_at: at,
            solved_at: None,
            sla_due_at: Some(at),
            sla_paused: false,
        }
    }

    #[test]
    fn customers_get_no_agent_only_fields() {
        for role in [Role::CustomerAdmin, Role::CustomerMember] {
            let v = TicketView::new(&Actor::user(3, role, Some(2)), ticket());
            assert_eq!(v.internal, None, "{role:?}");
            assert_eq!((v.id, v.subject.as_str(), v.assignee_name.as_deref()), (7, "Printer", Some("Ana")));
        }
        let agent = TicketView::new(&Actor::user(5, Role::Agent, None), ticket());
        let internal = agent.internal.expect("agents see the agent-only fields");
        assert_eq!(internal.support_plan, Some(PlanRef { id: 4, name: "Premium".into() }));
        assert_eq!((internal.team_name.as_deref(), internal.tier.get(), internal.tags), (Some("Billing"), 2, vec!["vip".to_string()]));
    }

    #[test]
    fn customers_get_no_account_notes() {
        let o = Organization {
            id: 2,
            name: "Globex".into(),
            notes: "churn risk".into(),
            domains: "globex.example".into(),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            support_plan_id: Some(4),
            support_plan_name: Some("Premium".into()),
        };
        let customer = OrgView::new(&Actor::user(3, Role::CustomerAdmin, Some(2)), o.clone());
        assert_eq!((customer.notes, customer.support_plan), (None, None));
        let staff = OrgView::new(&Actor::user(5, Role::Leadership, None), o);
        assert_eq!(staff.notes.as_deref(), Some("churn risk"));
        assert_eq!(staff.support_plan.flatten().map(|p| p.name), Some("Premium".into()));
    }
}
