//! `perx report …`: the three reports, written as a table, CSV or JSON, to stdout or a file,
//! with an optional provenance sidecar.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::{Args, Subcommand, ValueEnum};

use perx::core::logline::check_typed_user_id;
use perx::core::timerange::{DEFAULT_TZ, LocalDateRange, parse_date, parse_tz};
use perx::exit;
use perx::report::output::{CsvSink, JsonSink, TableSink};
use perx::report::{
    Bucket, EngagementQuery, ReportRow, ReportSink, RowSink, SessionsQuery, WeeklyQuery,
};
use perx::store::Store;
use perx::store::provenance::Provenance;

use super::Global;
use super::output::Destination;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Most popular engagement day and hour of a campaign in a local date range.
    ///
    /// Counts the campaign's reward transactions (any status unless --status) per local
    /// date and hour. --from and --to are whole days in --tz, both inclusive: in Singapore,
    /// `--from 2019-08-22 --to 2019-08-22` is UTC 2019-08-21 16:00 to 2019-08-22 16:00.
    /// Rank 1 rows are the answer; ties share a rank.
    ///
    /// Example: perx report engagement --campaign 1 --from 2019-08-01 --to 2019-08-31
    Engagement(EngagementArgs),
    /// Redeemed rewards per ISO week (Monday to Sunday in --tz) and the change against the
    /// previous week, zero weeks included.
    ///
    /// pct_diff_prev_week = round((this - previous) / previous × 100, 2), empty for a
    /// reward's first week and when the previous week had none.
    Weekly(WeeklyArgs),
    /// User sessions of the HTTP log: a new session after 5 minutes without a request.
    ///
    /// For each session: its user, first and last request (UTC), campaigns viewed and
    /// rewards issued (in first-seen order), and whether a reward followed a view of a
    /// campaign that contains it. Sorted by user id, then start.
    Sessions(SessionsArgs),
}

/// Where a report runs.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Where the report runs: the local DuckDB database, or the BigQuery dataset filled by
    /// `perx sync bigquery` (the BigQuery twin of the SQL, sql/bigquery/, with named
    /// parameters; printed exactly like the DuckDB run).
    #[arg(long, value_enum, default_value_t = Engine::Duckdb)]
    pub engine: Engine,
    #[cfg(feature = "bigquery")]
    #[command(flatten)]
    pub bq: super::bigquery::BqArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Engine {
    /// The embedded DuckDB database (--db).
    Duckdb,
    /// BigQuery (--project, --dataset, --endpoint, credentials).
    Bigquery,
}

/// Runs `f` on the BigQuery dataset of `e`, and says so in `prov`.
#[cfg(feature = "bigquery")]
fn on_bigquery(
    e: &EngineArgs,
    prov: &mut Provenance,
    f: impl FnOnce(&perx::bigquery::Client, &str) -> Result<u64, perx::bigquery::BigQueryError>,
) -> Result<u64> {
    let (client, dataset) = e.bq.connect()?;
    prov.ran_on_bigquery(client.project(), &dataset);
    Ok(f(&client, &dataset)?)
}

#[cfg(not(feature = "bigquery"))]
fn no_bigquery() -> Result<u64> {
    bail!("this perx was built without the bigquery feature; rebuild with `--features bigquery`")
}

/// Output options shared by every report.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, else csv; with -o, from the extension:
    /// .json, .parquet, else csv].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE instead of stdout (`-` is stdout). A regular file is replaced only
    /// when the whole output is written; a symbolic link is followed; a FIFO or a device is
    /// written directly, as the shell's `>` does.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write FILE.meta.json: SQL file, parameters, row count, data sources and their
    /// sha256, time of the run. Needs -o.
    #[arg(long, requires = "out")]
    pub provenance: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Aligned table for people.
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON array of objects.
    Json,
    /// Parquet (binary: to a file with -o, or a pipe), each column typed as its cells.
    Parquet,
}

