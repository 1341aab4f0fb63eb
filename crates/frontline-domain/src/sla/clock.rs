//! The SLA clock: from a policy, a calendar and a ticket's timeline, the
//! state of every target at a given instant.
//!
//! Rules (each has a test below):
//! - Targets run while the ticket is new or open. Pending and on hold pause
//!   every target; solved and closed stop them.
//! - First reply runs from creation to the first public reply of the team.
//!   Next reply starts at a customer's message once the first reply was
//!   given (and no next-reply wait is running), and ends at the next public
//!   reply. Solving the ticket ends a reply wait.
//! - Resolution runs from creation to solved; reopening resumes it with the
//!   time already used (the time while solved does not count).
//! - The target in force is the current priority's: after a priority change
//!   the time already used is kept and measured against the new target; if
//!   that is already used up, the target fell due at the change.
//! - A target falls due at the instant its used time reaches it. It is
//!   breached when the ticket is still waiting for it after that instant
//!   (while the clock runs); meeting it at the very instant is not a breach.
//! - The resolution time is split by escalation step (the step holding the
//!   ticket while the clock runs). A step with a share has its own due time
//!   and breach, kept apart from the customer's target. A resolution breach
//!   is attributed to the step that overran its share the most at that
//!   instant (on a tie, the one that overran first); when no step overran
//!   (no shares, or slack left in them), to the step holding the ticket.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::calendar::BusinessCalendar;
use super::policy::{EscalationStep, Hours, SlaPolicy, TargetKind};
use crate::ticket::{Priority, Status};

/// What happened to a ticket, in the terms the clock needs. The app builds
/// these from stored history (status, priority and escalation-level events,
/// public replies by staff, customers' messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Status(Status),
    Priority(Priority),
    Step(EscalationStep),
    /// A public reply by the team (internal notes do not count).
    AgentReply,
    /// A message from the requester or another customer.
    CustomerMessage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub change: Change,
}

/// A ticket's life so far: how it started and what changed since. Events
/// need not be sorted; events at the same instant apply in the given order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub created_at: DateTime<Utc>,
    pub status: Status,
    pub priority: Priority,
    pub step: EscalationStep,
    pub events: Vec<TimelineEvent>,
}

impl Timeline {
    pub fn new(created_at: DateTime<Utc>, priority: Priority) -> Self {
        Self { created_at, status: Status::New, priority, step: EscalationStep::Tier1, events: Vec::new() }
    }

    pub fn at(mut self, at: DateTime<Utc>, change: Change) -> Self {
        self.events.push(TimelineEvent { at, change });
        self
    }
}

/// One target's state at the instant asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetState {
    pub kind: TargetKind,
    pub hours: Hours,
    pub target_minutes: i64,
    /// Time counted so far (for next reply: in the current or last wait).
    pub used_minutes: i64,
    /// When it is due: the projection while running, the instant it fell
    /// due once reached; none while paused or when there is nothing to wait for.
    pub due_at: Option<DateTime<Utc>>,
    /// When the ticket counts as near breach of this target: the remaining
    /// time reaches `warning_lead_minutes` (in the target's hours); the
    /// instant asked about when that is already so. Only while the target
    /// runs and is not yet due.
    pub warn_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// The step the breach is attributed to.
    pub breached_step: Option<EscalationStep>,
    /// When the wait ended (reply given, ticket solved); none while waiting.
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Next reply only: how many waits so far were breached.
    pub breaches: u32,
}

/// One escalation step's share of the resolution time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepState {
    pub step: EscalationStep,
    pub used_minutes: i64,
    pub target_minutes: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaState {
    pub at: DateTime<Utc>,
    /// The ticket waits on the customer or is on hold.
    pub paused: bool,
    /// The measured targets (those the policy sets for the current priority).
    pub targets: Vec<TargetState>,
    /// All four steps, in path order (in the resolution target's hours).
    pub steps: Vec<StepState>,
}

impl SlaState {
    pub fn target(&self, kind: TargetKind) -> Option<&TargetState> {
        self.targets.iter().find(|t| t.kind == kind)
    }

    pub fn step(&self, step: EscalationStep) -> &StepState {
        &self.steps[step.index()]
    }

    /// The targets still waited for (not met, the clock not stopped).
    fn waiting(&self) -> impl Iterator<Item = &TargetState> {
        self.targets.iter().filter(|t| t.fulfilled_at.is_none())
    }

    /// The earliest due time among the targets still running, and which
    /// target it is (none while paused: nothing falls due then).
    pub fn next_due(&self) -> Option<(TargetKind, DateTime<Utc>)> {
        if self.paused {
            return None;
        }
        self.waiting().filter_map(|t| t.due_at.map(|d| (t.kind, d))).min_by_key(|(_, d)| *d)
    }

