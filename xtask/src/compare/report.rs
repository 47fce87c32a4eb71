//! Turns the runs of `cargo xtask compare` into figures, tables and the target verdicts.

use super::workloads::Workload;
use neurodiv_benches::compare::RunOutput;
use serde::Serialize;
use std::collections::BTreeMap;

/// Training steps left out of the step-time median (warming caches and allocators).
pub const SKIP_STEPS: usize = 5;
/// The two programs, in the order of the tables.
pub const PROGRAMS: [&str; 2] = ["neurodiv", "neuralforecast"];

/// One program's figures for one model, workload and configuration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    /// Median wall seconds of the timed fits.
    pub fit_s: f64,
    /// Median milliseconds per training step, over every run's steps after the first few.
    pub step_ms: f64,
    /// Median milliseconds of a predict of the whole panel.
    pub predict_panel_ms: f64,
    /// Median milliseconds of a predict of one series (none for multivariate models).
    pub predict_single_ms: Option<f64>,
    /// Largest peak resident memory of the runs, MiB.
    pub peak_rss_mb: f64,
    /// Mean absolute error on the held-out horizon, mean over runs.
    pub mae: f64,
    /// sMAPE (percent) on the held-out horizon, mean over runs.
    pub smape: f64,
}

/// The figures of both programs (or why one failed) for one model, workload and configuration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cell {
    /// Workload name.
    pub workload: String,
    /// Configuration name.
    pub config: String,
    /// Model name.
    pub model: String,
    /// Figures by program.
    pub figures: BTreeMap<String, Figures>,
    /// Errors by program.
    pub errors: BTreeMap<String, String>,
}

/// The median (mean of the middle two for an even count); NaN when empty.
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// MAE and sMAPE of one run's forecast against the held-out values (every series pooled).
pub fn accuracy(run: &RunOutput, w: &Workload) -> Result<(f64, f64), String> {
    let (mut y, mut y_hat) = (Vec::new(), Vec::new());
    for (id, actual) in &w.test {
        let f = run
            .forecast
            .get(id)
            .ok_or_else(|| format!("no forecast for series {id}"))?;
        if f.len() != actual.len() {
            return Err(format!(
                "series {id}: {} forecasts for h = {}",
                f.len(),
                w.h
            ));
        }
        y.extend_from_slice(actual);
        y_hat.extend(f.iter().map(|&v| v as f32));
    }
    let mae = neurodiv_data::metrics::mae(&y, &y_hat).map_err(|e| e.to_string())?;
    let smape = neurodiv_data::metrics::smape(&y, &y_hat).map_err(|e| e.to_string())?;
    Ok((mae, smape))
}

/// Summarises the runs of one program.
pub fn figures(runs: &[RunOutput], w: &Workload) -> Result<Figures, String> {
    let steps: Vec<f64> = runs
        .iter()
        .flat_map(|r| {
            let skip = SKIP_STEPS.min(r.steps_ms.len().saturating_sub(1));
            r.steps_ms[skip..].iter().copied()
        })
        .collect();
    let single: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.predict_single_ms.as_ref())
        .flatten()
        .copied()
        .collect();
    let mut mae = 0.0;
    let mut smape = 0.0;
    for r in runs {
        let (m, s) = accuracy(r, w)?;
        mae += m / runs.len() as f64;
        smape += s / runs.len() as f64;
    }
    Ok(Figures {
        fit_s: median(runs.iter().map(|r| r.fit_s).collect()),
        step_ms: median(steps),
        predict_panel_ms: median(
            runs.iter()
                .flat_map(|r| r.predict_panel_ms.clone())
                .collect(),
        ),
        predict_single_ms: (!single.is_empty()).then(|| median(single)),
        peak_rss_mb: runs.iter().map(|r| r.peak_rss_mb).fold(0.0, f64::max),
        mae,
        smape,
    })
}

