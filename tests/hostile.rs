//! Hostile input and faults, fed to the real binary: control characters in the data,
//! extreme values, giant lines, failed and killed commands, untrusted servers and archives.
//! Each test asserts the exact outcome: exit code, message, bytes printed, files unchanged.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use predicates::prelude::*;
use sha2::{Digest, Sha256};

use crate::util::sample_dir;

fn perx(db: &Path) -> Command {
    let mut c = Command::cargo_bin("perx").unwrap();
    c.arg("--db")
        .arg(db)
        .env_remove("PERX_DATA")
        .env_remove("PERX_DB")
        .env_remove("BIGQUERY_ACCESS_TOKEN")
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS");
    c
}

/// A copy of the shipped sample in a new temporary directory, the platform files only.
fn sample_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(sample_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn sha256(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

fn has_escape(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b == 0x1b || b == 0x07) || bytes.windows(2).any(|w| w == [0xC2, 0x9B])
}

/// Everything perx writes for people is free of control sequences; files keep the data.
#[test]
fn control_characters_in_the_data_never_reach_the_terminal() {
    let data = sample_copy();
    let d = data.path();
    // A reward name that retitles the window, a campaign name with a C1 CSI, a header
    // with ESC, and log lines whose path and user id carry escapes.
    replace_in(
        &d.join("reward_campaign.csv"),
        "Sample Reward 1,",
        "Evil \x1b]0;pwned\x07 Reward,",
    );
    replace_in(
        &d.join("campaign.csv"),
        "Sample Campaign 1,",
        "Camp\u{9b}2J,",
    );
    replace_in(
        &d.join("campaign.csv"),
        "Id,name,status",
        "Id,name,status,x\x1b[31m",
    );
    let text = std::fs::read_to_string(d.join("campaign.csv")).unwrap();
    let widened: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                format!("{l},\n")
            }
        })
        .collect();
    std::fs::write(d.join("campaign.csv"), widened).unwrap();
    append(
        &d.join("http_log.txt"),
        "2019-08-27T00:07:05Z GET /x\x1b[2J\x1b]0;t\x07 1\n2019-08-27T00:07:05Z GET /campaigns/1 1\x1b[31m\n",
    );
    let db = d.join("t.duckdb");
    let load = perx(&db).args(["load", "--data"]).arg(d).output().unwrap();
    assert_eq!(load.status.code(), Some(3), "{load:?}");
    assert!(
        !has_escape(&load.stderr),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    assert!(
        !has_escape(&load.stdout),
        "{}",
        String::from_utf8_lossy(&load.stdout)
    );
    let stderr = String::from_utf8_lossy(&load.stderr);
    assert!(
        stderr.contains("not-tracked: `GET /x\\u{1b}[2J"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&load.stdout);
    assert!(
        stdout.contains("x\\x1b[31m"),
        "the unknown header is named, escaped: {stdout}"
    );

    // A table is for people: escaped. CSV and JSON keep the data exactly.
    let table = perx(&db)
        .args(["report", "weekly", "--format", "table"])
        .output()
        .unwrap();
    assert_eq!(table.status.code(), Some(0));
    assert!(!has_escape(&table.stdout));
    assert!(String::from_utf8_lossy(&table.stdout).contains("Evil \\x1b]0;pwned\\x07 Reward"));
    let csv = perx(&db)
        .args(["report", "weekly", "--format", "csv"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&csv.stdout).contains("Evil \x1b]0;pwned\x07 Reward"),
        "CSV keeps the bytes"
    );
    let json = perx(&db)
        .args(["report", "weekly", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["reward_name"] == "Evil \x1b]0;pwned\x07 Reward")
    );
    assert!(!has_escape(&json.stdout), "JSON escapes controls itself");
    // The TUI draws through ratatui, which drops control characters.
    let store = perx::store::Store::open(&perx::store::DbPath::File(db.clone())).unwrap();
    let mut app = perx::ui::App::new(store);
    for tab in ['1', '2', '5'] {
        app.update(perx::ui::Action::Key(
            ratatui::crossterm::event::KeyEvent::new(
                ratatui::crossterm::event::KeyCode::Char(tab),
                ratatui::crossterm::event::KeyModifiers::NONE,
            ),
        ));
        app.wait_idle(std::time::Duration::from_secs(60));
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
        t.draw(|f| app.render(f)).unwrap();
        let cells = t.backend().buffer().content();
        assert!(
            cells
                .iter()
                .all(|c| !c.symbol().chars().any(|ch| ch.is_control())),
            "tab {tab} put a control character on the screen"
        );
    }
}

/// Instants far outside any plausible range are refused at load with their line; ranges
/// typed far out are refused with a message; nothing exits with a panic.
#[test]
fn extreme_values_are_rejected_not_crashed_on() {
    let data = sample_copy();
    let d = data.path();
    append(
        &d.join("reward_transaction.csv"),
        "90001,redeemed,+200000-01-01 00:00:00 UTC,1\n90002,redeemed,1066-10-14 09:00:00 UTC,1\n",
    );
    append(
        &d.join("http_log.txt"),
        "9999-12-31T23:59:59-23:59 GET /campaigns/1 1\n2019-08-27T00:07:05Z GET /campaigns/99999999999999999999 1\n",
    );
    let db = d.join("t.duckdb");
    let out = perx(&db).args(["load", "--data"]).arg(d).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("reward_transaction.csv:3002: column 3 (updated_at): timestamp \"+200000-01-01 00:00:00 UTC\" is outside the accepted years 1900 to 2200 (UTC)"),
        "{stderr}"
    );
    let conn = duckdb::Connection::open(&db).unwrap();
    let csv_rejects: i64 = conn
        .query_row(
            "SELECT count(*) FROM load_reject WHERE source = 'reward_transaction.csv' AND line_no IN (3002, 3003) AND reason LIKE '%outside the accepted years%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(csv_rejects, 2);
    let reasons: Vec<(i64, String)> = conn
        .prepare("SELECT line_no, reason FROM load_reject WHERE line_no > 20000 ORDER BY line_no")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(conn);
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0].0, 20001);
    assert!(
        reasons[0]
            .1
            .starts_with("timestamp-out-of-range: timestamp \"9999-12-31T23:59:59-23:59\"")
    );
    assert!(reasons[1].1.starts_with("id-out-of-range"), "{reasons:?}");
    for args in [
        &[
            "report",
            "engagement",
            "--campaign",
            "1",
            "--from",
            "2019-01-01",
            "--to",
            "+262000-01-01",
        ][..],
        &[
            "report",
            "engagement",
            "--campaign",
            "1",
            "--from",
            "0001-01-01",
            "--to",
            "2019-01-01",
        ],
        &[
            "report",
            "sessions",
            "--from",
            "2019-01-01",
            "--to",
            "9999-12-31",
            "--tz",
            "Pacific/Kiritimati",
        ],
    ] {
        perx(&db)
            .args(args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "is outside the accepted years 1900 to 2200",
            ));
    }
    // An Avro log made elsewhere, with instants no conversion could show.
    let avro_dir = tempfile::tempdir().unwrap();
    let avro = avro_dir.path().join("http_log.avro");
    {
        let mut w =
            apache_avro::Writer::new(perx::avro::schema(), std::fs::File::create(&avro).unwrap())
                .unwrap();
        for (line, ts) in [(1i64, i64::MAX), (2, i64::MIN), (3, 1_566_864_000_000_000)] {
            let mut r = apache_avro::types::Record::new(perx::avro::schema()).unwrap();
            r.put("line_no", line);
            r.put("timestamp", apache_avro::types::Value::TimestampMicros(ts));
            r.put("http_method", "GET");
            r.put("http_path", "/campaigns/1");
            r.put("user_id", "7");
            w.append_value(r).unwrap();
        }
        w.flush().unwrap();
    }
    let db2 = avro_dir.path().join("a.duckdb");
    perx(&db2)
        .args(["load", "--data"])
        .arg(avro_dir.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "timestamp-out-of-range: Avro record of line 1",
        ))
        .stdout(predicate::str::contains("http_log"));
    // A database that holds a far instant anyway (written by other means): the reports
    // and the UI's Engagement tab answer instead of panicking.
    {
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch(
            "INSERT INTO reward_transaction VALUES (99999, 99999, 'redeemed', TIMESTAMP '290000-01-01 00:00:00', 1);
             INSERT INTO reward_transaction VALUES (99998, 99998, 'redeemed', TIMESTAMP '1700-01-01 00:00:00', 1);",
        )
        .unwrap();
    }
    let weekly = perx(&db)
        .args(["report", "weekly", "--format", "csv"])
        .output()
        .unwrap();
    assert_ne!(weekly.status.code(), Some(101), "{weekly:?}");
    let store = perx::store::Store::open(&perx::store::DbPath::File(db.clone())).unwrap();
    let mut app = perx::ui::App::new(store);
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
}

