//! From a ticket's stored history to the SLA clock's `Timeline`: which
//! recorded changes move the clock, and how the ticket started (the old
//! value of the first change of each kind; the current value when it never
//! changed).

use chrono::{DateTime, Utc};

use super::clock::{Change, Timeline, TimelineEvent};
use super::policy::EscalationStep;
use crate::ticket::{Priority, Status};

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
    /// Escalated, de-escalated or sent to a senior.
    Step {
        from: EscalationStep,
        to: EscalationStep,
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
    pub step: EscalationStep,
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
    let first_step = history.iter().find_map(|h| match h.what {
        Recorded::Step { from, .. } => Some(from),
        _ => None,
    });
    let events = history
        .iter()
        .filter_map(|h| {
            let change = match h.what {
                Recorded::Status { to, .. } => Change::Status(to),
                Recorded::Priority { to, .. } => Change::Priority(to),
                Recorded::Step { to, .. } => Change::Step(to),
                Recorded::Message { public: true, held: false, by_staff: true } => Change::AgentReply,
                Recorded::Message { public: true, held: false, by_staff: false } => Change::CustomerMessage,
                Recorded::Message { .. } => return None,
            };
            Some(TimelineEvent { at: h.at, change })
        })
        .collect();
    Timeline {
        created_at: now.created_at,
        status: first_status.unwrap_or(now.status),
        priority: first_priority.unwrap_or(now.priority),
        step: first_step.unwrap_or(now.step),
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
        let now = TicketNow { created_at: at(0), status: Status::Open, priority: Priority::Urgent, step: EscalationStep::HeadOfSupport };
        let history = [
            HistoryItem { at: at(5), what: Recorded::Status { from: Status::New, to: Status::Open } },
            HistoryItem { at: at(6), what: Recorded::Priority { from: Priority::Normal, to: Priority::High } },
            HistoryItem { at: at(7), what: Recorded::Priority { from: Priority::High, to: Priority::Urgent } },
            HistoryItem { at: at(8), what: Recorded::Step { from: EscalationStep::Tier1, to: EscalationStep::Tier2 } },
            HistoryItem { at: at(9), what: Recorded::Step { from: EscalationStep::Tier2, to: EscalationStep::HeadOfSupport } },
        ];
        let t = timeline(&now, &history);
        assert_eq!((t.status, t.priority, t.step), (Status::New, Priority::Normal, EscalationStep::Tier1));
        assert_eq!(t.events.len(), 5);
        assert_eq!(t.events[4], TimelineEvent { at: at(9), change: Change::Step(EscalationStep::HeadOfSupport) });
    }

    #[test]
    fn an_unchanged_ticket_starts_as_it_is() {
        let now = TicketNow { created_at: at(0), status: Status::Pending, priority: Priority::Low, step: EscalationStep::Tier2 };
        let t = timeline(&now, &[]);
        assert_eq!((t.status, t.priority, t.step, t.events.len()), (Status::Pending, Priority::Low, EscalationStep::Tier2, 0));
    }

    #[test]
    fn only_public_verified_messages_move_the_clock() {
        let now = TicketNow { created_at: at(0), status: Status::Open, priority: Priority::Normal, step: EscalationStep::Tier1 };
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
