//! The gated blocks of the Temporal Fusion Transformer (Lim, Arık, Loeff, Pfister, "Temporal
//! Fusion Transformers for interpretable multi-horizon time series forecasting", International
//! Journal of Forecasting 37(4), 2021; arXiv:1912.09363): the gated linear unit, the gated
//! residual network and the variable selection network, laid out as NeuralForecast's `tft.py`
//! names its parameters.

use neurodiv_autodiff::Var;
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, Dropout, LayerNorm, Linear, ParamStore};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The activation inside the gated residual networks (`grn_activation`), spelled as
/// NeuralForecast spells it.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GrnActivation {
    /// `x` for `x > 0`, else `e^x - 1` (NeuralForecast's default).
    ELU,
    /// `max(x, 0)`
    ReLU,
    /// `ln(1 + e^x)`
    Softplus,
    /// `tanh(x)`
    Tanh,
    /// Scaled ELU (`torch.nn.functional.selu`).
    SELU,
    /// Leaky ReLU with slope 0.01.
    LeakyReLU,
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// Exact GELU.
    GELU,
}

impl GrnActivation {
    /// Every accepted name. (NeuralForecast also lists `GLU`, which halves the features and so
    /// fails inside its own GRN; it is refused here.)
    pub const NAMES: &'static [&'static str] = &[
        "ELU",
        "ReLU",
        "Softplus",
        "Tanh",
        "SELU",
        "LeakyReLU",
        "Sigmoid",
        "GELU",
    ];

    /// Applies the activation.
    pub fn apply<'t>(self, x: Var<'t>) -> Var<'t> {
        // SELU's constants, as PyTorch's.
        const ALPHA: f32 = 1.673_263_2;
        const SCALE: f32 = 1.050_701;
        match self {
            GrnActivation::ELU => x.elu(),
            GrnActivation::ReLU => x.relu(),
            GrnActivation::Softplus => x.softplus(),
            GrnActivation::Tanh => x.tanh(),
            // scale * (max(0, x) + alpha * min(0, e^x - 1)), where min(0, e^x - 1) = elu - relu.
            GrnActivation::SELU => x
                .relu()
                .mul_scalar(SCALE * (1.0 - ALPHA))
                .add(x.elu().mul_scalar(SCALE * ALPHA)),
            GrnActivation::LeakyReLU => x.leaky_relu(0.01),
            GrnActivation::Sigmoid => x.sigmoid(),
            GrnActivation::GELU => x.gelu(),
        }
    }
}

impl FromStr for GrnActivation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s))
            .map(|i| {
                [
                    GrnActivation::ELU,
                    GrnActivation::ReLU,
                    GrnActivation::Softplus,
                    GrnActivation::Tanh,
                    GrnActivation::SELU,
                    GrnActivation::LeakyReLU,
                    GrnActivation::Sigmoid,
                    GrnActivation::GELU,
                ][i]
            })
            .ok_or_else(|| {
                format!(
                    "unknown grn_activation {s:?}; expected one of {}",
                    Self::NAMES.join(", ")
                )
            })
    }
}

/// Gated linear unit: `a * sigmoid(b)` where `[a, b]` is a linear map to twice the output size.
#[derive(Debug, Clone)]
pub(crate) struct Glu {
    lin: Linear,
}

impl Glu {
    /// `{name}.lin`, `[input] -> [2 * output]`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        input: usize,
        output: usize,
        rng: &mut Rng,
    ) -> Self {
        let lin = Linear::new(store, &format!("{name}.lin"), input, 2 * output, true, rng);
        Glu { lin }
    }

    /// `[..., input] -> [..., output]`
    pub fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> Var<'t> {
        let y = self.lin.forward(ctx, x); // [..., 2 * out]
        let last = y.shape().len() - 1;
        let half = self.lin.out_features / 2;
        let parts = y.split(last, &[half, half]); // [..., 2 * out] -> 2 x [..., out]
        parts[0].mul(parts[1].sigmoid())
    }
}

/// Gated residual network: `LayerNorm(skip(a) + GLU(dropout(W_i act(W_a a + W_c c))))`, the skip
/// being `a` or a linear map of it when the output size differs. As in NeuralForecast, the
/// layer norm (eps 1e-3) is left out when the output has one feature.
#[derive(Debug, Clone)]
pub(crate) struct Grn {
    norm: Option<LayerNorm>,
    lin_a: Linear,
    lin_c: Option<Linear>,
    lin_i: Linear,
    glu: Glu,
    out_proj: Option<Linear>,
    dropout: Dropout,
    activation: GrnActivation,
}

/// The sizes of a [`Grn`]: input, hidden, output (`None`: the hidden size, identity skip),
/// whether it takes a context vector of the hidden size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrnSizes {
    pub input: usize,
    pub hidden: usize,
    pub output: Option<usize>,
    pub context: bool,
}

