//! DLinear, NLinear and RLinear: one linear map from the input window to the horizon, after a
//! decomposition (DLinear), a shift by the last value (NLinear) or a reversible instance
//! normalisation (RLinear).
//!
//! - DLinear: Zeng, Chen, Zhang, Xu, "Are Transformers Effective for Time Series Forecasting?",
//!   AAAI 2023 (arXiv:2205.13504). The window is split into a trend (moving average, edges
//!   padded by repetition) and a remainder; each gets its own linear map; the two add up.
//! - NLinear: same paper; the last value is subtracted before the map and added back after.
//! - RLinear: Li, Qi, Li, Xu, "Revisiting Long-term Time Series Forecasting: An Investigation on
//!   Linear Mapping", 2023 (arXiv:2305.10721). RevIN (Kim et al., ICLR 2022) standardises each
//!   window by its own mean and standard deviation with a learnable affine map, a linear map
//!   forecasts, and the normalisation is undone.

use neurodiv_autodiff::Var;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, Linear, ParamId, ParamStore, series_decomp};
use serde::{Deserialize, Serialize};

macro_rules! linear_model {
    ($model:ident, $config:ident, $name:literal, $defaults:literal, $set_defaults:expr, { $($field:ident : $ty:ty = $default:expr, $doc:literal;)* }) => {
        #[doc = concat!("Configuration of [`", $name, "`], with NeuralForecast's defaults.")]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $config {
            /// Shared training knobs.
            #[serde(flatten)]
            pub base: BaseConfig,
            $(#[doc = $doc] pub $field: $ty,)*
        }

        impl $config {
            #[doc = concat!("Defaults for horizon `h` and input window `input_size`: ", $defaults)]
            ///
            /// ```
            /// use neurodiv_core::NeuralModel;
            #[doc = concat!("use neurodiv_models_linear::{", stringify!($model), ", ", stringify!($config), "};")]
            #[doc = concat!("let config = ", stringify!($config), "::new(12, 24).max_steps(100).random_seed(7);")]
            #[doc = concat!("let model = ", stringify!($model), "::new(config)?;")]
            /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
            /// # Ok::<(), neurodiv_core::CoreError>(())
            /// ```
            pub fn new(h: usize, input_size: usize) -> Self {
                let mut base = BaseConfig::new(h, input_size);
                let set: fn(&mut BaseConfig) = $set_defaults;
                set(&mut base);
                $config { base, $($field: $default,)* }
            }
        }
        base_setters!($config);

        impl NeuralModel for $model {
            fn name(&self) -> &'static str {
                $name
            }
            neurodiv_core::model_accessors!();
            fn capabilities(&self) -> Capabilities {
                Capabilities::default()
            }
            fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
                let b = &self.config.base;
                let n = batch.insample_y.shape()[0];
                self.map(ctx, batch)
                    .reshape(&[n, b.h, b.output_multiplier()]) // [B, h*m] -> [B, h, m]
                    .into()
            }
        }
    };
}

/// NeuralForecast's defaults for DLinear and NLinear.
fn nf_linear_defaults(base: &mut BaseConfig) {
    base.learning_rate = 1e-4;
    base.max_steps = 5000;
    base.inference_windows_batch_size = Some(1024);
}

linear_model!(DLinear, DLinearConfig, "DLinear", "NeuralForecast's (learning rate 1e-4, 5000 steps, inference batches of 1024).", nf_linear_defaults, {
    moving_avg_window: usize = 25, "Window of the trend's moving average (odd; default 25).";
});
linear_model!(
    NLinear,
    NLinearConfig,
    "NLinear",
    "NeuralForecast's (learning rate 1e-4, 5000 steps, inference batches of 1024).",
    nf_linear_defaults,
    {}
);
linear_model!(RLinear, RLinearConfig, "RLinear", "NeuralForecast lacks RLinear; it takes BaseConfig's defaults (learning rate 1e-3, 1000 steps).", |_| {}, {
    revin_affine: bool = true, "Learn RevIN's scale and shift (default true).";
});

