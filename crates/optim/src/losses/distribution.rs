//! Distribution outputs (NeuralForecast's `DistributionLoss`, `GMM`, `PMM`, `NBMM`): the
//! network outputs, per horizon step, the unconstrained parameters of a distribution in the
//! scaled space; `scale_decouple` anchors them to each window's location and scale and maps
//! them into their domain; training minimises the negative log-likelihood of the target in the
//! original scale; forecasts are the mean and the empirical quantiles of `num_samples` draws.
//!
//! Parametrisations (NeuralForecast 3.x, `loc`/`scale` the window's scaler statistics, `sp` the
//! softplus):
//! - `Normal`: outputs `(μ̃, σ̃)`; `μ = μ̃·scale + loc`, `σ = (sp(σ̃) + 0.2)·scale`.
//! - `StudentT`: outputs `(ν̃, μ̃, s̃)`; `ν = 3 + sp(ν̃)`, `μ = μ̃·scale + loc`,
//!   `s = (sp(s̃) + 0.1)·scale`.
//! - `Poisson`: output `λ̃`; `λ = sp(λ̃·scale + loc) + 1e-10`.
//! - `NegativeBinomial`: outputs `(μ̃, α̃)`; `μ = (sp(μ̃) + 1e-8)·scale + loc`,
//!   `α = (sp(α̃) + 1e-8)/(scale + 1)`; parameters `r = 1/α`, `p = μα/(1 + μα) + 1e-8`.
//! - `Tweedie { rho }`: output `m̃`; `log μ = clamp(clamp(sp(m̃), 1e-9, 37) + ln loc, 1e-9, 37)`.
//! - `Bernoulli`: output `p̃`; `p = sigmoid(p̃)` (no anchoring).
//! - The mixtures: see [`super::mixture`].

use super::mixture::{self, Component};
use crate::OptimError;
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::Rng;
use serde::{Deserialize, Serialize};

/// A distribution family of [`Loss::DistributionLoss`](super::Loss::DistributionLoss).
///
/// The first six are NeuralForecast's `DistributionLoss(distribution=...)`; the mixtures are its
/// classes `GMM`, `PMM` and `NBMM`, which are written and read under their own names
/// (`GMM(n_components=3, level=[80, 90])`).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Distribution {
    /// Gaussian with location and scale.
    Normal,
    /// Student's t with degrees of freedom, location and scale.
    StudentT,
    /// Poisson with a rate (counts).
    Poisson,
    /// Negative binomial with a total count and a success probability (overdispersed counts).
    NegativeBinomial,
    /// Tweedie (compound Poisson-gamma) with log-mean and a fixed variance power.
    Tweedie {
        /// The variance power, in `(1, 2)` (NeuralForecast requires it).
        rho: f32,
    },
    /// Bernoulli with a probability (binary targets: temporal classification).
    Bernoulli,
    /// Gaussian mixture (`GMM`): `n_components` means and standard deviations.
    GMM {
        /// Number of components (NeuralForecast's default 1).
        n_components: usize,
        /// Learn the component weights (else they are equal).
        weighted: bool,
    },
    /// Poisson mixture (`PMM`): `n_components` rates.
    PMM {
        /// Number of components (NeuralForecast's default 10).
        n_components: usize,
        /// Learn the component weights (else they are equal).
        weighted: bool,
    },
    /// Negative binomial mixture (`NBMM`): `n_components` total counts and probabilities.
    NBMM {
        /// Number of components (NeuralForecast's default 1).
        n_components: usize,
        /// Learn the component weights (else they are equal).
        weighted: bool,
    },
}

/// Names accepted by [`Distribution::from_name`] (`DistributionLoss(distribution=...)`).
pub(crate) const DISTRIBUTION_NAMES: &str =
    "Normal, StudentT, Poisson, NegativeBinomial, Tweedie, Bernoulli";

/// The largest number of mixture components accepted (a checkpoint is untrusted: this bounds
/// what a stored loss can make the model allocate).
pub const MAX_COMPONENTS: usize = 1000;

/// `torch.finfo(torch.float32).eps`, PyTorch's `clamp_probs` bound.
pub(crate) const PROB_EPS: f32 = f32::EPSILON;

