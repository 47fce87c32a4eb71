//! StemGNN: a spectral temporal graph neural network over all series at once.
//!
//! Cao, Wang, Ma, Liang, Zhang, Wang, Li, "Spectral Temporal Graph Neural Network for
//! Multivariate Time-series Forecasting", NeurIPS 2020 (arXiv:2103.07719).
//!
//! A latent correlation layer learns a graph between the `n_series` series (a GRU runs along the
//! series axis, self-attention turns its states into weights); the graph's normalised Laplacian
//! gives Chebyshev polynomials. Each of the two blocks projects the input on them (graph Fourier
//! transform), runs the spectral sequential cell (a complex FFT over the polynomial orders, gated
//! linear units on its real and imaginary parts, the inverse real FFT), mixes the orders with a
//! learned graph convolution and returns a forecast and (first block) a backcast that feeds the
//! second. The two forecasts are summed and mapped to the horizon.
//!
//! As NeuralForecast 3.3 builds it (`neuralforecast/models/stemgnn.py`), including its quirks:
//! - the zeroth Chebyshev polynomial is a zero matrix (not the identity), so the orders are
//!   `0, L, 2L², 4L³ - L`;
//! - the degrees come from the row sums of the attention before it is symmetrised, and the
//!   attention is averaged over the windows of the batch, so in training and in prediction a
//!   window's forecast depends on the other windows of its batch;
//! - dropout (`dropout_rate`) acts on the attention weights only;
//! - the inverse FFT reads the first 3 of the 4 frequencies the cells produce (`irfft` with
//!   `n = 4`), ignoring the imaginary parts of frequencies 0 and 2;
//! - the second block has a `backcast_short_cut` layer that is never used (it counts in the
//!   parameters, and gets no gradient);
//! - the head `Linear, LeakyReLU(0.01), Linear` maps each series' `input_size` features to
//!   `h * m` outputs.

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters, check,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{CellKind, Ctx, Linear, ParamId, ParamStore, Recurrent, init};
use serde::{Deserialize, Serialize};

/// Chebyshev orders of the graph convolution (NeuralForecast's fixed `K + 1 = 4`).
const ORDERS: usize = 4;
/// Negative slope of the head's LeakyReLU (PyTorch's default).
const HEAD_SLOPE: f32 = 0.01;

/// Configuration of [`StemGNN`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StemGNNConfig {
    /// Shared training knobs (defaults here: robust scaler, 3 learning-rate decays, 32 windows
    /// per step and per inference batch).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Number of series forecast jointly (required by NeuralForecast; default 1 here).
    pub n_series: usize,
    /// Number of StemGNN blocks (default 2; NeuralForecast supports only 2).
    pub n_stacks: usize,
    /// Width multiplier of the blocks' layers: `multi_layer * input_size` (default 5).
    pub multi_layer: usize,
    /// Dropout on the attention weights of the latent correlation layer (default 0.5).
    pub dropout_rate: f32,
    /// Negative slope of the attention's LeakyReLU (default 0.2).
    pub leaky_rate: f32,
}

impl StemGNNConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.num_lr_decays = 3;
        base.windows_batch_size = 32;
        base.inference_windows_batch_size = Some(32);
        base.scaler_type = neurodiv_core::reexports::ScalerType::Robust;
        StemGNNConfig {
            base,
            n_series: 1,
            n_stacks: 2,
            multi_layer: 5,
            dropout_rate: 0.5,
            leaky_rate: 0.2,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        check::at_least_one("n_series", self.n_series)?;
        check::at_least_one("multi_layer", self.multi_layer)?;
        if self.n_stacks != 2 {
            return Err(CoreError::Config {
                field: "n_stacks",
                reason: format!(
                    "StemGNN supports only 2 stacks (as NeuralForecast), got {}",
                    self.n_stacks
                ),
            });
        }
        let width = self.multi_layer.checked_mul(self.base.input_size);
        if width
            .and_then(|w| w.checked_mul(w))
            .and_then(|w2| w2.checked_mul(2 * ORDERS))
            .is_none()
        {
            return Err(CoreError::Config {
                field: "multi_layer",
                reason: "multi_layer * input_size is too large".into(),
            });
        }
        check::probability("dropout_rate", self.dropout_rate)?;
        if !self.leaky_rate.is_finite() {
            return Err(CoreError::Config {
                field: "leaky_rate",
                reason: format!("must be finite, got {}", self.leaky_rate),
            });
        }
        Ok(())
    }
}
base_setters!(StemGNNConfig);
neurodiv_core::config_setters!(StemGNNConfig {
    n_series: usize,
    n_stacks: usize,
    multi_layer: usize,
    dropout_rate: f32,
    leaky_rate: f32
});

