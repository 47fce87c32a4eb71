//! RMSprop, following `torch.optim.RMSprop` (single-tensor path).

use super::adam::lerp;
use super::{Optimizer, assert_buffers, assert_pairs, check_buffers, zeros_like};
use crate::OptimError;
use crate::error::check_at_least;
use neurodiv_autodiff::Tensor;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;

/// Settings of RMSprop (PyTorch's defaults: alpha 0.99, eps 1e-8, the rest zero/false).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RmsPropConfig {
    /// Smoothing constant of the squared-gradient average (default 0.99).
    pub alpha: f64,
    /// Added to the denominator (default `1e-8`).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Momentum factor (default 0).
    pub momentum: f64,
    /// Normalise by the estimated variance instead of the raw second moment (default false).
    pub centered: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }
}

impl RmsPropConfig {
    /// Checks that every setting is finite and non-negative (PyTorch's checks).
    pub fn validate(&self) -> Result<(), OptimError> {
        let reason = "must be finite and non-negative";
        check_at_least("alpha", self.alpha, 0.0, reason)?;
        check_at_least("eps", self.eps, 0.0, reason)?;
        check_at_least("weight_decay", self.weight_decay, 0.0, reason)?;
        check_at_least("momentum", self.momentum, 0.0, reason)
    }
}

/// RMSprop's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RmsPropState {
    /// Steps taken so far.
    pub step: u64,
    /// Running average of squared gradients, per parameter.
    pub square_avg: Vec<Tensor>,
    /// Running average of gradients (only when centered).
    pub grad_avg: Option<Vec<Tensor>>,
    /// Momentum buffers (only when momentum > 0).
    pub momentum_buffer: Option<Vec<Tensor>>,
}

/// RMSprop. Per parameter, with `g` the gradient:
/// - `g += wd * p`; `s = α s + (1 - α) g²`;
/// - centered: `ḡ = lerp(ḡ, g, 1 - α)`, `d = sqrt(s - ḡ²) + eps`; else `d = sqrt(s) + eps`;
/// - momentum: `b = μ b + g / d`, `p -= lr b`; else `p -= lr g / d`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RmsProp {
    config: RmsPropConfig,
    state: Option<RmsPropState>,
}

impl RmsProp {
    /// RMSprop with `config`.
    pub fn new(config: RmsPropConfig) -> Result<Self, OptimError> {
        config.validate()?;
        Ok(RmsProp {
            config,
            state: None,
        })
    }

    /// The settings.
    pub fn config(&self) -> &RmsPropConfig {
        &self.config
    }

    /// The state, once a step has been taken.
    pub fn state(&self) -> Option<&RmsPropState> {
        self.state.as_ref()
    }

    /// Drops the state.
    pub fn reset(&mut self) {
        self.state = None;
    }

    /// Checks that the state (if any) fits the trainable parameters `params`.
    pub fn check_state<P: Borrow<Tensor>>(&self, params: &[P]) -> Result<(), OptimError> {
        let Some(s) = &self.state else { return Ok(()) };
        check_buffers("RMSprop square_avg", &s.square_avg, params)?;
        if let Some(b) = &s.grad_avg {
            check_buffers("RMSprop grad_avg", b, params)?;
        }
        if let Some(b) = &s.momentum_buffer {
            check_buffers("RMSprop momentum_buffer", b, params)?;
        }
        let wants_avg = self.config.centered;
        let wants_buf = self.config.momentum > 0.0;
        if s.grad_avg.is_some() != wants_avg || s.momentum_buffer.is_some() != wants_buf {
            return Err(OptimError::StateMismatch(
                "RMSprop buffers do not match the centered/momentum settings".into(),
            ));
        }
        Ok(())
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, lr: f32, params: &mut [&mut Tensor], grads: &[Tensor]) {
        assert_pairs("RMSprop", params, grads);
        let c = self.config;
        let state = self.state.get_or_insert_with(|| RmsPropState {
            step: 0,
            square_avg: zeros_like(params),
            grad_avg: c.centered.then(|| zeros_like(params)),
            momentum_buffer: (c.momentum > 0.0).then(|| zeros_like(params)),
        });
        assert_buffers("RMSprop", &state.square_avg, params);
        for b in [&state.grad_avg, &state.momentum_buffer]
            .into_iter()
            .flatten()
        {
            assert_buffers("RMSprop", b, params);
        }
        state.step += 1;

        let wd = c.weight_decay as f32;
        let has_wd = c.weight_decay != 0.0;
        let alpha = c.alpha as f32;
        let one_minus_alpha = (1.0 - c.alpha) as f32;
        let eps = c.eps as f32;
        let mu = c.momentum as f32;
        let neg_lr = (-(lr as f64)) as f32;

        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let p = p.data_mut();
            let s = state.square_avg[i].data_mut();
            let mut ga = state.grad_avg.as_mut().map(|b| b[i].data_mut());
            let mut buf = state.momentum_buffer.as_mut().map(|b| b[i].data_mut());
            for (j, &g) in g.data().iter().enumerate() {
                let mut g = g;
                if has_wd {
                    g += wd * p[j];
                }
                s[j] *= alpha;
                s[j] += one_minus_alpha * g * g;
                let avg = match ga.as_deref_mut() {
                    Some(ga) => {
                        ga[j] = lerp(ga[j], g, one_minus_alpha);
                        (s[j] - ga[j] * ga[j]).sqrt()
                    }
                    None => s[j].sqrt(),
                } + eps;
                match buf.as_deref_mut() {
                    Some(b) => {
                        b[j] *= mu;
                        b[j] += g / avg;
                        p[j] += neg_lr * b[j];
                    }
                    None => p[j] += neg_lr * g / avg,
                }
            }
        }
    }

    fn state_tensors(&self) -> Vec<&Tensor> {
        self.state
            .iter()
            .flat_map(|s| {
                let extra = [&s.grad_avg, &s.momentum_buffer].into_iter().flatten();
                s.square_avg.iter().chain(extra.flatten())
            })
            .collect()
    }
}
