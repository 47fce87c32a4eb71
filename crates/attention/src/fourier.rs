//! FEDformer's frequency-enhanced blocks: learned complex weights on selected Fourier modes.
//!
//! Zhou, Ma, Wen, Wang, Sun, Jin, "FEDformer: Frequency Enhanced Decomposed Transformer for
//! Long-term Series Forecasting", ICML 2022 (arXiv:2201.12740). Complex tensors are pairs of
//! real ones; weights are stored as their real and imaginary parts (NeuralForecast counts one
//! parameter per complex weight, so its parameter counts are lower by one per weight).
//!
//! As in NeuralForecast: the weights are `[8, C/8, C/8, modes]` (eight heads); the self block's
//! output for its `i`-th selected mode lands on frequency `i`, not on the mode's own frequency
//! (the same for the default selection of short inputs, where the modes are `0..modes`); the
//! cross block applies the complex `tanh` to the query-key products and divides by `C²`.

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, ParamId, ParamStore};
use serde::{Deserialize, Serialize};

/// NeuralForecast's `get_frequency_modes`: `min(modes, seq_len / 2)` of the frequencies
/// `0..seq_len / 2`, drawn at random (from `rng`) or the lowest, in increasing order.
pub fn frequency_modes(seq_len: usize, modes: usize, random: bool, rng: &mut Rng) -> Vec<usize> {
    let mut index: Vec<usize> = (0..seq_len / 2).collect();
    if random {
        rng.shuffle(&mut index);
    }
    index.truncate(modes.min(seq_len / 2));
    index.sort_unstable();
    index
}

/// `a · b` of complex pairs, with the tape's `matmul_t` transposes (no conjugation).
fn cmatmul<'t>(
    a: (Var<'t>, Var<'t>),
    b: (Var<'t>, Var<'t>),
    ta: bool,
    tb: bool,
) -> (Var<'t>, Var<'t>) {
    let m = |x: Var<'t>, y: Var<'t>| x.matmul_t(y, ta, tb);
    let re = m(a.0, b.0).sub(m(a.1, b.1));
    let im = m(a.0, b.1).add(m(a.1, b.0));
    (re, im)
}

/// Complex weights `[8, C/8, C/8, M]` as two parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ModeWeights {
    re: ParamId,
    im: ParamId,
}

impl ModeWeights {
    /// `scale * U[0, 1)` in both parts, `scale = 1 / C²`.
    fn new(
        store: &mut ParamStore,
        name: &str,
        channels: usize,
        modes: usize,
        rng: &mut Rng,
    ) -> Self {
        let c = channels / 8;
        let scale = 1.0 / (channels * channels) as f32;
        let shape = [8, c, c, modes];
        // Through `Tensor::uniform`, which checks the size against the tensor budget first.
        let mut part = |suffix: &str, rng: &mut Rng| {
            let w = Tensor::uniform(&shape, 0.0, scale, rng);
            store.add(format!("{name}.weights1.{suffix}"), w)
        };
        let re = part("re", rng);
        let im = part("im", rng);
        ModeWeights { re, im }
    }

    /// `out[b, h, o, m] = Σ_e x[b, h, e, m] w[h, e, o, m]` on `x` `[B, 8, E, M]` pairs.
    fn apply<'t>(&self, ctx: &Ctx<'t>, x: (Var<'t>, Var<'t>)) -> (Var<'t>, Var<'t>) {
        // x: [B, H, E, M] -> [H, M, B, E]; w: [H, E, O, M] -> [H, M, E, O]
        let xp = |v: Var<'t>| v.permute(&[1, 3, 0, 2]);
        let wp = |id: ParamId| ctx.p(id).permute(&[0, 3, 1, 2]);
        let (re, im) = cmatmul((xp(x.0), xp(x.1)), (wp(self.re), wp(self.im)), false, false);
        // [H, M, B, O] -> [B, H, O, M]
        (re.permute(&[2, 0, 3, 1]), im.permute(&[2, 0, 3, 1]))
    }
}

/// FEDformer's `FourierBlock`: the selected modes of the queries, each multiplied by its
/// complex weights, back to time. Keys and values are not read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FourierBlock {
    weights: ModeWeights,
    /// The selected frequencies.
    pub index: Vec<usize>,
}

