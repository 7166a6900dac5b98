//! `perx movielens load`: MovieLens ratings, movies and users into the database.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use perx::exit;
use perx::store::Store;
use perx::store::movielens::{MlFiles, MlFormat};

use super::Global;
use super::progress::Bar;

/// How many rejected lines are shown on stderr (all are in `load_reject`).
const SHOWN_REJECTS: usize = 10;

#[derive(Debug, Subcommand)]
pub enum MovielensCommand {
    /// Load MovieLens 1M (ratings.dat, movies.dat, users.dat) or 100K (u.data, u.item,
    /// u.user) into the tables ml_rating, ml_movie and ml_user.
    ///
    /// DIR may be the directory or the ratings file itself (e.g. a ratings file with
    /// another name). Each file present replaces its table in one transaction. Malformed
    /// lines go to load_reject with their line number; an empty timestamp is kept as
    /// unknown (NULL) and counted. Exit status 3 when any line was rejected.
    Load(LoadArgs),
    /// Download MovieLens 1M from GroupLens, check it and unpack it.
    ///
    /// Streams ml-1m.zip into DEST with a progress bar (as ml-1m.zip.part until complete),
    /// prints its sha256 (checked against --sha256 when given), checks that it holds
    /// ratings.dat, movies.dat and users.dat, and unpacks it into DEST/ml-1m. Then run
    /// `perx movielens load --dir DEST/ml-1m`. MovieLens may not be redistributed: the
    /// files stay on your machine.
    Fetch(FetchArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Directory to download and unpack into (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dest: PathBuf,
    /// Where to download from.
    #[arg(long, value_name = "URL", default_value = perx::fetch::ML1M_URL)]
    pub url: String,
    /// Refuse the download unless its sha256 is this (hex).
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The MovieLens directory, or its ratings file.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

pub fn movielens(global: &Global, cmd: &MovielensCommand) -> Result<u8> {
    let args = match cmd {
        MovielensCommand::Load(args) => args,
        MovielensCommand::Fetch(args) => return fetch(args),
    };
    let files = MlFiles::discover(&args.dir)?;
    let db = global.db_path();
    let mut store = Store::open(&db)?;
    let report = store
        .load_movielens(&files, SHOWN_REJECTS, &Bar::new())
        .with_context(|| format!("loading {} into {}", args.dir.display(), db.display()))?;
    let release = match files.format {
        MlFormat::OneMillion => "MovieLens 1M",
        MlFormat::HundredK => "MovieLens 100K",
    };
    outln!(
        "Loaded {release} from {} into {} in {:.2} s",
        args.dir.display(),
        db.display(),
        report.seconds
    )?;
    for s in &report.sources {
        outln!(
            "  {:<45} -> {:<10} {:>9} rows {:>6} rejected",
            s.source,
            s.table,
            s.rows,
            s.rejected
        )?;
    }
    if report.unknown_timestamps > 0 {
        outln!(
            "  {} rating(s) have an empty timestamp: kept, with an unknown (NULL) time",
            report.unknown_timestamps
        )?;
    }
    let dir = files
        .ratings
        .parent()
        .map(|p| p.to_owned())
        .unwrap_or_default();
    let rejected = report.rejected();
    if rejected > 0 {
        errln!("{rejected} line(s) rejected; all are in the load_reject table:");
        for (source, r) in &report.preview {
            errln!(
                "  {}:{}: {} (line: {:?})",
                dir.join(source).display(),
                r.line_no,
                r.reason,
                r.raw
            );
        }
        return Ok(exit::DATA_PROBLEMS);
    }
    Ok(exit::OK)
}

fn fetch(args: &FetchArgs) -> Result<u8> {
    let report = perx::fetch::fetch(&args.url, &args.dest, args.sha256.as_deref(), &Bar::new())?;
    outln!(
        "Downloaded {} ({} bytes, sha256 {})",
        report.zip.display(),
        report.bytes,
        report.sha256
    )?;
    outln!(
        "Unpacked {} file(s) into {}",
        report.files.len(),
        args.dest.display()
    )?;
    outln!(
        "Next: perx movielens load --dir {}",
        report.data_dir.display()
    )?;
    Ok(exit::OK)
}
