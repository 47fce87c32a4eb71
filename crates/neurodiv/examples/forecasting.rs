//! Basic forecasting: load a long-format CSV, fit one model, forecast, print and plot.
//!
//! `cargo run --release -p neurodiv --example forecasting` reads `data/air_passengers_panel.csv`
//! (two monthly series in long format: `unique_id, ds, y` and two exogenous columns this example
//! does not use), holds out the last 12 months of each series, fits NHITS (h=12, input_size=24,
//! 200 steps, otherwise NeuralForecast's defaults) on the rest, prints the forecast beside the
//! actual values with each series' MAE, and draws history, forecast and actuals into
//! `target/forecasting.svg`. Options: `-- --steps N`, `-- --plot FILE.svg|FILE.png`.

mod common;

use neurodiv::data::metrics::mae;
use neurodiv::plot::{PlotSpec, draw, series_to_plot};
use neurodiv::prelude::*;
use std::path::PathBuf;

const CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/air_passengers_panel.csv"
);
const H: usize = 12;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse();
    let steps: usize = args.value("--steps", 200)?;
    let plot: PathBuf = args.value(
        "--plot",
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/forecasting.svg"
        )),
    )?;
    neurodiv::plot::check_extension(&plot)?;

    // Long format: one row per (series, timestamp). The frequency is inferred from the dates.
    let df = PanelFrame::from_csv_path(CSV, &CsvOptions::default())?;
    println!(
        "read {} rows: {} series, frequency {}",
        df.len(),
        df.n_series(),
        df.freq()
    );
    let (train, test) = df.split_tail(H)?;

    let model = NHITS::new(NHITSConfig::new(H, 24).max_steps(steps))?;
    let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
    nf.fit(&train, 0)?;
    // The next 12 months after the end of every series of the training data.
    let forecast = nf.predict(None)?;

    let predicted = forecast.column("NHITS").expect("the model's column");
    println!(
        "{:<10} {:<12} {:>8} {:>8}",
        "unique_id", "ds", "actual", "NHITS"
    );
    for s in test.iter_series() {
        // The forecast's rows of this series, in time order.
        let rows: Vec<usize> = (0..forecast.len())
            .filter(|&r| forecast.unique_id[r] == s.id)
            .collect();
        for (&r, actual) in rows.iter().zip(s.y) {
            let ds = forecast.ds[r].to_string();
            println!("{:<10} {ds:<12} {actual:>8.1} {:>8.1}", s.id, predicted[r]);
        }
        let fitted: Vec<f32> = rows.iter().map(|&r| predicted[r]).collect();
        println!("{}: MAE {:.2}", s.id, mae(s.y, &fitted)?);
    }

    // The whole series (so the held-out actuals show beside the forecast), four years of it.
    let spec = PlotSpec {
        wanted: series_to_plot(&df, &[])?,
        holdout: true,
        history: 4 * H,
    };
    draw(&plot, &df, &forecast, &spec)?;
    println!("plot: {}", std::fs::canonicalize(&plot)?.display());
    Ok(())
}
