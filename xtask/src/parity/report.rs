//! The tables of `cargo xtask parity`: the full one (docs/models.md, the terminal) and the
//! README's short one.

use crate::machine::MachineInfo;
use neurodiv_benches::parity::{ParityOutput, ParityRow};

/// Cases with more seeds than this list them under the table rather than in it.
const SEEDS_IN_TABLE: usize = 3;

/// The generated section of docs/models.md: context, the table, the per-seed figures of the
/// many-seed cases.
pub fn section(out: &ParityOutput, machine: &MachineInfo) -> String {
    let mut s = String::from("### Results\n\n");
    s += "Written by `cargo xtask parity`; do not edit by hand, re-run it.\n\n";
    s += &machine.markdown();
    s += &format!("- {}\n", setup(out));
    s += "\n| case | ours: mean MAE (per seed) | baseline: mean MAE (per run) | ratio | gate | result |\n";
    s += "|---|---|---|---:|---:|---|\n";
    for r in &out.rows {
        let ours = if r.maes.len() <= SEEDS_IN_TABLE {
            format!("{:.3} ({})", r.mean(), list(&r.maes, 3))
        } else {
            format!("{:.3} over seeds {} (listed below)", r.mean(), seeds(r))
        };
        let runs = if r.baseline_runs.is_empty() {
            String::new()
        } else {
            format!(" ({})", list(&r.baseline_runs, 3))
        };
        s += &format!(
            "| {} | {ours} | {}: {:.3}{runs} | {:.3} | {:.3} | {} |\n",
            label(r),
            r.baseline,
            r.baseline_mean,
            r.ratio(),
            r.gate,
            verdict(r)
        );
    }
    s += &format!("\n{}\n", tally(out));
    s += &coverage_table(out);
    let many: Vec<&ParityRow> = out
        .rows
        .iter()
        .filter(|r| r.maes.len() > SEEDS_IN_TABLE)
        .collect();
    if !many.is_empty() {
        s += "\nOur MAE per seed, for the cases with more seeds (in seed order):\n\n";
        for r in many {
            let (min, max, sd) = spread(&r.maes);
            s += &format!(
                "- {} (seeds {}; min {min:.3}, max {max:.3}, standard deviation {sd:.3}, so a \
                 standard error of the mean of {:.3}): {}\n",
                r.case,
                seeds(r),
                sd / (r.maes.len() as f64).sqrt(),
                list(&r.maes, 2)
            );
        }
    }
    s
}

/// The generated section of the README: one line of context and a short table.
pub fn readme_section(out: &ParityOutput, machine: &MachineInfo) -> String {
    let mut s = format!(
        "Written by `cargo xtask parity` ({}, commit {}, {}); {}. Per-seed figures: \
         [docs/models.md](docs/models.md#parity-with-neuralforecast).\n\n",
        machine.date,
        machine.git_commit,
        machine.cpu,
        tally(out).trim_end_matches('.')
    );
    s += "| model | ours | baseline | ratio | gate | result |\n|---|---:|---:|---:|---:|---|\n";
    for r in &out.rows {
        let seeds = if r.maes.len() > SEEDS_IN_TABLE {
            format!(" ({} seeds)", r.maes.len())
        } else {
            String::new()
        };
        s += &format!(
            "| {}{seeds} | {:.2} | {:.2} ({}) | {:.2} | {:.2} | {} |\n",
            label(r),
            r.mean(),
            r.baseline_mean,
            r.baseline,
            r.ratio(),
            r.gate,
            verdict(r)
        );
    }
    s
}

/// The setup in one sentence.
fn setup(out: &ParityOutput) -> String {
    let steps: Vec<usize> = out.rows.iter().map(|r| r.steps).collect();
    let steps = match steps.first() {
        Some(&n) if steps.iter().all(|&s| s == n) => format!("{n} training steps per fit"),
        _ => "training steps as listed".into(),
    };
    format!(
        "setup: the last h = {} points of every series held out, input_size = {}, {steps}, \
         every other option at the model's default; gate: our mean MAE at most {} x \
         NeuralForecast's mean over its seeds 1-3 (`{}`), or at most the seasonal naive \
         forecast's MAE for a model NeuralForecast does not have",
        out.h, out.input_size, out.gate_factor, out.reference
    )
}

