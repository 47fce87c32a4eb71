//! The trainer: NeuralForecast's training loop, as a [`Trainer`] you can step or run to the end.
//!
//! Each step takes the next `batch_size` series (reshuffled at every pass over the panel), pools
//! their kept windows, samples `windows_batch_size` of them (without replacement when there are
//! enough, with replacement otherwise), scales each window by its input statistics, runs the
//! model on a fresh tape, takes the output head's loss (plus the model's auxiliary loss) with
//! padding masked out, back-propagates, optionally clips the gradient norm, steps the optimizer
//! with the scheduled learning rate, and writes the buffer values the pass proposed (batch
//! normalisation's running statistics) into the store. Every `val_check_steps` steps the
//! validation loss on the last `val_size` points (original scale) decides early stopping; the
//! last weights are kept.
//!
//! The trainer owns the training state (windows, random stream, optimizer, schedule, early
//! stopping) and borrows the model and the data at each step, so a caller such as
//! cross-validation can train any number of models without touching its own state.

use crate::head::{HeadTargets, OutputHead};
use crate::model::{InputWindow, OutputSteps};
use crate::series::{
    SeriesSet, WindowBatchTensors, WindowSpec, assemble, assemble_multivariate, check_multivariate,
};
use crate::{BaseConfig, CoreError, ModelSpec, NeuralModel};
use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_data::{SeriesBatcher, WindowConfig, WindowIndex, WindowSampler};
use neurodiv_kernels::Rng;
use neurodiv_nn::Ctx;
use neurodiv_optim::{AnyOptimizer, LrScheduler, Optimizer, Schedule, clip_grad_norm};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Learning rate the step used (from the config's `lr_scheduler`).
    pub learning_rate: f32,
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

/// The training state of one model on one panel: call [`step`](Trainer::step) until it returns
/// `false`, or [`fit`] for the whole loop.
#[derive(Debug)]
pub struct Trainer<'a> {
    set: &'a SeriesSet,
    base: BaseConfig,
    spec: ModelSpec,
    head: Box<dyn OutputHead>,
    val_size: usize,
    /// Input points of every training window.
    input_len: usize,
    /// Output points of every training window: `h`, or `h_train` for one-step outputs.
    window_h: usize,
    /// Points of each series the training windows may see (the validation tail hidden).
    visible: Vec<usize>,
    windows: Vec<WindowIndex>,
    rng: Rng,
    batcher: SeriesBatcher,
    optimizer: AnyOptimizer,
    scheduler: Schedule,
    best: f32,
    bad_checks: i64,
    report: FitReport,
    stopped: bool,
    /// When set (by another thread, e.g. a Ctrl-C handler), the next step returns
    /// [`CoreError::Interrupted`].
    interrupt: Option<Arc<AtomicBool>>,
}

/// Smallest first-step loss magnitude the divergence check measures against, so that a first
/// loss of (nearly) zero does not make every later loss look like an explosion.
const DIVERGENCE_FLOOR: f32 = 1e-3;

