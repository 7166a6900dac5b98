//! Finding the files of a data directory: the CSV exports by their standard names, and the
//! HTTP log as text or as an Avro file made by `perx convert-log`.

use std::path::{Path, PathBuf};

use super::LoadError;
use crate::core::records::CsvSource;

/// The standard name of the text log in a data directory.
pub const LOG_TEXT: &str = "http_log.txt";
/// The standard name of the Avro log in a data directory.
pub const LOG_AVRO: &str = "http_log.avro";

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
pub fn default_avro_path(db: &crate::store::DbPath) -> PathBuf {
    match db {
        crate::store::DbPath::Memory => {
            std::env::temp_dir().join(format!("perx-{}.http_log.avro", std::process::id()))
        }
        crate::store::DbPath::File(f) => {
            let stem = f.file_stem().map_or("perx".into(), |s| s.to_string_lossy());
            crate::store::db_dir(db).join(format!("{stem}.http_log.avro"))
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
