//! `perx sync bigquery`, `perx verify bigquery`, and the connection options they share with
//! `perx report … --engine bigquery`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::Days;
use clap::{Args, Subcommand};

use perx::bigquery::client::Client;
use perx::bigquery::sync::{SyncPlan, Synced, TABLES, sync};
use perx::bigquery::{Credentials, Endpoint, reports as bq};
use perx::core::timerange::{DEFAULT_TZ, LocalDateRange, local_date_clamped};
use perx::exit;
use perx::report::{Bucket, EngagementQuery, ReportRow, Rows, SessionsQuery, WeeklyQuery};
use perx::store::Store;
use perx::store::load::default_avro_path;

use super::Global;
use super::progress::Bar;

/// Where the BigQuery dataset is and how to reach it.
#[derive(Debug, Clone, Args)]
pub struct BqArgs {
    /// Google Cloud project [default: the service-account key's project].
    #[arg(long, value_name = "PROJECT", env = "BIGQUERY_PROJECT")]
    pub project: Option<String>,
    /// BigQuery dataset holding the tables.
    #[arg(long, value_name = "DATASET", env = "BIGQUERY_DATASET")]
    pub dataset: Option<String>,
    /// API root, for an emulator (e.g. http://127.0.0.1:9050; then no credentials are
    /// needed) [default: https://bigquery.googleapis.com].
    #[arg(long, value_name = "URL", env = "BIGQUERY_EMULATOR_HOST")]
    pub endpoint: Option<String>,
    /// OAuth 2 access token (e.g. from `gcloud auth print-access-token`); otherwise the
    /// service-account key in GOOGLE_APPLICATION_CREDENTIALS is used. Never printed.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "BIGQUERY_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub access_token: Option<String>,
}