impl<'a> Trainer<'a> {
    /// Prepares to train `model` on `set`, holding out the last `val_size` points of every series
    /// for validation. Checks the configuration against the data.
    pub fn new(
        model: &dyn NeuralModel,
        set: &'a SeriesSet,
        val_size: usize,
    ) -> Result<Self, CoreError> {
        let base = model.base().clone();
        base.validate()?;
        // A distribution loss refuses targets outside its support (a negative count).
        for loss in std::iter::once(&base.loss).chain(base.valid_loss.as_ref()) {
            set.y.iter().try_for_each(|y| loss.check_targets(y))?;
        }
        let spec = model.spec();
        let h = base.h;
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
        if spec.capabilities.multivariate {
            check_multivariate(model, set)?;
            if spec.output != OutputSteps::Horizon {
                return Err(CoreError::Incompatible(format!(
                    "{}: one-step (teacher-forced) training of multivariate models is not supported",
                    model.alias()
                )));
            }
        }
        // Kept windows of every series with the validation tail hidden, on the grid of the
        // longest series (NeuralForecast left-pads shorter series to it). Multivariate windows
        // span every series, which share their timestamps, so series 0 stands for all.
        let visible: Vec<usize> = set
            .y
            .iter()
            .map(|y| y.len().saturating_sub(val_size))
            .collect();
        let longest = visible.iter().copied().max().unwrap_or(0);
        // Whole-history windows are left-padded to the longest one.
        let padding = base.start_padding_enabled || spec.input != InputWindow::Fixed;
        let l = spec
            .input
            .points(spec.train_input_size.unwrap_or(base.input_size), longest);
        // Teacher-forced models train on h_train targets (NeuralForecast sets h = h_train).
        let window_h = match spec.output {
            OutputSteps::Horizon => h,
            OutputSteps::EveryStep { h_train } => {
                if h_train == 0 || h_train > h {
                    return Err(CoreError::Config {
                        field: "h_train",
                        reason: format!("must be between 1 and h = {h}, got {h_train}"),
                    });
                }
                h_train
            }
        };
        let geometry = WindowConfig::new(l, window_h, base.step_size, padding)?;
        let mut windows = Vec::with_capacity(set.len());
        for (i, &len) in visible.iter().enumerate() {
            let index = geometry.index_aligned(len, longest);
            if index.is_empty() {
                return Err(CoreError::Incompatible(format!(
                    "series {:?} has {len} training points (after holding out val_size = {val_size}); input_size = {l} needs at least {}{}",
                    set.ids[i],
                    l + 1,
                    if padding {
                        ""
                    } else {
                        " (or set start_padding_enabled)"
                    }
                )));
            }
            windows.push(index);
        }
        Ok(Trainer {
            set,
            rng: Rng::new(base.random_seed ^ TRAIN_STREAM),
            batcher: SeriesBatcher::new(set.len(), base.batch_size)?,
            optimizer: base.optimizer.build(),
            // Checked by `base.validate()` above.
            scheduler: base
                .lr_scheduler
                .build(
                    base.learning_rate,
                    base.max_steps,
                    base.num_lr_decays,
                    base.warmup_steps,
                )
                .map_err(|e| CoreError::Config {
                    field: "lr_scheduler",
                    reason: e.to_string(),
                })?,
            base,
            spec,
            head: model.head(),
            val_size,
            input_len: l,
            window_h,
            visible,
            windows,
            best: f32::INFINITY,
            bad_checks: 0,
            report: FitReport::default(),
            stopped: false,
            interrupt: None,
        })
    }

    /// Makes [`step`](Self::step) return [`CoreError::Interrupted`] once `flag` is set.
    pub fn with_interrupt(mut self, flag: Option<Arc<AtomicBool>>) -> Self {
        self.interrupt = flag;
        self
    }

    /// What the steps so far have reported.
    pub fn report(&self) -> &FitReport {
        &self.report
    }

    /// Whether training is over (all steps run, or early stopping fired).
    pub fn finished(&self) -> bool {
        self.stopped || self.report.steps >= self.base.max_steps
    }

