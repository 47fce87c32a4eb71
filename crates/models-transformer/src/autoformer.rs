//! Autoformer: the decomposition transformer with auto-correlation; NeuralForecast's
//! `Autoformer`.
//!
//! Wu, Xu, Wang, Long, "Autoformer: Decomposition Transformers with Auto-Correlation for
//! Long-Term Series Forecasting", NeurIPS 2021 (arXiv:2106.13008). The window is split into a
//! moving-average trend and a seasonal part; the decoder starts from the last `label_len`
//! seasonal values followed by zeros, and from the last `label_len` trend values followed by
//! the window's mean. Encoder and decoder layers mix time with auto-correlation
//! (`neurodiv_attention::auto_correlation`) and split trend from season after every block;
//! the decoder's trends accumulate onto the initial trend, and the forecast is trend plus
//! season over the last `h` steps.
//!
//! As in NeuralForecast: in training the correlation delays are shared by the batch, in
//! prediction each window picks its own; no attention dropout is applied; the embeddings have
//! no position term.

use crate::blocks::{Dims, Kind, check_encoder_decoder, label_len};
use crate::decomposition::{DecompTransformer, Mixer};
use neurodiv_attention::MultiHeadAttention;
use neurodiv_core::check::{at_least_one, odd};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`Autoformer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoformerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Share of the input window the decoder reads before the horizon, in (0, 1) (default 0.5).
    pub decoder_input_size_multiplier: f32,
    /// Width of the embeddings and of every layer (default 128).
    pub hidden_size: usize,
    /// Dropout of the embeddings, residual branches and feed-forward networks (default 0.05).
    pub dropout: f32,
    /// Auto-correlation keeps `int(factor ln L)` delays (default 3).
    pub factor: usize,
    /// Attention heads (default 4).
    pub n_head: usize,
    /// Channels of the feed-forward networks (default 32).
    pub conv_hidden_size: usize,
    /// Activation of the feed-forward networks, ReLU or GELU (default GELU).
    pub activation: Activation,
    /// Encoder layers (default 2).
    pub encoder_layers: usize,
    /// Decoder layers (default 1).
    pub decoder_layers: usize,
    /// Window of the trend's moving average, odd (default 25).
    #[serde(rename = "MovingAvg_window", alias = "moving_avg_window")]
    pub moving_avg_window: usize,
}

impl AutoformerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.learning_rate = 1e-4;
        base.max_steps = 5000;
        base.inference_windows_batch_size = Some(1024);
        AutoformerConfig {
            base,
            decoder_input_size_multiplier: 0.5,
            hidden_size: 128,
            dropout: 0.05,
            factor: 3,
            n_head: 4,
            conv_hidden_size: 32,
            activation: Activation::GELU,
            encoder_layers: 2,
            decoder_layers: 1,
            moving_avg_window: 25,
        }
    }

    /// The decoder's look-back, `ceil(input_size * decoder_input_size_multiplier)`.
    pub fn label_len(&self) -> usize {
        label_len(self.base.input_size, self.decoder_input_size_multiplier)
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let layers = (self.encoder_layers, self.decoder_layers);
        check_encoder_decoder(
            &self.base,
            self.dims(),
            layers,
            self.decoder_input_size_multiplier,
        )?;
        at_least_one("factor", self.factor)?;
        odd("MovingAvg_window", self.moving_avg_window)
    }

    fn dims(&self) -> Dims {
        Dims {
            hidden: self.hidden_size,
            heads: self.n_head,
            ff: self.conv_hidden_size,
            dropout: self.dropout,
            activation: self.activation,
            // The decomposition network builds its own mixers; this is not read.
            kind: Kind::Full,
        }
    }
}
base_setters!(AutoformerConfig);
neurodiv_core::config_setters!(AutoformerConfig {
    decoder_input_size_multiplier: f32,
    hidden_size: usize,
    dropout: f32,
    factor: usize,
    n_head: usize,
    conv_hidden_size: usize,
    activation: Activation,
    encoder_layers: usize,
    decoder_layers: usize,
    moving_avg_window: usize
});

/// NeuralForecast's `Autoformer`.
#[derive(Debug, Clone)]
pub struct Autoformer {
    config: AutoformerConfig,
    store: ParamStore,
    net: DecompTransformer,
}

impl Autoformer {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: AutoformerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let mut rng = Rng::new(config.base.random_seed);
        let mut store = ParamStore::new();
        let (dims, factor) = (config.dims(), config.factor);
        let per_head = dims.hidden / dims.heads;
        let mut mixer =
            |store: &mut ParamStore, name: &str, _role, rng: &mut Rng| Mixer::Correlation {
                mha: MultiHeadAttention::new(
                    store,
                    name,
                    dims.hidden,
                    dims.heads,
                    (per_head, per_head),
                    rng,
                ),
                factor,
            };
        let layers = (
            config.encoder_layers,
            config.decoder_layers,
            config.moving_avg_window,
        );
        let net =
            DecompTransformer::new(&mut store, &config.base, dims, layers, &mut mixer, &mut rng);
        Ok(Autoformer { config, store, net })
    }

    /// The config.
    pub fn config(&self) -> &AutoformerConfig {
        &self.config
    }
}

impl NeuralModel for Autoformer {
    fn name(&self) -> &'static str {
        "Autoformer"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: true,
            hist_exog: false,
            stat_exog: false,
            multivariate: false,
        }
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let sizes = (b.h, b.input_size, self.config.label_len());
        self.net
            .forward(ctx, self.config.dims(), batch, sizes)
            .into()
    }
}
