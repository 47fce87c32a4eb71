//! NumPy-style broadcasting: the result shape of two operands and the reduction of a gradient
//! back to an operand's shape.

use crate::Tensor;
use ndarray::{Axis, IxDyn};

/// The broadcast shape of `a` and `b`, aligning trailing dimensions.
///
/// # Panics
/// When a pair of dimensions differs and neither is 1.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let da = if i + a.len() >= n {
                a[i + a.len() - n]
            } else {
                1
            };
            let db = if i + b.len() >= n {
                b[i + b.len() - n]
            } else {
                1
            };
            match (da, db) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => panic!("broadcast: shapes {a:?} and {b:?} are incompatible"),
            }
        })
        .collect()
}

/// Sums `g` over the axes along which `shape` was broadcast, giving a tensor of `shape`.
pub fn sum_to_shape(g: &Tensor, shape: &[usize]) -> Tensor {
    if g.shape() == shape {
        return g.clone();
    }
    let mut arr = g.to_ndarray();
    let lead = arr.ndim() - shape.len();
    for _ in 0..lead {
        arr = arr.sum_axis(Axis(0));
    }
    for (ax, &d) in shape.iter().enumerate() {
        if d == 1 && arr.shape()[ax] != 1 {
            arr = arr.sum_axis(Axis(ax)).insert_axis(Axis(ax));
        }
    }
    Tensor::from_ndarray(
        arr.into_shape_with_order(IxDyn(shape))
            .expect("reduced to target shape"),
    )
}

/// Expands `t` to `shape` (a broadcast copy).
pub(crate) fn broadcast_to(t: &Tensor, shape: &[usize]) -> Tensor {
    if t.shape() == shape {
        return t.clone();
    }
    let v = t.view();
    let b = v
        .broadcast(IxDyn(shape))
        .unwrap_or_else(|| panic!("broadcast: cannot expand {:?} to {shape:?}", t.shape()));
    Tensor::from_ndarray(b)
}