    /// Runs one training step on `model` (and the validation check when one is due). Returns the
    /// step's progress, or `None` when training is already over.
    pub fn step(&mut self, model: &mut dyn NeuralModel) -> Result<Option<Progress>, CoreError> {
        if self.finished() {
            return Ok(None);
        }
        if self
            .interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            return Err(CoreError::Interrupted);
        }
        let step = self.report.steps;
        let t = self.sample_batch()?;
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, model.params(), self.rng.fork());
        let batch = t.bind(&tape);
        let out = model.forward(&mut ctx, &batch);
        let mut loss = self.head_loss(&tape, &t, out.y, batch.insample_y);
        if let Some(aux) = out.aux_loss {
            loss = loss.add(aux);
        }
        let loss_value = loss.value().item();
        if !loss_value.is_finite() || self.exploded(loss_value) {
            return Err(CoreError::Diverged {
                step,
                loss: loss_value,
            });
        }
        let mut grads = tape.backward_releasing(loss);
        let mut grads = ctx.param_grads(&mut grads);
        let buffer_updates = ctx.take_buffer_updates();
        drop(ctx);
        if let Some(c) = self.base.gradient_clip_val {
            clip_grad_norm(&mut grads, c);
        }
        // The optimizer steps the trainable parameters only; then the buffer values the pass
        // proposed (BatchNorm running statistics) are written.
        let mut params = model.params_mut().trainable_mut();
        let lr = self.scheduler.lr(step);
        self.optimizer.step(lr, &mut params, &grads);
        let store = model.params_mut();
        for (id, value) in buffer_updates {
            store.set_buffer(id, value);
        }
        self.report.train_losses.push(loss_value);
        self.report.steps = step + 1;
        let base = &self.base;
        if self.val_size > 0 && (step + 1).is_multiple_of(base.val_check_steps.min(base.max_steps))
        {
            let v = crate::predict::validation_loss(model, self.set, self.val_size)?;
            self.report.valid_losses.push((step + 1, v));
            if v < self.best {
                self.best = v;
                self.bad_checks = 0;
            } else {
                self.bad_checks += 1;
            }
            if base.early_stop_patience_steps > 0
                && self.bad_checks >= base.early_stop_patience_steps
            {
                self.stopped = true;
            }
        }
        Ok(Some(Progress {
            step: step + 1,
            max_steps: self.base.max_steps,
            train_loss: loss_value,
            valid_loss: self.report.valid_losses.last().map(|v| v.1),
            learning_rate: lr,
        }))
    }

    /// Whether `loss` exceeds `divergence_factor` times the first step's loss (in absolute value,
    /// at least [`DIVERGENCE_FLOOR`]).
    ///
    /// The first step's loss is measured before any update, so it is the scale of the problem
    /// with the initial weights. A healthy run falls from there; mini-batch noise and series of
    /// different scales in one batch move it by a few orders of magnitude at most. A loss a
    /// million times (the default factor) above it means the weights have blown up: with
    /// `learning_rate = 1e30`, Adam's first update moves every weight by about 1e30 and the
    /// second step's loss is already ~1e30 times the first, while the finite forecasts it would
    /// go on to print are of that size. Losses that can be negative (a distribution's negative
    /// log-likelihood) are compared in absolute value; the check is off with `None`.
    fn exploded(&self, loss: f32) -> bool {
        match (
            self.base.divergence_factor,
            self.report.train_losses.first(),
        ) {
            (Some(factor), Some(&first)) => loss.abs() > factor * first.abs().max(DIVERGENCE_FLOOR),
            _ => false,
        }
    }

    /// Runs the remaining steps, calling `progress` after each, and returns the report.
    pub fn run(
        mut self,
        model: &mut dyn NeuralModel,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<FitReport, CoreError> {
        while let Some(p) = self.step(model)? {
            progress(&p);
        }
        Ok(self.report)
    }

    /// Samples and assembles the windows of the next step.
    fn sample_batch(&mut self) -> Result<WindowBatchTensors, CoreError> {
        let (set, base, l, h) = (self.set, &self.base, self.input_len, self.window_h);
        let mut t = if self.spec.capabilities.multivariate {
            let sampler = WindowSampler::new(vec![(0, self.windows[0])]);
            let starts: Vec<(isize, usize)> = sampler
                .sample(Some(base.windows_batch_size), &mut self.rng)?
                .into_iter()
                .map(|w| (w.start, self.visible[0]))
                .collect();
            assemble_multivariate(set, &starts, base, l, h)
        } else {
            let chosen = self.batcher.next_batch(&mut self.rng).to_vec();
            let sampler =
                WindowSampler::new(chosen.iter().map(|&s| (s, self.windows[s])).collect());
            let specs: Vec<WindowSpec> = sampler
                .sample(Some(base.windows_batch_size), &mut self.rng)?
                .into_iter()
                .map(|w| WindowSpec {
                    series: w.series,
                    start: w.start,
                    avail: self.visible[w.series],
                })
                .collect();
            assemble(set, &specs, base, l, h)
        };
        if let OutputSteps::EveryStep { h_train } = self.spec.output {
            // Teacher forcing: the input runs on through the first h_train - 1 targets.
            // [B, L + h_train] -> [B, L + h_train - 1]
            let b = t.insample_y.shape()[0];
            let keep = l + h_train - 1;
            let head = |x: &Tensor| {
                let v = x
                    .data()
                    .chunks(l + h_train)
                    .flat_map(|r| r[..keep].to_vec());
                Tensor::from_vec(&[b, keep], v.collect())
            };
            t.insample_y = if base.exclude_insample_y {
                Tensor::zeros(&[b, keep])
            } else {
                head(&t.window_y)
            };
            t.insample_mask = head(&t.window_mask);
        }
        Ok(t)
    }

    /// The output head's loss of the raw outputs `y` on batch `t`.
    fn head_loss<'t>(
        &self,
        tape: &'t Tape,
        t: &WindowBatchTensors,
        y: Var<'t>,
        insample_y: Var<'t>,
    ) -> Var<'t> {
        let m = self.head.outputs_per_step();
        let rows = t.y_stats.len();
        let (l, w) = (self.input_len, t.window_y.shape()[1]);
        // The scored part of the windows: the horizon, or the h_train one-step targets after the
        // context, forecast by the last h_train outputs.
        let (y, steps) = match self.spec.output {
            OutputSteps::Horizon => (y, self.base.h),
            OutputSteps::EveryStep { h_train } => {
                let t_in = l + h_train - 1;
                (y.slice(1, t_in - h_train, t_in), h_train) // [B, L + k - 1, m] -> [B, k, m]
            }
        };
        let first = l;
        let cut = |x: &Tensor| {
            let per = x.numel() / x.shape()[0];
            let n = per / w; // 1, or N series (multivariate)
            let v: Vec<f32> = x
                .data()
                .chunks(per)
                .flat_map(|r| r[first * n..(first + steps) * n].to_vec())
                .collect();
            Tensor::from_vec(&[x.shape()[0], steps * n], v)
        };
        let batch = t.insample_y.shape()[0];
        let cols = steps * (rows / batch); // h·N for multivariate windows
        // Each row's scaling broadcast over its columns: per window [B, 1]; multivariate
        // windows hold N rows of statistics, series-minor, repeated over the h steps.
        let stat = |pick: fn(&(f32, f32)) -> f32| {
            let n = rows / batch;
            let v: Vec<f32> = if n == 1 {
                t.y_stats.iter().map(pick).collect()
            } else {
                (0..batch)
                    .flat_map(|b| (0..cols).map(move |c| (b, c % n)))
                    .map(|(b, s)| pick(&t.y_stats[b * n + s]))
                    .collect()
            };
            let shape = if n == 1 { [batch, 1] } else { [batch, cols] };
            tape.constant(Tensor::from_vec(&shape, v))
        };
        let targets = HeadTargets {
            y: tape.constant(cut(&t.window_y)),
            y_original: tape.constant(cut(&t.window_y_original)),
            mask: tape.constant(cut(&t.window_mask)),
            loc: stat(|s| s.0),
            scale: stat(|s| s.1),
            insample_y,
        };
        // Multivariate: [B, h, N, m] -> [B, h*N, m]; the loss is a weighted mean over all
        // elements, so the layout does not change it.
        self.head.train_loss(y.reshape(&[batch, cols, m]), &targets)
    }
}

