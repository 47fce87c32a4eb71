//! Backward-through-time of the fused recurrent ops.
//!
//! The steps are walked in reverse: the gradient reaching `h_t` (from the output and from step
//! `t+1`) gives the gate gradients of step `t` from the saved activations, and one GEMM per step
//! carries it to `h_{t-1}`. The gate gradients of every step are stacked in x's row order
//! (`b*T + t`), so the weight, bias and input gradients are one GEMM (or column sum) each at the
//! end.

use super::{Cell, Dims, concat};
use crate::Tensor;
use crate::ops::matmul::column_sums;
use neurodiv_kernels::elementwise as ew;
use neurodiv_kernels::{PackedB, Trans, gemm, gemm_packed};
use rayon::prelude::*;

/// What the forward kept for the backward.
pub(super) struct Saved {
    pub d: Dims,
    pub x: Tensor,
    pub w_ih: Tensor,
    pub w_hh: Tensor,
    pub w_hr: Option<Tensor>,
    pub h0: Tensor,
    /// `[B, T, Hout]` outputs (the hidden states).
    pub y: Tensor,
    /// `[B, T, H]` (LSTM with projection): `o*tanh(c_t)`.
    pub hts: Vec<f32>,
    /// The per-step values of each block of batch rows, in row order.
    pub blocks: Vec<Steps>,
}

/// What the forward kept of one block of batch rows (`d.b` of them), which walks back through
/// time on its own.
pub(super) struct Steps {
    pub d: Dims,
    /// `[b, Hout]`, `[b, H]` (LSTM): the block's initial state.
    pub h0: Vec<f32>,
    pub c0: Option<Vec<f32>>,
    /// `[b, T, Hout]` the block's outputs.
    pub y: Vec<f32>,
    /// `[T, b, G*H]` activated gates.
    pub acts: Vec<f32>,
    /// `[T, b, G*H]` (GRU): `h W_hhᵀ + b_hh`.
    pub hp: Vec<f32>,
    /// `[T, b, H]` (LSTM): `c_t`.
    pub cs: Vec<f32>,
    /// `[T, b, H]` (LSTM): `tanh(c_t)`.
    pub tcs: Vec<f32>,
}

/// `C[m,n] = A[m,k] · B[k,n]` (or `Aᵀ` when `ta`; A stored `[k,m]`).
fn mm(ta: bool, m: usize, n: usize, k: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    let ta = if ta { Trans::T } else { Trans::N };
    gemm(ta, Trans::N, m, n, k, 1.0, a, b, 0.0, &mut c);
    c
}

