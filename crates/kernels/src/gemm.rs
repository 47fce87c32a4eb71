//! f32 general matrix multiply, `C = alpha * op(A) * op(B) + beta * C`, row-major.
//!
//! One entry point ([`gemm`]) so the backend can change; today it is `matrixmultiply`, called
//! single-threaded on row blocks of `C` that rayon spreads over the cores. Splitting only along the
//! rows of `C` keeps the reduction over `k` in one piece, so results are bit-identical whatever
//! the number of threads.
//!
//! Subnormal numbers are flushed to zero inside the product (x86's FTZ and DAZ modes, set for
//! the duration of each call on the thread that runs it and restored after). Every step of
//! Autoformer's backward pass fed GEMMs gradients with some 150,000 subnormals (a saturated
//! softmax), and the microcode assists that handle them made those products 8x slower. Values
//! below 1.2e-38 carry nothing a forecast can use; the flushing is the same on every run and
//! every thread, so results stay reproducible.

use rayon::prelude::*;

/// Whether an operand is used as stored (`N`) or transposed (`T`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trans {
    /// Use the matrix as stored.
    N,
    /// Use the transpose of the stored matrix.
    T,
}

/// Work (in multiply-adds) below which a GEMM stays on the calling thread.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;
/// Smallest row block handed to one task; a multiple of the micro-kernel height.
const MIN_ROWS_PER_TASK: usize = 32;

/// Row and column strides of a stored operand seen through `op`.
/// `rows x cols` is the shape of `op(X)`; the stored matrix is row-major.
fn strides(t: Trans, rows: usize, cols: usize) -> (isize, isize) {
    match t {
        Trans::N => (cols as isize, 1),
        Trans::T => {
            let _ = rows;
            (1, rows as isize)
        }
    }
}

/// Panics, naming `op`, when an operand of an `[m,k] x [k,n] -> [m,n]` product is too short.
pub(crate) fn check_lengths(op: &str, m: usize, n: usize, k: usize, a: usize, b: usize, c: usize) {
    assert!(a >= m * k, "{op}: A has {a} values, needs {m}x{k}");
    assert!(b >= k * n, "{op}: B has {b} values, needs {k}x{n}");
    assert!(c >= m * n, "{op}: C has {c} values, needs {m}x{n}");
}

/// `C[m,n] = alpha * op(A)[m,k] · op(B)[k,n] + beta * C[m,n]`.
///
/// `A` is stored `[m,k]` for `Trans::N` and `[k,m]` for `Trans::T`; likewise `B` is `[k,n]` or
/// `[n,k]`. With `beta == 0`, `C` is overwritten (NaNs in it do not propagate).
///
/// # Panics
/// When a slice is shorter than its shape requires.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    check_lengths("gemm", m, n, k, a.len(), b.len(), c.len());
    if m == 0 || n == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let flops = m * n * k;
    if threads <= 1 || flops < PARALLEL_MIN_FLOPS || m < 2 * MIN_ROWS_PER_TASK {
        gemm_serial(ta, tb, m, n, k, alpha, a, b, beta, &mut c[..m * n]);
        return;
    }
    // One block of rows of C per thread: each block packs all of B, so more blocks cost more.
    let blocks = threads.min(m / MIN_ROWS_PER_TASK).max(1);
    let rows_per = m.div_ceil(blocks).next_multiple_of(8);
    c[..m * n]
        .par_chunks_mut(rows_per * n)
        .enumerate()
        .for_each(|(i, c_block)| {
            let r0 = i * rows_per;
            let rows = c_block.len() / n;
            let a_off = match ta {
                Trans::N => r0 * k,
                Trans::T => r0,
            };
            // For Trans::T the block's rows are columns of stored A: same strides, offset start.
            let sa = strides(ta, m, k);
            // SAFETY: the block reads rows r0..r0+rows of op(A), all inside `a` (checked above),
            // all of op(B), and writes only its own disjoint chunk of C.
            unsafe {
                sgemm(
                    rows,
                    n,
                    k,
                    alpha,
                    &a[a_off..],
                    sa,
                    b,
                    strides(tb, k, n),
                    beta,
                    c_block,
                )
            };
        });
}

