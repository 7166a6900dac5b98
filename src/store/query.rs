//! The SQL console's side of the store (`perx query` and the Query tab): what a statement
//! is (DuckDB says, see [`StatementKind`]), whether it needs the user's confirmation
//! (it changes a table perx loaded), running it streamed into a [`RowSink`], or keeping its
//! result in DuckDB (`perx_scratch.result`, an attached in-memory database) and reading
//! pages, sorted and filtered copies and frequency tables from there; the history of what
//! was run (`ui_query_history`); the catalog for completion.
//!
//! The user's SQL is put into the console's statements as written: running it is the
//! point. Column names put into SQL are the result's own, quoted.

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use duckdb::types::{TimeUnit, Value};

use super::{SqlContext, Store, StoreError};
use crate::report::{Cell, RowSink};

pub use super::raw::StatementKind;

/// Tables perx owns: what `perx load` fills (and its bookkeeping) and its own caches. A
/// statement that changes one of them needs confirmation (`--write`, or the prompt).
pub fn perx_owned(table: &str) -> bool {
    let t = table.to_ascii_lowercase();
    ["campaign", "campaign_reward_mapping", "schema_version"].contains(&t.as_str())
        || ["reward_", "http_log", "ml_", "load_", "ui_"]
            .iter()
            .any(|p| t.starts_with(p))
}

/// What DuckDB says one statement is, and the perx tables it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The statement's kind.
    pub kind: StatementKind,
    /// The tables perx owns that the statement names (lower case, in order).
    pub touches: Vec<String>,
}

impl Checked {
    /// Whether running it needs the user's confirmation: it may change data (any kind but
    /// the reading ones) and it names a table perx owns, or its effect cannot be told from
    /// its kind (`ATTACH`, `EXECUTE`, …).
    pub fn needs_confirmation(&self) -> bool {
        match self.kind {
            k if k.reads_only() => false,
            StatementKind::Other(_) | StatementKind::Transaction => true,
            _ => !self.touches.is_empty(),
        }
    }

    /// What will change, for the prompt and the refusal.
    pub fn describe(&self) -> String {
        if self.touches.is_empty() {
            format!("{} (its effect is not known in advance)", self.kind.name())
        } else {
            format!(
                "{} naming {} (tables perx loaded or keeps)",
                self.kind.name(),
                self.touches.join(", ")
            )
        }
    }
}

/// Errors of the console.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// DuckDB refused the statement (syntax, unknown table, a failed run…).
    #[error("{message}")]
    Sql {
        /// DuckDB's message.
        message: String,
        /// The 1-based line of the statement it points at, if any.
        line: Option<usize>,
        /// The 0-based column on that line, if DuckDB's caret shows one.
        column: Option<usize>,
    },
    /// More or fewer than one statement where one is run.
    #[error("{0}")]
    Statements(String),
    /// It would change perx's tables and was not confirmed.
    #[error(
        "refused: {} would change data perx loaded; confirm it (in the TUI) or add --write",
        .0.describe()
    )]
    Refused(Checked),
    /// The run was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Another store error.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed.
    #[error("writing the result")]
    Output(#[from] std::io::Error),
}

impl QueryError {
    fn sql(e: impl std::fmt::Display) -> QueryError {
        let message = e.to_string();
        if message.contains("INTERRUPT") || message.contains("Interrupted") {
            return QueryError::Cancelled;
        }
        QueryError::Sql {
            line: crate::core::sql::error_line(&message),
            column: crate::core::sql::error_column(&message),
            message,
        }
    }
}

/// What a run gave.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// The statement's kind.
    pub kind: StatementKind,
    /// Rows written or kept.
    pub rows: u64,
    /// Seconds it took.
    pub seconds: f64,
}

