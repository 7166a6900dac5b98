//! Date ranges typed in a local time zone (Singapore by default), turned into the UTC
//! instants the store keeps.
//!
//! A [`LocalDateRange`] is whole days, both ends inclusive, and cannot be inverted: `--from
//! 2019-08-22 --to 2019-08-22` in Asia/Singapore is `[2019-08-21T16:00Z, 2019-08-22T16:00Z)`.
//! Conversion uses chrono-tz, so daylight-saving zones get their real day lengths.

use std::fmt;

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::timestamp;

/// The zone report dates are typed in unless the user says otherwise.
pub const DEFAULT_TZ: Tz = chrono_tz::Asia::Singapore;

/// Whole local days `from..=to` in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDateRange {
    from: NaiveDate,
    to: NaiveDate,
    tz: Tz,
}

/// A date range that cannot be queried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// The end is before the start.
    #[error(
        "--from {from} is after --to {to}; the range is inclusive, so use --from {to} --to {from}?"
    )]
    Inverted {
        /// The start given.
        from: NaiveDate,
        /// The end given.
        to: NaiveDate,
    },
    /// A date outside the years perx stores.
    #[error("date {0} is outside the accepted {range}", range = timestamp::RANGE_TEXT)]
    OutOfRange(NaiveDate),
}

impl LocalDateRange {
    /// Both ends inclusive; `from` must not be after `to`, and both must lie in the
    /// accepted years ([`timestamp::MIN_YEAR`]..=[`timestamp::MAX_YEAR`]), so every
    /// conversion of the range is exact and cannot overflow.
    pub fn new(from: NaiveDate, to: NaiveDate, tz: Tz) -> Result<Self, RangeError> {
        for d in [from, to] {
            if !timestamp::date_in_range(d) {
                return Err(RangeError::OutOfRange(d));
            }
        }
        if from > to {
            return Err(RangeError::Inverted { from, to });
        }
        Ok(LocalDateRange { from, to, tz })
    }

    /// The first day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The last day (inclusive).
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// The time zone of the dates.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The UTC half-open interval `[start, end)` covering the local days.
    pub fn to_utc(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = start_of_day(self.from, self.tz);
        let end = match self.to.checked_add_days(Days::new(1)) {
            Some(next) => start_of_day(next, self.tz),
            None => DateTime::<Utc>::MAX_UTC,
        };
        (start, end)
    }
}

impl fmt::Display for LocalDateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = self.to_utc();
        write!(
            f,
            "{} to {} ({}) = UTC {} to {}",
            self.from,
            self.to,
            self.tz.name(),
            a.format("%Y-%m-%d %H:%M"),
            b.format("%Y-%m-%d %H:%M")
        )
    }
}

/// The first instant of a local day. Where midnight does not exist (a DST gap at 00:00), the
/// day starts at the first local minute that does.
///
/// Callers pass days in the accepted years; at chrono's own limits the search stops early
/// rather than overflow.
pub fn start_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or(NaiveDateTime::MIN);
    for minutes in (0..=24 * 60).step_by(15) {
        let Some(t) = midnight.checked_add_signed(chrono::Duration::minutes(minutes)) else {
            break;
        };
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            LocalResult::None => continue,
        }
    }
    // No zone skips a whole day's quarter-hours but one (Pacific/Apia 2011-12-30);
    // take the next day's start.
    match day.succ_opt() {
        Some(next) if timestamp::date_in_range(day) => start_of_day(next, tz),
        _ => midnight.and_utc(),
    }
}

/// Reads a typed range of days: `2024-01-01` (one day), `2024-01-01 2024-01-07` or
/// `2024-01-01..2024-01-07`; `None` when it is not one of those.
pub fn parse_day_range(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let text = text.replace("..", " ");
    let mut parts = text.split_whitespace();
    let day = |p: &str| {
        NaiveDate::parse_from_str(p, "%Y-%m-%d")
            .ok()
            .filter(|d| timestamp::date_in_range(*d))
    };
    let a = day(parts.next()?)?;
    let b = match parts.next() {
        Some(p) => day(p)?,
        None => a,
    };
    parts.next().is_none().then_some((a, b))
}

