//! The command line: argument definitions and one handler per subcommand. This is the only
//! layer that prints, and the only one that uses `anyhow`.

#[macro_use]
pub mod term;
pub mod bench;
#[cfg(feature = "bigquery")]
mod bigquery;
mod catalog;
mod ingest;
pub mod load;
pub mod movielens;
mod output;
mod progress;
mod query;
mod recommend;
mod report;
mod rewards;
mod serve;
mod tui;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use perx::avro::AvroCodec;
use perx::sample::{self, SampleOptions};
use perx::store::{DEFAULT_DB, DbPath};

/// Terminal analytics for a loyalty-rewards platform.
///
/// perx loads the platform's CSV exports and HTTP access log into an embedded DuckDB
/// database (the log goes through Avro on the way), runs reports on them, and recommends
/// movies from MovieLens ratings. Without a command it opens the terminal UI.
#[derive(Debug, Parser)]
#[command(
    name = "perx",
    version,
    about,
    long_about,
    max_term_width = 100,
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(flatten)]
    pub ui: tui::UiArgs,
    /// Without a command, perx opens the terminal UI.
    #[command(subcommand)]
    pub command: Option<Command>,
}

const EXAMPLES: &str = "\
Examples:
  perx                                       the terminal UI (loads the sample first if the database is empty)
  perx sales.parquet                         the terminal UI's Query tab on a file (.csv .parquet .json .avro)
  perx load                                  load ./data (the shipped sample) into ./perx.duckdb
  perx load --data DIR                       load your own exports from DIR
  perx report engagement --campaign 1 --from 2019-08-01 --to 2019-08-31
  perx report weekly --format json
  perx report sessions -o sessions.csv --provenance
  perx movielens load --dir ml-1m            load MovieLens 1M (or data/movielens, the sample)
  perx recommend --user 42 --explain         top 10 movies for user 42, and why
  perx recommend --all -o recs.csv           user_id,rank,movie_id for every user
  perx eval                                  offline metrics against the most-popular baseline
  perx sync bigquery --project P --dataset D push the tables to BigQuery (--endpoint URL: an emulator)
  perx verify bigquery --project P --dataset D   the reports on both engines, compared row by row

Exit status: 0 success, 1 error, 2 bad command line, 3 finished with rejected lines or
integrity warnings (listed).";

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The DuckDB database file (created if missing); `:memory:` for a throw-away one.
    #[arg(long, global = true, value_name = "PATH", default_value = DEFAULT_DB, env = "PERX_DB")]
    pub db: String,
    /// Cap DuckDB's memory (e.g. 256MB, 2GB); work beyond it spills to disk. Default:
    /// DuckDB's, 80% of the machine's memory.
    #[arg(long, global = true, value_name = "SIZE", env = "PERX_MEMORY_LIMIT")]
    pub memory_limit: Option<String>,
}

impl Global {
    pub fn db_path(&self) -> DbPath {
        DbPath::parse(&self.db)
    }

