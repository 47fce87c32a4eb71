//! Reductions: sum, mean, max and logsumexp over all elements or one axis.

use super::axis::split;
use crate::{Tensor, Var};
use ndarray::{Axis, IxDyn};
use neurodiv_kernels::elementwise as ew;

/// `exp(x[o, l, i] - shift[o, i])` for `[outer, len, inner]` data `d` and an `[outer, inner]`
/// shift.
fn exp_shifted(d: &[f32], shift: &[f32], outer: usize, len: usize, inner: usize) -> Vec<f32> {
    let mut e = Vec::with_capacity(d.len());
    for o in 0..outer {
        let s = &shift[o * inner..(o + 1) * inner];
        for l in 0..len {
            let row = &d[(o * len + l) * inner..][..inner];
            e.extend(row.iter().zip(s).map(|(&v, &s)| v - s));
        }
    }
    let mut out = vec![0.0; e.len()];
    ew::exp(&e, &mut out);
    out
}

impl<'t> Var<'t> {
    /// Sum of all elements, as a 0-d tensor.
    pub fn sum_all(self) -> Var<'t> {
        let x = self.value();
        let s: f32 = x.data().iter().sum();
        let shape = x.shape().to_vec();
        self.tape.record(Tensor::scalar(s), &[self], move |g, _| {
            vec![Some(Tensor::full(&shape, g.item()))]
        })
    }

    /// Mean of all elements, as a 0-d tensor.
    pub fn mean_all(self) -> Var<'t> {
        let n = self.value().numel() as f32;
        self.sum_all().mul_scalar(1.0 / n)
    }

    /// Sum over `axis`; with `keepdim` the axis stays with length 1.
    pub fn sum(self, axis: usize, keepdim: bool) -> Var<'t> {
        let x = self.value();
        assert!(
            axis < x.ndim(),
            "sum: axis {axis} out of range for {:?}",
            x.shape()
        );
        let in_shape = x.shape().to_vec();
        let mut out = x.view().sum_axis(Axis(axis));
        let mut kept = in_shape.clone();
        kept[axis] = 1;
        if keepdim {
            out = out.into_shape_with_order(IxDyn(&kept)).expect("same count");
        }
        self.tape
            .record(Tensor::from_ndarray(out), &[self], move |g, _| {
                let g = g.reshape(&kept);
                vec![Some(super::broadcast::broadcast_to(&g, &in_shape))]
            })
    }

    /// Mean over `axis`.
    pub fn mean(self, axis: usize, keepdim: bool) -> Var<'t> {
        let n = self.value().shape()[axis] as f32;
        self.sum(axis, keepdim).mul_scalar(1.0 / n)
    }

    /// `ln Σ exp(x)` over `axis` (like `torch.logsumexp`), stable: the maximum `m` along the
    /// axis is taken out first, `out = m + ln Σ exp(x - m)`. With `keepdim` the axis stays with
    /// length 1. An empty axis or one of `-inf`s gives `-inf`, a `+inf` entry `+inf`, a NaN
    /// entry NaN. The gradient is the softmax along `axis`, `exp(x - m) / Σ exp(x - m)`,
    /// rebuilt in the backward from the input and the `[outer, inner]` maxima and sums (kept).
    pub fn logsumexp(self, axis: usize, keepdim: bool) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        let (outer, len, inner) = split(&shape, axis, "logsumexp");
        let d = x.data();
        // [outer, len, inner] -> [outer, inner]
        let mut max = vec![f32::NEG_INFINITY; outer * inner];
        for o in 0..outer {
            let m = &mut max[o * inner..(o + 1) * inner];
            for l in 0..len {
                let row = &d[(o * len + l) * inner..][..inner];
                // Unlike f32::max, a NaN wins (and stays).
                m.iter_mut().zip(row).for_each(|(m, &v)| {
                    if v > *m || v.is_nan() {
                        *m = v;
                    }
                });
            }
        }
        let e = exp_shifted(d, &max, outer, len, inner);
        let mut sums = vec![0.0; outer * inner];
        for o in 0..outer {
            let s = &mut sums[o * inner..(o + 1) * inner];
            for l in 0..len {
                ew::axpy(1.0, &e[(o * len + l) * inner..][..inner], s);
            }
        }
        let out = max
            .iter()
            .zip(&sums)
            .map(|(&m, &s)| if m.is_finite() { m + s.ln() } else { m })
            .collect();
        let out_shape = reduced_shape(&shape, axis, keepdim);
        self.tape
            .record(Tensor::from_vec(&out_shape, out), &[self], move |g, _| {
                // d out[o, i] / d x[o, l, i] = exp(x[o, l, i] - m[o, i]) / sums[o, i]
                let mut gx = exp_shifted(x.data(), &max, outer, len, inner);
                let scale: Vec<f32> = g.data().iter().zip(&sums).map(|(g, s)| g / s).collect();
                for o in 0..outer {
                    let scale = &scale[o * inner..(o + 1) * inner];
                    for l in 0..len {
                        let at = (o * len + l) * inner;
                        let row = &mut gx[at..at + inner];
                        row.iter_mut().zip(scale).for_each(|(p, &s)| *p *= s);
                    }
                }
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }

    /// Maximum over `axis` (the gradient goes to the first maximal element).
    pub fn max(self, axis: usize, keepdim: bool) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        assert!(
            axis < shape.len(),
            "max: axis {axis} out of range for {shape:?}"
        );
        let outer: usize = shape[..axis].iter().product();
        let len = shape[axis];
        let inner: usize = shape[axis + 1..].iter().product();
        let d = x.data();
        let mut vals = vec![f32::NEG_INFINITY; outer * inner];
        let mut arg = vec![0usize; outer * inner];
        for o in 0..outer {
            for l in 0..len {
                for i in 0..inner {
                    let v = d[(o * len + l) * inner + i];
                    let slot = o * inner + i;
                    if v > vals[slot] || l == 0 {
                        vals[slot] = v;
                        arg[slot] = l;
                    }
                }
            }
        }
        let out_shape = reduced_shape(&shape, axis, keepdim);
        self.tape
            .record(Tensor::from_vec(&out_shape, vals), &[self], move |g, _| {
                let mut gx = vec![0.0; outer * len * inner];
                for o in 0..outer {
                    for i in 0..inner {
                        let slot = o * inner + i;
                        gx[(o * len + arg[slot]) * inner + i] = g.data()[slot];
                    }
                }
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }
}

/// The shape after reducing `axis` of `shape`: kept with length 1 (`keepdim`) or removed.
fn reduced_shape(shape: &[usize], axis: usize, keepdim: bool) -> Vec<usize> {
    let mut out = shape.to_vec();
    if keepdim {
        out[axis] = 1;
    } else {
        out.remove(axis);
    }
    out
}
