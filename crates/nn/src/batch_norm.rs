//! Batch normalisation over the feature axis of `[B, F]` inputs, PyTorch's `nn.BatchNorm1d`.

use crate::{Ctx, ParamId, ParamStore};
use neurodiv_autodiff::{Tensor, Var};
use serde::{Deserialize, Serialize};

/// `nn.BatchNorm1d(features, eps, momentum)` with an affine transform and running statistics
/// (Ioffe & Szegedy, ICML 2015), with PyTorch's semantics:
///
/// - training (`ctx.training()`): each feature is normalised by the batch mean and the biased
///   batch variance, `y = (x - mean) / sqrt(var + eps) * weight + bias`, with gradients through
///   the statistics; the running statistics move towards the batch's,
///   `r = (1 - momentum) r + momentum * batch`, where the running variance takes the *unbiased*
///   batch variance (`B / (B - 1)` times the biased one; with `B = 1`, where PyTorch refuses to
///   train, the biased one, 0);
/// - inference: `y = (x - running_mean) / sqrt(running_var + eps) * weight + bias`.
///
/// The running statistics are buffers of the store (`{name}.running_mean`, zeros, and
/// `{name}.running_var`, ones): saved in checkpoints, never trained; the new values are handed
/// to the trainer through [`Ctx::set_buffer`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchNorm1d {
    /// `[features]`, ones.
    pub weight: ParamId,
    /// `[features]`, zeros.
    pub bias: ParamId,
    /// `[features]` buffer, zeros.
    pub running_mean: ParamId,
    /// `[features]` buffer, ones.
    pub running_var: ParamId,
    /// Number of features.
    pub features: usize,
    /// Added to the variance.
    pub eps: f32,
    /// Weight of the batch statistics in the running averages.
    pub momentum: f32,
}

impl BatchNorm1d {
    /// Creates `{name}.weight`, `{name}.bias` and the buffers `{name}.running_mean` and
    /// `{name}.running_var`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        features: usize,
        eps: f32,
        momentum: f32,
    ) -> Self {
        let weight = store.add(format!("{name}.weight"), Tensor::ones(&[features]));
        let bias = store.add(format!("{name}.bias"), Tensor::zeros(&[features]));
        let running_mean =
            store.add_buffer(format!("{name}.running_mean"), Tensor::zeros(&[features]));
        let running_var =
            store.add_buffer(format!("{name}.running_var"), Tensor::ones(&[features]));
        BatchNorm1d {
            weight,
            bias,
            running_mean,
            running_var,
            features,
            eps,
            momentum,
        }
    }

    /// `[B, features] -> [B, features]`
    ///
    /// # Panics
    /// When the input is not `[B, features]` with `B >= 1`.
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>) -> Var<'t> {
        let shape = x.shape();
        assert!(
            shape.len() == 2 && shape[1] == self.features && shape[0] > 0,
            "BatchNorm1d: input {shape:?} is not [B, {}]",
            self.features
        );
        let (w, b) = (ctx.p(self.weight), ctx.p(self.bias));
        if !ctx.training() {
            let mean = ctx.p(self.running_mean);
            let rstd = ctx.constant(
                ctx.p(self.running_var)
                    .value()
                    .map(|v| 1.0 / (v + self.eps).sqrt()),
            );
            return x.sub(mean).mul(rstd).mul(w).add(b);
        }
        let rows = shape[0];
        let mean = x.mean(0, true); // [B, F] -> [1, F]
        let centred = x.sub(mean);
        let var = centred.mul(centred).mean(0, true); // biased, [1, F]
        let y = centred.div(var.add_scalar(self.eps).sqrt()).mul(w).add(b);
        // Running statistics, on values only.
        let unbias = if rows > 1 {
            rows as f32 / (rows - 1) as f32
        } else {
            1.0
        };
        let m = self.momentum;
        let blend = |old: &Tensor, batch: &Tensor, factor: f32| {
            let data = old
                .data()
                .iter()
                .zip(batch.data())
                .map(|(&r, &v)| (1.0 - m) * r + m * factor * v)
                .collect();
            Tensor::from_vec(old.shape(), data)
        };
        let new_mean = blend(&ctx.p(self.running_mean).value(), &mean.value(), 1.0);
        let new_var = blend(&ctx.p(self.running_var).value(), &var.value(), unbias);
        ctx.set_buffer(self.running_mean, new_mean);
        ctx.set_buffer(self.running_var, new_var);
        y
    }
}
