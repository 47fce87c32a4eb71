//! Prediction intervals at predict time (NeuralForecast's `predict(level=..., quantiles=...)`):
//! conformal intervals for point-loss models, calibrated in `fit` on rolling windows
//! ([`PredictionIntervals`]), and other quantiles drawn from a distribution loss.
//!
//! Conformal calibration (Stankeviciute et al. 2021, as NeuralForecast does it): `fit` first runs
//! a cross-validation of `n_windows` windows `step_size` apart at the end of every series, keeps
//! the absolute errors `|y - ŷ|` of each model's point forecast (per series, window and horizon
//! step), and only then fits the models on the whole data. At predict time, for each series and
//! step:
//! - `conformal_distribution`: the quantiles (linear interpolation) of the `2 · n_windows`
//!   values `ŷ ± score`;
//! - `conformal_error`: `ŷ - Q₁₋q(scores)` below the median and `ŷ + Q_q(scores)` above it, `Q`
//!   the quantiles of the `n_windows` scores (for a level `l` the bounds use the quantile
//!   `0.5 + l/200` of the scores, as NeuralForecast does, which is wider than `l/100`).

use crate::{ForecastFrame, NfError};
use neurodiv_core::NeuralModel;
use neurodiv_optim::{quantile_name, sorted_quantile};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How conformal intervals are built from the calibration errors (NeuralForecast's
/// `PredictionIntervals.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ConformalMethod {
    /// `"conformal_distribution"` (the default): quantiles of the forecast shifted by each
    /// calibration error, up and down.
    #[default]
    ConformalDistribution,
    /// `"conformal_error"`: the forecast plus or minus a quantile of the calibration errors.
    ConformalError,
}

impl std::str::FromStr for ConformalMethod {
    type Err = NfError;
    fn from_str(s: &str) -> Result<Self, NfError> {
        match s.trim() {
            "conformal_distribution" => Ok(ConformalMethod::ConformalDistribution),
            "conformal_error" => Ok(ConformalMethod::ConformalError),
            other => Err(NfError::BadOption(format!(
                "unknown conformal method {other:?}; expected conformal_distribution or conformal_error"
            ))),
        }
    }
}

impl std::fmt::Display for ConformalMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConformalMethod::ConformalDistribution => "conformal_distribution",
            ConformalMethod::ConformalError => "conformal_error",
        })
    }
}

/// Settings of conformal calibration (NeuralForecast's `PredictionIntervals`), given to
/// [`NeuralForecast::fit_with_intervals`](crate::NeuralForecast::fit_with_intervals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredictionIntervals {
    /// Calibration windows, at least 2 (default 2).
    pub n_windows: usize,
    /// How the intervals are built (default `conformal_distribution`).
    pub method: ConformalMethod,
    /// Points between the calibration windows' cutoffs, at least 1 (default 1).
    pub step_size: usize,
}

impl Default for PredictionIntervals {
    fn default() -> Self {
        PredictionIntervals {
            n_windows: 2,
            method: ConformalMethod::default(),
            step_size: 1,
        }
    }
}

impl PredictionIntervals {
    /// Checked settings: `n_windows >= 2`, `step_size >= 1`.
    pub fn new(
        n_windows: usize,
        method: ConformalMethod,
        step_size: usize,
    ) -> Result<Self, NfError> {
        let pi = PredictionIntervals {
            n_windows,
            method,
            step_size,
        };
        pi.validate()?;
        Ok(pi)
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), NfError> {
        if self.n_windows < 2 {
            return Err(NfError::Usage(format!(
                "conformal intervals need at least 2 calibration windows, got n_windows = {}",
                self.n_windows
            )));
        }
        if self.step_size < 1 {
            return Err(NfError::Usage(
                "conformal intervals need step_size >= 1, got 0".into(),
            ));
        }
        Ok(())
    }

    /// Points every series needs (NeuralForecast's check): the calibration windows, one point
    /// to train on, and the validation points.
    pub fn min_points(&self, h: usize, val_size: usize) -> usize {
        h + self.step_size * (self.n_windows - 1) + 1 + val_size
    }
}

/// Which intervals `predict` adds: confidence levels in `(0, 100)` or quantiles in `(0, 1)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Intervals {
    /// Levels, e.g. `[80, 90]`: columns `-lo-90, -lo-80, -hi-80, -hi-90`.
    Level(Vec<f32>),
    /// Quantiles, e.g. `[0.1, 0.5, 0.9]`: columns named after each quantile.
    Quantiles(Vec<f32>),
}

