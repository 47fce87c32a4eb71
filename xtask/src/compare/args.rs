//! The command line of `cargo xtask compare`.

use super::workloads::{Config, MODELS, WORKLOADS};
use crate::error::XtaskError;
use crate::util::shell_join;

/// Training steps of a timed fit unless `--steps` says otherwise.
const DEFAULT_STEPS: usize = 100;
/// `--quick`: steps of a timed fit.
const QUICK_STEPS: usize = 20;

/// The flags of `cargo xtask compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareCli {
    /// Models to compare, comma-separated (default: all ten both libraries have).
    #[arg(long, value_name = "A,B")]
    pub models: Option<String>,
    /// air (AirPassengers, h=12, input 24) and/or panel (200 synthetic daily series x 500
    /// points, h=14, input 28); default both.
    #[arg(long, value_name = "W")]
    pub workloads: Option<String>,
    /// default (NeuralForecast's defaults) and/or small (32-unit layers, 32 windows per step);
    /// default both.
    #[arg(long, value_name = "C")]
    pub configs: Option<String>,
    /// Training steps per timed fit (default 100; 20 with --quick).
    #[arg(long, value_name = "N")]
    pub steps: Option<String>,
    /// Runs of each program per model, workload and config (default 2; 1 with --quick).
    #[arg(long, value_name = "N")]
    pub repeats: Option<String>,
    /// Threads of both programs.
    #[arg(long, value_name = "N", default_value = "2")]
    pub threads: String,
    /// 20 steps, 1 run, 5 timed predicts; writes target/compare only.
    #[arg(long)]
    pub quick: bool,
}

/// Parsed `cargo xtask compare` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareArgs {
    /// Models to compare.
    pub models: Vec<String>,
    /// Workloads to run them on.
    pub workloads: Vec<String>,
    /// Configurations of each model.
    pub configs: Vec<Config>,
    /// Training steps of each timed fit.
    pub steps: usize,
    /// Runs of each program per model, workload and configuration.
    pub repeats: usize,
    /// Threads of both programs.
    pub threads: usize,
    /// Fewer steps and runs; the docs are not rewritten.
    pub quick: bool,
    /// The arguments as typed, for the report.
    typed: Vec<String>,
}

impl CompareArgs {
    /// (Tests: as `cargo xtask` would.)
    /// Parses the arguments that follow `compare`.
    #[cfg(test)]
    pub fn parse(args: &[String]) -> Result<CompareArgs, XtaskError> {
        Self::from_cli(crate::util::parse_args("compare", args)?, args)
    }

    /// Checks the parsed flags and fills in the defaults; `typed` are the arguments as typed,
    /// for the report.
    pub fn from_cli(cli: CompareCli, typed: &[String]) -> Result<CompareArgs, XtaskError> {
        let models = match &cli.models {
            Some(v) => list(v, &MODELS, "model")?,
            None => MODELS.iter().map(|m| m.to_string()).collect(),
        };
        let workloads = match &cli.workloads {
            Some(v) => list(v, &WORKLOADS, "workload")?,
            None => WORKLOADS.iter().map(|w| w.to_string()).collect(),
        };
        let configs = match &cli.configs {
            Some(v) => list(v, &Config::NAMES, "config")?
                .iter()
                .map(|c| Config::parse(c))
                .collect::<Result<_, _>>()?,
            None => vec![Config::Default, Config::Small],
        };
        let (quick_steps, quick_repeats) = if cli.quick {
            (QUICK_STEPS, 1)
        } else {
            (DEFAULT_STEPS, 2)
        };
        let steps = match &cli.steps {
            Some(v) => count("--steps", v)?,
            None => quick_steps,
        };
        let repeats = match &cli.repeats {
            Some(v) => count("--repeats", v)?,
            None => quick_repeats,
        };
        if steps <= super::report::SKIP_STEPS {
            return Err(XtaskError::Usage(format!(
                "--steps must be above {} (the steps left out of the median)",
                super::report::SKIP_STEPS
            )));
        }
        Ok(CompareArgs {
            models,
            workloads,
            configs,
            steps,
            repeats,
            threads: count("--threads", &cli.threads)?,
            quick: cli.quick,
            typed: typed.to_vec(),
        })
    }

    /// Timed calls of each predict per run.
    pub fn predict_repeats(&self) -> usize {
        if self.quick { 5 } else { 20 }
    }

    /// The command as typed.
    pub fn command_line(&self) -> String {
        let mut v = vec!["cargo".to_string(), "xtask".into(), "compare".into()];
        v.extend(self.typed.iter().cloned());
        shell_join(&v)
    }
}

/// A comma-separated list, each item one of `known`.
fn list(value: &str, known: &[&str], what: &str) -> Result<Vec<String>, XtaskError> {
    let items: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if items.is_empty() {
        return Err(XtaskError::Usage(format!("empty {what} list")));
    }
    for i in &items {
        if !known.contains(&i.as_str()) {
            return Err(XtaskError::Usage(format!(
                "unknown {what} {i:?}; known: {}",
                known.join(", ")
            )));
        }
    }
    Ok(items)
}

fn count(flag: &str, value: &str) -> Result<usize, XtaskError> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(XtaskError::Usage(format!(
            "{flag} needs a positive integer, got {value:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<CompareArgs, XtaskError> {
        CompareArgs::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_and_quick() {
        let a = parse(&[]).unwrap();
        assert_eq!((a.steps, a.repeats, a.threads), (100, 2, 2));
        assert_eq!(a.models.len(), MODELS.len());
        let q = parse(&["--quick"]).unwrap();
        assert_eq!((q.steps, q.repeats), (20, 1));
        let q = parse(&["--quick", "--steps", "50"]).unwrap();
        assert_eq!(q.steps, 50);
    }

    #[test]
    fn selects_subsets() {
        let a = parse(&[
            "--models",
            "NHITS,MLP",
            "--workloads=air",
            "--configs",
            "small",
        ])
        .unwrap();
        assert_eq!(a.models, ["NHITS", "MLP"]);
        assert_eq!(a.workloads, ["air"]);
        assert_eq!(a.configs, [Config::Small]);
        assert_eq!(
            a.command_line(),
            "cargo xtask compare --models NHITS,MLP --workloads=air --configs small"
        );
    }

    #[test]
    fn rejects_bad_arguments() {
        for bad in [
            &["--models", "Prophet"][..],
            &["--steps", "0"],
            &["--steps", "3"],
            &["--repeats"],
            &["--configs", "huge"],
            &["--frobnicate"],
        ] {
            assert!(matches!(parse(bad), Err(XtaskError::Usage(_))), "{bad:?}");
        }
    }
}
