//! 1-D and 2-D convolution (PyTorch's `F.conv1d` / `F.conv2d`: cross-correlation) through im2col
//! and GEMM. A 1-D convolution is the 2-D one on a grid of height 1.
//!
//! The input `[B, C_in, H, W]` is unrolled into a patch matrix `[C_in * T, B * H_out * W_out]`
//! (row `ci * T + tap` holds input channel `ci` shifted by one kernel tap, for every batch entry
//! and output position), where the `T` taps are the **live** ones: a tap that reads only padding
//! for every output position (a row of an 11 x 11 kernel on a grid 3 rows high) contributes
//! nothing and is left out of the patch matrix and the GEMM. The weight
//! `[C_out, C_in / G, KH, KW]` restricted to the live taps is `[G, C_out / G, C_in / G * T]`, so
//! one batched GEMM over the `G` groups gives `[C_out, B * H_out * W_out]`, then reordered to
//! `[B, C_out, H_out, W_out]`. The backward keeps the input and the weight and rebuilds the patch
//! matrix only when the weight needs a gradient (dead taps get a zero gradient).

use crate::{Tensor, Var};
use neurodiv_kernels::{Trans, gemm, gemm_batched};
use rayon::prelude::*;

/// Patch matrices smaller than this many values are built on one thread.
const PARALLEL_MIN_VALUES: usize = 1 << 16;

/// One spatial axis of a convolution.
#[derive(Debug, Clone, Copy)]
struct Axis {
    len: usize,
    k: usize,
    stride: usize,
    pad_l: usize,
    dilation: usize,
    out: usize,
}

impl Axis {
    /// Checks the sizes and computes the output length.
    fn new(
        what: &str,
        len: usize,
        k: usize,
        stride: usize,
        pad: (usize, usize),
        dilation: usize,
    ) -> Self {
        assert!(
            stride > 0 && dilation > 0 && k > 0,
            "{what}: stride {stride}, dilation {dilation} and kernel {k} must be positive"
        );
        let span = dilation * (k - 1) + 1;
        let padded = len + pad.0 + pad.1;
        assert!(
            padded >= span,
            "{what}: padded length {padded} is shorter than the kernel span {span}"
        );
        Axis {
            len,
            k,
            stride,
            pad_l: pad.0,
            dilation,
            out: (padded - span) / stride + 1,
        }
    }

    /// For tap `kk`: the output positions `lo..hi` whose input position
    /// `t * stride + kk * dilation - pad_l` falls inside `0..len` (empty for a dead tap).
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
            (end - off).div_ceil(self.stride).min(self.out)
        };
        (lo.min(hi), hi)
    }

    /// Input position read by output position `t` at tap `kk` (inside the window only).
    fn src(&self, t: usize, kk: usize) -> usize {
        t * self.stride + kk * self.dilation - self.pad_l
    }
}

/// Sizes of one convolution, with its live taps.
#[derive(Debug, Clone)]
struct Geom {
    batch: usize,
    c_in: usize,
    c_out: usize,
    groups: usize,
    h: Axis,
    w: Axis,
    /// `(kh, kw)` of every tap that reads some input, in kernel order.
    taps: Vec<(usize, usize)>,
}

impl Geom {
    fn new(batch: usize, c_in: usize, c_out: usize, groups: usize, h: Axis, w: Axis) -> Self {
        let taps = (0..h.k)
            .filter(|&kh| {
                let (lo, hi) = h.window(kh);
                lo < hi
            })
            .flat_map(|kh| {
                (0..w.k).filter_map(move |kw| {
                    let (lo, hi) = w.window(kw);
                    (lo < hi).then_some((kh, kw))
                })
            })
            .collect();
        Geom {
            batch,
            c_in,
            c_out,
            groups,
            h,
            w,
            taps,
        }
    }
    /// Live taps per input channel.
    fn nt(&self) -> usize {
        self.taps.len()
    }
    /// Whether every tap of the kernel is live (the weight is then used as stored).
    fn all_live(&self) -> bool {
        self.nt() == self.h.k * self.w.k
    }
    /// Rows of one group's patch matrix: `C_in / G * T`.
    fn ck(&self) -> usize {
        self.c_in / self.groups * self.nt()
    }
    /// Output channels per group.
    fn og(&self) -> usize {
        self.c_out / self.groups
    }
    /// Output positions per batch entry.
    fn hw_out(&self) -> usize {
        self.h.out * self.w.out
    }
    /// Columns of the patch matrix: `B * H_out * W_out`.
    fn n(&self) -> usize {
        self.batch * self.hw_out()
    }
    /// Input positions per channel.
    fn hw_in(&self) -> usize {
        self.h.len * self.w.len
    }

