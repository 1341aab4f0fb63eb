//! The workload view (everyone's queue per agent and per tier, the
//! unassigned tickets whose SLA is at risk) and what the landing pages
//! show beside it. Taking and reassigning go through `update_ticket`, the
//! ordinary version-checked assignment.

use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::authz::{self, Actor, Permission};
use frontline_domain::home::{self, Landing};
use frontline_domain::ticket::Status;
use frontline_domain::user::Availability;
use frontline_domain::workload::{self, Holder, LoadSlice, TierLoad, Worker};
use frontline_store::tickets::TicketFilter;
use frontline_store::workload::{AtRiskQuery, AtRiskTicket};

use crate::views::TicketView;
use crate::{App, Result};

/// How many at-risk tickets a list shows (the most urgent).
pub const AT_RISK_LIMIT: i64 = 50;

#[derive(Debug, Clone)]
pub struct Workload {
    /// The instant the counts are for (the app's clock).
    pub as_of: DateTime<Utc>,
    pub tiers: Vec<TierLoad>,
    /// Open tickets nobody holds that are near breach or overdue.
    pub unassigned_at_risk: Vec<AtRiskTicket>,
}

/// How many tickets a list behind a workload count shows.
pub const SLICE_LIMIT: i64 = 200;

/// The tickets behind one workload count.
#[derive(Debug, Clone)]
pub struct WorkloadList {
    pub as_of: DateTime<Utc>,
    pub slice: LoadSlice,
    /// The agent's name, for an agent's row.
    pub holder_name: Option<String>,
    pub tickets: Vec<AtRiskTicket>,
    /// Who a ticket can be reassigned to (every ticket worker, by name).
    pub staff: Vec<(i64, String, Availability)>,
}

impl App {
    /// Everyone's queue: per agent and per tier, open, pending, near-breach
    /// and overdue counts, the oldest ticket and help requests waiting.
    /// Counts read the SLA pass's stored state as of now.
    pub async fn workload(&self, actor: &Actor) -> Result<Workload> {
        let (position_tier, _) = self.actor_tier_team(actor).await?;
        if !authz::can_view_workload(actor, position_tier) {
            return Err(DomainError::Forbidden("the workload view is for tier 2, managers and the Head of Support").into());
        }
        let workers = self
            .store
            .workload_workers(&authz::roles_with(Permission::WorkTickets))
            .await?
            .into_iter()
            .map(|w| Worker {
                tier: authz::queue_tier(&Actor::user(w.id, w.role, None), w.position_tier),
                user_id: w.id,
                name: w.name,
                availability: w.availability,
            })
            .collect();
        let cells = self.store.workload_cells().await?;
        let help = self.store.help_waiting().await?;
        let tiers = workload::assemble(workers, &cells, &help.to_users, &help.to_tiers);
        let unassigned_at_risk =
            self.store.at_risk_tickets(AtRiskQuery { unassigned_only: true, team_id: None, limit: AT_RISK_LIMIT }).await?;
        Ok(Workload { as_of: self.now(), tiers, unassigned_at_risk })
    }

    /// The open tickets behind one of the workload's counts (at most
    /// `SLICE_LIMIT`), with who they can go to: for those who see the view.
    pub async fn workload_tickets(&self, actor: &Actor, slice: LoadSlice) -> Result<WorkloadList> {
        let (position_tier, _) = self.actor_tier_team(actor).await?;
        if !authz::can_view_workload(actor, position_tier) {
            return Err(DomainError::Forbidden("the workload view is for tier 2, managers and the Head of Support").into());
        }
        let holder_name = match slice.holder {
            Holder::Agent(id) => Some(self.store.get_user(id).await?.ok_or(DomainError::NotFound("user"))?.name),
            Holder::Nobody | Holder::Anyone => None,
        };
        let tickets = self.store.workload_tickets(&slice, SLICE_LIMIT).await?;
        let staff = self
            .store
            .workload_workers(&authz::roles_with(Permission::WorkTickets))
            .await?
            .into_iter()
            .map(|w| (w.id, w.name, w.availability))
            .collect();
        Ok(WorkloadList { as_of: self.now(), slice, holder_name, tickets, staff })
    }

    /// Where the actor lands after signing in and at `/`.
    pub async fn landing(&self, actor: &Actor) -> Result<Landing> {
        let (position_tier, _) = self.actor_tier_team(actor).await?;
        Ok(home::landing(actor, position_tier))
    }

    /// The team's tickets near breach or overdue (the actor's team's, or
    /// everyone's for someone without a team), assigned or not: the panel
    /// beside a tier-2 agent's queue.
    pub async fn team_at_risk(&self, actor: &Actor) -> Result<Vec<AtRiskTicket>> {
        authz::require(actor, Permission::ViewAllTickets)?;
        let (_, team_id) = self.actor_tier_team(actor).await?;
        Ok(self.store.at_risk_tickets(AtRiskQuery { unassigned_only: false, team_id, limit: AT_RISK_LIMIT }).await?)
    }

    /// Open tickets at the Head of Support's and Engineering's steps (both
    /// stand at tier 3), newest first: the Head of Support's home.
    pub async fn escalated_tickets(&self, actor: &Actor) -> Result<Vec<TicketView>> {
        authz::require(actor, Permission::ViewAllTickets)?;
        let filter = TicketFilter {
            statuses: Status::OPEN_SET.to_vec(),
            tier: Some(frontline_domain::tier::Tier::HEAD_OF_SUPPORT.get()),
            limit: AT_RISK_LIMIT,
            ..TicketFilter::default()
        };
        Ok(self.list_tickets(actor, filter).await?.items)
    }

    /// May the actor see the workload view (for the navigation)?
    pub async fn sees_workload(&self, actor: &Actor) -> Result<bool> {
        let (position_tier, _) = self.actor_tier_team(actor).await?;
        Ok(authz::can_view_workload(actor, position_tier))
    }
}

/// The landing of a user already read (sign-in has the row at hand).
pub fn landing_of(user: &frontline_store::User) -> Landing {
    home::landing(&user.actor(), user.tier)
}
