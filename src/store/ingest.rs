//! `perx ingest`: appending log files to the database without reloading the past.
//!
//! Each file is read as text (plain, gzip or zstd, told by its first bytes, streamed) and
//! matched by content with what was ingested before (`core::ingest`): an unchanged file
//! (same size and same first and last raw bytes as one read before) is skipped after
//! reading its first MiB; a rotated or renamed copy is known by its text; a grown one gives
//! only its new complete lines. One run is one transaction and one batch
//! (`ingest_batch`, `ingest_range`): its lines are converted to Avro files beside the
//! database (`DB.ingest/batch-N-K.avro`, the log's archive), appended from there, and the
//! Avro files are moved into place after the commit; a run killed at any moment leaves the
//! database as before it or after it, and the next run publishes the archive of a batch
//! that committed without it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use duckdb::types::{TimeUnit as DuckTimeUnit, Value};
use duckdb::{Transaction, params};
use sha2::{Digest, Sha256};

use super::load::{LoadError, Preview, file_name};
use super::sessions::{SessionUpdate, mark_sessions, update_sessions};
use super::{DbPath, SqlContext, Store, StoreError, query_all};
use crate::avro::{self, AvroCodec};
use crate::core::Reject;
use crate::core::ingest::{Decision, HEAD_BYTES, KnownContent, Observed, decide, lengths_to_hash};
use crate::progress::{Progress, Unit};

/// The raw bytes hashed at each end of a file to recognise it unchanged.
const RAW_END: u64 = 1 << 20;

/// Why an ingest of places failed (nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The places could not be read.
    #[error(transparent)]
    Places(#[from] PlaceError),
    /// The ingest failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Nothing was ever ingested, so there is nowhere to look.
    #[error(
        "nothing was ingested yet, so there is nowhere to look for new files: run `perx ingest DIR` once"
    )]
    NoPlaces,
}

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Codec of the batch's Avro files.
    pub codec: AvroCodec,
    /// Longer lines are rejected as too long.
    pub max_line_bytes: usize,
    /// How many rejects to keep in the report for display (all are in `load_reject`).
    pub preview: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            codec: AvroCodec::default(),
            max_line_bytes: avro::DEFAULT_MAX_LINE_BYTES,
            preview: 0,
        }
    }
}

/// What an ingest did with one file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileOutcome {
    /// Lines taken: `from_line..=to_line` of the file (`rows` kept, `rejected` in
    /// `load_reject`), from byte `from_byte`.
    Taken {
        /// The file.
        path: PathBuf,
        /// Where the taken text starts.
        from_byte: u64,
        /// First line taken.
        from_line: u64,
        /// Last line taken.
        to_line: u64,
        /// Rows appended.
        rows: u64,
        /// Lines rejected.
        rejected: u64,
        /// Whether it continues a log ingested before (a grown file).
        grown: bool,
    },
    /// Nothing to take, and why.
    Skipped {
        /// The file.
        path: PathBuf,
        /// Why, for people.
        why: &'static str,
    },
}

/// What an ingest did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// The batch recorded (none when nothing was taken).
    pub batch: Option<i64>,
    /// One entry per file, in the order read.
    pub files: Vec<FileOutcome>,
    /// The batch's Avro files (the log's archive).
    pub archive: Vec<PathBuf>,
    /// Rows appended, all files.
    pub rows: u64,
    /// Lines rejected, all files.
    pub rejected: u64,
    /// The first rejects, by source.
    pub preview: Vec<(String, Reject)>,
    /// What the batch did to the sessions table (none when nothing was taken, or when the
    /// table was not current before: then it is built from scratch after the commit).
    pub sessions: Option<SessionUpdate>,
    /// The sessions the table holds, when it was built from scratch after the commit.
    pub sessions_built: Option<u64>,
    /// Wall time.
    pub seconds: f64,
}

