//! From a ticket's stored history to the SLA clock's `Timeline`: which
//! recorded changes move the clock, and how the ticket started (the old
//! value of the first change of each kind; the current value when it never
//! changed). The escalation step is read from the tier and escalation-level
//! changes, which every move writes (the escalation actions as well as
//! older direct edits), so the step the clock charges is the ticket's own.

use chrono::{DateTime, Utc};

use super::clock::{Change, Timeline, TimelineEvent};
use super::policy::EscalationStep;
use crate::ticket::{EscalationLevel, Priority, Status, Tier};

/// One recorded change that matters to the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Status {
        from: Status,
        to: Status,
    },
    Priority {
        from: Priority,
        to: Priority,
    },
    Tier {
        from: Tier,
        to: Tier,
    },
    Level {
        from: EscalationLevel,
        to: EscalationLevel,
    },
    /// A message after the one that opened the ticket. Internal notes and
    /// mail held from an unverified sender never move the clock.
    Message {
        public: bool,
        by_staff: bool,
        held: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryItem {
    pub at: DateTime<Utc>,
    pub what: Recorded,
}

/// The ticket as it stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketNow {
    pub created_at: DateTime<Utc>,
    pub status: Status,
    pub priority: Priority,
    pub tier: Tier,
    pub level: EscalationLevel,
}

/// The clock's view of a ticket's life; `history` in the order it was
/// recorded.
pub fn timeline(now: &TicketNow, history: &[HistoryItem]) -> Timeline {
    let first_status = history.iter().find_map(|h| match h.what {
        Recorded::Status { from, .. } => Some(from),
        _ => None,
    });
    let first_priority = history.iter().find_map(|h| match h.what {
        Recorded::Priority { from, .. } => Some(from),
        _ => None,
    });
    let mut tier = history
        .iter()
        .find_map(|h| match h.what {
            Recorded::Tier { from, .. } => Some(from),
            _ => None,
        })
        .unwrap_or(now.tier);
    let mut level = history
        .iter()
        .find_map(|h| match h.what {
            Recorded::Level { from, .. } => Some(from),
            _ => None,
        })
        .unwrap_or(now.level);
    let start_step = EscalationStep::of(tier, level);
    let mut events = Vec::with_capacity(history.len());
    for h in history {
        let change = match h.what {
            Recorded::Status { to, .. } => Change::Status(to),
            Recorded::Priority { to, .. } => Change::Priority(to),
            Recorded::Tier { to, .. } => {
                tier = to;
                Change::Step(EscalationStep::of(tier, level))
            }
            Recorded::Level { to, .. } => {
                level = to;
                Change::Step(EscalationStep::of(tier, level))
            }
            Recorded::Message { public: true, held: false, by_staff: true } => Change::AgentReply,
            Recorded::Message { public: true, held: false, by_staff: false } => Change::CustomerMessage,
            Recorded::Message { .. } => continue,
        };
        events.push(TimelineEvent { at: h.at, change });
    }
    Timeline {
        created_at: now.created_at,
        status: first_status.unwrap_or(now.status),
        priority: first_priority.unwrap_or(now.priority),
        step: start_step,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().with_timezone(&Utc) + chrono::Duration::minutes(min)
    }

    #[test]
    fn the_start_is_the_first_changes_old_value() {
        let (tier, level) = EscalationStep::HeadOfSupport.fields();
        let now = TicketNow { created_at: at(0), status: Status::Open, priority: Priority::Urgent, tier, level };
        let t = |n| Tier::new(n).unwrap();
        let l = |n| EscalationLevel::new(n).unwrap();
        let history = [
            HistoryItem { at: at(5), what: Recorded::Status { from: Status::New, to: Status::Open } },
            HistoryItem { at: at(6), what: Recorded::Priority { from: Priority::Normal, to: Priority::High } },
            HistoryItem { at: at(7), what: Recorded::Priority { from: Priority::High, to: Priority::Urgent } },
            // Escalated to tier 2: both fields move at one instant.
            HistoryItem { at: at(8), what: Recorded::Tier { from: t(1), to: t(2) } },
            HistoryItem { at: at(8), what: Recorded::Level { from: l(0), to: l(1) } },
            // An old direct edit of the tier alone, then the level.
            HistoryItem { at: at(9), what: Recorded::Tier { from: t(2), to: t(3) } },
            HistoryItem { at: at(10), what: Recorded::Level { from: l(1), to: l(2) } },
        ];
        let tl = timeline(&now, &history);
        assert_eq!((tl.status, tl.priority, tl.step), (Status::New, Priority::Normal, EscalationStep::Tier1));
        let steps: Vec<(DateTime<Utc>, Change)> = tl.events.iter().skip(3).map(|e| (e.at, e.change)).collect();
        assert_eq!(
            steps,
            vec![
                (at(8), Change::Step(EscalationStep::Tier2)),
                (at(8), Change::Step(EscalationStep::Tier2)),
                (at(9), Change::Step(EscalationStep::HeadOfSupport)),
                (at(10), Change::Step(EscalationStep::HeadOfSupport)),
            ]
        );
    }

    #[test]
    fn an_unchanged_ticket_starts_as_it_is() {
        let (tier, level) = EscalationStep::Tier2.fields();
        let now = TicketNow { created_at: at(0), status: Status::Pending, priority: Priority::Low, tier, level };
        let t = timeline(&now, &[]);
        assert_eq!((t.status, t.priority, t.step, t.events.len()), (Status::Pending, Priority::Low, EscalationStep::Tier2, 0));
    }

    #[test]
    fn only_public_verified_messages_move_the_clock() {
        let (tier, level) = EscalationStep::Tier1.fields();
        let now = TicketNow { created_at: at(0), status: Status::Open, priority: Priority::Normal, tier, level };
        let m = |public, by_staff, held| Recorded::Message { public, by_staff, held };
        let history = [
            HistoryItem { at: at(1), what: m(false, true, false) },
            HistoryItem { at: at(2), what: m(true, false, true) },
            HistoryItem { at: at(3), what: m(true, true, false) },
            HistoryItem { at: at(4), what: m(true, false, false) },
        ];
        let changes: Vec<Change> = timeline(&now, &history).events.iter().map(|e| e.change).collect();
        assert_eq!(changes, vec![Change::AgentReply, Change::CustomerMessage]);
    }
}
