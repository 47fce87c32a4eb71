//! Linear layers, activations and the multi-layer perceptron.

use crate::{Ctx, ParamId, ParamStore, init};
use neurodiv_autodiff::Var;
use neurodiv_kernels::Rng;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Activation functions, named as NeuralForecast names them (`"ReLU"`, `"Softplus"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// `max(x, 0)`
    ReLU,
    /// `ln(1 + e^x)`
    Softplus,
    /// `tanh(x)`
    Tanh,
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// Exact GELU.
    GELU,
    /// Leaky ReLU with slope 0.01 (PyTorch's default).
    LeakyReLU,
    /// `x * sigmoid(x)`
    SiLU,
    /// The identity.
    Identity,
}

impl Activation {
    /// Applies the activation.
    pub fn apply<'t>(self, x: Var<'t>) -> Var<'t> {
        match self {
            Activation::ReLU => x.relu(),
            Activation::Softplus => x.softplus(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::GELU => x.gelu(),
            Activation::LeakyReLU => x.leaky_relu(0.01),
            Activation::SiLU => x.silu(),
            Activation::Identity => x,
        }
    }

    /// Every accepted name.
    pub const NAMES: &'static [&'static str] = &[
        "ReLU",
        "Softplus",
        "Tanh",
        "Sigmoid",
        "GELU",
        "LeakyReLU",
        "SiLU",
        "Identity",
    ];
}

impl FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "relu" => Activation::ReLU,
            "softplus" => Activation::Softplus,
            "tanh" => Activation::Tanh,
            "sigmoid" => Activation::Sigmoid,
            "gelu" => Activation::GELU,
            "leakyrelu" | "leaky_relu" => Activation::LeakyReLU,
            "silu" | "swish" => Activation::SiLU,
            "identity" | "none" => Activation::Identity,
            _ => {
                return Err(format!(
                    "unknown activation {s:?}; expected one of {}",
                    Self::NAMES.join(", ")
                ));
            }
        })
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// A fully connected layer `y = x Wᵀ + b` with PyTorch's layout (`weight` is `[out, in]`) and
/// PyTorch's default initialisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Linear {
    /// `[out, in]`
    pub weight: ParamId,
    /// `[out]`
    pub bias: Option<ParamId>,
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
}

impl Linear {
    /// Creates `{name}.weight` (and `{name}.bias`) in `store`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        in_features: usize,
        out_features: usize,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let weight = store.add(
            format!("{name}.weight"),
            init::torch_default(&[out_features, in_features], in_features, rng),
        );
        let bias = bias.then(|| {
            store.add(
                format!("{name}.bias"),
                init::torch_default(&[out_features], in_features, rng),
            )
        });
        Linear {
            weight,
            bias,
            in_features,
            out_features,
        }
    }

    /// `[..., in] -> [..., out]`
    pub fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> Var<'t> {
        x.linear(ctx.p(self.weight), self.bias.map(|b| ctx.p(b)))
    }
}

/// A stack of linear layers with an activation (and dropout) after each hidden layer.
/// `sizes = [in, h1, ..., out]`; the last layer has no activation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mlp {
    /// The layers in order.
    pub layers: Vec<Linear>,
    /// Activation after every layer but the last.
    pub activation: Activation,
    /// Dropout probability after every hidden activation.
    pub dropout: f32,
}

impl Mlp {
    /// Creates layers `{name}.0`, `{name}.1`, ... with the given sizes.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        sizes: &[usize],
        activation: Activation,
        dropout: f32,
        rng: &mut Rng,
    ) -> Self {
        assert!(
            sizes.len() >= 2,
            "Mlp needs at least input and output sizes, got {sizes:?}"
        );
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| Linear::new(store, &format!("{name}.{i}"), w[0], w[1], true, rng))
            .collect();
        Mlp {
            layers,
            activation,
            dropout,
        }
    }

    /// NeuralForecast's MLP decoder (`neuralforecast.common._modules.MLP`, no dropout): `layers`
    /// linear layers in all, the output layer included, from `input` to `output` features; the
    /// hidden ones have `hidden` units and are followed by `activation`.
    #[allow(clippy::too_many_arguments)]
    pub fn decoder(
        store: &mut ParamStore,
        name: &str,
        input: usize,
        hidden: usize,
        layers: usize,
        output: usize,
        activation: Activation,
        rng: &mut Rng,
    ) -> Self {
        // [input, hidden x (layers - 1), output]
        let mut sizes = vec![input];
        sizes.extend(std::iter::repeat_n(hidden, layers.max(1) - 1));
        sizes.push(output);
        Mlp::new(store, name, &sizes, activation, 0.0, rng)
    }

    /// `[..., in] -> [..., out]`
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, mut x: Var<'t>) -> Var<'t> {
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(ctx, x);
            if i < last {
                x = self.activation.apply(x);
                if self.dropout > 0.0 {
                    x = x.dropout(self.dropout, &mut ctx.rng);
                }
            }
        }
        x
    }
}

/// NeuralForecast's decoder of TCN and DilatedRNN: a linear "context adapter" over time maps the
/// encoder's `input_size` steps to the `h` horizon steps, each horizon step gets the future
/// exogenous values of its point, and the MLP decoder maps every step to the loss's outputs.
/// Creates `context_adapter` and `mlp_decoder` (in that order).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HorizonDecoder {
    /// `[h, input_size]` over time.
    pub context_adapter: Linear,
    /// Per horizon step, `H + F` features to the outputs.
    pub decoder: Mlp,
}

impl HorizonDecoder {
    /// `steps` is `(input_size, h)`, `features` the encoder's channels plus the future
    /// exogenous columns, `decoder` the MLP decoder's `(hidden units, layers, activation)`.
    pub fn new(
        store: &mut ParamStore,
        (input_size, h): (usize, usize),
        features: usize,
        (hidden, layers, activation): (usize, usize, Activation),
        outputs: usize,
        rng: &mut Rng,
    ) -> Self {
        let context_adapter = Linear::new(store, "context_adapter", input_size, h, true, rng);
        let decoder = Mlp::decoder(
            store,
            "mlp_decoder",
            features,
            hidden,
            layers,
            outputs,
            activation,
            rng,
        );
        HorizonDecoder {
            context_adapter,
            decoder,
        }
    }

    /// The encoder's output `x` `[B, H, L]` and the future columns of the horizon `[B, h, F]`
    /// -> `[B, h, m]`.
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>, futr: Option<Var<'t>>) -> Var<'t> {
        let context = self.context_adapter.forward(ctx, x).transpose(1, 2); // [B, H, L] -> [B, H, h] -> [B, h, H]
        let z = match futr {
            Some(f) => Var::concat(&[context, f], 2), // [B, h, H] + [B, h, F] -> [B, h, H + F]
            None => context,
        };
        self.decoder.forward(ctx, z) // [B, h, H + F] -> [B, h, m]
    }
}
