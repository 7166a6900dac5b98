//! The Query tab, driven by keys: run, cancel, history, completion, sort, filter,
//! frequency, export, the refusal of a DROP of a loaded table, and "open as SQL" giving
//! each view's own rows.

use std::time::Duration;

use perx::report::ReportRow;
use perx::report::output::cell_text;
use perx::ui::tabs::TabId;
use perx::ui::{Action, App};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::ui::{app, key, screen, snapshot, typed};

fn ctrl(app: &mut App, c: char) {
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
    app.wait_idle(Duration::from_secs(120));
}

/// Types `sql` into the editor (replacing what is there) and runs it with Ctrl-J.
fn run(app: &mut App, sql: &str) {
    clear(app);
    typed(app, sql);
    ctrl(app, 'j');
}

/// Empties the editor as a user would.
fn clear(app: &mut App) {
    if app.query_tab().confirming().is_some() {
        key(app, KeyCode::Char('n'));
    }
    // i: back into the editor from the grid (in the editor it is text, removed below).
    key(app, KeyCode::Char('i'));
    // Alt-> (emacs M->) and Ctrl-E: to the end of the text; then delete all before it.
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('>'),
        KeyModifiers::ALT,
    )));
    ctrl(app, 'e');
    for _ in 0..app.query_tab().text().chars().count() {
        key(app, KeyCode::Backspace);
    }
    assert_eq!(app.query_tab().text(), "");
}

fn query_app() -> (App, tempfile::TempDir) {
    let (mut app, tmp) = app();
    key(&mut app, KeyCode::Char('6'));
    assert_eq!(app.current_tab(), TabId::Query);
    (app, tmp)
}

#[test]
fn the_query_tab_runs_pages_sorts_filters_counts_and_exports() {
    let (app, _tmp) = query_app();
    let out = tempfile::tempdir().unwrap();
    let mut app = app.with_export_dir(out.path().to_owned());
    snapshot("query_empty_80x24", &screen(&mut app, 80, 24));
    run(
        &mut app,
        "SELECT line_no, event_kind, item_id FROM http_log ORDER BY line_no",
    );
    assert!(app.error().is_none() && app.query_tab().error().is_none());
    let rows = app.query_tab().result_rows().unwrap();
    assert!(rows > 19_000, "{rows}");
    snapshot("query_result_80x24", &screen(&mut app, 80, 24));
    snapshot("query_result_160x48", &screen(&mut app, 160, 48));
    // The grid has the keys now: End reads the last page from DuckDB.
    key(&mut app, KeyCode::End);
    assert_eq!(app.query_tab().selected_cell(), Some((rows - 1, 0)));
    let text = screen(&mut app, 120, 30);
    assert!(
        text.contains(&format!("row {}", perx::ui::strings::thousands(rows))),
        "{text}"
    );
    // Sort by item_id, descending (s twice); the first row has the largest id.
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('s'));
    let first = cell_text(&app.query_tab().page().unwrap()[0][2]);
    let max = app
        .query_tab()
        .page()
        .unwrap()
        .iter()
        .map(|r| cell_text(&r[2]).parse::<i64>().unwrap())
        .max()
        .unwrap();
    assert_eq!(first.parse::<i64>().unwrap(), max);
    // Filter by a predicate, then by text.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "event_kind = 'reward'");
    key(&mut app, KeyCode::Enter);
    let rewards = app.query_tab().result_rows().unwrap();
    assert!(rewards > 1000 && rewards < rows, "{rewards}");
    assert!(
        app.query_tab()
            .page()
            .unwrap()
            .iter()
            .all(|r| cell_text(&r[1]) == "reward")
    );
    // The frequency table of event_kind (on the filtered view: one value).
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Char('F'));
    let f = app.query_tab().frequency().unwrap();
    assert_eq!(f.distinct, 1);
    assert_eq!(f.values[0].rows, rewards);
    snapshot("query_frequency_80x24", &screen(&mut app, 80, 24));
    key(&mut app, KeyCode::Esc);
    // Esc clears the filter; the frequency of all rows has both kinds.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.query_tab().result_rows(), Some(rows));
    key(&mut app, KeyCode::Char('F'));
    let f = app.query_tab().frequency().unwrap();
    assert_eq!(f.distinct, 2);
    assert_eq!(f.values.iter().map(|v| v.rows).sum::<u64>(), rows);
    key(&mut app, KeyCode::Esc);
    // Enter shows the cell whole; c copies it.
    key(&mut app, KeyCode::Enter);
    assert!(screen(&mut app, 120, 30).contains("Cell (Esc closes)"));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('c'));
    assert!(app.take_clipboard().is_some());
    // x: the whole result to CSV (in the current order), the SQL in the sidecar.
    key(&mut app, KeyCode::Char('x'));
    let csv = std::fs::read_to_string(out.path().join("perx-query.csv")).unwrap();
    assert_eq!(csv.lines().count() as u64, rows + 1);
    assert!(csv.starts_with("line_no,event_kind,item_id\n"));
    let meta = std::fs::read_to_string(out.path().join("perx-query.csv.meta.json")).unwrap();
    assert!(meta.contains("ORDER BY line_no"), "{meta}");
    assert!(
        meta.contains("\"descending\": true") || meta.contains("\"descending\":true"),
        "{meta}"
    );
    // J: JSON, beside the CSV in the export folder.
    key(&mut app, KeyCode::Char('J'));
    assert!(app.error().is_none(), "{:?}", app.error());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("perx-query.json")).unwrap())
            .unwrap();
    assert_eq!(json.as_array().unwrap().len() as u64, rows);
    assert!(out.path().join("perx-query.json.meta.json").is_file());
}

