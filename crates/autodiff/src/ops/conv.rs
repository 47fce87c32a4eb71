//! 1-D and 2-D convolution (PyTorch's `F.conv1d` / `F.conv2d`: cross-correlation) through im2col
//! and GEMM. A 1-D convolution is the 2-D one on a grid of height 1.
//!
//! The input `[B, C_in, H, W]` is unrolled into a patch matrix `[C_in * T, B * H_out * W_out]`
//! (row `ci * T + tap` holds input channel `ci` shifted by one kernel tap, for every batch entry
//! and output position), where the `T` taps are the **live** ones: a tap that reads only padding
//! for every output position (a row of an 11 x 11 kernel on a grid 3 rows high) contributes
//! nothing and is left out of the patch matrix and the GEMM. The weight
//! `[C_out, C_in / G, KH, KW]` restricted to the live taps is `[G, C_out / G, C_in / G * T]`, so
//! one GEMM per group gives `[C_out, B * H_out * W_out]`, then reordered to
//! `[B, C_out, H_out, W_out]`. The backward keeps the input and the weight and rebuilds the patch
//! matrix only when the weight needs a gradient (dead taps get a zero gradient).
//!
//! The batch is processed in chunks of entries (a patch matrix of about [`PATCH_VALUES`] values,
//! at least [`CHUNK_COLUMNS`] output positions), so that a chunk's patch matrix stays in cache between being written and being multiplied;
//! chunks run in parallel, each GEMM on one thread. The weight gradient is summed over the
//! chunks of each of at most [`GRAD_BLOCKS`] blocks, then over the blocks in order: the block
//! boundaries depend on the shapes only, so the bits do not depend on the number of threads.

use crate::{Tensor, Var};
use neurodiv_kernels::{Trans, gemm_serial};
use rayon::prelude::*;

