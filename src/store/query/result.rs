//! The Query tab's result: kept in a file-backed scratch database attached to the instance,
//! filled as the statement streams (the first rows handed over at once), read a page at a
//! time by rowid; sorted and filtered views are rowid permutations; frequency tables.

use std::time::Instant;

use duckdb::types::Value;

use super::values::{arrow_cell, cell_of, quote_ident, quote_literal};
use super::{Capped, QueryError, RunSummary, StatementKind, stream_statement};
use crate::core::sql::fill_template;
use crate::report::{Cell, RowSink};
use crate::store::{SqlContext, Store, StoreError};

/// An SQL file's text without its leading comment lines (for a fragment put inside a
/// statement on one line).
fn sql_body(text: &str) -> &str {
    let mut rest = text;
    while rest.starts_with("--") {
        rest = rest.split_once('\n').map_or("", |(_, r)| r);
    }
    rest.trim()
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
    /// The value as a SQL literal (none for NULL), for a filter on it.
    pub literal: Option<String>,
}

impl Store {
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
        if let Ok((_, s)) = &outcome
            && s.kind == StatementKind::Transaction
            && let Some(open) = crate::core::sql::transaction_opens(sql)
        {
            self.in_transaction.set(open);
        }
        // On a connection of its own: the history is written at once, outside a
        // transaction the user may have open (and may roll back) on this one.
        let history = self.try_clone()?;
        history.record_history(sql, started.elapsed().as_secs_f64() * 1e3, rows, error)?;
        outcome
    }

    /// Attaches the scratch database (once per database handle).
    fn attach_scratch(&self) -> Result<(), QueryError> {
        let file = self.raw.scratch_file().map_err(|e| {
            StoreError::Invalid(format!("cannot make the console's scratch file: {e}"))
        })?;
        let sql = include_str!("../../../sql/query/scratch_attach.sql")
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
        let (mut stmt, checked) = self.prepare_checked(sql)?;
        if checked.needs_confirmation() && !confirmed {
            return Err(QueryError::Refused(checked));
        }
        self.attach_scratch()?;
        // Inside BEGIN … COMMIT the result stays in memory: a transaction writes to one
        // database only, and the user's belongs to theirs, not to the scratch space.
        if checked.kind == StatementKind::Select && !self.in_transaction.get() {
            let create = fill_template(
                include_str!("../../../sql/query/result_create.sql"),
                &[("sql", sql)],
            );
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
        let rows = stream_statement(&mut stmt, &mut collected)?;
        Ok((
            Held::InMemory {
                columns: collected.columns,
                rows: collected.rows,
            },
            RunSummary {
                kind: checked.kind,
                rows,
                seconds: started.elapsed().as_secs_f64(),
            },
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
        let with_sql = |text: &str| fill_template(text, &[("sql", sql)]);
        if empty_first {
            self.conn()
                .execute_batch(&with_sql(include_str!(
                    "../../../sql/query/result_create.sql"
                )))
                .map_err(QueryError::sql)?;
        }
        self.conn()
            .execute_batch(&with_sql(include_str!(
                "../../../sql/query/result_fill.sql"
            )))
            .map_err(QueryError::sql)?;
        Ok(self.result_rows(&ResultView::default())?)
    }

    /// The stored result's columns and types.
    pub(super) fn result_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        crate::store::query_all(
            self.conn(),
            include_str!("../../../sql/query/columns.sql"),
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
            fill_template(
                include_str!("../../../sql/query/view_create.sql"),
                &[("where", filter), ("order", &order)],
            )
        };
        match &view.filter {
            None => self
                .conn()
                .execute_batch(&make("true"))
                .map_err(QueryError::sql)?,
            Some(f) => {
                let as_predicate = make(&format!("(\n{f}\n)"));
                // The predicate must be one expression, not a way to add statements.
                let one = self.is_one(&as_predicate, StatementKind::Create);
                if !(one && self.conn().execute_batch(&as_predicate).is_ok()) {
                    let texts: Vec<String> = columns
                        .iter()
                        .map(|(c, _)| {
                            fill_template(
                                include_str!("../../../sql/query/text_search_column.sql").trim(),
                                &[("column", &quote_ident(c))],
                            )
                        })
                        .collect();
                    let search = fill_template(
                        sql_body(include_str!("../../../sql/query/text_search.sql")),
                        &[("texts", &texts.join(", ")), ("needle", &quote_literal(f))],
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
    pub(super) fn view_rows(view: &ResultView) -> String {
        if Self::plain(view) {
            "perx_scratch.result".to_owned()
        } else {
            format!("({})", include_str!("../../../sql/query/view_rows.sql"))
        }
    }

    /// Rows of the view.
    fn result_rows(&self, view: &ResultView) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row(
                &include_str!("../../../sql/query/count.sql")
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
            include_str!("../../../sql/query/page.sql")
        } else {
            include_str!("../../../sql/query/view_page.sql")
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
            include_str!("../../../sql/query/result_rows.sql")
        } else {
            include_str!("../../../sql/query/view_rows.sql")
        };
        self.stream_rows(sql, sink)
    }

    /// The view's rows as a table expression in no particular order, for what counts or
    /// charts them: the result itself when nothing is filtered (a sort changes no row),
    /// else the rows of the view the grid made ([`Store::prepare_view`]), which is left
    /// as it is.
    pub(super) fn counted_rows(view: &ResultView) -> String {
        if view.filter.is_none() {
            "perx_scratch.result".to_owned()
        } else {
            Self::view_rows(view)
        }
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
        self.frequency_in(&Self::counted_rows(view), &quote_ident(name), limit)
    }

    /// The `limit` most frequent values of `column` (quoted) in `table`, and how many
    /// distinct values there are (NULL being one), in one grouping pass.
    pub(super) fn frequency_in(
        &self,
        table: &str,
        column: &str,
        limit: usize,
    ) -> Result<Frequency, QueryError> {
        let sql = fill_template(
            include_str!("../../../sql/query/frequency.sql"),
            &[("table", table), ("column", column)],
        );
        let mut stmt = self.conn().prepare(&sql).map_err(QueryError::sql)?;
        let mut rows = stmt.query([limit as i64]).map_err(QueryError::sql)?;
        let (mut values, mut groups) = (Vec::new(), 0);
        while let Some(r) = rows.next().map_err(QueryError::sql)? {
            let raw = r.get::<_, Value>(0).map_err(QueryError::sql)?;
            let n: i64 = r.get(1).map_err(QueryError::sql)?;
            groups = r.get::<_, i64>(3).map_err(QueryError::sql)?.max(0) as u64;
            values.push(FrequencyRow {
                literal: super::summary::literal_of(&raw),
                value: cell_of(raw),
                rows: n.max(0) as u64,
                pct: r.get(2).map_err(QueryError::sql)?,
            });
        }
        Ok(Frequency {
            values,
            distinct: groups,
        })
    }
}

#[cfg(test)]
mod tests {
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
            other
                .check_statement("select * from perx_scratch.result")
                .unwrap()
                .kind,
            StatementKind::Select
        );
    }
}
