//! Date, range and time-zone arguments as typed by users: no panic; what parses is ordered
//! and converts to UTC and back without overflow.
#![no_main]

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use libfuzzer_sys::fuzz_target;
use perx_fuzz::core::timerange::{
    LocalDateRange, local_date_clamped, parse_day_range, parse_local_span, parse_tz, to_local,
};

const ZONES: [Tz; 5] = [
    chrono_tz::Asia::Singapore,
    chrono_tz::America::New_York,
    chrono_tz::Pacific::Apia,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::UTC,
];

fuzz_target!(|input: (&str, &str, i64, u8)| {
    let (text, zone, micros, pick) = input;
    let tz = match parse_tz(zone) {
        Ok(tz) => tz,
        Err(_) => ZONES[pick as usize % ZONES.len()],
    };
    if let Some((a, b)) = parse_day_range(text) {
        if let Ok(r) = LocalDateRange::new(a, b, tz) {
            let (from, to) = r.to_utc();
            assert!(from < to, "{r:?}");
            let _ = r.to_string();
        }
    }
    if let Some((from, to)) = parse_local_span(text, tz) {
        assert!(from < to);
    }
    if let Ok(d) = text.parse::<NaiveDate>() {
        let _ = LocalDateRange::new(d, d, tz).map(|r| r.to_utc());
    }
    if let Some(t) = DateTime::<Utc>::from_timestamp_micros(micros) {
        let _ = to_local(t, tz);
        let _ = local_date_clamped(t, tz);
    }
});
