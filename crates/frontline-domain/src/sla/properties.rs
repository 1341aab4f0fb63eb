//! Property tests of the business-time arithmetic and the SLA clock, with
//! instants drawn around both DST changes in Berlin and New York as often
//! as anywhere else.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;

use super::calendar::{BusinessCalendar, CalendarSpec, IntervalSpec, WeeklyHoursSpec};
use super::clock::{Change, Timeline, sla_state};
use super::policy::{EscalationStep, Hours, PriorityTargets, SlaPolicy, Target, TargetKind};
use crate::ticket::{Priority, Status};

fn cal(zone: &str, hours: WeeklyHoursSpec, holidays: &[(i32, u32, u32)]) -> BusinessCalendar {
    let holidays = holidays.iter().filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d)).collect();
    BusinessCalendar::new(&CalendarSpec { time_zone: zone.into(), hours, holidays }).unwrap_or_else(|e| panic!("{e}"))
}

/// Calendars with split days, weekends, holidays, night shifts across
/// midnight (as two intervals), and hours inside the hour DST moves.
fn calendars() -> Vec<BusinessCalendar> {
    let office = WeeklyHoursSpec::weekdays(&[("09:00", "12:00"), ("13:00", "17:30")]);
    let night = WeeklyHoursSpec {
        sat: vec![IntervalSpec::new("22:00", "24:00")],
        sun: vec![IntervalSpec::new("00:00", "03:30"), IntervalSpec::new("22:00", "24:00")],
        mon: vec![IntervalSpec::new("00:00", "02:15")],
        ..Default::default()
    };
    let mut all = WeeklyHoursSpec::default();
    for d in [&mut all.mon, &mut all.tue, &mut all.wed, &mut all.thu, &mut all.fri, &mut all.sat, &mut all.sun] {
        *d = vec![IntervalSpec::new("00:00", "24:00")];
    }
    vec![
        cal("Europe/Berlin", office.clone(), &[(2026, 4, 3), (2026, 4, 6), (2026, 12, 25), (2026, 12, 26), (2027, 1, 1)]),
        cal("America/New_York", office, &[(2026, 11, 26), (2026, 12, 25), (2027, 1, 1)]),
        cal("Europe/Berlin", night.clone(), &[]),
        cal("America/New_York", night, &[(2026, 3, 8)]),
        cal("America/New_York", all, &[(2026, 7, 4)]),
    ]
}