/// The folder of the log's archive: `DB.ingest` beside a database file; none for
/// `:memory:` (its batches are converted in a temporary folder and not kept).
pub fn archive_dir(db: &DbPath) -> Option<PathBuf> {
    match db {
        DbPath::File(p) => {
            let mut s = p.as_os_str().to_owned();
            s.push(".ingest");
            Some(PathBuf::from(s))
        }
        DbPath::Memory => None,
    }
}

/// Opens `path` as text: gzip and zstd (told by their first bytes) are decompressed as
/// they are read.
pub fn open_text(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut f, &mut magic)?;
    f.seek(SeekFrom::Start(0))?;
    Ok(match &magic[..n] {
        [0x1f, 0x8b, ..] => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(f))),
        [0x28, 0xb5, 0x2f, 0xfd] => Box::new(zstd::stream::read::Decoder::new(f)?),
        _ => Box::new(f),
    })
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A file as stored: its size and the SHA-256 of its first and last MiB.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawPrint {
    size: u64,
    head: String,
    tail: String,
}

fn raw_print(path: &Path) -> io::Result<RawPrint> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut buf = vec![0u8; RAW_END.min(size) as usize];
    let n = read_up_to(&mut f, &mut buf)?;
    let head = hex(Sha256::digest(&buf[..n]));
    f.seek(SeekFrom::Start(size.saturating_sub(RAW_END)))?;
    let n = read_up_to(&mut f, &mut buf)?;
    Ok(RawPrint {
        size,
        head,
        tail: hex(Sha256::digest(&buf[..n])),
    })
}

/// Reads a file's text once: its complete length and lines, its hash at `lengths`
/// (ascending), and (second) the SHA-256 of its complete text.
fn observe(path: &Path, lengths: &[u64]) -> io::Result<(Observed, String)> {
    let mut r = open_text(path)?;
    let mut hasher = Sha256::new();
    let mut at = 0u64;
    let mut complete_len = 0u64;
    let mut complete_sha = hex(Sha256::digest(b""));
    let mut lines = 0u64;
    let mut next = lengths.iter().copied().peekable();
    let mut prefixes = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        let end = at + n as u64;
        // Cut the chunk where a hash is wanted: at each length asked for, and after its
        // last newline (the complete text so far).
        let newline_end = chunk
            .iter()
            .rposition(|b| *b == b'\n')
            .map(|i| at + i as u64 + 1);
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        let mut wanted = Vec::new();
        while let Some(l) = next.next_if(|&l| l <= end) {
            wanted.push(l);
        }
        let mut cuts: Vec<u64> = wanted.iter().copied().chain(newline_end).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut done = at;
        for cut in cuts {
            hasher.update(&chunk[(done - at) as usize..(cut - at) as usize]);
            done = cut;
            if wanted.contains(&cut) {
                prefixes.push((cut, hex(hasher.clone().finalize())));
            }
            if newline_end == Some(cut) {
                complete_len = cut;
                complete_sha = hex(hasher.clone().finalize());
            }
        }
        hasher.update(&chunk[(done - at) as usize..]);
        at = end;
    }
    prefixes.retain(|(len, _)| *len <= complete_len);
    Ok((
        Observed {
            complete_len,
            lines,
            prefixes,
        },
        complete_sha,
    ))
}

/// The head of a file's text as [`KnownContent`] records it: its length
/// (min([`HEAD_BYTES`], the complete text)) and SHA-256, from a reading that hashed the
/// text at [`HEAD_BYTES`] (`text_sha` being the complete text's).
fn head_of(observed: &Observed, text_sha: &str) -> (u64, String) {
    let head_len = observed.complete_len.min(HEAD_BYTES);
    let head_sha = observed
        .prefixes
        .iter()
        .find(|(l, _)| *l == head_len)
        .map_or_else(|| text_sha.to_owned(), |(_, s)| s.clone());
    (head_len, head_sha)
}

/// A file that became shorter between its two readings.
fn shrank() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the file became shorter while it was ingested",
    )
}

