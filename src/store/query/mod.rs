//! The SQL console's side of the store (`perx query` and the Query tab): what a statement
//! is (DuckDB says, see [`StatementKind`]), whether it needs the user's confirmation
//! (it changes a table perx loaded), running it streamed into a [`RowSink`], or keeping its
//! result in DuckDB (`perx_scratch.result`, an attached in-memory database) and reading
//! pages, sorted and filtered copies and frequency tables from there; the history of what
//! was run (`ui_query_history`); the catalog for completion.
//!
//! The user's SQL is put into the console's statements as written: running it is the
//! point. Column names put into SQL are the result's own, quoted.

pub mod chart;
pub mod files;
mod history;
mod result;
pub mod summary;
mod values;

use std::time::Instant;

use super::{Store, StoreError};
use crate::report::{Cell, RowSink};

pub use super::raw::StatementKind;
pub use history::CatalogTable;
pub use result::{Frequency, FrequencyRow, Held, MAX_HELD_ROWS, PREVIEW_ROWS, Preview, ResultView};
pub use values::{arrow_cell, cell_of, literal, quote_ident};

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
    /// its kind (`ATTACH`, `VACUUM`, …). `BEGIN`/`COMMIT`/`ROLLBACK` change nothing by
    /// themselves (each statement inside is checked), and `EXECUTE` runs a statement its
    /// `PREPARE` was checked for on the same connection.
    pub fn needs_confirmation(&self) -> bool {
        match self.kind {
            k if k.reads_only() => false,
            StatementKind::Transaction | StatementKind::Execute => false,
            StatementKind::Other(_) => true,
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

/// The names a statement of `kind` may change: none for the reading kinds; the name at
/// its head for the usual forms (`CREATE TABLE x AS SELECT … FROM campaign` changes `x`,
/// not `campaign`; `COPY x TO 'file'` changes nothing); else every name it mentions.
fn tables_changed(kind: StatementKind, sql: &str) -> Vec<String> {
    use crate::core::sql::{copies_a_query, has_keyword, head_target, identifiers};
    if kind.reads_only() {
        return Vec::new();
    }
    match (kind, head_target(sql)) {
        (StatementKind::Copy, Some(_)) if !has_keyword(sql, "FROM") => Vec::new(),
        // COPY (query) TO a file: the query's tables are read, none written.
        (StatementKind::Copy, None) if copies_a_query(sql) => Vec::new(),
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

impl Store {
    /// `sql`, one statement, prepared on this store's connection (so it binds against that
    /// connection's temporary tables, settings and prepared statements), with what DuckDB
    /// says it is. Nothing runs. Errors when it holds no statement or several.
    pub(super) fn prepare_checked(
        &self,
        sql: &str,
    ) -> Result<(duckdb::Statement<'_>, Checked), QueryError> {
        // Counting is parsing alone, which no connection's state changes.
        let n = self.raw.statement_count(sql).map_err(QueryError::sql)?;
        if n != 1 {
            return Err(QueryError::Statements(format!(
                "expected one statement, found {n}; run them one at a time"
            )));
        }
        let stmt = self.conn().prepare(sql).map_err(QueryError::sql)?;
        let kind = StatementKind::from_ffi(stmt.statement_type());
        let touches = tables_changed(kind, sql)
            .into_iter()
            .filter(|t| perx_owned(t))
            .collect();
        Ok((stmt, Checked { kind, touches }))
    }

    /// What the single statement `sql` is, as this store's connection binds it. Errors when
    /// it holds no statement or several.
    pub fn check_statement(&self, sql: &str) -> Result<Checked, QueryError> {
        Ok(self.prepare_checked(sql)?.1)
    }

    /// Runs one statement and streams its rows into `sink`. A statement that needs
    /// confirmation runs only with `confirmed`. It is prepared once, on this store's
    /// connection, for both the check and the run.
    pub fn run_statement(
        &self,
        sql: &str,
        confirmed: bool,
        sink: &mut dyn RowSink,
    ) -> Result<RunSummary, QueryError> {
        let (mut stmt, checked) = self.prepare_checked(sql)?;
        if checked.needs_confirmation() && !confirmed {
            return Err(QueryError::Refused(checked));
        }
        let started = Instant::now();
        let rows = stream_statement(&mut stmt, sink)?;
        Ok(RunSummary {
            kind: checked.kind,
            rows,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Runs `sql` (already checked, or perx's own) and streams its rows into `sink`;
    /// returns how many.
    pub(super) fn stream_rows(&self, sql: &str, sink: &mut dyn RowSink) -> Result<u64, QueryError> {
        let mut stmt = self.conn().prepare(sql).map_err(QueryError::sql)?;
        stream_statement(&mut stmt, sink)
    }

    /// Whether `text` is exactly one statement, of the kind `kind`, as this connection binds
    /// it (a filter put into a statement must stay one expression, not add statements).
    pub(super) fn is_one(&self, text: &str, kind: StatementKind) -> bool {
        self.check_statement(text).is_ok_and(|c| c.kind == kind)
    }
}

/// The SQL console's session: one connection that every statement of the console is checked
/// and run on, so its temporary tables, `SET`/`USE`, prepared statements and open
/// transaction last from one statement to the next, as in DuckDB's own shell. Cloning
/// shares the session; one statement runs at a time.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    store: std::sync::Arc<std::sync::Mutex<Store>>,
    interrupt: super::Interrupt,
}

impl ConsoleSession {
    /// A new session: a connection of its own to `store`'s database.
    pub fn new(store: &Store) -> Result<ConsoleSession, StoreError> {
        let own = store.try_clone()?;
        let interrupt = own.interrupt_handle();
        Ok(ConsoleSession {
            store: std::sync::Arc::new(std::sync::Mutex::new(own)),
            interrupt,
        })
    }

    /// Runs `f` on the session's connection (waiting for a statement still running).
    pub fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        // A panic in an earlier statement leaves the connection usable.
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut store)
    }

    /// Interrupts the statement the session is running, if any.
    pub fn interrupt_handle(&self) -> super::Interrupt {
        self.interrupt.clone()
    }
}

/// Runs a prepared statement and streams its rows into `sink`; returns how many.
pub(super) fn stream_statement(
    stmt: &mut duckdb::Statement<'_>,
    sink: &mut dyn RowSink,
) -> Result<u64, QueryError> {
    // Streamed: DuckDB hands over one chunk at a time, so memory stays flat however many
    // rows the result has.
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
    Ok(n)
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
}
