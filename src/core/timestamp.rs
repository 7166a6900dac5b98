//! Timestamps of the CSV exports (`2019-08-09 12:04:10.041 UTC`), and the range of instants
//! perx accepts from any input.
//!
//! Every instant perx stores is UTC. An export cell must say so: `… UTC`, `Z` or an explicit
//! offset; a naive date-time is refused rather than guessed. Instants outside
//! [`MIN_YEAR`]..=[`MAX_YEAR`] are refused at load: chrono parses years up to ±262,000, and
//! such an instant would overflow a later time-zone conversion.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The first year of an accepted instant (UTC).
pub const MIN_YEAR: i32 = 1900;
/// The last year of an accepted instant (UTC).
pub const MAX_YEAR: i32 = 2200;

/// Whether `t` lies in the years perx accepts ([`MIN_YEAR`]..=[`MAX_YEAR`], UTC).
pub fn in_range(t: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    (MIN_YEAR..=MAX_YEAR).contains(&t.year())
}

/// Whether a calendar date typed by a user lies in the accepted years.
pub fn date_in_range(d: NaiveDate) -> bool {
    use chrono::Datelike;
    (MIN_YEAR..=MAX_YEAR).contains(&d.year())
}

/// Microseconds since the epoch, when they are an instant in the accepted years.
pub fn from_micros(us: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).filter(|t| in_range(*t))
}

/// Text for messages about the accepted range.
pub const RANGE_TEXT: &str = "years 1900 to 2200 (UTC)";

/// Parses an export timestamp into UTC, keeping the fraction (to the microsecond).
///
/// Accepted: `2019-08-09 12:04:10.041 UTC`, `2019-08-09 12:04:10 UTC`,
/// `2019-08-09T12:04:10.041Z`, `2019-08-09 12:04:10+08:00` (converted to UTC).
pub fn parse_utc(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(naive) = s.strip_suffix(" UTC") {
        return NaiveDateTime::parse_from_str(naive, "%Y-%m-%d %H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f"))
            .ok()
            .map(|n| n.and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What an accepted timestamp looks like, for error messages.
pub const EXPECTED_FORMAT: &str = "e.g. `2019-08-09 12:04:10.041 UTC` or `2019-08-09T12:04:10Z`";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn check(input: &str, expected: Option<(i64, u32)>) {
        let got = parse_utc(input).map(|t| (t.timestamp(), t.timestamp_subsec_micros()));
        assert_eq!(got, expected, "{input:?}");
    }

    #[test]
    fn parses_export_formats() {
        let base = Utc
            .with_ymd_and_hms(2019, 8, 9, 12, 4, 10)
            .unwrap()
            .timestamp();
        check("2019-08-09 12:04:10.041 UTC", Some((base, 41_000)));
        check("2019-08-09 12:04:10 UTC", Some((base, 0)));
        check("2019-08-09T12:04:10.041Z", Some((base, 41_000)));
        check("2019-08-09 20:04:10.041+08:00", Some((base, 41_000)));
        check(" 2019-08-09 12:04:10.000041 UTC ", Some((base, 41)));
    }

    #[test]
    fn the_accepted_range_is_1900_to_2200() {
        let t = |s| parse_utc(s).unwrap();
        assert!(in_range(t("1900-01-01 00:00:00 UTC")));
        assert!(in_range(t("2200-12-31 23:59:59.999999 UTC")));
        assert!(!in_range(t("1899-12-31 23:59:59 UTC")));
        assert!(!in_range(t("2201-01-01 00:00:00 UTC")));
        // chrono reads far years; they parse, and the range check is what refuses them.
        assert!(!in_range(t("+200000-01-01 00:00:00 UTC")));
        assert!(from_micros(i64::MAX).is_none());
        assert!(from_micros(i64::MIN).is_none());
        assert!(from_micros(0).is_some());
    }

    #[test]
    fn refuses_naive_and_garbage() {
        check("2019-08-09 12:04:10.041", None);
        check("2019-08-09", None);
        check("yesterday UTC", None);
        check("2019-13-09 12:04:10 UTC", None);
        check("", None);
    }
}
