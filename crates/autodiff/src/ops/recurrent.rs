//! Fused recurrent sequence ops: the tanh RNN, the LSTM (with PyTorch's optional projection)
//! and the GRU over a whole sequence, each recorded as ONE tape node with its own
//! backward-through-time.
//!
//! Semantics, gate order and weight layouts are PyTorch's (`torch.nn.RNN/LSTM/GRU` with
//! `batch_first=True`, one layer, one direction):
//! - tanh RNN: `h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)`;
//! - LSTM, gate rows `i, f, g, o`: `c_t = f*c_{t-1} + i*g`, `h_t = o*tanh(c_t)`, then, with a
//!   projection `W_hr [P, H]`, `h_t = (o*tanh(c_t)) W_hrᵀ`;
//! - GRU, gate rows `r, z, n`: `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z` alike,
//!   `n = tanh(W_in x + b_in + r*(W_hn h + b_hn))`, `h_t = (1-z)*n + z*h_{t-1}`.
//!
//! The forward makes one GEMM for the input projection of every step (`[B*T, I] x [I, G*H]`) and
//! one per step for the recurrence, with the gate math on contiguous rows through the kernels
//! crate's vectorised sigmoid/tanh. When a gradient is wanted it keeps the activated gates (and
//! the LSTM's cell states) of every step; the backward walks the steps in reverse with one GEMM
//! per step for `dh_{t-1}`, and then computes `dW_ih`, `dW_hh`, `dW_hr` and `dx` with one GEMM
//! each over the gate gradients of all steps. Every GEMM is the project's (thread-count
//! independent) and the loops are serial, so results do not depend on the number of threads.

mod backward;
mod cells;

pub use cells::{CellScratch, CellWeights, cell_step};

use crate::{Tensor, Var};
use backward::{Saved, Steps};
use cells::{StepBufs, advance, project};
use neurodiv_kernels::PackedB;
use rayon::prelude::*;

/// The recurrent cell of a fused op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cell {
    /// The Elman RNN with tanh (`torch.nn.RNN`, `nonlinearity='tanh'`): 1 gate.
    Rnn,
    /// `torch.nn.LSTM`: 4 gates `i, f, g, o`.
    Lstm,
    /// `torch.nn.GRU`: 3 gates `r, z, n`.
    Gru,
}

impl Cell {
    /// `G`, the number of gate blocks of `H` rows in `w_ih` and `w_hh`.
    pub fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }
}

/// The parameters of one recurrent layer, on the tape, in PyTorch's layouts (see
/// [`CellWeights`] for the shapes). `w_hr` is the LSTM's projection and must be `None` for the
/// other cells.
#[derive(Debug, Clone, Copy)]
pub struct RecurrentParams<'t> {
    /// `[G*H, I]`
    pub w_ih: Var<'t>,
    /// `[G*H, Hout]`
    pub w_hh: Var<'t>,
    /// `[G*H]`
    pub b_ih: Option<Var<'t>>,
    /// `[G*H]`
    pub b_hh: Option<Var<'t>>,
    /// `[P, H]` (LSTM only)
    pub w_hr: Option<Var<'t>>,
}

impl<'t> RecurrentParams<'t> {
    /// Weights without biases or projection.
    pub fn new(w_ih: Var<'t>, w_hh: Var<'t>) -> Self {
        RecurrentParams {
            w_ih,
            w_hh,
            b_ih: None,
            b_hh: None,
            w_hr: None,
        }
    }

    /// With the two biases.
    pub fn with_bias(mut self, b_ih: Var<'t>, b_hh: Var<'t>) -> Self {
        self.b_ih = Some(b_ih);
        self.b_hh = Some(b_hh);
        self
    }

    /// With the LSTM projection `w_hr [P, H]`.
    pub fn with_projection(mut self, w_hr: Var<'t>) -> Self {
        self.w_hr = Some(w_hr);
        self
    }
}

