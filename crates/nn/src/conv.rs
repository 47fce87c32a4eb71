//! The 1-D convolution layer.

use crate::{Ctx, ParamId, ParamStore, init};
use neurodiv_autodiff::Var;
use neurodiv_kernels::Rng;
use serde::{Deserialize, Serialize};

/// PyTorch's `nn.Conv1d` (cross-correlation) with zero padding given per side, so that causal
/// (left) and anti-causal (right) padding are one layer. `weight` is `[out, in / groups, k]`;
/// weight and bias start `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, `fan_in = in / groups * k`, as in
/// PyTorch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conv1d {
    /// `[out, in / groups, k]`
    pub weight: ParamId,
    /// `[out]`
    pub bias: Option<ParamId>,
    /// Zeros added on the left and on the right.
    pub padding: (usize, usize),
    /// Spacing between kernel taps.
    pub dilation: usize,
    /// Step between output positions.
    pub stride: usize,
    /// Channel groups.
    pub groups: usize,
}

impl Conv1d {
    /// Creates `{name}.weight` (and `{name}.bias`), stride 1 and one group.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        (c_in, c_out, k): (usize, usize, usize),
        padding: (usize, usize),
        dilation: usize,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let fan_in = c_in * k;
        let weight = store.add(
            format!("{name}.weight"),
            init::torch_default(&[c_out, c_in, k], fan_in, rng),
        );
        let bias = bias.then(|| {
            store.add(
                format!("{name}.bias"),
                init::torch_default(&[c_out], fan_in, rng),
            )
        });
        Conv1d {
            weight,
            bias,
            padding,
            dilation,
            stride: 1,
            groups: 1,
        }
    }

    /// A causal convolution: padded on the left by `dilation * (k - 1)`, so that output `t`
    /// sees inputs `..= t` and the length is kept.
    pub fn causal(
        store: &mut ParamStore,
        name: &str,
        (c_in, c_out, k): (usize, usize, usize),
        dilation: usize,
        rng: &mut Rng,
    ) -> Self {
        let pad = dilation * (k.max(1) - 1);
        Conv1d::new(store, name, (c_in, c_out, k), (pad, 0), dilation, true, rng)
    }

    /// `[B, C_in, L] -> [B, C_out, L_out]`
    pub fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> Var<'t> {
        x.conv1d(
            ctx.p(self.weight),
            self.bias.map(|b| ctx.p(b)),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
    }
}
