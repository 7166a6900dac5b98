//! The database handle opened through DuckDB's C API (extension autoloading off), which the
//! store's connections are made from, and the parser's count of the statements in a text.
//! The SQL console tells a query from a statement that changes data by the type of the
//! statement prepared on its own connection (`duckdb::Statement::statement_type`, see
//! `vendor/duckdb/PERX-PATCH.md`), so a temporary table or a setting of that connection
//! counts.
//!
//! Every pointer made here is released here, on every path.

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr;

use duckdb::{Connection, ffi};

/// What DuckDB says a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `SELECT`, `DESCRIBE`, `SUMMARIZE`, `SHOW`, `FROM …`, `VALUES`.
    Select,
    /// `EXPLAIN`.
    Explain,
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `CREATE` (tables, views, macros, …).
    Create,
    /// `DROP`.
    Drop,
    /// `ALTER`.
    Alter,
    /// `COPY` (to or from a file).
    Copy,
    /// `PRAGMA`.
    Pragma,
    /// `CALL`.
    Call,
    /// `SET`, `RESET`, variables.
    Set,
    /// `BEGIN`, `COMMIT`, `ROLLBACK`.
    Transaction,
    /// `MERGE INTO`.
    Merge,
    /// `PREPARE name AS …`.
    Prepare,
    /// `EXECUTE name`: runs a statement prepared (and checked) on the same connection.
    Execute,
    /// Anything else (`ATTACH`, `EXPORT`, `LOAD`, `VACUUM`, …), with DuckDB's number
    /// for it.
    Other(u32),
}

impl StatementKind {
    /// The kind of DuckDB's number for it (`duckdb_prepared_statement_type`).
    pub(crate) fn from_ffi(t: ffi::duckdb_statement_type) -> StatementKind {
        match t {
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_SELECT => StatementKind::Select,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_EXPLAIN => StatementKind::Explain,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_INSERT => StatementKind::Insert,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_UPDATE => StatementKind::Update,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_DELETE => StatementKind::Delete,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_CREATE => StatementKind::Create,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_DROP => StatementKind::Drop,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_ALTER => StatementKind::Alter,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_COPY => StatementKind::Copy,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_PRAGMA => StatementKind::Pragma,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_CALL => StatementKind::Call,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_SET
            | ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_VARIABLE_SET => StatementKind::Set,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_TRANSACTION => {
                StatementKind::Transaction
            }
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_MERGE_INTO => StatementKind::Merge,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_PREPARE => StatementKind::Prepare,
            ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_EXECUTE => StatementKind::Execute,
            other => StatementKind::Other(other),
        }
    }

    /// How it reads in a prompt.
    pub fn name(self) -> &'static str {
        match self {
            StatementKind::Select => "SELECT",
            StatementKind::Explain => "EXPLAIN",
            StatementKind::Insert => "INSERT",
            StatementKind::Update => "UPDATE",
            StatementKind::Delete => "DELETE",
            StatementKind::Create => "CREATE",
            StatementKind::Drop => "DROP",
            StatementKind::Alter => "ALTER",
            StatementKind::Copy => "COPY",
            StatementKind::Pragma => "PRAGMA",
            StatementKind::Call => "CALL",
            StatementKind::Set => "SET",
            StatementKind::Transaction => "a transaction statement",
            StatementKind::Merge => "MERGE",
            StatementKind::Prepare => "PREPARE",
            StatementKind::Execute => "EXECUTE",
            StatementKind::Other(_) => "a statement of another kind",
        }
    }

    /// Whether it only reads: it changes no table, whatever it names.
    pub fn reads_only(self) -> bool {
        matches!(
            self,
            StatementKind::Select
                | StatementKind::Explain
                | StatementKind::Pragma
                | StatementKind::Call
                | StatementKind::Set
        )
    }
}

/// A DuckDB database opened through the C API; closed when dropped (connections made
/// from it keep the instance alive until they close).
pub(crate) struct RawDb {
    db: ffi::duckdb_database,
    /// The SQL console's scratch database, a file in a temporary folder made on first use
    /// and removed with the database handle.
    scratch: std::sync::OnceLock<tempfile::TempDir>,
}

// SAFETY: a `duckdb_database` is a handle to a thread-safe database instance; the C API
// allows connecting to it from any thread.
unsafe impl Send for RawDb {}
// SAFETY: as above; `&RawDb` only connects.
unsafe impl Sync for RawDb {}

impl std::fmt::Debug for RawDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawDb")
    }
}

/// Takes (and frees) a C string DuckDB allocated for an error.
///
/// # Safety
/// `p` is null or a string DuckDB allocated with its allocator and nothing else frees.
unsafe fn take_error(p: *mut c_char) -> String {
    if p.is_null() {
        return "DuckDB gave no reason".to_owned();
    }
    // SAFETY: by the caller, `p` is a valid NUL-terminated string that we own.
    let msg = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    // SAFETY: as above; freed once.
    unsafe { ffi::duckdb_free(p as *mut c_void) };
    msg
}