/// The console's result as the grid reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Held {
    /// Kept in `perx_scratch.result` (queries): paged, sortable, filterable.
    Stored {
        /// Column names and DuckDB types.
        columns: Vec<(String, String)>,
    },
    /// Small results of other statements (`EXPLAIN`, `PRAGMA`, a `CREATE`'s count), held
    /// whole (at most [`MAX_HELD_ROWS`]).
    InMemory {
        /// Column names.
        columns: Vec<String>,
        /// Rows.
        rows: Vec<Vec<Cell>>,
    },
}

/// The first rows of a result, shown while the rest are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// Column names.
    pub columns: Vec<String>,
    /// The first rows.
    pub rows: Vec<Vec<Cell>>,
}

/// First rows that come sooner than this mean a scan: DuckDB stores the rows itself.
const QUICK_FIRST_ROWS: std::time::Duration = std::time::Duration::from_millis(250);

/// Rows handed over before the result is stored whole.
pub const PREVIEW_ROWS: usize = 200;

/// The most rows a non-query statement's result keeps in memory.
pub const MAX_HELD_ROWS: usize = 100_000;

/// How the grid shows the stored result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultView {
    /// Sort by this column (its index), descending when `true`.
    pub sort: Option<(usize, bool)>,
    /// Only rows matching this: a SQL predicate, or else text found in any column.
    pub filter: Option<String>,
}

/// The names a statement of `kind` may change: none for the reading kinds; the name at
/// its head for the usual forms (`CREATE TABLE x AS SELECT … FROM campaign` changes `x`,
/// not `campaign`; `COPY x TO 'file'` changes nothing); else every name it mentions.
fn tables_changed(kind: StatementKind, sql: &str) -> Vec<String> {
    use crate::core::sql::{has_keyword, head_target, identifiers};
    if kind.reads_only() {
        return Vec::new();
    }
    match (kind, head_target(sql)) {
        (StatementKind::Copy, Some(_)) if !has_keyword(sql, "FROM") => Vec::new(),
        (
            StatementKind::Create
            | StatementKind::Drop
            | StatementKind::Alter
            | StatementKind::Insert
            | StatementKind::Update
            | StatementKind::Delete
            | StatementKind::Copy
            | StatementKind::Merge,
            Some(target),
        ) => vec![target],
        _ => identifiers(sql),
    }
}

/// A SQL literal of a parameter value (for writing a report's statement out).
pub fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_owned(),
        Value::Boolean(b) => b.to_string().to_uppercase(),
        Value::BigInt(n) => n.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Double(f) => f.to_string(),
        Value::Text(s) => quote_literal(s),
        Value::Timestamp(TimeUnit::Microsecond, us) => crate::core::timestamp::from_micros(*us)
            .map_or_else(
                || format!("make_timestamp({us})"),
                |t| format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f")),
            ),
        other => quote_literal(&value_text(other)),
    }
}

/// A column name as a quoted SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A cell of any DuckDB value. Instants outside the years perx shows, and types without a
/// cell of their own (lists, structs, blobs, intervals…), become text.
pub fn cell_of(v: Value) -> Cell {
    let micros = |unit: TimeUnit, n: i64| -> Option<i64> {
        match unit {
            TimeUnit::Second => n.checked_mul(1_000_000),
            TimeUnit::Millisecond => n.checked_mul(1_000),
            TimeUnit::Microsecond => Some(n),
            TimeUnit::Nanosecond => Some(n / 1_000),
        }
    };
    match v {
        Value::Null => Cell::Null,
        Value::Boolean(b) => Cell::Bool(b),
        Value::TinyInt(n) => Cell::Int(n.into()),
        Value::SmallInt(n) => Cell::Int(n.into()),
        Value::Int(n) => Cell::Int(n.into()),
        Value::BigInt(n) => Cell::Int(n),
        Value::UTinyInt(n) => Cell::Int(n.into()),
        Value::USmallInt(n) => Cell::Int(n.into()),
        Value::UInt(n) => Cell::Int(n.into()),
        Value::UBigInt(n) => i64::try_from(n).map_or_else(|_| Cell::Text(n.to_string()), Cell::Int),
        Value::HugeInt(n) => i64::try_from(n).map_or_else(|_| Cell::Text(n.to_string()), Cell::Int),
        Value::Float(f) => Cell::Float(f.into()),
        Value::Double(f) => Cell::Float(f),
        Value::Decimal(d) => Cell::Text(d.to_string()),
        Value::Text(s) => Cell::Text(s),
        Value::Enum(s) => Cell::Text(s),
        Value::Date32(days) => NaiveDate::from_num_days_from_ce_opt(days.saturating_add(719_163))
            .filter(|d| crate::core::timestamp::date_in_range(*d))
            .map_or_else(|| Cell::Text(format!("date {days}")), Cell::Date),
        Value::Timestamp(unit, n) => micros(unit, n)
            .and_then(crate::core::timestamp::from_micros)
            .map_or_else(
                || Cell::Text(format!("timestamp {n} ({unit:?})")),
                Cell::Timestamp,
            ),
        other => Cell::Text(value_text(&other)),
    }
}

