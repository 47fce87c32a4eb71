//! Autoformer's auto-correlation, the attention of the decomposition transformers.
//!
//! Wu, Xu, Wang, Long, "Autoformer: Decomposition Transformers with Auto-Correlation for
//! Long-Term Series Forecasting", NeurIPS 2021 (arXiv:2106.13008). The circular
//! cross-correlation of queries and keys over time, `corr[τ] = Σ_t q[(t + τ) mod L] k[t]`
//! (through `rfft`, the product with the conjugate and `irfft`), averaged over the channels,
//! ranks the delays; the values rolled by the `k = factor ln L` best delays are summed with
//! the softmax of their correlations as weights.
//!
//! As in NeuralForecast (its "speed-up" versions): in training the delays are those of the
//! batch's mean correlation, shared by every window, and each window weighs them by its own
//! correlations; in inference every window picks its own delays.

use neurodiv_autodiff::Var;
use neurodiv_kernels::top_k;

/// `int(factor * ln(len))`, at least 1 and at most `len`.
fn delays(factor: usize, len: usize) -> usize {
    ((factor as f64 * (len as f64).ln()) as usize).clamp(1, len)
}

/// Auto-correlation of `q`, `k`, `v` `[B, C, L]` (channels `C = heads x head size`, time
/// last, `k` and `v` already cut or zero-padded to `L`) -> `[B, C, L]`. `training` chooses
/// the shared (batch-mean) delays of NeuralForecast's training path.
pub fn auto_correlation<'t>(
    q: Var<'t>,
    k: Var<'t>,
    v: Var<'t>,
    factor: usize,
    training: bool,
) -> Var<'t> {
    let s = q.shape();
    let (b, c, l) = (s[0], s[1], s[2]);
    assert!(
        k.shape() == s && v.shape() == s,
        "auto_correlation: q {s:?}, k {:?}, v {:?} differ",
        k.shape(),
        v.shape()
    );
    // corr = irfft(rfft(q) * conj(rfft(k))): [B, C, L] -> [B, C, L/2 + 1] x 2 -> [B, C, L]
    let (qr, qi) = q.rfft(2);
    let (kr, ki) = k.rfft(2);
    let re = qr.mul(kr).add(qi.mul(ki));
    let im = qi.mul(kr).sub(qr.mul(ki));
    let corr = Var::irfft(re, im, l, 2).mean(1, false); // [B, L]
    let top = delays(factor, l);
    let cv = corr.value();
    let rows: Vec<&[f32]> = cv.data().chunks_exact(l).collect();
    // Per window: the chosen delays and the gather of their correlations.
    let (chosen, picked): (Vec<Vec<usize>>, Var<'t>) = if training {
        let mut mean = vec![0.0f32; l];
        for r in &rows {
            mean.iter_mut()
                .zip(*r)
                .for_each(|(m, x)| *m += x / b as f32);
        }
        let d = top_k(&mean, top);
        let picked = corr.index_select(1, &d); // [B, k]
        (vec![d; b], picked)
    } else {
        let d: Vec<Vec<usize>> = rows.iter().map(|r| top_k(r, top)).collect();
        let flat: Vec<usize> = d
            .iter()
            .enumerate()
            .flat_map(|(i, di)| di.iter().map(move |&j| i * l + j))
            .collect();
        let picked = corr
            .reshape(&[b * l])
            .index_select(0, &flat)
            .reshape(&[b, top]);
        (d, picked)
    };
    let weights = picked.softmax(); // [B, k]
    // Sum over the delays of the values rolled left by each, weighted: [B, C, L]
    let flat_v = v.reshape(&[b * c * l]);
    (0..top)
        .map(|i| {
            let idx: Vec<usize> = (0..b * c * l)
                .map(|n| {
                    let (row, t) = (n / l, n % l);
                    row * l + (t + chosen[row / c][i]) % l
                })
                .collect();
            let rolled = flat_v.index_select(0, &idx).reshape(&[b, c, l]);
            let w = weights.slice(1, i, i + 1).reshape(&[b, 1, 1]); // [B, 1] -> [B, 1, 1]
            rolled.mul(w)
        })
        .reduce(|acc, term| acc.add(term))
        .expect("at least one delay")
}
