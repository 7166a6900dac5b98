//! The three reports: exact answers on the real data, boundaries on tiny hand-made data,
//! and the sessions SQL against the Rust statement of its rules.

use std::collections::HashSet;

use chrono::NaiveDate;
use chrono_tz::Tz;
use perx::core::logline::parse_line;
use perx::core::session::{Event, sessionize};
use perx::core::timerange::{DEFAULT_TZ, LocalDateRange};
use perx::report::{Bucket, Cell, Collected, EngagementQuery, SessionsQuery, WeeklyQuery};
use perx::store::Store;
use proptest::prelude::*;

use crate::util::{data_dir, load, memory_store, real_data};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn engagement(store: &Store, campaign: i64, from: &str, to: &str, tz: Tz, by: Bucket) -> Collected {
    let mut out = Collected::default();
    let q = EngagementQuery {
        campaign_id: campaign,
        range: LocalDateRange::new(d(from), d(to), tz).unwrap(),
        status: None,
        by,
    };
    store.engagement(&q, &mut out).unwrap();
    out
}

fn weekly(store: &Store, tz: Tz) -> Collected {
    let mut out = Collected::default();
    store
        .weekly(&WeeklyQuery { tz, reward: None }, &mut out)
        .unwrap();
    out
}

fn sessions(store: &Store, q: &SessionsQuery) -> Collected {
    let mut out = Collected::default();
    store.sessions(q, &mut out).unwrap();
    out
}

fn text(c: &Cell) -> String {
    perx::report::output::cell_text(c)
}

fn row_texts(c: &Collected) -> Vec<Vec<String>> {
    c.rows
        .iter()
        .map(|r| r.iter().map(text).collect())
        .collect()
}

/// A store loaded from files given as text.
fn store_with(files: &[(&str, &str)]) -> Store {
    let dir = data_dir(files);
    let mut store = memory_store();
    load(&mut store, dir.path(), dir.path());
    store
}

fn real_store(test: &str) -> Option<Store> {
    let dir = real_data("perx", test)?;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = memory_store();
    load(&mut store, &dir, tmp.path());
    Some(store)
}

// ---- real data -------------------------------------------------------------------------

#[test]
fn real_engagement_campaign_1_in_august() {
    let Some(store) = real_store("real_engagement_campaign_1_in_august") else {
        return;
    };
    let all = engagement(
        &store,
        1,
        "2019-08-01",
        "2019-08-31",
        DEFAULT_TZ,
        Bucket::DateHour,
    );
    assert_eq!(all.columns, ["rank", "no_of_transactions", "date", "time"]);
    assert_eq!(all.rows.len(), 10);
    for r in &all.rows {
        assert_eq!(r[0], Cell::Int(1));
        assert_eq!(r[1], Cell::Int(1));
        assert_eq!(text(&r[3]), "19:00");
    }
    assert_eq!(text(&all.rows[0][2]), "2019-08-12");
    let one = engagement(
        &store,
        1,
        "2019-08-22",
        "2019-08-22",
        DEFAULT_TZ,
        Bucket::DateHour,
    );
    assert_eq!(row_texts(&one), [["1", "1", "2019-08-22", "19:00"]]);
    let none = engagement(
        &store,
        1,
        "2019-08-20",
        "2019-08-20",
        DEFAULT_TZ,
        Bucket::DateHour,
    );
    assert!(none.rows.is_empty());
    let hours = engagement(
        &store,
        1,
        "2019-08-01",
        "2019-08-31",
        DEFAULT_TZ,
        Bucket::HourOfDay,
    );
    assert_eq!(row_texts(&hours), [["1", "10", "19:00"]]);
}

#[test]
fn real_weekly_is_exactly_two_rows() {
    let Some(store) = real_store("real_weekly_is_exactly_two_rows") else {
        return;
    };
    let w = weekly(&store, DEFAULT_TZ);
    let rows: Vec<Vec<String>> = row_texts(&w).into_iter().map(|r| r[..5].to_vec()).collect();
    assert_eq!(
        rows,
        [
            ["My Reward", "7", "", "2019-08-12", "2019-W33"],
            ["My Reward", "3", "-57.14", "2019-08-19", "2019-W34"],
        ]
    );
}

