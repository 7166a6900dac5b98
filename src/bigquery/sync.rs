//! `perx sync bigquery`: the platform tables pushed to one BigQuery dataset. The four CSV
//! tables go up as newline-delimited JSON with schemas derived from the DuckDB tables; the
//! HTTP log goes up as the Avro file `perx load` / `perx convert-log` made, logical types
//! on, then each ingest batch's archive files by increments ([`sync_log`]). Each CSV table
//! is a WRITE_TRUNCATE load, so a rerun never duplicates rows; a table whose local data
//! have not changed since it was last synced is skipped, so a rerun after a failure resumes
//! with the table that failed.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::BigQueryError;
use super::client::{Client, Field, LoadTarget, SourceFormat};
use crate::progress::Progress;
use crate::store::Store;
use crate::store::export::{Column, EXPORTABLE};

/// The name of the log's table, locally (a view) and in BigQuery.
pub const HTTP_LOG: &str = "http_log";

/// Every table a sync can push, in push order.
pub const TABLES: [&str; 5] = [
    EXPORTABLE[0],
    EXPORTABLE[1],
    EXPORTABLE[2],
    EXPORTABLE[3],
    HTTP_LOG,
];

/// What to push where.
#[derive(Debug, Clone)]
pub struct SyncPlan {
    /// The dataset.
    pub dataset: String,
    /// Its location when it has to be created.
    pub location: String,
    /// Tables to push (names from [`TABLES`]).
    pub tables: Vec<String>,
    /// The log's Avro file.
    pub avro: Option<PathBuf>,
    /// Push even tables already synced with the same data.
    pub force: bool,
}

/// What happened to one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Synced {
    /// The table.
    pub table: String,
    /// Rows locally.
    pub local_rows: u64,
    /// Rows BigQuery loaded (equal to `local_rows`, or the sync fails).
    pub remote_rows: u64,
    /// Bytes uploaded (0 when skipped).
    pub bytes: u64,
    /// Seconds it took, all in.
    pub seconds: f64,
    /// Of which re-encoding the log's Avro file (zstandard → snappy).
    pub reencode_seconds: f64,
    /// Skipped: already synced with these data.
    pub skipped: bool,
}

/// A sync stopped at `table`; the tables before it were pushed and stay.
#[derive(Debug, thiserror::Error)]
#[error("syncing table {table} failed (tables synced before it are in place; rerun to resume)")]
pub struct SyncError {
    /// The table that failed.
    pub table: String,
    /// Tables pushed before it.
    pub done: Vec<Synced>,
    /// Why.
    #[source]
    pub source: Box<BigQueryError>,
}

/// The BigQuery column of a DuckDB column.
pub fn bigquery_field(c: &Column) -> Field {
    let t = c.duck_type.to_uppercase();
    let kind = if t.starts_with("TIMESTAMP") {
        "TIMESTAMP"
    } else if t.contains("INT") {
        "INT64"
    } else if t == "BOOLEAN" {
        "BOOL"
    } else if t == "DOUBLE" || t == "FLOAT" || t == "REAL" {
        "FLOAT64"
    } else if t == "DATE" {
        "DATE"
    } else {
        "STRING"
    };
    Field {
        name: c.name.clone(),
        kind: kind.into(),
        required: !c.nullable,
    }
}

/// The log's BigQuery schema: the fields of `schemas/http_log.avsc`.
pub fn http_log_fields() -> Vec<Field> {
    let f = |name: &str, kind: &str| Field {
        name: name.into(),
        kind: kind.into(),
        required: true,
    };
    vec![
        f("line_no", "INT64"),
        f("timestamp", "TIMESTAMP"),
        f("http_method", "STRING"),
        f("http_path", "STRING"),
        f("user_id", "STRING"),
    ]
}

