//! 1-D pooling over the last axis (`[B, C, L]`, or any `[..., L]`) with PyTorch's semantics.

use super::axis::rows;
use crate::{Tensor, Var};

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
