//! Training and validation losses with NeuralForecast's semantics.
//!
//! Shapes: the target `y` and the `mask` are `[B, h]`; the model output goes through
//! [`Loss::domain_map`] to `[B, h, m]` with `m =` [`Loss::outputsize_multiplier`] (the outputs of
//! one horizon step are contiguous). Every loss is the masked, horizon-weighted mean
//! `Σ w·ℓ / Σ w` with `w = mask · horizon_weight` (0 when `Σ w = 0`), NeuralForecast's
//! `_weighted_mean`. `y`, `mask` and `y_insample` are treated as constants: the gradient flows
//! to `y_hat` only. See `docs/losses.md` for the formulas.

mod parse;
mod point;
mod quantile;

pub use quantile::{levels_to_quantiles, quantile_name};

use crate::OptimError;
use neurodiv_autodiff::Var;
use serde::{Deserialize, Serialize};

/// NeuralForecast's default MQLoss levels.
pub const DEFAULT_LEVELS: [u32; 2] = [80, 90];

/// A loss, named after NeuralForecast's classes (`MAE()`, `MQLoss(level=[80, 90])`, ...).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum Loss {
    /// Mean absolute error (NeuralForecast's default).
    #[default]
    MAE,
    /// Mean squared error.
    MSE,
    /// Root mean squared error.
    RMSE,
    /// Mean absolute percentage error.
    MAPE,
    /// Symmetric mean absolute percentage error (NeuralForecast's, bounded by 2).
    SMAPE,
    /// Mean absolute scaled error against the in-sample seasonal naive forecast.
    MASE {
        /// Season length (1 for the plain naive forecast).
        seasonality: usize,
    },
    /// Huber loss (`HuberLoss`).
    Huber {
        /// Threshold between the quadratic and the linear part (default 1).
        delta: f32,
    },
    /// Pinball loss of one quantile.
    QuantileLoss {
        /// The quantile, in `(0, 1)`.
        q: f32,
    },
    /// Multi-quantile loss: one output per quantile, in this order.
    MQLoss {
        /// The quantiles, in `(0, 1)`, distinct; [`Loss::mq_from_levels`] puts the median first.
        quantiles: Vec<f32>,
    },
}

impl Loss {
    /// `MQLoss(level=levels)`: quantiles from interval levels in NeuralForecast's order (median
    /// first, then ascending); `[80, 90]` gives `[0.5, 0.05, 0.1, 0.9, 0.95]`. Levels must be in
    /// `1..=99` ([`Loss::validate`] reports others).
    pub fn mq_from_levels(levels: &[u32]) -> Loss {
        Loss::MQLoss {
            quantiles: levels_to_quantiles(levels),
        }
    }

    /// `MQLoss(quantiles=quantiles)`: the given quantiles in the given order (repeats dropped).
    pub fn mq_from_quantiles(quantiles: &[f32]) -> Loss {
        Loss::MQLoss {
            quantiles: quantile::dedup_quantiles(quantiles),
        }
    }

    /// NeuralForecast's default `MQLoss()`: levels `[80, 90]`.
    pub fn mq_default() -> Loss {
        Self::mq_from_levels(&DEFAULT_LEVELS)
    }

