//! One training step (forward + backward, no optimizer) of a 3-layer MLP
//! `24 -> 512 -> 512 -> 12` with ReLU, batch 1024, MAE loss, on 1 and 2 threads.
//!
//! Group `training`, ids `mlp_24-512-512-12_b1024/<threads>t`.

mod common;

use common::{config, pool, time_in_pool};
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_benches::spec::{
    MLP_BATCH, MLP_SIZES, THREADS, TRAINING_GROUP, threads_id, training_id,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, Mlp, ParamStore};
use std::hint::black_box;

fn training(c: &mut Criterion) {
    let mut rng = Rng::new(42);
    let mut store = ParamStore::new();
    let mlp = Mlp::new(
        &mut store,
        "mlp",
        &MLP_SIZES,
        Activation::ReLU,
        0.0,
        &mut rng,
    );
    let (d_in, d_out) = (MLP_SIZES[0], MLP_SIZES[MLP_SIZES.len() - 1]);
    let x = Tensor::randn(&[MLP_BATCH, d_in], &mut rng); // [B, 24]
    let target = Tensor::randn(&[MLP_BATCH, d_out], &mut rng); // [B, 12]

    let step = || {
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, &store, rng.clone());
        let input = ctx.constant(x.clone());
        let y = mlp.forward(&mut ctx, input); // [B, 12]
        let loss = y.sub(ctx.constant(target.clone())).abs().mean_all();
        let mut grads = tape.backward(loss);
        black_box(ctx.param_grads(&mut grads));
    };

    let mut group = c.benchmark_group(TRAINING_GROUP);
    // A step takes tens of milliseconds: few samples, flat sampling.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for threads in THREADS {
        let p = pool(threads);
        group.bench_function(BenchmarkId::new(training_id(), threads_id(threads)), |b| {
            b.iter_custom(|iters| time_in_pool(&p, iters, step))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = training
}
criterion_main!(benches);
