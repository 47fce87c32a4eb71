//! Several models and an ensemble: three models of different families fitted together, their
//! forecasts, and their mean and median, each scored.
//!
//! `cargo run --release -p neurodiv --example ensemble` holds out the last 12 months of the
//! two-series AirPassengers panel (embedded), fits NHITS (MLP family), LSTM (recurrent family)
//! and PatchTST (transformer family) together in one `NeuralForecast` (h=12, input_size=24, 200
//! steps, robust scaler, otherwise NeuralForecast's defaults), prints the forecasts of the first
//! series beside the actual values, and the MAE, RMSE and sMAPE of each model and of the mean and
//! median ensembles over both series. `-- --steps N` sets the training steps (CI runs 2).

mod common;

use neurodiv::data::metrics::Metric;
use neurodiv::prelude::*;
use neurodiv::{ENSEMBLE_COLUMN, Ensemble, evaluate};

const H: usize = 12;
const INPUT: usize = 24;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = common::Args::parse().value("--steps", 200)?;
    let (train, test) = neurodiv::datasets::air_passengers_panel()?.split_tail(H)?;
    let robust = neurodiv::data::ScalerType::Robust;
    let models: Vec<Box<dyn NeuralModel>> = vec![
        Box::new(NHITS::new(
            NHITSConfig::new(H, INPUT)
                .max_steps(steps)
                .scaler_type(robust),
        )?),
        Box::new(LSTM::new(
            LSTMConfig::new(H, INPUT)
                .max_steps(steps)
                .scaler_type(robust),
        )?),
        Box::new(PatchTST::new(
            PatchTSTConfig::new(H, INPUT)
                .max_steps(steps)
                .scaler_type(robust),
        )?),
    ];
    let mut nf = NeuralForecast::new(models, train.freq());
    nf.fit(&train, 0)?;
    let forecast = nf.predict(None)?;

    // One frame per combination: each gets an `Ensemble` column beside the models'.
    let mut scored = Vec::new();
    for (label, how) in [("mean", Ensemble::Mean), ("median", Ensemble::Median)] {
        let mut frame = forecast.clone();
        frame.add_ensemble(nf.models(), how)?;
        scored.push((label, frame));
    }

    let names: Vec<String> = nf.models().iter().map(|m| m.alias()).collect();
    let first = train.series(0).id.to_string();
    print!("{:<12} {:>8}", "ds", "actual");
    for n in &names {
        print!(" {n:>9}");
    }
    println!(" {:>9} {:>9}", "mean", "median");
    let actual = test.series(0).y;
    let rows = (0..forecast.len()).filter(|&r| forecast.unique_id[r] == first);
    for (k, r) in rows.enumerate() {
        print!("{:<12} {:>8.1}", forecast.ds[r].to_string(), actual[k]);
        for n in &names {
            print!(" {:>9.1}", forecast.column(n).expect("model column")[r]);
        }
        for (_, frame) in &scored {
            print!(
                " {:>9.1}",
                frame.column(ENSEMBLE_COLUMN).expect("ensemble")[r]
            );
        }
        println!();
    }

    let metrics = [Metric::Mae, Metric::Rmse, Metric::Smape];
    println!(
        "\n{:<10} {:>8} {:>8} {:>8}   (both series, {steps} steps)",
        "model", "MAE", "RMSE", "sMAPE"
    );
    let models_eval = evaluate(&forecast, Some(&test), &metrics, None)?.mean();
    for n in &names {
        print_scores(n, |m| models_eval.get(None, m, n), &metrics);
    }
    for (label, frame) in &scored {
        let e = evaluate(frame, Some(&test), &metrics, None)?.mean();
        print_scores(label, |m| e.get(None, m, ENSEMBLE_COLUMN), &metrics);
    }
    Ok(())
}

fn print_scores(label: &str, value: impl Fn(Metric) -> Option<f64>, metrics: &[Metric]) {
    print!("{label:<10}");
    for &m in metrics {
        print!(" {:>8.2}", value(m).unwrap_or(f64::NAN));
    }
    println!();
}
