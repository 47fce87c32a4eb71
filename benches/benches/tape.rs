//! Overhead of the autodiff tape per recorded op, on 1-element tensors (so the arithmetic is
//! negligible and what is measured is recording, bookkeeping and the backward walk).
//!
//! Group `tape`, ids `forward/100` (new tape, record 100 alternating adds and muls) and
//! `forward_backward/100` (the same, then back-propagate). Divide by 100 for ns per op.

mod common;

use common::config;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_benches::spec::{
    TAPE_CHAIN_OPS, TAPE_FORWARD_BACKWARD_ID, TAPE_FORWARD_ID, TAPE_GROUP,
};
use std::hint::black_box;

/// Records `ops` alternating adds and muls of `x` onto a running value that starts at `x`.
fn chain<'t>(x: Var<'t>, ops: usize) -> Var<'t> {
    (0..ops).fold(x, |y, i| if i % 2 == 0 { y.add(x) } else { y.mul(x) })
}

fn tape(c: &mut Criterion) {
    let mut group = c.benchmark_group(TAPE_GROUP);
    group.throughput(Throughput::Elements(TAPE_CHAIN_OPS as u64));
    group.bench_function(BenchmarkId::new(TAPE_FORWARD_ID, TAPE_CHAIN_OPS), |b| {
        b.iter(|| {
            let tape = Tape::new();
            let x = tape.param(Tensor::scalar(black_box(1.0)));
            let y = chain(x, TAPE_CHAIN_OPS);
            black_box(y.value())
        })
    });
    group.bench_function(
        BenchmarkId::new(TAPE_FORWARD_BACKWARD_ID, TAPE_CHAIN_OPS),
        |b| {
            b.iter(|| {
                let tape = Tape::new();
                let x = tape.param(Tensor::scalar(black_box(1.0)));
                let y = chain(x, TAPE_CHAIN_OPS);
                let grads = tape.backward(y);
                black_box(grads.get(x).map(Tensor::item))
            })
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = tape
}
criterion_main!(benches);
