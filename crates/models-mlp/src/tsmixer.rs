//! TSMixer: all-MLP mixing of time and series for multivariate forecasting.
//!
//! Chen, Li, Arik, Yoder & Pfister, "TSMixer: An All-MLP Architecture for Time Series
//! Forecasting", TMLR 2023 (arXiv:2303.06053), as NeuralForecast implements it: reversible
//! instance normalisation (Kim et al., ICLR 2022) of each series' input window, `n_block` mixing
//! layers, each a temporal MLP (shared over series) and a feature MLP (shared over time steps)
//! with batch normalisation and residual connections, then a linear map from the `input_size`
//! steps to the `h` steps of every series.

use neurodiv_autodiff::Var;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{BatchNorm1d, Ctx, Dropout, Linear, ParamStore, RevIN};
use serde::{Deserialize, Serialize};

/// BatchNorm1d settings of NeuralForecast's mixing layers.
const BN_EPS: f32 = 1e-3;
const BN_MOMENTUM: f32 = 0.01;

/// Configuration of [`TSMixer`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TSMixerConfig {
    /// Shared training knobs (defaults here: 32 windows per step and per inference batch).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Number of series forecast jointly (required by NeuralForecast; default 1 here).
    pub n_series: usize,
    /// Number of mixing layers (default 2).
    pub n_block: usize,
    /// Hidden units of the feature MLP (default 64).
    pub ff_dim: usize,
    /// Dropout probability after the temporal and feature MLPs (default **0.9**).
    pub dropout: f32,
    /// Reversible instance normalisation of inputs and outputs (default true).
    pub revin: bool,
}

impl TSMixerConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_mlp::{TSMixer, TSMixerConfig};
    /// let config = TSMixerConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = TSMixer::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.windows_batch_size = 32;
        base.inference_windows_batch_size = Some(32);
        TSMixerConfig {
            base,
            n_series: 1,
            n_block: 2,
            ff_dim: 64,
            dropout: 0.9,
            revin: true,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        check_mixer_fields(self.n_series, self.ff_dim, self.dropout)
    }
}
base_setters!(TSMixerConfig);
neurodiv_core::config_setters!(TSMixerConfig {
    n_series: usize,
    n_block: usize,
    ff_dim: usize,
    dropout: f32,
    revin: bool
});

/// Checks the fields TSMixer and TSMixerx share.
pub(crate) fn check_mixer_fields(
    n_series: usize,
    ff_dim: usize,
    dropout: f32,
) -> Result<(), CoreError> {
    for (field, v) in [("n_series", n_series), ("ff_dim", ff_dim)] {
        if v == 0 {
            return Err(CoreError::Config {
                field,
                reason: "must be at least 1".into(),
            });
        }
    }
    if !(0.0..1.0).contains(&dropout) {
        return Err(CoreError::Config {
            field: "dropout",
            reason: format!("must be in [0, 1), got {dropout}"),
        });
    }
    Ok(())
}

/// Temporal mixing: batch norm over the series-major flattening, a ReLU linear map over time
/// (shared by the series), dropout, residual.
#[derive(Debug, Clone)]
struct TemporalMixing {
    norm: BatchNorm1d,
    lin: Linear,
    drop: Dropout,
}

impl TemporalMixing {
    fn new(store: &mut ParamStore, name: &str, n: usize, l: usize, p: f32, rng: &mut Rng) -> Self {
        let norm = BatchNorm1d::new(
            store,
            &format!("{name}.temporal_norm"),
            n * l,
            BN_EPS,
            BN_MOMENTUM,
        );
        let lin = Linear::new(store, &format!("{name}.temporal_lin"), l, l, true, rng);
        TemporalMixing {
            norm,
            lin,
            drop: Dropout { p },
        }
    }

    /// `[B, L, N] -> [B, L, N]`
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, input: Var<'t>) -> Var<'t> {
        let s = input.shape();
        let (rows, l, n) = (s[0], s[1], s[2]);
        let x = input.permute(&[0, 2, 1]).reshape(&[rows, n * l]); // [B, L, N] -> [B, N*L] (n*L + t)
        let x = self.norm.forward(ctx, x).reshape(&[rows, n, l]); // [B, N*L] -> [B, N, L]
        let x = self.lin.forward(ctx, x).relu().permute(&[0, 2, 1]); // [B, N, L] -> [B, L, N]
        self.drop.forward(ctx, x).add(input)
    }
}

