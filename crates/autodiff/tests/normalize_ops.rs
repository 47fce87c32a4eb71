//! softmax, log_softmax and layer_norm: hand-computed cases and gradient checks.

mod common;

use common::{assert_close, gradcheck, grads_of, rand};
use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::{Tape, Tensor};
use proptest::prelude::*;

#[test]
fn softmax_hand_case() {
    let x = Tensor::from_vec(&[2, 3], vec![1., 2., 3., 0., 0., 0.]);
    let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| v[0].softmax());
    let third = 1.0 / 3.0;
    assert_close(
        y.data(),
        &[
            0.090_030_57,
            0.244_728_48,
            0.665_240_94,
            third,
            third,
            third,
        ],
        1e-6,
    );
    // d softmax(x)_0 / dx on a row [0, 0]: y0 (1 - y0) and -y0 y1.
    let x = Tensor::from_vec(&[1, 2], vec![0., 0.]);
    let seed = Tensor::from_vec(&[1, 2], vec![1., 0.]);
    let (_, g) = grads_of(&[x], Some(seed), |_, v| v[0].softmax());
    assert_close(g[0].data(), &[0.25, -0.25], 1e-6);
}

#[test]
fn log_softmax_hand_case() {
    let x = Tensor::from_vec(&[3], vec![1., 2., 3.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].log_softmax());
    assert_close(y.data(), &[-2.407_606, -1.407_606, -0.407_606], 1e-5);
    // d/dx sum(log_softmax(x)) = 1 - 3 softmax(x).
    assert_close(
        g[0].data(),
        &[
            1.0 - 3.0 * 0.090_030_57,
            1.0 - 3.0 * 0.244_728_48,
            1.0 - 3.0 * 0.665_240_94,
        ],
        1e-5,
    );
    // Stable for large inputs.
    let tape = Tape::new();
    let big = tape.constant(Tensor::from_vec(&[2], vec![1000., 0.]));
    assert!(big.log_softmax().value().all_finite());
    assert!(big.softmax().value().all_finite());
}

#[test]
fn layer_norm_hand_case() {
    let x = Tensor::from_vec(&[1, 3], vec![1., 2., 3.]);
    let gamma = Tensor::from_vec(&[3], vec![2., 1., 1.]);
    let beta = Tensor::from_vec(&[3], vec![0., 0., 1.]);
    let (y, g) = grads_of(&[x, gamma, beta], None, |_, v| {
        v[0].layer_norm(v[1], v[2], 0.0)
    });
    // mean 2, biased var 2/3, rstd = sqrt(3/2).
    let r = 1.224_744_9;
    assert_close(y.data(), &[-2.0 * r, 0.0, r + 1.0], 1e-5);
    assert_close(g[0].data(), &[0.204_124_1, -0.408_248_3, 0.204_124_1], 1e-5);
    assert_close(g[1].data(), &[-r, 0.0, r], 1e-5);
    assert_close(g[2].data(), &[1.0, 1.0, 1.0], 1e-6);
}

#[test]
fn gradcheck_fixed_shapes() {
    let x = rand(&[2, 3, 4], 1);
    assert_gradients(std::slice::from_ref(&x), |_, v| v[0].softmax());
    assert_gradients(std::slice::from_ref(&x), |_, v| v[0].log_softmax());
    let (gm, bt) = (rand(&[4], 2), rand(&[4], 3));
    assert_gradients(&[x, gm, bt], |_, v| v[0].layer_norm(v[1], v[2], 1e-5));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    #[test]
    fn prop_softmax(r in 1usize..4, c in 1usize..5, seed in 0u64..1000) {
        let x = rand(&[r, c], seed);
        let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].softmax());
        prop_assert!(res.is_ok(), "{:?}", res);
        let res = gradcheck(&[x], |_, v| v[0].log_softmax());
        prop_assert!(res.is_ok(), "{:?}", res);
    }

    #[test]
    fn prop_layer_norm(r in 1usize..4, c in 2usize..5, seed in 0u64..1000) {
        let x = rand(&[r, c], seed);
        let (gm, bt) = (rand(&[c], seed + 1), rand(&[c], seed + 2));
        // A moderate eps keeps the finite differences well conditioned for near-constant rows.
        let res = gradcheck(&[x, gm, bt], |_, v| v[0].layer_norm(v[1], v[2], 0.1));
        prop_assert!(res.is_ok(), "{:?}", res);
    }
}
