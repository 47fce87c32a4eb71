//! GEMM throughput on the shapes the models use, on 1 and 2 threads.
//!
//! Group `gemm`, ids `<M>x<K>x<N>/<threads>t` and `batched<B>x<M>x<K>x<N>/<threads>t`.
//! Throughput is declared as `2*M*N*K` elements per iteration, so criterion's
//! "elem/s" reads directly as FLOP/s.

mod common;

use common::{config, pool, time_in_pool, uniform_vec};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neurodiv_benches::spec::{
    GEMM_BATCHED, GEMM_GROUP, GEMM_SHAPES, GemmShape, THREADS, gemm_batched_id, gemm_id, threads_id,
};
use neurodiv_kernels::{Trans, gemm, gemm_batched};
use std::hint::black_box;

fn plain(c: &mut Criterion) {
    let mut group = c.benchmark_group(GEMM_GROUP);
    for threads in THREADS {
        let p = pool(threads);
        for (m, k, n) in GEMM_SHAPES {
            let a = uniform_vec(m * k, -1.0, 1.0, 1); // [M, K]
            let b = uniform_vec(k * n, -1.0, 1.0, 2); // [K, N]
            let mut out = vec![0.0f32; m * n]; // [M, N]
            let flops = GemmShape { batch: 1, m, k, n }.flops();
            group.throughput(Throughput::Elements(flops));
            group.bench_function(
                BenchmarkId::new(gemm_id(m, k, n), threads_id(threads)),
                |bch| {
                    bch.iter_custom(|iters| {
                        time_in_pool(&p, iters, || {
                            gemm(
                                Trans::N,
                                Trans::N,
                                m,
                                n,
                                k,
                                1.0,
                                black_box(&a),
                                black_box(&b),
                                0.0,
                                black_box(&mut out),
                            )
                        })
                    })
                },
            );
        }
    }
    group.finish();
}

fn batched(c: &mut Criterion) {
    let (batch, m, k, n) = GEMM_BATCHED;
    let a = uniform_vec(batch * m * k, -1.0, 1.0, 1); // [B, M, K]
    let b = uniform_vec(batch * k * n, -1.0, 1.0, 2); // [B, K, N]
    let mut out = vec![0.0f32; batch * m * n]; // [B, M, N]
    let flops = GemmShape { batch, m, k, n }.flops();
    let mut group = c.benchmark_group(GEMM_GROUP);
    group.throughput(Throughput::Elements(flops));
    for threads in THREADS {
        let p = pool(threads);
        let id = BenchmarkId::new(gemm_batched_id(batch, m, k, n), threads_id(threads));
        group.bench_function(id, |bch| {
            bch.iter_custom(|iters| {
                time_in_pool(&p, iters, || {
                    gemm_batched(
                        batch,
                        Trans::N,
                        Trans::N,
                        m,
                        n,
                        k,
                        1.0,
                        black_box(&a),
                        black_box(&b),
                        0.0,
                        black_box(&mut out),
                    )
                })
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = plain, batched
}
criterion_main!(benches);