impl Grn {
    /// Creates, in NeuralForecast's order, `{name}.layer_norm.ln`, `lin_a`, `lin_c` (no bias),
    /// `lin_i`, `glu` and `out_proj`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        s: GrnSizes,
        dropout: f32,
        activation: GrnActivation,
        rng: &mut Rng,
    ) -> Self {
        let out = s.output.unwrap_or(s.hidden);
        let norm = (out != 1).then(|| {
            let mut ln = LayerNorm::new(store, &format!("{name}.layer_norm.ln"), out);
            ln.eps = 1e-3;
            ln
        });
        let mut lin = |part: &str, i: usize, o: usize, bias: bool, rng: &mut Rng| {
            Linear::new(store, &format!("{name}.{part}"), i, o, bias, rng)
        };
        let lin_a = lin("lin_a", s.input, s.hidden, true, rng);
        let lin_c = s
            .context
            .then(|| lin("lin_c", s.hidden, s.hidden, false, rng));
        let lin_i = lin("lin_i", s.hidden, s.hidden, true, rng);
        let glu = Glu::new(store, &format!("{name}.glu"), s.hidden, out, rng);
        let out_proj = s
            .output
            .map(|o| Linear::new(store, &format!("{name}.out_proj"), s.input, o, true, rng));
        Grn {
            norm,
            lin_a,
            lin_c,
            lin_i,
            glu,
            out_proj,
            dropout: Dropout { p: dropout },
            activation,
        }
    }

    /// `a` `[B, in]` or `[B, T, in]`, the context `c` `[B, hidden]` (added at every step) ->
    /// `[B, (T,) out]`. A missing context is NeuralForecast's zero context (`W_c 0 = 0`).
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, a: Var<'t>, c: Option<Var<'t>>) -> Var<'t> {
        let mut x = self.lin_a.forward(ctx, a);
        if let (Some(lin_c), Some(c)) = (&self.lin_c, c) {
            let c = lin_c.forward(ctx, c);
            // [B, hidden] -> [B, 1, hidden] beside a sequence
            x = x.add(if a.shape().len() == 3 {
                c.unsqueeze(1)
            } else {
                c
            });
        }
        let x = self.lin_i.forward(ctx, self.activation.apply(x));
        let x = self.dropout.forward(ctx, x);
        let x = self.glu.forward(ctx, x);
        let skip = match &self.out_proj {
            Some(p) => p.forward(ctx, a),
            None => a,
        };
        let x = x.add(skip);
        match &self.norm {
            Some(n) => n.forward(ctx, x),
            None => x,
        }
    }
}

/// Variable selection network: softmax weights over `n` variables from a GRN of their joined
/// embeddings (and a context), applied to each variable's own GRN output.
#[derive(Debug, Clone)]
pub(crate) struct Vsn {
    joint_grn: Grn,
    var_grns: Vec<Grn>,
}

impl Vsn {
    /// `{name}.joint_grn` (`n * hidden -> n`, with a context, no dropout) and
    /// `{name}.var_grns.{i}` (`hidden -> hidden`).
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        (hidden, n): (usize, usize),
        dropout: f32,
        activation: GrnActivation,
        rng: &mut Rng,
    ) -> Self {
        let sizes = GrnSizes {
            input: hidden * n,
            hidden,
            output: Some(n),
            context: true,
        };
        let joint_grn = Grn::new(
            store,
            &format!("{name}.joint_grn"),
            sizes,
            0.0,
            activation,
            rng,
        );
        let var_grns = (0..n)
            .map(|i| {
                let sizes = GrnSizes {
                    input: hidden,
                    hidden,
                    output: None,
                    context: false,
                };
                let name = format!("{name}.var_grns.{i}");
                Grn::new(store, &name, sizes, dropout, activation, rng)
            })
            .collect();
        Vsn {
            joint_grn,
            var_grns,
        }
    }

    /// `vars`: each variable's embedding `[.., hidden]` -> the weighted sum `[.., hidden]` and
    /// the weights `[.., n]`.
    pub fn forward<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        vars: &[Var<'t>],
        context: Option<Var<'t>>,
    ) -> (Var<'t>, Var<'t>) {
        let last = vars[0].shape().len() - 1;
        // n x [.., hidden] -> [.., n * hidden], variable-major as NeuralForecast's reshape
        let joined = Var::concat(vars, last);
        let weights = self.joint_grn.forward(ctx, joined, context).softmax(); // [.., n]
        let each: Vec<Var<'t>> = self
            .var_grns
            .iter()
            .zip(vars)
            .map(|(g, &v)| g.forward(ctx, v, None))
            .collect();
        let stacked = Var::stack(&each, last + 1); // n x [.., hidden] -> [.., hidden, n]
        // [.., hidden, n] * [.., 1, n] summed over n -> [.., hidden]
        let mixed = stacked.mul(weights.unsqueeze(last)).sum(last + 1, false);
        (mixed, weights)
    }
}
