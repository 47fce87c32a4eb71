//! TSMixerx: TSMixer with future, historical and static exogenous columns.
//!
//! The exogenous extension of TSMixer (Chen, Li, Arik, Yoder & Pfister, TMLR 2023,
//! arXiv:2303.06053, "TSMixer-Ext"), as NeuralForecast implements it: the RevIN-normalised
//! target and the historical columns are projected from `input_size` to `h` steps, then mixed
//! with the future columns of the horizon and the static features in `ff_dim`-wide feature
//! space by mixing layers with layer normalisation over (time, features).

use crate::tsmixer::check_mixer_fields;
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, Dropout, Linear, ParamId, ParamStore, RevIN};
use serde::{Deserialize, Serialize};

/// Configuration of [`TSMixerx`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TSMixerxConfig {
    /// Shared training knobs (defaults here: 32 windows per step and per inference batch).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Number of series forecast jointly (required by NeuralForecast; default 1 here).
    pub n_series: usize,
    /// Number of mixing layers after the first (default 2).
    pub n_block: usize,
    /// Width of the mixed feature space and of the feature MLPs (default 64).
    pub ff_dim: usize,
    /// Dropout probability (default 0.0).
    pub dropout: f32,
    /// Reversible instance normalisation of the target and the outputs (default true).
    pub revin: bool,
}

impl TSMixerxConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_mlp::{TSMixerx, TSMixerxConfig};
    /// let config = TSMixerxConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = TSMixerx::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.windows_batch_size = 32;
        base.inference_windows_batch_size = Some(32);
        TSMixerxConfig {
            base,
            n_series: 1,
            n_block: 2,
            ff_dim: 64,
            dropout: 0.0,
            revin: true,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        check_mixer_fields(self.n_series, self.ff_dim, self.dropout)
    }
}
base_setters!(TSMixerxConfig);
neurodiv_core::config_setters!(TSMixerxConfig {
    n_series: usize,
    n_block: usize,
    ff_dim: usize,
    dropout: f32,
    revin: bool
});

/// PyTorch's `nn.LayerNorm((h, c))`: one normalisation over the last two axes of `[B, h, c]`
/// (eps 1e-5) with an elementwise affine of shape `[h, c]`. Our `layer_norm` normalises the
/// last axis, so the input is flattened to `[B, h*c]`, which is the same computation.
#[derive(Debug, Clone)]
struct JointLayerNorm {
    weight: ParamId,
    bias: ParamId,
}

impl JointLayerNorm {
    fn new(store: &mut ParamStore, name: &str, h: usize, c: usize) -> Self {
        JointLayerNorm {
            weight: store.add(format!("{name}.weight"), Tensor::ones(&[h, c])),
            bias: store.add(format!("{name}.bias"), Tensor::zeros(&[h, c])),
        }
    }

    /// `[B, h, c] -> [B, h, c]`
    fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> Var<'t> {
        let s = x.shape();
        let (rows, hc) = (s[0], s[1] * s[2]);
        let w = ctx.p(self.weight).reshape(&[hc]); // [h, c] -> [h*c]
        let b = ctx.p(self.bias).reshape(&[hc]);
        x.reshape(&[rows, hc]) // [B, h, c] -> [B, h*c]
            .layer_norm(w, b, 1e-5)
            .reshape(&s) // [B, h*c] -> [B, h, c]
    }
}

/// `y = LN(Dropout(Linear2(Dropout(ReLU(Linear1(x))))) + residual)`, where the residual is `x`
/// or, when the widths differ, a linear projection of it.
#[derive(Debug, Clone)]
struct FeatureMixing {
    lin1: Linear,
    lin2: Linear,
    project: Option<Linear>,
    norm: JointLayerNorm,
    drop: Dropout,
}

impl FeatureMixing {
    #[allow(clippy::too_many_arguments)]
    fn new(
        store: &mut ParamStore,
        name: &str,
        input: usize,
        output: usize,
        h: usize,
        ff: usize,
        p: f32,
        rng: &mut Rng,
    ) -> Self {
        let lin1 = Linear::new(
            store,
            &format!("{name}.feature_lin_1"),
            input,
            ff,
            true,
            rng,
        );
        let lin2 = Linear::new(
            store,
            &format!("{name}.feature_lin_2"),
            ff,
            output,
            true,
            rng,
        );
        let project = (input != output).then(|| {
            Linear::new(
                store,
                &format!("{name}.project_residual"),
                input,
                output,
                true,
                rng,
            )
        });
        let norm = JointLayerNorm::new(store, &format!("{name}.feature_norm"), h, output);
        FeatureMixing {
            lin1,
            lin2,
            project,
            norm,
            drop: Dropout { p },
        }
    }