/// Pushes the tables of `plan`; `each` hears about every table as it finishes.
pub fn sync(
    client: &Client,
    store: &Store,
    plan: &SyncPlan,
    progress: &dyn Progress,
    each: &mut dyn FnMut(&Synced),
) -> Result<Vec<Synced>, SyncError> {
    let mut done: Vec<Synced> = Vec::new();
    let destination = format!("{}.{}", client.project(), plan.dataset);
    let fail = |table: &str, done: &[Synced], source: BigQueryError| SyncError {
        table: table.to_owned(),
        done: done.to_vec(),
        source: Box::new(source),
    };
    let ready = super::client::check_dataset(&plan.dataset)
        .and_then(|()| client.ensure_dataset(&plan.dataset, &plan.location));
    if let Err(e) = ready {
        let first = plan.tables.first().cloned().unwrap_or_default();
        return Err(fail(&first, &done, e));
    }
    let counts = store
        .table_counts()
        .map_err(|e| fail("(counting local rows)", &done, e.into()))?;
    for table in &plan.tables {
        let started = Instant::now();
        let local_rows = counts
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n);
        let result = (|| -> Result<Synced, BigQueryError> {
            if table == HTTP_LOG {
                return sync_log(client, store, plan, &destination, local_rows, progress);
            }
            let fingerprint = format!("{}#{local_rows}", store.table_fingerprint(table)?);
            let unchanged =
                store.synced_fingerprint(&destination, table)?.as_deref() == Some(&fingerprint);
            if unchanged && !plan.force {
                let remote = client.table_rows(&plan.dataset, table)?;
                if remote == Some(local_rows) {
                    return Ok(Synced {
                        table: table.clone(),
                        local_rows,
                        remote_rows: local_rows,
                        bytes: 0,
                        seconds: started.elapsed().as_secs_f64(),
                        reencode_seconds: 0.0,
                        skipped: true,
                    });
                }
            }
            let fields: Vec<Field> = store
                .table_columns(table)?
                .iter()
                .map(bigquery_field)
                .collect();
            let tmp = temp_file()?;
            let path = tmp.path().to_owned();
            write_json(store, table, &path)?;
            let format = SourceFormat::NdJson;
            client.ensure_table(&plan.dataset, table, &fields)?;
            let (mut reader, size) = open(&path)?;
            let target = LoadTarget {
                dataset: &plan.dataset,
                table,
                format,
                fields: &fields,
                append: false,
            };
            let remote_rows = client.load(&target, &mut reader, size, progress)?;
            if remote_rows != local_rows {
                return Err(BigQueryError::Job {
                    what: format!("loading {}.{table}", plan.dataset),
                    message: format!(
                        "BigQuery loaded {remote_rows} rows, the local table has {local_rows}"
                    ),
                });
            }
            store.record_sync(&destination, table, &fingerprint, local_rows)?;
            Ok(Synced {
                table: table.clone(),
                local_rows,
                remote_rows,
                bytes: size,
                seconds: started.elapsed().as_secs_f64(),
                reencode_seconds: 0.0,
                skipped: false,
            })
        })();
        match result {
            Ok(s) => {
                each(&s);
                done.push(s);
            }
            Err(e) => return Err(fail(table, &done, e)),
        }
    }
    Ok(done)
}

/// The log, pushed by increments: the Avro copy `perx load` made replaces the table
/// (WRITE_TRUNCATE) when the load changed since the last sync (or the table is missing, or
/// `force`), and every ingest batch's archive files not sent yet are added to it
/// (WRITE_APPEND), each recorded in `bq_sync_state` as `http_log#FILE`; after a new load,
/// the table is replaced and every batch sent again. The table is created partitioned by
/// day on `timestamp` and clustered by `user_id`. Each load job must report the rows of its
/// piece, and the table the local rows at the end.
fn sync_log(
    client: &Client,
    store: &Store,
    plan: &SyncPlan,
    destination: &str,
    local_rows: u64,
    progress: &dyn Progress,
) -> Result<Synced, BigQueryError> {
    let started = Instant::now();
    let fields = http_log_fields();
    let remote = client.table_rows(&plan.dataset, HTTP_LOG)?;
    client.ensure_partitioned_table(&plan.dataset, HTTP_LOG, &fields, "timestamp", &["user_id"])?;
    let base_fp = store.table_fingerprint(HTTP_LOG)?;
    let base_rows = store.loaded_log_rows()?;
    let replace = plan.force
        || remote.is_none()
        || store.synced_fingerprint(destination, HTTP_LOG)?.as_deref() != Some(base_fp.as_str());
    let batch_key = |p: &Path| {
        format!(
            "{HTTP_LOG}#{}",
            p.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        )
    };
    // (state key, fingerprint, Avro file, rows), in the order to send.
    let mut pieces: Vec<(String, String, PathBuf, u64)> = Vec::new();
    if replace {
        store.forget_syncs_like(destination, &format!("{HTTP_LOG}#%"))?;
        if let Some(rows) = base_rows {
            let avro = plan.avro.clone().ok_or_else(|| {
                BigQueryError::Input(
                    "no Avro file of the log to upload: pass --avro FILE (made by `perx load` \
                     beside the database, or by `perx convert-log`)"
                        .into(),
                )
            })?;
            pieces.push((HTTP_LOG.to_owned(), base_fp.clone(), avro, rows));
        }
    }
    for (avro, rows) in store.ingest_archive()? {
        let path = PathBuf::from(avro);
        let key = batch_key(&path);
        if replace || store.synced_fingerprint(destination, &key)?.is_none() {
            pieces.push((key, rows.to_string(), path, rows));
        }
    }
    let mut bytes = 0u64;
    let mut reencode_seconds = 0.0;
    // The rows the table holds after each piece: a replacement's first piece starts anew.
    let mut total = if replace { 0 } else { remote.unwrap_or(0) };
    for (i, (key, fingerprint, avro, rows)) in pieces.iter().enumerate() {
        let (path, _tmp) = readable_avro(avro, progress, &mut reencode_seconds)?;
        let (mut reader, size) = open(&path)?;
        let target = LoadTarget {
            dataset: &plan.dataset,
            table: HTTP_LOG,
            format: SourceFormat::Avro,
            fields: &fields,
            // The first piece of a replacement replaces; the others add.
            append: !(replace && i == 0),
        };
        client.load(&target, &mut reader, size, progress)?;
        // What a load job reports differs between BigQuery (the job's rows) and emulators
        // (the table's): the table's count after the job is what is checked.
        total += rows;
        let now = client.table_rows(&plan.dataset, HTTP_LOG)?.unwrap_or(0);
        if now != total {
            return Err(BigQueryError::Job {
                what: format!(
                    "loading {}.{HTTP_LOG} from {}",
                    plan.dataset,
                    avro.display()
                ),
                message: format!(
                    "the table holds {now} rows after it, {total} were expected ({rows} from the file)"
                ),
            });
        }
        store.record_sync(destination, key, fingerprint, *rows)?;
        bytes += size;
    }
    if replace && base_rows.is_none() {
        // Only ingests: the table was replaced by the first batch (or stays as it was
        // when there is none); remember the load it goes with.
        store.record_sync(destination, HTTP_LOG, &base_fp, 0)?;
    }
    let remote_rows = client.table_rows(&plan.dataset, HTTP_LOG)?.unwrap_or(0);
    if remote_rows != local_rows {
        return Err(BigQueryError::Job {
            what: format!("syncing {}.{HTTP_LOG}", plan.dataset),
            message: format!(
                "BigQuery holds {remote_rows} rows, the local log {local_rows}: run `perx sync bigquery --force` to send it all again"
            ),
        });
    }
    Ok(Synced {
        table: HTTP_LOG.to_owned(),
        local_rows,
        remote_rows,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        reencode_seconds,
        skipped: pieces.is_empty(),
    })
}

