//! The forward-pass context: parameters bound to a tape, the random stream for dropout, and the
//! buffer updates a training pass proposes.

use crate::{ParamId, ParamRole, ParamStore};
use neurodiv_autodiff::{Grads, Tape, Tensor, Var};
use neurodiv_kernels::Rng;

/// A [`ParamStore`] bound to a [`Tape`] for one forward pass, with the pass's random stream.
#[derive(Debug)]
pub struct Ctx<'t> {
    tape: &'t Tape,
    params: Vec<Var<'t>>,
    roles: Vec<ParamRole>,
    buffer_updates: Vec<(ParamId, Tensor)>,
    /// Random stream for dropout and other stochastic layers in this pass.
    pub rng: Rng,
}

impl<'t> Ctx<'t> {
    /// Puts every entry of `store` on `tape`: trainable parameters as gradient-wanting leaves
    /// (when the tape records gradients), frozen parameters and buffers as constants, so the
    /// backward pass computes and keeps no gradient for them.
    pub fn new(tape: &'t Tape, store: &ParamStore, rng: Rng) -> Self {
        let roles: Vec<ParamRole> = (0..store.len()).map(|i| store.role(ParamId(i))).collect();
        let params = store
            .tensors()
            .iter()
            .zip(&roles)
            .map(|(t, &role)| match role {
                ParamRole::Trainable => tape.param(t.clone()),
                ParamRole::Frozen | ParamRole::Buffer => tape.constant(t.clone()),
            })
            .collect();
        Ctx {
            tape,
            params,
            roles,
            buffer_updates: Vec::new(),
            rng,
        }
    }

    /// The tape.
    pub fn tape(&self) -> &'t Tape {
        self.tape
    }

    /// The variable of parameter (or buffer) `id`.
    pub fn p(&self, id: ParamId) -> Var<'t> {
        self.params[id.0]
    }

    /// A constant on the tape.
    pub fn constant(&self, t: Tensor) -> Var<'t> {
        self.tape.constant(t)
    }

    /// Whether training-only behaviour (dropout, batch statistics) is active.
    pub fn training(&self) -> bool {
        self.tape.is_training()
    }

    /// Proposes `value` as the new value of buffer `id` (batch normalisation's running
    /// statistics). The value seen by this pass does not change; the trainer writes the
    /// proposals into the store after the optimizer step (see [`take_buffer_updates`]). A later
    /// proposal for the same buffer replaces an earlier one.
    ///
    /// [`take_buffer_updates`]: Self::take_buffer_updates
    ///
    /// # Panics
    /// When `id` is not a buffer or the shapes differ (a bug in a layer).
    pub fn set_buffer(&mut self, id: ParamId, value: Tensor) {
        assert!(
            self.roles[id.0] == ParamRole::Buffer,
            "Ctx::set_buffer: entry {} is not a buffer",
            id.0
        );
        assert_eq!(
            self.params[id.0].shape(),
            value.shape(),
            "Ctx::set_buffer: shape of buffer {}",
            id.0
        );
        self.buffer_updates.retain(|(b, _)| *b != id);
        self.buffer_updates.push((id, value));
    }

    /// The buffer values proposed during this pass, in the order they were proposed.
    pub fn take_buffer_updates(&mut self) -> Vec<(ParamId, Tensor)> {
        std::mem::take(&mut self.buffer_updates)
    }

    /// The gradients of the trainable parameters, one per trainable parameter in store order
    /// (the order of [`ParamStore::trainable_mut`] and [`ParamStore::trainable_ids`]); zeros for
    /// those the loss did not reach. Frozen parameters and buffers have no entry.
    pub fn param_grads(&self, grads: &mut Grads) -> Vec<Tensor> {
        self.params
            .iter()
            .zip(&self.roles)
            .filter(|&(_, &role)| role == ParamRole::Trainable)
            .map(|(&v, _)| grads.take(v).unwrap_or_else(|| Tensor::zeros(&v.shape())))
            .collect()
    }
}
