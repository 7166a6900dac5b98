//! Loading a data directory into the store: CSV exports, and the HTTP log through its Avro
//! form.
//!
//! One load is one transaction: every table whose file is present is emptied and refilled,
//! so loading the same files twice gives the same rows and an interrupted load leaves the
//! previous contents. Every input line ends in its table or in `load_reject`; loaded rows that
//! break an integrity rule are listed in `load_warning`.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use duckdb::appender_params_from_iter;
use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, TimestampMicrosecondBuilder, UInt64Builder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::{TimeUnit as DuckTimeUnit, Value};
use duckdb::{Transaction, params};

use super::{SqlContext, Store, StoreError, query_all};
use crate::avro::{self, AvroCodec, AvroError, HttpLogRecord};
use crate::core::Reject;
use crate::core::logline::{EventKind, canonical_number, check_user_id, classify_request};
use crate::core::records::{Cell, CsvSource, HeaderMap};
use crate::hashing::HashingReader;
use crate::limits::{LineCap, MAX_CSV_LINE_BYTES};
use crate::progress::{Progress, Unit};

/// The standard name of the text log in a data directory.
pub const LOG_TEXT: &str = "http_log.txt";
/// The standard name of the Avro log in a data directory.
pub const LOG_AVRO: &str = "http_log.avro";
/// The table that stores the log (users query the view `http_log` over it).
const HTTP_LOG_TABLE: &str = "http_log_data";
/// The text of the rare lines whose ids are not plain numbers.
const HTTP_LOG_TEXT: &str = "http_log_text";
/// The name the log is known by in reports and summaries.
const HTTP_LOG_NAME: &str = "http_log";
/// Rows per Arrow batch handed to DuckDB: bounds memory whatever the log size.
const BATCH_ROWS: usize = 64 * 1024;

/// The HTTP log of a data directory, in whichever form it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFile {
    /// The text log; it is converted to Avro first.
    Text(PathBuf),
    /// An Avro file made by `perx convert-log`.
    Avro(PathBuf),
}

/// Where a text log's Avro form is written by default: `STEM.http_log.avro` beside the
/// database file, or in the temporary directory for an in-memory database.
pub fn default_avro_path(db: &super::DbPath) -> PathBuf {
    match db {
        super::DbPath::Memory => {
            std::env::temp_dir().join(format!("perx-{}.http_log.avro", std::process::id()))
        }
        super::DbPath::File(f) => {
            let stem = f.file_stem().map_or("perx".into(), |s| s.to_string_lossy());
            super::db_dir(db).join(format!("{stem}.http_log.avro"))
        }
    }
}

/// The files found in a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The directory.
    pub dir: PathBuf,
    /// CSV exports present, in load order.
    pub csvs: Vec<(CsvSource, PathBuf)>,
    /// The HTTP log, if present.
    pub log: Option<LogFile>,
}

impl DataDir {
    /// Finds the standard files in `dir`. Missing files are fine (their tables are left as
    /// they are); a directory with none of them is an error.
    pub fn discover(dir: &Path) -> Result<DataDir, LoadError> {
        if !dir.is_dir() {
            return Err(LoadError::NoDir(dir.to_owned()));
        }
        let csvs: Vec<_> = CsvSource::ALL
            .iter()
            .map(|s| (*s, dir.join(s.file_name())))
            .filter(|(_, p)| p.is_file())
            .collect();
        let text = dir.join(LOG_TEXT);
        let log = if text.is_file() {
            Some(LogFile::Text(text))
        } else {
            find_avro(dir)?.map(LogFile::Avro)
        };
        if csvs.is_empty() && log.is_none() {
            return Err(LoadError::NothingToLoad(dir.to_owned()));
        }
        Ok(DataDir {
            dir: dir.to_owned(),
            csvs,
            log,
        })
    }
}

/// The files of `dir` whose names satisfy `wanted`, sorted.
pub(crate) fn files_named(
    dir: &Path,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<PathBuf>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(&wanted))
        .collect();
    found.sort();
    Ok(found)
}

/// `http_log.avro`, or else the only `.avro` file of the directory.
fn find_avro(dir: &Path) -> Result<Option<PathBuf>, LoadError> {
    let standard = dir.join(LOG_AVRO);
    if standard.is_file() {
        return Ok(Some(standard));
    }
    let mut found = files_named(dir, |n| n.ends_with(".avro"))?;
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(LoadError::ManyAvro {
            dir: dir.to_owned(),
            files: found,
        }),
    }
}

/// How to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Where a text log's Avro form is written (its rejects go beside it, see
    /// [`avro::sidecar_path`]).
    pub avro_out: PathBuf,
    /// Codec of that Avro file.
    pub codec: AvroCodec,
    /// How many rejected lines to keep in the report for display (all are in `load_reject`).
    pub preview: usize,
    /// Log lines longer than this many bytes are rejected as too long.
    pub max_line_bytes: usize,
    /// Whether the Avro copy is kept at `avro_out` after the load (false for an in-memory
    /// database's default temporary copy, which is removed).
    pub keep_avro: bool,
}

