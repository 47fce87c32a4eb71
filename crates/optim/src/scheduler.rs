//! Learning-rate schedules.
//!
//! NeuralForecast configures its scheduler with Lightning's `interval = "step"`, so the schedule
//! advances once per training step. Here [`LrScheduler::lr`]`(step)` is the learning rate used by
//! optimizer step number `step` (0-based): PyTorch's scheduler value after `step` calls of
//! `scheduler.step()`. Rates are computed in f64 (like PyTorch's Python floats) with PyTorch's
//! closed forms, then cast to f32. [`Schedule`] gathers every schedule into one serialisable type.

use crate::OptimError;
use crate::error::check_at_least;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// A learning-rate schedule.
pub trait LrScheduler: Send + Sync + std::fmt::Debug {
    /// The learning rate of optimizer step `step` (0-based).
    fn lr(&self, step: usize) -> f32;
    /// Reports a validation loss (only [`ReduceOnPlateau`] reacts to it).
    fn observe(&mut self, _val_loss: f32) {}
}

fn check_base_lr(lr: f32) -> Result<(), OptimError> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(OptimError::invalid(
            "learning rate",
            lr,
            "must be positive and finite",
        ))
    }
}

/// A constant learning rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConstantLr {
    /// The learning rate.
    pub lr: f32,
}

impl ConstantLr {
    /// Checks that the rate is positive and finite.
    pub fn validate(&self) -> Result<(), OptimError> {
        check_base_lr(self.lr)
    }
}

impl LrScheduler for ConstantLr {
    fn lr(&self, _step: usize) -> f32 {
        self.lr
    }
}

/// `torch.optim.lr_scheduler.StepLR`: `lr(step) = base_lr * gamma^⌊step / step_size⌋`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepLr {
    /// Initial learning rate.
    pub base_lr: f32,
    /// Steps between decays.
    pub step_size: usize,
    /// Multiplicative decay.
    pub gamma: f64,
}

/// NeuralForecast's step size when `num_lr_decays` is not positive (`10e7` in its source).
pub const NF_NO_DECAY_STEPS: usize = 100_000_000;

impl StepLr {
    /// A step schedule, validated.
    pub fn new(base_lr: f32, step_size: usize, gamma: f64) -> Result<Self, OptimError> {
        let s = StepLr {
            base_lr,
            step_size,
            gamma,
        };
        s.validate()?;
        Ok(s)
    }

    /// NeuralForecast's default schedule (`BaseModel.configure_optimizers`): `StepLR` with
    /// `gamma = 0.5` and `step_size = lr_decay_steps`, where
    /// `lr_decay_steps = max(max_steps // num_lr_decays, 1)` when `num_lr_decays > 0`, and
    /// `10e7` (no decay in practice) otherwise (`-1` or `0`). Infallible: the step size is at
    /// least 1 by construction; check `base_lr` with [`StepLr::validate`] (or the model config).
    pub fn neuralforecast(base_lr: f32, max_steps: usize, num_lr_decays: i64) -> Self {
        let step_size = if num_lr_decays > 0 {
            (max_steps / num_lr_decays as usize).max(1)
        } else {
            NF_NO_DECAY_STEPS
        };
        StepLr {
            base_lr,
            step_size,
            gamma: 0.5,
        }
    }

    /// Checks `base_lr > 0`, `step_size >= 1`, `gamma > 0`.
    pub fn validate(&self) -> Result<(), OptimError> {
        check_base_lr(self.base_lr)?;
        if self.step_size == 0 {
            return Err(OptimError::invalid("step_size", 0, "must be at least 1"));
        }
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return Err(OptimError::invalid(
                "gamma",
                self.gamma,
                "must be positive and finite",
            ));
        }
        Ok(())
    }
}

impl LrScheduler for StepLr {
    fn lr(&self, step: usize) -> f32 {
        let k = step / self.step_size;
        let factor = match i32::try_from(k) {
            Ok(k) => self.gamma.powi(k),
            Err(_) => self.gamma.powf(k as f64),
        };
        (self.base_lr as f64 * factor) as f32
    }
}

