//! `cargo xtask`: project automation that needs more than a shell one-liner.
//!
//! ```text
//! cargo xtask bench [--quick] [--filter REGEX] [-- <criterion args>]
//! ```
//! Arguments are parsed by hand to keep this binary's dependencies light.

mod bench;
mod error;

use error::XtaskError;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  bench [--quick] [--filter REGEX] [-- <criterion args>]
        Run the criterion benches of `neurodiv-benches`, measure the FMA peak, print a
        markdown summary, and write target/bench-summary.md and target/bench-summary.json.
        --quick          shorter warm-up (0.5 s) and measurement (1 s) per benchmark
        --filter REGEX   only benchmarks whose id (group/function/value) matches REGEX
  help  Print this message.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ XtaskError::Usage(_)) => {
            eprintln!("error: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), XtaskError> {
    match args.first().map(String::as_str) {
        Some("bench") => bench::run(&bench::BenchArgs::parse(&args[1..])?),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(XtaskError::Usage(format!("unknown command {other:?}"))),
        None => Err(XtaskError::Usage("no command given".into())),
    }
}