/// A figure with a sensible number of digits.
fn fmt(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// One model's table: a row per measure, a column per workload and configuration, each cell
/// `neurodiv / neuralforecast (ratio)`.
pub fn model_table(model: &str, cells: &[&Cell]) -> String {
    let mut out = format!("#### {model}\n\n| measure |");
    for c in cells {
        out += &format!(" {} {} |", c.workload, c.config);
    }
    out += "\n|---|";
    out += &"---:|".repeat(cells.len());
    out += "\n";
    type Get = fn(&Figures) -> Option<f64>;
    let measures: [(&str, Get); 7] = [
        ("fit s", |f| Some(f.fit_s)),
        ("median step ms", |f| Some(f.step_ms)),
        ("predict panel ms", |f| Some(f.predict_panel_ms)),
        ("predict 1 series ms", |f| f.predict_single_ms),
        ("peak RSS MiB", |f| Some(f.peak_rss_mb)),
        ("MAE", |f| Some(f.mae)),
        ("sMAPE %", |f| Some(f.smape)),
    ];
    for (name, get) in measures {
        out += &format!("| {name} |");
        for c in cells {
            out += &format!(" {} |", cell_text(c, get));
        }
        out += "\n";
    }
    out
}

fn cell_text(c: &Cell, get: fn(&Figures) -> Option<f64>) -> String {
    let value = |p: &str| c.figures.get(p).and_then(get);
    for p in PROGRAMS {
        if let Some(e) = c.errors.get(p) {
            return format!("{p} failed: {}", e.lines().next().unwrap_or(""));
        }
    }
    match (value(PROGRAMS[0]), value(PROGRAMS[1])) {
        (Some(a), Some(b)) => format!("{} / {} ({}x)", fmt(a), fmt(b), fmt(a / b)),
        _ => "n/a".into(),
    }
}

/// The headline table: for each model and column, how many times faster a training step of
/// Neuro-Divergent is (NeuralForecast's median step time over ours).
pub fn speedup_table(models: &[String], columns: &[(String, String)], cells: &[Cell]) -> String {
    let mut out = "| model |".to_string();
    for (w, c) in columns {
        out += &format!(" {w} {c} |");
    }
    out += "\n|---|";
    out += &"---:|".repeat(columns.len());
    out += "\n";
    for m in models {
        out += &format!("| {m} |");
        for (w, c) in columns {
            let cell = cells
                .iter()
                .find(|x| &x.model == m && &x.workload == w && &x.config == c);
            let text = cell
                .and_then(|x| {
                    let ours = x.figures.get(PROGRAMS[0])?.step_ms;
                    let theirs = x.figures.get(PROGRAMS[1])?.step_ms;
                    Some(format!("{}x", fmt(theirs / ours)))
                })
                .unwrap_or_else(|| "n/a".into());
            out += &format!(" {text} |");
        }
        out += "\n";
    }
    out
}

/// The targets of the benchmarks issue, each with the cells that miss it.
pub fn verdicts(cells: &[Cell]) -> String {
    let both = |c: &Cell| -> Option<(Figures, Figures)> {
        Some((
            c.figures.get(PROGRAMS[0])?.clone(),
            c.figures.get(PROGRAMS[1])?.clone(),
        ))
    };
    let name = |c: &Cell| format!("{} {} {}", c.model, c.workload, c.config);
    type Check<'a> = (
        &'a str,
        Box<dyn Fn(&Cell, &Figures, &Figures) -> Option<bool>>,
    );
    let checks: Vec<Check> = vec![
        (
            "training step at least 5x faster at the small configuration",
            Box::new(|c, a, b| (c.config == "small").then_some(b.step_ms >= 5.0 * a.step_ms)),
        ),
        (
            "training step at least as fast at the default configuration",
            Box::new(|c, a, b| (c.config == "default").then_some(a.step_ms <= b.step_ms)),
        ),
        (
            "NHITS single-series predict under 1 ms at defaults",
            Box::new(|c, a, _| {
                (c.model == "NHITS" && c.config == "default")
                    .then(|| a.predict_single_ms.map(|v| v < 1.0))
                    .flatten()
            }),
        ),
        (
            "peak memory below NeuralForecast's",
            Box::new(|_, a, b| Some(a.peak_rss_mb < b.peak_rss_mb)),
        ),
        (
            "MAE within 1.1x of NeuralForecast's (the parity band)",
            Box::new(|_, a, b| Some(a.mae <= 1.1 * b.mae)),
        ),
    ];
    let mut out = "| target | met | missed by |\n|---|---:|---|\n".to_string();
    for (title, check) in &checks {
        let (mut met, mut total, mut missed) = (0, 0, Vec::new());
        for c in cells {
            let Some((a, b)) = both(c) else { continue };
            if let Some(ok) = check(c, &a, &b) {
                total += 1;
                if ok {
                    met += 1;
                } else {
                    missed.push(name(c));
                }
            }
        }
        let missed = if missed.is_empty() {
            "-".into()
        } else {
            missed.join(", ")
        };
        out += &format!("| {title} | {met} of {total} | {missed} |\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn formats_by_magnitude() {
        assert_eq!(fmt(1234.4), "1234");
        assert_eq!(fmt(12.34), "12.3");
        assert_eq!(fmt(1.234), "1.23");
        assert_eq!(fmt(0.1234), "0.123");
        assert_eq!(fmt(f64::NAN), "-");
    }
}
