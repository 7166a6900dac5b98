//! Parsing of one HTTP access-log line (`timestamp method path user_id`).
//!
//! Pure: takes bytes, returns a [`LogEvent`] or the [`RejectReason`] that keeps the line out
//! of `http_log`. Every rule of the accepted format lives here and nowhere else.

use std::fmt;

use chrono::{DateTime, Utc};

/// What a valid log line records: a campaign view or a reward issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// `GET /campaigns/<id>`: a user looked at a campaign.
    View,
    /// `POST /rewards/<id>`: a reward was issued to a user.
    Reward,
}

impl EventKind {
    /// The name stored in `http_log.event_kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::View => "view",
            EventKind::Reward => "reward",
        }
    }
}

/// One accepted log line, borrowed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent<'a> {
    /// The instant of the request, converted to UTC.
    pub ts: DateTime<Utc>,
    /// `GET` or `POST`, as written.
    pub http_method: &'a str,
    /// The path, as written (e.g. `/campaigns/11`).
    pub http_path: &'a str,
    /// The user id, digits exactly as written (leading zeros kept).
    pub user_id: &'a str,
    /// Whether this is a view or a reward issue.
    pub kind: EventKind,
    /// The campaign id (views) or reward id (rewards) taken from the path.
    pub item_id: i64,
}

/// Why a line was rejected. `NotTracked` is deliberately distinct from the malformed cases:
/// the line is a well-formed request, just not one the reports use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    /// The bytes are not valid UTF-8.
    NotUtf8,
    /// The line is empty (or only a `\r`).
    Empty,
    /// Not exactly four fields separated by single spaces.
    FieldCount(usize),
    /// Fields separated by something other than one space (tabs, double spaces, edges).
    BadSeparator,
    /// The timestamp is not ISO-8601 with seconds and an explicit offset.
    BadTimestamp(String),
    /// The timestamp reads, but lies outside the accepted years (see
    /// [`crate::core::timestamp::in_range`]).
    TimestampOutOfRange(String),
    /// The line is longer than the limit the reader was given; it was skipped unread.
    TooLong(u64),
    /// The user id is not a non-empty run of ASCII digits.
    BadUserId(String),
    /// The user id has more digits than [`MAX_USER_ID_DIGITS`].
    UserIdTooLong(usize),
    /// The id in the path has more digits than a 64-bit id can hold.
    IdOutOfRange(String),
    /// A well-formed request that is neither `GET /campaigns/<id>` nor `POST /rewards/<id>`.
    NotTracked { method: String, path: String },
}

impl RejectReason {
    /// Short stable code for grouping rejects (`load_reject.reason` starts with it).
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::NotUtf8 => "not-utf8",
            RejectReason::Empty => "empty-line",
            RejectReason::FieldCount(_) => "field-count",
            RejectReason::BadSeparator => "bad-separator",
            RejectReason::BadTimestamp(_) => "bad-timestamp",
            RejectReason::TimestampOutOfRange(_) => "timestamp-out-of-range",
            RejectReason::TooLong(_) => "line-too-long",
            RejectReason::BadUserId(_) => "bad-user-id",
            RejectReason::UserIdTooLong(_) => "bad-user-id",
            RejectReason::IdOutOfRange(_) => "id-out-of-range",
            RejectReason::NotTracked { .. } => "not-tracked",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            RejectReason::NotUtf8 => write!(f, "{code}: line is not valid UTF-8"),
            RejectReason::Empty => write!(f, "{code}: line is empty"),
            RejectReason::FieldCount(n) => write!(
                f,
                "{code}: expected 4 fields `timestamp method path user_id`, found {n}"
            ),
            RejectReason::BadSeparator => write!(
                f,
                "{code}: fields must be separated by exactly one space (found tab, repeated or edge spaces)"
            ),
            RejectReason::BadTimestamp(t) => write!(
                f,
                "{code}: timestamp {} is not ISO-8601 with seconds and an offset, e.g. 2019-08-27T00:07:05+00:00",
                Shown(t)
            ),
            RejectReason::TimestampOutOfRange(t) => write!(
                f,
                "{code}: timestamp {t:?} is outside the accepted {}",
                crate::core::timestamp::RANGE_TEXT
            ),
            RejectReason::TooLong(n) => write!(
                f,
                "{code}: line too long ({n} bytes); the limit is set with --max-line-bytes"
            ),
            RejectReason::BadUserId(u) => {
                write!(f, "{code}: user id {} is not a run of digits", Shown(u))
            }
            RejectReason::UserIdTooLong(n) => write!(
                f,
                "{code}: user id has {n} digits; at most {MAX_USER_ID_DIGITS} are accepted"
            ),
            RejectReason::IdOutOfRange(p) => {
                write!(
                    f,
                    "{code}: the id in path {} does not fit in 64 bits",
                    Shown(p)
                )
            }
            RejectReason::NotTracked { method, path } => write!(
                f,
                "{code}: `{} {}` is not a campaign view (GET /campaigns/<id>) or reward issue (POST /rewards/<id>)",
                Bare(method),
                Bare(path)
            ),
        }
    }
}

