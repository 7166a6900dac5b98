//! Report definitions shared by the CLI and the TUI: what each report takes, which columns
//! it gives, and the typed cells its rows are made of. Running them is the store's job
//! ([`crate::store::reports`]); writing them out is [`output`]'s.

pub mod output;
pub mod rows;

pub use rows::{EngagementRow, ReportRow, ReportSink, Rows, SessionRow, Slot, WeeklyRow};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::core::timerange::LocalDateRange;

/// One value of a report row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value (e.g. the first week's change).
    Null,
    /// An integer.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A calendar date.
    Date(NaiveDate),
    /// A UTC instant (written ISO-8601 with `+00:00`).
    Timestamp(DateTime<Utc>),
    /// A list of integer ids, written as a JSON array (`[11,3602]`, `[]`).
    IdList(Vec<i64>),
}

/// Receives a report row by row, so large results stream instead of piling up in memory.
pub trait RowSink {
    /// The column names, once, before any row.
    fn begin(&mut self, columns: &[&str]) -> std::io::Result<()>;
    /// One row, cells in column order.
    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()>;
    /// No more rows.
    fn end(&mut self) -> std::io::Result<()>;
}

impl<S: RowSink + ?Sized> RowSink for Box<S> {
    fn begin(&mut self, columns: &[&str]) -> std::io::Result<()> {
        (**self).begin(columns)
    }
    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        (**self).row(cells)
    }
    fn end(&mut self) -> std::io::Result<()> {
        (**self).end()
    }
}

/// Collects rows in memory (for tests and small results such as the TUI's pages).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Collected {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

impl RowSink for Collected {
    fn begin(&mut self, columns: &[&str]) -> std::io::Result<()> {
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        Ok(())
    }
    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        self.rows.push(cells.to_vec());
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Rows held in memory that can be written out whole (an export).
pub trait RowSource {
    /// Writes the columns and every row to `sink`; returns how many rows.
    fn write_to(&self, sink: &mut dyn RowSink) -> std::io::Result<u64>;
}

impl RowSource for Collected {
    fn write_to(&self, sink: &mut dyn RowSink) -> std::io::Result<u64> {
        let columns: Vec<&str> = self.columns.iter().map(String::as_str).collect();
        sink.begin(&columns)?;
        for r in &self.rows {
            sink.row(r)?;
        }
        sink.end()?;
        Ok(self.rows.len() as u64)
    }
}

impl Collected {
    /// The cells of one column, by name.
    pub fn column(&self, name: &str) -> Vec<&Cell> {
        let i = self.columns.iter().position(|c| c == name);
        self.rows
            .iter()
            .filter_map(|r| i.and_then(|i| r.get(i)))
            .collect()
    }
}

/// How report A1 buckets transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bucket {
    /// Local calendar date and hour (the exercise's question).
    #[default]
    DateHour,
    /// Hour of day, across dates.
    HourOfDay,
    /// ISO weekday and hour, across dates.
    WeekdayHour,
}

impl Bucket {
    /// The value the SQL expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::DateHour => "date-hour",
            Bucket::HourOfDay => "hour-of-day",
            Bucket::WeekdayHour => "weekday-hour",
        }
    }
}

/// Report A1: the most popular engagement day and hour of a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementQuery {
    /// The campaign.
    pub campaign_id: i64,
    /// Local days, inclusive, and their zone (also the zone of the buckets).
    pub range: LocalDateRange,
    /// Only transactions of this status (all when `None`).
    pub status: Option<String>,
    /// The bucketing.
    pub by: Bucket,
}

/// Report A2: weekly redeemed rewards against the previous week.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyQuery {
    /// Zone of the ISO weeks.
    pub tz: Tz,
    /// Only this reward name (all when `None`).
    pub reward: Option<String>,
}

/// Report B: sessions of the HTTP log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionsQuery {
    /// Only sessions starting in these local days.
    pub range: Option<LocalDateRange>,
    /// Only this user.
    pub user_id: Option<String>,
    /// Only reward-driven sessions.
    pub driven_only: bool,
}

impl SessionsQuery {
    /// The UTC interval `[from, to)` of `range`, if any.
    pub fn utc_bounds(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.range.map(|r| r.to_utc())
    }
}

/// The SQL file behind each report, for provenance.
pub mod sql_files {
    /// Report A1.
    pub const ENGAGEMENT: &str = "sql/reports/engagement.sql";
    /// Report A2.
    pub const WEEKLY: &str = "sql/reports/weekly.sql";
    /// Report B as DuckDB runs it: the log sorted by user and time (this file, when some
    /// user ids are kept as text) and sessionised in Rust (`core::session::Sessionizer`).
    pub const SESSION_EVENTS: &str = "sql/reports/session_events.sql";
    /// Report B's events when every user id is a plain number.
    pub const SESSION_EVENTS_NUMERIC: &str = "sql/reports/session_events_numeric.sql";
    /// Report B written wholly in SQL (the BigQuery twin's model; what the tests compare
    /// the sessionizer with).
    pub const SESSIONS: &str = "sql/reports/sessions.sql";
    /// Report A1's BigQuery twin.
    pub const BQ_ENGAGEMENT: &str = "sql/bigquery/engagement.sql";
    /// Report A2's BigQuery twin.
    pub const BQ_WEEKLY: &str = "sql/bigquery/weekly.sql";
    /// Report B's BigQuery twin.
    pub const BQ_SESSIONS: &str = "sql/bigquery/sessions.sql";
}
