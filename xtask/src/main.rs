//! `cargo xtask`: project automation that needs more than a shell one-liner. Every command
//! takes `--help`; arguments are parsed by clap.
//!
//! ```text
//! cargo xtask bench [--quick] [--filter REGEX] [-- <criterion args>]
//! cargo xtask compare [--models A,B] [--workloads air,panel] [--configs default,small]
//!                     [--steps N] [--repeats N] [--threads N] [--quick]
//! cargo xtask parity [--models A,B] [--record-gates]
//! cargo xtask fuzz [--seconds N] [--targets A,B]
//! cargo xtask load-bench [--rows N] [--file PATH]
//! cargo xtask docs-check [--verbose] [--debug]
//! ```

mod bench;
mod compare;
mod docs_check;
mod error;
mod fuzz;
mod load_bench;
mod machine;
mod parity;
mod util;

use clap::{Parser, Subcommand};
use error::XtaskError;
use std::process::ExitCode;

/// Project automation of Neuro-Divergent.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the criterion benches of `neurodiv-benches`, measure the FMA peak, print a markdown
    /// summary, and write target/bench-summary.md and target/bench-summary.json (a full run,
    /// without --quick or --filter, also rewrites its section of docs/performance.md).
    Bench(bench::BenchArgs),
    /// Run the same models on the same data in Neuro-Divergent and in Python NeuralForecast (a
    /// pinned virtual environment under target/compare, installed from PyPI on first use),
    /// alternating the two, and write docs/performance.md and docs/compare-results.json.
    Compare(compare::CompareCli),
    /// Fit every parity case of neurodiv::parity::CASES (release build of nd-parity): each
    /// model on AirPassengers or its two-series panel, h=12, input 24, 200 steps, seeds 1-3
    /// (1-30 for DLinear, NLinear, TSMixerx), against NeuralForecast's figures in
    /// data/reference/nf_airpassengers.json (gate: mean MAE at most 1.1x theirs). Prints the
    /// table, writes target/parity/summary.md, and exits 1 when a case is above its gate; a run
    /// of every case (no --models) also rewrites its sections of docs/models.md and README.md.
    Parity(parity::ParityCli),
    /// Run each cargo-fuzz target of fuzz/ (the CSV readers, the checkpoint loader, the --set
    /// parser) in turn, from its seeds in fuzz/seeds, and print the executions and crashes per
    /// target; exits 1 when one crashed (the input is kept under fuzz/artifacts). Installs
    /// cargo-fuzz when missing; builds with RUSTC_BOOTSTRAP=1 (the sanitizer flags cargo-fuzz
    /// needs are nightly-only).
    Fuzz(fuzz::FuzzArgs),
    /// Write a synthetic Parquet panel of --rows rows (series of 1,000 daily points) unless
    /// the file exists, then time its load and validation (release build of the example
    /// load_bench of neurodiv-data) and print the rate and the peak memory.
    LoadBench(load_bench::LoadBenchArgs),
    /// Run the command blocks of README.md and docs/cli.md as written, with 2 training steps,
    /// against one release build of neurodiv, in a fresh directory under the target directory;
    /// exits 2 when a command does not exit as the document shows. Skips blocks after a
    /// `<!-- long -->` line and lines whose comment says "(long)".
    DocsCheck(docs_check::DocsCheckArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ XtaskError::Usage(_)) => {
            eprintln!("error: {e}\nhint: see 'cargo xtask --help'");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The arguments after the subcommand, as typed (for the reports' command lines).
fn typed() -> Vec<String> {
    std::env::args().skip(2).collect()
}

fn run(command: Command) -> Result<(), XtaskError> {
    match command {
        Command::Bench(a) => bench::run(&a),
        Command::Compare(c) => compare::run(&compare::CompareArgs::from_cli(c, &typed())?),
        Command::Parity(c) => parity::run(&parity::ParityArgs::from_cli(c, &typed())?),
        Command::Fuzz(a) => fuzz::run(&a),
        Command::LoadBench(a) => load_bench::run(&a),
        Command::DocsCheck(a) => docs_check::run(&a),
    }
}
