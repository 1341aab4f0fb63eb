//! The one rule for making a customer from an email address, used by
//! inbound mail and by agents opening a ticket for a requester: the person
//! is a customer member of the organization that owns the address's
//! domain (or of none), with no password until they are invited, and a
//! parallel creation of the same address yields the same user.

use frontline_domain::audit::AuditAction;
use frontline_domain::user::{Email, Role};
use frontline_store::users::NewUser;
use frontline_store::{Audit, User};

use crate::{App, AppError, Result};

impl App {
    /// The user behind `email`: an existing one, or a new customer named
    /// `name`. `actor_id` and `how` go to the audit log.
    pub(crate) async fn customer_from_email(&self, email: &Email, name: String, actor_id: Option<i64>, how: &str) -> Result<User> {
        if let Some(u) = self.store.user_by_email(email.as_str()).await? {
            return Ok(u);
        }
        let new = NewUser {
            email: email.as_str().to_string(),
            name,
            role: Role::CustomerMember,
            organization_id: self.store.org_for_domain(email.domain()).await?,
            position_id: None,
            team_id: None,
            reports_to: None,
            password_hash: None,
        };
        let audit = Audit { actor_id, action: AuditAction::UserCreate, target: format!("user:{}", email.as_str()), detail: how.into() };
        match self.store.create_user(&new, Some(&audit)).await {
            Ok(id) => self.store.get_user(id).await?.ok_or_else(|| AppError::internal("the new customer vanished")),
            // Someone created the same customer a moment ago: use theirs.
            Err(e) if e.is_unique_violation() => {
                self.store.user_by_email(email.as_str()).await?.ok_or_else(|| AppError::internal("the customer vanished"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The part of an address before the `@`: a customer's name until they give one.
    pub(crate) fn name_from_email(email: &Email) -> String {
        email.as_str().split('@').next().unwrap_or_default().to_string()
    }
}
