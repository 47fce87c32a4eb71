//! The native part of the `neurodiv` Python package (`neurodiv._neurodiv`).
//!
//! It holds no forecasting logic of its own: models are built by the facade's registry from a
//! name and options, data become a validated `PanelFrame`, and fit, predict, cross-validation,
//! save and load are the facade's `NeuralForecast`. What this crate adds is the boundary:
//! contiguous numpy columns in and out (one copy, no Python object per row), the GIL released
//! while the library works, and the library's errors as Python exceptions with its messages.
//! The pandas and polars frames are taken apart and put together by the Python side
//! (`python/neurodiv/_frames.py`).

use chrono::{DateTime, NaiveDateTime};
use neurodiv::core::CoreError;
use neurodiv::data::{DataError, Ds, Freq, PanelFrame, StaticFrame};
use neurodiv::optim::Loss;
use neurodiv::{ForecastFrame, Intervals, NeuralForecast, NfError, PredictionIntervals, registry};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::HashMap;
use std::path::PathBuf;

/// The Python exception of a library error, with the library's message: `OSError` for files,
/// `RuntimeError` for a training that diverged, `ValueError` for everything the caller's input
/// decides (data, options, state).
fn py_err(e: NfError) -> PyErr {
    match e {
        NfError::Io { .. } | NfError::Core(CoreError::Io { .. }) => {
            PyOSError::new_err(e.to_string())
        }
        NfError::Core(CoreError::Diverged { .. }) => PyRuntimeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

fn data_err(e: DataError) -> PyErr {
    py_err(e.into())
}

fn value_err(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}

fn parse_freq(freq: &str) -> PyResult<Freq> {
    freq.parse::<Freq>()
        .map_err(|e| value_err(format!("freq {freq:?}: {e}")))
}

/// Nanoseconds, microseconds, ... per unit of a numpy `datetime64` unit code.
fn unit_nanos(unit: &str) -> PyResult<i64> {
    Ok(match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "D" => 86_400_000_000_000,
        _ => {
            return Err(value_err(format!(
                "timestamps of unit {unit:?} are not supported; use datetime64 in D, h, m, s, ms, us or ns"
            )));
        }
    })
}

/// The timestamps of a column: integers (`unit` None) or numpy `datetime64[unit]` values as
/// their int64 counts (NaT, the smallest int64, is an error naming the row).
fn timestamps(values: &[i64], unit: Option<&str>, column: &str) -> PyResult<Vec<Ds>> {
    let Some(unit) = unit else {
        return Ok(values.iter().map(|&v| Ds::Int(v)).collect());
    };
    let per = unit_nanos(unit)?;
    values
        .iter()
        .enumerate()
        .map(|(row, &v)| {
            let date = (v != i64::MIN)
                .then(|| {
                    let secs = (v as i128 * per as i128).div_euclid(1_000_000_000);
                    let nanos = (v as i128 * per as i128).rem_euclid(1_000_000_000);
                    DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos as u32)
                })
                .flatten();
            date.map(|d| Ds::Date(d.naive_utc())).ok_or_else(|| {
                value_err(format!(
                    "column `{column}` has a missing or out-of-range timestamp at row {row}"
                ))
            })
        })
        .collect()
}

/// Timestamps as int64 counts of the datetime64 `unit` (integers as they are), for a numpy
/// column.
fn timestamp_counts(ds: &[Ds], unit: &str) -> PyResult<Vec<i64>> {
    let per = unit_nanos(unit)?;
    ds.iter()
        .map(|d| match d {
            Ds::Int(i) => Ok(*i),
            Ds::Date(d) => nanos(d)
                .map(|n| n.div_euclid(per as i128))
                .and_then(|c| i64::try_from(c).ok())
                .ok_or_else(|| value_err(format!("timestamp {d} does not fit datetime64"))),
        })
        .collect()
}

fn nanos(d: &NaiveDateTime) -> Option<i128> {
    let utc = d.and_utc();
    Some(utc.timestamp() as i128 * 1_000_000_000 + utc.timestamp_subsec_nanos() as i128)
}

/// A validated panel (or future frame) built from numpy columns; opaque to Python.
#[pyclass(frozen, module = "neurodiv._neurodiv")]
struct Panel {
    frame: PanelFrame,
}

