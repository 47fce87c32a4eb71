//! Multi-head attention with PyTorch's layout and initialisation: NeuralForecast's
//! `AttentionLayer` around its `FullAttention`.

use crate::{
    AttentionOptions, auto_correlation, flash_attention_heads, prob_attention, residual_attention,
};
use neurodiv_autodiff::Var;
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, Linear, ParamStore};
use serde::{Deserialize, Serialize};

/// Query, key and value projections to `heads` heads, attention per head, and the output
/// projection back to `hidden` features. Self-attention passes the same input three times;
/// cross-attention passes the decoder's queries and the encoder's keys and values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MultiHeadAttention {
    /// `[hidden] -> [heads * d_keys]`
    pub query: Linear,
    /// `[hidden] -> [heads * d_keys]`
    pub key: Linear,
    /// `[hidden] -> [heads * d_values]`
    pub value: Linear,
    /// `[heads * d_values] -> [hidden]`
    pub out: Linear,
    /// Number of heads.
    pub heads: usize,
}

impl MultiHeadAttention {
    /// Creates `{name}.query_projection`, `key_projection`, `value_projection` and
    /// `out_projection` (weights and biases, `nn.Linear`'s initialisation). `d_keys` and
    /// `d_values` are the sizes per head; NeuralForecast's default is `hidden / heads`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        hidden: usize,
        heads: usize,
        (d_keys, d_values): (usize, usize),
        rng: &mut Rng,
    ) -> Self {
        let mut lin = |part: &str, i: usize, o: usize| {
            Linear::new(store, &format!("{name}.{part}"), i, o, true, rng)
        };
        let query = lin("query_projection", hidden, d_keys * heads);
        let key = lin("key_projection", hidden, d_keys * heads);
        let value = lin("value_projection", hidden, d_values * heads);
        let out = lin("out_projection", d_values * heads, hidden);
        MultiHeadAttention {
            query,
            key,
            value,
            out,
            heads,
        }
    }

    /// `[B, T, hidden] -> [B, T, heads, size]` through `proj` (a reshape, no copy).
    fn project<'t>(&self, ctx: &Ctx<'t>, proj: &Linear, x: Var<'t>) -> Var<'t> {
        let y = proj.forward(ctx, x);
        let (b, t, f) = (y.shape()[0], y.shape()[1], y.shape()[2]);
        y.reshape(&[b, t, self.heads, f / self.heads])
    }

    /// [`project`](Self::project), heads moved first: `[B, heads, T, size]`.
    fn heads<'t>(&self, ctx: &Ctx<'t>, proj: &Linear, x: Var<'t>) -> Var<'t> {
        self.project(ctx, proj, x).permute(&[0, 2, 1, 3])
    }

    /// `[B, heads, L, D] -> [B, L, heads * D] -> [B, L, hidden]` through the output projection.
    fn merge<'t>(&self, ctx: &Ctx<'t>, o: Var<'t>) -> Var<'t> {
        let (b, h, l, d) = (o.shape()[0], o.shape()[1], o.shape()[2], o.shape()[3]);
        let o = o.permute(&[0, 2, 1, 3]).reshape(&[b, l, h * d]);
        self.out.forward(ctx, o)
    }

    /// `queries` `[B, L, hidden]`, `keys` and `values` `[B, S, hidden]` -> `[B, L, hidden]`,
    /// through [`flash_attention`] (dropout from `ctx`'s generator, in training only).
    pub fn forward<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        queries: Var<'t>,
        keys: Var<'t>,
        values: Var<'t>,
        opts: AttentionOptions,
    ) -> Var<'t> {
        // [B, T, H * E] -> [B, T, H, E]: the kernel reads the heads in place.
        let q = self.project(ctx, &self.query, queries);
        let k = self.project(ctx, &self.key, keys);
        let v = self.project(ctx, &self.value, values);
        let o = flash_attention_heads(q, k, v, opts, &mut ctx.rng); // [B, L, H, D]
        let (b, l) = (o.shape()[0], o.shape()[1]);
        self.out
            .forward(ctx, o.reshape(&[b, l, self.heads * o.shape()[3]])) // [B, L, H * D]
    }

    /// Self-attention of `x` `[B, T, hidden]` with residual scores ([`residual_attention`]):
    /// returns the output `[B, T, hidden]` and this layer's scores `[B, heads, T, T]`, which
    /// the next layer takes as `prev`.
    pub fn forward_residual<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        x: Var<'t>,
        prev: Option<Var<'t>>,
        opts: AttentionOptions,
    ) -> (Var<'t>, Var<'t>) {
        let q = self.heads(ctx, &self.query, x);
        let k = self.heads(ctx, &self.key, x);
        let v = self.heads(ctx, &self.value, x);
        let (o, scores) = residual_attention(q, k, v, prev, opts, &mut ctx.rng);
        (self.merge(ctx, o), scores)
    }

    /// [`prob_attention`] between the projections, as NeuralForecast's `AttentionLayer` around
    /// its `ProbAttention`. That attention returns `[B, H, L, D]` where the full attention
    /// returns `[B, L, H, D]`, and the layer reshapes either to `[B, L, H * D]` without a
    /// transpose: the heads and positions of the ProbSparse output are interleaved before the
    /// output projection. That changes results, so it is kept.
    pub fn forward_prob<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        queries: Var<'t>,
        keys: Var<'t>,
        values: Var<'t>,
        (factor, causal): (usize, bool),
    ) -> Var<'t> {
        let q = self.heads(ctx, &self.query, queries);
        let k = self.heads(ctx, &self.key, keys);
        let v = self.heads(ctx, &self.value, values);
        let o = prob_attention(q, k, v, factor, causal, &mut ctx.rng); // [B, H, L, D]
        let (b, h, l, d) = (o.shape()[0], o.shape()[1], o.shape()[2], o.shape()[3]);
        // [B, H, L, D] read as [B, L, H * D] (NeuralForecast's `view`)
        self.out.forward(ctx, o.reshape(&[b, l, h * d]))
    }

    /// [`auto_correlation`] between the projections, as NeuralForecast's
    /// `AutoCorrelationLayer`: keys and values are cut to the queries' length `L`, or padded
    /// with zeros to it; `training` picks the shared-delay path.
    pub fn forward_autocorrelation<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        queries: Var<'t>,
        keys: Var<'t>,
        values: Var<'t>,
        factor: usize,
    ) -> Var<'t> {
        let l = queries.shape()[1];
        let s = keys.shape()[1];
        let fit = |x: Var<'t>| {
            if s >= l {
                x.slice(1, 0, l)
            } else {
                x.pad(1, 0, l - s, 0.0)
            }
        };
        // [B, T, hidden] -> [B, T, H * E]
        let q = self.query.forward(ctx, queries);
        let k = fit(self.key.forward(ctx, keys));
        let v = fit(self.value.forward(ctx, values));
        let o = auto_correlation(q, k, v, factor, ctx.training()); // [B, L, H * E]
        self.out.forward(ctx, o) // [B, L, H * E] -> [B, L, hidden]
    }

    /// A frequency-domain mixer between the projections, as NeuralForecast's
    /// `AutoCorrelationLayer` around FEDformer's blocks: `inner` gets the projected queries
    /// (and keys, when given) as `[B, H, E, T]` and returns `[B, H, E, L]`, which is read as
    /// `[B, L, H * E]` without a transpose (NeuralForecast's `view`; it changes results, so it
    /// is kept). The values are not projected: those blocks do not read them.
    pub fn forward_frequency<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        queries: Var<'t>,
        keys: Option<Var<'t>>,
        inner: impl FnOnce(&Ctx<'t>, Var<'t>, Option<Var<'t>>) -> Var<'t>,
    ) -> Var<'t> {
        // [B, H, T, E] -> [B, H, E, T]
        let q = self.heads(ctx, &self.query, queries).transpose(2, 3);
        let k = keys.map(|k| self.heads(ctx, &self.key, k).transpose(2, 3));
        let o = inner(ctx, q, k);
        let (b, h, e, l) = (o.shape()[0], o.shape()[1], o.shape()[2], o.shape()[3]);
        // [B, H, E, L] read as [B, L, H * E]
        self.out.forward(ctx, o.reshape(&[b, l, h * e]))
    }
}
