//! The TUI's session browser: the sessions report materialised once into
//! `ui_session_cache` (with a rank column per sort order), then read a page at a time by
//! key with filters, so the screen never holds more than a page whatever the size of the
//! log, and no page needs a full sort or a deep OFFSET.

use chrono::{DateTime, NaiveDateTime, Utc};
use duckdb::params;

use super::reports::ReportError;
use super::{SqlContext, Store, StoreError};
use crate::report::output::cell_text;
use crate::report::{Cell, RowSink, SessionsQuery};

/// What the browser filters on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// Only this user id (as written).
    pub user_id: Option<String>,
    /// Only sessions that viewed this campaign.
    pub campaign_id: Option<i64>,
    /// Only sessions that issued this reward.
    pub reward_id: Option<i64>,
    /// Only reward-driven sessions.
    pub driven_only: bool,
}

/// The browser's sort orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SessionSort {
    /// The report's order: user, then start.
    #[default]
    Report,
    /// Earliest start first.
    Start,
    /// Most requests first.
    Events,
    /// Longest first.
    Duration,
}

impl SessionSort {
    /// The next order (the `s` key cycles through them).
    pub fn next(self) -> SessionSort {
        match self {
            SessionSort::Report => SessionSort::Start,
            SessionSort::Start => SessionSort::Events,
            SessionSort::Events => SessionSort::Duration,
            SessionSort::Duration => SessionSort::Report,
        }
    }

    /// How it reads.
    pub fn label(self) -> &'static str {
        match self {
            SessionSort::Report => "user, start",
            SessionSort::Start => "start",
            SessionSort::Events => "most requests",
            SessionSort::Duration => "longest",
        }
    }

    /// The rank column of `ui_session_cache` that orders this sort (the only identifier
    /// put into the page SQL, always one of these four).
    fn column(self) -> &'static str {
        match self {
            SessionSort::Report => "n",
            SessionSort::Start => "r_start",
            SessionSort::Events => "r_events",
            SessionSort::Duration => "r_duration",
        }
    }
}

/// One session as the browser shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    /// Position in the report's order.
    pub n: i64,
    /// The user id as written.
    pub user_id: String,
    /// First request (UTC).
    pub start: DateTime<Utc>,
    /// Last request (UTC).
    pub end: DateTime<Utc>,
    /// Campaigns viewed, `[..]`.
    pub campaigns: String,
    /// Rewards issued, `[..]`.
    pub rewards: String,
    /// Reward-driven by a campaign view.
    pub driven: bool,
    /// Requests.
    pub events: i64,
    /// Seconds from first to last request.
    pub duration_s: f64,
    /// Its key in the current sort order (what the next page starts after).
    pub key: i64,
    /// The campaigns whose views drove a reward, `[..]`.
    pub driving_campaigns: String,
}

/// One request of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEvent {
    /// When (UTC).
    pub ts: DateTime<Utc>,
    /// `GET` or `POST`.
    pub method: String,
    /// The path.
    pub path: String,
}

/// Appends sessions to the cache in batches, on its own connection.
struct CacheSink {
    conn: duckdb::Connection,
    batch: Vec<Vec<Cell>>,
    n: i64,
}

impl CacheSink {
    /// Appends the batch as one Arrow record batch (far faster than row by row).
    fn flush(&mut self) -> std::io::Result<()> {
        use std::sync::Arc;

        use duckdb::arrow::array::{
            ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray,
            TimestampMicrosecondArray,
        };
        use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
        use duckdb::arrow::record_batch::RecordBatch;

        if self.batch.is_empty() {
            return Ok(());
        }
        let io = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
        let rows = std::mem::take(&mut self.batch);
        // Text and `[..]` id lists as the report writes them; the filter keys as ",3,11,".
        let text = |row: &[Cell], i: usize| row.get(i).map(cell_text).unwrap_or_default();
        let key = |row: &[Cell], i: usize| match row.get(i) {
            Some(Cell::IdList(ids)) => {
                let v: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!(",{},", v.join(","))
            }
            _ => ",,".to_owned(),
        };
        let micros = |row: &[Cell], i: usize| match row.get(i) {
            Some(Cell::Timestamp(t)) => t.timestamp_micros(),
            _ => 0,
        };
        let first = self.n + 1;
        self.n += rows.len() as i64;
        let strings = |f: &dyn Fn(&[Cell]) -> String| -> ArrayRef {
            Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
        };
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(first..=self.n)),
            strings(&|r| text(r, 0)),
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                rows.iter().map(|r| micros(r, 1)),
            )),
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                rows.iter().map(|r| micros(r, 2)),
            )),
            strings(&|r| text(r, 3)),
            strings(&|r| text(r, 4)),
            Arc::new(
                rows.iter()
                    .map(|r| Some(matches!(r.get(5), Some(Cell::Bool(true)))))
                    .collect::<BooleanArray>(),
            ),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(
                |r| match r.get(6) {
                    Some(Cell::Int(v)) => *v,
                    _ => 0,
                },
            ))),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(
                |r| match r.get(7) {
                    Some(Cell::Float(v)) => *v,
                    _ => 0.0,
                },
            ))),
            strings(&|r| text(r, 8)),
            strings(&|r| key(r, 3)),
            strings(&|r| key(r, 4)),
        ];
        let ts = DataType::Timestamp(TimeUnit::Microsecond, None);
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("user_id", DataType::Utf8, false),
            Field::new("session_start", ts.clone(), false),
            Field::new("session_end", ts, false),
            Field::new("campaigns", DataType::Utf8, false),
            Field::new("rewards_issued", DataType::Utf8, false),
            Field::new("reward_driven", DataType::Boolean, false),
            Field::new("event_count", DataType::Int64, false),
            Field::new("duration_s", DataType::Float64, false),
            Field::new("driving_campaigns", DataType::Utf8, false),
            Field::new("campaigns_key", DataType::Utf8, false),
            Field::new("rewards_key", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(schema, cols).map_err(|e| io(&e))?;
        let mut app = self.conn.appender("ui_session_raw").map_err(|e| io(&e))?;
        app.append_record_batch(batch).map_err(|e| io(&e))?;
        app.flush().map_err(|e| io(&e))
    }
}

