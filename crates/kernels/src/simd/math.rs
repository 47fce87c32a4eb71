//! Vectorised transcendental functions, generic over [`pulp::Simd`].
//!
//! Polynomial coefficients come from `tools/fit_poly.py` (weighted minimax fits by Lawson's
//! algorithm in 50-digit arithmetic, rounded to f32). Error figures in the doc comments are
//! maximum errors against the scalar twins (which use the standard library's `f32`
//! functions), measured by `tests/measure_errors.rs` and enforced with some margin by
//! `tests/simd_vs_scalar.rs`; see [`crate::elementwise`] for both figures per kernel.
//!
//! Special values follow the scalar twins: NaN in, NaN out; every range clamp is written as a
//! compare + select, so a NaN passes through it whatever the ISA's min/max do with NaN.

use pulp::Simd;

use super::ops::{abs, bits, from_bits, neg, select};

/// Above this `exp` overflows to +inf (ln(f32::MAX) = 88.72).
const EXP_HI: f32 = 88.8;
/// Below this `exp` underflows to 0 (ln of half the smallest subnormal is -103.97).
const EXP_LO: f32 = -104.0;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// 1.5 * 2^23: adding it rounds to an integer, which then sits in the low mantissa bits.
const ROUND_MAGIC: f32 = 12_582_912.0;
const ROUND_MAGIC_BITS: u32 = 0x4B40_0000;
/// ln 2 split so that `n * LN2_HI` is exact for |n| < 256 (Cody-Waite reduction).
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
const TWO_P64: f32 = f32::from_bits((127 + 64) << 23);
const TWO_M64: f32 = f32::from_bits((127 - 64) << 23);
const TWO_P23: f32 = 8_388_608.0;

/// `exp(r) = 1 + r + r^2 P(r)` on |r| <= ln2/2; relative error of the fit 3.8e-9.
const EXP_P: [f32; 5] = [
    0.499_999_94,
    0.166_665_21,
    0.041_668_39,
    0.008_368_71,
    0.001_381_461_3,
];
/// `ln(m) = 2s + s^3 R(s^2)`, `s = (m-1)/(m+1)`, m in [sqrt(1/2), sqrt(2)]; fit error 4.4e-10.
const LOG_R: [f32; 4] = [0.666_666_6, 0.400_003_34, 0.285_373_48, 0.235_814_72];
/// `tanh(x) = x + x^3 T(x^2)` on |x| < 0.625; relative error of the fit 8.6e-9.
const TANH_T: [f32; 5] = [
    -0.333_332_8,
    0.133_314_42,
    -0.053_739_715,
    0.020_639_086,
    -0.005_704_987,
];
const TANH_SMALL: f32 = 0.625;

/// Abramowitz & Stegun 7.1.26, the same constants as [`crate::scalar::erf`].
const ERF_P: f32 = 0.327_591_1;
const ERF_A: [f32; 5] = [
    0.254_829_6,
    -0.284_496_74,
    1.421_413_7,
    -1.453_152_1,
    1.061_405_4,
];
const INV_SQRT_2PI: f32 = 0.398_942_3;

/// `c[0] + c[1] x + c[2] x^2 + ...` by Horner's rule with fused multiply-adds.
#[inline(always)]
fn horner<S: Simd, const N: usize>(s: S, x: S::f32s, c: &[f32; N]) -> S::f32s {
    let mut acc = s.splat_f32s(c[N - 1]);
    for &ci in c[..N - 1].iter().rev() {
        acc = s.mul_add_f32s(acc, x, s.splat_f32s(ci));
    }
    acc
}

/// `x` with every lane clamped to `[lo, hi]`; NaN lanes stay NaN.
#[inline(always)]
fn clamp<S: Simd>(s: S, x: S::f32s, lo: f32, hi: f32) -> S::f32s {
    let (lo, hi) = (s.splat_f32s(lo), s.splat_f32s(hi));
    let x = select(s, s.greater_than_f32s(x, hi), hi, x);
    select(s, s.less_than_f32s(x, lo), lo, x)
}

/// `|y|` with the sign bit of `x`.
#[inline(always)]
fn copysign<S: Simd>(s: S, y: S::f32s, x: S::f32s) -> S::f32s {
    let sign = s.and_f32s(x, s.splat_f32s(-0.0));
    s.or_f32s(abs(s, y), sign)
}

