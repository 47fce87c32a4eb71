//! The fused recurrent ops: finite-difference gradient checks, equality with an unfused
//! composition of the elementary ops, thread-count determinism, and the tape-free step.

mod common;

use common::{gradcheck, grads_of, rand};
use neurodiv_autodiff::ops::{Cell, CellScratch, CellWeights, RecurrentParams, cell_step};
use neurodiv_autodiff::{Tape, Tensor, Var};
use proptest::prelude::*;

/// One configuration of a fused op. Its inputs, in order: `x, w_ih, w_hh, [b_ih, b_hh],
/// [w_hr], h0, [c0]`.
#[derive(Debug, Clone, Copy)]
struct Case {
    cell: Cell,
    b: usize,
    t: usize,
    i: usize,
    h: usize,
    bias: bool,
    proj: Option<usize>,
}

impl Case {
    fn new(cell: Cell, b: usize, t: usize, i: usize, h: usize) -> Self {
        Case {
            cell,
            b,
            t,
            i,
            h,
            bias: true,
            proj: None,
        }
    }
    fn no_bias(mut self) -> Self {
        self.bias = false;
        self
    }
    fn proj(mut self, p: usize) -> Self {
        self.proj = Some(p);
        self
    }
    fn hout(&self) -> usize {
        self.proj.unwrap_or(self.h)
    }
    fn gh(&self) -> usize {
        self.cell.gates() * self.h
    }

    fn inputs(&self, seed: u64) -> Vec<Tensor> {
        let (gh, hout) = (self.gh(), self.hout());
        let mut v = vec![
            rand(&[self.b, self.t, self.i], seed),
            rand(&[gh, self.i], seed + 1),
            rand(&[gh, hout], seed + 2),
        ];
        if self.bias {
            v.push(rand(&[gh], seed + 3));
            v.push(rand(&[gh], seed + 4));
        }
        if let Some(p) = self.proj {
            v.push(rand(&[p, self.h], seed + 5));
        }
        v.push(rand(&[self.b, hout], seed + 6));
        if self.cell == Cell::Lstm {
            v.push(rand(&[self.b, self.h], seed + 7));
        }
        v
    }

    /// The parameters and the initial states among `v` (laid out as [`Case::inputs`]).
    fn split<'t>(&self, v: &[Var<'t>]) -> (RecurrentParams<'t>, Var<'t>, Option<Var<'t>>) {
        let mut p = RecurrentParams::new(v[1], v[2]);
        let mut k = 3;
        if self.bias {
            p = p.with_bias(v[3], v[4]);
            k = 5;
        }
        if self.proj.is_some() {
            p = p.with_projection(v[k]);
            k += 1;
        }
        let c0 = (self.cell == Cell::Lstm).then(|| v[k + 1]);
        (p, v[k], c0)
    }

    /// The fused op: outputs and (LSTM) the final cell state.
    fn fused<'t>(&self, v: &[Var<'t>]) -> (Var<'t>, Option<Tensor>) {
        let (p, h0, c0) = self.split(v);
        match self.cell {
            Cell::Rnn => (v[0].rnn_tanh(&p, h0), None),
            Cell::Gru => (v[0].gru(&p, h0), None),
            Cell::Lstm => {
                let (y, c) = v[0].lstm(&p, h0, c0.unwrap());
                (y, Some(c))
            }
        }
    }

    /// The same recurrence from elementary ops, one step at a time.
    fn unfused<'t>(&self, v: &[Var<'t>]) -> (Var<'t>, Option<Var<'t>>) {
        let (p, mut h, mut c) = self.split(v);
        let hs = self.h;
        let mut outs = Vec::new();
        for xt in v[0].unbind(1) {
            let xp = xt.linear(p.w_ih, p.b_ih);
            let hp = h.linear(p.w_hh, p.b_hh);
            h = match self.cell {
                Cell::Rnn => xp.add(hp).tanh(),
                Cell::Lstm => {
                    let g = xp.add(hp).split(1, &[hs; 4]);
                    let (i, f) = (g[0].sigmoid(), g[1].sigmoid());
                    let (gg, o) = (g[2].tanh(), g[3].sigmoid());
                    let cn = f.mul(c.unwrap()).add(i.mul(gg));
                    c = Some(cn);
                    let ht = o.mul(cn.tanh());
                    match p.w_hr {
                        Some(w) => ht.linear(w, None),
                        None => ht,
                    }
                }
                Cell::Gru => {
                    let (x3, h3) = (xp.split(1, &[hs; 3]), hp.split(1, &[hs; 3]));
                    let r = x3[0].add(h3[0]).sigmoid();
                    let z = x3[1].add(h3[1]).sigmoid();
                    let n = x3[2].add(r.mul(h3[2])).tanh();
                    z.rsub_scalar(1.0).mul(n).add(z.mul(h))
                }
            };
            outs.push(h);
        }
        (Var::stack(&outs, 1), c)
    }
}

