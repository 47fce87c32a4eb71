//! The `NeuralModel` trait: what every forecasting model implements. A model holds its config and
//! parameters, describes itself ([`ModelSpec`]: what it consumes, which windows it reads, what it
//! outputs and how it predicts) and defines its forward pass on a windows batch; the trainer, the
//! output head and the predictors do everything else.

use crate::BaseConfig;
use crate::head::{OutputHead, head_for};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_nn::{Ctx, ParamStore};

/// What a model can consume. (How it reads and predicts, recurrent or not, is the rest of its
/// [`ModelSpec`].)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Accepts future-known exogenous columns (`futr_exog_list`).
    pub futr_exog: bool,
    /// Accepts historical exogenous columns (`hist_exog_list`).
    pub hist_exog: bool,
    /// Accepts static exogenous columns (`stat_exog_list`).
    pub stat_exog: bool,
    /// Forecasts `n_series` series jointly (windows hold every series).
    pub multivariate: bool,
}

impl Capabilities {
    /// A univariate model that takes every kind of exogenous column.
    pub const ALL_EXOG: Capabilities = Capabilities {
        futr_exog: true,
        hist_exog: true,
        stat_exog: true,
        multivariate: false,
    };
}

/// Which part of a series a model reads before each forecast origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputWindow {
    /// The last `input_size` points (left-padded and masked where the series is shorter).
    Fixed,
    /// The whole history up to the origin, at most `max` points (all of the longest series when
    /// `None`): windows of one batch are left-padded and masked to the longest of them.
    History {
        /// Upper bound on the points read.
        max: Option<usize>,
    },
}

impl InputWindow {
    /// The input points of a window: `fixed` for fixed windows; for whole histories the longest
    /// history (`longest` points, at least 1), capped at `max`.
    pub fn points(self, fixed: usize, longest: usize) -> usize {
        match self {
            InputWindow::Fixed => fixed,
            InputWindow::History { max } => {
                let longest = longest.max(1);
                max.map_or(longest, |m| m.clamp(1, longest))
            }
        }
    }
}

/// What the forward pass returns along its time axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputSteps {
    /// The `h` steps after the input window: `[B, h, m]` (`[B, h, N, m]` multivariate).
    Horizon,
    /// A one-step-ahead output after every input point (teacher forcing): `[B, T, m]` for an
    /// input of `T` points, where output `t` forecasts point `t + 1`.
    ///
    /// Training windows hold `L` context points (the scaler's statistics come from them) and
    /// `h_train` targets; the forward pass reads the context and the first `h_train - 1` targets
    /// (`insample_y` `[B, L + h_train - 1]`, historical exogenous columns of the context only,
    /// future ones `[B, L + h_train, F]`), and its last `h_train` outputs are scored against the
    /// targets. This is NeuralForecast's recurrent training (`h = h_train` while training).
    EveryStep {
        /// Outputs scored by the training loss, counted back from the last one.
        h_train: usize,
    },
}

/// How forecasts are produced from the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredictKind {
    /// One forward pass per window gives all `h` steps.
    Direct,
    /// One step at a time through [`RecursiveModel`]: the state is carried and each point
    /// forecast is fed back as the next input.
    Recursive,
    /// Monte Carlo through [`RecursiveModel`]: `paths` trajectories per window, each step a draw
    /// of the output head's distribution fed back; the columns are the paths' mean and quantiles.
    Sampled {
        /// Trajectories per window.
        paths: usize,
    },
}

/// A model's description of itself: what it consumes, reads, outputs and how it predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// What the model consumes.
    pub capabilities: Capabilities,
    /// The windows it reads.
    pub input: InputWindow,
    /// What the forward pass returns.
    pub output: OutputSteps,
    /// How it predicts.
    pub predict: PredictKind,
    /// Input points of the training windows with fixed windows; `None` reads `input_size`.
    /// (NeuralForecast's recurrent models read `input_size + 1`.)
    pub train_input_size: Option<usize>,
    /// Input points read at prediction time with fixed windows (NeuralForecast's
    /// `inference_input_size`); `None` reads the training windows' input points.
    pub inference_input_size: Option<usize>,
}

