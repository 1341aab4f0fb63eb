//! Business-hours calendars and the arithmetic on them.
//!
//! A calendar says which instants are business time: those whose local
//! wall-clock time, in the calendar's IANA zone, falls inside one of the
//! weekly intervals of a day that is not a holiday. Defining it on instants
//! (not on wall-clock readings) settles both DST changes without special
//! cases: a local time skipped in spring is never business time, and an hour
//! that happens twice in autumn counts twice, because it is lived twice.
//!
//! Everything here takes the instants it needs; nothing reads the clock.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{DomainError, FieldError};

const NS: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * NS;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// An instant as nanoseconds since the epoch (exact from 1677 to 2262;
/// instants beyond are held at those ends, far from any ticket).
fn ns(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 { i64::MIN / 2 } else { i64::MAX / 2 })
}

/// The most business time one addition measures out: the longest target
/// a policy may set (`policy::TARGET_MINUTES_MAX`). Larger inputs are held
/// here, so a due time is always a few years out at most, never 2262.
pub const ADD_SECONDS_MAX: i64 = super::policy::TARGET_MINUTES_MAX * 60;

/// Minutes in a day; an interval may end at "24:00".
const DAY_MINUTES: u16 = 24 * 60;
/// More holidays than any region has in decades; keeps a calendar small.
pub const HOLIDAYS_MAX: usize = 1000;
/// Intervals per weekday (a split shift needs two or three).
pub const INTERVALS_PER_DAY_MAX: usize = 8;

/// One opening interval as typed: "09:00" to "17:30" (end may be "24:00").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntervalSpec {
    pub start: String,
    pub end: String,
}

impl IntervalSpec {
    pub fn new(start: &str, end: &str) -> Self {
        Self { start: start.into(), end: end.into() }
    }
}

/// Opening intervals per weekday, as typed (JSON: `{"mon": [{"start":
/// "09:00", "end": "17:30"}], ...}`); a missing day is closed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHoursSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<IntervalSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<IntervalSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<IntervalSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<IntervalSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<IntervalSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<IntervalSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<IntervalSpec>,
}

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WeeklyHoursSpec {
    fn days(&self) -> [&Vec<IntervalSpec>; 7] {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun]
    }

    fn days_mut(&mut self) -> [&mut Vec<IntervalSpec>; 7] {
        [&mut self.mon, &mut self.tue, &mut self.wed, &mut self.thu, &mut self.fri, &mut self.sat, &mut self.sun]
    }

    /// The same intervals on Monday to Friday (a common office week).
    pub fn weekdays(intervals: &[(&str, &str)]) -> Self {
        let mut w = Self::default();
        for day in w.days_mut().into_iter().take(5) {
            *day = intervals.iter().map(|(s, e)| IntervalSpec::new(s, e)).collect();
        }
        w
    }
}

/// A calendar as typed or stored, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpec {
    pub time_zone: String,
    pub hours: WeeklyHoursSpec,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

/// A checked interval of a day, in minutes since local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Interval {
    start: u16,
    end: u16,
}

/// A checked business-hours calendar. Made only by `BusinessCalendar::new`.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    zone: Tz,
    /// Monday first; sorted and disjoint.
    week: [Vec<Interval>; 7],
    holidays: BTreeSet<NaiveDate>,
}

