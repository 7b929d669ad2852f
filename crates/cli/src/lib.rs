//! The faultline command line: the only crate that knows argv, terminals and exit codes.
//!
//! Each subcommand lives in `commands/<name>.rs` and calls into `train`, `detectors` and
//! `store`; this crate adds argument parsing, progress bars (on a terminal only) and output
//! files.
#![deny(missing_docs)]

mod args;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    // Matrix work runs single-threaded: on the 2-core machines this runs on, faer's parallel
    // kernels were measured slower (shared/STACK.md §3); lines and models parallelise instead.
    faer::set_global_parallelism(faer::Par::Seq);
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("faultline: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
