//! `cargo xtask load-bench`: the load time of a large Parquet panel, through the release build
//! of the example `load_bench` of `neurodiv-data`.

use crate::error::XtaskError;
use crate::util::{run_command, shell_join, workspace_root};
use std::path::PathBuf;
use std::process::Command;

/// Options of `cargo xtask load-bench`.
#[derive(Debug, clap::Args)]
pub struct LoadBenchArgs {
    /// Rows of the synthetic panel.
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub rows: u64,
    /// The Parquet file to write (unless it exists) and load; default: one per row count in
    /// the system's temporary directory.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

/// Builds and runs the example (release profile).
pub fn run(args: &LoadBenchArgs) -> Result<(), XtaskError> {
    let mut words: Vec<String> = [
        "run",
        "--release",
        "--quiet",
        "-p",
        "neurodiv-data",
        "--example",
        "load_bench",
        "--",
        "--rows",
    ]
    .map(String::from)
    .to_vec();
    words.push(args.rows.to_string());
    if let Some(f) = &args.file {
        words.push("--file".into());
        words.push(f.display().to_string());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let shown = format!("cargo {}", shell_join(&words));
    eprintln!("xtask: {shown}");
    let mut command = Command::new(cargo);
    command.args(&words).current_dir(workspace_root());
    run_command(command, &shown)
}
