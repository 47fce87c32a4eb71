//! The autodiff tape: overhead per recorded op, and the cost of taking time steps apart.
//!
//! Group `tape`, on 1-element tensors (so the arithmetic is negligible and what is measured is
//! recording, bookkeeping and the backward walk): ids `forward/100` (new tape, record 100
//! alternating adds and muls) and `forward_backward/100` (the same, then back-propagate).
//! Divide by 100 for ns per op.
//!
//! Group `tape_steps`: the `T` steps of a `[B, T, 4H]` projection (B = 32, H = 32), as a
//! recurrent layer reads them, taken apart (`slice/T`: `T` calls of `slice(1, t, t + 1)`;
//! `unbind/T`: one `unbind(1)`), summed step by step and back-propagated, on a new tape per
//! iteration. The gradient of each
//! step lands in its own range of the projection's gradient, so the time per step (criterion's
//! throughput, in steps) should not grow with `T`.
//!
//! That gradient is one zeroed `[B, T, 4H]` buffer per iteration (0.25 to 2 MB). glibc's malloc
//! may hand it out as fresh mmapped pages at some sizes and from the heap at others, depending
//! on what the process freed before, and the page faults of the first can add up to a
//! millisecond. To compare sizes without that, run with
//! `MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=1073741824` (keep it on the heap).

mod common;

use common::{config, uniform_vec};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_benches::spec::{
    TAPE_CHAIN_OPS, TAPE_FORWARD_BACKWARD_ID, TAPE_FORWARD_ID, TAPE_GROUP, TAPE_SLICE_ID,
    TAPE_STEPS, TAPE_STEPS_BATCH_HIDDEN, TAPE_STEPS_GROUP, TAPE_UNBIND_ID,
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

/// Sums the steps one by one (as a recurrence would consume them), back-propagates, and returns
/// the gradient of the projection.
fn sum_steps_backward<'t>(tape: &'t Tape, proj: Var<'t>, steps: Vec<Var<'t>>) -> Tensor {
    let mut steps = steps.into_iter();
    let first = steps.next().expect("at least one step");
    let total = steps.fold(first, Var::add).sum_all();
    let mut grads = tape.backward(total);
    grads.take(proj).expect("the projection has a gradient")
}

fn steps(c: &mut Criterion) {
    let (b, h) = TAPE_STEPS_BATCH_HIDDEN;
    let mut group = c.benchmark_group(TAPE_STEPS_GROUP);
    for t in TAPE_STEPS {
        let shape = [b, t, 4 * h]; // [B, T, 4H]
        let proj = Tensor::from_vec(&shape, uniform_vec(b * t * 4 * h, -1.0, 1.0, 3));
        group.throughput(Throughput::Elements(t as u64));
        group.bench_function(BenchmarkId::new(TAPE_SLICE_ID, t), |bench| {
            bench.iter(|| {
                let tape = Tape::new();
                let x = tape.param(black_box(&proj).clone());
                let steps = (0..t).map(|s| x.slice(1, s, s + 1)).collect(); // T x [B, 1, 4H]
                black_box(sum_steps_backward(&tape, x, steps))
            })
        });
        group.bench_function(BenchmarkId::new(TAPE_UNBIND_ID, t), |bench| {
            bench.iter(|| {
                let tape = Tape::new();
                let x = tape.param(black_box(&proj).clone());
                let steps = x.unbind(1); // T x [B, 4H]
                black_box(sum_steps_backward(&tape, x, steps))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = tape, steps
}
criterion_main!(benches);
