//! PatchTST: a channel-independent transformer over patches of the window; NeuralForecast's
//! `PatchTST`.
//!
//! Nie, Nguyen, Sinthong, Kalagnanam, "A Time Series is Worth 64 Words: Long-term Forecasting
//! with Transformers", ICLR 2023 (arXiv:2211.14730). The window is normalised (RevIN: minus its
//! last value, divided by `sqrt(biased var + 1e-5)`, no affine map by default), padded at the
//! end with `stride` copies of its last value, and cut into patches of `patch_len` every
//! `stride` steps. Each patch is mapped to `hidden_size` features, a learned position table is
//! added, and `encoder_layers` post-norm layers of self-attention and a feed-forward network
//! follow. A linear head maps the flattened patches to the `h` outputs, de-normalised.
//!
//! As in NeuralForecast: the layers' norms are batch norms over the hidden features (its
//! `batch_normalization` option only moves them before each block, `pre_norm`); with
//! `res_attention` (the default) each layer adds the previous layer's scores before its softmax;
//! `patch_len` is capped at `input_size + stride`. NeuralForecast counts three more parameters
//! than this model: each layer's fixed attention scale is an `nn.Parameter` there.

use neurodiv_attention::{AttentionOptions, MultiHeadAttention};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, BatchNorm1d, Ctx, Dropout, Linear, ParamId, ParamStore, RevINStats};
use serde::{Deserialize, Serialize};

/// Configuration of [`PatchTST`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchTSTConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Encoder layers (default 3).
    pub encoder_layers: usize,
    /// Attention heads; must divide `hidden_size` (default 16).
    pub n_heads: usize,
    /// Width of the patch embeddings (default 128).
    pub hidden_size: usize,
    /// Channels of the feed-forward networks (default 256).
    pub linear_hidden_size: usize,
    /// Dropout of the embedding, the residual branches and the feed-forward network (0.2).
    pub dropout: f32,
    /// Dropout after the head (default 0).
    pub head_dropout: f32,
    /// Dropout of the attention weights (default 0).
    pub attn_dropout: f32,
    /// Steps per patch (default 16).
    pub patch_len: usize,
    /// Steps between patch starts (default 8).
    pub stride: usize,
    /// Normalise each window (default true).
    pub revin: bool,
    /// Learnable scale and shift in the normalisation (default false).
    pub revin_affine: bool,
    /// Subtract the window's last value rather than its mean (default true).
    pub revin_subtract_last: bool,
    /// Activation of the feed-forward networks, GELU or ReLU (default GELU).
    pub activation: Activation,
    /// Add each layer's attention scores to the next layer's (default true).
    pub res_attention: bool,
    /// Normalise before each block instead of after it (default false).
    pub batch_normalization: bool,
    /// Train the position table (default true).
    pub learn_pos_embed: bool,
}