fn linear(store: &mut ParamStore, name: &str, b: &BaseConfig, rng: &mut Rng) -> Linear {
    Linear::new(
        store,
        name,
        b.input_size,
        b.h * b.output_multiplier(),
        true,
        rng,
    )
}

/// NeuralForecast's `DLinear`.
#[derive(Debug, Clone)]
pub struct DLinear {
    config: DLinearConfig,
    store: ParamStore,
    trend: Linear,
    season: Linear,
}

impl DLinear {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: DLinearConfig) -> Result<Self, CoreError> {
        config.base.validate()?;
        neurodiv_core::check::odd("moving_avg_window", config.moving_avg_window)?;
        let mut rng = Rng::new(config.base.random_seed);
        let mut store = ParamStore::new();
        let trend = linear(&mut store, "linear_trend", &config.base, &mut rng);
        let season = linear(&mut store, "linear_season", &config.base, &mut rng);
        Ok(DLinear {
            config,
            store,
            trend,
            season,
        })
    }

    fn map<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> Var<'t> {
        let x = batch.insample_y; // [B, L]
        let (season, trend) = series_decomp(x, 1, self.config.moving_avg_window);
        self.trend
            .forward(ctx, trend)
            .add(self.season.forward(ctx, season))
    }
}

/// NeuralForecast's `NLinear`.
#[derive(Debug, Clone)]
pub struct NLinear {
    config: NLinearConfig,
    store: ParamStore,
    linear: Linear,
}

impl NLinear {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: NLinearConfig) -> Result<Self, CoreError> {
        config.base.validate()?;
        let mut rng = Rng::new(config.base.random_seed);
        let mut store = ParamStore::new();
        let linear = linear(&mut store, "linear", &config.base, &mut rng);
        Ok(NLinear {
            config,
            store,
            linear,
        })
    }

    fn map<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> Var<'t> {
        let x = batch.insample_y; // [B, L]
        let l = self.config.base.input_size;
        let last = x.slice(1, l - 1, l); // [B, 1]
        self.linear.forward(ctx, x.sub(last)).add(last)
    }
}

/// RLinear: RevIN around a linear map.
#[derive(Debug, Clone)]
pub struct RLinear {
    config: RLinearConfig,
    store: ParamStore,
    linear: Linear,
    affine: Option<(ParamId, ParamId)>,
}

/// RevIN's floor under the variance.
const REVIN_EPS: f32 = 1e-5;

impl RLinear {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: RLinearConfig) -> Result<Self, CoreError> {
        config.base.validate()?;
        let mut rng = Rng::new(config.base.random_seed);
        let mut store = ParamStore::new();
        let affine = config.revin_affine.then(|| {
            let w = store.add("revin.affine_weight", neurodiv_autodiff::Tensor::ones(&[1]));
            let b = store.add("revin.affine_bias", neurodiv_autodiff::Tensor::zeros(&[1]));
            (w, b)
        });
        let linear = linear(&mut store, "linear", &config.base, &mut rng);
        Ok(RLinear {
            config,
            store,
            linear,
            affine,
        })
    }

    fn map<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> Var<'t> {
        let x = batch.insample_y; // [B, L]
        let mean = x.mean(1, true); // [B, 1]
        let centred = x.sub(mean);
        let std = centred
            .mul(centred)
            .mean(1, true)
            .add_scalar(REVIN_EPS)
            .sqrt(); // [B, 1]
        let mut z = centred.div(std);
        if let Some((w, b)) = self.affine {
            z = z.mul(ctx.p(w)).add(ctx.p(b));
        }
        let mut y = self.linear.forward(ctx, z); // [B, h*m]
        if let Some((w, b)) = self.affine {
            y = y
                .sub(ctx.p(b))
                .div(ctx.p(w).add_scalar(REVIN_EPS * REVIN_EPS));
        }
        y.mul(std).add(mean)
    }
}
