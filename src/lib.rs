//! perx: terminal analytics for a loyalty-rewards platform.
//!
//! Layers, inside out (see ARCHITECTURE.md): [`core`] is pure (parsing and rules, no I/O);
//! [`avro`], [`sample`] and [`hashing`] read and write files; [`store`] owns DuckDB;
//! [`answers`] is what every surface answers (lists, their fallback, their explanations,
//! their JSON); [`server`] is the HTTP API and [`ui`] the terminal UI. The binary
//! (`src/main.rs`, `src/cli/`) parses flags and prints: the only place that does.

pub mod answers;
pub mod atomic;
pub mod avro;
#[cfg(feature = "bigquery")]
pub mod bigquery;
pub mod core;
pub mod exit;
pub mod fetch;
pub mod hashing;
pub mod limits;
#[cfg(feature = "linfa")]
pub mod linfa_api;
pub mod pipeline;
pub mod progress;
pub mod recommender;
pub mod report;
pub mod sample;
pub mod server;
pub mod store;
pub mod term;
pub mod ui;

/// An error and its causes as one line, "what: why: the OS's reason", the way the CLI
/// prints errors (`{:#}`) and the TUI's popup shows them. A cause already spelled out by
/// the message before it is not repeated.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut last = out.clone();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !last.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
            last = text;
        }
        cause = c.source();
    }
    out
}