/// [`gemm`] on the calling thread only, for callers that already run in parallel (each of
/// their tasks on its own rows). Each row of `C` gets the same bits as from [`gemm`].
#[allow(clippy::too_many_arguments)]
pub fn gemm_serial(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    // SAFETY: the lengths were checked by the caller against m, n, k and the strides describe a
    // row-major matrix of exactly that shape.
    unsafe {
        sgemm(
            m,
            n,
            k,
            alpha,
            a,
            strides(ta, m, k),
            b,
            strides(tb, k, n),
            beta,
            c,
        );
    }
}

/// `matrixmultiply::sgemm` on `m x n` of `C` (row stride `n`) with subnormals flushed to zero.
///
/// # Safety
/// `a` and `b` hold every element their `(row, column)` strides reach for an `[m, k]` and a
/// `[k, n]` operand, and `c` holds `m * n` values.
#[allow(clippy::too_many_arguments)]
unsafe fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    (rsa, csa): (isize, isize),
    b: &[f32],
    (rsb, csb): (isize, isize),
    beta: f32,
    c: &mut [f32],
) {
    let _flush = FlushSubnormals::new();
    // SAFETY: the caller's contract.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// Flush-to-zero and denormals-are-zero on the current thread while it lives (x86-64; a no-op
/// elsewhere), the previous mode restored on drop.
struct FlushSubnormals {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

#[cfg(target_arch = "x86_64")]
impl FlushSubnormals {
    /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) flags.
    const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

    fn new() -> Self {
        let mut saved = 0u32;
        // SAFETY: stores MXCSR (present on every x86-64 CPU) into a local.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut saved, options(nostack, preserves_flags));
        }
        let flushed = saved | Self::FTZ_DAZ;
        // SAFETY: loads a valid MXCSR value: the current one with two mode flags set.
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &flushed, options(nostack, preserves_flags, readonly));
        }
        FlushSubnormals { saved }
    }
}