/// `e^x`. Range reduction `x = n ln2 + r`, degree-6 polynomial for `e^r`, then scaling by
/// `2^n` in two exact steps so that subnormal results and the overflow edge come out right.
/// Max relative error vs `f32::exp` on normal results: 1.2e-7 measured; overflow gives +inf,
/// `x < -104` gives 0, subnormal results are within 2 subnormal steps.
#[inline(always)]
pub(crate) fn exp<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let x = clamp(s, x, EXP_LO, EXP_HI);
    let magic = s.splat_f32s(ROUND_MAGIC);
    // t = 1.5 * 2^23 + n with n = round(x / ln2), |n| <= 151 after the clamp.
    let t = s.mul_add_f32s(x, s.splat_f32s(LOG2_E), magic);
    let n = s.sub_f32s(t, magic);
    let r = s.negate_mul_add_f32s(n, s.splat_f32s(LN2_HI), x);
    let r = s.negate_mul_add_f32s(n, s.splat_f32s(LN2_LO), r);
    let p = horner(s, r, &EXP_P);
    let e = s.add_f32s(s.mul_add_f32s(s.mul_f32s(r, r), p, r), s.splat_f32s(1.0));
    // 2^n = 2^(n + 64) * 2^-64 for n < 0, 2^(n - 64) * 2^64 otherwise; both factors normal.
    let neg = s.less_than_f32s(n, s.splat_f32s(0.0));
    let bias = s.select_u32s(
        neg,
        s.splat_u32s((127 + 64u32).wrapping_sub(ROUND_MAGIC_BITS)),
        s.splat_u32s((127 - 64u32).wrapping_sub(ROUND_MAGIC_BITS)),
    );
    let scale1 = from_bits(
        s,
        s.wrapping_dyn_shl_u32s(s.add_u32s(bits(s, t), bias), s.splat_u32s(23)),
    );
    let scale2 = select(s, neg, s.splat_f32s(TWO_M64), s.splat_f32s(TWO_P64));
    s.mul_f32s(s.mul_f32s(e, scale1), scale2)
}

/// `ln x`. Exponent/mantissa split `x = 2^e m`, m in [sqrt(1/2), sqrt(2)], then
/// `ln m = 2 atanh((m-1)/(m+1))` by a minimax polynomial. Subnormal inputs are rescaled first.
/// Max relative error vs `f32::ln`: 2.4e-7 measured; `ln 0 = -inf`, `ln(x<0) = NaN`,
/// `ln inf = inf`.
#[inline(always)]
pub(crate) fn log<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let zero = s.splat_f32s(0.0);
    let one = s.splat_f32s(1.0);
    let tiny = s.less_than_f32s(x, s.splat_f32s(f32::MIN_POSITIVE));
    let xs = select(s, tiny, s.mul_f32s(x, s.splat_f32s(TWO_P23)), x);
    let bits = bits(s, xs);
    let m = from_bits(
        s,
        s.or_u32s(
            s.and_u32s(bits, s.splat_u32s(0x007F_FFFF)),
            s.splat_u32s(0x3F80_0000),
        ),
    );
    let big = s.greater_than_f32s(m, s.splat_f32s(std::f32::consts::SQRT_2));
    let m = select(s, big, s.mul_f32s(m, s.splat_f32s(0.5)), m);
    // Biased exponent e_b in 0..=255 read as a float: bits(2^23 + e_b) - (2^23 + 127) = e.
    let e_b = s.wrapping_dyn_shr_u32s(bits, s.splat_u32s(23));
    let e = s.sub_f32s(
        from_bits(s, s.or_u32s(e_b, s.splat_u32s(0x4B00_0000))),
        s.splat_f32s(8_388_735.0),
    );
    let e = s.add_f32s(e, select(s, big, one, zero));
    let e = s.sub_f32s(e, select(s, tiny, s.splat_f32s(23.0), zero));
    let sv = s.div_f32s(s.sub_f32s(m, one), s.add_f32s(m, one));
    let z = s.mul_f32s(sv, sv);
    let r = horner(s, z, &LOG_R);
    let lo = s.mul_add_f32s(s.mul_f32s(sv, z), r, s.mul_f32s(e, s.splat_f32s(LN2_LO)));
    let res = s.mul_add_f32s(e, s.splat_f32s(LN2_HI), s.add_f32s(s.add_f32s(sv, sv), lo));
    let res = select(
        s,
        s.equal_f32s(x, zero),
        s.splat_f32s(f32::NEG_INFINITY),
        res,
    );
    let res = select(
        s,
        s.equal_f32s(x, s.splat_f32s(f32::INFINITY)),
        s.splat_f32s(f32::INFINITY),
        res,
    );
    select(
        s,
        s.greater_than_or_equal_f32s(x, zero),
        res,
        s.splat_f32s(f32::NAN),
    )
}

