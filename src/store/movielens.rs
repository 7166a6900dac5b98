//! Loading MovieLens 1M or 100K into `ml_rating`, `ml_movie` and `ml_user`.
//!
//! Same contract as the platform load: one transaction, every line in its table or in
//! `load_reject` (file name and 1-based line), the manifest records each file's sha256.
//! Empty timestamps (the shipped ML-1M copy has 199,435) are kept as NULL and counted.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use duckdb::Transaction;
use duckdb::appender_params_from_iter;
use duckdb::types::{TimeUnit, Value};

use super::load::{LoadError, SourceReport};
use super::{SqlContext, Store};
use crate::core::Reject;
use crate::core::movielens::{
    MlReject, latin1, parse_ml1m_movie, parse_ml1m_rating, parse_ml1m_user, parse_ml100k_item,
    parse_ml100k_rating, parse_ml100k_user,
};
use crate::hashing::HashingReader;
use crate::limits::{CappedLine, MAX_ML_LINE_BYTES, read_line_capped};
use crate::progress::{Progress, Unit};

/// Which MovieLens release a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlFormat {
    /// MovieLens 1M: `ratings.dat`, `movies.dat`, `users.dat` (`::`-separated).
    OneMillion,
    /// MovieLens 100K: `u.data`, `u.item`, `u.user`.
    HundredK,
}

/// The files of one MovieLens release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlFiles {
    /// The release.
    pub format: MlFormat,
    /// The ratings file.
    pub ratings: PathBuf,
    /// The movies file, if present.
    pub movies: Option<PathBuf>,
    /// The users file, if present.
    pub users: Option<PathBuf>,
}

impl MlFiles {
    /// Finds the files from a directory or from the ratings file itself. In a 1M directory
    /// the ratings file is `ratings.dat`, or else the one `ratings*.dat` there.
    pub fn discover(path: &Path) -> Result<MlFiles, LoadError> {
        let (dir, ratings) = if path.is_file() {
            let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
            (dir, Some(path.to_owned()))
        } else if path.is_dir() {
            (path.to_owned(), None)
        } else {
            return Err(LoadError::NoDir(path.to_owned()));
        };
        let present = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
        let is_100k = ratings.as_ref().map_or(dir.join("u.data").is_file(), |r| {
            r.file_name().is_some_and(|n| n == "u.data")
        });
        if is_100k {
            return Ok(MlFiles {
                format: MlFormat::HundredK,
                ratings: ratings.unwrap_or_else(|| dir.join("u.data")),
                movies: present("u.item"),
                users: present("u.user"),
            });
        }
        let ratings = match ratings.or_else(|| present("ratings.dat")) {
            Some(r) => r,
            None => only_ratings_dat(&dir)?,
        };
        Ok(MlFiles {
            format: MlFormat::OneMillion,
            ratings,
            movies: present("movies.dat"),
            users: present("users.dat"),
        })
    }
}

fn only_ratings_dat(dir: &Path) -> Result<PathBuf, LoadError> {
    let mut found =
        super::load::files_named(dir, |n| n.starts_with("ratings") && n.ends_with(".dat"))?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(LoadError::NothingToLoad(dir.to_owned())),
        _ => Err(LoadError::ManyRatings {
            dir: dir.to_owned(),
            files: found,
        }),
    }
}

/// What a MovieLens load did.
#[derive(Debug, Clone, Default)]
pub struct MlLoadReport {
    /// One entry per file, ratings first.
    pub sources: Vec<SourceReport>,
    /// Ratings whose timestamp field was empty (kept, with a NULL time).
    pub unknown_timestamps: u64,
    /// The first rejected lines, by source (all are in `load_reject`).
    pub preview: Vec<(String, Reject)>,
    /// Total wall time.
    pub seconds: f64,
}

impl MlLoadReport {
    /// Lines rejected, all files together.
    pub fn rejected(&self) -> u64 {
        self.sources.iter().map(|s| s.rejected).sum()
    }
}

type Parser = fn(&str) -> Result<Vec<Value>, MlReject>;

fn rating_values(r: crate::core::movielens::Rating) -> Vec<Value> {
    vec![
        Value::Int(r.user_id as i32),
        Value::Int(r.movie_id as i32),
        Value::TinyInt(r.stars as i8),
        r.ts.map_or(Value::Null, |s| {
            Value::Timestamp(TimeUnit::Microsecond, s.saturating_mul(1_000_000))
        }),
    ]
}

fn movie_values(m: crate::core::movielens::Movie) -> Vec<Value> {
    vec![
        Value::Int(m.movie_id as i32),
        Value::Text(m.title),
        Value::Text(m.genres.join("|")),
    ]
}

fn user_values(u: crate::core::movielens::User) -> Vec<Value> {
    vec![
        Value::Int(u.user_id as i32),
        Value::Text(u.gender),
        Value::Int(u.age as i32),
        Value::Text(u.occupation),
        Value::Text(u.zip),
    ]
}

