//! Training and validation losses with NeuralForecast's semantics.
//!
//! Shapes: the target `y` and the `mask` are `[B, h]`; the model output goes through
//! [`Loss::domain_map`] to `[B, h, m]` with `m =` [`Loss::outputsize_multiplier`] (the outputs of
//! one horizon step are contiguous). Every loss is the masked, horizon-weighted mean
//! `Σ w·ℓ / Σ w` with `w = mask · horizon_weight` (0 when `Σ w = 0`), NeuralForecast's
//! `_weighted_mean`. `y`, `mask` and `y_insample` are treated as constants: the gradient flows
//! to `y_hat` only. See `docs/losses.md` for the formulas.

mod distribution;
mod mixture;
mod parse;
mod point;
mod quantile;
mod serde_text;

pub use distribution::{Distribution, MAX_COMPONENTS, sorted_quantile};
pub use quantile::{levels_to_quantiles, quantile_name};

use crate::OptimError;
use neurodiv_autodiff::Var;

/// NeuralForecast's default MQLoss levels.
pub const DEFAULT_LEVELS: [u32; 2] = [80, 90];

/// NeuralForecast's default number of draws for a distribution's empirical quantiles.
pub const DEFAULT_NUM_SAMPLES: usize = 1000;

/// A loss, named after NeuralForecast's classes (`MAE()`, `MQLoss(level=[80, 90])`,
/// `DistributionLoss(StudentT, level=[80, 90])`, ...). It serialises as that text (see
/// [`FromStr`](std::str::FromStr) and `Display`); configs written before this spelling, with
/// serde's enum form (`{"MQLoss":{"quantiles":[...]}}`), still load.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// Huberized pinball loss of one quantile (`HuberQLoss`).
    HuberQLoss {
        /// The quantile, in `(0, 1)`.
        q: f32,
        /// Threshold between the quadratic and the linear part (default 1).
        delta: f32,
    },
    /// Huberized multi-quantile loss (`HuberMQLoss`): one output per quantile, in this order.
    HuberMQLoss {
        /// The quantiles, in `(0, 1)`, distinct (median first when built from levels).
        quantiles: Vec<f32>,
        /// Threshold between the quadratic and the linear part (default 1).
        delta: f32,
    },
    /// A distribution's negative log-likelihood (`DistributionLoss`, and the mixtures `GMM`,
    /// `PMM`, `NBMM`): the outputs are the distribution's parameters, forecasts the mean and
    /// quantiles of `num_samples` draws.
    DistributionLoss {
        /// The distribution family (a mixture for `GMM`, `PMM`, `NBMM`).
        distribution: Distribution,
        /// The quantiles reported, in column order ([`Loss::mq_from_levels`]'s order for levels,
        /// ascending for explicit quantiles).
        quantiles: Vec<f32>,
        /// Draws per forecast point for the mean and the quantiles (default 1000).
        num_samples: usize,
        /// Also report the distribution's parameters as columns.
        return_params: bool,
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

    /// `DistributionLoss(distribution, level=levels)` with NeuralForecast's other defaults.
    pub fn distribution(distribution: Distribution, levels: &[u32]) -> Loss {
        Loss::DistributionLoss {
            distribution,
            quantiles: levels_to_quantiles(levels),
            num_samples: DEFAULT_NUM_SAMPLES,
            return_params: false,
        }
    }

    /// `GMM(n_components, level=levels)`, `PMM(...)` or `NBMM(...)` (by `distribution`, which
    /// must be a mixture) with NeuralForecast's other defaults.
    pub fn mixture(distribution: Distribution, levels: &[u32]) -> Loss {
        debug_assert!(
            distribution.is_mixture(),
            "{} is not a mixture",
            distribution.name()
        );
        Self::distribution(distribution, levels)
    }

    /// NeuralForecast's class name (`"MAE"`, `"HuberLoss"`, `"MQLoss"`, `"GMM"`, ...).
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
            Loss::HuberQLoss { .. } => "HuberQLoss",
            Loss::HuberMQLoss { .. } => "HuberMQLoss",
            Loss::DistributionLoss { distribution, .. } if distribution.is_mixture() => {
                distribution.name()
            }
            Loss::DistributionLoss { .. } => "DistributionLoss",
        }
    }

    /// Checks the parameters: seasonality ≥ 1, `delta > 0`, quantiles in `(0, 1)` and distinct,
    /// the distribution's settings ([`Distribution::validate`]), no `return_params` for Tweedie.
    pub fn validate(&self) -> Result<(), OptimError> {
        let check_q = |q: f32| {
            if q > 0.0 && q < 1.0 {
                Ok(())
            } else {
                Err(OptimError::invalid("quantile", q, "must be in (0, 1)"))
            }
        };
        let check_delta = |delta: f32| {
            if delta.is_finite() && delta > 0.0 {
                Ok(())
            } else {
                Err(OptimError::invalid(
                    "delta",
                    delta,
                    "must be positive and finite",
                ))
            }
        };
        let check_qs = |quantiles: &[f32]| {
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
        };
        match self {
            Loss::MASE { seasonality: 0 } => {
                Err(OptimError::invalid("seasonality", 0, "must be at least 1"))
            }
            Loss::Huber { delta } => check_delta(*delta),
            Loss::QuantileLoss { q } => check_q(*q),
            Loss::HuberQLoss { q, delta } => check_q(*q).and_then(|()| check_delta(*delta)),
            Loss::DistributionLoss {
                distribution,
                quantiles,
                num_samples,
                return_params,
            } => {
                distribution.validate()?;
                if *return_params && !distribution.returns_params() {
                    return Err(OptimError::invalid(
                        "return_params",
                        "True",
                        "Tweedie does not support return_params (as in NeuralForecast)",
                    ));
                }
                if *num_samples < 2 {
                    return Err(OptimError::invalid(
                        "num_samples",
                        num_samples,
                        "must be at least 2",
                    ));
                }
                quantiles.iter().try_for_each(|&q| check_q(q))
            }
            Loss::MQLoss { quantiles } => check_qs(quantiles),
            Loss::HuberMQLoss { quantiles, delta } => {
                check_qs(quantiles).and_then(|()| check_delta(*delta))
            }
            _ => Ok(()),
        }
    }

    /// Checks that a training target is in the support of the loss: non-negative for the
    /// count distributions (Poisson, NegativeBinomial, PMM, NBMM) and Tweedie, 0 or 1 for
    /// Bernoulli (PyTorch refuses other values in their `log_prob`). Any value passes the
    /// other losses; NaN (a missing target) always passes.
    pub fn check_target(&self, y: f32) -> Result<(), OptimError> {
        match self {
            Loss::DistributionLoss { distribution, .. } => distribution.check_target(y),
            _ => Ok(()),
        }
    }

    /// [`check_target`](Self::check_target) on every value of `ys`: the first bad value.
    pub fn check_targets(&self, ys: &[f32]) -> Result<(), OptimError> {
        match self {
            Loss::DistributionLoss { .. } => ys.iter().try_for_each(|&y| self.check_target(y)),
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

    /// Outputs per horizon step: the number of quantiles for MQLoss, the number of parameters
    /// for a distribution, 1 otherwise.
    pub fn outputsize_multiplier(&self) -> usize {
        match self {
            Loss::MQLoss { quantiles } | Loss::HuberMQLoss { quantiles, .. } => quantiles.len(),
            Loss::DistributionLoss { distribution, .. } => distribution.n_params(),
            _ => 1,
        }
    }

    /// Whether the outputs are a distribution's parameters (NeuralForecast's
    /// `is_distribution_output`).
    pub fn is_distribution(&self) -> bool {
        matches!(self, Loss::DistributionLoss { .. })
    }

    /// Output-column suffixes, one per output (NeuralForecast's `output_names`): `[""]` for point
    /// losses, `["_ql0.9"]` for `QuantileLoss(q=0.9)`, and for MQLoss one per quantile in order,
    /// e.g. `["-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90"]` for levels `[80, 90]`; for a
    /// distribution `""` (the sample mean) followed by the quantiles' names and, with
    /// `return_params`, the parameters' (`-loc`, `-scale`, ...).
    pub fn output_names(&self) -> Vec<String> {
        match self {
            Loss::QuantileLoss { q } => vec![format!("_ql{q}")],
            Loss::HuberQLoss { q, delta } => {
                vec![format!("_q{}_d{}", py_float(*q), py_float(*delta))]
            }
            Loss::MQLoss { quantiles } | Loss::HuberMQLoss { quantiles, .. } => {
                quantiles.iter().map(|&q| quantile_name(q)).collect()
            }
            Loss::DistributionLoss {
                distribution,
                quantiles,
                return_params,
                ..
            } => std::iter::once(String::new())
                .chain(quantiles.iter().map(|&q| quantile_name(q)))
                .chain(
                    distribution
                        .param_names()
                        .into_iter()
                        .filter(|_| *return_params),
                )
                .collect(),
            _ => vec![String::new()],
        }
    }

    /// Which output column is the point forecast: the quantile closest to 0.5 for MQLoss (0 for
    /// levels), the sample mean (0) for a distribution, else 0.
    pub fn point_index(&self) -> usize {
        match self {
            Loss::MQLoss { quantiles } | Loss::HuberMQLoss { quantiles, .. } => {
                quantile::median_index(quantiles)
            }
            _ => 0,
        }
    }

    /// The quantiles of the output columns (QuantileLoss, MQLoss, their Huber versions,
    /// DistributionLoss and the mixtures), else
    /// `None`.
    pub fn quantiles(&self) -> Option<&[f32]> {
        match self {
            Loss::QuantileLoss { q } | Loss::HuberQLoss { q, .. } => Some(std::slice::from_ref(q)),
            Loss::MQLoss { quantiles }
            | Loss::HuberMQLoss { quantiles, .. }
            | Loss::DistributionLoss { quantiles, .. } => Some(quantiles),
            _ => None,
        }
    }

    /// The same loss reporting `quantiles` (in that order) instead of its own, for a loss whose
    /// quantiles come from draws (a distribution, NeuralForecast's `update_quantile`); `None`
    /// for losses whose outputs are their quantiles or a point.
    pub fn with_quantiles(&self, quantiles: &[f32]) -> Option<Loss> {
        match self {
            Loss::DistributionLoss {
                distribution,
                num_samples,
                return_params,
                ..
            } => Some(Loss::DistributionLoss {
                distribution: *distribution,
                quantiles: quantiles.to_vec(),
                num_samples: *num_samples,
                return_params: *return_params,
            }),
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
    /// `y_insample` (`[B, L]`) is needed by MASE only. A `DistributionLoss` takes `y_hat` as the
    /// raw parameters in `y`'s space (location 0, scale 1; see [`Loss::distribution_nll`] for
    /// anchored parameters).
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
            Loss::HuberQLoss { q, delta } => {
                quantile::huber_pinball_terms(y, point_forecast(), *q, *delta)
            }
            Loss::HuberMQLoss { quantiles, delta } => {
                quantile::huber_mq_terms(y, y_hat, quantiles, *delta)
            }
            Loss::DistributionLoss { .. } => {
                let zero = y.constant(neurodiv_autodiff::Tensor::zeros(&[ys[0], 1]));
                let one = y.constant(neurodiv_autodiff::Tensor::ones(&[ys[0], 1]));
                return self.distribution_nll(y, y_hat, zero, one, mask, horizon_weight);
            }
        };
        let mean = point::weighted_mean(terms, &w);
        match self {
            // NeuralForecast's SMAPE is twice the mean ratio (values in [0, 2]).
            Loss::SMAPE => mean.mul_scalar(2.0),
            _ => mean,
        }
    }

    /// NeuralForecast's distribution loss: the mean negative log-likelihood of `y` (`[B, h]`,
    /// original scale) under the distribution whose raw parameters `raw` (`[B, h, m]`, scaled
    /// space) are anchored to each row's `loc` and `scale` (`[B, 1]`), weighted by `mask`
    /// (`[B, h]`) and the horizon weights and divided by `max(Σ weights, 1)`.
    ///
    /// # Panics
    /// When the loss is not a `DistributionLoss`, or on shape mismatches (bugs in the caller).
    pub fn distribution_nll<'t>(
        &self,
        y: Var<'t>,
        raw: Var<'t>,
        loc: Var<'t>,
        scale: Var<'t>,
        mask: Var<'t>,
        horizon_weight: Option<&[f32]>,
    ) -> Var<'t> {
        let Loss::DistributionLoss { distribution, .. } = self else {
            panic!("Loss::distribution_nll called on {}", self.name());
        };
        let params = distribution.decouple(raw, loc, scale);
        let w = point::weights(mask, horizon_weight);
        distribution::weighted_average(distribution.neg_log_prob(&params, y), w.w)
    }
}

/// A float as Python's `repr` prints it (`1.0`, `0.5`, `1e-05`-like exponents aside): Rust's
/// shortest form, with `.0` added to whole numbers. NeuralForecast builds `HuberQLoss`'s column
/// name from Python floats (`_q0.5_d1.0`).
fn py_float(v: f32) -> String {
    let s = format!("{v}");
    if s.contains(['.', 'e', 'E', 'N', 'n']) {
        s
    } else {
        format!("{s}.0")
    }
}
