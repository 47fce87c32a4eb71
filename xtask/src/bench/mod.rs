//! `cargo xtask bench`: run the criterion benches, then summarise them against the measured
//! FMA peak.

mod criterion;
mod summary;
mod table;

use crate::error::XtaskError;
use crate::machine;
use crate::util::{replace_section, run_command, shell_join, target_dir, workspace_root, write};
use neurodiv_benches::{fma_path, measure_fma_peak_gflops, spec::THREADS};
use std::path::PathBuf;
use std::process::Command;
use std::time::SystemTime;

/// The bench package.
const PACKAGE: &str = "neurodiv-benches";
/// Runs of the FMA peak probe per thread count; the best is kept.
const PEAK_RUNS: usize = 3;
/// Criterion flags added by `--quick`.
const QUICK_ARGS: [&str; 4] = ["--warm-up-time", "0.5", "--measurement-time", "1"];

/// `cargo xtask bench` arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct BenchArgs {
    /// Shorter warm-up (0.5 s) and measurement (1 s) per benchmark.
    #[arg(long)]
    pub quick: bool,
    /// Only benchmarks whose id (group/function/value) matches REGEX.
    #[arg(long, value_name = "REGEX", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub filter: Option<String>,
    /// Arguments handed to criterion as they are (after `--`).
    #[arg(last = true, value_name = "CRITERION_ARGS")]
    pub extra: Vec<String>,
}

impl BenchArgs {
    /// (Tests: as `cargo xtask` would.)
    /// Parses the arguments that follow `bench`.
    #[cfg(test)]
    pub fn parse(args: &[String]) -> Result<BenchArgs, XtaskError> {
        crate::util::parse_args("bench", args)
    }

    /// The arguments handed to the bench binaries (after `cargo bench ... --`).
    pub fn criterion_args(&self) -> Vec<String> {
        let mut v: Vec<String> = self.filter.iter().cloned().collect();
        if self.quick {
            v.extend(QUICK_ARGS.iter().map(|s| s.to_string()));
        }
        v.extend(self.extra.iter().cloned());
        v
    }

    /// The `cargo` arguments of the bench run.
    pub fn cargo_args(&self) -> Vec<String> {
        let mut v: Vec<String> = ["bench", "-p", PACKAGE].map(String::from).to_vec();
        let crit = self.criterion_args();
        if !crit.is_empty() {
            v.push("--".into());
            v.extend(crit);
        }
        v
    }

    /// This invocation as the user would type it.
    pub fn command_line(&self) -> String {
        let mut v = vec!["cargo".to_string(), "xtask".into(), "bench".into()];
        if self.quick {
            v.push("--quick".into());
        }
        if let Some(f) = &self.filter {
            v.push("--filter".into());
            v.push(f.clone());
        }
        if !self.extra.is_empty() {
            v.push("--".into());
            v.extend(self.extra.iter().cloned());
        }
        shell_join(&v)
    }
}

/// Runs the benches, prints the summary, and writes `target/bench-summary.{md,json}`.
pub fn run(args: &BenchArgs) -> Result<(), XtaskError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = workspace_root();
    let target = target_dir(&cargo, &root)?;
    let criterion_dir = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("criterion"));

    let cargo_args = args.cargo_args();
    let cargo_line = shell_join(&[vec!["cargo".to_string()], cargo_args.clone()].concat());
    eprintln!("xtask: running `{cargo_line}`");
    let started = SystemTime::now();
    let mut command = Command::new(&cargo);
    command.args(&cargo_args).current_dir(&root);
    run_command(command, &cargo_line)?;

    let results = criterion::collect(&criterion_dir, started)?;
    if results.is_empty() {
        let hint = match &args.filter {
            Some(f) => format!(" (does the filter {f:?} match any benchmark id?)"),
            None => String::new(),
        };
        return Err(XtaskError::NoResults {
            dir: criterion_dir,
            hint,
        });
    }

    eprintln!("xtask: measuring the f32 FMA peak ({})", fma_path().name());
    // Best of a few runs: a peak is a maximum, and other processes only ever lower it.
    let peaks: Vec<(usize, f64)> = THREADS
        .iter()
        .map(|&t| {
            let best = (0..PEAK_RUNS)
                .map(|_| measure_fma_peak_gflops(t))
                .fold(0.0, f64::max);
            (t, best)
        })
        .collect();

    let summary = summary::Summary::build(&results, &peaks);
    let machine = machine::MachineInfo::gather(&root, args.command_line(), cargo_line);
    let tables = summary.markdown();
    println!("\n{tables}");

    let md_path = target.join("bench-summary.md");
    let md = format!("# Benchmark summary\n\n{}\n{tables}", machine.markdown());
    write(&md_path, &md)?;
    let json_path = target.join("bench-summary.json");
    let mut json = summary.to_json(&results);
    json["machine"] = machine.to_json();
    let text = serde_json::to_string_pretty(&json).map_err(|e| XtaskError::Malformed {
        path: json_path.clone(),
        message: format!("cannot serialise the summary: {e}"),
    })?;
    write(&json_path, &text)?;
    eprintln!(
        "xtask: wrote {} and {}",
        md_path.display(),
        json_path.display()
    );
    // Only a complete run at full length describes the suite; quick or filtered runs stay in
    // target/.
    if !args.quick && args.filter.is_none() && args.extra.is_empty() {
        let doc = root.join("docs/performance.md");
        let body = format!(
            "## Criterion suites\n\nWritten by `cargo xtask bench`; do not edit by hand, re-run it.\n\n{}\n{tables}",
            machine.markdown()
        );
        replace_section(&doc, "bench", &body)?;
        eprintln!("xtask: wrote {}", doc.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_quick_filter_and_extra() {
        let a =
            BenchArgs::parse(&args(&["--quick", "--filter", "gemm", "--", "--noplot"])).unwrap();
        assert!(a.quick);
        assert_eq!(a.filter.as_deref(), Some("gemm"));
        assert_eq!(
            a.cargo_args(),
            args(&[
                "bench",
                "-p",
                PACKAGE,
                "--",
                "gemm",
                "--warm-up-time",
                "0.5",
                "--measurement-time",
                "1",
                "--noplot"
            ])
        );
        assert_eq!(
            a.command_line(),
            "cargo xtask bench --quick --filter gemm -- --noplot"
        );
        let b = BenchArgs::parse(&args(&["--filter=kernels/(exp|tanh)"])).unwrap();
        assert_eq!(b.filter.as_deref(), Some("kernels/(exp|tanh)"));
        assert_eq!(
            b.command_line(),
            "cargo xtask bench --filter 'kernels/(exp|tanh)'"
        );
        assert_eq!(
            BenchArgs::parse(&[]).unwrap().cargo_args(),
            args(&["bench", "-p", PACKAGE])
        );
    }

    #[test]
    fn rejects_bad_arguments() {
        for bad in [
            &["--filter"][..],
            &["--nope"],
            &["--filter", "a", "--filter", "b"],
            &["--filter="],
        ] {
            assert!(
                matches!(BenchArgs::parse(&args(bad)), Err(XtaskError::Usage(_))),
                "{bad:?}"
            );
        }
    }
}
