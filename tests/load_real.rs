//! End-to-end checks on the original exercise data (`$PERX_SHARED_DATA/perx`).

use perx::hashing::sha256_file;
use perx::store::{DbPath, Store};

use crate::util::{count, load, memory_store, real_data};

#[test]
fn real_data_loads_every_line_with_expected_counts() {
    let Some(dir) = real_data("perx", "real_data_loads_every_line_with_expected_counts") else {
        return;
    };
    let avro = tempfile::tempdir().unwrap();
    let mut store = memory_store();
    let report = load(&mut store, &dir, avro.path());
    let expected = [
        ("campaign", 3),
        ("reward_campaign", 3),
        ("reward_transaction", 10),
        ("campaign_reward_mapping", 3043),
        ("http_log", 16000),
        ("load_reject", 0),
        ("load_warning", 0),
    ];
    for (table, n) in expected {
        assert_eq!(count(&store, table), n, "{table}");
    }
    assert_eq!(report.rejected(), 0);
    assert!(report.is_clean(), "{:?}", report.warnings);

    // The manifest records each file's real sha256 (SOURCES.md lists them).
    let manifest = store.manifest().unwrap();
    assert_eq!(manifest.len(), 5);
    let log = manifest
        .iter()
        .find(|m| m.source == "http_log.txt")
        .unwrap();
    assert_eq!(
        log.sha256,
        "7c75e564e76d0aa0da98d38f46e9def6dc86e9f7fd41fa0bbf7422185227e071"
    );
    assert_eq!(log.sha256, sha256_file(&dir.join("http_log.txt")).unwrap());
}

#[test]
fn real_data_loaded_twice_gives_the_same_counts() {
    let Some(dir) = real_data("perx", "real_data_loaded_twice_gives_the_same_counts") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = DbPath::File(tmp.path().join("twice.duckdb"));
    let mut store = Store::open(&db).unwrap();
    load(&mut store, &dir, tmp.path());
    let first = store.table_counts().unwrap();
    drop(store);
    let mut store = Store::open(&db).unwrap();
    load(&mut store, &dir, tmp.path());
    assert_eq!(store.table_counts().unwrap(), first);
    assert_eq!(count(&store, "http_log"), 16000);
}

#[test]
fn real_data_timestamps_keep_milliseconds_and_utc() {
    let Some(dir) = real_data("perx", "real_data_timestamps_keep_milliseconds_and_utc") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = memory_store();
    load(&mut store, &dir, tmp.path());
    let (min, max) = store.log_time_range().unwrap().expect("log has rows");
    assert_eq!(min.to_rfc3339(), "2019-08-26T16:00:02+00:00");
    assert_eq!(max.to_rfc3339(), "2019-08-27T03:34:59+00:00");
}
