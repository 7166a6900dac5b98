//! The sessionisation rules: [`Sessionizer`], the streaming pass the sessions report runs
//! over the log as DuckDB sorts it (memory bounded by one session's distinct items), and
//! [`sessionize`], a deliberately naive statement of the same rules that tests use as the
//! oracle for both the streaming pass and the all-SQL twins (`sql/reports/sessions.sql`,
//! `sql/bigquery/sessions.sql`).
//!
//! Rules: each user's events are ordered by time, ties view before reward, then by id. A
//! gap of [`GAP_SECS`] seconds or more starts a new session; equal timestamps stay together.
//! A session is reward-driven when it issues a reward R strictly after (at a later
//! timestamp than) a view of a campaign C with (C, R) in the campaign–reward mapping.

use std::collections::HashSet;

use super::logline::EventKind;

/// A gap of this many seconds or more between two requests of a user starts a new session.
pub const GAP_SECS: i64 = 300;

/// Whether the time from `earlier` to `later` (µs) is a session gap. Checked arithmetic:
/// instants are validated at load, but a database can be filled by other means, and far
/// instants must not overflow (a difference that does not fit is a gap).
pub fn is_gap(earlier: i64, later: i64) -> bool {
    later
        .checked_sub(earlier)
        .is_none_or(|d| d >= GAP_SECS * 1_000_000)
}

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
    /// The viewed campaigns that drove a reward, ascending.
    pub driving_campaigns: Vec<i64>,
}

