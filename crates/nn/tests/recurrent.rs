//! The recurrent stacks: PyTorch's parameter names, shapes and counts; `step` against
//! `forward`; a state carried across calls; dropout; a tiny learning run.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_nn::{CellKind, Ctx, ParamStore, Recurrent, StepScratch};

fn build(
    kind: CellKind,
    input: usize,
    hidden: usize,
    layers: usize,
    bias: bool,
    dropout: f32,
    proj: Option<usize>,
) -> (ParamStore, Recurrent) {
    let mut store = ParamStore::new();
    let rnn = Recurrent::new(
        &mut store,
        "rnn",
        kind,
        input,
        hidden,
        layers,
        bias,
        dropout,
        proj,
        &mut Rng::new(11),
    );
    (store, rnn)
}

fn shapes(store: &ParamStore) -> Vec<(String, Vec<usize>)> {
    store
        .names()
        .iter()
        .zip(store.tensors())
        .map(|(n, t)| (n.clone(), t.shape().to_vec()))
        .collect()
}

fn named(v: &[(&str, &[usize])]) -> Vec<(String, Vec<usize>)> {
    v.iter().map(|(n, s)| (n.to_string(), s.to_vec())).collect()
}

#[test]
fn parameters_are_named_shaped_and_counted_like_pytorch() {
    // torch.nn.LSTM(3, 5, num_layers=2)
    let (store, rnn) = build(CellKind::Lstm, 3, 5, 2, true, 0.0, None);
    assert_eq!(
        shapes(&store),
        named(&[
            ("rnn.weight_ih_l0", &[20, 3]),
            ("rnn.weight_hh_l0", &[20, 5]),
            ("rnn.bias_ih_l0", &[20]),
            ("rnn.bias_hh_l0", &[20]),
            ("rnn.weight_ih_l1", &[20, 5]),
            ("rnn.weight_hh_l1", &[20, 5]),
            ("rnn.bias_ih_l1", &[20]),
            ("rnn.bias_hh_l1", &[20]),
        ])
    );
    assert_eq!(
        store.num_params(),
        4 * 5 * 3 + 4 * 5 * 5 + 2 * 4 * 5 + 4 * 5 * 5 + 4 * 5 * 5 + 2 * 4 * 5
    );
    assert_eq!(rnn.output_size(), 5);

    // torch.nn.LSTM(3, 4, num_layers=2, proj_size=1)
    let (store, rnn) = build(CellKind::Lstm, 3, 4, 2, true, 0.0, Some(1));
    assert_eq!(
        shapes(&store),
        named(&[
            ("rnn.weight_ih_l0", &[16, 3]),
            ("rnn.weight_hh_l0", &[16, 1]),
            ("rnn.bias_ih_l0", &[16]),
            ("rnn.bias_hh_l0", &[16]),
            ("rnn.weight_hr_l0", &[1, 4]),
            ("rnn.weight_ih_l1", &[16, 1]),
            ("rnn.weight_hh_l1", &[16, 1]),
            ("rnn.bias_ih_l1", &[16]),
            ("rnn.bias_hh_l1", &[16]),
            ("rnn.weight_hr_l1", &[1, 4]),
        ])
    );
    assert_eq!(rnn.output_size(), 1);

    // torch.nn.GRU(2, 6, num_layers=3, bias=False): 3*6*2 + 3*6*6 + 2 * (3*6*6 + 3*6*6)
    let (store, _) = build(CellKind::Gru, 2, 6, 3, false, 0.0, None);
    assert_eq!(
        store.names(),
        [
            "rnn.weight_ih_l0",
            "rnn.weight_hh_l0",
            "rnn.weight_ih_l1",
            "rnn.weight_hh_l1",
            "rnn.weight_ih_l2",
            "rnn.weight_hh_l2"
        ]
    );
    assert_eq!(store.num_params(), 36 + 108 + 2 * (108 + 108));

    // torch.nn.RNN(4, 3): 3*4 + 3*3 + 3 + 3
    let (store, _) = build(CellKind::Rnn, 4, 3, 1, true, 0.0, None);
    assert_eq!(store.num_params(), 12 + 9 + 3 + 3);
    assert_eq!(store.by_name("rnn.weight_hh_l0").unwrap().shape(), [3, 3]);
}

#[test]
fn parameters_are_drawn_within_one_over_sqrt_hidden() {
    let (store, _) = build(CellKind::Lstm, 7, 16, 2, true, 0.0, Some(4));
    for t in store.tensors() {
        assert!(t.data().iter().all(|v| v.abs() <= 0.25), "{t:?}");
    }
    let all: Vec<f32> = store.tensors().iter().flat_map(|t| t.to_vec()).collect();
    let max = all.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(max > 0.2, "the bound is 1/sqrt(16), got max {max}");
}