impl LoadOptions {
    /// Writes the Avro copy to `avro_out` and keeps it, with the default limits.
    pub fn new(avro_out: PathBuf) -> Self {
        LoadOptions {
            avro_out,
            codec: AvroCodec::default(),
            preview: 0,
            max_line_bytes: avro::DEFAULT_MAX_LINE_BYTES,
            keep_avro: true,
        }
    }

    /// The options of a load into `db` that writes its Avro copy to the default place:
    /// kept beside a database file, removed after the load for `:memory:`.
    pub fn for_db(db: &super::DbPath) -> Self {
        LoadOptions {
            keep_avro: !matches!(db, super::DbPath::Memory),
            ..LoadOptions::new(default_avro_path(db))
        }
    }
}

/// What happened to one source file.
#[derive(Debug, Clone)]
pub struct SourceReport {
    /// The file name (`load_reject.source`, `load_manifest.source`).
    pub source: String,
    /// The table it fills.
    pub table: &'static str,
    /// The file loaded.
    pub path: PathBuf,
    /// Rows now in the table from this file.
    pub rows: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Wall time spent on it, conversion included.
    pub seconds: f64,
    /// Header columns perx does not know (ignored, but shown).
    pub unknown_columns: Vec<String>,
}

/// A loaded row that breaks an integrity rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Its source file.
    pub source: String,
    /// Its line there.
    pub line_no: u64,
    /// What is wrong.
    pub problem: String,
}

/// The outcome of a load.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// One entry per file loaded, in load order.
    pub sources: Vec<SourceReport>,
    /// The Avro file the log was loaded from (written by this load when it converted text).
    pub avro: Option<PathBuf>,
    /// The first rejected lines, by source (all of them are in `load_reject`).
    pub preview: Vec<(String, Reject)>,
    /// Integrity warnings over the whole database after the load.
    pub warnings: Vec<Warning>,
    /// Total wall time.
    pub seconds: f64,
}

impl LoadReport {
    /// Lines rejected, all sources together.
    pub fn rejected(&self) -> u64 {
        self.sources.iter().map(|s| s.rejected).sum()
    }

    /// True when nothing was rejected and no integrity rule is broken.
    pub fn is_clean(&self) -> bool {
        self.rejected() == 0 && self.warnings.is_empty()
    }
}

/// Errors that stop a load (bad lines never do).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The data directory does not exist.
    #[error("data directory {0} does not exist or is not a directory")]
    NoDir(PathBuf),
    /// None of the standard files is there.
    #[error(
        "nothing to load in {0}: expected campaign.csv, reward_campaign.csv, \
         reward_transaction.csv, campaign_reward_mapping.csv, http_log.txt or an .avro log"
    )]
    NothingToLoad(PathBuf),
    /// Several Avro files and no `http_log.avro`.
    #[error("{dir}: several .avro files ({}); name the log http_log.avro or remove the others", .files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "))]
    ManyAvro {
        /// The directory.
        dir: PathBuf,
        /// The files found.
        files: Vec<PathBuf>,
    },
    /// Several `ratings*.dat` files and no `ratings.dat`.
    #[error("{dir}: several ratings files ({}); pass the one to load instead of the directory", .files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "))]
    ManyRatings {
        /// The directory.
        dir: PathBuf,
        /// The files found.
        files: Vec<PathBuf>,
    },
    /// A file could not be read.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// A CSV header that cannot be loaded.
    #[error("{path}:1: {problem}; fix the header row (names are matched case-insensitively)")]
    Header {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The CSV reader failed in a way that is not about one row.
    #[error("{path}:{line}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The line where it failed.
        line: u64,
        /// What the CSV reader said.
        source: csv::Error,
    },
    /// Converting or reading the Avro log failed.
    #[error(transparent)]
    Avro(#[from] AvroError),
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Keeps the first few rejects for the report.
pub(crate) struct Preview<'a> {
    pub(crate) limit: usize,
    pub(crate) items: &'a mut Vec<(String, Reject)>,
}

impl Preview<'_> {
    pub(crate) fn offer(&mut self, source: &str, r: &Reject) {
        if self.items.len() < self.limit {
            self.items.push((source.to_owned(), r.clone()));
        }
    }
}

/// Rejected lines of one source, appended to `load_reject` as they come (the appender
/// writes in bounded chunks), so a file of only bad lines loads in the memory of a clean one.
pub(crate) struct RejectSink<'t> {
    app: duckdb::Appender<'t>,
    source: String,
    count: u64,
}

