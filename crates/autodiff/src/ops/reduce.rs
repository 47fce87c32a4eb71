//! Reductions: sum, mean and max over all elements or one axis.

use crate::{Tensor, Var};
use ndarray::{Axis, IxDyn};

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
        let mut out_shape = shape.clone();
        if keepdim {
            out_shape[axis] = 1;
        } else {
            out_shape.remove(axis);
        }
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