impl RowSink for CacheSink {
    fn begin(&mut self, _columns: &[&str]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        self.batch.push(cells.to_vec());
        if self.batch.len() >= 50_000 {
            self.flush()?;
        }
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        self.flush()
    }
}

impl Store {
    /// Materialises the sessions report into `ui_session_cache`; returns the sessions.
    pub fn build_session_cache(&self) -> Result<u64, ReportError> {
        self.conn()
            .execute_batch(include_str!("../../sql/ui/session_cache_create.sql"))
            .ctx("creating the session cache")?;
        let conn = self.conn().try_clone().ctx("opening a second connection")?;
        let mut sink = CacheSink {
            conn,
            batch: Vec::new(),
            n: 0,
        };
        let n = self.sessions(&SessionsQuery::default(), &mut sink)?;
        self.conn()
            .execute_batch(include_str!("../../sql/ui/session_cache_rank.sql"))
            .ctx("ranking the session cache")?;
        Ok(n)
    }

    /// Up to `limit` sessions matching `f` in `sort` order, after `key` (or, with
    /// `before`, the ones just before it, returned in order too).
    pub fn session_page(
        &self,
        f: &SessionFilter,
        sort: SessionSort,
        key: i64,
        before: bool,
        limit: u64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let sql = if before {
            include_str!("../../sql/ui/session_page_before.sql")
        } else {
            include_str!("../../sql/ui/session_page.sql")
        }
        .replace("{key}", sort.column());
        let mut stmt = self
            .conn()
            .prepare(&sql)
            .ctx("preparing a page of sessions")?;
        let mut rows = stmt
            .query(params![
                f.user_id,
                f.campaign_id,
                f.reward_id,
                f.driven_only,
                key,
                limit as i64
            ])
            .ctx("reading a page of sessions")?;
        let mut page = Vec::new();
        while let Some(r) = rows.next().ctx("reading a page of sessions")? {
            let start: NaiveDateTime = r.get(2).ctx("session_start")?;
            let end: NaiveDateTime = r.get(3).ctx("session_end")?;
            page.push(SessionRow {
                n: r.get(0).ctx("n")?,
                user_id: r.get(1).ctx("user_id")?,
                start: start.and_utc(),
                end: end.and_utc(),
                campaigns: r.get(4).ctx("campaigns")?,
                rewards: r.get(5).ctx("rewards")?,
                driven: r.get(6).ctx("driven")?,
                events: r.get(7).ctx("event_count")?,
                duration_s: r.get(8).ctx("duration_s")?,
                driving_campaigns: r.get(9).ctx("driving_campaigns")?,
                key: r.get(10).ctx("key")?,
            });
        }
        if before {
            page.reverse();
        }
        Ok(page)
    }

    /// How many sessions match `f`.
    pub fn session_count(&self, f: &SessionFilter) -> Result<u64, StoreError> {
        let all: i64 = self
            .conn()
            .query_row(
                include_str!("../../sql/ui/session_count.sql"),
                params![f.user_id, f.campaign_id, f.reward_id, f.driven_only],
                |r| r.get(0),
            )
            .ctx("counting sessions")?;
        Ok(all.max(0) as u64)
    }

    /// The requests of one session.
    pub fn session_events(&self, s: &SessionRow) -> Result<Vec<SessionEvent>, StoreError> {
        super::query_all(
            self.conn(),
            include_str!("../../sql/ui/session_events.sql"),
            params![s.user_id, s.start.naive_utc(), s.end.naive_utc()],
            "reading a session's requests",
            |r| {
                let ts: NaiveDateTime = r.get(0)?;
                Ok(SessionEvent {
                    ts: ts.and_utc(),
                    method: r.get(1)?,
                    path: r.get(2)?,
                })
            },
        )
    }
}
