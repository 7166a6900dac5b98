//! The `perx` binary as a user runs it: exit codes, messages, summaries.

use assert_cmd::Command;
use perx::store::{DbPath, Store};
use predicates::prelude::*;

use crate::util::{count, data_dir, sample_dir};

const CAMPAIGNS: &str = "Id,name,status\n1,C1,active\n2,C2,inactive\n";
const REWARDS: &str = "id,reward_name,updated_at,campaign_id\n1,R1,2019-08-09 12:04:10.041 UTC,1\n";
const TRANSACTIONS: &str = "id,status,updated_at,reward_campaign_id\n\
                            1,redeemed,2019-08-12 11:04:10.041 UTC,1\n\
                            2,redeemed,2019-08-13 11:04:10.041 UTC,1\n";

/// `perx --db DB load --data DIR`, asserted on.
fn load_dir(db: &std::path::Path, dir: impl AsRef<std::path::Path>) -> assert_cmd::assert::Assert {
    perx(db).args(["load", "--data"]).arg(dir.as_ref()).assert()
}

pub(crate) fn perx(db: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("perx").unwrap();
    c.arg("--db")
        .arg(db)
        .env_remove("PERX_DATA")
        .env_remove("PERX_DB");
    c
}

#[test]
fn clean_load_exits_0_and_prints_a_summary() {
    let data = data_dir(&[
        ("campaign.csv", CAMPAIGNS),
        ("reward_campaign.csv", REWARDS),
        ("reward_transaction.csv", TRANSACTIONS),
    ]);
    let db = data.path().join("t.duckdb");
    perx(&db)
        .arg("load")
        .arg("--data")
        .arg(data.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("reward_transaction.csv"))
        .stdout(predicate::str::contains("every foreign key resolves"))
        .stdout(predicate::str::contains("not in").and(predicate::str::contains("http_log.txt")));
}

#[test]
fn bad_header_is_fatal_and_names_file_and_line() {
    let data = data_dir(&[("campaign.csv", "identifier,title\n1,x\n")]);
    perx(&data.path().join("t.duckdb"))
        .args(["load", "--data"])
        .arg(data.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "campaign.csv:1: header lacks required column(s) id, name; found [identifier, title]",
        ));
}

#[test]
fn bad_value_rejects_the_row_with_line_and_column_and_keeps_the_rest() {
    let tx = "id,status,updated_at,reward_campaign_id\n\
              1,redeemed,2019-08-12 11:04:10.041 UTC,1\n\
              2,redeemed,12/08/2019,1\n\
              3,redeemed,2019-08-14 11:04:10.041 UTC,1\n";
    let data = data_dir(&[
        ("campaign.csv", CAMPAIGNS),
        ("reward_campaign.csv", REWARDS),
        ("reward_transaction.csv", tx),
    ]);
    let db = data.path().join("t.duckdb");
    let out = perx(&db)
        .args(["load", "--format", "json", "--data"])
        .arg(data.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "reward_transaction.csv:3: column 3 (updated_at): \"12/08/2019\" is not a UTC timestamp",
        ))
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let tx = &json["sources"][2];
    assert_eq!(tx["source"], "reward_transaction.csv");
    assert_eq!(tx["rows"], 2);
    assert_eq!(tx["rejected"], 1);
    let store = Store::open(&DbPath::File(db)).unwrap();
    let rejects = store.rejects(Some("reward_transaction.csv")).unwrap();
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].1.line_no, 3);
}

#[test]
fn dangling_foreign_keys_are_reported_not_dropped() {
    let tx = "id,status,updated_at,reward_campaign_id\n1,redeemed,2019-08-12 11:04:10 UTC,99\n";
    let data = data_dir(&[
        ("campaign.csv", CAMPAIGNS),
        ("reward_campaign.csv", REWARDS),
        ("reward_transaction.csv", tx),
    ]);
    let db = data.path().join("t.duckdb");
    load_dir(&db, data.path())
        .code(3)
        .stdout(predicate::str::contains(
            "reward_transaction.csv:2: reward_campaign_id 99 is not in reward_campaign.csv",
        ));
    let store = Store::open(&DbPath::File(db)).unwrap();
    assert_eq!(count(&store, "reward_transaction"), 1, "the row is kept");
    assert_eq!(count(&store, "load_warning"), 1);
}

