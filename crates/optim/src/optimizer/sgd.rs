//! Stochastic gradient descent, following `torch.optim.SGD`.

use super::{Optimizer, assert_buffers, assert_pairs, check_buffers, zeros_like};
use crate::OptimError;
use crate::error::check_at_least;
use neurodiv_autodiff::Tensor;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;

/// Settings of SGD (PyTorch's defaults: all zero, no Nesterov).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Momentum factor (default 0).
    pub momentum: f64,
    /// Dampening of the momentum (default 0).
    pub dampening: f64,
    /// Nesterov momentum (default false; needs `momentum > 0` and `dampening == 0`).
    pub nesterov: bool,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
}

impl SgdConfig {
    /// Checks the ranges and Nesterov's requirements (PyTorch's checks).
    pub fn validate(&self) -> Result<(), OptimError> {
        check_at_least(
            "momentum",
            self.momentum,
            0.0,
            "must be finite and non-negative",
        )?;
        if !self.dampening.is_finite() {
            return Err(OptimError::invalid(
                "dampening",
                self.dampening,
                "must be finite",
            ));
        }
        check_at_least(
            "weight_decay",
            self.weight_decay,
            0.0,
            "must be finite and non-negative",
        )?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(OptimError::invalid(
                "nesterov",
                true,
                "Nesterov momentum needs momentum > 0 and dampening = 0",
            ));
        }
        Ok(())
    }
}

/// SGD. Per parameter, with `g` the gradient:
/// - `g += wd * p`;
/// - with momentum: `b = g` on the first step, else `b = μ b + (1 - dampening) g`;
///   then `g = g + μ b` (Nesterov) or `g = b`;
/// - `p -= lr * g`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    config: SgdConfig,
    /// Momentum buffers, created on the first step when `momentum != 0`.
    momentum_buffer: Option<Vec<Tensor>>,
}

impl Sgd {
    /// SGD with `config`.
    pub fn new(config: SgdConfig) -> Result<Self, OptimError> {
        config.validate()?;
        Ok(Sgd {
            config,
            momentum_buffer: None,
        })
    }

    /// The settings.
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }

    /// The momentum buffers, once a step has been taken with momentum.
    pub fn momentum_buffer(&self) -> Option<&[Tensor]> {
        self.momentum_buffer.as_deref()
    }

    /// Drops the state.
    pub fn reset(&mut self) {
        self.momentum_buffer = None;
    }

    /// Checks that the state (if any) fits the trainable parameters `params`.
    pub fn check_state<P: Borrow<Tensor>>(&self, params: &[P]) -> Result<(), OptimError> {
        match &self.momentum_buffer {
            None => Ok(()),
            Some(b) => check_buffers("SGD momentum_buffer", b, params),
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, lr: f32, params: &mut [&mut Tensor], grads: &[Tensor]) {
        assert_pairs("SGD", params, grads);
        let c = self.config;
        let wd = c.weight_decay as f32;
        let has_wd = c.weight_decay != 0.0;
        let mu = c.momentum as f32;
        let keep = (1.0 - c.dampening) as f32;
        let neg_lr = (-(lr as f64)) as f32;
        let first = c.momentum != 0.0 && self.momentum_buffer.is_none();
        if c.momentum != 0.0 {
            let bufs = self
                .momentum_buffer
                .get_or_insert_with(|| zeros_like(params));
            assert_buffers("SGD", bufs, params);
        }
        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let p = p.data_mut();
            let mut buf = self.momentum_buffer.as_mut().map(|b| b[i].data_mut());
            for (j, &g) in g.data().iter().enumerate() {
                let mut g = g;
                if has_wd {
                    g += wd * p[j];
                }
                if let Some(b) = buf.as_deref_mut() {
                    if first {
                        b[j] = g;
                    } else {
                        b[j] *= mu;
                        b[j] += keep * g;
                    }
                    g = if c.nesterov { g + mu * b[j] } else { b[j] };
                }
                p[j] += neg_lr * g;
            }
        }
    }

    fn state_tensors(&self) -> Vec<&Tensor> {
        self.momentum_buffer.iter().flatten().collect()
    }
}
