//! The trainer: NeuralForecast's training loop for window models.
//!
//! Each step takes the next `batch_size` series (reshuffled at every pass over the panel), pools
//! their kept windows, samples `windows_batch_size` of them (without replacement when there are
//! enough, with replacement otherwise), scales each window by its input statistics, runs the
//! model on a fresh tape, takes the loss on the scaled target with padding masked out,
//! back-propagates, optionally clips the gradient norm, steps the optimizer with the scheduled
//! learning rate, and writes the buffer values the pass proposed (batch normalisation's running
//! statistics) into the store. Every `val_check_steps` steps the validation loss on the last
//! `val_size` points (original scale) decides early stopping; the last weights are kept.

use crate::series::{SeriesSet, WindowSpec, assemble, assemble_multivariate};
use crate::{CoreError, NeuralModel};
use neurodiv_autodiff::Tape;
use neurodiv_data::{SeriesBatcher, WindowConfig, WindowSampler};
use neurodiv_kernels::Rng;
use neurodiv_nn::Ctx;
use neurodiv_optim::{LrScheduler, Optimizer, StepLr, clip_grad_norm};

/// What the trainer reports after each step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Steps done.
    pub step: usize,
    /// Steps planned.
    pub max_steps: usize,
    /// Training loss of the step.
    pub train_loss: f32,
    /// Latest validation loss, if any.
    pub valid_loss: Option<f32>,
}

/// A summary of a fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FitReport {
    /// Training loss of every step.
    pub train_losses: Vec<f32>,
    /// `(step, validation loss)` of every check.
    pub valid_losses: Vec<(usize, f32)>,
    /// Steps run (fewer than `max_steps` when early stopping fired).
    pub steps: usize,
}

/// Seed offset of the trainer's random stream (series order, window sampling, dropout), so that
/// it is independent of the stream that initialised the parameters.
const TRAIN_STREAM: u64 = 0x7472_6169_6e5f_7374;

