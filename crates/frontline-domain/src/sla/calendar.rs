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

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::DomainError;

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

/// Parse an IANA zone name ("Europe/Berlin"), naming the field when unknown.
pub fn parse_time_zone(raw: &str) -> Result<Tz, DomainError> {
    raw.trim().parse::<Tz>().map_err(|_| {
        DomainError::invalid("time_zone", format!("'{}' is not a known IANA time zone (for example Europe/Berlin)", raw.trim()))
    })
}

impl BusinessCalendar {
    /// Check a calendar: a known zone, intervals that are times of day with
    /// the start before the end and no two overlapping on a day, at least
    /// one business minute a week, and a bounded list of holidays.
    pub fn new(spec: &CalendarSpec) -> Result<Self, DomainError> {
        let zone = parse_time_zone(&spec.time_zone)?;
        let mut week: [Vec<Interval>; 7] = Default::default();
        for (i, day) in spec.hours.days().into_iter().enumerate() {
            let field = format!("hours.{}", DAY_KEYS[i]);
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
                    format!(
                        "{}–{} overlaps {}–{}",
                        clock_text(w[0].start),
                        clock_text(w[0].end),
                        clock_text(w[1].start),
                        clock_text(w[1].end)
                    ),
                ));
            }
            week[i] = parsed;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(DomainError::invalid("hours", "a calendar needs business hours on at least one day"));
        }
        if spec.holidays.len() > HOLIDAYS_MAX {
            return Err(DomainError::invalid("holidays", format!("at most {HOLIDAYS_MAX} holidays")));
        }
        Ok(Self { zone, week, holidays: spec.holidays.iter().copied().collect() })
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

    fn offset_seconds(&self, at: NaiveDateTime) -> i64 {
        i64::from(self.zone.offset_from_utc_datetime(&at).fix().local_minus_utc())
    }

    /// Split `[from, to)` (UTC wall times) into runs of one UTC offset.
    /// Offsets are sampled every three hours and each change is found to the
    /// second by bisection; no zone changes its offset twice within hours.
    fn offset_runs(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<(NaiveDateTime, NaiveDateTime, i64)> {
        let step = Duration::hours(3);
        let mut runs = Vec::new();
        let (mut run_start, mut run_offset) = (from, self.offset_seconds(from));
        let mut prev = from;
        while prev < to {
            let next = (prev + step).min(to);
            let offset = self.offset_seconds(next);
            if offset != run_offset {
                // The change lies in (prev, next] and falls on a whole
                // second: find that second.
                let at = |s: i64| DateTime::from_timestamp(s, 0).map(|d| d.naive_utc()).unwrap_or(next);
                let (mut lo, mut hi) = (prev.and_utc().timestamp(), next.and_utc().timestamp());
                if next.and_utc().timestamp_subsec_nanos() > 0 {
                    hi += 1;
                }
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if self.offset_seconds(at(mid)) == run_offset {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let hi = at(hi).min(next);
                runs.push((run_start, hi, run_offset));
                run_start = hi;
                run_offset = self.offset_seconds(hi);
            }
            prev = next;
        }
        runs.push((run_start, to, run_offset));
        runs
    }

    /// Business time inside `[from, to)`, as sorted, disjoint UTC spans.
    pub fn spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if from >= to {
            return Vec::new();
        }
        let (from_n, to_n) = (from.naive_utc(), to.naive_utc());
        // No zone is more than 14 hours from UTC, so the instants in the
        // window have local dates within a day of the window's own.
        let margin = Duration::hours(15);
        let runs = self.offset_runs(from_n - margin, to_n + margin);
        let first = (from_n - Duration::days(1)).date();
        let last = (to_n + Duration::days(1)).date();
        let mut out: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::new();
        let mut date = first;
        while date <= last {
            if !self.holidays.contains(&date) {
                let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
                for iv in &self.week[date.weekday().num_days_from_monday() as usize] {
                    let local_start = midnight + Duration::minutes(i64::from(iv.start));
                    let local_end = midnight + Duration::minutes(i64::from(iv.end));
                    for &(run_from, run_to, offset) in &runs {
                        // In a run of one offset, local = utc + offset exactly.
                        let s = (local_start - Duration::seconds(offset)).max(run_from).max(from_n);
                        let e = (local_end - Duration::seconds(offset)).min(run_to).min(to_n);
                        if s < e {
                            out.push((s, e));
                        }
                    }
                }
            }
            match date.checked_add_days(Days::new(1)) {
                Some(d) => date = d,
                None => break,
            }
        }
        out.sort();
        let mut merged: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::with_capacity(out.len());
        for (s, e) in out {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged.into_iter().map(|(s, e)| (s.and_utc(), e.and_utc())).collect()
    }

    /// Business seconds in `[from, to)`; zero when `to` is not after `from`.
    pub fn business_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.spans(from, to).iter().map(|(s, e)| (*e - *s).num_seconds()).sum()
    }

    /// Whole business minutes in `[from, to)`.
    pub fn business_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.business_seconds(from, to) / 60
    }

    /// The earliest instant by which `seconds` of business time have passed
    /// since `start` (`start` itself for zero). The walk goes a week at a
    /// time; a valid calendar has business time in every week that is not
    /// all holidays, and holidays are bounded, so it ends.
    pub fn add_business_seconds(&self, start: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
        if seconds <= 0 {
            return start;
        }
        let mut left = seconds;
        let mut window = start;
        // Bound the walk anyway: one business second per week at worst,
        // after the holidays, is far beyond any target a policy allows.
        let weeks_max = (HOLIDAYS_MAX as i64) + seconds + 2;
        for _ in 0..weeks_max {
            let window_end = window + Duration::days(7);
            for (s, e) in self.spans(window, window_end) {
                let len = (e - s).num_seconds();
                if len >= left {
                    return s + Duration::seconds(left);
                }
                left -= len;
            }
            window = window_end;
        }
        window
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
                .filter_map(|d| NaiveDate::from_ymd_opt(2020, 1, 1)?.checked_add_days(Days::new(d)))
                .collect(),
        };
        assert_eq!(field_of(BusinessCalendar::new(&many)), "holidays");
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