impl Saved {
    /// The gradients of the parents in the order the op recorded them: `x, w_ih, w_hh,
    /// [b_ih], [b_hh], [w_hr], h0, [c0]`, where `has = [b_ih, b_hh, w_hr, c0]` tells which
    /// optional ones are present. `gc` is the gradient of the final cell state `[B, H]` when
    /// the op put it on the tape (LSTM).
    pub fn backward(
        &self,
        gy: &[f32],
        gc: Option<&[f32]>,
        needs: &[bool],
        has: [bool; 4],
    ) -> Vec<Option<Tensor>> {
        let Dims {
            cell,
            b,
            t: steps,
            i,
            h,
            hout,
            gh,
        } = self.d;
        let rows = b * steps;
        // Positions of the optional parents.
        let mut at = 3;
        let mut slot = |present: bool| {
            present.then(|| {
                at += 1;
                at - 1
            })
        };
        let (pb_ih, pb_hh, pw_hr) = (slot(has[0]), slot(has[1]), slot(has[2]));
        let ph0 = slot(true).expect("present");
        let pc0 = slot(has[3]);
        let need = |p: Option<usize>| p.is_some_and(|p| needs[p]);

        // Each block of rows walks back in parallel; their gate gradients, stacked in x's row
        // order, are the blocks' in turn.
        // W_hh [G*H, Hout] and W_hr [P, H] packed once for every step of every block.
        let w_hh = PackedB::new(gh, hout, self.w_hh.data(), hout, 1);
        let w_hr = self
            .w_hr
            .as_ref()
            .map(|w| PackedB::new(hout, h, w.data(), h, 1));
        let need_h0 = need(Some(ph0));
        // Each block's first batch row.
        let mut row0 = 0;
        let starts: Vec<(usize, &Steps)> = self
            .blocks
            .iter()
            .map(|block| {
                row0 += block.d.b;
                (row0 - block.d.b, block)
            })
            .collect();
        let per_block: Vec<Walk> = starts
            .par_iter()
            .map(|&(row0, block)| {
                let gy = &gy[row0 * steps * hout..][..block.d.b * steps * hout];
                let gc = gc.map(|g| &g[row0 * h..][..block.d.b * h]);
                block.through_time(&w_hh, w_hr.as_ref(), gy, gc, need_h0)
            })
            .collect();
        let cat = |k: fn(&Walk) -> &Vec<f32>| concat(per_block.iter().map(|w| &k(w)[..]));
        let (dxp, dhp, dhtot) = (cat(|w| &w.0), cat(|w| &w.1), cat(|w| &w.2));
        let (dh0, dc0) = (cat(|w| &w.3), cat(|w| &w.4));
        // For the RNN and the LSTM the two sides of the gate gradient are the same.
        let dhp = if cell == Cell::Gru { &dhp } else { &dxp };

        let mut grads: Vec<Option<Tensor>> = vec![None; needs.len()];
        if needs[0] {
            // dx = dXP · W_ih: [B*T, G*H] x [G*H, I]
            let v = mm(false, rows, i, gh, &dxp, self.w_ih.data());
            grads[0] = Some(Tensor::from_vec(&[b, steps, i], v));
        }
        if needs[1] {
            // dW_ih = dXPᵀ · x: [G*H, B*T] x [B*T, I]
            let v = mm(true, gh, i, rows, &dxp, self.x.data());
            grads[1] = Some(Tensor::from_vec(&[gh, i], v));
        }
        if needs[2] {
            // dW_hh = dHPᵀ · H_prev, H_prev[b, t] = h_{t-1} (h0 at t = 0), in x's row order.
            let (y, h0) = (self.y.data(), self.h0.data());
            let mut hprev = vec![0.0; rows * hout];
            for (r, row) in hprev.chunks_exact_mut(hout).enumerate() {
                let (bi, t) = (r / steps, r % steps);
                row.copy_from_slice(if t == 0 {
                    &h0[bi * hout..][..hout]
                } else {
                    &y[(r - 1) * hout..][..hout]
                });
            }
            let v = mm(true, gh, hout, rows, dhp, &hprev);
            grads[2] = Some(Tensor::from_vec(&[gh, hout], v));
        }
        if let Some(p) = pb_ih.filter(|&p| needs[p]) {
            grads[p] = Some(Tensor::from_vec(&[gh], column_sums(&dxp, gh)));
        }
        if let Some(p) = pb_hh.filter(|&p| needs[p]) {
            grads[p] = Some(Tensor::from_vec(&[gh], column_sums(dhp, gh)));
        }
        if let Some(p) = pw_hr.filter(|&p| needs[p]) {
            // dW_hr = dHtotᵀ · H̃: [P, B*T] x [B*T, H]
            let v = mm(true, hout, h, rows, &dhtot, &self.hts);
            grads[p] = Some(Tensor::from_vec(&[hout, h], v));
        }
        if needs[ph0] {
            grads[ph0] = Some(Tensor::from_vec(&[b, hout], dh0));
        }
        if let Some(p) = pc0.filter(|&p| needs[p]) {
            grads[p] = Some(Tensor::from_vec(&[b, h], dc0));
        }
        grads
    }
}

/// What one block's reverse walk gives: `dXP`, `dHP`, `dHtot`, `dh0`, `dc0` (see
/// [`Steps::through_time`]).
type Walk = (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>);

impl Steps {
    /// The reverse walk. Returns the stacked gate gradients `[B*T, G*H]` of the input side
    /// (`dXP`) and, for the GRU, of the recurrent side (`dHP`, empty otherwise), the stacked
    /// gradients reaching each `h_t` (`[B*T, P]`, with a projection only), and the gradients of
    /// `h0` and `c0` (empty for the RNN and the GRU's `c0`). `gc` (LSTM) is the gradient
    /// reaching the final cell state from outside the op.
    fn through_time(
        &self,
        w_hh: &PackedB,
        w_hr: Option<&PackedB>,
        gy: &[f32],
        gc: Option<&[f32]>,
        need_h0: bool,
    ) -> Walk {
        let Dims {
            cell,
            b,
            t: steps,
            h,
            hout,
            gh,
            ..
        } = self.d;
        let rows = b * steps;
        let proj = w_hr.is_some();
        let gru = cell == Cell::Gru;
        let mut dxp = vec![0.0; rows * gh];
        let mut dhp = vec![0.0; if gru { rows * gh } else { 0 }];
        let mut dhtot = vec![0.0; if proj { rows * hout } else { 0 }];
        let mut dh = vec![0.0; b * hout]; // gradient reaching h_t
        let mut dc = match gc {
            Some(g) if cell == Cell::Lstm => g.to_vec(),
            _ => vec![0.0; if cell == Cell::Lstm { b * h } else { 0 }],
        };
        let mut dg = vec![0.0; b * gh]; // this step's gate gradients (input side)
        let mut dgh = vec![0.0; if gru { b * gh } else { 0 }]; // recurrent side (GRU)
        let mut dht = vec![0.0; if proj { b * h } else { 0 }];
        let mut direct = vec![0.0; if gru { b * h } else { 0 }];
        for t in (0..steps).rev() {
            for (bi, row) in dh.chunks_exact_mut(hout).enumerate() {
                ew::axpy(1.0, &gy[(bi * steps + t) * hout..][..hout], row);
            }
            let acts = &self.acts[t * b * gh..][..b * gh];
            match cell {
                Cell::Rnn => ew::tanh_backward(acts, &dh, &mut dg),
                Cell::Lstm => {
                    let dhtilde: &[f32] = match w_hr {
                        Some(w_hr) => {
                            for (bi, row) in dh.chunks_exact(hout).enumerate() {
                                dhtot[(bi * steps + t) * hout..][..hout].copy_from_slice(row);
                            }
                            // dH̃ = dh · W_hr: [B, P] x [P, H]
                            gemm_packed(b, &dh, w_hr, 0.0, &mut dht);
                            &dht
                        }
                        None => &dh,
                    };
                    self.lstm_step(t, acts, dhtilde, &mut dc, &mut dg);
                }
                Cell::Gru => self.gru_step(t, acts, &dh, &mut dg, &mut dgh, &mut direct),
            }
            let dg_rec: &[f32] = if gru { &dgh } else { &dg };
            for bi in 0..b {
                let r = (bi * steps + t) * gh;
                dxp[r..r + gh].copy_from_slice(&dg[bi * gh..][..gh]);
                if gru {
                    dhp[r..r + gh].copy_from_slice(&dgh[bi * gh..][..gh]);
                }
            }
            if t > 0 || need_h0 {
                // dh_{t-1} = dG · W_hh: [B, G*H] x [G*H, Hout]
                gemm_packed(b, dg_rec, w_hh, 0.0, &mut dh);
                if gru {
                    ew::axpy(1.0, &direct, &mut dh);
                }
            }
        }
        (dxp, dhp, dhtot, dh, dc)
    }

