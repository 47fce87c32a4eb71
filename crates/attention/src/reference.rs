//! Scaled dot-product attention from the tape's plain ops: the `L x S` score matrix is built,
//! masked, soft-maxed and multiplied by the values. The yardstick for [`flash_attention`]
//! (tests, benchmarks), and the path for models that need the scores themselves (PatchTST's
//! residual attention adds each layer's scores to the next layer's).
//!
//! [`flash_attention`]: crate::flash_attention

use crate::AttentionOptions;
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::{Rng, Trans, gemm_batched};

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
    let mut scores = scaled_scores(q, k, prev, scale); // [.., L, S]
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

/// `scale q kᵀ (+ prev)` as one op and one tensor: `q` `[.., L, E]`, `k` `[.., S, E]`, `prev`
/// `[.., L, S]` -> `[.., L, S]` (the scale is the product's factor, `prev` its added term).
fn scaled_scores<'t>(q: Var<'t>, k: Var<'t>, prev: Option<Var<'t>>, scale: f32) -> Var<'t> {
    let (qs, ks) = (q.shape(), k.shape());
    let r = qs.len();
    assert!(
        r >= 2 && ks.len() == r && qs[..r - 2] == ks[..r - 2] && qs[r - 1] == ks[r - 1],
        "attention scores: q {qs:?} and k {ks:?} do not fit [.., L, E], [.., S, E]"
    );
    let (l, s, e) = (qs[r - 2], ks[r - 2], qs[r - 1]);
    let batch: usize = qs[..r - 2].iter().product();
    let mut shape = qs[..r - 2].to_vec();
    shape.extend([l, s]);
    let (mut c, beta) = match prev {
        Some(p) => {
            assert_eq!(p.shape(), shape, "attention scores: prev does not fit");
            (p.value().data().to_vec(), 1.0)
        }
        None => (vec![0.0f32; batch * l * s], 0.0),
    };
    let (qt, kt) = (q.value(), k.value());
    // [L, E] · [S, E]ᵀ -> [L, S] per batch entry
    gemm_batched(
        batch,
        Trans::N,
        Trans::T,
        l,
        s,
        e,
        scale,
        qt.data(),
        kt.data(),
        beta,
        &mut c,
    );
    let out = Tensor::from_vec(&shape, c);
    let parents: Vec<Var<'t>> = [q, k].into_iter().chain(prev).collect();
    q.tape().custom_op(out, &parents, move |g, needs| {
        let gd = g.data();
        // dq = scale g · k: [L, S] · [S, E]; dk = scale gᵀ · q: [S, L] · [L, E]
        let gq = needs[0].then(|| {
            let mut v = vec![0.0f32; batch * l * e];
            gemm_batched(
                batch,
                Trans::N,
                Trans::N,
                l,
                e,
                s,
                scale,
                gd,
                kt.data(),
                0.0,
                &mut v,
            );
            Tensor::from_vec(qt.shape(), v)
        });
        let gk = needs[1].then(|| {
            let mut v = vec![0.0f32; batch * s * e];
            gemm_batched(
                batch,
                Trans::T,
                Trans::N,
                s,
                e,
                l,
                scale,
                gd,
                qt.data(),
                0.0,
                &mut v,
            );
            Tensor::from_vec(kt.shape(), v)
        });
        let mut grads = vec![gq, gk];
        if needs.len() == 3 {
            grads.push(needs[2].then(|| g.clone()));
        }
        grads
    })
}
