//! Reloading the data from the files they were last loaded from (the TUI's Data tab `r`):
//! the platform exports by their directories, MovieLens by its ratings file, all in one
//! transaction: a reload that fails anywhere changes nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Store;
use super::load::{DataDir, LoadError, LoadOptions};
use super::movielens::MlFiles;
use crate::progress::Progress;

/// What a reload did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reloaded {
    /// The platform directories loaded again.
    pub dirs: Vec<PathBuf>,
    /// The MovieLens ratings file loaded again, if any.
    pub ratings: Option<PathBuf>,
    /// Rows loaded, all sources together.
    pub rows: u64,
    /// Lines rejected, all sources together.
    pub rejected: u64,
    /// Wall time.
    pub seconds: f64,
}

impl Store {
    /// Loads again every source recorded in `load_manifest`. A source whose file is gone
    /// is an error naming it (nothing of that load changes).
    pub fn reload_sources(&mut self, progress: &dyn Progress) -> Result<Reloaded, LoadError> {
        let started = std::time::Instant::now();
        let manifest = self.manifest()?;
        let dirs: BTreeSet<PathBuf> = manifest
            .iter()
            .filter(|m| !m.table.starts_with("ml_"))
            .map(|m| {
                Path::new(&m.path)
                    .parent()
                    .unwrap_or(Path::new("."))
                    .to_owned()
            })
            .collect();
        let ratings = manifest
            .iter()
            .find(|m| m.table == "ml_rating")
            .map(|m| PathBuf::from(&m.path));
        let mut done = Reloaded::default();
        let opts = LoadOptions::for_db(self.path());
        let data = dirs
            .iter()
            .map(|d| DataDir::discover(d))
            .collect::<Result<Vec<_>, _>>()?;
        let ml_files = ratings.as_deref().map(MlFiles::discover).transpose()?;
        let mut ml_report = None;
        let reports = self.load_all(&data, &opts, progress, &mut |tx| {
            if let Some(files) = &ml_files {
                ml_report = Some(super::movielens::load_movielens_in(tx, files, 0, progress)?);
            }
            Ok(())
        })?;
        for (report, dir) in reports.iter().zip(dirs) {
            done.rows += report.sources.iter().map(|s| s.rows).sum::<u64>();
            done.rejected += report.rejected();
            done.dirs.push(dir);
        }
        if let Some(report) = ml_report {
            done.rows += report.sources.iter().map(|s| s.rows).sum::<u64>();
            done.rejected += report.rejected();
            done.ratings = ratings;
        }
        done.seconds = started.elapsed().as_secs_f64();
        Ok(done)
    }
}
