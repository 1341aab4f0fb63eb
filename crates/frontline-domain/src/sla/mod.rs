//! Service-level agreements on business hours, as pure rules.
//!
//! - `calendar`: business-hours calendars (IANA zone, weekly intervals,
//!   holidays) and business-time arithmetic that holds across DST changes.
//! - `policy`: SLA policies (targets per priority in business or calendar
//!   minutes, shares of the resolution target per escalation step) and the
//!   first-match choice of a policy by ordered conditions.
//! - `clock`: the state of a ticket's targets at an instant, from its
//!   timeline (a typed list of what happened), with the time each
//!   escalation step used and breaches attributed to the step that used up
//!   its share.
//! - `history`: which recorded changes move the clock, and how the ticket
//!   started, turning stored history into a `Timeline`.
//!
//! Seams for what comes next: the app builds a `Timeline` from stored
//! history and picks the policy with `select_policy` from the ticket's
//! current `TicketFacts`; the scheduler asks `sla_state` at its own "now"
//! (from the injected clock) and acts on `due_at` / `breached_at`; the
//! ticket DTO's `sla` object is `SlaState` (already `Serialize`).

pub mod calendar;
pub mod clock;
pub mod history;
pub mod policy;

#[cfg(test)]
mod clock_tests;
#[cfg(test)]
mod properties;

pub use calendar::{BusinessCalendar, CalendarSpec, IntervalSpec, WeeklyHoursSpec, parse_holiday, parse_holidays, time_zone_names};
pub use clock::{Change, SlaState, StepState, TargetState, Timeline, TimelineEvent, sla_state, warning_lead_minutes};
pub use history::{HistoryItem, Recorded, TicketNow, timeline};
pub use policy::{Condition, EscalationStep, Hours, PriorityTargets, SlaPolicy, Target, TargetKind, TicketFacts, select_policy};