/// Where to ingest from: a file, or a directory with the pattern of its log files' names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file or directory.
    pub path: PathBuf,
    /// For a directory: a glob on file names (`http_log*`).
    pub pattern: Option<String>,
}

/// Why places could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// The pattern is not a glob.
    #[error("--pattern {0:?} is not a glob (e.g. 'http_log*')")]
    Pattern(String),
    /// A directory holds no matching file.
    #[error("{dir}: no file matches --pattern {pattern:?}; name the files or give another pattern")]
    NoMatch {
        /// The directory.
        dir: PathBuf,
        /// The pattern.
        pattern: String,
    },
    /// Neither a file nor a directory.
    #[error("{0}: no such file or directory")]
    Missing(PathBuf),
    /// Listing a directory failed.
    #[error("{path}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

/// The files of `places`: files as given, a directory's matching files oldest first (by
/// modification time, then name).
pub fn files_of(places: &[Place]) -> Result<Vec<PathBuf>, PlaceError> {
    let mut out = Vec::new();
    for place in places {
        let p = &place.path;
        if p.is_dir() {
            let pattern = place.pattern.as_deref().unwrap_or(DEFAULT_PATTERN);
            let glob =
                glob::Pattern::new(pattern).map_err(|_| PlaceError::Pattern(pattern.to_owned()))?;
            let io_err = |source| PlaceError::Io {
                path: p.clone(),
                source,
            };
            let mut found = Vec::new();
            for e in std::fs::read_dir(p).map_err(io_err)? {
                let e = e.map_err(io_err)?;
                let name = e.file_name().to_string_lossy().into_owned();
                if e.file_type().is_ok_and(|t| t.is_file()) && glob.matches(&name) {
                    let modified = e.metadata().and_then(|m| m.modified()).ok();
                    found.push((modified, name, e.path()));
                }
            }
            if found.is_empty() {
                return Err(PlaceError::NoMatch {
                    dir: p.clone(),
                    pattern: pattern.to_owned(),
                });
            }
            found.sort();
            out.extend(found.into_iter().map(|(_, _, path)| path));
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(PlaceError::Missing(p.clone()));
        }
    }
    Ok(out)
}

/// The log files of a directory when no pattern is given.
pub const DEFAULT_PATTERN: &str = "http_log*";