#[test]
fn real_sessions_totals() {
    let Some(store) = real_store("real_sessions_totals") else {
        return;
    };
    let all = sessions(&store, &SessionsQuery::default());
    assert_eq!(all.rows.len(), 7377);
    let users: HashSet<String> = all.column("user_id").iter().map(|c| text(c)).collect();
    assert_eq!(users.len(), 6935);
    let driven = all
        .column("reward_driven_by_campaign_view")
        .iter()
        .filter(|c| ***c == Cell::Bool(true))
        .count();
    assert_eq!(driven, 340);
    let only = sessions(
        &store,
        &SessionsQuery {
            driven_only: true,
            ..Default::default()
        },
    );
    assert_eq!(only.rows.len(), 340);
    let mut only_sql = Collected::default();
    let q = SessionsQuery {
        driven_only: true,
        ..Default::default()
    };
    store.sessions_sql(&q, &mut only_sql).unwrap();
    assert_eq!(only, only_sql);
    // The heaviest user of the log, checked by hand against the text file.
    let heavy = sessions(
        &store,
        &SessionsQuery {
            user_id: Some("2000020076516".into()),
            ..Default::default()
        },
    );
    let events: i64 = heavy
        .column("event_count")
        .iter()
        .map(|c| match c {
            Cell::Int(n) => *n,
            _ => 0,
        })
        .sum();
    assert_eq!(
        events, 1107,
        "every request of the user is in one of its sessions"
    );
}

/// Users checked by hand against `grep USER http_log.txt | sort`.
#[test]
fn real_sessions_of_hand_checked_users() {
    let Some(store) = real_store("real_sessions_of_hand_checked_users") else {
        return;
    };
    let user = |id: &str| {
        let q = SessionsQuery {
            user_id: Some(id.into()),
            ..Default::default()
        };
        let rows = row_texts(&sessions(&store, &q));
        rows.into_iter()
            .map(|r| r[1..].to_vec())
            .collect::<Vec<_>>()
    };
    // Ten requests 00:56:45-01:03:11, no gap of 5 minutes; views 1127, 11, 43 and reward
    // 6930, issued 18 s after a view of 1127, which contains it.
    assert_eq!(
        user("1379787"),
        [[
            "2019-08-27T00:56:45+00:00",
            "2019-08-27T01:03:11+00:00",
            "[1127,11,43]",
            "[6930]",
            "true",
            "10",
            "386",
            "[1127]"
        ]]
    );
    // A reward at 01:21:09, a view at 01:21:53, then 7 min 25 s of silence: two sessions,
    // and the reward came before any view, so not driven.
    assert_eq!(
        user("2000025801641"),
        [
            [
                "2019-08-27T01:21:09+00:00",
                "2019-08-27T01:21:53+00:00",
                "[1128]",
                "[7993]",
                "false",
                "2",
                "44",
                "[]"
            ],
            [
                "2019-08-27T01:29:18+00:00",
                "2019-08-27T01:29:35+00:00",
                "[11]",
                "[]",
                "false",
                "3",
                "17",
                "[]"
            ]
        ]
    );
}

#[test]
fn real_sessions_match_the_rust_rules() {
    let Some(dir) = real_data("perx", "real_sessions_match_the_rust_rules") else {
        return;
    };
    let text_log = std::fs::read(dir.join("http_log.txt")).unwrap();
    let mapping_csv = std::fs::read_to_string(dir.join("campaign_reward_mapping.csv")).unwrap();
    let store = real_store("real_sessions_match_the_rust_rules").unwrap();
    assert_oracle_agrees(&store, &text_log, &mapping_csv);
}

// ---- the rules against the SQL ---------------------------------------------------------

fn parse_mapping(csv: &str) -> HashSet<(i64, i64)> {
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            let (c, r) = l.split_once(',')?;
            Some((c.trim().parse().ok()?, r.trim().parse().ok()?))
        })
        .collect()
}

fn assert_oracle_agrees(store: &Store, log: &[u8], mapping_csv: &str) {
    let events: Vec<Event> = log
        .split(|b| *b == b'\n')
        .filter_map(|l| parse_line(l).ok())
        .map(|e| Event {
            user_id: e.user_id.to_owned(),
            ts_micros: e.ts.timestamp_micros(),
            kind: e.kind,
            item_id: e.item_id,
        })
        .collect();
    let expected = sessionize(&events, &parse_mapping(mapping_csv));
    let got = sessions(store, &SessionsQuery::default());
    let mut all_sql = Collected::default();
    store
        .sessions_sql(&SessionsQuery::default(), &mut all_sql)
        .unwrap();
    assert_eq!(
        got, all_sql,
        "the streaming pass and the all-SQL twin agree"
    );
    assert_eq!(got.rows.len(), expected.len());
    for (row, s) in got.rows.iter().zip(&expected) {
        let micros = |c: &Cell| match c {
            Cell::Timestamp(t) => t.timestamp_micros(),
            other => panic!("not a timestamp: {other:?}"),
        };
        assert_eq!(row[0], Cell::Text(s.user_id.clone()));
        assert_eq!(micros(&row[1]), s.start_micros);
        assert_eq!(micros(&row[2]), s.end_micros);
        assert_eq!(row[3], Cell::IdList(s.campaigns.clone()), "{s:?}");
        assert_eq!(row[4], Cell::IdList(s.rewards.clone()), "{s:?}");
        assert_eq!(row[5], Cell::Bool(s.driven), "{s:?}");
        assert_eq!(row[6], Cell::Int(s.events as i64));
        assert_eq!(row[8], Cell::IdList(s.driving_campaigns.clone()), "{s:?}");
    }
}