    /// NeuralForecast's class name (`"MAE"`, `"HuberLoss"`, `"MQLoss"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Loss::MAE => "MAE",
            Loss::MSE => "MSE",
            Loss::RMSE => "RMSE",
            Loss::MAPE => "MAPE",
            Loss::SMAPE => "SMAPE",
            Loss::MASE { .. } => "MASE",
            Loss::Huber { .. } => "HuberLoss",
            Loss::QuantileLoss { .. } => "QuantileLoss",
            Loss::MQLoss { .. } => "MQLoss",
        }
    }

    /// Checks the parameters: seasonality ≥ 1, `delta > 0`, quantiles in `(0, 1)` and distinct.
    pub fn validate(&self) -> Result<(), OptimError> {
        let check_q = |q: f32| {
            if q > 0.0 && q < 1.0 {
                Ok(())
            } else {
                Err(OptimError::invalid("quantile", q, "must be in (0, 1)"))
            }
        };
        match self {
            Loss::MASE { seasonality: 0 } => {
                Err(OptimError::invalid("seasonality", 0, "must be at least 1"))
            }
            Loss::Huber { delta } if !(delta.is_finite() && *delta > 0.0) => Err(
                OptimError::invalid("delta", delta, "must be positive and finite"),
            ),
            Loss::QuantileLoss { q } => check_q(*q),
            Loss::MQLoss { quantiles } => {
                if quantiles.is_empty() {
                    return Err(OptimError::invalid(
                        "quantiles",
                        "[]",
                        "need at least one quantile",
                    ));
                }
                for (i, &q) in quantiles.iter().enumerate() {
                    check_q(q)?;
                    if quantiles[..i].contains(&q) {
                        return Err(OptimError::invalid("quantile", q, "appears twice"));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Checks that the loss can be computed on input windows of `input_size` (MASE needs
    /// `input_size > seasonality`).
    pub fn check_input_size(&self, input_size: usize) -> Result<(), OptimError> {
        match self {
            Loss::MASE { seasonality } if input_size <= *seasonality => Err(OptimError::invalid(
                "seasonality",
                seasonality,
                "MASE needs an input window longer than the seasonality",
            )),
            _ => Ok(()),
        }
    }

    /// Outputs per horizon step: the number of quantiles for MQLoss, 1 otherwise.
    pub fn outputsize_multiplier(&self) -> usize {
        match self {
            Loss::MQLoss { quantiles } => quantiles.len(),
            _ => 1,
        }
    }

    /// Output-column suffixes, one per output (NeuralForecast's `output_names`): `[""]` for point
    /// losses, `["_ql0.9"]` for `QuantileLoss(q=0.9)`, and for MQLoss one per quantile in order,
    /// e.g. `["-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90"]` for levels `[80, 90]`.
    pub fn output_names(&self) -> Vec<String> {
        match self {
            Loss::QuantileLoss { q } => vec![format!("_ql{q}")],
            Loss::MQLoss { quantiles } => quantiles.iter().map(|&q| quantile_name(q)).collect(),
            _ => vec![String::new()],
        }
    }

    /// Which output is the point forecast: the quantile closest to 0.5 for MQLoss (0 for
    /// levels), else 0.
    pub fn point_index(&self) -> usize {
        match self {
            Loss::MQLoss { quantiles } => quantile::median_index(quantiles),
            _ => 0,
        }
    }

    /// The quantiles of the outputs (QuantileLoss and MQLoss), else `None`.
    pub fn quantiles(&self) -> Option<&[f32]> {
        match self {
            Loss::QuantileLoss { q } => Some(std::slice::from_ref(q)),
            Loss::MQLoss { quantiles } => Some(quantiles),
            _ => None,
        }
    }

    /// Maps the model output to `[B, h, m]`: `[B, h·m]` is reshaped (the `m` outputs of a step
    /// contiguous), `[B, h, m]` is returned as is.
    ///
    /// # Panics
    /// When the output is neither shape for this loss's `m`.
    pub fn domain_map<'t>(&self, y_hat: Var<'t>) -> Var<'t> {
        let m = self.outputsize_multiplier();
        let s = y_hat.shape();
        match s.len() {
            3 if s[2] == m => y_hat,
            2 if s[1].is_multiple_of(m) => y_hat.reshape(&[s[0], s[1] / m, m]), // [B, h·m] -> [B, h, m]
            _ => panic!(
                "Loss::domain_map({}): output {s:?} is not [B, h*{m}] or [B, h, {m}]",
                self.name()
            ),
        }
    }

    /// The loss as a 0-d tensor. `y` and `mask` are `[B, h]` (mask of 0/1), `y_hat` is
    /// `[B, h, m]` (or `[B, h]` for point losses), `horizon_weight` has `h` values, and
    /// `y_insample` (`[B, L]`) is needed by MASE only.
    ///
    /// # Panics
    /// On shape mismatches, a horizon weight of the wrong length, or MASE without `y_insample`
    /// (bugs in the caller; validate configurations with [`Loss::validate`] and
    /// [`Loss::check_input_size`]).
    pub fn compute<'t>(
        &self,
        y: Var<'t>,
        y_hat: Var<'t>,
        mask: Var<'t>,
        horizon_weight: Option<&[f32]>,
        y_insample: Option<Var<'t>>,
    ) -> Var<'t> {
        let ys = y.shape();
        assert_eq!(
            mask.shape(),
            ys,
            "Loss::compute({}): mask {:?} differs from y {ys:?}",
            self.name(),
            mask.shape()
        );
        let w = point::weights(mask, horizon_weight);
        let point_forecast = || point::point_forecast(self.name(), &ys, y_hat);
        let terms = match self {
            Loss::MAE => point::abs_error(y, point_forecast()),
            Loss::MSE => point::sq_error(y, point_forecast()),
            Loss::RMSE => return point::rmse(y, point_forecast(), &w),
            Loss::MAPE => point::mape_terms(y, point_forecast()),
            Loss::SMAPE => point::smape_terms(y, point_forecast()),
            Loss::MASE { seasonality } => {
                point::mase_terms(y, point_forecast(), y_insample, *seasonality)
            }
            Loss::Huber { delta } => point::huber_terms(y, point_forecast(), *delta),
            Loss::QuantileLoss { q } => quantile::pinball_terms(y, point_forecast(), *q),
            Loss::MQLoss { quantiles } => quantile::mq_terms(y, y_hat, quantiles),
        };
        let mean = point::weighted_mean(terms, &w);
        match self {
            // NeuralForecast's SMAPE is twice the mean ratio (values in [0, 2]).
            Loss::SMAPE => mean.mul_scalar(2.0),
            _ => mean,
        }
    }
}
