//! Parity with Python NeuralForecast on AirPassengers (`data/reference/nf_airpassengers.json`):
//! the last 12 points held out, h=12, input_size=24, max_steps=200, other settings at each
//! model's defaults; our mean MAE over seeds 1, 2 and 3 must be at most 1.1 x NeuralForecast's.
//! These are the slowest tests of the workspace (full-size models, 600 training steps each).

mod common;

use common::*;
use neurodiv::prelude::*;

const REFERENCE: &str = include_str!("../../../data/reference/nf_airpassengers.json");

fn reference_mae(model: &str) -> f64 {
    let json: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    json[model]["mae_mean"].as_f64().unwrap()
}

/// Mean MAE over seeds `1..=seeds` of `name` at its defaults (h=12, input_size=24, 200 steps)
/// on AirPassengers, or on the two-series panel for multivariate models (`n_series = 2`).
fn mean_mae(name: &str, seeds: u64) -> (f64, Vec<f64>) {
    let probe = neurodiv::registry::default_config(name, 12, 24).unwrap();
    let multivariate = probe.get("n_series").is_some();
    let (train, test) = if multivariate {
        neurodiv::datasets::air_passengers_panel()
            .unwrap()
            .split_tail(12)
            .unwrap()
    } else {
        air_split()
    };
    let maes: Vec<f64> = (1..=seeds)
        .map(|seed| {
            let mut overrides = vec![
                ("max_steps".to_string(), "200".to_string()),
                ("random_seed".to_string(), seed.to_string()),
            ];
            if multivariate {
                overrides.push(("n_series".to_string(), train.n_series().to_string()));
            }
            let model = neurodiv::registry::build(name, 12, 24, &overrides).unwrap();
            let alias = model.alias();
            let mut nf = NeuralForecast::new(vec![model], train.freq());
            nf.fit(&train, 0).unwrap();
            mae(&test, &nf.predict(None).unwrap(), &alias)
        })
        .collect();
    (maes.iter().sum::<f64>() / seeds as f64, maes)
}

/// Our mean MAE over `seeds` seeds against 1.1 x NeuralForecast's mean over its seeds 1-3.
fn assert_parity(name: &str, seeds: u64) {
    let (ours, seeds) = mean_mae(name, seeds);
    let theirs = reference_mae(name);
    println!(
        "{name}: mean MAE {ours:.3} over {} seeds ({seeds:.3?}) vs NeuralForecast {theirs:.3}, gate {:.3}",
        seeds.len(),
        1.1 * theirs
    );
    assert!(
        ours <= 1.1 * theirs,
        "{name}: mean MAE {ours:.3} above 1.1 x {theirs:.3}"
    );
}

#[test]
fn mlp_parity() {
    assert_parity("MLP", 3);
}

#[test]
fn nhits_parity() {
    assert_parity("NHITS", 3);
}

#[test]
fn nbeats_parity() {
    assert_parity("NBEATS", 3);
}

// DLinear and NLinear are far from converged after 200 steps at their default learning rate
// (1e-4): their error is set by the random initial weights, and three seeds scatter widely
// (DLinear: 229 to 414 over our seeds 1-30; NeuralForecast's three: 194, 374, 333). Our seeds are
// not NeuralForecast's (different generators), so these two are compared over 30 seeds, which
// fit in a fraction of a second each.

#[test]
fn dlinear_parity() {
    assert_parity("DLinear", 30);
}

#[test]
fn nlinear_parity() {
    assert_parity("NLinear", 30);
}

#[test]
fn rlinear_beats_seasonal_naive() {
    let (train, test) = air_split();
    let (ours, seeds) = mean_mae("RLinear", 3);
    let naive = seasonal_naive_mae(&train, &test);
    println!("RLinear: mean MAE {ours:.3} (seeds {seeds:.3?}) vs seasonal naive {naive:.3}");
    assert!(ours < naive);
}

#[test]
fn tide_parity() {
    assert_parity("TiDE", 3);
}

#[test]
fn mlp_multivariate_parity() {
    assert_parity("MLPMultivariate", 3);
}

#[test]
fn tsmixer_parity() {
    assert_parity("TSMixer", 3);
}
