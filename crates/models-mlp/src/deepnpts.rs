//! DeepNPTS: an MLP reads the input window (and exogenous columns) and outputs, for every
//! horizon step, a weight per past observation of the window; the forecast of a step is the
//! softmax-weighted combination of the window's values.
//!
//! Rangapuram, Gasthaus, Stella, Flunkert, Salinas, Wang, Januschowski, "Deep Non-Parametric
//! Time Series Forecaster", arXiv:2312.14657 (2023). The paper samples from the
//! weighted empirical distribution of the past values; NeuralForecast 3.3's `DeepNPTS`, which
//! this model follows, returns its expectation (the weighted mean) and trains it with a point
//! loss. It refuses losses with more than one output per step (MQLoss, HuberMQLoss,
//! distributions) and `exclude_insample_y`, as NeuralForecast does.

use neurodiv_autodiff::Var;
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::reexports::ScalerType;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{BatchNorm1d, Ctx, Linear, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`DeepNPTS`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepNPTSConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Units per dense layer (default 32).
    pub hidden_size: usize,
    /// Batch normalisation after each dense layer's ReLU (default true).
    pub batch_norm: bool,
    /// Dropout after each dense layer (default 0.1).
    pub dropout: f32,
    /// Number of dense layers before the output layer (default 2).
    pub n_layers: usize,
}

impl DeepNPTSConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_mlp::{DeepNPTS, DeepNPTSConfig};
    /// let config = DeepNPTSConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = DeepNPTS::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// // Only point losses: one output per step.
    /// let mq = DeepNPTSConfig::new(12, 24).loss(neurodiv_core::reexports::Loss::mq_default());
    /// assert!(DeepNPTS::new(mq).is_err());
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        // NeuralForecast's DeepNPTS defaults.
        base.num_lr_decays = 3;
        base.scaler_type = ScalerType::Standard;
        base.inference_windows_batch_size = Some(1024);
        DeepNPTSConfig {
            base,
            hidden_size: 32,
            batch_norm: true,
            dropout: 0.1,
            n_layers: 2,
        }
    }

    /// Checks every field, and refuses what NeuralForecast's DeepNPTS refuses: losses with more
    /// than one output per step, a distribution as the validation loss, `exclude_insample_y`.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        at_least_one("hidden_size", self.hidden_size)?;
        at_least_one("n_layers", self.n_layers)?;
        probability("dropout", self.dropout)?;
        if self.base.exclude_insample_y {
            return Err(CoreError::Config {
                field: "exclude_insample_y",
                reason: "DeepNPTS weights the input window's values and cannot exclude them".into(),
            });
        }
        let loss = &self.base.loss;
        if loss.outputsize_multiplier() > 1 {
            return Err(CoreError::Config {
                field: "loss",
                reason: format!(
                    "DeepNPTS only takes point losses (one output per step, such as MAE, MSE, \
                     HuberLoss, QuantileLoss), not {loss}"
                ),
            });
        }
        if let Some(v) = &self.base.valid_loss
            && v.is_distribution()
        {
            return Err(CoreError::Config {
                field: "valid_loss",
                reason: format!("DeepNPTS only validates with point losses, not {v}"),
            });
        }
        Ok(())
    }
}
base_setters!(DeepNPTSConfig);
neurodiv_core::config_setters!(DeepNPTSConfig {
    hidden_size: usize,
    batch_norm: bool,
    dropout: f32,
    n_layers: usize
});

/// One dense layer: `Linear`, ReLU, then batch norm and dropout when enabled.
#[derive(Debug, Clone)]
struct Dense {
    linear: Linear,
    norm: Option<BatchNorm1d>,
}

/// NeuralForecast's `DeepNPTS`.
#[derive(Debug, Clone)]
pub struct DeepNPTS {
    config: DeepNPTSConfig,
    store: ParamStore,
    layers: Vec<Dense>,
    /// `hidden_size -> input_size * h` weights (logits) over the window's values.
    out: Linear,
}