    /// `[B, h, in] -> [B, h, out]`
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, input: Var<'t>) -> Var<'t> {
        let x = self.lin1.forward(ctx, input).relu(); // [B, h, ff]
        let x = self.drop.forward(ctx, x);
        let x = self.lin2.forward(ctx, x); // [B, h, out]
        let x = self.drop.forward(ctx, x);
        let res = match &self.project {
            Some(p) => p.forward(ctx, input),
            None => input,
        };
        self.norm.forward(ctx, x.add(res))
    }
}

/// `y = LN(Dropout(ReLU(Linear(h -> h)) over time) + x)` on `[B, h, c]`.
#[derive(Debug, Clone)]
struct TemporalMixing {
    norm: JointLayerNorm,
    lin: Linear,
    drop: Dropout,
}

impl TemporalMixing {
    fn new(store: &mut ParamStore, name: &str, c: usize, h: usize, p: f32, rng: &mut Rng) -> Self {
        let norm = JointLayerNorm::new(store, &format!("{name}.temporal_norm"), h, c);
        let lin = Linear::new(store, &format!("{name}.temporal_lin"), h, h, true, rng);
        TemporalMixing {
            norm,
            lin,
            drop: Dropout { p },
        }
    }

    /// `[B, h, c] -> [B, h, c]`
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, input: Var<'t>) -> Var<'t> {
        let x = input.permute(&[0, 2, 1]); // [B, h, c] -> [B, c, h]
        let x = self.lin.forward(ctx, x).relu().permute(&[0, 2, 1]); // [B, c, h] -> [B, h, c]
        let x = self.drop.forward(ctx, x);
        self.norm.forward(ctx, x.add(input))
    }
}

/// A mixing layer: temporal mixing on `in` features, then feature mixing `in -> out`. With
/// static columns (`stat` set) a feature mixer of the repeated statics first adds `ff` features.
#[derive(Debug, Clone)]
struct MixingLayer {
    stat: Option<FeatureMixing>,
    temporal: TemporalMixing,
    feature: FeatureMixing,
}

impl MixingLayer {
    /// `[B, h, in] (+ statics [B, h, N*S]) -> [B, h, out]`
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>, statics: Option<Var<'t>>) -> Var<'t> {
        let x = match (&self.stat, statics) {
            (Some(mixer), Some(s)) => {
                let xs = mixer.forward(ctx, s); // [B, h, N*S] -> [B, h, ff]
                Var::concat(&[x, xs], 2) // [B, h, 2*ff]
            }
            _ => x,
        };
        let x = self.temporal.forward(ctx, x);
        self.feature.forward(ctx, x)
    }
}

/// NeuralForecast's `TSMixerx` (multivariate, with future, historical and static exogenous
/// columns). Parameters are named as NeuralForecast's state dict (`temporal_projection.weight`,
/// `feature_mixer_hist.feature_norm.weight`, `mixing_block.0.temporal_mixer...`).
#[derive(Debug, Clone)]
pub struct TSMixerx {
    config: TSMixerxConfig,
    store: ParamStore,
    norm: Option<RevIN>,
    temporal_projection: Linear,
    mixer_hist: FeatureMixing,
    mixer_futr: Option<FeatureMixing>,
    mixer_stat: Option<FeatureMixing>,
    first: MixingLayer,
    blocks: Vec<MixingLayer>,
    out: Linear,
}

