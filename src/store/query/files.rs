//! Files opened as views of the SQL console (`perx FILE`, `perx query --open FILE`): a
//! CSV, Parquet or JSON file becomes a temporary view over DuckDB's reader of it
//! (`read_csv`, `read_parquet`, `read_json`, written for the user), named after the file;
//! an Avro file is converted to Parquet first (DuckDB's Avro reader is an extension that
//! cannot be downloaded here), through the same typed Parquet writer as the exports.

use std::path::Path;

use super::values::{quote_ident, quote_literal};
use super::{QueryError, Store, perx_owned};

/// A file as the console opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileView {
    /// The view's name: the file's stem, in lower case, letters, digits and `_`.
    pub name: String,
    /// The statement that makes the view.
    pub create: String,
    /// A statement that shows it.
    pub select: String,
}

/// How perx reads a file, from its extension.
fn reader(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    // A compressed CSV or JSON (x.csv.gz) is named by the extension before .gz/.zst.
    let ext = if matches!(ext.as_str(), "gz" | "zst") {
        Path::new(path.file_stem()?)
            .extension()?
            .to_str()?
            .to_ascii_lowercase()
    } else {
        ext
    };
    Some(match ext.as_str() {
        "csv" | "tsv" | "txt" => "read_csv",
        "parquet" | "pq" => "read_parquet",
        "json" | "jsonl" | "ndjson" => "read_json",
        "avro" => "avro",
        _ => return None,
    })
}

/// The view's name for `path`: its stem (before any extension), lower case, other
/// characters as `_`, never a table perx owns (`campaign.csv` is `campaign_file`).
fn view_name(path: &Path) -> String {
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.split('.').next().unwrap_or(n))
        .unwrap_or("file");
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "file_");
    }
    if perx_owned(&name) {
        name.push_str("_file");
    }
    name
}

/// The view of a file read by DuckDB's `reader` (`read_csv`, …), or over `parquet` for a
/// converted Avro file.
fn view_over(name: &str, reader: &str, path: &Path) -> FileView {
    let quoted = quote_ident(name);
    FileView {
        name: name.to_owned(),
        create: format!(
            "CREATE OR REPLACE TEMP VIEW {quoted} AS SELECT * FROM {reader}({})",
            quote_literal(&path.to_string_lossy())
        ),
        select: format!("SELECT * FROM {quoted}"),
    }
}

impl Store {
    /// Makes `path` a temporary view of this connection (the console's session) and returns
    /// it. An Avro file is converted to Parquet in `scratch` (a folder that lives as long
    /// as the session) first.
    pub fn open_file(&self, path: &Path, scratch: &Path) -> Result<FileView, QueryError> {
        let meta = std::fs::metadata(path)
            .map_err(|e| QueryError::Statements(format!("{}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(QueryError::Statements(format!(
                "{}: not a file (give a .csv, .parquet, .json or .avro file)",
                path.display()
            )));
        }
        let Some(reader) = reader(path) else {
            return Err(QueryError::Statements(format!(
                "{}: perx opens .csv/.tsv, .parquet, .json/.jsonl and .avro files \
                 (.gz or .zst compressed CSV and JSON too); name the file with one of \
                 those extensions, or query it with read_csv(…) yourself",
                path.display()
            )));
        };
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let name = view_name(path);
        let view = if reader == "avro" {
            let parquet = scratch.join(format!("{name}.parquet"));
            avro_to_parquet(&absolute, &parquet)
                .map_err(|e| QueryError::Statements(format!("{}: {e}", path.display())))?;
            view_over(&name, "read_parquet", &parquet)
        } else {
            view_over(&name, reader, &absolute)
        };
        self.conn()
            .execute_batch(&view.create)
            .map_err(QueryError::sql)?;
        Ok(view)
    }
}

/// The scratch folder of opened Avro files: a temporary folder removed when dropped.
pub fn scratch_dir() -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix("perx-open").tempdir()
}

/// The cell of an Avro value: numbers, text, booleans, dates and timestamps as such, a
/// union as its branch, anything else (bytes, arrays, maps, records) as text.
fn avro_cell(v: &apache_avro::types::Value) -> crate::report::Cell {
    use crate::report::Cell;
    use apache_avro::types::Value as V;
    let at =
        |us: i64| crate::core::timestamp::from_micros(us).map_or(Cell::Int(us), Cell::Timestamp);
    match v {
        V::Null => Cell::Null,
        V::Boolean(b) => Cell::Bool(*b),
        V::Int(n) => Cell::Int(i64::from(*n)),
        V::Long(n) => Cell::Int(*n),
        V::Float(f) => Cell::Float(f64::from(*f)),
        V::Double(f) => Cell::Float(*f),
        V::String(s) | V::Enum(_, s) => Cell::Text(s.clone()),
        V::Uuid(u) => Cell::Text(u.to_string()),
        V::Date(d) => chrono::NaiveDate::from_num_days_from_ce_opt(d + 719_163)
            .map_or(Cell::Int(i64::from(*d)), Cell::Date),
        V::TimestampMicros(us) | V::LocalTimestampMicros(us) => at(*us),
        V::TimestampMillis(ms) | V::LocalTimestampMillis(ms) => at(ms.saturating_mul(1000)),
        V::Union(_, inner) => avro_cell(inner),
        other => Cell::Text(format!("{other:?}")),
    }
}

/// Converts an Avro file of records to Parquet at `out` (the columns of its schema's
/// record, typed as their values).
fn avro_to_parquet(path: &Path, out: &Path) -> std::io::Result<()> {
    use crate::report::RowSink;
    use apache_avro::types::Value as V;
    crate::limits::apply_library_limits();
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let reader = apache_avro::Reader::new(file).map_err(std::io::Error::other)?;
    let columns: Vec<String> = match reader.writer_schema() {
        apache_avro::Schema::Record(r) => r.fields.iter().map(|f| f.name.clone()).collect(),
        _ => {
            return Err(std::io::Error::other(
                "its schema is not a record: perx opens Avro files of records",
            ));
        }
    };
    let mut file = crate::atomic::AtomicFile::create(out)?;
    {
        let mut sink = crate::store::parquet::ParquetSink::new(&mut file);
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        sink.begin(&names)?;
        for value in reader {
            let value = value.map_err(std::io::Error::other)?;
            let V::Record(fields) = value else {
                return Err(std::io::Error::other("a value that is not a record"));
            };
            let cells: Vec<crate::report::Cell> =
                fields.iter().map(|(_, v)| avro_cell(v)).collect();
            sink.row(&cells)?;
        }
        sink.end()?;
    }
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_readers_come_from_the_file_name() {
        assert_eq!(view_name(Path::new("/x/Sales 2024.csv")), "sales_2024");
        assert_eq!(view_name(Path::new("campaign.csv")), "campaign_file");
        assert_eq!(view_name(Path::new("2024.parquet")), "file_2024");
        assert_eq!(reader(Path::new("a.CSV")), Some("read_csv"));
        assert_eq!(reader(Path::new("a.json.gz")), Some("read_json"));
        assert_eq!(reader(Path::new("a.parquet")), Some("read_parquet"));
        assert_eq!(reader(Path::new("a.avro")), Some("avro"));
        assert_eq!(reader(Path::new("a.xlsx")), None);
        let v = view_over("it's", "read_csv", Path::new("/tmp/o'k.csv"));
        assert_eq!(
            v.create,
            "CREATE OR REPLACE TEMP VIEW \"it's\" AS SELECT * FROM read_csv('/tmp/o''k.csv')"
        );
    }
}