    /// `[C_out, C_in / G, KH, KW]` -> `[C_out, C_in / G, T]` on the live taps.
    fn live_weight<'a>(&self, w: &'a [f32]) -> std::borrow::Cow<'a, [f32]> {
        if self.all_live() {
            return w.into();
        }
        let kk = self.h.k * self.w.k;
        w.chunks_exact(kk)
            .flat_map(|k| self.taps.iter().map(move |&(a, b)| k[a * self.w.k + b]))
            .collect::<Vec<_>>()
            .into()
    }

    /// The adjoint of [`live_weight`](Self::live_weight): dead taps get 0.
    fn full_weight(&self, live: Vec<f32>) -> Vec<f32> {
        if self.all_live() {
            return live;
        }
        let kk = self.h.k * self.w.k;
        let mut full = vec![0.0; self.c_out * (self.c_in / self.groups) * kk];
        if self.nt() == 0 {
            return full;
        }
        for (dst, src) in full.chunks_exact_mut(kk).zip(live.chunks_exact(self.nt())) {
            for (&(a, b), &v) in self.taps.iter().zip(src) {
                dst[a * self.w.k + b] = v;
            }
        }
        full
    }

    /// Fills the patch-matrix row of channel `ci` and tap `(kh, kw)` from `x` `[B, C_in, H, W]`.
    fn fill_row(&self, x: &[f32], ci: usize, (kh, kw): (usize, usize), row: &mut [f32]) {
        let (hlo, hhi) = self.h.window(kh);
        let (wlo, whi) = self.w.window(kw);
        let (hw_in, hw_out, wo) = (self.hw_in(), self.hw_out(), self.w.out);
        for b in 0..self.batch {
            let src = &x[(b * self.c_in + ci) * hw_in..][..hw_in];
            let dst = &mut row[b * hw_out..][..hw_out];
            for oh in hlo..hhi {
                let s = &src[self.h.src(oh, kh) * self.w.len..][..self.w.len];
                let d = &mut dst[oh * wo..][..wo];
                if self.w.stride == 1 {
                    let s0 = self.w.src(wlo, kw);
                    d[wlo..whi].copy_from_slice(&s[s0..s0 + (whi - wlo)]);
                } else {
                    for ow in wlo..whi {
                        d[ow] = s[self.w.src(ow, kw)];
                    }
                }
            }
        }
    }

    /// Adds the patch-matrix gradient row of tap `(kh, kw)` into channel `ci`'s input gradient
    /// `dx` `[B, H, W]` (of that channel only).
    fn add_row(&self, row: &[f32], (kh, kw): (usize, usize), dx: &mut [f32]) {
        let (hlo, hhi) = self.h.window(kh);
        let (wlo, whi) = self.w.window(kw);
        let (hw_in, hw_out, wo) = (self.hw_in(), self.hw_out(), self.w.out);
        for b in 0..self.batch {
            let src = &row[b * hw_out..][..hw_out];
            let dst = &mut dx[b * hw_in..][..hw_in];
            for oh in hlo..hhi {
                let d = &mut dst[self.h.src(oh, kh) * self.w.len..][..self.w.len];
                let s = &src[oh * wo..][..wo];
                for ow in wlo..whi {
                    d[self.w.src(ow, kw)] += s[ow];
                }
            }
        }
    }
}

/// `[B, C_in, H, W]` -> patch matrix `[C_in * T, B * H_out * W_out]` (zeros where a live tap
/// reads padding). Rows are independent, so they are filled in parallel when large.
fn im2col(x: &[f32], g: &Geom) -> Vec<f32> {
    let (n, nt) = (g.n(), g.nt());
    let mut cols = vec![0.0; g.c_in * nt * n];
    if n == 0 || nt == 0 {
        return cols;
    }
    let fill = |(r, row): (usize, &mut [f32])| g.fill_row(x, r / nt, g.taps[r % nt], row);
    if cols.len() < PARALLEL_MIN_VALUES {
        cols.chunks_exact_mut(n).enumerate().for_each(fill);
    } else {
        cols.par_chunks_exact_mut(n).enumerate().for_each(fill);
    }
    cols
}