/// The four DST changes of 2026 in the two zones.
const DST: [&str; 4] = ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z", "2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"];

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let base = DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default();
    prop_oneof![
        // Anywhere over two years, to the minute.
        (0i64..2 * 366 * 24 * 60).prop_map(move |m| base + Duration::minutes(m)),
        // Within four days of a DST change, to the second.
        (0usize..4, -4 * 86_400i64..4 * 86_400).prop_map(|(i, s)| {
            DateTime::parse_from_rfc3339(DST[i]).map(|d| d.with_timezone(&Utc)).unwrap_or_default() + Duration::seconds(s)
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Adding N business minutes and measuring back gives N, and the
    /// instant found is the first one that does.
    #[test]
    fn add_then_measure_round_trips(c in 0usize..5, start in instant(), minutes in 0i64..30_000) {
        let cal = &calendars()[c];
        let end = cal.add_business_minutes(start, minutes);
        prop_assert_eq!(cal.business_seconds(start, end), minutes * 60);
        if minutes > 0 {
            prop_assert!(cal.business_seconds(start, end - Duration::seconds(1)) < minutes * 60);
        }
        prop_assert!(end >= start);
    }

    /// Business time adds up over consecutive spans, never exceeds the wall
    /// clock, and grows with the end of the span.
    #[test]
    fn measuring_is_additive_bounded_and_monotone(c in 0usize..5, a in instant(), d1 in 0i64..20 * 86_400, d2 in 0i64..20 * 86_400) {
        let cal = &calendars()[c];
        let b = a + Duration::seconds(d1);
        let e = b + Duration::seconds(d2);
        let ab = cal.business_seconds(a, b);
        let be = cal.business_seconds(b, e);
        prop_assert_eq!(cal.business_seconds(a, e), ab + be);
        prop_assert!(ab <= d1 && be <= d2);
        prop_assert!(ab >= 0 && be >= 0);
        prop_assert_eq!(cal.business_seconds(e, a), 0, "a reversed span is empty");
    }

    /// Any input, however large, lands where the longest target does:
    /// nothing overflows and no due time drifts to the end of time.
    #[test]
    fn huge_additions_stop_at_the_longest_target(c in 0usize..5, start in instant(), seconds in super::calendar::ADD_SECONDS_MAX..=i64::MAX) {
        let cal = &calendars()[c];
        let capped = cal.add_business_seconds(start, super::calendar::ADD_SECONDS_MAX);
        prop_assert_eq!(cal.add_business_seconds(start, seconds), capped);
        prop_assert!(capped < start + Duration::days(20 * 366), "{}", capped);
    }

    /// Adding more minutes never gives an earlier instant.
    #[test]
    fn adding_is_monotone(c in 0usize..5, start in instant(), m1 in 0i64..10_000, more in 0i64..10_000) {
        let cal = &calendars()[c];
        prop_assert!(cal.add_business_minutes(start, m1) <= cal.add_business_minutes(start, m1 + more));
    }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Status(Status),
    Priority(Priority),
    Escalate(EscalationStep),
    Reply,
    Customer,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        prop::sample::select(vec![Status::Open, Status::Pending, Status::OnHold, Status::Solved]).prop_map(Step::Status),
        prop::sample::select(vec![Priority::Low, Priority::Normal, Priority::High, Priority::Urgent]).prop_map(Step::Priority),
        prop::sample::select(EscalationStep::ALL.to_vec()).prop_map(Step::Escalate),
        Just(Step::Reply),
        Just(Step::Customer),
    ]
}

fn policy(hours: Hours) -> SlaPolicy {
    let t = |m| Some(Target { minutes: m, hours });
    let targets = [(Priority::Low, 5000), (Priority::Normal, 2000), (Priority::High, 600), (Priority::Urgent, 120)]
        .into_iter()
        .map(|(p, r)| (p, PriorityTargets { first_reply: t(r / 4), next_reply: t(r / 8), resolution: t(r) }))
        .collect();
    SlaPolicy {
        conditions: vec![],
        targets,
        step_shares: [(EscalationStep::Tier1, 20), (EscalationStep::Tier2, 50), (EscalationStep::HeadOfSupport, 30)].into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// Over random lives of a ticket (minute-aligned, so that minutes are
    /// exact): the resolution time used is exactly the business time while
    /// the ticket was new or open (pauses and solved time never count), the
    /// steps' times add up to it, it never shrinks as time goes on, and a
    /// breach is never in the future nor without the target used up.
    #[test]
    fn the_clock_counts_only_running_time_and_splits_it_by_step(
        c in 0usize..5,
        start in (0i64..366 * 24 * 60).prop_map(|m| DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default() + Duration::minutes(m)),
        business in any::<bool>(),
        events in prop::collection::vec((1i64..3 * 24 * 60, step()), 0..25),
        tail in 0i64..5 * 24 * 60,
    ) {
        let cal = &calendars()[c];
        let hours = if business { Hours::Business } else { Hours::Calendar };
        let policy = policy(hours);
        let mut timeline = Timeline::new(start, Priority::Normal);
        let mut at = start;
        let mut status = Status::New;
        let mut running_spans = Vec::new();
        for (gap, s) in &events {
            let next = at + Duration::minutes(*gap);
            if matches!(status, Status::New | Status::Open) {
                running_spans.push((at, next));
            }
            at = next;
            let change = match *s {
                Step::Status(to) => {
                    status = to;
                    Change::Status(to)
                }
                Step::Priority(p) => Change::Priority(p),
                Step::Escalate(x) => Change::Step(x),
                Step::Reply => Change::AgentReply,
                Step::Customer => Change::CustomerMessage,
            };
            timeline = timeline.at(at, change);
        }
        let end = at + Duration::minutes(tail);
        if matches!(status, Status::New | Status::Open) {
            running_spans.push((at, end));
        }
        let measure = |a, b| match hours {
            Hours::Business => cal.business_seconds(a, b),
            Hours::Calendar => (b - a).num_seconds(),
        };
        let expected: i64 = running_spans.iter().map(|(a, b)| measure(*a, *b)).sum();
        let state = sla_state(&policy, cal, &timeline, end);
        let res = state.target(TargetKind::Resolution).cloned();
        prop_assert!(res.is_some());
        let res = res.unwrap_or_else(|| unreachable!());
        prop_assert_eq!(res.used_minutes * 60, expected);
        prop_assert_eq!(state.steps.iter().map(|s| s.used_minutes).sum::<i64>(), res.used_minutes);
        for t in &state.targets {
            if let Some(b) = t.breached_at {
                prop_assert!(b <= end, "breach in the future: {:?}", t);
                prop_assert!(t.breached_step.is_some());
            }
            if let (Some(due), None, None, false) = (t.due_at, t.breached_at, t.fulfilled_at, state.paused) {
                prop_assert!(due >= end, "due in the past but not breached: {:?}", t);
            }
        }
        // Earlier instants never show more time used.
        let half = start + (end - start) / 2;
        let earlier = sla_state(&policy, cal, &timeline, half);
        for (e, l) in earlier.steps.iter().zip(&state.steps) {
            prop_assert!(e.used_minutes <= l.used_minutes);
        }
        prop_assert!(earlier.target(TargetKind::Resolution).map_or(0, |t| t.used_minutes) <= res.used_minutes);
    }
}
