//! Adam and AdamW, following `torch.optim.Adam` / `torch.optim.AdamW` (single-tensor path).

use super::{Optimizer, assert_buffers, assert_pairs, check_buffers, zeros_like};
use crate::OptimError;
use crate::error::check_at_least;
use neurodiv_autodiff::Tensor;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;

/// Settings of Adam / AdamW. Hyper-parameters are f64, like PyTorch's Python floats.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Decay rates of the first and second moment estimates (default `(0.9, 0.999)`).
    pub betas: (f64, f64),
    /// Added to the denominator (default `1e-8`).
    pub eps: f64,
    /// Weight decay: L2 added to the gradient for Adam (default 0), decoupled for AdamW
    /// (default `1e-2`).
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    /// `torch.optim.Adam`'s defaults.
    fn default() -> Self {
        AdamConfig {
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl AdamConfig {
    /// `torch.optim.AdamW`'s defaults (weight decay `1e-2`).
    pub fn adamw() -> Self {
        AdamConfig {
            weight_decay: 1e-2,
            ..Self::default()
        }
    }

    /// Checks `0 <= beta < 1`, `eps >= 0`, `weight_decay >= 0` (PyTorch's checks).
    pub fn validate(&self) -> Result<(), OptimError> {
        for (name, b) in [("beta1", self.betas.0), ("beta2", self.betas.1)] {
            if !(b.is_finite() && (0.0..1.0).contains(&b)) {
                return Err(OptimError::invalid(name, b, "must be in [0, 1)"));
            }
        }
        check_at_least("eps", self.eps, 0.0, "must be finite and non-negative")?;
        check_at_least(
            "weight_decay",
            self.weight_decay,
            0.0,
            "must be finite and non-negative",
        )
    }
}

/// Adam's state: the step count and the two moment estimates of every parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdamState {
    /// Steps taken so far.
    pub step: u64,
    /// First moment (`exp_avg`), one tensor per parameter.
    pub exp_avg: Vec<Tensor>,
    /// Second moment (`exp_avg_sq`), one tensor per parameter.
    pub exp_avg_sq: Vec<Tensor>,
}

/// Adam (`decoupled = false`) or AdamW (`decoupled = true`).
///
/// Per parameter, at step `t` (1-based), with `g` the gradient:
/// - Adam: `g += wd * p`; AdamW: `p *= 1 - lr * wd`;
/// - `m = lerp(m, g, 1 - β1)`, `v = β2 v + (1 - β2) g²`;
/// - `p -= (lr / (1 - β1^t)) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    config: AdamConfig,
    decoupled: bool,
    state: Option<AdamState>,
}

impl Adam {
    /// Adam with L2 weight decay added to the gradient.
    pub fn new(config: AdamConfig) -> Result<Self, OptimError> {
        config.validate()?;
        Ok(Adam {
            config,
            decoupled: false,
            state: None,
        })
    }

    /// AdamW: decoupled weight decay.
    pub fn adamw(config: AdamConfig) -> Result<Self, OptimError> {
        config.validate()?;
        Ok(Adam {
            config,
            decoupled: true,
            state: None,
        })
    }

    /// The settings.
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }

    /// True for AdamW.
    pub fn is_decoupled(&self) -> bool {
        self.decoupled
    }

    /// The state, once a step has been taken.
    pub fn state(&self) -> Option<&AdamState> {
        self.state.as_ref()
    }

    /// Drops the state.
    pub fn reset(&mut self) {
        self.state = None;
    }

    /// Checks that the state (if any) fits the trainable parameters `params`.
    pub fn check_state<P: Borrow<Tensor>>(&self, params: &[P]) -> Result<(), OptimError> {
        match &self.state {
            None => Ok(()),
            Some(s) => {
                check_buffers("Adam exp_avg", &s.exp_avg, params)?;
                check_buffers("Adam exp_avg_sq", &s.exp_avg_sq, params)
            }
        }
    }
}

/// `torch.lerp(start, end, w)` for a scalar weight, element by element (PyTorch's formula).
#[inline]
pub(crate) fn lerp(start: f32, end: f32, w: f32) -> f32 {
    if w.abs() < 0.5 {
        start + w * (end - start)
    } else {
        end - (end - start) * (1.0 - w)
    }
}

impl Optimizer for Adam {
    fn step(&mut self, lr: f32, params: &mut [&mut Tensor], grads: &[Tensor]) {
        let op = if self.decoupled { "AdamW" } else { "Adam" };
        assert_pairs(op, params, grads);
        let state = self.state.get_or_insert_with(|| AdamState {
            step: 0,
            exp_avg: zeros_like(params),
            exp_avg_sq: zeros_like(params),
        });
        assert_buffers(op, &state.exp_avg, params);
        assert_buffers(op, &state.exp_avg_sq, params);
        state.step += 1;

        let c = &self.config;
        let lr64 = lr as f64;
        let t = state.step as f64;
        let bias_correction1 = 1.0 - c.betas.0.powf(t);
        let bias_correction2 = 1.0 - c.betas.1.powf(t);
        let step_size = (lr64 / bias_correction1) as f32;
        let bc2_sqrt = bias_correction2.sqrt() as f32;
        let w1 = (1.0 - c.betas.0) as f32;
        let beta2 = c.betas.1 as f32;
        let one_minus_beta2 = (1.0 - c.betas.1) as f32;
        let eps = c.eps as f32;
        let wd = c.weight_decay as f32;
        let decay = (1.0 - lr64 * c.weight_decay) as f32;
        let has_wd = c.weight_decay != 0.0;

        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let p = p.data_mut();
            let m = state.exp_avg[i].data_mut();
            let v = state.exp_avg_sq[i].data_mut();
            for (j, &g) in g.data().iter().enumerate() {
                let mut g = g;
                if has_wd {
                    if self.decoupled {
                        p[j] *= decay;
                    } else {
                        g += wd * p[j];
                    }
                }
                m[j] = lerp(m[j], g, w1);
                v[j] *= beta2;
                v[j] += one_minus_beta2 * g * g;
                let denom = v[j].sqrt() / bc2_sqrt + eps;
                p[j] += -step_size * m[j] / denom;
            }
        }
    }

    fn state_tensors(&self) -> Vec<&Tensor> {
        self.state
            .iter()
            .flat_map(|s| s.exp_avg.iter().chain(&s.exp_avg_sq))
            .collect()
    }
}
