//! Evaluation metrics on slices (one series, or any set of aligned points), in f64.
//!
//! Conventions follow utilsforecast (`utilsforecast.losses`) except that MAPE and sMAPE are
//! reported in percent (see each function). Every function fails on empty input or on slices of
//! different lengths.

use crate::error::DataError;

fn check(what: &'static str, y: &[f32], y_hat: &[f32]) -> Result<(), DataError> {
    if y.len() != y_hat.len() {
        return Err(DataError::MetricLength {
            what,
            left: y.len(),
            right: y_hat.len(),
        });
    }
    if y.is_empty() {
        return Err(DataError::MetricEmpty { what });
    }
    Ok(())
}

fn mean_of(y: &[f32], y_hat: &[f32], f: impl Fn(f64, f64) -> f64) -> f64 {
    let s: f64 = y
        .iter()
        .zip(y_hat)
        .map(|(a, b)| f(*a as f64, *b as f64))
        .sum();
    s / y.len() as f64
}

/// `a / b`, 0 when `b == 0` (utilsforecast's divide-no-nan).
fn div0(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

/// Mean absolute error: `mean |y - ŷ|`.
pub fn mae(y: &[f32], y_hat: &[f32]) -> Result<f64, DataError> {
    check("mae", y, y_hat)?;
    Ok(mean_of(y, y_hat, |a, b| (a - b).abs()))
}

/// Mean squared error: `mean (y - ŷ)²`.
pub fn mse(y: &[f32], y_hat: &[f32]) -> Result<f64, DataError> {
    check("mse", y, y_hat)?;
    Ok(mean_of(y, y_hat, |a, b| (a - b) * (a - b)))
}

/// Root mean squared error: `sqrt(mse)`.
pub fn rmse(y: &[f32], y_hat: &[f32]) -> Result<f64, DataError> {
    check("rmse", y, y_hat)?;
    Ok(mse(y, y_hat)?.sqrt())
}

/// Mean absolute percentage error in percent: `100 · mean |y - ŷ| / |y|`; points with `y = 0`
/// contribute 0 (as utilsforecast, which returns the fraction, i.e. this value / 100).
pub fn mape(y: &[f32], y_hat: &[f32]) -> Result<f64, DataError> {
    check("mape", y, y_hat)?;
    Ok(100.0 * mean_of(y, y_hat, |a, b| div0((a - b).abs(), a.abs())))
}

/// Symmetric MAPE in percent, in `[0, 200]`: `200 · mean |y - ŷ| / (|y| + |ŷ|)`; points with
/// `y = ŷ = 0` contribute 0. utilsforecast's `smape` is this value / 200 (in `[0, 1]`);
/// NeuralForecast's numpy `smape` is this value / 100 (in `[0, 2]`).
pub fn smape(y: &[f32], y_hat: &[f32]) -> Result<f64, DataError> {
    check("smape", y, y_hat)?;
    Ok(200.0 * mean_of(y, y_hat, |a, b| div0((a - b).abs(), a.abs() + b.abs())))
}

/// Mean absolute scaled error: `mae(y, ŷ) / mean_{t >= m} |y_train[t] - y_train[t - m]|`, the
/// in-sample MAE of the seasonal naive forecast with period `season` (`m >= 1`).
///
/// Fails when `y_train` has no more than `m` points or when that in-sample error is zero
/// (utilsforecast reports 0 in that case; an error is more honest than a perfect score).
pub fn mase(y: &[f32], y_hat: &[f32], y_train: &[f32], season: usize) -> Result<f64, DataError> {
    check("mase", y, y_hat)?;
    if season == 0 {
        return Err(DataError::InvalidArgument(
            "mase: season must be >= 1".into(),
        ));
    }
    if y_train.len() <= season {
        return Err(DataError::InvalidArgument(format!(
            "mase: the training series has {} points, needs more than the season {season}",
            y_train.len()
        )));
    }
    let scale = mean_of(
        &y_train[season..],
        &y_train[..y_train.len() - season],
        |a, b| (a - b).abs(),
    );
    if scale == 0.0 {
        return Err(DataError::InvalidArgument(
            "mase: the in-sample seasonal naive error is zero (constant seasonal pattern)".into(),
        ));
    }
    Ok(mae(y, y_hat)? / scale)
}

fn check_q(what: &'static str, q: f32) -> Result<(), DataError> {
    if q > 0.0 && q < 1.0 {
        Ok(())
    } else {
        Err(DataError::InvalidArgument(format!(
            "{what}: quantile {q} is not in (0, 1)"
        )))
    }
}

/// Pinball loss of level `q ∈ (0, 1)`: `mean max(q e, (q - 1) e)` with `e = y - ŷ`.
pub fn quantile_loss(y: &[f32], y_hat: &[f32], q: f32) -> Result<f64, DataError> {
    check("quantile_loss", y, y_hat)?;
    check_q("quantile_loss", q)?;
    let q = q as f64;
    Ok(mean_of(y, y_hat, |a, b| {
        let e = a - b;
        (q * e).max((q - 1.0) * e)
    }))
}

/// Scaled CRPS (Rangapuram et al. 2021, utilsforecast's and NeuralForecast's `sCRPS`):
/// `2 · Σ_t mean_q ρ_q(y_t - ŷ_{t,q}) / (Σ_t |y_t| + ε)`, with `ρ_q` the pinball loss and
/// `ε = f64::EPSILON`. `y_hat_q` is row-major `[n, Q]` (the `Q` quantile forecasts of point `t`
/// in row `t`), `quantiles` the `Q` levels.
pub fn scaled_crps(y: &[f32], y_hat_q: &[f32], quantiles: &[f32]) -> Result<f64, DataError> {
    let nq = quantiles.len();
    if nq == 0 {
        return Err(DataError::MetricEmpty {
            what: "scaled_crps quantiles",
        });
    }
    if y.is_empty() {
        return Err(DataError::MetricEmpty {
            what: "scaled_crps",
        });
    }
    if y_hat_q.len() != y.len() * nq {
        return Err(DataError::MetricLength {
            what: "scaled_crps (y_hat_q must hold n * Q values)",
            left: y.len() * nq,
            right: y_hat_q.len(),
        });
    }
    for &q in quantiles {
        check_q("scaled_crps", q)?;
    }
    let mut total = 0.0f64;
    let mut norm = 0.0f64;
    for (t, &yt) in y.iter().enumerate() {
        let row = &y_hat_q[t * nq..(t + 1) * nq];
        let mut s = 0.0f64;
        for (&p, &q) in row.iter().zip(quantiles) {
            let e = yt as f64 - p as f64;
            let q = q as f64;
            s += (q * e).max((q - 1.0) * e);
        }
        total += s / nq as f64;
        norm += (yt as f64).abs();
    }
    Ok(2.0 * total / (norm + f64::EPSILON))
}

/// Interval coverage: the fraction of points `t` with `lo[t] <= y[t] <= hi[t]`, in `[0, 1]`.
pub fn coverage(y: &[f32], lo: &[f32], hi: &[f32]) -> Result<f64, DataError> {
    check("coverage", y, lo)?;
    check("coverage", y, hi)?;
    let inside = y
        .iter()
        .zip(lo.iter().zip(hi))
        .filter(|(y, (lo, hi))| *lo <= *y && *y <= *hi)
        .count();
    Ok(inside as f64 / y.len() as f64)
}

/// Mean interval width: `mean (hi - lo)`.
pub fn mean_width(lo: &[f32], hi: &[f32]) -> Result<f64, DataError> {
    check("mean_width", hi, lo)?;
    Ok(mean_of(hi, lo, |a, b| a - b))
}

/// A metric by name, for evaluating forecast frames (utilsforecast's `mae`, `mse`, `rmse`,
/// `mape`, `smape`, `mase`; MAPE and sMAPE in percent, as the functions above).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// [`mae`].
    Mae,
    /// [`mse`].
    Mse,
    /// [`rmse`].
    Rmse,
    /// [`mape`], percent.
    Mape,
    /// [`smape`], percent in `[0, 200]`.
    Smape,
    /// [`mase`]: needs the training series and the season.
    Mase,
}

