//! Writing report rows as CSV, JSON or a terminal table, streaming where the format allows.
//!
//! CSV cells that a spreadsheet would run as a formula (text starting with `=`, `+`, `-` or
//! `@` that is not a number) are prefixed with `'`. Numbers, dates and id lists are written
//! as they are.

use std::io::{self, Write};

use chrono::SecondsFormat;
use comfy_table::{CellAlignment, Table, presets::UTF8_BORDERS_ONLY};

use super::{Cell, RowSink};

/// How a cell reads in CSV and tables.
pub fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Null => String::new(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => f.to_string(),
        Cell::Text(s) => s.clone(),
        Cell::Bool(b) => b.to_string(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Timestamp(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        Cell::IdList(ids) => id_list(ids),
    }
}

/// An id list as the reports write it: `[11,3602]`, `[]`.
pub fn id_list(ids: &[i64]) -> String {
    let inner: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", inner.join(","))
}

/// Defuses spreadsheet formulas in a text cell.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@']);
    if risky && s.parse::<f64>().is_err() {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// Keeps the kind of an I/O error the CSV writer hit (a broken pipe stays a broken pipe).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("CSV: {other:?}")),
    }
}

/// CSV with a header row.
pub struct CsvSink<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    /// Writes to `w`.
    pub fn new(w: W) -> Self {
        CsvSink {
            w: csv::Writer::from_writer(w),
        }
    }
}

impl<W: Write> RowSink for CsvSink<W> {
    fn begin(&mut self, columns: &[&str]) -> io::Result<()> {
        self.w.write_record(columns).map_err(csv_io)
    }
    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        for c in cells {
            let text = cell_text(c);
            let field = match c {
                Cell::Text(_) => neutralise(&text).into_owned(),
                _ => text,
            };
            self.w.write_field(field).map_err(csv_io)?;
        }
        self.w.write_record(None::<&[u8]>).map_err(csv_io)
    }
    fn end(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// A JSON array of objects, written as rows arrive.
pub struct JsonSink<W: Write> {
    w: W,
    columns: Vec<String>,
    rows: u64,
}

impl<W: Write> JsonSink<W> {
    /// Writes to `w`.
    pub fn new(w: W) -> Self {
        JsonSink {
            w,
            columns: Vec::new(),
            rows: 0,
        }
    }
}

fn json_value(c: &Cell) -> serde_json::Value {
    use serde_json::Value as J;
    match c {
        Cell::Null => J::Null,
        Cell::Int(i) => J::from(*i),
        Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Cell::Bool(b) => J::Bool(*b),
        Cell::IdList(ids) => J::from(ids.clone()),
        other => J::String(cell_text(other)),
    }
}

impl<W: Write> RowSink for JsonSink<W> {
    fn begin(&mut self, columns: &[&str]) -> io::Result<()> {
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        self.w.write_all(b"[")
    }
    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        let obj: serde_json::Map<String, serde_json::Value> = self
            .columns
            .iter()
            .zip(cells)
            .map(|(k, v)| (k.clone(), json_value(v)))
            .collect();
        if self.rows > 0 {
            self.w.write_all(b",")?;
        }
        self.w.write_all(b"\n  ")?;
        serde_json::to_writer(&mut self.w, &obj)?;
        self.rows += 1;
        Ok(())
    }
    fn end(&mut self) -> io::Result<()> {
        self.w
            .write_all(if self.rows > 0 { b"\n]\n" } else { b"]\n" })?;
        self.w.flush()
    }
}

/// A table for people; collects rows, draws at the end.
pub struct TableSink<W: Write> {
    w: W,
    table: Table,
    numeric: Vec<bool>,
}

impl<W: Write> TableSink<W> {
    /// Writes to `w`.
    pub fn new(w: W) -> Self {
        let mut table = Table::new();
        table.load_style(UTF8_BORDERS_ONLY);
        TableSink {
            w,
            table,
            numeric: Vec::new(),
        }
    }
}

impl<W: Write> RowSink for TableSink<W> {
    fn begin(&mut self, columns: &[&str]) -> io::Result<()> {
        self.table.set_header(columns.to_vec());
        self.numeric = vec![true; columns.len()];
        Ok(())
    }
    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        for (i, c) in cells.iter().enumerate() {
            let numeric = matches!(c, Cell::Int(_) | Cell::Float(_) | Cell::Null);
            if let (false, Some(n)) = (numeric, self.numeric.get_mut(i)) {
                *n = false;
            }
        }
        self.table
            .add_row(cells.iter().map(cell_text).collect::<Vec<_>>());
        Ok(())
    }
    fn end(&mut self) -> io::Result<()> {
        for (i, numeric) in self.numeric.iter().enumerate() {
            if let (true, Some(col)) = (*numeric, self.table.column_mut(i)) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        writeln!(self.w, "{}", self.table)?;
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(cells: &[Cell]) -> String {
        let mut out = Vec::new();
        let mut s = CsvSink::new(&mut out);
        s.begin(&["a"; 8][..cells.len()]).unwrap();
        s.row(cells).unwrap();
        s.end().unwrap();
        drop(s);
        String::from_utf8(out)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_owned()
    }

    #[test]
    fn csv_neutralises_formulas_but_not_numbers() {
        assert_eq!(csv_of(&[Cell::Text("=cmd()".into())]), "'=cmd()");
        assert_eq!(csv_of(&[Cell::Text("@SUM(A1)".into())]), "'@SUM(A1)");
        assert_eq!(csv_of(&[Cell::Text("-57.14".into())]), "-57.14");
        assert_eq!(csv_of(&[Cell::Float(-57.14)]), "-57.14");
        assert_eq!(csv_of(&[Cell::Text("My Reward".into())]), "My Reward");
    }

    #[test]
    fn csv_writes_lists_as_json_arrays_and_nulls_empty() {
        assert_eq!(
            csv_of(&[
                Cell::IdList(vec![11, 3602]),
                Cell::IdList(vec![]),
                Cell::Null
            ]),
            "\"[11,3602]\",[],"
        );
    }

    #[test]
    fn json_is_an_array_of_objects_with_typed_values() {
        let mut out = Vec::new();
        let mut s = JsonSink::new(&mut out);
        s.begin(&["n", "ids", "pct"]).unwrap();
        s.row(&[Cell::Int(3), Cell::IdList(vec![1]), Cell::Null])
            .unwrap();
        s.end().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, serde_json::json!([{"n": 3, "ids": [1], "pct": null}]));
        let mut empty = Vec::new();
        let mut s = JsonSink::new(&mut empty);
        s.begin(&["n"]).unwrap();
        s.end().unwrap();
        assert_eq!(String::from_utf8(empty).unwrap(), "[]\n");
    }
}
