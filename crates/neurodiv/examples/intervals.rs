//! Probabilistic forecasting: quantile, distribution and conformal intervals side by side, with
//! their coverage on a held-out tail.
//!
//! `cargo run --release -p neurodiv --example intervals` generates a panel of 200 daily series
//! with known Gaussian noise (`neurodiv::data::synthetic::seasonal_daily_panel(200, 180, 7)`),
//! holds out the last 14 days of every series, and fits MLP and NHITS (h=14, input_size=28,
//! max_steps=200, robust scaler, other settings at NeuralForecast's defaults) four ways:
//! - `MQLoss(level=[80, 90])`: the network outputs the quantiles;
//! - `DistributionLoss(Normal)` and `DistributionLoss(StudentT)`: quantiles of 1,000 draws;
//! - MAE with conformal intervals calibrated on 10 windows (`PredictionIntervals`).
//!
//! For each it prints the MAE of the point forecast, the coverage of the 80% and 90% intervals
//! (percent of held-out points inside) with their mean width, and the scaled CRPS of the
//! interval bounds and the median where the loss gives one. `-- --seeds 3` averages seeds 1-3;
//! `-- --steps N` trains N steps instead of 200; `-- --write-panel FILE` also writes the panel as
//! CSV (for running the same setup in Python NeuralForecast).

mod common;

use neurodiv::prelude::*;
use neurodiv::{ConformalMethod, interval_scores, registry};

const H: usize = 14;
const INPUT: usize = 28;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse();
    let seeds: u64 = args.value("--seeds", 1)?;
    let steps: usize = args.value("--steps", 200)?;
    let panel = neurodiv::data::synthetic::seasonal_daily_panel(200, 180, 7);
    if let Some(path) = args.text("--write-panel") {
        panel.to_csv(std::fs::File::create(path)?)?;
        println!("wrote the panel to {path}");
    }
    let (train, test) = panel.split_tail(H)?;
    let y: Vec<f32> = (0..test.n_series())
        .flat_map(|i| test.series(i).y.to_vec())
        .collect();
    let conformal = PredictionIntervals::new(10, ConformalMethod::ConformalDistribution, 1)?;
    let levels = Intervals::Level(vec![80.0, 90.0]);
    println!(
        "{:<22} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "model", "MAE", "cover80%", "width80", "cover90%", "width90", "sCRPS"
    );
    for model in ["MLP", "NHITS"] {
        for (kind, loss) in [
            ("MQLoss", Some("MQLoss(level=[80, 90])")),
            ("Normal", Some("DistributionLoss(Normal, level=[80, 90])")),
            (
                "StudentT",
                Some("DistributionLoss(StudentT, level=[80, 90])"),
            ),
            ("conformal", None),
        ] {
            // Sums over seeds of: MAE, coverage 80, width 80, coverage 90, width 90, sCRPS.
            let mut sums = [0.0f64; 6];
            for seed in 1..=seeds {
                let mut options = vec![
                    ("max_steps".to_string(), steps.to_string()),
                    ("scaler_type".to_string(), "robust".to_string()),
                    ("random_seed".to_string(), seed.to_string()),
                ];
                if let Some(loss) = loss {
                    options.push(("loss".to_string(), loss.to_string()));
                }
                let m = registry::build(model, H, INPUT, &options)?;
                let point = m.alias();
                let mut nf = NeuralForecast::new(vec![m], train.freq());
                // A quantile or distribution loss gives its own levels (and median); MAE needs
                // the conformal calibration, then levels at predict time.
                let fc = if loss.is_some() {
                    nf.fit(&train, 0)?;
                    nf.predict(None)?
                } else {
                    nf.fit_with_intervals(&train, 0, conformal, &mut |_, _| {})?;
                    nf.predict_with(None, None, Some(&levels))?
                };
                let point_col = fc.point_column(nf.models()[0].as_ref());
                let y_hat = fc.column(&point_col).expect("the point column");
                let scores = interval_scores(&fc, &point, &y)?.expect("interval columns");
                let level = |l: &str| {
                    scores
                        .levels
                        .iter()
                        .find(|(name, _, _)| name == l)
                        .map(|(_, c, w)| (*c, *w))
                        .expect("the level's columns")
                };
                let ((c80, w80), (c90, w90)) = (level("80"), level("90"));
                let crps = scores.scaled_crps.expect("quantile columns");
                let mae = neurodiv::data::metrics::mae(&y, y_hat)?;
                for (s, v) in sums.iter_mut().zip([mae, c80, w80, c90, w90, crps]) {
                    *s += v;
                }
            }
            let [mae, c80, w80, c90, w90, crps] = sums.map(|s| s / seeds as f64);
            println!(
                "{:<22} {mae:>8.3} {c80:>9.1} {w80:>9.2} {c90:>9.1} {w90:>9.2} {crps:>8.4}",
                format!("{model} {kind}")
            );
        }
    }
    println!("(200 series x 14 held-out days; seeds 1-{seeds})");
    Ok(())
}
