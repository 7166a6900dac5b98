//! Column summaries of the console's stored result (the Query tab's `D`; VisiData's
//! describe sheet): type, rows, nulls, distinct values, the range, mean and quantiles of
//! numbers and times, the most frequent values, and a histogram binned in DuckDB. Every
//! figure is one statement over the stored result (or the grid's filtered view): nothing
//! is read into memory but the answers, so a 10 M-row result is summarised in place.

use duckdb::types::Value;

use super::chart::{ChartKind, ChartSpec};
use super::result::{Frequency, ResultView};
use super::values::{literal, quote_ident};
use super::{QueryError, Store};
use crate::core::sql::fill_template;

/// Bars of a summary's histogram.
pub const HISTOGRAM_BINS: usize = 24;

/// Top values a summary lists.
pub const TOP_VALUES: usize = 8;

/// Above this many rows, the distinct values are estimated first.
pub const EXACT_ROWS: u64 = 1_000_000;

/// More distinct values than this (in a result of more than [`EXACT_ROWS`] rows): the
/// estimate is given and the top values are not ranked.
pub const MANY_DISTINCT: u64 = 2_000_000;

/// What a column holds, as far as summaries go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Integers, decimals, floats: mean, quantiles, histogram.
    Number,
    /// Dates and timestamps: quantiles, histogram over time.
    Time,
    /// Anything else: top values.
    Other,
}

impl ColumnKind {
    /// The kind of a DuckDB type name (`BIGINT`, `DECIMAL(18,3)`, `TIMESTAMP WITH TIME
    /// ZONE`, …).
    pub fn of(type_name: &str) -> ColumnKind {
        let t = type_name.to_ascii_uppercase();
        let base = t.split('(').next().unwrap_or("").trim();
        match base {
            "TINYINT" | "SMALLINT" | "INTEGER" | "BIGINT" | "HUGEINT" | "UTINYINT"
            | "USMALLINT" | "UINTEGER" | "UBIGINT" | "UHUGEINT" | "FLOAT" | "DOUBLE"
            | "DECIMAL" | "REAL" => ColumnKind::Number,
            "DATE"
            | "TIMESTAMP"
            | "TIMESTAMP_S"
            | "TIMESTAMP_MS"
            | "TIMESTAMP_NS"
            | "TIMESTAMP WITH TIME ZONE" => ColumnKind::Time,
            _ => ColumnKind::Other,
        }
    }
}

/// One column's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSummary {
    /// The column's name.
    pub name: String,
    /// Its DuckDB type.
    pub type_name: String,
    /// Number, time or other.
    pub kind: ColumnKind,
    /// Rows of the view.
    pub rows: u64,
    /// Of them NULL.
    pub nulls: u64,
    /// Distinct non-NULL values: exact (from the same pass as the top values), or DuckDB's
    /// estimate when a result of more than [`EXACT_ROWS`] rows has more than
    /// [`MANY_DISTINCT`] (then no top values are ranked).
    pub distinct: u64,
    /// Whether `distinct` is exact.
    pub distinct_exact: bool,
    /// The smallest and largest value, as text.
    pub min: Option<String>,
    /// See `min`.
    pub max: Option<String>,
    /// Numbers: the mean.
    pub mean: Option<String>,
    /// Numbers and times: the 5th percentile, median and 95th percentile.
    pub p5: Option<String>,
    /// See `p5`.
    pub median: Option<String>,
    /// See `p5`.
    pub p95: Option<String>,
    /// The most frequent values (with a SQL literal each, for a filter).
    pub top: Frequency,
    /// Numbers and times: rows per equal-width bin from `min` to `max`.
    pub histogram: Vec<u64>,
}

impl ColumnSummary {
    /// The grid filter that keeps the rows holding top value `i` (a SQL predicate).
    pub fn filter_for(&self, i: usize) -> Option<String> {
        let v = self.top.values.get(i)?;
        let column = quote_ident(&self.name);
        Some(match &v.literal {
            None => format!("{column} IS NULL"),
            Some(l) => format!("{column} = {l}"),
        })
    }
}