#[test]
fn errors_point_at_their_line_and_history_recalls_statements() {
    let (mut app, _tmp) = query_app();
    run(&mut app, "SELECT 1 AS one");
    assert_eq!(app.query_tab().result_rows(), Some(1));
    // A syntax error on the second line: the message, and the cursor on that line.
    clear(&mut app);
    typed(&mut app, "SELECT 2,");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "FROMM nowhere");
    ctrl(&mut app, 'j');
    let e = app.query_tab().error().unwrap().to_owned();
    assert!(e.contains("LINE 2"), "{e}");
    assert_eq!(app.query_tab().cursor(), (1, 0), "{e}");
    snapshot("query_error_80x24", &screen(&mut app, 80, 24));
    // A syntax error: the cursor goes to the line and the column of DuckDB's caret.
    clear(&mut app);
    typed(&mut app, "select 1,");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "  2 frm x");
    ctrl(&mut app, 'j');
    assert!(app.query_tab().error().unwrap().contains("syntax error"));
    assert_eq!(app.query_tab().cursor(), (1, 8));
    // ↑ at the top line: the statements run before, newest first.
    clear(&mut app);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.query_tab().text(), "select 1,\n  2 frm x");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.query_tab().text(), "SELECT 2,\nFROMM nowhere");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.query_tab().text(), "SELECT 1 AS one");
    key(&mut app, KeyCode::Down);
    assert_eq!(app.query_tab().text(), "SELECT 2,\nFROMM nowhere");
    // Ctrl-R searches the history.
    clear(&mut app);
    ctrl(&mut app, 'r');
    typed(&mut app, "one");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.query_tab().text(), "SELECT 1 AS one");
    // Tab completes table names from the catalog.
    clear(&mut app);
    typed(&mut app, "select * from reward_tr");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.query_tab().text(), "select * from reward_transaction");
    assert_eq!(
        app.current_tab(),
        TabId::Query,
        "Tab completes, it does not switch tabs"
    );
}

