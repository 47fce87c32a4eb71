//! Series decomposition into trend and remainder (NeuralForecast's `MovingAvg` and
//! `SeriesDecomp`), shared by DLinear, Autoformer and FEDformer.

use neurodiv_autodiff::Var;

/// The trend of `x` `[..., L]` along its last axis: a moving average of odd `window` with the
/// first and last values repeated `(window - 1) / 2` times at either end, so the shape is kept.
///
/// # Panics
/// When `window` is even or the last axis is empty (configs check both).
pub fn moving_average<'t>(x: Var<'t>, window: usize) -> Var<'t> {
    assert!(
        window % 2 == 1,
        "moving_average: window {window} is not odd"
    );
    let shape = x.shape();
    let axis = shape.len() - 1;
    let l = shape[axis];
    assert!(l > 0, "moving_average: empty series");
    let half = (window - 1) / 2;
    if half == 0 {
        return x;
    }
    let front = x.slice(axis, 0, 1).repeat(axis, half);
    let end = x.slice(axis, l - 1, l).repeat(axis, half);
    let rows = shape[..axis].iter().product();
    // [..., half + L + half] -> [rows, 1, L + 2 half] -> [rows, 1, L] -> [..., L]
    Var::concat(&[front, x, end], axis)
        .reshape(&[rows, 1, l + 2 * half])
        .avg_pool1d(window, 1, 0, false)
        .reshape(&shape)
}

/// `(x - trend, trend)` with the trend of [`moving_average`] along the last axis.
pub fn series_decomp<'t>(x: Var<'t>, window: usize) -> (Var<'t>, Var<'t>) {
    let trend = moving_average(x, window);
    (x.sub(trend), trend)
}