fn parse_clock(field: &str, raw: &str) -> Result<u16, DomainError> {
    let bad = || DomainError::invalid(field, format!("'{raw}' is not a time of day; write it as HH:MM, from 00:00 to 24:00"));
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h * 60 + m > DAY_MINUTES {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn clock_text(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// One weekday's intervals, sorted, each a real span of the day, none
/// overlapping another; errors name `hours.<day>`.
fn check_day(key: &str, day: &[IntervalSpec]) -> Result<Vec<Interval>, DomainError> {
    let field = format!("hours.{key}");
    if day.len() > INTERVALS_PER_DAY_MAX {
        return Err(DomainError::invalid(field, format!("at most {INTERVALS_PER_DAY_MAX} intervals a day")));
    }
    let mut parsed = Vec::with_capacity(day.len());
    for iv in day {
        let start = parse_clock(&field, &iv.start)?;
        let end = parse_clock(&field, &iv.end)?;
        if start >= end {
            return Err(DomainError::invalid(
                field,
                format!("{}–{} ends before it starts; an interval cannot cross midnight, split it at 24:00", iv.start, iv.end),
            ));
        }
        parsed.push(Interval { start, end });
    }
    parsed.sort();
    if let Some(w) = parsed.windows(2).find(|w| w[1].start < w[0].end) {
        return Err(DomainError::invalid(
            field,
            format!("{}–{} overlaps {}–{}", clock_text(w[0].start), clock_text(w[0].end), clock_text(w[1].start), clock_text(w[1].end)),
        ));
    }
    Ok(parsed)
}

fn check_holidays(holidays: &[NaiveDate]) -> Result<(), DomainError> {
    if holidays.len() > HOLIDAYS_MAX {
        return Err(DomainError::invalid("holidays", format!("at most {HOLIDAYS_MAX} holidays")));
    }
    Ok(())
}

/// Parse an IANA zone name ("Europe/Berlin"), naming the field when unknown.
pub fn parse_time_zone(raw: &str) -> Result<Tz, DomainError> {
    raw.trim().parse::<Tz>().map_err(|_| {
        DomainError::invalid("time_zone", format!("'{}' is not a known IANA time zone (for example Europe/Berlin)", raw.trim()))
    })
}

/// Every IANA zone name, for a form's choices.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

/// Holidays as typed in a form: dates (2026-12-25) separated by commas,
/// spaces or lines; a date that is not one is refused naming `holidays`.
pub fn parse_holidays(raw: &str) -> Result<Vec<NaiveDate>, DomainError> {
    let mut out: Vec<NaiveDate> =
        raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|d| !d.is_empty()).map(parse_holiday).collect::<Result<_, _>>()?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// One holiday, as a date (2026-12-25).
pub fn parse_holiday(d: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map_err(|_| DomainError::invalid("holidays", format!("'{d}' is not a date; write dates as 2026-12-25")))
}

impl BusinessCalendar {
    /// Check a calendar: a known zone, intervals that are times of day with
    /// the start before the end and no two overlapping on a day, at least
    /// one business minute a week, and a bounded list of holidays. The
    /// first problem is returned; `problems` lists them all for a form.
    pub fn new(spec: &CalendarSpec) -> Result<Self, DomainError> {
        let zone = parse_time_zone(&spec.time_zone)?;
        let mut week: [Vec<Interval>; 7] = Default::default();
        for (i, day) in spec.hours.days().into_iter().enumerate() {
            week[i] = check_day(DAY_KEYS[i], day)?;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(DomainError::invalid("hours", "a calendar needs business hours on at least one day"));
        }
        check_holidays(&spec.holidays)?;
        Ok(Self { zone, week, holidays: spec.holidays.iter().copied().collect() })
    }

    /// Every field's problem at once (zone, each day, holidays), so that a
    /// form can show them all after one submit; empty when `new` accepts it.
    pub fn problems(spec: &CalendarSpec) -> Vec<FieldError> {
        let mut out = Vec::new();
        let mut push = |r: Result<(), DomainError>| {
            if let Err(DomainError::Invalid(f)) = r {
                out.push(f);
            }
        };
        push(parse_time_zone(&spec.time_zone).map(|_| ()));
        let mut any_hours = false;
        for (i, day) in spec.hours.days().into_iter().enumerate() {
            let checked = check_day(DAY_KEYS[i], day);
            any_hours |= checked.as_ref().is_ok_and(|d| !d.is_empty()) || (checked.is_err() && !day.is_empty());
            push(checked.map(|_| ()));
        }
        if !any_hours {
            push(Err(DomainError::invalid("hours", "a calendar needs business hours on at least one day")));
        }
        push(check_holidays(&spec.holidays));
        out
    }

    /// Every day, all day: business time is all time (useful in tests and
    /// as the neutral calendar).
    pub fn always(zone: Tz) -> Self {
        Self { zone, week: std::array::from_fn(|_| vec![Interval { start: 0, end: DAY_MINUTES }]), holidays: BTreeSet::new() }
    }

    pub fn time_zone(&self) -> Tz {
        self.zone
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    /// The calendar in its normal written form (sorted intervals and
    /// holidays), for storage and for showing it again.
    pub fn spec(&self) -> CalendarSpec {
        let mut hours = WeeklyHoursSpec::default();
        for (day, ivs) in hours.days_mut().into_iter().zip(&self.week) {
            *day = ivs.iter().map(|iv| IntervalSpec { start: clock_text(iv.start), end: clock_text(iv.end) }).collect();
        }
        CalendarSpec { time_zone: self.zone.name().to_string(), hours, holidays: self.holidays.iter().copied().collect() }
    }

    /// The zone's offset from UTC at an instant (nanoseconds since the epoch), in nanoseconds.
    fn offset_ns(&self, at: i64) -> i64 {
        let utc = DateTime::from_timestamp_nanos(at).naive_utc();
        i64::from(self.zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * NS
    }

    /// Split `[from, to)` (nanoseconds since the epoch) into runs of one
    /// UTC offset. Offsets are sampled every 12 hours and each change is
    /// found to the second by bisection: no zone in use changes its offset
    /// twice within 12 hours (DST changes are months apart), and sampling is
    /// much of the cost of measuring, which the scheduler does for every
    /// open ticket.
    fn offset_runs(&self, from: i64, to: i64) -> Vec<(i64, i64, i64)> {
        let step = 12 * HOUR;
        let mut runs = Vec::new();
        let (mut run_start, mut run_offset) = (from, self.offset_ns(from));
        let mut prev = from;
        while prev < to {
            let next = prev.saturating_add(step).min(to);
            let offset = self.offset_ns(next);
            if offset != run_offset {
                // The change lies in (prev, next] and falls on a whole
                // second: find that second.
                let (mut lo, mut hi) = (prev.div_euclid(NS), next.div_euclid(NS) + i64::from(next.rem_euclid(NS) > 0));
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if self.offset_ns(mid * NS) == run_offset {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let change = (hi * NS).min(next);
                runs.push((run_start, change, run_offset));
                run_start = change;
                run_offset = self.offset_ns(change);
            }
            prev = next;
        }
        runs.push((run_start, to, run_offset));
        runs
    }

    /// Business time inside `[from, to)` in nanoseconds since the epoch, as
    /// sorted, disjoint spans. Plain integer arithmetic: this is the inner
    /// loop of every SLA computation.
    fn spans_ns(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        if from >= to {
            return Vec::new();
        }
        // No zone is more than 14 hours from UTC, so the instants in the
        // window have local dates within a day of the window's own.
        let runs = self.offset_runs(from.saturating_sub(15 * HOUR), to.saturating_add(15 * HOUR));
        let first_day = from.div_euclid(DAY) - 1;
        let last_day = to.div_euclid(DAY) + 1;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let mut out: Vec<(i64, i64)> = Vec::new();
        for day in first_day..=last_day {
            let date = epoch.checked_add_signed(Duration::days(day)).unwrap_or(epoch);
            if !self.holidays.is_empty() && self.holidays.contains(&date) {
                continue;
            }
            // 1970-01-01 was a Thursday (index 3, Monday first).
            let weekday = (day + 3).rem_euclid(7) as usize;
            let midnight = day * DAY;
            for iv in &self.week[weekday] {
                let local_start = midnight + i64::from(iv.start) * MINUTE;
                let local_end = midnight + i64::from(iv.end) * MINUTE;
                for &(run_from, run_to, offset) in &runs {
                    // In a run of one offset, local = utc + offset exactly.
                    let s = (local_start - offset).max(run_from).max(from);
                    let e = (local_end - offset).min(run_to).min(to);
                    if s < e {
                        out.push((s, e));
                    }
                }
            }
        }
        out.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(out.len());
        for (s, e) in out {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }

    /// Business time inside `[from, to)`, as sorted, disjoint UTC spans.
    pub fn spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        self.spans_ns(ns(from), ns(to))
            .into_iter()
            .map(|(s, e)| (DateTime::from_timestamp_nanos(s), DateTime::from_timestamp_nanos(e)))
            .collect()
    }

    /// Whole business seconds in `[from, to)`; zero when `to` is not after `from`.
    pub fn business_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.spans_ns(ns(from), ns(to)).iter().map(|(s, e)| e - s).sum::<i64>() / NS
    }

    /// Whole business minutes in `[from, to)`.
    pub fn business_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.business_seconds(from, to) / 60
    }

    /// The earliest instant by which `seconds` of business time have passed
    /// since `start` (`start` itself for zero). The walk goes a week at a
    /// time; a valid calendar has business time in every week that is not
    /// all holidays, and holidays are bounded, so it ends.
    ///
    /// `seconds` is capped at `ADD_SECONDS_MAX` (the longest target a
    /// policy may set), so no input walks towards the end of representable
    /// time or overflows on the way.
    pub fn add_business_seconds(&self, start: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
        if seconds <= 0 {
            return start;
        }
        let seconds = seconds.min(ADD_SECONDS_MAX);
        let mut left = seconds * NS;
        let mut window = ns(start);
        // Bound the walk anyway: one business second per week at worst,
        // after the holidays, is far beyond any target a policy allows.
        let weeks_max = (HOLIDAYS_MAX as i64) + seconds + 2;
        for _ in 0..weeks_max {
            let window_end = window.saturating_add(7 * DAY);
            for (s, e) in self.spans_ns(window, window_end) {
                if e - s >= left {
                    return DateTime::from_timestamp_nanos(s + left);
                }
                left -= e - s;
            }
            if window_end == window {
                break;
            }
            window = window_end;
        }
        DateTime::from_timestamp_nanos(window)
    }

    /// The instant `minutes` business minutes after `start`.
    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        self.add_business_seconds(start, minutes.saturating_mul(60))
    }

    /// Local date of an instant in this calendar's zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn office(zone: &str) -> BusinessCalendar {
        let spec = CalendarSpec {
            time_zone: zone.into(),
            hours: WeeklyHoursSpec::weekdays(&[("09:00", "12:00"), ("13:00", "17:30")]),
            holidays: vec![],
        };
        BusinessCalendar::new(&spec).unwrap_or_else(|e| panic!("{e}"))
    }

    fn field_of(r: Result<BusinessCalendar, DomainError>) -> String {
        match r {
            Err(DomainError::Invalid(f)) => f.field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    fn spec(zone: &str, hours: WeeklyHoursSpec) -> CalendarSpec {
        CalendarSpec { time_zone: zone.into(), hours, holidays: vec![] }
    }

    #[test]
    fn bad_calendars_name_their_field() {
        let hours = WeeklyHoursSpec::weekdays(&[("09:00", "17:00")]);
        assert_eq!(field_of(BusinessCalendar::new(&spec("Mars/Olympus", hours.clone()))), "time_zone");
        let mut overlapping = hours.clone();
        overlapping.wed = vec![IntervalSpec::new("13:00", "17:00"), IntervalSpec::new("09:00", "13:30")];
        let e = BusinessCalendar::new(&spec("Europe/Berlin", overlapping));
        assert!(matches!(&e, Err(DomainError::Invalid(f)) if f.field == "hours.wed" && f.message.contains("overlaps")), "{e:?}");
        let mut inverted = hours.clone();
        inverted.sat = vec![IntervalSpec::new("18:00", "08:00")];
        assert_eq!(field_of(BusinessCalendar::new(&spec("Europe/Berlin", inverted))), "hours.sat");
        let mut empty = hours.clone();
        empty.mon = vec![IntervalSpec::new("10:00", "10:00")];
        assert_eq!(field_of(BusinessCalendar::new(&spec("Europe/Berlin", empty))), "hours.mon");
        for bad in ["9:00", "24:30", "12:60", "noon", "-1:00"] {
            let mut h = hours.clone();
            h.fri = vec![IntervalSpec::new(bad, "23:00")];
            assert_eq!(field_of(BusinessCalendar::new(&spec("Europe/Berlin", h))), "hours.fri", "{bad}");
        }
        assert_eq!(field_of(BusinessCalendar::new(&spec("UTC", WeeklyHoursSpec::default()))), "hours");
        let many = CalendarSpec {
            time_zone: "UTC".into(),
            hours,
            holidays: (0..=HOLIDAYS_MAX as u64)
                .filter_map(|d| NaiveDate::from_ymd_opt(2020, 1, 1)?.checked_add_days(chrono::Days::new(d)))
                .collect(),
        };
        assert_eq!(field_of(BusinessCalendar::new(&many)), "holidays");
    }

    #[test]
    fn a_form_gets_every_problem_at_once() {
        let mut hours = WeeklyHoursSpec::weekdays(&[("09:00", "17:00")]);
        hours.tue = vec![IntervalSpec::new("09:00", "13:00"), IntervalSpec::new("12:00", "17:00")];
        hours.thu = vec![IntervalSpec::new("17:00", "09:00")];
        let bad = spec("Europe/Berln", hours);
        let fields: Vec<String> = BusinessCalendar::problems(&bad).into_iter().map(|f| f.field).collect();
        assert_eq!(fields, vec!["time_zone", "hours.tue", "hours.thu"]);
        assert_eq!(field_of(BusinessCalendar::new(&bad)), "time_zone", "new stops at the first, in the same order");
        let closed = spec("Nowhere", WeeklyHoursSpec::default());
        let fields: Vec<String> = BusinessCalendar::problems(&closed).into_iter().map(|f| f.field).collect();
        assert_eq!(fields, vec!["time_zone", "hours"]);
        assert!(BusinessCalendar::problems(&office("Europe/Berlin").spec()).is_empty());
    }

    #[test]
    fn touching_intervals_and_24_00_are_fine_and_spec_round_trips() {
        let h =
            WeeklyHoursSpec { sun: vec![IntervalSpec::new("12:00", "24:00"), IntervalSpec::new("00:00", "12:00")], ..Default::default() };
        let cal = BusinessCalendar::new(&spec(" America/New_York ", h)).unwrap_or_else(|e| panic!("{e}"));
        let written = cal.spec();
        assert_eq!(written.time_zone, "America/New_York");
        assert_eq!(written.hours.sun, vec![IntervalSpec::new("00:00", "12:00"), IntervalSpec::new("12:00", "24:00")]);
        assert_eq!(BusinessCalendar::new(&written).as_ref(), Ok(&cal));
        let json = serde_json::to_string(&written).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"time_zone":"America/New_York","hours":{"sun":[{"start":"00:00","end":"12:00"},{"start":"12:00","end":"24:00"}]},"holidays":[]}"#
        );
        // A whole Sunday (EDT in June) is 24 business hours, midnight to midnight.
        assert_eq!(cal.business_minutes_between(utc("2026-06-07T04:00:00Z"), utc("2026-06-08T04:00:00Z")), 24 * 60);
    }

    #[test]
    fn split_days_weekends_and_holidays() {
        let mut cal = office("Europe/Berlin");
        // Friday 2026-06-05 16:00 CEST to Monday 10:00: 1.5 h Friday, 1 h Monday.
        assert_eq!(cal.business_minutes_between(utc("2026-06-05T14:00:00Z"), utc("2026-06-08T08:00:00Z")), 150);
        // The lunch break does not count.
        assert_eq!(cal.business_minutes_between(utc("2026-06-08T09:30:00Z"), utc("2026-06-08T11:30:00Z")), 60);
        // 90 minutes from Friday 16:00 is the close; one more minute is Monday 09:01.
        assert_eq!(cal.add_business_minutes(utc("2026-06-05T14:00:00Z"), 90), utc("2026-06-05T15:30:00Z"));
        assert_eq!(cal.add_business_minutes(utc("2026-06-05T14:00:00Z"), 91), utc("2026-06-08T07:01:00Z"));
        // Starting outside hours: the first minute is the next opening.
        assert_eq!(cal.add_business_minutes(utc("2026-06-06T10:00:00Z"), 1), utc("2026-06-08T07:01:00Z"));
        assert_eq!(cal.add_business_minutes(utc("2026-06-06T10:00:00Z"), 0), utc("2026-06-06T10:00:00Z"));
        // Whit Monday off: Friday's last minute leads to Tuesday.
        cal.holidays.insert(NaiveDate::from_ymd_opt(2026, 6, 8).unwrap_or_default());
        assert_eq!(cal.add_business_minutes(utc("2026-06-05T14:00:00Z"), 91), utc("2026-06-09T07:01:00Z"));
        assert_eq!(cal.business_minutes_between(utc("2026-06-05T00:00:00Z"), utc("2026-06-09T00:00:00Z")), 450);
        // A week of business time is five days of 7.5 hours.
        assert_eq!(cal.business_minutes_between(utc("2026-06-15T00:00:00Z"), utc("2026-06-22T00:00:00Z")), 5 * 450);
    }

    #[test]
    fn holidays_as_typed() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
        assert_eq!(parse_holidays(" 2026-12-25,2026-01-01\n2026-12-25 "), Ok(vec![d(1, 1), d(12, 25)]));
        assert_eq!(parse_holidays(""), Ok(vec![]));
        assert!(
            matches!(parse_holidays("2026-12-25 25.12.2026"), Err(DomainError::Invalid(f)) if f.field == "holidays" && f.message.contains("25.12.2026"))
        );
        assert!(time_zone_names().any(|z| z == "Europe/Berlin"));
    }

    #[test]
    fn huge_additions_are_capped_at_the_longest_target() {
        let cal = office("Europe/Berlin");
        let start = utc("2026-06-08T07:00:00Z");
        let longest = cal.add_business_seconds(start, ADD_SECONDS_MAX);
        for huge in [ADD_SECONDS_MAX + 1, i64::MAX / NS, i64::MAX] {
            assert_eq!(cal.add_business_seconds(start, huge), longest, "{huge}");
        }
        assert_eq!(cal.add_business_minutes(start, i64::MAX), longest, "minutes saturate, then are capped");
        // A year of business minutes at 37.5 hours a week: under five years.
        assert!(longest < utc("2031-06-08T00:00:00Z"), "{longest}");
        assert_eq!(cal.business_seconds(start, longest), ADD_SECONDS_MAX);
    }

    #[test]
    fn fractions_of_a_second_are_kept() {
        // The store keeps microseconds: measuring floors the total once, and
        // adding lands exactly that far after a start inside the hours.
        let cal = office("Europe/Berlin");
        let start = utc("2026-06-08T07:00:00.500000Z");
        assert_eq!(cal.business_seconds(start, utc("2026-06-08T07:01:00.250000Z")), 59);
        assert_eq!(cal.add_business_seconds(start, 60), utc("2026-06-08T07:01:00.500000Z"));
        // Across the lunch break the fraction carries over.
        assert_eq!(cal.add_business_minutes(utc("2026-06-08T09:59:30.250000Z"), 1), utc("2026-06-08T11:00:30.250000Z"));
    }

    #[test]
    fn a_holiday_is_a_local_date() {
        // 2026-12-24 is a holiday in New York; 23:30 EST on the 23rd is
        // already the 24th in UTC and still a business day there.
        let mut h = WeeklyHoursSpec::default();
        for d in h.days_mut() {
            *d = vec![IntervalSpec::new("00:00", "24:00")];
        }
        let mut s = spec("America/New_York", h);
        s.holidays = vec![NaiveDate::from_ymd_opt(2026, 12, 24).unwrap_or_default()];
        let cal = BusinessCalendar::new(&s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cal.business_minutes_between(utc("2026-12-24T04:30:00Z"), utc("2026-12-24T05:00:00Z")), 30);
        assert_eq!(cal.business_minutes_between(utc("2026-12-24T05:00:00Z"), utc("2026-12-25T05:00:00Z")), 0);
        assert_eq!(cal.add_business_minutes(utc("2026-12-24T04:59:00Z"), 2), utc("2026-12-25T05:01:00Z"));
    }

    /// Hours 01:00–04:00 every day, around both changes in each zone: the
    /// skipped hour is not business time, the repeated hour counts twice.
    #[test]
    fn both_dst_changes_in_berlin_and_new_york() {
        let mut h = WeeklyHoursSpec::default();
        for d in h.days_mut() {
            *d = vec![IntervalSpec::new("01:00", "04:00")];
        }
        for (zone, spring, autumn) in [
            ("Europe/Berlin", ("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"), ("2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z")),
            ("America/New_York", ("2026-03-07T18:00:00Z", "2026-03-08T18:00:00Z"), ("2026-10-31T18:00:00Z", "2026-11-01T18:00:00Z")),
        ] {
            let cal = BusinessCalendar::new(&spec(zone, h.clone())).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(cal.business_minutes_between(utc(spring.0), utc(spring.1)), 120, "{zone}: 02:00–03:00 never happens");
            assert_eq!(
                cal.business_minutes_between(utc(autumn.0), utc(autumn.1)),
                240,
                "{zone}: 01:00–02:00 (NY) or 02:00–03:00 (Berlin) happens twice"
            );
        }
        // Berlin, spring: 01:00 CET is 00:00Z; 120 minutes later is 04:00 CEST = 02:00Z.
        let cal = BusinessCalendar::new(&spec("Europe/Berlin", h.clone())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cal.add_business_minutes(utc("2026-03-29T00:00:00Z"), 60), utc("2026-03-29T01:00:00Z"));
        assert_eq!(cal.add_business_minutes(utc("2026-03-29T00:00:00Z"), 120), utc("2026-03-29T02:00:00Z"));
        // Berlin, autumn: 01:00 CEST is 23:00Z on the 24th; 240 minutes later is 04:00 CET = 03:00Z.
        assert_eq!(cal.add_business_minutes(utc("2026-10-24T23:00:00Z"), 240), utc("2026-10-25T03:00:00Z"));
        // A whole day in each zone: 23 hours in spring, 25 in autumn.
        let mut all = WeeklyHoursSpec::default();
        for d in all.days_mut() {
            *d = vec![IntervalSpec::new("00:00", "24:00")];
        }
        let ny = BusinessCalendar::new(&spec("America/New_York", all)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ny.business_minutes_between(utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z")), 23 * 60);
        assert_eq!(ny.business_minutes_between(utc("2026-11-01T04:00:00Z"), utc("2026-11-02T05:00:00Z")), 25 * 60);
    }

    #[test]
    fn an_interval_ending_in_the_skipped_hour() {
        // Sunday 2026-03-29 in Berlin, open 01:00–02:30: the clock jumps from
        // 02:00 to 03:00, so only the hour from 01:00 to 02:00 CET is lived.
        let h = WeeklyHoursSpec { sun: vec![IntervalSpec::new("01:00", "02:30")], ..Default::default() };
        let cal = BusinessCalendar::new(&spec("Europe/Berlin", h)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cal.spans(utc("2026-03-28T00:00:00Z"), utc("2026-03-30T00:00:00Z")),
            vec![(utc("2026-03-29T00:00:00Z"), utc("2026-03-29T01:00:00Z"))]
        );
        // In autumn, 02:00–02:30 comes twice: 90 + 30 minutes in two spans.
        assert_eq!(
            cal.spans(utc("2026-10-24T00:00:00Z"), utc("2026-10-26T00:00:00Z")),
            vec![(utc("2026-10-24T23:00:00Z"), utc("2026-10-25T00:30:00Z")), (utc("2026-10-25T01:00:00Z"), utc("2026-10-25T01:30:00Z"))]
        );
    }
}
