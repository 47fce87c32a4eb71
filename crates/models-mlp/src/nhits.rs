//! NHITS: Neural Hierarchical Interpolation for Time Series forecasting.
//!
//! Challu, Olivares, Oreshkin, Garza, Mergenthaler-Canseco, Dubrawski, "NHITS: Neural
//! Hierarchical Interpolation for Time Series Forecasting", AAAI 2023 (arXiv:2201.12886).
//!
//! A stack of MLP blocks works on the residual of the (time-reversed) input window. Each block
//! max-pools its input with its own kernel (multi-rate sampling), maps it through an MLP to a
//! backcast of the input and a few forecast knots, and interpolates the knots to the horizon
//! (hierarchical interpolation: coarse blocks predict few knots, fine blocks many). The
//! forecast is the last observed value plus the sum of the blocks' forecasts.

use crate::blocks::{BlockInput, BlockMlp, check_mlp_units};
use neurodiv_autodiff::ops::InterpolateMode;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// How a block downsamples its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolingMode {
    /// Max pooling (NeuralForecast's default).
    MaxPool1d,
    /// Average pooling.
    AvgPool1d,
}

/// Configuration of [`NHITS`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NHITSConfig {
    /// Shared training knobs (NHITS defaults: `num_lr_decays = 3`).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Blocks per stack (default `[1, 1, 1]`).
    pub n_blocks: Vec<usize>,
    /// The `[in, out]` hidden layer pairs of every block's MLP (default `[[512, 512]; 3]`).
    pub mlp_units: Vec<Vec<usize>>,
    /// Pooling kernel of each stack (default `[2, 2, 1]`).
    pub n_pool_kernel_size: Vec<usize>,
    /// Downsampling of the forecast knots of each stack (default `[4, 2, 1]`).
    pub n_freq_downsample: Vec<usize>,
    /// Pooling (default max).
    pub pooling_mode: PoolingMode,
    /// Knot interpolation (default linear).
    pub interpolation_mode: InterpolateMode,
    /// Dropout on the MLP hidden layers (default 0).
    pub dropout_prob_theta: f32,
    /// Activation (default ReLU).
    pub activation: Activation,
}

impl NHITSConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_mlp::{NHITS, NHITSConfig};
    /// let config = NHITSConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = NHITS::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.num_lr_decays = 3;
        NHITSConfig {
            base,
            n_blocks: vec![1, 1, 1],
            mlp_units: vec![vec![512, 512]; 3],
            n_pool_kernel_size: vec![2, 2, 1],
            n_freq_downsample: vec![4, 2, 1],
            pooling_mode: PoolingMode::MaxPool1d,
            interpolation_mode: InterpolateMode::Linear,
            dropout_prob_theta: 0.0,
            activation: Activation::ReLU,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        let stacks = self.n_blocks.len();
        let bad = |field, reason: String| Err(CoreError::Config { field, reason });
        if stacks == 0 {
            return bad("n_blocks", "needs at least one stack".into());
        }
        check_mlp_units(&self.mlp_units).map_err(|reason| CoreError::Config {
            field: "mlp_units",
            reason,
        })?;
        for (field, len) in [
            ("n_pool_kernel_size", self.n_pool_kernel_size.len()),
            ("n_freq_downsample", self.n_freq_downsample.len()),
        ] {
            if len != stacks {
                return bad(
                    field,
                    format!("has {len} entries but n_blocks has {stacks} stacks"),
                );
            }
        }
        if self.n_pool_kernel_size.contains(&0) || self.n_freq_downsample.contains(&0) {
            return bad(
                "n_pool_kernel_size",
                "kernel sizes and downsampling factors must be positive".into(),
            );
        }
        if !(0.0..1.0).contains(&self.dropout_prob_theta) {
            return bad(
                "dropout_prob_theta",
                format!("must be in [0, 1), got {}", self.dropout_prob_theta),
            );
        }
        Ok(())
    }
}
base_setters!(NHITSConfig);
neurodiv_core::config_setters!(NHITSConfig { n_blocks: Vec<usize>, mlp_units: Vec<Vec<usize>>, n_pool_kernel_size: Vec<usize>, n_freq_downsample: Vec<usize>, pooling_mode: PoolingMode, interpolation_mode: InterpolateMode, dropout_prob_theta: f32, activation: Activation });

#[derive(Debug, Clone)]
struct Block {
    input: BlockInput,
    mlp: BlockMlp,
    n_knots: usize,
}

/// NeuralForecast's `NHITS`.
#[derive(Debug, Clone)]
pub struct NHITS {
    config: NHITSConfig,
    store: ParamStore,
    blocks: Vec<Block>,
}

impl NHITS {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: NHITSConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let m = b.output_multiplier();
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let mut blocks = Vec::new();
        for (s, &n) in config.n_blocks.iter().enumerate() {
            for _ in 0..n {
                let i = blocks.len();
                let k = config.n_pool_kernel_size[s];
                let n_knots = (b.h / config.n_freq_downsample[s]).max(1);
                let input = BlockInput::pooled(b, k, config.pooling_mode == PoolingMode::MaxPool1d);
                let n_theta = b.input_size + n_knots * m;
                let mlp = BlockMlp::new(
                    &mut store,
                    &format!("blocks.{i}"),
                    input.width(),
                    &config.mlp_units,
                    n_theta,
                    config.activation,
                    config.dropout_prob_theta,
                    &mut rng,
                );
                blocks.push(Block {
                    input,
                    mlp,
                    n_knots,
                });
            }
        }
        Ok(NHITS {
            config,
            store,
            blocks,
        })
    }

    /// The config.
    pub fn config(&self) -> &NHITSConfig {
        &self.config
    }
}

impl NeuralModel for NHITS {
    fn name(&self) -> &'static str {
        "NHITS"
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
        let (l, h, m) = (b.input_size, b.h, b.output_multiplier());
        let n = batch.insample_y.shape()[0];
        // Blocks read the window newest-first.
        let mut residuals = batch.insample_y.flip(1); // [B, L]
        let mask = batch.insample_mask.flip(1); // [B, L]
        // Level: the last observed value, repeated over the horizon and outputs.
        let level = batch.insample_y.slice(1, l - 1, l).reshape(&[n, 1, 1]); // [B, 1] -> [B, 1, 1]
        let mut forecast = level.expand(&[n, h, m]); // [B, h, m]
        for block in &self.blocks {
            let x = block.input.build(residuals, batch);
            let theta = block.mlp.forward(ctx, x); // [B, L + knots * m]
            let backcast = theta.slice(1, 0, l); // [B, L]
            let knots = theta
                .slice(1, l, l + block.n_knots * m)
                .reshape(&[n, m, block.n_knots]); // [B, m, knots]
            let block_forecast = knots
                .interpolate1d(h, self.config.interpolation_mode) // [B, m, h]
                .permute(&[0, 2, 1]); // [B, m, h] -> [B, h, m]
            residuals = residuals.sub(backcast).mul(mask);
            forecast = forecast.add(block_forecast);
        }
        forecast.into()
    }
}