impl TSMixerx {
    /// Builds the model with parameters initialised from `config.base.random_seed`, in
    /// NeuralForecast's construction order.
    pub fn new(config: TSMixerxConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (l, h, n) = (b.input_size, b.h, config.n_series);
        let (ff, p) = (config.ff_dim, config.dropout);
        let (x, f, s) = (
            b.hist_exog_list.len(),
            b.futr_exog_list.len(),
            b.stat_exog_list.len(),
        );
        let mut rng = Rng::new(b.random_seed);
        let rng = &mut rng;
        let mut store = ParamStore::new();
        let st = &mut store;
        let norm = config.revin.then(|| RevIN::new(st, "norm", n));
        let temporal_projection = Linear::new(st, "temporal_projection", l, h, true, rng);
        let mixer_hist =
            FeatureMixing::new(st, "feature_mixer_hist", n * (1 + x + f), ff, h, ff, p, rng);
        let mixer_futr =
            (f > 0).then(|| FeatureMixing::new(st, "feature_mixer_futr", n * f, ff, h, ff, p, rng));
        let mixer_stat =
            (s > 0).then(|| FeatureMixing::new(st, "feature_mixer_stat", n * s, ff, h, ff, p, rng));
        let width = (1 + usize::from(f > 0) + usize::from(s > 0)) * ff;
        let first = MixingLayer {
            stat: None,
            temporal: TemporalMixing::new(st, "first_mixing.temporal_mixer", width, h, p, rng),
            feature: FeatureMixing::new(st, "first_mixing.feature_mixer", width, ff, h, ff, p, rng),
        };
        let blocks = (0..config.n_block)
            .map(|i| {
                let name = format!("mixing_block.{i}");
                let stat = (s > 0).then(|| {
                    let nm = format!("{name}.feature_mixer_stat");
                    FeatureMixing::new(st, &nm, n * s, ff, h, ff, p, rng)
                });
                let c = if s > 0 { 2 * ff } else { ff };
                let temporal =
                    TemporalMixing::new(st, &format!("{name}.temporal_mixer"), c, h, p, rng);
                let nm = format!("{name}.feature_mixer");
                let feature = FeatureMixing::new(st, &nm, c, ff, h, ff, p, rng);
                MixingLayer {
                    stat,
                    temporal,
                    feature,
                }
            })
            .collect();
        let out = Linear::new(st, "out", ff, b.output_multiplier() * n, true, rng);
        Ok(TSMixerx {
            config,
            store,
            norm,
            temporal_projection,
            mixer_hist,
            mixer_futr,
            mixer_stat,
            first,
            blocks,
            out,
        })
    }

    /// The config.
    pub fn config(&self) -> &TSMixerxConfig {
        &self.config
    }
}