/// `torch.optim.lr_scheduler.CosineAnnealingLR` (closed form):
/// `lr(step) = eta_min + (base_lr - eta_min) (1 + cos(π step / t_max)) / 2`.
/// Like PyTorch, the cosine continues past `t_max` (it rises again towards `base_lr`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealing {
    /// Initial (maximal) learning rate.
    pub base_lr: f32,
    /// Half period, in steps.
    pub t_max: usize,
    /// Minimal learning rate (default 0 in PyTorch).
    pub eta_min: f64,
}

impl CosineAnnealing {
    /// A cosine schedule, validated.
    pub fn new(base_lr: f32, t_max: usize, eta_min: f64) -> Result<Self, OptimError> {
        let s = CosineAnnealing {
            base_lr,
            t_max,
            eta_min,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks `base_lr > 0`, `t_max >= 1`, `eta_min >= 0`.
    pub fn validate(&self) -> Result<(), OptimError> {
        check_base_lr(self.base_lr)?;
        if self.t_max == 0 {
            return Err(OptimError::invalid("t_max", 0, "must be at least 1"));
        }
        check_at_least(
            "eta_min",
            self.eta_min,
            0.0,
            "must be finite and non-negative",
        )
    }
}

impl LrScheduler for CosineAnnealing {
    fn lr(&self, step: usize) -> f32 {
        let base = self.base_lr as f64;
        let c = (PI * step as f64 / self.t_max as f64).cos();
        (self.eta_min + (base - self.eta_min) * (1.0 + c) / 2.0) as f32
    }
}

/// Shape of the warm-up ramp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WarmupShape {
    /// `factor = s + (1 - s) t / w` (PyTorch's `LinearLR` with `end_factor = 1`).
    Linear,
    /// `factor = s + (1 - s) (1 - cos(π t / w)) / 2` (a half-cosine ramp).
    Cosine,
}

/// Warm-up, then an inner schedule: for `step < warmup_steps` the rate is
/// `inner.lr(0) * factor(step)` with the factor ramping from `start_factor` towards 1 (see
/// [`WarmupShape`]); afterwards it is `inner.lr(step - warmup_steps)`, as PyTorch's
/// `SequentialLR([warmup, inner], milestones=[warmup_steps])` gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warmup {
    /// The schedule after the warm-up.
    pub inner: Box<Schedule>,
    /// Length of the warm-up, in steps.
    pub warmup_steps: usize,
    /// Factor of the first step, in `(0, 1]`.
    pub start_factor: f64,
    /// Shape of the ramp.
    pub shape: WarmupShape,
}

impl Warmup {
    /// Linear warm-up over `warmup_steps` starting at `start_factor`, then `inner`.
    pub fn linear(
        inner: Schedule,
        warmup_steps: usize,
        start_factor: f64,
    ) -> Result<Self, OptimError> {
        Self::with_shape(inner, warmup_steps, start_factor, WarmupShape::Linear)
    }

    /// Half-cosine warm-up over `warmup_steps` starting at `start_factor`, then `inner`.
    pub fn cosine(
        inner: Schedule,
        warmup_steps: usize,
        start_factor: f64,
    ) -> Result<Self, OptimError> {
        Self::with_shape(inner, warmup_steps, start_factor, WarmupShape::Cosine)
    }

    fn with_shape(
        inner: Schedule,
        warmup_steps: usize,
        start_factor: f64,
        shape: WarmupShape,
    ) -> Result<Self, OptimError> {
        let w = Warmup {
            inner: Box::new(inner),
            warmup_steps,
            start_factor,
            shape,
        };
        w.validate()?;
        Ok(w)
    }

    /// Checks `warmup_steps >= 1`, `0 < start_factor <= 1` and the inner schedule.
    pub fn validate(&self) -> Result<(), OptimError> {
        if self.warmup_steps == 0 {
            return Err(OptimError::invalid("warmup_steps", 0, "must be at least 1"));
        }
        if !(self.start_factor > 0.0 && self.start_factor <= 1.0) {
            return Err(OptimError::invalid(
                "start_factor",
                self.start_factor,
                "must be in (0, 1]",
            ));
        }
        self.inner.validate()
    }
}

impl LrScheduler for Warmup {
    fn lr(&self, step: usize) -> f32 {
        if step >= self.warmup_steps {
            return self.inner.lr(step - self.warmup_steps);
        }
        let t = step as f64 / self.warmup_steps as f64;
        let ramp = match self.shape {
            WarmupShape::Linear => t,
            WarmupShape::Cosine => (1.0 - (PI * t).cos()) / 2.0,
        };
        let factor = self.start_factor + (1.0 - self.start_factor) * ramp;
        (self.inner.lr(0) as f64 * factor) as f32
    }

