//! The reports' rows as types: what the store and BigQuery return, what the TUI sorts and
//! draws by field, and what the writers turn into [`Cell`]s through [`ReportRow`].

use chrono::{DateTime, NaiveDate, Utc, Weekday};

use super::{Bucket, Cell, RowSink, RowSource};
use crate::core::session::Session;

/// A report's row: its column names (fixed by the report's shape) and its cells in that
/// order. The one place a row becomes positional, for the CSV/JSON/table writers.
pub trait ReportRow: Clone + std::fmt::Debug + PartialEq + Send {
    /// What decides the columns: the bucketing for engagement, nothing for the others.
    type Shape: Copy;
    /// The column names for `shape`, in order.
    fn columns(shape: Self::Shape) -> &'static [&'static str];
    /// The cells, in column order.
    fn cells(&self) -> Vec<Cell>;
}

/// Receives a report's typed rows one by one, so large results stream.
pub trait ReportSink<R> {
    /// The column names, once, before any row.
    fn begin(&mut self, columns: &[&str]) -> std::io::Result<()>;
    /// One row.
    fn row(&mut self, row: &R) -> std::io::Result<()>;
    /// No more rows.
    fn end(&mut self) -> std::io::Result<()>;
}

/// Every cell writer (CSV, JSON, table, [`super::Collected`]) takes typed rows as cells.
impl<R: ReportRow, S: RowSink + ?Sized> ReportSink<R> for S {
    fn begin(&mut self, columns: &[&str]) -> std::io::Result<()> {
        RowSink::begin(self, columns)
    }
    fn row(&mut self, row: &R) -> std::io::Result<()> {
        RowSink::row(self, &row.cells())
    }
    fn end(&mut self) -> std::io::Result<()> {
        RowSink::end(self)
    }
}

/// A report's rows collected in memory (the TUI, `verify`, tests).
#[derive(Debug, Clone, PartialEq)]
pub struct Rows<R> {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, in the report's order.
    pub rows: Vec<R>,
}

impl<R> Default for Rows<R> {
    fn default() -> Self {
        Rows {
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }
}

impl<R: Clone> ReportSink<R> for Rows<R> {
    fn begin(&mut self, columns: &[&str]) -> std::io::Result<()> {
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        Ok(())
    }
    fn row(&mut self, row: &R) -> std::io::Result<()> {
        self.rows.push(row.clone());
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<R: ReportRow> Rows<R> {
    /// Row-by-row differences from `other` (`names` say which side is which), empty when
    /// both hold the same columns and rows in the same order.
    pub fn differences(&self, other: &Rows<R>, names: (&str, &str)) -> Vec<String> {
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
}

impl<R: ReportRow> RowSource for Rows<R> {
    fn write_to(&self, sink: &mut dyn RowSink) -> std::io::Result<u64> {
        let columns: Vec<&str> = self.columns.iter().map(String::as_str).collect();
        sink.begin(&columns)?;
        for r in &self.rows {
            sink.row(&r.cells())?;
        }
        sink.end()?;
        Ok(self.rows.len() as u64)
    }
}

/// The local time slot an engagement row counts, by bucketing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A local date and hour.
    DateHour {
        /// The date.
        date: NaiveDate,
        /// The hour, 0–23.
        hour: u32,
    },
    /// An hour of the day, across dates.
    HourOfDay {
        /// The hour, 0–23.
        hour: u32,
    },
    /// An ISO weekday and hour, across dates.
    WeekdayHour {
        /// The weekday.
        weekday: Weekday,
        /// The hour, 0–23.
        hour: u32,
    },
}

impl Slot {
    /// The slot of a report row as its SQL gives it (date, ISO weekday 1–7, hour); `None`
    /// when the values the bucketing needs are missing or out of range.
    pub fn new(
        by: Bucket,
        date: Option<NaiveDate>,
        weekday: Option<i64>,
        hour: i64,
    ) -> Option<Slot> {
        let hour = u32::try_from(hour).ok().filter(|h| *h < 24)?;
        Some(match by {
            Bucket::DateHour => Slot::DateHour { date: date?, hour },
            Bucket::HourOfDay => Slot::HourOfDay { hour },
            Bucket::WeekdayHour => {
                let iso = u8::try_from(weekday?)
                    .ok()
                    .filter(|d| (1..=7).contains(d))?;
                Slot::WeekdayHour {
                    weekday: Weekday::try_from(iso - 1).ok()?,
                    hour,
                }
            }
        })
    }

    /// The hour, 0–23.
    pub fn hour(self) -> u32 {
        match self {
            Slot::DateHour { hour, .. }
            | Slot::HourOfDay { hour }
            | Slot::WeekdayHour { hour, .. } => hour,
        }
    }

    /// The date, for the date-and-hour bucketing.
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Slot::DateHour { date, .. } => Some(date),
            _ => None,
        }
    }