/// Builds a [`Panel`]: `ids` holds each series' id once and `codes` the series of each row (an
/// index into `ids`); `ds` the timestamps as int64 (with `ds_unit` the numpy datetime64 unit, or
/// None for integers); `y` the target (None for a future frame); `exog` the other columns;
/// `statics` the static features as (names, ids, values `[n_ids, n_names]`).
#[pyfunction]
#[pyo3(signature = (ids, codes, ds, ds_unit, y, exog_names, exog, freq, time_col, statics=None))]
#[allow(clippy::too_many_arguments)]
fn make_panel(
    py: Python<'_>,
    ids: Vec<String>,
    codes: PyReadonlyArray1<'_, i64>,
    ds: PyReadonlyArray1<'_, i64>,
    ds_unit: Option<String>,
    y: Option<PyReadonlyArray1<'_, f32>>,
    exog_names: Vec<String>,
    exog: Vec<PyReadonlyArray1<'_, f32>>,
    freq: &str,
    time_col: &str,
    statics: Option<(Vec<String>, Vec<String>, PyReadonlyArray2<'_, f32>)>,
) -> PyResult<Panel> {
    let freq = parse_freq(freq)?;
    let contiguous = |e: numpy::NotContiguousError| value_err(e.to_string());
    let codes = codes.as_slice().map_err(contiguous)?;
    let ds = ds.as_slice().map_err(contiguous)?;
    let y = y
        .as_ref()
        .map(|y| y.as_slice())
        .transpose()
        .map_err(contiguous)?;
    let exog: Vec<&[f32]> = exog
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()
        .map_err(contiguous)?;
    let statics = statics
        .as_ref()
        .map(|(names, ids, values)| {
            let values = values.as_slice().map_err(contiguous)?;
            Ok::<_, PyErr>((names, ids, values))
        })
        .transpose()?;
    if exog.len() != exog_names.len() {
        return Err(value_err("one name per exogenous column is needed"));
    }
    py.detach(|| {
        let ds = timestamps(ds, ds_unit.as_deref(), time_col)?;
        let rows = codes
            .iter()
            .map(|&c| {
                usize::try_from(c)
                    .ok()
                    .and_then(|c| ids.get(c))
                    .cloned()
                    .ok_or_else(|| value_err(format!("series code {c} names no id")))
            })
            .collect::<PyResult<Vec<String>>>()?;
        let exog: Vec<(String, Vec<f32>)> = exog_names
            .into_iter()
            .zip(exog)
            .map(|(n, c)| (n, c.to_vec()))
            .collect();
        let mut frame = match y {
            Some(y) => PanelFrame::from_columns(rows, ds, y.to_vec(), exog, Some(freq)),
            None => PanelFrame::future_from_columns(rows, ds, exog, Some(freq)),
        }
        .map_err(data_err)?;
        if let Some((names, ids, values)) = statics {
            let k = names.len();
            let rows = ids
                .iter()
                .enumerate()
                .map(|(r, id)| (id.clone(), values[r * k..(r + 1) * k].to_vec()))
                .collect();
            let statics = StaticFrame::from_rows(names.clone(), rows).map_err(data_err)?;
            frame = frame.with_static(statics).map_err(data_err)?;
        }
        Ok(Panel { frame })
    })
}

/// Fails with the library's missing-column error when a name of `required` is not among
/// `available` (the frame's columns).
#[pyfunction]
fn require_columns(required: Vec<String>, available: Vec<String>) -> PyResult<()> {
    match required.into_iter().find(|c| !available.contains(c)) {
        Some(column) => Err(data_err(DataError::MissingColumn { column, available })),
        None => Ok(()),
    }
}

/// The names of every model the registry holds, as NeuralForecast spells them.
#[pyfunction]
fn model_names() -> Vec<&'static str> {
    registry::model_names()
}

/// A model's default options for `h` and `input_size`, as JSON.
#[pyfunction]
fn default_config(name: &str, h: usize, input_size: usize) -> PyResult<String> {
    Ok(registry::default_config(name, h, input_size)
        .map_err(py_err)?
        .to_string())
}

/// The full config (JSON) of model `name` with `options` (key, value as JSON or a loss's
/// NeuralForecast spelling) over its defaults for `h` and `input_size`: checked as the command
/// line checks `--set` (unknown keys, value shapes) and by building the model once.
#[pyfunction]
fn model_config(
    py: Python<'_>,
    name: &str,
    h: usize,
    input_size: usize,
    options: Vec<(String, String)>,
) -> PyResult<String> {
    py.detach(|| {
        let config = registry::config(name, h, input_size, &options)?;
        registry::check_option_shapes(name, h, input_size, &options, &config)?;
        registry::build_config(name, &config)?;
        Ok(config.to_string())
    })
    .map_err(py_err)
}