impl Store {
    /// Ingests the files of `places` (see [`files_of`]) and remembers the places (as
    /// absolute paths) for [`Store::ingest_again`].
    pub fn ingest_places(
        &mut self,
        places: &[Place],
        opts: &IngestOptions,
        progress: &dyn Progress,
    ) -> Result<IngestReport, IngestError> {
        let files = files_of(places)?;
        let report = self.ingest(&files, opts, progress)?;
        for place in places {
            let path = std::path::absolute(&place.path).unwrap_or_else(|_| place.path.clone());
            let pattern = place.path.is_dir().then(|| {
                place
                    .pattern
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PATTERN.to_owned())
            });
            self.conn()
                .execute(
                    include_str!("../../sql/ingest/insert_place.sql"),
                    params![path.display().to_string(), pattern],
                )
                .ctx("remembering where the log was ingested from")?;
        }
        Ok(report)
    }

    /// Ingests what is new in the places ingested from before (the Data tab's `i`).
    pub fn ingest_again(
        &mut self,
        opts: &IngestOptions,
        progress: &dyn Progress,
    ) -> Result<IngestReport, IngestError> {
        let places: Vec<Place> = query_all(
            self.conn(),
            include_str!("../../sql/ingest/places.sql"),
            [],
            "reading where the log was ingested from",
            |r| {
                Ok(Place {
                    path: PathBuf::from(r.get::<_, String>(0)?),
                    pattern: r.get(1)?,
                })
            },
        )?;
        if places.is_empty() {
            return Err(IngestError::NoPlaces);
        }
        self.ingest_places(&places, opts, progress)
    }

    /// Ingests `files`, in order, in one transaction (see the module docs).
    pub fn ingest(
        &mut self,
        files: &[PathBuf],
        opts: &IngestOptions,
        progress: &dyn Progress,
    ) -> Result<IngestReport, LoadError> {
        let started = Instant::now();
        let archive = archive_dir(self.path());
        if let Some(dir) = &archive {
            publish_committed(self, dir)?;
            std::fs::create_dir_all(dir).map_err(|source| LoadError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        // For :memory:, the batch files live in a temporary folder for the run.
        let scratch = match &archive {
            Some(_) => None,
            None => Some(tempfile::tempdir().map_err(|source| LoadError::Io {
                path: std::env::temp_dir(),
                source,
            })?),
        };
        let dir = archive
            .clone()
            .or_else(|| scratch.as_ref().map(|t| t.path().to_owned()))
            .unwrap_or_default();
        let mut report = IngestReport::default();
        let mut staged: Vec<PathBuf> = Vec::new();
        let result = self.ingest_in(files, opts, progress, &dir, &mut report, &mut staged);
        if let Err(e) = result {
            for p in &staged {
                avro::discard(p);
            }
            return Err(e);
        }
        for p in &staged {
            if archive.is_some() {
                avro::publish(p)?;
            } else {
                avro::discard(p);
            }
        }
        if archive.is_some() {
            report.archive = staged;
        }
        report.sessions_built = self.ensure_sessions_table(progress)?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    fn ingest_in(
        &mut self,
        files: &[PathBuf],
        opts: &IngestOptions,
        progress: &dyn Progress,
        dir: &Path,
        report: &mut IngestReport,
        staged: &mut Vec<PathBuf>,
    ) -> Result<(), LoadError> {
        let started = Instant::now();
        // A current sessions table is kept current inside the transaction; a stale one is
        // built after it.
        let mapping = if self.sessions_fresh()? {
            Some(self.mapping_pairs()?)
        } else {
            None
        };
        let tx = self.conn_mut().transaction().ctx("starting the ingest")?;
        let mut known = known_contents(&tx)?;
        let seen = seen_files(&tx)?;
        let batch: i64 = tx
            .query_row(include_str!("../../sql/ingest/next_batch.sql"), [], |r| {
                r.get(0)
            })
            .ctx("numbering the batch")?;
        let mut next_line: i64 = tx
            .query_row(include_str!("../../sql/ingest/next_line.sql"), [], |r| {
                r.get(0)
            })
            .ctx("numbering the lines")?;
        let first_line = next_line;
        let mut next_content = known.iter().map(|k| k.id).max().unwrap_or(0) + 1;
        let mut preview = Preview {
            limit: opts.preview,
            items: &mut report.preview,
        };
        let mut taken_files = 0i32;
        let mut lines_taken = 0u64;
        for (part, path) in files.iter().enumerate() {
            let io_err = |source| LoadError::Io {
                path: path.clone(),
                source,
            };
            let print = raw_print(path).map_err(io_err)?;
            if seen.contains_key(&(print.size, print.head.clone(), print.tail.clone())) {
                report.files.push(FileOutcome::Skipped {
                    path: path.clone(),
                    why: "already ingested (the same file)",
                });
                continue;
            }
            progress.start(
                &format!("reading {}", file_name(path)),
                Some(print.size),
                Unit::Bytes,
            );
            let lengths: Vec<u64> = lengths_to_hash(&known).into_iter().collect();
            let (observed, text_sha) = observe(path, &lengths).map_err(io_err)?;
            progress.finish();
            let (content, from_byte, from_line) = match decide(&known, &observed) {
                Decision::Known { id } => {
                    record_seen(&tx, &print, id)?;
                    report.files.push(FileOutcome::Skipped {
                        path: path.clone(),
                        why: "already ingested (its content, under this or another name)",
                    });
                    continue;
                }
                Decision::Grown {
                    id,
                    from_byte,
                    from_line,
                } => (Some(id), from_byte, from_line),
                Decision::New => (None, 0, 1),
            };
            if observed.complete_len <= from_byte {
                report.files.push(FileOutcome::Skipped {
                    path: path.clone(),
                    why: "no complete line yet",
                });
                continue;
            }
            let to_line = observed.lines;
            let line_base = next_line - from_line as i64;
            // Convert the new complete lines to this batch's Avro file (staged).
            let out = dir.join(format!("batch-{batch:06}-{}.avro", part + 1));
            staged.push(out.clone());
            // The text is read again from its start: what comes before the new part is
            // skipped (the first reading hashed it), the rest converted up to the end of its
            // last complete line.
            let mut text = open_text(path).map_err(io_err)?;
            let skipped =
                io::copy(&mut (&mut text).take(from_byte), &mut io::sink()).map_err(io_err)?;
            if skipped < from_byte {
                return Err(io_err(shrank()));
            }
            let new_bytes = observed.complete_len - from_byte;
            let source = path.display().to_string();
            let convert = avro::ConvertOptions {
                codec: opts.codec,
                max_line_bytes: opts.max_line_bytes,
                first_line: from_line,
                line_offset: line_base,
            };
            progress.start(
                &format!("converting {}", file_name(path)),
                Some(new_bytes),
                Unit::Bytes,
            );
            let (stats, _) = avro::convert_staged_from(
                text.take(new_bytes),
                path,
                &out,
                convert,
                &mut |r| preview.offer(&source, r),
                progress,
            )?;
            progress.finish();
            if stats.bytes < new_bytes {
                return Err(io_err(shrank()));
            }
            let (head_len, head_sha) = head_of(&observed, &text_sha);
            let (rows, rejected, _) = super::load::append_log(
                &tx,
                &super::load::Appending {
                    read_from: &avro::staged_path(&out),
                    shown: &out,
                    source: &source,
                    converted_now: true,
                    expected: Some(stats.records),
                },
                &mut preview,
                progress,
            )?;
            // A grown content is updated, a new one recorded: the same values either way.
            let (id, record) = match content {
                Some(id) => (id, include_str!("../../sql/ingest/grow_content.sql")),
                None => {
                    next_content += 1;
                    (
                        next_content - 1,
                        include_str!("../../sql/ingest/insert_content.sql"),
                    )
                }
            };
            tx.execute(
                record,
                params![
                    id,
                    head_sha,
                    head_len as i64,
                    observed.complete_len as i64,
                    text_sha,
                    to_line as i64,
                    source
                ],
            )
            .ctx("recording the ingested file")?;
            known.retain(|k| k.id != id);
            known.push(KnownContent {
                id,
                head_sha,
                head_len,
                text_len: observed.complete_len,
                text_sha,
                lines: to_line,
            });
            record_seen(&tx, &print, id)?;
            tx.execute(
                include_str!("../../sql/ingest/insert_range.sql"),
                params![
                    batch,
                    id,
                    source,
                    from_byte as i64,
                    observed.complete_len as i64,
                    from_line as i64,
                    to_line as i64,
                    line_base,
                    rows as i64,
                    rejected as i64,
                    out.display().to_string()
                ],
            )
            .ctx("recording the batch")?;
            next_line = line_base + to_line as i64 + 1;
            taken_files += 1;
            lines_taken += stats.lines;
            report.rows += rows;
            report.rejected += rejected;
            report.files.push(FileOutcome::Taken {
                path: path.clone(),
                from_byte,
                from_line,
                to_line,
                rows,
                rejected,
                grown: content.is_some(),
            });
        }
        if taken_files > 0 {
            tx.execute(
                include_str!("../../sql/ingest/insert_batch.sql"),
                params![
                    batch,
                    Value::Timestamp(
                        DuckTimeUnit::Microsecond,
                        chrono::Utc::now().timestamp_micros()
                    ),
                    taken_files,
                    lines_taken as i64,
                    report.rows as i64,
                    report.rejected as i64,
                    started.elapsed().as_secs_f64(),
                ],
            )
            .ctx("recording the batch")?;
            report.batch = Some(batch);
            if let Some(mapping) = &mapping {
                progress.start("updating the sessions", None, Unit::Rows);
                report.sessions = Some(update_sessions(&tx, first_line, mapping)?);
                mark_sessions(&tx)?;
                progress.finish();
            }
        }
        tx.commit().ctx("committing the ingest")?;
        Ok(())
    }

    /// The batches ingested, newest first: (id, when, files, lines, rows, rejected,
    /// first and last event).
    pub fn ingest_batches(&self) -> Result<Vec<BatchRow>, StoreError> {
        query_all(
            self.conn(),
            include_str!("../../sql/ingest/batches.sql"),
            [],
            "reading the ingest batches",
            |r| {
                Ok(BatchRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    files: r.get(2)?,
                    lines: r.get(3)?,
                    rows: r.get(4)?,
                    rejected: r.get(5)?,
                    min_ts: r.get(6)?,
                    max_ts: r.get(7)?,
                })
            },
        )
    }
}

/// One ingest batch, as `ingest_batch` records it (times as text, UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRow {
    /// Its number.
    pub id: i64,
    /// When it ran.
    pub at: String,
    /// Files it took lines from.
    pub files: i32,
    /// Lines read.
    pub lines: i64,
    /// Rows appended.
    pub rows: i64,
    /// Lines rejected.
    pub rejected: i64,
    /// Its first event.
    pub min_ts: Option<String>,
    /// Its last event.
    pub max_ts: Option<String>,
}

