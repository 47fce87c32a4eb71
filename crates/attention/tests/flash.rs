//! Flash attention against the plain reference (values and gradients, with and without the
//! causal mask, across block boundaries), against finite differences (dropout included), and
//! bit for bit across thread counts.

use neurodiv_attention::{
    AttentionOptions, BLOCK_K, BLOCK_Q, attention_reference, flash_attention,
};
use neurodiv_autodiff::gradcheck::GradCheck;
use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_kernels::Rng;
use proptest::prelude::*;

fn rand(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.normal()).collect())
}

type Attn = for<'t> fn(Var<'t>, Var<'t>, Var<'t>, AttentionOptions, &mut Rng) -> Var<'t>;

/// The output and the gradients of `sum(out * w)` with respect to q, k, v.
fn run(f: Attn, q: &Tensor, k: &Tensor, v: &Tensor, opts: AttentionOptions) -> Vec<Tensor> {
    let tape = Tape::new();
    let (qv, kv, vv) = (
        tape.param(q.clone()),
        tape.param(k.clone()),
        tape.param(v.clone()),
    );
    let out = f(qv, kv, vv, opts, &mut Rng::new(7));
    let w = rand(&out.shape(), 99);
    let loss = out.mul(tape.constant(w)).sum_all();
    let mut grads = tape.backward(loss);
    vec![
        out.value(),
        grads.take(qv).unwrap(),
        grads.take(kv).unwrap(),
        grads.take(vv).unwrap(),
    ]
}

fn assert_close(a: &Tensor, b: &Tensor, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    let scale = b.data().iter().fold(1.0f32, |m, x| m.max(x.abs()));
    for (i, (x, y)) in a.data().iter().zip(b.data()).enumerate() {
        assert!((x - y).abs() <= 2e-5 * scale, "{what}[{i}]: {x} vs {y}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn matches_the_reference(
        pairs in 1usize..4,
        l in 1usize..(BLOCK_Q + 40),
        s in 1usize..(BLOCK_K + 40),
        e in 1usize..9,
        d in 1usize..9,
        causal in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let (q, k, v) = (rand(&[pairs, l, e], seed), rand(&[pairs, s, e], seed + 1), rand(&[pairs, s, d], seed + 2));
        let opts = AttentionOptions { causal, ..Default::default() };
        let fast = run(flash_attention, &q, &k, &v, opts);
        let slow = run(attention_reference, &q, &k, &v, opts);
        for (i, what) in ["out", "dq", "dk", "dv"].iter().enumerate() {
            assert_close(&fast[i], &slow[i], what);
        }
    }
}

#[test]
fn long_sequences_cross_many_blocks() {
    let (l, e) = (3 * BLOCK_Q + 5, 16);
    let (q, k, v) = (
        rand(&[2, 2, l, e], 1),
        rand(&[2, 2, l, e], 2),
        rand(&[2, 2, l, e], 3),
    );
    for causal in [false, true] {
        let opts = AttentionOptions {
            causal,
            scale: Some(0.3),
            dropout: 0.0,
        };
        let fast = run(flash_attention, &q, &k, &v, opts);
        let slow = run(attention_reference, &q, &k, &v, opts);
        for (i, what) in ["out", "dq", "dk", "dv"].iter().enumerate() {
            assert_close(&fast[i], &slow[i], what);
        }
    }
}

#[test]
fn gradients_match_finite_differences_with_and_without_dropout() {
    let inputs = [
        rand(&[2, 5, 3], 4),
        rand(&[2, 7, 3], 5),
        rand(&[2, 7, 2], 6),
    ];
    for (causal, dropout) in [(false, 0.0), (true, 0.0), (false, 0.3), (true, 0.5)] {
        let opts = AttentionOptions {
            causal,
            dropout,
            scale: None,
        };
        GradCheck::default()
            .check(&inputs, |_, v| {
                flash_attention(v[0], v[1], v[2], opts, &mut Rng::new(11))
            })
            .unwrap_or_else(|e| panic!("causal {causal}, dropout {dropout}: {e}"));
    }
}

#[test]
fn dropout_keeps_the_expected_output_and_is_off_in_inference() {
    // With v = 1 every output is sum_j A_ij Z_ij, whose expectation is 1.
    let (q, k) = (rand(&[4, 50, 8], 1), rand(&[4, 60, 8], 2));
    let v = Tensor::from_vec(&[4, 60, 1], vec![1.0; 240]);
    let opts = AttentionOptions {
        dropout: 0.2,
        ..Default::default()
    };
    let tape = Tape::new();
    let out = flash_attention(
        tape.constant(q.clone()),
        tape.constant(k.clone()),
        tape.constant(v.clone()),
        opts,
        &mut Rng::new(3),
    )
    .value();
    let mean = out.data().iter().sum::<f32>() / out.numel() as f32;
    assert!((mean - 1.0).abs() < 0.05, "mean {mean}");
    assert!(
        out.data().iter().any(|x| (x - 1.0).abs() > 0.05),
        "no dropout happened"
    );
    let tape = Tape::no_grad();
    let out = flash_attention(
        tape.constant(q),
        tape.constant(k),
        tape.constant(v),
        opts,
        &mut Rng::new(3),
    )
    .value();
    assert!(out.data().iter().all(|x| (x - 1.0).abs() < 1e-5));
}

#[test]
fn same_bits_with_one_and_two_threads() {
    let (q, k, v) = (
        rand(&[3, 4, 130, 8], 1),
        rand(&[3, 4, 90, 8], 2),
        rand(&[3, 4, 90, 8], 3),
    );
    let opts = AttentionOptions {
        causal: true,
        dropout: 0.1,
        scale: None,
    };
    let with = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| run(flash_attention, &q, &k, &v, opts))
    };
    let (one, two) = (with(1), with(2));
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a.data(), b.data());
    }
}