/// Cell `i` of an Arrow column of a query's result.
pub fn arrow_cell(col: &dyn duckdb::arrow::array::Array, i: usize) -> Cell {
    use duckdb::arrow::array::*;
    use duckdb::arrow::datatypes::{DataType, TimeUnit as T};
    if col.is_null(i) {
        return Cell::Null;
    }
    let any = col.as_any();
    macro_rules! int {
        ($t:ty) => {
            any.downcast_ref::<$t>().map(|a| {
                i64::try_from(a.value(i))
                    .map_or_else(|_| Cell::Text(a.value(i).to_string()), Cell::Int)
            })
        };
    }
    let micros = |unit: &T, n: i64| -> Option<i64> {
        match unit {
            T::Second => n.checked_mul(1_000_000),
            T::Millisecond => n.checked_mul(1_000),
            T::Microsecond => Some(n),
            T::Nanosecond => Some(n / 1_000),
        }
    };
    let cell = match col.data_type() {
        DataType::Boolean => any
            .downcast_ref::<BooleanArray>()
            .map(|a| Cell::Bool(a.value(i))),
        DataType::Int8 => int!(Int8Array),
        DataType::Int16 => int!(Int16Array),
        DataType::Int32 => int!(Int32Array),
        DataType::Int64 => int!(Int64Array),
        DataType::UInt8 => int!(UInt8Array),
        DataType::UInt16 => int!(UInt16Array),
        DataType::UInt32 => int!(UInt32Array),
        DataType::UInt64 => int!(UInt64Array),
        DataType::Float32 => any
            .downcast_ref::<Float32Array>()
            .map(|a| Cell::Float(a.value(i).into())),
        DataType::Float64 => any
            .downcast_ref::<Float64Array>()
            .map(|a| Cell::Float(a.value(i))),
        DataType::Utf8 => any
            .downcast_ref::<StringArray>()
            .map(|a| Cell::Text(a.value(i).to_owned())),
        DataType::LargeUtf8 => any
            .downcast_ref::<LargeStringArray>()
            .map(|a| Cell::Text(a.value(i).to_owned())),
        DataType::Utf8View => any
            .downcast_ref::<StringViewArray>()
            .map(|a| Cell::Text(a.value(i).to_owned())),
        DataType::Date32 => any.downcast_ref::<Date32Array>().and_then(|a| {
            NaiveDate::from_num_days_from_ce_opt(a.value(i).saturating_add(719_163))
                .filter(|d| crate::core::timestamp::date_in_range(*d))
                .map(Cell::Date)
        }),
        DataType::Timestamp(unit, None) => {
            let raw = match unit {
                T::Second => any
                    .downcast_ref::<TimestampSecondArray>()
                    .map(|a| a.value(i)),
                T::Millisecond => any
                    .downcast_ref::<TimestampMillisecondArray>()
                    .map(|a| a.value(i)),
                T::Microsecond => any
                    .downcast_ref::<TimestampMicrosecondArray>()
                    .map(|a| a.value(i)),
                T::Nanosecond => any
                    .downcast_ref::<TimestampNanosecondArray>()
                    .map(|a| a.value(i)),
            };
            raw.and_then(|n| micros(unit, n))
                .and_then(crate::core::timestamp::from_micros)
                .map(Cell::Timestamp)
        }
        _ => None,
    };
    cell.unwrap_or_else(|| {
        // Everything else (decimals, lists, structs, blobs, intervals, instants out of
        // range) as Arrow writes it.
        let options = duckdb::arrow::util::display::FormatOptions::default();
        duckdb::arrow::util::display::ArrayFormatter::try_new(col, &options).map_or_else(
            |_| Cell::Text("?".to_owned()),
            |f| Cell::Text(f.value(i).to_string()),
        )
    })
}

