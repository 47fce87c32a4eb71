//! Prediction: forecasts for given windows in the original scale, and the validation loss.

use crate::series::{SeriesSet, WindowSpec, assemble};
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
    let base = model.base();
    let (h, m) = (base.h, base.output_multiplier());
    let chunk = base
        .inference_windows_batch_size
        .unwrap_or(specs.len())
        .max(1);
    let mut out = Vec::with_capacity(specs.len() * h * m);
    for part in specs.chunks(chunk) {
        let t = assemble(set, part, base);
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, model.params(), Rng::new(base.random_seed));
        let batch = t.bind(&tape);
        let y_hat = base
            .loss
            .domain_map(model.forward(&mut ctx, &batch))
            .value(); // [b, h, m]
        assert_eq!(
            y_hat.shape(),
            [part.len(), h, m],
            "{} forward returned the wrong shape",
            model.name()
        );
        let mut vals = y_hat.to_vec();
        for (k, w) in vals.chunks_mut(h * m).enumerate() {
            let (shift, scale) = t.y_stats[k];
            neurodiv_data::invert(base.scaler_type, w, shift, scale);
        }
        if let Some(k) = vals.iter().position(|v| !v.is_finite()) {
            let s = &set.ids[part[k / (h * m)].series];
            return Err(CoreError::Incompatible(format!(
                "{} produced a non-finite forecast for series {s:?}",
                model.alias()
            )));
        }
        out.extend(vals);
    }
    Ok(out)
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
