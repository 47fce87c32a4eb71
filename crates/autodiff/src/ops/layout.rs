//! Layout ops: stack, flip, expand, repeat, pad, unsqueeze, squeeze.
//!
//! Most of them view the data as `[outer, len, inner]` around one axis and move contiguous
//! blocks of `inner` values.

use super::axis::split;
use super::broadcast::{broadcast_to, sum_to_shape};
use crate::{Tensor, Var};

impl<'t> Var<'t> {
    /// Stacks variables of one shape along a new axis `axis` (`0..=ndim`), like `torch.stack`.
    pub fn stack(vars: &[Var<'t>], axis: usize) -> Var<'t> {
        assert!(!vars.is_empty(), "stack: no inputs");
        let vals: Vec<Tensor> = vars.iter().map(|v| v.value()).collect();
        let shape = vals[0].shape().to_vec();
        assert!(
            axis <= shape.len(),
            "stack: axis {axis} out of range for shape {shape:?}"
        );
        for v in &vals {
            assert_eq!(
                v.shape(),
                shape.as_slice(),
                "stack: shapes differ ({shape:?} vs {:?})",
                v.shape()
            );
        }
        let n = vals.len();
        let outer: usize = shape[..axis].iter().product();
        let inner: usize = shape[axis..].iter().product();
        let mut out = Vec::with_capacity(outer * n * inner);
        for o in 0..outer {
            for v in &vals {
                out.extend_from_slice(&v.data()[o * inner..(o + 1) * inner]);
            }
        }
        let mut out_shape = shape.clone();
        out_shape.insert(axis, n); // [.., n, ..]
        vars[0]
            .tape
            .record(Tensor::from_vec(&out_shape, out), vars, move |g, needs| {
                let gd = g.data();
                needs
                    .iter()
                    .enumerate()
                    .map(|(k, &need)| {
                        need.then(|| {
                            let mut gk = Vec::with_capacity(outer * inner);
                            for o in 0..outer {
                                let at = (o * n + k) * inner;
                                gk.extend_from_slice(&gd[at..at + inner]);
                            }
                            Tensor::from_vec(&shape, gk)
                        })
                    })
                    .collect()
            })
    }

    /// Reverses the order of the elements along `axis`.
    pub fn flip(self, axis: usize) -> Var<'t> {
        let x = self.value();
        let (outer, len, inner) = split(x.shape(), axis, "flip");
        let out = flip_blocks(&x, outer, len, inner);
        self.tape.record(out, &[self], move |g, _| {
            vec![Some(flip_blocks(g, outer, len, inner))]
        })
    }

    /// Broadcasts to the bigger `shape` (NumPy rules: leading axes may be added, axes of length
    /// 1 stretched). The gradient is summed back to the input's shape.
    pub fn expand(self, shape: &[usize]) -> Var<'t> {
        let x = self.value();
        let in_shape = x.shape().to_vec();
        assert!(
            shape.len() >= in_shape.len(),
            "expand: cannot expand {in_shape:?} to fewer axes {shape:?}"
        );
        let out = broadcast_to(&x, shape);
        self.tape.record(out, &[self], move |g, _| {
            vec![Some(sum_to_shape(g, &in_shape))]
        })
    }

    /// Tiles the whole extent of `axis` `times` times: `[a, b]` repeated twice is
    /// `[a, b, a, b]` (like `torch.Tensor.repeat` on one axis). The gradient sums the copies.
    pub fn repeat(self, axis: usize, times: usize) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        let (outer, len, inner) = split(&shape, axis, "repeat");
        let block = len * inner;
        let mut out = Vec::with_capacity(outer * times * block);
        for o in 0..outer {
            for _ in 0..times {
                out.extend_from_slice(&x.data()[o * block..(o + 1) * block]);
            }
        }
        let mut out_shape = shape.clone();
        out_shape[axis] = len * times; // [.., len, ..] -> [.., len * times, ..]
        self.tape
            .record(Tensor::from_vec(&out_shape, out), &[self], move |g, _| {
                let mut gx = vec![0.0; outer * block];
                for (o, dst) in gx.chunks_exact_mut(block.max(1)).enumerate() {
                    for r in 0..times {
                        let at = (o * times + r) * block;
                        neurodiv_kernels::elementwise::axpy(1.0, &g.data()[at..at + block], dst);
                    }
                }
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }

    /// Pads `axis` with `before` values in front and `after` values behind, all equal to
    /// `value` (PyTorch's constant padding).
    pub fn pad(self, axis: usize, before: usize, after: usize, value: f32) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        let (outer, len, inner) = split(&shape, axis, "pad");
        let out_len = before + len + after;
        let mut out = vec![value; outer * out_len * inner];
        for o in 0..outer {
            let src = &x.data()[o * len * inner..(o + 1) * len * inner];
            let at = (o * out_len + before) * inner;
            out[at..at + len * inner].copy_from_slice(src);
        }
        let mut out_shape = shape.clone();
        out_shape[axis] = out_len; // [.., len, ..] -> [.., before + len + after, ..]
        self.tape
            .record(Tensor::from_vec(&out_shape, out), &[self], move |g, _| {
                let mut gx = Vec::with_capacity(outer * len * inner);
                for o in 0..outer {
                    let at = (o * out_len + before) * inner;
                    gx.extend_from_slice(&g.data()[at..at + len * inner]);
                }
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }

    /// Inserts an axis of length 1 at `axis` (`0..=ndim`).
    pub fn unsqueeze(self, axis: usize) -> Var<'t> {
        let mut shape = self.shape();
        assert!(
            axis <= shape.len(),
            "unsqueeze: axis {axis} out of range for shape {shape:?}"
        );
        shape.insert(axis, 1);
        self.reshape(&shape)
    }

    /// Removes the axis `axis`, which must have length 1.
    pub fn squeeze(self, axis: usize) -> Var<'t> {
        let mut shape = self.shape();
        assert!(
            axis < shape.len() && shape[axis] == 1,
            "squeeze: axis {axis} of shape {shape:?} does not have length 1"
        );
        shape.remove(axis);
        self.reshape(&shape)
    }
}

/// `[outer, len, inner]` with the middle axis reversed.
fn flip_blocks(x: &Tensor, outer: usize, len: usize, inner: usize) -> Tensor {
    let d = x.data();
    let mut out = Vec::with_capacity(d.len());
    for o in 0..outer {
        for l in (0..len).rev() {
            let at = (o * len + l) * inner;
            out.extend_from_slice(&d[at..at + inner]);
        }
    }
    Tensor::from_vec(x.shape(), out)
}