    /// Opens the database, saying which one when that fails.
    pub fn open_store(&self) -> Result<perx::store::Store> {
        let db = self.db_path();
        let store =
            perx::store::Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
        if let Some(limit) = &self.memory_limit {
            store.set_memory_limit(limit)?;
        }
        Ok(store)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load a data directory (CSV exports and the HTTP log) into the database.
    ///
    /// Looks in DIR for campaign.csv, reward_campaign.csv, reward_transaction.csv,
    /// campaign_reward_mapping.csv and http_log.txt (or an .avro log made by convert-log).
    /// Each file present replaces its table's rows in one transaction, so loading twice
    /// gives the same result and a failed load changes nothing. A text log is first
    /// converted to Avro (kept beside the database as DB.http_log.avro) and the Avro file is what is loaded.
    ///
    /// Bad lines never stop a load: they are stored in the load_reject table with their
    /// line number and reason, and the first few are shown. Exit status: 0 all loaded,
    /// 3 some lines rejected or integrity warnings, 1 fatal error.
    Load(load::LoadArgs),
    /// Append log files to the database without reloading the past (plain, .gz, .zst).
    ///
    /// Files are known by their content, not their name: a file ingested before is
    /// skipped, a rotated copy (renamed, or renamed and compressed) too, and a file that
    /// grew (the active log) gives only its new complete lines (an unfinished last line
    /// waits for the next ingest). One run is one transaction and one batch (see
    /// ingest_batch, ingest_range); its lines are archived as Avro in DB.ingest/. Running
    /// it twice on the same files adds nothing. `perx load` still replaces everything.
    ///
    /// Examples:
    ///   perx ingest /var/log/platform/                 # http_log* there, oldest first
    ///   perx ingest http_log.txt.2.gz http_log.txt.1 http_log.txt
    ///   perx ingest logs/ --pattern 'access-*.log*'
    ///
    /// Exit status: 0 done, 1 nothing changed (an error), 3 done with rejected lines.
    Ingest(ingest::IngestArgs),
    /// Convert a text HTTP log to an Avro file (schema: schemas/http_log.avsc).
    ///
    /// Streams the log: memory stays flat whatever its size. Lines that are not a
    /// campaign view or reward issue are left out and listed with their line numbers in
    /// FILE.rejects.csv, which `perx load` reads back when given the Avro file.
    ConvertLog(load::ConvertArgs),
    /// MovieLens data for the recommender: fetch it from GroupLens, load it into the
    /// database.
    #[command(subcommand)]
    Movielens(movielens::MovielensCommand),
    /// Write a generated sample data set (the five files) into a directory.
    ///
    /// Deterministic: the same seed and size give byte-identical files. The shipped data/
    /// folder is `perx gen-sample --out data` with the defaults.
    ///
    /// With --log-users N the log is a population with stable tastes, for evaluating
    /// reward recommendations, and the shape knobs (--kinds, --taste, --views,
    /// --new-users, --campaigns-per-reward, --log-days) make it look like other platforms.
    ///
    /// Examples:
    ///   perx gen-sample --out sample
    ///   perx gen-sample --out pop --log-lines 200000 --log-users 10000 --views popular
    ///   perx gen-sample --out fresh --log-users 5000 --new-users 0.4 --log-days 30
    GenSample(GenSampleArgs),
    /// Run a report: engagement, weekly or sessions.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Run your own SQL on the database (the TUI's Query tab, headless).
    ///
    /// Rows stream to the output, so a result of millions of rows needs little memory.
    /// Statements that would change the tables perx loaded are refused unless --write is
    /// given (DuckDB says what a statement is; queries, DESCRIBE, SUMMARIZE, EXPLAIN and
    /// tables of your own run freely).
    ///
    /// Examples:
    ///   perx query "SELECT event_kind, count(*) FROM http_log GROUP BY ALL"
    ///   perx query -f analysis.sql --format json -o result.json --provenance
    ///
    /// Exit status: 0 done, 1 DuckDB refused or failed the SQL, 4 refused without --write.
    Query(query::QueryArgs),
    /// Train a recommender on the loaded data and save it: the movie model (default) or,
    /// with --catalog rewards, the reward model.
    ///
    /// The movie model is a spectral filter on a truncated SVD of the degree-normalised
    /// user × movie matrix (see `perx eval`). The reward model tunes its parameters on the
    /// log (the best of 81 on the last 7 days, or the last fifth of a shorter log, fitted
    /// on what comes before), refits on everything and saves the choice with its
    /// validation score and the defaults' (--no-tune keeps the defaults). `perx recommend`
    /// trains either on first use by itself; this command retrains on purpose.
    ///
    /// Examples:
    ///   perx train --catalog rewards
    ///   perx train --factors 256 --out other.model.bin
    Train(catalog::TrainArgs),
    /// Recommend movies for a MovieLens user id, or rewards for a log user
    /// (--catalog rewards); or for every user with --all.
    ///
    /// Never recommends a movie the user already rated. Users with fewer than 3 ratings
    /// get the most popular movies they have not rated, and a note says so. The model
    /// beside the database (DB.model.bin) is used when it matches the loaded ratings;
    /// otherwise it is trained first (about a second on MovieLens 1M) and saved. Rewards
    /// come from DB.rewards.bin while the platform loads are the ones it was fitted on,
    /// else it is fitted (tuned on the data) first; --explain shows its parameters and how
    /// they were chosen.
    ///
    /// Examples:
    ///   perx recommend --user 10
    ///   perx recommend --catalog rewards --user 2000020076516 --explain
    ///   perx recommend --catalog rewards --all -o rewards.csv
    Recommend(catalog::RecommendArgs),
    /// Evaluate the recommender offline: P/R/NDCG/HR/MRR@K and coverage, against the
    /// most-popular baseline and EASE.
    ///
    /// Each user's ratings are split 80/20 by a seeded hash (n_test = max(1, floor(0.2 n)));
    /// the model is tuned on a validation split carved out of train with another seed,
    /// never on test, then retrained on all of train and scored on test.
    Eval(catalog::EvalArgs),
    /// Serve the recommendations and reports as a JSON HTTP API (see /openapi.json).
    ///
    /// Listens on 127.0.0.1:8080 unless --addr names another address. Routes: GET
    /// /healthz, /readyz, /openapi.json, /v1/movielens/users/{id}/recommendations,
    /// /v1/platform/users/{id}/rewards, /v1/reports/{engagement,weekly,sessions}; POST
    /// /v1/admin/reload (with --token-file). The answers are the CLI's JSON. SIGTERM or
    /// Ctrl-C finish the requests in flight and stop; SIGHUP reloads when a new database
    /// file was moved into place (this process holds the database's lock, so new loads go
    /// into a copy: `cp perx.duckdb new.duckdb && perx --db new.duckdb load … && mv
    /// new.duckdb perx.duckdb && kill -HUP <pid>`).
    ///
    /// Example: perx serve & curl -s localhost:8080/v1/movielens/users/1/recommendations?k=5
    Serve(serve::ServeArgs),
    /// Measure speed and memory: load, sessions, recommender, UI (figures, not pass/fail).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Push the tables to another engine: `perx sync bigquery`.
    #[cfg(feature = "bigquery")]
    #[command(subcommand)]
    Sync(bigquery::SyncCommand),
    /// Check that another engine gives the same reports: `perx verify bigquery`.
    #[cfg(feature = "bigquery")]
    #[command(subcommand)]
    Verify(bigquery::VerifyCommand),
}

#[derive(Debug, Args)]
pub struct GenSampleArgs {
    /// Directory to write into (created if missing; existing files are overwritten).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Random seed.
    #[arg(long, default_value_t = sample::DEFAULT_SEED)]
    pub seed: u64,
    /// Number of lines of http_log.txt, the deliberately bad ones included.
    #[arg(long, default_value_t = sample::DEFAULT_LOG_LINES)]
    pub log_lines: u64,
    /// A fixed population of N log users with stable tastes (each prefers one kind of
    /// reward, and kinds run across campaigns), for evaluating reward recommendations
    /// (`perx eval --catalog rewards`). Without it, users come and go at random.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub log_users: Option<u64>,
    /// With --log-users: kinds of reward (each user prefers one).
    #[arg(long, value_name = "N", requires = "log_users", default_value_t = 12,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub kinds: u64,
    /// With --log-users: the share of a user's rewards picked by their taste (0: none).
    #[arg(long, value_name = "SHARE", requires = "log_users", default_value_t = 0.7,
          value_parser = share)]
    pub taste: f64,
    /// With --log-users: what campaign views say about a user.
    #[arg(long, value_enum, requires = "log_users", default_value_t = ViewsArg::Random)]
    pub views: ViewsArg,
    /// With --log-users: the share of users who appear only in the log's last fifth
    /// (no history before an evaluation's cut-off).
    #[arg(long, value_name = "SHARE", requires = "log_users", default_value_t = 0.0,
          value_parser = share)]
    pub new_users: f64,
    /// With --log-users: put every reward in exactly N campaigns [default: the sample's
    /// random mapping, about two].
    #[arg(long, value_name = "N", requires = "log_users",
          value_parser = clap::value_parser!(u32).range(1..=50))]
    pub campaigns_per_reward: Option<u32>,
    /// With --log-users: the days the log spans.
    #[arg(long, value_name = "DAYS", requires = "log_users", default_value_t = 0.5,
          value_parser = days)]
    pub log_days: f64,
}