/// The cases of the gradient checks and the equivalence tests: each cell with and without
/// bias, T = 1 and T > 1, B = 1 and B > 1, the LSTM with and without projection.
fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for cell in [Cell::Rnn, Cell::Lstm, Cell::Gru] {
        v.push(Case::new(cell, 2, 3, 3, 4));
        v.push(Case::new(cell, 1, 1, 2, 3));
        v.push(Case::new(cell, 3, 4, 2, 2).no_bias());
        v.push(Case::new(cell, 1, 5, 1, 3));
    }
    v.push(Case::new(Cell::Lstm, 2, 3, 3, 4).proj(2));
    v.push(Case::new(Cell::Lstm, 1, 1, 2, 3).proj(1));
    v.push(Case::new(Cell::Lstm, 2, 4, 2, 3).proj(2).no_bias());
    v
}

#[test]
fn fused_ops_pass_gradcheck() {
    for (k, case) in cases().into_iter().enumerate() {
        let inputs = case.inputs(100 + 10 * k as u64);
        gradcheck(&inputs, |_, v| case.fused(v).0)
            .unwrap_or_else(|e| panic!("{case:?}: gradcheck failed: {e}"));
    }
}

/// Asserts `got` equals `want` to `rtol` relative to `max(1, |want|)`.
fn assert_rel(what: &str, got: &[f32], want: &[f32], rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (j, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= rtol * b.abs().max(1.0),
            "{what}: element {j}: fused {a} vs unfused {b}"
        );
    }
}

#[test]
fn fused_ops_equal_the_unfused_composition() {
    let mut all = cases();
    // A larger one too, where the kernels take their vector paths.
    for cell in [Cell::Rnn, Cell::Lstm, Cell::Gru] {
        all.push(Case::new(cell, 5, 7, 6, 19));
    }
    all.push(Case::new(Cell::Lstm, 5, 7, 6, 19).proj(9));
    for (k, case) in all.into_iter().enumerate() {
        let inputs = case.inputs(300 + 10 * k as u64);
        let seed = rand(&[case.b, case.t, case.hout()], 7 + k as u64);
        let (y, gf) = grads_of(&inputs, Some(seed.clone()), |_, v| case.fused(v).0);
        let (y_ref, gu) = grads_of(&inputs, Some(seed), |_, v| case.unfused(v).0);
        let what = format!("{case:?}");
        assert_rel(&format!("{what} outputs"), y.data(), y_ref.data(), 1e-5);
        for (n, (a, b)) in gf.iter().zip(&gu).enumerate() {
            assert_rel(&format!("{what} gradient {n}"), a.data(), b.data(), 1e-5);
        }
        if case.cell == Cell::Lstm {
            let tape = Tape::new();
            let v: Vec<Var<'_>> = inputs.iter().map(|t| tape.param(t.clone())).collect();
            let c = case.fused(&v).1.unwrap();
            let c_ref = case.unfused(&v).1.unwrap().value();
            assert_rel(&format!("{what} c_T"), c.data(), c_ref.data(), 1e-5);
        }
    }
}