/// Reads a C string DuckDB still owns (freed with the object it belongs to).
///
/// # Safety
/// `p` is null or a valid NUL-terminated string that outlives this call.
unsafe fn borrowed_error(p: *const c_char) -> String {
    if p.is_null() {
        return "DuckDB gave no reason".to_owned();
    }
    // SAFETY: by the caller.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl RawDb {
    /// Opens `path` (a file, or `:memory:`) with extension autoloading off.
    pub(crate) fn open(path: &CStr) -> Result<RawDb, String> {
        let mut config: ffi::duckdb_config = ptr::null_mut();
        // SAFETY: `config` is an out-pointer; created and destroyed here.
        if unsafe { ffi::duckdb_create_config(&mut config) } != ffi::DuckDBSuccess {
            return Err("could not create a DuckDB configuration".to_owned());
        }
        let set = |key: &CStr, value: &CStr| {
            // SAFETY: `config` is valid; DuckDB copies the strings.
            unsafe { ffi::duckdb_set_config(config, key.as_ptr(), value.as_ptr()) }
        };
        // Extensions cannot be downloaded here: fail fast instead of trying.
        let mut ok = set(c"autoinstall_known_extensions", c"false") == ffi::DuckDBSuccess;
        ok &= set(c"autoload_known_extensions", c"false") == ffi::DuckDBSuccess;
        ok &= set(c"duckdb_api", c"rust") == ffi::DuckDBSuccess;
        let mut db: ffi::duckdb_database = ptr::null_mut();
        let mut err: *mut c_char = ptr::null_mut();
        let opened = ok
            // SAFETY: `path` is a valid C string; `db` and `err` are out-pointers.
            && unsafe { ffi::duckdb_open_ext(path.as_ptr(), &mut db, config, &mut err) }
                == ffi::DuckDBSuccess;
        // SAFETY: created above, destroyed once.
        unsafe { ffi::duckdb_destroy_config(&mut config) };
        if !ok {
            return Err("could not configure DuckDB".to_owned());
        }
        if !opened {
            // SAFETY: on failure `err` is null or an error string we own.
            return Err(unsafe { take_error(err) });
        }
        Ok(RawDb {
            db,
            scratch: std::sync::OnceLock::new(),
        })
    }

    /// The file of the console's scratch database (its folder made on first use).
    pub(crate) fn scratch_file(&self) -> std::io::Result<std::path::PathBuf> {
        if let Some(d) = self.scratch.get() {
            return Ok(d.path().join("scratch.duckdb"));
        }
        let dir = tempfile::Builder::new().prefix("perx-scratch-").tempdir()?;
        let dir = self.scratch.get_or_init(|| dir);
        Ok(dir.path().join("scratch.duckdb"))
    }

    /// A new connection (the `duckdb` crate's) to this database.
    pub(crate) fn connect(&self) -> duckdb::Result<Connection> {
        // SAFETY: `self.db` is open until `self` drops, and the connection keeps the
        // instance alive on its own after that (the crate does not close it).
        unsafe { Connection::open_from_raw(self.db) }
    }

    /// How many statements `sql` holds, as DuckDB's parser splits it. Nothing is bound or
    /// run, so no connection's state (temporary tables, settings) matters. Errors are
    /// DuckDB's messages (a syntax error).
    pub(crate) fn statement_count(&self, sql: &str) -> Result<usize, String> {
        let text = CString::new(sql).map_err(|_| "the SQL holds a NUL byte".to_owned())?;
        let mut con: ffi::duckdb_connection = ptr::null_mut();
        // SAFETY: `self.db` is open; `con` is an out-pointer, disconnected below.
        if unsafe { ffi::duckdb_connect(self.db, &mut con) } != ffi::DuckDBSuccess {
            return Err("could not open a connection to parse the statement".to_owned());
        }
        let mut extracted: ffi::duckdb_extracted_statements = ptr::null_mut();
        // SAFETY: `con` is connected, `text` a valid C string, `extracted` an out-pointer
        // destroyed below on every path.
        let n = unsafe { ffi::duckdb_extract_statements(con, text.as_ptr(), &mut extracted) };
        let result = if n == 0 {
            // SAFETY: `extracted` is valid (or null, which DuckDB accepts) until destroyed.
            let e = unsafe { ffi::duckdb_extract_statements_error(extracted) };
            Err(if e.is_null() {
                "there is no statement to run".to_owned()
            } else {
                // SAFETY: owned by `extracted`, read before it is destroyed.
                unsafe { borrowed_error(e) }
            })
        } else {
            Ok(n as usize)
        };
        // SAFETY: made above, destroyed once.
        unsafe { ffi::duckdb_destroy_extracted(&mut extracted) };
        // SAFETY: connected above, disconnected once.
        unsafe { ffi::duckdb_disconnect(&mut con) };
        result
    }
}

impl Drop for RawDb {
    fn drop(&mut self) {
        // SAFETY: opened in `open`, closed once; open connections keep the instance.
        unsafe { ffi::duckdb_close(&mut self.db) };
    }
}
