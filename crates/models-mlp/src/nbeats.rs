//! NBEATS and NBEATSx: neural basis expansion analysis.
//!
//! Oreshkin, Carpov, Chapados, Bengio, "N-BEATS: Neural basis expansion analysis for
//! interpretable time series forecasting", ICLR 2020 (arXiv:1905.10437); with exogenous inputs,
//! Olivares, Challu, Marcjasz, Weron, Dubrawski, "Neural basis expansion analysis with
//! exogenous variables: Forecasting electricity prices with NBEATSx", IJF 2023
//! (arXiv:2104.05522).
//!
//! Blocks of MLPs read the residual of the (time-reversed) input window and emit coefficients
//! of a basis: identity (generic), polynomial (trend) or Fourier (seasonality). Each block's
//! backcast is subtracted from the residual; the forecasts add up, on top of the last value.

use crate::blocks::{BlockInput, BlockMlp, check_mlp_units};
use neurodiv_autodiff::Tensor;
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, ParamStore};
use serde::{Deserialize, Serialize};

/// The basis of a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StackType {
    /// Generic: the coefficients are the backcast and forecast themselves.
    Identity,
    /// Polynomials of degree `n_polynomials` in time.
    Trend,
    /// Fourier terms with `n_harmonics` harmonics.
    Seasonality,
}

/// Configuration of [`NBEATS`] and [`NBEATSx`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NBEATSConfig {
    /// Shared training knobs (NBEATS defaults: `num_lr_decays = 3`).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Harmonics of the seasonality basis (default 2).
    pub n_harmonics: usize,
    /// Degree of the trend polynomials (default 2).
    pub n_polynomials: usize,
    /// Basis of each stack (default identity, trend, seasonality).
    pub stack_types: Vec<StackType>,
    /// Blocks per stack (default `[1, 1, 1]`).
    pub n_blocks: Vec<usize>,
    /// The `[in, out]` hidden layer pairs of every block's MLP (default `[[512, 512]; 3]`).
    pub mlp_units: Vec<Vec<usize>>,
    /// Dropout on the MLP hidden layers (default 0).
    pub dropout_prob_theta: f32,
    /// Activation (default ReLU).
    pub activation: Activation,
    /// Blocks of a stack share their weights (default false).
    pub shared_weights: bool,
}

impl NBEATSConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_mlp::{NBEATS, NBEATSConfig};
    /// let config = NBEATSConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = NBEATS::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.num_lr_decays = 3;
        NBEATSConfig {
            base,
            n_harmonics: 2,
            n_polynomials: 2,
            stack_types: vec![
                StackType::Identity,
                StackType::Trend,
                StackType::Seasonality,
            ],
            n_blocks: vec![1, 1, 1],
            mlp_units: vec![vec![512, 512]; 3],
            dropout_prob_theta: 0.0,
            activation: Activation::ReLU,
            shared_weights: false,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        let bad = |field, reason: String| Err(CoreError::Config { field, reason });
        check_mlp_units(&self.mlp_units).map_err(|reason| CoreError::Config {
            field: "mlp_units",
            reason,
        })?;
        if self.stack_types.is_empty() || self.stack_types.len() != self.n_blocks.len() {
            return bad(
                "n_blocks",
                format!(
                    "needs one entry per stack type ({} stacks, {} entries)",
                    self.stack_types.len(),
                    self.n_blocks.len()
                ),
            );
        }
        if self.n_harmonics == 0 {
            return bad("n_harmonics", "must be at least 1".into());
        }
        if self.stack_types.contains(&StackType::Seasonality)
            && harmonics_count(self.n_harmonics, self.base.h) == 0
        {
            return bad(
                "n_harmonics",
                format!(
                    "{} harmonics leave no seasonal term for h = {}",
                    self.n_harmonics, self.base.h
                ),
            );
        }
        if !(0.0..1.0).contains(&self.dropout_prob_theta) {
            return bad(
                "dropout_prob_theta",
                format!("must be in [0, 1), got {}", self.dropout_prob_theta),
            );
        }
        Ok(())
    }
}
base_setters!(NBEATSConfig);
neurodiv_core::config_setters!(NBEATSConfig { n_harmonics: usize, n_polynomials: usize, stack_types: Vec<StackType>, n_blocks: Vec<usize>, mlp_units: Vec<Vec<usize>>, dropout_prob_theta: f32, activation: Activation, shared_weights: bool });

