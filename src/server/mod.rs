//! The HTTP API (`perx serve`): the recommendations and reports as JSON over HTTP/1.1, from
//! the same database and the same answers as the CLI. [`routes`] holds the table of routes,
//! their handlers and the middleware; [`state`] the connection pool, the models and the
//! cache, and reloading them; [`params`] the query parameters; [`error`] the typed errors
//! and their statuses. [`serve`] runs it: connections served by hyper (header size limit,
//! header read timeout, keep-alive) on the caller's tokio runtime, a cap on open
//! connections, SIGTERM/Ctrl-C to stop (the requests in flight finish), SIGHUP to reload.
//!
//! The library never prints: its lines (the access log, failures, reloads) go to the
//! caller's [`Log`].

pub mod error;
pub mod params;
pub mod routes;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

pub use error::ApiError;
pub use routes::{ADMIN_RELOAD, App, Limits, OPENAPI, ROUTES, Route, router};
pub use state::Served;

use crate::recommender::ModelError;
use crate::store::reports::ReportError;
use crate::store::{DbPath, StoreError};

/// Where the server's lines go (the CLI prints them on stderr).
pub type Log = fn(String);

/// Why the server could not start, load or reload.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("listening on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A signal could not be listened for.
    #[error("listening for {0}")]
    Signal(&'static str, #[source] std::io::Error),
    /// The database could not be opened (or, for a reload, is missing or not perx's); the
    /// source names the file.
    #[error("could not open the database")]
    Open(#[source] StoreError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A report (the sessions table) failed.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A model could not be read or trained.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A blocking task panicked or was cancelled.
    #[error("a database task failed: {0}")]
    Task(String),
    /// The connection pool (a bug).
    #[error("{0}")]
    Pool(&'static str),
    /// A reload failed: the data loaded before are still served.
    #[error("reload refused, still serving the data loaded before")]
    Reload(#[source] Box<ServerError>),
    /// An ingest of new log files failed; the data served are unchanged.
    #[error("ingest failed, still serving the data ingested before")]
    Ingest(#[source] Box<crate::store::ingest::IngestError>),
}

impl ServerError {
    /// Whether a reload was refused for what is at the database's path (gone, not a file,
    /// not a database, not perx's): the caller's to fix, not a failure of the server.
    pub fn is_refused(&self) -> bool {
        match self {
            ServerError::Reload(inner) => inner.is_refused(),
            ServerError::Open(source) => {
                matches!(source, StoreError::NotPerx { .. } | StoreError::Open { .. })
            }
            _ => false,
        }
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> ApiError {
        match e {
            ServerError::Store(e) => ApiError::Store(e),
            ServerError::Report(e) => ApiError::Report(e),
            ServerError::Model(e) => ApiError::Model(e),
            other => ApiError::Internal(crate::error_chain(&other)),
        }
    }
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// The database.
    pub db: DbPath,
    /// The middleware's limits (timeout, body size, token, access log).
    pub limits: Limits,
    /// Requests answered at once; more are refused with 503.
    pub concurrency: usize,
    /// Open connections at most; more are answered 503 and closed.
    pub max_connections: usize,
    /// Longest time a client may take to send its request headers.
    pub header_timeout: Duration,
    /// Largest request head, in bytes.
    pub max_header_bytes: usize,
    /// Database connections.
    pub pool: usize,
    /// How long the requests in flight may take to finish at shutdown.
    pub grace: Duration,
    /// Where the server's lines go (start, stop, reloads, failures).
    pub log: Log,
    /// Where the access log's lines go, one per request.
    pub access: Log,
    /// Watch folders for new log files and ingest them (`--ingest`).
    pub ingest: Option<state::IngestWatch>,
}

/// Serves `config` until SIGTERM or Ctrl-C (on the current tokio runtime); the models
/// load in the background while `/healthz` already answers. Calls `on_failed_start` when
/// the database cannot be loaded at all (the CLI exits then).
pub async fn serve(config: Config, on_failed_start: fn(ServerError)) -> Result<(), ServerError> {
    let log = config.log;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.addr,
        source,
    })?;
    let served = Arc::new(Served::new(config.db.clone(), config.pool));
    log(format!(
        "listening on http://{addr} (database {})",
        served.path.display()
    ));
    let app = Arc::new(App {
        served: Arc::clone(&served),
        limits: config.limits.clone(),
        in_flight: Arc::new(tokio::sync::Semaphore::new(config.concurrency)),
        log,
        access: config.access,
    });
    // The models load while /healthz already answers (/readyz says when they are ready).
    let loading = Arc::clone(&served);
    tokio::spawn(async move {
        match loading.start(log).await {
            Ok(()) => log("ready".into()),
            Err(e) => on_failed_start(e),
        }
    });
    if let Some(watch) = config.ingest {
        let s = Arc::clone(&served);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(watch.every).await;
                if let Err(e) = s.ingest(&watch, log).await {
                    log(format!("ingest: {}", crate::error_chain(&e)));
                }
            }
        });
    }
    let service = TowerToHyperService::new(router(app));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_buf_size(config.max_header_bytes.max(8192))
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(tokio::sync::Semaphore::new(config.max_connections));
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| ServerError::Signal("SIGHUP", e))?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| ServerError::Signal("SIGTERM", e))?;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not spin.
                        log(format!("accept failed: {e}"));
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
                    match s.reload(log).await {
                        Ok(r) => log(format!("SIGHUP: reloaded {}: {} ({:.2} s)", r.reloaded, r.reason, r.seconds)),
                        Err(e) => log(format!("SIGHUP: {}", crate::error_chain(&e))),
                    }
                });
            }
            _ = term.recv() => { log("SIGTERM: finishing the requests in flight".into()); break; }
            _ = tokio::signal::ctrl_c() => { log("Ctrl-C: finishing the requests in flight".into()); break; }
        }
    }
    // New connections are refused from here on; open ones finish their request and close.
    drop(listener);
    match tokio::time::timeout(config.grace, graceful.shutdown()).await {
        Ok(()) => log("stopped".into()),
        Err(_) => log(format!(
            "stopped after {} s with requests still in flight",
            config.grace.as_secs()
        )),
    }
    Ok(())
}

/// Answers a connection beyond the cap: 503, then closes it.
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
