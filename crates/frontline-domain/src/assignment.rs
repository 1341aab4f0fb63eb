//! Automatic assignment: how a team hands its new, unassigned tickets to
//! its members. Pure: the store gathers the team's members with their
//! load, this module picks one (or nobody).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::user::Availability;

/// The largest per-agent capacity a team may set.
pub const CAPACITY_MAX: i64 = 1000;

/// How a team assigns its new tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMode {
    /// Tickets wait in the team's queue for someone to take them.
    #[default]
    Manual,
    /// Members in turn (by id), starting after the last one served.
    RoundRobin,
    /// The member with the fewest open tickets.
    LeastLoaded,
}

impl AssignmentMode {
    pub const ALL: [AssignmentMode; 3] = [AssignmentMode::Manual, AssignmentMode::RoundRobin, AssignmentMode::LeastLoaded];

    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentMode::Manual => "manual",
            AssignmentMode::RoundRobin => "round_robin",
            AssignmentMode::LeastLoaded => "least_loaded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AssignmentMode::Manual => "Manual",
            AssignmentMode::RoundRobin => "Round robin",
            AssignmentMode::LeastLoaded => "Least loaded",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|m| m.as_str() == s.trim()).ok_or_else(|| {
            DomainError::invalid("assignment_mode", format!("unknown assignment mode '{s}'; use manual, round_robin or least_loaded"))
        })
    }

    pub fn is_automatic(self) -> bool {
        self != AssignmentMode::Manual
    }
}

/// For stores decoding the stored code.
impl TryFrom<String> for AssignmentMode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}

/// Open tickets an agent may hold before automatic assignment passes them
/// over; None is unlimited.
pub fn capacity(value: Option<i64>) -> Result<Option<i64>, DomainError> {
    match value {
        Some(n) if !(1..=CAPACITY_MAX).contains(&n) => Err(DomainError::invalid(
            "assignment_capacity",
            format!("capacity must be between 1 and {CAPACITY_MAX}, or empty for no limit"),
        )),
        other => Ok(other),
    }
}

/// Capacity as typed into a form: empty is unlimited.
pub fn capacity_text(raw: &str) -> Result<Option<i64>, DomainError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let n =
        raw.parse().map_err(|_| DomainError::invalid("assignment_capacity", "capacity must be a whole number, or empty for no limit"))?;
    capacity(Some(n))
}

/// A team's assignment settings and where its round robin stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamAssignment {
    pub mode: AssignmentMode,
    pub capacity: Option<i64>,
    /// The member round robin served last.
    pub cursor: Option<i64>,
}

/// A member of the team as assignment sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: i64,
    pub availability: Availability,
    /// Open tickets assigned to them now.
    pub load: i64,
    pub last_assigned_at: Option<DateTime<Utc>>,
}

impl Candidate {
    fn eligible(&self, capacity: Option<i64>) -> bool {
        self.availability.takes_new_work() && capacity.is_none_or(|c| self.load < c)
    }
}

/// The member who gets the next ticket, or None: manual mode, or nobody
/// available under capacity (the ticket then waits in the queue).
pub fn choose(team: &TeamAssignment, candidates: &[Candidate]) -> Option<i64> {
    let mut eligible: Vec<&Candidate> = candidates.iter().filter(|c| c.eligible(team.capacity)).collect();
    match team.mode {
        AssignmentMode::Manual => None,
        AssignmentMode::RoundRobin => {
            eligible.sort_by_key(|c| c.user_id);
            let after = team.cursor.unwrap_or(i64::MIN);
            eligible.iter().find(|c| c.user_id > after).or(eligible.first()).map(|c| c.user_id)
        }
        // Fewest open tickets; ties go to whoever waited longest for one
        // (never assigned first), then to the lower id, so the pick is stable.
        AssignmentMode::LeastLoaded => eligible.into_iter().min_by_key(|c| (c.load, c.last_assigned_at, c.user_id)).map(|c| c.user_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cand(user_id: i64, availability: Availability, load: i64, last: Option<i64>) -> Candidate {
        Candidate { user_id, availability, load, last_assigned_at: last.map(|s| Utc.timestamp_opt(s, 0).single().unwrap_or_default()) }
    }

    fn team(mode: AssignmentMode, capacity: Option<i64>, cursor: Option<i64>) -> TeamAssignment {
        TeamAssignment { mode, capacity, cursor }
    }

    #[test]
    fn manual_assigns_nobody() {
        let c = [cand(1, Availability::Available, 0, None)];
        assert_eq!(choose(&team(AssignmentMode::Manual, None, None), &c), None);
    }

    #[test]
    fn round_robin_goes_on_after_the_cursor_and_wraps() {
        let c =
            [cand(3, Availability::Available, 0, None), cand(1, Availability::Available, 0, None), cand(2, Availability::Away, 0, None)];
        let rr = |cursor| choose(&team(AssignmentMode::RoundRobin, None, cursor), &c);
        assert_eq!(rr(None), Some(1));
        assert_eq!(rr(Some(1)), Some(3), "2 is away");
        assert_eq!(rr(Some(3)), Some(1));
        assert_eq!(rr(Some(99)), Some(1), "a cursor past everyone (member left) wraps");
    }

    #[test]
    fn away_off_and_full_agents_get_nothing() {
        let c = [cand(1, Availability::Away, 0, None), cand(2, Availability::Off, 0, None), cand(3, Availability::Available, 5, None)];
        for mode in [AssignmentMode::RoundRobin, AssignmentMode::LeastLoaded] {
            assert_eq!(choose(&team(mode, Some(5), None), &c), None, "{mode:?}");
            assert_eq!(choose(&team(mode, Some(6), None), &c), Some(3), "{mode:?}: under capacity");
            assert_eq!(choose(&team(mode, None, None), &c), Some(3), "{mode:?}: unlimited");
        }
    }

    #[test]
    fn least_loaded_breaks_ties_by_wait_then_id() {
        let ll = |c: &[Candidate]| choose(&team(AssignmentMode::LeastLoaded, None, None), c);
        assert_eq!(ll(&[cand(1, Availability::Available, 3, None), cand(2, Availability::Available, 1, Some(50))]), Some(2));
        assert_eq!(ll(&[cand(1, Availability::Available, 1, Some(50)), cand(2, Availability::Available, 1, Some(10))]), Some(2));
        assert_eq!(ll(&[cand(1, Availability::Available, 1, Some(10)), cand(2, Availability::Available, 1, None)]), Some(2));
        assert_eq!(ll(&[cand(2, Availability::Available, 1, None), cand(1, Availability::Available, 1, None)]), Some(1));
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(AssignmentMode::parse("round_robin"), Ok(AssignmentMode::RoundRobin));
        assert!(AssignmentMode::parse("random").is_err());
        assert_eq!(capacity_text(" "), Ok(None));
        assert_eq!(capacity_text("5"), Ok(Some(5)));
        for bad in ["0", "-1", "1001", "five"] {
            let e = capacity_text(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("capacity"), "{bad}: {e}");
        }
    }
}
