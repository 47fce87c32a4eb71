//! BiTCN: a backward-looking temporal convolution network over the past and, when future
//! exogenous columns are given, a forward-looking one over past and future; NeuralForecast's
//! `BiTCN`.
//!
//! Sprangers, Schelter, de Rijke, "Parameter-efficient deep probabilistic forecasting",
//! International Journal of Forecasting 39(1), 2023 (arXiv:2309.09290). The inputs of every step
//! (target, historical, static and future columns) are mapped to `hidden_size` channels; each
//! cell of the backward stack convolves with kernel 2 and dilation `2^i`, padded on the left (it
//! sees the past only), applies GELU and dropout, and a 1 x 1 convolution splits into a residual
//! added to the cell's input and a skip output summed over the cells. The number of cells is
//! the smallest that covers the window (`ceil(log2(input_size))`). The forward stack does the
//! same over the `input_size + h` steps of the future columns, padded on the right (it sees
//! what comes after). A dense layer over time maps the window's steps to the horizon's, and the
//! output layer reads, per horizon step, the channels of both stacks.

use neurodiv_autodiff::Var;
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ExogAlign, ModelOutput, NeuralModel, WindowBatch,
    base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Conv1d, Ctx, Dropout, Linear, ParamStore};
use serde::{Deserialize, Serialize};

/// The kernel size of every cell (fixed by NeuralForecast).
const KERNEL: usize = 2;

/// Configuration of [`BiTCN`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiTCNConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Channels of the cells and units of the dense layers (default 16).
    pub hidden_size: usize,
    /// Dropout after the input maps, inside every cell and after the temporal layer
    /// (default 0.5).
    pub dropout: f32,
}

impl BiTCNConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_conv::{BiTCN, BiTCNConfig};
    /// let config = BiTCNConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = BiTCN::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.inference_windows_batch_size = Some(1024);
        BiTCNConfig {
            base,
            hidden_size: 16,
            dropout: 0.5,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        at_least_one("hidden_size", self.hidden_size)?;
        probability("dropout", self.dropout)
    }
}
base_setters!(BiTCNConfig);
neurodiv_core::config_setters!(BiTCNConfig {
    hidden_size: usize,
    dropout: f32
});

/// Cells needed for kernel-2 convolutions with dilations 1, 2, 4, ... to see `len` steps:
/// `ceil(log2(len))`, at least one.
fn cells_for(len: usize) -> usize {
    let bits = (usize::BITS - len.saturating_sub(1).leading_zeros()) as usize;
    bits.max(1)
}

/// One cell: a dilated convolution, GELU and dropout, then a 1 x 1 convolution to twice the
/// channels, split into a residual and a skip output.
#[derive(Debug, Clone)]
struct Cell {
    conv1: Conv1d,
    conv2: Conv1d,
}

impl Cell {
    /// Cell `i` of a stack: dilation `2^i`, padded on the left (`backward`) or the right.
    fn new(
        store: &mut ParamStore,
        name: &str,
        hidden: usize,
        i: usize,
        backward: bool,
        rng: &mut Rng,
    ) -> Self {
        let d = 1 << i;
        let pad = (KERNEL - 1) * d;
        let padding = if backward { (pad, 0) } else { (0, pad) };
        let conv1 = Conv1d::new(
            store,
            &format!("{name}.conv1"),
            (hidden, hidden, KERNEL),
            padding,
            d,
            true,
            rng,
        );
        let conv2 = Conv1d::new(
            store,
            &format!("{name}.conv2"),
            (hidden, 2 * hidden, 1),
            (0, 0),
            1,
            true,
            rng,
        );
        Cell { conv1, conv2 }
    }

    /// `(x, skip)` `[B, H, T]` each -> `(x + residual, skip + out)`.
    fn forward<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        drop: Dropout,
        x: Var<'t>,
        skip: Option<Var<'t>>,
    ) -> (Var<'t>, Var<'t>) {
        let hidden = x.shape()[1];
        let z = drop.forward(ctx, self.conv1.forward(ctx, x).gelu()); // [B, H, T]
        let parts = self.conv2.forward(ctx, z).split(1, &[hidden, hidden]); // [B, 2H, T] -> 2 x [B, H, T]
        let skip = match skip {
            Some(s) => s.add(parts[1]),
            None => parts[1],
        };
        (x.add(parts[0]), skip)
    }
}

/// Runs a stack of cells on `x` `[B, H, T]`; returns the summed skip outputs `[B, H, T]`.
fn stack<'t>(ctx: &mut Ctx<'t>, cells: &[Cell], drop: Dropout, mut x: Var<'t>) -> Var<'t> {
    let mut skip = None;
    for cell in cells {
        let (next, s) = cell.forward(ctx, drop, x, skip);
        x = next;
        skip = Some(s);
    }
    skip.expect("a stack has at least one cell")
}

