//! Every registered model at NeuralForecast's defaults (`h = 12`, `input_size = 24`) on the
//! bench panel (200 generated daily series of 60 points), on 2 threads:
//! - `models/train_step/<model>`: one training step (window sampling, forward, backward, Adam);
//! - `models/predict_one/<model>`: a forecast of one series (univariate models);
//! - `models/predict_panel/<model>`: a forecast of all 200 series;
//! - `models/save_load/<model>`: save the fitted model to a directory, then load it back.
//!
//! And `scaling/<measure>_NHITS/<threads>t`: NHITS's training step and panel forecast on 1 and
//! 2 threads.

mod common;

use common::{config, pool, time_in_pool};
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use neurodiv::NeuralForecast;
use neurodiv::data::PanelFrame;
use neurodiv::data::synthetic::seasonal_daily_panel;
use neurodiv::registry;
use neurodiv_benches::spec::{
    BENCH_PANEL, MODEL_H_L, MODELS_GROUP, SCALING_GROUP, SCALING_MEASURES, SCALING_MODEL, THREADS,
    threads_id,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Threads of the per-model benches (the machine's two cores).
const THREADS_PER_MODEL: usize = 2;

fn panel() -> PanelFrame {
    let (n, len, seed) = BENCH_PANEL;
    seasonal_daily_panel(n, len, seed)
}

/// `name` at its defaults with `max_steps` steps, unfitted; multivariate models span the panel.
fn unfitted(name: &str, df: &PanelFrame, max_steps: usize) -> NeuralForecast {
    let (h, l) = MODEL_H_L;
    let options = [("max_steps".to_string(), max_steps.to_string())];
    let model = registry::build_for_series(name, h, l, &options, df.n_series())
        .expect("registered models build");
    NeuralForecast::new(vec![model], df.freq())
}

/// `name` fitted for two steps (forecast cost does not depend on the weights).
fn fitted(name: &str, df: &PanelFrame) -> NeuralForecast {
    let mut nf = unfitted(name, df, 2);
    nf.fit(df, 0).expect("the bench panel fits");
    nf
}

/// Times `iters` training steps as one fit of `iters` steps (its set-up is a few microseconds).
fn train_steps(name: &str, df: &PanelFrame, iters: u64) -> Duration {
    let mut nf = unfitted(name, df, iters.max(1) as usize);
    let t = Instant::now();
    nf.fit(df, 0).expect("the bench panel fits");
    t.elapsed()
}

fn models(c: &mut Criterion) {
    let df = panel();
    let one = df.filter_ids(&df.ids()[..1]).expect("the first series");
    let p = pool(THREADS_PER_MODEL);
    let dir = std::env::temp_dir().join(format!("neurodiv-bench-{}", std::process::id()));
    let mut group = c.benchmark_group(MODELS_GROUP);
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for name in registry::model_names() {
        group.bench_function(BenchmarkId::new("train_step", name), |b| {
            b.iter_custom(|iters| p.install(|| train_steps(name, &df, iters)))
        });
        let nf = p.install(|| fitted(name, &df));
        if !nf.models()[0].capabilities().multivariate {
            group.bench_function(BenchmarkId::new("predict_one", name), |b| {
                b.iter_custom(|iters| {
                    time_in_pool(&p, iters, || {
                        black_box(nf.predict_on(&one, None).expect("predicts"));
                    })
                })
            });
        }
        group.bench_function(BenchmarkId::new("predict_panel", name), |b| {
            b.iter_custom(|iters| {
                time_in_pool(&p, iters, || {
                    black_box(nf.predict(None).expect("predicts"));
                })
            })
        });
        group.bench_function(BenchmarkId::new("save_load", name), |b| {
            b.iter_custom(|iters| {
                time_in_pool(&p, iters, || {
                    nf.save_overwriting(&dir).expect("saves");
                    black_box(NeuralForecast::load(&dir).expect("loads"));
                })
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn scaling(c: &mut Criterion) {
    let df = panel();
    let mut group = c.benchmark_group(SCALING_GROUP);
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for threads in THREADS {
        let p = pool(threads);
        let nf = p.install(|| fitted(SCALING_MODEL, &df));
        for measure in SCALING_MEASURES {
            let id = BenchmarkId::new(format!("{measure}_{SCALING_MODEL}"), threads_id(threads));
            group.bench_function(id, |b| match measure {
                "train_step" => {
                    b.iter_custom(|iters| p.install(|| train_steps(SCALING_MODEL, &df, iters)))
                }
                _ => b.iter_custom(|iters| {
                    time_in_pool(&p, iters, || {
                        black_box(nf.predict(None).expect("predicts"));
                    })
                }),
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = models, scaling
}
criterion_main!(benches);