/// A column (quoted) as a number for statistics, bins and axes: itself as a `DOUBLE`, or
/// a time's microseconds since the epoch.
pub(super) fn as_number(column: &str, kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Time => format!("CAST(epoch_us(CAST({column} AS TIMESTAMP)) AS DOUBLE)"),
        _ => format!("CAST({column} AS DOUBLE)"),
    }
}

/// The text of a value read as `VARCHAR` (NULL: none).
fn text(r: &duckdb::Row<'_>, i: usize) -> Result<Option<String>, duckdb::Error> {
    r.get::<_, Option<String>>(i)
}

impl Store {
    /// The summary of column `i` of the view (the stored result, filtered as the grid
    /// shows it; the order does not matter to a summary).
    pub fn column_summary(&self, view: &ResultView, i: usize) -> Result<ColumnSummary, QueryError> {
        let columns = self.result_columns()?;
        let (name, type_name) = columns
            .get(i)
            .ok_or_else(|| QueryError::Statements(format!("no column {i}")))?;
        let kind = ColumnKind::of(type_name);
        let table = Self::counted_rows(view);
        let column = quote_ident(name);
        let x = as_number(&column, kind);
        let fill = |t: &str| fill_template(t, &[("table", &table), ("column", &column), ("x", &x)]);
        let (rows, nulls, min, max) = self
            .conn()
            .query_row(
                &fill(include_str!("../../../sql/query/summary_counts.sql")),
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        text(r, 2)?,
                        text(r, 3)?,
                    ))
                },
            )
            .map_err(QueryError::sql)?;
        let nulls = nulls.max(0) as u64;
        let rows = rows.max(0) as u64;
        // A large result with very many distinct values: the estimate, and no top values
        // (each is rare; a grouping pass over millions of groups would take seconds).
        let estimate: i64 = if rows > EXACT_ROWS {
            self.conn()
                .query_row(
                    &fill(include_str!(
                        "../../../sql/query/summary_distinct_approx.sql"
                    )),
                    [],
                    |r| r.get(0),
                )
                .map_err(QueryError::sql)?
        } else {
            0
        };
        let many = estimate.max(0) as u64 > MANY_DISTINCT;
        let (top, distinct) = if many {
            (
                Frequency {
                    values: Vec::new(),
                    distinct: estimate.max(0) as u64,
                },
                estimate.max(0) as u64,
            )
        } else {
            let top = self.frequency_in(&table, &column, TOP_VALUES)?;
            let distinct = top.distinct.saturating_sub(u64::from(nulls > 0));
            (top, distinct)
        };
        let mut summary = ColumnSummary {
            name: name.clone(),
            type_name: type_name.clone(),
            kind,
            rows,
            nulls,
            distinct,
            distinct_exact: !many,
            min,
            max,
            mean: None,
            p5: None,
            median: None,
            p95: None,
            top,
            histogram: Vec::new(),
        };
        let stats = match kind {
            ColumnKind::Number => include_str!("../../../sql/query/summary_numbers.sql"),
            ColumnKind::Time => include_str!("../../../sql/query/summary_times.sql"),
            ColumnKind::Other => return Ok(summary),
        };
        let (mean, p5, median, p95) = self
            .conn()
            .query_row(&fill(stats), [], |r| {
                Ok((text(r, 0)?, text(r, 1)?, text(r, 2)?, text(r, 3)?))
            })
            .map_err(QueryError::sql)?;
        summary.mean = mean;
        summary.p5 = p5;
        summary.median = median;
        summary.p95 = p95;
        let bins = ChartSpec {
            kind: ChartKind::Histogram,
            x: i,
            y: Vec::new(),
            limit: HISTOGRAM_BINS,
        };
        summary.histogram = self
            .chart_on(&table, &columns, &bins)?
            .points
            .iter()
            .map(|p| p.values.first().copied().flatten().unwrap_or(0.0) as u64)
            .collect();
        Ok(summary)
    }

    /// The summary of every column of the view, in order (VisiData's describe sheet).
    pub fn result_summaries(&self, view: &ResultView) -> Result<Vec<ColumnSummary>, QueryError> {
        let n = self.result_columns()?.len();
        (0..n).map(|i| self.column_summary(view, i)).collect()
    }
}

/// A SQL literal of a value read back, for a filter (none for NULL).
pub(super) fn literal_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        other => Some(literal(other)),
    }
}
