//! perx's pure code, compiled from `../src` without DuckDB, for the fuzz targets.
//!
//! The module paths mirror the main crate's (`crate::core`, `crate::avro`, …), so the
//! files compile unchanged.
#![allow(dead_code, unused_imports)]

#[path = "../../src/atomic.rs"]
pub mod atomic;
#[path = "../../src/avro/mod.rs"]
pub mod avro;
#[path = "../../src/core/mod.rs"]
pub mod core;
#[path = "../../src/hashing.rs"]
pub mod hashing;
#[path = "../../src/limits.rs"]
pub mod limits;
#[path = "../../src/pipeline.rs"]
pub mod pipeline;
#[path = "../../src/progress.rs"]
pub mod progress;
#[path = "../../src/term.rs"]
pub mod term;