    /// The hour as the report writes it (`08:00`).
    pub fn time_text(self) -> String {
        format!("{:02}:00", self.hour())
    }
}

/// A row of report A1: a time slot and how many transactions it had.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementRow {
    /// 1 for the busiest slot(s); ties share a rank.
    pub rank: i64,
    /// Transactions in the slot.
    pub transactions: i64,
    /// The slot.
    pub slot: Slot,
}

impl ReportRow for EngagementRow {
    type Shape = Bucket;

    fn columns(by: Bucket) -> &'static [&'static str] {
        match by {
            Bucket::DateHour => &["rank", "no_of_transactions", "date", "time"],
            Bucket::HourOfDay => &["rank", "no_of_transactions", "time"],
            Bucket::WeekdayHour => &["rank", "no_of_transactions", "weekday", "time"],
        }
    }

    fn cells(&self) -> Vec<Cell> {
        let mut cells = vec![Cell::Int(self.rank), Cell::Int(self.transactions)];
        match self.slot {
            Slot::DateHour { date, .. } => cells.push(Cell::Date(date)),
            Slot::HourOfDay { .. } => {}
            Slot::WeekdayHour { weekday, .. } => cells.push(Cell::Text(weekday.to_string())),
        }
        cells.push(Cell::Text(self.slot.time_text()));
        cells
    }
}

/// A row of report A2: one reward's redemptions in one ISO week.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyRow {
    /// The reward's name.
    pub reward_name: String,
    /// Redemptions that week.
    pub redeemed: i64,
    /// Change against the previous week, in percent (`None` with no previous week).
    pub pct_diff_prev_week: Option<f64>,
    /// The local Monday of the week.
    pub week_start: NaiveDate,
    /// `2019-W35`.
    pub iso_week: String,
    /// The reward campaign's id.
    pub reward_campaign_id: i64,
}

impl ReportRow for WeeklyRow {
    type Shape = ();

    fn columns((): ()) -> &'static [&'static str] {
        &[
            "reward_name",
            "reward_redeemed_count",
            "pct_diff_prev_week",
            "week_start",
            "iso_week",
            "reward_campaign_id",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Text(self.reward_name.clone()),
            Cell::Int(self.redeemed),
            self.pct_diff_prev_week.map_or(Cell::Null, Cell::Float),
            Cell::Date(self.week_start),
            Cell::Text(self.iso_week.clone()),
            Cell::Int(self.reward_campaign_id),
        ]
    }
}

/// A row of report B: one session of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    /// The user id as written in the log.
    pub user_id: String,
    /// First request (UTC).
    pub start: DateTime<Utc>,
    /// Last request (UTC).
    pub end: DateTime<Utc>,
    /// Campaigns viewed, in first-view order.
    pub campaigns: Vec<i64>,
    /// Rewards issued, in first-issue order.
    pub rewards: Vec<i64>,
    /// Whether a reward followed a view of a campaign that contains it.
    pub driven: bool,
    /// Requests in the session.
    pub event_count: i64,
    /// Seconds from the first request to the last.
    pub duration_s: f64,
    /// The campaigns whose views drove a reward.
    pub driving_campaigns: Vec<i64>,
}

impl SessionRow {
    /// The row of a sessionised [`Session`]; `None` when its times are not instants (the
    /// store only holds instants of years 1900–2200, so only a bug gives `None`).
    pub fn from_session(s: Session) -> Option<SessionRow> {
        Some(SessionRow {
            start: crate::core::timestamp::from_micros(s.start_micros)?,
            end: crate::core::timestamp::from_micros(s.end_micros)?,
            duration_s: (s.end_micros as f64 - s.start_micros as f64) / 1e6,
            user_id: s.user_id,
            campaigns: s.campaigns,
            rewards: s.rewards,
            driven: s.driven,
            event_count: i64::try_from(s.events).unwrap_or(i64::MAX),
            driving_campaigns: s.driving_campaigns,
        })
    }
}

