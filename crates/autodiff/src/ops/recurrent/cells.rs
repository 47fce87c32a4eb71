//! The arithmetic of one time step of each cell, on plain slices, shared by the fused forward
//! ([`Var::rnn_tanh`](crate::Var::rnn_tanh) and siblings) and the tape-free [`cell_step`].
//!
//! Both paths go through [`advance`] with the same kernels in the same order, so stepping through
//! a sequence with [`cell_step`] reproduces a no-grad forward bit for bit.

use super::Cell;
use neurodiv_kernels::elementwise as ew;
use neurodiv_kernels::{PackedB, Trans, dot_gemm_nt, gemm_packed, gemm_serial};

/// The weights of one recurrent layer as plain row-major slices (PyTorch's layouts), for
/// [`cell_step`].
///
/// With `G` gates (1 for [`Cell::Rnn`], 4 for [`Cell::Lstm`], 3 for [`Cell::Gru`]), hidden size
/// `H`, input size `I` and output size `Hout` (`P` with an LSTM projection, else `H`):
/// `w_ih` is `[G*H, I]`, `w_hh` is `[G*H, Hout]`, the biases are `[G*H]`, and `w_hr` (LSTM only)
/// is `[P, H]`.
#[derive(Debug, Clone, Copy)]
pub struct CellWeights<'a> {
    /// The cell.
    pub cell: Cell,
    /// `I`, the features of one input step.
    pub input_size: usize,
    /// `H`, the hidden (and cell) size.
    pub hidden_size: usize,
    /// `[G*H, I]`
    pub w_ih: &'a [f32],
    /// `[G*H, Hout]`
    pub w_hh: &'a [f32],
    /// `[G*H]`
    pub b_ih: Option<&'a [f32]>,
    /// `[G*H]`
    pub b_hh: Option<&'a [f32]>,
    /// `[P, H]`: the LSTM projection (PyTorch's `proj_size`).
    pub w_hr: Option<&'a [f32]>,
}

impl CellWeights<'_> {
    /// `Hout`: the size of the hidden state and of each output step (`P` with a projection).
    pub fn output_size(&self) -> usize {
        match self.w_hr {
            Some(w) if self.hidden_size > 0 => w.len() / self.hidden_size,
            _ => self.hidden_size,
        }
    }

    /// `G*H`: the rows of `w_ih` and `w_hh`.
    pub fn gate_size(&self) -> usize {
        self.cell.gates() * self.hidden_size
    }

    /// Panics, naming the mismatch, when the slices do not have the documented lengths.
    pub(super) fn check(&self) {
        let (gh, i, hout) = (self.gate_size(), self.input_size, self.output_size());
        let check = |what: &str, got: usize, want: usize| {
            assert_eq!(
                got, want,
                "recurrent cell: {what} has {got} values, needs {want} ({:?}, I={i}, H={}, Hout={hout})",
                self.cell, self.hidden_size
            );
        };
        check("w_ih", self.w_ih.len(), gh * i);
        check("w_hh", self.w_hh.len(), gh * hout);
        if let Some(b) = self.b_ih {
            check("b_ih", b.len(), gh);
        }
        if let Some(b) = self.b_hh {
            check("b_hh", b.len(), gh);
        }
        if let Some(w) = self.w_hr {
            assert!(
                self.cell == Cell::Lstm,
                "recurrent cell: a projection (w_hr) is only defined for the LSTM"
            );
            check("w_hr", w.len(), hout * self.hidden_size);
        }
    }
}

/// Reusable buffers of [`cell_step`]: grown on the first call, reused afterwards (the same batch
/// size allocates nothing).
#[derive(Debug, Default, Clone)]
pub struct CellScratch {
    xp: Vec<f32>,
    hp: Vec<f32>,
    acts: Vec<f32>,
    tc: Vec<f32>,
    ht: Vec<f32>,
}

