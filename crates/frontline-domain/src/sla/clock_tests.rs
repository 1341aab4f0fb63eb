//! One test per rule of the SLA clock (see `clock.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::calendar::{BusinessCalendar, CalendarSpec, WeeklyHoursSpec};
use super::clock::{Change, SlaState, Timeline, sla_state};
use super::policy::{EscalationStep, PriorityTargets, SlaPolicy, Target, TargetKind};
use crate::ticket::{Priority, Status};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Hours from a fixed Monday midnight UTC, for the all-hours calendar.
fn h(hours: i64) -> DateTime<Utc> {
    utc("2026-06-01T00:00:00Z") + Duration::hours(hours)
}

fn m(minutes: i64) -> DateTime<Utc> {
    utc("2026-06-01T00:00:00Z") + Duration::minutes(minutes)
}

fn always() -> BusinessCalendar {
    BusinessCalendar::always(Tz::UTC)
}

fn berlin_office() -> BusinessCalendar {
    let spec = CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        hours: WeeklyHoursSpec::weekdays(&[("09:00", "12:00"), ("13:00", "17:30")]),
        holidays: vec![],
    };
    BusinessCalendar::new(&spec).unwrap_or_else(|e| panic!("{e}"))
}

fn policy(targets: &[(Priority, PriorityTargets)], shares: &[(EscalationStep, u8)]) -> SlaPolicy {
    SlaPolicy {
        conditions: vec![],
        targets: targets.iter().copied().collect::<BTreeMap<_, _>>(),
        step_shares: shares.iter().copied().collect(),
    }
    .checked()
    .unwrap_or_else(|e| panic!("{e}"))
}

fn only(kind: TargetKind, t: Target) -> PriorityTargets {
    let mut p = PriorityTargets::default();
    match kind {
        TargetKind::FirstReply => p.first_reply = Some(t),
        TargetKind::NextReply => p.next_reply = Some(t),
        TargetKind::Resolution => p.resolution = Some(t),
    }
    p
}

fn target(s: &SlaState, kind: TargetKind) -> &super::clock::TargetState {
    s.target(kind).unwrap_or_else(|| panic!("no {kind:?} target in {s:?}"))
}

#[test]
fn first_reply_on_business_hours_met_and_breached() {
    let cal = berlin_office();
    let p = policy(&[(Priority::Normal, only(TargetKind::FirstReply, Target::business(120)))], &[]);
    // Friday 2026-06-05 16:00 CEST: 90 minutes on Friday, 30 on Monday: due Monday 09:30 CEST.
    let created = utc("2026-06-05T14:00:00Z");
    let t = Timeline::new(created, Priority::Normal);
    let s = sla_state(&p, &cal, &t, utc("2026-06-06T10:00:00Z"));
    let fr = target(&s, TargetKind::FirstReply);
    assert_eq!((fr.used_minutes, fr.due_at, fr.breached_at), (90, Some(utc("2026-06-08T07:30:00Z")), None), "{fr:?}");
    let met = t.clone().at(utc("2026-06-08T07:20:00Z"), Change::AgentReply);
    let s = sla_state(&p, &cal, &met, utc("2026-06-09T12:00:00Z"));
    let fr = target(&s, TargetKind::FirstReply);
    assert_eq!((fr.used_minutes, fr.breached_at, fr.fulfilled_at, fr.due_at), (110, None, Some(utc("2026-06-08T07:20:00Z")), None));
    let late = t.at(utc("2026-06-08T08:00:00Z"), Change::AgentReply);
    let s = sla_state(&p, &cal, &late, utc("2026-06-09T12:00:00Z"));
    let fr = target(&s, TargetKind::FirstReply);
    assert_eq!((fr.breached_at, fr.breached_step, fr.used_minutes), (Some(utc("2026-06-08T07:30:00Z")), Some(EscalationStep::Tier1), 150));
}

#[test]
fn overdue_outside_hours_although_no_business_minute_passed() {
    // Due Friday 17:30; on Saturday the target is breached, at 17:30.
    let cal = berlin_office();
    let p = policy(&[(Priority::High, only(TargetKind::FirstReply, Target::business(90)))], &[]);
    let t = Timeline::new(utc("2026-06-05T14:00:00Z"), Priority::High);
    let at_due = sla_state(&p, &cal, &t, utc("2026-06-05T15:30:00Z"));
    assert_eq!(target(&at_due, TargetKind::FirstReply).breached_at, None, "due now is not yet overdue");
    let s = sla_state(&p, &cal, &t, utc("2026-06-06T09:00:00Z"));
    let fr = target(&s, TargetKind::FirstReply);
    assert_eq!((fr.used_minutes, fr.breached_at), (90, Some(utc("2026-06-05T15:30:00Z"))));
    // Answered at exactly the due instant: met.
    let s = sla_state(&p, &cal, &t.at(utc("2026-06-05T15:30:00Z"), Change::AgentReply), utc("2026-06-08T09:00:00Z"));
    assert_eq!(target(&s, TargetKind::FirstReply).breached_at, None);
}

