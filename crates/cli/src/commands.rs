//! Subcommand dispatch.

mod bench_tep;
mod bench_throughput;
mod demo;
mod fit;
mod score;

use crate::args::{BenchCommand, Cli, Command};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Fit(args) => fit::run(&args),
        Command::Score(args) => score::run(&args),
        Command::Bench(BenchCommand::Tep(args)) => bench_tep::run(&args),
        Command::Bench(BenchCommand::Throughput(args)) => bench_throughput::run(&args),
    }
}
