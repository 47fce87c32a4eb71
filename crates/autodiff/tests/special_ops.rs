//! log1p, lgamma and logsumexp (the building blocks of the distribution losses): hand cases,
//! edge values, gradient checks and property tests.

mod common;

use common::{assert_close, gradcheck, grads_of, rand};
use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use proptest::prelude::*;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec())
}

/// Uniform values in `[lo, hi)`.
fn between(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    Tensor::uniform(shape, lo, hi, &mut Rng::new(seed))
}

#[test]
fn log1p_hand_case() {
    let x = t(&[4], &[0.0, 1e-10, 1.0, -0.5]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].log1p());
    // ln(1 + 1e-10) in f32 is 0; log1p keeps it.
    assert_eq!(y.data()[..2], [0.0, 1e-10]);
    assert_close(&y.data()[2..], &[2f32.ln(), 0.5f32.ln()], 1e-7);
    assert_close(g[0].data(), &[1.0, 1.0, 0.5, 2.0], 1e-7);
}

#[test]
fn lgamma_hand_case() {
    let x = t(&[5], &[0.5, 1.0, 2.0, 10.0, 3.5]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].lgamma());
    let sqrt_pi = std::f32::consts::PI.sqrt();
    let want = [
        sqrt_pi.ln(),
        0.0,
        0.0,
        362_880f32.ln(),
        (15.0 / 8.0 * sqrt_pi).ln(),
    ];
    assert_close(y.data(), &want, 2e-6);
    assert_eq!(y.data()[1..3], [0.0, 0.0]);
    // The gradient is digamma: ψ(0.5) = -γ - 2 ln 2, ψ(1) = -γ, ψ(2) = 1 - γ, ψ(10) = H_9 - γ.
    let euler = 0.577_215_7;
    let h9: f32 = (1..=9).map(|k| 1.0 / k as f32).sum();
    let psi_35 = 2.0 / 5.0 + 2.0 / 3.0 + 2.0 - euler - 2.0 * 2f32.ln(); // ψ(0.5) + Σ 1/(0.5 + k)
    assert_close(
        g[0].data(),
        &[
            -euler - 2.0 * 2f32.ln(),
            -euler,
            1.0 - euler,
            h9 - euler,
            psi_35,
        ],
        2e-6,
    );
    let tape = Tape::new();
    let poles = tape.param(t(&[2], &[0.0, -3.0])).lgamma();
    assert_eq!(poles.value().data(), &[f32::INFINITY, f32::INFINITY]);
}

#[test]
fn logsumexp_hand_case() {
    // ln(e^0 + e^ln3) = ln 4, gradient softmax = [1/4, 3/4].
    let x = t(&[2, 2], &[0.0, 3f32.ln(), 1.0, 1.0]);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].logsumexp(1, false)
    });
    assert_eq!(y.shape(), &[2]);
    assert_close(y.data(), &[4f32.ln(), 1.0 + 2f32.ln()], 1e-6);
    assert_close(g[0].data(), &[0.25, 0.75, 0.5, 0.5], 1e-6);
    // Along axis 0, keeping it; the seed weights the columns.
    let seed = t(&[1, 2], &[2.0, 10.0]);
    let (y, g) = grads_of(&[x], Some(seed), |_, v| v[0].logsumexp(0, true));
    assert_eq!(y.shape(), &[1, 2]);
    let e = std::f32::consts::E;
    assert_close(y.data(), &[(1.0 + e).ln(), (3.0 + e).ln()], 1e-6);
    assert_close(
        g[0].data(),
        &[
            2.0 / (1.0 + e),
            10.0 * 3.0 / (3.0 + e),
            2.0 * e / (1.0 + e),
            10.0 * e / (3.0 + e),
        ],
        1e-5,
    );
}

#[test]
fn logsumexp_is_stable_and_handles_infinities() {
    let inf = f32::INFINITY;
    let x = t(
        &[5, 2],
        &[1000., 1000., -1000., -1000., -inf, 0., -inf, -inf, inf, 1.],
    );
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].logsumexp(1, false)
    });
    assert_close(
        &y.data()[..3],
        &[1000.0 + 2f32.ln(), -1000.0 + 2f32.ln(), 0.0],
        1e-3,
    );
    assert_eq!(y.data()[3..], [-inf, inf]);
    assert_close(&g[0].data()[..6], &[0.5, 0.5, 0.5, 0.5, 0.0, 1.0], 1e-6);
    let tape = Tape::new();
    let nan = tape
        .param(t(&[3], &[1.0, f32::NAN, 2.0]))
        .logsumexp(0, false);
    assert!(nan.value().item().is_nan());
    let empty = tape.param(Tensor::zeros(&[2, 0])).logsumexp(1, false);
    assert_eq!(empty.value().data(), &[-inf, -inf]);
}

#[test]
fn logsumexp_matches_log_of_sum_of_exp() {
    let x = rand(&[3, 4, 5], 1);
    let tape = Tape::new();
    let v = tape.constant(x);
    for axis in 0..3 {
        let direct = v.exp().sum(axis, false).log().value();
        assert_close(v.logsumexp(axis, false).value().data(), direct.data(), 1e-6);
    }
}

#[test]
fn gradcheck_fixed_shapes() {
    assert_gradients(&[between(&[3, 4], -0.9, 3.0, 2)], |_, v| v[0].log1p());
    assert_gradients(&[between(&[3, 4], 0.5, 6.0, 3)], |_, v| v[0].lgamma());
    let x = rand(&[2, 3, 4], 4);
    for axis in 0..3 {
        for keep in [false, true] {
            assert_gradients(std::slice::from_ref(&x), |_, v| v[0].logsumexp(axis, keep));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]
    #[test]
    fn prop_special_ops(
        a in 1usize..4,
        b in 1usize..4,
        c in 1usize..4,
        axis in 0usize..3,
        keep in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let x = rand(&[a, b, c], seed).map(|v| 3.0 * v);
        let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].logsumexp(axis, keep));
        prop_assert!(res.is_ok(), "logsumexp axis {axis}: {res:?}");
        let res = gradcheck(&[between(&[a, b], 0.5, 8.0, seed)], |_, v| v[0].lgamma());
        prop_assert!(res.is_ok(), "lgamma: {res:?}");
        let res = gradcheck(&[between(&[a, b], -0.8, 4.0, seed)], |_, v| v[0].log1p());
        prop_assert!(res.is_ok(), "log1p: {res:?}");
    }
}
