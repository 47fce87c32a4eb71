//! `BaseConfig`: the training knobs every model shares, with NeuralForecast's names and defaults.

use crate::CoreError;
use neurodiv_data::ScalerType;
use neurodiv_optim::{Loss, LrSchedulerKind, OptimizerKind};
use serde::{Deserialize, Serialize};

/// Largest forecast horizon `h` a config accepts. NeuralForecast's long-horizon benchmarks use
/// `h` up to 720; the cap is far above any such use and keeps a window batch (and bases such as
/// NBEATS's, which grow with `h²`) within memory. The command line also requires `h` to be at
/// most the length of the longest series.
pub const MAX_H: usize = 10_000;
/// Largest `input_size` a config accepts (windows of a few thousand points are the largest in
/// common use; this keeps a window batch within memory).
pub const MAX_INPUT_SIZE: usize = 100_000;
/// Largest `max_steps` a config accepts: 200 times the largest default (DLinear's 5000). A
/// longer run can be stopped with Ctrl-C on the command line.
pub const MAX_STEPS: usize = 1_000_000;
/// Largest number of values in one batch of training windows, `windows_batch_size` times
/// `input_size + h` (1 GiB of f32); the default 1024 windows fit any `h` and `input_size` within
/// the caps above.
pub const MAX_WINDOW_VALUES: usize = 1 << 28;
/// Default of [`BaseConfig::divergence_factor`].
pub const DEFAULT_DIVERGENCE_FACTOR: f32 = 1e6;

fn default_divergence_factor() -> Option<f32> {
    Some(DEFAULT_DIVERGENCE_FACTOR)
}

/// The knobs NeuralForecast's `BaseModel` takes, with its defaults. Models compose it with their
/// own fields (see each model's config); setters take and return the config, builder style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseConfig {
    /// Forecast horizon.
    pub h: usize,
    /// Length of the input window (`input_size`).
    pub input_size: usize,
    /// Training loss (default MAE).
    pub loss: Loss,
    /// Validation loss (default: the training loss).
    pub valid_loss: Option<Loss>,
    /// Number of training steps (default 1000).
    pub max_steps: usize,
    /// Adam learning rate (default 1e-3).
    pub learning_rate: f32,
    /// Number of halvings of the learning rate over `max_steps`; -1 for none.
    pub num_lr_decays: i64,
    /// Validation checks without improvement before stopping; -1 disables early stopping.
    pub early_stop_patience_steps: i64,
    /// Steps between validation checks (default 100).
    pub val_check_steps: usize,
    /// Series per training step (default 32).
    pub batch_size: usize,
    /// Series per validation batch (default: `batch_size`).
    pub valid_batch_size: Option<usize>,
    /// Windows sampled per training step (default 1024).
    pub windows_batch_size: usize,
    /// Windows per inference batch; `None` (NeuralForecast's -1) means all at once.
    pub inference_windows_batch_size: Option<usize>,
    /// Distance between consecutive training windows (default 1).
    pub step_size: usize,
    /// Per-window temporal scaler (default identity).
    pub scaler_type: ScalerType,
    /// Seed of every random draw of the model (default 1).
    pub random_seed: u64,
    /// Pads the start of each series so that its first points can be forecast targets.
    pub start_padding_enabled: bool,
    /// Future-known exogenous columns.
    pub futr_exog_list: Vec<String>,
    /// Historical exogenous columns.
    pub hist_exog_list: Vec<String>,
    /// Static exogenous columns.
    pub stat_exog_list: Vec<String>,
    /// Hides the target's history from the model (exogenous-only forecasting).
    pub exclude_insample_y: bool,
    /// Clip the gradient norm to this value (default: no clipping).
    pub gradient_clip_val: Option<f32>,
    /// Optimizer (default Adam).
    pub optimizer: OptimizerKind,
    /// Learning-rate schedule (default NeuralForecast's step decay, set by `num_lr_decays`);
    /// configs saved without the field get the default.
    #[serde(default)]
    pub lr_scheduler: LrSchedulerKind,
    /// Steps of linear learning-rate warm-up before the schedule (default 0: none). Not in
    /// NeuralForecast.
    #[serde(default)]
    pub warmup_steps: usize,
    /// Output column name (default: the model's class name).
    pub alias: Option<String>,
    /// Training stops with [`CoreError::Diverged`] when a step's loss exceeds this factor times
    /// the first step's (in absolute value, at least 1e-3); `None` disables the check. Not in
    /// NeuralForecast. Default 1e6 (see `Trainer::step` for why); configs saved without the
    /// field get the default.
    #[serde(default = "default_divergence_factor")]
    pub divergence_factor: Option<f32>,
}