/// Forward values and all gradients, on a pool of `threads` threads.
fn run_on(threads: usize, case: Case, inputs: &[Tensor], seed: &Tensor) -> Vec<Vec<f32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (y, g) = grads_of(inputs, Some(seed.clone()), |_, v| case.fused(v).0);
        let tape = Tape::no_grad();
        let v: Vec<Var<'_>> = inputs.iter().map(|t| tape.constant(t.clone())).collect();
        let y_ng = case.fused(&v).0.value();
        let mut out = vec![y.to_vec(), y_ng.to_vec()];
        out.extend(g.iter().map(Tensor::to_vec));
        out
    })
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Big enough that the GEMMs split into row blocks on two threads.
    let cases = [
        Case::new(Cell::Rnn, 16, 8, 32, 128),
        Case::new(Cell::Lstm, 16, 8, 32, 32),
        Case::new(Cell::Lstm, 16, 8, 32, 32).proj(16),
        Case::new(Cell::Gru, 16, 8, 32, 48),
    ];
    for (k, case) in cases.into_iter().enumerate() {
        let inputs = case.inputs(500 + 10 * k as u64);
        let seed = rand(&[case.b, case.t, case.hout()], 9);
        let one = run_on(1, case, &inputs, &seed);
        let two = run_on(2, case, &inputs, &seed);
        for (n, (a, b)) in one.iter().zip(&two).enumerate() {
            let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "{case:?}: result {n} differs between 1 and 2 threads");
        }
    }
}

#[test]
fn cell_step_reproduces_the_no_grad_forward_bit_for_bit() {
    let all = [
        Case::new(Cell::Rnn, 3, 5, 4, 6),
        Case::new(Cell::Lstm, 3, 5, 4, 6),
        Case::new(Cell::Lstm, 3, 5, 4, 6).proj(2).no_bias(),
        Case::new(Cell::Gru, 3, 5, 4, 6),
        Case::new(Cell::Gru, 1, 4, 17, 21).no_bias(),
    ];
    for (k, case) in all.into_iter().enumerate() {
        let inputs = case.inputs(700 + 10 * k as u64);
        let tape = Tape::no_grad();
        let v: Vec<Var<'_>> = inputs.iter().map(|t| tape.constant(t.clone())).collect();
        let (y, c_last) = case.fused(&v);
        let y = y.value();

        let (p, h0, c0) = case.split(&v);
        let (w_ih, w_hh) = (p.w_ih.value(), p.w_hh.value());
        let (b_ih, b_hh) = (p.b_ih.map(|v| v.value()), p.b_hh.map(|v| v.value()));
        let w_hr = p.w_hr.map(|v| v.value());
        let w = CellWeights {
            cell: case.cell,
            input_size: case.i,
            hidden_size: case.h,
            w_ih: w_ih.data(),
            w_hh: w_hh.data(),
            b_ih: b_ih.as_ref().map(Tensor::data),
            b_hh: b_hh.as_ref().map(Tensor::data),
            w_hr: w_hr.as_ref().map(Tensor::data),
        };
        assert_eq!(w.output_size(), case.hout());
        let mut h = h0.value().to_vec();
        let mut c = c0.map(|c| c.value().to_vec());
        let mut scratch = CellScratch::default();
        let x = v[0].value();
        let (hout, i) = (case.hout(), case.i);
        for t in 0..case.t {
            let xt: Vec<f32> = (0..case.b)
                .flat_map(|b| x.data()[(b * case.t + t) * i..][..i].to_vec())
                .collect();
            cell_step(&w, case.b, &xt, &mut h, c.as_deref_mut(), &mut scratch);
            for b in 0..case.b {
                let want = &y.data()[(b * case.t + t) * hout..][..hout];
                let got = &h[b * hout..][..hout];
                assert!(
                    want.iter()
                        .zip(got)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{case:?} step {t} row {b}: {got:?} vs {want:?}"
                );
            }
        }
        if let (Some(c), Some(c_last)) = (c, c_last) {
            assert_eq!(c, c_last.to_vec(), "{case:?}: final cell state");
        }
    }
}

