//! RNN, LSTM and GRU: a multi-layer recurrent encoder with an MLP decoder, NeuralForecast's
//! `RNN`, `LSTM` and `GRU`.
//!
//! The cells are Elman's recurrent network (Elman, "Finding structure in time", Cognitive Science
//! 14, 1990), the LSTM (Hochreiter & Schmidhuber, "Long short-term memory", Neural Computation 9,
//! 1997) and the GRU (Cho et al., "Learning phrase representations using RNN encoder-decoder for
//! statistical machine translation", EMNLP 2014), in PyTorch's formulation and layout. Each
//! input step holds the target, the historical, static and future exogenous values.
//!
//! Two modes, as in NeuralForecast 3:
//! - `recurrent = false` (default, direct): the encoder runs over the `input_size` window; the
//!   hidden states of its last `h` steps (or all of them mapped to `h` steps by a linear layer
//!   over time when `h > input_size`), each with the future exogenous values of its forecast
//!   step, go through the MLP decoder, giving the `h` steps at once.
//! - `recurrent = true`: trained with teacher forcing on one-step-ahead outputs (the last
//!   `h_train` scored), over `input_size + 1` points (NeuralForecast's extra input point), and
//!   predicted step by step, carrying the state and feeding each forecast back. The output is a
//!   linear projection of the last layer; for the LSTM, as in NeuralForecast, PyTorch's
//!   `proj_size` inside the cell instead, which projects the hidden state of every layer to the
//!   loss's output size (a one-unit bottleneck between layers with a point loss).
//!
//! NeuralForecast's RNN ignores its `encoder_activation` (its `nn.RNN` is always `tanh`); this
//! RNN is the `tanh` one and takes no such option.

use crate::inputs::{
    CAPABILITIES, StepNet, at_least_one, check_h_train, probability, recurrent_spec,
};
use neurodiv_autodiff::Var;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ExogAlign, ModelOutput, ModelSpec, NeuralModel,
    PredictKind, RecurrentState, RecursiveModel, WindowBatch, base_setters,
};
use neurodiv_data::ScalerType;
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, CellKind, Ctx, Linear, Mlp, ParamStore, Recurrent};
use serde::{Deserialize, Serialize};

/// Configuration of [`RNN`], [`LSTM`] and [`GRU`] (they take the same options), with
/// NeuralForecast's defaults: see each model's `default_config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecurrentConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Input points read before each forecast in recurrent mode (default: `input_size`).
    pub inference_input_size: Option<usize>,
    /// One-step outputs scored per training window in recurrent mode (default 1).
    pub h_train: usize,
    /// Recurrent layers (default 2).
    pub encoder_n_layers: usize,
    /// Units of each recurrent layer (default 128; 200 for GRU).
    pub encoder_hidden_size: usize,
    /// Whether the cells have biases (default true).
    pub encoder_bias: bool,
    /// Dropout on the outputs of every recurrent layer but the last, in training (default 0).
    pub encoder_dropout: f32,
    /// Units of the decoder's hidden layers (default 128).
    pub decoder_hidden_size: usize,
    /// Layers of the MLP decoder, the output layer included (default 2).
    pub decoder_layers: usize,
    /// Activation of the decoder's hidden layers (default ReLU).
    pub decoder_activation: Activation,
    /// Recurrent mode (see the module docs; default false).
    pub recurrent: bool,
}