impl BaseConfig {
    /// NeuralForecast's defaults for a horizon `h` and an input window of `input_size`.
    pub fn new(h: usize, input_size: usize) -> Self {
        BaseConfig {
            h,
            input_size,
            loss: Loss::MAE,
            valid_loss: None,
            max_steps: 1000,
            learning_rate: 1e-3,
            num_lr_decays: -1,
            early_stop_patience_steps: -1,
            val_check_steps: 100,
            batch_size: 32,
            valid_batch_size: None,
            windows_batch_size: 1024,
            inference_windows_batch_size: None,
            step_size: 1,
            scaler_type: ScalerType::Identity,
            random_seed: 1,
            start_padding_enabled: false,
            futr_exog_list: Vec::new(),
            hist_exog_list: Vec::new(),
            stat_exog_list: Vec::new(),
            exclude_insample_y: false,
            gradient_clip_val: None,
            optimizer: OptimizerKind::Adam,
            lr_scheduler: LrSchedulerKind::StepLr,
            warmup_steps: 0,
            alias: None,
            divergence_factor: default_divergence_factor(),
        }
    }

    /// Checks ranges, returning a typed error that names the field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |field: &'static str, reason: String| Err(CoreError::Config { field, reason });
        if self.h == 0 {
            return bad("h", "must be at least 1".into());
        }
        if self.input_size == 0 {
            return bad("input_size", "must be at least 1".into());
        }
        for (field, v, max) in [
            ("h", self.h, MAX_H),
            ("input_size", self.input_size, MAX_INPUT_SIZE),
            ("max_steps", self.max_steps, MAX_STEPS),
        ] {
            if v > max {
                return bad(field, format!("must be at most {max}, got {v}"));
            }
        }
        if self.max_steps == 0 {
            return bad("max_steps", "must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(
                "learning_rate",
                format!("must be positive and finite, got {}", self.learning_rate),
            );
        }
        if self.num_lr_decays == 0 || self.num_lr_decays < -1 {
            return bad(
                "num_lr_decays",
                format!(
                    "must be -1 (no decay) or positive, got {}",
                    self.num_lr_decays
                ),
            );
        }
        if self.early_stop_patience_steps == 0 || self.early_stop_patience_steps < -1 {
            return bad(
                "early_stop_patience_steps",
                format!(
                    "must be -1 (off) or positive, got {}",
                    self.early_stop_patience_steps
                ),
            );
        }
        for (field, v) in [
            ("val_check_steps", self.val_check_steps),
            ("batch_size", self.batch_size),
            ("windows_batch_size", self.windows_batch_size),
            ("step_size", self.step_size),
            ("valid_batch_size", self.valid_batch_size.unwrap_or(1)),
            (
                "inference_windows_batch_size",
                self.inference_windows_batch_size.unwrap_or(1),
            ),
        ] {
            if v == 0 {
                return bad(field, "must be at least 1".into());
            }
        }
        let window = self.input_size + self.h; // both capped above: no overflow
        if self
            .windows_batch_size
            .checked_mul(window)
            .is_none_or(|n| n > MAX_WINDOW_VALUES)
        {
            return bad(
                "windows_batch_size",
                format!(
                    "times input_size + h ({window}) must be at most {MAX_WINDOW_VALUES} values, got {}",
                    self.windows_batch_size
                ),
            );
        }
        self.lr_scheduler
            .build(
                self.learning_rate,
                self.max_steps,
                self.num_lr_decays,
                self.warmup_steps,
            )
            .map_err(|e| CoreError::Config {
                field: if self.warmup_steps >= self.max_steps {
                    "warmup_steps"
                } else {
                    "lr_scheduler"
                },
                reason: e.to_string(),
            })?;
        if let Some(c) = self.gradient_clip_val
            && !(c.is_finite() && c > 0.0)
        {
            return bad("gradient_clip_val", format!("must be positive, got {c}"));
        }
        if let Some(f) = self.divergence_factor
            && !(f.is_finite() && f > 1.0)
        {
            return bad(
                "divergence_factor",
                format!("must be above 1 and finite (or null to disable the check), got {f}"),
            );
        }
        for (field, loss) in [
            ("loss", Some(&self.loss)),
            ("valid_loss", self.valid_loss.as_ref()),
        ] {
            if let Some(l) = loss {
                l.validate()
                    .and_then(|()| l.check_input_size(self.input_size))
                    .map_err(|e| CoreError::Config {
                        field,
                        reason: e.to_string(),
                    })?;
            }
        }
        Ok(())
    }

    /// Input features per step of a sequence encoder (`WindowBatch::step_inputs`):
    /// `1 + X + S + F`, the target and every exogenous column.
    pub fn step_features(&self) -> usize {
        1 + self.hist_exog_list.len() + self.stat_exog_list.len() + self.futr_exog_list.len()
    }

    /// Output size multiplier of the loss (1 for point losses).
    pub fn output_multiplier(&self) -> usize {
        self.loss.outputsize_multiplier()
    }
}

