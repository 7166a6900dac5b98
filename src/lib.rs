//! perx: terminal analytics for a loyalty-rewards platform.
//!
//! Layers, inside out (see ARCHITECTURE.md): [`core`] is pure (parsing and rules, no I/O);
//! [`avro`], [`sample`] and [`hashing`] read and write files; [`store`] owns DuckDB. The
//! binary (`src/main.rs`, `src/cli/`) sits at the edge and is the only place that prints.

pub mod atomic;
pub mod avro;
#[cfg(feature = "bigquery")]
pub mod bigquery;
pub mod core;
pub mod exit;
pub mod fetch;
pub mod hashing;
pub mod limits;
pub mod pipeline;
pub mod progress;
pub mod recommender;
pub mod report;
pub mod sample;
pub mod store;
pub mod term;
pub mod ui;