#[test]
fn calendar_hours_count_every_minute() {
    let cal = berlin_office();
    let p = policy(&[(Priority::Normal, only(TargetKind::Resolution, Target::calendar(48 * 60)))], &[]);
    let t = Timeline::new(utc("2026-06-05T14:00:00Z"), Priority::Normal);
    let s = sla_state(&p, &cal, &t, utc("2026-06-06T14:00:00Z"));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.used_minutes, r.due_at), (24 * 60, Some(utc("2026-06-07T14:00:00Z"))));
}

#[test]
fn pending_and_on_hold_pause_every_target() {
    let targets = PriorityTargets { first_reply: Some(Target::calendar(180)), next_reply: None, resolution: Some(Target::calendar(240)) };
    let p = policy(&[(Priority::Normal, targets)], &[]);
    let t = Timeline::new(h(0), Priority::Normal)
        .at(h(1), Change::Status(Status::Pending))
        .at(h(2), Change::Status(Status::OnHold))
        .at(h(3), Change::Status(Status::Open));
    let paused = sla_state(&p, &always(), &t, m(150));
    assert!(paused.paused);
    assert_eq!(target(&paused, TargetKind::Resolution).used_minutes, 60);
    assert_eq!(target(&paused, TargetKind::Resolution).due_at, None, "no due time while paused");
    let s = sla_state(&p, &always(), &t, h(4));
    assert!(!s.paused);
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.used_minutes, r.due_at), (120, Some(h(6))));
    assert_eq!(target(&s, TargetKind::FirstReply).due_at, Some(h(5)));
}

#[test]
fn next_reply_waits_start_at_customer_messages() {
    let targets = PriorityTargets { first_reply: Some(Target::calendar(60)), next_reply: Some(Target::calendar(60)), resolution: None };
    let p = policy(&[(Priority::Normal, targets)], &[]);
    let t = Timeline::new(h(0), Priority::Normal)
        .at(m(10), Change::CustomerMessage) // before the first reply: part of that wait
        .at(m(30), Change::AgentReply)
        .at(h(2), Change::CustomerMessage)
        .at(m(150), Change::CustomerMessage) // a second message does not restart the wait
        .at(m(210), Change::AgentReply)
        .at(h(4), Change::CustomerMessage);
    let s = sla_state(&p, &always(), &t, m(250));
    let fr = target(&s, TargetKind::FirstReply);
    assert_eq!((fr.fulfilled_at, fr.breached_at), (Some(m(30)), None));
    let nr = target(&s, TargetKind::NextReply);
    assert_eq!((nr.used_minutes, nr.due_at, nr.breached_at, nr.breaches), (10, Some(h(5)), None, 1), "{nr:?}");
    let answered = t.at(m(260), Change::AgentReply);
    let s = sla_state(&p, &always(), &answered, h(6));
    let nr = target(&s, TargetKind::NextReply);
    assert_eq!((nr.fulfilled_at, nr.breaches, nr.due_at), (Some(m(260)), 1, None));
    // The breached wait, seen while it ran.
    let s = sla_state(&p, &always(), &answered, h(3) + Duration::minutes(20));
    let nr = target(&s, TargetKind::NextReply);
    assert_eq!((nr.breached_at, nr.breaches), (Some(h(3)), 1));
}