/// A loss in NeuralForecast's spelling (`MQLoss(level=[80, 90])`), checked and written back in
/// its canonical form.
#[pyfunction]
fn loss_text(text: &str) -> PyResult<String> {
    text.parse::<Loss>()
        .map(|l| l.to_string())
        .map_err(|e| value_err(e.to_string()))
}

/// The CSV text of AirPassengers (`unique_id, ds, y`), embedded in the library.
#[pyfunction]
fn air_passengers_csv() -> &'static str {
    neurodiv::datasets::AIR_PASSENGERS_CSV
}

/// The facade's `NeuralForecast`, its models built by the registry.
#[pyclass(module = "neurodiv._neurodiv")]
struct Forecaster {
    nf: NeuralForecast,
}

#[pymethods]
impl Forecaster {
    /// `models` as (name, config JSON) pairs; `freq` a pandas alias or an integer step.
    #[new]
    fn new(py: Python<'_>, models: Vec<(String, String)>, freq: &str) -> PyResult<Self> {
        let freq = parse_freq(freq)?;
        if models.is_empty() {
            return Err(value_err("NeuralForecast needs at least one model"));
        }
        let built = py
            .detach(|| {
                models
                    .iter()
                    .map(|(name, json)| registry::from_config_json(name, json))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(py_err)?;
        let aliases: Vec<String> = built.iter().map(|m| m.alias()).collect();
        if let Some(dup) = aliases
            .iter()
            .enumerate()
            .find_map(|(i, a)| aliases[..i].contains(a).then_some(a))
        {
            return Err(value_err(format!(
                "two models are called {dup}: give each its own alias (alias=\"...\")"
            )));
        }
        Ok(Forecaster {
            nf: NeuralForecast::new(built, freq),
        })
    }

    /// The frequency, as pandas spells it.
    #[getter]
    fn freq(&self) -> String {
        self.nf.freq().to_string()
    }

    /// Whether fit (or cross-validation) has run.
    #[getter]
    fn is_fitted(&self) -> bool {
        self.nf.is_fitted()
    }

    /// Each model as (name, config JSON).
    fn models(&self) -> Vec<(String, String)> {
        self.nf
            .models()
            .iter()
            .map(|m| (m.name().to_string(), m.config_json()))
            .collect()
    }

    /// `intervals` is `(n_windows, method, step_size)` of NeuralForecast's
    /// `PredictionIntervals`: conformal calibration before the fit.
    #[pyo3(signature = (df, val_size, intervals=None))]
    fn fit(
        &mut self,
        py: Python<'_>,
        df: &Panel,
        val_size: usize,
        intervals: Option<(usize, String, usize)>,
    ) -> PyResult<()> {
        let intervals = intervals
            .map(|(n, method, step)| {
                PredictionIntervals::new(n, method.parse().map_err(py_err)?, step).map_err(py_err)
            })
            .transpose()?;
        let nf = &mut self.nf;
        py.detach(|| match intervals {
            Some(pi) => nf
                .fit_with_intervals(&df.frame, val_size, pi, &mut |_, _| {})
                .map(|_| ()),
            None => nf.fit(&df.frame, val_size).map(|_| ()),
        })
        .map_err(py_err)
    }

    /// Forecasts after the training data, or after `df` when given; `ds_unit` is the datetime64
    /// unit of the returned timestamps when they are dates.
    /// `level` or `quantiles` (not both) add interval columns.
    #[pyo3(signature = (df, futr_df, ds_unit, level=None, quantiles=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        df: Option<&Panel>,
        futr_df: Option<&Panel>,
        ds_unit: &str,
        level: Option<Vec<f32>>,
        quantiles: Option<Vec<f32>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let intervals = match (level, quantiles) {
            (Some(_), Some(_)) => {
                return Err(value_err("You can't set both level and quantiles."));
            }
            (Some(l), None) => Some(Intervals::Level(l)),
            (None, Some(q)) => Some(Intervals::Quantiles(q)),
            (None, None) => None,
        };
        let nf = &self.nf;
        let futr = futr_df.map(|f| &f.frame);
        let frame = py
            .detach(|| nf.predict_with(df.map(|d| &d.frame), futr, intervals.as_ref()))
            .map_err(py_err)?;
        to_columns(py, frame, ds_unit)
    }

    #[pyo3(signature = (df, n_windows, step_size, val_size, refit, ds_unit))]
    #[allow(clippy::too_many_arguments)]
    fn cross_validation<'py>(
        &mut self,
        py: Python<'py>,
        df: &Panel,
        n_windows: usize,
        step_size: usize,
        val_size: usize,
        refit: bool,
        ds_unit: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let nf = &mut self.nf;
        let frame = py
            .detach(|| nf.cross_validation(&df.frame, n_windows, step_size, val_size, refit))
            .map_err(py_err)?;
        to_columns(py, frame, ds_unit)
    }

