//! TiDE: Time-series Dense Encoder.
//!
//! Das, Kong, Leach, Mathur, Sen, Yu, "Long-term Forecasting with TiDE: Time-series Dense
//! Encoder", TMLR 2023 (arXiv:2304.08424).
//!
//! Every layer is a residual MLP block (`ReLU` hidden layer, dropout, a linear skip, then an
//! optional layer norm). The exogenous columns are first projected step by step to a narrow
//! `temporal_width`; the input window, the projected columns and the static features are
//! flattened into one vector that a dense encoder and a dense decoder map to
//! `decoder_output_dim` values per horizon step. A temporal decoder then maps each step's values
//! (with that step's projected future exogenous columns) to the `m` outputs, and a global linear
//! skip from the input window to the horizon is added.
//!
//! NeuralForecast quirk kept here: with a point loss (`m = 1`) and `layernorm = true`, the
//! temporal decoder's layer norm runs over a single feature, so it always returns its bias;
//! the whole encoder–decoder path then adds only a learned constant, and the forecast is the
//! global skip plus that constant. Quantile losses (`m > 1`) use the full network.

use neurodiv_autodiff::Var;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, Dropout, LayerNorm, Linear, ParamStore};
use serde::{Deserialize, Serialize};

/// Configuration of [`TiDE`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TiDEConfig {
    /// Shared training knobs (TiDE defaults: `inference_windows_batch_size = 1024`).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Hidden width of the encoder, the decoder and the exogenous projections (default 512).
    pub hidden_size: usize,
    /// Values per horizon step that the dense decoder gives the temporal decoder (default 32).
    pub decoder_output_dim: usize,
    /// Hidden width of the temporal decoder (default 128).
    pub temporal_decoder_dim: usize,
    /// Dropout after each block's second linear layer (default 0.3).
    pub dropout: f32,
    /// Layer norm on every block's output (default true).
    pub layernorm: bool,
    /// Blocks in the dense encoder (default 1).
    pub num_encoder_layers: usize,
    /// Blocks in the dense decoder (default 1).
    pub num_decoder_layers: usize,
    /// Width of the per-step exogenous projections (default 4).
    pub temporal_width: usize,
}

impl TiDEConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_mlp::{TiDE, TiDEConfig};
    /// let config = TiDEConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = TiDE::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.inference_windows_batch_size = Some(1024);
        TiDEConfig {
            base,
            hidden_size: 512,
            decoder_output_dim: 32,
            temporal_decoder_dim: 128,
            dropout: 0.3,
            layernorm: true,
            num_encoder_layers: 1,
            num_decoder_layers: 1,
            temporal_width: 4,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        for (field, v) in [
            ("hidden_size", self.hidden_size),
            ("decoder_output_dim", self.decoder_output_dim),
            ("temporal_decoder_dim", self.temporal_decoder_dim),
            ("num_encoder_layers", self.num_encoder_layers),
            ("num_decoder_layers", self.num_decoder_layers),
            ("temporal_width", self.temporal_width),
        ] {
            if v == 0 {
                return Err(CoreError::Config {
                    field,
                    reason: "must be at least 1".into(),
                });
            }
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(CoreError::Config {
                field: "dropout",
                reason: format!("must be in [0, 1), got {}", self.dropout),
            });
        }
        Ok(())
    }
}
base_setters!(TiDEConfig);
neurodiv_core::config_setters!(TiDEConfig {
    hidden_size: usize,
    decoder_output_dim: usize,
    temporal_decoder_dim: usize,
    dropout: f32,
    layernorm: bool,
    num_encoder_layers: usize,
    num_decoder_layers: usize,
    temporal_width: usize
});

/// TiDE's residual block: `norm(dropout(lin2(relu(lin1(x)))) + skip(x))` on the last axis.
#[derive(Debug, Clone)]
struct MlpResidual {
    norm: Option<LayerNorm>,
    drop: Dropout,
    lin1: Linear,
    lin2: Linear,
    skip: Linear,
}

impl MlpResidual {
    /// Creates `{name}.norm`, `{name}.lin1`, `{name}.lin2` and `{name}.skip`, in NeuralForecast's
    /// construction order (the norm takes no random numbers).
    #[allow(clippy::too_many_arguments)]
    fn new(
        store: &mut ParamStore,
        name: &str,
        input: usize,
        hidden: usize,
        output: usize,
        dropout: f32,
        layernorm: bool,
        rng: &mut Rng,
    ) -> Self {
        let norm = layernorm.then(|| LayerNorm::new(store, &format!("{name}.norm"), output));
        let lin1 = Linear::new(store, &format!("{name}.lin1"), input, hidden, true, rng);
        let lin2 = Linear::new(store, &format!("{name}.lin2"), hidden, output, true, rng);
        let skip = Linear::new(store, &format!("{name}.skip"), input, output, true, rng);
        MlpResidual {
            norm,
            drop: Dropout { p: dropout },
            lin1,
            lin2,
            skip,
        }
    }