/// One time step of a recurrent layer without a tape: `x [B, I]` is the step's input, `h
/// [B, Hout]` (and, for the LSTM, `c [B, H]`) the state, updated in place. The arithmetic is that
/// of the fused ops on a no-grad tape, kernel for kernel, so a sequence stepped through here
/// gives the same bits as the fused op's outputs.
///
/// # Panics
/// When a length does not match the weights, or `c` is missing (LSTM) or given (other cells).
pub fn cell_step(
    w: &CellWeights<'_>,
    batch: usize,
    x: &[f32],
    h: &mut [f32],
    c: Option<&mut [f32]>,
    scratch: &mut CellScratch,
) {
    w.check();
    let (gh, hs, hout) = (w.gate_size(), w.hidden_size, w.output_size());
    assert_eq!(x.len(), batch * w.input_size, "cell_step: x length");
    assert_eq!(h.len(), batch * hout, "cell_step: h length");
    let CellScratch {
        xp,
        hp,
        acts,
        tc,
        ht,
    } = scratch;
    xp.resize(batch * gh, 0.0);
    hp.resize(batch * gh, 0.0);
    acts.resize(batch * gh, 0.0);
    let lstm = w.cell == Cell::Lstm;
    tc.resize(if lstm { batch * hs } else { 0 }, 0.0);
    ht.resize(if w.w_hr.is_some() { batch * hs } else { 0 }, 0.0);
    project(false, batch, gh, w.input_size, x, w.w_ih, w.b_ih, xp);
    let bufs = StepBufs {
        hp,
        acts,
        tc,
        ht,
        w_hh_t: None,
    };
    advance(w, false, batch, xp, h, c, bufs);
}

/// `y[rows, out] = x[rows, inp] · w[out, inp]ᵀ (+ bias)`: the project's GEMM when `grad` (the
/// training path, like `linear`; on the calling thread, as the sequence runs in parallel over
/// batch rows), else [`dot_gemm_nt`], whose rows' bits do not depend on the number of rows (a
/// step of one window equals that window inside a batch).
#[allow(clippy::too_many_arguments)]
pub(super) fn project(
    grad: bool,
    rows: usize,
    out: usize,
    inp: usize,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
) {
    let y = &mut y[..rows * out];
    let beta = fill_bias(y, out, bias);
    if grad {
        gemm_serial(Trans::N, Trans::T, rows, out, inp, 1.0, x, w, beta, y);
    } else {
        dot_gemm_nt(rows, out, inp, x, w, beta, y);
    }
}

/// Writes `bias` into every row of `y` (rows of `out`) and returns the `beta` that adds the
/// product to it (1), or 0 without a bias.
fn fill_bias(y: &mut [f32], out: usize, bias: Option<&[f32]>) -> f32 {
    match bias {
        Some(b) => {
            for r in y.chunks_exact_mut(out) {
                r.copy_from_slice(b);
            }
            1.0
        }
        None => 0.0,
    }
}

/// Per-step buffers of [`advance`]; in the fused forward they are the step's slots of what the
/// backward keeps.
pub(super) struct StepBufs<'a> {
    /// `[B, G*H]`: receives `h W_hhᵀ + b_hh`, then (RNN/LSTM; GRU: the r, z part) the gate
    /// pre-activations. The GRU's n part keeps `h W_hnᵀ + b_hn`, which its backward needs.
    pub hp: &'a mut [f32],
    /// `[B, G*H]`: the activated gates (RNN: the new `h`; LSTM: i, f, g, o; GRU: r, z, n).
    pub acts: &'a mut [f32],
    /// `[B, H]` (LSTM): `tanh(c_t)`.
    pub tc: &'a mut [f32],
    /// `[B, H]` (LSTM with projection): `o * tanh(c_t)` before the projection.
    pub ht: &'a mut [f32],
    /// `W_hhᵀ` `[Hout, G*H]` packed once, on the training path: the recurrence through
    /// [`gemm_packed`] instead of packing `W_hh` at every step.
    pub w_hh_t: Option<&'a PackedB>,
}

