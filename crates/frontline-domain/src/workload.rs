//! The workload view's arithmetic: open tickets counted per (tier,
//! assignee) by the store are summed per agent and per tier here, so the
//! store reads each table once and no total is counted twice.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::DomainError;
use crate::tier::Tier;
use crate::user::Availability;

/// Open tickets by where they stand. `open`: new or open; `pending`:
/// pending or on hold; `near_breach`: an SLA target's warning time has come
/// and its due time not yet; `overdue`: a target is past due or breached.
/// A ticket can be both near breach (the next target) and overdue (an
/// earlier one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub open: i64,
    pub pending: i64,
    pub near_breach: i64,
    pub overdue: i64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.open += o.open;
        self.pending += o.pending;
        self.near_breach += o.near_breach;
        self.overdue += o.overdue;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OldestTicket {
    pub id: i64,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

/// Open tickets at one tier held by one assignee (None: unassigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadCell {
    pub tier: Tier,
    pub assignee_id: Option<i64>,
    pub counts: Counts,
    pub oldest: Option<OldestTicket>,
}

/// Someone who works tickets, with the tier whose queue they work (None:
/// no queue tier, e.g. a manager without a tiered position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub user_id: i64,
    pub name: String,
    pub availability: Availability,
    pub tier: Option<Tier>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    pub worker: Worker,
    /// Their open tickets, whatever tier the tickets stand at.
    pub counts: Counts,
    pub oldest: Option<OldestTicket>,
    /// Open help requests put to them by name.
    pub help_waiting: i64,
}

/// One tier: its agents (by their queue tier) and the tickets standing at
/// it (by the ticket's tier: assigned to anyone, or to no one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierLoad {
    /// None: the group of ticket workers without a queue tier.
    pub tier: Option<Tier>,
    pub agents: Vec<AgentLoad>,
    pub totals: Counts,
    pub unassigned: Counts,
    pub oldest: Option<OldestTicket>,
    /// Open help requests put to the whole tier.
    pub help_waiting: i64,
}

fn older(a: Option<OldestTicket>, b: &Option<OldestTicket>) -> Option<OldestTicket> {
    match (a, b) {
        (Some(a), Some(b)) if (b.created_at, b.id) < (a.created_at, a.id) => Some(b.clone()),
        (None, b) => b.clone(),
        (a, _) => a,
    }
}

/// Tiers 1 to 3 always, then the workers without a tier if there are any.
/// `workers` keep their order (by name) within a tier; tickets assigned to
/// someone who is not among them (deactivated, or a role that no longer
/// works tickets) count in their tier's totals only.
pub fn assemble(workers: Vec<Worker>, cells: &[LoadCell], help_to_users: &[(i64, i64)], help_to_tiers: &[(Tier, i64)]) -> Vec<TierLoad> {
    let tiers = [Some(Tier::FRONT_LINE), Some(Tier::SENIOR), Some(Tier::HEAD_OF_SUPPORT), None];
    let mut out: Vec<TierLoad> = tiers
        .into_iter()
        .map(|tier| TierLoad {
            tier,
            agents: vec![],
            totals: Counts::default(),
            unassigned: Counts::default(),
            oldest: None,
            help_waiting: tier.map_or(0, |t| help_to_tiers.iter().filter(|(ht, _)| *ht == t).map(|(_, n)| n).sum()),
        })
        .collect();
    for cell in cells {
        if let Some(group) = out.iter_mut().find(|g| g.tier == Some(cell.tier)) {
            group.totals.add(&cell.counts);
            if cell.assignee_id.is_none() {
                group.unassigned.add(&cell.counts);
            }
            group.oldest = older(group.oldest.take(), &cell.oldest);
        }
    }
    for worker in workers {
        let mut load = AgentLoad {
            help_waiting: help_to_users.iter().filter(|(u, _)| *u == worker.user_id).map(|(_, n)| n).sum(),
            counts: Counts::default(),
            oldest: None,
            worker,
        };
        for cell in cells.iter().filter(|c| c.assignee_id == Some(load.worker.user_id)) {
            load.counts.add(&cell.counts);
            load.oldest = older(load.oldest.take(), &cell.oldest);
        }
        if let Some(group) = out.iter_mut().find(|g| g.tier == load.worker.tier) {
            group.agents.push(load);
        }
    }
    // The no-tier group only when someone is in it.
    out.retain(|g| g.tier.is_some() || !g.agents.is_empty());
    out
}

/// Which of the workload's counts a list behind it shows (the `Counts`
/// field of the same name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadState {
    Open,
    Pending,
    NearBreach,
    Overdue,
}

impl LoadState {
    pub const ALL: [LoadState; 4] = [LoadState::Open, LoadState::Pending, LoadState::NearBreach, LoadState::Overdue];