impl Distribution {
    /// NeuralForecast's name (`"Normal"`, `"Poisson"`, `"GMM"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Normal => "Normal",
            Distribution::StudentT => "StudentT",
            Distribution::Poisson => "Poisson",
            Distribution::NegativeBinomial => "NegativeBinomial",
            Distribution::Tweedie { .. } => "Tweedie",
            Distribution::Bernoulli => "Bernoulli",
            Distribution::GMM { .. } => "GMM",
            Distribution::PMM { .. } => "PMM",
            Distribution::NBMM { .. } => "NBMM",
        }
    }

    /// The `DistributionLoss` distribution called `name` (case-insensitive), if any: one of
    /// [`DISTRIBUTION_NAMES`]; `Tweedie` with `rho` NaN, to be set by the caller (NeuralForecast
    /// has no default). The mixtures have their own loss names.
    pub fn from_name(name: &str) -> Option<Distribution> {
        [
            Distribution::Normal,
            Distribution::StudentT,
            Distribution::Poisson,
            Distribution::NegativeBinomial,
            Distribution::Tweedie { rho: f32::NAN },
            Distribution::Bernoulli,
        ]
        .into_iter()
        .find(|d| d.name().eq_ignore_ascii_case(name))
    }

    /// The mixture's component family, component count and weighting, if it is a mixture.
    pub(crate) fn mixture(self) -> Option<(Component, usize, bool)> {
        match self {
            Distribution::GMM {
                n_components,
                weighted,
            } => Some((Component::Normal, n_components, weighted)),
            Distribution::PMM {
                n_components,
                weighted,
            } => Some((Component::Poisson, n_components, weighted)),
            Distribution::NBMM {
                n_components,
                weighted,
            } => Some((Component::NegativeBinomial, n_components, weighted)),
            _ => None,
        }
    }

    /// Whether this is one of the mixtures (`GMM`, `PMM`, `NBMM`).
    pub fn is_mixture(self) -> bool {
        self.mixture().is_some()
    }

    /// Checks the settings: `rho` in `(1, 2)`, `n_components` in `1..=`[`MAX_COMPONENTS`].
    pub fn validate(self) -> Result<(), OptimError> {
        match self {
            Distribution::Tweedie { rho } if !(rho > 1.0 && rho < 2.0) => Err(OptimError::invalid(
                "rho",
                rho,
                "the Tweedie power must be in (1, 2)",
            )),
            _ => match self.mixture() {
                Some((_, n, _)) if n == 0 || n > MAX_COMPONENTS => Err(OptimError::invalid(
                    "n_components",
                    n,
                    "must be between 1 and 1000",
                )),
                _ => Ok(()),
            },
        }
    }

    /// Checks that `y` is in the support: non-negative for the count distributions, their
    /// mixtures and Tweedie, 0 or 1 for Bernoulli, any finite value otherwise. Missing targets
    /// (NaN) are not checked.
    pub fn check_target(self, y: f32) -> Result<(), OptimError> {
        if y.is_nan() {
            return Ok(());
        }
        let reason = match self {
            Distribution::Poisson
            | Distribution::NegativeBinomial
            | Distribution::Tweedie { .. }
            | Distribution::PMM { .. }
            | Distribution::NBMM { .. }
                if !(y >= 0.0 && y.is_finite()) =>
            {
                "its targets must be non-negative and finite"
            }
            Distribution::Bernoulli if y != 0.0 && y != 1.0 => "its targets must be 0 or 1",
            _ if !y.is_finite() => "its targets must be finite",
            _ => return Ok(()),
        };
        Err(OptimError::Target {
            distribution: self.name(),
            value: y,
            reason,
        })
    }

    /// Output-column suffixes of the parameters (`return_params`), NeuralForecast's
    /// `param_names`: for a mixture, component by component (`-mu-1`, `-std-1`, `-mu-2`, ...).
    pub fn param_names(self) -> Vec<String> {
        let fixed: &[&str] = match self {
            Distribution::Normal => &["-loc", "-scale"],
            Distribution::StudentT => &["-df", "-loc", "-scale"],
            Distribution::Poisson => &["-loc"],
            Distribution::NegativeBinomial => &["-total_count", "-logits"],
            Distribution::Tweedie { .. } => &["-log_mu"],
            Distribution::Bernoulli => &["-logits"],
            _ => &[],
        };
        match self.mixture() {
            Some((c, n, weighted)) => mixture::param_names(c, n, weighted),
            None => fixed.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Whether `return_params` is available (NeuralForecast refuses it for Tweedie).
    pub fn returns_params(self) -> bool {
        !matches!(self, Distribution::Tweedie { .. })
    }

    /// Which raw output is the location in the scaled space, for the distributions that have
    /// one (Normal, StudentT); the others give their mean through [`mean`](Self::mean).
    pub fn loc_index(self) -> Option<usize> {
        match self {
            Distribution::Normal => Some(0),
            Distribution::StudentT => Some(1),
            _ => None,
        }
    }

    /// Outputs per horizon step: the number of parameters.
    pub fn n_params(self) -> usize {
        match self.mixture() {
            Some((c, n, weighted)) => n * (c.n_params() + usize::from(weighted)),
            None => match self {
                Distribution::Normal | Distribution::NegativeBinomial => 2,
                Distribution::StudentT => 3,
                _ => 1,
            },
        }
    }

    /// NeuralForecast's `scale_decouple`: the raw outputs `[R, h, m]` and each row's `loc` and
    /// `scale` (`[R, 1]`, or `[R, h]` per step) to the parameters, each `[R, h]`, in the original scale, in the order
    /// of [`param_names`](Self::param_names).
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
        if let Some((c, n, weighted)) = self.mixture() {
            return mixture::decouple(c, n, weighted, raw, loc, scale);
        }
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
            Distribution::Poisson => vec![located(p(0)).softplus().add_scalar(1e-10)],
            Distribution::NegativeBinomial => {
                let mu = p(0).softplus().add_scalar(1e-8).mul(scale).add(loc);
                let alpha = p(1).softplus().add_scalar(1e-8).div(scale.add_scalar(1.0));
                let (r, prob) = nbinom_params(mu, alpha);
                vec![r, prob]
            }
            Distribution::Tweedie { .. } => {
                // ln 0 = -inf for a zero location: log μ is then clamped to 1e-9, as in
                // NeuralForecast (whose mean is thus at least 1).
                let log_mu = p(0).softplus().clamp(1e-9, 37.0).add(loc.log());
                vec![log_mu.clamp(1e-9, 37.0)]
            }
            Distribution::Bernoulli => vec![p(0).sigmoid()],
            _ => unreachable!("mixtures return above"),
        }
    }

    /// `-log p(y | params)` element-wise: `params` from [`decouple`](Self::decouple), `y`
    /// `[R, h]`; returns `[R, h]`.
    pub fn neg_log_prob<'t>(self, params: &[Var<'t>], y: Var<'t>) -> Var<'t> {
        if let Some((c, n, weighted)) = self.mixture() {
            return mixture::neg_log_prob(c, n, weighted, params, y);
        }
        match self {
            Distribution::Normal => normal_log_prob(params[0], params[1], y).neg(),
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
            Distribution::Poisson => poisson_log_prob(params[0], y).neg(),
            Distribution::NegativeBinomial => nbinom_log_prob(params[0], params[1], y).neg(),
            Distribution::Tweedie { rho } => {
                // log p = y μ^(1-ρ)/(1-ρ) - μ^(2-ρ)/(2-ρ), NeuralForecast's quasi-likelihood.
                let log_mu = params[0];
                let a = y
                    .mul(log_mu.mul_scalar(1.0 - rho).exp())
                    .mul_scalar(1.0 / (1.0 - rho));
                let b = log_mu
                    .mul_scalar(2.0 - rho)
                    .exp()
                    .mul_scalar(1.0 / (2.0 - rho));
                b.sub(a)
            }
            Distribution::Bernoulli => {
                // PyTorch's Bernoulli(probs): y log p + (1 - y) log(1 - p), p clamped to
                // [eps, 1 - eps].
                let p = params[0].clamp(PROB_EPS, 1.0 - PROB_EPS);
                let log_p = y.mul(p.log()).add(y.rsub_scalar(1.0).mul(p.neg().log1p()));
                log_p.neg()
            }
            _ => unreachable!("mixtures return above"),
        }
    }

    /// One draw from the distribution with the parameters `params` (one value per parameter,
    /// in the original scale, in [`decouple`](Self::decouple)'s order).
    pub fn sample(self, params: &[f32], rng: &mut Rng) -> f32 {
        if let Some((c, n, weighted)) = self.mixture() {
            return mixture::sample(c, n, weighted, params, rng);
        }
        match self {
            Distribution::Normal => params[0] + params[1] * rng.normal(),
            Distribution::StudentT => {
                params[1] + params[2] * rng.student_t(params[0] as f64) as f32
            }
            Distribution::Poisson => rng.poisson(params[0] as f64) as f32,
            Distribution::NegativeBinomial => nbinom_sample(params[0], params[1], rng),
            Distribution::Tweedie { rho } => tweedie_sample(params[0], rho, rng),
            Distribution::Bernoulli => rng.bernoulli(params[0] as f64) as f32,
            _ => unreachable!("mixtures return above"),
        }
    }

    /// The mean of the distribution with the parameters `params` (NeuralForecast's
    /// `distr_mean`, what its recurrent prediction feeds back).
    pub fn mean(self, params: &[f32]) -> f32 {
        if let Some((c, n, weighted)) = self.mixture() {
            return mixture::mean(c, n, weighted, params);
        }
        match self {
            Distribution::Normal | Distribution::Poisson | Distribution::Bernoulli => params[0],
            Distribution::StudentT => params[1],
            Distribution::NegativeBinomial => nbinom_mean(params[0], params[1]),
            Distribution::Tweedie { .. } => params[0].exp(),
            _ => unreachable!("mixtures return above"),
        }
    }
}

