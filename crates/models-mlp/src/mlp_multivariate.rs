//! MLPMultivariate: one MLP over the input windows of all series at once.
//!
//! NeuralForecast's `MLPMultivariate` (Nixtla, 2024): the multivariate counterpart of its `MLP`
//! (feed-forward network: Rumelhart, Hinton & Williams, Nature 323, 1986). The windows of the
//! `n_series` series, their exogenous windows and static features are flattened into one vector;
//! `num_layers` ReLU layers of `hidden_size` units map it to `h` steps of every series.

use neurodiv_autodiff::Var;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, Mlp, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`MLPMultivariate`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MLPMultivariateConfig {
    /// Shared training knobs (defaults here: 32 windows per step and per inference batch).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Number of series forecast jointly (required by NeuralForecast; default 1 here).
    pub n_series: usize,
    /// Number of hidden layers (default 2).
    pub num_layers: usize,
    /// Units per hidden layer (default 1024).
    pub hidden_size: usize,
}

impl MLPMultivariateConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_mlp::{MLPMultivariate, MLPMultivariateConfig};
    /// let config = MLPMultivariateConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = MLPMultivariate::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.windows_batch_size = 32;
        base.inference_windows_batch_size = Some(32);
        MLPMultivariateConfig {
            base,
            n_series: 1,
            num_layers: 2,
            hidden_size: 1024,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        for (field, v) in [
            ("n_series", self.n_series),
            ("num_layers", self.num_layers),
            ("hidden_size", self.hidden_size),
        ] {
            if v == 0 {
                return Err(CoreError::Config {
                    field,
                    reason: "must be at least 1".into(),
                });
            }
        }
        Ok(())
    }
}
base_setters!(MLPMultivariateConfig);
neurodiv_core::config_setters!(MLPMultivariateConfig {
    n_series: usize,
    num_layers: usize,
    hidden_size: usize
});

/// NeuralForecast's `MLPMultivariate`.
#[derive(Debug, Clone)]
pub struct MLPMultivariate {
    config: MLPMultivariateConfig,
    store: ParamStore,
    /// `num_layers` ReLU layers of `hidden_size`, then the output layer.
    mlp: Mlp,
}

impl MLPMultivariate {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: MLPMultivariateConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (l, h, n) = (b.input_size, b.h, config.n_series);
        let input = n
            * (l + b.hist_exog_list.len() * l
                + b.futr_exog_list.len() * (l + h)
                + b.stat_exog_list.len());
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        // [input, hidden x num_layers, output]: ReLU after every layer but the last.
        let mut sizes = vec![input];
        sizes.extend(std::iter::repeat_n(config.hidden_size, config.num_layers));
        sizes.push(h * n * b.output_multiplier());
        let mlp = Mlp::new(&mut store, "mlp", &sizes, Activation::ReLU, 0.0, &mut rng);
        Ok(MLPMultivariate { config, store, mlp })
    }

    /// The config.
    pub fn config(&self) -> &MLPMultivariateConfig {
        &self.config
    }
}

impl NeuralModel for MLPMultivariate {
    fn name(&self) -> &'static str {
        "MLPMultivariate"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: true,
            hist_exog: true,
            stat_exog: true,
            multivariate: true,
        }
    }

    fn n_series(&self) -> Option<usize> {
        Some(self.config.n_series)
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (h, n, m) = (b.h, self.config.n_series, b.output_multiplier());
        let rows = batch.insample_y.shape()[0];
        let flat = |x: Var<'t>| {
            let len: usize = x.shape()[1..].iter().product();
            x.reshape(&[rows, len])
        };
        let mut parts = vec![flat(batch.insample_y)]; // [B, L, N] -> [B, L*N]
        if let Some(x) = batch.hist_exog {
            parts.push(flat(x)); // [B, X, L, N] -> [B, X*L*N]
        }
        if let Some(x) = batch.futr_exog {
            parts.push(flat(x)); // [B, F, L+h, N] -> [B, F*(L+h)*N]
        }
        if let Some(x) = batch.stat_exog {
            let s = x.shape();
            parts.push(x.reshape(&[1, s[0] * s[1]]).expand(&[rows, s[0] * s[1]])); // [N, S] -> [B, N*S]
        }
        let x = if parts.len() == 1 {
            parts[0]
        } else {
            Var::concat(&parts, 1)
        };
        self.mlp.forward(ctx, x).reshape(&[rows, h, n, m]).into() // [B, h*N*m] -> [B, h, N, m]
    }
}
