//! A small, fast, seedable random number generator (xoshiro256++ seeded by SplitMix64).
//!
//! One generator per fit; every random draw in the library (initialisation, sampling, dropout)
//! goes through it, so the same seed gives the same numbers on every machine and thread count.
//!
//! Besides uniform and normal draws it samples the distributions of the probabilistic losses:
//! [`Rng::gamma`], [`Rng::student_t`], [`Rng::poisson`], [`Rng::negative_binomial`],
//! [`Rng::bernoulli`] and [`Rng::categorical`]. They compute
//! in f64, take their parameters as they come out of a model, and return NaN (or `None`) for
//! parameters that describe no distribution instead of panicking.

use crate::special::lgamma;

/// xoshiro256++ generator. Not cryptographic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut st = seed;
        let s = [
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
        ];
        Rng { s }
    }

    /// An independent generator derived from this one's next output (for sub-streams).
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 24 bits of precision.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next_f32()
    }

    /// Uniform integer in `0..n` (Lemire's method, unbiased). `n` must be positive.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0)");
        let n = n as u64;
        loop {
            let x = self.next_u64();
            let m = (x as u128) * (n as u128);
            let low = m as u64;
            if low >= n || low >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }

    /// Uniform in `(0, 1]` (never 0, so its logarithm is finite).
    fn next_f64_nonzero(&mut self) -> f64 {
        1.0 - self.next_f64()
    }

    /// Standard normal draw (Box-Muller, computed in f64).
    pub fn normal(&mut self) -> f32 {
        self.normal_f64() as f32
    }

    /// Standard normal draw in f64 (the one [`normal`](Self::normal) rounds).
    fn normal_f64(&mut self) -> f64 {
        let u1 = self.next_f64_nonzero();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A draw from the gamma distribution of shape `shape` and scale 1 (mean and variance
    /// `shape`; multiply by a scale, or divide by a rate, for the others).
    ///
    /// Marsaglia and Tsang's method (2000): a squeezed rejection from a transformed normal,
    /// about 1.05 normal draws per sample for `shape >= 1`. For `shape < 1`, a draw for
    /// `shape + 1` times `U^(1 / shape)`; for shapes far below 1 that factor, like the
    /// distribution itself, is often 0 in f64. NaN when `shape` is not positive and finite.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if !(shape > 0.0 && shape.is_finite()) {
            return f64::NAN;
        }
        if shape < 1.0 {
            let g = self.gamma(shape + 1.0);
            return g * self.next_f64_nonzero().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let z = self.normal_f64();
            let v = 1.0 + c * z;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.next_f64_nonzero();
            let z2 = z * z;
            // The squeeze accepts most draws without a logarithm.
            if u < 1.0 - 0.0331 * z2 * z2 || u.ln() < 0.5 * z2 + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }

    /// A draw from Student's t with `df` degrees of freedom: `Z / sqrt(X / df)` with `Z`
    /// standard normal and `X` chi-squared with `df` degrees of freedom (`2 * gamma(df / 2)`).
    /// A standard normal draw for `df = +inf`; NaN when `df` is not positive.
    pub fn student_t(&mut self, df: f64) -> f64 {
        let z = self.normal_f64();
        if df == f64::INFINITY {
            return z;
        }
        let chi2 = 2.0 * self.gamma(0.5 * df);
        z / (chi2 / df).sqrt()
    }

    /// A draw from the Poisson distribution of mean `lambda`, as an f64 (counts are exact up to
    /// 2^53): inversion by sequential search for `lambda < 10`, Hörmann's transformed
    /// rejection with squeeze (PTRS, 1993) above, which needs about 1.1 pairs of uniforms per
    /// draw whatever `lambda`. NaN when `lambda` is negative or not finite.
    pub fn poisson(&mut self, lambda: f64) -> f64 {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return f64::NAN;
        }
        if lambda < 10.0 {
            self.poisson_inversion(lambda)
        } else {
            self.poisson_ptrs(lambda)
        }
    }

    /// The smallest `k` with `U < P(X <= k)`, adding the probabilities up from 0.
    fn poisson_inversion(&mut self, lambda: f64) -> f64 {
        let u = self.next_f64();
        let mut p = (-lambda).exp();
        let (mut k, mut cdf) = (0.0, p);
        while u >= cdf {
            k += 1.0;
            p *= lambda / k;
            if p <= cdf * f64::EPSILON {
                break; // the rest of the tail is below the rounding of the sum
            }
            cdf += p;
        }
        k
    }

    /// PTRS for `lambda >= 10` (Hörmann, "The transformed rejection method for generating
    /// Poisson random variables", 1993).
    fn poisson_ptrs(&mut self, lambda: f64) -> f64 {
        let log_lambda = lambda.ln();
        let b = 0.931 + 2.53 * lambda.sqrt();
        let a = -0.059 + 0.02483 * b;
        let alpha = 1.1239 + 1.1328 / (b - 3.4);
        let v_r = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.next_f64() - 0.5;
            let v = self.next_f64_nonzero();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
            if us >= 0.07 && v <= v_r {
                return k; // inside the squeeze
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let lhs = (v * alpha / (a / (us * us) + b)).ln();
            if lhs <= -lambda + k * log_lambda - lgamma(k + 1.0) {
                return k;
            }
        }
    }

    /// A draw from the negative binomial distribution with `total_count` `r > 0` and success
    /// probability `probs` `p` in `[0, 1)`: the number of successes before the `r`-th failure,
    /// mean `r p / (1 - p)`, variance `r p / (1 - p)²` (PyTorch's `NegativeBinomial`). Drawn
    /// as PyTorch does, a Poisson draw whose mean is a gamma draw: `Poisson(Gamma(r) · p /
    /// (1 - p))`. 0 for `p = 0`; NaN when `r` is not positive and finite or `p` is outside
    /// `[0, 1)`.
    pub fn negative_binomial(&mut self, total_count: f64, probs: f64) -> f64 {
        if !(total_count > 0.0 && total_count.is_finite() && (0.0..1.0).contains(&probs)) {
            return f64::NAN;
        }
        if probs == 0.0 {
            return 0.0;
        }
        let lambda = self.gamma(total_count) * (probs / (1.0 - probs));
        if lambda.is_finite() {
            self.poisson(lambda)
        } else {
            f64::NAN
        }
    }

    /// 1 with probability `p`, else 0 (one uniform draw). NaN when `p` is outside `[0, 1]`.
    pub fn bernoulli(&mut self, p: f64) -> f64 {
        if !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        if self.next_f64() < p { 1.0 } else { 0.0 }
    }

    /// An index drawn with probability proportional to `weights` (f32 or f64; zero weights are
    /// never drawn). `None` when the weights describe no distribution: empty, a negative, NaN or
    /// infinite weight, or a sum of 0 (or beyond f64).
    pub fn categorical<W: Copy + Into<f64>>(&mut self, weights: &[W]) -> Option<usize> {
        let mut total = 0.0f64;
        for &w in weights {
            let w: f64 = w.into();
            if !(w >= 0.0 && w.is_finite()) {
                return None;
            }
            total += w;
        }
        if !(total > 0.0 && total.is_finite()) {
            return None;
        }
        let u = self.next_f64() * total;
        let (mut cum, mut last) = (0.0, 0);
        for (i, &w) in weights.iter().enumerate() {
            let w: f64 = w.into();
            if w > 0.0 {
                cum += w;
                last = i;
                if u < cum {
                    return Some(i);
                }
            }
        }
        Some(last) // `u` rounded up to the total: the last positive weight
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn moments_are_sane() {
        let mut r = Rng::new(5);
        let n = 100_000;
        let xs: Vec<f32> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f32>() / n as f32;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n as f32;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.03,
            "{mean} {var}"
        );
        let u: Vec<usize> = (0..n).map(|_| r.below(10)).collect();
        for d in 0..10 {
            let c = u.iter().filter(|&&x| x == d).count();
            assert!((c as f32 / n as f32 - 0.1).abs() < 0.01);
        }
    }
}