impl DeepNPTS {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: DeepNPTSConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (l, h) = (b.input_size, b.h);
        let (f, x, s) = (
            b.futr_exog_list.len(),
            b.hist_exog_list.len(),
            b.stat_exog_list.len(),
        );
        let input = l * (1 + f + x) + s + h * f;
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        // NeuralForecast's `deepnptsnetwork` (an `nn.Sequential`): per layer Linear, ReLU,
        // BatchNorm1d (eps 1e-5, momentum 0.1), Dropout; then the output Linear.
        let mut layers = Vec::with_capacity(config.n_layers);
        let mut idx = 0;
        for i in 0..config.n_layers {
            let fan_in = if i == 0 { input } else { config.hidden_size };
            let name = format!("deepnptsnetwork.{idx}");
            let linear = Linear::new(
                &mut store,
                &name,
                fan_in,
                config.hidden_size,
                true,
                &mut rng,
            );
            idx += 2; // Linear, ReLU
            let norm = config.batch_norm.then(|| {
                let bn = BatchNorm1d::new(
                    &mut store,
                    &format!("deepnptsnetwork.{idx}"),
                    config.hidden_size,
                    1e-5,
                    0.1,
                );
                idx += 1;
                bn
            });
            if config.dropout > 0.0 {
                idx += 1;
            }
            layers.push(Dense { linear, norm });
        }
        let out = Linear::new(
            &mut store,
            &format!("deepnptsnetwork.{idx}"),
            config.hidden_size,
            l * h,
            true,
            &mut rng,
        );
        Ok(DeepNPTS {
            config,
            store,
            layers,
            out,
        })
    }

    /// The config.
    pub fn config(&self) -> &DeepNPTSConfig {
        &self.config
    }

    /// The MLP's input: per time step the value, the future and the historical exogenous
    /// values, flattened, then the static features and the horizon's future values.
    fn features<'t>(&self, batch: &WindowBatch<'t>) -> Var<'t> {
        let b = &self.config.base;
        let (l, h) = (b.input_size, b.h);
        let y = batch.insample_y; // [B, L]
        let n = y.shape()[0];
        let mut per_step = vec![y.unsqueeze(2)]; // [B, L] -> [B, L, 1]
        if let Some(fx) = batch.futr_exog {
            per_step.push(fx.slice(1, 0, l)); // [B, L + h, F] -> [B, L, F]
        }
        if let Some(hx) = batch.hist_exog {
            per_step.push(hx); // [B, L, X]
        }
        let width = per_step.iter().map(|v| v.shape()[2]).sum::<usize>();
        let mut parts = vec![if per_step.len() == 1 {
            y
        } else {
            Var::concat(&per_step, 2).reshape(&[n, l * width]) // [B, L, 1 + F + X] -> [B, L * (1 + F + X)]
        }];
        if let Some(sx) = batch.stat_exog {
            parts.push(sx); // [B, S]
        }
        if let Some(fx) = batch.futr_exog {
            let f = fx.shape()[2];
            parts.push(fx.slice(1, l, l + h).reshape(&[n, h * f])); // [B, L + h, F] -> [B, h, F] -> [B, h * F]
        }
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Var::concat(&parts, 1) // -> [B, L * (1 + F + X) + S + h * F]
        }
    }
}

impl NeuralModel for DeepNPTS {
    fn name(&self) -> &'static str {
        "DeepNPTS"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL_EXOG
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (l, h) = (b.input_size, b.h);
        let y = batch.insample_y; // [B, L]
        let n = y.shape()[0];
        let mut z = self.features(batch);
        for layer in &self.layers {
            z = layer.linear.forward(ctx, z).relu(); // [B, in] -> [B, hidden]
            if let Some(bn) = &layer.norm {
                z = bn.forward(ctx, z);
            }
            if self.config.dropout > 0.0 {
                z = z.dropout(self.config.dropout, &mut ctx.rng);
            }
        }
        let logits = self.out.forward(ctx, z); // [B, hidden] -> [B, L * h]
        // NeuralForecast reshapes to [B, L, h] and takes the softmax over L; our softmax runs
        // over the last axis, so the window axis goes last.
        let weights = logits.reshape(&[n, l, h]).permute(&[0, 2, 1]).softmax(); // [B, L * h] -> [B, L, h] -> [B, h, L]
        let forecast = weights.mul(y.unsqueeze(1)).sum(2, false); // [B, h, L] * [B, 1, L] -> [B, h]
        forecast.reshape(&[n, h, 1]).into() // [B, h] -> [B, h, 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodiv_autodiff::{Tape, Tensor};
    use neurodiv_core::reexports::Loss;

