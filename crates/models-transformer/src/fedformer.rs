//! FEDformer: the decomposition transformer with frequency-enhanced blocks; NeuralForecast's
//! `FEDformer` (its "Fourier" version).
//!
//! Zhou, Ma, Wen, Wang, Sun, Jin, "FEDformer: Frequency Enhanced Decomposed Transformer for
//! Long-term Series Forecasting", ICML 2022 (arXiv:2201.12740). FEDformer's decomposition
//! encoder-decoder, with time mixed in the frequency domain: each self-attention is a
//! `FourierBlock` (complex weights on `modes` selected frequencies of the queries), the
//! cross-attention a `FourierCross` (attention between the selected modes of queries and keys).
//!
//! As in NeuralForecast: one Fourier block is shared by all encoder layers and one by all
//! decoder layers (built once, handed to each layer); the decoder's blocks select their modes
//! from a sequence of `input_size / 2 + h` steps; eight heads (`n_head` must be 8); the
//! frequency output is read back as `[B, L, H * E]` without a transpose; the value projections
//! exist but are not read; the random mode selection draws from the model's seed.

use crate::blocks::Kind;
use crate::decomposition::{DecompTransformer, Mixer, Role};
use crate::encdec::{EncoderDecoderOptions, base_defaults, net_setters};
use neurodiv_attention::{FourierBlock, FourierCross, MultiHeadAttention};
use neurodiv_core::check::{at_least_one, odd};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`FEDformer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FEDformerConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Sizes and the decoder's look-back.
    #[serde(flatten)]
    pub net: EncoderDecoderOptions,
    /// Fourier modes per block, at most half the sequence (default 64).
    pub modes: usize,
    /// How modes are chosen: `"random"` or `"low"` (the lowest; default `"random"`).
    pub mode_select: String,
    /// Window of the trend's moving average, odd (default 25).
    #[serde(rename = "MovingAvg_window", alias = "moving_avg_window")]
    pub moving_avg_window: usize,
}

impl FEDformerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_transformer::{FEDformer, FEDformerConfig};
    /// let config = FEDformerConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = FEDformer::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        FEDformerConfig {
            base: base_defaults(h, input_size),
            // Eight heads, which NeuralForecast requires.
            net: EncoderDecoderOptions {
                n_head: 8,
                ..Default::default()
            },
            modes: 64,
            mode_select: "random".into(),
            moving_avg_window: 25,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.net.validate(&self.base)?;
        at_least_one("modes", self.modes)?;
        let bad = |field, reason: String| Err(CoreError::Config { field, reason });
        let n = &self.net;
        if n.n_head != 8 || !n.hidden_size.is_multiple_of(8) {
            return bad(
                "n_head",
                format!(
                    "must be 8 with hidden_size a multiple of 8 (got {} and {})",
                    n.n_head, n.hidden_size
                ),
            );
        }
        if !matches!(self.mode_select.as_str(), "random" | "low") {
            return bad(
                "mode_select",
                format!("must be \"random\" or \"low\", got {:?}", self.mode_select),
            );
        }
        odd("MovingAvg_window", self.moving_avg_window)
    }
}
base_setters!(FEDformerConfig);
net_setters!(FEDformerConfig);
neurodiv_core::config_setters!(FEDformerConfig {
    modes: usize,
    mode_select: String,
    moving_avg_window: usize
});

/// NeuralForecast's `FEDformer`.
#[derive(Debug, Clone)]
pub struct FEDformer {
    config: FEDformerConfig,
    store: ParamStore,
    net: DecompTransformer,
}

impl FEDformer {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: FEDformerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let mut rng = Rng::new(config.base.random_seed);
        let mut store = ParamStore::new();
        let dims = config.net.dims(Kind::Full);
        let (b, hidden, modes) = (&config.base, dims.hidden, config.modes);
        let random = config.mode_select == "random";
        let (l_enc, l_dec) = (b.input_size, b.input_size / 2 + b.h);
        let name = |layers: &str| format!("{layers}.0.attention.inner_correlation");
        let enc_block = FourierBlock::new(
            &mut store,
            &name("encoder.attn_layers"),
            hidden,
            (l_enc, modes, random),
            &mut rng,
        );
        let dec_block = FourierBlock::new(
            &mut store,
            &name("decoder.layers.self"),
            hidden,
            (l_dec, modes, random),
            &mut rng,
        );
        let cross = FourierCross::new(
            &mut store,
            &name("decoder.layers.cross"),
            hidden,
            (l_dec, l_enc, modes, random),
            &mut rng,
        );
        let per_head = hidden / dims.heads;
        let mut mixer = |store: &mut ParamStore, name: &str, role, rng: &mut Rng| {
            let mha =
                MultiHeadAttention::new(store, name, hidden, dims.heads, (per_head, per_head), rng);
            match role {
                Role::EncoderSelf => Mixer::Fourier {
                    mha,
                    block: enc_block.clone(),
                },
                Role::DecoderSelf => Mixer::Fourier {
                    mha,
                    block: dec_block.clone(),
                },
                Role::DecoderCross => Mixer::FourierCross {
                    mha,
                    block: cross.clone(),
                },
            }
        };
        let layers = (
            config.net.encoder_layers,
            config.net.decoder_layers,
            config.moving_avg_window,
        );
        let net =
            DecompTransformer::new(&mut store, &config.base, dims, layers, &mut mixer, &mut rng);
        Ok(FEDformer { config, store, net })
    }

    /// The config.
    pub fn config(&self) -> &FEDformerConfig {
        &self.config
    }
}

impl NeuralModel for FEDformer {
    fn name(&self) -> &'static str {
        "FEDformer"
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