/// The error of a statement points into that statement, not into an identical one above
/// it; a filter holding `{order}` is the user's text, not a template's placeholder.
#[test]
fn errors_point_into_the_statement_that_ran_and_filters_are_taken_as_written() {
    let (mut app, _tmp) = query_app();
    clear(&mut app);
    // The same failing statement twice; the cursor is in the second when it runs.
    typed(&mut app, "SELECT 1;");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "SELECT 2,");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "FROMM nowhere;");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "SELECT 2,");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "FROMM nowhere");
    ctrl(&mut app, 'j');
    let e = app.query_tab().error().unwrap().to_owned();
    assert!(e.contains("LINE 2"), "{e}");
    assert_eq!(
        app.query_tab().cursor().0,
        4,
        "the second copy's line 2: {e}"
    );

    // A filter with `{order}` in a string: matched as text, not rewritten.
    run(
        &mut app,
        "SELECT * FROM (VALUES ('a{order}b'), ('plain'), ('{where}')) t(v)",
    );
    assert_eq!(app.query_tab().result_rows(), Some(3));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "v = 'a{order}b'");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.query_tab().error().is_none(),
        "{:?}",
        app.query_tab().error()
    );
    assert_eq!(app.query_tab().result_rows(), Some(1));
    assert_eq!(
        cell_text(&app.query_tab().page().unwrap()[0][0]),
        "a{order}b"
    );
}

/// Runs `sql`, asserting it ran without error.
fn ran(app: &mut App, sql: &str) {
    run(app, sql);
    assert!(
        app.query_tab().error().is_none(),
        "{sql}: {:?}",
        app.query_tab().error()
    );
}

/// Runs `sql` and returns the first cell of its result.
fn first_cell(app: &mut App, sql: &str) -> String {
    ran(app, sql);
    cell_text(&app.query_tab().page().unwrap()[0][0])
}

/// The tab is one session for its life: a temporary table, a setting and a transaction
/// made by one statement are there for the next.
#[test]
fn the_query_tab_keeps_its_session() {
    let (mut app, _tmp) = query_app();
    ran(&mut app, "create temp table tt as select 42 as x");
    assert_eq!(first_cell(&mut app, "select x from tt"), "42");
    assert_eq!(app.query_tab().result_rows(), Some(1));
    ran(&mut app, "set threads = 1");
    assert_eq!(
        first_cell(&mut app, "select current_setting('threads') as n"),
        "1"
    );
    // A transaction: its rows are seen inside it, and after COMMIT by everyone.
    ran(&mut app, "begin");
    ran(&mut app, "create table in_tx as select 7 as a");
    assert_eq!(first_cell(&mut app, "select a from in_tx"), "7");
    ran(&mut app, "commit");
    assert_eq!(first_cell(&mut app, "select a from in_tx"), "7");
    assert_eq!(app.query_tab().result_rows(), Some(1));
}

#[test]
fn a_drop_of_a_loaded_table_waits_for_y() {
    let (mut app, _tmp) = query_app();
    run(&mut app, "DROP TABLE campaign");
    let c = app.query_tab().confirming().unwrap();
    assert_eq!(c.touches, ["campaign"]);
    assert!(screen(&mut app, 120, 30).contains("Run it? y runs it"));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(
        app.query_tab().message(),
        Some(perx::ui::strings::query::NOT_RUN)
    );
    run(&mut app, "SELECT count(*) FROM campaign");
    assert_eq!(
        cell_text(&app.query_tab().page().unwrap()[0][0]),
        "4",
        "not dropped"
    );
    // A table of one's own needs no confirmation; y confirms a change to a loaded one.
    run(&mut app, "CREATE TABLE mine AS SELECT * FROM campaign");
    assert!(app.query_tab().confirming().is_none());
    run(&mut app, "DELETE FROM campaign WHERE id = 4");
    assert!(app.query_tab().confirming().is_some());
    key(&mut app, KeyCode::Char('y'));
    run(&mut app, "SELECT count(*) FROM campaign");
    assert_eq!(cell_text(&app.query_tab().page().unwrap()[0][0]), "3");
}