const MAPPING: &str = "campaign_id,reward_id\n10,100\n10,100\n11,101\n";

fn log_store(log: &str) -> Store {
    store_with(&[
        ("http_log.txt", log),
        ("campaign_reward_mapping.csv", MAPPING),
    ])
}

#[test]
fn gaps_of_299_300_and_301_seconds() {
    let log = "2019-08-26T16:00:00+00:00 GET /campaigns/10 1\n\
               2019-08-26T16:04:59+00:00 GET /campaigns/11 1\n\
               2019-08-26T16:09:59+00:00 GET /campaigns/12 1\n\
               2019-08-26T16:15:00+00:00 GET /campaigns/13 1\n";
    let s = sessions(&log_store(log), &SessionsQuery::default());
    let lists: Vec<String> = s.column("campaigns").iter().map(|c| text(c)).collect();
    assert_eq!(lists, ["[10,11]", "[12]", "[13]"]);
    assert_eq!(text(&s.rows[0][1]), "2019-08-26T16:00:00+00:00");
    assert_eq!(text(&s.rows[0][2]), "2019-08-26T16:04:59+00:00");
}

#[test]
fn view_and_reward_in_the_same_second_is_not_driven() {
    let log = "2019-08-26T16:00:00+00:00 POST /rewards/100 1\n\
               2019-08-26T16:00:00+00:00 GET /campaigns/10 1\n";
    let s = sessions(&log_store(log), &SessionsQuery::default());
    assert_eq!(row_texts(&s)[0][3..6], ["[10]", "[100]", "false"]);
}

#[test]
fn reward_before_its_view_is_not_driven_and_after_is() {
    let before = "2019-08-26T16:00:00+00:00 POST /rewards/100 1\n\
                  2019-08-26T16:00:09+00:00 GET /campaigns/10 1\n";
    let s = sessions(&log_store(before), &SessionsQuery::default());
    assert_eq!(text(&s.rows[0][5]), "false");
    let after = "2019-08-26T16:00:09+00:00 POST /rewards/100 1\n\
                 2019-08-26T16:00:00+00:00 GET /campaigns/10 1\n\
                 2019-08-26T16:00:05+00:00 GET /campaigns/77 1\n";
    let s = sessions(&log_store(after), &SessionsQuery::default());
    assert_eq!(
        row_texts(&s)[0][3..],
        ["[10,77]", "[100]", "true", "3", "9", "[10]"]
    );
}

#[test]
fn sessions_sort_by_numeric_user_id_and_filter_by_range() {
    let log = "2019-08-26T16:00:00+00:00 GET /campaigns/10 10\n\
               2019-08-26T15:59:59+00:00 GET /campaigns/10 9\n";
    let store = log_store(log);
    let s = sessions(&store, &SessionsQuery::default());
    assert_eq!(
        s.column("user_id")
            .iter()
            .map(|c| text(c))
            .collect::<Vec<_>>(),
        ["9", "10"]
    );
    // 2019-08-27 in Singapore starts at 2019-08-26T16:00Z: only user 10's session.
    let q = SessionsQuery {
        range: Some(LocalDateRange::new(d("2019-08-27"), d("2019-08-27"), DEFAULT_TZ).unwrap()),
        ..Default::default()
    };
    let s = sessions(&store, &q);
    assert_eq!(
        s.column("user_id")
            .iter()
            .map(|c| text(c))
            .collect::<Vec<_>>(),
        ["10"]
    );
}

fn transactions(rows: &[(&str, &str)]) -> String {
    let mut s = String::from("id,status,updated_at,reward_campaign_id\n");
    for (i, (status, ts)) in rows.iter().enumerate() {
        s.push_str(&format!("{},{status},{ts},1\n", i + 1));
    }
    s
}