    /// When the next-due target counts as near breach.
    pub fn warn_at(&self) -> Option<DateTime<Utc>> {
        let (kind, _) = self.next_due()?;
        self.target(kind).and_then(|t| t.warn_at)
    }

    /// The earliest breach among the targets still waited for.
    pub fn breached_at(&self) -> Option<DateTime<Utc>> {
        self.waiting().filter_map(|t| t.breached_at).min()
    }

    /// When this target was breached, while the ticket still waits for it
    /// (a breach rule about one target fires for it).
    pub fn target_breached_at(&self, kind: TargetKind) -> Option<DateTime<Utc>> {
        self.waiting().find(|t| t.kind == kind).and_then(|t| t.breached_at)
    }

    /// The next instant after `self.at` at which the state changes by time
    /// alone: a warning, a due time, a step's share running out. None while
    /// paused or when nothing runs.
    pub fn next_check_at(&self) -> Option<DateTime<Utc>> {
        if self.paused {
            return None;
        }
        // A due time reached at this very instant is not a breach yet (meeting
        // a target at its instant is not one): look again just after it.
        let after = |due: DateTime<Utc>| if due == self.at { due + Duration::seconds(1) } else { due };
        let targets = self.waiting().filter(|t| t.breached_at.is_none()).flat_map(|t| [t.warn_at, t.due_at.map(after)]);
        let steps = self.steps.iter().filter(|s| s.breached_at.is_none()).map(|s| s.due_at.map(after));
        targets.chain(steps).flatten().filter(|at| *at > self.at).min()
    }
}

/// How long before a target falls due the ticket counts as near breach: a
/// quarter of the target, at least a minute and at most an hour.
pub fn warning_lead_minutes(target_minutes: i64) -> i64 {
    (target_minutes / 4).clamp(1, 60)
}

/// Time counted in both ways at once, so a priority change that switches
/// between business and calendar hours keeps what was used.
#[derive(Debug, Clone, Copy, Default)]
struct Used {
    calendar: i64,
    business: i64,
}

impl Used {
    fn get(self, hours: Hours) -> i64 {
        match hours {
            Hours::Business => self.business,
            Hours::Calendar => self.calendar,
        }
    }
    fn add(&mut self, d: Used) {
        self.calendar += d.calendar;
        self.business += d.business;
    }
}

/// A wait for one target (or one step's share): how much time it used, when
/// it fell due and whether that was breached.
#[derive(Debug, Clone, Copy, Default)]
struct Wait {
    running: bool,
    used: Used,
    due: Option<DateTime<Utc>>,
    breached: Option<DateTime<Utc>>,
    fulfilled: Option<DateTime<Utc>>,
    breached_step: Option<EscalationStep>,
}

struct Measure<'a> {
    calendar: &'a BusinessCalendar,
    business_needed: bool,
}

impl Measure<'_> {
    fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Used {
        Used {
            calendar: (b - a).num_seconds().max(0),
            business: if self.business_needed { self.calendar.business_seconds(a, b) } else { 0 },
        }
    }

    fn advance(&self, from: DateTime<Utc>, hours: Hours, seconds: i64) -> DateTime<Utc> {
        match hours {
            Hours::Business => self.calendar.add_business_seconds(from, seconds),
            Hours::Calendar => from + Duration::seconds(seconds.max(0)),
        }
    }
}

struct Sim<'a> {
    policy: &'a SlaPolicy,
    m: Measure<'a>,
    status: Status,
    priority: Priority,
    step: EscalationStep,
    first: Wait,
    next: Wait,
    next_breaches: u32,
    resolution: Wait,
    steps: [Wait; 4],
}

fn runs(status: Status) -> bool {
    matches!(status, Status::New | Status::Open)
}

