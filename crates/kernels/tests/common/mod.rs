//! Shared helpers of the kernel tests: input strategies and comparison against the twins at
//! every SIMD level.
#![allow(dead_code)]

use neurodiv_kernels::simd::{available_levels, with_simd_level};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Written around output slices; must survive every kernel call.
pub const SENTINEL: f32 = -12_345.5;

/// Lengths 0..=1000, with the awkward ones (around lane counts, and 1023) drawn often.
pub fn lens() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => 0usize..=1000,
        2 => prop::sample::select(vec![0usize, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1023]),
    ]
}

/// A buffer of `len + off` values uniform in `[lo, hi)` and the offset `off` (0..8) at which the
/// slice under test starts.
pub fn buf(lo: f32, hi: f32) -> impl Strategy<Value = (Vec<f32>, usize)> {
    (lens(), 0usize..8)
        .prop_flat_map(move |(n, off)| (prop::collection::vec(lo..hi, n + off), Just(off)))
}

/// An error bound: `|got - want| <= rel |want| + abs_x max(1, |x|) + abs_x_gy max(1, |x|) |gy|`,
/// plus two subnormal steps (2^-148) for inexact kernels, whose relative error means nothing on
/// subnormal results. NaN must match NaN and infinities must be equal.
#[derive(Debug, Clone, Copy)]
pub struct ErrBound {
    pub rel: f64,
    pub abs_x: f64,
    pub abs_x_gy: f64,
}

impl ErrBound {
    pub const EXACT: ErrBound = ErrBound {
        rel: 0.0,
        abs_x: 0.0,
        abs_x_gy: 0.0,
    };
    pub fn rel(rel: f64) -> Self {
        ErrBound { rel, ..Self::EXACT }
    }
    pub fn abs_x(abs_x: f64) -> Self {
        ErrBound {
            abs_x,
            ..Self::EXACT
        }
    }
    pub fn abs_x_gy(abs_x_gy: f64) -> Self {
        ErrBound {
            abs_x_gy,
            ..Self::EXACT
        }
    }
    pub fn holds(&self, got: f32, want: f32, x: f32, gy: f32) -> bool {
        if got.is_nan() || want.is_nan() {
            return got.is_nan() && want.is_nan();
        }
        if got.is_infinite() || want.is_infinite() {
            return got == want;
        }
        let d = (got as f64 - want as f64).abs();
        let sx = (x.abs() as f64).max(1.0);
        let exact = self.rel == 0.0 && self.abs_x == 0.0 && self.abs_x_gy == 0.0;
        let floor = if exact {
            0.0
        } else {
            2.0 * f32::from_bits(1) as f64
        };
        // A zero coefficient contributes nothing (not 0 * inf = NaN for infinite x or gy).
        let term = |c: f64, scale: f64| if c == 0.0 { 0.0 } else { c * scale };
        d <= floor
            + term(self.rel, want.abs() as f64)
            + term(self.abs_x, sx)
            + term(self.abs_x_gy, sx * gy.abs() as f64)
    }
}

/// Runs `f` at every level into an output slice at an offset of a sentinel-filled buffer and
/// checks it against `want` (index-wise with `check`) and the sentinels.
pub fn run_levels(
    name: &str,
    n: usize,
    out_off: usize,
    f: impl Fn(&mut [f32]),
    check: impl Fn(usize, f32) -> bool,
) -> Result<(), TestCaseError> {
    for level in available_levels() {
        let mut out = vec![SENTINEL; out_off + n + 8];
        with_simd_level(level, || f(&mut out[out_off..out_off + n]));
        prop_assert!(
            out[..out_off]
                .iter()
                .chain(&out[out_off + n..])
                .all(|v| *v == SENTINEL),
            "{name} at {}: wrote outside its output (n = {n})",
            level.name()
        );
        for (i, got) in out[out_off..out_off + n].iter().enumerate() {
            prop_assert!(
                check(i, *got),
                "{name} at {}: index {i} of {n}: got {got}",
                level.name()
            );
        }
    }
    Ok(())
}

/// `f(x, out)` against `twin(x, out)`.
pub fn check_map1(
    name: &str,
    f: impl Fn(&[f32], &mut [f32]),
    twin: impl Fn(&[f32], &mut [f32]),
    (data, off): &(Vec<f32>, usize),
    bound: ErrBound,
) -> Result<(), TestCaseError> {
    let x = &data[*off..];
    let mut want = vec![0.0; x.len()];
    twin(x, &mut want);
    run_levels(
        name,
        x.len(),
        (off * 5 + 3) % 8,
        |out| f(x, out),
        |i, got| {
            let ok = bound.holds(got, want[i], x[i], 0.0);
            if !ok {
                eprintln!("{name}: x = {:e}: got {got:e}, want {:e}", x[i], want[i]);
            }
            ok
        },
    )
}

/// `f(a, b, out)` against `twin(a, b, out)` over the common length of `a` and `b`.
pub fn check_map2(
    name: &str,
    f: impl Fn(&[f32], &[f32], &mut [f32]),
    twin: impl Fn(&[f32], &[f32], &mut [f32]),
    (ad, aoff): &(Vec<f32>, usize),
    (bd, boff): &(Vec<f32>, usize),
    bound: ErrBound,
) -> Result<(), TestCaseError> {
    let (a, b) = (&ad[*aoff..], &bd[*boff..]);
    let n = a.len().min(b.len());
    let mut want = vec![0.0; n];
    twin(a, b, &mut want);
    run_levels(
        name,
        n,
        (aoff + boff + 1) % 8,
        |out| f(a, b, out),
        |i, got| {
            let ok = bound.holds(got, want[i], a[i], b[i]);
            if !ok {
                eprintln!(
                    "{name}: a = {:e}, b = {:e}: got {got:e}, want {:e}",
                    a[i], b[i], want[i]
                );
            }
            ok
        },
    )
}
