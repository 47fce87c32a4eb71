//! Helpers shared by the bench targets (each target includes this module with `mod common;`).
// Not every target uses every helper.
#![allow(dead_code)]

use criterion::Criterion;
use neurodiv_kernels::Rng;
use std::time::{Duration, Instant};

/// The suite's criterion settings: modest, so the whole suite runs in a few minutes on 2 cores.
/// Command-line flags (`--warm-up-time`, `--measurement-time`, `--sample-size`) override them.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

/// A rayon pool of exactly `threads` threads.
///
/// # Panics
/// When the operating system refuses to start the threads.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("bench-{threads}t-{i}"))
        .build()
        .unwrap_or_else(|e| panic!("cannot build a rayon pool of {threads} threads: {e}"))
}

/// Times `iters` calls of `f` on a thread of `pool` (for `Bencher::iter_custom`), so that rayon
/// inside `f` sees the pool's thread count, without paying a pool hand-off per call.
pub fn time_in_pool(pool: &rayon::ThreadPool, iters: u64, mut f: impl FnMut() + Send) -> Duration {
    pool.install(|| {
        let t0 = Instant::now();
        for _ in 0..iters {
            f();
        }
        t0.elapsed()
    })
}

/// `n` values uniform in `[lo, hi)`, fixed by `seed`.
pub fn uniform_vec(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.uniform(lo, hi)).collect()
}
