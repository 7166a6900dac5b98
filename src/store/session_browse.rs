//! The TUI's session browser: the sessions report materialised once into
//! `ui_session_cache` (in report order; a copy per other sort order, made when first
//! asked for), then read a page at a time by key with filters, so the screen never holds
//! more than a page whatever the size of the log, and no page needs a full sort or a deep
//! OFFSET.

use chrono::{DateTime, Utc};
use duckdb::params;

use super::reports::ReportError;
use super::{SqlContext, Store, StoreError};
use crate::progress::{Progress, Unit};
use crate::report::output::id_list;
use crate::report::rows::parse_id_list;
use crate::report::{ReportRow, ReportSink, SessionRow, SessionsQuery};

/// The layout of `ui_session_cache` and its sorted copies; raise it when they change.
const CACHE_LAYOUT: u32 = 2;

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
    /// Only sessions that start in `[from, to)` (UTC).
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl SessionFilter {
    /// Whether anything is filtered.
    pub fn is_empty(&self) -> bool {
        *self == SessionFilter::default()
    }

    /// The filter as SQL parameters $1..$6 of `sql/ui/session_*.sql`.
    fn params(&self) -> [duckdb::types::Value; 6] {
        use duckdb::types::{TimeUnit, Value};
        let at = |t: DateTime<Utc>| Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros());
        let (from, to) = match self.span {
            Some((f, t)) => (at(f), at(t)),
            None => (Value::Null, Value::Null),
        };
        [
            self.user_id.clone().map_or(Value::Null, Value::Text),
            self.campaign_id.map_or(Value::Null, Value::BigInt),
            self.reward_id.map_or(Value::Null, Value::BigInt),
            Value::Boolean(self.driven_only),
            from,
            to,
        ]
    }
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

    /// The table holding the cache in this order: `ui_session_cache` itself for the
    /// report's order, a copy made by [`Store::prepare_session_sort`] for the others.
    fn table(self) -> &'static str {
        match self {
            SessionSort::Report => "ui_session_cache",
            SessionSort::Start => "ui_session_by_start",
            SessionSort::Events => "ui_session_by_events",
            SessionSort::Duration => "ui_session_by_duration",
        }
    }

    /// What this sort orders sessions by (ties by report position).
    fn order(self) -> &'static str {
        match self {
            SessionSort::Report => "n",
            SessionSort::Start => "session_start, n",
            SessionSort::Events => "event_count DESC, n",
            SessionSort::Duration => "duration_s DESC, n",
        }
    }

    /// The key column pages are read by: the report position `n`, or the rank `k` of the
    /// sorted copies.
    fn key(self) -> &'static str {
        match self {
            SessionSort::Report => "n",
            _ => "k",
        }
    }

    /// The SQL of `sql/ui/` with this sort's `{table}`, `{key}` and `{order}`, and the
    /// filter of `sql/ui/session_filter.sql` as `{filter}` (the only text ever put into
    /// SQL, always from these fixed lists and files).
    fn sql(self, text: &str) -> String {
        self.sql_for(text, &SessionFilter::default())
    }

    /// As [`SessionSort::sql`] for a query filtered by `f`. One user's sessions are read
    /// from `ui_session_cache` and ranked on the fly: they are few, and the cache is in
    /// user order, so the scan skips every row group but theirs.
    fn sql_for(self, text: &str, f: &SessionFilter) -> String {
        let table = match (self, f.user_id.is_some()) {
            (SessionSort::Report, _) | (_, false) => self.table().to_owned(),
            (_, true) => format!(
                "(SELECT *, row_number() OVER (ORDER BY {}) AS k FROM ui_session_cache \
                 WHERE user_id = $1)",
                self.order()
            ),
        };
        text.replace("{table}", &table)
            .replace("{key}", self.key())
            .replace("{order}", self.order())
            .replace("{filter}", include_str!("../../sql/ui/session_filter.sql"))
    }
}

/// One session as the browser pages it: the report's row and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowsedSession {
    /// Position in the report's order.
    pub n: i64,
    /// Its key in the current sort order (what the next page starts after).
    pub key: i64,
    /// The session.
    pub session: SessionRow,
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
    /// A reward issue (else a campaign view).
    pub reward: bool,
    /// The reward or campaign id.
    pub item_id: i64,
}

/// Appends sessions to the cache in batches, on its own connection.
struct CacheSink<'a> {
    conn: duckdb::Connection,
    batch: Vec<SessionRow>,
    n: i64,
    progress: &'a dyn Progress,
}