impl PatchTSTConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_transformer::{PatchTST, PatchTSTConfig};
    /// let config = PatchTSTConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = PatchTST::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.learning_rate = 1e-4;
        base.max_steps = 5000;
        base.inference_windows_batch_size = Some(1024);
        PatchTSTConfig {
            base,
            encoder_layers: 3,
            n_heads: 16,
            hidden_size: 128,
            linear_hidden_size: 256,
            dropout: 0.2,
            head_dropout: 0.0,
            attn_dropout: 0.0,
            patch_len: 16,
            stride: 8,
            revin: true,
            revin_affine: false,
            revin_subtract_last: true,
            activation: Activation::GELU,
            res_attention: true,
            batch_normalization: false,
            learn_pos_embed: true,
        }
    }

    /// `(patch_len, patches)`: the capped patch length and the number of patches.
    pub fn patching(&self) -> (usize, usize) {
        let (l, s) = (self.base.input_size, self.stride);
        let len = self.patch_len.min(l + s);
        (len, (l + s - len) / s + 1)
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        for (field, v) in [
            ("encoder_layers", self.encoder_layers),
            ("n_heads", self.n_heads),
            ("hidden_size", self.hidden_size),
            ("linear_hidden_size", self.linear_hidden_size),
            ("patch_len", self.patch_len),
            ("stride", self.stride),
        ] {
            at_least_one(field, v)?;
        }
        for (field, p) in [
            ("dropout", self.dropout),
            ("head_dropout", self.head_dropout),
            ("attn_dropout", self.attn_dropout),
        ] {
            probability(field, p)?;
        }
        let bad = |field, reason: String| Err(CoreError::Config { field, reason });
        if !self.hidden_size.is_multiple_of(self.n_heads) {
            return bad(
                "n_heads",
                format!("must divide hidden_size ({})", self.hidden_size),
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
}
base_setters!(PatchTSTConfig);
neurodiv_core::config_setters!(PatchTSTConfig {
    encoder_layers: usize,
    n_heads: usize,
    hidden_size: usize,
    linear_hidden_size: usize,
    dropout: f32,
    head_dropout: f32,
    attn_dropout: f32,
    patch_len: usize,
    stride: usize,
    revin: bool,
    revin_affine: bool,
    revin_subtract_last: bool,
    activation: Activation,
    res_attention: bool,
    batch_normalization: bool,
    learn_pos_embed: bool
});

/// One encoder layer: attention and feed-forward, each with a batch norm.
#[derive(Debug, Clone)]
struct Layer {
    attention: MultiHeadAttention,
    norm_attn: BatchNorm1d,
    ff1: Linear,
    ff2: Linear,
    norm_ffn: BatchNorm1d,
}

/// Batch norm over the last axis of `[N, T, H]`, statistics over `N` and `T`.
fn batch_norm<'t>(ctx: &mut Ctx<'t>, bn: &BatchNorm1d, x: Var<'t>) -> Var<'t> {
    let s = x.shape();
    // [N, T, H] -> [N * T, H] -> [N, T, H]
    bn.forward(ctx, x.reshape(&[s[0] * s[1], s[2]])).reshape(&s)
}

/// NeuralForecast's `PatchTST`.
#[derive(Debug, Clone)]
pub struct PatchTST {
    config: PatchTSTConfig,
    store: ParamStore,
    w_p: Linear,
    w_pos: ParamId,
    layers: Vec<Layer>,
    head: Linear,
    /// `(weight, bias)` of RevIN's affine map, `[1]` each.
    revin_affine: Option<(ParamId, ParamId)>,
}

impl PatchTST {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: PatchTSTConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (hidden, heads) = (config.hidden_size, config.n_heads);
        let (len, patches) = config.patching();
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let revin_affine = (config.revin && config.revin_affine).then(|| {
            let w = store.add("model.revin_layer.affine_weight", Tensor::ones(&[1]));
            let bias = store.add("model.revin_layer.affine_bias", Tensor::zeros(&[1]));
            (w, bias)
        });
        let name = "model.backbone";
        let w_p = Linear::new(
            &mut store,
            &format!("{name}.W_P"),
            len,
            hidden,
            true,
            &mut rng,
        );
        // pe="zeros": U(-0.02, 0.02), trained unless `learn_pos_embed` is off.
        let pos = Tensor::uniform(&[patches, hidden], -0.02, 0.02, &mut rng);
        let w_pos = if config.learn_pos_embed {
            store.add(format!("{name}.W_pos"), pos)
        } else {
            store.add_buffer(format!("{name}.W_pos"), pos)
        };
        let per_head = hidden / heads;
        let layers = (0..config.encoder_layers)
            .map(|i| {
                let n = format!("{name}.encoder.layers.{i}");
                let ff = config.linear_hidden_size;
                let mut bn = |part: &str| {
                    BatchNorm1d::new(&mut store, &format!("{n}.{part}"), hidden, 1e-5, 0.1)
                };
                let (norm_attn, norm_ffn) = (bn("norm_attn.1"), bn("norm_ffn.1"));
                Layer {
                    attention: MultiHeadAttention::new(
                        &mut store,
                        &format!("{n}.self_attn"),
                        hidden,
                        heads,
                        (per_head, per_head),
                        &mut rng,
                    ),
                    norm_attn,
                    ff1: Linear::new(&mut store, &format!("{n}.ff.0"), hidden, ff, true, &mut rng),
                    ff2: Linear::new(&mut store, &format!("{n}.ff.3"), ff, hidden, true, &mut rng),
                    norm_ffn,
                }
            })
            .collect();
        let head = Linear::new(
            &mut store,
            "model.head.linear",
            hidden * patches,
            b.h * b.output_multiplier(),
            true,
            &mut rng,
        );
        Ok(PatchTST {
            config,
            store,
            w_p,
            w_pos,
            layers,
            head,
            revin_affine,
        })
    }

    /// The config.
    pub fn config(&self) -> &PatchTSTConfig {
        &self.config
    }

    /// The encoder layers on `x` `[B, P, H]`.
    fn encode<'t>(&self, ctx: &mut Ctx<'t>, mut x: Var<'t>) -> Var<'t> {
        let c = &self.config;
        let drop = Dropout { p: c.dropout };
        let opts = AttentionOptions {
            dropout: c.attn_dropout,
            ..Default::default()
        };
        let mut prev: Option<Var<'t>> = None;
        for layer in &self.layers {
            if c.batch_normalization {
                x = batch_norm(ctx, &layer.norm_attn, x);
            }
            let a = if c.res_attention {
                let (a, scores) = layer.attention.forward_residual(ctx, x, prev, opts);
                prev = Some(scores);
                a
            } else {
                layer.attention.forward(ctx, x, x, x, opts)
            };
            // NeuralForecast's attention output has its own dropout, then the residual's.
            let a = drop.forward(ctx, a);
            x = x.add(drop.forward(ctx, a));
            if !c.batch_normalization {
                x = batch_norm(ctx, &layer.norm_attn, x);
            } else {
                x = batch_norm(ctx, &layer.norm_ffn, x);
            }
            let y = c.activation.apply(layer.ff1.forward(ctx, x)); // [B, P, H] -> [B, P, ff]
            let y = drop.forward(ctx, y);
            let y = layer.ff2.forward(ctx, y); // [B, P, ff] -> [B, P, H]
            x = x.add(drop.forward(ctx, y));
            if !c.batch_normalization {
                x = batch_norm(ctx, &layer.norm_ffn, x);
            }
        }
        x
    }
}

impl NeuralModel for PatchTST {
    fn name(&self) -> &'static str {
        "PatchTST"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: false,
            hist_exog: false,
            stat_exog: false,
            multivariate: false,
        }
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let c = &self.config;
        let (h, l, m) = (c.base.h, c.base.input_size, c.base.output_multiplier());
        let (len, patches) = c.patching();
        let mut x = batch.insample_y; // [B, L]
        let rows = x.shape()[0];
        // RevIN: the shift (mean or last value) and the scale of each window, [B, 1] each.
        let stats = c.revin.then(|| {
            let s = RevINStats::of(&x.value().reshape(&[rows, l, 1]), 1e-5);
            let shift = if c.revin_subtract_last {
                ctx.constant(x.value()).slice(1, l - 1, l)
            } else {
                ctx.constant(s.mean.reshape(&[rows, 1]))
            };
            (shift, ctx.constant(s.std.reshape(&[rows, 1])))
        });
        if let Some((shift, std)) = stats {
            x = x.sub(shift).div(std);
            if let Some((w, b)) = self.revin_affine {
                x = x.mul(ctx.p(w)).add(ctx.p(b));
            }
        }
        // Pad with `stride` copies of the last value: [B, L] -> [B, L + stride]
        let last = x.slice(1, l - 1, l).expand(&[rows, c.stride]);
        let x = Var::concat(&[x, last], 1);
        let x = x.unfold(1, len, c.stride); // -> [B, P, len]
        let x = self.w_p.forward(ctx, x).add(ctx.p(self.w_pos)); // [B, P, H] + [P, H]
        let x = Dropout { p: c.dropout }.forward(ctx, x);
        let z = self.encode(ctx, x);
        // Flatten feature-major as NeuralForecast's head: [B, P, H] -> [B, H, P] -> [B, H * P]
        let z = z
            .permute(&[0, 2, 1])
            .reshape(&[rows, c.hidden_size * patches]);
        let y = self.head.forward(ctx, z); // [B, h * m]
        let mut y = Dropout { p: c.head_dropout }.forward(ctx, y);
        if let Some((shift, std)) = stats {
            if let Some((w, b)) = self.revin_affine {
                y = y.sub(ctx.p(b)).div(ctx.p(w).add_scalar(1e-10));
            }
            y = y.mul(std).add(shift);
        }
        y.reshape(&[rows, h, m]).into() // [B, h * m] -> [B, h, m]
    }
}