/// Text for the values without a cell of their own.
fn value_text(v: &Value) -> String {
    match v {
        Value::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
        Value::List(items) | Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Text(s) | Value::Enum(s) => s.clone(),
        Value::Null => "NULL".to_owned(),
        other => {
            let c = cell_of(other.clone());
            match c {
                Cell::Text(s) => s,
                c => crate::report::output::cell_text(&c),
            }
        }
    }
}

impl Store {
    /// What the single statement `sql` is. Errors when it holds no statement or several.
    pub fn check_statement(&self, sql: &str) -> Result<Checked, QueryError> {
        let kinds = self.raw.statement_kinds(sql).map_err(QueryError::sql)?;
        let [kind] = kinds.as_slice() else {
            return Err(QueryError::Statements(format!(
                "expected one statement, found {}; run them one at a time",
                kinds.len()
            )));
        };
        let touches = tables_changed(*kind, sql)
            .into_iter()
            .filter(|t| perx_owned(t))
            .collect();
        Ok(Checked {
            kind: *kind,
            touches,
        })
    }

    /// Runs one statement and streams its rows into `sink`. A statement that needs
    /// confirmation runs only with `confirmed`.
    pub fn run_statement(
        &self,
        sql: &str,
        confirmed: bool,
        sink: &mut dyn RowSink,
    ) -> Result<RunSummary, QueryError> {
        let checked = self.check_statement(sql)?;
        if checked.needs_confirmation() && !confirmed {
            return Err(QueryError::Refused(checked));
        }
        let started = Instant::now();
        let mut stmt = self.conn().prepare(sql).map_err(QueryError::sql)?;
        // Streamed: DuckDB hands over one chunk at a time, so memory stays flat however
        // many rows the result has.
        let stream = stmt.stream_arrow([]).map_err(QueryError::sql)?;
        let schema = stream.get_schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        sink.begin(&names)?;
        let mut n = 0u64;
        let mut cells = Vec::with_capacity(names.len());
        for batch in stream {
            let batch = batch.map_err(QueryError::sql)?;
            for i in 0..batch.num_rows() {
                cells.clear();
                cells.extend(batch.columns().iter().map(|c| arrow_cell(c.as_ref(), i)));
                sink.row(&cells)?;
                n += 1;
            }
        }
        sink.end()?;
        Ok(RunSummary {
            kind: checked.kind,
            rows: n,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Runs one statement for the Query tab: a query's result is kept in DuckDB
    /// (`perx_scratch.result`) for the grid to page through; another statement's rows
    /// (few) are held in memory. `preview` gets the first rows as soon as they stream in,
    /// before the rest are stored. Recorded in the history either way.
    pub fn run_into_result(
        &self,
        sql: &str,
        confirmed: bool,
        preview: &mut dyn FnMut(Preview),
    ) -> Result<(Held, RunSummary), QueryError> {
        let started = Instant::now();
        let outcome = self.run_into_result_inner(sql, confirmed, started, preview);
        let (rows, error) = match &outcome {
            Ok((_, s)) => (Some(s.rows as i64), None),
            Err(QueryError::Refused(_)) => return outcome,
            Err(e) => (None, Some(e.to_string())),
        };
        self.record_history(sql, started.elapsed().as_secs_f64() * 1e3, rows, error)?;
        outcome
    }

    /// Attaches the scratch database (once per database handle).
    fn attach_scratch(&self) -> Result<(), QueryError> {
        let file = self.raw.scratch_file().map_err(|e| {
            StoreError::Invalid(format!("cannot make the console's scratch file: {e}"))
        })?;
        let sql = include_str!("../../sql/query/scratch_attach.sql")
            .replace("{path}", &quote_literal(&file.to_string_lossy()));
        self.conn()
            .execute_batch(&sql)
            .ctx("opening the console's scratch space")?;
        Ok(())
    }

    fn run_into_result_inner(
        &self,
        sql: &str,
        confirmed: bool,
        started: Instant,
        preview: &mut dyn FnMut(Preview),
    ) -> Result<(Held, RunSummary), QueryError> {
        let checked = self.check_statement(sql)?;
        if checked.needs_confirmation() && !confirmed {
            return Err(QueryError::Refused(checked));
        }
        self.attach_scratch()?;
        if checked.kind == StatementKind::Select {
            let create = include_str!("../../sql/query/result_create.sql").replace("{sql}", sql);
            // Not every query can be a subquery (e.g. `PIVOT` forms): DuckDB says so at
            // parsing or binding, and then it runs as written below.
            let bound = match self.conn().execute_batch(&create) {
                Ok(()) => true,
                Err(e) => {
                    let m = e.to_string();
                    if !(m.starts_with("Parser Error") || m.starts_with("Binder Error")) {
                        return Err(QueryError::sql(m));
                    }
                    false
                }
            };
            if bound {
                let rows = self.stream_into_result(sql, preview)?;
                let columns = self.result_columns()?;
                return Ok((
                    Held::Stored { columns },
                    RunSummary {
                        kind: checked.kind,
                        rows,
                        seconds: started.elapsed().as_secs_f64(),
                    },
                ));
            }
        }
        let mut collected = Capped::default();
        let summary = self.run_statement(sql, true, &mut collected)?;
        Ok((
            Held::InMemory {
                columns: collected.columns,
                rows: collected.rows,
            },
            summary,
        ))
    }

    /// Stores the rows of `sql` in the (empty) result table, handing its first rows to
    /// `preview` as soon as they come. The statement starts streamed; when its first rows
    /// come fast (a scan), the stream is dropped and DuckDB fills the table itself, the
    /// fastest way to store many rows; when they come slowly (an aggregate, a sort: the
    /// work is done by then), the rows are appended as they stream, so the statement does
    /// not run twice.
    fn stream_into_result(
        &self,
        sql: &str,
        preview: &mut dyn FnMut(Preview),
    ) -> Result<u64, QueryError> {
        let started = Instant::now();
        let mut stmt = self.conn().prepare(sql).map_err(QueryError::sql)?;
        let mut stream = stmt.stream_arrow([]).map_err(QueryError::sql)?;
        let columns: Vec<String> = stream
            .get_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let Some(first) = stream.next().transpose().map_err(QueryError::sql)? else {
            preview(Preview {
                columns,
                rows: Vec::new(),
            });
            return Ok(0);
        };
        let rows: Vec<Vec<Cell>> = (0..first.num_rows().min(PREVIEW_ROWS))
            .map(|i| {
                first
                    .columns()
                    .iter()
                    .map(|c| arrow_cell(c.as_ref(), i))
                    .collect()
            })
            .collect();
        preview(Preview { columns, rows });
        if started.elapsed() < QUICK_FIRST_ROWS {
            drop(stream);
            drop(stmt);
            return self.fill_result(sql, false);
        }
        let writer = self.conn().try_clone().ctx("opening a second connection")?;
        let mut appender = writer
            .appender_to_catalog_and_db("result", "perx_scratch", "main")
            .map_err(QueryError::sql)?;
        let mut n = 0u64;
        for batch in std::iter::once(Ok(first)).chain(stream) {
            let batch = batch.map_err(QueryError::sql)?;
            n += batch.num_rows() as u64;
            if appender.append_record_batch(batch).is_err() {
                // A type the appender does not take: DuckDB fills the table itself.
                drop(appender);
                return self.fill_result(sql, true);
            }
        }
        appender.flush().map_err(QueryError::sql)?;
        Ok(n)
    }

    /// Fills the result table by DuckDB alone (emptied first when rows were appended).
    fn fill_result(&self, sql: &str, empty_first: bool) -> Result<u64, QueryError> {
        let with_sql = |text: &str| text.replace("{sql}", sql);
        if empty_first {
            self.conn()
                .execute_batch(&with_sql(include_str!("../../sql/query/result_create.sql")))
                .map_err(QueryError::sql)?;
        }
        self.conn()
            .execute_batch(&with_sql(include_str!("../../sql/query/result_fill.sql")))
            .map_err(QueryError::sql)?;
        Ok(self.result_rows(&ResultView::default())?)
    }

    /// The stored result's columns and types.
    fn result_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        super::query_all(
            self.conn(),
            include_str!("../../sql/query/columns.sql"),
            [],
            "reading the result's columns",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Makes the grid's view of the stored result (filtered, sorted) and returns its rows.
    /// With neither, the result itself is the view. A filter DuckDB does not take as a
    /// predicate is searched for as text in every column.
    pub fn prepare_view(&self, view: &ResultView) -> Result<u64, QueryError> {
        if view.sort.is_none() && view.filter.is_none() {
            return Ok(self.result_rows(view)?);
        }
        let columns = self.result_columns()?;
        let order = match view.sort {
            Some((i, desc)) => {
                let (name, _) = columns
                    .get(i)
                    .ok_or_else(|| QueryError::Statements(format!("no column {i}")))?;
                format!(
                    "{} {} NULLS LAST, rowid",
                    quote_ident(name),
                    if desc { "DESC" } else { "ASC" }
                )
            }
            None => "rowid".to_owned(),
        };
        let make = |filter: &str| {
            include_str!("../../sql/query/view_create.sql")
                .replace("{where}", filter)
                .replace("{order}", &order)
        };
        match &view.filter {
            None => self
                .conn()
                .execute_batch(&make("true"))
                .map_err(QueryError::sql)?,
            Some(f) => {
                let as_predicate = make(&format!("(\n{f}\n)"));
                // The predicate must be one expression, not a way to add statements.
                let one = self
                    .raw
                    .statement_kinds(&as_predicate)
                    .is_ok_and(|k| k == [StatementKind::Create]);
                if !(one && self.conn().execute_batch(&as_predicate).is_ok()) {
                    let texts: Vec<String> = columns
                        .iter()
                        .map(|(c, _)| format!("coalesce(CAST({} AS VARCHAR), '')", quote_ident(c)))
                        .collect();
                    let search = format!(
                        "concat_ws(' ', {}) ILIKE '%' || {} || '%'",
                        texts.join(", "),
                        quote_literal(f)
                    );
                    self.conn()
                        .execute_batch(&make(&search))
                        .map_err(QueryError::sql)?;
                }
            }
        }
        Ok(self.result_rows(view)?)
    }

    /// Whether the grid shows the result as stored (no sort, no filter).
    fn plain(view: &ResultView) -> bool {
        view.sort.is_none() && view.filter.is_none()
    }

    /// The table to count the view's rows in: the result, or the permutation.
    fn view_table(view: &ResultView) -> &'static str {
        if Self::plain(view) {
            "perx_scratch.result"
        } else {
            "perx_scratch.view"
        }
    }

    /// A table expression of the view's rows (the result, or it through the permutation).
    fn view_rows(view: &ResultView) -> String {
        if Self::plain(view) {
            "perx_scratch.result".to_owned()
        } else {
            format!("({})", include_str!("../../sql/query/view_rows.sql"))
        }
    }

    /// Rows of the view.
    fn result_rows(&self, view: &ResultView) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row(
                &include_str!("../../sql/query/count.sql")
                    .replace("{table}", Self::view_table(view)),
                [],
                |r| r.get(0),
            )
            .ctx("counting the result's rows")?;
        Ok(n.max(0) as u64)
    }

    /// Rows `first ..` (at most `n`) of the view (made by [`Store::prepare_view`]).
    pub fn result_page(
        &self,
        view: &ResultView,
        first: u64,
        n: usize,
    ) -> Result<Vec<Vec<Cell>>, QueryError> {
        let sql = if Self::plain(view) {
            include_str!("../../sql/query/page.sql")
        } else {
            include_str!("../../sql/query/view_page.sql")
        };
        let mut stmt = self.conn().prepare(sql).map_err(QueryError::sql)?;
        let mut rows = stmt
            .query(duckdb::params![first as i64, n as i64])
            .map_err(QueryError::sql)?;
        let width = rows.as_ref().map_or(0, |s| s.column_count());
        let mut page = Vec::new();
        while let Some(r) = rows.next().map_err(QueryError::sql)? {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(cell_of(r.get::<_, Value>(i).map_err(QueryError::sql)?));
            }
            page.push(cells);
        }
        Ok(page)
    }

    /// Writes the whole view to `sink` (the Query tab's export).
    pub fn export_view(
        &self,
        view: &ResultView,
        sink: &mut dyn RowSink,
    ) -> Result<u64, QueryError> {
        let sql = if Self::plain(view) {
            "SELECT * FROM perx_scratch.result ORDER BY rowid"
        } else {
            include_str!("../../sql/query/view_rows.sql")
        };
        self.run_statement(sql, false, sink).map(|s| s.rows)
    }

    /// The frequency table of column `i` of the view: most frequent first, at most
    /// `limit` values, and how many distinct values there are.
    pub fn frequency(
        &self,
        view: &ResultView,
        i: usize,
        limit: usize,
    ) -> Result<Frequency, QueryError> {
        let columns = self.result_columns()?;
        let (name, _) = columns
            .get(i)
            .ok_or_else(|| QueryError::Statements(format!("no column {i}")))?;
        // The order does not matter to a count: only a filter changes the rows.
        let rows = if view.filter.is_none() {
            "perx_scratch.result".to_owned()
        } else {
            Self::view_rows(view)
        };
        let fill = |text: &str| {
            text.replace("{table}", &rows)
                .replace("{column}", &quote_ident(name))
        };
        let mut stmt = self
            .conn()
            .prepare(&fill(include_str!("../../sql/query/frequency.sql")))
            .map_err(QueryError::sql)?;
        let mut rows = stmt.query([limit as i64]).map_err(QueryError::sql)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(QueryError::sql)? {
            let v = cell_of(r.get::<_, Value>(0).map_err(QueryError::sql)?);
            let n: i64 = r.get(1).map_err(QueryError::sql)?;
            let pct: f64 = r.get(2).map_err(QueryError::sql)?;
            out.push(FrequencyRow {
                value: v,
                rows: n.max(0) as u64,
                pct,
            });
        }
        let distinct: i64 = self
            .conn()
            .query_row(
                &fill(include_str!("../../sql/query/frequency_distinct.sql")),
                [],
                |r| r.get(0),
            )
            .map_err(QueryError::sql)?;
        Ok(Frequency {
            values: out,
            distinct: distinct.max(0) as u64,
        })
    }

    /// Tables and views with their columns and types: (table, kind, [(column, type)]).
    pub fn catalog(&self) -> Result<Vec<CatalogTable>, StoreError> {
        let rows: Vec<(String, String, String, String)> = super::query_all(
            self.conn(),
            include_str!("../../sql/query/catalog.sql"),
            [],
            "reading the catalog",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let mut out: Vec<CatalogTable> = Vec::new();
        for (table, kind, column, ty) in rows {
            match out.last_mut() {
                Some(t) if t.name == table => t.columns.push((column, ty)),
                _ => out.push(CatalogTable {
                    name: table,
                    view: kind.contains("VIEW"),
                    columns: vec![(column, ty)],
                }),
            }
        }
        Ok(out)
    }

    /// Records one run in `ui_query_history`.
    fn record_history(
        &self,
        sql: &str,
        ms: f64,
        rows: Option<i64>,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute_batch(include_str!("../../sql/query/history_create.sql"))
            .ctx("creating the query history")?;
        self.conn()
            .execute(
                include_str!("../../sql/query/history_add.sql"),
                duckdb::params![Utc::now().naive_utc(), sql, ms, rows, error],
            )
            .ctx("recording the query history")?;
        Ok(())
    }

    /// The most recent distinct statements of the history, newest first.
    pub fn query_history(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        self.conn()
            .execute_batch(include_str!("../../sql/query/history_create.sql"))
            .ctx("creating the query history")?;
        super::query_all(
            self.conn(),
            include_str!("../../sql/query/history_recent.sql"),
            [limit as i64],
            "reading the query history",
            |r| r.get(0),
        )
    }
}

/// A frequency table (VisiData's Shift-F).
#[derive(Debug, Clone, PartialEq)]
pub struct Frequency {
    /// The most frequent values first.
    pub values: Vec<FrequencyRow>,
    /// How many distinct values the column has (NULL counted as one).
    pub distinct: u64,
}

/// One value of a [`Frequency`].
#[derive(Debug, Clone, PartialEq)]
pub struct FrequencyRow {
    /// The value.
    pub value: Cell,
    /// Rows holding it.
    pub rows: u64,
    /// Their share of the rows, in percent.
    pub pct: f64,
}

/// A table or view of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogTable {
    /// Its name.
    pub name: String,
    /// A view (else a table).
    pub view: bool,
    /// Its columns and their types.
    pub columns: Vec<(String, String)>,
}

/// A SQL string literal of `s`.
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Collects at most [`MAX_HELD_ROWS`] rows (the rest are counted, not kept).
#[derive(Debug, Default)]
struct Capped {
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl RowSink for Capped {
    fn begin(&mut self, columns: &[&str]) -> std::io::Result<()> {
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        Ok(())
    }
    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        if self.rows.len() < MAX_HELD_ROWS {
            self.rows.push(cells.to_vec());
        }
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perx_tables_are_known() {
        for t in [
            "campaign",
            "reward_transaction",
            "http_log_data",
            "ml_rating",
            "load_reject",
            "UI_query_history",
        ] {
            assert!(perx_owned(t), "{t}");
        }
        for t in ["campaigns", "my_table", "rewards"] {
            assert!(!perx_owned(t), "{t}");
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}

#[cfg(test)]
mod scratch_tests {
    use super::*;
    use crate::store::DbPath;

    #[test]
    fn the_scratch_space_is_seen_by_every_connection() {
        let store = Store::open(&DbPath::Memory).unwrap();
        store
            .run_into_result("select 1 as x", false, &mut |_| {})
            .unwrap();
        let other = store.try_clone().unwrap();
        let n: i64 = other
            .conn()
            .query_row("select count(*) from perx_scratch.result", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            store
                .raw
                .statement_kinds("select * from perx_scratch.result"),
            Ok(vec![StatementKind::Select])
        );
    }
}