#[test]
fn failed_load_leaves_the_previous_contents() {
    let good = data_dir(&[
        ("campaign.csv", CAMPAIGNS),
        ("reward_transaction.csv", TRANSACTIONS),
    ]);
    let db = good.path().join("t.duckdb");
    load_dir(&db, good.path()).code(3);
    // campaign.csv loads fine, then reward_transaction.csv's header stops the load.
    let bad = data_dir(&[
        ("campaign.csv", "id,name\n7,Only\n"),
        ("reward_transaction.csv", "nope\n1\n"),
    ]);
    load_dir(&db, bad.path())
        .code(1)
        .stderr(predicate::str::contains("reward_transaction.csv:1:"));
    let store = Store::open(&DbPath::File(db)).unwrap();
    assert_eq!(
        count(&store, "campaign"),
        2,
        "rolled back to the earlier load"
    );
    assert_eq!(count(&store, "reward_transaction"), 2);
}

#[test]
fn missing_data_dir_is_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    perx(&tmp.path().join("t.duckdb"))
        .args(["load", "--data", "/no/such/dir"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/no/such/dir does not exist"));
}

#[test]
fn locked_database_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("locked.duckdb");
    let _held = Store::open(&DbPath::File(db.clone())).unwrap();
    load_dir(&db, sample_dir())
        .code(1)
        .stderr(predicate::str::contains("is locked by another process"));
}

#[test]
fn sample_load_lists_bad_lines_and_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    perx(&tmp.path().join("s.duckdb"))
        .args(["load", "--data"])
        .arg(sample_dir())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("7 line(s) rejected"))
        .stderr(predicate::str::contains("http_log.txt:"))
        .stdout(predicate::str::contains("HTTP log loaded from Avro file"));
    assert!(
        tmp.path().join("s.http_log.avro").is_file(),
        "Avro kept beside the database, named after it"
    );
}

#[test]
fn avro_made_by_convert_log_loads_with_its_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let avro_dir = tmp.path().join("avro");
    Command::cargo_bin("perx")
        .unwrap()
        .arg("convert-log")
        .arg(sample_dir().join("http_log.txt"))
        .arg("-o")
        .arg(avro_dir.join("http_log.avro"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("7 rejected"));
    let db = tmp.path().join("a.duckdb");
    load_dir(&db, &avro_dir).code(3);
    let store = Store::open(&DbPath::File(db)).unwrap();
    assert_eq!(
        count(&store, "http_log"),
        perx::sample::DEFAULT_LOG_LINES - 7
    );
    let rejects = store.rejects(Some("http_log.avro")).unwrap();
    assert_eq!(
        rejects.iter().map(|(_, r)| r.line_no).collect::<Vec<_>>(),
        perx::sample::bad_line_numbers(perx::sample::DEFAULT_LOG_LINES)
    );
}

#[test]
fn help_documents_exit_codes_and_rejects() {
    Command::cargo_bin("perx")
        .unwrap()
        .args(["load", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("load_reject"))
        .stdout(predicate::str::contains("Exit status"));
}

/// A database loaded with one campaign, one reward named like a formula, two transactions.
fn report_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let data = data_dir(&[
        ("campaign.csv", CAMPAIGNS),
        (
            "reward_campaign.csv",
            "id,reward_name,campaign_id\n1,=HYPERLINK(\"x\"),1\n",
        ),
        ("reward_transaction.csv", TRANSACTIONS),
    ]);
    let db = data.path().join("r.duckdb");
    load_dir(&db, data.path()).code(0);
    (data, db)
}