    pub fn as_str(self) -> &'static str {
        match self {
            LoadState::Open => "open",
            LoadState::Pending => "pending",
            LoadState::NearBreach => "near_breach",
            LoadState::Overdue => "overdue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LoadState::Open => "Open",
            LoadState::Pending => "Pending",
            LoadState::NearBreach => "Near breach",
            LoadState::Overdue => "Overdue",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            DomainError::invalid("state", format!("'{s}' is not a workload state; use open, pending, near_breach or overdue"))
        })
    }

    /// The SLA states list the most urgent first; the others the oldest first.
    pub fn by_urgency(self) -> bool {
        matches!(self, LoadState::NearBreach | LoadState::Overdue)
    }
}

/// Whose tickets a list behind a count shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// One agent's, at any tier (an agent's row).
    Agent(i64),
    /// Nobody's (a tier's "unassigned" row).
    Nobody,
    /// Anyone's or nobody's (a tier's total row).
    Anyone,
}

/// The tickets behind one workload count: open tickets in `state`, held by
/// `holder`, standing at `tier` (None: any tier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSlice {
    pub state: LoadState,
    pub tier: Option<Tier>,
    pub holder: Holder,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_name_the_field() {
        for s in LoadState::ALL {
            assert_eq!(LoadState::parse(s.as_str()).ok(), Some(s));
        }
        let e = LoadState::parse("late").expect_err("unknown");
        assert!(matches!(e, DomainError::Invalid(ref f) if f.field == "state"), "{e:?}");
    }

    fn at(minute: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-03-02T10:{minute:02}:00Z")).expect("time").with_timezone(&Utc)
    }

    fn cell(tier: Tier, assignee_id: Option<i64>, open: i64, oldest: (i64, u32)) -> LoadCell {
        LoadCell {
            tier,
            assignee_id,
            counts: Counts { open, pending: 1, near_breach: 0, overdue: open / 2 },
            oldest: Some(OldestTicket { id: oldest.0, subject: format!("#{}", oldest.0), created_at: at(oldest.1) }),
        }
    }

    fn worker(id: i64, tier: Option<Tier>) -> Worker {
        Worker { user_id: id, name: format!("u{id}"), availability: Availability::Available, tier }
    }

    #[test]
    fn sums_per_agent_and_per_tier() {
        let cells = [
            cell(Tier::FRONT_LINE, Some(1), 2, (10, 5)),
            cell(Tier::FRONT_LINE, None, 3, (11, 1)),
            // Agent 1 also holds a tier-2 ticket, older than their tier-1 ones.
            cell(Tier::SENIOR, Some(1), 1, (12, 0)),
            cell(Tier::SENIOR, Some(2), 4, (13, 9)),
            // Assigned to someone no longer working tickets.
            cell(Tier::HEAD_OF_SUPPORT, Some(99), 1, (14, 3)),
        ];
        let workers = vec![worker(1, Some(Tier::FRONT_LINE)), worker(2, Some(Tier::SENIOR)), worker(3, None)];
        let tiers = assemble(workers, &cells, &[(2, 3), (1, 1)], &[(Tier::SENIOR, 2)]);
        assert_eq!(
            tiers.iter().map(|t| t.tier).collect::<Vec<_>>(),
            [Some(Tier::FRONT_LINE), Some(Tier::SENIOR), Some(Tier::HEAD_OF_SUPPORT), None]
        );
        let (t1, t2, t3) = (&tiers[0], &tiers[1], &tiers[2]);
        assert_eq!(t1.totals, Counts { open: 5, pending: 2, near_breach: 0, overdue: 2 });
        assert_eq!(t1.unassigned.open, 3);
        assert_eq!(t1.oldest.as_ref().map(|o| o.id), Some(11));
        let a1 = &t1.agents[0];
        assert_eq!((a1.counts.open, a1.counts.pending, a1.help_waiting), (3, 2, 1), "both tiers' tickets are the agent's");
        assert_eq!(a1.oldest.as_ref().map(|o| o.id), Some(12));
        assert_eq!((t2.totals.open, t2.help_waiting, t2.agents[0].help_waiting, t2.agents[0].counts.overdue), (5, 2, 3, 2));
        assert_eq!((t3.totals.open, t3.agents.len()), (1, 0));
        assert_eq!(tiers[3].agents[0].counts, Counts::default());
    }

    #[test]
    fn an_empty_desk() {
        let tiers = assemble(vec![], &[], &[], &[]);
        assert_eq!(tiers.len(), 3, "the no-tier group only when someone is in it");
        assert!(tiers.iter().all(|t| t.totals == Counts::default() && t.oldest.is_none() && t.agents.is_empty()));
    }
}
