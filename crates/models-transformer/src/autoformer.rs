//! Autoformer: the decomposition transformer with auto-correlation; NeuralForecast's
//! `Autoformer`.
//!
//! Wu, Xu, Wang, Long, "Autoformer: Decomposition Transformers with Auto-Correlation for
//! Long-Term Series Forecasting", NeurIPS 2021 (arXiv:2106.13008). The window is split into a
//! moving-average trend and a seasonal part; the decoder starts from the last `label_len`
//! seasonal values followed by zeros, and from the last `label_len` trend values followed by
//! the window's mean. Encoder and decoder layers mix time with auto-correlation
//! (`neurodiv_attention::auto_correlation`) and split trend from season after every block;
//! the decoder's trends accumulate onto the initial trend, and the forecast is trend plus
//! season over the last `h` steps.
//!
//! As in NeuralForecast: in training the correlation delays are shared by the batch, in
//! prediction each window picks its own; no attention dropout is applied; the embeddings have
//! no position term.

use crate::blocks::Kind;
use crate::decomposition::{DecompTransformer, Mixer};
use crate::encdec::{EncoderDecoderOptions, base_defaults, net_setters};
use neurodiv_attention::MultiHeadAttention;
use neurodiv_core::check::{at_least_one, odd};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`Autoformer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoformerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Sizes and the decoder's look-back.
    #[serde(flatten)]
    pub net: EncoderDecoderOptions,
    /// Auto-correlation keeps `int(factor ln L)` delays (default 3).
    pub factor: usize,
    /// Window of the trend's moving average, odd (default 25).
    #[serde(rename = "MovingAvg_window", alias = "moving_avg_window")]
    pub moving_avg_window: usize,
}

impl AutoformerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_transformer::{Autoformer, AutoformerConfig};
    /// let config = AutoformerConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = Autoformer::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        AutoformerConfig {
            base: base_defaults(h, input_size),
            net: EncoderDecoderOptions::default(),
            factor: 3,
            moving_avg_window: 25,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.net.validate(&self.base)?;
        at_least_one("factor", self.factor)?;
        odd("MovingAvg_window", self.moving_avg_window)
    }
}
base_setters!(AutoformerConfig);
net_setters!(AutoformerConfig);
neurodiv_core::config_setters!(AutoformerConfig {
    factor: usize,
    moving_avg_window: usize
});

/// NeuralForecast's `Autoformer`.
#[derive(Debug, Clone)]
pub struct Autoformer {
    config: AutoformerConfig,
    store: ParamStore,
    net: DecompTransformer,
}

impl Autoformer {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: AutoformerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let mut rng = Rng::new(config.base.random_seed);
        let mut store = ParamStore::new();
        let (dims, factor) = (config.net.dims(Kind::Full), config.factor);
        let per_head = dims.hidden / dims.heads;
        let mut mixer =
            |store: &mut ParamStore, name: &str, _role, rng: &mut Rng| Mixer::Correlation {
                mha: MultiHeadAttention::new(
                    store,
                    name,
                    dims.hidden,
                    dims.heads,
                    (per_head, per_head),
                    rng,
                ),
                factor,
            };
        let layers = (
            config.net.encoder_layers,
            config.net.decoder_layers,
            config.moving_avg_window,
        );
        let net =
            DecompTransformer::new(&mut store, &config.base, dims, layers, &mut mixer, &mut rng);
        Ok(Autoformer { config, store, net })
    }

    /// The config.
    pub fn config(&self) -> &AutoformerConfig {
        &self.config
    }
}

impl NeuralModel for Autoformer {
    fn name(&self) -> &'static str {
        "Autoformer"
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
        // The decomposition network's mixers are its own; `Kind` is not read.
        self.net
            .forward(ctx, n.dims(Kind::Full), batch, sizes)
            .into()
    }
}
