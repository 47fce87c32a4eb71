//! `C = A · B + beta C` with `B` packed once and reused, for the per-step products of recurrent
//! layers.
//!
//! A recurrent layer multiplies the state by the same weight at every time step: `h W_hhᵀ` in
//! the forward pass, `dG W_hh` in the backward pass, each a small product (a block of batch rows
//! times a `[k, n]` matrix of a few hundred rows and columns). [`crate::gemm()`] packs both
//! operands on every call, which for these shapes costs a fifth of the product. Here `B` is packed
//! once ([`PackedB`]: panels of [`NR`] columns, each panel's `k` rows contiguous, the last panel
//! zero-padded) and every step multiplies the rows of `A` as they are: a panel stays in L1 while
//! the rows of `A` pass by in register tiles (6 rows x 2 vectors with AVX-512, 3 x 4 with AVX2).
//!
//! Every element `C[i, j]` is one fixed computation: `fma(A[i, l], B[l, j], acc)` for
//! `l = 0, 1, ..., k - 1` from 0, then `beta C[i, j]` added as `fma(beta, C[i, j], acc)` (unless
//! `beta == 0`). Lanes hold different elements, never parts of one sum, so an element's bits
//! depend on nothing else: not on `m`, on the tiling, on the SIMD level or on the number of
//! threads. The scalar twin computes the same chains.

use pulp::{Simd, WithSimd};

use crate::simd::{Kernel, isa};

/// Columns of a packed panel.
pub const NR: usize = 32;

/// `B [k, n]` packed for [`gemm_packed`]: `ceil(n / NR)` panels, each `[k, NR]` row-major,
/// the columns past `n` zero.
#[derive(Debug, Clone)]
pub struct PackedB {
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl PackedB {
    /// Packs `B [k, n]` whose element `(l, j)` is `b[l * rs + j * cs]` (`rs = n, cs = 1` for a
    /// row-major `B`; `rs = 1, cs = k` for the transpose of a row-major `[n, k]` matrix).
    ///
    /// # Panics
    /// When `b` is too short for the shape and strides.
    pub fn new(k: usize, n: usize, b: &[f32], rs: usize, cs: usize) -> Self {
        if k > 0 && n > 0 {
            let last = (k - 1) * rs + (n - 1) * cs;
            assert!(
                last < b.len(),
                "PackedB: {k}x{n} needs index {last}, B has {}",
                b.len()
            );
        }
        let panels = n.div_ceil(NR);
        let mut data = vec![0.0; panels * k * NR];
        for (p, panel) in data.chunks_exact_mut((k * NR).max(1)).enumerate() {
            for (l, row) in panel.chunks_exact_mut(NR).enumerate() {
                for (q, v) in row.iter_mut().enumerate().take(n - (p * NR).min(n)) {
                    *v = b[l * rs + (p * NR + q) * cs];
                }
            }
        }
        PackedB { k, n, data }
    }

    /// Rows (`k`) and columns (`n`) of `B`.
    pub fn shape(&self) -> (usize, usize) {
        (self.k, self.n)
    }
}

/// `C[m,n] = A[m,k] · B[k,n] + beta C[m,n]` on the calling thread, every element a fixed-order
/// chain of fused multiply-adds (see the module doc). With `beta == 0`, `C` is overwritten.
///
/// # Panics
/// When `a` or `c` is shorter than its shape requires.
pub fn gemm_packed(m: usize, a: &[f32], b: &PackedB, beta: f32, c: &mut [f32]) {
    let (k, n) = (b.k, b.n);
    assert!(
        a.len() >= m * k,
        "gemm_packed: A has {}, needs {m}x{k}",
        a.len()
    );
    assert!(
        c.len() >= m * n,
        "gemm_packed: C has {}, needs {m}x{n}",
        c.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    isa().run(Packed {
        m,
        a: &a[..m * k],
        b,
        beta,
        c: &mut c[..m * n],
    });
}

struct Packed<'a> {
    m: usize,
    a: &'a [f32],
    b: &'a PackedB,
    beta: f32,
    c: &'a mut [f32],
}

/// The chains of `R` rows of A (from row `i`) with panel `p`, `V` vectors wide, written to C.
#[inline(always)]
fn tile<S: Simd, const R: usize, const V: usize>(s: S, g: &mut Packed<'_>, i: usize, p: usize) {
    let (n, k) = (g.b.n, g.b.k);
    let panel = &g.b.data[p * k * NR..][..k * NR];
    let mut acc = [[s.splat_f32s(0.0); V]; R];
    for (l, row) in panel.chunks_exact(NR).enumerate() {
        let bv = S::as_simd_f32s(row).0;
        for (r, acc) in acc.iter_mut().enumerate() {
            let av = s.splat_f32s(g.a[(i + r) * k + l]);
            for v in 0..V {
                acc[v] = s.mul_add_f32s(av, bv[v], acc[v]);
            }
        }
    }
    let beta = s.splat_f32s(g.beta);
    let j0 = p * NR;
    let width = NR.min(n - j0);
    for (r, acc) in acc.iter().enumerate() {
        let out = &mut g.c[(i + r) * n + j0..][..width];
        if width == NR {
            for (o, &x) in S::as_mut_simd_f32s(out).0.iter_mut().zip(acc) {
                *o = if g.beta == 0.0 {
                    x
                } else {
                    s.mul_add_f32s(beta, *o, x)
                };
            }
        } else {
            // The last panel: only its real columns.
            let mut all = [0.0f32; NR];
            for (d, x) in S::as_mut_simd_f32s(&mut all).0.iter_mut().zip(acc) {
                *d = *x;
            }
            for (o, &x) in out.iter_mut().zip(&all) {
                put(o, x, g.beta);
            }
        }
    }
}

/// Writes `acc` (or `beta * old + acc`) to `out`.
#[inline(always)]
fn put(out: &mut f32, acc: f32, beta: f32) {
    *out = if beta == 0.0 {
        acc
    } else {
        beta.mul_add(*out, acc)
    };
}

/// Every panel, rows in tiles of `R`, the rest in tiles of 4, 2 and 1 (a one-row tile has only
/// `V` chains in flight, too few to hide the latency of a fused multiply-add).
#[inline(always)]
fn panels<S: Simd, const R: usize, const V: usize>(s: S, g: &mut Packed<'_>) {
    for p in 0..g.b.n.div_ceil(NR) {
        let mut i = 0;
        while i + R <= g.m {
            tile::<S, R, V>(s, g, i, p);
            i += R;
        }
        if R > 4 && i + 4 <= g.m {
            tile::<S, 4, V>(s, g, i, p);
            i += 4;
        }
        if R > 2 && i + 2 <= g.m {
            tile::<S, 2, V>(s, g, i, p);
            i += 2;
        }
        while i < g.m {
            tile::<S, 1, V>(s, g, i, p);
            i += 1;
        }
    }
}

impl WithSimd for Packed<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(mut self, s: S) {
        match size_of::<S::f32s>() / size_of::<f32>() {
            16 => panels::<S, 6, 2>(s, &mut self),
            8 => panels::<S, 3, 4>(s, &mut self),
            4 => panels::<S, 3, 8>(s, &mut self),
            _ => self.scalar(),
        }
    }
}

