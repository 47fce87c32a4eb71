//! TimeXer: patch tokens of each series and one global token that attends to the exogenous
//! variables; NeuralForecast's `TimeXer`.
//!
//! Wang, Wu, Dong, Liu, Qiu, Zhang, Wang, Long, "TimeXer: Empowering Transformers for Time
//! Series Forecasting with Exogenous Variables", NeurIPS 2024 (arXiv:2402.19072). Each series'
//! normalised window is cut into `input_size / patch_len` patches (linear map, sinusoidal
//! positions) followed by a learned global token per series. Every layer lets the tokens of a
//! series attend to each other, then the global tokens of all series attend to the "exogenous
//! tokens" (each series' window and each historical or static column mapped from
//! `input_size` steps to `hidden_size` features, as in iTransformer), then a feed-forward
//! network. A linear head maps each series' flattened tokens to its `h` outputs.
//!
//! As in NeuralForecast: the exogenous columns are not normalised; static columns are repeated
//! along time as extra variables; the head's dropout is the model's dropout; the feed-forward
//! networks use ReLU.

use neurodiv_attention::{AttentionOptions, MultiHeadAttention};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{
    Ctx, Dropout, LayerNorm, Linear, ParamId, ParamStore, RevINStats, positional_table,
};
use serde::{Deserialize, Serialize};

/// Configuration of [`TimeXer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeXerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Number of series modelled together (NeuralForecast requires it; default 1 here).
    pub n_series: usize,
    /// Steps per patch, at most `input_size` (default 16).
    pub patch_len: usize,
    /// Width of the tokens (default 512).
    pub hidden_size: usize,
    /// Attention heads (default 8).
    pub n_heads: usize,
    /// Encoder layers (default 2).
    pub e_layers: usize,
    /// Channels of the feed-forward networks (default 2048).
    pub d_ff: usize,
    /// Dropout of the embeddings, attention weights, residual branches and head (default 0.1).
    pub dropout: f32,
    /// Normalise each window per series (default true).
    pub use_norm: bool,
}