/// Reads a typed local time span, `FROM..TO` or one day: each end is a day
/// (`2024-01-01`: a start takes its first instant, an end its whole day) or a local time
/// (`2024-01-01 08:30` or `2024-01-01T08:30`, exact). Returns the UTC interval
/// `[from, to)`; `None` when it does not read or is empty. A local time that does not
/// exist (a DST gap) reads as the first valid instant after it. Dates outside the
/// accepted years do not read.
pub fn parse_local_span(text: &str, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (a, b) = match text.split_once("..") {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (text.trim(), text.trim()),
    };
    let day = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|d| timestamp::date_in_range(*d))
    };
    let time = |s: &str| {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
            .ok()
            .filter(|t| timestamp::date_in_range(t.date()))?;
        (0..=24 * 4).find_map(|q| {
            let t = t.checked_add_signed(chrono::Duration::minutes(15 * q))?;
            tz.from_local_datetime(&t)
                .earliest()
                .map(|x| x.with_timezone(&Utc))
        })
    };
    let from = match day(a) {
        Some(d) => start_of_day(d, tz),
        None => time(a)?,
    };
    let to = match day(b) {
        Some(d) => start_of_day(d.succ_opt()?, tz),
        None => time(b)?,
    };
    (from < to).then_some((from, to))
}

/// Parses a day written YYYY-MM-DD, with a message that helps (the CLI's `--from`, the
/// API's `from`).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date; write it as YYYY-MM-DD, e.g. 2019-08-22"))
}

/// Parses an IANA zone name, with a message that helps.
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone {name:?}; use an IANA name such as Asia/Singapore or America/New_York")
    })
}

/// The local wall-clock time of a UTC instant; `None` only at chrono's own limits (years
/// beyond ±262,000), where the local time cannot be represented. Never panics, unlike
/// chrono's `naive_local`.
pub fn to_local(t: DateTime<Utc>, tz: Tz) -> Option<NaiveDateTime> {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    t.naive_utc().checked_add_offset(offset)
}

