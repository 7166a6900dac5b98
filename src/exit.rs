//! Exit codes of the `perx` binary, documented in one place (also in README.md).

/// Everything worked.
pub const OK: u8 = 0;
/// A fatal error: a file missing or unreadable, the database locked, a bad header. Nothing
/// was changed (loads are transactional).
pub const ERROR: u8 = 1;
/// The command line was wrong (clap's usage errors).
pub const USAGE: u8 = 2;
/// The command finished, but some input lines were rejected or some loaded rows break an
/// integrity rule; they are listed in the summary, `load_reject` and `load_warning`. For
/// `perx verify bigquery`: the two engines' reports differ (the differences are listed).
pub const DATA_PROBLEMS: u8 = 3;
/// `perx query` refused a statement that would change tables perx loaded or keeps; run it
/// again with `--write` to allow it.
pub const REFUSED: u8 = 4;