/// A cheap check of `base`'s windows against data whose longest series has `longest` points, to
/// run before a model is built from `base` (building one for an absurd window costs time and
/// memory before [`Trainer::new`] could refuse it): `h` may not exceed the longest series (every
/// training target would be mostly padding), and a fixed input window without start padding
/// needs `input_size + 1` points. [`Trainer::new`] checks each series once the model exists.
pub fn check_window_fits(base: &BaseConfig, longest: usize) -> Result<(), CoreError> {
    if base.h > longest {
        return Err(CoreError::Incompatible(format!(
            "h = {} is longer than the longest series ({longest} points)",
            base.h
        )));
    }
    if !base.start_padding_enabled && base.input_size >= longest {
        return Err(CoreError::Incompatible(format!(
            "input_size = {} needs series of at least {} points; the longest has {longest} (or set start_padding_enabled)",
            base.input_size,
            base.input_size + 1
        )));
    }
    Ok(())
}

/// Fits `model` on `set`, holding out the last `val_size` points of every series for validation:
/// [`Trainer::new`] and [`Trainer::run`].
pub fn fit(
    model: &mut dyn NeuralModel,
    set: &SeriesSet,
    val_size: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Result<FitReport, CoreError> {
    Trainer::new(model, set, val_size)?.run(model, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::SeriesSet;
    use crate::{BaseConfig, Capabilities, ModelOutput, WindowBatch};
    use neurodiv_autodiff::Tensor;
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
        fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
            if ctx.training() {
                let next = ctx.p(self.passes).value().map(|v| v + 1.0);
                ctx.set_buffer(self.passes, next);
            }
            let rows = batch.insample_y.shape()[0];
            let y = self.lin.forward(ctx, batch.insample_y);
            y.mul(ctx.p(self.frozen))
                .reshape(&[rows, self.base.h, 1]) // [B, h] -> [B, h, 1]
                .into()
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

    #[test]
    fn steps_use_the_configured_schedule() {
        let mut base = BaseConfig::new(3, 6);
        base.max_steps = 8;
        base.learning_rate = 0.1;
        base.lr_scheduler = neurodiv_optim::LrSchedulerKind::Cosine;
        base.warmup_steps = 4;
        let expected = base.lr_scheduler.build(0.1, 8, -1, 4).unwrap();
        let mut store = ParamStore::new();
        let lin = Linear::new(&mut store, "lin", 6, 3, true, &mut Rng::new(1));
        let frozen = store.add_buffer("frozen", Tensor::full(&[1], 1.0));
        let passes = store.add_buffer("passes", Tensor::zeros(&[1]));
        let mut model = WithBuffers {
            base,
            store,
            lin,
            frozen,
            passes,
        };
        let frame = neurodiv_data::PanelFrame::from_csv_path(
            "../../data/air_passengers.csv",
            &Default::default(),
        )
        .unwrap();
        let set = SeriesSet::from_frame(&frame, &model.base, None).unwrap();
        let mut rates = Vec::new();
        fit(&mut model, &set, 0, &mut |p| rates.push(p.learning_rate)).unwrap();
        let want: Vec<f32> = (0..8).map(|s| expected.lr(s)).collect();
        assert_eq!(rates, want);
        assert!(rates[0] < rates[3] && rates[4] == 0.1 && rates[7] < rates[4]);
    }
}
