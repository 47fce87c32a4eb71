//! The command line of `cargo xtask compare`.

use super::workloads::{Config, MODELS, WORKLOADS};
use crate::error::XtaskError;
use crate::util::shell_join;

/// Training steps of a timed fit unless `--steps` says otherwise.
const DEFAULT_STEPS: usize = 100;
/// `--quick`: steps of a timed fit.
const QUICK_STEPS: usize = 20;

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
    /// Parses the arguments that follow `compare`.
    pub fn parse(args: &[String]) -> Result<CompareArgs, XtaskError> {
        let mut out = CompareArgs {
            models: MODELS.iter().map(|m| m.to_string()).collect(),
            workloads: WORKLOADS.iter().map(|w| w.to_string()).collect(),
            configs: vec![Config::Default, Config::Small],
            steps: DEFAULT_STEPS,
            repeats: 2,
            threads: 2,
            quick: false,
            typed: args.to_vec(),
        };
        let (mut steps, mut repeats) = (None, None);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (a.as_str(), None),
            };
            if flag == "--quick" {
                out.quick = true;
                continue;
            }
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| it.next().cloned())
                    .ok_or_else(|| XtaskError::Usage(format!("{flag} needs a value")))
            };
            match flag {
                "--models" => out.models = list(&value()?, &MODELS, "model")?,
                "--workloads" => out.workloads = list(&value()?, &WORKLOADS, "workload")?,
                "--configs" => {
                    out.configs = list(&value()?, &Config::NAMES, "config")?
                        .iter()
                        .map(|c| Config::parse(c))
                        .collect::<Result<_, _>>()?;
                }
                "--steps" => steps = Some(count(flag, &value()?)?),
                "--repeats" => repeats = Some(count(flag, &value()?)?),
                "--threads" => out.threads = count(flag, &value()?)?,
                other => {
                    return Err(XtaskError::Usage(format!(
                        "unknown argument {other:?} for `compare`"
                    )));
                }
            }
        }
        let (quick_steps, quick_repeats) = if out.quick {
            (QUICK_STEPS, 1)
        } else {
            (DEFAULT_STEPS, 2)
        };
        out.steps = steps.unwrap_or(quick_steps);
        out.repeats = repeats.unwrap_or(quick_repeats);
        if out.steps <= super::report::SKIP_STEPS {
            return Err(XtaskError::Usage(format!(
                "--steps must be above {} (the steps left out of the median)",
                super::report::SKIP_STEPS
            )));
        }
        Ok(out)
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