/// NeuralForecast's `GLU`: `linear_left(x) * sigmoid(linear_right(x))`, two separate layers.
#[derive(Debug, Clone)]
struct Glu {
    left: Linear,
    right: Linear,
}

impl Glu {
    fn new(store: &mut ParamStore, name: &str, input: usize, output: usize, rng: &mut Rng) -> Self {
        Glu {
            left: Linear::new(
                store,
                &format!("{name}.linear_left"),
                input,
                output,
                true,
                rng,
            ),
            right: Linear::new(
                store,
                &format!("{name}.linear_right"),
                input,
                output,
                true,
                rng,
            ),
        }
    }

    /// `[..., input] -> [..., output]`
    fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> Var<'t> {
        self.left
            .forward(ctx, x)
            .mul(self.right.forward(ctx, x).sigmoid())
    }
}

/// One StemGNN block (NeuralForecast's `StockBlockLayer`).
#[derive(Debug, Clone)]
struct Block {
    /// `[1, 4, 1, mL, mL]`: the graph convolution's weights per Chebyshev order.
    weight: ParamId,
    forecast: Linear,
    forecast_result: Linear,
    /// The first block only.
    backcast: Option<Linear>,
    backcast_short_cut: Linear,
    /// Three layers each for the real (even indices) and imaginary (odd) parts.
    glus: Vec<Glu>,
    /// `multi_layer * input_size`.
    width: usize,
}

impl Block {
    /// `{name}.weight`, `.forecast`, `.forecast_result`, `.backcast` (first block),
    /// `.backcast_short_cut` and `.GLUs.{0..6}`, in NeuralForecast's order.
    fn new(
        store: &mut ParamStore,
        name: &str,
        l: usize,
        multi: usize,
        first: bool,
        rng: &mut Rng,
    ) -> Block {
        let width = multi * l;
        // xavier_normal_ on a 5-D tensor: fan_in = 4 * mL * mL, fan_out = 1 * mL * mL.
        let shape = [1, ORDERS, 1, width, width];
        let w = init::xavier_normal(&shape, ORDERS * width * width, width * width, 1.0, rng);
        let weight = store.add(format!("{name}.weight"), w);
        let lin = |store: &mut ParamStore, what: &str, i, o, rng: &mut Rng| {
            Linear::new(store, &format!("{name}.{what}"), i, o, true, rng)
        };
        let forecast = lin(store, "forecast", width, width, rng);
        let forecast_result = lin(store, "forecast_result", width, l, rng);
        let backcast = first.then(|| lin(store, "backcast", width, l, rng));
        let backcast_short_cut = lin(store, "backcast_short_cut", l, l, rng);
        // GLUs 0 and 1 read the 4 orders of `L` points; all output 4 * mL.
        let glus = (0..6)
            .map(|j| {
                let input = if j < 2 { ORDERS * l } else { ORDERS * width };
                Glu::new(
                    store,
                    &format!("{name}.GLUs.{j}"),
                    input,
                    ORDERS * width,
                    rng,
                )
            })
            .collect();
        Block {
            weight,
            forecast,
            forecast_result,
            backcast,
            backcast_short_cut,
            glus,
            width,
        }
    }

