//! MLP: a multi-layer perceptron on the flattened input window and exogenous columns.
//!
//! NeuralForecast's `MLP` (Nixtla, "neuralforecast", 2022); the architecture is the classic
//! feed-forward network of Rumelhart, Hinton & Williams, "Learning representations by
//! back-propagating errors", Nature 323 (1986). The input window, the historical and future
//! exogenous windows and the static features are concatenated into one vector, passed through
//! `num_layers` ReLU layers of `hidden_size` units, and projected to `h * m` outputs.

use neurodiv_autodiff::Var;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, Mlp, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`MLP`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MLPConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Number of hidden layers (default 2).
    pub num_layers: usize,
    /// Units per hidden layer (default 1024).
    pub hidden_size: usize,
}

impl MLPConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_mlp::{MLP, MLPConfig};
    /// let config = MLPConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = MLP::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        MLPConfig {
            base: BaseConfig::new(h, input_size),
            num_layers: 2,
            hidden_size: 1024,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        if self.num_layers == 0 {
            return Err(CoreError::Config {
                field: "num_layers",
                reason: "must be at least 1".into(),
            });
        }
        if self.hidden_size == 0 {
            return Err(CoreError::Config {
                field: "hidden_size",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}
base_setters!(MLPConfig);
neurodiv_core::config_setters!(MLPConfig {
    num_layers: usize,
    hidden_size: usize
});

/// NeuralForecast's `MLP`.
#[derive(Debug, Clone)]
pub struct MLP {
    config: MLPConfig,
    store: ParamStore,
    /// `num_layers` ReLU layers of `hidden_size`, then the output layer.
    mlp: Mlp,
}

impl MLP {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: MLPConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let input_total = b.input_size
            + b.hist_exog_list.len() * b.input_size
            + b.futr_exog_list.len() * (b.input_size + b.h)
            + b.stat_exog_list.len();
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        // [input, hidden x num_layers, output]: ReLU after every layer but the last.
        let mut sizes = vec![input_total];
        sizes.extend(std::iter::repeat_n(config.hidden_size, config.num_layers));
        sizes.push(b.h * b.output_multiplier());
        let mlp = Mlp::new(&mut store, "mlp", &sizes, Activation::ReLU, 0.0, &mut rng);
        Ok(MLP { config, store, mlp })
    }

    /// The config.
    pub fn config(&self) -> &MLPConfig {
        &self.config
    }
}

impl NeuralModel for MLP {
    fn name(&self) -> &'static str {
        "MLP"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: true,
            hist_exog: true,
            stat_exog: true,
            ..Capabilities::default()
        }
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let shape = batch.insample_y.shape(); // [B, L]
        let n = shape[0];
        let mut parts = vec![batch.insample_y];
        if let Some(x) = batch.hist_exog {
            parts.push(x.reshape(&[n, b.input_size * b.hist_exog_list.len()])); // [B, L, X] -> [B, L*X]
        }
        if let Some(x) = batch.futr_exog {
            parts.push(x.reshape(&[n, (b.input_size + b.h) * b.futr_exog_list.len()])); // [B, L+h, F] -> [B, (L+h)*F]
        }
        if let Some(x) = batch.stat_exog {
            parts.push(x); // [B, S]
        }
        let x = if parts.len() == 1 {
            parts[0]
        } else {
            Var::concat(&parts, 1)
        };
        let m = b.output_multiplier();
        self.mlp.forward(ctx, x).reshape(&[n, b.h, m]).into() // [B, h*m] -> [B, h, m]
    }
}
