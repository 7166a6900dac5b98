//! The store: the one place that owns the DuckDB connection.
//!
//! Opening a database applies the schema (`sql/schema.sql`, then `sql/migrations/`) and
//! records its version. Loading lives in [`load`]. Everything above this layer sees typed
//! results, never a `duckdb::Connection`.

pub mod export;
pub mod ingest;
pub mod load;
pub mod movielens;
pub mod parquet;
pub mod provenance;
pub mod query;
mod raw;
pub mod recommend;
pub mod reload;
pub mod reports;
pub mod rewards;
pub mod session_browse;
pub mod sessions;
pub mod tz;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use duckdb::Connection;

use crate::core::Reject;

/// One row of `load_manifest`: what the last load of a source file did.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    /// The file name.
    pub source: String,
    /// The table it filled.
    pub table: String,
    /// The path it was loaded from.
    pub path: String,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// Rows loaded.
    pub rows: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// When (UTC).
    pub loaded_at: String,
    /// How long it took.
    pub seconds: f64,
}

/// One row of `http_log` as users see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLogRow {
    /// Line in the source text log.
    pub line_no: u64,
    /// Microseconds since the epoch, UTC.
    pub ts_micros: i64,
    /// `GET` or `POST`.
    pub http_method: String,
    /// The path as written.
    pub http_path: String,
    /// The user id as written.
    pub user_id: String,
    /// `view` or `reward`.
    pub event_kind: String,
    /// Campaign or reward id.
    pub item_id: i64,
}

/// A first and a last instant (UTC).
pub type UtcSpan = (DateTime<Utc>, DateTime<Utc>);

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbPath {
    /// A DuckDB file (created when missing).
    File(PathBuf),
    /// A throw-away in-memory database (`--db :memory:`).
    Memory,
}

impl DbPath {
    /// Reads a `--db` argument: `:memory:` or a file path.
    pub fn parse(s: &str) -> DbPath {
        if s == ":memory:" {
            DbPath::Memory
        } else {
            DbPath::File(PathBuf::from(s))
        }
    }

    /// How to show it to a user.
    pub fn display(&self) -> String {
        match self {
            DbPath::File(p) => p.display().to_string(),
            DbPath::Memory => ":memory:".to_owned(),
        }
    }
}

/// The default database file, in the working directory.
pub const DEFAULT_DB: &str = "perx.duckdb";

/// Schema versions, in order. Version 1 is `sql/schema.sql`; later ones are migrations.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../sql/schema.sql")),
    (2, include_str!("../../sql/migrations/002_movielens.sql")),
    (3, include_str!("../../sql/migrations/003_ingest.sql")),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Errors of the store layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database file.
    #[error(
        "database {path} is locked by another process (is another perx running?); close it, \
         or choose another file with --db"
    )]
    Locked {
        /// The database file.
        path: String,
    },
    /// The database could not be opened.
    #[error(
        "cannot open database {path} (does its directory exist and is it writable? choose another file with --db)"
    )]
    Open {
        /// The database file.
        path: String,
        /// What DuckDB said.
        source: duckdb::Error,
    },
    /// The file was written by a newer perx.
    #[error(
        "database {path} has schema version {found}, newer than this perx knows ({known}); \
         upgrade perx or use another --db"
    )]
    NewerSchema {
        /// The database file.
        path: String,
        /// Its version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A statement failed.
    #[error("{context}")]
    Sql {
        /// What perx was doing.
        context: String,
        /// What DuckDB said.
        source: duckdb::Error,
    },
    /// A request the store refuses (a bug in the caller, or an export that failed).
    #[error("{0}")]
    Invalid(String),
    /// A database that must already exist is missing or is not perx's.
    #[error("{path}: {why}")]
    NotPerx {
        /// The database file.
        path: String,
        /// What is wrong with it and what to do.
        why: String,
    },
}

/// Adds what perx was doing to a DuckDB error.
pub(crate) trait SqlContext<T> {
    fn ctx(self, context: impl Into<String>) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for Result<T, duckdb::Error> {
    fn ctx(self, context: impl Into<String>) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sql {
            context: context.into(),
            source,
        })
    }
}

/// Runs `sql` with `params` and collects every row mapped by `row`; `what` names the work
/// in errors.
/// Reads a TIMESTAMP column as an instant. The duckdb crate's own chrono conversion
/// unwraps, and panics on a value past chrono's range (years beyond ±262,000), which a
/// database filled by other means may hold: here such a value is an error instead.
pub(crate) fn instant(r: &duckdb::Row<'_>, i: usize) -> duckdb::Result<Option<DateTime<Utc>>> {
    match micros_of(r, i)? {
        None => Ok(None),
        Some(us) => DateTime::from_timestamp_micros(us)
            .map(Some)
            .ok_or_else(|| {
                duckdb::Error::FromSqlConversionFailure(
                    i,
                    duckdb::types::Type::Timestamp,
                    format!(
                        "the database holds an instant ({us} µs) outside the range perx can show; \
                     load the data again with `perx load` (it accepts {})",
                        crate::core::timestamp::RANGE_TEXT
                    )
                    .into(),
                )
            }),
    }
}

