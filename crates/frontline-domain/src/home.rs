//! Where each person lands after signing in and at `/`: decided here, per
//! role and queue tier, in one place.

use crate::authz::{self, Actor};
use crate::queue::QueueView;
use crate::tier::Tier;
use crate::user::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// Customers: their portal.
    Portal,
    /// The Head of Support: escalated tickets, open help requests and the
    /// workload summary on one page.
    SupportHome,
    /// A queue view; `at_risk_panel`: with the team's near-breach tickets
    /// beside it (tier-2 agents, who watch everyone's queue).
    Queue { view: QueueView, at_risk_panel: bool },
}

impl Landing {
    /// The page's address.
    pub fn path(self) -> String {
        match self {
            Landing::Portal => "/portal".into(),
            Landing::SupportHome => "/home".into(),
            // "/tickets" is the "mine" view: today's landing stays one address.
            Landing::Queue { view: QueueView::Mine, .. } => "/tickets".into(),
            Landing::Queue { view, .. } => format!("/tickets?view={}", view.as_str()),
        }
    }
}

/// The landing of an actor whose position has `position_tier`.
pub fn landing(actor: &Actor, position_tier: Option<Tier>) -> Landing {
    if authz::uses_portal(actor) {
        return Landing::Portal;
    }
    match actor.role() {
        Some(Role::HeadOfSupport) => Landing::SupportHome,
        Some(Role::Engineering) => Landing::Queue { view: QueueView::Engineering, at_risk_panel: false },
        _ => Landing::Queue { view: QueueView::Mine, at_risk_panel: authz::queue_tier(actor, position_tier) == Some(Tier::SENIOR) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn land(role: Role, tier: Option<i64>) -> Landing {
        landing(&Actor::user(1, role, role.is_customer().then_some(4)), tier.and_then(|t| Tier::new(t).ok()))
    }

    #[test]
    fn each_role_lands_on_its_work() {
        let mine = |panel| Landing::Queue { view: QueueView::Mine, at_risk_panel: panel };
        assert_eq!(land(Role::HeadOfSupport, None), Landing::SupportHome);
        assert_eq!(land(Role::HeadOfSupport, Some(3)), Landing::SupportHome);
        assert_eq!(land(Role::Agent, Some(2)), mine(true), "a tier-2 agent: own queue, team's near-breach beside it");
        assert_eq!(land(Role::Manager, Some(2)), mine(true));
        assert_eq!(land(Role::Agent, None), mine(false), "tier 1 as before");
        assert_eq!(land(Role::Agent, Some(1)), mine(false));
        assert_eq!(land(Role::Manager, None), mine(true), "a manager without a position works tier 2");
        assert_eq!(land(Role::Admin, None), mine(false));
        assert_eq!(land(Role::SolutionsEngineer, None), mine(false));
        assert_eq!(land(Role::Leadership, Some(2)), mine(false), "leadership works no queue");
        assert_eq!(land(Role::Engineering, None), Landing::Queue { view: QueueView::Engineering, at_risk_panel: false });
        assert_eq!(land(Role::CustomerAdmin, None), Landing::Portal);
        assert_eq!(land(Role::CustomerMember, None), Landing::Portal);
    }

    #[test]
    fn paths() {
        assert_eq!(Landing::SupportHome.path(), "/home");
        assert_eq!(Landing::Portal.path(), "/portal");
        assert_eq!(Landing::Queue { view: QueueView::Mine, at_risk_panel: true }.path(), "/tickets");
        assert_eq!(Landing::Queue { view: QueueView::Engineering, at_risk_panel: false }.path(), "/tickets?view=engineering");
    }
}