impl Sim<'_> {
    fn target_seconds(&self, kind: TargetKind) -> Option<(Hours, i64)> {
        self.policy.target(self.priority, kind).map(|t| (t.hours, t.minutes * 60))
    }

    fn share_seconds(&self, step: EscalationStep) -> Option<(Hours, i64)> {
        let (hours, total) = self.target_seconds(TargetKind::Resolution)?;
        self.policy.step_share_seconds(step, total).map(|s| (hours, s))
    }

    /// Count `[a, b)` for every running wait (the ticket runs throughout).
    fn advance(&mut self, a: DateTime<Utc>, b: DateTime<Utc>) {
        if a >= b || !runs(self.status) {
            return;
        }
        let d = self.m.between(a, b);
        for kind in TargetKind::ALL {
            let target = self.target_seconds(kind);
            let holder = self.step;
            let wait = match kind {
                TargetKind::FirstReply => &mut self.first,
                TargetKind::NextReply => &mut self.next,
                TargetKind::Resolution => &mut self.resolution,
            };
            if !wait.running {
                continue;
            }
            let before = wait.used;
            wait.used.add(d);
            if let Some((hours, secs)) = target {
                // Reached before this span (or at its start), and still waiting: breached.
                if let Some(due) = wait.due
                    && due < b
                    && wait.breached.is_none()
                {
                    wait.breached = Some(due);
                    wait.breached_step.get_or_insert(holder);
                }
                if wait.due.is_none() && wait.used.get(hours) >= secs {
                    let due = self.m.advance(a, hours, secs - before.get(hours));
                    wait.due = Some(due);
                    if kind == TargetKind::Resolution {
                        wait.breached_step = Some(attribute(self.policy, &self.steps, holder, hours, secs, before.get(hours)));
                    } else {
                        wait.breached_step = Some(holder);
                    }
                    if due < b {
                        wait.breached = Some(due);
                    }
                }
            }
        }
        // The step holding the ticket uses its share.
        let share = self.share_seconds(self.step);
        let step = &mut self.steps[self.step.index()];
        let before = step.used;
        step.used.add(d);
        if let Some((hours, secs)) = share {
            if let Some(due) = step.due
                && due < b
                && step.breached.is_none()
            {
                step.breached = Some(due);
            }
            if step.due.is_none() && step.used.get(hours) >= secs {
                let due = self.m.advance(a, hours, secs - before.get(hours));
                step.due = Some(due);
                if due < b {
                    step.breached = Some(due);
                }
            }
        }
    }

    /// A target's limit may have moved (priority change): a wait that now
    /// has used it all fell due at `at`; one not yet due gets projected later.
    fn recheck_due(&mut self, at: DateTime<Utc>) {
        for kind in TargetKind::ALL {
            let target = self.target_seconds(kind);
            let holder = self.step;
            let policy = self.policy;
            let steps = self.steps;
            let wait = match kind {
                TargetKind::FirstReply => &mut self.first,
                TargetKind::NextReply => &mut self.next,
                TargetKind::Resolution => &mut self.resolution,
            };
            if !wait.running || wait.breached.is_some() {
                continue;
            }
            wait.due = None;
            if let Some((hours, secs)) = target
                && wait.used.get(hours) >= secs
            {
                wait.due = Some(at);
                wait.breached_step = Some(if kind == TargetKind::Resolution {
                    attribute(policy, &steps, holder, hours, secs, wait.used.get(hours))
                } else {
                    holder
                });
                // Already past the new target: breached at the change.
                if wait.used.get(hours) > secs {
                    wait.breached = Some(at);
                }
            }
        }
        for step in EscalationStep::ALL {
            let share = self.share_seconds(step);
            let s = &mut self.steps[step.index()];
            if s.breached.is_some() {
                continue;
            }
            s.due = None;
            if let Some((hours, secs)) = share
                && s.used.get(hours) >= secs
                && s.used.get(hours) > 0
            {
                s.due = Some(at);
                if s.used.get(hours) > secs {
                    s.breached = Some(at);
                }
            }
        }
    }

    fn apply(&mut self, at: DateTime<Utc>, change: Change) {
        match change {
            Change::Status(to) => {
                let was = self.status;
                self.status = to;
                if matches!(to, Status::Solved | Status::Closed) {
                    for w in [&mut self.first, &mut self.next, &mut self.resolution] {
                        if w.running {
                            w.running = false;
                            w.fulfilled = Some(at);
                        }
                    }
                } else if matches!(was, Status::Solved) {
                    // Reopened: the resolution wait resumes with what it used.
                    self.resolution.running = true;
                    self.resolution.fulfilled = None;
                }
            }
            Change::Priority(p) => {
                self.priority = p;
                self.recheck_due(at);
            }
            Change::Step(s) => self.step = s,
            Change::AgentReply => {
                for w in [&mut self.first, &mut self.next] {
                    if w.running {
                        w.running = false;
                        w.fulfilled = Some(at);
                    }
                }
            }
            Change::CustomerMessage => {
                if self.first.fulfilled.is_some() && !self.next.running && self.status != Status::Closed {
                    if self.next.breached.is_some() {
                        self.next_breaches += 1;
                    }
                    self.next = Wait { running: true, ..Wait::default() };
                }
            }
        }
    }
}