/// Feature mixing: batch norm over the time-major flattening, a two-layer MLP over the series
/// (shared by the time steps) with dropout after each layer, residual.
#[derive(Debug, Clone)]
struct FeatureMixing {
    norm: BatchNorm1d,
    lin1: Linear,
    lin2: Linear,
    drop: Dropout,
}

impl FeatureMixing {
    fn new(
        store: &mut ParamStore,
        name: &str,
        n: usize,
        l: usize,
        ff: usize,
        p: f32,
        rng: &mut Rng,
    ) -> Self {
        let norm = BatchNorm1d::new(
            store,
            &format!("{name}.feature_norm"),
            n * l,
            BN_EPS,
            BN_MOMENTUM,
        );
        let lin1 = Linear::new(store, &format!("{name}.feature_lin_1"), n, ff, true, rng);
        let lin2 = Linear::new(store, &format!("{name}.feature_lin_2"), ff, n, true, rng);
        FeatureMixing {
            norm,
            lin1,
            lin2,
            drop: Dropout { p },
        }
    }

    /// `[B, L, N] -> [B, L, N]`
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, input: Var<'t>) -> Var<'t> {
        let s = input.shape();
        let (rows, l, n) = (s[0], s[1], s[2]);
        let x = input.reshape(&[rows, l * n]); // [B, L, N] -> [B, L*N] (t*N + n)
        let x = self.norm.forward(ctx, x).reshape(&[rows, l, n]); // [B, L*N] -> [B, L, N]
        let x = self.lin1.forward(ctx, x).relu(); // [B, L, ff]
        let x = self.drop.forward(ctx, x);
        let x = self.lin2.forward(ctx, x); // [B, L, N]
        self.drop.forward(ctx, x).add(input)
    }
}

/// NeuralForecast's `TSMixer` (multivariate, no exogenous columns).
///
/// Parameters are named as NeuralForecast's state dict (`norm.affine_weight`,
/// `mixing_layers.0.temporal_mixer.temporal_norm.running_mean`, ..., `out.weight`); the batch
/// norms' running statistics are buffers of the store.
#[derive(Debug, Clone)]
pub struct TSMixer {
    config: TSMixerConfig,
    store: ParamStore,
    norm: Option<RevIN>,
    mixing: Vec<(TemporalMixing, FeatureMixing)>,
    out: Linear,
}

impl TSMixer {
    /// Builds the model with parameters initialised from `config.base.random_seed`, in
    /// NeuralForecast's construction order.
    pub fn new(config: TSMixerConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (l, h, n) = (b.input_size, b.h, config.n_series);
        let (ff, p) = (config.ff_dim, config.dropout);
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let norm = config.revin.then(|| RevIN::new(&mut store, "norm", n));
        let mixing = (0..config.n_block)
            .map(|i| {
                let name = format!("mixing_layers.{i}");
                let t = TemporalMixing::new(
                    &mut store,
                    &format!("{name}.temporal_mixer"),
                    n,
                    l,
                    p,
                    &mut rng,
                );
                let f = FeatureMixing::new(
                    &mut store,
                    &format!("{name}.feature_mixer"),
                    n,
                    l,
                    ff,
                    p,
                    &mut rng,
                );
                (t, f)
            })
            .collect();
        let out = Linear::new(
            &mut store,
            "out",
            l,
            h * b.output_multiplier(),
            true,
            &mut rng,
        );
        Ok(TSMixer {
            config,
            store,
            norm,
            mixing,
            out,
        })
    }

    /// The config.
    pub fn config(&self) -> &TSMixerConfig {
        &self.config
    }
}