/// User ids longer than this are rejected, so that every id still sorts numerically
/// (as a 128-bit integer) in the reports.
/// A field quoted in a reason: Rust's debug quoting (control characters escaped) and at
/// most 40 characters, so a reason stays one short line whatever the field holds.
struct Shown<'a>(&'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 40;
        match self.0.char_indices().nth(MAX) {
            Some((cut, _)) => write!(f, "{:?}…", &self.0[..cut]),
            None => write!(f, "{:?}", self.0),
        }
    }
}

/// Like [`Shown`] without the quotes (control characters still escaped).
struct Bare<'a>(&'a str);

impl fmt::Display for Bare<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 80;
        let (text, more) = match self.0.char_indices().nth(MAX) {
            Some((cut, _)) => (&self.0[..cut], "…"),
            None => (self.0, ""),
        };
        write!(f, "{}{more}", text.escape_debug())
    }
}

pub const MAX_USER_ID_DIGITS: usize = 38;

/// Parses one line (without its `\n`; a trailing `\r` is tolerated).
pub fn parse_line(raw: &[u8]) -> Result<LogEvent<'_>, RejectReason> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let line = std::str::from_utf8(raw).map_err(|_| RejectReason::NotUtf8)?;
    if line.is_empty() {
        return Err(RejectReason::Empty);
    }
    let mut fields = [""; 4];
    let mut n = 0;
    for part in line.split(' ') {
        if n < 4 {
            fields[n] = part;
        }
        n += 1;
    }
    if n != 4 {
        // Tell "3 fields separated by a tab" apart from "5 real fields".
        let words = line.split_ascii_whitespace().count();
        return Err(if words == 4 {
            RejectReason::BadSeparator
        } else {
            RejectReason::FieldCount(words)
        });
    }
    if fields
        .iter()
        .any(|f| f.is_empty() || f.bytes().any(|b| b.is_ascii_whitespace()))
    {
        return Err(RejectReason::BadSeparator);
    }
    let [ts, method, path, user] = fields;

    let ts = parse_timestamp(ts)?;
    let (kind, item_id) = classify_request(method, path)?;
    check_user_id(user)?;
    Ok(LogEvent {
        ts,
        http_method: method,
        http_path: path,
        user_id: user,
        kind,
        item_id,
    })
}

/// Tells a campaign view from a reward issue and takes the id out of the path.
pub fn classify_request(method: &str, path: &str) -> Result<(EventKind, i64), RejectReason> {
    let (kind, id_digits) = match (method, path) {
        ("GET", p) if p.starts_with("/campaigns/") => (EventKind::View, &p["/campaigns/".len()..]),
        ("POST", p) if p.starts_with("/rewards/") => (EventKind::Reward, &p["/rewards/".len()..]),
        _ => return Err(not_tracked(method, path)),
    };
    if !is_digits(id_digits) {
        return Err(not_tracked(method, path));
    }
    let item_id = id_digits
        .parse::<i64>()
        .map_err(|_| RejectReason::IdOutOfRange(path.to_owned()))?;
    Ok((kind, item_id))
}

/// [`check_user_id`] with a message for a user id someone typed (the CLI's `--user`, the
/// API's path and `user`).
pub fn check_typed_user_id(user: &str) -> Result<(), String> {
    check_user_id(user).map_err(|_| {
        format!(
            "{user:?}: a user id is a run of at most {MAX_USER_ID_DIGITS} digits, as in the HTTP log"
        )
    })
}