fn known_contents(tx: &Transaction<'_>) -> Result<Vec<KnownContent>, StoreError> {
    query_all(
        tx,
        include_str!("../../sql/ingest/contents.sql"),
        [],
        "reading what was ingested",
        |r| {
            Ok(KnownContent {
                id: r.get(0)?,
                head_sha: r.get(1)?,
                head_len: r.get::<_, i64>(2)?.max(0) as u64,
                text_len: r.get::<_, i64>(3)?.max(0) as u64,
                text_sha: r.get(4)?,
                lines: r.get::<_, i64>(5)?.max(0) as u64,
            })
        },
    )
}

type SeenKey = (u64, String, String);

fn seen_files(tx: &Transaction<'_>) -> Result<HashMap<SeenKey, i64>, StoreError> {
    let rows: Vec<(SeenKey, i64)> = query_all(
        tx,
        include_str!("../../sql/ingest/seen.sql"),
        [],
        "reading the files ingested",
        |r| {
            Ok((
                (
                    r.get::<_, i64>(0)?.max(0) as u64,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ),
                r.get::<_, i64>(3)?,
            ))
        },
    )?;
    Ok(rows.into_iter().collect())
}

fn record_seen(tx: &Transaction<'_>, print: &RawPrint, content: i64) -> Result<(), StoreError> {
    tx.execute(
        include_str!("../../sql/ingest/insert_seen.sql"),
        params![print.size as i64, print.head, print.tail, content],
    )
    .ctx("recording the file read")?;
    Ok(())
}