impl Kernel for Packed<'_> {
    fn scalar(self) {
        let (k, n) = (self.b.k, self.b.n);
        for i in 0..self.m {
            for j in 0..n {
                let panel = &self.b.data[(j / NR) * k * NR..];
                let mut acc = 0.0f32;
                for l in 0..k {
                    acc = self.a[i * k + l].mul_add(panel[l * NR + j % NR], acc);
                }
                put(&mut self.c[i * n + j], acc, self.beta);
            }
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

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn matches_the_reference_and_is_the_same_at_every_level_and_row_count() {
        for (m, n, k) in [
            (1, 1, 1),
            (7, 37, 9),
            (13, 64, 128),
            (9, 600, 200),
            (4, 33, 0),
        ] {
            let (a, b) = (data(m * k, 1), data(k * n, 2));
            let c0 = data(m * n, 3);
            let mut want = c0.clone();
            gemm_reference(Trans::N, Trans::N, m, n, k, 1.0, &a, &b, 0.5, &mut want);
            // B row-major, and the same B given as the transpose of [n, k].
            let bt: Vec<f32> = (0..n * k).map(|x| b[(x % k) * n + x / k]).collect();
            let packs = [PackedB::new(k, n, &b, n, 1), PackedB::new(k, n, &bt, 1, k)];
            let mut first: Option<Vec<f32>> = None;
            for level in available_levels() {
                for packed in &packs {
                    let mut c = c0.clone();
                    with_simd_level(level, || gemm_packed(m, &a, packed, 0.5, &mut c));
                    for (x, y) in c.iter().zip(&want) {
                        assert!(
                            (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                            "{level:?} {m}x{n}x{k}"
                        );
                    }
                    let f = first.get_or_insert_with(|| c.clone());
                    assert_eq!(bits(f), bits(&c), "{level:?} {m}x{n}x{k}: bits differ");
                    // Each row alone gives the same bits as inside the batch.
                    for i in 0..m {
                        let mut row = c0[i * n..(i + 1) * n].to_vec();
                        let a_row = &a[i * k..(i + 1) * k];
                        with_simd_level(level, || gemm_packed(1, a_row, packed, 0.5, &mut row));
                        assert_eq!(bits(&row), bits(&f[i * n..(i + 1) * n]), "row {i} alone");
                    }
                }
            }
        }
    }
}