    /// `x [B, N, L]` and the Chebyshev stack `[4N, N]` -> the forecast `[B, N, L]` and, for the
    /// first block, the backcast `[B, N, L]`.
    fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>, cheb: Var<'t>) -> (Var<'t>, Option<Var<'t>>) {
        let [rows, n, l] = x.shape()[..] else {
            panic!("StemGNN block: input {:?} is not [B, N, L]", x.shape())
        };
        let w = self.width;
        // Graph Fourier transform with every order: [4N, N] · [N, B*L].
        let flat = x.permute(&[1, 0, 2]).reshape(&[n, rows * l]); // [B, N, L] -> [N, B*L]
        let g = cheb
            .matmul(flat)
            .reshape(&[ORDERS, n, rows, l]) // [4N, B*L] -> [4, N, B, L]
            .permute(&[2, 0, 1, 3]); // [4, N, B, L] -> [B, 4, N, L]
        // Spectral sequential cell: the complex FFT over the orders of the real input.
        let (re, im) = Var::fft(g, None, 1); // [B, 4, N, L] each
        let cells = |v: Var<'t>| v.permute(&[0, 2, 1, 3]).reshape(&[rows, n, ORDERS * l]); // [B, 4, N, L] -> [B, N, 4L]
        let (mut re, mut im) = (cells(re), cells(im));
        for pair in self.glus.chunks(2) {
            re = pair[0].forward(ctx, re); // [B, N, 4*mL]
            im = pair[1].forward(ctx, im);
        }
        let orders = |v: Var<'t>| v.reshape(&[rows, n, ORDERS, w]).permute(&[0, 2, 1, 3]); // [B, N, 4*mL] -> [B, 4, N, mL]
        let y = Var::irfft(orders(re), orders(im), ORDERS, 1); // [B, 4, N, mL]
        // Inverse graph transform: Σ_k y[k] · W[k].
        let y = y.permute(&[0, 2, 1, 3]).reshape(&[rows * n, ORDERS * w]); // [B, 4, N, mL] -> [B*N, 4*mL]
        let wk = ctx.p(self.weight).reshape(&[ORDERS * w, w]); // [1, 4, 1, mL, mL] -> [4*mL, mL]
        let conv = y.matmul(wk).reshape(&[rows, n, w]); // [B*N, mL] -> [B, N, mL]
        let source = self.forecast.forward(ctx, conv).sigmoid(); // [B, N, mL]
        let forecast = self.forecast_result.forward(ctx, source); // [B, N, L]
        let backcast = self.backcast.as_ref().map(|b| {
            let short = self.backcast_short_cut.forward(ctx, x); // [B, N, L]
            b.forward(ctx, conv).sub(short).sigmoid() // [B, N, mL] -> [B, N, L]
        });
        (forecast, backcast)
    }
}

/// NeuralForecast's `StemGNN`.
#[derive(Debug, Clone)]
pub struct StemGNN {
    config: StemGNNConfig,
    store: ParamStore,
    /// `[N, 1]` each: the self-attention's key and query maps.
    weight_key: ParamId,
    weight_query: ParamId,
    /// `GRU(input_size, n_series)` running along the series axis.
    gru: Recurrent,
    blocks: Vec<Block>,
    /// `fc.0` `[L] -> [L]` and `fc.2` `[L] -> [h*m]`.
    fc: (Linear, Linear),
}