    /// LSTM gate gradients of step `t` given `dh̃` (the gradient of `o*tanh(c_t)`); `dc` holds
    /// the gradient reaching `c_t` from step `t+1` and leaves with the one reaching `c_{t-1}`.
    fn lstm_step(&self, t: usize, acts: &[f32], dht: &[f32], dc: &mut [f32], dg: &mut [f32]) {
        let Dims { b, h, gh, .. } = self.d;
        let tc = &self.tcs[t * b * h..][..b * h];
        let c_prev: &[f32] = if t == 0 {
            self.c0.as_ref().expect("LSTM has c0")
        } else {
            &self.cs[(t - 1) * b * h..][..b * h]
        };
        for bi in 0..b {
            let a = &acts[bi * gh..][..gh];
            let g_out = &mut dg[bi * gh..][..gh];
            let (tc, cp) = (&tc[bi * h..][..h], &c_prev[bi * h..][..h]);
            let (dht, dc) = (&dht[bi * h..][..h], &mut dc[bi * h..][..h]);
            for j in 0..h {
                let (ig, fg, gg, og) = (a[j], a[h + j], a[2 * h + j], a[3 * h + j]);
                let dct = dc[j] + dht[j] * og * (1.0 - tc[j] * tc[j]);
                g_out[j] = dct * gg * ig * (1.0 - ig);
                g_out[h + j] = dct * cp[j] * fg * (1.0 - fg);
                g_out[2 * h + j] = dct * ig * (1.0 - gg * gg);
                g_out[3 * h + j] = dht[j] * tc[j] * og * (1.0 - og);
                dc[j] = dct * fg;
            }
        }
    }

    /// GRU gate gradients of step `t` given `dh` (reaching `h_t`): `dg` on the input side,
    /// `dgh` on the recurrent side (n scaled by r), `direct` = the gradient reaching `h_{t-1}`
    /// through `z*h_{t-1}`.
    fn gru_step(
        &self,
        t: usize,
        acts: &[f32],
        dh: &[f32],
        dg: &mut [f32],
        dgh: &mut [f32],
        direct: &mut [f32],
    ) {
        let Dims {
            b, t: steps, h, gh, ..
        } = self.d;
        let hp = &self.hp[t * b * gh..][..b * gh];
        let (y, h0) = (&self.y, &self.h0);
        for bi in 0..b {
            let a = &acts[bi * gh..][..gh];
            let hpn = &hp[bi * gh + 2 * h..][..h];
            let hprev = if t == 0 {
                &h0[bi * h..][..h]
            } else {
                &y[(bi * steps + t - 1) * h..][..h]
            };
            let (dh, direct) = (&dh[bi * h..][..h], &mut direct[bi * h..][..h]);
            let (gx, gr) = (&mut dg[bi * gh..][..gh], &mut dgh[bi * gh..][..gh]);
            for j in 0..h {
                let (r, z, n) = (a[j], a[h + j], a[2 * h + j]);
                let dn = dh[j] * (1.0 - z) * (1.0 - n * n);
                let dr = dn * hpn[j] * r * (1.0 - r);
                let dz = dh[j] * (hprev[j] - n) * z * (1.0 - z);
                gx[j] = dr;
                gx[h + j] = dz;
                gx[2 * h + j] = dn;
                gr[j] = dr;
                gr[h + j] = dz;
                gr[2 * h + j] = dn * r;
                direct[j] = dh[j] * z;
            }
        }
    }
}