#[test]
fn esc_cancels_a_long_statement() {
    let (mut app, _tmp) = query_app();
    clear(&mut app);
    typed(
        &mut app,
        "SELECT count(*) FROM range(100000) a, range(100000) b, range(1000) c",
    );
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('j'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.busy());
    let text = screen(&mut app, 120, 30);
    assert!(text.contains("running the statement"), "{text}");
    app.update(Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    assert!(!app.busy());
    assert!(app.status().unwrap().contains("Cancelled"));
    // The console works on.
    run(&mut app, "SELECT 42");
    assert_eq!(cell_text(&app.query_tab().page().unwrap()[0][0]), "42");
}

#[test]
fn o_opens_each_view_as_sql_that_gives_the_view() {
    let (mut app, tmp) = app();
    // Engagement: the default view (campaign 1, all days).
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(app.current_tab(), TabId::Query);
    let sql = app.query_tab().text();
    assert!(sql.contains("TIMESTAMP '2019-06-30 16:00:00"), "{sql}");
    let view: Vec<Vec<String>> = app
        .engagement_tab()
        .result()
        .unwrap()
        .rows
        .iter()
        .map(|r| {
            vec![
                r.rank.to_string(),
                r.transactions.to_string(),
                r.slot.date().unwrap().to_string(),
                r.slot.hour().to_string(),
            ]
        })
        .collect();
    ctrl(&mut app, 'j');
    let rows = app.query_tab().result_rows().unwrap();
    assert_eq!(rows as usize, view.len());
    // Compare every row: rank, count, date, hour of the SQL's columns.
    let page: Vec<Vec<String>> = app
        .query_tab()
        .page()
        .unwrap()
        .iter()
        .map(|r| {
            vec![
                cell_text(&r[0]),
                cell_text(&r[1]),
                cell_text(&r[2]),
                cell_text(&r[4]),
            ]
        })
        .collect();
    assert_eq!(page, view[..page.len()]);
    // Weekly.
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('o'));
    ctrl(&mut app, 'j');
    let weekly = app.weekly_tab().result().unwrap();
    assert_eq!(
        app.query_tab().result_rows(),
        Some(weekly.rows.len() as u64)
    );
    let first: Vec<String> = app.query_tab().page().unwrap()[0]
        .iter()
        .map(cell_text)
        .collect();
    let cells: Vec<String> = weekly.rows[0].cells().iter().map(cell_text).collect();
    assert_eq!(first, cells);
    // Sessions, filtered to reward-driven sessions of one campaign and sorted.
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('s'));
    let total = app.sessions_tab().total();
    assert!(total > 10);
    let selected = app.sessions_tab().selected().unwrap().session.clone();
    key(&mut app, KeyCode::Char('o'));
    ctrl(&mut app, 'j');
    assert_eq!(app.query_tab().result_rows(), Some(total));
    let first: Vec<String> = app.query_tab().page().unwrap()[0]
        .iter()
        .map(cell_text)
        .collect();
    let want: Vec<String> = selected.cells().iter().map(cell_text).collect();
    assert_eq!(first, want);
    drop(tmp);
}

