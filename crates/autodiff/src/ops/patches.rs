//! Sliding patches along an axis (`torch.Tensor.unfold`).

use super::axis::split;
use crate::{Tensor, Var};
use neurodiv_kernels::elementwise::axpy;

/// Sizes of an unfold of `[outer, len, inner]` into `[outer, n, inner, size]`.
#[derive(Debug, Clone, Copy)]
struct Patches {
    outer: usize,
    len: usize,
    inner: usize,
    n: usize,
    size: usize,
    step: usize,
}

impl Patches {
    /// Calls `f(src, dst)` for every copied element: `src` indexes `[outer, len, inner]`, `dst`
    /// indexes `[outer, n, inner, size]`. With `inner == 1` a patch is one contiguous run.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize)) {
        for o in 0..self.outer {
            for w in 0..self.n {
                let base = o * self.len + w * self.step;
                if self.inner == 1 {
                    f(base, (o * self.n + w) * self.size, self.size);
                } else {
                    for i in 0..self.inner {
                        let dst = ((o * self.n + w) * self.inner + i) * self.size;
                        for p in 0..self.size {
                            f((base + p) * self.inner + i, dst + p, 1);
                        }
                    }
                }
            }
        }
    }
}

impl<'t> Var<'t> {
    /// All windows of length `size` taken every `step` along `axis`, like
    /// `torch.Tensor.unfold(axis, size, step)`: `[.., L, ..]` becomes `[.., n, .., size]` with
    /// `n = (L - size) / step + 1` and the patch on a new trailing axis. The gradient adds the
    /// overlapping patches back; the backward keeps only sizes.
    pub fn unfold(self, axis: usize, size: usize, step: usize) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        let (outer, len, inner) = split(&shape, axis, "unfold");
        assert!(
            size > 0 && step > 0 && size <= len,
            "unfold: size {size}, step {step} on axis {axis} of {shape:?}"
        );
        let pt = Patches {
            outer,
            len,
            inner,
            n: (len - size) / step + 1,
            size,
            step,
        };
        let mut out = vec![0.0; outer * pt.n * inner * size];
        let xd = x.data();
        pt.for_each_run(|s, d, run| out[d..d + run].copy_from_slice(&xd[s..s + run]));
        let mut out_shape = shape.clone();
        out_shape[axis] = pt.n;
        out_shape.push(size); // [.., L, ..] -> [.., n, .., size]
        self.tape
            .record(Tensor::from_vec(&out_shape, out), &[self], move |g, _| {
                let mut gx = vec![0.0; outer * len * inner];
                let gd = g.data();
                pt.for_each_run(|s, d, run| axpy(1.0, &gd[d..d + run], &mut gx[s..s + run]));
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }
}
