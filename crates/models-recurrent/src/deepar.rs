//! DeepAR: an autoregressive LSTM whose every step outputs the parameters of the next point's
//! distribution, NeuralForecast's `DeepAR`.
//!
//! Salinas, Flunkert, Gasthaus & Januschowski, "DeepAR: Probabilistic forecasting with
//! autoregressive recurrent networks", International Journal of Forecasting 36 (2020). Trained
//! like the recurrent mode of the LSTM (teacher forcing over `input_size + 1` points, the last
//! `h_train` one-step outputs scored, by default with the Student-t likelihood), with an MLP
//! decoder from the hidden state to the distribution's parameters.
//!
//! Prediction, two ways:
//! - **default, NeuralForecast's**: step by step, each step's columns (mean and quantiles) from
//!   `trajectory_samples` draws of that step's one-step distribution, and the distribution's
//!   mean fed back. The intervals are those of one-step distributions conditioned on the mean
//!   path, so they do not widen with the uncertainty that accumulates over the horizon. This is
//!   the default because it is what NeuralForecast's DeepAR gives (the parity reference).
//! - **`sample_paths = true`**: `trajectory_samples` Monte Carlo trajectories per window, each
//!   fed its own draws, as the DeepAR paper samples; the columns are the mean and quantiles of
//!   the paths at every step: the joint predictive distribution, whose intervals widen with
//!   the horizon.

use crate::inputs::{
    CAPABILITIES, StepNet, at_least_one, check_h_train, probability, recurrent_spec,
};
use neurodiv_autodiff::Var;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, ModelSpec, NeuralModel, OutputHead,
    PredictKind, RecurrentState, RecursiveModel, WindowBatch, base_setters, head_for,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, CellKind, Ctx, Mlp, ParamStore, Recurrent};
use neurodiv_optim::{Distribution, Loss};
use serde::{Deserialize, Serialize};

/// Configuration of [`DeepAR`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepARConfig {
    /// Shared training knobs (loss: `DistributionLoss(StudentT, level=[80, 90])`, validation
    /// loss MAE, 1024 windows per step, three learning-rate decays, identity scaler).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// One-step outputs scored per training window (default 1).
    pub h_train: usize,
    /// LSTM layers (default 2).
    pub lstm_n_layers: usize,
    /// Units of each LSTM layer (default 128).
    pub lstm_hidden_size: usize,
    /// Dropout between LSTM layers, in training (default 0.1).
    pub lstm_dropout: f32,
    /// Hidden layers of the decoder; 0 (default) makes it one linear layer.
    pub decoder_hidden_layers: usize,
    /// Units of the decoder's hidden layers (default 0; needed when it has any).
    pub decoder_hidden_size: usize,
    /// Activation of the decoder's hidden layers (default ReLU).
    pub decoder_activation: Activation,
    /// Draws per step (default) or trajectories per window (`sample_paths`) (default 100).
    pub trajectory_samples: usize,
    /// Predict with Monte Carlo trajectories instead of NeuralForecast's one-step draws around
    /// the mean path (default false; see the module docs).
    pub sample_paths: bool,
}

/// Largest `trajectory_samples`: 100 times NeuralForecast's default of 100. Prediction draws
/// this many values per window and step.
pub const MAX_TRAJECTORY_SAMPLES: usize = 10_000;

