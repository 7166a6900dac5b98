//! The sessions table (`http_log_session`) that loads build and ingests keep current:
//! after any sequence of ingests, of any cut of a log in any order, it holds exactly the
//! sessions report computed from scratch on everything ingested.

use std::path::Path;

use proptest::prelude::*;

use perx::progress::NoProgress;
use perx::report::{Collected, SessionsQuery};
use perx::store::Store;
use perx::store::ingest::IngestOptions;

use crate::util::{data_dir, load, memory_store};

const MAPPING: &str = "campaign_id,reward_id\n10,100\n11,101\n12,100\n";

/// A store holding the mapping and no log, its sessions table built (empty).
fn mapping_store() -> Store {
    let dir = data_dir(&[("campaign_reward_mapping.csv", MAPPING)]);
    let mut store = memory_store();
    load(&mut store, dir.path(), dir.path());
    assert!(store.sessions_fresh().unwrap(), "a load builds the table");
    store
}

/// The report from the table, and computed from scratch on the log.
fn both(store: &Store) -> (Collected, Collected) {
    assert!(store.sessions_fresh().unwrap(), "the table is current");
    let mut stored = Collected::default();
    store
        .stored_sessions(&SessionsQuery::default(), &mut stored)
        .unwrap();
    let mut scratch = Collected::default();
    store
        .sessions(&SessionsQuery::default(), &mut scratch)
        .unwrap();
    (stored, scratch)
}

/// Ingests `lines` as one file (a first line no parser takes makes every file's content
/// its own, so no batch is mistaken for another or for a grown one); returns what the
/// ingest did to the sessions.
fn ingest(
    store: &mut Store,
    dir: &Path,
    n: usize,
    lines: &[String],
) -> perx::store::sessions::SessionUpdate {
    let path = dir.join(format!("part-{n}.log"));
    let text = format!("batch {n}\n{}", lines.concat());
    std::fs::write(&path, text).unwrap();
    let report = store
        .ingest(&[path], &IngestOptions::default(), &NoProgress)
        .unwrap();
    assert!(report.batch.is_some());
    report
        .sessions
        .expect("a current table is updated by the ingest itself")
}

fn line(user: &str, t: i64, reward: bool, item: i64) -> String {
    let ts = chrono::DateTime::from_timestamp(1_566_835_200 + t, 0).unwrap();
    let (m, p, item) = if reward {
        ("POST", "rewards", 100 + item)
    } else {
        ("GET", "campaigns", 10 + item)
    };
    format!(
        "{}+00:00 {m} /{p}/{item} {user}\n",
        ts.format("%Y-%m-%dT%H:%M:%S")
    )
}

/// Users that share numbers and spellings (`7`, `007`, `07`), and one past u64.
const USERS: [&str; 6] = ["7", "007", "07", "8", "123456789012345678901234567890", "3"];

fn arb_log() -> impl Strategy<Value = Vec<String>> {
    // Times over 3 hours, so gaps of more and less than 300 s both occur.
    let event = (0usize..USERS.len(), 0i64..10_800, any::<bool>(), 0i64..3)
        .prop_map(|(u, t, reward, item)| line(USERS[u], t, reward, item));
    prop::collection::vec(event, 1..120)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The invariant: a random log, shuffled (late lines), cut into random batches,
    /// ingested one after another; after every ingest the table is the report.
    #[test]
    fn after_any_ingests_the_table_is_the_report_from_scratch(
        lines in arb_log(),
        seed in any::<u64>(),
        cuts in prop::collection::vec(0.0f64..1.0, 0..5),
    ) {
        let mut shuffled = lines.clone();
        // A seeded Fisher-Yates, so a failure can be replayed.
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut at: Vec<usize> = cuts.iter().map(|c| (c * shuffled.len() as f64) as usize).collect();
        at.push(0);
        at.push(shuffled.len());
        at.sort_unstable();
        at.dedup();
        let tmp = tempfile::tempdir().unwrap();
        let mut store = mapping_store();
        for (n, w) in at.windows(2).enumerate() {
            ingest(&mut store, tmp.path(), n, &shuffled[w[0]..w[1]]);
            let (stored, scratch) = both(&store);
            prop_assert_eq!(stored, scratch, "after batch {}", n);
        }
    }
}

/// A late line in the gap between two stored sessions merges them (both are replaced by
/// one); a late line inside a session changes only that session; a line of a new user
/// touches no stored session.
#[test]
fn late_lines_merge_two_sessions_or_split_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = mapping_store();
    // User 5: two sessions 8 minutes apart (16:00–16:02, 16:10); user 6: one session.
    let day = [
        line("5", 0, false, 0),
        line("5", 120, false, 1),
        line("5", 600, true, 0),
        line("6", 0, false, 2),
        line("6", 60, false, 2),
    ];
    let first = ingest(&mut store, tmp.path(), 0, &day);
    assert_eq!((first.users, first.replaced, first.written), (2, 0, 3));
    let (stored, scratch) = both(&store);
    assert_eq!(stored, scratch);
    assert_eq!(stored.rows.len(), 3);

    // 16:06 is 240 s after 16:02 and 240 s before 16:10: the two sessions become one,
    // and the view of campaign 10 before the issue of reward 100 makes it driven.
    let merge = ingest(&mut store, tmp.path(), 1, &[line("5", 360, false, 0)]);
    assert_eq!((merge.users, merge.replaced, merge.written), (1, 2, 1));
    let (stored, scratch) = both(&store);
    assert_eq!(stored, scratch);
    assert_eq!(stored.rows.len(), 2);

    // A line inside user 6's session: that session alone is replaced, by one.
    let inside = ingest(&mut store, tmp.path(), 2, &[line("6", 30, true, 1)]);
    assert_eq!((inside.users, inside.replaced, inside.written), (1, 1, 1));
    // A new user: nothing stored is replaced.
    let new = ingest(&mut store, tmp.path(), 3, &[line("9", 30, false, 0)]);
    assert_eq!((new.users, new.replaced, new.written), (1, 0, 1));
    let (stored, scratch) = both(&store);
    assert_eq!(stored, scratch);
    assert_eq!(stored.rows.len(), 3);
}

/// A table left without its mark (a run killed between the appends and the mark, or a
/// database from an older perx) is not read as current: the next ingest builds it from
/// scratch instead of updating it.
#[test]
fn a_stale_table_is_built_again_not_updated() {
    use perx::store::DbPath;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&[("campaign_reward_mapping.csv", MAPPING)]);
    let db = tmp.path().join("s.duckdb");
    let mut store = Store::open(&DbPath::File(db.clone())).unwrap();
    load(&mut store, data.path(), tmp.path());
    ingest(&mut store, tmp.path(), 0, &[line("5", 0, false, 0)]);
    drop(store);
    duckdb::Connection::open(&db)
        .unwrap()
        .execute_batch("DROP TABLE http_log_session_meta")
        .unwrap();
    let mut store = Store::open(&DbPath::File(db)).unwrap();
    assert!(!store.sessions_fresh().unwrap());
    let path = tmp.path().join("late.log");
    std::fs::write(&path, line("5", 100, false, 1)).unwrap();
    let report = store
        .ingest(&[path], &IngestOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(report.sessions, None);
    assert_eq!(report.sessions_built, Some(1));
    let (stored, scratch) = both(&store);
    assert_eq!(stored, scratch);
}
