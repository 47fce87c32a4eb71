//! 1-D pooling over the last axis (`[B, C, L]`, or any `[..., L]`) with PyTorch's semantics.

use super::axis::{rows, split};
use crate::{Tensor, Var};
use rayon::prelude::*;

/// Blocks of at least this many values before the moving average runs them in parallel.
const PARALLEL_MIN: usize = 1 << 15;

/// `f` on each pair of `block`-sized chunks of `src` and `dst`, in parallel when `dst` is large
/// (each chunk is written by one task only, so the bits do not depend on the thread count).
fn blockwise<F>(src: &[f32], dst: &mut [f32], block: usize, f: F)
where
    F: Fn((&[f32], &mut [f32])) + Sync + Send,
{
    if dst.len() >= PARALLEL_MIN {
        (src.par_chunks(block), dst.par_chunks_mut(block))
            .into_par_iter()
            .for_each(f);
    } else {
        src.chunks(block).zip(dst.chunks_mut(block)).for_each(f);
    }
}

/// Window geometry of a 1-D pooling, following PyTorch's `pooling_output_shape`.
#[derive(Debug, Clone, Copy)]
struct Pool {
    len: usize,
    k: usize,
    stride: usize,
    pad: usize,
    l_out: usize,
}

impl Pool {
    fn new(op: &str, len: usize, k: usize, stride: usize, pad: usize, ceil_mode: bool) -> Pool {
        assert!(
            k > 0 && stride > 0 && pad <= k / 2,
            "{op}: kernel_size {k}, stride {stride}, padding {padding} (padding must be at most half the kernel)",
            padding = pad
        );
        assert!(
            len > 0 && len + 2 * pad >= k,
            "{op}: input length {len} with padding {pad} is shorter than kernel_size {k}"
        );
        let extra = if ceil_mode { stride - 1 } else { 0 };
        let mut l_out = (len + 2 * pad - k + extra) / stride + 1;
        // With ceil_mode the last window must start inside the input or the left padding.
        if ceil_mode && (l_out - 1) * stride >= len + pad {
            l_out -= 1;
        }
        Pool {
            len,
            k,
            stride,
            pad,
            l_out,
        }
    }

    /// For output `o`: the input range `lo..hi` its window covers, and PyTorch's
    /// `count_include_pad` divisor (the window clipped to the padded input, padding included).
    fn window(&self, o: usize) -> (usize, usize, usize) {
        let start = (o * self.stride) as isize - self.pad as isize;
        let end = (start + self.k as isize).min((self.len + self.pad) as isize);
        let divisor = (end - start) as usize;
        let lo = start.max(0) as usize;
        let hi = (end.max(0) as usize).min(self.len);
        (lo, hi.max(lo), divisor)
    }
}

