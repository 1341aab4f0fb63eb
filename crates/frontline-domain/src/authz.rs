//! Every permission decision in Frontline is made here, from the actor's
//! role and organization; handlers and use cases only ask.

use crate::error::DomainError;
use crate::user::Role;

/// Who is acting: the signed-in user or the owner of an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    pub organization_id: Option<i64>,
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
    /// The customer portal.
    UsePortal,
}

pub fn can(actor: &Actor, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match actor.role {
        Admin => !matches!(permission, UsePortal),
        HeadOfSupport => !matches!(permission, UsePortal | ViewAuditLog),
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
    match actor.role {
        Role::CustomerAdmin => {
            ticket.requester_id == actor.user_id || (actor.organization_id.is_some() && ticket.organization_id == actor.organization_id)
        }
        Role::CustomerMember => ticket.requester_id == actor.user_id,
        _ => false,
    }
}

/// Seeing a ticket and replying publicly go together for customers.
pub fn can_reply_publicly(actor: &Actor, ticket: TicketScope) -> bool {
    if actor.role.is_customer() { can_view_ticket(actor, ticket) } else { can(actor, Permission::WorkTickets) }
}

/// Check visibility; a ticket the actor may not see is reported as not
/// found so that its existence does not leak across organizations.
pub fn require_view_ticket(actor: &Actor, ticket: TicketScope) -> Result<(), DomainError> {
    if can_view_ticket(actor, ticket) { Ok(()) } else { Err(DomainError::NotFound("ticket")) }
}

/// Which roles an actor may give to users they create or edit.
pub fn can_assign_role(actor: &Actor, role: Role) -> bool {
    if can(actor, Permission::ManageUsers) {
        // Only admins make admins.
        return role != Role::Admin || actor.role == Role::Admin;
    }
    can(actor, Permission::ManageCustomers) && role.is_customer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org: Option<i64>) -> Actor {
        Actor { user_id: 10, role, organization_id: org }
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
}
