//! Prediction: forecasts for given windows in the original scale, and the validation loss.

use crate::series::{SeriesSet, WindowBatchTensors, WindowSpec, assemble, assemble_multivariate};
use crate::{CoreError, NeuralModel};
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_nn::Ctx;

/// The window whose output starts at point `cutoff` of series `series`, seeing `avail` points.
pub fn window_at(series: usize, cutoff: usize, input_size: usize, avail: usize) -> WindowSpec {
    WindowSpec {
        series,
        start: cutoff as isize - input_size as isize,
        avail,
    }
}

/// Forecasts of the windows `specs` in the original scale: `[B, h, m]` values in row-major
/// order, `m` the loss's output size multiplier. Runs without a tape, in batches of
/// `inference_windows_batch_size` windows. Inputs shorter than `input_size` are left-padded
/// (masked), as NeuralForecast does.
pub fn forecast_windows(
    model: &dyn NeuralModel,
    set: &SeriesSet,
    specs: &[WindowSpec],
) -> Result<Vec<f32>, CoreError> {
    if model.capabilities().multivariate {
        return forecast_multivariate(model, set, specs);
    }
    let base = model.base();
    let chunk = base
        .inference_windows_batch_size
        .unwrap_or(specs.len())
        .max(1);
    let mut out = Vec::with_capacity(specs.len() * base.h * base.output_multiplier());
    for part in specs.chunks(chunk) {
        let t = assemble(set, part, base);
        out.extend(run_inverted(model, &t, |k| &set.ids[part[k].series])?);
    }
    Ok(out)
}

/// Multivariate: the specs are grouped into joint windows by their `(start, avail)`; each spec
/// gets the rows of its series from its group's window.
fn forecast_multivariate(
    model: &dyn NeuralModel,
    set: &SeriesSet,
    specs: &[WindowSpec],
) -> Result<Vec<f32>, CoreError> {
    crate::train::check_multivariate(model, set)?;
    let base = model.base();
    let (h, m, n) = (base.h, base.output_multiplier(), set.len());
    let mut starts: Vec<(isize, usize)> = Vec::new();
    for s in specs {
        if !starts.contains(&(s.start, s.avail)) {
            starts.push((s.start, s.avail));
        }
    }
    let chunk = base
        .inference_windows_batch_size
        .unwrap_or(starts.len())
        .max(1);
    let mut joint = Vec::with_capacity(starts.len() * n * h * m); // [W, N, h, m]
    for part in starts.chunks(chunk) {
        let t = assemble_multivariate(set, part, base);
        joint.extend(run_inverted(model, &t, |k| &set.ids[k % n])?);
    }
    let mut out = Vec::with_capacity(specs.len() * h * m);
    for s in specs {
        let w = starts
            .iter()
            .position(|&x| x == (s.start, s.avail))
            .expect("grouped above");
        let at = (w * n + s.series) * h * m;
        out.extend_from_slice(&joint[at..at + h * m]);
    }
    Ok(out)
}

/// Runs the model without a tape on a batch and inverts the scaling. Returns `[rows, h, m]` in
/// row-major order, where a row is a window (univariate) or a (window, series) pair, window-major
/// (multivariate). `series_of(row)` names the series of a row for errors.
fn run_inverted<'a>(
    model: &dyn NeuralModel,
    t: &WindowBatchTensors,
    series_of: impl Fn(usize) -> &'a String,
) -> Result<Vec<f32>, CoreError> {
    let base = model.base();
    let (h, m) = (base.h, base.output_multiplier());
    let tape = Tape::no_grad();
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(base.random_seed));
    let batch = t.bind(&tape);
    let out = model.forward(&mut ctx, &batch).value();
    let rows = t.y_stats.len();
    assert_eq!(
        out.numel(),
        rows * h * m,
        "{} forward returned the wrong shape {:?}",
        model.name(),
        out.shape()
    );
    let mut vals = if model.capabilities().multivariate {
        // [B, h, N, m] -> [B, N, h, m]
        let n = out.shape()[2];
        Tensor::from_ndarray(
            out.reshape(&[rows / n, h, n, m])
                .view()
                .permuted_axes(vec![0, 2, 1, 3]),
        )
        .to_vec()
    } else {
        out.to_vec()
    };
    for (k, w) in vals.chunks_mut(h * m).enumerate() {
        let (shift, scale) = t.y_stats[k];
        neurodiv_data::invert(base.scaler_type, w, shift, scale);
    }
    if let Some(k) = vals.iter().position(|v| !v.is_finite()) {
        return Err(CoreError::Incompatible(format!(
            "{} produced a non-finite forecast for series {:?}",
            model.alias(),
            series_of(k / (h * m))
        )));
    }
    Ok(vals)
}

/// The validation windows: outputs inside the last `val_size` points of each series, cutoffs
/// `step_size` apart, as NeuralForecast validates.
pub fn validation_specs(
    set: &SeriesSet,
    val_size: usize,
    h: usize,
    input_size: usize,
    step_size: usize,
) -> Vec<WindowSpec> {
    let mut specs = Vec::new();
    for (i, y) in set.y.iter().enumerate() {
        let t = y.len();
        let mut cutoff = t - val_size;
        while cutoff + h <= t {
            specs.push(window_at(i, cutoff, input_size, t));
            cutoff += step_size;
        }
    }
    specs
}

/// The validation loss (`valid_loss`, default the training loss) on the last `val_size` points
/// of each series, in the original scale.
pub fn validation_loss(
    model: &dyn NeuralModel,
    set: &SeriesSet,
    val_size: usize,
) -> Result<f32, CoreError> {
    let base = model.base();
    let (h, m) = (base.h, base.output_multiplier());
    let specs = validation_specs(set, val_size, h, base.input_size, base.step_size);
    let preds = forecast_windows(model, set, &specs)?;
    // Targets and (for MASE) the input windows, in the original scale.
    let l = base.input_size;
    let mut y = Vec::with_capacity(specs.len() * h);
    let mut insample = Vec::with_capacity(specs.len() * l);
    for s in &specs {
        let series = &set.y[s.series];
        let c = (s.start + l as isize) as usize;
        y.extend_from_slice(&series[c..c + h]);
        insample.extend(
            (s.start..s.start + l as isize).map(|p| if p >= 0 { series[p as usize] } else { 0.0 }),
        );
    }
    let b = specs.len();
    let tape = Tape::no_grad();
    let loss = base.valid_loss.as_ref().unwrap_or(&base.loss);
    let y_hat = if loss.outputsize_multiplier() == m {
        Tensor::from_vec(&[b, h, m], preds)
    } else {
        // A point validation loss on a multi-output model scores the point forecast.
        let p = base.loss.point_index();
        Tensor::from_vec(&[b, h, 1], preds.chunks(m).map(|c| c[p]).collect())
    };
    let y = tape.constant(Tensor::from_vec(&[b, h], y));
    let ones = tape.constant(Tensor::ones(&[b, h]));
    Ok(loss
        .compute(y, tape.constant(y_hat), ones, None, None)
        .value()
        .item())
}
