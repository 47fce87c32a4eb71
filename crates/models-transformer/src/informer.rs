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

use crate::blocks::Kind;
use crate::encdec::{EncoderDecoder, EncoderDecoderOptions, base_defaults, net_setters};
use neurodiv_core::check::at_least_one;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`Informer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InformerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Sizes and the decoder's look-back.
    #[serde(flatten)]
    pub net: EncoderDecoderOptions,
    /// ProbSparse sampling factor `c` of `c ln L` (default 3).
    pub factor: usize,
    /// Distilling layers between the encoder layers (default true).
    pub distil: bool,
}

impl InformerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_transformer::{Informer, InformerConfig};
    /// let config = InformerConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = Informer::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        InformerConfig {
            base: base_defaults(h, input_size),
            net: EncoderDecoderOptions::default(),
            factor: 3,
            distil: true,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.net.validate(&self.base)?;
        at_least_one("factor", self.factor)
    }

    fn kind(&self) -> Kind {
        Kind::ProbSparse {
            factor: self.factor,
        }
    }
}
base_setters!(InformerConfig);
net_setters!(InformerConfig);
neurodiv_core::config_setters!(InformerConfig {
    factor: usize,
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
        let n = &config.net;
        let layers = (n.encoder_layers, config.distil, n.decoder_layers);
        let dims = n.dims(config.kind());
        let net = EncoderDecoder::new(&mut store, &config.base, dims, layers, &mut rng);
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
        let (b, n) = (&self.config.base, &self.config.net);
        let sizes = (b.h, b.input_size, n.label_len(b.input_size));
        self.net
            .forward(ctx, n.dims(self.config.kind()), batch, sizes)
            .into()
    }
}
