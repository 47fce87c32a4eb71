//! The tape: a list of recorded values and their backward closures, walked in reverse.

use crate::Tensor;
use crate::ops::axis::split;
use neurodiv_kernels::elementwise::axpy;
use std::cell::RefCell;

/// Computes the gradients of an op's inputs from the gradient of its output.
/// `needs[i]` tells whether input `i` wants a gradient; entries for the others may be `None`.
pub(crate) type BackwardFn = Box<dyn FnOnce(&Tensor, &[bool]) -> Vec<Option<Tensor>>>;

/// Like [`BackwardFn`], for ops whose gradient covers only part of a parent (see [`GradPart`]).
type PartsBackwardFn = Box<dyn FnOnce(&Tensor, &[bool]) -> Vec<Option<GradPart>>>;

/// One parent's share of an op's gradient.
#[derive(Debug)]
pub(crate) enum GradPart {
    /// The gradient of the whole parent, in the parent's shape (what the closures given to
    /// [`Tape::record`] return).
    Full(Tensor),
    /// The gradient of the entries `start..start + len` along `axis` of the parent; the other
    /// entries get nothing from this op. `grad` holds the `[outer, len, inner]` block around
    /// `axis` in row-major order, under any shape with that element count (a slice's gradient
    /// `[.., len, ..]`, or an unbound step's with the axis removed).
    Range {
        axis: usize,
        start: usize,
        len: usize,
        grad: Tensor,
    },
}

enum Backward {
    Full(BackwardFn),
    Parts(PartsBackwardFn),
}

struct Node {
    value: Tensor,
    parents: Vec<usize>,
    backward: Option<Backward>,
    requires_grad: bool,
}

/// Records operations for reverse-mode differentiation. One tape per forward pass.
///
/// A tape made with [`Tape::no_grad`] records values only: no backward closures are kept, which is
/// what inference wants.
pub struct Tape {
    nodes: RefCell<Vec<Node>>,
    grad_enabled: bool,
    training: bool,
}

impl std::fmt::Debug for Tape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tape")
            .field("nodes", &self.nodes.borrow().len())
            .field("grad_enabled", &self.grad_enabled)
            .field("training", &self.training)
            .finish()
    }
}

impl Default for Tape {
    fn default() -> Self {
        Self::new()
    }
}

/// A value recorded on a tape. Copyable handle; ops on it record new values on the same tape.
#[derive(Clone, Copy)]
pub struct Var<'t> {
    pub(crate) tape: &'t Tape,
    pub(crate) id: usize,
}

impl std::fmt::Debug for Var<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var#{} {:?}", self.id, self.value())
    }
}

impl Tape {
    /// A tape that records backward closures (training mode: dropout active).
    pub fn new() -> Self {
        Tape {
            nodes: RefCell::new(Vec::with_capacity(256)),
            grad_enabled: true,
            training: true,
        }
    }

    /// A tape that records no backward closures (inference mode: dropout off).
    pub fn no_grad() -> Self {
        Tape {
            nodes: RefCell::new(Vec::with_capacity(256)),
            grad_enabled: false,
            training: false,
        }
    }

    /// Whether dropout and other training-only behaviour is active.
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// Whether backward closures are recorded.
    pub fn grad_enabled(&self) -> bool {
        self.grad_enabled
    }