/// Every configuration the sequence tests run.
fn configs() -> Vec<(CellKind, usize, Option<usize>, bool)> {
    vec![
        (CellKind::Rnn, 2, None, true),
        (CellKind::Lstm, 2, None, true),
        (CellKind::Lstm, 2, Some(3), false),
        (CellKind::Gru, 3, None, true),
        (CellKind::Gru, 1, None, false),
    ]
}

#[test]
fn step_by_step_equals_forward() {
    let (b, t, input, hidden) = (3, 6, 4, 5);
    for (kind, layers, proj, bias) in configs() {
        let (store, rnn) = build(kind, input, hidden, layers, bias, 0.3, proj);
        let x = Tensor::randn(&[b, t, input], &mut Rng::new(5));
        let hout = rnn.output_size();
        // Start from a non-zero state, as a continued sequence would.
        let mut rng = Rng::new(6);
        let init: Vec<Tensor> = rnn
            .zero_state(b)
            .iter()
            .map(|s| Tensor::randn(s.shape(), &mut rng))
            .collect();

        let no_grad = Tape::no_grad();
        let mut ctx = Ctx::new(&no_grad, &store, Rng::new(0));
        let (y, last) = rnn.forward(&mut ctx, no_grad.constant(x.clone()), Some(&init));
        let y = y.value();
        let grad = Tape::new();
        let mut ctx = Ctx::new(&grad, &store, Rng::new(0));
        // A gradient tape trains (dropout acts between layers), and its GEMM is not the
        // inference one: compare it to the steps within 1e-6, with one layer only.
        let y_grad = (layers == 1).then(|| {
            rnn.forward(&mut ctx, grad.constant(x.clone()), Some(&init))
                .0
                .value()
        });

        let mut state = init.clone();
        let mut scratch = StepScratch::default();
        let mut out = vec![0.0; b * hout];
        for s in 0..t {
            let xt: Vec<f32> = (0..b)
                .flat_map(|i| x.data()[(i * t + s) * input..][..input].to_vec())
                .collect();
            rnn.step(&store, &xt, &mut state, &mut out, &mut scratch);
            for i in 0..b {
                let row = (i * t + s) * hout;
                let want = &y.data()[row..][..hout];
                let got = &out[i * hout..][..hout];
                let same = want
                    .iter()
                    .zip(got)
                    .all(|(a, c)| a.to_bits() == c.to_bits());
                assert!(same, "{kind:?} step {s} row {i}: {got:?} vs {want:?}");
                if let Some(yg) = &y_grad {
                    for (a, c) in yg.data()[row..][..hout].iter().zip(got) {
                        assert!(
                            (a - c).abs() <= 1e-6,
                            "{kind:?} grad-tape forward {a} vs {c}"
                        );
                    }
                }
            }
        }
        assert_eq!(state, last, "{kind:?}: final state");
    }
}

#[test]
fn a_returned_state_continues_the_sequence() {
    let (b, t, input, hidden) = (2, 7, 3, 4);
    for (kind, layers, proj, bias) in configs() {
        let (store, rnn) = build(kind, input, hidden, layers, bias, 0.0, proj);
        let x = Tensor::randn(&[b, t, input], &mut Rng::new(8));
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
        let xv = tape.constant(x);
        let (whole, last) = rnn.forward(&mut ctx, xv, None);
        let (first, mid) = rnn.forward(&mut ctx, xv.slice(1, 0, 3), None);
        let (second, end) = rnn.forward(&mut ctx, xv.slice(1, 3, t), Some(&mid));
        let (whole, first, second) = (whole.value(), first.value(), second.value());
        let hout = rnn.output_size();
        for i in 0..b {
            let w = &whole.data()[i * t * hout..][..t * hout];
            let f = &first.data()[i * 3 * hout..][..3 * hout];
            let s = &second.data()[i * (t - 3) * hout..][..(t - 3) * hout];
            assert_eq!(&w[..3 * hout], f, "{kind:?} first half");
            assert_eq!(&w[3 * hout..], s, "{kind:?} second half");
        }
        assert_eq!(last, end, "{kind:?}: final state");
    }
}

#[test]
fn dropout_acts_between_layers_in_training_only() {
    let (store, rnn) = build(CellKind::Gru, 3, 4, 2, true, 0.5, None);
    let x = Tensor::randn(&[2, 5, 3], &mut Rng::new(9));
    let run = |tape: &Tape, seed: u64| {
        let mut ctx = Ctx::new(tape, &store, Rng::new(seed));
        rnn.forward(&mut ctx, tape.constant(x.clone()), None)
            .0
            .value()
    };
    let (eval, train1, train2) = (
        run(&Tape::no_grad(), 1),
        run(&Tape::new(), 1),
        run(&Tape::new(), 1),
    );
    assert_ne!(eval, train1);
    assert_eq!(train1, train2, "the mask comes from ctx.rng");
    // One layer: nothing to drop (PyTorch drops only between layers).
    let (store, rnn) = build(CellKind::Gru, 3, 4, 1, true, 0.5, None);
    let no_grad = Tape::no_grad();
    let mut ctx = Ctx::new(&no_grad, &store, Rng::new(1));
    let tape = Tape::new();
    let mut ctx_t = Ctx::new(&tape, &store, Rng::new(1));
    let a = rnn
        .forward(&mut ctx, no_grad.constant(x.clone()), None)
        .0
        .value();
    let b = rnn.forward(&mut ctx_t, tape.constant(x), None).0.value();
    for (u, v) in a.data().iter().zip(b.data()) {
        assert!((u - v).abs() <= 1e-6);
    }
}

