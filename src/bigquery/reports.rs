//! The three reports run in BigQuery: the BigQuery-dialect twins in `sql/bigquery/`, the
//! same parameters as named query parameters, and the answers turned into the same typed
//! rows as the DuckDB run, so the writers print both alike and `perx verify bigquery` can
//! compare them row by row.

use chrono::{DateTime, NaiveDate, Utc};

use super::BigQueryError;
use super::client::{Client, Param};
use crate::core::session::Session;
use crate::report::rows::parse_id_list;
use crate::report::{
    EngagementQuery, EngagementRow, ReportRow, ReportSink, SessionRow, SessionsQuery, Slot,
    WeeklyQuery, WeeklyRow,
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
    fn date(&self, i: usize) -> Result<NaiveDate, BigQueryError> {
        self.opt_date(i)?.ok_or_else(|| self.bad(i, "a date"))
    }
    fn ids(&self, i: usize) -> Result<Vec<i64>, BigQueryError> {
        parse_id_list(&self.text(i)?).ok_or_else(|| self.bad(i, "a list of ids"))
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
    columns: &'static [&'static str],
    /// The report's name, for errors.
    what: &'static str,
}

/// Runs `q` and writes its rows, read by `read`, into `sink` a page at a time.
fn run<R>(
    client: &Client,
    q: &Query<'_>,
    sink: &mut dyn ReportSink<R>,
    mut read: impl FnMut(&RowReader<'_>) -> Result<R, BigQueryError>,
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
            sink.row(&read(&r)?).map_err(io)?;
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
    sink: &mut dyn ReportSink<EngagementRow>,
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
    let columns = EngagementRow::columns(q.by);
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
            let slot = Slot::new(q.by, r.opt_date(2)?, r.opt_int(3)?, r.int(4)?)
                .ok_or_else(|| r.bad(2, "a time slot for the bucketing"))?;
            Ok(EngagementRow {
                rank: r.int(0)?,
                transactions: r.int(1)?,
                slot,
            })
        },
    )
}

/// Report A2 in BigQuery.
pub fn weekly(
    client: &Client,
    dataset: &str,
    q: &WeeklyQuery,
    sink: &mut dyn ReportSink<WeeklyRow>,
) -> Result<u64, BigQueryError> {
    let params = [
        Param::new("tz", "STRING", Some(q.tz.name().to_owned())),
        Param::new("reward", "STRING", q.reward.clone()),
    ];
    let sql = include_str!("../../sql/bigquery/weekly.sql");
    run(
        client,
        &Query {
            dataset,
            sql,
            params: &params,
            columns: WeeklyRow::columns(()),
            what: "weekly",
        },
        sink,
        |r| {
            Ok(WeeklyRow {
                reward_name: r.text(0)?,
                redeemed: r.int(1)?,
                pct_diff_prev_week: r.opt_float(2)?,
                week_start: r.date(3)?,
                iso_week: r.text(4)?,
                reward_campaign_id: r.int(5)?,
            })
        },
    )
}

/// Report B in BigQuery.
pub fn sessions(
    client: &Client,
    dataset: &str,
    q: &SessionsQuery,
    sink: &mut dyn ReportSink<SessionRow>,
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
            columns: SessionRow::columns(()),
            what: "sessions",
        },
        sink,
        |r| {
            let s = Session {
                user_id: r.text(0)?,
                start_micros: r.int(1)?,
                end_micros: r.int(2)?,
                campaigns: r.ids(3)?,
                rewards: r.ids(4)?,
                driven: r.bool(5)?,
                events: r.int(6)?.max(0) as u64,
                driving_campaigns: r.ids(7)?,
            };
            SessionRow::from_session(s).ok_or_else(|| r.bad(1, "an instant"))
        },
    )
}
