//! Shape ops: reshape, permute, transpose, slice, split, unbind, concat.

use super::axis::split as split_axis;
use crate::tape::GradPart;
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

    /// Elements `start..end` along `axis`: `[.., L, ..] -> [.., end - start, ..]`. The gradient
    /// is added into that range of `self`'s gradient (no `self`-sized tensor per slice).
    pub fn slice(self, axis: usize, start: usize, end: usize) -> Var<'t> {
        let mut shape = self.shape();
        assert!(
            axis < shape.len() && start <= end && end <= shape[axis],
            "slice: {start}..{end} on axis {axis} of {shape:?}"
        );
        shape[axis] = end - start;
        self.narrow("slice", axis, start, end - start, &shape)
    }

    /// Cuts `axis` into consecutive pieces of lengths `sizes` (which add up to the axis length),
    /// like `torch.split` with a list of sizes: `[.., L, ..] -> [.., sizes[k], ..]` for each `k`.
    /// Each piece's gradient is added into its range of `self`'s gradient.
    pub fn split(self, axis: usize, sizes: &[usize]) -> Vec<Var<'t>> {
        let shape = self.shape();
        assert!(
            axis < shape.len() && sizes.iter().sum::<usize>() == shape[axis],
            "split: sizes {sizes:?} do not add up to axis {axis} of {shape:?}"
        );
        let mut start = 0;
        sizes
            .iter()
            .map(|&len| {
                let mut piece_shape = shape.clone();
                piece_shape[axis] = len;
                let piece = self.narrow("split", axis, start, len, &piece_shape);
                start += len;
                piece
            })
            .collect()
    }

    /// The entries along `axis`, one variable each, with the axis removed (like
    /// `torch.unbind`): `[.., L, ..] -> L x [.., ..]`. Each entry's gradient is added into its
    /// place in `self`'s gradient.
    pub fn unbind(self, axis: usize) -> Vec<Var<'t>> {
        let mut shape = self.shape();
        assert!(
            axis < shape.len(),
            "unbind: axis {axis} out of range for shape {shape:?}"
        );
        let len = shape.remove(axis); // [.., L, ..] -> [.., ..]
        (0..len)
            .map(|l| self.narrow("unbind", axis, l, 1, &shape))
            .collect()
    }

    /// Entries `start..start + len` along `axis`, recorded under `out_shape` (the shape of
    /// `self` with that axis of length `len`, or without it). The backward keeps only sizes and
    /// hands the tape the gradient of that range.
    fn narrow(
        self,
        op: &str,
        axis: usize,
        start: usize,
        len: usize,
        out_shape: &[usize],
    ) -> Var<'t> {
        let x = self.value();
        // [outer, full, inner] around `axis` -> [outer, len, inner]
        let (outer, full, inner) = split_axis(x.shape(), axis, op);
        assert!(
            start + len <= full,
            "{op}: {start}..{} on axis {axis} of {:?}",
            start + len,
            x.shape()
        );
        let (block, stride) = (len * inner, full * inner);
        let mut out = Vec::with_capacity(outer * block);
        for o in 0..outer {
            let at = o * stride + start * inner;
            out.extend_from_slice(&x.data()[at..at + block]);
        }
        let out = Tensor::from_vec(out_shape, out);
        self.tape.record_parts(out, &[self], move |g, _| {
            let grad = g.clone(); // shares the data
            vec![Some(GradPart::Range {
                axis,
                start,
                len,
                grad,
            })]
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
