//! Helpers shared by the integration tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use perx::progress::NoProgress;
use perx::store::load::{DataDir, LoadOptions, LoadReport};
use perx::store::{DbPath, Store};

/// The variable `.ci/run` sets to the folder holding `perx/`, `ml-1m/` and `ml-100k/`.
pub const SHARED_DATA_ENV: &str = "PERX_SHARED_DATA";

/// The variable that turns every skip into a failure (`.ci/run` sets it): CI must not pass
/// on fewer tests because data, the emulator or tmux are missing.
pub const NO_SKIP_ENV: &str = "PERX_NO_SKIP";

/// Says plainly that `test` is skipped and why; fails the test instead when
/// [`NO_SKIP_ENV`] is set. Every skip of the suite goes through here.
pub fn skip(test: &str, why: &str) {
    let forbidden = std::env::var_os(NO_SKIP_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    let note = skip_or_fail(test, why, forbidden);
    // Straight to stderr, so the test harness does not swallow it.
    let _ = writeln!(std::io::stderr(), "{note}");
}

/// The note of a skip, or a panic when skipping is `forbidden`.
pub fn skip_or_fail(test: &str, why: &str, forbidden: bool) -> String {
    if forbidden {
        panic!("{test} cannot run: {why}, and {NO_SKIP_ENV} forbids skipping");
    }
    format!("SKIPPED {test}: {why}")
}

/// A folder of the real data (e.g. `perx`), or `None` after saying plainly that the test
/// is skipped (see [`skip`]).
pub fn real_data(sub: &str, test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(SHARED_DATA_ENV).map(|d| PathBuf::from(d).join(sub));
    match dir {
        Some(d) if d.is_dir() => Some(d),
        other => {
            let why = match other {
                Some(d) => format!("{} does not exist", d.display()),
                None => format!("{SHARED_DATA_ENV} is not set"),
            };
            skip(
                test,
                &format!("real data not available ({why}); .ci/run sets {SHARED_DATA_ENV}"),
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
        preview: 10,
        ..LoadOptions::new(avro_dir.join("http_log.avro"))
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

/// Copies the files of `from` (not its folders) whose names `keep` accepts into `to`
/// (created), for tests that load a variant of a data set.
pub fn copy_files(from: &Path, to: &Path, keep: impl Fn(&str) -> bool) {
    std::fs::create_dir_all(to).unwrap();
    for f in std::fs::read_dir(from).unwrap() {
        let f = f.unwrap();
        let name = f.file_name().to_string_lossy().into_owned();
        if f.file_type().unwrap().is_file() && keep(&name) {
            std::fs::copy(f.path(), to.join(&name)).unwrap();
        }
    }
}