#[test]
fn the_heads_layout_gives_the_same_bits_as_the_transposed_one() {
    let (b, l, s, h, e, d) = (2, 70, 45, 3, 8, 5);
    let (q, k, v) = (
        rand(&[b, l, h, e], 1),
        rand(&[b, s, h, e], 2),
        rand(&[b, s, h, d], 3),
    );
    let opts = AttentionOptions {
        causal: true,
        dropout: 0.2,
        scale: None,
    };
    let tape = Tape::new();
    let [qv, kv, vv] = [&q, &k, &v].map(|t| tape.param(t.clone()));
    let a = neurodiv_attention::flash_attention_heads(qv, kv, vv, opts, &mut Rng::new(5));
    let p = [0, 2, 1, 3];
    let (tq, tk, tv) = (qv.permute(&p), kv.permute(&p), vv.permute(&p));
    let bref = flash_attention(tq, tk, tv, opts, &mut Rng::new(5)).permute(&p);
    assert_eq!(a.value().data(), bref.value().data());
    let w = tape.constant(rand(&a.shape(), 9));
    let (ga, gb) = (
        tape.backward(a.mul(w).sum_all()),
        tape.backward(bref.mul(w).sum_all()),
    );
    for x in [qv, kv, vv] {
        assert_eq!(ga.get(x).unwrap().data(), gb.get(x).unwrap().data());
    }
}

#[test]
fn residual_attention_gradients_match_finite_differences() {
    use neurodiv_attention::residual_attention;
    let inputs = [
        rand(&[2, 4, 3], 1),
        rand(&[2, 5, 3], 2),
        rand(&[2, 5, 2], 3),
        rand(&[2, 4, 5], 4),
    ];
    let opts = AttentionOptions::default();
    GradCheck::default()
        .check(&inputs, |_, v| {
            residual_attention(v[0], v[1], v[2], Some(v[3]), opts, &mut Rng::new(1)).0
        })
        .unwrap();
    GradCheck::default()
        .check(&inputs, |_, v| {
            residual_attention(v[0], v[1], v[2], Some(v[3]), opts, &mut Rng::new(1)).1
        })
        .unwrap();
}

#[test]
fn model_sized_heads_match_the_reference() {
    // VanillaTransformer's shapes: 4 heads of 32, 24 steps (cross: 24 queries, 30 keys).
    let (b, l, s, h, e) = (16, 24, 30, 4, 32);
    let (q, k, v) = (
        rand(&[b, l, h, e], 1),
        rand(&[b, s, h, e], 2),
        rand(&[b, s, h, e], 3),
    );
    let opts = AttentionOptions::default();
    let tape = Tape::new();
    let [qv, kv, vv] = [&q, &k, &v].map(|t| tape.param(t.clone()));
    let fast = neurodiv_attention::flash_attention_heads(qv, kv, vv, opts, &mut Rng::new(1));
    let p = [0, 2, 1, 3];
    let (tq, tk, tv) = (qv.permute(&p), kv.permute(&p), vv.permute(&p));
    let slow = attention_reference(tq, tk, tv, opts, &mut Rng::new(1)).permute(&p);
    assert_close(&fast.value(), &slow.value(), "out");
    let w = tape.constant(rand(&fast.shape(), 9));
    let (gf, gs) = (
        tape.backward(fast.mul(w).sum_all()),
        tape.backward(slow.mul(w).sum_all()),
    );
    for (x, what) in [(qv, "dq"), (kv, "dk"), (vv, "dv")] {
        assert_close(gf.get(x).unwrap(), gs.get(x).unwrap(), what);
    }
}
