//! The encoder and decoder layers the family shares (NeuralForecast's `TransEncoderLayer`,
//! `TransEncoder`, `TransDecoderLayer`, `TransDecoder`): post-norm residual blocks of
//! multi-head attention and a position-wise feed-forward network.

use neurodiv_attention::{AttentionOptions, DistilLayer, MultiHeadAttention};
use neurodiv_autodiff::Var;
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, Dropout, LayerNorm, Linear, ParamStore};

/// The attention a model's layers use.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// Flash attention, unmasked, with dropout on the weights.
    Full,
    /// Informer's ProbSparse attention with its sampling `factor` (causal in the decoder's
    /// self-attention, no dropout: NeuralForecast's `ProbAttention` never applies its own).
    ProbSparse { factor: usize },
}

/// Sizes shared by the layers of one model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dims {
    pub hidden: usize,
    pub heads: usize,
    /// Channels of the feed-forward network.
    pub ff: usize,
    pub dropout: f32,
    pub activation: Activation,
    pub kind: Kind,
}

impl Dims {
    /// Options of [`Kind::Full`]: unmasked, with the model's dropout on the weights.
    /// NeuralForecast's `FullAttention` only masks when it is handed a mask, and its models hand
    /// none (not even to the decoder's self-attention), so every full attention is unmasked.
    fn attention(&self) -> AttentionOptions {
        AttentionOptions {
            dropout: self.dropout,
            ..Default::default()
        }
    }

    /// `mha` on queries `q` and keys/values `kv`; `decoder_self` marks the decoder's
    /// self-attention.
    fn attend<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        mha: &MultiHeadAttention,
        q: Var<'t>,
        kv: Var<'t>,
        decoder_self: bool,
    ) -> Var<'t> {
        match self.kind {
            Kind::Full => mha.forward(ctx, q, kv, kv, self.attention()),
            Kind::ProbSparse { factor } => mha.forward_prob(ctx, q, kv, kv, (factor, decoder_self)),
        }
    }

    fn mha(&self, store: &mut ParamStore, name: &str, rng: &mut Rng) -> MultiHeadAttention {
        let per_head = self.hidden / self.heads;
        MultiHeadAttention::new(
            store,
            name,
            self.hidden,
            self.heads,
            (per_head, per_head),
            rng,
        )
    }
}

/// `dropout(conv2(dropout(act(conv1(x)))))` with kernel-1 convolutions, i.e. linear maps of the
/// last axis (the same parameter count and initialisation as PyTorch's `Conv1d(.., 1)`).
#[derive(Debug, Clone)]
pub(crate) struct FeedForward {
    conv1: Linear,
    conv2: Linear,
}

impl FeedForward {
    /// Creates `{name}.conv1` and `{name}.conv2`, with biases unless `bias` is false.
    pub fn new(store: &mut ParamStore, name: &str, dims: Dims, bias: bool, rng: &mut Rng) -> Self {
        FeedForward {
            conv1: Linear::new(
                store,
                &format!("{name}.conv1"),
                dims.hidden,
                dims.ff,
                bias,
                rng,
            ),
            conv2: Linear::new(
                store,
                &format!("{name}.conv2"),
                dims.ff,
                dims.hidden,
                bias,
                rng,
            ),
        }
    }

    /// `[B, T, H] -> [B, T, H]`
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, dims: Dims, x: Var<'t>) -> Var<'t> {
        let drop = Dropout { p: dims.dropout };
        let y = dims.activation.apply(self.conv1.forward(ctx, x)); // [B, T, H] -> [B, T, ff]
        let y = drop.forward(ctx, y);
        let y = self.conv2.forward(ctx, y); // [B, T, ff] -> [B, T, H]
        drop.forward(ctx, y)
    }
}

/// Self-attention and feed-forward, each added to its input and layer-normalised.
#[derive(Debug, Clone)]
pub(crate) struct EncoderLayer {
    attention: MultiHeadAttention,
    ff: FeedForward,
    norm1: LayerNorm,
    norm2: LayerNorm,
}

impl EncoderLayer {
    pub fn new(store: &mut ParamStore, name: &str, dims: Dims, rng: &mut Rng) -> Self {
        EncoderLayer {
            attention: dims.mha(store, &format!("{name}.attention"), rng),
            ff: FeedForward::new(store, name, dims, true, rng),
            norm1: LayerNorm::new(store, &format!("{name}.norm1"), dims.hidden),
            norm2: LayerNorm::new(store, &format!("{name}.norm2"), dims.hidden),
        }
    }

    /// `[B, T, H] -> [B, T, H]`
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, dims: Dims, x: Var<'t>) -> Var<'t> {
        let a = dims.attend(ctx, &self.attention, x, x, false);
        let x = x.add(Dropout { p: dims.dropout }.forward(ctx, a));
        let x = self.norm1.forward(ctx, x);
        let y = self.ff.forward(ctx, dims, x);
        self.norm2.forward(ctx, x.add(y))
    }
}

