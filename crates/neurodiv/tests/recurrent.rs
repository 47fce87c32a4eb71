//! DeepAR's two ways to predict: NeuralForecast's one-step draws around the mean path (default)
//! and Monte Carlo trajectories (`sample_paths`), from the same trained weights.

mod common;

use common::*;
use neurodiv::prelude::*;
use neurodiv::registry;

fn deepar(sample_paths: bool) -> Box<dyn NeuralModel> {
    let options = [
        ("lstm_hidden_size", "16"),
        ("scaler_type", "robust"),
        ("max_steps", "40"),
        ("windows_batch_size", "64"),
        ("trajectory_samples", "200"),
        ("sample_paths", if sample_paths { "true" } else { "false" }),
    ];
    let options: Vec<(String, String)> = options
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    registry::build("DeepAR", 12, 24, &options).unwrap()
}

/// The width of the 80% interval at every step.
fn widths(fc: &ForecastFrame) -> Vec<f32> {
    let (lo, hi) = (
        fc.column("DeepAR-lo-80").unwrap(),
        fc.column("DeepAR-hi-80").unwrap(),
    );
    lo.iter().zip(hi).map(|(l, h)| h - l).collect()
}

#[test]
fn deepar_predicts_by_one_step_draws_or_by_sampled_paths() {
    let (train, test) = air_split();
    let mut forecasts = Vec::new();
    for paths in [false, true] {
        let mut nf = NeuralForecast::new(vec![deepar(paths)], train.freq());
        let report = nf.fit(&train, 0).unwrap().remove(0);
        assert!(report.train_losses.iter().all(|l| l.is_finite()));
        let fc = nf.predict(None).unwrap();
        assert_eq!(
            fc.column_names(),
            [
                "DeepAR",
                "DeepAR-median",
                "DeepAR-lo-90",
                "DeepAR-lo-80",
                "DeepAR-hi-80",
                "DeepAR-hi-90"
            ]
        );
        let point = fc.column("DeepAR").unwrap();
        assert!(point.iter().all(|v| v.is_finite()));
        // Both forecasts are in the series' range after 40 steps.
        assert!(mae(&test, &fc, "DeepAR") < 200.0, "sample_paths = {paths}");
        // The same seed gives the same forecast.
        let again = nf.predict(None).unwrap();
        assert_eq!(
            fc.columns, again.columns,
            "sample_paths = {paths}: not reproducible"
        );
        forecasts.push(fc);
    }
    // The training does not depend on how the model predicts, and the first step of a path is a
    // draw of the same one-step distribution from the same stream: the first step's interval is
    // the same. Later steps differ: each path feeds back its own draws, not the mean.
    let (one_step, paths) = (widths(&forecasts[0]), widths(&forecasts[1]));
    assert_eq!(one_step[0], paths[0]);
    assert!(
        one_step[1..].iter().zip(&paths[1..]).any(|(a, b)| a != b),
        "paths {paths:?} vs one-step {one_step:?}"
    );
}