impl StemGNN {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: StemGNNConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (l, n) = (b.input_size, config.n_series);
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        // xavier_uniform_ with gain 1.414 on [N, 1]: fan_in 1, fan_out N.
        let mut attention = |name: &str, rng: &mut Rng| {
            store.add(name, init::xavier_uniform(&[n, 1], 1, n, 1.414, rng))
        };
        let weight_key = attention("weight_key", &mut rng);
        let weight_query = attention("weight_query", &mut rng);
        let gru = Recurrent::new(
            &mut store,
            "GRU",
            CellKind::Gru,
            l,
            n,
            1,
            true,
            0.0,
            None,
            &mut rng,
        );
        let blocks = (0..config.n_stacks)
            .map(|i| {
                let name = format!("stock_block.{i}");
                Block::new(&mut store, &name, l, config.multi_layer, i == 0, &mut rng)
            })
            .collect();
        let fc = (
            Linear::new(&mut store, "fc.0", l, l, true, &mut rng),
            Linear::new(
                &mut store,
                "fc.2",
                l,
                b.h * b.output_multiplier(),
                true,
                &mut rng,
            ),
        );
        Ok(StemGNN {
            config,
            store,
            weight_key,
            weight_query,
            gru,
            blocks,
            fc,
        })
    }

    /// The config.
    pub fn config(&self) -> &StemGNNConfig {
        &self.config
    }

    /// The latent correlation layer: `x [B, L, N]` -> the Chebyshev polynomials of the learned
    /// graph's normalised Laplacian, stacked `[4N, N]`.
    fn graph<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>) -> Var<'t> {
        let [rows, _, n] = x.shape()[..] else {
            panic!("StemGNN: input {:?} is not [B, L, N]", x.shape())
        };
        // The series axis is the GRU's sequence axis, the window its features.
        let seq = x.permute(&[0, 2, 1]); // [B, L, N] -> [B, N, L]
        let (states, _) = self.gru.forward(ctx, seq, None); // [B, N, N(hidden)]
        let states = states.permute(&[0, 2, 1]); // [B, N(seq), N(hidden)] -> [B, N(hidden), N(seq)]
        let key = states.matmul(ctx.p(self.weight_key)); // [B, N, N] · [N, 1] -> [B, N, 1]
        let query = states
            .matmul(ctx.p(self.weight_query))
            .reshape(&[rows, 1, n]); // [B, N, 1] -> [B, 1, N]
        // attention[b, i, j] = softmax_j(leaky(key[b, i] + query[b, j])), averaged over windows.
        let attention = key
            .add(query) // [B, N, N]
            .leaky_relu(self.config.leaky_rate)
            .softmax()
            .dropout(self.config.dropout_rate, &mut ctx.rng)
            .mean(0, false); // [B, N, N] -> [N, N]
        let degree = attention.sum(1, true); // [N, 1], before symmetrising
        let sym = attention.add(attention.transpose(0, 1)).mul_scalar(0.5);
        let mut eye = Tensor::zeros(&[n, n]);
        for i in 0..n {
            eye.data_mut()[i * n + i] = 1.0;
        }
        let eye = ctx.constant(eye);
        let inv_sqrt = ctx
            .constant(Tensor::ones(&[n, 1]))
            .div(degree.sqrt().add_scalar(1e-7)); // [N, 1]
        // D^-1/2 (D - A) D^-1/2
        let laplacian = eye
            .mul(degree)
            .sub(sym)
            .mul(inv_sqrt)
            .mul(inv_sqrt.reshape(&[1, n])); // [N, N]
        // NeuralForecast's Chebyshev stack: T0 = 0, T1 = L, T2 = 2 L T1 - T0, T3 = 2 L T2 - T1.
        let t0 = ctx.constant(Tensor::zeros(&[n, n]));
        let t2 = laplacian.matmul(laplacian).mul_scalar(2.0);
        let t3 = laplacian.matmul(t2).mul_scalar(2.0).sub(laplacian);
        Var::concat(&[t0, laplacian, t2, t3], 0) // 4 x [N, N] -> [4N, N]
    }
}

impl NeuralModel for StemGNN {
    fn name(&self) -> &'static str {
        "StemGNN"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            multivariate: true,
            ..Capabilities::default()
        }
    }

    fn n_series(&self) -> Option<usize> {
        Some(self.config.n_series)
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (h, n, m) = (b.h, self.config.n_series, b.output_multiplier());
        let x = batch.insample_y; // [B, L, N]
        let rows = x.shape()[0];
        let cheb = self.graph(ctx, x); // [4N, N]
        let mut input = x.permute(&[0, 2, 1]); // [B, L, N] -> [B, N, L]
        let mut sum: Option<Var<'t>> = None;
        for block in &self.blocks {
            let (forecast, backcast) = block.forward(ctx, input, cheb);
            sum = Some(sum.map_or(forecast, |s| s.add(forecast))); // [B, N, L]
            if let Some(next) = backcast {
                input = next;
            }
        }
        let sum = sum.expect("validate() requires 2 stacks");
        let hidden = self.fc.0.forward(ctx, sum).leaky_relu(HEAD_SLOPE); // [B, N, L]
        let y = self.fc.1.forward(ctx, hidden).permute(&[0, 2, 1]); // [B, N, h*m] -> [B, h*m, N]
        // [B, h*m, N] holds (t, q, n) at t*m*N + q*N + n, read as [B, h, N, m] like TSMixer's.
        y.reshape(&[rows, h, n, m]).into()
    }
}
