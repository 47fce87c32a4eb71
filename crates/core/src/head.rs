//! Output heads: what turns a model's raw outputs into a training loss and into forecast
//! columns. The trainer, the predictors and the validation loop see only [`OutputHead`]; a
//! [`Loss`] names which head a config asks for ([`head_for`]).
//!
//! - [`AffineHead`] (point and quantile losses): outputs are forecasts in the scaled space; the
//!   loss is taken there (NeuralForecast's `_inv_normalization` comes after it), and forecasts are
//!   the outputs with the window's scaling inverted.
//! - [`DistributionHead`] (`DistributionLoss`): outputs are a distribution's raw parameters;
//!   they are anchored to the window's location and scale, the loss is the negative
//!   log-likelihood of the target in the original scale, and forecasts are the mean and the
//!   quantiles of draws.

use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_data::ScalerType;
use neurodiv_kernels::Rng;
use neurodiv_optim::{Distribution, Loss, sorted_quantile};

/// What the training loss may read about a batch of `R` rows (windows, or window-series pairs
/// for multivariate models), each `h` steps long.
#[derive(Debug, Clone, Copy)]
pub struct HeadTargets<'t> {
    /// `[R, h]` the target in the scaled space.
    pub y: Var<'t>,
    /// `[R, h]` the target in the original scale.
    pub y_original: Var<'t>,
    /// `[R, h]` 1 where the target is observed.
    pub mask: Var<'t>,
    /// `[R, 1]` each row's scaler shift (location).
    pub loc: Var<'t>,
    /// `[R, 1]` each row's scaler scale.
    pub scale: Var<'t>,
    /// `[R, L]` the input window in the scaled space (MASE).
    pub insample_y: Var<'t>,
}

/// How each row of a batch was scaled: `(shift, scale)` of its window, and the scaler.
#[derive(Debug, Clone, Copy)]
pub struct RowScaling<'a> {
    /// Per row `(shift, scale)`.
    pub stats: &'a [(f32, f32)],
    /// The scaler that produced them.
    pub scaler: ScalerType,
}

