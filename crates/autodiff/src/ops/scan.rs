//! Scans: cumulative sum along an axis.

use super::axis::split;
use crate::{Tensor, Var};
use neurodiv_kernels::elementwise::axpy;

/// Running sums along the middle axis of `[outer, len, inner]` data, forwards or backwards.
fn running_sum(d: &[f32], outer: usize, len: usize, inner: usize, reverse: bool) -> Vec<f32> {
    let mut out = vec![0.0; d.len()];
    let mut acc = vec![0.0; inner];
    for o in 0..outer {
        acc.fill(0.0);
        for step in 0..len {
            let l = if reverse { len - 1 - step } else { step };
            let at = (o * len + l) * inner;
            axpy(1.0, &d[at..at + inner], &mut acc);
            out[at..at + inner].copy_from_slice(&acc);
        }
    }
    out
}

impl<'t> Var<'t> {
    /// Cumulative sum along `axis`: element `l` is the sum of elements `0..=l` (like
    /// `torch.cumsum`). The gradient is the reversed cumulative sum; the backward keeps only the
    /// shape.
    pub fn cumsum(self, axis: usize) -> Var<'t> {
        let x = self.value();
        let (outer, len, inner) = split(x.shape(), axis, "cumsum");
        let out = Tensor::from_vec(x.shape(), running_sum(x.data(), outer, len, inner, false));
        self.tape.record(out, &[self], move |g, _| {
            let gx = running_sum(g.data(), outer, len, inner, true);
            vec![Some(Tensor::from_vec(g.shape(), gx))]
        })
    }
}