/// A log line of tens of megabytes with no newline is skipped without being held, and
/// rejected with its length; a log of only bad lines loads; a giant CSV line is an error
/// naming its line; a damaged model file is refused.
#[test]
fn giant_and_bad_lines_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let giant = 40 << 20;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(d.join("http_log.txt")).unwrap());
        writeln!(f, "2019-08-27T00:07:05Z GET /campaigns/1 1").unwrap();
        let head = b"2019-08-27T00:07:06Z GET /campaigns/";
        f.write_all(head).unwrap();
        let block = vec![b'7'; 1 << 20];
        let mut left = giant - head.len();
        while left > 0 {
            let n = left.min(block.len());
            f.write_all(&block[..n]).unwrap();
            left -= n;
        }
        writeln!(f).unwrap();
        writeln!(f, "2019-08-27T00:07:07Z POST /rewards/2 1").unwrap();
        // The last line has no newline and is too long too.
        f.write_all(&vec![b'x'; 100_000]).unwrap();
    }
    let db = d.join("t.duckdb");
    let out = perx(&db).args(["load", "--data"]).arg(d).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "http_log.txt:2: line-too-long: line too long ({giant} bytes)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("http_log.txt:4: line-too-long: line too long (100000 bytes)"),
        "{stderr}"
    );
    let conn = duckdb::Connection::open(&db).unwrap();
    let (rows, raw_len): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM http_log), max(length(raw)) FROM load_reject",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(rows, 2, "the two good lines around it are loaded");
    assert!(
        raw_len <= 300,
        "the stored raw text is truncated: {raw_len}"
    );
    drop(conn);

    // Only bad lines: every one is in load_reject, nothing else changes.
    let bad = tempfile::tempdir().unwrap();
    let lines = 50_000;
    let text: String = (0..lines).map(|i| format!("garbage line {i}\n")).collect();
    std::fs::write(bad.path().join("http_log.txt"), text).unwrap();
    perx(&db)
        .args(["load", "--data"])
        .arg(bad.path())
        .assert()
        .code(3);
    let conn = duckdb::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM load_reject WHERE source = 'http_log.txt'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, lines);
    drop(conn);

    // A CSV export with a giant line: an error naming the line, nothing loaded.
    let csv = tempfile::tempdir().unwrap();
    let cell = "y".repeat(2 << 20);
    std::fs::write(
        csv.path().join("campaign.csv"),
        format!("Id,name,status\n1,ok,active\n2,{cell},active\n"),
    )
    .unwrap();
    perx(&db)
        .args(["load", "--data"])
        .arg(csv.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "line 3 is longer than 1048576 bytes",
        ));

    // A model file whose counts promise more than it holds.
    let model = d.join("bad.model.bin");
    let mut bytes = b"PERXRECM".to_vec();
    bytes.extend_from_slice(&perx::core::recommend::codec::FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&[0xff; 64]);
    std::fs::write(&model, bytes).unwrap();
    perx(&db)
        .args(["movielens", "load", "--dir"])
        .arg(sample_dir().join("movielens"))
        .assert()
        .code(0);
    let out = perx(&db)
        .args(["recommend", "--user", "1", "--model"])
        .arg(&model)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The cause is printed once (it used to be in the message and again in the chain).
    assert_eq!(stderr.matches("damaged").count(), 1, "{stderr}");
}