/// Publishes the staged archive files of batches that committed (a run killed between its
/// commit and the renames), and removes those of runs that never committed.
fn publish_committed(store: &Store, dir: &Path) -> Result<(), LoadError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let committed: Vec<String> = query_all(
        store.conn(),
        include_str!("../../sql/ingest/archive_files.sql"),
        [],
        "reading the ingest batches",
        |r| r.get(0),
    )?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".avro.partial") else {
            continue;
        };
        let out = dir.join(format!("{stem}.avro"));
        if committed.contains(&out.display().to_string()) {
            avro::publish(&out)?;
        } else {
            avro::discard(&out);
        }
    }
    Ok(())
}

/// After `perx load` replaced the log: forgets every earlier ingest and records the loaded
/// text log (`text`, its lines numbered from 1) as the one content ingested, so that
/// ingesting the same file adds nothing and ingesting it grown adds its new lines. An
/// Avro log (`None`) leaves no content to record.
pub(crate) fn record_loaded(tx: &Transaction<'_>, text: Option<&Path>) -> Result<(), LoadError> {
    tx.execute_batch(include_str!("../../sql/ingest/clear.sql"))
        .ctx("forgetting earlier ingests")?;
    let Some(path) = text else {
        return Ok(());
    };
    let io_err = |source| LoadError::Io {
        path: path.to_owned(),
        source,
    };
    let print = raw_print(path).map_err(io_err)?;
    let (observed, text_sha) = observe(path, &[HEAD_BYTES]).map_err(io_err)?;
    let (head_len, head_sha) = head_of(&observed, &text_sha);
    let source = path.display().to_string();
    tx.execute(
        include_str!("../../sql/ingest/insert_content.sql"),
        params![
            1i64,
            head_sha,
            head_len as i64,
            observed.complete_len as i64,
            text_sha,
            observed.lines as i64,
            source
        ],
    )
    .ctx("recording the loaded log")?;
    record_seen(tx, &print, 1)?;
    Ok(())
}

