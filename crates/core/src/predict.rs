//! Predictors: forecasts at given origins in the original scale. The caller says where to
//! forecast ([`Origin`]s); the predictor the model's [`ModelSpec`](crate::ModelSpec) names chooses
//! the windows it reads and runs the model without a tape:
//!
//! - **direct**: one forward pass per batch of windows gives all `h` steps;
//! - **recursive**: [`RecursiveModel::start`] on the window, then `h - 1` calls of
//!   [`RecursiveModel::step`], each on a fresh no-grad tape, carrying the state as plain tensors
//!   and feeding each point forecast back (a distribution's mean); the head turns the raw
//!   outputs of every step into columns as it does a direct model's (a distribution head draws
//!   from each step's distribution: NeuralForecast's recurrent prediction);
//! - **sampled**: the recursive loop run on `paths` copies of each window, each step feeding back
//!   a draw of the output head's distribution; the columns are the paths' mean and quantiles.
//!
//! It also holds the validation loss, which the trainer calls every `val_check_steps` steps.

use crate::head::{OutputHead, RowScaling, row_rng};
use crate::model::{PredictKind, RecurrentState, RecursiveModel};
use crate::series::{
    SeriesSet, WindowBatchTensors, WindowSpec, assemble, assemble_multivariate, check_multivariate,
};
use crate::{CoreError, NeuralModel};
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_nn::Ctx;

/// Where to forecast: series `series`, from its point `cutoff` on (`cutoff` = the series length
/// forecasts the future; smaller values forecast points the model may compare with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// Series index in the [`SeriesSet`].
    pub series: usize,
    /// Index of the first forecast point.
    pub cutoff: usize,
}

/// Forecasts of `R` origins: `values` is `[R, h, k]` in row-major order, one column per suffix.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Horizon.
    pub h: usize,
    /// Column suffixes (`""`, `"-median"`, `"-lo-80"`, ...), `k` of them.
    pub columns: Vec<String>,
    /// `[R, h, k]` values in the original scale.
    pub values: Vec<f32>,
    /// Named extras of the forward passes, each with the origins on its first axis (direct
    /// univariate models; empty unless asked for).
    pub extras: Vec<(String, Tensor)>,
}

impl Forecast {
    /// The values of column `j`, `[R, h]` in row-major order.
    pub fn column(&self, j: usize) -> Vec<f32> {
        let k = self.columns.len();
        self.values.iter().skip(j).step_by(k).copied().collect()
    }
}

/// The input length a model reads before forecast origins with the given cutoffs: its
/// inference window for fixed windows; for whole histories the longest history before a cutoff,
/// capped at the model's maximum.
fn input_len(model: &dyn NeuralModel, cutoffs: impl Iterator<Item = usize>) -> usize {
    let spec = model.spec();
    let fixed = spec
        .inference_input_size
        .or(spec.train_input_size)
        .unwrap_or(model.base().input_size);
    spec.input.points(fixed, cutoffs.max().unwrap_or(1))
}

/// The windows of a univariate model at `origins`: their input length `l`, one window per
/// origin, and how many run per forward pass (`inference_windows_batch_size`, default all).
fn univariate_windows(
    model: &dyn NeuralModel,
    set: &SeriesSet,
    origins: &[Origin],
) -> (usize, Vec<WindowSpec>, usize) {
    let l = input_len(model, origins.iter().map(|o| o.cutoff));
    let specs: Vec<WindowSpec> = origins.iter().map(|o| window(set, *o, l)).collect();
    let chunk = model
        .base()
        .inference_windows_batch_size
        .unwrap_or(specs.len())
        .max(1);
    (l, specs, chunk)
}

/// Forecasts `model` at `origins` with the predictor its spec names; `extras` keeps the named
/// extras of the forward passes (direct univariate models).
pub fn forecast(
    model: &dyn NeuralModel,
    set: &SeriesSet,
    origins: &[Origin],
    extras: bool,
) -> Result<Forecast, CoreError> {
    forecast_with_head(model, model.head().as_ref(), set, origins, extras)
}