impl ReportRow for SessionRow {
    type Shape = ();

    /// The six columns the exercise names first.
    fn columns((): ()) -> &'static [&'static str] {
        &[
            "user_id",
            "session_start",
            "session_end",
            "campaigns",
            "rewards_issued",
            "reward_driven_by_campaign_view",
            "event_count",
            "duration_s",
            "driving_campaigns",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Text(self.user_id.clone()),
            Cell::Timestamp(self.start),
            Cell::Timestamp(self.end),
            Cell::IdList(self.campaigns.clone()),
            Cell::IdList(self.rewards.clone()),
            Cell::Bool(self.driven),
            Cell::Int(self.event_count),
            Cell::Float(self.duration_s),
            Cell::IdList(self.driving_campaigns.clone()),
        ]
    }
}

/// Parses the `[1,2]` id lists the sessions SQL builds; `None` when it is not one.
pub fn parse_id_list(s: &str) -> Option<Vec<i64>> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    inner
        .split(',')
        .filter(|x| !x.trim().is_empty())
        .map(|x| x.trim().parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_shape_has_as_many_cells_as_columns(row: &impl ReportRow, columns: &[&str]) {
        assert_eq!(row.cells().len(), columns.len(), "{row:?}");
    }

    #[test]
    fn cells_match_columns() {
        let d = NaiveDate::from_ymd_opt(2019, 8, 27).unwrap();
        for by in [Bucket::DateHour, Bucket::HourOfDay, Bucket::WeekdayHour] {
            let slot = Slot::new(by, Some(d), Some(2), 8).unwrap();
            let row = EngagementRow {
                rank: 1,
                transactions: 3,
                slot,
            };
            every_shape_has_as_many_cells_as_columns(&row, EngagementRow::columns(by));
            assert_eq!(row.cells().last(), Some(&Cell::Text("08:00".into())));
        }
        let w = Slot::new(Bucket::WeekdayHour, None, Some(2), 8).unwrap();
        assert_eq!(
            w,
            Slot::WeekdayHour {
                weekday: Weekday::Tue,
                hour: 8
            }
        );
        let s = SessionRow::from_session(Session {
            user_id: "7".into(),
            start_micros: 0,
            end_micros: 1_500_000,
            campaigns: vec![1],
            rewards: vec![],
            driven: false,
            events: 2,
            driving_campaigns: vec![],
        })
        .unwrap();
        assert_eq!(s.duration_s, 1.5);
        every_shape_has_as_many_cells_as_columns(&s, SessionRow::columns(()));
    }

    #[test]
    fn slots_refuse_what_the_bucketing_lacks() {
        assert_eq!(Slot::new(Bucket::DateHour, None, None, 3), None);
        assert_eq!(Slot::new(Bucket::WeekdayHour, None, Some(0), 3), None);
        assert_eq!(Slot::new(Bucket::WeekdayHour, None, Some(8), 3), None);
        assert_eq!(Slot::new(Bucket::HourOfDay, None, None, 24), None);
        assert_eq!(Slot::new(Bucket::HourOfDay, None, None, -1), None);
    }

    #[test]
    fn id_lists_parse_or_refuse() {
        assert_eq!(parse_id_list("[]"), Some(vec![]));
        assert_eq!(parse_id_list("[11,3602]"), Some(vec![11, 3602]));
        assert_eq!(parse_id_list("[1, 2]"), Some(vec![1, 2]));
        assert_eq!(parse_id_list("[1,x]"), None);
        assert_eq!(parse_id_list("1,2"), None);
    }

    #[test]
    fn differences_name_each_differing_row() {
        let row = |rank| EngagementRow {
            rank,
            transactions: 1,
            slot: Slot::HourOfDay { hour: 1 },
        };
        let a = Rows {
            columns: vec!["rank".into()],
            rows: vec![row(1), row(2)],
        };
        let mut b = a.clone();
        assert!(a.differences(&b, ("DuckDB", "BigQuery")).is_empty());
        b.rows[1] = row(3);
        b.rows.push(row(4));
        let d = a.differences(&b, ("DuckDB", "BigQuery"));
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(
            d[0].starts_with("row 2: DuckDB Some(EngagementRow { rank: 2"),
            "{d:?}"
        );
        assert!(
            d[1].starts_with("row 3: DuckDB None / BigQuery Some("),
            "{d:?}"
        );
    }
}
