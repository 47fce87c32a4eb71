//! Helpers shared by the facade's integration tests.
#![allow(dead_code)]

use neurodiv::prelude::*;
use std::path::PathBuf;

/// AirPassengers split into the first 132 points and the last 12.
pub fn air_split() -> (PanelFrame, PanelFrame) {
    neurodiv::datasets::air_passengers()
        .unwrap()
        .split_tail(12)
        .unwrap()
}

/// Mean absolute error between the test frame's y and a forecast column.
pub fn mae(test: &PanelFrame, fc: &ForecastFrame, col: &str) -> f64 {
    neurodiv::parity::forecast_mae(test, fc.column(col).unwrap()).unwrap()
}

/// MAE of the seasonal naive forecast (period 12) of each series of `test` from `train`.
pub fn seasonal_naive_mae(train: &PanelFrame, test: &PanelFrame) -> f64 {
    neurodiv::parity::seasonal_naive_mae(train, test).unwrap()
}

/// A small, fast MLP for tests.
pub fn small_mlp(seed: u64) -> MLP {
    MLP::new(
        MLPConfig::new(12, 24)
            .hidden_size(128)
            .max_steps(300)
            .windows_batch_size(128)
            .scaler_type(ScalerType::Standard)
            .random_seed(seed),
    )
    .unwrap()
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("neurodiv-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

/// Options a model cannot be built without: TimeLLM's backbone folder (a tiny random GPT-2,
/// 2 layers of width 32, written once per test process), its width and a `d_ff` within it; none
/// for the others.
pub fn required_options(name: &str) -> Vec<(String, String)> {
    static BACKBONE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if name != "TimeLLM" {
        return Vec::new();
    }
    let dir = BACKBONE.get_or_init(|| {
        let dir = temp_dir("tiny-gpt2");
        neurodiv_models_llm::tiny::write_tiny_gpt2(&dir, Default::default()).unwrap();
        dir.display().to_string()
    });
    vec![
        ("llm".into(), serde_json::to_string(dir).unwrap()),
        ("d_llm".into(), "32".into()),
        ("d_ff".into(), "32".into()),
    ]
}