/// Number of Fourier frequencies: 0 plus `n_harmonics, n_harmonics + 1, ... < n_harmonics/2 * h`
/// divided by `n_harmonics` (NeuralForecast's grid).
fn harmonics_count(n_harmonics: usize, h: usize) -> usize {
    let end = n_harmonics as f64 / 2.0 * h as f64;
    1 + (end - n_harmonics as f64).ceil().max(0.0) as usize
}

/// A fixed basis: `backcast = θ_b · B_b`, `forecast[t, q] = Σ_p θ_f[p, q] B_f[p, t]`.
#[derive(Debug, Clone)]
struct Basis {
    backcast: Tensor, // [P, L]
    forecast: Tensor, // [P, h]
}

impl Basis {
    // Each basis tensor is allocated (and so charged to any allocation budget, see
    // `neurodiv_autodiff::budget`) before its values are computed.
    fn trend(degree: usize, l: usize, h: usize) -> Self {
        let grid = |len: usize| {
            let mut t = Tensor::zeros(&[degree.saturating_add(1), len]);
            for (i, v) in t.data_mut().iter_mut().enumerate() {
                let (p, t) = (i / len, i % len);
                *v = (t as f64 / len as f64).powi(p as i32) as f32;
            }
            t
        };
        Basis {
            backcast: grid(l),
            forecast: grid(h),
        }
    }

    fn seasonality(n_harmonics: usize, l: usize, h: usize) -> Self {
        let nh = n_harmonics as f64;
        let count = harmonics_count(n_harmonics, h);
        let grid = |len: usize, sign: f64| {
            let mut t = Tensor::zeros(&[count.saturating_mul(2), len]);
            let tau = std::f64::consts::TAU;
            let freq = |i: usize| match i {
                0 => 0.0,
                i => (n_harmonics + i - 1) as f64 / nh,
            };
            // Rows 0..count hold the cosines, count..2 count the sines, of frequency i.
            for (i, v) in t.data_mut().iter_mut().enumerate() {
                let (row, t) = (i / len, i % len);
                let angle = sign * tau * (t as f64 / h as f64) * freq(row % count);
                *v = if row < count {
                    angle.cos()
                } else {
                    angle.sin()
                } as f32;
            }
            t
        };
        Basis {
            backcast: grid(l, -1.0),
            forecast: grid(h, 1.0),
        }
    }

    fn size(&self) -> usize {
        self.backcast.shape()[0]
    }
}

#[derive(Debug, Clone)]
struct Block {
    mlp: BlockMlp,
    basis: Option<Basis>, // None: identity
}

/// NeuralForecast's `NBEATS` (no exogenous inputs).
#[derive(Debug, Clone)]
pub struct NBEATS {
    config: NBEATSConfig,
    store: ParamStore,
    input: BlockInput,
    blocks: Vec<usize>, // block -> index into `unique` (shared weights reuse one)
    unique: Vec<Block>,
}

/// NeuralForecast's `NBEATSx`: NBEATS whose blocks also read future, historical and static
/// exogenous columns (concatenated to the residual window).
#[derive(Debug, Clone)]
pub struct NBEATSx(NBEATS);
/// Configuration of [`NBEATSx`].
pub type NBEATSxConfig = NBEATSConfig;

impl NBEATSx {
    /// Builds the model with parameters initialised from `config.base.random_seed`.
    pub fn new(config: NBEATSxConfig) -> Result<Self, CoreError> {
        NBEATS::build(config).map(NBEATSx)
    }

    /// The config.
    pub fn config(&self) -> &NBEATSxConfig {
        &self.0.config
    }
}

impl NeuralModel for NBEATSx {
    fn name(&self) -> &'static str {
        "NBEATSx"
    }
    fn base(&self) -> &BaseConfig {
        self.0.base()
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            futr_exog: true,
            hist_exog: true,
            stat_exog: true,
            ..Capabilities::default()
        }
    }
    fn params(&self) -> &ParamStore {
        self.0.params()
    }
    fn params_mut(&mut self) -> &mut ParamStore {
        self.0.params_mut()
    }
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        self.0.forward(ctx, batch)
    }
    fn config_json(&self) -> String {
        self.0.config_json()
    }
}

impl NBEATS {
    /// Builds the model with parameters initialised from `config.base.random_seed`. NBEATS takes
    /// no exogenous columns (fitting with them is refused; use [`NBEATSx`]).
    pub fn new(config: NBEATSConfig) -> Result<Self, CoreError> {
        Self::build(config)
    }