impl NeuralModel for TSMixer {
    fn name(&self) -> &'static str {
        "TSMixer"
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
        let mut x = batch.insample_y; // [B, L, N]
        let rows = x.shape()[0];
        let mut stats = None;
        if let Some(norm) = &self.norm {
            let (y, s) = norm.norm(ctx, x);
            x = y;
            stats = Some(s);
        }
        for (temporal, feature) in &self.mixing {
            x = temporal.forward(ctx, x);
            x = feature.forward(ctx, x);
        }
        let x = x.permute(&[0, 2, 1]); // [B, L, N] -> [B, N, L]
        let mut y = self.out.forward(ctx, x).permute(&[0, 2, 1]); // [B, N, h*m] -> [B, h*m, N]
        if let (Some(norm), Some(s)) = (&self.norm, &stats) {
            y = norm.denorm(ctx, y, s);
        }
        // [B, h*m, N] holds (t, q, n) at t*m*N + q*N + n; NeuralForecast reshapes it to
        // [B, h, m*N] and its multi-output losses read the last axis as n*m + q, so the same
        // memory is reinterpreted as [B, h, N, m].
        y.reshape(&[rows, h, n, m]).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodiv_autodiff::{Tape, Tensor};
    use neurodiv_core::reexports::Loss;
    use neurodiv_core::series::SeriesSet;

