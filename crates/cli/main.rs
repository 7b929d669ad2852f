//! The `faultline` binary: parses arguments, runs the command, prints errors as one line with
//! their whole chain and maps them to an exit code (0 ok, 1 failure, 2 usage).

use std::process::ExitCode;

fn main() -> ExitCode {
    faultline_cli::main()
}