/// Convolutions of fewer multiply-adds than this run on one thread.
const PARALLEL_MIN_WORK: usize = 1 << 18;

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

    /// Fills the patch-matrix row of channel `ci` and tap `(kh, kw)` from the batch entries
    /// `x` `[nb, C_in, H, W]` (the row has `nb * H_out * W_out` values).
    fn fill_row(&self, x: &[f32], ci: usize, (kh, kw): (usize, usize), row: &mut [f32]) {
        let (hlo, hhi) = self.h.window(kh);
        let (wlo, whi) = self.w.window(kw);
        let (hw_in, hw_out, wo) = (self.hw_in(), self.hw_out(), self.w.out);
        for b in 0..row.len() / hw_out {
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

    /// Adds the patch-matrix gradient row of channel `ci` and tap `(kh, kw)` into the input
    /// gradient `dx` `[nb, C_in, H, W]` of the row's batch entries.
    fn add_row(&self, row: &[f32], ci: usize, (kh, kw): (usize, usize), dx: &mut [f32]) {
        let (hlo, hhi) = self.h.window(kh);
        let (wlo, whi) = self.w.window(kw);
        let (hw_in, hw_out, wo) = (self.hw_in(), self.hw_out(), self.w.out);
        for b in 0..row.len() / hw_out {
            let src = &row[b * hw_out..][..hw_out];
            let dst = &mut dx[(b * self.c_in + ci) * hw_in..][..hw_in];
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

/// Values of a chunk's patch matrix to aim at (1 MiB of f32): small enough to stay in cache
/// between being written and being multiplied, large enough that packing the weight for each
/// chunk's GEMM costs little beside it.
const PATCH_VALUES: usize = 1 << 18;
/// Output columns of a chunk at least, for an efficient GEMM.
const CHUNK_COLUMNS: usize = 256;
/// Chunks a batch is cut into at least (when it has that many entries), for parallelism.
const MIN_CHUNKS: usize = 4;
/// Chunks whose weight gradients are summed apart, then added in order (a fixed count, so the
/// sums do not depend on the number of threads).
const GRAD_BLOCKS: usize = 8;

impl Geom {
    /// Batch entries per chunk (a function of the shapes only).
    fn chunk(&self) -> usize {
        let rows = (self.c_in * self.nt()).max(1);
        let columns = (PATCH_VALUES / rows).max(CHUNK_COLUMNS);
        let cb = columns.div_ceil(self.hw_out().max(1));
        cb.min(self.batch.div_ceil(MIN_CHUNKS))
            .clamp(1, self.batch.max(1))
    }

    /// The patch matrix `[C_in * T, nb * H_out * W_out]` of the batch entries `x`
    /// `[nb, C_in, H, W]` (zeros where a live tap reads padding).
    fn im2col(&self, x: &[f32], nb: usize) -> Vec<f32> {
        let (n, nt) = (nb * self.hw_out(), self.nt());
        let mut cols = vec![0.0; self.c_in * nt * n];
        if n > 0 {
            for (r, row) in cols.chunks_exact_mut(n).enumerate() {
                self.fill_row(x, r / nt, self.taps[r % nt], row);
            }
        }
        cols
    }

    /// The adjoint of [`im2col`](Self::im2col): adds the patch-matrix gradient into `dx`
    /// `[nb, C_in, H, W]`, each channel's taps in a fixed order.
    fn col2im(&self, cols: &[f32], nb: usize, dx: &mut [f32]) {
        let (n, nt) = (nb * self.hw_out(), self.nt());
        if n == 0 {
            return;
        }
        for (r, row) in cols.chunks_exact(n).enumerate() {
            self.add_row(row, r / nt, self.taps[r % nt], dx);
        }
    }

    /// `C = op(A) · op(B) + beta C` for each of the `G` groups of a chunk of `n` columns.
    #[allow(clippy::too_many_arguments)]
    fn group_gemm(
        &self,
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
        for g in 0..self.groups {
            let (a, b) = (&a[g * m * k..][..m * k], &b[g * k * n..][..k * n]);
            gemm_serial(
                ta,
                tb,
                m,
                n,
                k,
                1.0,
                a,
                b,
                beta,
                &mut c[g * m * n..][..m * n],
            );
        }
    }
}

/// `[a, b, inner]` -> `[b, a, inner]` (swaps the two leading axes, moving `inner` blocks).
fn swap_lead(d: &[f32], a: usize, b: usize, inner: usize, out: &mut [f32]) {
    for j in 0..b {
        for i in 0..a {
            let (src, dst) = ((i * b + j) * inner, (j * a + i) * inner);
            out[dst..dst + inner].copy_from_slice(&d[src..src + inner]);
        }
    }
}

/// Runs `f(chunk index, chunk)` on `data` cut into chunks of `size`, in parallel when the work
/// is large enough to pay for it.
fn for_chunks<F: Fn(usize, &mut [f32]) + Sync + Send>(
    data: &mut [f32],
    size: usize,
    work: usize,
    f: F,
) {
    if data.is_empty() {
        return;
    }
    if work < PARALLEL_MIN_WORK || rayon::current_num_threads() <= 1 {
        data.chunks_mut(size).enumerate().for_each(|(i, c)| f(i, c));
    } else {
        data.par_chunks_mut(size)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
}

/// `data` cut into `n` consecutive slices of `size` (the last one shorter), or `n` empty slices
/// when `data` is empty (a gradient that is not needed).
fn block_parts(data: &mut [f32], size: usize, n: usize) -> Vec<&mut [f32]> {
    if data.is_empty() || size == 0 {
        return (0..n).map(|_| &mut [][..]).collect();
    }
    data.chunks_mut(size).collect()
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
        let bias = bias.inspect(|b| {
            assert_eq!(
                b.shape(),
                [geo.c_out],
                "{what}: bias {:?} does not fit weight {sw:?}",
                b.shape()
            );
        });
        let (ck, og, hw, cb) = (geo.ck(), geo.og(), geo.hw_out(), geo.chunk());
        let (x_entry, y_entry) = (geo.c_in * geo.hw_in(), geo.c_out * hw);
        let work = geo.c_out * ck * geo.n();
        // Chunks of `cb` batch entries, each: patch matrix, GEMM into [C_out, nb * HW_out]
        // (starting from the bias), reordered into [nb, C_out, HW_out].
        let wl = geo.live_weight(w.data());
        let bv = bias.map(|b| b.value());
        let mut y = vec![0.0; geo.batch * y_entry];
        for_chunks(&mut y, cb * y_entry, work, |c, out| {
            let nb = out.len() / y_entry;
            let cols = geo.im2col(&x.data()[c * cb * x_entry..], nb);
            let n = nb * hw;
            let mut acc = vec![0.0; geo.c_out * n];
            if let Some(b) = &bv {
                for (row, &v) in acc.chunks_exact_mut(n).zip(b.data()) {
                    row.fill(v);
                }
            }
            // [G, og, ck] · [G, ck, n] -> [G, og, n] = [C_out, nb, HW_out]
            geo.group_gemm(Trans::N, Trans::N, og, n, ck, &wl, &cols, 1.0, &mut acc);
            swap_lead(&acc, geo.c_out, nb, hw, out); // -> [nb, C_out, HW_out]
        });
        drop(wl);
        let value = Tensor::from_vec(out, y);
        let parents: Vec<Var<'t>> = [self, weight].into_iter().chain(bias).collect();
        self.tape.record(value, &parents, move |g, needs| {
            let (need_x, need_w) = (needs[0], needs[1]);
            let wl = geo.live_weight(w.data());
            let chunks = geo.batch.div_ceil(cb);
            let per_block = chunks.div_ceil(GRAD_BLOCKS).max(1);
            let mut gx = vec![0.0; if need_x { geo.batch * x_entry } else { 0 }];
            let (blocks, gw_block) = (chunks.div_ceil(per_block), geo.c_out * ck);
            let mut partial = vec![0.0; if need_w { blocks * gw_block } else { 0 }];
            // One block of chunks: its input gradients and its sum of weight gradients.
            let block = |i: usize, gx: &mut [f32], gw: &mut [f32]| {
                let first = i * per_block;
                for c in first..(first + per_block).min(chunks) {
                    let b0 = c * cb;
                    let nb = cb.min(geo.batch - b0);
                    let n = nb * hw;
                    // [nb, C_out, HW_out] -> [C_out, nb, HW_out] = [G, og, n]
                    let mut gy = vec![0.0; geo.c_out * n];
                    swap_lead(
                        &g.data()[b0 * y_entry..][..nb * y_entry],
                        nb,
                        geo.c_out,
                        hw,
                        &mut gy,
                    );
                    if need_x {
                        let mut gcols = vec![0.0; geo.c_in * geo.nt() * n];
                        // [G, og, ck]ᵀ · [G, og, n] -> [G, ck, n]
                        geo.group_gemm(Trans::T, Trans::N, ck, n, og, &wl, &gy, 0.0, &mut gcols);
                        let at = (c - first) * cb * x_entry;
                        geo.col2im(&gcols, nb, &mut gx[at..at + nb * x_entry]);
                    }
                    if need_w {
                        let cols = geo.im2col(&x.data()[b0 * x_entry..], nb);
                        // [G, og, n] · [G, ck, n]ᵀ -> [G, og, ck], summed over the block's chunks
                        geo.group_gemm(Trans::N, Trans::T, og, ck, n, &gy, &cols, 1.0, gw);
                    }
                }
            };
            // Each block's slices of the input gradient and of the partial weight gradients.
            let gx_parts = block_parts(&mut gx, per_block * cb * x_entry, blocks);
            let gw_parts = block_parts(&mut partial, gw_block, blocks);
            let run = |(i, (gx, gw)): (usize, (&mut [f32], &mut [f32]))| block(i, gx, gw);
            if 2 * work < PARALLEL_MIN_WORK || rayon::current_num_threads() <= 1 || blocks == 1 {
                gx_parts.into_iter().zip(gw_parts).enumerate().for_each(run);
            } else {
                gx_parts
                    .into_par_iter()
                    .zip(gw_parts)
                    .enumerate()
                    .for_each(run);
            }
            let gw = need_w.then(|| {
                // The blocks' sums, added in block order.
                let mut total = vec![0.0; gw_block];
                if gw_block > 0 {
                    for p in partial.chunks_exact(gw_block) {
                        total.iter_mut().zip(p).for_each(|(t, v)| *t += v);
                    }
                }
                Tensor::from_vec(&sw, geo.full_weight(total))
            });
            let mut grads = vec![need_x.then(|| Tensor::from_vec(&sx, gx)), gw];
            if needs.len() == 3 {
                grads.push(needs[2].then(|| {
                    let mut sums = vec![0.0; geo.c_out];
                    for entry in g.data().chunks_exact(y_entry.max(1)) {
                        for (s, row) in sums.iter_mut().zip(entry.chunks_exact(hw.max(1))) {
                            *s += row.iter().sum::<f32>();
                        }
                    }
                    Tensor::from_vec(&[geo.c_out], sums)
                }));
            }
            grads
        })
    }
}
