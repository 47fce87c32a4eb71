//! avg_pool1d, max_pool1d, moving_average, interpolate1d and unfold: hand cases (PyTorch's
//! figures) and gradient checks.

mod common;

use common::{assert_close, distinct, gradcheck, grads_of, rand};
use neurodiv_autodiff::Tensor;
use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::ops::InterpolateMode;
use proptest::prelude::*;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec())
}

#[test]
fn max_pool_hand_cases() {
    // NHITS: MaxPool1d(kernel_size=2, stride=2, ceil_mode=True) keeps the ragged last window.
    let x = t(&[1, 1, 5], &[1., 3., 2., 5., 4.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].max_pool1d(2, 2, 0, true)
    });
    assert_eq!(y.shape(), &[1, 1, 3]);
    assert_eq!(y.data(), &[3., 5., 4.]);
    assert_eq!(g[0].data(), &[0., 1., 0., 1., 1.]);
    let (y, _) = grads_of(&[x], None, |_, v| v[0].max_pool1d(2, 2, 0, false));
    assert_eq!(y.data(), &[3., 5.]);
    // Padding never wins, even over negative values.
    let x = t(&[1, 3], &[-1., -2., -3.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].max_pool1d(2, 1, 1, false));
    assert_eq!(y.data(), &[-1., -1., -2., -3.]);
    assert_eq!(g[0].data(), &[2., 1., 1.]);
    let x = t(&[4], &[1., 2., 3., 4.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].max_pool1d(3, 2, 1, false));
    assert_eq!(y.data(), &[2., 4.]);
    assert_eq!(g[0].data(), &[0., 1., 0., 1.]);
}

#[test]
fn avg_pool_hand_cases() {
    let x = t(&[1, 1, 5], &[1., 3., 2., 5., 4.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].avg_pool1d(2, 2, 0, true));
    // The ragged ceil_mode window is divided by its clipped size (1), as PyTorch does.
    assert_eq!(y.data(), &[2., 3.5, 4.]);
    assert_eq!(g[0].data(), &[0.5, 0.5, 0.5, 0.5, 1.]);
    // count_include_pad: the zero padding counts in the divisor.
    let x = t(&[1, 4], &[1., 2., 3., 4.]);
    let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].avg_pool1d(3, 2, 1, false)
    });
    assert_close(y.data(), &[1., 3.], 1e-6);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].avg_pool1d(3, 2, 1, true));
    assert_close(y.data(), &[1., 3., 2.], 1e-6);
    assert_close(
        g[0].data(),
        &[1. / 3., 2. / 3., 1. / 3., 1. / 3. + 0.5],
        1e-6,
    );
}

#[test]
fn ceil_mode_drops_a_window_starting_in_the_right_padding() {
    // L = 5, k = 2, s = 3, p = 1: a third window would start at 6 - 1 = 5, past the input.
    let x = rand(&[1, 5], 1);
    let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].max_pool1d(2, 3, 1, true)
    });
    assert_eq!(y.shape(), &[1, 2]);
    let (y, _) = grads_of(&[x], None, |_, v| v[0].avg_pool1d(2, 3, 1, true));
    assert_eq!(y.shape(), &[1, 2]);
}

#[test]
fn interpolate_hand_cases() {
    let x = t(&[1, 1, 3], &[1., 2., 3.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].interpolate1d(5, InterpolateMode::Nearest)
    });
    assert_eq!(y.data(), &[1., 1., 2., 2., 3.]);
    assert_eq!(g[0].data(), &[2., 2., 1.]);
    let x = t(&[1, 1, 4], &[1., 2., 3., 4.]);
    let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].interpolate1d(2, InterpolateMode::Nearest)
    });
    assert_eq!(y.data(), &[1., 3.]);
    let (y, g) = grads_of(&[x], None, |_, v| {
        v[0].interpolate1d(2, InterpolateMode::Linear)
    });
    assert_close(y.data(), &[1.5, 3.5], 1e-6);
    assert_close(g[0].data(), &[0.5, 0.5, 0.5, 0.5], 1e-6);
    // F.interpolate(tensor([[[1., 3.]]]), size=4, mode='linear') == [1.0, 1.5, 2.5, 3.0]
    let x = t(&[1, 1, 2], &[1., 3.]);
    let (y, g) = grads_of(&[x], None, |_, v| {
        v[0].interpolate1d(4, InterpolateMode::Linear)
    });
    assert_close(y.data(), &[1., 1.5, 2.5, 3.], 1e-6);
    assert_close(g[0].data(), &[2., 2.], 1e-6);
    // Same length: identity in both modes.
    let x = rand(&[2, 3], 2);
    for mode in [InterpolateMode::Nearest, InterpolateMode::Linear] {
        let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
            v[0].interpolate1d(3, mode)
        });
        assert_eq!(y, x);
    }
}

#[test]
fn unfold_hand_cases() {
    let x = t(&[5], &[1., 2., 3., 4., 5.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].unfold(0, 2, 2));
    assert_eq!(y.shape(), &[2, 2]);
    assert_eq!(y.data(), &[1., 2., 3., 4.]);
    assert_eq!(g[0].data(), &[1., 1., 1., 1., 0.]);
    let x = t(&[1, 4], &[1., 2., 3., 4.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].unfold(1, 3, 1));
    assert_eq!(y.shape(), &[1, 2, 3]);
    assert_eq!(y.data(), &[1., 2., 3., 2., 3., 4.]);
    assert_eq!(g[0].data(), &[1., 2., 2., 1.]);
    // Not the last axis: the patch still goes to a new trailing axis.
    let x = t(&[3, 2], &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].unfold(0, 2, 1));
    assert_eq!(y.shape(), &[2, 2, 2]);
    assert_eq!(y.data(), &[1., 3., 2., 4., 3., 5., 4., 6.]);
    assert_eq!(g[0].data(), &[1., 1., 2., 2., 1., 1.]);
}