/// `-o` files are written whole or not at all; a failed load leaves the Avro copy, its
/// sidecar and the tables as they were; an in-memory load leaves no temporary files.
#[test]
fn a_failed_command_changes_nothing() {
    let data = sample_copy();
    let d = data.path();
    let db = d.join("t.duckdb");
    perx(&db).args(["load", "--data"]).arg(d).assert().code(3);
    let out = d.join("out.csv");
    std::fs::write(&out, "precious\n").unwrap();
    let listing = || {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = listing();
    // An argument error found after the file was opened.
    perx(&db)
        .args(["recommend", "--all", "--format", "json", "-o"])
        .arg(&out)
        .assert()
        .code(1);
    // A disk that fills up (the file-size limit stands in for it): a clear error.
    let status = Std::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 64; exec \"$0\" --db \"$1\" report sessions -o \"$2\"")
        .arg(assert_cmd::cargo::cargo_bin("perx"))
        .arg(&db)
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1), "{status:?}");
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        stderr.contains(&format!("writing {}", out.display())),
        "{stderr}"
    );
    assert!(stderr.contains("File too large"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    assert_eq!(listing(), before, "no temporary file left behind");
    // A report that succeeds replaces it, with its sidecar.
    perx(&db)
        .args(["report", "weekly", "--provenance", "-o"])
        .arg(&out)
        .assert()
        .code(0);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("reward_name,")
    );

    // A load that fails on a later file: the tables, the Avro copy and its sidecar stay.
    let avro = d.join("t.http_log.avro");
    let sidecar = d.join("t.http_log.avro.rejects.csv");
    let (avro_sum, side_sum) = (sha256(&avro), sha256(&sidecar));
    let weekly = || {
        perx(&db)
            .args(["report", "weekly", "--format", "csv"])
            .output()
            .unwrap()
            .stdout
    };
    let report_before = weekly();
    let broken = sample_copy();
    append(
        &broken.path().join("http_log.txt"),
        "2019-08-27T00:07:05Z GET /campaigns/1 42\n",
    );
    std::fs::write(
        broken.path().join("reward_campaign.csv"),
        "identifier,title\n1,x\n",
    )
    .unwrap();
    perx(&db)
        .args(["load", "--data"])
        .arg(broken.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "reward_campaign.csv:1: header lacks",
        ));
    assert_eq!(sha256(&avro), avro_sum);
    assert_eq!(sha256(&sidecar), side_sum);
    assert_eq!(weekly(), report_before);
    assert!(!d.join("t.http_log.avro.partial").exists());

    // :memory: leaves no Avro copy in the temporary directory.
    let tmp = tempfile::tempdir().unwrap();
    perx(Path::new(":memory:"))
        .env("TMPDIR", tmp.path())
        .args(["load", "--data"])
        .arg(d)
        .assert()
        .code(3);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// `-o` names what the shell's `>` would: a symbolic link is followed (its target replaced,
