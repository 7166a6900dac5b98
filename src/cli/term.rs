//! The CLI's only way to print for people: every line goes through [`perx::term::visible`],
//! so text from data files never reaches the terminal as control sequences. `outln!` writes
//! to stdout and returns its I/O result (a closed pipe is an error the caller reports, not a
//! panic as with `println!`); `errln!` writes to stderr and ignores failures, as a message
//! about a failure has nowhere else to go.

use std::fmt;
use std::io::{self, Write};

use perx::term::visible;

/// Writes one line to stdout with its control characters made visible.
pub fn out_line(args: fmt::Arguments<'_>) -> io::Result<()> {
    let text = args.to_string();
    let mut out = io::stdout().lock();
    out.write_all(visible(&text).as_bytes())?;
    out.write_all(b"\n")
}

/// Writes one line to stderr with its control characters made visible.
pub fn err_line(args: fmt::Arguments<'_>) {
    let text = args.to_string();
    let mut err = io::stderr().lock();
    let _ = err.write_all(visible(&text).as_bytes());
    let _ = err.write_all(b"\n");
}

/// `println!` through [`out_line`]; evaluates to `io::Result<()>`.
macro_rules! outln {
    ($($arg:tt)*) => {
        crate::cli::term::out_line(format_args!($($arg)*))
    };
}

/// `eprintln!` through [`err_line`].
macro_rules! errln {
    ($($arg:tt)*) => {
        crate::cli::term::err_line(format_args!($($arg)*))
    };
}
