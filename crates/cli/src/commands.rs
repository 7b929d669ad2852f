//! Subcommand dispatch.

mod audit;
mod bench_ingest;
mod bench_skab;
mod bench_tep;
mod bench_tep_classify;
mod bench_throughput;
mod demo;
mod demo_hsms;
mod demo_offline;
mod fit;
mod fit_default;
mod probe;
mod report;
mod score;
mod serve;
mod users;

use crate::args::{AuditCommand, BenchCommand, Cli, Command, ProbeCommand, UserCommand};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) if args.offline => demo_offline::run(&args),
        Command::Demo(args) => runtime()?.block_on(demo::run(&args)),
        Command::Serve(args) => runtime()?.block_on(serve::run(&args)),
        Command::Fit(args) => fit::run(&args),
        Command::Score(args) => score::run(&args),
        Command::Bench(BenchCommand::Tep(args)) => bench_tep::run(&args),
        Command::Bench(BenchCommand::Skab(args)) => bench_skab::run(&args),
        Command::Bench(BenchCommand::TepClassify(args)) => bench_tep_classify::run(&args),
        Command::Bench(BenchCommand::Throughput(args)) => bench_throughput::run(&args),
        Command::Bench(BenchCommand::Ingest(args)) => runtime()?.block_on(bench_ingest::run(&args)),
        Command::Probe(ProbeCommand::Hsms(args)) => runtime()?.block_on(probe::hsms(&args)),
        Command::User(UserCommand::Add(args)) => users::add(&args),
        Command::User(UserCommand::List(args)) => users::list(&args),
        Command::User(UserCommand::Passwd(args)) => users::passwd(&args),
        Command::Audit(AuditCommand::Verify(args)) => audit::verify(&args),
    }
}

/// The async runtime of the live commands (the offline ones need none).
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