#[test]
fn no_grad_tape_keeps_no_gradient() {
    let case = Case::new(Cell::Lstm, 2, 3, 2, 3);
    let inputs = case.inputs(1);
    let tape = Tape::new();
    // Everything constant: no input wants a gradient, so the output does not either.
    let v: Vec<Var<'_>> = inputs.iter().map(|t| tape.constant(t.clone())).collect();
    assert!(!case.fused(&v).0.requires_grad());
    // Only h0 wants one: it gets it.
    let mut v = v;
    let k = v.len() - 2;
    v[k] = tape.param(inputs[k].clone());
    let y = case.fused(&v).0;
    let grads = tape.backward(y.sum_all());
    assert_eq!(grads.get(v[k]).unwrap().shape(), [2, 3]);
    assert!(grads.get(v[0]).is_none());
}

#[test]
#[should_panic(expected = "w_hh")]
fn mismatched_shapes_panic_with_the_names() {
    let tape = Tape::new();
    let x = tape.constant(Tensor::zeros(&[2, 3, 4]));
    let w_ih = tape.param(Tensor::zeros(&[12, 4]));
    let w_hh = tape.param(Tensor::zeros(&[12, 5]));
    let h0 = tape.constant(Tensor::zeros(&[2, 4]));
    x.gru(&RecurrentParams::new(w_ih, w_hh), h0);
}

#[test]
fn hand_computed_steps() {
    let tape = Tape::new();
    let c = |shape: &[usize], v: Vec<f32>| tape.constant(Tensor::from_vec(shape, v));
    // tanh RNN, sizes 1: h1 = tanh(0.5*1 + 2*0.1 + 0.3 + 0.2), h2 = tanh(0.5*(-1) + 2*h1 + 0.5).
    let x = c(&[1, 2, 1], vec![1.0, -1.0]);
    let p = RecurrentParams::new(c(&[1, 1], vec![0.5]), c(&[1, 1], vec![2.0]))
        .with_bias(c(&[1], vec![0.3]), c(&[1], vec![0.2]));
    let y = x.rnn_tanh(&p, c(&[1, 1], vec![0.1])).value();
    let h1 = (0.5f32 + 0.2 + 0.5).tanh();
    let h2 = (-0.5 + 2.0 * h1 + 0.5).tanh();
    common::assert_close(y.data(), &[h1, h2], 1e-6);

    // LSTM with zero weights: i = f = o = 1/2, g = 0, so c1 = c0/2 and h1 = tanh(c1)/2.
    let zeros = |shape: &[usize]| tape.constant(Tensor::zeros(shape));
    let p = RecurrentParams::new(zeros(&[8, 3]), zeros(&[8, 2]));
    let (y, c1) = zeros(&[1, 1, 3]).lstm(&p, zeros(&[1, 2]), c(&[1, 2], vec![1.0, -0.4]));
    common::assert_close(c1.data(), &[0.5, -0.2], 1e-7);
    common::assert_close(
        y.value().data(),
        &[0.5 * 0.5f32.tanh(), 0.5 * (-0.2f32).tanh()],
        1e-6,
    );

    // GRU with zero weights: r = z = 1/2, n = 0, so h1 = h0/2 and h2 = h0/4.
    let p = RecurrentParams::new(zeros(&[6, 1]), zeros(&[6, 2]));
    let y = zeros(&[1, 2, 1])
        .gru(&p, c(&[1, 2], vec![0.8, -2.0]))
        .value();
    common::assert_close(y.data(), &[0.4, -1.0, 0.2, -0.5], 1e-7);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]
    /// Random tiny shapes and options: the gradients pass the finite-difference check and the
    /// values and gradients equal the unfused composition.
    #[test]
    fn random_shapes_check_out(
        cell in 0usize..3, b in 1usize..4, t in 1usize..4, i in 1usize..4, h in 1usize..4,
        bias in any::<bool>(), proj in 0usize..3, seed in 0u64..1000,
    ) {
        let cell = [Cell::Rnn, Cell::Lstm, Cell::Gru][cell];
        let mut case = Case::new(cell, b, t, i, h);
        if !bias {
            case = case.no_bias();
        }
        if cell == Cell::Lstm && proj > 0 && proj < h {
            case = case.proj(proj);
        }
        let inputs = case.inputs(seed);
        if let Err(e) = gradcheck(&inputs, |_, v| case.fused(v).0) {
            return Err(TestCaseError::fail(format!("{case:?}: {e}")));
        }
        let seed_t = rand(&[b, t, case.hout()], seed + 99);
        let (y, gf) = grads_of(&inputs, Some(seed_t.clone()), |_, v| case.fused(v).0);
        let (y_ref, gu) = grads_of(&inputs, Some(seed_t), |_, v| case.unfused(v).0);
        assert_rel(&format!("{case:?} outputs"), y.data(), y_ref.data(), 1e-5);
        for (n, (a, r)) in gf.iter().zip(&gu).enumerate() {
            assert_rel(&format!("{case:?} gradient {n}"), a.data(), r.data(), 1e-5);
        }
    }
}

