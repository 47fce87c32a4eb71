//! Multi-layer recurrent networks (tanh RNN, LSTM, GRU), like `torch.nn.RNN/LSTM/GRU` with
//! `batch_first=True` and one direction, on the fused sequence ops of `neurodiv-autodiff`
//! (one tape node per layer).

use crate::{Ctx, ParamId, ParamStore, init};
use neurodiv_autodiff::ops::{Cell, CellScratch, CellWeights, RecurrentParams, cell_step};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::Rng;
use serde::{Deserialize, Serialize};

/// The cell of a [`Recurrent`] stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellKind {
    /// The Elman RNN with tanh (`torch.nn.RNN`).
    Rnn,
    /// `torch.nn.LSTM` (gates i, f, g, o; optional projection).
    Lstm,
    /// `torch.nn.GRU` (gates r, z, n).
    Gru,
}

impl CellKind {
    /// The autodiff cell.
    fn cell(self) -> Cell {
        match self {
            CellKind::Rnn => Cell::Rnn,
            CellKind::Lstm => Cell::Lstm,
            CellKind::Gru => Cell::Gru,
        }
    }
}

/// The parameters of one layer of a [`Recurrent`] stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecurrentLayer {
    /// `weight_ih_l{k}`: `[G*H, in]`, `in` being the input size for layer 0 and the output size
    /// of the layer below otherwise.
    pub weight_ih: ParamId,
    /// `weight_hh_l{k}`: `[G*H, Hout]`.
    pub weight_hh: ParamId,
    /// `bias_ih_l{k}`: `[G*H]`.
    pub bias_ih: Option<ParamId>,
    /// `bias_hh_l{k}`: `[G*H]`.
    pub bias_hh: Option<ParamId>,
    /// `weight_hr_l{k}`: `[P, H]` (LSTM with projection).
    pub weight_hr: Option<ParamId>,
}

impl RecurrentLayer {
    /// The layer's parameters on the tape.
    fn params<'t>(&self, ctx: &Ctx<'t>) -> RecurrentParams<'t> {
        let mut p = RecurrentParams::new(ctx.p(self.weight_ih), ctx.p(self.weight_hh));
        p.b_ih = self.bias_ih.map(|id| ctx.p(id));
        p.b_hh = self.bias_hh.map(|id| ctx.p(id));
        p.w_hr = self.weight_hr.map(|id| ctx.p(id));
        p
    }
}

/// A stack of recurrent layers like `torch.nn.RNN/LSTM/GRU(batch_first=True)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recurrent {
    /// The cell.
    pub kind: CellKind,
    /// The parameters of each layer, bottom first.
    pub layers: Vec<RecurrentLayer>,
    /// Features of each input step.
    pub input_size: usize,
    /// `H`, the hidden (and LSTM cell) size.
    pub hidden_size: usize,
    /// `P`, the LSTM projection of every layer's hidden state.
    pub proj_size: Option<usize>,
    /// Number of layers.
    pub num_layers: usize,
    /// Dropout probability on the outputs of every layer but the last (training only).
    pub dropout: f32,
}

/// Reusable buffers of [`Recurrent::step`].
#[derive(Debug, Default)]
pub struct StepScratch {
    cell: CellScratch,
}

