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

use crate::blocks::{Decoder, Dims, Encoder};
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, DataEmbedding, ParamStore};
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
        (self.base.input_size as f64 * self.decoder_input_size_multiplier as f64).ceil() as usize
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        for (field, v) in [
            ("hidden_size", self.hidden_size),
            ("n_head", self.n_head),
            ("conv_hidden_size", self.conv_hidden_size),
            ("encoder_layers", self.encoder_layers),
            ("decoder_layers", self.decoder_layers),
        ] {
            at_least_one(field, v)?;
        }
        probability("dropout", self.dropout)?;
        let bad = |field, reason: String| Err(CoreError::Config { field, reason });
        if self.hidden_size < self.n_head {
            return bad(
                "n_head",
                format!("must not exceed hidden_size ({})", self.hidden_size),
            );
        }
        let m = self.decoder_input_size_multiplier;
        let label = self.label_len();
        if !(m > 0.0 && m < 1.0) || label == 0 || label >= self.base.input_size {
            return bad(
                "decoder_input_size_multiplier",
                format!(
                    "must be in (0, 1) and give 1 to input_size - 1 decoder inputs (got {m}, {label} of {})",
                    self.base.input_size
                ),
            );
        }
        if !matches!(self.activation, Activation::ReLU | Activation::GELU) {
            return bad(
                "activation",
                format!("must be ReLU or GELU, got {}", self.activation),
            );
        }
        Ok(())
    }

    fn dims(&self) -> Dims {
        Dims {
            hidden: self.hidden_size,
            heads: self.n_head,
            ff: self.conv_hidden_size,
            dropout: self.dropout,
            activation: self.activation,
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
    enc_embedding: DataEmbedding,
    dec_embedding: DataEmbedding,
    encoder: Encoder,
    decoder: Decoder,
}

impl VanillaTransformer {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: VanillaTransformerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let dims = config.dims();
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let exog = b.futr_exog_list.len();
        let mut embedding = |name: &str, store: &mut ParamStore| {
            DataEmbedding::new(
                store,
                name,
                (1, exog, dims.hidden),
                true,
                dims.dropout,
                &mut rng,
            )
        };
        let enc_embedding = embedding("enc_embedding", &mut store);
        let dec_embedding = embedding("dec_embedding", &mut store);
        let encoder = Encoder::new(&mut store, "encoder", config.encoder_layers, dims, &mut rng);
        let decoder = Decoder::new(
            &mut store,
            "decoder",
            config.decoder_layers,
            b.output_multiplier(),
            dims,
            &mut rng,
        );
        Ok(VanillaTransformer {
            config,
            store,
            enc_embedding,
            dec_embedding,
            encoder,
            decoder,
        })
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
        let (h, l) = (self.config.base.h, self.config.base.input_size);
        let (label, dims) = (self.config.label_len(), self.config.dims());
        let y = batch.insample_y.unsqueeze(2); // [B, L] -> [B, L, 1]
        // [B, L + h, F] -> [B, L, F] and [B, label + h, F]
        let enc_mark = batch.futr_exog.map(|f| f.slice(1, 0, l));
        let dec_mark = batch.futr_exog.map(|f| f.slice(1, l - label, l + h));
        // The last `label` inputs, then zeros for the horizon: [B, L, 1] -> [B, label + h, 1]
        let x_dec = y.slice(1, l - label, l).pad(1, 0, h, 0.0);
        let enc = self.enc_embedding.forward(ctx, y, enc_mark); // [B, L, H]
        let enc = self.encoder.forward(ctx, dims, enc);
        let dec = self.dec_embedding.forward(ctx, x_dec, dec_mark); // [B, label + h, H]
        let out = self.decoder.forward(ctx, dims, dec, enc); // [B, label + h, m]
        out.slice(1, label, label + h).into() // [B, h, m]
    }
}