    /// `[..., input] -> [..., output]`
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>) -> Var<'t> {
        let dense = self.lin2.forward(ctx, self.lin1.forward(ctx, x).relu());
        let y = self.drop.forward(ctx, dense).add(self.skip.forward(ctx, x));
        match &self.norm {
            Some(norm) => norm.forward(ctx, y),
            None => y,
        }
    }
}

/// NeuralForecast's `TiDE`.
#[derive(Debug, Clone)]
pub struct TiDE {
    config: TiDEConfig,
    store: ParamStore,
    hist_projection: Option<MlpResidual>,
    futr_projection: Option<MlpResidual>,
    encoder: Vec<MlpResidual>,
    decoder: Vec<MlpResidual>,
    temporal_decoder: MlpResidual,
    global_skip: Linear,
}

impl TiDE {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: TiDEConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (l, h, m) = (b.input_size, b.h, b.output_multiplier());
        let (n_hist, n_futr, n_stat) = (
            b.hist_exog_list.len(),
            b.futr_exog_list.len(),
            b.stat_exog_list.len(),
        );
        let (hid, tw, p, ln) = (
            config.hidden_size,
            config.temporal_width,
            config.dropout,
            config.layernorm,
        );
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        // NeuralForecast creates the historical projection when X > 0 *or* F > 0; with X = 0 it
        // has zero inputs and is never used (it only adds 2·tw + hid + hid·tw + 2·tw unused
        // parameters to its count). We create it only when X > 0: no zero-width layers.
        let hist_projection = (n_hist > 0).then(|| {
            MlpResidual::new(
                &mut store,
                "hist_exog_projection",
                n_hist,
                hid,
                tw,
                p,
                ln,
                &mut rng,
            )
        });
        let futr_projection = (n_futr > 0).then(|| {
            MlpResidual::new(
                &mut store,
                "futr_exog_projection",
                n_futr,
                hid,
                tw,
                p,
                ln,
                &mut rng,
            )
        });
        let encoder_input =
            l + usize::from(n_hist > 0) * l * tw + usize::from(n_futr > 0) * (l + h) * tw + n_stat;
        let encoder = (0..config.num_encoder_layers)
            .map(|i| {
                let input = if i == 0 { encoder_input } else { hid };
                let name = format!("dense_encoder.{i}");
                MlpResidual::new(&mut store, &name, input, hid, hid, p, ln, &mut rng)
            })
            .collect();
        let decoder_output = config.decoder_output_dim * h;
        let decoder = (0..config.num_decoder_layers)
            .map(|i| {
                let last = i + 1 == config.num_decoder_layers;
                let output = if last { decoder_output } else { hid };
                let name = format!("dense_decoder.{i}");
                MlpResidual::new(&mut store, &name, hid, hid, output, p, ln, &mut rng)
            })
            .collect();
        let temporal_decoder = MlpResidual::new(
            &mut store,
            "temporal_decoder",
            config.decoder_output_dim + usize::from(n_futr > 0) * tw,
            config.temporal_decoder_dim,
            m,
            p,
            ln,
            &mut rng,
        );
        let global_skip = Linear::new(&mut store, "global_skip", l, h * m, true, &mut rng);
        Ok(TiDE {
            config,
            store,
            hist_projection,
            futr_projection,
            encoder,
            decoder,
            temporal_decoder,
            global_skip,
        })
    }

    /// The config.
    pub fn config(&self) -> &TiDEConfig {
        &self.config
    }
}

