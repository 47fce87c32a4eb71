//! The `NeuralModel` trait: what every forecasting model implements. Models hold their config and
//! parameters and define the forward pass on a windows batch; the trainer does everything else.

use crate::BaseConfig;
use neurodiv_autodiff::Var;
use neurodiv_nn::{Ctx, ParamStore};

/// What a model can consume.
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
    /// Recurrent model.
    pub recurrent: bool,
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

/// A forecasting model: its config, its parameters and its forward pass.
pub trait NeuralModel: Send + Sync + std::fmt::Debug {
    /// NeuralForecast's class name (`"MLP"`, `"NHITS"`, ...).
    fn name(&self) -> &'static str;
    /// The shared training configuration.
    fn base(&self) -> &BaseConfig;
    /// What the model accepts.
    fn capabilities(&self) -> Capabilities;
    /// The parameters.
    fn params(&self) -> &ParamStore;
    /// The parameters, mutable (for the optimizer and for loading checkpoints).
    fn params_mut(&mut self) -> &mut ParamStore;
    /// Forward pass: returns `[B, h, m]` (univariate) or `[B, h, N, m]` (multivariate), where
    /// `m` is the loss's output size multiplier, in the scaled space.
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> Var<'t>;
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