/// Like [`instant`], but an instant outside the accepted years is clamped into them (for
/// showing the span of the data, e.g. the date picker's bounds).
pub(crate) fn instant_clamped(
    r: &duckdb::Row<'_>,
    i: usize,
) -> duckdb::Result<Option<DateTime<Utc>>> {
    use chrono::TimeZone;
    let first = Utc
        .with_ymd_and_hms(crate::core::timestamp::MIN_YEAR, 1, 1, 0, 0, 0)
        .single();
    let last = Utc
        .with_ymd_and_hms(crate::core::timestamp::MAX_YEAR, 12, 31, 23, 59, 59)
        .single();
    Ok(micros_of(r, i)?.and_then(|us| {
        let (lo, hi) = (first?, last?);
        Some(
            DateTime::from_timestamp_micros(us)
                .map_or(if us < 0 { lo } else { hi }, |t| t.clamp(lo, hi)),
        )
    }))
}

/// A TIMESTAMP column in microseconds since the epoch (saturating).
fn micros_of(r: &duckdb::Row<'_>, i: usize) -> duckdb::Result<Option<i64>> {
    use duckdb::types::{TimeUnit, ValueRef};
    match r.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Timestamp(unit, v) => Ok(Some(match unit {
            TimeUnit::Second => v.saturating_mul(1_000_000),
            TimeUnit::Millisecond => v.saturating_mul(1_000),
            TimeUnit::Microsecond => v,
            TimeUnit::Nanosecond => v.div_euclid(1_000),
        })),
        other => Err(duckdb::Error::FromSqlConversionFailure(
            i,
            other.data_type(),
            "expected a TIMESTAMP".into(),
        )),
    }
}

pub(crate) fn query_all<T, C, P>(
    conn: &Connection,
    sql: &str,
    params: P,
    what: &str,
    row: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
) -> Result<C, StoreError>
where
    C: FromIterator<T>,
    P: duckdb::Params,
{
    let mut stmt = conn.prepare(sql).ctx(what)?;
    let rows = stmt.query_map(params, row).ctx(what)?;
    rows.collect::<Result<C, _>>().ctx(what)
}

/// Cancels the statement running on one connection ([`Store::interrupt_handle`]).
#[derive(Clone)]
pub struct Interrupt(std::sync::Arc<duckdb::InterruptHandle>);

impl Interrupt {
    /// Interrupts the running statement, if any.
    pub fn interrupt(&self) {
        self.0.interrupt();
    }
}

impl std::fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interrupt")
    }
}

/// An open perx database.
pub struct Store {
    conn: Connection,
    path: DbPath,
    /// The database handle the connections are made from (declared after `conn`, so it
    /// is released after it).
    raw: std::sync::Arc<raw::RawDb>,
    /// Whether the SQL console opened a transaction on this connection (`BEGIN` ran, no
    /// `COMMIT`/`ROLLBACK` yet): its results are then held in memory, not in the scratch
    /// database.
    in_transaction: std::cell::Cell<bool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens a database that must already be perx's: the file exists, is a regular file
    /// and holds perx's schema. Nothing is created, and another program's DuckDB file is
    /// left as it is (a reload of a running server must never serve an empty database
    /// because the file it was told to read had gone).
    pub fn open_existing(path: &DbPath) -> Result<Store, StoreError> {
        let not_perx = |why: String| StoreError::NotPerx {
            path: path.display(),
            why,
        };
        if let DbPath::File(p) = path {
            match std::fs::metadata(p) {
                Ok(m) if m.is_file() => {}
                Ok(_) => return Err(not_perx("not a regular file".into())),
                Err(e) => {
                    return Err(not_perx(format!(
                        "cannot be read ({e}); move a database made by perx there"
                    )));
                }
            }
        }
        let store = Store::open_unmigrated(path)?;
        if store.schema_version()? == 0 {
            return Err(not_perx(
                "a DuckDB database without perx's tables; move a database made by perx there"
                    .into(),
            ));
        }
        let mut store = store;
        store.migrate()?;
        Ok(store)
    }

