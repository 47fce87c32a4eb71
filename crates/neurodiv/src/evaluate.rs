//! Metrics per series and per model over a forecast or cross-validation frame, as
//! utilsforecast's `evaluate`.

use crate::{ForecastFrame, NfError};
use neurodiv_data::metrics::Metric;
use neurodiv_data::{Ds, PanelFrame};
use std::collections::HashMap;
use std::fmt::Write;

/// The metrics of every model: one row per (series, metric), or per metric once averaged over
/// series ([`Evaluation::mean`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The model columns evaluated, in frame order.
    pub models: Vec<String>,
    /// The rows, series by series (in frame order), metrics in the order asked.
    pub rows: Vec<EvalRow>,
}

/// One row of an [`Evaluation`].
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    /// The series; `None` in an averaged evaluation.
    pub unique_id: Option<String>,
    /// The metric.
    pub metric: Metric,
    /// One value per model (NaN when the series has no observed actual).
    pub values: Vec<f64>,
}

impl Evaluation {
    /// The value of `metric` for `model` on series `id`.
    pub fn get(&self, id: Option<&str>, metric: Metric, model: &str) -> Option<f64> {
        let j = self.models.iter().position(|m| m == model)?;
        self.rows
            .iter()
            .find(|r| r.unique_id.as_deref() == id && r.metric == metric)
            .map(|r| r.values[j])
    }

    /// The mean over series of every metric and model (utilsforecast's `agg_fn="mean"`),
    /// skipping NaN values.
    pub fn mean(&self) -> Evaluation {
        let mut metrics: Vec<Metric> = Vec::new();
        for r in &self.rows {
            if !metrics.contains(&r.metric) {
                metrics.push(r.metric);
            }
        }
        let rows = metrics
            .into_iter()
            .map(|metric| {
                let values = (0..self.models.len())
                    .map(|j| {
                        let v: Vec<f64> = self
                            .rows
                            .iter()
                            .filter(|r| r.metric == metric && !r.values[j].is_nan())
                            .map(|r| r.values[j])
                            .collect();
                        if v.is_empty() {
                            f64::NAN
                        } else {
                            v.iter().sum::<f64>() / v.len() as f64
                        }
                    })
                    .collect();
                EvalRow {
                    unique_id: None,
                    metric,
                    values,
                }
            })
            .collect();
        Evaluation {
            models: self.models.clone(),
            rows,
        }
    }