const CAMPAIGN: &str = "id,name\n1,C\n";
const REWARD: &str = "id,reward_name,campaign_id\n1,R,1\n";

/// Campaign 1 with reward 1 and the given reward_transaction.csv.
fn campaign_store(transactions: &str) -> Store {
    store_with(&[
        ("campaign.csv", CAMPAIGN),
        ("reward_campaign.csv", REWARD),
        ("reward_transaction.csv", transactions),
    ])
}

#[test]
fn range_edges_are_sgt_midnight_to_midnight() {
    // 23:59:59.999 SGT on 2019-08-21 and 00:00:00.000 SGT on 2019-08-22.
    let tx = transactions(&[
        ("redeemed", "2019-08-21 15:59:59.999 UTC"),
        ("issued", "2019-08-21 16:00:00.000 UTC"),
        ("redeemed", "2019-08-22 15:59:59.999 UTC"),
        ("redeemed", "2019-08-22 16:00:00.000 UTC"),
    ]);
    let store = campaign_store(&tx);
    let r = engagement(
        &store,
        1,
        "2019-08-22",
        "2019-08-22",
        DEFAULT_TZ,
        Bucket::DateHour,
    );
    assert_eq!(
        row_texts(&r),
        [
            ["1", "1", "2019-08-22", "00:00"],
            ["1", "1", "2019-08-22", "23:00"]
        ]
    );
    let r = engagement(
        &store,
        1,
        "2019-08-21",
        "2019-08-21",
        DEFAULT_TZ,
        Bucket::DateHour,
    );
    assert_eq!(row_texts(&r), [["1", "1", "2019-08-21", "23:00"]]);
}

#[test]
fn ties_share_a_rank_and_weekday_buckets_aggregate_dates() {
    let tx = transactions(&[
        ("redeemed", "2019-08-12 11:00:00 UTC"), // Mon 19:00 SGT
        ("redeemed", "2019-08-19 11:30:00 UTC"), // Mon 19:00 SGT, a week later
        ("redeemed", "2019-08-13 02:00:00 UTC"), // Tue 10:00 SGT
    ]);
    let store = campaign_store(&tx);
    let r = engagement(
        &store,
        1,
        "2019-08-01",
        "2019-08-31",
        DEFAULT_TZ,
        Bucket::DateHour,
    );
    assert!(
        r.rows.iter().all(|row| row[0] == Cell::Int(1)),
        "three ties of one"
    );
    let r = engagement(
        &store,
        1,
        "2019-08-01",
        "2019-08-31",
        DEFAULT_TZ,
        Bucket::WeekdayHour,
    );
    assert_eq!(
        row_texts(&r),
        [["1", "2", "Mon", "19:00"], ["2", "1", "Tue", "10:00"]]
    );
}

#[test]
fn engagement_in_new_york_across_the_dst_change() {
    let ny: Tz = "America/New_York".parse().unwrap();
    // 2019-11-03 is 25 hours long in New York: 04:00Z is 00:00 EDT, 05:30Z is 01:30 EDT,
    // 06:30Z is 01:30 again (EST), 04:59:59Z on 2019-11-04 is 23:59:59 EST.
    let tx = transactions(&[
        ("redeemed", "2019-11-03 03:59:59 UTC"),
        ("redeemed", "2019-11-03 04:00:00 UTC"),
        ("redeemed", "2019-11-03 05:30:00 UTC"),
        ("redeemed", "2019-11-03 06:30:00 UTC"),
        ("redeemed", "2019-11-04 04:59:59 UTC"),
        ("redeemed", "2019-11-04 05:00:00 UTC"),
    ]);
    let store = campaign_store(&tx);
    let r = engagement(&store, 1, "2019-11-03", "2019-11-03", ny, Bucket::DateHour);
    assert_eq!(
        row_texts(&r),
        [
            ["1", "2", "2019-11-03", "01:00"],
            ["2", "1", "2019-11-03", "00:00"],
            ["2", "1", "2019-11-03", "23:00"]
        ]
    );
}

