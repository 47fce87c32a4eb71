//! TimesNet: the series reshaped into 2-D grids of its dominant periods and convolved there;
//! NeuralForecast's `TimesNet`.
//!
//! Wu, Hu, Liu, Zhou, Wang, Long, "TimesNet: Temporal 2D-Variation Modeling for General Time
//! Series Analysis", ICLR 2023 (arXiv:2210.02186). The window is embedded (a circular value
//! convolution, sinusoidal positions, the future exogenous columns through a linear map) and a
//! linear layer over time stretches its `L` steps to `L + h`. Each TimesBlock takes the FFT
//! amplitude of its input, picks the `top_k` frequencies of largest amplitude averaged over the
//! batch and the channels, and for each one's period `p` folds the `L + h` steps (zero-padded to
//! a multiple of `p`) into a `[rows, p]` grid, applies two Inception blocks (2-D convolutions
//! with kernels 1, 3, ..., averaged) with GELU between, unfolds, and sums the `top_k` results
//! weighted by the softmax of each window's amplitudes at those frequencies, plus the input.
//! A shared layer norm follows every block; a linear projection gives the outputs of the last
//! `h` steps.
//!
//! Two choices give NeuralForecast's function at a fraction of its arithmetic. An Inception
//! block's kernels are centred and zero-padded alike, so their average is one convolution with
//! the average of the kernels padded to the largest size; the block is computed that way (the
//! gradients of the small kernels follow through the padding). And taps of that kernel that
//! only ever read the zero padding of a short grid (most rows of an 11 x 11 kernel on a grid two
//! rows high) are skipped by the convolution. As in NeuralForecast, the periods are chosen per
//! batch, so a forecast can depend on which windows share its batch.

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_data::ScalerType;
use neurodiv_kernels::{Rng, top_k};
use neurodiv_nn::{Ctx, DataEmbedding, LayerNorm, Linear, ParamId, ParamStore, init};
use serde::{Deserialize, Serialize};

/// Configuration of [`TimesNet`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimesNetConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Channels of the embedding and of the blocks' inputs and outputs (default 64).
    pub hidden_size: usize,
    /// Dropout of the embedding (default 0.1).
    pub dropout: f32,
    /// Channels between the two Inception blocks (default 64).
    pub conv_hidden_size: usize,
    /// Periods per block (default 5).
    pub top_k: usize,
    /// Kernels per Inception block, of sizes 1, 3, ..., `2 num_kernels - 1` (default 6).
    pub num_kernels: usize,
    /// TimesBlocks (default 2).
    pub encoder_layers: usize,
}

impl TimesNetConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_conv::{TimesNet, TimesNetConfig};
    /// let config = TimesNetConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = TimesNet::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.learning_rate = 1e-4;
        base.scaler_type = ScalerType::Standard;
        base.windows_batch_size = 64;
        base.inference_windows_batch_size = Some(256);
        TimesNetConfig {
            base,
            hidden_size: 64,
            dropout: 0.1,
            conv_hidden_size: 64,
            top_k: 5,
            num_kernels: 6,
            encoder_layers: 2,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        for (field, v) in [
            ("hidden_size", self.hidden_size),
            ("conv_hidden_size", self.conv_hidden_size),
            ("top_k", self.top_k),
            ("num_kernels", self.num_kernels),
            ("encoder_layers", self.encoder_layers),
        ] {
            at_least_one(field, v)?;
        }
        probability("dropout", self.dropout)
    }
}
base_setters!(TimesNetConfig);
neurodiv_core::config_setters!(TimesNetConfig {
    hidden_size: usize,
    dropout: f32,
    conv_hidden_size: usize,
    top_k: usize,
    num_kernels: usize,
    encoder_layers: usize
});

/// An Inception block: 2-D convolutions with kernels 1, 3, ..., `2K - 1`, each padded to keep
/// the grid's size, averaged.
#[derive(Debug, Clone)]
struct Inception {
    /// `(weight [out, in, 2i+1, 2i+1], bias [out])` of kernel `i`.
    kernels: Vec<(ParamId, ParamId)>,
}

impl Inception {
    fn new(
        store: &mut ParamStore,
        name: &str,
        c_in: usize,
        c_out: usize,
        n: usize,
        rng: &mut Rng,
    ) -> Self {
        let kernels = (0..n)
            .map(|i| {
                let k = 2 * i + 1;
                // kaiming_normal_(mode="fan_out", nonlinearity="relu"), bias 0.
                let w = init::kaiming_normal(&[c_out, c_in, k, k], c_out * k * k, rng);
                let w = store.add(format!("{name}.kernels.{i}.weight"), w);
                let b = store.add(format!("{name}.kernels.{i}.bias"), Tensor::zeros(&[c_out]));
                (w, b)
            })
            .collect();
        Inception { kernels }
    }

    /// The block as one convolution: the kernels zero-padded to the largest size and averaged,
    /// and the biases averaged. Returns `(weight [out, in, S, S], bias [out])`, `S = 2K - 1`.
    fn merged<'t>(&self, ctx: &Ctx<'t>) -> (Var<'t>, Var<'t>) {
        let n = self.kernels.len();
        let scale = 1.0 / n as f32;
        let mut w: Option<Var<'t>> = None;
        let mut b: Option<Var<'t>> = None;
        for (i, &(wi, bi)) in self.kernels.iter().enumerate() {
            let pad = n - 1 - i;
            // [out, in, 2i+1, 2i+1] -> [out, in, S, S]
            let wi = ctx.p(wi).pad(2, pad, pad, 0.0).pad(3, pad, pad, 0.0);
            w = Some(w.map_or(wi, |w| w.add(wi)));
            b = Some(b.map_or(ctx.p(bi), |b| b.add(ctx.p(bi))));
        }
        let (w, b) = (
            w.expect("at least one kernel"),
            b.expect("at least one kernel"),
        );
        (w.mul_scalar(scale), b.mul_scalar(scale))
    }
}

