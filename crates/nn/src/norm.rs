//! Layer normalisation, embeddings and dropout as layers.

use crate::{Ctx, ParamId, ParamStore};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::Rng;
use serde::{Deserialize, Serialize};

/// Layer norm over the last axis with a learnable scale (ones) and shift (zeros), PyTorch's
/// `nn.LayerNorm(features, eps=1e-5)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerNorm {
    /// `[features]`
    pub weight: ParamId,
    /// `[features]`
    pub bias: ParamId,
    /// Numerical floor of the variance.
    pub eps: f32,
}

impl LayerNorm {
    /// Creates `{name}.weight` and `{name}.bias`.
    pub fn new(store: &mut ParamStore, name: &str, features: usize) -> Self {
        let weight = store.add(format!("{name}.weight"), Tensor::ones(&[features]));
        let bias = store.add(format!("{name}.bias"), Tensor::zeros(&[features]));
        LayerNorm {
            weight,
            bias,
            eps: 1e-5,
        }
    }

    /// `[..., features] -> [..., features]`
    pub fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> Var<'t> {
        x.layer_norm(ctx.p(self.weight), ctx.p(self.bias), self.eps)
    }
}

/// A lookup table of `num` vectors of `dim` values, initialised `N(0, 1)` like PyTorch's
/// `nn.Embedding`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Embedding {
    /// `[num, dim]`
    pub weight: ParamId,
    /// Table size.
    pub num: usize,
    /// Vector size.
    pub dim: usize,
}

impl Embedding {
    /// Creates `{name}.weight`.
    pub fn new(store: &mut ParamStore, name: &str, num: usize, dim: usize, rng: &mut Rng) -> Self {
        let weight = store.add(format!("{name}.weight"), Tensor::randn(&[num, dim], rng));
        Embedding { weight, num, dim }
    }

    /// Rows `ids` of the table, shaped `ids_shape + [dim]`.
    ///
    /// # Panics
    /// When an id is out of range (ids come from the library, not from users).
    pub fn forward<'t>(&self, ctx: &Ctx<'t>, ids: &[usize], ids_shape: &[usize]) -> Var<'t> {
        Var::embedding(ctx.p(self.weight), ids, ids_shape)
    }
}

/// Dropout with probability `p`, active only on training tapes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Dropout {
    /// Probability of zeroing an element.
    pub p: f32,
}

impl Dropout {
    /// Zeros each element with probability `p` (scaling the rest by `1 / (1 - p)`) in training.
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>) -> Var<'t> {
        if self.p > 0.0 {
            x.dropout(self.p, &mut ctx.rng)
        } else {
            x
        }
    }
}