/// Checks that a user id is 1 to [`MAX_USER_ID_DIGITS`] ASCII digits.
pub fn check_user_id(user: &str) -> Result<(), RejectReason> {
    if !is_digits(user) {
        return Err(RejectReason::BadUserId(user.to_owned()));
    }
    if user.len() > MAX_USER_ID_DIGITS {
        return Err(RejectReason::UserIdTooLong(user.len()));
    }
    Ok(())
}

/// The number written by `digits` when it is its own canonical form (no sign, no leading
/// zero, fits a u64), so that printing the number gives back exactly `digits`.
pub fn canonical_number(digits: &str) -> Option<u64> {
    if digits.len() > 1 && digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn not_tracked(method: &str, path: &str) -> RejectReason {
    RejectReason::NotTracked {
        method: method.to_owned(),
        path: path.to_owned(),
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// ISO-8601 with a `T`, seconds, an optional fraction and an explicit offset (`Z`/`±HH:MM`).
fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, RejectReason> {
    let bad = || RejectReason::BadTimestamp(s.to_owned());
    // RFC 3339 also admits a space or a lowercase `t` between date and time; the log format
    // is stricter, so check the separator before handing over to chrono.
    if s.as_bytes().get(10) != Some(&b'T') {
        return Err(bad());
    }
    let t = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad())?;
    if !crate::core::timestamp::in_range(t) {
        return Err(RejectReason::TimestampOutOfRange(s.to_owned()));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ok(line: &str) -> LogEvent<'_> {
        match parse_line(line.as_bytes()) {
            Ok(e) => e,
            Err(r) => panic!("{line:?} rejected: {r}"),
        }
    }

    fn check_reject(line: &[u8], code: &str) {
        match parse_line(line) {
            Ok(e) => panic!("{line:?} accepted as {e:?}, expected {code}"),
            Err(r) => assert_eq!(r.code(), code, "{line:?}: {r}"),
        }
    }

    #[test]
    fn accepts_view_and_reward() {
        let v = ok("2019-08-27T00:07:05+00:00 GET /campaigns/11 2000020076516");
        assert_eq!(v.kind, EventKind::View);
        assert_eq!(v.item_id, 11);
        assert_eq!(v.user_id, "2000020076516");
        assert_eq!(v.ts, Utc.with_ymd_and_hms(2019, 8, 27, 0, 7, 5).unwrap());
        let r = ok("2019-08-27T00:07:05Z POST /rewards/1529 0042");
        assert_eq!(r.kind, EventKind::Reward);
        assert_eq!(r.item_id, 1529);
        assert_eq!(r.user_id, "0042", "user ids are kept exactly as written");
        assert_eq!(r.http_path, "/rewards/1529");
    }

    #[test]
    fn converts_offsets_to_utc() {
        let e = ok("2019-08-27T08:07:05+08:00 GET /campaigns/1 1");
        assert_eq!(e.ts, Utc.with_ymd_and_hms(2019, 8, 27, 0, 7, 5).unwrap());
        let e = ok("2019-08-26T20:07:05-04:00 GET /campaigns/1 1");
        assert_eq!(e.ts, Utc.with_ymd_and_hms(2019, 8, 27, 0, 7, 5).unwrap());
    }

    #[test]
    fn keeps_fractions() {
        let e = ok("2019-08-27T00:07:05.123456+00:00 GET /campaigns/1 1");
        assert_eq!(e.ts.timestamp_subsec_micros(), 123_456);
        let e = ok("2019-08-27T00:07:05.5Z GET /campaigns/1 1");
        assert_eq!(e.ts.timestamp_subsec_millis(), 500);
    }

    #[test]
    fn tolerates_crlf() {
        let e = ok("2019-08-27T00:07:05+00:00 GET /campaigns/1 77\r");
        assert_eq!(e.user_id, "77");
    }

    #[test]
    fn rejects_every_malformed_kind() {
        check_reject(b"", "empty-line");
        check_reject(b"\r", "empty-line");
        check_reject(
            b"2019-08-27T00:07:05+00:00 GET /campaigns/1 \xff\xfe",
            "not-utf8",
        );
        check_reject(b"2019-08-27T00:07:05+00:00 GET /campaigns/1", "field-count");
        check_reject(
            b"2019-08-27T00:07:05+00:00 GET /campaigns/1 1 extra",
            "field-count",
        );
        check_reject(
            b"2019-08-27T00:07:05+00:00\tGET /campaigns/1 1",
            "bad-separator",
        );
        check_reject(
            b"2019-08-27T00:07:05+00:00  GET /campaigns/1 1",
            "bad-separator",
        );
        check_reject(
            b" 2019-08-27T00:07:05+00:00 GET /campaigns/1 1",
            "bad-separator",
        );
        check_reject(
            b"2019-08-27T00:07:05+00:00 GET /campaigns/1 1 ",
            "bad-separator",
        );
        check_reject(b"2019-08-27 GET /campaigns/1 1", "bad-timestamp");
        check_reject(
            b"2019-08-27T00:07+00:00 GET /campaigns/1 1",
            "bad-timestamp",
        );
        check_reject(b"2019-08-27T00:07:05 GET /campaigns/1 1", "bad-timestamp");
        check_reject(b"2019-08-27t00:07:05Z GET /campaigns/1 1", "bad-timestamp");
        check_reject(b"2019-02-30T00:07:05Z GET /campaigns/1 1", "bad-timestamp");
        check_reject(b"2019-08-27T00:07:05Z GET /campaigns/1 12a", "bad-user-id");
        check_reject(b"2019-08-27T00:07:05Z GET /campaigns/1 -1", "bad-user-id");
        check_reject(
            b"2019-08-27T00:07:05Z GET /campaigns/99999999999999999999 1",
            "id-out-of-range",
        );
    }

    #[test]
    fn other_requests_are_not_tracked_not_malformed() {
        for line in [
            "2019-08-27T00:07:05Z POST /campaigns/1 1",
            "2019-08-27T00:07:05Z GET /rewards/1 1",
            "2019-08-27T00:07:05Z GET /campaigns/ 1",
            "2019-08-27T00:07:05Z GET /campaigns/1/edit 1",
            "2019-08-27T00:07:05Z GET /campaigns/+1 1",
            "2019-08-27T00:07:05Z DELETE /rewards/1 1",
            "2019-08-27T00:07:05Z GET /health 1",
        ] {
            check_reject(line.as_bytes(), "not-tracked");
        }
    }

    #[test]
    fn a_one_megabyte_line_is_rejected_not_fatal() {
        let mut line = b"2019-08-27T00:07:05Z GET /campaigns/1 ".to_vec();
        line.extend(std::iter::repeat_n(b'7', 1 << 20));
        line.push(b'x');
        check_reject(&line, "bad-user-id");
        let long_digits = &line[..line.len() - 1];
        assert_eq!(
            parse_line(long_digits),
            Err(RejectReason::UserIdTooLong(1 << 20))
        );
        let r = parse_line(&line).unwrap_err().to_string();
        assert!(r.len() < 200, "the reason quotes a bounded prefix: {r}");
    }

    #[test]
    fn reasons_read_as_sentences() {
        let r = parse_line(b"2019-08-27T00:07:05Z GET /health 1").unwrap_err();
        assert_eq!(
            r.to_string(),
            "not-tracked: `GET /health` is not a campaign view (GET /campaigns/<id>) or reward issue (POST /rewards/<id>)"
        );
    }

    #[test]
    fn far_years_parse_but_are_out_of_range() {
        check_reject(
            b"1899-12-31T23:59:59Z GET /campaigns/1 1",
            "timestamp-out-of-range",
        );
        check_reject(
            b"9999-12-31T23:59:59-23:59 GET /campaigns/1 1",
            "timestamp-out-of-range",
        );
        ok("1900-01-01T00:00:00Z GET /campaigns/1 1");
        ok("2200-12-31T23:59:59Z GET /campaigns/1 1");
    }

    #[test]
    fn reasons_escape_control_characters_in_quoted_fields() {
        let r = parse_line(b"2019-08-27T00:07:05Z GET /x\x1b]0;pwned\x07 1").unwrap_err();
        let text = r.to_string();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        let r = parse_line("2019-08-27T00:07:05Z GET /campaigns/1 1\u{1b}[2J".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(!r.contains('\u{1b}'), "{r}");
    }

    #[test]
    fn only_canonical_digits_become_numbers() {
        assert_eq!(canonical_number("2000020076516"), Some(2_000_020_076_516));
        assert_eq!(canonical_number("0"), Some(0));
        assert_eq!(
            canonical_number("007"),
            None,
            "leading zeros are kept as text"
        );
        assert_eq!(canonical_number("18446744073709551616"), None, "beyond u64");
        assert_eq!(canonical_number("+7"), None);
        assert_eq!(canonical_number(""), None);
    }
}
