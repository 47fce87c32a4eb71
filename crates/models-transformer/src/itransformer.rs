//! iTransformer: attention across series instead of across time; NeuralForecast's
//! `iTransformer`.
//!
//! Liu, Hu, Zhang, Wu, Wang, Ma, Long, "iTransformer: Inverted Transformers Are Effective for
//! Time Series Forecasting", ICLR 2024 (arXiv:2310.06625). Each series' window is one token:
//! normalised per window and series (mean, `sqrt(biased var + 1e-5)`, as the Non-stationary
//! Transformer does), mapped from `input_size` steps to `hidden_size` features, and encoded by
//! unmasked self-attention over the `N` series (plus one token per series and future exogenous
//! column, mapped from `input_size + h` steps). A linear map turns each series' token into its
//! `h` outputs, which are de-normalised.

use crate::blocks::{Dims, Encoder, Kind};
use neurodiv_autodiff::Var;
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, Dropout, Linear, ParamStore, RevINStats};
use serde::{Deserialize, Serialize};

/// Configuration of [`iTransformer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ITransformerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Number of series modelled together (NeuralForecast requires it; default 1 here).
    pub n_series: usize,
    /// Width of the tokens (default 512).
    pub hidden_size: usize,
    /// Attention heads (default 8).
    pub n_heads: usize,
    /// Encoder layers (default 2).
    pub e_layers: usize,
    /// Channels of the feed-forward networks (default 2048).
    pub d_ff: usize,
    /// Dropout of the embedding, attention weights and residual branches (default 0.1).
    pub dropout: f32,
    /// Normalise each window per series before the embedding (default true).
    pub use_norm: bool,
}

impl ITransformerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`, one series
    /// (set [`n_series`](Self::n_series) to the panel's).
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_transformer::{ITransformerConfig, iTransformer};
    /// let mut config = ITransformerConfig::new(12, 24).max_steps(100);
    /// config.n_series = 2; // the panel's series
    /// let model = iTransformer::new(config)?;
    /// assert_eq!(model.n_series(), Some(2));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.windows_batch_size = 32;
        base.inference_windows_batch_size = Some(32);
        ITransformerConfig {
            base,
            n_series: 1,
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
            ("hidden_size", self.hidden_size),
            ("n_heads", self.n_heads),
            ("e_layers", self.e_layers),
            ("d_ff", self.d_ff),
        ] {
            at_least_one(field, v)?;
        }
        if self.hidden_size < self.n_heads {
            return Err(CoreError::Config {
                field: "n_heads",
                reason: format!("must not exceed hidden_size ({})", self.hidden_size),
            });
        }
        probability("dropout", self.dropout)
    }

    fn dims(&self) -> Dims {
        Dims {
            hidden: self.hidden_size,
            heads: self.n_heads,
            ff: self.d_ff,
            dropout: self.dropout,
            activation: Activation::GELU,
            kind: Kind::Full,
        }
    }
}
base_setters!(ITransformerConfig);
neurodiv_core::config_setters!(ITransformerConfig {
    n_series: usize,
    hidden_size: usize,
    n_heads: usize,
    e_layers: usize,
    d_ff: usize,
    dropout: f32,
    use_norm: bool
});

/// NeuralForecast's `iTransformer`.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone)]
pub struct iTransformer {
    config: ITransformerConfig,
    store: ParamStore,
    enc_embedding: Linear,
    futr_embedding: Option<Linear>,
    encoder: Encoder,
    projector: Linear,
}

impl iTransformer {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: ITransformerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (hidden, dims) = (config.hidden_size, config.dims());
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let (h, l, m) = (b.h, b.input_size, b.output_multiplier());
        let enc_embedding = Linear::new(
            &mut store,
            "enc_embedding.value_embedding",
            l,
            hidden,
            true,
            &mut rng,
        );
        let futr_embedding = (!b.futr_exog_list.is_empty())
            .then(|| Linear::new(&mut store, "futr_embedding", l + h, hidden, true, &mut rng));
        let encoder = Encoder::new(
            &mut store,
            "encoder",
            (config.e_layers, false),
            dims,
            &mut rng,
        );
        let projector = Linear::new(&mut store, "projector", hidden, h * m, true, &mut rng);
        Ok(iTransformer {
            config,
            store,
            enc_embedding,
            futr_embedding,
            encoder,
            projector,
        })
    }

    /// The config.
    pub fn config(&self) -> &ITransformerConfig {
        &self.config
    }
}

impl NeuralModel for iTransformer {
    fn name(&self) -> &'static str {
        "iTransformer"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: true,
            hist_exog: false,
            stat_exog: false,
            multivariate: true,
        }
    }

    fn n_series(&self) -> Option<usize> {
        Some(self.config.n_series)
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (h, n, m) = (b.h, self.config.n_series, b.output_multiplier());
        let drop = Dropout {
            p: self.config.dropout,
        };
        let mut x = batch.insample_y; // [B, L, N]
        let rows = x.shape()[0];
        let stats = self
            .config
            .use_norm
            .then(|| RevINStats::of(&x.value(), 1e-5));
        if let Some(s) = &stats {
            x = x
                .sub(ctx.constant(s.mean.clone()))
                .div(ctx.constant(s.std.clone()));
        }
        // [B, L, N] -> [B, N, L] -> [B, N, hidden]
        let tokens = self.enc_embedding.forward(ctx, x.permute(&[0, 2, 1]));
        let mut tokens = drop.forward(ctx, tokens);
        if let (Some(emb), Some(f)) = (&self.futr_embedding, batch.futr_exog) {
            let s = f.shape(); // [B, F, L + h, N]
            // -> [B, N, F, L + h] -> [B, N * F, L + h] -> [B, N * F, hidden]
            let f = f.permute(&[0, 3, 1, 2]).reshape(&[s[0], s[3] * s[1], s[2]]);
            let f = emb.forward(ctx, f);
            let f = drop.forward(ctx, f);
            tokens = Var::concat(&[tokens, f], 1); // [B, N + N * F, hidden]
        }
        let enc = self.encoder.forward(ctx, self.config.dims(), tokens);
        // The series' own tokens: [B, N, hidden] -> [B, N, h * m] -> [B, h * m, N]
        let mut y = self
            .projector
            .forward(ctx, enc.slice(1, 0, n))
            .permute(&[0, 2, 1]);
        if let Some(s) = &stats {
            y = y
                .mul(ctx.constant(s.std.clone()))
                .add(ctx.constant(s.mean.clone()));
        }
        // [B, h*m, N] holds (t, q, n) at t*m*N + q*N + n, read as [B, h, N, m] like TSMixer's.
        y.reshape(&[rows, h, n, m]).into()
    }
}