    fn observe(&mut self, val_loss: f32) {
        self.inner.observe(val_loss);
    }
}

/// `torch.optim.lr_scheduler.ReduceLROnPlateau` in `mode = "min"`, `threshold_mode = "rel"`:
/// after each [`observe`](LrScheduler::observe)d loss that is not below
/// `best * (1 - threshold)`, a counter grows; when it exceeds `patience` the rate becomes
/// `max(lr * factor, min_lr)` (if that lowers it by more than `1e-8`) and `cooldown`
/// observations are ignored. The rate does not depend on the step number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReduceOnPlateau {
    /// Current learning rate.
    pub lr: f64,
    /// Multiplicative decrease, in `(0, 1)` (default 0.1).
    pub factor: f64,
    /// Observations without improvement tolerated (default 10).
    pub patience: usize,
    /// Relative improvement needed (default `1e-4`).
    pub threshold: f64,
    /// Lower bound of the rate (default 0).
    pub min_lr: f64,
    /// Observations ignored after a decrease (default 0).
    pub cooldown: usize,
    /// Best loss so far (`None` before the first observation).
    pub best: Option<f64>,
    /// Observations without improvement.
    pub num_bad: usize,
    /// Remaining cooldown.
    pub cooldown_counter: usize,
}

impl ReduceOnPlateau {
    /// PyTorch's defaults (factor 0.1, patience 10, threshold 1e-4, min_lr 0, cooldown 0).
    pub fn new(base_lr: f32) -> Result<Self, OptimError> {
        let s = ReduceOnPlateau {
            lr: base_lr as f64,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            min_lr: 0.0,
            cooldown: 0,
            best: None,
            num_bad: 0,
            cooldown_counter: 0,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the ranges (PyTorch's: `factor < 1`; plus positive rate, non-negative threshold
    /// and `min_lr`).
    pub fn validate(&self) -> Result<(), OptimError> {
        check_base_lr(self.lr as f32)?;
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(OptimError::invalid(
                "factor",
                self.factor,
                "must be in (0, 1)",
            ));
        }
        check_at_least(
            "threshold",
            self.threshold,
            0.0,
            "must be finite and non-negative",
        )?;
        check_at_least(
            "min_lr",
            self.min_lr,
            0.0,
            "must be finite and non-negative",
        )
    }

    fn is_better(&self, v: f64) -> bool {
        match self.best {
            None => v < f64::INFINITY,
            Some(best) => v < best * (1.0 - self.threshold),
        }
    }
}

impl LrScheduler for ReduceOnPlateau {
    fn lr(&self, _step: usize) -> f32 {
        self.lr as f32
    }

    fn observe(&mut self, val_loss: f32) {
        let v = val_loss as f64;
        if self.is_better(v) {
            self.best = Some(v);
            self.num_bad = 0;
        } else {
            self.num_bad += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad = 0;
        }
        if self.num_bad > self.patience {
            let new_lr = (self.lr * self.factor).max(self.min_lr);
            if self.lr - new_lr > 1e-8 {
                self.lr = new_lr;
            }
            self.cooldown_counter = self.cooldown;
            self.num_bad = 0;
        }
    }
}

/// Any schedule, as one serialisable type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// Constant rate.
    Constant(ConstantLr),
    /// Step decay (NeuralForecast's default).
    Step(StepLr),
    /// Cosine annealing.
    Cosine(CosineAnnealing),
    /// Warm-up then another schedule.
    Warmup(Warmup),
    /// Reduce on plateau.
    Plateau(ReduceOnPlateau),
}

impl Schedule {
    /// Checks the schedule's settings.
    pub fn validate(&self) -> Result<(), OptimError> {
        match self {
            Schedule::Constant(s) => s.validate(),
            Schedule::Step(s) => s.validate(),
            Schedule::Cosine(s) => s.validate(),
            Schedule::Warmup(s) => s.validate(),
            Schedule::Plateau(s) => s.validate(),
        }
    }

