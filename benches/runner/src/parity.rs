//! `nd-parity run [--models A,B] OUT.json`: fits the parity cases of `neurodiv::parity::CASES`
//! (every seed, `MAX_STEPS` steps) and writes their figures as a
//! `neurodiv_benches::parity::ParityOutput` for `cargo xtask parity`.
//!
//! `nd-parity record-gates [--models A,B] WORKSPACE_ROOT`: fits each case once in its cheap
//! configuration and records the MAE and its bound in `data/reference/parity_gates.json` under
//! the workspace root (the other cases' gates are kept when only some are recorded).
//!
//! `--models` takes case or model names (`NHITS` selects NHITS and NHITSx). Progress goes to
//! stderr; a bad command line exits 2, a failed run 1 with one line on stderr.

use neurodiv::parity::{
    self, CASES, CHEAP_SEED, CHEAP_STEPS, Case, GATES_PATH, Gates, MAX_STEPS, RECORD_GATES_COMMAND,
};
use neurodiv_benches::parity::{CoverageFigures, ParityOutput, ParityRow};
use std::error::Error;
use std::path::Path;
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: nd-parity run [--models A,B] OUT.json | \
                     nd-parity record-gates [--models A,B] WORKSPACE_ROOT";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((mode, models, path)) = parse(&args) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let result = parity::select(&models)
        .map_err(Box::<dyn Error>::from)
        .and_then(|cases| match mode {
            "run" => run(&cases, Path::new(path)),
            _ => record_gates(&cases, Path::new(path)),
        });
    if let Err(e) = result {
        eprintln!("nd-parity: {e}");
        std::process::exit(1);
    }
}

/// `(mode, names, path)`, or `None` for a bad command line.
fn parse(args: &[String]) -> Option<(&str, Vec<String>, &str)> {
    let (mode, rest) = args.split_first()?;
    if mode != "run" && mode != "record-gates" {
        return None;
    }
    let (list, path) = match rest {
        [path] => (None, path),
        [flag, list, path] if flag == "--models" => (Some(list.as_str()), path),
        [flag, path] => (Some(flag.strip_prefix("--models=")?), path),
        _ => return None,
    };
    let names = list
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if list.is_some() && names.is_empty() {
        return None;
    }
    Some((mode, names, path))
}

/// The full runs of `cases`, written to `out`.
fn run(cases: &[&Case], out: &Path) -> Result<()> {
    let mut rows = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        let baseline = case.baseline()?;
        let mut maes = Vec::new();
        let (mut inside, mut points) = (0, 0);
        for seed in case.seed_range() {
            let started = Instant::now();
            let run = case.run(seed, MAX_STEPS)?;
            eprintln!(
                "parity [{}/{}] {} seed {seed}/{}: MAE {:.3}{} ({:.1} s)",
                i + 1,
                cases.len(),
                case.name,
                case.seeds,
                run.mae,
                run.inside
                    .map(|k| format!(", {k}/{} inside the interval", run.points))
                    .unwrap_or_default(),
                started.elapsed().as_secs_f64()
            );
            maes.push(run.mae);
            inside += run.inside.unwrap_or(0);
            points += run.points;
        }
        let coverage = case
            .interval
            .zip(baseline.coverage)
            .map(|(level, nf)| CoverageFigures {
                level,
                inside,
                points,
                baseline: nf,
                tolerance: parity::COVERAGE_TOLERANCE,
            });
        let row = ParityRow {
            case: case.name.into(),
            note: case.note.into(),
            steps: MAX_STEPS,
            seeds: case.seed_range().collect(),
            maes,
            baseline: baseline.source,
            baseline_mean: baseline.mean,
            baseline_runs: baseline.runs,
            gate: baseline.gate,
            coverage,
        };
        eprintln!(
            "parity: {} mean MAE {:.3} vs {} {:.3}, gate {:.3}: {}",
            row.case,
            row.mean(),
            row.baseline,
            row.baseline_mean,
            row.gate,
            if row.passes() { "pass" } else { "FAIL" }
        );
        rows.push(row);
    }
    let output = ParityOutput {
        version: format!("neurodiv {}", env!("CARGO_PKG_VERSION")),
        h: parity::H,
        input_size: parity::INPUT_SIZE,
        gate_factor: parity::GATE_FACTOR,
        reference: parity::REFERENCE_PATH.into(),
        rows,
    };
    std::fs::write(out, serde_json::to_string_pretty(&output)?)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(())
}

/// Records the cheap gates of `cases` in the gates file under `root`.
fn record_gates(cases: &[&Case], root: &Path) -> Result<()> {
    let path = root.join(GATES_PATH);
    let mut gates = if cases.len() == CASES.len() {
        Gates::default()
    } else {
        match std::fs::read_to_string(&path) {
            Ok(text) => Gates::from_json(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Gates::default(),
            Err(e) => return Err(format!("{}: {e}", path.display()).into()),
        }
    };
    if !gates.is_current() {
        return Err(format!(
            "{GATES_PATH} was recorded at seed {}, {} steps, margin {}, not the current seed \
             {CHEAP_SEED}, {CHEAP_STEPS} steps, margin {}; record every case with \
             `{RECORD_GATES_COMMAND}`",
            gates.seed,
            gates.steps,
            gates.margin,
            parity::GATE_MARGIN
        )
        .into());
    }
    for case in cases {
        let started = Instant::now();
        let mae = case.cheap_mae(CHEAP_SEED, CHEAP_STEPS)?;
        gates.record(case.name, mae);
        println!(
            "{}: MAE {mae:.4} at seed {CHEAP_SEED} after {CHEAP_STEPS} steps, bound {:.4} ({:.1} s)",
            case.name,
            gates.gate(case.name)?.bound,
            started.elapsed().as_secs_f64()
        );
    }
    neurodiv::write_atomic(&path, gates.to_json().as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("nd-parity: wrote {}", path.display());
    Ok(())
}