impl CacheSink<'_> {
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
        // Id lists as the report writes them (`[3,11]`); the filter keys as `,3,11,`.
        let key = |ids: &[i64]| {
            let v: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(",{},", v.join(","))
        };
        let first = self.n + 1;
        self.n += rows.len() as i64;
        let strings = |f: &dyn Fn(&SessionRow) -> String| -> ArrayRef {
            Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
        };
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(first..=self.n)),
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.user_id.as_str()))
                    .collect::<StringArray>(),
            ),
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                rows.iter().map(|r| r.start.timestamp_micros()),
            )),
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                rows.iter().map(|r| r.end.timestamp_micros()),
            )),
            strings(&|r| id_list(&r.campaigns)),
            strings(&|r| id_list(&r.rewards)),
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.driven))
                    .collect::<BooleanArray>(),
            ),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.event_count),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| r.duration_s),
            )),
            strings(&|r| id_list(&r.driving_campaigns)),
            strings(&|r| key(&r.campaigns)),
            strings(&|r| key(&r.rewards)),
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
        let mut app = self.conn.appender("ui_session_cache").map_err(|e| io(&e))?;
        app.append_record_batch(batch).map_err(|e| io(&e))?;
        app.flush().map_err(|e| io(&e))?;
        self.progress.advance(rows.len() as u64);
        Ok(())
    }
}