    /// Number of recorded values.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A leaf that wants a gradient (a parameter).
    pub fn param(&self, value: Tensor) -> Var<'_> {
        self.push(value, Vec::new(), None, self.grad_enabled)
    }

    /// A leaf without gradient (data, masks, constants).
    pub fn constant(&self, value: Tensor) -> Var<'_> {
        self.push(value, Vec::new(), None, false)
    }

    fn push(
        &self,
        value: Tensor,
        parents: Vec<usize>,
        backward: Option<Backward>,
        requires_grad: bool,
    ) -> Var<'_> {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            value,
            parents,
            backward,
            requires_grad,
        });
        Var {
            tape: self,
            id: nodes.len() - 1,
        }
    }

    /// Records the result of an op on `parents`. The backward closure is kept only when the tape
    /// records gradients and some parent wants one.
    pub(crate) fn record(
        &self,
        value: Tensor,
        parents: &[Var<'_>],
        backward: impl FnOnce(&Tensor, &[bool]) -> Vec<Option<Tensor>> + 'static,
    ) -> Var<'_> {
        self.record_with(value, parents, || Backward::Full(Box::new(backward)))
    }

    /// Records a fused op defined outside this crate (flash attention in `neurodiv-attention`):
    /// `value` computed from `parents`, and `backward(grad_of_value, needs)` returning one entry
    /// per parent, in the parent's shape (`None` where `needs` is false or there is none). The
    /// closure is kept only when the tape records gradients and some parent wants one. The op
    /// must have its own gradient check, as every op here does.
    pub fn custom_op(
        &self,
        value: Tensor,
        parents: &[Var<'_>],
        backward: impl FnOnce(&Tensor, &[bool]) -> Vec<Option<Tensor>> + 'static,
    ) -> Var<'_> {
        self.record(value, parents, backward)
    }

    /// [`record`](Self::record) for an op whose backward may return the gradient of a range of
    /// a parent ([`GradPart::Range`]): the tape adds it into that range of the parent's
    /// gradient, which it allocates (zeroed) once, so narrowing ops (`slice`, `split`,
    /// `unbind`) do not build a parent-sized tensor each.
    pub(crate) fn record_parts(
        &self,
        value: Tensor,
        parents: &[Var<'_>],
        backward: impl FnOnce(&Tensor, &[bool]) -> Vec<Option<GradPart>> + 'static,
    ) -> Var<'_> {
        self.record_with(value, parents, || Backward::Parts(Box::new(backward)))
    }

    fn record_with(
        &self,
        value: Tensor,
        parents: &[Var<'_>],
        backward: impl FnOnce() -> Backward,
    ) -> Var<'_> {
        let requires_grad = self.grad_enabled && {
            let nodes = self.nodes.borrow();
            parents.iter().any(|p| nodes[p.id].requires_grad)
        };
        if requires_grad {
            let ids = parents.iter().map(|p| p.id).collect();
            self.push(value, ids, Some(backward()), true)
        } else {
            self.push(value, Vec::new(), None, false)
        }
    }

    pub(crate) fn value_of(&self, id: usize) -> Tensor {
        self.nodes.borrow()[id].value.clone()
    }

    pub(crate) fn requires_grad_of(&self, id: usize) -> bool {
        self.nodes.borrow()[id].requires_grad
    }

    /// Back-propagates from `root` (seeded with ones of its shape; usually a scalar loss) and
    /// returns the gradients. The backward closures are consumed: call once per tape.
    ///
    /// # Panics
    /// When called on a tape without gradients or twice on the same tape.
    pub fn backward(&self, root: Var<'_>) -> Grads {
        assert!(self.grad_enabled, "backward on a no_grad tape");
        let seed = Tensor::ones(root.value().shape());
        self.backward_with(root, seed)
    }

    /// [`backward`](Self::backward) for a training step that reads no value after it: each
    /// value computed by an op is released as soon as the walk has passed it (the values of
    /// leaves stay), so memory falls during the backward instead of rising by the gradients.
    /// Such a value reads as an empty tensor afterwards.
    pub fn backward_releasing(&self, root: Var<'_>) -> Grads {
        assert!(self.grad_enabled, "backward on a no_grad tape");
        let seed = Tensor::ones(root.value().shape());
        self.walk(root, seed, true)
    }

    /// Back-propagates from `root` seeded with the gradient `seed` (same shape as `root`).
    pub fn backward_with(&self, root: Var<'_>, seed: Tensor) -> Grads {
        self.walk(root, seed, false)
    }

    fn walk(&self, root: Var<'_>, seed: Tensor, release: bool) -> Grads {
        assert!(
            std::ptr::eq(root.tape, self),
            "backward: variable from another tape"
        );
        assert_eq!(
            seed.shape(),
            root.value().shape(),
            "backward: seed shape differs from root"
        );
        let mut nodes = self.nodes.borrow_mut();
        let mut grads: Vec<Option<Tensor>> = vec![None; root.id + 1];
        let mut needs: Vec<bool> = Vec::with_capacity(8); // reused for every node
        grads[root.id] = Some(seed);
        for id in (0..=root.id).rev() {
            let Some(g) = grads[id].take() else { continue };
            let node = &mut nodes[id];
            if let Some(bw) = node.backward.take() {
                let parents = std::mem::take(&mut node.parents);
                needs.clear();
                needs.extend(parents.iter().map(|&p| nodes[p].requires_grad));
                match bw {
                    Backward::Full(bw) => {
                        let parts = bw(&g, &needs).into_iter();
                        let parts = parts.map(|pg| pg.map(GradPart::Full));
                        add_parts(&mut grads, &nodes, &parents, &needs, parts);
                    }
                    Backward::Parts(bw) => {
                        let parts = bw(&g, &needs).into_iter();
                        add_parts(&mut grads, &nodes, &parents, &needs, parts);
                    }
                }
                if release {
                    nodes[id].value = Tensor::zeros(&[0]);
                }
            } else if nodes[id].parents.is_empty() && nodes[id].requires_grad {
                // A leaf: keep its gradient.
                grads[id] = Some(g);
            }
        }
        Grads { grads }
    }
}

