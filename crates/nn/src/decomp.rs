//! Series decomposition into trend and remainder (NeuralForecast's `MovingAvg` and
//! `SeriesDecomp`), shared by DLinear, Autoformer and FEDformer.

use neurodiv_autodiff::Var;

/// `(x - trend, trend)` with the trend of [`Var::moving_average`] along `axis` (replicate
/// padding, the length kept).
pub fn series_decomp<'t>(x: Var<'t>, axis: usize, window: usize) -> (Var<'t>, Var<'t>) {
    let trend = x.moving_average(axis, window);
    (x.sub(trend), trend)
}