/// `D` summarises the column under the cursor: the figures are DuckDB's own aggregates of
/// the same rows (checked here with independent SQL), a time column gets quantiles and a
/// histogram over time, and Enter on a top value filters the grid to it.
#[test]
fn a_column_summary_and_its_top_value_filter() {
    let (mut app, _tmp) = query_app();
    run(
        &mut app,
        "SELECT item_id, event_kind, ts, CASE WHEN item_id % 7 = 0 THEN NULL ELSE item_id END AS sparse FROM http_log",
    );
    let rows = app.query_tab().result_rows().unwrap();
    // item_id: a number.
    key(&mut app, KeyCode::Char('D'));
    let (sm, _) = app.query_tab().summary().expect("a summary");
    assert_eq!(sm.rows, rows);
    assert_eq!(sm.nulls, 0);
    let expect = sample_sql(
        "SELECT count(DISTINCT item_id), min(item_id), max(item_id), \
         quantile_cont(item_id::DOUBLE, 0.5) FROM http_log",
    );
    let expect: Vec<&str> = expect.split(',').collect();
    assert_eq!(
        expect[..3],
        [
            sm.distinct.to_string().as_str(),
            sm.min.as_deref().unwrap(),
            sm.max.as_deref().unwrap()
        ]
    );
    let median: f64 = sm.median.as_deref().unwrap().parse().unwrap();
    assert_eq!(median, expect[3].parse::<f64>().unwrap());
    assert_eq!(
        sm.histogram.len(),
        perx::store::query::summary::HISTOGRAM_BINS
    );
    assert_eq!(sm.histogram.iter().sum::<u64>(), rows);
    snapshot("query_summary_80x24", &screen(&mut app, 80, 24));
    snapshot("query_summary_160x48", &screen(&mut app, 160, 48));
    key(&mut app, KeyCode::Esc);
    assert!(app.query_tab().summary().is_none());
    // sparse: its NULLs counted, left out of the histogram.
    for _ in 0..3 {
        key(&mut app, KeyCode::Right);
    }
    key(&mut app, KeyCode::Char('D'));
    let (sm, _) = app.query_tab().summary().unwrap();
    assert!(sm.nulls > 0 && sm.nulls < rows, "{sm:?}");
    assert_eq!(sm.histogram.iter().sum::<u64>(), rows - sm.nulls);
    key(&mut app, KeyCode::Esc);
    // ts: a time, with quantiles that are timestamps.
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Char('D'));
    let (sm, _) = app.query_tab().summary().unwrap();
    assert_eq!(sm.kind, perx::store::query::summary::ColumnKind::Time);
    assert!(
        sm.median.as_deref().unwrap().starts_with("2019-08-"),
        "{sm:?}"
    );
    assert_eq!(sm.histogram.iter().sum::<u64>(), rows);
    key(&mut app, KeyCode::Esc);
    // event_kind: text; the second top value picked and Enter filters the grid to it.
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Char('D'));
    let (sm, _) = app.query_tab().summary().unwrap();
    assert_eq!(sm.kind, perx::store::query::summary::ColumnKind::Other);
    assert_eq!(sm.distinct, 2);
    let second = sm.top.values[1].clone();
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(app.query_tab().summary().is_none());
    assert_eq!(app.query_tab().result_rows(), Some(second.rows));
    assert!(
        app.query_tab()
            .page()
            .unwrap()
            .iter()
            .all(|r| r[1] == second.value)
    );
    // I: every column's summary (of the filtered view), Enter opens one.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('I'));
    let (all, _) = app.query_tab().described().expect("every column's summary");
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].name, "item_id");
    assert!(all.iter().all(|c| c.rows == rows));
    snapshot("query_describe_80x24", &screen(&mut app, 80, 24));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.query_tab().summary().unwrap().0.name, "event_kind");
    assert!(app.error().is_none() && app.query_tab().error().is_none());
}

/// One row of `sql` on a store of its own holding the sample (what the app loaded), its
/// cells joined by commas.
fn sample_sql(sql: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = crate::util::memory_store();
    crate::util::load(&mut store, &crate::util::sample_dir(), tmp.path());
    let mut out = perx::report::Collected::default();
    store.run_statement(sql, false, &mut out).unwrap();
    out.rows[0]
        .iter()
        .map(cell_text)
        .collect::<Vec<_>>()
        .join(",")
}