/// The quantiles of [`Intervals`], ascending and distinct, and whether they came from levels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cuts {
    pub quantiles: Vec<f32>,
    pub from_levels: bool,
}

impl Intervals {
    /// Checks the levels or quantiles (before any training, so a typo costs no fit).
    pub fn check(&self) -> Result<(), NfError> {
        self.cuts().map(|_| ())
    }

    /// Checks the values and turns them into ascending distinct quantiles (levels `l` give
    /// `0.5 ± l/200`, without the median).
    pub(crate) fn cuts(&self) -> Result<Cuts, NfError> {
        let (mut quantiles, from_levels) = match self {
            Intervals::Level(levels) => {
                if levels.is_empty() {
                    return Err(NfError::Usage("no level given".into()));
                }
                let mut q = Vec::with_capacity(2 * levels.len());
                for &l in levels {
                    if !(l > 0.0 && l < 100.0) {
                        return Err(NfError::Usage(format!(
                            "level {l} is not between 0 and 100 (exclusive)"
                        )));
                    }
                    let half = l as f64 / 200.0;
                    q.push((0.5 - half) as f32);
                    q.push((0.5 + half) as f32);
                }
                (q, true)
            }
            Intervals::Quantiles(qs) => {
                if qs.is_empty() {
                    return Err(NfError::Usage("no quantile given".into()));
                }
                if let Some(q) = qs.iter().find(|q| !(**q > 0.0 && **q < 1.0)) {
                    return Err(NfError::Usage(format!(
                        "quantile {q} is not between 0 and 1 (exclusive)"
                    )));
                }
                (qs.clone(), false)
            }
        };
        quantiles.sort_by(f32::total_cmp);
        quantiles.dedup();
        Ok(Cuts {
            quantiles,
            from_levels,
        })
    }
}

impl Cuts {
    /// The column suffix of quantile `q`: `-lo-80`/`-median`/`-hi-80` for levels; for
    /// quantiles NeuralForecast's spelling, `_ql0.1` for a distribution and `-ql0.1` for
    /// conformal intervals.
    pub fn suffix(&self, q: f32, conformal: bool) -> String {
        match (self.from_levels, conformal) {
            (true, _) => quantile_name(q),
            (false, false) => format!("_ql{q}"),
            (false, true) => format!("-ql{q}"),
        }
    }
}

/// The calibration errors of every point-loss model, per series: what `fit` with
/// [`PredictionIntervals`] stores, and saves with the models.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ConformalScores {
    pub settings: PredictionIntervals,
    pub h: usize,
    /// Per model alias, per series id: `[n_windows, h]` absolute errors, row-major.
    pub models: Vec<(String, Vec<SeriesScores>)>,
}

/// A series id and its `[n_windows, h]` calibration errors.
type SeriesScores = (String, Vec<f32>);

impl ConformalScores {
    /// The scores of a cross-validation frame (rows `[series][window][h]`, as
    /// `cross_validation` writes them) for the models with a point head.
    pub fn from_cv(
        cv: &ForecastFrame,
        models: &[Box<dyn NeuralModel>],
        settings: PredictionIntervals,
        h: usize,
    ) -> Result<Self, NfError> {
        let y = cv.y.as_deref().expect("cross_validation writes y");
        let per_series = settings.n_windows * h;
        let mut out = Vec::new();
        for m in models.iter().filter(|m| is_point_head(m.as_ref())) {
            let col = cv.point_column(m.as_ref());
            let y_hat = cv
                .column(&col)
                .ok_or_else(|| NfError::Usage(format!("no cross-validation column {col}")))?;
            let series = (0..y.len() / per_series)
                .map(|s| {
                    let r = s * per_series..(s + 1) * per_series;
                    let scores = y[r.clone()]
                        .iter()
                        .zip(&y_hat[r.clone()])
                        .map(|(a, b)| (a - b).abs())
                        .collect();
                    (cv.unique_id[r.start].clone(), scores)
                })
                .collect();
            out.push((m.alias(), series));
        }
        Ok(ConformalScores {
            settings,
            h,
            models: out,
        })
    }

