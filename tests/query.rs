//! `perx query` and the store's SQL console: formats, the safety rule, statement kinds
//! from DuckDB, streaming, the stored result the Query tab pages through.

use perx::report::Collected;
use perx::store::query::{Held, QueryError, ResultView, StatementKind};
use predicates::prelude::*;

use crate::util::{load, memory_store, sample_dir};

/// A database file with the sample loaded, and its folder.
pub(crate) fn loaded_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.duckdb");
    perx(&db)
        .args(["load", "--data"])
        .arg(sample_dir())
        .assert()
        .code(predicate::in_iter([0, 3]));
    (dir, db)
}

pub(crate) use crate::cli::perx;

/// `perx query SQL --format csv` on `db`, which must succeed: its output.
pub(crate) fn query_csv(db: &std::path::Path, sql: &str) -> String {
    let out = perx(db)
        .args(["query", sql, "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// `SELECT count(*) AS n FROM campaign` as CSV.
fn campaigns(db: &std::path::Path) -> assert_cmd::assert::Assert {
    perx(db)
        .args([
            "query",
            "SELECT count(*) AS n FROM campaign",
            "--format",
            "csv",
        ])
        .assert()
}

#[test]
fn query_writes_every_format() {
    let (_dir, db) = loaded_db();
    let sql = "SELECT id, name FROM campaign WHERE id <= 2 ORDER BY id";
    perx(&db)
        .args(["query", sql, "--format", "csv"])
        .assert()
        .success()
        .stdout("id,name\n1,Sample Campaign 1\n2,Sample Campaign 2\n");
    let json = perx(&db)
        .args(["query", sql, "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v[1]["id"], 2);
    assert_eq!(v[1]["name"], "Sample Campaign 2");
    perx(&db)
        .args(["query", sql, "--format", "table"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Sample Campaign 2"));
    // -f FILE, several statements: the last one's rows are written, -o with provenance.
    let file = db.with_file_name("a.sql");
    std::fs::write(
        &file,
        "CREATE TABLE mine AS SELECT 41 AS x;\n-- a comment; with a semicolon\nUPDATE mine SET x = x + 1;\nSELECT x FROM mine;",
    )
    .unwrap();
    let out = db.with_file_name("out.csv");
    perx(&db)
        .args(["query", "-f"])
        .arg(&file)
        .arg("-o")
        .arg(&out)
        .arg("--provenance")
        .assert()
        .success()
        .stderr(predicate::str::contains("statement 1: CREATE"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "x\n42\n");
    let meta = std::fs::read_to_string(out.with_file_name("out.csv.meta.json")).unwrap();
    assert!(meta.contains("SELECT x FROM mine"), "{meta}");
}

#[test]
fn changes_to_loaded_tables_need_write() {
    let (_dir, db) = loaded_db();
    for sql in [
        "DROP TABLE campaign",
        "/* just a comment */ DELETE FROM reward_transaction",
        "UPDATE \"Campaign\" SET name = 'x'",
        "INSERT INTO ml_movie SELECT * FROM ml_movie",
        "ALTER TABLE load_reject ADD COLUMN y INT",
        "CREATE OR REPLACE TABLE campaign AS SELECT 1",
    ] {
        perx(&db)
            .args(["query", sql])
            .assert()
            .code(4)
            .stderr(predicate::str::contains("--write"));
    }
    // Nothing changed.
    campaigns(&db).stdout("n\n4\n");
    // Reading, describing and tables of one's own need nothing.
    for sql in [
        "DESCRIBE campaign",
        "SUMMARIZE campaign",
        "EXPLAIN SELECT * FROM campaign",
        "CREATE TABLE mine AS SELECT * FROM campaign",
        "WITH c AS (SELECT 1) SELECT * FROM c",
    ] {
        perx(&db).args(["query", sql]).assert().success();
    }
    perx(&db)
        .args(["query", "DELETE FROM campaign WHERE id = 4", "--write"])
        .assert()
        .success();
    campaigns(&db).stdout("n\n3\n");
    // DuckDB's error, with the line it points at.
    perx(&db)
        .args(["query", "SELECT\n1;\nSELEC 2"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("syntax error").and(predicate::str::contains("LINE 3")));
}

#[test]
fn statement_kinds_come_from_duckdb() {
    let store = memory_store();
    let kind = |sql: &str| store.check_statement(sql).unwrap().kind;
    assert_eq!(kind("select 1"), StatementKind::Select);
    assert_eq!(kind("-- drop table x\nselect 1"), StatementKind::Select);
    assert_eq!(kind("describe campaign"), StatementKind::Select);
    assert_eq!(kind("explain select 1"), StatementKind::Explain);
    assert_eq!(kind("create table t (x int)"), StatementKind::Create);
    assert_eq!(kind("drop table campaign"), StatementKind::Drop);
    assert_eq!(kind("delete from campaign"), StatementKind::Delete);
    let checked = store.check_statement("drop table campaign").unwrap();
    assert!(checked.needs_confirmation());
    assert_eq!(checked.touches, ["campaign"]);
    assert!(
        !store
            .check_statement("select * from campaign")
            .unwrap()
            .needs_confirmation()
    );
    assert!(
        !store
            .check_statement("create table mine (x int)")
            .unwrap()
            .needs_confirmation()
    );
    assert!(matches!(
        store.check_statement("select 1; select 2"),
        Err(QueryError::Statements(_))
    ));
    assert!(matches!(
        store.check_statement("select * from no_such_table"),
        Err(QueryError::Sql { .. })
    ));
    let mut sink = Collected::default();
    assert!(matches!(
        store.run_statement("drop table campaign", false, &mut sink),
        Err(QueryError::Refused(_))
    ));
}

#[test]
fn the_stored_result_pages_sorts_filters_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = memory_store();
    load(&mut store, &sample_dir(), dir.path());
    let (held, summary) = store
        .run_into_result(
            "SELECT id, name, status FROM campaign ORDER BY id",
            false,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(summary.rows, 4);
    let Held::Stored { columns } = held else {
        panic!("a query is stored")
    };
    assert_eq!(columns[1], ("name".to_owned(), "VARCHAR".to_owned()));
    let all = ResultView::default();
    let page = store.result_page(&all, 1, 2).unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(perx::report::output::cell_text(&page[0][0]), "2");
    // Sorted by name descending.
    let sorted = ResultView {
        sort: Some((1, true)),
        filter: None,
    };
    assert_eq!(store.prepare_view(&sorted).unwrap(), 4);
    let first = store.result_page(&sorted, 0, 1).unwrap();
    assert_eq!(
        perx::report::output::cell_text(&first[0][1]),
        "Sample Campaign 4"
    );
    // A predicate, then text that is not one.
    let pred = ResultView {
        sort: None,
        filter: Some("status = 'inactive'".into()),
    };
    assert_eq!(store.prepare_view(&pred).unwrap(), 1);
    let text = ResultView {
        sort: None,
        filter: Some("campaign 3".into()),
    };
    assert_eq!(store.prepare_view(&text).unwrap(), 1);
    // A filter cannot smuggle in a statement.
    let sneaky = ResultView {
        sort: None,
        filter: Some("true); DROP TABLE campaign; --".into()),
    };
    let _ = store.prepare_view(&sneaky);
    assert!(store.check_statement("select * from campaign").is_ok());
    // Frequency table of status.
    let freq = store.frequency(&all, 2, 10).unwrap();
    assert_eq!(freq.distinct, 2);
    assert_eq!(
        perx::report::output::cell_text(&freq.values[0].value),
        "active"
    );
    assert_eq!(freq.values[0].rows, 3);
    assert!((freq.values[0].pct - 75.0).abs() < 1e-9);
    // Other statements are held in memory; every run is in the history.
    let (held, _) = store
        .run_into_result("EXPLAIN SELECT 1", false, &mut |_| {})
        .unwrap();
    assert!(matches!(held, Held::InMemory { .. }));
    let _ = store.run_into_result("SELECT nope", false, &mut |_| {});
    let history = store.query_history(10).unwrap();
    assert_eq!(history[0], "SELECT nope");
    assert_eq!(history.len(), 3);
}

#[test]
fn a_large_result_streams_in_bounded_memory() {
    // 20 M rows of two columns would take over a gigabyte as cells held whole.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("big.duckdb");
    let rss = dir.path().join("rss");
    let out = perx(&db)
        .args([
            "query",
            "SELECT range AS a, range * 2 AS b FROM range(20000000)",
            "--format",
            "csv",
        ])
        .env("PERX_PEAK_RSS_FILE", &rss)
        .assert()
        .success()
        .get_output()
        .stdout
        .len();
    assert!(out > 200_000_000, "{out} bytes written");
    let kb: u64 = std::fs::read_to_string(&rss)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(kb < 400_000, "peak RSS {kb} kB");
}

/// `perx query` is one session: what a statement leaves on the connection (a temporary
/// table, a setting, a prepared statement, a transaction) is there for the next, as in
/// DuckDB's own shell.
#[test]
fn one_query_is_one_session() {
    let (_dir, db) = loaded_db();
    let csv = |sql: &str| query_csv(&db, sql);
    assert_eq!(
        csv("create temp table t as select 42 x; select * from t"),
        "x\n42\n"
    );
    assert_eq!(
        csv("set threads = 1; select current_setting('threads') as n"),
        "n\n1\n"
    );
    assert_eq!(
        csv("prepare p as select 6 * ? as n; execute p(7)"),
        "n\n42\n"
    );
    assert_eq!(
        csv("begin; create table mine as select 1 as a; commit; select * from mine"),
        "a\n1\n"
    );
    assert_eq!(
        csv("create schema s; use s; create table u as select 5 as v; select v from s.u"),
        "v\n5\n"
    );
    // The rule still holds inside a session: a DELETE of a loaded table needs --write,
    // and a temporary table of the same name as a loaded one is the user's.
    perx(&db)
        .args(["query", "begin; delete from campaign; commit"])
        .assert()
        .code(4);
    campaigns(&db)
        .success()
        .stdout(predicate::str::contains("n\n"));
}

#[test]
fn the_console_classifies_on_its_own_connection() {
    let store = memory_store();
    let mut sink = Collected::default();
    store
        .run_statement("create temp table tt as select 1 as a", false, &mut sink)
        .unwrap();
    // Binds only on this connection: another one has no `tt`.
    assert_eq!(
        store.check_statement("select * from tt").unwrap().kind,
        StatementKind::Select
    );
    assert!(
        store
            .try_clone()
            .unwrap()
            .check_statement("select * from tt")
            .is_err()
    );
    let mut sink = Collected::default();
    let s = store
        .run_statement("select a from tt", false, &mut sink)
        .unwrap();
    assert_eq!(s.rows, 1);
}

/// Parquet and JSON are compiled into the bundled DuckDB (nothing downloaded): `COPY … TO`
/// both formats and `read_parquet`/`read_json` work in the console; `perx query -o
/// x.parquet` and `perx report … -o x.parquet` (format from the extension, or `--format
/// parquet`) write typed columns that DuckDB reads back as the same rows as the CSV.
#[test]
fn parquet_and_json_round_trips() {
    let (dir, db) = loaded_db();
    let p = |name: &str| dir.path().join(name).display().to_string();
    // The console: COPY to both formats, read back.
    let sql = "SELECT line_no, ts, http_method, user_id, item_id FROM http_log ORDER BY line_no";
    let csv = query_csv(&db, sql);
    for (file, reader) in [("copy.parquet", "read_parquet"), ("copy.json", "read_json")] {
        let fmt = if file.ends_with("parquet") {
            "parquet"
        } else {
            "json"
        };
        perx(&db)
            .args([
                "query",
                &format!("COPY ({sql}) TO '{}' (FORMAT {fmt})", p(file)),
            ])
            .assert()
            .success();
        let back = query_csv(
            &db,
            &format!(
                "SELECT line_no, ts, http_method, user_id, item_id FROM {reader}('{}') ORDER BY line_no",
                p(file)
            ),
        );
        assert_eq!(back, csv, "{file}");
    }
    // perx query -o x.parquet: the format from the extension.
    perx(&db)
        .args(["query", sql, "-o"])
        .arg(p("q.parquet"))
        .assert()
        .success()
        .stderr(predicate::str::contains("row(s) to"));
    let back = query_csv(&db, &format!("SELECT * FROM '{}'", p("q.parquet")));
    assert_eq!(back, csv);
    let types = query_csv(
        &db,
        &format!(
            "SELECT string_agg(column_type, ',') FROM (DESCRIBE SELECT * FROM '{}')",
            p("q.parquet")
        ),
    );
    assert!(
        types.contains("BIGINT,TIMESTAMP,VARCHAR,VARCHAR,BIGINT"),
        "{types}"
    );
    // perx report sessions --format parquet to a file: the report's rows, lists as lists.
    let report = perx(&db)
        .args(["report", "sessions", "--tz", "UTC", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    perx(&db)
        .args([
            "report",
            "sessions",
            "--format",
            "parquet",
            "--provenance",
            "-o",
        ])
        .arg(p("s.bin"))
        .assert()
        .success();
    assert!(dir.path().join("s.bin.meta.json").is_file());
    let back = query_csv(
        &db,
        &format!("SELECT * FROM read_parquet('{}')", p("s.bin")),
    );
    // DuckDB writes a list with a space after each comma, the report without.
    assert_eq!(back.replace(", ", ","), String::from_utf8(report).unwrap());
    // Parquet is binary: refused on a terminal only (here stdout is a pipe, so it flows).
    let piped = perx(&db)
        .args(["query", "SELECT 1 AS a", "--format", "parquet"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(piped.starts_with(b"PAR1"));
}

/// `perx query --open FILE` makes a data file a view named after it (CSV, Parquet, JSON,
/// and Avro through a Parquet conversion), several at once, joined with the database's
/// tables; without SQL it prints the file's rows; another extension is refused with what
/// is accepted.
#[test]
fn data_files_open_as_views() {
    let (dir, db) = loaded_db();
    let p = |name: &str| dir.path().join(name);
    let campaigns = query_csv(&db, "SELECT id, name, status FROM campaign ORDER BY id");
    for (file, fmt) in [
        ("c.parquet", "parquet"),
        ("c.json", "json"),
        ("c.csv", "csv"),
    ] {
        perx(&db)
            .args([
                "query",
                &format!(
                    "COPY (SELECT id, name, status FROM campaign) TO '{}' (FORMAT {fmt})",
                    p(file).display()
                ),
            ])
            .assert()
            .success();
        let out = perx(&db)
            .args(["query", "--open"])
            .arg(p(file))
            .args(["SELECT * FROM c ORDER BY id", "--format", "csv"])
            .assert()
            .success()
            .stderr(predicate::str::contains("as the view c"))
            .get_output()
            .stdout
            .clone();
        assert_eq!(String::from_utf8(out).unwrap(), campaigns, "{file}");
    }
    // Two at once, joined with a table; a name that is perx's own gets _file.
    std::fs::copy(p("c.csv"), p("campaign.csv")).unwrap();
    let joined = perx(&db)
        .args(["query", "--open"])
        .arg(p("c.parquet"))
        .arg("--open")
        .arg(p("campaign.csv"))
        .args([
            "SELECT count(*) AS n FROM c JOIN campaign_file USING (id) JOIN campaign USING (id)",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let n = campaigns.lines().count() - 1;
    assert_eq!(String::from_utf8(joined).unwrap(), format!("n\n{n}\n"));
    // Avro: the load's own copy of the log, its rows as the log's.
    let avro = dir.path().join("q.http_log.avro");
    assert!(avro.is_file());
    let out = perx(&db)
        .args(["query", "--open"])
        .arg(&avro)
        .args([
            "SELECT count(*) AS n, min(timestamp) AS first FROM q",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let expect = query_csv(&db, "SELECT count(*) AS n, min(ts) AS first FROM http_log");
    assert_eq!(String::from_utf8(out).unwrap(), expect);
    // Without SQL: the rows of the file.
    let rows = perx(&db)
        .args(["query", "--format", "csv", "--open"])
        .arg(p("c.json"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(rows).unwrap().lines().count(), n + 1);
    // Another extension: what is accepted.
    std::fs::write(p("book.xlsx"), "x").unwrap();
    perx(&db)
        .args(["query", "--open"])
        .arg(p("book.xlsx"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("perx opens .csv/.tsv, .parquet"));
}

/// A column summary of a large result with about as many values as rows gives DuckDB's
/// estimate of the distinct values and ranks no top values (each is rare, and ranking
/// millions of groups takes seconds); a column with few values is counted exactly.
#[test]
fn a_summary_estimates_the_distinct_values_of_a_large_unique_column() {
    use perx::store::query::summary::{EXACT_ROWS, MANY_DISTINCT};
    let store = memory_store();
    let rows = EXACT_ROWS + (MANY_DISTINCT + 500_000);
    store
        .run_into_result(
            &format!("SELECT range AS id, range % 3 AS kind FROM range({rows})"),
            false,
            &mut |_| {},
        )
        .unwrap();
    let view = ResultView::default();
    let id = store.column_summary(&view, 0).unwrap();
    assert_eq!(id.rows, rows);
    assert!(!id.distinct_exact);
    assert!(id.top.values.is_empty());
    let off = (id.distinct as f64 - rows as f64).abs() / rows as f64;
    assert!(off < 0.1, "estimate {} for {rows}", id.distinct);
    assert_eq!(id.histogram.iter().sum::<u64>(), rows);
    let kind = store.column_summary(&view, 1).unwrap();
    assert!(kind.distinct_exact);
    assert_eq!(kind.distinct, 3);
    assert_eq!(kind.top.values.len(), 3);
}