impl BqArgs {
    /// The client and the dataset.
    pub fn connect(&self) -> Result<(Client, String)> {
        let emulator = self.endpoint.is_some();
        let credentials = match (
            &self.access_token,
            std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS"),
        ) {
            (Some(t), _) => Credentials::Token(t.clone()),
            (None, Some(key)) if !key.is_empty() => {
                Credentials::from_key_file(&PathBuf::from(key))?
            }
            (None, _) if emulator => Credentials::None,
            (None, _) => bail!(
                "no BigQuery credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account \
                 key file, or pass --access-token (or BIGQUERY_ACCESS_TOKEN); for an emulator pass \
                 --endpoint URL"
            ),
        };
        let project = match (&self.project, credentials.project()) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => p.to_owned(),
            (None, None) => {
                bail!("which Google Cloud project? pass --project (or BIGQUERY_PROJECT)")
            }
        };
        let Some(dataset) = self.dataset.clone() else {
            bail!("which BigQuery dataset? pass --dataset (or BIGQUERY_DATASET)");
        };
        let root = self.endpoint.as_deref().unwrap_or(Endpoint::GOOGLE);
        let client = Client::new(Endpoint::new(root, &project), credentials);
        if client.credentials_ignored() {
            errln!(
                "note: {root} is not https: the credentials given are not sent to it \
                 (perx sends credentials only over https to the API's own host)"
            );
        }
        Ok((client, dataset))
    }
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Push the tables to a BigQuery dataset (created if missing).
    ///
    /// The CSV tables go up as newline-delimited JSON with schemas derived from the DuckDB
    /// tables (timestamps as TIMESTAMP); the HTTP log goes up as its Avro file
    /// (logical types on) through a resumable upload in 8 MiB chunks. Each table is replaced
    /// (WRITE_TRUNCATE), so syncing twice duplicates nothing. A table whose data have not
    /// changed since it was last synced is skipped (--force sends it anyway), so rerunning
    /// after a failure resumes at the table that failed.
    ///
    /// Example: perx sync bigquery --project my-proj --dataset perx
    Bigquery(SyncArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub bq: BqArgs,
    /// Location of the dataset when it has to be created.
    #[arg(long, default_value = "US")]
    pub location: String,
    /// Only these tables (comma-separated) [default: all of campaign, reward_campaign,
    /// reward_transaction, campaign_reward_mapping, http_log].
    #[arg(long, value_delimiter = ',', value_name = "TABLE,…")]
    pub tables: Vec<String>,
    /// The log's Avro file [default: DB.http_log.avro beside the database, written by
    /// `perx load`].
    #[arg(long, value_name = "FILE.avro")]
    pub avro: Option<PathBuf>,
    /// Send every table, even those already synced with the same data.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Run the three reports on DuckDB and on BigQuery and compare them row by row.
    ///
    /// Engagement for every campaign on several SGT ranges (all data, its first day, its
    /// last 7 days), weekly in SGT, and all sessions (and the reward-driven ones). Exit
    /// status 0 when every row agrees, 3 when some differ (the first differences are shown).
    Bigquery(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub bq: BqArgs,
}

pub fn sync_cmd(global: &Global, cmd: &SyncCommand) -> Result<u8> {
    let SyncCommand::Bigquery(args) = cmd;
    let store = global.open_store()?;
    let (client, dataset) = args.bq.connect()?;
    let tables: Vec<String> = if args.tables.is_empty() {
        TABLES.iter().map(|t| t.to_string()).collect()
    } else {
        for t in &args.tables {
            if !TABLES.contains(&t.as_str()) {
                bail!(
                    "--tables: unknown table {t:?}; choose from {}",
                    TABLES.join(", ")
                );
            }
        }
        args.tables.clone()
    };
    let avro = args
        .avro
        .clone()
        .or_else(|| Some(default_avro_path(&global.db_path())).filter(|p| p.is_file()));
    let plan = SyncPlan {
        dataset: dataset.clone(),
        location: args.location.clone(),
        tables,
        avro,
        force: args.force,
    };
    errln!("syncing to {}.{dataset}", client.project());
    let started = std::time::Instant::now();
    let mut each = |s: &Synced| {
        if s.skipped {
            errln!(
                "  {:<24} {:>10} rows  unchanged since the last sync, skipped",
                s.table,
                s.local_rows
            );
        } else {
            let sending = (s.seconds - s.reencode_seconds).max(1e-9);
            let reencoded = if s.reencode_seconds > 0.0 {
                format!(
                    "  (after re-encoding zstandard → snappy: {:.1} s)",
                    s.reencode_seconds
                )
            } else {
                String::new()
            };
            errln!(
                "  {:<24} {:>10} rows  {:>8.1} MB  {:>6.1} s  {:>6.1} MB/s{reencoded}",
                s.table,
                s.remote_rows,
                s.bytes as f64 / 1e6,
                sending,
                s.bytes as f64 / 1e6 / sending
            );
        }
    };
    let done = sync(&client, &store, &plan, &Bar::new(), &mut each)
        .with_context(|| format!("syncing to {}.{dataset}", client.project()))?;
    let bytes: u64 = done.iter().map(|s| s.bytes).sum();
    let secs = started.elapsed().as_secs_f64();
    errln!(
        "synced {} table(s), {:.1} MB in {secs:.1} s ({:.1} MB/s)",
        done.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs.max(1e-9)
    );
    Ok(exit::OK)
}

/// One comparison of `perx verify`.
struct Check {
    what: String,
    local_rows: usize,
    remote_rows: usize,
    differences: Vec<String>,
}

impl Check {
    /// Runs one report on both engines and compares the typed rows.
    fn run<R: ReportRow>(
        what: String,
        local: impl FnOnce(&mut Rows<R>) -> Result<u64>,
        remote: impl FnOnce(&mut Rows<R>) -> Result<u64>,
    ) -> Result<Check> {
        let (mut l, mut r) = (Rows::default(), Rows::default());
        local(&mut l).with_context(|| format!("{what} on DuckDB"))?;
        remote(&mut r).with_context(|| format!("{what} on BigQuery"))?;
        Ok(Check {
            differences: l.differences(&r, ("DuckDB", "BigQuery")),
            local_rows: l.rows.len(),
            remote_rows: r.rows.len(),
            what,
        })
    }
}

pub fn verify_cmd(global: &Global, cmd: &VerifyCommand) -> Result<u8> {
    let VerifyCommand::Bigquery(args) = cmd;
    let store = global.open_store()?;
    let (client, dataset) = args.bq.connect()?;
    let mut checks: Vec<Check> = Vec::new();
    // A1: every campaign, on the whole data range, its first day and its last 7 days.
    if let Some((a, b)) = store.transaction_time_range()? {
        let (first, last) = (
            local_date_clamped(a, DEFAULT_TZ),
            local_date_clamped(b, DEFAULT_TZ),
        );
        let week = last
            .checked_sub_days(Days::new(6))
            .unwrap_or(first)
            .max(first);
        let ranges = [(first, last), (first, first), (week, last)];
        for (id, _) in store.campaign_ids()? {
            for (from, to) in ranges {
                let q = EngagementQuery {
                    campaign_id: id,
                    range: LocalDateRange::new(from, to, DEFAULT_TZ)?,
                    status: None,
                    by: Bucket::DateHour,
                };
                checks.push(Check::run(
                    format!("engagement, campaign {id}, {from} to {to} SGT"),
                    |s| Ok(store.engagement(&q, s)?),
                    |s| Ok(bq::engagement(&client, &dataset, &q, s)?),
                )?);
            }
        }
    }
    let weekly = WeeklyQuery {
        tz: DEFAULT_TZ,
        reward: None,
    };
    checks.push(Check::run(
        "weekly, SGT".into(),
        |s| Ok(store.weekly(&weekly, s)?),
        |s| Ok(bq::weekly(&client, &dataset, &weekly, s)?),
    )?);
    for driven_only in [false, true] {
        let q = SessionsQuery {
            driven_only,
            ..SessionsQuery::default()
        };
        checks.push(Check::run(
            format!(
                "sessions{}",
                if driven_only { ", reward-driven" } else { "" }
            ),
            |s| Ok(store.sessions(&q, s)?),
            |s| Ok(bq::sessions(&client, &dataset, &q, s)?),
        )?);
    }
    Ok(report_checks(&store, &checks)?)
}

/// Prints each check's outcome; the exit status.
fn report_checks(_store: &Store, checks: &[Check]) -> std::io::Result<u8> {
    let mut differing = 0;
    for c in checks {
        let diffs = &c.differences;
        if diffs.is_empty() {
            outln!("same       {} ({} rows)", c.what, c.local_rows)?;
        } else {
            differing += 1;
            outln!(
                "DIFFERENT  {}: DuckDB {} rows, BigQuery {} rows, {} differences",
                c.what,
                c.local_rows,
                c.remote_rows,
                diffs.len()
            )?;
            for d in diffs.iter().take(5) {
                outln!("    {d}")?;
            }
        }
    }
    outln!("{} check(s), {} with differences", checks.len(), differing)?;
    Ok(if differing == 0 {
        exit::OK
    } else {
        exit::DATA_PROBLEMS
    })
}
