//! A production pipeline: validation split with early stopping, cross-validation to pick a
//! model, save, load in a fresh scope, forecast new data, evaluate.
//!
//! `cargo run --release -p neurodiv --example pipeline` works on the two-series AirPassengers
//! panel (embedded). The models train on the data up to two years before its end; the next 12
//! months arrive after deployment, and the last 12 are what the deployed model must forecast:
//! 1. fits NHITS with 12 months of validation and early stopping, and prints where it stopped;
//! 2. cross-validates NHITS and MLP (3 windows of 12 months) and picks the lower MAE;
//! 3. refits the winner on all the training data, saves it to a temporary folder and drops it;
//! 4. loads it back in a separate function (as a serving process would), forecasts from the
//!    newer history (12 months it never saw) and scores the forecast (MAE, RMSE, sMAPE) against
//!    what really happened.
//!
//! `-- --steps N` sets the training steps (default 300; CI runs 2).

mod common;

use neurodiv::data::metrics::Metric;
use neurodiv::prelude::*;
use neurodiv::{evaluate, registry};
use std::path::Path;

const H: usize = 12;
const INPUT: usize = 24;

/// A model from the registry by name, with the pipeline's training settings.
fn model(
    name: &str,
    steps: usize,
    extra: &[(&str, &str)],
) -> Result<Box<dyn NeuralModel>, NfError> {
    let mut options = vec![
        ("max_steps".to_string(), steps.to_string()),
        ("scaler_type".to_string(), "robust".to_string()),
    ];
    options.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    registry::build(name, H, INPUT, &options)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = common::Args::parse().value("--steps", 300)?;
    let panel = neurodiv::datasets::air_passengers_panel()?;
    // `train` is what we have at training time; `latest` adds the 12 months that arrived after
    // deployment; `actual` holds the 12 months after that, to score the served forecast.
    let (latest, actual) = panel.split_tail(H)?;
    let (train, _) = latest.split_tail(H)?;
    let freq = train.freq();

    // 1. Early stopping: validate every 20 steps on the last 12 months of the training data;
    //    stop after 3 checks without improvement.
    let early = model(
        "NHITS",
        steps,
        &[
            ("val_check_steps", "20"),
            ("early_stop_patience_steps", "3"),
        ],
    )?;
    let mut nf = NeuralForecast::new(vec![early], freq);
    let report = nf.fit(&train, H)?.remove(0);
    let (best_step, best) = report
        .valid_losses
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, f32::NAN));
    println!(
        "1. NHITS with early stopping: ran {} of {steps} steps, best validation MAE {best:.2} at step {best_step}",
        report.steps
    );

    // 2. Model selection by cross-validation on the training data: three 12-month windows.
    let mut cv = NeuralForecast::new(
        vec![model("NHITS", steps, &[])?, model("MLP", steps, &[])?],
        freq,
    );
    let folds = cv.cross_validation(&train, 3, H, 0, false)?;
    let scores = evaluate(&folds, None, &[Metric::Mae], None)?.mean();
    let mut best_model = ("", f64::INFINITY);
    for name in ["NHITS", "MLP"] {
        let mae = scores.get(None, Metric::Mae, name).unwrap_or(f64::NAN);
        println!("2. cross-validation MAE of {name}: {mae:.2}");
        if mae < best_model.1 {
            best_model = (name, mae);
        }
    }
    let chosen = if best_model.0.is_empty() {
        "NHITS"
    } else {
        best_model.0
    };
    println!("   chosen: {chosen}");

    // 3. Refit the winner on all the training data and save it.
    let dir = std::env::temp_dir().join(format!("neurodiv-pipeline-{}", std::process::id()));
    {
        let mut nf = NeuralForecast::new(vec![model(chosen, steps, &[])?], freq);
        nf.fit(&train, 0)?;
        nf.save(&dir)?;
        println!("3. saved {chosen} to {}", dir.display());
    }

    // 4. Serve: load it and forecast from the latest data.
    let result = serve(&dir, &latest, &actual, chosen);
    std::fs::remove_dir_all(&dir)?;
    result
}

/// What a serving process does: load the saved models, forecast the 12 months after the end of
/// the latest history, and score them once the actual values are known.
fn serve(
    dir: &Path,
    latest: &PanelFrame,
    actual: &PanelFrame,
    chosen: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let nf = NeuralForecast::load(dir)?;
    let forecast = nf.predict_on(latest, None)?;
    let metrics = [Metric::Mae, Metric::Rmse, Metric::Smape];
    let scores = evaluate(&forecast, Some(actual), &metrics, None)?.mean();
    print!(
        "4. loaded {chosen}, forecast {} rows from the latest data; against the actuals:",
        forecast.len()
    );
    for m in metrics {
        let v = scores.get(None, m, chosen).unwrap_or(f64::NAN);
        print!(" {} {v:.2}", m.name());
    }
    println!();
    Ok(())
}
