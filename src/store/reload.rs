//! Reloading the data from the files they were last loaded from (the TUI's Data tab `r`):
//! the platform exports by their directories, MovieLens by its ratings file, each in its
//! own transaction as `perx load` and `perx movielens load` do.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Store;
use super::load::{DataDir, LoadError, LoadOptions, default_avro_path};
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
        let opts = LoadOptions {
            avro_out: default_avro_path(self.path()),
            codec: Default::default(),
            preview: 0,
        };
        for dir in dirs {
            let data = DataDir::discover(&dir)?;
            let report = self.load(&data, &opts, progress)?;
            done.rows += report.sources.iter().map(|s| s.rows).sum::<u64>();
            done.rejected += report.rejected();
            done.dirs.push(dir);
        }
        if let Some(path) = ratings {
            let files = MlFiles::discover(&path)?;
            let report = self.load_movielens(&files, 0, progress)?;
            done.rows += report.sources.iter().map(|s| s.rows).sum::<u64>();
            done.rejected += report.rejected();
            done.ratings = Some(path);
        }
        done.seconds = started.elapsed().as_secs_f64();
        Ok(done)
    }
}
