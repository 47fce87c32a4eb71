//! Quantile losses: the pinball loss of one quantile and the multi-quantile loss, with
//! NeuralForecast's mapping from interval levels to quantiles and output names.

use neurodiv_autodiff::{Tensor, Var};

/// Pinball terms `max(q e, (q - 1) e)` with `e = y - ŷ`, written as
/// `q relu(e) + (1 - q) relu(-e)`. `[B, h]`.
pub(crate) fn pinball_terms<'t>(y: Var<'t>, y_hat: Var<'t>, q: f32) -> Var<'t> {
    let e = y.sub(y_hat);
    e.relu()
        .mul_scalar(q)
        .add(e.neg().relu().mul_scalar(1.0 - q))
}

/// Multi-quantile terms averaged over the quantiles: `y` is `[B, h]`, `y_hat` is `[B, h, Q]`;
/// returns `[B, h]` with `(1/Q) Σ_q (q (y - ŷ_q)₊ + (1 - q) (ŷ_q - y)₊)`.
///
/// # Panics
/// When `y_hat` is not `[B, h, Q]` for `y`'s `[B, h]` and the `Q` quantiles.
pub(crate) fn mq_terms<'t>(y: Var<'t>, y_hat: Var<'t>, quantiles: &[f32]) -> Var<'t> {
    let ys = y.shape();
    let s = y_hat.shape();
    let nq = quantiles.len();
    assert!(
        ys.len() == 2 && s.len() == 3 && s[..2] == ys[..] && s[2] == nq,
        "Loss::compute(MQLoss): y {ys:?} with {nq} quantiles needs y_hat [B, h, {nq}], got {s:?}"
    );
    let y3 = y.reshape(&[ys[0], ys[1], 1]); // [B, h] -> [B, h, 1]
    let err = y_hat.sub(y3); // [B, h, Q]
    let q = y.constant(Tensor::from_vec(&[nq], quantiles.to_vec()));
    let one_minus_q = y.constant(Tensor::from_vec(
        &[nq],
        quantiles.iter().map(|&q| 1.0 - q).collect(),
    ));
    let under = err.neg().relu().mul(q); // q (y - ŷ)₊
    let over = err.relu().mul(one_minus_q); // (1 - q) (ŷ - y)₊
    under.add(over).mean(2, false) // [B, h, Q] -> [B, h]
}

/// `torch.nn.functional.huber_loss(x, 0, delta)` of `x >= 0`: `½x²` below `δ`, else
/// `δ(x - ½δ)`; written as `½c² + δ(x - c)` with `c = min(x, δ)`.
fn huber_of_nonnegative<'t>(x: Var<'t>, delta: f32) -> Var<'t> {
    let c = x.clamp(0.0, delta);
    c.mul(c).mul_scalar(0.5).add(x.sub(c).mul_scalar(delta))
}

/// NeuralForecast's `HuberQLoss` terms: `q·L_δ((y - ŷ)₊) + (1 - q)·L_δ((ŷ - y)₊)`, `[B, h]`.
pub(crate) fn huber_pinball_terms<'t>(y: Var<'t>, y_hat: Var<'t>, q: f32, delta: f32) -> Var<'t> {
    let e = y.sub(y_hat);
    huber_of_nonnegative(e.relu(), delta)
        .mul_scalar(q)
        .add(huber_of_nonnegative(e.neg().relu(), delta).mul_scalar(1.0 - q))
}

/// NeuralForecast's `HuberMQLoss` terms averaged over the quantiles (its documented formula;
/// its code sums them, as for MQLoss): `y` `[B, h]`, `y_hat` `[B, h, Q]`; returns `[B, h]` with
/// `(1/Q) Σ_q (L_δ(q (y - ŷ_q)₊) + L_δ((1 - q) (ŷ_q - y)₊))` (the quantile weights inside the
/// Huber function, unlike `HuberQLoss`).
///
/// # Panics
/// When `y_hat` is not `[B, h, Q]` for `y`'s `[B, h]` and the `Q` quantiles.
pub(crate) fn huber_mq_terms<'t>(
    y: Var<'t>,
    y_hat: Var<'t>,
    quantiles: &[f32],
    delta: f32,
) -> Var<'t> {
    let ys = y.shape();
    let s = y_hat.shape();
    let nq = quantiles.len();
    assert!(
        ys.len() == 2 && s.len() == 3 && s[..2] == ys[..] && s[2] == nq,
        "Loss::compute(HuberMQLoss): y {ys:?} with {nq} quantiles needs y_hat [B, h, {nq}], got {s:?}"
    );
    let err = y_hat.sub(y.reshape(&[ys[0], ys[1], 1])); // [B, h, Q]
    let q = y.constant(Tensor::from_vec(&[nq], quantiles.to_vec()));
    let one_minus_q = y.constant(Tensor::from_vec(
        &[nq],
        quantiles.iter().map(|&q| 1.0 - q).collect(),
    ));
    let under = huber_of_nonnegative(err.neg().relu().mul(q), delta);
    let over = huber_of_nonnegative(err.relu().mul(one_minus_q), delta);
    under.add(over).mean(2, false) // [B, h, Q] -> [B, h]
}