impl RecurrentConfig {
    /// NeuralForecast's defaults of RNN and LSTM for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_recurrent::{LSTM, LSTMConfig};
    /// let config = LSTMConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = LSTM::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.scaler_type = ScalerType::Robust;
        base.windows_batch_size = 128;
        base.inference_windows_batch_size = Some(1024);
        RecurrentConfig {
            base,
            inference_input_size: None,
            h_train: 1,
            encoder_n_layers: 2,
            encoder_hidden_size: 128,
            encoder_bias: true,
            encoder_dropout: 0.0,
            decoder_hidden_size: 128,
            decoder_layers: 2,
            decoder_activation: Activation::ReLU,
            recurrent: false,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        at_least_one("encoder_n_layers", self.encoder_n_layers)?;
        at_least_one("encoder_hidden_size", self.encoder_hidden_size)?;
        at_least_one("decoder_layers", self.decoder_layers)?;
        if self.decoder_layers > 1 {
            at_least_one("decoder_hidden_size", self.decoder_hidden_size)?;
        }
        probability("encoder_dropout", self.encoder_dropout)?;
        if let Some(n) = self.inference_input_size {
            at_least_one("inference_input_size", n)?;
        }
        if self.recurrent {
            check_h_train(self.h_train, self.base.h)?;
        }
        Ok(())
    }
}
base_setters!(RecurrentConfig);
neurodiv_core::config_setters!(RecurrentConfig {
    h_train: usize,
    encoder_n_layers: usize,
    encoder_hidden_size: usize,
    encoder_bias: bool,
    encoder_dropout: f32,
    decoder_hidden_size: usize,
    decoder_layers: usize,
    decoder_activation: Activation,
    recurrent: bool
});

/// Configuration of [`RNN`].
pub type RNNConfig = RecurrentConfig;
/// Configuration of [`LSTM`].
pub type LSTMConfig = RecurrentConfig;
/// Configuration of [`GRU`].
pub type GRUConfig = RecurrentConfig;

/// How the encoder's outputs become the model's raw outputs.
#[derive(Debug, Clone)]
enum Output {
    /// Direct mode: the last `h` hidden states (or all mapped to `h` steps over time), with the
    /// future columns, through the MLP decoder.
    Direct {
        upsample: Option<Linear>,
        decoder: Mlp,
    },
    /// Recurrent mode: a linear projection of every step (a one-layer MLP), or none when the
    /// LSTM projects inside its cells.
    Step(Option<Mlp>),
}

/// The network of the three models.
#[derive(Debug, Clone)]
struct Net {
    config: RecurrentConfig,
    store: ParamStore,
    encoder: Recurrent,
    output: Output,
}

impl Net {
    fn new(kind: CellKind, config: RecurrentConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (hidden, m) = (config.encoder_hidden_size, b.output_multiplier());
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let lstm_projects = kind == CellKind::Lstm && config.recurrent;
        // The recurrent LSTM projects its hidden state to the loss's outputs per step, which
        // (as in PyTorch) must be fewer than its hidden units.
        if lstm_projects && m >= hidden {
            return Err(CoreError::Config {
                field: "encoder_hidden_size",
                reason: format!(
                    "must exceed the {m} outputs per step of the loss {} for the recurrent LSTM, got {hidden}",
                    b.loss
                ),
            });
        }
        let encoder = Recurrent::new(
            &mut store,
            "hist_encoder",
            kind,
            b.step_features(),
            hidden,
            config.encoder_n_layers,
            config.encoder_bias,
            config.encoder_dropout,
            lstm_projects.then_some(m),
            &mut rng,
        );
        let output = if config.recurrent {
            let proj = (!lstm_projects).then(|| {
                Mlp::new(
                    &mut store,
                    "proj",
                    &[hidden, m],
                    Activation::ReLU,
                    0.0,
                    &mut rng,
                )
            });
            Output::Step(proj)
        } else {
            let decoder = Mlp::decoder(
                &mut store,
                "mlp_decoder",
                hidden + b.futr_exog_list.len(),
                config.decoder_hidden_size,
                config.decoder_layers,
                m,
                config.decoder_activation,
                &mut rng,
            );
            let upsample = (b.h > b.input_size).then(|| {
                Linear::new(
                    &mut store,
                    "upsample_sequence",
                    b.input_size,
                    b.h,
                    true,
                    &mut rng,
                )
            });
            Output::Direct { upsample, decoder }
        };
        Ok(Net {
            config,
            store,
            encoder,
            output,
        })
    }

    fn spec(&self) -> ModelSpec {
        let c = &self.config;
        if !c.recurrent {
            return ModelSpec::direct(CAPABILITIES);
        }
        recurrent_spec(
            &c.base,
            c.h_train,
            PredictKind::Recursive,
            c.inference_input_size,
        )
    }

