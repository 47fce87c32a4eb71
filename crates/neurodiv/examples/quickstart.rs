//! Quick start: NeuralForecast's MLP on AirPassengers, the last 12 months held out.
//!
//! `cargo run --release -p neurodiv --example quickstart` fits MLP(h=12, input_size=24, max_steps=200) with
//! seeds 1, 2 and 3, prints the forecast of seed 1 beside the actual values, and the MAE of each
//! seed with their mean next to Python NeuralForecast's on the same setup (15.42).
//! `-- --steps N` trains N steps instead of 200 (CI runs every example with 2).

mod common;

use neurodiv::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = common::Args::parse().value("--steps", 200)?;
    let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    let actual = test.series(0).y;
    let mut maes = Vec::new();
    for seed in [1, 2, 3] {
        let model = MLP::new(MLPConfig::new(12, 24).max_steps(steps).random_seed(seed))?;
        let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
        let started = std::time::Instant::now();
        nf.fit(&train, 0)?;
        let fit_s = started.elapsed().as_secs_f64();
        let forecast = nf.predict(None)?;
        let predicted = forecast.column("MLP").expect("the MLP column");
        if seed == 1 {
            println!("{:<12} {:>8} {:>8}", "ds", "actual", "MLP");
            for (k, (a, p)) in actual.iter().zip(predicted).enumerate() {
                println!("{:<12} {a:>8.1} {p:>8.1}", forecast.ds[k].to_string());
            }
        }
        let mae = neurodiv::data::metrics::mae(actual, predicted)?;
        println!("seed {seed}: MAE {mae:.2} (fit {fit_s:.1} s)");
        maes.push(mae);
    }
    let mean = maes.iter().sum::<f64>() / maes.len() as f64;
    println!("mean MAE over seeds 1-3: {mean:.2}");
    if steps == 200 {
        println!("NeuralForecast 3.3.0 on the same setup: 15.42 (parity gate 16.96)");
    }
    Ok(())
}