/// NeuralForecast's `level_to_outputs`: repeated levels dropped (first kept); each level `l`
/// gives the quantiles `(50 - l/2)/100` and `(50 + l/2)/100`, sorted ascending; the median
/// 0.5 comes first. `[80, 90]` gives `[0.5, 0.05, 0.1, 0.9, 0.95]`.
pub fn levels_to_quantiles(levels: &[u32]) -> Vec<f32> {
    let mut unique: Vec<u32> = Vec::with_capacity(levels.len());
    for &l in levels {
        if !unique.contains(&l) {
            unique.push(l);
        }
    }
    let mut qs: Vec<f32> = unique
        .iter()
        .flat_map(|&l| {
            let half = l as f64 / 2.0;
            [(50.0 - half) as f32 / 100.0, (50.0 + half) as f32 / 100.0]
        })
        .collect();
    qs.sort_by(f32::total_cmp);
    let mut out = Vec::with_capacity(qs.len() + 1);
    out.push(0.5);
    out.extend(qs);
    out
}

/// Drops repeated quantiles, keeping the first of each (NeuralForecast warns and does the same).
pub(crate) fn dedup_quantiles(quantiles: &[f32]) -> Vec<f32> {
    let mut out: Vec<f32> = Vec::with_capacity(quantiles.len());
    for &q in quantiles {
        if !out.contains(&q) {
            out.push(q);
        }
    }
    out
}

/// Output-column suffix of a quantile: `-median` for 0.5, `-lo-{l}` below and `-hi-{l}` above,
/// with the interval level `l = 100 - 200 q` (resp. `100 - 200 (1 - q)`) rounded to 2 decimals
/// and printed in its shortest form (`-lo-90`, `-hi-97.5`).
pub fn quantile_name(q: f32) -> String {
    let q = q as f64;
    let level = |v: f64| {
        let r = (v * 100.0).round() / 100.0;
        format!("{r}")
    };
    if q < 0.5 {
        format!("-lo-{}", level(100.0 - 200.0 * q))
    } else if q > 0.5 {
        format!("-hi-{}", level(100.0 - 200.0 * (1.0 - q)))
    } else {
        "-median".to_string()
    }
}

/// Index of the quantile closest to 0.5 (the first one on ties).
pub(crate) fn median_index(quantiles: &[f32]) -> usize {
    let mut best = 0;
    for (i, &q) in quantiles.iter().enumerate() {
        if (q - 0.5).abs() < (quantiles[best] - 0.5).abs() {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_like_neuralforecast() {
        assert_eq!(
            levels_to_quantiles(&[80, 90]),
            vec![0.5, 0.05, 0.1, 0.9, 0.95]
        );
        assert_eq!(
            levels_to_quantiles(&[90, 80, 90]),
            vec![0.5, 0.05, 0.1, 0.9, 0.95]
        );
        assert_eq!(levels_to_quantiles(&[95]), vec![0.5, 0.025, 0.975]);
        assert_eq!(levels_to_quantiles(&[]), vec![0.5]);
    }

    #[test]
    fn names() {
        let names: Vec<String> = levels_to_quantiles(&[80, 90])
            .into_iter()
            .map(quantile_name)
            .collect();
        assert_eq!(names, ["-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90"]);
        assert_eq!(quantile_name(0.0125), "-lo-97.5");
        assert_eq!(quantile_name(0.975), "-hi-95");
        assert_eq!(quantile_name(0.25), "-lo-50");
    }

    #[test]
    fn median() {
        assert_eq!(median_index(&[0.1, 0.5, 0.9]), 1);
        assert_eq!(median_index(&[0.1, 0.4, 0.6]), 1);
        assert_eq!(median_index(&[0.9]), 0);
    }
}