#[test]
fn report_csv_file_with_provenance_sidecar() {
    let (dir, db) = report_db();
    let out = dir.path().join("weekly.csv");
    perx(&db)
        .args(["report", "weekly", "--provenance", "-o"])
        .arg(&out)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("wrote 1 row(s)"));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        csv,
        "reward_name,reward_redeemed_count,pct_diff_prev_week,week_start,iso_week,reward_campaign_id\n\
         \"'=HYPERLINK(\"\"x\"\")\",2,,2019-08-12,2019-W33,1\n",
        "a formula-like name is defused; numbers are not"
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("weekly.csv.meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["sql_file"], "sql/reports/weekly.sql");
    assert_eq!(meta["time_zone"], "Asia/Singapore");
    assert_eq!(meta["rows"], 1);
    let sources = meta["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3);
    assert!(
        sources
            .iter()
            .all(|s| s["sha256"].as_str().unwrap().len() == 64)
    );
}

#[test]
fn report_engagement_json_and_empty_range_note() {
    let (_dir, db) = report_db();
    let out = perx(&db)
        .args([
            "report",
            "engagement",
            "--campaign",
            "1",
            "--from",
            "2019-08-12",
            "--to",
            "2019-08-13",
            "--format",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"rank": 1, "no_of_transactions": 1, "date": "2019-08-12", "time": "19:00"},
            {"rank": 1, "no_of_transactions": 1, "date": "2019-08-13", "time": "19:00"},
        ])
    );
    perx(&db)
        .args([
            "report", "engagement", "--campaign", "1", "--from", "2019-08-20", "--to",
            "2019-08-20", "--format", "csv",
        ])
        .assert()
        .code(0)
        .stdout("rank,no_of_transactions,date,time\n")
        .stderr(predicate::str::contains(
            "note: campaign 1 has no transactions in 2019-08-20 to 2019-08-20 (Asia/Singapore) = UTC 2019-08-19 16:00 to 2019-08-20 16:00",
        ));
}

#[test]
fn report_argument_errors_are_clear() {
    let (_dir, db) = report_db();
    let engagement = |campaign: &str, from: &str, to: &str| {
        [
            "report",
            "engagement",
            "--campaign",
            campaign,
            "--from",
            from,
            "--to",
            to,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            engagement("1", "2019-08-21", "2019-08-20"),
            1,
            "--from 2019-08-21 is after --to 2019-08-20",
        ),
        (
            engagement("5", "2019-08-01", "2019-08-02"),
            1,
            "known campaign ids: 1, 2",
        ),
        (
            engagement("1", "22/08/2019", "2019-08-02"),
            2,
            "write it as YYYY-MM-DD",
        ),
        (
            ["report", "weekly", "--tz", "Asia/Singapur"]
                .map(str::to_owned)
                .to_vec(),
            2,
            "unknown time zone",
        ),
        (
            ["report", "sessions", "--user", "abc"]
                .map(str::to_owned)
                .to_vec(),
            1,
            "a user id is a run of at most 38 digits",
        ),
        (
            // The log's own rule: 39 digits is no user id (the CLI accepted it before).
            ["report", "sessions", "--user", &"1".repeat(39)]
                .map(str::to_owned)
                .to_vec(),
            1,
            "a user id is a run of at most 38 digits",
        ),
    ];
    for (args, code, message) in cases {
        perx(&db)
            .args(&args)
            .assert()
            .code(code)
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn database_in_a_missing_directory_is_an_error_not_created() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("no/such/dir/x.duckdb");
    load_dir(&db, sample_dir())
        .code(1)
        .stderr(predicate::str::contains("cannot open database"))
        .stderr(predicate::str::contains("does its directory exist"));
    assert!(!tmp.path().join("no").exists(), "no directory was created");
}

#[test]
fn the_manifest_records_absolute_source_paths() {
    // Loaded by a relative path, recorded absolute: the Data tab's reload finds the files
    // from any working directory.
    let data = data_dir(&[("campaign.csv", CAMPAIGNS)]);
    let db = data.path().join("p.duckdb");
    perx(&db)
        .current_dir(data.path())
        .args(["load", "--data", "."])
        .assert()
        .code(0);
    let store = perx::store::Store::open(&perx::store::DbPath::File(db)).unwrap();
    let manifest = store.manifest().unwrap();
    assert_eq!(manifest.len(), 1);
    let path = std::path::Path::new(&manifest[0].path);
    assert!(path.is_absolute(), "{}", path.display());
    assert!(path.is_file(), "{}", path.display());
}

#[test]
fn the_ui_without_a_terminal_says_what_to_use_instead() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("p.duckdb");
    let out = perx(&db).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(err.contains("perx --help"), "{err}");
    assert!(!db.exists(), "nothing was loaded");
}