/// `ln(1 + u)` for `u` in [0, 1] (or NaN), accurate for tiny `u`: `ln(w) * u / (w - 1)` with
/// `w = 1 + u` (the rounding of `w` cancels out), and `u` itself when `w == 1`.
#[inline(always)]
fn log1p_unit<S: Simd>(s: S, u: S::f32s) -> S::f32s {
    let w = s.add_f32s(s.splat_f32s(1.0), u);
    let d = s.sub_f32s(w, s.splat_f32s(1.0));
    let l = s.mul_f32s(log(s, w), s.div_f32s(u, d));
    select(s, s.equal_f32s(d, s.splat_f32s(0.0)), u, l)
}

/// `tanh x`: odd minimax polynomial for |x| < 0.625, `1 - 2 / (e^{2|x|} + 1)` above, sign
/// restored last. Max relative error vs `f32::tanh`: 2.2e-7 measured; `tanh(±inf) = ±1`.
#[inline(always)]
pub(crate) fn tanh<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let ax = abs(s, x);
    let z = s.mul_f32s(ax, ax);
    let small = s.mul_add_f32s(s.mul_f32s(ax, z), horner(s, z, &TANH_T), ax);
    let e = exp(s, s.add_f32s(ax, ax));
    let one = s.splat_f32s(1.0);
    let big = s.sub_f32s(one, s.div_f32s(s.splat_f32s(2.0), s.add_f32s(e, one)));
    let y = select(
        s,
        s.less_than_f32s(ax, s.splat_f32s(TANH_SMALL)),
        small,
        big,
    );
    copysign(s, y, x)
}

/// `1 / (1 + e^-x)` as the twin computes it: `1 / (1 + e)` for `x >= 0`, `e / (1 + e)`
/// otherwise, with `e = e^-|x|`. Max relative error vs the twin: 1.8e-7 measured.
#[inline(always)]
pub(crate) fn sigmoid<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let e = exp(s, neg(s, abs(s, x)));
    let one = s.splat_f32s(1.0);
    let num = select(
        s,
        s.greater_than_or_equal_f32s(x, s.splat_f32s(0.0)),
        one,
        e,
    );
    s.div_f32s(num, s.add_f32s(one, e))
}

/// `max(x, 0) + ln(1 + e^-|x|)`, as the twin. Max relative error vs the twin: 3.6e-7
/// measured.
#[inline(always)]
pub(crate) fn softplus<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let zero = s.splat_f32s(0.0);
    let pos = select(s, s.greater_than_f32s(x, zero), x, zero);
    let e = exp(s, neg(s, abs(s, x)));
    s.add_f32s(pos, log1p_unit(s, e))
}

/// The twin's `erf` (A&S 7.1.26, absolute error below 1.5e-7 against the true erf), with the
/// exponential vectorised. The difference from the twin is a few ulp of 1 (absolute).
#[inline(always)]
pub(crate) fn erf<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let one = s.splat_f32s(1.0);
    let a = abs(s, x);
    let t = s.div_f32s(one, s.mul_add_f32s(s.splat_f32s(ERF_P), a, one));
    let poly = s.mul_f32s(t, horner(s, t, &ERF_A));
    let g = exp(s, neg(s, s.mul_f32s(a, a)));
    let y = s.negate_mul_add_f32s(poly, g, one);
    select(s, s.less_than_f32s(x, s.splat_f32s(0.0)), neg(s, y), y)
}

/// Exact GELU `0.5 x (1 + erf(x / sqrt 2))`, with the twin's erf.
#[inline(always)]
pub(crate) fn gelu<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let c = erf(
        s,
        s.mul_f32s(x, s.splat_f32s(std::f32::consts::FRAC_1_SQRT_2)),
    );
    s.mul_f32s(
        s.mul_f32s(s.splat_f32s(0.5), x),
        s.add_f32s(s.splat_f32s(1.0), c),
    )
}

/// Derivative of exact GELU: `Phi(x) + x phi(x)`.
#[inline(always)]
pub(crate) fn gelu_grad<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let c = erf(
        s,
        s.mul_f32s(x, s.splat_f32s(std::f32::consts::FRAC_1_SQRT_2)),
    );
    let cdf = s.mul_f32s(s.splat_f32s(0.5), s.add_f32s(s.splat_f32s(1.0), c));
    let g = exp(s, s.mul_f32s(s.mul_f32s(s.splat_f32s(-0.5), x), x));
    let pdf = s.mul_f32s(s.splat_f32s(INV_SQRT_2PI), g);
    s.mul_add_f32s(x, pdf, cdf)
}