/// Fits `model` on `set`, holding out the last `val_size` points of every series for validation.
pub fn fit(
    model: &mut dyn NeuralModel,
    set: &SeriesSet,
    val_size: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Result<FitReport, CoreError> {
    let base = model.base().clone();
    base.validate()?;
    let (l, h) = (base.input_size, base.h);
    if val_size > 0 && val_size < h {
        return Err(CoreError::Config {
            field: "val_size",
            reason: format!("must be 0 or at least h = {h}, got {val_size}"),
        });
    }
    if base.early_stop_patience_steps > 0 && val_size == 0 {
        return Err(CoreError::Config {
            field: "early_stop_patience_steps",
            reason: "needs a validation set: pass val_size >= h".into(),
        });
    }
    let multivariate = model.capabilities().multivariate;
    if multivariate {
        check_multivariate(model, set)?;
    }
    let geometry = WindowConfig::new(l, h, base.step_size, base.start_padding_enabled)?;
    // Kept windows of every series with the validation tail hidden, on the grid of the longest
    // series (NeuralForecast left-pads shorter series to it). Multivariate windows span every
    // series, which share their timestamps, so series 0 stands for all.
    let visible: Vec<usize> = set
        .y
        .iter()
        .map(|y| y.len().saturating_sub(val_size))
        .collect();
    let longest = visible.iter().copied().max().unwrap_or(0);
    let mut windows = Vec::with_capacity(set.len());
    for (i, &len) in visible.iter().enumerate() {
        let index = geometry.index_aligned(len, longest);
        if index.is_empty() {
            return Err(CoreError::Incompatible(format!(
                "series {:?} has {len} training points (after holding out val_size = {val_size}); input_size = {l} needs at least {}{}",
                set.ids[i],
                l + 1,
                if base.start_padding_enabled {
                    ""
                } else {
                    " (or set start_padding_enabled)"
                }
            )));
        }
        windows.push(index);
    }
    let mut rng = Rng::new(base.random_seed ^ TRAIN_STREAM);
    let mut batcher = SeriesBatcher::new(set.len(), base.batch_size)?;
    let mut optimizer = base.optimizer.build();
    let scheduler = StepLr::neuralforecast(base.learning_rate, base.max_steps, base.num_lr_decays);
    let mut report = FitReport::default();
    let mut best = f32::INFINITY;
    let mut bad_checks = 0i64;
    for step in 0..base.max_steps {
        let t = if multivariate {
            let sampler = WindowSampler::new(vec![(0, windows[0])]);
            let starts: Vec<(isize, usize)> = sampler
                .sample(Some(base.windows_batch_size), &mut rng)?
                .into_iter()
                .map(|w| (w.start, visible[0]))
                .collect();
            assemble_multivariate(set, &starts, &base)
        } else {
            let chosen = batcher.next_batch(&mut rng).to_vec();
            let sampler = WindowSampler::new(chosen.iter().map(|&s| (s, windows[s])).collect());
            let specs: Vec<WindowSpec> = sampler
                .sample(Some(base.windows_batch_size), &mut rng)?
                .into_iter()
                .map(|w| WindowSpec {
                    series: w.series,
                    start: w.start,
                    avail: visible[w.series],
                })
                .collect();
            assemble(set, &specs, &base)
        };
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, model.params(), rng.fork());
        let batch = t.bind(&tape);
        let out = model.forward(&mut ctx, &batch);
        // Multivariate: [B, h, N, m] -> [B, h*N, m] and [B, h, N] -> [B, h*N]; the loss is a
        // weighted mean over all elements, so the layout does not change it.
        let rows = t.outsample_y.shape()[0];
        let cols = t.outsample_y.numel() / rows;
        let y_hat = base
            .loss
            .domain_map(out.reshape(&[rows, cols, base.output_multiplier()]));
        let y = tape.constant(t.outsample_y.reshape(&[rows, cols]));
        let mask = tape.constant(t.outsample_mask.reshape(&[rows, cols]));
        let loss = base
            .loss
            .compute(y, y_hat, mask, None, Some(batch.insample_y));
        let loss_value = loss.value().item();
        if !loss_value.is_finite() {
            return Err(CoreError::Diverged {
                step,
                loss: loss_value,
            });
        }
        let mut grads = tape.backward(loss);
        let mut grads = ctx.param_grads(&mut grads);
        let buffer_updates = ctx.take_buffer_updates();
        drop(ctx);
        if let Some(c) = base.gradient_clip_val {
            clip_grad_norm(&mut grads, c);
        }
        // The optimizer steps the trainable parameters only; then the buffer values the pass
        // proposed (BatchNorm running statistics) are written.
        let mut params = model.params_mut().trainable_mut();
        optimizer.step(scheduler.lr(step), &mut params, &grads);
        let store = model.params_mut();
        for (id, value) in buffer_updates {
            store.set_buffer(id, value);
        }
        report.train_losses.push(loss_value);
        report.steps = step + 1;
        if val_size > 0 && (step + 1) % base.val_check_steps.min(base.max_steps) == 0 {
            let v = crate::predict::validation_loss(model, set, val_size)?;
            report.valid_losses.push((step + 1, v));
            if v < best {
                best = v;
                bad_checks = 0;
            } else {
                bad_checks += 1;
            }
        }
        let valid_loss = report.valid_losses.last().map(|v| v.1);
        progress(&Progress {
            step: step + 1,
            max_steps: base.max_steps,
            train_loss: loss_value,
            valid_loss,
        });
        if base.early_stop_patience_steps > 0 && bad_checks >= base.early_stop_patience_steps {
            break;
        }
    }
    Ok(report)
}