impl Store {
    /// Loads the files of one MovieLens release in one transaction, replacing what an
    /// earlier MovieLens load left.
    pub fn load_movielens(
        &mut self,
        files: &MlFiles,
        preview: usize,
        progress: &dyn Progress,
    ) -> Result<MlLoadReport, LoadError> {
        let tx = self
            .conn_mut()
            .transaction()
            .ctx("starting the MovieLens load")?;
        let report = load_movielens_in(&tx, files, preview, progress)?;
        tx.commit().ctx("committing the MovieLens load")?;
        Ok(report)
    }
}

/// Loads the MovieLens files inside `tx` (the caller commits).
pub(crate) fn load_movielens_in(
    tx: &Transaction<'_>,
    files: &MlFiles,
    preview: usize,
    progress: &dyn Progress,
) -> Result<MlLoadReport, LoadError> {
    {
        let started = Instant::now();
        let one_m = files.format == MlFormat::OneMillion;
        let (rating, movie, user): (Parser, Parser, Parser) = if one_m {
            (
                |l| parse_ml1m_rating(l).map(rating_values),
                |l| parse_ml1m_movie(l).map(movie_values),
                |l| parse_ml1m_user(l).map(user_values),
            )
        } else {
            (
                |l| parse_ml100k_rating(l).map(rating_values),
                |l| parse_ml100k_item(l).map(movie_values),
                |l| parse_ml100k_user(l).map(user_values),
            )
        };
        let mut report = MlLoadReport::default();
        let jobs = [
            (Some(&files.ratings), "ml_rating", rating),
            (files.movies.as_ref(), "ml_movie", movie),
            (files.users.as_ref(), "ml_user", user),
        ];
        for (path, table, parse) in jobs {
            let Some(path) = path else { continue };
            let (source, unknown) = load_file(
                tx,
                path,
                table,
                parse,
                preview,
                &mut report.preview,
                progress,
            )?;
            report.unknown_timestamps += unknown;
            report.sources.push(source);
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// Loads one file into `table`; returns its report and how many rows had no timestamp.
fn load_file(
    tx: &Transaction<'_>,
    path: &Path,
    table: &'static str,
    parse: Parser,
    preview_limit: usize,
    preview: &mut Vec<(String, Reject)>,
    progress: &dyn Progress,
) -> Result<(SourceReport, u64), LoadError> {
    let started = Instant::now();
    let io_err = |source| LoadError::Io {
        path: path.to_owned(),
        source,
    };
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let file = File::open(path).map_err(io_err)?;
    progress.start(
        &format!("loading {name}"),
        file.metadata().ok().map(|m| m.len()),
        Unit::Bytes,
    );
    super::load::forget_table(tx, table)?;
    super::load::clear(tx, table, &name)?;
    let mut reader = BufReader::with_capacity(1 << 20, HashingReader::new(file));
    let mut app = tx.appender(table).ctx(format!("opening {table}"))?;
    let mut buf = Vec::new();
    let (mut line_no, mut rows, mut unknown) = (0u64, 0u64, 0u64);
    let mut rejects = super::load::RejectSink::open(tx, &name)?;
    let mut shown = super::load::Preview {
        limit: preview_limit,
        items: preview,
    };
    loop {
        let n = match read_line_capped(&mut reader, &mut buf, MAX_ML_LINE_BYTES).map_err(io_err)? {
            CappedLine::Eof => break,
            CappedLine::Line(n) => n as u64,
            CappedLine::TooLong(len) => {
                line_no += 1;
                progress.advance(len + 1);
                let start = &buf[..buf.len().min(crate::limits::MAX_REJECT_RAW_BYTES)];
                let r = Reject {
                    line_no,
                    reason: format!(
                        "line-too-long: line too long ({len} bytes); MovieLens lines are short"
                    ),
                    raw: format!("{}…", latin1(start)),
                };
                rejects.push(&r, &mut shown)?;
                continue;
            }
        };
        line_no += 1;
        progress.advance(n);
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = latin1(raw);
        match parse(&line) {
            Ok(values) => {
                if table == "ml_rating" && values.last() == Some(&Value::Null) {
                    unknown += 1;
                }
                let row = std::iter::once(Value::BigInt(line_no as i64)).chain(values);
                app.append_row(appender_params_from_iter(row))
                    .ctx(format!("{}:{line_no}: writing {table}", path.display()))?;
                rows += 1;
            }
            Err(why) => {
                let r = Reject {
                    line_no,
                    reason: why.to_string(),
                    raw: line.trim_end_matches('\r').to_owned(),
                };
                rejects.push(&r, &mut shown)?;
            }
        }
    }
    app.flush().ctx(format!("writing {table}"))?;
    drop(app);
    let rejected = rejects.finish()?;
    let (sha256, _) = reader.into_inner().finish().map_err(io_err)?;
    progress.finish();
    let report = SourceReport {
        source: name,
        table,
        path: path.to_owned(),
        rows,
        rejected,
        sha256,
        seconds: started.elapsed().as_secs_f64(),
        unknown_columns: Vec::new(),
    };
    super::load::record_manifest(tx, &report)?;
    Ok((report, unknown))
}
