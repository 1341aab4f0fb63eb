//! SLA on the agents' pages: the queue rows' "Due" cell (from the stored
//! due time) and the ticket page's SLA card (from the state computed now).

use chrono::{DateTime, Utc};
use frontline_app::sla::TicketSla;
use frontline_app::tickets::TicketView;
use frontline_domain::escalation::EscalationStep;
use frontline_domain::sla::{Hours, TargetKind, TargetState};

/// "2h 10m", "3d 4h", "35m", "under a minute": dense, to the minute.
pub fn span(minutes: i64) -> String {
    let m = minutes.max(0);
    match m {
        0 => "under a minute".into(),
        1..60 => format!("{m}m"),
        60..1440 => match m % 60 {
            0 => format!("{}h", m / 60),
            r => format!("{}h {r}m", m / 60),
        },
        _ => match (m % 1440) / 60 {
            0 => format!("{}d", m / 1440),
            h => format!("{}d {h}h", m / 1440),
        },
    }
}

/// Whole minutes from `from` to `to` (rounded down, never negative).
fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_minutes().max(0)
}

/// "now" of the request being answered (the app's clock).
fn now() -> DateTime<Utc> {
    super::request_now().unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// A queue row's "Due" cell.
pub struct DueCell {
    pub text: String,
    /// `overdue`, `due` or `paused`, for the cell's class.
    pub class: &'static str,
    /// The due time in UTC, for the cell's title.
    pub title: String,
}

/// Time left or overdue from the stored due time (no history read per
/// row), "paused", or nothing when no target runs.
pub fn due_cell(t: &TicketView) -> Option<DueCell> {
    let i = t.internal.as_ref()?;
    match i.sla_due_at {
        Some(due) => {
            let now = now();
            Some(if now >= due {
                DueCell { text: format!("overdue by {}", span(minutes_between(due, now))), class: "overdue", title: super::utc(&due) }
            } else {
                DueCell { text: format!("in {}", span(minutes_between(now, due))), class: "due", title: super::utc(&due) }
            })
        }
        None if i.sla_paused && t.status.is_open() => Some(DueCell {
            text: "paused".into(),
            class: "paused",
            title: "The SLA clock waits while the ticket is pending or on hold".into(),
        }),
        None => None,
    }
}

/// The ticket page's SLA card.
pub struct SlaCard {
    pub policy_name: String,
    pub calendar_name: String,
    pub time_zone: String,
    pub paused: bool,
    pub targets: Vec<TargetLine>,
    pub steps: Vec<StepLine>,
}

pub struct TargetLine {
    pub label: &'static str,
    /// "business hours" or "calendar hours".
    pub hours: &'static str,
    /// "due in 2h 10m", "overdue by 35m", "met", "met late", "paused", "not waiting".
    pub state: String,
    /// `ok`, `due`, `near`, `overdue`, `paused` or `idle`, for the class.
    pub class: &'static str,
    /// "1h 20m of 4h".
    pub used: String,
    /// When it is or was due, in UTC.
    pub due_title: Option<String>,
    /// "Breached at 14:05 UTC, attributed to Tier 1".
    pub breach: Option<String>,
}

pub struct StepLine {
    pub label: &'static str,
    pub used_minutes: i64,
    /// The step's share; None when the policy gives it none.
    pub target_minutes: Option<i64>,
    /// "1h 20m of 10h", or "1h 20m" without a share.
    pub text: String,
    /// The step holds the ticket now.
    pub holding: bool,
    /// The step used more than its share.
    pub over: bool,
}

impl SlaCard {
    /// `step`: where the ticket stands now.
    pub fn of(sla: &TicketSla, step: EscalationStep) -> SlaCard {
        let now = now();
        let s = &sla.state;
        SlaCard {
            policy_name: sla.policy_name.clone(),
            calendar_name: sla.calendar_name.clone(),
            time_zone: sla.time_zone.clone(),
            paused: s.paused,
            targets: s.targets.iter().map(|t| TargetLine::of(t, s.paused, now)).collect(),
            steps: s
                .steps
                .iter()
                // A step that never held the ticket and has no share says nothing.
                .filter(|st| st.used_minutes > 0 || st.target_minutes.is_some() || st.step == step)
                .map(|st| StepLine {
                    label: st.step.label(),
                    used_minutes: st.used_minutes,
                    target_minutes: st.target_minutes,
                    text: match st.target_minutes {
                        Some(target) => format!("{} of {}", span(st.used_minutes), span(target)),
                        None => format!("{} (no share)", span(st.used_minutes)),
                    },
                    holding: st.step == step,
                    over: st.breached_at.is_some() || st.target_minutes.is_some_and(|t| st.used_minutes > t),
                })
                .collect(),
        }
    }
}

impl TargetLine {
    fn of(t: &TargetState, paused: bool, now: DateTime<Utc>) -> TargetLine {
        let (state, class) = if t.fulfilled_at.is_some() {
            if t.breached_at.is_some() { ("met late".to_string(), "overdue") } else { ("met".to_string(), "ok") }
        } else if paused {
            ("paused".to_string(), "paused")
        } else {
            match t.due_at {
                Some(due) if now >= due => (format!("overdue by {}", span(minutes_between(due, now))), "overdue"),
                Some(due) => {
                    let near = t.warn_at.is_some_and(|w| now >= w);
                    (format!("due in {}", span(minutes_between(now, due))), if near { "near" } else { "due" })
                }
                None => ("not waiting".to_string(), "idle"),
            }
        };
        let breach = t.breached_at.map(|at| {
            let whom = t.breached_step.map(|s| format!(", attributed to {}", s.label())).unwrap_or_default();
            let waits =
                if t.kind == TargetKind::NextReply && t.breaches > 1 { format!(" ({} waits breached)", t.breaches) } else { String::new() };
            format!("Breached at {}{whom}{waits}", super::utc(&at))
        });
        TargetLine {
            label: match t.kind {
                TargetKind::FirstReply => "First reply",
                TargetKind::NextReply => "Next reply",
                TargetKind::Resolution => "Resolution",
            },
            hours: match t.hours {
                Hours::Business => "business hours",
                Hours::Calendar => "calendar hours",
            },
            state,
            class,
            used: format!("{} of {}", span(t.used_minutes), span(t.target_minutes)),
            due_title: t.due_at.map(|d| super::utc(&d)),
            breach,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::span;

    #[test]
    fn spans_read_to_the_minute() {
        assert_eq!(span(0), "under a minute");
        assert_eq!(span(35), "35m");
        assert_eq!(span(60), "1h");
        assert_eq!(span(130), "2h 10m");
        assert_eq!(span(1440 + 4 * 60 + 7), "1d 4h");
        assert_eq!(span(2 * 1440), "2d");
        assert_eq!(span(-5), "under a minute");
    }
}
