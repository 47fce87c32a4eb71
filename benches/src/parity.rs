//! The result file of `cargo xtask parity`.
//!
//! xtask runs `nd-parity run [--models A,B] OUT.json` (package `neurodiv-compare-runner`, built
//! in release); it fits the cases of `neurodiv::parity::CASES` and writes a [`ParityOutput`],
//! which xtask turns into the table of `docs/models.md` and the README.

use serde::{Deserialize, Serialize};

/// The figures of one parity case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParityRow {
    /// Case name (`NHITSx`).
    pub case: String,
    /// What sets the case apart (`panel, exogenous + static`); empty for a plain case.
    pub note: String,
    /// Training steps of each fit.
    pub steps: usize,
    /// The seeds fitted, in order.
    pub seeds: Vec<u64>,
    /// Our MAE for each seed.
    pub maes: Vec<f64>,
    /// What the case is compared with (`NeuralForecast 3.3.0`, `seasonal naive`).
    pub baseline: String,
    /// The baseline's mean MAE.
    pub baseline_mean: f64,
    /// The baseline's MAE per run (none for a single forecast such as the seasonal naive one).
    pub baseline_runs: Vec<f64>,
    /// The largest mean MAE of ours that passes.
    pub gate: f64,
    /// For distribution cases, the coverage of their prediction interval (absent in files
    /// written before interval cases existed).
    #[serde(default)]
    pub coverage: Option<CoverageFigures>,
}

/// How often the held-out points fall inside a case's `level`% prediction interval, pooled over
/// the seeds, ours and NeuralForecast's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageFigures {
    /// The interval's level (80 for `-lo-80` .. `-hi-80`).
    pub level: u32,
    /// Held-out points inside our interval, over all seeds.
    pub inside: usize,
    /// Held-out points, over all seeds.
    pub points: usize,
    /// NeuralForecast's share of points inside its interval, over its seeds.
    pub baseline: f64,
    /// The largest difference between our share and NeuralForecast's that passes.
    pub tolerance: f64,
}

impl CoverageFigures {
    /// Our share of points inside the interval.
    pub fn share(&self) -> f64 {
        self.inside as f64 / self.points.max(1) as f64
    }

    /// Whether our share is within the tolerance of NeuralForecast's.
    pub fn passes(&self) -> bool {
        (self.share() - self.baseline).abs() <= self.tolerance
    }
}

impl ParityRow {
    /// Our mean MAE over the seeds.
    pub fn mean(&self) -> f64 {
        self.maes.iter().sum::<f64>() / self.maes.len() as f64
    }

    /// Our mean over the baseline's.
    pub fn ratio(&self) -> f64 {
        self.mean() / self.baseline_mean
    }

    /// Whether our mean is within the gate (and our interval coverage within its tolerance of
    /// NeuralForecast's, for distribution cases).
    pub fn passes(&self) -> bool {
        self.mean() <= self.gate && self.coverage.as_ref().is_none_or(CoverageFigures::passes)
    }
}

/// What `nd-parity run` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParityOutput {
    /// The program's version.
    pub version: String,
    /// Forecast horizon (the held-out points of every series).
    pub h: usize,
    /// Input window.
    pub input_size: usize,
    /// The gate of a NeuralForecast case is this times NeuralForecast's mean MAE.
    pub gate_factor: f64,
    /// NeuralForecast's figures, relative to the workspace root.
    pub reference: String,
    /// One row per case, in the order of the cases.
    pub rows: Vec<ParityRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_ratio_and_gate() {
        let row = ParityRow {
            case: "X".into(),
            note: String::new(),
            steps: 200,
            seeds: vec![1, 2],
            maes: vec![10.0, 12.0],
            baseline: "NeuralForecast".into(),
            baseline_mean: 10.0,
            baseline_runs: vec![9.0, 11.0],
            gate: 11.0,
            coverage: None,
        };
        assert_eq!(row.mean(), 11.0);
        assert!((row.ratio() - 1.1).abs() < 1e-12);
        assert!(row.passes());
        let worse = ParityRow {
            maes: vec![12.0],
            ..row.clone()
        };
        assert!(!worse.passes());
        let covered = |inside| ParityRow {
            coverage: Some(CoverageFigures {
                level: 80,
                inside,
                points: 100,
                baseline: 0.4,
                tolerance: 0.15,
            }),
            ..row.clone()
        };
        assert!(covered(50).passes());
        assert!(!covered(20).passes());
    }
}