/// Who a resolution breach belongs to, at the instant the target is
/// reached while `holder` holds the ticket and had used `used_before`
/// (total) before the current span.
fn attribute(policy: &SlaPolicy, steps: &[Wait; 4], holder: EscalationStep, hours: Hours, target: i64, used_before: i64) -> EscalationStep {
    let mut best: Option<(i64, DateTime<Utc>, EscalationStep)> = None;
    for step in EscalationStep::ALL {
        let Some(share) = policy.step_share_seconds(step, target) else { continue };
        let mut used = steps[step.index()].used.get(hours);
        if step == holder {
            // The holder's part of the current span, up to the breach.
            used += (target - used_before).max(0);
        }
        let over = used - share;
        if over <= 0 {
            continue;
        }
        let first_over = steps[step.index()].due.unwrap_or(DateTime::<Utc>::MAX_UTC);
        let better = match best {
            None => true,
            Some((o, t, _)) => over > o || (over == o && first_over < t),
        };
        if better {
            best = Some((over, first_over, step));
        }
    }
    best.map_or(holder, |b| b.2)
}

/// The state of every target of `policy` for the ticket `timeline`
/// describes, as of `at`. Events after `at` are ignored.
pub fn sla_state(policy: &SlaPolicy, calendar: &BusinessCalendar, timeline: &Timeline, at: DateTime<Utc>) -> SlaState {
    let business_needed =
        policy.targets.values().any(|t| TargetKind::ALL.iter().any(|k| t.get(*k).is_some_and(|x| x.hours == Hours::Business)));
    let mut sim = Sim {
        policy,
        m: Measure { calendar, business_needed },
        status: timeline.status,
        priority: timeline.priority,
        step: timeline.step,
        first: Wait { running: true, ..Wait::default() },
        next: Wait::default(),
        next_breaches: 0,
        resolution: Wait { running: true, ..Wait::default() },
        steps: [Wait::default(); 4],
    };
    if matches!(timeline.status, Status::Solved | Status::Closed) {
        sim.apply(timeline.created_at, Change::Status(timeline.status));
    }
    sim.recheck_due(timeline.created_at);
    let mut events: Vec<TimelineEvent> = timeline.events.iter().copied().filter(|e| e.at <= at).collect();
    events.sort_by_key(|e| e.at);
    let mut cursor = timeline.created_at;
    for e in events {
        let when = e.at.max(cursor);
        sim.advance(cursor, when);
        cursor = when;
        sim.apply(when, e.change);
    }
    let end = at.max(cursor);
    sim.advance(cursor, end);
    finish(&sim, end)
}

fn finish(sim: &Sim<'_>, at: DateTime<Utc>) -> SlaState {
    let running = runs(sim.status);
    let mut targets = Vec::new();
    for kind in TargetKind::ALL {
        let Some(target) = sim.policy.target(sim.priority, kind) else { continue };
        let wait = match kind {
            TargetKind::FirstReply => &sim.first,
            TargetKind::NextReply => &sim.next,
            TargetKind::Resolution => &sim.resolution,
        };
        let secs = target.minutes * 60;
        let used = wait.used.get(target.hours);
        let due_at = match wait.due {
            Some(d) => Some(d),
            None if wait.running && running => Some(sim.m.advance(at, target.hours, secs - used)),
            None => None,
        };
        let mut breaches = u32::from(wait.breached.is_some());
        if kind == TargetKind::NextReply {
            breaches += sim.next_breaches;
        }
        let due_at = if wait.running || wait.breached.is_some() { due_at } else { None };
        let lead = warning_lead_minutes(target.minutes) * 60;
        let warn_at = match due_at {
            Some(due) if wait.running && running && due > at => {
                let remaining = secs - used;
                Some(if remaining > lead { sim.m.advance(at, target.hours, remaining - lead) } else { at })
            }
            _ => None,
        };
        targets.push(TargetState {
            kind,
            hours: target.hours,
            target_minutes: target.minutes,
            used_minutes: used / 60,
            due_at,
            warn_at,
            breached_at: wait.breached,
            breached_step: wait.breached.and(wait.breached_step),
            fulfilled_at: wait.fulfilled,
            breaches,
        });
    }
    let resolution = sim.policy.target(sim.priority, TargetKind::Resolution);
    let hours = resolution.map_or(Hours::Business, |t| t.hours);
    let steps = EscalationStep::ALL
        .iter()
        .map(|&step| {
            let w = &sim.steps[step.index()];
            let share = resolution.and_then(|t| sim.policy.step_share_seconds(step, t.minutes * 60));
            let used = w.used.get(hours);
            let due_at = match (w.due, share) {
                (Some(d), _) => Some(d),
                (None, Some(s)) if running && sim.resolution.running && sim.step == step => Some(sim.m.advance(at, hours, s - used)),
                _ => None,
            };
            StepState { step, used_minutes: used / 60, target_minutes: share.map(|s| s / 60), due_at, breached_at: w.breached }
        })
        .collect();
    SlaState { at, paused: matches!(sim.status, Status::Pending | Status::OnHold), targets, steps }
}
