//! The `perx` binary: parses the command line and hands over to `cli::run`.
//! Exit codes are listed in `perx::exit` (and README.md).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let code = match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            perx::exit::ERROR
        }
    };
    cli::bench::report_peak_rss();
    ExitCode::from(code)
}
