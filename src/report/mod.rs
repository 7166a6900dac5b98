//! Report definitions shared by the CLI and the TUI: what each report takes, which columns
//! it gives, and the typed cells its rows are made of. Running them is the store's job
//! ([`crate::store::reports`]); writing them out is [`output`]'s.

pub mod output;

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

impl Collected {
    /// Row-by-row differences from `other` (`names` say which side is which), empty when
    /// both hold the same columns and rows in the same order.
    pub fn differences(&self, other: &Collected, names: (&str, &str)) -> Vec<String> {
        let (a, b) = names;
        let mut out = Vec::new();
        if self.columns != other.columns {
            out.push(format!("columns {:?} vs {:?}", self.columns, other.columns));
        }
        for i in 0..self.rows.len().max(other.rows.len()) {
            match (self.rows.get(i), other.rows.get(i)) {
                (Some(x), Some(y)) if x == y => {}
                (x, y) => out.push(format!("row {}: {a} {x:?} / {b} {y:?}", i + 1)),
            }
        }
        out
    }

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
    /// Report B.
    pub const SESSIONS: &str = "sql/reports/sessions.sql";
    /// Report A1's BigQuery twin.
    pub const BQ_ENGAGEMENT: &str = "sql/bigquery/engagement.sql";
    /// Report A2's BigQuery twin.
    pub const BQ_WEEKLY: &str = "sql/bigquery/weekly.sql";
    /// Report B's BigQuery twin.
    pub const BQ_SESSIONS: &str = "sql/bigquery/sessions.sql";
}

/// The English short name of an ISO weekday (1 = Monday … 7 = Sunday); `?` otherwise.
pub fn weekday_name(iso: Option<i64>) -> &'static str {
    match iso {
        Some(1) => "Mon",
        Some(2) => "Tue",
        Some(3) => "Wed",
        Some(4) => "Thu",
        Some(5) => "Fri",
        Some(6) => "Sat",
        Some(7) => "Sun",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_differing_row() {
        let mut a = Collected::default();
        a.begin(&["n"]).unwrap();
        a.row(&[Cell::Int(1)]).unwrap();
        a.row(&[Cell::Int(2)]).unwrap();
        let mut b = a.clone();
        assert!(a.differences(&b, ("DuckDB", "BigQuery")).is_empty());
        b.rows[1] = vec![Cell::Int(3)];
        b.rows.push(vec![Cell::Int(4)]);
        assert_eq!(
            a.differences(&b, ("DuckDB", "BigQuery")),
            [
                "row 2: DuckDB Some([Int(2)]) / BigQuery Some([Int(3)])",
                "row 3: DuckDB None / BigQuery Some([Int(4)])"
            ]
        );
    }

    #[test]
    fn weekdays_are_iso_numbered() {
        assert_eq!(weekday_name(Some(1)), "Mon");
        assert_eq!(weekday_name(Some(7)), "Sun");
        assert_eq!(weekday_name(Some(0)), "?");
        assert_eq!(weekday_name(None), "?");
    }
}