/// `C` charts the result: a line of the number over the time column (the suggestion), a
/// bar chart and a histogram with keys, each point what DuckDB computes of the same rows;
/// `x` exports the points and the SQL that drew them.
#[test]
fn charts_of_a_result() {
    let (app, _tmp) = query_app();
    let out = tempfile::tempdir().unwrap();
    let mut app = app.with_export_dir(out.path().to_owned());
    run(&mut app, "SELECT event_kind, item_id, ts FROM http_log");
    let rows = app.query_tab().result_rows().unwrap();
    key(&mut app, KeyCode::Char('C'));
    let line = app.query_tab().chart().expect("a chart").clone();
    assert_eq!(line.spec.kind, perx::store::query::chart::ChartKind::Line);
    assert_eq!(line.x_name, "ts");
    assert!(line.x_is_time);
    assert!(!line.points.is_empty() && line.points.len() <= 200);
    assert!(
        line.points.windows(2).all(|w| w[0].x < w[1].x),
        "x ascending"
    );
    snapshot("query_chart_line_80x24", &screen(&mut app, 80, 24));
    // b: a bar chart of the text column by the sum of the number column.
    key(&mut app, KeyCode::Char('b'));
    let bar = app.query_tab().chart().unwrap().clone();
    assert_eq!(bar.x_name, "event_kind");
    assert_eq!(bar.series, ["sum of item_id"]);
    let expect = sample_sql(
        "SELECT string_agg(event_kind || '=' || s, ';' ORDER BY s DESC) FROM \
         (SELECT event_kind, sum(item_id)::DOUBLE AS s FROM http_log GROUP BY ALL)",
    );
    let got: Vec<String> = bar
        .points
        .iter()
        .map(|p| format!("{}={:.1}", p.label, p.values[0].unwrap()))
        .collect();
    assert_eq!(got.join(";"), expect);
    snapshot("query_chart_bar_160x48", &screen(&mut app, 160, 48));
    // ↑: by rows instead.
    key(&mut app, KeyCode::Up);
    let by_rows = app.query_tab().chart().unwrap().clone();
    assert_eq!(by_rows.series, ["rows"]);
    assert_eq!(
        by_rows
            .points
            .iter()
            .map(|p| p.values[0].unwrap())
            .sum::<f64>(),
        rows as f64
    );
    // h: a histogram (of a number or time column: the text column is left), every row in
    // a bin; - halves the bins.
    key(&mut app, KeyCode::Char('h'));
    let hist = app.query_tab().chart().unwrap().clone();
    assert_ne!(hist.x_name, "event_kind");
    assert_eq!(hist.points.len(), 30);
    assert_eq!(
        hist.points
            .iter()
            .map(|p| p.values[0].unwrap())
            .sum::<f64>(),
        rows as f64
    );
    key(&mut app, KeyCode::Char('-'));
    assert_eq!(app.query_tab().chart().unwrap().points.len(), 15);
    // x: the points as CSV, the SQL beside.
    key(&mut app, KeyCode::Char('x'));
    let csv = std::fs::read_to_string(out.path().join("perx-chart.csv")).unwrap();
    assert_eq!(csv.lines().count(), 16, "{csv}");
    let sql = std::fs::read_to_string(out.path().join("perx-chart.sql")).unwrap();
    assert!(
        sql.contains("SELECT event_kind, item_id, ts FROM http_log"),
        "{sql}"
    );
    assert!(sql.contains("range(15)"), "{sql}");
    key(&mut app, KeyCode::Esc);
    assert!(app.query_tab().chart().is_none());
    assert!(app.error().is_none() && app.query_tab().error().is_none());
}

/// `P` exports the result to Parquet, typed, with the provenance sidecar; DuckDB reads it
/// back with the result's rows.
#[test]
fn the_query_tab_exports_parquet() {
    let (app, _tmp) = query_app();
    let out = tempfile::tempdir().unwrap();
    let mut app = app.with_export_dir(out.path().to_owned());
    run(
        &mut app,
        "SELECT line_no, ts, event_kind FROM http_log ORDER BY line_no",
    );
    let rows = app.query_tab().result_rows().unwrap();
    key(&mut app, KeyCode::Char('P'));
    let file = out.path().join("perx-query.parquet");
    assert!(out.path().join("perx-query.parquet.meta.json").is_file());
    let back = sample_sql(&format!(
        "SELECT count(*), min(line_no), max(ts) FROM read_parquet('{}')",
        file.display()
    ));
    let expect = sample_sql("SELECT count(*), min(line_no), max(ts) FROM http_log");
    assert_eq!(back, expect);
    assert!(back.starts_with(&rows.to_string()), "{back}");
}

