//! Point losses (one output per horizon step) and the masked, horizon-weighted mean they share.

use neurodiv_autodiff::{Tensor, Var};

/// NeuralForecast's `mask * horizon_weight`, held as a constant, with its total.
pub(crate) struct Weights<'t> {
    /// `[B, h]` weights.
    pub w: Var<'t>,
    /// Sum of all weights.
    pub total: f32,
}

/// Builds the weights from a `[B, h]` mask and optional `[h]` horizon weights.
///
/// # Panics
/// When the horizon weights' length differs from `h`.
pub(crate) fn weights<'t>(mask: Var<'t>, horizon_weight: Option<&[f32]>) -> Weights<'t> {
    let m = mask.value();
    let shape = m.shape().to_vec();
    assert_eq!(
        shape.len(),
        2,
        "Loss::compute: mask must be [B, h], got {shape:?}"
    );
    let h = shape[1];
    let mut w = m.to_vec();
    if let Some(hw) = horizon_weight {
        assert_eq!(
            hw.len(),
            h,
            "Loss::compute: horizon_weight has {} values for a horizon of {h}",
            hw.len()
        );
        for row in w.chunks_exact_mut(h) {
            for (x, &k) in row.iter_mut().zip(hw) {
                *x *= k;
            }
        }
    }
    let total = w.iter().map(|&v| v as f64).sum::<f64>() as f32;
    Weights {
        w: mask.constant(Tensor::from_vec(&shape, w)),
        total,
    }
}

/// `sum(losses * w) / sum(w)`, or 0 (with zero gradient) when the weights sum to 0, which is
/// NeuralForecast's `_weighted_mean` with `_divide_no_nan`. `losses` is `[B, h]`.
pub(crate) fn weighted_mean<'t>(losses: Var<'t>, w: &Weights<'t>) -> Var<'t> {
    let num = losses.mul(w.w).sum_all();
    if w.total != 0.0 {
        num.div(num.constant(Tensor::scalar(w.total)))
    } else {
        num.mul_scalar(0.0)
    }
}

/// The point forecast as `[B, h]` from `[B, h]` or `[B, h, 1]`.
///
/// # Panics
/// When `y_hat` is neither, or does not match `y`'s `[B, h]`.
pub(crate) fn point_forecast<'t>(name: &str, y: &[usize], y_hat: Var<'t>) -> Var<'t> {
    let s = y_hat.shape();
    let ok = y.len() == 2 && (s == y || (s.len() == 3 && s[..2] == *y && s[2] == 1));
    assert!(
        ok,
        "Loss::compute({name}): y {y:?} needs y_hat [B, h] or [B, h, 1], got {s:?}"
    );
    if s.len() == 3 {
        y_hat.reshape(y) // [B, h, 1] -> [B, h]
    } else {
        y_hat
    }
}

/// `|y - ŷ|`, `[B, h]`.
pub(crate) fn abs_error<'t>(y: Var<'t>, y_hat: Var<'t>) -> Var<'t> {
    y.sub(y_hat).abs()
}

/// `(y - ŷ)²`, `[B, h]`.
pub(crate) fn sq_error<'t>(y: Var<'t>, y_hat: Var<'t>) -> Var<'t> {
    let e = y.sub(y_hat);
    e.mul(e)
}

/// RMSE: `sqrt` of the weighted MSE. At exactly zero error the gradient is taken as 0 (the
/// square root has no derivative there; PyTorch would give NaN).
pub(crate) fn rmse<'t>(y: Var<'t>, y_hat: Var<'t>, w: &Weights<'t>) -> Var<'t> {
    let mse = weighted_mean(sq_error(y, y_hat), w);
    if mse.value().item() > 0.0 {
        mse.sqrt()
    } else {
        mse.mul_scalar(0.0)
    }
}

/// MAPE terms `|y - ŷ| * divide_no_nan(1, |y|)`.
pub(crate) fn mape_terms<'t>(y: Var<'t>, y_hat: Var<'t>) -> Var<'t> {
    let scale = y.value().map(|v| no_nan(1.0 / v.abs()));
    abs_error(y, y_hat).mul(y.constant(scale))
}

/// SMAPE terms `divide_no_nan(|y - ŷ|, |y| + |ŷ|)` (the factor 2 is applied after the mean).
pub(crate) fn smape_terms<'t>(y: Var<'t>, y_hat: Var<'t>) -> Var<'t> {
    let delta = abs_error(y, y_hat);
    let denom = y.abs().add(y_hat.abs());
    // Where |y| + |ŷ| = 0 both are 0, so the quotient is 0/1 = 0 (with zero gradient).
    let fix = denom.value().map(|d| if d == 0.0 { 1.0 } else { 0.0 });
    // |y - ŷ| <= |y| + |ŷ|, so the quotient is in [0, 1] for finite inputs.
    delta.div(denom.add(y.constant(fix)))
}

/// MASE terms `divide_no_nan(|y - ŷ|, scale)` with the per-series scale
/// `mean_t |x[t] - x[t - s]|` over the in-sample window `x` (`[B, L]`).
///
/// # Panics
/// When the in-sample window is missing, not `[B, L]` (or `[B, L, 1]`) for the batch of `y`,
/// or not longer than the seasonality.
pub(crate) fn mase_terms<'t>(
    y: Var<'t>,
    y_hat: Var<'t>,
    y_insample: Option<Var<'t>>,
    s: usize,
) -> Var<'t> {
    let x = y_insample
        .expect("Loss::compute(MASE): needs y_insample [B, L]")
        .value();
    let xs = x.shape();
    let b = y.shape()[0];
    assert!(
        (xs.len() == 2 || (xs.len() == 3 && xs[2] == 1)) && xs[0] == b,
        "Loss::compute(MASE): y_insample must be [B, L] with B = {b}, got {xs:?}"
    );
    let l = xs[1];
    assert!(
        l > s,
        "Loss::compute(MASE): the input window ({l}) must be longer than the seasonality ({s})"
    );
    let mut safe = Vec::with_capacity(b);
    let mut keep = Vec::with_capacity(b);
    for row in x.data().chunks_exact(l) {
        let sum: f64 = (s..l).map(|t| (row[t] - row[t - s]).abs() as f64).sum();
        let scale = (sum / (l - s) as f64) as f32;
        let ok = scale != 0.0 && scale.is_finite();
        safe.push(if ok { scale } else { 1.0 });
        keep.push(if ok { 1.0 } else { 0.0 });
    }
    let safe = y.constant(Tensor::from_vec(&[b, 1], safe));
    let keep = y.constant(Tensor::from_vec(&[b, 1], keep));
    abs_error(y, y_hat).div(safe).mul(keep)
}

/// `torch.nn.functional.huber_loss(y, ŷ, delta)` terms: `½e²` for `|e| < δ`, else
/// `δ(|e| - ½δ)`; written as `½c² + δ(|e| - c)` with `c = min(|e|, δ)`.
pub(crate) fn huber_terms<'t>(y: Var<'t>, y_hat: Var<'t>, delta: f32) -> Var<'t> {
    let a = abs_error(y, y_hat);
    let c = a.clamp(0.0, delta);
    c.mul(c).mul_scalar(0.5).add(a.sub(c).mul_scalar(delta))
}

fn no_nan(v: f32) -> f32 {
    if v.is_finite() { v } else { 0.0 }
}