impl<'t> RejectSink<'t> {
    pub(crate) fn open(tx: &'t Transaction<'_>, source: &str) -> Result<Self, StoreError> {
        Ok(RejectSink {
            app: tx.appender("load_reject").ctx("opening load_reject")?,
            source: source.to_owned(),
            count: 0,
        })
    }

    /// Appends one reject, and offers it to the preview.
    pub(crate) fn push(&mut self, r: &Reject, preview: &mut Preview<'_>) -> Result<(), StoreError> {
        preview.offer(&self.source, r);
        self.append(r)
    }

    /// Appends one reject.
    pub(crate) fn append(&mut self, r: &Reject) -> Result<(), StoreError> {
        self.app
            .append_row(params![self.source, r.line_no as i64, r.reason, r.raw])
            .ctx("writing load_reject")?;
        self.count += 1;
        Ok(())
    }

    /// Flushes; returns how many were appended.
    pub(crate) fn finish(mut self) -> Result<u64, StoreError> {
        self.app.flush().ctx("writing load_reject")?;
        Ok(self.count)
    }
}

/// The staged Avro copy of a load: published (moved into place) after the commit, or
/// removed if the load fails or the copy is not to be kept.
struct Staged<'a> {
    opts: &'a LoadOptions,
    /// Set once this load has converted a text log into the staged files.
    converted: bool,
    published: bool,
}

impl Staged<'_> {
    fn publish(mut self) -> Result<(), LoadError> {
        self.published = true;
        if self.converted && self.opts.keep_avro {
            avro::publish(&self.opts.avro_out)?;
        } else if self.converted {
            avro::discard(&self.opts.avro_out);
        }
        Ok(())
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if self.converted && !self.published {
            avro::discard(&self.opts.avro_out);
        }
    }
}

impl Store {
    /// Loads every file of `data` in one transaction (see the module docs). A text log is
    /// converted into staged Avro files that are moved into place only after the commit:
    /// a load that fails leaves the tables, the Avro copy and its rejects sidecar as they
    /// were.
    pub fn load(
        &mut self,
        data: &DataDir,
        opts: &LoadOptions,
        progress: &dyn Progress,
    ) -> Result<LoadReport, LoadError> {
        self.load_all(std::slice::from_ref(data), opts, progress, &mut |_| Ok(()))
            .map(|mut r| r.swap_remove(0))
    }

