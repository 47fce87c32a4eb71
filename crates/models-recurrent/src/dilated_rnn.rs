//! DilatedRNN: stacks of recurrent layers with exponentially growing dilations and an MLP
//! decoder, NeuralForecast's `DilatedRNN`.
//!
//! Chang et al., "Dilated Recurrent Neural Networks", NeurIPS 2017. A layer of dilation `d`
//! runs its cell over `d` interleaved subsequences (points `j, j + d, j + 2d, ...`), so its state
//! skips `d - 1` points; NeuralForecast groups the layers (`dilations = [[1, 2], [4, 8]]`), adds
//! a residual connection around every group but the first, maps the last group's outputs over
//! time from `input_size` to `h` steps with a linear "context adapter", appends the future
//! exogenous values of each forecast step and decodes each step with an MLP. Cells: LSTM
//! (default), GRU or the `tanh` RNN; NeuralForecast's experimental `ResLSTM` and
//! `AttentiveLSTM` cells are not offered.

use crate::inputs::{CAPABILITIES, at_least_one};
use neurodiv_autodiff::Var;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ExogAlign, ModelOutput, NeuralModel, WindowBatch,
    base_setters,
};
use neurodiv_data::ScalerType;
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, CellKind, Ctx, HorizonDecoder, ParamStore, Recurrent};
use serde::{Deserialize, Serialize};

/// The recurrent cell of a [`DilatedRNN`] (NeuralForecast's `cell_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DilatedCell {
    /// `"RNN"`: the `tanh` recurrent cell.
    #[serde(rename = "RNN")]
    Rnn,
    /// `"LSTM"` (default).
    #[serde(rename = "LSTM")]
    Lstm,
    /// `"GRU"`.
    #[serde(rename = "GRU")]
    Gru,
}

/// Configuration of [`DilatedRNN`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DilatedRNNConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// The cell of every layer (default LSTM).
    pub cell_type: DilatedCell,
    /// Dilations of the layers, in groups (default `[[1, 2], [4, 8]]`).
    pub dilations: Vec<Vec<usize>>,
    /// Units of every recurrent layer (default 128).
    pub encoder_hidden_size: usize,
    /// Units of the decoder's hidden layers (default 128).
    pub decoder_hidden_size: usize,
    /// Layers of the MLP decoder, the output layer included (default 2).
    pub decoder_layers: usize,
    /// Activation of the decoder's hidden layers (default ReLU).
    pub decoder_activation: Activation,
}

