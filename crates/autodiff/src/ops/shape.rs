//! Shape ops: reshape, permute, transpose, slice, concat.

use crate::{Tensor, Var};
use ndarray::{Axis, Slice};

impl<'t> Var<'t> {
    /// Same data, new shape (same element count).
    pub fn reshape(self, shape: &[usize]) -> Var<'t> {
        let x = self.value();
        let in_shape = x.shape().to_vec();
        let out = x.reshape(shape);
        self.tape
            .record(out, &[self], move |g, _| vec![Some(g.reshape(&in_shape))])
    }

    /// Reorders the axes: output axis `i` is input axis `perm[i]`.
    pub fn permute(self, perm: &[usize]) -> Var<'t> {
        let x = self.value();
        assert_eq!(
            perm.len(),
            x.ndim(),
            "permute: {perm:?} for shape {:?}",
            x.shape()
        );
        let out = Tensor::from_ndarray(x.view().permuted_axes(perm.to_vec()));
        let mut inv = vec![0; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inv[p] = i;
        }
        self.tape.record(out, &[self], move |g, _| {
            vec![Some(Tensor::from_ndarray(g.view().permuted_axes(inv)))]
        })
    }

    /// Swaps two axes.
    pub fn transpose(self, a: usize, b: usize) -> Var<'t> {
        let mut perm: Vec<usize> = (0..self.value().ndim()).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// Elements `start..end` along `axis`.
    pub fn slice(self, axis: usize, start: usize, end: usize) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        assert!(
            axis < shape.len() && start <= end && end <= shape[axis],
            "slice: {start}..{end} on axis {axis} of {shape:?}"
        );
        let out = Tensor::from_ndarray(x.view().slice_axis(Axis(axis), Slice::from(start..end)));
        self.tape.record(out, &[self], move |g, _| {
            let mut gx = ndarray::ArrayD::<f32>::zeros(shape.as_slice());
            gx.slice_axis_mut(Axis(axis), Slice::from(start..end))
                .assign(&g.view());
            vec![Some(Tensor::from_ndarray(gx))]
        })
    }

    /// Joins variables along an existing `axis` (all other axes equal).
    pub fn concat(vars: &[Var<'t>], axis: usize) -> Var<'t> {
        assert!(!vars.is_empty(), "concat: no inputs");
        let vals: Vec<Tensor> = vars.iter().map(|v| v.value()).collect();
        let views: Vec<_> = vals.iter().map(|t| t.view()).collect();
        let out = ndarray::concatenate(Axis(axis), &views).unwrap_or_else(|_| {
            panic!(
                "concat: shapes {:?} differ off axis {axis}",
                vals.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>()
            )
        });
        let sizes: Vec<usize> = vals.iter().map(|t| t.shape()[axis]).collect();
        vars[0]
            .tape
            .record(Tensor::from_ndarray(out), vars, move |g, needs| {
                let mut start = 0;
                sizes
                    .iter()
                    .zip(needs)
                    .map(|(&len, &need)| {
                        let part = need.then(|| {
                            Tensor::from_ndarray(
                                g.view()
                                    .slice_axis(Axis(axis), Slice::from(start..start + len)),
                            )
                        });
                        start += len;
                        part
                    })
                    .collect()
            })
    }
}