/// The adjoint of [`im2col`]: the input gradient `[B, C_in, H, W]`. Each channel sums its taps
/// in a fixed order (channels in parallel when large), so the bits do not depend on threads.
fn col2im(cols: &[f32], g: &Geom) -> Vec<f32> {
    let (n, nt, hw) = (g.n(), g.nt(), g.hw_in());
    // [C_in, B, H, W], one contiguous block per channel.
    let mut dx = vec![0.0; g.c_in * g.batch * hw];
    if !dx.is_empty() && nt > 0 {
        let add = |(ci, d): (usize, &mut [f32])| {
            for (t, &tap) in g.taps.iter().enumerate() {
                g.add_row(&cols[(ci * nt + t) * n..][..n], tap, d);
            }
        };
        if cols.len() < PARALLEL_MIN_VALUES {
            dx.chunks_exact_mut(g.batch * hw).enumerate().for_each(add);
        } else {
            dx.par_chunks_exact_mut(g.batch * hw)
                .enumerate()
                .for_each(add);
        }
    }
    // [C_in, B, H, W] -> [B, C_in, H, W]
    swap_lead(&dx, g.c_in, g.batch, hw)
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
        let (sx, sw) = (self.shape(), weight.shape());
        assert!(
            sx.len() == 3 && sw.len() == 3,
            "conv1d: input {sx:?} must be [B, C_in, L] and weight {sw:?} [C_out, C_in/groups, K]"
        );
        let h = Axis::new("conv1d", 1, 1, 1, (0, 0), 1);
        let w = Axis::new("conv1d", sx[2], sw[2], stride, padding, dilation);
        let geo = Geom::new(sx[0], sx[1], sw[0], groups, h, w);
        let out = [geo.batch, geo.c_out, geo.w.out];
        self.conv(weight, bias, geo, &out, "conv1d")
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

    /// 2-D convolution with PyTorch's `F.conv2d` semantics (cross-correlation): `self` is
    /// `[B, C_in, H, W]`, `weight` is `[C_out, C_in / groups, KH, KW]`, `bias` is `[C_out]`;
    /// `stride`, `padding` (zeros on both sides) and `dilation` are `(height, width)`. The output
    /// is `[B, C_out, H_out, W_out]`, each side `(len + 2 pad - dilation (K - 1) - 1) / stride + 1`.
    /// Taps that read only padding for every output position cost nothing.
    pub fn conv2d(
        self,
        weight: Var<'t>,
        bias: Option<Var<'t>>,
        stride: (usize, usize),
        padding: (usize, usize),
        dilation: (usize, usize),
        groups: usize,
    ) -> Var<'t> {
        let (sx, sw) = (self.shape(), weight.shape());
        assert!(
            sx.len() == 4 && sw.len() == 4,
            "conv2d: input {sx:?} must be [B, C_in, H, W] and weight {sw:?} [C_out, C_in/groups, KH, KW]"
        );
        let h = Axis::new(
            "conv2d",
            sx[2],
            sw[2],
            stride.0,
            (padding.0, padding.0),
            dilation.0,
        );
        let w = Axis::new(
            "conv2d",
            sx[3],
            sw[3],
            stride.1,
            (padding.1, padding.1),
            dilation.1,
        );
        let geo = Geom::new(sx[0], sx[1], sw[0], groups, h, w);
        let out = [geo.batch, geo.c_out, geo.h.out, geo.w.out];
        self.conv(weight, bias, geo, &out, "conv2d")
    }

    /// The convolution of either rank on `geo`, recorded with output shape `out`.
    fn conv(
        self,
        weight: Var<'t>,
        bias: Option<Var<'t>>,
        geo: Geom,
        out: &[usize],
        what: &str,
    ) -> Var<'t> {
        let (x, w) = (self.value(), weight.value());
        let (sx, sw) = (x.shape().to_vec(), w.shape().to_vec());
        let groups = geo.groups;
        assert!(
            groups > 0
                && geo.c_in.is_multiple_of(groups)
                && geo.c_out.is_multiple_of(groups)
                && sw[1] * groups == geo.c_in,
            "{what}: input {sx:?}, weight {sw:?} and groups {groups} do not fit"
        );
        let (ck, og, n) = (geo.ck(), geo.og(), geo.n());
        let cols = im2col(x.data(), &geo);
        // [C_out, B * HW_out], starting from the bias when there is one.
        let mut y = vec![0.0; geo.c_out * n];
        let beta = match &bias {
            Some(b) => {
                let bv = b.value();
                assert_eq!(
                    bv.shape(),
                    [geo.c_out],
                    "{what}: bias {:?} does not fit weight {sw:?}",
                    bv.shape()
                );
                for (row, &v) in y.chunks_exact_mut(n.max(1)).zip(bv.data()) {
                    row.fill(v);
                }
                1.0
            }
            None => 0.0,
        };
        // [G, og, ck] · [G, ck, n] -> [G, og, n] = [C_out, B, HW_out]
        let wl = geo.live_weight(w.data());
        mm(
            groups,
            Trans::N,
            Trans::N,
            og,
            n,
            ck,
            &wl,
            &cols,
            beta,
            &mut y,
        );
        drop((cols, wl));
        // [C_out, B, HW_out] -> [B, C_out, HW_out]
        let value = Tensor::from_vec(out, swap_lead(&y, geo.c_out, geo.batch, geo.hw_out()));
        let parents: Vec<Var<'t>> = [self, weight].into_iter().chain(bias).collect();
        self.tape.record(value, &parents, move |g, needs| {
            // [B, C_out, HW_out] -> [C_out, B, HW_out] = [G, og, n]
            let gy = swap_lead(g.data(), geo.batch, geo.c_out, geo.hw_out());
            let gx = needs[0].then(|| {
                let mut gcols = vec![0.0; geo.c_in * geo.nt() * n];
                let wl = geo.live_weight(w.data());
                // [G, og, ck]ᵀ · [G, og, n] -> [G, ck, n]
                mm(
                    groups,
                    Trans::T,
                    Trans::N,
                    ck,
                    n,
                    og,
                    &wl,
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
                Tensor::from_vec(&sw, geo.full_weight(gw))
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
}
