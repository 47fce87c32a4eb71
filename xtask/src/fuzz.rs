//! `cargo xtask fuzz`: runs every cargo-fuzz target of `fuzz/` in turn, one at a time, for a
//! given time each, and reports executions and crashes per target.
//!
//! cargo-fuzz needs nightly compiler flags (`-Zsanitizer`); on the pinned stable toolchain they
//! are enabled with `RUSTC_BOOTSTRAP=1` for the fuzz build only. cargo-fuzz itself is installed
//! (`cargo install cargo-fuzz --locked`) when `cargo fuzz` is missing. Each target starts from
//! its committed seeds (`fuzz/seeds/TARGET`) plus the corpus earlier runs grew
//! (`fuzz/corpus/TARGET`, not committed); a crashing input is written to
//! `fuzz/artifacts/TARGET/` and the run of that target stops there.

use crate::error::XtaskError;
use crate::util::{run_command, workspace_root};
use std::path::Path;
use std::process::{Command, Stdio};

/// Options of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub struct FuzzArgs {
    /// Seconds per target.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub seconds: u64,
    /// Only these targets (comma-separated; default: every target in fuzz/fuzz_targets).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub targets: Vec<String>,
}

impl FuzzArgs {
    /// (Tests: as `cargo xtask` would.)
    /// Parses `[--seconds N] [--targets A,B]`.
    #[cfg(test)]
    pub fn parse(args: &[String]) -> Result<Self, XtaskError> {
        crate::util::parse_args("fuzz", args)
    }
}

/// What one target's run gave.
#[derive(Debug)]
struct Outcome {
    target: String,
    executions: Option<u64>,
    crashed: bool,
    artifact: Option<String>,
}

/// Runs the targets one after the other and prints a table; fails when any target crashed.
pub fn run(args: &FuzzArgs) -> Result<(), XtaskError> {
    let root = workspace_root();
    let fuzz_dir = root.join("fuzz");
    let targets = if args.targets.is_empty() {
        all_targets(&fuzz_dir)?
    } else {
        args.targets.clone()
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    ensure_cargo_fuzz(&cargo)?;
    let logs = root.join("target").join("fuzz");
    std::fs::create_dir_all(&logs).map_err(|e| XtaskError::io(&logs, e))?;
    let mut outcomes = Vec::new();
    for target in &targets {
        let seeds = fuzz_dir.join("seeds").join(target);
        let corpus = fuzz_dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| XtaskError::io(&corpus, e))?;
        let log = logs.join(format!("{target}.log"));
        let log_file = std::fs::File::create(&log).map_err(|e| XtaskError::io(&log, e))?;
        let mut command = Command::new(&cargo);
        command
            .current_dir(&root)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", target])
            .arg(&corpus)
            .arg(&seeds)
            .args([
                "--",
                &format!("-max_total_time={}", args.seconds),
                "-rss_limit_mb=4096",
                "-timeout=60",
                "-print_final_stats=1",
            ])
            .stdout(Stdio::null())
            .stderr(log_file);
        eprintln!(
            "xtask: fuzzing {target} for {} s (log: {})",
            args.seconds,
            log.display()
        );
        let status = command.status().map_err(|source| XtaskError::Spawn {
            command: format!("cargo fuzz run {target}"),
            source,
        })?;
        let text = std::fs::read_to_string(&log).map_err(|e| XtaskError::io(&log, e))?;
        let outcome = read_outcome(target, &text, status.success());
        if outcome.executions.is_none() && !outcome.crashed {
            return Err(XtaskError::Malformed {
                path: log,
                message: "cargo fuzz ran no fuzzing (see the log: a build error?)".into(),
            });
        }
        outcomes.push(outcome);
    }
    println!("| target | seconds | executions | crashes | crashing input |");
    println!("|---|---:|---:|---:|---|");
    for o in &outcomes {
        println!(
            "| {} | {} | {} | {} | {} |",
            o.target,
            args.seconds,
            o.executions.map_or("?".into(), |n| n.to_string()),
            u8::from(o.crashed),
            o.artifact.as_deref().unwrap_or("-")
        );
    }
    let crashed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.crashed)
        .map(|o| o.target.clone())
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::Malformed {
            path: fuzz_dir.join("artifacts"),
            message: format!("crashing inputs found for {}", crashed.join(", ")),
        })
    }
}

/// The targets: the file stems of `fuzz/fuzz_targets/*.rs`, sorted.
fn all_targets(fuzz_dir: &Path) -> Result<Vec<String>, XtaskError> {
    let dir = fuzz_dir.join("fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| XtaskError::io(&dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_string)
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Installs cargo-fuzz unless `cargo fuzz` already runs.
fn ensure_cargo_fuzz(cargo: &str) -> Result<(), XtaskError> {
    let present = Command::new(cargo)
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    eprintln!("xtask: cargo install cargo-fuzz --locked");
    let mut command = Command::new(cargo);
    command.args(["install", "cargo-fuzz", "--locked"]);
    run_command(command, "cargo install cargo-fuzz --locked")
}

/// Executions (libFuzzer's final `stat::number_of_executed_units`, or its last status line) and
/// the crash, if any, from a run's log.
fn read_outcome(target: &str, log: &str, success: bool) -> Outcome {
    let stat = log.lines().find_map(|l| {
        l.strip_prefix("stat::number_of_executed_units:")
            .and_then(|n| n.trim().parse().ok())
    });
    // Status lines look like "#123456\tpulse  cov: ..." or "#123456\tDONE ...".
    let last_status = log.lines().rev().find_map(|l| {
        l.strip_prefix('#')
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    });
    let artifact = log.lines().find_map(|l| {
        l.split_once("Test unit written to ")
            .map(|(_, path)| path.trim().to_string())
    });
    Outcome {
        target: target.to_string(),
        executions: stat.or(last_status),
        crashed: !success || artifact.is_some(),
        artifact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_read_from_libfuzzer_logs() {
        let done = "#1\tINITED cov: 5\n#4096\tpulse  cov: 9\n#52000\tDONE   cov: 9\nstat::number_of_executed_units: 52011\n";
        let o = read_outcome("t", done, true);
        assert_eq!((o.executions, o.crashed), (Some(52011), false));
        let crash = "#900\tNEW cov: 3\n==1== ERROR: libFuzzer: deadly signal\nartifact_prefix='a/'; Test unit written to fuzz/artifacts/t/crash-1\n";
        let o = read_outcome("t", crash, false);
        assert_eq!(o.executions, Some(900));
        assert!(o.crashed);
        assert_eq!(o.artifact.as_deref(), Some("fuzz/artifacts/t/crash-1"));
    }

    #[test]
    fn arguments_parse() {
        let a = FuzzArgs::parse(&["--seconds".into(), "5".into()]).unwrap();
        assert_eq!((a.seconds, a.targets.len()), (5, 0));
        assert!(FuzzArgs::parse(&["--seconds".into(), "0".into()]).is_err());
        assert!(FuzzArgs::parse(&["--bogus".into()]).is_err());
    }
}
