//! The provenance sidecar of an exported report (`FILE.meta.json`): which SQL ran with
//! which parameters, how many rows came out, and the sources (with sha256) the data came
//! from. Written by `perx report … --provenance` and by the TUI's exports.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{Store, StoreError};

/// What a report run was.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// The report's SQL file (e.g. `sql/reports/weekly.sql`).
    pub sql: &'static str,
    /// Its parameters, as given and as queried (UTC bounds included).
    pub params: serde_json::Value,
    /// The time zone of the dates.
    pub tz: String,
}

/// Why the sidecar could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    /// Reading the manifest failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The sidecar.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

impl Store {
    /// Writes `PATH.meta.json` beside the exported `path`; returns the sidecar's path.
    pub fn write_provenance(
        &self,
        path: &Path,
        prov: &Provenance,
        rows: u64,
    ) -> Result<PathBuf, ProvenanceError> {
        let mut meta = path.as_os_str().to_owned();
        meta.push(".meta.json");
        let meta = PathBuf::from(meta);
        let sources: Vec<_> = self
            .manifest()?
            .into_iter()
            .map(|m| {
                json!({
                    "source": m.source, "table": m.table, "path": m.path, "sha256": m.sha256,
                    "rows": m.rows, "rejected": m.rejected, "loaded_at": m.loaded_at,
                })
            })
            .collect();
        let doc = json!({
            "sql_file": prov.sql,
            "parameters": prov.params,
            "time_zone": prov.tz,
            "rows": rows,
            "database": self.path().display(),
            "sources": sources,
            "run_at": chrono::Utc::now().to_rfc3339(),
            "perx_version": env!("CARGO_PKG_VERSION"),
        });
        let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        crate::atomic::write(&meta, &bytes).map_err(|source| ProvenanceError::Io {
            path: meta.clone(),
            source,
        })?;
        Ok(meta)
    }
}
