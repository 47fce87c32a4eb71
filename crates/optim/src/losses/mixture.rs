//! NeuralForecast's mixture losses `GMM`, `PMM` and `NBMM` (with `batch_correlation` and
//! `horizon_correlation` off, their defaults): `K` components of one family per horizon step,
//! with equal weights `1/K` or, with `weighted=True`, learned weights `softmax(w̃)`.
//!
//! The raw outputs of a step are grouped by parameter, not by component (NeuralForecast's
//! `domain_map` splits the last axis into `n_outputs` chunks of `K`): `GMM` reads
//! `[μ̃_1..μ̃_K, σ̃_1..σ̃_K, (w̃_1..w̃_K)]`. The anchored parameters come out component by
//! component (`μ_1, σ_1, (w_1), μ_2, ...`), the order of NeuralForecast's `param_names` and of
//! its `return_params` columns.
//!
//! Parametrisations (`loc`/`scale` the window's scaler statistics, `sp` the softplus):
//! - `GMM`: `μ_k = μ̃_k·scale + loc`, `σ_k = (sp(σ̃_k) + 0.2)·scale`.
//! - `PMM`: `λ_k = sp(λ̃_k·scale + loc) + 1e-3`.
//! - `NBMM`: `μ_k = (sp(μ̃_k) + 1e-8)·loc`, `α_k = (sp(α̃_k) + 1e-8)/(loc + 1)` (NeuralForecast
//!   anchors both to the location, not the scale), `r_k = 1/α_k`,
//!   `p_k = μ_kα_k/(1 + μ_kα_k) + 1e-8`.
//!
//! The likelihood is `log p(y) = logsumexp_k(log w_k + log p_k(y))`, with
//! `log w = log_softmax(log clamp(w, eps, 1 - eps))` as PyTorch's `Categorical` gives; a draw
//! picks a component with a categorical draw, then draws from it.

use super::distribution::{
    PROB_EPS, nbinom_log_prob, nbinom_mean, nbinom_params, nbinom_sample, normal_log_prob,
    poisson_log_prob,
};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::Rng;

/// The component family of a mixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Component {
    /// `GMM`: mean and standard deviation.
    Normal,
    /// `PMM`: rate.
    Poisson,
    /// `NBMM`: total count and probability.
    NegativeBinomial,
}

impl Component {
    /// Parameters per component, without the weight.
    pub(crate) fn n_params(self) -> usize {
        match self {
            Component::Poisson => 1,
            Component::Normal | Component::NegativeBinomial => 2,
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Component::Normal => &["-mu", "-std"],
            Component::Poisson => &["-lambda"],
            Component::NegativeBinomial => &["-total_count", "-probs"],
        }
    }
}

/// Parameters per component, with the weight when there is one.
fn per_component(c: Component, weighted: bool) -> usize {
    c.n_params() + usize::from(weighted)
}

/// NeuralForecast's `param_names`, component by component: `-mu-1, -std-1, (-weight-1), ...`.
pub(crate) fn param_names(c: Component, n: usize, weighted: bool) -> Vec<String> {
    let weight: &[&str] = if weighted { &["-weight"] } else { &[] };
    (1..=n)
        .flat_map(|k| {
            c.names()
                .iter()
                .chain(weight)
                .map(move |name| format!("{name}-{k}"))
        })
        .collect()
}

