//! `perx ingest`: rotated, grown, renamed-and-compressed and rewritten log files, through
//! the binary; what ends in the tables is what a full load of the same lines gives.

use std::io::Write;
use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::query::{perx, query_csv as query};
use crate::util::sample_dir;

/// The sample log's lines (each with its newline).
fn sample_lines() -> Vec<String> {
    std::fs::read_to_string(sample_dir().join("http_log.txt"))
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

fn write(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.concat()).unwrap();
}

fn gzip(path: &Path, lines: &[String]) {
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    e.write_all(lines.concat().as_bytes()).unwrap();
    e.finish().unwrap();
}

fn zstd_file(path: &Path, lines: &[String]) {
    let bytes = zstd::encode_all(lines.concat().as_bytes(), 1).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A database holding the sample's CSV exports and no log.
fn exports_db(dir: &Path) -> PathBuf {
    let csv = dir.join("csv");
    crate::util::copy_files(&sample_dir(), &csv, |n| n.ends_with(".csv"));
    let db = dir.join("i.duckdb");
    perx(&db)
        .args(["load", "--data"])
        .arg(&csv)
        .assert()
        .success();
    db
}

fn ingest(db: &Path, args: &[&Path]) -> String {
    let out = perx(db)
        .arg("ingest")
        .args(args)
        .assert()
        .code(predicate::in_iter([0, 3]))
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// The log as rows (everything but line_no), sorted: what the tables hold of it.
fn log_rows(db: &Path) -> String {
    query(
        db,
        "SELECT ts, http_method, http_path, user_id FROM http_log ORDER BY ALL",
    )
}

/// The sessions report (UTC), as the CLI writes it.
fn sessions(db: &Path) -> String {
    let out = perx(db)
        .args(["report", "sessions", "--tz", "UTC", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// The sample's exports with `lines` as the log, loaded at once, for comparison.
fn full_db(dir: &Path, lines: &[String]) -> PathBuf {
    let data = dir.join("full");
    crate::util::copy_files(&sample_dir(), &data, |n| n.ends_with(".csv"));
    write(&data.join("http_log.txt"), lines);
    let db = dir.join("full.duckdb");
    perx(&db)
        .args(["load", "--data"])
        .arg(&data)
        .assert()
        .code(predicate::in_iter([0, 3]));
    db
}

/// Three days of a rotating log: day 1 leaves an unfinished line; by day 2 it is
/// finished and the log grew, then it was rotated (the active file renamed .1, the old .1
/// compressed to .2.gz, the old .2.gz renamed .3.gz) and a new active file started. Every
/// line ends in the tables exactly once, and the sessions report (one session spans two
/// files, two batches and midnight SGT) is the full load's.
#[test]
fn rotated_grown_and_compressed_logs_are_each_taken_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = exports_db(tmp.path());
    let mut lines = sample_lines();
    let (a, b, c, d) = (7000, 14000, 19000, 19500);
    // A session across midnight SGT (16:00 UTC), its first request at the end of the first
    // file (batch 1), its second in the lines the active file grows by (batch 2).
    let owl = "2000000000777";
    lines.insert(
        c + 2,
        format!("2019-08-26T16:01:00+00:00 POST /rewards/50 {owl}\n"),
    );
    lines.insert(
        a - 1,
        format!("2019-08-26T15:59:30+00:00 GET /campaigns/11 {owl}\n"),
    );
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // Day 1: .2.gz, .1 and the active file with an unfinished line.
    gzip(&logs.join("http_log.txt.2.gz"), &lines[..a]);
    write(&logs.join("http_log.txt.1"), &lines[a..b]);
    let cut = lines[c].len() / 2;
    let mut active = lines[b..c].concat();
    active.push_str(&lines[c][..cut]);
    std::fs::write(logs.join("http_log.txt"), &active).unwrap();
    let day1 = ingest(
        &db,
        &[
            &logs.join("http_log.txt.2.gz"),
            &logs.join("http_log.txt.1"),
            &logs.join("http_log.txt"),
        ],
    );
    assert!(day1.contains("batch 1:"), "{day1}");
    assert!(day1.contains("http_log.txt: lines 1–5000"), "{day1}");
    // Twice: nothing.
    let again = ingest(&db, &[&logs]);
    assert!(again.contains("nothing new to ingest"), "{again}");
    // Day 2: the unfinished line is finished and more come; then the rotation.
    active.push_str(&lines[c][cut..]);
    active.push_str(&lines[c + 1..d].concat());
    std::fs::write(logs.join("http_log.txt"), &active).unwrap();
    std::fs::rename(
        logs.join("http_log.txt.2.gz"),
        logs.join("http_log.txt.3.gz"),
    )
    .unwrap();
    gzip(&logs.join("http_log.txt.2.gz"), &lines[a..b]);
    std::fs::remove_file(logs.join("http_log.txt.1")).unwrap();
    std::fs::rename(logs.join("http_log.txt"), logs.join("http_log.txt.1")).unwrap();
    zstd_file(&logs.join("http_log.txt"), &lines[d..]);
    let day2 = ingest(
        &db,
        &[
            &logs.join("http_log.txt.3.gz"),
            &logs.join("http_log.txt.2.gz"),
            &logs.join("http_log.txt.1"),
            &logs.join("http_log.txt"),
        ],
    );
    assert!(
        day2.contains("http_log.txt.3.gz: skipped, already ingested (the same file)"),
        "{day2}"
    );
    assert!(
        day2.contains("http_log.txt.2.gz: skipped, already ingested (its content"),
        "{day2}"
    );
    assert!(
        day2.contains("http_log.txt.1: lines 5001–5500 (it grew since the last ingest)"),
        "{day2}"
    );
    assert!(day2.contains("batch 2:"), "{day2}");
    // The same rows as one load of the whole log, every line_no unique, the same sessions.
    let full = full_db(tmp.path(), &lines);
    assert_eq!(log_rows(&db), log_rows(&full));
    assert_eq!(
        query(
            &db,
            "SELECT count(*) = count(DISTINCT line_no) FROM http_log_data"
        ),
        "(count_star() = count(DISTINCT line_no))\ntrue\n"
    );
    assert_eq!(
        query(&db, "SELECT count(*) FROM load_reject"),
        query(&full, "SELECT count(*) FROM load_reject")
    );
    assert_eq!(sessions(&db), sessions(&full));
    let across = sessions(&db)
        .lines()
        .filter(|l| l.starts_with(owl))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(across.len(), 1, "{across:?}");
    assert!(
        across[0].contains("2019-08-26T15:59:30") && across[0].contains("2019-08-26T16:01:00"),
        "{across:?}"
    );
    // Each batch's Avro file is in the archive.
    let archived: Vec<String> = std::fs::read_dir(tmp.path().join("i.duckdb.ingest"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".avro"))
        .collect();
    assert_eq!(archived.len(), 5, "{archived:?}");
    let batches = query(&db, "SELECT id, files FROM ingest_batch ORDER BY id");
    assert_eq!(batches, "id,files\n1,3\n2,2\n");
    // The archive rebuilds the same tables: rows, line numbers and rejects.
    let everything = |db: &Path| {
        (
            query(db, "SELECT * FROM http_log ORDER BY line_no"),
            query(db, "SELECT * FROM load_reject ORDER BY ALL"),
        )
    };
    let before = everything(&db);
    perx(&db)
        .args(["ingest", "--rebuild"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "rebuilt http_log from 5 Avro file(s)",
        ));
    assert_eq!(everything(&db), before);
}

/// A file rewritten from its start (another head) is new; one with the same start and
/// another body is new too; `perx load` records its log, so ingesting that same file
/// afterwards adds nothing and ingesting it grown adds only its new lines.
#[test]
fn load_then_ingest_takes_only_what_is_new() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = sample_lines();
    let data = tmp.path().join("data");
    crate::util::copy_files(&sample_dir(), &data, |_| true);
    write(&data.join("http_log.txt"), &lines[..15000]);
    let db = tmp.path().join("l.duckdb");
    perx(&db)
        .args(["load", "--data"])
        .arg(&data)
        .assert()
        .code(predicate::in_iter([0, 3]));
    let same = ingest(&db, &[&data.join("http_log.txt")]);
    assert!(same.contains("skipped, already ingested"), "{same}");
    write(&data.join("http_log.txt"), &lines);
    let grown = ingest(&db, &[&data.join("http_log.txt")]);
    assert!(grown.contains("lines 15001–20000 (it grew"), "{grown}");
    assert_eq!(log_rows(&db), log_rows(&full_db(tmp.path(), &lines)));
    // Rebuilt from the load's Avro copy and the batch: the same.
    let before = query(&db, "SELECT * FROM http_log ORDER BY line_no");
    perx(&db)
        .args(["ingest", "--rebuild"])
        .assert()
        .success()
        .stdout(predicate::str::contains("from 2 Avro file(s)"));
    assert_eq!(
        query(&db, "SELECT * FROM http_log ORDER BY line_no"),
        before
    );
    // Rewritten: the same first line, another body. New, all of it.
    let mut other = lines[..3].to_vec();
    other.push(lines[100].clone());
    let rewritten = tmp.path().join("rewritten.txt");
    write(&rewritten, &other);
    let out = ingest(&db, &[&rewritten]);
    assert!(out.contains("rewritten.txt: lines 1–4: 4 rows"), "{out}");
}

/// `kill -9` at any moment of an ingest leaves the database as before it or after it, and
/// the next ingest completes it: the rows are those of one whole ingest, never a part.
#[test]
fn an_ingest_killed_at_any_moment_is_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let db = exports_db(tmp.path());
    let data = tmp.path().join("big");
    perx::sample::generate(
        &perx::sample::SampleOptions {
            log_lines: 300_000,
            ..perx::sample::SampleOptions::default()
        },
        &data,
    )
    .unwrap();
    let log = data.join("http_log.txt");
    let total: u64 = 300_000 - 7;
    let rows = || -> u64 {
        query(&db, "SELECT count(*) FROM http_log_data")
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    };
    let bin = assert_cmd::cargo::cargo_bin("perx");
    let mut outcomes = Vec::new();
    for delay_ms in [30u64, 120, 250, 400, 700] {
        let mut child = std::process::Command::new(&bin)
            .args(["--db"])
            .arg(&db)
            .arg("ingest")
            .arg(&log)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let n = rows();
        assert!(
            n == 0 || n == total,
            "after a kill at {delay_ms} ms: {n} rows"
        );
        outcomes.push(n);
        if n == total {
            break;
        }
    }
    let out = ingest(&db, &[&log]);
    assert_eq!(rows(), total, "{out} after kills leaving {outcomes:?}");
    // And once more: nothing.
    assert!(ingest(&db, &[&log]).contains("nothing new"));
    // No staged file is left behind; the archive holds the batch.
    let names: Vec<String> = std::fs::read_dir(tmp.path().join("i.duckdb.ingest"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".partial")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".avro")), "{names:?}");
}