/// A stack of [`EncoderLayer`]s, with a distilling layer after each but the last when
/// distilling (Informer), and a final layer norm.
#[derive(Debug, Clone)]
pub(crate) struct Encoder {
    layers: Vec<EncoderLayer>,
    distil: Vec<DistilLayer>,
    norm: LayerNorm,
}

impl Encoder {
    /// Creates `{name}.attn_layers.{i}.*`, `{name}.conv_layers.{i}.*` (with `distil`) and
    /// `{name}.norm.*`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        (n, distil): (usize, bool),
        dims: Dims,
        rng: &mut Rng,
    ) -> Self {
        let layers = (0..n)
            .map(|i| EncoderLayer::new(store, &format!("{name}.attn_layers.{i}"), dims, rng))
            .collect();
        let convs = if distil { n - 1 } else { 0 };
        let distil = (0..convs)
            .map(|i| DistilLayer::new(store, &format!("{name}.conv_layers.{i}"), dims.hidden, rng))
            .collect();
        let norm = LayerNorm::new(store, &format!("{name}.norm"), dims.hidden);
        Encoder {
            layers,
            distil,
            norm,
        }
    }

    /// `[B, T, H] -> [B, T', H]` (`T' = T` without distilling).
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, dims: Dims, mut x: Var<'t>) -> Var<'t> {
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(ctx, dims, x);
            if let Some(d) = self.distil.get(i) {
                x = d.forward(ctx, x); // [B, T, H] -> [B, (T + 1) / 2 + 1, H]
            }
        }
        self.norm.forward(ctx, x)
    }
}

/// Self-attention, cross-attention to the encoder's output, and feed-forward, each added to
/// its input and layer-normalised.
#[derive(Debug, Clone)]
struct DecoderLayer {
    self_attention: MultiHeadAttention,
    cross_attention: MultiHeadAttention,
    ff: FeedForward,
    norms: [LayerNorm; 3],
}

impl DecoderLayer {
    fn new(store: &mut ParamStore, name: &str, dims: Dims, rng: &mut Rng) -> Self {
        DecoderLayer {
            self_attention: dims.mha(store, &format!("{name}.self_attention"), rng),
            cross_attention: dims.mha(store, &format!("{name}.cross_attention"), rng),
            ff: FeedForward::new(store, name, dims, true, rng),
            norms: [1, 2, 3]
                .map(|i| LayerNorm::new(store, &format!("{name}.norm{i}"), dims.hidden)),
        }
    }

    /// `x` `[B, T, H]`, `cross` `[B, S, H]` -> `[B, T, H]`
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, dims: Dims, x: Var<'t>, cross: Var<'t>) -> Var<'t> {
        let drop = Dropout { p: dims.dropout };
        let a = dims.attend(ctx, &self.self_attention, x, x, true);
        let x = x.add(drop.forward(ctx, a));
        let x = self.norms[0].forward(ctx, x);
        let a = dims.attend(ctx, &self.cross_attention, x, cross, false);
        let x = x.add(drop.forward(ctx, a));
        let x = self.norms[1].forward(ctx, x);
        let y = self.ff.forward(ctx, dims, x);
        self.norms[2].forward(ctx, x.add(y))
    }
}

/// A stack of [`DecoderLayer`]s, a final layer norm and a linear projection.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    layers: Vec<DecoderLayer>,
    norm: LayerNorm,
    projection: Linear,
}

impl Decoder {
    /// Creates `{name}.layers.{i}.*`, `{name}.norm.*` and `{name}.projection.*` (to `out`).
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        n: usize,
        out: usize,
        dims: Dims,
        rng: &mut Rng,
    ) -> Self {
        let layers = (0..n)
            .map(|i| DecoderLayer::new(store, &format!("{name}.layers.{i}"), dims, rng))
            .collect();
        let norm = LayerNorm::new(store, &format!("{name}.norm"), dims.hidden);
        let projection = Linear::new(
            store,
            &format!("{name}.projection"),
            dims.hidden,
            out,
            true,
            rng,
        );
        Decoder {
            layers,
            norm,
            projection,
        }
    }

    /// `x` `[B, T, H]`, `cross` `[B, S, H]` -> `[B, T, out]`
    pub fn forward<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        dims: Dims,
        mut x: Var<'t>,
        cross: Var<'t>,
    ) -> Var<'t> {
        for layer in &self.layers {
            x = layer.forward(ctx, dims, x, cross);
        }
        let x = self.norm.forward(ctx, x);
        self.projection.forward(ctx, x)
    }
}