/// the link kept), a FIFO and a device are written directly (never renamed over), `-` is
/// standard output, and a device that fails a write is exit 1 with the path named.
#[cfg(target_os = "linux")]
#[test]
fn output_to_links_pipes_devices_and_stdout() {
    use std::os::unix::fs::FileTypeExt as _;
    let data = sample_copy();
    let d = data.path();
    let db = d.join("t.duckdb");
    perx(&db).args(["load", "--data"]).arg(d).assert().code(3);
    let expected = perx(&db)
        .args(["report", "weekly", "--format", "csv"])
        .output()
        .unwrap()
        .stdout;
    assert!(expected.starts_with(b"reward_name,"));

    // `-o -` is standard output.
    let out = perx(&db)
        .args(["report", "weekly", "--format", "csv", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, expected);
    assert!(!d.join("-").exists(), "no file named -");

    // A symbolic link: the target is replaced, the link stays.
    let target = d.join("real.csv");
    std::fs::write(&target, "old\n").unwrap();
    let link = d.join("link.csv");
    std::os::unix::fs::symlink("real.csv", &link).unwrap();
    perx(&db)
        .args(["report", "weekly", "-o"])
        .arg(&link)
        .assert()
        .code(0);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), expected);

    // A FIFO: its reader gets the report and the pipe stays a pipe.
    let fifo = d.join("pipe.csv");
    assert!(Std::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    perx(&db)
        .args(["report", "weekly", "--format", "csv", "-o"])
        .arg(&fifo)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(0);
    assert_eq!(reader.join().unwrap(), expected);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    // A device that refuses the bytes: exit 1, the path named, the device still a device.
    perx(&db)
        .args(["report", "weekly", "-o", "/dev/full"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/dev/full"))
        .stderr(predicate::str::contains("No space left on device"));
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    // And one that takes them.
    perx(&db)
        .args(["report", "weekly", "-o", "/dev/null"])
        .assert()
        .code(0);
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

/// `kill -9` at several moments of a multi-million-line load leaves the database answering
/// every report as before the load or as after a complete one, and the next load succeeds.
#[test]
fn a_killed_load_leaves_the_database_before_or_after() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let big = w.join("big");
    perx(&w.join("unused.duckdb"))
        .args([
            "gen-sample",
            "--log-lines",
            "2000000",
            "--seed",
            "9",
            "--out",
        ])
        .arg(&big)
        .assert()
        .code(0);
    let reports = |db: &Path| -> Vec<Vec<u8>> {
        [
            &["report", "weekly", "--format", "csv"][..],
            &[
                "report",
                "sessions",
                "--user",
                "2000000024108",
                "--format",
                "csv",
            ],
            &[
                "report",
                "engagement",
                "--campaign",
                "3",
                "--from",
                "2019-08-01",
                "--to",
                "2019-09-30",
                "--format",
                "csv",
            ],
        ]
        .iter()
        .map(|a| {
            let o = perx(db).args(*a).output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{o:?}");
            o.stdout
        })
        .collect()
    };
    // Before: the sample; after: the big data set, loaded completely elsewhere.
    let after_db = w.join("after.duckdb");
    let started = std::time::Instant::now();
    perx(&after_db)
        .args(["load", "--data"])
        .arg(&big)
        .assert()
        .code(3);
    let full = started.elapsed();
    let after = reports(&after_db);
    let db = w.join("t.duckdb");
    perx(&db)
        .args(["load", "--data"])
        .arg(sample_dir())
        .assert()
        .code(3);
    let before = reports(&db);
    assert_ne!(before, after);
    let mut seen = (0, 0);
    // Through conversion and appends, then around the commit (a load into a database that
    // holds data takes longer than into an empty one), then after it.
    for frac in [
        0.05, 0.2, 0.4, 0.6, 0.75, 0.85, 0.95, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0,
    ] {
        let mut child = Std::new(assert_cmd::cargo::cargo_bin("perx"))
            .arg("--db")
            .arg(&db)
            .args(["load", "--data"])
            .arg(&big)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(frac));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = reports(&db);
        if now == before {
            seen.0 += 1;
        } else if now == after {
            seen.1 += 1;
        } else {
            panic!("killed at {frac} of the load: the reports are neither before nor after");
        }
        // Go back to "before" for the next round, if the load got through.
        if now == after {
            perx(&db)
                .args(["load", "--data"])
                .arg(sample_dir())
                .assert()
                .code(3);
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "killed loads: {} left the data as before, {} as after",
        seen.0,
        seen.1
    );
    assert!(seen.0 > 0, "some kills landed before the commit: {seen:?}");
    perx(&db)
        .args(["load", "--data"])
        .arg(&big)
        .assert()
        .code(3);
    assert_eq!(reports(&db), after, "the next load succeeds");
}

/// A minimal HTTP server on 127.0.0.1 answering each request with `respond(request)`;
/// returns its root URL and the requests it saw (head only).
fn serve(
    requests: usize,
    respond: impl Fn(&str) -> Vec<u8> + Send + 'static,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for stream in listener.incoming().take(requests) {
            let mut s = stream.unwrap();
            let mut buf = vec![0u8; 1 << 16];
            let mut head = Vec::new();
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let text = String::from_utf8_lossy(&head).into_owned();
            let _ = s.write_all(&respond(&text));
            seen.push(text);
        }
        seen
    });
    (root, handle)
}