/// Turns raw outputs (`m` per step, scaled space) into a loss and into forecast columns.
pub trait OutputHead: Send + Sync + std::fmt::Debug {
    /// Raw outputs per step the model must produce (`m`).
    fn outputs_per_step(&self) -> usize;
    /// Suffixes of the forecast columns (`k` of them), NeuralForecast's `output_names`.
    fn column_suffixes(&self) -> Vec<String>;
    /// Which column is the point forecast.
    fn point_column(&self) -> usize;
    /// Whether the head can draw samples ([`OutputHead::sample`]).
    fn samples(&self) -> bool;
    /// The training loss of raw outputs `out` (`[R, h, m]`).
    fn train_loss<'t>(&self, out: Var<'t>, t: &HeadTargets<'t>) -> Var<'t>;
    /// The loss in the original scale of raw outputs `out` (`[R, h, m]`) against `y` (`[R, h]`)
    /// with every point observed; `insample` (`[R, L]`, original scale) serves MASE.
    fn validation_loss(
        &self,
        out: &Tensor,
        rows: RowScaling<'_>,
        y: &Tensor,
        insample: &Tensor,
    ) -> f32;
    /// Forecast columns in the original scale: `[R, h, m]` raw outputs to `[R, h, k]`. Row `r`
    /// draws (if it samples) from a stream seeded by `seed` and `first_row + r`, so a row's
    /// values do not depend on how rows are batched.
    fn forecast(&self, out: &Tensor, rows: RowScaling<'_>, seed: u64, first_row: usize) -> Tensor;
    /// The point forecast of one step in the scaled space, from its `m` raw outputs and its
    /// row's `(shift, scale)` under `scaler`: what a recursive predictor feeds back.
    fn point_scaled(&self, out: &[f32], stats: (f32, f32), scaler: ScalerType) -> f32;
    /// One draw per row in the original scale from one step's raw outputs `out` (`[R, 1, m]`);
    /// consecutive rows share a stream, row `r` drawing from `rngs[r / (R / rngs.len())]`.
    /// `None` for heads that do not sample.
    fn sample(&self, out: &Tensor, rows: RowScaling<'_>, rngs: &mut [Rng]) -> Option<Vec<f32>>;
    /// The forecast columns (`k` values) of one step from draws in the original scale
    /// (sampled predictors); `None` for heads that do not sample.
    fn columns_from_draws(&self, draws: &mut [f32]) -> Option<Vec<f32>>;
}

/// The head a loss asks for.
pub fn head_for(loss: &Loss) -> Box<dyn OutputHead> {
    match loss {
        Loss::DistributionLoss { .. } => Box::new(DistributionHead { loss: loss.clone() }),
        _ => Box::new(AffineHead { loss: loss.clone() }),
    }
}

/// The random stream of row `row` of a forecast seeded with `seed` (independent of batching).
pub(crate) fn row_rng(seed: u64, row: usize) -> Rng {
    Rng::new(seed ^ (row as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Point and quantile losses: outputs are forecasts in the scaled space.
#[derive(Debug, Clone)]
pub struct AffineHead {
    /// The loss (a point or quantile loss).
    pub loss: Loss,
}

impl AffineHead {
    /// `[R, h, m]` scaled outputs to the original scale.
    fn invert(&self, out: &Tensor, rows: RowScaling<'_>) -> Tensor {
        let mut v = out.to_vec();
        let per_row = v.len() / rows.stats.len().max(1);
        for (w, &(shift, scale)) in v.chunks_mut(per_row.max(1)).zip(rows.stats) {
            neurodiv_data::invert(rows.scaler, w, shift, scale);
        }
        Tensor::from_vec(out.shape(), v)
    }
}

impl OutputHead for AffineHead {
    fn outputs_per_step(&self) -> usize {
        self.loss.outputsize_multiplier()
    }
    fn column_suffixes(&self) -> Vec<String> {
        self.loss.output_names()
    }
    fn point_column(&self) -> usize {
        self.loss.point_index()
    }
    fn samples(&self) -> bool {
        false
    }
    fn train_loss<'t>(&self, out: Var<'t>, t: &HeadTargets<'t>) -> Var<'t> {
        let y_hat = self.loss.domain_map(out);
        self.loss
            .compute(t.y, y_hat, t.mask, None, Some(t.insample_y))
    }
    fn validation_loss(
        &self,
        out: &Tensor,
        rows: RowScaling<'_>,
        y: &Tensor,
        insample: &Tensor,
    ) -> f32 {
        let tape = Tape::no_grad();
        let y_hat = tape.constant(self.invert(out, rows));
        let ones = tape.constant(Tensor::ones(y.shape()));
        self.loss
            .compute(
                tape.constant(y.clone()),
                y_hat,
                ones,
                None,
                Some(tape.constant(insample.clone())),
            )
            .value()
            .item()
    }
    fn forecast(&self, out: &Tensor, rows: RowScaling<'_>, _seed: u64, _first: usize) -> Tensor {
        self.invert(out, rows)
    }
    fn point_scaled(&self, out: &[f32], _stats: (f32, f32), _scaler: ScalerType) -> f32 {
        out[self.loss.point_index()]
    }
    fn sample(&self, _: &Tensor, _: RowScaling<'_>, _: &mut [Rng]) -> Option<Vec<f32>> {
        None
    }
    fn columns_from_draws(&self, _draws: &mut [f32]) -> Option<Vec<f32>> {
        None
    }
}

/// A distribution's parameters: NeuralForecast's `DistributionLoss`.
#[derive(Debug, Clone)]
pub struct DistributionHead {
    /// The loss (a `DistributionLoss`).
    loss: Loss,
}

/// Each row's `(shift, scale)` as two `[R, 1]` constants.
fn stat_columns<'t>(tape: &'t Tape, stats: &[(f32, f32)]) -> (Var<'t>, Var<'t>) {
    let (loc, scale): (Vec<f32>, Vec<f32>) = stats.iter().copied().unzip();
    let r = stats.len();
    (
        tape.constant(Tensor::from_vec(&[r, 1], loc)),
        tape.constant(Tensor::from_vec(&[r, 1], scale)),
    )
}

impl DistributionHead {
    /// The loss's distribution, quantiles, draws per point and `return_params`.
    fn settings(&self) -> (Distribution, &[f32], usize, bool) {
        let Loss::DistributionLoss {
            distribution,
            quantiles,
            num_samples,
            return_params,
        } = &self.loss
        else {
            unreachable!("head_for builds a DistributionHead for a DistributionLoss only")
        };
        (*distribution, quantiles, *num_samples, *return_params)
    }

    /// The anchored parameters of raw outputs `out` (`[R, h, m]`): `m` tensors `[R, h]`.
    fn params(&self, out: &Tensor, rows: RowScaling<'_>) -> Vec<Tensor> {
        let tape = Tape::no_grad();
        let (loc, scale) = stat_columns(&tape, rows.stats);
        self.settings()
            .0
            .decouple(tape.constant(out.clone()), loc, scale)
            .into_iter()
            .map(|p| p.value())
            .collect()
    }
}

impl OutputHead for DistributionHead {
    fn outputs_per_step(&self) -> usize {
        self.settings().0.n_params()
    }
    fn column_suffixes(&self) -> Vec<String> {
        self.loss.output_names()
    }
    fn point_column(&self) -> usize {
        0
    }
    fn samples(&self) -> bool {
        true
    }
    fn train_loss<'t>(&self, out: Var<'t>, t: &HeadTargets<'t>) -> Var<'t> {
        self.loss
            .distribution_nll(t.y_original, out, t.loc, t.scale, t.mask, None)
    }
    fn validation_loss(&self, out: &Tensor, rows: RowScaling<'_>, y: &Tensor, _: &Tensor) -> f32 {
        let tape = Tape::no_grad();
        let (loc, scale) = stat_columns(&tape, rows.stats);
        self.loss
            .distribution_nll(
                tape.constant(y.clone()),
                tape.constant(out.clone()),
                loc,
                scale,
                tape.constant(Tensor::ones(y.shape())),
                None,
            )
            .value()
            .item()
    }
    fn forecast(&self, out: &Tensor, rows: RowScaling<'_>, seed: u64, first_row: usize) -> Tensor {
        let (distribution, _, num_samples, return_params) = self.settings();
        let (r, h) = (out.shape()[0], out.shape()[1]);
        let params = self.params(out, rows);
        let k = self.column_suffixes().len();
        let mut values = Vec::with_capacity(r * h * k);
        let mut draws = vec![0.0; num_samples];
        let mut point = vec![0.0; params.len()];
        for row in 0..r {
            let mut rng = row_rng(seed, first_row + row);
            for step in 0..h {
                for (p, t) in point.iter_mut().zip(&params) {
                    *p = t.data()[row * h + step];
                }
                for d in draws.iter_mut() {
                    *d = distribution.sample(&point, &mut rng);
                }
                values.extend(self.columns_from_draws(&mut draws).expect("samples"));
                if return_params {
                    values.extend_from_slice(&point);
                }
            }
        }
        Tensor::from_vec(&[r, h, k], values)
    }
    fn point_scaled(&self, out: &[f32], stats: (f32, f32), scaler: ScalerType) -> f32 {
        let distribution = self.settings().0;
        if let Some(at) = distribution.loc_index() {
            // The location's raw output is the location in the scaled space.
            return out[at];
        }
        // The distribution's mean (NeuralForecast's `distr_mean`), scaled back.
        let raw = Tensor::from_vec(&[1, 1, out.len()], out.to_vec());
        let params: Vec<f32> = self
            .params(
                &raw,
                RowScaling {
                    stats: &[stats],
                    scaler,
                },
            )
            .iter()
            .map(|p| p.data()[0])
            .collect();
        let mut mean = [distribution.mean(&params)];
        neurodiv_data::apply(scaler, &mut mean, stats.0, stats.1);
        mean[0]
    }
    fn sample(&self, out: &Tensor, rows: RowScaling<'_>, rngs: &mut [Rng]) -> Option<Vec<f32>> {
        let distribution = self.settings().0;
        let params = self.params(out, rows); // m x [R, 1]
        let per_stream = (rows.stats.len() / rngs.len().max(1)).max(1);
        let mut point = vec![0.0; params.len()];
        let draws = (0..rows.stats.len())
            .map(|row| {
                for (p, t) in point.iter_mut().zip(&params) {
                    *p = t.data()[row];
                }
                distribution.sample(&point, &mut rngs[row / per_stream])
            })
            .collect();
        Some(draws)
    }
    /// The mean, then the quantiles (`torch.quantile`'s linear interpolation); without the
    /// parameters, which only [`forecast`](OutputHead::forecast) appends.
    fn columns_from_draws(&self, draws: &mut [f32]) -> Option<Vec<f32>> {
        let quantiles = self.settings().1;
        let mean = (draws.iter().map(|&v| v as f64).sum::<f64>() / draws.len() as f64) as f32;
        draws.sort_by(f32::total_cmp);
        let mut cols = Vec::with_capacity(1 + quantiles.len());
        cols.push(mean);
        cols.extend(quantiles.iter().map(|&q| sorted_quantile(draws, q)));
        Some(cols)
    }
}
