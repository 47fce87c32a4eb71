//! VanillaTransformer: the full-attention encoder-decoder baseline of the Informer paper, with
//! a one-shot decoder; NeuralForecast's `VanillaTransformer`.
//!
//! Vaswani et al., "Attention Is All You Need", NeurIPS 2017 (arXiv:1706.03762), as set up for
//! forecasting by Zhou et al., "Informer: Beyond Efficient Transformer for Long Sequence
//! Time-Series Forecasting", AAAI 2021 (arXiv:2012.07436). The window is embedded (a circular
//! value convolution, sinusoidal positions, the future exogenous columns through a linear map)
//! and encoded; the decoder reads the last `label_len = ceil(input_size *
//! decoder_input_size_multiplier)` inputs followed by `h` zeros, attends to itself and to the
//! encoder, and its last `h` outputs are the forecast.
//!
//! As in NeuralForecast, the decoder's self-attention is not masked: its `FullAttention` is
//! built with `mask_flag=True` but handed no mask, and the flash kernel it calls then masks
//! nothing. The zeros of the horizon can therefore attend to each other and to the label part.

use crate::blocks::{Dims, EncoderDecoder, Kind, check_encoder_decoder, label_len};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`VanillaTransformer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VanillaTransformerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Share of the input window the decoder reads before the horizon, in (0, 1) (default 0.5).
    pub decoder_input_size_multiplier: f32,
    /// Width of the embeddings and of every layer (default 128).
    pub hidden_size: usize,
    /// Dropout of the embeddings, attention weights and residual branches (default 0.05).
    pub dropout: f32,
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
}

impl VanillaTransformerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.learning_rate = 1e-4;
        base.max_steps = 5000;
        base.inference_windows_batch_size = Some(1024);
        VanillaTransformerConfig {
            base,
            decoder_input_size_multiplier: 0.5,
            hidden_size: 128,
            dropout: 0.05,
            n_head: 4,
            conv_hidden_size: 32,
            activation: Activation::GELU,
            encoder_layers: 2,
            decoder_layers: 1,
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
        )
    }

    fn dims(&self) -> Dims {
        Dims {
            hidden: self.hidden_size,
            heads: self.n_head,
            ff: self.conv_hidden_size,
            dropout: self.dropout,
            activation: self.activation,
            kind: Kind::Full,
        }
    }
}
base_setters!(VanillaTransformerConfig);
neurodiv_core::config_setters!(VanillaTransformerConfig {
    decoder_input_size_multiplier: f32,
    hidden_size: usize,
    dropout: f32,
    n_head: usize,
    conv_hidden_size: usize,
    activation: Activation,
    encoder_layers: usize,
    decoder_layers: usize
});

/// NeuralForecast's `VanillaTransformer`.
#[derive(Debug, Clone)]
pub struct VanillaTransformer {
    config: VanillaTransformerConfig,
    store: ParamStore,
    net: EncoderDecoder,
}

impl VanillaTransformer {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: VanillaTransformerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let mut rng = Rng::new(config.base.random_seed);
        let mut store = ParamStore::new();
        let layers = (config.encoder_layers, false, config.decoder_layers);
        let net = EncoderDecoder::new(&mut store, &config.base, config.dims(), layers, &mut rng);
        Ok(VanillaTransformer { config, store, net })
    }

    /// The config.
    pub fn config(&self) -> &VanillaTransformerConfig {
        &self.config
    }
}

impl NeuralModel for VanillaTransformer {
    fn name(&self) -> &'static str {
        "VanillaTransformer"
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