/// Sizes of one fused call.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dims {
    cell: Cell,
    b: usize,
    t: usize,
    i: usize,
    h: usize,
    hout: usize,
    gh: usize,
}

impl<'t> Var<'t> {
    /// The tanh RNN over a sequence: `self` is `x [B, T, I]`, `h0 [B, H]`; returns the outputs
    /// `[B, T, H]` (the last step is the final hidden state). See the [module docs](self).
    ///
    /// # Panics
    /// When the shapes do not fit (naming them), `T == 0`, or `p.w_hr` is set.
    pub fn rnn_tanh(self, p: &RecurrentParams<'t>, h0: Var<'t>) -> Var<'t> {
        self.recurrent(Cell::Rnn, p, h0, None, false).0
    }

    /// The LSTM over a sequence: `self` is `x [B, T, I]`, `h0 [B, Hout]`, `c0 [B, H]`, where
    /// `Hout` is `P` with a projection and `H` without. Returns the outputs `[B, T, Hout]` (the
    /// last step is the final hidden state) and the final cell state `c_T [B, H]` as a plain
    /// tensor (no gradient flows through it).
    ///
    /// # Panics
    /// When the shapes do not fit (naming them) or `T == 0`.
    pub fn lstm(self, p: &RecurrentParams<'t>, h0: Var<'t>, c0: Var<'t>) -> (Var<'t>, Tensor) {
        let (y, c) = self.recurrent(Cell::Lstm, p, h0, Some(c0), false);
        (y, c.expect("the LSTM returns its cell state"))
    }

    /// [`lstm`](Self::lstm) whose final cell state `c_T [B, H]` is on the tape too, so that a
    /// gradient reaching it flows back through time (an encoder handing its state to a
    /// decoder, as `nn.LSTM(x, (h0, c0))` chains do). The op records one node holding the
    /// outputs and `c_T` one after the other; the two results are slices of it.
    ///
    /// # Panics
    /// As [`lstm`](Self::lstm).
    pub fn lstm_with_cell(
        self,
        p: &RecurrentParams<'t>,
        h0: Var<'t>,
        c0: Var<'t>,
    ) -> (Var<'t>, Var<'t>) {
        let (both, _) = self.recurrent(Cell::Lstm, p, h0, Some(c0), true);
        let (b, t, hout) = (self.shape()[0], self.shape()[1], h0.shape()[1]);
        let h = c0.shape()[1];
        let ny = b * t * hout;
        let y = both.slice(0, 0, ny).reshape(&[b, t, hout]); // [B*T*Hout + B*H] -> [B, T, Hout]
        let c = both.slice(0, ny, ny + b * h).reshape(&[b, h]); // [.. + B*H] -> [B, H]
        (y, c)
    }

    /// The GRU over a sequence: `self` is `x [B, T, I]`, `h0 [B, H]`; returns the outputs
    /// `[B, T, H]` (the last step is the final hidden state).
    ///
    /// # Panics
    /// When the shapes do not fit (naming them), `T == 0`, or `p.w_hr` is set.
    pub fn gru(self, p: &RecurrentParams<'t>, h0: Var<'t>) -> Var<'t> {
        self.recurrent(Cell::Gru, p, h0, None, false).0
    }

    /// The op. With `cell_out` (LSTM), the recorded value is the outputs and the final cell
    /// state flattened one after the other, `[B*T*Hout + B*H]`, and the gradient of both flows.
    fn recurrent(
        self,
        cell: Cell,
        p: &RecurrentParams<'t>,
        h0: Var<'t>,
        c0: Option<Var<'t>>,
        cell_out: bool,
    ) -> (Var<'t>, Option<Tensor>) {
        let tape = self.tape;
        let x = self.value();
        let (w_ih, w_hh) = (p.w_ih.value(), p.w_hh.value());
        let (b_ih, b_hh) = (p.b_ih.map(|v| v.value()), p.b_hh.map(|v| v.value()));
        let w_hr = p.w_hr.map(|v| v.value());
        let (h0v, c0v) = (h0.value(), c0.map(|v| v.value()));
        let d = dims(cell, &x, &w_ih, &w_hh, w_hr.as_ref(), &h0v, c0v.as_ref());
        let sh = |t: &Tensor| t.shape().to_vec();
        let name = format!("{cell:?}");
        assert!(
            b_ih.as_ref().is_none_or(|b| b.shape() == [d.gh]),
            "{name}: b_ih {:?} does not fit w_ih {:?}",
            b_ih.as_ref().map(sh),
            w_ih.shape()
        );
        assert!(
            b_hh.as_ref().is_none_or(|b| b.shape() == [d.gh]),
            "{name}: b_hh {:?} does not fit w_hh {:?}",
            b_hh.as_ref().map(sh),
            w_hh.shape()
        );

        // Parents: x, w_ih, w_hh, [b_ih], [b_hh], [w_hr], h0, [c0].
        let mut parents = vec![self, p.w_ih, p.w_hh];
        parents.extend(p.b_ih);
        parents.extend(p.b_hh);
        parents.extend(p.w_hr);
        parents.push(h0);
        parents.extend(c0);
        let save = tape.grad_enabled() && parents.iter().any(|v| v.requires_grad());
        let w = CellWeights {
            cell,
            input_size: d.i,
            hidden_size: d.h,
            w_ih: w_ih.data(),
            w_hh: w_hh.data(),
            b_ih: b_ih.as_ref().map(|t| t.data()),
            b_hh: b_hh.as_ref().map(|t| t.data()),
            w_hr: w_hr.as_ref().map(|t| t.data()),
        };
        // The batch rows run in parallel, each block through the whole sequence; a row's bits
        // do not depend on its block (the per-row GEMMs and the gate math are row-local).
        let blocks = batch_blocks(d.b);
        // The training path packs W_hhᵀ [Hout, G*H] once for every step of every block.
        let w_hh_t = tape
            .grad_enabled()
            .then(|| PackedB::new(d.hout, d.gh, w.w_hh, 1, d.hout));
        let fwds: Vec<Forward> = blocks
            .par_iter()
            .map(|&(b0, bc)| {
                let dc = Dims { b: bc, ..d };
                let x = &x.data()[b0 * d.t * d.i..][..bc * d.t * d.i];
                let h0 = &h0v.data()[b0 * d.hout..][..bc * d.hout];
                let c0 = c0v.as_ref().map(|c| &c.data()[b0 * d.h..][..bc * d.h]);
                forward(&w, &dc, w_hh_t.as_ref(), save, x, h0, c0)
            })
            .collect();
        let y = Tensor::from_vec(&[d.b, d.t, d.hout], concat(fwds.iter().map(|f| &f.y[..])));
        let c_last = c0v
            .as_ref()
            .map(|_| Tensor::from_vec(&[d.b, d.h], concat(fwds.iter().map(|f| &f.c[..]))));
        let hts = concat(fwds.iter().map(|f| &f.hts[..]));
        let steps = blocks
            .iter()
            .zip(fwds)
            .map(|(&(b0, bc), f)| Steps {
                d: Dims { b: bc, ..d },
                h0: h0v.data()[b0 * d.hout..][..bc * d.hout].to_vec(),
                c0: c0v
                    .as_ref()
                    .map(|c| c.data()[b0 * d.h..][..bc * d.h].to_vec()),
                y: f.y,
                acts: f.acts,
                hp: f.hp,
                cs: f.cs,
                tcs: f.tcs,
            })
            .collect();
        let saved = Saved {
            d,
            x,
            w_ih,
            w_hh,
            w_hr,
            h0: h0v,
            y: y.clone(),
            hts,
            blocks: steps,
        };
        let flags = [
            p.b_ih.is_some(),
            p.b_hh.is_some(),
            p.w_hr.is_some(),
            c0.is_some(),
        ];
        let ny = y.numel();
        let value = match (&c_last, cell_out) {
            (Some(c), true) => {
                let both = concat([y.data(), c.data()].into_iter());
                Tensor::from_vec(&[both.len()], both)
            }
            _ => y,
        };
        let out = tape.record(value, &parents, move |g, needs| {
            let (gy, gc) = g.data().split_at(ny);
            saved.backward(gy, (!gc.is_empty()).then_some(gc), needs, flags)
        });
        (out, c_last)
    }
}

