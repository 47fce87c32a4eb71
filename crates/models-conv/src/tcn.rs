//! TCN: a stack of dilated causal convolutions over the input window, a linear "context
//! adapter" from the window's steps to the horizon's, and an MLP decoder per horizon step;
//! NeuralForecast's `TCN`.
//!
//! Bai, Kolter, Koltun, "An Empirical Evaluation of Generic Convolutional and Recurrent Networks
//! for Sequence Modeling", arXiv:1803.01271 (2018); the dilated causal convolutions are those of
//! van den Oord et al., "WaveNet", arXiv:1609.03499 (2016). As NeuralForecast builds it, the
//! stack has no residual connections and no weight normalisation: each layer is a causal
//! convolution (kernel `kernel_size`, dilation from `dilations`) followed by the activation.
//! Every step of the window reads the target, the historical, static and future exogenous
//! columns; the decoder of each horizon step also reads that step's future columns.

use neurodiv_core::check::at_least_one;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ExogAlign, ModelOutput, NeuralModel, WindowBatch,
    base_setters,
};
use neurodiv_data::ScalerType;
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Conv1d, Ctx, HorizonDecoder, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`TCN`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TCNConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Kernel size of every convolution (default 2).
    pub kernel_size: usize,
    /// Dilation of each layer (default `[1, 2, 4, 8, 16]`).
    pub dilations: Vec<usize>,
    /// Channels of every convolution (default 128).
    pub encoder_hidden_size: usize,
    /// Activation after every convolution (default ReLU).
    pub encoder_activation: Activation,
    /// Units of the decoder's hidden layers (default 128).
    pub decoder_hidden_size: usize,
    /// Layers of the MLP decoder, the output layer included (default 2).
    pub decoder_layers: usize,
    /// Activation of the decoder's hidden layers (default ReLU).
    pub decoder_activation: Activation,
}

impl TCNConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_conv::{TCN, TCNConfig};
    /// let config = TCNConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = TCN::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.scaler_type = ScalerType::Robust;
        base.windows_batch_size = 128;
        base.inference_windows_batch_size = Some(1024);
        TCNConfig {
            base,
            kernel_size: 2,
            dilations: vec![1, 2, 4, 8, 16],
            encoder_hidden_size: 128,
            encoder_activation: Activation::ReLU,
            decoder_hidden_size: 128,
            decoder_layers: 2,
            decoder_activation: Activation::ReLU,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        at_least_one("kernel_size", self.kernel_size)?;
        if self.dilations.is_empty() || self.dilations.contains(&0) {
            return Err(CoreError::Config {
                field: "dilations",
                reason: "needs at least one layer, every dilation at least 1".into(),
            });
        }
        at_least_one("encoder_hidden_size", self.encoder_hidden_size)?;
        at_least_one("decoder_layers", self.decoder_layers)?;
        if self.decoder_layers > 1 {
            at_least_one("decoder_hidden_size", self.decoder_hidden_size)?;
        }
        Ok(())
    }
}
base_setters!(TCNConfig);
neurodiv_core::config_setters!(TCNConfig {
    kernel_size: usize,
    dilations: Vec<usize>,
    encoder_hidden_size: usize,
    encoder_activation: Activation,
    decoder_hidden_size: usize,
    decoder_layers: usize,
    decoder_activation: Activation
});

/// NeuralForecast's `TCN`.
#[derive(Debug, Clone)]
pub struct TCN {
    config: TCNConfig,
    store: ParamStore,
    /// The causal convolutions, in order.
    convs: Vec<Conv1d>,
    /// The context adapter (`input_size` steps to `h`) and the MLP decoder.
    decoder: HorizonDecoder,
}

impl TCN {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: TCNConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let hidden = config.encoder_hidden_size;
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let mut c_in = b.step_features();
        let mut convs = Vec::with_capacity(config.dilations.len());
        for (i, &d) in config.dilations.iter().enumerate() {
            let name = format!("hist_encoder.tcn.{i}.conv");
            let shape = (c_in, hidden, config.kernel_size);
            convs.push(Conv1d::causal(&mut store, &name, shape, d, &mut rng));
            c_in = hidden;
        }
        let decoder = HorizonDecoder::new(
            &mut store,
            (b.input_size, b.h),
            hidden + b.futr_exog_list.len(),
            (
                config.decoder_hidden_size,
                config.decoder_layers,
                config.decoder_activation,
            ),
            b.output_multiplier(),
            &mut rng,
        );
        Ok(TCN {
            config,
            store,
            convs,
            decoder,
        })
    }

    /// The config.
    pub fn config(&self) -> &TCNConfig {
        &self.config
    }
}

impl NeuralModel for TCN {
    fn name(&self) -> &'static str {
        "TCN"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL_EXOG
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (h, l) = (b.h, b.input_size);
        // [B, L, 1 + X + S + F] -> [B, C, L]
        let mut x = batch.step_inputs(ExogAlign::Same).transpose(1, 2);
        for conv in &self.convs {
            x = self.config.encoder_activation.apply(conv.forward(ctx, x)); // [B, H, L]
        }
        let futr = batch.futr_exog.map(|f| f.slice(1, l, l + h)); // [B, L + h, F] -> [B, h, F]
        self.decoder.forward(ctx, x, futr).into() // [B, H, L] -> [B, h, m]
    }
}
