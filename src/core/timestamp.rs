//! Timestamps of the CSV exports (`2019-08-09 12:04:10.041 UTC`).
//!
//! Every instant perx stores is UTC. An export cell must say so: `… UTC`, `Z` or an explicit
//! offset; a naive date-time is refused rather than guessed.

use chrono::{DateTime, NaiveDateTime, Utc};

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
    fn refuses_naive_and_garbage() {
        check("2019-08-09 12:04:10.041", None);
        check("2019-08-09", None);
        check("yesterday UTC", None);
        check("2019-13-09 12:04:10 UTC", None);
        check("", None);
    }
}