    /// Opens (or creates) the database and brings its schema up to date.
    pub fn open(path: &DbPath) -> Result<Store, StoreError> {
        let mut store = Store::open_unmigrated(path)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens (or creates) the database as it is.
    fn open_unmigrated(path: &DbPath) -> Result<Store, StoreError> {
        let shown = path.display();
        let open_err = |source: duckdb::Error| {
            let msg = format!("{source} {source:?}");
            if msg.contains("Could not set lock") || msg.contains("Conflicting lock") {
                StoreError::Locked {
                    path: shown.clone(),
                }
            } else {
                StoreError::Open {
                    path: shown.clone(),
                    source,
                }
            }
        };
        let c_path = match path {
            DbPath::File(p) => {
                use std::os::unix::ffi::OsStrExt;
                std::ffi::CString::new(p.as_os_str().as_bytes())
            }
            DbPath::Memory => std::ffi::CString::new(":memory:"),
        }
        .map_err(|_| {
            StoreError::Invalid(format!("the database path {shown:?} holds a NUL byte"))
        })?;
        // Opened through the C API (extensions off: they cannot be downloaded here) so the
        // SQL console can ask DuckDB what a statement is; connections come from it.
        let raw = raw::RawDb::open(&c_path).map_err(|msg| {
            open_err(duckdb::Error::DuckDBFailure(
                duckdb::ffi::Error::new(duckdb::ffi::DuckDBError),
                Some(msg),
            ))
        })?;
        let conn = raw.connect().map_err(open_err)?;
        tz::register(&conn).map_err(|source| StoreError::Sql {
            context: "registering perx_local".into(),
            source,
        })?;
        Ok(Store {
            conn,
            path: path.clone(),
            raw: std::sync::Arc::new(raw),
            in_transaction: std::cell::Cell::new(false),
        })
    }

    /// Caps DuckDB's memory for this database (all its connections): `256MB`, `2GB`…
    pub fn set_memory_limit(&self, limit: &str) -> Result<(), StoreError> {
        let t = limit.trim();
        let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim();
        let unit = t[digits.len()..].trim().to_ascii_uppercase();
        let units = ["B", "KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB"];
        if digits.is_empty() || digits.parse::<f64>().is_err() || !units.contains(&unit.as_str()) {
            return Err(StoreError::Invalid(format!(
                "{limit:?} is not a memory size; write it like 256MB or 2GB"
            )));
        }
        self.conn
            .execute_batch(
                &include_str!("../../sql/store/memory_limit.sql")
                    .replace("{limit}", &format!("{digits}{unit}")),
            )
            .ctx(format!("setting DuckDB's memory limit to {limit}"))
    }

    /// A second connection to the same database, for work on another thread (DuckDB
    /// connections are cheap and see each other's committed data).
    pub fn try_clone(&self) -> Result<Store, StoreError> {
        let conn = self.conn.try_clone().ctx("opening a second connection")?;
        Ok(Store {
            conn,
            path: self.path.clone(),
            raw: self.raw.clone(),
            in_transaction: std::cell::Cell::new(false),
        })
    }

    /// Writes the write-ahead log into the database file (`CHECKPOINT`), so that the file
    /// stands alone: `perx serve` does this after its own writes, so that a database moved
    /// over its file is not paired with a log that belongs to the old one.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(include_str!("../../sql/store/checkpoint.sql"))
            .ctx("writing the write-ahead log into the database file")
    }

    /// Stops the statement running on this connection (from any thread); it then fails
    /// with an "interrupted" error.
    pub fn interrupt_handle(&self) -> Interrupt {
        Interrupt(self.conn.interrupt_handle())
    }