/// [`forecast`] through another head than the model's own, with the same raw outputs: a
/// distribution head asked for other quantiles at predict time (NeuralForecast's
/// `predict(level=...)`).
pub fn forecast_with_head(
    model: &dyn NeuralModel,
    head: &dyn OutputHead,
    set: &SeriesSet,
    origins: &[Origin],
    extras: bool,
) -> Result<Forecast, CoreError> {
    let base = model.base();
    if head.outputs_per_step() != model.head().outputs_per_step() {
        return Err(CoreError::Incompatible(format!(
            "{}: a head of {} outputs per step cannot read the model's {}",
            model.alias(),
            head.outputs_per_step(),
            model.head().outputs_per_step()
        )));
    }
    let columns = head.column_suffixes();
    let spec = model.spec();
    let (values, extras) = match spec.predict {
        PredictKind::Direct | PredictKind::Recursive => {
            let out = raw_outputs(model, head, set, origins, extras)?;
            let rows = RowScaling {
                stats: &out.stats,
                scaler: base.scaler_type,
            };
            let mut values = head.forecast(&out.raw, rows, base.random_seed, 0).to_vec();
            if spec.predict == PredictKind::Recursive && head.samples() {
                // NeuralForecast's recurrent prediction reports the value it fed back (the
                // distribution's mean) as the point column, not the mean of the draws.
                let (k, m, p) = (columns.len(), head.outputs_per_step(), head.point_column());
                let raw = out.raw.data();
                for (i, (v, o)) in values.chunks_mut(k).zip(raw.chunks(m)).enumerate() {
                    let (shift, scale) = out.stats[i / base.h];
                    v[p] = head.point_scaled(o, (shift, scale), base.scaler_type);
                    neurodiv_data::invert(base.scaler_type, &mut v[p..=p], shift, scale);
                }
            }
            (values, out.extras)
        }
        PredictKind::Sampled { paths } => {
            let rec = step_interface(model)?;
            (sampled(model, rec, set, origins, head, paths)?, Vec::new())
        }
    };
    check_finite(model, set, origins, &values, base.h * columns.len())?;
    Ok(Forecast {
        h: base.h,
        columns,
        values,
        extras,
    })
}

fn check_finite(
    model: &dyn NeuralModel,
    set: &SeriesSet,
    origins: &[Origin],
    values: &[f32],
    per_origin: usize,
) -> Result<(), CoreError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(k) => Err(CoreError::Incompatible(format!(
            "{} produced a non-finite forecast for series {:?}",
            model.alias(),
            set.ids[origins[k / per_origin.max(1)].series]
        ))),
    }
}

/// The step interface of a model that predicts step by step (univariate models only).
fn step_interface(model: &dyn NeuralModel) -> Result<&dyn RecursiveModel, CoreError> {
    let rec = model.recursive().ok_or_else(|| {
        CoreError::Incompatible(format!(
            "{} predicts step by step but has no step interface",
            model.alias()
        ))
    })?;
    if model.spec().capabilities.multivariate {
        return Err(CoreError::Incompatible(format!(
            "{}: recursive prediction of multivariate models is not supported",
            model.alias()
        )));
    }
    Ok(rec)
}