/// `lstm_with_cell`: the outputs and the final cell state side by side, `[B, T*Hout + H]`.
fn lstm_both<'t>(case: &Case, v: &[Var<'t>]) -> Var<'t> {
    let (p, h0, c0) = case.split(v);
    let (y, c) = v[0].lstm_with_cell(&p, h0, c0.unwrap());
    let y = y.reshape(&[case.b, case.t * case.hout()]); // [B, T, Hout] -> [B, T*Hout]
    Var::concat(&[y, c], 1)
}

#[test]
fn lstm_with_cell_passes_gradcheck_through_the_final_cell_state() {
    // B = 9 splits into two blocks of rows on two threads; the projection case too.
    let cases = [
        Case::new(Cell::Lstm, 2, 3, 3, 4),
        Case::new(Cell::Lstm, 1, 1, 2, 3),
        Case::new(Cell::Lstm, 9, 2, 2, 2).no_bias(),
        Case::new(Cell::Lstm, 2, 3, 2, 3).proj(2),
    ];
    for (k, case) in cases.into_iter().enumerate() {
        let inputs = case.inputs(700 + 10 * k as u64);
        for threads in [1, 2] {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| gradcheck(&inputs, |_, v| lstm_both(&case, v)))
                .unwrap_or_else(|e| panic!("{case:?} on {threads} threads: {e}"));
        }
    }
}

#[test]
fn lstm_with_cell_equals_lstm_and_the_unfused_chain() {
    let case = Case::new(Cell::Lstm, 3, 4, 3, 5);
    let inputs = case.inputs(900);
    let tape = Tape::new();
    let v: Vec<Var<'_>> = inputs.iter().map(|t| tape.param(t.clone())).collect();
    let (p, h0, c0) = case.split(&v);
    let (y, c) = v[0].lstm(&p, h0, c0.unwrap());
    let (y2, c2) = v[0].lstm_with_cell(&p, h0, c0.unwrap());
    assert_eq!(y.value(), y2.value(), "same outputs, bit for bit");
    assert_eq!(c, c2.value(), "same final cell state, bit for bit");
    // A gradient reaching c_T only: the same as through the elementary ops.
    let seed = rand(&[case.b, case.h], 5);
    let (_, fused) = grads_of(&inputs, Some(seed.clone()), |_, v| {
        let (p, h0, c0) = case.split(v);
        v[0].lstm_with_cell(&p, h0, c0.unwrap()).1
    });
    let (_, unfused) = grads_of(&inputs, Some(seed), |_, v| case.unfused(v).1.unwrap());
    for (n, (a, b)) in fused.iter().zip(&unfused).enumerate() {
        assert_rel(&format!("gradient {n}"), a.data(), b.data(), 1e-5);
    }
}