/// Builder setters for every `BaseConfig` field, generated for a config type with a `base` field.
#[macro_export]
macro_rules! base_setters {
    ($ty:ty) => {
        impl $ty {
            $crate::base_setters!(@set max_steps: usize, learning_rate: f32, num_lr_decays: i64,
                early_stop_patience_steps: i64, val_check_steps: usize, batch_size: usize,
                windows_batch_size: usize, step_size: usize, random_seed: u64,
                start_padding_enabled: bool, exclude_insample_y: bool,
                loss: $crate::reexports::Loss, scaler_type: $crate::reexports::ScalerType,
                optimizer: $crate::reexports::OptimizerKind,
                lr_scheduler: $crate::reexports::LrSchedulerKind, warmup_steps: usize);
            /// Sets the validation loss.
            pub fn valid_loss(mut self, v: $crate::reexports::Loss) -> Self {
                self.base.valid_loss = Some(v);
                self
            }
            /// Sets the series per validation batch.
            pub fn valid_batch_size(mut self, v: usize) -> Self {
                self.base.valid_batch_size = Some(v);
                self
            }
            /// Sets the windows per inference batch.
            pub fn inference_windows_batch_size(mut self, v: usize) -> Self {
                self.base.inference_windows_batch_size = Some(v);
                self
            }
            /// Sets the divergence check's factor; `None` disables the check.
            pub fn divergence_factor(mut self, v: Option<f32>) -> Self {
                self.base.divergence_factor = v;
                self
            }
            /// Sets gradient-norm clipping.
            pub fn gradient_clip_val(mut self, v: f32) -> Self {
                self.base.gradient_clip_val = Some(v);
                self
            }
            /// Sets the output column name.
            pub fn alias(mut self, v: impl Into<String>) -> Self {
                self.base.alias = Some(v.into());
                self
            }
            /// Sets the future-known exogenous columns.
            pub fn futr_exog_list<S: Into<String>>(mut self, v: impl IntoIterator<Item = S>) -> Self {
                self.base.futr_exog_list = v.into_iter().map(Into::into).collect();
                self
            }
            /// Sets the historical exogenous columns.
            pub fn hist_exog_list<S: Into<String>>(mut self, v: impl IntoIterator<Item = S>) -> Self {
                self.base.hist_exog_list = v.into_iter().map(Into::into).collect();
                self
            }
            /// Sets the static exogenous columns.
            pub fn stat_exog_list<S: Into<String>>(mut self, v: impl IntoIterator<Item = S>) -> Self {
                self.base.stat_exog_list = v.into_iter().map(Into::into).collect();
                self
            }
        }
    };
    (@set $($field:ident : $t:ty),*) => {
        $(
            #[doc = concat!("Sets `", stringify!($field), "`.")]
            pub fn $field(mut self, v: $t) -> Self {
                self.base.$field = v;
                self
            }
        )*
    };
}

/// Builder setters for a config's own (model-specific) fields:
/// `config_setters!(MLPConfig { num_layers: usize, hidden_size: usize })`.
#[macro_export]
macro_rules! config_setters {
    ($ty:ty { $($field:ident : $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $field(mut self, v: $t) -> Self {
                    self.$field = v;
                    self
                }
            )*
        }
    };
}

/// Range checks for the fields of model configs, each a typed error naming the field.
pub mod check {
    use crate::CoreError;

    /// An error unless `value >= 1`.
    pub fn at_least_one(field: &'static str, value: usize) -> Result<(), CoreError> {
        if value == 0 {
            return Err(CoreError::Config {
                field,
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// An error unless `value` is odd (a centred window).
    pub fn odd(field: &'static str, value: usize) -> Result<(), CoreError> {
        if value.is_multiple_of(2) {
            return Err(CoreError::Config {
                field,
                reason: format!("must be odd, got {value}"),
            });
        }
        Ok(())
    }

    /// An error unless `0 <= p < 1` (a dropout probability).
    pub fn probability(field: &'static str, p: f32) -> Result<(), CoreError> {
        if !(0.0..1.0).contains(&p) {
            return Err(CoreError::Config {
                field,
                reason: format!("must be in [0, 1), got {p}"),
            });
        }
        Ok(())
    }
}