/// The raw outputs at `origins` of a direct model, or of a recursive one fed its point
/// forecasts (the distribution's mean for a distribution head: NeuralForecast's recurrent
/// prediction).
fn raw_outputs(
    model: &dyn NeuralModel,
    head: &dyn OutputHead,
    set: &SeriesSet,
    origins: &[Origin],
    extras: bool,
) -> Result<RawOutputs, CoreError> {
    if model.spec().predict == PredictKind::Direct {
        return direct_raw(model, head, set, origins, extras);
    }
    let rec = step_interface(model)?;
    let base = model.base();
    let (h, m) = (base.h, head.outputs_per_step());
    let (l, specs, chunk) = univariate_windows(model, set, origins);
    let mut raw = Vec::with_capacity(origins.len() * h * m);
    let mut stats = Vec::with_capacity(origins.len());
    for part in specs.chunks(chunk) {
        let t = assemble(set, part, base, l, base.h);
        raw.extend(roll(model, rec, &t, 1, h, m, |_, out, stats| {
            let rows = out.data().chunks(m).zip(stats);
            rows.map(|(o, &st)| head.point_scaled(o, st, base.scaler_type))
                .collect()
        })?);
        stats.extend_from_slice(&t.y_stats);
    }
    Ok(RawOutputs {
        raw: Tensor::from_vec(&[origins.len(), h, m], raw),
        stats,
        extras: Vec::new(),
    })
}

/// What direct passes at some origins return.
struct RawOutputs {
    /// `[R, h, m]` in the scaled space.
    raw: Tensor,
    /// Each row's `(shift, scale)`.
    stats: Vec<(f32, f32)>,
    /// Named extras concatenated along the batch (when asked; univariate only).
    extras: Vec<(String, Tensor)>,
}

/// Direct raw outputs at `origins`.
fn direct_raw(
    model: &dyn NeuralModel,
    head: &dyn OutputHead,
    set: &SeriesSet,
    origins: &[Origin],
    want_extras: bool,
) -> Result<RawOutputs, CoreError> {
    let base = model.base();
    let (h, m) = (base.h, head.outputs_per_step());
    let l = input_len(model, origins.iter().map(|o| o.cutoff));
    let chunk_of = |n: usize| base.inference_windows_batch_size.unwrap_or(n).max(1);
    let mut raw = Vec::with_capacity(origins.len() * h * m);
    let mut stats = Vec::with_capacity(origins.len());
    let mut extras: Vec<(String, Vec<Tensor>)> = Vec::new();
    if model.spec().capabilities.multivariate {
        check_multivariate(model, set)?;
        let n = set.len();
        // Origins sharing a cutoff share one joint window over all series.
        let mut starts: Vec<(isize, usize)> = Vec::new();
        for o in origins {
            let key = (o.cutoff as isize - l as isize, set.y[0].len());
            if !starts.contains(&key) {
                starts.push(key);
            }
        }
        let mut joint = Vec::with_capacity(starts.len() * n * h * m); // [W, N, h, m]
        let mut joint_stats = Vec::with_capacity(starts.len() * n);
        for part in starts.chunks(chunk_of(starts.len())) {
            let t = assemble_multivariate(set, part, base, l, base.h);
            let out = run(model, &t, m)?.0; // [B, h, N, m]
            let b = part.len();
            // [B, h, N, m] -> [B, N, h, m]
            let out = out.reshape(&[b, h, n, m]);
            let permuted = out.view().permuted_axes(vec![0, 2, 1, 3]);
            joint.extend(Tensor::from_ndarray(permuted).to_vec());
            joint_stats.extend_from_slice(&t.y_stats);
        }
        for o in origins {
            let key = (o.cutoff as isize - l as isize, set.y[0].len());
            let w = starts
                .iter()
                .position(|&x| x == key)
                .expect("grouped above");
            let row = w * n + o.series;
            raw.extend_from_slice(&joint[row * h * m..(row + 1) * h * m]);
            stats.push(joint_stats[row]);
        }
    } else {
        let (l, specs, chunk) = univariate_windows(model, set, origins);
        for part in specs.chunks(chunk) {
            let t = assemble(set, part, base, l, base.h);
            let (out, ex) = run(model, &t, m)?;
            raw.extend(out.to_vec());
            stats.extend_from_slice(&t.y_stats);
            if want_extras {
                for (i, (name, v)) in ex.into_iter().enumerate() {
                    match extras.get_mut(i) {
                        Some(e) => e.1.push(v),
                        None => extras.push((name, vec![v])),
                    }
                }
            }
        }
    }
    let extras = extras
        .into_iter()
        .map(|(name, parts)| (name, concat_rows(&parts)))
        .collect();
    Ok(RawOutputs {
        raw: Tensor::from_vec(&[origins.len(), h, m], raw),
        stats,
        extras,
    })
}