/// A TimesBlock's two Inception blocks.
#[derive(Debug, Clone)]
struct TimesBlock {
    first: Inception,
    second: Inception,
}

/// Runs one block on `x` `[B, T, N]`.
fn times_block<'t>(ctx: &Ctx<'t>, block: &TimesBlock, top: usize, x: Var<'t>) -> Var<'t> {
    let (b, t, n) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let (re, im) = x.rfft(1); // [B, T, N] -> 2 x [B, T/2 + 1, N]
    let amp = Var::complex_abs(re, im).mean(2, false); // [B, T/2 + 1]
    // The frequencies of largest amplitude over the batch (not the zero frequency).
    let av = amp.value();
    let mut freq = vec![0.0f32; av.shape()[1]];
    for row in av.data().chunks_exact(freq.len()) {
        freq.iter_mut().zip(row).for_each(|(f, v)| *f += v);
    }
    freq[0] = 0.0;
    let chosen = top_k(&freq, top.min(freq.len()));
    let (w1, b1) = block.first.merged(ctx);
    let (w2, b2) = block.second.merged(ctx);
    let pad = w1.shape()[2] / 2;
    let mut outs = Vec::with_capacity(chosen.len());
    for &f in &chosen {
        let p = t.checked_div(f).unwrap_or(t); // the period (the whole span for frequency 0)
        let rows = t.div_ceil(p);
        let grid = x
            .pad(1, 0, rows * p - t, 0.0) // [B, T, N] -> [B, rows * p, N]
            .reshape(&[b, rows, p, n]) // -> [B, rows, p, N]
            .permute(&[0, 3, 1, 2]); // -> [B, N, rows, p]
        let y = grid
            .conv2d(w1, Some(b1), (1, 1), (pad, pad), (1, 1), 1) // [B, C, rows, p]
            .gelu()
            .conv2d(w2, Some(b2), (1, 1), (pad, pad), (1, 1), 1); // [B, N, rows, p]
        let y = y
            .permute(&[0, 2, 3, 1]) // [B, N, rows, p] -> [B, rows, p, N]
            .reshape(&[b, rows * p, n]) // -> [B, rows * p, N]
            .slice(1, 0, t); // -> [B, T, N]
        outs.push(y);
    }
    let k = outs.len();
    // Each window's weights: the softmax of its amplitudes at the chosen frequencies.
    let weights = amp
        .index_select(1, &chosen)
        .softmax()
        .reshape(&[b, 1, 1, k]); // [B, k] -> [B, 1, 1, k]
    let res = Var::stack(&outs, 3).mul(weights).sum(3, false); // [B, T, N, k] -> [B, T, N]
    res.add(x)
}

/// NeuralForecast's `TimesNet`.
#[derive(Debug, Clone)]
pub struct TimesNet {
    config: TimesNetConfig,
    store: ParamStore,
    embedding: DataEmbedding,
    blocks: Vec<TimesBlock>,
    layer_norm: LayerNorm,
    predict_linear: Linear,
    projection: Linear,
}

impl TimesNet {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: TimesNetConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (hidden, conv) = (config.hidden_size, config.conv_hidden_size);
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let blocks = (0..config.encoder_layers)
            .map(|i| TimesBlock {
                first: Inception::new(
                    &mut store,
                    &format!("model.{i}.conv.0"),
                    hidden,
                    conv,
                    config.num_kernels,
                    &mut rng,
                ),
                second: Inception::new(
                    &mut store,
                    &format!("model.{i}.conv.2"),
                    conv,
                    hidden,
                    config.num_kernels,
                    &mut rng,
                ),
            })
            .collect();
        let embedding = DataEmbedding::new(
            &mut store,
            "enc_embedding",
            (1, b.futr_exog_list.len(), hidden),
            true,
            config.dropout,
            &mut rng,
        );
        let layer_norm = LayerNorm::new(&mut store, "layer_norm", hidden);
        let (l, h) = (b.input_size, b.h);
        let predict_linear = Linear::new(&mut store, "predict_linear", l, l + h, true, &mut rng);
        let projection = Linear::new(
            &mut store,
            "projection",
            hidden,
            b.output_multiplier(),
            true,
            &mut rng,
        );
        Ok(TimesNet {
            config,
            store,
            embedding,
            blocks,
            layer_norm,
            predict_linear,
            projection,
        })
    }

    /// The config.
    pub fn config(&self) -> &TimesNetConfig {
        &self.config
    }
}

impl NeuralModel for TimesNet {
    fn name(&self) -> &'static str {
        "TimesNet"
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
        let b = &self.config.base;
        let (h, l) = (b.h, b.input_size);
        let y = batch.insample_y.unsqueeze(2); // [B, L] -> [B, L, 1]
        let mark = batch.futr_exog.map(|f| f.slice(1, 0, l)); // [B, L + h, F] -> [B, L, F]
        let e = self.embedding.forward(ctx, y, mark); // [B, L, H]
        // [B, L, H] -> [B, H, L] -> [B, H, L + h] -> [B, L + h, H]
        let mut e = self
            .predict_linear
            .forward(ctx, e.transpose(1, 2))
            .transpose(1, 2);
        for block in &self.blocks {
            e = self
                .layer_norm
                .forward(ctx, times_block(ctx, block, self.config.top_k, e));
        }
        let out = self.projection.forward(ctx, e); // [B, L + h, H] -> [B, L + h, m]
        out.slice(1, l, l + h).into() // [B, h, m]
    }
}