/// What `perx ingest --rebuild` did.
#[derive(Debug, Clone, Default)]
pub struct RebuildReport {
    /// The Avro files read, in order.
    pub files: Vec<PathBuf>,
    /// Rows now in the log's tables.
    pub rows: u64,
    /// Rejects now recorded for them.
    pub rejected: u64,
}

impl Store {
    /// Rebuilds the log's tables from their Avro forms, in one transaction: the copy
    /// `perx load` made (`DB.http_log.avro`), when the log came from a load, then every
    /// batch's archive file in order. The rows, their `line_no` and the rejects come back as
    /// they were; a missing archive file is an error and changes nothing.
    pub fn rebuild_log(&mut self, progress: &dyn Progress) -> Result<RebuildReport, LoadError> {
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        let loaded: Vec<String> = query_all(
            self.conn(),
            include_str!("../../sql/ingest/loaded_log.sql"),
            [],
            "reading the manifest",
            |r| r.get(0),
        )?;
        if let Some(source) = loaded.first() {
            let copy = super::load::default_avro_path(self.path());
            if !copy.is_file() {
                return Err(LoadError::Io {
                    path: copy,
                    source: io::Error::new(
                        io::ErrorKind::NotFound,
                        "the Avro copy of the loaded log is missing: load it again with `perx load`",
                    ),
                });
            }
            files.push((source.clone(), copy));
        }
        let ranges: Vec<(String, String)> = query_all(
            self.conn(),
            include_str!("../../sql/ingest/ranges.sql"),
            [],
            "reading the ingest batches",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (source, avro) in ranges {
            let p = PathBuf::from(avro);
            if !p.is_file() {
                return Err(LoadError::Io {
                    path: p,
                    source: io::Error::new(
                        io::ErrorKind::NotFound,
                        "an archive file of an ingest batch is missing",
                    ),
                });
            }
            files.push((source, p));
        }
        let tx = self.conn_mut().transaction().ctx("starting the rebuild")?;
        for table in ["http_log_data", "http_log_text"] {
            tx.execute_batch(
                &include_str!("../../sql/load/clear_table.sql").replace("{table}", table),
            )
            .ctx(format!("emptying {table}"))?;
        }
        let mut report = RebuildReport::default();
        let mut items = Vec::new();
        let mut preview = Preview {
            limit: 0,
            items: &mut items,
        };
        let mut cleared: Vec<&str> = Vec::new();
        for (source, path) in &files {
            if !cleared.contains(&source.as_str()) {
                tx.execute(include_str!("../../sql/load/clear_source.sql"), [source])
                    .ctx("forgetting the rejects to rebuild")?;
                cleared.push(source);
            }
            let (rows, rejected, _) = super::load::append_log(
                &tx,
                &super::load::Appending {
                    read_from: path,
                    shown: path,
                    source,
                    converted_now: true,
                    expected: None,
                },
                &mut preview,
                progress,
            )?;
            report.rows += rows;
            report.rejected += rejected;
            report.files.push(path.clone());
        }
        tx.commit().ctx("committing the rebuild")?;
        Ok(report)
    }
}