impl FourierBlock {
    /// Creates `{name}.weights1.re` and `.im` for `channels` (a multiple of 8) and modes
    /// chosen from a sequence of `seq_len`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        channels: usize,
        (seq_len, modes, random): (usize, usize, bool),
        rng: &mut Rng,
    ) -> Self {
        let index = frequency_modes(seq_len, modes, random, rng);
        let weights = ModeWeights::new(store, name, channels, index.len(), rng);
        FourierBlock { weights, index }
    }

    /// `q` `[B, 8, E, L]` -> `[B, 8, E, L]`.
    pub fn forward<'t>(&self, ctx: &Ctx<'t>, q: Var<'t>) -> Var<'t> {
        let l = q.shape()[3];
        let (re, im) = q.rfft(3); // [B, H, E, L/2 + 1]
        let pick = |v: Var<'t>| v.index_select(3, &self.index); // [B, H, E, M]
        let (re, im) = self.weights.apply(ctx, (pick(re), pick(im)));
        // Mode i lands on frequency i; the rest are zero.
        Var::irfft(re, im, l, 3)
    }
}

/// FEDformer's `FourierCrossAttention`: attention between the selected modes of the queries
/// and of the keys in the frequency domain, with the complex `tanh` as its activation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FourierCross {
    weights: ModeWeights,
    /// The queries' selected frequencies.
    pub index_q: Vec<usize>,
    /// The keys' selected frequencies.
    pub index_kv: Vec<usize>,
    channels: usize,
}

impl FourierCross {
    /// Creates `{name}.weights1.re` and `.im`; modes from sequences of `seq_len_q` and
    /// `seq_len_kv`.
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        channels: usize,
        (seq_len_q, seq_len_kv, modes, random): (usize, usize, usize, bool),
        rng: &mut Rng,
    ) -> Self {
        let index_q = frequency_modes(seq_len_q, modes, random, rng);
        let index_kv = frequency_modes(seq_len_kv, modes, random, rng);
        let weights = ModeWeights::new(store, name, channels, index_q.len(), rng);
        FourierCross {
            weights,
            index_q,
            index_kv,
            channels,
        }
    }

    /// `q` `[B, 8, E, L]`, `k` `[B, 8, E, S]` -> `[B, 8, E, L]`.
    pub fn forward<'t>(&self, ctx: &Ctx<'t>, q: Var<'t>, k: Var<'t>) -> Var<'t> {
        let l = q.shape()[3];
        let (qr, qi) = q.rfft(3);
        let (kr, ki) = k.rfft(3);
        let pick = |v: Var<'t>, idx: &[usize]| v.index_select(3, idx);
        let xq = (pick(qr, &self.index_q), pick(qi, &self.index_q)); // [B, H, E, Mq]
        let xk = (pick(kr, &self.index_kv), pick(ki, &self.index_kv)); // [B, H, E, Mk]
        // [B, H, E, Mq]ᵀ · [B, H, E, Mk] -> [B, H, Mq, Mk]
        let (ar, ai) = cmatmul(xq, xk, true, false);
        let a = Var::complex_tanh(ar, ai);
        // [B, H, E, Mk] · [B, H, Mq, Mk]ᵀ -> [B, H, E, Mq]
        let qkv = cmatmul(xk, a, false, true);
        let (re, im) = self.weights.apply(ctx, qkv); // [B, H, O, Mq]
        // Mode i lands on its own frequency, the rest are zero: [B, H, O, Mq] -> [B, H, O, L/2 + 1]
        let bins = l / 2 + 1;
        let mut map = vec![self.index_q.len(); bins]; // frequency -> mode, or the zero column
        for (i, &f) in self.index_q.iter().enumerate() {
            map[f] = i;
        }
        let place = |v: Var<'t>| {
            let s = v.shape();
            let zero = v.constant(Tensor::zeros(&[s[0], s[1], s[2], 1]));
            Var::concat(&[v, zero], 3).index_select(3, &map)
        };
        let scale = 1.0 / (self.channels * self.channels) as f32;
        Var::irfft(
            place(re).mul_scalar(scale),
            place(im).mul_scalar(scale),
            l,
            3,
        )
    }
}
