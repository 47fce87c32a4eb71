//! What `cargo xtask compare` runs: the datasets, the models, and their two configurations.

use crate::error::XtaskError;
use neurodiv_data::{CsvOptions, PanelFrame};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The models both libraries have, in the registry's order. RLinear is ours alone.
pub const MODELS: [&str; 26] = [
    "MLP",
    "NHITS",
    "NBEATS",
    "NBEATSx",
    "TiDE",
    "MLPMultivariate",
    "TSMixer",
    "TSMixerx",
    "DLinear",
    "NLinear",
    "RNN",
    "LSTM",
    "GRU",
    "DilatedRNN",
    "DeepAR",
    "TCN",
    "BiTCN",
    "TimesNet",
    "VanillaTransformer",
    "Informer",
    "Autoformer",
    "FEDformer",
    "PatchTST",
    "iTransformer",
    "TimeXer",
    "StemGNN",
];

/// Series and length of the synthetic panel.
pub const PANEL_SERIES: usize = 200;
/// Points per series of the synthetic panel.
pub const PANEL_LEN: usize = 500;
/// Seed of the synthetic panel's generator: the same file on every machine.
const PANEL_SEED: u64 = 20_261_121;

/// One dataset, split into the training file both runners read and the held-out horizon.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Short name used on the command line and in the results (`air`, `panel`).
    pub name: &'static str,
    /// What it is, for the report.
    pub title: String,
    /// Frequency alias both libraries understand.
    pub freq: &'static str,
    /// Forecast horizon: the last `h` points of each series are held out.
    pub h: usize,
    /// Input window length.
    pub input_size: usize,
    /// The training part as CSV (`unique_id, ds, y`).
    pub train_csv: PathBuf,
    /// The held-out values of each series.
    pub test: BTreeMap<String, Vec<f32>>,
}

/// The workload names `--workloads` accepts.
pub const WORKLOADS: [&str; 2] = ["air", "panel"];

/// Builds workload `name`, writing its training CSV under `dir`.
pub fn workload(name: &str, root: &Path, dir: &Path) -> Result<Workload, XtaskError> {
    match name {
        "air" => {
            let path = root.join("data/air_passengers.csv");
            let frame = PanelFrame::from_csv_path(&path, &CsvOptions::default())
                .map_err(|e| malformed(&path, e))?;
            split(
                "air",
                "AirPassengers: 1 monthly series, 144 points".into(),
                "ME",
                12,
                24,
                &frame,
                dir,
            )
        }
        "panel" => split(
            "panel",
            format!(
                "synthetic panel: {PANEL_SERIES} daily series x {PANEL_LEN} points (neurodiv_data::synthetic::seasonal_daily_panel, seed {PANEL_SEED})"
            ),
            "D",
            14,
            28,
            &synthetic_panel(),
            dir,
        ),
        other => Err(XtaskError::Usage(format!(
            "unknown workload {other:?}; known: {}",
            WORKLOADS.join(", ")
        ))),
    }
}

fn split(
    name: &'static str,
    title: String,
    freq: &'static str,
    h: usize,
    input_size: usize,
    frame: &PanelFrame,
    dir: &Path,
) -> Result<Workload, XtaskError> {
    let train_csv = dir.join(format!("{name}_train.csv"));
    let (train, test) = frame.split_tail(h).map_err(|e| malformed(&train_csv, e))?;
    let mut bytes = Vec::new();
    train
        .to_csv(&mut bytes)
        .map_err(|e| malformed(&train_csv, e))?;
    std::fs::write(&train_csv, bytes).map_err(|e| XtaskError::io(&train_csv, e))?;
    let test = test
        .iter_series()
        .map(|s| (s.id.to_string(), s.y.to_vec()))
        .collect();
    Ok(Workload {
        name,
        title,
        freq,
        h,
        input_size,
        train_csv,
        test,
    })
}