    fn build(config: NBEATSConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let b = &config.base;
        let (l, h, m) = (b.input_size, b.h, b.output_multiplier());
        let mut rng = Rng::new(b.random_seed);
        let mut store = ParamStore::new();
        let input = BlockInput::plain(b);
        let (mut blocks, mut unique) = (Vec::new(), Vec::<Block>::new());
        for (s, (&kind, &n)) in config.stack_types.iter().zip(&config.n_blocks).enumerate() {
            for j in 0..n {
                if config.shared_weights && j > 0 {
                    blocks.push(unique.len() - 1);
                    continue;
                }
                let basis = match kind {
                    StackType::Identity => None,
                    StackType::Trend => Some(Basis::trend(config.n_polynomials, l, h)),
                    StackType::Seasonality => Some(Basis::seasonality(config.n_harmonics, l, h)),
                };
                let n_theta = match &basis {
                    None => l + h * m,
                    Some(bs) => bs.size() * (m + 1),
                };
                let name = format!("stacks.{s}.blocks.{j}");
                let mlp = BlockMlp::new(
                    &mut store,
                    &name,
                    input.width(),
                    &config.mlp_units,
                    n_theta,
                    config.activation,
                    config.dropout_prob_theta,
                    &mut rng,
                );
                unique.push(Block { mlp, basis });
                blocks.push(unique.len() - 1);
            }
        }
        Ok(NBEATS {
            config,
            store,
            input,
            blocks,
            unique,
        })
    }

    /// The config.
    pub fn config(&self) -> &NBEATSConfig {
        &self.config
    }
}

impl NeuralModel for NBEATS {
    fn name(&self) -> &'static str {
        "NBEATS"
    }

    neurodiv_core::model_accessors!();

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (l, h, m) = (b.input_size, b.h, b.output_multiplier());
        let n = batch.insample_y.shape()[0];
        let mut residuals = batch.insample_y.flip(1); // [B, L], newest first
        let mask = batch.insample_mask.flip(1);
        let level = batch.insample_y.slice(1, l - 1, l).reshape(&[n, 1, 1]); // [B, 1] -> [B, 1, 1]
        let mut forecast = level.expand(&[n, h, m]); // [B, h, m]
        for &bi in &self.blocks {
            let block = &self.unique[bi];
            let theta = block.mlp.forward(ctx, self.input.build(residuals, batch)); // [B, n_theta]
            let (backcast, block_forecast) = match &block.basis {
                None => (
                    theta.slice(1, 0, l),
                    theta.slice(1, l, l + h * m).reshape(&[n, h, m]),
                ), // [B, h*m] -> [B, h, m]
                Some(basis) => {
                    let p = basis.size();
                    let bb = ctx.constant(basis.backcast.clone()); // [P, L]
                    let bf = ctx.constant(basis.forecast.clone()); // [P, h]
                    let backcast = theta.slice(1, 0, p).matmul(bb); // [B, P] x [P, L] -> [B, L]
                    let coef = theta.slice(1, p, p * (m + 1)).reshape(&[n, p, m]); // [B, P*m] -> [B, P, m]
                    // forecast[b, t, q] = Σ_p coef[b, p, q] bf[p, t]
                    let fc = coef.permute(&[0, 2, 1]).matmul(bf).permute(&[0, 2, 1]); // [B, m, P] x [P, h] -> [B, m, h] -> [B, h, m]
                    (backcast, fc)
                }
            };
            residuals = residuals.sub(backcast).mul(mask);
            forecast = forecast.add(block_forecast);
        }
        forecast.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonality_grid_matches_neuralforecast_sizes() {
        // n_harmonics 2, h 12: frequencies 0, 1, 1.5, ..., 5.5 (11 of them) -> 22 basis rows.
        assert_eq!(harmonics_count(2, 12), 11);
        let b = Basis::seasonality(2, 24, 12);
        assert_eq!(b.backcast.shape(), [22, 24]);
        assert_eq!(b.forecast.shape(), [22, 12]);
        assert_eq!(Basis::trend(2, 24, 12).backcast.shape(), [3, 24]);
    }

    #[test]
    fn parameter_count_matches_neuralforecast() {
        // NeuralForecast reports 2,447,322 for NBEATS(h=12, input_size=24), of which 900 are the
        // fixed trend and seasonality bases; the trainable part is 2,446,422.
        let model = NBEATS::new(NBEATSConfig::new(12, 24)).unwrap();
        assert_eq!(model.params().num_params(), 2_446_422);
    }
}