    /// The database's location.
    pub fn path(&self) -> &DbPath {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let has: i64 = self
            .conn
            .query_row(
                include_str!("../../sql/store/has_schema_version.sql"),
                [],
                |r| r.get(0),
            )
            .ctx("reading schema version")?;
        if has == 0 {
            return Ok(0);
        }
        self.conn
            .query_row(
                include_str!("../../sql/store/schema_version.sql"),
                [],
                |r| r.get(0),
            )
            .ctx("reading schema version")
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.display(),
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let tx = self.conn.transaction().ctx("starting schema migration")?;
            tx.execute_batch(sql)
                .ctx(format!("applying schema version {version}"))?;
            tx.execute(
                include_str!("../../sql/store/set_schema_version.sql"),
                [version],
            )
            .ctx("recording schema version")?;
            tx.commit().ctx("committing schema migration")?;
        }
        Ok(())
    }

    /// Rows per table (loaded tables, rejects and warnings), in a fixed order.
    pub fn table_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        query_all(
            &self.conn,
            include_str!("../../sql/store/table_counts.sql"),
            [],
            "counting rows",
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)),
        )
    }

    /// Rejected lines of one source file (or of all), in file order.
    pub fn rejects(&self, source: Option<&str>) -> Result<Vec<(String, Reject)>, StoreError> {
        query_all(
            &self.conn,
            include_str!("../../sql/store/rejects.sql"),
            [source],
            "reading load_reject",
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Reject {
                        line_no: r.get::<_, i64>(1)?.max(0) as u64,
                        reason: r.get(2)?,
                        raw: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    },
                ))
            },
        )
    }

    /// What the last load of each source recorded.
    pub fn manifest(&self) -> Result<Vec<ManifestEntry>, StoreError> {
        query_all(
            &self.conn,
            include_str!("../../sql/store/manifest.sql"),
            [],
            "reading load_manifest",
            |r| {
                Ok(ManifestEntry {
                    source: r.get(0)?,
                    table: r.get(1)?,
                    path: r.get(2)?,
                    sha256: r.get(3)?,
                    rows: r.get::<_, i64>(4)?.max(0) as u64,
                    rejected: r.get::<_, i64>(5)?.max(0) as u64,
                    loaded_at: r.get(6)?,
                    seconds: r.get(7)?,
                })
            },
        )
    }

    /// The first and last reward-transaction instants, if there are any.
    pub fn transaction_time_range(&self) -> Result<Option<UtcSpan>, StoreError> {
        self.time_span(
            include_str!("../../sql/store/transaction_time_range.sql"),
            "reading the transactions' time range",
        )
    }

    /// Runs a `SELECT min(..), max(..)` of instants: both, or `None` when there are none.
    fn time_span(&self, sql: &str, what: &str) -> Result<Option<UtcSpan>, StoreError> {
        let (min, max) = self
            .conn
            .query_row(sql, [], |r| {
                Ok((instant_clamped(r, 0)?, instant_clamped(r, 1)?))
            })
            .ctx(what)?;
        Ok(min.zip(max))
    }

    /// The first and last request instants of the HTTP log, if it has any.
    pub fn log_time_range(&self) -> Result<Option<UtcSpan>, StoreError> {
        self.time_span(
            include_str!("../../sql/store/log_time_range.sql"),
            "reading the log's time range",
        )
    }

    /// The first `limit` rows of `http_log` in file order.
    pub fn http_log_rows(&self, limit: u64) -> Result<Vec<HttpLogRow>, StoreError> {
        query_all(
            &self.conn,
            include_str!("../../sql/store/http_log_rows.sql"),
            [limit as i64],
            "reading http_log",
            |r| {
                Ok(HttpLogRow {
                    line_no: r.get::<_, i64>(0)?.max(0) as u64,
                    ts_micros: r.get(1)?,
                    http_method: r.get(2)?,
                    http_path: r.get(3)?,
                    user_id: r.get(4)?,
                    event_kind: r.get(5)?,
                    item_id: r.get(6)?,
                })
            },
        )
    }

    /// The connection, for the layers inside the store.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// The directory a database file lives in (the working directory for `:memory:`).
pub fn db_dir(path: &DbPath) -> PathBuf {
    match path {
        DbPath::File(p) => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        DbPath::Memory => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_gets_the_current_schema_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = DbPath::File(dir.path().join("t.duckdb"));
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        drop(s);
        let s = Store::open(&path).unwrap();
        let n: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            n,
            MIGRATIONS.len() as i64,
            "each version applied once; reopening applies nothing"
        );
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = DbPath::File(dir.path().join("t.duckdb"));
        let s = Store::open(&path).unwrap();
        s.conn()
            .execute("INSERT INTO schema_version (version) VALUES (999)", [])
            .unwrap();
        drop(s);
        let e = Store::open(&path).unwrap_err();
        assert!(
            matches!(e, StoreError::NewerSchema { found: 999, .. }),
            "{e}"
        );
    }

    #[test]
    fn memory_database_opens() {
        let s = Store::open(&DbPath::parse(":memory:")).unwrap();
        let counts = s.table_counts().unwrap();
        assert!(counts.iter().all(|(_, n)| *n == 0));
        assert_eq!(counts.len(), 10);
    }

    #[test]
    fn a_clone_sees_the_same_database_and_its_queries_can_be_interrupted() {
        let s = Store::open(&DbPath::parse(":memory:")).unwrap();
        s.conn()
            .execute_batch("CREATE TABLE t AS SELECT 1 AS x")
            .unwrap();
        let c = s.try_clone().unwrap();
        let x: i64 = c
            .conn()
            .query_row("SELECT x FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, 1);
        // perx_local is usable on the clone too.
        let local: String = c
            .conn()
            .query_row(
                "SELECT CAST(perx_local(TIMESTAMP '2024-01-01 16:30:00', 'Asia/Singapore') AS VARCHAR)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(local, "2024-01-02 00:30:00");
        let stop = c.interrupt_handle();
        let worker = std::thread::spawn(move || {
            c.conn().query_row(
                "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3",
                [],
                |r| r.get::<_, i64>(0),
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        stop.interrupt();
        let result = worker.join().unwrap();
        assert!(result.is_err(), "the query should have been interrupted");
    }
}
