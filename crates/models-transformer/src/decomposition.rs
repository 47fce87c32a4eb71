//! The decomposition encoder-decoder Autoformer and FEDformer share (NeuralForecast's
//! `EncoderLayer`, `DecoderLayer`, `Encoder`, `Decoder` and `LayerNorm` of those models): after
//! every mixing and feed-forward block the series is split into a moving-average trend and a
//! seasonal remainder; the encoder keeps the seasonal parts, the decoder also sums the trends,
//! projected by a circular convolution, onto a trend initialised from the input.

use crate::blocks::{Dims, FeedForward};
use neurodiv_attention::{FourierBlock, FourierCross, MultiHeadAttention};
use neurodiv_autodiff::Var;
use neurodiv_core::{BaseConfig, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_nn::{
    Conv1d, Ctx, DataEmbedding, Dropout, LayerNorm, Linear, ParamStore, series_decomp,
};

/// Where a mixer sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    EncoderSelf,
    DecoderSelf,
    DecoderCross,
}

/// The block that mixes time steps: projections around an inner mechanism.
#[derive(Debug, Clone)]
pub(crate) enum Mixer {
    /// Autoformer's auto-correlation with its `factor`.
    Correlation {
        mha: MultiHeadAttention,
        factor: usize,
    },
    /// FEDformer's Fourier block (its weights may be shared by several layers).
    Fourier {
        mha: MultiHeadAttention,
        block: FourierBlock,
    },
    /// FEDformer's Fourier cross attention.
    FourierCross {
        mha: MultiHeadAttention,
        block: FourierCross,
    },
}

impl Mixer {
    /// Queries `[B, L, H]`, keys and values `kv` `[B, S, H]` -> `[B, L, H]`.
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, q: Var<'t>, kv: Var<'t>) -> Var<'t> {
        match self {
            Mixer::Correlation { mha, factor } => {
                mha.forward_autocorrelation(ctx, q, kv, kv, *factor)
            }
            Mixer::Fourier { mha, block } => {
                mha.forward_frequency(ctx, q, None, |ctx, q, _| block.forward(ctx, q))
            }
            Mixer::FourierCross { mha, block } => {
                mha.forward_frequency(ctx, q, Some(kv), |ctx, q, k| {
                    block.forward(ctx, q, k.expect("keys are projected"))
                })
            }
        }
    }
}

/// The time axis of the `[B, T, H]` activations, along which trend and season split.
const TIME: usize = 1;

/// Builds the mixer of a layer: `(store, name, role, rng)`.
pub(crate) type MakeMixer<'a> = dyn FnMut(&mut ParamStore, &str, Role, &mut Rng) -> Mixer + 'a;

/// The seasonal layer norm: layer norm, minus its mean over time.
#[derive(Debug, Clone)]
struct SeasonalNorm(LayerNorm);

impl SeasonalNorm {
    fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> Var<'t> {
        let y = self.0.forward(ctx, x); // [B, T, H]
        y.sub(y.mean(1, true))
    }
}

#[derive(Debug, Clone)]
struct EncoderLayer {
    mixer: Mixer,
    ff: FeedForward,
}

#[derive(Debug, Clone)]
struct DecoderLayer {
    self_mixer: Mixer,
    cross_mixer: Mixer,
    ff: FeedForward,
    /// Circular kernel-3 convolution of the summed trends, `[hidden] -> [m]`, no bias.
    projection: Conv1d,
}

/// Autoformer's and FEDformer's network.
#[derive(Debug, Clone)]
pub(crate) struct DecompTransformer {
    enc_embedding: DataEmbedding,
    dec_embedding: DataEmbedding,
    encoder: Vec<EncoderLayer>,
    encoder_norm: SeasonalNorm,
    decoder: Vec<DecoderLayer>,
    decoder_norm: SeasonalNorm,
    decoder_projection: Linear,
    window: usize,
}