    /// As CSV: `unique_id, metric, MODEL...` (no `unique_id` once averaged); NaN is empty.
    pub fn to_csv_string(&self) -> String {
        let per_series = self.rows.iter().any(|r| r.unique_id.is_some());
        let mut out = String::new();
        let mut header: Vec<&str> = Vec::new();
        if per_series {
            header.push("unique_id");
        }
        header.push("metric");
        header.extend(self.models.iter().map(String::as_str));
        out.push_str(
            &header
                .iter()
                .map(|h| quote(h))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
        for r in &self.rows {
            if let Some(id) = &r.unique_id {
                let _ = write!(out, "{},", quote(id));
            }
            out.push_str(r.metric.name());
            for v in &r.values {
                out.push(',');
                if !v.is_nan() {
                    let _ = write!(out, "{v}");
                }
            }
            out.push('\n');
        }
        out
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `true` for a column of a prediction interval (`MODEL-lo-80`, `MODEL-hi-90`), which the point
/// metrics do not score.
fn is_interval_column(name: &str) -> bool {
    name.contains("-lo-") || name.contains("-hi-")
}

/// Scores every point-forecast column of `fc` (interval columns `-lo-`/`-hi-` are left out) per
/// series with `metrics`, as utilsforecast's `evaluate`.
///
/// The actuals are `fc`'s `y` column (cross-validation and in-sample frames), else the rows of
/// `data` at the same (`unique_id`, `ds`). MASE scales each window's MAE by the in-sample
/// seasonal naive MAE of the series in `data` up to the window (up to its `cutoff`, or before its
/// first timestamp), so `data` may be the whole history including the forecast period; a
/// series' MASE is the mean over its windows. `season_length` defaults to the frequency's
/// ([`neurodiv_data::Freq::seasonality`]). Rows whose actual is missing (NaN) are skipped.
pub fn evaluate(
    fc: &ForecastFrame,
    data: Option<&PanelFrame>,
    metrics: &[Metric],
    season_length: Option<usize>,
) -> Result<Evaluation, NfError> {
    if metrics.is_empty() {
        return Err(NfError::Usage("evaluate needs at least one metric".into()));
    }
    let needs_data = metrics.contains(&Metric::Mase) || fc.y.is_none();
    let data = match data {
        Some(d) => Some(d),
        None if needs_data => {
            return Err(NfError::Usage(
                "evaluate needs the data: the frame has no y column, or MASE needs the history"
                    .into(),
            ));
        }
        None => None,
    };
    // Position of every (series, ds) of the data.
    let lookup: HashMap<(&str, Ds), (usize, usize)> = data
        .map(|d| {
            d.iter_series()
                .flat_map(|s| {
                    let i = s.index();
                    s.ds.iter()
                        .enumerate()
                        .map(move |(k, ds)| ((s.id, *ds), (i, k)))
                })
                .collect()
        })
        .unwrap_or_default();
    let y: Vec<f32> = match (&fc.y, data) {
        (Some(y), _) => y.clone(),
        (None, Some(d)) => (0..fc.len())
            .map(|r| {
                let (i, k) = lookup
                    .get(&(fc.unique_id[r].as_str(), fc.ds[r]))
                    .ok_or_else(|| {
                        NfError::Usage(format!(
                            "the data have no actual for series {:?} at {}",
                            fc.unique_id[r], fc.ds[r]
                        ))
                    })?;
                Ok(d.series(*i).y[*k])
            })
            .collect::<Result<_, NfError>>()?,
        (None, None) => unreachable!("checked above"),
    };
    let season = match (season_length, data) {
        (Some(0), _) => return Err(NfError::Usage("season_length must be >= 1".into())),
        (Some(m), _) => m,
        (None, Some(d)) => d.freq().seasonality(),
        (None, None) => 1,
    };
    let models: Vec<usize> = (0..fc.columns.len())
        .filter(|&j| !is_interval_column(&fc.columns[j].0))
        .collect();
    if models.is_empty() {
        return Err(NfError::Usage(
            "the frame has no forecast column to evaluate".into(),
        ));
    }
    // Rows of each series, in order of first appearance, split into windows by cutoff.
    let mut order: Vec<&str> = Vec::new();
    let mut windows: HashMap<&str, Vec<Vec<usize>>> = HashMap::new();
    for r in 0..fc.len() {
        let id = fc.unique_id[r].as_str();
        let w = windows.entry(id).or_insert_with(|| {
            order.push(id);
            Vec::new()
        });
        let cutoff = fc.cutoff.as_ref().map(|c| c[r]);
        match w.last_mut() {
            Some(last) if fc.cutoff.as_ref().map(|c| c[last[0]]) == cutoff => last.push(r),
            _ => w.push(vec![r]),
        }
    }
    let mut rows = Vec::new();
    for id in order {
        let wins = &windows[id];
        let observed: Vec<usize> = wins
            .iter()
            .flatten()
            .copied()
            .filter(|&r| !y[r].is_nan())
            .collect();
        let y_obs: Vec<f32> = observed.iter().map(|&r| y[r]).collect();
        for &metric in metrics {
            let mut values = Vec::with_capacity(models.len());
            for &j in &models {
                let col = &fc.columns[j].1;
                let value = if metric == Metric::Mase {
                    let d = data.expect("MASE needs data, checked above");
                    mase_over_windows(fc, d, &lookup, id, wins, &y, col, season)?
                } else if observed.is_empty() {
                    f64::NAN
                } else {
                    let hat: Vec<f32> = observed.iter().map(|&r| col[r]).collect();
                    metric.compute(&y_obs, &hat, None)?
                };
                values.push(value);
            }
            rows.push(EvalRow {
                unique_id: Some(id.to_string()),
                metric,
                values,
            });
        }
    }
    Ok(Evaluation {
        models: models.iter().map(|&j| fc.columns[j].0.clone()).collect(),
        rows,
    })
}

/// The mean over a series' windows of each window's MASE against the series' history up to it.
#[allow(clippy::too_many_arguments)]
fn mase_over_windows(
    fc: &ForecastFrame,
    data: &PanelFrame,
    lookup: &HashMap<(&str, Ds), (usize, usize)>,
    id: &str,
    windows: &[Vec<usize>],
    y: &[f32],
    col: &[f32],
    season: usize,
) -> Result<f64, NfError> {
    let i = data
        .series_index(id)
        .ok_or_else(|| NfError::Usage(format!("MASE: the data have no series {id:?}")))?;
    let series = data.series(i);
    let mut total = 0.0;
    let mut n = 0;
    for w in windows {
        let rows: Vec<usize> = w.iter().copied().filter(|&r| !y[r].is_nan()).collect();
        if rows.is_empty() {
            continue;
        }
        // The history: points up to the cutoff, or before the window's first timestamp.
        let end = match &fc.cutoff {
            Some(c) => series.ds.partition_point(|d| *d <= c[w[0]]),
            None => lookup.get(&(id, fc.ds[w[0]])).map_or_else(
                || series.ds.partition_point(|d| *d < fc.ds[w[0]]),
                |&(_, k)| k,
            ),
        };
        let y_w: Vec<f32> = rows.iter().map(|&r| y[r]).collect();
        let hat: Vec<f32> = rows.iter().map(|&r| col[r]).collect();
        total += Metric::Mase
            .compute(&y_w, &hat, Some((&series.y[..end], season)))
            .map_err(|e| NfError::Usage(format!("MASE of series {id:?}: {e}")))?;
        n += 1;
    }
    Ok(if n == 0 { f64::NAN } else { total / n as f64 })
}
