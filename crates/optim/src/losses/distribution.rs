//! Distribution outputs (NeuralForecast's `DistributionLoss`): the network outputs, per horizon
//! step, the unconstrained parameters of a distribution in the scaled space; `scale_decouple`
//! anchors them to each window's location and scale and maps them into their domain; training
//! minimises the negative log-likelihood of the target in the original scale; forecasts are the
//! mean and the empirical quantiles of `num_samples` draws.
//!
//! Parametrisations (NeuralForecast 3.x, `loc`/`scale` the window's scaler statistics):
//! - `Normal`: outputs `(μ̃, σ̃)`; `μ = μ̃·scale + loc`, `σ = (softplus(σ̃) + 0.2)·scale`.
//! - `StudentT`: outputs `(ν̃, μ̃, s̃)`; `ν = 3 + softplus(ν̃)`, `μ = μ̃·scale + loc`,
//!   `s = (softplus(s̃) + 0.1)·scale`.

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::Rng;
use serde::{Deserialize, Serialize};

/// A distribution family of [`Loss::DistributionLoss`](super::Loss::DistributionLoss).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Distribution {
    /// Gaussian with location and scale.
    Normal,
    /// Student's t with degrees of freedom, location and scale.
    StudentT,
}

/// Names accepted by [`Distribution::from_name`].
pub(crate) const DISTRIBUTION_NAMES: &str = "Normal, StudentT";

impl Distribution {
    /// NeuralForecast's name (`"Normal"`, `"StudentT"`).
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Normal => "Normal",
            Distribution::StudentT => "StudentT",
        }
    }

    /// The distribution called `name` (case-insensitive), if any.
    pub fn from_name(name: &str) -> Option<Distribution> {
        [Distribution::Normal, Distribution::StudentT]
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name))
    }

    /// Output-column suffixes of the parameters (`return_params`), NeuralForecast's
    /// `param_names`.
    pub fn param_names(self) -> &'static [&'static str] {
        match self {
            Distribution::Normal => &["-loc", "-scale"],
            Distribution::StudentT => &["-df", "-loc", "-scale"],
        }
    }

    /// Which raw output is the location (its value is the location in the scaled space).
    pub fn loc_index(self) -> usize {
        match self {
            Distribution::Normal => 0,
            Distribution::StudentT => 1,
        }
    }

    /// Outputs per horizon step: the number of parameters.
    pub fn n_params(self) -> usize {
        self.param_names().len()
    }

    /// NeuralForecast's `scale_decouple`: the raw outputs `[R, h, m]` and each row's `loc` and
    /// `scale` (`[R, 1]`) to the parameters, each `[R, h]`, in the original scale.
    ///
    /// # Panics
    /// When `raw` is not `[R, h, m]` with `m` = [`n_params`](Self::n_params).
    pub fn decouple<'t>(self, raw: Var<'t>, loc: Var<'t>, scale: Var<'t>) -> Vec<Var<'t>> {
        let s = raw.shape();
        let m = self.n_params();
        assert!(
            s.len() == 3 && s[2] == m,
            "{}: raw outputs must be [R, h, {m}], got {s:?}",
            self.name()
        );
        // [R, h, m] -> m x [R, h]
        let p = |j: usize| raw.slice(2, j, j + 1).reshape(&[s[0], s[1]]);
        let located = |v: Var<'t>| v.mul(scale).add(loc);
        let scaled = |v: Var<'t>, eps: f32| v.softplus().add_scalar(eps).mul(scale);
        match self {
            Distribution::Normal => vec![located(p(0)), scaled(p(1), 0.2)],
            Distribution::StudentT => vec![
                p(0).softplus().add_scalar(3.0),
                located(p(1)),
                scaled(p(2), 0.1),
            ],
        }
    }

    /// `-log p(y | params)` element-wise: `params` from [`decouple`](Self::decouple), `y`
    /// `[R, h]`; returns `[R, h]`.
    pub fn neg_log_prob<'t>(self, params: &[Var<'t>], y: Var<'t>) -> Var<'t> {
        const HALF_LN_2PI: f32 = 0.918_938_5;
        match self {
            Distribution::Normal => {
                let (mu, sigma) = (params[0], params[1]);
                let z = y.sub(mu).div(sigma);
                z.mul(z)
                    .mul_scalar(0.5)
                    .add(sigma.log())
                    .add_scalar(HALF_LN_2PI)
            }
            Distribution::StudentT => {
                let (nu, mu, s) = (params[0], params[1], params[2]);
                let z = y.sub(mu).div(s);
                let half_nu1 = nu.add_scalar(1.0).mul_scalar(0.5);
                // log p = lgamma((ν+1)/2) - lgamma(ν/2) - ½ log(νπ) - log s
                //         - (ν+1)/2 · log1p(z²/ν)
                let log_p = half_nu1
                    .lgamma()
                    .sub(nu.mul_scalar(0.5).lgamma())
                    .sub(nu.mul_scalar(std::f32::consts::PI).log().mul_scalar(0.5))
                    .sub(s.log())
                    .sub(half_nu1.mul(z.mul(z).div(nu).log1p()));
                log_p.neg()
            }
        }
    }

    /// One draw from the distribution with the parameters `params` (one value per parameter,
    /// in the original scale).
    pub fn sample(self, params: &[f32], rng: &mut Rng) -> f32 {
        match self {
            Distribution::Normal => params[0] + params[1] * rng.normal(),
            Distribution::StudentT => {
                params[1] + params[2] * rng.student_t(params[0] as f64) as f32
            }
        }
    }
}

/// NeuralForecast's `weighted_average`: `Σ w·x / max(Σ w, 1)`, with `w` `[R, h]` constants.
pub(crate) fn weighted_average<'t>(x: Var<'t>, w: Var<'t>) -> Var<'t> {
    let total: f64 = w.value().data().iter().map(|&v| v as f64).sum();
    x.mul(w)
        .sum_all()
        .div(x.constant(Tensor::scalar(total.max(1.0) as f32)))
}

/// `torch.quantile`'s default (linear) interpolation of sorted samples at `q`.
pub fn sorted_quantile(sorted: &[f32], q: f32) -> f32 {
    let pos = q as f64 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = (pos - lo as f64) as f32;
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}
