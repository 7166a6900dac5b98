//! `perx` with no subcommand: the terminal UI, on the database as it is, or on freshly
//! loaded data when it holds none yet.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use perx::exit;
use perx::ui::{self, App};

use super::load::{self, LoadArgs, default_data_dir};
use super::movielens::{self as ml, MovielensCommand};
use super::{Global, SummaryFormat};

#[derive(Debug, Args)]
pub struct UiArgs {
    /// For the UI: the exports to load when the database holds none yet [default: ./data,
    /// the shipped sample].
    #[arg(long = "data", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// For the UI: the MovieLens directory to load when the database has no ratings yet
    /// [default: data/movielens, the generated sample].
    #[arg(long, value_name = "DIR")]
    pub movielens: Option<PathBuf>,
    /// A file to open in the Query tab as a view (`perx sales.parquet`): .csv/.tsv,
    /// .parquet, .json/.jsonl (.gz/.zst too) or .avro; `read_*` written for you.
    #[arg(value_name = "FILE")]
    pub open: Option<PathBuf>,
}

/// DuckDB's memory cap in the terminal UI when `--memory-limit` is not given.
const UI_MEMORY_LIMIT: &str = "140MB";

/// The database as the terminal UI opens it: its memory kept small unless
/// `--memory-limit` says otherwise (DuckDB spills what exceeds it; `perx bench query`:
/// 10 M rows stored, sorted and counted in ~275 MB).
pub(super) fn ui_store(global: &Global) -> Result<perx::store::Store> {
    let store = global.open_store()?;
    if global.memory_limit.is_none() {
        store.set_memory_limit(UI_MEMORY_LIMIT)?;
    }
    Ok(store)
}

pub fn tui(global: &Global, args: &UiArgs) -> Result<u8> {
    use std::io::IsTerminal;
    if let Some(path) = &args.open
        && !path.is_file()
    {
        anyhow::bail!(
            "{}: no such file (and not a perx command: see perx --help)",
            path.display()
        );
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal (stdin and stdout); for scripts use a command: \
             perx load, perx report …, perx recommend … (see perx --help)"
        );
    }
    let db = global.db_path();
    let store = global.open_store()?;
    let counts = store.table_counts()?;
    let count = |table: &str| {
        counts
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    };
    let (platform, ratings) = (count("campaign"), count("ml_rating"));
    // The loaders open the database themselves.
    drop(store);
    if platform == 0 {
        errln!(
            "{} holds no platform data yet: loading it first",
            db.display()
        );
        load::load(
            global,
            &LoadArgs {
                data: args.data.clone(),
                avro: None,
                codec: Default::default(),
                format: SummaryFormat::Table,
                max_line_bytes: perx::avro::DEFAULT_MAX_LINE_BYTES,
            },
        )?;
    }
    if ratings == 0 {
        let dir = args
            .movielens
            .clone()
            .unwrap_or_else(|| default_data_dir().join("movielens"));
        errln!(
            "{} holds no MovieLens ratings yet: loading {}",
            db.display(),
            dir.display()
        );
        ml::movielens(global, &MovielensCommand::Load(ml::LoadArgs { dir }))?;
    }
    let store = ui_store(global)?;
    let mut app = App::new(store);
    if let Some(path) = &args.open {
        app.open_file(path);
    }
    ui::run(app).context("running the terminal UI")?;
    Ok(exit::OK)
}
