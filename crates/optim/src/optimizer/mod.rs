//! Optimizers with PyTorch's update rules, operating on parameter lists in a fixed order.
//!
//! The list is the model's *trainable* parameters (`ParamStore::trainable_mut` in
//! `neurodiv-nn`, paired with `Ctx::param_grads`): frozen parameters and buffers are never
//! passed, so they get no optimizer state. Each parameter's update depends only on its own
//! gradient and state, so stepping a sub-list gives those parameters exactly the values that
//! stepping a longer list would.
//!
//! Every optimizer follows the single-tensor (for-loop) implementation of `torch.optim` on CPU:
//! hyper-parameters are kept in f64 like Python floats, scalar factors (bias corrections, step
//! sizes) are computed in f64 and cast to f32, and the element-wise updates run in f32 in the same
//! order of operations as PyTorch's kernels. The state (moments, momentum buffers) is created on
//! the first [`Optimizer::step`] and is serde-serialisable, so training can resume from a
//! checkpoint; after loading, [`AnyOptimizer::check_state`] confirms that it fits the model.

mod adam;
mod rmsprop;
mod sgd;

pub use adam::{Adam, AdamConfig, AdamState};
pub use rmsprop::{RmsProp, RmsPropConfig, RmsPropState};
pub use sgd::{Sgd, SgdConfig};

use crate::OptimError;
use neurodiv_autodiff::Tensor;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::str::FromStr;

/// A first-order optimizer: updates `params` in place from `grads` (same order, same shapes).
pub trait Optimizer: Send + Sync + std::fmt::Debug {
    /// One update with learning rate `lr` of the trainable parameters `params`.
    ///
    /// # Panics
    /// When `params` and `grads` differ in length or shapes, or differ from the state built by
    /// earlier steps (a bug in the caller: the parameter list must keep its order and shapes).
    fn step(&mut self, lr: f32, params: &mut [&mut Tensor], grads: &[Tensor]);

    /// The state tensors (moments, momentum buffers), empty before the first step.
    fn state_tensors(&self) -> Vec<&Tensor>;

    /// Number of state tensors.
    fn state_len(&self) -> usize {
        self.state_tensors().len()
    }

    /// Number of scalar values held in the state.
    fn state_numel(&self) -> usize {
        self.state_tensors().iter().map(|t| t.numel()).sum()
    }
}

/// Which optimizer to use, by name (NeuralForecast's `optimizer`; default Adam).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// `torch.optim.Adam` (NeuralForecast's default).
    #[default]
    Adam,
    /// `torch.optim.AdamW` (decoupled weight decay 1e-2).
    AdamW,
    /// `torch.optim.SGD`.
    Sgd,
    /// `torch.optim.RMSprop`.
    RmsProp,
}

impl OptimizerKind {
    /// The lower-case name (`"adam"`, `"adamw"`, `"sgd"`, `"rmsprop"`).
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::RmsProp => "rmsprop",
        }
    }

    /// PyTorch's default settings for this optimizer.
    pub fn default_config(self) -> OptimizerConfig {
        match self {
            OptimizerKind::Adam => OptimizerConfig::Adam(AdamConfig::default()),
            OptimizerKind::AdamW => OptimizerConfig::AdamW(AdamConfig::adamw()),
            OptimizerKind::Sgd => OptimizerConfig::Sgd(SgdConfig::default()),
            OptimizerKind::RmsProp => OptimizerConfig::RmsProp(RmsPropConfig::default()),
        }
    }

    /// The optimizer with PyTorch's default settings (no state yet).
    pub fn build(self) -> AnyOptimizer {
        self.default_config()
            .build()
            .expect("default optimizer settings are valid")
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OptimizerKind {
    type Err = OptimError;

    /// Case-insensitive: `"adam"`, `"adamw"`, `"sgd"`, `"rmsprop"`.
    fn from_str(s: &str) -> Result<Self, OptimError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "adam" => Ok(OptimizerKind::Adam),
            "adamw" => Ok(OptimizerKind::AdamW),
            "sgd" => Ok(OptimizerKind::Sgd),
            "rmsprop" => Ok(OptimizerKind::RmsProp),
            _ => Err(OptimError::UnknownName {
                kind: "optimizer",
                name: s.to_string(),
                expected: "adam, adamw, sgd, rmsprop",
            }),
        }
    }
}

/// An optimizer with its settings (the learning rate comes from the scheduler at each step).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum OptimizerConfig {
    /// Adam with L2 weight decay added to the gradient.
    Adam(AdamConfig),
    /// Adam with decoupled weight decay.
    AdamW(AdamConfig),
    /// Stochastic gradient descent.
    Sgd(SgdConfig),
    /// RMSprop.
    RmsProp(RmsPropConfig),
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerKind::Adam.default_config()
    }
}

impl From<OptimizerKind> for OptimizerConfig {
    fn from(kind: OptimizerKind) -> Self {
        kind.default_config()
    }
}