#[cfg(target_arch = "x86_64")]
impl Drop for FlushSubnormals {
    fn drop(&mut self) {
        // SAFETY: restores the value read in `new`.
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &self.saved, options(nostack, preserves_flags, readonly));
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl FlushSubnormals {
    fn new() -> Self {
        FlushSubnormals {}
    }
}

/// `batch` independent GEMMs on contiguous operands: `A` holds `batch` matrices of `m*k`
/// elements, `B` of `k*n`, `C` of `m*n`. Entries run in parallel, each on one thread.
#[allow(clippy::too_many_arguments)]
pub fn gemm_batched(
    batch: usize,
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    let (sa, sb, sc) = (m * k, k * n, m * n);
    assert!(
        a.len() >= batch * sa,
        "gemm_batched: A too short for {batch}x{m}x{k}"
    );
    assert!(
        b.len() >= batch * sb,
        "gemm_batched: B too short for {batch}x{k}x{n}"
    );
    assert!(
        c.len() >= batch * sc,
        "gemm_batched: C too short for {batch}x{m}x{n}"
    );
    if batch == 0 || sc == 0 {
        return;
    }
    let run = |(i, cb): (usize, &mut [f32])| {
        gemm_serial(ta, tb, m, n, k, alpha, &a[i * sa..], &b[i * sb..], beta, cb);
    };
    if batch * sc * k.max(1) < PARALLEL_MIN_FLOPS || rayon::current_num_threads() <= 1 {
        c[..batch * sc].chunks_mut(sc).enumerate().for_each(run);
    } else {
        c[..batch * sc].par_chunks_mut(sc).enumerate().for_each(run);
    }
}

/// Naive triple-loop reference, used by tests and benches as ground truth.
#[allow(clippy::too_many_arguments)]
pub fn gemm_reference(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f64;
            for p in 0..k {
                let av = match ta {
                    Trans::N => a[i * k + p],
                    Trans::T => a[p * m + i],
                };
                let bv = match tb {
                    Trans::N => b[p * n + j],
                    Trans::T => b[j * k + p],
                };
                acc += av as f64 * bv as f64;
            }
            let prev = if beta == 0.0 {
                0.0
            } else {
                beta * c[i * n + j]
            };
            c[i * n + j] = alpha * acc as f32 + prev;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    fn check(ta: Trans, tb: Trans, m: usize, n: usize, k: usize, beta: f32) {
        let mut rng = Rng::new(7);
        let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let c0: Vec<f32> = (0..m * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let mut c1 = c0.clone();
        let mut c2 = c0.clone();
        gemm(ta, tb, m, n, k, 0.5, &a, &b, beta, &mut c1);
        gemm_reference(ta, tb, m, n, k, 0.5, &a, &b, beta, &mut c2);
        for (x, y) in c1.iter().zip(&c2) {
            assert!(
                (x - y).abs() <= 1e-4 * (1.0 + k as f32).sqrt(),
                "{x} vs {y}"
            );
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn subnormals_are_flushed_inside_and_the_mode_is_restored() {
        let tiny = f32::MIN_POSITIVE / 4.0; // subnormal
        let (a, b) = (vec![tiny, 1.0], vec![1.0, 1e-30]);
        let mut c = vec![0.0f32];
        // A subnormal operand reads as 0 (DAZ) and a subnormal result becomes 0 (FTZ).
        gemm(Trans::N, Trans::N, 1, 1, 2, 1.0, &a, &b, 0.0, &mut c);
        assert_eq!(c, [1e-30]);
        gemm(
            Trans::N,
            Trans::N,
            1,
            1,
            1,
            0.5,
            &[f32::MIN_POSITIVE],
            &[1.0],
            0.0,
            &mut c,
        );
        assert_eq!(c, [0.0]);
        // Outside the product, arithmetic keeps its subnormals.
        let half = std::hint::black_box(f32::MIN_POSITIVE) * std::hint::black_box(0.5);
        assert!(half.is_subnormal());
    }

    #[test]
    fn all_transposes_match_reference() {
        for &(ta, tb) in &[
            (Trans::N, Trans::N),
            (Trans::N, Trans::T),
            (Trans::T, Trans::N),
            (Trans::T, Trans::T),
        ] {
            for &(m, n, k) in &[(1, 1, 1), (3, 5, 7), (130, 33, 65), (257, 70, 40)] {
                check(ta, tb, m, n, k, 0.0);
                check(ta, tb, m, n, k, 1.5);
            }
        }
    }

    #[test]
    fn thread_count_does_not_change_bits() {
        let (m, n, k) = (300, 64, 200);
        let mut rng = Rng::new(3);
        let a: Vec<f32> = (0..m * k).map(|_| rng.normal()).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut c = vec![0.0; m * n];
            pool.install(|| {
                gemm(
                    Trans::T,
                    Trans::N,
                    m,
                    n,
                    k,
                    1.0,
                    &a_t(&a, m, k),
                    &b,
                    0.0,
                    &mut c,
                )
            });
            c
        };
        assert_eq!(run(1), run(2));
        assert_eq!(run(1), run(3));
    }

    fn a_t(a: &[f32], m: usize, k: usize) -> Vec<f32> {
        let mut t = vec![0.0; m * k];
        for i in 0..m {
            for p in 0..k {
                t[p * m + i] = a[i * k + p];
            }
        }
        t
    }

    #[test]
    fn batched_matches_single() {
        let (bt, m, n, k) = (5, 9, 7, 11);
        let mut rng = Rng::new(1);
        let a: Vec<f32> = (0..bt * m * k).map(|_| rng.normal()).collect();
        let b: Vec<f32> = (0..bt * k * n).map(|_| rng.normal()).collect();
        let mut c = vec![0.0; bt * m * n];
        gemm_batched(bt, Trans::N, Trans::T, m, n, k, 1.0, &a, &b, 0.0, &mut c);
        for i in 0..bt {
            let mut ci = vec![0.0; m * n];
            gemm(
                Trans::N,
                Trans::T,
                m,
                n,
                k,
                1.0,
                &a[i * m * k..],
                &b[i * k * n..],
                0.0,
                &mut ci,
            );
            assert_eq!(&c[i * m * n..(i + 1) * m * n], &ci[..]);
        }
    }
}