#[test]
fn a_priority_change_keeps_the_time_used() {
    let p = policy(
        &[
            (Priority::Normal, only(TargetKind::Resolution, Target::calendar(8 * 60))),
            (Priority::Urgent, only(TargetKind::Resolution, Target::calendar(2 * 60))),
            (Priority::Low, only(TargetKind::Resolution, Target::calendar(24 * 60))),
        ],
        &[],
    );
    let raised_early = Timeline::new(h(0), Priority::Normal).at(h(1), Change::Priority(Priority::Urgent));
    let r = sla_state(&p, &always(), &raised_early, m(90));
    assert_eq!(target(&r, TargetKind::Resolution).due_at, Some(h(2)));
    let raised_late = Timeline::new(h(0), Priority::Normal).at(h(3), Change::Priority(Priority::Urgent));
    let s = sla_state(&p, &always(), &raised_late, h(4));
    let res = target(&s, TargetKind::Resolution);
    assert_eq!(
        (res.breached_at, res.used_minutes, res.target_minutes),
        (Some(h(3)), 240, 120),
        "already over the new target: due at the change"
    );
    let lowered = Timeline::new(h(0), Priority::Normal).at(h(6), Change::Priority(Priority::Low));
    let s = sla_state(&p, &always(), &lowered, h(12));
    let res = target(&s, TargetKind::Resolution);
    assert_eq!((res.breached_at, res.due_at), (None, Some(h(24))));
    // A breach stays a breach when the priority goes down afterwards.
    let after = Timeline::new(h(0), Priority::Urgent).at(h(3), Change::Priority(Priority::Low));
    let s = sla_state(&p, &always(), &after, h(4));
    assert_eq!(target(&s, TargetKind::Resolution).breached_at, Some(h(2)));
    // A priority the policy sets no target for: nothing measured.
    let high = Timeline::new(h(0), Priority::High);
    assert!(sla_state(&p, &always(), &high, h(1)).targets.is_empty());
}

#[test]
fn solved_stops_and_reopening_resumes_resolution() {
    let targets = PriorityTargets { first_reply: Some(Target::calendar(600)), next_reply: None, resolution: Some(Target::calendar(240)) };
    let p = policy(&[(Priority::Normal, targets)], &[]);
    let t = Timeline::new(h(0), Priority::Normal).at(h(1), Change::Status(Status::Solved));
    let s = sla_state(&p, &always(), &t, h(3));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.fulfilled_at, r.due_at, r.used_minutes), (Some(h(1)), None, 60));
    assert_eq!(target(&s, TargetKind::FirstReply).fulfilled_at, Some(h(1)), "solving ends the wait for a reply");
    let reopened = t.at(h(5), Change::CustomerMessage).at(h(5), Change::Status(Status::Open));
    let s = sla_state(&p, &always(), &reopened, h(6));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.fulfilled_at, r.used_minutes, r.due_at), (None, 120, Some(h(8))));
    let late = sla_state(&p, &always(), &reopened, h(8) + Duration::minutes(1));
    assert_eq!(late.target_breached_at(TargetKind::Resolution), Some(h(8)), "breached and still waited for");
    let s = sla_state(&p, &always(), &reopened.clone().at(h(9), Change::Status(Status::Solved)), h(10));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.fulfilled_at, r.breached_at), (Some(h(9)), Some(h(8))));
    assert_eq!(s.target_breached_at(TargetKind::Resolution), None, "met late: no longer waited for");
    let closed = reopened.at(h(7), Change::Status(Status::Solved)).at(h(8), Change::Status(Status::Closed));
    let s = sla_state(&p, &always(), &closed, h(100));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.fulfilled_at, r.breached_at, r.used_minutes), (Some(h(7)), None, 180));
}

fn shared_policy() -> SlaPolicy {
    policy(
        &[(Priority::Normal, only(TargetKind::Resolution, Target::calendar(40 * 60)))],
        &[(EscalationStep::Tier1, 25), (EscalationStep::Tier2, 75)],
    )
}

#[test]
fn a_breach_goes_to_the_step_that_overran_its_share() {
    // Tier 1 keeps the ticket 20 hours (share: 10), tier 2 then uses 20 of
    // its 30: the target breaks while tier 2 holds it, but tier 1 used the time.
    let t = Timeline::new(h(0), Priority::Normal).at(h(20), Change::Step(EscalationStep::Tier2));
    let s = sla_state(&shared_policy(), &always(), &t, h(45));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.breached_at, r.breached_step), (Some(h(40)), Some(EscalationStep::Tier1)));
    let t1 = s.step(EscalationStep::Tier1);
    assert_eq!((t1.used_minutes, t1.target_minutes, t1.breached_at), (20 * 60, Some(10 * 60), Some(h(10))));
    let t2 = s.step(EscalationStep::Tier2);
    assert_eq!((t2.used_minutes, t2.target_minutes, t2.breached_at, t2.due_at), (25 * 60, Some(30 * 60), None, Some(h(50))));
    assert_eq!(s.step(EscalationStep::Engineering).target_minutes, None);
}

#[test]
fn a_step_within_its_share_is_not_blamed() {
    // Tier 1 hands over after 5 hours; tier 2 runs past its 30.
    let t = Timeline::new(h(0), Priority::Normal).at(h(5), Change::Step(EscalationStep::Tier2));
    let s = sla_state(&shared_policy(), &always(), &t, h(41));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.breached_at, r.breached_step), (Some(h(40)), Some(EscalationStep::Tier2)));
    assert_eq!(s.step(EscalationStep::Tier1).breached_at, None);
    assert_eq!(s.step(EscalationStep::Tier2).breached_at, Some(h(35)));
}