impl TimeXerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`, one series.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_transformer::{TimeXer, TimeXerConfig};
    /// let config = TimeXerConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = TimeXer::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.windows_batch_size = 32;
        base.inference_windows_batch_size = Some(32);
        TimeXerConfig {
            base,
            n_series: 1,
            patch_len: 16,
            hidden_size: 512,
            n_heads: 8,
            e_layers: 2,
            d_ff: 2048,
            dropout: 0.1,
            use_norm: true,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        for (field, v) in [
            ("n_series", self.n_series),
            ("patch_len", self.patch_len),
            ("hidden_size", self.hidden_size),
            ("n_heads", self.n_heads),
            ("e_layers", self.e_layers),
            ("d_ff", self.d_ff),
        ] {
            at_least_one(field, v)?;
        }
        probability("dropout", self.dropout)?;
        let bad = |field, reason: String| Err(CoreError::Config { field, reason });
        if self.patch_len > self.base.input_size {
            return bad(
                "patch_len",
                format!("must not exceed input_size ({})", self.base.input_size),
            );
        }
        if self.hidden_size < self.n_heads {
            return bad(
                "n_heads",
                format!("must not exceed hidden_size ({})", self.hidden_size),
            );
        }
        Ok(())
    }

    fn patches(&self) -> usize {
        self.base.input_size / self.patch_len
    }
}
base_setters!(TimeXerConfig);
neurodiv_core::config_setters!(TimeXerConfig {
    n_series: usize,
    patch_len: usize,
    hidden_size: usize,
    n_heads: usize,
    e_layers: usize,
    d_ff: usize,
    dropout: f32,
    use_norm: bool
});

/// Self-attention over a series' tokens, cross-attention of its global token, feed-forward.
#[derive(Debug, Clone)]
struct Layer {
    self_attention: MultiHeadAttention,
    cross_attention: MultiHeadAttention,
    conv1: Linear,
    conv2: Linear,
    norms: [LayerNorm; 3],
}

/// NeuralForecast's `TimeXer`.
#[derive(Debug, Clone)]
pub struct TimeXer {
    config: TimeXerConfig,
    store: ParamStore,
    patch_embedding: Linear,
    global_token: ParamId,
    ex_embedding: Linear,
    layers: Vec<Layer>,
    norm: LayerNorm,
    head: Linear,
}

impl TimeXer {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: TimeXerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (d, n, heads) = (config.hidden_size, config.n_series, config.n_heads);
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let patch_embedding = Linear::new(
            &mut store,
            "en_embedding.value_embedding",
            config.patch_len,
            d,
            false,
            &mut rng,
        );
        let global_token = store.add(
            "en_embedding.glb_token",
            Tensor::randn(&[1, n, 1, d], &mut rng),
        );
        let ex_embedding = Linear::new(
            &mut store,
            "ex_embedding.value_embedding",
            b.input_size,
            d,
            true,
            &mut rng,
        );
        let per_head = d / heads;
        let layers = (0..config.e_layers)
            .map(|i| {
                let name = format!("encoder.layers.{i}");
                let mha = |part: &str, store: &mut ParamStore, rng: &mut Rng| {
                    MultiHeadAttention::new(
                        store,
                        &format!("{name}.{part}"),
                        d,
                        heads,
                        (per_head, per_head),
                        rng,
                    )
                };
                let self_attention = mha("self_attention", &mut store, &mut rng);
                let cross_attention = mha("cross_attention", &mut store, &mut rng);
                Layer {
                    self_attention,
                    cross_attention,
                    conv1: Linear::new(
                        &mut store,
                        &format!("{name}.conv1"),
                        d,
                        config.d_ff,
                        true,
                        &mut rng,
                    ),
                    conv2: Linear::new(
                        &mut store,
                        &format!("{name}.conv2"),
                        config.d_ff,
                        d,
                        true,
                        &mut rng,
                    ),
                    norms: [1, 2, 3]
                        .map(|k| LayerNorm::new(&mut store, &format!("{name}.norm{k}"), d)),
                }
            })
            .collect();
        let norm = LayerNorm::new(&mut store, "encoder.norm", d);
        let out = b.h * b.output_multiplier();
        let head = Linear::new(
            &mut store,
            "head.linear",
            d * (config.patches() + 1),
            out,
            true,
            &mut rng,
        );
        Ok(TimeXer {
            config,
            store,
            patch_embedding,
            global_token,
            ex_embedding,
            layers,
            norm,
            head,
        })
    }

    /// The config.
    pub fn config(&self) -> &TimeXerConfig {
        &self.config
    }

    /// One layer on the tokens `x` `[B * N, P + 1, D]` and the exogenous tokens `cross`
    /// `[B, V, D]`.
    fn layer<'t>(&self, ctx: &mut Ctx<'t>, layer: &Layer, x: Var<'t>, cross: Var<'t>) -> Var<'t> {
        let c = &self.config;
        let drop = Dropout { p: c.dropout };
        let opts = AttentionOptions {
            dropout: c.dropout,
            ..Default::default()
        };
        let (bn, t, d) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        let rows = cross.shape()[0];
        let a = layer.self_attention.forward(ctx, x, x, x, opts);
        let x = x.add(drop.forward(ctx, a));
        let x = layer.norms[0].forward(ctx, x);
        // The global tokens of all series: [B * N, 1, D] -> [B, N, D]
        let global = x.slice(1, t - 1, t);
        let g = global.reshape(&[rows, bn / rows, d]);
        let a = layer.cross_attention.forward(ctx, g, cross, cross, opts);
        let a = drop.forward(ctx, a).reshape(&[bn, 1, d]); // [B, N, D] -> [B * N, 1, D]
        let global = layer.norms[1].forward(ctx, global.add(a));
        let x = Var::concat(&[x.slice(1, 0, t - 1), global], 1);
        let y = layer.conv1.forward(ctx, x).relu(); // [B * N, P + 1, ff]
        let y = drop.forward(ctx, y);
        let y = layer.conv2.forward(ctx, y); // [B * N, P + 1, D]
        let y = drop.forward(ctx, y);
        layer.norms[2].forward(ctx, x.add(y))
    }
}

impl NeuralModel for TimeXer {
    fn name(&self) -> &'static str {
        "TimeXer"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: false,
            hist_exog: true,
            stat_exog: true,
            multivariate: true,
        }
    }

    fn n_series(&self) -> Option<usize> {
        Some(self.config.n_series)
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let c = &self.config;
        let b = &c.base;
        let (h, l, n, m, d) = (
            b.h,
            b.input_size,
            c.n_series,
            b.output_multiplier(),
            c.hidden_size,
        );
        let (pl, p) = (c.patch_len, c.patches());
        let drop = Dropout { p: c.dropout };
        let mut x = batch.insample_y; // [B, L, N]
        let rows = x.shape()[0];
        let stats = c.use_norm.then(|| RevINStats::of(&x.value(), 1e-5));
        if let Some(s) = &stats {
            x = x
                .sub(ctx.constant(s.mean.clone()))
                .div(ctx.constant(s.std.clone()));
        }
        // Patch tokens: [B, L, N] -> [B, N, L] -> [B * N, P, pl] -> [B * N, P, D]
        let patches = x
            .permute(&[0, 2, 1])
            .slice(2, 0, p * pl)
            .reshape(&[rows * n, p, pl]);
        let tokens = self
            .patch_embedding
            .forward(ctx, patches)
            .add(ctx.constant(positional_table(p, d)));
        let global = ctx.p(self.global_token).expand(&[rows, n, 1, d]); // [1, N, 1, D] -> [B, N, 1, D]
        // [B * N, P, D] -> [B, N, P, D] -> [B, N, P + 1, D] -> [B * N, P + 1, D]
        let tokens = Var::concat(&[tokens.reshape(&[rows, n, p, d]), global], 2).reshape(&[
            rows * n,
            p + 1,
            d,
        ]);
        let mut tokens = drop.forward(ctx, tokens);
        // Exogenous tokens: the series and the columns, each over the window -> [B, V, D]
        let mut vars = vec![x.permute(&[0, 2, 1])]; // [B, N, L]
        if let Some(hx) = batch.hist_exog {
            let s = hx.shape(); // [B, X, L, N] -> [B, L, X, N] -> [B, L, X * N] -> [B, X * N, L]
            vars.push(
                hx.permute(&[0, 2, 1, 3])
                    .reshape(&[rows, l, s[1] * n])
                    .permute(&[0, 2, 1]),
            );
        }
        if let Some(st) = batch.stat_exog {
            let k = st.shape()[0] * st.shape()[1]; // [N, S] -> [B, N * S, L]
            vars.push(st.reshape(&[1, k, 1]).expand(&[rows, k, l]));
        }
        let ex = if vars.len() == 1 {
            vars[0]
        } else {
            Var::concat(&vars, 1)
        };
        let ex = self.ex_embedding.forward(ctx, ex);
        let cross = drop.forward(ctx, ex);
        for layer in &self.layers {
            tokens = self.layer(ctx, layer, tokens, cross);
        }
        let z = self.norm.forward(ctx, tokens); // [B * N, P + 1, D]
        // Flatten feature-major: [B * N, P + 1, D] -> [B, N, D, P + 1] -> [B, N, D * (P + 1)]
        let z = z
            .reshape(&[rows, n, p + 1, d])
            .permute(&[0, 1, 3, 2])
            .reshape(&[rows, n, d * (p + 1)]);
        let y = self.head.forward(ctx, z); // [B, N, h * m]
        let mut y = drop.forward(ctx, y).permute(&[0, 2, 1]); // [B, h * m, N]
        if let Some(s) = &stats {
            y = y
                .mul(ctx.constant(s.std.clone()))
                .add(ctx.constant(s.mean.clone()));
        }
        // [B, h*m, N] holds (t, q, n) at t*m*N + q*N + n, read as [B, h, N, m] like TSMixer's.
        y.reshape(&[rows, h, n, m]).into()
    }
}