impl<'t> Var<'t> {
    /// Average pooling over the last axis, like `F.avg_pool1d(x, kernel_size, stride, padding,
    /// ceil_mode, count_include_pad=True)`: zero padding counts in the divisor, except the part
    /// of a `ceil_mode` window that hangs past the right padding. The backward keeps only sizes.
    pub fn avg_pool1d(
        self,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        ceil_mode: bool,
    ) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        let (nrows, len) = rows(&shape, "avg_pool1d");
        let p = Pool::new("avg_pool1d", len, kernel_size, stride, padding, ceil_mode);
        let mut out = vec![0.0; nrows * p.l_out];
        for (xr, or) in x
            .data()
            .chunks_exact(len)
            .zip(out.chunks_exact_mut(p.l_out))
        {
            for (o, v) in or.iter_mut().enumerate() {
                let (lo, hi, div) = p.window(o);
                *v = xr[lo..hi].iter().sum::<f32>() / div as f32;
            }
        }
        let mut out_shape = shape.clone();
        *out_shape.last_mut().expect("checked by rows") = p.l_out; // [.., L] -> [.., L_out]
        self.tape
            .record(Tensor::from_vec(&out_shape, out), &[self], move |g, _| {
                let mut gx = vec![0.0; nrows * len];
                for (gr, dr) in g.data().chunks_exact(p.l_out).zip(gx.chunks_exact_mut(len)) {
                    for (o, &gv) in gr.iter().enumerate() {
                        let (lo, hi, div) = p.window(o);
                        let share = gv / div as f32;
                        dr[lo..hi].iter_mut().for_each(|d| *d += share);
                    }
                }
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }

    /// The centred moving average of odd `window` along `axis`, the first and last values
    /// repeated `(window - 1) / 2` times at either end so the length is kept: NeuralForecast's
    /// `MovingAvg` (replicate padding, then `AvgPool1d(window, stride=1)`), in one pass without
    /// the padded copy or a transpose. Each output is its window summed in order, then divided.
    ///
    /// # Panics
    /// When `window` is even, or the axis is out of range or empty.
    pub fn moving_average(self, axis: usize, window: usize) -> Var<'t> {
        assert!(
            window % 2 == 1,
            "moving_average: window {window} is not odd"
        );
        let x = self.value();
        let shape = x.shape().to_vec();
        let (outer, len, inner) = split(&shape, axis, "moving_average");
        assert!(len > 0, "moving_average: empty axis {axis} of {shape:?}");
        let half = (window - 1) / 2;
        let div = window as f32;
        // Row `t + j - half` of a [len, inner] block, clamped to the block: the padding.
        let at = move |t: usize, j: usize| (t + j).saturating_sub(half).min(len - 1) * inner;
        let block = len * inner;
        let mut out = vec![0.0f32; outer * block];
        let forward = |(xb, ob): (&[f32], &mut [f32])| {
            for t in 0..len {
                let acc = &mut ob[t * inner..(t + 1) * inner];
                for j in 0..window {
                    let src = &xb[at(t, j)..at(t, j) + inner];
                    acc.iter_mut().zip(src).for_each(|(a, v)| *a += v);
                }
                acc.iter_mut().for_each(|a| *a /= div);
            }
        };
        blockwise(x.data(), &mut out, block, forward);
        let out = Tensor::from_vec(&shape, out);
        self.tape.record(out, &[self], move |g, _| {
            // Each output spreads its gradient / window over the rows its window read.
            let mut gx = vec![0.0f32; outer * block];
            let backward = |(gb, db): (&[f32], &mut [f32])| {
                for t in 0..len {
                    let share = &gb[t * inner..(t + 1) * inner];
                    for j in 0..window {
                        let dst = &mut db[at(t, j)..at(t, j) + inner];
                        dst.iter_mut().zip(share).for_each(|(d, v)| *d += v / div);
                    }
                }
            };
            blockwise(g.data(), &mut gx, block, backward);
            vec![Some(Tensor::from_vec(&shape, gx))]
        })
    }

    /// Max pooling over the last axis, like `F.max_pool1d(x, kernel_size, stride, padding,
    /// ceil_mode=ceil_mode)` (padding never wins). The gradient goes to the first maximal
    /// element of each window; the backward keeps only those positions.
    pub fn max_pool1d(
        self,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        ceil_mode: bool,
    ) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        let (nrows, len) = rows(&shape, "max_pool1d");
        let p = Pool::new("max_pool1d", len, kernel_size, stride, padding, ceil_mode);
        let mut out = vec![0.0; nrows * p.l_out];
        let mut arg = vec![0usize; nrows * p.l_out];
        for (r, xr) in x.data().chunks_exact(len).enumerate() {
            for o in 0..p.l_out {
                let (lo, hi, _) = p.window(o);
                let mut best = lo;
                for i in lo + 1..hi {
                    if xr[i] > xr[best] || xr[i].is_nan() {
                        best = i;
                        if xr[i].is_nan() {
                            break;
                        }
                    }
                }
                out[r * p.l_out + o] = xr[best];
                arg[r * p.l_out + o] = r * len + best;
            }
        }
        let mut out_shape = shape.clone();
        *out_shape.last_mut().expect("checked by rows") = p.l_out; // [.., L] -> [.., L_out]
        self.tape
            .record(Tensor::from_vec(&out_shape, out), &[self], move |g, _| {
                let mut gx = vec![0.0; nrows * len];
                for (&a, &gv) in arg.iter().zip(g.data()) {
                    gx[a] += gv;
                }
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }
}
