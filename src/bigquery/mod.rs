//! BigQuery: push the tables up (`perx sync bigquery`) and run the reports' BigQuery twins
//! there (`perx report … --engine bigquery`, `perx verify bigquery`), over a small client of
//! the BigQuery v2 REST API (`client`), with service-account or token auth (`auth`).
//!
//! Everything here is behind the `bigquery` cargo feature (on by default).

pub mod auth;
pub mod client;
pub mod reports;
pub mod sync;

use std::path::PathBuf;

pub use auth::Credentials;
pub use client::Client;

/// Why a BigQuery call failed. Messages name the call and say what to do; tokens and keys
/// never appear in them.
#[derive(Debug, thiserror::Error)]
pub enum BigQueryError {
    /// The endpoint could not be reached.
    #[error(
        "cannot reach BigQuery at {url}: {reason}. Check --endpoint (or BIGQUERY_EMULATOR_HOST) and the network"
    )]
    Unreachable {
        /// What was called (no query string).
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// BigQuery answered with an HTTP error.
    #[error("BigQuery refused {what} (HTTP {status}): {message}")]
    Http {
        /// The call.
        what: String,
        /// HTTP status.
        status: u16,
        /// BigQuery's message.
        message: String,
    },
    /// BigQuery answered 200 but reported errors in the body (`errors`, `errorResult`).
    #[error("BigQuery reported an error for {what}: {message}")]
    Job {
        /// The call or job.
        what: String,
        /// BigQuery's message(s).
        message: String,
    },
    /// The answer was not what the API documents.
    #[error("unexpected answer from BigQuery for {what}: {detail}")]
    Protocol {
        /// The call.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// Credentials are missing or unusable.
    #[error("{0}")]
    Auth(String),
    /// Something the user has to give is missing or wrong.
    #[error("{0}")]
    Input(String),
    /// A local file could not be read.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The local database refused.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A job did not finish in time.
    #[error("{what} did not finish within {seconds} s")]
    Timeout {
        /// The job.
        what: String,
        /// How long we waited.
        seconds: u64,
    },
}

/// Where BigQuery is and who we are.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Root URL, e.g. `https://bigquery.googleapis.com` or `http://127.0.0.1:9050`.
    pub root: String,
    /// The project.
    pub project: String,
}

impl Endpoint {
    /// The real BigQuery.
    pub const GOOGLE: &'static str = "https://bigquery.googleapis.com";

    /// `root` without a trailing slash; `http://` is added to a bare `host:port` (the form of
    /// `BIGQUERY_EMULATOR_HOST`).
    pub fn new(root: &str, project: &str) -> Endpoint {
        let root = root.trim_end_matches('/');
        let root = if root.contains("://") {
            root.to_owned()
        } else {
            format!("http://{root}")
        };
        Endpoint {
            root,
            project: project.to_owned(),
        }
    }

    /// `…/bigquery/v2/projects/P`.
    pub fn api(&self) -> String {
        format!("{}/bigquery/v2/projects/{}", self.root, self.project)
    }

    /// `…/upload/bigquery/v2/projects/P`.
    pub fn upload(&self) -> String {
        format!("{}/upload/bigquery/v2/projects/{}", self.root, self.project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_accept_a_bare_emulator_host() {
        let e = Endpoint::new("127.0.0.1:9050/", "p");
        assert_eq!(e.api(), "http://127.0.0.1:9050/bigquery/v2/projects/p");
        assert_eq!(
            e.upload(),
            "http://127.0.0.1:9050/upload/bigquery/v2/projects/p"
        );
        let g = Endpoint::new(Endpoint::GOOGLE, "q");
        assert_eq!(
            g.api(),
            "https://bigquery.googleapis.com/bigquery/v2/projects/q"
        );
    }
}
