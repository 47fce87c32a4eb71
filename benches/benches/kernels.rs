//! Element-wise and row kernels: the dispatched (SIMD) version against its scalar twin.
//!
//! Groups `kernels/<name>`, ids `simd/<n>` and `scalar/<n>` for n = 1K, 64K, 1M elements, and
//! `simd/1024x512`, `scalar/1024x512` for the row kernels. Everything runs on a 1-thread rayon
//! pool so the comparison is one core's SIMD against one core's scalar code.

mod common;

use common::{config, pool, time_in_pool, uniform_vec};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neurodiv_benches::spec::{KERNEL_GROUP_PREFIX, KERNEL_SIZES, ROWS_SHAPE, SCALAR_ID, SIMD_ID};
use neurodiv_kernels::{elementwise, rows, scalar};
use std::hint::black_box;

/// `f(x, out)`
type Unary = fn(&[f32], &mut [f32]);
/// `f(a, b, out)`
type Binary = fn(&[f32], &[f32], &mut [f32]);

/// Unary kernels: name, SIMD version, scalar twin, whether the input must be positive.
const UNARY: [(&str, Unary, Unary, bool); 8] = [
    ("exp", elementwise::exp, scalar::exp, false),
    ("log", elementwise::log, scalar::log, true),
    ("tanh", elementwise::tanh, scalar::tanh, false),
    ("sigmoid", elementwise::sigmoid, scalar::sigmoid, false),
    ("gelu", elementwise::gelu, scalar::gelu, false),
    ("softplus", elementwise::softplus, scalar::softplus, false),
    ("silu", elementwise::silu, scalar::silu, false),
    ("relu", elementwise::relu, scalar::relu, false),
];

/// Binary kernels: name, SIMD version, scalar twin.
const BINARY: [(&str, Binary, Binary); 2] = [
    ("add", elementwise::add, scalar::add),
    ("mul", elementwise::mul, scalar::mul),
];

fn unary(c: &mut Criterion) {
    let one = pool(1);
    for (name, simd, scal, positive) in UNARY {
        let mut group = c.benchmark_group(format!("{KERNEL_GROUP_PREFIX}{name}"));
        for n in KERNEL_SIZES {
            let (lo, hi) = if positive { (0.01, 8.0) } else { (-4.0, 4.0) };
            let x = uniform_vec(n, lo, hi, 1);
            let mut out = vec![0.0f32; n];
            group.throughput(Throughput::Elements(n as u64));
            for (id, f) in [(SIMD_ID, simd), (SCALAR_ID, scal)] {
                group.bench_function(BenchmarkId::new(id, n), |b| {
                    b.iter_custom(|iters| {
                        time_in_pool(&one, iters, || f(black_box(&x), black_box(&mut out)))
                    })
                });
            }
        }
        group.finish();
    }
}

fn binary(c: &mut Criterion) {
    let one = pool(1);
    for (name, simd, scal) in BINARY {
        let mut group = c.benchmark_group(format!("{KERNEL_GROUP_PREFIX}{name}"));
        for n in KERNEL_SIZES {
            let a = uniform_vec(n, -4.0, 4.0, 1);
            let x = uniform_vec(n, -4.0, 4.0, 2);
            let mut out = vec![0.0f32; n];
            group.throughput(Throughput::Elements(n as u64));
            for (id, f) in [(SIMD_ID, simd), (SCALAR_ID, scal)] {
                group.bench_function(BenchmarkId::new(id, n), |b| {
                    b.iter_custom(|iters| {
                        time_in_pool(&one, iters, || {
                            f(black_box(&a), black_box(&x), black_box(&mut out))
                        })
                    })
                });
            }
        }
        group.finish();
    }
}

fn axpy(c: &mut Criterion) {
    let one = pool(1);
    type Axpy = fn(f32, &[f32], &mut [f32]);
    let kernels: [(&str, Axpy); 2] = [(SIMD_ID, elementwise::axpy), (SCALAR_ID, scalar::axpy)];
    let mut group = c.benchmark_group(format!("{KERNEL_GROUP_PREFIX}axpy"));
    for n in KERNEL_SIZES {
        let x = uniform_vec(n, -1.0, 1.0, 1);
        let mut y = uniform_vec(n, -1.0, 1.0, 2);
        group.throughput(Throughput::Elements(n as u64));
        for (id, f) in kernels {
            group.bench_function(BenchmarkId::new(id, n), |b| {
                // y drifts by at most 1e-3 per call: it stays far from overflow.
                b.iter_custom(|iters| {
                    time_in_pool(&one, iters, || {
                        f(black_box(1e-3), black_box(&x), black_box(&mut y))
                    })
                })
            });
        }
    }
    group.finish();
}

fn row_kernels(c: &mut Criterion) {
    let one = pool(1);
    let (r, cols) = ROWS_SHAPE;
    let shape = format!("{r}x{cols}");
    let x = uniform_vec(r * cols, -4.0, 4.0, 1);
    let mut out = vec![0.0f32; r * cols];

    type Softmax = fn(&[f32], usize, &mut [f32]);
    let softmax: [(&str, Softmax); 2] = [
        (SIMD_ID, rows::softmax_rows),
        (SCALAR_ID, scalar::softmax_rows),
    ];
    let mut group = c.benchmark_group(format!("{KERNEL_GROUP_PREFIX}softmax_rows"));
    group.throughput(Throughput::Elements((r * cols) as u64));
    for (id, f) in softmax {
        group.bench_function(BenchmarkId::new(id, &shape), |b| {
            b.iter_custom(|iters| {
                time_in_pool(&one, iters, || f(black_box(&x), cols, black_box(&mut out)))
            })
        });
    }
    group.finish();

    type LayerNorm = fn(&[f32], usize, f32, &[f32], &[f32], &mut [f32], &mut [f32], &mut [f32]);
    let layer_norm: [(&str, LayerNorm); 2] = [
        (SIMD_ID, rows::layer_norm_rows),
        (SCALAR_ID, scalar::layer_norm_rows),
    ];
    let gamma = uniform_vec(cols, 0.5, 1.5, 2);
    let beta = uniform_vec(cols, -0.5, 0.5, 3);
    let (mut mean, mut rstd) = (vec![0.0f32; r], vec![0.0f32; r]);
    let mut group = c.benchmark_group(format!("{KERNEL_GROUP_PREFIX}layer_norm_rows"));
    group.throughput(Throughput::Elements((r * cols) as u64));
    for (id, f) in layer_norm {
        group.bench_function(BenchmarkId::new(id, &shape), |b| {
            b.iter_custom(|iters| {
                time_in_pool(&one, iters, || {
                    f(
                        black_box(&x),
                        cols,
                        1e-5,
                        &gamma,
                        &beta,
                        black_box(&mut out),
                        &mut mean,
                        &mut rstd,
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
    targets = unary, binary, axpy, row_kernels
}
criterion_main!(benches);
