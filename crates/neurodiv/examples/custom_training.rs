//! Custom training: AdamW with a cosine schedule after a warm-up, gradient clipping, a progress
//! callback that logs the loss, a chosen scaler, and the same forecast with 1 and 2 threads.
//!
//! `cargo run --release -p neurodiv --example custom_training` fits NHITS (h=12, input_size=24)
//! on AirPassengers with the last 12 months held out, 300 steps of AdamW whose learning rate
//! rises linearly over 30 steps to 3e-3 and then follows a cosine to 0, the gradient norm clipped
//! at 1, and the standard scaler. Every 50 steps the callback prints the step, the training loss
//! and the learning rate. The fit runs twice, once in a rayon pool of 1 thread and once of 2, and
//! the example checks that both forecasts are the same bit for bit. `-- --steps N` sets the
//! training steps (CI runs 2).

mod common;

use neurodiv::core::train::Progress;
use neurodiv::data::ScalerType;
use neurodiv::data::metrics::mae;
use neurodiv::optim::{LrSchedulerKind, OptimizerKind};
use neurodiv::prelude::*;

const H: usize = 12;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = common::Args::parse().value("--steps", 300)?;
    let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(H)?;
    let config = NHITSConfig::new(H, 24)
        .max_steps(steps)
        .optimizer(OptimizerKind::AdamW)
        .learning_rate(3e-3)
        .lr_scheduler(LrSchedulerKind::Cosine)
        .warmup_steps((steps / 10).min(steps - 1))
        .gradient_clip_val(1.0)
        .scaler_type(ScalerType::Standard)
        .random_seed(7);

    let mut forecasts = Vec::new();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let forecast = pool.install(|| -> Result<Vec<f32>, NfError> {
            let mut nf =
                NeuralForecast::new(vec![Box::new(NHITS::new(config.clone())?)], train.freq());
            let log_every = (steps / 6).max(1);
            let mut log = |_model: usize, p: &Progress| {
                if threads == 1 && (p.step.is_multiple_of(log_every) || p.step == p.max_steps) {
                    println!(
                        "step {:>4}/{}  loss {:>8.4}  lr {:.2e}",
                        p.step, p.max_steps, p.train_loss, p.learning_rate
                    );
                }
            };
            nf.fit_with_progress(&train, 0, &mut log)?;
            Ok(nf
                .predict(None)?
                .column("NHITS")
                .expect("the column")
                .to_vec())
        })?;
        println!(
            "{threads} thread(s): MAE on the held-out year {:.2}",
            mae(test.series(0).y, &forecast)?
        );
        forecasts.push(forecast);
    }
    let same = forecasts[0]
        .iter()
        .zip(&forecasts[1])
        .all(|(a, b)| a.to_bits() == b.to_bits());
    println!(
        "forecasts with 1 and 2 threads identical bit for bit: {}",
        if same { "yes" } else { "NO" }
    );
    if !same {
        return Err("the forecast depends on the thread count".into());
    }
    Ok(())
}
