//! Flash attention against the plain reference (`neurodiv-attention`), forward and forward +
//! backward, at head size 64 and sequence lengths 128 to 4096 (4 batch x head pairs), on the
//! machine's threads.
//!
//! Before the timings, the bench measures the peak heap of one call of each at each length
//! (a counting global allocator: the most bytes live at once above what was live before the
//! call) and prints a table `attention peak heap` to stderr. The flash figures should grow
//! linearly with the length, the reference's quadratically.

mod common;

use common::{config, uniform_vec};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use neurodiv_attention::{AttentionOptions, attention_reference, flash_attention};
use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_benches::spec::{
    ATTENTION_BACKWARD_GROUP, ATTENTION_FORWARD_GROUP, ATTENTION_LENGTHS, ATTENTION_PAIRS_HEAD,
    FLASH_ID, REFERENCE_ID,
};
use neurodiv_kernels::Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting live bytes and their peak.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

type Attn = for<'t> fn(Var<'t>, Var<'t>, Var<'t>, AttentionOptions, &mut Rng) -> Var<'t>;

/// `[pairs, L, 64]` queries, keys and values.
fn inputs(len: usize) -> [Tensor; 3] {
    let (pairs, head) = ATTENTION_PAIRS_HEAD;
    [1, 2, 3].map(|s| {
        Tensor::from_vec(
            &[pairs, len, head],
            uniform_vec(pairs * len * head, -1.0, 1.0, s),
        )
    })
}

/// One call of `f`, with the backward when `backward`.
fn call(f: Attn, x: &[Tensor; 3], backward: bool) -> f32 {
    let tape = if backward {
        Tape::new()
    } else {
        Tape::no_grad()
    };
    let [q, k, v] = x.clone().map(|t| {
        if backward {
            tape.param(t)
        } else {
            tape.constant(t)
        }
    });
    let out = f(q, k, v, AttentionOptions::default(), &mut Rng::new(0));
    if backward {
        let grads = tape.backward(out.sum_all());
        grads.get(q).map_or(0.0, |g| g.data()[0])
    } else {
        out.value().data()[0]
    }
}

/// Peak heap above the live bytes before one call, in MiB.
fn peak_mib(f: Attn, x: &[Tensor; 3], backward: bool) -> f64 {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    black_box(call(f, x, backward));
    (PEAK.load(Ordering::Relaxed) - before) as f64 / (1 << 20) as f64
}

fn attention(c: &mut Criterion) {
    let kinds: [(&str, Attn); 2] = [
        (FLASH_ID, flash_attention),
        (REFERENCE_ID, attention_reference),
    ];
    eprintln!("attention peak heap (MiB), 4 pairs, head 64");
    eprintln!("| length | flash fwd | reference fwd | flash fwd+bwd | reference fwd+bwd |");
    eprintln!("|---:|---:|---:|---:|---:|");
    for len in ATTENTION_LENGTHS {
        let x = inputs(len);
        eprintln!(
            "| {len} | {:.1} | {:.1} | {:.1} | {:.1} |",
            peak_mib(flash_attention, &x, false),
            peak_mib(attention_reference, &x, false),
            peak_mib(flash_attention, &x, true),
            peak_mib(attention_reference, &x, true),
        );
    }
    for (group, backward) in [
        (ATTENTION_FORWARD_GROUP, false),
        (ATTENTION_BACKWARD_GROUP, true),
    ] {
        let mut g = c.benchmark_group(group);
        g.sample_size(10);
        for len in ATTENTION_LENGTHS {
            let x = inputs(len);
            for (id, f) in kinds {
                g.bench_with_input(BenchmarkId::new(id, len), &x, |b, x| {
                    b.iter(|| black_box(call(f, x, backward)))
                });
            }
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = attention
}
criterion_main!(benches);