/// The local date of a UTC instant, clamped into the accepted years: for showing and
/// querying the span of stored data, which a database loaded by an older perx may hold
/// outside them.
pub fn local_date_clamped(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(timestamp::MIN_YEAR, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(timestamp::MAX_YEAR, 12, 31).unwrap_or(NaiveDate::MAX);
    match to_local(t, tz) {
        Some(local) => local.date().clamp(first, last),
        None if t.timestamp() < 0 => first,
        None => last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn check(from: &str, to: &str, tz: Tz, expected: (&str, &str)) {
        let (a, b) = LocalDateRange::new(d(from), d(to), tz).unwrap().to_utc();
        assert_eq!(
            (a.to_rfc3339(), b.to_rfc3339()),
            (expected.0.into(), expected.1.into())
        );
    }

    #[test]
    fn singapore_days_start_at_16_utc_the_day_before() {
        check(
            "2019-08-22",
            "2019-08-22",
            DEFAULT_TZ,
            ("2019-08-21T16:00:00+00:00", "2019-08-22T16:00:00+00:00"),
        );
        check(
            "2019-08-01",
            "2019-08-31",
            DEFAULT_TZ,
            ("2019-07-31T16:00:00+00:00", "2019-08-31T16:00:00+00:00"),
        );
    }

    #[test]
    fn daylight_saving_days_have_their_real_length() {
        let ny = chrono_tz::America::New_York;
        // 2019-03-10 is 23 hours long in New York, 2019-11-03 is 25.
        check(
            "2019-03-10",
            "2019-03-10",
            ny,
            ("2019-03-10T05:00:00+00:00", "2019-03-11T04:00:00+00:00"),
        );
        check(
            "2019-11-03",
            "2019-11-03",
            ny,
            ("2019-11-03T04:00:00+00:00", "2019-11-04T05:00:00+00:00"),
        );
    }

    #[test]
    fn midnight_in_a_dst_gap_starts_the_day_at_the_first_real_minute() {
        // Santiago skipped 2019-09-08 00:00-01:00.
        let t = start_of_day(d("2019-09-08"), chrono_tz::America::Santiago);
        assert_eq!(t.to_rfc3339(), "2019-09-08T04:00:00+00:00");
    }

    #[test]
    fn inverted_range_is_refused() {
        let e = LocalDateRange::new(d("2019-08-02"), d("2019-08-01"), DEFAULT_TZ).unwrap_err();
        assert!(
            e.to_string()
                .contains("--from 2019-08-02 is after --to 2019-08-01")
        );
    }

    #[test]
    fn unknown_zone_message_names_examples() {
        assert!(
            parse_tz("Mars/Olympus")
                .unwrap_err()
                .contains("Asia/Singapore")
        );
        assert_eq!(parse_tz("UTC").unwrap(), chrono_tz::UTC);
    }

    #[test]
    fn typed_day_ranges() {
        assert_eq!(
            parse_day_range("2024-01-01"),
            Some((d("2024-01-01"), d("2024-01-01")))
        );
        assert_eq!(
            parse_day_range(" 2024-01-01  2024-01-07 "),
            Some((d("2024-01-01"), d("2024-01-07")))
        );
        assert_eq!(
            parse_day_range("2024-01-01..2024-01-07"),
            Some((d("2024-01-01"), d("2024-01-07")))
        );
        assert_eq!(parse_day_range(""), None);
        assert_eq!(parse_day_range("2024-13-01"), None);
        assert_eq!(parse_day_range("2024-01-01 2024-01-02 2024-01-03"), None);
    }

    #[test]
    fn typed_local_spans() {
        let sgt: Tz = "Asia/Singapore".parse().unwrap();
        let span =
            |t: &str| parse_local_span(t, sgt).map(|(a, b)| (a.to_rfc3339(), b.to_rfc3339()));
        let utc = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(
            span("2024-01-02"),
            utc("2024-01-01T16:00:00+00:00", "2024-01-02T16:00:00+00:00")
        );
        assert_eq!(
            span("2024-01-02..2024-01-03"),
            utc("2024-01-01T16:00:00+00:00", "2024-01-03T16:00:00+00:00")
        );
        assert_eq!(
            span("2024-01-02 08:30..2024-01-02T09:00"),
            utc("2024-01-02T00:30:00+00:00", "2024-01-02T01:00:00+00:00")
        );
        assert_eq!(
            span("2024-01-02 08:30 .. 2024-01-02"),
            utc("2024-01-02T00:30:00+00:00", "2024-01-02T16:00:00+00:00")
        );
        assert_eq!(span("2024-01-03..2024-01-02"), None, "empty");
        assert_eq!(span("2024-02-30"), None);
        assert_eq!(span("yesterday"), None);
    }

    #[test]
    fn far_dates_are_refused_and_nothing_overflows() {
        let far = NaiveDate::MAX;
        assert_eq!(
            LocalDateRange::new(d("2019-01-01"), far, DEFAULT_TZ),
            Err(RangeError::OutOfRange(far))
        );
        assert!(LocalDateRange::new(d("1899-12-31"), d("2019-01-01"), DEFAULT_TZ).is_err());
        assert!(parse_day_range("+200000-01-01").is_none());
        assert!(parse_local_span("2019-01-01..+262142-12-31", DEFAULT_TZ).is_none());
        assert!(parse_local_span("+262142-12-31 23:59", DEFAULT_TZ).is_none());
        // At chrono's limits the local time does not exist: None, not a panic.
        assert_eq!(to_local(DateTime::<Utc>::MAX_UTC, DEFAULT_TZ), None);
        assert_eq!(
            to_local(DateTime::<Utc>::MIN_UTC, chrono_tz::America::New_York),
            None
        );
        let t = DateTime::parse_from_rfc3339("2019-08-21T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            to_local(t, DEFAULT_TZ).unwrap().to_string(),
            "2019-08-22 00:00:00"
        );
        assert_eq!(
            local_date_clamped(DateTime::<Utc>::MAX_UTC, DEFAULT_TZ),
            d("2200-12-31")
        );
        assert_eq!(
            local_date_clamped(DateTime::<Utc>::MIN_UTC, DEFAULT_TZ),
            d("1900-01-01")
        );
        // start_of_day at chrono's last day stops instead of overflowing.
        let _ = start_of_day(NaiveDate::MAX, DEFAULT_TZ);
        let _ = start_of_day(NaiveDate::MIN, chrono_tz::Pacific::Apia);
    }
}