    /// Checks stored scores (an untrusted file): each series holds `n_windows · h` values.
    pub fn check(&self) -> Result<(), NfError> {
        self.settings.validate()?;
        let want = self.settings.n_windows.checked_mul(self.h);
        for (alias, series) in &self.models {
            if let Some((id, _)) = series.iter().find(|(_, v)| Some(v.len()) != want) {
                return Err(NfError::Usage(format!(
                    "stored conformal scores of {alias} for series {id:?} do not match {} windows of h = {}",
                    self.settings.n_windows, self.h
                )));
            }
        }
        Ok(())
    }

    /// The scores of model `alias` by series id, if it was calibrated.
    pub fn of_model(&self, alias: &str) -> Option<HashMap<&str, &[f32]>> {
        self.models.iter().find(|(a, _)| a == alias).map(|(_, s)| {
            s.iter()
                .map(|(id, v)| (id.as_str(), v.as_slice()))
                .collect()
        })
    }

    /// The interval columns of one series: `point` holds its `h` forecasts, `scores` its
    /// `[n_windows, h]` errors; the result is `[h, Q]` for the ascending `quantiles`.
    pub fn bounds(&self, point: &[f32], scores: &[f32], quantiles: &[f32]) -> Vec<f32> {
        let (h, n) = (self.h, self.settings.n_windows);
        let mut out = Vec::with_capacity(h * quantiles.len());
        let mut values = Vec::with_capacity(2 * n);
        for (t, &mean) in point.iter().enumerate() {
            values.clear();
            let errors = (0..n).map(|w| scores[w * h + t]);
            match self.settings.method {
                ConformalMethod::ConformalDistribution => {
                    values.extend(errors.flat_map(|e| [mean - e, mean + e]));
                    values.sort_by(f32::total_cmp);
                    out.extend(quantiles.iter().map(|&q| sorted_quantile(&values, q)));
                }
                ConformalMethod::ConformalError => {
                    values.extend(errors);
                    values.sort_by(f32::total_cmp);
                    out.extend(quantiles.iter().map(|&q| {
                        if q < 0.5 {
                            mean - sorted_quantile(&values, 1.0 - q)
                        } else if q > 0.5 {
                            mean + sorted_quantile(&values, q)
                        } else {
                            mean
                        }
                    }));
                }
            }
        }
        out
    }
}

/// Whether a model's head gives one point per step (point losses and `QuantileLoss`): the
/// models that conformal calibration serves, and that need it to predict levels or quantiles.
pub fn is_point_head(model: &dyn NeuralModel) -> bool {
    let head = model.head();
    head.outputs_per_step() == 1 && !head.samples()
}

/// The error of a point-loss model asked for intervals without conformal calibration.
pub fn uncalibrated(model: &dyn NeuralModel) -> NfError {
    NfError::Usage(format!(
        "{} is trained with {}, which gives no intervals by itself: calibrate conformal intervals in fit (fit_with_intervals, --conformal-windows) to predict levels or quantiles",
        model.alias(),
        model.base().loss.name()
    ))
}

/// Coverage and width of the interval of one level, and the scaled CRPS of all quantile
/// columns, of one model over a forecast frame with actuals (see [`interval_scores`]).
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalScores {
    /// The model's alias.
    pub model: String,
    /// Per level (ascending): `(level, coverage in percent, mean width)`.
    pub levels: Vec<(String, f64, f64)>,
    /// The scaled CRPS over the model's quantile columns (the `-lo-`/`-median`/`-hi-` ones),
    /// if it has any.
    pub scaled_crps: Option<f64>,
}