/// The interval coverage of the distribution cases, with NeuralForecast's beside it.
fn coverage_table(out: &ParityOutput) -> String {
    let rows: Vec<_> = out
        .rows
        .iter()
        .filter_map(|r| r.coverage.as_ref().map(|c| (r, c)))
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "\nInterval coverage of the distribution cases: the share of held-out points inside the \
         prediction interval, pooled over the seeds. A case passes when our share is within the \
         tolerance of NeuralForecast's (and its mean MAE within the gate above).\n\n\
         | case | interval | ours | NeuralForecast | difference | tolerance | result |\n\
         |---|---|---:|---:|---:|---:|---|\n",
    );
    for (r, c) in rows {
        s += &format!(
            "| {} | {}% | {:.1}% ({}/{}) | {:.1}% | {:+.1} pts | {:.0} pts | {} |\n",
            r.case,
            c.level,
            100.0 * c.share(),
            c.inside,
            c.points,
            100.0 * c.baseline,
            100.0 * (c.share() - c.baseline),
            100.0 * c.tolerance,
            if c.passes() { "pass" } else { "FAIL" }
        );
    }
    s
}

fn label(r: &ParityRow) -> String {
    if r.note.is_empty() {
        r.case.clone()
    } else {
        format!("{} ({})", r.case, r.note)
    }
}

fn verdict(r: &ParityRow) -> &'static str {
    if r.passes() { "pass" } else { "FAIL" }
}

/// "12 of 12 cases pass." or the failures named.
fn tally(out: &ParityOutput) -> String {
    let failed: Vec<&str> = out
        .rows
        .iter()
        .filter(|r| !r.passes())
        .map(|r| r.case.as_str())
        .collect();
    let passed = out.rows.len() - failed.len();
    let mut s = format!("{passed} of {} cases pass", out.rows.len());
    if !failed.is_empty() {
        s += &format!("; above the gate: {}", failed.join(", "));
    }
    s + "."
}

/// The seeds of a row as a range when they are consecutive (`1-30`), else listed.
fn seeds(r: &ParityRow) -> String {
    match (r.seeds.first(), r.seeds.last()) {
        (Some(a), Some(b)) if r.seeds.windows(2).all(|w| w[1] == w[0] + 1) => format!("{a}-{b}"),
        _ => r
            .seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn list(v: &[f64], decimals: usize) -> String {
    v.iter()
        .map(|x| format!("{x:.decimals$}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Minimum, maximum and sample standard deviation.
fn spread(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(case: &str, maes: Vec<f64>, gate: f64) -> ParityRow {
        ParityRow {
            case: case.into(),
            note: if case == "B" {
                "panel".into()
            } else {
                String::new()
            },
            steps: 200,
            seeds: (1..=maes.len() as u64).collect(),
            maes,
            baseline: "NeuralForecast 3.3.0".into(),
            baseline_mean: 10.0,
            baseline_runs: vec![9.0, 10.0, 11.0],
            gate,
            coverage: None,
        }
    }

    fn machine() -> MachineInfo {
        MachineInfo {
            cpu: "CPU".into(),
            logical_cpus: 2,
            fma_path: "scalar",
            rustc: "rustc".into(),
            git_commit: "abc".into(),
            date: "2026-01-01 00:00 UTC".into(),
            command: "cargo xtask parity".into(),
            cargo_command: "cargo build".into(),
        }
    }

    #[test]
    fn tables_show_every_case_and_the_failures() {
        let out = ParityOutput {
            version: "neurodiv".into(),
            h: 12,
            input_size: 24,
            gate_factor: 1.1,
            reference: "ref.json".into(),
            rows: vec![
                row("A", vec![10.0, 11.0, 12.0], 11.0),
                row("B", (1..=30).map(f64::from).collect(), 20.0),
                ParityRow {
                    baseline: "seasonal naive".into(),
                    baseline_runs: Vec::new(),
                    ..row("C", vec![20.0, 20.0, 20.0], 10.0)
                },
            ],
        };
        let s = section(&out, &machine());
        assert!(s.contains("| A | 11.000 (10.000, 11.000, 12.000) | NeuralForecast 3.3.0: 10.000"));
        assert!(s.contains("| B (panel) | 15.500 over seeds 1-30 (listed below)"));
        assert!(s.contains("| C | 20.000 (20.000, 20.000, 20.000) | seasonal naive: 10.000 | 2.000 | 10.000 | FAIL |"));
        assert!(s.contains("2 of 3 cases pass; above the gate: C."));
        assert!(s.contains("- B (seeds 1-30; min 1.000, max 30.000"));
        let r = readme_section(&out, &machine());
        assert!(r.contains("| B (panel) (30 seeds) | 15.50 | 10.00 (NeuralForecast 3.3.0) |"));
        assert!(r.contains("2 of 3 cases pass; above the gate: C. Per-seed"));
    }

    #[test]
    fn spread_of_a_sample() {
        let (min, max, sd) = spread(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!((min, max), (1.0, 4.0));
        assert!((sd - 1.290_994).abs() < 1e-6);
    }
}
