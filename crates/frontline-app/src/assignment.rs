//! Availability and automatic assignment: who takes new work, and the jobs
//! that hand a team's new tickets to its members (the rule is
//! `frontline_domain::assignment::choose`; the write, under the team's row
//! lock, is `Store::auto_assign`).

use std::sync::atomic::{AtomicBool, Ordering};

use frontline_domain::DomainError;
use frontline_domain::assignment::{self, Candidate, TeamAssignment};
use frontline_domain::audit::AuditAction;
use frontline_domain::authz::{self, Actor, Permission};
use frontline_domain::notification::NotificationKind;
use frontline_domain::user::Availability;
use frontline_store::assignment::{AutoPick, TeamAssignPass};
use frontline_store::tickets::Effects;
use frontline_store::{Ticket, User};

use crate::directory::audit;
use crate::tickets::{change_notifications, only_enabled};
use crate::{App, AppError, Result};

/// Tickets one team pass hands out before it queues the next pass, so a
/// long backlog is worked through in bounded jobs.
const PASS_SIZE: i64 = 100;

impl App {
    /// Set someone's availability (their own, or a colleague's for those
    /// who run teams: authz), audited. Becoming available in an automatic
    /// team starts a pass over the team's waiting tickets.
    pub async fn set_availability(&self, actor: &Actor, user_id: i64, availability: &str) -> Result<User> {
        let (user, availability) = self.availability_change(actor, user_id, availability).await?;
        let detail = format!("{} -> {}", user.availability.as_str(), availability.as_str());
        let a = audit(actor, AuditAction::UserAvailability, format!("user:{user_id}"), detail);
        if !self.store.set_availability(user_id, availability, Some(&a)).await? {
            return Err(DomainError::NotFound("user").into());
        }
        self.store.get_user(user_id).await?.ok_or_else(|| AppError::internal("user vanished"))
    }

    /// Whether `set_availability` would be allowed and valid, writing
    /// nothing (for a request that changes more than availability).
    pub async fn check_availability(&self, actor: &Actor, user_id: i64, availability: &str) -> Result<()> {
        self.availability_change(actor, user_id, availability).await.map(|_| ())
    }

    async fn availability_change(&self, actor: &Actor, user_id: i64, availability: &str) -> Result<(User, Availability)> {
        let availability = Availability::parse("availability", availability.trim())?;
        if !authz::can_view_user(actor, user_id) {
            return Err(DomainError::NotFound("user").into());
        }
        let user = self.store.get_user(user_id).await?.ok_or(DomainError::NotFound("user"))?;
        if !authz::can_set_availability(actor, user_id, user.role) {
            return Err(DomainError::Forbidden("you cannot change this person's availability").into());
        }
        Ok((user, availability))
    }

    /// The `assign.ticket` job: a new ticket that came into an automatic team unassigned.
    pub(crate) async fn run_auto_assign(&self, ticket_id: i64) -> Result<()> {
        let Some(ticket) = self.store.get_ticket(ticket_id).await? else { return Ok(()) };
        if let (Some(team_id), None) = (ticket.team_id, ticket.assignee_id) {
            self.assign_in_team(ticket_id, team_id, &self.enabled_notifications().await?).await?;
        }
        Ok(())
    }

    /// The `assign.team` job: the team's waiting tickets, oldest first,
    /// until nobody can take more; a full batch queues the next pass.
    pub(crate) async fn run_team_pass(&self, team_id: i64) -> Result<()> {
        let waiting = self.store.waiting_in_team(team_id, PASS_SIZE).await?;
        let enabled = self.enabled_notifications().await?;
        for id in &waiting {
            if let Outcome::NobodyEligible = self.assign_in_team(*id, team_id, &enabled).await? {
                return Ok(());
            }
        }
        if waiting.len() as i64 == PASS_SIZE {
            self.store.enqueue(&TeamAssignPass { team_id }).await?;
        }
        Ok(())
    }

    /// `enabled`: the notifications on, read once by the caller.
    async fn assign_in_team(&self, ticket_id: i64, team_id: i64, enabled: &[NotificationKind]) -> Result<Outcome> {
        let roles = authz::roles_with(Permission::WorkTickets);
        let nobody = AtomicBool::new(false);
        let decide = |t: &Ticket, team: &TeamAssignment, candidates: &[Candidate]| -> std::result::Result<Option<Effects>, DomainError> {
            let Some(user) = assignment::choose(team, candidates) else {
                nobody.store(true, Ordering::Relaxed);
                return Ok(None);
            };
            let before = t.fields();
            let mut after = before.clone();
            after.assignee_id = Some(user);
            let notify = only_enabled(change_notifications(&Actor::System, &before, &after, false), enabled);
            Ok(Some(Effects { after, notify }))
        };
        let pick = AutoPick { team_id, roles: &roles, decide: &decide };
        Ok(match self.store.auto_assign(ticket_id, &pick).await? {
            Some(_) => Outcome::Assigned,
            None if nobody.load(Ordering::Relaxed) => Outcome::NobodyEligible,
            // Assigned, moved or closed meanwhile, or the team went manual.
            None => Outcome::NotWaiting,
        })
    }
}

enum Outcome {
    Assigned,
    NobodyEligible,
    NotWaiting,
}