    #[pyo3(signature = (step_size, ds_unit))]
    fn predict_insample<'py>(
        &self,
        py: Python<'py>,
        step_size: usize,
        ds_unit: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let nf = &self.nf;
        let frame = py
            .detach(|| nf.predict_insample(step_size))
            .map_err(py_err)?;
        to_columns(py, frame, ds_unit)
    }

    fn save(&self, py: Python<'_>, path: PathBuf, overwrite: bool) -> PyResult<()> {
        let nf = &self.nf;
        py.detach(|| {
            if overwrite {
                nf.save_overwriting(&path)
            } else {
                nf.save(&path)
            }
        })
        .map_err(py_err)
    }

    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let nf = py.detach(|| NeuralForecast::load(&path)).map_err(py_err)?;
        Ok(Forecaster { nf })
    }
}

/// A forecast frame as numpy columns: `ids` (each series once, in order), `codes` (the series of
/// each row), `ds` (and `cutoff`) as int64 counts of the datetime64 `ds_unit` or as integers
/// (`ds_is_int`), `y` when the frame has it, and `columns` as (name, float32 array) pairs.
fn to_columns<'py>(
    py: Python<'py>,
    frame: ForecastFrame,
    ds_unit: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let ForecastFrame {
        unique_id,
        ds,
        cutoff,
        y,
        columns,
    } = frame;
    let frame_is_int = ds.first().is_some_and(Ds::is_int);
    let (ids, codes, ds, cutoff) = py.detach(|| {
        let mut ids: Vec<String> = Vec::new();
        let mut index: HashMap<&str, i64> = HashMap::new();
        let codes: Vec<i64> = unique_id
            .iter()
            .map(|id| {
                *index.entry(id.as_str()).or_insert_with(|| {
                    ids.push(id.clone());
                    ids.len() as i64 - 1
                })
            })
            .collect();
        let ds = timestamp_counts(&ds, ds_unit)?;
        let cutoff = cutoff.map(|c| timestamp_counts(&c, ds_unit)).transpose()?;
        Ok::<_, PyErr>((ids, codes, ds, cutoff))
    })?;
    let out = PyDict::new(py);
    out.set_item("ds_is_int", frame_is_int)?;
    out.set_item("ids", ids)?;
    out.set_item("codes", codes.into_pyarray(py))?;
    out.set_item("ds", ds.into_pyarray(py))?;
    out.set_item("cutoff", cutoff.map(|c| c.into_pyarray(py)))?;
    out.set_item("y", y.map(|y| y.into_pyarray(py)))?;
    let columns: Vec<(String, Bound<'py, numpy::PyArray1<f32>>)> = columns
        .into_iter()
        .map(|(name, values)| (name, values.into_pyarray(py)))
        .collect();
    out.set_item("columns", columns)?;
    Ok(out)
}

#[pymodule]
fn _neurodiv(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Panel>()?;
    m.add_class::<Forecaster>()?;
    m.add_function(wrap_pyfunction!(make_panel, m)?)?;
    m.add_function(wrap_pyfunction!(require_columns, m)?)?;
    m.add_function(wrap_pyfunction!(model_names, m)?)?;
    m.add_function(wrap_pyfunction!(default_config, m)?)?;
    m.add_function(wrap_pyfunction!(model_config, m)?)?;
    m.add_function(wrap_pyfunction!(loss_text, m)?)?;
    m.add_function(wrap_pyfunction!(air_passengers_csv, m)?)?;
    Ok(())
}