impl NeuralModel for TiDE {
    fn name(&self) -> &'static str {
        "TiDE"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: true,
            hist_exog: true,
            stat_exog: true,
            ..Capabilities::default()
        }
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (l, h, m) = (b.input_size, b.h, b.output_multiplier());
        let tw = self.config.temporal_width;
        let y = batch.insample_y; // [B, L]
        let n = y.shape()[0];
        let skip = self.global_skip.forward(ctx, y).reshape(&[n, h, m]); // [B, h*m] -> [B, h, m]
        let mut parts = vec![y];
        if let Some(proj) = &self.hist_projection {
            let x = batch
                .hist_exog
                .expect("TiDE: hist_exog_list is set but the batch has no hist_exog");
            let p = proj.forward(ctx, x); // [B, L, X] -> [B, L, tw]
            parts.push(p.reshape(&[n, l * tw])); // [B, L, tw] -> [B, L*tw]
        }
        let mut futr_horizon = None;
        if let Some(proj) = &self.futr_projection {
            let x = batch
                .futr_exog
                .expect("TiDE: futr_exog_list is set but the batch has no futr_exog");
            let p = proj.forward(ctx, x); // [B, L+h, F] -> [B, L+h, tw]
            parts.push(p.reshape(&[n, (l + h) * tw])); // [B, L+h, tw] -> [B, (L+h)*tw]
            futr_horizon = Some(p.slice(1, l, l + h)); // [B, h, tw]
        }
        if !b.stat_exog_list.is_empty() {
            let s = batch
                .stat_exog
                .expect("TiDE: stat_exog_list is set but the batch has no stat_exog");
            parts.push(s); // [B, S]
        }
        let mut x = if parts.len() == 1 {
            y
        } else {
            Var::concat(&parts, 1)
        };
        for block in self.encoder.iter().chain(&self.decoder) {
            x = block.forward(ctx, x);
        }
        let dod = self.config.decoder_output_dim;
        let mut x = x.reshape(&[n, h, dod]); // [B, h*dod] -> [B, h, dod]
        if let Some(f) = futr_horizon {
            x = Var::concat(&[x, f], 2); // [B, h, dod] + [B, h, tw] -> [B, h, dod+tw]
        }
        self.temporal_decoder.forward(ctx, x).add(skip).into() // [B, h, m]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodiv_autodiff::{Tape, Tensor};
    use neurodiv_core::reexports::{Loss, ScalerType};
    use neurodiv_core::series::SeriesSet;

    fn batch<'t>(
        tape: &'t Tape,
        n: usize,
        l: usize,
        h: usize,
        f: usize,
        x: usize,
        s: usize,
    ) -> WindowBatch<'t> {
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

    fn run(model: &TiDE, tape: &Tape, f: usize, x: usize, s: usize) -> Tensor {
        let b = model.base();
        let wb = batch(tape, 3, b.input_size, b.h, f, x, s);
        let mut ctx = Ctx::new(tape, model.params(), Rng::new(0));
        model.forward(&mut ctx, &wb).y.value()
    }

    fn small(h: usize, l: usize) -> TiDEConfig {
        TiDEConfig::new(h, l)
            .hidden_size(16)
            .decoder_output_dim(4)
            .temporal_decoder_dim(8)
    }

    #[test]
    fn parameter_count_matches_neuralforecast() {
        // NeuralForecast's model summary for TiDE(h=12, input_size=24): 951,376. Without
        // exogenous columns no projection exists in either library, so the counts agree.
        let model = TiDE::new(TiDEConfig::new(12, 24)).unwrap();
        assert_eq!(model.params().num_params(), 951_376);
    }

    #[test]
    fn output_shapes_with_and_without_exogenous_columns() {
        let tape = Tape::no_grad();
        let plain = TiDE::new(small(5, 7)).unwrap();
        assert_eq!(run(&plain, &tape, 0, 0, 0).shape(), [3, 5, 1]);

        let cfg = small(5, 7)
            .futr_exog_list(["f1", "f2"])
            .hist_exog_list(["x1"])
            .stat_exog_list(["s1", "s2", "s3"])
            .num_encoder_layers(2)
            .num_decoder_layers(2)
            .loss(Loss::mq_default());
        let full = TiDE::new(cfg).unwrap();
        assert_eq!(run(&full, &tape, 2, 1, 3).shape(), [3, 5, 5]);

        // Only future columns: no historical projection is built.
        let futr = TiDE::new(small(5, 7).futr_exog_list(["f1"])).unwrap();
        assert!(futr.hist_projection.is_none());
        assert!(
            futr.params()
                .by_name("futr_exog_projection.lin1.weight")
                .is_some()
        );
        assert_eq!(run(&futr, &tape, 1, 0, 0).shape(), [3, 5, 1]);
    }

    #[test]
    fn inference_is_deterministic_and_config_is_checked() {
        let model = TiDE::new(small(4, 6).futr_exog_list(["f"])).unwrap();
        let (t1, t2) = (Tape::no_grad(), Tape::no_grad());
        assert_eq!(
            run(&model, &t1, 1, 0, 0).data(),
            run(&model, &t2, 1, 0, 0).data()
        );
        assert!(TiDE::new(small(4, 6).dropout(1.0)).is_err());
        assert!(TiDE::new(small(4, 6).num_decoder_layers(0)).is_err());
        assert!(TiDE::new(small(4, 6).temporal_width(0)).is_err());
    }

    #[test]
    fn with_one_output_the_deep_path_is_the_norm_bias() {
        // NeuralForecast's quirk: a layer norm over one feature returns its bias.
        let model = TiDE::new(small(4, 6)).unwrap();
        let tape = Tape::no_grad();
        let out = run(&model, &tape, 0, 0, 0); // [3, 4, 1]
        let wb = batch(&tape, 3, 6, 4, 0, 0, 0);
        let ctx = Ctx::new(&tape, model.params(), Rng::new(0));
        let skip = model.global_skip.forward(&ctx, wb.insample_y).value(); // [3, 4]
        let bias = model
            .params()
            .by_name("temporal_decoder.norm.bias")
            .unwrap()
            .item();
        for (o, s) in out.data().iter().zip(skip.data()) {
            assert!((o - (s + bias)).abs() < 1e-5, "{o} vs {s} + {bias}");
        }
    }

    #[test]
    fn training_reduces_the_loss() {
        let frame = neurodiv_data::PanelFrame::from_csv_path(
            "../../data/air_passengers.csv",
            &Default::default(),
        )
        .unwrap();
        let cfg = small(12, 24)
            .max_steps(60)
            .windows_batch_size(64)
            .scaler_type(ScalerType::Standard)
            .loss(Loss::mq_from_levels(&[80]));
        let mut model = TiDE::new(cfg).unwrap();
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