/// The interval metrics of model `alias` in `frame` against `y` (aligned with the frame's
/// rows): the coverage (percent of actuals within `[lo, hi]`) and mean width of each level
/// whose `-lo-` and `-hi-` columns are present, and the scaled CRPS over its quantile columns.
/// `None` when the model has no interval columns.
pub fn interval_scores(
    frame: &ForecastFrame,
    alias: &str,
    y: &[f32],
) -> Result<Option<IntervalScores>, NfError> {
    let prefix_lo = format!("{alias}-lo-");
    let mut levels = Vec::new();
    let mut quantiles: Vec<(f32, &[f32])> = Vec::new();
    for (name, values) in &frame.columns {
        let Some(rest) = name.strip_prefix(alias) else {
            continue;
        };
        let level_of = |s: &str| s.parse::<f32>().ok().filter(|l| *l > 0.0 && *l < 100.0);
        if let Some(l) = rest.strip_prefix("-lo-").and_then(level_of) {
            quantiles.push((0.5 - l / 200.0, values));
            if let Some(hi) = frame.column(&format!("{alias}-hi-{}", &name[prefix_lo.len()..])) {
                levels.push((l, &name[prefix_lo.len()..], values.as_slice(), hi));
            }
        } else if let Some(l) = rest.strip_prefix("-hi-").and_then(level_of) {
            quantiles.push((0.5 + l / 200.0, values));
        } else if rest == "-median" {
            quantiles.push((0.5, values));
        }
    }
    if levels.is_empty() && quantiles.is_empty() {
        return Ok(None);
    }
    levels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let levels = levels
        .into_iter()
        .map(|(_, name, lo, hi)| {
            Ok((
                name.to_string(),
                100.0 * neurodiv_data::metrics::coverage(y, lo, hi)?,
                neurodiv_data::metrics::mean_width(lo, hi)?,
            ))
        })
        .collect::<Result<Vec<_>, NfError>>()?;
    quantiles.sort_by(|a, b| a.0.total_cmp(&b.0));
    let scaled_crps = if quantiles.is_empty() {
        None
    } else {
        let qs: Vec<f32> = quantiles.iter().map(|q| q.0).collect();
        let rows: Vec<f32> = (0..y.len())
            .flat_map(|t| quantiles.iter().map(move |q| q.1[t]))
            .collect();
        Some(neurodiv_data::metrics::scaled_crps(y, &rows, &qs)?)
    };
    Ok(Some(IntervalScores {
        model: alias.to_string(),
        levels,
        scaled_crps,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_become_symmetric_quantiles_without_the_median() {
        let c = Intervals::Level(vec![90.0, 80.0, 80.0]).cuts().unwrap();
        assert_eq!(c.quantiles, vec![0.05, 0.1, 0.9, 0.95]);
        assert_eq!(c.suffix(0.05, true), "-lo-90");
        assert_eq!(c.suffix(0.9, false), "-hi-80");
        let q = Intervals::Quantiles(vec![0.9, 0.1]).cuts().unwrap();
        assert_eq!(q.quantiles, vec![0.1, 0.9]);
        assert_eq!(q.suffix(0.1, false), "_ql0.1");
        assert_eq!(q.suffix(0.1, true), "-ql0.1");
    }

    #[test]
    fn bad_levels_quantiles_and_windows_are_named() {
        for (iv, needle) in [
            (Intervals::Level(vec![100.0]), "level 100"),
            (Intervals::Level(vec![0.0]), "level 0"),
            (Intervals::Level(vec![f32::NAN]), "level NaN"),
            (Intervals::Quantiles(vec![1.5]), "quantile 1.5"),
            (Intervals::Quantiles(vec![]), "no quantile"),
        ] {
            let e = iv.cuts().unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        let e = PredictionIntervals::new(1, ConformalMethod::ConformalError, 1).unwrap_err();
        assert!(e.to_string().contains("n_windows = 1"), "{e}");
        assert!("conformal".parse::<ConformalMethod>().is_err());
    }

    fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }

    /// Hand-computed: forecasts 10 and 20, errors {1, 3} and {2, 4} over two windows.
    #[test]
    fn conformal_bounds_by_hand() {
        let scores = ConformalScores {
            settings: PredictionIntervals::default(),
            h: 2,
            models: Vec::new(),
        };
        // [n_windows, h]: window 0 errors (1, 2), window 1 errors (3, 4).
        let s = [1.0, 2.0, 3.0, 4.0];
        // Step 0: values {7, 9, 11, 13}; the 0.1 and 0.9 quantiles interpolate linearly.
        let b = scores.bounds(&[10.0, 20.0], &s, &[0.1, 0.9]);
        close(&b, &[7.6, 12.4, 16.6, 23.4]);
        let err = ConformalScores {
            settings: PredictionIntervals {
                method: ConformalMethod::ConformalError,
                ..Default::default()
            },
            ..scores
        };
        // Step 0: errors {1, 3}: Q0.9 = 2.8, so 10 -/+ 2.8.
        let b = err.bounds(&[10.0, 20.0], &s, &[0.1, 0.5, 0.9]);
        close(&b, &[7.2, 10.0, 12.8, 16.2, 20.0, 23.8]);
    }
}
