//! The forward-pass context: parameters bound to a tape, and the random stream for dropout.

use crate::{ParamId, ParamStore};
use neurodiv_autodiff::{Grads, Tape, Tensor, Var};
use neurodiv_kernels::Rng;

/// A [`ParamStore`] bound to a [`Tape`] for one forward pass, with the pass's random stream.
#[derive(Debug)]
pub struct Ctx<'t> {
    tape: &'t Tape,
    params: Vec<Var<'t>>,
    /// Random stream for dropout and other stochastic layers in this pass.
    pub rng: Rng,
}

impl<'t> Ctx<'t> {
    /// Puts every parameter of `store` on `tape` (as a gradient-wanting leaf when the tape
    /// records gradients).
    pub fn new(tape: &'t Tape, store: &ParamStore, rng: Rng) -> Self {
        let params = store
            .tensors()
            .iter()
            .map(|t| tape.param(t.clone()))
            .collect();
        Ctx { tape, params, rng }
    }

    /// The tape.
    pub fn tape(&self) -> &'t Tape {
        self.tape
    }

    /// The variable of parameter `id`.
    pub fn p(&self, id: ParamId) -> Var<'t> {
        self.params[id.0]
    }

    /// A constant on the tape.
    pub fn constant(&self, t: Tensor) -> Var<'t> {
        self.tape.constant(t)
    }

    /// Whether training-only behaviour (dropout) is active.
    pub fn training(&self) -> bool {
        self.tape.is_training()
    }

    /// The gradients of every parameter in store order (zeros for those the loss did not reach).
    pub fn param_grads(&self, grads: &mut Grads) -> Vec<Tensor> {
        self.params
            .iter()
            .map(|&v| grads.take(v).unwrap_or_else(|| Tensor::zeros(&v.shape())))
            .collect()
    }
}
