//! Autoformer's auto-correlation, the attention of the decomposition transformers.
//!
//! Wu, Xu, Wang, Long, "Autoformer: Decomposition Transformers with Auto-Correlation for
//! Long-Term Series Forecasting", NeurIPS 2021 (arXiv:2106.13008). The circular
//! cross-correlation of queries and keys over time, `corr[τ] = Σ_t q[(t + τ) mod L] k[t]`,
//! averaged over the channels, ranks the delays; the values rolled by the `k = factor ln L`
//! best delays are summed with the softmax of their correlations as weights.
//!
//! As in NeuralForecast (its "speed-up" versions): in training the delays are those of the
//! batch's mean correlation, shared by every window, and each window weighs them by its own
//! correlations; in inference every window picks its own delays.
//!
//! NeuralForecast computes the correlation with FFTs; here it is the sum of the circular
//! diagonals of `Q Kᵀ` (one batched GEMM per window, the same `O(L² C)` work as a DFT by GEMM
//! at these lengths, and no transposes of the `[B, L, C]` activations). The rolled, weighted sum
//! of the values is one fused op ([`delay_aggregate`]) instead of a gather per delay.

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::elementwise::axpy;
use neurodiv_kernels::top_k;
use rayon::prelude::*;

/// `int(factor * ln(len))`, at least 1 and at most `len`.
fn delays(factor: usize, len: usize) -> usize {
    ((factor as f64 * (len as f64).ln()) as usize).clamp(1, len)
}

/// Auto-correlation of `q`, `k`, `v` `[B, L, C]` (time second, channels `C = heads x head
/// size` last, `k` and `v` already cut or zero-padded to `L`) -> `[B, L, C]`. `training`
/// chooses the shared (batch-mean) delays of NeuralForecast's training path.
pub fn auto_correlation<'t>(
    q: Var<'t>,
    k: Var<'t>,
    v: Var<'t>,
    factor: usize,
    training: bool,
) -> Var<'t> {
    let s = q.shape();
    let (b, l, c) = (s[0], s[1], s[2]);
    assert!(
        k.shape() == s && v.shape() == s,
        "auto_correlation: q {s:?}, k {:?}, v {:?} differ",
        k.shape(),
        v.shape()
    );
    // corr[b, τ] = (1/C) Σ_t (Q Kᵀ)[(t + τ) mod L, t]: [B, L, L] -> [B, L (τ), L (t)] -> [B, L]
    let diagonals: Vec<usize> = (0..l)
        .flat_map(|tau| (0..l).map(move |t| ((t + tau) % l) * l + t))
        .collect();
    let corr = q
        .matmul_t(k, false, true)
        .reshape(&[b, l * l])
        .index_select(1, &diagonals)
        .reshape(&[b, l, l])
        .sum(2, false)
        .mul_scalar(1.0 / c as f32);
    let top = delays(factor, l);
    let cv = corr.value();
    let rows: Vec<&[f32]> = cv.data().chunks_exact(l).collect();
    // Per window: the chosen delays and the gather of their correlations.
    let (chosen, picked): (Vec<usize>, Var<'t>) = if training {
        let mut mean = vec![0.0f32; l];
        for r in &rows {
            mean.iter_mut()
                .zip(*r)
                .for_each(|(m, x)| *m += x / b as f32);
        }
        let d = top_k(&mean, top);
        let picked = corr.index_select(1, &d); // [B, k]
        (d.repeat(b), picked)
    } else {
        let d: Vec<usize> = rows.iter().flat_map(|r| top_k(r, top)).collect();
        let flat: Vec<usize> = d
            .iter()
            .enumerate()
            .map(|(n, &j)| (n / top) * l + j)
            .collect();
        let picked = corr
            .reshape(&[b * l])
            .index_select(0, &flat)
            .reshape(&[b, top]);
        (d, picked)
    };
    delay_aggregate(v, &chosen, picked.softmax())
}

/// `out[b, t, :] = Σ_i w[b, i] v[b, (t + d[b, i]) mod L, :]`: the values `[B, L, C]` rolled
/// left by each window's delays `d` (`[B, k]`, row-major) and summed with weights `w`
/// `[B, k]`. Windows run in parallel; each output element is summed in delay order, so the
/// bits do not depend on the thread count.
pub fn delay_aggregate<'t>(v: Var<'t>, d: &[usize], w: Var<'t>) -> Var<'t> {
    let s = v.shape();
    let (b, l, c) = (s[0], s[1], s[2]);
    let top = w.shape()[1];
    assert!(
        w.shape() == [b, top] && d.len() == b * top && d.iter().all(|&x| x < l),
        "delay_aggregate: values {s:?}, weights {:?}, {} delays",
        w.shape(),
        d.len()
    );
    let (vt, wt) = (v.value(), w.value());
    let out = roll_sum(vt.data(), (b, l, c), d, wt.data());
    let d = d.to_vec();
    let shape = s.to_vec();
    v.tape()
        .custom_op(Tensor::from_vec(&shape, out), &[v, w], move |g, needs| {
            let gd = g.data();
            // dv[b, (t + d) mod L, :] += w[b, i] g[b, t, :]: the same sum rolled right.
            let gv = needs[0].then(|| {
                let back: Vec<usize> = d.iter().map(|&x| (l - x) % l).collect();
                Tensor::from_vec(&shape, roll_sum(gd, (b, l, c), &back, wt.data()))
            });
            // dw[b, i] = Σ_t Σ_c g[b, t, c] v[b, (t + d[b, i]) mod L, c]
            let gw = needs[1].then(|| {
                let mut gw = vec![0.0f32; b * top];
                gw.par_chunks_mut(top).enumerate().for_each(|(bi, gwb)| {
                    let (g_b, vb) = (
                        &gd[bi * l * c..(bi + 1) * l * c],
                        &vt.data()[bi * l * c..(bi + 1) * l * c],
                    );
                    for (i, out) in gwb.iter_mut().enumerate() {
                        let delay = d[bi * top + i];
                        *out = (0..l)
                            .map(|t| {
                                let src = (t + delay) % l * c;
                                dot(&g_b[t * c..(t + 1) * c], &vb[src..src + c])
                            })
                            .sum();
                    }
                });
                Tensor::from_vec(&[b, top], gw)
            });
            vec![gv, gw]
        })
}

/// `out[b, t, :] = Σ_i w[b, i] x[b, (t + d[b, i]) mod L, :]` on `[B, L, C]` data, windows in
/// parallel, each output summed in delay order.
fn roll_sum(x: &[f32], (b, l, c): (usize, usize, usize), d: &[usize], w: &[f32]) -> Vec<f32> {
    let top = d.len() / b.max(1);
    let mut out = vec![0.0f32; b * l * c];
    out.par_chunks_mut(l * c).enumerate().for_each(|(bi, ob)| {
        let xb = &x[bi * l * c..(bi + 1) * l * c];
        for i in 0..top {
            let (delay, weight) = (d[bi * top + i], w[bi * top + i]);
            for t in 0..l {
                let src = (t + delay) % l * c;
                axpy(weight, &xb[src..src + c], &mut ob[t * c..(t + 1) * c]);
            }
        }
    });
    out
}

/// `Σ a[i] b[i]` in index order.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
