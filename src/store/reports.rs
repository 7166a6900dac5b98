//! Running the reports' SQL (`sql/reports/`) with bound parameters, streaming rows to a
//! [`RowSink`].

use chrono::{DateTime, NaiveDate, Utc};
use duckdb::params;

use super::{SqlContext, Store, StoreError};
use crate::report::{Bucket, Cell, EngagementQuery, RowSink, SessionsQuery, WeeklyQuery};

/// Errors of running a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The campaign id is not in `campaign`.
    #[error("campaign {id} is not in the campaign table; known campaign ids: {known}")]
    UnknownCampaign {
        /// The id asked for.
        id: i64,
        /// The ids that exist, for the message.
        known: String,
    },
    /// The reward name is not in `reward_campaign`.
    #[error("no reward is named {name:?}; known rewards: {known}")]
    UnknownReward {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed.
    #[error("writing the report")]
    Output(#[from] std::io::Error),
}

fn naive(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

fn micros(us: i64) -> Cell {
    DateTime::from_timestamp_micros(us).map_or(Cell::Null, Cell::Timestamp)
}

/// Parses the `[1,2]` lists the sessions SQL builds.
fn id_list(s: &str) -> Cell {
    let inner = s.trim_start_matches('[').trim_end_matches(']');
    Cell::IdList(
        inner
            .split(',')
            .filter(|x| !x.is_empty())
            .filter_map(|x| x.parse().ok())
            .collect(),
    )
}

impl Store {
    /// The campaign ids in the database, ascending.
    pub fn campaign_ids(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/reports/campaigns.sql"))
            .ctx("listing campaigns")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("listing campaigns")?;
        rows.collect::<Result<_, _>>().ctx("listing campaigns")
    }

    /// The reward names in the database, ascending.
    pub fn reward_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/reports/reward_names.sql"))
            .ctx("listing rewards")?;
        let rows = stmt.query_map([], |r| r.get(0)).ctx("listing rewards")?;
        rows.collect::<Result<_, _>>().ctx("listing rewards")
    }

    /// The hand-written baseline `perx bench sessions` compares the sessions report with
    /// (`sql/bench/plain_sessions.sql`), writing CSV to `out`.
    pub fn plain_sessions_baseline(&self, out: &std::path::Path) -> Result<(), StoreError> {
        let path = out.display().to_string().replace('\'', "''");
        let sql = include_str!("../../sql/bench/plain_sessions.sql").replace("{out}", &path);
        self.conn()
            .execute_batch(&sql)
            .ctx("running the plain sessions query")
    }

    /// Report A1. Returns the number of rows written.
    pub fn engagement(
        &self,
        q: &EngagementQuery,
        sink: &mut dyn RowSink,
    ) -> Result<u64, ReportError> {
        let campaigns = self.campaign_ids()?;
        if !campaigns.iter().any(|(id, _)| *id == q.campaign_id) {
            let known: Vec<String> = campaigns.iter().map(|(id, _)| id.to_string()).collect();
            return Err(ReportError::UnknownCampaign {
                id: q.campaign_id,
                known: if known.is_empty() {
                    "none (load data first: perx load)".into()
                } else {
                    known.join(", ")
                },
            });
        }
        let (from, to) = q.range.to_utc();
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/reports/engagement.sql"))
            .ctx("preparing the engagement report")?;
        let mut rows = stmt
            .query(params![
                q.campaign_id,
                naive(from),
                naive(to),
                q.range.tz().name(),
                q.status,
                q.by.as_str()
            ])
            .ctx("running the engagement report")?;
        let columns: &[&str] = match q.by {
            Bucket::DateHour => &["rank", "no_of_transactions", "date", "time"],
            Bucket::HourOfDay => &["rank", "no_of_transactions", "time"],
            Bucket::WeekdayHour => &["rank", "no_of_transactions", "weekday", "time"],
        };
        sink.begin(columns)?;
        let mut n = 0;
        while let Some(r) = rows.next().ctx("reading the engagement report")? {
            let rank: i64 = r.get(0).ctx("rank")?;
            let count: i64 = r.get(1).ctx("count")?;
            let date: Option<NaiveDate> = r.get(2).ctx("date")?;
            let weekday: Option<i64> = r.get(3).ctx("weekday")?;
            let hour: i64 = r.get(4).ctx("hour")?;
            let time = Cell::Text(format!("{hour:02}:00"));
            let mut cells = vec![Cell::Int(rank), Cell::Int(count)];
            match q.by {
                Bucket::DateHour => cells.push(date.map_or(Cell::Null, Cell::Date)),
                Bucket::HourOfDay => {}
                Bucket::WeekdayHour => cells.push(Cell::Text(weekday_name(weekday))),
            }
            cells.push(time);
            sink.row(&cells)?;
            n += 1;
        }
        sink.end()?;
        Ok(n)
    }

    /// Report A2. Returns the number of rows written.
    pub fn weekly(&self, q: &WeeklyQuery, sink: &mut dyn RowSink) -> Result<u64, ReportError> {
        if let Some(name) = &q.reward {
            let names = self.reward_names()?;
            if !names.contains(name) {
                return Err(ReportError::UnknownReward {
                    name: name.clone(),
                    known: names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/reports/weekly.sql"))
            .ctx("preparing the weekly report")?;
        let mut rows = stmt
            .query(params![q.tz.name(), q.reward])
            .ctx("running the weekly report")?;
        sink.begin(&[
            "reward_name",
            "reward_redeemed_count",
            "pct_diff_prev_week",
            "week_start",
            "iso_week",
            "reward_campaign_id",
        ])?;
        let mut n = 0;
        while let Some(r) = rows.next().ctx("reading the weekly report")? {
            let pct: Option<f64> = r.get(2).ctx("pct_diff_prev_week")?;
            let week: NaiveDate = r.get(3).ctx("week_start")?;
            sink.row(&[
                Cell::Text(r.get(0).ctx("reward_name")?),
                Cell::Int(r.get(1).ctx("count")?),
                pct.map_or(Cell::Null, Cell::Float),
                Cell::Date(week),
                Cell::Text(r.get(4).ctx("iso_week")?),
                Cell::Int(r.get(5).ctx("reward_campaign_id")?),
            ])?;
            n += 1;
        }
        sink.end()?;
        Ok(n)
    }

    /// Report B. Streams every session; returns the number written.
    pub fn sessions(&self, q: &SessionsQuery, sink: &mut dyn RowSink) -> Result<u64, ReportError> {
        let (from, to) = match &q.range {
            Some(r) => {
                let (a, b) = r.to_utc();
                (Some(naive(a)), Some(naive(b)))
            }
            None => (None, None),
        };
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/reports/sessions.sql"))
            .ctx("preparing the sessions report")?;
        let mut rows = stmt
            .query(params![from, to, q.user_id, q.driven_only])
            .ctx("running the sessions report")?;
        sink.begin(&[
            "user_id",
            "session_start",
            "session_end",
            "campaigns",
            "rewards_issued",
            "reward_driven_by_campaign_view",
            "event_count",
            "duration_s",
            "driving_campaigns",
        ])?;
        let mut n = 0;
        while let Some(r) = rows.next().ctx("reading the sessions report")? {
            let start: i64 = r.get(1).ctx("session_start")?;
            let end: i64 = r.get(2).ctx("session_end")?;
            let campaigns: String = r.get(3).ctx("campaigns")?;
            let rewards: String = r.get(4).ctx("rewards_issued")?;
            let driving: String = r.get(7).ctx("driving_campaigns")?;
            sink.row(&[
                Cell::Text(r.get(0).ctx("user_id")?),
                micros(start),
                micros(end),
                id_list(&campaigns),
                id_list(&rewards),
                Cell::Bool(r.get(5).ctx("driven")?),
                Cell::Int(r.get(6).ctx("event_count")?),
                Cell::Float((end - start) as f64 / 1e6),
                id_list(&driving),
            ])?;
            n += 1;
        }
        sink.end()?;
        Ok(n)
    }
}

fn weekday_name(iso: Option<i64>) -> String {
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
    .to_owned()
}