impl ModelSpec {
    /// A direct model reading fixed windows and returning the horizon: the eleven models of the
    /// MLP and linear families.
    pub fn direct(capabilities: Capabilities) -> Self {
        ModelSpec {
            capabilities,
            input: InputWindow::Fixed,
            output: OutputSteps::Horizon,
            predict: PredictKind::Direct,
            train_input_size: None,
            inference_input_size: None,
        }
    }
}

/// What a forward pass returns.
#[derive(Debug, Clone)]
pub struct ModelOutput<'t> {
    /// The raw outputs the head reads, in the scaled space: `[B, h, m]` (`[B, h, N, m]` for
    /// multivariate models, `[B, L, m]` for [`OutputSteps::EveryStep`]).
    pub y: Var<'t>,
    /// A term added to the training loss (regularisers, auxiliary objectives).
    pub aux_loss: Option<Var<'t>>,
    /// Named by-products users may ask for at predict time (attention weights, variable
    /// importances), each with the batch on its first axis.
    pub extras: Vec<(String, Var<'t>)>,
}

impl<'t> From<Var<'t>> for ModelOutput<'t> {
    fn from(y: Var<'t>) -> Self {
        ModelOutput {
            y,
            aux_loss: None,
            extras: Vec::new(),
        }
    }
}

/// The state a recursive model carries between steps: plain tensors, so that every step can run
/// on a fresh no-grad tape and inference memory is the peak, not the sum, of the steps.
pub type RecurrentState = Vec<Tensor>;

/// The step interface of models that predict recursively ([`PredictKind::Recursive`] and
/// [`PredictKind::Sampled`]). Values are in the scaled space.
pub trait RecursiveModel {
    /// Reads the input window and returns the output for the first point after it (`[B, 1, m]`)
    /// and the state after the window.
    fn start<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> (Var<'t>, RecurrentState);
    /// Feeds the value `y` (`[B]`, the previous step's forecast or draw) with the state, and
    /// returns the output for the next point (`[B, 1, m]`) and the new state. `futr` holds the
    /// future exogenous values at that next point (`[B, F]`), when the model takes them.
    fn step<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        state: &RecurrentState,
        y: Var<'t>,
        futr: Option<Var<'t>>,
    ) -> (Var<'t>, RecurrentState);
}

/// The inputs of one forward pass, already scaled.
///
/// Univariate models see `B` windows of one series each; multivariate models see `B` windows
/// that each hold all `N` series (a trailing series axis).
#[derive(Debug, Clone, Copy)]
pub struct WindowBatch<'t> {
    /// `[B, L]` (univariate) or `[B, L, N]` (multivariate): the input part of each window.
    pub insample_y: Var<'t>,
    /// Same shape as `insample_y`: 1 where observed, 0 where padded or missing.
    pub insample_mask: Var<'t>,
    /// `[B, L + h, F]` (or `[B, F, L + h, N]`): future-known exogenous columns.
    pub futr_exog: Option<Var<'t>>,
    /// `[B, L, X]` (or `[B, X, L, N]`): historical exogenous columns.
    pub hist_exog: Option<Var<'t>>,
    /// `[B, S]` (or `[N, S]`): static exogenous columns of each window's series.
    pub stat_exog: Option<Var<'t>>,
}

/// Which point's exogenous values a per-step input reads ([`WindowBatch::step_inputs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExogAlign {
    /// The step's own point (direct models).
    Same,
    /// The next point, the one the step forecasts (NeuralForecast's recurrent mode shifts the
    /// exogenous columns by one; historical values past the context read as 0).
    Next,
}