/// What campaign views say in a generated log with tastes.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ViewsArg {
    /// Any campaign, uniformly: views carry nothing.
    Random,
    /// The popular campaigns far more often: views carry popularity only.
    Popular,
    /// Campaigns holding rewards of the user's kind: views carry taste.
    Taste,
}

/// A share, 0 to 1.
fn share(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{s} is not a share: give a number from 0 to 1"))
    }
}

/// A number of days, more than an hour and at most ten years.
fn days(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.05..=3650.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{s}: give the days the log spans, from 0.05 to 3650"
        ))
    }
}

/// Avro compression codec.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum CodecArg {
    /// Zstandard level 1: small and fast.
    #[default]
    Zstd,
    /// Snappy: fast, larger.
    Snappy,
    /// Deflate: most widely readable, slowest.
    Deflate,
    /// No compression.
    Null,
}

impl From<CodecArg> for AvroCodec {
    fn from(c: CodecArg) -> Self {
        match c {
            CodecArg::Zstd => AvroCodec::Zstd,
            CodecArg::Snappy => AvroCodec::Snappy,
            CodecArg::Deflate => AvroCodec::Deflate,
            CodecArg::Null => AvroCodec::Null,
        }
    }
}

/// Output format of summaries.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum SummaryFormat {
    /// A table for people.
    #[default]
    Table,
    /// JSON for scripts.
    Json,
}