/// NeuralForecast's `BiTCN`.
#[derive(Debug, Clone)]
pub struct BiTCN {
    config: BiTCNConfig,
    store: ParamStore,
    lin_hist: Linear,
    net_bwd: Vec<Cell>,
    /// The future columns' input map and forward stack, when there are future columns.
    futr: Option<(Linear, Vec<Cell>)>,
    temporal_lin1: Linear,
    temporal_lin2: Linear,
    output_lin: Linear,
}

impl BiTCN {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: BiTCNConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let hidden = config.hidden_size;
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let lin_hist = Linear::new(
            &mut store,
            "lin_hist",
            b.step_features(),
            hidden,
            true,
            &mut rng,
        );
        let net_bwd = (0..cells_for(b.input_size))
            .map(|i| {
                Cell::new(
                    &mut store,
                    &format!("net_bwd.{i}"),
                    hidden,
                    i,
                    true,
                    &mut rng,
                )
            })
            .collect();
        let nf = b.futr_exog_list.len();
        let futr = (nf > 0).then(|| {
            let lin = Linear::new(&mut store, "lin_futr", nf, hidden, true, &mut rng);
            let cells = (0..cells_for(b.input_size + b.h))
                .map(|i| {
                    Cell::new(
                        &mut store,
                        &format!("net_fwd.{i}"),
                        hidden,
                        i,
                        false,
                        &mut rng,
                    )
                })
                .collect();
            (lin, cells)
        });
        let temporal_lin1 = Linear::new(
            &mut store,
            "temporal_lin1",
            b.input_size,
            hidden,
            true,
            &mut rng,
        );
        let temporal_lin2 = Linear::new(&mut store, "temporal_lin2", hidden, b.h, true, &mut rng);
        let stacks = if nf > 0 { 3 } else { 1 };
        let output_lin = Linear::new(
            &mut store,
            "output_lin",
            stacks * hidden,
            b.output_multiplier(),
            true,
            &mut rng,
        );
        Ok(BiTCN {
            config,
            store,
            lin_hist,
            net_bwd,
            futr,
            temporal_lin1,
            temporal_lin2,
            output_lin,
        })
    }

    /// The config.
    pub fn config(&self) -> &BiTCNConfig {
        &self.config
    }
}

impl NeuralModel for BiTCN {
    fn name(&self) -> &'static str {
        "BiTCN"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL_EXOG
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let l = self.config.base.input_size;
        let drop = Dropout {
            p: self.config.dropout,
        };
        // The future stack over the whole window and horizon: [B, H, L + h].
        let futr = match (&self.futr, batch.futr_exog) {
            (Some((lin, cells)), Some(f)) => {
                let z = drop.forward(ctx, lin.forward(ctx, f)); // [B, L + h, F] -> [B, L + h, H]
                Some(stack(ctx, cells, drop, z.transpose(1, 2))) // [B, H, L + h]
            }
            _ => None,
        };
        let x = batch.step_inputs(ExogAlign::Same); // [B, L, 1 + X + S + F]
        let x = drop.forward(ctx, self.lin_hist.forward(ctx, x)); // [B, L, H]
        let mut x = stack(ctx, &self.net_bwd, drop, x.transpose(1, 2)); // [B, H, L]
        if let Some(f) = futr {
            x = Var::concat(&[x, f.slice(2, 0, l)], 1); // [B, H, L] + [B, H, L] -> [B, 2H, L]
        }
        let x = drop.forward(ctx, self.temporal_lin1.forward(ctx, x).gelu()); // [B, 2H, L] -> [B, 2H, H]
        let mut x = self.temporal_lin2.forward(ctx, x); // [B, 2H, H] -> [B, 2H, h]
        if let Some(f) = futr {
            let t = f.shape()[2];
            x = Var::concat(&[x, f.slice(2, l, t)], 1); // [B, 2H, h] + [B, H, h] -> [B, 3H, h]
        }
        // [B, 3H, h] -> [B, h, 3H] -> [B, h, m]
        self.output_lin.forward(ctx, x.transpose(1, 2)).into()
    }
}

#[cfg(test)]
mod tests {
    use super::cells_for;

    #[test]
    fn cells_cover_the_window_as_neuralforecast_counts_them() {
        // NeuralForecast: ceil(log2((L - 1) / (kernel - 1) + 1)) with kernel 2.
        for (len, cells) in [
            (1, 1),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (24, 5),
            (32, 5),
            (33, 6),
            (36, 6),
        ] {
            assert_eq!(cells_for(len), cells, "len {len}");
        }
    }
}
