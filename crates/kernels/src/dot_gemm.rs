//! `C = A · Bᵀ + beta C` as independent dot products, for inference.
//!
//! [`crate::gemm()`] packs its operands into cache-friendly panels on every call. With a few rows
//! of `A` (forecasting one series: one window) that packing costs more than the product: a
//! single-window NHITS forecast spent two thirds of its time packing weights. This kernel packs
//! nothing: `A` is `[m, k]` and `B` is `[n, k]` (a linear layer's input and its PyTorch-layout
//! weight), both read along `k` where they are contiguous.
//!
//! Every element `C[i, j]` is one fixed computation: a single vector accumulator takes
//! `fma(A[i, chunk], B[j, chunk], acc)` over the full vectors of `k` in order, then the
//! zero-padded tail, then pulp's fixed lane reduction; `beta C[i, j]` is added last. Register
//! tiles of 4 rows x 4 columns run 16 such chains side by side without changing any of them, so
//! an element's bits depend only on its own row, column and the SIMD level: never on `m`, on
//! where it falls in a tile, or on the number of threads. That is what makes a forecast the
//! same whether its window is predicted alone or in a batch of any size.

use pulp::{Simd, WithSimd};
use rayon::prelude::*;

use crate::gemm::check_lengths;
use crate::simd::{Kernel, isa};

/// Rows and columns of a register tile.
const TILE: usize = 4;
/// Outputs below which the product stays on the calling thread.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;

/// `C[m,n] = A[m,k] · B[n,k]ᵀ + beta C[m,n]`, each element a fixed-order dot product (see the
/// module doc). With `beta == 0`, `C` is overwritten.
///
/// # Panics
/// When a slice is shorter than its shape requires.
#[allow(clippy::too_many_arguments)]
pub fn dot_gemm_nt(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    check_lengths("dot_gemm_nt", m, n, k, a.len(), b.len(), c.len());
    if m == 0 || n == 0 {
        return;
    }
    let (a, b, c) = (&a[..m * k], &b[..n * k], &mut c[..m * n]);
    let level = isa();
    let serial = rayon::current_num_threads() <= 1 || m * n * k < PARALLEL_MIN_FLOPS;
    if m >= 2 * TILE && !serial {
        // Row blocks of whole tiles, a few per thread.
        let rows = m
            .div_ceil(rayon::current_num_threads() * 2)
            .next_multiple_of(TILE);
        a.par_chunks(rows * k)
            .zip(c.par_chunks_mut(rows * n))
            .for_each(|(a, c)| {
                level.run(DotGemm {
                    k,
                    n,
                    a,
                    b,
                    beta,
                    c,
                })
            });
    } else if !serial {
        // Few rows (one window): split the columns, each block of B read by one thread.
        let cols = n
            .div_ceil(rayon::current_num_threads() * 2)
            .next_multiple_of(TILE);
        let blocks: Vec<(usize, usize)> =
            (0..n).step_by(cols).map(|j| (j, cols.min(n - j))).collect();
        let parts: Vec<Vec<f32>> = blocks
            .par_iter()
            .map(|&(j0, w)| {
                let mut part: Vec<f32> = (0..m)
                    .flat_map(|i| c[i * n + j0..i * n + j0 + w].iter().copied())
                    .collect();
                let b = &b[j0 * k..(j0 + w) * k];
                level.run(DotGemm {
                    k,
                    n: w,
                    a,
                    b,
                    beta,
                    c: &mut part,
                });
                part
            })
            .collect();
        for (&(j0, w), part) in blocks.iter().zip(parts) {
            for i in 0..m {
                c[i * n + j0..i * n + j0 + w].copy_from_slice(&part[i * w..(i + 1) * w]);
            }
        }
    } else {
        level.run(DotGemm {
            k,
            n,
            a,
            b,
            beta,
            c,
        });
    }
}

/// One serial block: `c[rows, n] = a[rows, k] · b[n, k]ᵀ + beta c`.
struct DotGemm<'a> {
    k: usize,
    n: usize,
    a: &'a [f32],
    b: &'a [f32],
    beta: f32,
    c: &'a mut [f32],
}

impl WithSimd for DotGemm<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let DotGemm {
            k,
            n,
            a,
            b,
            beta,
            c,
        } = self;
        let m = c.len() / n;
        // Column tiles outermost: TILE rows of B stay in L1 while every row of A passes by.
        let mut j = 0;
        while j < n {
            let w = TILE.min(n - j);
            let mut i = 0;
            while i < m {
                let h = if m - i >= TILE { TILE } else { 1 };
                let row = |r: usize| &a[(i + r) * k..(i + r + 1) * k];
                let col = |q: usize| &b[(j + q) * k..(j + q + 1) * k];
                match (h, w) {
                    (TILE, TILE) => {
                        let t =
                            tile::<S, TILE, TILE>(s, [0, 1, 2, 3].map(row), [0, 1, 2, 3].map(col));
                        store(&t, c, n, i, j, beta);
                    }
                    (TILE, _) => {
                        for q in 0..w {
                            let t = tile::<S, TILE, 1>(s, [0, 1, 2, 3].map(row), [col(q)]);
                            store(&t, c, n, i, j + q, beta);
                        }
                    }
                    (_, TILE) => {
                        let t = tile::<S, 1, TILE>(s, [row(0)], [0, 1, 2, 3].map(col));
                        store(&t, c, n, i, j, beta);
                    }
                    _ => {
                        for q in 0..w {
                            let t = tile::<S, 1, 1>(s, [row(0)], [col(q)]);
                            store(&t, c, n, i, j + q, beta);
                        }
                    }
                }
                i += h;
            }
            j += w;
        }
    }
}

