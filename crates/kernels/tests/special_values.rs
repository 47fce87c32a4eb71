//! NaN, infinities, zeros, subnormals and huge inputs: every SIMD kernel behaves like its
//! scalar twin (NaN exactly where the twin gives NaN, the same infinities, finite values within
//! the documented bound), at every SIMD level.

mod common;

use common::ErrBound;
use neurodiv_kernels::simd::{available_levels, with_simd_level};
use neurodiv_kernels::{elementwise as ew, rows, scalar};

/// 41 values (an odd count, so the vector tail sees specials too).
fn specials() -> Vec<f32> {
    vec![
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        1e-40,
        -1e-40,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        0.625,
        -0.625,
        1.0,
        -1.0,
        9.0,
        -9.0,
        20.0,
        -20.0,
        50.0,
        -50.0,
        88.72,
        88.73,
        89.0,
        -87.3,
        -88.0,
        -100.0,
        -103.9,
        -104.0,
        -150.0,
        100.0,
        1000.0,
        -1000.0,
        1e30,
        -1e30,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
        0.5,
        2.0,
        -f32::NAN,
    ]
}

fn assert_like_twin1(
    name: &str,
    f: fn(&[f32], &mut [f32]),
    twin: fn(&[f32], &mut [f32]),
    bound: ErrBound,
) {
    let x = specials();
    let mut want = vec![0.0; x.len()];
    twin(&x, &mut want);
    for level in available_levels() {
        // Every start offset, so each special lands in the vector body and in the tail.
        for off in 0..x.len() {
            let xs = &x[off..];
            let mut got = vec![0.0; xs.len()];
            with_simd_level(level, || f(xs, &mut got));
            for ((xv, g), w) in xs.iter().zip(&got).zip(&want[off..]) {
                assert!(
                    bound.holds(*g, *w, *xv, 0.0),
                    "{name} at {}: x = {xv:e}: got {g:e}, want {w:e}",
                    level.name()
                );
            }
        }
    }
}

fn assert_like_twin2(
    name: &str,
    f: fn(&[f32], &[f32], &mut [f32]),
    twin: fn(&[f32], &[f32], &mut [f32]),
    bound: ErrBound,
) {
    let x = specials();
    for gy in [1.0f32, -0.5, 0.0, f32::INFINITY, f32::NAN] {
        let g = vec![gy; x.len()];
        let mut want = vec![0.0; x.len()];
        twin(&x, &g, &mut want);
        for level in available_levels() {
            let mut got = vec![0.0; x.len()];
            with_simd_level(level, || f(&x, &g, &mut got));
            for ((xv, g), w) in x.iter().zip(&got).zip(&want) {
                assert!(
                    bound.holds(*g, *w, *xv, gy),
                    "{name} at {}: x = {xv:e}, gy = {gy}: got {g:e}, want {w:e}",
                    level.name()
                );
            }
        }
    }
}

#[test]
fn transcendentals_match_twins_on_specials() {
    assert_like_twin1("exp", ew::exp, scalar::exp, ErrBound::rel(2.4e-7));
    assert_like_twin1("log", ew::log, scalar::log, ErrBound::rel(3.6e-7));
    assert_like_twin1("tanh", ew::tanh, scalar::tanh, ErrBound::rel(3.6e-7));
    assert_like_twin1(
        "sigmoid",
        ew::sigmoid,
        scalar::sigmoid,
        ErrBound::rel(3.6e-7),
    );
    assert_like_twin1(
        "softplus",
        ew::softplus,
        scalar::softplus,
        ErrBound::rel(4.8e-7),
    );
    assert_like_twin1("silu", ew::silu, scalar::silu, ErrBound::rel(3.6e-7));
    assert_like_twin1("gelu", ew::gelu, scalar::gelu, ErrBound::abs_x(3.6e-7));
    assert_like_twin1("relu", ew::relu, scalar::relu, ErrBound::EXACT);
}

#[test]
fn backwards_match_twins_on_specials() {
    let b = ErrBound::abs_x_gy(4.8e-7);
    assert_like_twin2("gelu_backward", ew::gelu_backward, scalar::gelu_backward, b);
    assert_like_twin2("silu_backward", ew::silu_backward, scalar::silu_backward, b);
    let s = ErrBound::rel(3.6e-7);
    assert_like_twin2(
        "softplus_backward",
        ew::softplus_backward,
        scalar::softplus_backward,
        s,
    );
    let e = ErrBound::EXACT;
    assert_like_twin2("relu_backward", ew::relu_backward, scalar::relu_backward, e);
    assert_like_twin2("tanh_backward", ew::tanh_backward, scalar::tanh_backward, e);
    assert_like_twin2(
        "sigmoid_backward",
        ew::sigmoid_backward,
        scalar::sigmoid_backward,
        e,
    );
}