fn malformed(path: &Path, e: impl std::fmt::Display) -> XtaskError {
    XtaskError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The synthetic panel of the `panel` workload.
pub fn synthetic_panel() -> PanelFrame {
    neurodiv_data::synthetic::seasonal_daily_panel(PANEL_SERIES, PANEL_LEN, PANEL_SEED)
}

/// The two configurations of every model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    /// NeuralForecast's defaults (the step count aside).
    Default,
    /// Small layers and 32 windows per step: framework overhead dominates.
    Small,
}

impl Config {
    /// The names `--configs` accepts.
    pub const NAMES: [&'static str; 2] = ["default", "small"];

    /// The name of this configuration.
    pub fn name(self) -> &'static str {
        match self {
            Config::Default => "default",
            Config::Small => "small",
        }
    }

    /// Parses a name of [`Config::NAMES`].
    pub fn parse(s: &str) -> Result<Config, XtaskError> {
        match s {
            "default" => Ok(Config::Default),
            "small" => Ok(Config::Small),
            other => Err(XtaskError::Usage(format!(
                "unknown config {other:?}; known: default, small"
            ))),
        }
    }

    /// The options this configuration sets on `model`, by NeuralForecast's names (both
    /// libraries take them).
    pub fn overrides(self, model: &str) -> BTreeMap<String, Value> {
        if self == Config::Default {
            return BTreeMap::new();
        }
        let units = json!([[32, 32], [32, 32], [32, 32]]);
        let mut o: Vec<(&str, Value)> = match model {
            "MLP" => vec![("hidden_size", json!(32)), ("num_layers", json!(2))],
            "NHITS" | "NBEATS" | "NBEATSx" => vec![("mlp_units", units)],
            "TiDE" => vec![
                ("hidden_size", json!(32)),
                ("decoder_output_dim", json!(4)),
                ("temporal_decoder_dim", json!(16)),
            ],
            "MLPMultivariate" => vec![("hidden_size", json!(32))],
            "TSMixer" | "TSMixerx" => vec![("ff_dim", json!(16))],
            "RNN" | "LSTM" | "GRU" | "DilatedRNN" => vec![
                ("encoder_hidden_size", json!(32)),
                ("decoder_hidden_size", json!(32)),
            ],
            "DeepAR" => vec![("lstm_hidden_size", json!(32))],
            "TCN" => vec![
                ("encoder_hidden_size", json!(32)),
                ("decoder_hidden_size", json!(32)),
            ],
            "BiTCN" => vec![("hidden_size", json!(8))],
            "TimesNet" => vec![("hidden_size", json!(16)), ("conv_hidden_size", json!(16))],
            "VanillaTransformer" | "Informer" | "Autoformer" | "FEDformer" => {
                vec![("hidden_size", json!(16)), ("conv_hidden_size", json!(16))]
            }
            "PatchTST" => vec![
                ("hidden_size", json!(16)),
                ("n_heads", json!(4)),
                ("linear_hidden_size", json!(32)),
            ],
            "iTransformer" | "TimeXer" => vec![
                ("hidden_size", json!(32)),
                ("n_heads", json!(4)),
                ("d_ff", json!(64)),
            ],
            "StemGNN" => vec![("multi_layer", json!(1))],
            _ => Vec::new(),
        };
        o.push(("windows_batch_size", json!(32)));
        o.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_panel_is_deterministic_and_sized() {
        let a = synthetic_panel();
        assert_eq!(a.n_series(), PANEL_SERIES);
        assert_eq!(a.len(), PANEL_SERIES * PANEL_LEN);
        let b = synthetic_panel();
        assert_eq!(a.series(7).y, b.series(7).y);
        assert!(a.series(0).y.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn small_config_shrinks_every_model() {
        for m in MODELS {
            let o = Config::Small.overrides(m);
            assert_eq!(o["windows_batch_size"], json!(32), "{m}");
        }
        assert!(Config::Default.overrides("NHITS").is_empty());
    }
}
