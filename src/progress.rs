//! How long-running library work reports progress without knowing who is watching.
//!
//! The CLI hands in an indicatif bar, the TUI a channel, tests [`NoProgress`].

/// Receives progress of one long task at a time.
pub trait Progress: Sync {
    /// A new stage begins; `total` is its size in `unit`s when known.
    fn start(&self, label: &str, total: Option<u64>, unit: Unit);
    /// `delta` more units are done.
    fn advance(&self, delta: u64);
    /// The stage is over.
    fn finish(&self);
}

/// What a stage counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes of an input file.
    Bytes,
    /// Rows or records.
    Rows,
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _label: &str, _total: Option<u64>, _unit: Unit) {}
    fn advance(&self, _delta: u64) {}
    fn finish(&self) {}
}
