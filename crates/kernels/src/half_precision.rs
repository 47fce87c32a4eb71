//! FP16 and BF16 storage with f32 arithmetic.
//!
//! Conversions go through `half`'s slice traits, which use the CPU's conversion instructions
//! where it has them (F16C on x86-64, FP16 on aarch64). The GEMMs keep the weights `B` in
//! reduced precision and widen them to f32 into a scratch buffer (whole, or in blocks of rows
//! of the stored matrix when it is larger than [`WEIGHT_SCRATCH_VALUES`]) before calling
//! [`crate::gemm()`], so all products and sums are f32.

use half::slice::HalfFloatSliceExt;
pub use half::{bf16, f16};

use crate::gemm::{Trans, gemm};

/// Largest number of widened weights held at once by [`gemm_f16_weights`] and
/// [`gemm_bf16_weights`] (4 MiB of f32). Up to this size the result is bit-identical to
/// [`crate::gemm()`] on the widened weights.
pub const WEIGHT_SCRATCH_VALUES: usize = 1 << 20;

/// `dst = src` rounded to the nearest FP16 (overflow gives ±inf).
///
/// # Panics
/// If the slices differ in length.
pub fn f32_to_f16(src: &[f32], dst: &mut [f16]) {
    check_len("f32_to_f16", src.len(), dst.len());
    dst.convert_from_f32_slice(src);
}

/// `dst = src` widened to f32 (exact).
///
/// # Panics
/// If the slices differ in length.
pub fn f16_to_f32(src: &[f16], dst: &mut [f32]) {
    check_len("f16_to_f32", src.len(), dst.len());
    src.convert_to_f32_slice(dst);
}

/// `dst = src` rounded to the nearest BF16.
///
/// # Panics
/// If the slices differ in length.
pub fn f32_to_bf16(src: &[f32], dst: &mut [bf16]) {
    check_len("f32_to_bf16", src.len(), dst.len());
    dst.convert_from_f32_slice(src);
}

/// `dst = src` widened to f32 (exact).
///
/// # Panics
/// If the slices differ in length.
pub fn bf16_to_f32(src: &[bf16], dst: &mut [f32]) {
    check_len("bf16_to_f32", src.len(), dst.len());
    src.convert_to_f32_slice(dst);
}

fn check_len(op: &str, src: usize, dst: usize) {
    assert_eq!(src, dst, "{op}: source has {src} values, destination {dst}");
}

/// A reduced-precision float that widens to f32.
trait Reduced: Copy {
    fn widen(src: &[Self], dst: &mut [f32]);
}
impl Reduced for f16 {
    fn widen(src: &[Self], dst: &mut [f32]) {
        src.convert_to_f32_slice(dst);
    }
}
impl Reduced for bf16 {
    fn widen(src: &[Self], dst: &mut [f32]) {
        src.convert_to_f32_slice(dst);
    }
}

/// [`crate::gemm()`] with FP16 weights: `C = alpha * op(A) * op(B) + beta * C`, `B` stored in
/// FP16 (`[k,n]` for `Trans::N`, `[n,k]` for `Trans::T`), accumulation in f32.
///
/// # Panics
/// When a slice is shorter than its shape requires.
#[allow(clippy::too_many_arguments)]
pub fn gemm_f16_weights(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f16],
    beta: f32,
    c: &mut [f32],
) {
    let shape = Shape { ta, tb, m, n, k };
    gemm_reduced(
        "gemm_f16_weights",
        shape,
        alpha,
        a,
        b,
        beta,
        c,
        WEIGHT_SCRATCH_VALUES,
    );
}

/// [`gemm_f16_weights`] with BF16 weights.
///
/// # Panics
/// When a slice is shorter than its shape requires.
#[allow(clippy::too_many_arguments)]
pub fn gemm_bf16_weights(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[bf16],
    beta: f32,
    c: &mut [f32],
) {
    let shape = Shape { ta, tb, m, n, k };
    gemm_reduced(
        "gemm_bf16_weights",
        shape,
        alpha,
        a,
        b,
        beta,
        c,
        WEIGHT_SCRATCH_VALUES,
    );
}

#[derive(Clone, Copy)]
struct Shape {
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
}

