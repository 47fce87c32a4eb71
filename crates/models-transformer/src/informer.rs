//! Informer: the encoder-decoder transformer with ProbSparse attention and distilling;
//! NeuralForecast's `Informer`.
//!
//! Zhou, Zhang, Peng, Zhang, Li, Xiong, Zhang, "Informer: Beyond Efficient Transformer for Long
//! Sequence Time-Series Forecasting", AAAI 2021 (arXiv:2012.07436). VanillaTransformer's
//! embeddings, one-shot decoder and layers, with every attention replaced by ProbSparse
//! attention (only the `factor * ceil(ln L)` most peaked queries attend; the others take the
//! mean of the values) and, with `distil`, a distilling layer (convolution, batch norm, ELU,
//! max pooling) that halves the sequence between encoder layers.
//!
//! As in NeuralForecast: the decoder's self-attention is causal (its `ProbAttention` masks
//! whatever it is handed); the keys sampled to rank the queries are drawn anew at every
//! forward pass, in prediction too (from the model's seeded generator here, so forecasts are
//! reproducible); the attention output's heads and positions are interleaved before the output
//! projection (`neurodiv_attention::MultiHeadAttention::forward_prob` says how); the attention
//! weights get no dropout.

use crate::blocks::{Dims, EncoderDecoder, Kind, check_encoder_decoder, label_len};
use neurodiv_core::check::at_least_one;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`Informer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InformerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Share of the input window the decoder reads before the horizon, in (0, 1) (default 0.5).
    pub decoder_input_size_multiplier: f32,
    /// Width of the embeddings and of every layer (default 128).
    pub hidden_size: usize,
    /// Dropout of the embeddings and residual branches (default 0.05).
    pub dropout: f32,
    /// ProbSparse sampling factor `c` of `c ln L` (default 3).
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
    /// Distilling layers between the encoder layers (default true).
    pub distil: bool,
}

impl InformerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.learning_rate = 1e-4;
        base.max_steps = 5000;
        base.inference_windows_batch_size = Some(1024);
        InformerConfig {
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
            distil: true,
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
        at_least_one("factor", self.factor)
    }

    fn dims(&self) -> Dims {
        Dims {
            hidden: self.hidden_size,
            heads: self.n_head,
            ff: self.conv_hidden_size,
            dropout: self.dropout,
            activation: self.activation,
            kind: Kind::ProbSparse {
                factor: self.factor,
            },
        }
    }
}
base_setters!(InformerConfig);
neurodiv_core::config_setters!(InformerConfig {
    decoder_input_size_multiplier: f32,
    hidden_size: usize,
    dropout: f32,
    factor: usize,
    n_head: usize,
    conv_hidden_size: usize,
    activation: Activation,
    encoder_layers: usize,
    decoder_layers: usize,
    distil: bool
});

/// NeuralForecast's `Informer`.
#[derive(Debug, Clone)]
pub struct Informer {
    config: InformerConfig,
    store: ParamStore,
    net: EncoderDecoder,
}

impl Informer {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: InformerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let mut rng = Rng::new(config.base.random_seed);
        let mut store = ParamStore::new();
        let layers = (config.encoder_layers, config.distil, config.decoder_layers);
        let net = EncoderDecoder::new(&mut store, &config.base, config.dims(), layers, &mut rng);
        Ok(Informer { config, store, net })
    }

    /// The config.
    pub fn config(&self) -> &InformerConfig {
        &self.config
    }
}

impl NeuralModel for Informer {
    fn name(&self) -> &'static str {
        "Informer"
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