impl DeepARConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_recurrent::{DeepAR, DeepARConfig};
    /// let config = DeepARConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = DeepAR::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.loss = Loss::distribution(Distribution::StudentT, &[80, 90]);
        base.valid_loss = Some(Loss::MAE);
        base.num_lr_decays = 3;
        DeepARConfig {
            base,
            h_train: 1,
            lstm_n_layers: 2,
            lstm_hidden_size: 128,
            lstm_dropout: 0.1,
            decoder_hidden_layers: 0,
            decoder_hidden_size: 0,
            decoder_activation: Activation::ReLU,
            trajectory_samples: 100,
            sample_paths: false,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        if self.base.exclude_insample_y {
            return Err(CoreError::Config {
                field: "exclude_insample_y",
                reason: "DeepAR reads its own past values and cannot exclude them".into(),
            });
        }
        check_h_train(self.h_train, self.base.h)?;
        at_least_one("lstm_n_layers", self.lstm_n_layers)?;
        at_least_one("lstm_hidden_size", self.lstm_hidden_size)?;
        probability("lstm_dropout", self.lstm_dropout)?;
        if self.decoder_hidden_layers > 0 {
            at_least_one("decoder_hidden_size", self.decoder_hidden_size)?;
        }
        at_least_one("trajectory_samples", self.trajectory_samples)?;
        if self.trajectory_samples > MAX_TRAJECTORY_SAMPLES {
            return Err(CoreError::Config {
                field: "trajectory_samples",
                reason: format!(
                    "must be at most {MAX_TRAJECTORY_SAMPLES}, got {}",
                    self.trajectory_samples
                ),
            });
        }
        if self.sample_paths && !self.base.loss.is_distribution() {
            return Err(CoreError::Config {
                field: "sample_paths",
                reason: format!(
                    "sampling trajectories needs a DistributionLoss, not {}",
                    self.base.loss
                ),
            });
        }
        Ok(())
    }
}
base_setters!(DeepARConfig);
neurodiv_core::config_setters!(DeepARConfig {
    h_train: usize,
    lstm_n_layers: usize,
    lstm_hidden_size: usize,
    lstm_dropout: f32,
    decoder_hidden_layers: usize,
    decoder_hidden_size: usize,
    decoder_activation: Activation,
    trajectory_samples: usize,
    sample_paths: bool
});

/// NeuralForecast's `DeepAR`.
#[derive(Debug, Clone)]
pub struct DeepAR {
    config: DeepARConfig,
    store: ParamStore,
    encoder: Recurrent,
    decoder: Mlp,
}

impl DeepAR {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: DeepARConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let hidden = config.lstm_hidden_size;
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let encoder = Recurrent::new(
            &mut store,
            "hist_encoder",
            CellKind::Lstm,
            b.step_features(),
            hidden,
            config.lstm_n_layers,
            true,
            config.lstm_dropout,
            None,
            &mut rng,
        );
        let decoder = Mlp::decoder(
            &mut store,
            "decoder",
            hidden,
            config.decoder_hidden_size,
            config.decoder_hidden_layers + 1,
            b.output_multiplier(),
            config.decoder_activation,
            &mut rng,
        );
        Ok(DeepAR {
            config,
            store,
            encoder,
            decoder,
        })
    }

    /// The config.
    pub fn config(&self) -> &DeepARConfig {
        &self.config
    }

    fn steps(&self) -> StepNet<'_> {
        StepNet {
            encoder: &self.encoder,
            decoder: Some(&self.decoder),
            base: &self.config.base,
        }
    }
}

impl NeuralModel for DeepAR {
    fn name(&self) -> &'static str {
        "DeepAR"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn spec(&self) -> ModelSpec {
        let c = &self.config;
        let predict = if c.sample_paths {
            PredictKind::Sampled {
                paths: c.trajectory_samples,
            }
        } else {
            PredictKind::Recursive
        };
        recurrent_spec(&c.base, c.h_train, predict, None)
    }

    /// The loss's head, drawing `trajectory_samples` per step (NeuralForecast's `n_samples`).
    fn head(&self) -> Box<dyn OutputHead> {
        let mut loss = self.config.base.loss.clone();
        if let Loss::DistributionLoss { num_samples, .. } = &mut loss {
            *num_samples = self.config.trajectory_samples;
        }
        head_for(&loss)
    }

    fn recursive(&self) -> Option<&dyn RecursiveModel> {
        Some(self)
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        self.steps().forward(ctx, batch).into() // [B, T, m]
    }
}

impl RecursiveModel for DeepAR {
    fn start<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> (Var<'t>, RecurrentState) {
        self.steps().start(ctx, batch)
    }

    fn step<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        state: &RecurrentState,
        y: Var<'t>,
        futr: Option<Var<'t>>,
    ) -> (Var<'t>, RecurrentState) {
        self.steps().step(ctx, state, y, futr)
    }
}
