//! The provenance sidecar of an exported report (`FILE.meta.json`): which SQL ran with
//! which parameters, how many rows came out, and the sources (with sha256) the data came
//! from. Written by `perx report … --provenance` and by the TUI's exports.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::session_browse::{SessionFilter, SessionSort};
use super::{Store, StoreError};
use crate::core::timerange::DEFAULT_TZ;
use crate::report::{EngagementQuery, SessionsQuery, WeeklyQuery, sql_files};

/// Where a report ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// The embedded DuckDB database.
    DuckDb,
    /// A BigQuery dataset filled by `perx sync bigquery`.
    BigQuery {
        /// The project.
        project: String,
        /// The dataset.
        dataset: String,
    },
}

/// What a report run was. Built by one constructor per report, so the CLI and the TUI
/// record the same keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// The SQL file that ran (e.g. `sql/reports/weekly.sql`, or its `sql/bigquery/` twin).
    pub sql: &'static str,
    /// Its parameters, as given and as queried (UTC bounds included).
    pub params: serde_json::Value,
    /// The time zone of the dates.
    pub tz: String,
    /// Where it ran.
    pub engine: Engine,
}

fn rfc3339(t: Option<(DateTime<Utc>, DateTime<Utc>)>) -> (Option<String>, Option<String>) {
    match t {
        Some((a, b)) => (Some(a.to_rfc3339()), Some(b.to_rfc3339())),
        None => (None, None),
    }
}

impl Provenance {
    fn duckdb(sql: &'static str, params: serde_json::Value, tz: Tz) -> Provenance {
        Provenance {
            sql,
            params,
            tz: tz.name().to_owned(),
            engine: Engine::DuckDb,
        }
    }

    /// Report A1.
    pub fn engagement(q: &EngagementQuery) -> Provenance {
        let (utc_from, utc_to) = rfc3339(Some(q.range.to_utc()));
        let params = json!({
            "campaign": q.campaign_id, "from": q.range.from().to_string(),
            "to": q.range.to().to_string(), "utc_from": utc_from,
            "utc_to_exclusive": utc_to, "status": q.status, "by": q.by.as_str(),
        });
        Self::duckdb(sql_files::ENGAGEMENT, params, q.range.tz())
    }

    /// Report A2.
    pub fn weekly(q: &WeeklyQuery) -> Provenance {
        Self::duckdb(sql_files::WEEKLY, json!({ "reward": q.reward }), q.tz)
    }

    /// Report B, `tz` being the zone of its dates, `events_sql` the file that read the
    /// events ([`Store::session_events_sql`]); the sessions are cut in Rust.
    pub fn sessions(q: &SessionsQuery, tz: Tz, events_sql: &'static str) -> Provenance {
        let (utc_from, utc_to) = rfc3339(q.utc_bounds());
        let params = json!({
            "user_id": q.user_id, "from": q.range.map(|r| r.from().to_string()),
            "to": q.range.map(|r| r.to().to_string()), "driven_only": q.driven_only,
            "utc_from": utc_from, "utc_to_exclusive": utc_to,
        });
        Self::duckdb(events_sql, params, tz).with(
            "sessionizer",
            format!(
                "core::session::Sessionizer: a new session after a gap of {} s or more",
                crate::core::session::GAP_SECS
            ),
        )
    }

    /// Report B read from the sessions table (`perx report sessions` when the table holds
    /// the sessions of the data loaded now), `tz` being the zone of its dates.
    pub fn sessions_stored(q: &SessionsQuery, tz: Tz) -> Provenance {
        let (utc_from, utc_to) = rfc3339(q.utc_bounds());
        let params = json!({
            "user_id": q.user_id, "from": q.range.map(|r| r.from().to_string()),
            "to": q.range.map(|r| r.to().to_string()), "driven_only": q.driven_only,
            "utc_from": utc_from, "utc_to_exclusive": utc_to,
        });
        Self::duckdb("sql/ui/session_export.sql", params, tz).with(
            "sessionizer",
            format!(
                "core::session::Sessionizer (a new session after a gap of {} s or more), \
                 run by every load and ingest into the table http_log_session",
                crate::core::session::GAP_SECS
            ),
        )
    }

    /// The session browser's export (the TUI's filters and order).
    pub fn session_export(f: &SessionFilter, sort: SessionSort) -> Provenance {
        let (utc_from, utc_to) = rfc3339(f.span);
        let params = json!({
            "user_id": f.user_id, "campaign_id": f.campaign_id,
            "reward_id": f.reward_id, "driven_only": f.driven_only,
            "utc_from": utc_from, "utc_to_exclusive": utc_to, "sort": sort.label(),
        });
        Self::duckdb("sql/ui/session_export.sql", params, DEFAULT_TZ)
    }

    /// A statement of the SQL console (`perx query`, the Query tab): the SQL itself is
    /// the parameter.
    pub fn query(sql: &str) -> Provenance {
        Self::duckdb("(SQL console)", json!({ "sql": sql }), DEFAULT_TZ)
    }

    /// Adds a parameter (e.g. the order a view was shown in).
    pub fn with(mut self, key: &str, value: impl serde::Serialize) -> Provenance {
        if let Some(map) = self.params.as_object_mut() {
            map.insert(key.to_owned(), json!(value));
        }
        self
    }

    /// Records that the report ran on BigQuery: the SQL becomes its `sql/bigquery/` twin.
    pub fn ran_on_bigquery(&mut self, project: &str, dataset: &str) {
        self.sql = match self.sql {
            sql_files::ENGAGEMENT => sql_files::BQ_ENGAGEMENT,
            sql_files::WEEKLY => sql_files::BQ_WEEKLY,
            sql_files::SESSIONS | sql_files::SESSION_EVENTS | sql_files::SESSION_EVENTS_NUMERIC => {
                sql_files::BQ_SESSIONS
            }
            other => other,
        };
        self.engine = Engine::BigQuery {
            project: project.to_owned(),
            dataset: dataset.to_owned(),
        };
    }
}

/// Why the sidecar could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    /// Reading the manifest failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the file failed.
    #[error("writing {path}")]
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
        let mut doc = json!({
            "sql_file": prov.sql,
            "parameters": prov.params,
            "time_zone": prov.tz,
            "rows": rows,
            "database": self.path().display(),
            "run_at": chrono::Utc::now().to_rfc3339(),
            "perx_version": env!("CARGO_PKG_VERSION"),
        });
        match &prov.engine {
            Engine::DuckDb => {
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
                doc["engine"] = json!("duckdb");
                doc["sources"] = json!(sources);
            }
            Engine::BigQuery { project, dataset } => {
                // The remote tables came from these syncs (their fingerprints are those of
                // the local loads they were made from).
                let synced = self.sync_state(&format!("{project}.{dataset}"))?;
                doc["engine"] = json!("bigquery");
                doc["bigquery"] = json!({
                    "project": project, "dataset": dataset,
                    "sync_state": synced.iter().map(|s| json!({
                        "table": s.table, "fingerprint": s.fingerprint, "rows": s.rows,
                        "synced_at": s.synced_at,
                    })).collect::<Vec<_>>(),
                });
            }
        }
        let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        crate::atomic::write(&meta, &bytes).map_err(|source| ProvenanceError::Io {
            path: meta.clone(),
            source,
        })?;
        Ok(meta)
    }
}