    /// Loads several data directories, then whatever `also` loads, in one transaction (the
    /// Data tab's reload): all of it, or nothing. Returns one report per directory.
    pub fn load_all(
        &mut self,
        dirs: &[DataDir],
        opts: &LoadOptions,
        progress: &dyn Progress,
        also: &mut dyn FnMut(&Transaction<'_>) -> Result<(), LoadError>,
    ) -> Result<Vec<LoadReport>, LoadError> {
        let mut staged = Staged {
            opts,
            converted: false,
            published: false,
        };
        let tx = self.conn_mut().transaction().ctx("starting the load")?;
        let mut reports = Vec::with_capacity(dirs.len());
        for data in dirs {
            reports.push(load_in(&tx, data, opts, progress, &mut staged)?);
        }
        also(&tx)?;
        tx.commit().ctx("committing the load")?;
        staged.publish()?;
        Ok(reports)
    }
}

/// Loads `data` inside `tx` (the caller commits). A text log is converted into the staged
/// files of `opts.avro_out`.
fn load_in(
    tx: &Transaction<'_>,
    data: &DataDir,
    opts: &LoadOptions,
    progress: &dyn Progress,
    staged: &mut Staged<'_>,
) -> Result<LoadReport, LoadError> {
    let started = Instant::now();
    let mut report = LoadReport::default();
    let mut preview = Preview {
        limit: opts.preview,
        items: &mut report.preview,
    };

    let log = match &data.log {
        None => None,
        Some(LogFile::Text(text)) => {
            let t = Instant::now();
            let source = file_name(text);
            let convert = avro::ConvertOptions {
                codec: opts.codec,
                max_line_bytes: opts.max_line_bytes,
            };
            // From here on the staged files are this load's: removed if it fails.
            staged.converted = true;
            let (stats, sha256) = avro::convert_staged(
                text,
                &opts.avro_out,
                convert,
                &mut |r| preview.offer(&source, r),
                progress,
            )?;
            Some(LogSource {
                source,
                path: text.clone(),
                avro: opts.avro_out.clone(),
                read_from: avro::staged_path(&opts.avro_out),
                sha256: Some(sha256),
                expected: Some(stats.records),
                convert_seconds: t.elapsed().as_secs_f64(),
            })
        }
        Some(LogFile::Avro(path)) => Some(LogSource {
            source: file_name(path),
            path: path.clone(),
            avro: path.clone(),
            read_from: path.clone(),
            sha256: None,
            expected: None,
            convert_seconds: 0.0,
        }),
    };

    for (source, path) in &data.csvs {
        let r = load_csv(tx, *source, path, &mut preview, progress)?;
        report.sources.push(r);
    }
    if let Some(log) = &log {
        let r = load_log(tx, log, &mut preview, progress)?;
        // A converted copy that is not kept is gone after the load: name none.
        let kept = log.sha256.is_none() || opts.keep_avro;
        report.avro = kept.then(|| log.avro.clone());
        report.sources.push(r);
    }
    tx.execute_batch(include_str!("../../sql/load/checks.sql"))
        .ctx("checking foreign keys and duplicate ids")?;
    report.warnings = read_warnings(tx)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

pub(crate) fn clear(
    tx: &Transaction<'_>,
    table: &'static str,
    source: &str,
) -> Result<(), StoreError> {
    let sql = include_str!("../../sql/load/clear_table.sql").replace("{table}", table);
    tx.execute_batch(&sql).ctx(format!("emptying {table}"))?;
    tx.execute(include_str!("../../sql/load/clear_source.sql"), [source])
        .ctx(format!("forgetting earlier rejects of {source}"))?;
    Ok(())
}

/// Forgets the rejects and manifest row of the file that last filled `table` (the name in
/// `load_manifest.tbl`), so a file of another name replaces it cleanly.
pub(crate) fn forget_table(tx: &Transaction<'_>, table: &str) -> Result<(), StoreError> {
    // Rejects first: they are found through the manifest rows deleted next.
    for sql in [
        include_str!("../../sql/load/forget_table_rejects.sql"),
        include_str!("../../sql/load/forget_table_manifest.sql"),
    ] {
        tx.execute(sql, [table])
            .ctx(format!("forgetting the last load of {table}"))?;
    }
    Ok(())
}

pub(crate) fn record_manifest(tx: &Transaction<'_>, r: &SourceReport) -> Result<(), StoreError> {
    // Absolute, so the source can be found again (Data tab `r`) from any directory.
    let path = std::path::absolute(&r.path).unwrap_or_else(|_| r.path.clone());
    tx.execute(
        include_str!("../../sql/load/clear_manifest.sql"),
        [&r.source],
    )
    .ctx("updating load_manifest")?;
    tx.execute(
        include_str!("../../sql/load/insert_manifest.sql"),
        params![
            r.source,
            r.table,
            path.display().to_string(),
            r.sha256,
            r.rows as i64,
            r.rejected as i64,
            r.seconds,
            // The clock, not the transaction's start: sources loaded in one transaction
            // (a reload) keep their load order.
            Value::Timestamp(
                DuckTimeUnit::Microsecond,
                chrono::Utc::now().timestamp_micros()
            )
        ],
    )
    .ctx("updating load_manifest")?;
    Ok(())
}

fn load_csv(
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

/// The log as it will be loaded.
struct LogSource {
    /// `load_reject.source` / manifest name: the text file's name, or the Avro file's.
    source: String,
    /// The file the user gave.
    path: PathBuf,
    /// The Avro form's final name (shown, and recorded in the report).
    avro: PathBuf,
    /// The Avro file read now: the staged conversion, or the Avro file given.
    read_from: PathBuf,
    /// SHA-256 of the text log, when this load converted it.
    sha256: Option<String>,
    /// Records the conversion wrote (for the progress bar).
    expected: Option<u64>,
    convert_seconds: f64,
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

fn load_log(
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
    progress.start(
        &format!("loading {} into http_log", file_name(&log.avro)),
        log.expected,
        Unit::Rows,
    );

    // Rejects found when the text was converted (by this load or an earlier convert-log),
    // streamed from the sidecar; this load's own were shown while converting.
    let sidecar = avro::sidecar_path(&log.read_from);
    let mut rejects = RejectSink::open(tx, &log.source)?;
    if sidecar.is_file() {
        let converted_now = log.sha256.is_some();
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
    let file = File::open(&log.read_from).map_err(|source| LoadError::Io {
        path: log.avro.clone(),
        source,
    })?;
    let (send, recv) = sync_channel::<Msg>(2);
    let avro_path = log.avro.clone();
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

fn arrow_err(path: &Path) -> impl Fn(duckdb::arrow::error::ArrowError) -> LoadError + '_ {
    move |e| LoadError::Io {
        path: path.to_owned(),
        source: io::Error::other(e),
    }
}

fn read_warnings(tx: &Transaction<'_>) -> Result<Vec<Warning>, StoreError> {
    query_all(
        tx,
        include_str!("../../sql/load/warnings.sql"),
        [],
        "reading integrity warnings",
        |r| {
            Ok(Warning {
                source: r.get(0)?,
                line_no: r.get::<_, i64>(1)?.max(0) as u64,
                problem: r.get(2)?,
            })
        },
    )
}