/// Adds the gradients a backward closure returned (one per parent) into the parents' slots.
fn add_parts(
    grads: &mut [Option<Tensor>],
    nodes: &[Node],
    parents: &[usize],
    needs: &[bool],
    parts: impl ExactSizeIterator<Item = Option<GradPart>>,
) {
    debug_assert_eq!(parts.len(), parents.len());
    for ((&p, part), &need) in parents.iter().zip(parts).zip(needs) {
        if let (Some(part), true) = (part, need) {
            accumulate(&mut grads[p], nodes[p].value.shape(), part);
        }
    }
}

/// Adds `part` into `slot`, the gradient of a value of `shape`. A whole gradient becomes the
/// slot when it is empty; a range is copied into a zeroed tensor of `shape` then, and added into
/// its range afterwards. Contributions are added in the order they come, one `axpy` each.
fn accumulate(slot: &mut Option<Tensor>, shape: &[usize], part: GradPart) {
    match (part, slot.as_mut()) {
        (GradPart::Full(g), None) => *slot = Some(g),
        (GradPart::Full(g), Some(acc)) => {
            assert_eq!(
                acc.shape(),
                g.shape(),
                "gradient accumulation: shapes differ"
            );
            axpy(1.0, g.data(), acc.data_mut());
        }
        (
            GradPart::Range {
                axis,
                start,
                len,
                grad,
            },
            acc,
        ) => {
            // [outer, full, inner] around `axis`; the part is [outer, len, inner].
            let (outer, full, inner) = split(shape, axis, "gradient range");
            assert!(
                start + len <= full && grad.numel() == outer * len * inner,
                "gradient range: {start}..{} on axis {axis} of {shape:?} with a gradient of {:?}",
                start + len,
                grad.shape()
            );
            let fresh = acc.is_none();
            let acc = match acc {
                Some(acc) => {
                    assert_eq!(acc.shape(), shape, "gradient accumulation: shapes differ");
                    acc
                }
                None if len == full => {
                    *slot = Some(grad.reshape(shape)); // the whole axis: no copy
                    return;
                }
                None => slot.insert(Tensor::zeros(shape)),
            };
            let (block, stride) = (len * inner, full * inner);
            if block == 0 {
                return;
            }
            let (src, dst) = (grad.data(), acc.data_mut());
            for (o, src) in src.chunks_exact(block).enumerate() {
                let dst = &mut dst[o * stride + start * inner..][..block];
                if fresh {
                    dst.copy_from_slice(src);
                } else {
                    axpy(1.0, src, dst);
                }
            }
        }
    }
}

/// Gradients returned by [`Tape::backward`], looked up by variable.
#[derive(Debug)]
pub struct Grads {
    grads: Vec<Option<Tensor>>,
}

impl Grads {
    /// The gradient of a leaf variable, or `None` if it did not influence the root.
    pub fn get(&self, v: Var<'_>) -> Option<&Tensor> {
        self.grads.get(v.id).and_then(|g| g.as_ref())
    }

    /// Takes the gradient out (avoids a copy).
    pub fn take(&mut self, v: Var<'_>) -> Option<Tensor> {
        self.grads.get_mut(v.id).and_then(|g| g.take())
    }
}

impl<'t> Var<'t> {
    /// The recorded value (shares data, no copy).
    pub fn value(&self) -> Tensor {
        self.tape.value_of(self.id)
    }

    /// The shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        self.tape.nodes.borrow()[self.id].value.shape().to_vec()
    }

    /// The tape this variable lives on.
    pub fn tape(&self) -> &'t Tape {
        self.tape
    }

    /// Whether a gradient flows to this variable.
    pub fn requires_grad(&self) -> bool {
        self.tape.requires_grad_of(self.id)
    }

    /// A constant on the same tape.
    pub fn constant(&self, t: Tensor) -> Var<'t> {
        self.tape.constant(t)
    }
}