impl Metric {
    /// Every metric, in the order above.
    pub const ALL: [Metric; 6] = [
        Metric::Mae,
        Metric::Mse,
        Metric::Rmse,
        Metric::Mape,
        Metric::Smape,
        Metric::Mase,
    ];

    /// The metrics `evaluate` reports unless told otherwise: MAE, RMSE, sMAPE, MASE.
    pub const DEFAULT: [Metric; 4] = [Metric::Mae, Metric::Rmse, Metric::Smape, Metric::Mase];

    /// The lower-case name (`mae`, ..., `mase`).
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Mae => "mae",
            Metric::Mse => "mse",
            Metric::Rmse => "rmse",
            Metric::Mape => "mape",
            Metric::Smape => "smape",
            Metric::Mase => "mase",
        }
    }

    /// The metric of `y_hat` against `y`; MASE takes `train = Some((y_train, season))` and
    /// fails without it.
    pub fn compute(
        &self,
        y: &[f32],
        y_hat: &[f32],
        train: Option<(&[f32], usize)>,
    ) -> Result<f64, DataError> {
        match self {
            Metric::Mae => mae(y, y_hat),
            Metric::Mse => mse(y, y_hat),
            Metric::Rmse => rmse(y, y_hat),
            Metric::Mape => mape(y, y_hat),
            Metric::Smape => smape(y, y_hat),
            Metric::Mase => match train {
                Some((y_train, season)) => mase(y, y_hat, y_train, season),
                None => Err(DataError::InvalidArgument(
                    "mase needs the training series".into(),
                )),
            },
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Metric {
    type Err = DataError;

    /// A name of [`Metric::name`], in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                DataError::InvalidArgument(format!(
                    "unknown metric `{s}`; expected one of mae, mse, rmse, mape, smape, mase"
                ))
            })
    }
}
