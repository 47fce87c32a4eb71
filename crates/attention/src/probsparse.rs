//! Informer's ProbSparse attention and its distilling layer.
//!
//! Zhou, Zhang, Peng, Zhang, Li, Xiong, Zhang, "Informer: Beyond Efficient Transformer for Long
//! Sequence Time-Series Forecasting", AAAI 2021 (arXiv:2012.07436). Only the `u = factor *
//! ceil(ln L_Q)` queries whose scores against `factor * ceil(ln L_K)` sampled keys are most
//! peaked (max minus mean) attend; the other queries get the mean of the values (or, with the
//! causal mask, their running sum), as NeuralForecast's `ProbAttention` does.

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::{Rng, top_k};
use neurodiv_nn::{BatchNorm1d, Conv1d, Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// `factor * ceil(ln n)`, at most `n` and at least 1.
fn sample_size(factor: usize, n: usize) -> usize {
    (factor * (n as f64).ln().ceil() as usize).clamp(1, n)
}

/// ProbSparse attention: `q` `[B, H, L_Q, E]`, `k` `[B, H, L_K, E]`, `v` `[B, H, L_K, D]` ->
/// `[B, H, L_Q, D]`, scale `1 / sqrt(E)`. The sampled keys (drawn from `rng`, the same for
/// every batch entry and head, as NeuralForecast draws them) and the choice of queries carry no
/// gradient; the chosen queries' attention and the values do. With `causal`, each chosen query
/// sees only the keys up to its own position and the others get the cumulative sum of the
/// values (self-attention only: `L_Q == L_K`).
///
/// # Panics
/// When the shapes do not fit, or `causal` with `L_Q != L_K`.
pub fn prob_attention<'t>(
    q: Var<'t>,
    k: Var<'t>,
    v: Var<'t>,
    factor: usize,
    causal: bool,
    rng: &mut Rng,
) -> Var<'t> {
    let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
    let (b, h, lq, e) = (qs[0], qs[1], qs[2], qs[3]);
    let (lk, d) = (ks[2], vs[3]);
    assert!(
        ks[..2] == qs[..2] && ks[3] == e && vs[..3] == ks[..3],
        "prob_attention: q {qs:?}, k {ks:?}, v {vs:?} do not fit"
    );
    assert!(
        !causal || lq == lk,
        "prob_attention: a causal mask needs L_Q == L_K"
    );
    let (n_sample, n_top) = (sample_size(factor, lk), sample_size(factor, lq));
    let sample: Vec<usize> = (0..lq * n_sample).map(|_| rng.below(lk)).collect();
    // The sparsity measure of every query, from the values only.
    let (qv, kv) = (q.value(), k.value());
    let (qd, kd) = (qv.data(), kv.data());
    let pairs = b * h;
    let mut chosen = Vec::with_capacity(pairs * n_top);
    for p in 0..pairs {
        let measure: Vec<f32> = (0..lq)
            .map(|i| {
                let qi = &qd[(p * lq + i) * e..(p * lq + i + 1) * e];
                let (mut top, mut sum) = (f32::NEG_INFINITY, 0.0f32);
                for &j in &sample[i * n_sample..(i + 1) * n_sample] {
                    let kj = &kd[(p * lk + j) * e..(p * lk + j + 1) * e];
                    let s: f32 = qi.iter().zip(kj).map(|(a, b)| a * b).sum();
                    top = top.max(s);
                    sum += s;
                }
                top - sum / lk as f32 // NeuralForecast divides by L_K, not the sample size
            })
            .collect();
        chosen.extend(top_k(&measure, n_top).into_iter().map(|i| p * lq + i));
    }
    let scale = 1.0 / (e as f32).sqrt();
    // [B, H, L_Q, E] -> [B * H * L_Q, E] -> [B * H * u, E] -> [B, H, u, E]
    let q_top = q
        .reshape(&[pairs * lq, e])
        .index_select(0, &chosen)
        .reshape(&[b, h, n_top, e]);
    let mut scores = q_top.matmul_t(k, false, true).mul_scalar(scale); // [B, H, u, L_K]
    if causal {
        let mask: Vec<f32> = chosen
            .iter()
            .flat_map(|&r| (0..lk).map(move |j| if j > r % lq { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        scores = scores.add(q.constant(Tensor::from_vec(&[b, h, n_top, lk], mask)));
    }
    let update = scores.softmax().matmul(v); // [B, H, u, D]
    let initial = if causal {
        v.cumsum(2) // [B, H, L, D]
    } else {
        v.mean(2, true).expand(&[b, h, lq, d]) // [B, H, 1, D] -> [B, H, L_Q, D]
    };
    // Rows of the chosen queries come from `update`, the others from `initial`.
    let mut rows: Vec<usize> = (0..pairs * lq).collect();
    for (j, &r) in chosen.iter().enumerate() {
        rows[r] = pairs * lq + j;
    }
    let both = Var::concat(
        &[
            initial.reshape(&[pairs * lq, d]),
            update.reshape(&[pairs * n_top, d]),
        ],
        0,
    );
    both.index_select(0, &rows).reshape(&[b, h, lq, d])
}

/// Informer's distilling layer between encoder layers: a kernel-3 convolution with circular
/// padding 2 (so the sequence grows by 2), batch norm over the channels, ELU, and max pooling
/// (kernel 3, stride 2, padding 1): `[B, L, C] -> [B, (L + 1) / 2 + 1, C]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DistilLayer {
    /// `[C, C, 3]`, with bias.
    pub conv: Conv1d,
    /// Over the `C` channels.
    pub norm: BatchNorm1d,
}

impl DistilLayer {
    /// Creates `{name}.downConv.*` and `{name}.norm.*` for `channels` channels.
    pub fn new(store: &mut ParamStore, name: &str, channels: usize, rng: &mut Rng) -> Self {
        let conv = Conv1d::new(
            store,
            &format!("{name}.downConv"),
            (channels, channels, 3),
            (0, 0),
            1,
            true,
            rng,
        );
        let norm = BatchNorm1d::new(store, &format!("{name}.norm"), channels, 1e-5, 0.1);
        DistilLayer { conv, norm }
    }

    /// `[B, L, C] -> [B, (L + 1) / 2 + 1, C]`, `L >= 2`.
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>) -> Var<'t> {
        let (b, l, c) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        assert!(l >= 2, "DistilLayer: a sequence of {l} cannot wrap by 2");
        let x = x.transpose(1, 2); // [B, L, C] -> [B, C, L]
        // Circular padding by two: [B, C, L] -> [B, C, L + 4]
        let x = Var::concat(&[x.slice(2, l - 2, l), x, x.slice(2, 0, 2)], 2);
        let y = self.conv.forward(ctx, x); // [B, C, L + 2]
        let n = l + 2;
        // [B, C, L + 2] -> [B, L + 2, C] -> [B * (L + 2), C]
        let y = y.transpose(1, 2).reshape(&[b * n, c]);
        let y = self
            .norm
            .forward(ctx, y)
            .reshape(&[b, n, c])
            .transpose(1, 2);
        let y = y.elu().max_pool1d(3, 2, 1, false); // [B, C, (L + 1) / 2 + 1]
        y.transpose(1, 2)
    }
}