    fn batch(tape: &Tape, rows: usize, l: usize, n: usize) -> WindowBatch<'_> {
        let mut rng = Rng::new(7);
        let y = Tensor::randn(&[rows, l, n], &mut rng).map(|v| 100.0 + 10.0 * v);
        WindowBatch {
            insample_y: tape.constant(y),
            insample_mask: tape.constant(Tensor::ones(&[rows, l, n])),
            futr_exog: None,
            hist_exog: None,
            stat_exog: None,
        }
    }

    fn run(model: &TSMixer, tape: &Tape, rows: usize) -> Tensor {
        let b = model.base();
        let wb = batch(tape, rows, b.input_size, model.config.n_series);
        let mut ctx = Ctx::new(tape, model.params(), Rng::new(0));
        model.forward(&mut ctx, &wb).y.value()
    }

    fn panel() -> neurodiv_data::PanelFrame {
        neurodiv_data::PanelFrame::from_csv_path(
            "../../data/air_passengers_panel.csv",
            &Default::default(),
        )
        .unwrap()
    }

    #[test]
    fn parameter_count_matches_neuralforecast() {
        // Per mixing layer: two BatchNorm1d(N*L) (weight and bias: 4*N*L), temporal Linear(L, L),
        // feature Linear(N, ff) and Linear(ff, N); plus RevIN's 2*N and the head Linear(L, h).
        // N=2, h=12, L=24: 4 + 2 * (192 + 600 + 192 + 130) + 300 = 2532. With N=1 the same
        // formula gives 2 + 2 * (96 + 600 + 128 + 65) + 300 = 2080, the figure of
        // NeuralForecast's summary (so that summary was of a one-series TSMixer). The running
        // statistics (2 * N*L per batch norm) are buffers and, as in PyTorch, not counted.
        let two = TSMixer::new(TSMixerConfig::new(12, 24).n_series(2)).unwrap();
        assert_eq!(two.params().num_params(), 2532);
        assert_eq!(two.params().num_buffer_values(), 4 * 2 * 48);
        let one = TSMixer::new(TSMixerConfig::new(12, 24).n_series(1)).unwrap();
        assert_eq!(one.params().num_params(), 2080);
        assert!(
            two.params()
                .by_name("mixing_layers.1.feature_mixer.feature_norm.running_var")
                .is_some()
        );
    }

    #[test]
    fn output_shapes_defaults_and_config_checks() {
        let tape = Tape::no_grad();
        let model = TSMixer::new(TSMixerConfig::new(5, 7).n_series(3).ff_dim(8)).unwrap();
        assert_eq!(run(&model, &tape, 4).shape(), [4, 5, 3, 1]);
        let mq = TSMixerConfig::new(5, 7)
            .n_series(2)
            .ff_dim(8)
            .revin(false)
            .n_block(1)
            .loss(Loss::mq_default());
        assert_eq!(
            run(&TSMixer::new(mq).unwrap(), &tape, 4).shape(),
            [4, 5, 2, 5]
        );
        let d = TSMixerConfig::new(12, 24);
        assert_eq!(
            (d.dropout, d.n_block, d.ff_dim, d.revin),
            (0.9, 2, 64, true)
        );
        assert_eq!(d.base.windows_batch_size, 32);
        assert!(TSMixer::new(d.clone().n_series(0)).is_err());
        assert!(TSMixer::new(d.clone().dropout(1.0)).is_err());
        assert!(TSMixer::new(d.ff_dim(0)).is_err());
    }

    #[test]
    fn batch_norm_trains_on_the_batch_and_predicts_with_running_statistics() {
        let model =
            TSMixer::new(TSMixerConfig::new(4, 6).n_series(2).ff_dim(8).dropout(0.0)).unwrap();
        // Inference: deterministic, no buffer proposals, and per-window (a window's forecast
        // does not depend on the rest of the batch).
        let tape = Tape::no_grad();
        let all = run(&model, &tape, 5);
        assert_eq!(all.data(), run(&model, &Tape::no_grad(), 5).data());
        let one = {
            let wb = batch(&tape, 5, 6, 2);
            let first = WindowBatch {
                insample_y: wb.insample_y.slice(0, 0, 1),
                insample_mask: wb.insample_mask.slice(0, 0, 1),
                ..wb
            };
            let mut ctx = Ctx::new(&tape, model.params(), Rng::new(0));
            let y = model.forward(&mut ctx, &first).y.value();
            assert!(ctx.take_buffer_updates().is_empty());
            y
        };
        assert_eq!(one.data(), &all.data()[..one.numel()]);
        // Training: batch statistics make a window's output depend on the other windows, and
        // every batch norm proposes new running statistics.
        let train = Tape::new();
        let wb = batch(&train, 5, 6, 2);
        let mut ctx = Ctx::new(&train, model.params(), Rng::new(0));
        let y = model.forward(&mut ctx, &wb).y.value();
        assert_ne!(&y.data()[..one.numel()], one.data());
        let updates = ctx.take_buffer_updates();
        assert_eq!(updates.len(), 2 * 2 * 2, "2 layers x 2 norms x (mean, var)");
        for (id, value) in &updates {
            assert!(model.params().is_buffer(*id));
            assert_ne!(value, model.params().get(*id));
        }
    }

    #[test]
    fn training_gradients_match_finite_differences() {
        // Training mode (batch statistics, which the gradient goes through), dropout and RevIN
        // off (RevIN's statistics are detached on purpose, which finite differences would see).
        let cfg = TSMixerConfig::new(3, 4)
            .n_series(2)
            .ff_dim(4)
            .dropout(0.0)
            .revin(false);
        let model = TSMixer::new(cfg).unwrap();
        let x = Tensor::randn(&[5, 4, 2], &mut Rng::new(5));
        neurodiv_autodiff::gradcheck::GradCheck::default()
            .check(&[x], |tape, v| {
                let wb = WindowBatch {
                    insample_y: v[0],
                    insample_mask: tape.constant(Tensor::ones(&[5, 4, 2])),
                    futr_exog: None,
                    hist_exog: None,
                    stat_exog: None,
                };
                let mut ctx = Ctx::new(tape, model.params(), Rng::new(0));
                model.forward(&mut ctx, &wb).y
            })
            .unwrap();
    }

    #[test]
    fn training_reduces_the_loss_and_moves_the_running_statistics() {
        let cfg = TSMixerConfig::new(12, 24)
            .n_series(2)
            .ff_dim(16)
            .dropout(0.1)
            .max_steps(60);
        let mut model = TSMixer::new(cfg).unwrap();
        let set = SeriesSet::from_frame(&panel(), model.base(), None).unwrap();
        let report = neurodiv_core::train::fit(&mut model, &set, 0, &mut |_| {}).unwrap();
        let l = &report.train_losses;
        let (first, last) = (
            l[..5].iter().sum::<f32>() / 5.0,
            l[l.len() - 5..].iter().sum::<f32>() / 5.0,
        );
        assert!(last < first * 0.8, "loss did not fall: {first} -> {last}");
        // 60 updates at momentum 0.01 move the running mean off zero: 1 - 0.99^60 = 45% of the
        // way towards the batch means.
        let rm = model
            .params()
            .by_name("mixing_layers.0.temporal_mixer.temporal_norm.running_mean")
            .unwrap();
        assert!(rm.data().iter().any(|&v| v.abs() > 1e-3), "{rm:?}");
        assert!(rm.all_finite());
    }
}
