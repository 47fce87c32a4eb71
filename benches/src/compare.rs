//! The job and result files of `cargo xtask compare`.
//!
//! xtask writes one [`Job`] as JSON; the Rust runner (`nd-runner`, package
//! `neurodiv-compare-runner`) and the Python one (`xtask/compare/nf_runner.py`) each read it in a
//! fresh process and write a [`RunOutput`]. The Python script uses the same field names.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One fit-and-predict run of one model on one training file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Model name, as both libraries spell it (`NHITS`).
    pub model: String,
    /// Forecast horizon.
    pub h: usize,
    /// Input window length.
    pub input_size: usize,
    /// Training steps of the timed fit.
    pub max_steps: usize,
    /// Training steps of the warm-up fit that runs first in the same process.
    pub warmup_steps: usize,
    /// `random_seed` of the model.
    pub seed: u64,
    /// Threads of the compute pool (rayon; torch's intra-op pool).
    pub threads: usize,
    /// Frequency alias (`ME`, `D`).
    pub freq: String,
    /// Long-format CSV (`unique_id, ds, y`) to fit on.
    pub train_csv: String,
    /// Model options by NeuralForecast's names, as JSON values (`{"mlp_units": [[32, 32]]}`).
    /// Multivariate models also get `n_series`, set by each runner from the data.
    pub overrides: BTreeMap<String, serde_json::Value>,
    /// Timed calls of each predict (after one untimed call).
    pub predict_repeats: usize,
}

/// What a runner measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    /// `neurodiv` or `neuralforecast`.
    pub program: String,
    /// Versions of the program and of what it computes with.
    pub version: String,
    /// Wall seconds of the timed fit.
    pub fit_s: f64,
    /// Milliseconds of each training step of the timed fit, in order.
    pub steps_ms: Vec<f64>,
    /// Milliseconds of each timed predict of every series of the training data.
    pub predict_panel_ms: Vec<f64>,
    /// Milliseconds of each timed predict of the first series alone (none for multivariate
    /// models, which forecast all their series jointly).
    pub predict_single_ms: Option<Vec<f64>>,
    /// Peak resident memory of the process (VmHWM), MiB.
    pub peak_rss_mb: f64,
    /// The forecast of each series: `h` values by `unique_id`.
    pub forecast: BTreeMap<String, Vec<f64>>,
}

/// GEMMs to time in both programs: `C = A · B` on contiguous row-major operands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GemmJob {
    /// Shapes as `[batch, m, k, n]` (`batch == 1`: a plain product).
    pub shapes: Vec<[usize; 4]>,
    /// Thread counts to run each shape on.
    pub threads: Vec<usize>,
    /// Timed calls per shape and thread count (after three untimed ones).
    pub repeats: usize,
}

/// The times of one GEMM shape on one thread count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GemmTiming {
    /// `[batch, m, k, n]`.
    pub shape: [usize; 4],
    /// Threads.
    pub threads: usize,
    /// Milliseconds of each timed call.
    pub samples_ms: Vec<f64>,
}

/// What a runner measured for a [`GemmJob`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GemmOutput {
    /// Versions of the program and of what it computes with.
    pub version: String,
    /// One entry per shape and thread count.
    pub timings: Vec<GemmTiming>,
}
