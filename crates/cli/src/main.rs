//! `neurodiv`: forecast, fit, predict and cross-validate on CSV files.
//!
//! Every failure prints one line on stderr (an argument error a second line, a hint) and exits
//! with code 2; Ctrl-C stops training at the next step and exits with code 130. A command's
//! output files appear all together or not at all, and a closed stdout ends it quietly.

mod args;
mod catalog;
mod commands;
mod output;
mod progress;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code of bad input and failures.
const EXIT_ERROR: i32 = 2;
/// Exit code after Ctrl-C (128 + SIGINT, the shells' convention).
const EXIT_INTERRUPTED: i32 = 130;

fn main() {
    let cli = match args::parse() {
        Ok(cli) => cli,
        Err(code) => std::process::exit(code),
    };
    let interrupt = Arc::new(AtomicBool::new(false));
    let flag = interrupt.clone();
    // The first Ctrl-C asks training to stop at the next step (nothing is written after it);
    // a second one ends the process at once.
    let handler = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::Relaxed) {
            std::process::exit(EXIT_INTERRUPTED);
        }
    });
    if let Err(e) = handler {
        output::eprint_line(&format!(
            "warning: Ctrl-C cannot stop training cleanly: {e}"
        ));
    }
    if let Err(e) = commands::run(cli, &interrupt) {
        if interrupt.load(Ordering::Relaxed) {
            output::eprint_line("error: interrupted; nothing was written");
            std::process::exit(EXIT_INTERRUPTED);
        }
        output::eprint_line(&format!("error: {e}"));
        std::process::exit(EXIT_ERROR);
    }
}