#[test]
fn weekly_fills_zero_weeks_and_leaves_change_after_zero_empty() {
    let tx = transactions(&[
        // week of Mon 2019-08-05 (SGT): 2 redeemed, 1 issued (ignored)
        ("redeemed", "2019-08-04 16:00:00 UTC"), // Mon 00:00 SGT: first instant of the week
        ("redeemed", "2019-08-11 15:59:59.999 UTC"), // Sun 23:59:59.999 SGT: last instant
        ("issued", "2019-08-06 01:00:00 UTC"),
        // week of 2019-08-12: nothing; week of 2019-08-19: 3
        ("redeemed", "2019-08-19 01:00:00 UTC"),
        ("redeemed", "2019-08-20 01:00:00 UTC"),
        ("redeemed", "2019-08-21 01:00:00 UTC"),
        // week of 2019-08-26: 1
        ("redeemed", "2019-08-26 01:00:00 UTC"),
    ]);
    let store = campaign_store(&tx);
    let w = weekly(&store, DEFAULT_TZ);
    let rows: Vec<Vec<String>> = row_texts(&w)
        .into_iter()
        .map(|r| r[1..4].to_vec())
        .collect();
    assert_eq!(
        rows,
        [
            ["2", "", "2019-08-05"],
            ["0", "-100", "2019-08-12"],
            ["3", "", "2019-08-19"],
            ["1", "-66.67", "2019-08-26"],
        ]
    );
}

#[test]
fn unknown_campaign_names_the_known_ids() {
    let store = store_with(&[("campaign.csv", CAMPAIGN)]);
    let q = EngagementQuery {
        campaign_id: 9,
        range: LocalDateRange::new(d("2019-08-01"), d("2019-08-02"), DEFAULT_TZ).unwrap(),
        status: None,
        by: Bucket::DateHour,
    };
    let e = store.engagement(&q, &mut Collected::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "campaign 9 is not in the campaign table; known campaign ids: 1"
    );
}

// ---- properties ------------------------------------------------------------------------

fn arb_log() -> impl Strategy<Value = Vec<String>> {
    let line =
        (0u32..4, 0i64..1500, prop::bool::ANY, 0i64..4).prop_map(|(user, t, reward, item)| {
            let ts = chrono::DateTime::from_timestamp(1_566_835_200 + t, 0).unwrap();
            let (m, p) = if reward {
                ("POST", "rewards")
            } else {
                ("GET", "campaigns")
            };
            let item = if reward { 100 + item } else { 10 + item };
            format!(
                "{}+00:00 {m} /{p}/{item} {}",
                ts.format("%Y-%m-%dT%H:%M:%S"),
                7 + user
            )
        });
    prop::collection::vec(line, 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn shuffling_the_log_never_changes_the_sessions(lines in arb_log(), seed in any::<u64>()) {
        let mapping = "campaign_id,reward_id\n10,100\n11,101\n12,100\n";
        let log = lines.join("\n") + "\n";
        let mut shuffled = lines.clone();
        // a seeded Fisher-Yates, so a failure can be replayed
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let shuffled_log = shuffled.join("\n") + "\n";
        let a = store_with(&[("http_log.txt", &log), ("campaign_reward_mapping.csv", mapping)]);
        let b = store_with(&[("http_log.txt", &shuffled_log), ("campaign_reward_mapping.csv", mapping)]);
        let sa = sessions(&a, &SessionsQuery::default());
        let sb = sessions(&b, &SessionsQuery::default());
        prop_assert_eq!(&sa, &sb);
        assert_oracle_agrees(&a, log.as_bytes(), mapping);
    }
}

#[test]
fn user_ids_and_paths_are_kept_exactly_as_written() {
    // `007` and `7` are different users; `/campaigns/011` is campaign 11 but keeps its text;
    // a 30-digit id does not fit a u64 and must survive too.
    let big = "123456789012345678901234567890";
    let log = format!(
        "2019-08-26T16:00:00+00:00 GET /campaigns/011 007\n\
         2019-08-26T16:00:01+00:00 GET /campaigns/11 7\n\
         2019-08-26T16:00:02+00:00 POST /rewards/100 {big}\n"
    );
    let store = log_store(&log);
    let s = sessions(&store, &SessionsQuery::default());
    let users: Vec<String> = s.column("user_id").iter().map(|c| text(c)).collect();
    assert_eq!(
        users,
        ["7", "007", big],
        "numeric order, leading zeros after the plain id"
    );
    let mut all_sql = Collected::default();
    store
        .sessions_sql(&SessionsQuery::default(), &mut all_sql)
        .unwrap();
    assert_eq!(s, all_sql);
    assert_eq!(text(&s.rows[1][3]), "[11]");
    let rows = store.http_log_rows(10).unwrap();
    let texts: Vec<(String, String, String)> = rows
        .into_iter()
        .map(|r| (r.http_method, r.http_path, r.user_id))
        .collect();
    assert_eq!(
        texts,
        [
            ("GET".into(), "/campaigns/011".into(), "007".into()),
            ("GET".into(), "/campaigns/11".into(), "7".into()),
            ("POST".into(), "/rewards/100".into(), big.into()),
        ]
    );
}