/// Stacks tensors along their first axis.
fn concat_rows(parts: &[Tensor]) -> Tensor {
    let mut shape = parts[0].shape().to_vec();
    shape[0] = parts.iter().map(|p| p.shape()[0]).sum();
    Tensor::from_vec(
        &shape,
        parts.iter().flat_map(|p| p.data().to_vec()).collect(),
    )
}

/// The window of `l` input points before `o.cutoff`, seeing the whole series.
fn window(set: &SeriesSet, o: Origin, l: usize) -> WindowSpec {
    WindowSpec {
        series: o.series,
        start: o.cutoff as isize - l as isize,
        avail: set.y[o.series].len(),
    }
}

/// One no-grad forward pass: the raw outputs (`m` per step) and the extras.
fn run(
    model: &dyn NeuralModel,
    t: &WindowBatchTensors,
    m: usize,
) -> Result<(Tensor, Vec<(String, Tensor)>), CoreError> {
    let base = model.base();
    let tape = Tape::no_grad();
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(base.random_seed));
    let batch = t.bind(&tape);
    let out = model.forward(&mut ctx, &batch);
    let y = out.y.value();
    let rows = t.y_stats.len();
    if y.numel() != rows * base.h * m {
        return Err(CoreError::Incompatible(format!(
            "{} returned outputs of shape {:?}, expected {} rows of h = {} x m = {m}",
            model.alias(),
            y.shape(),
            rows,
            base.h
        )));
    }
    let extras = out
        .extras
        .into_iter()
        .map(|(n, v)| (n, v.value()))
        .collect();
    Ok((y, extras))
}

/// The sampled predictor: `paths` trajectories per window, each fed its own draws; the columns
/// are the paths' mean and quantiles at every step.
fn sampled(
    model: &dyn NeuralModel,
    rec: &dyn RecursiveModel,
    set: &SeriesSet,
    origins: &[Origin],
    head: &dyn OutputHead,
    paths: usize,
) -> Result<Vec<f32>, CoreError> {
    let base = model.base();
    let (h, m) = (base.h, head.outputs_per_step());
    if !head.samples() {
        return Err(CoreError::Incompatible(format!(
            "{} samples paths and needs a DistributionLoss, not {}",
            model.alias(),
            base.loss
        )));
    }
    // Draws give the mean and quantile columns; per-path parameters give no column.
    let from_draws = head
        .columns_from_draws(&mut [0.0; 2])
        .map_or(0, |c| c.len());
    if from_draws != head.column_suffixes().len() {
        return Err(CoreError::Incompatible(format!(
            "{}: return_params is not available for sampled paths (each path has its own parameters)",
            model.alias()
        )));
    }
    let p = paths.max(2);
    let (l, specs, chunk) = univariate_windows(model, set, origins);
    let k = head.column_suffixes().len();
    let mut values = Vec::with_capacity(origins.len() * h * k);
    for (c, part) in specs.chunks(chunk).enumerate() {
        let first_row = c * chunk;
        let t = assemble(set, part, base, l, base.h);
        let b = part.len();
        let mut rngs: Vec<Rng> = (0..b)
            .map(|r| row_rng(base.random_seed, first_row + r))
            .collect();
        let mut draws = vec![0.0f32; b * p * h]; // [B, P, h], original scale
        roll(model, rec, &t, p, h, m, |step, out, stats| {
            let rows = RowScaling {
                stats,
                scaler: base.scaler_type,
            };
            let mut step_draws = head.sample(out, rows, &mut rngs).expect("checked above");
            for (row, d) in step_draws.iter_mut().enumerate() {
                draws[row * h + step] = *d; // row = window * P + path
                let (shift, scale) = stats[row];
                neurodiv_data::apply(base.scaler_type, std::slice::from_mut(d), shift, scale);
            }
            step_draws
        })?;
        let mut step_draws = vec![0.0f32; p];
        for w in 0..b {
            for step in 0..h {
                for (path, d) in step_draws.iter_mut().enumerate() {
                    *d = draws[(w * p + path) * h + step];
                }
                values.extend(head.columns_from_draws(&mut step_draws).expect("samples"));
            }
        }
    }
    Ok(values)
}