/// Checks the shapes of a call and returns its sizes.
fn dims(
    cell: Cell,
    x: &Tensor,
    w_ih: &Tensor,
    w_hh: &Tensor,
    w_hr: Option<&Tensor>,
    h0: &Tensor,
    c0: Option<&Tensor>,
) -> Dims {
    let name = format!("{cell:?}");
    let (sx, si, sh) = (x.shape(), w_ih.shape(), w_hh.shape());
    assert!(
        sx.len() == 3 && si.len() == 2 && si[1] == sx[2] && si[0] % cell.gates() == 0,
        "{name}: input {sx:?} does not fit w_ih {si:?} (needs x [B, T, I], w_ih [{}*H, I])",
        cell.gates()
    );
    assert!(sx[1] > 0, "{name}: empty sequence {sx:?}");
    assert!(si[0] > 0, "{name}: hidden size 0 (w_ih {si:?})");
    let (b, t, i, gh) = (sx[0], sx[1], sx[2], si[0]);
    let h = gh / cell.gates();
    let hout = match w_hr {
        Some(w) => {
            assert!(
                cell == Cell::Lstm,
                "{name}: a projection (w_hr) is only defined for the LSTM"
            );
            assert!(
                w.ndim() == 2 && w.shape()[1] == h,
                "{name}: w_hr {:?} does not fit hidden size {h} (needs [P, H])",
                w.shape()
            );
            w.shape()[0]
        }
        None => h,
    };
    assert_eq!(
        sh,
        [gh, hout],
        "{name}: w_hh {sh:?} does not fit w_ih {si:?} (needs [G*H, Hout] = [{gh}, {hout}])"
    );
    assert_eq!(
        h0.shape(),
        [b, hout],
        "{name}: h0 {:?} does not fit x {sx:?} (needs [B, Hout] = [{b}, {hout}])",
        h0.shape()
    );
    match (cell, c0) {
        (Cell::Lstm, Some(c0)) => assert_eq!(
            c0.shape(),
            [b, h],
            "{name}: c0 {:?} does not fit (needs [B, H] = [{b}, {h}])",
            c0.shape()
        ),
        (Cell::Lstm, None) => panic!("{name}: needs c0"),
        (_, Some(_)) => panic!("{name}: has no cell state"),
        (_, None) => {}
    }
    Dims {
        cell,
        b,
        t,
        i,
        h,
        hout,
        gh,
    }
}

