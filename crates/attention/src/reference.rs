//! Scaled dot-product attention from the tape's plain ops: the `L x S` score matrix is built,
//! masked, soft-maxed and multiplied by the values. The yardstick for [`flash_attention`]
//! (tests, benchmarks), and the path for models that need the scores themselves (PatchTST's
//! residual attention adds each layer's scores to the next layer's).
//!
//! [`flash_attention`]: crate::flash_attention

use crate::AttentionOptions;
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::Rng;

/// `softmax(scale q kᵀ + mask) v` with the shapes of [`flash_attention`](crate::flash_attention).
/// Dropout on the weights is the tape's ordinary [`Var::dropout`] (draws one value per weight
/// from `rng`), so its masks differ from the flash kernel's.
pub fn attention_reference<'t>(
    q: Var<'t>,
    k: Var<'t>,
    v: Var<'t>,
    opts: AttentionOptions,
    rng: &mut Rng,
) -> Var<'t> {
    residual_attention(q, k, v, None, opts, rng).0
}

/// Attention whose scores before the softmax, `scale q kᵀ (+ prev) (+ mask)` `[.., L, S]`, are
/// returned beside the output (Liu et al.'s RealFormer "residual attention", as PatchTST uses
/// it: the scores of one layer are `prev` of the next).
pub fn residual_attention<'t>(
    q: Var<'t>,
    k: Var<'t>,
    v: Var<'t>,
    prev: Option<Var<'t>>,
    opts: AttentionOptions,
    rng: &mut Rng,
) -> (Var<'t>, Var<'t>) {
    let qs = q.shape();
    let (l, e) = (qs[qs.len() - 2], qs[qs.len() - 1]);
    let s = k.shape()[qs.len() - 2];
    let scale = opts.scale.unwrap_or(1.0 / (e as f32).sqrt());
    let mut scores = q.matmul_t(k, false, true).mul_scalar(scale); // [.., L, S]
    if let Some(p) = prev {
        scores = scores.add(p);
    }
    if opts.causal {
        let mask: Vec<f32> = (0..l * s)
            .map(|i| {
                if i % s > i / s {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
            .collect();
        scores = scores.add(q.constant(Tensor::from_vec(&[l, s], mask)));
    }
    let weights = scores.softmax().dropout(opts.dropout, rng);
    (weights.matmul(v), scores) // [.., L, S] · [.., S, D] -> [.., L, D]
}