/// Runs the recursive loop on every window of `t` repeated `copies` times (rows
/// `window * copies + copy`): `h` outputs per row, each step on a fresh no-grad tape.
/// `feed(step, out, stats)` gives the scaled values (one per row) fed back after the step's
/// outputs `out` (`[rows, 1, m]`), `stats` each row's scaling. Returns the raw outputs
/// `[rows, h, m]`.
#[allow(clippy::too_many_arguments)]
fn roll(
    model: &dyn NeuralModel,
    rec: &dyn RecursiveModel,
    t: &WindowBatchTensors,
    copies: usize,
    h: usize,
    m: usize,
    mut feed: impl FnMut(usize, &Tensor, &[(f32, f32)]) -> Vec<f32>,
) -> Result<Vec<f32>, CoreError> {
    let base = model.base();
    let t = if copies > 1 {
        repeat_rows(t, copies)
    } else {
        t.clone()
    };
    let rows = t.insample_y.shape()[0];
    let l = t.insample_y.shape()[1];
    let mut raw = vec![0.0f32; rows * h * m];
    let (mut out, mut state): (Tensor, RecurrentState) = {
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, model.params(), Rng::new(base.random_seed));
        let (o, s) = rec.start(&mut ctx, &t.bind(&tape));
        (o.value(), s)
    };
    for step in 0..h {
        if out.numel() != rows * m {
            return Err(CoreError::Incompatible(format!(
                "{} returned a step output of shape {:?}, expected [{rows}, 1, {m}]",
                model.alias(),
                out.shape()
            )));
        }
        for (row, o) in out.data().chunks(m).enumerate() {
            raw[(row * h + step) * m..(row * h + step + 1) * m].copy_from_slice(o);
        }
        let fed = feed(step, &out, &t.y_stats);
        if step + 1 == h {
            break;
        }
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, model.params(), Rng::new(base.random_seed));
        // Future exogenous values at the next point: futr [B, L + h, F] at L + step + 1.
        let futr = t.futr.as_ref().map(|f| {
            let nf = f.shape()[2];
            let at = l + step + 1;
            let v: Vec<f32> = f
                .data()
                .chunks(f.shape()[1] * nf)
                .flat_map(|r| r[at * nf..(at + 1) * nf].to_vec())
                .collect();
            tape.constant(Tensor::from_vec(&[rows, nf], v))
        });
        let y = tape.constant(Tensor::from_vec(&[rows], fed));
        let (o, s) = rec.step(&mut ctx, &state, y, futr);
        out = o.value();
        state = s;
    }
    Ok(raw)
}

/// Each window of `t` repeated `copies` times in a row.
fn repeat_rows(t: &WindowBatchTensors, copies: usize) -> WindowBatchTensors {
    let rep = |x: &Tensor| {
        let rows = x.shape()[0];
        let per = x.numel() / rows.max(1);
        let mut shape = x.shape().to_vec();
        shape[0] = rows * copies;
        Tensor::from_vec(
            &shape,
            x.data()
                .chunks(per.max(1))
                .flat_map(|r| std::iter::repeat_n(r, copies).flatten().copied())
                .collect(),
        )
    };
    WindowBatchTensors {
        window_y: rep(&t.window_y),
        window_y_original: rep(&t.window_y_original),
        window_mask: rep(&t.window_mask),
        insample_y: rep(&t.insample_y),
        insample_mask: rep(&t.insample_mask),
        futr: t.futr.as_ref().map(rep),
        hist: t.hist.as_ref().map(rep),
        stat: t.stat.as_ref().map(rep),
        y_stats: t
            .y_stats
            .iter()
            .flat_map(|&s| std::iter::repeat_n(s, copies))
            .collect(),
    }
}

