//! `perx serve`: the recommendations and reports over HTTP/1.1 as JSON, from the same
//! database and the same code as the CLI (`api` for the routes, `state` for the models and
//! the connection pool). Connections are served by hyper (header size limit, header read
//! timeout, keep-alive) on a tokio runtime; SIGTERM/Ctrl-C stop accepting and let the
//! requests in flight finish; SIGHUP reloads.

mod api;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use super::Global;
use state::Served;

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
}

/// A line on stderr, for the server's own messages.
pub fn log_line(s: String) {
    errln!("perx serve: {s}");
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
    let served = Arc::new(Served::new(global.db_path(), args.pool));
    let app = Arc::new(api::App {
        served: Arc::clone(&served),
        limits: api::Limits {
            timeout: Duration::from_millis(args.timeout_ms.max(1)),
            max_body: args.max_body_bytes,
            token,
            access_log: !args.no_access_log,
        },
        in_flight: Arc::new(tokio::sync::Semaphore::new(args.concurrency)),
    });
    rt.block_on(run(args, served, app))?;
    Ok(perx::exit::OK)
}

async fn run(args: &ServeArgs, served: Arc<Served>, app: Arc<api::App>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    log_line(format!(
        "listening on http://{addr} (database {})",
        global_db(&served)
    ));
    // The models load while /healthz already answers (/readyz says when they are ready).
    let loading = Arc::clone(&served);
    tokio::spawn(async move {
        match loading.start(log_line).await {
            Ok(()) => log_line("ready".into()),
            Err(e) => {
                log_line(format!("could not load the database: {e:#}"));
                std::process::exit(i32::from(perx::exit::ERROR));
            }
        }
    });
    let service = TowerToHyperService::new(api::router(app));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(args.header_timeout_ms.max(1)))
        .max_buf_size(args.max_header_bytes.max(8192))
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(tokio::sync::Semaphore::new(args.max_connections));
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("listening for SIGHUP")?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not spin.
                        log_line(format!("accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let Ok(slot) = Arc::clone(&connections).try_acquire_owned() else {
                    tokio::spawn(refuse(stream));
                    continue;
                };
                let conn = http.serve_connection(TokioIo::new(stream), service.clone());
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(slot);
                });
            }
            _ = hangup.recv() => {
                let s = Arc::clone(&served);
                tokio::spawn(async move {
                    match s.reload(log_line).await {
                        Ok(r) => log_line(format!("SIGHUP: reloaded {}: {} ({:.2} s)", r.reloaded, r.reason, r.seconds)),
                        Err(e) => log_line(format!("SIGHUP: reload failed, still serving the old data: {e:#}")),
                    }
                });
            }
            _ = term.recv() => { log_line("SIGTERM: finishing the requests in flight".into()); break; }
            _ = tokio::signal::ctrl_c() => { log_line("Ctrl-C: finishing the requests in flight".into()); break; }
        }
    }
    // New connections are refused from here on; open ones finish their request and close.
    drop(listener);
    match tokio::time::timeout(Duration::from_secs(args.grace_seconds), graceful.shutdown()).await {
        Ok(()) => log_line("stopped".into()),
        Err(_) => log_line(format!(
            "stopped after {} s with requests still in flight",
            args.grace_seconds
        )),
    }
    Ok(())
}

/// Answers a connection beyond --max-connections: 503, then closes it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt as _;
    const BODY: &str = "{\"error\":{\"code\":\"overloaded\",\"message\":\"too many connections; retry after a second\"}}";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

fn global_db(served: &Served) -> String {
    served.path.display()
}