/// The shared body; `budget` is the most widened weights held at once.
#[allow(clippy::too_many_arguments)]
fn gemm_reduced<T: Reduced>(
    op: &str,
    Shape { ta, tb, m, n, k }: Shape,
    alpha: f32,
    a: &[f32],
    b: &[T],
    beta: f32,
    c: &mut [f32],
    budget: usize,
) {
    crate::gemm::check_lengths(op, m, n, k, a.len(), b.len(), c.len());
    if m == 0 || n == 0 {
        return;
    }
    if k * n <= budget {
        let mut w = vec![0.0; k * n];
        T::widen(&b[..k * n], &mut w);
        return gemm(ta, tb, m, n, k, alpha, a, &w, beta, c);
    }
    match tb {
        // B stored [n, k]: rows j0..j1 of it are contiguous and give columns j0..j1 of C.
        Trans::T => {
            let nb = (budget / k).max(1);
            let mut w = vec![0.0; nb * k];
            let mut cb = vec![0.0; m * nb];
            for j0 in (0..n).step_by(nb) {
                let j1 = (j0 + nb).min(n);
                let cols = j1 - j0;
                let (w, cb) = (&mut w[..cols * k], &mut cb[..m * cols]);
                T::widen(&b[j0 * k..j1 * k], w);
                // C[:, j0..j1] -> cb [m, cols] and back.
                if beta != 0.0 {
                    for (row, cr) in cb.chunks_exact_mut(cols).zip(c.chunks_exact(n)) {
                        row.copy_from_slice(&cr[j0..j1]);
                    }
                }
                gemm(ta, Trans::T, m, cols, k, alpha, a, w, beta, cb);
                for (row, cr) in cb.chunks_exact(cols).zip(c.chunks_exact_mut(n)) {
                    cr[j0..j1].copy_from_slice(row);
                }
            }
        }
        // B stored [k, n]: rows p0..p1 of it are contiguous; C accumulates block by block.
        Trans::N => {
            let kb = (budget / n).max(1);
            let mut w = vec![0.0; kb * n];
            let mut ab = match ta {
                Trans::N => vec![0.0; m * kb],
                Trans::T => Vec::new(),
            };
            for p0 in (0..k).step_by(kb) {
                let p1 = (p0 + kb).min(k);
                let kk = p1 - p0;
                let w = &mut w[..kk * n];
                T::widen(&b[p0 * n..p1 * n], w);
                let beta = if p0 == 0 { beta } else { 1.0 };
                match ta {
                    // A [m, k]: columns p0..p1 -> ab [m, kk].
                    Trans::N => {
                        let ab = &mut ab[..m * kk];
                        for (row, ar) in ab.chunks_exact_mut(kk).zip(a.chunks_exact(k)) {
                            row.copy_from_slice(&ar[p0..p1]);
                        }
                        gemm(Trans::N, Trans::N, m, n, kk, alpha, ab, w, beta, c);
                    }
                    // A stored [k, m]: rows p0..p1 are contiguous.
                    Trans::T => {
                        let ab = &a[p0 * m..p1 * m];
                        gemm(Trans::T, Trans::N, m, n, kk, alpha, ab, w, beta, c);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    #[test]
    fn conversions_round_to_nearest() {
        let src = [0.0f32, -1.5, 65504.0, 1e6, 1e-8, f32::NAN, 3.3];
        let mut h = [f16::ZERO; 7];
        f32_to_f16(&src, &mut h);
        let mut back = [0.0f32; 7];
        f16_to_f32(&h, &mut back);
        for ((s, hv), bv) in src.iter().zip(&h).zip(&back) {
            assert!(hv.to_bits() == f16::from_f32(*s).to_bits() || (hv.is_nan() && s.is_nan()));
            assert!(bv.to_bits() == hv.to_f32().to_bits() || bv.is_nan());
        }
        assert_eq!(back[3], f32::INFINITY);
        let mut b = [bf16::ZERO; 7];
        f32_to_bf16(&src, &mut b);
        bf16_to_f32(&b, &mut back);
        for ((s, bv), w) in src.iter().zip(&b).zip(&back) {
            assert!(bv.to_bits() == bf16::from_f32(*s).to_bits() || (bv.is_nan() && s.is_nan()));
            assert!(w.to_bits() == bv.to_f32().to_bits() || w.is_nan());
        }
    }

    #[test]
    #[should_panic(expected = "f32_to_f16: source has 2 values, destination 1")]
    fn conversion_length_mismatch_panics() {
        f32_to_f16(&[1.0, 2.0], &mut [f16::ZERO]);
    }

    /// Runs the reduced GEMM with `budget` and f32 GEMM on the widened weights.
    fn compare<T: Reduced>(narrow: fn(f32) -> T, shape: Shape, beta: f32, budget: usize) {
        let Shape { ta, tb, m, n, k } = shape;
        let mut rng = Rng::new((m * 31 + n * 7 + k) as u64);
        let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let b: Vec<T> = (0..k * n).map(|_| narrow(rng.uniform(-1.0, 1.0))).collect();
        let mut wide = vec![0.0; k * n];
        T::widen(&b, &mut wide);
        let c0: Vec<f32> = (0..m * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let (mut c1, mut c2) = (c0.clone(), c0);
        gemm_reduced("test", shape, 0.7, &a, &b, beta, &mut c1, budget);
        gemm(ta, tb, m, n, k, 0.7, &a, &wide, beta, &mut c2);
        let exact = k * n <= budget;
        for (x, y) in c1.iter().zip(&c2) {
            if exact {
                assert_eq!(x.to_bits(), y.to_bits());
            } else {
                assert!((x - y).abs() <= 1e-5 * (1.0 + k as f32), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn reduced_weights_match_f32_gemm_on_widened_weights() {
        let transposes = [
            (Trans::N, Trans::N),
            (Trans::N, Trans::T),
            (Trans::T, Trans::N),
            (Trans::T, Trans::T),
        ];
        for (ta, tb) in transposes {
            for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 9, 33), (70, 40, 65)] {
                let shape = Shape { ta, tb, m, n, k };
                for beta in [0.0, 1.5] {
                    for budget in [WEIGHT_SCRATCH_VALUES, 1, 40] {
                        compare(f16::from_f32, shape, beta, budget);
                        compare(bf16::from_f32, shape, beta, budget);
                    }
                }
            }
        }
    }

    #[test]
    fn public_entry_points_run() {
        let a = [1.0f32, 2.0, 3.0, 4.0]; // [2, 2]
        let b16 = [f16::from_f32(1.0), f16::ZERO, f16::ZERO, f16::from_f32(0.5)];
        let bb = [
            bf16::from_f32(1.0),
            bf16::ZERO,
            bf16::ZERO,
            bf16::from_f32(0.5),
        ];
        let mut c = [0.0f32; 4];
        gemm_f16_weights(Trans::N, Trans::N, 2, 2, 2, 1.0, &a, &b16, 0.0, &mut c);
        assert_eq!(c, [1.0, 1.0, 3.0, 2.0]);
        gemm_bf16_weights(Trans::N, Trans::T, 2, 2, 2, 1.0, &a, &bb, 1.0, &mut c);
        assert_eq!(c, [2.0, 2.0, 6.0, 4.0]);
    }
}
