//! ProbSparse attention: with every query chosen it is full attention (masked or not); with
//! fewer, each row is either full attention's or the values' mean (running sum when causal);
//! gradients against finite differences. The distilling layer's output length.

use neurodiv_attention::{AttentionOptions, DistilLayer, attention_reference, prob_attention};
use neurodiv_autodiff::gradcheck::GradCheck;
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, ParamStore};

fn rand(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.normal()).collect())
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
}

#[test]
fn with_every_query_chosen_it_is_full_attention() {
    let (q, k, v) = (
        rand(&[2, 3, 6, 4], 1),
        rand(&[2, 3, 6, 4], 2),
        rand(&[2, 3, 6, 5], 3),
    );
    for causal in [false, true] {
        let tape = Tape::no_grad();
        let [q, k, v] = [&q, &k, &v].map(|t| tape.constant(t.clone()));
        // factor 10: 10 * ceil(ln 6) >= 6 queries and keys.
        let got = prob_attention(q, k, v, 10, causal, &mut Rng::new(1)).value();
        let opts = AttentionOptions {
            causal,
            ..Default::default()
        };
        let want = attention_reference(q, k, v, opts, &mut Rng::new(1)).value();
        assert!(close(got.data(), want.data()), "causal {causal}");
    }
}

#[test]
fn unchosen_queries_get_the_mean_or_the_running_sum_of_the_values() {
    let (l, d) = (40, 3);
    let (q, k, v) = (
        rand(&[1, 2, l, 4], 4),
        rand(&[1, 2, l, 4], 5),
        rand(&[1, 2, l, d], 6),
    );
    for causal in [false, true] {
        let tape = Tape::no_grad();
        let [qv, kv, vv] = [&q, &k, &v].map(|t| tape.constant(t.clone()));
        // factor 1: ceil(ln 40) = 4 of 40 queries attend.
        let got = prob_attention(qv, kv, vv, 1, causal, &mut Rng::new(2)).value();
        let opts = AttentionOptions {
            causal,
            ..Default::default()
        };
        let full = attention_reference(qv, kv, vv, opts, &mut Rng::new(2)).value();
        let other = if causal {
            vv.cumsum(2)
        } else {
            vv.mean(2, true).expand(&[1, 2, l, d])
        };
        let other = other.value();
        let mut attended = 0;
        for r in 0..2 * l {
            let row = |t: &Tensor| t.data()[r * d..(r + 1) * d].to_vec();
            if close(&row(&got), &row(&full)) {
                attended += 1;
            } else {
                assert!(close(&row(&got), &row(&other)), "causal {causal}, row {r}");
            }
        }
        assert!(attended >= 8, "causal {causal}: {attended} rows attended");
    }
}

#[test]
fn gradients_match_finite_differences() {
    let inputs = [
        rand(&[1, 2, 9, 3], 7),
        rand(&[1, 2, 9, 3], 8),
        rand(&[1, 2, 9, 2], 9),
    ];
    for causal in [false, true] {
        GradCheck::default()
            .check(&inputs, |_, v| {
                prob_attention(v[0], v[1], v[2], 10, causal, &mut Rng::new(3))
            })
            .unwrap_or_else(|e| panic!("causal {causal}: {e}"));
    }
}

#[test]
fn distilling_halves_the_sequence() {
    let mut store = ParamStore::new();
    let layer = DistilLayer::new(&mut store, "conv", 4, &mut Rng::new(1));
    for (l, want) in [(24, 13), (13, 8), (2, 2), (7, 5)] {
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
        let x = ctx.constant(rand(&[3, l, 4], 1));
        let y = layer.forward(&mut ctx, x);
        assert_eq!(y.shape(), [3, want, 4], "L = {l}");
    }
}