impl DilatedRNNConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_recurrent::{DilatedRNN, DilatedRNNConfig};
    /// let config = DilatedRNNConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = DilatedRNN::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.scaler_type = ScalerType::Robust;
        base.num_lr_decays = 3;
        base.windows_batch_size = 128;
        base.inference_windows_batch_size = Some(1024);
        DilatedRNNConfig {
            base,
            cell_type: DilatedCell::Lstm,
            dilations: vec![vec![1, 2], vec![4, 8]],
            encoder_hidden_size: 128,
            decoder_hidden_size: 128,
            decoder_layers: 2,
            decoder_activation: Activation::ReLU,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        let bad = |reason: &str| CoreError::Config {
            field: "dilations",
            reason: reason.into(),
        };
        if self.dilations.is_empty() || self.dilations.iter().any(Vec::is_empty) {
            return Err(bad("needs at least one group of at least one layer"));
        }
        if self.dilations.iter().flatten().any(|&d| d == 0) {
            return Err(bad("every dilation must be at least 1"));
        }
        // A dilation beyond the input window leaves every subsequence one point long; the
        // forward pass pads the window to a multiple of each dilation.
        if let Some(&d) = self
            .dilations
            .iter()
            .flatten()
            .find(|&&d| d > self.base.input_size)
        {
            return Err(CoreError::Config {
                field: "dilations",
                reason: format!(
                    "every dilation must be at most input_size = {}, got {d}",
                    self.base.input_size
                ),
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
base_setters!(DilatedRNNConfig);
neurodiv_core::config_setters!(DilatedRNNConfig {
    cell_type: DilatedCell,
    dilations: Vec<Vec<usize>>,
    encoder_hidden_size: usize,
    decoder_hidden_size: usize,
    decoder_layers: usize,
    decoder_activation: Activation
});

/// NeuralForecast's `DilatedRNN`.
#[derive(Debug, Clone)]
pub struct DilatedRNN {
    config: DilatedRNNConfig,
    store: ParamStore,
    /// Per group, per layer: the one-layer recurrent network and its dilation.
    groups: Vec<Vec<(Recurrent, usize)>>,
    /// The context adapter (`input_size` output steps to `h`) and the MLP decoder.
    decoder: HorizonDecoder,
}

impl DilatedRNN {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: DilatedRNNConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let hidden = config.encoder_hidden_size;
        let kind = match config.cell_type {
            DilatedCell::Rnn => CellKind::Rnn,
            DilatedCell::Lstm => CellKind::Lstm,
            DilatedCell::Gru => CellKind::Gru,
        };
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let mut groups = Vec::with_capacity(config.dilations.len());
        let mut features = b.step_features();
        for (g, dilations) in config.dilations.iter().enumerate() {
            let mut layers = Vec::with_capacity(dilations.len());
            for (i, &d) in dilations.iter().enumerate() {
                let name = format!("rnn_stack.{g}.cells.{i}");
                let cell = Recurrent::new(
                    &mut store, &name, kind, features, hidden, 1, true, 0.0, None, &mut rng,
                );
                layers.push((cell, d));
                features = hidden;
            }
            groups.push(layers);
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
        Ok(DilatedRNN {
            config,
            store,
            groups,
            decoder,
        })
    }

    /// The config.
    pub fn config(&self) -> &DilatedRNNConfig {
        &self.config
    }
}

/// Runs `cell` with dilation `d` over `x` (`[B, T, C]`): the `d` interleaved subsequences as a
/// batch of `B * d`, the end padded with zeros to a multiple of `d` (the padding comes after
/// every real point, so no output of a real point sees it). Returns `[B, T, H]`.
fn dilated<'t>(ctx: &mut Ctx<'t>, cell: &Recurrent, d: usize, x: Var<'t>) -> Var<'t> {
    let (b, t, c) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    if d == 1 {
        return cell.forward(ctx, x, None).0;
    }
    let steps = t.div_ceil(d);
    let x = x.pad(1, 0, steps * d - t, 0.0); // [B, T, C] -> [B, steps * d, C]
    let x = x
        .reshape(&[b, steps, d, c]) // [B, steps * d, C] -> [B, steps, d, C]
        .permute(&[0, 2, 1, 3]) // [B, steps, d, C] -> [B, d, steps, C]
        .reshape(&[b * d, steps, c]); // [B, d, steps, C] -> [B * d, steps, C]
    let (out, _) = cell.forward(ctx, x, None); // [B * d, steps, H]
    let hidden = out.shape()[2];
    out.reshape(&[b, d, steps, hidden]) // [B * d, steps, H] -> [B, d, steps, H]
        .permute(&[0, 2, 1, 3]) // [B, d, steps, H] -> [B, steps, d, H]
        .reshape(&[b, steps * d, hidden]) // [B, steps, d, H] -> [B, steps * d, H]
        .slice(1, 0, t) // [B, steps * d, H] -> [B, T, H]
}

impl NeuralModel for DilatedRNN {
    fn name(&self) -> &'static str {
        "DilatedRNN"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (h, l) = (b.h, b.input_size);
        let mut x = batch.step_inputs(ExogAlign::Same); // [B, L, 1 + X + S + F]
        for (g, layers) in self.groups.iter().enumerate() {
            let residual = x;
            for (cell, d) in layers {
                x = dilated(ctx, cell, *d, x); // [B, L, C] -> [B, L, H]
            }
            if g > 0 {
                x = x.add(residual);
            }
        }
        let futr = batch.futr_exog.map(|f| f.slice(1, l, l + h)); // [B, L + h, F] -> [B, h, F]
        // [B, L, H] -> [B, H, L] -> [B, h, m]
        self.decoder
            .forward(ctx, x.permute(&[0, 2, 1]), futr)
            .into()
    }
}
