//! `neurodiv`: forecast, fit, predict and cross-validate on CSV files.
//!
//! Every failure prints one line on stderr and exits with code 2; outputs are written
//! atomically, so a failure never leaves a half-written file.

mod args;
mod commands;
mod futr;
mod plot;
mod progress;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    if let Err(e) = commands::run(cli) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