/// `avro` as BigQuery reads it: itself, or re-encoded with snappy into a temporary file
/// when its blocks are zstandard (adding the time taken to `seconds`).
fn readable_avro(
    avro: &Path,
    progress: &dyn Progress,
    seconds: &mut f64,
) -> Result<(PathBuf, Option<tempfile::NamedTempFile>), BigQueryError> {
    let codec = crate::avro::codec_name(avro).map_err(|e| BigQueryError::Input(e.to_string()))?;
    if READABLE_CODECS.contains(&codec.as_str()) {
        return Ok((avro.to_owned(), None));
    }
    let tmp = temp_file()?;
    let path = tmp.path().to_owned();
    let t = Instant::now();
    crate::avro::transcode(avro, &path, crate::avro::AvroCodec::Snappy, progress)
        .map_err(|e| BigQueryError::Input(e.to_string()))?;
    *seconds += t.elapsed().as_secs_f64();
    Ok((path, Some(tmp)))
}

/// Avro block codecs BigQuery's loader documents.
const READABLE_CODECS: [&str; 3] = ["null", "deflate", "snappy"];

fn temp_file() -> Result<tempfile::NamedTempFile, BigQueryError> {
    tempfile::NamedTempFile::new().map_err(|source| BigQueryError::Io {
        path: std::env::temp_dir(),
        source,
    })
}

fn write_json(store: &Store, table: &str, path: &Path) -> Result<(), BigQueryError> {
    let io = |source| BigQueryError::Io {
        path: path.to_owned(),
        source,
    };
    let mut out = BufWriter::new(File::create(path).map_err(io)?);
    store.write_ndjson(table, &mut out)?;
    out.flush().map_err(io)
}

fn open(path: &Path) -> Result<(BufReader<File>, u64), BigQueryError> {
    let io = |source| BigQueryError::Io {
        path: path.to_owned(),
        source,
    };
    let mut f = File::open(path).map_err(io)?;
    let size = f.seek(std::io::SeekFrom::End(0)).map_err(io)?;
    f.rewind().map_err(io)?;
    Ok((BufReader::with_capacity(1 << 20, f), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duckdb_types_map_to_bigquery_types() {
        let c = |t: &str, nullable| Column {
            name: "c".into(),
            duck_type: t.into(),
            nullable,
        };
        assert_eq!(bigquery_field(&c("BIGINT", false)).kind, "INT64");
        assert!(bigquery_field(&c("BIGINT", false)).required);
        assert_eq!(bigquery_field(&c("TIMESTAMP", true)).kind, "TIMESTAMP");
        assert!(!bigquery_field(&c("TIMESTAMP", true)).required);
        assert_eq!(bigquery_field(&c("VARCHAR", true)).kind, "STRING");
        assert_eq!(bigquery_field(&c("BOOLEAN", true)).kind, "BOOL");
        assert_eq!(bigquery_field(&c("DOUBLE", true)).kind, "FLOAT64");
    }
}