impl DecompTransformer {
    /// `layers` = (encoder layers, decoder layers); `window` the moving average's (odd).
    pub fn new(
        store: &mut ParamStore,
        b: &BaseConfig,
        dims: Dims,
        (enc, dec, window): (usize, usize, usize),
        make_mixer: &mut MakeMixer<'_>,
        rng: &mut Rng,
    ) -> Self {
        let (exog, m, hidden) = (b.futr_exog_list.len(), b.output_multiplier(), dims.hidden);
        let embedding = |name: &str, store: &mut ParamStore, rng: &mut Rng| {
            DataEmbedding::new(store, name, (1, exog, hidden), false, dims.dropout, rng)
        };
        let enc_embedding = embedding("enc_embedding", store, rng);
        let dec_embedding = embedding("dec_embedding", store, rng);
        let encoder = (0..enc)
            .map(|i| {
                let name = format!("encoder.attn_layers.{i}");
                EncoderLayer {
                    mixer: make_mixer(store, &format!("{name}.attention"), Role::EncoderSelf, rng),
                    ff: FeedForward::new(store, &name, dims, false, rng),
                }
            })
            .collect();
        let encoder_norm = SeasonalNorm(LayerNorm::new(store, "encoder.norm.layernorm", hidden));
        let decoder = (0..dec)
            .map(|i| {
                let name = format!("decoder.layers.{i}");
                DecoderLayer {
                    self_mixer: make_mixer(
                        store,
                        &format!("{name}.self_attention"),
                        Role::DecoderSelf,
                        rng,
                    ),
                    cross_mixer: make_mixer(
                        store,
                        &format!("{name}.cross_attention"),
                        Role::DecoderCross,
                        rng,
                    ),
                    ff: FeedForward::new(store, &name, dims, false, rng),
                    projection: Conv1d::new(
                        store,
                        &format!("{name}.projection"),
                        (hidden, m, 3),
                        (0, 0),
                        1,
                        false,
                        rng,
                    ),
                }
            })
            .collect();
        let decoder_norm = SeasonalNorm(LayerNorm::new(store, "decoder.norm.layernorm", hidden));
        let decoder_projection = Linear::new(store, "decoder.projection", hidden, m, true, rng);
        DecompTransformer {
            enc_embedding,
            dec_embedding,
            encoder,
            encoder_norm,
            decoder,
            decoder_norm,
            decoder_projection,
            window,
        }
    }

    /// The forecast `[B, h, m]` of a univariate batch; `label` inputs lead the decoder.
    pub fn forward<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        dims: Dims,
        batch: &WindowBatch<'t>,
        (h, l, label): (usize, usize, usize),
    ) -> Var<'t> {
        let w = self.window;
        let drop = Dropout { p: dims.dropout };
        let y = batch.insample_y.unsqueeze(2); // [B, L] -> [B, L, 1]
        let enc_mark = batch.futr_exog.map(|f| f.slice(1, 0, l)); // [B, L, F]
        let dec_mark = batch.futr_exog.map(|f| f.slice(1, l - label, l + h)); // [B, label + h, F]
        let rows = y.shape()[0];
        let mean = y.mean(1, true).expand(&[rows, h, 1]); // [B, h, 1]
        let (seasonal, trend) = series_decomp(y, TIME, w);
        // [B, L, 1] -> [B, label + h, 1]: the last `label` steps, then the mean or zeros.
        let mut trend = Var::concat(&[trend.slice(1, l - label, l), mean], 1);
        let seasonal = seasonal.slice(1, l - label, l).pad(1, 0, h, 0.0);

        let mut enc = self.enc_embedding.forward(ctx, y, enc_mark); // [B, L, H]
        for layer in &self.encoder {
            let a = layer.mixer.forward(ctx, enc, enc);
            let x = enc.add(drop.forward(ctx, a));
            let (x, _) = series_decomp(x, TIME, w);
            let f = layer.ff.forward(ctx, dims, x);
            enc = series_decomp(x.add(f), TIME, w).0;
        }
        let enc = self.encoder_norm.forward(ctx, enc);

        let mut x = self.dec_embedding.forward(ctx, seasonal, dec_mark); // [B, label + h, H]
        for layer in &self.decoder {
            let a = layer.self_mixer.forward(ctx, x, x);
            let (s1, t1) = series_decomp(x.add(drop.forward(ctx, a)), TIME, w);
            let a = layer.cross_mixer.forward(ctx, s1, enc);
            let (s2, t2) = series_decomp(s1.add(drop.forward(ctx, a)), TIME, w);
            let f = layer.ff.forward(ctx, dims, s2);
            let (s3, t3) = series_decomp(s2.add(f), TIME, w);
            x = s3;
            // Circular padding by one around the summed trends: [B, T, H] -> [B, H, T + 2]
            let t = t1.add(t2).add(t3).transpose(1, 2);
            let n = t.shape()[2];
            let t = Var::concat(&[t.slice(2, n - 1, n), t, t.slice(2, 0, 1)], 2);
            let r = layer.projection.forward(ctx, t).transpose(1, 2); // [B, m, T] -> [B, T, m]
            trend = trend.add(r);
        }
        let x = self.decoder_norm.forward(ctx, x);
        let seasonal = self.decoder_projection.forward(ctx, x); // [B, label + h, m]
        trend.add(seasonal).slice(1, label, label + h) // [B, h, m]
    }
}
