//! `perx serve`: its flags, the token file and the runtime; the server itself is the
//! library's (`perx::server`), whose lines are printed here on stderr.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::Global;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Other interfaces than loopback must be named explicitly
    /// (e.g. 0.0.0.0:8080).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// File holding a bearer token: every /v1 request must then send
    /// `Authorization: Bearer <token>` (and POST /v1/admin/reload is enabled).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Requests answered at once; more are refused at once with 503 and Retry-After.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Open connections at most; a connection beyond them is answered 503 (with
    /// Retry-After) and closed, so a flood cannot exhaust the process's file descriptors.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Longest time for one answer, in milliseconds (then 503).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Longest time a client may take to send its request headers, in milliseconds
    /// (then the connection is closed).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// Largest request head (request line and headers), in bytes (larger: 431).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,
    /// Largest request body, in bytes (larger: 413).
    #[arg(long, value_name = "BYTES", default_value_t = 4096)]
    pub max_body_bytes: u64,
    /// Database connections for the reports (DuckDB work runs on blocking threads).
    #[arg(long, default_value_t = 4)]
    pub pool: usize,
    /// Threads answering requests [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seconds to wait for requests in flight at shutdown.
    #[arg(long, default_value_t = 30)]
    pub grace_seconds: u64,
    /// Leave out the access log (one line per request on stderr: method, path, status, µs).
    #[arg(long)]
    pub no_access_log: bool,
    /// Watch this folder (or file) for new log files and ingest them as they come, as
    /// `perx ingest` does (repeatable); answers move to the new rows without a restart.
    #[arg(long, value_name = "DIR")]
    pub ingest: Vec<PathBuf>,
    /// With --ingest: which files of a folder are the log (a glob on their names).
    #[arg(long, value_name = "GLOB", default_value = perx::store::ingest::DEFAULT_PATTERN)]
    pub ingest_pattern: String,
    /// With --ingest: how often to look, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub ingest_every: f64,
    /// With --ingest: refit the reward model after each batch (without it, the model keeps
    /// the data it was fitted on, and /readyz says which batch that was).
    #[arg(long, requires = "ingest")]
    pub refit_after_ingest: bool,
}

/// A line on stderr, for the server's own messages.
fn log_line(s: String) {
    errln!("perx serve: {s}");
}

/// An access log line on stderr, as it is.
fn access_line(s: String) {
    errln!("{s}");
}

/// Reads the token file: its first line, which must not be empty.
fn read_token(path: &std::path::Path) -> Result<Arc<[u8]>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the token file {}", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.len() < 16 {
        bail!(
            "{}: the token must be at least 16 characters on the first line (e.g. `openssl rand -hex 32 > {}`)",
            path.display(),
            path.display()
        );
    }
    Ok(Arc::from(token.as_bytes()))
}

/// The database could not be loaded at all: nothing to serve.
fn failed_start(e: perx::server::ServerError) {
    log_line(format!(
        "could not load the database: {}",
        perx::error_chain(&e)
    ));
    std::process::exit(i32::from(perx::exit::ERROR));
}

pub fn serve(global: &Global, args: &ServeArgs) -> Result<u8> {
    if args.concurrency == 0 || args.pool == 0 || args.max_connections == 0 {
        bail!("--concurrency, --max-connections and --pool must be at least 1");
    }
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(n) = args.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = rt.build().context("starting the async runtime")?;
    if !(args.ingest_every.is_finite() && args.ingest_every >= 0.05) {
        anyhow::bail!("--ingest-every must be at least 0.05 seconds");
    }
    let ingest = (!args.ingest.is_empty()).then(|| perx::server::state::IngestWatch {
        places: args
            .ingest
            .iter()
            .map(|p| perx::store::ingest::Place {
                path: p.clone(),
                pattern: Some(args.ingest_pattern.clone()),
            })
            .collect(),
        every: Duration::from_secs_f64(args.ingest_every),
        refit: args.refit_after_ingest,
    });
    let config = perx::server::Config {
        ingest,
        addr: args.addr,
        db: global.db_path(),
        limits: perx::server::Limits {
            timeout: Duration::from_millis(args.timeout_ms.max(1)),
            max_body: args.max_body_bytes,
            token,
            access_log: !args.no_access_log,
        },
        concurrency: args.concurrency,
        max_connections: args.max_connections,
        header_timeout: Duration::from_millis(args.header_timeout_ms.max(1)),
        max_header_bytes: args.max_header_bytes,
        pool: args.pool,
        grace: Duration::from_secs(args.grace_seconds),
        log: log_line,
        access: access_line,
    };
    rt.block_on(perx::server::serve(config, failed_start))?;
    Ok(perx::exit::OK)
}