/// Directories are read by pattern, oldest first; mistakes are explained.
#[test]
fn directories_patterns_and_mistakes() {
    let tmp = tempfile::tempdir().unwrap();
    let db = exports_db(tmp.path());
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let lines = sample_lines();
    write(&logs.join("access-1.log"), &lines[..100]);
    write(&logs.join("notes.txt"), &lines[100..200]);
    perx(&db)
        .args(["ingest"])
        .arg(&logs)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "no file matches --pattern \"http_log*\"",
        ));
    let out = perx(&db)
        .args(["ingest", "--pattern", "access-*.log"])
        .arg(&logs)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("access-1.log: lines 1–100") && !out.contains("notes"),
        "{out}"
    );
    perx(&db)
        .args(["ingest"])
        .arg(tmp.path().join("missing.log"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no such file or directory"));
}

/// An ingest keeps the sessions table current by itself (no build on next use), and
/// changes what the saved reward model is marked with: it is refitted on next use.
#[test]
fn an_ingest_keeps_the_sessions_table_and_makes_the_reward_model_stale() {
    use perx::store::{DbPath, Store};
    let tmp = tempfile::tempdir().unwrap();
    let db = exports_db(tmp.path());
    let lines = sample_lines();
    let day1 = tmp.path().join("day1.log");
    write(&day1, &lines[..10_000]);
    ingest(&db, &[&day1]);
    let count = |db: &Path| -> u64 {
        query(db, "SELECT count(*) AS n FROM http_log_session")
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    };
    let sessions_before = count(&db);
    let recommend = |db: &Path| {
        perx(db)
            .args([
                "recommend",
                "--catalog",
                "rewards",
                "--user",
                "1",
                "--format",
                "csv",
            ])
            .assert()
            .success()
    };
    recommend(&db);
    let day2 = tmp.path().join("day2.log");
    write(&day2, &lines[10_000..]);
    let out = ingest(&db, &[&day2]);
    assert!(out.contains("sessions: "), "{out}");
    let store = Store::open(&DbPath::File(db.clone())).unwrap();
    assert!(store.sessions_fresh().unwrap());
    drop(store);
    assert!(count(&db) > sessions_before);
    recommend(&db).stderr(predicate::str::contains("the platform data changed"));
}

/// The Data tab's `i` ingests what is new where `perx ingest` read before, on the worker
/// thread, and shows the new batch; with nothing new it says so.
#[test]
fn the_data_tab_ingests_new_files_with_a_key() {
    use perx::store::{DbPath, Store};
    use ratatui::crossterm::event::KeyCode;
    let tmp = tempfile::tempdir().unwrap();
    let db = exports_db(tmp.path());
    let lines = sample_lines();
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write(&logs.join("http_log.txt.1"), &lines[..8000]);
    ingest(&db, &[&logs]);
    write(&logs.join("http_log.txt"), &lines[8000..]);
    let store = Store::open(&DbPath::File(db.clone())).unwrap();
    let mut app = perx::ui::App::new(store);
    crate::ui::key(&mut app, KeyCode::Char('5'));
    crate::ui::key(&mut app, KeyCode::Char('i'));
    let text = crate::ui::screen(&mut app, 160, 48);
    assert!(app.error().is_none(), "{:?}", app.error());
    assert!(
        text.contains("Ingested batch 2: 11996 rows (4 rejected) from 1 file(s)"),
        "{text}"
    );
    assert!(text.contains("ingest batch 2 of 2 (1 file(s))"), "{text}");
    crate::ui::key(&mut app, KeyCode::Char('i'));
    let text = crate::ui::screen(&mut app, 160, 48);
    assert!(
        text.contains("Nothing new to ingest (2 file(s) looked at)"),
        "{text}"
    );
    drop(app);
    assert_eq!(
        query(&db, "SELECT count(*) FROM http_log_data"),
        "count_star()\n19993\n"
    );
}
