//! The sessions table, `http_log_session`: the sessions report kept in the database. A load
//! fills it from scratch (after its commit); an ingest keeps it current inside its own
//! transaction, touching only the users its new lines belong to ([`update_sessions`]).
//! The Sessions tab, `perx report sessions` and the server read it
//! ([`super::session_browse`]). It is marked with the data it holds the sessions of
//! (`http_log_session_meta`), so a table left behind by a run killed half-way, or by
//! another perx, is never read as current: it is built again.
//!
//! Invariant (tested over random logs cut into random batches ingested in random orders):
//! after any sequence of loads and ingests, the table holds exactly the rows of the
//! sessions report computed from scratch on everything loaded.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::{TimeUnit as DuckTimeUnit, Value};

use super::reports::{ReportError, session_row, sessionize_batches};
use super::session_browse::{SessionFilter, SessionSort};
use super::{SqlContext, Store, StoreError};
use crate::core::session::user_order_key;
use crate::progress::{Progress, Unit};
use crate::report::output::id_list;
use crate::report::{ReportSink, SessionRow, SessionsQuery};

/// The layout of `http_log_session` and its sorted copies; raise it when they change.
const LAYOUT: u32 = 3;

/// Sessions appended per Arrow batch.
const APPEND_BATCH: usize = 16_384;

/// What an ingest did to the sessions table.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SessionUpdate {
    /// Users whose sessions were sessionised again.
    pub users: u64,
    /// Stored sessions removed (the ones the new lines could join).
    pub replaced: u64,
    /// Sessions written in their place.
    pub written: u64,
    /// How long it took.
    pub seconds: f64,
}

/// The largest number `user_num` (`DECIMAL(38, 0)`) holds: a 38-digit id.
pub(crate) const MAX_USER_NUM: i128 = 10_i128.pow(38) - 1;

/// A user id's place in the report's order, as stored: its number (ids have at most 38
/// digits, so it fits), and whether it is spelled with leading zeros.
pub(crate) fn user_order(user_id: &str) -> (i128, bool) {
    let (num, spelled, _) = user_order_key(user_id);
    let num = i128::try_from(num).map_or(MAX_USER_NUM, |n| n.min(MAX_USER_NUM));
    (num, spelled)
}

/// Appends sessions to `http_log_session` as one Arrow batch (far faster than row by row).
fn append(conn: &Connection, rows: &[SessionRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    // Id lists as the report writes them (`[3,11]`); the filter keys as `,3,11,`.
    let key = |ids: &[i64]| {
        let v: Vec<String> = ids.iter().map(i64::to_string).collect();
        format!(",{},", v.join(","))
    };
    let strings = |f: &dyn Fn(&SessionRow) -> String| -> ArrayRef {
        Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
    };
    let order: Vec<(i128, bool)> = rows.iter().map(|r| user_order(&r.user_id)).collect();
    let bad = |e: duckdb::arrow::error::ArrowError| StoreError::Invalid(e.to_string());
    let nums = Decimal128Array::from_iter_values(order.iter().map(|o| o.0))
        .with_precision_and_scale(38, 0)
        .map_err(bad)?;
    let cols: Vec<ArrayRef> = vec![
        Arc::new(nums),
        Arc::new(order.iter().map(|o| Some(o.1)).collect::<BooleanArray>()),
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
        Field::new("user_num", DataType::Decimal128(38, 0), false),
        Field::new("spelled", DataType::Boolean, false),
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
    let batch = RecordBatch::try_new(schema, cols).map_err(bad)?;
    let mut app = conn
        .appender("http_log_session")
        .ctx("appending to the sessions table")?;
    app.append_record_batch(batch)
        .ctx("appending to the sessions table")?;
    app.flush().ctx("appending to the sessions table")
}

/// Appends the sessions report to the table in batches, on a connection of its own.
struct TableSink<'a> {
    conn: Connection,
    batch: Vec<SessionRow>,
    progress: &'a dyn Progress,
}

impl TableSink<'_> {
    fn flush(&mut self) -> std::io::Result<()> {
        let rows = std::mem::take(&mut self.batch);
        append(&self.conn, &rows).map_err(|e| std::io::Error::other(e.to_string()))?;
        self.progress.advance(rows.len() as u64);
        Ok(())
    }
}

impl ReportSink<SessionRow> for TableSink<'_> {
    fn begin(&mut self, _columns: &[&str]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, row: &SessionRow) -> std::io::Result<()> {
        self.batch.push(row.clone());
        if self.batch.len() >= APPEND_BATCH {
            self.flush()?;
        }
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        self.flush()
    }
}

/// What the data in the database is, as the sessions table's mark: the table's layout and
/// the loads and last ingest batch (`sql/store/platform_loads.sql`).
fn fingerprint(conn: &Connection) -> Result<String, StoreError> {
    Ok(format!(
        "sessions v{LAYOUT};{}",
        super::rewards::platform_loads_on(conn)?
    ))
}

/// Whether the sessions table is complete and holds the sessions of the data in the
/// database now, read through `conn`.
fn fresh_on(conn: &Connection) -> Result<bool, StoreError> {
    let tables: i64 = conn
        .query_row(include_str!("../../sql/sessions/tables.sql"), [], |r| {
            r.get(0)
        })
        .ctx("looking for the sessions table")?;
    if tables < 2 {
        return Ok(false);
    }
    let built_from: String = conn
        .query_row(include_str!("../../sql/sessions/built_from.sql"), [], |r| {
            r.get(0)
        })
        .ctx("reading the sessions table's mark")?;
    Ok(built_from == fingerprint(conn)?)
}