/// The order of users in the report: numerically (ids have at most 38 digits, so they fit
/// in a `u128`); spellings of one number with leading zeros come after the plain one, in
/// text order (`7`, `007`, `07`).
pub fn user_order_key(user_id: &str) -> (u128, bool, &str) {
    let plain = !(user_id.len() > 1 && user_id.starts_with('0'));
    (user_id.parse().unwrap_or(u128::MAX), !plain, user_id)
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
        let split = current
            .last()
            .is_some_and(|last| last.user_id != e.user_id || is_gap(last.ts_micros, e.ts_micros));
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

/// The mapping rows (campaign, reward) that make one session's events reward-driven: a
/// view of the campaign strictly before an issue of the reward. Ascending, distinct; empty
/// when the session is not reward-driven.
pub fn driving_pairs(events: &[Event], mapping: &HashSet<(i64, i64)>) -> Vec<(i64, i64)> {
    let mut pairs: Vec<(i64, i64)> = events
        .iter()
        .filter(|v| v.kind == EventKind::View)
        .flat_map(|v| {
            events
                .iter()
                .filter(move |r| {
                    r.kind == EventKind::Reward
                        && v.ts_micros < r.ts_micros
                        && mapping.contains(&(v.item_id, r.item_id))
                })
                .map(move |r| (v.item_id, r.item_id))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
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
    let mut driving: Vec<i64> = events
        .iter()
        .filter(|v| v.kind == EventKind::View)
        .filter(|v| {
            events.iter().any(|r| {
                r.kind == EventKind::Reward
                    && v.ts_micros < r.ts_micros
                    && mapping.contains(&(v.item_id, r.item_id))
            })
        })
        .map(|v| v.item_id)
        .collect();
    driving.sort_unstable();
    driving.dedup();
    Session {
        user_id: events[0].user_id.clone(),
        start_micros: events[0].ts_micros,
        end_micros: events[events.len() - 1].ts_micros,
        campaigns,
        rewards,
        driven: !driving.is_empty(),
        events: events.len() as u64,
        driving_campaigns: driving,
    }
}

/// One event of the sorted stream the [`Sessionizer`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamEvent<'a> {
    /// The user, as written.
    pub user_id: &'a str,
    /// Microseconds since the epoch, UTC.
    pub ts_micros: i64,
    /// View or reward.
    pub kind: EventKind,
    /// Campaign or reward id.
    pub item_id: i64,
}

/// Builds sessions from events sorted by user, then time, then view before reward, then id.
/// Holds one session at a time: its distinct campaigns (with their first view) and rewards.
#[derive(Debug)]
pub struct Sessionizer<'m> {
    mapping: &'m HashSet<(i64, i64)>,
    current: Option<Building>,
}

#[derive(Debug)]
struct Building {
    user_id: String,
    start: i64,
    end: i64,
    events: u64,
    /// Distinct campaigns in first-seen order, with the time of their first view.
    campaigns: Vec<(i64, i64)>,
    rewards: Vec<i64>,
    driving: Vec<i64>,
}

impl Building {
    fn new(e: &StreamEvent<'_>) -> Self {
        Building {
            user_id: e.user_id.to_owned(),
            start: e.ts_micros,
            end: e.ts_micros,
            events: 0,
            campaigns: Vec::new(),
            rewards: Vec::new(),
            driving: Vec::new(),
        }
    }

    fn add(&mut self, e: &StreamEvent<'_>, mapping: &HashSet<(i64, i64)>) {
        self.end = e.ts_micros;
        self.events += 1;
        match e.kind {
            EventKind::View => {
                if !self.campaigns.iter().any(|(c, _)| *c == e.item_id) {
                    self.campaigns.push((e.item_id, e.ts_micros));
                }
            }
            EventKind::Reward => {
                if !self.rewards.contains(&e.item_id) {
                    self.rewards.push(e.item_id);
                }
                // Events arrive in time order, so every view seen so far is at or before
                // this reward; only strictly earlier ones count.
                for (c, first_view) in &self.campaigns {
                    if *first_view < e.ts_micros
                        && mapping.contains(&(*c, e.item_id))
                        && !self.driving.contains(c)
                    {
                        self.driving.push(*c);
                    }
                }
            }
        }
    }

    fn into_session(mut self) -> Session {
        self.driving.sort_unstable();
        Session {
            user_id: self.user_id,
            start_micros: self.start,
            end_micros: self.end,
            campaigns: self.campaigns.into_iter().map(|(c, _)| c).collect(),
            rewards: self.rewards,
            driven: !self.driving.is_empty(),
            events: self.events,
            driving_campaigns: self.driving,
        }
    }
}

impl<'m> Sessionizer<'m> {
    /// A sessionizer that judges reward-driven sessions by `mapping` (distinct
    /// (campaign, reward) pairs).
    pub fn new(mapping: &'m HashSet<(i64, i64)>) -> Self {
        Sessionizer {
            mapping,
            current: None,
        }
    }

    /// Takes the next event; returns the session it closed, if any.
    pub fn push(&mut self, e: &StreamEvent<'_>) -> Option<Session> {
        let closed = match &self.current {
            Some(b) if b.user_id == e.user_id && !is_gap(b.end, e.ts_micros) => None,
            Some(_) => self.current.take().map(Building::into_session),
            None => None,
        };
        let mapping = self.mapping;
        self.current
            .get_or_insert_with(|| Building::new(e))
            .add(e, mapping);
        closed
    }

    /// The last session, once the stream has ended.
    pub fn finish(self) -> Option<Session> {
        self.current.map(Building::into_session)
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

    /// Runs the streaming pass over events sorted the way DuckDB sorts them.
    fn stream(events: &[Event], mapping: &HashSet<(i64, i64)>) -> Vec<Session> {
        let mut sorted: Vec<&Event> = events.iter().collect();
        sorted.sort_by(|a, b| {
            user_order_key(&a.user_id)
                .cmp(&user_order_key(&b.user_id))
                .then((a.ts_micros, a.kind, a.item_id).cmp(&(b.ts_micros, b.kind, b.item_id)))
        });
        let mut s = Sessionizer::new(mapping);
        let mut out: Vec<Session> = sorted
            .iter()
            .filter_map(|e| {
                s.push(&StreamEvent {
                    user_id: &e.user_id,
                    ts_micros: e.ts_micros,
                    kind: e.kind,
                    item_id: e.item_id,
                })
            })
            .collect();
        out.extend(s.finish());
        out
    }

    #[test]
    fn streaming_pass_agrees_with_the_reference_on_tricky_cases() {
        let map: HashSet<_> = [(10, 100), (11, 100), (12, 101)].into();
        let events = [
            ev("7", 0, View, 12),
            ev("7", 0, Reward, 101),
            ev("7", 1, View, 11),
            ev("7", 1, View, 10),
            ev("7", 2, Reward, 100),
            ev("7", 2, View, 10),
            ev("007", 3, Reward, 100),
            ev("7", 302, View, 12),
            ev("7", 303, Reward, 101),
            ev("8", 303, Reward, 101),
        ];
        let expected = sessionize(&events, &map);
        assert_eq!(stream(&events, &map), expected);
        assert_eq!(expected[0].driving_campaigns, vec![10, 11]);
        assert_eq!(expected.len(), 4);
        assert_eq!(
            expected[2].user_id, "007",
            "leading zeros after the plain spelling"
        );
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

    #[test]
    fn driving_pairs_name_the_mapping_rows_behind_driven() {
        use EventKind::{Reward, View};
        let mapping: HashSet<(i64, i64)> = [(1, 10), (2, 20), (3, 10)].into();
        let events = [
            ev("u", 0, View, 1),
            ev("u", 5, Reward, 10),
            ev("u", 6, Reward, 20),
            ev("u", 6, View, 2),
            ev("u", 7, View, 3),
        ];
        // (2, 20): same instant, not before; (3, 10): view after the reward.
        assert_eq!(driving_pairs(&events, &mapping), vec![(1, 10)]);
        let session = &sessionize(&events, &mapping)[0];
        assert_eq!(session.driving_campaigns, vec![1]);
        assert!(driving_pairs(&events[2..], &mapping).is_empty());
    }
}
