//! Loading the HTTP log from its Avro form: one thread decodes Avro into Arrow batches,
//! this one appends them; the log's rejects (from the conversion's sidecar and from records
//! that fail the rules) stream into `load_reject`.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, TimestampMicrosecondBuilder, UInt64Builder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{Transaction, params};

use super::{
    LoadError, Preview, RejectSink, SourceReport, clear, file_name, forget_table, record_manifest,
};
use crate::avro::{self, HttpLogRecord};
use crate::core::Reject;
use crate::core::logline::{EventKind, canonical_number, check_user_id, classify_request};
use crate::hashing::HashingReader;
use crate::progress::{Progress, Unit};
use crate::store::SqlContext;

/// The table that stores the log (users query the view `http_log` over it).
const HTTP_LOG_TABLE: &str = "http_log_data";
/// The text of the rare lines whose ids are not plain numbers.
const HTTP_LOG_TEXT: &str = "http_log_text";
/// The name the log is known by in reports and summaries.
const HTTP_LOG_NAME: &str = "http_log";
/// Rows per Arrow batch handed to DuckDB: bounds memory whatever the log size.
const BATCH_ROWS: usize = 64 * 1024;

/// The log as it will be loaded.
pub(super) struct LogSource {
    /// `load_reject.source` / manifest name: the text file's name, or the Avro file's.
    pub(super) source: String,
    /// The file the user gave.
    pub(super) path: PathBuf,
    /// The Avro form's final name (shown, and recorded in the report).
    pub(super) avro: PathBuf,
    /// The Avro file read now: the staged conversion, or the Avro file given.
    pub(super) read_from: PathBuf,
    /// SHA-256 of the text log, when this load converted it.
    pub(super) sha256: Option<String>,
    /// Records the conversion wrote (for the progress bar).
    pub(super) expected: Option<u64>,
    pub(super) convert_seconds: f64,
}

fn http_log_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("line_no", DataType::Int64, false),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("item_id", DataType::Int64, false),
        Field::new("is_reward", DataType::Boolean, false),
        Field::new("user_num", DataType::UInt64, true),
    ]))
}

/// A line whose user id or path is not the plain spelling of its number: its text goes to
/// `http_log_text` (rare, so the main table holds no strings at all).
struct TextRow {
    line_no: i64,
    user_id: Option<String>,
    http_path: Option<String>,
}

/// Builds one Arrow batch of `http_log` rows.
struct BatchBuilder {
    schema: SchemaRef,
    line_no: Int64Builder,
    ts: TimestampMicrosecondBuilder,
    item: Int64Builder,
    is_reward: BooleanBuilder,
    user_num: UInt64Builder,
    texts: Vec<TextRow>,
    len: usize,
}

impl BatchBuilder {
    fn new(schema: SchemaRef) -> Self {
        let n = BATCH_ROWS;
        BatchBuilder {
            schema,
            line_no: Int64Builder::with_capacity(n),
            ts: TimestampMicrosecondBuilder::with_capacity(n),
            item: Int64Builder::with_capacity(n),
            is_reward: BooleanBuilder::with_capacity(n),
            user_num: UInt64Builder::with_capacity(n),
            texts: Vec::new(),
            len: 0,
        }
    }

    /// Adds a record, or says why it cannot be a row.
    fn push(&mut self, r: &HttpLogRecord) -> Result<(), String> {
        let (kind, item) = classify_request(&r.http_method, &r.http_path)
            .and_then(|k| check_user_id(&r.user_id).map(|()| k))
            .map_err(|e| format!("Avro record of line {}: {e}", r.line_no))?;
        if crate::core::timestamp::from_micros(r.timestamp).is_none() {
            return Err(format!(
                "timestamp-out-of-range: Avro record of line {}: timestamp {} µs is outside the accepted {}",
                r.line_no,
                r.timestamp,
                crate::core::timestamp::RANGE_TEXT
            ));
        }
        self.line_no.append_value(r.line_no);
        self.ts.append_value(r.timestamp);
        self.item.append_value(item);
        self.is_reward.append_value(kind == EventKind::Reward);
        let user_num = canonical_number(&r.user_id);
        self.user_num.append_option(user_num);
        let prefix = match kind {
            EventKind::View => "/campaigns/",
            EventKind::Reward => "/rewards/",
        };
        let canonical_path = r
            .http_path
            .strip_prefix(prefix)
            .and_then(canonical_number)
            .is_some();
        if user_num.is_none() || !canonical_path {
            self.texts.push(TextRow {
                line_no: r.line_no,
                user_id: user_num.is_none().then(|| r.user_id.clone()),
                http_path: (!canonical_path).then(|| r.http_path.clone()),
            });
        }
        self.len += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<Msg, duckdb::arrow::error::ArrowError> {
        self.len = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.line_no.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.item.finish()),
            Arc::new(self.is_reward.finish()),
            Arc::new(self.user_num.finish()),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), cols)?;
        Ok(Msg::Batch(batch, std::mem::take(&mut self.texts)))
    }
}

/// What the decoding thread sends to the appending one.
enum Msg {
    Batch(RecordBatch, Vec<TextRow>),
    Reject(Reject),
}