#[test]
fn saturation_and_overflow() {
    for level in available_levels() {
        with_simd_level(level, || {
            let x = [100.0f32, 89.0, -100.0, -1000.0, 50.0, -50.0, 0.0];
            let mut y = [0.0f32; 7];
            ew::exp(&x, &mut y);
            assert_eq!(y[0], f32::INFINITY);
            assert_eq!(y[1], f32::INFINITY);
            assert!(y[2] >= 0.0 && y[2] < 1e-43, "exp(-100) = {}", y[2]);
            assert_eq!(y[3], 0.0);
            assert_eq!(y[6], 1.0);
            ew::tanh(&x, &mut y);
            assert_eq!((y[4], y[5], y[6]), (1.0, -1.0, 0.0));
            ew::sigmoid(&x, &mut y);
            assert_eq!((y[0], y[4], y[6]), (1.0, 1.0, 0.5));
            assert!(y[3] == 0.0 && y[2] < 1e-43);
            let big: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) * 5e28).collect();
            let mut out = vec![0.0; big.len()];
            for f in [ew::tanh, ew::sigmoid, ew::softplus, ew::silu, ew::gelu] {
                f(&big, &mut out);
                assert!(out.iter().all(|v| !v.is_nan()), "NaN from a large input");
            }
            ew::log(&[1.0, f32::from_bits(1), 0.0, -1.0], &mut y[..4]);
            assert_eq!(y[0], 0.0);
            assert!(
                (y[1] - (-103.278_93)).abs() < 1e-4,
                "log of the smallest subnormal"
            );
            assert_eq!(y[2], f32::NEG_INFINITY);
            assert!(y[3].is_nan());
        });
    }
}

/// Row kernels on rows with infinities and NaN, in the vector body and in the tail.
#[test]
fn row_kernels_on_specials() {
    let cols = 37;
    let mut x: Vec<f32> = (0..cols * 6)
        .map(|i| ((i * 37) % 23) as f32 - 11.0)
        .collect();
    x[3] = f32::NEG_INFINITY; // row 0: -inf in the body
    x[cols - 1] = f32::NEG_INFINITY; // row 0: -inf in the tail
    x[cols + 5] = f32::NAN; // row 1: NaN
    x[2 * cols + 36] = f32::INFINITY; // row 2: +inf
    x[3 * cols..4 * cols].fill(f32::NEG_INFINITY); // row 3: all -inf
    x[4 * cols..5 * cols].fill(f32::NAN); // row 4: all NaN
    x[5 * cols] = 1e30; // row 5: huge
    x[5 * cols + 1] = -1e30;
    type RowFn = fn(&[f32], usize, &mut [f32]);
    let cases: [(&str, RowFn, RowFn, usize); 5] = [
        ("softmax", rows::softmax_rows, scalar::softmax_rows, cols),
        (
            "log_softmax",
            rows::log_softmax_rows,
            scalar::log_softmax_rows,
            cols,
        ),
        ("max", rows::max_rows, scalar::max_rows, 1),
        ("sum", rows::sum_rows, scalar::sum_rows, 1),
        ("mean", rows::mean_rows, scalar::mean_rows, 1),
    ];
    for (name, f, twin, out_cols) in cases {
        let mut want = vec![0.0; 6 * out_cols];
        twin(&x, cols, &mut want);
        for level in available_levels() {
            let mut got = vec![0.0; 6 * out_cols];
            with_simd_level(level, || f(&x, cols, &mut got));
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                // Sums may differ by their summation-order bound (row 5 cancels 1e30 - 1e30).
                let row = &x[(i / out_cols) * cols..(i / out_cols + 1) * cols];
                let abs_sum: f32 = row.iter().filter(|v| v.is_finite()).map(|v| v.abs()).sum();
                let order = 2.0 * cols as f32 * f32::EPSILON * abs_sum;
                let ok = if w.is_nan() || g.is_nan() {
                    w.is_nan() && g.is_nan()
                } else if w.is_infinite() {
                    g == w
                } else {
                    (g - w).abs() <= 1e-5 * (1.0 + w.abs()) + order
                };
                assert!(ok, "{name} at {}: [{i}] got {g}, want {w}", level.name());
            }
        }
    }
    let mut m = vec![0.0; 6];
    rows::max_rows(&x, cols, &mut m);
    assert_eq!(m[1], 11.0, "max ignores NaN");
    assert_eq!(m[4], f32::NEG_INFINITY, "max of an all-NaN row");
    let mut p = vec![0.0; 6 * cols];
    rows::softmax_rows(&x, cols, &mut p);
    assert_eq!(p[3], 0.0);
    assert_eq!(p[5 * cols], 1.0);
}
