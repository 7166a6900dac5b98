//! Parquet output of any row stream (`perx report … --format parquet`, `perx query … -o
//! x.parquet`, the Query tab's export): the rows are staged in a private in-memory DuckDB
//! as text, in Arrow batches, and written by DuckDB's own Parquet writer (compiled in)
//! with each column cast back to the type of its cells (integers, numbers, text,
//! booleans, dates, UTC timestamps, id lists as `BIGINT[]`). The file is made in a
//! temporary folder and its bytes copied to the writer, so a pipe, stdout or an
//! [`crate::atomic::AtomicFile`] all work.

use std::io::{self, Write};
use std::sync::Arc;

use duckdb::Connection;
use duckdb::arrow::array::{ArrayRef, StringArray};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use crate::report::output::cell_text;
use crate::report::{Cell, RowSink};

/// Rows staged per Arrow batch.
const BATCH: usize = 8192;

/// The type a column's cells have (its first non-NULL cell decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Text,
    Bool,
    Date,
    Timestamp,
    IdList,
}

impl Kind {
    fn of(c: &Cell) -> Option<Kind> {
        Some(match c {
            Cell::Null => return None,
            Cell::Int(_) => Kind::Int,
            Cell::Float(_) => Kind::Float,
            Cell::Text(_) => Kind::Text,
            Cell::Bool(_) => Kind::Bool,
            Cell::Date(_) => Kind::Date,
            Cell::Timestamp(_) => Kind::Timestamp,
            Cell::IdList(_) => Kind::IdList,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Kind::Int => "BIGINT",
            Kind::Float => "DOUBLE",
            Kind::Text => "VARCHAR",
            Kind::Bool => "BOOLEAN",
            Kind::Date => "DATE",
            Kind::Timestamp => "TIMESTAMP",
            Kind::IdList => "BIGINT[]",
        }
    }
}

/// A [`RowSink`] that writes Parquet to `out` at [`RowSink::end`].
pub struct ParquetSink<W: Write> {
    out: W,
    conn: Option<Connection>,
    columns: Vec<String>,
    kinds: Vec<Option<Kind>>,
    batch: Vec<Vec<Option<String>>>,
}

impl<W: Write> ParquetSink<W> {
    /// Parquet into `out`.
    pub fn new(out: W) -> Self {
        ParquetSink {
            out,
            conn: None,
            columns: Vec::new(),
            kinds: Vec::new(),
            batch: Vec::new(),
        }
    }

    fn conn(&self) -> io::Result<&Connection> {
        self.conn
            .as_ref()
            .ok_or_else(|| io::Error::other("Parquet output: rows before the columns (a bug)"))
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.batch);
        let fields: Vec<Field> = (0..self.columns.len())
            .map(|i| Field::new(format!("c{i}"), DataType::Utf8, true))
            .collect();
        let cols: Vec<ArrayRef> = (0..self.columns.len())
            .map(|i| {
                Arc::new(
                    rows.iter()
                        .map(|r| r[i].as_deref())
                        .collect::<StringArray>(),
                ) as ArrayRef
            })
            .collect();
        let batch =
            RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(io::Error::other)?;
        let mut app = self.conn()?.appender("staged").map_err(io::Error::other)?;
        app.append_record_batch(batch).map_err(io::Error::other)?;
        app.flush().map_err(io::Error::other)
    }
}

/// A cell as the staged text its column's type casts back from.
fn staged(c: &Cell) -> Option<String> {
    match c {
        Cell::Null => None,
        Cell::Timestamp(t) => Some(t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
        other => Some(cell_text(other)),
    }
}

impl<W: Write> RowSink for ParquetSink<W> {
    fn begin(&mut self, columns: &[&str]) -> io::Result<()> {
        let conn = Connection::open_in_memory().map_err(io::Error::other)?;
        let cols: Vec<String> = (0..columns.len())
            .map(|i| format!("c{i} VARCHAR"))
            .collect();
        conn.execute_batch(&format!(
            "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; \
             CREATE TABLE staged ({});",
            if cols.is_empty() {
                "c0 VARCHAR".to_owned()
            } else {
                cols.join(", ")
            }
        ))
        .map_err(io::Error::other)?;
        self.conn = Some(conn);
        self.columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.kinds = vec![None; columns.len()];
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        for (k, c) in self.kinds.iter_mut().zip(cells) {
            if k.is_none() {
                *k = Kind::of(c);
            }
        }
        let mut row: Vec<Option<String>> = cells.iter().map(staged).collect();
        row.resize(self.columns.len(), None);
        self.batch.push(row);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        self.flush()?;
        let select: Vec<String> = self
            .columns
            .iter()
            .zip(&self.kinds)
            .enumerate()
            .map(|(i, (name, kind))| {
                format!(
                    "CAST(c{i} AS {}) AS \"{}\"",
                    kind.map_or("VARCHAR", Kind::sql),
                    name.replace('"', "\"\"")
                )
            })
            .collect();
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("out.parquet");
        let path = file.to_string_lossy().replace('\'', "''");
        self.conn()?
            .execute_batch(&format!(
                "COPY (SELECT {} FROM staged) TO '{path}' (FORMAT parquet)",
                select.join(", ")
            ))
            .map_err(io::Error::other)?;
        let mut bytes = std::fs::File::open(&file)?;
        io::copy(&mut bytes, &mut self.out)?;
        self.out.flush()?;
        self.conn = None;
        Ok(())
    }
}
