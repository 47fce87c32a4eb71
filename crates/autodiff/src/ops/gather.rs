//! Indexing ops: index_select, embedding lookup, and masked selection (`where_`).

use super::axis::split;
use super::broadcast::{broadcast_shape, broadcast_to, sum_to_shape};
use crate::{Tensor, Var};
use neurodiv_kernels::elementwise::axpy;

/// Copies `[outer, idx.len(), inner]` out of `[outer, len, inner]` data, picking `idx` along
/// the middle axis.
fn gather(d: &[f32], outer: usize, len: usize, inner: usize, idx: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(outer * idx.len() * inner);
    for o in 0..outer {
        for &j in idx {
            let at = (o * len + j) * inner;
            out.extend_from_slice(&d[at..at + inner]);
        }
    }
    out
}

/// The adjoint of [`gather`]: adds each `[inner]` block of `g` back at its index (repeated
/// indices accumulate).
fn scatter_add(g: &[f32], outer: usize, len: usize, inner: usize, idx: &[usize]) -> Vec<f32> {
    let mut gx = vec![0.0; outer * len * inner];
    for o in 0..outer {
        for (k, &j) in idx.iter().enumerate() {
            let src = (o * idx.len() + k) * inner;
            let dst = (o * len + j) * inner;
            axpy(1.0, &g[src..src + inner], &mut gx[dst..dst + inner]);
        }
    }
    gx
}

fn check_indices(op: &str, idx: &[usize], len: usize, shape: &[usize]) {
    if let Some(&bad) = idx.iter().find(|&&j| j >= len) {
        panic!("{op}: index {bad} out of range {len} (shape {shape:?})");
    }
}

impl<'t> Var<'t> {
    /// Picks the entries `indices` along `axis` (like `torch.index_select`); the axis gets
    /// length `indices.len()`. Indices may repeat; the gradient adds their contributions.
    pub fn index_select(self, axis: usize, indices: &[usize]) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        let (outer, len, inner) = split(&shape, axis, "index_select");
        check_indices("index_select", indices, len, &shape);
        let out = gather(x.data(), outer, len, inner, indices);
        let mut out_shape = shape.clone();
        out_shape[axis] = indices.len(); // [.., len, ..] -> [.., n_indices, ..]
        let idx = indices.to_vec();
        self.tape
            .record(Tensor::from_vec(&out_shape, out), &[self], move |g, _| {
                let gx = scatter_add(g.data(), outer, len, inner, &idx);
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }

    /// Embedding lookup: row `ids[k]` of `weight` (`[V, D]`) for every id. `ids_shape` is the
    /// shape of the id array (its product must be `ids.len()`); the result is
    /// `[..ids_shape, D]`. The gradient of `weight` adds the rows of repeated ids.
    pub fn embedding(weight: Var<'t>, ids: &[usize], ids_shape: &[usize]) -> Var<'t> {
        let w = weight.value();
        let ws = w.shape().to_vec();
        assert_eq!(ws.len(), 2, "embedding: weight must be [V, D], got {ws:?}");
        assert_eq!(
            ids_shape.iter().product::<usize>(),
            ids.len(),
            "embedding: {} ids do not fill shape {ids_shape:?}",
            ids.len()
        );
        check_indices("embedding", ids, ws[0], &ws);
        let out = gather(w.data(), 1, ws[0], ws[1], ids);
        let mut out_shape = ids_shape.to_vec();
        out_shape.push(ws[1]); // [..ids_shape, D]
        let idx = ids.to_vec();
        weight
            .tape
            .record(Tensor::from_vec(&out_shape, out), &[weight], move |g, _| {
                let gw = scatter_add(g.data(), 1, ws[0], ws[1], &idx);
                vec![Some(Tensor::from_vec(&ws, gw))]
            })
    }

    /// `mask ? self : other` element-wise, with NumPy broadcasting among `mask`, `self` and
    /// `other`. A mask entry counts as true when it is not zero (masks are meant to hold 0/1).
    /// The backward keeps only the mask.
    pub fn where_(self, mask: &Tensor, other: Var<'t>) -> Var<'t> {
        let (a, b) = (self.value(), other.value());
        let (sa, sb) = (a.shape().to_vec(), b.shape().to_vec());
        let shape = broadcast_shape(&broadcast_shape(mask.shape(), &sa), &sb);
        let m = broadcast_to(mask, &shape);
        let (a, b) = (broadcast_to(&a, &shape), broadcast_to(&b, &shape));
        let out: Vec<f32> = m
            .data()
            .iter()
            .zip(a.data().iter().zip(b.data()))
            .map(|(&m, (&x, &y))| if m != 0.0 { x } else { y })
            .collect();
        let mask = mask.clone();
        self.tape.record(
            Tensor::from_vec(&shape, out),
            &[self, other],
            move |g, needs| {
                let m = broadcast_to(&mask, g.shape());
                let pick = |when: bool| {
                    let v = g
                        .data()
                        .iter()
                        .zip(m.data())
                        .map(|(&g, &m)| if (m != 0.0) == when { g } else { 0.0 })
                        .collect();
                    Tensor::from_vec(g.shape(), v)
                };
                vec![
                    needs[0].then(|| sum_to_shape(&pick(true), &sa)),
                    needs[1].then(|| sum_to_shape(&pick(false), &sb)),
                ]
            },
        )
    }
}
