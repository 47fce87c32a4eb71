//! `cargo xtask`: project automation that needs more than a shell one-liner.
//!
//! ```text
//! cargo xtask bench [--quick] [--filter REGEX] [-- <criterion args>]
//! cargo xtask compare [--models A,B] [--workloads air,panel] [--configs default,small]
//!                     [--steps N] [--repeats N] [--threads N] [--quick]
//! cargo xtask parity [--models A,B] [--record-gates]
//! cargo xtask fuzz [--seconds N] [--targets A,B]
//! ```
//! Arguments are parsed by hand to keep this binary's dependencies light.

mod bench;
mod compare;
mod error;
mod fuzz;
mod machine;
mod parity;
mod util;

use error::XtaskError;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  bench [--quick] [--filter REGEX] [-- <criterion args>]
        Run the criterion benches of `neurodiv-benches`, measure the FMA peak, print a
        markdown summary, and write target/bench-summary.md and target/bench-summary.json
        (a full run, without --quick or --filter, also rewrites its section of docs/performance.md).
        --quick          shorter warm-up (0.5 s) and measurement (1 s) per benchmark
        --filter REGEX   only benchmarks whose id (group/function/value) matches REGEX
  compare [--models A,B] [--workloads air,panel] [--configs default,small] [--steps N]
          [--repeats N] [--threads N] [--quick]
        Run the same models on the same data in Neuro-Divergent and in Python NeuralForecast
        (a pinned virtual environment under target/compare, installed from PyPI on first use),
        alternating the two, and write docs/performance.md and docs/compare-results.json.
        --models A,B     models to compare (default: all ten both libraries have)
        --workloads W    air (AirPassengers, h=12, input 24) and/or panel (200 synthetic daily
                         series x 500 points, h=14, input 28); default both
        --configs C      default (NeuralForecast's defaults) and/or small (32-unit layers, 32
                         windows per step); default both
        --steps N        training steps per timed fit (default 100)
        --repeats N      runs of each program per model, workload and config (default 2)
        --threads N      threads of both programs (default 2)
        --quick          20 steps, 1 run, 5 timed predicts; writes target/compare only
  parity [--models A,B] [--record-gates]
        Fit every parity case of neurodiv::parity::CASES (release build of nd-parity): each
        model on AirPassengers or its two-series panel, h=12, input 24, 200 steps, seeds 1-3
        (1-30 for DLinear, NLinear, TSMixerx), against NeuralForecast's figures in
        data/reference/nf_airpassengers.json (gate: mean MAE at most 1.1x theirs). Prints the
        table, writes target/parity/summary.md, and exits 1 when a case is above its gate; a run
        of every case (no --models) also rewrites its sections of docs/models.md and README.md.
        --models A,B     only these cases; a model name also selects its variants (NHITS: NHITS
                         and NHITSx)
        --record-gates   instead, fit each case once in the cheap configuration of the parity
                         test (seed 1, 20 steps) and record its MAE and bound (+2%) in
                         data/reference/parity_gates.json (with --models: only those cases)
  fuzz [--seconds N] [--targets A,B]
        Run each cargo-fuzz target of fuzz/ (the CSV readers, the checkpoint loader, the --set
        parser) in turn for N seconds (default 60), from its seeds in fuzz/seeds, and print the
        executions and crashes per target; exits 1 when one crashed (the input is kept under
        fuzz/artifacts). Installs cargo-fuzz when missing; builds with RUSTC_BOOTSTRAP=1 (the
        sanitizer flags cargo-fuzz needs are nightly-only).
        --targets A,B    only these targets
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
        Some("compare") => compare::run(&compare::CompareArgs::parse(&args[1..])?),
        Some("parity") => parity::run(&parity::ParityArgs::parse(&args[1..])?),
        Some("fuzz") => fuzz::run(&fuzz::FuzzArgs::parse(&args[1..])?),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(XtaskError::Usage(format!("unknown command {other:?}"))),
        None => Err(XtaskError::Usage("no command given".into())),
    }
}