/// `perx FILE`: the Query tab opens a file as a view of its session, the `read_*` written
/// for the user, and shows its rows; a later statement of the session sees the view.
#[test]
fn a_file_opens_in_the_query_tab() {
    let (mut app, tmp) = crate::ui::app();
    let file = tmp.path().join("Week 27.csv");
    std::fs::write(&file, "id,amount\n1,10.5\n2,20\n3,\n").unwrap();
    app.open_file(&file);
    app.wait_idle(Duration::from_secs(120));
    assert_eq!(app.current_tab(), TabId::Query);
    assert!(
        app.error().is_none() && app.query_tab().error().is_none(),
        "{:?} {:?}",
        app.error(),
        app.query_tab().error()
    );
    let text = app.query_tab().text();
    assert!(
        text.starts_with("CREATE OR REPLACE TEMP VIEW \"week_27\" AS SELECT * FROM read_csv(")
            && text.ends_with(";\nSELECT * FROM \"week_27\""),
        "{text}"
    );
    assert_eq!(app.query_tab().result_rows(), Some(3));
    assert_eq!(app.query_tab().columns(), ["id", "amount"]);
    // The temporary folder's random name, redacted (same length, so columns stay put).
    let folder = tmp.path().display().to_string();
    let fixed = format!("/tmp/{}", "X".repeat(folder.len().saturating_sub(5)));
    snapshot(
        "query_open_file_80x24",
        &screen(&mut app, 80, 24).replace(&folder, &fixed),
    );
    snapshot(
        "query_open_file_160x48",
        &screen(&mut app, 160, 48).replace(&folder, &fixed),
    );
    run(&mut app, "SELECT sum(amount) AS s FROM week_27");
    assert_eq!(cell_text(&app.query_tab().page().unwrap()[0][0]), "30.5");
}

/// Tab inside a quoted string completes a path from the file system: a folder gets its
/// `/`, the next Tab offers the next name, and what is typed outside quotes still
/// completes from the catalog.
#[test]
fn a_path_in_quotes_completes_from_the_file_system() {
    let (mut app, _tmp) = query_app();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    std::fs::write(dir.path().join("exports").join("week-27.csv"), "a\n1\n").unwrap();
    std::fs::write(dir.path().join("exports").join("week-28.csv"), "a\n2\n").unwrap();
    clear(&mut app);
    let base = dir.path().display().to_string();
    typed(&mut app, &format!("SELECT * FROM read_csv('{base}/exp"));
    key(&mut app, KeyCode::Tab);
    assert!(
        app.query_tab()
            .text()
            .ends_with(&format!("'{base}/exports/")),
        "{}",
        app.query_tab().text()
    );
    typed(&mut app, "we");
    key(&mut app, KeyCode::Tab);
    assert!(app.query_tab().text().ends_with("/exports/week-27.csv"));
    key(&mut app, KeyCode::Tab);
    assert!(app.query_tab().text().ends_with("/exports/week-28.csv"));
    typed(&mut app, "')");
    ctrl(&mut app, 'j');
    assert_eq!(app.query_tab().result_rows(), Some(1));
    assert_eq!(cell_text(&app.query_tab().page().unwrap()[0][0]), "2");
}

/// A summary and a chart of a sorted, filtered grid count the view's rows and leave its
/// order alone: pages read afterwards are still sorted.
#[test]
fn summaries_and_charts_leave_the_grids_order_alone() {
    let (mut app, _tmp) = query_app();
    run(&mut app, "SELECT item_id, event_kind FROM http_log");
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "event_kind = 'view'");
    key(&mut app, KeyCode::Enter);
    let views = app.query_tab().result_rows().unwrap();
    key(&mut app, KeyCode::Char('D'));
    assert_eq!(app.query_tab().summary().unwrap().0.rows, views);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('C'));
    assert!(app.query_tab().chart().is_some());
    key(&mut app, KeyCode::Esc);
    // Read the pages again, from the far end and back.
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Home);
    let ids: Vec<i64> = app
        .query_tab()
        .page()
        .unwrap()
        .iter()
        .map(|r| cell_text(&r[0]).parse().unwrap())
        .collect();
    assert!(ids.len() > 10);
    assert!(ids.windows(2).all(|w| w[0] >= w[1]), "{ids:?}");
    assert!(app.error().is_none() && app.query_tab().error().is_none());
}
