//! Special functions of one value, in f64: `ln Γ`, digamma and trigamma.
//!
//! Each shifts its argument up to 10 with the recurrence `Γ(x + 1) = x Γ(x)`
//! and then sums the first terms of its asymptotic (Stirling) series, whose truncation error
//! there is below 1e-16; negative arguments go through the reflection formulas. Against 30-digit
//! references on 3,600 points in `[1e-8, 1e4]` the largest relative errors were 1.1e-14
//! (`lgamma`), 2.1e-15 (`digamma`) and 6.3e-16 (`trigamma`); where a result is below 0.5 in
//! magnitude (around the zeros of `ln Γ` at 1 and 2 and of `ψ` near 1.46) the error is
//! absolute instead, below 1e-14.
//!
//! Used by the distribution losses (`ln Γ` in the Student-t, Poisson and negative binomial
//! likelihoods, digamma and trigamma as its derivatives) and by the Poisson sampler.

use std::f64::consts::PI;

/// Arguments below this are shifted up by the recurrence before the asymptotic series.
const ASYMPTOTIC_FROM: f64 = 10.0;

/// `0.5 * ln(2π)`.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Coefficients `B_2k / (2k (2k - 1))` of Stirling's series for `ln Γ`, in powers of `1/x²`
/// after the leading `1/x` (`B_2k` the Bernoulli numbers): 1/12, -1/360, 1/1260, ...
const STIRLING: [f64; 7] = [
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360_360.0,
    1.0 / 156.0,
];

/// The Bernoulli numbers `B_2, B_4, ..., B_14`.
const BERNOULLI: [f64; 7] = [
    1.0 / 6.0,
    -1.0 / 30.0,
    1.0 / 42.0,
    -1.0 / 30.0,
    5.0 / 66.0,
    -691.0 / 2730.0,
    7.0 / 6.0,
];

/// `Σ c[k] z^k` by Horner's rule.
fn poly(c: &[f64], z: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ck| acc * z + ck)
}

/// True at the poles of `Γ`: zero and the negative integers.
fn is_pole(x: f64) -> bool {
    x <= 0.0 && x == x.floor()
}

/// `ln |Γ(x)|`, the log-gamma function (like C's `lgamma`); exactly 0 at 1 and 2.
///
/// `+inf` at the poles (0, -1, -2, ...) and at `+inf`; NaN for NaN. Error: see the module.
pub fn lgamma(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x == 1.0 || x == 2.0 {
        return 0.0; // the recurrence would leave a rounding residue of ~2e-15
    }
    if is_pole(x) || x == f64::INFINITY {
        return f64::INFINITY;
    }
    if x < 0.0 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return (PI / (PI * x).sin().abs()).ln() - lgamma(1.0 - x);
    }
    // ln Γ(x) = ln Γ(x + n) - ln(x (x + 1) ... (x + n - 1)).
    let (mut z, mut prod) = (x, 1.0);
    while z < ASYMPTOTIC_FROM {
        prod *= z;
        z += 1.0;
    }
    let inv = 1.0 / z;
    let series = inv * poly(&STIRLING, inv * inv);
    (z - 0.5) * z.ln() - z + HALF_LN_2PI + series - prod.ln()
}

/// `ψ(x) = d/dx ln Γ(x)`, the digamma function.
///
/// NaN at the poles (0, -1, -2, ...) and for NaN; `+inf` at `+inf`. Error: see the module.
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || is_pole(x) {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        // Reflection: ψ(1 - x) - ψ(x) = π cot(πx).
        return digamma(1.0 - x) - PI / (PI * x).tan();
    }
    // ψ(x) = ψ(x + n) - Σ 1/(x + k).
    let (mut z, mut shift) = (x, 0.0);
    while z < ASYMPTOTIC_FROM {
        shift += 1.0 / z;
        z += 1.0;
    }
    // ψ(z) ~ ln z - 1/(2z) - Σ B_2k / (2k z^2k)
    let inv2 = 1.0 / (z * z);
    let tail: f64 = BERNOULLI
        .iter()
        .enumerate()
        .rev()
        .fold(0.0, |acc, (k, &b)| (acc + b / (2 * k + 2) as f64) * inv2);
    z.ln() - 0.5 / z - tail - shift
}

/// `ψ₁(x) = d²/dx² ln Γ(x)`, the trigamma function.
///
/// NaN at the poles (0, -1, -2, ...) and for NaN; 0 at `+inf`. Error: see the module.
pub fn trigamma(x: f64) -> f64 {
    if x.is_nan() || is_pole(x) {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    if x < 0.0 {
        // Reflection: ψ₁(1 - x) + ψ₁(x) = π² / sin²(πx).
        let s = (PI * x).sin();
        return PI * PI / (s * s) - trigamma(1.0 - x);
    }
    // ψ₁(x) = ψ₁(x + n) + Σ 1/(x + k)².
    let (mut z, mut shift) = (x, 0.0);
    while z < ASYMPTOTIC_FROM {
        shift += 1.0 / (z * z);
        z += 1.0;
    }
    // ψ₁(z) ~ 1/z + 1/(2z²) + Σ B_2k / z^(2k+1)
    let inv = 1.0 / z;
    let inv2 = inv * inv;
    let tail = inv * inv2 * poly(&BERNOULLI, inv2);
    inv + 0.5 * inv2 + tail + shift
}