impl OptimizerConfig {
    /// Which optimizer this configures.
    pub fn kind(&self) -> OptimizerKind {
        match self {
            OptimizerConfig::Adam(_) => OptimizerKind::Adam,
            OptimizerConfig::AdamW(_) => OptimizerKind::AdamW,
            OptimizerConfig::Sgd(_) => OptimizerKind::Sgd,
            OptimizerConfig::RmsProp(_) => OptimizerKind::RmsProp,
        }
    }

    /// Checks every setting's range.
    pub fn validate(&self) -> Result<(), OptimError> {
        match self {
            OptimizerConfig::Adam(c) | OptimizerConfig::AdamW(c) => c.validate(),
            OptimizerConfig::Sgd(c) => c.validate(),
            OptimizerConfig::RmsProp(c) => c.validate(),
        }
    }

    /// The optimizer, without state (created lazily on the first step).
    pub fn build(&self) -> Result<AnyOptimizer, OptimError> {
        Ok(match *self {
            OptimizerConfig::Adam(c) => AnyOptimizer::Adam(Adam::new(c)?),
            OptimizerConfig::AdamW(c) => AnyOptimizer::Adam(Adam::adamw(c)?),
            OptimizerConfig::Sgd(c) => AnyOptimizer::Sgd(Sgd::new(c)?),
            OptimizerConfig::RmsProp(c) => AnyOptimizer::RmsProp(RmsProp::new(c)?),
        })
    }
}

/// Any of the optimizers, as one serialisable type (what a checkpoint stores).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AnyOptimizer {
    /// Adam or AdamW.
    Adam(Adam),
    /// SGD.
    Sgd(Sgd),
    /// RMSprop.
    RmsProp(RmsProp),
}

impl AnyOptimizer {
    /// Checks that the state (if any) fits the trainable parameters `params`: same count and
    /// shapes. Call after loading a checkpoint.
    pub fn check_state<P: Borrow<Tensor>>(&self, params: &[P]) -> Result<(), OptimError> {
        match self {
            AnyOptimizer::Adam(o) => o.check_state(params),
            AnyOptimizer::Sgd(o) => o.check_state(params),
            AnyOptimizer::RmsProp(o) => o.check_state(params),
        }
    }

    /// Drops the state (the next step starts afresh, as a new PyTorch optimizer would).
    pub fn reset(&mut self) {
        match self {
            AnyOptimizer::Adam(o) => o.reset(),
            AnyOptimizer::Sgd(o) => o.reset(),
            AnyOptimizer::RmsProp(o) => o.reset(),
        }
    }
}

impl Optimizer for AnyOptimizer {
    fn step(&mut self, lr: f32, params: &mut [&mut Tensor], grads: &[Tensor]) {
        match self {
            AnyOptimizer::Adam(o) => o.step(lr, params, grads),
            AnyOptimizer::Sgd(o) => o.step(lr, params, grads),
            AnyOptimizer::RmsProp(o) => o.step(lr, params, grads),
        }
    }

    fn state_tensors(&self) -> Vec<&Tensor> {
        match self {
            AnyOptimizer::Adam(o) => o.state_tensors(),
            AnyOptimizer::Sgd(o) => o.state_tensors(),
            AnyOptimizer::RmsProp(o) => o.state_tensors(),
        }
    }
}

/// Panics unless `params` and `grads` pair up (a caller bug).
pub(crate) fn assert_pairs(op: &str, params: &[&mut Tensor], grads: &[Tensor]) {
    assert_eq!(
        params.len(),
        grads.len(),
        "{op}: {} parameters but {} gradients",
        params.len(),
        grads.len()
    );
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        assert_eq!(
            p.shape(),
            g.shape(),
            "{op}: parameter {i} has shape {:?} but its gradient {:?}",
            p.shape(),
            g.shape()
        );
    }
}

/// `Ok` when every buffer in `bufs` has the shape of the matching parameter.
pub(crate) fn check_buffers<P: Borrow<Tensor>>(
    what: &str,
    bufs: &[Tensor],
    params: &[P],
) -> Result<(), OptimError> {
    if bufs.len() != params.len() {
        return Err(OptimError::StateMismatch(format!(
            "{what} holds {} tensors, the model has {} parameters",
            bufs.len(),
            params.len()
        )));
    }
    for (i, (b, p)) in bufs.iter().zip(params).enumerate() {
        let p: &Tensor = p.borrow();
        if b.shape() != p.shape() {
            return Err(OptimError::StateMismatch(format!(
                "{what} tensor {i} has shape {:?}, the parameter {:?}",
                b.shape(),
                p.shape()
            )));
        }
    }
    Ok(())
}

/// Panics unless the state buffers match the parameters (state from another model).
pub(crate) fn assert_buffers(op: &str, bufs: &[Tensor], params: &[&mut Tensor]) {
    if let Err(e) = check_buffers(op, bufs, params) {
        panic!("{op}: {e}");
    }
}

/// Zeros shaped like each parameter.
pub(crate) fn zeros_like(params: &[&mut Tensor]) -> Vec<Tensor> {
    params.iter().map(|p| Tensor::zeros(p.shape())).collect()
}
