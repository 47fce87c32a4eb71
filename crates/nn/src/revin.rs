//! Reversible instance normalisation for multivariate windows.

use crate::{Ctx, ParamId, ParamStore};
use neurodiv_autodiff::{Tensor, Var};
use serde::{Deserialize, Serialize};

/// RevIN (Kim et al., "Reversible Instance Normalization for Accurate Time-Series Forecasting
/// against Distribution Shift", ICLR 2022) over `[B, T, N]` windows, as NeuralForecast's
/// `RevINMultivariate(N, eps=1e-5, affine=True)`:
///
/// - [`norm`](Self::norm): per window and series, over time, `mean` and
///   `std = sqrt(biased var + eps)`; both are detached (constants on the tape). Returns
///   `(x - mean) / std * weight + bias` and the statistics.
/// - [`denorm`](Self::denorm): `(y - bias) / (weight + affine_eps) * std + mean` with the
///   statistics of the input window. NeuralForecast's multivariate RevIN divides by `weight`
///   alone (`affine_eps = 0`, the default here); its univariate one by `weight + eps²`.
///
/// `weight` (ones) and `bias` (zeros) are `[N]`, learnable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevIN {
    /// `[N]`, ones.
    pub weight: ParamId,
    /// `[N]`, zeros.
    pub bias: ParamId,
    /// Number of series (features on the last axis).
    pub features: usize,
    /// Added to the variance.
    pub eps: f32,
    /// Added to `weight` in the denominator of [`denorm`](Self::denorm).
    pub affine_eps: f32,
}

/// The statistics of the windows [`RevIN::norm`] normalised, `[B, 1, N]` each.
#[derive(Debug, Clone)]
pub struct RevINStats {
    /// Per window and series mean over time.
    pub mean: Tensor,
    /// Per window and series `sqrt(biased var + eps)` over time.
    pub std: Tensor,
}

impl RevINStats {
    /// The statistics of `[B, T, N]` windows (`T >= 1`), over time, per window and series.
    pub fn of(x: &Tensor, eps: f32) -> Self {
        let shape = x.shape();
        let (rows, len, n) = (shape[0], shape[1], shape[2]);
        let data = x.data(); // [B, T, N], row-major
        let mut mean = vec![0.0f32; rows * n];
        let mut std = vec![0.0f32; rows * n];
        for b in 0..rows {
            let window = &data[b * len * n..(b + 1) * len * n];
            for s in 0..n {
                let m = (0..len).map(|t| window[t * n + s]).sum::<f32>() / len as f32;
                let var = (0..len)
                    .map(|t| (window[t * n + s] - m).powi(2))
                    .sum::<f32>()
                    / len as f32;
                mean[b * n + s] = m;
                std[b * n + s] = (var + eps).sqrt();
            }
        }
        RevINStats {
            mean: Tensor::from_vec(&[rows, 1, n], mean),
            std: Tensor::from_vec(&[rows, 1, n], std),
        }
    }
}

impl RevIN {
    /// Creates `{name}.affine_weight` and `{name}.affine_bias` for `features` series, eps 1e-5.
    pub fn new(store: &mut ParamStore, name: &str, features: usize) -> Self {
        let weight = store.add(format!("{name}.affine_weight"), Tensor::ones(&[features]));
        let bias = store.add(format!("{name}.affine_bias"), Tensor::zeros(&[features]));
        RevIN {
            weight,
            bias,
            features,
            eps: 1e-5,
            affine_eps: 0.0,
        }
    }

    /// `[B, T, N] -> [B, T, N]`, normalised, with the statistics for [`denorm`](Self::denorm).
    ///
    /// # Panics
    /// When the input is not `[B, T, N]` with `T >= 1`.
    pub fn norm<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> (Var<'t>, RevINStats) {
        let shape = x.shape();
        assert!(
            shape.len() == 3 && shape[2] == self.features && shape[1] > 0,
            "RevIN::norm: input {shape:?} is not [B, T, {}]",
            self.features
        );
        let stats = RevINStats::of(&x.value(), self.eps);
        let y = x
            .sub(ctx.constant(stats.mean.clone()))
            .div(ctx.constant(stats.std.clone()))
            .mul(ctx.p(self.weight))
            .add(ctx.p(self.bias));
        (y, stats)
    }

    /// `[B, T', N] -> [B, T', N]`: undoes [`norm`](Self::norm) with the statistics it returned.
    pub fn denorm<'t>(&self, ctx: &Ctx<'t>, y: Var<'t>, stats: &RevINStats) -> Var<'t> {
        let mut w = ctx.p(self.weight);
        if self.affine_eps != 0.0 {
            w = w.add_scalar(self.affine_eps);
        }
        y.sub(ctx.p(self.bias))
            .div(w)
            .mul(ctx.constant(stats.std.clone()))
            .add(ctx.constant(stats.mean.clone()))
    }
}
