//! The sessionisation rules, and a small in-memory reference implementation of them.
//!
//! The report itself runs inside DuckDB (`sql/reports/sessions.sql`) so it scales with the
//! log; [`sessionize`] states the same rules in plain Rust and is the oracle the SQL is
//! tested against.
//!
//! Rules: each user's events are ordered by time, ties view before reward, then by id. A
//! gap of [`GAP_SECS`] seconds or more starts a new session; equal timestamps stay together.
//! A session is reward-driven when it issues a reward R strictly after (at a later
//! timestamp than) a view of a campaign C with (C, R) in the campaign–reward mapping.

use std::collections::HashSet;

use super::logline::EventKind;

/// A gap of this many seconds or more between two requests of a user starts a new session.
pub const GAP_SECS: i64 = 300;

/// One request of the log, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The user id, digits as written.
    pub user_id: String,
    /// Microseconds since the Unix epoch, UTC.
    pub ts_micros: i64,
    /// View or reward.
    pub kind: EventKind,
    /// Campaign id (view) or reward id (reward).
    pub item_id: i64,
}

/// One session of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user_id: String,
    /// First request (µs since the epoch, UTC).
    pub start_micros: i64,
    /// Last request.
    pub end_micros: i64,
    /// Distinct campaign ids viewed, in first-seen order.
    pub campaigns: Vec<i64>,
    /// Distinct reward ids issued, in first-seen order.
    pub rewards: Vec<i64>,
    /// Whether a reward followed a view of a campaign that contains it.
    pub driven: bool,
    /// Number of requests.
    pub events: u64,
}

/// Sort key that orders digit strings numerically (ids have at most 38 digits, so they fit
/// in a `u128`), then as written, so `007` and `7` keep a stable order.
pub fn user_order_key(user_id: &str) -> (u128, &str) {
    (user_id.parse().unwrap_or(u128::MAX), user_id)
}

/// Splits events into sessions by the rules above. Output is ordered by numeric user id, then
/// session start. Input order does not matter.
pub fn sessionize(events: &[Event], mapping: &HashSet<(i64, i64)>) -> Vec<Session> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| {
        user_order_key(&a.user_id)
            .cmp(&user_order_key(&b.user_id))
            .then(a.ts_micros.cmp(&b.ts_micros))
            .then(a.kind.cmp(&b.kind))
            .then(a.item_id.cmp(&b.item_id))
    });
    let mut out: Vec<Session> = Vec::new();
    let mut current: Vec<&Event> = Vec::new();
    for e in sorted {
        let split = current.last().is_some_and(|last| {
            last.user_id != e.user_id || e.ts_micros - last.ts_micros >= GAP_SECS * 1_000_000
        });
        if split {
            out.push(close(&current, mapping));
            current.clear();
        }
        current.push(e);
    }
    if !current.is_empty() {
        out.push(close(&current, mapping));
    }
    out
}

fn close(events: &[&Event], mapping: &HashSet<(i64, i64)>) -> Session {
    let mut campaigns = Vec::new();
    let mut rewards = Vec::new();
    for e in events {
        let list = match e.kind {
            EventKind::View => &mut campaigns,
            EventKind::Reward => &mut rewards,
        };
        if !list.contains(&e.item_id) {
            list.push(e.item_id);
        }
    }
    let driven = events.iter().any(|r| {
        r.kind == EventKind::Reward
            && events.iter().any(|v| {
                v.kind == EventKind::View
                    && v.ts_micros < r.ts_micros
                    && mapping.contains(&(v.item_id, r.item_id))
            })
    });
    Session {
        user_id: events[0].user_id.clone(),
        start_micros: events[0].ts_micros,
        end_micros: events[events.len() - 1].ts_micros,
        campaigns,
        rewards,
        driven,
        events: events.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(user: &str, secs: i64, kind: EventKind, item: i64) -> Event {
        Event {
            user_id: user.into(),
            ts_micros: secs * 1_000_000,
            kind,
            item_id: item,
        }
    }
    use EventKind::{Reward, View};

    fn starts(events: &[Event]) -> Vec<i64> {
        sessionize(events, &HashSet::new())
            .iter()
            .map(|s| s.start_micros / 1_000_000)
            .collect()
    }

    #[test]
    fn gap_of_300_seconds_or_more_starts_a_session() {
        let e = |t| ev("1", t, View, 1);
        assert_eq!(starts(&[e(0), e(299)]), vec![0]);
        assert_eq!(starts(&[e(0), e(300)]), vec![0, 300]);
        assert_eq!(starts(&[e(0), e(301)]), vec![0, 301]);
        assert_eq!(starts(&[e(0), e(0), e(0)]), vec![0]);
    }

    #[test]
    fn driven_needs_a_strictly_earlier_view_of_a_mapped_campaign() {
        let map: HashSet<_> = [(10, 100)].into();
        let s = |events: &[Event]| sessionize(events, &map)[0].driven;
        assert!(s(&[ev("1", 0, View, 10), ev("1", 5, Reward, 100)]));
        assert!(
            !s(&[ev("1", 5, View, 10), ev("1", 5, Reward, 100)]),
            "same second"
        );
        assert!(
            !s(&[ev("1", 5, Reward, 100), ev("1", 9, View, 10)]),
            "reward first"
        );
        assert!(
            !s(&[ev("1", 0, View, 11), ev("1", 5, Reward, 100)]),
            "not mapped"
        );
    }

    #[test]
    fn lists_are_distinct_in_first_seen_order_and_users_sort_numerically() {
        let events = [
            ev("10", 3, View, 7),
            ev("9", 0, View, 1),
            ev("10", 1, View, 8),
            ev("10", 2, View, 7),
            ev("10", 2, Reward, 50),
        ];
        let out = sessionize(&events, &HashSet::new());
        assert_eq!(out[0].user_id, "9");
        assert_eq!(out[1].campaigns, vec![8, 7]);
        assert_eq!(out[1].rewards, vec![50]);
        assert_eq!(out[1].events, 4);
    }
}