pub(super) fn load_log(
    tx: &Transaction<'_>,
    log: &LogSource,
    preview: &mut Preview<'_>,
    progress: &dyn Progress,
) -> Result<SourceReport, LoadError> {
    let started = Instant::now();
    // The log may have come from a file of another name last time (text vs Avro).
    forget_table(tx, HTTP_LOG_NAME)?;
    clear(tx, HTTP_LOG_TABLE, &log.source)?;
    clear(tx, HTTP_LOG_TEXT, &log.source)?;
    let (rows, rejected, sha) = append_log(
        tx,
        &Appending {
            read_from: &log.read_from,
            shown: &log.avro,
            source: &log.source,
            converted_now: log.sha256.is_some(),
            expected: log.expected,
        },
        preview,
        progress,
    )?;
    let report = SourceReport {
        source: log.source.clone(),
        table: HTTP_LOG_NAME,
        path: log.path.clone(),
        rows,
        rejected,
        sha256: log.sha256.clone().unwrap_or(sha),
        seconds: started.elapsed().as_secs_f64() + log.convert_seconds,
        unknown_columns: Vec::new(),
    };
    record_manifest(tx, &report)?;
    Ok(report)
}

/// An Avro form of log lines to append to the log's tables.
pub(crate) struct Appending<'a> {
    /// The Avro file read (a staged conversion, or a file given).
    pub(crate) read_from: &'a Path,
    /// Its name for people (its final name).
    pub(crate) shown: &'a Path,
    /// `load_reject.source` of its rejects.
    pub(crate) source: &'a str,
    /// Converted by this run (its rejects were shown while converting).
    pub(crate) converted_now: bool,
    /// Records expected (for the progress bar).
    pub(crate) expected: Option<u64>,
}

/// Appends the records of an Avro log file to `http_log_data` / `http_log_text` (the
/// records' `line_no` as they are), and its rejects (the conversion's sidecar, and records
/// that fail the rules) to `load_reject`: rows, rejects and the Avro file's SHA-256.
pub(crate) fn append_log(
    tx: &Transaction<'_>,
    log: &Appending<'_>,
    preview: &mut Preview<'_>,
    progress: &dyn Progress,
) -> Result<(u64, u64, String), LoadError> {
    progress.start(
        &format!("loading {} into http_log", file_name(log.shown)),
        log.expected,
        Unit::Rows,
    );

    // Rejects found when the text was converted (by this load or an earlier convert-log),
    // streamed from the sidecar; this load's own were shown while converting.
    let sidecar = avro::sidecar_path(log.read_from);
    let mut rejects = RejectSink::open(tx, log.source)?;
    if sidecar.is_file() {
        let converted_now = log.converted_now;
        avro::read_sidecar(&sidecar, &mut |r| -> Result<(), LoadError> {
            if converted_now {
                rejects.append(&r)?;
            } else {
                rejects.push(&r, preview)?;
            }
            Ok(())
        })?;
    }

    // Decode Avro and build Arrow batches on one thread, append on this one.
    let file = File::open(log.read_from).map_err(|source| LoadError::Io {
        path: log.shown.to_owned(),
        source,
    })?;
    let (send, recv) = sync_channel::<Msg>(2);
    let avro_path = log.shown.to_owned();
    // The decoder decodes Avro and builds Arrow batches; this thread appends them.
    // (Records stay on the thread that allocated them: handing them over to be freed here
    // made the allocator the bottleneck.) The appender owns the receiver, so an append error
    // stops the decoder at its next send.
    let (decoded, appended) = crate::pipeline::side_by_side(
        move || -> Result<String, LoadError> {
            let mut reader = HashingReader::new(BufReader::with_capacity(1 << 20, file));
            let records = avro::open_reader(&mut reader, &avro_path)?;
            let mut batch = BatchBuilder::new(http_log_schema());
            for rec in records {
                let rec = rec?;
                if let Err(reason) = batch.push(&rec) {
                    let reject = Reject {
                        line_no: rec.line_no.max(0) as u64,
                        reason,
                        raw: format!(
                            "{} {} {} {}",
                            rec.timestamp, rec.http_method, rec.http_path, rec.user_id
                        ),
                    };
                    if send.send(Msg::Reject(reject)).is_err() {
                        break;
                    }
                }
                if batch.len == BATCH_ROWS {
                    let b = batch.finish().map_err(arrow_err(&avro_path))?;
                    if send.send(b).is_err() {
                        break;
                    }
                }
            }
            if batch.len > 0 {
                let b = batch.finish().map_err(arrow_err(&avro_path))?;
                let _ = send.send(b);
            }
            drop(send);
            let (sha, _) = reader.finish().map_err(|source| LoadError::Io {
                path: avro_path.clone(),
                source,
            })?;
            Ok(sha)
        },
        || -> Result<u64, LoadError> {
            let mut app = tx.appender(HTTP_LOG_TABLE).ctx("opening http_log_data")?;
            let mut text_app = tx.appender(HTTP_LOG_TEXT).ctx("opening http_log_text")?;
            let mut rows = 0u64;
            for msg in recv {
                match msg {
                    Msg::Batch(b, texts) => {
                        let n = b.num_rows() as u64;
                        app.append_record_batch(b).ctx("writing http_log")?;
                        for t in texts {
                            text_app
                                .append_row(params![t.line_no, t.user_id, t.http_path])
                                .ctx("writing http_log_text")?;
                        }
                        rows += n;
                        progress.advance(n);
                    }
                    Msg::Reject(r) => rejects.push(&r, preview)?,
                }
            }
            app.flush().ctx("writing http_log")?;
            text_app.flush().ctx("writing http_log_text")?;
            Ok(rows)
        },
    );
    // An append error is the cause when both failed.
    let rows = appended?;
    let sha = decoded?;
    let rejected = rejects.finish()?;
    progress.finish();
    Ok((rows, rejected, sha))
}

fn arrow_err(path: &Path) -> impl Fn(duckdb::arrow::error::ArrowError) -> LoadError + '_ {
    move |e| LoadError::Io {
        path: path.to_owned(),
        source: io::Error::other(e),
    }
}
