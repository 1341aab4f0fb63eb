//! What the audit log records. Stored as text (`audit_log.action`); the
//! names are what the audit API and page show, so they never change.

use serde::{Deserialize, Serialize};

macro_rules! audit_actions {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditAction { $($variant),+ }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(AuditAction::$variant => $name),+ }
            }
        }
    };
}

audit_actions! {
    ApiTokenCreate => "api_token.create",
    ApiTokenRevoke => "api_token.revoke",
    UserCreate => "user.create",
    UserUpdate => "user.update",
    UserSetPassword => "user.set_password",
    UserAvailability => "user.availability",
    UserPasswordChange => "user.password_change",
    UserPasswordReset => "user.password_reset",
    SessionEnd => "session.end",
    OrganizationCreate => "organization.create",
    OrganizationUpdate => "organization.update",
    TeamCreate => "team.create",
    TeamUpdate => "team.update",
    PositionCreate => "position.create",
    PositionUpdate => "position.update",
    NotificationSet => "notification.set",
    MailTemplate => "mail.template",
    MailQuarantineDelete => "mail.quarantine.delete",
    MessageAccept => "message.accept",
    SlaCalendarCreate => "sla.calendar.create",
    SlaCalendarUpdate => "sla.calendar.update",
    SlaCalendarDelete => "sla.calendar.delete",
    SupportPlanCreate => "sla.plan.create",
    SupportPlanUpdate => "sla.plan.update",
    SupportPlanDelete => "sla.plan.delete",
    SlaPolicyCreate => "sla.policy.create",
    SlaPolicyUpdate => "sla.policy.update",
    SlaPolicyDelete => "sla.policy.delete",
    SlaPolicyOrder => "sla.policy.order",
    OrganizationSupportPlan => "organization.support_plan",
    RuleCreate => "rule.create",
    RuleUpdate => "rule.update",
    RuleDelete => "rule.delete",
    RuleDisable => "rule.disable",
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }
}