/// NeuralForecast's negative binomial parameters from a mean `μ` and a dispersion `α`:
/// `r = 1/α`, `p = μα/(1 + μα) + 1e-8`.
pub(crate) fn nbinom_params<'t>(mu: Var<'t>, alpha: Var<'t>) -> (Var<'t>, Var<'t>) {
    let r = alpha.constant(Tensor::scalar(1.0)).div(alpha);
    let ma = mu.mul(alpha);
    (r, ma.div(ma.add_scalar(1.0)).add_scalar(1e-8))
}

/// `log N(y; μ, σ)`, PyTorch's `Normal.log_prob`.
pub(crate) fn normal_log_prob<'t>(mu: Var<'t>, sigma: Var<'t>, y: Var<'t>) -> Var<'t> {
    const HALF_LN_2PI: f32 = 0.918_938_5;
    let z = y.sub(mu).div(sigma);
    z.mul(z)
        .mul_scalar(-0.5)
        .sub(sigma.log())
        .add_scalar(-HALF_LN_2PI)
}

/// `log Poisson(y; λ) = y log λ - λ - lgamma(y + 1)`, PyTorch's `Poisson.log_prob`.
pub(crate) fn poisson_log_prob<'t>(rate: Var<'t>, y: Var<'t>) -> Var<'t> {
    y.mul(rate.log()).sub(rate).sub(y.add_scalar(1.0).lgamma())
}