    fn batch<'t>(tape: &'t Tape, n: usize, l: usize, h: usize, fxs: [usize; 3]) -> WindowBatch<'t> {
        let [f, x, s] = fxs;
        let mut rng = Rng::new(7);
        let mut randn = |shape: &[usize]| tape.constant(Tensor::randn(shape, &mut rng));
        WindowBatch {
            insample_y: randn(&[n, l]),
            insample_mask: tape.constant(Tensor::ones(&[n, l])),
            futr_exog: (f > 0).then(|| randn(&[n, l + h, f])),
            hist_exog: (x > 0).then(|| randn(&[n, l, x])),
            stat_exog: (s > 0).then(|| randn(&[n, s])),
        }
    }

    fn run(model: &DeepNPTS, tape: &Tape, fxs: [usize; 3]) -> (Tensor, Tensor) {
        let b = model.base();
        let wb = batch(tape, 3, b.input_size, b.h, fxs);
        let mut ctx = Ctx::new(tape, model.params(), Rng::new(0));
        (
            model.forward(&mut ctx, &wb).y.value(),
            wb.insample_y.value(),
        )
    }

    #[test]
    fn parameter_count_matches_neuralforecast() {
        // DeepNPTS(h=12, input_size=24): Linear(24, 32) 800, BatchNorm1d(32) 64,
        // Linear(32, 32) 1,056, BatchNorm1d(32) 64, Linear(32, 288) 9,504.
        let model = DeepNPTS::new(DeepNPTSConfig::new(12, 24)).unwrap();
        assert_eq!(model.params().num_params(), 11_488);
        let names = model.params().names();
        for name in ["deepnptsnetwork.2.running_mean", "deepnptsnetwork.8.weight"] {
            assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
        }
    }

    #[test]
    fn output_shapes_and_forecasts_inside_the_window_range() {
        // The forecast is a convex combination of the window's values: between its min and max.
        let tape = Tape::no_grad();
        for (cfg, fxs) in [
            (DeepNPTSConfig::new(5, 7), [0, 0, 0]),
            (
                DeepNPTSConfig::new(5, 7)
                    .futr_exog_list(["f1", "f2"])
                    .hist_exog_list(["x1"])
                    .stat_exog_list(["s1", "s2", "s3"])
                    .n_layers(3)
                    .batch_norm(false),
                [2, 1, 3],
            ),
        ] {
            let model = DeepNPTS::new(cfg).unwrap();
            let (y, x) = run(&model, &tape, fxs);
            assert_eq!(y.shape(), [3, 5, 1]);
            for r in 0..3 {
                let w = &x.data()[r * 7..(r + 1) * 7];
                let (lo, hi) = w
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
                for &v in &y.data()[r * 5..(r + 1) * 5] {
                    assert!(v >= lo - 1e-5 && v <= hi + 1e-5, "{v} outside [{lo}, {hi}]");
                }
            }
        }
    }

    #[test]
    fn refuses_what_neuralforecast_refuses() {
        let field = |cfg: DeepNPTSConfig| match DeepNPTS::new(cfg) {
            Err(CoreError::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        };
        let c = || DeepNPTSConfig::new(12, 24);
        assert_eq!(field(c().loss(Loss::mq_default())), "loss");
        let dist = |s: &str| s.parse::<Loss>().unwrap();
        assert_eq!(field(c().loss(dist("DistributionLoss(Normal)"))), "loss");
        assert_eq!(
            field(c().valid_loss(dist("DistributionLoss(StudentT)"))),
            "valid_loss"
        );
        assert_eq!(field(c().exclude_insample_y(true)), "exclude_insample_y");
        assert_eq!(field(c().n_layers(0)), "n_layers");
        assert_eq!(field(c().dropout(1.0)), "dropout");
        // Point losses, one output per step, are fine.
        for loss in [
            Loss::MSE,
            Loss::QuantileLoss { q: 0.9 },
            Loss::HuberQLoss { q: 0.3, delta: 1.0 },
        ] {
            DeepNPTS::new(c().loss(loss)).unwrap();
        }
    }
}