    fn inner(&self) -> &dyn LrScheduler {
        match self {
            Schedule::Constant(s) => s,
            Schedule::Step(s) => s,
            Schedule::Cosine(s) => s,
            Schedule::Warmup(s) => s,
            Schedule::Plateau(s) => s,
        }
    }
}

impl LrScheduler for Schedule {
    fn lr(&self, step: usize) -> f32 {
        self.inner().lr(step)
    }

    fn observe(&mut self, val_loss: f32) {
        match self {
            Schedule::Warmup(s) => s.observe(val_loss),
            Schedule::Plateau(s) => s.observe(val_loss),
            Schedule::Constant(_) | Schedule::Step(_) | Schedule::Cosine(_) => {}
        }
    }
}

macro_rules! into_schedule {
    ($($t:ident => $v:ident),*) => {
        $(impl From<$t> for Schedule {
            fn from(s: $t) -> Self {
                Schedule::$v(s)
            }
        })*
    };
}
into_schedule!(ConstantLr => Constant, StepLr => Step, CosineAnnealing => Cosine, Warmup => Warmup, ReduceOnPlateau => Plateau);

/// Which schedule a model trains with, by name: NeuralForecast's `lr_scheduler` (a PyTorch class
/// there, one of these kinds here, with an optional linear warm-up). Default: NeuralForecast's
/// step decay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum LrSchedulerKind {
    /// [`StepLr::neuralforecast`], driven by `num_lr_decays` (NeuralForecast's default).
    #[default]
    StepLr,
    /// [`CosineAnnealing`] from the base rate to 0 over the steps after the warm-up.
    Cosine,
    /// [`ConstantLr`].
    Constant,
}

impl LrSchedulerKind {
    /// The lower-case name (`"steplr"`, `"cosine"`, `"constant"`).
    pub fn name(self) -> &'static str {
        match self {
            LrSchedulerKind::StepLr => "steplr",
            LrSchedulerKind::Cosine => "cosine",
            LrSchedulerKind::Constant => "constant",
        }
    }

    /// The schedule of a run of `max_steps` steps at base rate `lr`: for `warmup_steps > 0`, a
    /// linear warm-up from `lr / warmup_steps` ([`Warmup::linear`]) over the first `warmup_steps`
    /// steps, then this kind over the rest. `num_lr_decays` is the step decay's (-1: none); the
    /// other kinds ignore it, as NeuralForecast ignores it when given an `lr_scheduler` (so
    /// NHITS's default of 3 decays does not stand in the way of a cosine).
    pub fn build(
        self,
        lr: f32,
        max_steps: usize,
        num_lr_decays: i64,
        warmup_steps: usize,
    ) -> Result<Schedule, OptimError> {
        check_base_lr(lr)?;
        if warmup_steps >= max_steps {
            return Err(OptimError::invalid(
                "warmup_steps",
                format!("{warmup_steps} (max_steps {max_steps})"),
                "must be below max_steps",
            ));
        }
        let after = max_steps - warmup_steps;
        let schedule: Schedule = match self {
            LrSchedulerKind::StepLr => StepLr::neuralforecast(lr, after, num_lr_decays).into(),
            LrSchedulerKind::Cosine => CosineAnnealing::new(lr, after, 0.0)?.into(),
            LrSchedulerKind::Constant => ConstantLr { lr }.into(),
        };
        if warmup_steps == 0 {
            return Ok(schedule);
        }
        Ok(Warmup::linear(schedule, warmup_steps, 1.0 / warmup_steps as f64)?.into())
    }
}

impl std::str::FromStr for LrSchedulerKind {
    type Err = OptimError;

    /// Case-insensitive, with PyTorch's class names too: `"steplr"`, `"cosine"`
    /// (`"cosineannealinglr"`), `"constant"` (`"constantlr"`).
    fn from_str(s: &str) -> Result<Self, OptimError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "steplr" | "step" => Ok(LrSchedulerKind::StepLr),
            "cosine" | "cosineannealinglr" => Ok(LrSchedulerKind::Cosine),
            "constant" | "constantlr" => Ok(LrSchedulerKind::Constant),
            _ => Err(OptimError::UnknownName {
                kind: "lr_scheduler",
                name: s.to_string(),
                expected: "steplr, cosine, constant",
            }),
        }
    }
}

impl std::fmt::Display for LrSchedulerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