#[test]
fn an_lstm_learns_a_running_sum() {
    // Target: the running mean of the inputs so far, from the output through a linear head.
    let (mut store, rnn) = build(CellKind::Lstm, 1, 8, 1, true, 0.0, None);
    let head = neurodiv_nn::Linear::new(&mut store, "head", 8, 1, true, &mut Rng::new(3));
    let (b, t) = (16, 6);
    let x = Tensor::uniform(&[b, t, 1], -1.0, 1.0, &mut Rng::new(4));
    let mut target = vec![0.0; b * t];
    for i in 0..b {
        let mut s = 0.0;
        for j in 0..t {
            s += x.data()[i * t + j];
            target[i * t + j] = s / (j + 1) as f32;
        }
    }
    let target = Tensor::from_vec(&[b, t, 1], target);
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..400 {
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
        let (y, _) = rnn.forward(&mut ctx, tape.constant(x.clone()), None);
        let pred = head.forward(&ctx, y);
        let loss = pred.sub(tape.constant(target.clone())).pow(2.0).mean_all();
        last = loss.value().item();
        first.get_or_insert(last);
        let mut grads = tape.backward(loss);
        let g = ctx.param_grads(&mut grads);
        assert!(g.iter().all(|g| g.all_finite()));
        for (p, g) in store.tensors_mut().iter_mut().zip(&g) {
            p.axpy_assign(-0.3, g);
        }
    }
    assert!(last < first.unwrap() * 0.3, "loss {first:?} -> {last}");
}

#[test]
fn forward_with_state_matches_forward_and_carries_gradients_through_the_state() {
    use neurodiv_autodiff::Var;
    use neurodiv_autodiff::gradcheck::GradCheck;
    let (b, t, input, hidden) = (2, 3, 3, 4);
    for (kind, layers, proj, bias) in configs() {
        let (store, rnn) = build(kind, input, hidden, layers, bias, 0.0, proj);
        let x = Tensor::randn(&[b, t, input], &mut Rng::new(8));
        let mut rng = Rng::new(9);
        let init: Vec<Tensor> = rnn
            .zero_state(b)
            .iter()
            .map(|s| Tensor::randn(s.shape(), &mut rng).map(|v| 0.5 * v))
            .collect();
        // Same values and final state as `forward`.
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
        let (y, last) = rnn.forward(&mut ctx, tape.constant(x.clone()), Some(&init));
        let vars: Vec<Var<'_>> = init.iter().map(|s| tape.constant(s.clone())).collect();
        let (y2, last2) = rnn.forward_with_state(&mut ctx, tape.constant(x.clone()), Some(&vars));
        assert_eq!(y.value(), y2.value(), "{kind:?}: outputs");
        let last2: Vec<Tensor> = last2.iter().map(|v| v.value()).collect();
        assert_eq!(last, last2, "{kind:?}: final state");

        // An encoder's state starting a second run of the stack: the gradients of the input
        // and of the initial state flow through both runs.
        let mut inputs = vec![x.clone()];
        inputs.extend(init.iter().cloned());
        let n = init.len();
        GradCheck::default()
            .check(&inputs, |tape, v| flat_chain(tape, v, &store, &rnn, n))
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

/// The encoder run, a second run started from its final state, and that run's final state,
/// flattened and joined.
fn flat_chain<'t>(
    tape: &'t Tape,
    v: &[neurodiv_autodiff::Var<'t>],
    store: &ParamStore,
    rnn: &Recurrent,
    n: usize,
) -> neurodiv_autodiff::Var<'t> {
    use neurodiv_autodiff::Var;
    let mut ctx = Ctx::new(tape, store, Rng::new(0));
    let (enc, state) = rnn.forward_with_state(&mut ctx, v[0], Some(&v[1..=n]));
    let (dec, end) = rnn.forward_with_state(&mut ctx, v[0], Some(&state));
    let flat = |v: Var<'t>| -> Var<'t> {
        let k = v.shape().iter().product();
        v.reshape(&[k]) // [..] -> [numel]
    };
    let mut parts = vec![flat(enc), flat(dec)];
    parts.extend(end.into_iter().map(flat));
    Var::concat(&parts, 0)
}