/// The anchored parameters of raw outputs `[R, h, m]`: `m` tensors `[R, h]`, component by
/// component.
pub(crate) fn decouple<'t>(
    c: Component,
    n: usize,
    weighted: bool,
    raw: Var<'t>,
    loc: Var<'t>,
    scale: Var<'t>,
) -> Vec<Var<'t>> {
    let s = raw.shape();
    let (r, h) = (s[0], s[1]);
    // [R, h, m] -> chunk j of K outputs, [R, h, K]
    let chunk = |j: usize| raw.slice(2, j * n, (j + 1) * n);
    // [R, c] -> [R, c, 1], broadcast over the components (c is 1, or h for the per-step
    // statistics of multivariate rows).
    let loc = loc.reshape(&[r, loc.shape()[1], 1]);
    let scale = scale.reshape(&[r, scale.shape()[1], 1]);
    let mut groups: Vec<Var<'t>> = match c {
        Component::Normal => vec![
            chunk(0).mul(scale).add(loc),
            chunk(1).softplus().add_scalar(0.2).mul(scale),
        ],
        Component::Poisson => vec![chunk(0).mul(scale).add(loc).softplus().add_scalar(1e-3)],
        Component::NegativeBinomial => {
            let mu = chunk(0).softplus().add_scalar(1e-8).mul(loc);
            let alpha = chunk(1)
                .softplus()
                .add_scalar(1e-8)
                .div(loc.add_scalar(1.0));
            let (total, probs) = nbinom_params(mu, alpha);
            vec![total, probs]
        }
    };
    if weighted {
        groups.push(chunk(c.n_params()).softmax()); // over the K components
    }
    // [R, h, K] groups -> component by component, each [R, h]
    (0..n)
        .flat_map(|k| {
            groups
                .iter()
                .map(move |g| g.slice(2, k, k + 1).reshape(&[r, h]))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `-log p(y)` element-wise (`[R, h]`) from [`decouple`]'s parameters.
pub(crate) fn neg_log_prob<'t>(
    c: Component,
    n: usize,
    weighted: bool,
    params: &[Var<'t>],
    y: Var<'t>,
) -> Var<'t> {
    let per = per_component(c, weighted);
    // Parameter j of every component: K x [R, h] -> [R, h, K]
    let gather = |j: usize| {
        let parts: Vec<Var<'t>> = (0..n).map(|k| params[k * per + j]).collect();
        Var::stack(&parts, 2)
    };
    let ys = y.shape();
    let y = y.reshape(&[ys[0], ys[1], 1]); // [R, h] -> [R, h, 1], broadcast over K
    let log_p = match c {
        Component::Normal => normal_log_prob(gather(0), gather(1), y),
        Component::Poisson => poisson_log_prob(gather(0), y),
        Component::NegativeBinomial => nbinom_log_prob(gather(0), gather(1), y),
    };
    let log_w = if weighted {
        gather(c.n_params())
            .clamp(PROB_EPS, 1.0 - PROB_EPS)
            .log()
            .log_softmax()
    } else {
        y.constant(Tensor::scalar(-(n as f32).ln()))
    };
    log_p.add(log_w).logsumexp(2, false).neg() // [R, h, K] -> [R, h]
}

/// The weight of each component (equal without `weighted`).
fn weights(n: usize, per: usize, weighted: bool, params: &[f32]) -> Vec<f32> {
    if weighted {
        (0..n).map(|k| params[k * per + per - 1]).collect()
    } else {
        vec![1.0 / n as f32; n]
    }
}

/// One draw: a component by a categorical draw on the weights, then a draw from it.
pub(crate) fn sample(c: Component, n: usize, weighted: bool, params: &[f32], rng: &mut Rng) -> f32 {
    let per = per_component(c, weighted);
    let k = if weighted {
        match rng.categorical(&weights(n, per, true, params)) {
            Some(k) => k,
            None => return f32::NAN,
        }
    } else {
        rng.below(n)
    };
    let p = &params[k * per..];
    match c {
        Component::Normal => p[0] + p[1] * rng.normal(),
        Component::Poisson => rng.poisson(p[0] as f64) as f32,
        Component::NegativeBinomial => nbinom_sample(p[0], p[1], rng),
    }
}

/// `Σ_k w_k mean_k` (PyTorch's `MixtureSameFamily.mean`).
pub(crate) fn mean(c: Component, n: usize, weighted: bool, params: &[f32]) -> f32 {
    let per = per_component(c, weighted);
    let w = weights(n, per, weighted, params);
    let total: f64 = w.iter().map(|&v| v as f64).sum();
    let sum: f64 = (0..n)
        .map(|k| {
            let p = &params[k * per..];
            let m = match c {
                Component::Normal | Component::Poisson => p[0],
                Component::NegativeBinomial => nbinom_mean(p[0], p[1]),
            };
            w[k] as f64 * m as f64
        })
        .sum();
    (sum / total) as f32
}