/// A time zone argument.
fn tz_arg(s: &str) -> Result<Tz, String> {
    parse_tz(s)
}

#[derive(Debug, Args)]
pub struct EngagementArgs {
    /// Campaign id.
    #[arg(long)]
    pub campaign: i64,
    /// First day, YYYY-MM-DD in --tz (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day, YYYY-MM-DD in --tz (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// IANA time zone of the dates and of the buckets.
    #[arg(long, default_value_t = DEFAULT_TZ, value_parser = tz_arg)]
    pub tz: Tz,
    /// Only transactions with this status (e.g. redeemed).
    #[arg(long)]
    pub status: Option<String>,
    /// Bucketing: per date and hour, per hour of day, or per weekday and hour.
    #[arg(long, value_enum, default_value_t = ByArg::DateHour)]
    pub by: ByArg,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ByArg {
    /// Local date and hour.
    DateHour,
    /// Hour of day across dates.
    HourOfDay,
    /// Weekday and hour across dates.
    WeekdayHour,
}

#[derive(Debug, Args)]
pub struct WeeklyArgs {
    /// IANA time zone of the weeks.
    #[arg(long, default_value_t = DEFAULT_TZ, value_parser = tz_arg)]
    pub tz: Tz,
    /// Only the reward with this name.
    #[arg(long, value_name = "NAME")]
    pub reward: Option<String>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// Only this user id.
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// Only sessions starting on or after this day (YYYY-MM-DD in --tz).
    #[arg(long, value_parser = parse_date, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Only sessions starting on or before this day (inclusive).
    #[arg(long, value_parser = parse_date, requires = "from")]
    pub to: Option<NaiveDate>,
    /// IANA time zone of --from/--to (session times are always printed in UTC).
    #[arg(long, default_value_t = DEFAULT_TZ, value_parser = tz_arg)]
    pub tz: Tz,
    /// Only sessions where a reward followed a view of a campaign containing it.
    #[arg(long)]
    pub driven_only: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn report(global: &Global, cmd: &ReportCommand) -> Result<u8> {
    let store = Store::open(&global.db_path())?;
    match cmd {
        ReportCommand::Engagement(a) => {
            let range = LocalDateRange::new(a.from, a.to, a.tz)?;
            let q = EngagementQuery {
                campaign_id: a.campaign,
                range,
                status: a.status.clone(),
                by: match a.by {
                    ByArg::DateHour => Bucket::DateHour,
                    ByArg::HourOfDay => Bucket::HourOfDay,
                    ByArg::WeekdayHour => Bucket::WeekdayHour,
                },
            };
            let prov = Provenance::engagement(&q);
            let n = emit(&store, &a.output, prov, |s, prov| match a.engine.engine {
                Engine::Duckdb => Ok(store.engagement(&q, s)?),
                #[cfg(feature = "bigquery")]
                Engine::Bigquery => on_bigquery(&a.engine, prov, |c, d| {
                    perx::bigquery::reports::engagement(c, d, &q, s)
                }),
                #[cfg(not(feature = "bigquery"))]
                Engine::Bigquery => no_bigquery(),
            })?;
            if n == 0 {
                errln!(
                    "note: campaign {} has no transactions in {range}",
                    a.campaign
                );
            }
        }
        ReportCommand::Weekly(a) => {
            let q = WeeklyQuery {
                tz: a.tz,
                reward: a.reward.clone(),
            };
            let prov = Provenance::weekly(&q);
            let n = emit(&store, &a.output, prov, |s, prov| match a.engine.engine {
                Engine::Duckdb => Ok(store.weekly(&q, s)?),
                #[cfg(feature = "bigquery")]
                Engine::Bigquery => on_bigquery(&a.engine, prov, |c, d| {
                    perx::bigquery::reports::weekly(c, d, &q, s)
                }),
                #[cfg(not(feature = "bigquery"))]
                Engine::Bigquery => no_bigquery(),
            })?;
            if n == 0 {
                errln!("note: no redeemed transactions");
            }
        }
        ReportCommand::Sessions(a) => {
            let range = match (a.from, a.to) {
                (Some(f), Some(t)) => Some(LocalDateRange::new(f, t, a.tz)?),
                _ => None,
            };
            if let Some(Err(e)) = a.user.as_deref().map(check_typed_user_id) {
                bail!("--user {e}");
            }
            let q = SessionsQuery {
                range,
                user_id: a.user.clone(),
                driven_only: a.driven_only,
            };
            // The sessions table when it holds the data loaded now; else computed here.
            let stored = matches!(a.engine.engine, Engine::Duckdb) && store.sessions_fresh()?;
            let prov = if stored {
                Provenance::sessions_stored(&q, a.tz)
            } else {
                Provenance::sessions(&q, a.tz, store.session_events_sql()?)
            };
            let n = emit(&store, &a.output, prov, |s, prov| match a.engine.engine {
                Engine::Duckdb if stored => Ok(store.stored_sessions(&q, s)?),
                Engine::Duckdb => Ok(store.sessions(&q, s)?),
                #[cfg(feature = "bigquery")]
                Engine::Bigquery => on_bigquery(&a.engine, prov, |c, d| {
                    perx::bigquery::reports::sessions(c, d, &q, s)
                }),
                #[cfg(not(feature = "bigquery"))]
                Engine::Bigquery => no_bigquery(),
            })?;
            if n == 0 {
                errln!("note: no sessions match");
            }
        }
    }
    Ok(exit::OK)
}

pub(super) fn choose_format(out: &OutputArgs) -> Format {
    if let Some(f) = out.format {
        return f;
    }
    match out.out.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(p) if p.extension().is_some_and(|e| e == "json") => Format::Json,
        Some(p) if p.extension().is_some_and(|e| e == "parquet") => Format::Parquet,
        Some(_) => Format::Csv,
        None if std::io::stdout().is_terminal() => Format::Table,
        None => Format::Csv,
    }
}

/// Parquet is binary: not written to a terminal.
pub(super) fn refuse_binary_on_terminal(format: Format, out: &OutputArgs) -> Result<()> {
    let to_stdout = out.out.as_deref().is_none_or(|p| p.as_os_str() == "-");
    if format == Format::Parquet && to_stdout && std::io::stdout().is_terminal() {
        bail!("Parquet is binary: write it to a file with -o FILE.parquet, or pipe it");
    }
    Ok(())
}

/// Runs `run` into the chosen sink and destination; returns the row count.
///
/// A file named with `-o` is written under a temporary name and moved into place only when
/// the whole report (and its provenance sidecar) is written, so a failure leaves an
/// existing file as it was. The table format is for people: its text goes through
/// [`Visible`], so control characters from the data are shown, not obeyed.
fn emit<R: ReportRow>(
    store: &Store,
    out: &OutputArgs,
    mut prov: Provenance,
    run: impl FnOnce(&mut (dyn ReportSink<R> + Send), &mut Provenance) -> Result<u64>,
) -> Result<u64> {
    let format = choose_format(out);
    refuse_binary_on_terminal(format, out)?;
    let mut dest = Destination::open(out.out.as_deref())?;
    let n = {
        let writer = dest.writer(format == Format::Table);
        let mut sink: Box<dyn RowSink + Send + '_> = match format {
            Format::Table => Box::new(TableSink::new(writer)),
            Format::Csv => Box::new(CsvSink::new(writer)),
            Format::Json => Box::new(JsonSink::new(writer)),
            Format::Parquet => Box::new(perx::store::parquet::ParquetSink::new(writer)),
        };
        run(&mut sink, &mut prov)
    }
    .map_err(|e| dest.context(e))?;
    if let (true, Some(path)) = (out.provenance, dest.path()) {
        store.write_provenance(path, &prov, n)?;
    }
    if let Some(path) = dest.commit()? {
        errln!("wrote {n} row(s) to {}", path.display());
    }
    Ok(n)
}