/// Runs one subcommand and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let Some(command) = cli.command else {
        return tui::tui(&cli.global, &cli.ui);
    };
    match command {
        Command::Load(args) => load::load(&cli.global, &args),
        Command::Ingest(args) => ingest::ingest(&cli.global, &args),
        Command::ConvertLog(args) => load::convert_log(&args),
        Command::Movielens(cmd) => movielens::movielens(&cli.global, &cmd),
        Command::GenSample(args) => gen_sample(&args),
        Command::Query(args) => query::query(&cli.global, &args),
        Command::Report(cmd) => report::report(&cli.global, &cmd),
        Command::Train(args) => catalog::train(&cli.global, &args),
        Command::Recommend(args) => catalog::recommend(&cli.global, &args),
        Command::Eval(args) => catalog::eval(&cli.global, &args),
        Command::Serve(args) => serve::serve(&cli.global, &args),
        Command::Bench(cmd) => bench::bench(&cli.global, &cmd),
        #[cfg(feature = "bigquery")]
        Command::Sync(cmd) => bigquery::sync_cmd(&cli.global, &cmd),
        #[cfg(feature = "bigquery")]
        Command::Verify(cmd) => bigquery::verify_cmd(&cli.global, &cmd),
    }
}

/// Whether an error comes from writing to a closed pipe.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    io_error(err).is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// The I/O error in an error's chain (a write to a full disk, a closed pipe), if any.
pub fn io_error(err: &anyhow::Error) -> Option<&std::io::Error> {
    err.chain().find_map(|c| c.downcast_ref::<std::io::Error>())
}

fn gen_sample(args: &GenSampleArgs) -> Result<u8> {
    let opts = SampleOptions {
        seed: args.seed,
        log_lines: args.log_lines,
        log_users: args.log_users,
        shape: sample::LogShape {
            kinds: args.kinds,
            taste: args.taste,
            views: match args.views {
                ViewsArg::Random => sample::ViewShape::Random,
                ViewsArg::Popular => sample::ViewShape::Popular,
                ViewsArg::Taste => sample::ViewShape::Taste,
            },
            new_users: args.new_users,
            campaigns_per_reward: args.campaigns_per_reward,
            days: args.log_days,
        },
    };
    sample::generate(&opts, &args.out)
        .with_context(|| format!("writing sample data to {}", args.out.display()))?;
    errln!(
        "wrote sample data (seed {}, {} log lines) to {}",
        args.seed,
        args.log_lines,
        args.out.display()
    );
    Ok(perx::exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