impl<'t> WindowBatch<'t> {
    /// The per-step input of a sequence encoder, `[B, T, 1 + X + S + F]` (univariate batches):
    /// at every input point the target, the historical columns, the static columns (repeated)
    /// and the future columns; [`BaseConfig::step_features`] counts them.
    pub fn step_inputs(&self, align: ExogAlign) -> Var<'t> {
        let y = self.insample_y;
        let (b, t) = (y.shape()[0], y.shape()[1]);
        let mut parts = vec![y.unsqueeze(2)]; // [B, T] -> [B, T, 1]
        if let Some(x) = self.hist_exog {
            let lh = x.shape()[1]; // [B, Lh, X], Lh <= T
            parts.push(match align {
                ExogAlign::Same => x.slice(1, 0, t),
                // [B, Lh, X] -> [B, Lh - 1, X] -> [B, T, X]
                ExogAlign::Next => x.slice(1, 1, lh).pad(1, 0, t + 1 - lh, 0.0),
            });
        }
        if let Some(s) = self.stat_exog {
            let ns = s.shape()[1];
            parts.push(s.unsqueeze(1).expand(&[b, t, ns])); // [B, S] -> [B, T, S]
        }
        if let Some(f) = self.futr_exog {
            let off = usize::from(align == ExogAlign::Next);
            parts.push(f.slice(1, off, off + t)); // [B, T + h, F] -> [B, T, F]
        }
        if parts.len() == 1 {
            parts[0]
        } else {
            Var::concat(&parts, 2)
        }
    }
}

/// A forecasting model: its config, its parameters and its forward pass.
pub trait NeuralModel: Send + Sync + std::fmt::Debug {
    /// NeuralForecast's class name (`"MLP"`, `"NHITS"`, ...).
    fn name(&self) -> &'static str;
    /// The shared training configuration.
    fn base(&self) -> &BaseConfig;
    /// What the model accepts.
    fn capabilities(&self) -> Capabilities;
    /// How the model reads, outputs and predicts (default: a direct model on fixed windows).
    fn spec(&self) -> ModelSpec {
        ModelSpec::direct(self.capabilities())
    }
    /// The output head: turns raw outputs into the training loss and forecast columns (default:
    /// the one of the configured loss).
    fn head(&self) -> Box<dyn OutputHead> {
        head_for(&self.base().loss)
    }
    /// The step interface, for models that predict recursively or by sampling paths.
    fn recursive(&self) -> Option<&dyn RecursiveModel> {
        None
    }
    /// The parameters.
    fn params(&self) -> &ParamStore;
    /// The parameters, mutable (for the optimizer and for loading checkpoints).
    fn params_mut(&mut self) -> &mut ParamStore;
    /// Forward pass: the raw outputs (see [`ModelOutput::y`] for their shape; `m` is the loss's
    /// output size multiplier), in the scaled space, with optional auxiliary loss and extras.
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t>;
    /// The full model config as JSON (model-specific fields and the base config), used by
    /// checkpoints to rebuild the model.
    fn config_json(&self) -> String;
    /// For multivariate models, the number of series they forecast jointly (`n_series`).
    fn n_series(&self) -> Option<usize> {
        None
    }
    /// The name used for output columns: the alias if set, else the class name.
    fn alias(&self) -> String {
        self.base()
            .alias
            .clone()
            .unwrap_or_else(|| self.name().to_string())
    }
}

/// Writes the [`NeuralModel`] accessors that every model implements the same way (`base`,
/// `params`, `params_mut`, `config_json`), inside an `impl NeuralModel for ...` block of a struct
/// with a `config` field (holding `base: BaseConfig`, serialisable) and a `store: ParamStore` field.
#[macro_export]
macro_rules! model_accessors {
    () => {
        fn base(&self) -> &$crate::BaseConfig {
            &self.config.base
        }
        fn params(&self) -> &$crate::reexports::ParamStore {
            &self.store
        }
        fn params_mut(&mut self) -> &mut $crate::reexports::ParamStore {
            &mut self.store
        }
        fn config_json(&self) -> String {
            $crate::reexports::serde_json::to_string(&self.config).expect("configs serialise")
        }
    };
}