/// The CLI and the TUI build provenance the same way: the same parameter keys for the same
/// report (the CLI wrote `user` where the TUI wrote `user_id`).
#[test]
fn provenance_has_the_same_keys_on_every_surface() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    load_dir(&db, sample_dir()).code(3);
    let keys = |path: &std::path::Path| -> Vec<String> {
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(meta["engine"], "duckdb");
        let mut k: Vec<String> = meta["parameters"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "order")
            .cloned()
            .collect();
        k.sort();
        k
    };
    let cli = dir.path().join("e.csv");
    perx(&db)
        .args([
            "report",
            "engagement",
            "--campaign",
            "1",
            "--from",
            "2019-07-01",
            "--to",
            "2019-08-31",
            "--provenance",
            "-o",
        ])
        .arg(&cli)
        .assert()
        .code(0);
    let sessions = dir.path().join("s.csv");
    perx(&db)
        .args([
            "report",
            "sessions",
            "--user",
            "2000000024108",
            "--provenance",
            "-o",
        ])
        .arg(&sessions)
        .assert()
        .code(0);
    let s_keys = keys(&dir.path().join("s.csv.meta.json"));
    assert!(s_keys.contains(&"user_id".to_owned()), "{s_keys:?}");
    assert!(!s_keys.contains(&"user".to_owned()), "{s_keys:?}");
    // The sidecar names the SQL that ran (the read of the sessions table, which loads
    // keep; or the events query when the sessions are cut in Rust now), not the SQL-only
    // twin.
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("s.csv.meta.json")).unwrap())
            .unwrap();
    let sql = meta["sql_file"].as_str().unwrap();
    assert!(
        sql == "sql/ui/session_export.sql"
            || sql == "sql/reports/session_events_numeric.sql"
            || sql == "sql/reports/session_events.sql",
        "{sql}"
    );
    assert!(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(sql)
            .is_file()
    );
    assert!(
        meta["parameters"]["sessionizer"]
            .as_str()
            .unwrap()
            .contains("300 s"),
        "{meta}"
    );

    let store = Store::open(&DbPath::File(db.clone())).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut app = perx::ui::App::new(store).with_export_dir(out.path().to_owned());
    for c in "t2019-07-01 2019-08-31".chars() {
        app.update(perx::ui::Action::Key(
            ratatui::crossterm::event::KeyEvent::new(
                ratatui::crossterm::event::KeyCode::Char(c),
                ratatui::crossterm::event::KeyModifiers::NONE,
            ),
        ));
    }
    for code in [
        ratatui::crossterm::event::KeyCode::Enter,
        ratatui::crossterm::event::KeyCode::Char('x'),
    ] {
        app.update(perx::ui::Action::Key(
            ratatui::crossterm::event::KeyEvent::new(
                code,
                ratatui::crossterm::event::KeyModifiers::NONE,
            ),
        ));
        app.wait_idle(std::time::Duration::from_secs(60));
    }
    let tui = out
        .path()
        .join("perx-engagement-1-2019-07-01-2019-08-31.csv.meta.json");
    assert_eq!(keys(&dir.path().join("e.csv.meta.json")), keys(&tui));
}
