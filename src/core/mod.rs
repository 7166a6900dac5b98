//! The pure core: parsing and rules that take values and return values, with no I/O.
//!
//! Everything here is deterministic and tested beside its code; the store, the CLI and the
//! TUI call into it, never the other way round.

pub mod eval;
pub mod ingest;
pub mod logline;
pub mod movielens;
pub mod recommend;
pub mod records;
pub mod rewards;
pub mod session;
pub mod sql;
pub mod timerange;
pub mod timestamp;

/// One input line that did not make it into a table, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// 1-based line number in the source file.
    pub line_no: u64,
    /// Why it was rejected, for a user to read.
    pub reason: String,
    /// The line as written (invalid UTF-8 replaced by U+FFFD).
    pub raw: String,
}
