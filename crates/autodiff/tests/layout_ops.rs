//! stack, flip, expand, repeat, pad, unsqueeze, squeeze: hand cases and gradient checks.

mod common;

use common::{gradcheck, grads_of, rand};
use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::{Tensor, Var};
use proptest::prelude::*;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec())
}

#[test]
fn stack_hand_case() {
    let (a, b) = (t(&[2], &[1., 2.]), t(&[2], &[3., 4.]));
    let (y, _) = grads_of(&[a.clone(), b.clone()], None, |_, v| {
        Var::stack(&[v[0], v[1]], 0)
    });
    assert_eq!(
        (y.shape(), y.data()),
        ([2, 2].as_slice(), [1., 2., 3., 4.].as_slice())
    );
    let seed = t(&[2, 2], &[1., 2., 3., 4.]);
    let (y, g) = grads_of(&[a, b], Some(seed), |_, v| Var::stack(&[v[0], v[1]], 1));
    assert_eq!(y.data(), &[1., 3., 2., 4.]);
    assert_eq!(g[0].data(), &[1., 3.]);
    assert_eq!(g[1].data(), &[2., 4.]);
}

#[test]
fn flip_hand_case() {
    let x = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let seed = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), Some(seed.clone()), |_, v| {
        v[0].flip(1)
    });
    assert_eq!(y.data(), &[3., 2., 1., 6., 5., 4.]);
    assert_eq!(g[0].data(), &[3., 2., 1., 6., 5., 4.]);
    let (y, _) = grads_of(&[x], Some(seed), |_, v| v[0].flip(0));
    assert_eq!(y.data(), &[4., 5., 6., 1., 2., 3.]);
}

#[test]
fn expand_hand_case() {
    let x = t(&[3, 1], &[1., 2., 3.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].expand(&[2, 3, 4]));
    assert_eq!(y.shape(), &[2, 3, 4]);
    assert_eq!(&y.data()[..8], &[1., 1., 1., 1., 2., 2., 2., 2.]);
    assert_eq!(g[0].data(), &[8., 8., 8.]);
}

#[test]
fn repeat_hand_case() {
    let x = t(&[2, 2], &[1., 2., 3., 4.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| v[0].repeat(0, 3));
    assert_eq!(y.shape(), &[6, 2]);
    assert_eq!(y.data(), &[1., 2., 3., 4., 1., 2., 3., 4., 1., 2., 3., 4.]);
    assert_eq!(g[0].data(), &[3., 3., 3., 3.]);
    let (y, _) = grads_of(&[x], None, |_, v| v[0].repeat(1, 2));
    assert_eq!(y.data(), &[1., 2., 1., 2., 3., 4., 3., 4.]);
}

#[test]
fn pad_hand_case() {
    let x = t(&[2, 2], &[1., 2., 3., 4.]);
    let seed = t(&[2, 5], &[1., 2., 3., 4., 5., 6., 7., 8., 9., 10.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), Some(seed), |_, v| {
        v[0].pad(1, 1, 2, 9.0)
    });
    assert_eq!(y.data(), &[9., 1., 2., 9., 9., 9., 3., 4., 9., 9.]);
    assert_eq!(g[0].data(), &[2., 3., 7., 8.]);
    let (y, _) = grads_of(&[x], None, |_, v| v[0].pad(0, 1, 0, 0.0));
    assert_eq!(y.data(), &[0., 0., 1., 2., 3., 4.]);
}

#[test]
fn unsqueeze_squeeze_shapes() {
    let x = rand(&[2, 3], 1);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| v[0].unsqueeze(1));
    assert_eq!(y.shape(), &[2, 1, 3]);
    assert_eq!(g[0].shape(), &[2, 3]);
    let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| v[0].unsqueeze(2));
    assert_eq!(y.shape(), &[2, 3, 1]);
    let (y, _) = grads_of(&[x], None, |_, v| v[0].unsqueeze(0).squeeze(0));
    assert_eq!(y.shape(), &[2, 3]);
}

#[test]
#[should_panic(expected = "squeeze")]
fn squeeze_rejects_long_axis() {
    let _ = grads_of(&[rand(&[2, 3], 1)], None, |_, v| v[0].squeeze(1));
}

#[test]
fn gradcheck_fixed_shapes() {
    let x = rand(&[2, 3, 2], 2);
    let y = rand(&[2, 3, 2], 3);
    for axis in 0..=3 {
        assert_gradients(&[x.clone(), y.clone()], |_, v| {
            Var::stack(&[v[0], v[1]], axis)
        });
    }
    for axis in 0..3 {
        assert_gradients(std::slice::from_ref(&x), |_, v| v[0].flip(axis));
        assert_gradients(std::slice::from_ref(&x), |_, v| v[0].repeat(axis, 2));
        assert_gradients(std::slice::from_ref(&x), |_, v| v[0].pad(axis, 1, 2, 0.5));
    }
    assert_gradients(&[rand(&[3, 1], 4)], |_, v| v[0].expand(&[2, 3, 4]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    #[test]
    fn prop_stack_flip_repeat_pad(
        a in 1usize..4, b in 1usize..4, axis in 0usize..2, times in 1usize..3,
        before in 0usize..3, after in 0usize..3, seed in 0u64..1000,
    ) {
        let x = rand(&[a, b], seed);
        let y = rand(&[a, b], seed + 1);
        let res = gradcheck(&[x.clone(), y], |_, v| Var::stack(&[v[0], v[1], v[0]], axis));
        prop_assert!(res.is_ok(), "stack {:?}", res);
        let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].flip(axis));
        prop_assert!(res.is_ok(), "flip {:?}", res);
        let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].repeat(axis, times));
        prop_assert!(res.is_ok(), "repeat {:?}", res);
        let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].pad(axis, before, after, -1.0));
        prop_assert!(res.is_ok(), "pad {:?}", res);
        let res = gradcheck(&[x], |_, v| v[0].unsqueeze(axis).squeeze(axis).mul(v[0]));
        prop_assert!(res.is_ok(), "unsqueeze/squeeze {:?}", res);
    }

    #[test]
    fn prop_expand(a in 1usize..4, b in 1usize..4, lead in 1usize..3, seed in 0u64..1000) {
        let x = rand(&[a, 1], seed);
        let res = gradcheck(&[x], |_, v| v[0].expand(&[lead, a, b]));
        prop_assert!(res.is_ok(), "{:?}", res);
    }
}