    /// The recurrent mode's network (`None` in direct mode).
    fn steps(&self) -> Option<StepNet<'_>> {
        match &self.output {
            Output::Step(decoder) => Some(StepNet {
                encoder: &self.encoder,
                decoder: decoder.as_ref(),
                base: &self.config.base,
            }),
            Output::Direct { .. } => None,
        }
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let Output::Direct { upsample, decoder } = &self.output else {
            let steps = self.steps().expect("recurrent mode");
            return steps.forward(ctx, batch).into(); // [B, T, m]
        };
        let b = &self.config.base;
        let (h, l) = (b.h, b.input_size);
        let x = batch.step_inputs(ExogAlign::Same); // [B, L, 1 + X + S + F]
        let (states, _) = self.encoder.forward(ctx, x, None); // [B, L, H]
        let mut z = match upsample {
            Some(up) => {
                let t = states.permute(&[0, 2, 1]); // [B, L, H] -> [B, H, L]
                up.forward(ctx, t).permute(&[0, 2, 1]) // [B, H, L] -> [B, H, h] -> [B, h, H]
            }
            None => states.slice(1, l - h, l), // [B, L, H] -> [B, h, H]
        };
        if let Some(f) = batch.futr_exog {
            z = Var::concat(&[z, f.slice(1, l, l + h)], 2); // [B, h, H] + [B, h, F] -> [B, h, H + F]
        }
        decoder.forward(ctx, z).into() // [B, h, H + F] -> [B, h, m]
    }
}

impl RecursiveModel for Net {
    fn start<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> (Var<'t>, RecurrentState) {
        self.steps().expect("recurrent mode").start(ctx, batch)
    }

    fn step<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        state: &RecurrentState,
        y: Var<'t>,
        futr: Option<Var<'t>>,
    ) -> (Var<'t>, RecurrentState) {
        self.steps()
            .expect("recurrent mode")
            .step(ctx, state, y, futr)
    }
}

/// One public model per cell kind, sharing [`Net`].
macro_rules! recurrent_model {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $hidden:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(Net);

        impl $name {
            /// Builds the model with parameters initialised from `config.base.random_seed`.
            pub fn new(config: RecurrentConfig) -> Result<Self, CoreError> {
                Net::new($kind, config).map($name)
            }

            /// NeuralForecast's defaults of this model for horizon `h` and input window
            /// `input_size`.
            pub fn default_config(h: usize, input_size: usize) -> RecurrentConfig {
                RecurrentConfig::new(h, input_size).encoder_hidden_size($hidden)
            }

            /// The config.
            pub fn config(&self) -> &RecurrentConfig {
                &self.0.config
            }
        }

        impl NeuralModel for $name {
            fn name(&self) -> &'static str {
                stringify!($name)
            }
            fn base(&self) -> &BaseConfig {
                &self.0.config.base
            }
            fn capabilities(&self) -> Capabilities {
                CAPABILITIES
            }
            fn spec(&self) -> ModelSpec {
                self.0.spec()
            }
            fn recursive(&self) -> Option<&dyn RecursiveModel> {
                self.0.config.recurrent.then_some(&self.0 as &dyn RecursiveModel)
            }
            fn params(&self) -> &ParamStore {
                &self.0.store
            }
            fn params_mut(&mut self) -> &mut ParamStore {
                &mut self.0.store
            }
            fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
                self.0.forward(ctx, batch)
            }
            fn config_json(&self) -> String {
                serde_json::to_string(&self.0.config).expect("configs serialise")
            }
        }
    };
}

recurrent_model!(
    /// NeuralForecast's `RNN`: a multi-layer `tanh` recurrent network and an MLP decoder.
    RNN,
    CellKind::Rnn,
    128
);
recurrent_model!(
    /// NeuralForecast's `LSTM`: a multi-layer LSTM and an MLP decoder.
    LSTM,
    CellKind::Lstm,
    128
);
recurrent_model!(
    /// NeuralForecast's `GRU`: a multi-layer GRU and an MLP decoder.
    GRU,
    CellKind::Gru,
    200
);