impl NeuralModel for TSMixerx {
    fn name(&self) -> &'static str {
        "TSMixerx"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: true,
            hist_exog: true,
            stat_exog: true,
            multivariate: true,
        }
    }

    fn n_series(&self) -> Option<usize> {
        Some(self.config.n_series)
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (l, h, n, m) = (
            b.input_size,
            b.h,
            self.config.n_series,
            b.output_multiplier(),
        );
        let mut y = batch.insample_y; // [B, L, N]
        let rows = y.shape()[0];
        let mut stats = None;
        if let Some(norm) = &self.norm {
            let (z, s) = norm.norm(ctx, y);
            y = z;
            stats = Some(s);
        }
        let mut parts = vec![y.unsqueeze(1)]; // [B, 1, L, N]
        if let Some(x) = batch.hist_exog {
            parts.push(x); // [B, X, L, N]
        }
        if let Some(f) = batch.futr_exog {
            parts.push(f.slice(2, 0, l)); // [B, F, L+h, N] -> [B, F, L, N]
        }
        let x = if parts.len() == 1 {
            parts[0]
        } else {
            Var::concat(&parts, 1) // [B, C, L, N], C = 1 + X + F
        };
        let c = x.shape()[1];
        let x = x.permute(&[0, 1, 3, 2]); // [B, C, L, N] -> [B, C, N, L]
        let x = self.temporal_projection.forward(ctx, x); // [B, C, N, h]
        let x = x.permute(&[0, 3, 1, 2]).reshape(&[rows, h, c * n]); // -> [B, h, C, N] -> [B, h, C*N]
        let mut mixed = vec![self.mixer_hist.forward(ctx, x)]; // [B, h, ff]
        if let (Some(mixer), Some(f)) = (&self.mixer_futr, batch.futr_exog) {
            let nf = f.shape()[1];
            let xf = f
                .slice(2, l, l + h) // [B, F, L+h, N] -> [B, F, h, N]
                .permute(&[0, 2, 1, 3]) // -> [B, h, F, N]
                .reshape(&[rows, h, nf * n]); // -> [B, h, F*N]
            mixed.push(mixer.forward(ctx, xf));
        }
        let statics = match (&self.mixer_stat, batch.stat_exog) {
            (Some(mixer), Some(s)) => {
                let ns = s.shape()[1];
                let rep = s
                    .reshape(&[1, 1, n * ns]) // [N, S] -> [1, 1, N*S] (n*S + s)
                    .expand(&[rows, h, n * ns]); // -> [B, h, N*S]
                mixed.push(mixer.forward(ctx, rep));
                Some(rep)
            }
            _ => None,
        };
        let x = if mixed.len() == 1 {
            mixed[0]
        } else {
            Var::concat(&mixed, 2) // [B, h, m'*ff]
        };
        let mut x = self.first.forward(ctx, x, None); // [B, h, ff]
        for block in &self.blocks {
            x = block.forward(ctx, x, statics);
        }
        let mut out = self.out.forward(ctx, x); // [B, h, m*N]
        if let (Some(norm), Some(s)) = (&self.norm, &stats) {
            let z = out.reshape(&[rows, h * m, n]); // [B, h, m*N] -> [B, h*m, N]
            out = norm.denorm(ctx, z, s);
        }
        // [B, h, m*N] read as [B, h, N, m], as NeuralForecast's multi-output losses read it.
        out.reshape(&[rows, h, n, m]).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodiv_autodiff::Tape;
    use neurodiv_core::reexports::Loss;
    use neurodiv_core::series::SeriesSet;

    /// A random batch of `rows` windows with `f` future, `x` historical and `s` static columns.
    fn batch<'t>(tape: &'t Tape, cfg: &TSMixerxConfig, rows: usize) -> WindowBatch<'t> {
        let b = &cfg.base;
        let (l, h, n) = (b.input_size, b.h, cfg.n_series);
        let (f, x, s) = (
            b.futr_exog_list.len(),
            b.hist_exog_list.len(),
            b.stat_exog_list.len(),
        );
        let mut rng = Rng::new(7);
        let mut randn = |shape: &[usize]| tape.constant(Tensor::randn(shape, &mut rng));
        WindowBatch {
            insample_y: randn(&[rows, l, n]),
            insample_mask: tape.constant(Tensor::ones(&[rows, l, n])),
            futr_exog: (f > 0).then(|| randn(&[rows, f, l + h, n])),
            hist_exog: (x > 0).then(|| randn(&[rows, x, l, n])),
            stat_exog: (s > 0).then(|| randn(&[n, s])),
        }
    }

    fn run(cfg: TSMixerxConfig, rows: usize) -> Tensor {
        let model = TSMixerx::new(cfg.clone()).unwrap();
        let tape = Tape::no_grad();
        let wb = batch(&tape, &cfg, rows);
        let mut ctx = Ctx::new(&tape, model.params(), Rng::new(0));
        model.forward(&mut ctx, &wb).y.value()
    }

    fn small(h: usize, l: usize, n: usize) -> TSMixerxConfig {
        TSMixerxConfig::new(h, l).n_series(n).ff_dim(8)
    }

    #[test]
    fn parameter_count_matches_the_architecture() {
        // N=2, h=12, L=24, ff=64. RevIN 2N = 4; temporal_projection Linear(24, 12) = 300;
        // FeatureMixing(in -> 64): Linear(in, 64) + Linear(64, 64) + (if in != 64) a residual
        // Linear(in, 64) + LayerNorm((12, 64)) = 2*768; TemporalMixing(c): Linear(12, 12) = 156
        // + LayerNorm((12, c)) = 24c; out Linear(64, 2) = 130.
        let fm = |i: usize| (i + 1) * 64 + 65 * 64 + if i != 64 { (i + 1) * 64 } else { 0 } + 1536;
        let tm = |c: usize| 156 + 24 * c;
        // Without exogenous columns: hist mixer on N = 2 features, first mixing 64 -> 64.
        let plain = 4 + 300 + fm(2) + (tm(64) + fm(64)) * 3 + 130;
        assert_eq!(plain, 41_158);
        let model = TSMixerx::new(TSMixerxConfig::new(12, 24).n_series(2)).unwrap();
        assert_eq!(model.params().num_params(), plain);
        // With one future and one historical column (the parity setup): hist mixer on
        // N*(1+1+1) = 6, futr mixer on N*1 = 2, first mixing 128 -> 64.
        let exog = 4 + 300 + fm(6) + fm(2) + tm(128) + fm(128) + (tm(64) + fm(64)) * 2 + 130;
        assert_eq!(exog, 61_638);
        let cfg = TSMixerxConfig::new(12, 24)
            .n_series(2)
            .futr_exog_list(["trend"])
            .hist_exog_list(["y_[lag12]"]);
        let model = TSMixerx::new(cfg).unwrap();
        assert_eq!(model.params().num_params(), exog);
        assert_eq!(model.params().num_buffer_values(), 0);
        assert!(
            model
                .params()
                .by_name("first_mixing.feature_mixer.project_residual.weight")
                .is_some()
        );
        assert!(
            model
                .params()
                .by_name("mixing_block.0.feature_mixer.project_residual.weight")
                .is_none()
        );
    }

    #[test]
    fn output_shapes_with_every_kind_of_column() {
        assert_eq!(run(small(5, 7, 3), 4).shape(), [4, 5, 3, 1]);
        let full = small(5, 7, 3)
            .futr_exog_list(["f1", "f2"])
            .hist_exog_list(["x1"])
            .stat_exog_list(["s1", "s2"])
            .loss(Loss::mq_default());
        assert_eq!(run(full.clone(), 4).shape(), [4, 5, 3, 5]);
        assert_eq!(run(full.revin(false).n_block(0), 2).shape(), [2, 5, 3, 5]);
        let d = TSMixerxConfig::new(12, 24);
        assert_eq!(
            (d.dropout, d.n_block, d.ff_dim, d.revin),
            (0.0, 2, 64, true)
        );
        assert!(TSMixerx::new(d.clone().n_series(0)).is_err());
        assert!(TSMixerx::new(d.dropout(-0.1)).is_err());
    }

    #[test]
    fn gradients_reach_every_input_correctly() {
        // RevIN off: its statistics are detached on purpose, which finite differences would see.
        let cfg = TSMixerxConfig::new(3, 4)
            .n_series(2)
            .ff_dim(4)
            .n_block(1)
            .revin(false)
            .futr_exog_list(["f"])
            .hist_exog_list(["x"])
            .stat_exog_list(["s"]);
        let model = TSMixerx::new(cfg).unwrap();
        let mut rng = Rng::new(5);
        let inputs = [
            Tensor::randn(&[2, 4, 2], &mut rng),
            Tensor::randn(&[2, 1, 7, 2], &mut rng),
            Tensor::randn(&[2, 1, 4, 2], &mut rng),
            Tensor::randn(&[2, 1], &mut rng),
        ];
        let check = neurodiv_autodiff::gradcheck::GradCheck {
            eps: 1e-3,
            ..Default::default()
        };
        check
            .check(&inputs, |tape, v| {
                let wb = WindowBatch {
                    insample_y: v[0],
                    insample_mask: tape.constant(Tensor::ones(&[2, 4, 2])),
                    futr_exog: Some(v[1]),
                    hist_exog: Some(v[2]),
                    stat_exog: Some(v[3]),
                };
                let mut ctx = Ctx::new(tape, model.params(), Rng::new(0));
                model.forward(&mut ctx, &wb).y
            })
            .unwrap();
    }

    #[test]
    fn joint_layer_norm_normalises_over_time_and_features() {
        let mut store = ParamStore::new();
        let ln = JointLayerNorm::new(&mut store, "ln", 3, 4);
        let w: Vec<f32> = (0..12).map(|i| 1.0 + 0.1 * i as f32).collect();
        store.tensors_mut()[ln.weight.0] = Tensor::from_vec(&[3, 4], w.clone());
        let tape = Tape::no_grad();
        let ctx = Ctx::new(&tape, &store, Rng::new(0));
        let x = Tensor::randn(&[2, 3, 4], &mut Rng::new(3));
        let y = ln.forward(&ctx, tape.constant(x.clone())).value();
        assert_eq!(y.shape(), [2, 3, 4]);
        for (xb, yb) in x.data().chunks(12).zip(y.data().chunks(12)) {
            let mean = xb.iter().sum::<f32>() / 12.0;
            let var = xb.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 12.0;
            for k in 0..12 {
                let want = (xb[k] - mean) / (var + 1e-5).sqrt() * w[k];
                assert!((yb[k] - want).abs() < 1e-4, "{} vs {want}", yb[k]);
            }
        }
    }

    #[test]
    fn training_with_exogenous_columns_reduces_the_loss() {
        let frame = neurodiv_data::PanelFrame::from_csv_path(
            "../../data/air_passengers_panel.csv",
            &Default::default(),
        )
        .unwrap();
        let cfg = small(12, 24, 2)
            .futr_exog_list(["trend"])
            .hist_exog_list(["y_[lag12]"])
            .max_steps(60);
        let mut model = TSMixerx::new(cfg).unwrap();
        let set = SeriesSet::from_frame(&frame, model.base(), None).unwrap();
        let report = neurodiv_core::train::fit(&mut model, &set, 0, &mut |_| {}).unwrap();
        let l = &report.train_losses;
        let (first, last) = (
            l[..5].iter().sum::<f32>() / 5.0,
            l[l.len() - 5..].iter().sum::<f32>() / 5.0,
        );
        assert!(last < first * 0.8, "loss did not fall: {first} -> {last}");
    }
}
