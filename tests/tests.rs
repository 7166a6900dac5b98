//! Integration tests, compiled as one binary (one module per area).

mod util;

#[cfg(feature = "bigquery")]
mod bigquery;
mod cli;
mod convert;
mod hostile;
mod ingest;
mod load_real;
mod load_sample;
mod movielens;
mod query;
mod query_tab;
mod recommend;
mod reports;
mod rewards;
mod serve;
mod sessions_table;
mod ui;
