//! Loading a data directory into the store: CSV exports, and the HTTP log through its Avro
//! form.
//!
//! One load is one transaction: every table whose file is present is emptied and refilled,
//! so loading the same files twice gives the same rows and an interrupted load leaves the
//! previous contents. Every input line ends in its table or in `load_reject`; loaded rows that
//! break an integrity rule are listed in `load_warning`.
//!
//! `discover` finds the files, `exports` loads a CSV export, `log` loads the HTTP log; this module
//! holds the options and reports, the transaction, the staged Avro copy, and the steps every
//! source shares (emptying a table, rejects, the manifest).

mod discover;
mod exports;
mod log;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use duckdb::types::{TimeUnit as DuckTimeUnit, Value};
use duckdb::{Transaction, params};

pub(crate) use discover::files_named;
pub use discover::{DataDir, LOG_AVRO, LOG_TEXT, LogFile, default_avro_path};

use super::{SqlContext, Store, StoreError, query_all};
use crate::avro::{self, AvroCodec, AvroError};
use crate::core::Reject;
use crate::progress::Progress;
use log::LogSource;
pub(crate) use log::{Appending, append_log};

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
    /// Building or updating the sessions table failed.
    #[error("keeping the sessions table (http_log_session) current")]
    Sessions(#[from] crate::store::reports::ReportError),
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
/// writes in bounded chunks), so perx never collects them in memory. (DuckDB itself holds
/// the uncommitted rows until the load commits: see the bad-lines figure of `bench load`.)
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
    /// Set once this load has converted a text log into the staged files, until they are
    /// published (or removed).
    converted: bool,
}

impl Staged<'_> {
    fn publish(mut self) -> Result<(), LoadError> {
        if std::mem::take(&mut self.converted) {
            if self.opts.keep_avro {
                avro::publish(&self.opts.avro_out)?;
            } else {
                avro::discard(&self.opts.avro_out);
            }
        }
        Ok(())
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if self.converted {
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
        };
        let tx = self.conn_mut().transaction().ctx("starting the load")?;
        let mut reports = Vec::with_capacity(dirs.len());
        for data in dirs {
            reports.push(load_in(&tx, data, opts, progress, &mut staged)?);
        }
        also(&tx)?;
        tx.commit().ctx("committing the load")?;
        staged.publish()?;
        // The sessions of what was loaded, when the log or the mapping changed (a run
        // killed before this leaves the table marked stale: it is built when next read).
        self.ensure_sessions_table(progress)?;
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
                ..avro::ConvertOptions::default()
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
        let r = exports::load_csv(tx, *source, path, &mut preview, progress)?;
        report.sources.push(r);
    }
    if let Some(log) = &log {
        let r = log::load_log(tx, log, &mut preview, progress)?;
        // The log is replaced: the ingest record starts anew with this file.
        let text = log.sha256.is_some().then_some(log.path.as_path());
        super::ingest::record_loaded(tx, text)?;
        // A converted copy that is not kept is gone after the load: name none.
        let kept = log.sha256.is_none() || opts.keep_avro;
        report.avro = kept.then(|| log.avro.clone());
        report.sources.push(r);
    }
    tx.execute_batch(include_str!("../../../sql/load/checks.sql"))
        .ctx("checking foreign keys and duplicate ids")?;
    report.warnings = read_warnings(tx)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

pub(crate) fn clear(
    tx: &Transaction<'_>,
    table: &'static str,
    source: &str,
) -> Result<(), StoreError> {
    let sql = include_str!("../../../sql/load/clear_table.sql").replace("{table}", table);
    tx.execute_batch(&sql).ctx(format!("emptying {table}"))?;
    tx.execute(include_str!("../../../sql/load/clear_source.sql"), [source])
        .ctx(format!("forgetting earlier rejects of {source}"))?;
    Ok(())
}

/// Forgets the rejects and manifest row of the file that last filled `table` (the name in
/// `load_manifest.tbl`), so a file of another name replaces it cleanly.
pub(crate) fn forget_table(tx: &Transaction<'_>, table: &str) -> Result<(), StoreError> {
    // Rejects first: they are found through the manifest rows deleted next.
    for sql in [
        include_str!("../../../sql/load/forget_table_rejects.sql"),
        include_str!("../../../sql/load/forget_table_manifest.sql"),
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
        include_str!("../../../sql/load/clear_manifest.sql"),
        [&r.source],
    )
    .ctx("updating load_manifest")?;
    tx.execute(
        include_str!("../../../sql/load/insert_manifest.sql"),
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

fn read_warnings(tx: &Transaction<'_>) -> Result<Vec<Warning>, StoreError> {
    query_all(
        tx,
        include_str!("../../../sql/load/warnings.sql"),
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