impl Recurrent {
    /// Multi-layer stack like `torch.nn.RNN/LSTM/GRU(batch_first=True)`. Creates, for each layer
    /// `k` in PyTorch's order, `{name}.weight_ih_l{k}`, `{name}.weight_hh_l{k}`,
    /// `{name}.bias_ih_l{k}`, `{name}.bias_hh_l{k}` (with `bias`) and `{name}.weight_hr_l{k}`
    /// (LSTM with `proj_size`), each drawn from `U(-1/sqrt(H), 1/sqrt(H))` like PyTorch
    /// ([`init::rnn_default`]). Layers after the first take the previous layer's output size
    /// (`proj_size` when set).
    ///
    /// # Panics
    /// On arguments PyTorch rejects too (validate user configs before): a zero size or layer
    /// count, `dropout` outside `[0, 1]`, a projection for another cell than the LSTM, or a
    /// `proj_size` of 0 or not below `hidden_size`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        kind: CellKind,
        input_size: usize,
        hidden_size: usize,
        num_layers: usize,
        bias: bool,
        dropout: f32,
        proj_size: Option<usize>,
        rng: &mut Rng,
    ) -> Self {
        assert!(
            input_size > 0 && hidden_size > 0 && num_layers > 0,
            "Recurrent {name}: input_size {input_size}, hidden_size {hidden_size} and \
             num_layers {num_layers} must be positive"
        );
        assert!(
            (0.0..=1.0).contains(&dropout),
            "Recurrent {name}: dropout {dropout} is not in [0, 1]"
        );
        if let Some(p) = proj_size {
            assert!(
                kind == CellKind::Lstm,
                "Recurrent {name}: proj_size is only supported by the LSTM"
            );
            assert!(
                p > 0 && p < hidden_size,
                "Recurrent {name}: proj_size {p} must be in 1..hidden_size ({hidden_size})"
            );
        }
        let gh = kind.cell().gates() * hidden_size;
        let hout = proj_size.unwrap_or(hidden_size);
        let layers = (0..num_layers)
            .map(|k| {
                let inp = if k == 0 { input_size } else { hout };
                let mut add = |what: &str, shape: &[usize]| {
                    store.add(
                        format!("{name}.{what}_l{k}"),
                        init::rnn_default(shape, hidden_size, rng),
                    )
                };
                let weight_ih = add("weight_ih", &[gh, inp]);
                let weight_hh = add("weight_hh", &[gh, hout]);
                let bias_ih = bias.then(|| add("bias_ih", &[gh]));
                let bias_hh = bias.then(|| add("bias_hh", &[gh]));
                let weight_hr = proj_size.map(|p| add("weight_hr", &[p, hidden_size]));
                RecurrentLayer {
                    weight_ih,
                    weight_hh,
                    bias_ih,
                    bias_hh,
                    weight_hr,
                }
            })
            .collect();
        Recurrent {
            kind,
            layers,
            input_size,
            hidden_size,
            proj_size,
            num_layers,
            dropout,
        }
    }

    /// Size of each output step (`proj_size` or `hidden_size`).
    pub fn output_size(&self) -> usize {
        self.proj_size.unwrap_or(self.hidden_size)
    }

    /// Tensors of the state per layer: 2 for the LSTM (`h`, `c`), 1 otherwise (`h`).
    fn per_layer(&self) -> usize {
        if self.kind == CellKind::Lstm { 2 } else { 1 }
    }

    /// The zero state for a batch of `batch` sequences, in the layout of [`forward`] and
    /// [`step`]: per layer `h [B, Hout]` then, for the LSTM, `c [B, H]`.
    ///
    /// [`forward`]: Self::forward
    /// [`step`]: Self::step
    pub fn zero_state(&self, batch: usize) -> Vec<Tensor> {
        (0..self.num_layers)
            .flat_map(|_| {
                let h = Tensor::zeros(&[batch, self.output_size()]);
                let c = (self.kind == CellKind::Lstm)
                    .then(|| Tensor::zeros(&[batch, self.hidden_size]));
                std::iter::once(h).chain(c)
            })
            .collect()
    }

    /// Panics unless `state` has the layout of [`zero_state`](Self::zero_state)`(batch)`
    /// (without allocating: [`step`](Self::step) calls it).
    fn check_state(&self, state: &[Tensor], batch: usize) {
        let per = self.per_layer();
        assert_eq!(
            state.len(),
            self.num_layers * per,
            "Recurrent: state has {} tensors, needs {} ({} layers of {:?})",
            state.len(),
            self.num_layers * per,
            self.num_layers,
            self.kind
        );
        for (k, s) in state.iter().enumerate() {
            let cols = if k % per == 0 {
                self.output_size()
            } else {
                self.hidden_size
            };
            assert!(
                s.shape() == [batch, cols],
                "Recurrent: state tensor {k} is {:?}, needs [{batch}, {cols}]",
                s.shape()
            );
        }
    }

    /// `x [B, T, I]` -> the outputs of the last layer `[B, T, Hout]`, and the state after the
    /// last step: per layer `h [B, Hout]` then, for the LSTM, `c [B, H]` (plain tensors; no
    /// gradient flows through them). `state` = `None` starts from zeros; a state given is taken
    /// as constant. Dropout (PyTorch's semantics: on the outputs of every layer but the last,
    /// in training only, drawing from `ctx.rng`) between layers.
    ///
    /// # Panics
    /// When `x` is not `[B, T, input_size]` with `T > 0` or `state` does not have the layout
    /// above.
    pub fn forward<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        x: Var<'t>,
        state: Option<&[Tensor]>,
    ) -> (Var<'t>, Vec<Tensor>) {
        let shape = x.shape();
        assert!(
            shape.len() == 3 && shape[2] == self.input_size,
            "Recurrent: input {shape:?} is not [B, T, {}]",
            self.input_size
        );
        let (b, t) = (shape[0], shape[1]);
        let zeros;
        let state = match state {
            Some(s) => {
                self.check_state(s, b);
                s
            }
            None => {
                zeros = self.zero_state(b);
                &zeros
            }
        };
        let (per, hout) = (self.per_layer(), self.output_size());
        let mut out = x;
        let mut last = Vec::with_capacity(state.len());
        for (k, layer) in self.layers.iter().enumerate() {
            let p = layer.params(ctx);
            let h0 = ctx.constant(state[k * per].clone());
            let (y, c) = match self.kind {
                CellKind::Rnn => (out.rnn_tanh(&p, h0), None),
                CellKind::Gru => (out.gru(&p, h0), None),
                CellKind::Lstm => {
                    let c0 = ctx.constant(state[k * per + 1].clone());
                    let (y, c) = out.lstm(&p, h0, c0);
                    (y, Some(c))
                }
            };
            last.push(last_step(&y.value(), b, t, hout));
            last.extend(c);
            out = if k + 1 < self.num_layers {
                y.dropout(self.dropout, &mut ctx.rng)
            } else {
                y
            };
        }
        (out, last)
    }

    /// [`forward`](Self::forward) with the states on the tape: `state` (the layout of
    /// [`zero_state`](Self::zero_state), as variables) may depend on parameters, and the
    /// returned final state carries gradients back through time, so an encoder's state can
    /// start a decoder (`dec(y, enc(x, (h0, c0))[1])` in PyTorch). `None` starts from zeros.
    /// Same values as [`forward`](Self::forward).
    ///
    /// # Panics
    /// As [`forward`](Self::forward).
    pub fn forward_with_state<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        x: Var<'t>,
        state: Option<&[Var<'t>]>,
    ) -> (Var<'t>, Vec<Var<'t>>) {
        let shape = x.shape();
        assert!(
            shape.len() == 3 && shape[2] == self.input_size,
            "Recurrent: input {shape:?} is not [B, T, {}]",
            self.input_size
        );
        let (b, t) = (shape[0], shape[1]);
        let state: Vec<Var<'t>> = match state {
            Some(s) => {
                let values: Vec<Tensor> = s.iter().map(|v| v.value()).collect();
                self.check_state(&values, b);
                s.to_vec()
            }
            None => self
                .zero_state(b)
                .into_iter()
                .map(|z| ctx.constant(z))
                .collect(),
        };
        let (per, hout) = (self.per_layer(), self.output_size());
        let mut out = x;
        let mut last = Vec::with_capacity(state.len());
        for (k, layer) in self.layers.iter().enumerate() {
            let p = layer.params(ctx);
            let h0 = state[k * per];
            let (y, c) = match self.kind {
                CellKind::Rnn => (out.rnn_tanh(&p, h0), None),
                CellKind::Gru => (out.gru(&p, h0), None),
                CellKind::Lstm => {
                    let (y, c) = out.lstm_with_cell(&p, h0, state[k * per + 1]);
                    (y, Some(c))
                }
            };
            last.push(y.slice(1, t - 1, t).reshape(&[b, hout])); // [B, T, Hout] -> [B, Hout]
            last.extend(c);
            out = if k + 1 < self.num_layers {
                y.dropout(self.dropout, &mut ctx.rng)
            } else {
                y
            };
        }
        (out, last)
    }

    /// The weights of layer `k` as slices.
    fn weights<'a>(&self, store: &'a ParamStore, k: usize) -> CellWeights<'a> {
        let layer = &self.layers[k];
        let get = |id: ParamId| store.get(id).data();
        CellWeights {
            cell: self.kind.cell(),
            input_size: if k == 0 {
                self.input_size
            } else {
                self.output_size()
            },
            hidden_size: self.hidden_size,
            w_ih: get(layer.weight_ih),
            w_hh: get(layer.weight_hh),
            b_ih: layer.bias_ih.map(get),
            b_hh: layer.bias_hh.map(get),
            w_hr: layer.weight_hr.map(get),
        }
    }

    /// One time step for inference, straight on tensors without a tape: `x [B, I]` is the
    /// layer-0 input; `state` (the layout of [`forward`](Self::forward)) is updated in place,
    /// `out [B, Hout]` receives the last layer's output. `scratch` grows once and is then
    /// reused: repeated calls with the same `B` allocate nothing (when the state tensors do not
    /// share their data). No dropout. Gives the same bits as a no-grad
    /// [`forward`](Self::forward) over the same sequence (the same kernels in the same order).
    ///
    /// # Panics
    /// When `x.len()` is not a multiple of `input_size`, or `state` or `out` do not fit.
    pub fn step(
        &self,
        store: &ParamStore,
        x: &[f32],
        state: &mut [Tensor],
        out: &mut [f32],
        scratch: &mut StepScratch,
    ) {
        assert_eq!(
            x.len() % self.input_size,
            0,
            "Recurrent::step: x has {} values, not a multiple of input_size {}",
            x.len(),
            self.input_size
        );
        let b = x.len() / self.input_size;
        self.check_state(state, b);
        let (per, hout) = (self.per_layer(), self.output_size());
        assert_eq!(
            out.len(),
            b * hout,
            "Recurrent::step: out needs [{b}, {hout}]"
        );
        for k in 0..self.num_layers {
            let w = self.weights(store, k);
            let (below, here) = state.split_at_mut(k * per);
            let input = if k == 0 {
                x
            } else {
                below[(k - 1) * per].data()
            };
            let (h, c) = here.split_at_mut(1);
            let c = (per == 2).then(|| c[0].data_mut());
            cell_step(&w, b, input, h[0].data_mut(), c, &mut scratch.cell);
        }
        out.copy_from_slice(state[(self.num_layers - 1) * per].data());
    }
}

/// The last step `[B, H]` of a `[B, T, H]` tensor.
fn last_step(y: &Tensor, b: usize, t: usize, h: usize) -> Tensor {
    let d = y.data();
    let v = (0..b)
        .flat_map(|i| d[(i * t + t - 1) * h..][..h].iter().copied())
        .collect();
    Tensor::from_vec(&[b, h], v)
}
