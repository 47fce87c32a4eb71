//! 1-D convolution (PyTorch's `F.conv1d`: cross-correlation) through im2col and GEMM.
//!
//! The input `[B, C_in, L]` is unrolled into a patch matrix `[C_in * K, B * L_out]` (row
//! `ci * K + k` holds input channel `ci` shifted by tap `k`, for every batch entry and output
//! position). Because the weight `[C_out, C_in / G, K]` is already `[G, C_out / G, C_in / G * K]`,
//! one batched GEMM over the `G` groups gives `[C_out, B * L_out]`, which is then reordered to
//! `[B, C_out, L_out]`. The backward keeps the input and the weight and rebuilds the patch matrix
//! only when the weight needs a gradient.

use crate::{Tensor, Var};
use neurodiv_kernels::{Trans, gemm, gemm_batched};

/// Sizes of one convolution.
#[derive(Debug, Clone, Copy)]
struct Geom {
    batch: usize,
    c_in: usize,
    len: usize,
    c_out: usize,
    k: usize,
    groups: usize,
    stride: usize,
    pad_l: usize,
    dilation: usize,
    l_out: usize,
}

impl Geom {
    /// Rows of one group's patch matrix: `C_in / G * K`.
    fn ck(&self) -> usize {
        self.c_in / self.groups * self.k
    }
    /// Output channels per group.
    fn og(&self) -> usize {
        self.c_out / self.groups
    }
    /// Columns of the patch matrix: `B * L_out`.
    fn n(&self) -> usize {
        self.batch * self.l_out
    }
    /// For tap `kk`: the output positions `lo..hi` whose input position
    /// `t * stride + kk * dilation - pad_l` falls inside `0..len`.
    fn window(&self, kk: usize) -> (usize, usize) {
        let off = kk * self.dilation;
        let lo = if off >= self.pad_l {
            0
        } else {
            (self.pad_l - off).div_ceil(self.stride)
        };
        let end = self.len + self.pad_l;
        let hi = if off >= end {
            0
        } else {
            (end - off).div_ceil(self.stride).min(self.l_out)
        };
        (lo.min(hi), hi)
    }
    /// Input position read by output position `t` at tap `kk` (inside the window only).
    fn src(&self, t: usize, kk: usize) -> usize {
        t * self.stride + kk * self.dilation - self.pad_l
    }
}

/// `[B, C_in, L]` -> patch matrix `[C_in * K, B * L_out]` (zeros where the window reads padding).
fn im2col(x: &[f32], g: &Geom) -> Vec<f32> {
    let n = g.n();
    let mut cols = vec![0.0; g.c_in * g.k * n];
    for ci in 0..g.c_in {
        for kk in 0..g.k {
            let (lo, hi) = g.window(kk);
            if lo == hi {
                continue;
            }
            let row = &mut cols[(ci * g.k + kk) * n..][..n];
            for b in 0..g.batch {
                let src = &x[(b * g.c_in + ci) * g.len..][..g.len];
                let dst = &mut row[b * g.l_out..][..g.l_out];
                if g.stride == 1 {
                    let s0 = g.src(lo, kk);
                    dst[lo..hi].copy_from_slice(&src[s0..s0 + (hi - lo)]);
                } else {
                    for t in lo..hi {
                        dst[t] = src[g.src(t, kk)];
                    }
                }
            }
        }
    }
    cols
}

/// The adjoint of [`im2col`]: adds the patch-matrix gradient back into `[B, C_in, L]`.
fn col2im(cols: &[f32], g: &Geom) -> Vec<f32> {
    let n = g.n();
    let mut dx = vec![0.0; g.batch * g.c_in * g.len];
    for ci in 0..g.c_in {
        for kk in 0..g.k {
            let (lo, hi) = g.window(kk);
            let row = &cols[(ci * g.k + kk) * n..][..n];
            for b in 0..g.batch {
                let dst = &mut dx[(b * g.c_in + ci) * g.len..][..g.len];
                let src = &row[b * g.l_out..][..g.l_out];
                for t in lo..hi {
                    dst[g.src(t, kk)] += src[t];
                }
            }
        }
    }
    dx
}

/// `[a, b, inner]` -> `[b, a, inner]` (swaps the two leading axes, moving `inner` blocks).
fn swap_lead(d: &[f32], a: usize, b: usize, inner: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(d.len());
    for j in 0..b {
        for i in 0..a {
            let at = (i * b + j) * inner;
            out.extend_from_slice(&d[at..at + inner]);
        }
    }
    out
}

/// `C = op(A) · op(B) + beta * C` for `batch` contiguous problems (plain GEMM when `batch == 1`,
/// which lets the kernel split the rows over threads).
#[allow(clippy::too_many_arguments)]
fn mm(
    batch: usize,
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    if batch == 1 {
        gemm(ta, tb, m, n, k, 1.0, a, b, beta, c);
    } else {
        gemm_batched(batch, ta, tb, m, n, k, 1.0, a, b, beta, c);
    }
}