#[test]
fn without_shares_the_holder_takes_the_breach_and_pauses_are_nobodys() {
    let p = policy(&[(Priority::Normal, only(TargetKind::Resolution, Target::calendar(10 * 60)))], &[]);
    let t = Timeline::new(h(0), Priority::Normal)
        .at(h(2), Change::Step(EscalationStep::Tier2))
        .at(h(4), Change::Status(Status::Pending))
        .at(h(30), Change::Status(Status::Open))
        .at(h(31), Change::Step(EscalationStep::HeadOfSupport))
        .at(h(33), Change::Step(EscalationStep::Engineering));
    let s = sla_state(&p, &always(), &t, h(40));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.breached_at, r.breached_step), (Some(h(36)), Some(EscalationStep::Engineering)));
    let used: Vec<i64> = s.steps.iter().map(|x| x.used_minutes / 60).collect();
    assert_eq!(used, vec![2, 3, 2, 7], "the 26 hours pending belong to no step");
    assert_eq!(s.steps.iter().map(|x| x.used_minutes).sum::<i64>(), r.used_minutes);
}

#[test]
fn events_are_taken_in_time_order_and_the_future_is_ignored() {
    let p = policy(&[(Priority::Normal, only(TargetKind::Resolution, Target::calendar(600)))], &[]);
    let mut t = Timeline::new(h(0), Priority::Normal);
    t.events.push(super::clock::TimelineEvent { at: h(3), change: Change::Status(Status::Open) });
    t.events.push(super::clock::TimelineEvent { at: h(1), change: Change::Status(Status::Pending) });
    t.events.push(super::clock::TimelineEvent { at: h(50), change: Change::Status(Status::Solved) });
    let s = sla_state(&p, &always(), &t, h(4));
    let r = target(&s, TargetKind::Resolution);
    assert_eq!((r.used_minutes, r.fulfilled_at), (120, None));
}

#[test]
fn near_breach_counts_in_the_targets_hours_and_the_next_check_follows() {
    let cal = berlin_office();
    let p = policy(&[(Priority::Normal, only(TargetKind::FirstReply, Target::business(240)))], &[]);
    // Friday 16:00 CEST: 90 minutes used on Friday; due Monday 11:30 CEST; warned an hour of
    // business time before: Monday 10:30 CEST.
    let t = Timeline::new(utc("2026-06-05T14:00:00Z"), Priority::Normal);
    let s = sla_state(&p, &cal, &t, utc("2026-06-06T10:00:00Z"));
    assert_eq!(target(&s, TargetKind::FirstReply).warn_at, Some(utc("2026-06-08T08:30:00Z")));
    assert_eq!(s.next_due(), Some((TargetKind::FirstReply, utc("2026-06-08T09:30:00Z"))));
    assert_eq!((s.warn_at(), s.next_check_at()), (Some(utc("2026-06-08T08:30:00Z")), Some(utc("2026-06-08T08:30:00Z"))));
    // Inside the warning window: near breach since the instant asked about; the next check is the due time.
    let s = sla_state(&p, &cal, &t, utc("2026-06-08T08:40:00Z"));
    assert_eq!(s.warn_at(), Some(utc("2026-06-08T08:40:00Z")));
    assert_eq!(s.next_check_at(), Some(utc("2026-06-08T09:30:00Z")));
    // Asked at the due instant itself: not breached yet, so look again just after it.
    let s = sla_state(&p, &cal, &t, utc("2026-06-08T09:30:00Z"));
    assert_eq!((s.breached_at(), s.next_check_at()), (None, Some(utc("2026-06-08T09:30:01Z"))));
    // Breached: no warning any more, the breach stays until the reply.
    let s = sla_state(&p, &cal, &t, utc("2026-06-08T10:00:00Z"));
    assert_eq!((target(&s, TargetKind::FirstReply).warn_at, s.breached_at()), (None, Some(utc("2026-06-08T09:30:00Z"))));
    assert_eq!(s.next_check_at(), None, "nothing left to happen by time alone");
    // Paused: nothing is due, nothing to check.
    let pending = t.clone().at(utc("2026-06-05T14:30:00Z"), Change::Status(Status::Pending));
    let s = sla_state(&p, &cal, &pending, utc("2026-06-06T10:00:00Z"));
    assert_eq!((s.next_due(), s.next_check_at()), (None, None));
    assert_eq!(super::clock::warning_lead_minutes(10), 2);
    assert_eq!(super::clock::warning_lead_minutes(2), 1);
    assert_eq!(super::clock::warning_lead_minutes(24 * 60), 60);
}
