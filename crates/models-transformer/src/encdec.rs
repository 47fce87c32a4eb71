//! What VanillaTransformer, Informer, Autoformer and FEDformer share: their options (the
//! encoder-decoder's sizes and the decoder's look-back, with NeuralForecast's defaults, checks
//! and setters) and the network of the first two.

use crate::blocks::{Decoder, Dims, Encoder, Kind};
use neurodiv_autodiff::Var;
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{BaseConfig, CoreError, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, DataEmbedding, ParamStore};
use serde::{Deserialize, Serialize};

/// The options the encoder-decoder transformers share, NeuralForecast's names and defaults.
/// Flattened into each model's config: `hidden_size` and the rest are top-level options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderDecoderOptions {
    /// Share of the input window the decoder reads before the horizon, in (0, 1) (default 0.5).
    pub decoder_input_size_multiplier: f32,
    /// Width of the embeddings and of every layer (default 128).
    pub hidden_size: usize,
    /// Dropout of the embeddings, residual branches and feed-forward networks (default 0.05).
    pub dropout: f32,
    /// Attention heads (default 4; FEDformer's 8).
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

impl Default for EncoderDecoderOptions {
    fn default() -> Self {
        EncoderDecoderOptions {
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
}

impl EncoderDecoderOptions {
    /// The decoder's look-back, `ceil(input_size * decoder_input_size_multiplier)`.
    pub fn label_len(&self, input_size: usize) -> usize {
        (input_size as f64 * self.decoder_input_size_multiplier as f64).ceil() as usize
    }

    /// Checks `base` and every field: counts at least 1, `n_head` at most `hidden_size`, the
    /// dropout a probability, ReLU or GELU, and a look-back of 1 to `input_size - 1` steps from
    /// a multiplier in (0, 1).
    pub fn validate(&self, base: &BaseConfig) -> Result<(), CoreError> {
        base.validate()?;
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
        let (m, label) = (
            self.decoder_input_size_multiplier,
            self.label_len(base.input_size),
        );
        if !(m > 0.0 && m < 1.0) || label == 0 || label >= base.input_size {
            return bad(
                "decoder_input_size_multiplier",
                format!(
                    "must be in (0, 1) and give 1 to input_size - 1 decoder inputs (got {m}: {label} of {})",
                    base.input_size
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

    /// The layers' sizes with attention `kind`.
    pub(crate) fn dims(&self, kind: Kind) -> Dims {
        Dims {
            hidden: self.hidden_size,
            heads: self.n_head,
            ff: self.conv_hidden_size,
            dropout: self.dropout,
            activation: self.activation,
            kind,
        }
    }
}

/// NeuralForecast's training defaults of these models: learning rate 1e-4, 5000 steps,
/// inference batches of 1024 windows.
pub(crate) fn base_defaults(h: usize, input_size: usize) -> BaseConfig {
    let mut base = BaseConfig::new(h, input_size);
    base.learning_rate = 1e-4;
    base.max_steps = 5000;
    base.inference_windows_batch_size = Some(1024);
    base
}

/// Builder setters for the [`EncoderDecoderOptions`] fields of a config (`self.net`).
macro_rules! net_setters {
    ($ty:ty) => {
        impl $ty {
            net_setters!(@set decoder_input_size_multiplier: f32, hidden_size: usize, dropout: f32,
                n_head: usize, conv_hidden_size: usize, activation: neurodiv_nn::Activation,
                encoder_layers: usize, decoder_layers: usize);
        }
    };
    (@set $($field:ident : $t:ty),*) => {
        $(
            #[doc = concat!("Sets `", stringify!($field), "`.")]
            pub fn $field(mut self, v: $t) -> Self {
                self.net.$field = v;
                self
            }
        )*
    };
}
pub(crate) use net_setters;

/// The encoder-decoder of VanillaTransformer and Informer: both inputs embedded with
/// [`DataEmbedding`] (values, positions, future exogenous columns); the decoder reads the last
/// `label` inputs followed by `h` zeros, and its last `h` outputs are the forecast.
#[derive(Debug, Clone)]
pub(crate) struct EncoderDecoder {
    enc_embedding: DataEmbedding,
    dec_embedding: DataEmbedding,
    encoder: Encoder,
    decoder: Decoder,
}

impl EncoderDecoder {
    /// `layers` = (encoder layers, distil, decoder layers).
    pub fn new(
        store: &mut ParamStore,
        b: &BaseConfig,
        dims: Dims,
        (enc, distil, dec): (usize, bool, usize),
        rng: &mut Rng,
    ) -> Self {
        let exog = b.futr_exog_list.len();
        let embedding = |name: &str, store: &mut ParamStore, rng: &mut Rng| {
            DataEmbedding::new(store, name, (1, exog, dims.hidden), true, dims.dropout, rng)
        };
        let enc_embedding = embedding("enc_embedding", store, rng);
        let dec_embedding = embedding("dec_embedding", store, rng);
        let encoder = Encoder::new(store, "encoder", (enc, distil), dims, rng);
        let out = b.output_multiplier();
        let decoder = Decoder::new(store, "decoder", dec, out, dims, rng);
        EncoderDecoder {
            enc_embedding,
            dec_embedding,
            encoder,
            decoder,
        }
    }

    /// The forecast `[B, h, m]` of a univariate batch.
    pub fn forward<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        dims: Dims,
        batch: &WindowBatch<'t>,
        (h, l, label): (usize, usize, usize),
    ) -> Var<'t> {
        let y = batch.insample_y.unsqueeze(2); // [B, L] -> [B, L, 1]
        // [B, L + h, F] -> [B, L, F] and [B, label + h, F]
        let enc_mark = batch.futr_exog.map(|f| f.slice(1, 0, l));
        let dec_mark = batch.futr_exog.map(|f| f.slice(1, l - label, l + h));
        // The last `label` inputs, then zeros for the horizon: [B, L, 1] -> [B, label + h, 1]
        let x_dec = y.slice(1, l - label, l).pad(1, 0, h, 0.0);
        let enc = self.enc_embedding.forward(ctx, y, enc_mark); // [B, L, H]
        let enc = self.encoder.forward(ctx, dims, enc); // [B, L', H]
        let dec = self.dec_embedding.forward(ctx, x_dec, dec_mark); // [B, label + h, H]
        let out = self.decoder.forward(ctx, dims, dec, enc); // [B, label + h, m]
        out.slice(1, label, label + h) // [B, h, m]
    }
}
