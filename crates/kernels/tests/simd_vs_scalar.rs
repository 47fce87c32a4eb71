//! Every SIMD kernel against its scalar twin, at every SIMD level this CPU has: odd lengths
//! (0..=1000 plus 1, 7, 15, 17, 33, 1023...), slices starting at unaligned offsets of a bigger
//! buffer, outputs checked for writes outside their slice, errors within the bounds stated in
//! the kernels' doc comments. Special values (NaN, ±inf, huge inputs) are in `special_values.rs`.

mod common;

use common::{ErrBound, buf, check_map1, check_map2, lens};
use neurodiv_kernels::{elementwise as ew, scalar};
use proptest::prelude::*;

/// Both bit-identical (or both NaN; `-0 == 0`).
const EXACT: ErrBound = ErrBound::EXACT;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arithmetic_is_exact(a in buf(-1e3, 1e3), b in buf(-1e3, 1e3)) {
        check_map2("add", ew::add, scalar::add, &a, &b, EXACT)?;
        check_map2("sub", ew::sub, scalar::sub, &a, &b, EXACT)?;
        check_map2("mul", ew::mul, scalar::mul, &a, &b, EXACT)?;
        check_map2("div", ew::div, scalar::div, &a, &b, EXACT)?;
    }

    #[test]
    fn axpy_and_scale_are_exact(x in buf(-1e3, 1e3), y in buf(-1e3, 1e3), alpha in -3.0f32..3.0) {
        let fwd = |x: &[f32], y: &[f32], out: &mut [f32]| {
            let n = out.len().min(y.len());
            out[..n].copy_from_slice(&y[..n]);
            ew::axpy(alpha, x, out);
        };
        let twin = |x: &[f32], y: &[f32], out: &mut [f32]| {
            let n = out.len().min(y.len());
            out[..n].copy_from_slice(&y[..n]);
            scalar::axpy(alpha, x, out);
        };
        check_map2("axpy", fwd, twin, &x, &y, EXACT)?;
        let fwd = |x: &[f32], out: &mut [f32]| {
            out.copy_from_slice(&x[..out.len()]);
            ew::scale(alpha, out);
        };
        let twin = |x: &[f32], out: &mut [f32]| {
            out.copy_from_slice(&x[..out.len()]);
            scalar::scale(alpha, out);
        };
        check_map1("scale", fwd, twin, &x, EXACT)?;
    }

    #[test]
    fn piecewise_linear_is_exact(x in buf(-10.0, 10.0), gy in buf(-2.0, 2.0), slope in 0.0f32..0.5) {
        check_map1("relu", ew::relu, scalar::relu, &x, EXACT)?;
        let lr = |x: &[f32], o: &mut [f32]| ew::leaky_relu(x, slope, o);
        let lr_twin = |x: &[f32], o: &mut [f32]| scalar::leaky_relu(x, slope, o);
        check_map1("leaky_relu", lr, lr_twin, &x, EXACT)?;
        check_map2("relu_backward", ew::relu_backward, scalar::relu_backward, &x, &gy, EXACT)?;
        let lrb = |x: &[f32], g: &[f32], o: &mut [f32]| ew::leaky_relu_backward(x, slope, g, o);
        let lrb_twin =
            |x: &[f32], g: &[f32], o: &mut [f32]| scalar::leaky_relu_backward(x, slope, g, o);
        check_map2("leaky_relu_backward", lrb, lrb_twin, &x, &gy, EXACT)?;
    }

    #[test]
    fn output_backwards_are_exact(y in buf(-1.0, 1.0), gy in buf(-2.0, 2.0)) {
        check_map2("tanh_backward", ew::tanh_backward, scalar::tanh_backward, &y, &gy, EXACT)?;
        check_map2(
            "sigmoid_backward", ew::sigmoid_backward, scalar::sigmoid_backward, &y, &gy, EXACT,
        )?;
    }

    #[test]
    fn exp_within_2_ulp(x in buf(-20.0, 20.0), wide in buf(-87.0, 88.7)) {
        check_map1("exp", ew::exp, scalar::exp, &x, ErrBound::rel(2.4e-7))?;
        check_map1("exp", ew::exp, scalar::exp, &wide, ErrBound::rel(2.4e-7))?;
    }

    #[test]
    fn log_within_3_ulp(
        x in buf(1e-3, 100.0),
        wide in (lens(), 0usize..8).prop_flat_map(|(n, off)| {
            (prop::collection::vec((-40.0f32..38.0).prop_map(|e| 10f32.powf(e)), n + off), Just(off))
        }),
    ) {
        check_map1("log", ew::log, scalar::log, &x, ErrBound::rel(3.6e-7))?;
        check_map1("log", ew::log, scalar::log, &wide, ErrBound::rel(3.6e-7))?;
    }

    #[test]
    fn activations_within_bounds(x in buf(-10.0, 10.0)) {
        check_map1("tanh", ew::tanh, scalar::tanh, &x, ErrBound::rel(3.6e-7))?;
        check_map1("sigmoid", ew::sigmoid, scalar::sigmoid, &x, ErrBound::rel(3.6e-7))?;
        check_map1("softplus", ew::softplus, scalar::softplus, &x, ErrBound::rel(4.8e-7))?;
        check_map1("silu", ew::silu, scalar::silu, &x, ErrBound::rel(3.6e-7))?;
        check_map1("gelu", ew::gelu, scalar::gelu, &x, ErrBound::abs_x(3.6e-7))?;
    }

    #[test]
    fn activations_wide_range(x in buf(-100.0, 100.0)) {
        check_map1("tanh", ew::tanh, scalar::tanh, &x, ErrBound::rel(3.6e-7))?;
        check_map1("sigmoid", ew::sigmoid, scalar::sigmoid, &x, ErrBound::rel(3.6e-7))?;
        check_map1("softplus", ew::softplus, scalar::softplus, &x, ErrBound::rel(4.8e-7))?;
        check_map1("gelu", ew::gelu, scalar::gelu, &x, ErrBound::abs_x(3.6e-7))?;
    }

    #[test]
    fn activation_backwards_within_bounds(x in buf(-10.0, 10.0), gy in buf(-2.0, 2.0)) {
        check_map2(
            "softplus_backward", ew::softplus_backward, scalar::softplus_backward, &x, &gy,
            ErrBound::rel(3.6e-7),
        )?;
        check_map2(
            "silu_backward", ew::silu_backward, scalar::silu_backward, &x, &gy,
            ErrBound::abs_x_gy(3.6e-7),
        )?;
        check_map2(
            "gelu_backward", ew::gelu_backward, scalar::gelu_backward, &x, &gy,
            ErrBound::abs_x_gy(4.8e-7),
        )?;
    }
}
