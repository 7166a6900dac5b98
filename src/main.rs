//! The `perx` binary: parses the command line and hands over to `cli::run`.
//! Exit codes are listed in `perx::exit` (and README.md).

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the Avro and Arrow paths allocate a string per field, and glibc's allocator
/// was a fifth of the load's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let code = match cli::run(args) {
        Ok(code) => code,
        // The reader went away (`perx report … | head`): not an error of ours.
        Err(err) if cli::is_broken_pipe(&err) => perx::exit::OK,
        Err(err) => {
            // `{:#}` prints the whole cause chain: "what: where: why".
            cli::term::err_line(format_args!("error: {err:#}"));
            perx::exit::ERROR
        }
    };
    cli::bench::report_peak_rss();
    ExitCode::from(code)
}