impl ReportSink<SessionRow> for CacheSink<'_> {
    fn begin(&mut self, _columns: &[&str]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, row: &SessionRow) -> std::io::Result<()> {
        self.batch.push(row.clone());
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
    /// The cache stays in the database, marked with what it was built from, so a later
    /// run reuses it ([`Store::session_cache_fresh`]) until the platform data are reloaded.
    pub fn build_session_cache(&self, progress: &dyn Progress) -> Result<u64, ReportError> {
        let fingerprint = self.session_fingerprint()?;
        self.conn()
            .execute_batch(include_str!("../../sql/ui/session_cache_create.sql"))
            .ctx("creating the session cache")?;
        let conn = self.conn().try_clone().ctx("opening a second connection")?;
        let mut sink = CacheSink {
            conn,
            batch: Vec::new(),
            n: 0,
            progress,
        };
        progress.start("sessions", None, Unit::Rows);
        let n = self.sessions(&SessionsQuery::default(), &mut sink)?;
        self.conn()
            .execute(
                include_str!("../../sql/ui/session_cache_mark.sql"),
                [fingerprint],
            )
            .ctx("marking the session cache complete")?;
        progress.finish();
        Ok(n)
    }

    /// Whether `ui_session_cache` is complete and built from the data loaded now.
    pub fn session_cache_fresh(&self) -> Result<bool, StoreError> {
        let tables: i64 = self
            .conn()
            .query_row(
                include_str!("../../sql/ui/session_cache_tables.sql"),
                [],
                |r| r.get(0),
            )
            .ctx("looking for the session cache")?;
        if tables < 2 {
            return Ok(false);
        }
        let built_from: String = self
            .conn()
            .query_row(
                include_str!("../../sql/ui/session_cache_built_from.sql"),
                [],
                |r| r.get(0),
            )
            .ctx("reading the session cache's mark")?;
        Ok(built_from == self.session_fingerprint()?)
    }

    /// Whether pages in `sort` order can be read (its copy of the cache exists).
    pub fn session_sort_ready(&self, sort: SessionSort) -> Result<bool, StoreError> {
        if sort == SessionSort::Report {
            return Ok(true);
        }
        let n: i64 = self
            .conn()
            .query_row(
                include_str!("../../sql/ui/session_sort_ready.sql"),
                [sort.table()],
                |r| r.get(0),
            )
            .ctx("looking for a sorted copy of the session cache")?;
        Ok(n > 0)
    }

    /// Stores the cache in `sort` order (a few seconds on millions of sessions, once per
    /// load and order).
    pub fn prepare_session_sort(&self, sort: SessionSort) -> Result<(), StoreError> {
        if sort == SessionSort::Report {
            return Ok(());
        }
        self.conn()
            .execute_batch(&sort.sql(include_str!("../../sql/ui/session_sort_table.sql")))
            .ctx("sorting the session cache")
    }

    /// The cache's layout version and the loads it is built from: a cache written by a
    /// perx with another layout, or before a reload, is rebuilt.
    fn session_fingerprint(&self) -> Result<String, StoreError> {
        Ok(format!("cache v{CACHE_LAYOUT};{}", self.platform_loads()?))
    }

    /// The statement behind the browser's view (filter `f`, order `sort`) with its
    /// parameters written in: what `o` opens in the Query tab. It returns the sessions the
    /// export writes, in the same order.
    pub fn session_view_sql(f: &SessionFilter, sort: SessionSort) -> String {
        let sql = sort.sql_for(include_str!("../../sql/ui/session_export.sql"), f);
        let values: Vec<String> = f.params().iter().map(super::query::literal).collect();
        crate::core::sql::inline_params(&sql, &values)
    }

    /// Writes every cached session matching `f`, in `sort` order, to `sink` (the Sessions
    /// tab's export); returns how many.
    pub fn session_export(
        &self,
        f: &SessionFilter,
        sort: SessionSort,
        sink: &mut dyn ReportSink<SessionRow>,
    ) -> Result<u64, ReportError> {
        let sql = sort.sql_for(include_str!("../../sql/ui/session_export.sql"), f);
        let mut stmt = self
            .conn()
            .prepare(&sql)
            .ctx("preparing the sessions export")?;
        let mut rows = stmt
            .query(duckdb::params_from_iter(f.params()))
            .ctx("reading the sessions to export")?;
        // The sessions report's own columns: the CLI and the TUI export the same header.
        sink.begin(SessionRow::columns(()))
            .map_err(ReportError::Output)?;
        let mut n = 0;
        while let Some(r) = rows.next().ctx("reading the sessions to export")? {
            sink.row(&cached_session(r, 0)?)
                .map_err(ReportError::Output)?;
            n += 1;
        }
        sink.end().map_err(ReportError::Output)?;
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
    ) -> Result<Vec<BrowsedSession>, StoreError> {
        let (cmp, dir) = if before { ("<", "DESC") } else { (">", "ASC") };
        let sql = sort
            .sql_for(include_str!("../../sql/ui/session_page.sql"), f)
            .replace("{cmp}", cmp)
            .replace("{dir}", dir);
        let mut stmt = self
            .conn()
            .prepare(&sql)
            .ctx("preparing a page of sessions")?;
        let mut params = f.params().to_vec();
        params.extend([
            duckdb::types::Value::BigInt(key),
            duckdb::types::Value::BigInt(limit as i64),
        ]);
        let mut rows = stmt
            .query(duckdb::params_from_iter(params))
            .ctx("reading a page of sessions")?;
        let mut page = Vec::new();
        while let Some(r) = rows.next().ctx("reading a page of sessions")? {
            page.push(BrowsedSession {
                n: r.get(0).ctx("n")?,
                session: cached_session(r, 1)?,
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
                &SessionSort::Report.sql_for(include_str!("../../sql/ui/session_count.sql"), f),
                duckdb::params_from_iter(f.params()),
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
                let ts = super::instant(r, 0)?.ok_or_else(|| {
                    duckdb::Error::FromSqlConversionFailure(
                        0,
                        duckdb::types::Type::Null,
                        "a request time is NULL".into(),
                    )
                })?;
                Ok(SessionEvent {
                    ts,
                    method: r.get(1)?,
                    path: r.get(2)?,
                    reward: r.get(3)?,
                    item_id: r.get(4)?,
                })
            },
        )
    }

    /// The rows of `campaign_reward_mapping` that make a session with these requests
    /// reward-driven (see [`crate::core::session::driving_pairs`]).
    pub fn session_driving_pairs(
        &self,
        user_id: &str,
        events: &[SessionEvent],
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        use crate::core::logline::EventKind;
        use crate::core::session::{Event, driving_pairs};
        let mapping = self.mapping_pairs()?;
        let events: Vec<Event> = events
            .iter()
            .map(|e| Event {
                user_id: user_id.to_owned(),
                ts_micros: e.ts.timestamp_micros(),
                kind: if e.reward {
                    EventKind::Reward
                } else {
                    EventKind::View
                },
                item_id: e.item_id,
            })
            .collect();
        Ok(driving_pairs(&events, &mapping))
    }
}

/// The session of a cache row whose report columns start at `at` (`user_id` …
/// `driving_campaigns`, in the report's order).
fn cached_session(r: &duckdb::Row<'_>, at: usize) -> Result<SessionRow, StoreError> {
    let when = |i: usize, what: &str| -> Result<DateTime<Utc>, StoreError> {
        super::instant(r, at + i)
            .and_then(|t| {
                t.ok_or_else(|| {
                    duckdb::Error::FromSqlConversionFailure(
                        at + i,
                        duckdb::types::Type::Null,
                        "a session time is NULL".into(),
                    )
                })
            })
            .ctx(what.to_owned())
    };
    let ids = |i: usize, what: &str| -> Result<Vec<i64>, StoreError> {
        let text: String = r.get(at + i).ctx(what.to_owned())?;
        parse_id_list(&text)
            .ok_or_else(|| {
                duckdb::Error::FromSqlConversionFailure(
                    at + i,
                    duckdb::types::Type::Text,
                    format!("{what} is not an id list").into(),
                )
            })
            .ctx(what.to_owned())
    };
    Ok(SessionRow {
        user_id: r.get(at).ctx("user_id")?,
        start: when(1, "session_start")?,
        end: when(2, "session_end")?,
        campaigns: ids(3, "campaigns")?,
        rewards: ids(4, "rewards_issued")?,
        driven: r.get(at + 5).ctx("reward_driven")?,
        event_count: r.get(at + 6).ctx("event_count")?,
        duration_s: r.get(at + 7).ctx("duration_s")?,
        driving_campaigns: ids(8, "driving_campaigns")?,
    })
}