#[test]
fn moving_average_hand_case_and_the_padded_pool_it_replaces() {
    // Window 3 on [1, 2, 4]: padded [1, 1, 2, 4, 4] -> means [4/3, 7/3, 10/3].
    let x = t(&[1, 3], &[1., 2., 4.]);
    let (y, g) = grads_of(&[x], None, |_, v| v[0].moving_average(1, 3));
    assert_close(y.data(), &[4. / 3., 7. / 3., 10. / 3.], 1e-6);
    // x0 is read twice by out0 and once by out1; x1 once by each; x2 once by out1, twice by out2.
    assert_close(g[0].data(), &[1., 1., 1.], 1e-6);
    // Along a middle axis, against NeuralForecast's recipe: repeat the ends, avg_pool1d, on the
    // transposed tensor (window 5 wider than the series, so the padding dominates).
    let x = rand(&[2, 4, 3], 7);
    let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].moving_average(1, 5)
    });
    let (want, _) = grads_of(&[x], None, |_, v| {
        let xt = v[0].transpose(1, 2); // [B, T, C] -> [B, C, T]
        let front = xt.slice(2, 0, 1).repeat(2, 2);
        let end = xt.slice(2, 3, 4).repeat(2, 2);
        neurodiv_autodiff::Var::concat(&[front, xt, end], 2)
            .reshape(&[6, 1, 8])
            .avg_pool1d(5, 1, 0, false)
            .reshape(&[2, 3, 4])
            .transpose(1, 2)
    });
    assert_close(y.data(), want.data(), 1e-6);
}

#[test]
fn moving_average_does_not_depend_on_the_thread_count() {
    let x = rand(&[8, 64, 96], 11); // above the parallel threshold
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        pool.install(|| {
            grads_of(std::slice::from_ref(&x), None, |_, v| {
                v[0].moving_average(1, 25)
            })
        })
    };
    let ((y1, g1), (y2, g2)) = (run(1), run(2));
    assert_eq!(y1.data(), y2.data());
    assert_eq!(g1[0].data(), g2[0].data());
}

#[test]
fn gradcheck_fixed_shapes() {
    let x = distinct(&[2, 3, 7], 3);
    for (k, s, p, ceil) in [
        (2, 2, 0, true),
        (3, 2, 1, false),
        (3, 2, 1, true),
        (4, 3, 2, true),
    ] {
        assert_gradients(std::slice::from_ref(&x), |_, v| {
            v[0].max_pool1d(k, s, p, ceil)
        });
        assert_gradients(std::slice::from_ref(&x), |_, v| {
            v[0].avg_pool1d(k, s, p, ceil)
        });
    }
    for size in [1, 3, 7, 10, 14, 15] {
        for mode in [InterpolateMode::Nearest, InterpolateMode::Linear] {
            assert_gradients(std::slice::from_ref(&x), |_, v| {
                v[0].interpolate1d(size, mode)
            });
        }
    }
    for axis in 0..3 {
        assert_gradients(std::slice::from_ref(&x), |_, v| v[0].unfold(axis, 2, 1));
        for window in [1, 3, 5, 9] {
            assert_gradients(std::slice::from_ref(&x), |_, v| {
                v[0].moving_average(axis, window)
            });
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]
    #[test]
    fn prop_pools(
        rows in 1usize..3, l in 1usize..8, k in 1usize..4, s in 1usize..4,
        p in 0usize..2, ceil in any::<bool>(), seed in 0u64..1000,
    ) {
        prop_assume!(p <= k / 2 && l + 2 * p >= k);
        let x = distinct(&[rows, 1, l], seed);
        let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].max_pool1d(k, s, p, ceil));
        prop_assert!(res.is_ok(), "max_pool1d {:?}", res);
        let res = gradcheck(&[x], |_, v| v[0].avg_pool1d(k, s, p, ceil));
        prop_assert!(res.is_ok(), "avg_pool1d {:?}", res);
    }

    #[test]
    fn prop_interpolate(rows in 1usize..3, l_in in 1usize..6, l_out in 1usize..12, seed in 0u64..1000) {
        let x = rand(&[rows, 2, l_in], seed);
        for mode in [InterpolateMode::Nearest, InterpolateMode::Linear] {
            let res = gradcheck(std::slice::from_ref(&x), |_, v| v[0].interpolate1d(l_out, mode));
            prop_assert!(res.is_ok(), "{:?} {:?}", mode, res);
        }
    }

    #[test]
    fn prop_unfold(
        a in 1usize..4, l in 1usize..7, size in 1usize..4, step in 1usize..4,
        axis in 0usize..2, seed in 0u64..1000,
    ) {
        let shape = if axis == 0 { [l, a] } else { [a, l] };
        prop_assume!(size <= l);
        let x = rand(&shape, seed);
        let res = gradcheck(&[x], |_, v| v[0].unfold(axis, size, step));
        prop_assert!(res.is_ok(), "{:?}", res);
    }
}
