//! Loading one CSV export: header mapping, typed cells, rejects streamed to `load_reject`.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

use duckdb::types::{TimeUnit as DuckTimeUnit, Value};
use duckdb::{Transaction, appender_params_from_iter};

use super::{LoadError, Preview, RejectSink, SourceReport, clear, record_manifest};
use crate::core::Reject;
use crate::core::records::{Cell, CsvSource, HeaderMap};
use crate::hashing::HashingReader;
use crate::limits::{LineCap, MAX_CSV_LINE_BYTES};
use crate::progress::{Progress, Unit};
use crate::store::SqlContext;

pub(super) fn load_csv(
    tx: &Transaction<'_>,
    source: CsvSource,
    path: &Path,
    preview: &mut Preview<'_>,
    progress: &dyn Progress,
) -> Result<SourceReport, LoadError> {
    let started = Instant::now();
    let name = source.file_name().to_owned();
    let io_err = |source| LoadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    progress.start(
        &format!("loading {name}"),
        file.metadata().ok().map(|m| m.len()),
        Unit::Bytes,
    );
    // A giant line stops the load with its number instead of filling memory.
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(LineCap::new(
            HashingReader::new(BufReader::new(file)),
            MAX_CSV_LINE_BYTES,
        ));
    let header = rdr.byte_headers().map_err(|e| LoadError::Csv {
        path: path.to_owned(),
        line: 1,
        source: e,
    })?;
    let header_text: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let map = HeaderMap::new(source, header_text.iter().map(String::as_str)).map_err(|e| {
        LoadError::Header {
            path: path.to_owned(),
            problem: e.to_string(),
        }
    })?;
    let width = header_text.len();

    clear(tx, source.table(), &name)?;
    let mut rejects = RejectSink::open(tx, &name)?;
    let mut rows = 0u64;
    {
        let mut app = tx
            .appender(source.table())
            .ctx(format!("opening {}", source.table()))?;
        let mut rec = csv::ByteRecord::new();
        let mut last_bytes = 0;
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    // A broken quote or an I/O error: nothing after it can be trusted.
                    return Err(LoadError::Csv {
                        path: path.to_owned(),
                        line,
                        source: e,
                    });
                }
            }
            let line = rec.position().map_or(0, |p| p.line());
            let raw = rec
                .iter()
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(",");
            let reject = |reason: String| Reject {
                line_no: line,
                reason,
                raw: raw.clone(),
            };
            let fields: Result<Vec<&str>, _> = rec.iter().map(std::str::from_utf8).collect();
            let cells = match fields {
                Err(_) => Err(reject("line is not valid UTF-8".into())),
                Ok(f) if f.len() != width => Err(reject(format!(
                    "expected {width} fields like the header, found {}",
                    f.len()
                ))),
                Ok(f) => map.parse(&f).map_err(|e| reject(e.to_string())),
            };
            match cells {
                Ok(cells) => {
                    let values = std::iter::once(Value::BigInt(line as i64))
                        .chain(cells.into_iter().map(to_value));
                    app.append_row(appender_params_from_iter(values))
                        .ctx(format!("{}:{line}: writing row", path.display()))?;
                    rows += 1;
                }
                Err(r) => rejects.push(&r, preview)?,
            }
            let read = rdr.get_ref().get_ref().bytes();
            progress.advance(read - last_bytes);
            last_bytes = read;
        }
        app.flush().ctx(format!("writing {}", source.table()))?;
    }
    let rejected = rejects.finish()?;
    let (sha256, _) = rdr.into_inner().into_inner().finish().map_err(io_err)?;
    progress.finish();
    let report = SourceReport {
        source: name,
        table: source.table(),
        path: path.to_owned(),
        rows,
        rejected,
        sha256,
        seconds: started.elapsed().as_secs_f64(),
        unknown_columns: map.unknown.clone(),
    };
    record_manifest(tx, &report)?;
    Ok(report)
}

fn to_value(c: Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(i) => Value::BigInt(i),
        Cell::Text(s) => Value::Text(s),
        Cell::Timestamp(t) => Value::Timestamp(DuckTimeUnit::Microsecond, t.timestamp_micros()),
    }
}
