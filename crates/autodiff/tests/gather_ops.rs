//! index_select, embedding, where_, cumsum and dropout: hand cases and gradient checks.

mod common;

use common::{gradcheck, grads_of, rand};
use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_kernels::Rng;
use proptest::prelude::*;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec())
}

#[test]
fn index_select_hand_case() {
    let x = t(&[3, 2], &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].index_select(0, &[2, 0, 2])
    });
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(y.data(), &[5., 6., 1., 2., 5., 6.]);
    assert_eq!(g[0].data(), &[1., 1., 0., 0., 2., 2.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].index_select(1, &[1, 1]));
    assert_eq!(y.data(), &[2., 2., 4., 4., 6., 6.]);
    assert_eq!(g[0].data(), &[0., 2., 0., 2., 0., 2.]);
}

#[test]
fn embedding_hand_case() {
    let w = t(&[3, 2], &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = grads_of(std::slice::from_ref(&w), None, |_, v| {
        Var::embedding(v[0], &[1, 1, 0], &[3])
    });
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(y.data(), &[3., 4., 3., 4., 1., 2.]);
    assert_eq!(g[0].data(), &[1., 1., 2., 2., 0., 0.]);
    let (y, _) = grads_of(&[w], None, |_, v| Var::embedding(v[0], &[2, 0], &[2, 1]));
    assert_eq!(y.shape(), &[2, 1, 2]);
    assert_eq!(y.data(), &[5., 6., 1., 2.]);
}

#[test]
#[should_panic(expected = "out of range")]
fn embedding_rejects_bad_id() {
    let _ = grads_of(&[rand(&[3, 2], 1)], None, |_, v| {
        Var::embedding(v[0], &[3], &[1])
    });
}

#[test]
fn where_hand_case() {
    let a = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let b = t(&[1], &[-1.]);
    let mask = t(&[3], &[1., 0., 1.]);
    let (y, g) = grads_of(&[a, b], None, |_, v| v[0].where_(&mask, v[1]));
    assert_eq!(y.data(), &[1., -1., 3., 4., -1., 6.]);
    assert_eq!(g[0].data(), &[1., 0., 1., 1., 0., 1.]);
    assert_eq!(g[1].data(), &[2.]);
}

#[test]
fn cumsum_hand_case() {
    let x = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| v[0].cumsum(1));
    assert_eq!(y.data(), &[1., 3., 6., 4., 9., 15.]);
    assert_eq!(g[0].data(), &[3., 2., 1., 3., 2., 1.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].cumsum(0));
    assert_eq!(y.data(), &[1., 2., 3., 5., 7., 9.]);
    assert_eq!(g[0].data(), &[2., 2., 2., 1., 1., 1.]);
}

#[test]
fn dropout_training_masks_and_scales() {
    let n = 20_000;
    let tape = Tape::new();
    let x = tape.param(Tensor::ones(&[n]));
    let y = x.dropout(0.25, &mut Rng::new(3));
    let vals = y.value();
    let kept = vals.data().iter().filter(|&&v| v != 0.0).count();
    assert!(
        vals.data()
            .iter()
            .all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6)
    );
    let frac = kept as f32 / n as f32;
    assert!((frac - 0.75).abs() < 0.02, "kept fraction {frac}");
    // The gradient is the same mask and scale.
    let g = tape.backward(y.sum_all());
    assert_eq!(g.get(x).unwrap().data(), vals.data());
}

#[test]
fn dropout_is_deterministic_and_off_when_not_training() {
    let x = rand(&[4, 5], 4);
    let run = |seed| {
        let tape = Tape::new();
        tape.constant(x.clone())
            .dropout(0.5, &mut Rng::new(seed))
            .value()
    };
    assert_eq!(run(9), run(9));
    assert_ne!(run(9), run(10));
    // Inference: identity, no draw from the generator.
    let tape = Tape::no_grad();
    let mut rng = Rng::new(1);
    let y = tape.constant(x.clone()).dropout(0.5, &mut rng);
    assert_eq!(y.value(), x);
    assert_eq!(rng, Rng::new(1));
    // p = 0: identity while training.
    let tape = Tape::new();
    assert_eq!(tape.constant(x.clone()).dropout(0.0, &mut rng).value(), x);
    // p = 1: everything dropped.
    let y = tape.constant(x).dropout(1.0, &mut rng).value();
    assert!(y.data().iter().all(|&v| v == 0.0));
}

#[test]
fn gradcheck_fixed_shapes() {
    let x = rand(&[3, 4, 2], 5);
    for axis in 0..3 {
        assert_gradients(std::slice::from_ref(&x), |_, v| {
            v[0].index_select(axis, &[1, 0, 1])
        });
        assert_gradients(std::slice::from_ref(&x), |_, v| v[0].cumsum(axis));
    }
    assert_gradients(&[rand(&[4, 3], 6)], |_, v| {
        Var::embedding(v[0], &[3, 1, 3, 0], &[2, 2])
    });
    let mask = t(&[4, 1], &[1., 0., 0., 1.]);
    assert_gradients(&[rand(&[4, 3], 7), rand(&[3], 8)], |_, v| {
        v[0].where_(&mask, v[1])
    });
    assert_gradients(&[x], |_, v| v[0].dropout(0.4, &mut Rng::new(11)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    #[test]
    fn prop_index_select_embedding(
        a in 1usize..4, b in 1usize..4, axis in 0usize..2,
        picks in prop::collection::vec(0usize..100, 1..5), seed in 0u64..1000,
    ) {
        let x = rand(&[a, b], seed);
        let len = if axis == 0 { a } else { b };
        let idx: Vec<usize> = picks.iter().map(|p| p % len).collect();
        let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].index_select(axis, &idx));
        prop_assert!(res.is_ok(), "index_select {:?}", res);
        let ids: Vec<usize> = picks.iter().map(|p| p % a).collect();
        let res = gradcheck(&[x], |_, v| Var::embedding(v[0], &ids, &[ids.len()]));
        prop_assert!(res.is_ok(), "embedding {:?}", res);
    }

    #[test]
    fn prop_where_cumsum_dropout(
        a in 1usize..4, b in 1usize..4, axis in 0usize..2, p in 0.0f32..0.9, seed in 0u64..1000,
    ) {
        let x = rand(&[a, b], seed);
        let y = rand(&[b], seed + 1);
        let mut rng = Rng::new(seed);
        let mask = Tensor::from_vec(&[a, b], (0..a * b).map(|_| (rng.below(2)) as f32).collect());
        let res = gradcheck(&[x.clone(), y], |_, v| v[0].where_(&mask, v[1]));
        prop_assert!(res.is_ok(), "where_ {:?}", res);
        let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].cumsum(axis));
        prop_assert!(res.is_ok(), "cumsum {:?}", res);
        let res = gradcheck(&[x], |_, v| v[0].dropout(p, &mut Rng::new(seed)));
        prop_assert!(res.is_ok(), "dropout {:?}", res);
    }
}