/// PyTorch's `NegativeBinomial(total_count=r, probs=p).log_prob(y)`:
/// `lgamma(r + y) - lgamma(y + 1) - lgamma(r) + r log(1 - p) + y log p`, `p` clamped to
/// `[eps, 1 - eps]`.
pub(crate) fn nbinom_log_prob<'t>(r: Var<'t>, p: Var<'t>, y: Var<'t>) -> Var<'t> {
    let p = p.clamp(PROB_EPS, 1.0 - PROB_EPS);
    r.mul(p.neg().log1p())
        .add(y.mul(p.log()))
        .add(r.add(y).lgamma())
        .sub(y.add_scalar(1.0).lgamma())
        .sub(r.lgamma())
}

/// PyTorch's negative binomial draw: `Poisson(Gamma(r) · p/(1 - p))`, `p` clamped as in its
/// logits.
pub(crate) fn nbinom_sample(r: f32, p: f32, rng: &mut Rng) -> f32 {
    let p = p.clamp(PROB_EPS, 1.0 - PROB_EPS);
    rng.negative_binomial(r as f64, p as f64) as f32
}

/// `r p/(1 - p)` with `p` clamped as in PyTorch's logits.
pub(crate) fn nbinom_mean(r: f32, p: f32) -> f32 {
    let p = p.clamp(PROB_EPS, 1.0 - PROB_EPS) as f64;
    (r as f64 * p / (1.0 - p)) as f32
}

/// NeuralForecast's Tweedie draw: `N ~ Poisson(μ^(2-ρ)/(2-ρ))`, then
/// `Gamma((N + 1e-5)·(2-ρ)/(ρ-1))` divided by the rate `μ^(1-ρ)/(ρ-1)` (its `N == 0` branch
/// never fires because of the `1e-5`; the draw is then tiny, usually 0).
fn tweedie_sample(log_mu: f32, rho: f32, rng: &mut Rng) -> f32 {
    let (mu, rho) = ((log_mu as f64).exp(), rho as f64);
    let rate = mu.powf(2.0 - rho) / (2.0 - rho);
    let alpha = (2.0 - rho) / (rho - 1.0);
    let beta = mu.powf(1.0 - rho) / (rho - 1.0);
    let n = rng.poisson(rate) + 1e-5;
    (rng.gamma(n * alpha) / beta) as f32
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