impl<'t> Var<'t> {
    /// 1-D convolution with PyTorch's `F.conv1d` semantics (cross-correlation): `self` is
    /// `[B, C_in, L]`, `weight` is `[C_out, C_in / groups, K]`, `bias` is `[C_out]`. The input is
    /// zero-padded with `padding.0` values on the left and `padding.1` on the right; the output
    /// is `[B, C_out, L_out]` with `L_out = (L + left + right - dilation * (K - 1) - 1) / stride + 1`.
    pub fn conv1d(
        self,
        weight: Var<'t>,
        bias: Option<Var<'t>>,
        stride: usize,
        padding: (usize, usize),
        dilation: usize,
        groups: usize,
    ) -> Var<'t> {
        let (x, w) = (self.value(), weight.value());
        let (sx, sw) = (x.shape().to_vec(), w.shape().to_vec());
        assert!(
            sx.len() == 3 && sw.len() == 3,
            "conv1d: input {sx:?} must be [B, C_in, L] and weight {sw:?} [C_out, C_in/groups, K]"
        );
        assert!(
            groups > 0
                && stride > 0
                && dilation > 0
                && sw[2] > 0
                && sx[1] % groups == 0
                && sw[0] % groups == 0
                && sw[1] * groups == sx[1],
            "conv1d: input {sx:?}, weight {sw:?}, groups {groups}, stride {stride}, dilation {dilation} do not fit"
        );
        let span = dilation * (sw[2] - 1) + 1;
        let padded = sx[2] + padding.0 + padding.1;
        assert!(
            padded >= span,
            "conv1d: padded length {padded} is shorter than the kernel span {span} (input {sx:?}, weight {sw:?})"
        );
        let geo = Geom {
            batch: sx[0],
            c_in: sx[1],
            len: sx[2],
            c_out: sw[0],
            k: sw[2],
            groups,
            stride,
            pad_l: padding.0,
            dilation,
            l_out: (padded - span) / stride + 1,
        };
        let (ck, og, n) = (geo.ck(), geo.og(), geo.n());
        let cols = im2col(x.data(), &geo);
        // [C_out, B * L_out], starting from the bias when there is one.
        let mut y = vec![0.0; geo.c_out * n];
        let beta = match &bias {
            Some(b) => {
                let bv = b.value();
                assert_eq!(
                    bv.shape(),
                    [geo.c_out],
                    "conv1d: bias {:?} does not fit weight {sw:?}",
                    bv.shape()
                );
                for (row, &v) in y.chunks_exact_mut(n.max(1)).zip(bv.data()) {
                    row.fill(v);
                }
                1.0
            }
            None => 0.0,
        };
        // [G, og, ck] · [G, ck, n] -> [G, og, n] = [C_out, B, L_out]
        mm(
            groups,
            Trans::N,
            Trans::N,
            og,
            n,
            ck,
            w.data(),
            &cols,
            beta,
            &mut y,
        );
        drop(cols);
        // [C_out, B, L_out] -> [B, C_out, L_out]
        let out = swap_lead(&y, geo.c_out, geo.batch, geo.l_out);
        let out = Tensor::from_vec(&[geo.batch, geo.c_out, geo.l_out], out);
        let parents: Vec<Var<'t>> = [self, weight].into_iter().chain(bias).collect();
        self.tape.record(out, &parents, move |g, needs| {
            // [B, C_out, L_out] -> [C_out, B, L_out] = [G, og, n]
            let gy = swap_lead(g.data(), geo.batch, geo.c_out, geo.l_out);
            let gx = needs[0].then(|| {
                let mut gcols = vec![0.0; geo.c_in * geo.k * n];
                // [G, og, ck]ᵀ · [G, og, n] -> [G, ck, n]
                mm(
                    groups,
                    Trans::T,
                    Trans::N,
                    ck,
                    n,
                    og,
                    w.data(),
                    &gy,
                    0.0,
                    &mut gcols,
                );
                Tensor::from_vec(&sx, col2im(&gcols, &geo))
            });
            let gw = needs[1].then(|| {
                let cols = im2col(x.data(), &geo);
                let mut gw = vec![0.0; geo.c_out * ck];
                // [G, og, n] · [G, ck, n]ᵀ -> [G, og, ck]
                mm(
                    groups,
                    Trans::N,
                    Trans::T,
                    og,
                    ck,
                    n,
                    &gy,
                    &cols,
                    0.0,
                    &mut gw,
                );
                Tensor::from_vec(&sw, gw)
            });
            let mut grads = vec![gx, gw];
            if needs.len() == 3 {
                grads.push(needs[2].then(|| {
                    let sums = if n == 0 {
                        vec![0.0; geo.c_out]
                    } else {
                        gy.chunks_exact(n).map(|r| r.iter().sum()).collect()
                    };
                    Tensor::from_vec(&[geo.c_out], sums)
                }));
            }
            grads
        })
    }

    /// Causal 1-D convolution (stride 1): the input is padded on the left by
    /// `dilation * (K - 1)` so that output `t` sees inputs `..=t` only and `L_out == L`.
    pub fn conv1d_causal(
        self,
        weight: Var<'t>,
        bias: Option<Var<'t>>,
        dilation: usize,
        groups: usize,
    ) -> Var<'t> {
        let k = weight.shape().get(2).copied().unwrap_or(1).max(1);
        self.conv1d(weight, bias, 1, (dilation * (k - 1), 0), dilation, groups)
    }
}