impl Kernel for DotGemm<'_> {
    fn scalar(self) {
        let DotGemm {
            k,
            n,
            a,
            b,
            beta,
            c,
        } = self;
        for (i, c_row) in c.chunks_exact_mut(n).enumerate() {
            let a_row = &a[i * k..(i + 1) * k];
            for (j, out) in c_row.iter_mut().enumerate() {
                let dot = a_row
                    .iter()
                    .zip(&b[j * k..(j + 1) * k])
                    .fold(0.0f32, |acc, (x, y)| x.mul_add(*y, acc));
                *out = if beta == 0.0 {
                    dot
                } else {
                    beta.mul_add(*out, dot)
                };
            }
        }
    }
}

/// Dot products of `R` rows of A with `C` rows of B, one accumulator chain each.
#[inline(always)]
fn tile<S: Simd, const R: usize, const C: usize>(
    s: S,
    a: [&[f32]; R],
    b: [&[f32]; C],
) -> [[f32; C]; R] {
    let k = a[0].len();
    let lanes = std::mem::size_of::<S::f32s>() / std::mem::size_of::<f32>();
    let full = k / lanes * lanes;
    let zero = s.splat_f32s(0.0);
    let mut acc = [[zero; C]; R];
    let av: [&[S::f32s]; R] = a.map(|x| S::as_simd_f32s(&x[..full]).0);
    let bv: [&[S::f32s]; C] = b.map(|x| S::as_simd_f32s(&x[..full]).0);
    for v in 0..full / lanes {
        let xb: [S::f32s; C] = std::array::from_fn(|q| bv[q][v]);
        for r in 0..R {
            let xa = av[r][v];
            for q in 0..C {
                acc[r][q] = s.mul_add_f32s(xa, xb[q], acc[r][q]);
            }
        }
    }
    if full < k {
        let tb: [S::f32s; C] = std::array::from_fn(|q| s.partial_load_f32s(&b[q][full..]));
        for r in 0..R {
            let ta = s.partial_load_f32s(&a[r][full..]);
            for q in 0..C {
                acc[r][q] = s.mul_add_f32s(ta, tb[q], acc[r][q]);
            }
        }
    }
    acc.map(|row| row.map(|v| s.reduce_sum_f32s(v)))
}

/// Writes a tile's dot products at `(i, j)`, adding `beta C` (unless `beta == 0`).
#[inline(always)]
fn store<const R: usize, const C: usize>(
    t: &[[f32; C]; R],
    c: &mut [f32],
    n: usize,
    i: usize,
    j: usize,
    beta: f32,
) {
    for (r, row) in t.iter().enumerate() {
        for (q, &dot) in row.iter().enumerate() {
            let out = &mut c[(i + r) * n + j + q];
            *out = if beta == 0.0 {
                dot
            } else {
                beta.mul_add(*out, dot)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::{Trans, gemm_reference};
    use crate::{Rng, simd::available_levels, with_simd_level};

    fn data(len: usize, seed: u64) -> Vec<f32> {
        let mut rng = Rng::new(seed);
        (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
    }

    #[test]
    fn matches_the_reference_product() {
        for level in available_levels() {
            for (m, n, k) in [(1, 1, 1), (1, 7, 33), (5, 9, 16), (9, 4, 100), (4, 13, 7)] {
                let (a, b) = (data(m * k, 1), data(n * k, 2));
                let c0 = data(m * n, 3);
                for beta in [0.0, 1.0] {
                    let mut c = c0.clone();
                    with_simd_level(level, || dot_gemm_nt(m, n, k, &a, &b, beta, &mut c));
                    let mut r = c0.clone();
                    gemm_reference(Trans::N, Trans::T, m, n, k, 1.0, &a, &b, beta, &mut r);
                    for (x, y) in c.iter().zip(&r) {
                        assert!(
                            (x - y).abs() <= 1e-5 * k as f32,
                            "{level:?} {m}x{n}x{k}: {x} vs {y}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn each_row_has_the_same_bits_alone_in_any_batch_and_on_any_thread_count() {
        let (m, n, k) = (37, 70, 131);
        let (a, b) = (data(m * k, 4), data(n * k, 5));
        let bias = data(n, 6);
        let run = |rows: std::ops::Range<usize>, threads: usize| {
            let mut c: Vec<f32> = rows.clone().flat_map(|_| bias.iter().copied()).collect();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                dot_gemm_nt(
                    rows.len(),
                    n,
                    k,
                    &a[rows.start * k..rows.end * k],
                    &b,
                    1.0,
                    &mut c,
                )
            });
            c
        };
        let all = run(0..m, 2);
        assert_eq!(all, run(0..m, 1));
        for i in [0, 5, 36] {
            assert_eq!(
                run(i..i + 1, 1),
                all[i * n..(i + 1) * n],
                "row {i} alone, 1 thread"
            );
            assert_eq!(
                run(i..i + 1, 2),
                all[i * n..(i + 1) * n],
                "row {i} alone, 2 threads"
            );
        }
        assert_eq!(run(3..9, 2), all[3 * n..9 * n]);
    }
}