/// What the forward produces: outputs, final cell state, and (when saving) per-step values.
struct Forward {
    /// `[B, T, Hout]`
    y: Vec<f32>,
    /// `[B, H]` (LSTM)
    c: Vec<f32>,
    /// `[T, B, G*H]` activated gates.
    acts: Vec<f32>,
    /// `[T, B, G*H]` (GRU): `h W_hhᵀ + b_hh` (its n part is what the backward reads).
    hp: Vec<f32>,
    /// `[T, B, H]` (LSTM): `c_t`.
    cs: Vec<f32>,
    /// `[T, B, H]` (LSTM): `tanh(c_t)`.
    tcs: Vec<f32>,
    /// `[B, T, H]` (LSTM with projection): `o*tanh(c_t)` in x's row order.
    hts: Vec<f32>,
}

/// The parts one after the other.
pub(super) fn concat<'a>(parts: impl Iterator<Item = &'a [f32]> + Clone) -> Vec<f32> {
    let mut out = Vec::with_capacity(parts.clone().map(<[f32]>::len).sum());
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// Blocks of batch rows `(first, rows)` run in parallel: one per thread, in multiples of 8 rows.
fn batch_blocks(b: usize) -> Vec<(usize, usize)> {
    let per = b
        .div_ceil(rayon::current_num_threads().max(1))
        .next_multiple_of(8)
        .max(8);
    (0..b)
        .step_by(per)
        .map(|b0| (b0, per.min(b - b0)))
        .collect()
}

/// Runs the sequence of `d.b` batch rows: on the training path (`w_hh_t`, the packed `W_hhᵀ`,
/// given) with the training GEMMs, else with the inference ones. With `save`, every step writes
/// into its own slot of the saved buffers; without, all steps share one slot.
fn forward(
    w: &CellWeights<'_>,
    d: &Dims,
    w_hh_t: Option<&PackedB>,
    save: bool,
    x: &[f32],
    h0: &[f32],
    c0: Option<&[f32]>,
) -> Forward {
    let Dims {
        cell,
        b,
        t: steps,
        i,
        h,
        hout,
        gh,
    } = *d;
    let slots = if save { steps } else { 1 };
    let lstm = cell == Cell::Lstm;
    let proj = w.w_hr.is_some();
    let grad = w_hh_t.is_some();
    // One GEMM for the input projection of every step: rows in x's order (b*T + t).
    let mut xp = vec![0.0; b * steps * gh];
    project(grad, b * steps, gh, i, x, w.w_ih, w.b_ih, &mut xp);

    let mut hstate = h0.to_vec();
    let mut c = c0.map(|c| c.to_vec()).unwrap_or_default();
    let mut y = vec![0.0; b * steps * hout];
    let mut xp_t = vec![0.0; b * gh];
    let mut acts = vec![0.0; slots * b * gh];
    let hp_slots = if cell == Cell::Gru { slots } else { 1 };
    let mut hp = vec![0.0; hp_slots * b * gh];
    let mut cs = vec![0.0; if lstm && save { steps * b * h } else { 0 }];
    let mut tcs = vec![0.0; if lstm { slots * b * h } else { 0 }];
    let mut ht = vec![0.0; if proj { b * h } else { 0 }];
    let mut hts = vec![0.0; if proj && save { b * steps * h } else { 0 }];
    for t in 0..steps {
        for (bi, row) in xp_t.chunks_exact_mut(gh).enumerate() {
            row.copy_from_slice(&xp[(bi * steps + t) * gh..][..gh]);
        }
        let s = if save { t } else { 0 };
        let hs = if cell == Cell::Gru { s } else { 0 };
        let bufs = StepBufs {
            hp: &mut hp[hs * b * gh..][..b * gh],
            acts: &mut acts[s * b * gh..][..b * gh],
            tc: if lstm {
                &mut tcs[s * b * h..][..b * h]
            } else {
                &mut []
            },
            ht: &mut ht,
            w_hh_t,
        };
        let c_state = lstm.then_some(c.as_mut_slice());
        advance(w, grad, b, &xp_t, &mut hstate, c_state, bufs);
        for (bi, row) in hstate.chunks_exact(hout).enumerate() {
            y[(bi * steps + t) * hout..][..hout].copy_from_slice(row);
        }
        if lstm && save {
            cs[t * b * h..][..b * h].copy_from_slice(&c);
        }
        if proj && save {
            for (bi, row) in ht.chunks_exact(h).enumerate() {
                hts[(bi * steps + t) * h..][..h].copy_from_slice(row);
            }
        }
    }
    if !save {
        // Nothing to keep for a backward.
        acts = Vec::new();
        hp = Vec::new();
        tcs = Vec::new();
    }
    Forward {
        y,
        c,
        acts,
        hp,
        cs,
        tcs,
        hts,
    }
}