/// A multivariate model needs exactly its `n_series` series, all with the same timestamps, and
/// a loss that does not scale by each window's own history (MASE).
pub(crate) fn check_multivariate(
    model: &dyn NeuralModel,
    set: &SeriesSet,
) -> Result<(), CoreError> {
    if let Some(n) = model.n_series()
        && n != set.len()
    {
        return Err(CoreError::Incompatible(format!(
            "{} was configured with n_series = {n} but the data holds {} series",
            model.alias(),
            set.len()
        )));
    }
    let len = set.y[0].len();
    if let Some(i) = set.y.iter().position(|y| y.len() != len) {
        return Err(CoreError::Incompatible(format!(
            "{} forecasts all series jointly and needs them aligned: series {:?} has {} points, series {:?} has {len}",
            model.alias(),
            set.ids[i],
            set.y[i].len(),
            set.ids[0]
        )));
    }
    let b = model.base();
    if [Some(&b.loss), b.valid_loss.as_ref()]
        .into_iter()
        .flatten()
        .any(|l| matches!(l, neurodiv_optim::Loss::MASE { .. }))
    {
        return Err(CoreError::Incompatible(format!(
            "{}: MASE is not available for multivariate models",
            model.alias()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::SeriesSet;
    use crate::{BaseConfig, Capabilities, WindowBatch};
    use neurodiv_autodiff::{Tensor, Var};
    use neurodiv_nn::{Linear, ParamId, ParamStore};
    use neurodiv_optim::OptimizerKind;

    /// A linear model with two buffers: `frozen`, which no pass proposes a value for, and
    /// `passes`, which every training pass increments.
    #[derive(Debug)]
    struct WithBuffers {
        base: BaseConfig,
        store: ParamStore,
        lin: Linear,
        frozen: ParamId,
        passes: ParamId,
    }

    impl NeuralModel for WithBuffers {
        fn name(&self) -> &'static str {
            "WithBuffers"
        }
        fn base(&self) -> &BaseConfig {
            &self.base
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::default()
        }
        fn params(&self) -> &ParamStore {
            &self.store
        }
        fn params_mut(&mut self) -> &mut ParamStore {
            &mut self.store
        }
        fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> Var<'t> {
            if ctx.training() {
                let next = ctx.p(self.passes).value().map(|v| v + 1.0);
                ctx.set_buffer(self.passes, next);
            }
            let rows = batch.insample_y.shape()[0];
            let y = self.lin.forward(ctx, batch.insample_y);
            y.mul(ctx.p(self.frozen)).reshape(&[rows, self.base.h, 1]) // [B, h] -> [B, h, 1]
        }
        fn config_json(&self) -> String {
            String::new()
        }
    }

    #[test]
    fn buffers_take_proposed_values_and_escape_weight_decay() {
        let mut base = BaseConfig::new(3, 6);
        base.max_steps = 4;
        base.learning_rate = 0.5;
        base.optimizer = OptimizerKind::AdamW;
        let mut store = ParamStore::new();
        let lin = Linear::new(&mut store, "lin", 6, 3, true, &mut Rng::new(1));
        let frozen = store.add_buffer("frozen", Tensor::full(&[1], 2.0));
        let passes = store.add_buffer("passes", Tensor::zeros(&[1]));
        let mut model = WithBuffers {
            base,
            store,
            lin,
            frozen,
            passes,
        };
        let weight = model.lin.weight;
        let before = model.store.get(weight).clone();
        let frame = neurodiv_data::PanelFrame::from_csv_path(
            "../../data/air_passengers.csv",
            &Default::default(),
        )
        .unwrap();
        let set = SeriesSet::from_frame(&frame, &model.base, None).unwrap();
        fit(&mut model, &set, 0, &mut |_| {}).unwrap();
        assert_ne!(model.store.get(weight), &before, "parameters trained");
        assert_eq!(
            model.store.get(frozen).data(),
            &[2.0],
            "AdamW's decay undone"
        );
        assert_eq!(
            model.store.get(passes).data(),
            &[4.0],
            "one update per step"
        );
    }
}
