//! The three reports run in BigQuery: the BigQuery-dialect twins in `sql/bigquery/`, the
//! same parameters as named query parameters, and the answers turned into the same
//! [`Cell`]s as the DuckDB run, so the writers print both alike and `perx verify
//! bigquery` can compare them cell by cell.

use chrono::{DateTime, NaiveDate, Utc};

use super::BigQueryError;
use super::client::{Client, Param};
use crate::core::session::Session;
use crate::report::{Bucket, Cell, EngagementQuery, RowSink, SessionsQuery, WeeklyQuery};
use crate::store::reports::{
    SESSION_COLUMNS, WEEKLY_COLUMNS, engagement_columns, parse_id_list, session_cells,
};

/// A TIMESTAMP parameter's text.
fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
}

/// Reads cell `i` of a result row.
struct RowReader<'a> {
    row: &'a [Option<String>],
    what: &'static str,
}

impl RowReader<'_> {
    fn bad(&self, i: usize, want: &str) -> BigQueryError {
        BigQueryError::Protocol {
            what: format!("the {} report", self.what),
            detail: format!(
                "column {i} is {:?}, expected {want}",
                self.row.get(i).cloned().flatten()
            ),
        }
    }
    fn opt(&self, i: usize) -> Option<&str> {
        self.row.get(i).and_then(|c| c.as_deref())
    }
    fn int(&self, i: usize) -> Result<i64, BigQueryError> {
        self.opt(i)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.bad(i, "an integer"))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, BigQueryError> {
        match self.opt(i) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| self.bad(i, "an integer")),
        }
    }
    fn opt_float(&self, i: usize) -> Result<Option<f64>, BigQueryError> {
        match self.opt(i) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| self.bad(i, "a number")),
        }
    }
    fn text(&self, i: usize) -> Result<String, BigQueryError> {
        self.opt(i)
            .map(str::to_owned)
            .ok_or_else(|| self.bad(i, "text"))
    }
    fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>, BigQueryError> {
        match self.opt(i) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| self.bad(i, "a date")),
        }
    }
    fn bool(&self, i: usize) -> Result<bool, BigQueryError> {
        match self.opt(i) {
            Some("true") | Some("TRUE") => Ok(true),
            Some("false") | Some("FALSE") => Ok(false),
            _ => Err(self.bad(i, "true or false")),
        }
    }
}

/// One report query on BigQuery: its SQL, parameters and output columns.
struct Query<'a> {
    /// The dataset its `{dataset}` names.
    dataset: &'a str,
    /// The `sql/bigquery/` text.
    sql: &'a str,
    /// Named parameters.
    params: &'a [Param],
    /// The columns written (the DuckDB run's).
    columns: &'a [&'a str],
    /// The report's name, for errors.
    what: &'static str,
}

/// Runs `q` and writes its rows through `cells` into `sink` a page at a time.
fn run(
    client: &Client,
    q: &Query<'_>,
    sink: &mut dyn RowSink,
    mut cells: impl FnMut(&RowReader<'_>) -> Result<Vec<Cell>, BigQueryError>,
) -> Result<u64, BigQueryError> {
    let Query {
        dataset,
        sql,
        params,
        columns,
        what,
    } = *q;
    let io = |e: std::io::Error| BigQueryError::Io {
        path: "(output)".into(),
        source: e,
    };
    sink.begin(columns).map_err(io)?;
    let mut n = 0u64;
    client.query_pages(dataset, sql, params, &mut |_, rows| {
        for row in &rows {
            let r = RowReader { row, what };
            sink.row(&cells(&r)?).map_err(io)?;
        }
        n += rows.len() as u64;
        Ok(())
    })?;
    sink.end().map_err(io)?;
    Ok(n)
}

/// Report A1 in BigQuery.
pub fn engagement(
    client: &Client,
    dataset: &str,
    q: &EngagementQuery,
    sink: &mut dyn RowSink,
) -> Result<u64, BigQueryError> {
    let (from, to) = q.range.to_utc();
    let params = [
        Param::new("campaign_id", "INT64", Some(q.campaign_id.to_string())),
        Param::new("utc_from", "TIMESTAMP", Some(ts(from))),
        Param::new("utc_to", "TIMESTAMP", Some(ts(to))),
        Param::new("tz", "STRING", Some(q.range.tz().name().to_owned())),
        Param::new("status", "STRING", q.status.clone()),
        Param::new("by", "STRING", Some(q.by.as_str().to_owned())),
    ];
    let columns = engagement_columns(q.by);
    let sql = include_str!("../../sql/bigquery/engagement.sql");
    run(
        client,
        &Query {
            dataset,
            sql,
            params: &params,
            columns,
            what: "engagement",
        },
        sink,
        |r| {
            let mut cells = vec![Cell::Int(r.int(0)?), Cell::Int(r.int(1)?)];
            match q.by {
                Bucket::DateHour => cells.push(r.opt_date(2)?.map_or(Cell::Null, Cell::Date)),
                Bucket::HourOfDay => {}
                Bucket::WeekdayHour => cells.push(Cell::Text(
                    crate::report::weekday_name(r.opt_int(3)?).to_owned(),
                )),
            }
            cells.push(Cell::Text(format!("{:02}:00", r.int(4)?)));
            Ok(cells)
        },
    )
}

/// Report A2 in BigQuery.
pub fn weekly(
    client: &Client,
    dataset: &str,
    q: &WeeklyQuery,
    sink: &mut dyn RowSink,
) -> Result<u64, BigQueryError> {
    let params = [
        Param::new("tz", "STRING", Some(q.tz.name().to_owned())),
        Param::new("reward", "STRING", q.reward.clone()),
    ];
    let columns = WEEKLY_COLUMNS;
    let sql = include_str!("../../sql/bigquery/weekly.sql");
    run(
        client,
        &Query {
            dataset,
            sql,
            params: &params,
            columns: &columns,
            what: "weekly",
        },
        sink,
        |r| {
            Ok(vec![
                Cell::Text(r.text(0)?),
                Cell::Int(r.int(1)?),
                r.opt_float(2)?.map_or(Cell::Null, Cell::Float),
                r.opt_date(3)?.map_or(Cell::Null, Cell::Date),
                Cell::Text(r.text(4)?),
                Cell::Int(r.int(5)?),
            ])
        },
    )
}

/// Report B in BigQuery.
pub fn sessions(
    client: &Client,
    dataset: &str,
    q: &SessionsQuery,
    sink: &mut dyn RowSink,
) -> Result<u64, BigQueryError> {
    let (from, to) = q
        .utc_bounds()
        .map_or((None, None), |(a, b)| (Some(ts(a)), Some(ts(b))));
    let params = [
        Param::new("utc_from", "TIMESTAMP", from),
        Param::new("utc_to", "TIMESTAMP", to),
        Param::new("user_id", "STRING", q.user_id.clone()),
        Param::new("driven_only", "BOOL", Some(q.driven_only.to_string())),
    ];
    let sql = include_str!("../../sql/bigquery/sessions.sql");
    run(
        client,
        &Query {
            dataset,
            sql,
            params: &params,
            columns: &SESSION_COLUMNS,
            what: "sessions",
        },
        sink,
        |r| {
            let s = Session {
                user_id: r.text(0)?,
                start_micros: r.int(1)?,
                end_micros: r.int(2)?,
                campaigns: parse_id_list(&r.text(3)?),
                rewards: parse_id_list(&r.text(4)?),
                driven: r.bool(5)?,
                events: r.int(6)?.max(0) as u64,
                driving_campaigns: parse_id_list(&r.text(7)?),
            };
            Ok(session_cells(&s))
        },
    )
}
