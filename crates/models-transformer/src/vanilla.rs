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

use crate::blocks::Kind;
use crate::encdec::{EncoderDecoder, EncoderDecoderOptions, base_defaults, net_setters};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`VanillaTransformer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VanillaTransformerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Sizes and the decoder's look-back (dropout also on the attention weights here).
    #[serde(flatten)]
    pub net: EncoderDecoderOptions,
}

impl VanillaTransformerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_transformer::{VanillaTransformer, VanillaTransformerConfig};
    /// let config = VanillaTransformerConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = VanillaTransformer::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        VanillaTransformerConfig {
            base: base_defaults(h, input_size),
            net: EncoderDecoderOptions::default(),
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.net.validate(&self.base)
    }
}
base_setters!(VanillaTransformerConfig);
net_setters!(VanillaTransformerConfig);

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
        let n = &config.net;
        let layers = (n.encoder_layers, false, n.decoder_layers);
        let dims = n.dims(Kind::Full);
        let net = EncoderDecoder::new(&mut store, &config.base, dims, layers, &mut rng);
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
        let (b, n) = (&self.config.base, &self.config.net);
        let sizes = (b.h, b.input_size, n.label_len(b.input_size));
        self.net
            .forward(ctx, n.dims(Kind::Full), batch, sizes)
            .into()
    }
}
