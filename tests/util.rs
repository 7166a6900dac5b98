//! Helpers shared by the integration tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use perx::progress::NoProgress;
use perx::store::load::{DataDir, LoadOptions, LoadReport};
use perx::store::{DbPath, Store};

/// The variable `.ci/run` sets to the folder holding `perx/`, `ml-1m/` and `ml-100k/`.
pub const SHARED_DATA_ENV: &str = "PERX_SHARED_DATA";

/// A folder of the real data (e.g. `perx`), or `None` after saying plainly that the test
/// is skipped. The note goes straight to stderr so the test harness does not swallow it.
pub fn real_data(sub: &str, test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(SHARED_DATA_ENV).map(|d| PathBuf::from(d).join(sub));
    match dir {
        Some(d) if d.is_dir() => Some(d),
        other => {
            let why = match other {
                Some(d) => format!("{} does not exist", d.display()),
                None => format!("{SHARED_DATA_ENV} is not set"),
            };
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: real data not available ({why}); .ci/run sets {SHARED_DATA_ENV}"
            );
            None
        }
    }
}

/// The shipped sample.
pub fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Loads `dir` into `store`, writing the Avro file into `avro_dir`/http_log.avro.
pub fn load(store: &mut Store, dir: &Path, avro_dir: &Path) -> LoadReport {
    let data = DataDir::discover(dir).expect("discover");
    let opts = LoadOptions {
        avro_out: avro_dir.join("http_log.avro"),
        codec: Default::default(),
        preview: 10,
    };
    store.load(&data, &opts, &NoProgress).expect("load")
}

/// A fresh in-memory store.
pub fn memory_store() -> Store {
    Store::open(&DbPath::Memory).expect("open :memory:")
}

/// Row counts by table name.
pub fn count(store: &Store, table: &str) -> u64 {
    store
        .table_counts()
        .expect("counts")
        .into_iter()
        .find(|(t, _)| t == table)
        .map(|(_, n)| n)
        .unwrap_or_else(|| panic!("no table {table}"))
}

/// Writes `files` (name, content) into a new temporary directory.
pub fn data_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).expect("write fixture");
    }
    dir
}