/// Advances the state by one step given the input projection `xp [B, G*H]` of the step
/// (`x W_ihᵀ + b_ih`): `h [B, Hout]` and `c [B, H]` (LSTM) are updated in place.
pub(super) fn advance(
    w: &CellWeights<'_>,
    grad: bool,
    batch: usize,
    xp: &[f32],
    h: &mut [f32],
    c: Option<&mut [f32]>,
    s: StepBufs<'_>,
) {
    let (hs, gh, hout) = (w.hidden_size, w.gate_size(), w.output_size());
    let (xp, hp, acts) = (&xp[..batch * gh], &mut s.hp[..batch * gh], s.acts);
    match s.w_hh_t {
        Some(w_hh_t) => {
            let beta = fill_bias(hp, gh, w.b_hh);
            gemm_packed(batch, h, w_hh_t, beta, hp);
        }
        None => project(grad, batch, gh, hout, h, w.w_hh, w.b_hh, hp),
    }
    match w.cell {
        Cell::Rnn => {
            assert!(c.is_none(), "tanh RNN: no cell state");
            ew::axpy(1.0, xp, hp);
            ew::tanh(hp, &mut acts[..batch * hs]);
            h.copy_from_slice(&acts[..batch * hs]);
        }
        Cell::Lstm => {
            let c = c.expect("LSTM: needs the cell state");
            ew::axpy(1.0, xp, hp);
            for (p, a) in hp.chunks_exact(gh).zip(acts.chunks_exact_mut(gh)) {
                ew::sigmoid(&p[..2 * hs], &mut a[..2 * hs]);
                ew::tanh(&p[2 * hs..3 * hs], &mut a[2 * hs..3 * hs]);
                ew::sigmoid(&p[3 * hs..], &mut a[3 * hs..]);
            }
            for (a, c) in acts.chunks_exact(gh).zip(c.chunks_exact_mut(hs)) {
                let (i, f, g) = (&a[..hs], &a[hs..2 * hs], &a[2 * hs..3 * hs]);
                for j in 0..hs {
                    c[j] = f[j] * c[j] + i[j] * g[j];
                }
            }
            let tc = &mut s.tc[..batch * hs];
            ew::tanh(c, tc);
            let ht: &mut [f32] = if w.w_hr.is_some() {
                &mut s.ht[..batch * hs]
            } else {
                &mut *h
            };
            for ((a, tc), ht) in acts
                .chunks_exact(gh)
                .zip(tc.chunks_exact(hs))
                .zip(ht.chunks_exact_mut(hs))
            {
                let o = &a[3 * hs..];
                for j in 0..hs {
                    ht[j] = o[j] * tc[j];
                }
            }
            if let Some(w_hr) = w.w_hr {
                project(grad, batch, hout, hs, &s.ht[..batch * hs], w_hr, None, h);
            }
        }
        Cell::Gru => {
            assert!(c.is_none(), "GRU: no cell state");
            for (((x, p), a), h) in xp
                .chunks_exact(gh)
                .zip(hp.chunks_exact_mut(gh))
                .zip(acts.chunks_exact_mut(gh))
                .zip(h.chunks_exact_mut(hs))
            {
                let (p_rz, p_n) = p.split_at_mut(2 * hs);
                ew::axpy(1.0, &x[..2 * hs], p_rz);
                let (a_rz, a_n) = a.split_at_mut(2 * hs);
                ew::sigmoid(p_rz, a_rz);
                let (r, z) = a_rz.split_at(hs);
                // The r pre-activation is no longer needed: its room holds n's pre-activation
                // (tanh cannot write over its own input).
                let pre_n = &mut p_rz[..hs];
                let x_n = &x[2 * hs..];
                for j in 0..hs {
                    pre_n[j] = x_n[j] + r[j] * p_n[j];
                }
                ew::tanh(pre_n, a_n);
                for j in 0..hs {
                    h[j] = (1.0 - z[j]) * a_n[j] + z[j] * h[j];
                }
            }
        }
    }
}
