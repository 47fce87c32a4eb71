//! `cargo xtask parity`: the accuracy of every parity case against Python NeuralForecast's
//! reference figures.
//!
//! The cases (model, data, overrides, seeds, reference key) are `neurodiv::parity::CASES`, the
//! same list the parity test checks cheaply. This command builds `nd-parity` (package
//! `neurodiv-compare-runner`, release profile) and runs it: `run` fits every selected case for
//! every seed and writes the figures ([`neurodiv_benches::parity::ParityOutput`]), which
//! [`report`] turns into the table printed here, written to `target/parity/summary.md` and, when
//! every case ran, into the generated sections of `docs/models.md` and `README.md`. With
//! `--record-gates`, `nd-parity record-gates` records the cheap gates of the test instead.

mod report;

use crate::error::XtaskError;
use crate::machine::MachineInfo;
use crate::util::{
    build_release, replace_section, run_command, shell_join, target_dir, workspace_root, write,
};
use neurodiv_benches::parity::ParityOutput;
use std::process::Command;

/// The package and binary that run the cases.
const RUNNER_PACKAGE: &str = "neurodiv-compare-runner";
const PARITY_BIN: &str = "nd-parity";
/// Name of the generated sections of `docs/models.md` and `README.md`.
const SECTION: &str = "parity";

/// The flags of `cargo xtask parity`.
#[derive(Debug, Clone, clap::Args)]
pub struct ParityCli {
    /// Only these cases (comma-separated); a model name also selects its variants (NHITS:
    /// NHITS and NHITSx).
    #[arg(long, value_name = "A,B")]
    pub models: Option<String>,
    /// Instead, fit each case once in the cheap configuration of the parity test (seed 1, 20
    /// steps) and record its MAE and bound (+2%) in data/reference/parity_gates.json.
    #[arg(long)]
    pub record_gates: bool,
}

/// Parsed `cargo xtask parity` arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParityArgs {
    /// Case or model names to run; empty: every case.
    pub models: Vec<String>,
    /// Record the cheap gates instead of running the full comparison.
    pub record_gates: bool,
    /// The arguments as typed, for the report.
    typed: Vec<String>,
}

impl ParityArgs {
    /// (Tests: as `cargo xtask` would.)
    /// Parses the arguments that follow `parity`.
    #[cfg(test)]
    pub fn parse(args: &[String]) -> Result<ParityArgs, XtaskError> {
        Self::from_cli(crate::util::parse_args("parity", args)?, args)
    }

    /// Checks the parsed flags; `typed` are the arguments as typed, for the report.
    pub fn from_cli(cli: ParityCli, typed: &[String]) -> Result<ParityArgs, XtaskError> {
        let models = match cli.models {
            None => Vec::new(),
            Some(value) => {
                let list: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                if list.is_empty() {
                    return Err(XtaskError::Usage("empty --models list".into()));
                }
                list
            }
        };
        Ok(ParityArgs {
            models,
            record_gates: cli.record_gates,
            typed: typed.to_vec(),
        })
    }

    /// The command as typed.
    pub fn command_line(&self) -> String {
        let mut v = vec!["cargo".to_string(), "xtask".into(), "parity".into()];
        v.extend(self.typed.iter().cloned());
        shell_join(&v)
    }

    /// The arguments of `nd-parity` before its path.
    fn runner_args(&self) -> Vec<String> {
        let mode = if self.record_gates {
            "record-gates"
        } else {
            "run"
        };
        let mut v = vec![mode.to_string()];
        if !self.models.is_empty() {
            v.push("--models".into());
            v.push(self.models.join(","));
        }
        v
    }
}

/// Runs the parity cases (or records their cheap gates) and writes the report.
pub fn run(args: &ParityArgs) -> Result<(), XtaskError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = workspace_root();
    let target = target_dir(&cargo, &root)?;
    let dir = target.join("parity");
    let (runner, build_line) = build_release(&cargo, &root, &target, RUNNER_PACKAGE, PARITY_BIN)?;
    let mut runner_args = args.runner_args();
    let out = dir.join("results.json");
    if args.record_gates {
        runner_args.push(root.display().to_string());
    } else {
        std::fs::create_dir_all(&dir).map_err(|e| XtaskError::io(&dir, e))?;
        let _ = std::fs::remove_file(&out);
        runner_args.push(out.display().to_string());
    }
    let shown = shell_join(&[vec![runner.display().to_string()], runner_args.clone()].concat());
    eprintln!("xtask: {shown}");
    let mut command = Command::new(&runner);
    command.args(&runner_args).current_dir(&root);
    run_command(command, &shown)?;
    if args.record_gates {
        return Ok(());
    }

    let text = std::fs::read_to_string(&out).map_err(|e| XtaskError::io(&out, e))?;
    let output: ParityOutput = serde_json::from_str(&text).map_err(|e| XtaskError::Malformed {
        path: out.clone(),
        message: e.to_string(),
    })?;
    let machine = MachineInfo::gather(&root, args.command_line(), build_line);
    let body = report::section(&output, &machine);
    println!("\n{body}");
    let summary_path = dir.join("summary.md");
    write(&summary_path, &body)?;
    if args.models.is_empty() {
        replace_section(&root.join("docs/models.md"), SECTION, &body)?;
        let readme = report::readme_section(&output, &machine);
        replace_section(&root.join("README.md"), SECTION, &readme)?;
        eprintln!("xtask: wrote docs/models.md and README.md");
    } else {
        eprintln!(
            "xtask: --models: wrote {} only (a run of every case rewrites docs/models.md and \
             README.md)",
            summary_path.display()
        );
    }
    let failed: Vec<String> = output
        .rows
        .iter()
        .filter(|r| !r.passes())
        .map(|r| r.case.clone())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::GateFailed(failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<ParityArgs, XtaskError> {
        ParityArgs::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn parses_models_and_record_gates() {
        let a = parse(&[]).unwrap();
        assert!(a.models.is_empty() && !a.record_gates);
        assert_eq!(a.runner_args(), ["run"]);
        let a = parse(&["--models", "NHITS, MLP"]).unwrap();
        assert_eq!(a.models, ["NHITS", "MLP"]);
        assert_eq!(a.runner_args(), ["run", "--models", "NHITS,MLP"]);
        let a = parse(&["--record-gates", "--models=TiDE"]).unwrap();
        assert!(a.record_gates);
        assert_eq!(a.runner_args(), ["record-gates", "--models", "TiDE"]);
        assert_eq!(
            a.command_line(),
            "cargo xtask parity --record-gates --models=TiDE"
        );
    }

    #[test]
    fn rejects_bad_arguments() {
        for bad in [
            &["--models"][..],
            &["--models", ","],
            &["--models", "A", "--models", "B"],
            &["--quick"],
            &["NHITS"],
        ] {
            assert!(matches!(parse(bad), Err(XtaskError::Usage(_))), "{bad:?}");
        }
    }
}