/// Credentials never go over plain http; a huge response body is refused.
#[cfg(feature = "bigquery")]
#[test]
fn credentials_stay_off_plain_http_and_bodies_are_bounded() {
    let (root, server) = serve(1, |_| {
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            .to_vec()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    perx(&db)
        .args(["load", "--data"])
        .arg(sample_dir())
        .assert()
        .code(3);
    crate::bigquery::sync_to(&db, &root)
        .args(["--access-token", "s3cret-token"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "is not https: the credentials given are not sent",
        ))
        .stderr(predicate::str::contains("s3cret").not());
    let seen = server.join().unwrap();
    assert!(
        !seen[0].to_ascii_lowercase().contains("authorization"),
        "{}",
        seen[0]
    );
    assert!(!seen[0].contains("s3cret"));

    // 65 MiB of JSON where a few bytes were expected.
    let (root, server) = serve(1, |_| {
        let body = vec![b' '; 65 << 20];
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(&body);
        r
    });
    let client = perx::bigquery::Client::new(
        perx::bigquery::Endpoint::new(&root, "p"),
        perx::bigquery::Credentials::None,
    );
    let err = client.ensure_dataset("d", "US").unwrap_err().to_string();
    assert!(err.contains("limit"), "{err}");
    let _ = server.join();
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, body) in entries {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn serve_zip(body: Vec<u8>) -> String {
    let (root, _) = serve(1, move |_| {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(&body);
        r
    });
    format!("{root}/ml-1m.zip")
}

fn fetch(db: &Path, url: &str, dest: &Path) -> assert_cmd::assert::Assert {
    perx(db)
        .args(["movielens", "fetch", "--url", url, "--dest"])
        .arg(dest)
        .assert()
}

/// A mirror's archive: only the data set's own files are unpacked; a zip bomb is refused
/// with nothing left behind; links already in the destination are never followed.
#[test]
fn an_untrusted_archive_unpacks_only_the_data_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let ml = sample_dir().join("movielens");
    let file = |n: &str| std::fs::read(ml.join(n)).unwrap();
    let (r, m, u) = (file("ratings.dat"), file("movies.dat"), file("users.dat"));
    let zip = zip_of(&[
        ("ml-1m/ratings.dat", &r),
        ("ml-1m/movies.dat", &m),
        ("ml-1m/users.dat", &u),
        ("ml-1m/README", b"readme"),
        ("ml-1m/run-me.sh", b"rm -rf ~"),
        ("other/ratings.txt", b"x"),
        ("../escape.txt", b"x"),
        (".bashrc", b"x"),
    ]);
    let dest = dir.path().join("dl");
    fetch(&db, &serve_zip(zip), &dest).code(0);
    let mut got: Vec<String> = walk(&dest);
    got.sort();
    assert_eq!(
        got,
        [
            "ml-1m.zip",
            "ml-1m/README",
            "ml-1m/movies.dat",
            "ml-1m/ratings.dat",
            "ml-1m/users.dat"
        ]
    );
    assert!(!dir.path().join("escape.txt").exists());

    // A bomb: a file that inflates past the per-file cap.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().large_file(true);
    for (name, body) in [("ml-1m/movies.dat", &m), ("ml-1m/users.dat", &u)] {
        zip.start_file(name, opts).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.start_file("ml-1m/ratings.dat", opts).unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..=(perx::limits::MAX_UNZIPPED_ENTRY_BYTES >> 20) {
        zip.write_all(&zeros).unwrap();
    }
    let bomb = zip.finish().unwrap().into_inner();
    let dest = dir.path().join("bomb");
    fetch(&db, &serve_zip(bomb), &dest).code(1).stderr(
        predicate::str::contains("ratings.dat would unpack to")
            .or(predicate::str::contains("zip bomb")),
    );
    assert_eq!(walk(&dest), ["ml-1m.zip"], "nothing unpacked");

    // Links already in the destination: a linked folder is refused, a linked file is
    // replaced, never written through.
    let victim = dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    let dest = dir.path().join("links");
    std::fs::create_dir(&dest).unwrap();
    std::os::unix::fs::symlink(&victim, dest.join("ml-1m")).unwrap();
    let ok_zip = zip_of(&[
        ("ml-1m/ratings.dat", &r),
        ("ml-1m/movies.dat", &m),
        ("ml-1m/users.dat", &u),
    ]);
    fetch(&db, &serve_zip(ok_zip.clone()), &dest)
        .code(1)
        .stderr(predicate::str::contains("is a symbolic link"));
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
    let dest = dir.path().join("filelink");
    std::fs::create_dir_all(dest.join("ml-1m")).unwrap();
    let target = victim.join("passwd");
    std::fs::write(&target, "root:x:0:0").unwrap();
    std::os::unix::fs::symlink(&target, dest.join("ml-1m/ratings.dat")).unwrap();
    fetch(&db, &serve_zip(ok_zip), &dest).code(0);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "root:x:0:0");
    assert!(
        !std::fs::symlink_metadata(dest.join("ml-1m/ratings.dat"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// Files under `dir`, relative, with `/`.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// The TUI never replaces an earlier export: a second `x` writes a new file.
#[test]
fn tui_exports_never_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = crate::util::memory_store();
    crate::util::load(&mut store, &sample_dir(), tmp.path());
    let out = tempfile::tempdir().unwrap();
    let mut app = perx::ui::App::new(store).with_export_dir(out.path().to_owned());
    let press = |app: &mut perx::ui::App, c: char| {
        app.update(perx::ui::Action::Key(
            ratatui::crossterm::event::KeyEvent::new(
                ratatui::crossterm::event::KeyCode::Char(c),
                ratatui::crossterm::event::KeyModifiers::NONE,
            ),
        ));
        app.wait_idle(std::time::Duration::from_secs(60));
    };
    press(&mut app, '2');
    std::fs::write(out.path().join("perx-weekly.csv"), "mine").unwrap();
    press(&mut app, 'x');
    press(&mut app, 'x');
    assert_eq!(
        std::fs::read_to_string(out.path().join("perx-weekly.csv")).unwrap(),
        "mine"
    );
    for n in ["perx-weekly-2.csv", "perx-weekly-3.csv"] {
        let text = std::fs::read_to_string(out.path().join(n)).unwrap();
        assert!(text.starts_with("reward_name,"), "{n}");
        assert!(out.path().join(format!("{n}.meta.json")).exists());
    }
    assert!(app.error().is_none());
}

/// `skip` fails instead of skipping when CI forbids it.
#[test]
fn skips_fail_when_forbidden() {
    let caught = std::panic::catch_unwind(|| crate::util::skip_or_fail("t", "no tmux", true));
    assert!(caught.is_err());
    assert_eq!(
        crate::util::skip_or_fail("t", "no tmux", false),
        "SKIPPED t: no tmux"
    );
}