/// Keeps the sessions table current after an ingest appended the log lines numbered from
/// `first_line` on, inside the ingest's transaction (`conn`): the users those lines belong
/// to are sessionised again over the span their new events and the stored sessions those
/// events could join cover (`sql/sessions/touch.sql`); those stored sessions are replaced;
/// no other row changes. The caller marks the table afterwards, in the same transaction.
pub(crate) fn update_sessions(
    conn: &Connection,
    first_line: i64,
    mapping: &HashSet<(i64, i64)>,
) -> Result<SessionUpdate, ReportError> {
    let started = Instant::now();
    conn.execute(include_str!("../../sql/sessions/touch.sql"), [first_line])
        .ctx("finding the users the new lines belong to")?;
    let (lo, hi, replaced, users): (Option<i64>, Option<i64>, i64, i64) = conn
        .query_row(include_str!("../../sql/sessions/touch_span.sql"), [], |r| {
            Ok((
                super::instant(r, 0)?.map(|t| t.timestamp_micros()),
                super::instant(r, 1)?.map(|t| t.timestamp_micros()),
                r.get(2)?,
                r.get(3)?,
            ))
        })
        .ctx("finding the users the new lines belong to")?;
    let mut update = SessionUpdate {
        users: users.max(0) as u64,
        replaced: replaced.max(0) as u64,
        ..SessionUpdate::default()
    };
    if let (Some(lo), Some(hi)) = (lo, hi) {
        // The stored sessions inside the spans go first: what is appended below lies in
        // the spans too.
        conn.execute_batch(include_str!("../../sql/sessions/touch_delete.sql"))
            .ctx("removing the sessions the new lines join")?;
        let at = |us: i64| Value::Timestamp(DuckTimeUnit::Microsecond, us);
        let mut stmt = conn
            .prepare(include_str!("../../sql/sessions/touch_events.sql"))
            .ctx("reading the touched users' events")?;
        // A materialised result (the batch's users' events in their spans: bounded by the
        // batch, not by the history), so the same connection appends while it is read.
        let batches = stmt
            .query_arrow([at(lo), at(hi)])
            .ctx("reading the touched users' events")?;
        let mut rows: Vec<SessionRow> = Vec::with_capacity(APPEND_BATCH);
        let mut failed: Option<ReportError> = None;
        sessionize_batches(batches, mapping, &mut |s| {
            let done = session_row(s).map_err(ReportError::Output).and_then(|r| {
                rows.push(r);
                if rows.len() < APPEND_BATCH {
                    return Ok(());
                }
                update.written += rows.len() as u64;
                let full = std::mem::take(&mut rows);
                append(conn, &full).map_err(ReportError::from)
            });
            match done {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        update.written += rows.len() as u64;
        append(conn, &rows)?;
    }
    conn.execute_batch(include_str!("../../sql/sessions/touch_drop.sql"))
        .ctx("dropping the ingest's scratch table")?;
    conn.execute_batch(include_str!("../../sql/sessions/drop_sorted.sql"))
        .ctx("dropping the sorted copies of the sessions table")?;
    update.seconds = started.elapsed().as_secs_f64();
    Ok(update)
}

/// Marks the sessions table as holding the sessions of the data `conn` sees now (inside a
/// transaction, of what it will commit).
pub(crate) fn mark_sessions(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        include_str!("../../sql/sessions/mark.sql"),
        [fingerprint(conn)?],
    )
    .ctx("marking the sessions table current")?;
    Ok(())
}

impl Store {
    /// Builds the sessions table from scratch: the sessions report appended in its order,
    /// then the mark. Returns the sessions. A load does this after its commit; the Sessions
    /// tab and the server do it when they find the table stale (a run killed before the
    /// mark, a database of an older perx).
    pub fn build_sessions_table(&self, progress: &dyn Progress) -> Result<u64, ReportError> {
        self.conn()
            .execute_batch(include_str!("../../sql/sessions/create.sql"))
            .ctx("creating the sessions table")?;
        let conn = self.conn().try_clone().ctx("opening a second connection")?;
        let mut sink = TableSink {
            conn,
            batch: Vec::new(),
            progress,
        };
        progress.start("sessions", None, Unit::Rows);
        let n = self.sessions(&SessionsQuery::default(), &mut sink)?;
        mark_sessions(self.conn())?;
        progress.finish();
        Ok(n)
    }

    /// Whether `http_log_session` is complete and holds the sessions of the data loaded
    /// and ingested now.
    pub fn sessions_fresh(&self) -> Result<bool, StoreError> {
        fresh_on(self.conn())
    }

    /// Builds the sessions table when it is not current; returns how many sessions it
    /// holds when it was built.
    pub fn ensure_sessions_table(
        &self,
        progress: &dyn Progress,
    ) -> Result<Option<u64>, ReportError> {
        if self.sessions_fresh()? {
            return Ok(None);
        }
        self.build_sessions_table(progress).map(Some)
    }

    /// The sessions report read from the table (what `perx report sessions` prints when
    /// the table is current): the same rows, in the same order, as [`Store::sessions`].
    pub fn stored_sessions(
        &self,
        q: &SessionsQuery,
        sink: &mut dyn ReportSink<SessionRow>,
    ) -> Result<u64, ReportError> {
        let filter = SessionFilter {
            user_id: q.user_id.clone(),
            driven_only: q.driven_only,
            span: q.utc_bounds(),
            ..SessionFilter::default()
        };
        self.session_export(&filter, SessionSort::Report, sink)
    }
}
