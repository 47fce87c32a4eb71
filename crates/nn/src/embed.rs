//! The input embedding of the convolutional and transformer families (NeuralForecast's
//! `DataEmbedding`): a circular convolution of the values, sinusoidal positions, and a linear
//! map of the future exogenous columns.

use crate::{Conv1d, Ctx, Dropout, Linear, ParamStore, init};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::Rng;
use serde::{Deserialize, Serialize};

/// The sinusoidal position table `[len, dim]` of "Attention Is All You Need":
/// `pe[p, 2i] = sin(p / 10000^(2i/dim))`, `pe[p, 2i+1] = cos(p / 10000^(2i/dim))`.
pub fn positional_table(len: usize, dim: usize) -> Tensor {
    let mut pe = vec![0.0f32; len * dim];
    for p in 0..len {
        for i in (0..dim).step_by(2) {
            let div = (-(i as f64) * (10000f64.ln() / dim as f64)).exp();
            let a = p as f64 * div;
            pe[p * dim + i] = a.sin() as f32;
            if i + 1 < dim {
                pe[p * dim + i + 1] = a.cos() as f32;
            }
        }
    }
    Tensor::from_vec(&[len, dim], pe)
}

/// NeuralForecast's `DataEmbedding`: `dropout(token(x) + position + temporal(x_mark))`, where the
/// token embedding is a kernel-3 convolution with circular padding and no bias (initialised
/// kaiming-normal, fan-in), the position term is [`positional_table`] (when enabled) and the
/// temporal term a linear map without bias of the future exogenous columns (when there are any).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataEmbedding {
    /// The value convolution `[hidden, c_in, 3]`.
    pub token: Conv1d,
    /// The exogenous map, when there are exogenous columns.
    pub temporal: Option<Linear>,
    /// Whether positions are added.
    pub positions: bool,
    /// Dropout after the sum.
    pub dropout: Dropout,
}

impl DataEmbedding {
    /// Creates `{name}.value_embedding.tokenConv.weight` and, with `exog > 0`,
    /// `{name}.temporal_embedding.embed.weight`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        (c_in, exog, hidden): (usize, usize, usize),
        positions: bool,
        dropout: f32,
        rng: &mut Rng,
    ) -> Self {
        // kaiming_normal_(mode="fan_in", nonlinearity="leaky_relu"): N(0, 2 / (c_in * 3)).
        let weight = store.add(
            format!("{name}.value_embedding.tokenConv.weight"),
            init::kaiming_normal(&[hidden, c_in, 3], c_in * 3, rng),
        );
        // Circular padding is added in `forward`.
        let token = Conv1d {
            weight,
            bias: None,
            padding: (0, 0),
            dilation: 1,
            stride: 1,
            groups: 1,
        };
        let temporal = (exog > 0).then(|| {
            Linear::new(
                store,
                &format!("{name}.temporal_embedding.embed"),
                exog,
                hidden,
                false,
                rng,
            )
        });
        DataEmbedding {
            token,
            temporal,
            positions,
            dropout: Dropout { p: dropout },
        }
    }

    /// `x` `[B, L, c_in]` and the exogenous columns `x_mark` `[B, L, exog]` -> `[B, L, hidden]`.
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>, x_mark: Option<Var<'t>>) -> Var<'t> {
        let (b, l, c) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        // The convolution as a product with the windows, which keeps time before channels.
        // Circular padding by one: [B, L, C] -> [B, L + 2, C]
        let x = Var::concat(&[x.slice(1, l - 1, l), x, x.slice(1, 0, 1)], 1);
        // Windows of three steps: -> [B, L, C, 3] -> [B, L, C * 3]
        let windows = x.unfold(1, 3, 1).reshape(&[b, l, c * 3]);
        let w = ctx.p(self.token.weight);
        let hidden = w.shape()[0];
        let w = w.reshape(&[hidden, c * 3]); // [H, C, 3] -> [H, C * 3]
        let mut e = windows.linear(w, None); // [B, L, H]
        if self.positions {
            let dim = e.shape()[2];
            e = e.add(ctx.constant(positional_table(l, dim))); // + [L, H]
        }
        if let (Some(t), Some(m)) = (&self.temporal, x_mark) {
            e = e.add(t.forward(ctx, m)); // + [B, L, H]
        }
        self.dropout.forward(ctx, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodiv_autodiff::Tape;

    #[test]
    fn the_value_convolution_wraps_around_and_positions_are_sinusoids() {
        let mut store = ParamStore::new();
        let mut rng = Rng::new(1);
        let emb = DataEmbedding::new(&mut store, "e", (1, 0, 1), false, 0.0, &mut rng);
        assert_eq!(store.names(), ["e.value_embedding.tokenConv.weight"]);
        // Taps [1, 0, 0]: output t is input t - 1, and output 0 wraps to the last input.
        store.tensors_mut()[0] = Tensor::from_vec(&[1, 1, 3], vec![1.0, 0.0, 0.0]);
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
        let x = ctx.constant(Tensor::from_vec(&[1, 3, 1], vec![1.0, 2.0, 3.0]));
        let y = emb.forward(&mut ctx, x, None).value();
        assert_eq!(y.data(), [3.0, 1.0, 2.0]);

        let pe = positional_table(3, 4);
        let want = [
            0.0,
            1.0,
            0.0,
            1.0,
            1f32.sin(),
            1f32.cos(),
            0.01f32.sin(),
            0.01f32.cos(),
        ];
        for (a, b) in pe.data()[..8].iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}