/// The validation origins: cutoffs inside the last `val_size` points of each series, `step_size`
/// apart, each followed by `h` points, as NeuralForecast validates.
pub fn validation_origins(
    set: &SeriesSet,
    val_size: usize,
    h: usize,
    step_size: usize,
) -> Vec<Origin> {
    let mut origins = Vec::new();
    for (series, y) in set.y.iter().enumerate() {
        let t = y.len();
        let mut cutoff = t - val_size;
        while cutoff + h <= t {
            origins.push(Origin { series, cutoff });
            cutoff += step_size;
        }
    }
    origins
}

/// The validation loss on the last `val_size` points of each series, in the original scale:
/// `valid_loss` (default: the training loss through the model's head) of the forecasts.
pub fn validation_loss(
    model: &dyn NeuralModel,
    set: &SeriesSet,
    val_size: usize,
) -> Result<f32, CoreError> {
    let base = model.base();
    let (h, l) = (base.h, base.input_size);
    let origins = validation_origins(set, val_size, h, base.step_size);
    // Targets and (for MASE) the input windows, in the original scale.
    let r = origins.len();
    let mut y = Vec::with_capacity(r * h);
    let mut insample = Vec::with_capacity(r * l);
    for o in &origins {
        let series = &set.y[o.series];
        let target = &series[o.cutoff..o.cutoff + h];
        if target.iter().any(|v| v.is_nan()) {
            return Err(CoreError::Incompatible(format!(
                "series {:?} has missing targets in its validation points; validation needs \
                 observed values (lower val_size or fill them)",
                set.ids[o.series]
            )));
        }
        y.extend_from_slice(target);
        insample.extend(
            (o.cutoff as isize - l as isize..o.cutoff as isize)
                .map(|p| if p >= 0 { series[p as usize] } else { 0.0 }),
        );
    }
    let y = Tensor::from_vec(&[r, h], y);
    let insample = Tensor::from_vec(&[r, l], insample);
    let head = model.head();
    let sampled = matches!(model.spec().predict, PredictKind::Sampled { .. });
    if base.valid_loss.is_none() && !sampled {
        let out = raw_outputs(model, head.as_ref(), set, &origins, false)?;
        let rows = RowScaling {
            stats: &out.stats,
            scaler: base.scaler_type,
        };
        return Ok(head.validation_loss(&out.raw, rows, &y, &insample));
    }
    let loss = base.valid_loss.as_ref().unwrap_or(&base.loss);
    if loss.is_distribution() {
        return Err(CoreError::Config {
            field: "valid_loss",
            reason: format!(
                "{loss} scores a distribution's parameters; {} predicts columns, so validate it with a point or quantile loss",
                model.alias()
            ),
        });
    }
    let f = forecast(model, set, &origins, false)?;
    let k = f.columns.len();
    let y_hat = if loss.outputsize_multiplier() == k && !base.loss.is_distribution() {
        Tensor::from_vec(&[r, h, k], f.values)
    } else {
        // A point validation loss scores the point forecast.
        Tensor::from_vec(&[r, h, 1], f.column(head.point_column()))
    };
    let tape = Tape::no_grad();
    Ok(loss
        .compute(
            tape.constant(y),
            tape.constant(y_hat),
            tape.constant(Tensor::ones(&[r, h])),
            None,
            Some(tape.constant(insample)),
        )
        .value()
        .item())
}
